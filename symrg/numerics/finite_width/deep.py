"""Deep finite-width networks at one input: the O(1/N) recursion of the kernel ``K``, its mean shift ``K1``
and the four-point vertex ``V`` layer by layer, and the output's excess kurtosis ``c/N``
(docs/theory.md section 6x).

The recursion was derived by :mod:`symrg.theory.deep_finite_width` and lowered to
:mod:`symrg._generated.deep_finite_width` (mpmath twin ``deep_finite_width_mp``); this module only
evaluates it, O(L) per call::

    K^(l+1) = F(K^(l)),   K1^(l+1) = J K1^(l) + H V^(l) / 2,   V^(l+1) = J^2 V^(l) + C(K^(l)),
    K^(1) = x.x = 1, K1^(1) = V^(1) = 0;   excess kurtosis of f = z^(L+1):  c/N + O(1/N^2),  c = 3 V/K^2.

``C = sigma_w^4 (E phi^4 - (E phi^2)^2)`` needs ``E phi^4``: closed forms for ReLU and step (derived), a
200-node Gauss-Hermite rule for erf (an entire integrand: exponentially convergent; checked against
mpmath quadrature in :func:`erf_m4`'s twin ``precise=True``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.special

from ..._validate import check_int, check_positive, check_ridge
from ...errors import ParameterError

__all__ = ["DEEP_ACTIVATIONS", "MAX_DEPTH", "DeepRecursion", "deep_recursion", "deep_kurtosis_coefficient",
           "deep_excess_kurtosis", "activation_m4"]

DEEP_ACTIVATIONS = ("relu", "erf", "step")
MAX_DEPTH = 10_000          # the recursion is O(L); beyond this the O(1/N) vertex of ReLU (15 L) is meaningless
_SQRT2PI = math.sqrt(2 * math.pi)


def check_deep_activation(activation) -> str:
    if activation not in DEEP_ACTIVATIONS:
        raise ParameterError("activation", activation, f"one of {DEEP_ACTIVATIONS} (the activations with a "
                             "closed-form dual kernel)")
    return activation


def check_depth(depth) -> int:
    return check_int(depth, "depth", 1, MAX_DEPTH)


def activation_m4(activation: str, q: float, precise: bool = False) -> float:
    """``E phi(u)^4`` for ``u ~ N(0, q)``: the derived closed form (ReLU, step) or, for erf, Gauss-Hermite
    with 200 nodes (``precise=True``: mpmath quadrature at 30 digits, the independent route)."""
    from ..._generated import deep_finite_width as g

    if activation == "relu":
        return float(g.relu_m4(q))
    if activation == "step":
        return float(g.step_m4(q))
    if precise:
        import mpmath
        with mpmath.workdps(30):
            qq = mpmath.mpf(q)
            f = lambda z: mpmath.erf(mpmath.sqrt(qq) * z) ** 4 * mpmath.exp(-z * z / 2)  # noqa: E731
            return float(mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf]) / mpmath.sqrt(2 * mpmath.pi))
    x, w = np.polynomial.hermite_e.hermegauss(200)
    return float(np.sum(w * scipy.special.erf(math.sqrt(q) * x) ** 4) / _SQRT2PI)


@dataclass(frozen=True)
class DeepRecursion:
    """``K[l], K1[l], V[l]`` for the pre-activations of layer ``l = 1 .. L+1`` (index 0 is layer 1, the
    last is the output); ``coefficient`` ``c = 3 V/K^2`` at the output."""

    activation: str
    depth: int
    K: np.ndarray
    K1: np.ndarray
    V: np.ndarray

    @property
    def coefficient(self) -> float:
        return float(3.0 * self.V[-1] / self.K[-1] ** 2)


def deep_recursion(activation: str, depth: int, sigma_w2: float = 2.0, sigma_b2: float = 0.0,
                   q0: float = 1.0, backend: str = "numpy") -> DeepRecursion:
    """Run the derived single-input recursion through ``depth`` hidden layers (docs/theory.md section 6x).

    ``backend="mpmath"`` evaluates the mpmath twin (30 digits; erf's ``E phi^4`` by mpmath quadrature).
    """
    check_deep_activation(activation)
    L = check_depth(depth)
    sw = check_positive(sigma_w2, "sigma_w2")
    sb = check_ridge(sigma_b2, "sigma_b2")
    q0 = check_positive(q0, "q0")
    if backend == "numpy":
        from ..._generated import deep_finite_width as g
        conv = float
    elif backend == "mpmath":
        import mpmath

        from ..._generated import deep_finite_width_mp as g
        conv = mpmath.mpf
    else:
        raise ParameterError("backend", backend, "numpy or mpmath")
    kern, k1f, vert = (getattr(g, f"{activation}_{n}") for n in ("kernel", "k1", "vertex"))
    K, K1, V = [conv(q0)], [conv(0)], [conv(0)]
    for _ in range(L):
        q, k1, v = K[-1], K1[-1], V[-1]
        m4 = activation_m4(activation, float(q), precise=backend == "mpmath")
        K.append(kern(q, sb, sw))
        K1.append(k1f(q, k1, v, sb, sw))
        V.append(vert(q, v, conv(m4), sb, sw))
    arr = lambda xs: np.array([float(x) for x in xs])  # noqa: E731
    out = DeepRecursion(activation, L, arr(K), arr(K1), arr(V))
    if not np.all(np.isfinite(out.V)) or out.K[-1] <= 0:
        raise ParameterError("depth", L, "a depth at which the kernel stays finite and positive",
                             f"the recursion left the finite range at {activation}, sigma_w2={sw}, sigma_b2={sb}")
    return out


def deep_kurtosis_coefficient(activation: str, depth: int, sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> float:
    """``c`` in ``excess kurtosis = c/N + O(1/N^2)`` of the output of a depth-``L`` network (one unit input)."""
    return deep_recursion(activation, depth, sigma_w2, sigma_b2).coefficient


def deep_excess_kurtosis(activation: str, depth: int, width: int, sigma_w2: float = 2.0,
                         sigma_b2: float = 0.0) -> float:
    """The O(1/N) excess kurtosis ``c/N`` at width ``N``."""
    n = check_int(width, "width", 1, None)
    return deep_kurtosis_coefficient(activation, depth, sigma_w2, sigma_b2) / n
