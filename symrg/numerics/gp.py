"""Exact and reduced (renormalised) Gaussian-process regression.

Exact GP (THEORY.md section 2, action 1): the posterior mean is
``m(x) = K(x, X) (K(X, X) + sigma^2 I)^{-1} y``, computed with a Cholesky factorisation.

Reduced GP (THEORY.md section 4, "Finite-n statement"): the modes come from the empirical
measure of a *pool* of P points (:class:`~symrg.spectra.empirical.EmpiricalSpectrum`).  With a
cutoff ``kappa`` the kept kernel is ``K_<(x, x') = sum_{k<=kappa} lambda_k phi_k(x) phi_k(x')`` and
the greater modes enter only through a diagonal noise covariance ``D``:

* ``"truncated"``          ``D = sigma^2``
* ``"renormalized_const"`` ``D = sigma_kappa^2 = sigma^2 + sum_{k>kappa} lambda_k`` (universal flow)
* ``"renormalized_x"``     ``D_mu = sigma_kappa^2(x_mu)``, a per-point ridge supplied by the caller
  (``ridge_x``; e.g. the cumulant expansion of THEORY.md section 5)
* ``"exact_diagonal"``     ``D_mu = sigma^2 + K_>(x_mu, x_mu)`` (the FITC diagonal correction)

and one variant with a dense noise covariance (docs/theory.md section 4, finite-n statement:
integrating ``f_>`` out of the finite-data action exactly):

* ``"full_greater"``       ``Sigma = sigma^2 I + K_>(X, X)``, ``K_>(x, x') = sum_{k>kappa} lambda_k phi_k(x) phi_k(x')``
  (:func:`weight_space_posterior_dense`: Cholesky of ``Sigma``, then the same Woodbury solve on
  the whitened problem).  Its log marginal likelihood and kept-mode weights equal those of the
  exact GP for every ``kappa``; the diagonal variants drop the off-diagonal part of ``K_>``.

The reduced model is solved in weight space with the Woodbury identity,
``w = (Lambda^{-1} + Phi^T D^{-1} Phi)^{-1} Phi^T D^{-1} y`` and ``m(x) = Phi(x) w``, at cost
O(n kappa^2 + kappa^3) instead of O(n^3).  In the form used here,
``w = Lambda^{1/2} (I + B^T B)^{-1} B^T D^{-1/2} y`` with ``B = D^{-1/2} Phi Lambda^{1/2}``, the matrix
to factorise has eigenvalues >= 1, so zero eigenvalues ``lambda_k`` need no special care.

At ``kappa = P`` every variant has ``K_< = K`` on the pool and no greater modes, so it reproduces
the exact GP (checked by :func:`compare_reduced` and the tests).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.linalg

from .._validate import check_finite_array, check_int, check_kappa, check_kernel_matrix, check_ridge
from ..errors import KernelError, ParameterError
from ..spectra.empirical import EmpiricalSpectrum, gram_matrix

__all__ = [
    "VARIANTS",
    "ALL_VARIANTS",
    "DEFAULT_VARIANTS",
    "ExactGP",
    "ReducedGP",
    "ReducedComparison",
    "compare_reduced",
    "default_kappa_grid",
    "greater_covariance",
    "weight_space_posterior_dense",
]

VARIANTS = ("truncated", "renormalized_const", "renormalized_x", "exact_diagonal")
DEFAULT_VARIANTS = ("truncated", "renormalized_const", "exact_diagonal")
ALL_VARIANTS = VARIANTS + ("full_greater",)   # the diagonal variants plus the dense noise covariance
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


def _cho_factor(A: np.ndarray, what: str):
    try:
        return scipy.linalg.cho_factor(A, lower=True, check_finite=False)
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
        Test that the training Gram is positive semi-definite (an extra eigenvalue pass).

    Constructors only store their arguments; everything is validated in :meth:`fit`.
    """

    def __init__(self, kernel="precomputed", ridge: float = 1e-3, check_psd: bool = True):
        self.kernel = kernel
        self.ridge = ridge
        self.check_psd = check_psd

    def _train_gram(self, X) -> np.ndarray:
        if isinstance(self.kernel, str):
            if self.kernel != "precomputed":
                raise ParameterError("kernel", self.kernel, '"precomputed" or a kernel object/callable')
            K = X
        else:
            X = check_finite_array(X, "X", ndim=2)
            self.X_train_ = X
            K = gram_matrix(self.kernel, X, X)
        if self.check_psd:
            return check_kernel_matrix(K, "training kernel matrix")
        K = np.asarray(K, dtype=float)
        if K.ndim != 2 or K.shape[0] != K.shape[1] or not np.all(np.isfinite(K)):
            raise KernelError(f"training kernel matrix must be square and finite, got shape {K.shape}")
        return K

    def fit(self, X, y) -> "ExactGP":
        ridge = check_ridge(self.ridge)
        K = self._train_gram(X)
        n = K.shape[0]
        y = _targets(y, n)
        A = K.copy()
        A[np.diag_indices_from(A)] += ridge
        self.L_ = _cho_factor(A, "K(X, X) + sigma^2 I")          # K + sigma^2 I = L L^T
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


# ----------------------------------------------------------------------------------------------
# Reduced GP in weight space
# ----------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------
# The pool comparison
# ----------------------------------------------------------------------------------------------
@dataclass
class ReducedComparison:
    """Reduced GP against the full GP on a pool split; plain data, see :meth:`to_dict`."""

    n_pool: int
    n_train: int
    n_test: int
    ridge: float
    seed: int
    kappas: list[int]
    variants: list[str]
    rel_error: dict[str, list[float]]       # ||m_reduced - m_full|| / ||m_full|| on the test points
    test_mse: dict[str, list[float]]        # mean (m_reduced - y)^2 on the test points
    full_test_mse: float                    # mean (m_full - y)^2 on the test points
    ridge_const: list[float]                # sigma_kappa^2 = sigma^2 + sum_{k>kappa} lambda_k
    eigenvalues_head: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        """A plain-text table: one row per kappa, relative error and test MSE for each variant."""
        head = f"{'kappa':>6} {'sigma_k^2':>10}"
        for v in self.variants:
            head += f" | {v[:18]:>18} {'mse':>9}"
        lines = [f"pool P={self.n_pool}, n={self.n_train}, test={self.n_test}, sigma^2={self.ridge:g}, "
                 f"seed={self.seed}; full GP test MSE = {self.full_test_mse:.5g}",
                 "rel. error = ||m_reduced - m_full|| / ||m_full|| on the test points", head]
        for i, k in enumerate(self.kappas):
            row = f"{k:>6} {self.ridge_const[i]:>10.4g}"
            for v in self.variants:
                row += f" | {self.rel_error[v][i]:>18.3e} {self.test_mse[v][i]:>9.4g}"
            lines.append(row)
        return "\n".join(lines)


def default_kappa_grid(n_pool: int, n_train: int, num: int = 14) -> list[int]:
    """A log grid of cutoffs from 1 to P, with ``n`` and ``P`` themselves included."""
    grid = np.unique(np.round(np.geomspace(1, n_pool, num)).astype(int))
    return sorted(set(grid.tolist()) | {int(n_train), int(n_pool)})


def compare_reduced(pool, y_pool, kernel="precomputed", ridge: float = 1e-2, n_train: int = 100,
                    kappas=None, seed: int = 0, variants=DEFAULT_VARIANTS, ridge_x=None,
                    spectrum: EmpiricalSpectrum | None = None) -> ReducedComparison:
    """Reduced GP variants against the exact GP on a pool (THEORY.md section 4, finite-n statement).

    The data measure is the empirical measure of the P pool points: their Gram matrix gives the
    modes.  ``n_train`` points are drawn from the pool with ``seed``; the test points are the rest.
    For each ``kappa`` and variant the result holds the relative prediction error against the
    exact GP (full kernel, same n training points) and the test MSE against ``y_pool``.

    ``pool`` is the P x P Gram matrix when ``kernel="precomputed"``, else the inputs (P, D) for
    ``kernel``.  ``spectrum`` may pass a precomputed eigendecomposition of the same Gram.
    ``ridge_x`` (array over the pool or callable) is required for variant ``"renormalized_x"``.
    """
    ridge = check_ridge(ridge)
    if isinstance(kernel, str):
        if kernel != "precomputed":
            raise ParameterError("kernel", kernel, '"precomputed" or a kernel object/callable')
        K = pool
    else:
        X = check_finite_array(pool, "pool", ndim=2)
        K = gram_matrix(kernel, X, X)
    if spectrum is None:
        K = check_kernel_matrix(K, "pool Gram matrix")
        spectrum = EmpiricalSpectrum.from_gram(K, check=False)
    else:
        K = check_finite_array(K, "pool Gram matrix", ndim=2)
        if spectrum.n_points != K.shape[0]:
            raise ParameterError("spectrum", f"spectrum of {spectrum.n_points} points",
                                 f"the spectrum of the {K.shape[0]}-point pool")
    P = K.shape[0]
    y_pool = _targets(y_pool, P)
    n_train = check_int(n_train, "n_train", 1, P - 1)
    variants = list(variants)
    for v in variants:
        if v not in ALL_VARIANTS:
            raise ParameterError("variants", v, f"names from {ALL_VARIANTS}")
    kappas = default_kappa_grid(P, n_train) if kappas is None else [check_kappa(k, P) for k in kappas]
    rng = np.random.default_rng(seed)
    perm = rng.permutation(P)
    tr, te = np.sort(perm[:n_train]), np.sort(perm[n_train:])

    full = ExactGP("precomputed", ridge, check_psd=False).fit(K[np.ix_(tr, tr)], y_pool[tr])
    m_full = full.predict(K[np.ix_(te, tr)])
    y_te = y_pool[te]
    norm_full = max(float(np.linalg.norm(m_full)), np.finfo(float).tiny)

    rel = {v: [] for v in variants}
    mse = {v: [] for v in variants}
    for kappa in kappas:
        for v in variants:
            gp = ReducedGP(spectrum, kappa, ridge, v, ridge_x if v == "renormalized_x" else None)
            m = gp.fit(tr, y_pool[tr]).predict(te)
            rel[v].append(float(np.linalg.norm(m - m_full)) / norm_full)
            mse[v].append(float(np.mean((m - y_te) ** 2)))
    return ReducedComparison(
        n_pool=P, n_train=n_train, n_test=int(te.size), ridge=ridge, seed=int(seed), kappas=list(map(int, kappas)),
        variants=variants, rel_error=rel, test_mse=mse, full_test_mse=float(np.mean((m_full - y_te) ** 2)),
        ridge_const=[ridge + spectrum.tail_sum(k) for k in kappas],
        eigenvalues_head=spectrum.eigenvalues[:10].tolist())
