"""Learning curves on the sphere: theory against simulation with exact GP regression."""
import math

import numpy as np
import pytest

from symrg.errors import ParameterError
from symrg.numerics.simulate import HarmonicTarget, gegenbauer, parse_target, sample_sphere, simulate_learning_curve, \
    theory_learning_curve
from symrg.spectra.kernels import NNGPKernel


def test_harmonic_target_has_prescribed_power():
    rng = np.random.default_rng(1)
    f = HarmonicTarget.random(6, {1: 0.5, 2: 0.3, 4: 0.2}, rng)
    X = sample_sphere(200_000, 6, np.random.default_rng(2))
    y = f(X)
    # E y^2 = 1.0; Monte Carlo standard error of the mean of y^2 is ~ sqrt(Var y^2 / n)
    se = np.std(y**2) / math.sqrt(y.size)
    assert np.mean(y**2) == pytest.approx(1.0, abs=5 * se)
    # components of different degree are orthogonal, so each carries its own power
    f2 = HarmonicTarget.random(6, {2: 0.3}, np.random.default_rng(3))
    assert np.mean(f2(X) ** 2) == pytest.approx(0.3, rel=0.02)


def test_gegenbauer_matches_scipy():
    from scipy.special import eval_gegenbauer

    t = np.linspace(-1, 1, 11)
    for d, l in [(3, 4), (7, 5), (30, 3)]:
        nu = (d - 2) / 2
        assert np.allclose(gegenbauer(l, d, t), eval_gegenbauer(l, nu, t) / eval_gegenbauer(l, nu, 1.0), atol=1e-13)


def test_learning_curve_theories_against_simulation():
    """Eigenlearning is asserted within 3 standard errors + 10%; the RG prediction (a cruder,
    single-cutoff approximation) within a factor 2.  Both are printed for the record."""
    kernel = NNGPKernel("relu", 1)
    ns = [16, 64, 256]
    target = {1: 0.5, 2: 0.3, 4: 0.2}
    sim = simulate_learning_curve(kernel, 5, 1e-2, ns, target, trials=24, seed=7, n_test=1500)
    th = theory_learning_curve(kernel, 5, 1e-2, ns, target)
    for s, t in zip(sim, th):
        print(s["n"], s["simulation_mse"], s["simulation_sem"], t["theory_eigenlearning"], t["theory_rg"])
        assert abs(s["simulation_mse"] - t["theory_eigenlearning"]) < 3 * s["simulation_sem"] + 0.1 * t["theory_eigenlearning"]
        assert 0.5 < t["theory_rg"] / s["simulation_mse"] < 2.0


def test_parse_target_errors():
    assert parse_target("1:0.5, 2:0.25") == {1: 0.5, 2: 0.25}
    with pytest.raises(ParameterError, match="target"):
        parse_target("1-0.5")
    with pytest.raises(ParameterError, match="degree"):
        parse_target("-1:0.5")
    with pytest.raises(ParameterError, match="power"):
        parse_target("1:nan")


def test_unlearnable_target_degree_is_reported():
    # ReLU at depth 1 has lambda_l = 0 for odd l >= 3: such a target cannot be learned
    with pytest.raises(ParameterError, match="target"):
        theory_learning_curve(NNGPKernel("relu", 1), 4, 0.01, [10], {3: 1.0})


def test_learning_bad_input():
    from symrg.numerics.simulate import learned_fractions

    k = NNGPKernel("relu", 1)
    with pytest.raises(ParameterError, match="n_test"):
        simulate_learning_curve(k, 3, 0.1, [4], {1: 1.0}, trials=2, n_test=0)
    with pytest.raises(ParameterError, match="trials"):
        learned_fractions(k, 3, 0.1, 8, {1: 1.0}, trials=1)
    with pytest.raises(ParameterError, match="target"):
        learned_fractions(k, 3, 0.1, 8, {1: 0.0}, trials=2)


def test_duplicate_points_without_ridge_give_clear_kernel_error():
    from symrg.errors import KernelError
    from symrg.numerics.gp import ridge_solve

    X = sample_sphere(5, 3, np.random.default_rng(0))
    X = np.vstack([X, X[:1]])
    with pytest.raises(KernelError, match="increase the ridge"):
        ridge_solve(NNGPKernel("relu", 1).gram(X), np.ones(6), 0.0)


def test_pool_trial_prefix_cholesky_matches_direct_solves():
    """One factor for every nested n (leading blocks) against a fresh solve per n."""
    from symrg.data import sample_sphere
    from symrg.numerics.gp import ridge_solve
    from symrg.numerics.simulate import pool_trial
    from symrg.spectra.kernels import NNGPKernel

    rng = np.random.default_rng(0)
    Xp, Xt = sample_sphere(300, 6, rng), sample_sphere(50, 6, rng)
    Yp, Yt = rng.standard_normal((300, 2)), rng.standard_normal((50, 2))
    k, ns, ss = NNGPKernel("relu", 2), [5, 40, 160], np.random.SeedSequence(3)
    held, pool = pool_trial(Xp, Xt, Yp, Yt, k, 1e-2, ns, ss)
    perm = np.random.default_rng(ss).permutation(300)
    for j, n in enumerate(ns):
        tr = perm[:n]
        alpha = ridge_solve(k.gram(Xp[tr]), Yp[tr], 1e-2)
        assert held[j] == pytest.approx(np.mean((k.gram(Xt, Xp[tr]) @ alpha - Yt) ** 2), rel=1e-10)
        assert pool[j] == pytest.approx(np.mean((k.gram(Xp, Xp[tr]) @ alpha - Yp) ** 2), rel=1e-10)
