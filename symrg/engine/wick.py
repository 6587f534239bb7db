"""Isserlis / Wick pairings for commuting Gaussian fields (docs/theory.md section 3).

For a centred Gaussian with diagonal covariance ``<b_i b_j> = delta_ij G_i``,
``<prod_i b_i^{n_i}> = prod_i (n_i - 1)!! G_i^{n_i/2}`` (zero if any ``n_i`` is odd), which is the
number of perfect matchings of ``n_i`` points, ``(n_i - 1)!!``, times the propagators.
"""
from __future__ import annotations

import math
from typing import Iterator

__all__ = ["double_factorial", "perfect_matchings", "count_perfect_matchings", "gaussian_moment",
           "matching_weight"]


def double_factorial(n: int) -> int:
    """``n!!`` with ``(-1)!! = 0!! = 1``."""
    if n < -1:
        raise ValueError(f"double factorial needs n >= -1, got {n}")
    return math.prod(range(n, 0, -2)) if n > 0 else 1


def perfect_matchings(items) -> Iterator[list]:
    """Yield every perfect matching of ``items`` as a list of pairs (Isserlis pairings).

    The first remaining item is paired with each later one in turn, so each matching is produced
    exactly once; there are ``(2n - 1)!!`` of them for ``2n`` items.
    """
    items = list(items)
    if len(items) % 2:
        return
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for i, partner in enumerate(rest):
        for sub in perfect_matchings(rest[:i] + rest[i + 1:]):
            yield [(first, partner)] + sub


def count_perfect_matchings(n_points: int) -> int:
    """Number of perfect matchings of ``n_points`` points: ``(n - 1)!!`` for even n, else 0."""
    return double_factorial(n_points - 1) if n_points % 2 == 0 else 0


def gaussian_moment(exponents, propagators):
    """``<prod_i b_i^{n_i}>`` for independent centred Gaussians with variances ``propagators``.

    Works for any ``propagators`` supporting ``*`` and ``**`` (SymPy symbols, ring elements,
    floats). Returns ``0`` when an exponent is odd.
    """
    out = 1
    for n, g in zip(exponents, propagators):
        if n % 2:
            return 0
        if n:
            out = out * double_factorial(n - 1) * g ** (n // 2)
    return out


def matching_weight(degrees, loops, edges) -> int:
    """Number of half-edge matchings realising a vertex-labelled multigraph.

    ``degrees``: half-edges per vertex (one species); ``loops[v]``: self-loops at ``v``;
    ``edges[(v, w)]``: multiplicity between ``v < w``. The count is
    ``prod_v d_v! / (prod_{v<w} m_vw! prod_v 2^{l_v} l_v!)`` (Wick's theorem grouped by graph).
    """
    num = math.prod(math.factorial(d) for d in degrees)
    den = math.prod(math.factorial(m) for m in edges.values())
    den *= math.prod(2 ** l * math.factorial(l) for l in loops)
    return num // den
