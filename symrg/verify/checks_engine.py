"""Checks of the Wilsonian engine: moments against mpmath quadrature, textbook symmetry factors (docs/theory.md section 7)."""
from __future__ import annotations

from .registry import check


@check("engine.phi4_quadrature", "S_eff of (u/24)(a+b)^4, b ~ N(0, G), orders 1-3",
       "Wick/cumulant engine", "mpmath quadrature of the moments, 40 digits", 1e-10)
def _engine_phi4():
    import mpmath
    import sympy as sp

    from ..engine import example_path, load_action, wilson_step

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

    from ..engine import example_path, load_action, wilson_step

    res = wilson_step(load_action(example_path("phi4_0d.toml")), 2, use_cache=False)
    found = {Fraction(str(d.symmetry_factor)) for d in res.diagrams}
    want = {Fraction(1, 2), Fraction(1, 6), Fraction(1, 8)}
    missing = want - found
    return float(len(missing)), f"found {sorted(str(x) for x in found)}"
