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
    assert set(verify.CATEGORIES) == {"two-route", "lowering"}
    for c in reg.values():
        assert c.category in verify.CATEGORIES, c.name
        assert c.route_a and c.route_b and c.route_a != c.route_b, c.name
    # the circular checks are gone
    for gone in ("flow.derived_ridge", "input_ridge.gaussian_features", "finite_width.kurtosis", "flow.ode_vs_sum"):
        assert gone not in reg


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
    assert "FAIL" in out and "1 != 2" in out and "[two-route]" in out and "discrepancy" in out
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
          R("c.two", "two-route", "c", "p", "q", float("nan"), 1.0, False, 0.1, "")]
    text = verify.format_table(rs)
    assert text.index("[two-route]") < text.index("b.two") < text.index("c.two") < text.index("[lowering]") \
        < text.index("a.low")
    assert "x" * 200 not in text and "..." in text                     # long routes are cut in the text table
    md = verify.markdown_table(rs)
    assert md.splitlines()[0].startswith("| check | category |") and "discrepancy" in md.splitlines()[0]
    assert md.index("b.two") < md.index("a.low") and "x" * 200 in md
    assert rs[2].to_dict()["discrepancy"] == "nan"
    assert verify.category_counts(rs) == {
        "two-route": {"description": verify.CATEGORIES["two-route"], "checks": 2, "failed": 2},
        "lowering": {"description": verify.CATEGORIES["lowering"], "checks": 1, "failed": 0}}


def test_checks_run_with_one_blas_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with verify.single_threaded_blas():
        blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
