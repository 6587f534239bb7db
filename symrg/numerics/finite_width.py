"""Finite-width one-hidden-layer networks: four-point function, quartic coupling, the O(1/width)
posterior mean, and a Monte Carlo ground truth that uses no perturbation theory
(THEORY.md sections 2.4 and 6; issue 5).

Network and conventions (the same as :class:`~symrg.spectra.kernels.NNGPKernel`, depth 1)
-------------------------------------------------------------------------------------------
Inputs on the unit sphere; ``N`` hidden units ``phi(w_i . x)`` with ``w_i ~ N(0, I_d)`` (so the
pre-activations have covariance ``x.x'``) and a Gaussian read-out::

    f(x) = N^{-1/2} sum_i v_i phi(w_i . x) + b,   v_i ~ N(0, sigma_w^2),  b ~ N(0, sigma_b^2).

Given the hidden weights ``W`` the output is a GP with kernel
``K_W(x, x') = (sigma_w^2 / N) sum_i phi(w_i.x) phi(w_i.x') + sigma_b^2`` (eq. W), whose mean over
``W`` is the NNGP kernel ``K = sigma_w^2 M + sigma_b^2``, ``M_ab = E[phi(u_a) phi(u_b)]``.

Four-point function (exact in N, eq. K4)::

    kappa_4(x1, x2, x3, x4) = (sigma_w^4 / N) sum_{3 pairings (ab|cd)} (M4_abcd - M_ab M_cd),
    M4_abcd = E[phi(u_a) phi(u_b) phi(u_c) phi(u_d)],

and ``delta K = K_W - K`` is a mean of ``N`` iid zero-mean matrices
``D = sigma_w^2 (phi phi^T - M)`` with ``Cov(delta K_ab, delta K_cd) = C_{ab,cd} / N``,
``C_{ab,cd} = sigma_w^4 (M4_abcd - M_ab M_cd)`` (eq. C).

Quartic coupling (action convention ``S = 1/2 f K^-1 f + (1/4!) U f^4 + ...``, THEORY.md §2.4):
to first order the prior density is the Edgeworth form ``N(f; 0, K)(1 + kappa_4 . H_4(f)/4!)``,
so ``U_klmn = -kappa4_klmn / (lambda_k lambda_l lambda_m lambda_n)`` in mode space (the amputated
four-point function ``(K^-1)^{x4} kappa_4`` with the sign of the action); ``U < 0`` for a positive
excess kurtosis.

Posterior mean to O(1/N) (eq. P).  With ``A = K_XX + sigma^2 I``, ``alpha = A^-1 y``,
``beta_j = A^-1 K_Xj``, ``p(y|W)`` the GP evidence under ``K_W`` and ``m_W`` its posterior mean,
expanding ``E_W[p m_W] / E_W[p]`` to second order in ``delta K`` gives, exactly at O(1/N)::

    m(x_j) = m_GP(x_j) + (1/N) E_w[ L1(D) m1_j(D) + m2_j(D) ],
    L1(D)   = 1/2 (alpha^T D_XX alpha - tr(A^-1 D_XX))                 (d log p)
    m1_j(D) = D_jX alpha - beta_j^T D_XX alpha                           (d m)
    m2_j(D) = -D_jX A^-1 D_XX alpha + beta_j^T D_XX A^-1 D_XX alpha      (d^2 m / 2)

where ``E_w`` is over ONE hidden unit ``w ~ N(0, I)``.  Equivalently it is a contraction of the
tensor ``C`` of eq. C (:func:`one_over_n_from_cov`), and it equals the first-order shift of the
posterior mean under the Edgeworth action (checked against the Wilsonian engine in
:func:`symrg.verify.checks_finite_width.engine_cross_check`).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.special

from .._validate import check_finite_array, check_int, check_positive, check_ridge
from ..errors import ParameterError, SymrgError

__all__ = [
    "ACTIVATIONS", "DegenerateWeightsWarning", "activation_moment", "activation_moment_mc",
    "relu_pair_moment", "single_input_moments", "excess_kurtosis", "excess_kurtosis_mc", "kernel_fluctuation_cov",
    "four_point_function", "QuarticCoupling", "quartic_coupling", "one_over_n_from_cov",
    "one_over_n_coefficient", "PosteriorComparison", "gp_posterior_mean", "posterior_one_over_n",
    "MonteCarloPosterior", "monte_carlo_posterior", "monte_carlo_cost", "compare_posteriors",
]

ACTIVATIONS = ("relu", "erf")
_SQRT2PI = math.sqrt(2 * math.pi)


class DegenerateWeightsWarning(UserWarning):
    """The importance weights of the Monte Carlo ground truth have a small effective sample size."""


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


_MC_BLOCK = 2 ** 18          # numbers drawn per block (fixed, so the result depends on seed and draws only)


def excess_kurtosis_mc(activation: str, width: int, draws: int = 100_000, seed: int = 0, *, dim: int = 3,
                       sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> tuple[float, float]:
    """Monte Carlo of the single-input excess kurtosis of width-``N`` networks: ``(estimate, standard error)``.

    ``draws`` networks (hidden weights ``w_i ~ N(0, I_dim)``, ``i = 1..N``) are drawn and evaluated
    at one fixed unit input ``x``.  Given the hidden weights the output is Gaussian (module doc) with
    variance ``s2(W) = (sigma_w^2/N) sum_i phi(w_i.x)^2 + sigma_b^2``, so ``E f^2 = E s2`` and
    ``E f^4 = 3 E[s2^2]``: the excess kurtosis is ``3 Var(s2) / (E s2)^2`` (docs/theory.md sections 2
    and 6), estimated without drawing the read-out ``v``.  The standard error is the delta-method
    one, ``std(psi)/sqrt(draws)`` with the influence function
    ``psi = 3 [((s - m)^2 - V)/m^2 - 2 V (s - m)/m^3]``.  No moment of the activation enters:
    this is the ground truth for :func:`excess_kurtosis`.
    """
    _check_activation(activation)
    n = _check_width(width)
    draws = check_int(draws, "draws", 100, None)
    dim = check_int(dim, "dim", 1, None)
    sigma_w2 = check_positive(sigma_w2, "sigma_w2")
    sigma_b2 = check_ridge(sigma_b2, "sigma_b2")
    rng = np.random.default_rng(check_int(seed, "seed", 0, None))
    x = np.arange(1.0, dim + 1.0)
    x /= np.linalg.norm(x)                                   # a fixed input on the unit sphere
    act = _act(activation)
    rows = max(1, _MC_BLOCK // (n * dim))
    s2 = np.empty(draws)
    for start in range(0, draws, rows):
        m = min(rows, draws - start)
        W = rng.standard_normal((m, n, dim))                 # m networks of width n
        s2[start:start + m] = sigma_w2 / n * np.sum(act(W @ x) ** 2, axis=1) + sigma_b2
    mean = float(s2.mean())
    dev = s2 - mean
    var = float(np.mean(dev * dev))
    est = 3.0 * var / mean ** 2
    psi = 3.0 * ((dev * dev - var) / mean ** 2 - 2.0 * var * dev / mean ** 3)
    return est, float(psi.std(ddof=1) / math.sqrt(draws))


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
    from ..spectra.kernels import NNGPKernel
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
    import itertools
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


# ------------------------------------------------------------------------- quartic coupling --
@dataclass(frozen=True)
class QuarticCoupling:
    """Quartic coupling of the width-``N`` network in the Mercer modes of an empirical measure.

    ``eigenvalues`` ``lambda_k`` and ``modes`` ``phi_k(x_i)`` of ``K`` on the ``P`` points
    (``(1/P) K v = lambda v``, ``phi_k(x_i) = sqrt(P) v_{k,i}``); ``kappa4`` the mode tensor
    ``int dmu^4 kappa_4 phi_k phi_l phi_m phi_n``; ``U = -kappa4 / (lambda_k lambda_l lambda_m lambda_n)``
    (action convention, THEORY.md §2.4); ``u_local`` the least-squares local coupling with
    ``U_klmn ~ u int dmu phi_k phi_l phi_m phi_n`` and ``local_residual`` its relative Frobenius
    residual; ``kappa4_sem`` the Monte Carlo error of ``kappa4`` (0 for quadrature).
    """

    activation: str
    width: int
    eigenvalues: np.ndarray
    modes: np.ndarray
    kappa4: np.ndarray
    U: np.ndarray
    u_local: float
    local_residual: float
    excess_kurtosis: float
    kappa4_sem: np.ndarray = field(default=None)
    method: str = "mc"

    def to_dict(self) -> dict:
        return {"activation": self.activation, "width": self.width, "method": self.method,
                "eigenvalues": self.eigenvalues.tolist(), "U": self.U.tolist(),
                "kappa4": self.kappa4.tolist(), "u_local": self.u_local,
                "local_residual": self.local_residual, "excess_kurtosis": self.excess_kurtosis,
                "convention": "S = 1/2 sum f_k^2/lambda_k + (1/4!) sum U_klmn f_k f_l f_m f_n; "
                              "U = -(K^-1)^{x4} kappa_4 in mode space; local: U_klmn = u int dmu phi_k phi_l phi_m phi_n"}


def quartic_coupling(activation: str, X, width: int, n_modes: int = 4, *, sigma_w2: float = 2.0,
                     method: str = "mc", n_samples: int = 200_000, seed: int = 0) -> QuarticCoupling:
    """The quartic coupling ``U`` of the first ``n_modes`` Mercer modes of ``K`` on the points ``X``.

    ``method="mc"``: ``kappa4_klmn = (sigma_w^4/N) sum_pairings E_w[a_k a_l a_m a_n] - ...`` with the
    single-unit mode projections ``a_k(w) = (1/P) sum_i phi(w.x_i) phi_k(x_i)`` sampled over ``w``;
    ``method="quadrature"``: the exact four-point tensor on the points (P <= ~8) projected on modes.
    """
    _check_activation(activation)
    N = _check_width(width)
    X = check_finite_array(X, "X", ndim=2)
    P = X.shape[0]
    n_modes = check_int(n_modes, "n_modes", 1, P)
    s = check_positive(sigma_w2, "sigma_w2")
    M = _second_moments(activation, X)
    ev, V = np.linalg.eigh(s * M / P)
    order = np.argsort(ev)[::-1][:n_modes]
    lam, phi = ev[order], math.sqrt(P) * V[:, order]      # phi_k(x_i), (P, n_modes)
    proj = phi / P                                         # a_k = phi(w.x) @ proj
    Mk = proj.T @ M @ proj                                 # E[a_k a_l] = lambda_k delta_kl / sigma_w^2
    sem = None
    if method == "quadrature":
        C = kernel_fluctuation_cov(activation, X, s)
        C4 = np.einsum("abcd,ak,bl,cm,dn->klmn", C, proj, proj, proj, proj, optimize=True)
    elif method == "mc":
        rng = np.random.default_rng(seed)
        F = _input_factor(X)
        acc = np.zeros((n_modes,) * 4)
        acc2 = np.zeros((n_modes,) * 4)
        left = check_int(n_samples, "n_samples", 100, None)
        while left:
            b = min(left, 50_000)
            a = _unit_features(activation, F, b, rng) @ proj
            t = np.einsum("sk,sl,sm,sn->sklmn", a, a, a, a, optimize=True)
            acc += t.sum(0)
            acc2 += (t * t).sum(0)
            left -= b
        m4 = acc / n_samples
        sem = s ** 2 * 3 * np.sqrt(np.maximum(acc2 / n_samples - m4 ** 2, 0) / n_samples) / N
        C4 = s ** 2 * (m4 - np.einsum("kl,mn->klmn", Mk, Mk))
    else:
        raise ParameterError("method", method, '"mc" or "quadrature"')
    k4 = (C4 + C4.transpose(0, 2, 1, 3) + C4.transpose(0, 3, 2, 1)) / N
    U = -k4 / np.einsum("k,l,m,n->klmn", lam, lam, lam, lam)
    T = np.einsum("ik,il,im,in->klmn", phi, phi, phi, phi) / P
    u = float(np.sum(U * T) / np.sum(T * T))
    res = float(np.linalg.norm(U - u * T) / max(np.linalg.norm(U), 1e-300))
    return QuarticCoupling(activation, N, lam, phi, k4, U, u, res, excess_kurtosis(activation, N, s),
                           sem, method)


# ------------------------------------------------------------------- the O(1/N) posterior --
@dataclass
class _GPParts:
    A_inv: np.ndarray
    alpha: np.ndarray
    B: np.ndarray          # A^-1 K_XT
    K0: np.ndarray         # sigma_w^2 M on all points (train first)
    m_gp: np.ndarray
    n: int


def _gp_parts(activation, X, y, X_test, ridge, sigma_w2, sigma_b2) -> _GPParts:
    Z = np.vstack([X, X_test])
    n = X.shape[0]
    K0 = sigma_w2 * _second_moments(activation, Z)
    K = K0 + sigma_b2
    A = K[:n, :n] + ridge * np.eye(n)
    try:
        A_inv = np.linalg.inv(A)
    except np.linalg.LinAlgError as err:  # pragma: no cover - A is PD for ridge > 0
        raise SymrgError(f"K(X,X) + sigma^2 I is singular ({err}); increase the ridge") from err
    alpha = A_inv @ y
    B = A_inv @ K[:n, n:]
    return _GPParts(A_inv, alpha, B, K0, K[n:, :n] @ alpha, n)


def _validate_regression(activation, X, y, X_test, ridge):
    _check_activation(activation)
    X = check_finite_array(X, "X", ndim=2)
    X_test = check_finite_array(X_test, "X_test", ndim=2)
    y = check_finite_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ParameterError("y", f"array of length {y.shape[0]}", f"one target per training row ({X.shape[0]})")
    if X_test.shape[1] != X.shape[1]:
        raise ParameterError("X_test", f"array of shape {X_test.shape}", f"rows of dimension {X.shape[1]}")
    return X, y, X_test, check_ridge(ridge, "ridge", allow_zero=False)


def gp_posterior_mean(activation, X, y, X_test, ridge, sigma_w2=2.0, sigma_b2=0.0) -> np.ndarray:
    """The infinite-width (NNGP) posterior mean ``K_TX (K_XX + sigma^2 I)^-1 y``."""
    X, y, X_test, ridge = _validate_regression(activation, X, y, X_test, ridge)
    return _gp_parts(activation, X, y, X_test, ridge, sigma_w2, sigma_b2).m_gp


def _bilinear_samples(parts: _GPParts, Phi: np.ndarray, s: float) -> np.ndarray:
    """``L1(D) m1_j(D) + m2_j(D)`` (eq. P) for ``D = s phi phi^T - K0``, one row per unit sample."""
    n = parts.n
    Ai, al, B, K0 = parts.A_inv, parts.alpha, parts.B, parts.K0
    px, pt = Phi[:, :n], Phi[:, n:]
    K0xx, K0tx = K0[:n, :n], K0[n:, :n]
    a = px @ al                                            # phi_X . alpha
    L1 = 0.5 * (s * a * a - al @ K0xx @ al - s * np.einsum("si,ij,sj->s", px, Ai, px) + np.sum(Ai * K0xx))
    pb = px @ B                                            # phi_X . beta_j
    K0a = K0xx @ al
    m1 = s * a[:, None] * (pt - pb) - (K0tx @ al)[None, :] + (B.T @ K0a)[None, :]
    v = s * a[:, None] * px - K0a[None, :]                 # D_XX alpha
    Av = v @ Ai                                            # A^-1 D_XX alpha
    q = np.sum(px * Av, axis=1)                            # phi_X . A^-1 D_XX alpha
    m2 = (-(s * pt * q[:, None] - Av @ K0tx.T)             # -D_jX A^-1 D_XX alpha
          + s * pb * q[:, None] - Av @ (K0xx @ B))         # beta_j^T D_XX A^-1 D_XX alpha
    return L1[:, None] * m1 + m2


def one_over_n_coefficient(activation, X, y, X_test, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                           n_samples: int = 400_000, seed: int = 0, batch: int = 50_000):
    """``c(x_j)`` with ``m(x_j) = m_GP(x_j) + c(x_j)/N + O(1/N^2)`` (eq. P), by sampling single units.

    ReLU: directions are sampled and the radial (chi) integral is done in closed form, which removes
    the heavy radial tail of the degree-4 integrand.  Returns ``(c, sem_c)``.  Cost ``O(n_samples * m * (d + n))``, independent of ``N``.
    """
    X, y, X_test, ridge = _validate_regression(activation, X, y, X_test, ridge)
    parts = _gp_parts(activation, X, y, X_test, ridge, sigma_w2, sigma_b2)
    F = _input_factor(np.vstack([X, X_test]))
    rng = np.random.default_rng(seed)
    n = check_int(n_samples, "n_samples", 2, None)
    t = X_test.shape[0]
    s1, s2 = np.zeros(t), np.zeros(t)
    r = F.shape[1]
    for start in range(0, n, batch):
        b = min(batch, n - start)
        if activation == "relu":
            # radial part in closed form: w = rho omega, phi = rho phi(omega); the integrand is a quadratic
            # polynomial in x = rho^2 ~ chi^2_r (E x = r, E x^2 = r (r + 2)), read off at x = 0, 1, 2
            z = rng.standard_normal((b, r))
            Phi = np.maximum(z @ F.T, 0.0) / np.linalg.norm(z, axis=1, keepdims=True)
            q0 = _bilinear_samples(parts, 0 * Phi[:1], sigma_w2)
            q1 = _bilinear_samples(parts, Phi, sigma_w2)
            q2 = _bilinear_samples(parts, math.sqrt(2) * Phi, sigma_w2)
            a2 = 0.5 * (q2 - 2 * q1 + q0)
            vals = a2 * r * (r + 2) + (q1 - q0 - a2) * r + q0
        else:
            vals = _bilinear_samples(parts, _unit_features(activation, F, b, rng), sigma_w2)
        s1 += vals.sum(0)
        s2 += (vals * vals).sum(0)
    c = s1 / n
    return c, np.sqrt(np.maximum(s2 / n - c * c, 0) / n)


def one_over_n_from_cov(C: np.ndarray, *, K, y, n_train: int, ridge: float) -> np.ndarray:
    """The coefficient ``c_j`` of eq. P as an explicit contraction of the tensor ``C_{ab,cd}`` of eq. C
    (indices over training points first, then test points).  Give ``K`` (full kernel), ``y``,
    ``n_train`` and ``ridge``; the quadrature twin of :func:`one_over_n_coefficient`."""
    n = int(n_train)
    K = np.asarray(K, float)
    A_inv = np.linalg.inv(K[:n, :n] + ridge * np.eye(n))
    al = A_inv @ np.asarray(y, float)
    B = A_inv @ K[:n, n:]
    X_, T_ = slice(0, n), slice(n, None)
    Cxx_xx = C[X_, X_, X_, X_]
    W = 0.5 * (np.outer(al, al) - A_inv)                   # d log p / dK_XX
    # E[L1 m1_j] = sum W_ab (C_{ab,jd} al_d - beta_cj C_{ab,cd} al_d)
    t1 = np.einsum("ab,abjd,d->j", W, C[X_, X_, T_, X_], al) - np.einsum("ab,abcd,cj,d->j", W, Cxx_xx, B, al)
    # E[m2_j] = -C_{jc,ed} Ai_ce al_d + beta_aj Ai_bc C_{ab,cd} al_d
    t2 = (-np.einsum("jced,ce,d->j", C[T_, X_, X_, X_], A_inv, al)
          + np.einsum("aj,bc,abcd,d->j", B, A_inv, Cxx_xx, al))
    return t1 + t2


@dataclass(frozen=True)
class PosteriorComparison:
    """Posterior means on test inputs for one width: GP limit, O(1/N) prediction, Monte Carlo."""

    width: int
    gp: np.ndarray
    one_over_n: np.ndarray
    one_over_n_sem: np.ndarray
    monte_carlo: np.ndarray
    monte_carlo_sem: np.ndarray
    ess: float
    n_draws: int
    degenerate: bool

    @property
    def error_gp(self) -> float:
        return float(np.sqrt(np.mean((self.gp - self.monte_carlo) ** 2)))

    @property
    def error_one_over_n(self) -> float:
        return float(np.sqrt(np.mean((self.one_over_n - self.monte_carlo) ** 2)))

    @property
    def rms_sem(self) -> float:
        return float(np.sqrt(np.mean(self.monte_carlo_sem ** 2)))

    @property
    def resolved(self) -> bool:
        """The MC error resolves the GP-vs-1/N difference (RMS difference > 3 RMS sem)."""
        return float(np.sqrt(np.mean((self.gp - self.one_over_n) ** 2))) > 3 * self.rms_sem

    def to_dict(self) -> dict:
        return {"width": self.width, "gp": self.gp.tolist(), "one_over_n": self.one_over_n.tolist(),
                "one_over_n_sem": self.one_over_n_sem.tolist(),
                "monte_carlo": self.monte_carlo.tolist(), "monte_carlo_sem": self.monte_carlo_sem.tolist(),
                "error_gp": self.error_gp, "error_one_over_n": self.error_one_over_n,
                "rms_sem": self.rms_sem, "resolved": self.resolved,
                "one_over_n_beats_gp": self.error_one_over_n < self.error_gp,
                "ess": self.ess, "n_draws": self.n_draws, "degenerate_weights": self.degenerate}


def posterior_one_over_n(activation, X, y, X_test, width, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                         n_samples=400_000, seed=0):
    """``(m_GP, m_GP + c/N, sem of c/N)`` on the test inputs (eq. P)."""
    N = _check_width(width)
    c, sem = one_over_n_coefficient(activation, X, y, X_test, ridge, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                                    n_samples=n_samples, seed=seed)
    m = gp_posterior_mean(activation, X, y, X_test, ridge, sigma_w2, sigma_b2)
    return m, m + c / N, sem / N


# -------------------------------------------------------------------------- Monte Carlo truth --
@dataclass(frozen=True)
class MonteCarloPosterior:
    """Self-normalised importance-sampling estimate of ``E_W[p(y|W) m_W] / E_W[p(y|W)]``.

    ``sem`` by the delta method, ``sem_batches`` from 20 independent groups of draws, ``ess`` the
    effective sample size ``(sum w)^2 / sum w^2`` of the evidence weights.
    """

    mean: np.ndarray
    sem: np.ndarray
    sem_batches: np.ndarray
    ess: float
    n_draws: int
    degenerate: bool


def monte_carlo_posterior(activation, X, y, X_test, width, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                          n_draws: int = 100_000, seed: int = 0, min_ess: float = 200.0,
                          progress=None) -> MonteCarloPosterior:
    """Ground truth without perturbation theory: finite-width Bayesian regression by Monte Carlo over
    the hidden weights (eq. W), vectorised over draws (stacked Cholesky / solves).

    Warns with :class:`DegenerateWeightsWarning` when the effective sample size is below ``min_ess``.
    """
    X, y, X_test, ridge = _validate_regression(activation, X, y, X_test, ridge)
    N = _check_width(width)
    S = check_int(n_draws, "n_draws", 40, None)
    n, t = X.shape[0], X_test.shape[0]
    F = _input_factor(np.vstack([X, X_test]))
    m, r = F.shape
    act = _act(activation)
    rng = np.random.default_rng(seed)
    batch = _mc_batch(S, N, m, r)
    groups = 20
    per_group = -(-S // groups)
    # accumulators per group: (max log w, sum w, sum w^2, sum w m, sum w^2 m, sum w^2 m^2)
    acc = []
    done = 0
    while done < S:
        b = min(batch, S - done, per_group - done % per_group)
        Phi = act(rng.standard_normal((b, N, r)) @ F.T)             # (b, N, m)
        KW = (sigma_w2 / N) * np.einsum("bia,bic->bac", Phi, Phi) + sigma_b2
        A = KW[:, :n, :n] + ridge * np.eye(n)
        try:
            Lc = np.linalg.cholesky(A)
        except np.linalg.LinAlgError as err:  # pragma: no cover
            raise SymrgError(f"Cholesky of K_W + sigma^2 I failed ({err}); increase the ridge") from err
        al = np.linalg.solve(A, np.broadcast_to(y, (b, n))[..., None])[..., 0]
        logp = -0.5 * np.einsum("bi,i->b", al, y) - np.sum(np.log(np.diagonal(Lc, axis1=1, axis2=2)), axis=1)
        mW = np.einsum("bji,bi->bj", KW[:, n:, :n], al)
        mx = float(logp.max())
        w = np.exp(logp - mx)
        w2 = w * w
        acc.append((done // per_group, mx, w.sum(), w2.sum(), w @ mW, w2 @ mW, w2 @ (mW * mW)))
        done += b
        if progress is not None:
            progress(done, S)
    def combine(rows):
        ref = max(row[1] for row in rows)                  # log-sum-exp: rescale to the largest weight
        tot = [0.0, 0.0, np.zeros(t), np.zeros(t), np.zeros(t)]
        for row in rows:
            f = math.exp(row[1] - ref)
            tot[0] += f * row[2]
            tot[1] += f * f * row[3]
            tot[2] = tot[2] + f * row[4]
            tot[3] = tot[3] + f * f * row[5]
            tot[4] = tot[4] + f * f * row[6]
        return tot

    W1, W2, Wm, W2m, W2m2 = combine(acc)
    mean = Wm / W1
    var = (W2m2 - 2 * mean * W2m + mean * mean * W2) / W1 ** 2     # delta method
    ess = W1 * W1 / W2
    gmeans = []
    for g in range(groups):
        rows = [a for a in acc if a[0] == g]
        if rows:
            G1, _, Gm, _, _ = combine(rows)
            gmeans.append(Gm / G1)
    gmeans = np.array(gmeans)
    sem_b = gmeans.std(axis=0, ddof=1) / math.sqrt(len(gmeans)) if len(gmeans) > 1 else np.full(t, np.nan)
    degenerate = bool(ess < min_ess)
    if degenerate:
        warnings.warn(f"importance weights degenerated: effective sample size {ess:.1f} of {S} draws "
                      f"(< {min_ess:g}); the Monte Carlo posterior is unreliable -- increase n_draws or the "
                      f"ridge", DegenerateWeightsWarning, stacklevel=2)
    return MonteCarloPosterior(mean, np.sqrt(np.maximum(var, 0)), sem_b, float(ess), S, degenerate)


def _mc_batch(n_draws: int, width: int, m: int, r: int) -> int:
    """Draws per vectorised batch of :func:`monte_carlo_posterior` (about 3e6 hidden activations)."""
    return int(max(16, min(n_draws, 3_000_000 // (width * max(m, r)))))


def monte_carlo_cost(n_inputs: int, rank: int, width: int, n_draws: int) -> dict:
    """Peak memory and arithmetic of :func:`monte_carlo_posterior`, estimated before it runs.

    ``n_inputs`` = training + test points ``m``, ``rank`` = columns ``r`` of the input factor
    (``min(d, m)``).  Per batch of ``b`` draws it holds the Gaussian weights ``(b, N, r)``, the
    activations ``(b, N, m)`` and the kernels ``(b, m, m)`` (twice, for the Cholesky factor);
    per draw it spends ``N m r + N m^2 + m^3`` multiply-adds.  Returns ``bytes`` and ``steps``.
    """
    m, r, N, S = int(n_inputs), int(rank), int(width), int(n_draws)
    b = _mc_batch(S, N, m, r)
    return {"bytes": 8 * b * (N * (r + m) + 2 * m * m), "steps": S * (N * m * r + N * m * m + m ** 3),
            "batch": b}


def compare_posteriors(activation, X, y, X_test, width, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                       n_draws=100_000, n_unit_samples=400_000, seed=0, progress=None,
                       coefficient=None) -> PosteriorComparison:
    """GP limit, O(1/N) prediction and Monte Carlo ground truth at one width.

    ``coefficient``: a precomputed ``(c, sem_c)`` from :func:`one_over_n_coefficient` (it does not
    depend on the width, so a sweep computes it once)."""
    N = _check_width(width)
    if coefficient is None:
        coefficient = one_over_n_coefficient(activation, X, y, X_test, ridge, sigma_w2=sigma_w2,
                                             sigma_b2=sigma_b2, n_samples=n_unit_samples, seed=seed + 1)
    c, csem = coefficient
    gp = gp_posterior_mean(activation, X, y, X_test, ridge, sigma_w2, sigma_b2)
    one, one_sem = gp + c / N, csem / N
    mc = monte_carlo_posterior(activation, X, y, X_test, N, ridge, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                               n_draws=n_draws, seed=seed + 2, progress=progress)
    return PosteriorComparison(N, gp, one, one_sem, mc.mean, mc.sem, mc.ess, mc.n_draws, mc.degenerate)


# ------------------------------------------------------------------------------- problems --
def _sphere_problem(dim: int, n_train: int, n_test: int, seed: int):
    """Points on S^{d-1}; target ``y = sqrt(d) x_1 + d x_1 x_2`` (one degree-1 and one degree-2 harmonic)."""
    from ..data import sample_sphere
    rng = np.random.default_rng(seed)
    Z = sample_sphere(n_train + n_test, dim, rng)
    yfun = lambda x: math.sqrt(dim) * x[:, 0] + (dim * x[:, 0] * x[:, 1] if dim > 1 else 0.0)
    return Z[:n_train], yfun(Z[:n_train]), Z[n_train:]
