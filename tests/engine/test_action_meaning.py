"""Action files mean what they say (docs/actions.md): declared assumptions hold for the numbers given,
max_degree keeps every running coupling running, reserved names are renamed one-to-one in generated code,
and the parser reads its keys from the schema (docs/theory.md section 3)."""
import importlib.util
import itertools

import mpmath
import pytest
import sympy as sp

from symrg.codegen.flows import check_function_names, python_name, write_module
from symrg.codegen.printer import RESERVED_NAMES, CodegenError, render_module, safe_name
from symrg.engine import RunningSpec, derive_flow, example_path, load_action, make_action, parse_action
from symrg.engine.running import check_max_degree
from symrg.errors import ParameterError, SpecError


def _flow_file(**params):
    """ridge + quartic with the given [parameters] (name -> assumption) and a propagator using them."""
    return {"parameters": {"sigma2": "positive", "u": "real", **params},
            "fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "A*k**(-1-alpha)"}},
            "action": {"interaction": "(a + b)**2/(2*sigma2) + u/24*(a + b)**4"},
            "running": {"couplings": {"sigma2": "a**2", "u": "a**4"}}}


# ---------------------------------------------------------------------------- assumptions --
@pytest.mark.parametrize("params,values,flag,words", [
    ({"A": "positive", "alpha": "positive"}, {"sigma2": -1}, "--init", ["--init", "sigma2=-1", "> 0"]),
    ({"A": "positive", "alpha": "positive"}, {"sigma2": 0.0}, "--init", ["> 0", "positive"]),
    ({"A": "positive", "alpha": "positive"}, {"alpha": -0.5}, "--param", ["--param", "alpha=-0.5"]),
    ({"A": "positive", "alpha": "positive"}, {"A": -1e-3}, "--param", ["A=-0.001"]),
    ({"A": "nonnegative", "alpha": "positive"}, {"A": -1e-300}, "--param", [">= 0", "nonnegative"]),
    ({"A": "real", "alpha": "real"}, {"A": -1.0, "alpha": 0.5}, "--param", ["propagator of b", "positive"]),
    ({"A": "real", "alpha": "real"}, {"A": 0.0, "alpha": 0.5}, "--param", ["propagator of b"]),
    ({"A": "positive", "alpha": "positive"}, {"u": float("nan")}, "--init", ["finite"]),
    ({"A": "positive", "alpha": "positive"}, {"u": "1"}, "--init", ["a real number"]),
    ({"A": "positive", "alpha": "positive"}, {"u": True}, "--init", ["a real number"]),
])
def test_declared_assumptions_are_enforced(params, values, flag, words):
    action = parse_action(_flow_file(**params))
    with pytest.raises(ParameterError) as info:
        action.check_values(values, flag)
    for w in words:
        assert w in str(info.value), str(info.value)


@pytest.mark.parametrize("params,values", [
    ({"A": "positive", "alpha": "positive"}, {"sigma2": 1e-300, "u": -5.0, "A": 2.0, "alpha": 1e-9}),
    ({"A": "nonnegative", "alpha": "real"}, {"A": 0.5, "alpha": -0.5}),    # the file says alpha may be negative
    ({"A": "real", "alpha": "real"}, {"A": 1.0, "alpha": -3.0}),
])
def test_values_the_file_allows_are_accepted(params, values):
    action = parse_action(_flow_file(**params))
    assert action.check_values(values, "--param") == {k: float(v) for k, v in values.items()}


def test_fixed_points_refuse_values_against_the_declaration():
    flow = derive_flow(load_action(example_path("ridge_quartic_scaled")))
    with pytest.raises(ParameterError, match="alpha"):
        flow.fixed_points(values={"alpha": -0.5})
    # the Gaussian fixed point s = 1/alpha at alpha = 1/2 (the comment of the example file)
    fps = flow.fixed_points(values={"alpha": 0.5})
    assert any(fp.values[next(g for g in fp.values if g.name == "s")] == 2 and
               fp.values[next(g for g in fp.values if g.name == "v")] == 0 for fp in fps)


# ------------------------------------------------------------------------------ max_degree --
def test_max_degree_below_a_couplings_degree_is_an_error():
    action = load_action(example_path("ridge_quartic_flow"))
    assert action.running.min_degree == 4
    for d in (0, 2, 3):
        with pytest.raises(ParameterError, match=r"max_degree.*>= 4.*a\*\*4"):
            derive_flow(action, max_degree=d)
        with pytest.raises(ParameterError, match="--max-degree"):
            check_max_degree(action, d, "--max-degree")
    data = _flow_file(A="positive", alpha="positive")
    data["running"]["max_degree"] = 3
    with pytest.raises(SpecError, match=r"running.max_degree: 3 is below 4"):
        parse_action(data)
    a, b, u, G = sp.symbols("a b u G")
    with pytest.raises(SpecError, match="running.max_degree"):
        make_action([a], {b: G}, u / 24 * (a + b) ** 4, running={u: a ** 4}, max_degree=2)
    with pytest.raises(SpecError, match="running.max_degree"):
        RunningSpec(((u, a ** 4),), max_degree=3)


def test_max_degree_at_or_above_the_couplings_degree_keeps_both_running():
    """The flow at max_degree 4 and 6 is the hand-derived one: d sigma2/d kappa = -lambda (1 - u sigma2^2/2),
    du/dkappa = 4 lambda u / sigma2 with lambda = A kappa^-(1+alpha) (one-loop shell integration of
    (a+b)^2/(2 sigma2) + u (a+b)^4/24, worked by hand)."""
    action = load_action(example_path("ridge_quartic_flow"))
    s2, u, A, al, kap = sp.symbols("sigma2 u A alpha kappa", positive=True)
    for d in (4, 6):
        flow = derive_flow(action, max_degree=d)
        beta = {g.name: v.xreplace({x: sp.Symbol(x.name, positive=True) for x in v.free_symbols})
                for g, v in flow.beta.items()}
        lam = A * kap ** (-1 - al)
        assert sp.simplify(beta["sigma2"] - (-lam * (1 - u * s2 ** 2 / 2))) == 0
        assert sp.simplify(beta["u"] - 4 * lam * u / s2) == 0, (d, beta["u"])


# ------------------------------------------------------------------------- reserved names --
@pytest.mark.parametrize("name,expected", [
    ("lambda", "lambda_"), ("lambda_", "lambda__"), ("lambda__", "lambda___"), ("numpy", "numpy_"),
    ("np", "np_"), ("mpmath", "mpmath_"), ("math", "math_"), ("scipy", "scipy_"), ("abs", "abs_"),
    ("class", "class_"), ("x", "x"), ("x_", "x_"), ("lambda1", "lambda1"), ("numpy_x", "numpy_x"),
    ("sigma2", "sigma2"), ("Lambda", "Lambda"),
])
def test_safe_name_table(name, expected):
    assert safe_name(name) == expected == python_name(name)


def test_safe_name_is_one_to_one_and_never_reserved():
    stems = sorted(RESERVED_NAMES) + ["x", "a_b", "lambda1", "Numpy"]
    names = [s + "_" * n for s in stems for n in range(4)]
    images = [safe_name(n) for n in names]
    assert len(set(images)) == len(names)
    assert not set(images) & RESERVED_NAMES
    assert all(i.isidentifier() for i in images)


def test_the_printer_refuses_reserved_argument_names():
    x = sp.Symbol("numpy")
    with pytest.raises(CodegenError, match="reserved"):
        render_module({"f": ([("numpy", x)], x + 1)}, "m")
    y = sp.Symbol("y")
    with pytest.raises(CodegenError, match="two arguments"):
        render_module({"f": ([("y", y), ("y", x)], x + y)}, "m")


def test_two_generated_functions_of_one_name_are_refused():
    gs = [sp.Symbol(n) for n in ("a", "b__c", "a__b", "c")]

    class F:   # the shape flow_functions reads
        couplings = tuple(gs)
        parameters = ()
        cutoff = sp.Symbol("kappa")
        beta = {g: g for g in gs}
        operators = {g: g for g in gs}
    with pytest.raises(CodegenError, match="jac_a__b__c"):
        check_function_names(F)
    with pytest.raises(CodegenError, match="jac_a__b__c"):
        write_module(F, "/nonexistent/m.py")     # refused before anything is written


def _module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_code_with_reserved_parameter_names_evaluates_the_flow(tmp_path):
    """Parameters named lambda, lambda_, numpy, mpmath, math, np in one file: the generated NumPy module and
    its mpmath twin evaluate the hand-derived betas (see above) with lambda(kappa) = lambda numpy mpmath
    math np kappa^-(1+lambda_)."""
    names = ["lambda", "lambda_", "numpy", "mpmath", "math", "np"]
    data = _flow_file(**{n: "positive" for n in names})
    data["fields"]["b"]["propagator"] = "lambda*numpy*mpmath*math*np*k**(-1-lambda_)"
    flow = derive_flow(parse_action(data))
    path, mp_path = write_module(flow, tmp_path / "gen.py", source="test")
    mod, mp_mod = _module(path), _module(mp_path)
    vals = {"sigma2": 0.02, "u": -0.7, "lambda": 0.3, "lambda_": 0.25, "numpy": 1.5, "mpmath": 0.9, "math": 1.1,
            "np": 0.8, "kappa": 7.0}
    kwargs = {python_name(k): v for k, v in vals.items()}
    lam = 0.3 * 1.5 * 0.9 * 1.1 * 0.8 * 7.0 ** (-1.25)
    ref = {"sigma2": -lam * (1 - vals["u"] * vals["sigma2"] ** 2 / 2), "u": 4 * lam * vals["u"] / vals["sigma2"]}
    for g in ("sigma2", "u"):
        assert abs(getattr(mod, f"beta_{g}")(**kwargs) - ref[g]) <= 1e-13 * abs(ref[g])
        with mpmath.workdps(30):
            assert abs(float(getattr(mp_mod, f"beta_{g}")(**kwargs)) - ref[g]) <= 1e-13 * abs(ref[g])
    assert sorted(kwargs) == sorted(["sigma2", "u", "lambda_", "lambda__", "numpy_", "mpmath_", "math_", "np_",
                                     "kappa"])


def test_every_pair_of_reserved_names_stays_distinct():
    for a, b in itertools.combinations(["lambda", "lambda_", "lambda__", "numpy", "numpy_"], 2):
        assert python_name(a) != python_name(b)


# ------------------------------------------------------ spectra that must be summable --
def _sum_file(summand, **params):
    d = {"sums": {"c": {"summand": summand}},
         "fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "c"}},
         "action": {"interaction": "(a + b)**2/(2*s)"}}
    if params:
        d["parameters"] = {"s": "positive", **params}
    return d


@pytest.mark.parametrize("summand,params,words", [
    ("A*k**(-0.5)", {}, "diverges"),            # zeta(1/2, kappa+1) is finite, the sum is not
    ("A*k**(-1)", {}, "diverges"),
    ("A*k**(1-alpha)", {}, "converges only for some values"),
    ("A*k**(-alpha)", {"A": "positive", "alpha": "positive"}, "converges only for some values"),
    ("A*k**(-1-alpha)", {"A": "positive", "alpha": "real"}, "converges only for some values"),
])
def test_a_sum_that_does_not_converge_is_refused(summand, params, words):
    with pytest.raises(SpecError, match=words):
        parse_action(_sum_file(summand, **params)).sums[0].closed_form


def _riemann_tail(s, kappa):
    """sum_{k > kappa} k^-s as the Riemann zeta function minus the first kappa terms (mpmath, 30 digits)."""
    with mpmath.workdps(30):
        return mpmath.zeta(s) - mpmath.fsum(mpmath.mpf(k) ** -s for k in range(1, kappa + 1))


@pytest.mark.parametrize("summand,kappa,ref", [
    ("A*k**(-1.5)", 3, lambda: 2 * _riemann_tail(mpmath.mpf("1.5"), 3)),
    ("A*k**(-1-alpha)", 10, lambda: 2 * _riemann_tail(mpmath.mpf("1.25"), 10)),
])
def test_a_convergent_sum_keeps_its_closed_form(summand, kappa, ref):
    m = parse_action(_sum_file(summand)).sums[0]
    sub = {x: {"A": 2, "alpha": sp.Rational(1, 4)}[x.name] for x in m.closed_form.free_symbols if x.name in ("A", "alpha")}
    val = float(m.closed_form.xreplace(sub).subs(m.cutoff, kappa))
    assert abs(val / float(ref()) - 1) < 1e-10


@pytest.mark.parametrize("spectrum,ok", [("A*k**(-1-alpha)", True), ("A*k**(1-alpha)", False),
                                         ("k**(-0.5)", False), ("k**(-2)", True)])
def test_a_local_spectrum_must_be_summable(spectrum, ok):
    d = {"parameters": {"u": "real"},
         "fields": {"h": {"role": "split", "local": True, "propagator": spectrum}},
         "couplings": {"q": {"kind": "local", "field": "h", "expression": "u/24*h**4"}}}
    if ok:
        assert parse_action(d).local[0].spectrum is not None
    else:
        with pytest.raises(SpecError, match=r"fields.h.propagator: the sum over the modes above the cutoff"):
            parse_action(d)
