"""The finite-width width sweep (study): GP limit and O(1/N) prediction against Monte Carlo."""
from __future__ import annotations

import pytest


@pytest.mark.slow
def test_study_quick(tmp_path):
    from symrg.studies.finite_width_study import run_finite_width_study
    doc = run_finite_width_study(tmp_path, quick=True)
    assert (tmp_path / "finite_width_study.png").stat().st_size > 1000
    assert (tmp_path / "finite_width_study.json").exists()
    rows = doc["summary"]["sphere (d=5, n=16)"]
    assert [r["width"] for r in rows] == [8, 16, 32, 64, 128]
    resolved = [r for r in rows if r["resolved"]]
    assert resolved and all(r["error_one_over_n"] < r["error_gp"] for r in resolved if r["width"] >= 32)


def _row(w, gp, one, two, term, sem, resolved=True):
    return {"width": w, "error_gp": gp, "error_one_over_n": one, "error_second_order": two, "c2_term_rms": term,
            "c2_term_sem_rms": sem, "rms_sem": 0.001, "resolved": resolved}


def test_second_order_verdict_rule():
    from symrg.studies.finite_width_study import second_order_verdict
    ok = _row(32, 0.010, 0.012, 0.004, 0.010, 0.002)               # resolved term, beats GP and 1/N
    worse = _row(16, 0.017, 0.029, 0.025, 0.040, 0.010)            # resolved term, still behind GP
    noisy = _row(16, 0.017, 0.029, 0.010, 0.040, 0.030)            # term below twice its error
    win = _row(64, 0.010, 0.003, 0.002, 0.001, 0.0001)             # 1/N already wins: not a failing cell
    assert second_order_verdict({"p": [ok, win]})["verdict"] == "yes"
    assert second_order_verdict({"p": [ok, worse]})["verdict"] == "no"
    assert second_order_verdict({"p": [ok, noisy]})["verdict"] == "unresolved"
    assert second_order_verdict({"p": [win]})["verdict"] == "none failing"
    v = second_order_verdict({"p": [ok, win, _row(8, 0.1, 0.2, 0.05, 1.0, 0.1, resolved=False)]})
    assert v["resolved_cells"] == 2 and v["second_order_beats_one_over_n"] == 2 and len(v["failing_cells"]) == 1
