"""The pool comparison: reduced GP variants against the exact GP on a split of a pool of data, as a
function of the cutoff ``kappa`` (relative prediction error and test MSE)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..._validate import check_finite_array, check_int, check_kappa, check_ridge
from ...errors import ParameterError
from ...spectra.empirical import EmpiricalSpectrum, gram_matrix
from .exact import ExactGP, _targets
from .reduced import ALL_VARIANTS, DEFAULT_VARIANTS, ReducedGP

__all__ = ["ReducedComparison", "compare_reduced", "default_kappa_grid"]


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
    """Reduced GP variants against the exact GP on a pool (docs/theory.md section 4, finite-n statement).

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
        K = np.asarray(K, dtype=float)
        spectrum = EmpiricalSpectrum.from_gram(K)             # checks K (PSD from its own eigenvalues)
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
