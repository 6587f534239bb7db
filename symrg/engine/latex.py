"""LaTeX export of derived coefficients, flows and diagrams (THEORY.md §3, §6).

Everything goes through ``sympy.latex``; :func:`document` wraps a body in a standalone
``article`` with ``amsmath`` and a provenance comment header.
"""
from __future__ import annotations

import sympy as sp
from .expr import as_expr

__all__ = ["latex_expr", "result_to_latex", "document"]


def latex_expr(expr) -> str:
    """``sympy.latex`` with the local-coupling objects printed as ``f_<(x)``, ``G_>(x,y)``."""
    return sp.latex(as_expr(expr)).replace("G_{>}", "G_{>}").replace("<", "<").replace(">", ">")


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
