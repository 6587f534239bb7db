"""Diagrams and symmetry factors (docs/theory.md sections 3 and 6) against textbook counting, brute force and
the independent cumulant (moment) route."""
import itertools

import pytest
import sympy as sp

from symrg.engine import make_action, wilson_step
from symrg.engine.diagrams import brute_force_classes, enumerate_graph_classes
from symrg.engine.wilson import mode_vertex_types

a, b = sp.symbols("a b")
G = sp.Symbol("G", positive=True)
u = sp.Symbol("u")
PHI4 = make_action([a], {b: G}, u / 24 * (a + b) ** 4)


def _find(diags, order, external, expr):
    return [d for d in diags if d.order == order and d.external == external and sp.simplify(d.expression - expr) == 0]


def test_phi4_textbook_symmetry_factors():
    """(u/4!) phi^4 (e.g. Peskin & Schroeder §4.4, Zee I.7): tadpole 1/2, figure-eight 1/8,
    sunset 1/6, one-loop bubble 1/2 per channel (three channels s, t, u)."""
    d = wilson_step(PHI4, 2, use_cache=False).diagrams
    tad = _find(d, 1, a ** 2, u * G * a ** 2 / 4)
    assert len(tad) == 1 and tad[0].symmetry_factor == sp.Rational(1, 2) and tad[0].loops == 1
    eight = _find(d, 1, sp.Integer(1), u * G ** 2 / 8)
    assert len(eight) == 1 and eight[0].symmetry_factor == sp.Rational(1, 8) and eight[0].loops == 2
    sunset = [x for x in d if x.order == 2 and x.external == a ** 2 and x.symmetry_factor == sp.Rational(1, 6)]
    assert len(sunset) == 1 and sunset[0].expression == -u ** 2 * G ** 3 * a ** 2 / 12
    assert sunset[0].channels == 1
    bubble = [x for x in d if x.order == 2 and x.external == a ** 4 and x.loops == 1
              and x.vertices == ("a**2*b**2*u/4",) * 2]
    assert len(bubble) == 1 and bubble[0].symmetry_factor == sp.Rational(1, 2) and bubble[0].channels == 3
    # contribution = (-1) * u^2 G^2 * channels * S / 4! a^4
    assert bubble[0].expression == -u ** 2 * G ** 2 * a ** 4 * 3 * sp.Rational(1, 2) / 24
    basketball = [x for x in d if x.order == 2 and x.external == 1 and x.symmetry_factor == sp.Rational(1, 48)]
    assert len(basketball) == 1


def test_symmetry_factor_matches_contraction_count():
    """n_D * |Aut(D)| = prod m_t! prod_v prod_f d_{v,f}! (orbit-stabiliser), for every class."""
    import math
    vts = mode_vertex_types(PHI4)
    for order in (1, 2, 3, 4):
        for gc in enumerate_graph_classes(vts, order):
            mult = [len(list(g)) for _, g in itertools.groupby(gc.types)]
            group = math.prod(math.factorial(m) for m in mult)
            group *= math.prod(math.factorial(x) for t in gc.types for x in vts[t].legs)
            assert gc.contractions * gc.automorphisms == group * math.prod(
                math.factorial(x) for t in gc.types for x in vts[t].external)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_multigraph_counting_equals_brute_force_matchings(order):
    vts = mode_vertex_types(PHI4)
    en = {(g.types, g.edges): g.contractions for g in enumerate_graph_classes(vts, order)}
    assert en == brute_force_classes(vts, order)


def test_brute_force_two_species():
    b1, b2 = sp.symbols("b1 b2")
    act = make_action([a], {b1: G, b2: sp.Symbol("H", positive=True)},
                      u * (a + b1 + b2) ** 3 + u * b1 ** 2 * b2 ** 2)
    vts = mode_vertex_types(act)
    for order in (1, 2):
        en = {(g.types, g.edges): g.contractions for g in enumerate_graph_classes(vts, order)}
        assert en == brute_force_classes(vts, order)


def _diagram_sum(res):
    tot = {}
    for d in res.diagrams:
        tot[d.external] = tot.get(d.external, 0) + d.expression
    return tot


@pytest.mark.parametrize("expr,order", [
    (u / 24 * (a + b) ** 4, 4),
    (u / 6 * (a + b) ** 3 - u * b, 3),
    (u / 720 * (a + b) ** 6 + u / 24 * (a + b) ** 4, 3),
])
def test_sum_over_diagrams_equals_cumulant_route(expr, order):
    res = wilson_step(make_action([a], {b: G}, expr), order, use_cache=False)
    tot = _diagram_sum(res)
    for k in set(tot) | set(res.coefficients):
        assert sp.expand(tot.get(k, 0) - res.coefficients.get(k, 0) * k) == 0, k


def test_sum_over_diagrams_tensor_two_modes():
    fs = sp.symbols("f_1:5")
    lam = sp.symbols("lambda_3 lambda_4", positive=True)
    S = 0
    for idx in itertools.product(range(4), repeat=4):
        S += sp.Symbol("U_" + "".join(str(i + 1) for i in sorted(idx))) * sp.Mul(*[fs[i] for i in idx])
    act = make_action(fs[:2], {fs[2]: lam[0], fs[3]: lam[1]}, sp.expand(S / 24))
    res = wilson_step(act, 2, use_cache=False)
    tot = _diagram_sum(res)
    for k in set(tot) | set(res.coefficients):
        assert sp.expand(tot.get(k, 0) - res.coefficients.get(k, 0) * k) == 0, k
    # the one-loop tadpole of the tensor coupling: (1/4) sum_k U_{11kk} lambda_k f_1^2
    U1133, U1144 = sp.symbols("U_1133 U_1144")
    assert sp.expand(res.by_order[1][fs[0] ** 2] - (U1133 * lam[0] + U1144 * lam[1]) / 4) == 0
