"""NNGP kernels of fully connected networks on unit-sphere inputs.

Convention (docs/theory.md section 1): the input layer gives ``K0(x, x') = x.x'`` (so ``q0 = 1`` on the
sphere); every hidden layer maps

    K_{L}(x, x') = sigma_w^2 E[phi(u) phi(v)] + sigma_b^2,   (u, v) ~ N(0, [[q, c], [c, q]]),

with ``q = K_{L-1}(x, x)`` and ``c = K_{L-1}(x, x')``.  On the sphere ``q_L`` is the same
for every input, so the kernel is a dot-product kernel ``k(t)``, ``t = x.x'``.

Dual activations (Cho & Saul 2009 for the arc-cosine kernels; Williams 1997 for erf), with
``rho = c/q`` and ``theta = arccos(rho)``:

* ReLU (arc-cosine of order 1): ``E = q (sin(theta) + (pi - theta) cos(theta)) / (2 pi)``
* step (arc-cosine of order 0): ``E = (pi - theta) / (2 pi)``
* erf: ``E = (2/pi) arcsin(2 c / (1 + 2 q))``

With the default ``sigma_w^2 = 2``, ``sigma_b^2 = 0`` ReLU has ``k(1) = 1`` at every depth.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_positive, check_ridge, real_array
from ..errors import ParameterError

ACTIVATIONS = ("relu", "step", "erf")
Q_MIN, Q_MAX = 1e-300, 1e300  # representable range of the layer variances q_L = k_L(1)


GRAM_BLOCK_BYTES = 32 * 2 ** 20    # inner products evaluated at a time by NNGPKernel.gram (32 MiB)
KERNEL_CHUNK_BYTES = 2 ** 20       # ... and passed through the layer maps 1 MiB at a time (kept in cache)


def _diag_map(activation: str, sw: float, sb: float, q: float) -> float:
    if activation == "relu":
        return sw * q / 2 + sb
    if activation == "step":
        return sw / 2 + sb
    return sw * (2 / math.pi) * math.asin(2 * q / (1 + 2 * q)) + sb


def _variances_ok(activation: str, depth: int, sw: float, sb: float) -> bool:
    q = 1.0
    for _ in range(depth):
        q = _diag_map(activation, sw, sb, q)
        if not (Q_MIN <= q <= Q_MAX):  # also False for NaN
            return False
    return True


def _valid_interval(ok, lo_start: float = 1e-300, hi_start: float = 1e300):
    """``[lo, hi]`` of the parameter values ``x`` with ``ok(x)`` (``ok`` is true on one interval
    in log x for the monotone layer maps above), found by bisection in log x."""
    grid = [0.0] if lo_start == 0.0 else []
    grid += [10.0 ** e for e in range(-300, 301, 10)]
    good = [x for x in grid if ok(x)]
    if not good:
        return None, None

    def edge(inside: float, outside: float) -> float:
        for _ in range(60):
            mid = math.sqrt(inside * outside) if inside > 0 and outside > 0 else (inside + outside) / 2
            inside, outside = (mid, outside) if ok(mid) else (inside, mid)
        return inside

    lo, hi = good[0], good[-1]
    i_lo, i_hi = grid.index(lo), grid.index(hi)
    if i_lo > 0:
        lo = edge(lo, grid[i_lo - 1])
    if i_hi < len(grid) - 1:
        hi = edge(hi, grid[i_hi + 1])
    return lo, hi


def _relu_dual(rho):
    rho = np.clip(rho, -1.0, 1.0)
    return (np.sqrt(np.maximum(1.0 - rho * rho, 0.0)) + (np.pi - np.arccos(rho)) * rho) / (2 * np.pi)


@dataclass(frozen=True)
class NNGPKernel:
    """Dot-product NNGP kernel ``k(t)`` of a depth-``depth`` fully connected network.

    Parameters
    ----------
    activation : {"relu", "step", "erf"}
    depth : int >= 1
        Number of hidden layers (each followed by its read-out weights).
    sigma_w2, sigma_b2 : float
        Weight and bias variances (defaults 2 and 0).
    """

    activation: str = "relu"
    depth: int = 1
    sigma_w2: float = 2.0
    sigma_b2: float = 0.0

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ParameterError("activation", self.activation, f"one of {ACTIVATIONS}")
        object.__setattr__(self, "depth", check_int(self.depth, "depth", 1, 10_000))
        object.__setattr__(self, "sigma_w2", check_positive(self.sigma_w2, "sigma_w2"))
        object.__setattr__(self, "sigma_b2", check_ridge(self.sigma_b2, "sigma_b2"))
        self._check_representable()

    def _check_representable(self) -> None:
        """Every layer variance ``q_L`` must be a normal float64 within ``[Q_MIN, Q_MAX]``.

        Outside that range ``k(1)`` overflows to inf (or underflows to 0 and ``c/q`` becomes
        NaN), and every spectrum built on the kernel would be NaN.  The error names the
        parameter to change and the interval it may take at this depth.
        """
        act, L, sw, sb = self.activation, self.depth, self.sigma_w2, self.sigma_b2
        if _variances_ok(act, L, sw, sb):
            return
        why = f"k(1) = q_depth must stay within [{Q_MIN:g}, {Q_MAX:g}] (float64 overflow/underflow)"
        if not _variances_ok(act, L, sw, 0.0):  # sigma_w2 alone breaks it
            lo, hi = _valid_interval(lambda x: _variances_ok(act, L, x, sb))
            if lo is None:
                lo, hi = _valid_interval(lambda x: _variances_ok(act, L, x, 0.0))
                why += "; lower sigma_b2 as well"
            raise ParameterError("sigma_w2", sw, f"a value in [{lo:.3g}, {hi:.3g}] for a {act} kernel of "
                                 f"depth {L} with sigma_b2={sb:g}", why)
        lo, hi = _valid_interval(lambda x: _variances_ok(act, L, sw, x), lo_start=0.0)
        raise ParameterError("sigma_b2", sb, f"a value in [{lo:.3g}, {hi:.3g}] for a {act} kernel of "
                             f"depth {L} with sigma_w2={sw:g}", why)

    # -- layer variances -------------------------------------------------------------
    def variances(self) -> list[float]:
        """Diagonal ``q_L = K_L(x, x)`` for L = 0..depth (``q_0 = 1``)."""
        q = [1.0]
        for _ in range(self.depth):
            q.append(self._layer_diag(q[-1]))
        return q

    def _layer_diag(self, q: float) -> float:
        return _diag_map(self.activation, self.sigma_w2, self.sigma_b2, q)

    def _layer(self, c, q: float):
        """One layer map of the off-diagonal covariance ``c`` given the diagonal ``q``:
        ``sw q J(c/q) + sb`` (ReLU), ``sw J0(c/q) + sb`` (step), ``sw (2/pi) arcsin(2c/(1+2q)) + sb`` (erf).

        The same operations in the same order as the expressions above (:func:`_relu_dual`; the results are
        identical to the last bit), written into two work arrays instead of a new array per operation: one ReLU
        map of a 2000 x 2000 block, 58 -> 41 ms; :meth:`_fill` keeps the arrays in cache for the rest."""
        sw, sb = self.sigma_w2, self.sigma_b2
        c = np.asarray(c)
        r = np.array(c, dtype=c.dtype if c.dtype.kind == "f" else float)   # a copy: the caller's c is untouched
        if self.activation == "erf":
            r *= 2
            r /= 1 + 2 * q
            np.clip(r, -1, 1, out=r)
            np.arcsin(r, out=r)
            r *= sw * (2 / np.pi)
            r += sb
            return r
        r /= q
        np.clip(r, -1.0, 1.0, out=r)
        a = np.arccos(r, out=np.empty_like(r))
        np.subtract(np.pi, a, out=a)
        if self.activation == "step":
            a /= 2 * np.pi
            a *= sw
            a += sb
            return a
        a *= r                                             # (pi - arccos rho) rho
        np.multiply(r, r, out=r)
        np.subtract(1.0, r, out=r)
        np.maximum(r, 0.0, out=r)
        np.sqrt(r, out=r)
        r += a
        r /= 2 * np.pi
        r *= sw * q
        r += sb
        return r

    # -- evaluation ---------------------------------------------------------------------
    def __call__(self, t):
        """Evaluate ``k(t)`` for ``t = x.x'`` in [-1, 1] (vectorised; values are clipped)."""
        t = np.clip(real_array(t, "t"), -1.0, 1.0)
        c, q = t, 1.0
        for qn in self.variances()[1:]:
            c = self._layer(c, q)
            q = qn
        return c

    @property
    def k1(self) -> float:
        """``k(1)``, the kernel's value on the diagonal (its total power on the sphere)."""
        return self.variances()[-1]

    def gram(self, X, Y=None) -> np.ndarray:
        """Kernel matrix ``k(X Y^T)`` for rows on the unit sphere.

        Filled in blocks of rows (:data:`GRAM_BLOCK_BYTES` of inner products at a time), so the
        kernel's temporaries stay small beside the result; with ``Y`` omitted only the upper
        triangle is evaluated and mirrored, so ``K`` is exactly symmetric.
        """
        X = real_array(X, "X")
        sym = Y is None
        Y = X if sym else real_array(Y, "Y")
        if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
            raise ParameterError("X", f"arrays of shapes {X.shape} and {Y.shape}",
                                 "two 2-d arrays with the same number of columns")
        m, n = X.shape[0], Y.shape[0]
        G = np.empty((m, n))
        rows = max(1, GRAM_BLOCK_BYTES // (8 * max(n, 1)))
        for a in range(0, m, rows):
            b = min(a + rows, m)
            if sym:
                self._fill(G[a:b, a:], X[a:b] @ Y[a:].T)
                G[b:, a:b] = G[a:b, b:].T
            else:
                self._fill(G[a:b], X[a:b] @ Y.T)
        return G

    def _fill(self, out, T) -> None:
        """``out[...] = self(T)``, a few rows at a time (:data:`KERNEL_CHUNK_BYTES`): the layer maps pass over
        their work arrays about a dozen times, which costs far less while the arrays stay in cache.  Elementwise,
        so the values are those of one call on the whole block.  2000 x 2000 ReLU depth 2: 158 -> 109 ms (194 ms
        before the work arrays as well)."""
        step = max(1, KERNEL_CHUNK_BYTES // (8 * max(T.shape[1], 1)))
        for i in range(0, T.shape[0], step):
            out[i:i + step] = self(T[i:i + step])

    def describe(self) -> str:
        return (f"{self.activation} NNGP, depth {self.depth}, sigma_w^2={self.sigma_w2:g}, "
                f"sigma_b^2={self.sigma_b2:g}")


# ---------------------------------------------------------------------------------------
# Series representations used by the stable Funk-Hecke path (symrg.spectra.funk_hecke)
# ---------------------------------------------------------------------------------------
def _dual_series_at_zero(kernel: NNGPKernel, g: np.ndarray, q: float, n: int) -> np.ndarray:
    """Taylor series (in t) of one layer map applied to a correlation series ``g``.

    All duals are written through ``arcsin`` so that a series ``g`` with non-negative
    coefficients gives non-negative coefficients with no cancellation:
    ReLU ``J' = 1/4 + arcsin(rho)/(2 pi)`` (so ``J = J(g0) + int J'(g) g'``), step
    ``1/4 + arcsin(rho)/(2 pi)``, erf ``(2/pi) arcsin(a rho)`` with ``a = 2q/(1+2q)``.
    """
    from . import series as S

    sw, sb = kernel.sigma_w2, kernel.sigma_b2
    if kernel.activation == "relu":
        jprime = S.arcsin(g, n) / (2 * np.pi)
        jprime[0] += 0.25
        g0 = float(g[0])
        j0 = float(_relu_dual(np.array(g0)))
        out = S.integral(S.mul(jprime[: n - 1], S.derivative(g)[: n - 1], n - 1), j0, n)
        return sw * q * out + np.eye(1, n, 0)[0] * sb
    if kernel.activation == "step":
        out = S.arcsin(g, n) / (2 * np.pi)
        out[0] += 0.25
        return sw * out + np.eye(1, n, 0)[0] * sb
    a = 2 * q / (1 + 2 * q)
    return sw * (2 / np.pi) * S.arcsin(a * g, n) + np.eye(1, n, 0)[0] * sb


def taylor_coefficients(kernel: NNGPKernel, n: int) -> np.ndarray:
    """First ``n`` Taylor coefficients of ``k(t)`` at ``t = 0`` (all >= 0)."""
    g = np.zeros(n)
    g[1] = 1.0
    qs = kernel.variances()
    for L in range(1, kernel.depth + 1):
        K = _dual_series_at_zero(kernel, g, qs[L - 1], n)
        g = K / qs[L]
    return g * qs[-1]


def _shift_const(a: np.ndarray, c: float) -> np.ndarray:
    out = a.copy()
    out[0] += c
    return out


def _dual_near_one(kernel: NNGPKernel, v: np.ndarray, q: float, n: int, mirror: bool = False):
    """Series in ``v`` of the layer map at ``rho = 1 - v^2`` (or ``-(1 - v^2)`` if mirror).

    Uses ``sqrt(1-rho^2) = v sqrt(2 - v^2)`` and ``arccos(1 - v^2) = 2 arcsin(v/sqrt 2)``.
    """
    from . import series as S

    sw, sb = kernel.sigma_w2, kernel.sigma_b2
    base = np.zeros(n)
    base[1] = 1.0  # the variable v itself
    asin_half = S.arcsin(base / math.sqrt(2), n)  # arcsin(v / sqrt 2)
    one_m_v2 = np.zeros(n)
    one_m_v2[0] = 1.0
    if n > 2:
        one_m_v2[2] = -1.0
    if kernel.activation == "relu":
        sq = S.power(np.array([2.0, 0.0, -1.0]), 0.5, n)  # sqrt(2 - v^2)
        vsq = np.concatenate([[0.0], sq[: n - 1]])
        J = (vsq + S.mul(_shift_const(-2 * asin_half, np.pi), one_m_v2, n)) / (2 * np.pi)
        if mirror:  # J(-rho) = J(rho) - rho/2
            J = J - one_m_v2 / 2
        F = sw * q * J
    elif kernel.activation == "step":
        Sx = _shift_const(-2 * asin_half, np.pi) / (2 * np.pi)
        if mirror:  # S(-rho) = 1/2 - S(rho)
            Sx = -Sx
            Sx[0] += 0.5
        F = sw * Sx
    else:
        a = 2 * q / (1 + 2 * q)
        arg = a * one_m_v2 * (-1.0 if mirror else 1.0)
        F = sw * (2 / np.pi) * S.arcsin(arg, n)
    F = F.copy()
    F[0] += sb
    # compose with v(w)
    return S.compose(F, v, n)


def singular_denominator(kernel: NNGPKernel) -> int:
    """``p`` of the expansion variable ``w = (1 - t)^(1/p)`` at ``t = +1``: 2 for ReLU (and erf,
    which needs none), ``2^depth`` for step (exponents ``2^-depth``)."""
    return 2 ** kernel.depth if kernel.activation == "step" else 2


SING_TERMS_LIMIT = 700
"""Length cap of the singular expansion (its cost grows like ``depth n^3``)."""


def p_needed(kernel: NNGPKernel, singular_order: float) -> int:
    """Terms of the singular expansion needed to subtract orders up to ``singular_order``."""
    return int(singular_denominator(kernel) * (singular_order + 1)) + 4


def singular_expansion(kernel: NNGPKernel, n: int = 64):
    """Local expansions of ``k`` at ``t = +1`` and ``t = -1`` in a fractional variable.

    Returns a list of ``(side, p, e)``: near ``t = side``, with ``1 - side*t = w^p``,
    ``k = sum_m e[m] w^m``.  Terms with ``m/p`` not an integer are the singular ones; the
    rest is analytic.  erf kernels are analytic on the closed interval and return ``[]``.
    Step kernels of depth L need ``p = 2^L`` at ``t = +1`` (exponents ``2^-L``), ReLU ``p = 2``;
    ``n`` must exceed ``2 p``.  The work grows like ``depth n^3`` (series composition).

    Accuracy: the coefficients come out to a few ulps, but at ReLU depth L they grow like
    ``(c L)^m`` (``c ~ 0.14``; the expansion in ``w = sqrt(1 - t)`` converges only for
    ``w < 1/(c L)``), so a truncated expansion is large on most of [-1, 1].  Subtracting it from
    the Taylor series (:func:`symrg.spectra.funk_hecke.funk_hecke_fast`) then cancels digits;
    the fast path measures that loss and subtracts only as many orders as pay off.
    """
    from . import series as S

    if kernel.activation == "erf":
        return []
    n = check_int(n, "n", 2 * singular_denominator(kernel) + 1, None)
    qs = kernel.variances()
    out = []
    for side in (1, -1):
        # at t = +1 every layer sits at its own singular point rho = 1 (step: exponent 2^-L);
        # at t = -1 only the first layer does (rho_1(-1) > -1), deeper layers are analytic
        # there and merely carry the first layer's (1+t)^g singularity along.
        p = singular_denominator(kernel) if side == 1 else 2
        R = np.zeros(n)  # |rho_0| = 1 - w^p; the sign is handled by ``mirror``
        R[0] = 1.0
        R[p] = -1.0
        # order in w of 1 - |rho_{L-1}|, known analytically: ReLU keeps it (1 - J(rho) is linear
        # in 1 - rho), step halves it (arccos(rho) ~ sqrt(2 (1 - rho))).  Coefficients below it
        # are rounding residue and are set to zero; a relative threshold would misjudge them
        # once the high-order coefficients grow (they grow like (c L)^m with the depth L).
        m0 = p
        for L in range(1, kernel.depth + 1):
            if side == -1 and L > 1:
                K = _dual_series_at_zero(kernel, R, qs[L - 1], n)
                R = K / qs[L]
                continue
            V2 = -R.copy()
            V2[:m0] = 0.0  # 1 - |rho| vanishes to order m0 at the end point
            v_rest = S.power(V2[m0:], 0.5, n)
            v = np.zeros(n)
            v[m0 // 2:] = v_rest[: n - m0 // 2]
            K = _dual_near_one(kernel, v, qs[L - 1], n, mirror=(side == -1))
            R = K / qs[L]
            if kernel.activation == "step":
                m0 //= 2
        out.append((side, p, R * qs[-1]))
    return out


def _mp_eval(kernel: NNGPKernel, t):
    """``k(t)`` with mpmath functions at the working precision of the caller."""
    import mpmath

    sw, sb = mpmath.mpf(kernel.sigma_w2), mpmath.mpf(kernel.sigma_b2)
    c, q = mpmath.mpf(t), mpmath.mpf(1)
    for _ in range(kernel.depth):
        if kernel.activation == "relu":
            rho = max(min(c / q, 1), -1)
            th = mpmath.acos(rho)
            qn = sw * q / 2 + sb
            c = sw * q * (mpmath.sin(th) + (mpmath.pi - th) * rho) / (2 * mpmath.pi) + sb
        elif kernel.activation == "step":
            rho = max(min(c / q, 1), -1)
            qn = sw / 2 + sb
            c = sw * (mpmath.pi - mpmath.acos(rho)) / (2 * mpmath.pi) + sb
        else:
            qn = sw * 2 / mpmath.pi * mpmath.asin(2 * q / (1 + 2 * q)) + sb
            c = sw * 2 / mpmath.pi * mpmath.asin(2 * c / (1 + 2 * q)) + sb
        q = qn
    return c


def _mp_eval_theta(kernel: NNGPKernel, theta):
    """``k(cos theta)`` in mpmath, accurate near ``theta = 0`` as well.

    Each layer is carried by its half-angle sine and cosine (``s^2 = (q - c)/2q``,
    ``c_h^2 = (q + c)/2q``) instead of ``rho = c/q``, so ``1 - rho`` below the working precision is
    not lost to rounding ``rho`` to 1 -- which matters for the non-analytic kernels, e.g. step at
    depth L behaves like ``(1 - t)^(2^-L)`` there.  The angle is ``2 atan2(s, c_h)``; the gap
    ``q - c`` of the next layer is computed directly (ReLU: ``q (pi (1 - cos th) - sin th + th cos th)
    / pi``, step: ``q th / pi``, both times ``sigma_w^2 / 2``), never as a difference of ``q`` and ``c``.
    """
    import mpmath

    sw, sb = mpmath.mpf(kernel.sigma_w2), mpmath.mpf(kernel.sigma_b2)
    pi = mpmath.pi
    th = mpmath.mpf(theta)
    sh, ch = mpmath.sin(th / 2), mpmath.cos(th / 2)
    q = mpmath.mpf(1)
    for L in range(kernel.depth):
        if L > 0:
            th = 2 * mpmath.atan2(sh, ch)
        if kernel.activation == "relu":
            sin_t, cos_t = 2 * sh * ch, 1 - 2 * sh * sh
            qn = sw * q / 2 + sb
            c = sw * q * (sin_t + (pi - th) * cos_t) / (2 * pi) + sb
            gap = sw * q * (2 * pi * sh * sh - sin_t + th * cos_t) / (2 * pi)
        elif kernel.activation == "step":
            qn = sw / 2 + sb
            c = sw * (pi - th) / (2 * pi) + sb
            gap = sw * th / (2 * pi)
        else:
            a = 2 * q / (1 + 2 * q)
            qn = sw * 2 / pi * mpmath.asin(a) + sb
            c = sw * 2 / pi * mpmath.asin(a * (ch * ch - sh * sh)) + sb
            gap = qn - c
        q = qn
        if L + 1 < kernel.depth:
            sh = mpmath.sqrt(max(gap, 0) / (2 * q))
            ch = mpmath.sqrt(max(q + c, 0) / (2 * q))
    return c


NNGPKernel.mp = _mp_eval
NNGPKernel.mp_theta = _mp_eval_theta
