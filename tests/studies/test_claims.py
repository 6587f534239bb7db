"""The claims' decision rules: three verdicts from the intervals of both sides (claims.py)."""
import pytest

from symrg.studies.report import claims as C


def test_within_is_an_equivalence_test():
    assert C.within((-0.01, 0.02), 0.05).verdict == "yes"
    assert C.within((0.06, 0.2), 0.05).verdict == "no"
    assert C.within((-0.2, -0.051), 0.05).verdict == "no"
    v = C.within((0.01, 0.1), 0.05)
    assert v.verdict == "unresolved" and "shrink" in v.why


def test_agreement_uses_both_intervals():
    # the digits row of the old report: prediction range -0.73..-0.30 overlaps the measured -0.392..-0.317
    assert C.agreement((-0.73, -0.30), (-0.392, -0.317), 0.05).verdict == "unresolved"
    # a point prediction against a tight measurement
    assert C.agreement(-0.5, (-0.51, -0.49), 0.05).verdict == "yes"
    assert C.agreement(-0.5, (-0.62, -0.56), 0.05).verdict == "no"     # 0.06..0.12 off
    # a 10% error on a slope of -0.5 with a tight interval is a "no"
    assert C.agreement(-0.5, (-0.553, -0.547), 0.04).verdict == "no"


def test_at_most_at_least_and_sign():
    assert C.at_most((0.1, 0.2), 0.25).verdict == "yes"
    assert C.at_most((0.26, 0.3), 0.25).verdict == "no"
    assert C.at_most((0.2, 0.3), 0.25).verdict == "unresolved"
    assert C.at_least((3.5, 9), 3).verdict == "yes"
    assert C.at_least((1, 2.9), 3).verdict == "no"
    assert C.sign_of((-0.3, -0.1)).verdict == "yes"
    assert C.sign_of((0.1, 0.3)).verdict == "no"
    assert C.sign_of((-0.1, 0.3)).verdict == "unresolved"


def test_all_of_and_the_truth_value_is_refused():
    y, n, u = C.Verdict("yes"), C.Verdict("no"), C.Verdict("unresolved")
    assert C.all_of([y, y]).verdict == "yes"
    assert C.all_of([y, u]).verdict == "unresolved"
    assert C.all_of([u, n, y]).verdict == "no"
    assert C.all_of([]).verdict == "unresolved"
    with pytest.raises(TypeError):
        bool(y)
    with pytest.raises(ValueError):
        C.Verdict("maybe")


def test_accuracy_point_inside_noise_is_unresolved_not_no():
    ev = [{"setting": "s", "family": "sphere", "n": 10, "sim": 1.0, "sem": 0.05, "in_regime": True,
           "theory_rg": 1.26}]   # 26% off at the point, but the simulation's interval reaches 0.25
    row = {r["key"]: r for r in C.decide({"accuracy_theory_rg": ev})}["accuracy_theory_rg"]
    assert row["verdict"] == "unresolved"
    ev[0]["sem"] = 0.001
    row = {r["key"]: r for r in C.decide({"accuracy_theory_rg": ev})}["accuracy_theory_rg"]
    assert row["verdict"] == "no"
    ev[0]["theory_rg"] = 1.1
    row = {r["key"]: r for r in C.decide({"accuracy_theory_rg": ev})}["accuracy_theory_rg"]
    assert row["verdict"] == "yes"


def test_finite_width_tie_is_not_a_loss():
    cells = [{"cell": "a", "z": -4.0}, {"cell": "b", "z": 0.1}]
    assert C.decide({"finite_width": cells})[0]["verdict"] == "yes"
    cells.append({"cell": "c", "z": 2.5})
    assert C.decide({"finite_width": cells})[0]["verdict"] == "no"
    assert C.decide({"finite_width": [{"cell": "b", "z": 0.1}]})[0]["verdict"] == "unresolved"


def _fair(**kw):
    rec = {"dataset": "x", "ns": [30, 300, 3000], "pool": 60000, "trials": 16, "fit_window": [40, 900],
           "kappa_star_range": [35.2, 950.0], "listed_modes": 3000, "predicted_slope": -0.2,
           "predicted_slope_ci": [-0.22, -0.18], "measured_slope": -0.21, "measured_slope_ci": [-0.225, -0.195]}
    rec.update(kw)
    return rec


def test_scaling_recipe_and_verdict():
    assert C.scaling_recipe(_fair()) == []
    assert C.slope_verdict(_fair()).verdict == "yes"
    for bad, word in ((dict(trials=4), "trials"), (dict(ns=[100, 300, 3000]), "decades"),
                      (dict(pool=10000), "P/20"), (dict(fit_window=[100, 1000]), "fit window"),
                      (dict(listed_modes=1000), "listed modes")):
        v = C.slope_verdict(_fair(**bad))
        assert v.verdict == "unresolved" and word in v.why
    assert C.slope_verdict(_fair(measured_slope_ci=[-0.36, -0.30])).verdict == "no"
    row = C.decide({"real_data_scaling": [_fair(), _fair(dataset="y", trials=3)]})[0]
    assert row["verdict"] == "unresolved" and row["evidence"] == "computed in this run"


def test_ridge_dominated_claim_needs_gamma_below_one():
    ev = [_fair(gamma=0.98)]
    row = {r["key"]: r for r in C.decide({"real_data_scaling_ridge": ev})}["real_data_scaling_ridge"]
    assert row["verdict"] == "unresolved" and "gamma" in row["why"]
    ev = [_fair(gamma=0.6)]
    row = {r["key"]: r for r in C.decide({"real_data_scaling_ridge": ev})}["real_data_scaling_ridge"]
    assert row["verdict"] == "yes"


def test_eigenlearning_slope_claim_reads_the_ratio_slope():
    ok = _fair(eigenlearning_slope=-0.2, eigenlearning_gap_slope_ci=[-0.01, 0.03])
    bad = _fair(eigenlearning_slope=-0.2, eigenlearning_gap_slope_ci=[0.06, 0.09])
    rows = {r["key"]: r for r in C.decide({"real_data_scaling_eigenlearning": [ok]})}
    assert rows["real_data_scaling_eigenlearning"]["verdict"] == "yes"
    rows = {r["key"]: r for r in C.decide({"real_data_scaling_eigenlearning": [ok, bad]})}
    assert rows["real_data_scaling_eigenlearning"]["verdict"] == "no"
