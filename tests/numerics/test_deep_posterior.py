"""The O(1/N) posterior of deep finite-width networks (symrg.numerics.finite_width.deep_posterior, docs/theory.md
section 6x): the lowered pair recursion against literature closed forms, the depth-1 limit against the one-layer
route, the J/U recursion against brute-force Monte Carlo of the kernels of actual deep networks, and the
posterior against importance-sampled Monte Carlo of actual deep networks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from symrg.data import sample_sphere
from symrg.errors import ParameterError
from symrg.numerics.finite_width import kernel_fluctuation_cov, one_over_n_coefficient, one_over_n_from_cov
from symrg.numerics.finite_width.deep_posterior import (deep_metric_recursion, deep_one_over_n_coefficient,
                                                         deep_vertex_tensor)
from symrg.numerics.finite_width.deep_posterior_mc import (compare_deep_posteriors, deep_monte_carlo_posterior,
                                                            deep_network_kernels)
from symrg.numerics.finite_width.moments import _second_moments
from symrg.numerics.finite_width.posterior import _sphere_problem


def _cho_saul(G, sw=2.0):
    """Arc-cosine kernel of degree 1 (Cho & Saul 2009, eq. 6), the ReLU NNGP map, typed in as the literature form."""
    q = np.sqrt(np.diagonal(G, axis1=-2, axis2=-1))
    qq = q[..., :, None] * q[..., None, :]
    th = np.arccos(np.clip(np.divide(G, qq, out=np.ones_like(G), where=qq > 0), -1, 1))
    return sw / (2 * np.pi) * qq * (np.sin(th) + (np.pi - th) * np.cos(th))


def _williams(G, sw=2.0):
    """The erf NNGP map (Williams 1997)."""
    d = 1 + 2 * np.diag(G)
    return sw * 2 / np.pi * np.arcsin(2 * G / np.sqrt(np.outer(d, d)))


@pytest.mark.parametrize("act,ref", [("relu", _cho_saul), ("erf", _williams)])
def test_pair_kernel_and_jacobian_against_literature(act, ref):
    Z = sample_sphere(5, 3, np.random.default_rng(3))
    met = deep_metric_recursion(act, Z, 3)
    for l in range(3):
        np.testing.assert_allclose(met.K[l + 1], ref(met.K[l]), rtol=1e-12, atol=1e-14)
        # Jacobian: central differences of the literature map along a random symmetric direction
        D = np.random.default_rng(l).standard_normal((5, 5))
        D = D + D.T
        h = 1e-6
        fd = (ref(met.K[l] + h * D) - ref(met.K[l] - h * D)) / (2 * h)
        np.testing.assert_allclose(met.apply_jacobian(l, D), fd, rtol=1e-6, atol=1e-8)


def test_pair_level_vertex_matches_unit_monte_carlo():
    # the closed-form (lowered) pair entries of V against the tensor built from the unit Monte Carlo
    Z = sample_sphere(3, 3, np.random.default_rng(5))
    met = deep_metric_recursion("relu", Z, 2)
    _, _, V = deep_vertex_tensor("relu", Z, 2, n_samples=200_000, seed=1)
    i, j = 0, 2
    pairs = {"Vd": (V[i, i, i, i], met.Vd[-1][i]), "Vaabb": (V[i, i, j, j], met.Vaabb[-1][i, j]),
             "Waab": (V[i, i, i, j], met.Waab[-1][i, j]), "Wbba": (V[j, j, i, j], met.Waab[-1][j, i]),
             "Vabab": (V[i, j, i, j], met.Vabab[-1][i, j])}
    for name, (mc, closed) in pairs.items():
        assert abs(mc - closed) < 0.03 * abs(closed), (name, mc, closed)


def test_depth_one_limit_is_the_one_layer_coefficient():
    X, y, Xt = _sphere_problem(3, 6, 2, 2)
    Z = np.vstack([X, Xt])
    C = kernel_fluctuation_cov("relu", Z, 2.0)                  # quadrature tensor (eq. C)
    exact = one_over_n_from_cov(C, K=2.0 * _second_moments("relu", Z), y=y, n_train=6, ridge=0.1)
    deep = deep_one_over_n_coefficient("relu", X, y, Xt, 0.1, 1, n_samples=200_000, seed=4)
    one, one_se = one_over_n_coefficient("relu", X, y, Xt, 0.1, n_samples=200_000, seed=5)
    assert np.max(deep.sem) < 0.02 * np.max(np.abs(exact))
    assert np.all(np.abs(deep.c - exact) < 4 * deep.sem + 1e-12)
    assert np.max(np.abs(deep.c - exact)) < 0.05 * np.max(np.abs(exact))
    assert np.all(np.abs(deep.c - one) < 4 * np.hypot(deep.sem, one_se))
    np.testing.assert_array_equal(deep.c_k1, 0.0)               # one layer: E K_W = K exactly


@pytest.mark.slow
def test_vertex_and_mean_shift_against_actual_deep_networks():
    """V (N Cov K_W) and K1 (N (E K_W - K)) of depth-2 ReLU networks on 4 inputs: brute-force Monte Carlo of actual
    networks with N x N weight matrices at N = 32, 64, fitted by V + a/N, against the J/U recursion."""
    Z = sample_sphere(4, 3, np.random.default_rng(1))
    K, K1, V = deep_vertex_tensor("relu", Z, 2, n_samples=200_000, seed=2)
    widths, covs = (32, 64), []
    for N in widths:
        KW = deep_network_kernels("relu", Z, 2, N, 20_000, seed=N)
        D = KW - KW.mean(0)
        covs.append(N * np.einsum("sab,scd->abcd", D, D) / len(D))
    Vmc = 2 * covs[1] - covs[0]                                  # V + a/N at N = 32, 64 -> V
    assert np.linalg.norm(Vmc - V) < 0.05 * np.linalg.norm(V)
    assert abs(Vmc[0, 1, 2, 3] - V[0, 1, 2, 3]) < 0.1 * V[0, 1, 2, 3]     # four distinct inputs
    # K1 with the layer-2 noise integrated out exactly: E K_W = E F(G^(2)), F the literature ReLU map, over the
    # metric G^(2) of actual width-N first layers; E G^(2) = K^(2) exactly, so subtracting J (G^(2) - K^(2)) (any
    # fixed linear map) leaves the mean unchanged and removes the O(N^-1/2) noise
    met = deep_metric_recursion("relu", Z, 2)
    N = 64
    rng = np.random.default_rng(N)
    h = np.maximum(rng.standard_normal((40_000, N, 3)) @ Z.T, 0)
    G2 = 2.0 / N * np.einsum("sia,sib->sab", h, h)
    K1mc = N * (np.mean(_cho_saul(G2) - met.apply_jacobian(1, G2 - met.K[1]), axis=0) - K)
    assert np.max(np.abs(K1mc - K1)) < 0.05 * np.max(np.abs(K1))


def test_methods_weights_and_chain_agree():
    Z = sample_sphere(3, 3, np.random.default_rng(2))
    a = deep_network_kernels("relu", Z, 3, 12, 20_000, seed=1, method="weights")
    b = deep_network_kernels("relu", Z, 3, 12, 20_000, seed=2, method="chain")
    se = np.hypot(a.std(0), b.std(0)) / math.sqrt(20_000)
    assert np.all(np.abs(a.mean(0) - b.mean(0)) < 4.5 * se)
    np.testing.assert_allclose(a.var(0), b.var(0), rtol=0.1)


def test_errors():
    X, y, Xt = _sphere_problem(3, 4, 2, 0)
    with pytest.raises(ParameterError, match="depth"):
        deep_one_over_n_coefficient("relu", X, y, Xt, 0.1, 11)
    with pytest.raises(ParameterError, match="activation"):
        deep_one_over_n_coefficient("tanh", X, y, Xt, 0.1, 2)
    with pytest.raises(ParameterError, match="Z"):
        deep_metric_recursion("relu", np.vstack([X, X[:1]]), 2)
    with pytest.raises(ParameterError, match="method"):
        deep_monte_carlo_posterior("relu", X, y, Xt, 2, 8, 0.1, n_draws=100, method="exact")


def test_posterior_against_actual_deep_networks():
    """Depth 2, N = 128: importance-sampled Monte Carlo of actual networks (N x N weight matrices) is much closer to
    the O(1/N) prediction than to the GP limit (measured: RMS 0.003 vs 0.015, Monte Carlo error 0.001)."""
    X, y, Xt = _sphere_problem(3, 8, 3, 0)
    row = compare_deep_posteriors("relu", X, y, Xt, 2, 128, 0.1, n_draws=12_000, n_unit_samples=100_000, seed=3)
    assert row.ess > 2000 and row.resolved
    assert row.error_one_over_n < 0.35 * row.error_gp
    assert row.error_one_over_n < 3 * row.rms_sem + 0.1 * row.error_gp


def test_erf_pair_moments_against_monte_carlo():
    import scipy.special

    from symrg.numerics.finite_width.deep_posterior import _erf_pair_moments

    qa, qb, c = 1.3, 0.6, -0.5
    m22, m31 = _erf_pair_moments(qa, qb, c)
    fine = _erf_pair_moments(qa, qb, c, nodes=128)
    assert abs(m22 - fine[0]) < 1e-7 and abs(m31 - fine[1]) < 1e-7
    z = np.random.default_rng(0).standard_normal((1_000_000, 2)) @ np.linalg.cholesky([[qa, c], [c, qb]]).T
    a, b = scipy.special.erf(z[:, 0]), scipy.special.erf(z[:, 1])
    for val, s in ((m22, a * a * b * b), (m31, a ** 3 * b)):
        assert abs(val - s.mean()) < 4 * s.std() / 1000


def test_erf_and_step_run_at_depth_two():
    X, y, Xt = _sphere_problem(3, 5, 2, 0)
    for act in ("erf", "step"):
        r = deep_one_over_n_coefficient(act, X, y, Xt, 0.1, 2, n_samples=20_000, seed=1)
        assert np.all(np.isfinite(r.c)) and np.all(r.sem < 0.2 * np.max(np.abs(r.c)) + 1e-3)


def test_control_variates_keep_the_mean_and_cut_the_noise():
    """The controls of deep_monte_carlo_posterior have zero mean by construction (E[G^(l+1) | G^(l)] = F(G^(l))): on
    the same networks the estimate moves by less than its error, and the error shrinks."""
    X, y, Xt = _sphere_problem(3, 8, 3, 0)
    kw = dict(n_draws=8_000, seed=5, method="chain")
    plain = deep_monte_carlo_posterior("relu", X, y, Xt, 2, 256, 0.1, **kw)
    cv = deep_monte_carlo_posterior("relu", X, y, Xt, 2, 256, 0.1, control_variates=True, **kw)
    assert np.all(np.abs(cv.mean - plain.mean) < 2 * plain.sem)
    assert np.all(cv.sem < 0.75 * plain.sem)
    from symrg.numerics.finite_width.deep_posterior import layer_map
    G = np.stack([deep_metric_recursion("relu", sample_sphere(3, 3, np.random.default_rng(k)), 1).K[0] for k in range(2)])
    np.testing.assert_allclose(layer_map("relu", G), _cho_saul(G), rtol=1e-12, atol=1e-14)


def test_erf_posterior_against_deep_networks():
    """erf, depth 2, N = 64 (measured: RMS 0.006 for O(1/N) vs 0.053 for the GP, Monte Carlo error 0.001)."""
    X, y, Xt = _sphere_problem(3, 8, 3, 0)
    row = compare_deep_posteriors("erf", X, y, Xt, 2, 64, 0.1, n_draws=8_000, n_unit_samples=50_000, seed=2,
                                  method="chain")
    assert row.resolved and row.error_one_over_n < 0.25 * row.error_gp


def test_deep_quartic_coupling_depth_one_is_the_one_layer_coupling():
    """At L = 1 the deep mode-space coupling (unit Monte Carlo) equals the one-layer coupling computed from the
    exact four-point tensor by quadrature (``quartic_coupling(method="quadrature")``) within 1% of its largest
    entry: a 10% error fails."""
    from symrg.numerics.finite_width.coupling import quartic_coupling
    from symrg.numerics.finite_width.deep_posterior import deep_quartic_coupling
    from symrg.numerics.finite_width.posterior import _sphere_problem

    X, _, _ = _sphere_problem(3, 6, 1, 0)
    for act in ("relu", "erf"):
        q = quartic_coupling(act, X, 32, 3, method="quadrature")
        d = deep_quartic_coupling(act, X, 32, 1, 3, n_samples=100_000)
        scale = np.max(np.abs(q.kappa4))
        assert np.max(np.abs(d.kappa4 - q.kappa4)) < 0.01 * scale
        assert np.allclose(d.eigenvalues, q.eigenvalues, rtol=1e-10)


def test_deep_quartic_coupling_against_actual_networks():
    """At L = 2 the output's fourth cumulant in the top 3 modes, ``kappa_4 = (V + V + V)/N`` from the unit Monte
    Carlo, against the covariance pairings of the projected output kernels of 20,000 actual width-64 depth-2
    networks (O(1/N) differences expected): within 4% of the largest entry (measured about 1%)."""
    from symrg.numerics.finite_width.deep_posterior import deep_quartic_coupling
    from symrg.numerics.finite_width.deep_posterior_mc import deep_network_kernels
    from symrg.numerics.finite_width.posterior import _sphere_problem

    X, _, _ = _sphere_problem(3, 6, 1, 0)
    N = 64
    d = deep_quartic_coupling("relu", X, N, 2, 3, n_samples=100_000)
    G = deep_network_kernels("relu", X, 2, N, 20_000, seed=3)
    proj = d.modes / X.shape[0]
    a = np.einsum("ik,sij,jl->skl", proj, G, proj)
    a -= a.mean(0)
    C = np.einsum("skl,smn->klmn", a, a) / len(a)
    k4 = C + C.transpose(0, 2, 1, 3) + C.transpose(0, 3, 2, 1)
    assert np.max(np.abs(d.kappa4 - k4)) < 0.04 * np.max(np.abs(k4))
    assert np.all(np.isfinite(d.U)) and d.U[0, 0, 0, 0] < 0          # U = -kappa4/lambda^4 < 0 on the diagonal
