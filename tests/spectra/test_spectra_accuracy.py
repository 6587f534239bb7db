"""Accuracy control of the Funk-Hecke spectra: every bad case of the "never silently wrong" issue.

Reference (independent of the code under test): mpmath.quad of
``lambda_l = c_d int_0^pi k(cos th) P_l(cos th) sin^{d-2} th dth`` with mpmath's own Gegenbauer
polynomials and the ReLU NNGP kernel written out below from the arc-cosine formula (Cho & Saul
2009) -- no series, no singular subtraction, no planned precision, no fixed point.
"""
import functools
import json

import mpmath
import numpy as np
import pytest

from symrg.errors import ConvergenceError, ParameterError
from symrg.spectra import cost
from symrg.spectra.funk_hecke import Spectrum, funk_hecke_fast, sphere_spectrum
from symrg.spectra.kernels import NNGPKernel, singular_expansion
from symrg.spectra.mp_quadrature import (AGREE_RTOL, CONFIRM_DIGITS, GUARD_DIGITS, funk_hecke_mp, mp_seconds,
                                         plan_dps)


def _relu_nngp(depth, t, sw=2, sb=0):
    """ReLU NNGP kernel: K_L = sw q (sin th + (pi - th) cos th) / (2 pi) + sb, cos th = K/q."""
    q, c = mpmath.mpf(1), t
    for _ in range(depth):
        th = mpmath.acos(max(min(c / q, 1), -1))
        c = sw * q * (mpmath.sin(th) + (mpmath.pi - th) * mpmath.cos(th)) / (2 * mpmath.pi) + sb
        q = sw * q / 2 + sb
    return c


def _step_nngp(depth, t, sw=2, sb=0):
    """Step (arc-cosine order 0) NNGP kernel: K_L = sw (pi - th) / (2 pi) + sb, cos th = K/q."""
    q, c = mpmath.mpf(1), t
    for _ in range(depth):
        th = mpmath.acos(max(min(c / q, 1), -1))
        c = sw * (mpmath.pi - th) / (2 * mpmath.pi) + sb
        q = sw / 2 + sb
    return c


@functools.lru_cache(maxsize=None)
def reference(depth, d, ls, dps, act="relu"):
    """Eigenvalues at degrees ``ls`` by mpmath.quad at ``dps`` digits (tuple of floats)."""
    kern = _relu_nngp if act == "relu" else _step_nngp
    with mpmath.workdps(dps):
        nu = mpmath.mpf(d - 2) / 2
        norm = mpmath.gamma(mpmath.mpf(d) / 2) / (mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(d - 1) / 2))
        kcache = {}

        def k(th):
            if th not in kcache:
                kcache[th] = kern(depth, mpmath.cos(th)) * mpmath.sin(th) ** (d - 2)
            return kcache[th]

        # the weight sin^{d-2} concentrates at pi/2 with width 1/sqrt(d): split there
        w = min(1.0, 8 / np.sqrt(d))
        pts = sorted({0.0, np.pi} | {float(np.pi / 2 + w * x) for x in np.linspace(-1, 1, 2 * max(ls) + 5)})
        pts = [mpmath.mpf(p) for p in pts if 0 <= p <= np.pi]
        out = []
        for l in ls:
            c1 = mpmath.gegenbauer(l, nu, 1) if d > 2 else 1

            def P(t):
                return mpmath.chebyt(l, t) if d == 2 else mpmath.gegenbauer(l, nu, t) / c1

            out.append(float(norm * mpmath.quad(lambda th: k(th) * P(mpmath.cos(th)), pts)))
        return tuple(out)


def _rel(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)) / np.abs(np.asarray(b))


# --------------------------------------------------------------- the reference itself --
def test_reference_reproduces_known_closed_forms():
    # ReLU depth 1 on S^2: lambda_0 = 3/8, lambda_1 = 1/6 (exact, see test_spectra) -- the reference
    # must be right before it can judge anything
    ref = reference(1, 3, (0, 1, 2), 30)
    assert ref[0] == pytest.approx(3 / 8, rel=1e-14)
    assert ref[1] == pytest.approx(1 / 6, rel=1e-14)


# ------------------------------------------------------ deep kernels on the float path --
def test_deep_relu_d784_fast_path_is_right_and_knows_its_error():
    # issue: depth 20 on S^783 gave lambda_4 = -9.27e-14 (true +2.42e-13), lambda_2 22% off
    ls = tuple(range(7))
    ref = np.array(reference(20, 784, ls, 30))
    spec = sphere_spectrum(NNGPKernel("relu", 20), 784, 6)
    assert spec.precision == "fast"
    assert spec.eigenvalues[4] > 0
    rel = _rel(spec.eigenvalues, ref)
    assert rel.max() < 1e-10
    assert np.all(spec.errors >= np.abs(spec.eigenvalues - ref))  # the estimate bounds the error
    assert np.all(spec.errors <= 1e-8 * np.abs(spec.eigenvalues))


@pytest.mark.parametrize("depth", [10, pytest.param(20, marks=pytest.mark.slow), pytest.param(28, marks=pytest.mark.slow)])
def test_deep_relu_d10_no_crash_and_bounded_error(depth):
    # issue: relative error 1e-5 at depth 10, 3e-3 at depth 20; ArithmeticError from depth 28
    ls = tuple(range(7))
    ref = np.array(reference(depth, 10, ls, 30))
    res = funk_hecke_fast(NNGPKernel("relu", depth), 10, 6, with_error=True)
    assert res.ok.all()
    assert _rel(res.eigenvalues, ref).max() < 1e-10
    assert np.all(res.errors >= np.abs(res.eigenvalues - ref))


def test_singular_expansion_deep_relu_matches_kernel():
    # the depth-28 crash came from a relative threshold misjudging the leading order once the
    # coefficients grow like (c L)^m; the expansion itself must still match k near t = 1
    k = NNGPKernel("relu", 28)
    side, p, e = singular_expansion(k, 24)[0]
    with mpmath.workdps(40):
        for w in (0.01, 0.03):
            t = 1 - mpmath.mpf(w) ** 2
            assert np.polyval(e[::-1], w) == pytest.approx(float(_relu_nngp(28, t)), rel=1e-14)
    assert abs(e[3]) > 1  # the (1-t)^{3/2} coefficient is kept (it grows with depth)


@pytest.mark.slow
def test_fast_path_refuses_when_it_cannot_reach_rtol():
    # depth 40 on the circle: the subtraction cancels digits faster than truncation improves
    k = NNGPKernel("relu", 40)
    with pytest.raises(ConvergenceError, match=r"degree \d+ exceeds rtol=1e-08.*precision='mp'"):
        funk_hecke_fast(k, 2, 6)
    res = funk_hecke_fast(k, 2, 6, check=False, with_error=True)
    ref = np.array(reference(40, 2, tuple(range(7)), 30))
    assert np.all(res.errors >= np.abs(res.eigenvalues - ref))  # honest even when it fails


@pytest.mark.slow
def test_sphere_spectrum_switches_to_mp_when_fast_fails():
    k = NNGPKernel("relu", 40)
    ls = tuple(range(7))
    ref = np.array(reference(40, 2, ls, 30))
    spec = sphere_spectrum(k, 2, 6)
    assert spec.precision.startswith("mp") and spec.precision.endswith("(auto)")
    sw = spec.meta["switched_from_fast"]
    assert sw["relative_error_estimate"] > 1e-8 and sw["rtol"] == 1e-8
    assert _rel(spec.eigenvalues, ref).max() < 1e-12
    assert np.all(spec.errors < 1e-12 * np.abs(spec.eigenvalues))


def test_sphere_spectrum_raises_when_the_switch_is_too_expensive(monkeypatch):
    monkeypatch.setattr(cost, "AUTO_MP_SECONDS_LIMIT", 1e-3)
    with pytest.raises(ConvergenceError, match=r"precision='mp'"):
        sphere_spectrum(NNGPKernel("relu", 40), 2, 6)


# ------------------------------------------------------------------------- the mp path --
@pytest.mark.slow
def test_mp_default_dps_is_a_floor_and_resolves_d784():
    # issue: at --dps 30, lambda_18 = -1.24e-40 (true 8.51e-41), lambda_40 = -1.01e-52 (true
    # 1.33e-73), sum-rule residual 1.9e16
    # one mp computation (sphere_spectrum runs funk_hecke_mp and records its plan in meta)
    k = NNGPKernel("relu", 1)
    spec = sphere_spectrum(k, 784, 40, precision="mp", dps=30)
    ref = reference(1, 784, (2, 18, 40), 90)
    lam = [float(spec.eigenvalues[l]) for l in (2, 18, 40)]
    assert _rel(lam, ref).max() < 1e-12
    # the chosen precision covers the cancellation: lambda_40 / B_40 ~ 1e-39, plus the guard digits
    dps = spec.meta["dps"]
    logB40 = -0.5 * float(np.log10(np.exp(1)) * _log_mult(784, 40))
    assert dps >= logB40 - np.log10(ref[2]) + GUARD_DIGITS
    assert spec.meta["dps_confirm"] == dps + CONFIRM_DIGITS
    assert spec.meta["dps_floor"] == 30 and spec.precision == f"mp{dps}"
    assert 0 < spec.sum_rule_residual() < 1e-3  # the power above l = 40, never 1e16


def _log_mult(d, l):
    from symrg.spectra.funk_hecke import log_multiplicity

    return float(log_multiplicity(d, l)[0])


def test_mp_precision_plan_respects_floor_and_range():
    k = NNGPKernel("relu", 1)
    assert plan_dps(k, 3, 10, 80) == 80  # the floor wins when the range is small
    assert plan_dps(k, 784, 40, 15) > 60  # lambda_40 ~ 1e-73 at B_40 ~ 1e-34
    assert mp_seconds(k, 784, 200, plan_dps(k, 784, 200, 30)) > mp_seconds(k, 784, 40, plan_dps(k, 784, 40, 30))


def test_mp_confirm_step_fails_loudly():
    # a kernel that loses digits with the working precision (error 10^(-dps/4) in k): the two
    # runs disagree far beyond AGREE_RTOL and the error names the degree and both values
    def leaky(t):
        return 1 + t / 2 + mpmath.mpf(10) ** (-(mpmath.mp.dps // 4))

    with pytest.raises(ConvergenceError, match=r"degree 0 not confirmed: 1\.0+\d* at \d+ digits vs 1\.0+\d* at"):
        funk_hecke_mp(leaky, 3, 2, dps=30)
    assert AGREE_RTOL <= 1e-10


def test_mp_replans_for_a_tiny_eigenvalue_of_a_callable():
    # no lower bounds for a plain callable: lambda_1 = 1e-30/3 sits below the working run's
    # noise floor at 30 digits but is resolved by the confirming run -> more digits, not a zero
    def k(t):
        return mpmath.mpf(1) / 2 + mpmath.mpf("1e-30") * t

    info = funk_hecke_mp(k, 3, 2, dps=30, with_info=True)
    assert info.dps > 30
    assert float(info.eigenvalues[1]) == pytest.approx(1e-30 / 3, rel=1e-14)
    assert info.zeros == [2]


def test_mp_cost_limits():
    k = NNGPKernel("relu", 1)
    with pytest.raises(ParameterError, match=r"dps=10000.*2000.*allow_expensive=True.*--allow-expensive"):
        funk_hecke_mp(k, 10, 4, dps=10000)
    with pytest.raises(ParameterError, match=r"lmax=60.*estimated mpmath run time <= 1 s.*allow_expensive=True"):
        funk_hecke_mp(k, 3, 60, max_seconds=1.0)
    # the default limit (10 min): lmax = 2000 on S^2 is estimated at about half an hour
    with pytest.raises(ParameterError, match=r"lmax=2000.*<= 10 min \(estimated \d+(\.\d+)? min.*allow_expensive"):
        sphere_spectrum(k, 3, 2000, precision="mp")


# ------------------------------------------------------------------------- exact zeros --
@pytest.mark.parametrize("d", [3, 784])
def test_exact_zeros_on_both_paths(d):
    # ReLU depth 1: the odd part of k is exactly t/2, so lambda_l = 0 for odd l >= 3
    k = NNGPKernel("relu", 1)
    fast = sphere_spectrum(k, d, 9)
    mp = sphere_spectrum(k, d, 9, precision="mp")
    odd = [3, 5, 7, 9]
    assert all(fast.eigenvalues[l] == 0.0 for l in odd)
    assert all(mp.eigenvalues[l] == 0.0 for l in odd)
    assert mp.meta["exact_zeros"] == odd
    even = [0, 1, 2, 4, 6, 8]
    assert np.all(fast.eigenvalues[even] > 0) and np.all(mp.eigenvalues[even] > 0)
    assert _rel(fast.eigenvalues[even], mp.eigenvalues[even]).max() < 1e-12


def test_tiny_nonzero_eigenvalues_are_not_zeroed():
    # depth 2 ReLU on S^783: odd degrees are tiny but not zero (the second layer mixes parities)
    k = NNGPKernel("relu", 2)
    ref = np.array(reference(2, 784, (3, 5), 60))
    fast = sphere_spectrum(k, 784, 5)
    mp = sphere_spectrum(k, 784, 5, precision="mp")
    for spec in (fast, mp):
        assert np.all(spec.eigenvalues[[3, 5]] > 0)
        assert _rel(spec.eigenvalues[[3, 5]], ref).max() < 1e-10
    assert mp.meta["exact_zeros"] == []


def test_erf_odd_kernel_even_degrees_vanish():
    # erf depth 1 is odd in t: even degrees vanish on both paths
    k = NNGPKernel("erf", 1)
    fast = sphere_spectrum(k, 5, 6)
    mp = sphere_spectrum(k, 5, 6, precision="mp")
    assert np.all(fast.eigenvalues[[0, 2, 4, 6]] == 0.0) and np.all(mp.eigenvalues[[0, 2, 4, 6]] == 0.0)
    assert _rel(fast.eigenvalues[[1, 3, 5]], mp.eigenvalues[[1, 3, 5]]).max() < 1e-12


# -------------------------------------------------------------------------- no NaN ever --
def test_overflowing_kernel_parameters_are_refused():
    # issue: sigma_w2 = 1e160 at depth 2 overflows k(1) and every eigenvalue was NaN
    with pytest.raises(ParameterError, match=r"sigma_w2=1e\+160.*\[.*1e\+150\].*depth 2"):
        NNGPKernel("relu", 2, sigma_w2=1e160)
    with pytest.raises(ParameterError, match=r"sigma_b2=1e\+300"):
        NNGPKernel("relu", 2, sigma_b2=1e300)
    with pytest.raises(ParameterError, match=r"sigma_w2=1e-10"):  # underflow to 0 -> c/q = NaN
        NNGPKernel("relu", 40, sigma_w2=1e-10)
    NNGPKernel("relu", 2, sigma_w2=1e149)  # inside the stated range


def test_spectrum_never_holds_nan():
    with pytest.raises(ParameterError, match="eigenvalues"):
        Spectrum(dim=3, degrees=np.arange(2), eigenvalues=np.array([1.0, np.nan]),
                 log_multiplicities=np.zeros(2), kernel="k", precision="fast", k1=1.0)


def test_cli_reports_the_error_estimate_and_refuses_nan(capsys):
    from symrg.cli import main

    assert main(["spectrum", "--dim", "10", "--lmax", "3", "--depth", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["error_estimate"]) == 4 and max(out["error_estimate"]) < 1e-12
    assert main(["spectrum", "--dim", "10", "--lmax", "3", "--depth", "2", "--sigma-w2", "1e160"]) == 2
    err = capsys.readouterr().err
    assert "--sigma-w2" in err and "nan" not in err.lower()        # the flag the user typed (issue 21)


# ---------------------------------------------------------------------- bounded work --
def test_fast_path_work_limits():
    k = NNGPKernel("relu", 1)
    with pytest.raises(ParameterError, match=r"lmax=100000.*5000.*allow_expensive=True.*--allow-expensive"):
        sphere_spectrum(k, 10, 100000)
    with pytest.raises(ParameterError, match=r"depth=10000.*estimated.*allow_expensive"):
        funk_hecke_fast(NNGPKernel("relu", 10000), 10, 4)


def test_deep_step_kernel_is_bounded_and_right():
    # issue: the singular expansion of step at depth L needs 2^L terms (76 GiB at depth 30); it
    # is now capped and the plain series carries the result, checked here against mpmath
    k = NNGPKernel("step", 30)
    assert cost.fast_seconds(k, 8, 4096) < 60
    res = funk_hecke_fast(k, 10, 8, with_error=True)
    ref = np.array(reference(30, 10, tuple(range(9)), 30, "step"))
    assert _rel(res.eigenvalues, ref).max() < 1e-8
    assert np.all(res.errors >= np.abs(res.eigenvalues - ref))


def test_eigenvalues_below_1e13_of_the_largest_are_resolved_d10():
    """S^9, ReLU: the eigenvalues of degrees 36..40 lie below 1e-13 of the largest (a relative cutoff there
    narrowed the universality window to degrees 20..34); the float64 path resolves them: it agrees with the
    mpmath path (no shared step) to 1e-10 and its error estimate bounds the difference."""
    k = NNGPKernel("relu", 1)
    fast = funk_hecke_fast(k, 10, 40, with_error=True)
    mp = sphere_spectrum(k, 10, 40, precision="mp")
    ls = np.arange(36, 41, 2)
    assert np.all(fast.eigenvalues[ls] < 1e-13 * fast.eigenvalues.max())
    assert _rel(fast.eigenvalues[ls], mp.eigenvalues[ls]).max() < 1e-10
    assert np.all(fast.errors[ls] >= np.abs(fast.eigenvalues[ls] - mp.eigenvalues[ls]))
