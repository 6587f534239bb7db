"""LaTeX of the report: the combined derivations document, the report document, compilation.

The report is typeset from what the sections write for ``index.md``: each ``## heading`` becomes a
numbered section (so the table of contents fills), markdown tables become ragged-right ``longtable``s
that wrap, each ``![..](file.png)`` a figure whose caption is the ``*Figure: ...*`` line under it, and
the plain-text formulas of the report (``lambda_k``, ``k^-2``, ``sigma^2``, ``eta^(-alpha/(1+alpha))``,
``|x|``, ``<=``, Greek names) are set in math mode by :func:`math_text`, a converter that only ever
emits whitelisted macros and the input's own letters, digits and operators (nothing is evaluated).
Figures are included at the width they were drawn at (:func:`symrg.studies.plotting.png_info`), so their
text prints at the size it was drawn at (:data:`symrg.studies.plotting.MIN_FONT_PT` or more).

PDFs are compiled with ``pdflatex`` when it exists, with ``SOURCE_DATE_EPOCH`` fixed so that the
same sources give the same bytes.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..._io import atomic_write_bytes, atomic_write_text, provenance

__all__ = ["LatexFailed", "combine_latex", "compile_latex", "markdown_tex", "math_text", "report_tex", "tex_code",
           "tex_escape"]


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


# ---------------------------------------------------------------------------------------------------------
# Plain-text formulas -> math mode (a whitelist: only these names become macros; nothing is evaluated)

_GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
          "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta",
          "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega")
_GREEK_RE = "|".join(sorted(_GREEK, key=len, reverse=True))
_FUNCS = {"sum": r"\sum", "log": r"\log", "exp": r"\exp", "sqrt": r"\surd", "inf": r"\infty"}
_CH = r"[A-Za-z0-9 .,+\-*/=<>~']"                    # what a bracketed formula may contain (no \ { } $ % # & ^ _)
_GROUP = rf"\((?:{_CH}|\((?:{_CH}|\({_CH}*\))*\))*\)"  # parentheses, nested up to three deep
_BRACE = r"\{[A-Za-z0-9 .,+\-*/=<>']*\}"
_WORD = rf"(?:{_GREEK_RE}|[A-Za-z]+|\d+(?:\.\d+)?)(?![A-Za-z0-9])"
_SCRIPT = rf"[_^]-?(?:{_GROUP}|{_BRACE}|{_WORD}\*?)"
_ATOM = re.compile(rf"(?<![A-Za-z0-9_\\])(?P<base>{_WORD}|{_GROUP}(?=[_^]))(?P<scripts>(?:{_SCRIPT})*)(?P<star>\*(?![A-Za-z0-9]))?")
_SCRIPT_RE = re.compile(rf"(?P<op>[_^])(?P<body>-?(?:{_GROUP}|{_BRACE}|{_WORD}\*?))")
_REL = {"<=": r"\le", ">=": r"\ge", "->": r"\to", "+-": r"\pm", "!=": r"\neq", "~": r"\sim", "<": "<", ">": ">"}
_INNER_TOKEN = re.compile(rf"(?P<w>{_GREEK_RE}|[A-Za-z]+)(?![A-Za-z])|(?P<rel><=|>=|->|\+-|!=)"
                          r"|(?<=[A-Za-z0-9])(?P<star>\*)(?=[\s)]|$)|(?P<c>.)", re.S)


def _inner_math(s: str) -> str:
    """The inside of a bracketed formula (already restricted to :data:`_CH`) as math."""
    out = []
    for m in _INNER_TOKEN.finditer(s):
        if m.group("w"):
            w = m.group("w")
            out.append(f"\\{w} " if w in _GREEK else _FUNCS.get(w, w if len(w) == 1 else rf"\mathrm{{{w}}}") + " ")
        elif m.group("rel"):
            out.append(_REL[m.group("rel")] + " ")
        elif m.group("star"):
            out.append("^{*}")
        else:
            c = m.group("c")
            out.append({"~": r"\sim ", "*": r"\ast ", "'": "'"}.get(c, c))
    return "".join(out).strip()


def _base_math(b: str) -> str:
    if b.startswith("("):
        return "(" + _inner_math(b[1:-1]) + ")"
    return _inner_math(b)


def _script_math(body: str) -> str:
    neg = body.startswith("-")
    core = body[1:] if neg else body
    star = core.endswith("*") and not core.startswith(("(", "{"))
    core = core[:-1] if star else core
    if core.startswith(("(", "{")) and not neg:
        core = core[1:-1]
    return ("-" if neg else "") + _inner_math(core) + (r"^{*}" if star else "")


def _atom_math(m) -> str | None:
    """The math of one formula atom, or None when it is ordinary text (a word without scripts)."""
    base, scripts, star = m.group("base"), m.group("scripts"), m.group("star")
    greek = base in _GREEK
    short = greek or base in _FUNCS or len(base) == 1 or base[0].isdigit() or base.startswith("(")
    if not (scripts and short) and not greek:
        return None
    if base.startswith("(") and not scripts:
        return None
    ops = [x.group("op") for x in _SCRIPT_RE.finditer(scripts)]
    if len(ops) != len(set(ops)):          # an identifier (kappa_star_range), not a formula: a double script
        return None
    out = _base_math(base)
    for s in _SCRIPT_RE.finditer(scripts):
        out += f"{s.group('op')}{{{_script_math(s.group('body'))}}}"
    if star:
        out += "^{*}"
    return out


_GAP = re.compile(r"^\s*(?:<=|>=|->|\+-|!=|=|\+|-|/|~|<|>)?\s*$")
_TRAIL = re.compile(r"^(\s*(?:<=|>=|->|!=|=|~|<|>)\s*-?\d+(?:\.\d+)?(?:e-?\d+)?)(?![A-Za-z0-9.])")
_TEXT_REL = re.compile(r"(?<![<>=!-])(<=|>=|->|\+-|!=|(?<=\s)~(?=\s))(?![<>=])")


def math_text(s) -> str:
    """``s`` (plain text of the report) as LaTeX with its formulas in math mode: ``lambda_k`` ->
    ``$\\lambda_{k}$``, ``eta^(-alpha/(1+alpha))`` -> ``$\\eta^{-\\alpha/(1+\\alpha)}$``, ``S^{d-1}``,
    ``sum_(k <= kappa*)``, ``<=`` -> ``$\\le$``, ``|`` -> ``$|$``.  A whitelist: bases and scripts are words,
    numbers or brackets of letters, digits and operators; Greek names and ``sum``/``log``/``exp`` become
    their macros, other words ``\\mathrm``; everything else goes through :func:`tex_escape` as text."""
    s = str(s)
    segs = []                                   # (is_math, text)
    pos = 0
    for m in _ATOM.finditer(s):
        tex = _atom_math(m)
        if tex is None:
            continue
        if m.start() > pos:
            segs.append((False, s[pos:m.start()]))
        segs.append((True, tex))
        pos = m.end()
    segs.append((False, s[pos:]))
    # join math pieces separated only by an operator ("lambda_k = k^-2"), and take in "= 1" after a formula
    merged = []
    for is_math, t in segs:
        if merged and merged[-1][0] and not is_math:
            tm = _TRAIL.match(t)
            if tm:
                merged[-1] = (True, merged[-1][1] + " " + _inner_math(tm.group(1).strip()))
                t = t[tm.end():]
        if is_math and len(merged) >= 2 and merged[-2][0] and not merged[-1][0] and _GAP.match(merged[-1][1]):
            gap = merged.pop()[1]
            merged[-1] = (True, merged[-1][1] + " " + _inner_math(gap.strip()) + " " + t)
            continue
        merged.append((is_math, t))
    out = []
    for is_math, t in merged:
        if is_math:
            out.append(f"${t}$")
            continue
        for k, piece in enumerate(_TEXT_REL.split(t)):
            if k % 2:
                out.append(f"${_REL[piece]}$")
            else:
                t = tex_escape(piece).replace("|", r"$|$").replace("--", "-{}-")   # a --flag keeps its hyphens
                t = re.sub(r"([,/]|\\_|\.(?=[A-Za-z]))(?=\S)", r"\1\\allowbreak{}", t)  # 5000,10000 / a_b.c break
                out.append(t)
    return "".join(out)


# LaTeX math written by symrg itself ($...$ in the sections' markdown): passed through only when every
# command is on this list and the braces balance; otherwise it is printed as text.
_MATH_CMDS = set(_GREEK) | {"varepsilon", "vartheta", "varphi", "varrho", "frac", "dfrac", "tfrac", "sum", "prod",
                            "int", "infty", "left", "right", "mathrm", "mathbf", "mathcal", "operatorname", "text",
                            "zeta", "log", "ln", "exp", "sqrt", "cdot", "cdots", "ldots", "dots", "le", "ge", "leq",
                            "geq", "to", "sim", "approx", "pm", "mp", "times", "partial", "quad", "qquad", "neq",
                            "ast", "star", "in", "equiv", "propto", "gg", "ll", "langle", "rangle", "lvert", "rvert",
                            "hat", "tilde", "bar", "dot", "prime", "binom", "max", "min", "lim", "sin", "cos",
                            "tanh", "arccos", "Gamma", "nabla", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "mid",
                            "vert", "lfloor", "rfloor", "lceil", "rceil", "circ", "otimes", "oplus", "delta",
                            "limits", "displaystyle", "boldsymbol", "underbrace", "overline", "ell", "cdotp",
                            "middle", "rightarrow", "leftarrow", "mapsto", "forall", "exists", "erf",
                            ",", ";", "!", " ", "{", "}", "|", "_", "%"}
_MATH_OK = re.compile(r"^[A-Za-z0-9\s+\-*/=()\[\]{}<>|,.;:!'^_\\]*$")


def safe_math(src: str) -> str | None:
    """``src`` (LaTeX math) when it uses only whitelisted commands and balanced braces, else None."""
    if not _MATH_OK.match(src) or len(src) > 4000:
        return None
    cmds = re.findall(r"\\([A-Za-z]+|.)", src)
    if any(c not in _MATH_CMDS for c in cmds):
        return None
    depth = 0
    for ch in re.sub(r"\\[{}]", "", src):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return None
    return src if depth == 0 else None


def tex_code(s: str) -> str:
    """``s`` in typewriter, breakable after ``.``, ``_``, ``/``, ``:``, ``-``, ``=``, ``,`` and ``*``
    (long identifiers wrap in narrow table cells)."""
    out = []
    for ch in str(s):
        e = tex_escape(ch) if ch not in "<>|" else ch
        out.append(e + (r"\allowbreak{}" if ch in "._/:-=,*" else ""))
    return r"\texttt{" + "".join(out) + "}"


# ---------------------------------------------------------------------------------------------------------
# Markdown (what the sections write for index.md) -> LaTeX

_INLINE = re.compile(r"\$`(?P<m1>[^`]+)`\$|(?<![\\\w])\$(?P<m2>[^$\n]+?)\$(?!\w)|`(?P<code>[^`]+)`"
                     r"|\[(?P<lt>[^\]]+)\]\((?P<lu>[^)\s]+)\)|\*\*(?P<b>.+?)\*\*"
                     r"|(?<![A-Za-z0-9*])\*(?P<i>[^*\s](?:[^*]*[^*\s])?)\*(?![A-Za-z0-9*])")


def inline_tex(s: str) -> str:
    """One line of markdown (code, $math$, links, bold, italics, plain-text formulas) as LaTeX."""
    out, pos = [], 0
    for m in _INLINE.finditer(s):
        out.append(math_text(s[pos:m.start()]))
        pos = m.end()
        if m.group("m1") is not None or m.group("m2") is not None:
            src = m.group("m1") if m.group("m1") is not None else m.group("m2")
            ok = safe_math(src)
            out.append(f"${ok}$" if ok is not None else math_text(m.group(0)))
        elif m.group("code") is not None:
            out.append(tex_code(m.group("code")))
        elif m.group("lt") is not None:
            out.append(inline_tex(m.group("lt")))
        elif m.group("b") is not None:
            out.append(r"\textbf{" + inline_tex(m.group("b")) + "}")
        else:
            out.append(r"\emph{" + inline_tex(m.group("i")) + "}")
    out.append(math_text(s[pos:]))
    return "".join(out)


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


def table_tex(rows: list[list[str]]) -> str:
    """A markdown table as a ragged-right ``longtable`` across the text width: column widths in proportion
    to (the square root of) their longest cell, ``\\small`` (``\\scriptsize`` beyond seven columns)."""
    ncol = len(rows[0])                       # a row with surplus cells (a "|" inside a cell) keeps them in its last
    rows = [r[:ncol - 1] + [" | ".join(r[ncol - 1:])] if len(r) > ncol else r + [""] * (ncol - len(r)) for r in rows]
    longest = [max(max((len(w) for w in re.split(r"\s+", r[j]) if w), default=1) for r in rows) for j in range(ncol)]
    total = [max(len(r[j]) for r in rows) for j in range(ncol)]
    weight = [max(min(t, 60) ** 0.5, min(lw, 18) ** 0.5 * 1.1, 2.0) for t, lw in zip(total, longest)]
    size = r"\small" if ncol <= 5 else r"\footnotesize" if ncol <= 7 else r"\scriptsize"
    sep = 4 if ncol <= 7 else 2.5
    spec = "".join(f">{{\\raggedright\\arraybackslash}}p{{\\dimexpr(\\linewidth-{2 * sep * ncol:.1f}pt)"
                   f"*{round(1000 * w / sum(weight))}/1000\\relax}}" for w in weight)
    head = " & ".join(r"\textbf{" + inline_tex(c) + "}" for c in rows[0])
    body = "\n".join(" & ".join(inline_tex(c) for c in r) + r" \\" for r in rows[1:])
    return (f"{{{size}\\setlength{{\\tabcolsep}}{{{sep}pt}}\n\\begin{{longtable}}{{@{{}}{spec}@{{}}}}\\toprule\n"
            f"{head} \\\\ \\midrule\\endhead\n{body}\n\\bottomrule\\end{{longtable}}}}\n")


_IMG = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)\s*$")
_CAPTION = re.compile(r"^\*(?P<text>Figures?:.*)\*\s*$")


def figure_tex(src: str, caption: str, folder: Path | None, label: str) -> str:
    """A figure included at the width it was drawn at (capped at the text width), with its caption; a
    comment records the size its smallest text prints at."""
    from ..plotting import TEXT_WIDTH_IN, png_info

    width, note = None, ""
    if folder is not None and (folder / src).is_file():
        try:
            info = png_info(folder / src)
        except (OSError, ValueError):
            info = {"width_in": None, "min_font_pt": None}
        width = info["width_in"]
        if width and info["min_font_pt"] is not None:
            shown = min(width, TEXT_WIDTH_IN)
            note = (f"% print size: drawn {width:.2f} in wide, included at {shown:.2f} in; smallest text "
                    f"{info['min_font_pt'] * shown / width:.1f} pt\n")
    inc = (f"width={min(width, TEXT_WIDTH_IN):.2f}in" if width else r"width=\linewidth")
    return (f"\\begin{{figure}}[H]\\centering\n{note}\\includegraphics[{inc}]{{{src}}}\n"
            f"\\caption{{{inline_tex(caption)}}}\\label{{fig:{label}}}\n\\end{{figure}}\n")


def markdown_tex(md: str, folder: Path | None = None, *, level: int = 0) -> str:
    """The markdown of one report section as LaTeX: ``#``/``##`` numbered sections, ``###`` subsections,
    paragraphs, ``-`` lists, pipe tables, figures with the ``*Figure: ...*`` line under (or before) them
    as caption (a figure without one gets its file name), HTML comments dropped."""
    lines = re.sub(r"<!--.*?-->", "", md, flags=re.S).splitlines()
    out, para, i = [], [], 0
    pending_caption = None                      # a "*Figures: ...*" line written before a group of images

    def flush():
        if para:
            out.append(inline_tex(" ".join(para)) + "\n")
            para.clear()

    while i < len(lines):
        ln = lines[i].rstrip()
        if not ln.strip():
            flush()
            i += 1
            continue
        h = re.match(r"^(#{1,4})\s+(.*)$", ln)
        if h:
            flush()
            depth = max(0, len(h.group(1)) - 2) + level
            cmd = ("section", "subsection", "subsubsection", "paragraph")[min(depth, 3)]
            out.append(f"\\{cmd}{{{inline_tex(h.group(2))}}}\n")
            i += 1
            continue
        if ln.lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1]):
            flush()
            rows = [_cells(ln)]
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            out.append(table_tex(rows))
            continue
        img = _IMG.match(ln.strip())
        if img:
            flush()
            src = img.group("src")
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            cap = _CAPTION.match(lines[j].strip()) if j < len(lines) else None
            if cap:
                caption, i = cap.group("text"), j + 1
            else:
                stem = Path(src).stem.replace("_", " ")
                caption = (f"{pending_caption} Shown here: {stem}." if pending_caption else
                           f"Figure: {img.group('alt') or stem}.")
                i += 1
            caption = re.sub(r"^Figures?:\s*", "", caption)
            out.append(figure_tex(src, caption, folder, re.sub(r"[^A-Za-z0-9]", "-", Path(src).stem)))
            continue
        cap = _CAPTION.match(ln.strip())
        if cap and any(_IMG.match(x.strip()) for x in lines[i + 1:i + 4]):
            flush()
            pending_caption = re.sub(r"^Figures?:\s*", "", cap.group("text"))
            i += 1
            continue
        li = re.match(r"^\s*[-*]\s+(.*)$", ln)
        if li and not ln.lstrip().startswith("**"):
            flush()
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                items.append(re.sub(r"^\s*[-*]\s+", "", lines[i]))
                i += 1
            out.append("\\begin{itemize}\n" + "\n".join(f"\\item {inline_tex(x)}" for x in items)
                       + "\n\\end{itemize}\n")
            continue
        para.append(ln.strip())
        i += 1
    flush()
    return "\n".join(out)


def combine_latex(texs, path: Path) -> Path:
    """One document holding the body of every standalone derivation ``.tex``: a numbered section per
    derivation (so the table of contents lists them), its own sections one level down."""
    bodies, preamble = [], set()
    for t in texs:
        s = t.read_text()
        if "\\begin{document}" not in s:
            continue
        head, rest = s.split("\\begin{document}", 1)
        body = rest.rsplit("\\end{document}", 1)[0].replace("\\maketitle", "")
        body = re.sub(r"\\(sub)?(sub)?section\*?\{", _demote, body)
        preamble |= {line.strip() for line in head.splitlines() if line.strip().startswith("\\usepackage")}
        bodies.append(f"\\section{{{tex_escape(t.stem.replace('_', ' '))}}}\n% from derivations/{t.name}\n{body}")
    doc = ["% " + json.dumps(provenance("symrg reproduce: combined derivations")),
           "\\documentclass[11pt]{article}", *sorted(preamble | {"\\usepackage{amsmath}", "\\usepackage{amssymb}"}),
           "\\setcounter{tocdepth}{2}",
           "\\title{symrg: derived Wilsonian flows}", "\\date{}", "\\begin{document}", "\\maketitle",
           "\\tableofcontents", *bodies, "\\end{document}", ""]
    return atomic_write_text(path, "\n".join(doc))


def _demote(m) -> str:
    """``\\section*{`` -> ``\\subsection{`` (numbered, in the contents), ``\\subsection*{`` ->
    ``\\subsubsection*{``: the derivation's own headings sit under its section."""
    subs = (m.group(1) is not None) + (m.group(2) is not None)
    return "\\subsection{" if subs == 0 else "\\subsubsection*{" if subs == 1 else "\\paragraph*{"


class LatexFailed(str):
    """Why a compilation failed (a ``str``: pdflatex missing, or the first error of its log)."""


def compile_latex(tex: Path):
    """``pdflatex`` twice in a scratch folder (the second pass fills the table of contents and the
    references); the PDF lands beside ``tex`` and its path is returned.  On failure a
    :class:`LatexFailed` (falsy is not enough: callers report it) says why; the ``.tex`` is still there."""
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


_VERDICT = {"yes": r"\textbf{yes}", "no": r"\textbf{no}", "unresolved": r"\emph{unresolved}"}


def claims_tex(claims) -> str:
    """The claims as a wrapping table: the claim and its verdict; what the paper states, the regime and the
    criterion; what symrg measured and the evidence; why the rule decided so."""
    def v(c):
        return _VERDICT.get(c.get("verdict"), tex_escape(c.get("verdict", "not measured")))

    rows = []
    for c in claims:
        stated = [inline_tex(c.get("paper", "")) if c.get("paper") else "",
                  r"\emph{Regime:} " + inline_tex(c["regime"]) if c.get("regime") else "",
                  r"\emph{Criterion:} " + inline_tex(c.get("criterion", ""))]
        measured = [inline_tex(c.get("measured", ""))]
        if c.get("evidence"):
            measured.append(r"\emph{Evidence:} " + inline_tex(c["evidence"]))
        rows.append(f"\\textbf{{{inline_tex(c['claim'])}}}\\par\\smallskip Verdict: {v(c)} & "
                    + r"\par ".join(x for x in stated if x) + " & " + r"\par ".join(measured) + " & "
                    + (inline_tex(c.get("why", "")) or "--") + r" \\ \midrule")
    spec = "".join(f">{{\\raggedright\\arraybackslash}}p{{{w}\\linewidth}}" for w in (0.17, 0.29, 0.29, 0.19))
    return ("{\\footnotesize\\setlength{\\tabcolsep}{3pt}\n"
            f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}\\toprule\n"
            r"\textbf{claim, verdict} & \textbf{statement, regime, criterion} & \textbf{measured, evidence} & "
            r"\textbf{why (the rule's reason)} \\ \midrule\endhead" + "\n" + "\n".join(rows)
            + "\n\\bottomrule\\end{longtable}}\n")


_VERIFY_STATUS = ("name", "category", "passed", "discrepancy", "agreement", "tolerance")


def _verify_rows_tex(rows) -> str:
    """The verification rows as a wrapping table built from their fields (whatever fields they carry): the
    check's name, category, result and numbers in the first column, every other text field (closed form,
    route A, route B, ...) in a column of its own; the long ``detail`` and the timing are left to
    ``results.json``."""
    if not rows:
        return ""
    order = list(dict.fromkeys(r.get("category", "") for r in rows))     # grouped by category, as in index.md
    rows = sorted(rows, key=lambda r: order.index(r.get("category", "")))
    text_keys = [k for k in rows[0] if k not in _VERIFY_STATUS + ("detail", "seconds")
                 and all(isinstance(r.get(k, ""), str) for r in rows)]
    names = {"claim": "closed form", "route_a": "route A", "route_b": "route B"}

    try:                                   # agree / pass / unchanged: a regression's pass is never an agreement
        from ...verify.registry import RESULT_WORDS
    except ImportError:
        RESULT_WORDS = {}

    def status(r):
        bits = [tex_code(r.get("name", "")), tex_escape(r.get("category", "")) if r.get("category") else ""]
        ok, bad = RESULT_WORDS.get(r.get("category"), ("pass", "FAIL"))
        res = rf"\textbf{{{ok if r.get('passed') else bad}}}"
        num = [f"{k.replace('_', ' ')} {tex_escape(_fmt(r[k]))}" for k in ("discrepancy", "agreement", "tolerance")
               if k in r and r[k] is not None]
        return r"\par ".join(x for x in bits + [res + (", " + ", ".join(num) if num else "")] if x)
    widths = [0.25] + [0.75 / max(1, len(text_keys))] * len(text_keys)
    spec = "".join(f">{{\\raggedright\\arraybackslash}}p{{\\dimexpr(\\linewidth-{6 * len(widths)}pt)*"
                   f"{round(1000 * w)}/1000\\relax}}" for w in widths)
    head = " & ".join([r"\textbf{check, category, result}"]
                      + [r"\textbf{" + tex_escape(names.get(k, k.replace("_", " "))) + "}" for k in text_keys])
    def cell(r, k):                        # a regression row shows the pinned and the measured value by route B
        extra = f"; {r.get('detail', '')}" if k == "route_b" and r.get("category") == "regression" else ""
        return inline_tex(str(r.get(k, "")) + extra)
    body = "\n".join(" & ".join([status(r)] + [cell(r, k) for k in text_keys]) + r" \\ \midrule" for r in rows)
    note = ("Two-route checks compare two computations that share no code; lowering checks the generated code; "
            "regression checks compare with a value symrg measured once (pinned): ``unchanged'' there is not an "
            "agreement.\n\n" if any(r.get("category") == "regression" for r in rows) else "")
    return (note + "{\\footnotesize\\setlength{\\tabcolsep}{3pt}\n"
            f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}\\toprule\n{head} \\\\ \\midrule\\endhead\n{body}\n"
            "\\bottomrule\\end{longtable}}\n")


def report_tex(out: Path, claims, results) -> Path:
    """``symrg_report.tex`` and the result of compiling it (the PDF's path or :class:`LatexFailed`):
    contents, the claims, then every section's text, tables and captioned figures (the verification
    table among them)."""
    out = Path(out)
    parts = []
    for name, r in results.items():
        md = r.get("markdown")
        if name == "verify" and r.get("numbers"):
            # the checks' own fields, not the markdown table (its cells may hold "|" that split them)
            md = "\n".join(ln for ln in (md or "## Verification").splitlines() if not ln.lstrip().startswith("|"))
            body = markdown_tex(md, out) + _verify_rows_tex(r["numbers"])
            if not body.lstrip().startswith("\\section"):
                body = "\\section{Verification}\n" + body
        elif md:
            body = markdown_tex(md, out)
            if not body.lstrip().startswith("\\section"):
                body = f"\\section{{{tex_escape(name.replace('_', ' '))}}}\n" + body
        else:
            body = ""
        shown = set(re.findall(r"\\includegraphics\[[^\]]*\]\{([^}]*)\}", body))
        for f in r.get("figures", []):             # every figure appears, with a caption
            if f not in shown:
                if not body:
                    body = f"\\section{{{tex_escape(name.replace('_', ' '))}}}\n"
                body += figure_tex(f, f"{name.replace('_', ' ')}: {Path(f).stem.replace('_', ' ')}.", out,
                                   re.sub(r"[^A-Za-z0-9]", "-", Path(f).stem))
        parts.append(body)
    doc = f"""% {json.dumps(provenance('symrg reproduce: report'))}
\\documentclass[10pt,a4paper]{{article}}
\\usepackage{{amsmath,amssymb,graphicx,longtable,array,booktabs,float}}
\\usepackage[margin=1.5cm]{{geometry}}
\\usepackage[font=small,labelfont=bf]{{caption}}
\\setcounter{{tocdepth}}{{2}}
\\emergencystretch=2em
\\title{{symrg report: Wilsonian renormalization of NNGP regression}}\\date{{}}
\\begin{{document}}\\maketitle
\\tableofcontents
\\section{{Claims}}
Each claim's rule was written in code (\\texttt{{symrg/\\allowbreak{{}}studies/\\allowbreak{{}}report/\\allowbreak{{}}claims.py}})
before anything was measured. Verdicts are statistical decisions with the uncertainty of both sides:
\\textbf{{yes}} (the interval lies inside the claim's tolerance), \\textbf{{no}} (entirely outside it),
\\emph{{unresolved}} (the interval straddles the edge).
{claims_tex(claims)}
{chr(10).join(parts)}
\\end{{document}}
"""
    tex = atomic_write_text(out / "symrg_report.tex", doc)
    return tex, compile_latex(tex)


def _fmt(a) -> str:
    return a if isinstance(a, str) else ("n/a" if a is None else f"{a:.1e}")
