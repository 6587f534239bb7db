"""The gap study's pure parts: the claim rule (written before measuring) and the seeded k-means."""
import numpy as np

from symrg.studies.gap import gap_claim_verdict, kmeans


def _rec(target, n, real, sem, el, th):
    return {"target": target, "n": n, "real": real, "real_sem": sem, "eigenlearning": el, "theory": th}


def test_verdict_yes_no_unresolved():
    # a resolved 10% gap, closed by the theory within 1%
    yes = [_rec("a", 100, 1.10, 0.005, 1.0, 1.095), _rec("a", 200, 1.12, 0.005, 1.0, 1.115)]
    assert gap_claim_verdict(yes)["verdict"] == "yes"
    # the theory equals eigenlearning: the gap is not closed -> no
    no = [_rec("a", 100, 1.10, 0.005, 1.0, 1.0)]
    v = gap_claim_verdict(no)
    assert v["verdict"] == "no" and v["tests"]["closes"]["no"] == 1 and v["large_gap_targets"] == ["a"]
    # a theory worse than eigenlearning by 8% where there is no resolved gap -> no
    assert gap_claim_verdict([_rec("b", 50, 1.0, 0.01, 1.0, 1.08)])["verdict"] == "no"
    # noise so large that nothing is decided -> unresolved
    assert gap_claim_verdict([_rec("c", 50, 1.04, 0.03, 1.0, 1.03)])["verdict"] == "unresolved"
    # a 10% error of the theory is caught where the gap is resolved
    assert gap_claim_verdict([_rec("a", 100, 1.10, 0.005, 1.0, 1.10 * 1.1)])["verdict"] == "no"


def test_kmeans_seeded_and_separates_blobs():
    rng = np.random.default_rng(0)
    X = np.concatenate([c + 0.1 * rng.standard_normal((40, 2)) for c in ([0, 0], [5, 0], [0, 5])])
    a, b = kmeans(X, 3, seed=4), kmeans(X, 3, seed=4)
    assert np.array_equal(a, b)
    for j in range(3):
        assert np.unique(a[40 * j:40 * (j + 1)]).size == 1
    assert np.unique(a).size == 3
