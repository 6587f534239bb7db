"""Symbolic actions for the Wilsonian step (docs/theory.md sections 2 and 3).

An :class:`Action` is ``S = S_0[kept] + S_0[integrated] + S_int`` with

* ``S_0`` diagonal Gaussian: ``sum_i x_i^2 / (2 G_i)`` for every variable that carries a
  propagator ``G_i`` (integrated variables must have one; kept ones may),
* ``S_int`` a polynomial in the kept and integrated variables (interaction + linear sources),
  with coefficients that are arbitrary SymPy expressions of the parameters (couplings),
* optional *local* couplings ``∫ dmu P(f(x))`` on a field ``f(x) = f_<(x) + f_>(x)`` whose
  greater part has the two-point function ``G_>(x, y) = sum_{k>kappa} G_k phi_k(x) phi_k(y)``
  (docs/theory.md section 6); these are handled by the diagram route only,
* optional *running couplings* (:class:`RunningSpec`): parameters ``g_i`` read off kept-field
  monomials, whose flow ``dg_i/dkappa`` :func:`symrg.engine.running.derive_flow` derives.

Objects are frozen and validated when built (non-polynomial interactions, fields without
propagators, propagators that are provably not positive raise :class:`~symrg.errors.SpecError`).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

import sympy as sp

from ..errors import ParameterError, SpecError
from .expr import as_expr


__all__ = ["Action", "LocalCoupling", "ModeSum", "RunningSpec", "make_action", "MODE_INDEX"]

MODE_INDEX = sp.Symbol("k", integer=True, positive=True)   # the mode index k of an explicit spectrum


@dataclass(frozen=True)
class ModeSum:
    """A parameter defined as a sum over greater modes: ``symbol = sum_{k>kappa} summand_k``.

    Its flow is ``d symbol / d kappa = -summand_kappa`` (continuum convention, docs/theory.md
    section 4), where ``derivative`` already holds ``-summand_kappa``.  When the summand is an
    explicit function of the mode index (``spectrum``, e.g. ``A*k**(-1-alpha)`` in ``index`` k),
    :attr:`closed_form` is the sum in closed form (Hurwitz zeta) and :meth:`asymptotic` its
    large-``kappa`` expansion (:mod:`symrg.engine.modesums`).
    """

    symbol: sp.Symbol
    summand: sp.Expr      # summand at k = kappa (e.g. lambda_kappa, or A*kappa**(-1-alpha))
    cutoff: sp.Symbol     # kappa
    spectrum: sp.Expr | None = None   # the summand as a function of the mode index (None: a family lambda_k)
    index: sp.Symbol = MODE_INDEX

    @property
    def derivative(self) -> sp.Expr:
        return -self.summand

    @property
    def closed_form(self) -> sp.Expr | None:
        """``sum_{k > kappa} spectrum(k)`` in closed form, or None when the summand is a family."""
        if self.spectrum is None:
            return None
        from .modesums import tail_sum
        return tail_sum(self.spectrum, self.index, self.cutoff)

    def asymptotic(self, terms: int = 3) -> sp.Expr | None:
        """Large-``kappa`` (Euler-Maclaurin) expansion of the sum, ``terms`` terms; None for a family."""
        if self.spectrum is None:
            return None
        from .modesums import tail_sum_asymptotic
        return tail_sum_asymptotic(self.spectrum, self.index, self.cutoff, terms)


@dataclass(frozen=True)
class RunningSpec:
    """Running couplings of an action (docs/theory.md section 3, flows of couplings).

    ``couplings``: tuple of ``(g, monomial)``: the parameter ``g`` is read off the coefficient of the
    kept-field ``monomial`` in the action (``1/(2*sigma2)`` of ``a**2`` gives ``sigma2``).
    ``cutoff``: the cutoff symbol ``kappa``; the integrated fields are the modes at the cutoff.
    ``max_degree``: kept-field operators up to this degree are kept (the rest are projected out).
    ``loops``: 1 keeps the terms first order in the shell width, the tadpoles (one vertex, one line)
    and the trees (two vertices, one line), which is exact for an infinitesimal shell; 0 keeps the
    trees only (see :func:`symrg.engine.running.derive_flow`).
    """

    couplings: tuple
    cutoff: sp.Symbol = sp.Symbol("kappa", positive=True)
    max_degree: int | None = None
    loops: int = 1

    def __post_init__(self):
        cp = tuple((as_expr(g), as_expr(m)) for g, m in self.couplings)
        object.__setattr__(self, "couplings", cp)
        if not cp:
            raise SpecError("running: at least one running coupling is needed")
        if len({g for g, _ in cp}) != len(cp) or len({m for _, m in cp}) != len(cp):
            raise SpecError("running.couplings: each coupling needs its own monomial")
        for g, m in cp:
            if not isinstance(g, sp.Symbol):
                raise SpecError(f"running.couplings: {g} is not a parameter name")
        if isinstance(self.loops, bool) or self.loops not in (0, 1):
            raise SpecError(f"running.loops: expected 1 (tadpoles and trees: the terms first order in the shell "
                            f"width, exact for an infinitesimal shell, where every further line brings another power "
                            f"of it) or 0 (trees only), got {self.loops!r}")
        if self.max_degree is not None and (isinstance(self.max_degree, bool) or not isinstance(self.max_degree, int)
                                            or not 0 <= self.max_degree <= 64):
            raise SpecError(f"running.max_degree: expected an integer in [0, 64], got {self.max_degree!r}")
        if self.max_degree is not None and self.max_degree < self.min_degree:
            g, m = self.highest
            raise SpecError(f"running.max_degree: {self.max_degree} is below {self.min_degree}, the degree of the "
                            f"monomial {m} of the running coupling {g}; its flow would be dropped and {g} would stay "
                            f"at its initial value (use max_degree >= {self.min_degree}, or leave it out)")

    @property
    def symbols(self) -> tuple:
        return tuple(g for g, _ in self.couplings)

    @property
    def highest(self) -> tuple:
        """``(coupling, monomial)`` of the running coupling whose monomial has the highest total degree."""
        return max(self.couplings, key=lambda gm: _monomial_degree(gm[1]))

    @property
    def min_degree(self) -> int:
        """The lowest ``max_degree`` that keeps the flow of every running coupling: the highest degree of
        their monomials (below it a coupling's own operator is projected out and it would not run)."""
        return _monomial_degree(self.highest[1])


def _monomial_degree(m) -> int:
    """Total degree of a monomial in its symbols (0 for a number)."""
    syms = sorted(m.free_symbols, key=str)
    return int(sp.Poly(m, *syms).total_degree()) if syms else 0


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
    spectrum: sp.Expr | None = None   # G_k as a function of the mode index k (None: the family propagator_k)
    index: sp.Symbol = MODE_INDEX

    def propagator_at(self, k) -> sp.Expr:
        """``G_k`` at mode ``k`` (the family symbol ``G_k`` or the explicit spectrum)."""
        if self.spectrum is None:
            return sp.Symbol(f"{self.propagator}_{k}", positive=True)
        return self.spectrum.xreplace({self.index: k})

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
    running:
        Optional :class:`RunningSpec`: running couplings whose flow ``dg/dkappa`` is derived by
        :func:`symrg.engine.running.derive_flow` (the integrated fields are the modes at the cutoff).
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
    running: RunningSpec | None = None

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
        cut = {self.running.cutoff} if self.running is not None else set()
        unknown = self.interaction.free_symbols - fset - set(self.parameters) \
            - {m.symbol for m in self.sums} - cut
        if unknown:
            raise SpecError(f"interaction uses unknown symbol(s) {sorted(map(str, unknown))}")
        if not self.interaction.is_polynomial(*allf):
            raise SpecError(f"interaction is not a polynomial in the fields {list(allf)}: "
                            f"{self.interaction}")
        if self.running is not None:
            if not isinstance(self.running, RunningSpec):
                raise SpecError(f"running: expected a RunningSpec, got {type(self.running).__name__}")
            for g, m in self.running.couplings:
                if g not in set(self.parameters):
                    raise SpecError(f"running.couplings: {g} is not a parameter of the action "
                                    f"(parameters: {sorted(map(str, self.parameters))})")
                if m.free_symbols - set(kept) or not (m == 1 or m.is_Symbol or m.is_Mul or m.is_Pow) \
                        or sp.Poly(m, *kept).as_dict() != {sp.Poly(m, *kept).monoms()[0]: 1}:
                    raise SpecError(f"running.couplings.{g}: {m} is not a monomial of the kept fields "
                                    f"{[str(x) for x in kept]} (e.g. a**2)")

    # -- derived views ---------------------------------------------------------------------
    @property
    def propagator_map(self) -> dict:
        return dict(self.propagators)

    @property
    def fields_all(self) -> tuple:
        return self.kept + self.integrated

    def check_values(self, values: dict, flag: str = "values", others: dict | None = None) -> dict:
        """Numbers for parameters of the action, checked against what the file declares (docs/actions.md,
        [parameters]); returns ``{name: float}``.

        ``values`` maps a parameter (its name or symbol) to a number; a value that is not a finite real
        number, that is <= 0 for a positive parameter or < 0 for a nonnegative one, is refused with a
        :class:`~symrg.errors.ParameterError` naming ``flag`` (the flag the user typed, e.g. ``--init``).
        Then every propagator whose parameters are all given (in ``values`` or ``others``, the values
        already checked under another flag) must stay positive: a negative amplitude of a parameter
        declared real is refused too.  Names that are not parameters are left to the caller.
        """
        return check_values(self, values, flag, others)

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
        if any(c.spectrum is not None for c in self.local):   # (absent otherwise: old cache keys stay valid)
            parts.append("spectra=" + ";".join(sp.srepr(c.spectrum) for c in self.local))
        return "\n".join(parts)

    def latex(self) -> str:
        """The action restated as a numbered LaTeX equation (``\\label{eq:<name>-action}``) and a sentence on its
        fields and mode sums (:func:`symrg.engine.latex.action_equation`), as ``symrg derive --latex`` opens."""
        from .latex import action_equation
        return action_equation(self)

    def _repr_latex_(self) -> str:
        """Jupyter display: the restated action ``S[fields] = S_0 + S_int`` with what is kept, integrated and
        summed, in the notation of :meth:`latex` (:func:`symrg.engine.latex.action_display_math`)."""
        from .latex import action_display_math
        return action_display_math(self)

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


def _number_value(flag, name, v) -> float:
    import math

    if isinstance(v, bool) or not isinstance(v, (int, float, sp.Basic)) and not hasattr(v, "__float__"):
        raise ParameterError(flag, f"{name}={v!r}", f"a real number for {name}")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ParameterError(flag, f"{name}={v!r}", f"a real number for {name}") from None
    if not math.isfinite(x):
        raise ParameterError(flag, f"{name}={v!r}", f"a finite number for {name}")
    return x


def check_values(action: Action, values: dict, flag: str = "values", others: dict | None = None) -> dict:
    """:meth:`Action.check_values` (declared assumptions enforced on numbers; docs/actions.md [parameters])."""
    by_name = {str(p): p for p in action.parameters}
    if action.running is not None:
        by_name.update({str(g): g for g in action.running.symbols})
    out = {}
    for k, v in values.items():
        name = str(k)
        x = _number_value(flag, name, v)
        sym = by_name.get(name)
        if sym is not None:
            if sym.is_positive and not x > 0:
                raise ParameterError(flag, f"{name}={v}", f"a number > 0 for {name}, which the action declares "
                                     f"positive")
            if sym.is_nonnegative and not x >= 0:
                raise ParameterError(flag, f"{name}={v}", f"a number >= 0 for {name}, which the action declares "
                                     f"nonnegative")
        out[name] = x
    known = {**{str(k): v for k, v in (others or {}).items()}, **out}
    for s_, g in action.propagators:
        free = {str(x) for x in g.free_symbols if x is not MODE_INDEX}
        mine = free & set(out)
        if not mine:
            continue
        sub = {x: sp.Float(known[str(x)]) for x in g.free_symbols if str(x) in known}
        val = g.xreplace(sub)
        if val.is_positive is False or val.is_zero or (val.is_number and not val.is_positive):
            shown = ", ".join(f"{n}={known[n]:g}" for n in sorted(mine))
            raise ParameterError(flag, shown, f"values for which the propagator of {s_}, {g}, is positive "
                                 f"(it is {sp.N(val, 6)} there)")
    return out


def make_action(kept, integrated, interaction, *, kept_propagators=None, parameters=None,
                local=(), sums=(), running=None, cutoff="kappa", max_degree=None, loops=1,
                name="") -> Action:
    """Build an :class:`Action` in Python, without an action file (docs/api.md).

    ``kept``: iterable of kept fields (SymPy symbols or names); ``integrated``: mapping integrated
    field -> propagator; ``kept_propagators``: optional mapping kept field -> propagator (adds
    ``x^2/(2G)`` to ``S_eff``); ``interaction``: ``S_int``, a SymPy expression or a text parsed by
    the whitelist parser (:func:`symrg.engine.expr.as_expr`) in which the names of the fields,
    propagators, parameters and sums given here mean those very symbols; ``parameters``: symbols
    of couplings (default: every free symbol that is not a field); ``local``: tuple of
    :class:`LocalCoupling`; ``sums``: :class:`ModeSum` objects, or a mapping ``c -> F(k)`` of
    parameters defined as ``c = sum_{k > cutoff} F(k)`` with ``k`` = :data:`MODE_INDEX`;
    ``running``: a mapping ``coupling -> kept monomial`` (or a :class:`RunningSpec`) declaring
    running couplings, with ``cutoff``, ``max_degree`` and ``loops`` as in :class:`RunningSpec`.

    Example (docs/api.md)::

        a, b = sp.symbols("a b")
        s2, u = sp.symbols("sigma2 u", positive=True)
        act = make_action([a], {b: "A*kappa**(-1-alpha)"}, "(a + b)**2/(2*sigma2) + u/24*(a + b)**4",
                          parameters=[s2, u], running={s2: a**2, u: a**4})
    """
    table: dict = {}

    def sym(x, **assume):
        if isinstance(x, str):
            if x not in table:
                table[x] = sp.Symbol(x, **assume)
            return table[x]
        x = as_expr(x)
        if isinstance(x, sp.Symbol):
            table.setdefault(x.name, x)
        return x

    kept = tuple(sym(k) for k in kept)
    integrated = {sym(f): g for f, g in dict(integrated).items()}
    kept_props = {sym(f): g for f, g in dict(kept_propagators or {}).items()}
    if parameters is not None:
        parameters = tuple(sym(p, real=True) for p in parameters)
    cut = cutoff if isinstance(cutoff, sp.Symbol) else sp.Symbol(str(cutoff), positive=True)
    table.setdefault(cut.name, cut)
    table.setdefault("k", MODE_INDEX)
    mode_sums = []
    for m in (sums.items() if isinstance(sums, dict) else sums):
        if isinstance(m, ModeSum):
            mode_sums.append(m)
            table.setdefault(m.symbol.name, m.symbol)
            continue
        c, summand = m
        c = sym(c, positive=True)
        for p in (parameters or ()):
            table.setdefault(p.name, p)
        F = as_expr(summand, table, key=f"sums.{c}")
        mode_sums.append(ModeSum(c, F.xreplace({MODE_INDEX: cut}), cut, spectrum=F))

    def text(e, key):
        return as_expr(e, table, key=key) if isinstance(e, str) else as_expr(e, key=key)

    for p in (parameters or ()):
        table.setdefault(p.name, p)
    integrated = {f: text(g, f"propagator of {f}") for f, g in integrated.items()}
    kept_props = {f: text(g, f"propagator of {f}") for f, g in kept_props.items()}
    for g in list(integrated.values()) + list(kept_props.values()):
        for s_ in g.free_symbols:
            table.setdefault(s_.name, s_)
    interaction = text(interaction, "interaction")
    if running is not None and not isinstance(running, RunningSpec):
        running = RunningSpec(tuple((sym(g), text(m, f"running.{g}")) for g, m in dict(running).items()),
                              cutoff=cut, max_degree=max_degree, loops=loops)
    if running is not None:   # a mode at the cutoff: the mode index is the cutoff
        integrated = {f: g.xreplace({MODE_INDEX: running.cutoff}) for f, g in integrated.items()}
    props = list(integrated.items()) + list(kept_props.items())
    if parameters is None:
        fs = set(kept) | set(integrated)
        free = interaction.free_symbols
        for g in props:
            free |= g[1].free_symbols
        parameters = tuple(sorted(free - fs - {m.symbol for m in mode_sums}
                                  - ({running.cutoff} if running is not None else set()), key=str))
    return Action(kept=kept, integrated=tuple(integrated), propagators=tuple(props),
                  interaction=interaction, parameters=tuple(parameters), local=tuple(local),
                  sums=tuple(mode_sums), name=name, running=running)
