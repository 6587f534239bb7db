"""Resummation inside the Wilsonian step and the projection on kept degrees (docs/theory.md section 3).

References: the exact Gaussian integral of the ridge toy (closed form 1/(2(sigma^2 + c)), docs/theory.md
section 4, and mpmath quadrature); mpmath quadrature of -log ∫ exp(-S) for an action whose mass insertion is
too large for the plain series; the plain cumulant series (already checked against quadrature in
test_engine_quadrature.py) for the u-expansion of the resummed result and for the projected coefficients."""
import mpmath
import pytest
import sympy as sp

from symrg.engine import example_path, load_action, make_action, wilson_step


def test_ridge_flow_resummed_is_exact():
    res = wilson_step(load_action(example_path("ridge_flow")), 3, resum=True, use_cache=False)
    syms = {s.name: s for s in res.coefficients[sp.Symbol("a") ** 2].free_symbols}
    c, sigma = syms["c"], syms["sigma"]
    assert sp.simplify(res.coefficients[sp.Symbol("a") ** 2] - 1 / (2 * (sigma ** 2 + c))) == 0
    # the whole S_eff(a) against quadrature at a = 0.3, y = 0.2, sigma = 0.8, c = 0.5
    y = next(s for s in res.action.parameters if s.name == "y")
    vals = {c: sp.Rational(1, 2), sigma: sp.Rational(4, 5), y: sp.Rational(1, 5)}
    av = sp.Rational(3, 10)
    ours = sum(v.xreplace(vals) * m.subs(sp.Symbol("a"), av) for m, v in res.coefficients.items())
    with mpmath.workdps(30):
        cc, ss, yy, aa = mpmath.mpf("0.5"), mpmath.mpf("0.8"), mpmath.mpf("0.2"), mpmath.mpf("0.3")
        z = mpmath.quad(lambda b: mpmath.exp(-b * b / (2 * cc) - (aa + b - yy) ** 2 / (2 * ss ** 2))
                        / mpmath.sqrt(2 * mpmath.pi * cc), [-mpmath.inf, 0, mpmath.inf])
        assert abs(float(ours) + float(mpmath.log(z))) < 1e-14
    # its flow, d/dkappa with dc/dkappa = -lambda_kappa
    lk = next(s for s in res.flow[sp.Symbol("a") ** 2].free_symbols if s.name == "lambda_kappa")
    assert sp.simplify(res.flow[sp.Symbol("a") ** 2] - lk / (2 * (sigma ** 2 + c) ** 2)) == 0


def test_resummed_phi4_agrees_with_the_series_order_by_order():
    act = load_action(example_path("phi4_0d"))
    plain = wilson_step(act, 3, use_cache=False)
    res = wilson_step(act, 3, resum=True, use_cache=False)
    u = next(s for s in act.parameters if s.name == "u")
    for m, v in plain.coefficients.items():
        assert sp.simplify(sp.series(res.coefficients[m], u, 0, 4).removeO() - v) == 0, m


def test_resummation_where_the_plain_series_fails():
    """S_int = m b^2/2 + u/24 (a+b)^4 with m G = 3: the mass insertion is not small, the plain series in S_int
    is useless at order 2, the resummed one is off by O(u^3) only."""
    a, b = sp.symbols("a b")
    G, m, u = sp.Rational(1, 2), sp.Integer(6), sp.Rational(1, 100)
    act = make_action([a], {b: G}, m * b ** 2 / 2 + u / 24 * (a + b) ** 4)
    res = wilson_step(act, 2, resum=True, use_cache=False)
    plain = wilson_step(act, 2, use_cache=False)
    av = sp.Rational(2, 5)

    def value(r):
        return float(sum(v * mono.subs(a, av) for mono, v in r.coefficients.items()))

    with mpmath.workdps(30):
        f = lambda bb: mpmath.exp(-bb * bb / (2 * mpmath.mpf(G)) - 3 * bb * bb - mpmath.mpf(u) / 24 * (0.4 + bb) ** 4)
        exact = -mpmath.log(mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf]) / mpmath.sqrt(2 * mpmath.pi * mpmath.mpf(G)))
    assert abs(value(res) - float(exact)) < 10 * float(u) ** 3
    assert abs(value(plain) - float(exact)) > 0.1


@pytest.mark.parametrize("name,order", [("phi4_0d", 4), ("mixed_cubic_sextic", 3), ("tensor_2x2", 3)])
def test_max_degree_keeps_the_low_coefficients_exactly(name, order):
    act = load_action(example_path(name))
    full = wilson_step(act, order, diagrams=False, use_cache=False)
    cut = wilson_step(act, order, diagrams=False, use_cache=False, max_degree=4)
    low = {m: v for m, v in full.coefficients.items() if sp.Poly(m, *act.kept).total_degree() <= 4}
    assert set(cut.coefficients) == set(low)
    for m, v in low.items():
        assert sp.expand(cut.coefficients[m] - v) == 0, m


def test_diagrams_are_listed_automatically_only_when_cheap():
    small = wilson_step(load_action(example_path("phi4_0d")), 2, use_cache=False)
    assert small.diagrams and not small.notes
    big = wilson_step(load_action(example_path("mixed_cubic_sextic")), 3, use_cache=False)
    assert big.diagrams == [] and "diagram list skipped" in big.notes[0]
