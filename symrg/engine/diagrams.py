"""Contraction graphs of the cumulant expansion: enumeration, canonical keys, symmetry factors.

Implements the diagrammatic form of docs/theory.md section 3: the order-N term of
``S_eff = sum_N (-1)^{N+1}/N! <S_int^N>_c`` is a sum over connected graphs whose vertices are
monomials of ``S_int`` (vertex type ``t`` with coefficient ``c_t``, kept legs = external legs,
integrated legs = half-edges) and whose edges are Wick contractions (propagators).

For a class ``D`` of graphs with vertex multiplicities ``m_t``,

    contribution(D) = (-1)^{N+1} prod_t c_t^{m_t} / prod_t m_t!  * n_D * prod_edges G * externals,

``n_D`` being the number of Wick contractions (perfect matchings of the half-edges of the
position-labelled vertices) that give a graph isomorphic to ``D``. With ``c_t = g_t / prod_f n_{f,t}!``
(``g_t`` the coupling with its leg factorials removed, e.g. ``u`` for every monomial of
``(u/4!)(a+b)^4``) this is ``(-1)^{N+1} prod g_t prod G / |Aut(D)|`` with ``|Aut(D)|`` the
automorphisms with *unlabelled* external legs. The textbook symmetry factor (external legs
labelled: tadpole 1/2, figure-eight 1/8, sunset 1/6, one-loop bubble 1/2 per channel) is
``1/|Aut_lab(D)|``; both are computed here from the vertex automorphisms of the multigraph and
checked against ``n_D`` (``n_D |Aut(D)| = prod m_t! prod_v prod_f d_{v,f}!``).

Vertices are enumerated as multisets of types; graphs as symmetric degree-constrained edge
multiplicity matrices per species (each matrix stands for ``prod d! / (prod m! prod 2^l l!)``
matchings, :func:`symrg.engine.wick.matching_weight`); connectedness by union-find; the
canonical key is the lexicographically smallest matrix tuple over type-preserving vertex
permutations. :func:`brute_force_classes` redoes the count by listing every perfect matching.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from .wick import matching_weight, perfect_matchings

__all__ = ["VertexType", "GraphClass", "enumerate_graph_classes", "brute_force_classes",
           "is_connected"]


@dataclass(frozen=True)
class VertexType:
    """A monomial of ``S_int``: ``coefficient * prod kept^external * prod integrated^legs``."""

    coefficient: object
    external: tuple   # exponents of the kept fields (external legs)
    legs: tuple       # half-edges per integrated species
    label: str = ""


@dataclass
class GraphClass:
    """One isomorphism class of connected contraction graphs."""

    types: tuple          # sorted vertex type indices (the multiset)
    edges: tuple          # canonical: per species, tuple of ((v, w), multiplicity), v <= w
    contractions: int     # n_D (Wick matchings giving this class)
    automorphisms: int    # |Aut| with unlabelled external legs
    automorphisms_labelled: int
    channels: int         # distinct labellings of external legs

    @property
    def order(self) -> int:
        return len(self.types)


def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def is_connected(n_vertices: int, pairs) -> bool:
    """Union-find connectivity of ``n_vertices`` vertices joined by ``pairs`` ``(v, w)``."""
    parent = list(range(n_vertices))
    for v, w in pairs:
        rv, rw = _find(parent, v), _find(parent, w)
        if rv != rw:
            parent[rv] = rw
    return len({_find(parent, i) for i in range(n_vertices)}) <= 1


def _sym_matrices(deg):
    """All symmetric non-negative integer matrices (as dicts (i, j)->m, i <= j) with row sums deg
    (a self-loop at i uses two half-edges)."""
    n = len(deg)
    rem = list(deg)
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    out, cur = [], {}

    def rec(idx):
        if idx == len(pairs):
            if not any(rem):
                out.append({k: v for k, v in cur.items() if v})
            return
        i, j = pairs[idx]
        if i == j:
            last = i == n - 1
            rng = [rem[i] // 2] if last and rem[i] % 2 == 0 else ([] if last else range(rem[i] // 2 + 1))
            for m in rng:
                rem[i] -= 2 * m
                cur[(i, i)] = m
                rec(idx + 1)
                rem[i] += 2 * m
            cur.pop((i, i), None)
        else:
            hi = min(rem[i], rem[j])
            rng = [rem[i]] if (j == n - 1 and rem[i] <= rem[j]) else ([] if j == n - 1 else range(hi + 1))
            for m in rng:
                rem[i] -= m
                rem[j] -= m
                cur[(i, j)] = m
                rec(idx + 1)
                rem[i] += m
                rem[j] += m
            cur.pop((i, j), None)

    rec(0)
    return out


def _block_perms(types):
    """Vertex permutations that preserve the (sorted) type sequence."""
    blocks, start = [], 0
    for _, grp in itertools.groupby(range(len(types)), key=lambda i: types[i]):
        idx = list(grp)
        blocks.append(idx)
        start += len(idx)
    per_block = [list(itertools.permutations(b)) for b in blocks]
    for choice in itertools.product(*per_block):
        perm = {}
        for blk, img in zip(blocks, choice):
            perm.update(zip(blk, img))
        yield perm


def _key(mats, perm, n):
    key = []
    for m in mats:
        relab = {}
        for (v, w), k in m.items():
            a, b = perm[v], perm[w]
            relab[(min(a, b), max(a, b))] = k
        key.append(tuple(relab.get((i, j), 0) for i in range(n) for j in range(i, n)))
    return tuple(key)


def _classify(types, vtypes, graphs):
    """Group vertex-labelled graphs (list of (mats, weight)) into isomorphism classes."""
    n = len(types)
    perms = list(_block_perms(types))
    classes = {}
    for mats, weight in graphs:
        keys = [_key(mats, p, n) for p in perms]
        canon = min(keys)
        if canon in classes:
            classes[canon][0] += weight
        else:
            ident = keys[perms.index({i: i for i in range(n)})] if n else ()
            va = sum(1 for p, k in zip(perms, keys) if k == ident)
            ext_v = [i for i in range(n) if any(vtypes[types[i]].external)]
            va_fix = sum(1 for p, k in zip(perms, keys) if k == ident and all(p[i] == i for i in ext_v))
            classes[canon] = [weight, va, va_fix]
    out = []
    n_ext = [sum(vtypes[t].external[f] for t in types) for f in range(len(vtypes[types[0]].external))] \
        if types else []
    ext_perm = math.prod(math.factorial(k) for k in n_ext)
    for canon, (weight, va, va_fix) in sorted(classes.items()):
        edges = []
        lift = 1
        for s, flat in enumerate(canon):
            it = iter(flat)
            lst = []
            for i in range(n):
                for j in range(i, n):
                    k = next(it)
                    if k:
                        lst.append(((i, j), k))
                        lift *= (2 ** k * math.factorial(k)) if i == j else math.factorial(k)
            edges.append(tuple(lst))
        ext = math.prod(math.factorial(e) for t in types for e in vtypes[t].external)
        aut = va * lift * ext
        aut_lab = va_fix * lift
        channels = ext_perm * aut_lab // aut
        out.append(GraphClass(tuple(types), tuple(edges), weight, aut, aut_lab, channels))
    return out


def _multisets(vtypes, order):
    n_species = len(vtypes[0].legs) if vtypes else 0
    usable = [i for i, t in enumerate(vtypes) if order == 1 or sum(t.legs) > 0]
    for combo in itertools.combinations_with_replacement(usable, order):
        tot = [sum(vtypes[t].legs[s] for t in combo) for s in range(n_species)]
        if any(x % 2 for x in tot):
            continue
        if order > 1 and sum(tot) // 2 < order - 1:
            continue
        yield combo


def enumerate_graph_classes(vtypes, order: int):
    """Connected graph classes at ``order`` (number of vertices) for the given vertex types."""
    out = []
    for combo in _multisets(vtypes, order):
        n_species = len(vtypes[0].legs)
        per_species = []
        for s in range(n_species):
            deg = [vtypes[t].legs[s] for t in combo]
            per_species.append([(m, matching_weight(deg, [m.get((i, i), 0) for i in range(order)],
                                                    {k: v for k, v in m.items() if k[0] != k[1]}))
                                for m in _sym_matrices(deg)])
        graphs = []
        for choice in itertools.product(*per_species):
            mats = tuple(c[0] for c in choice)
            pairs = [k for m in mats for k in m if k[0] != k[1]]
            if order > 1 and not is_connected(order, pairs):
                continue
            graphs.append((mats, math.prod(c[1] for c in choice)))
        if graphs:
            out.extend(_classify(combo, vtypes, graphs))
    return out


def brute_force_classes(vtypes, order: int) -> dict:
    """``{(types, canonical edges): n_D}`` by listing every perfect matching of the half-edges.

    Independent of the multigraph counting in :func:`enumerate_graph_classes` (used in tests).
    """
    result = {}
    for combo in _multisets(vtypes, order):
        n_species = len(vtypes[0].legs)
        half = {s: [(v, h) for v, t in enumerate(combo) for h in range(vtypes[t].legs[s])]
                for s in range(n_species)}
        match_lists = [list(perfect_matchings(half[s])) for s in range(n_species)]
        graphs = []
        for choice in itertools.product(*match_lists):
            mats = []
            for matching in choice:
                m = {}
                for (v, _), (w, _) in matching:
                    k = (min(v, w), max(v, w))
                    m[k] = m.get(k, 0) + 1
                mats.append(m)
            pairs = [k for m in mats for k in m if k[0] != k[1]]
            if order > 1 and not is_connected(order, pairs):
                continue
            graphs.append((tuple(mats), 1))
        for gc in _classify(combo, vtypes, graphs):
            result[(gc.types, gc.edges)] = gc.contractions
    return result
