"""Checks of the Gaussian flow (docs/theory.md sections 4 and 7): the derived per-sample integral against
quadrature, the Hurwitz tail against direct summation, the generated code against its mpmath twin, the
flow ODE against the derived closed form, the IR scale and error exponents; and regression pins of the
learning curves' theory/simulation ratios (category ``regression``: pinned values, not agreement).
The reduced-GP checks (finite-n statement of section 4) are in :mod:`.checks_reduced`."""
from __future__ import annotations

import functools

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


# REGRESSION PINS, not agreement.  theory / simulation on S^4 (ReLU NNGP, ridge 0.01, target degrees 1, 2, 4),
# per n, as measured ONCE by symrg in this seeded configuration (48 trials, seed 7; 96-trial runs at seeds 7
# and 8 agree within 6%).  The simulation is seeded, so the check is deterministic; the band is the pinned
# ratio +-5%, so a 10% change of a theory or of the simulation fails it.  A pass says the ratio is unchanged,
# NOT that the theory agrees with the simulation: the sharp stops really deviate (0.56 to 1.36 at the
# paper's stop), and only eigenlearning is close to 1 (0.91-1.01).  Hence category "regression".
LEARNING_NS = (10, 64, 256)
LEARNING_MEASURED = {
    "theory_rg": {10: 0.6669, 64: 1.3596, 256: 0.5622},
    "theory_rg_budget": {10: 0.7893, 64: 1.3596, 256: 0.5622},
    "theory_rg_selfconsistent": {10: 0.7157, 64: 0.7910, 256: 0.8941},
    "theory_eigenlearning": {10: 1.0084, 64: 0.9112, 256: 0.9473},
}
LEARNING_BAND_HALF_WIDTH = 0.05
LEARNING_BANDS = {k: {n: (round((1 - LEARNING_BAND_HALF_WIDTH) * r, 4), round((1 + LEARNING_BAND_HALF_WIDTH) * r, 4))
                      for n, r in v.items()} for k, v in LEARNING_MEASURED.items()}
LEARNING_NAMES = {"theory_rg": "paper's sharp stop", "theory_rg_budget": "budget-respecting stop",
                  "theory_rg_selfconsistent": "self-consistent flow", "theory_eigenlearning": "eigenlearning"}


@functools.lru_cache(maxsize=4)
def learning_curve_comparison(trials=48, seed=7):
    from ..numerics.simulate import simulate_learning_curve, theory_learning_curve
    from ..spectra.kernels import NNGPKernel

    kernel = NNGPKernel("relu", 1)
    target = {1: 0.5, 2: 0.3, 4: 0.2}
    sim = simulate_learning_curve(kernel, 5, 1e-2, LEARNING_NS, target, trials=trials, seed=seed, n_test=1500)
    th = theory_learning_curve(kernel, 5, 1e-2, LEARNING_NS, target)
    return tuple({**s, **t} for s, t in zip(sim, th))


def _band_check(key):
    """Discrepancy: relative distance of the measured ratio outside the pinned ratio +-5% (0 inside);
    detail: the pinned and the measured ratio per n."""
    rows = learning_curve_comparison()
    worst, det = 0.0, []
    for r in rows:
        lo, hi = LEARNING_BANDS[key][r["n"]]
        ratio = r[key] / r["simulation_mse"]
        worst = max(worst, lo / ratio - 1 if ratio < lo else (ratio / hi - 1 if ratio > hi else 0.0))
        det.append(f"n={r['n']}: pinned {LEARNING_MEASURED[key][r['n']]:.4f}, measured {ratio:.4f} "
                   f"(band {lo}-{hi})")
    return worst, "theory/simulation ratio; " + "; ".join(det)


def _register_band(key):
    name = key.replace("theory_", "")
    pinned = ", ".join(f"n={n}: {v:.4f}" for n, v in LEARNING_MEASURED[key].items())
    check(f"learning.{name}_band",
          f"regression pin of the theory/simulation ratio of the test MSE, {LEARNING_NAMES[key]} (GP regression "
          "on S^4, ReLU NNGP, ridge 0.01; docs/theory.md sections 4, 4a, 7)",
          f"ratio measured now: {LEARNING_NAMES[key]} prediction from the Funk-Hecke spectrum over the exact GP "
          "simulation (48 trials, seed 7)",
          f"pinned ratio, measured once by symrg in the same seeded configuration, +-5%: {pinned}",
          0.0, category="regression")(lambda: _band_check(key))


for _key in LEARNING_BANDS:
    _register_band(_key)


def _closure_spectra():
    from .._generated import gaussian_flow as g
    from ..data import load_digits
    from ..numerics.flows import Shells
    from ..spectra.empirical import EmpiricalSpectrum
    from ..spectra.funk_hecke import sphere_spectrum
    from ..spectra.kernels import NNGPKernel

    k = np.arange(1, 50_001, dtype=float)
    X = load_digits().on_sphere()[:500]
    return {"sphere S^4": Shells.from_spectrum(sphere_spectrum(NNGPKernel("relu", 1), 5, 64)),
            "sphere S^29 depth 2": Shells.from_spectrum(sphere_spectrum(NNGPKernel("relu", 2), 30, 40)),
            "power law alpha=0.5": Shells(k ** -1.5, np.ones_like(k), float(g.sigma2_powerlaw(0.0, 1.0, 0.5, 5e4))),
            "digits pool 500": Shells.from_modes(np.clip(EmpiricalSpectrum.from_gram(
                NNGPKernel("relu", 1).gram(X), check=False).eigenvalues, 0, None))}


@check("flow.selfconsistent_vs_eigenlearning",
       "sigma_eff^2 = sigma^2 + sum_k lambda_k sigma_eff^2/(sigma_eff^2 + eta lambda_k) equals n kappa_eff "
       "(docs/theory.md section 4a)",
       "root of the closure generated from the derivation (symrg._generated.selfconsistent_flow, Brent's method "
       "on the shift delta = sigma_eff^2 - sigma^2)",
       "eigenlearning equation sum_k lambda_k/(lambda_k + kappa) + sigma^2/kappa = n written by hand and solved "
       "for log kappa (numerics.predictions.eigenlearning_ridge)", 1e-10, category="two-route")
def _sc_vs_el():
    from ..numerics.predictions import eigenlearning_ridge
    from ..numerics.selfconsistent import selfconsistent_ridge

    worst, where = 0.0, ""
    for name, sh in _closure_spectra().items():
        for ridge in (1e-4, 1e-2, 1.0):
            for n in (2, 20, 200, 2000):
                a = selfconsistent_ridge(sh, ridge, n).sigma2
                b = n * eigenlearning_ridge(sh, ridge, n)
                rel = abs(a - b) / b
                if rel >= worst:
                    worst, where = rel, f"{name}, ridge {ridge:g}, n {n}"
    return worst, f"4 spectra x 3 ridges x 4 sizes; worst at {where}"


@check("flow.selfconsistent_codegen_twin", "generated self-consistent closure (docs/theory.md section 4a)",
       "generated NumPy module selfconsistent_flow", "generated mpmath twin, 30 digits", 1e-12, category="lowering")
def _sc_twin():
    import mpmath

    from .._generated import selfconsistent_flow as g, selfconsistent_flow_mp as gm

    rng = np.random.default_rng(3)
    worst = 0.0
    for _ in range(10):
        lam, m = rng.uniform(0, 1, 12), rng.integers(1, 20, 12).astype(float)
        d, s2, eta, t = rng.uniform(0, 2), rng.uniform(0, 1), rng.uniform(1, 100), rng.uniform(0, 0.3)
        with mpmath.workdps(30):
            for f, fm in ((g.shift_residual, gm.shift_residual),
                          (g.shift_residual_derivative, gm.shift_residual_derivative)):
                a, b = float(f(d, s2, eta, t, lam, m)), float(fm(d, s2, eta, t, lam, m))
                worst = max(worst, abs(a - b) / max(abs(b), 1e-300))
    return worst, "10 random 12-shell spectra, residual and derivative"
