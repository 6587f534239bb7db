"""``symrg universality``: the classes of the sphere rows (singularity order from the kernel's local expansion)
against an independent route (the Funk-Hecke eigenvalues: local exponents and their Richardson value), the
fitted amplitude, the eigenlearning slope, the window actually used, the JSON contract, bad input."""
from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from symrg.cli.main import main


def _rows(capsys, argv):
    assert main(["universality"] + argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_sphere_classes(capsys):
    rows = _rows(capsys, ["--data", "sphere", "--dim", "3", "--activations", "relu,erf,step", "--depths", "1,2,3"])
    by = {(r["activation"], r["depth"]): r for r in rows}
    assert len(rows) == 9
    for r in rows:
        for k in ("activation", "depth", "alpha", "alpha_ci", "predicted_slope", "class", "amplitude", "fit_degrees",
                  "alpha_richardson", "alpha_richardson_err", "eigenlearning_slope"):
            assert k in r
    for L in (1, 2, 3):
        assert by[("relu", L)]["class"] == "s=3/2" and by[("relu", L)]["alpha"] == pytest.approx(1.5)
        assert by[("step", L)]["singularity_order"] == f"1/{2 ** L}"
        assert by[("step", L)]["alpha"] == pytest.approx(2 * 0.5 ** L / 2)
        assert by[("erf", L)]["alpha"] is None and by[("erf", L)]["class"] == "analytic"
    # independent route: the Funk-Hecke eigenvalues' slope (pre-asymptotic at lmax = 80, within 5%)
    for key in (("relu", 1), ("relu", 3), ("step", 1)):
        assert by[key]["alpha_funk_hecke"] == pytest.approx(by[key]["alpha"], rel=0.05)
    # matched target, bare ridge: predicted slope -alpha gamma with gamma in (0, 1]
    r = by[("relu", 1)]
    assert 0 < r["ir_stop_exponent"] <= 1 and r["predicted_slope"] == pytest.approx(-1.5 * r["ir_stop_exponent"])


def test_erf_spectrum_is_not_a_power_law():
    from symrg.spectra.funk_hecke import sphere_spectrum
    from symrg.spectra.kernels import NNGPKernel

    s = sphere_spectrum(NNGPKernel("erf", 2), 3, 60)
    lam = s.eigenvalues[1::2]                        # odd degrees carry the power of an odd kernel
    deg = s.degrees[1::2]
    # local log-slopes steepen without bound (a power law keeps them constant)
    sl = np.diff(np.log(lam[(deg >= 3) & (lam > 1e-300)])) / np.diff(np.log(deg[(deg >= 3) & (lam > 1e-300)]))
    assert sl[-1] < 1.5 * sl[len(sl) // 4] < 0


@pytest.mark.slow
def test_digits_rows(capsys):
    rows = _rows(capsys, ["--data", "digits", "--pool", "400", "--ns", "20,40,80", "--trials", "3",
                          "--activations", "relu", "--depths", "1"])
    (r,) = rows
    assert r["class"] == "s=3/2" and r["alpha_ci"][0] <= r["alpha"] <= r["alpha_ci"][1]
    assert r["measured_slope_ci"][0] <= r["measured_slope"] <= r["measured_slope_ci"][1]


def test_bad_input(capsys):
    assert main(["universality", "--activations", "tanh", "--json"]) == 2
    assert "--activations" in capsys.readouterr().err
    assert main(["universality", "--depths", "9", "--json"]) == 2
    assert "--depths" in capsys.readouterr().err
    assert main(["universality", "--data", "digits", "--pool", "5000", "--json"]) == 2
    assert "--pool" in capsys.readouterr().err
    assert main(["universality", "--lmax", "10", "--json"]) == 2
    assert "--lmax" in capsys.readouterr().err


@pytest.mark.parametrize("ns", ["5", "5,5,10", "100,100,100"])
def test_fewer_than_three_distinct_ns_refused(capsys, ns):
    """A slope fitted over one or two distinct sizes is degenerate: refused with the flag named (issue 21)."""
    for data in ("sphere", "digits"):
        assert main(["universality", "--data", data, "--ns", ns, "--activations", "relu", "--depths", "1",
                     "--json"]) == 2
        err = capsys.readouterr().err
        assert "--ns" in err and "3 distinct" in err and len(err.strip().splitlines()) == 1


def test_richardson_removes_the_given_corrections():
    """Synthetic local exponents alpha + c1 h^(1/2) + c2 h + c3 h^(3/2) (h = 1/(l+1)): the third level returns
    alpha to rounding; extrapolating in 1/l alone (the wrong exponents) does not."""
    from symrg.studies.universality import richardson

    ls = [638, 318, 158, 78]
    h = 1.0 / (np.array(ls) + 1.0)
    vals = 0.125 + 0.4 * h ** 0.5 - 0.7 * h + 0.2 * h ** 1.5
    levels, w = richardson(ls, vals, [Fraction(1, 2), Fraction(1), Fraction(3, 2)])
    assert levels[-1] == pytest.approx(0.125, abs=1e-12) and sum(w) == pytest.approx(1.0)
    assert abs(levels[0] - 0.125) > 0.01                                   # the raw local exponent is off
    wrong, _ = richardson(ls, vals, [Fraction(1), Fraction(2), Fraction(3)])
    assert abs(wrong[-1] - 0.125) > 1e-3


def test_correction_exponents_from_the_singular_structure():
    """By hand from the arc-cosine maps: ReLU has (1 -+ t)^{3/2 + k} at both ends (theta: integers); step L = 2
    has (1 - t)^{1/4}, (1 - t)^{3/4} at +1 and the first layer's (1 + t)^{1/2} at -1 (theta: 1/2, 1, ...);
    step L = 3 has s = 1/8, (1 - t)^{3/8} and (1 + t)^{1/2} (theta: 1/2, 3/4, 1, 5/4)."""
    from symrg.studies.universality import correction_exponents

    for L in (1, 2, 3):
        assert correction_exponents("relu", L)[:4] == [1, 2, 3, 4]
    assert correction_exponents("step", 1)[:4] == [1, 2, 3, 4]
    assert correction_exponents("step", 2)[:4] == [Fraction(1, 2), 1, Fraction(3, 2), 2]
    assert correction_exponents("step", 3)[:4] == [Fraction(1, 2), Fraction(3, 4), 1, Fraction(5, 4)]
    assert correction_exponents("erf", 1) == []


@pytest.mark.parametrize("dim", [3, 5])
def test_richardson_alpha_is_the_class_exponent_at_d3_and_d5(capsys, dim):
    """The Richardson-extrapolated Funk-Hecke exponent against the closed form 2s/(d-1) (s = 3/2 for the ReLU
    arc-cosine kernel, Cho & Saul 2009; step s = 2^-L) within its own error, the error small, the window the
    full one; the raw local exponent at the top degree is pre-asymptotic (off by more than the error). erf: the
    per-degree exponent doubles when the degree doubles (geometric decay), ReLU's stays put."""
    rows = _rows(capsys, ["--data", "sphere", "--dim", str(dim), "--activations", "relu,step,erf", "--depths", "1,3"])
    by = {(r["activation"], r["depth"]): r for r in rows}
    for (act, L), s in {("relu", 1): 1.5, ("relu", 3): 1.5, ("step", 1): 0.5, ("step", 3): 0.125}.items():
        r = by[(act, L)]
        exact = 2 * s / (dim - 1)
        assert r["alpha"] == pytest.approx(exact)
        assert abs(r["alpha_richardson"] - exact) <= r["alpha_richardson_err"] + 1e-9, (act, L)
        assert r["alpha_richardson_err"] <= 0.02 * exact
        assert abs(r["alpha_local"][0][1] - exact) > r["alpha_richardson_err"]
        assert r["fit_degrees"] in ([78, 640], [77, 639]) and r["fit_degrees_note"] is None
        assert r["eigenvalue_rel_error"] <= 1e-8 and r["spectrum_path"] == "fast"
        assert len(r["alpha_local"]) == 4 and len(r["alpha_richardson_levels"]) == 4
    for L in (1, 3):
        assert by[("erf", L)]["degree_exponent_ratio"] > 1.8
        p = [(a + 1) * (dim - 1) for _, a in by[("relu", L)]["alpha_local"]]
        assert p[0] / p[1] < 1.05


def test_amplitude_is_fitted_on_independent_eigenvalues(capsys):
    """The amplitude is the fit of lambda_k k^(1+alpha) on amplitude_modes, here recomputed from the mpmath
    Funk-Hecke eigenvalues (a route that shares no step with the float64 series); it grows with the depth (the
    old rows used A = 1 for every kernel), and the power-law slope uses it."""
    from symrg.spectra.funk_hecke import sphere_spectrum
    from symrg.spectra.kernels import NNGPKernel
    from symrg.studies.scaling import ir_stop_exponent

    rows = _rows(capsys, ["--data", "sphere", "--dim", "3", "--activations", "relu", "--depths", "1,3"])
    by = {r["depth"]: r for r in rows}
    ns = [100, 200, 400, 800, 1600]
    for L, r in by.items():
        lo, hi = r["amplitude_modes"]
        assert 1 <= lo < hi
        mp = sphere_spectrum(NNGPKernel("relu", L), 3, 24, precision="mp")
        lam = mp.mode_eigenvalues(hi)[lo - 1:hi]
        k = np.arange(lo, hi + 1)
        A = math.exp(np.mean(np.log(lam) + 2.5 * np.log(k)))
        assert r["amplitude"] == pytest.approx(A, rel=1e-9)
        assert r["predicted_slope"] == pytest.approx(-1.5 * ir_stop_exponent(A, 1.5, 0.01, ns), rel=1e-12)
    assert by[3]["amplitude"] > 4 * by[1]["amplitude"]
    assert by[1]["predicted_slope"] > -1.5 * ir_stop_exponent(1.0, 1.5, 0.01, ns) + 0.01      # A = 1 was wrong


def test_no_silent_cutoff_small_eigenvalues_are_used():
    """S^9, ReLU: the eigenvalues above degree 34 are below 1e-13 of the largest (the former cutoff kept degrees
    20..34 only); resolved by their own error estimate, they are used: the window reaches lmax."""
    from symrg.studies.universality import sphere_row

    r = sphere_row("relu", 1, 10, lmax=80)
    assert r["fit_degrees"] == [8, 80] and r["fit_degrees_note"] is None
    assert r["alpha_richardson"] == pytest.approx(3 / 9, abs=r["alpha_richardson_err"] + 1e-9)


def test_unresolved_eigenvalues_narrow_the_window_visibly_or_are_refused():
    from symrg.errors import ConvergenceError
    from symrg.spectra.funk_hecke import sphere_spectrum
    from symrg.spectra.kernels import NNGPKernel
    from symrg.studies.universality import sphere_exponents

    spec = sphere_spectrum(NNGPKernel("relu", 2), 3, 640)
    bad = spec.errors.copy()
    bad[301:] = 1e-6 * np.abs(spec.eigenvalues[301:])
    out = sphere_exponents(dataclasses.replace(spec, errors=bad), "relu", 2)
    assert out["fit_degrees"][1] <= 301 and "not resolved" in out["fit_degrees_note"]
    assert len(out["alpha_local"]) == 3 and out["alpha_richardson"] == pytest.approx(1.5, abs=0.01)
    bad[61:] = 1e-6 * np.abs(spec.eigenvalues[61:])
    with pytest.raises(ConvergenceError, match="--lmax"):
        sphere_exponents(dataclasses.replace(spec, errors=bad), "relu", 2)


def test_mp_path_when_float64_does_not_resolve_the_window(monkeypatch):
    """When the float64 estimate misses the accuracy asked of the window, the mpmath path is used (affordable
    here) and the row says so."""
    from symrg.studies import universality as U

    monkeypatch.setattr(U, "ALPHA_RTOL", 1e-14)
    r = U.sphere_row("relu", 1, 3, lmax=32)
    assert r["spectrum_path"].startswith("mp") and r["eigenvalue_rel_error"] <= 1e-14
    assert r["fit_degrees"] == [6, 32]


def test_sphere_simulated_slope(capsys):
    """--simulate: the measured slope on the sphere (exact GP, prior-drawn target) with its interval; the step
    classes separate (s = 1/2 against 1/8 on S^2: slopes -0.48 against -0.12 predicted, measured intervals apart)."""
    rows = _rows(capsys, ["--data", "sphere", "--dim", "3", "--activations", "step", "--depths", "1,3", "--simulate",
                          "--ns", "50,100,200,400", "--trials", "4"])
    by = {r["depth"]: r for r in rows}
    for r in rows:
        lo, hi = r["measured_slope_ci"]
        assert lo <= r["measured_slope"] <= hi and isinstance(r["consistent"], bool)
    assert by[3]["measured_slope_ci"][0] > by[1]["measured_slope_ci"][1]      # shallower decay at depth 3
    assert by[1]["measured_slope"] == pytest.approx(by[1]["predicted_slope"], abs=0.1)
    # eigenlearning on the actual spectrum inside the measured interval at depth 1 (-0.471 in [-0.513, -0.439])
    lo, hi = by[1]["measured_slope_ci"]
    assert lo <= by[1]["eigenlearning_slope"] <= hi


def test_simulate_only_on_the_sphere(capsys):
    assert main(["universality", "--data", "digits", "--simulate"]) == 2
    assert "--simulate" in capsys.readouterr().err
