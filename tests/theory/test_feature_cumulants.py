"""Derivation and generated code of the input-dependent ridge (docs/theory.md section 5)."""

import sympy as sp

from symrg.theory import feature_cumulants as fc
from symrg.theory.feature_cumulants.conditional import _theory_target


def test_conditional_moment_one_and_two_features_match_theory():
    # docs/theory.md section 5: E[phi_k^2|phi_<] = 1 + sum c3_kkq u_q + 1/2 sum c4_kkqq' (u_q u_q' - delta)
    for m in (1, 2, 3):
        assert sp.expand(fc.conditional_second_moment(m).expr - _theory_target(m)) == 0


def test_means_and_foreign_cumulants_drop_out_at_first_order():
    expr = fc.conditional_second_moment(2).expr
    names = {s.name for s in expr.free_symbols}
    assert not any(n.startswith("m_") for n in names)          # means cancel
    assert all(n.startswith("u_") or n[3:5] == "kk" for n in names)   # only c_{kk...}


def test_gaussian_features_give_one():
    cm = fc.conditional_second_moment(2)
    zero = {s: 0 for s in cm.expr.free_symbols if not s.name.startswith("u_")}
    assert cm.expr.subs(zero) == 1


def test_edgeworth2_has_c3_squared_terms():
    e = fc.conditional_second_moment(1, "edgeworth2").expr
    c = sp.Symbol("c3_k11", real=True)
    u = sp.Symbol("u_1", real=True)
    # the Edgeworth term 1/2 (c3_k11 He_(1,2))^2 / (2!)^2 integrated against u_0^2 gives c3_k11^2 He_4(u)/4
    assert sp.expand(e.coeff(c, 2) - sp.hermite_prob(4, u) / 4) == 0


def test_tensor_form_coefficients():
    assert fc.tensor_forms()["coefficients"] == {"a0": 1, "a1": 1, "a2": sp.Rational(1, 2), "a3": -sp.Rational(1, 2)}


def test_engine_and_exact_integration_give_shifted_ridge():
    d = fc.derive_input_ridge()
    V = d.exact["V"]
    assert sp.simplify(d.exact["sigma2_per_sample"] - (fc.SIGMA2 + V)) == 0
    assert sp.simplify(d.exact["sigma2_replica"] - (fc.SIGMA2 + V)) == 0
    assert d.exact["replica_prefactor_limit"] == 1
    lam, E = (next(s for s in d.engine["dV_dkappa"].free_symbols if s.name == n) for n in ("lambda_kappa", "E_kappa"))
    assert sp.simplify(d.engine["dV_dkappa"] + lam * E) == 0
    assert d.shell == 5      # sum_m Y_2m^2 = N(3, 2)
    tex = d.to_latex()
    assert tex.startswith("\\documentclass{article}") and tex.rstrip().endswith("\\end{document}")


