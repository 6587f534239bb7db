"""``symrg ridge-map``: JSON contract and errors (docs/theory.md section 5)."""
import argparse
import json

import numpy as np
import pytest


def _args(**kw):
    from symrg.cli import ridge_map as cli_ridge_map

    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers()
    cli_ridge_map.add_parser(sub)
    argv = ["ridge-map"]
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}"] + ([] if v is True else [str(v)])
    return ap.parse_args(argv)


def test_cli_npz_json(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 5))
    np.savez(tmp_path / "d.npz", X=X, labels=rng.integers(0, 3, 120))   # class labels: npz key "labels"
    a = _args(data=tmp_path / "d.npz", pool=70, n=30, kappa=20, json=True, pair="0,1")
    assert a.func(a) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"kappa", "sigma2_const", "sigma2_x", "models", "full_gp_test_mse"}
    assert set(out["sigma2_x"]) == {"min", "median", "max"}
    assert set(out["models"]) == {"truncated", "renormalized_const", "renormalized_x", "exact_diagonal"}
    for v in out["models"].values():
        assert set(v) == {"rel_pred_error", "test_mse"}


def test_cli_errors(tmp_path, capsys):
    """run() raises; symrg.cli.main prints the one line (issue 21: every command reports its errors there,
    so each names the flag the user typed)."""
    from symrg.cli import main
    from symrg.errors import DataError, ParameterError

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.standard_normal((50, 4)), y=rng.standard_normal(50))
    a = _args(data=tmp_path / "d.npz", pool=40, n=10, kappa=41)
    with pytest.raises(ParameterError, match="kappa"):
        a.func(a)
    assert main(["ridge-map", "--data", str(tmp_path / "d.npz"), "--pool", "40", "--n", "10", "--kappa", "41"]) == 2
    assert "--kappa=41" in capsys.readouterr().err
    Xbad = rng.standard_normal((50, 4))
    Xbad[3, 1] = np.nan
    np.savez(tmp_path / "bad.npz", X=Xbad, y=rng.standard_normal(50))
    a = _args(data=tmp_path / "bad.npz", pool=40, n=10, kappa=5)
    with pytest.raises(DataError):
        a.func(a)
    assert main(["ridge-map", "--data", str(tmp_path / "bad.npz"), "--pool", "40", "--n", "10", "--kappa", "5"]) == 2
    assert "error" in capsys.readouterr().err


def test_cli_idx_labels_mismatch(tmp_path, capsys):
    import struct

    imgs = np.zeros((6, 2, 2), np.uint8) + 1
    (tmp_path / "t-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x803, 6, 2, 2) + imgs.tobytes())
    (tmp_path / "t-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, 5) + bytes(range(5)))
    from symrg.cli import main

    assert main(["ridge-map", "--data", str(tmp_path / "t-images-idx3-ubyte"), "--pool", "5", "--n", "2",
                 "--kappa", "2"]) == 2
    assert "error" in capsys.readouterr().err
