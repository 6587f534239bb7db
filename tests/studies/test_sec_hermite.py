"""The "hermite" report section renders bench_hermite.py's JSON, or says how to produce it."""
import json

from symrg._io import write_json
from symrg.studies.report import sec_hermite


def _fake():
    case = {"data": "mnist", "pool": 5000, "depth": 1, "kappa": 1000, "listed": 1000,
            "bands": [{"modes": "1", "listed": 1, "requested": 1, "median_rel_error": 0.0035, "max_rel_error": 0.0035},
                      {"modes": "2-10", "listed": 9, "requested": 9, "median_rel_error": 0.031, "max_rel_error": 0.063}],
            "cumulative": [{"K": 10, "rel_error": 0.004}], "plain": {"refused": "invalid --kappa"}}
    return {"command": "(defaults)", "reference": "dense eigh", "error": "relative", "cases": [case],
            "timing": {"P": 60000, "kappa": 1000, "kernel": "relu NNGP, depth 1", "seconds_hermite": 12.5,
                       "listed": 1000, "randomized_P": 10000, "seconds_randomized": 130.0,
                       "ratio_randomized_small_over_hermite_60000": 10.4,
                       "recorded_randomized_60000_seconds": 667.8, "recorded_source": "fashion_scale.json",
                       "ratio_recorded_randomized_60000_over_hermite_60000": 53.4}}


def test_absent_json_says_how(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMRG_HERMITE_JSON", str(tmp_path / "none.json"))
    res = sec_hermite.run(tmp_path, True, None)
    assert "bench_hermite.py" in res["markdown"]


def test_json_is_rendered_and_copied(tmp_path, monkeypatch):
    src = tmp_path / "in" / "h.json"
    write_json(src, _fake(), "test")
    monkeypatch.setenv("SYMRG_HERMITE_JSON", str(src))
    out = tmp_path / "report"
    out.mkdir()
    res = sec_hermite.run(out, True, None)
    md = res["markdown"]
    assert "| mnist | 5000 | 1 | 1000 / 1000 | 2-10 (9 listed) | 0.031 | 0.063 |" in md
    assert "668 s" in md and "not re-run" in md and "refused" in md
    assert json.loads((out / "hermite" / "hermite_accuracy.json").read_text())["cases"][0]["pool"] == 5000
