"""LaTeX export of actions, derived coefficients, flows, running couplings and diagrams (docs/theory.md sections 3 and 6).

:func:`result_to_latex` writes what a paper needs: the input action restated
(:func:`action_equation`), then ``S_eff = sum_O c_O O`` over the kept monomials ``O`` sorted by
degree, and one numbered equation per coefficient (``\\label{eq:<action>-<monomial>}``, see
:func:`eq_label`), named with the action's own field names.  Expressions go through ``sympy.latex``
after :func:`tidy`, a printing-only rewrite (powers of one base collected, ``kappa**a*kappa**b`` ->
``kappa**(a+b)``; the derived SymPy objects are never changed).  A sum that does not fit on a line
is a ``split`` aligned at ``=``, broken between terms, and inside a term only when the term alone is
too long; an integral over the data measure prints as ``\\int\\! d\\mu(x_1)\\, d\\mu(x_2)`` and is never
separated from its integrand.  Line widths are estimated in points (:func:`width_pt`, within about
10% of TeX's own for these expressions), so a body fits an ``article`` text width (345 pt) and a
standalone document (2 cm margins) has longer lines.  :func:`document` wraps a body in a standalone
``article`` (``amsmath`` and ``geometry`` only, both in every LaTeX installation) with a provenance
comment header, so the output of ``symrg derive --latex --standalone`` compiles with ``pdflatex`` as
it is; without ``--standalone`` it is a fragment for ``\\input`` into an article with ``amsmath``.

Diagrams are listed only when asked for: each is described by its vertices (the monomials of
``S_int``), its propagator lines and its external legs, and drawn with LaTeX's own ``picture``
environment and ``\\qbezier`` (TikZ is not part of the LaTeX packages that CI installs, so the
drawings use nothing beyond the LaTeX kernel): vertices are dots, lines of the first integrated
species are solid and of further species dotted, self-contractions are loops, external legs are
stubs fanned outwards, labelled once per kept field at each vertex.  :func:`diagram_layout` places
the labels so that no two overlap and none covers a line (a label that would is moved outwards),
and the picture's box holds everything, so a drawing never runs into the text beside it.

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
           "diagram_layout", "flow_to_latex", "result_display_math", "flow_display_math", "action_display_math",
           "action_equation", "tidy", "width_pt", "sorted_monomials", "eq_label", "display_terms", "LINE_WIDTH",
           "FRAGMENT_WIDTH"]

LINE_WIDTH = 420.0      # points of one display line in a standalone document (A4/letter, 2 cm margins, number)
FRAGMENT_WIDTH = 290.0  # points of one display line in a body for \input (article's 345 pt text width, number)

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


def tidy(expr):
    """The form in which an expression is printed: powers of one base collected
    (``kappa**(2*alpha)*kappa**(-alpha-1)`` -> ``kappa**(alpha-1)``, ``sympy.powsimp`` with
    ``combine="exp"``, inside integrals too).  Printing only: the result equals ``expr``
    (``simplify(tidy(e) - e) == 0``; tests/engine/test_latex_paper.py) and no derived object is changed."""
    e = as_expr(expr)
    if not isinstance(e, sp.Basic) or e.is_Atom or not _repeated_base(e):
        return e
    return sp.powsimp(e, combine="exp", deep=True)


def _repeated_base(e) -> bool:
    """Whether some product in ``e`` has two factors with one base (all ``powsimp`` could combine)."""
    for node in sp.preorder_traversal(e):
        if node.is_Mul:
            bases = [f.as_base_exp()[0] for f in node.args]
            if len(set(bases)) < len(bases):
                return True
    return False


def latex_expr(expr) -> str:
    """``sympy.latex`` of :func:`tidy` ``(expr)``, with the local-coupling objects printed as ``f_<(x)``,
    ``G_>(x,y)``; symbol names that are not identifiers are escaped (:func:`escape_tex`)."""
    e = tidy(expr)
    return sp.latex(e, symbol_names=_safe_names(e))


# ----------------------------------------------------------------------------- widths, in pt --
_CMD_PT = {"int": 12.5, "sum": 14.4, "prod": 12.8, "infty": 10.0, "cdot": 7.8, "times": 7.8, "leftrightarrow": 15.0,
           "partial": 5.7, "langle": 3.9, "rangle": 3.9, "log": 13.3, "exp": 15.6, "sin": 12.2, "cos": 13.3,
           "simeq": 13.9, "leq": 13.9, "geq": 13.9, "to": 15.6, "ldots": 13.0, "dots": 13.0, "prime": 3.0,
           ",": 1.7, ";": 2.8, ":": 2.2, "!": -1.7, "quad": 10.0, "qquad": 20.0, " ": 3.3}
_SPACES = {",", ";", ":", "!", "quad", "qquad", " "}
_NO_WIDTH = {"limits", "displaystyle", "mathrm", "operatorname", "text", "mathit", "mathbf", "big", "Big", "bigl",
             "bigr", "Bigl", "Bigr", "label", "notag", "nonumber"}


def width_pt(tex: str, scale: float = 1.0) -> float:
    """Estimated display width, in points, of a LaTeX math string in 10 pt Computer Modern: letters
    5.3 pt (capitals 7.9), binary operators with their spaces 12.2 pt, relations 13.9 pt, scripts at 70%,
    a fraction as wide as its wider part.  Measured against TeX on the 521 display lines of the bundled
    examples: TeX's width is 0.91 to 1.09 times the estimate (5-95%: 1.00 to 1.06); the line widths leave
    that margin."""
    pos, total, operand = 0, 0.0, False
    n = len(tex)

    def group() -> str:
        nonlocal pos
        while pos < n and tex[pos] == " ":
            pos += 1
        if pos < n and tex[pos] == "{":
            depth, start = 0, pos
            while pos < n:
                if tex[pos] == "{":
                    depth += 1
                elif tex[pos] == "}":
                    depth -= 1
                    if depth == 0:
                        pos += 1
                        return tex[start + 1:pos - 1]
                pos += 1
            return tex[start + 1:]
        if pos < n and tex[pos] == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[pos:])
            pos += len(m.group(0))
            return m.group(0)
        pos += 1
        return tex[pos - 1:pos]

    while pos < n:
        c = tex[pos]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[pos:])
            name = m.group(1)
            pos += len(m.group(0))
            if name in ("frac", "dfrac", "tfrac"):
                num, den = group(), group()
                total += max(width_pt(num, scale), width_pt(den, scale)) + 2.4 * scale
                operand = True
            elif name in ("left", "right"):
                total += 0.0 if group() == "." else 4.5 * scale
            elif name == "label":
                group()
            elif name in _NO_WIDTH:
                continue
            elif name in _CMD_PT:
                total += _CMD_PT[name] * scale
                operand = name not in _SPACES
            else:       # Greek letters and other symbols
                total += 6.0 * scale
                operand = True
        elif c in "^_":
            pos += 1
            sub = width_pt(group(), scale * 0.7 if scale > 0.5 else scale) + 0.5 * scale
            if pos < n and tex[pos] in "^_" and tex[pos] != c:      # stacked scripts: the wider one counts
                pos += 1
                sub = max(sub, width_pt(group(), scale * 0.7 if scale > 0.5 else scale) + 0.5 * scale)
            total += sub
        elif tex.startswith("{}", pos):
            pos += 2
            operand = True
        elif c in "{} &":
            pos += 1
        elif c == "=":
            total += 13.9 * scale
            pos += 1
            operand = False
        elif c in "+-":
            total += (12.2 if operand else 7.8) * scale
            pos += 1
            operand = False
        elif c in "<>":
            total += 7.8 * scale
            pos += 1
        elif c in "()[]|":
            total += 3.9 * scale
            pos += 1
            operand = c in ")]|"
        elif c == ",":
            total += 4.5 * scale
            pos += 1
            operand = False
        else:
            total += (5.0 if c.isdigit() else 7.9 if c.isupper() else 5.3) * scale
            pos += 1
            operand = True
    return total


# ------------------------------------------------------------------------------ line breaking --
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


def display_terms(expr, order_of=None) -> list:
    """The terms of ``expr`` as they are printed, as SymPy expressions: integrals split by linearity
    (numbers pulled out), powers collected (:func:`tidy`), in print order -- by ``order_of(term)`` first
    when given (the order in the interaction), then as SymPy orders them.  ``Add(*display_terms(e))``
    equals ``e`` (tests/engine/test_latex_paper.py)."""
    e = _pull_numbers(tidy(expr))
    terms = e.as_ordered_terms() if e.is_Add else [e]
    if order_of is not None:
        terms = [t for _, t in sorted(enumerate(terms), key=lambda it: (order_of(it[1]), it[0]))]
    return terms


def _integral_tex(f) -> str:
    xs = [lim[0] for lim in f.limits]
    return r"\int\! " + r"\, ".join(r"d\mu(%s)" % latex_expr(x) for x in xs) + r"\;"


def _factor_chunks(expr, width: float) -> list:
    """LaTeX chunks of a product between which a line may break: each factor on its own, in the order
    SymPy prints them (so that the chunks joined read as the whole product), an integral together with
    the first factor of its integrand."""
    out = []
    for f in sp.Mul(*sp.Mul.make_args(expr)).as_ordered_factors():
        if isinstance(f, sp.Integral):       # the integral sign stays with the first factor of its integrand
            out.extend(_glue([_integral_tex(f)], _factor_chunks(f.function, width)))
        else:
            tex = latex_expr(f)
            out.append(r"\left(%s\right)" % tex if isinstance(f, sp.Add) else tex)
    return out


def _glue(first: list, rest: list) -> list:
    """``first`` (a prefactor) joined to the first chunk of ``rest``: no line break right after it."""
    if not first:
        return rest
    if not rest:
        return first
    return [" ".join(first + rest[:1])] + rest[1:]


def _chunks(term, width: float) -> list:
    """A term (without its sign) as LaTeX chunks between which a line may break: the whole term as
    SymPy prints it when it fits ``width`` points; else the prefactor (numbers and parameters, as one
    fraction) with the first factor, then each further factor -- an integral always together with the
    first factor of its integrand, so a line never ends at a prefactor or at ``d\\mu(x)``."""
    if not term.has(sp.Integral):
        whole = latex_expr(term)
        if width_pt(whole) <= width or not term.is_Mul:
            return [whole]
        coeff, rest = term.as_coeff_Mul()
        return _glue([latex_expr(coeff)] if coeff != 1 else [], _factor_chunks(rest, width))
    ints = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Integral)]
    pref = sp.Mul(*[f for f in sp.Mul.make_args(term) if not isinstance(f, sp.Integral)])
    pre = [] if pref == 1 else [latex_expr(pref)]
    whole_ints = " ".join(_integral_tex(f) + " " + latex_expr(f.function) for f in ints)
    if width_pt(" ".join(pre + [whole_ints])) <= width:
        return [" ".join(pre + [whole_ints])]
    return _glue(pre, _factor_chunks(sp.Mul(*ints), width))


def _terms(expr, order_of=None) -> list:
    """``[(sign, term)]`` of an expression in print order (:func:`display_terms`), each term without its sign;
    :func:`_pack` cuts a term into chunks (:func:`_chunks`) at the width it has."""
    out = []
    for t in display_terms(expr, order_of):
        neg = t.could_extract_minus_sign()
        out.append(("-" if neg else "+", -t if neg else t))
    return out


def _pack(lhs: str, terms: list, width: float) -> list:
    """The right-hand side packed greedily into lines: ``[(indent, text)]`` with indent 0 for the first
    line, 1 for a line that starts a term, 2 for the rest of a term broken between its chunks.  ``terms``:
    ``[(sign, term)]`` with a SymPy term or a list of LaTeX chunks."""
    lw = width_pt(lhs) + 13.9
    caps = {0: width - lw, 1: width - lw - 10.0, 2: width - lw - 20.0}
    lines, cur, cur_w, ind = [], "", 0.0, 0
    for k, (sign, term) in enumerate(terms):
        chunks = term if isinstance(term, list) else _chunks(term, caps[1] - 12.2)
        lead = ("-" if sign == "-" else "") if k == 0 else ("- " if sign == "-" else "+ ")
        piece = (lead + " " + " ".join(chunks)).strip()
        pw = width_pt(piece) + (0 if k == 0 else 4.4)
        if cur and cur_w + pw <= caps[ind]:
            cur, cur_w = cur + " " + piece, cur_w + pw
            continue
        if cur:
            lines.append((ind, cur))
            cur, cur_w, ind = "", 0.0, 1
        if pw <= caps[ind] or len(chunks) == 1:
            cur, cur_w = piece, pw
            continue
        if not isinstance(term, list):       # the term alone is too long: break between chunks cut for indent 2
            chunks = _chunks(term, caps[2] - 12.2)
        part, part_w, first = lead, width_pt(lead), True
        for ch in chunks:
            cw = width_pt(ch) + 2.0
            if not first and part_w + cw > caps[ind]:
                lines.append((ind, part))
                part, part_w, ind = "", 0.0, 2
            part, part_w, first = (part + " " + ch).strip(), part_w + cw, False
        cur, cur_w = part, part_w
    lines.append((ind, cur or "0"))
    return lines


def _display(lhs: str, lines: list, label: str | None) -> str:
    """``equation`` (numbered, labelled) or ``equation*``; several lines as a ``split`` aligned at ``=``;
    more than 16 lines as an ``align`` numbered on its last line, which may break across pages."""
    star = "" if label else "*"
    lab = r"\label{%s}" % label if label else ""
    if len(lines) == 1:
        return "\\begin{equation%s}%s\n%s = %s\n\\end{equation%s}" % (star, lab, lhs, lines[0][1], star)
    rows = []
    for i, (ind, text) in enumerate(lines):
        pre = lhs + " &= " if i == 0 else ("&\\quad {}" if ind == 1 else "&\\qquad {}")
        rows.append(pre + text)
    if len(lines) <= 16:
        return ("\\begin{equation%s}%s\n\\begin{split}\n%s\n\\end{split}\n\\end{equation%s}"
                % (star, lab, " \\\\\n".join(rows), star))
    body = [r + " \\notag\\displaybreak[1] \\\\" for r in rows[:-1]] + [rows[-1] + lab]
    return "\\begin{align%s}\n%s\n\\end{align%s}" % (star, "\n".join(body), star)


def equation(lhs: str, expr, width: float = FRAGMENT_WIDTH, label: str | None = None, order_of=None) -> str:
    """A displayed equation ``lhs = expr``: numbered with ``\\label{label}`` when a label is given, else
    unnumbered; on one line when it fits ``width`` points, else a ``split`` broken between terms (and
    between the factors of a term too long for a line)."""
    return _display(lhs, _pack(lhs, _terms(expr, order_of), width), label)


# ---------------------------------------------------------------------- names, monomials, labels --
def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s or "action"


def _factors(m) -> list:
    """``[(symbol, exponent)]`` of a kept monomial (``1`` -> ``[]``)."""
    if m == 1:
        return []
    return [(b, int(e)) for b, e in (f.as_base_exp() for f in sp.Mul.make_args(m))]


def _mono_slug(m) -> str:
    parts = []
    for b, e in sorted(_factors(m), key=lambda be: be[0].name):
        name = re.sub(r"[^A-Za-z0-9]", "", b.name) or "x"
        parts.append(name + ("" if e == 1 else ("p" if name[-1].isdigit() else "") + str(e)))
    return "-".join(parts) or "1"


def eq_label(action, kind: str = "", monomial=None, name: str | None = None) -> str:
    """``eq:<action>-<monomial>`` (a coefficient), ``eq:<action>-<kind>-<monomial>`` (``kind`` flow),
    ``eq:<action>-<kind>-<name>`` (``beta``, ``sum``), ``eq:<action>-<kind>`` (``action``, ``seff``).
    ``<action>`` is the action's name in lower case with every run of other characters as ``-``
    (``local quartic`` -> ``local-quartic``); ``<monomial>`` its fields and exponents (``f_<**2`` -> ``f2``,
    ``a_1*a_2**2`` -> ``a1-a2p2``, the constant ``1``)."""
    parts = ["eq:" + _slug(getattr(action, "name", action) or "action")]
    if kind:
        parts.append(kind)
    if monomial is not None:
        parts.append(_mono_slug(monomial))
    if name is not None:
        parts.append(_slug(name))
    return "-".join(parts)


def _local_kept(action) -> set:
    return {sp.Symbol(f"{c.field}_<") for c in getattr(action, "local", ())}


def sorted_monomials(monomials, kept=()) -> list:
    """Kept monomials by total degree, then by the exponents of the kept fields in their declared order
    (``1, a_1, a_2, a_1**2, a_1*a_2, a_2**2, ...``)."""
    monomials = list(monomials)
    gens = list(kept) + sorted({s for m in monomials for s in as_expr(m).free_symbols} - set(kept),
                               key=lambda s: s.name)

    def key(m):
        powers = dict(_factors(as_expr(m)))
        return (sum(powers.values()), tuple(-powers.get(g, 0) for g in gens), sp.default_sort_key(m))
    return sorted(monomials, key=key)


def _names(symbols, limit: int = 4) -> str:
    xs = [latex_expr(s) for s in symbols]
    if len(xs) > limit:
        xs = xs[:2] + [r"\ldots"] + xs[-1:]
    return ", ".join(xs)


def _kept_names(action) -> str:
    """The kept fields as the action names them: ``a``, ``a_1, a_2``, ``f_<`` (a local field ``f``)."""
    syms = list(action.kept) + sorted(_local_kept(action), key=lambda s: s.name)
    return _names(syms) if syms else r"\cdot"


def _integrated_names(action) -> str:
    syms = list(action.integrated) + sorted({sp.Symbol(f"{c.field}_>") for c in action.local}, key=lambda s: s.name)
    return _names(syms) if syms else r"\cdot"


def _seff(action) -> str:
    return r"S_{\mathrm{eff}}[%s]" % _kept_names(action)


def _coef_lhs(action, m) -> str:
    """``c_{a^{2}}`` for a monomial of mode fields; ``S^{(2)}_{\\mathrm{eff}}[f_<]`` for the part of degree 2 of
    a local field (whose value holds the fields inside the integrals)."""
    if m == 1 and _local_kept(action) and not action.kept:
        return r"S^{(0)}_{\mathrm{eff}}"
    if m != 1 and as_expr(m).free_symbols and as_expr(m).free_symbols <= _local_kept(action):
        deg = sum(e for _, e in _factors(as_expr(m)))
        return r"S^{(%d)}_{\mathrm{eff}}[%s]" % (deg, _kept_names(action))
    return r"c_{%s}" % ("1" if m == 1 else latex_expr(m))


def _order_of(res, m):
    """``term -> n``: the order in the interaction at which a term of the coefficient of ``m`` appears."""
    sets = []
    for n, part in enumerate(getattr(res, "by_order", []) or []):
        if m in part:
            sets.append((n, set(display_terms(part[m]))))
    if not sets:
        return None

    def order_of(t):
        return next((n for n, s in sets if t in s), len(sets) + 1)
    return order_of


def _coupling_order(action):
    """``term -> n`` for the flows of local couplings: the power of the couplings (the parameters of the
    local polynomials), i.e. the number of vertices; None for other actions."""
    gs = {s for c in getattr(action, "local", ()) for s in c.polynomial.free_symbols} - \
        {c.variable for c in getattr(action, "local", ())}
    if not gs:
        return None

    def order_of(t):
        return sum(int(e) for b, e in t.as_powers_dict().items() if b in gs and e.is_Integer)
    return order_of


# --------------------------------------------------------------------------------- the action --
def _group_interaction(action):
    """``S_int`` as a sum of compact groups: the terms collected by their coefficient in the parameters
    and each group's polynomial in the fields factored (``u/24*(a + b)**4``); the whole interaction
    factored when that is shorter.  Each candidate is checked to equal ``S_int`` (else the expanded form)."""
    e = action.interaction
    if e == 0:
        return []
    fields = set(action.fields_all)
    if not fields:
        return [e]
    groups: dict = {}
    for t in sp.Add.make_args(sp.expand(e)):
        c, f = t.as_independent(*fields, as_Add=False)
        num, c = c.as_coeff_Mul()
        groups[c] = groups.get(c, 0) + num * f
    def degree(p):
        gens = sorted(getattr(p, "free_symbols", set()) & fields, key=str)   # p is a SymPy expression (no text)
        return max((sum(m) for m in sp.Poly(p, *gens).monoms()), default=0) if gens else 0
    order = sorted(groups, key=lambda c: (degree(groups[c]), str(c)))
    grouped = [_even_powers_positive(c * sp.factor_terms(sp.factor(groups[c]))) for c in order]
    candidates = [grouped]
    if 1 < len(groups) <= 8 and len(e.free_symbols) <= 6:     # (multivariate factoring grows fast)
        whole = sp.factor(e)
        candidates.append([_even_powers_positive(x) for x in sp.Add.make_args(whole)])
    best = min(candidates, key=lambda g: (sum(sp.count_ops(x) for x in g), len(g)))
    if sp.expand(sp.Add(*best) - e) != 0:
        return list(sp.Add.make_args(e))
    return best


def _even_powers_positive(e):
    """``(-a - b + y)**2`` -> ``(a + b - y)**2``: the sign of the base of an even power dropped."""
    return e.replace(lambda x: x.is_Pow and x.exp.is_even and x.base.is_Add and x.base.could_extract_minus_sign(),
                     lambda x: sp.Pow(-x.base, x.exp))


def _family_k(symbol, cutoff, index):
    """``lambda_kappa`` -> ``lambda_k`` (the member of a family at mode ``k``)."""
    if isinstance(symbol, sp.Symbol) and symbol.name.endswith("_" + str(cutoff)):
        return sp.Symbol(symbol.name[: -len(str(cutoff))] + str(index))
    return symbol.xreplace({cutoff: index})


def _action_pieces(action) -> tuple:
    """``(lhs, terms, notes)`` of the restated action: ``S[fields] = S_0 + S_int`` with the Gaussian part
    written out for mode fields, and LaTeX sentences on the local fields and the mode sums."""
    props = action.propagator_map
    all_names = list(action.kept) + list(action.integrated)
    local_fields = sorted({c.field for c in action.local})
    syms = all_names + [sp.Symbol(f) for f in local_fields]
    lhs = "S[%s]" % (_names(syms) if syms else r"\cdot")
    terms = []
    for x in all_names:
        if x in props:
            terms += _terms(x ** 2 / (2 * props[x]))
    notes = []
    for f in local_fields:
        terms.append(("+", [r"S_0[%s]" % latex_expr(sp.Symbol(f))]))
    for g in _group_interaction(action):
        terms += _terms(g)
    x = sp.Symbol("x", real=True)
    for c in action.local:     # each term of P(f) as (its coefficient) * Integral(f(x)**n)
        fx = sp.Function(c.field)(x)
        for t in sp.Add.make_args(sp.expand(c.polynomial)):
            coeff, mono = t.as_independent(c.variable, as_Add=False)
            terms += _terms(coeff * sp.Integral(mono.xreplace({c.variable: fx}), x))
    for f in local_fields:
        c = next(c for c in action.local if c.field == f)
        k = c.index
        gk = c.spectrum if c.spectrum is not None else sp.Symbol(f"{c.propagator}_{k}")
        notes.append(r"where $%s = %s_< + %s_>$, the part $%s_<$ is kept and $%s_>$ is integrated out, with the "
                     r"propagator $\langle %s_>(x)\, %s_>(y)\rangle = G_>(x,y) = "
                     r"\sum_{%s > %s} %s\, \phi_{%s}(x)\, \phi_{%s}(y)$" % (
                         f, f, f, f, f, f, f, latex_expr(k), latex_expr(c.cutoff), latex_expr(gk), latex_expr(k),
                         latex_expr(k)))
    if action.kept or action.integrated:
        what = []
        if action.kept:
            what.append(r"kept: $%s$" % _names(action.kept, 8))
        if action.integrated:
            what.append(r"integrated: $%s$" % _names(action.integrated, 8))
        notes.insert(0, "; ".join(what))
    for m in action.sums:
        summand = m.spectrum if m.spectrum is not None else _family_k(m.summand, m.cutoff, m.index)
        notes.append(r"$%s = \sum_{%s > %s} %s$" % (latex_expr(m.symbol), latex_expr(m.index), latex_expr(m.cutoff),
                                                   latex_expr(summand)))
    return lhs, terms, notes


def action_equation(action, width: float = FRAGMENT_WIDTH, label: bool = True) -> str:
    """The input action restated (docs/theory.md section 3): a numbered equation
    ``\\label{eq:<action>-action}`` and a sentence naming the kept and integrated fields and the mode sums."""
    lhs, terms, notes = _action_pieces(action)
    eq = _display(lhs, _pack(lhs, terms, width), eq_label(action, "action") if label else None)
    return eq + ("\n" + "; ".join(notes) + "." if notes else "")


def action_display_math(action) -> str:
    """Display math for Jupyter (``Action._repr_latex_``): the restated action and, beside it, what is kept,
    integrated and summed -- the same notation as :func:`action_equation`."""
    lhs, terms, notes = _action_pieces(action)
    rhs = " ".join(((s + " ") if (i or s == "-") else "") + " ".join(t if isinstance(t, list) else _chunks(t, 1e9))
                   for i, (s, t) in enumerate(terms)) or "0"
    rows = [r"%s &= %s" % (lhs, rhs)]
    for n in notes:     # "text $math$ text" -> \text{text} math \text{text} (no math inside \text)
        parts = n.split("$")
        rows.append("&" + " ".join(r"\text{%s}" % p if i % 2 == 0 else p for i, p in enumerate(parts) if p.strip()))
    return _aligned(rows)


def _aligned(rows) -> str:
    return "$$\\begin{aligned}" + r"\\ ".join(rows) + "\\end{aligned}$$"


# ------------------------------------------------------------------------------------ diagrams --
def _bezier(p, c, q, k: int = 12) -> list:
    return [((1 - t) ** 2 * p[0] + 2 * (1 - t) * t * c[0] + t * t * q[0],
             (1 - t) ** 2 * p[1] + 2 * (1 - t) * t * c[1] + t * t * q[1]) for t in (i / k for i in range(k + 1))]


def diagram_layout(d, species: list | None = None) -> dict:
    """Geometry of a drawing (points): ``curves`` ``[(p, c, q, species index)]`` (quadratic Béziers;
    index ``None`` for an external leg), ``dots`` (the vertices), ``labels`` ``[(x, y, w, h, tex)]``
    (boxes centred at ``(x, y)``), ``box`` ``(x0, y0, width, height)`` holding all of them.

    Vertices: one at the centre, two side by side, more on a circle; propagator lines bowed apart;
    at each vertex the self-loops and external legs share the directions away from the other vertices;
    one label per kept field at each vertex, at the end of its fan of legs, moved outwards until it
    overlaps no other label and no line."""
    n = d.order
    species = species or sorted({e[2] for e in d.edges})
    R = 0.0 if n == 1 else (15.0 if n == 2 else 18.0)
    pos = [(R * math.cos(math.pi - 2 * math.pi * i / n), R * math.sin(math.pi - 2 * math.pi * i / n))
           for i in range(n)]
    curves, labels = [], []
    loops_at: dict = {}
    for v, w, sp_name, m in d.edges:
        k = species.index(sp_name) if sp_name in species else 0
        if v == w:
            loops_at.setdefault(v, []).extend([k] * m)
            continue
        (x1, y1), (x2, y2) = pos[v], pos[w]
        dx, dy = x2 - x1, y2 - y1
        ln = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / ln, dx / ln
        for j in range(m):
            off = (j - (m - 1) / 2) * 16.0
            curves.append(((x1, y1), ((x1 + x2) / 2 + nx * off, (y1 + y2) / 2 + ny * off), (x2, y2), k))
    legs = _external_legs(d)
    pending = []
    for v in range(n):
        x, y = pos[v]
        groups: dict = {}
        for name in legs.get(v, []):
            groups[name] = groups.get(name, 0) + 1
        # angular slots (degrees): a loop 70, a leg 38, a gap of 12 between neighbours
        slots = [("loop", k, 70.0) for k in loops_at.get(v, [])] + [("leg", g, 38.0 * c) for g, c in groups.items()]
        if not slots:
            continue
        gap = 12.0
        need = sum(s[2] for s in slots) + gap * (len(slots) - (0 if n == 1 else 1))
        room = 360.0 if n == 1 else 220.0
        f = room / need if (n == 1 or need > room) else 1.0
        if n == 1:      # loops on top, legs below, the whole circle shared
            start = 90.0 - f * slots[0][2] / 2 - (0.0 if slots[0][0] == "loop" else 180.0)
        else:
            start = math.degrees(math.atan2(y, x)) - f * need / 2
        a = start
        for kind, what, size in slots:
            span = f * size
            mid = math.radians(a + span / 2)
            if kind == "loop":
                L = 15.0
                far = (x + L * math.cos(mid), y + L * math.sin(mid))
                c1 = (x + 1.15 * L * math.cos(mid + 0.62), y + 1.15 * L * math.sin(mid + 0.62))
                c2 = (x + 1.15 * L * math.cos(mid - 0.62), y + 1.15 * L * math.sin(mid - 0.62))
                curves += [((x, y), c1, far, what), (far, c2, (x, y), what)]
            else:
                count, L = groups[what], 13.0
                for i in range(count):
                    ang = math.radians(a + span * (i + 0.5) / count)
                    end = (x + L * math.cos(ang), y + L * math.sin(ang))
                    curves.append(((x, y), ((x + end[0]) / 2, (y + end[1]) / 2), end, None))
                pending.append((x, y, mid, L, what))
            a += span + f * gap
    pts = [p for c in curves for p in _bezier(*c[:3])] + pos
    for x, y, ang, L, tex in pending:
        w, h = 0.7 * width_pt(tex) + 2.0, 7.5
        r = L + 3.0
        for _ in range(60):
            cx = x + (r + 0.5 * abs(w * math.cos(ang)) + 0.5 * abs(h * math.sin(ang))) * math.cos(ang)
            cy = y + (r + 0.5 * abs(w * math.cos(ang)) + 0.5 * abs(h * math.sin(ang))) * math.sin(ang)
            box = (cx, cy, w, h, tex)
            if not any(_boxes_overlap(box, b) for b in labels) and not any(_in_box(p, box) for p in pts):
                break
            r += 1.5
        labels.append(box)
    xs = [p[0] for p in pts] + [b[0] - b[2] / 2 for b in labels] + [b[0] + b[2] / 2 for b in labels]
    ys = [p[1] for p in pts] + [b[1] - b[3] / 2 for b in labels] + [b[1] + b[3] / 2 for b in labels]
    x0, y0 = min(xs) - 2.0, min(ys) - 2.0
    return {"curves": curves, "dots": pos, "labels": labels,
            "box": (x0, y0, max(xs) + 2.0 - x0, max(ys) + 2.0 - y0)}


def _boxes_overlap(a, b, pad: float = 0.5) -> bool:
    return abs(a[0] - b[0]) * 2 < a[2] + b[2] + 2 * pad and abs(a[1] - b[1]) * 2 < a[3] + b[3] + 2 * pad


def _in_box(p, box, pad: float = 0.5) -> bool:
    return abs(p[0] - box[0]) * 2 < box[2] + 2 * pad and abs(p[1] - box[1]) * 2 < box[3] + 2 * pad


def _pt(x, y) -> str:
    return f"({x:.1f},{y:.1f})"


def diagram_picture(d, species: list | None = None) -> str:
    """A ``picture`` drawing of a :class:`~symrg.engine.wilson.Diagram` (LaTeX kernel only), laid out by
    :func:`diagram_layout`: lines of the first integrated species solid, of the others dotted
    (``\\qbezier[n]``), external legs solid and labelled in ``\\scriptsize``."""
    lay = diagram_layout(d, species)
    x0, y0, w, h = lay["box"]
    out = [r"\setlength{\unitlength}{1pt}\begin{picture}(%.1f,%.1f)(%.1f,%.1f)" % (w, h, x0, y0)]
    for p, c, q, k in lay["curves"]:
        dots = "" if not k else f"[{24 if k == 1 else 12}]"
        out.append(r"\qbezier%s%s%s%s" % (dots, _pt(*p), _pt(*c), _pt(*q)))
    for x, y in lay["dots"]:
        out.append(r"\put%s{\circle*{3}}" % _pt(x, y))
    for x, y, _, _, tex in lay["labels"]:
        out.append(r"\put%s{\makebox(0,0){\scriptsize $%s$}}" % (_pt(x, y), tex))
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
    ext = "1" if d.external == 1 else latex_expr(d.external)
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


def _diagrams_tex(res, width: float) -> list:
    species = sorted({e[2] for d in res.diagrams for e in d.edges})
    pics = [diagram_picture(d, species) for d in res.diagrams]
    pw = max((diagram_layout(d, species)["box"][2] for d in res.diagrams), default=40.0)
    out = [r"\subsection*{Diagrams}",
           r"Each connected diagram with its vertices (monomials of $S_{\mathrm{int}}$), its propagator lines "
           r"(solid: $%s$%s) and its external legs (kept fields); drawn with the \texttt{picture} environment." % (
               latex_expr(sp.Symbol(species[0])) if species else "-",
               "".join(r", dotted: $%s$" % latex_expr(sp.Symbol(s)) for s in species[1:])), ""]
    for i, (d, pic) in enumerate(zip(res.diagrams, pics), start=1):
        out += [r"\noindent\begin{minipage}[c]{%.0fpt}\centering %s\end{minipage}\hfill" % (pw + 4, pic),
                r"\begin{minipage}[c]{\dimexpr\linewidth-%.0fpt\relax}\small (D%d) %s" % (pw + 14, i, _describe(d)),
                equation(r"D_{%d}" % i, d.expression, width + 50 - pw - 30),    # unnumbered: no room for a number
                r"\end{minipage}\par\medskip", ""]
    return out


# ------------------------------------------------------------------------------------- results --
def flow_to_latex(flow, width: float = FRAGMENT_WIDTH) -> str:
    """LaTeX body of a :class:`~symrg.engine.running.FlowResult`: beta functions (numbered,
    ``\\label{eq:<action>-beta-<coupling>}``), dropped operators, fixed points with the eigenvalues of
    their stability matrix and whether the action there is bounded below (docs/theory.md section 3);
    lines of ``width`` points."""
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
        lines.append(equation(r"\frac{d %s}{d %s}" % (latex_expr(g), kap), v, width, eq_label(flow, "beta", name=str(g))))
    if flow.dropped:
        lines.append(r"Generated operators no coupling carries (projected out):")
        for m in sorted_monomials(flow.dropped):
            lines.append(equation(r"\partial_{%s}\left[%s\right]" % (kap, latex_expr(m)), flow.dropped[m], width))
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


def result_to_latex(res, standalone: bool = False, diagrams: bool = False, title: str | None = None,
                    width: float | None = None) -> str:
    """LaTeX of a ``WilsonResult`` (docs/theory.md section 3): the input action restated, then
    ``S_eff = sum_O c_O O`` over the kept monomials sorted by degree and one numbered equation per
    coefficient (:func:`eq_label`), each sum ordered by the order in the interaction; flows, closed-form
    mode sums and running couplings; the diagrams only with ``diagrams=True``.  ``standalone=True`` gives a
    whole document, else a fragment that compiles when ``\\input`` into an ``article`` with ``amsmath``.
    ``width``: points per display line (default :data:`LINE_WIDTH` standalone, :data:`FRAGMENT_WIDTH` else)."""
    act = res.action
    width = width or (LINE_WIDTH if standalone else FRAGMENT_WIDTH)
    kept, integ = _kept_names(act), _integrated_names(act)
    monos = sorted_monomials(res.coefficients, act.kept)
    local = [m for m in monos if m != 1 and as_expr(m).free_symbols <= _local_kept(act)]
    lines = [r"\section*{Effective action of %s to order %d}" % (escape_tex(act.name or "the action"), res.order),
             r"\subsection*{Input action}", action_equation(act, width), "",
             r"\subsection*{Effective action}",
             r"Convention: $S_{\mathrm{eff}}[%s] = S_0[%s] - \log\langle e^{-S_{\mathrm{int}}}\rangle_{%s}$, "
             r"Gaussian normalisation of the integrated fields removed." % (kept, kept, integ)
             + (r" The part of $S_{\mathrm{int}}$ at most quadratic in the integrated fields is integrated exactly "
                r"(resummed)." if res.resum else "")
             + (r" Kept monomials up to degree %d." % res.max_degree if res.max_degree is not None else "")
             + (r" $S^{(n)}_{\mathrm{eff}}[%s]$ is the part of degree $n$ in $%s$, with the fields inside the "
                r"integrals over the data measure $\mu$." % (kept, kept) if local else "")
             + r" Each coefficient is summed over the orders in the interaction, lowest first.", ""]
    seff = [("+", ["%s%s" % (_coef_lhs(act, m), "" if (m == 1 or m in local) else r"\, " + latex_expr(m))])
            for m in monos] or [("+", ["0"])]
    lines.append(_display(_seff(act), _pack(_seff(act), seff, width), eq_label(act, "seff")))
    for m in monos:
        lines.append(equation(_coef_lhs(act, m), res.coefficients[m], width, eq_label(act, monomial=m),
                              _order_of(res, m)))
    if res.flow:
        kap = r"\kappa"
        cut = {m.cutoff for m in act.sums} | {c.cutoff for c in act.local}
        if len(cut) == 1:
            kap = latex_expr(next(iter(cut)))
        lines.append(r"\subsection*{Flow $\partial_{%s}$}" % kap)
        for m in sorted_monomials(res.flow, act.kept):
            lines.append(equation(r"\partial_{%s} %s" % (kap, _coef_lhs(act, m)), res.flow[m], width,
                                  eq_label(act, "flow", monomial=m), _coupling_order(act)))
    sums = res.sums_closed_form() if hasattr(res, "sums_closed_form") else {}
    if sums:
        lines.append(r"\subsection*{Sums over the modes above the cutoff}")
        for m in act.sums:
            if m.symbol in sums:
                closed, asym = sums[m.symbol]
                k = latex_expr(m.index)
                lines.append(equation(r"%s = \sum_{%s > %s} %s" % (latex_expr(m.symbol), k, latex_expr(m.cutoff),
                                                                   latex_expr(m.spectrum)), closed, width,
                                      eq_label(act, "sum", name=str(m.symbol))))
                lines.append(equation(r"%s \simeq" % latex_expr(m.symbol), asym, width).replace(r"\simeq =", r"\simeq")
                             .replace(r"\simeq &=", r"\simeq{} &"))
    if getattr(res, "running", None) is not None:
        lines.append(flow_to_latex(res.running, width))
    for note in getattr(res, "notes", []):
        lines.append(r"\paragraph{Note} " + escape_tex(note))
    if diagrams and res.diagrams:
        lines += _diagrams_tex(res, width)
    body = "\n".join(lines) + "\n"
    if not standalone:
        return body
    from .. import __version__
    name = escape_tex(act.name or "action")
    header = f"% Generated by symrg {__version__} (symrg derive --latex --standalone); compile with pdflatex\n"
    return document(body, title if title is not None else f"Wilsonian step of {name}", header)


def result_display_math(res) -> str:
    """Display math for Jupyter (``WilsonResult._repr_latex_``): the coefficients of ``S_eff`` by degree and
    the beta functions, in the notation of :func:`result_to_latex`."""
    act = res.action
    rows = [r"%s &= %s" % (_coef_lhs(act, m), latex_expr(res.coefficients[m]))
            for m in sorted_monomials(res.coefficients, act.kept)]
    if getattr(res, "running", None) is not None:
        rows += flow_display_math(res.running, rows_only=True)
    return _aligned(rows)


def flow_display_math(flow, rows_only: bool = False):
    """Display math for Jupyter (``FlowResult._repr_latex_``): the beta functions."""
    kap = latex_expr(flow.cutoff)
    rows = [r"\frac{d %s}{d %s} &= %s" % (latex_expr(g), kap, latex_expr(v)) for g, v in flow.beta.items()]
    return rows if rows_only else _aligned(rows)


def document(body: str, title: str, header: str = "") -> str:
    """A standalone LaTeX document (article, amsmath, geometry); ``header`` is a ``%``-comment block.
    ``title`` is LaTeX (callers escape free text with :func:`escape_tex`)."""
    return (header + "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage[margin=2cm]{geometry}\n"
            "\\allowdisplaybreaks\n\\begin{document}\n\\title{%s}\\date{}\\maketitle\n%s\\end{document}\n"
            % (title, body))
