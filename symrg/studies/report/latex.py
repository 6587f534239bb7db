"""LaTeX of the report: the combined derivations document, the report document, compilation.

PDFs are compiled with ``pdflatex`` when it exists, with ``SOURCE_DATE_EPOCH`` fixed so that the
same sources give the same bytes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..._io import atomic_write_bytes, atomic_write_text, provenance

__all__ = ["LatexFailed", "combine_latex", "compile_latex", "report_tex", "tex_escape"]


_TEX_ASCII = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
              "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"$<$", ">": r"$>$"}
# The non-ASCII characters the report's text uses, as math (pdflatex without inputenc extras reads none
# of them); anything else becomes its code point, so the document always compiles.
_TEX_MATH = {"∫": r"\int", "∑": r"\sum", "√": r"\surd", "∞": r"\infty", "≤": r"\le", "≥": r"\ge",
             "≈": r"\approx", "≠": r"\neq", "±": r"\pm", "×": r"\times", "·": r"\cdot", "→": r"\to",
             "←": r"\leftarrow", "↔": r"\leftrightarrow", "−": "-", "∈": r"\in", "∂": r"\partial",
             "²": "^2", "³": "^3", "⁴": "^4", "¹": "^1", "⁻": "^-", "α": r"\alpha", "β": r"\beta",
             "γ": r"\gamma", "δ": r"\delta", "Δ": r"\Delta", "ε": r"\epsilon", "η": r"\eta", "θ": r"\theta",
             "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "π": r"\pi", "ρ": r"\rho",
             "σ": r"\sigma", "τ": r"\tau", "φ": r"\phi", "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi",
             "ω": r"\omega", "Σ": r"\Sigma", "Φ": r"\Phi", "Ω": r"\Omega", "ζ": r"\zeta", "ξ": r"\xi"}
_TEX_TEXT = {"–": "--", "—": "---", "…": r"\ldots{}", "‘": "`", "’": "'", "“": "``", "”": "''", "é": r"\'e",
             "ö": r'\"o', "ü": r'\"u', "ä": r'\"a', "\u00a0": "~"}


def tex_escape(s: str) -> str:
    """``s`` as LaTeX text that pdflatex compiles: special characters escaped, the Greek letters and
    mathematical symbols of the report's text as math, any other non-ASCII character as ``[U+XXXX]``."""
    out = []
    for ch in str(s):
        if ch in _TEX_ASCII:
            out.append(_TEX_ASCII[ch])
        elif ch in _TEX_MATH:
            out.append(f"\\ensuremath{{{_TEX_MATH[ch]}}}")
        elif ch in _TEX_TEXT:
            out.append(_TEX_TEXT[ch])
        elif ord(ch) > 126 or (ord(ch) < 32 and ch not in "\n\t"):
            out.append(f"[U+{ord(ch):04X}]")
        else:
            out.append(ch)
    return "".join(out)


def combine_latex(texs, path: Path) -> Path:
    """One document holding the body of every standalone derivation ``.tex``."""
    bodies, preamble = [], set()
    for t in texs:
        s = t.read_text()
        if "\\begin{document}" not in s:
            continue
        head, rest = s.split("\\begin{document}", 1)
        body = rest.rsplit("\\end{document}", 1)[0].replace("\\maketitle", "")
        preamble |= {line.strip() for line in head.splitlines() if line.strip().startswith("\\usepackage")}
        bodies.append(f"\\section*{{{t.stem.replace('_', ' ')}}}\n% from derivations/{t.name}\n{body}")
    doc = ["% " + json.dumps(provenance("symrg reproduce: combined derivations")),
           "\\documentclass[11pt]{article}", *sorted(preamble | {"\\usepackage{amsmath}", "\\usepackage{amssymb}"}),
           "\\title{symrg: derived Wilsonian flows}", "\\date{}", "\\begin{document}", "\\maketitle",
           "\\tableofcontents", *bodies, "\\end{document}", ""]
    return atomic_write_text(path, "\n".join(doc))


class LatexFailed(str):
    """Why a compilation failed (a ``str``: pdflatex missing, or the first error of its log)."""


def compile_latex(tex: Path):
    """``pdflatex`` twice in a scratch folder; the PDF lands beside ``tex`` and its path is returned.
    On failure a :class:`LatexFailed` (falsy is not enough: callers report it) says why; the ``.tex``
    is still there."""
    if shutil.which("pdflatex") is None:
        return LatexFailed("pdflatex is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}  # reproducible PDF bytes
        for _ in range(2):
            r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-output-directory", tmp,
                                tex.name], capture_output=True, text=True, timeout=300, cwd=str(tex.parent), env=env)
            if r.returncode:
                err = [ln for ln in r.stdout.splitlines() if ln.startswith("!")]
                return LatexFailed(f"pdflatex failed on {tex.name}: {err[0] if err else 'exit ' + str(r.returncode)}")
        atomic_write_bytes(tex.with_suffix(".pdf"), (Path(tmp) / (tex.stem + ".pdf")).read_bytes())
    return tex.with_suffix(".pdf")


def report_tex(out: Path, claims, results) -> Path:
    """``symrg_report.tex`` and the result of compiling it (the PDF's path or :class:`LatexFailed`):
    the claims, the verification table, the figures."""
    rows = "\n".join(f"{tex_escape(c['claim'])} & {tex_escape(c['criterion'])} & {tex_escape(c['measured'])} "
                     f"({tex_escape(c.get('evidence', ''))}) & {tex_escape(c.get('verdict', 'not measured'))} "
                     f"\\\\ \\hline" for c in claims)
    from ...verify.registry import RESULT_WORDS

    ver = results.get("verify", {}).get("numbers", [])

    def result(r):   # agree / pass / unchanged: a regression check's pass is "unchanged", never agreement
        ok, bad = RESULT_WORDS.get(r.get("category"), ("pass", "FAIL"))
        return ok if r["passed"] else bad

    def route_b(r):  # a regression row shows the pinned and the measured value beside the pinned one
        extra = f"; {r.get('detail', '')}" if r.get("category") == "regression" else ""
        return tex_escape(r["route_b"] + extra)
    vrows = "\n".join(f"{tex_escape(r['name'])} & {tex_escape(r.get('category', ''))} & {tex_escape(r['route_a'])} & "
                      f"{route_b(r)} & {tex_escape(_fmt(r.get('discrepancy', r.get('agreement'))))} & "
                      f"{result(r)} \\\\ \\hline" for r in ver)
    figs = "\n".join(f"\\begin{{figure}}[h]\\centering\\includegraphics[width=\\textwidth]{{{f}}}\\end{{figure}}"
                     for r in results.values() for f in r.get("figures", []))
    doc = f"""% {json.dumps(provenance('symrg reproduce: report'))}
\\documentclass[10pt]{{article}}
\\usepackage{{amsmath,graphicx,longtable}}
\\usepackage[margin=1.5cm]{{geometry}}
\\title{{symrg report}}\\date{{}}
\\begin{{document}}\\maketitle
\\section*{{Claims}}
\\begin{{longtable}}{{|p{{3.2cm}}|p{{4.2cm}}|p{{7.6cm}}|p{{0.9cm}}|}}\\hline
claim & criterion & measured (evidence) & verdict \\\\ \\hline
{rows}
\\end{{longtable}}
\\section*{{Verification}}
Two-route checks compare two computations that share no code; lowering checks the generated code; regression
checks compare with a value symrg measured once (pinned): ``unchanged'' there is not an agreement.
\\begin{{longtable}}{{|p{{3.3cm}}|p{{1.5cm}}|p{{3.7cm}}|p{{3.7cm}}|p{{1.5cm}}|p{{1.4cm}}|}}\\hline
check & category & route A & route B (regression: pinned; pinned vs measured) & discrepancy & result \\\\ \\hline
{vrows}
\\end{{longtable}}
{figs}
\\section*{{Derivations}}
See \\texttt{{symrg\\_derivations.tex}}.
\\end{{document}}
"""
    tex = atomic_write_text(out / "symrg_report.tex", doc)
    return tex, compile_latex(tex)


def _fmt(a) -> str:
    return a if isinstance(a, str) else ("n/a" if a is None else f"{a:.1e}")
