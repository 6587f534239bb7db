"""Reduced (renormalised) GP: the kept modes of a pool spectrum, the greater modes as noise, solved in
weight space (the variants and the Woodbury form are described in :mod:`symrg.numerics.gp`)."""
from __future__ import annotations

import numpy as np
import scipy.linalg

from ..._validate import check_finite_array, check_kappa, check_ridge
from ...errors import KernelError, ParameterError
from ...spectra.empirical import EmpiricalSpectrum
from .exact import _ADVICE, _LOG_2PI, _cho_factor, _targets

__all__ = ["VARIANTS", "ALL_VARIANTS", "DEFAULT_VARIANTS", "ReducedGP", "greater_covariance",
           "weight_space_posterior", "weight_space_posterior_dense"]

VARIANTS = ("truncated", "renormalized_const", "renormalized_x", "exact_diagonal")
DEFAULT_VARIANTS = ("truncated", "renormalized_const", "exact_diagonal")
ALL_VARIANTS = VARIANTS + ("full_greater",)   # the diagonal variants plus the dense noise covariance


def weight_space_posterior(Phi, lam, noise, y):
    """Posterior mean of the mode coefficients, ``w = (Lambda^{-1} + Phi^T D^{-1} Phi)^{-1} Phi^T D^{-1} y``.

    ``Phi`` (n, kappa) features, ``lam`` (kappa,) prior variances, ``noise`` (n,) diagonal of D (> 0).
    Returns ``(w, logml)`` with the log marginal likelihood ``log N(y; 0, Phi Lambda Phi^T + D)``
    from the determinant lemma.
    """
    n, kappa = Phi.shape
    Y = y.reshape(n, -1)
    s = 1.0 / np.sqrt(noise)
    Ys = Y * s[:, None]                                        # D^{-1/2} y
    quad = float(np.sum(Ys * Ys))
    logdet = float(np.sum(np.log(noise)))
    if kappa == 0:
        w = np.zeros((0, Y.shape[1]))
    else:
        r = np.sqrt(lam)
        B = Phi * s[:, None] * r[None, :]                       # B = D^{-1/2} Phi Lambda^{1/2}
        M = B.T @ B
        M[np.diag_indices_from(M)] += 1.0                       # I + B^T B, eigenvalues >= 1
        c = _cho_factor(M, "I + B^T B (weight-space Woodbury matrix)")
        rhs = B.T @ Ys
        u = scipy.linalg.cho_solve(c, rhs, check_finite=False)
        w = r[:, None] * u                                      # w = Lambda^{1/2} (I+B^T B)^{-1} B^T D^{-1/2} y
        quad -= float(np.sum(rhs * u))                          # y^T (Phi Lambda Phi^T + D)^{-1} y
        logdet += 2.0 * float(np.sum(np.log(np.diag(c[0]))))
    logml = -0.5 * quad - Y.shape[1] * 0.5 * (logdet + n * _LOG_2PI)
    return (w[:, 0] if y.ndim == 1 else w), logml


def greater_covariance(spectrum: EmpiricalSpectrum, kappa: int, index=None) -> np.ndarray:
    """``K_>(x_i, x_j) = sum_{k>kappa} lambda_k phi_k(x_i) phi_k(x_j)`` on pool rows ``index`` (n x n).

    The covariance of the greater field at the training inputs (docs/theory.md section 4, the
    finite-n statement); its diagonal is :meth:`EmpiricalSpectrum.greater_diagonal`.
    """
    kappa = check_kappa(kappa, spectrum.n_modes)
    rows = spectrum.phi[:, kappa:] if index is None else spectrum.phi[np.asarray(index)][:, kappa:]
    G = (rows * spectrum.eigenvalues[kappa:]) @ rows.T
    return 0.5 * (G + G.T)


def weight_space_posterior_dense(Phi, lam, noise_cov, y):
    """:func:`weight_space_posterior` with a dense noise covariance ``Sigma`` (n x n, positive definite).

    ``Sigma = L L^T`` (Cholesky); the problem is whitened, ``Phi -> L^-1 Phi``, ``y -> L^-1 y``, and
    solved with unit noise, so ``w = (Lambda^-1 + Phi^T Sigma^-1 Phi)^-1 Phi^T Sigma^-1 y`` and the log
    marginal likelihood ``log N(y; 0, Phi Lambda Phi^T + Sigma)`` gains ``-sum log L_ii`` per target
    (docs/theory.md section 4, finite-n statement).
    """
    Phi = np.asarray(Phi, dtype=float)
    n = Phi.shape[0]
    S = check_finite_array(noise_cov, "noise_cov", ndim=2)
    if S.shape != (n, n):
        raise ParameterError("noise_cov", f"array of shape {S.shape}", f"a square ({n}, {n}) noise covariance")
    try:
        L = scipy.linalg.cholesky(0.5 * (S + S.T), lower=True, check_finite=False)
    except np.linalg.LinAlgError as err:
        raise KernelError(f"Cholesky factorisation of the noise covariance sigma^2 I + K_>(X, X) failed ({err}); "
                          f"{_ADVICE}") from err
    Y = np.asarray(y, dtype=float)
    Ys = scipy.linalg.solve_triangular(L, Y, lower=True, check_finite=False)          # L^-1 y
    Phis = scipy.linalg.solve_triangular(L, Phi, lower=True, check_finite=False)      # L^-1 Phi
    w, logml = weight_space_posterior(Phis, lam, np.ones(n), Ys)
    n_targets = 1 if Y.ndim == 1 else Y.shape[1]
    return w, logml - n_targets * float(np.sum(np.log(np.diag(L))))


class ReducedGP:
    """GP regression on the kept modes ``k <= kappa`` of a pool spectrum, greater modes as noise.

    Parameters
    ----------
    spectrum : EmpiricalSpectrum
        Modes of the pool (its Gram eigendecomposition).
    kappa : int in [0, spectrum.n_modes]
        Number of kept modes.
    ridge : float >= 0
        Noise variance ``sigma^2``.
    variant : one of :data:`ALL_VARIANTS` (see the module doc); ``"full_greater"`` keeps the whole
        greater covariance ``sigma^2 I + K_>(X, X)`` as noise (exact marginalisation of ``f_>``).
    ridge_x : array or callable, only for ``variant="renormalized_x"``
        The input-dependent ridge ``sigma_kappa^2(x_i)`` (the *total* noise variance, sigma^2
        included): an array over the pool (length P) or over the training points, or a callable
        ``ridge_x(spectrum, kappa) -> array (P,)``.

    Training and test points are pool rows, given by index: ``fit(train_index, y)``,
    ``predict(test_index)``; for other inputs pass their features (e.g. ``spectrum.extend(X)``)
    to :meth:`predict_features`.
    """

    def __init__(self, spectrum, kappa, ridge: float = 1e-3, variant: str = "truncated", ridge_x=None):
        self.spectrum = spectrum
        self.kappa = kappa
        self.ridge = ridge
        self.variant = variant
        self.ridge_x = ridge_x

    # -- validation in one place ----------------------------------------------------------
    def _validate(self):
        if not isinstance(self.spectrum, EmpiricalSpectrum):
            raise ParameterError("spectrum", type(self.spectrum).__name__, "an EmpiricalSpectrum")
        if self.variant not in ALL_VARIANTS:
            raise ParameterError("variant", self.variant, f"one of {ALL_VARIANTS}")
        ridge = check_ridge(self.ridge)
        kappa = check_kappa(self.kappa, self.spectrum.n_modes)
        if self.variant == "renormalized_x" and self.ridge_x is None:
            raise ParameterError("ridge_x", None, 'a per-point ridge (array or callable) for variant "renormalized_x"')
        if self.variant != "renormalized_x" and self.ridge_x is not None:
            raise ParameterError("ridge_x", "an array", 'None unless variant="renormalized_x"')
        return ridge, kappa

    def _index(self, index, name: str) -> np.ndarray:
        idx = np.asarray(index)
        P = self.spectrum.n_points
        if idx.ndim != 1 or idx.dtype.kind not in "iu" or (idx.size and (idx.min() < -P or idx.max() >= P)):
            raise ParameterError(name, f"array of shape {idx.shape}, dtype {idx.dtype}",
                                 f"a 1-d integer array of pool indices in [0, {P - 1}]")
        return idx % P if idx.size else idx.astype(int)

    def noise_variance(self, train_index) -> np.ndarray:
        """Diagonal noise covariance ``D_mu`` at the training points for the chosen variant
        (for ``"full_greater"`` the diagonal of :meth:`noise_covariance`)."""
        ridge, kappa = self._validate()
        idx = self._index(train_index, "train_index")
        sp = self.spectrum
        if self.variant == "full_greater":
            D = ridge + sp.greater_diagonal(kappa, idx)         # diagonal of sigma^2 I + K_>(X, X)
        elif self.variant == "truncated":
            D = np.full(idx.size, ridge)
        elif self.variant == "renormalized_const":
            D = np.full(idx.size, ridge + sp.tail_sum(kappa))    # sigma_kappa^2 = sigma^2 + sum_{k>kappa} lambda_k
        elif self.variant == "exact_diagonal":
            D = ridge + sp.greater_diagonal(kappa, idx)         # sigma^2 + K_>(x_mu, x_mu)
        else:
            rx = self.ridge_x(sp, kappa) if callable(self.ridge_x) else self.ridge_x
            rx = check_finite_array(rx, "ridge_x", ndim=1)
            if rx.shape[0] == sp.n_points:
                rx = rx[idx]
            elif rx.shape[0] != idx.size:
                raise ParameterError("ridge_x", f"array of length {rx.shape[0]}",
                                     f"length {sp.n_points} (pool) or {idx.size} (training points)")
            D = rx
        if D.size and not (D.min() > 0):
            bad = "ridge_x" if self.variant == "renormalized_x" else "ridge"
            raise ParameterError(bad, self.ridge_x if bad == "ridge_x" else self.ridge,
                                 "a noise variance > 0 at every training point for the reduced GP",
                                 "the weight-space solve divides by it; use a positive ridge")
        return D

    def noise_covariance(self, train_index) -> np.ndarray:
        """The noise covariance at the training points as an (n, n) matrix: ``diag(D)`` for the
        diagonal variants, ``sigma^2 I + K_>(X, X)`` for ``"full_greater"``."""
        ridge, kappa = self._validate()
        idx = self._index(train_index, "train_index")
        if self.variant != "full_greater":
            return np.diag(self.noise_variance(idx))
        S = greater_covariance(self.spectrum, kappa, idx)
        S[np.diag_indices_from(S)] += ridge                      # sigma^2 I + K_>(X, X)
        return S

    def fit(self, train_index, y) -> "ReducedGP":
        ridge, kappa = self._validate()
        idx = self._index(train_index, "train_index")
        y = _targets(y, idx.size)
        Phi = self.spectrum.features(kappa, idx)
        lam = self.spectrum.eigenvalues[:kappa]
        if self.variant == "full_greater":
            S = self.noise_covariance(idx)
            D = np.diag(S).copy()
            if D.size and not (D.min() > 0):
                raise ParameterError("ridge", self.ridge, "a noise variance > 0 at every training point for the "
                                     "reduced GP", "the Cholesky solve needs sigma^2 I + K_>(X, X) positive definite")
            self.weights_, self.log_marginal_likelihood_ = weight_space_posterior_dense(Phi, lam, S, y)
        else:
            D = self.noise_variance(idx)
            self.weights_, self.log_marginal_likelihood_ = weight_space_posterior(Phi, lam, D, y)
        self.noise_ = D
        self.kappa_ = kappa
        return self

    def predict_features(self, Phi_test) -> np.ndarray:
        """Posterior mean ``sum_{k<=kappa} phi_k(x) w_k`` from test features (m, kappa)."""
        if not hasattr(self, "weights_"):
            raise ParameterError("ReducedGP", "unfitted", "a fitted model (call fit first)")
        Phi_test = check_finite_array(Phi_test, "Phi_test", ndim=2)
        if Phi_test.shape[1] != self.kappa_:
            raise ParameterError("Phi_test", f"array of shape {Phi_test.shape}", f"{self.kappa_} feature columns")
        return Phi_test @ self.weights_

    def predict(self, test_index) -> np.ndarray:
        """Posterior mean at pool rows ``test_index``."""
        if not hasattr(self, "weights_"):
            raise ParameterError("ReducedGP", "unfitted", "a fitted model (call fit first)")
        idx = self._index(test_index, "test_index")
        return self.spectrum.features(self.kappa_, idx) @ self.weights_

