"""Funk-Hecke spectra: exact rational values, sum rules, and the mpmath twin.

Independent references:
* circle (d = 2): lambda_l = (1/pi) int_0^pi k(cos th) cos(l th) dth, integrated exactly by SymPy;
* S^2 (d = 3): lambda_l = (1/2) int_{-1}^1 k(t) P_l(t) dt (Legendre), integrated exactly by SymPy;
* the sum rule sum_l N(d,l) lambda_l = k(1) (addition theorem at x = x');
* the mpmath path (tanh-sinh quadrature, no series, no singular subtraction).
"""
import math

import numpy as np
import pytest
import sympy as sp

from symrg.errors import ParameterError
from symrg.spectra.funk_hecke import (funk_hecke_fast, funk_hecke_mp, log_multiplicity, multiplicity,
                                      singular_transform, sphere_spectrum)
from symrg.spectra.kernels import NNGPKernel, singular_expansion, taylor_coefficients


def _exact_relu_circle(l):
    th = sp.symbols("theta", real=True)
    k = (sp.sin(th) + (sp.pi - th) * sp.cos(th)) / sp.pi
    return sp.nsimplify(sp.integrate(k * sp.cos(l * th), (th, 0, sp.pi)) / sp.pi)


def _exact_relu_s2(l):
    """(1/2) int_{-1}^1 k(t) P_l(t) dt from exact moments (Beta functions), with
    k = (sqrt(1-t^2) + (pi/2 + asin t) t)/pi.  For a term t^n of P_l:
    n even: int t^n sqrt(1-t^2) = B((n+1)/2, 3/2) and int t^(n+1) asin t
            = 2 [pi/(2(n+2)) - B((n+3)/2, 1/2)/(2(n+2))] (by parts);
    n odd:  int (pi/2) t^(n+1) = pi/(n+2)."""
    t = sp.symbols("t")
    B = lambda a, b: sp.gamma(a) * sp.gamma(b) / sp.gamma(a + b)
    total = sp.Integer(0)
    for (n,), c in sp.Poly(sp.legendre(l, t), t).terms():
        if n % 2 == 0:
            total += c * (B(sp.Rational(n + 1, 2), sp.Rational(3, 2))
                          + 2 * (sp.pi / (2 * (n + 2)) - B(sp.Rational(n + 3, 2), sp.Rational(1, 2)) / (2 * (n + 2))))
        else:
            total += c * sp.pi / (n + 2)
    return sp.nsimplify(sp.simplify(total / sp.pi / 2))


@pytest.mark.parametrize("l", range(0, 9))
def test_relu_circle_exact(l):
    exact = _exact_relu_circle(l)
    fast = funk_hecke_fast(NNGPKernel("relu", 1), 2, 10)[l]
    assert fast == pytest.approx(float(exact), rel=1e-13, abs=1e-16)
    # the closed forms are rational multiples of 1/pi^2 (or rational)
    assert (exact * sp.pi**2).is_rational or exact.is_rational


@pytest.mark.parametrize("l", range(0, 7))
def test_relu_sphere_s2_exact(l):
    exact = _exact_relu_s2(l)
    fast = funk_hecke_fast(NNGPKernel("relu", 1), 3, 10)[l]
    assert fast == pytest.approx(float(exact), rel=1e-13, abs=1e-16)


def test_multiplicities():
    # N(3,l) = 2l+1; N(2,l) = 2; N(4,l) = (l+1)^2
    assert np.array_equal(multiplicity(3, np.arange(6)), 2 * np.arange(6) + 1)
    assert np.array_equal(multiplicity(2, np.arange(1, 6)), np.full(5, 2.0))
    assert np.array_equal(multiplicity(4, np.arange(6)), (np.arange(6) + 1.0) ** 2)
    # huge multiplicities stay finite in log form
    assert log_multiplicity(784, 200)[0] == pytest.approx(
        math.log(2 * 200 + 782) + math.lgamma(200 + 782) - math.lgamma(201) - math.lgamma(783), rel=1e-14)


def test_taylor_coefficients_non_negative_and_sum_to_k1():
    for act, L in [("relu", 1), ("relu", 3), ("step", 2), ("erf", 2)]:
        k = NNGPKernel(act, L)
        a = taylor_coefficients(k, 2048)
        assert a.min() >= 0
        t = 0.37
        assert np.polyval(a[::-1], t) == pytest.approx(float(k(t)), rel=1e-14)


@pytest.mark.parametrize("act,L,side_w", [("relu", 1, 0.2), ("relu", 3, 0.2), ("step", 2, 0.3)])
def test_singular_expansion_matches_kernel(act, L, side_w):
    k = NNGPKernel(act, L)
    for side, p, e in singular_expansion(k, 64):
        t = side * (1 - side_w**p)
        assert np.polyval(e[::-1], side_w) == pytest.approx(float(k(t)), abs=1e-14)


def test_singular_transform_against_quadrature():
    import mpmath

    with mpmath.workdps(30):
        for d, g, l in [(3, 1.5, 4), (5, 2.5, 3), (10, 0.5, 2), (784, 1.5, 7)]:
            nu = mpmath.mpf(d - 2) / 2
            w = lambda t: (1 - t * t) ** (mpmath.mpf(d - 3) / 2)
            P = lambda t: mpmath.gegenbauer(l, nu, t) / mpmath.gegenbauer(l, nu, 1)
            num = mpmath.quad(lambda t: (1 - t) ** g * P(t) * w(t), [-1, 0, 1]) / mpmath.quad(w, [-1, 0, 1])
            assert singular_transform(g, np.array([l]), d)[0] == pytest.approx(float(num), rel=1e-13)


@pytest.mark.parametrize("d", [3, 10, 100, 1000])
def test_sum_rule_closes_for_analytic_kernel(d):
    k = NNGPKernel("erf", 2)
    spec = sphere_spectrum(k, d, 200)
    assert abs(spec.sum_rule_residual()) < 1e-12 * k.k1


def test_sum_rule_relu_residual_is_the_tail():
    # ReLU on S^2: shell powers N lambda_l ~ C l^-4 (even l), so the power above lmax = L is
    # ~ C L^-3 / 6; C is read off the last computed shell.  The residual must match it to 5%.
    k = NNGPKernel("relu", 1)
    L = 1200
    spec = sphere_spectrum(k, 3, L)
    res = spec.sum_rule_residual()
    C = spec.shell_power[L] * L**4
    tail = C * sum(l**-4.0 for l in range(L + 2, 200 * L, 2))
    assert res == pytest.approx(tail, rel=0.05)
    assert res < 1e-9


def _compare_mp(kernel, d, lmax, dps):
    fast = funk_hecke_fast(kernel, d, lmax)
    mp = np.array([float(x) for x in funk_hecke_mp(kernel, d, lmax, dps=dps)])
    power = np.exp(log_multiplicity(d, np.arange(lmax + 1))) * np.abs(mp)
    carried = (power > 1e-16 * kernel.k1) & (np.abs(mp) > np.finfo(float).tiny)
    rel = np.abs(fast - mp)[carried] / np.abs(mp[carried])
    return rel.max(), carried.sum()


@pytest.mark.parametrize("act,L,d,lmax", [("relu", 1, 3, 30), ("relu", 2, 10, 24), ("step", 2, 2, 24),
                                          ("erf", 1, 50, 16)])
def test_fast_against_mpmath(act, L, d, lmax):
    k = NNGPKernel(act, L)
    worst, n = _compare_mp(k, d, lmax, dps=50)
    assert n >= lmax // 2  # erf at depth 1 is odd: its even degrees vanish
    assert worst < 1e-10


@pytest.mark.slow
@pytest.mark.parametrize("act,L,d,lmax,dps", [("relu", 1, 2, 200, 45), ("relu", 3, 784, 60, 130)])
def test_fast_against_mpmath_extreme(act, L, d, lmax, dps):
    k = NNGPKernel(act, L)
    worst, n = _compare_mp(k, d, lmax, dps=dps)
    assert worst < 1e-10


def test_bad_input():
    k = NNGPKernel("relu", 1)
    with pytest.raises(ParameterError, match="dim"):
        sphere_spectrum(k, 1, 10)
    with pytest.raises(ParameterError, match="lmax"):
        sphere_spectrum(k, 3, -1)
    with pytest.raises(ParameterError, match="degree"):
        log_multiplicity(3, -2)
    with pytest.raises(ParameterError, match="activation"):
        NNGPKernel("tanh", 1)
    with pytest.raises(ParameterError, match="depth"):
        NNGPKernel("relu", 0)
    with pytest.raises(ParameterError, match="precision"):
        sphere_spectrum(k, 3, 4, precision="quad")
