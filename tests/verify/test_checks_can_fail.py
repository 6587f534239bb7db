"""Every check passes, and FAILS when its route A is perturbed by 10% (the proof that it can fail).

Every two-route check of the registry is named in a ``_fails`` call of this file
(:func:`test_every_two_route_check_has_a_can_fail_test`)."""
import dataclasses

import numpy as np
import pytest

import symrg.verify  # noqa: F401  (registers the checks)
from symrg.verify.registry import REGISTRY


def _run(name):
    c = REGISTRY[name]
    disc, detail = c.func()
    return float(disc), c.tolerance, detail


_PASSED: set = set()


def _passes(name):
    """The unperturbed check passes.  Every call comes before its test perturbs anything (monkeypatch undoes
    the perturbation after each test), so a check that passed once in this session is not run again."""
    if name in _PASSED:
        return
    disc, tol, detail = _run(name)
    assert np.isfinite(disc) and disc <= tol, f"{name}: {disc} > {tol}: {detail}"
    _PASSED.add(name)


def _fails(name):
    disc, tol, detail = _run(name)
    assert not disc <= tol, f"{name} still passes when route A is 10% off: {disc} <= {tol} ({detail})"


def _scaled(func, factor=1.1):
    def wrapped(*a, **k):
        return factor * np.asarray(func(*a, **k), dtype=float)
    return wrapped


def test_per_sample_integral(monkeypatch):
    import symrg.theory.gaussian as tg

    _passes("flow.per_sample_integral")
    d = tg.derive_gaussian_flow()
    monkeypatch.setattr(tg, "derive_gaussian_flow",
                        lambda: dataclasses.replace(d, per_sample_result=d.per_sample_result * 11 / 10))
    _fails("flow.per_sample_integral")


def test_marginal_likelihood(monkeypatch):
    import symrg.numerics.gp.reduced as gp   # ReducedGP.fit looks the solver up here

    _passes("flow.marginal_likelihood")
    orig = gp.weight_space_posterior_dense
    monkeypatch.setattr(gp, "weight_space_posterior_dense",
                        lambda *a: tuple(1.1 * np.asarray(v) for v in orig(*a)))
    _fails("flow.marginal_likelihood")


def test_constant_ridge_shift_fails_on_a_10_percent_shift_error(monkeypatch):
    """The issue's case: a 10% error injected into the renormalised-ridge shift c (sigma^2 + 1.1 c) must fail
    (the former band check passed it with discrepancy 0)."""
    from symrg.numerics.gp import ReducedGP

    _passes("flow.constant_ridge_shift")
    orig = ReducedGP.noise_variance

    def shifted(self, idx):
        D = orig(self, idx)
        return self.ridge + 1.1 * (D - self.ridge) if self.variant == "renormalized_const" else D
    monkeypatch.setattr(ReducedGP, "noise_variance", shifted)
    disc, tol, detail = _run("flow.constant_ridge_shift")
    assert disc >= 0.09 > tol, detail                     # the 10% shows up as a 10% discrepancy


def test_constant_ridge_shift_fails_on_a_wrong_tail_sum(monkeypatch):
    from symrg.spectra.empirical import EmpiricalSpectrum

    orig = EmpiricalSpectrum.tail_sum
    monkeypatch.setattr(EmpiricalSpectrum, "tail_sum", lambda self, kappa: 1.1 * orig(self, kappa))
    _fails("flow.constant_ridge_shift")


def test_constant_ridge_shift_fails_on_a_wrong_prediction(monkeypatch):
    from symrg.numerics.gp import ReducedGP

    orig = ReducedGP.predict
    monkeypatch.setattr(ReducedGP, "predict",
                        lambda self, idx: orig(self, idx) * (1.1 if self.variant == "renormalized_const" else 1.0))
    _fails("flow.constant_ridge_shift")


@pytest.mark.parametrize("which", ["flow_powerlaw", "sigma2_powerlaw_asymptotic"])
def test_ode_vs_closed_form(monkeypatch, which):
    from symrg._generated import gaussian_flow as g

    _passes("flow.ode_vs_closed_form")
    monkeypatch.setattr(g, which, _scaled(getattr(g, which)))
    _fails("flow.ode_vs_closed_form")


def test_symmetry_factors(monkeypatch):
    import symrg.engine as engine

    _passes("engine.symmetry_factors")
    orig = engine.wilson_step

    def off(*a, **k):
        res = orig(*a, **k)
        res.diagrams = [dataclasses.replace(d, symmetry_factor=d.symmetry_factor * 11 / 10) if d.loops == 1 else d
                        for d in res.diagrams]
        return res
    monkeypatch.setattr(engine, "wilson_step", off)
    _fails("engine.symmetry_factors")


def test_symmetry_factors_brute_force_is_exact():
    """The brute-force listing alone reproduces the textbook table (no engine involved)."""
    from collections import Counter

    from symrg.verify.checks_engine import TEXTBOOK_PHI4, brute_force_phi4

    assert brute_force_phi4(1) + brute_force_phi4(2) == Counter(row[:5] for row in TEXTBOOK_PHI4)


def test_kurtosis_mc(monkeypatch):
    import symrg.numerics.finite_width as fw

    _passes("finite_width.kurtosis_mc")
    orig = fw.excess_kurtosis
    monkeypatch.setattr(fw, "excess_kurtosis", lambda *a, **k: 1.1 * orig(*a, **k))
    _fails("finite_width.kurtosis_mc")


@pytest.mark.parametrize("name", ["input_ridge.non_gaussian_quadrature", "input_ridge.sphere_shells"])
def test_input_ridge_checks(monkeypatch, name):
    from symrg._generated import input_ridge as g

    _passes(name)
    monkeypatch.setattr(g, "sigma2_x", _scaled(g.sigma2_x))
    _fails(name)


def test_regeneration(monkeypatch):
    import sympy as sp

    import symrg.codegen.modules as cm

    _passes("codegen.regeneration_gaussian_flow")
    orig = cm.gaussian_flow_functions

    def off():
        f = dict(orig())
        args, expr, eq = f["flow_powerlaw"]
        f["flow_powerlaw"] = (args, expr * sp.Rational(11, 10), eq)
        return f
    monkeypatch.setattr(cm, "gaussian_flow_functions", off)
    _fails("codegen.regeneration_gaussian_flow")


@pytest.mark.parametrize("name", ["flow.ir_scale", "flow.error_exponent"])
def test_tightened_exponent_checks_fail_on_a_10_percent_slope_error(monkeypatch, name):
    import symrg.numerics.predictions as fl

    orig_fit, orig_pl = fl.fit_exponent, fl.powerlaw_exponent_check
    monkeypatch.setattr(fl, "fit_exponent", lambda x, y: (1.1 * orig_fit(x, y)[0], orig_fit(x, y)[1]))

    def pl(*a, **k):
        out = dict(orig_pl(*a, **k))
        out["rg_slope"] *= 1.1
        return out
    monkeypatch.setattr(fl, "powerlaw_exponent_check", pl)
    _fails(name)


@pytest.mark.parametrize("key", ["theory_rg", "theory_rg_budget", "theory_rg_selfconsistent", "theory_eigenlearning"])
@pytest.mark.parametrize("factor", [1.1, 0.9])
def test_learning_bands(monkeypatch, key, factor):
    """Regression pins (not two-route): a 10% change of the measured theory/simulation ratio fails them, and
    their detail shows the pinned and the measured ratio."""
    import symrg.verify.checks_flow as cf

    name = f"learning.{key.replace('theory_', '')}_band"
    assert REGISTRY[name].category == "regression"
    _passes(name)
    assert "pinned" in _run(name)[2] and "measured" in _run(name)[2]
    rows = cf.learning_curve_comparison()
    monkeypatch.setattr(cf, "learning_curve_comparison",
                        lambda: tuple({**r, key: factor * r[key]} for r in rows))
    _fails(name)


def test_selfconsistent_vs_eigenlearning(monkeypatch):
    import symrg.numerics.selfconsistent as sc

    _passes("flow.selfconsistent_vs_eigenlearning")
    orig = sc.selfconsistent_ridge
    monkeypatch.setattr(sc, "selfconsistent_ridge",
                        lambda *a: dataclasses.replace(orig(*a), sigma2=orig(*a).sigma2 * (1 + 1e-8)))
    _fails("flow.selfconsistent_vs_eigenlearning")


def _scaled_rhs(rhs, i, factor=1.1):
    """The fused ``rhs(kappa, y, params)`` with its component ``i`` scaled."""
    def wrapped(k, y, p):
        out = list(rhs(k, y, p))
        out[i] = factor * out[i]
        return out
    return wrapped


@pytest.mark.parametrize("path", ["fused", pytest.param("per-function", marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", ["running.mode_by_mode", "running.small_u_quadrature"])
@pytest.mark.parametrize("which", ["beta_sigma2", "beta_u"])
def test_running_flow_checks(monkeypatch, name, which, path):
    """Route A (the generated beta functions) 10% off: the flow no longer matches integrating the modes out one
    at a time, nor the exact per-input integral; on the module's fused rhs (what integrate_flow uses) and on the
    beta functions one by one (a module without rhs)."""
    from symrg._generated import ridge_quartic_flow as g

    _passes(name)
    if path == "fused":
        monkeypatch.setattr(g, "rhs", _scaled_rhs(g.rhs, ["beta_sigma2", "beta_u"].index(which)))
    else:
        monkeypatch.delattr(g, "rhs")
        monkeypatch.setattr(g, which, _scaled(getattr(g, which)))
    _fails(name)


@pytest.mark.parametrize("which", ["beta_u", "rhs", "jac"])
def test_running_flow_twin(monkeypatch, which):
    from symrg._generated import ridge_quartic_flow as g

    _passes("codegen.running_flow_twin")
    monkeypatch.setattr(g, which, _scaled(getattr(g, which)))
    _fails("codegen.running_flow_twin")


def test_running_flow_regeneration(monkeypatch):
    import sympy as sp

    import symrg.codegen.flows as cf

    _passes("codegen.regeneration_running_flow")
    orig = cf.running_flow_functions

    def off():
        f = dict(orig())
        args, expr, eq = f["beta_u"]
        f["beta_u"] = (args, expr * sp.Rational(11, 10), eq)
        return f
    monkeypatch.setattr(cf, "running_flow_functions", off)
    _fails("codegen.regeneration_running_flow")


def test_deep_kurtosis_mc(monkeypatch):
    import symrg.numerics.finite_width.deep as D

    _passes("finite_width.deep_kurtosis_mc")
    orig = D.deep_kurtosis_coefficient
    monkeypatch.setattr(D, "deep_kurtosis_coefficient", lambda *a, **k: 1.1 * orig(*a, **k))
    _fails("finite_width.deep_kurtosis_mc")


def test_deep_lowering(monkeypatch):
    from symrg._generated import deep_finite_width as g

    _passes("finite_width.deep_lowering")
    for act in ("relu", "erf", "step"):
        monkeypatch.setattr(g, f"{act}_vertex", _scaled(getattr(g, f"{act}_vertex")))
    _fails("finite_width.deep_lowering")


def test_second_order_exact(monkeypatch):
    import symrg.numerics.finite_width.second_order as so

    _passes("finite_width.second_order_exact")
    orig = so.second_order_from_units

    def off(*a, **k):
        m0, c1, c2 = orig(*a, **k)
        return m0, c1, 1.1 * c2
    monkeypatch.setattr(so, "second_order_from_units", off)
    _fails("finite_width.second_order_exact")


@pytest.mark.slow
def test_deep_posterior(monkeypatch):
    import symrg.numerics.finite_width.deep_posterior as DP

    _passes("finite_width.deep_posterior")             # route B (the network Monte Carlo) is memoised
    orig = DP.deep_one_over_n_coefficient

    def off(*a, **k):
        r = orig(*a, **k)
        return dataclasses.replace(r, c=1.1 * r.c)
    monkeypatch.setattr(DP, "deep_one_over_n_coefficient", off)
    _fails("finite_width.deep_posterior")


# --------------------------------------------------------------------------------------------------
# the two-route checks that had no can-fail test yet
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["spectrum.circle_exact", "spectrum.fast_vs_mp"])
def test_funk_hecke_fast_10_percent_off(monkeypatch, name):
    import symrg.spectra.funk_hecke as fh

    _passes(name)
    monkeypatch.setattr(fh, "funk_hecke_fast", _scaled(fh.funk_hecke_fast))
    _fails(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["spectrum.fast_vs_mp_circle_l200", "spectrum.fast_vs_mp_d784"])
def test_funk_hecke_fast_10_percent_off_full(monkeypatch, name):
    """The --full twins of spectrum.fast_vs_mp (minutes of mpmath quadrature)."""
    import symrg.spectra.funk_hecke as fh

    monkeypatch.setattr(fh, "funk_hecke_fast", _scaled(fh.funk_hecke_fast))
    _fails(name)


def test_sum_rule(monkeypatch):
    import symrg.spectra.funk_hecke as fh

    _passes("spectrum.sum_rule")
    orig = fh.sphere_spectrum
    monkeypatch.setattr(fh, "sphere_spectrum",
                        lambda *a, **k: dataclasses.replace(orig(*a, **k), eigenvalues=1.1 * orig(*a, **k).eigenvalues))
    _fails("spectrum.sum_rule")


def test_hurwitz(monkeypatch):
    from symrg._generated import gaussian_flow as g

    _passes("flow.hurwitz")
    monkeypatch.setattr(g, "sigma2_powerlaw", _scaled(g.sigma2_powerlaw))
    _fails("flow.hurwitz")


def test_reduced_full_rank(monkeypatch):
    from symrg.numerics.gp import ReducedGP

    _passes("gp.reduced_full_rank")
    orig = ReducedGP.predict
    monkeypatch.setattr(ReducedGP, "predict", lambda self, idx: 1.1 * orig(self, idx))
    _fails("gp.reduced_full_rank")


def test_phi4_quadrature(monkeypatch):
    import sympy as sp

    import symrg.engine as engine

    _passes("engine.phi4_quadrature")
    orig = engine.wilson_step

    def off(*a, **k):
        res = orig(*a, **k)
        res.by_order = [{m: c * sp.Rational(11, 10) for m, c in d.items()} for d in res.by_order]
        return res
    monkeypatch.setattr(engine, "wilson_step", off)
    _fails("engine.phi4_quadrature")


def test_four_point_closed_form(monkeypatch):
    import symrg.numerics.finite_width as fw

    _passes("finite_width.four_point_closed_form")
    monkeypatch.setattr(fw, "relu_pair_moment", _scaled(fw.relu_pair_moment))
    _fails("finite_width.four_point_closed_form")


def test_engine_vs_covariance(monkeypatch):
    import symrg.theory.finite_width as tfw

    _passes("finite_width.engine_vs_covariance")
    monkeypatch.setattr(tfw, "edgeworth_posterior_shift", _scaled(tfw.edgeworth_posterior_shift))
    _fails("finite_width.engine_vs_covariance")


@pytest.mark.slow
def test_constant_ridge_shift_mnist(monkeypatch):
    from symrg.numerics.gp import ReducedGP

    orig = ReducedGP.noise_variance

    def shifted(self, idx):
        D = orig(self, idx)
        return self.ridge + 1.1 * (D - self.ridge) if self.variant == "renormalized_const" else D
    monkeypatch.setattr(ReducedGP, "noise_variance", shifted)
    _fails("flow.constant_ridge_shift_mnist")


def test_every_two_route_check_has_a_can_fail_test():
    """Every two-route check of the registry is named (as a string literal) in this file, where a test perturbs
    one route by 10% and asserts the failure."""
    import re
    from pathlib import Path

    named = set(re.findall(r'"([a-z_]+\.[a-z0-9_]+)"', Path(__file__).read_text(encoding="utf-8")))
    two_route = {n for n, c in REGISTRY.items() if c.category == "two-route" and not n.startswith(("zz.", "user."))}
    assert two_route, "no two-route checks registered"
    assert not two_route - named, f"two-route checks without a can-fail test: {sorted(two_route - named)}"
