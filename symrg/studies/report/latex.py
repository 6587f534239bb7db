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

__all__ = ["combine_latex", "compile_latex", "report_tex", "tex_escape"]


def tex_escape(s: str) -> str:
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
           "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"$<$", ">": r"$>$"}
    return "".join(rep.get(ch, ch) for ch in str(s))


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


def compile_latex(tex: Path):
    """``pdflatex`` twice in a scratch folder; the PDF lands beside ``tex``.  None when pdflatex is
    missing or fails (the ``.tex`` is still there)."""
    if shutil.which("pdflatex") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}  # reproducible PDF bytes
        for _ in range(2):
            r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-output-directory", tmp,
                                tex.name], capture_output=True, text=True, timeout=300, cwd=str(tex.parent), env=env)
            if r.returncode:
                return None
        atomic_write_bytes(tex.with_suffix(".pdf"), (Path(tmp) / (tex.stem + ".pdf")).read_bytes())
    return tex.with_suffix(".pdf")


def report_tex(out: Path, claims, results) -> Path:
    """``symrg_report.tex`` (and its PDF): the claims, the verification table, the figures."""
    def holds(c):
        return "n/a" if c["holds"] is None else ("yes" if c["holds"] else "no")

    rows = "\n".join(f"{tex_escape(c['claim'])} & {tex_escape(c['criterion'])} & {tex_escape(c['measured'])} & "
                     f"{holds(c)} \\\\ \\hline" for c in claims)
    ver = results.get("verify", {}).get("numbers", [])
    vrows = "\n".join(f"{tex_escape(r['name'])} & {tex_escape(r.get('category', ''))} & {tex_escape(r['route_a'])} & "
                      f"{tex_escape(r['route_b'])} & {tex_escape(_fmt(r.get('discrepancy', r.get('agreement'))))} & "
                      f"{'pass' if r['passed'] else 'FAIL'} \\\\ \\hline" for r in ver)
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
claim & criterion & measured & holds \\\\ \\hline
{rows}
\\end{{longtable}}
\\section*{{Verification}}
\\begin{{longtable}}{{|p{{3.3cm}}|p{{1.5cm}}|p{{4cm}}|p{{4cm}}|p{{1.5cm}}|p{{0.8cm}}|}}\\hline
check & category & route A & route B & discrepancy & \\\\ \\hline
{vrows}
\\end{{longtable}}
{figs}
\\section*{{Derivations}}
See \\texttt{{symrg\\_derivations.tex}}.
\\end{{document}}
"""
    tex = atomic_write_text(out / "symrg_report.tex", doc)
    compile_latex(tex)
    return tex


def _fmt(a) -> str:
    return a if isinstance(a, str) else ("n/a" if a is None else f"{a:.1e}")
