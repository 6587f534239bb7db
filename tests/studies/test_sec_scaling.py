"""The "scaling" report section: its evidence records carry every key the recipe needs, and runs that
cannot be fair tests (digits, MNIST-5k) read "unresolved: not a fair test"."""
import pytest

from symrg.studies.report import claims as C
from symrg.studies.report import sec_scaling


@pytest.fixture
def small(monkeypatch, tmp_path):
    from symrg.data import builtin

    monkeypatch.setenv("SYMRG_FASHION_DIR", str(tmp_path / "no-fashion"))
    if hasattr(builtin.load_fashion, "cache_clear"):
        builtin.load_fashion.cache_clear()
    monkeypatch.setattr(sec_scaling, "RUNS", {"digits": {"quick": (600, (3, 30), None)},
                                             "mnist": {"quick": (1000, (3, 50), None)},
                                             "fashion": {"quick": (6000, (3, 300), None)}})
    yield
    if hasattr(builtin.load_fashion, "cache_clear"):
        builtin.load_fashion.cache_clear()


def test_section_records_and_verdicts(small, tmp_path):
    res = sec_scaling.run(tmp_path, True, lambda *a: None)
    assert (tmp_path / "scaling.png").stat().st_size > 10_000
    assert "dataset-fashion-mnist" in res["missing"]["real_data_scaling"]
    main, ridge = res["evidence"]["real_data_scaling"], res["evidence"]["real_data_scaling_ridge"]
    assert [e["dataset"] for e in main] == ["digits", "mnist5000"]
    need = {"ns", "pool", "trials", "fit_window", "kappa_star_range", "listed_modes", "dataset", "predicted_slope",
            "predicted_slope_ci", "measured_slope", "measured_slope_ci", "gamma", "eigenlearning_slope"}
    for e in main + ridge:
        assert need <= set(e)
        assert e["trials"] >= 16 and max(e["ns"]) <= e["pool"] / 20
        lo, hi = e["kappa_star_range"]
        assert int(lo) <= e["fit_window"][0] and e["fit_window"][1] <= hi + 1
        assert C.slope_verdict(e).verdict == "unresolved" and "decades" in C.slope_verdict(e).why
    assert ridge[0]["regime"] == "ridge-dominated" and ridge[0]["ridge"] == sec_scaling.RIDGE_RUN["ridge"]
    rows = {r["key"]: r for r in C.decide(res["evidence"], res["missing"])}
    assert rows["real_data_scaling"]["verdict"] == "unresolved" and "not a fair test" in rows["real_data_scaling"]["why"]
    assert "| digits |" in res["markdown"] and "(ridge-dominated)" in res["markdown"]
