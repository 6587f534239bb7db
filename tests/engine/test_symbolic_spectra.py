"""Mode families with symbolic spectra: the mode index k, symbolic exponents, closed-form mode sums and
their large-cutoff expansion, cutoff names kept as written (docs/theory.md sections 3 and 4).

References: Hurwitz zeta sums against mpmath.nsum of the series term by term; the Euler-Maclaurin
expansion against mpmath.zeta, with its error falling at the order of the first omitted term."""
import mpmath
import pytest
import sympy as sp

from symrg.engine import parse_action, wilson_step
from symrg.engine.expr import as_expr
from symrg.engine.modesums import tail_sum, tail_sum_asymptotic
from symrg.errors import SpecError

K = sp.Symbol("k", integer=True, positive=True)
KAPPA = sp.Symbol("kappa")
A, ALPHA = sp.symbols("A alpha", positive=True)


def _family(prop, params=None, interaction="u*(f_1 + f_3 + f_4)**4"):
    d = {"fields": {"f": {"role": "split", "modes": 4, "cutoff": 2, "propagator": prop}},
         "action": {"interaction": interaction}}
    if params is not None:
        d["parameters"] = params
    return parse_action(d)


def test_k_is_the_mode_index_of_a_family():
    """k**(-2) gives the numbers 1/k^2 per mode, not the separate symbols k_3, k_4."""
    act = _family("k**(-2)")
    props = {str(s): g for s, g in act.propagators}
    assert props == {"f_1": 1, "f_2": sp.Rational(1, 4), "f_3": sp.Rational(1, 9), "f_4": sp.Rational(1, 16)}
    assert not any(str(p).startswith("k_") for p in act.parameters)


def test_symbolic_exponent_power_law_family():
    act = _family("A*k**(-1-alpha)", {"A": "positive", "alpha": "positive", "u": "real"})
    props = {str(s): g for s, g in act.propagators}
    a, al = [next(p for p in act.parameters if p.name == n) for n in ("A", "alpha")]
    assert props["f_3"] == a * 3 ** (-1 - al)
    # order 1: S_0 of the kept f_1 (propagator A 1^(-1-alpha) = A) plus <u (f_1 + f_3 + f_4)^4>, whose f_1^2
    # coefficient is 6 u (G_3 + G_4) (Isserlis), checked numerically
    res = wilson_step(act, 1, use_cache=False)
    c2 = res.coefficients[sp.Symbol("f_1") ** 2]
    u = next(p for p in act.parameters if p.name == "u")
    vals = {a: sp.Rational(7, 10), al: sp.Rational(1, 2), u: 1}
    expect = 1 / (2 * mpmath.mpf("0.7")) + 6 * mpmath.mpf("0.7") * (mpmath.mpf(3) ** -1.5 + mpmath.mpf(4) ** -1.5)
    assert abs(float(c2.xreplace(vals)) - float(expect)) < 1e-14


@pytest.mark.parametrize("text,needle", [
    ("u**alpha", "provably positive"),          # a real base with a symbolic exponent is not real in general
    ("a**alpha", "non-negative integer power"),  # fields take integer powers only
    ("2**sqrt(2)", "rational"),                  # numeric exponents stay bounded rationals
    ("3**3**17", "rational numbers with |p| <= 64"),
])
def test_symbolic_exponents_keep_the_bounds(text, needle):
    a = sp.Symbol("a")
    names = {"a": a, "u": sp.Symbol("u", real=True), "alpha": ALPHA}
    from symrg.engine.expr import parse_expression
    with pytest.raises(SpecError, match=needle):
        parse_expression(text, names, "k", {a})


def test_declared_k_cannot_be_the_mode_index():
    with pytest.raises(SpecError, match="mode index"):
        _family("k**(-2)", {"k": "positive", "u": "real"})


@pytest.mark.parametrize("alpha,kappa", [(0.5, 3), (1.0, 10), (2.5, 1)])
def test_tail_sum_is_hurwitz_zeta(alpha, kappa):
    closed = tail_sum(A * K ** (-1 - ALPHA), K, KAPPA)
    assert closed == A * sp.zeta(1 + ALPHA, KAPPA + 1)
    val = float(closed.subs({A: sp.Rational(3, 2), ALPHA: sp.Float(alpha), KAPPA: kappa}))
    ref = 1.5 * mpmath.nsum(lambda k: k ** (-1 - alpha), [kappa + 1, mpmath.inf], method="euler-maclaurin")
    assert abs(val / float(ref) - 1) < 1e-10


def test_tail_sum_asymptotic_error_falls_as_the_next_term():
    """Three Euler-Maclaurin terms: the error of 1/k^2 tails falls as kappa^-5 (the next term, -1/(30 kappa^5))."""
    asym = tail_sum_asymptotic(K ** -2, K, KAPPA, 3)
    assert sp.simplify(asym - (1 / KAPPA - 1 / (2 * KAPPA ** 2) + 1 / (6 * KAPPA ** 3))) == 0
    errs = []
    for kap in (20, 40):
        exact = mpmath.zeta(2, kap + 1)
        errs.append(abs(float(asym.subs(KAPPA, kap)) - float(exact)))
    assert 25 < errs[0] / errs[1] < 39            # 2^5 = 32
    assert abs(errs[0] - 1 / (30 * 20 ** 5)) / errs[0] < 0.2


def test_divergent_sum_is_refused():
    with pytest.raises(SpecError, match="diverges"):
        tail_sum(1 / K, K, KAPPA)


def test_sums_with_an_explicit_summand_and_the_cutoff_name():
    """[sums.c] with summand A*k**(-1-alpha) and cutoff Lambda: closed form and flow keep the name Lambda."""
    d = {"sums": {"c": {"summand": "A*k**(-1-alpha)", "cutoff": "Lambda"}},
         "fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "c"}},
         "action": {"interaction": "(a + b)**2/(2*s)"}}
    res = wilson_step(parse_action(d), 2, use_cache=False)
    js = res.to_json()
    assert js["sums"]["c"]["closed_form"] == "A*zeta(alpha + 1, Lambda + 1)"
    assert all("Lambda_" not in v and "kappa" not in v for v in js["flow"].values())
    assert any("Lambda" in v for v in js["flow"].values())
    for text in [js["sums"]["c"]["closed_form"], js["sums"]["c"]["asymptotic"], *js["flow"].values()]:
        assert as_expr(text).free_symbols                  # the whitelist parser reads every string back


def test_cutoff_name_kappa_is_not_doubled():
    """The report's example: [sums.c] summand = "kappa**(-2)" printed kappa_kappa."""
    d = {"parameters": {"sigma": "positive"}, "sums": {"c": {"summand": "kappa**(-2)"}},
         "fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "c"}},
         "action": {"interaction": "(a + b)**2/(2*sigma**2)"}}
    res = wilson_step(parse_action(d), 2, use_cache=False)
    text = str(res.to_json())
    assert "kappa_kappa" not in text
    assert any(v.endswith("/(kappa**2*sigma**4)") or "kappa**2" in v for v in res.to_json()["flow"].values())


def test_local_field_with_an_explicit_spectrum():
    d = {"parameters": {"u": "real", "A": "positive", "alpha": "positive"},
         "fields": {"h": {"role": "split", "local": True, "propagator": "A*k**(-1-alpha)"}},
         "couplings": {"q": {"kind": "local", "field": "h", "expression": "u/24*h**4"}}}
    act = parse_action(d)
    res = wilson_step(act, 1, use_cache=False)
    flow = res.flow[sp.Symbol("h_<") ** 2]
    a = next(p for p in act.parameters if p.name == "A")
    assert flow.has(a) and not any(s.name.startswith("G_") for s in flow.free_symbols)
