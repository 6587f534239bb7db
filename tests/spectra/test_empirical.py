"""Empirical Mercer modes (docs/theory.md section 1) and the power-law model spectrum."""
import numpy as np
import pytest

from symrg.data import sample_sphere
from symrg.errors import KernelError, ParameterError
from symrg.spectra.empirical import EmpiricalSpectrum
from symrg.spectra.kernels import NNGPKernel
from symrg.spectra.powerlaw import powerlaw_spectrum, powerlaw_tail


@pytest.fixture(scope="module")
def sphere_spectrum():
    X = sample_sphere(300, 4, rng=0)
    return EmpiricalSpectrum.from_data(X, NNGPKernel("relu", 2))


def test_eigenfunctions_orthonormal_under_empirical_measure(sphere_spectrum):
    sp = sphere_spectrum
    N = sp.n_points
    G = sp.phi.T @ sp.phi / N                      # (1/N) sum_i phi_k(x_i) phi_q(x_i)
    assert np.max(np.abs(G - np.eye(N))) < 1e-10


def test_eigenvalues_descending_nonnegative_and_gram_reconstructed(sphere_spectrum):
    sp = sphere_spectrum
    lam = sp.eigenvalues
    assert np.all(np.diff(lam) <= 0) and lam.min() >= 0
    K = NNGPKernel("relu", 2).gram(sp.X)
    assert np.max(np.abs(sp.reconstruct() - K)) < 1e-12 * sp.n_points
    # trace identity: sum_k lambda_k = (1/N) tr K = k(1) = 1 for ReLU with sigma_w^2 = 2
    assert abs(lam.sum() - 1.0) < 1e-12


def test_mercer_equation_on_the_pool(sphere_spectrum):
    sp = sphere_spectrum
    K = NNGPKernel("relu", 2).gram(sp.X)
    k = 5
    lhs = K @ sp.phi[:, k] / sp.n_points           # (1/N) sum_j K_ij phi_k(x_j)
    assert np.allclose(lhs, sp.eigenvalues[k] * sp.phi[:, k], atol=1e-12)


def test_nystrom_reproduces_phi_on_the_pool(sphere_spectrum):
    sp = sphere_spectrum
    kappa = int(np.count_nonzero(sp.eigenvalues > 1e-8 * sp.eigenvalues[0]))
    phi_ext = sp.extend(sp.X, kappa)
    assert np.allclose(phi_ext, sp.phi[:, :kappa], atol=1e-6)
    # the leading modes are reproduced far more accurately
    assert np.max(np.abs(phi_ext[:, :20] - sp.phi[:, :20])) < 1e-11


def test_linear_kernel_on_sphere_has_eigenvalue_one_over_d():
    # K = x.x': the N x N Gram eigenvalues (1/N) X X^T equal those of the d x d matrix
    # (1/N) X^T X (independent route), and on uniform S^{d-1} E[x x^T] = I/d (Monte Carlo).
    d, N = 5, 1000
    X = sample_sphere(N, d, rng=1)
    sp = EmpiricalSpectrum.from_data(X, lambda A, B: A @ B.T)
    small = np.sort(np.linalg.eigvalsh(X.T @ X / N))[::-1]
    assert np.allclose(sp.eigenvalues[:d], small, rtol=0, atol=1e-13)
    assert np.allclose(sp.eigenvalues[:d], 1 / d, rtol=0.2)     # Marchenko-Pastur edge ~ 1 +- 2 sqrt(d/N)
    assert np.max(sp.eigenvalues[d:]) < 1e-12
    # the Nystrom extension of the d modes reproduces the kernel at NEW points exactly (rank d)
    Z = sample_sphere(7, d, rng=2)
    F = sp.extend(Z, d)
    assert np.allclose((F * sp.eigenvalues[:d]) @ F.T, Z @ Z.T, atol=1e-10)


@pytest.mark.parametrize("kappa", [0, 17, 150, 260, 300])   # both branches of greater_diagonal
def test_greater_and_lesser_kernels_split_the_gram(sphere_spectrum, kappa):
    sp = sphere_spectrum
    K = sp.reconstruct()
    K_lt = sp.lesser_kernel(kappa)
    assert np.allclose(np.diag(K - K_lt), sp.greater_diagonal(kappa), atol=1e-12)
    idx = [4, 0, 299]
    assert np.allclose(sp.greater_diagonal(kappa, idx), sp.greater_diagonal(kappa)[idx], atol=1e-15)
    assert np.isclose(sp.tail_sum(kappa), np.trace(K - K_lt) / sp.n_points, atol=1e-12)


def test_gram_validation_errors():
    with pytest.raises(KernelError, match="non-finite"):
        EmpiricalSpectrum.from_gram(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(KernelError, match="positive semi-definite"):
        EmpiricalSpectrum.from_gram(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(KernelError, match="symmetric"):
        EmpiricalSpectrum.from_gram(np.array([[1.0, 0.5], [0.0, 1.0]]))


def test_kappa_out_of_range_names_kappa(sphere_spectrum):
    with pytest.raises(ParameterError, match=r"kappa=301.*\[0, 300\]"):
        sphere_spectrum.features(301)
    with pytest.raises(ParameterError, match="kappa"):
        sphere_spectrum.tail_sum(-1)


def test_nystrom_refuses_null_modes():
    sp = EmpiricalSpectrum.from_data(sample_sphere(50, 3, rng=0), lambda A, B: A @ B.T)
    with pytest.raises(ParameterError, match="kappa"):
        sp.nystrom(np.zeros((2, 50)), kappa=10)


def test_powerlaw_spectrum_and_tail():
    lam = powerlaw_spectrum(5, A=2.0, alpha=0.5)
    assert np.allclose(lam, 2.0 * np.arange(1, 6) ** -1.5)
    # Hurwitz-zeta tail against a direct sum plus the integral remainder (alpha = 1: sum k^-2)
    big = powerlaw_spectrum(200_000, A=1.0, alpha=1.0)
    direct = big[10:].sum() + 1.0 / 200_000          # int_{M}^{inf} k^-2 dk
    assert abs(powerlaw_tail(10, 1.0, 1.0) - direct) < 1e-9
    assert abs(powerlaw_tail(0, 1.0, 1.0) - np.pi ** 2 / 6) < 1e-14
    with pytest.raises(ParameterError, match="alpha"):
        powerlaw_spectrum(5, 1.0, 0.0)
    with pytest.raises(ParameterError, match="n_modes"):
        powerlaw_spectrum(0, 1.0, 1.0)
