"""Running couplings: the flow ``dg_i/dkappa`` of the couplings of an action, derived by the engine
(docs/theory.md section 3, flows of couplings).

Setting.  The action ``S[a; g]`` of the kept fields ``a`` has couplings ``g_i``, each read off the
coefficient ``C_i(g, kappa)`` of one kept monomial ``O_i`` (``1/(2 sigma2)`` of ``a^2``).  The
integrated fields ``b`` are the modes at the cutoff, with propagators ``G(kappa)`` (a power law
``A kappa^-(1+alpha)``, say).  Lowering the cutoff by ``d kappa`` integrates out a shell whose
propagator is ``G(kappa) d kappa``; the Wilsonian step of :func:`symrg.engine.wilson.cumulant_terms`
with the shell propagator ``eps G`` gives, to first order in ``eps``,

    S_{kappa - d kappa}[a] = S_kappa[a] + d kappa * d/d eps [T_1 + T_2]_{eps = 0},

where ``T_1`` (one vertex, one line: the tadpoles ``G/2 d^2S/db^2``) and ``T_2`` (two
vertices, one line: the tree ``-G/2 (dS/db)^2``) are the only terms linear in the shell width;
every further line brings another power of it (the ``u^2`` bubble of the quartic coupling, two
lines, is ``O(d kappa^2)``; docs/theory.md section 3 says why and where it comes back).  The scheme
is first order in the shell width -- tadpoles and trees -- not a field theorist's one loop.  This is
the Wilson-Polchinski equation of the action, derived here from the cumulant expansion, not typed
in; ``loops = 0`` keeps the tree terms only.

Modes.  The cutoff enters a propagator of the integrated fields as the index of the mode at the
cutoff (``k = kappa`` in ``A*k**(-1-alpha)``).  The flow is derived with that index as its own symbol
``FlowResult.mode`` (``beta_modes``), and ``beta`` is ``beta_modes`` at ``mode = kappa`` (the
continuum of shells).  The discrete modes are the flow with ``mode = ceil(kappa)``: mode ``k`` spread
over ``kappa in (k - 1, k]``, one mode per unit of the cutoff (:mod:`symrg.numerics.running`).  The new coefficients are projected on the kept monomials of degree
``<= max_degree``, and the couplings are renormalised by matching the coefficients of their
monomials: with ``J_ij = dC_i/dg_j``,

    dg/dkappa = J^{-1} (dC/dkappa|_shell - dC/dkappa|_explicit),

in the running (renormalised) couplings themselves.  Operators of degree ``<= max_degree`` that the
step generates but no coupling carries are listed in ``FlowResult.dropped`` (the projection sets
them to zero at every step).

Fixed points are couplings at which every ``beta_i`` vanishes for all ``kappa``; their exponents
are the eigenvalues of the stability matrix ``kappa d beta_i/d g_j`` (the flow in ``log kappa``).
Each is marked ``bounded`` (:meth:`FlowResult.bounded_below`): whether the kept action at the fixed
point is bounded below, so that ``exp(-S)`` is a normalisable weight.
Everything here is SymPy; the numeric flow is :mod:`symrg.numerics.running`, fed by the module that
:func:`symrg.codegen.flows.flow_module_text` generates from a :class:`FlowResult`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sympy as sp

from ..errors import ParameterError, SpecError
from .action import Action, RunningSpec

__all__ = ["FlowResult", "FixedPoint", "derive_flow", "check_max_degree", "renormalised_coupling",
           "self_consistent_coupling"]


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point of the flow: ``values`` (coupling -> value), the stability matrix
    ``kappa d beta_i/d g_j`` there and its eigenvalues ``exponents`` (with multiplicity)."""

    values: dict
    stability: sp.Matrix
    exponents: tuple
    bounded: bool | None = None      # the kept action there bounded below (None: undecided); FlowResult.bounded_below
    bounded_reason: str = ""

    def to_json(self) -> dict:
        return {"values": {str(g): str(v) for g, v in self.values.items()},
                "stability_matrix": [[str(x) for x in self.stability.row(i)] for i in range(self.stability.rows)],
                "exponents": [str(e) for e in self.exponents],
                "bounded": self.bounded, "bounded_reason": self.bounded_reason}


@dataclass
class FlowResult:
    """The derived flow of the running couplings of an action (module docstring).

    ``beta``: coupling -> ``dg/dkappa`` in the running couplings, the parameters and the cutoff;
    ``coefficient_flow``: every kept monomial (degree ``<= max_degree``) -> the flow of its
    coefficient at the current couplings; ``dropped``: the generated monomials no coupling carries;
    ``mode``: the symbol of the index of the mode at the cutoff in the propagators, and
    ``beta_modes``: ``dg/dkappa`` with that index kept apart from the cutoff (``beta`` is it at
    ``mode = kappa``); ``kept_action``: the kept part of the action (integrated fields at 0), a
    polynomial of the kept fields in the couplings, parameters and cutoff.
    """

    name: str
    couplings: tuple
    operators: dict
    cutoff: sp.Symbol
    parameters: tuple
    beta: dict
    coefficient_flow: dict
    dropped: dict
    loops: int
    max_degree: int
    mode: sp.Symbol | None = None
    beta_modes: dict | None = None
    kept_action: sp.Expr | None = None
    kept: tuple = ()
    _fixed: list | None = field(default=None, repr=False)

    @property
    def cutoff_only_in_modes(self) -> bool:
        """True when ``beta`` depends on the cutoff only through the mode at the cutoff (the propagators):
        then the discrete flow is ``beta`` with the cutoff set to the mode's index."""
        return all(not v.has(self.cutoff) for v in (self.beta_modes or self.beta).values())

    def bounded_below(self, values: dict, at_cutoff=None) -> tuple:
        """``(bounded, reason)``: whether the kept action at ``values`` (coupling or parameter -> value, by
        symbol or name; numbers or SymPy expressions) is bounded below in the kept fields; ``at_cutoff``
        substitutes a value of the cutoff.  ``bounded`` is True, False or None (undecided).

        Criterion (docs/theory.md section 3, fixed points): the kept action ``P(a)`` is a polynomial; let ``d``
        be its total degree and ``P_d`` its top homogeneous part.  ``d = 0``: bounded.  ``d`` odd: unbounded
        (``P_d(-a) = -P_d(a)``).  One kept field, ``d`` even: bounded iff the top coefficient is > 0.  Several
        kept fields: ``d = 2`` bounded iff the quadratic form is positive definite (unbounded if it has a
        negative eigenvalue); ``d`` even > 2: unbounded if ``P_d < 0`` on a coordinate axis or a diagonal
        ``e_i +- e_j``, otherwise undecided (None).  A coefficient whose sign SymPy cannot decide makes the
        answer None."""
        return _bounded_below(self, values, at_cutoff)

    def jacobian(self) -> sp.Matrix:
        """``d beta_i / d g_j``."""
        return sp.Matrix([[sp.diff(self.beta[gi], gj) for gj in self.couplings] for gi in self.couplings])

    def fixed_points(self, values: dict | None = None) -> list:
        """Fixed points (``beta = 0`` for every ``kappa``), with parameters substituted from ``values``
        (``{symbol or name: number}``) first when given; symbolic otherwise."""
        if values is None and self._fixed is not None:
            return self._fixed
        out = _fixed_points(self, _subs_table(self, values or {}))
        if values is None:
            self._fixed = out
        return out

    def to_json(self) -> dict:
        """JSON-ready dict; every expression a string the whitelist parser reads back."""
        return {"couplings": {str(g): str(m) for g, m in self.operators.items()},
                "cutoff": str(self.cutoff), "loops": self.loops, "max_degree": self.max_degree,
                "parameters": [str(p) for p in self.parameters],
                "beta": {str(g): str(v) for g, v in self.beta.items()},
                "dropped_operators": {str(m): str(v) for m, v in self.dropped.items()},
                "fixed_points": [fp.to_json() for fp in self.fixed_points()]}

    def latex(self) -> str:
        """LaTeX body: the beta functions, the dropped operators and the fixed points."""
        from .latex import flow_to_latex
        return flow_to_latex(self)

    def _repr_latex_(self) -> str:
        """Jupyter display: the beta functions (:func:`symrg.engine.latex.flow_display_math`)."""
        from .latex import flow_display_math
        return flow_display_math(self)


def _subs_table(res: FlowResult, values: dict) -> dict:
    by_name = {str(s): s for s in res.parameters}
    out = {}
    for k, v in values.items():
        sym = by_name.get(str(k))
        if sym is None:
            raise SpecError(f"fixed points: {k!r} is not a parameter of the flow (parameters: "
                            f"{', '.join(sorted(by_name))})")
        out[sym] = _number(k, v)
        if (sym.is_positive and not out[sym] > 0) or (sym.is_nonnegative and out[sym] < 0):
            raise ParameterError("values", f"{k}={v}", f"a number {'> 0' if sym.is_positive else '>= 0'} for {k}, "
                                 f"which the action declares {'positive' if sym.is_positive else 'nonnegative'}")
    return out


def _number(name, v) -> sp.Expr:
    """A parameter value as an exact SymPy number: floats by ``nsimplify`` (rational), ints as ``Integer``,
    SymPy numbers as they are; anything else (a string in particular) is refused, never parsed."""
    if isinstance(v, bool) or not isinstance(v, (int, float, sp.Basic)):
        raise SpecError(f"fixed points: the value of {name} must be a number, got {type(v).__name__}")
    if isinstance(v, float):
        return sp.nsimplify(v, rational=True)
    return sp.Integer(v) if isinstance(v, int) else v


def derive_flow(action: Action, *, loops: int | None = None, max_degree: int | None = None) -> FlowResult:
    """The flow of the running couplings of ``action`` (module docstring); memoised.

    ``loops`` and ``max_degree`` override the values of ``action.running``.
    """
    spec = action.running
    if spec is None:
        raise SpecError("derive_flow: the action declares no running couplings ([running] couplings = "
                        "{g = \"monomial\"}, or make_action(..., running={g: monomial}))")
    loops = spec.loops if loops is None else loops
    if max_degree is not None:
        check_max_degree(action, max_degree, "max_degree")
    RunningSpec(spec.couplings, spec.cutoff, max_degree, loops)   # validates the overrides
    return _derive(action, loops, max_degree if max_degree is not None else spec.max_degree)


def check_max_degree(action: Action, max_degree, flag: str = "max_degree") -> None:
    """Refuse (ParameterError naming ``flag``, e.g. ``--max-degree``) a ``max_degree`` that is not an integer in
    [0, 64] or is below the degree of a running coupling's own monomial: the projection would drop that
    monomial's flow and the coupling would stay at its initial value (a wrong flow, not a truncated one)."""
    spec = action.running
    if isinstance(max_degree, bool) or not isinstance(max_degree, int) or not 0 <= max_degree <= 64:
        raise ParameterError(flag, max_degree, "an integer in [0, 64]")
    if spec is not None and max_degree < spec.min_degree:
        g, m = spec.highest
        raise ParameterError(flag, max_degree, f"an integer >= {spec.min_degree}, the degree of the monomial {m} of "
                             f"the running coupling {g}", f"below it the flow of {g} is dropped and {g} would stay at "
                             f"its initial value")


@functools.lru_cache(maxsize=64)
def _derive(action: Action, loops: int, max_degree: int | None) -> FlowResult:
    from .cumulants import cumulant_terms

    spec = action.running
    kept = action.kept
    kappa = spec.cutoff
    degree = max_degree if max_degree is not None else max(_deg(m, kept) for _, m in spec.couplings)
    eps = sp.Dummy("shell", positive=True)
    mode = _mode_symbol(action)
    # the shell: the integrated fields with propagator eps * G(mode), the index of the mode at the cutoff kept
    # apart from the cutoff (which may also appear explicitly in the action, e.g. in scaled couplings)
    props = tuple((s, eps * g.xreplace({kappa: mode})) if s in set(action.integrated) else (s, g)
                  for s, g in action.propagators)
    shell = Action(kept=kept, integrated=action.integrated, propagators=props, interaction=action.interaction,
                   parameters=tuple(action.parameters) + (kappa, mode), name=action.name, fields=action.fields)
    T1, T2 = cumulant_terms(shell, 2, max_degree=degree)
    flows_modes, flows = {}, {}
    for m in set(T1) | set(T2):
        v = sp.diff(T2.get(m, 0), eps)
        if loops >= 1:
            v += sp.diff(T1.get(m, 0), eps)
        v = sp.expand(v.subs(eps, 0))
        if v != 0:
            flows_modes[m] = -v      # d C_m / d kappa: the cutoff goes down as the shell is integrated
            flows[m] = -sp.factor(sp.expand(v.xreplace({mode: kappa})))
    # bare coefficients C_i(g, kappa) of the coupling monomials
    zero = {b: 0 for b in action.integrated}
    s_kept = action.interaction.xreplace(zero) + sum(
        (s ** 2 / (2 * g) for s, g in action.propagators if s in set(kept)), sp.Integer(0))
    coeffs = _coefficients(sp.expand(s_kept), kept)
    gs = [g for g, _ in spec.couplings]
    ops = {g: m for g, m in spec.couplings}
    cvec = sp.Matrix([coeffs.get(ops[g], sp.Integer(0)) for g in gs])
    jac = cvec.jacobian(gs)
    if jac.det() == 0:
        raise SpecError(f"running.couplings: the coefficients of {[str(ops[g]) for g in gs]} do not determine "
                        f"the couplings {[str(g) for g in gs]} (their Jacobian vanishes); pair each coupling with "
                        f"a monomial whose coefficient depends on it")
    rhs = sp.Matrix([flows_modes.get(ops[g], sp.Integer(0)) - sp.diff(cvec[i], kappa) for i, g in enumerate(gs)])
    sol = jac.LUsolve(rhs)
    beta = {g: _tidy(sol[i].xreplace({mode: kappa})) for i, g in enumerate(gs)}
    beta_modes = {g: _tidy(sol[i]) for i, g in enumerate(gs)}
    dropped = {m: v for m, v in sorted(flows.items(), key=lambda kv: (_deg(kv[0], kept), str(kv[0])))
               if m != 1 and m not in set(ops.values())}
    free = set().union(*[v.free_symbols for v in beta.values()]) - set(gs) - {kappa}
    return FlowResult(action.name, tuple(gs), ops, kappa, tuple(sorted(free, key=str)), beta,
                      dict(sorted(flows.items(), key=lambda kv: (_deg(kv[0], kept), str(kv[0])))), dropped,
                      loops, degree, mode=mode, beta_modes=beta_modes, kept_action=sp.expand(s_kept), kept=tuple(kept))


def _mode_symbol(action: Action) -> sp.Symbol:
    """The symbol of the index of the mode at the cutoff: ``k`` (``k_`` ... if a name of the action is ``k``)."""
    taken = {str(s) for s in set(action.parameters) | set(action.kept) | set(action.integrated)}
    taken |= {str(action.running.cutoff)} | {str(g) for g, _ in action.running.couplings}
    name = "k"
    while name in taken:
        name += "_"
    return sp.Symbol(name, positive=True)


def _deg(m, kept) -> int:
    return int(sp.Poly(m, *kept).total_degree()) if kept else 0


def _coefficients(expr, kept) -> dict:
    if not kept:
        return {sp.Integer(1): expr}
    out = {}
    for monom, c in sp.Poly(expr, *kept).terms():
        out[sp.Mul(*[s ** e for s, e in zip(kept, monom)])] = c
    return out


def _tidy(e):
    e = sp.factor(sp.cancel(sp.together(e)))
    return sp.powsimp(e)


def _fixed_points(res: FlowResult, values: dict) -> list:
    gs = list(res.couplings)
    beta = {g: sp.together(v.xreplace(values)) for g, v in res.beta.items()}
    eqs = []
    for g in gs:
        num = sp.numer(beta[g])
        factors = [f for f, _ in sp.factor_list(num)[1] if f.free_symbols & set(gs)]
        if not factors:   # this beta never vanishes (or vanishes identically)
            if sp.expand(num) == 0:
                continue
            return []
        eqs.append(sp.Mul(*factors))
    if not eqs:
        return []
    try:
        sols = sp.solve(eqs, gs, dict=True)
    except (NotImplementedError, ValueError):
        return []
    out = []
    for sol in sols:
        if set(sol) != set(gs) or any(v.has(res.cutoff) or v.has(sp.I) for v in sol.values()):
            continue
        if any(g.is_positive and (v.is_positive is False) for g, v in sol.items()) or \
                any(g.is_nonnegative and v.is_negative for g, v in sol.items()):
            continue
        if any(sp.denom(beta[g]).xreplace(sol) == 0 for g in gs):
            continue
        stab = (res.cutoff * res.jacobian().xreplace(values).xreplace(sol)).applyfunc(lambda x: sp.factor(sp.simplify(x)))
        ev = stab.eigenvals()
        exps = tuple(sp.simplify(e) for e, mult in sorted(ev.items(), key=lambda kv: sp.default_sort_key(kv[0]))
                     for _ in range(mult))
        vals = {g: sp.simplify(sol[g]) for g in gs}
        bounded, why = _bounded_below(res, {**values, **vals})
        out.append(FixedPoint(vals, stab, exps, bounded, why))
    return out


def _sign(c) -> int | None:
    """+1, -1, 0 or None (undecided) for a SymPy expression."""
    c = sp.simplify(c)
    if c.is_zero:
        return 0
    if c.is_positive:
        return 1
    if c.is_negative:
        return -1
    if c.is_number:
        try:
            x = complex(c.evalf(30))
        except (TypeError, ValueError):
            return None
        if abs(x.imag) <= 1e-25 * max(1.0, abs(x.real)):
            return 0 if x.real == 0 else (1 if x.real > 0 else -1)
    return None


def _bounded_below(res: FlowResult, values: dict, at_cutoff=None) -> tuple:
    """:meth:`FlowResult.bounded_below` (the criterion is stated there)."""
    if res.kept_action is None or not res.kept:
        return None, "no kept action recorded"
    by_name = {str(s): s for s in set(res.parameters) | set(res.couplings) | (res.kept_action.free_symbols - set(res.kept))}
    sub = {}
    for k, v in values.items():
        sym = k if isinstance(k, sp.Symbol) else by_name.get(str(k))
        if sym is None:
            continue
        sub[sym] = v if isinstance(v, sp.Basic) else _number(k, v)
    if at_cutoff is not None:
        sub[res.cutoff] = _number(str(res.cutoff), at_cutoff) if not isinstance(at_cutoff, sp.Basic) else at_cutoff
    poly = sp.Poly(sp.expand(res.kept_action.xreplace(sub)), *res.kept)
    terms = [(m, sp.simplify(c)) for m, c in poly.terms()]
    terms = [(m, c) for m, c in terms if not c.is_zero]
    kept_deg = [(sum(m), m, c) for m, c in terms if sum(m) > 0]
    if not kept_deg:
        return True, "the kept action is constant"
    d = max(t[0] for t in kept_deg)
    top = {m: c for dd, m, c in kept_deg if dd == d}
    if d % 2 == 1:
        return False, f"the kept action has odd degree {d}"
    if len(res.kept) == 1:
        sg = _sign(next(iter(top.values())))
        if sg is None:
            return None, f"the sign of the degree-{d} coefficient {next(iter(top.values()))} is undecided"
        return (sg > 0), f"the degree-{d} coefficient is {'positive' if sg > 0 else 'negative'}"
    n = len(res.kept)
    xs = sp.symbols(f"x0:{n}")
    form = sum(c * sp.Mul(*[x ** e for x, e in zip(xs, m)]) for m, c in top.items())
    if d == 2:
        H = sp.hessian(form, xs) / 2
        try:
            ev = [complex(e) for e in sp.Matrix(H).evalf(30).eigenvals()]
        except (TypeError, ValueError):
            return None, "the quadratic form's eigenvalues are not numbers"
        if min(e.real for e in ev) > 0:
            return True, "the quadratic form is positive definite"
        if min(e.real for e in ev) < 0:
            return False, "the quadratic form has a negative eigenvalue"
        return None, "the quadratic form is only semi-definite"
    dirs = [tuple(1 if j == i else 0 for j in range(n)) for i in range(n)]
    dirs += [tuple((1 if j == i else (s if j == l else 0)) for j in range(n)) for i in range(n) for l in range(i + 1, n)
             for s in (1, -1)]
    for dvec in dirs:
        sg = _sign(form.xreplace(dict(zip(xs, dvec))))
        if sg == -1:
            return False, f"the degree-{d} part is negative along {dvec}"
    return None, f"the degree-{d} part in {n} fields is not negative along the axes and diagonals (undecided)"


def renormalised_coupling(result, parameter, monomial) -> sp.Expr:
    """The renormalised value of ``parameter`` after the Wilsonian step ``result`` (a WilsonResult):
    the value ``P_R`` for which the bare coefficient of ``monomial``, ``C(P)``, equals its coefficient
    in ``S_eff``, ``C(P_R) = C_eff``; the root that tends to ``P`` as the loop vanishes."""
    action = result.action
    kept = action.kept
    zero = {b: 0 for b in action.integrated}
    s_kept = sp.expand(action.interaction.xreplace(zero) + sum(
        (s ** 2 / (2 * g) for s, g in action.propagators if s in set(kept)), sp.Integer(0)))
    bare = _coefficients(s_kept, kept).get(monomial)
    if bare is None or not bare.has(parameter):
        raise SpecError(f"self-consistent closure: the coefficient of {monomial} in the action does not depend on "
                        f"{parameter}; pair the parameter with the monomial that carries it")
    target = result.coefficients.get(monomial, sp.Integer(0))
    pr = sp.Dummy("P_R", positive=bool(parameter.is_positive))
    roots = sp.solve(sp.Eq(bare.xreplace({parameter: pr}), target), pr)
    if not roots:
        raise SpecError(f"self-consistent closure: cannot solve {bare} = {target} for the renormalised {parameter}")
    return sp.factor(sp.simplify(roots[0]))


def self_consistent_coupling(result, parameter, monomial=None):
    """The Hartree closure of ``parameter`` over the step ``result`` (docs/theory.md section 4a):
    ``P_eff = P + loop(P -> P_eff)`` with ``loop = P_R - P`` (:func:`renormalised_coupling`), built by
    :func:`symrg.engine.resum.self_consistent`, the operation the self-consistent ridge flow uses.
    ``monomial`` defaults to the one ``[running]`` pairs with the parameter."""
    from .resum import self_consistent

    if monomial is None:
        pairs = dict(result.action.running.couplings) if result.action.running is not None else {}
        if parameter not in pairs:
            raise SpecError(f"self-consistent closure: say which kept monomial carries {parameter} "
                            f"(PARAM=MONOMIAL, e.g. sigma2=a**2), or declare it under [running] couplings")
        monomial = pairs[parameter]
    pr = renormalised_coupling(result, parameter, monomial)
    unknown = sp.Symbol(f"{parameter.name}_eff", **({"positive": True} if parameter.is_positive else {"real": True}))
    c = self_consistent(pr, parameter, unknown)
    closed = parameter + sp.factor(sp.simplify(c.equation.rhs - parameter))
    return type(c)(c.parameter, c.unknown, sp.Eq(unknown, closed), closed - unknown)
