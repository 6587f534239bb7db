"""Exact and reduced GP regression (docs/theory.md sections 2 and 4)."""
import json

import numpy as np
import pytest

from symrg.data import load_digits, one_vs_rest, sample_sphere
from symrg.errors import KernelError, ParameterError
from symrg.numerics.gp import VARIANTS, ExactGP, ReducedGP, compare_reduced
from symrg.spectra.empirical import EmpiricalSpectrum
from symrg.spectra.kernels import NNGPKernel


@pytest.fixture(scope="module")
def sphere_problem():
    rng = np.random.default_rng(3)
    X = sample_sphere(120, 5, rng)
    kern = NNGPKernel("relu", 2)
    y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.05 * rng.standard_normal(120)
    return X, y, kern


# ---------------------------------------------------------------------------------- exact GP
def test_exact_gp_mean_matches_direct_solve(sphere_problem):
    X, y, kern = sphere_problem
    tr, te = slice(0, 80), slice(80, None)
    ridge = 0.03
    gp = ExactGP(kern, ridge).fit(X[tr], y[tr])
    K = kern.gram(X)
    direct = K[te, tr] @ np.linalg.solve(K[tr, tr] + ridge * np.eye(80), y[tr])
    assert np.allclose(gp.predict(X[te]), direct, rtol=0, atol=1e-10)
    # precomputed route gives the same numbers
    gp2 = ExactGP("precomputed", ridge).fit(K[tr, tr], y[tr])
    assert np.allclose(gp2.predict(K[te, tr]), direct, atol=1e-10)


def test_exact_gp_matches_scikit_learn():
    import sklearn.gaussian_process as sk  # the [data] extra, installed by the test command
    from sklearn.gaussian_process.kernels import RBF

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.cos(X[:, 0]) + 0.1 * rng.standard_normal(60)
    Xt = rng.standard_normal((25, 3))
    k = RBF(length_scale=1.3)
    ridge = 0.05
    ref = sk.GaussianProcessRegressor(kernel=k, alpha=ridge, optimizer=None, normalize_y=False).fit(X, y)
    ours = ExactGP(lambda A, B: k(A, B), ridge).fit(X, y)
    assert np.allclose(ours.predict(Xt), ref.predict(Xt), rtol=0, atol=1e-10)
    assert np.isclose(ours.log_marginal_likelihood(), ref.log_marginal_likelihood_value_, rtol=1e-10)


def test_exact_gp_errors():
    K = np.eye(3)
    y = np.zeros(3)
    for bad in (np.nan, -1.0, "a"):
        with pytest.raises(ParameterError, match="ridge"):
            ExactGP("precomputed", bad).fit(K, y)
    with pytest.raises(KernelError, match="non-finite"):
        ExactGP("precomputed", 0.1).fit(np.array([[1.0, np.nan], [np.nan, 1.0]]), y[:2])
    with pytest.raises(KernelError, match="positive semi-definite"):
        ExactGP("precomputed", 0.1).fit(np.array([[1.0, 3.0], [3.0, 1.0]]), y[:2])
    with pytest.raises(KernelError, match="increase the ridge"):
        ExactGP("precomputed", 0.0).fit(np.ones((4, 4)), np.zeros(4))     # singular, no ridge
    with pytest.raises(ParameterError, match="y"):
        ExactGP("precomputed", 0.1).fit(K, np.zeros(4))
    with pytest.raises(ParameterError, match="columns"):
        ExactGP("precomputed", 0.1).fit(K, y).predict(np.ones((2, 5)))


# ---------------------------------------------------------------------------------- reduced GP
@pytest.fixture(scope="module")
def pool(sphere_problem):
    X, y, kern = sphere_problem
    K = kern.gram(X)
    return K, y, EmpiricalSpectrum.from_gram(K)


@pytest.mark.parametrize("variant", VARIANTS)
def test_weight_space_equals_function_space(pool, variant):
    """Woodbury weight-space mean = K_<(te,tr) (K_<(tr,tr) + D)^{-1} y, solved directly."""
    K, y, sp = pool
    rng = np.random.default_rng(1)
    perm = rng.permutation(sp.n_points)
    tr, te = perm[:50], perm[50:]
    kappa, ridge = 20, 0.02
    rx = 0.02 + rng.uniform(0, 0.1, sp.n_points) if variant == "renormalized_x" else None
    gp = ReducedGP(sp, kappa, ridge, variant, rx).fit(tr, y[tr])
    Klt = sp.lesser_kernel(kappa)                             # sum_{k<=kappa} lambda_k phi_k phi_k
    if variant == "truncated":
        D = np.full(50, ridge)
    elif variant == "renormalized_const":
        D = np.full(50, ridge + sp.eigenvalues[kappa:].sum())
    elif variant == "exact_diagonal":
        D = ridge + np.diag(K - Klt)[tr]                       # sigma^2 + K_>(x_mu, x_mu)
    else:
        D = rx[tr]
    A = Klt[np.ix_(tr, tr)] + np.diag(D)
    direct = Klt[np.ix_(te, tr)] @ np.linalg.solve(A, y[tr])
    assert np.allclose(gp.predict(te), direct, rtol=0, atol=1e-9)
    assert np.allclose(gp.noise_, D, atol=1e-13)
    # log marginal likelihood of N(y; 0, K_< + D) by the determinant lemma
    sign, logdet = np.linalg.slogdet(A)
    ref = -0.5 * y[tr] @ np.linalg.solve(A, y[tr]) - 0.5 * logdet - 25 * np.log(2 * np.pi)
    assert np.isclose(gp.log_marginal_likelihood_, ref, rtol=1e-10)


@pytest.mark.parametrize("variant", ["truncated", "renormalized_const", "exact_diagonal"])
def test_reduced_gp_at_kappa_P_is_the_full_gp(pool, variant):
    K, y, sp = pool
    tr, te = np.arange(0, 120, 2), np.arange(1, 120, 2)
    full = ExactGP("precomputed", 0.01).fit(K[np.ix_(tr, tr)], y[tr])
    red = ReducedGP(sp, sp.n_points, 0.01, variant).fit(tr, y[tr])
    m_full = full.predict(K[np.ix_(te, tr)])
    assert np.linalg.norm(red.predict(te) - m_full) / np.linalg.norm(m_full) < 1e-8
    assert np.isclose(red.log_marginal_likelihood_, full.log_marginal_likelihood(), rtol=1e-8)


def test_reduced_gp_on_new_points_via_nystrom(sphere_problem):
    X, y, kern = sphere_problem
    sp = EmpiricalSpectrum.from_data(X[:100], kern)
    tr = np.arange(100)
    full = ExactGP(kern, 0.05).fit(X[:100], y[:100])
    kappa = int(np.count_nonzero(sp.eigenvalues > 1e-10))
    red = ReducedGP(sp, kappa, 0.05, "truncated").fit(tr, y[:100])
    # with every non-null mode kept and training set = pool, the Nystrom prediction is exact
    assert np.allclose(red.predict_features(sp.extend(X[100:], kappa)), full.predict(X[100:]), atol=1e-6)


def test_reduced_gp_errors(pool):
    K, y, sp = pool
    tr = np.arange(10)
    with pytest.raises(ParameterError, match=r"kappa=121.*\[0, 120\]"):
        ReducedGP(sp, 121).fit(tr, y[tr])
    with pytest.raises(ParameterError, match="ridge"):
        ReducedGP(sp, 5, np.nan).fit(tr, y[tr])
    with pytest.raises(ParameterError, match="ridge"):
        ReducedGP(sp, 5, 0.0, "truncated").fit(tr, y[tr])           # D = 0: weight space undefined
    with pytest.raises(ParameterError, match="variant"):
        ReducedGP(sp, 5, 0.1, "bogus").fit(tr, y[tr])
    with pytest.raises(ParameterError, match="ridge_x"):
        ReducedGP(sp, 5, 0.1, "renormalized_x").fit(tr, y[tr])
    with pytest.raises(ParameterError, match="ridge_x"):
        ReducedGP(sp, 5, 0.1, "renormalized_x", np.ones(7)).fit(tr, y[tr])
    with pytest.raises(ParameterError, match="train_index"):
        ReducedGP(sp, 5, 0.1).fit(np.array([0.5, 1.5]), y[:2])
    with pytest.raises(ParameterError, match="n_train"):
        compare_reduced(K, y, ridge=0.1, n_train=120)
    with pytest.raises(ParameterError, match="kappa"):
        compare_reduced(K, y, ridge=0.1, n_train=30, kappas=[5, 500])
    with pytest.raises(KernelError):
        compare_reduced(-K, y, ridge=0.1, n_train=30)
    # a callable per-point ridge (the hook for the input-dependent flow) is accepted
    gp = ReducedGP(sp, 5, 0.1, "renormalized_x", lambda s, k: 0.1 + s.greater_diagonal(k)).fit(tr, y[tr])
    ref = ReducedGP(sp, 5, 0.1, "exact_diagonal").fit(tr, y[tr])
    assert np.allclose(gp.predict(tr), ref.predict(tr), atol=1e-13)


# ---------------------------------------------------------------------------------- digits
@pytest.fixture(scope="module")
def digits_pool():
    d = load_digits()
    X = d.on_sphere(center=True)
    return X, d.labels


@pytest.mark.parametrize("seed", [0, 3])
def test_exact_diagonal_beats_truncated_on_digits(digits_pool, seed):
    """Pool P=600 of digits, n=150, ReLU depth-2 NNGP, sigma^2=1e-2, target one-vs-rest(0).

    Measured (seeds 0-5) ratio err(exact_diagonal)/err(truncated) at kappa = 40, 75, 100, 150:
    <= 0.88, 0.55, 0.42, 0.36.  Asserted with margin: < 1 at kappa >= n/4, < 0.7 at kappa >= n/2.
    """
    X, labels = digits_pool
    idx = np.random.default_rng(seed).choice(X.shape[0], 600, replace=False)
    K = NNGPKernel("relu", 2).gram(X[idx])
    y = one_vs_rest(labels[idx], 0)
    r = compare_reduced(K, y, ridge=1e-2, n_train=150, seed=seed, kappas=[40, 75, 100, 150, 600])
    diag = np.array(r.rel_error["exact_diagonal"])
    trunc = np.array(r.rel_error["truncated"])
    const = np.array(r.rel_error["renormalized_const"])
    assert np.all(diag[:4] < trunc[:4])
    assert np.all(diag[1:4] < 0.7 * trunc[1:4])
    assert np.all(const[1:4] < 0.75 * trunc[1:4])            # the universal (constant) ridge also helps
    for v in r.variants:                                      # kappa = P: K_< = K on the pool
        assert r.rel_error[v][-1] < 1e-8
        assert abs(r.test_mse[v][-1] - r.full_test_mse) < 1e-8
    json.dumps(r.to_dict())                                   # plain data, JSON-ready
    assert "exact_diagonal" in r.table()


def test_psd_check_by_cholesky_decides_as_the_eigenvalues_do():
    """check_kernel_matrix (one Cholesky) against the smallest eigenvalue (numpy.linalg.eigvalsh), at the
    tolerance's edge: a negative eigenvalue 10x beyond it is refused, one 10x inside it passes."""
    from symrg._validate import check_kernel_matrix, psd_tolerance

    rng = np.random.default_rng(4)
    Q, _ = np.linalg.qr(rng.standard_normal((60, 60)))
    for factor, ok in ((10.0, False), (0.1, True)):
        w = np.linspace(1.0, 0.01, 60)
        K0 = (Q * w) @ Q.T
        tol = psd_tolerance(K0)
        w[-1] = -factor * tol
        K = (Q * w) @ Q.T
        K = 0.5 * (K + K.T)
        assert (np.linalg.eigvalsh(K)[0] >= -tol) == ok
        if ok:
            check_kernel_matrix(K)
        else:
            with pytest.raises(KernelError, match="smallest eigenvalue"):
                check_kernel_matrix(K)


def test_nngp_gram_in_blocks_equals_the_one_shot_kernel(monkeypatch):
    """NNGPKernel.gram fills row blocks (upper triangle mirrored): the same numbers as k(X Y^T) at once."""
    from symrg.spectra import kernels
    from symrg.spectra.kernels import NNGPKernel

    monkeypatch.setattr(kernels, "GRAM_BLOCK_BYTES", 8 * 37 * 7)     # blocks of 7 rows: many, ragged
    monkeypatch.setattr(kernels, "KERNEL_CHUNK_BYTES", 8 * 37 * 3)   # the layer maps on 3 rows at a time
    rng = np.random.default_rng(5)
    X = rng.standard_normal((37, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    for k in (NNGPKernel("relu", 2), NNGPKernel("erf", 1), NNGPKernel("step", 3)):
        G = k.gram(X)
        assert np.array_equal(G, G.T)
        np.testing.assert_allclose(G, k(np.clip(X @ X.T, -1, 1)), rtol=0, atol=1e-14)
        np.testing.assert_allclose(k.gram(X[:9], X), k(np.clip(X[:9] @ X.T, -1, 1)), rtol=0, atol=1e-14)


def test_layer_maps_in_work_arrays_equal_the_formulas_to_the_bit():
    """NNGPKernel._layer writes its operations into work arrays; the values equal the textbook expressions
    (docs/theory.md section 1: ReLU sw q J(c/q) + sb, step sw J0(c/q) + sb, erf sw (2/pi) arcsin(2c/(1+2q)) + sb)
    evaluated one NumPy operation after another, to the last bit, for arrays, 0-d arrays, floats and float32."""
    from symrg.spectra.kernels import NNGPKernel

    def textbook(k, c, q):
        sw, sb, rho = k.sigma_w2, k.sigma_b2, np.clip(c / q, -1.0, 1.0)
        if k.activation == "relu":
            return sw * q * ((np.sqrt(np.maximum(1.0 - rho * rho, 0.0)) + (np.pi - np.arccos(rho)) * rho)
                             / (2 * np.pi)) + sb
        if k.activation == "step":
            return sw * ((np.pi - np.arccos(rho)) / (2 * np.pi)) + sb
        return sw * (2 / np.pi) * np.arcsin(np.clip(2 * c / (1 + 2 * q), -1, 1)) + sb

    rng = np.random.default_rng(3)
    inputs = [rng.uniform(-1.4, 1.4, (40, 30)), np.array(0.37), -0.2, np.array([1.0, -1.0, 0.0]),
              rng.uniform(-1, 1, 9).astype(np.float32)]
    for act in ("relu", "step", "erf"):
        for sb in (0.0, 0.3):
            k = NNGPKernel(act, 2, sigma_w2=1.7, sigma_b2=sb)
            for c in inputs:
                c0 = np.array(c, copy=True)
                got, want = k._layer(c, 1.3), textbook(k, c, 1.3)
                assert np.asarray(got).dtype == np.asarray(want).dtype and np.shape(got) == np.shape(want)
                assert np.array_equal(got, want), (act, sb, c)
                assert np.array_equal(c, c0)                      # the input is not written


def test_exact_gp_psd_check_on_both_paths():
    """check_psd: with sigma^2 above the rounding tolerance a separate Cholesky of K + tol I certifies
    PSD (a Gram with eigenvalue -1e-3 is refused although K + sigma^2 I factors); with sigma^2 at or below
    it the fit's own factorisation certifies it, and a failure names the negative eigenvalue."""
    import numpy as np
    import pytest

    from symrg.errors import KernelError
    from symrg.numerics.gp import ExactGP

    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((40, 40)))[0]
    w = np.linspace(1.0, 0.01, 40)
    w[-1] = -1e-3
    K = (Q * w) @ Q.T
    K = (K + K.T) / 2
    y = rng.standard_normal(40)
    with pytest.raises(KernelError, match="not positive semi-definite"):
        ExactGP(ridge=1.0).fit(K, y)                     # K + I factors; the PSD check refuses
    with pytest.raises(KernelError, match="not positive semi-definite"):
        ExactGP(ridge=1e-12).fit(K, y)                   # the fit's factorisation fails; the message says why
    w[-1] = 0.0
    Kp = (Q * w) @ Q.T
    Kp = (Kp + Kp.T) / 2
    m = ExactGP(ridge=1e-12).fit(Kp, y)
    assert np.all(np.isfinite(m.alpha_))
    np.testing.assert_allclose(ExactGP(ridge=0.1).fit(Kp, y).predict(Kp),
                               Kp @ np.linalg.solve(Kp + 0.1 * np.eye(40), y), rtol=1e-10)
