"""The paper's real-data scaling claim: the learning-curve exponent predicted from the spectrum
(docs/theory.md section 4c).

Window.  By default the exponents are fitted on the modes the flow crosses over the measured range:
``[kappa*(n_min), kappa*(n_max)]`` of the budget-respecting stop on the pool spectrum (widened to at
least 10 modes), since ``E(n) ~ T(kappa*(n))`` depends on nothing else; it must lie inside the
resolved part of the spectrum (at most P/4).  ``--fit-window LO,HI`` overrides it.

Formula.  Fit, on the window ``[k_lo, k_hi]``, ``lambda_k = A k^{-(1+alpha)}`` and the target's tail power
``T(k) = sum_{k' >= k} y_k'^2 = B k^{-beta}`` (the tail is fitted rather than the per-mode power
``y_k^2 ~ k^{-(1+beta)}``, which fluctuates from mode to mode).  The RG says that at size ``n``
the modes up to the IR stop ``kappa*(n)`` are learned and the rest are not, so
``E(n) ~ T(kappa*(n)) ~ kappa*^{-beta}``.  On the fitted power law the stop solves
``n lambda_kappa = sigma_kappa^2 = sigma^2 + A kappa^{-alpha}/alpha`` (learnability 1/2 under the
renormalised ridge, continuum form); with ``gamma = d log kappa* / d log n`` over the measured
range the predicted slope is

    predicted_slope = -beta * gamma,

which is ``-beta/(1+alpha)`` when the bare ridge dominates (the paper's statement; for a matched
target ``beta = alpha`` it is ``-alpha/(1+alpha)``) and tends to ``-beta`` when the renormalised
ridge is dominated by the tail power (the ridgeless regime).

Intervals.  ``alpha_ci`` / ``beta_ci``: the range of the local exponents fitted on four equal
log-spaced sub-windows, widened to at least the global fit's 95% statistical interval (the
spectrum is not an exact power law, and the local spread is the honest uncertainty).
``predicted_slope_ci``: the predicted slope at the corners of the (alpha, beta) box.
``measured_slope_ci``: 95% percentile bootstrap over trials (training sets are nested within a
trial, so trials are the independent units).  ``consistent``: the prediction lies inside the
measured interval.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from .._validate import check_int, check_ridge
from ..errors import ParameterError

__all__ = ["fit_window_default", "window_exponent", "ir_stop_exponent", "scaling_study", "MIN_WINDOW_MODES"]

MIN_WINDOW_MODES = 10
BOOTSTRAP = 2000


def fit_window_default(shells, ridge: float, ns) -> tuple[int, int]:
    """The modes the budget-respecting RG stop crosses over ``ns`` (module doc), at least 10."""
    from ..numerics.flows import ir_stop

    P = int(round(float(np.sum(shells.mult))))
    lo = max(1, int(math.floor(ir_stop(shells, ridge, min(ns), budget=True).kappa)))
    hi = int(math.ceil(ir_stop(shells, ridge, max(ns), budget=True).kappa))
    hi = max(hi, lo + MIN_WINDOW_MODES - 1)
    if hi > P // 4:
        raise ParameterError("ns", f"{min(ns)}..{max(ns)}", f"sizes whose IR stop stays in the resolved part of the "
                             f"spectrum (kappa* <= P/4 = {P // 4}; here kappa*(n_max) = {hi})",
                             "use a larger --pool, smaller --ns, or give --fit-window")
    return lo, hi


def _check_window(window, P: int) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in window)
    except (TypeError, ValueError):
        raise ParameterError("fit_window", window, "two mode indices LO,HI") from None
    if not (1 <= lo < hi <= P - 1) or hi - lo + 1 < MIN_WINDOW_MODES:
        raise ParameterError("fit_window", f"{lo},{hi}", f"modes LO,HI with 1 <= LO < HI <= {P - 1} (the pool's "
                             f"modes) and at least {MIN_WINDOW_MODES} modes in the window")
    return lo, hi


def _loglog(k, v):
    A = np.vstack([np.log(k), np.ones_like(k)]).T
    coef, *_ = np.linalg.lstsq(A, np.log(v), rcond=None)
    resid = np.log(v) - A @ coef
    dof = max(k.size - 2, 1)
    se = math.sqrt(float(resid @ resid) / dof * np.linalg.inv(A.T @ A)[0, 0])
    return float(coef[0]), float(coef[1]), se


def window_exponent(values, window, offset: float = 0.0) -> dict:
    """Fit ``values[k-1] ~ C k^{-(offset + e)}`` on the window; returns ``e``, its interval
    (module doc), ``log C`` and the local exponents of four sub-windows."""
    from scipy.stats import t as student

    lo, hi = window
    v = np.asarray(values, dtype=float)[lo - 1:hi]
    k = np.arange(lo, hi + 1, dtype=float)
    if np.any(~np.isfinite(v) | (v <= 0)):
        raise ParameterError("fit_window", f"{lo},{hi}", "modes with positive values (some are zero: "
                             "choose a window inside the resolved spectrum)")
    slope, logc, se = _loglog(k, v)
    e = -slope - offset
    edges = np.unique(np.round(np.geomspace(lo, hi, 5)).astype(int))
    local = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b - a + 1 >= 3:
            sl, _, _ = _loglog(k[a - lo:b - lo + 1], v[a - lo:b - lo + 1])
            local.append(-sl - offset)
    q = float(student.ppf(0.975, max(k.size - 2, 1)))
    ci = [min(local + [e - q * se]), max(local + [e + q * se])]
    return {"exponent": e, "ci": ci, "log_amplitude": logc, "local": local, "se": se}


def ir_stop_exponent(A: float, alpha: float, ridge: float, ns) -> float:
    """``gamma = d log kappa*/d log n`` of the RG stop on ``lambda = A k^{-(1+alpha)}``
    (module doc), from a log-log fit over ``ns``."""
    ks = []
    for n in ns:
        f = lambda lk: n * A * math.exp(-(1 + alpha) * lk) - ridge - A * math.exp(-alpha * lk) / alpha  # noqa: E731
        lo, hi = -50.0, 200.0
        if f(lo) < 0:   # even the first mode is unlearnable
            ks.append(math.exp(lo))
            continue
        ks.append(math.exp(brentq(f, lo, hi, xtol=1e-12)))
    x, y = np.log(np.asarray(ns, float)), np.log(np.asarray(ks))
    return float(np.polyfit(x, y, 1)[0])


def _bootstrap_slope(ns, per_trial, seed: int) -> tuple[float, list]:
    E = np.asarray(per_trial, dtype=float)                      # (trials, len(ns))
    x = np.log(np.asarray(ns, float))
    slope = float(np.polyfit(x, np.log(E.mean(axis=0)), 1)[0])
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xB007]))
    T = E.shape[0]
    boots = [np.polyfit(x, np.log(E[rng.integers(0, T, T)].mean(axis=0)), 1)[0] for _ in range(BOOTSTRAP)]
    return slope, [float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))]


def scaling_study(data, kernel, ridge: float, ns, pool: int, trials: int = 10, seed: int = 0,
                  target_class=None, pair=None, fit_window=None, n_test: int | None = None, progress=None,
                  executor=None, kappa: int | None = None) -> dict:
    """Fit the exponents, predict the slope, measure it on held-out data (module doc).

    Returns the ``symrg scaling`` contract: ``alpha``, ``alpha_ci``, ``fit_window``,
    ``predicted_slope``, ``measured_slope``, ``measured_slope_ci``, ``consistent``, and more.
    """
    from .realdata import curve_on_pool, pool_problem

    ridge = check_ridge(ridge)
    trials = check_int(trials, "trials", 3, 100_000)
    prob = pool_problem(data, pool, seed, n_test, target_class, pair)
    P = prob.pool
    ns = sorted({check_int(n, "ns", 1, None) for n in ns})
    if len(ns) < 3:
        raise ParameterError("ns", ns, "at least 3 distinct training-set sizes to fit a slope")
    lc, sh, tp = curve_on_pool(prob, kernel, ridge, ns, trials, seed, progress, executor, kappa)
    # on the top-kappa route only the listed modes are resolved one by one
    window = _check_window(fit_window or fit_window_default(sh, ridge, ns), min(P, len(sh.lam) + 1))
    lam = sh.lam
    # T(k) = sum_{k' >= k} y_k'^2, with the power of the unlisted modes on the top-kappa route
    tail = np.cumsum(tp[::-1])[::-1] + lc["target_tail"]
    a = window_exponent(lam, window, offset=1.0)
    b = window_exponent(tail, window)
    A = math.exp(a["log_amplitude"])

    def predict(alpha, beta):
        return -beta * ir_stop_exponent(A, alpha, ridge, ns)

    pred = predict(a["exponent"], b["exponent"])
    corners = [predict(x, y) for x in a["ci"] for y in b["ci"] if x > 0]
    measured, mci = _bootstrap_slope(ns, lc["per_trial_heldout"], seed)
    theory_slopes = {}
    for key in ("theory_rg", "theory_rg_budget", "theory_rg_selfconsistent", "theory_eigenlearning"):
        ys = [r[key] for r in lc["rows"]]
        theory_slopes[key] = float(np.polyfit(np.log(ns), np.log(ys), 1)[0]) if min(ys) > 0 else float("nan")
    return {
        "dataset": lc["dataset"], "target": lc["target"], "kernel": lc["kernel"], "pool": P, "ridge": ridge,
        "ns": ns, "trials": trials, "seed": seed, "fit_window": list(window),
        "fit_window_rule": "given" if fit_window else "modes crossed by the budget-respecting stop over ns",
        "alpha": a["exponent"], "alpha_ci": a["ci"], "alpha_local": a["local"],
        "beta": b["exponent"], "beta_ci": b["ci"], "beta_local": b["local"],
        "gamma": ir_stop_exponent(A, a["exponent"], ridge, ns),
        "predicted_slope": pred, "predicted_slope_ci": [min(corners + [pred]), max(corners + [pred])],
        "predicted_slope_fixed_ridge": -b["exponent"] / (1 + a["exponent"]),
        "predicted_slope_matched": -a["exponent"] / (1 + a["exponent"]),
        "measured_slope": measured, "measured_slope_ci": mci,
        "consistent": bool(mci[0] <= pred <= mci[1]),
        "pool_fraction": max(ns) / P,
        "theory_slopes_full_spectrum": theory_slopes,
        "rows": lc["rows"],
        "formula": "predicted_slope = -beta * gamma, gamma = dlog kappa*/dlog n of the RG stop on the fitted "
                   "power law (n lambda_kappa = sigma^2 + A kappa^-alpha/alpha)",
    }
