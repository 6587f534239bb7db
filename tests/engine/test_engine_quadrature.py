"""Perturbative S_eff coefficients against zero-dimensional integrals (docs/theory.md sections 6 and 7).

Route: with ``S_int -> t S_int`` the coefficient of ``t^n`` in ``S_eff(a) = -log <exp(-t S_int)>``
comes from the moments ``m_n(a) = <S_int(a, b)^n>`` computed here by quadrature (mpmath at 40
digits for one integrated variable, Gauss-Hermite tensor products for several), independently
of any Wick counting; the formal power series is compared order by order at several values of
the kept fields (so it also holds for the divergent pure-cubic case).
"""
import itertools
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from symrg.engine import make_action, wilson_step

DIGITS = 10


def _series_from_moments(moments):
    """T_n = (-1)^{n+1} kappa_n / n! from raw moments m_1..m_N (moment-cumulant recursion)."""
    kappas = []
    for n in range(1, len(moments) + 1):
        k = moments[n - 1]
        for m in range(1, n):
            k -= math.comb(n - 1, m - 1) * kappas[m - 1] * moments[n - m - 1]
        kappas.append(k)
    return [(-1) ** (n + 1) * k / math.factorial(n) for n, k in enumerate(kappas, start=1)]


def _digits(x, y):
    x, y = mpmath.mpf(x), mpmath.mpf(y)
    scale = max(abs(x), abs(y))
    if scale == 0:
        return 99
    d = abs(x - y) / scale
    return 99 if d == 0 else float(-mpmath.log10(d))


def _moments_1d(sint_fn, G, order):
    """<S_int^n> over b ~ N(0, G) with mpmath.quad at 40 digits."""
    with mpmath.workdps(40):
        norm = 1 / mpmath.sqrt(2 * mpmath.pi * G)
        out = []
        for n in range(1, order + 1):
            f = lambda b: norm * mpmath.exp(-b * b / (2 * G)) * sint_fn(b) ** n
            out.append(mpmath.quad(f, [-mpmath.inf, -3, 0, 3, mpmath.inf]))
        return out


def _check_1d(expr, a_syms, b, G_sym, values, a_points, order):
    """Compare engine by_order[n] with quadrature at each point; return min digits per order."""
    act = make_action(a_syms, {b: G_sym}, expr)
    res = wilson_step(act, order, diagrams=False, use_cache=False)
    G = values[G_sym]
    terms = [sp.lambdify(a_syms, sum(c.xreplace(values) * m for m, c in res.by_order[n].items()), "mpmath")
             for n in range(1, order + 1)]
    best = [99.0] * order
    with mpmath.workdps(40):
        for pt in a_points:
            sub = {**values, **dict(zip(a_syms, pt))}
            e_num = sp.lambdify(b, expr.xreplace(sub), "mpmath")
            moms = _moments_1d(e_num, mpmath.mpf(G.p) / G.q, order)
            ref = _series_from_moments(moms)
            exact_pt = [mpmath.mpf(x.p) / x.q for x in pt]
            for n in range(1, order + 1):
                best[n - 1] = min(best[n - 1], _digits(terms[n - 1](*exact_pt), ref[n - 1]))
    return best


a, a2, b = sp.symbols("a a2 b")
G = sp.Symbol("G", positive=True)
u, g, w = sp.symbols("u g w")
VALS = {G: sp.Rational(7, 10), u: sp.Rational(3, 10), g: sp.Rational(1, 2), w: sp.Rational(1, 5)}
POINTS1 = [(sp.Rational(-3, 5),), (sp.Rational(1, 3),), (sp.Rational(6, 5),)]


@pytest.mark.parametrize("label,expr,order", [
    ("quartic", u / 24 * (a + b) ** 4, 4),
    ("cubic", g / 6 * (a + b) ** 3, 3),
    ("sextic", w / 720 * (a + b) ** 6, 3),
    ("cubic+quartic+source", g / 6 * (a + b) ** 3 + u / 24 * (a + b) ** 4 - g * b, 3),
])
def test_one_kept_one_integrated(label, expr, order):
    digits = _check_1d(expr, [a], b, G, VALS, POINTS1, order)
    assert min(digits) >= DIGITS, (label, digits)


def test_two_kept_one_integrated():
    expr = u / 24 * (a + a2 + b) ** 4 + g / 6 * (a - a2 + b) ** 3
    pts = [(sp.Rational(-1, 2), sp.Rational(1, 3)), (sp.Rational(2, 3), sp.Rational(1, 4)),
           (sp.Rational(1, 5), sp.Rational(-4, 5)), (sp.Rational(1, 1), sp.Rational(1, 2))]
    digits = _check_1d(expr, [a, a2], b, G, VALS, pts, 3)
    assert min(digits) >= DIGITS, digits


def test_quartic_series_against_exact_integral():
    """Non-perturbative check: -log Z(u)/Z0 at small u minus the order-4 series is O(u^5)."""
    res = wilson_step(make_action([a], {b: G}, u / 24 * (a + b) ** 4), 4, diagrams=False, use_cache=False)
    Gv, av = mpmath.mpf("0.7"), mpmath.mpf("0.4")
    with mpmath.workdps(40):
        for uv in (mpmath.mpf("1e-3"), mpmath.mpf("2e-3")):
            f = lambda bb: mpmath.exp(-bb ** 2 / (2 * Gv) - uv / 24 * (av + bb) ** 4)
            z = mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf]) / mpmath.sqrt(2 * mpmath.pi * Gv)
            exact = -mpmath.log(z)
            series = sum(mpmath.mpf(str(sp.N(sum((c * m) for m, c in res.by_order[n].items())
                                            .subs({G: sp.Rational(7, 10), a: sp.Rational(2, 5),
                                                   u: sp.Float(str(uv), 40)}), 40)))
                         for n in range(1, 5))
            assert abs(exact - series) < 10 * uv ** 5


# -- several integrated modes: Gauss-Hermite tensor product (exact for these polynomials) -------

def _gh_moments(expr, bsyms, Gs, sub, order, nodes=16):
    x, wts = np.polynomial.hermite_e.hermegauss(nodes)  # weight exp(-x^2/2)
    wts = wts / math.sqrt(2 * math.pi)
    f = sp.lambdify(bsyms, expr.xreplace(sub), "numpy")
    grids = np.meshgrid(*[x * math.sqrt(gv) for gv in Gs], indexing="ij")
    wgrid = np.ones_like(grids[0])
    for wgt in np.meshgrid(*[wts] * len(bsyms), indexing="ij"):
        wgrid = wgrid * wgt
    vals = np.asarray(f(*grids), dtype=float) * np.ones_like(wgrid)
    return [float(np.sum(wgrid * vals ** n)) for n in range(1, order + 1)]


def _check_modes(expr, kept, bsyms, Gvals, pvals, points, order):
    props = {bs: sp.Symbol(f"G{i}", positive=True) for i, bs in enumerate(bsyms)}
    act = make_action(kept, props, expr)
    res = wilson_step(act, order, diagrams=False, use_cache=False)
    gsub = {props[bs]: gv for bs, gv in zip(bsyms, Gvals)}
    fixed = {**pvals, **gsub}
    terms = [sp.lambdify(kept, sum(c.xreplace(fixed) * m for m, c in res.by_order[n].items()), "mpmath")
             for n in range(1, order + 1)]
    best = [99.0] * order
    for pt in points:
        sub = {**pvals, **dict(zip(kept, pt))}
        ref = _series_from_moments(_gh_moments(expr, bsyms, [float(v) for v in Gvals], sub, order))
        for n in range(1, order + 1):
            val = float(terms[n - 1](*pt))
            best[n - 1] = min(best[n - 1], _digits(val, ref[n - 1]))
    return best


def _sym_tensor(fs, rng, name="U"):
    expr, vals = 0, {}
    for idx in itertools.combinations_with_replacement(range(len(fs)), 4):
        s = sp.Symbol(f"{name}_" + "".join(str(i + 1) for i in idx))
        vals[s] = sp.Rational(int(rng.integers(-10, 11)), 40)
        mult = math.factorial(4) // math.prod(math.factorial(len(list(gp))) for _, gp in itertools.groupby(idx))
        expr += mult * s * sp.Mul(*[fs[i] for i in idx])
    return sp.expand(expr / 24), vals


@pytest.mark.parametrize("n_kept,n_int", [(2, 2), (1, 3)])
def test_tensor_quartic_modes(n_kept, n_int):
    rng = np.random.default_rng(n_kept * 10 + n_int)
    fs = sp.symbols(f"f_1:{n_kept + n_int + 1}")
    expr, uvals = _sym_tensor(fs, rng)
    Gvals = [sp.Rational(1, 2), sp.Rational(3, 10), sp.Rational(1, 5)][:n_int]
    pts = [tuple(sp.Rational(int(rng.integers(-8, 9)), 10) for _ in range(n_kept)) for _ in range(3)]
    digits = _check_modes(expr, fs[:n_kept], fs[n_kept:], Gvals, uvals, pts, 3)
    assert min(digits) >= DIGITS, digits


def test_mixed_cubic_sextic_two_integrated():
    a1, a2_, b1, b2 = sp.symbols("a_1 a_2 b_1 b_2")
    J = sp.Symbol("J")
    expr = g / 6 * (a1 + b1 + b2) ** 3 + u / 24 * (a2_ + b1 - b2) ** 4 + w / 720 * (a1 + b2) ** 6 - J * b1
    pvals = {g: sp.Rational(1, 2), u: sp.Rational(3, 10), w: sp.Rational(1, 5), J: sp.Rational(1, 3)}
    pts = [(sp.Rational(1, 2), sp.Rational(-1, 3)), (sp.Rational(-2, 5), sp.Rational(3, 5))]
    digits = _check_modes(expr, [a1, a2_], [b1, b2], [sp.Rational(1, 2), sp.Rational(2, 5)], pvals, pts, 3)
    assert min(digits) >= DIGITS, digits
