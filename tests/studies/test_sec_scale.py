"""The "scale" report section renders bench_scale.py's JSON, or says how to produce it."""
import json

from symrg._io import write_json
from symrg.studies.report import claims as claims_mod
from symrg.studies.report import sec_scale


def _fake(n_max, pool):
    rows = [{"n": n, "simulation_mse": 1.0 / n, "theory_rg": 1.1 / n, "theory_eigenlearning": 1.05 / n}
            for n in (100, 1000, n_max)]
    return {"_provenance": {"generator": "test", "date": "2026-12-07T18:00:00Z", "commit": "abc1234"},
            "kernel": "relu NNGP, depth 1", "command": "--max-p 10000",
            "spectrum": {"kappa": 1000, "dtype": "float32", "measured": [
                {"P": 5000, "seconds": 10.0, "peak_bytes": 1e9, "passes": 9},
                {"P": pool, "seconds": 40.0, "peak_bytes": 2e9, "passes": 9}],
                "projected": [{"P": 60000, "seconds_power_law": 900.0, "seconds_component_model": 1000.0}],
                "time_exponent": 2.0, "memory_exponent": 1.0},
            "compare": {"P": 5000, "reference": "eigh", "rows": [
                {"kappa": 100, "time_ratio_randomized_over_exact": 0.5, "memory_ratio_randomized_over_exact": 0.3,
                 "randomized_max_relative_error": 1e-11, "randomized_tail_relative_error": 1e-13}]},
            "curve": {"ns": [n_max // 100, n_max // 10, n_max], "target": "0-vs-rest", "pool": pool, "kappa": 1000,
                      "ridge": 1e-3, "fit_window": [20, 300], "kappa_star_range": [20, 300], "dataset": "fashion",
                      "trials": 16, "predicted_slope": -0.3, "predicted_slope_ci": [-0.32, -0.29], "alpha": 0.4,
                      "beta": 0.3, "fit_window_rule": "listed modes", "measured_slope": -0.31,
                      "measured_slope_ci": [-0.32, -0.30], "consistent": True, "rows": rows,
                      "listed_modes": 1000, "gamma": 0.97, "gamma_ci": [0.95, 0.99], "eigenlearning_slope": -0.305,
                      "eigenlearning_slope_ci": [-0.31, -0.30], "verdict": "yes", "verdict_why": "inside"}}


def test_absent_json_says_how(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMRG_SCALE_JSON", str(tmp_path / "none.json"))
    res = sec_scale.run(tmp_path, True, None)
    assert "bench_scale.py" in res["markdown"] and "scaling_at_scale" in res["missing"]
    rows = claims_mod.decide({}, res["missing"])
    assert [r["holds"] for r in rows if r["key"] == "scaling_at_scale"] == [None]


def test_unfair_run_is_rendered_but_decides_nothing(tmp_path, monkeypatch):
    src = tmp_path / "in" / "fashion_scale.json"
    write_json(src, _fake(5000, 10000), "test")          # n_max = P/2 breaks n <= P/20
    monkeypatch.setenv("SYMRG_SCALE_JSON", str(src))
    out = tmp_path / "report"
    out.mkdir()
    res = sec_scale.run(out, True, None)
    assert "| 10000 | 40.0 |" in res["markdown"] and "-0.310" in res["markdown"]
    assert json.loads((out / "scale" / "fashion_scale.json").read_text())["curve"]["pool"] == 10000
    row = [r for r in claims_mod.decide(res["evidence"], res["missing"]) if r["key"] == "scaling_at_scale"][0]
    assert row["verdict"] == "unresolved" and "P/20" in row["why"] and "benchmark file" in row["evidence"]


def test_full_run_decides_the_claim(tmp_path, monkeypatch):
    src = tmp_path / "fashion_scale.json"
    data = _fake(3000, 60000)
    write_json(src, data, "test")
    monkeypatch.setenv("SYMRG_SCALE_JSON", str(src))
    res = sec_scale.run(tmp_path / "r", True, None)
    row = [r for r in claims_mod.decide(res["evidence"], res["missing"]) if r["key"] == "scaling_at_scale"][0]
    assert row["verdict"] == "yes" and str(src) in row["evidence"]
    # the row names the file's date and commit; the section renders the windows and the three slopes
    assert "2026-12-07T18:00:00Z" in row["evidence"] and "abc1234" in row["evidence"]
    assert "stop crosses modes 20.0..300.0" in res["markdown"] and "eigenlearning on the pool spectrum -0.305" in \
        res["markdown"] and "gamma 0.970 [0.950, 0.990]" in res["markdown"]
    data["curve"]["measured_slope_ci"] = [-0.45, -0.40]       # 0.05..0.15 below the prediction's interval: no
    write_json(src, data, "test")
    res = sec_scale.run(tmp_path / "r2", True, None)
    row = [r for r in claims_mod.decide(res["evidence"], res["missing"]) if r["key"] == "scaling_at_scale"][0]
    assert row["verdict"] == "no"
    data["curve"]["measured_slope_ci"] = [-0.38, -0.31]       # straddles the 0.05 edge: unresolved
    write_json(src, data, "test")
    res = sec_scale.run(tmp_path / "r3", True, None)
    row = [r for r in claims_mod.decide(res["evidence"], res["missing"]) if r["key"] == "scaling_at_scale"][0]
    assert row["verdict"] == "unresolved"
