"""Moments of the activation and the four-point function of a finite-width network (eqs. K4 and C of
:mod:`symrg.numerics.finite_width`): closed forms, the numerically exact moment ``E[prod phi(u_a)]`` of
up to four Gaussian pre-activations, and the tensors ``C`` and ``kappa_4`` on a set of points."""
from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.special

from ..._validate import check_finite_array, check_int, check_positive
from ...errors import ParameterError

__all__ = ["ACTIVATIONS", "relu_pair_moment", "single_input_moments", "excess_kurtosis", "activation_moment",
           "activation_moment_mc", "kernel_fluctuation_cov", "four_point_function"]

ACTIVATIONS = ("relu", "erf")
_SQRT2PI = math.sqrt(2 * math.pi)

# ------------------------------------------------------------------------------ validation --
def _check_activation(activation) -> str:
    if activation not in ACTIVATIONS:
        raise ParameterError("activation", activation, f"one of {ACTIVATIONS}")
    return activation


def _check_width(width) -> int:
    return check_int(width, "width", 1, None)


def _act(activation: str):
    return (lambda u: np.maximum(u, 0.0)) if activation == "relu" else scipy.special.erf


# ------------------------------------------------------------------------------ closed forms --
def relu_pair_moment(p: int, q1: float, q2: float, c):
    """``E[relu(u)^p relu(v)^(4-p)]`` for ``(u, v)`` Gaussian, variances ``q1, q2``, covariance ``c``.

    Closed forms from the polar representation ``E = (E rho^4 / 2 pi) int_arc cos^p(t) cos^{4-p}(t-theta)``
    (``E rho^4 = 8``, ``cos theta = c / sqrt(q1 q2)``), integrated by SymPy (p = 2 is Cho & Saul's
    arc-cosine kernel of order 2):

    * p = 2: ``q1 q2 [3 sin(th) cos(th) + (pi - th)(1 + 2 cos^2 th)] / (2 pi)``
    * p = 3: ``q1^{3/2} q2^{1/2} [3 (pi - th) cos(th) + 3 sin(th) - sin^3(th)] / (2 pi)``
    * p = 4: ``3 q1^2 / 2`` (p = 0, 1 by symmetry).
    """
    p = check_int(p, "p", 0, 4)
    if p < 2:
        return relu_pair_moment(4 - p, q2, q1, c)
    rho = np.clip(np.asarray(c, dtype=float) / math.sqrt(q1 * q2), -1.0, 1.0)
    th = np.arccos(rho)
    s = np.sqrt(np.maximum(1 - rho * rho, 0.0))
    if p == 4:
        return 1.5 * q1 * q1 + 0 * th
    if p == 3:
        return q1 ** 1.5 * q2 ** 0.5 * (3 * (np.pi - th) * rho + 3 * s - s ** 3) / (2 * np.pi)
    return q1 * q2 * (3 * s * rho + (np.pi - th) * (1 + 2 * rho * rho)) / (2 * np.pi)


def single_input_moments(activation: str, q: float = 1.0) -> tuple[float, float]:
    """``(E[phi(u)^2], E[phi(u)^4])`` for ``u ~ N(0, q)``.

    ReLU: ``q/2`` and ``3 q^2 / 2`` (half-normal moments).  erf: ``(2/pi) arcsin(2q/(1+2q))``
    (Williams 1997) and the one-dimensional integral ``E[erf(sqrt(q) z)^4]`` (no elementary closed
    form; 200-node Gauss-Hermite, exponentially convergent for this entire integrand).
    """
    _check_activation(activation)
    q = check_positive(q, "q")
    if activation == "relu":
        return q / 2, 1.5 * q * q
    x, w = np.polynomial.hermite_e.hermegauss(200)
    m4 = float(np.sum(w * scipy.special.erf(math.sqrt(q) * x) ** 4) / _SQRT2PI)
    return (2 / math.pi) * math.asin(2 * q / (1 + 2 * q)), m4


def excess_kurtosis(activation: str, width: int, sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> float:
    """Single-input excess kurtosis ``kappa_4(x,x,x,x) / K(x,x)^2`` of the output (unit-sphere input).

    ``kappa_4(x,x,x,x) = 3 sigma_w^4 (E phi^4 - (E phi^2)^2) / N`` (eq. K4); ReLU with the defaults
    gives ``15 / N``.
    """
    _check_activation(activation)
    n = _check_width(width)
    m2, m4 = single_input_moments(activation, 1.0)
    k = sigma_w2 * m2 + sigma_b2
    return 3 * sigma_w2 ** 2 * (m4 - m2 * m2) / n / k ** 2


# ------------------------------------------------------------------------ general moments --
def _gh(n: int):
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / _SQRT2PI


def _grid(n: int, dim: int):
    x, w = _gh(n)
    if dim == 0:
        return np.zeros((1, 0)), np.ones(1)
    mesh = np.meshgrid(*([x] * dim), indexing="ij")
    wmesh = np.meshgrid(*([w] * dim), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1), np.prod([m.ravel() for m in wmesh], axis=0)


def _factor(cov: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """``L`` (k x r) with ``L L^T = cov`` and r the numerical rank."""
    e, V = np.linalg.eigh(cov)
    keep = e > tol * max(float(e.max()), 1e-300)
    return V[:, keep] * np.sqrt(e[keep])


def _relu_arc(L: np.ndarray) -> float:
    """Rank <= 2: ``E prod relu(l_a . z) = (E rho^k / 2 pi) int_arc prod |l_a| cos(t - th_a) dt``."""
    k = L.shape[0]
    if L.shape[1] == 1:
        s = np.sign(L[:, 0])
        if not (np.all(s > 0) or np.all(s < 0)):
            return 0.0
        half = 2 ** (k / 2) * math.gamma((k + 1) / 2) / (2 * math.sqrt(math.pi))  # E[z^k 1{z>0}]
        return float(np.prod(np.abs(L[:, 0])) * half)
    norms = np.linalg.norm(L, axis=1)
    th = np.arctan2(L[:, 1], L[:, 0])
    d = np.angle(np.exp(1j * (th - th[0])))            # offsets in (-pi, pi]
    lo = max(-np.pi / 2, float(np.max(d - np.pi / 2)))
    hi = min(np.pi / 2, float(np.min(d + np.pi / 2)))
    if hi <= lo:
        return 0.0
    x, w = np.polynomial.legendre.leggauss(24)          # integrand: trig polynomial, exact to rounding
    t = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    vals = np.prod(np.cos(t[None, :] - d[:, None]), axis=0)
    erho = 2 ** (k / 2) * math.gamma(1 + k / 2)
    return float(erho / (2 * np.pi) * np.prod(norms) * 0.5 * (hi - lo) * np.sum(w * vals))


def _partial_moments(lo, hi, kmax: int):
    """``I_j = int_lo^hi t^j phi(t) dt`` for j = 0..kmax (vectorised, infinite ends allowed)."""
    pdf = lambda t: np.where(np.isfinite(t), np.exp(-0.5 * np.where(np.isfinite(t), t, 0) ** 2) / _SQRT2PI, 0.0)
    tfin = lambda t: np.where(np.isfinite(t), t, 0.0)
    out = [scipy.special.ndtr(hi) - scipy.special.ndtr(lo), pdf(lo) - pdf(hi)]
    for j in range(2, kmax + 1):
        out.append(tfin(lo) ** (j - 1) * pdf(lo) - tfin(hi) ** (j - 1) * pdf(hi) + (j - 1) * out[j - 2])
    return np.stack(out[: kmax + 1], axis=-1)


def _relu_meridian(L: np.ndarray, n_psi: int = 4096) -> float:
    """Rank 3: ``E prod relu(l_a . z) = E[rho^k] (1/4 pi) int_{S^2} prod relu(l_a . omega)``.

    On the meridian of azimuth ``psi`` each factor is ``R_a cos(theta - theta_a)``, so the polar
    integral is a trig polynomial (times ``sin theta``) on one arc: Gauss-Legendre, exact to rounding.
    The azimuth is integrated by the periodic trapezoid rule (``n_psi`` points; kinks give O(n^-2)).
    """
    k = L.shape[0]
    psi = (np.arange(n_psi) + 0.5) * (2 * np.pi / n_psi)
    P = np.cos(psi)[:, None] * L[None, :, 0] + np.sin(psi)[:, None] * L[None, :, 1]   # (n_psi, k)
    R = np.hypot(P, L[None, :, 2])
    th = np.arctan2(P, L[None, :, 2])
    base = np.where(th >= -np.pi / 2, th - np.pi / 2, th + 1.5 * np.pi)
    lo = np.maximum(0.0, base.max(axis=1))
    hi = np.minimum(np.pi, (base + np.pi).min(axis=1))
    x, w = np.polynomial.legendre.leggauss(24)
    valid = hi > lo
    lo, hi = np.where(valid, lo, 0.0), np.where(valid, hi, 0.0)
    t = 0.5 * (hi - lo)[:, None] * x[None, :] + 0.5 * (hi + lo)[:, None]            # (n_psi, 24)
    vals = np.sin(t) * np.prod(R[:, :, None] * np.cos(t[:, None, :] - th[:, :, None]), axis=1)
    inner = 0.5 * (hi - lo) * (vals @ w)
    erho = 2 ** (k / 2) * math.gamma((3 + k) / 2) / math.gamma(1.5)
    return float(erho / (4 * np.pi) * inner.sum() * (2 * np.pi / n_psi))


def _relu_analytic_last(L: np.ndarray, nodes: int) -> float:
    """Rank >= 3: the last Gaussian coordinate integrated in closed form (piecewise polynomial
    times a Gaussian), the others by a Gauss-Hermite product grid."""
    k, r = L.shape
    y, w = _grid(nodes, r - 1)
    c = y @ L[:, : r - 1].T                              # (G, k)
    lv = L[:, r - 1]
    lo = np.full(len(y), -np.inf)
    hi = np.full(len(y), np.inf)
    ok = np.ones(len(y), dtype=bool)
    for a in range(k):
        if lv[a] > 0:
            lo = np.maximum(lo, -c[:, a] / lv[a])
        elif lv[a] < 0:
            hi = np.minimum(hi, -c[:, a] / lv[a])
        else:
            ok &= c[:, a] > 0
    poly = np.zeros((len(y), k + 1))
    poly[:, 0] = 1.0
    for a in range(k):                                    # multiply by (c_a + l_a t)
        new = poly * c[:, a : a + 1]
        new[:, 1:] += poly[:, :-1] * lv[a]
        poly = new
    valid = ok & (hi > lo)
    mom = _partial_moments(np.where(valid, lo, 0.0), np.where(valid, hi, 0.0), k)
    return float(np.sum(w * valid * np.sum(poly * mom, axis=1)))


def activation_moment(activation: str, cov, nodes: int | None = None) -> float:
    """``E[prod_a phi(u_a)]`` for ``u ~ N(0, cov)`` (``cov`` k x k, k <= 4; the numerically exact route).

    The covariance is factored to its rank ``r`` (``u = L z``, ``z ~ N(0, I_r)``).  ReLU: r <= 2 by
    the exact polar (arc) integral; r = 3 by meridian arcs on S^2 (``nodes`` azimuths, default 4096);
    r = 4 with the last coordinate in closed form and a Gauss-Hermite grid (``nodes`` per axis,
    default 64) on the others.  erf: Gauss-Hermite product
    grid (default 40 nodes, ``nodes^r`` points; exponentially convergent).
    """
    _check_activation(activation)
    cov = check_finite_array(cov, "cov", ndim=2)
    if cov.shape[0] != cov.shape[1] or not 1 <= cov.shape[0] <= 4:
        raise ParameterError("cov", f"array of shape {cov.shape}", "a square k x k covariance with 1 <= k <= 4")
    L = _factor(cov)
    if L.shape[1] == 0:
        return 0.0
    if activation == "relu":
        if L.shape[1] <= 2:
            return _relu_arc(L)
        if L.shape[1] == 3:
            return _relu_meridian(L, nodes or 4096)
        return _relu_analytic_last(L, nodes or 64)
    z, w = _grid(nodes or (40 if L.shape[1] <= 3 else 22), L.shape[1])
    return float(np.sum(w * np.prod(scipy.special.erf(z @ L.T), axis=1)))


def activation_moment_mc(activation: str, cov, n_samples: int = 10**6, rng=None) -> tuple[float, float]:
    """Monte Carlo twin of :func:`activation_moment`: ``(mean, standard error)``."""
    _check_activation(activation)
    cov = check_finite_array(cov, "cov", ndim=2)
    rng = np.random.default_rng(rng)
    L = _factor(cov)
    vals = []
    n = check_int(n_samples, "n_samples", 2, None)
    for start in range(0, n, 200_000):
        z = rng.standard_normal((min(200_000, n - start), L.shape[1]))
        vals.append(np.prod(_act(activation)(z @ L.T), axis=1))
    v = np.concatenate(vals)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v)))


# ------------------------------------------------------------------------ tensors on points --
def _second_moments(activation: str, Z: np.ndarray) -> np.ndarray:
    from ...spectra.kernels import NNGPKernel
    return NNGPKernel(activation, 1, 1.0, 0.0).gram(Z)   # M_ab = E[phi(u_a) phi(u_b)]


def kernel_fluctuation_cov(activation: str, Z, sigma_w2: float = 2.0, nodes: int | None = None) -> np.ndarray:
    """``C_{ab,cd} = sigma_w^4 (M4_abcd - M_ab M_cd)`` on the rows of ``Z`` (eq. C; m^4 entries,
    each distinct quadruple computed once by :func:`activation_moment`). Meant for m <= ~8."""
    _check_activation(activation)
    Z = check_finite_array(Z, "Z", ndim=2)
    m = Z.shape[0]
    G = Z @ Z.T
    M = _second_moments(activation, Z)
    M4 = np.empty((m,) * 4)
    cache = {}
    for idx in itertools.product(range(m), repeat=4):
        key = tuple(sorted(idx))
        if key not in cache:
            cache[key] = activation_moment(activation, G[np.ix_(key, key)], nodes)
        M4[idx] = cache[key]
    return sigma_w2 ** 2 * (M4 - np.einsum("ab,cd->abcd", M, M))


def four_point_function(activation: str, Z, width: int, sigma_w2: float = 2.0, nodes=None) -> np.ndarray:
    """Connected four-point function ``kappa_4`` of the outputs on the rows of ``Z`` (eq. K4)."""
    n = _check_width(width)
    C = kernel_fluctuation_cov(activation, Z, sigma_w2, nodes)
    return (C + C.transpose(0, 2, 1, 3) + C.transpose(0, 3, 2, 1)) / n


def _input_factor(Z: np.ndarray) -> np.ndarray:
    """``F`` with ``F F^T = Z Z^T`` and at most ``min(d, m)`` columns: ``u = F z`` per hidden unit."""
    if Z.shape[1] <= Z.shape[0]:
        return Z
    return _factor(Z @ Z.T, 1e-13)


def _unit_features(activation: str, F: np.ndarray, n: int, rng) -> np.ndarray:
    return _act(activation)(rng.standard_normal((n, F.shape[1])) @ F.T)

