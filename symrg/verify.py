"""The registry of cross-checks behind ``symrg verify`` (THEORY.md section 7).

Each check compares one closed form of the theory computed by two independent routes and
returns a measured discrepancy, which must not exceed the check's tolerance.  ``quick`` checks
run by default; ``full`` ones (high-precision or large runs) run with ``symrg verify --full``.
Other modules add checks with the :func:`check` decorator; :func:`load_all` imports them.
"""
from __future__ import annotations

import functools
import math
import time
import traceback
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Check:
    name: str
    claim: str
    route_a: str
    route_b: str
    tolerance: float
    full_only: bool
    func: Callable[[], tuple]


@dataclass
class CheckResult:
    name: str
    claim: str
    route_a: str
    route_b: str
    agreement: float
    tolerance: float
    passed: bool
    seconds: float
    detail: str

    def to_dict(self) -> dict:
        d = asdict(self)
        if not math.isfinite(d["agreement"]):
            d["agreement"] = str(d["agreement"])
        return d


REGISTRY: dict[str, Check] = {}


def check(name: str, claim: str, route_a: str, route_b: str, tolerance: float, full: bool = False):
    """Register ``func() -> (discrepancy, detail)``; passes when ``discrepancy <= tolerance``."""
    def deco(func):
        REGISTRY[name] = Check(name, claim, route_a, route_b, float(tolerance), full, func)
        return func
    return deco


def load_all() -> dict[str, Check]:
    """Import every module that registers checks."""
    import importlib

    for mod in ("symrg.numerics.input_ridge", "symrg.numerics.finite_width"):
        try:
            importlib.import_module(mod)
        except ImportError:  # a capability not installed in this build
            pass
    return REGISTRY


def run_checks(full: bool = False, only: str | None = None, progress=None) -> list[CheckResult]:
    checks = [c for c in load_all().values() if (full or not c.full_only) and (only is None or only in c.name)]
    if only is not None and not checks:
        from .errors import ParameterError

        raise ParameterError("only", only, f"text contained in a check name, e.g. one of {sorted(REGISTRY)[:4]}")
    out = []
    for i, c in enumerate(checks):
        t0 = time.perf_counter()
        try:
            disc, detail = c.func()
            disc = float(disc)
            passed = math.isfinite(disc) and disc <= c.tolerance
        except Exception as exc:  # a crashing check is a failed check, reported with its error
            disc, detail, passed = float("nan"), f"error: {type(exc).__name__}: {exc}\n" + \
                traceback.format_exc(limit=3), False
        out.append(CheckResult(c.name, c.claim, c.route_a, c.route_b, disc, c.tolerance, passed,
                               time.perf_counter() - t0, detail))
        if progress:
            progress(i + 1, len(checks), c.name)
    return out


def format_table(results: list[CheckResult]) -> str:
    rows = [("check", "routes compared", "agreement", "tolerance", "result")]
    for r in results:
        rows.append((r.name, f"{r.route_a}  vs  {r.route_b}", f"{r.agreement:.2e}", f"{r.tolerance:.0e}",
                     "PASS" if r.passed else "FAIL"))
    w = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(x.ljust(w[i]) for i, x in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(lines)


def markdown_table(results: list[CheckResult]) -> str:
    lines = ["| check | closed form | route A | route B | agreement | tolerance | result |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| `{r.name}` | {r.claim} | {r.route_a} | {r.route_b} | {r.agreement:.2e} | "
                     f"{r.tolerance:.0e} | {'PASS' if r.passed else '**FAIL**'} |")
    return "\n".join(lines)


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale))


# ====================================================================== spectra checks ==
@check("spectrum.circle_exact", "ReLU eigenvalues on S^1 (rational multiples of 1/pi^2)",
       "fast float64 Funk-Hecke", "SymPy exact integral", 1e-13)
def _circle_exact():
    import sympy as sp

    from .spectra.funk_hecke import funk_hecke_fast
    from .spectra.kernels import NNGPKernel

    th = sp.symbols("theta", real=True)
    k = (sp.sin(th) + (sp.pi - th) * sp.cos(th)) / sp.pi
    ls = [0, 1, 2, 4, 6]
    exact = [float(sp.integrate(k * sp.cos(l * th), (th, 0, sp.pi)) / sp.pi) for l in ls]
    fast = funk_hecke_fast(NNGPKernel("relu", 1), 2, 8)[ls]
    return _rel(fast, exact), f"degrees {ls}"


def _fast_vs_mp(act, depth, d, lmax, dps):
    from .spectra.funk_hecke import funk_hecke_fast, funk_hecke_mp, log_multiplicity
    from .spectra.kernels import NNGPKernel

    k = NNGPKernel(act, depth)
    fast = funk_hecke_fast(k, d, lmax)
    mp = np.array([float(x) for x in funk_hecke_mp(k, d, lmax, dps=dps)])
    power = np.exp(log_multiplicity(d, np.arange(lmax + 1))) * np.abs(mp)
    m = (power > 1e-16 * k.k1) & (np.abs(mp) > np.finfo(float).tiny)
    rel = np.abs(fast - mp)[m] / np.abs(mp[m])
    return float(rel.max()), (f"{act} depth {depth}, d={d}, {int(m.sum())} degrees <= {lmax} carrying power; "
                              f"smallest eigenvalue {np.abs(mp[m]).min():.3e}; mp at {dps} digits")


@check("spectrum.fast_vs_mp", "Funk-Hecke eigenvalues lambda_l (S^2, l <= 24)",
       "fast sign-definite series", "mpmath tanh-sinh quadrature", 1e-10)
def _fvm_quick():
    return _fast_vs_mp("relu", 1, 3, 24, 45)


@check("spectrum.fast_vs_mp_circle_l200", "Funk-Hecke eigenvalues on S^1 up to l = 200",
       "fast sign-definite series", "mpmath tanh-sinh quadrature", 1e-10, full=True)
def _fvm_circle():
    return _fast_vs_mp("relu", 1, 2, 200, 45)


@check("spectrum.fast_vs_mp_d784", "Funk-Hecke eigenvalues on S^783 (MNIST dimension), depth 3",
       "fast sign-definite series", "mpmath tanh-sinh quadrature", 1e-10, full=True)
def _fvm_784():
    return _fast_vs_mp("relu", 3, 784, 60, 130)


@check("spectrum.sum_rule", "sum_l N(d,l) lambda_l = k(1) (erf NNGP, d = 10)",
       "sum of Funk-Hecke shells", "kernel value k(1)", 1e-12)
def _sum_rule():
    from .spectra.funk_hecke import sphere_spectrum
    from .spectra.kernels import NNGPKernel

    k = NNGPKernel("erf", 2)
    spec = sphere_spectrum(k, 10, 200)
    return abs(spec.sum_rule_residual()) / k.k1, "lmax = 200"


# ====================================================================== flow checks ==
@check("flow.derived_ridge", "sigma_kappa^2 = sigma^2 + sum_{k>kappa} lambda_k (THEORY 4)",
       "SymPy Gaussian integration (per sample and replica M->0)", "closed form of THEORY.md", 0.0)
def _derived_ridge():
    import sympy as sp

    from .theory.gaussian import SYMBOLS, derive_gaussian_flow

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

    from ._generated import gaussian_flow as g

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

    from ._generated import gaussian_flow as g, gaussian_flow_mp as gm

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
    from .numerics.flows import Shells, flow_ode, renormalized_ridge

    k = np.arange(1, 201, dtype=float)
    sh = Shells.from_modes(k ** -1.7)
    grid = np.arange(0, 201, 10.0)
    _, ode = flow_ode(sh, 0.01, grid)
    return _rel(ode, renormalized_ridge(sh, 0.01)[grid.astype(int)]), "200-mode power law, 21 cutoffs"


@check("flow.ir_scale", "IR cutoff kappa* ~ eta^(1/(1+alpha)) (alpha = 1, sigma^2 = 1)",
       "fitted slope of the RG stop kappa*(eta)", "1/(1+alpha)", 0.05)
def _ir_scale():
    from .numerics.flows import Shells, fit_exponent, ir_stop
    from ._generated import gaussian_flow as g

    k = np.arange(1, 200_001, dtype=float)
    sh = Shells(k ** -2.0, np.ones_like(k), float(g.sigma2_powerlaw(0.0, 1.0, 1.0, 200_000.0)))
    etas = np.logspace(3, 6, 7)
    kap = [ir_stop(sh, 1.0, e).kappa for e in etas]
    slope, se = fit_exponent(etas, kap)
    return abs(slope - 0.5), f"slope {slope:.4f} +- {se:.4f}"


@check("flow.error_exponent", "E ~ eta^(-alpha/(1+alpha)) at fixed sigma^2 (alpha = 1)",
       "fitted slope of RG and eigenlearning curves", "-alpha/(1+alpha)", 0.05)
def _err_exponent():
    from .numerics.flows import powerlaw_exponent_check

    out = powerlaw_exponent_check(1.0, ridge=1.0, n_modes=200_000, ns=np.logspace(3, 5, 7))
    d = max(abs(out["rg_slope"] - out["expected"]), abs(out["eigenlearning_slope"] - out["expected"]))
    return d, f"RG {out['rg_slope']:.4f}, eigenlearning {out['eigenlearning_slope']:.4f}, expected {out['expected']}"


@functools.lru_cache(maxsize=4)
def learning_curve_comparison(trials=24, seed=7):
    from .numerics.simulate import simulate_learning_curve, theory_learning_curve
    from .spectra.kernels import NNGPKernel

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
    from .data import sample_sphere
    from .numerics.gp import compare_reduced
    from .spectra.kernels import NNGPKernel

    rng = np.random.default_rng(0)
    X = sample_sphere(300, 6, rng)
    y = X[:, 0] * X[:, 1] + 0.3 * X[:, 2]
    res = compare_reduced(X, y, NNGPKernel("relu", 2), 1e-2, 60, kappas=[300], seed=0)
    worst = max(v[-1] for v in res.rel_error.values())
    return worst, "sphere pool P = 300, n = 60, all variants"


# ====================================================================== engine checks ==
@check("engine.phi4_quadrature", "S_eff of (u/24)(a+b)^4, b ~ N(0, G), orders 1-3",
       "Wick/cumulant engine", "mpmath quadrature of the moments, 40 digits", 1e-10)
def _engine_phi4():
    import mpmath
    import sympy as sp

    from .engine import example_path, load_action, wilson_step

    act = load_action(example_path("phi4_0d.toml"))
    res = wilson_step(act, 3, diagrams=False, use_cache=False)
    a, u, G = sp.symbols("a u G")
    Gv, av = mpmath.mpf("0.7"), mpmath.mpf("0.3")
    worst = 0.0
    with mpmath.workdps(40):
        norm = 1 / mpmath.sqrt(2 * mpmath.pi * Gv)
        sint = lambda b: (av + b) ** 4 / 24
        mom = [mpmath.quad(lambda b, n=n: norm * mpmath.exp(-b * b / (2 * Gv)) * sint(b) ** n,
                           [-mpmath.inf, 0, mpmath.inf]) for n in (1, 2, 3)]
        k1 = mom[0]
        k2 = mom[1] - mom[0] ** 2
        k3 = mom[2] - 3 * mom[1] * mom[0] + 2 * mom[0] ** 3
        exact = [k1, -k2 / 2, k3 / 6]  # coefficient of u^n in -log <exp(-u S)>
        by = res.by_order
        for n in (1, 2, 3):
            expr = sum(c * m for m, c in by[n].items())
            syms = {s.name: s for s in expr.free_symbols}
            val = expr.subs({syms.get("a", a): sp.Float(str(av), 40), syms.get("G", G): sp.Float(str(Gv), 40),
                             syms.get("u", u): 1})
            worst = max(worst, float(abs(mpmath.mpf(str(sp.N(val, 40))) - exact[n - 1]) / abs(exact[n - 1])))
    return worst, "a = 0.3, G = 0.7"


@check("engine.symmetry_factors", "phi^4 symmetry factors: tadpole 1/2, sunset 1/6, figure-eight 1/8",
       "diagram enumerator", "textbook values", 0.0)
def _symfactors():
    from fractions import Fraction

    from .engine import example_path, load_action, wilson_step

    res = wilson_step(load_action(example_path("phi4_0d.toml")), 2, use_cache=False)
    found = {Fraction(str(d.symmetry_factor)) for d in res.diagrams}
    want = {Fraction(1, 2), Fraction(1, 6), Fraction(1, 8)}
    missing = want - found
    return float(len(missing)), f"found {sorted(str(x) for x in found)}"


# ================================================================= finite-width checks ==
@check("finite_width.four_point_closed_form", "E[relu(u)^p relu(v)^(4-p)] (Cho-Saul type arc integrals)",
       "SymPy-derived closed forms", "mpmath polar quadrature (angle and radius), 30 digits", 1e-12)
def _fw_four_point():
    import mpmath

    from .numerics.finite_width import relu_pair_moment

    worst = 0.0
    for p, c in ((2, 0.35), (3, -0.7), (2, -0.2)):
        with mpmath.workdps(30):
            # 2-d Gaussian integral in polar coordinates (z1, z2) = r (cos t, sin t), u = z1,
            # v = r cos(t - phi) with cos(phi) = rho; the angular range is split where u or v changes
            # sign, so every piece is smooth; the radial integral is done numerically as well.
            phi = mpmath.acos(c)
            cuts = sorted({float(x % (2 * mpmath.pi)) for x in (mpmath.pi / 2, 3 * mpmath.pi / 2,
                                                                  phi + mpmath.pi / 2, phi + 3 * mpmath.pi / 2)})
            edges = [mpmath.mpf(0)] + [mpmath.mpf(x) for x in cuts] + [2 * mpmath.pi]
            radial = mpmath.quad(lambda r: r ** 5 * mpmath.exp(-r * r / 2), [0, mpmath.inf])

            def ang(t):
                a, b = mpmath.cos(t), mpmath.cos(t - phi)
                return a ** p * b ** (4 - p) if (a > 0 and b > 0) else mpmath.mpf(0)

            val = radial * mpmath.quad(ang, edges) / (2 * mpmath.pi)
        worst = max(worst, _rel(relu_pair_moment(p, 1.0, 1.0, c), float(val)))
    return worst, "unit variances; (p, rho) in {(2, .35), (3, -.7), (2, -.2)}"


@check("finite_width.kurtosis", "single-input excess kurtosis of a width-N ReLU network = 15/N",
       "closed-form moments", "exact rational 15/N", 1e-12)
def _fw_kurtosis():
    from .numerics.finite_width import excess_kurtosis

    return max(abs(excess_kurtosis("relu", N) * N / 15 - 1) for N in (1, 8, 64)), "N in {1, 8, 64}"


@check("finite_width.engine_vs_covariance", "O(1/N) posterior shift of a finite-width network",
       "Wilsonian engine on the Edgeworth action", "contraction of the kernel-fluctuation covariance", 1e-10)
def _fw_engine():
    from .numerics.finite_width import engine_cross_check

    worst, det = 0.0, []
    for act in ("relu", "erf"):
        r = engine_cross_check(act, 8)
        a, b = np.asarray(r["delta_cov_route"], dtype=float), np.asarray(r["delta_engine_route"], dtype=float)
        worst = max(worst, _rel(a, b))
        det.append(f"{act}: {a.ravel()[0]:.12g} vs {b.ravel()[0]:.12g}")
    return worst, "; ".join(det)


# ============================================================== input-dependent ridge ==
@check("input_ridge.codegen_twin", "sigma^2(x) = sigma^2 + sum_k lambda_k E[phi_k^2 | phi_<(x)] (cumulant form)",
       "generated NumPy (einsum)", "generated mpmath twin, 30 digits", 1e-12)
def _ir_twin():
    import mpmath

    from ._generated import input_ridge as g, input_ridge_mp as gm

    rng = np.random.default_rng(1)
    lam, phi = rng.uniform(0, 1, 7), rng.standard_normal((5, 3))
    c3, c4 = rng.standard_normal((7, 3)) * 0.1, rng.standard_normal((7, 3, 3)) * 0.1
    c4 = (c4 + c4.transpose(0, 2, 1)) / 2
    a = g.sigma2_x(0.3, lam, phi, c3, c4)
    with mpmath.workdps(30):
        b = [float(x) for x in np.ravel(gm.sigma2_x(0.3, lam, phi, c3, c4))]
    return _rel(np.ravel(a), b), "7 greater modes, 3 kept features, 5 inputs"


@check("input_ridge.sphere_shells", "sigma^2(x) is constant when whole degenerate shells are integrated out (S^2)",
       "cumulant-expanded sigma^2(x) on 3000 sphere points", "constant (addition theorem)", 1e-12)
def _ir_shells():
    from .numerics.input_ridge import sphere_shell_check

    r = sphere_shell_check()
    return r["whole_shells"]["rel_spread_sigma2_x"], (f"half a shell cut instead: spread "
                                                     f"{r['half_last_shell']['rel_spread_sigma2_x']:.3g}")


@check("input_ridge.gaussian_features", "sigma^2(x) reduces to the universal constant for Gaussian features",
       "cumulant form with exact (zero) cumulants", "sigma^2 + sum_{k>kappa} lambda_k", 1e-14)
def _ir_gauss():
    from .numerics.input_ridge import gaussian_features_check

    r = gaussian_features_check()
    return max(r["rel_dev_exact_cumulants"], r["flow_dev_exact_cumulants"]), (
        f"with estimated cumulants from {r['n_samples']} samples the spread is {r['rel_spread_estimated']:.3f} "
        f"(sampling scale {r['expected_rel_spread_scale']:.3f})")
