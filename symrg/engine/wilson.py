"""The Wilsonian step: cumulant expansion, projection on kept operators, flow (docs/theory.md sections 3 and 6).

Convention (used everywhere in this package)::

    S_eff[f_<] = -log ∫ Df_> exp(-S[f_< + f_>]) / ∫ Df_> exp(-S_0[f_>])
              = S_0[f_<] + <S_int>_> - 1/2 <S_int^2>_>,c + 1/3! <S_int^3>_>,c - ...

i.e. only the Gaussian normalisation of the integrated fields is removed; the constant term
(key ``1``) is ``-log <exp(-S_int(f_< = 0))>_>`` order by order, so ``S_eff(0) = 0`` when the
interaction vanishes at zero kept field after averaging.

Two independent routes compute the order-``n`` term ``(-1)^{n+1} kappa_n / n!``:

* *moments* (fast, exact, default for mode fields): ``S_int`` is expanded into monomials of the
  integrated fields with coefficients in a polynomial ring of the kept fields and parameters;
  moments ``mu_n = <S_int^n>`` use ``<b^m> = (m-1)!! G^{m/2}`` and cumulants follow from the
  moment-cumulant (log) recursion ``kappa_n = mu_n - sum_{m<n} C(n-1, m-1) kappa_m mu_{n-m}``;
* *diagrams* (:mod:`symrg.engine.diagrams`): connected contraction graphs with symmetry factors.
  Tests check that the two agree; local couplings use the diagram route only.

Flow: for a parameter ``c = sum_{k>kappa} F(k)`` (a :class:`~symrg.engine.action.ModeSum`, and
``G_>(x, y)`` of a local coupling) ``dc/dkappa = -F(kappa)`` (continuum convention), and the flow
of each coefficient is its derivative through these parameters.
"""
from __future__ import annotations

import itertools
import json
import math
import warnings
from dataclasses import dataclass, field

import sympy as sp
from sympy.polys.constructor import construct_domain
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from ..errors import ParameterError
from .action import Action
from .cache import cache_key, dumps_expr, loads_expr, memoised
from .diagrams import VertexType, enumerate_graph_classes
from .wick import double_factorial
from .expr import as_expr

__all__ = ["Diagram", "WilsonResult", "wilson_step", "cached_wilson_step", "cumulant_terms", "EngineCostWarning",
           "estimate_contractions"]

COST_WARN_THRESHOLD = 10**9


class EngineCostWarning(UserWarning):
    """The requested order needs many Wick contractions (slow derivation)."""


@dataclass(frozen=True)
class Diagram:
    """A connected diagram and its contribution to ``S_eff`` (docs/theory.md section 3).

    ``symmetry_factor`` is the textbook ``1/|Aut|`` with external legs labelled;
    ``automorphisms`` counts them with external legs unlabelled (then the contribution is
    ``(-1)^{order+1} prod g_v prod G / automorphisms`` times the external fields);
    ``channels`` is the number of distinct labellings of the external legs;
    ``contractions`` the number of Wick contractions that produce it.
    """

    order: int
    vertices: tuple
    external: sp.Expr
    edges: tuple
    loops: int
    symmetry_factor: sp.Rational
    automorphisms: int
    channels: int
    contractions: int
    expression: sp.Expr
    flow: sp.Expr = sp.Integer(0)

    def to_dict(self) -> dict:
        from .latex import latex_expr
        return {"order": self.order, "vertices": list(self.vertices),
                "external_legs": str(self.external), "edges": [list(e) for e in self.edges],
                "loops": self.loops, "symmetry_factor": str(self.symmetry_factor),
                "automorphisms": self.automorphisms, "channels": self.channels,
                "contractions": self.contractions, "expression": str(self.expression),
                "latex": latex_expr(self.expression)}


@dataclass
class WilsonResult:
    """Output of :func:`wilson_step`.

    ``coefficients``: kept monomial (SymPy expr, ``1`` for the constant) -> coefficient in
    ``S_eff`` summed over orders 0..order; ``by_order[n]``: the same for the order-``n`` term
    alone (order 0 = ``S_0[f_<]``); ``flow``: monomial -> d coefficient / d kappa (empty when no
    propagator depends on a sum over modes); ``diagrams``: list of :class:`Diagram`.
    For local couplings the monomial ``f_<**n`` labels the n-point functional, whose value
    contains the kept field ``f_<(x_i)`` inside the integrals.
    """

    action: Action
    order: int
    coefficients: dict
    by_order: list
    diagrams: list = field(default_factory=list)
    flow: dict = field(default_factory=dict)

    def coefficient(self, monomial, order=None):
        m = as_expr(monomial, key="monomial")
        src = self.coefficients if order is None else self.by_order[order]
        return src.get(m, sp.Integer(0))

    def to_json(self) -> dict:
        from .latex import latex_expr
        fields = {}
        for f in self.action.fields:
            fields[f["name"]] = f
        return {
            "action": self.action.name,
            "order": self.order,
            "convention": "S_eff[kept] = -log <exp(-S_int)>_> + S_0[kept]; Gaussian normalisation "
                          "of the integrated fields removed; key '1' is the vacuum (constant) term",
            "fields": fields,
            "coefficients": {str(k): str(v) for k, v in self.coefficients.items()},
            "coefficients_by_order": [{str(k): str(v) for k, v in d.items()} for d in self.by_order],
            "coefficients_latex": {str(k): latex_expr(v) for k, v in self.coefficients.items()},
            "flow": {str(k): str(v) for k, v in self.flow.items()},
            "diagrams": [d.to_dict() for d in self.diagrams],
        }

    def to_latex(self) -> str:
        from .latex import result_to_latex
        return result_to_latex(self)


# (de)serialisation of results for the disk cache (symrg.engine.cache); expressions go through
# dumps_expr / loads_expr, never eval
def _dump_result(res) -> str:
    d = {
        "order": res.order,
        "by_order": [[[dumps_expr(k), dumps_expr(v)] for k, v in t.items()] for t in res.by_order],
        "coefficients": [[dumps_expr(k), dumps_expr(v)] for k, v in res.coefficients.items()],
        "flow": [[dumps_expr(k), dumps_expr(v)] for k, v in res.flow.items()],
        "diagrams": [{"order": g.order, "vertices": list(g.vertices), "external": dumps_expr(g.external),
                      "edges": [list(e) for e in g.edges], "loops": g.loops,
                      "symmetry_factor": dumps_expr(g.symmetry_factor), "automorphisms": g.automorphisms,
                      "channels": g.channels, "contractions": g.contractions,
                      "expression": dumps_expr(g.expression), "flow": dumps_expr(g.flow)}
                     for g in res.diagrams],
    }
    return json.dumps(d)


def _load_result(text: str, action):
    d = json.loads(text)

    def pairs(lst):
        return {loads_expr(k): loads_expr(v) for k, v in lst}

    diags = [Diagram(g["order"], tuple(g["vertices"]), loads_expr(g["external"]),
                     tuple(tuple(e) for e in g["edges"]), g["loops"], loads_expr(g["symmetry_factor"]),
                     g["automorphisms"], g["channels"], g["contractions"], loads_expr(g["expression"]),
                     loads_expr(g["flow"])) for g in d["diagrams"]]
    return WilsonResult(action, d["order"], pairs(d["coefficients"]), [pairs(t) for t in d["by_order"]],
                        diags, pairs(d["flow"]))


# ----------------------------------------------------------------------------------------------
# moments route (mode fields)

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
    R = ring(gens, K)[0]
    return R, [R.ground_new(e) for e in elems]


def cumulant_terms(action: Action, order: int) -> list:
    """``[T_1, ..., T_order]``, ``T_n = (-1)^{n+1} kappa_n / n!`` as dicts kept-monomial -> expr."""
    terms = action.interaction_terms()
    if not terms:
        return [dict() for _ in range(order)]
    gph = _placeholders(action)
    R, celems = _coefficient_ring(action, terms, gph)
    kept_gens = R.gens[:len(action.kept)]
    gel = [R.gens[list(R.symbols).index(g)] for g in gph]
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
    for _ in range(order):
        Q = {}
        for e1, p1 in P.items():
            for e2, s2 in S.items():
                e = tuple(x + y for x, y in zip(e1, e2))
                Q[e] = Q.get(e, R.zero) + p1 * s2
        P = Q
        mus.append(sum((p * moment(e) for e, p in P.items() if not any(x % 2 for x in e)), R.zero))
    kappas = []
    for n in range(1, order + 1):
        k = mus[n - 1]
        for m in range(1, n):
            k = k - math.comb(n - 1, m - 1) * kappas[m - 1] * mus[n - m - 1]
        kappas.append(k)
    subs = {g: action.propagator_map[b] for g, b in zip(gph, action.integrated) if g.name.startswith("_symrg_G")}
    out = []
    nk = len(action.kept)
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
        if expr != 0:
            out[kmon] = expr
    return out


# ----------------------------------------------------------------------------------------------
# diagram route

def mode_vertex_types(action: Action) -> list:
    """Vertex types (monomials of ``S_int``) for the mode fields."""
    out = []
    for c, kexp, bexp in action.interaction_terms():
        lab = sp.Mul(*[s ** e for s, e in zip(action.fields_all, tuple(kexp) + tuple(bexp))])
        out.append(VertexType(c, tuple(kexp), tuple(bexp), str(c * lab)))
    return out


def _sign_and_weight(gc, vtypes):
    n = gc.order
    mult = {}
    for t in gc.types:
        mult[t] = mult.get(t, 0) + 1
    pref = sp.Integer((-1) ** (n + 1) * gc.contractions) / math.prod(math.factorial(m) for m in mult.values())
    return pref * sp.Mul(*[vtypes[t].coefficient ** m for t, m in mult.items()])


def _loops(gc) -> int:
    n_edges = sum(m for sp_edges in gc.edges for _, m in sp_edges)
    return n_edges - gc.order + 1


def mode_diagrams(action: Action, order: int) -> list:
    """Diagrams at orders ``1..order`` for the mode fields (see :mod:`symrg.engine.diagrams`)."""
    vtypes = mode_vertex_types(action)
    if not vtypes:
        return []
    props = action.propagator_map
    out = []
    for n in range(1, order + 1):
        for gc in enumerate_graph_classes(vtypes, n):
            ext = sp.Mul(*[s ** sum(vtypes[t].external[i] for t in gc.types)
                           for i, s in enumerate(action.kept)])
            prop = sp.Mul(*[props[action.integrated[s]] ** m
                            for s, lst in enumerate(gc.edges) for _, m in lst])
            expr = _sign_and_weight(gc, vtypes) * prop * ext
            edges = tuple((v, w, str(action.integrated[s]), m)
                          for s, lst in enumerate(gc.edges) for (v, w), m in lst)
            out.append(Diagram(n, tuple(vtypes[t].label for t in gc.types), ext, edges, _loops(gc),
                               sp.Rational(1, gc.automorphisms_labelled), gc.automorphisms,
                               gc.channels, gc.contractions, expr))
    return out


def _local_vertex_types(coupling):
    poly = sp.Poly(coupling.polynomial, coupling.variable)
    out = []
    for (n,), p in poly.terms():
        for q in range(n + 1):
            c = p * math.comb(n, q)
            out.append(VertexType(c, (n - q,), (q,), f"{c}*{coupling.field}_<^{n - q}*{coupling.field}_>^{q}"))
    return out


def local_objects(coupling):
    """Named objects of a local coupling: ``f_<(x)`` and ``G_>(x, y)`` and the mode summand."""
    f_less = sp.Function(f"{coupling.field}_<")
    g_greater = sp.Function("G_>")
    phi = sp.Function(f"phi_{coupling.cutoff}")
    return f_less, g_greater, phi


def local_diagrams(action: Action, order: int) -> list:
    """Diagrams of the local couplings (docs/theory.md section 6): vertices at points ``x_v``, edges
    ``G_>(x_v, x_w) = sum_{k>kappa} G_k phi_k(x_v) phi_k(x_w)``, integrals over ``dmu(x_v)``."""
    out = []
    for cp in action.local:
        vtypes = _local_vertex_types(cp)
        f_less, g_gr, phi = local_objects(cp)
        kappa = cp.cutoff
        gk = sp.Symbol(f"{cp.propagator}_{kappa}", positive=True)
        for n in range(1, order + 1):
            xs = sp.symbols(f"x_1:{n + 1}", real=True)
            for gc in enumerate_graph_classes(vtypes, n):
                integrand = sp.Mul(*[f_less(xs[v]) ** vtypes[t].external[0] for v, t in enumerate(gc.types)])
                dints = []
                for (v, w), m in gc.edges[0]:
                    integrand *= g_gr(xs[v], xs[w]) ** m
                    dints.append(((v, w), m))
                pref = _sign_and_weight(gc, vtypes)
                expr = pref * sp.Integral(integrand, *[(x,) for x in xs])
                dflow = sp.Integer(0)
                for (v, w), m in dints:
                    # d/dkappa G_>(x, y)^m = -m G_>^{m-1} G_kappa phi_kappa(x) phi_kappa(y)
                    d = -m * g_gr(xs[v], xs[w]) ** (m - 1) * gk * phi(xs[v]) * phi(xs[w])
                    dflow += integrand / g_gr(xs[v], xs[w]) ** m * d
                flow = pref * sp.Integral(dflow, *[(x,) for x in xs]) if dints else sp.Integer(0)
                ext = sp.Symbol(f"{cp.field}_<") ** sum(vtypes[t].external[0] for t in gc.types)
                edges = tuple((v, w, f"{cp.field}_>", m) for (v, w), m in gc.edges[0])
                out.append(Diagram(n, tuple(vtypes[t].label for t in gc.types), ext, edges, _loops(gc),
                                   sp.Rational(1, gc.automorphisms_labelled), gc.automorphisms,
                                   gc.channels, gc.contractions, expr, flow))
    return out


# ----------------------------------------------------------------------------------------------

def estimate_contractions(action: Action, order: int) -> int:
    """Number of Wick contractions (connected or not) summed over the vertex multisets at ``order``:
    ``sum_multisets prod_species (n_s - 1)!!``; extrapolated from a sample when there are many
    multisets. Used to warn before slow derivations."""
    vts = mode_vertex_types(action) + [v for c in action.local for v in _local_vertex_types(c)]
    if not vts or order == 0:
        return 0
    nsp = max(len(v.legs) for v in vts)
    n_multi = math.comb(len(vts) + order - 1, order)
    total = 0
    for i, combo in enumerate(itertools.combinations_with_replacement(range(len(vts)), order)):
        if i >= 20000:
            return int(total * n_multi / i)
        prod = 1
        for s in range(nsp):
            tot = sum(vts[t].legs[s] if s < len(vts[t].legs) else 0 for t in combo)
            prod *= double_factorial(tot - 1) if tot % 2 == 0 else 0
        total += prod
    return total


def wilson_step(action: Action, order: int, *, diagrams: bool = True, use_cache: bool = True) -> WilsonResult:
    """Integrate out the integrated fields of ``action`` to ``order`` in ``S_int`` (docs/theory.md section 3).

    See the module docstring for the normalisation of ``S_eff``. Results are memoised in memory
    and on disk (:mod:`symrg.engine.cache`). ``diagrams=False`` skips the diagram list (faster);
    mode-field coefficients always come from the moment route.
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ParameterError("order", order, "an integer >= 0")
    if use_cache:
        return cached_wilson_step(action, order, diagrams)
    est = estimate_contractions(action, order)
    if est > COST_WARN_THRESHOLD:
        warnings.warn(f"order {order} needs about {est:.3g} Wick contractions; the derivation may be "
                      f"slow (try a lower order or diagrams=False)", EngineCostWarning, stacklevel=2)
    return _compute(action, order, diagrams)


def cached_wilson_step(action, order: int, diagrams: bool):
    """:func:`wilson_step` with in-memory and on-disk memoisation (:mod:`symrg.engine.cache`)."""
    return memoised(cache_key(action, order, diagrams),
                    lambda: wilson_step(action, order, diagrams=diagrams, use_cache=False),
                    _dump_result, lambda text: _load_result(text, action))


def _mono_key(m):
    deg = sum(sp.Poly(m, *m.free_symbols).degree_list()) if m.free_symbols else 0
    return (deg, str(m))


def _compute(action: Action, order: int, want_diagrams: bool) -> WilsonResult:
    by_order = [dict() for _ in range(order + 1)]
    props = action.propagator_map
    for s in action.kept:
        if s in props:
            by_order[0][s ** 2] = 1 / (2 * props[s])
    for n, T in enumerate(cumulant_terms(action, order), start=1):
        by_order[n] = T
    diags = mode_diagrams(action, order) if want_diagrams else []
    ldiags = local_diagrams(action, order)
    for d in ldiags:
        by_order[d.order][d.external] = by_order[d.order].get(d.external, 0) + d.expression
    coefficients = {}
    for d in by_order:
        for k, v in d.items():
            coefficients[k] = coefficients.get(k, 0) + v
    coefficients = {k: v for k, v in sorted(coefficients.items(), key=lambda kv: _mono_key(kv[0])) if v != 0}
    by_order = [dict(sorted(d.items(), key=lambda kv: _mono_key(kv[0]))) for d in by_order]
    flow = {}
    if action.sums:
        for k, v in coefficients.items():
            dv = sum((sp.diff(v, m.symbol) * m.derivative for m in action.sums), sp.Integer(0))
            if dv != 0:
                flow[k] = sp.expand(dv)
    for d in ldiags:
        if d.flow != 0:
            flow[d.external] = flow.get(d.external, 0) + d.flow
    return WilsonResult(action, order, coefficients, by_order, diags + ldiags, flow)
