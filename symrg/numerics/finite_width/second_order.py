"""The O(1/N^2) posterior mean of a one-hidden-layer network (docs/theory.md sections 2.4 and 6).

With ``g(K) = p(y|K) m_K`` (evidence times GP posterior mean) and ``K_W = K + delta``, ``delta`` the
mean of ``N`` iid zero-mean unit matrices ``D = sigma_w^2 (phi phi^T - M)`` (eq. C of
:mod:`symrg.numerics.finite_width`), the exact posterior mean is ``E[g(K + delta)] / E[p(y|K + delta)]``.

What is derived (SymPy, :func:`symrg.theory.finite_width.derive_second_order_posterior`, nothing typed in;
lowered to ``symrg._generated.second_order_posterior`` with its mpmath twin): the moments of ``delta``
from the cumulant generating function ``N log E exp(s D / N)`` of a mean of ``N`` iid units, the
Taylor series ``E g(K + delta) = sum_k g_k E delta^k`` to O(1/N^2), and the series of the ratio
``E[g] / E[p]`` to O(1/N^2).  The result is written in terms of Taylor coefficients of ``g`` and ``p``
along sampled unit directions (the tensor reading of the scalar moments: ``g_k mu_k`` is the ``t^k``
coefficient of ``g(K + t D)`` averaged over one unit, and ``g_4 mu_2^2`` is ``1/6`` of the
``t1^2 t2^2`` coefficient of ``g(K + t1 D1 + t2 D2)`` averaged over two independent units), so::

    m = m_0 + c_1 / N + c_2 / N^2 + O(1/N^3),
    c_1 = f2 - m_0 z2                                      (eq. P)
    c_2 = f3 + f22/2 - m_0 (z3 + z22/2) - z2 c_1           (SymPy's output, eq. P2)

with ``fk`` (``zk``) the unit average of the ``t^k`` coefficient of ``p(y|K + tD) m_{K+tD} / p(y|K)``
(of ``p(y|K + tD) / p(y|K)``) and ``f22``, ``z22`` the pair averages of the ``t1^2 t2^2`` coefficients.

What is computed numerically (:func:`_jets`): exact Taylor coefficients of ``p(y|K + tD) / p(y|K)``
and of ``m_{K + tD}`` to order 4 -- Neumann series of ``(A + t D_XX)^-1``, the series of
``log det`` and of the exponential; the ``t1^2 t2^2`` coefficient by polarisation of order-4 jets.
The averages over units are Monte Carlo over single units (:func:`second_order_coefficient`) or exact
sums over a discrete unit law (:func:`second_order_from_units`, used by the tests against exact
enumeration of the finite-N ensemble).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.special

from ..._validate import check_int, check_ridge
from ...errors import ParameterError
from .moments import _act, _input_factor
from .posterior import _gp_parts, _validate_regression

__all__ = ["second_order_from_units", "second_order_coefficient", "SecondOrderCoefficient",
           "discrete_law_posterior_exact"]


@dataclass(frozen=True)
class SecondOrderCoefficient:
    """``m = m_GP + c1/N + c2/N^2 + O(1/N^3)`` on the test inputs, with standard errors of the unit
    Monte Carlo (10 independent groups of draws)."""

    c1: np.ndarray
    c1_sem: np.ndarray
    c2: np.ndarray
    c2_sem: np.ndarray


def _coefficients(avg: dict, m0):
    """``(c1, c2)`` from the unit averages through the generated module (eq. P2)."""
    from ..._generated import second_order_posterior as g
    vals = {"f0": m0, **avg}
    return (np.asarray(g.c1(*[vals[k] for k in g.ARGS_C1]), float),
            np.asarray(g.c2(*[vals[k] for k in g.ARGS_C2]), float))


class _Base:
    """GP quantities at ``K``: ``A^-1``, ``alpha``, ``K_TX``, ``K0 = sigma_w^2 M``, ``y``, ``n``."""

    def __init__(self, K0, sigma_b2, y, n, ridge):
        self.n = int(n)
        self.K0 = np.asarray(K0, float)
        K = self.K0 + sigma_b2
        self.A_inv = np.linalg.inv(K[:n, :n] + ridge * np.eye(n))
        self.y = np.asarray(y, float)
        self.alpha = self.A_inv @ self.y
        self.Ktx = K[n:, :n]
        self.m0 = self.Ktx @ self.alpha

    def directions(self, s, Phi):
        """``D = s phi phi^T - K0`` for each row ``phi`` of ``Phi``: ``(D_XX, D_TX)``."""
        n = self.n
        px, pt = Phi[:, :n], Phi[:, n:]
        return (s * px[:, :, None] * px[:, None, :] - self.K0[None, :n, :n],
                s * pt[:, :, None] * px[:, None, :] - self.K0[None, n:, :n])


def _jets(base: _Base, Exx, Etx, order: int = 4):
    """Exact Taylor coefficients in ``t`` of ``z(t) = p(y|K + tE)/p(y|K)`` (shape ``(order+1, b)``) and
    ``f(t) = z(t) m_{K+tE}`` (shape ``(order+1, b, n_test)``) for a batch of directions ``E``:
    ``(A + tE)^-1 y = sum_k t^k alpha_k``, ``alpha_k = -A^-1 E alpha_{k-1}``;
    ``log z = sum_k t^k [-y.alpha_k / 2 + (-1)^k tr((A^-1 E)^k) / (2k)]``; ``m = (K_TX + t E_TX)(A + tE)^-1 y``."""
    b = Exx.shape[0]
    AiE = np.matmul(base.A_inv, Exx)                               # batched BLAS products, not einsum loops
    alphas = [np.broadcast_to(base.alpha, (b, base.n))]
    for _ in range(order):
        alphas.append(-np.matmul(AiE, alphas[-1][..., None])[..., 0])
    ms = [np.broadcast_to(base.m0, (b, base.m0.shape[0]))]
    for k in range(1, order + 1):
        ms.append(alphas[k] @ base.Ktx.T + np.matmul(Etx, alphas[k - 1][..., None])[..., 0])
    # tr(Q^k), Q = A^-1 E, from Q and Q^2 only: tr Q^2 = <Q, Q^T>, tr Q^3 = <Q^2, Q^T>, tr Q^4 = <Q^2, (Q^2)^T>
    QT = AiE.transpose(0, 2, 1)
    Q2 = np.matmul(AiE, AiE) if order >= 3 else None
    traces = [None, np.trace(AiE, axis1=1, axis2=2), np.einsum("bij,bij->b", AiE, QT)]
    if order >= 3:
        traces.append(np.einsum("bij,bij->b", Q2, QT))
    if order >= 4:
        traces.append(np.einsum("bij,bji->b", Q2, Q2))
    ell = [np.zeros(b)]
    for k in range(1, order + 1):
        ell.append(-0.5 * (alphas[k] @ base.y) + (-1) ** k * traces[k] / (2 * k))
    z = [np.ones(b)]
    for k in range(1, order + 1):                                  # z = exp(sum ell_k t^k), z' = (log z)' z
        z.append(sum(j * ell[j] * z[k - j] for j in range(1, k + 1)) / k)
    f = [sum(z[j][:, None] * ms[k - j] for j in range(k + 1)) for k in range(order + 1)]
    return np.array(z), np.array(f)


def _unit_terms(base, s, Pa, Pb):
    """Weighted sums over units ``a`` (rows of ``Pa``) of the ``t^2, t^3`` coefficients and over pairs
    ``(a, b)`` (rows of ``Pa`` with rows of ``Pb``) of the ``t1^2 t2^2`` coefficient, by polarisation
    ``c22 = [Q(Da + Db) + Q(Da - Db) - 2 Q(Da) - 2 Q(Db)] / 2`` with ``Q`` the ``t^4`` coefficient.
    Returns per-row values ``({z2, z3, f2, f3}, {z22, f22})``."""
    Xa, Ta = base.directions(s, Pa)
    Xb, Tb = base.directions(s, Pb)
    za, fa = _jets(base, Xa, Ta)
    zb, fb = _jets(base, Xb, Tb)
    zp, fp = _jets(base, Xa + Xb, Ta + Tb)
    zm, fm = _jets(base, Xa - Xb, Ta - Tb)
    z22 = 0.5 * (zp[4] + zm[4] - 2 * za[4] - 2 * zb[4])
    f22 = 0.5 * (fp[4] + fm[4] - 2 * fa[4] - 2 * fb[4])
    return {"z2": za[2], "z3": za[3], "f2": fa[2], "f3": fa[3]}, {"z22": z22, "f22": f22}


def second_order_from_units(features, probs, y, n_train: int, ridge: float, *, sigma_w2=2.0, sigma_b2=0.0):
    """``(m_0, c_1, c_2)`` for a DISCRETE unit law: a unit's features (rows of ``features``, train points
    first) occur with probabilities ``probs``, so ``K = sigma_w^2 sum_j p_j phi_j phi_j^T + sigma_b^2``.
    Exact sums over units and pairs (no sampling)."""
    Phi = np.asarray(features, float)
    p = np.asarray(probs, float)
    K0 = sigma_w2 * np.einsum("j,ja,jb->ab", p, Phi, Phi)
    base = _Base(K0, sigma_b2, y, n_train, ridge)
    J = Phi.shape[0]
    ia, ib = np.meshgrid(np.arange(J), np.arange(J), indexing="ij")
    ia, ib = ia.ravel(), ib.ravel()
    single, _ = _unit_terms(base, sigma_w2, Phi, Phi)
    _, pair = _unit_terms(base, sigma_w2, Phi[ia], Phi[ib])
    pp = p[ia] * p[ib]
    avg = {k: np.tensordot(p, v, axes=(0, 0)) for k, v in single.items()}
    avg.update({k: np.tensordot(pp, v, axes=(0, 0)) for k, v in pair.items()})
    c1, c2 = _coefficients(avg, base.m0)
    return base.m0, c1, c2


def _chi2_rule(r: int):
    """Two-node Gauss rule for ``x ~ chi^2_r`` (generalised Laguerre, exact for polynomials of degree 3)."""
    u, w = scipy.special.roots_genlaguerre(2, r / 2 - 1)
    return 2 * u, w / w.sum()


def _pool_terms(base, s, activation, F, b, rng, rule, shifts):
    """One pool of ``b`` independent units.  Single-unit terms (``t^2``, ``t^3``): for ReLU,
    ``phi = sqrt(x) relu(omega . u)`` with ``x = |z|^2 ~ chi^2_r`` independent of the direction ``omega``, and
    the ``t^k`` coefficient is a polynomial of degree ``k <= 3`` in ``x``, so the radial average is done
    exactly by the two-node rule.  Pair term: the U-statistic over the pairs ``(i, i + k mod b)``,
    ``k = 1..shifts``, of distinct (hence independent) units; its variance is dominated by the interaction
    of the two units, so many pairs per unit pay.  Returns sums over the pool."""
    z = rng.standard_normal((b, F.shape[1]))
    out = dict.fromkeys(("z2", "z3", "f2", "f3", "z22", "f22"), 0.0)
    if activation == "relu":
        norm = np.linalg.norm(z, axis=1, keepdims=True)
        Om = np.maximum(z @ F.T, 0.0) / norm
        for xi, wi in zip(*rule):
            zj, fj = _jets(base, *base.directions(s, np.sqrt(xi) * Om), order=3)
            for k, v in (("z2", zj[2]), ("z3", zj[3]), ("f2", fj[2]), ("f3", fj[3])):
                out[k] = out[k] + wi * v.sum(0)
        Phi = norm * Om                                   # the sampled unit itself for the pair term
    else:
        Phi = _act(activation)(z @ F.T)
        zj, fj = _jets(base, *base.directions(s, Phi), order=3)
        for k, v in (("z2", zj[2]), ("z3", zj[3]), ("f2", fj[2]), ("f3", fj[3])):
            out[k] = out[k] + v.sum(0)
    Ex, Et = base.directions(s, Phi)
    zq, fq = _jets(base, Ex, Et)
    shifts = min(shifts, b - 1)                           # pairs of distinct units only
    for k in range(1, shifts + 1):
        Ex2, Et2 = np.roll(Ex, k, axis=0), np.roll(Et, k, axis=0)
        zp, fp = _jets(base, Ex + Ex2, Et + Et2)
        zm, fm = _jets(base, Ex - Ex2, Et - Et2)
        out["z22"] = out["z22"] + (0.5 * (zp[4] + zm[4] - 2 * zq[4] - 2 * np.roll(zq[4], k, axis=0))).sum(0) / shifts
        out["f22"] = out["f22"] + (0.5 * (fp[4] + fm[4] - 2 * fq[4] - 2 * np.roll(fq[4], k, axis=0))).sum(0) / shifts
    return out


def second_order_coefficient(activation, X, y, X_test, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                             n_samples: int = 100_000, seed: int = 0, batch: int = 4_000, shifts: int = 8):
    """:class:`SecondOrderCoefficient` ``m = m_GP + c1/N + c2/N^2 + O(1/N^3)`` (module doc), by Monte Carlo
    over ``n_samples`` units (``t^2``, ``t^3`` terms) and ``shifts`` pairs of distinct units per unit
    (``t1^2 t2^2`` term, :func:`_pool_terms`); standard errors from 10 independent groups of draws.
    Cost ``O(n_samples shifts n^3)`` (``n`` training points), independent of ``N``."""
    X, y, X_test, ridge = _validate_regression(activation, X, y, X_test, ridge)
    n = X.shape[0]
    parts = _gp_parts(activation, X, y, X_test, ridge, sigma_w2, sigma_b2)
    base = _Base(parts.K0, sigma_b2, y, n, ridge)
    F = _input_factor(np.vstack([X, X_test]))
    rng = np.random.default_rng(seed)
    S = check_int(n_samples, "n_samples", 200, None)
    shifts = check_int(shifts, "shifts", 1, 64)
    groups = 10
    per = -(-S // groups)
    keys = ("z2", "z3", "f2", "f3", "z22", "f22")
    radial = _chi2_rule(F.shape[1])
    gsum = [dict.fromkeys(keys, 0.0) for _ in range(groups)]
    gcount = [0] * groups
    done = 0
    while done < S:
        g = done // per
        b = min(batch, S - done, per * (g + 1) - done)
        for k, v in _pool_terms(base, sigma_w2, activation, F, b, rng, radial, shifts).items():
            gsum[g][k] = gsum[g][k] + v
        gcount[g] += b
        done += b
    tot = {k: sum(gs[k] for gs in gsum) / S for k in keys}
    c1, c2 = _coefficients(tot, base.m0)
    grp = [_coefficients({k: gs[k] / cnt for k in keys}, base.m0) for gs, cnt in zip(gsum, gcount)]
    sem = [np.array([g[i] for g in grp]).std(axis=0, ddof=1) / np.sqrt(groups) for i in (0, 1)]
    return SecondOrderCoefficient(c1, sem[0], c2, sem[1])


def discrete_law_posterior_exact(features, probs, y, n_train: int, ridge: float, width: int, *,
                                 sigma_w2=2.0, sigma_b2=0.0) -> np.ndarray:
    """The exact finite-width posterior mean ``E[p(y|K_W) m_W] / E[p(y|K_W)]`` when each of the ``N``
    hidden units independently takes one of 2 or 3 feature vectors (rows of ``features``) with
    probabilities ``probs``: a sum over the multinomial counts, no expansion in ``1/N`` (the independent
    route for :func:`second_order_from_units`).  Cost ``O(N^2)`` kernels for 3 feature vectors."""
    from scipy.special import gammaln
    Phi = np.asarray(features, float)
    p = np.asarray(probs, float)
    J = Phi.shape[0]
    if J not in (2, 3) or p.shape != (J,) or not (np.all(p > 0) and abs(p.sum() - 1) < 1e-12):
        raise ParameterError("probs", p.tolist(), "2 or 3 positive probabilities summing to 1, one per feature row")
    N = check_int(width, "width", 1, 5000)
    n = check_int(n_train, "n_train", 1, Phi.shape[1] - 1)
    ridge = check_ridge(ridge, "ridge", allow_zero=False)
    y = np.asarray(y, float)
    if J == 2:
        cnt = np.array([(a, N - a) for a in range(N + 1)], float)
    else:
        cnt = np.array([(a, b, N - a - b) for a in range(N + 1) for b in range(N + 1 - a)], float)
    logmult = gammaln(N + 1) - gammaln(cnt + 1).sum(1) + cnt @ np.log(p)
    K = (sigma_w2 / N) * np.einsum("cj,ja,jb->cab", cnt, Phi, Phi) + sigma_b2
    A = K[:, :n, :n] + ridge * np.eye(n)
    al = np.linalg.solve(A, np.broadcast_to(y, (len(cnt), n))[..., None])[..., 0]
    lw = logmult - 0.5 * al @ y - 0.5 * np.linalg.slogdet(A)[1]
    w = np.exp(lw - lw.max())
    return (w @ np.einsum("cti,ci->ct", K[:, n:, :n], al)) / w.sum()
