"""Resummation: exact Gaussian integration and the self-consistent (Hartree) closure.

The cumulant expansion of :mod:`symrg.engine.wilson` is a series in the interaction.  Two
operations sum whole classes of its terms exactly (docs/theory.md sections 3 and 4a):

* :func:`gaussian_integrate` -- when the action is *quadratic* in the integrated fields the
  integral is Gaussian and is done in closed form: with ``S = 1/2 g^T A g - J^T g + S(0)``,
  ``-log ∫ d^n g e^{-S} = S(0) - 1/2 J^T A^{-1} J + 1/2 log det A - (n/2) log 2 pi``.  Quadratic
  insertions on a propagator (a chain of two-point vertices) are summed to all orders this way:
  ``lambda - lambda^2 m + lambda^3 m^2 - ... = (1/lambda + m)^{-1}``.
* :func:`dressed_propagator` -- the propagator of a field under a quadratic action (the inverse
  Hessian), read off the exact integral with a source: ``G = -d^2 S_eff / dJ^2``.
* :func:`split_quadratic` -- inside a Wilsonian step (``wilson_step(..., resum=True)``): the part
  of ``S_int`` that is at most quadratic in the integrated fields -- source terms ``J_i(a) b_i``
  with any kept-field dependence, and mass insertions ``M_ij b_i b_j`` free of kept fields -- is
  integrated exactly; what remains is expanded about the shifted field with the dressed propagator.
* :func:`self_consistent` -- the Hartree (Dyson-resummed one-loop) closure: a parameter ``p``
  renormalised to ``R(p)`` by one step, with the loop evaluated at the renormalised value
  itself, ``p_eff = R(p -> p_eff)``; returned as a SymPy equation together with its residual
  ``R(p_eff) - p_eff``, which numerical code solves (docs/theory.md section 4a).

Everything here is SymPy; no numerics.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.utilities import dotprodsimp

from ..errors import SpecError

__all__ = ["gaussian_integrate", "dressed_propagator", "SelfConsistentClosure", "self_consistent", "split_quadratic",
           "QuadraticSplit"]


def gaussian_integrate(action: sp.Expr, variables) -> sp.Expr:
    """Return ``-log ∫ d^n g exp(-S(g))`` for an action ``S`` quadratic in ``variables``.

    ``A`` is the Hessian of ``S`` and ``J = -grad S(0)``, both obtained by differentiation; the
    routine checks that ``S`` is exactly quadratic (Hessian free of ``g``) before using the
    closed form, and raises :class:`~symrg.errors.SpecError` otherwise.
    """
    g = list(variables)
    n = len(g)
    if n == 0:
        raise SpecError("gaussian_integrate: no variables to integrate")
    zero = {v: 0 for v in g}
    amat = sp.hessian(action, g)
    if any(entry.has(*g) for entry in amat):
        raise SpecError("gaussian_integrate: the action is not quadratic in the integrated variables "
                        f"{[str(v) for v in g]}")
    # a Hessian free of g means S is exactly quadratic: S = S(0) - J^T g + 1/2 g^T A g
    jvec = -sp.Matrix([sp.diff(action, v) for v in g]).subs(zero)
    s0 = action.subs(zero)
    with dotprodsimp(False):  # SymPy's intermediate simplification costs seconds for 3x3 symbols
        quad = (jvec.T * amat.inv() * jvec)[0, 0]
        logdet = sp.log(amat.det())
    return s0 - quad / 2 + logdet / 2 - sp.Rational(n, 2) * sp.log(2 * sp.pi)


def dressed_propagator(quadratic_action: sp.Expr, field: sp.Symbol) -> sp.Expr:
    """Propagator ``<field^2>`` under a quadratic action, by exact integration with a source.

    ``S_eff(J) = -log ∫ d field exp(-S + J field)``; ``G = -d^2 S_eff/dJ^2`` (docs/theory.md
    section 4a: the data-dressed propagator ``(1/lambda + eta/sigma^2)^{-1}`` of a greater mode).
    """
    J = sp.Dummy("J", real=True)
    s_eff = gaussian_integrate(quadratic_action - J * field, [field])
    return sp.simplify(-sp.diff(s_eff, J, 2))


@dataclass(frozen=True)
class SelfConsistentClosure:
    """``unknown = renormalised(parameter -> unknown)``: a Hartree closure.

    ``equation`` is the SymPy equation, ``residual`` = right-hand side minus ``unknown`` (a root of
    it is the self-consistent value), ``parameter`` the bare parameter, ``unknown`` its closed value.
    """

    parameter: sp.Symbol
    unknown: sp.Symbol
    equation: sp.Eq
    residual: sp.Expr


def self_consistent(renormalised: sp.Expr, loop_parameter: sp.Symbol, unknown: sp.Symbol,
                    bare: sp.Expr | None = None) -> SelfConsistentClosure:
    """Close a one-step renormalisation on itself (Hartree / Dyson resummation of the loop).

    ``renormalised`` is the parameter after one Wilsonian step, e.g. ``sigma^2 + sum_k G_k(sigma^2)``
    where the loop ``G_k`` depends on ``loop_parameter``.  The closure evaluates the loop at the
    renormalised value itself: ``unknown = renormalised(loop_parameter -> unknown)``, keeping the
    *bare* parameter where it enters additively (``bare``, default ``loop_parameter``).  Every
    occurrence of ``loop_parameter`` inside sums (the loop) is replaced; the additive bare term is
    left alone.
    """
    if not isinstance(loop_parameter, sp.Symbol) or not isinstance(unknown, sp.Symbol):
        raise SpecError("self_consistent: loop_parameter and unknown must be SymPy symbols")
    bare = loop_parameter if bare is None else bare
    loop = sp.expand(renormalised - bare)
    if loop.has(loop_parameter) is False and not any(a.has(loop_parameter) for a in loop.atoms(sp.Sum)):
        raise SpecError(f"self_consistent: the loop does not depend on {loop_parameter}; nothing to close")
    closed = bare + loop.xreplace({loop_parameter: unknown})
    return SelfConsistentClosure(loop_parameter, unknown, sp.Eq(unknown, closed), closed - unknown)


@dataclass(frozen=True)
class QuadraticSplit:
    """The exact Gaussian part of a Wilsonian step and the remainder (:func:`split_quadratic`).

    ``gaussian``: kept monomial -> coefficient of ``S(a, 0) - 1/2 J^T G' J + 1/2 log det(1 + G M)``;
    ``remainder``: the action whose integrated fields ``z`` are independent with the dressed
    propagators (diagonal case) or unit variance (after a Cholesky factor ``b = m(a) + L z``), and
    whose interaction is the rest of ``S_int`` at ``b = m(a) + L z``; ``dressed``: the matrix ``G'``.
    """

    gaussian: dict
    remainder: object
    dressed: sp.Matrix


def split_quadratic(action) -> QuadraticSplit:
    """Integrate the part of ``S_int`` at most quadratic in the integrated fields exactly.

    With ``S_0 = 1/2 b^T G^{-1} b`` and ``S_int = T(a) + J(a)^T b + 1/2 b^T M b + R(a, b)``, where
    ``M`` is free of the kept fields (mass insertions) and ``R`` holds everything else,

        -log <exp(-S_int)>_b = T - 1/2 J^T G' J + 1/2 log det(1 + G M) - log <exp(-R(a, m + L z))>_z,

    with ``G' = (G^{-1} + M)^{-1}`` the dressed propagator (the chain of insertions summed,
    docs/theory.md section 3), ``m(a) = -G' J(a)`` the shift and ``L L^T = G'``.  The first three
    terms are exact (all orders); the last is the cumulant series of the remainder, which
    :func:`symrg.engine.wilson.wilson_step` expands to the requested order.  Quadratic terms whose
    coefficient depends on the kept fields stay in ``R`` (integrating them exactly would make
    ``S_eff`` non-polynomial in the kept fields).
    """
    from .action import Action

    kept, integ = list(action.kept), list(action.integrated)
    n = len(integ)
    props = action.propagator_map
    tpart, rest = sp.Integer(0), sp.Integer(0)
    jvec = [sp.Integer(0)] * n
    mmat = sp.zeros(n, n)
    for c, kexp, bexp in action.interaction_terms():
        kmon = sp.Mul(*[s ** e for s, e in zip(kept, kexp)])
        deg = sum(bexp)
        if deg == 0:
            tpart += c * kmon
        elif deg == 1:
            jvec[bexp.index(1)] += c * kmon
        elif deg == 2 and sum(kexp) == 0:
            idx = [i for i, e in enumerate(bexp) for _ in range(e)]
            i, j = idx
            if i == j:
                mmat[i, i] += 2 * c
            else:
                mmat[i, j] += c
                mmat[j, i] += c
        else:
            rest += c * kmon * sp.Mul(*[integ[i] ** e for i, e in enumerate(bexp)])
    gmat = sp.diag(*[props[b] for b in integ])
    with dotprodsimp(False):
        amat = gmat.inv() + mmat
        dressed = amat.inv().applyfunc(sp.cancel)
        jv = sp.Matrix(jvec)
        quad = sp.expand((jv.T * dressed * jv)[0, 0])
        logdet = sp.log(sp.factor((sp.eye(n) + gmat * mmat).det())) if mmat != sp.zeros(n, n) else sp.Integer(0)
        shift = -(dressed * jv)
    if logdet != 0 and (logdet.args[0].is_positive is False or logdet.args[0].is_zero):
        raise SpecError(f"resummation: det(1 + G M) = {logdet.args[0]} is not positive; the quadratic part "
                        f"of the integrated fields is not a Gaussian weight")
    gaussian: dict = {}
    total = sp.expand(tpart - quad / 2)
    poly = sp.Poly(total, *kept) if kept else None
    if kept:
        for monom, coeff in poly.terms():
            m = sp.Mul(*[s ** e for s, e in zip(kept, monom)])
            gaussian[m] = gaussian.get(m, 0) + sp.factor(coeff)
    elif total != 0:
        gaussian[sp.Integer(1)] = total
    if logdet != 0:
        gaussian[sp.Integer(1)] = gaussian.get(sp.Integer(1), 0) + logdet / 2
    gaussian = {m: v for m, v in gaussian.items() if v != 0}
    if rest == 0:
        return QuadraticSplit(gaussian, None, dressed)
    diagonal = all(dressed[i, j] == 0 for i in range(n) for j in range(n) if i != j)
    if diagonal:
        zs = [sp.Dummy(f"{b}_z", real=True) for b in integ]
        zprops = [(z, dressed[i, i]) for i, z in enumerate(zs)]
        sub = {b: shift[i] + zs[i] for i, b in enumerate(integ)}
    else:
        lmat = dressed.cholesky(hermitian=False)
        zs = [sp.Dummy(f"{b}_z", real=True) for b in integ]
        zprops = [(z, sp.Integer(1)) for z in zs]
        zv = lmat * sp.Matrix(zs)
        sub = {b: shift[i] + zv[i] for i, b in enumerate(integ)}
    rem = sp.expand(rest.xreplace(sub))
    params = tuple(sorted(rem.free_symbols - set(kept) - set(zs), key=str))
    remainder = Action(kept=tuple(kept), integrated=tuple(zs), propagators=tuple(zprops), interaction=rem,
                       parameters=params, name=action.name, fields=action.fields)
    return QuadraticSplit(gaussian, remainder, dressed)
