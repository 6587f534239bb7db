"""Isserlis pairings and Gaussian moments (docs/theory.md section 3): counts and brute force."""
import math

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from symrg.engine.wick import (count_perfect_matchings, double_factorial, gaussian_moment,
                               matching_weight, perfect_matchings)


@given(st.integers(min_value=0, max_value=5))
@settings(max_examples=20, deadline=None)
def test_number_of_perfect_matchings_is_double_factorial(n):
    """Isserlis: 2n points have (2n - 1)!! pairings, each listed once and each a partition."""
    ms = list(perfect_matchings(range(2 * n)))
    assert len(ms) == double_factorial(2 * n - 1) == count_perfect_matchings(2 * n)
    keys = {frozenset(frozenset(p) for p in m) for m in ms}
    assert len(keys) == len(ms)
    for m in ms:
        assert sorted(x for p in m for x in p) == list(range(2 * n))


@given(st.integers(min_value=0, max_value=4))
@settings(max_examples=10, deadline=None)
def test_odd_point_sets_have_no_matching(n):
    assert list(perfect_matchings(range(2 * n + 1))) == []
    assert count_perfect_matchings(2 * n + 1) == 0


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5])
def test_gaussian_moment_by_quadrature(n):
    """<b^{2n}> = (2n-1)!! G^n checked by mpmath quadrature at 40 digits."""
    G = mpmath.mpf("0.37")
    with mpmath.workdps(40):
        q = mpmath.quad(lambda b: b ** (2 * n) * mpmath.exp(-b * b / (2 * G)), [-mpmath.inf, 0, mpmath.inf])
        q /= mpmath.sqrt(2 * mpmath.pi * G)
        assert abs(q - gaussian_moment((2 * n,), (G,))) < mpmath.mpf(10) ** -35 * max(1, abs(q))
    assert gaussian_moment((2 * n + 1,), (G,)) == 0


def test_gaussian_moment_symbolic_and_multivariate():
    G1, G2 = sp.symbols("G1 G2", positive=True)
    assert gaussian_moment((4, 2), (G1, G2)) == 3 * G1 ** 2 * G2
    assert gaussian_moment((2, 1), (G1, G2)) == 0


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=3))
@settings(max_examples=30, deadline=None)
def test_matching_weight_sums_to_all_matchings(degs):
    """Grouping matchings by their multigraph loses none: sum of weights = (n-1)!!."""
    from symrg.engine.diagrams import _sym_matrices
    total = sum(degs)
    s = 0
    for m in _sym_matrices(degs):
        loops = [m.get((i, i), 0) for i in range(len(degs))]
        s += matching_weight(degs, loops, {k: v for k, v in m.items() if k[0] != k[1]})
    assert s == count_perfect_matchings(total)


def test_double_factorial_values():
    assert [double_factorial(k) for k in range(-1, 8)] == [1, 1, 1, 2, 3, 8, 15, 48, 105]
    assert double_factorial(9) == math.prod([9, 7, 5, 3, 1])
