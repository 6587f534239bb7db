"""The whitelist expression parser of the engine (docs/theory.md sections 2, 3 and 6).

Expressions are never given to ``eval``, ``exec``, ``sympify`` or ``parse_expr``: the text is
parsed by :mod:`ast` and only numbers, declared names, ``+ - * / **``, unary minus, parentheses
and the functions ``sqrt, exp, log, zeta, Rational`` are mapped to SymPy (``zeta(s, a)`` is the
Hurwitz zeta function of the closed-form mode sums); anything else raises
:class:`~symrg.errors.SpecError` naming the key (the TOML key for action files, see
:mod:`symrg.engine.spec`).  Numeric exponents, integer literals, the length of the text and its
nesting depth are bounded before SymPy sees them; a symbolic exponent (a parameter or the mode
index, as in ``A*k**(-1-alpha)``) is kept unevaluated and needs a provably positive base; long sums, products and chains of signs are walked
without recursion, so ``a + a + ... + a`` of any accepted length parses.  The size of the
expanded polynomial (terms and total degree, :func:`expansion_bound`) is bounded before anything
calls ``sympy.expand``: ``(((a+b)**64)**64)**64`` is refused in microseconds instead of
expanding 262145 terms.  Results must be finite and real (no ``zoo``, ``nan``, ``oo``, ``I``).
"""
from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize
import warnings

import sympy as sp

from ..errors import SpecError

__all__ = ["parse_expression", "as_expr", "expansion_bound", "check_expansion"]

MAX_EXPONENT = 64            # largest |exponent| accepted in an expression
MAX_DIGITS = 100             # largest integer literal (digits)
MAX_EXPRESSION_CHARS = 20_000
MAX_DEPTH = 100              # nesting depth of the expression tree (chains of + - * / count once)
MAX_NUMBER_DIGITS = 10_000   # largest number an exponentiation may produce (digits)
MAX_EXPANDED_TERMS = 20_000  # terms of the expanded expression (an upper bound, see expansion_bound)
MAX_TOTAL_DEGREE = 256       # total degree of the expanded expression in all symbols

_FUNCS = {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "zeta": sp.zeta}
_ARITY = {"sqrt": (1,), "exp": (1,), "log": (1,), "zeta": (1, 2)}


def parse_expression(text, names: dict, key: str, fields=frozenset(), *, max_terms: int | None = MAX_EXPANDED_TERMS,
                     max_degree: int | None = MAX_TOTAL_DEGREE, positive_bases: bool = True) -> sp.Expr:
    """Parse ``text`` with the whitelist described in the module docstring.

    ``names`` maps allowed identifiers to SymPy objects; ``fields`` are the symbols that may only
    carry non-negative integer exponents. Errors name ``key`` and the position in the text.
    ``max_terms`` / ``max_degree`` bound the expanded size (:func:`expansion_bound`); ``None``
    lifts the bound (``symrg derive --allow-expensive``).  ``positive_bases`` (action files) requires
    the base of a symbolic power to be provably positive; :func:`as_expr`, which reads back what symrg
    printed, lifts that rule (its symbols carry no assumptions).
    """
    tree = _parse_tree(text, key)
    fields = set(fields)

    def fail(node, msg):
        col = getattr(node, "col_offset", None)
        where = f" (column {col + 1})" if col is not None else ""
        shown = text if len(text) <= 200 else text[:200] + "..."
        raise SpecError(f"{key}: {msg}{where} in {shown!r}")

    def has_field(e):
        return bool(getattr(e, "free_symbols", set()) & fields)

    def chain(node, ops):
        """Operands of a left-deep chain of the binary operators ``ops`` (iteratively):
        ``[(None, first), (op, second), ...]``."""
        items = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, ops):
            items.append((node, node.right))
            node = node.left
        items.append((None, node))
        return items[::-1]

    def walk(node, depth):
        if depth > MAX_DEPTH:
            fail(node, f"expression nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                fail(node, f"literal {v!r} is not a real number")
            if isinstance(v, float) and not math.isfinite(v):
                fail(node, f"literal {v!r} is not finite")
            if isinstance(v, int) and abs(v) > 10 ** MAX_DIGITS:
                fail(node, f"integer literal with more than {MAX_DIGITS} digits")
            return sp.Integer(v) if isinstance(v, int) else sp.Rational(repr(v))
        if isinstance(node, ast.Name):
            name = _unmangle(node.id)
            if name not in names:
                fail(node, f"unknown symbol {name!r}: it is neither a declared field ([fields.{name}]) "
                           f"nor a parameter ([parameters] {name} = \"real\")")
            return names[name]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = 1
            while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
                sign = -sign if isinstance(node.op, ast.USub) else sign
                node = node.operand
            v = walk(node, depth + 1)
            return -v if sign < 0 else v
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            terms = []
            for parent, operand in chain(node, (ast.Add, ast.Sub)):
                v = walk(operand, depth + 1)
                terms.append(-v if parent is not None and isinstance(parent.op, ast.Sub) else v)
            return sp.Add(*terms)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            factors = []
            for parent, operand in chain(node, (ast.Mult, ast.Div)):
                v = walk(operand, depth + 1)
                if parent is not None and isinstance(parent.op, ast.Div):
                    # refused by what the divisor says, not by what it simplifies to (x / (x + 0*f) too):
                    # a divisor that names a field is not polynomial in the fields
                    if has_field(v) or any(isinstance(n, ast.Name) and names.get(n.id) in fields
                                           for n in ast.walk(operand)):
                        fail(parent, "division by a field is not polynomial")
                    if v == 0:
                        fail(parent, "division by zero")
                    v = 1 / v
                factors.append(v)
            return sp.Mul(*factors)
        if isinstance(node, ast.BinOp):
            op = node.op
            if not isinstance(op, ast.Pow):
                fail(node, f"operator {type(op).__name__} is not allowed (use + - * / **)")
            left, right = walk(node.left, depth + 1), walk(node.right, depth + 1)
            if has_field(right):
                fail(node, f"an exponent may not contain a field, got {right}")
            if not right.is_number:
                # a symbolic exponent (a parameter, the mode index k): A*k**(-1-alpha).  The base must
                # be provably positive so that the power is real; fields only take integer powers.
                if has_field(left):
                    fail(node, f"a field may only be raised to a non-negative integer power, got {right}")
                if positive_bases and not left.is_positive:
                    fail(node, f"a symbolic exponent ({right}) needs a base that is provably positive, got "
                               f"{left} (declare its symbols \"positive\" under [parameters])")
                if right.is_real is False:
                    fail(node, f"the exponent {right} is not real")
                return left ** right
            # bound exponents before SymPy evaluates them: '3**3**17' is eight characters
            if not right.is_Rational or abs(right) > MAX_EXPONENT:
                fail(node, f"numeric exponents must be rational numbers with |p| <= {MAX_EXPONENT}, got {right} "
                           f"(symbolic exponents such as -1-alpha are allowed on positive bases)")
            if has_field(left) and not (right.is_Integer and right >= 0):
                fail(node, f"a field may only be raised to a non-negative integer power, got {right}")
            if left.is_Rational and right.is_Integer:
                digits = (_digits(left.p) + _digits(left.q)) * abs(int(right))
                if digits > MAX_NUMBER_DIGITS:
                    fail(node, f"{left}**{right} has about {digits} digits (at most {MAX_NUMBER_DIGITS})")
            if left == 0 and right < 0:
                fail(node, "zero to a negative power (division by zero)")
            return left ** right
        if isinstance(node, ast.Call):
            if node.keywords or not isinstance(node.func, ast.Name):
                fail(node, "only calls like sqrt(x), exp(x), log(x), zeta(s, a), Rational(p, q) are allowed")
            fn = node.func.id
            if fn != "Rational" and fn not in _FUNCS:
                fail(node, f"function {fn!r} is not allowed (allowed: sqrt, exp, log, zeta, Rational)")
            args = [walk(a, depth + 1) for a in node.args]
            if fn == "Rational":
                if len(args) != 2 or not all(a.is_Integer for a in args) or args[1] == 0:
                    fail(node, "Rational takes two integers p, q != 0")
                return sp.Rational(args[0], args[1])
            if len(args) not in _ARITY[fn]:
                fail(node, f"{fn} takes {' or '.join(map(str, _ARITY[fn]))} argument(s)")
            if any(has_field(a) for a in args):
                fail(node, f"{fn}(...) of a field is not polynomial")
            if fn == "log" and args[0].is_zero:
                fail(node, "log(0) is not finite")
            return _FUNCS[fn](*args)
        fail(node, f"syntax {type(node).__name__} is not allowed")

    try:
        e = as_expr(walk(tree.body, 0))
    except RecursionError:  # SymPy itself on a pathological (but accepted) tree
        raise SpecError(f"{key}: expression too deeply nested for SymPy ({len(text)} characters)") from None
    if e.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        fail(None, f"the expression is not finite ({e})")
    if e.has(sp.I):
        fail(None, f"the expression is not real ({e})")
    check_expansion(e, key, max_terms, max_degree)
    return e


def _digits(n: int) -> int:
    n = abs(int(n))
    return 1 if n < 10 else int(n.bit_length() * 0.30103) + 1


def expansion_bound(e) -> tuple[float, int, float]:
    """Upper bounds ``(terms, total_degree, work)`` for ``sympy.expand(e)`` without expanding.

    ``terms``: monomials of the expanded expression (a sum adds, a product multiplies, a power
    ``b**n`` of a ``t``-term base has at most ``C(n + t - 1, n)`` terms); ``total_degree``: in all
    symbols together; ``work``: the largest intermediate term count (``expand`` also expands
    denominators and function arguments, which count as single terms of the result).
    Counts are floats (``inf`` past 1e300); a shared subexpression is visited once.
    """
    memo: dict = {}

    def visit(x):
        if x in memo:
            return memo[x]
        if x.is_Atom:
            r = (1.0, 1 if x.is_Symbol else 0, 1.0)
        elif x.is_Add or x.is_Mul:
            parts = [visit(a) for a in x.args]
            work = max(p[2] for p in parts)
            if x.is_Add:
                terms, deg = float(sum(p[0] for p in parts)), max(p[1] for p in parts)
            else:
                terms, deg = math.prod(p[0] for p in parts), sum(p[1] for p in parts)
            r = (terms, deg, max(work, terms))
        elif x.is_Pow and x.exp.is_Integer:
            t, d, w = visit(x.base)
            n = abs(int(x.exp))
            terms = _multichoose(t, n)
            if x.exp > 0:
                r = (terms, d * n, max(w, terms))
            else:  # expand() expands the denominator; the quotient is one term of the result
                r = (1.0, 0, max(w, terms))
        else:  # rational powers, functions: one term of the result, arguments expanded inside
            ws = [visit(a)[2] for a in x.args]
            r = (1.0, 0, max(ws + [1.0]))
        memo[x] = r
        return r

    return visit(as_expr(e))


def _multichoose(t: float, n: int) -> float:
    """``C(n + t - 1, n)`` as a float (``inf`` when huge)."""
    if n == 0 or t <= 1:
        return 1.0
    if not math.isfinite(t):
        return math.inf
    lg = math.lgamma(n + t) - math.lgamma(n + 1) - math.lgamma(t)
    return math.exp(lg) if lg < 690 else math.inf


def check_expansion(e, key: str, max_terms: int | None = MAX_EXPANDED_TERMS,
                    max_degree: int | None = MAX_TOTAL_DEGREE) -> None:
    """Raise :class:`SpecError` naming ``key`` when expanding ``e`` would exceed the bounds."""
    if max_terms is None and max_degree is None:
        return
    terms, deg, work = expansion_bound(e)
    size = max(terms, work)
    if max_terms is not None and size > max_terms:
        raise SpecError(f"{key}: expanding this expression gives up to {size:.3g} terms (limit {max_terms}); "
                        f"simplify it, or pass --allow-expensive (allow_expensive=True) to go ahead")
    if max_degree is not None and deg > max_degree:
        raise SpecError(f"{key}: the expanded expression has total degree up to {deg} (limit {max_degree}); "
                        f"simplify it, or pass --allow-expensive (allow_expensive=True) to go ahead")


_KW_PREFIX = "__symrg_kw_"


def _parse_tree(text, key):
    """``ast`` of an expression; Python keywords used as names (``lambda``) are allowed."""
    if not isinstance(text, str):
        raise SpecError(f"{key}: expected an expression string, got {type(text).__name__} {repr(text)[:60]}")
    text = original = text.strip()
    if len(text) > MAX_EXPRESSION_CHARS:
        raise SpecError(f"{key}: expression of {len(text)} characters (at most {MAX_EXPRESSION_CHARS})")
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
        if any(t.type == tokenize.NAME and keyword.iskeyword(t.string) for t in toks):
            text = tokenize.untokenize(
                (t.type, _KW_PREFIX + t.string if t.type == tokenize.NAME and keyword.iskeyword(t.string)
                 and t.string not in ("True", "False", "None") else t.string) for t in toks).strip()
        with warnings.catch_warnings():     # '1if x else 2' warns on stderr; the text is refused anyway
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            return ast.parse(text, mode="eval")
    except (SyntaxError, tokenize.TokenError, ValueError) as exc:
        msg = getattr(exc, "msg", None) or str(exc)
        raise SpecError(f"{key}: cannot parse {original[:200]!r}: {msg}") from None
    except (MemoryError, RecursionError):
        raise SpecError(f"{key}: expression too deeply nested ({len(text)} characters)") from None


def _unmangle(name: str) -> str:
    return name[len(_KW_PREFIX):] if name.startswith(_KW_PREFIX) else name


def as_expr(obj, names: dict | None = None, key: str = "expression") -> sp.Expr:
    """Convert ``obj`` to a SymPy object without ever evaluating text.

    SymPy objects pass through; Python numbers become exact SymPy numbers; strings are parsed by
    the whitelist parser (:func:`parse_expression`; exponents and sizes bounded), with every identifier taken as a plain
    symbol unless ``names`` maps it.  Anything else is refused.
    """
    if isinstance(obj, sp.Basic):
        return obj
    if isinstance(obj, bool):
        raise SpecError(f"{key}: {obj!r} is not an expression")
    if isinstance(obj, int):
        return sp.Integer(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise SpecError(f"{key}: {obj!r} is not finite")
        return sp.Rational(repr(obj))  # same value as the parser gives for the same text
    if isinstance(obj, str):
        tree = _parse_tree(obj, key)
        idents = {_unmangle(n.id) for n in ast.walk(tree) if isinstance(n, ast.Name)}
        table = {i: sp.Symbol(i) for i in idents if i not in _FUNCS and i != "Rational"}
        table.update(names or {})
        return parse_expression(obj, table, key, positive_bases=False)
    raise SpecError(f"{key}: cannot convert {type(obj).__name__} to an expression")
