"""The O(1/width) posterior mean (eq. P of :mod:`symrg.numerics.finite_width`): the NNGP posterior,
the coefficient of ``1/N`` by sampling single hidden units, and the same coefficient as an explicit
contraction of the kernel-fluctuation tensor ``C`` (eq. C)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._validate import check_finite_array, check_int, check_ridge
from ...errors import ParameterError, SymrgError
from .moments import _check_activation, _check_width, _input_factor, _second_moments, _unit_features

__all__ = ["gp_posterior_mean", "one_over_n_coefficient", "one_over_n_from_cov", "posterior_one_over_n"]


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
    return validate_regression_arrays(X, y, X_test, ridge)


def validate_regression_arrays(X, y, X_test, ridge):
    """``(X, y, X_test, ridge)`` checked: finite arrays of matching shapes, ridge > 0 (named errors)."""
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


def posterior_one_over_n(activation, X, y, X_test, width, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                         n_samples=400_000, seed=0):
    """``(m_GP, m_GP + c/N, sem of c/N)`` on the test inputs (eq. P)."""
    N = _check_width(width)
    c, sem = one_over_n_coefficient(activation, X, y, X_test, ridge, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                                    n_samples=n_samples, seed=seed)
    m = gp_posterior_mean(activation, X, y, X_test, ridge, sigma_w2, sigma_b2)
    return m, m + c / N, sem / N



def _sphere_problem(dim: int, n_train: int, n_test: int, seed: int):
    """Points on S^{d-1}; target ``y = sqrt(d) x_1 + d x_1 x_2`` (one degree-1 and one degree-2 harmonic)."""
    from ...data import sample_sphere
    rng = np.random.default_rng(seed)
    Z = sample_sphere(n_train + n_test, dim, rng)
    yfun = lambda x: math.sqrt(dim) * x[:, 0] + (dim * x[:, 0] * x[:, 1] if dim > 1 else 0.0)
    return Z[:n_train], yfun(Z[:n_train]), Z[n_train:]
