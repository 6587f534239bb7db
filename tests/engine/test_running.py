"""Running couplings derived by the engine (symrg.engine.running; docs/theory.md section 3).

References, independent of the engine's cumulant route:
* the Wilson-Polchinski equation of a zero-dimensional action, dV/dc = V''/2 - V'^2/2 (the heat equation of
  exp(-V) under a Gaussian convolution of variance c; J. Polchinski, Nucl. Phys. B 231, 269 (1984), eq. 9 in
  zero dimensions), differentiated by hand in SymPy here;
* the one-shell integral -log ∫ dg N(g; 0, eps) exp(-V(h + g)) by mpmath quadrature at 40 digits, whose
  derivative in eps at eps -> 0 is the flow of every coefficient;
* the one-mode self-consistent closure of docs/theory.md section 4a.
"""
import mpmath
import numpy as np
import pytest
import sympy as sp

from symrg.engine import example_path, load_action, make_action, parse_action, wilson_step
from symrg.engine.expr import as_expr
from symrg.engine.running import derive_flow, self_consistent_coupling
from symrg.errors import SpecError


def _sym(act, name):
    return next(p for p in set(act.parameters) | {act.running.cutoff} if p.name == name)


def _polchinski(V, h, keep):
    """Coefficients of h^n (n in keep) of V''/2 - V'^2/2: dV/dc, the flow in the variance c."""
    rhs = sp.expand(sp.diff(V, h, 2) / 2 - sp.diff(V, h) ** 2 / 2)
    return {n: rhs.coeff(h, n) for n in keep}


def test_worked_example_beta_is_the_polchinski_flow():
    act = load_action(example_path("ridge_quartic_flow"))
    flow = derive_flow(act)
    s2, u, A, al, kap = (_sym(act, n) for n in ("sigma2", "u", "A", "alpha", "kappa"))
    h = sp.Symbol("h")
    d = _polchinski(h ** 2 / (2 * s2) + u * h ** 4 / 24, h, (2, 4))
    lam = A * kap ** (-1 - al)
    # d(1/(2 s2))/dc = d[h^2];  d(u/24)/dc = d[h^4];  d/dkappa = -lambda(kappa) d/dc
    ds2_dc = sp.solve(sp.Eq(sp.diff(1 / (2 * s2), s2) * sp.Symbol("x"), d[2]), sp.Symbol("x"))[0]
    assert sp.simplify(flow.beta[s2] - (-lam * ds2_dc)) == 0
    assert sp.simplify(flow.beta[u] - (-lam * 24 * d[4])) == 0
    assert flow.dropped == {}      # h^6 is above max_degree = 4, odd terms are not generated


def test_loops_zero_keeps_the_tree_terms():
    act = load_action(example_path("ridge_quartic_flow"))
    s2, A, al, kap = (_sym(act, n) for n in ("sigma2", "A", "alpha", "kappa"))
    tree = derive_flow(act, loops=0)
    assert sp.simplify(tree.beta[s2] + A * kap ** (-1 - al)) == 0     # the ridge alone: d sigma2/d kappa = -lambda


def test_every_coefficient_flow_against_the_one_shell_integral():
    """A cubic, quartic and a linear term: the flow of h^1..h^4 (couplings and dropped operators alike) against
    (V_eps - V_0)/eps of the exact one-shell integral, eps -> 0 by Richardson extrapolation."""
    a, b = sp.symbols("a b")
    r, g, u = sp.symbols("r g u", real=True)
    G = sp.Symbol("G", positive=True)
    act = make_action([a], {b: G}, r * (a + b) ** 2 / 2 + g * (a + b) ** 3 / 6 + u * (a + b) ** 4 / 24,
                      parameters=[r, g, u, G], running={r: a ** 2, u: a ** 4}, max_degree=4)
    flow = derive_flow(act)
    vals = {"r": mpmath.mpf("1.3"), "g": mpmath.mpf("0.4"), "u": mpmath.mpf("0.7"), "G": mpmath.mpf("0.9")}
    sub = {s: sp.Float(str(vals[s.name]), 40) for s in act.parameters}

    t = sp.Symbol("t")
    Vt = sum(sp.Float(str(vals[n]), 40) * t ** k / sp.factorial(k) for n, k in (("r", 2), ("g", 3), ("u", 4)))
    # d^n/dt^n exp(-V) = D_n exp(-V): Z^(n)(0) = <D_n(t) exp(-V(t))> under N(0, eps G), no numerical derivative
    Ds, Dn = [], sp.Integer(1)
    for n in range(5):
        Ds.append(sp.lambdify(t, Dn, "mpmath"))
        Dn = sp.expand(sp.diff(Dn, t) - sp.diff(Vt, t) * Dn)
    Vf = sp.lambdify(t, Vt, "mpmath")

    def coeffs(eps):
        """Taylor coefficients at h = 0 of -log ∫ dg N(g; 0, eps G) exp(-V(h+g)) (mpmath, 40 digits)."""
        with mpmath.workdps(40):
            var = eps * vals["G"]
            w = 40 * mpmath.sqrt(var)
            z = [mpmath.quad(lambda x, D=D: D(x) * mpmath.exp(-x * x / (2 * var) - Vf(x)), [-w, 0, w])
                 / mpmath.factorial(n) for n, D in enumerate(Ds)]
            q = [zz / z[0] for zz in z]
            q[0] = 0
            # -log(1 + q(h)) as a power series to h^4
            out, power = [mpmath.mpf(0)] * 5, [mpmath.mpf(1)] + [mpmath.mpf(0)] * 4
            for m in range(1, 5):
                power = [sum(power[i] * q[n - i] for i in range(n + 1)) for n in range(5)]
                out = [o - (-1) ** (m + 1) * p / m for o, p in zip(out, power)]
            return out[1:]

    with mpmath.workdps(40):
        e1, e2 = mpmath.mpf("1e-6"), mpmath.mpf("2e-6")
        c0 = [vals["g"] * 0, vals["r"] / 2, vals["g"] / 6, vals["u"] / 24]
        d1 = [(x - y) / e1 for x, y in zip(coeffs(e1), c0)]
        d2 = [(x - y) / e2 for x, y in zip(coeffs(e2), c0)]
        ref = [2 * x - y for x, y in zip(d1, d2)]           # Richardson: O(eps^2)
    a_ = act.kept[0]
    for n in range(1, 5):
        got = -flow.coefficient_flow.get(a_ ** n, sp.Integer(0)).xreplace(sub)   # d/d eps = -d/d kappa (shell eps G)
        assert abs(float(got) - float(ref[n - 1])) < 1e-8 * max(1.0, abs(float(ref[n - 1]))), (n, got, ref[n - 1])
    assert set(flow.dropped) == {a_, a_ ** 3}             # generated, carried by no coupling


def test_scaled_couplings_fixed_points_and_exponents():
    act = load_action(example_path("ridge_quartic_scaled"))
    flow = derive_flow(act)
    s, v, al, kap = (_sym(act, n) for n in ("s", "v", "alpha", "kappa"))
    fps = flow.fixed_points()
    got = {(sp.simplify(fp.values[s]), sp.simplify(fp.values[v])) for fp in fps}
    assert got == {(1 / al, sp.Integer(0)), (2 / al, -al ** 2 / 2)}
    # exponents: eigenvalues of kappa d beta/d g, against a finite-difference Jacobian of the beta functions
    f = sp.lambdify([s, v, al, kap], [flow.beta[s], flow.beta[v]])
    alpha, k0 = 0.7, 3.0
    for fp in fps:
        x0 = np.array([float(fp.values[s].subs(al, alpha)), float(fp.values[v].subs(al, alpha))])
        assert np.allclose(f(*x0, alpha, k0), 0, atol=1e-12)
        jac = np.zeros((2, 2))
        for j in range(2):
            dx = np.zeros(2)
            dx[j] = 1e-6
            jac[:, j] = (np.array(f(*(x0 + dx), alpha, k0)) - np.array(f(*(x0 - dx), alpha, k0))) / 2e-6
        ev = sorted(np.linalg.eigvals(k0 * jac).real)
        assert np.allclose(ev, sorted(float(e.subs(al, alpha)) for e in fp.exponents), rtol=1e-6)


def test_make_action_gives_the_same_flow_as_the_file():
    a, b = sp.symbols("a b")
    s2 = sp.Symbol("sigma2", positive=True)
    u = sp.Symbol("u", real=True)
    A, al = sp.symbols("A alpha", positive=True)
    act = make_action([a], {b: "A*k**(-1-alpha)"}, "(a + b)**2/(2*sigma2) + u/24*(a + b)**4",
                      parameters=[s2, u, A, al], running={s2: "a**2", u: "a**4"})
    api = derive_flow(act)
    ref = derive_flow(load_action(example_path("ridge_quartic_flow")))
    to_api = {p: next(q for q in set(act.parameters) | {act.running.cutoff} if q.name == p.name)
              for p in set(ref.parameters) | {ref.cutoff} | set(ref.couplings)}
    for g, v in ref.beta.items():
        assert sp.simplify(api.beta[to_api[g]] - v.xreplace(to_api)) == 0


def test_json_contract_strings_parse_with_both_parsers():
    res = wilson_step(load_action(example_path("ridge_quartic_flow")), 2, use_cache=False)
    doc = res.to_json()
    assert set(doc["beta"]) == {"sigma2", "u"}
    for text in list(doc["beta"].values()) + list(doc["coefficients"].values()):
        ours = as_expr(text)
        theirs = sp.sympify(text)   # test-side only: the text is symrg's own output
        assert sp.simplify(ours - theirs.xreplace({s: sp.Symbol(s.name) for s in theirs.free_symbols})) == 0


@pytest.mark.parametrize("running,needle", [
    ({"couplings": {"w": "a**2"}}, "not a parameter"),
    ({"couplings": {"sigma2": "2*a**2"}}, "monomial"),
    ({"couplings": {"sigma2": "a**2", "u": "a**2"}}, "its own monomial"),
    ({"couplings": {"sigma2": "a**4"}}, "do not determine"),
    ({"couplings": {"sigma2": "a**2"}, "loops": 2}, "running.loops"),
    ({"couplings": "sigma2"}, "running.couplings"),
    ({"couplings": {"sigma2": "a**2"}, "colour": 1}, "unknown key"),
])
def test_running_table_errors(running, needle):
    d = {"parameters": {"sigma2": "positive", "u": "real", "A": "positive", "alpha": "positive"},
         "fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "A*k**(-1-alpha)"}},
         "action": {"interaction": "(a + b)**2/(2*sigma2) + u/24*(a + b)**4"}, "running": running}
    with pytest.raises(SpecError, match=needle):
        derive_flow(parse_action(d))


def test_self_consistent_closure_is_the_one_mode_hartree_closure():
    """One greater mode with the data-dressed propagator G = (1/lam + eta/sigma2)^-1 and the per-sample data term:
    the closure is sigma2_eff = sigma2 + G(sigma2_eff) (docs/theory.md section 4a), built by engine.resum."""
    d = {"parameters": {"sigma2": "positive", "eta": "positive", "lam": "positive"},
         "fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "1/(1/lam + eta/sigma2)"}},
         "action": {"interaction": "(a + b)**2/(2*sigma2)"}}
    act = parse_action(d)
    res = wilson_step(act, 2, resum=True, use_cache=False)
    s2, eta, lam = (next(p for p in act.parameters if p.name == n) for n in ("sigma2", "eta", "lam"))
    c = self_consistent_coupling(res, s2, act.kept[0] ** 2)
    x = c.unknown
    assert sp.simplify(c.residual - (s2 + 1 / (1 / lam + eta / x) - x)) == 0


def test_fixed_point_values_are_numbers_never_parsed():
    """Parameter values reach SymPy as numbers only: a string (even one that would evaluate) is refused."""

    flow = derive_flow(load_action(example_path("ridge_quartic_scaled")))
    fps = flow.fixed_points({"alpha": 0.5})
    assert {float(fp.values[_sym(load_action(example_path("ridge_quartic_scaled")), "s")]) for fp in fps} == {2.0, 4.0}
    assert flow.fixed_points({"alpha": 1}) and flow.fixed_points({"alpha": sp.Rational(1, 2)})
    for bad in ("__import__('os').getcwd()", "1/2", True, [1]):
        with pytest.raises(SpecError, match="must be a number"):
            flow.fixed_points({"alpha": bad})


def test_beta_modes_of_the_scaled_flow_is_the_polchinski_flow_at_mode_k():
    """The scaled couplings s = sigma2 kappa^alpha/A, v = u A^2 kappa^(-2 alpha) with the shell propagator of
    mode k, lambda_k = A k^-(1+alpha), kept apart from the explicit cutoff: the Polchinski flow of
    (sigma2, u) in the variance (by hand, _polchinski) times -lambda_k, plus the explicit kappa-dependence of the
    scaling (chain rule by hand).  beta_modes at k = kappa is beta."""
    act = load_action(example_path("ridge_quartic_scaled"))
    flow = derive_flow(act)
    s, v, A, al, kap = (_sym(act, n) for n in ("s", "v", "A", "alpha", "kappa"))
    k = flow.mode
    assert k.name == "k" and k not in set(act.parameters)
    h, s2, u = sp.symbols("h sigma2 u")
    d = _polchinski(h ** 2 / (2 * s2) + u * h ** 4 / 24, h, (2, 4))
    lam = A * k ** (-1 - al)
    ds2 = -lam * sp.solve(sp.Eq(-1 / (2 * s2 ** 2) * sp.Symbol("x"), d[2]), sp.Symbol("x"))[0]   # d sigma2/d kappa
    du = -lam * 24 * d[4]
    back = {s2: s * A / kap ** al, u: v * kap ** (2 * al) / A ** 2}
    ref_s = (ds2 * kap ** al / A).xreplace(back) + al * s / kap
    ref_v = (du * A ** 2 / kap ** (2 * al)).xreplace(back) - 2 * al * v / kap
    assert sp.simplify(flow.beta_modes[s] - ref_s) == 0
    assert sp.simplify(flow.beta_modes[v] - ref_v) == 0
    for g in (s, v):
        assert sp.simplify(flow.beta_modes[g].xreplace({k: kap}) - flow.beta[g]) == 0
    assert not flow.cutoff_only_in_modes
    assert derive_flow(load_action(example_path("ridge_quartic_flow"))).cutoff_only_in_modes


def test_fixed_points_say_whether_the_action_is_bounded_below():
    """(s, v) = (1/alpha, 0): the Gaussian weight, bounded; (2/alpha, -alpha^2/2): a negative quartic, unbounded."""
    act = load_action(example_path("ridge_quartic_scaled"))
    flow = derive_flow(act)
    s, v = (_sym(act, n) for n in ("s", "v"))
    marks = {sp.simplify(fp.values[v]) == 0: fp.bounded for fp in flow.fixed_points()}
    assert marks == {True: True, False: False}
    doc = flow.to_json()["fixed_points"]
    assert sorted(fp["bounded"] for fp in doc) == [False, True]
    assert sorted(fp.bounded for fp in flow.fixed_points({"alpha": 0.5})) == [False, True]
    assert r"\textbf{action unbounded below}" in flow.latex()


@pytest.mark.parametrize("interaction,expected", [
    ("(a + b)**2/(2*r) + u/24*(a + b)**4", {(1, 1): True, (1, -1): False, (-1, 0): False, (1, 0): True}),
    ("r*(a + b)**2/2 + u*(a + b)**3", {(1, 1): False, (1, 0): True, (-1, 0): False}),
])
def test_bounded_below_one_field(interaction, expected):
    """One kept field: bounded iff the top degree is even with a positive coefficient (by hand)."""
    a, b = sp.symbols("a b")
    r, u = sp.Symbol("r", real=True), sp.Symbol("u", real=True)
    G = sp.Symbol("G", positive=True)
    act = make_action([a], {b: G}, interaction, parameters=[r, u, G], running={r: a ** 2}, max_degree=4)
    flow = derive_flow(act)
    for (rv, uv), want in expected.items():
        got, why = flow.bounded_below({"r": rv, "u": uv})
        assert got is want, (interaction, rv, uv, got, why)


def test_bounded_below_several_fields():
    """Two kept fields: an indefinite quadratic form is unbounded, a definite one bounded; a quartic form negative on
    a diagonal is unbounded; x^4 + y^4 is bounded but the criterion only says undecided (None), never True."""
    a1, a2, b = sp.symbols("a1 a2 b")
    r, c, u, w = (sp.Symbol(n, real=True) for n in ("r", "c", "u", "w"))
    G = sp.Symbol("G", positive=True)
    act = make_action([a1, a2], {b: G}, "r*(a1 + b)**2/2 + r*a2**2/2 + c*a1*a2 + u*(a1**4 + a2**4) + w*a1**2*a2**2",
                      parameters=[r, c, u, w, G], running={r: a2 ** 2}, max_degree=4)
    flow = derive_flow(act)
    assert flow.bounded_below({"r": 1, "c": 0.5, "u": 0, "w": 0})[0] is True      # [[1, .5], [.5, 1]] definite
    assert flow.bounded_below({"r": 1, "c": 2, "u": 0, "w": 0})[0] is False       # eigenvalue 1 - 2 < 0
    assert flow.bounded_below({"r": 1, "c": 0, "u": 1, "w": -3})[0] is False      # 1 + 1 - 3 < 0 along (1, 1)
    assert flow.bounded_below({"r": 1, "c": 0, "u": 1, "w": 0})[0] is None
    assert flow.bounded_below({"r": 1, "c": 0, "u": -1, "w": 0})[0] is False
