"""Eigenlearning for a Gaussian mixture: the deterministic equivalent of ridge regression when the
features are a mixture over groups (classes or clusters) of Gaussians (docs/theory.md section 5a).

Setting (mode space of a pool, docs/theory.md section 1).  A feature vector ``x`` (coordinates
``x_k = sqrt(lambda_k) phi_k``) is drawn from a mixture: group ``g`` with probability ``pi_g``, then
``x ~ N(mu_g, Sigma_g)``.  Only the group second moments ``C_g = Sigma_g + mu_g mu_g^T`` enter, with
``sum_g pi_g C_g = Lambda = diag(lambda)`` (the pool measure).  The label is linear, ``y = x . w``
(``w_k = c_k / sqrt(lambda_k)``, ``c`` the target coefficients).  Ridge regression on ``n`` draws,
``w_hat = (Z^T Z + r)^{-1} Z^T y``, has the exact test error ``E = r^2 w^T Q Lambda Q w`` with
``Q = (Z^T Z + r)^{-1}``.  The leave-one-out derivation of section 5a gives

    Qbar = (n sum_g pi_g C_g / (1 + delta_g) + r)^{-1},     delta_g = tr(C_g Qbar),

    E[Q A Q] = Qbar A Qbar + sum_h beta_h t_h Qbar C_h Qbar,   beta_h = n pi_h / (1 + delta_h)^2,
    t = (1 - M diag(beta))^{-1} b,   M_gh = tr(C_g Qbar C_h Qbar),   b_g = tr(C_g Qbar A Qbar),

so ``E = r^2 [w^T Qbar Lambda Qbar w + sum_h beta_h t_h w^T Qbar C_h Qbar w]``.  With one group and
``C = Lambda`` this is eigenlearning exactly (``kappa_eff = r (1 + delta)/n``, ``e_0 = 1/(1 - M beta)``).

Truncation.  The top ``kappa`` modes are kept with their full group matrices (``kappa x kappa``);
the greater modes enter through the diagonal of each ``C_g`` only (``lambda_k E_g[phi_k^2]``), i.e.
their within-group correlations with each other and with the kept modes are dropped -- exact as
``kappa -> P`` (:func:`mixture_prediction` reports the prediction at ``kappa`` and the caller checks
``2 kappa``).

Unlisted modes (the top-kappa route of docs/theory.md section 4b, where only the top modes of a pool
and the trace are known).  Modes beyond the listed ones enter as a tail of vanishing eigenvalues, as in
eigenlearning (``T/kappa_eff``): group ``g`` carries its unlisted power ``tail_g = E_g[K(x, x) -
sum_{k listed} lambda_k phi_k(x)^2]``, which adds ``tail_g / r`` to ``delta_g`` and nothing at second
order (each unlisted mode's terms there are O(lambda_k^2)); the target's unlisted power ``T_y`` is
unlearned, ``E += T_y + sum_h beta_h t_h rho_h T_y`` with ``rho_h = tail_h / sum_g pi_g tail_g`` -- the
one assumption: every unlisted mode has the same group profile ``E_h[phi_k^2]``.  With one group this is
eigenlearning with a tail ``T`` and target tail ``T_y`` exactly.

Cost: one ``kappa x kappa`` Cholesky per fixed-point step (a damped Newton method started from the
one-group solution) and ``G`` products ``Qbar C_g`` for the Jacobian and the second order:
``O(G kappa^3)`` per ``n``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validate import check_int, check_positive, check_ridge
from ..errors import ConvergenceError, ParameterError

__all__ = ["MixtureModes", "mixture_modes", "mixture_prediction", "MixturePrediction", "FIXED_POINT_TOL",
           "mixture_prediction_mp", "rowwise_prediction", "row_tail_power", "leverage_prediction", "leverage_weights"]

FIXED_POINT_TOL = 1e-11   # relative residual of delta_g = tr(C_g Qbar) accepted


@dataclass(frozen=True)
class MixtureModes:
    """Group statistics of a pool in mode space (docs/theory.md section 5a).

    ``lam`` (p,) all eigenvalues (descending); ``coef`` (p, m) target coefficients per output;
    ``weights`` (G,) group probabilities ``pi_g``; ``kept`` (G, kappa, kappa) the kept block of
    ``C_g`` (x-coordinates); ``rest_phi2`` (G, p - kappa) the group means ``E_g[phi_k^2]`` of the greater
    modes (the diagonal of ``C_g`` there is ``lambda_k E_g[phi_k^2]``); ``tail`` (G,) each group's power in
    the unlisted modes and ``target_tail`` (m,) the target's (module doc, "Unlisted modes"; zero when
    every mode is listed).
    """

    lam: np.ndarray
    coef: np.ndarray
    weights: np.ndarray
    kept: np.ndarray
    rest_phi2: np.ndarray
    tail: np.ndarray | None = None
    target_tail: np.ndarray | None = None

    def __post_init__(self):
        G, m = self.weights.shape[0], np.asarray(self.coef).reshape(self.lam.shape[0], -1).shape[1]
        for name, size in (("tail", G), ("target_tail", m)):
            v = getattr(self, name)
            v = np.zeros(size) if v is None else np.asarray(v, dtype=float).reshape(-1)
            if v.shape != (size,) or not np.all(np.isfinite(v)) or np.any(v < 0):
                raise ParameterError(name, f"array of shape {v.shape}", f"{size} finite non-negative powers")
            object.__setattr__(self, name, v)

    @property
    def tail_power(self) -> float:
        """The pool's power in the unlisted modes, ``sum_g pi_g tail_g``."""
        return float(self.weights @ self.tail)

    @property
    def tail_profile(self) -> np.ndarray:
        """``rho_g = tail_g / tail_power`` (ones when there is no tail)."""
        T = self.tail_power
        return self.tail / T if T > 0 else np.ones_like(self.tail)

    @property
    def rest_diag(self) -> np.ndarray:
        return self.rest_phi2 * self.lam[self.kappa:][None, :]

    @property
    def kappa(self) -> int:
        return int(self.kept.shape[1])

    @property
    def groups(self) -> int:
        return int(self.weights.shape[0])


def mixture_modes(lam, phi, coef, groups, kappa: int, *, row_tail=None, target_tail=None) -> MixtureModes:
    """:class:`MixtureModes` from the pool modes: ``lam`` (p,), ``phi`` (P, p) with ``phi[i, k] =
    phi_k(x_i)``, ``coef`` (p,) or (p, m), ``groups`` (P,) integer group of each pool row, ``kappa``
    kept modes.  ``C_g = (1/P_g) sum_{i in g} x_i x_i^T`` (the group's empirical second moment).

    When only the top ``p`` of the pool's modes are listed (the top-kappa route): ``row_tail`` (P,) the
    unlisted power at each row, ``K(x_i, x_i) - sum_k lambda_k phi_k(x_i)^2`` (:func:`row_tail_power`),
    and ``target_tail`` (m,) the target's unlisted power per output (module doc, "Unlisted modes")."""
    lam = np.asarray(lam, dtype=float)
    phi = np.asarray(phi, dtype=float)
    coef = np.asarray(coef, dtype=float).reshape(lam.shape[0], -1)
    groups = np.asarray(groups)
    P, p = phi.shape
    if lam.shape != (p,) or groups.shape != (P,):
        raise ParameterError("phi", f"shape {phi.shape}", f"(P, {lam.shape[0]}) with groups of length P")
    kappa = check_int(kappa, "kappa", 1, p)
    labels, inv = np.unique(groups, return_inverse=True)
    G = labels.size
    sq = np.sqrt(np.clip(lam, 0.0, None))
    kept = np.empty((G, kappa, kappa))
    rest = np.empty((G, p - kappa))
    w = np.empty(G)
    for g in range(G):
        rows = np.flatnonzero(inv == g)
        Xg = phi[rows, :kappa] * sq[:kappa]
        kept[g] = Xg.T @ Xg / rows.size
        rest[g] = np.mean(phi[rows, kappa:] ** 2, axis=0)
        w[g] = rows.size / P
    tail = None
    if row_tail is not None:
        row_tail = np.asarray(row_tail, dtype=float)
        if row_tail.shape != (P,):
            raise ParameterError("row_tail", f"shape {row_tail.shape}", f"({P},): one unlisted power per pool row")
        tail = np.array([np.mean(np.clip(row_tail[inv == g], 0.0, None)) for g in range(G)])
    return MixtureModes(lam, coef, w, kept, rest, tail, target_tail)


def row_tail_power(diag, lam, phi) -> np.ndarray:
    """The unlisted power at each pool row, ``K(x_i, x_i) - sum_{k listed} lambda_k phi_k(x_i)^2``
    (Mercer's expansion on the pool measure; clipped at 0 against rounding): ``diag`` (P,) the kernel's
    diagonal, ``lam`` (p,) and ``phi`` (P, p) the listed modes."""
    phi = np.asarray(phi)
    listed = np.einsum("ik,ik,k->i", phi, phi, np.asarray(lam, dtype=phi.dtype), dtype=float)
    return np.clip(np.asarray(diag, dtype=float) - listed, 0.0, None)


@dataclass(frozen=True)
class MixturePrediction:
    n: float
    test_error: float          # mean over outputs
    delta: np.ndarray          # (G,)
    residual: float            # relative residual of the fixed point
    overfitting_factor: float  # 1 / (1 - spectral radius-like) = max eigenvalue of (1 - M diag beta)^{-1}
    bias: float                # r^2 w^T Qbar Lambda Qbar w (first-order part), mean over outputs
    kappa: int


def _resolvent(mm: MixtureModes, a: np.ndarray, n: float, r: float):
    """Kept-block Cholesky factor of ``Qbar^{-1}`` and the rest diagonal of ``Qbar``, for ``a_g = pi_g/(1+delta_g)``."""
    M = n * np.tensordot(a, mm.kept, axes=1)
    M[np.diag_indices_from(M)] += r
    cf = scipy.linalg.cho_factor(M, lower=True, check_finite=False)
    qrest = 1.0 / (n * (a @ mm.rest_diag) + r)
    return cf, qrest


def _traces(mm: MixtureModes, Qk: np.ndarray, qrest: np.ndarray) -> np.ndarray:
    """``tr(C_g B)`` for a symmetric kept-block matrix ``B`` plus the rest diagonal (one BLAS product)."""
    return mm.kept.reshape(mm.groups, -1) @ Qk.ravel() + mm.rest_diag @ qrest


def mixture_prediction(mm: MixtureModes, ridge: float, n: float, *, counts=None, max_iter: int = 200) -> MixturePrediction:
    """Test error (pool measure) of ridge regression on ``n`` draws from the mixture (module doc).

    The fixed point ``delta_g = tr(C_g Qbar(delta))`` is solved by a damped Newton method (analytic
    Jacobian, started from the one-group solution) to a relative residual ``FIXED_POINT_TOL``; failure raises
    ConvergenceError (never a silent number)."""
    r = check_ridge(ridge)
    if r <= 0:
        raise ParameterError("ridge", ridge, "a positive ridge (the deterministic equivalent needs r > 0)")
    n = check_positive(n, "n")
    G = mm.groups
    if counts is None:
        pi = mm.weights
    else:
        counts = np.asarray(counts, dtype=float)
        if counts.shape != (G,) or np.any(counts < 0) or not np.isclose(counts.sum(), n):
            raise ParameterError("counts", counts, f"{G} non-negative group counts summing to n = {n}")
        pi = counts / n
    kap = mm.kappa

    def tau(delta):
        cf, qrest = _resolvent(mm, pi / (1.0 + delta), n, r)
        Qk = scipy.linalg.cho_solve(cf, np.eye(kap), check_finite=False)
        return _traces(mm, Qk, qrest) + mm.tail / r, Qk, qrest

    # start: the one-group solution, i.e. eigenlearning (sum_g pi_g C_g = Lambda): 1 + delta = n kappa_eff / r
    from .flows import Shells
    from .predictions import eigenlearning_ridge

    kap_eff = eigenlearning_ridge(Shells.from_modes(mm.lam, mm.tail_power), r, n)
    delta = np.full(G, max(n * kap_eff / r - 1.0, 0.0))

    def jac(delta, Qk, qrest):
        """d tau_g / d delta_h = n pi_h / (1+delta_h)^2 M_gh."""
        Y = np.empty_like(mm.kept)
        YT = np.empty_like(mm.kept)
        for g in range(G):
            np.matmul(Qk, mm.kept[g], out=Y[g])                   # Qbar C_g (kept block)
            YT[g] = Y[g].T
        Mk = Y.reshape(G, -1) @ YT.reshape(G, -1).T                # tr(Qbar C_g Qbar C_h)
        Mr = (mm.rest_diag * qrest) @ (mm.rest_diag * qrest).T
        return Mk + Mr, Y

    t, Qk, qrest = tau(delta)
    F = delta - t
    res = float(np.max(np.abs(F) / (1.0 + delta)))
    for _ in range(max_iter):
        if res < FIXED_POINT_TOL:
            break
        M, _ = jac(delta, Qk, qrest)
        J = np.eye(G) - M * (n * pi / (1.0 + delta) ** 2)[None, :]
        step = np.linalg.solve(J, F)
        s = 1.0
        while s >= 1.0 / 16:   # damped Newton: halve the step until the residual decreases (delta stays >= 0)
            trial = np.maximum(delta - s * step, 0.0)
            t2, Qk2, qrest2 = tau(trial)
            F2 = trial - t2
            res2 = float(np.max(np.abs(F2) / (1.0 + trial)))
            if res2 < res:
                break
            s *= 0.5
        else:
            # no Newton progress: plain fixed-point steps delta <- tau(delta); tau is increasing in every
            # delta_h, so from below they rise monotonically to the fixed point
            trial = t.copy()
            for _ in range(20):
                trial = tau(trial)[0]
            t2, Qk2, qrest2 = tau(trial)
            F2 = trial - t2
            res2 = float(np.max(np.abs(F2) / (1.0 + trial)))
        delta, t, Qk, qrest, F, res = trial, t2, Qk2, qrest2, F2, res2
    else:
        raise ConvergenceError(f"mixture deterministic equivalent: fixed point not reached in {max_iter} steps "
                               f"(relative residual {res:.2e})")
    if res >= FIXED_POINT_TOL:
        raise ConvergenceError(f"mixture deterministic equivalent: fixed point not reached (relative residual {res:.2e})")
    M, Y = jac(delta, Qk, qrest)
    beta = n * pi / (1.0 + delta) ** 2
    lam = mm.lam
    lk, lr = lam[:kap], lam[kap:]
    # b_g = tr(C_g Qbar Lambda Qbar)
    QLQ = (Qk * lk[None, :]) @ Qk
    b = _traces(mm, QLQ, qrest ** 2 * lr)
    A = np.eye(G) - M * beta[None, :]
    tvec = np.linalg.solve(A, b)
    ev = np.linalg.eigvals(np.linalg.inv(A))
    # target: w_k = c_k / sqrt(lam_k) in the kept block; the rest in diagonal form
    ck, cr = mm.coef[:kap], mm.coef[kap:]
    if np.any(lk <= 0):
        raise ParameterError("kappa", kap, "kept modes with positive eigenvalues")
    wk = ck / np.sqrt(lk)[:, None]
    Qw = Qk @ wk                                                   # (kap, m)
    # the unlisted modes: qrest = 1/r there, so their target power enters as T_y and rho_h T_y / r^2
    first = (np.sum(Qw * (lk[:, None] * Qw), axis=0) + np.sum(cr ** 2 * (qrest ** 2)[:, None], axis=0)
             + mm.target_tail / (r * r))
    # w^T Qbar C_h Qbar w
    sec = (np.einsum("him,im->hm", np.matmul(mm.kept, Qw[None, :, :]), Qw) + (mm.rest_phi2 * qrest ** 2) @ (cr ** 2)
           + np.outer(mm.tail_profile, mm.target_tail) / (r * r))
    err = r * r * (first + (beta * tvec) @ sec)
    return MixturePrediction(float(n), float(np.mean(err)), delta, res, float(np.max(ev.real)),
                             float(np.mean(r * r * first)), kap)


def mixture_prediction_mp(mm: MixtureModes, ridge, n, *, dps: int = 40, tol=None, max_iter: int = 20000) -> float:
    """The mpmath twin of :func:`mixture_prediction` for small problems (all modes kept, ``p <= 40``):
    the same equations (module doc) solved by plain damped fixed-point iteration on ``delta`` and a
    dense linear solve for ``t``, at ``dps`` digits (``mpmath.workdps``).  Returns the test error
    (mean over outputs)."""
    import mpmath

    if mm.rest_phi2.shape[1] != 0 or mm.kappa > 40:
        raise ParameterError("kappa", mm.kappa, "all modes kept (no rest) and at most 40 modes for the mpmath twin")
    with mpmath.workdps(dps):
        r, n = mpmath.mpf(ridge), mpmath.mpf(n)
        G, p = mm.groups, mm.kappa
        C = [mpmath.matrix(mm.kept[g].tolist()) for g in range(G)]
        pi = [mpmath.mpf(float(x)) for x in mm.weights]
        lam = [mpmath.mpf(float(x)) for x in mm.lam]
        tol = tol or mpmath.mpf(10) ** (-(dps - 8))

        tail = [mpmath.mpf(float(x)) for x in mm.tail]
        T = mpmath.fsum(w * t for w, t in zip(pi, tail))
        rho = [t / T if T > 0 else mpmath.mpf(1) for t in tail]

        def qbar(delta):
            M = mpmath.eye(p) * r
            for g in range(G):
                M += C[g] * (n * pi[g] / (1 + delta[g]))
            return M ** -1

        def tr(A):
            return mpmath.fsum(A[i, i] for i in range(p))

        delta = [mpmath.mpf(1)] * G
        for _ in range(max_iter):
            Q = qbar(delta)
            new = [tr(C[g] * Q) + tail[g] / r for g in range(G)]
            change = max(abs(a - b) / (1 + b) for a, b in zip(new, delta))
            delta = [(a + b) / 2 for a, b in zip(new, delta)]
            if change < tol:
                break
        else:
            raise ConvergenceError("mpmath twin: fixed point not reached")
        Q = qbar(delta)
        Lam = mpmath.diag(lam)
        beta = [n * pi[g] / (1 + delta[g]) ** 2 for g in range(G)]
        QCQ = [Q * C[g] * Q for g in range(G)]
        A = mpmath.matrix(G, G)
        b = mpmath.matrix(G, 1)
        for g in range(G):
            b[g] = tr(C[g] * Q * Lam * Q)
            for h in range(G):
                A[g, h] = (1 if g == h else 0) - tr(C[g] * QCQ[h]) * beta[h]
        t = mpmath.lu_solve(A, b)
        errs = []
        for j in range(mm.coef.shape[1]):
            w = mpmath.matrix([mpmath.mpf(float(c)) / mpmath.sqrt(l) for c, l in zip(mm.coef[:, j], lam)])
            ty = mpmath.mpf(float(mm.target_tail[j]))
            first = (w.T * Q * Lam * Q * w)[0] + ty / (r * r)
            sec = mpmath.fsum(beta[h] * t[h] * ((w.T * QCQ[h] * w)[0] + rho[h] * ty / (r * r)) for h in range(G))
            errs.append(r * r * (first + sec))
        return float(mpmath.fsum(errs) / len(errs))


def _row_fixed_point(step, delta: np.ndarray, tol: float, max_iter: int, what: str):
    """``delta = step(delta)`` for the per-row leverages: plain steps while the relative change is below
    1e-2 (and for the first three), damped by half otherwise, to a relative residual ``tol``; else
    ConvergenceError.  Returns the fixed point and the number of steps."""
    res = np.inf
    for it in range(max_iter):
        new = step(delta)
        res = float(np.max(np.abs(new - delta) / (1.0 + delta)))
        if res < tol:
            return new, it + 1
        delta = new if res < 1e-2 or it < 3 else 0.5 * (new + delta)
    raise ConvergenceError(f"{what} deterministic equivalent: no fixed point in {max_iter} steps "
                           f"(relative residual {res:.2e})")


def rowwise_prediction(lam, phi, coef, ridge: float, n: float, *, tol: float = 1e-9, max_iter: int = 300) -> float:
    """The row-wise deterministic equivalent (docs/theory.md section 5a): every pool row is its own
    group, ``C_i = x_i x_i^T`` with ``pi_i = 1/P`` -- the law of a training row is the pool's empirical
    law itself, and the only assumption left is (A) for a fixed row: ``x_i^T Q_{-i} x_i ~ x_i^T Qbar x_i``.

    ``delta_i = x_i^T Qbar x_i``, ``Qbar = ((n/P) sum_i x_i x_i^T/(1+delta_i) + r)^{-1}`` by damped
    fixed-point iteration from eigenlearning (relative residual ``tol``, else ConvergenceError); then
    ``M_ij = (x_i^T Qbar x_j)^2`` and the second-order system of the module doc, a ``P x P`` solve.
    Returns the pool-measure test error (mean over outputs).  Cost ``O(P p^2)`` per iteration and a
    ``P^3`` solve: minutes at P = 2000 (a study tool, not in ``symrg gap``'s default path).
    """
    from .flows import Shells
    from .predictions import eigenlearning_ridge

    r = check_ridge(ridge)
    n = check_positive(n, "n")
    lam = np.asarray(lam, dtype=float)
    keep = lam > 1e-12 * lam[0]
    lam, phi = lam[keep], np.asarray(phi, dtype=float)[:, keep]
    coef = np.asarray(coef, dtype=float).reshape(keep.size, -1)[keep]
    P = phi.shape[0]
    F = phi * np.sqrt(lam)
    W = coef / np.sqrt(lam)[:, None]
    kap = eigenlearning_ridge(Shells.from_modes(lam), r, n)
    delta = np.full(P, max(n * kap / r - 1.0, 0.0))

    def solve(delta):
        M = (F.T * (n / P / (1.0 + delta))) @ F
        M[np.diag_indices_from(M)] += r
        cf = scipy.linalg.cho_factor(M, lower=True, check_finite=False)
        Z = scipy.linalg.cho_solve(cf, F.T, check_finite=False)      # Qbar x_i (p x P)
        return cf, Z, np.einsum("ij,ji->i", F, Z)

    delta, _ = _row_fixed_point(lambda d: solve(d)[-1], delta, tol, max_iter, "row-wise")
    cf, Z, _ = solve(delta)
    H = F @ Z
    beta = n / P / (1.0 + delta) ** 2
    b = np.sum((Z * lam[:, None]) * Z, axis=0)
    t = np.linalg.solve(np.eye(P) - (H ** 2) * beta[None, :], b)
    Qw = scipy.linalg.cho_solve(cf, W, check_finite=False)
    xQw = F @ Qw
    err = r * r * (np.sum(Qw * (lam[:, None] * Qw), axis=0) + (beta * t) @ (xQw ** 2))
    return float(np.mean(err))


# ---------------------------------------------------------------------------------------------
# The row-wise equivalent in kept modes, and its expansion in the leverage fluctuation
# ---------------------------------------------------------------------------------------------

def leverage_weights(delta: np.ndarray, order: int | None):
    """Per-row weights ``(a_i, b_i)`` = ``(1/(1+delta_i), 1/(1+delta_i)^2)`` of the row-wise equations
    (``order`` None), or their Taylor polynomials to ``order`` in the leverage fluctuation
    ``eps_i = delta_i - dbar`` about the pool mean ``dbar`` (docs/theory.md section 5a, "The
    perturbative route"): order 0 is the Gaussian-equivalent weight, order 1 adds the joint fourth
    cumulant of the kept features contracted with ``Qbar``, order 2 the leverage variance."""
    if order is None:
        return 1.0 / (1.0 + delta), 1.0 / (1.0 + delta) ** 2
    dbar = float(np.mean(delta))
    u = -(delta - dbar) / (1.0 + dbar)
    a = sum(u ** j for j in range(order + 1)) / (1.0 + dbar)
    b = sum((j + 1) * u ** j for j in range(order + 1)) / (1.0 + dbar) ** 2
    return a, b


def leverage_prediction(lam, phi, coef, ridge: float, n: float, kappa: int, *, row_tail=None, target_tail=None,
                        order: int | None = None, tol: float = 1e-9, max_iter: int = 300, info: dict | None = None) -> float:
    """The row-wise deterministic equivalent (:func:`rowwise_prediction`) with ``kappa`` kept modes,
    solved without any ``P x P`` matrix, and its perturbative truncations (docs/theory.md section 5a).

    Every pool row is its own group.  The top ``kappa`` modes are kept in full (features ``F = phi
    sqrt(lambda)``, ``P x kappa``); the other listed modes enter diagonally with their per-row values
    ``phi_k(x_i)^2`` (as the group theory's ``rest_phi2``, now per row); unlisted modes through the
    per-row unlisted power ``row_tail`` (``tail/r`` in ``delta_i``, nothing at second order) and the
    target's ``target_tail``.  First order: ``delta_i = x_i^T Qbar x_i`` with ``Qbar = ((n/P) sum_i a_i
    x_i x_i^T + r)^{-1}``; second order ``t = b + M diag(beta) t`` with ``beta_i = (n/P) b_i`` and
    ``M_ij = (x_i^T Qbar x_j)^2`` (kept part, plus the diagonal part of the listed rest), solved by GMRES
    with an ``O(P kappa^2)`` product (``M u = rowdiag(F Qbar (F^T diag(u) F) Qbar F^T)``).  ``(a_i, b_i)``
    from :func:`leverage_weights`: ``order`` None is the full row-wise equivalent, an integer its
    expansion in the leverage fluctuation.  Returns the pool-measure test error (mean over outputs);
    ``info``, when given, receives the expansion parameter at the solution (``u_rms``, ``u_max``: the
    RMS and largest ``|delta_i - dbar|/(1 + dbar)``; the series in it needs ``u_max < 1``) and
    the fixed-point ``iterations``.  Cost ``O(P kappa^2)`` per fixed-point step and per GMRES product.
    """
    import scipy.sparse.linalg as spla

    from .flows import Shells
    from .predictions import eigenlearning_ridge

    r = check_ridge(ridge)
    if r <= 0:
        raise ParameterError("ridge", ridge, "a positive ridge (the deterministic equivalent needs r > 0)")
    n = check_positive(n, "n")
    lam = np.clip(np.asarray(lam, dtype=float), 0.0, None)
    phi = np.asarray(phi)
    P, p = phi.shape
    kappa = check_int(kappa, "kappa", 1, p)
    if order is not None:
        order = check_int(order, "order", 0, 12)
    coef = np.asarray(coef, dtype=float).reshape(p, -1)
    m = coef.shape[1]
    rt = np.zeros(P) if row_tail is None else np.asarray(row_tail, dtype=float)
    ty = np.zeros(m) if target_tail is None else np.asarray(target_tail, dtype=float).reshape(m)
    T = float(np.mean(rt))
    lk, lr = lam[:kappa], lam[kappa:]
    if np.any(lk <= 0):
        raise ParameterError("kappa", kappa, "kept modes with positive eigenvalues")
    F = np.asarray(phi[:, :kappa], dtype=float) * np.sqrt(lk)
    R2 = np.asarray(phi[:, kappa:], dtype=float) ** 2                  # phi_k(x_i)^2 of the listed rest
    nP = n / P

    def solve(delta):
        a, _ = leverage_weights(delta, order)
        if np.any(a < 0):
            u = np.abs(delta - np.mean(delta)) / (1.0 + np.mean(delta))
            raise ConvergenceError(f"leverage expansion to order {order} breaks down at n = {n:g}: it gives "
                                   f"negative row weights (largest |eps|/(1+dbar) = {np.max(u):.2f}, the series "
                                   "needs < 1); use the full row-wise equivalent (order None)")
        A = (F.T * (nP * a)) @ F
        A[np.diag_indices_from(A)] += r
        cf = scipy.linalg.cho_factor(A, lower=True, check_finite=False)
        qrest = 1.0 / (nP * lr * (a @ R2) + r)
        Z = scipy.linalg.cho_solve(cf, F.T, check_finite=False)        # Qbar x_i, kept block (kappa x P)
        new = np.einsum("ij,ji->i", F, Z) + R2 @ (lr * qrest) + rt / r
        return cf, Z, qrest, new

    kap = eigenlearning_ridge(Shells.from_modes(lam, T), r, n)
    delta = np.full(P, max(n * kap / r - 1.0, 0.0))
    delta, steps = _row_fixed_point(lambda d: solve(d)[-1], delta, tol, max_iter, "leverage")
    cf, Z, qrest, _ = solve(delta)
    if info is not None:
        u = np.abs(delta - np.mean(delta)) / (1.0 + np.mean(delta))
        info.update(u_rms=float(np.sqrt(np.mean(u ** 2))), u_max=float(np.max(u)), iterations=steps)
    _, bw = leverage_weights(delta, order)
    beta = nP * bw
    Qk = scipy.linalg.cho_solve(cf, np.eye(kappa), check_finite=False)
    w_rest = (lr * qrest) ** 2

    def M(u):
        S = (F.T * u) @ F
        return np.einsum("ik,ki->i", F, Qk @ S @ Z) + R2 @ (w_rest * (R2.T @ u))

    b = np.einsum("ik,ki->i", F, (Qk * lk[None, :]) @ Z) + R2 @ (lr * lr * qrest ** 2)
    op = spla.LinearOperator((P, P), matvec=lambda v: v - M(beta * v), dtype=float)
    t, info = spla.gmres(op, b, x0=b, rtol=1e-10, atol=0.0, restart=60, maxiter=20)
    if info != 0:
        raise ConvergenceError(f"leverage deterministic equivalent: the second-order system did not converge "
                               f"(GMRES info {info}; the overfitting factor is too large at n = {n:g})")
    wk = coef[:kappa] / np.sqrt(lk)[:, None]
    cr = coef[kappa:]
    Qw = Qk @ wk
    first = np.sum(Qw * (lk[:, None] * Qw), axis=0) + (qrest ** 2) @ (cr ** 2) + ty / (r * r)
    rho = rt / T if T > 0 else np.ones(P)
    sec = (F @ Qw) ** 2 + R2 @ ((qrest ** 2)[:, None] * cr ** 2) + np.outer(rho, ty) / (r * r)
    err = r * r * (first + (beta * t) @ sec)
    return float(np.mean(err))
