"""``symrg gap`` (docs/theory.md section 5a): the JSON contract, the Gaussian-equivalence check on a small
pool, groups from labels or k-means, and one-line errors naming the flag; ``learning-curve --test pool``."""
import json

import numpy as np
import pytest

from symrg.cli.gap import JSON_KEYS
from symrg.cli.main import main

CONTRACT = ("n", "eigenlearning", "gaussian_surrogate", "gaussian_surrogate_sem", "pool_measure", "pool_measure_sem",
            "heldout", "heldout_sem", "theory_nongaussian")
SURROGATES = ("mixture_surrogate", "gauss_kept_real_rest", "real_kept_gauss_rest", "rest_noise_x", "rest_noise_const")


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_gap_contract_keys(capsys):
    code, out, _ = _run(capsys, ["gap", "--data", "digits", "--pool", "400", "--ns", "20,60", "--trials", "3",
                                 "--ridge", "1e-3", "--target-class", "0", "--seed", "2", "--json", "--quiet"])
    assert code == 0
    res = json.loads(out)
    assert res["groups"] == "class labels" and res["n_groups"] == 10 and res["pool"] == 400
    assert [r["n"] for r in res["rows"]] == [20, 60]
    for r in res["rows"]:
        for k in CONTRACT + SURROGATES + tuple(f"{s}_sem" for s in SURROGATES):
            assert k in r and k in JSON_KEYS, k
            assert r[k] is not None and np.isfinite(r[k]) and r[k] >= 0, k
        assert set(r) <= set(JSON_KEYS) and "theory_rowwise" not in r
        # the real-feature fits on the pool measure are errors of a learned target: below the target power 1
        assert 0 < r["pool_measure"] < 1 and 0 < r["eigenlearning"] < 1


def test_gap_whole_file_has_no_heldout_and_kmeans_without_labels(capsys, tmp_path):
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((10, 6)) * 4
    X = np.concatenate([c + rng.standard_normal((60, 6)) for c in centers])
    y = np.sin(X[:, 0]) + 0.1 * X[:, 1]
    path = tmp_path / "blobs.npz"
    np.savez(path, X=X, y=y)
    code, out, err = _run(capsys, ["gap", "--data", str(path), "--pool", "600", "--ns", "10,25", "--trials", "2",
                                   "--ridge", "1e-3", "--json", "--quiet"])
    assert code == 0, err
    res = json.loads(out)
    assert res["groups"].startswith("k-means clusters")
    assert all(r["heldout"] is None and r["heldout_sem"] is None for r in res["rows"])


@pytest.mark.parametrize("argv, flag, words", [
    (["--data", "digits", "--pool", "100", "--ns", "10"], "--pool", "every class/cluster has >= 20 rows"),
    (["--data", "digits", "--pool", "5000", "--ns", "10"], "--pool", "[2, 1797]"),
    (["--data", "digits", "--pool", "400", "--ns", "400"], "--pool", "larger than the largest n"),
    (["--data", "digits", "--pool", "400", "--ns", "10", "--ridge", "0"], "--ridge", "positive"),
    (["--data", "digits", "--pool", "400", "--ns", "10", "--target-class", "12"], "--target-class", "classes present"),
])
def test_gap_bad_input(capsys, argv, flag, words):
    if "--ridge" not in argv:
        argv = argv + ["--ridge", "1e-3"]
    code, out, err = _run(capsys, ["gap", *argv, "--trials", "2", "--quiet"])
    assert code == 2 and out == ""
    line = err.strip()
    assert "\n" not in line and f"invalid {flag}=" in line and words in line, line


def test_gap_constant_target(capsys, tmp_path):
    path = tmp_path / "flat.npz"
    np.savez(path, X=np.random.default_rng(0).standard_normal((200, 5)), y=np.full(200, 2.0))
    code, _, err = _run(capsys, ["gap", "--data", str(path), "--pool", "150", "--ns", "10", "--ridge", "1e-3",
                                 "--trials", "2", "--quiet"])
    assert code == 2 and "invalid --data=" in err and "constant" in err


def test_learning_curve_test_pool(capsys):
    code, out, err = _run(capsys, ["learning-curve", "--data", "digits", "--pool", "1797", "--test", "pool",
                                   "--ns", "40", "--trials", "2", "--ridge", "1e-3", "--target-class", "1",
                                   "--json", "--quiet"])
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["simulation_mse"] == row["pool_mse"] and row["theory_nongaussian"] > 0
    code, _, err = _run(capsys, ["learning-curve", "--data", "digits", "--pool", "1800", "--test", "pool",
                                 "--ns", "40", "--trials", "2", "--ridge", "1e-3", "--quiet"])
    assert code == 2 and "invalid --pool=1800" in err and "[2, 1797]" in err


def test_gap_rowwise(capsys):
    code, out, err = _run(capsys, ["gap", "--data", "digits", "--pool", "300", "--ns", "30", "--trials", "2",
                                   "--ridge", "1e-3", "--target-class", "2", "--rowwise", "--json", "--quiet"])
    assert code == 0, err
    (row,) = json.loads(out)["rows"]
    assert 0 < row["theory_rowwise"] < 1
