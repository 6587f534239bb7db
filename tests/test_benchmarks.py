"""Smoke test of benchmarks/bench_peers.py: it runs at ``--quick`` sizes and writes the JSON the
benchmark documents (no timing is asserted; speed claims are ratios printed by the benchmark)."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_peers.py"
ROW_KEYS = {"row", "work", "symrg", "symrg_seconds", "peer", "peer_seconds", "ratio", "agreement",
            "agreement_measure", "note"}


def test_bench_peers_quick_gram_writes_its_json(tmp_path):
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--only", "gram", "--repeats", "1",
                        "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "work | symrg | peer | ratio" in r.stdout
    doc = json.loads(out.read_text())
    assert {"_provenance", "run", "rows"} <= set(doc)
    assert doc["_provenance"]["generator"] == "benchmarks/bench_peers.py"
    run = doc["run"]
    assert run["quick"] is True and run["rows"] == ["gram"] and run["repeats"] == 1
    assert {"git_commit", "machine", "versions", "started", "finished"} <= set(run)
    (row,) = doc["rows"]
    assert ROW_KEYS <= set(row) and row["row"] == "gram"
    assert row["symrg_seconds"] > 0 and row["peer_seconds"] > 0
    assert abs(row["ratio"] - row["symrg_seconds"] / row["peer_seconds"]) <= 1e-12 * row["ratio"]
    # the blocked Gram and the one-shot k(X X^T) are the same matrix (same arithmetic per entry)
    assert row["agreement"] <= 1e-12
    assert row["peak_bytes"]["result"] == 8 * 1000 ** 2 and row["peak_bytes"]["symrg"] >= row["peak_bytes"]["result"]


def test_a_missing_peer_is_a_row_not_a_failure(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_peers", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "have", lambda name: False)     # as if scikit-learn were not installed
    out = tmp_path / "gp.json"
    assert mod.main(["--quick", "--only", "gp", "--repeats", "1", "--out", str(out)]) == 0
    rows = {r["peer"]: r for r in json.loads(out.read_text())["rows"]}
    sk = rows["sklearn GaussianProcessRegressor (optimizer=None)"]
    assert sk["note"] == mod.NOT_INSTALLED and sk["ratio"] is None and sk["peer_seconds"] is None
    chol = rows["plain Cholesky (scipy)"]          # SciPy is a runtime dependency: always measured
    assert chol["ratio"] is not None and chol["agreement"] < 1e-8
