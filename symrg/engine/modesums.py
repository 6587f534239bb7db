"""Sums over the modes above the cutoff, in closed form, and their large-cutoff expansion
(docs/theory.md section 4: ``sum_{k>kappa} A k^-(1+alpha) = A zeta(1+alpha, kappa+1)``).

An explicit spectrum ``F(k)`` of the mode index ``k`` (a mode family's propagator, a ``[sums]``
summand) is summed by ``sympy.summation`` after pulling factors free of ``k`` out of each term
(linearity); power laws give the Hurwitz zeta function.  The large-``kappa`` form is the
Euler-Maclaurin expansion

    sum_{k=kappa+1}^oo F(k) = ∫_kappa^oo F(k) dk - F(kappa)/2 - sum_{j>=1} B_{2j}/(2j)! F^{(2j-1)}(kappa),

whose first term is the continuum tail of the flow ``d sigma^2/d kappa = -lambda_kappa``.
Everything here is SymPy; nothing is evaluated numerically.
"""
from __future__ import annotations

import functools

import sympy as sp

__all__ = ["tail_sum", "tail_sum_asymptotic"]


def _integer_cutoff(kappa: sp.Symbol):
    """An integer stand-in for the cutoff (SymPy sums need integer limits), and the way back."""
    kk = sp.Symbol(f"_{kappa.name}_int", integer=True, nonnegative=True)
    return kk, {kk: kappa}


@functools.lru_cache(maxsize=256)
def tail_sum(spectrum: sp.Expr, index: sp.Symbol, kappa: sp.Symbol) -> sp.Expr:
    """``sum_{index > kappa} spectrum`` in closed form (an unevaluated ``Sum`` when SymPy has none).

    ``index`` must be a positive integer symbol; the cutoff may carry any assumptions (it is
    replaced by an integer stand-in while summing).
    """
    from ..errors import SpecError

    kk, back = _integer_cutoff(kappa)
    total = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(spectrum, power_exp=False, power_base=False)):
        const, dep = term.as_independent(index, as_Add=False)
        if dep.is_Pow and dep.base == index and (-dep.exp - 1).is_positive:
            total += const * sp.zeta(-dep.exp, kk + 1)          # Hurwitz zeta, definition (converges: s > 1)
        elif dep.is_Pow and dep.base == index and (-dep.exp - 1).is_nonpositive:
            # zeta(s, kappa + 1) for s <= 1 is an analytic continuation, not the sum: refuse it
            raise SpecError(f"the sum over the modes above the cutoff of {spectrum} diverges (the power "
                            f"{dep} falls no faster than 1/k; a spectrum must fall faster, e.g. k**(-1-alpha) "
                            f"with alpha > 0)")
        else:
            total += const * sp.summation(dep, (index, kk + 1, sp.oo))
    if total.has(sp.Piecewise):
        raise SpecError(f"the sum over the modes above the cutoff of {spectrum} converges only for some values of "
                        f"its parameters ({total.xreplace(back)}); declare them so that it provably converges, e.g. "
                        f"k**(-1-alpha) with alpha positive under [parameters]")
    if total.has(sp.zoo, sp.oo, sp.nan):
        raise SpecError(f"the sum over the modes above the cutoff of {spectrum} diverges ({total})")
    return total.xreplace(back)


@functools.lru_cache(maxsize=256)
def tail_sum_asymptotic(spectrum: sp.Expr, index: sp.Symbol, kappa: sp.Symbol, terms: int = 3) -> sp.Expr:
    """The first ``terms`` terms of the Euler-Maclaurin expansion of :func:`tail_sum` at large ``kappa``:
    ``∫_kappa^oo F - F(kappa)/2 - F'(kappa)/12 + F'''(kappa)/720 - ...`` (``terms`` >= 1)."""
    x = sp.Symbol(f"_{index.name}_cont", positive=True)
    kap = sp.Symbol(f"_{kappa.name}_cont", positive=True)
    F = spectrum.xreplace({index: x})
    out = [sp.integrate(F, (x, kap, sp.oo), conds="none")]
    if terms >= 2:
        out.append(-F.xreplace({x: kap}) / 2)
    j = 1
    while len(out) < terms:
        out.append(-sp.bernoulli(2 * j) / sp.factorial(2 * j) * sp.diff(F, x, 2 * j - 1).xreplace({x: kap}))
        j += 1
    return sp.powsimp(sp.Add(*[sp.simplify(t) for t in out]).xreplace({kap: kappa}))
