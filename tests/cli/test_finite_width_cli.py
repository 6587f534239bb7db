"""``symrg finite-width``: JSON contract and bad input."""
from __future__ import annotations

import json
import warnings

import pytest


def test_cli_json(capsys):
    from symrg.cli.finite_width import main
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["--activation", "relu", "--width", "16", "--dim", "3", "--n-train", "4", "--n-test", "2",
                   "--draws", "2000", "--seed", "1", "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["excess_kurtosis"] == pytest.approx(15 / 16)
    for k in ("gp", "one_over_n", "monte_carlo", "monte_carlo_sem", "error_gp", "error_one_over_n", "rms_sem", "ess"):
        assert k in doc["posterior"]
    assert "U" in doc["coupling"] and "u_local" in doc["coupling"]


def test_cli_errors(capsys):
    from symrg.cli.finite_width import main
    assert main(["--width", "0", "--json"]) == 2
    assert "width" in capsys.readouterr().err
    assert main(["--activation", "tanh", "--json"]) == 2
    assert "activation" in capsys.readouterr().err


@pytest.mark.parametrize("activation,depth,c", [("relu", 2, 30.0), pytest.param("relu", 3, 45.0, marks=pytest.mark.slow),
                                                ("step", 2, 3.0)])
def test_cli_depth_contract(capsys, activation, depth, c):
    from symrg.cli.finite_width import main
    rc = main(["--activation", activation, "--depth", str(depth), "--width", "64", "--seed", "2",
               "--mc", "20000", "--dim", "3", "--n-train", "4", "--n-test", "2", "--draws", "400", "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    for k in ("excess_kurtosis", "coupling", "posterior", "excess_kurtosis_coefficient", "excess_kurtosis_mc",
              "excess_kurtosis_mc_se"):
        assert k in doc
    assert doc["excess_kurtosis_coefficient"] == pytest.approx(c, rel=1e-12)      # ReLU sigma_w^2 = 2: 15 L
    assert doc["excess_kurtosis"] == pytest.approx(c / 64, rel=1e-12)
    # Monte Carlo of actual width-64 networks: O(1/N) theory within the MC error plus an O(1/N^2) allowance
    assert abs(doc["excess_kurtosis_mc"] - doc["excess_kurtosis"]) < 4 * doc["excess_kurtosis_mc_se"] + 0.1 * c / 64


def test_cli_depth_errors(capsys):
    from symrg.cli.finite_width import main
    assert main(["--depth", "0", "--json"]) == 2
    assert "--depth" in capsys.readouterr().err
    assert main(["--depth", "3", "--width", "100000", "--mc", "200", "--json"]) == 2
    assert "8192" in capsys.readouterr().err
    assert main(["--depth", "3", "--width", "1000", "--mc", "10000000", "--json"]) == 2
    assert "--mc" in capsys.readouterr().err


_POSTERIOR_KEYS = ["width", "gp", "one_over_n", "one_over_n_sem", "monte_carlo", "monte_carlo_sem", "error_gp",
                   "error_one_over_n", "rms_sem", "resolved", "one_over_n_beats_gp", "ess", "n_draws",
                   "degenerate_weights"]


def test_cli_deep_posterior(capsys):
    """Depth 2: the posterior is filled with exactly the keys of depth 1 (the deep multi-input recursion against
    Monte Carlo of actual depth-2 networks); the O(1/N) prediction is closer to the Monte Carlo than the GP."""
    from symrg.cli.finite_width import main
    common = ["--width", "64", "--dim", "3", "--n-train", "8", "--n-test", "3", "--seed", "0", "--json"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["--activation", "relu", "--depth", "1", "--draws", "2000"] + common) == 0
    one = json.loads(capsys.readouterr().out)["posterior"]
    assert main(["--activation", "relu", "--depth", "2", "--draws", "20000"] + common) == 0
    doc = json.loads(capsys.readouterr().out)
    post = doc["posterior"]
    assert list(post) == list(one) == _POSTERIOR_KEYS
    assert post["width"] == 64 and len(post["gp"]) == 3 and post["n_draws"] == 20000
    assert post["resolved"] and post["error_one_over_n"] < 0.5 * post["error_gp"]
    cp = doc["coupling"]                                        # mode-space coupling, the depth-1 keys and more
    assert cp["n_modes"] == 3 and len(cp["U"]) == 3 and cp["U"][0][0][0][0] < 0 and "U_single_input" in cp
    assert "note" not in doc


def test_cli_deep_posterior_limits(capsys):
    from symrg.cli.finite_width import MAX_POSTERIOR_DEPTH, main
    from symrg.numerics.finite_width.deep_posterior import MAX_POSTERIOR_DEPTH as LIB
    assert MAX_POSTERIOR_DEPTH == LIB
    assert main(["--depth", "12", "--width", "8", "--json"]) == 0            # kurtosis only; the note says why
    doc = json.loads(capsys.readouterr().out)
    assert doc["posterior"] is None and "depth 10" in doc["note"]
    assert main(["--depth", "3", "--width", "2000", "--json"]) == 2           # the network Monte Carlo is too big
    err = capsys.readouterr().err
    assert "--draws" in err and "--allow-expensive" in err
    assert main(["--depth", "2", "--study", "/nonexistent/x", "--json"]) == 2
    assert "--depth" in capsys.readouterr().err
