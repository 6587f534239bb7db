"""Numerics of the input-dependent ridge, diagnostics and the ridge-map CLI (docs/theory.md section 5)."""

import numpy as np
import pytest

from symrg.numerics import input_ridge as ir
from symrg.errors import DataError, ParameterError
from symrg.spectra.empirical import EmpiricalSpectrum
from symrg.spectra.kernels import NNGPKernel


@pytest.fixture(scope="module")
def sphere_pool():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((150, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    K = NNGPKernel("relu", 2).gram(X, X)
    y = np.sign(X[:, 0] + 0.3 * X[:, 1] ** 2 - 0.1)
    return X, K, y, EmpiricalSpectrum.from_gram(K)


def test_gaussian_features_reduce_to_universal_ridge():
    r = ir.gaussian_features_check(n_samples=2000, n_kept=4, n_greater=20)
    assert r["rel_dev_exact_cumulants"] < 1e-14          # exact zero cumulants: the constant
    assert r["flow_dev_exact_cumulants"] < 1e-14         # flow = -lambda_kappa
    assert r["z3_median"] < 2.0                          # estimated c3 consistent with zero
    assert r["rel_spread_estimated"] < 5 * r["expected_rel_spread_scale"]


def test_sphere_whole_shells_give_constant_ridge():
    r = ir.sphere_shell_check(n_points=800, l_kept=1, lmax=3)
    assert r["shell_sum_dev"] < 1e-12                    # addition theorem, sum_m Y_lm^2 = 2l + 1
    assert r["whole_shells"]["rel_spread_sigma2_x"] < 1e-12
    assert abs(r["whole_shells"]["sigma2_x_mean"] / r["whole_shells"]["sigma2_const"] - 1) < 1e-12
    assert r["half_last_shell"]["rel_spread_sigma2_x"] > 1e-3
    assert max(abs(k) for k in r["excess_kurtosis_greater"]) > 0.2   # harmonics are not Gaussian


def test_c3_is_the_projection_coefficient_on_the_pool(sphere_pool):
    _, _, _, sp_ = sphere_pool
    phi = sp_.phi
    cum = ir.estimate_cumulants(phi[:, 10:], phi[:, :10], c4="full", m_full=4, warn=False)
    np.testing.assert_allclose(cum.c3, (phi[:, 10:] ** 2 - 1).T @ phi[:, :10] / phi.shape[0], atol=1e-12)
    assert cum.c4.shape == (phi.shape[1] - 10, 4, 4)
    np.testing.assert_allclose(np.einsum("kqq->kq", cum.c4), cum.c4d[:, :4], atol=1e-12)


def test_few_samples_warn_with_standard_error():
    rng = np.random.default_rng(0)
    with pytest.warns(ir.CumulantWarning, match="standard error"):
        ir.estimate_cumulants(rng.standard_normal((10, 3)), rng.standard_normal((10, 2)))
    with pytest.raises(DataError):
        ir.estimate_cumulants(np.ones((2, 1)), np.ones((2, 1)))
    with pytest.raises(ParameterError):
        ir.estimate_cumulants(np.ones((5, 1)), np.ones((5, 1)), c4="bogus")


def test_input_ridge_limits_and_errors(sphere_pool):
    _, _, _, sp_ = sphere_pool
    P = sp_.n_points
    r = ir.input_ridge(sp_, P, 0.01)
    assert np.all(r.sigma2_x == 0.01) and r.sigma2_const == 0.01
    with pytest.raises(ParameterError):
        ir.input_ridge(sp_, P + 1, 0.01)
    for c4 in ir.C4_MODES:
        r = ir.input_ridge(sp_, 20, 0.01, c4=c4, warn=False)
        assert r.sigma2_x.shape == (P,) and np.all(r.sigma2_x >= 0.01)
        # the mean of sigma^2(x) over the pool stays near the constant ridge (same tail mass)
        assert abs(np.mean(r.sigma2_x) - r.sigma2_const) < 0.5 * (r.sigma2_const - 0.01)


def test_ridge_flow_shapes_and_gaussian_part(sphere_pool):
    _, _, _, sp_ = sphere_pool
    f = ir.ridge_flow(sp_, [1, 5, 20], 0.01)
    assert f["sigma2_x"].shape == (3, sp_.n_points) and f["flow"].shape == (3, sp_.n_points)
    # kappa = 1: no kept feature to condition on, the flow is the constant -lambda_1
    assert np.allclose(f["flow"][0], f["flow_const"][0])
    # the pool average of E[phi_k^2 | phi_<] is 1 up to the constant-mode correction
    assert np.all(np.abs(f["flow"].mean(1) / np.array(f["flow_const"]) - 1) < 0.5)


def test_compare_four_models(sphere_pool):
    _, K, y, sp_ = sphere_pool
    d = ir.compare_input_ridge(K, y, 0.01, 60, [5, 30, 150], seed=1, spectrum=sp_, extra_c4=("full",))
    for v in ("truncated", "renormalized_const", "renormalized_x", "exact_diagonal", "renormalized_x_full"):
        assert len(d["rel_error"][v]) == 3 and len(d["test_mse"][v]) == 3
        assert d["rel_error"][v][-1] < 1e-8             # kappa = P: every variant is the full GP
    assert len(d["gap_closed"]) == 3
