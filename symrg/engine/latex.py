"""LaTeX export of derived coefficients, flows, running couplings and diagrams (docs/theory.md sections 3 and 6).

Expressions go through ``sympy.latex`` one factor at a time, so that a long coefficient is broken
across lines (``multline*``) between terms, and a term too long for one line between its factors;
integrals over the data measure print as ``\\int d\\mu(x_1) ...`` with their numeric factors pulled
out.  :func:`document` wraps a body in a standalone ``article`` (``amsmath`` and ``geometry``
only, both in every LaTeX installation) with a provenance comment header, so the output of
``symrg derive --latex --standalone`` compiles with ``pdflatex`` as it is.

Diagrams are listed only when asked for: each is described by its vertices (the monomials of
``S_int``), its propagator lines and its external legs, and drawn with LaTeX's own ``picture``
environment and ``\\qbezier`` (TikZ is not part of the LaTeX packages that CI installs, so the
drawings use nothing beyond the LaTeX kernel): vertices are dots, lines of the first integrated
species are solid and of further species dotted, self-contractions are loops, external legs are
short stubs labelled by the kept field.

Names in an action file are identifiers (:mod:`symrg.engine.spec`), so no user text reaches the
output verbatim; symbols built through the API with other names, and free text, are escaped
(:func:`escape_tex`).
"""
from __future__ import annotations

import math
import re

import sympy as sp

from .expr import as_expr

__all__ = ["latex_expr", "result_to_latex", "document", "escape_tex", "equation", "diagram_picture",
           "flow_to_latex", "result_display_math", "LINE_WIDTH"]

LINE_WIDTH = 40       # display width of one line of an equation, in units of _width (about 11 pt each; A4, 2 cm margins)

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}"}


def escape_tex(text: str) -> str:
    """``text`` as literal LaTeX text: every special character escaped (``\\input{x}`` cannot run)."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in str(text).replace("\n", " "))


def _safe_names(expr) -> dict:
    """``symbol_names`` for ``sympy.latex``: symbols whose names are not identifiers (an action
    file cannot make them, but the API can) are printed as escaped ``\\text{...}``."""
    out = {}
    for s in expr.atoms(sp.Symbol):
        if not (s.name.isidentifier() or s.name.replace("<", "").replace(">", "").isidentifier()):
            out[s] = r"\text{" + escape_tex(s.name) + "}"
        elif s.name in _SQUARED:
            out[s] = _SQUARED[s.name]
    return out


# the project's names of squared quantities (sigma2 is the ridge sigma^2, not sigma_2)
_SQUARED = {"sigma2": r"\sigma^{2}", "sigma2_eff": r"\sigma^{2}_{\mathrm{eff}}"}


def latex_expr(expr) -> str:
    """``sympy.latex`` with the local-coupling objects printed as ``f_<(x)``, ``G_>(x,y)``; symbol
    names that are not identifiers are escaped (:func:`escape_tex`)."""
    e = as_expr(expr)
    return sp.latex(e, symbol_names=_safe_names(e))


# ------------------------------------------------------------------------------ line breaking --
def _width(tex: str) -> float:
    """Rough display width of a LaTeX math string, in characters: a fraction is as wide as its
    wider part, scripts count 0.7, a command (``\\alpha``) counts one."""
    pos = 0

    def group():
        nonlocal pos
        if pos < len(tex) and tex[pos] == "{":
            depth, start = 0, pos
            while pos < len(tex):
                if tex[pos] == "{":
                    depth += 1
                elif tex[pos] == "}":
                    depth -= 1
                    if depth == 0:
                        pos += 1
                        return _width(tex[start + 1:pos - 1])
                pos += 1
            return _width(tex[start + 1:])
        if pos < len(tex):
            pos += 1
            return _width(tex[pos - 1])
        return 0.0

    total = 0.0
    while pos < len(tex):
        c = tex[pos]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[pos:])
            name = m.group(1)
            pos += len(m.group(0))
            if name in ("frac", "dfrac", "tfrac"):
                total += max(group(), group())
            elif name in ("left", "right", "limits", "displaystyle", "mathrm", "operatorname", "text", "mathit"):
                continue
            elif name in (",", ";", "!", ":"):
                total += 0.3
            elif name in ("quad",):
                total += 2
            else:
                total += 1.4 if len(name) > 1 else 0.5
        elif c in "^_":
            pos += 1
            total += 0.7 * group()
        elif c in "{}":
            pos += 1
        elif c == " ":
            pos += 1
        else:
            total += 1
            pos += 1
    return total


def _pull_numbers(e):
    """Integrals split over the terms of their integrand, with numeric factors pulled out:
    ``Integral(-3 G f + g)`` -> ``-3 Integral(G f) + Integral(g)`` (linearity)."""
    def pull(i):
        out = sp.Integer(0)
        for t in sp.Add.make_args(sp.expand(i.function)):
            c, rest = t.as_coeff_Mul()
            out += c * sp.Integral(rest, *i.limits)
        return out
    if not e.has(sp.Integral):
        return e
    return sp.expand(e.replace(lambda x: isinstance(x, sp.Integral), pull))


def _chunks(term, width: float = LINE_WIDTH) -> list:
    """A product as LaTeX chunks between which a line may break: the numeric coefficient, then the rest as
    SymPy prints it -- or, when that is wider than ``width``, each factor on its own; an integral over the
    data measure as ``\\int d\\mu(x_1)...`` followed by the chunks of its integrand."""
    coeff, rest = term.as_coeff_Mul()
    out = []
    if coeff != 1:
        c = sp.Rational(coeff) if coeff.is_Rational else coeff
        out.append(latex_expr(abs(c)) if c != -1 else "")
    if rest == 1:
        return [c for c in out if c] or ["1"]
    if not rest.has(sp.Integral):
        whole = latex_expr(rest)
        if _width(whole) <= width * 0.9:
            return [c for c in out if c] + [whole]
    factors = sp.Mul.make_args(rest)
    for f in sorted(factors, key=lambda f: (isinstance(f, sp.Integral), sp.default_sort_key(f))):
        if isinstance(f, sp.Integral):
            xs = [lim[0] for lim in f.limits]
            out.append(r"\int " + r"\, ".join(r"d\mu(%s)" % latex_expr(x) for x in xs))
            out.extend(_chunks(f.function, width))
        else:
            tex = latex_expr(f)
            if isinstance(f, sp.Add):
                tex = r"\left(%s\right)" % tex
            out.append(tex)
    return [c for c in out if c]


def _terms(expr, width: float = LINE_WIDTH) -> list:
    """``[(sign, chunks)]`` of the terms of an expression, in SymPy's print order."""
    expr = _pull_numbers(as_expr(expr))
    terms = expr.as_ordered_terms() if expr.is_Add else [expr]
    out = []
    for t in terms:
        neg = t.could_extract_minus_sign()
        body = -t if neg else t
        if body.is_Mul or isinstance(body, sp.Integral):
            chunks = _chunks(body, width)
        else:
            chunks = [latex_expr(body)]
        out.append(("-" if neg else "+", chunks or ["1"]))
    return out


def _lines(lhs: str, expr, width: float) -> list:
    """The right-hand side packed greedily into lines of at most ``width`` characters; a term that
    does not fit on a line is broken between its chunks."""
    lines, cur, cur_w = [], lhs + " = ", _width(lhs) + 2
    first = True
    for sign, chunks in _terms(expr, width):
        lead = ("- " if sign == "-" else "") if first else (" - " if sign == "-" else " + ")
        first = False
        piece = lead + " ".join(chunks)
        pw = _width(piece)
        if cur_w + pw <= width:
            cur, cur_w = cur + piece, cur_w + pw
            continue
        if cur.strip() and cur_w > _width(lhs) + 3:
            lines.append(cur)
            cur, cur_w = "", 0.0
        # the term on fresh lines, broken between chunks where needed
        part, part_w = lead, _width(lead)
        for ch in chunks:
            cw = _width(ch)
            if part_w + cw > width and part.strip() not in ("", "+", "-"):
                if cur:
                    lines.append(cur + part)
                    cur = ""
                else:
                    lines.append(part)
                part, part_w = r"\quad " + ch, 2 + cw
            else:
                part, part_w = part + (" " if part.strip() else "") + ch, part_w + cw + 0.5
        cur, cur_w = cur + part, cur_w + part_w
    if cur:
        lines.append(cur)
    return lines


def equation(lhs: str, expr, width: float = LINE_WIDTH) -> str:
    """A displayed equation ``lhs = expr``: ``equation*`` when it fits on one line, else ``multline*``
    broken between terms (and between the factors of a term too long for a line)."""
    lines = _lines(lhs, expr, width)
    if len(lines) == 1:
        return "\\begin{equation*}\n%s\n\\end{equation*}" % lines[0]
    return "\\begin{multline*}\n%s\n\\end{multline*}" % " \\\\\n".join(lines)


def _monomial_tex(m) -> str:
    return "1" if m == 1 else latex_expr(m)


# ------------------------------------------------------------------------------------ diagrams --
_UNIT = 1.0     # picture unit: 1pt


def _pt(x, y) -> str:
    return f"({x:.1f},{y:.1f})"


def diagram_picture(d, species: list | None = None, size: float = 56.0) -> str:
    """A ``picture`` drawing of a :class:`~symrg.engine.wilson.Diagram` (LaTeX kernel only).

    Vertices on a circle (one vertex at the centre), ``m`` parallel lines bowed apart, self-loops as
    teardrops pointing outwards, external legs as labelled stubs.  Lines of the first integrated
    species are solid, of the others dotted (``\\qbezier[n]``).
    """
    n = d.order
    r = 0.0 if n == 1 else size * 0.28
    cx = cy = size / 2
    pos = [(cx + r * math.cos(2 * math.pi * i / n + math.pi / 2), cy + r * math.sin(2 * math.pi * i / n + math.pi / 2))
           for i in range(n)]
    species = species or sorted({e[2] for e in d.edges})
    out = [r"\setlength{\unitlength}{1pt}\begin{picture}(%d,%d)" % (size, size)]

    def curve(p, c, q, sp_name):
        k = species.index(sp_name) if sp_name in species else 0
        dots = "" if k == 0 else f"[{24 if k == 1 else 12}]"
        out.append(r"\qbezier%s%s%s%s" % (dots, _pt(*p), _pt(*c), _pt(*q)))

    loops_at = {}
    for v, w, sp_name, m in d.edges:
        if v == w:
            loops_at.setdefault(v, []).extend([sp_name] * m)
            continue
        (x1, y1), (x2, y2) = pos[v], pos[w]
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = x2 - x1, y2 - y1
        ln = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / ln, dx / ln
        for j in range(m):
            off = (j - (m - 1) / 2) * 9.0
            curve((x1, y1), (mx + nx * off * 2, my + ny * off * 2), (x2, y2), sp_name)
    ext_legs = _external_legs(d)
    for v in range(n):
        x, y = pos[v]
        base = math.atan2(y - cy, x - cx) if n > 1 else math.pi / 2
        loops = loops_at.get(v, [])
        legs = ext_legs.get(v, [])
        k_tot = len(loops) + len(legs)
        spread = math.pi / 2 if n > 1 else 2 * math.pi
        angles = [base + (spread * ((i + 0.5) / k_tot - 0.5) if n > 1 else 2 * math.pi * i / max(k_tot, 1))
                  for i in range(k_tot)]
        for (a, sp_name) in zip(angles[:len(loops)], loops):
            L = 16.0
            far = (x + L * math.cos(a), y + L * math.sin(a))
            c1 = (x + L * 1.1 * math.cos(a + 0.75), y + L * 1.1 * math.sin(a + 0.75))
            c2 = (x + L * 1.1 * math.cos(a - 0.75), y + L * 1.1 * math.sin(a - 0.75))
            curve((x, y), c1, far, sp_name)
            curve(far, c2, (x, y), sp_name)
        for a, name in zip(angles[len(loops):], legs):
            L = 9.0
            end = (x + L * math.cos(a), y + L * math.sin(a))
            out.append(r"\qbezier%s%s%s" % (_pt(x, y), _pt((x + end[0]) / 2, (y + end[1]) / 2), _pt(*end)))
            lab = (x + (L + 4) * math.cos(a) - 2, y + (L + 4) * math.sin(a) - 2)
            out.append(r"\put%s{\makebox(0,0){\tiny $%s$}}" % (_pt(*lab), name))
        out.append(r"\put%s{\circle*{3}}" % _pt(x, y))
    out.append(r"\end{picture}")
    return "".join(out)


def _external_legs(d) -> dict:
    """``{vertex: [kept-field LaTeX names, one per leg]}`` read off the vertex labels (monomials of
    ``S_int`` such as ``a**2*b**2*u/4``, or ``u/6*f_<^3*f_>^1`` for local couplings)."""
    kept = {}
    for f in (sp.Mul.make_args(d.external) if d.external != 1 else ()):
        base, _ = f.as_base_exp()
        kept[str(base)] = base
    out = {}
    for v, label in enumerate(d.vertices):
        legs = []
        local = re.findall(r"([A-Za-z_][\w]*_<)\^(\d+)", str(label))
        if local:
            for name, e in local:
                legs += [latex_expr(sp.Symbol(name))] * int(e)
        else:
            try:
                e = as_expr(str(label), key="diagram vertex")
            except Exception:
                e = sp.Integer(1)
            for name, base in kept.items():
                sym = next((x for x in e.free_symbols if x.name == name), None)
                if sym is not None:
                    legs += [latex_expr(base)] * int(sp.degree(e, sym))
        out[v] = legs
    return out


def _describe(d) -> str:
    """One paragraph: vertices, propagator lines, external legs, symmetry factor and contribution."""
    verts = "; ".join(r"$v_{%d}$: $%s$" % (i + 1, _vertex_tex(lab)) for i, lab in enumerate(d.vertices))
    lines = []
    for v, w, sp_name, m in d.edges:
        what = r"$v_{%d}$--$v_{%d}$" % (v + 1, w + 1) if v != w else r"loop at $v_{%d}$" % (v + 1)
        lines.append(what + (r" ($%s$)" % latex_expr(sp.Symbol(sp_name))) + (f" $\\times {m}$" if m > 1 else ""))
    ext = _monomial_tex(d.external)
    return (r"order %d, %d loop(s), symmetry factor $%s$, %d channel(s). Vertices: %s. Lines: %s. "
            r"External legs: $%s$." % (d.order, d.loops, sp.latex(d.symmetry_factor), d.channels, verts,
                                       ", ".join(lines) or "none", ext))


def _vertex_tex(label: str) -> str:
    """LaTeX of a vertex label (``a**2*b**2*u/4``): parsed by the whitelist parser, never evaluated."""
    text = str(label)
    local = re.findall(r"([A-Za-z_][\w]*_[<>])\^(\d+)", text)
    if local:   # a local vertex: coefficient * f_<^n * f_>^m
        coeff = text.split("*" + local[0][0])[0]
        parts = [_vertex_tex(coeff)] + [r"%s^{%s}" % (latex_expr(sp.Symbol(n)), e) for n, e in local if e != "0"]
        return " ".join(p.replace("^{1}", "") for p in parts)
    try:
        return latex_expr(as_expr(text, key="diagram vertex"))
    except Exception:  # a label the parser does not take (local-field names with < >): show it as text
        return r"\text{%s}" % escape_tex(label)


def _diagrams_tex(res) -> list:
    species = sorted({e[2] for d in res.diagrams for e in d.edges})
    out = [r"\subsection*{Diagrams}",
           r"Each connected diagram with its vertices (monomials of $S_{\mathrm{int}}$), its propagator lines "
           r"(solid: $%s$%s) and its external legs; drawn with the \texttt{picture} environment." % (
               latex_expr(sp.Symbol(species[0])) if species else "-",
               "".join(r", dotted: $%s$" % latex_expr(sp.Symbol(s)) for s in species[1:])), ""]
    for i, d in enumerate(res.diagrams, start=1):
        out += [r"\noindent\begin{minipage}[c]{0.16\linewidth}%s\end{minipage}\hfill" % diagram_picture(d, species),
                r"\begin{minipage}[c]{0.82\linewidth}\small (D%d) %s" % (i, _describe(d)),
                equation(r"D_{%d}" % i, d.expression, LINE_WIDTH * 0.8),
                r"\end{minipage}\par\medskip", ""]
    return out


# ------------------------------------------------------------------------------------- results --
def flow_to_latex(flow) -> str:
    """LaTeX body of a :class:`~symrg.engine.running.FlowResult`: beta functions, dropped operators,
    fixed points with the eigenvalues of their stability matrix and whether the action there is bounded
    below (docs/theory.md section 3)."""
    kap = latex_expr(flow.cutoff)
    lines = [r"\subsection*{Running couplings}",
             "Couplings read off the kept monomials " + ", ".join(
                 r"$%s \leftrightarrow %s$" % (latex_expr(g), latex_expr(m)) for g, m in flow.operators.items())
             + r"; kept operators up to degree %d, %s." % (
                 flow.max_degree,
                 r"the terms first order in the shell width: tadpoles (one vertex, one line) and trees (two "
                 r"vertices, one line); diagrams with two or more lines in a shell, such as the bubble of two quartic "
                 r"vertices, are of second order in its width (the iterated flow regenerates them through the higher "
                 r"operators it keeps)"
                 if flow.loops else r"the trees of the shell only (first order in its width)"), ""]
    for g, v in flow.beta.items():
        lines.append(equation(r"\frac{d %s}{d %s}" % (latex_expr(g), kap), v))
    if flow.dropped:
        lines.append(r"Generated operators no coupling carries (projected out):")
        for m, v in flow.dropped.items():
            lines.append(equation(r"\partial_{%s}\left[%s\right]" % (kap, latex_expr(m)), v))
    fps = flow.fixed_points()
    if fps:
        lines.append(r"\paragraph{Fixed points} ($\beta = 0$ at every $%s$; exponents: eigenvalues of "
                     r"$%s\,\partial\beta_i/\partial g_j$)" % (kap, kap))
        lines.append(r"\begin{itemize}")
        for fp in fps:
            vals = ", ".join(r"$%s = %s$" % (latex_expr(g), latex_expr(v)) for g, v in fp.values.items())
            exps = ", ".join(r"$%s$" % latex_expr(e) for e in fp.exponents)
            bound = {True: "action bounded below", False: r"\textbf{action unbounded below}",
                     None: "boundedness undecided"}[fp.bounded]
            lines.append(r"\item %s; exponents %s; %s (%s)" % (vals, exps, bound, escape_tex(fp.bounded_reason)))
        lines.append(r"\end{itemize}")
    else:
        lines.append(r"No fixed point: $\beta$ does not vanish at any couplings for every $%s$." % kap)
    return "\n".join(lines) + "\n"


def result_to_latex(res, standalone: bool = False, diagrams: bool = False, title: str | None = None) -> str:
    """LaTeX of a ``WilsonResult``: coefficients, flows, closed-form mode sums, running couplings;
    the diagrams only with ``diagrams=True``.  ``standalone=True`` gives a whole document."""
    kap = r"\kappa"
    lines = [r"\section*{Effective action to order %d}" % res.order,
             r"Convention: $S_{\mathrm{eff}}[f_<] = S_0[f_<] - \log\langle e^{-S_{\mathrm{int}}}\rangle_>$, "
             r"Gaussian normalisation of the integrated fields removed."
             + (r" The part of $S_{\mathrm{int}}$ at most quadratic in the integrated fields is integrated exactly "
                r"(resummed)." if res.resum else "")
             + (r" Kept monomials up to degree %d." % res.max_degree if res.max_degree is not None else ""), ""]
    lines.append(r"\subsection*{Coefficients}")
    for m, c in res.coefficients.items():
        lines.append(equation(r"\left[%s\right]" % _monomial_tex(m), c))
    if res.flow:
        cut = {m.cutoff for m in res.action.sums} | {c.cutoff for c in res.action.local}
        if len(cut) == 1:
            kap = latex_expr(next(iter(cut)))
        lines.append(r"\subsection*{Flow $\partial_{%s}$}" % kap)
        for m, c in res.flow.items():
            lines.append(equation(r"\partial_{%s}\left[%s\right]" % (kap, _monomial_tex(m)), c))
    sums = res.sums_closed_form() if hasattr(res, "sums_closed_form") else {}
    if sums:
        lines.append(r"\subsection*{Sums over the modes above the cutoff}")
        for m in res.action.sums:
            if m.symbol in sums:
                closed, asym = sums[m.symbol]
                k = latex_expr(m.index)
                lines.append(equation(r"%s = \sum_{%s > %s} %s" % (latex_expr(m.symbol), k, latex_expr(m.cutoff),
                                                                   latex_expr(m.spectrum)), closed))
                lines.append(equation(r"%s \simeq" % latex_expr(m.symbol), asym).replace(r"\simeq =", r"\simeq"))
    if getattr(res, "running", None) is not None:
        lines.append(flow_to_latex(res.running))
    for note in getattr(res, "notes", []):
        lines.append(r"\paragraph{Note} " + escape_tex(note))
    if diagrams and res.diagrams:
        lines += _diagrams_tex(res)
    body = "\n".join(lines) + "\n"
    if not standalone:
        return body
    from .. import __version__
    name = escape_tex(res.action.name or "action")
    header = f"% Generated by symrg {__version__} (symrg derive --latex --standalone); compile with pdflatex\n"
    return document(body, title if title is not None else f"Wilsonian step of {name}", header)


def result_display_math(res) -> str:
    """Display math for Jupyter (``_repr_latex_``): the coefficients and the beta functions."""
    rows = [r"\left[%s\right] &: %s" % (_monomial_tex(m), latex_expr(c)) for m, c in res.coefficients.items()]
    if getattr(res, "running", None) is not None:
        kap = latex_expr(res.running.cutoff)
        rows += [r"\frac{d %s}{d %s} &= %s" % (latex_expr(g), kap, latex_expr(v)) for g, v in res.running.beta.items()]
    return "$$\\begin{aligned}" + r"\\ ".join(rows) + "\\end{aligned}$$"


def document(body: str, title: str, header: str = "") -> str:
    """A standalone LaTeX document (article, amsmath, geometry); ``header`` is a ``%``-comment block.
    ``title`` is LaTeX (callers escape free text with :func:`escape_tex`)."""
    return (header + "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage[margin=2cm]{geometry}\n"
            "\\allowdisplaybreaks\n\\begin{document}\n\\title{%s}\\date{}\\maketitle\n%s\\end{document}\n"
            % (title, body))
