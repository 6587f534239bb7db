"""Flows of running couplings integrated over discrete modes and over the continuum
(symrg.numerics.running.integrate_flow; docs/theory.md section 3).

References, independent of the flow:
* the ridge alone: removing the modes k = B+1..A adds their variances, sigma2 + sum_k A k^-(1+alpha) (a NumPy sum);
  the continuum from A to B adds the integral A (B^-alpha - A^-alpha)/alpha (closed form);
* the quartic coupling: each mode integrated out exactly by Gauss-Hermite quadrature with the current couplings
  (symrg.numerics.running.integrate_modes, no code shared with the engine or the generated module).
"""
import importlib.util

import numpy as np
import pytest

from symrg._generated import ridge_quartic_flow as gen
from symrg.errors import ParameterError
from symrg.numerics.running import integrate_flow, integrate_modes

A, ALPHA, S2 = 0.01, 0.5, 0.01


def _lams(k_uv, k_ir):
    return A * np.arange(k_uv, k_ir, -1.0) ** (-1 - ALPHA)


def _discrete(u, k_uv=1000, k_ir=10, module=gen, **kw):
    return integrate_flow(module, {"sigma2": S2, "u": u}, {"A": A, "alpha": ALPHA}, k_uv, k_ir, points=20,
                          shells="discrete", mode="kappa", **kw)


def test_ridge_alone_discrete_is_the_mode_sum_and_continuum_the_integral():
    d = _discrete(0.0)
    c = integrate_flow(gen, {"sigma2": S2, "u": 0.0}, {"A": A, "alpha": ALPHA}, 1000, 10, points=20)
    mode_sum = S2 + _lams(1000, 10).sum()                                   # modes 11..1000
    integral = S2 + A * (10 ** -ALPHA - 1000 ** -ALPHA) / ALPHA
    assert abs(d.values["sigma2"][-1] - mode_sum) < 1e-12 * mode_sum
    assert abs(c.values["sigma2"][-1] - integral) < 1e-8 * integral
    # at every output cutoff kappa, the modes kappa+1..1000 are out
    for kap, s2 in zip(d.kappa, d.values["sigma2"]):
        assert kap == int(kap) and abs(s2 - (S2 + _lams(1000, int(kap)).sum())) < 1e-12 * s2
    # the continuum overcounts the power of the modes 11..1000 by 2.8% (the numbers)
    assert round(float(c.values["sigma2"][-1]), 7) == 0.0156921 and round(float(d.values["sigma2"][-1]), 7) == 0.0155381
    assert 0.027 < (integral - S2) / (mode_sum - S2) - 1 < 0.029
    assert d.method == "DOP853 per mode" and d.error_estimate < 1e-12


@pytest.mark.parametrize("u0", [100.0, 1000.0, 4000.0])
def test_quartic_discrete_against_the_modes_one_at_a_time(u0):
    """The discrete flow integrates each mode out exactly up to the degree-4 projection (docs/theory.md section 3):
    against the exact per-mode route it differs by the bubble inside each mode only, O(u^2 lambda_k^2), far below the
    change of each coupling (measured: 6e-6, 6e-5, 2.2e-4 of it at u0 = 100, 1000, 4000, growing as u0: the bubble;
    the continuum 1000 -> 10 is 2.8% off in sigma2 and 0.8% in u)."""
    d = _discrete(u0)
    v = integrate_modes(np.array([0.0, 0.0, 1 / (2 * S2), 0.0, u0 / 24]), _lams(1000, 10))
    ref = np.array([1 / (2 * v[2]), 24 * v[4]])
    got = np.array([d.values["sigma2"][-1], d.values["u"][-1]])
    change = np.abs(ref - np.array([S2, u0]))
    assert np.all(np.abs(got - ref) / change < 5e-4), (got, ref)


@pytest.mark.parametrize("path", ["fused", "per-function"])
def test_a_ten_percent_error_in_a_beta_function_fails(monkeypatch, path):
    """A beta function 10% off is caught, on the fused right-hand side (the module's rhs, what integrate_flow uses)
    and on the beta functions one by one (the path of a module without rhs)."""
    v = integrate_modes(np.array([0.0, 0.0, 1 / (2 * S2), 0.0, 1000.0 / 24]), _lams(1000, 10))
    ref = np.array([1 / (2 * v[2]), 24 * v[4]])
    for i, name in enumerate(("beta_sigma2", "beta_u")):
        if path == "fused":
            f = gen.rhs
            scale = [1.1 if j == i else 1.0 for j in range(2)]
            monkeypatch.setattr(gen, "rhs", lambda k, y, p, f=f, s=scale: [a * b for a, b in zip(f(k, y, p), s)])
        else:
            f = getattr(gen, name)
            monkeypatch.delattr(gen, "rhs")
            monkeypatch.setattr(gen, name, lambda *a, f=f: 1.1 * f(*a))
        d = _discrete(1000.0)
        monkeypatch.undo()
        got = np.array([d.values["sigma2"][-1], d.values["u"][-1]])
        assert np.max(np.abs(got - ref) / np.abs(ref - np.array([S2, 1000.0]))) > 5e-4


def test_scaled_couplings_with_the_mode_as_an_argument(tmp_path):
    """ridge_quartic_scaled.toml has the cutoff in its action too (s = sigma2 kappa^alpha/A), so the mode index is an
    argument of its own (write_module(..., modes=True)); at v = 0, s(kappa) = (sigma2 + sum_{k > kappa} lambda_k)
    kappa^alpha/A exactly."""
    from symrg.codegen.flows import write_module
    from symrg.engine import example_path, load_action
    from symrg.engine.running import derive_flow

    path, _ = write_module(derive_flow(load_action(example_path("ridge_quartic_scaled"))), tmp_path / "sc.py",
                           modes=True)
    spec = importlib.util.spec_from_file_location("sc", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    s0 = S2 * 1000 ** ALPHA / A
    d = integrate_flow(mod, {"s": s0, "v": 0.0}, {"alpha": ALPHA}, 1000, 10, points=6, shells="discrete", mode="k")
    for kap, s in zip(d.kappa, d.values["s"]):
        ref = (S2 + _lams(1000, int(kap)).sum()) * kap ** ALPHA / A
        assert abs(s - ref) < 1e-9 * ref, (kap, s, ref)
    with pytest.raises(ParameterError, match="mode"):
        integrate_flow(mod, {"s": s0, "v": 0.0}, {"alpha": ALPHA}, 1000, 10, shells="discrete")
    with pytest.raises(ParameterError, match="mode index"):
        integrate_flow(mod, {"s": s0, "v": 0.0}, {"alpha": ALPHA, "k": 3.0}, 1000, 10, shells="discrete", mode="k")


def test_restoring_modes_runs_the_flow_backwards():
    d = _discrete(0.0, 10, 1000)
    assert abs(d.values["sigma2"][-1] - (S2 - _lams(1000, 10).sum())) < 1e-12 * S2


@pytest.mark.parametrize("kw,word", [
    ({"kappa_from": 1000.5}, "kappa_from"),
    ({"kappa_to": 10.5}, "kappa_to"),
    ({"shells": "lattice"}, "shells"),
])
def test_discrete_refusals(kw, word):
    args = {"kappa_from": 1000, "kappa_to": 10, "shells": "discrete"} | kw
    with pytest.raises(ParameterError, match=word):
        integrate_flow(gen, {"sigma2": S2, "u": 0.0}, {"A": A, "alpha": ALPHA}, args["kappa_from"], args["kappa_to"],
                       shells=args["shells"], mode="kappa")


def test_the_bubble_comes_back_through_the_sextic_operator(tmp_path):
    """docs/theory.md section 3: the u^2 bubble is second order in the shell width, so the flow drops it per shell; the
    iterated flow regenerates it through the a^6 operator (the tree of two quartic vertices, then its tadpole).  With
    the degree-4 projection the flow misses it (u off the exact integral over the modes 11..1000 by 6.5e-4 of its
    change at u0 = 100); with a running a^6 coupling w the miss drops to 2e-6 (the next order).  The exact integral:
    mpmath quadrature of -log ∫ dg N(g; 0, c) exp(-V(h + g)) (symrg.verify.checks_running.exact_per_input)."""
    import sympy as sp

    from symrg.codegen.flows import write_module
    from symrg.engine import make_action
    from symrg.engine.running import derive_flow
    from symrg.verify.checks_running import exact_per_input

    a, b = sp.symbols("a b")
    s2, u, w = sp.Symbol("sigma2", positive=True), sp.Symbol("u", real=True), sp.Symbol("w", real=True)
    A_, al = sp.symbols("A alpha", positive=True)
    act = make_action([a], {b: "A*k**(-1-alpha)"}, "(a + b)**2/(2*sigma2) + u/24*(a + b)**4 + w/720*(a + b)**6",
                      parameters=[s2, u, w, A_, al], running={s2: "a**2", u: "a**4", w: "a**6"})
    flow = derive_flow(act)
    assert flow.cutoff_only_in_modes
    path, _ = write_module(flow, tmp_path / "sextic.py")
    spec = importlib.util.spec_from_file_location("sextic", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    u0 = 100.0
    exact = exact_per_input(S2, u0)
    change = np.abs(exact - np.array([S2, u0]))
    d4 = _discrete(u0)
    d6 = integrate_flow(mod, {"sigma2": S2, "u": u0, "w": 0.0}, {"A": A, "alpha": ALPHA}, 1000, 10, points=2,
                        shells="discrete", mode="kappa")
    miss4 = abs(d4.values["u"][-1] - exact[1]) / change[1]
    miss6 = abs(d6.values["u"][-1] - exact[1]) / change[1]
    assert 3e-4 < miss4 < 1.3e-3 and miss6 < 2e-5, (miss4, miss6)
