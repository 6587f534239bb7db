"""The moments route of the Wilsonian step (docs/theory.md section 3): ``S_int`` expanded in monomials of
the integrated fields with coefficients in a polynomial ring of the kept fields and parameters, moments
``<b^m> = (m-1)!! G^{m/2}`` (Isserlis), and the moment-cumulant recursion
``kappa_n = mu_n - sum_{m<n} C(n-1, m-1) kappa_m mu_{n-m}``; the order-``n`` term of ``S_eff`` is
``(-1)^{n+1} kappa_n / n!``.  Used by :func:`symrg.engine.wilson.wilson_step` and by the flow of running
couplings (:mod:`symrg.engine.running`).
"""
from __future__ import annotations

import math

import sympy as sp
from sympy.polys.constructor import construct_domain
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from .action import Action
from .wick import double_factorial

__all__ = ["cumulant_terms"]


def _active(action: Action) -> Action:
    """The action restricted to the fields that appear in ``S_int`` (the others decouple: their
    Gaussian integrals are the normalisation that ``S_eff`` drops, and kept fields outside ``S_int``
    only enter ``S_0``).  Keeps the cost of a step independent of absent modes."""
    free = action.interaction.free_symbols
    kept = tuple(s for s in action.kept if s in free)
    integ = tuple(s for s in action.integrated if s in free)
    if len(kept) == len(action.kept) and len(integ) == len(action.integrated):
        return action
    props = tuple((s, g) for s, g in action.propagators if s in free)
    return Action(kept=kept, integrated=integ, propagators=props, interaction=action.interaction,
                  parameters=action.parameters, local=action.local, sums=action.sums, name=action.name,
                  fields=action.fields)


def _placeholders(action: Action):
    props = action.propagator_map
    out = []
    for i, b in enumerate(action.integrated):
        g = props[b]
        out.append(g if isinstance(g, sp.Symbol) else sp.Symbol(f"_symrg_G{i}"))
    return out


def _coefficient_ring(action: Action, terms, gph):
    """Ring for coefficients: flat QQ[kept, G, params] if possible, else QQ(...)/EX ground."""
    kept = list(action.kept)
    coeffs = [c for c, _, _ in terms]
    params = sorted(set().union(*[c.free_symbols for c in coeffs]) - set(gph) - set(kept), key=str) \
        if coeffs else []
    gens = kept + [g for i, g in enumerate(gph) if g not in gph[:i]] + params
    if all(c.is_polynomial(*params) for c in coeffs):
        try:
            R = ring(gens, QQ)[0]
            return R, [R.from_expr(c) if c.free_symbols else R(QQ.from_sympy(c)) for c in coeffs]
        except (sp.polys.polyerrors.PolynomialError, sp.CoercionFailed, ValueError, TypeError):
            pass
    K, elems = construct_domain(coeffs, field=True)
    gens = kept + [g for i, g in enumerate(gph) if g not in gph[:i]]
    try:
        R = ring(gens, K)[0]
    except sp.polys.polyerrors.GeneratorsError:
        # the coefficients hold a generator inside a function of the parameters (e.g. G**4 exp(4 g) after
        # resummation): the ground domain cannot share it, so the coefficients are kept as expressions
        from sympy.polys.domains import EX
        R = ring(gens, EX)[0]
        return R, [R.ground_new(EX.from_sympy(c)) for c in coeffs]
    return R, [R.ground_new(e) for e in elems]


def cumulant_terms(action: Action, order: int, progress=None, max_degree: int | None = None) -> list:
    """``[T_1, ..., T_order]``, ``T_n = (-1)^{n+1} kappa_n / n!`` as dicts kept-monomial -> expr.

    ``max_degree`` projects on kept monomials of total degree ``<= max_degree`` *during* the
    computation: every power of ``S_int``, every moment and every cumulant is truncated as it is
    formed.  This is exact for the kept part, because the kept degree of a product is the sum of
    the degrees of its factors (all non-negative), so a dropped term never feeds a kept one.
    """
    action = _active(action)
    terms = action.interaction_terms()
    if not terms:
        return [dict() for _ in range(order)]
    if max_degree is not None:
        terms = [t for t in terms if sum(t[1]) <= max_degree]
        if not terms:
            return [dict() for _ in range(order)]
    gph = _placeholders(action)
    R, celems = _coefficient_ring(action, terms, gph)
    nk = len(action.kept)
    kept_gens = R.gens[:nk]
    gel = [R.gens[list(R.symbols).index(g)] for g in gph]

    if max_degree is None:
        def prune(p):
            return p
    else:
        def prune(p):
            if all(sum(m[:nk]) <= max_degree for m in p.keys()):
                return p
            return R.from_dict({m: c for m, c in p.items() if sum(m[:nk]) <= max_degree})

    S = {}
    for (c, kexp, bexp), ce in zip(terms, celems):
        el = ce
        for g, e in zip(kept_gens, kexp):
            if e:
                el = el * g ** e
        S[bexp] = S.get(bexp, R.zero) + el
    mom_cache = {}

    def moment(bexp):
        if bexp not in mom_cache:
            out = R.one
            for n, g in zip(bexp, gel):
                if n % 2:
                    out = R.zero
                    break
                if n:
                    out = out * double_factorial(n - 1) * g ** (n // 2)
            mom_cache[bexp] = out
        return mom_cache[bexp]

    nb = len(action.integrated)
    P = {(0,) * nb: R.one}
    mus = []
    for k in range(order):
        if progress is not None:
            progress("moments", k + 1)
        Q = {}
        for e1, p1 in P.items():
            for e2, s2 in S.items():
                e = tuple(x + y for x, y in zip(e1, e2))
                Q[e] = Q.get(e, R.zero) + prune(p1 * s2)
        P = {e: q for e, q in Q.items() if q}
        mus.append(sum((p * moment(e) for e, p in P.items() if not any(x % 2 for x in e)), R.zero))
    kappas = []
    for n in range(1, order + 1):
        k = mus[n - 1]
        for m in range(1, n):
            k = k - prune(math.comb(n - 1, m - 1) * kappas[m - 1] * mus[n - m - 1])
        kappas.append(k)
    subs = {g: action.propagator_map[b] for g, b in zip(gph, action.integrated) if g.name.startswith("_symrg_G")}
    out = []
    for n, k in enumerate(kappas, start=1):
        T = k * QQ((-1) ** (n + 1), math.factorial(n))
        out.append(_split_by_kept(T, R, nk, action.kept, subs))
    return out


def _split_by_kept(T, R, nk, kept, subs) -> dict:
    groups = {}
    dom = R.domain
    rest_syms = R.symbols[nk:]
    for monom, coeff in T.terms():
        kmon = sp.Mul(*[s ** e for s, e in zip(kept, monom[:nk])])
        rest = dom.to_sympy(coeff) * sp.Mul(*[s ** e for s, e in zip(rest_syms, monom[nk:])])
        groups.setdefault(kmon, []).append(rest)
    out = {}
    for kmon, parts in groups.items():
        expr = sp.Add(*parts)
        if subs:
            expr = expr.xreplace(subs)
            if any(not g.exp.is_number for g in expr.atoms(sp.Pow)):
                expr = sp.powsimp(expr)   # kappa**(2*alpha)*kappa**(-2*alpha - 2) -> kappa**(-2)
        if expr != 0:
            out[kmon] = expr
    return out


