"""``symrg verify --full`` runs the tests marked slow, which the default pytest run leaves out (symrg.verify.suite).

The runs below use a small suite written into a temporary folder (one slow test that passes, one that fails, one
that is not slow), so they take a second and do not depend on the real slow tests."""
import json
import sys
import textwrap

import pytest

from symrg.cli import main
from symrg.errors import ParameterError
from symrg.verify.suite import find_test_suite, run_slow_tests


@pytest.fixture
def suite(tmp_path):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent('''\
        [project]
        name = "symrg"
        [tool.pytest.ini_options]
        markers = ["slow: heavy"]
        addopts = "-m 'not slow'"
        '''))
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_small.py").write_text(textwrap.dedent('''\
        import pytest

        @pytest.mark.slow
        def test_heavy_ok():
            assert 1 + 1 == 2

        @pytest.mark.slow
        def test_heavy_bad():
            assert 1 + 1 == 3

        def test_light():
            assert True
        '''))
    return tests


def test_the_default_run_leaves_out_exactly_the_slow_tests():
    """The checkout's own configuration: pytest -m 'not slow' by default, the marker declared."""
    import tomllib
    from pathlib import Path

    cfg = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    opts = cfg["tool"]["pytest"]["ini_options"]
    assert "-m 'not slow'" in opts["addopts"]
    assert any(m.startswith("slow:") and "verify --full" in m for m in opts["markers"])


def test_finds_this_checkout_and_refuses_a_folder_that_is_not_a_suite(tmp_path, suite):
    assert find_test_suite(suite) == suite.resolve()
    with pytest.raises(ParameterError, match="tests"):
        find_test_suite(tmp_path / "nowhere")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n')
    with pytest.raises(ParameterError, match="tests"):
        find_test_suite(suite)


def test_runs_only_the_slow_tests_and_reports_a_failure(suite):
    ok = run_slow_tests(suite, select="heavy_ok")
    assert ok.ran and ok.passed and ok.returncode == 0
    assert "1 passed" in ok.summary and "deselected" in ok.summary      # test_light and test_heavy_bad left out
    bad = run_slow_tests(suite)
    assert bad.ran and not bad.passed and bad.returncode == 1
    assert "1 failed" in bad.summary and "1 passed" in bad.summary
    assert bad.command[:5] == [sys.executable, "-m", "pytest", "-m", "slow"]


def test_no_suite_is_not_a_pass():
    r = run_slow_tests(None)
    assert not r.ran and not r.passed and "--tests" in r.reason


def test_cli_full_runs_the_suite_after_the_checks(monkeypatch, capsys, suite):
    import symrg.verify as pkg

    R = pkg.CheckResult
    monkeypatch.setattr(pkg, "run_checks", lambda **k: [R("a.two", "two-route", "c", "ra", "rb", 0.0, 1e-10, True,
                                                          0.1, "")])
    assert main(["verify", "--full", "--tests", str(suite), "--json", "--quiet"]) == 1   # test_heavy_bad fails
    d = json.loads(capsys.readouterr().out)
    assert d["passed"] is False and d["slow_tests"]["ran"] and d["slow_tests"]["returncode"] == 1
    (suite / "test_small.py").write_text("import pytest\n\n@pytest.mark.slow\ndef test_heavy_ok():\n    pass\n")
    assert main(["verify", "--full", "--tests", str(suite)]) == 0
    out = capsys.readouterr().out
    assert "slow tests of the suite: passed: 1 passed" in out
    assert main(["verify", "--tests", str(suite)]) == 2                                   # --tests needs --full
    assert "--full" in capsys.readouterr().err
    assert main(["verify", "--full", "--tests", str(suite.parent / "nowhere")]) == 2
    assert "tests" in capsys.readouterr().err


def test_cli_full_without_a_suite_fails_and_says_why(monkeypatch, capsys, tmp_path):
    import symrg.verify as pkg
    import symrg.verify.suite as suite_mod

    monkeypatch.setattr(pkg, "run_checks", lambda **k: [])
    monkeypatch.setattr(suite_mod, "find_test_suite", lambda explicit=None: None)
    assert main(["verify", "--full", "--quiet"]) == 1
    assert "NOT RUN" in capsys.readouterr().out
