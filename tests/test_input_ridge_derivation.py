"""Derivation and generated code of the input-dependent ridge (THEORY.md section 5)."""
import importlib

import mpmath
import numpy as np
import pytest
import sympy as sp

from symrg.models import feature_cumulants as fc


def test_conditional_moment_one_and_two_features_match_theory():
    # THEORY.md sec. 5: E[phi_k^2|phi_<] = 1 + sum c3_kkq u_q + 1/2 sum c4_kkqq' (u_q u_q' - delta)
    for m in (1, 2, 3):
        assert sp.expand(fc.conditional_second_moment(m).expr - fc._theory_target(m)) == 0


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


def test_regeneration_is_byte_identical(tmp_path):
    assert set(fc.regenerate_input_ridge(check=True).values()) == {"unchanged"}
    fc.regenerate_input_ridge(out_dir=tmp_path)
    from symrg.codegen import generated_dir
    for name in ("input_ridge.py", "input_ridge_mp.py"):
        assert (tmp_path / name).read_bytes() == (generated_dir() / name).read_bytes()


def test_header_hash_matches_source():
    g = importlib.import_module("symrg._generated.input_ridge")
    gm = importlib.import_module("symrg._generated.input_ridge_mp")
    h = fc._source_hash(fc.input_ridge_functions())
    assert g.SOURCE_SHA256 == gm.SOURCE_SHA256 == h
    assert f"inputs_sha256: {h}" in open(g.__file__).read()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_matches_mpmath_twin(seed):
    g = importlib.import_module("symrg._generated.input_ridge")
    gm = importlib.import_module("symrg._generated.input_ridge_mp")
    rng = np.random.default_rng(seed)
    n, K, m = 5, 4, 3
    lam = rng.random(K)
    phi = rng.normal(size=(n, m))
    c3 = 0.3 * rng.normal(size=(K, m))
    c4 = 0.2 * rng.normal(size=(K, m, m))
    c4 = (c4 + c4.transpose(0, 2, 1)) / 2
    c4d = np.einsum("kqq->kq", c4)
    calls = {"sigma2_x": (0.1, lam, phi, c3, c4), "sigma2_x_diag": (0.1, lam, phi, c3, c4d),
             "cond_moment": (phi, c3, c4), "cond_moment_diag": (phi, c3, c4d), "flow_x": (lam, phi, c3, c4)}
    with mpmath.workdps(40):
        for name, args in calls.items():
            a = np.asarray(getattr(g, name)(*args))
            b = np.array(getattr(gm, name)(*args), dtype=float)
            assert a.shape == b.shape
            assert np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)) < 1e-12, name
    # and both equal the formula written out per input and mode
    E = np.array([[1 + c3[k] @ phi[i] + 0.5 * (phi[i] @ c4[k] @ phi[i] - np.trace(c4[k])) for k in range(K)]
                  for i in range(n)])
    np.testing.assert_allclose(g.sigma2_x(0.1, lam, phi, c3, c4), 0.1 + E @ lam, rtol=1e-13)
    np.testing.assert_allclose(g.flow_x(lam, phi, c3, c4), -E * lam, rtol=1e-13)
