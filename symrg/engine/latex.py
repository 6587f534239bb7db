"""LaTeX export of derived coefficients, flows and diagrams (THEORY.md §3, §6).

Everything goes through ``sympy.latex``; :func:`document` wraps a body in a standalone
``article`` with ``amsmath`` and a provenance comment header.  Names in an action file are
identifiers (:mod:`symrg.engine.spec`), so no user text reaches the output verbatim; symbols built
through the API with other names, and free text, are escaped (:func:`escape_tex`).
"""
from __future__ import annotations

import sympy as sp
from .expr import as_expr

__all__ = ["latex_expr", "result_to_latex", "document", "escape_tex"]


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
    return out


def latex_expr(expr) -> str:
    """``sympy.latex`` with the local-coupling objects printed as ``f_<(x)``, ``G_>(x,y)``; symbol
    names that are not identifiers are escaped (:func:`escape_tex`)."""
    e = as_expr(expr)
    return sp.latex(e, symbol_names=_safe_names(e))


def _monomial_tex(m) -> str:
    return "1" if m == 1 else latex_expr(m)


def result_to_latex(res) -> str:
    """LaTeX body (no preamble) listing coefficients, flows and diagrams of a ``WilsonResult``."""
    lines = [r"\section*{Effective action to order %d}" % res.order,
             r"Convention: $S_{\mathrm{eff}}[f_<] = S_0[f_<] - \log\langle e^{-S_{\mathrm{int}}}\rangle_>$, "
             r"Gaussian normalisation of the integrated fields removed.", ""]
    lines.append(r"\subsection*{Coefficients}")
    for m, c in res.coefficients.items():
        lines += [r"\begin{equation*}", r"\left[%s\right]:\quad %s" % (_monomial_tex(m), latex_expr(c)),
                  r"\end{equation*}"]
    if res.flow:
        lines.append(r"\subsection*{Flow $\partial_\kappa$}")
        for m, c in res.flow.items():
            lines += [r"\begin{equation*}", r"\partial_\kappa\left[%s\right] = %s" % (_monomial_tex(m), latex_expr(c)),
                      r"\end{equation*}"]
    if res.diagrams:
        lines.append(r"\subsection*{Diagrams}")
        lines.append(r"\begin{itemize}")
        for d in res.diagrams:
            lines.append(r"\item order %d, %d loop(s), external $%s$, symmetry factor $%s$, "
                         r"%d channel(s): $%s$" % (d.order, d.loops, _monomial_tex(d.external),
                                                 sp.latex(d.symmetry_factor), d.channels,
                                                 latex_expr(d.expression)))
        lines.append(r"\end{itemize}")
    return "\n".join(lines) + "\n"


def document(body: str, title: str, header: str = "") -> str:
    """A standalone LaTeX document (article + amsmath); ``header`` is a ``%``-comment block."""
    return (header + "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage[margin=2cm]{geometry}\n"
            "\\allowdisplaybreaks\n\\begin{document}\n\\title{%s}\\date{}\\maketitle\n%s\\end{document}\n"
            % (title, body))
