"""Action files (TOML): the schema, mapped to an :class:`~symrg.engine.action.Action` (docs/theory.md sections 2, 3 and 6).

Expressions in the file are parsed by the whitelist parser of :mod:`symrg.engine.expr` (never
``eval``, ``exec``, ``sympify`` or ``parse_expr``); anything outside the whitelist raises
:class:`~symrg.errors.SpecError` naming the TOML key.

Schema (every table optional except ``[fields]`` and something to integrate)::

    name = "phi4 toy"                 # free text

    [parameters]                      # couplings and constants: "real" | "positive" | "nonnegative"
    u = "real"
    eta = "positive"

    [fields.a]                        # a single variable
    role = "kept"                     # "kept" | "integrated" | "split"
    propagator = "G_a"                # optional for kept (adds a^2/(2 G_a) to S_eff), required otherwise

    [fields.f]                        # an indexed family of modes f_1 .. f_4
    role = "split"                    # f_1 .. f_cutoff kept, the others integrated
    modes = 4
    cutoff = 2
    propagator = "1/(1/lambda + eta/sigma**2)"
                                      # per mode; names not declared under [parameters] or [sums]
                                      # become mode families: lambda -> lambda_1 .. lambda_4 (positive)

    [fields.h]                        # a local field h(x) = h_<(x) + h_>(x) (local couplings only)
    role = "split"
    local = true
    propagator = "G"                  # G_>(x, y) = sum_{k>kappa} G_k phi_k(x) phi_k(y)

    [sums.c]                          # c = sum_{k>kappa} lambda_k; flow dc/dkappa = -lambda_kappa
    summand = "lambda"
    cutoff = "kappa"                  # optional, default "kappa"

    [action]
    interaction = "u/24*(a + b)**4"   # a string or a list of strings (summed); polynomial in fields
    source = "-y*a"                   # optional linear terms, added to S as written

    [couplings.U]                     # symmetric tensor coupling over all modes of a family:
    kind = "tensor"                   #   prefactor * sum_{k1..kr} U_{k1..kr} f_k1 ... f_kr
    field = "f"                       #   with symbols U_1122 (sorted indices, "_"-separated if
    rank = 4                          #   a mode number exceeds 9)
    prefactor = "1/24"

    [couplings.quartic]               # local coupling ∫ dmu P(h(x))
    kind = "local"
    field = "h"
    expression = "u/24*h**4"

Names used in an expression must be declared fields, parameters, sums, or symbols created by
the file (propagator names, tensor components); anything else is an "unknown symbol" error.
"""
from __future__ import annotations

import ast
import itertools
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

import sympy as sp

from ..errors import SpecError
from .action import Action, LocalCoupling, ModeSum
from .expr import _parse_tree, _unmangle, parse_expression

MAX_MODES = 10_000           # modes in one field family
MAX_TENSOR_COMPONENTS = 100_000

__all__ = ["parse_action", "load_action"]
_ASSUMPTIONS = {"real": {"real": True}, "positive": {"positive": True},
                "nonnegative": {"nonnegative": True}}
_FIELD_KEYS = {"role", "propagator", "modes", "cutoff", "local"}


def _mode_symbols(name: str, modes: int):
    return [sp.Symbol(f"{name}_{k}") for k in range(1, modes + 1)]


def _tensor_name(name, idx, big):
    return f"{name}_" + ("_".join(map(str, idx)) if big else "".join(map(str, idx)))


def parse_action(data: dict, name: str = "") -> Action:
    """Build an :class:`Action` from the mapping of an action file (see module docstring)."""
    if not isinstance(data, dict):
        raise SpecError("action file: top level must be a table")
    unknown = set(data) - {"name", "parameters", "fields", "sums", "action", "couplings"}
    if unknown:
        raise SpecError(f"unknown top-level key(s) {sorted(unknown)}; expected name, parameters, "
                        f"fields, sums, action, couplings")
    name = str(data.get("name", name))
    names: dict = {}
    params = []
    for p, kind in dict(data.get("parameters", {})).items():
        if kind not in _ASSUMPTIONS:
            raise SpecError(f"parameters.{p}: expected one of {sorted(_ASSUMPTIONS)}, got {kind!r}")
        if not p.isidentifier():
            raise SpecError(f"parameters.{p}: not a valid name")
        names[p] = sp.Symbol(p, **_ASSUMPTIONS[kind])
        params.append(names[p])
    sums = []
    for s, spec in dict(data.get("sums", {})).items():
        key = f"sums.{s}"
        if not isinstance(spec, dict) or "summand" not in spec:
            raise SpecError(f"{key}: expected a table with key 'summand'")
        kappa = sp.Symbol(str(spec.get("cutoff", "kappa")))
        sym = sp.Symbol(s, positive=True)
        summand_names = dict(names)
        tree_names = _free_names(spec["summand"], f"{key}.summand")
        for n in tree_names - set(names):
            summand_names[n] = sp.Symbol(f"{n}_{kappa}", positive=True)
        summand = parse_expression(spec["summand"], summand_names, f"{key}.summand")
        names[s] = sym
        sums.append(ModeSum(sym, summand, kappa))
    fields_tbl = data.get("fields")
    if not isinstance(fields_tbl, dict) or not fields_tbl:
        raise SpecError("fields: at least one field table [fields.NAME] is required")
    kept, integ, props, local_fields, fdesc = [], [], [], {}, []
    field_syms = set()
    for fname, spec in fields_tbl.items():
        key = f"fields.{fname}"
        if not isinstance(spec, dict):
            raise SpecError(f"{key}: expected a table")
        bad = set(spec) - _FIELD_KEYS
        if bad:
            raise SpecError(f"{key}: unknown key(s) {sorted(bad)}; allowed: {sorted(_FIELD_KEYS)}")
        role = spec.get("role")
        if role not in ("kept", "integrated", "split"):
            raise SpecError(f"{key}.role: expected 'kept', 'integrated' or 'split', got {role!r}")
        if fname in names:
            raise SpecError(f"{key}: name {fname!r} is already a parameter")
        prop_text = spec.get("propagator")
        if role != "kept" and prop_text is None:
            raise SpecError(f"{key}.propagator: required for a {role} field")
        if spec.get("local", False):
            if role != "split" or "modes" in spec:
                raise SpecError(f"{key}: a local field needs role = 'split' and no 'modes'")
            pname = str(prop_text)
            if not pname.isidentifier():
                raise SpecError(f"{key}.propagator: a local field takes a propagator family name, got {pname!r}")
            local_fields[fname] = (sp.Symbol(fname), sp.Symbol(pname, positive=True))
            fdesc.append({"name": fname, "role": "split", "local": True,
                          "kept": f"{fname}_<(x)", "integrated": f"{fname}_>(x)",
                          "propagator": f"G_>(x,y) = sum_{{k>kappa}} {pname}_k phi_k(x) phi_k(y)"})
            continue
        modes = spec.get("modes")
        if modes is None:
            syms, labels = [sp.Symbol(fname)], [None]
        else:
            if isinstance(modes, bool) or not isinstance(modes, int) or not 1 <= modes <= MAX_MODES:
                raise SpecError(f"{key}.modes: expected an integer in [1, {MAX_MODES}], got {modes!r}")
            syms, labels = _mode_symbols(fname, modes), list(range(1, modes + 1))
        if role == "split":
            cut = spec.get("cutoff")
            if modes is None or isinstance(cut, bool) or not isinstance(cut, int) or not 0 <= cut <= modes:
                raise SpecError(f"{key}.cutoff: a split field needs 'modes' and an integer cutoff in "
                                f"[0, modes], got {cut!r}")
            roles = ["kept" if k <= cut else "integrated" for k in labels]
        else:
            if "cutoff" in spec:
                raise SpecError(f"{key}.cutoff: only a 'split' field takes a cutoff")
            roles = [role] * len(syms)
        dprops = {}
        for s, lab, r in zip(syms, labels, roles):
            (kept if r == "kept" else integ).append(s)
            field_syms.add(s)
            names[str(s)] = s
            if prop_text is not None:
                g = _parse_propagator(prop_text, names, f"{key}.propagator", lab, params, sums)
                props.append((s, g))
                dprops[str(s)] = str(g)
        fdesc.append({"name": fname, "role": role, "symbols": [str(s) for s in syms],
                      "kept": [str(s) for s, r in zip(syms, roles) if r == "kept"],
                      "integrated": [str(s) for s, r in zip(syms, roles) if r == "integrated"],
                      "propagators": dprops})
    interaction = sp.Integer(0)
    act = data.get("action", {})
    if not isinstance(act, dict):
        raise SpecError("action: expected a table")
    bad = set(act) - {"interaction", "source"}
    if bad:
        raise SpecError(f"action: unknown key(s) {sorted(bad)}; allowed: interaction, source")
    fsyms = sorted(field_syms, key=str)
    local_names = set(local_fields)
    strict = "parameters" in data
    if not strict:
        # No [parameters] table: every name that is not a field is a (real) parameter.
        for sect, texts_ in _expression_texts(data):
            for n in _free_names(texts_, sect) - set(names) - local_names:
                names[n] = sp.Symbol(n, real=True)
                params.append(names[n])
    texts = act.get("interaction", [])
    for i, text in enumerate([texts] if isinstance(texts, str) else list(texts)):
        key = "action.interaction" + ("" if isinstance(texts, str) else f"[{i}]")
        _reject_local(text, local_names, key)
        e = parse_expression(text, names, key, field_syms)
        _check_poly(e, fsyms, key)
        interaction += e
    if "source" in act:
        _reject_local(act["source"], local_names, "action.source")
        e = parse_expression(act["source"], names, "action.source", field_syms)
        _check_poly(e, fsyms, "action.source")
        if fsyms and sp.Poly(e, *fsyms).total_degree() > 1:
            raise SpecError(f"action.source: a source term must be linear in the fields, got {e}")
        interaction += e
    local = []
    for cname, spec in dict(data.get("couplings", {})).items():
        key = f"couplings.{cname}"
        kind = spec.get("kind") if isinstance(spec, dict) else None
        if kind == "tensor":
            interaction += _tensor_coupling(spec, key, fields_tbl, names, params)
        elif kind == "local":
            fld = spec.get("field")
            if fld not in local_fields:
                raise SpecError(f"{key}.field: {fld!r} is not a declared local field "
                                f"(declare [fields.{fld}] with role='split', local=true)")
            var, prop = local_fields[fld]
            e = parse_expression(spec.get("expression"), {**names, fld: var}, f"{key}.expression", {var})
            _check_poly(e, [var], f"{key}.expression")
            local.append(LocalCoupling(cname, fld, var, sp.expand(e), prop))
        else:
            raise SpecError(f"{key}.kind: expected 'tensor' or 'local', got {kind!r}")
    if not integ and not local:
        raise SpecError("fields: nothing to integrate (declare a field with role 'integrated' or 'split')")
    extra = {g for _, g in props for g in g.free_symbols} | {p for e in [interaction] for p in e.free_symbols}
    parameters = tuple(sorted((set(params) | extra) - field_syms - {m.symbol for m in sums}, key=str))
    for s, g in props:
        if g.is_positive is False or g.is_zero:
            raise SpecError(f"fields.{_field_of(s, fields_tbl)}.propagator: must be positive, got {g}")
    return Action(kept=tuple(kept), integrated=tuple(integ), propagators=tuple(props),
                  interaction=interaction, parameters=parameters, local=tuple(local), sums=tuple(sums),
                  name=name, fields=tuple(fdesc))


def _expression_texts(data):
    act = data.get("action", {}) if isinstance(data.get("action", {}), dict) else {}
    texts = act.get("interaction", [])
    for i, t in enumerate([texts] if isinstance(texts, str) else list(texts)):
        yield ("action.interaction" + ("" if isinstance(texts, str) else f"[{i}]"), t)
    if "source" in act:
        yield ("action.source", act["source"])
    for cname, spec in dict(data.get("couplings", {})).items():
        if isinstance(spec, dict):
            for k in ("expression", "prefactor"):
                if k in spec:
                    yield (f"couplings.{cname}.{k}", str(spec[k]))


def _field_of(sym, fields_tbl):
    s = str(sym)
    for f in fields_tbl:
        if s == f or s.startswith(f + "_"):
            return f
    return s


def _free_names(text, key):
    tree = _parse_tree(text, key)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {_unmangle(n.id) for n in ast.walk(tree) if isinstance(n, ast.Name)} - called


def _parse_propagator(text, names, key, label, params, sums):
    """Propagator of one variable; undeclared names are positive symbols (mode families get ``_k``)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = repr(text)
    local_names = dict(names)
    for n in _free_names(text, key) - set(names):
        local_names[n] = sp.Symbol(n if label is None else f"{n}_{label}", positive=True)
    return parse_expression(text, local_names, key)


def _reject_local(text, local_names, key):
    if isinstance(text, str) and local_names:
        used = _free_names(text, key) & local_names
        if used:
            raise SpecError(f"{key}: local field(s) {sorted(used)} may only appear in [couplings.*] "
                            f"with kind = 'local'")


def _check_poly(e, fsyms, key):
    if fsyms and not e.is_polynomial(*fsyms):
        raise SpecError(f"{key}: not a polynomial in the fields: {e}")


def _tensor_coupling(spec, key, fields_tbl, names, params):
    fld = spec.get("field")
    if fld not in fields_tbl or "modes" not in fields_tbl[fld]:
        raise SpecError(f"{key}.field: {fld!r} is not a declared field with 'modes'")
    rank = spec.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 8:
        raise SpecError(f"{key}.rank: expected an integer in [1, 8], got {rank!r}")
    modes = fields_tbl[fld]["modes"]
    import math as _m

    n_components = _m.comb(modes + rank - 1, rank)
    if n_components > MAX_TENSOR_COMPONENTS:
        raise SpecError(f"{key}: a rank-{rank} symmetric coupling over {modes} modes has {n_components} "
                        f"components (at most {MAX_TENSOR_COMPONENTS})")
    syms = [names[f"{fld}_{k}"] for k in range(1, modes + 1)]
    pref = parse_expression(str(spec.get("prefactor", "1")), names, f"{key}.prefactor")
    tname = key.split(".", 1)[1]
    if tname in names:
        raise SpecError(f"{key}: name {tname!r} is already used")
    big = modes > 9
    total = sp.Integer(0)
    for idx in itertools.combinations_with_replacement(range(1, modes + 1), rank):
        comp = sp.Symbol(_tensor_name(tname, idx, big), real=True)
        names[str(comp)] = comp
        params.append(comp)
        # number of ordered index tuples with this multiset (the tensor is symmetric)
        count = sp.factorial(rank)
        for _, grp in itertools.groupby(idx):
            count /= sp.factorial(len(list(grp)))
        total += count * comp * sp.Mul(*[syms[i - 1] for i in idx])
    return sp.expand(pref * total)


def load_action(path) -> Action:
    """Read an action file (TOML, see the module docstring)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SpecError(f"action file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from None
    return parse_action(data, name=path.stem)

