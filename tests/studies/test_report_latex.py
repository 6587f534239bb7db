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


# --- typesetting (issue 22): math mode, wrapping tables, captions, contents, print size of figure text ---

import re  # noqa: E402

from symrg.studies.report.latex import combine_latex, figure_tex, inline_tex, markdown_tex, math_text  # noqa: E402

SECTION_MD = """## Ridge flow: lambda_k = k^-2

The stop sits where eta lambda_kappa ~ sigma_kappa^2, so E ~ eta^(-alpha/(1+alpha)); |x| <= 1 and S^783.

![flows](fig.png)

*Figure: the ridge sigma^2 against kappa (claim "IR scale set by the data").*

| check | category | route A |
|---|---|---|
| `flow.constant_ridge_identity_against_a_very_long_name` | two-route | sum_(k>kappa) lambda_k |
"""


def _figure(path, width=None, fontsize=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from symrg.studies.plotting import figure_size, report_style, save_figure
    with report_style():
        fig, ax = plt.subplots(figsize=figure_size() if width is None else (width, 3.0))
        ax.plot([1, 2, 3], [3, 1, 2], label="a line")
        ax.set_xlabel("n")
        ax.set_title("title", fontsize=fontsize)
        ax.legend()
        return save_figure(fig, path)


def _text_mode(tex: str) -> str:
    """The .tex without comments, math ($...$, \\ensuremath{...}), escaped dollars and typewriter spans."""
    body = tex.split("\\begin{document}", 1)[1]
    body = "\n".join(ln for ln in body.splitlines() if not ln.lstrip().startswith("%"))
    body = body.replace(r"\$", "")
    body = re.sub(r"\\texttt\{(?:[^{}]|\{\})*\}", "", body)
    body = re.sub(r"\\ensuremath\{[^{}]*\}", "", body)
    return re.sub(r"\$[^$]*\$", "", body)


def test_plain_text_formulas_become_math():
    s = math_text("lambda_k = k^-2, sigma^2 = 1, E ~ eta^(-alpha/(1+alpha)), |x| <= 1")
    flat = re.sub(r"\s+", "", s)
    assert r"$\lambda_{k}=k^{-2}$" in flat and r"$\sigma^{2}=1$" in flat
    assert r"\eta^{-\alpha/(1+\alpha)}" in flat and r"$|$x$|$" in flat and r"$\le$" in flat
    assert "^" not in _text_mode("\\begin{document}" + s) and "|" not in _text_mode("\\begin{document}" + s)
    assert math_text("k^-(1+alpha)").replace(" ", "") == r"$k^{-(1+\alpha)}$"       # the sign keeps its brackets
    nobreak = lambda t: t.replace(r"\allowbreak{}", "")  # noqa: E731
    assert nobreak(math_text("see bench_scale.py and n_train")) == r"see bench\_scale.py and $n_{\mathrm{train}}$"
    assert nobreak(math_text("kappa_star_range x^2^3")) == r"kappa\_star\_range x\textasciicircum{}2\textasciicircum{}3"


@pytest.mark.parametrize("hostile", [r"alpha^(\input{/etc/passwd})", r"x_{\write18{rm -rf ~}}", r"$\input{x}$",
                                     r"$`\immediate\write18{ls}`$", r"k^(\def\x{1})", "sigma^2 % \\catcode"])
def test_hostile_text_stays_text(hostile):
    out = inline_tex(hostile)
    for cmd in ("input", "write", "immediate", "def", "catcode"):
        assert not re.search(r"(?<!textbackslash\{\})\\" + cmd, out), out
    assert "%" not in out.replace(r"\%", "")


def test_whitelisted_math_passes_through():
    out = inline_tex(r"closure: $`\sigma^{2}_{\mathrm{eff}} = \sum_{k=1}^{\infty} \frac{a}{b}`$ and $n\kappa_{eff}$")
    assert r"$\sigma^{2}_{\mathrm{eff}} = \sum_{k=1}^{\infty} \frac{a}{b}$" in out and r"$n\kappa_{eff}$" in out


def test_figure_text_is_at_least_8pt_at_print_size(tmp_path):
    from symrg.studies.plotting import MIN_FONT_PT, REPORT_RC, TEXT_WIDTH_IN, png_info
    # the style alone: every text size of the rc set is >= 8 pt and a full-width figure is drawn at the text width
    sizes = [v for k, v in REPORT_RC.items() if k == "font.size" or k.endswith(("labelsize", "titlesize", "fontsize"))]
    assert len(sizes) >= 6 and min(sizes) >= MIN_FONT_PT and REPORT_RC["figure.figsize"][0] <= TEXT_WIDTH_IN + 0.1
    png = _figure(tmp_path / "fig.png")
    info = png_info(png)
    inc = float(re.search(r"width=([0-9.]+)in", figure_tex("fig.png", "c", tmp_path, "f")).group(1))
    assert info["width_in"] == pytest.approx(TEXT_WIDTH_IN) and inc == pytest.approx(info["width_in"])
    assert info["min_font_pt"] * inc / info["width_in"] >= MIN_FONT_PT
    # a 16 in wide strip shrunk to the page prints its 9 pt text at 9 * 7 / 16 = 3.9 pt: caught
    wide = png_info(_figure(tmp_path / "wide.png", width=16.0))
    inc = float(re.search(r"width=([0-9.]+)in", figure_tex("wide.png", "c", tmp_path, "w")).group(1))
    assert wide["min_font_pt"] * inc / wide["width_in"] == pytest.approx(8.0 * 7 / 16, rel=0.01)
    # an explicit small font is measured, not assumed
    assert png_info(_figure(tmp_path / "small.png", fontsize=6.0))["min_font_pt"] == pytest.approx(6.0)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (.ci/run installs it)")
def test_report_has_contents_captions_and_no_raw_specials(tmp_path):
    _figure(tmp_path / "fig.png")
    claims = [{"claim": "IR scale set by the data", "paper": "kappa* ~ eta^(1/(1+alpha))", "regime": "lambda_k = k^-2",
               "criterion": "|slope - 1/(1+alpha)| <= 3 s.e.", "measured": "slope 0.509 ± 0.002", "verdict": "yes",
               "why": "the interval lies inside", "evidence": "computed in this run", "holds": True}]
    results = {"flows": {"markdown": SECTION_MD, "figures": ["fig.png", "extra.png"]}}
    _figure(tmp_path / "extra.png")                       # a figure the markdown does not show still gets a caption
    tex, pdf = report_tex(tmp_path, claims, results)
    s = Path(tex).read_text()
    assert not isinstance(pdf, LatexFailed), pdf
    assert "\\tableofcontents" in s and "\\section*" not in s and s.count("\\section{") == 2
    assert s.count("\\includegraphics") == 2 == s.count("\\caption{")
    assert "IR scale set by the data" in s.split("\\caption{")[1].split("\n")[0]
    text = _text_mode(s)
    assert "^" not in text and "|" not in text, [ln for ln in text.splitlines() if "^" in ln or "|" in ln]
    assert "p{" in s and "raggedright" in s and "flow.\\allowbreak{}" in s      # wrapping cells, breakable names
    if shutil.which("pdftotext"):
        import subprocess
        txt = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        contents = txt.split("Contents", 1)[1][:300]
        assert "1 Claims" in contents and "2 Ridge flow" in contents          # the contents are filled


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (.ci/run installs it)")
def test_combined_derivations_have_numbered_contents(tmp_path):
    for name in ("phi4_flow", "ridge_step"):
        (tmp_path / f"{name}.tex").write_text("\\documentclass{article}\\usepackage{amsmath}\\begin{document}"
                                              "\\maketitle\\section*{Effective action}\\subsection*{Coefficients}"
                                              "$c_1 = u^2$\\end{document}\n")
    tex = combine_latex(sorted(tmp_path.glob("*.tex")), tmp_path / "combined.tex")
    s = Path(tex).read_text()
    assert s.count("\\section{") == 2 and s.count("\\subsection{Effective action}") == 2
    pdf = compile_latex(Path(tex))
    assert not isinstance(pdf, LatexFailed), pdf
    if shutil.which("pdftotext"):
        import subprocess
        txt = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "1 phi4 flow" in txt.split("Contents", 1)[1] and "1.1 Effective action" in txt


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (.ci/run installs it)")
def test_reproduced_figures_print_at_8pt_with_captions(quick_report):
    """End to end on two sections: every figure the report includes is captioned, drawn no wider than the page
    and its smallest text prints at >= 8 pt (width and fonts measured from the figure, not assumed)."""
    from symrg.studies.plotting import MIN_FONT_PT, TEXT_WIDTH_IN, png_info

    tmp_path = quick_report[0]
    s = (tmp_path / "symrg_report.tex").read_text()
    figs = re.findall(r"\\includegraphics\[width=([0-9.]+)in\]\{([^}]+)\}", s)
    assert sorted(f for _, f in figs) == ["flows.png", "spectra.png"] and s.count("\\caption{") == 2
    for width, name in figs:
        info = png_info(tmp_path / name)
        assert info["width_in"] <= TEXT_WIDTH_IN + 1e-6
        assert info["min_font_pt"] * float(width) / info["width_in"] >= MIN_FONT_PT, name
    assert (tmp_path / "symrg_report.pdf").read_bytes()[:4] == b"%PDF"


def test_verification_table_keeps_regression_apart_typeset(tmp_path, monkeypatch):
    """A regression row reads "unchanged" with its pinned and measured value, a two-route row "agree" (when the
    registry names its result words), in the typeset table built from the checks' fields."""
    import symrg.studies.report.latex as L

    from symrg.verify.registry import RESULT_WORDS

    assert RESULT_WORDS["regression"][0] == "unchanged"
    monkeypatch.setattr(L, "compile_latex", lambda tex: L.LatexFailed("not compiled in this test"))
    results = {"verify": {"numbers": [
        {"name": "learning.rg_band", "category": "regression", "route_a": "ratio measured now",
         "route_b": "pinned ratio", "discrepancy": 0.0, "passed": True, "detail": "n=64: pinned 1.3596, measured 1.3596"},
        {"name": "flow.hurwitz", "category": "two-route", "route_a": "a", "route_b": "b", "discrepancy": 1e-16,
         "passed": True, "detail": ""}]}}
    tex, _ = report_tex(tmp_path, [], results)
    text = Path(tex).read_text()
    reg = next(line for line in text.splitlines() if "rg\\_\\allowbreak{}band" in line)
    assert "unchanged" in reg and "pinned 1.3596, measured 1.3596" in reg and "agree" not in reg
    assert "agree" in next(line for line in text.splitlines() if "hurwitz" in line)
    assert "not an" in text and "agreement" in text
