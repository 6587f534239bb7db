"""Perturbative results that know their range (issue 21, item 6; the project rule "warn when a perturbative
parameter is past the truncation").

A truncated expansion ``a_1 x + a_2 x^2 + ...`` is printed together with its expansion parameter, an
estimate of the first neglected order, and ``ok``: whether that estimate is below ``threshold`` (10%) of
the printed leading term.  Two expansions:

* :func:`kurtosis_validity` -- the O(1/N) excess kurtosis ``c/N`` of a depth-L network (docs/theory.md
  section 6x).  For ReLU the moments are known to all orders, ``E f^4 / (E f^2)^2 = 3 (1 + 5/N)^L``
  (every layer multiplies the fourth-moment ratio by the same factor; checked against the weight Monte
  Carlo of :mod:`symrg.numerics.finite_width.deep_montecarlo`), whose first order is ``15 L / N`` = ``c/N``
  and whose second is ``3 C(L,2) (5/N)^2``.  For any activation the same layer-by-layer accumulation with
  the per-layer share ``a = c/(3 L N)`` gives the estimate ``3 C(L,2) a^2 = (c/N)^2 (L-1)/(6L)`` (exact
  for ReLU, zero at L = 1 where the O(1/N) result is exact); the parameter is ``depth/width``.
* :func:`one_loop_validity` -- a one-loop flow of a quartic coupling ``u`` integrating modes of variance
  ``sigma^2``: the two-loop term is down by the loop parameter ``g = |u| sigma^2`` (one more vertex, one
  more propagator), so the neglected order is estimated as ``g`` times the one-loop term.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Validity", "kurtosis_validity", "one_loop_validity", "VALIDITY_THRESHOLD"]

VALIDITY_THRESHOLD = 0.1   # the neglected order may be at most this fraction of the printed leading term


@dataclass(frozen=True)
class Validity:
    """``parameter`` (its name as printed), ``value``, ``ok``, ``next_order`` (estimate of the first neglected
    term, absolute; ``relative`` = over the leading term) and a one-line ``note``."""

    parameter: str
    value: float
    ok: bool
    next_order: float
    relative: float
    note: str

    def to_dict(self) -> dict:
        return {"parameter": self.parameter, "value": self.value, "ok": self.ok,
                "next_order_estimate": self.next_order, "next_order_relative": self.relative, "note": self.note}

    def warning(self, command: str) -> str | None:
        """The stderr line when the expansion is outside its range, else None."""
        return None if self.ok else f"symrg {command}: warning: {self.note}"


def _finite(x: float) -> float:
    return x if math.isfinite(x) else float("inf")


def kurtosis_validity(coefficient: float, depth: int, width: int, threshold: float = VALIDITY_THRESHOLD) -> Validity:
    """Validity of the O(1/N) excess kurtosis ``c/N`` at depth L, width N (module doc)."""
    first = coefficient / width
    nxt = _finite(first * first * (depth - 1) / (6.0 * depth))     # float products overflow to inf, not raise
    rel = nxt / abs(first) if first else (0.0 if nxt == 0 else math.inf)
    ok = rel <= threshold
    note = (f"the O(1/N) excess kurtosis c/N = {first:.4g} is {'inside' if ok else 'outside'} its range at "
            f"depth/width = {depth}/{width} = {depth / width:.3g}: the next order, O(L^2/N^2), is estimated at "
            f"{nxt:.3g} ({rel:.2g} of the first)")
    if not ok:
        note += "; the printed value is not the network's kurtosis (lower --depth or raise --width)"
    return Validity("depth/width", depth / width, bool(ok), nxt, rel, note)


def one_loop_validity(loop_parameter: float, leading: float | None = None,
                      threshold: float = VALIDITY_THRESHOLD, name: str = "u sigma^2") -> Validity:
    """Validity of a one-loop flow whose loop parameter (``|u| sigma^2``, the largest along the flow) is
    ``loop_parameter``; ``leading`` (optional) is the one-loop term, to state the neglected order in its
    units (module doc)."""
    g = abs(float(loop_parameter))
    ok = g <= threshold
    nxt = g * abs(leading) if leading is not None else g
    note = (f"the flow (first order in the shell width) is {'inside' if ok else 'outside'} its range: the loop "
            f"parameter {name} reaches {g:.3g}, so the second-order terms are estimated at {g:.2g} of the first")
    if not ok:
        note += "; the printed flow is not reliable there (a smaller coupling, a shorter flow or the mode-by-mode route)"
    return Validity(name, g, bool(ok), nxt, g, note)
