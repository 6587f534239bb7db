"""``reduced-gp`` and ``ridge-map`` build data, pool and target the same way (through symrg.data).

With the same kernel, ridge, n and seed both commands fit the exact GP on the same training rows
of the pool, so the full-GP test MSE they report must agree to rounding when -- and only when --
their pools and targets are the same rows with the same values.
"""
import json

import numpy as np
import pytest

from symrg.cli.main import main


def _run(capsys, argv):
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("target", [[], ["--target-class", "2"], ["--pair", "1,2"]])
def test_same_pool_and_target_in_both_commands(tmp_path, capsys, target):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((90, 6))
    np.savez(tmp_path / "d.npz", X=X, labels=rng.integers(0, 3, 90))
    common = ["--data", str(tmp_path / "d.npz"), "--pool", "40", "--pool-seed", "5", "--n", "15",
              "--ridge", "0.05", "--seed", "1", "--json"] + target
    red = _run(capsys, ["reduced-gp", *common, "--kappas", "8"])
    rid = _run(capsys, ["ridge-map", *common, "--kappa", "8"])
    assert red["n_pool"] == rid["n_pool"] == 40
    assert red["full_test_mse"] == pytest.approx(rid["full_gp_test_mse"], rel=1e-10)
    other_seed = [("6" if a == "5" and common[i - 1] == "--pool-seed" else a) for i, a in enumerate(common)]
    other = _run(capsys, ["ridge-map", *other_seed, "--kappa", "8"])            # another pool: --pool-seed 6
    assert other["full_gp_test_mse"] != pytest.approx(red["full_test_mse"], rel=1e-6)


def test_regression_target_is_used_as_given_not_as_labels(tmp_path, capsys):
    """An integer-valued y in an .npz is the regression target of both commands (issue "data targets")."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = 1e3 * rng.integers(0, 10, 60)                           # integer-valued, far from +-1 codes
    np.savez(tmp_path / "r.npz", X=X, y=y)
    argv = ["--data", str(tmp_path / "r.npz"), "--pool", "50", "--n", "20", "--ridge", "0.01", "--json"]
    red = _run(capsys, ["reduced-gp", *argv, "--kappas", "5"])
    rid = _run(capsys, ["ridge-map", *argv, "--kappa", "5"])
    assert red["full_test_mse"] == pytest.approx(rid["full_gp_test_mse"], rel=1e-10)
    assert red["full_test_mse"] > 1e4            # errors on the scale of y (1e3..9e3), not of +-1 labels


@pytest.mark.parametrize("command", ["reduced-gp", "ridge-map"])
@pytest.mark.parametrize("pool", ["-5", "5000", "1"])
def test_pool_out_of_range_is_refused_by_both(capsys, command, pool):
    assert main([command, "--data", "digits", "--pool", pool, "--n", "10"]) == 2
    err = capsys.readouterr().err
    assert f"--pool={pool}" in err and "[2, 1797]" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["reduced-gp", "ridge-map"])
def test_absent_class_is_refused_by_both(capsys, command):
    assert main([command, "--data", "digits", "--pool", "50", "--n", "10", "--target-class", "12"]) == 2
    err = capsys.readouterr().err
    assert "--target-class=12" in err and "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" in err
