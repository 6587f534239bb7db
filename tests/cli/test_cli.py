"""The CLI's public contracts (JSON keys) and its error reporting."""
import json
import subprocess
import sys

import pytest

from symrg.cli import main


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_spectrum_json_contract(capsys):
    out = run_json(capsys, ["spectrum", "--kernel", "relu", "--dim", "3", "--lmax", "6", "--json"])
    assert out["degrees"] == list(range(7))
    assert len(out["eigenvalues"]) == len(out["multiplicities"]) == 7
    assert out["multiplicities"][:3] == [1.0, 3.0, 5.0]
    assert out["eigenvalues"][0] == pytest.approx(3 / 8, rel=1e-14)  # (1/2) int k(t) dt on S^2
    assert out["eigenvalues"][3] == 0.0  # ReLU's odd part is t/2: odd degrees >= 3 vanish


def test_spectrum_mp_matches_fast(capsys):
    fast = run_json(capsys, ["spectrum", "--dim", "4", "--lmax", "6", "--depth", "2", "--json"])
    mp = run_json(capsys, ["spectrum", "--dim", "4", "--lmax", "6", "--depth", "2", "--json",
                           "--precision", "mp", "--dps", "30"])
    for a, b in zip(fast["eigenvalues"], mp["eigenvalues"]):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-300)


def test_learning_curve_json_contract(capsys):
    out = run_json(capsys, ["learning-curve", "--kernel", "relu", "--dim", "4", "--ridge", "0.01",
                            "--ns", "8,32", "--target", "1:0.5,2:0.5", "--trials", "3", "--seed", "0",
                            "--json", "--quiet"])
    assert [o["n"] for o in out] == [8, 32]
    for o in out:
        assert set(o) >= {"n", "simulation_mse", "simulation_sem", "theory_rg", "theory_eigenlearning"}


def test_flow_json(capsys):
    out = run_json(capsys, ["flow", "--alpha", "1.5", "--ridge", "0.01", "--eta", "100", "--json"])
    assert out["kappa_star"] > 0
    assert out["sigma2_ir"] > out["sigma2_star"] > out["sigma2_uv"] >= 0.01


def test_derive_contract(capsys):
    from symrg.engine import example_path

    out = run_json(capsys, ["derive", str(example_path("phi4_0d.toml")), "--order", "2", "--json"])
    assert "a**2" in out["coefficients"] and "diagrams" in out


@pytest.mark.parametrize("argv,word", [
    (["flow", "--ridge", "-1", "--json"], "ridge"),
    (["flow", "--ridge", "nan"], "ridge"),
    (["spectrum", "--dim", "1", "--lmax", "3"], "dim"),
    (["spectrum", "--dim", "3", "--lmax", "-2"], "lmax"),
    (["learning-curve", "--dim", "3", "--ridge", "0.1", "--ns", "a,b", "--target", "1:1"], "ns"),
])
def test_errors_name_the_parameter(capsys, argv, word):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert word in err and "Traceback" not in err


def test_console_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "symrg", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "symrg" in out.stdout


def test_more_cli_errors(capsys, tmp_path):
    import numpy as np

    for argv, word in [(["flow", "--modes", "0"], "modes"), (["flow", "--alpha", "0"], "alpha"),
                       (["verify", "--only", "no-such-check"], "only")]:
        assert main(argv) == 2
        assert word in capsys.readouterr().err
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((30, 4)))
    assert main(["reduced-gp", "--data", str(tmp_path / "x.npy"), "--pool", "30", "--n", "10"]) == 2
    assert "data" in capsys.readouterr().err


def test_atomic_files_have_normal_permissions(tmp_path):
    import os
    import stat

    from symrg._io import atomic_write_text, write_json

    p = atomic_write_text(tmp_path / "a.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask
    q = write_json(tmp_path / "b.json", {"v": float("nan")}, "test")
    assert json.loads(q.read_text())["v"] is None  # standard JSON, no NaN token


def test_spectrum_without_a_form_says_which_flags_to_give(capsys):
    """`symrg spectrum` with no arguments names both forms with an example (was `invalid dim=None`)."""
    assert main(["spectrum"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--dim D --lmax L" in err and "--data NAME --pool P --kappa K" in err
    assert "None" not in err
    assert main(["spectrum", "--dim", "5"]) == 2
    assert "--lmax" in capsys.readouterr().err
