"""docs/cli.md cannot drift: it is the generator's output, every option has a help text without
internal references, and every JSON key a command prints is in its module's ``JSON_KEYS``."""
import argparse
import json
import re
from pathlib import Path

import pytest

from symrg.cli.docs import command_modules, render_cli_markdown
from symrg.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
CLI_MD = ROOT / "docs" / "cli.md"


def test_docs_cli_md_is_current():
    assert CLI_MD.is_file(), "docs/cli.md is missing: python -m symrg.cli.docs --write docs/cli.md"
    assert CLI_MD.read_text(encoding="utf-8") == render_cli_markdown(), (
        "docs/cli.md is stale (a flag, help text, default or JSON key changed): regenerate it with\n"
        "    python -m symrg.cli.docs --write docs/cli.md")


def test_every_command_is_documented():
    text = render_cli_markdown()
    cmds = command_modules()
    assert len(cmds) >= 10
    for name, (p, module, _) in cmds.items():
        assert f"## symrg {name}\n" in text
        for a in p._actions:
            if isinstance(a, argparse._HelpAction):
                continue
            for opt in a.option_strings:
                assert f"`{opt}" in text, (name, opt)
        assert isinstance(getattr(module, "JSON_KEYS", None), dict) and module.JSON_KEYS, \
            f"symrg {name}: its module {module.__name__} needs a JSON_KEYS table"


# ------------------------------------------------------------------------------- help texts --
FORBIDDEN = [
    (re.compile(r"\bissues?\s*#?\d", re.I), "an issue number"),
    (re.compile(r"THEORY"), "the outside theory document (cite docs/theory.md section N)"),
    (re.compile(r"STYLE"), "the outside style guide"),
    (re.compile(r"\bsec\.|§"), "a section reference (write 'docs/theory.md section N')"),
    (re.compile(r"``|:(?:mod|func|class|meth|data):`"), "raw reStructuredText markup"),
]


def _texts():
    top = build_parser()
    yield "symrg", "description", top.description
    for a in top._actions:
        if a.option_strings and not isinstance(a, argparse._HelpAction):
            yield "symrg", a.option_strings[0], a.help
    for name, (p, _, short) in command_modules().items():
        yield name, "help", short
        if p.description:
            yield name, "description", p.description
        for a in p._actions:
            if not isinstance(a, argparse._HelpAction):
                yield name, (a.option_strings or [a.dest])[0], a.help


@pytest.mark.parametrize("command,what,text", list(_texts()), ids=lambda x: str(x)[:30])
def test_help_texts_are_present_and_self_contained(command, what, text):
    assert text and text.strip(), f"symrg {command} {what}: no help text"
    for pattern, why in FORBIDDEN:
        assert not pattern.search(text), f"symrg {command} {what}: mentions {why}: {text!r}"


def test_the_checker_catches_what_it_forbids():
    for bad in ("see issue 5", "(THEORY" + ".md sec. 5)", "``symrg derive``", ":mod:`symrg.data`", "§3"):
        assert any(p.search(bad) for p, _ in FORBIDDEN), bad
    assert not any(p.search("docs/theory.md section 5") for p, _ in FORBIDDEN)


# -------------------------------------------------------------------------------- JSON keys --
def _segments(key: str) -> tuple:
    return tuple(re.findall(r"\[\]|[^.\[\]]+", key))


def _paths(obj, path=()):
    """Every key path of a JSON document: ``("a", "[]", "b")`` for key b of the elements of list a;
    a document that is a list of rows gives the row keys directly."""
    out = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(path + (k,))
            out |= _paths(v, path + (k,))
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        for x in obj:
            out |= _paths(x, path + ("[]",) if path else path)
    return out


def _matches(pattern: tuple, path: tuple) -> bool:
    return len(pattern) == len(path) and all(
        p == q or (p.startswith("<") and p.endswith(">") and q != "[]") for p, q in zip(pattern, path))


def test_key_matching():
    assert _matches(_segments("models.<model>.test_mse"), ("models", "truncated", "test_mse"))
    assert _matches(_segments("shells[].kappa"), ("shells", "[]", "kappa"))
    assert not _matches(_segments("shells[].kappa"), ("shells", "[]", "lambda"))
    assert not _matches(_segments("models.<model>"), ("models", "[]"))
    assert _paths([{"n": 1}, {"n": 2, "x": {"y": 0}}]) == {("n",), ("x",), ("x", "y")}


def _example(name: str) -> str:
    from symrg.engine import example_path

    return str(example_path(name))


# command -> (forms to run, each an argv; the table the output is checked against)
RUNS = {
    "spectrum": [["--dim", "3", "--lmax", "4"], ["--dim", "4", "--lmax", "3", "--precision", "mp", "--dps", "20"],
                 ["--data", "digits", "--pool", "100", "--kappa", "5", "--quiet"]],
    "flow": [["--modes", "2000", "--show", "3"], ["--spectrum", "sphere", "--dim", "3", "--lmax", "10", "--show", "3"]],
    "learning-curve": [["--dim", "3", "--target", "1:1", "--ridge", "0.1", "--ns", "4,8", "--trials", "2",
                        "--n-test", "50", "--quiet"],
                       ["--data", "digits", "--pool", "120", "--ridge", "0.1", "--ns", "10,20", "--trials", "2",
                        "--quiet"]],
    "scaling": [["--data", "digits", "--pool", "1000", "--ridge", "0.01", "--ns", "5,10,20,50", "--trials", "3",
                 "--quiet"],
                ["--data", "digits", "--pool", "1000", "--kappa", "60", "--ridge", "0.01", "--ns", "5,10,20,50",
                 "--trials", "3", "--quiet"]],
    "reduced-gp": [["--data", "digits", "--pool", "100", "--n", "30", "--kappas", "5,10"]],
    "verify": [["--only", "engine.symmetry_factors", "--quiet"]],
    "examples": [[]],
    "derive": [[_example(f)] for f in ("phi4_0d.toml", "ridge_flow.toml", "local_quartic.toml", "tensor_2x2.toml")],
    "finite-width": [["--width", "4", "--draws", "1000", "--n-train", "4", "--n-test", "2", "--mc", "200"],
                     ["--depth", "2", "--activation", "step", "--width", "4", "--mc", "200"]],
    "universality": [["--dim", "3", "--activations", "relu,erf", "--depths", "1"],
                     ["--data", "digits", "--pool", "300", "--ns", "10,20,40", "--trials", "3", "--activations",
                      "relu", "--depths", "1"]],
    "ridge-map": [["--data", "digits", "--pool", "100", "--n", "30", "--kappa", "10", "--c4", c4]
                  for c4 in ("none", "diag")],
}


def _run_json(capsys, argv):
    assert main(argv + ["--json"]) == 0, argv
    return json.loads(capsys.readouterr().out)


def _check(name, docs: dict, outputs) -> None:
    patterns = {k: _segments(k) for k in docs}
    seen = set()
    for out in outputs:
        for path in _paths(out):
            hits = [k for k, p in patterns.items() if _matches(p, path)]
            assert hits, (f"symrg {name} --json prints the key {'.'.join(path).replace('.[]', '[]')!r}, which its "
                          f"JSON_KEYS table does not list: add it (one line of meaning), then regenerate docs/cli.md")
            seen.update(hits)
    unseen = [k for k in docs if k not in seen and not docs[k].startswith("[")]
    assert not unseen, (f"symrg {name}: JSON_KEYS lists keys the command did not print: {unseen} (mark a key "
                        f"that appears only in some cases with a leading '[case]' in its meaning)")


@pytest.mark.parametrize("name", sorted(RUNS))
def test_every_printed_json_key_is_documented(capsys, name):
    _, module, _ = command_modules()[name]
    _check(name, module.JSON_KEYS, [_run_json(capsys, [name] + argv) for argv in RUNS[name]])


def test_reproduce_json_keys_are_documented(capsys, monkeypatch, tmp_path):
    """The driver's JSON with one stub section that reports a claim as not measured (no computation)."""
    from symrg.studies.report import claims, driver

    key = next(iter(claims.CLAIMS))
    monkeypatch.setattr(driver, "SECTIONS", [("flows", lambda out, quick, prog: {
        "markdown": "stub", "missing": {key: "stub section"}})])
    _, module, _ = command_modules()["reproduce"]
    out = _run_json(capsys, ["reproduce", "--out", str(tmp_path / "rep"), "--quiet"])
    _check("reproduce", module.JSON_KEYS, [out])


def test_finite_width_study_json_keys_are_documented(capsys, monkeypatch, tmp_path):
    """The width sweep with few Monte Carlo draws (same code path, smaller numbers)."""
    import symrg.studies.finite_width_study as fws

    comp, coef = fws.compare_posteriors, fws.one_over_n_coefficient
    monkeypatch.setattr(fws, "compare_posteriors", lambda *a, **k: comp(*a, **{**k, "n_draws": 200}))
    monkeypatch.setattr(fws, "one_over_n_coefficient", lambda *a, **k: coef(*a, **{**k, "n_samples": 2000}))
    so = fws.second_order_coefficient
    monkeypatch.setattr(fws, "second_order_coefficient", lambda *a, **k: so(*a, **{**k, "n_samples": 400}))
    _, module, _ = command_modules()["finite-width"]
    out = _run_json(capsys, ["finite-width", "--study", str(tmp_path)])
    _check("finite-width --study", module.JSON_KEYS_ALT["with --study DIR"], [out])


def test_examples_copy_json_keys_are_documented(capsys, tmp_path):
    _, module, _ = command_modules()["examples"]
    _check("examples", module.JSON_KEYS, [_run_json(capsys, ["examples", "phi4_0d", "-o", str(tmp_path)])])


# ------------------------------------------------------------------------ docs/actions.md --
ACTIONS_MD = ROOT / "docs" / "actions.md"


def test_docs_actions_md_is_current():
    from symrg.engine.schema import render_actions_markdown

    assert ACTIONS_MD.is_file(), "docs/actions.md is missing: python -m symrg.cli.docs --actions --write docs/actions.md"
    assert ACTIONS_MD.read_text(encoding="utf-8") == render_actions_markdown(), (
        "docs/actions.md is stale (the schema, an example or the generator changed): regenerate it with\n"
        "    python -m symrg.cli.docs --actions --write docs/actions.md")


def test_docs_actions_md_documents_every_table_and_key():
    from symrg.engine.schema import SCHEMA, WORKED_EXAMPLES, example_files

    text = ACTIONS_MD.read_text(encoding="utf-8")
    assert len(SCHEMA) == 7
    for t in SCHEMA:
        for k in t.keys + ((t.entry,) if t.entry else ()):
            assert k.meaning and k.type, (t.path, k.name)
            assert re.search(rf"^\| `{re.escape(k.name)}` \| {re.escape(k.type)} \| [^|]+ \|", text, re.M), (t.path, k.name)
    # every bundled example is a worked example, with the features the issue names
    assert {n for _, n, _ in WORKED_EXAMPLES} == {p.stem for p in example_files()}
    features = " ".join(f.lower() for f, _, _ in WORKED_EXAMPLES)
    for feature in ("fields", "mode families", "couplings", "sums", "running couplings", "assumptions"):
        assert feature in features, feature


def test_every_example_in_docs_actions_md_parses():
    import tomllib

    from symrg.engine import parse_action

    blocks = re.findall(r"```toml\n(.*?)```", ACTIONS_MD.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 7
    for block in blocks:
        action = parse_action(tomllib.loads(block))
        assert action.integrated or action.local


# the key the parser refuses names exactly the keys the schema lists: the parser reads the schema
@pytest.mark.parametrize("path,data", [
    ("", {"fields": {"a": {"role": "kept"}}, "bogus": 1}),
    ("fields.NAME", {"fields": {"a": {"role": "kept", "bogus": 1}}}),
    ("sums.NAME", {"fields": {"a": {"role": "kept"}}, "sums": {"c": {"summand": "lambda", "bogus": 1}}}),
    ("action", {"fields": {"a": {"role": "kept"}}, "action": {"bogus": "a"}}),
    ("running", {"fields": {"a": {"role": "kept"}}, "running": {"bogus": 1}}),
])
def test_parser_and_schema_agree_on_the_keys(path, data):
    from symrg.engine import parse_action
    from symrg.engine.schema import keys_of
    from symrg.errors import SpecError

    with pytest.raises(SpecError, match="bogus") as info:
        parse_action(data)
    for key in keys_of(path):
        assert key in str(info.value), (path, key, str(info.value))


def test_coupling_keys_come_from_the_schema():
    from symrg.engine import parse_action
    from symrg.errors import SpecError

    base = {"fields": {"f": {"role": "split", "modes": 2, "cutoff": 1, "propagator": "lambda"}}}
    with pytest.raises(SpecError, match=r"allowed: field, kind, prefactor, rank"):
        parse_action({**base, "couplings": {"U": {"kind": "tensor", "field": "f", "rank": 2, "expression": "1"}}})
    with pytest.raises(SpecError, match=r"couplings.U.kind: expected 'tensor' or 'local'"):
        parse_action({**base, "couplings": {"U": {"kind": "bogus", "field": "f"}}})
