"""Checks of the Wilsonian engine (docs/theory.md sections 3 and 6): S_eff of the 0-d phi^4 toy against
mpmath quadrature, and its diagrams against the textbook list and a brute-force enumeration (docs/theory.md
section 7)."""
from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from fractions import Fraction

from .registry import check


@check("engine.phi4_quadrature", "S_eff of (u/24)(a+b)^4, b ~ N(0, G), orders 1-3 (docs/theory.md section 6)",
       "Wick/cumulant engine (wilson_step, symbolic)", "cumulants of mpmath quadrature moments <(S_int)^n>, 40 digits",
       1e-10, category="two-route")
def _engine_phi4():
    import mpmath
    import sympy as sp

    from ..engine import example_path, load_action, wilson_step

    act = load_action(example_path("phi4_0d.toml"))
    res = wilson_step(act, 3, diagrams=False, use_cache=False)
    a, u, G = sp.symbols("a u G")
    Gv, av = mpmath.mpf("0.7"), mpmath.mpf("0.3")
    worst = 0.0
    with mpmath.workdps(40):
        norm = 1 / mpmath.sqrt(2 * mpmath.pi * Gv)
        sint = lambda b: (av + b) ** 4 / 24
        mom = [mpmath.quad(lambda b, n=n: norm * mpmath.exp(-b * b / (2 * Gv)) * sint(b) ** n,
                           [-mpmath.inf, 0, mpmath.inf]) for n in (1, 2, 3)]
        k1 = mom[0]
        k2 = mom[1] - mom[0] ** 2
        k3 = mom[2] - 3 * mom[1] * mom[0] + 2 * mom[0] ** 3
        exact = [k1, -k2 / 2, k3 / 6]  # coefficient of u^n in -log <exp(-u S)>
        by = res.by_order
        for n in (1, 2, 3):
            expr = sum(c * m for m, c in by[n].items())
            syms = {s.name: s for s in expr.free_symbols}
            val = expr.subs({syms.get("a", a): sp.Float(str(av), 40), syms.get("G", G): sp.Float(str(Gv), 40),
                             syms.get("u", u): 1})
            worst = max(worst, float(abs(mpmath.mpf(str(sp.N(val, 40))) - exact[n - 1]) / abs(exact[n - 1])))
    return worst, "a = 0.3, G = 0.7"


# The textbook list of connected diagrams of the 0-d phi^4 action (u/24)(a+b)^4 with the kept field a as
# external legs (labelled) and b contracted with propagator G, at orders 1 and 2:
# (order, external legs E, loops L, symmetry factor S, count = number of distinct labellings of the legs).
# S is the textbook 1/|Aut| with external legs labelled (Peskin & Schroeder, "An Introduction to QFT",
# section 4.4: tadpole 1/2, figure-eight 1/8, sunset 1/6; Kleinert & Schulte-Frohlinde, "Critical
# Properties of phi^4-Theories", ch. 4, tables of vacuum, two- and four-point diagrams: 1/16, 1/48, 1/4, 1/4).
# Derivation by hand (a vertex has 4 legs; E of them are a's, the rest are b's contracted in pairs):
#   order 1: a^4 bare vertex (no b): S = 1, L = 0.  a^2 b^2, the b's joined: tadpole, S = 1/2 (swap the two
#     ends of the loop), L = 1.  b^4 in two self-loops: figure-eight, S = 1/8 (2 per loop, 2 for swapping
#     the loops), L = 2.  Odd numbers of b legs cannot be contracted.
#   order 2 (two vertices, joined by at least one line; b legs per vertex (l1, l2) with l1 + l2 even):
#     (1,1): one line, three a's on each vertex: tree, S = 1, L = 0; the 6 labelled legs split 3|3 in
#       C(6,3)/2 = 10 ways.
#     (1,3): one line, the 3-b vertex closes a self-loop: tadpole on the internal line, S = 1/2, L = 1;
#       4 labellings (which a sits on the 3-b vertex).
#     (2,2): two lines between the vertices: one-loop bubble, S = 1/2 (swap the two lines), L = 1;
#       3 channels (s, t, u).
#     (2,4): two lines between, a self-loop on the b^4 vertex: "cactus" (double scoop), S = 1/4, L = 2; 1.
#     (3,3): three lines between: sunset, S = 1/3! = 1/6, L = 2; 1.
#     (3,3): one line between and a self-loop on each: two tadpoles on a line, S = 1/4, L = 2; 1.
#     (4,4): four lines between: vacuum "basketball", S = 1/4! / 2 = 1/48, L = 3; 1.
#     (4,4): two lines between, a self-loop on each: vacuum, S = 1/(2 * 2 * 2 * 2) = 1/16, L = 3; 1.
#     (2,0), (0,x) etc.: a vertex without b legs cannot be joined; odd totals cannot be contracted.
TEXTBOOK_PHI4 = (
    # order, E, L, S, count, name
    (1, 4, 0, Fraction(1), 1, "bare vertex"),
    (1, 2, 1, Fraction(1, 2), 1, "tadpole"),
    (1, 0, 2, Fraction(1, 8), 1, "figure-eight"),
    (2, 6, 0, Fraction(1), 10, "tree"),
    (2, 4, 1, Fraction(1, 2), 4, "tadpole on the internal line"),
    (2, 4, 1, Fraction(1, 2), 3, "one-loop bubble (s, t, u)"),
    (2, 2, 2, Fraction(1, 4), 1, "cactus / double scoop"),
    (2, 2, 2, Fraction(1, 6), 1, "sunset"),
    (2, 2, 2, Fraction(1, 4), 1, "two tadpoles on a line"),
    (2, 0, 3, Fraction(1, 48), 1, "vacuum basketball"),
    (2, 0, 3, Fraction(1, 16), 1, "vacuum, two lines and two self-loops"),
)


def _matchings(items):
    """Every perfect matching of ``items`` (written here, independently of symrg.engine.wick)."""
    if not items:
        yield []
        return
    first = items[0]
    for i in range(1, len(items)):
        for sub in _matchings(items[1:i] + items[i + 1:]):
            yield [(first, items[i])] + sub


def _connected(order, edges) -> bool:
    seen, todo = {0}, [0]
    while todo:
        v = todo.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == v and y not in seen:
                    seen.add(y)
                    todo.append(y)
    return len(seen) == order


def _canonical(order, ext, edges, label_externals: bool):
    """Smallest relabelling over vertex permutations; external points keep their labels or not."""
    best = None
    for p in itertools.permutations(range(order)):
        e = tuple(sorted(tuple(sorted((p[a], p[b]))) for a, b in edges))
        x = tuple(p[v] for v in ext) if label_externals else tuple(sorted(Counter(p[v] for v in ext).items()))
        key = (x, e)
        best = key if best is None or key < best else best
    return best


def brute_force_phi4(order: int) -> Counter:
    """Connected diagrams of (u/4!) phi^4 at ``order`` by the textbook definition, listing contractions.

    E labelled external points (one half-edge each) and ``order`` vertices of 4 half-edges; every Wick
    contraction that joins each external point to a vertex leg and leaves the vertices connected is listed
    and classified by its labelled diagram; the symmetry factor is the number of contractions giving the
    diagram over ``order! (4!)^order`` (Peskin & Schroeder section 4.4).  Returns a Counter of
    ``(order, E, loops, S, count)`` with ``count`` the number of labelled diagrams of one unlabelled shape.
    """
    legs = [(v, h) for v in range(order) for h in range(4)]
    norm = math.factorial(order) * 24 ** order
    out = Counter()
    for E in range(0, 4 * order + 1, 2):
        contractions = Counter()
        for assign in itertools.permutations(range(len(legs)), E):     # external point i -> leg assign[i]
            ext = tuple(legs[j][0] for j in assign)
            rest = [legs[j] for j in range(len(legs)) if j not in assign]
            for m in _matchings(rest):
                edges = [(a[0], b[0]) for a, b in m]
                if order > 1 and not _connected(order, edges):
                    continue
                contractions[_canonical(order, ext, edges, True)] += 1
        shapes = defaultdict(list)
        for key, c in contractions.items():
            ext = [v for v in key[0]]
            shapes[_canonical(order, ext, list(key[1]), False)].append(Fraction(c, norm))
        for shape, factors in shapes.items():
            if len(set(factors)) != 1:
                raise AssertionError(f"labellings of one shape with different symmetry factors: {factors}")
            out[(order, E, len(shape[1]) - order + 1, factors[0], len(factors))] += 1
    return out


@check("engine.symmetry_factors",
       "connected diagrams of (u/24)(a+b)^4 at orders 1 and 2: (order, external legs, loops, symmetry factor, "
       "count) (docs/theory.md sections 3 and 6)",
       "engine: wilson_step diagrams (multigraph enumeration, 1/|Aut| with labelled external legs, channels)",
       "textbook list (Peskin & Schroeder sec. 4.4; Kleinert & Schulte-Frohlinde ch. 4; derived by hand in "
       "checks_engine.py) AND a brute-force listing of every Wick contraction of labelled external points "
       "(S = #contractions / (N! 4!^N)); plus engine.diagrams.brute_force_classes (every perfect matching) "
       "against the engine's contraction counts", 0.0, category="two-route")
def _symfactors():
    from ..engine import example_path, load_action, wilson_step
    from ..engine.diagrams import brute_force_classes, enumerate_graph_classes
    from ..engine.wilson import mode_vertex_types

    act = load_action(example_path("phi4_0d.toml"))
    res = wilson_step(act, 2, use_cache=False)
    engine = Counter()
    for d in res.diagrams:
        E = sum(int(e) for e in d.external.as_powers_dict().values()) if d.external != 1 else 0
        engine[(d.order, E, d.loops, Fraction(str(d.symmetry_factor)), d.channels)] += 1
    textbook = Counter(row[:5] for row in TEXTBOOK_PHI4)
    brute = brute_force_phi4(1) + brute_force_phi4(2)
    vt = mode_vertex_types(act)
    n_engine = {(g.types, g.edges): g.contractions for n in (1, 2) for g in enumerate_graph_classes(vt, n)}
    n_brute = {}
    for n in (1, 2):
        n_brute.update(brute_force_classes(vt, n))

    def mismatch(a, b) -> int:
        return sum(((a - b) + (b - a)).values())

    m_eng, m_bf = mismatch(engine, textbook), mismatch(brute, textbook)
    m_cls = sum(1 for k in set(n_engine) | set(n_brute) if n_engine.get(k) != n_brute.get(k))
    fmt = lambda c: ", ".join(f"{o}|E{e}|L{l}|{s}|x{n}" for (o, e, l, s, n) in sorted(c.elements()))  # noqa: E731
    return float(m_eng + m_bf + m_cls), (
        f"mismatched entries: engine vs textbook {m_eng}, brute force vs textbook {m_bf}, contraction counts "
        f"engine vs brute_force_classes {m_cls} of {len(n_engine)}; engine: {fmt(engine)}")
