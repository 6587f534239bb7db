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

import dataclasses
import itertools
import json
import math
import warnings
from dataclasses import dataclass, field

import sympy as sp

from ..errors import ParameterError
from .action import Action
from .cache import cache_key, dumps_expr, loads_expr, memoised
from .cumulants import _active, cumulant_terms
from .diagrams import VertexType, _multisets, enumerate_graph_classes
from .wick import double_factorial
from .expr import as_expr

__all__ = ["Diagram", "WilsonResult", "wilson_step", "cached_wilson_step", "cumulant_terms", "EngineCostWarning",
           "estimate_contractions", "estimate_work", "estimate_seconds", "MAX_ORDER", "WORK_LIMIT",
           "DIAGRAM_AUTO_LIMIT"]

COST_WARN_THRESHOLD = 10**9
MAX_ORDER = 1000             # largest order accepted at all (the work estimate refuses far less)
WORK_LIMIT = 2_000_000       # steps of estimate_work accepted without allow_expensive (about a minute)
_MULTISET_STEPS = 25         # fixed cost of one vertex multiset in estimate_work, in steps


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
    max_degree: int | None = None
    resum: bool = False
    running: object = None          # a symrg.engine.running.FlowResult when the action declares [running]
    notes: list = field(default_factory=list)   # what was skipped and why (e.g. the diagram list)

    def coefficient(self, monomial, order=None):
        m = as_expr(monomial, key="monomial")
        src = self.coefficients if order is None else self.by_order[order]
        return src.get(m, sp.Integer(0))

    @property
    def beta(self) -> dict:
        """``{coupling: dg/dkappa}`` of the running couplings (empty without ``[running]``)."""
        return dict(self.running.beta) if self.running is not None else {}

    def sums_closed_form(self) -> dict:
        """``{c: (closed form, large-kappa expansion)}`` for every sum with an explicit summand F(k)."""
        return {m.symbol: (m.closed_form, m.asymptotic()) for m in self.action.sums if m.spectrum is not None}

    def to_json(self) -> dict:
        """The JSON document of ``symrg derive --json`` (every expression a string in SymPy syntax that the
        whitelist parser :func:`symrg.engine.expr.as_expr` reads back)."""
        from .latex import latex_expr
        fields = {}
        for f in self.action.fields:
            fields[f["name"]] = f
        out = {
            "action": self.action.name,
            "order": self.order,
            "convention": "S_eff[kept] = -log <exp(-S_int)>_> + S_0[kept]; Gaussian normalisation "
                          "of the integrated fields removed; key '1' is the vacuum (constant) term",
            "fields": fields,
            "max_degree": self.max_degree,
            "resum": self.resum,
            "coefficients": {str(k): str(v) for k, v in self.coefficients.items()},
            "coefficients_by_order": [{str(k): str(v) for k, v in d.items()} for d in self.by_order],
            "coefficients_latex": {str(k): latex_expr(v) for k, v in self.coefficients.items()},
            "flow": {str(k): str(v) for k, v in self.flow.items()},
            "diagrams": [d.to_dict() for d in self.diagrams],
        }
        sums = self.sums_closed_form()
        if sums:
            out["sums"] = {str(c): {"summand": str(m.spectrum), "closed_form": str(sums[c][0]),
                                    "asymptotic": str(sums[c][1])}
                           for m in self.action.sums for c in [m.symbol] if c in sums}
        if self.running is not None:
            out["beta"] = {str(g): str(v) for g, v in self.running.beta.items()}
            out["running"] = self.running.to_json()
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def to_latex(self, standalone: bool = False, diagrams: bool = False, title: str | None = None) -> str:
        """LaTeX of the result (:func:`symrg.engine.latex.result_to_latex`): a body, or with
        ``standalone=True`` a document that pdflatex compiles as it is; diagrams drawn only when asked."""
        from .latex import result_to_latex
        return result_to_latex(self, standalone=standalone, diagrams=diagrams, title=title)

    def latex(self, **kw) -> str:
        """Alias of :meth:`to_latex`."""
        return self.to_latex(**kw)

    def _repr_latex_(self) -> str:
        """Jupyter display: the coefficients of ``S_eff`` (and the beta functions)."""
        from .latex import result_display_math
        return result_display_math(self)


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


def _load_result(text: str, action, max_degree=None, resum=False):
    d = json.loads(text)

    def pairs(lst):
        return {loads_expr(k): loads_expr(v) for k, v in lst}

    diags = [Diagram(g["order"], tuple(g["vertices"]), loads_expr(g["external"]),
                     tuple(tuple(e) for e in g["edges"]), g["loops"], loads_expr(g["symmetry_factor"]),
                     g["automorphisms"], g["channels"], g["contractions"], loads_expr(g["expression"]),
                     loads_expr(g["flow"])) for g in d["diagrams"]]
    return WilsonResult(action, d["order"], pairs(d["coefficients"]), [pairs(t) for t in d["by_order"]],
                        diags, pairs(d["flow"]), max_degree=max_degree, resum=resum)


# ----------------------------------------------------------------------------------------------
# diagram route

def mode_vertex_types(action: Action) -> list:
    """Vertex types (monomials of ``S_int``) for the mode fields (those that appear in ``S_int``)."""
    action = _active(action)
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


def mode_diagrams(action: Action, order: int, progress=None) -> list:
    """Diagrams at orders ``1..order`` for the mode fields (see :mod:`symrg.engine.diagrams`)."""
    action = _active(action)
    vtypes = mode_vertex_types(action)
    if not vtypes:
        return []
    props = action.propagator_map
    out = []
    for n in range(1, order + 1):
        if progress is not None:
            progress("diagrams", n)
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


def local_diagrams(action: Action, order: int, progress=None) -> list:
    """Diagrams of the local couplings (docs/theory.md section 6): vertices at points ``x_v``, edges
    ``G_>(x_v, x_w) = sum_{k>kappa} G_k phi_k(x_v) phi_k(x_w)``, integrals over ``dmu(x_v)``."""
    out = []
    for cp in action.local:
        vtypes = _local_vertex_types(cp)
        f_less, g_gr, phi = local_objects(cp)
        kappa = cp.cutoff
        gk = cp.propagator_at(kappa)
        for n in range(1, order + 1):
            if progress is not None:
                progress("local diagrams", n)
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


def _count_sym_matrices(deg, budget: list, cache: dict) -> int:
    """Number of symmetric non-negative integer matrices with row sums ``deg`` (a diagonal entry
    uses two half-edges), i.e. what :func:`symrg.engine.diagrams._sym_matrices` lists, counted by
    a memoised recursion over vertices.  ``budget[0]`` counts down the recursion steps; at zero the
    count is abandoned and ``math.inf``-like ``-1`` is returned."""
    deg = tuple(sorted(d for d in deg if d))   # the count is symmetric; isolated vertices add nothing
    if deg in cache:
        return cache[deg]
    n = len(deg)
    memo = {}

    def splits(total, parts):
        """Compositions of ``total`` into ``parts`` non-negative entries (iteratively)."""
        if parts == 0:
            if total == 0:
                yield ()
            return
        stack = [((), total)]
        while stack:
            head, left = stack.pop()
            if len(head) == parts - 1:
                yield head + (left,)
                continue
            for x in range(left + 1):
                stack.append((head + (x,), left - x))

    def rec(i, rem):
        if i == n:
            return 1
        key = (i, rem)
        if key in memo:
            return memo[key]
        total = 0
        r0, rest = rem[0], rem[1:]
        for loops in range(r0 // 2 + 1):
            for row in splits(r0 - 2 * loops, len(rest)):
                budget[0] -= 1
                if budget[0] < 0:
                    return -1
                if any(x > y for x, y in zip(row, rest)):
                    continue
                sub = rec(i + 1, tuple(y - x for x, y in zip(row, rest)))
                if sub < 0:
                    return -1
                total += sub
        memo[key] = total
        return total

    c = rec(0, deg)
    if c >= 0:
        cache[deg] = c
    return c


MOMENT_STEP_SECONDS = 2e-5     # measured: one step of the moments estimate (mixed cubic/sextic, order 4)
DIAGRAM_STEP_SECONDS = 3e-4    # measured: one step of the diagram estimate (the same action, 927k steps: 275 s)


def estimate_seconds(work: dict) -> float:
    """Rough wall time of a step estimated by :func:`estimate_work`, on the reference machine."""
    return work.get("moments", 0) * MOMENT_STEP_SECONDS + work.get("diagrams", 0) * DIAGRAM_STEP_SECONDS


def estimate_work(action: Action, order: int, diagrams: bool = True, limit: int | None = None,
                  max_degree: int | None = None) -> dict:
    """A-priori cost of :func:`wilson_step` in abstract steps, without doing the work.

    ``moments`` (:func:`cumulant_terms`): sum over orders ``k`` of (terms of ``S_int^(k-1)``) x
    (terms of ``S_int``), the terms of a power bounded both by the distinct products of ``k - 1``
    monomials and by the exponent ranges of the fields.  ``diagrams``
    (:func:`symrg.engine.diagrams.enumerate_graph_classes`, and every local coupling): per order
    and multiset of vertex types a fixed cost plus (type-preserving vertex permutations ``prod_t
    m_t!``) x (species) x (candidate edge matrices, :func:`_count_sym_matrices`).  The sums stop
    once they pass ``limit`` (the value is then ``limit + 1``), so refusing ``--order 50`` takes
    milliseconds.  On the reference machine one step takes 1-50 microseconds (see
    ``WORK_LIMIT``).  ``max_degree`` bounds the kept exponents by the monomials of degree
    ``<= max_degree`` (the pruning of :func:`cumulant_terms`).
    """
    cap = math.inf if limit is None else limit
    act = _active(action)
    out = {"moments": 0, "diagrams": 0}
    terms = act.interaction_terms()
    if terms and order:
        T = len(sp.Add.make_args(act.interaction))
        bexps = {b for _, _, b in terms}
        nb, nk = len(act.integrated), len(act.kept)
        dmax_b = [max(b[i] for b in bexps) for i in range(nb)]
        dmax_k = [max(k[i] for _, k, _ in terms) for i in range(nk)]
        total = 0
        for k in range(1, order + 1):
            products = math.comb(T + k - 2, k - 1)
            kept_exps = math.prod(k * d + 1 for d in dmax_k)
            if max_degree is not None:
                kept_exps = min(kept_exps, math.comb(max_degree + nk, nk))
            exps = math.prod((k - 1) * d + 1 for d in dmax_b) * kept_exps
            total += min(products, exps) * T
            if total > cap:
                total = int(cap) + 1
                break
        out["moments"] = total
    vgroups = ([mode_vertex_types(act)] if diagrams else []) + [_local_vertex_types(c) for c in act.local]
    total = 0
    budget = [int(min(cap, 10**7))]   # counting steps <= listing steps: running out means "over the limit"
    counts: dict = {}
    for vts in vgroups:
        if not vts:
            continue
        n_species = len(vts[0].legs)
        for n in range(1, order + 1):
            if math.comb(len(vts) + n - 1, n) > cap:
                out["diagrams"] = int(cap) + 1
                return out
            for combo in _multisets(vts, n):
                perms = math.prod(math.factorial(len(list(g))) for _, g in itertools.groupby(combo))
                work = perms * n_species
                for s in range(n_species):
                    if total + work > cap:
                        break
                    c = _count_sym_matrices([vts[t].legs[s] for t in combo], budget, counts)
                    work = work * c if c >= 0 else math.inf
                total += _MULTISET_STEPS + work
                if total > cap:
                    out["diagrams"] = int(cap) + 1
                    return out
    out["diagrams"] = int(total)
    return out


DIAGRAM_AUTO_LIMIT = 10_000   # steps of estimate_work["diagrams"] listed by default (a few seconds at most)


def wilson_step(action: Action, order: int, *, diagrams="auto", use_cache: bool = True, progress=None,
                max_degree: int | None = None, resum: bool = False) -> WilsonResult:
    """Integrate out the integrated fields of ``action`` to ``order`` in ``S_int`` (docs/theory.md section 3).

    See the module docstring for the normalisation of ``S_eff``. Results are memoised in memory
    and on disk (:mod:`symrg.engine.cache`).  Mode-field coefficients always come from the moment
    route; the diagram list is extra:

    * ``diagrams``: ``True`` lists every connected diagram, ``False`` none, ``"auto"`` (default)
      lists them when :func:`estimate_work` puts them under ``DIAGRAM_AUTO_LIMIT`` steps and
      otherwise records in ``result.notes`` that they were skipped;
    * ``max_degree``: keep only kept-field monomials of total degree ``<= max_degree``, pruned
      during the cumulant computation (:func:`cumulant_terms`), which keeps high orders fast;
    * ``resum``: integrate the part of ``S_int`` at most quadratic in the integrated fields exactly
      (:func:`symrg.engine.resum.split_quadratic`); ``by_order[0]`` then holds ``S_0[kept]`` plus
      that exact Gaussian part and ``by_order[n]`` the order-``n`` cumulant of the remainder;
    * ``progress(stage, n)`` is called as each order ``n`` of a stage (``moments``, ``diagrams``,
      ``local diagrams``) starts.

    The cost can be estimated first with :func:`estimate_work` (``symrg derive`` refuses past
    ``WORK_LIMIT`` unless ``--allow-expensive``).  When the action declares running couplings
    (:class:`~symrg.engine.action.RunningSpec`) the result carries their flow
    (:func:`symrg.engine.running.derive_flow`) as ``result.running`` / ``result.beta``.
    """
    if not isinstance(action, Action):
        raise ParameterError("action", type(action).__name__, "an Action (symrg.engine.load_action or Action(...))")
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= MAX_ORDER:
        raise ParameterError("order", order, f"an integer in [0, {MAX_ORDER}]")
    if max_degree is not None and (isinstance(max_degree, bool) or not isinstance(max_degree, int)
                                   or max_degree < 0):
        raise ParameterError("max_degree", max_degree, "an integer >= 0 (or None for every degree)")
    if not (diagrams is True or diagrams is False or diagrams == "auto"):
        raise ParameterError("diagrams", diagrams, "True, False or 'auto'")
    notes = []
    if resum and diagrams is True:
        notes.append("diagrams are not listed with resummation (they describe the plain series)")
    if resum:
        diagrams = False
    if diagrams == "auto":
        est = estimate_work(action, order, True, limit=DIAGRAM_AUTO_LIMIT)["diagrams"]
        diagrams = est <= DIAGRAM_AUTO_LIMIT
        if not diagrams:
            notes.append(f"diagram list skipped: it needs more than {DIAGRAM_AUTO_LIMIT} steps at order {order} "
                         f"(ask for it explicitly: symrg derive --diagrams, or diagrams=True)")
    if use_cache:
        res = cached_wilson_step(action, order, diagrams, progress, max_degree=max_degree, resum=resum)
    else:
        est = estimate_contractions(action, order)
        if est > COST_WARN_THRESHOLD and max_degree is None:
            warnings.warn(f"order {order} needs about {est:.3g} Wick contractions; the derivation may be "
                          f"slow (try a lower order, max_degree=, or diagrams=False)", EngineCostWarning, stacklevel=2)
        res = _compute(action, order, diagrams, progress, max_degree=max_degree, resum=resum)
    if notes or action.running is not None:
        running = None
        if action.running is not None:
            from .running import derive_flow
            running = derive_flow(action)
        res = dataclasses.replace(res, running=running, notes=list(res.notes) + notes)
    return res


def cached_wilson_step(action, order: int, diagrams: bool, progress=None, *, max_degree=None, resum=False):
    """:func:`wilson_step` with in-memory and on-disk memoisation (:mod:`symrg.engine.cache`)."""
    return memoised(cache_key(action, order, diagrams, max_degree=max_degree, resum=resum),
                    lambda: _compute(action, order, diagrams, progress, max_degree=max_degree, resum=resum),
                    _dump_result, lambda text: _load_result(text, action, max_degree, resum))


def _mono_key(m):
    if not m.free_symbols:
        return (0, str(m))
    deg = sum(int(e) for b, e in m.as_powers_dict().items() if b.free_symbols and e.is_Integer)
    return (deg, str(m))


def _degree(m) -> int:
    return _mono_key(m)[0]


def _compute(action: Action, order: int, want_diagrams: bool, progress=None, *, max_degree=None,
             resum: bool = False) -> WilsonResult:
    keep = (lambda m: True) if max_degree is None else (lambda m: _degree(m) <= max_degree)
    by_order = [dict() for _ in range(order + 1)]
    props = action.propagator_map
    for s in action.kept:
        if s in props and keep(s ** 2):
            by_order[0][s ** 2] = 1 / (2 * props[s])
    series_action = action
    if resum and action.integrated and action.interaction != 0:
        from .resum import split_quadratic
        split = split_quadratic(_active(action))
        for m, v in split.gaussian.items():
            if keep(m):
                by_order[0][m] = by_order[0].get(m, 0) + v
        series_action = split.remainder
    if series_action is not None:
        for n, T in enumerate(cumulant_terms(series_action, order, progress, max_degree), start=1):
            by_order[n] = T
    diags = mode_diagrams(action, order, progress) if want_diagrams else []
    ldiags = local_diagrams(action, order, progress)
    if max_degree is not None:
        diags = [d for d in diags if keep(d.external)]
        ldiags = [d for d in ldiags if keep(d.external)]
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
                flow[k] = sp.expand(dv) if not resum else sp.factor(dv)
    for d in ldiags:
        if d.flow != 0:
            flow[d.external] = flow.get(d.external, 0) + d.flow
    return WilsonResult(action, order, coefficients, by_order, diags + ldiags, flow, max_degree=max_degree,
                        resum=resum)
