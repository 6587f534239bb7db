"""The fused right-hand side ``rhs(kappa, y, params)`` / ``jac(kappa, y, params)`` of a generated flow module
(symrg.codegen.printer.render_fused; docs/theory.md section 3).

References, independent of the printer: ``sympy.lambdify`` of the same derived SymPy expressions (float64) and
SymPy's own evaluation at 40 digits (``evalf``) for the mpmath twin.  The committed worked example
(ridge_quartic_flow, 2 couplings) and a synthetic flow of 5 running couplings derived by the engine
(the potential to degree 6 with odd terms) are both checked.
"""
import importlib.util
import types

import mpmath
import numpy as np
import pytest
import sympy as sp

from symrg._generated import ridge_quartic_flow as gen
from symrg._generated import ridge_quartic_flow_mp as gen_mp
from symrg.codegen import CodegenError
from symrg.codegen.flows import flow_functions, fused_spec, write_module
from symrg.codegen.printer import render_fused
from symrg.engine import example_path, load_action, make_action
from symrg.engine.running import derive_flow
from symrg.numerics.running import integrate_flow


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def worked():
    return derive_flow(load_action(example_path("ridge_quartic_flow")))


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    """Five running couplings (sigma2, g3, u, g5, w) of the potential to degree 6, derived and lowered."""
    a, b = sp.symbols("a b")
    s2 = sp.Symbol("sigma2", positive=True)
    g3, u, g5, w = sp.symbols("g3 u g5 w", real=True)
    A, al = sp.symbols("A alpha", positive=True)
    act = make_action([a], {b: "A*k**(-1-alpha)"},
                      "(a + b)**2/(2*sigma2) + g3/6*(a + b)**3 + u/24*(a + b)**4 + g5/120*(a + b)**5 + w/720*(a + b)**6",
                      parameters=[s2, g3, u, g5, w, A, al],
                      running={s2: "a**2", g3: "a**3", u: "a**4", g5: "a**5", w: "a**6"})
    flow = derive_flow(act)
    d = tmp_path_factory.mktemp("five")
    path, mp_path = write_module(flow, d / "five_flow.py", source="test")
    return flow, _load(path), _load(mp_path)


def _points(flow, rng, n=20):
    """Random (kappa, y, params) with sigma2 > 0 and the other couplings of either sign."""
    out = []
    for _ in range(n):
        y = [rng.uniform(0.005, 0.05) if str(g) == "sigma2" else rng.uniform(-50, 50) for g in flow.couplings]
        p = [rng.uniform(0.005, 0.05) if str(q) == "A" else rng.uniform(0.2, 2.0) for q in flow.parameters]
        out.append((float(rng.uniform(1.0, 1000.0)), np.array(y), tuple(p)))
    return out


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.mark.parametrize("which", ["worked", "five"])
def test_fused_equals_per_function_equals_lambdify(which, worked, five):
    if which == "worked":
        flow, mod, mod_mp = worked, gen, gen_mp
    else:
        flow, mod, mod_mp = five
    gs = list(flow.couplings)
    syms = gs + list(flow.parameters) + [flow.cutoff]
    lam = sp.lambdify(syms, [flow.beta[g] for g in gs], "numpy")
    lamj = sp.lambdify(syms, sp.Matrix([flow.beta[g] for g in gs]).jacobian(gs), "numpy")
    assert mod.COUPLINGS == tuple(map(str, gs)) and mod.PARAMETERS == tuple(map(str, flow.parameters))
    pts = _points(flow, np.random.default_rng(23))
    worst = 0.0
    for k, y, p in pts:
        ref = lam(*y, *p, k)
        refj = np.array(lamj(*y, *p, k), dtype=float)
        per = [getattr(mod, f"beta_{g}")(*y, *p, k) for g in mod.COUPLINGS]
        perj = [[getattr(mod, f"jac_{gi}__{gj}")(*y, *p, k) for gj in mod.COUPLINGS] for gi in mod.COUPLINGS]
        f, j = mod.rhs(k, y, p), mod.jac(k, y, p)
        assert isinstance(f, list) and all(type(v) is float for v in f)         # plain floats, no NumPy scalars
        worst = max(worst, _rel(f, ref), _rel(f, per), _rel(j, refj), _rel(j, perj),
                    _rel(mod.rhs(k, list(y), p), ref))                         # y as a list too
    assert worst < 1e-12, worst
    # the vectorised forms: every point at once, broadcasting over a batch
    K = np.array([k for k, _, _ in pts])
    Y = np.array([y for _, y, _ in pts]).T
    P = tuple(np.array([p[i] for _, _, p in pts]) for i in range(len(flow.parameters)))
    F, J = mod.rhs_array(K, Y, P), mod.jac_array(K, Y, P)
    assert F.shape == (len(gs), len(pts)) and J.shape == (len(gs), len(gs), len(pts))
    for i, (k, y, p) in enumerate(pts):
        assert _rel(F[:, i], mod.rhs(k, y, p)) < 1e-12 and _rel(J[..., i], mod.jac(k, y, p)) < 1e-12


@pytest.mark.parametrize("which", ["worked", "five"])
def test_mpmath_twin_at_30_digits(which, worked, five):
    """The twin's rhs/jac at 30 digits against SymPy's evalf of the derived expressions at 40 digits (an
    evaluation that shares nothing with the printer), at the exact binary values of the float inputs."""
    if which == "worked":
        flow, mod, mod_mp = worked, gen, gen_mp
    else:
        flow, mod, mod_mp = five
    gs = list(flow.couplings)
    syms = gs + list(flow.parameters) + [flow.cutoff]
    jm = sp.Matrix([flow.beta[g] for g in gs]).jacobian(gs)
    for k, y, p in _points(flow, np.random.default_rng(7), n=4):
        sub = {s: sp.Float(float(v), 40) for s, v in zip(syms, [*y, *p, k])}
        ref = [flow.beta[g].evalf(40, subs=sub) for g in gs]
        refj = [[jm[i, j].evalf(40, subs=sub) for j in range(len(gs))] for i in range(len(gs))]
        with mpmath.workdps(30):
            f, jj = mod_mp.rhs(k, y, p), mod_mp.jac(k, y, p)
            for a, b in zip(f + [v for r in jj for v in r], ref + [v for r in refj for v in r]):
                b = mpmath.mpf(str(b))
                assert abs(a - b) <= mpmath.mpf(10) ** -27 * max(abs(b), mpmath.mpf(10) ** -300), (a, b)
        assert _rel(mod.rhs(k, y, p), [float(v) for v in f]) < 1e-12


def test_modes_module_takes_the_mode_index(tmp_path):
    """With modes=True the mode index is the last parameter of rhs (PARAMETERS), as it is the argument before the
    cutoff of the beta functions."""
    flow = derive_flow(load_action(example_path("ridge_quartic_scaled")))
    mod = _load(write_module(flow, tmp_path / "sc.py", modes=True)[0])
    assert mod.PARAMETERS[-1] == str(flow.mode) and mod.CUTOFF == str(flow.cutoff)
    for k, y, p in _points(flow, np.random.default_rng(3), n=5):
        m = float(np.random.default_rng(int(k)).integers(1, 1000))
        per = [getattr(mod, f"beta_{g}")(*y, *p, m, k) for g in mod.COUPLINGS]
        assert _rel(mod.rhs(k, y, p + (m,)), per) < 1e-12
        assert _rel(mod.rhs(k, y, p + (m + 1,)), per) > 1e-6        # the mode index matters


def test_the_printer_is_loud_on_unknown_nodes(worked):
    spec = fused_spec(flow_functions(worked))
    g = spec["couplings"][0][1]
    for bad in (sp.besselj(0, g), sp.Sum(g, (sp.Symbol("k"), 1, sp.oo)), sp.Symbol("stranger") * g):
        with pytest.raises(CodegenError):
            render_fused({**spec, "betas": [bad] + spec["betas"][1:]}, "numpy")
    with pytest.raises(CodegenError, match="Jacobian"):
        render_fused({**spec, "jac": spec["jac"][:1]}, "numpy")


def test_no_complex_number_from_a_fractional_power():
    """Python's float ** float of a negative base is complex; the fused rhs raises instead (and integrate_flow then
    takes the NumPy path, whose nan stops the run: see test_an_arithmetic_exception_falls_back)."""
    with pytest.raises(ValueError):
        gen.rhs(-2.0, [0.01, 1.0], (0.01, 0.5))


def _fake(rhs_raises: bool):
    """A module with the beta functions of d y/d kappa = -y/kappa (and a fused rhs that raises, or agrees)."""
    m = types.ModuleType("fake_flow")

    def beta_y(y, c, kappa):
        return -c * y / kappa
    m.beta_y = beta_y
    m.__all__ = ["beta_y", "rhs"]
    m.COUPLINGS, m.PARAMETERS, m.CUTOFF = ("y",), ("c",), "kappa"

    def rhs(kappa, y, params):
        if rhs_raises:
            raise ZeroDivisionError("float division by zero")
        return [-params[0] * y[0] / kappa]
    m.rhs = rhs
    return m


def test_an_arithmetic_exception_falls_back_to_the_beta_functions():
    """A plain-float rhs that raises is not the end of the run: integrate_flow falls back to the beta functions
    (IEEE semantics) and gives the same flow: y(kappa) = y0 (kappa/kappa0)^-c in the continuum, the product of
    exp(c/k) over the removed modes with discrete shells."""
    for raises in (False, True):
        for shells, kw in (("continuum", {}), ("discrete", {"mode": "kappa"})):
            s = integrate_flow(_fake(raises), {"y": 1.0}, {"c": 0.5}, 100, 10, points=5, shells=shells, **kw)
            if shells == "continuum":
                ref = (s.kappa / 100.0) ** -0.5
            else:                     # mode k over (k - 1, k]: y grows by exp(c/k) per mode removed
                ref = np.array([np.exp(0.5 * sum(1 / k for k in range(int(K) + 1, 101))) for K in s.kappa])
            assert _rel(s.values["y"], ref) < 1e-8, (raises, shells)


def test_fused_and_per_function_paths_give_the_same_flow(monkeypatch):
    """integrate_flow on the fused rhs (the module has one) and on the beta functions one by one (rhs removed):
    the same couplings to well below the error estimate, over the discrete modes and the continuum."""
    kw = dict(init={"sigma2": 0.01, "u": 1000.0}, params={"A": 0.01, "alpha": 0.5}, kappa_from=300, kappa_to=10,
              points=8)
    fused = {sh: integrate_flow(gen, shells=sh, mode="kappa" if sh == "discrete" else None, **kw)
             for sh in ("discrete", "continuum")}
    monkeypatch.delattr(gen, "rhs")
    for sh, f in fused.items():
        p = integrate_flow(gen, shells=sh, mode="kappa" if sh == "discrete" else None, **kw)
        for g in ("sigma2", "u"):
            assert _rel(f.values[g], p.values[g]) < 1e-10, (sh, g)


def test_flow_functions_and_fused_spec_share_their_expressions(worked):
    funcs = flow_functions(worked)
    spec = fused_spec(funcs)
    for (name, _), e in zip(spec["couplings"], spec["betas"]):
        assert funcs[f"beta_{name}"][1] is e
    args, expr, doc = funcs["beta_u"]
    funcs["beta_u"] = (args[::-1], expr, doc)             # arguments in another order: refused, not mixed up
    with pytest.raises(CodegenError, match="share their arguments"):
        fused_spec(funcs)


def test_where_hairers_dop853_gives_up_the_beta_functions_decide(monkeypatch):
    """At u0 = 1e9 the Fortran DOP853 gives up on the first mode ("step size becomes too small") where solve_ivp's
    DOP853 gets through: integrate_flow then integrates with the beta functions one by one and returns what the
    former path returns (the fused path never refuses a flow the former path integrates); at u0 = -1e7 both refuse."""
    from symrg.errors import ConvergenceError

    kw = dict(params={"A": 0.01, "alpha": 0.5}, kappa_from=1000, kappa_to=930, points=3, shells="discrete",
              mode="kappa")
    fused = integrate_flow(gen, {"sigma2": 0.01, "u": 1e9}, **kw)
    with pytest.raises(ConvergenceError):
        integrate_flow(gen, {"sigma2": 0.01, "u": -1e7}, **kw)
    monkeypatch.delattr(gen, "rhs")
    ref = integrate_flow(gen, {"sigma2": 0.01, "u": 1e9}, **kw)
    for g in ("sigma2", "u"):
        assert np.array_equal(fused.values[g], ref.values[g])
    with pytest.raises(ConvergenceError):
        integrate_flow(gen, {"sigma2": 0.01, "u": -1e7}, **kw)


def test_a_fine_output_grid_does_not_restart_the_step_size(monkeypatch):
    """Continuum, 200 output points: each stretch starts from the largest step of the one before (Hairer's
    WORK(7)), so the run costs about as many evaluations as the 2-point run, not 6x (the count, not a time), and
    every output point agrees with solve_ivp's DOP853 with dense output at rtol 1e-12 (an independent integrator
    run on the lambdified beta functions)."""
    from scipy.integrate import solve_ivp

    calls = [0]
    rhs = gen.rhs

    def counted(k, y, p):
        calls[0] += 1
        return rhs(k, y, p)

    monkeypatch.setattr(gen, "rhs", counted)
    kw = dict(init={"sigma2": 0.01, "u": 1000.0}, params={"A": 0.01, "alpha": 0.5}, kappa_from=1000, kappa_to=10)
    integrate_flow(gen, points=2, **kw)
    two, calls[0] = calls[0], 0
    fine = integrate_flow(gen, points=200, **kw)
    assert calls[0] < 2.5 * two, (calls[0], two)          # 6.5x before the hint (17056 against 2633); 2.1x with it
    worked_flow = derive_flow(load_action(example_path("ridge_quartic_flow")))
    gs = list(worked_flow.couplings)
    lam = sp.lambdify(gs + list(worked_flow.parameters) + [worked_flow.cutoff],
                      [worked_flow.beta[g] for g in gs], "numpy")
    ref = solve_ivp(lambda k, y: lam(*y, 0.01, 0.5, k), (1000.0, 10.0), [0.01, 1000.0], method="DOP853",
                    rtol=1e-12, atol=1e-18, t_eval=fine.kappa)
    for i, g in enumerate(gs):
        assert _rel(fine.values[str(g)], ref.y[i]) < 1e-9, g
