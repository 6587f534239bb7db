"""SymPy -> importable Python modules (NumPy, and an mpmath twin).

In the spirit of sympy2jax: one table per backend maps SymPy node types and functions to
backend names, and anything not in the table raises :class:`CodegenError` (there is no silent
fallback to ``lambdify`` or to ``str``). Common subexpressions are shared with ``sympy.cse``.

A flow module also gets a *fused* right-hand side (:func:`render_fused`): ``rhs(kappa, y, params)`` and
``jac(kappa, y, params)`` of every coupling at once, printed on plain Python floats with the ``math`` module
(:data:`MATH_TABLE`; what a solver calls thousands of times), ``rhs_array``/``jac_array`` vectorised with NumPy,
and their mpmath twins.

A generated module starts with a provenance header carrying the sha256 of the ``srepr`` of the
source expressions and the symrg version, so that a generated file can always be traced to,
and regenerated from, its derivation (:func:`symrg.codegen.modules.regenerate_gaussian_flow`).

Lowering of spectral sums
-------------------------
A node ``Sum(lam(k), (k, kappa + 1, oo))`` whose summand is an *array argument* (an undefined
SymPy ``Function`` or an ``IndexedBase`` listed among the function arguments) applied to the
summation index is lowered to the vector of tails ``[sum_{k > kappa} lam_k for kappa = 0..N]``
(``N = len(lam)``, ``lam[0]`` is ``lambda_1``, modes beyond the array are zero). The NumPy
backend prints a reversed cumulative sum, the mpmath backend ``mpmath.fsum`` per cutoff. The
cutoff ``kappa`` then becomes the output axis, and may not appear outside the sum.

A *full* sum ``Sum(F(lam(k), m(k), ...), (k, 1, oo))`` over every listed mode (e.g. the
self-consistent closure of docs/theory.md section 4a, with multiplicities ``m``) is lowered to
``numpy.sum(F(lam, m, ...), axis=-1)`` and, in the mpmath twin, to ``mpmath.fsum`` over the modes.
"""
from __future__ import annotations

import importlib
import keyword
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from .._io import atomic_write_text, provenance_header, sha256_text
from ..errors import SymrgError

__all__ = [
    "CodegenError",
    "RESERVED_NAMES",
    "safe_name",
    "render_module",
    "generate_module",
    "load_generated",
    "generated_dir",
    "source_hash",
    "NUMPY_TABLE",
    "MPMATH_TABLE",
    "MATH_TABLE",
    "render_fused",
]


class CodegenError(SymrgError, TypeError):
    """A SymPy expression contains a node the code printer does not know."""


# --- the tables ----------------------------------------------------------------------------------
# function class -> (backend callable name, number of arguments accepted)
NUMPY_TABLE: dict = {
    sp.exp: "numpy.exp", sp.log: "numpy.log", sp.Abs: "numpy.abs", sp.sqrt: "numpy.sqrt",
    sp.sin: "numpy.sin", sp.cos: "numpy.cos", sp.tan: "numpy.tan", sp.tanh: "numpy.tanh",
    sp.sinh: "numpy.sinh", sp.cosh: "numpy.cosh", sp.atan: "numpy.arctan", sp.asin: "numpy.arcsin",
    sp.acos: "numpy.arccos", sp.erf: "scipy.special.erf", sp.gamma: "scipy.special.gamma",
    sp.loggamma: "scipy.special.gammaln", sp.zeta: "scipy.special.zeta",
    sp.sign: "numpy.sign", sp.Max: "numpy.maximum", sp.Min: "numpy.minimum",
    sp.pi: "numpy.pi", sp.E: "numpy.e",
}
MPMATH_TABLE: dict = {
    sp.exp: "mpmath.exp", sp.log: "mpmath.log", sp.Abs: "abs", sp.sqrt: "mpmath.sqrt",
    sp.sin: "mpmath.sin", sp.cos: "mpmath.cos", sp.tan: "mpmath.tan", sp.tanh: "mpmath.tanh",
    sp.sinh: "mpmath.sinh", sp.cosh: "mpmath.cosh", sp.atan: "mpmath.atan", sp.asin: "mpmath.asin",
    sp.acos: "mpmath.acos", sp.erf: "mpmath.erf", sp.gamma: "mpmath.gamma",
    sp.loggamma: "mpmath.loggamma", sp.zeta: "mpmath.zeta",
    sp.sign: "mpmath.sign", sp.Max: "max", sp.Min: "min",
    sp.pi: "mpmath.pi", sp.E: "mpmath.e",
}
# Plain Python floats (the fused right-hand side of a small flow, docs/theory.md section 3): the math module where it
# has the function, else the NumPy/SciPy scalar function (which returns a NumPy scalar: correct, only slower).
MATH_TABLE: dict = {
    sp.exp: "math.exp", sp.log: "math.log", sp.Abs: "abs", sp.sqrt: "math.sqrt",
    sp.sin: "math.sin", sp.cos: "math.cos", sp.tan: "math.tan", sp.tanh: "math.tanh",
    sp.sinh: "math.sinh", sp.cosh: "math.cosh", sp.atan: "math.atan", sp.asin: "math.asin",
    sp.acos: "math.acos", sp.erf: "math.erf", sp.gamma: "math.gamma",
    sp.loggamma: "math.lgamma", sp.zeta: "scipy.special.zeta",
    sp.sign: "numpy.sign", sp.Max: "max", sp.Min: "min",
    sp.pi: "math.pi", sp.E: "math.e",
}
_TABLES = {"numpy": NUMPY_TABLE, "mpmath": MPMATH_TABLE, "math": MATH_TABLE}

# Names an argument of a generated function may not have: Python keywords, the modules the generated code
# imports (and their usual aliases), and the builtins and locals its bodies use.  :func:`safe_name` renames
# them; the printer refuses them, so a parameter called ``numpy`` can never shadow the module.
RESERVED_NAMES = frozenset(keyword.kwlist) | frozenset({
    "numpy", "np", "scipy", "mpmath", "math", "sympy", "sp", "abs", "max", "min", "zip", "range", "len",
    "float", "int", "isinstance", "hasattr", "out"})


def safe_name(name: str) -> str:
    """``name`` as an argument of generated code: a name whose stem (the name without its trailing
    underscores) is reserved (:data:`RESERVED_NAMES`) gets one more trailing underscore, so ``lambda ->
    lambda_``, ``lambda_ -> lambda__``, ``numpy -> numpy_``; every other name is kept.  The map is
    deterministic and one-to-one (names with a reserved stem gain one ``_``, the others are unchanged and
    have a stem that is not reserved), so two names of an action never become one."""
    return name + "_" if name.rstrip("_") in RESERVED_NAMES else name
_IMPORTS = {"numpy": "import numpy\nimport scipy.special\n", "mpmath": "import mpmath\n"}


# --- the printer -----------------------------------------------------------------------------------
_PREC_ATOM, _PREC_POW, _PREC_UNARY, _PREC_MUL, _PREC_ADD = 0, 1, 2, 3, 4


@dataclass
class _Printer:
    backend: str
    names: dict  # Symbol -> python identifier
    table: dict = field(init=False)

    def __post_init__(self):
        self.table = _TABLES[self.backend]

    def __call__(self, expr) -> str:
        return self._p(expr)[0]

    def _wrap(self, expr, outer: int) -> str:
        s, prec = self._p(expr)
        return f"({s})" if prec >= outer else s

    def _p(self, e) -> tuple[str, int]:
        if isinstance(e, sp.Symbol):
            if e not in self.names:
                raise CodegenError(f"free symbol {e!r} is not an argument of the function; "
                                   f"arguments are {sorted(map(str, self.names))}")
            return self.names[e], _PREC_ATOM
        if isinstance(e, sp.Integer):
            v = int(e)
            return (str(v), _PREC_ATOM) if v >= 0 else (str(v), _PREC_UNARY)
        if isinstance(e, sp.Rational):
            if self.backend == "mpmath":
                return f"mpmath.mpf({e.p})/{e.q}", _PREC_MUL
            return f"{e.p}/{e.q}", _PREC_MUL
        if isinstance(e, sp.Float):
            if self.backend == "mpmath":
                return f"mpmath.mpf('{sp.Float(e, e._prec).__str__()}')", _PREC_ATOM
            return repr(float(e)), _PREC_ATOM if float(e) >= 0 else _PREC_UNARY
        if isinstance(e, sp.NumberSymbol):
            if e not in self.table:
                raise CodegenError(f"no {self.backend} name for the constant {e!r}")
            return self.table[e], _PREC_ATOM
        if e in (sp.S.Infinity, sp.S.NegativeInfinity, sp.S.NaN, sp.S.ComplexInfinity, sp.S.ImaginaryUnit):
            raise CodegenError(f"cannot print the special value {e!r} ({type(e).__name__})")
        if isinstance(e, sp.Add):
            return self._add(e), _PREC_ADD
        if isinstance(e, sp.Mul):
            return self._mul(e)
        if isinstance(e, sp.Pow):
            return self._pow(e)
        if isinstance(e, (sp.Function, sp.Max, sp.Min)) and type(e) in self.table:
            return self._func(e), _PREC_ATOM
        raise CodegenError(
            f"the {self.backend} printer does not know the SymPy node {type(e).__name__} in {e}; "
            f"known functions: {sorted(getattr(f, '__name__', str(f)) for f in self.table)}")

    def _add(self, e: sp.Add) -> str:
        out = []
        for i, term in enumerate(e.as_ordered_terms()):
            if i and term.could_extract_minus_sign():
                out.append(" - " + self._wrap(-term, _PREC_ADD))
            else:
                out.append((" + " if i else "") + self._wrap(term, _PREC_ADD))
        return "".join(out)

    def _mul(self, e: sp.Mul) -> tuple[str, int]:
        if e.could_extract_minus_sign():
            return "-" + self._wrap(-e, _PREC_MUL), _PREC_UNARY
        num, den = [], []
        for f in e.as_ordered_factors():
            if isinstance(f, sp.Pow) and f.exp.is_number and f.exp.is_negative:
                den.append(sp.Pow(f.base, -f.exp, evaluate=False) if f.exp != -1 else f.base)
            elif isinstance(f, sp.Rational) and not isinstance(f, sp.Integer):
                num.append(sp.Integer(f.p))
                den.append(sp.Integer(f.q))
            else:
                num.append(f)
        snum = "*".join(self._wrap(f, _PREC_MUL) for f in num if f != 1) or "1"
        if self.backend == "mpmath" and snum == "1" and den:
            snum = "mpmath.mpf(1)"
        if not den:
            return snum, _PREC_MUL
        sden = "*".join(self._wrap(f, _PREC_MUL) for f in den)
        if len(den) > 1:
            sden = f"({sden})"
        elif self._p(den[0])[1] >= _PREC_POW and not sden.startswith("("):
            sden = f"({sden})"
        if self.backend == "mpmath" and all(isinstance(f, sp.Integer) for f in num + den):
            snum = f"mpmath.mpf({snum})"
        return f"{snum}/{sden}", _PREC_MUL

    def _pow(self, e: sp.Pow) -> tuple[str, int]:
        b, x = e.base, e.exp
        sqrt = self.table[sp.sqrt]
        if x == sp.Rational(1, 2):
            return f"{sqrt}({self(b)})", _PREC_ATOM
        if x == -sp.Rational(1, 2):
            return f"1/{sqrt}({self(b)})", _PREC_MUL
        if x == -1:
            one = "mpmath.mpf(1)" if self.backend == "mpmath" else "1"
            return f"{one}/{self._wrap(b, _PREC_MUL)}", _PREC_MUL
        if b == sp.E:
            return f"{self.table[sp.exp]}({self(x)})", _PREC_ATOM
        if self.backend == "math" and not x.is_Integer:   # float ** float may be complex; math.pow raises instead
            return f"math.pow({self(b)}, {self(x)})", _PREC_ATOM
        if self.backend == "math" and x == 2 and isinstance(b, sp.Symbol):   # x*x: the same correctly rounded
            return f"{self(b)}*{self(b)}", _PREC_MUL                         # square, without a pow() call
        return f"{self._wrap(b, _PREC_POW)}**{self._wrap(x, _PREC_POW)}", _PREC_POW

    def _func(self, e: sp.Function) -> str:
        name = self.table[type(e)]
        args = [self(a) for a in e.args]
        if isinstance(e, (sp.Max, sp.Min)) and self.backend == "numpy":  # binary ufuncs: nest
            acc = args[0]
            for a in args[1:]:
                acc = f"{name}({acc}, {a})"
            return acc
        return f"{name}({', '.join(args)})"


# --- spectral Sums ----------------------------------------------------------------------------
def _array_args(args) -> dict:
    """Map array-valued arguments (undefined Function or IndexedBase) to their identifiers."""
    out = {}
    for name, obj in args:
        if isinstance(obj, (UndefinedFunction, sp.IndexedBase)):
            out[obj] = name
    return out


def _array_applications(f, arrays: dict, k) -> dict:
    """``{f(k): array name}`` for every array argument applied in ``f``; raises if one is applied
    to anything but the summation index ``k``."""
    apps = {}
    for a in f.atoms(AppliedUndef) | f.atoms(sp.Indexed):
        base = a.func if isinstance(a, AppliedUndef) else a.base
        if base not in arrays:
            raise CodegenError(f"cannot lower the sum of {f}: {a} is not an array argument")
        if (a.args if isinstance(a, AppliedUndef) else a.indices) != (k,):
            raise CodegenError(f"cannot lower the sum of {f}: {a} must be applied to the index {k}")
        apps[a] = arrays[base]
    return apps


def _lower_sums(expr, arrays: dict):
    """Replace each spectral Sum by a placeholder.

    Two kinds are lowered (docs/theory.md section 4): a *tail* ``Sum(lam(k), (k, kappa + 1, oo))``
    (one entry per cutoff) and a *full* sum ``Sum(F(lam(k), m(k), scalars), (k, 1, oo))`` over every
    listed mode, whose summand may be any expression of array arguments applied to ``k`` and of
    scalar arguments.  Returns ``(expr, tails, fulls, kappa)`` with ``tails = [(placeholder, array)]``
    and ``fulls = [(placeholder, summand, {f(k): array})]``.
    """
    lowered, fulls, kappa = [], [], None

    def repl(s: sp.Sum):
        nonlocal kappa
        if len(s.limits) != 1:
            raise CodegenError(f"only single sums can be lowered, got {s}")
        k, lo, hi = s.limits[0]
        f = s.function
        if hi != sp.oo:
            raise CodegenError(f"cannot lower {s}: limits must end at oo, as (k, kappa + 1, oo) or (k, 1, oo)")
        if lo == 1:
            apps = _array_applications(f, arrays, k)
            if not apps or k in f.xreplace({a: sp.Dummy() for a in apps}).free_symbols:
                raise CodegenError(f"cannot lower {s}: the summand must depend on {k} only through array arguments")
            ph = sp.Symbol(f"_sum{len(fulls)}")
            fulls.append((ph, f, apps))
            return ph
        if isinstance(f, AppliedUndef) and f.func in arrays and f.args == (k,):
            arr = arrays[f.func]
        elif isinstance(f, sp.Indexed) and f.base in arrays and f.indices == (k,):
            arr = arrays[f.base]
        else:
            raise CodegenError(f"cannot lower {s}: the summand must be an array argument applied to {k}")
        if not (lo - 1).is_Symbol:
            raise CodegenError(f"cannot lower {s}: limits must be (k, kappa + 1, oo) or (k, 1, oo)")
        if kappa is not None and kappa != lo - 1:
            raise CodegenError(f"two different cutoffs in one function: {kappa}, {lo - 1}")
        kappa = lo - 1
        ph = sp.Symbol(f"_tail{len(lowered)}")
        lowered.append((ph, arr))
        return ph

    new = expr.replace(lambda e: isinstance(e, sp.Sum), repl)
    if new.has(sp.Sum, sp.Integral, sp.Product):
        raise CodegenError(f"unlowered Sum/Integral/Product in {expr}")
    if kappa is not None and kappa in new.free_symbols:
        raise CodegenError(f"the cutoff {kappa} of a lowered sum appears outside the sum in {expr}")
    if lowered and fulls:
        raise CodegenError(f"a function may hold tail sums or full sums, not both: {expr}")
    return new, lowered, fulls, kappa


def _full_sum_line(ph, summand, apps: dict, names: dict, backend: str) -> str:
    """``_sumN = sum over listed modes of the summand`` (vectorised NumPy or mpmath.fsum)."""
    local = dict(names)
    loop_vars = {}
    sub = {}
    for i, (app, arr) in enumerate(sorted(apps.items(), key=lambda kv: kv[1])):
        v = sp.Symbol(f"_{arr}_k")
        sub[app] = v
        loop_vars[arr] = v.name
        local[v] = arr if backend == "numpy" else v.name
    body = _Printer(backend, local)(summand.xreplace(sub))
    if backend == "numpy":
        return f"    {ph.name} = numpy.sum({body}, axis=-1)"
    arrs = sorted(loop_vars)
    target = ", ".join(loop_vars[a] for a in arrs)
    source = arrs[0] if len(arrs) == 1 else f"zip({', '.join(arrs)})"
    return f"    {ph.name} = mpmath.fsum({body} for {target} in {source})"


# --- module rendering ---------------------------------------------------------------------------
def _normalise_args(args) -> list[tuple[str, object]]:
    out = []
    for a in args:
        name, obj = a if isinstance(a, tuple) else (getattr(a, "name", None) or getattr(a, "__name__", None), a)
        if isinstance(obj, sp.IndexedBase):
            name = name or str(obj.label)
        if not isinstance(obj, (sp.Symbol, UndefinedFunction, sp.IndexedBase)):
            raise CodegenError(f"argument {a!r} must be a Symbol, an undefined Function or an IndexedBase")
        if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)):
            raise CodegenError(f"argument name {name!r} is not a Python identifier; pass (name, object)")
        if name in RESERVED_NAMES:
            raise CodegenError(f"argument name {name!r} is reserved in generated code (a keyword, an imported module "
                               f"or a builtin it uses); pass ({safe_name(name)!r}, object)")
        out.append((name, obj))
    return out


def _unpack(spec):
    if len(spec) == 2:
        (args, expr), doc = spec, ""
    elif len(spec) == 3:
        args, expr, doc = spec
    else:
        raise CodegenError("a function is specified as (args, expr) or (args, expr, doc)")
    return _normalise_args(args), _as_sympy(expr), doc


def source_hash(functions: dict) -> str:
    """sha256 of the srepr of every (name, args, expression), in name order."""
    parts = []
    for name in sorted(functions):
        args, expr, _ = _unpack(functions[name])
        parts.append(f"{name}|{[(n, sp.srepr(o) if isinstance(o, sp.Basic) else str(o)) for n, o in args]}|{sp.srepr(expr)}")
    return sha256_text("\n".join(parts))


_MPF_HELPER = '''
def _mpf(v):
    """Exact conversion to mpmath.mpf (Python and NumPy numbers, strings, mpf)."""
    if isinstance(v, mpmath.mpf):
        return v
    if hasattr(v, "dtype"):
        v = v.item()
    return mpmath.mpf(v)
'''

_HELPERS = {
    "numpy": '''
def _tail_sums(a):
    """Tails ``[sum(a[kappa:]) for kappa in 0..len(a)]`` by a reversed cumulative sum."""
    a = numpy.asarray(a, dtype=numpy.float64)
    out = numpy.zeros(a.shape[:-1] + (a.shape[-1] + 1,))
    out[..., :-1] = numpy.cumsum(a[..., ::-1], axis=-1)[..., ::-1]
    return out
''',
    "mpmath": '''
def _tail_sums(a):
    """Tails ``[fsum(a[kappa:]) for kappa in 0..len(a)]`` (correctly rounded sums)."""
    return [mpmath.fsum(a[i:]) for i in range(len(a) + 1)]
''',
}


def _render_function(fname: str, spec, backend: str) -> tuple[str, bool]:
    if not fname.isidentifier() or keyword.iskeyword(fname):
        raise CodegenError(f"function name {fname!r} is not a Python identifier")
    args, expr, doc = _unpack(spec)
    dup = sorted({n for n, _ in args if [m for m, _ in args].count(n) > 1})
    if dup:
        raise CodegenError(f"function {fname}: two arguments are named {', '.join(dup)}")
    arrays = _array_args(args)
    body_expr, lowered, fulls, kappa = _lower_sums(expr, arrays)
    names = {obj: n for n, obj in args if isinstance(obj, sp.Symbol)}
    names.update({ph: ph.name for ph, _ in lowered})
    names.update({ph: ph.name for ph, _, _ in fulls})
    pr = _Printer(backend, names)
    repl, (reduced,) = sp.cse([body_expr], symbols=sp.numbered_symbols("_x"), optimizations=None, order="canonical")
    for s, _ in repl:
        names[s] = s.name
    params = ", ".join(n for n, _ in args)
    lines = [f"def {fname}({params}):"]
    src = str(expr)
    eq = f"\n\n    Implements: {doc}" if doc else ""
    vec = ("Vectorised: array arguments broadcast (NumPy rules)." if backend == "numpy"
           else "Scalar mpmath evaluation at the caller's working precision (use mpmath.workdps).")
    if lowered:
        vec += f"\n    Array arguments ({', '.join(sorted(set(a for _, a in lowered)))}) hold lambda_1, lambda_2, ...;" \
               f"\n    the result has one entry per cutoff {kappa} = 0..len(array)."
    if fulls:
        arrs = sorted({a for _, _, apps in fulls for a in apps.values()})
        vec += f"\n    Array arguments ({', '.join(arrs)}) list the modes (last axis); sums run over every listed mode."
    lines.append(f'    """Generated from the SymPy expression\n\n        {src}{eq}\n\n    {vec}\n    """')
    for n, obj in args:
        if isinstance(obj, sp.Symbol):
            # numpy.float64(x): a float64 array for array input, a NumPy scalar (not a 0-d array) for a
            # scalar, with the same IEEE semantics (nan/inf and warnings, no ZeroDivisionError) at about
            # 1/4 of the cost per operation: what a solve_ivp right-hand side of scalars spends its time on
            conv = f"numpy.float64({n})" if backend == "numpy" else f"_mpf({n})"
        else:
            conv = (f"numpy.asarray({n}, dtype=numpy.float64)" if backend == "numpy"
                    else f"[_mpf(v) for v in {n}]")
        lines.append(f"    {n} = {conv}")
    ind = "    "
    if lowered and backend == "mpmath":
        for ph, arr in lowered:
            lines.append(f"    {ph.name}_all = _tail_sums({arr})")
        lines.append("    out = []")
        lines.append(f"    for _i in range(len({lowered[0][1]}) + 1):")
        ind = "        "
        for ph, _ in lowered:
            lines.append(f"{ind}{ph.name} = {ph.name}_all[_i]")
    else:
        for ph, arr in lowered:
            lines.append(f"    {ph.name} = _tail_sums({arr})")
    for ph, summand, apps in fulls:
        lines.append(_full_sum_line(ph, summand, apps, names, backend))
    for s, sub in repl:
        lines.append(f"{ind}{s.name} = {pr(sub)}")
    if lowered and backend == "mpmath":
        lines.append(f"{ind}out.append({pr(reduced)})")
        lines.append("    return out")
    else:
        lines.append(f"    return {pr(reduced)}")
    return "\n".join(lines) + "\n", bool(lowered)


# --- fused right-hand side of a flow ------------------------------------------------------------
def _fused_parts(fused: dict):
    """``(couplings, params, cutoff, betas, jac)`` of a fused spec, the names checked like function arguments."""
    try:
        couplings, params, cutoff = fused["couplings"], fused["params"], fused["cutoff"]
        betas, jac = [_as_sympy(e) for e in fused["betas"]], [[_as_sympy(e) for e in row] for row in fused["jac"]]
    except (KeyError, TypeError) as exc:
        raise CodegenError("a fused spec is {couplings, params, cutoff, betas, jac}") from exc
    args = _normalise_args(list(couplings) + list(params) + [cutoff])
    if any(not isinstance(o, sp.Symbol) for _, o in args):
        raise CodegenError("the couplings, parameters and cutoff of a fused right-hand side are scalar Symbols")
    names = [n for n, _ in args]
    if len(set(names)) != len(names) or set(names) & {"y", "params"}:
        raise CodegenError(f"fused right-hand side: argument names must be distinct and not y or params: {names}")
    n = len(couplings)
    if not n or len(betas) != n or len(jac) != n or any(len(r) != n for r in jac):
        raise CodegenError(f"fused right-hand side: {n} couplings need {n} beta functions and an {n}x{n} Jacobian")
    return args[:n], args[n:-1], args[-1], betas, jac


def _fused_body(exprs: list, args, backend: str, shape) -> list:
    """The statements computing ``exprs`` (common subexpressions shared by all of them, ``sympy.cse``) and the
    return statement, ``shape`` nesting the flat list (``None``: a flat list; ``n``: ``n`` rows)."""
    names = {o: n for n, o in args}
    repl, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_x"), optimizations=None, order="canonical")
    for sym, _ in repl:
        names[sym] = sym.name
    pr = _Printer(backend, names)
    lines = [f"    {sym.name} = {pr(sub)}" for sym, sub in repl]
    flat = [pr(e) for e in reduced]
    if backend == "numpy":          # every entry broadcast to the common shape of the arguments
        flat = [f"{e} + _zero" for e in flat]
    if shape is None:
        out = "[" + ", ".join(flat) + "]"
    else:
        rows = [flat[i * shape:(i + 1) * shape] for i in range(shape)]
        out = "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
    if backend == "numpy":
        out = f"numpy.array({out})"
    return lines + [f"    return {out}"]


def render_fused(fused: dict, backend: str) -> str:
    """The fused right-hand side ``rhs(kappa, y, params)`` and Jacobian ``jac(kappa, y, params)`` of a flow
    ``d y/d kappa = beta(y, params, kappa)`` (docs/theory.md section 3), printed from the beta functions and
    their derivatives with the common subexpressions of all couplings shared (``sympy.cse``).

    ``backend="numpy"`` (the NumPy module) prints ``rhs``/``jac`` on plain Python floats with the ``math``
    module (:data:`MATH_TABLE`: no NumPy call per scalar operation; an IEEE overflow, a division by zero or a
    logarithm of a negative number raises ``ArithmeticError``/``ValueError`` instead of giving inf/nan) and
    ``rhs_array``/``jac_array`` vectorised with NumPy (``y`` of shape ``(n, ...)``, arguments broadcast, IEEE
    semantics); ``backend="mpmath"`` prints the mpmath twins (scalar, at the caller's working precision).
    ``fused``: ``{couplings: [(name, Symbol)], params: [(name, Symbol)], cutoff: (name, Symbol), betas: [expr],
    jac: [[d beta_i/d g_j]]}``; the order of ``couplings``/``params`` is that of ``y``/``params`` (the module's
    ``COUPLINGS``/``PARAMETERS``)."""
    if backend not in ("numpy", "mpmath"):
        raise CodegenError(f"unknown backend {backend!r} for a fused right-hand side; valid: ['mpmath', 'numpy']")
    gs, ps, (kname, _), betas, jac = _fused_parts(fused)
    args = gs + ps + [(kname, fused["cutoff"][1])]
    n = len(gs)
    gl, pl = ", ".join(g for g, _ in gs), ", ".join(p for p, _ in ps)
    one = "," if n == 1 else ""
    jflat = [e for row in jac for e in row]
    head = (f"\n\nCOUPLINGS = {tuple(g for g, _ in gs)!r}\nPARAMETERS = {tuple(p for p, _ in ps)!r}\n"
            f"CUTOFF = {kname!r}\n")
    about = (f"``y = ({gl}{one})`` (COUPLINGS), ``params = ({pl}{',' if len(ps) == 1 else ''})`` (PARAMETERS), "
             f"``kappa`` = {kname}")
    parts = []
    variants = [("math", "", "Plain Python floats and the math module (no NumPy call per scalar operation); "
                 "raises\n    ArithmeticError/ValueError where NumPy would give inf/nan (rhs_array/jac_array "
                 "give those)."),
                ("numpy", "_array", "Vectorised NumPy: ``y`` of shape (n, ...) and the parameters broadcast "
                 "(IEEE semantics).")] if backend == "numpy" else \
        [("mpmath", "", "mpmath at the caller's working precision (use mpmath.workdps); entries are mpmath.mpf.")]
    for be, suffix, how in variants:
        for what, exprs, shape, ret in (("rhs", betas, None, f"[d g/d {kname} for g in COUPLINGS]"),
                                        ("jac", jflat, n, "[[d beta_i/d g_j for g_j in COUPLINGS] for i]")):
            lines = [f"def {what}{suffix}({kname}, y, params):",
                     f'    """Fused {"right-hand side" if what == "rhs" else "Jacobian"} of the flow, {ret}\n    (generated '
                     f"from the beta functions{' and their derivatives' if what == 'jac' else ''}, common subexpressions "
                     f"shared; docs/theory.md section 3);\n    {about}.\n\n    {how}\n    \"\"\""]
            if be == "math":
                lines += ["    try:", f"        {gl}{one} = y.tolist()", "    except AttributeError:   # a list or tuple",
                          f"        {gl}{one} = y"]
                if ps:
                    lines.append(f"    {pl}{',' if len(ps) == 1 else ''} = params")
                lines.append(f"    {kname} = float({kname})")
            elif be == "numpy":
                lines.append(f"    {gl}{one} = numpy.asarray(y, dtype=numpy.float64)")
                if ps:
                    lines.append(f"    {pl}{',' if len(ps) == 1 else ''} = (numpy.float64(v) for v in params)")
                lines.append(f"    {kname} = numpy.float64({kname})")
                lines.append(f"    _zero = numpy.zeros(numpy.broadcast({', '.join(n_ for n_, _ in args)}).shape)")
            else:
                lines.append(f"    {gl}{one} = (_mpf(v) for v in y)")
                if ps:
                    lines.append(f"    {pl}{',' if len(ps) == 1 else ''} = (_mpf(v) for v in params)")
                lines.append(f"    {kname} = _mpf({kname})")
            lines += _fused_body(exprs, args, be, shape)
            parts.append("\n".join(lines) + "\n")
    if backend == "mpmath":     # the scalar twin of the vectorised forms
        parts.append("rhs_array = rhs\njac_array = jac\n")
    return head + "\n\n" + "\n\n".join(parts)


def render_module(functions: dict, module_name: str, backend: str = "numpy", doc: str = "",
                  source: str = "symrg.codegen", fused: dict | None = None) -> str:
    """Return the text of the generated module (deterministic: same input, same bytes); ``fused``: also the fused
    right-hand side and Jacobian of a flow (:func:`render_fused`)."""
    if backend not in _TABLES:
        raise CodegenError(f"unknown backend {backend!r}; valid: {sorted(_TABLES)}")
    if not module_name.isidentifier():
        raise CodegenError(f"module name {module_name!r} is not a Python identifier")
    digest = source_hash(functions)
    header = provenance_header(f"{source} (backend={backend})", inputs_hash=digest)
    parts, need_tail = [], False
    for fname in sorted(functions):
        text, tail = _render_function(fname, functions[fname], backend)
        parts.append(text)
        need_tail |= tail
    listed = sorted(functions) + (["jac", "jac_array", "rhs", "rhs_array"] if fused is not None else [])
    names = ", ".join(repr(f) for f in listed)
    imports = ("import math\n" if fused is not None and backend == "numpy" else "") + _IMPORTS[backend]
    top = (f'{header}"""{doc or module_name}\n\nBackend: {backend}. Source sha256 (srepr of the expressions): '
           f'{digest}\n"""\n{imports}\n__all__ = [{names}]\nSOURCE_SHA256 = "{digest}"\n')
    body = "\n\n".join(parts)
    if fused is not None:
        body += render_fused(fused, backend)
    helper = ("\n" + _MPF_HELPER) if backend == "mpmath" else ""
    helper += ("\n" + _HELPERS[backend]) if need_tail else ""
    if "scipy.special." not in helper + body:          # import only what the module uses
        top = top.replace("import scipy.special\n", "", 1)
    return top + helper + "\n\n" + body


def generated_dir() -> Path:
    """The package folder ``symrg/_generated``."""
    return Path(__file__).resolve().parent.parent / "_generated"


def generate_module(functions: dict, module_name: str, out_dir=None, backend: str = "numpy",
                    doc: str = "", source: str = "symrg.codegen") -> Path:
    """Write ``<out_dir>/<module_name>.py`` atomically and return its path.

    ``functions`` maps a function name to ``(args, expr)`` or ``(args, expr, doc)``; ``args`` is a
    list of Symbols, undefined Functions / IndexedBases (array arguments), or ``(name, object)``.
    """
    text = render_module(functions, module_name, backend=backend, doc=doc, source=source)
    out_dir = generated_dir() if out_dir is None else Path(out_dir)
    return atomic_write_text(out_dir / f"{module_name}.py", text)


def load_generated(module_name: str):
    """Import ``symrg._generated.<module_name>`` (a committed generated module)."""
    if not module_name.isidentifier():
        raise CodegenError(f"module name {module_name!r} is not a Python identifier")
    return importlib.import_module(f"symrg._generated.{module_name}")


def _as_sympy(expr):
    """Generated code is lowered only from SymPy objects built by the derivations, never from text."""
    from ..engine.expr import as_expr

    return as_expr(expr, key="codegen expression")
