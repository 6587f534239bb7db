"""Checks of the finite-width network: closed-form four-point moments, kurtosis, and the O(1/N)
posterior shift by the engine against the kernel-fluctuation covariance (:func:`engine_cross_check`) (docs/theory.md section 7)."""
from __future__ import annotations

import numpy as np

from .registry import _rel, check

__all__ = ["engine_cross_check"]


def engine_cross_check(activation: str = "relu", width: int = 8, *, ridge: float = 0.1, seed: int = 0) -> dict:
    """The O(1/N) posterior shift by two independent routes on a tiny problem (2 training points, 1 test
    point on S^2): eq. P contracted with the exact (quadrature) tensor C, and the Wilsonian engine
    applied to the Edgeworth action (:func:`symrg.theory.finite_width.edgeworth_posterior_shift`)."""
    from ..numerics.finite_width import (_check_width, _second_moments, _sphere_problem, kernel_fluctuation_cov,
                                         one_over_n_from_cov)
    from ..theory.finite_width import edgeworth_posterior_shift

    X, y, Xt = _sphere_problem(3, 2, 1, seed)
    Z = np.vstack([X, Xt])
    N = _check_width(width)
    C = kernel_fluctuation_cov(activation, Z, 2.0)
    K = 2.0 * _second_moments(activation, Z)
    delta_cov = one_over_n_from_cov(C, K=K, y=y, n_train=2, ridge=ridge) / N
    k4 = (C + C.transpose(0, 2, 1, 3) + C.transpose(0, 3, 2, 1)) / N
    delta_engine = edgeworth_posterior_shift(K, k4, y, n_train=2, ridge=ridge)
    return {"delta_cov_route": delta_cov.tolist(), "delta_engine_route": np.asarray(delta_engine).tolist()}


@check("finite_width.four_point_closed_form", "E[relu(u)^p relu(v)^(4-p)] (Cho-Saul type arc integrals)",
       "SymPy-derived closed forms", "mpmath polar quadrature (angle and radius), 30 digits", 1e-12)
def _fw_four_point():
    import mpmath

    from ..numerics.finite_width import relu_pair_moment

    worst = 0.0
    for p, c in ((2, 0.35), (3, -0.7), (2, -0.2)):
        with mpmath.workdps(30):
            # 2-d Gaussian integral in polar coordinates (z1, z2) = r (cos t, sin t), u = z1,
            # v = r cos(t - phi) with cos(phi) = rho; the angular range is split where u or v changes
            # sign, so every piece is smooth; the radial integral is done numerically as well.
            phi = mpmath.acos(c)
            cuts = sorted({float(x % (2 * mpmath.pi)) for x in (mpmath.pi / 2, 3 * mpmath.pi / 2,
                                                                  phi + mpmath.pi / 2, phi + 3 * mpmath.pi / 2)})
            edges = [mpmath.mpf(0)] + [mpmath.mpf(x) for x in cuts] + [2 * mpmath.pi]
            radial = mpmath.quad(lambda r: r ** 5 * mpmath.exp(-r * r / 2), [0, mpmath.inf])

            def ang(t):
                a, b = mpmath.cos(t), mpmath.cos(t - phi)
                return a ** p * b ** (4 - p) if (a > 0 and b > 0) else mpmath.mpf(0)

            val = radial * mpmath.quad(ang, edges) / (2 * mpmath.pi)
        worst = max(worst, _rel(relu_pair_moment(p, 1.0, 1.0, c), float(val)))
    return worst, "unit variances; (p, rho) in {(2, .35), (3, -.7), (2, -.2)}"


@check("finite_width.kurtosis", "single-input excess kurtosis of a width-N ReLU network = 15/N",
       "closed-form moments", "exact rational 15/N", 1e-12)
def _fw_kurtosis():
    from ..numerics.finite_width import excess_kurtosis

    return max(abs(excess_kurtosis("relu", N) * N / 15 - 1) for N in (1, 8, 64)), "N in {1, 8, 64}"


@check("finite_width.engine_vs_covariance", "O(1/N) posterior shift of a finite-width network",
       "Wilsonian engine on the Edgeworth action", "contraction of the kernel-fluctuation covariance", 1e-10)
def _fw_engine():
    worst, det = 0.0, []
    for act in ("relu", "erf"):
        r = engine_cross_check(act, 8)
        a, b = np.asarray(r["delta_cov_route"], dtype=float), np.asarray(r["delta_engine_route"], dtype=float)
        worst = max(worst, _rel(a, b))
        det.append(f"{act}: {a.ravel()[0]:.12g} vs {b.ravel()[0]:.12g}")
    return worst, "; ".join(det)
