"""Finite-width networks: four-point closed forms vs mpmath vs Monte Carlo, the O(1/N)
posterior by two routes (eq. P contraction vs engine on the Edgeworth action), the Monte Carlo
ground truth, bad input, CLI."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from symrg.errors import ParameterError
from symrg.numerics.finite_width import (
    DegenerateWeightsWarning, activation_moment, activation_moment_mc,
    compare_posteriors, excess_kurtosis, four_point_function, gp_posterior_mean,
    kernel_fluctuation_cov, monte_carlo_posterior, one_over_n_coefficient, one_over_n_from_cov,
    quartic_coupling, relu_pair_moment, single_input_moments,
)
from symrg.numerics.finite_width.moments import _second_moments
from symrg.numerics.finite_width.posterior import _sphere_problem


# ----------------------------------------------------------------------- closed forms / mpmath --
def _mp_relu_pair(p, rho):
    """E[relu(u)^p relu(v)^(4-p)], unit variances: integrate u in mpmath, v | u in closed form
    (E[relu(m + s z)^k] for k = 1..3 from the half-normal partial moments)."""
    rho = mpmath.mpf(rho)
    s = mpmath.sqrt(1 - rho ** 2)

    def cond(m, k):  # E[(m + s z)^k 1{m + s z > 0}]
        a = m / s
        Phi, phi = mpmath.ncdf(a), mpmath.npdf(a)
        # partial moments of z on (-a, inf): J0 = Phi(a), J1 = phi(a), J2 = Phi(a) - a phi(a), J3 = (2 + a^2) phi(a)
        J = [Phi, phi, Phi - a * phi, (2 + a * a) * phi]
        return sum(mpmath.binomial(k, j) * m ** (k - j) * s ** j * J[j] for j in range(k + 1))

    return mpmath.quad(lambda u: mpmath.npdf(u) * u ** p * cond(rho * u, 4 - p), [0, mpmath.inf])


@pytest.mark.parametrize("p", [2, 3])
@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.35, 0.9])
def test_relu_pair_closed_form_vs_mpmath_and_arc(p, rho):
    with mpmath.workdps(30):
        ref = float(_mp_relu_pair(p, rho))
    assert relu_pair_moment(p, 1.0, 1.0, rho) == pytest.approx(ref, rel=1e-12, abs=1e-14)
    cov = np.array([[1.0, rho], [rho, 1.0]])
    idx = [0] * p + [1] * (4 - p)
    assert activation_moment("relu", cov[np.ix_(idx, idx)]) == pytest.approx(ref, rel=1e-11, abs=1e-14)


def test_relu_pair_scaling_and_mc():
    q1, q2, c = 1.3, 0.7, 0.4
    cov = np.array([[q1, c], [c, q2]])
    idx = [0, 0, 0, 1]
    val = relu_pair_moment(3, q1, q2, c)
    mc, sem = activation_moment_mc("relu", cov[np.ix_(idx, idx)], 400_000, rng=1)
    assert abs(mc - val) < 4 * sem
    assert activation_moment("relu", cov[np.ix_(idx, idx)]) == pytest.approx(val, rel=1e-12)


def test_single_input_moments_vs_mpmath():
    m2, m4 = single_input_moments("relu", 1.7)
    assert (m2, m4) == (pytest.approx(1.7 / 2), pytest.approx(1.5 * 1.7 ** 2))
    with mpmath.workdps(25):
        e2 = mpmath.quad(lambda z: mpmath.npdf(z) * mpmath.erf(z) ** 2, [-mpmath.inf, 0, mpmath.inf])
        e4 = mpmath.quad(lambda z: mpmath.npdf(z) * mpmath.erf(z) ** 4, [-mpmath.inf, 0, mpmath.inf])
    m2, m4 = single_input_moments("erf", 1.0)
    assert m2 == pytest.approx(float(e2), rel=1e-13)
    assert m4 == pytest.approx(float(e4), rel=1e-13)


def test_excess_kurtosis():
    assert excess_kurtosis("relu", 1) == pytest.approx(15.0)          # 3 * 4 * (3/2 - 1/4) / 1
    assert excess_kurtosis("relu", 30) == pytest.approx(0.5)
    m2, m4 = single_input_moments("erf")
    assert excess_kurtosis("erf", 4) == pytest.approx(3 * (m4 - m2 ** 2) / m2 ** 2 / 4)
    # Monte Carlo of the network output at one input, N = 2
    rng = np.random.default_rng(3)
    u = rng.standard_normal((400_000, 2))
    v = rng.normal(0, math.sqrt(2), (400_000, 2))
    f = (v * np.maximum(u, 0)).sum(1) / math.sqrt(2)
    k = np.mean(f ** 4) / np.mean(f ** 2) ** 2 - 3
    assert k == pytest.approx(7.5, rel=0.08)


def test_second_moments_match_nngp_kernel(rng):
    X = rng.standard_normal((3, 4))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    G = X @ X.T
    for act in ("relu", "erf"):
        M = _second_moments(act, X)
        assert activation_moment(act, G[:2, :2]) == pytest.approx(M[0, 1], rel=1e-8)


@pytest.mark.parametrize("act,dim", [("relu", 3), ("relu", 5), ("erf", 3), ("erf", 5)])
def test_general_four_point_vs_mc(act, dim):
    rng = np.random.default_rng(dim)
    X = rng.standard_normal((4, dim))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    G = X @ X.T
    val = activation_moment(act, G)
    mc, sem = activation_moment_mc(act, G, 1_000_000, rng=7)
    assert abs(val - mc) < 4 * sem + 1e-12


def test_rank3_relu_converged():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((4, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    G = X @ X.T
    assert activation_moment("relu", G) == pytest.approx(activation_moment("relu", G, nodes=16384), rel=1e-7)


def test_four_point_function_symmetries():
    X, _, _ = _sphere_problem(3, 3, 0, 0)
    k4 = four_point_function("relu", X, 4)
    assert np.allclose(k4, k4.transpose(1, 0, 2, 3)) and np.allclose(k4, k4.transpose(2, 1, 0, 3))
    assert k4[0, 0, 0, 0] == pytest.approx(15.0 / 4, rel=1e-10)        # kurtosis 15/N, K(x,x) = 1


# ----------------------------------------------------------------------------- the coupling --
def test_quartic_coupling_mc_vs_quadrature():
    X, _, _ = _sphere_problem(3, 4, 0, 2)
    q = quartic_coupling("relu", X, 10, 2, method="quadrature")
    m = quartic_coupling("relu", X, 10, 2, method="mc", n_samples=200_000, seed=1)
    assert np.allclose(q.eigenvalues, m.eigenvalues)
    assert np.all(np.abs(m.kappa4 - q.kappa4) < 5 * m.kappa4_sem + 1e-9)
    assert q.U[0, 0, 0, 0] < 0                    # positive kurtosis -> negative action coupling
    assert q.u_local < 0 and 0 <= q.local_residual < 1


# --------------------------------------------------------------------------- O(1/N) posterior --
def test_one_over_n_two_routes():
    """MC over single units vs the exact (quadrature) contraction of C."""
    X, y, Xt = _sphere_problem(3, 3, 2, 1)
    Z = np.vstack([X, Xt])
    for act in ("relu", "erf"):
        C = kernel_fluctuation_cov(act, Z)
        exact = one_over_n_from_cov(C, K=2 * _second_moments(act, Z), y=y, n_train=3, ridge=0.1)
        c, sem = one_over_n_coefficient(act, X, y, Xt, 0.1, n_samples=200_000, seed=3)
        assert np.all(np.abs(c - exact) < 4 * sem)


def test_monte_carlo_large_width_is_gp():
    X, y, Xt = _sphere_problem(3, 4, 3, 0)
    mc = monte_carlo_posterior("erf", X, y, Xt, 2048, 0.1, n_draws=2000, seed=0)
    gp = gp_posterior_mean("erf", X, y, Xt, 0.1)
    assert np.all(np.abs(mc.mean - gp) < 5 * mc.sem + 2e-3)
    assert mc.ess > 1500


def test_monte_carlo_stop_rule_sizes_the_run():
    """The ``stop`` hook of the Monte Carlo (the per-cell sizing of the width sweep): asked at group
    boundaries from the second group on with the estimate so far; ``True`` ends the run there; never
    ``True`` changes nothing (same bytes).  The stopped estimate agrees with the full run within the
    stopped run's own error (4 s.e.; a stopped run that kept only a tenth of the draws but reported the
    full run's s.e. -- a 3x too small error -- would fail the s.e. check)."""
    X, y, Xt = _sphere_problem(3, 4, 3, 0)
    full = monte_carlo_posterior("relu", X, y, Xt, 64, 0.1, n_draws=4000, seed=0)
    seen = []
    same = monte_carlo_posterior("relu", X, y, Xt, 64, 0.1, n_draws=4000, seed=0,
                                 stop=lambda part: seen.append(part.n_draws) or False)
    assert seen == [200 * k for k in range(2, 20)]
    assert np.array_equal(same.mean, full.mean) and np.array_equal(same.sem, full.sem) and same.ess == full.ess
    part = monte_carlo_posterior("relu", X, y, Xt, 64, 0.1, n_draws=4000, seed=0, stop=lambda p: p.n_draws >= 600)
    assert part.n_draws == 600
    assert np.all(np.abs(part.mean - full.mean) < 4 * part.sem)
    assert np.all(part.sem > 2 * full.sem)                        # sqrt(4000 / 600) = 2.6 x the full run's s.e.
    comp = compare_posteriors("relu", X, y, Xt, 64, 0.1, n_draws=4000, n_unit_samples=20_000, seed=0,
                              stop=lambda c: c.ess > 0 and c.rms_sem > 0)
    assert comp.n_draws == 400


def test_one_over_n_beats_gp_small_problem():
    X, y, Xt = _sphere_problem(3, 3, 2, 1)
    comp = compare_posteriors("erf", X, y, Xt, 32, 0.3, n_draws=60_000, n_unit_samples=100_000, seed=0)
    assert comp.resolved
    assert comp.error_one_over_n < comp.error_gp


# ------------------------------------------------------------------------------- bad input --
def test_bad_input():
    X, y, Xt = _sphere_problem(3, 3, 2, 1)
    with pytest.raises(ParameterError, match="width"):
        monte_carlo_posterior("relu", X, y, Xt, 0, 0.1)
    with pytest.raises(ParameterError, match="width"):
        excess_kurtosis("relu", 0)
    with pytest.raises(ParameterError, match="activation"):
        excess_kurtosis("tanh", 4)
    with pytest.raises(ParameterError, match="activation"):
        one_over_n_coefficient("gelu", X, y, Xt, 0.1)
    with pytest.raises(ParameterError, match="y"):
        gp_posterior_mean("relu", X, y[:2], Xt, 0.1)


def test_degenerate_weights_warn():
    X, y, Xt = _sphere_problem(3, 12, 2, 1)
    with pytest.warns(DegenerateWeightsWarning, match="effective sample size"):
        mc = monte_carlo_posterior("relu", X, 5 * y, Xt, 2, 1e-3, n_draws=200, seed=0)
    assert mc.degenerate and mc.ess < 200


# ------------------------------------------------------------------------------------- CLI --


# ---------------------------------------------------------------------------- derivation --


