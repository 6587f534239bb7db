"""Test-error predictions: three RG predictions and eigenlearning (docs/theory.md sections 4 and 4a).

All work on shells (:class:`~symrg.numerics.flows.Shells`) with target power per shell
``y_s^2 = sum_{k in s} y_k^2`` (default: the matched target ``E y_k^2 = lambda_k``), a power
``target_tail`` in modes not listed, and a label-noise variance ``eps^2`` (default: the ridge).

* ``rg`` -- the paper's sharp stop.  With ``s = sigma_*^2/eta`` and the kept fraction ``f_s`` of
  each shell (1 up to ``kappa*``, 0 beyond),
  ``E = sum_s f_s [(1 - L_s)^2 y_s^2 + m_s L_s^2 (eps^2 + Y_>)/eta] + Y_>``,
  ``Y_> = sum_s (1 - f_s) y_s^2 + target_tail``: kept modes are learned with the renormalised
  ridge, the unlearned target acts as noise on them, greater modes are not learned.
* ``rg_budget`` -- the same formula at the budget-respecting stop (``sum_{k<=kappa*} L_k <= eta``;
  a degenerate shell may be split, ``0 < f_s < 1``).
* ``rg_selfconsistent`` -- the self-consistent closure: every mode is learned with
  ``L_k = eta lambda_k/(eta lambda_k + sigma_eff^2)``; the sharp formula with ``f_s -> L_s``:
  ``E = B + (sum_k L_k^2/eta)(eps^2 + B)``, ``B = sum_k (1 - L_k)^2 y_k^2`` (bias plus the
  one-loop variance; the step-function limit ``L -> theta`` gives back the sharp form).
* ``eigenlearning`` (Canatar, Bordelon & Pehlevan 2021; Simon et al. 2021): the same ridge
  (``kappa_eff = sigma_eff^2 / n``, solved here independently), with the variance resummed:
  ``E = e_0 (B + eps^2) - eps^2``, ``e_0 = n/(n - sum_k L_k^2)``; evaluated in the stable form
  ``E = B + (e_0 - 1)(B + eps^2)`` so that a huge noise does not cancel.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from .._validate import check_finite_array, check_positive, check_ridge
from ..errors import ConvergenceError, ParameterError
from .flows import Shells, _as_shells, ir_stop
from .selfconsistent import selfconsistent_ridge, tail_learned_modes

__all__ = ["Prediction", "rg_prediction", "selfconsistent_prediction", "eigenlearning_ridge",
           "eigenlearning_prediction", "predict_all", "learning_curve", "fit_exponent", "powerlaw_exponent_check",
           "tail_error_bound", "THEORIES"]

THEORIES = ("rg", "rg_budget", "rg_selfconsistent", "eigenlearning")


def _target_power(sh: Shells, target_power, target_tail: float = 0.0):
    """Target power per shell (``sum_{k in s} y_k^2``) and in unlisted modes; defaults to the
    matched target ``E y_k^2 = lambda_k``."""
    if target_power is None:
        return sh.power.copy(), sh.tail
    tp = check_finite_array(target_power, "target_power", ndim=1)
    if tp.shape != sh.lam.shape or np.any(tp < 0):
        raise ParameterError("target_power", f"shape {tp.shape}", f"{sh.lam.shape[0]} non-negative entries")
    return tp, check_ridge(target_tail, "target_tail")


@dataclass(frozen=True)
class Prediction:
    """A test-error prediction and the per-shell learned fraction."""

    theory: str
    n: float
    test_error: float
    effective_ridge: float
    learned_fraction: np.ndarray = field(repr=False)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"theory": self.theory, "n": self.n, "test_error": self.test_error,
                "effective_ridge": self.effective_ridge, **self.extra}


def _noise(ridge, noise) -> float:
    return ridge if noise is None else check_ridge(noise, "noise")


def rg_prediction(spectrum, ridge, n, target_power=None, noise=None, *, target_tail: float = 0.0,
                  budget: bool = False, **stop_kw) -> Prediction:
    """Test error after the sharp Wilsonian flow (module doc); ``budget=True`` for the
    budget-respecting stop.  ``noise`` is the label-noise variance (default: ``ridge``)."""
    sh = _as_shells(spectrum)
    ridge = check_ridge(ridge)
    eps2 = _noise(ridge, noise)
    stop = ir_stop(sh, ridge, n, budget=budget, **stop_kw)
    tp, tp_tail = _target_power(sh, target_power, target_tail)
    f = stop.kept_fraction
    L = stop.learnability
    Y_gt = float(np.sum((1 - f) * tp) + tp_tail)
    bias = float(np.sum(f * (1 - L) ** 2 * tp))
    var = float(np.sum(f * L ** 2 * sh.mult) * (eps2 + Y_gt) / n)
    return Prediction("rg_budget" if budget else "rg", float(n), bias + var + Y_gt, stop.sigma2 / n, f * L,
                      {"kappa_star": stop.kappa, "sigma2_star": stop.sigma2, "learned_modes": stop.learned_modes,
                       "bias": bias + Y_gt, "variance": var})


def selfconsistent_prediction(spectrum, ridge, n, target_power=None, noise=None, *,
                              target_tail: float = 0.0) -> Prediction:
    """Test error with the self-consistent ridge (module doc)."""
    sh = _as_shells(spectrum)
    ridge = check_ridge(ridge)
    eps2 = _noise(ridge, noise)
    sc = selfconsistent_ridge(sh, ridge, n)
    tp, tp_tail = _target_power(sh, target_power, target_tail)
    L = sc.learnability
    B = float(np.sum((1 - L) ** 2 * tp) + tp_tail)
    var = float(np.sum(sh.mult * L ** 2)) / n * (eps2 + B)
    return Prediction("rg_selfconsistent", float(n), B + var, sc.kappa_eff, L,
                      {"sigma2_selfconsistent": sc.sigma2, "learned_modes": sc.learned_modes, "bias": B,
                       "variance": var, "error_estimate": sc.error_estimate, "tail_bound": sc.tail_bound})


def eigenlearning_ridge(spectrum, ridge, n) -> float:
    """Effective ridge of eigenlearning: ``sum_k lam_k/(lam_k+kappa) + sigma^2/kappa = n``.

    A tail known by its power ``T`` enters as ``T/kappa``; a power-law tail (``Shells.tail_powerlaw``) exactly.

    Written and solved independently of the generated closure of
    :mod:`symrg.numerics.selfconsistent` (the two are compared by ``symrg verify``).
    """
    sh = _as_shells(spectrum)
    s2 = check_ridge(ridge)
    n = check_positive(n, "n")

    def g(logk):
        kap = math.exp(logk)
        return float(np.sum(sh.mult * sh.lam / (sh.lam + kap)) + (sh.tail + s2) / kap - n)

    lo, hi = math.log(1e-300), math.log(max(sh.total_power() + s2, 1e-300) * 10 / n + 1e-300)
    if g(hi) > 0:
        hi = math.log(1e300)
    if g(lo) < 0:
        # fewer modes than n and no ridge: the interpolating limit kappa -> 0
        return 0.0
    kap = math.exp(brentq(g, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500))
    if sh.tail_powerlaw is None or sh.tail == 0.0:
        return kap
    # the tail's law is known (Shells.tail_powerlaw): sum_{k>M} lambda_k/(lambda_k + kappa) exactly instead of
    # T/kappa (selfconsistent.tail_learned_modes at sigma_eff^2 = n kappa); that sum is smaller, so the root lies
    # below the one just found, and the lower end is found by halving kappa (the tail is never evaluated far
    # below the root)
    def g_exact(logk):
        k = math.exp(logk)
        return float(np.sum(sh.mult * sh.lam / (sh.lam + k))) + tail_learned_modes(sh, n * k, n)[0] + s2 / k - n

    hi = math.log(kap)
    if g_exact(hi) >= 0.0:
        return kap
    lo = hi - math.log(2.0)
    while g_exact(lo) < 0.0:
        hi, lo = lo, lo - math.log(2.0)
    return math.exp(brentq(g_exact, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500))


def eigenlearning_prediction(spectrum, ridge, n, target_power=None, noise=None, *,
                             target_tail: float = 0.0) -> Prediction:
    """Eigenlearning test error (module doc); ``noise`` = label-noise variance (default ridge)."""
    sh = _as_shells(spectrum)
    s2 = check_ridge(ridge)
    eps2 = _noise(s2, noise)
    kap = eigenlearning_ridge(sh, s2, n)
    tp, tp_tail = _target_power(sh, target_power, target_tail)
    L = sh.lam / (sh.lam + kap) if kap > 0 else np.ones_like(sh.lam)
    sumL2 = float(np.sum(sh.mult * L ** 2))
    denom = n - sumL2
    if denom <= 0:
        raise ConvergenceError(f"eigenlearning overfitting factor diverges (n - sum L^2 = {denom:.3g}); "
                               "use a positive ridge or a larger n")
    B = float(np.sum((1 - L) ** 2 * tp)) + tp_tail
    err = B + sumL2 / denom * (B + eps2)          # = e0 (B + eps^2) - eps^2 without cancellation
    return Prediction("eigenlearning", float(n), err, kap, L, {"overfitting_factor": n / denom, "bias": B})


def predict_all(spectrum, ridge, n, target_power=None, noise=None, *, target_tail: float = 0.0,
                **stop_kw) -> dict:
    """The four predictions of the module doc at one ``n``, keyed by :data:`THEORIES`."""
    kw = dict(target_tail=target_tail)
    return {"rg": rg_prediction(spectrum, ridge, n, target_power, noise, **kw, **stop_kw),
            "rg_budget": rg_prediction(spectrum, ridge, n, target_power, noise, budget=True, **kw, **stop_kw),
            "rg_selfconsistent": selfconsistent_prediction(spectrum, ridge, n, target_power, noise, **kw),
            "eigenlearning": eigenlearning_prediction(spectrum, ridge, n, target_power, noise, **kw)}


def tail_error_bound(spectrum, ridge, n, target_power, noise=None, *, target_tail: float = 0.0,
                     lam_tail_max: float | None = None, preds: dict | None = None) -> dict:
    """Bound on what listing only the top modes (plus the tail power) changes in each prediction
    (docs/theory.md section 4b).

    The spectrum lists the top ``kappa`` modes; the rest are known only through their power ``T =
    spectrum.tail`` (the trace minus the listed eigenvalues) and their target power ``Y_t =
    target_tail`` (Parseval on the pool), and each of them has ``lambda_k <= lambda_max_tail``
    (default: the smallest listed eigenvalue, ``lambda_kappa``).  The flows treat the tail as
    modes of vanishing eigenvalue and fixed total power ``T``: it adds ``T`` to every running ridge
    ``sigma_kappa'^2`` with ``kappa' <= kappa``, which is exact, and is counted as unlearned
    (learnability 0) everywhere else.  What that neglects is first order in the tail's learnabilities
    ``L_k ~ n lambda_k / sigma_eff^2``: the moments ``sum_{k>kappa} lambda_k^2 <= lambda_max_tail T``
    and ``sum_{k>kappa} lambda_k y_k^2 <= lambda_max_tail Y_t`` (in the closures and in the bias),
    and both are largest when the tail is concentrated in ``T / lambda_max_tail`` modes of
    eigenvalue ``lambda_max_tail`` carrying all of ``Y_t``.  The bound of each theory is therefore

        bound = | E(top modes + concentrated tail) - E(top modes + tail power) |,

    exact to first order in ``lambda_max_tail / sigma_eff^2 * n`` (higher orders are not bounded; the
    bound is small only when that ratio is).  For the sharp and budget stops it is 0 whenever the
    stop lies inside the listed modes in both configurations (the running ridges there are exact).

    Returns ``{theory: bound}`` (absolute, in test-error units) for :data:`THEORIES`, plus
    ``"tail_ratio"``: ``n lambda_max_tail / sigma_eff^2`` with the eigenlearning ridge, the expansion
    parameter (the learnability of the largest unlisted mode is ``ratio / (1 + ratio)``).
    """
    sh = _as_shells(spectrum)
    tp, tp_tail = _target_power(sh, target_power, target_tail)
    lam_c = float(sh.lam[-1]) if lam_tail_max is None else check_positive(lam_tail_max, "lam_tail_max")
    if preds is None:
        preds = predict_all(sh, ridge, n, tp, noise, target_tail=tp_tail)
    if sh.tail <= 0 and tp_tail <= 0:
        out = {t: 0.0 for t in THEORIES}
        out["tail_ratio"] = 0.0
        return out
    if not lam_c > 0:
        raise ParameterError("lam_tail_max", lam_c, "a positive bound on the unlisted eigenvalues (the smallest "
                             "listed eigenvalue is 0: list fewer modes)")
    conc = Shells(np.concatenate([sh.lam, [lam_c]]), np.concatenate([sh.mult, [sh.tail / lam_c]]), 0.0)
    tp_c = np.concatenate([tp, [tp_tail]])
    pc = predict_all(conc, ridge, n, tp_c, noise)
    out = {t: abs(pc[t].test_error - preds[t].test_error) for t in THEORIES}
    out["tail_ratio"] = float(n * lam_c / max(preds["eigenlearning"].effective_ridge * n, np.finfo(float).tiny))
    return out


def theory_row(preds: dict) -> dict:
    """The learning-curve row keys of the four predictions (the ``symrg learning-curve`` contract)."""
    rg, bud, sc, el = (preds[t] for t in THEORIES)
    return {"theory_rg": rg.test_error, "theory_rg_budget": bud.test_error,
            "theory_rg_selfconsistent": sc.test_error, "theory_eigenlearning": el.test_error,
            "kappa_star": rg.extra["kappa_star"], "sigma2_star": rg.extra["sigma2_star"],
            "kappa_star_budget": bud.extra["kappa_star"], "sigma2_star_budget": bud.extra["sigma2_star"],
            "sigma2_selfconsistent": sc.extra["sigma2_selfconsistent"], "kappa_eff": el.effective_ridge}


def learning_curve(spectrum, ridge, ns, target_power=None, noise=None, *, target_tail: float = 0.0,
                   **stop_kw) -> list[dict]:
    """All four theories on a grid of data-set sizes (``eta = n``)."""
    if isinstance(ns, (str, bytes)) or not np.iterable(ns):
        raise ParameterError("ns", ns, "a list of data-set sizes > 0")
    ns = [check_positive(n, "ns") for n in ns]
    return [{"n": float(n), **theory_row(predict_all(spectrum, ridge, n, target_power, noise,
                                                     target_tail=target_tail, **stop_kw))} for n in ns]


def fit_exponent(x, y) -> tuple[float, float]:
    """Least-squares slope of ``log y`` against ``log x``, with its standard error."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    for name, v in (("x", x), ("y", y)):
        if not np.all(np.isfinite(v) & (v > 0)):
            raise ParameterError(name, v.tolist(), "finite positive values (a log-log fit)")
    x, y = np.log(x), np.log(y)
    if x.size < 3:
        raise ParameterError("points", x.size, "at least 3 points to fit an exponent")
    A = np.vstack([x, np.ones_like(x)]).T
    coef, res, *_ = np.linalg.lstsq(A, y, rcond=None)
    dof = max(x.size - 2, 1)
    sigma2 = float(np.sum((y - A @ coef) ** 2)) / dof
    cov = sigma2 * np.linalg.inv(A.T @ A)
    return float(coef[0]), float(math.sqrt(cov[0, 0]))


def powerlaw_exponent_check(alpha: float, ridge: float = 1e-3, A: float = 1.0, n_modes: int = 200_000,
                            ns=None) -> dict:
    """Fit the RG and eigenlearning learning curves of a matched power law ``lambda_k = A k^-(1+alpha)``
    and compare the slopes with ``-alpha/(1+alpha)`` (docs/theory.md section 4, fixed sigma^2)."""
    from .._generated import gaussian_flow as g

    alpha = check_positive(alpha, "alpha")
    k = np.arange(1, n_modes + 1, dtype=float)
    lam = A * k ** (-(1 + alpha))
    tail = float(g.sigma2_powerlaw(0.0, A, alpha, float(n_modes)))
    sh = Shells(lam, np.ones_like(lam), tail)
    ns = np.unique(np.round(np.logspace(2, 3.5, 8))) if ns is None else np.asarray(ns, dtype=float)
    curve = learning_curve(sh, ridge, ns)
    rg_slope, rg_se = fit_exponent(ns, [c["theory_rg"] for c in curve])
    el_slope, el_se = fit_exponent(ns, [c["theory_eigenlearning"] for c in curve])
    return {"alpha": alpha, "expected": -alpha / (1 + alpha), "rg_slope": rg_slope, "rg_slope_se": rg_se,
            "eigenlearning_slope": el_slope, "eigenlearning_slope_se": el_se, "ns": ns.tolist()}
