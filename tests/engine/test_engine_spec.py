"""Action files, the whitelist parser, `symrg derive`, cache and LaTeX (docs/theory.md sections 3 and 6)."""
import json
import shutil
import subprocess
import types

import pytest
import sympy as sp

from symrg.engine import (EngineCostWarning, example_path, load_action, parse_action,
                          parse_expression, wilson_step)
from symrg.cli import derive as cli_derive
from symrg.engine.cache import clear_memory_cache, dumps_expr, loads_expr
from symrg.engine.wilson import cached_wilson_step
from symrg.errors import ParameterError, SpecError

CONTRACT = {"fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "G"}},
            "action": {"interaction": "u/24*(a + b)**4"}}


def _with(interaction=None, params=None, **fields):
    d = {"fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "G"}, **fields},
         "action": {"interaction": interaction or "u/24*(a + b)**4"}}
    if params is not None:
        d["parameters"] = params
    return d


def test_contract_json(capsys, monkeypatch):
    monkeypatch.setenv("SYMRG_NO_CACHE", "1")
    rc = cli_derive.run(types.SimpleNamespace(file=str(example_path("phi4_0d")), order=2, json=True,
                                              latex=False, no_diagrams=False))
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["order"] == 2
    co = {k: sp.sympify(v) for k, v in out["coefficients"].items()}  # test-side only: trusted text
    G, u = sp.symbols("G u")
    assert sp.expand(co["1"] - (G ** 2 * u / 8 - G ** 4 * u ** 2 / 12)) == 0
    assert sp.expand(co["a**2"] - (G * u / 4 - G ** 3 * u ** 2 / 3)) == 0
    assert sp.expand(co["a**4"] - (u / 24 - 7 * G ** 2 * u ** 2 / 48)) == 0
    assert sp.expand(co["a**6"] + G * u ** 2 / 72) == 0
    assert set(out["fields"]) == {"a", "b"}
    d0 = out["diagrams"][0]
    for key in ("order", "vertices", "external_legs", "symmetry_factor", "expression", "latex"):
        assert key in d0


def test_module_entry_point(tmp_path):
    import sys
    r = subprocess.run([sys.executable, "-m", "symrg.cli.derive", str(example_path("phi4_0d")),
                        "--order", "1", "--json"], capture_output=True, text=True,
                       env={"SYMRG_NO_CACHE": "1", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["coefficients"]["a**2"] == "G*u/4"


def test_negative_order_is_rejected(capsys):
    import argparse
    p = argparse.ArgumentParser()
    cli_derive.add_parser(p.add_subparsers())
    with pytest.raises(SystemExit):
        p.parse_args(["derive", "x.toml", "--order", "-1"])
    assert "order must be an integer >= 0" in capsys.readouterr().err
    with pytest.raises(ParameterError):
        wilson_step(parse_action(CONTRACT), -1)


@pytest.mark.parametrize("data,needle", [
    (_with("u/24*(a + b)**4 + v*b", params={"u": "real"}), "unknown symbol 'v'"),
    (_with("u/24*(a + c)**4", params={"u": "real"}), "unknown symbol 'c'"),
    (_with("exp(b)"), "exp(...) of a field"),
    (_with("b**(1/2)"), "non-negative integer power"),
    (_with("b**-1"), "non-negative integer power"),
    (_with("a/b"), "division by a field"),
    (_with("__import__('os')"), "not allowed"),
    (_with("u.real"), "not allowed"),
    (_with("[b]"), "not allowed"),
    (_with("b if a else b"), "cannot parse"),
    ({"fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "-1"}},
      "action": {"interaction": "b**4"}}, "fields.b.propagator"),
    ({"parameters": {"G": "positive"}, "fields": {"a": {"role": "kept"}, "b": {"role": "integrated",
      "propagator": "-G"}}, "action": {"interaction": "b**4"}}, "must be positive"),
    ({"fields": {"a": {"role": "kept"}}, "action": {"interaction": "a**4"}}, "nothing to integrate"),
    ({"fields": {"a": {"role": "spectator"}}}, "fields.a.role"),
    ({"fields": {"b": {"role": "integrated"}}}, "fields.b.propagator: required"),
    ({"fields": {"b": {"role": "integrated", "propagator": "G", "colour": 1}}}, "unknown key"),
    (_with("u*b**4", params={"u": "complex"}), "parameters.u"),
])
def test_bad_input_gets_clear_errors(data, needle):
    with pytest.raises(SpecError) as exc:
        parse_action(data)
    assert needle in str(exc.value)


def test_error_names_the_key():
    with pytest.raises(SpecError, match=r"action\.interaction"):
        parse_action(_with("u/24*(a + z)**4", params={"u": "real"}))
    with pytest.raises(SpecError, match=r"action\.source: a source term must be linear"):
        d = _with()
        d["action"]["source"] = "b**2"
        parse_action(d)


def test_parser_whitelist_and_keywords():
    x = sp.Symbol("x")
    lam = sp.Symbol("lambda", positive=True)
    e = parse_expression("Rational(1, 3)*sqrt(2)*x**2 - (lambda/4)", {"x": x, "lambda": lam}, "k", {x})
    assert e == sp.sqrt(2) * x ** 2 / 3 - lam / 4
    assert parse_expression("0.25*x", {"x": x}, "k") == x / 4
    for bad in ("eval('1')", "x.__class__", "x[0]", "lambda: 1", "'s'"):
        with pytest.raises(SpecError):
            parse_expression(bad, {"x": x}, "k")


def test_mode_families_tensor_and_ridge_flow():
    act = load_action(example_path("tensor_2x2"))
    assert [str(s) for s in act.kept] == ["f_1", "f_2"]
    assert [str(s) for s in act.integrated] == ["f_3", "f_4"]
    assert str(act.propagator_map[act.integrated[0]]) == "lambda_3"
    res = wilson_step(load_action(example_path("ridge_flow")), 3, use_cache=False)
    a, c, sigma, lk = sp.symbols("a c sigma lambda_kappa", positive=True)
    # resummed: 1/(2 (sigma^2 + c)); the series to order 3 and its flow (dc/dkappa = -lambda_kappa)
    q = res.coefficients[sp.Symbol("a") ** 2].subs({sp.Symbol("c", positive=True): c})
    # order 3 in S_int reaches c^2 (two a*b vertices + one b^2 insertion)
    exact = sp.series(1 / (2 * (sigma ** 2 + c)), c, 0, 3).removeO()
    assert sp.simplify(q - exact) == 0
    assert sp.Symbol("a") ** 2 in res.flow


def test_propagator_with_data_term():
    d = {"parameters": {"eta": "positive", "sigma": "positive", "u": "real"},
         "fields": {"f": {"role": "split", "modes": 3, "cutoff": 1,
                          "propagator": "(1/lambda + eta/sigma**2)**-1"}},
         "action": {"interaction": "u/24*(f_1 + f_2 + f_3)**4"}}
    act = parse_action(d)
    g2 = act.propagator_map[sp.Symbol("f_2")]
    lam2 = sp.Symbol("lambda_2", positive=True)
    eta, sigma = sp.Symbol("eta", positive=True), sp.Symbol("sigma", positive=True)
    assert sp.simplify(g2 - 1 / (1 / lam2 + eta / sigma ** 2)) == 0
    res = wilson_step(act, 1, use_cache=False)
    assert sp.Symbol("f_1") ** 2 in res.coefficients


def test_local_coupling_tadpole_and_zero_dim_reduction():
    res = wilson_step(load_action(example_path("local_quartic")), 2, use_cache=False)
    fl, Gg = sp.Function("f_<"), sp.Function("G_>")
    x1 = sp.Symbol("x_1", real=True)
    u = sp.Symbol("u", real=True)
    tad = res.by_order[1][sp.Symbol("f_<") ** 2]
    assert tad == u / 4 * sp.Integral(fl(x1) ** 2 * Gg(x1, x1), (x1,))
    assert sp.Symbol("f_<") ** 2 in res.flow
    # one point, one mode: G_> -> G, f_< -> a, ∫ dmu -> 1 gives the 0-d phi^4 result
    zero = wilson_step(parse_action(CONTRACT), 2, use_cache=False)
    G, a = sp.Symbol("G", positive=True), sp.Symbol("a")
    for n, coeffs in enumerate(res.by_order):
        for mono, val in coeffs.items():
            red = val.replace(sp.Integral, lambda f, *lims: f).replace(Gg, lambda x, y: G).replace(fl, lambda x: a)
            deg = sp.degree(mono, sp.Symbol("f_<")) if mono != 1 else 0
            target = zero.by_order[n].get(a ** deg if deg else sp.Integer(1), 0).subs(sp.Symbol("u", real=True), u)
            assert sp.expand(red.subs(sp.Symbol("u"), u) - target * a ** deg) == 0


def test_cache_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMRG_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("SYMRG_NO_CACHE", raising=False)
    clear_memory_cache()
    act = load_action(example_path("local_quartic"))
    r1 = cached_wilson_step(act, 2, True)
    files = list(tmp_path.glob("engine-*.json"))
    assert len(files) == 1 and "Symbol" in files[0].read_text()
    clear_memory_cache()
    r2 = cached_wilson_step(act, 2, True)
    assert r2 is not r1
    assert r2.coefficients == r1.coefficients and r2.flow == r1.flow
    assert [d.expression for d in r2.diagrams] == [d.expression for d in r1.diagrams]
    with pytest.raises(SpecError):
        loads_expr("__import__('os').system('true')")
    e = sp.Symbol("G", positive=True) ** 2 * sp.Rational(-3, 7) + sp.Function("G_>")(sp.Symbol("x"), 1)
    assert loads_expr(dumps_expr(e)) == e


def test_cost_warning_for_large_orders():
    act = parse_action(_with("u/720*(a + b)**6"))
    with pytest.warns(EngineCostWarning, match="Wick contractions"):
        try:
            wilson_step(act, 9, use_cache=False, diagrams=False)
        except Exception:  # only the warning matters here
            pass


def test_latex_export(tmp_path):
    res = wilson_step(parse_action(CONTRACT), 2, use_cache=False)
    assert "symmetry factor" not in res.to_latex()          # diagrams only when asked for
    body = res.to_latex(diagrams=True)
    assert r"\frac{G u}{4}" in body.replace(" ", " ") or "G u" in body
    assert "symmetry factor" in body
    for d in res.diagrams:
        assert d.to_dict()["latex"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_document_compiles(tmp_path):
    from symrg.engine.latex import document
    res = wilson_step(load_action(example_path("local_quartic")), 2, use_cache=False)
    tex = tmp_path / "x.tex"
    tex.write_text(document(res.to_latex(), "test"))
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]


def test_as_expr_never_evaluates_text():
    """Strings reach SymPy only through the whitelist parser; other objects are refused."""
    import sympy as sp

    from symrg.engine.expr import as_expr
    from symrg.errors import SpecError

    a, u = sp.symbols("a u")
    assert as_expr("a**2 + u/24") == a**2 + u / 24
    assert as_expr(3) == sp.Integer(3)
    for bad in ['__import__("os").system("true")', "a.__class__", "lambda: 1", "[a]", "a if u else a"]:
        with pytest.raises(SpecError):
            as_expr(bad)
    with pytest.raises(SpecError):
        as_expr(object())


@pytest.mark.parametrize("text", ["3**3**17", "a**(10**6)", "2**0.5**1000", "1e999", "-" * 50000 + "1",
                                  "10**" + "9" * 200])
def test_expressions_cannot_exhaust_resources(text):
    """Bounded exponents, literals and sizes: hostile text is refused with SpecError before
    SymPy evaluates it (without the bounds, '3**3**17' would run for minutes)."""
    from symrg.engine.expr import as_expr
    from symrg.errors import SpecError

    with pytest.raises(SpecError):
        as_expr(text)
