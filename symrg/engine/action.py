"""Symbolic actions for the Wilsonian step (docs/theory.md sections 2 and 3).

An :class:`Action` is ``S = S_0[kept] + S_0[integrated] + S_int`` with

* ``S_0`` diagonal Gaussian: ``sum_i x_i^2 / (2 G_i)`` for every variable that carries a
  propagator ``G_i`` (integrated variables must have one; kept ones may),
* ``S_int`` a polynomial in the kept and integrated variables (interaction + linear sources),
  with coefficients that are arbitrary SymPy expressions of the parameters (couplings),
* optional *local* couplings ``∫ dmu P(f(x))`` on a field ``f(x) = f_<(x) + f_>(x)`` whose
  greater part has the two-point function ``G_>(x, y) = sum_{k>kappa} G_k phi_k(x) phi_k(y)``
  (docs/theory.md section 6); these are handled by the diagram route only.

Objects are frozen and validated when built (non-polynomial interactions, fields without
propagators, propagators that are provably not positive raise :class:`~symrg.errors.SpecError`).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

import sympy as sp

from ..errors import SpecError
from .expr import as_expr


__all__ = ["Action", "LocalCoupling", "ModeSum", "make_action"]


@dataclass(frozen=True)
class ModeSum:
    """A parameter defined as a sum over greater modes: ``symbol = sum_{k>kappa} summand_k``.

    Its flow is ``d symbol / d kappa = -summand_kappa`` (continuum convention, docs/theory.md section 4),
    where ``derivative`` already holds ``-summand_kappa``.
    """

    symbol: sp.Symbol
    summand: sp.Expr      # summand at k = kappa (e.g. lambda_kappa)
    cutoff: sp.Symbol     # kappa

    @property
    def derivative(self) -> sp.Expr:
        return -self.summand


@dataclass(frozen=True)
class LocalCoupling:
    """A local interaction ``∫ dmu(x) P(f(x))`` with ``P`` a polynomial in one variable.

    ``polynomial`` is a SymPy polynomial in ``variable`` (the field value ``f(x)``); the field
    splits as ``f = f_< + f_>`` and the greater part has propagator family ``propagator``
    (``G_>(x, y) = sum_{k>kappa} propagator_k phi_k(x) phi_k(y)``, docs/theory.md section 6).
    """

    name: str
    field: str
    variable: sp.Symbol
    polynomial: sp.Expr
    propagator: sp.Symbol
    cutoff: sp.Symbol = sp.Symbol("kappa")

    def __post_init__(self):
        if not self.polynomial.is_polynomial(self.variable):
            raise SpecError(f"local coupling {self.name!r}: {self.polynomial} is not a polynomial "
                            f"in the field {self.variable}")


def _as_expr(obj):
    return as_expr(obj)


def _tuple_map(mapping) -> tuple:
    return tuple((as_expr(k), as_expr(v)) for k, v in dict(mapping).items())


@dataclass(frozen=True)
class Action:
    """A validated action (see module docstring).

    Parameters
    ----------
    kept, integrated:
        Tuples of SymPy symbols (kept fields f_<, integrated fields f_>).
    propagators:
        Tuple of ``(symbol, G)`` pairs; every integrated symbol needs one, kept symbols may
        have one (then ``S_0`` contributes ``x^2/(2G)`` to ``S_eff``, docs/theory.md section 3).
    interaction:
        ``S_int``: polynomial in ``kept + integrated`` (sources included).
    parameters:
        Symbols that are couplings / propagator parameters.
    local:
        Tuple of :class:`LocalCoupling`.
    sums:
        Tuple of :class:`ModeSum` (parameters that are sums over greater modes; they drive ``flow``).
    name, fields:
        Free metadata (the file name; a JSON-able description of the declared fields).
    """

    kept: tuple
    integrated: tuple
    propagators: tuple
    interaction: sp.Expr = sp.Integer(0)
    parameters: tuple = ()
    local: tuple = ()
    sums: tuple = ()
    name: str = ""
    fields: tuple = dc_field(default=(), compare=False)

    def __post_init__(self):
        kept, integ = tuple(self.kept), tuple(self.integrated)
        object.__setattr__(self, "kept", kept)
        object.__setattr__(self, "integrated", integ)
        object.__setattr__(self, "interaction", sp.expand(_as_expr(self.interaction)))
        object.__setattr__(self, "propagators", tuple(self.propagators))
        allf = kept + integ
        if len(set(allf)) != len(allf):
            raise SpecError(f"a variable is both kept and integrated or declared twice: {allf}")
        props = dict(self.propagators)
        fset = set(allf)
        for s in integ:
            if s not in props:
                raise SpecError(f"integrated field {s} has no propagator")
        for s, g in props.items():
            if s not in fset:
                raise SpecError(f"propagator given for {s}, which is not a declared field")
            if g.free_symbols & fset:
                raise SpecError(f"propagator of {s} ({g}) depends on a field")
            if g.is_positive is False or g.is_zero:
                raise SpecError(f"propagator of {s} must be positive, got {g} "
                                f"(which is provably not positive)")
        unknown = self.interaction.free_symbols - fset - set(self.parameters) \
            - {m.symbol for m in self.sums}
        if unknown:
            raise SpecError(f"interaction uses unknown symbol(s) {sorted(map(str, unknown))}")
        if not self.interaction.is_polynomial(*allf):
            raise SpecError(f"interaction is not a polynomial in the fields {list(allf)}: "
                            f"{self.interaction}")

    # -- derived views ---------------------------------------------------------------------
    @property
    def propagator_map(self) -> dict:
        return dict(self.propagators)

    @property
    def fields_all(self) -> tuple:
        return self.kept + self.integrated

    def canonical_repr(self) -> str:
        """A deterministic text that identifies the action (cache key, docs/theory.md section 3)."""
        parts = [
            "kept=" + ",".join(sp.srepr(s) for s in self.kept),
            "integrated=" + ",".join(sp.srepr(s) for s in self.integrated),
            "propagators=" + ";".join(f"{sp.srepr(s)}:{sp.srepr(g)}" for s, g in self.propagators),
            "interaction=" + sp.srepr(self.interaction),
            "parameters=" + ",".join(sorted(sp.srepr(p) for p in self.parameters)),
            "local=" + ";".join(f"{c.name}:{c.field}:{sp.srepr(c.variable)}:{sp.srepr(c.polynomial)}:"
                                f"{sp.srepr(c.propagator)}:{sp.srepr(c.cutoff)}" for c in self.local),
            "sums=" + ";".join(f"{sp.srepr(m.symbol)}:{sp.srepr(m.summand)}:{sp.srepr(m.cutoff)}"
                               for m in self.sums),
        ]
        return "\n".join(parts)

    def interaction_terms(self) -> list:
        """``S_int`` as a list of ``(coefficient, kept_exponents, integrated_exponents)``."""
        allf = self.fields_all
        if self.interaction == 0:
            return []
        free = self.interaction.free_symbols
        gens = [f for f in allf if f in free]       # a dense Poly over thousands of absent modes recurses
        if not gens:
            return [(self.interaction, (0,) * len(self.kept), (0,) * len(self.integrated))]
        poly = sp.Poly(self.interaction, *gens)
        pos = {f: i for i, f in enumerate(allf)}
        nk = len(self.kept)
        out = []
        for m, c in poly.terms():
            full = [0] * len(allf)
            for g, e in zip(gens, m):
                full[pos[g]] = e
            out.append((c, tuple(full[:nk]), tuple(full[nk:])))
        return out


def make_action(kept, integrated, interaction, *, kept_propagators=None, parameters=None,
                local=(), sums=(), name="") -> Action:
    """Convenience constructor.

    ``kept``: iterable of symbols; ``integrated``: mapping symbol -> propagator;
    ``parameters``: symbols of couplings (default: every free symbol of the interaction and the
    propagators that is not a field).
    """
    integrated = dict(integrated)
    kept = tuple(kept)
    props = list(integrated.items()) + list((kept_propagators or {}).items())
    if parameters is None:
        fs = set(kept) | set(integrated)
        free = _as_expr(interaction).free_symbols
        for g in integrated.values():
            free |= _as_expr(g).free_symbols
        parameters = tuple(sorted(free - fs, key=str))
    return Action(kept=kept, integrated=tuple(integrated), propagators=tuple(props),
                  interaction=interaction, parameters=tuple(parameters), local=tuple(local),
                  sums=tuple(sums), name=name)
