"""Expansions know their validity (issue 21, item 6): symrg.numerics.validity.

Reference for the O(1/N) kurtosis: deep ReLU networks have E f^4/(E f^2)^2 = 3 (1 + 5/N)^L to all orders
(each layer multiplies the ratio by the same factor), which the weight Monte Carlo confirms here at one point;
the neglected orders are then 3[(1+5/N)^L - 1] - 15 L/N exactly.
"""
import math

import pytest

from symrg.numerics.finite_width.deep import deep_kurtosis_coefficient
from symrg.numerics.finite_width.deep_montecarlo import deep_kurtosis_mc
from symrg.numerics.validity import kurtosis_validity, one_loop_validity


def _relu_exact(L, N):
    return 3 * ((1 + 5 / N) ** L - 1)


def test_relu_all_orders_formula_against_the_weight_monte_carlo():
    k, se = deep_kurtosis_mc("relu", 3, 8, 60_000, 0, method="weights")
    assert abs(k - _relu_exact(3, 8)) < 4 * se                 # 9.87; the O(1/N) value 5.6 is 10 se away
    assert abs(k - 15 * 3 / 8) > 4 * se


@pytest.mark.parametrize("L,N", [(1, 4), (1, 1000), (2, 16), (3, 64), (5, 100), (10, 16), (50, 50), (200, 64),
                                 (10_000, 16), (10, 10_000), (1000, 100_000)])
def test_kurtosis_validity_follows_the_neglected_orders(L, N):
    c = deep_kurtosis_coefficient("relu", L)
    assert c == pytest.approx(15 * L, rel=1e-12)
    v = kurtosis_validity(c, L, N)
    # 3 [(1+a)^L - 1 - L a] = 3 sum_{j>=2} C(L,j) a^j: positive terms, no cancellation
    a, terms, t = 5 / N, [], L * (L - 1) / 2 * (5 / N) ** 2
    for j in range(2, L + 1):
        terms.append(t)
        t *= (L - j) / (j + 1) * a
        if t == 0 or t < 1e-18 * terms[0] or not math.isfinite(t):
            break
    true_rest = 3 * math.fsum(terms) if math.isfinite(t) else math.inf
    true_rel = true_rest / (c / N)
    # the estimate is the exact second order: below the true rest, and close to it while the series converges
    assert v.next_order <= true_rest * (1 + 1e-9) + 1e-300
    if true_rel < 0.3:
        assert v.next_order >= 0.8 * true_rest
    assert v.ok == (v.relative <= 0.1)
    if true_rel > 0.13:
        assert not v.ok
    if true_rel < 0.09:
        assert v.ok
    assert v.to_dict()["parameter"] == "depth/width" and v.to_dict()["value"] == L / N
    assert (v.warning("finite-width") is None) == v.ok


def test_one_loop_validity():
    ok = one_loop_validity(0.01, leading=2.0)
    assert ok.ok and ok.next_order == pytest.approx(0.02) and ok.warning("solve") is None
    bad = one_loop_validity(-3.0, leading=1.0)
    assert not bad.ok and bad.value == 3.0 and "outside its range" in bad.warning("solve")
    assert bad.to_dict()["parameter"] == "u sigma^2"
