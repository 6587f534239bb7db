"""The reduced GP with the full greater covariance as noise (docs/theory.md section 4, finite-n statement)."""
import numpy as np
import pytest

from symrg.data import sample_sphere
from symrg.errors import KernelError, ParameterError
from symrg.numerics.gp import ExactGP, ReducedGP, greater_covariance, weight_space_posterior_dense
from symrg.spectra.empirical import EmpiricalSpectrum
from symrg.spectra.kernels import NNGPKernel


@pytest.fixture(scope="module")
def pool():
    rng = np.random.default_rng(5)
    X = sample_sphere(90, 4, rng)
    K = NNGPKernel("relu", 2).gram(X, X)
    y = np.cos(2 * X[:, 0]) + X[:, 1] * X[:, 3]
    return K, y, EmpiricalSpectrum.from_gram(K)


def test_greater_covariance_is_k_minus_kept_part(pool):
    K, _, sp = pool
    idx = np.arange(0, 90, 3)
    G = greater_covariance(sp, 10, idx)
    assert np.allclose(G, (K - sp.lesser_kernel(10))[np.ix_(idx, idx)], atol=1e-12)
    assert np.allclose(np.diag(G), sp.greater_diagonal(10, idx), atol=1e-12)


def test_dense_posterior_against_a_direct_solve():
    rng = np.random.default_rng(0)
    n, kap = 12, 4
    Phi, lam = rng.standard_normal((n, kap)), rng.uniform(0.1, 1, kap)
    A = rng.standard_normal((n, n))
    S = A @ A.T / n + 0.1 * np.eye(n)
    y = rng.standard_normal(n)
    w, logml = weight_space_posterior_dense(Phi, lam, S, y)
    Si = np.linalg.inv(S)
    w_ref = np.linalg.solve(np.diag(1 / lam) + Phi.T @ Si @ Phi, Phi.T @ Si @ y)
    C = Phi @ np.diag(lam) @ Phi.T + S
    ref = -0.5 * y @ np.linalg.solve(C, y) - 0.5 * np.linalg.slogdet(C)[1] - 0.5 * n * np.log(2 * np.pi)
    assert np.allclose(w, w_ref, atol=1e-12) and logml == pytest.approx(ref, rel=1e-12)
    # two targets: the evidence is the sum of the two (y and 2y: quadratic term times 4)
    w2, logml2 = weight_space_posterior_dense(Phi, lam, S, np.stack([y, 2 * y], 1))
    quad = y @ np.linalg.solve(C, y)
    assert np.allclose(w2[:, 0], w) and logml2 == pytest.approx(ref + (ref - 1.5 * quad), rel=1e-12)


@pytest.mark.parametrize("kappa", [0, 1, 7, 30, 89, 90])
def test_full_greater_equals_the_exact_gp_at_every_kappa(pool, kappa):
    """Integrating f_> out exactly: the evidence and the kept-mode posterior are those of the exact GP."""
    K, y, sp = pool
    tr = np.arange(0, 90, 2)
    ridge = 0.01
    full = ExactGP("precomputed", ridge, check_psd=False).fit(K[np.ix_(tr, tr)], y[tr])
    red = ReducedGP(sp, kappa, ridge, "full_greater").fit(tr, y[tr])
    w_exact = sp.eigenvalues[:kappa] * (sp.phi[tr, :kappa].T @ full.alpha_)   # E[f_k | y], k <= kappa
    assert np.allclose(red.weights_, w_exact, rtol=0, atol=1e-10 * max(1.0, np.abs(w_exact).max(initial=0)))
    assert red.log_marginal_likelihood_ == pytest.approx(full.log_marginal_likelihood(), rel=1e-10)
    assert np.allclose(red.noise_, ridge + sp.greater_diagonal(kappa, tr))


def test_full_greater_differs_from_the_diagonal_variant(pool):
    K, y, sp = pool
    tr, te = np.arange(0, 90, 2), np.arange(1, 90, 2)
    a = ReducedGP(sp, 10, 0.01, "full_greater").fit(tr, y[tr]).predict(te)
    b = ReducedGP(sp, 10, 0.01, "exact_diagonal").fit(tr, y[tr]).predict(te)
    assert np.linalg.norm(a - b) > 1e-4 * np.linalg.norm(a)
    S = ReducedGP(sp, 10, 0.01, "full_greater").noise_covariance(tr)
    assert np.allclose(np.diag(S), 0.01 + sp.greater_diagonal(10, tr)) and np.abs(S - np.diag(np.diag(S))).max() > 0


def test_full_greater_errors(pool):
    K, y, sp = pool
    tr = np.arange(10)
    with pytest.raises(ParameterError, match="ridge"):
        ReducedGP(sp, 90, 0.0, "full_greater").fit(tr, y[tr])      # no greater modes and no ridge
    with pytest.raises(ParameterError, match="noise_cov"):
        weight_space_posterior_dense(np.ones((3, 1)), np.ones(1), np.eye(2), np.ones(3))
    with pytest.raises(KernelError, match="increase the ridge"):
        weight_space_posterior_dense(np.ones((3, 1)), np.ones(1), -np.eye(3), np.ones(3))
