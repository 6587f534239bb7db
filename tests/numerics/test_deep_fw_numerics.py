"""Deep finite-width networks at one input: the derived O(1/N) recursion against Monte Carlo ensembles of
networks (conditional estimator, extrapolated in 1/N), the generated module against its mpmath twin, and
the one-layer limit against the existing closed forms."""
import numpy as np
import pytest

from symrg.errors import ParameterError
from symrg.numerics.finite_width import excess_kurtosis
from symrg.numerics.finite_width.deep import (activation_m4, deep_excess_kurtosis, deep_kurtosis_coefficient,
                                              deep_recursion)
from symrg.numerics.finite_width.deep_montecarlo import (deep_kurtosis_extrapolation, deep_kurtosis_mc,
                                                         fit_kurtosis_coefficient)


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_one_layer_limit_equals_existing_closed_form(activation):
    for N in (4, 16):
        assert deep_excess_kurtosis(activation, 1, N) == pytest.approx(excess_kurtosis(activation, N), rel=1e-12)
    if activation == "relu":
        assert deep_kurtosis_coefficient("relu", 1) == pytest.approx(15.0, rel=1e-14)


@pytest.mark.parametrize("activation", ["relu", "erf", "step"])
def test_generated_vs_mpmath_twin(activation):
    a = deep_recursion(activation, 4, sigma_w2=1.7, sigma_b2=0.3)
    b = deep_recursion(activation, 4, sigma_w2=1.7, sigma_b2=0.3, backend="mpmath")
    for x, y in ((a.K, b.K), (a.K1, b.K1), (a.V, b.V)):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


def test_erf_m4_quadrature_vs_mpmath():
    for q in (0.3, 1.0, 2.5):
        assert activation_m4("erf", q) == pytest.approx(activation_m4("erf", q, precise=True), rel=1e-10)


def test_chain_sampler_has_the_law_of_actual_networks():
    # the chain draws z^(l+1) = sqrt(s2) xi; the weights route multiplies N x N Gaussian matrices
    kw, sw = deep_kurtosis_mc("relu", 2, 8, 60_000, seed=3, method="weights")
    kc, sc = deep_kurtosis_mc("relu", 2, 8, 60_000, seed=4, method="chain")
    assert abs(kw - kc) < 4 * np.hypot(sw, sc)
    assert abs(kw - kc) < 0.1 * kw


@pytest.mark.slow
@pytest.mark.parametrize("activation,depth", [("relu", 2), ("relu", 3), ("erf", 3), ("step", 2)])
def test_recursion_against_monte_carlo(activation, depth):
    c = deep_kurtosis_coefficient(activation, depth)
    fit = deep_kurtosis_extrapolation(activation, depth, widths=(16, 32, 64, 128), draws=100_000, seed=11)
    assert abs(fit.c - c) < 4 * fit.c_se
    assert fit.c_se < 0.03 * c            # the test can see a 10% error


def test_fit_recovers_known_coefficients():
    N = np.array([8, 16, 32, 64])
    k = 5 / N + 7 / N ** 2
    f = fit_kurtosis_coefficient(N, k, np.full(4, 1e-4))
    assert f.c == pytest.approx(5, rel=1e-6) and f.d == pytest.approx(7, rel=1e-5)


def test_bad_input():
    with pytest.raises(ParameterError, match="activation"):
        deep_recursion("tanh", 2)
    with pytest.raises(ParameterError, match="depth"):
        deep_recursion("relu", 0)
    with pytest.raises(ParameterError, match="draws"):
        deep_kurtosis_mc("relu", 3, 4096, 10**7)
