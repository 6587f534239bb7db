"""The verification registry: categories, exit status, crashing checks, JSON and the tables."""
import json

import pytest

from symrg.cli import main
from symrg.errors import ParameterError
from symrg.verify import registry as verify

JSON_KEYS = ["name", "category", "claim", "route_a", "route_b", "discrepancy", "tolerance", "passed", "seconds",
             "detail"]


def test_every_check_has_a_category_and_routes():
    reg = verify.load_all()
    assert set(verify.CATEGORIES) == {"two-route", "lowering", "regression"}
    for c in reg.values():
        assert c.category in verify.CATEGORIES, c.name
        assert c.route_a and c.route_b and c.route_a != c.route_b, c.name
    # the circular checks are gone, and so is the self-measured band of the constant ridge
    for gone in ("flow.derived_ridge", "input_ridge.gaussian_features", "finite_width.kurtosis", "flow.ode_vs_sum",
                 "flow.constant_ridge_dropped", "flow.constant_ridge_dropped_mnist"):
        assert gone not in reg


def test_pinned_values_are_regression_checks():
    """A check whose reference is a value symrg measured once is a regression check, never two-route."""
    reg = verify.load_all()
    bands = [n for n in reg if n.startswith("learning.") and n.endswith("_band")]
    assert len(bands) == 4
    for n in bands:
        assert reg[n].category == "regression" and "pinned" in reg[n].route_b, n
    assert reg["flow.constant_ridge_shift"].category == "two-route"
    for c in reg.values():
        if c.category != "regression":
            assert "pinned" not in c.route_b.lower() and "measured once" not in c.route_b.lower(), c.name


def test_check_requires_a_known_category():
    with pytest.raises(TypeError):
        verify.check("zz.nocat", "c", "a", "b", 0.0)
    with pytest.raises(ParameterError, match="category"):
        verify.check("zz.badcat", "c", "a", "b", 0.0, category="self-consistent")


def test_verify_exit_status_reflects_failures(monkeypatch, capsys):
    reg = dict(verify.REGISTRY)
    monkeypatch.setattr(verify, "REGISTRY", reg)
    verify.check("zz.failing", "a false identity", "1", "2", 0.0, category="two-route")(lambda: (1.0, "1 != 2"))
    assert main(["verify", "--only", "zz.failing", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "DISAGREE" in out and "1 != 2" in out and "[two-route]" in out and "discrepancy" in out
    assert "0 two-route agree of 1; 1 failed" in out
    verify.check("zz.crashing", "a crash", "a", "b", 1.0, category="lowering")(lambda: 1 / 0)
    results = verify.run_checks(only="zz.crashing")
    assert not results[0].passed and "ZeroDivisionError" in results[0].detail
    assert results[0].category == "lowering"


def test_verify_json(capsys):
    assert main(["verify", "--only", "hurwitz", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] and out["checks"][0]["name"] == "flow.hurwitz"
    assert list(out["checks"][0]) == JSON_KEYS
    assert out["checks"][0]["category"] == "two-route"
    assert out["categories"] == {"two-route": {"description": verify.CATEGORIES["two-route"], "checks": 1, "failed": 0}}


def test_tables_group_by_category():
    R = verify.CheckResult
    rs = [R("a.low", "lowering", "c", "numpy", "mpmath", 1e-15, 1e-12, True, 0.1, ""),
          R("b.two", "two-route", "c", "x" * 200, "y", 2.0, 1.0, False, 0.1, ""),
          R("c.two", "two-route", "c", "p", "q", float("nan"), 1.0, False, 0.1, ""),
          R("d.reg", "regression", "c", "ratio measured now", "pinned ratio 1.3596 +-5%", 0.0, 0.0, True, 0.1,
            "n=64: pinned 1.3596, measured 1.3596")]
    text = verify.format_table(rs)
    assert text.index("[two-route]") < text.index("b.two") < text.index("c.two") < text.index("[lowering]") \
        < text.index("a.low") < text.index("[regression]") < text.index("d.reg")
    assert "x" * 100 in text and "..." not in text                       # long routes are wrapped, never cut
    assert "".join(line.strip() for line in text.splitlines() if "x" * 10 in line).count("x") == 200
    for row in ("a.low", "b.two", "c.two", "d.reg"):                      # the category on every row
        line = next(li for li in text.splitlines() if li.startswith(row))
        assert f"[{next(r.category for r in rs if r.name == row)}]" in line
    reg_block = text[text.index("[regression]"):]
    assert "PINNED VALUES, NOT AGREEMENT" in reg_block.splitlines()[0]
    assert "unchanged" in reg_block and "pinned 1.3596, measured 1.3596" in reg_block and "agree" not in reg_block
    assert verify.summary_line(rs) == ("0 two-route agree of 2, 1 lowering pass, 1 regression unchanged (pinned "
                                       "values, not agreement); 2 failed")
    md = verify.markdown_table(rs)
    assert "| check | category | closed form |" in md and "discrepancy" in md
    assert md.index("b.two") < md.index("a.low") < md.index("d.reg") and "x" * 200 in md
    assert "pinned values, not agreement" in md and "| unchanged |" in md
    assert rs[2].to_dict()["discrepancy"] == "nan"
    assert verify.category_counts(rs) == {
        "two-route": {"description": verify.CATEGORIES["two-route"], "checks": 2, "failed": 2},
        "lowering": {"description": verify.CATEGORIES["lowering"], "checks": 1, "failed": 0},
        "regression": {"description": verify.CATEGORIES["regression"], "checks": 1, "failed": 0}}


def test_verify_json_regression_category(capsys):
    """The contract: every check's category is two-route, lowering or regression; a regression check's detail
    carries the pinned and the measured ratio."""
    reg = dict(verify.REGISTRY)
    verify.load_all()
    assert {c.category for c in verify.REGISTRY.values()} <= {"two-route", "lowering", "regression"}
    assert main(["verify", "--only", "learning.eigenlearning_band", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    row = out["checks"][0]
    assert list(row) == JSON_KEYS and row["category"] == "regression" and row["passed"]
    assert "pinned 1.0084, measured" in row["detail"] and "regression" in out["categories"]
    assert set(reg) <= set(verify.REGISTRY)


def test_checks_run_with_one_blas_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with verify.single_threaded_blas():
        blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)


def test_report_section_keeps_regression_apart(monkeypatch, tmp_path):
    """The report's verification section: categories shown, regression rows as pinned values with the pinned and
    measured ratio, counted as unchanged (not agreement)."""
    import symrg.verify as pkg
    from symrg.studies.report import sec_verify

    R = verify.CheckResult
    rs = [R("a.two", "two-route", "c", "ra", "rb", 1e-14, 1e-10, True, 0.1, ""),
          R("b.reg", "regression", "ratio", "ratio measured now", "pinned ratio 1.3596 +-5%", 0.0, 0.0, True, 0.1,
            "n=64: pinned 1.3596, measured 1.3596")]
    monkeypatch.setattr(pkg, "run_checks", lambda **k: rs)
    out = sec_verify.run(tmp_path, True, None)
    md = out["markdown"]
    assert "1 two-route agree, 1 regression unchanged (pinned values, not agreement); 0 failed" in md
    assert "pinned values, not agreement" in md.split("b.reg")[0].split("a.two")[-1]
    assert "pinned 1.3596, measured 1.3596" in md and "| regression |" in md and "| two-route |" in md
    assert out["categories"]["regression"]["checks"] == 1 and out["failed"] == []
