"""The O(1/N^2) posterior mean of a one-hidden-layer network (symrg.numerics.finite_width.second_order)
against exact enumeration of the finite-width ensemble and against the O(1/N) routes."""
import numpy as np
import pytest
import sympy as sp

from symrg.errors import ParameterError
from symrg.numerics.finite_width import kernel_fluctuation_cov, one_over_n_from_cov
from symrg.numerics.finite_width.moments import _second_moments
from symrg.numerics.finite_width.posterior import _sphere_problem
from symrg.numerics.finite_width.second_order import (discrete_law_posterior_exact, second_order_coefficient,
                                                      second_order_from_units)
from symrg.theory.finite_width import derive_second_order_posterior


def test_expansion_first_order_is_eq_p():
    syms, c1, c2 = derive_second_order_posterior()
    # O(1/N): E[t^2 coefficient of p m] - m0 E[t^2 coefficient of p] (eq. P); c2 involves the t^3 and pair terms
    assert sp.simplify(c1 - (syms["f2"] - syms["f0"] * syms["z2"])) == 0
    assert {syms[k] for k in ("f3", "f22", "z3", "z22")} <= c2.free_symbols


def _richardson_c2(Phi, p, y, n, ridge, sb2, N=200):
    """c2 from the exact finite-N posterior (no expansion): r(N) = N^2 (m - m0 - c1/N), 2 r(2N) - r(N)."""
    m0, c1, _ = second_order_from_units(Phi, p, y, n, ridge, sigma_b2=sb2)
    r = [M * M * (discrete_law_posterior_exact(Phi, p, y, n, ridge, M, sigma_b2=sb2) - m0 - c1 / M)
         for M in (N, 2 * N)]
    return 2 * r[1] - r[0]


@pytest.mark.parametrize("seed,J,sb2", [(3, 3, 0.0), (11, 3, 0.2), (5, 2, 0.1)])
def test_second_order_against_exact_enumeration(seed, J, sb2):
    rng = np.random.default_rng(seed)
    n, t = 3, 2
    Phi = rng.standard_normal((J, n + t))
    p = rng.dirichlet(np.ones(J) * 3)
    y = rng.standard_normal(n)
    ridge = 0.3
    m0, c1, c2 = second_order_from_units(Phi, p, y, n, ridge, sigma_b2=sb2)
    # c1: exact at N = 4000 (two-state law: cheap), N (m - m0) = c1 + c2/N + ...
    if J == 2:
        m = discrete_law_posterior_exact(Phi, p, y, n, ridge, 4000, sigma_b2=sb2)
        np.testing.assert_allclose(4000 * (m - m0), c1 + c2 / 4000, rtol=2e-3, atol=1e-6 * np.abs(c1).max())
    ref = _richardson_c2(Phi, p, y, n, ridge, sb2)
    assert np.abs(c2).max() > 1e-3
    np.testing.assert_allclose(c2, ref, rtol=0.02, atol=0.01 * np.abs(ref).max())


def test_first_order_coefficient_against_covariance_contraction():
    """c1 of the unit Monte Carlo (ReLU, radial rule) against eq. P as a contraction of the quadrature
    tensor C; the Monte Carlo error is small enough that a 10% error would be caught."""
    X, y, Xt = _sphere_problem(3, 4, 2, 0)
    Z = np.vstack([X, Xt])
    K = 2.0 * _second_moments("relu", Z)
    C = kernel_fluctuation_cov("relu", Z)
    ref = one_over_n_from_cov(C, K=K, y=y, n_train=4, ridge=0.1)
    res = second_order_coefficient("relu", X, y, Xt, 0.1, n_samples=100_000, seed=2, shifts=1)
    assert np.all(4 * res.c1_sem < 0.1 * np.abs(ref))
    assert np.all(np.abs(res.c1 - ref) <= 4 * res.c1_sem)
    assert np.all(np.isfinite(res.c2)) and np.all(res.c2_sem > 0)


def test_second_order_coefficient_bad_input():
    X, y, Xt = _sphere_problem(3, 4, 2, 0)
    with pytest.raises(ParameterError, match="shifts"):
        second_order_coefficient("relu", X, y, Xt, 0.1, n_samples=1000, shifts=0)
    with pytest.raises(ParameterError, match="activation"):
        second_order_coefficient("tanh", X, y, Xt, 0.1, n_samples=1000)


def test_discrete_law_bad_input():
    with pytest.raises(ParameterError, match="probs"):
        discrete_law_posterior_exact(np.ones((4, 3)), [0.25] * 4, [1.0], 1, 0.1, 10)
    with pytest.raises(ParameterError, match="width"):
        discrete_law_posterior_exact(np.ones((2, 3)), [0.5, 0.5], [1.0], 1, 0.1, 0)


def test_generated_module_is_current_and_twin_agrees():
    import mpmath

    from symrg._generated import second_order_posterior as g
    from symrg._generated import second_order_posterior_mp as gmp
    from symrg.codegen import regenerate_second_order_posterior

    assert set(regenerate_second_order_posterior(check=True).values()) == {"unchanged"}
    rng = np.random.default_rng(0)
    vals = dict(zip(g.ARGS_C2, rng.standard_normal(len(g.ARGS_C2))))
    with mpmath.workdps(30):
        ref = float(gmp.c2(*[mpmath.mpf(vals[k]) for k in gmp.ARGS_C2]))
    assert abs(float(g.c2(*[vals[k] for k in g.ARGS_C2])) - ref) <= 1e-12 * max(1.0, abs(ref))
    # the lowering of c2 is the derivation: evaluate the SymPy expression directly
    syms, _, c2 = derive_second_order_posterior()
    assert abs(float(c2.xreplace({syms[k]: v for k, v in vals.items()})) - ref) <= 1e-12 * max(1.0, abs(ref))
