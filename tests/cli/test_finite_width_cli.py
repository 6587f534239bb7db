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
