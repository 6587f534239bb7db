"""The Gaussian-mixture deterministic equivalent (docs/theory.md section 5a) against independent
computations: eigenlearning in the one-group limit, its mpmath twin, and a Monte Carlo of ridge
regression on features drawn from the mixture itself."""
import numpy as np
import pytest

from symrg.errors import ParameterError
from symrg.numerics.flows import Shells
from symrg.numerics.mixture import MixtureModes, mixture_modes, mixture_prediction, mixture_prediction_mp
from symrg.numerics.predictions import eigenlearning_prediction


def _powerlaw(p, a=1.4):
    lam = np.arange(1, p + 1, dtype=float) ** -a
    return lam / lam.sum()


@pytest.mark.parametrize("n", [5, 40, 300])
def test_one_group_is_eigenlearning(n):
    p, kap = 400, 120
    lam = _powerlaw(p)
    c = np.random.default_rng(0).standard_normal(p) * np.sqrt(lam)
    mm = MixtureModes(lam, c[:, None], np.array([1.0]), np.diag(lam[:kap])[None], np.ones((1, p - kap)))
    el = eigenlearning_prediction(Shells.from_modes(lam), 1e-3, n, c ** 2, noise=0.0).test_error
    assert mixture_prediction(mm, 1e-3, n).test_error == pytest.approx(el, rel=1e-10)


def test_one_group_from_a_pool_is_eigenlearning():
    """mixture_modes of a real pool with every row in one group: the group moment is the pool measure."""
    from symrg.studies.gap import gap_problem, pool_modes
    from symrg.spectra.kernels import NNGPKernel

    prob = gap_problem("digits", 300, 0, None, target_class=3)
    lam, phi, coef = pool_modes(NNGPKernel("relu", 1).gram(prob.X_pool), prob.Y_pool)
    mm = mixture_modes(lam, phi, coef, np.zeros(300, dtype=int), 60)
    for n in (20, 60):
        el = eigenlearning_prediction(Shells.from_modes(lam), 1e-3, n, coef[:, 0] ** 2, noise=0.0).test_error
        assert mixture_prediction(mm, 1e-3, n).test_error == pytest.approx(el, rel=1e-10)


def _mixture(p=8, G=3, seed=3):
    """A small mixture with unequal means and covariances, rotated to the eigenbasis of sum_g pi_g C_g."""
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(G) * 3)
    k = np.arange(1, p + 1)
    Cs, mus, Ls = [], [], []
    for _ in range(G):
        mu = rng.standard_normal(p) * k ** -0.7
        O = np.linalg.qr(rng.standard_normal((p, p)))[0]
        L = O * np.sqrt(k ** -1.3 * np.exp(rng.standard_normal(p)))
        Cs.append(L @ L.T + np.outer(mu, mu))
        mus.append(mu)
        Ls.append(L)
    lam, V = np.linalg.eigh(sum(w * C for w, C in zip(pi, Cs)))
    lam, V = lam[::-1], V[:, ::-1]
    return pi, lam, [V.T @ C @ V for C in Cs], [V.T @ m for m in mus], [V.T @ L for L in Ls]


def test_mpmath_twin():
    pi, lam, Cs, _, _ = _mixture()
    c = np.random.default_rng(1).standard_normal((lam.size, 2)) * np.sqrt(lam)[:, None]
    mm = MixtureModes(lam, c, pi, np.array(Cs), np.zeros((len(pi), 0)))
    for n in (4, 30):
        assert mixture_prediction(mm, 1e-1, n).test_error == pytest.approx(
            mixture_prediction_mp(mm, 1e-1, n, dps=30), rel=1e-10)


def test_against_monte_carlo_of_the_mixture():
    """Two zero-mean groups of very different scale (C_1 = 8 Lambda0, C_2 = Lambda0/10): the mixture theory
    departs from eigenlearning by far more than 10% and must match ridge regression on draws from the
    mixture within the Monte Carlo error plus the finite-size allowance; a 10% error must fail."""
    rng = np.random.default_rng(7)
    p, n, r, trials = 300, 150, 1e-2, 300
    lam0 = _powerlaw(p, 1.2)
    pi = np.array([0.2, 0.8])
    scale = np.array([8.0, 0.1])
    lam = lam0 * (pi @ scale)
    C = np.array([s * np.diag(lam0) for s in scale])
    w = rng.standard_normal(p)
    c = np.sqrt(lam) * w
    th = mixture_prediction(MixtureModes(lam, c[:, None], pi, C, np.zeros((2, 0))), r, n).test_error
    el = eigenlearning_prediction(Shells.from_modes(lam), r, n, c ** 2, noise=0.0).test_error
    errs = []
    for _ in range(trials):
        s = scale[rng.choice(2, size=n, p=pi)]
        Z = rng.standard_normal((n, p)) * np.sqrt(lam0) * np.sqrt(s)[:, None]
        wh = Z.T @ np.linalg.solve(Z @ Z.T + r * np.eye(n), Z @ w)
        errs.append(float(np.sum(lam * (wh - w) ** 2)))
    mc, sem = np.mean(errs), np.std(errs, ddof=1) / np.sqrt(trials)
    tol = 3 * sem + 0.03 * mc
    assert abs(el - mc) > 0.10 * mc          # the test discriminates: Gaussian equivalence is off here
    assert abs(th - mc) <= tol, (th, mc, sem, el)
    assert abs(1.1 * th - mc) > tol and abs(0.9 * th - mc) > tol


def test_mixture_modes_checks():
    with pytest.raises(ParameterError):
        mixture_modes(np.ones(3), np.ones((4, 3)), np.ones(3), np.zeros(5), 2)


def test_rowwise_against_monte_carlo_of_row_draws():
    """The row-wise equivalent against exact kernel ridge regression on rows drawn from a synthetic pool
    whose rows have very unequal leverage (elliptical scales): eigenlearning is off by a factor 2 here;
    the row-wise theory must match the Monte Carlo within 3 s.e. + 3% (finite size), and a 10% error fails."""
    from symrg.numerics.mixture import rowwise_prediction

    rng = np.random.default_rng(2)
    P = p = 400
    lam0 = np.arange(1, p + 1) ** -1.3
    s = np.exp(1.2 * rng.standard_normal(P))
    X = rng.standard_normal((P, p)) * np.sqrt(lam0) * np.sqrt(s / s.mean())[:, None]
    K = X @ X.T
    w, V = np.linalg.eigh(K / P)
    lam, phi = np.clip(w[::-1], 0, None), np.sqrt(P) * V[:, ::-1]
    y = np.tanh(3 * X[:, 0] / np.sqrt(lam0[0])) + 0.5 * X[:, 3] / np.sqrt(lam0[3])
    coef = phi.T @ y / P
    r, n = 1e-2, 20
    th = rowwise_prediction(lam, phi, coef, r, n)
    el = eigenlearning_prediction(Shells.from_modes(lam), r, n, coef ** 2, noise=0.0).test_error
    errs = []
    for _ in range(1000):
        S = rng.choice(P, size=n)
        a = np.linalg.solve(K[np.ix_(S, S)] + r * np.eye(n), y[S])
        errs.append(np.mean((K[:, S] @ a - y) ** 2))
    mc, sem = np.mean(errs), np.std(errs, ddof=1) / np.sqrt(len(errs))
    tol = 3 * sem + 0.03 * mc
    assert abs(el - mc) > 0.3 * mc
    assert abs(th - mc) <= tol, (th, mc, sem)
    assert abs(1.1 * th - mc) > tol and abs(0.9 * th - mc) > tol


def _eigenlearning_with_tail(lam, c, T, Ty, r, n):
    return eigenlearning_prediction(Shells.from_modes(lam, T), r, n, c ** 2, noise=0.0, target_tail=Ty).test_error


@pytest.mark.parametrize("n", [10, 80])
def test_one_group_with_an_unlisted_tail_is_eigenlearning(n):
    """The top-kappa route: listed modes plus an unlisted tail of power T (target tail T_y) in one group
    is eigenlearning with the same tail (predictions.eigenlearning_prediction, T/kappa_eff)."""
    p, kap, T, Ty = 300, 80, 0.5, 0.05
    lam = _powerlaw(p)
    c = np.random.default_rng(2).standard_normal(p) * np.sqrt(lam)
    mm = MixtureModes(lam, c[:, None], np.array([1.0]), np.diag(lam[:kap])[None], np.ones((1, p - kap)),
                      np.array([T]), np.array([Ty]))
    el = _eigenlearning_with_tail(lam, c, T, Ty, 1e-3, n)
    assert mixture_prediction(mm, 1e-3, n).test_error == pytest.approx(el, rel=1e-10)
    # the tail matters here: dropping it moves the answer by far more than 10%
    assert abs(_eigenlearning_with_tail(lam, c, 0.0, 0.0, 1e-3, n) / el - 1) > 0.1


def test_unlisted_tail_is_the_limit_of_many_small_modes():
    """Groups with unequal unlisted power: the tail form against the same tail written out as m explicit
    modes of eigenvalue T/m with the group profile rho_g (rest_phi2) -- two routes sharing no tail code;
    they agree as m grows (O(T/m) corrections)."""
    pi, lam, Cs, _, _ = _mixture(p=8, G=3)
    rng = np.random.default_rng(5)
    c = rng.standard_normal(lam.size) * np.sqrt(lam)
    rho = np.array([1.6, 0.5, 1.0])
    rho = rho / (pi @ rho)
    T, Ty, r, n = 0.2 * lam.sum(), 0.02, 1e-2, 40
    tailed = mixture_prediction(MixtureModes(lam, c[:, None], pi, np.array(Cs), np.zeros((3, 0)), rho * T,
                                             np.array([Ty])), r, n).test_error
    m = 20000
    lam_x = np.concatenate([lam, np.full(m, T / m)])
    c_x = np.concatenate([c, np.full(m, np.sqrt(Ty / m))])
    explicit = mixture_prediction(MixtureModes(lam_x, c_x[:, None], pi, np.array(Cs), np.repeat(rho[:, None], m, 1)),
                                  r, n).test_error
    assert tailed == pytest.approx(explicit, rel=2e-3)
    no_profile = mixture_prediction(MixtureModes(lam, c[:, None], pi, np.array(Cs), np.zeros((3, 0)), np.full(3, T),
                                                 np.array([Ty])), r, n).test_error
    assert abs(no_profile / tailed - 1) > 2e-2        # the group profile of the tail is resolved by this check


def test_mpmath_twin_with_a_tail():
    pi, lam, Cs, _, _ = _mixture()
    c = np.random.default_rng(1).standard_normal((lam.size, 2)) * np.sqrt(lam)[:, None]
    mm = MixtureModes(lam, c, pi, np.array(Cs), np.zeros((len(pi), 0)), np.array([0.3, 0.1, 0.2]), np.array([0.01, 0.04]))
    for n in (4, 30):
        assert mixture_prediction(mm, 1e-1, n).test_error == pytest.approx(
            mixture_prediction_mp(mm, 1e-1, n, dps=30), rel=1e-10)


def test_row_tail_power_against_the_full_spectrum():
    """row_tail_power from the top modes of a pool against the sum over its unlisted modes, computed from
    the full eigendecomposition."""
    from symrg.spectra.empirical import EmpiricalSpectrum
    from symrg.spectra.kernels import NNGPKernel
    from symrg.numerics.mixture import row_tail_power

    X = np.random.default_rng(0).standard_normal((200, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    K = NNGPKernel("relu", 1).gram(X)
    spec = EmpiricalSpectrum.from_gram(K, check=False)
    lam, phi = spec.eigenvalues, spec.phi
    got = row_tail_power(np.diag(K), lam[:30], phi[:, :30])
    want = np.einsum("ik,ik,k->i", phi[:, 30:], phi[:, 30:], np.clip(lam[30:], 0, None))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)


def _pool_features(contrast, P=800, p=200, seed=0):
    """Pool modes of features with per-row scale 1 +- contrast (0: Gaussian), diagonalised on the pool."""
    rng = np.random.default_rng(seed)
    lam = np.arange(1, p + 1.0) ** -1.3
    lam /= lam.sum()
    s = 1 + contrast * rng.choice([-1, 1], size=P)
    X = rng.standard_normal((P, p)) * np.sqrt(s)[:, None] * np.sqrt(lam)
    w, V = np.linalg.eigh(X.T @ X / P)
    w, V = w[::-1], V[:, ::-1]
    return w, X @ V / np.sqrt(w), rng.standard_normal(p) * np.sqrt(w)


def test_leverage_prediction_with_every_mode_kept_is_the_dense_row_wise_equivalent():
    """The GMRES route on an O(P kappa^2) product against rowwise_prediction's dense P x P solve."""
    from symrg.numerics.mixture import leverage_prediction, rowwise_prediction

    lam, phi, c = _pool_features(0.5, P=300, p=120)
    for n in (10, 60):
        assert leverage_prediction(lam, phi, c, 1e-3, n, 120) == pytest.approx(
            rowwise_prediction(lam, phi, c, 1e-3, n), rel=1e-8)


def test_leverage_expansion_converges_for_gaussian_features_and_breaks_down_for_heterogeneous_ones():
    """The perturbative route (expansion of the row weights in the leverage fluctuation): on Gaussian
    features it approaches the full row-wise equivalent order by order; with per-row scales 1 +- 0.6 the
    first order already gives negative weights and must refuse rather than print a number."""
    from symrg.errors import ConvergenceError
    from symrg.numerics.mixture import leverage_prediction

    lam, phi, c = _pool_features(0.0)
    full = leverage_prediction(lam, phi, c, 1e-3, 80, 200)
    rel = [abs(leverage_prediction(lam, phi, c, 1e-3, 80, 200, order=o) / full - 1) for o in (0, 2)]
    assert rel[0] > 0.01 and rel[1] < 0.005, rel
    lam, phi, c = _pool_features(0.6)
    with pytest.raises(ConvergenceError, match="breaks down"):
        leverage_prediction(lam, phi, c, 1e-3, 80, 200, order=1)
