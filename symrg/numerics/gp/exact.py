"""Exact GP regression, the posterior mean of the finite-data action (docs/theory.md section 2.1):
``m(x) = K(x, X) (K(X, X) + sigma^2 I)^{-1} y`` by a Cholesky factorisation, and the Cholesky helpers
the reduced models share (a failed factorisation raises KernelError with advice)."""
from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from ..._validate import check_finite_array, check_kernel_matrix, check_ridge
from ...errors import KernelError, ParameterError
from ...spectra.empirical import gram_matrix

__all__ = ["ExactGP", "ridge_solve"]

_ADVICE = "increase the ridge (noise variance sigma^2), or check the kernel matrix"
_LOG_2PI = math.log(2.0 * math.pi)


def _targets(y, n: int) -> np.ndarray:
    y = check_finite_array(y, "y")
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ParameterError("y", f"array of shape {y.shape}", f"shape ({n},) or ({n}, n_targets)")
    return y


def ridge_solve(K: np.ndarray, y, ridge: float, what: str = "the training Gram matrix") -> np.ndarray:
    """``(K + ridge I)^{-1} y`` by Cholesky; failure raises KernelError with advice."""
    A = np.array(K, dtype=float, copy=True)
    A[np.diag_indices_from(A)] += check_ridge(ridge)
    return scipy.linalg.cho_solve(_cho_factor(A, what), np.asarray(y, dtype=float), check_finite=False)


def _cho_factor(A: np.ndarray, what: str, overwrite: bool = False):
    try:
        return scipy.linalg.cho_factor(A, lower=True, overwrite_a=overwrite, check_finite=False)
    except np.linalg.LinAlgError as err:
        raise KernelError(f"Cholesky factorisation of {what} failed ({err}); {_ADVICE}") from err


# ----------------------------------------------------------------------------------------------
# Exact GP
# ----------------------------------------------------------------------------------------------
class ExactGP:
    """Exact GP regression, ``m(x) = K(x, X) (K(X, X) + sigma^2 I)^{-1} y``.

    Parameters
    ----------
    kernel : "precomputed", an object with ``.gram(X, Y)`` (e.g. NNGPKernel) or a callable
        ``kernel(X, Y) -> matrix``.  With ``"precomputed"``, ``fit`` takes the training Gram matrix
        ``K(X, X)`` and ``predict`` the cross-kernel ``K(X_test, X)`` (as scikit-learn's SVR does).
    ridge : float >= 0
        Noise variance ``sigma^2``.
    check_psd : bool
        Test that the training Gram is positive semi-definite (eigenvalues >= ``-tol``, rounding):
        when ``sigma^2 <= tol`` the fit's own factorisation of ``K + sigma^2 I`` certifies it; otherwise one
        Cholesky of ``K + tol I`` (:func:`symrg._validate.check_kernel_matrix`), the cost of the
        factorisation it guards -- certifying ``lambda_min >= -tol`` needs a factorisation at that shift.

    Constructors only store their arguments; everything is validated in :meth:`fit`.
    """

    def __init__(self, kernel="precomputed", ridge: float = 1e-3, check_psd: bool = True):
        self.kernel = kernel
        self.ridge = ridge
        self.check_psd = check_psd

    def _train_gram(self, X) -> np.ndarray:
        self._psd_by_fit = False
        if isinstance(self.kernel, str):
            if self.kernel != "precomputed":
                raise ParameterError("kernel", self.kernel, '"precomputed" or a kernel object/callable')
            K = X
        else:
            X = check_finite_array(X, "X", ndim=2)
            self.X_train_ = X
            K = gram_matrix(self.kernel, X, X)
        if self.check_psd:
            from ..._validate import check_square_symmetric, psd_tolerance

            K = check_square_symmetric(K, "training kernel matrix")
            if K.size and check_ridge(self.ridge) > psd_tolerance(K):
                # the fit's own factorisation of K + sigma^2 I cannot certify eigenvalues >= -tol when
                # sigma^2 > tol: one more Cholesky, of K + tol I, does (the cost of the factorisation it guards)
                return check_kernel_matrix(K, "training kernel matrix")
            self._psd_by_fit = True        # sigma^2 <= tol: a successful fit factorisation certifies PSD
            return K
        K = np.asarray(K, dtype=float)
        if K.ndim != 2 or K.shape[0] != K.shape[1] or not np.all(np.isfinite(K)):
            raise KernelError(f"training kernel matrix must be square and finite, got shape {K.shape}")
        return K

    def fit(self, X, y) -> "ExactGP":
        ridge = check_ridge(self.ridge)
        K = self._train_gram(X)
        n = K.shape[0]
        y = _targets(y, n)
        A = np.array(K, dtype=float, order="F", copy=True)      # Fortran order: LAPACK factors it in place
        A[np.diag_indices_from(A)] += ridge
        try:                                                       # K + sigma^2 I = L L^T
            self.L_ = scipy.linalg.cho_factor(A, lower=True, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError as err:
            if self._psd_by_fit:
                check_kernel_matrix(K, "training kernel matrix")     # names the negative eigenvalue, if any
            raise KernelError(f"Cholesky factorisation of K(X, X) + sigma^2 I failed ({err}); {_ADVICE}") from err
        self.alpha_ = scipy.linalg.cho_solve(self.L_, y, check_finite=False)
        self.y_train_ = y
        self.n_train_ = n
        return self

    def _cross(self, X) -> np.ndarray:
        if not hasattr(self, "alpha_"):
            raise ParameterError("ExactGP", "unfitted", "a fitted model (call fit first)")
        if isinstance(self.kernel, str):
            Kx = check_finite_array(X, "K_test", ndim=2)
        else:
            Kx = gram_matrix(self.kernel, check_finite_array(X, "X", ndim=2), self.X_train_)
            Kx = check_finite_array(Kx, "K_test", ndim=2)
        if Kx.shape[1] != self.n_train_:
            raise ParameterError("K_test", f"array of shape {Kx.shape}",
                                 f"a cross-kernel with {self.n_train_} columns (one per training point)")
        return Kx

    def predict(self, X) -> np.ndarray:
        """Posterior mean at test inputs (or at the rows of a precomputed cross-kernel)."""
        return self._cross(X) @ self.alpha_

    def log_marginal_likelihood(self) -> float:
        """``log N(y; 0, K + sigma^2 I) = -y^T alpha/2 - sum log L_ii - n/2 log 2 pi`` (summed over targets)."""
        if not hasattr(self, "alpha_"):
            raise ParameterError("ExactGP", "unfitted", "a fitted model (call fit first)")
        y = self.y_train_.reshape(self.n_train_, -1)
        a = self.alpha_.reshape(self.n_train_, -1)
        logdet_half = float(np.sum(np.log(np.diag(self.L_[0]))))
        return float(-0.5 * np.sum(y * a) - y.shape[1] * (logdet_half + 0.5 * self.n_train_ * _LOG_2PI))

