"""``symrg universality``: the classes of the sphere rows (singularity order from the kernel's local expansion)
against an independent route (the slope of the Funk-Hecke eigenvalues), the JSON contract, bad input."""
from __future__ import annotations

import json

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
        for k in ("activation", "depth", "alpha", "alpha_ci", "predicted_slope", "class"):
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


def test_simulate_only_on_the_sphere(capsys):
    assert main(["universality", "--data", "digits", "--simulate"]) == 2
    assert "--simulate" in capsys.readouterr().err
