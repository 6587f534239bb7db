"""The constant ridge from the n-point greater covariance, by averaging over the data measure.

docs/theory.md section 4 (finite-n statement): integrating ``f_>`` out of the finite-data action
gives the noise covariance ``sigma^2 I + C`` with the greater covariance

    C_ij = K_>(x_i, x_j) = Sum(lambda(k) phi(k, x_i) phi(k, x_j), (k, kappa + 1, oo)).

The universal flow replaces ``C`` by ``c I``.  This module derives what ``c`` is and what is
dropped, with the only inputs the definitions of docs/theory.md section 1:

* orthonormality of the Mercer modes, ``E_mu[phi_k(x) phi_q(x)] = delta_kq`` (two modes at one
  point);
* ``m(k) = E_mu[phi_k(x)]`` for a single mode at one point;
* inputs ``x_i``, ``x_j`` drawn independently from ``mu`` (the average of a product over distinct
  points factorises).

Derived (SymPy, by :func:`measure_average` applied to the summand under the ``Sum``):

* diagonal:     ``E_mu C_ii = Sum(lambda(k), (k, kappa + 1, oo))``: the ``c`` of the universal ridge;
* off-diagonal: ``E_mu C_ij = Sum(lambda(k) m(k)**2, (k, kappa + 1, oo))`` (``i != j``): the average
  of what the constant ridge drops; the fluctuations of ``C_ij`` about it are dropped as well
  (reported by the ``flow.constant_ridge_shift`` check of ``symrg verify``, which checks ``c`` by two routes).

Substituting the diagonal average for ``c`` in the ridge read off the per-sample integral of
:mod:`symrg.theory.gaussian` gives ``sigma^2 + Sum(lambda(k), ...)``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from ..errors import VerificationError
from .gaussian import C, K, KAPPA, LAMBDA, SIGMA2

__all__ = ["PHI", "MODE_MEAN", "greater_covariance", "measure_average", "MeasureAverage", "derive_measure_average"]

PHI = sp.Function("phi")          # phi(k, x): Mercer mode k at input x
MODE_MEAN = sp.Function("m")      # m(k) = E_mu[phi_k(x)]
X_I, X_J = sp.symbols("x_i x_j", real=True)


def greater_covariance(x, xp) -> sp.Sum:
    """``K_>(x, x') = Sum(lambda(k) phi(k, x) phi(k, x'), (k, kappa + 1, oo))`` (docs/theory.md section 4)."""
    return sp.Sum(LAMBDA(K) * PHI(K, x) * PHI(K, xp), (K, KAPPA + 1, sp.oo))


def _point_average(modes: list) -> sp.Expr:
    """``E_mu`` of a product of modes at ONE point: 1, ``m(k)``, or ``delta_kq`` (orthonormality)."""
    if not modes:
        return sp.Integer(1)
    if len(modes) == 1:
        return MODE_MEAN(modes[0])
    if len(modes) == 2:
        return sp.KroneckerDelta(*modes)
    raise VerificationError(f"the average of {len(modes)} modes at one point is not fixed by orthonormality")


def _average_product(term: sp.Expr, points) -> sp.Expr:
    """Average one product term: its ``phi`` factors grouped by point, points independent."""
    at = {p: [] for p in points}
    rest = sp.Integer(1)
    for factor in sp.Mul.make_args(term):
        base, exp = factor.as_base_exp()
        if isinstance(base, sp.core.function.AppliedUndef) and base.func == PHI:
            k, x = base.args
            if x not in at:
                raise VerificationError(f"phi at {x}, which is not one of the averaged points {list(points)}")
            if not (exp.is_Integer and exp > 0):
                raise VerificationError(f"phi to the power {exp}: only positive integer powers can be averaged")
            at[x] += [k] * int(exp)
        elif factor.has(*points):
            raise VerificationError(f"factor {factor} depends on the inputs but is not a mode")
        else:
            rest *= factor
    return rest * sp.Mul(*[_point_average(at[p]) for p in points])


def measure_average(expr: sp.Expr, points) -> sp.Expr:
    """``E`` over independent ``x ~ mu`` for every symbol in ``points`` (docs/theory.md section 1).

    ``expr`` is a sum of products (optionally under ``Sum``) of ``phi(k, x)`` factors and factors
    free of the points; the average is taken inside each ``Sum`` (linearity) term by term.
    """
    points = tuple(points)
    expr = sp.expand(expr)
    if isinstance(expr, sp.Sum):
        body = measure_average(expr.function, points)
        return sp.Sum(body, *expr.limits)
    if isinstance(expr, sp.Add):
        return sp.Add(*[measure_average(t, points) for t in expr.args])
    if isinstance(expr, sp.Mul) and any(isinstance(f, sp.Sum) for f in expr.args):
        const, sums = expr.as_independent(sp.Sum, as_Add=False)
        if const.has(*points) or not isinstance(sums, sp.Sum):
            raise VerificationError(f"cannot average {expr}: one Sum times factors free of the inputs expected")
        return const * measure_average(sums, points)
    return _average_product(expr, points)


@dataclass(frozen=True)
class MeasureAverage:
    """``c_diagonal = E_mu C_ii``, ``c_offdiagonal = E_mu C_ij`` (i != j), and the ridge with
    ``c = c_diagonal`` substituted in the per-sample result ``sigma^2 + c``."""

    covariance: sp.Expr
    c_diagonal: sp.Expr
    c_offdiagonal: sp.Expr
    sigma2_kappa: sp.Expr


@functools.lru_cache(maxsize=None)
def derive_measure_average(ridge: sp.Expr | None = None) -> MeasureAverage:
    """Average the greater covariance over the data measure (docs/theory.md section 4).

    ``ridge`` is the ridge read off the per-sample integral as a function of ``c``
    (``derive_gaussian_flow().sigma2_per_sample``, i.e. ``sigma2 + c``); by default the symbol
    ``sigma2 + c`` is used so that this derivation does not need the (slower) Gaussian one.
    """
    cov = greater_covariance(X_I, X_J)
    diag = measure_average(cov.subs(X_J, X_I), [X_I])
    off = measure_average(cov, [X_I, X_J])
    diag = diag.replace(lambda e: isinstance(e, sp.Sum), lambda s: sp.Sum(sp.simplify(s.function), *s.limits))
    off = off.replace(lambda e: isinstance(e, sp.Sum), lambda s: sp.Sum(sp.simplify(s.function), *s.limits))
    ridge = SIGMA2 + C if ridge is None else ridge
    return MeasureAverage(covariance=cov, c_diagonal=diag, c_offdiagonal=off, sigma2_kappa=ridge.subs(C, diag))
