"""The action-file language as data: every table and key, its type, default and meaning (docs/theory.md
sections 2, 3 and 6).

:mod:`symrg.engine.spec` reads :data:`SCHEMA` for the keys a table allows, the values a key may take
and the defaults; :func:`render_actions_markdown` writes the reference ``docs/actions.md`` from the same
data, with the bundled example files (``symrg/engine/examples``) as worked examples.  Regenerate with

    python -m symrg.cli.docs --actions --write docs/actions.md

``tests/cli/test_docs_cli.py`` fails when ``docs/actions.md`` differs from this output, when a
key the parser accepts is missing here, and when an example in the text does not parse.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .expr import _FUNCS

__all__ = ["Key", "Table", "SCHEMA", "table", "keys_of", "choices_of", "default_of", "EXAMPLES_DIR",
           "example_files", "example_description", "render_actions_markdown", "DOC_PATH", "REQUIRED",
           "WORKED_EXAMPLES"]

DOC_PATH = "docs/actions.md"
EXAMPLES_DIR = Path(__file__).with_name("examples")
REQUIRED = "required"


@dataclass(frozen=True)
class Key:
    """One key of a table: ``type`` in words, ``default`` (``REQUIRED``, a value, or None: absent),
    ``choices`` (the values it may take, when they are a fixed set) and ``meaning``."""

    name: str
    type: str
    default: object
    meaning: str
    choices: tuple = ()
    default_text: str = ""      # the default in words, when it is not a plain value


@dataclass(frozen=True)
class Table:
    """A table of the file: its ``path`` as written in TOML (``NAME`` stands for a name of the user's),
    its ``keys`` (or ``entry``: a table of ``NAME = value`` pairs) and what it means."""

    path: str
    title: str
    meaning: str
    keys: tuple = ()
    entry: Key | None = None


_ASSUMPTION_MEANING = ("The value of a parameter is checked against its declaration wherever a number is given "
                       "for it (`symrg solve --init/--param`, `FlowResult.fixed_points(values=...)`, "
                       "`Action.check_values`): `positive` refuses values <= 0, `nonnegative` values < 0.")

SCHEMA: tuple = (
    Table("", "Top level", "The file is a TOML document. Every table is optional except `[fields]` and something "
          "to integrate (an integrated or split field).",
          keys=(Key("name", "string", None, "free text, the name of the action in outputs",
                    default_text="the file name without .toml"),
                Key("description", "string", None, "one line saying what the file is; `symrg examples` lists it"),
                Key("parameters", "table", None, "couplings and constants with their assumptions ([parameters])"),
                Key("fields", "table", REQUIRED, "the fields, one table [fields.NAME] each"),
                Key("sums", "table", None, "parameters defined as sums over the modes above a cutoff ([sums.NAME])"),
                Key("action", "table", None, "the interaction and the sources ([action])"),
                Key("couplings", "table", None, "tensor and local couplings ([couplings.NAME])"),
                Key("running", "table", None, "running couplings and how their flow is derived ([running])"))),
    Table("parameters", "[parameters]: couplings and their assumptions",
          "Each entry declares one name of the expressions as a parameter with an assumption. Without a "
          "[parameters] table every undeclared name of [action] and [couplings.*] is a real parameter; with "
          "one, an undeclared name there is an error (a typo would otherwise become a new parameter). "
          "Undeclared names in propagators and summands are positive (see [fields.NAME]). " + _ASSUMPTION_MEANING,
          entry=Key("NAME", "string", REQUIRED, "the assumption on the parameter NAME",
                    choices=("real", "positive", "nonnegative"))),
    Table("fields.NAME", "[fields.NAME]: fields and mode families",
          "One field: a single variable, an indexed family of modes NAME_1 .. NAME_M (`modes`), or a local "
          "field NAME(x) = NAME_<(x) + NAME_>(x) (`local = true`). Kept fields stay in S_eff, integrated "
          "ones are integrated out; a split family keeps its modes 1 .. cutoff and integrates the others. "
          "Inside a propagator the name `k` is the mode index: in a family it is the number of the mode "
          "(an explicit spectrum such as A*k**(-1-alpha)); in a single integrated field of an action with "
          "[running] it is the cutoff (the field is the mode at the cutoff). Other undeclared names of a "
          "propagator are positive symbols; in a family without `k` they are mode families themselves "
          "(propagator = \"lambda\" gives lambda_1 .. lambda_M).",
          keys=(Key("role", "string", REQUIRED, "kept: stays in S_eff; integrated: integrated out; split: modes "
                    "1 .. cutoff kept, the others integrated", choices=("kept", "integrated", "split")),
                Key("propagator", "expression", None, "the variance of each integrated mode (a positive "
                    "expression); for a kept field it adds NAME**2/(2 G) to S_eff; for a local field a family "
                    "name G (G_k per mode) or a spectrum in the mode index k whose sum over the modes converges",
                    default_text="required unless role = kept"),
                Key("modes", "integer", None, "number of modes M of a family NAME_1 .. NAME_M (1 to 10000)",
                    default_text="a single variable"),
                Key("cutoff", "integer", None, "split fields: the modes 1 .. cutoff are kept (0 to modes)",
                    default_text="required for role = split with modes"),
                Key("local", "boolean", False, "a local field NAME(x) (role = split, no modes), used by "
                    "[couplings.NAME] of kind local"))),
    Table("sums.NAME", "[sums.NAME]: sums over the modes above the cutoff",
          "A positive parameter NAME = sum over k > cutoff of the summand; its flow is dNAME/dcutoff = "
          "-summand at k = cutoff (docs/theory.md section 4). A summand without the mode index k is a mode "
          "family at the cutoff (lambda gives lambda_kappa); a summand in k (A*k**(-1-alpha)) also gets a "
          "closed form (Hurwitz zeta) and a large-cutoff expansion, and must provably converge: a power that "
          "falls no faster than 1/k (k**(-0.5), or k**(-alpha) with alpha only positive) is refused, since "
          "zeta(s, kappa + 1) with s <= 1 is not the sum.",
          keys=(Key("summand", "expression", REQUIRED, "the summand: a family name (lambda) or an expression "
                    "in the mode index k"),
                Key("cutoff", "name", "kappa", "the name of the cutoff"))),
    Table("action", "[action]: the interaction",
          "S = S_0 + interaction + source, with S_0 = sum of field**2/(2 propagator). Expressions are read by a "
          "whitelist parser (never eval): numbers, names, + - * / **, parentheses and the functions "
          + ", ".join(sorted(_FUNCS)) + "; the interaction must be a polynomial in the fields.",
          keys=(Key("interaction", "expression or list of expressions", None,
                    "the interaction; a list is summed", default_text="none"),
                Key("source", "expression", None, "linear terms in the fields, added as written",
                    default_text="none"))),
    Table("couplings.NAME", "[couplings.NAME]: tensor and local couplings",
          "kind = tensor: the symmetric coupling prefactor * sum over k1..kr of NAME_k1..kr f_k1 ... f_kr "
          "over every mode of a family f, with one real parameter per component (NAME_1122: sorted indices, "
          "'_'-separated when a mode number exceeds 9). kind = local: the integral over the data measure "
          "of a polynomial of a local field (docs/theory.md section 6).",
          keys=(Key("kind", "string", REQUIRED, "tensor or local", choices=("tensor", "local")),
                Key("field", "name", REQUIRED, "the field: a family with modes (tensor) or a local field (local)"),
                Key("rank", "integer", None, "tensor: the number of indices (1 to 8)",
                    default_text="required for kind = tensor"),
                Key("prefactor", "expression", "1", "tensor: the factor in front of the sum"),
                Key("expression", "expression", None, "local: the polynomial P(NAME) of the local field",
                    default_text="required for kind = local"))),
    Table("running", "[running]: running couplings",
          "The integrated fields are the modes at the cutoff (k = cutoff in their propagators); integrating a "
          "shell of modes makes the couplings run. Each coupling is read off the coefficient of its kept "
          "monomial; `symrg derive` prints dg/dcutoff and the fixed points, `symrg solve` integrates the flow "
          "(docs/theory.md section 3).",
          keys=(Key("couplings", "table", REQUIRED, "coupling = \"kept monomial\", e.g. {sigma2 = \"a**2\", "
                    "u = \"a**4\"}"),
                Key("cutoff", "name", "kappa", "the name of the cutoff"),
                Key("max_degree", "integer", None, "kept operators up to this total degree (0 to 64; at least "
                    "the degree of every coupling's monomial)", default_text="the couplings' highest degree"),
                Key("loops", "integer", 1, "0: tree terms of the shell integration; 1: tree and one loop "
                    "(exact for an infinitesimal shell)", choices=(0, 1)))),
)


# (feature, bundled example, what it shows): the worked examples of docs/actions.md, in this order
WORKED_EXAMPLES: tuple = (
    ("A kept and an integrated variable", "phi4_0d",
     "The smallest action: S = b**2/(2 G) + (u/4!)(a + b)**4, with no [parameters] table, so u and the propagator "
     "G are parameters (G positive, u real). `symrg derive phi4_0d.toml --order 2` prints the coefficients of 1, "
     "a**2, a**4, a**6 in S_eff."),
    ("Fields and mode families", "tensor_2x2",
     "A split family f_1 .. f_4 (modes = 4, cutoff = 2 keeps f_1, f_2 and integrates f_3, f_4) whose "
     "propagator names the mode family lambda: mode k gets the positive propagator lambda_k (the kept modes "
     "carry theirs in S_0). The tensor coupling U has one real parameter per symmetric component (U_1111, "
     "U_1112, ..., U_4444)."),
    ("Mode fields, a list of interaction terms and a source", "mixed_cubic_sextic",
     "Two families with modes, a kept and b integrated; the propagator G of b names a mode family, so b_1 and "
     "b_2 get G_1 and G_2. The interaction is a list of terms, summed, and source is a term linear in the "
     "fields."),
    ("Couplings: a local coupling", "local_quartic",
     "A local field f(x) = f_<(x) + f_>(x) with the propagator family G (G_>(x, y) = sum over k > kappa of "
     "G_k phi_k(x) phi_k(y)) and a local coupling (u/4!) times the integral of f(x)**4 over the data measure "
     "(docs/theory.md section 6)."),
    ("Sums", "ridge_flow",
     "The parameter c is the sum of lambda_k over the modes above the cutoff kappa; as the propagator of b it "
     "makes the coefficients of S_eff flow with dc/dkappa = -lambda_kappa (docs/theory.md section 4)."),
    ("Running couplings and assumptions", "ridge_quartic_flow",
     "[running] reads sigma2 off the coefficient of a**2 and u off that of a**4; the integrated field b is the "
     "mode at the cutoff, with propagator A*k**(-1-alpha) at k = kappa. [parameters] declares sigma2, A and "
     "alpha positive: `symrg solve ridge_quartic_flow.toml --kappa-from 1000 --kappa-to 10 --init "
     "sigma2=0.01,u=1 --param A=0.01,alpha=0.5` integrates the flow, and --init sigma2=-1 or --param "
     "alpha=-0.5 is refused. max_degree may not be lower than 4, the degree of a**4."),
    ("Running couplings with fixed points", "ridge_quartic_scaled",
     "The same flow in couplings scaled by the power still to be integrated out; explicit powers of the cutoff "
     "kappa make the flow autonomous in log kappa, and `symrg derive` prints its fixed points with their "
     "exponents."),
)


def table(path: str) -> Table:
    """The :class:`Table` of ``path`` (``""`` for the top level, ``"fields.NAME"``...)."""
    for t in SCHEMA:
        if t.path == path:
            return t
    raise KeyError(path)


def keys_of(path: str, only=None) -> tuple:
    """The key names a table allows (``only``: the subset named there, e.g. those of one coupling kind)."""
    names = tuple(k.name for k in table(path).keys)
    return names if only is None else tuple(n for n in names if n in only)


def _key(path: str, name: str) -> Key:
    t = table(path)
    if t.entry is not None and name == t.entry.name:
        return t.entry
    return next(k for k in t.keys if k.name == name)


def choices_of(path: str, name: str) -> tuple:
    return _key(path, name).choices


def default_of(path: str, name: str):
    return _key(path, name).default


# --- the bundled examples ------------------------------------------------------------------------
def example_files() -> list:
    """The bundled example action files, sorted by name."""
    return sorted(EXAMPLES_DIR.glob("*.toml"))


def example_description(path) -> str:
    """The one-line description of an example: its ``description`` key, else its first comment line."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))   # a bundled file (or its copy)
    text = data.get("description")
    if isinstance(text, str) and text.strip():
        return " ".join(text.split())
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return data.get("name", Path(path).stem) if isinstance(data.get("name"), str) else Path(path).stem


# --- the reference --------------------------------------------------------------------------------
def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _default_cell(k: Key) -> str:
    if k.default_text:
        return _cell(k.default_text)
    if k.default is REQUIRED:
        return "required"
    if k.default is None:
        return "absent"
    if isinstance(k.default, bool):
        return f"`{str(k.default).lower()}`"
    return f"`{k.default!r}`" if isinstance(k.default, str) else f"`{k.default}`"


def _choices_cell(k: Key) -> str:
    return ", ".join(f"`{c!r}`" if isinstance(c, str) else f"`{c}`" for c in k.choices)


def _key_rows(keys) -> list:
    rows = ["| key | type | default | values | meaning |", "|---|---|---|---|---|"]
    for k in keys:
        rows.append(f"| `{k.name}` | {_cell(k.type)} | {_default_cell(k)} | {_choices_cell(k)} | {_cell(k.meaning)} |")
    return rows


def _anchor(t: Table) -> str:
    return "top-level" if not t.path else t.path.replace(".", "").lower()


def render_actions_markdown() -> str:
    """The text of ``docs/actions.md``: every table and key of :data:`SCHEMA`, and the worked examples."""
    out = ["<!-- generated by `python -m symrg.cli.docs --actions --write docs/actions.md`; do not edit by hand -->", "",
           "# Action files", "",
           "An action file is a TOML document that states an action S = S_0 + S_int over kept and integrated "
           "fields; `symrg derive FILE` integrates out the integrated fields (docs/theory.md section 3), "
           "`symrg solve FILE` integrates the flow of running couplings and `symrg codegen FILE -o module.py` "
           "lowers the result to NumPy. `symrg examples` lists the bundled files and "
           "`symrg examples NAME` copies one into the current folder.", "",
           "Names (table keys, propagator families, cutoffs) are identifiers that do not start with `_`; one "
           "name is one symbol in the whole file. Names that Python or the generated modules reserve "
           "(`lambda`, `numpy`, ...) are allowed in the file and renamed in generated code by appending `_` "
           "(`lambda` -> `lambda_`, `lambda_` -> `lambda__`). Every value is type-checked and every error "
           "names the key (`fields.b.propagator: ...`). Files are regular UTF-8 files of at most 1,000,000 "
           "bytes.", "",
           "Tables: " + ", ".join(f"[{t.title.split(':')[0]}](#{_anchor(t)})" for t in SCHEMA) + ".", ""]
    for t in SCHEMA:
        out += [f'<a id="{_anchor(t)}"></a>', "", f"## {t.title}", "", _cell(t.meaning), ""]
        if t.entry is not None:
            out += _key_rows([t.entry]) + [""]
        if t.keys:
            out += _key_rows(t.keys) + [""]
    out += ["## Worked examples", "",
            "Each example is a bundled file: `symrg examples NAME` copies it into the current folder, and the test "
            "suite parses every example on this page.", ""]
    for feature, name, note in WORKED_EXAMPLES:
        path = EXAMPLES_DIR / f"{name}.toml"
        out += [f"### {feature}: `{name}`", "", _cell(note), "",
                "```toml", path.read_text(encoding="utf-8").rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"
