"""Geometry of the sphere S^{d-1} for Funk-Hecke spectra (docs/theory.md section 1): degree
multiplicities, the Gegenbauer moments ``E[t^{l+2s} P_l^{(d)}]`` and the closed-form transform of the
end-point singularities ``E[(1-t)^g P_l^{(d)}]``.  Shared by the float64 and the mpmath paths."""
from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

from .._validate import check_int
from ..errors import ParameterError

__all__ = ["log_multiplicity", "multiplicity", "gegenbauer_moment_log", "singular_transform"]


def _check_dim(dim) -> int:
    return check_int(dim, "dim", 2, None)


def log_multiplicity(dim: int, l) -> np.ndarray:
    """``log N(d, l)``; ``N(d,0) = 1``, ``N(2, l>0) = 2``."""
    d = _check_dim(dim)
    l = np.atleast_1d(np.asarray(l))
    if np.any(l < 0):
        raise ParameterError("degree", int(l.min()), "degrees l >= 0")
    l = l.astype(float)
    out = np.zeros_like(l)
    pos = l > 0
    lp = l[pos]
    out[pos] = (np.log(2 * lp + d - 2) + gammaln(lp + d - 2) - gammaln(lp + 1) - gammaln(d - 1))
    return out


def multiplicity(dim: int, l) -> np.ndarray:
    """``N(d, l)`` as float (inf if it overflows a double; use :func:`log_multiplicity`)."""
    with np.errstate(over="ignore"):
        m = np.exp(log_multiplicity(dim, l))
    return np.where(m < 2**52, np.round(m), m)


def gegenbauer_moment_log(l: int, s: np.ndarray, d: int) -> np.ndarray:
    """``log E[t^{l+2s} P_l^{(d)}(t)]`` (all moments are positive)."""
    s = np.asarray(s, dtype=float)
    return (-l * math.log(2.0) + gammaln(l + 2 * s + 1) - gammaln(2 * s + 1)
            + gammaln(d / 2) + gammaln(s + 0.5) - 0.5 * math.log(math.pi) - gammaln(s + l + d / 2))


def singular_transform(g: float, l: np.ndarray, d: int) -> np.ndarray:
    """``E[(1-t)^g P_l^{(d)}(t)]`` for non-integer ``g > -(d-1)/2`` (closed form, see module)."""
    from scipy.special import gammasgn

    l = np.asarray(l, dtype=float)
    logmag = (gammaln(d / 2) + (g + d - 2) * math.log(2.0) + gammaln(l - g) + gammaln(g + (d - 1) / 2)
              - 0.5 * math.log(math.pi) - gammaln(-g) - gammaln(g + l + d - 1))
    sign = gammasgn(l - g) * gammasgn(-g)
    return sign * np.exp(logmag)

