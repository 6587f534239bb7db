"""symrg derive / solve / codegen / verify --plugin on the command line: contracts, LaTeX that compiles, cost
messages in the words of the command line (docs/theory.md section 3)."""
import importlib.util
import json
import math
import re
import shutil
import subprocess

import pytest
import sympy as sp

from symrg.cli import main
from symrg.engine import example_path
from symrg.engine.expr import as_expr


def _run(capsys, argv):
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


def _ex(name):
    return str(example_path(name))


def test_derive_json_gains_beta_and_both_parsers_read_it(capsys):
    rc, out, _ = _run(capsys, ["derive", _ex("ridge_quartic_flow"), "--order", "2", "--json"])
    assert rc == 0
    doc = json.loads(out)
    assert set(doc["beta"]) == {"sigma2", "u"} and "a**2" in doc["coefficients"]
    for text in list(doc["beta"].values()) + list(doc["coefficients"].values()):
        assert as_expr(text) == as_expr(text)                 # the whitelist parser
        sp.sympify(text)                                       # test-side only: SymPy reads it too
    s2, u, A, al, kap = sp.symbols("sigma2 u A alpha kappa")
    beta = as_expr(doc["beta"]["sigma2"])
    # d sigma2/d kappa = -lambda(kappa) (1 - u sigma2^2/2): the ridge grows toward the IR, slowed by u
    assert sp.simplify(beta - (-A * kap ** (-1 - al) * (1 - u * s2 ** 2 / 2))) == 0


def test_derive_resum_json_keeps_the_keys(capsys):
    rc, out, _ = _run(capsys, ["derive", _ex("ridge_flow"), "--order", "3", "--resum", "--json"])
    assert rc == 0
    doc = json.loads(out)
    assert doc["resum"] is True and {"coefficients", "flow", "diagrams"} <= set(doc)
    c, sigma = sp.symbols("c sigma")
    assert sp.simplify(as_expr(doc["coefficients"]["a**2"]) - 1 / (2 * (sigma ** 2 + c))) == 0


def test_latex_with_json_is_an_error(capsys):
    rc, out, err = _run(capsys, ["derive", _ex("phi4_0d"), "--latex", "--json"])
    assert rc == 2 and out == "" and "--latex" in err and "--json" in err and len(err.strip().splitlines()) == 1


def test_diagrams_skipped_with_a_message_naming_the_flag(capsys):
    rc, out, err = _run(capsys, ["derive", _ex("mixed_cubic_sextic"), "--order", "3"])
    assert rc == 0 and "--diagrams" in err
    assert "diagrams=" not in err and ".py" not in err and "/symrg/" not in err


def test_cost_estimate_is_printed_before_a_long_run(capsys, monkeypatch):
    import symrg.engine.wilson as w

    monkeypatch.setattr(w, "estimate_seconds", lambda est: 120.0)
    rc, _, err = _run(capsys, ["derive", _ex("phi4_0d"), "--order", "2"])
    assert rc == 0 and "estimated cost about 120 s" in err and ".py" not in err


def test_max_degree_flag(capsys):
    rc, out, _ = _run(capsys, ["derive", _ex("phi4_0d"), "--order", "6", "--max-degree", "4", "--json"])
    doc = json.loads(out)
    assert rc == 0 and set(doc["coefficients"]) == {"1", "a**2", "a**4"} and doc["max_degree"] == 4


def _pdflatex(tex_path):
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex_path.name],
                       cwd=tex_path.parent, capture_output=True, text=True, timeout=180)
    log = tex_path.with_suffix(".log").read_text(errors="replace")
    pages = re.search(r"Output written on .*\((\d+) pages?", log)
    return r.returncode, log.count("Overfull \\hbox"), int(pages.group(1)) if pages else 0, r.stdout


STANDALONE_CASES = [
    ("phi4_0d", 2, [], 4),
    ("phi4_0d", 2, ["--diagrams"], 6),
    ("local_quartic", 2, [], 6),
    ("local_quartic", 2, ["--diagrams"], 12),
    ("mixed_cubic_sextic", 2, [], 8),
    ("mixed_cubic_sextic", 2, ["--diagrams"], 24),
    ("mixed_cubic_sextic", 3, [], 20),
    ("ridge_flow", 2, [], 4),
    ("ridge_flow", 2, ["--diagrams"], 6),
    ("ridge_quartic_flow", 2, [], 6),
    ("ridge_quartic_flow", 2, ["--diagrams"], 12),
    ("ridge_quartic_scaled", 2, [], 6),
    ("ridge_quartic_scaled", 2, ["--diagrams"], 12),
    ("tensor_2x2", 2, [], 8),
    ("tensor_2x2", 2, ["--diagrams"], 24),
]


def test_standalone_cases_cover_every_bundled_example():
    from pathlib import Path
    bundled = {p.stem for p in Path(_ex("phi4_0d")).parent.glob("*.toml")}
    assert bundled == {c[0] for c in STANDALONE_CASES} == {c[0] for c in STANDALONE_CASES if c[2]}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("name,order,extra,max_pages", STANDALONE_CASES)
def test_standalone_latex_compiles_without_overfull_boxes(capsys, tmp_path, name, order, extra, max_pages):
    """Every bundled example, with and without --diagrams: pdflatex compiles the document as it is, nothing runs
    into the margin, every equation label is used once and the input action opens the document."""
    tex = tmp_path / "out.tex"
    rc, _, _ = _run(capsys, ["derive", _ex(name), "--order", str(order), "--latex", "--standalone", "-o", str(tex),
                             *extra])
    assert rc == 0
    body = tex.read_text()
    assert body.lstrip().startswith("%") and "\\begin{document}" in body and "\\end{document}" in body
    assert ("\\begin{picture}" in body) == ("--diagrams" in extra)
    labels = re.findall(r"\\label\{([^}]*)\}", body)
    assert labels and labels[0].endswith("-action") and len(set(labels)) == len(labels)
    rc, overfull, pages, stdout = _pdflatex(tex)
    assert rc == 0, stdout[-2000:]
    assert overfull == 0 and 1 <= pages <= max_pages


def test_self_consistent_closure_is_a_numbered_equation(capsys):
    rc, out, _ = _run(capsys, ["derive", _ex("ridge_quartic_flow"), "--order", "2", "--self-consistent", "sigma2",
                               "--latex"])
    assert rc == 0 and "sigma2\\_eff" not in out
    assert re.search(r"\\label\{eq:ridge-local-quartic-over-a-power-law-spectrum-closure-sigma2-eff\}\n"
                     r"(\\begin\{split\}\n)?\\sigma\^\{2\}_\{\\mathrm\{eff\}\} &?= ", out)


def test_two_diagrams_never_print_as_identical_lines(capsys):
    rc, out, _ = _run(capsys, ["derive", _ex("phi4_0d"), "--order", "2", "--latex", "--diagrams"])
    descriptions = [line for line in out.splitlines() if "loop(s), symmetry factor" in line]
    assert rc == 0 and len(descriptions) == 11 and len(set(descriptions)) == len(descriptions)


def test_solve_json_contract(capsys):
    rc, out, _ = _run(capsys, ["solve", _ex("ridge_quartic_flow"), "--kappa-from", "1000", "--kappa-to", "10",
                               "--init", "sigma2=0.01,u=100", "--param", "A=0.01,alpha=0.5", "--points", "20",
                               "--json"])
    assert rc == 0
    doc = json.loads(out)
    assert doc["shells"] == "discrete" and doc["modes"] == [11, 1000]
    assert len(doc["kappa"]) == len(doc["sigma2"]) == len(doc["u"]) == 20
    assert doc["kappa"][0] == 1000 and doc["kappa"][-1] == 10 and doc["fixed_points"] == []
    assert all(k == int(k) for k in doc["kappa"])
    # the ridge alone would grow by sum_{k=11}^{1000} lambda_k; u = 100 slows it slightly
    grow = sum(0.01 * k ** -1.5 for k in range(11, 1001))
    assert 0.99 * grow < doc["sigma2"][-1] - 0.01 < grow
    assert doc["u"][-1] < 100 and doc["error_estimate"] < 1e-6


@pytest.mark.parametrize("continuum", [False, True])
def test_solve_removes_the_discrete_modes_unless_continuum(capsys, continuum):
    """The contract of issue 19: --kappa-from 1000 --kappa-to 10 removes the modes 11..1000 (the ridge grows by their
    variances, a direct sum); --continuum integrates kappa from 1000 to 10 (the integral, closed form), 2.8% more."""
    rc, out, _ = _run(capsys, ["solve", _ex("ridge_quartic_flow"), "--kappa-from", "1000", "--kappa-to", "10",
                               "--init", "sigma2=0.01,u=0", "--param", "A=0.01,alpha=0.5", "--json"]
                      + (["--continuum"] if continuum else []))
    doc = json.loads(out)
    assert rc == 0 and doc["shells"] == ("continuum" if continuum else "discrete")
    assert ("modes" in doc) is not continuum
    mode_sum = 0.01 + math.fsum(0.01 * k ** -1.5 for k in range(11, 1001))
    integral = 0.01 + 0.01 * (10 ** -0.5 - 1000 ** -0.5) / 0.5
    want, tol = (integral, 1e-8) if continuum else (mode_sum, 1e-12)
    assert abs(doc["sigma2"][-1] - want) < tol * want, (doc["sigma2"][-1], want)
    rc, out, _ = _run(capsys, ["solve", _ex("ridge_quartic_flow"), "--kappa-from", "1000", "--kappa-to", "10",
                               "--init", "sigma2=0.01,u=0", "--param", "A=0.01,alpha=0.5"]
                      + (["--continuum"] if continuum else []))
    assert ("the modes 11..1000 integrated out one at a time" in out) is not continuum
    assert "first order in the shell width" in out and "one loop" not in out


def test_solve_fixed_points_of_the_scaled_flow(capsys):
    rc, out, _ = _run(capsys, ["solve", _ex("ridge_quartic_scaled"), "--kappa-from", "1000", "--kappa-to", "1",
                               "--init", "s=1,v=0.1", "--param", "alpha=0.5", "--json", "--continuum"])
    doc = json.loads(out)
    fps = {(round(f["s"], 12), round(f["v"], 12)): sorted(f["exponents"]) for f in doc["fixed_points"]}
    assert fps == {(2.0, 0.0): [0.5, 1.0], (4.0, -0.125): [-0.5, 0.5]}
    # the second fixed point has a negative quartic coupling: its action is unbounded below
    assert {round(f["v"], 12): f["bounded"] for f in doc["fixed_points"]} == {0.0: True, -0.125: False}
    # the continuum flow is attracted to the Gaussian fixed point s = 1/alpha in the IR
    assert abs(doc["s"][-1] - 2.0) < 0.05 and abs(doc["v"][-1]) < 1e-3
    rc, out, _ = _run(capsys, ["solve", _ex("ridge_quartic_scaled"), "--kappa-from", "1000", "--kappa-to", "1",
                               "--init", "s=1,v=0.1", "--param", "alpha=0.5"])
    assert rc == 0 and "s = 4, v = -0.125; exponents -0.5, 0.5; action UNBOUNDED BELOW" in out


def test_solve_scaled_flow_over_discrete_modes(capsys):
    """Scaled couplings (the cutoff also appears in the action): at v = 0 the discrete flow gives
    s(kappa) = (sigma2 + sum_{k=kappa+1}^{1000} A k^-1.5) kappa^0.5 / A at every output cutoff (direct sums)."""
    rc, out, _ = _run(capsys, ["solve", _ex("ridge_quartic_scaled"), "--kappa-from", "1000", "--kappa-to", "1",
                               "--init", "s=1,v=0", "--param", "alpha=0.5", "--points", "12", "--json"])
    doc = json.loads(out)
    assert rc == 0 and doc["shells"] == "discrete" and doc["modes"] == [2, 1000]
    s2 = 1000 ** -0.5                                          # sigma2 / A at kappa = 1000, from s = 1
    for kap, s in zip(doc["kappa"], doc["s"]):
        ref = (s2 + math.fsum(k ** -1.5 for k in range(int(kap) + 1, 1001))) * kap ** 0.5
        assert abs(s - ref) < 1e-9 * ref, (kap, s, ref)


@pytest.mark.parametrize("argv,words", [
    (["--init", "sigma2=0.01", "--param", "A=0.01,alpha=0.5"], ["--init", "u"]),
    (["--init", "sigma2=0.01,u=1", "--param", "A=0.01"], ["--param", "alpha"]),
    (["--init", "sigma2=0.01,u=1", "--param", "A=0.01,alpha=0.5,B=1"], ["--param", "B"]),
    (["--init", "sigma2=__import__('os'),u=1", "--param", "A=0.01,alpha=0.5"], ["--init"]),
    (["--init", "sigma2=nan,u=1", "--param", "A=0.01,alpha=0.5"], ["--init", "finite"]),
    (["--init", "sigma2=0.01,u=1", "--param", "A=0.01,alpha=0.5", "--kappa-to", "10.5"], ["--kappa-to", "integer",
                                                                                           "--continuum"]),
    (["--init", "sigma2=0.01,u=1", "--param", "A=0.01,alpha=0.5", "--kappa-from", "99.5"], ["--kappa-from",
                                                                                            "integer"]),
    (["--init", "sigma2=0.01,u=1", "--param", "A=0.01,alpha=0.5", "--kappa-to", "100"], ["--kappa-to"]),
])
def test_solve_bad_input(capsys, argv, words):
    rc, out, err = _run(capsys, ["solve", _ex("ridge_quartic_flow"), "--kappa-from", "100", "--kappa-to", "10", *argv])
    assert rc == 2 and out == ""
    for w in words:
        assert w in err


def test_solve_needs_running_couplings(capsys):
    rc, _, err = _run(capsys, ["solve", _ex("phi4_0d"), "--kappa-from", "100", "--kappa-to", "10", "--init", "u=1"])
    assert rc == 2 and "[running]" in err


def _import(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_codegen_writes_the_module_and_its_twin(capsys, tmp_path):
    import mpmath

    out = tmp_path / "flow.py"
    rc, text, _ = _run(capsys, ["codegen", _ex("ridge_quartic_flow"), "-o", str(out), "--json"])
    doc = json.loads(text)
    assert rc == 0 and doc["kind"] == "running" and (tmp_path / "flow_mp.py").exists()
    m, mp = _import(out), _import(tmp_path / "flow_mp.py")
    args = (0.02, 3.0, 0.01, 0.5, 20.0)          # sigma2, u, A, alpha, kappa
    lam = 0.01 * 20.0 ** -1.5
    assert math.isclose(float(m.beta_sigma2(*args)), -lam * (1 - 3.0 * 0.02 ** 2 / 2), rel_tol=1e-13)
    with mpmath.workdps(30):
        assert math.isclose(float(mp.beta_u(*args)), float(m.beta_u(*args)), rel_tol=1e-14)
    assert out.read_text().startswith("# Generated by symrg")


def test_codegen_of_a_step_and_its_refusals(capsys, tmp_path):
    out = tmp_path / "ridge.py"
    rc, _, _ = _run(capsys, ["codegen", _ex("ridge_flow"), "-o", str(out), "--order", "2", "--resum"])
    m = _import(out)
    assert rc == 0 and math.isclose(float(m.coefficient_apow2(0.5, 0.1, 0.8, 0.0)), 1 / (2 * (0.64 + 0.5)),
                                    rel_tol=1e-14)     # arguments c, lambda_kappa, sigma, y
    rc, _, err = _run(capsys, ["codegen", _ex("local_quartic"), "-o", str(tmp_path / "lq.py")])
    assert rc == 2 and "local couplings" in err
    rc, _, err = _run(capsys, ["codegen", _ex("ridge_flow"), "-o", str(tmp_path / "not-a-name.py")])
    assert rc == 2 and "invalid -o=" in err        # the flag typed, not the parameter "output"


def test_verify_runs_a_users_own_check(capsys, tmp_path, monkeypatch):
    (tmp_path / "my_checks_xyz.py").write_text(
        "from symrg.verify import register_check\n"
        "@register_check('user.two_sums', '1+2 = 3 two ways', 'int', 'float', 0.0, category='two-route')\n"
        "def _c():\n    return abs((1 + 2) - 3.0), 'exact'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    rc, out, _ = _run(capsys, ["verify", "--plugin", "my_checks_xyz", "--only", "user.", "--quiet", "--json"])
    doc = json.loads(out)
    assert rc == 0 and [c["name"] for c in doc["checks"]] == ["user.two_sums"]
    rc, _, err = _run(capsys, ["verify", "--plugin", "../my_checks_xyz.py"])
    assert rc == 2 and "--plugin" in err
    from symrg.verify.registry import REGISTRY
    REGISTRY.pop("user.two_sums", None)


def test_derive_self_consistent_and_loops_flags(capsys, tmp_path):
    f = tmp_path / "sc.toml"
    f.write_text('[parameters]\nsigma2 = "positive"\neta = "positive"\nlam = "positive"\n'
                 '[fields.a]\nrole = "kept"\n[fields.b]\nrole = "integrated"\npropagator = "1/(1/lam + eta/sigma2)"\n'
                 '[action]\ninteraction = "(a + b)**2/(2*sigma2)"\n')
    rc, out, _ = _run(capsys, ["derive", str(f), "--resum", "--self-consistent", "sigma2=a**2", "--json"])
    assert rc == 0
    sc = json.loads(out)["self_consistent"]
    x, s2, eta, lam = sp.symbols("sigma2_eff sigma2 eta lam")
    assert sc["unknown"] == "sigma2_eff"
    assert sp.simplify(as_expr(sc["closure"]) - (s2 + 1 / (1 / lam + eta / x))) == 0    # docs/theory.md 4a
    rc, _, err = _run(capsys, ["derive", str(f), "--self-consistent", "nope"])
    assert rc == 2 and "--self-consistent" in err
    rc, _, err = _run(capsys, ["derive", str(f), "--loops", "0"])
    assert rc == 2 and "--loops" in err and "[running]" in err
    rc, out, _ = _run(capsys, ["derive", _ex("ridge_quartic_flow"), "--loops", "0", "--json"])
    assert rc == 0 and json.loads(out)["running"]["loops"] == 0


def test_verify_plugin_from_the_current_folder_or_a_path(capsys, tmp_path, monkeypatch):
    """docs/api.md's recipe as a user runs it: mychecks.py in the current folder, no PYTHONPATH; also by path."""
    (tmp_path / "cwdchecks_abc.py").write_text(
        "from symrg.verify import register_check\n"
        "@register_check('user.cwd_sum', '2+2 = 4 two ways', 'int', 'float', 0.0, category='two-route')\n"
        "def _c():\n    return abs((2 + 2) - 4.0), 'exact'\n")
    monkeypatch.chdir(tmp_path)
    from symrg.verify.registry import REGISTRY
    try:
        rc, out, _ = _run(capsys, ["verify", "--plugin", "cwdchecks_abc", "--only", "user.cwd", "--quiet", "--json"])
        assert rc == 0 and [c["name"] for c in json.loads(out)["checks"]] == ["user.cwd_sum"]
        REGISTRY.pop("user.cwd_sum", None)
        rc, out, _ = _run(capsys, ["verify", "--plugin", str(tmp_path / "cwdchecks_abc.py"), "--only", "user.cwd",
                                   "--quiet", "--json"])
        assert rc == 0 and json.loads(out)["checks"][0]["passed"]
    finally:
        REGISTRY.pop("user.cwd_sum", None)
