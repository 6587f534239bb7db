"""``import symrg as rg``: the one-namespace API (symrg/api.py), against independent computations."""
import numpy as np
import pytest

import symrg as rg
from symrg.errors import ParameterError


def test_every_facade_name_resolves_lazily():
    for name in rg._API:
        assert callable(getattr(rg, name)) or isinstance(getattr(rg, name), type)
        assert name in dir(rg)
    with pytest.raises(AttributeError):
        rg.no_such_thing  # noqa: B018


def test_action_from_example_name_path_text_and_mapping_agree():
    from symrg.engine import example_path
    from symrg.engine.spec import read_toml

    path = example_path("phi4_0d")
    a = rg.action("phi4_0d")
    for other in (rg.action(path), rg.action(str(path)), rg.action(path.read_text(), name="phi4_0d"),
                  rg.action(read_toml(path), name="phi4_0d")):
        assert other.interaction == a.interaction and other.kept == a.kept and other.integrated == a.integrated
    assert rg.action(a) is a
    with pytest.raises(ParameterError, match="source"):
        rg.action(42)


def test_solve_removes_the_discrete_modes_exactly():
    """u = 0 leaves the ridge alone: sigma2(10) = sigma2(1000) + sum_{k=11}^{1000} A k^-(1+alpha), a plain
    NumPy sum that shares no code with the derived, lowered and integrated flow."""
    A, alpha, s0 = 0.01, 0.5, 0.01
    sol = rg.solve("ridge_quartic_flow", init={"sigma2": s0, "u": 0.0}, params={"A": A, "alpha": alpha},
                   kappa_from=1000, kappa_to=10)
    k = np.arange(11, 1001, dtype=float)
    assert sol.shells == "discrete" and sol.modes == (11, 1000)
    assert sol["sigma2"][-1] == pytest.approx(s0 + np.sum(A * k ** -(1 + alpha)), rel=1e-12)
    assert sol.to_dict()["sigma2"][-1] == sol["sigma2"][-1]
    assert "<table>" in sol._repr_html_()
    with pytest.raises(ParameterError, match="kappa_to"):
        rg.solve("ridge_quartic_flow", init={"sigma2": s0, "u": 0.0}, params={"A": A, "alpha": alpha},
                 kappa_from=1000, kappa_to=10.5)


def test_lower_returns_an_imported_module_with_its_twin():
    fl = rg.flow("ridge_quartic_flow")
    mod = rg.lower(fl)
    assert hasattr(mod, "__file__") and any(n.startswith("beta_") for n in dir(mod))


def test_predict_on_a_sphere_spectrum_is_the_eigenlearning_equation():
    """The eigenlearning effective ridge solves n = sum_l N_l lambda_l/(lambda_l + kappa) + ridge/kappa: checked
    on the spectrum's own numbers with a plain NumPy bisection (independent of symrg's closure)."""
    spec = rg.sphere("relu", depth=2, dim=5, lmax=60)
    n, ridge = 100, 1e-2
    p = rg.predict(spec, ridge=ridge, n=n)
    assert set(p) >= {"rg", "rg_selfconsistent", "eigenlearning"}
    lam = np.asarray(spec.eigenvalues, float)
    mult = np.exp(np.asarray(spec.log_multiplicities, float))
    tail = spec.k1 - float(np.sum(lam * mult))

    def f(kap):   # the tail's modes are far below kappa: they add tail/kappa
        return np.sum(mult * lam / (lam + kap)) + (ridge + tail) / kap - n
    lo, hi = 1e-12, 1e3
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    kappa_eff = p["eigenlearning"].effective_ridge                # the root kappa of the equation above
    assert kappa_eff == pytest.approx(np.sqrt(lo * hi), rel=1e-6)
    assert 0 < p["eigenlearning"].test_error < 1


def test_solve_says_when_the_flow_leaves_its_range(capsys):
    """The loop parameter |u| G along the flow: tiny at u = 1, about 0.5 at u = 1e4 (outside), where symrg solve
    warns on stderr (issue 21: expansions know their validity)."""
    from symrg.cli import main

    small = rg.solve("ridge_quartic_flow", init={"sigma2": 0.01, "u": 1.0}, params={"A": 0.01, "alpha": 0.5},
                     kappa_from=1000, kappa_to=10)
    ref = float(np.max(np.abs(small["u"]) * 0.01 * small.kappa ** -1.5))     # |u(kappa)| A kappa^-(1+alpha)
    assert small.validity["ok"] and small.validity["value"] == pytest.approx(ref, rel=1e-12)
    assert main(["solve", "ridge_quartic_flow", "--kappa-from", "1000", "--kappa-to", "10", "--init",
                 "sigma2=0.01,u=1e4", "--param", "A=0.01,alpha=0.5", "--json"]) == 0
    out, err = capsys.readouterr()
    import json

    assert json.loads(out)["validity"]["ok"] is False and "outside its range" in err
