"""Checks of the Gaussian flow (docs/theory.md sections 4 and 7): the derived per-sample integral against
quadrature, the Hurwitz tail against direct summation, the generated code against its mpmath twin, the
flow ODE against the derived closed form, the IR scale and error exponents, and learning curves.
The reduced-GP checks (finite-n statement of section 4) are in :mod:`.checks_reduced`."""
from __future__ import annotations

import functools
import math

import numpy as np

from .registry import _rel, check


@check("flow.per_sample_integral",
       "int dg N(g; 0, c) exp(-(h+g)^2/(2 sigma^2)) (docs/theory.md section 4, per-sample Gaussian step)",
       "SymPy: derive_gaussian_flow().per_sample_result (sympy.integrate of the integrand, tidied), "
       "evaluated with evalf at 30 digits",
       "mpmath.quad of the defining integral over g at 30 digits (no closed form used)", 1e-12,
       category="two-route")
def _per_sample_integral():
    import mpmath
    import sympy as sp

    from ..theory.gaussian import SYMBOLS, derive_gaussian_flow

    expr = derive_gaussian_flow().per_sample_result
    h, s2, c = SYMBOLS["h"], SYMBOLS["sigma2"], SYMBOLS["c"]
    rng = np.random.default_rng(11)
    worst, pts = 0.0, []
    for _ in range(6):
        hv, s2v, cv = (f"{x:.6f}" for x in (rng.uniform(-2, 2), rng.uniform(0.05, 2), rng.uniform(0.01, 3)))
        a = expr.evalf(30, subs={h: sp.Float(hv, 30), s2: sp.Float(s2v, 30), c: sp.Float(cv, 30)})
        with mpmath.workdps(30):
            H, S, Cc = mpmath.mpf(hv), mpmath.mpf(s2v), mpmath.mpf(cv)
            f = lambda g: mpmath.exp(-g * g / (2 * Cc) - (H + g) ** 2 / (2 * S)) / mpmath.sqrt(2 * mpmath.pi * Cc)
            peak = -H * Cc / (S + Cc)                       # maximum of the integrand
            b = mpmath.quad(f, [-mpmath.inf, peak, mpmath.inf])
            worst = max(worst, float(abs(mpmath.mpf(str(a)) - b) / abs(b)))
        pts.append(f"({hv}, {s2v}, {cv})")
    return worst, f"derived: {expr}; 6 random points (h, sigma2, c): " + ", ".join(pts)


@check("flow.hurwitz", "sum_{k>kappa} A k^-(1+alpha) = A zeta(1+alpha, kappa+1) (docs/theory.md section 4)",
       "generated sigma2_powerlaw: the Hurwitz zeta from sympy.summation, lowered to scipy.special.zeta",
       "mpmath.nsum of the series A k^-(1+alpha) itself (Euler-Maclaurin), 30 digits", 1e-12, category="two-route")
def _hurwitz():
    import mpmath

    from .._generated import gaussian_flow as g

    worst = 0.0
    for alpha in (0.5, 1.0, 2.5):
        for kappa in (0, 7, 100):
            with mpmath.workdps(30):
                s = mpmath.nsum(lambda k: 0.7 * k ** (-(1 + alpha)), [kappa + 1, mpmath.inf], method="euler-maclaurin")
            worst = max(worst, _rel(g.sigma2_powerlaw(0.0, 0.7, alpha, kappa), float(s)))
    return worst, "alpha in {0.5, 1, 2.5}, kappa in {0, 7, 100}"


@check("flow.codegen_twin", "generated flow functions (docs/theory.md section 4)",
       "generated NumPy module symrg/_generated/gaussian_flow.py", "generated mpmath twin gaussian_flow_mp.py, "
       "30 digits", 1e-12, category="lowering")
def _codegen_twin():
    import mpmath

    from .._generated import gaussian_flow as g, gaussian_flow_mp as gm

    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(20):
        s2, A, alpha, kap = rng.uniform(0, 1), rng.uniform(0.1, 2), rng.uniform(0.2, 3), rng.uniform(1, 500)
        with mpmath.workdps(30):
            worst = max(worst, _rel(g.sigma2_powerlaw(s2, A, alpha, kap), float(gm.sigma2_powerlaw(s2, A, alpha, kap))))
            worst = max(worst, _rel(g.flow_powerlaw(A, alpha, kap), float(gm.flow_powerlaw(A, alpha, kap))))
    lam = rng.uniform(0, 1, 50)
    with mpmath.workdps(30):
        worst = max(worst, _rel(g.sigma2_tail(0.1, lam), [float(x) for x in gm.sigma2_tail(0.1, lam)]))
    return worst, "20 random points + a 50-mode spectrum"


@check("flow.ode_vs_closed_form",
       "d sigma^2/d kappa = -A kappa^-(1+alpha) integrates to sigma^2 + A kappa^-alpha/alpha (docs/theory.md section 4)",
       "scipy solve_ivp (DOP853, rtol 1e-13) of the generated continuum flow flow_powerlaw from kappa_uv = 1e4 "
       "down to kappa in {1000, 100, 10, 1}, started at the closed form's value at kappa_uv",
       "generated closed form sigma2_powerlaw_asymptotic (sympy.integrate of the continuum tail)", 1e-8,
       category="two-route")
def _ode_closed():
    from scipy.integrate import solve_ivp

    from .._generated import gaussian_flow as g

    kuv, kap = 1e4, np.array([1000.0, 100.0, 10.0, 1.0])
    worst, det = 0.0, []
    for s2, A, alpha in ((0.01, 1.0, 1.0), (0.1, 0.7, 0.5), (0.0, 2.0, 2.5)):
        y0 = float(g.sigma2_powerlaw_asymptotic(s2, A, alpha, kuv))
        sol = solve_ivp(lambda k, y: np.atleast_1d(g.flow_powerlaw(A, alpha, k)), (kuv, kap[-1]), [y0], t_eval=kap,
                        method="DOP853", rtol=1e-13, atol=1e-16)
        if not sol.success:
            return float("inf"), f"solve_ivp failed: {sol.message}"
        closed = g.sigma2_powerlaw_asymptotic(s2, A, alpha, kap)
        worst = max(worst, _rel(sol.y[0], closed))
        det.append(f"(sigma2, A, alpha) = ({s2}, {A}, {alpha}): ODE {sol.y[0][-1]:.12g} vs {float(closed[-1]):.12g} at kappa=1")
    return worst, "; ".join(det)


@check("flow.ir_scale", "IR cutoff kappa* ~ eta^(1/(1+alpha)) (alpha = 1, sigma^2 = 1; docs/theory.md section 4)",
       "numerics.flows.ir_stop on a 2e5-mode power law, fitted log-log slope of kappa*(eta), eta = 1e3..1e6",
       "scaling argument eta lambda_kappa* ~ sigma^2: exponent 1/(1+alpha) = 0.5", 0.01, category="two-route")
def _ir_scale():
    from ..numerics.flows import Shells, ir_stop
    from ..numerics.predictions import fit_exponent
    from .._generated import gaussian_flow as g

    k = np.arange(1, 200_001, dtype=float)
    sh = Shells(k ** -2.0, np.ones_like(k), float(g.sigma2_powerlaw(0.0, 1.0, 1.0, 200_000.0)))
    etas = np.logspace(3, 6, 7)
    kap = [ir_stop(sh, 1.0, e).kappa for e in etas]
    slope, se = fit_exponent(etas, kap)
    return abs(slope - 0.5), f"slope {slope:.4f} +- {se:.4f}"


@check("flow.error_exponent", "E ~ eta^(-alpha/(1+alpha)) at fixed sigma^2 (alpha = 1; docs/theory.md section 4)",
       "fitted log-log slopes of the RG and eigenlearning learning curves (numerics.flows.powerlaw_exponent_check, "
       "2e5-mode matched power law, eta = 1e3..1e5)",
       "scaling argument: exponent -alpha/(1+alpha) = -0.5", 0.01, category="two-route")
def _err_exponent():
    from ..numerics.predictions import powerlaw_exponent_check

    out = powerlaw_exponent_check(1.0, ridge=1.0, n_modes=200_000, ns=np.logspace(3, 5, 7))
    d = max(abs(out["rg_slope"] - out["expected"]), abs(out["eigenlearning_slope"] - out["expected"]))
    return d, f"RG {out['rg_slope']:.4f}, eigenlearning {out['eigenlearning_slope']:.4f}, expected {out['expected']}"


@functools.lru_cache(maxsize=4)
def learning_curve_comparison(trials=24, seed=7):
    from ..numerics.simulate import simulate_learning_curve, theory_learning_curve
    from ..spectra.kernels import NNGPKernel

    kernel = NNGPKernel("relu", 1)
    ns = [16, 64, 256]
    target = {1: 0.5, 2: 0.3, 4: 0.2}
    sim = simulate_learning_curve(kernel, 5, 1e-2, ns, target, trials=trials, seed=seed, n_test=1500)
    th = theory_learning_curve(kernel, 5, 1e-2, ns, target)
    return [{**s, **t} for s, t in zip(sim, th)]


@check("learning.eigenlearning_vs_simulation", "test MSE of GP regression on S^4 (ReLU NNGP)",
       "eigenlearning prediction", "exact GP simulation (24 trials)", 1.0, category="two-route")
def _el_sim():
    rows = learning_curve_comparison()
    worst = max(abs(r["simulation_mse"] - r["theory_eigenlearning"]) /
                (3 * r["simulation_sem"] + 0.1 * r["theory_eigenlearning"]) for r in rows)
    return worst, "ratio |sim - theory| / (3 sem + 10%); " + "; ".join(
        f"n={r['n']}: sim {r['simulation_mse']:.4g}+-{r['simulation_sem']:.2g}, EL {r['theory_eigenlearning']:.4g}"
        for r in rows)


@check("learning.rg_vs_simulation", "test MSE of GP regression on S^4 (ReLU NNGP)",
       "RG prediction (single cutoff)", "exact GP simulation (24 trials)", math.log(2.0), category="two-route")
def _rg_sim():
    rows = learning_curve_comparison()
    worst = max(abs(math.log(r["theory_rg"] / r["simulation_mse"])) for r in rows)
    return worst, "|log(RG/sim)| (tolerance = factor 2); " + "; ".join(
        f"n={r['n']}: sim {r['simulation_mse']:.4g}, RG {r['theory_rg']:.4g}" for r in rows)
