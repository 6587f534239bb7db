"""Memoised, content-hashed disk cache of Wilsonian steps (docs/theory.md section 3 results).

Key: ``sha256(canonical action repr + order + diagrams flag + every option, zeros and falses included
+ symrg and SymPy versions)`` (:func:`cache_key`). Entries are JSON
files holding expression trees whose leaves are ``srepr`` strings (no pickles), written atomically. Reading back never evaluates
text: :func:`loads_expr` walks the Python ``ast`` of the ``srepr`` string and maps only a fixed
table of SymPy constructors. Location: ``$SYMRG_CACHE_DIR`` (default ``~/.cache/symrg``);
``SYMRG_NO_CACHE=1`` turns the disk cache off (the in-memory memo stays).
"""
from __future__ import annotations

import ast
import functools
import json
import os
from pathlib import Path

import sympy as sp

from .._io import atomic_write_text, sha256_text
from ..errors import SpecError
from .expr import as_expr

__all__ = ["cache_dir", "cache_key", "memoised", "dumps_expr", "loads_expr", "clear_memory_cache"]

_MEMO: dict = {}

_CONSTRUCTORS = {
    "Symbol": sp.Symbol, "Integer": sp.Integer, "Rational": sp.Rational, "Float": sp.Float,
    "Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow, "Function": sp.Function, "Integral": sp.Integral,
    "Tuple": sp.Tuple, "exp": sp.exp, "log": sp.log, "Half": lambda: sp.S.Half,
    "One": lambda: sp.S.One, "Zero": lambda: sp.S.Zero, "NegativeOne": lambda: sp.S.NegativeOne,
    "Pi": lambda: sp.pi, "ImaginaryUnit": lambda: sp.I, "Abs": sp.Abs,
}


_TREE_OPS = {"Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow, "Integral": sp.Integral, "Tuple": sp.Tuple,
             "exp": sp.exp, "log": sp.log, "Abs": sp.Abs}


def dumps_expr(expr) -> str:
    """Faithful JSON text of an expression: a tree of ``[op, args...]`` built from ``.args``
    (atoms as their ``srepr``); rebuilt by :func:`loads_expr` without evaluation or ``eval``."""
    return json.dumps(_tree(as_expr(expr)), separators=(",", ":"))


def _tree(e):
    if e.is_Atom:
        return sp.srepr(e)
    if isinstance(e, sp.core.function.AppliedUndef):
        return ["@", e.func.__name__] + [_tree(a) for a in e.args]
    name = type(e).__name__
    if name not in _TREE_OPS:
        raise SpecError(f"cannot serialise {name}")
    return [name] + [_tree(a) for a in e.args]


def _untree(t):
    if isinstance(t, str):
        return _atom(t)
    if not isinstance(t, list) or not t:
        raise SpecError("cache entry: malformed expression tree")
    if t[0] == "@":
        return sp.Function(str(t[1]))(*[_untree(a) for a in t[2:]])
    op = _TREE_OPS.get(t[0])
    if op is None:
        raise SpecError(f"cache entry: operation {t[0]!r} not allowed")
    args = [_untree(a) for a in t[1:]]
    if op in (sp.Add, sp.Mul, sp.Pow):
        return op(*args, evaluate=False)  # args are stored in canonical order: identical result
    return op(*args)


@functools.lru_cache(maxsize=4096)
def _atom(text: str):
    return _loads_srepr(text)


def loads_expr(text: str):
    """Inverse of :func:`dumps_expr`; also accepts a plain ``srepr`` string (parsed safely)."""
    try:
        if text.startswith(("[", '"')):
            try:
                return _untree(json.loads(text))
            except json.JSONDecodeError as exc:
                raise SpecError(f"cache entry: invalid JSON: {exc}") from None
        return _loads_srepr(text)
    except RecursionError:  # a hostile or corrupt entry nested thousands deep
        raise SpecError("cache entry: expression nested too deeply") from None


def _loads_srepr(text: str):
    """Rebuild a SymPy expression from its ``srepr`` without ``eval`` (whitelisted constructors)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise SpecError(f"cache entry is not a valid srepr string: {exc}") from None

    def walk(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, str, bool, float)) \
                or isinstance(node, ast.Constant) and node.value is None:
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in _CONSTRUCTORS:
                fn = _CONSTRUCTORS[node.func.id]
            elif isinstance(node.func, ast.Call):
                fn = walk(node.func)
                if not isinstance(fn, sp.core.function.UndefinedFunction):
                    raise SpecError("cache entry: only undefined functions may be applied")
            else:
                raise SpecError(f"cache entry: constructor {ast.dump(node.func)} not allowed")
            args = [walk(a) for a in node.args]
            kwargs = {k.arg: walk(k.value) for k in node.keywords}
            return fn(*args, **kwargs)
        raise SpecError(f"cache entry: node {type(node).__name__} not allowed")

    return walk(tree.body)


def cache_dir() -> Path:
    return Path(os.environ.get("SYMRG_CACHE_DIR") or Path.home() / ".cache" / "symrg")


KEY_SCHEMA = 2   # bumped when what the key covers changes (2: every option, zeros and falses included)


def cache_key(action, order: int, diagrams, **options) -> str:
    """Key of one Wilsonian step: the action, ``order``, ``diagrams`` and every option (``max_degree``,
    ``resum``, ...) with its type, whatever its value -- ``max_degree=0``, ``None`` and ``False`` give
    three different keys, so a truncated result is never returned for a plain step -- and the symrg
    and SymPy versions."""
    from .. import __version__

    def tag(v):
        return f"{type(v).__name__}:{v!r}"

    extra = "".join(f"\n{k}={tag(v)}" for k, v in sorted(options.items()))
    return sha256_text(f"schema={KEY_SCHEMA}\n{action.canonical_repr()}\norder={tag(order)}\n"
                       f"diagrams={tag(diagrams)}{extra}\nversion={__version__}\nsympy={sp.__version__}")


def clear_memory_cache() -> None:
    _MEMO.clear()


def memoised(key: str, compute, dump, load):
    """``compute()`` memoised in memory and on disk under ``key`` (a :func:`cache_key`).

    ``dump(result) -> str`` and ``load(text) -> result`` (de)serialise an entry; the caller
    (:func:`symrg.engine.wilson.cached_wilson_step`) passes them in, so this module knows nothing
    of the engine's result types.
    """
    if key in _MEMO:
        return _MEMO[key]
    use_disk = os.environ.get("SYMRG_NO_CACHE", "") not in ("1", "true", "yes")
    path = cache_dir() / f"engine-{key}.json"
    if use_disk and path.is_file():
        try:
            res = load(path.read_text(encoding="utf-8"))
            _MEMO[key] = res
            return res
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError, OSError, SpecError):
            pass  # corrupt, hostile or stale entry (e.g. JSON nested 100000 deep): recompute and overwrite
    res = compute()
    _MEMO[key] = res
    if use_disk:
        try:
            atomic_write_text(path, dump(res))
        except OSError:
            pass  # read-only home etc.: the cache is an optimisation only
    return res
