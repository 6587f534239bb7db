"""LaTeX a paper can use (symrg.engine.latex; docs/theory.md sections 3 and 6): the input action restated, monomials
by degree, the action's own field names, powers collected for printing only (the derived expressions unchanged),
numbered and labelled equations, a fragment that compiles when \\input into an article, diagram labels that do not
overlap."""
import re
import shutil
import subprocess

import pytest
import sympy as sp

from symrg.engine import example_path, load_action, wilson_step
from symrg.engine.latex import (_chunks, _coupling_order, _group_interaction, _order_of,
                                diagram_layout, display_terms, eq_label, sorted_monomials, tidy, width_pt)

EXAMPLES = ["phi4_0d", "local_quartic", "mixed_cubic_sextic", "ridge_flow", "ridge_quartic_flow",
            "ridge_quartic_scaled", "tensor_2x2"]
# a base printed twice in one product, the second time with an exponent: "\kappa \kappa^{", "\kappa^{2 \alpha} \kappa^{"
REPEATED_BASE = re.compile(r"(?<![A-Za-z\\])(\\[A-Za-z]+|[A-Za-z])(\^\{[^{}]*\})?\s+\1\^\{")


@pytest.fixture(scope="module")
def results():
    return {n: wilson_step(load_action(example_path(n)), 2, diagrams=n != "tensor_2x2", use_cache=False)
            for n in EXAMPLES}


def _norm(tex):
    return re.sub(r"\s+", " ", tex)


def _degree(m):
    return sum(int(e) for _, e in (f.as_base_exp() for f in sp.Mul.make_args(m))) if m != 1 else 0


def test_monomials_sorted_by_degree(results):
    a1, a2 = sp.symbols("a_1 a_2")
    assert sorted_monomials([a1 ** 6, 1, a1 ** 2, a1 ** 4]) == [1, a1 ** 2, a1 ** 4, a1 ** 6]
    assert sorted_monomials([a2 ** 2, a1 * a2, a2, a1 ** 2, a1, 1], kept=(a1, a2)) == \
        [1, a1, a2, a1 ** 2, a1 * a2, a2 ** 2]
    for name, res in results.items():
        body = res.to_latex()
        labels = {eq_label(res.action, monomial=m): m for m in res.coefficients}
        seen = [labels[lab] for lab in re.findall(r"\\label\{([^}]*)\}", body) if lab in labels]
        assert len(seen) == len(res.coefficients), name
        degrees = [_degree(m) for m in seen]
        assert degrees == sorted(degrees) and len(set(seen)) == len(seen), (name, seen)


def test_field_names_come_from_the_action(tmp_path):
    (tmp_path / "h.toml").write_text('name = "h model"\n[parameters]\ng = "real"\n[fields.h]\nrole = "split"\n'
                                     'local = true\npropagator = "K"\n[couplings.q]\nkind = "local"\nfield = "h"\n'
                                     'expression = "g/24*h**4"\n')
    res = wilson_step(load_action(tmp_path / "h.toml"), 1, use_cache=False)
    body = res.to_latex()
    assert r"S_{\mathrm{eff}}[h_{<}]" in body and r"\rangle_{h_{>}}" in body and "S[h]" in body
    assert "f_" not in body and "f_<" not in body
    (tmp_path / "m.toml").write_text('[fields.psi]\nrole = "kept"\n[fields.chi]\nrole = "integrated"\n'
                                     'propagator = "G"\n[action]\ninteraction = "u/24*(psi + chi)**4"\n')
    body = wilson_step(load_action(tmp_path / "m.toml"), 2, use_cache=False).to_latex()
    assert r"S_{\mathrm{eff}}[\psi]" in body and r"\rangle_{\chi}" in body and r"S[\psi, \chi]" in body
    assert r"c_{\psi^{2}}" in body and "f_" not in body


def test_input_action_is_restated_and_equals_the_parsed_one(results):
    for name, res in results.items():
        act = res.action
        groups = _group_interaction(act)
        assert sp.expand(sp.Add(*groups) - act.interaction) == 0, name
        body = res.to_latex()
        first = re.search(r"\\begin\{equation\}\\label\{([^}]*)\}", body)
        assert first and first.group(1) == eq_label(act, "action"), name
    phi4 = results["phi4_0d"].to_latex()
    assert r"S[a, b] = \frac{b^{2}}{2 G} + \frac{u \left(a + b\right)^{4}}{24}" in _norm(phi4)
    mixed = _norm(results["mixed_cubic_sextic"].to_latex())
    for piece in (r"\frac{g \left(a_{1} + b_{1} + b_{2}\right)^{3}}{6}", r"\frac{w \left(a_{1} + b_{2}\right)^{6}}{720}",
                  r"J b_{1}"):
        assert piece in mixed
    assert r"\frac{u}{24} \int\! d\mu(x)\; f^{4}{\left(x \right)}" in _norm(results["local_quartic"].to_latex())


def test_action_repr_latex_restates_it():
    act = load_action(example_path("ridge_flow"))
    tex = act._repr_latex_()
    assert tex.startswith("$$\\begin{aligned}") and tex.endswith("\\end{aligned}$$")
    assert r"S[a, b] &= \frac{b^{2}}{2 c} + \frac{\left(a + b - y\right)^{2}}{2 \sigma^{2}}" in tex
    assert r"c = \sum_{k > \kappa} \lambda_{k}" in tex and "$" not in tex.strip("$")
    res = wilson_step(act, 1, use_cache=False)
    for obj in (res, wilson_step(load_action(example_path("ridge_quartic_flow")), 1, use_cache=False).running):
        t = obj._repr_latex_()
        assert t.startswith("$$\\begin{aligned}") and t.endswith("\\end{aligned}$$")
    assert r"c_{a^{2}} &=" in res._repr_latex_()


def test_no_uncollected_powers_in_the_printed_latex(results):
    for name, res in results.items():
        body = res.to_latex(diagrams=True)
        assert not REPEATED_BASE.search(body), (name, REPEATED_BASE.search(body).group(0))
    # the regex does see the uncollected form SymPy prints without tidy()
    kap, al = sp.symbols("kappa alpha", positive=True)
    raw = sp.latex(sp.Mul(kap ** (2 * al), kap ** (-al - 1), evaluate=False))
    assert REPEATED_BASE.search(raw) and not REPEATED_BASE.search(sp.latex(tidy(kap ** (2 * al) * kap ** (-al - 1))))


def test_printed_coefficients_equal_the_derived_ones(results):
    """Printing rewrites (collected powers, integrals split by linearity, terms reordered by order), never the
    value: the terms that are printed add up to the derived coefficient, and the derived objects are unchanged."""
    changed = 0
    for name, res in results.items():
        before = {m: sp.srepr(c) for m, c in res.coefficients.items()}
        body = re.sub(r" \\\\ &\\q?quad \{\}", " ", _norm(res.to_latex(diagrams=True)))   # one line per equation
        for m, c in res.coefficients.items():
            terms = display_terms(c, _order_of(res, m))
            assert sp.simplify(sp.Add(*terms) - c) == 0, (name, m)
            for t in terms:    # each printed term is one of these expressions, whole or cut into chunks
                body_t = -t if t.could_extract_minus_sign() else t
                assert any(_norm(" ".join(_chunks(body_t, w))) in body for w in (1e9, 0)), (name, m, t)
        for m, c in res.flow.items():
            assert sp.simplify(sp.Add(*display_terms(c, _coupling_order(res.action))) - c) == 0, (name, m)
        for d in res.diagrams:
            t = tidy(d.expression)
            assert sp.simplify(t - d.expression) == 0
            changed += sp.srepr(t) != sp.srepr(d.expression)
        assert {m: sp.srepr(c) for m, c in res.coefficients.items()} == before, name
    assert changed > 0      # some diagram (ridge_quartic_scaled: kappa**(2 alpha)*kappa**(-alpha-1)) was rewritten


def test_each_integral_stays_with_its_integrand(results):
    body = results["local_quartic"].to_latex(standalone=True)
    for line in body.splitlines():
        assert not re.search(r"d\\mu\(x_\{\d\}\)\\;\s*(\\\\)?\s*$", line), line
    # a short term is one line: the whole S^(6) equation fits on one line
    six = re.search(r"\\begin\{equation\}\\label\{eq:local-quartic-f6\}\n(.*?)\n\\end\{equation\}", body, re.S)
    assert six and "\\\\" not in six.group(1) and "split" not in six.group(1)


def test_equations_are_numbered_with_unique_labels(results):
    for name, res in results.items():
        body = res.to_latex(standalone=True, diagrams=True)
        labels = re.findall(r"\\label\{([^}]*)\}", body)
        slug = eq_label(res.action)
        assert len(labels) == len(set(labels)) >= len(res.coefficients) + 2, name
        assert all(lab.startswith(slug + "-") and re.fullmatch(r"eq:[a-z0-9-]+", lab) for lab in labels), labels
    assert "eq:local-quartic-f2" in results["local_quartic"].to_latex()
    assert eq_label(results["mixed_cubic_sextic"].action, monomial=sp.Symbol("a_1") * sp.Symbol("a_2") ** 2) == \
        "eq:mixed-cubic-sextic-a1-a2p2"


def _boxes_overlap(a, b):
    return abs(a[0] - b[0]) * 2 < a[2] + b[2] and abs(a[1] - b[1]) * 2 < a[3] + b[3]


def _bezier_points(p, c, q, k=40):
    return [((1 - t) ** 2 * p[0] + 2 * (1 - t) * t * c[0] + t * t * q[0],
             (1 - t) ** 2 * p[1] + 2 * (1 - t) * t * c[1] + t * t * q[1]) for t in (i / k for i in range(k + 1))]


@pytest.mark.parametrize("name,order", [("local_quartic", 2), ("phi4_0d", 3), ("mixed_cubic_sextic", 2),
                                        ("ridge_quartic_flow", 2)])
def test_diagram_labels_do_not_overlap(name, order):
    res = wilson_step(load_action(example_path(name)), order, diagrams=True, use_cache=False)
    assert res.diagrams
    for d in res.diagrams:
        lay = diagram_layout(d)
        labels, (x0, y0, w, h) = lay["labels"], lay["box"]
        assert (len(labels) > 0) == (d.external != 1)      # one label per kept field at each vertex with legs
        for i, a in enumerate(labels):
            assert a[2] >= 0.7 * width_pt(a[4]) and a[3] >= 7            # a box as large as the \scriptsize text
            assert x0 <= a[0] - a[2] / 2 and a[0] + a[2] / 2 <= x0 + w and y0 <= a[1] - a[3] / 2 <= a[1] + a[3] / 2 <= y0 + h
            for b in labels[i + 1:]:
                assert not _boxes_overlap(a, b), (d.vertices, a, b)
            for p, c, q, _ in lay["curves"]:
                assert not any(abs(x - a[0]) * 2 < a[2] and abs(y - a[1]) * 2 < a[3] for x, y in _bezier_points(p, c, q))
        for p, c, q, _ in lay["curves"]:
            assert all(x0 <= x <= x0 + w and y0 <= y <= y0 + h for x, y in _bezier_points(p, c, q))


def _pdflatex(folder, name):
    for _ in range(2):      # twice: references
        r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                           capture_output=True, text=True, timeout=180)
        if r.returncode:
            return r.returncode, r.stdout[-3000:], ""
    return 0, r.stdout, (folder / name).with_suffix(".log").read_text(errors="replace")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (.ci/run installs it)")
@pytest.mark.parametrize("name,diagrams", [("local_quartic", True), ("ridge_quartic_flow", False),
                                           ("mixed_cubic_sextic", False)])
def test_fragment_compiles_when_input_into_an_article(results, tmp_path, name, diagrams):
    res = results[name]
    frag = res.to_latex(diagrams=diagrams)
    assert "\\documentclass" not in frag and "\\begin{document}" not in frag and "\\usepackage" not in frag
    (tmp_path / "frag.tex").write_text(frag)
    first = re.search(r"\\label\{([^}]*)\}", frag).group(1)
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
                                        "As (\\ref{%s}) shows:\n\\input{frag}\n\\end{document}\n" % first)
    rc, out, log = _pdflatex(tmp_path, "paper.tex")
    assert rc == 0, out
    assert "Overfull \\hbox" not in log and "undefined" not in log.lower(), log[-3000:]
