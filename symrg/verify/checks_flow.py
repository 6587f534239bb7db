"""Checks of the Gaussian flow, its generated code, the flow ODE, the IR scale, learning curves and the reduced GP (docs/theory.md section 7)."""
from __future__ import annotations

import functools
import math

import numpy as np

from .registry import _rel, check


@check("flow.derived_ridge", "sigma_kappa^2 = sigma^2 + sum_{k>kappa} lambda_k (THEORY 4)",
       "SymPy Gaussian integration (per sample and replica M->0)", "closed form of THEORY.md", 0.0)
def _derived_ridge():
    import sympy as sp

    from ..theory.gaussian import SYMBOLS, derive_gaussian_flow

    d = derive_gaussian_flow()
    k, kappa, sigma2, lam = SYMBOLS["k"], SYMBOLS["kappa"], SYMBOLS["sigma2"], SYMBOLS["lambda"]
    target = sigma2 + sp.Sum(lam(k), (k, kappa + 1, sp.oo))
    diff = sp.simplify(d.sigma2_kappa - target)
    ok = diff == 0 and sp.simplify(d.replica_prefactor_limit - 1) == 0
    return (0.0 if ok else 1.0), f"derived: {d.sigma2_kappa}; replica prefactor at M->0: {d.replica_prefactor_limit}"


@check("flow.hurwitz", "sum_{k>kappa} A k^-(1+alpha) = A zeta(1+alpha, kappa+1)",
       "generated NumPy (scipy zeta)", "mpmath Euler-Maclaurin summation, 30 digits", 1e-12)
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


@check("flow.codegen_twin", "generated flow functions",
       "generated NumPy module", "generated mpmath twin, 30 digits", 1e-12)
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


@check("flow.ode_vs_sum", "d sigma^2/d kappa = -lambda_kappa integrates to the tail sum",
       "SciPy solve_ivp of the flow ODE", "discrete tail sum (generated)", 1e-10)
def _ode():
    from ..numerics.flows import Shells, flow_ode, renormalized_ridge

    k = np.arange(1, 201, dtype=float)
    sh = Shells.from_modes(k ** -1.7)
    grid = np.arange(0, 201, 10.0)
    _, ode = flow_ode(sh, 0.01, grid)
    return _rel(ode, renormalized_ridge(sh, 0.01)[grid.astype(int)]), "200-mode power law, 21 cutoffs"


@check("flow.ir_scale", "IR cutoff kappa* ~ eta^(1/(1+alpha)) (alpha = 1, sigma^2 = 1)",
       "fitted slope of the RG stop kappa*(eta)", "1/(1+alpha)", 0.05)
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


@check("flow.error_exponent", "E ~ eta^(-alpha/(1+alpha)) at fixed sigma^2 (alpha = 1)",
       "fitted slope of RG and eigenlearning curves", "-alpha/(1+alpha)", 0.05)
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
       "eigenlearning prediction", "exact GP simulation (24 trials)", 1.0)
def _el_sim():
    rows = learning_curve_comparison()
    worst = max(abs(r["simulation_mse"] - r["theory_eigenlearning"]) /
                (3 * r["simulation_sem"] + 0.1 * r["theory_eigenlearning"]) for r in rows)
    return worst, "ratio |sim - theory| / (3 sem + 10%); " + "; ".join(
        f"n={r['n']}: sim {r['simulation_mse']:.4g}+-{r['simulation_sem']:.2g}, EL {r['theory_eigenlearning']:.4g}"
        for r in rows)


@check("learning.rg_vs_simulation", "test MSE of GP regression on S^4 (ReLU NNGP)",
       "RG prediction (single cutoff)", "exact GP simulation (24 trials)", math.log(2.0))
def _rg_sim():
    rows = learning_curve_comparison()
    worst = max(abs(math.log(r["theory_rg"] / r["simulation_mse"])) for r in rows)
    return worst, "|log(RG/sim)| (tolerance = factor 2); " + "; ".join(
        f"n={r['n']}: sim {r['simulation_mse']:.4g}, RG {r['theory_rg']:.4g}" for r in rows)


@check("gp.reduced_full_rank", "reduced GP with every mode kept equals the full GP",
       "weight-space reduced GP, kappa = P", "exact GP (Cholesky)", 1e-8)
def _reduced_full():
    from ..data import sample_sphere
    from ..numerics.gp import compare_reduced
    from ..spectra.kernels import NNGPKernel

    rng = np.random.default_rng(0)
    X = sample_sphere(300, 6, rng)
    y = X[:, 0] * X[:, 1] + 0.3 * X[:, 2]
    res = compare_reduced(X, y, NNGPKernel("relu", 2), 1e-2, 60, kappas=[300], seed=0)
    worst = max(v[-1] for v in res.rel_error.values())
    return worst, "sphere pool P = 300, n = 60, all variants"
