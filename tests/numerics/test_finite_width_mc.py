"""Monte Carlo of the single-input excess kurtosis of finite-width networks (docs/theory.md sections 2 and 6)."""
import numpy as np
import pytest

from symrg.errors import ParameterError
from symrg.numerics.finite_width import excess_kurtosis, excess_kurtosis_mc


@pytest.mark.parametrize("activation, width, sigma_b2", [("relu", 4, 0.0), ("relu", 16, 0.0), ("erf", 8, 0.0),
                                                         ("relu", 8, 0.5)])
def test_mc_agrees_with_the_closed_form(activation, width, sigma_b2):
    est, se = excess_kurtosis_mc(activation, width, 40_000, seed=3, sigma_b2=sigma_b2)
    theory = excess_kurtosis(activation, width, sigma_b2=sigma_b2)
    assert se < 0.03 * theory                     # resolves a 10% error
    assert abs(est - theory) < 4 * se


def test_mc_is_seeded_and_its_error_shrinks():
    a = excess_kurtosis_mc("relu", 4, 4_000, seed=1)
    assert excess_kurtosis_mc("relu", 4, 4_000, seed=1) == a
    assert excess_kurtosis_mc("relu", 4, 4_000, seed=2) != a
    _, se_big = excess_kurtosis_mc("relu", 4, 64_000, seed=1)
    assert se_big == pytest.approx(a[1] / 4, rel=0.25)          # 16 x the draws: se / 4


def test_mc_detects_a_wrong_width():
    """The estimator resolves 15/N from 15/(1.1 N): the ground truth can tell a 10% error."""
    est, se = excess_kurtosis_mc("relu", 16, 40_000, seed=0)
    assert abs(est - 1.1 * excess_kurtosis("relu", 16)) > 4 * se


def test_mc_errors():
    with pytest.raises(ParameterError, match="draws"):
        excess_kurtosis_mc("relu", 4, 10)
    with pytest.raises(ParameterError, match="width"):
        excess_kurtosis_mc("relu", 0, 1000)
    with pytest.raises(ParameterError, match="activation"):
        excess_kurtosis_mc("tanh", 4, 1000)
    with pytest.raises(ParameterError, match="sigma_b2"):
        excess_kurtosis_mc("relu", 4, 1000, sigma_b2=-1.0)
    assert np.isfinite(excess_kurtosis_mc("erf", 1, 1000)[0])
