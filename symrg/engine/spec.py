"""Action files (TOML): the schema, mapped to an :class:`~symrg.engine.action.Action` (docs/theory.md sections 2, 3 and 6).

Expressions in the file are parsed by the whitelist parser of :mod:`symrg.engine.expr` (never
``eval``, ``exec``, ``sympify`` or ``parse_expr``); anything outside the whitelist raises
:class:`~symrg.errors.SpecError` naming the TOML key.

The schema is data, :data:`symrg.engine.schema.SCHEMA`: the parser reads its keys, choices and
defaults from there, and ``docs/actions.md`` (every table and key, with worked examples) is generated
from it.  In short (every table optional except ``[fields]`` and something to integrate)::

    name = "phi4 toy"                 # free text
    description = "one line"          # what the file is (listed by `symrg examples`)

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

    [fields.g]                        # an explicit spectrum: k is the mode index
    role = "split"
    modes = 6
    cutoff = 3
    propagator = "A*k**(-1-alpha)"    # g_5 has propagator A*5**(-1-alpha); other undeclared names
                                      # (A, alpha) are single positive parameters here

    [fields.h]                        # a local field h(x) = h_<(x) + h_>(x) (local couplings only)
    role = "split"
    local = true
    propagator = "G"                  # G_>(x, y) = sum_{k>kappa} G_k phi_k(x) phi_k(y)

    [sums.c]                          # c = sum_{k>kappa} lambda_k; flow dc/dkappa = -lambda_kappa
    summand = "lambda"
    cutoff = "kappa"                  # optional, default "kappa"; the name is kept as written

    [sums.d]                          # an explicit summand in the mode index k: the sum has a closed
    summand = "A*k**(-1-alpha)"       # form, A*zeta(alpha + 1, kappa + 1), and a large-kappa expansion

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

    [running]                         # running couplings: the integrated fields are the modes at the
    couplings = {sigma2 = "a**2", u = "a**4"}   # cutoff (k = kappa in their propagators); each coupling
    cutoff = "kappa"                  # is read off the coefficient of its kept monomial; optional:
    max_degree = 4                    # kept operators up to this degree (default: the couplings' highest)
    loops = 1                         # 1: tadpoles + trees, first order in the shell width (default); 0: trees

The mode index ``k`` is reserved inside propagators and ``[sums]`` summands: in a mode family it is
the number of the mode, in a single integrated field of an action with ``[running]`` it is the
cutoff (the field is the mode at the cutoff), elsewhere a positive integer symbol ``k``.  Symbolic
exponents (``k**(-1-alpha)``) are allowed on provably positive bases.

Names used in an expression must be declared fields, parameters, sums, or symbols created by
the file (propagator names, tensor components); anything else is an "unknown symbol" error.

Names (table keys, propagator families, cutoffs) are identifiers not starting with ``_``,
normalised to NFC; a name whose NFKC form differs (``ﬁ``, full-width letters) is refused, because
Python's tokenizer reads identifiers in NFKC and the name would silently become another one in
expressions.  One name is one SymPy symbol in the whole file: a propagator name is a positive
symbol wherever it appears, an undeclared name of the interaction a real one (without
``[parameters]``), a mode family ``lambda`` exists only as ``lambda_1 .. lambda_M``.  Every value
is type-checked (a table where a string is required, ``propagator = nan``, a list as ``field`` are
errors naming the key), and an integrated field that appears in no interaction term is an error
(a typo would otherwise give a confident answer).  Files are read only if they are regular UTF-8
files of at most ``MAX_FILE_BYTES``.
"""
from __future__ import annotations

import ast
import itertools
import json
import math
import os
import stat
import unicodedata
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

import sympy as sp

from ..errors import ParameterError, SpecError
from .action import MODE_INDEX, Action, LocalCoupling, ModeSum, RunningSpec
from .expr import _parse_tree, _unmangle, parse_expression
from .modesums import tail_sum
from .schema import choices_of, default_of, keys_of

MAX_MODES = 10_000           # modes in one field family
MAX_TENSOR_COMPONENTS = 100_000
MAX_FILE_BYTES = 1_000_000   # an action file is text of a few kilobytes

__all__ = ["parse_action", "load_action", "read_toml", "MAX_FILE_BYTES"]
_K = MODE_INDEX.name
# the keys of each coupling kind (the rest of [couplings.NAME] is in the schema)
_COUPLING_KEYS = {"tensor": keys_of("couplings.NAME", ("kind", "field", "rank", "prefactor")),
                  "local": keys_of("couplings.NAME", ("kind", "field", "expression"))}


def _describe(v) -> str:
    """A short, one-line description of a TOML value for error messages."""
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    text = repr(v)
    return f"{type(v).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _q(raw) -> str:
    """A TOML key as it appears in a key path (quoted like TOML when it is not a bare name)."""
    return raw if isinstance(raw, str) and raw.isidentifier() and raw.isascii() else json.dumps(str(raw), ensure_ascii=False)


def _name(raw, key: str) -> str:
    """A name of the file (field, parameter, sum, coupling, cutoff), normalised to NFC.

    Names must be identifiers not starting with ``_``.  Expressions are parsed by Python's
    tokenizer, which reads identifiers in NFKC form; a name whose NFKC form differs from its NFC form
    (compatibility characters such as the ligature ``ﬁ``) would silently become a different name in
    expressions, so it is refused with the spelling to use.  NFD and NFC spellings of the same name
    are one name.
    """
    if not isinstance(raw, str):
        raise SpecError(f"{key}: expected a name, got {_describe(raw)}")
    n = unicodedata.normalize("NFC", raw)
    if not n.isidentifier() or n.startswith("_"):
        raise SpecError(f"{key}: {raw!r} is not a valid name (expected a letter followed by letters, digits or "
                        f"'_', e.g. u, G_a, lambda)")
    k = unicodedata.normalize("NFKC", n)
    if k != n:
        raise SpecError(f"{key}: the name {raw!r} contains compatibility characters; expressions read it as "
                        f"{k!r} (identifiers are NFKC-normalised), so write {k!r}")
    return n


def _table(data: dict, key: str) -> dict:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise SpecError(f"{key}: expected a table ([{key}]), got {_describe(v)}")
    return v


def _expr_text(v, key: str) -> str:
    """An expression given as a string or a finite TOML number."""
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if isinstance(v, float) and not math.isfinite(v):
            raise SpecError(f"{key}: {v!r} is not a finite number (expected an expression such as \"G\" or 0.5)")
        return repr(v)
    raise SpecError(f"{key}: expected an expression string, got {_describe(v)}")


def _action_texts(act: dict) -> list:
    """``[(key, text)]`` of ``[action] interaction`` (a string or a list of strings) and ``source``."""
    out = []
    texts = act.get("interaction", [])
    if isinstance(texts, str):
        out.append(("action.interaction", texts))
    elif isinstance(texts, list):
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise SpecError(f"action.interaction[{i}]: expected an expression string, got {_describe(t)}")
            out.append((f"action.interaction[{i}]", t))
    else:
        raise SpecError(f"action.interaction: expected an expression string or a list of strings, "
                        f"got {_describe(texts)}")
    if "source" in act:
        if not isinstance(act["source"], str):
            raise SpecError(f"action.source: expected an expression string, got {_describe(act['source'])}")
        out.append(("action.source", act["source"]))
    return out


def _mode_symbols(name: str, modes: int):
    return [sp.Symbol(f"{name}_{k}") for k in range(1, modes + 1)]


def _tensor_name(name, idx, big):
    return f"{name}_" + ("_".join(map(str, idx)) if big else "".join(map(str, idx)))


class _Ctx:
    """The state of one file while it is read: the one SymPy symbol of each name and where it came from,
    the fields, parameters and sums found so far.  Each table's reader below fills in its part."""

    def __init__(self, data: dict, allow_expensive: bool):
        self.data = data
        self.limits = {"max_terms": None, "max_degree": None} if allow_expensive else {}
        self.names: dict = {}         # name -> the one SymPy symbol of the file
        self.origin: dict = {}        # name -> key that introduced it
        self.local_fields: dict = {}  # local field name -> (variable, propagator family symbol, spectrum text)
        self.params: list = []
        self.kept: list = []
        self.integ: list = []
        self.fdesc: list = []
        self.finfo: list = []         # (name, key, table, symbols, mode labels, roles) of each mode field
        self.field_syms: set = set()
        self.sums: list = []
        self.props: list = []
        self.sym_field: dict = {}
        self.families: dict = {}      # mode-family name -> the propagator key that made it
        self.run_cut = None

    def parse(self, text, key, table, fields=frozenset()):
        return parse_expression(text, table, key, fields, **self.limits)

    def register(self, n, sym, key):
        if n in self.names or n in self.local_fields:
            raise SpecError(f"{key}: the name {n!r} is already used ({self.origin[n]})")
        self.names[n] = sym
        self.origin[n] = key

    def shared(self, n, make, key):
        """The symbol of ``n`` if the file already has one, else ``make()`` registered under ``n``."""
        if n not in self.names:
            self.names[n] = make()
            self.origin[n] = key
        return self.names[n]

    def index_names(self, text, key):
        """Free names of an expression; the mode index ``k`` may not be a declared name there."""
        used = _free_names(text, key)
        if _K in used and _K in self.names and self.names[_K] is not MODE_INDEX:
            raise SpecError(f"{key}: 'k' is the mode index inside propagators and summands, but the file "
                            f"declares k ({self.origin[_K]}); rename that name")
        return used


def _unknown_keys(tbl: dict, key: str, allowed, what: str = "") -> None:
    bad = set(tbl) - set(allowed)
    if bad:
        raise SpecError(f"{key}: unknown key(s) {sorted(map(str, bad))}{what}; allowed: "
                        f"{', '.join(sorted(map(str, allowed)))}")


def _choice(v, key: str, choices) -> str:
    if not isinstance(v, str) or v not in choices:
        raise SpecError(f"{key}: expected {_one_of(choices)}, got {_describe(v)}")
    return v


def _one_of(choices) -> str:
    quoted = [repr(c) for c in choices]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def parse_action(data: dict, name: str = "", *, allow_expensive: bool = False) -> Action:
    """Build an :class:`Action` from the mapping of an action file (the schema is
    :data:`symrg.engine.schema.SCHEMA`, described in docs/actions.md and the module docstring).

    One name is one SymPy symbol everywhere in the file: propagator names are positive symbols
    wherever they appear, undeclared names of the interaction real ones (without a
    ``[parameters]`` table), mode families ``lambda -> lambda_k`` are positive.  An integrated
    field that appears in no interaction term is an error (a typo would otherwise give a
    confident answer).  ``allow_expensive`` lifts the bound on the expanded size of expressions.
    The tables are read in this order, each by its own function: the top level, ``[parameters]``,
    the cutoff of ``[running]``, ``[fields.*]`` (symbols), ``[sums.*]``, the propagators of
    ``[fields.*]``, ``[action]`` and ``[couplings.*]``, then ``[running]``.
    """
    title, tables = _top_level(data, name)
    ctx = _Ctx(data, allow_expensive)
    _parameters(ctx, tables["parameters"])
    if tables["running"] is not None:
        ctx.run_cut = _running_cutoff(ctx, tables["running"])
    for raw, spec in tables["fields"].items():
        _field_symbols(ctx, raw, spec)
    for raw, spec in tables["sums"].items():
        _mode_sum(ctx, raw, spec)
    _propagators(ctx)
    action_texts = _action_texts(tables["action"])
    coupling_texts = [_coupling_text(raw, spec) for raw, spec in tables["couplings"].items()]
    interaction, local = _interaction(ctx, action_texts, coupling_texts)
    return _assemble(ctx, title, interaction, local, tables["running"])


def _top_level(data, name):
    """The top-level keys and the tables of the file (each checked to be a table)."""
    if not isinstance(data, dict):
        raise SpecError(f"action file: the top level must be a table, got {_describe(data)}")
    top = keys_of("")
    unknown = [k for k in data if k not in top]
    if unknown:
        raise SpecError(f"unknown top-level key(s) {sorted(map(str, unknown))}; expected {', '.join(top)}")
    title = data.get("name", name)
    if not isinstance(title, str):
        raise SpecError(f"name: expected a string (free text), got {_describe(title)}")
    if "description" in data and not isinstance(data["description"], str):
        raise SpecError(f"description: expected a string (one line of free text), got {_describe(data['description'])}")
    tables = {k: _table(data, k) for k in ("parameters", "sums", "action", "couplings")}
    running = data.get("running")
    if running is not None and not isinstance(running, dict):
        raise SpecError(f"running: expected a table ([running]), got {_describe(running)}")
    tables["running"] = running
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise SpecError("fields: at least one field table [fields.NAME] is required")
    tables["fields"] = fields
    _unknown_keys(tables["action"], "action", keys_of("action"))
    return title, tables


def _parameters(ctx: _Ctx, tbl: dict) -> None:
    """``[parameters]``: ``NAME = assumption``."""
    choices = choices_of("parameters", "NAME")
    for raw, kind in tbl.items():
        key = f"parameters.{_q(raw)}"
        if not isinstance(kind, str) or kind not in choices:
            raise SpecError(f"{key}: expected one of {sorted(choices)}, got {_describe(kind)}")
        p = _name(raw, key)
        ctx.register(p, sp.Symbol(p, **{kind: True}), key)
        ctx.params.append(ctx.names[p])


def _running_cutoff(ctx: _Ctx, tbl: dict):
    """The cutoff of ``[running]`` (a positive symbol), read before the fields that depend on it."""
    _unknown_keys(tbl, "running", keys_of("running"))
    cname = _name(tbl.get("cutoff", default_of("running", "cutoff")), "running.cutoff")
    if cname == _K:
        raise SpecError("running.cutoff: 'k' is the mode index; name the cutoff otherwise (e.g. kappa)")
    if cname in ctx.names and not ctx.names[cname].is_positive:
        raise SpecError(f"running.cutoff: {cname!r} is already a parameter ({ctx.origin[cname]}) that is not positive")
    return ctx.shared(cname, lambda: sp.Symbol(cname, positive=True), "running.cutoff")


def _field_symbols(ctx: _Ctx, raw, spec) -> None:
    """``[fields.NAME]``, pass 1: the symbols of a field (every field exists before any expression is read)."""
    key = f"fields.{_q(raw)}"
    fname = _name(raw, key)
    if not isinstance(spec, dict):
        raise SpecError(f"{key}: expected a table, got {_describe(spec)}")
    _unknown_keys(spec, key, keys_of("fields.NAME"))
    role = _choice(spec.get("role"), f"{key}.role", choices_of("fields.NAME", "role"))
    prop = spec.get("propagator")
    if role != "kept" and prop is None:
        raise SpecError(f"{key}.propagator: required for a {role} field")
    local = spec.get("local", default_of("fields.NAME", "local"))
    if not isinstance(local, bool):
        raise SpecError(f"{key}.local: expected true or false, got {_describe(local)}")
    if local:
        _local_field(ctx, fname, key, spec, role, prop)
        return
    modes = spec.get("modes")
    if modes is None:
        syms, labels = [sp.Symbol(fname)], [None]
    else:
        if isinstance(modes, bool) or not isinstance(modes, int) or not 1 <= modes <= MAX_MODES:
            raise SpecError(f"{key}.modes: expected an integer in [1, {MAX_MODES}], got {_describe(modes)}")
        syms, labels = _mode_symbols(fname, modes), list(range(1, modes + 1))
    if role == "split":
        cut = spec.get("cutoff")
        if modes is None or isinstance(cut, bool) or not isinstance(cut, int) or not 0 <= cut <= modes:
            raise SpecError(f"{key}.cutoff: a split field needs 'modes' and an integer cutoff in "
                            f"[0, modes], got {_describe(cut)}")
        roles = ["kept" if k <= cut else "integrated" for k in labels]
    else:
        if "cutoff" in spec:
            raise SpecError(f"{key}.cutoff: only a 'split' field takes a cutoff")
        roles = [role] * len(syms)
    for s_, r in zip(syms, roles):
        ctx.register(str(s_), s_, key)
        (ctx.kept if r == "kept" else ctx.integ).append(s_)
        ctx.field_syms.add(s_)
    ctx.finfo.append((fname, key, spec, syms, labels, roles))


def _local_field(ctx: _Ctx, fname, key, spec, role, prop) -> None:
    """A local field ``h(x) = h_<(x) + h_>(x)`` (``local = true``)."""
    if role != "split" or "modes" in spec:
        raise SpecError(f"{key}: a local field needs role = 'split' and no 'modes'")
    ptext = _expr_text(prop, f"{key}.propagator")
    explicit = _K in _free_names(ptext, f"{key}.propagator")
    if not explicit and not ptext.strip().isidentifier():
        raise SpecError(f"{key}.propagator: a local field takes a propagator family name (G: G_k per mode) "
                        f"or a spectrum in the mode index k (e.g. A*k**(-1-alpha)), got {_describe(prop)}")
    pname = "G" if explicit else _name(ptext.strip(), f"{key}.propagator")
    if fname in ctx.names or fname in ctx.local_fields:
        raise SpecError(f"{key}: the name {fname!r} is already used ({ctx.origin[fname]})")
    ctx.local_fields[fname] = (sp.Symbol(fname), sp.Symbol(pname, positive=True), ptext if explicit else None)
    ctx.origin[fname] = key
    ctx.fdesc.append({"name": fname, "role": "split", "local": True,
                      "kept": f"{fname}_<(x)", "integrated": f"{fname}_>(x)",
                      "propagator": f"G_>(x,y) = sum_{{k>kappa}} {pname}_k phi_k(x) phi_k(y)"})


def _mode_sum(ctx: _Ctx, raw, spec) -> None:
    """``[sums.NAME]``: ``NAME = sum_{k > cutoff} summand``."""
    key = f"sums.{_q(raw)}"
    s = _name(raw, key)
    if not isinstance(spec, dict) or "summand" not in spec:
        raise SpecError(f"{key}: expected a table with key 'summand', got {_describe(spec)}")
    _unknown_keys(spec, key, keys_of("sums.NAME"))
    cut = _name(spec.get("cutoff", default_of("sums.NAME", "cutoff")), f"{key}.cutoff")
    if cut == _K:
        raise SpecError(f"{key}.cutoff: 'k' is the mode index of the summand; name the cutoff otherwise "
                        f"(e.g. kappa)")
    kappa = ctx.shared(cut, lambda: sp.Symbol(cut), f"{key}.cutoff")
    if kappa in ctx.field_syms:
        raise SpecError(f"{key}.cutoff: {cut!r} is a field")
    sym = sp.Symbol(s, positive=True)
    ctx.register(s, sym, key)
    skey = f"{key}.summand"
    used = ctx.index_names(spec["summand"], skey)
    summand_names = dict(ctx.names)
    explicit = _K in used and _K not in ctx.names
    if explicit:   # an explicit spectrum F(k): other undeclared names are single positive parameters
        summand_names[_K] = MODE_INDEX
        for n in used - set(ctx.names) - {_K}:
            summand_names[n] = ctx.shared(n, lambda n=n: sp.Symbol(n, positive=True), skey)
    else:          # a family at the cutoff: lambda -> lambda_kappa
        for n in used - set(ctx.names):
            fam = f"{n}_{kappa}"
            summand_names[n] = ctx.shared(fam, lambda fam=fam: sp.Symbol(fam, positive=True), skey)
    summand = ctx.parse(spec["summand"], skey, summand_names)
    if explicit:
        ctx.sums.append(ModeSum(sym, summand.xreplace({MODE_INDEX: kappa}), kappa, spectrum=summand))
    else:
        ctx.sums.append(ModeSum(sym, summand, kappa))


def _propagators(ctx: _Ctx) -> None:
    """``[fields.NAME] propagator``, pass 2.  Undeclared names are positive symbols, one per name for the
    whole file; in a field with modes they are mode families (lambda -> lambda_1 .. lambda_M)."""
    ptexts, families, plain, explicit = _propagator_names(ctx)
    for fname, key, spec, syms, labels, roles in ctx.finfo:
        dprops = {}
        if fname in ptexts:
            dprops = _field_propagators(ctx, fname, key, syms, labels, ptexts[fname], families,
                                        fname in explicit)
        ctx.fdesc.append({"name": fname, "role": spec["role"], "symbols": [str(s_) for s_ in syms],
                          "kept": [str(s_) for s_, r in zip(syms, roles) if r == "kept"],
                          "integrated": [str(s_) for s_, r in zip(syms, roles) if r == "integrated"],
                          "propagators": dprops})
    ctx.families = families


def _propagator_names(ctx: _Ctx):
    """Which undeclared names of the propagators are mode families and which single positive parameters
    (registered here); returns ``(texts, families, plain, fields with an explicit spectrum)``."""
    ptexts, families, plain, explicit = {}, {}, {}, set()
    for fname, key, spec, syms, labels, roles in ctx.finfo:
        if spec.get("propagator") is None:
            continue
        pkey = f"{key}.propagator"
        text = ptexts[fname] = _expr_text(spec["propagator"], pkey)
        used = ctx.index_names(text, pkey)
        if _K in used and ctx.names.get(_K, MODE_INDEX) is MODE_INDEX:
            explicit.add(fname)    # an explicit spectrum: other undeclared names are single parameters
            for n in used - set(ctx.names) - {_K}:
                plain.setdefault(n, pkey)
        else:
            for n in used - set(ctx.names):
                (families if labels[0] is not None else plain).setdefault(n, pkey)
    for lname, (_, _, ltext) in ctx.local_fields.items():
        if ltext is not None:
            lkey = f"fields.{_q(lname)}.propagator"
            for n in ctx.index_names(ltext, lkey) - set(ctx.names) - {_K}:
                plain.setdefault(n, lkey)
    for n in sorted(set(families) & set(plain)):
        raise SpecError(f"{families[n]}: {n!r} is a mode family here ({n}_1, {n}_2, ...) but a single "
                        f"parameter in {plain[n]}; declare it under [parameters] (one value for all modes) "
                        f"or use two names")
    for n, pkey in plain.items():
        ctx.register(n, sp.Symbol(n, positive=True), pkey)
    return ptexts, families, plain, explicit


def _field_propagators(ctx: _Ctx, fname, key, syms, labels, text, families, explicit) -> dict:
    """The propagator of each mode of one field, checked finite and positive."""
    pkey = f"{key}.propagator"
    fam = sorted(_free_names(text, pkey) & set(families) - set(ctx.names)) if labels[0] else []
    tmpl = {n: sp.Dummy(n, positive=True) for n in fam}
    index = {_K: MODE_INDEX} if explicit else {}
    g0 = ctx.parse(text, pkey, {**ctx.names, **tmpl, **index})
    if explicit and labels[0] is None:
        # one mode: with [running] it is the mode at the cutoff, else the mode k
        if ctx.run_cut is not None:
            g0 = g0.xreplace({MODE_INDEX: ctx.run_cut})
        else:
            ctx.shared(_K, lambda: MODE_INDEX, pkey)
    dprops = {}
    for s_, lab in zip(syms, labels):
        sub = {tmpl[n]: ctx.shared(f"{n}_{lab}", lambda n=n, lab=lab: sp.Symbol(f"{n}_{lab}", positive=True),
                                   pkey) for n in fam}
        if explicit and lab is not None:
            sub[MODE_INDEX] = sp.Integer(lab)
        g = g0.xreplace(sub) if sub else g0
        if g.has(sp.zoo, sp.nan, sp.oo) or g.is_zero:
            raise SpecError(f"{pkey}: the propagator of mode {lab} is {g} (not finite and positive)")
        ctx.props.append((s_, g))
        ctx.sym_field[s_] = key
        dprops[str(s_)] = str(g)
    return dprops


def _coupling_text(raw, spec):
    """``[couplings.NAME]``: the checked keys and the text of its expression (read in :func:`_interaction`)."""
    key = f"couplings.{_q(raw)}"
    cname = _name(raw, key)
    if not isinstance(spec, dict):
        raise SpecError(f"{key}: expected a table, got {_describe(spec)}")
    kind = _choice(spec.get("kind"), f"{key}.kind", choices_of("couplings.NAME", "kind"))
    allowed = _COUPLING_KEYS[kind]
    _unknown_keys(spec, key, allowed, f" for kind = {kind!r}")
    fld = spec.get("field")
    if not isinstance(fld, str):
        raise SpecError(f"{key}.field: expected the name of a declared field, got {_describe(fld)}")
    fld = unicodedata.normalize("NFC", fld)
    text_key = "prefactor" if kind == "tensor" else "expression"
    text = _expr_text(spec.get(text_key, default_of("couplings.NAME", text_key)), f"{key}.{text_key}")
    return cname, key, kind, fld, spec, f"{key}.{text_key}", text


def _interaction(ctx: _Ctx, action_texts, coupling_texts):
    """``[action]`` and ``[couplings.*]``: the interaction polynomial and the local couplings."""
    families = ctx.families
    local_names = set(ctx.local_fields)
    all_texts = action_texts + [(tkey, text) for *_, tkey, text in coupling_texts]
    for tkey, text in all_texts:
        used = _free_names(text, tkey)
        for n in sorted(used & set(families) - set(ctx.names)):
            raise SpecError(f"{tkey}: {n!r} is a mode family of {families[n]} ({n}_1, {n}_2, ...); write "
                            f"{n}_k for one mode, or declare {n} under [parameters]")
    if "parameters" not in ctx.data:
        # No [parameters] table: every other name is a (real) parameter.
        for tkey, text in all_texts:
            for n in sorted(_free_names(text, tkey) - set(ctx.names) - local_names):
                ctx.register(n, sp.Symbol(n, real=True), tkey)
                ctx.params.append(ctx.names[n])
    fsyms = sorted(ctx.field_syms, key=str)
    interaction = sp.Integer(0)
    for tkey, text in action_texts:
        _reject_local(text, local_names, tkey)
        e = ctx.parse(text, tkey, ctx.names, ctx.field_syms)
        _check_poly(e, fsyms, tkey)
        if tkey == "action.source" and fsyms and sp.Poly(e, *fsyms).total_degree() > 1:
            raise SpecError(f"action.source: a source term must be linear in the fields, got {e}")
        interaction += e
    local = []
    fields_by_name = {f[0]: f for f in ctx.finfo}
    for cname, key, kind, fld, spec, tkey, text in coupling_texts:
        if kind == "tensor":
            interaction += _tensor_coupling(spec, key, cname, fld, fields_by_name, ctx.names, ctx.params,
                                            ctx.register, ctx.parse, text)
        else:
            local.append(_local_coupling(ctx, cname, key, fld, tkey, text))
    return interaction, local


def _local_coupling(ctx: _Ctx, cname, key, fld, tkey, text) -> LocalCoupling:
    if fld not in ctx.local_fields:
        raise SpecError(f"{key}.field: {fld!r} is not a declared local field "
                        f"(declare [fields.{fld}] with role='split', local=true)")
    var, prop, ltext = ctx.local_fields[fld]
    e = ctx.parse(text, tkey, {**ctx.names, fld: var}, {var})
    _check_poly(e, [var], tkey)
    spectrum = None
    if ltext is not None:
        spectrum = ctx.parse(ltext, f"fields.{_q(fld)}.propagator", {**ctx.names, _K: MODE_INDEX})
        if spectrum.free_symbols & ctx.field_syms:
            raise SpecError(f"fields.{_q(fld)}.propagator: the spectrum may not contain a field")
        try:   # G_>(x, x) = sum_{k>kappa} G_k phi_k(x)^2 needs a summable spectrum (docs/theory.md section 6)
            tail_sum(spectrum, MODE_INDEX, sp.Symbol("_kappa", positive=True))
        except SpecError as exc:
            raise SpecError(f"fields.{_q(fld)}.propagator: {exc}") from None
    return LocalCoupling(cname, fld, var, sp.expand(e), prop,
                         cutoff=ctx.run_cut if ctx.run_cut is not None else sp.Symbol("kappa"), spectrum=spectrum)


def _assemble(ctx: _Ctx, title, interaction, local, running_tbl) -> Action:
    """The whole-file checks (something integrated, every integrated field used, one symbol per name,
    positive propagators), the parameters, ``[running]``, and the :class:`Action`."""
    if not ctx.integ and not local:
        raise SpecError("fields: nothing to integrate (declare a field with role 'integrated' or 'split')")
    present = interaction.free_symbols
    for fname, key, spec, syms, labels, roles in ctx.finfo:
        gone = [s_ for s_, r in zip(syms, roles) if r == "integrated"]
        if gone and not set(gone) & present:
            raise SpecError(f"{key}: the integrated field {fname!r} appears in no interaction term "
                            f"([action] interaction/source, [couplings.*]); a typo in a field name? "
                            f"(declared fields: {', '.join(f[0] for f in ctx.finfo)})")
    props, sums, field_syms = ctx.props, ctx.sums, ctx.field_syms
    _one_symbol_per_name([interaction] + [g for _, g in props] + [m.summand for m in sums])
    extra = {g for _, g in props for g in g.free_symbols} | set(interaction.free_symbols)
    parameters = tuple(sorted((set(ctx.params) | extra) - field_syms - {m.symbol for m in sums} - {ctx.run_cut},
                              key=str))
    for s_, g in props:
        if g.is_positive is False or g.is_zero:
            raise SpecError(f"{ctx.sym_field[s_]}.propagator: must be positive, got {g}")
    running = None
    if running_tbl is not None:
        running = _running(running_tbl, ctx.names, parameters, ctx.kept, field_syms, ctx.run_cut, local, ctx.parse)
    return Action(kept=tuple(ctx.kept), integrated=tuple(ctx.integ), propagators=tuple(props),
                  interaction=interaction, parameters=parameters, local=tuple(local), sums=tuple(sums),
                  name=title, fields=tuple(ctx.fdesc), running=running)


def _running(tbl, names, parameters, kept, field_syms, cutoff, local, parse) -> RunningSpec:
    """The ``[running]`` table: couplings read off kept monomials (see the module docstring)."""
    cps = tbl.get("couplings")
    if not isinstance(cps, dict) or not cps:
        raise SpecError(f"running.couplings: expected a table of coupling = \"kept monomial\", e.g. "
                        f"{{sigma2 = \"a**2\", u = \"a**4\"}}, got {_describe(cps)}")
    if local:
        raise SpecError("running: the flow of couplings is derived for mode fields (the integrated fields are the "
                        "modes at the cutoff); write a local coupling in its per-input form, e.g. "
                        "u/24*(a + b)**4 with kept a and integrated b")
    pairs = []
    for raw, mono in cps.items():
        ckey = f"running.couplings.{_q(raw)}"
        g = _name(raw, ckey)
        sym = names.get(g)
        if sym is None or sym in field_syms or sym not in set(parameters):
            raise SpecError(f"{ckey}: {g!r} is not a parameter that appears in the action (parameters: "
                            f"{', '.join(sorted(map(str, parameters)))})")
        m = parse(_expr_text(mono, ckey), ckey, names, field_syms)
        bad = m.free_symbols - set(kept)
        if bad or not m.is_polynomial(*kept) or (kept and len(sp.Poly(m, *kept).terms()) != 1) \
                or (kept and sp.Poly(m, *kept).terms()[0][1] != 1):
            raise SpecError(f"{ckey}: expected a monomial of the kept fields ({', '.join(map(str, kept))}) such "
                            f"as a**2, got {m}")
        pairs.append((sym, m))
    return RunningSpec(tuple(pairs), cutoff=cutoff, max_degree=tbl.get("max_degree", default_of("running", "max_degree")),
                       loops=tbl.get("loops", default_of("running", "loops")))


def _one_symbol_per_name(exprs) -> None:
    """Guard: a name stands for one symbol (one set of assumptions) across the file."""
    seen = {}
    for e in exprs:
        for s in e.free_symbols:
            other = seen.setdefault(s.name, s)
            if other != s:
                raise SpecError(f"the name {s.name!r} stands for two symbols with different assumptions "
                                f"({other.assumptions0} and {s.assumptions0}); declare it under [parameters]")


def _free_names(text, key):
    tree = _parse_tree(text, key)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {_unmangle(n.id) for n in ast.walk(tree) if isinstance(n, ast.Name)} - called


def _reject_local(text, local_names, key):
    if isinstance(text, str) and local_names:
        used = _free_names(text, key) & local_names
        if used:
            raise SpecError(f"{key}: local field(s) {sorted(used)} may only appear in [couplings.*] "
                            f"with kind = 'local'")


def _check_poly(e, fsyms, key):
    if fsyms and not e.is_polynomial(*fsyms):
        raise SpecError(f"{key}: not a polynomial in the fields: {e}")


def _tensor_coupling(spec, key, tname, fld, fields_by_name, names, params, register, parse, pref_text):
    info = fields_by_name.get(fld)
    if info is None or info[4][0] is None:
        raise SpecError(f"{key}.field: {fld!r} is not a declared field with 'modes'")
    rank = spec.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 8:
        raise SpecError(f"{key}.rank: expected an integer in [1, 8], got {_describe(rank)}")
    syms = info[3]
    modes = len(syms)
    n_components = math.comb(modes + rank - 1, rank)
    if n_components > MAX_TENSOR_COMPONENTS:
        raise SpecError(f"{key}: a rank-{rank} symmetric coupling over {modes} modes has {n_components} "
                        f"components (at most {MAX_TENSOR_COMPONENTS})")
    pref = parse(pref_text, f"{key}.prefactor", names)
    if tname in names:
        raise SpecError(f"{key}: name {tname!r} is already used")
    big = modes > 9
    total = []
    for idx in itertools.combinations_with_replacement(range(1, modes + 1), rank):
        comp = sp.Symbol(_tensor_name(tname, idx, big), real=True)
        register(str(comp), comp, key)
        params.append(comp)
        # number of ordered index tuples with this multiset (the tensor is symmetric)
        count = sp.factorial(rank)
        for _, grp in itertools.groupby(idx):
            count /= sp.factorial(len(list(grp)))
        total.append(count * comp * sp.Mul(*[syms[i - 1] for i in idx]))
    return sp.expand(pref * sp.Add(*total))


def _missing_file_hint(path: Path) -> str:
    """Where the bundled examples are, for a file that does not exist."""
    from .schema import EXAMPLES_DIR

    if path.suffix in ("", ".toml") and (EXAMPLES_DIR / f"{path.stem}.toml").is_file():
        return (f"; {path.stem} is a bundled example: `symrg examples {path.stem}` copies it into the current "
                f"folder")
    return "; `symrg examples` lists the bundled action files and `symrg examples NAME` copies one out"


def read_toml(path) -> dict:
    """The mapping of an action file (TOML), read with the checks of :func:`load_action`."""
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError("path", path, "the path of an action file (str or os.PathLike)")
    path = Path(path)
    shown = repr(str(path))
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise SpecError(f"action file {shown} is a directory (expected a TOML file)")
        if not stat.S_ISREG(st.st_mode):
            raise SpecError(f"action file {shown} is not a regular file (a device, pipe or socket); "
                            f"expected a TOML file")
        if st.st_size > MAX_FILE_BYTES:
            raise SpecError(f"action file {shown} has {st.st_size} bytes (at most {MAX_FILE_BYTES}: an action "
                            f"file is a short TOML text)")
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SpecError(f"action file {shown} does not exist{_missing_file_hint(path)}") from None
    except PermissionError:
        raise SpecError(f"action file {shown} cannot be read (permission denied)") from None
    except OSError as exc:
        raise SpecError(f"action file {shown} cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError(f"action file {shown} has more than {MAX_FILE_BYTES} bytes (an action file is a short "
                        f"TOML text)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"action file {shown} is not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
                        f"expected a TOML file") from None
    return read_toml_text(text, str(path))


def read_toml_text(text: str, where: str = "<string>") -> dict:
    """The mapping of action-file TOML text (``where`` names it in errors); at most ``MAX_FILE_BYTES``."""
    if not isinstance(text, str):
        raise SpecError(f"{where}: TOML text must be a string, got {type(text).__name__}")
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise SpecError(f"{where}: more than {MAX_FILE_BYTES} bytes (an action file is a short TOML text)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: invalid TOML: {exc}") from None
    except (RecursionError, MemoryError):
        raise SpecError(f"{where}: invalid TOML: nested too deeply") from None


def load_action(path, *, allow_expensive: bool = False) -> Action:
    """Read an action file (TOML, see the module docstring and docs/actions.md).

    The file must be a regular file of at most ``MAX_FILE_BYTES`` bytes of UTF-8 text: a
    directory, a device (``/dev/zero``), a pipe or binary data is a :class:`SpecError` naming the
    file, before anything is read past the limit.  A file that does not exist is an error that
    names ``symrg examples`` (the bundled files).
    """
    return parse_action(read_toml(path), name=Path(path).stem, allow_expensive=allow_expensive)
