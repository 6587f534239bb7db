"""The report's LaTeX compiles whatever text the claims and checks carry, and a failed compile is said."""
import shutil
from pathlib import Path

import pytest

from symrg.studies.report.latex import LatexFailed, compile_latex, report_tex, tex_escape

UNICODE_TEXT = ("exact effective potential -log ∫ dg N(g; 0, c) exp(-V(h+g)); σ²_κ ≤ η λ_κ, κ* → ∞, "
                "α/(1+α) ± 0.02, Funk–Hecke, 50% & $5 #1 {x} ~y ^z <a> \\b, Schrödinger, ℏ")


def test_escape_keeps_meaning_and_leaves_no_raw_unicode():
    s = tex_escape(UNICODE_TEXT)
    assert all(ord(ch) < 127 for ch in s)
    assert r"\ensuremath{\int}" in s and r"\ensuremath{\sigma}\ensuremath{^2}" in s and r"\ensuremath{\le}" in s
    assert r"50\% \& \$5 \#1 \{x\}" in s and "[U+210F]" in s         # an unknown symbol is named, not dropped


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (.ci/run installs it)")
def test_report_with_unicode_compiles(tmp_path):
    claims = [{"claim": "IR scale σ²_κ", "criterion": UNICODE_TEXT, "measured": "κ* = 785 ± 3", "holds": True}]
    results = {"verify": {"numbers": [{"name": "running.small_u", "category": "two-route", "route_a": UNICODE_TEXT,
                                       "route_b": "quadrature ∫", "discrepancy": 1e-3, "passed": True}]}}
    tex, pdf = report_tex(tmp_path, claims, results)
    assert not isinstance(pdf, LatexFailed), pdf
    assert Path(pdf).read_bytes()[:4] == b"%PDF"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (.ci/run installs it)")
def test_failed_compile_says_why(tmp_path):
    tex = tmp_path / "bad.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\\undefinedcommand\\end{document}\n")
    res = compile_latex(tex)
    assert isinstance(res, LatexFailed) and "Undefined control sequence" in res
    assert not (tmp_path / "bad.pdf").exists()


def test_verification_table_keeps_regression_apart(tmp_path, monkeypatch):
    """A regression row reads "unchanged" with its pinned and measured value, a two-route row "agree"."""
    import symrg.studies.report.latex as L

    monkeypatch.setattr(L, "compile_latex", lambda tex: L.LatexFailed("not compiled in this test"))
    results = {"verify": {"numbers": [
        {"name": "learning.rg_band", "category": "regression", "route_a": "ratio measured now",
         "route_b": "pinned ratio", "discrepancy": 0.0, "passed": True, "detail": "n=64: pinned 1.3596, measured 1.3596"},
        {"name": "flow.hurwitz", "category": "two-route", "route_a": "a", "route_b": "b", "discrepancy": 1e-16,
         "passed": True, "detail": ""}]}}
    tex, _ = report_tex(tmp_path, [], results)
    text = Path(tex).read_text()
    reg = next(line for line in text.splitlines() if line.startswith("learning.rg\\_band"))
    assert "unchanged" in reg and "pinned 1.3596, measured 1.3596" in reg and "agree" not in reg
    assert "agree" in next(line for line in text.splitlines() if line.startswith("flow.hurwitz"))
    assert "not an agreement" in text
