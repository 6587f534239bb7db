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
