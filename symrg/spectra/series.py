"""Truncated power-series arithmetic in float64, arranged to avoid cancellation.

The NNGP kernels are compositions of dual activations whose Taylor series at t = 0 have
non-negative coefficients (Schoenberg).  The recurrences below keep every partial sum of one
sign when their inputs have the signs that occur there, so tiny coefficients of high order are
obtained to full relative precision (the naive route ``sqrt(1-g^2) + g arcsin g`` loses a
factor ~ j at order j).
"""
from __future__ import annotations

import math

import numpy as np


def mul(a: np.ndarray, b: np.ndarray, n: int | None = None) -> np.ndarray:
    """Cauchy product truncated to ``n`` coefficients (exact-order convolution)."""
    n = n or max(len(a), len(b))
    return np.convolve(a[:n], b[:n])[:n]


def power(A: np.ndarray, alpha: float, n: int | None = None) -> np.ndarray:
    """``A(t)**alpha`` for a series with ``A[0] > 0``.

    From ``A B' = alpha A' B``: ``n A_0 B_n = sum_{k=1}^{n} ((alpha+1) k - n) A_k B_{n-k}``.
    For ``alpha = -1/2`` and ``A = 1 - g^2`` (``A_k <= 0`` for k >= 1) every term is >= 0.
    """
    n = n or len(A)
    A = np.zeros(n) if len(A) == 0 else np.concatenate([A, np.zeros(max(0, n - len(A)))])[:n]
    if A[0] <= 0:
        raise ValueError("power series needs a positive constant term")
    B = np.zeros(n)
    B[0] = A[0] ** alpha
    k = np.arange(n, dtype=float)
    for m in range(1, n):
        kk = k[1:m + 1]
        B[m] = np.dot(((alpha + 1) * kk - m) * A[1:m + 1], B[m - 1::-1][:m]) / (m * A[0])
    return B


def derivative(a: np.ndarray) -> np.ndarray:
    return a[1:] * np.arange(1, len(a))


def integral(a: np.ndarray, c0: float, n: int) -> np.ndarray:
    """Antiderivative with constant term ``c0``, truncated to ``n`` coefficients."""
    out = np.zeros(n)
    out[0] = c0
    m = min(n - 1, len(a))
    out[1:m + 1] = a[:m] / np.arange(1, m + 1)
    return out


def arcsin(g: np.ndarray, n: int | None = None) -> np.ndarray:
    """``arcsin(g(t))`` for ``|g_0| < 1``: ``asin(g_0) + int g' (1 - g^2)^(-1/2)``."""
    n = n or len(g)
    g = np.concatenate([g, np.zeros(max(0, n - len(g)))])[:n]
    one_minus = -mul(g, g, n)
    one_minus[0] += 1.0
    inv_sqrt = power(one_minus, -0.5, n)
    return integral(mul(derivative(g), inv_sqrt, n - 1), math.asin(g[0]), n)


def compose(outer: np.ndarray, inner: np.ndarray, n: int) -> np.ndarray:
    """``outer(inner(u))`` for ``inner[0] == 0`` (Horner), truncated to ``n`` terms."""
    if inner[0] != 0:
        raise ValueError("compose needs an inner series without constant term")
    inner = np.concatenate([inner, np.zeros(max(0, n - len(inner)))])[:n]
    out = np.zeros(n)
    for c in outer[:n][::-1]:
        out = mul(out, inner, n)
        out[0] += c
    return out


def binomial_series(gamma: float, n: int, sign: int = -1) -> np.ndarray:
    """Taylor coefficients of ``(1 + sign*t)**gamma``: ``binom(gamma, j) sign^j``."""
    b = np.empty(n)
    b[0] = 1.0
    for j in range(1, n):
        b[j] = b[j - 1] * (gamma - j + 1) / j * sign
    return b
