"""The O(1/N) posterior mean of a deep finite-width network (docs/theory.md section 6x, "Deep posterior").

Network: the depth-``L`` network of :mod:`symrg.theory.deep_finite_width` (``L`` hidden layers of width ``N``,
``G^(1) = x.x'``).  Given the last hidden layer the output is a GP with the random kernel ``K_W = G^(L+1)``
(the stochastic metric of the output), so the exact posterior mean is
``m = E[p(y|K_W) m(K_W)] / E[p(y|K_W)]`` (eq. W of :mod:`symrg.numerics.finite_width` with the deep ``K_W``).

What is put in (docs/theory.md section 6x): to O(1/N), ``E K_W = K + K1/N``, ``N Cov(K_W[ab], K_W[cd]) = V_(ab)(cd)``,
higher cumulants ``O(1/N^2)`` (the induction hypothesis of :mod:`symrg.theory.deep_finite_width`).  Expanding the
ratio to second order in ``delta = K_W - K`` then gives (the derivation of eq. P, with a mean shift added)::

    m = m_GP + (1/N) [ dm/dK . K1 + c_V ] + O(1/N^2),
    dm_j/dK . K1 = K1_jX alpha - beta_j^T K1_XX alpha,
    c_V = the contraction of V of eq. P (one_over_n_from_cov(V, ...)).

The multi-input recursion (derived by SymPy at the pair level and lowered to
:mod:`symrg._generated.deep_finite_width_pair`): the layer map ``F`` acts entry by entry,
``F_ab = F(G_aa, G_bb, G_ab)``, so its Jacobian ``J_l`` is sparse and::

    K^(l+1) = F(K^(l)),   K1^(l+1)_ab = (J_l K1^(l))_ab + (1/2) H_ab : V^(l)|_pair(ab),
    V^(l+1) = J_l V^(l) J_l^T + U_l,   U_l = sigma_w^4 Cov_{z ~ N(0, K^(l))}(phi_a phi_b, phi_c phi_d).

``K1`` needs only the pair-level entries of ``V`` (two distinct inputs), which close under the recursion and have
closed forms (ReLU, step: the derived moments ``E phi^4, E phi_a^2 phi_b^2, E phi_a^3 phi_b``; erf: those moments
by two-dimensional Gauss-Hermite quadrature).  ``c_V`` needs four distinct inputs, where the Gaussian
four-point expectations have no closed form: unrolled, ``V^(L+1) = sum_l P_l U_l P_l^T`` with
``P_l = J_L ... J_{l+1}``, so ``c_V = sum_l E_unit[Q(P_l D_l)]``, ``D_l = sigma_w^2 phi phi^T - (K^(l+1) - sigma_b^2)``
one unit's centred contribution at layer ``l`` and ``Q`` the bilinear form of eq. P -- a Monte Carlo over single
units with its standard error, as :func:`symrg.numerics.finite_width.one_over_n_coefficient` does at depth 1
(for ReLU the radial chi integral is done in closed form).  At ``L = 1`` this is that function exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.special

from ..._validate import check_finite_array, check_int, check_positive, check_ridge
from ...errors import ParameterError, SymrgError
from .posterior import validate_regression_arrays
from .deep import activation_m4, check_deep_activation, check_depth, deep_kurtosis_coefficient

__all__ = ["MAX_POSTERIOR_DEPTH", "DeepMetrics", "DeepPosteriorCoefficient", "deep_metric_recursion",
           "deep_vertex_tensor", "deep_one_over_n_coefficient", "deep_gp_posterior_mean", "dm_dk_contraction",
           "layer_map"]

MAX_POSTERIOR_DEPTH = 10       # the unit Monte Carlo propagates through L Jacobians; the O(1/N) term grows ~ L
_RHO_MAX = 1.0 - 1e-7          # correlations closer to +-1 make the pair Jacobians singular (coincident inputs)


def _gen(backend: str = "numpy"):
    if backend == "numpy":
        from ..._generated import deep_finite_width as g1
        from ..._generated import deep_finite_width_pair as g2
    else:
        from ..._generated import deep_finite_width_mp as g1
        from ..._generated import deep_finite_width_pair_mp as g2
    return g1, g2


def _erf_pair_moments(qa, qb, c, nodes: int = 64):
    """``(E erf_a^2 erf_b^2, E erf_a^3 erf_b)`` under ``N(0, [[q_a, c], [c, q_b]])`` by a tensor Gauss-Hermite
    rule (``nodes^2`` points; the integrand is entire, so the rule converges exponentially)."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / math.sqrt(2 * math.pi)
    qa, qb, c = (np.asarray(v, float)[..., None, None] for v in (qa, qb, c))
    la = np.sqrt(qa)
    r = c / la
    s = np.sqrt(np.maximum(qb - r * r, 0.0))
    u = la * x[:, None]
    v = r * x[:, None] + s * x[None, :]
    ea, eb = scipy.special.erf(u), scipy.special.erf(v)
    W = w[:, None] * w[None, :]
    return np.sum(W * ea ** 2 * eb ** 2, axis=(-1, -2)), np.sum(W * ea ** 3 * eb, axis=(-1, -2))


def _m4(activation, q):
    if activation == "erf":
        return np.array([activation_m4("erf", float(v)) for v in np.ravel(q)]).reshape(np.shape(q))
    g1, _ = _gen()
    return np.broadcast_to(np.asarray(getattr(g1, f"{activation}_m4")(q), float), np.shape(q))


def _pair_moments(activation, qa, qb, c):
    """``(m4_a, m4_b, m22, m31, m13)`` for the pairs (vectorised)."""
    m4a, m4b = _m4(activation, qa), _m4(activation, qb)
    if activation == "erf":
        m22, m31 = _erf_pair_moments(qa, qb, c)
        _, m13 = _erf_pair_moments(qb, qa, c)
    else:
        _, g = _gen()
        shape = np.shape(c)
        m22 = np.broadcast_to(getattr(g, f"{activation}_m22")(qa, qb, c), shape)
        m31 = np.broadcast_to(getattr(g, f"{activation}_m31")(qa, qb, c), shape)
        m13 = np.broadcast_to(getattr(g, f"{activation}_m31")(qb, qa, c), shape)
    return m4a, m4b, m22, m31, m13


@dataclass(frozen=True)
class DeepMetrics:
    """The multi-input recursion on ``m`` inputs (docs/theory.md section 6x), lists indexed by layer
    ``l = 1 .. L+1`` (index 0 is ``G^(1) = x.x'``, the last the output metric).

    ``K``, ``K1``: ``(m, m)``; pair-level vertex ``Vd`` (``N Var G_aa``, shape ``(m,)``), ``Vaabb``
    (``N Cov(G_aa, G_bb)``), ``Waab`` (``N Cov(G_aa, G_ab)``, not symmetric), ``Vabab`` (``N Var G_ab``);
    ``jac[l]`` = ``(Ja, Jb, Jc)`` of the map ``G^(l+1) = F(G^(l))`` at ``K^(l)``: ``(J delta)_ab = Ja_ab delta_aa +
    Jb_ab delta_bb + Jc_ab delta_ab`` (on the diagonal ``Ja = dF/dq``, ``Jb = Jc = 0``)."""

    activation: str
    depth: int
    sigma_w2: float
    sigma_b2: float
    K: list
    K1: list
    Vd: list
    Vaabb: list
    Waab: list
    Vabab: list
    jac: list

    def apply_jacobian(self, layer: int, D: np.ndarray) -> np.ndarray:
        """``J_layer`` applied to symmetric matrices ``D`` (``(..., m, m)``); ``layer`` is 0-based (``K[layer]``)."""
        Ja, Jb, Jc = self.jac[layer]
        d = np.diagonal(D, axis1=-2, axis2=-1)
        return Ja * d[..., :, None] + Jb * d[..., None, :] + Jc * D

    def propagate(self, layer: int, D: np.ndarray) -> np.ndarray:
        """Push a fluctuation of the metric ``G^(layer+1)`` (0-based index ``layer``) to the output:
        ``P = J_L ... J_{layer+1}``."""
        for k in range(layer, self.depth):
            D = self.apply_jacobian(k, D)
        return D


def deep_metric_recursion(activation: str, Z, depth: int, sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> DeepMetrics:
    """Run the derived pair recursion (``symrg._generated.deep_finite_width_pair``; the diagonal by the single-input
    module) on all pairs of the inputs ``Z`` (rows), from ``G^(1) = Z Z^T`` (docs/theory.md section 6x)."""
    act = check_deep_activation(activation)
    L = check_depth(depth)
    sw = check_positive(sigma_w2, "sigma_w2")
    sb = check_ridge(sigma_b2, "sigma_b2")
    Z = check_finite_array(Z, "Z", ndim=2)
    g1, g2 = _gen()
    m = Z.shape[0]
    npairs = m * (m - 1)

    def fn(name):                    # a generated pair function, its value broadcast over the pairs
        f = getattr(g2, f"{act}_pair_{name}")
        return lambda *a: np.broadcast_to(np.asarray(f(*a), float), (npairs,))

    def diag(name, *a):              # a generated single-input function over the m inputs
        return np.broadcast_to(np.asarray(getattr(g1, f"{act}_{name}")(*a), float), (m,))

    K = Z @ Z.T
    q0 = np.diag(K).copy()
    if np.any(q0 <= 0):
        raise ParameterError("Z", "inputs with a zero row", "non-zero inputs")
    rho = K / np.sqrt(np.outer(q0, q0))
    off = ~np.eye(m, dtype=bool)
    if m > 1 and np.max(np.abs(rho[off])) > _RHO_MAX:
        raise ParameterError("Z", "coincident or antipodal inputs", f"inputs with |correlation| < {_RHO_MAX}",
                             "the pair Jacobians are singular at |rho| = 1; remove duplicate points")
    i, j = np.nonzero(off)
    zeros = np.zeros((m, m))
    Ks, K1s, Vds, Vaabbs, Waabs, Vababs, jacs = [K], [zeros], [np.zeros(m)], [zeros], [zeros], [zeros], []
    for _ in range(L):
        K, K1, Vd, Vaabb, Waab, Vabab = Ks[-1], K1s[-1], Vds[-1], Vaabbs[-1], Waabs[-1], Vababs[-1]
        q = np.diag(K)
        qa, qb, c = q[i], q[j], K[i, j]
        if m > 1 and np.max(np.abs(c) / np.sqrt(qa * qb)) > _RHO_MAX:
            raise ParameterError("depth", L, "a depth at which distinct inputs keep |correlation| < 1 - 1e-7",
                                 "the layer map has pushed two inputs' correlation to +-1")
        pq = (qa, qb, c, sb, sw)
        # Jacobian at K^(l)
        Ja, Jb, Jc = np.zeros((m, m)), np.zeros((m, m)), np.zeros((m, m))
        Ja[i, j], Jb[i, j], Jc[i, j] = fn("jac_qa")(*pq), fn("jac_qb")(*pq), fn("jac_c")(*pq)
        Ja[np.diag_indices(m)] = diag("jacobian", q, sb, sw)
        jacs.append((Ja, Jb, Jc))
        # the six pair-level vertex entries of the pair (a, b) = (i, j)
        vs = (Vd[i], Vd[j], Vabab[i, j], Vaabb[i, j], Waab[i, j], Waab[j, i])
        mom = _pair_moments(act, qa, qb, c)
        Kn = np.empty((m, m))
        Kn[i, j] = fn("kernel")(*pq[:3], sb, sw)
        Kn[np.diag_indices(m)] = diag("kernel", q, sb, sw)
        K1n = np.empty((m, m))
        K1n[i, j] = fn("k1")(qa, qb, c, K1[i, i], K1[j, j], K1[i, j], *vs, sb, sw)
        k1d = diag("k1", q, np.diag(K1), Vd, sb, sw)
        K1n[np.diag_indices(m)] = k1d
        m4d = _m4(act, q)
        Vdn = diag("vertex", q, Vd, m4d, sb, sw)
        Vaabbn, Waabn, Vababn = (np.empty((m, m)) for _ in range(3))
        Vaabbn[i, j] = fn("v_aa_bb")(qa, qb, c, *vs, *mom, sb, sw)
        Waabn[i, j] = fn("v_aa_ab")(qa, qb, c, *vs, *mom, sb, sw)
        Vababn[i, j] = fn("v_ab_ab")(qa, qb, c, *vs, *mom, sb, sw)
        for A in (Vaabbn, Waabn, Vababn):
            A[np.diag_indices(m)] = Vdn
        Ks.append(Kn)
        K1s.append(K1n)
        Vds.append(Vdn)
        Vaabbs.append(Vaabbn)
        Waabs.append(Waabn)
        Vababs.append(Vababn)
    out = DeepMetrics(act, L, sw, sb, Ks, K1s, Vds, Vaabbs, Waabs, Vababs, jacs)
    for arr in (Ks[-1], K1s[-1], Vababs[-1], Waabs[-1]):
        if not np.all(np.isfinite(arr)):
            raise SymrgError(f"the deep recursion left the finite range ({act}, depth {L}); inputs too close?")
    return out


def layer_map(activation: str, G, sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> np.ndarray:
    """The infinite-width layer map ``F(G) = sigma_w^2 E[phi phi^T] + sigma_b^2`` (``z ~ N(0, G)``) on stacks of
    metrics ``(..., m, m)``, by the derived dual kernels (``_generated``); ``E[G^(l+1) | G^(l)] = F(G^(l))`` exactly.
    Inputs with ``G_aa = 0`` have ``phi = 0`` (ReLU, erf, step); correlations are clipped to ``[-1, 1]``."""
    g1, g2 = _gen()
    G = np.asarray(G, float)
    m = G.shape[-1]
    q = np.diagonal(G, axis1=-2, axis2=-1)
    live = q > 0
    qs = np.where(live, q, 1.0)
    qa, qb = qs[..., :, None], qs[..., None, :]
    r = np.sqrt(qa * qb)
    c = np.clip(G, -r, r) * (1 - 1e-15)        # keeps q_a q_b - c^2 >= 0 after rounding
    out = getattr(g2, f"{activation}_pair_kernel")(qa, qb, c, sigma_b2, sigma_w2)
    out = np.where(live[..., :, None] & live[..., None, :], out, sigma_b2)
    diag = np.where(live, getattr(g1, f"{activation}_kernel")(qs, sigma_b2, sigma_w2), sigma_b2)
    idx = np.arange(m)
    out = np.array(np.broadcast_to(out, G.shape))
    out[..., idx, idx] = diag
    return out


# ----------------------------------------------------------------------------- unit Monte Carlo --
def _factor(K: np.ndarray) -> np.ndarray:
    """``F`` with ``F F^T = K`` (eigendecomposition; the null space dropped)."""
    lam, Q = np.linalg.eigh(K)
    keep = lam > 1e-12 * max(lam.max(), 1e-300)
    return Q[:, keep] * np.sqrt(lam[keep])


def _phi(activation):
    if activation == "relu":
        return lambda u: np.maximum(u, 0.0)
    if activation == "step":
        return lambda u: (u > 0).astype(float)
    return scipy.special.erf


def _unit_terms(met: DeepMetrics, layer: int, b: int, rng):
    """One unit's contribution to the metric ``G^(layer+2)`` drawn at ``K[layer]``, pushed to the output.

    Returns ``(A, M, r)``: for ReLU the sample is ``D = x A - M`` with ``x = rho^2 ~ chi^2_r`` integrated
    in closed form by the caller (``A`` from the direction only); otherwise ``D = A - M`` (``r = None``)."""
    F = _factor(met.K[layer])
    r = F.shape[1]
    M0 = met.K[layer + 1] - met.sigma_b2                       # E sigma_w^2 phi phi^T (the derived kernel)
    z = rng.standard_normal((b, r))
    if met.activation == "relu":
        z /= np.linalg.norm(z, axis=1, keepdims=True)
    P = _phi(met.activation)(z @ F.T)                          # (b, m)
    A = met.sigma_w2 * P[:, :, None] * P[:, None, :]
    A = met.propagate(layer + 1, A)
    M = met.propagate(layer + 1, M0)
    return A, M, (r if met.activation == "relu" else None)


@dataclass
class _Contraction:
    """The bilinear form ``Q(D) = L1(D) m1(D) + m2(D)`` of eq. P on train-first matrices."""

    A_inv: np.ndarray
    alpha: np.ndarray
    B: np.ndarray
    n: int
    K_tx: np.ndarray

    @classmethod
    def from_kernel(cls, K, y, n, ridge):
        A = K[:n, :n] + ridge * np.eye(n)
        try:
            A_inv = np.linalg.inv(A)
        except np.linalg.LinAlgError as err:  # pragma: no cover - PD for ridge > 0
            raise SymrgError(f"K(X,X) + sigma^2 I is singular ({err}); increase the ridge") from err
        return cls(A_inv, A_inv @ y, A_inv @ K[:n, n:], n, K[n:, :n])

    def __call__(self, D: np.ndarray) -> np.ndarray:
        n, Ai, al, B = self.n, self.A_inv, self.alpha, self.B
        Dxx, Dtx = D[..., :n, :n], D[..., n:, :n]
        v = Dxx @ al                                              # D_XX alpha
        L1 = 0.5 * (v @ al) - 0.5 * np.einsum("...ab,ab->...", Dxx, Ai)
        m1 = Dtx @ al - v @ B
        Av = v @ Ai
        m2 = -np.einsum("...ja,...a->...j", Dtx, Av) + np.einsum("...ab,...b->...a", Dxx, Av) @ B
        return L1[..., None] * m1 + m2

    @property
    def m_gp(self) -> np.ndarray:
        return self.K_tx @ self.alpha

    def log_evidence_first_order(self, D: np.ndarray) -> np.ndarray:
        """``L1(D) = d log p(y|K) . D`` for stacks ``(..., m, m)``."""
        Dxx = D[..., :self.n, :self.n]
        return 0.5 * ((Dxx @ self.alpha) @ self.alpha) - 0.5 * np.einsum("...ab,ab->...", Dxx, self.A_inv)

    def first_order_batch(self, D: np.ndarray) -> np.ndarray:
        """``m1(D) = dm/dK . D`` for stacks ``(..., m, m)`` (``(..., t)``)."""
        n = self.n
        v = D[..., :n, :n] @ self.alpha
        return D[..., n:, :n] @ self.alpha - v @ self.B

    def first_order(self, D1: np.ndarray) -> np.ndarray:
        """``dm/dK . D1 = D1_TX alpha - beta^T D1_XX alpha``."""
        n = self.n
        return D1[n:, :n] @ self.alpha - self.B.T @ (D1[:n, :n] @ self.alpha)


def dm_dk_contraction(K, K1, y, n_train: int, ridge: float) -> np.ndarray:
    """The mean-shift term ``dm/dK . K1`` of the deep posterior (module docstring), train-first matrices."""
    return _Contraction.from_kernel(np.asarray(K, float), np.asarray(y, float), int(n_train), ridge).first_order(
        np.asarray(K1, float))


def _validate(activation, X, y, X_test, ridge, depth):
    act = check_deep_activation(activation)
    L = check_int(depth, "depth", 1, MAX_POSTERIOR_DEPTH)
    X, y, X_test, ridge = validate_regression_arrays(X, y, X_test, ridge)
    return act, X, y, X_test, ridge, L


def deep_gp_posterior_mean(activation, X, y, X_test, ridge, depth, sigma_w2=2.0, sigma_b2=0.0) -> np.ndarray:
    """The infinite-width posterior mean with the depth-``L`` NNGP kernel ``K^(L+1)``."""
    act, X, y, X_test, ridge, L = _validate(activation, X, y, X_test, ridge, depth)
    met = deep_metric_recursion(act, np.vstack([X, X_test]), L, sigma_w2, sigma_b2)
    n = X.shape[0]
    K = met.K[-1]
    return K[n:, :n] @ np.linalg.solve(K[:n, :n] + ridge * np.eye(n), y)


@dataclass(frozen=True)
class DeepPosteriorCoefficient:
    """``c`` in ``m = m_GP + c/N + O(1/N^2)`` on the test inputs (module docstring): ``c = c_k1 + c_v``,
    ``sem`` its Monte Carlo standard error (from ``c_v``; ``c_k1`` is closed form), and ``m_gp``."""

    c: np.ndarray
    sem: np.ndarray
    c_k1: np.ndarray
    c_v: np.ndarray
    m_gp: np.ndarray


def deep_one_over_n_coefficient(activation, X, y, X_test, ridge, depth, *, sigma_w2=2.0, sigma_b2=0.0,
                                n_samples: int = 200_000, seed: int = 0, batch: int = 5_000) -> DeepPosteriorCoefficient:
    """The O(1/N) posterior-mean coefficient of a depth-``L`` network (module docstring; docs/theory.md
    section 6x): ``dm/dK . K1`` from the derived pair recursion plus the contraction of ``V`` by a Monte Carlo over
    single units at each layer (``n_samples`` per layer).  Cost ``O(L^2 n_samples m^2)``, independent of ``N``."""
    act, X, y, X_test, ridge, L = _validate(activation, X, y, X_test, ridge, depth)
    S = check_int(n_samples, "n_samples", 100, None)
    n = X.shape[0]
    met = deep_metric_recursion(act, np.vstack([X, X_test]), L, sigma_w2, sigma_b2)
    K = met.K[-1]
    Q = _Contraction.from_kernel(K, y, n, ridge)
    m_gp = K[n:, :n] @ Q.alpha
    c_k1 = Q.first_order(met.K1[-1])
    rng = np.random.default_rng(check_int(seed, "seed", 0, None))
    t = X_test.shape[0]
    c_v, var = np.zeros(t), np.zeros(t)
    for layer in range(L):                                 # noise injected at G^(layer+2) from K[layer]
        s1, s2 = np.zeros(t), np.zeros(t)
        for start in range(0, S, batch):
            b = min(batch, S - start)
            A, M, r = _unit_terms(met, layer, b, rng)
            if r is None:
                vals = Q(A - M)
            else:   # Q(x A - M) is quadratic in x = rho^2 ~ chi^2_r: E x = r, E x^2 = r (r + 2)
                q0 = Q(-M)[None, :]
                q1, q2 = Q(A - M), Q(2 * A - M)
                a2 = 0.5 * (q2 - 2 * q1 + q0)
                vals = a2 * r * (r + 2) + (q1 - q0 - a2) * r + q0
            s1 += vals.sum(0)
            s2 += (vals * vals).sum(0)
        mean = s1 / S
        c_v += mean
        var += np.maximum(s2 / S - mean * mean, 0) / S
    return DeepPosteriorCoefficient(c_k1 + c_v, np.sqrt(var), c_k1, c_v, m_gp)


def deep_vertex_tensor(activation, Z, depth, *, sigma_w2=2.0, sigma_b2=0.0, n_samples: int = 200_000,
                       seed: int = 0, batch: int = 5_000):
    """The full output vertex ``V_(ab)(cd) = N Cov(G^(L+1)_ab, G^(L+1)_cd)`` on a few inputs (``(m, m, m, m)``,
    ``sum_l P_l U_l P_l^T`` with ``U_l`` by Monte Carlo over units), with ``K`` and ``K1`` of the output:
    ``(K, K1, V)``.  Memory ``O(batch m^4)``: meant for small ``m`` (tests, the recursion check)."""
    Z = check_finite_array(Z, "Z", ndim=2)
    m = Z.shape[0]
    if m > 12:
        raise ParameterError("Z", f"{m} inputs", "at most 12 inputs (the tensor has m^4 entries)")
    met = deep_metric_recursion(activation, Z, depth, sigma_w2, sigma_b2)
    rng = np.random.default_rng(check_int(seed, "seed", 0, None))
    S = check_int(n_samples, "n_samples", 100, None)
    V = np.zeros((m,) * 4)
    for layer in range(met.depth):
        acc = np.zeros((m,) * 4)
        for start in range(0, S, batch):
            b = min(batch, S - start)
            A, M, r = _unit_terms(met, layer, b, rng)
            if r is not None:   # D = x A - M with x ~ chi^2_r: E D D = r(r+2) A A - r (A M + M A) + M M
                acc += (r * (r + 2) * np.einsum("sab,scd->abcd", A, A)
                        - r * (np.einsum("sab,cd->abcd", A, M) + np.einsum("ab,scd->abcd", M, A))
                        + b * np.einsum("ab,cd->abcd", M, M))
            else:
                D = A - M
                acc += np.einsum("sab,scd->abcd", D, D)
        V += acc / S
    return met.K[-1], met.K1[-1], V


def deep_quartic_coupling(activation, X, width: int, depth: int, n_modes: int = 3, *, sigma_w2: float = 2.0,
                          sigma_b2: float = 0.0, n_samples: int = 200_000, seed: int = 0, batch: int = 5_000):
    """The quartic coupling ``U`` of the output field of a depth-``L`` network in the top ``n_modes`` Mercer modes
    of its kernel ``K = K^(L+1)`` on the points ``X`` (docs/theory.md sections 2.4 and 6x).

    The output's connected four-point function is ``kappa_4 = (1/N) (V_(ab)(cd) + V_(ac)(bd) + V_(ad)(bc))``
    (given the last hidden layer the output is Gaussian with kernel ``K_W``, so its fourth cumulant is the sum of the
    covariance pairings of ``K_W``); in mode space ``U_klmn = -kappa4_klmn/(lambda_k lambda_l lambda_m lambda_n)``,
    the convention of :func:`symrg.numerics.finite_width.quartic_coupling` (which this equals at ``L = 1``).  The
    projected vertex ``(proj^T D proj)_kl (proj^T D proj)_mn`` is averaged over single units at every layer,
    ``V = sum_l P_l U_l P_l^T`` (module docstring), never forming the ``P^4`` tensor.  Returns a
    :class:`~symrg.numerics.finite_width.coupling.QuarticCoupling` (``kappa4_sem`` from the unit Monte Carlo)."""
    from .coupling import QuarticCoupling

    act = check_deep_activation(activation)
    L = check_int(depth, "depth", 1, MAX_POSTERIOR_DEPTH)
    N = check_int(width, "width", 1, None)
    X = check_finite_array(X, "X", ndim=2)
    P = X.shape[0]
    n_modes = check_int(n_modes, "n_modes", 1, P)
    S = check_int(n_samples, "n_samples", 100, None)
    met = deep_metric_recursion(act, X, L, sigma_w2, sigma_b2)
    K = met.K[-1]
    ev, Vec = np.linalg.eigh(K / P)
    order = np.argsort(ev)[::-1][:n_modes]
    lam, phi = ev[order], math.sqrt(P) * Vec[:, order]
    proj = phi / P
    rng = np.random.default_rng(check_int(seed, "seed", 0, None))
    C4 = np.zeros((n_modes,) * 4)
    var = np.zeros((n_modes,) * 4)
    for layer in range(L):
        s1 = np.zeros((n_modes,) * 4)
        s2 = np.zeros((n_modes,) * 4)
        for start in range(0, S, batch):
            b = min(batch, S - start)
            A, M, r = _unit_terms(met, layer, b, rng)
            a = proj.T @ A @ proj                          # (b, n_modes, n_modes)
            mm = proj.T @ M @ proj
            if r is not None:   # D = x A - M, x ~ chi^2_r: E D (x) D = r(r+2) A A - r (A M + M A) + M M per direction
                t = (r * (r + 2) * np.einsum("skl,smn->sklmn", a, a)
                     - r * (np.einsum("skl,mn->sklmn", a, mm) + np.einsum("kl,smn->sklmn", mm, a))
                     + np.einsum("kl,mn->klmn", mm, mm)[None])
            else:
                d = a - mm
                t = np.einsum("skl,smn->sklmn", d, d)
            s1 += t.sum(0)
            s2 += (t * t).sum(0)
        mean = s1 / S
        C4 += mean
        var += np.maximum(s2 / S - mean * mean, 0) / S
    sym = lambda T: T + T.transpose(0, 2, 1, 3) + T.transpose(0, 3, 2, 1)  # noqa: E731
    k4 = sym(C4) / N
    sem = np.sqrt(sym(var)) / N                            # a bound: the three pairings' errors added in quadrature
    U = -k4 / np.einsum("k,l,m,n->klmn", lam, lam, lam, lam)
    T = np.einsum("ik,il,im,in->klmn", phi, phi, phi, phi) / P
    u = float(np.sum(U * T) / np.sum(T * T))
    res = float(np.linalg.norm(U - u * T) / max(np.linalg.norm(U), 1e-300))
    return QuarticCoupling(act, N, lam, phi, k4, U, u, res, deep_kurtosis_coefficient(act, L, sigma_w2, sigma_b2) / N, sem,
                           f"unit Monte Carlo, depth {L}")
