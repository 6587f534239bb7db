"""Gaussian ridge flow: discrete sums, the ODE, closed forms, IR stop and predictions."""
import math

import mpmath
import numpy as np
import pytest

from symrg.errors import ParameterError
from symrg.numerics.flows import (Shells, flow_ode, flow_ode_powerlaw, ir_stop, learnability, renormalized_ridge,
                                  renormalized_ridge_at)
from symrg.numerics.predictions import (eigenlearning_prediction, eigenlearning_ridge, fit_exponent,
                                        powerlaw_exponent_check, rg_prediction)
from symrg._generated import gaussian_flow as g


@pytest.fixture
def powerlaw():
    k = np.arange(1, 3001, dtype=float)
    return Shells.from_modes(0.5 * k ** -2.5)


def test_renormalized_ridge_is_tail_sum(powerlaw):
    s2 = renormalized_ridge(powerlaw, 0.01)
    lam = powerlaw.lam
    for kappa in [0, 1, 17, 2999, 3000]:
        direct = 0.01 + math.fsum(lam[kappa:])
        assert s2[kappa] == pytest.approx(direct, rel=1e-14)
    # flow: sigma^2_kappa - sigma^2_{kappa-1} = -lambda_kappa (eq. 4.2, discrete)
    assert np.allclose(np.diff(s2), -lam, rtol=1e-12, atol=4 * np.finfo(float).eps * s2[0])


def test_ode_reproduces_discrete_flow(powerlaw):
    grid = np.array([0, 1, 2.5, 10, 100.25, 2999, 3000])
    _, ode = flow_ode(Shells.from_modes(powerlaw.lam[:300]), 0.01, np.minimum(grid, 300))
    s2 = renormalized_ridge(Shells.from_modes(powerlaw.lam[:300]), 0.01)
    for kap, val in zip(np.minimum(grid, 300), ode):
        assert val == pytest.approx(np.interp(kap, np.arange(301), s2), rel=1e-10)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_powerlaw_hurwitz_against_mpmath_sum(alpha):
    A = 0.7
    for kappa in [0, 3, 50]:
        with mpmath.workdps(30):
            # Euler-Maclaurin summation of the series itself (the default nsum extrapolation
            # is unreliable for slowly converging series at small alpha)
            direct = mpmath.nsum(lambda k: A * k ** (-(1 + alpha)), [kappa + 1, mpmath.inf],
                                 method="euler-maclaurin")
        assert g.sigma2_powerlaw(0.1, A, alpha, kappa) == pytest.approx(0.1 + float(direct), rel=1e-12)


def test_powerlaw_ode_against_continuum_closed_form():
    # continuum flow d s2/d kappa = -A kappa^-(1+alpha) integrates to s2 + A kappa^-alpha / alpha
    kap = np.array([1.0, 10.0, 1000.0])
    ode = flow_ode_powerlaw(2.0, 0.8, 0.05, kap)
    closed = g.sigma2_powerlaw_asymptotic(0.05, 2.0, 0.8, kap)
    assert np.allclose(ode, closed, rtol=1e-8)
    # and the discrete (Hurwitz) form approaches it at large kappa, with relative gap O(1/kappa)
    disc = g.sigma2_powerlaw(0.0, 2.0, 0.8, 1000.0)
    cont = g.sigma2_powerlaw_asymptotic(0.0, 2.0, 0.8, 1000.0)
    assert abs(disc / cont - 1) < 2e-3


def test_shells_with_multiplicity_equal_expanded_modes():
    lam = np.array([0.5, 0.1, 0.01])
    mult = np.array([1.0, 3.0, 5.0])
    sh = Shells(lam, mult, tail=0.02)
    ex = Shells.from_modes(np.repeat(lam, mult.astype(int)), tail=0.02)
    assert renormalized_ridge_at(sh, 0.1, 4) == pytest.approx(renormalized_ridge(ex, 0.1)[4])
    assert renormalized_ridge_at(sh, 0.1, 2) == pytest.approx(renormalized_ridge(ex, 0.1)[2])
    for n in [3, 30]:
        a = eigenlearning_prediction(sh, 0.1, n).test_error
        b = eigenlearning_prediction(ex, 0.1, n).test_error
        assert a == pytest.approx(b, rel=1e-10)


def test_ir_stop_rules_coincide_and_are_monotone(powerlaw):
    T = 0.5
    a = ir_stop(powerlaw, 1e-3, 200, rule="learnability", threshold=T)
    b = ir_stop(powerlaw, 1e-3, 200, rule="scale", scale=T / (1 - T))
    assert a.kappa == b.kappa > 0
    # kept modes are learnable under the running ridge, the first integrated one is not
    s = a.n_shells_kept
    assert learnability(powerlaw.lam[s - 1], a.sigma2, 200) >= T
    assert learnability(powerlaw.lam[s], renormalized_ridge(powerlaw, 1e-3)[s + 1], 200) < T
    kaps = [ir_stop(powerlaw, 1e-3, n).kappa for n in [10, 100, 1000, 10000]]
    assert kaps == sorted(kaps) and kaps[0] < kaps[-1]


def test_eigenlearning_ridge_solves_its_equation(powerlaw):
    for n in [10, 300]:
        kap = eigenlearning_ridge(powerlaw, 1e-2, n)
        lhs = np.sum(powerlaw.lam / (powerlaw.lam + kap)) + 1e-2 / kap
        assert lhs == pytest.approx(n, rel=1e-10)


def test_rg_and_eigenlearning_agree_when_few_modes_are_learnable():
    # docs/theory.md section 4: n kappa_eff = sigma^2 + sum_k lambda_k (1 - L_k), whose leading term is
    # sigma_c^2; with a large ridge the learnable modes are few against n and the two effective
    # ridges (kappa_eff and sigma*^2/n) must agree closely.
    k = np.arange(1, 20001, dtype=float)
    sh = Shells.from_modes(k ** -2.0)
    for n in [100, 1000]:
        rg = rg_prediction(sh, 1.0, n)
        el = eigenlearning_prediction(sh, 1.0, n)
        assert rg.effective_ridge == pytest.approx(el.effective_ridge, rel=0.1)
        assert rg.test_error == pytest.approx(el.test_error, rel=0.15)


def test_powerlaw_scaling_exponent():
    # fixed sigma^2 dominating the tail: E ~ eta^(-alpha/(1+alpha))
    out = powerlaw_exponent_check(1.0, ridge=1.0, n_modes=200_000, ns=np.logspace(3, 5, 7))
    assert out["eigenlearning_slope"] == pytest.approx(out["expected"], abs=0.05)
    assert out["rg_slope"] == pytest.approx(out["expected"], abs=0.05)


def test_fit_exponent_exact():
    x = np.array([1, 2, 4, 8.0])
    s, se = fit_exponent(x, 3 * x ** -0.75)
    assert s == pytest.approx(-0.75, abs=1e-12) and se < 1e-10


def test_bad_input(powerlaw):
    with pytest.raises(ParameterError, match="ridge"):
        renormalized_ridge(powerlaw, -1.0)
    with pytest.raises(ParameterError, match="ridge"):
        renormalized_ridge(powerlaw, float("nan"))
    with pytest.raises(ParameterError, match="kappa"):
        renormalized_ridge_at(powerlaw, 0.1, 3001)
    with pytest.raises(ParameterError, match="eigenvalues"):
        Shells.from_modes([1.0, np.nan])
    with pytest.raises(ParameterError, match="eigenvalues"):
        Shells.from_modes([1.0, -0.1])
    with pytest.raises(ParameterError, match="eta"):
        ir_stop(powerlaw, 0.1, 0)
    with pytest.raises(ParameterError, match="threshold"):
        ir_stop(powerlaw, 0.1, 10, threshold=1.5)


def test_unrepresentable_shells_join_the_tail():
    """On S^783 at lmax = 400 some eigenvalues are subnormal and some multiplicities overflow a
    double; such shells must go to the tail (their power is known in log space), never become inf."""
    from symrg.spectra.funk_hecke import sphere_spectrum
    from symrg.spectra.kernels import NNGPKernel

    spec = sphere_spectrum(NNGPKernel("relu", 1), 784, 400)
    sh = Shells.from_spectrum(spec)
    assert np.all(np.isfinite(sh.power))
    assert sh.total_power() == pytest.approx(1.0, rel=1e-12)
    for n in (100, 10_000):
        assert math.isfinite(rg_prediction(sh, 1e-2, n).test_error)
        assert math.isfinite(eigenlearning_prediction(sh, 1e-2, n).test_error)
    with pytest.raises(ParameterError, match="multiplicities"):
        Shells(np.array([1.0, 1e-300]), np.array([1.0, np.inf]))


def test_more_bad_input(powerlaw):
    with pytest.raises(ParameterError, match="kappa_grid"):
        flow_ode(powerlaw, 0.1, [])
    with pytest.raises(ParameterError, match="kappa_grid"):
        flow_ode_powerlaw(1.0, 1.0, 0.0, [10.0, 2e7], kappa_uv=1e7)
    with pytest.raises(ParameterError, match="y"):
        fit_exponent([1, 2, 3], [1.0, 0.0, 2.0])
    with pytest.raises(ParameterError, match="ridge"):
        rg_prediction(powerlaw, -1.0, 10)
    # a zero mode under a zero ridge has learnability 0, not NaN
    sh = Shells.from_modes([1.0, 0.0])
    assert np.all(np.isfinite(ir_stop(sh, 0.0, 10).learnability))
