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

__all__ = ["gaussian_integrate", "dressed_propagator", "SelfConsistentClosure", "self_consistent"]


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
