"""The constant ridge derived by averaging the greater covariance over the data measure (docs/theory.md section 4)."""
import numpy as np
import pytest
import sympy as sp

from symrg.errors import VerificationError
from symrg.theory.gaussian import K, KAPPA, LAMBDA
from symrg.theory.measure_average import MODE_MEAN, PHI, X_I, X_J, derive_measure_average, measure_average


def test_diagonal_average_is_the_tail_sum_and_offdiagonal_the_squared_means():
    r = derive_measure_average()
    assert r.c_diagonal == sp.Sum(LAMBDA(K), (K, KAPPA + 1, sp.oo))
    assert r.c_offdiagonal == sp.Sum(LAMBDA(K) * MODE_MEAN(K) ** 2, (K, KAPPA + 1, sp.oo))


def test_substituted_into_the_per_sample_ridge_gives_the_gaussian_flow():
    from symrg.theory.gaussian import derive_gaussian_flow

    d = derive_gaussian_flow()
    r = derive_measure_average(d.sigma2_per_sample)
    assert sp.simplify(r.sigma2_kappa - d.sigma2_kappa) == 0


def test_averages_match_an_empirical_measure():
    """On the empirical measure of P points (independent draws with replacement) the derived
    averages are exact: mean_i K_>(x_i, x_i) and mean_ij K_>(x_i, x_j)."""
    from symrg.spectra.empirical import EmpiricalSpectrum

    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    Kmat = np.exp(-0.5 * ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)) + 0.3   # a mean-carrying kernel
    sp_ = EmpiricalSpectrum.from_gram(Kmat)
    kappa = 4
    lam, phi = sp_.eigenvalues[kappa:], sp_.phi[:, kappa:]
    Kg = (phi * lam) @ phi.T
    r = derive_measure_average()
    lam_s, m_s = sp.symbols("lam m")
    f_diag = sp.lambdify([lam_s, m_s], r.c_diagonal.function.subs({LAMBDA(K): lam_s, MODE_MEAN(K): m_s}) + 0 * m_s)
    f_off = sp.lambdify([lam_s, m_s], r.c_offdiagonal.function.subs({LAMBDA(K): lam_s, MODE_MEAN(K): m_s}))
    means = phi.mean(axis=0)
    assert np.sum(f_diag(lam, means)) == pytest.approx(np.mean(np.diag(Kg)), rel=1e-12)
    assert np.sum(f_off(lam, means)) == pytest.approx(np.mean(Kg), rel=1e-9, abs=1e-14)
    assert abs(np.mean(Kg)) > 1e-6 * np.mean(np.diag(Kg))       # the off-diagonal mean is not trivially zero


def test_unaveraged_forms_raise():
    with pytest.raises(VerificationError, match="3 modes"):
        measure_average(PHI(K, X_I) ** 3, [X_I])
    with pytest.raises(VerificationError, match="not one of the averaged points"):
        measure_average(PHI(K, X_J), [X_I])
