"""The whitelist expression parser of the engine (docs/theory.md sections 2, 3 and 6).

Expressions are never given to ``eval``, ``exec``, ``sympify`` or ``parse_expr``: the text is
parsed by :mod:`ast` and only numbers, declared names, ``+ - * / **``, unary minus, parentheses
and the functions ``sqrt, exp, log, Rational`` are mapped to SymPy; anything else raises
:class:`~symrg.errors.SpecError` naming the key (the TOML key for action files, see
:mod:`symrg.engine.spec`).  Exponents, integer literals and the length of the text are bounded
before SymPy sees them.
"""
from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize

import sympy as sp

from ..errors import SpecError

__all__ = ["parse_expression", "as_expr"]

MAX_EXPONENT = 64            # largest |exponent| accepted in an expression
MAX_DIGITS = 100             # largest integer literal (digits)
MAX_EXPRESSION_CHARS = 20_000

_FUNCS = {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log}


def parse_expression(text, names: dict, key: str, fields=frozenset()) -> sp.Expr:
    """Parse ``text`` with the whitelist described in the module docstring.

    ``names`` maps allowed identifiers to SymPy objects; ``fields`` are the symbols that may only
    carry non-negative integer exponents. Errors name ``key`` and the position in the text.
    """
    tree = _parse_tree(text, key)
    fields = set(fields)

    def fail(node, msg):
        col = getattr(node, "col_offset", None)
        where = f" (column {col + 1})" if col is not None else ""
        raise SpecError(f"{key}: {msg}{where} in {text!r}")

    def has_field(e):
        return bool(getattr(e, "free_symbols", set()) & fields)

    def walk(node):
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
            v = walk(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            op = node.op
            if isinstance(op, ast.Add):
                return left + right
            if isinstance(op, ast.Sub):
                return left - right
            if isinstance(op, ast.Mult):
                return left * right
            if isinstance(op, ast.Div):
                if has_field(right):
                    fail(node, "division by a field is not polynomial")
                if right == 0:
                    fail(node, "division by zero")
                return left / right
            if isinstance(op, ast.Pow):
                # bound exponents before SymPy evaluates them: '3**3**17' is eight characters
                if not right.is_Rational or abs(right) > MAX_EXPONENT:
                    fail(node, f"exponents must be rational numbers with |p| <= {MAX_EXPONENT}, got {right}")
                if has_field(left) and not (right.is_Integer and right >= 0):
                    fail(node, f"a field may only be raised to a non-negative integer power, got {right}")
                if has_field(right):
                    fail(node, "a field in an exponent is not polynomial")
                return left ** right
            fail(node, f"operator {type(op).__name__} is not allowed (use + - * / **)")
        if isinstance(node, ast.Call):
            if node.keywords or not isinstance(node.func, ast.Name):
                fail(node, "only calls like sqrt(x), exp(x), log(x), Rational(p, q) are allowed")
            fn = node.func.id
            if fn != "Rational" and fn not in _FUNCS:
                fail(node, f"function {fn!r} is not allowed (allowed: sqrt, exp, log, Rational)")
            args = [walk(a) for a in node.args]
            if fn == "Rational":
                if len(args) != 2 or not all(a.is_Integer for a in args) or args[1] == 0:
                    fail(node, "Rational takes two integers p, q != 0")
                return sp.Rational(args[0], args[1])
            if fn not in _FUNCS:
                fail(node, f"function {fn!r} is not allowed (allowed: sqrt, exp, log, Rational)")
            if len(args) != 1:
                fail(node, f"{fn} takes one argument")
            if has_field(args[0]):
                fail(node, f"{fn}(...) of a field is not polynomial")
            return _FUNCS[fn](args[0])
        fail(node, f"syntax {type(node).__name__} is not allowed")

    return as_expr(walk(tree.body))


_KW_PREFIX = "__symrg_kw_"


def _parse_tree(text, key):
    """``ast`` of an expression; Python keywords used as names (``lambda``) are allowed."""
    if not isinstance(text, str):
        raise SpecError(f"{key}: expected an expression string, got {type(text).__name__} {text!r}")
    text = text.strip()
    if len(text) > MAX_EXPRESSION_CHARS:
        raise SpecError(f"{key}: expression of {len(text)} characters (at most {MAX_EXPRESSION_CHARS})")
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
        if any(t.type == tokenize.NAME and keyword.iskeyword(t.string) for t in toks):
            text = tokenize.untokenize(
                (t.type, _KW_PREFIX + t.string if t.type == tokenize.NAME and keyword.iskeyword(t.string)
                 and t.string not in ("True", "False", "None") else t.string) for t in toks).strip()
        return ast.parse(text, mode="eval")
    except (SyntaxError, tokenize.TokenError, ValueError) as exc:
        msg = getattr(exc, "msg", None) or str(exc)
        raise SpecError(f"{key}: cannot parse {text[:200]!r}: {msg}") from None
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
        return parse_expression(obj, table, key)
    raise SpecError(f"{key}: cannot convert {type(obj).__name__} to an expression")
