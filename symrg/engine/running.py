"""Running couplings: the flow ``dg_i/dkappa`` of the couplings of an action, derived by the engine
(docs/theory.md section 3, flows of couplings).

Setting.  The action ``S[a; g]`` of the kept fields ``a`` has couplings ``g_i``, each read off the
coefficient ``C_i(g, kappa)`` of one kept monomial ``O_i`` (``1/(2 sigma2)`` of ``a^2``).  The
integrated fields ``b`` are the modes at the cutoff, with propagators ``G(kappa)`` (a power law
``A kappa^-(1+alpha)``, say).  Lowering the cutoff by ``d kappa`` integrates out a shell whose
propagator is ``G(kappa) d kappa``; the Wilsonian step of :func:`symrg.engine.wilson.cumulant_terms`
with the shell propagator ``eps G`` gives, to first order in ``eps``,

    S_{kappa - d kappa}[a] = S_kappa[a] + d kappa * d/d eps [T_1 + T_2]_{eps = 0},

where ``T_1`` (one vertex, one line: the one-loop tadpoles ``G/2 d^2S/db^2``) and ``T_2`` (two
vertices, one line: the tree ``-G/2 (dS/db)^2``) are the only terms linear in the shell width;
every further loop or vertex brings another power of it.  This is the Wilson-Polchinski equation
of the action, derived here from the cumulant expansion, not typed in; ``loops = 0`` keeps the
tree terms only.  The new coefficients are projected on the kept monomials of degree
``<= max_degree``, and the couplings are renormalised by matching the coefficients of their
monomials: with ``J_ij = dC_i/dg_j``,

    dg/dkappa = J^{-1} (dC/dkappa|_shell - dC/dkappa|_explicit),

in the running (renormalised) couplings themselves.  Operators of degree ``<= max_degree`` that the
step generates but no coupling carries are listed in ``FlowResult.dropped`` (the projection sets
them to zero at every step).

Fixed points are couplings at which every ``beta_i`` vanishes for all ``kappa``; their exponents
are the eigenvalues of the stability matrix ``kappa d beta_i/d g_j`` (the flow in ``log kappa``).
Everything here is SymPy; the numeric flow is :mod:`symrg.numerics.running`, fed by the module that
:func:`symrg.codegen.flows.flow_module_text` generates from a :class:`FlowResult`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sympy as sp

from ..errors import SpecError
from .action import Action, RunningSpec

__all__ = ["FlowResult", "FixedPoint", "derive_flow", "renormalised_coupling", "self_consistent_coupling"]


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point of the flow: ``values`` (coupling -> value), the stability matrix
    ``kappa d beta_i/d g_j`` there and its eigenvalues ``exponents`` (with multiplicity)."""

    values: dict
    stability: sp.Matrix
    exponents: tuple

    def to_json(self) -> dict:
        return {"values": {str(g): str(v) for g, v in self.values.items()},
                "stability_matrix": [[str(x) for x in self.stability.row(i)] for i in range(self.stability.rows)],
                "exponents": [str(e) for e in self.exponents]}


@dataclass
class FlowResult:
    """The derived flow of the running couplings of an action (module docstring).

    ``beta``: coupling -> ``dg/dkappa`` in the running couplings, the parameters and the cutoff;
    ``coefficient_flow``: every kept monomial (degree ``<= max_degree``) -> the flow of its
    coefficient at the current couplings; ``dropped``: the generated monomials no coupling carries.
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
    _fixed: list | None = field(default=None, repr=False)

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
    RunningSpec(spec.couplings, spec.cutoff, max_degree, loops)   # validates the overrides
    return _derive(action, loops, max_degree if max_degree is not None else spec.max_degree)


@functools.lru_cache(maxsize=64)
def _derive(action: Action, loops: int, max_degree: int | None) -> FlowResult:
    from .cumulants import cumulant_terms

    spec = action.running
    kept = action.kept
    kappa = spec.cutoff
    degree = max_degree if max_degree is not None else max(_deg(m, kept) for _, m in spec.couplings)
    eps = sp.Dummy("shell", positive=True)
    props = tuple((s, eps * g) if s in set(action.integrated) else (s, g) for s, g in action.propagators)
    shell = Action(kept=kept, integrated=action.integrated, propagators=props, interaction=action.interaction,
                   parameters=tuple(action.parameters) + (kappa,), name=action.name, fields=action.fields)
    T1, T2 = cumulant_terms(shell, 2, max_degree=degree)
    flows = {}
    for m in set(T1) | set(T2):
        v = sp.diff(T2.get(m, 0), eps)
        if loops >= 1:
            v += sp.diff(T1.get(m, 0), eps)
        v = sp.factor(sp.expand(v.subs(eps, 0)))
        if v != 0:
            flows[m] = -v            # d C_m / d kappa: the cutoff goes down as the shell is integrated
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
    rhs = sp.Matrix([flows.get(ops[g], sp.Integer(0)) - sp.diff(cvec[i], kappa) for i, g in enumerate(gs)])
    sol = jac.LUsolve(rhs)
    beta = {g: _tidy(sol[i]) for i, g in enumerate(gs)}
    dropped = {m: v for m, v in sorted(flows.items(), key=lambda kv: (_deg(kv[0], kept), str(kv[0])))
               if m != 1 and m not in set(ops.values())}
    free = set().union(*[v.free_symbols for v in beta.values()]) - set(gs) - {kappa}
    return FlowResult(action.name, tuple(gs), ops, kappa, tuple(sorted(free, key=str)), beta,
                      dict(sorted(flows.items(), key=lambda kv: (_deg(kv[0], kept), str(kv[0])))), dropped,
                      loops, degree)


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
        out.append(FixedPoint({g: sp.simplify(sol[g]) for g in gs}, stab, exps))
    return out


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
