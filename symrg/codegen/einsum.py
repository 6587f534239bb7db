"""Einsum lowering of ``Sum``-of-``Indexed`` expressions: the generated input-ridge modules (docs/theory.md section 5).

The tensor form derived in :mod:`symrg.theory.feature_cumulants` (``IndexedBase`` objects and
``Sum`` nodes) is flattened into products of indexed factors, Kronecker deltas are resolved by
identifying indices, and each term becomes an ``einsum`` with tensor-level common-subexpression
elimination: factors that do not carry the input index ``i`` are contracted first over the indices
they alone carry (the greater-mode index ``k``), and identical intermediates are shared.  The NumPy
backend prints ``numpy.einsum``; the mpmath twin a pure-Python einsum over nested lists with
correctly rounded sums.  Anything that cannot be lowered raises
:class:`~symrg.errors.VerificationError`.  :mod:`symrg.codegen.printer` lowers only spectral tails.
"""
from __future__ import annotations

import sympy as sp

from .._io import provenance_header, sha256_text
from ..errors import VerificationError
from ..theory.feature_cumulants import C3, C4, C4D, I_, K_, LAM, PHI, Q_, R_, derive_input_ridge

__all__ = ["input_ridge_functions", "render_input_ridge_module"]

_ARRAYS = {LAM: "lam", PHI: "phi", C3: "c3", C4: "c4", C4D: "c4d"}


def _flatten_terms(expr: sp.Expr):
    """Expression -> list of (scalar coefficient, [Indexed factors], set of summed indices)."""
    out = []

    def walk(e, coeff, factors, summed):
        if isinstance(e, sp.Sum):
            idx = {lim[0] for lim in e.limits}
            walk(e.function, coeff, factors, summed | idx)
        elif isinstance(e, sp.Add):
            for t in e.args:
                walk(t, coeff, factors, summed)
        elif isinstance(e, sp.Mul):
            scal, rest = [], []
            for f in e.args:
                (rest if f.has(sp.Indexed, sp.Sum, sp.KroneckerDelta) else scal).append(f)
            coeff = coeff * sp.Mul(*scal)
            if not rest:
                out.append((coeff, factors, summed))
                return
            # distribute over the first composite factor
            head, tail = rest[0], rest[1:]
            if isinstance(head, (sp.Indexed, sp.KroneckerDelta)):
                walk(sp.Mul(*tail) if tail else sp.S.One, coeff, factors + [head], summed)
            elif isinstance(head, sp.Pow) and isinstance(head.base, sp.Indexed) and head.exp.is_Integer and head.exp > 0:
                walk(sp.Mul(*tail) if tail else sp.S.One, coeff, factors + [head.base] * int(head.exp), summed)
            else:   # Sum or Add: push the remaining factors inside
                if isinstance(head, sp.Sum):
                    inner = sp.Sum(head.function * sp.Mul(*tail), *head.limits)
                    walk(inner, coeff, factors, summed)
                else:
                    for t in head.args:
                        walk(t * sp.Mul(*tail), coeff, factors, summed)
        elif isinstance(e, (sp.Indexed, sp.KroneckerDelta)):
            out.append((coeff, factors + [e], summed))
        elif isinstance(e, sp.Pow) and isinstance(e.base, sp.Indexed):
            out.append((coeff, factors + [e.base] * int(e.exp), summed))
        elif not e.has(sp.Indexed):
            out.append((coeff * e, factors, summed))
        else:
            raise VerificationError(f"cannot lower the node {type(e).__name__}: {e}")

    walk(sp.expand(expr) if not expr.has(sp.Sum) else expr, sp.S.One, [], frozenset())
    # resolve Kronecker deltas by identifying indices
    res = []
    for coeff, factors, summed in out:
        factors = list(factors)
        summed = set(summed)
        while any(isinstance(f, sp.KroneckerDelta) for f in factors):
            d = next(f for f in factors if isinstance(f, sp.KroneckerDelta))
            factors.remove(d)
            a, b = d.args
            drop, keep = (b, a) if b in summed else (a, b)
            if drop not in summed:
                raise VerificationError(f"KroneckerDelta{d.args} between free indices")
            factors = [f.xreplace({drop: keep}) for f in factors]
            summed.discard(drop)
        res.append((sp.expand(coeff), factors, frozenset(summed)))
    return res


def _spec(factors, out_idx, letters):
    ins = ",".join("".join(letters[i] for i in f.indices) for f in factors)
    return f"{ins}->{''.join(letters[i] for i in out_idx)}"


def _lower(expr: sp.Expr, out_idx: tuple, scalars: dict):
    """Plan: list of (tmp name, einsum spec, operand names) and the final scalar combination.

    Tensor-level CSE: in every term the factors that do not carry the input index ``i`` are
    contracted first over the indices they alone carry (the greater-mode index ``k`` for the
    ridge), and identical intermediates are shared.
    """
    letters = {I_: "i", K_: "k", Q_: "q", R_: "r"}
    steps, cache, combo = [], {}, sp.S.Zero

    def intermediate(spec, ops):
        key = (spec, tuple(ops))
        if key not in cache:
            name = f"_t{len(cache)}"
            cache[key] = name
            steps.append((name, spec, tuple(ops)))
        return cache[key]

    for coeff, factors, summed in _flatten_terms(expr):
        if not factors:
            combo += coeff
            continue
        free = set(out_idx)
        ifac = [f for f in factors if I_ in f.indices]
        ofac = [f for f in factors if I_ not in f.indices]
        if ofac and ifac:
            need = {i for f in ifac for i in f.indices} | free
            keep = tuple(sorted({i for f in ofac for i in f.indices} & need, key=lambda s: letters[s]))
            if len(ofac) == 1 and tuple(ofac[0].indices) == keep:
                ifac = ifac + ofac                      # nothing to contract first
            else:
                name = intermediate(_spec(ofac, keep, letters), [_ARRAYS[f.base] for f in ofac])
                ifac = ifac + [sp.IndexedBase(name)[keep] if keep else sp.Symbol(name)]
            ofac = []
        allf = ofac + ifac
        carried = {i for f in allf if isinstance(f, sp.Indexed) for i in f.indices}
        out_here = [i for i in out_idx if i in carried]
        # output axes no factor carries must lead, so that NumPy broadcasting supplies them
        if out_here != list(out_idx[len(out_idx) - len(out_here):]):
            raise VerificationError(f"cannot broadcast the term {coeff}*{allf} to the output axes {out_idx}")
        spec = ",".join("".join(letters[i] for i in f.indices) if isinstance(f, sp.Indexed) else "" for f in allf)
        spec += "->" + "".join(letters[i] for i in out_here)
        names = [_ARRAYS.get(f.base, str(f.base)) if isinstance(f, sp.Indexed) else str(f) for f in allf]
        if len(allf) == 1 and isinstance(allf[0], sp.Indexed) and list(allf[0].indices) == out_here:
            t = names[0]                                # a bare argument: no einsum needed
        else:
            t = intermediate(spec, names)
        combo += coeff * sp.Symbol(t)
    return steps, combo


_MP_HELPER = '''
def _einsum(spec, *ops):
    """Pure-Python einsum over nested lists of mpmath numbers (correctly rounded sums)."""
    ins, out = spec.split("->")
    ins = ins.split(",")
    sizes = {}
    for s, op in zip(ins, ops):
        shape, a = [], op
        for _ in s:
            shape.append(len(a))
            a = a[0] if len(a) else []
        for c, n in zip(s, shape):
            sizes[c] = n
    letters = sorted(set("".join(ins)) - set(out))

    def get(a, idx):
        for j in idx:
            a = a[j]
        return a

    def build(prefix):
        if len(prefix) < len(out):
            return [build(prefix + [j]) for j in range(sizes[out[len(prefix)]])]
        env = dict(zip(out, prefix))
        terms = []
        for combo in itertools.product(*[range(sizes[c]) for c in letters]):
            env.update(zip(letters, combo))
            p = mpmath.mpf(1)
            for s, op in zip(ins, ops):
                p *= get(op, [env[c] for c in s])
            terms.append(p)
        return mpmath.fsum(terms)

    return build([])


def _mp(a):
    if isinstance(a, (list, tuple)) or hasattr(a, "tolist"):
        return [_mp(v) for v in (a.tolist() if hasattr(a, "tolist") else a)]
    return mpmath.mpf(a)
'''


def input_ridge_functions() -> dict:
    """Function table ``name -> (args, expr, out_idx, doc)`` lowered into the generated module."""
    d = derive_input_ridge(edgeworth2=False)
    E, Ed = d.tensor["E"], d.tensor["E_diag"]
    return {
        "sigma2_x": (("sigma2", "lam", "phi", "c3", "c4"), d.sigma2_x, (I_,),
                     "sigma_kappa^2(x_i) = sigma^2 + sum_k lam_k E[phi_k^2|phi_<(x_i)] (docs/theory.md section 5); "
                     "lam (n_greater,), phi (n_inputs, m), c3 (n_greater, m), c4 (n_greater, m, m)"),
        "sigma2_x_diag": (("sigma2", "lam", "phi", "c3", "c4d"), d.sigma2_x_diag, (I_,),
                          "sigma_kappa^2(x_i) with c4 restricted to its diagonal c4d[k, q] = c4_kkqq"),
        "cond_moment": (("phi", "c3", "c4"), E, (I_, K_),
                        "E[phi_k^2|phi_<(x_i)] -> array (n_inputs, n_greater)"),
        "cond_moment_diag": (("phi", "c3", "c4d"), Ed, (I_, K_),
                             "E[phi_k^2|phi_<(x_i)] with diagonal c4 -> array (n_inputs, n_greater)"),
        "flow_x": (("lam", "phi", "c3", "c4"), d.flow_x, (I_, K_),
                   "d sigma_kappa^2(x_i)/d kappa at kappa = k: -lam_k E[phi_k^2|phi_<(x_i)] -> (n_inputs, n_greater)"),
    }


def _source_hash(funcs: dict) -> str:
    parts = [f"{n}|{a}|{o}|{sp.srepr(e)}" for n, (a, e, o, _) in sorted(funcs.items())]
    return sha256_text("\n".join(parts))


def render_input_ridge_module(backend: str = "numpy", module_name: str = "input_ridge") -> str:
    """Text of the generated module (deterministic)."""
    if backend not in ("numpy", "mpmath"):
        raise ValueError(f"backend must be 'numpy' or 'mpmath', got {backend!r}")
    funcs = input_ridge_functions()
    digest = _source_hash(funcs)
    header = provenance_header(f"symrg.codegen.modules.regenerate_input_ridge (backend={backend})",
                               inputs_hash=digest)
    imports = "import numpy\n" if backend == "numpy" else "import itertools\n\nimport mpmath\n"
    top = (f'{header}"""Input-dependent ridge of non-Gaussian features (docs/theory.md section 5), lowered from\n'
           f"symrg.theory.feature_cumulants.derive_input_ridge (Sum-of-Indexed -> einsum, greater-mode index\n"
           f"contracted first, shared intermediates).\n\nBackend: {backend}. Source sha256 (srepr of the "
           f'expressions): {digest}\n"""\n{imports}\n__all__ = [{", ".join(repr(f) for f in sorted(funcs))}]\n'
           f'SOURCE_SHA256 = "{digest}"\n')
    if backend == "mpmath":
        top += "\n" + _MP_HELPER
    bodies = []
    for fname in sorted(funcs):
        args, expr, out_idx, doc = funcs[fname]
        steps, combo = _lower(expr, out_idx, {})
        lines = [f"def {fname}({', '.join(args)}):",
                 f'    """Generated from the SymPy expression\n\n        {expr}\n\n    Implements: {doc}\n    """']
        for a in args:
            if backend == "numpy":
                lines.append(f"    {a} = numpy.asarray({a}, dtype=numpy.float64)")
            else:
                lines.append(f"    {a} = _mp({a})")
        for name, spec, ops in steps:
            if backend == "numpy":
                lines.append(f"    {name} = numpy.einsum({spec!r}, {', '.join(ops)}, optimize=True)")
            else:
                lines.append(f"    {name} = _einsum({spec!r}, {', '.join(ops)})")
        lines.append(f"    return {_combo_code(combo, backend, len(out_idx))}")
        bodies.append("\n".join(lines) + "\n")
    return top + "\n\n" + "\n\n".join(bodies)


def _combo_code(combo: sp.Expr, backend: str, nout: int) -> str:
    """Print the scalar combination of intermediates (numbers, sigma2, _t arrays)."""
    terms = sp.Add.make_args(sp.expand(combo))
    if backend == "numpy":
        out = []
        for t in terms:
            c, rest = t.as_coeff_Mul()
            s = str(rest) if rest != 1 else ""
            if not isinstance(c, sp.Rational):
                raise VerificationError(f"non-rational coefficient {c} in the combination")
            cs = str(c.p) if c.q == 1 else f"({c.p}/{c.q})"
            if c == 1:
                out.append(s or "1.0")
            elif c == -1 and s:
                out.append(f"-{s}")
            elif s:
                out.append(f"{cs}*{s}")
            else:
                out.append(f"{float(c)!r}")
        return " + ".join(out).replace("+ -", "- ")
    # mpmath: elementwise over nested lists of depth nout
    pieces = []
    for t in terms:
        c, rest = t.as_coeff_Mul()
        cs = f"mpmath.mpf({c.p})/{c.q}" if isinstance(c, sp.Rational) else f"mpmath.mpf({float(c)!r})"
        pieces.append(f"({cs}, {rest if rest != 1 else 'None'})")
    return f"_combine([{', '.join(pieces)}], {nout})"


_MP_COMBINE = '''

def _combine(pieces, depth):
    """sum_j c_j * T_j elementwise; T_j nested lists of the given depth, scalars, or None (= 1)."""
    def ndim(x):
        n = 0
        while isinstance(x, list):
            n, x = n + 1, (x[0] if x else None)
        return n

    def at(x, idx):                      # NumPy broadcasting: trailing axes align
        for j in idx[len(idx) - ndim(x):] if ndim(x) else ():
            x = x[j]
        return x

    dims, best = [], -1
    for _, t in pieces:
        if isinstance(t, list) and ndim(t) > best:
            best, dims, a = ndim(t), [], t
            while isinstance(a, list):
                dims.append(len(a))
                a = a[0] if a else None

    def build(prefix):
        if len(prefix) < len(dims):
            return [build(prefix + [j]) for j in range(dims[len(prefix)])]
        return mpmath.fsum(c * (at(t, prefix) if t is not None else 1) for c, t in pieces)

    return build([])
'''
