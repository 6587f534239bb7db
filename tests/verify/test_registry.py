"""The verification registry: exit status, crashing checks, JSON."""
import json

from symrg.verify import registry as verify
from symrg.cli import main


def test_verify_exit_status_reflects_failures(monkeypatch, capsys):
    reg = dict(verify.REGISTRY)
    monkeypatch.setattr(verify, "REGISTRY", reg)
    verify.check("zz.failing", "a false identity", "1", "2", 0.0)(lambda: (1.0, "1 != 2"))
    assert main(["verify", "--only", "zz.failing", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "1 != 2" in out
    verify.check("zz.crashing", "a crash", "a", "b", 1.0)(lambda: 1 / 0)
    results = verify.run_checks(only="zz.crashing")
    assert not results[0].passed and "ZeroDivisionError" in results[0].detail


def test_verify_json(capsys):
    assert main(["verify", "--only", "hurwitz", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] and out["checks"][0]["name"] == "flow.hurwitz"
