"""The Hermite-eigenstructure spectrum (docs/theory.md section 4d) against independent computations.

References: the linear kernel's operator eigenvalues are those of the Gram matrix (1/P) X X^T (dense
eigvalsh); the quadratic kernel's operator on N(0, diag gamma) in closed form from Gaussian moments
(derived below), itself checked against a Monte Carlo feature-space covariance; the isotropic sphere
against the Funk-Hecke eigenvalues of symrg.spectra.funk_hecke; the enumeration against brute force
over all multi-indices.
"""
import itertools
import math

import numpy as np
import pytest

from symrg.errors import ParameterError
from symrg.spectra import NNGPKernel
from symrg.spectra.hermite import enumerate_top, hermite_spectrum


def test_linear_kernel_is_exact_on_any_data():
    rng = np.random.default_rng(0)
    X = rng.exponential(size=(300, 6)) * np.array([3, 2, 1, 0.5, 0.3, 0.1])  # skewed, non-centred
    gram = np.linalg.eigvalsh(X @ X.T / 300)[::-1][:6]  # the operator's non-zero eigenvalues
    for split in (True, False):
        h = hermite_spectrum(X, [0.0, 1.0], 6, split=split)
        np.testing.assert_allclose(h.eigenvalues, gram, rtol=1e-9)
        assert h.trace == pytest.approx(float(np.mean(np.sum(X * X, 1))), rel=1e-12)
    with pytest.raises(ParameterError, match="--kappa"):
        hermite_spectrum(X, [0.0, 1.0], 7, split=False)  # the linear kernel has rank D = 6
    U = X / np.linalg.norm(X, axis=1)[:, None]  # unit rows: the radial split form (4d.3) stays exact
    h = hermite_spectrum(U, [0.0, 1.0], 6)
    assert h.form == "split-radial"
    np.testing.assert_allclose(h.eigenvalues, np.linalg.eigvalsh(U @ U.T / 300)[::-1][:6], rtol=1e-9)


def quadratic_exact(c, g):
    """Eigenvalues of f -> E[k(x.x') f(x')], k = c0 + c1 t + c2 t^2, x ~ N(0, diag g), in closed form.

    In the orthonormal basis 1, h1(z_a), h1(z_a)h1(z_b) (a < b), h2(z_a) (z = x/sqrt(g), h2 = (z^2-1)/sqrt 2):
    c1 t = sum_a c1 g_a h1 h1'; x_a x_b x'_a x'_b = g_a g_b h1h1 h1'h1' (a != b, counted twice in t^2);
    x_a^2 x'_a^2 = g_a^2 (1 + sqrt2 h2)(1 + sqrt2 h2').  So c1 g_a, 2 c2 g_a g_b, and the eigenvalues of
    c0 e0 e0^T + c2 sum_a g_a^2 u_a u_a^T with u_a = e0 + sqrt2 e_a on span{1, h2(z_a)}.
    """
    c0, c1, c2 = c
    D = len(g)
    out = [c1 * ga for ga in g] + [2 * c2 * g[a] * g[b] for a in range(D) for b in range(a + 1, D)]
    B = np.zeros((D + 1, D + 1))
    B[0, 0] = c0
    for a in range(D):
        u = np.zeros(D + 1)
        u[0], u[a + 1] = 1.0, math.sqrt(2)
        B += c2 * g[a] ** 2 * np.outer(u, u)
    out += list(np.linalg.eigvalsh(B))
    return np.sort(out)[::-1]


def test_quadratic_closed_form_against_monte_carlo():
    # the closed form used as the reference below, held against sampling (feature-space covariance:
    # the non-zero eigenvalues of (1/P) K equal those of (1/P) Phi^T Phi for k = Phi Phi'^T)
    rng = np.random.default_rng(1)
    g, c, P = np.array([1.0, 0.5, 0.2]), (1.0, 0.7, 0.8), 400_000
    X = rng.standard_normal((P, 3)) * np.sqrt(g)
    pairs = [(a, b) for a in range(3) for b in range(3)]
    Phi = np.column_stack([np.full(P, math.sqrt(c[0]))] + [math.sqrt(c[1]) * X[:, a] for a in range(3)]
                          + [math.sqrt(c[2]) * X[:, a] * X[:, b] for a, b in pairs])
    mc = np.sort(np.linalg.eigvalsh(Phi.T @ Phi / P))[::-1][:10]
    np.testing.assert_allclose(quadratic_exact(c, g), mc, rtol=0.03)


@pytest.mark.parametrize("eps", [0.1, 0.01])
def test_quadratic_kernel_exact_where_the_ansatz_is_and_converges_elsewhere(eps):
    g, c = eps * np.array([1.0, 0.5, 0.2]), (1.0, 1.0, 1.0)
    exact = quadratic_exact(c, g)
    h = hermite_spectrum(np.diag(g), list(c), 10, covariance=True)
    rel = np.abs(h.eigenvalues / exact - 1)
    # degree 1 and the mixed degree-2 modes are exact; the pure squares h2(z_a) mix with the constant
    # through |x|^2 at relative order c2 tr(Sigma^2) / c0 ~ eps^2
    mixed = [k for k, m in enumerate(h.modes) if m[0] == 1 or (m[0] == 2 and len(m[2]) == 2)]
    assert len(mixed) == 6
    assert np.max(rel[mixed]) < 1e-12
    assert np.max(rel) < 3 * eps ** 2
    assert np.max(rel) > 0.1 * eps ** 2  # not exact: the test can tell


def test_isotropic_sphere_against_funk_hecke():
    from symrg.spectra.funk_hecke import sphere_spectrum

    kern = NNGPKernel("relu", 2)
    errs = []
    for d in (40, 400):
        fh = sphere_spectrum(kern, d, 2).eigenvalues
        h = hermite_spectrum(np.eye(d) / d, kern, 1 + d + 1, covariance=True)
        lv = {m[0]: v for v, m in zip(h.eigenvalues, h.modes)}
        errs.append([abs(lv[l] / fh[l] - 1) for l in (0, 1, 2)])
    errs = np.array(errs)
    assert np.all(errs[1] < 0.02)            # accurate in high dimension ...
    assert np.all(errs[1] < 0.25 * errs[0])  # ... with an error falling like 1/d


def _brute(levels, g, kappa):
    vals = []
    for j, vs in enumerate(levels):
        for n, v in enumerate(vs):
            for idx in itertools.combinations_with_replacement(range(len(g)), j):
                vals.append((v * np.prod([g[i] for i in idx]), j, n, idx))
    vals.sort(key=lambda t: -t[0])
    return vals[:kappa]


def test_enumeration_matches_brute_force_with_multiplicities():
    rng = np.random.default_rng(2)
    g = np.array([0.3, 0.2, 0.2, 0.1, 0.05])  # a tie: multiplicities must come out right
    levels = [rng.uniform(0.5, 2, size=rng.integers(1, 3)) for _ in range(5)]
    total = sum(len(v) * math.comb(len(g) + j - 1, j) for j, v in enumerate(levels))
    vals, modes = enumerate_top(levels, g, total)
    ref = _brute(levels, g, total)
    np.testing.assert_allclose(vals, [r[0] for r in ref], rtol=1e-13)
    assert np.all(np.diff(vals) <= 1e-15 * vals[1:])
    assert sorted(modes) == sorted((r[1], r[2], r[3]) for r in ref)  # each multi-index exactly once
    k = 40
    while ref[k - 1][0] == pytest.approx(ref[k][0], rel=1e-12):
        k += 1
    v40, m40 = enumerate_top(levels, g, k)
    assert sorted(m40) == sorted((r[1], r[2], r[3]) for r in ref[:k])


def test_eigenfunctions_are_orthonormal_on_gaussian_data():
    rng = np.random.default_rng(3)
    g = np.array([0.4, 0.3, 0.2, 0.1]) / 4
    Y = rng.standard_normal((200_000, 4)) * np.sqrt(g)
    h = hermite_spectrum(np.diag(g), [0.3, 0.5, 0.3, 0.1], 12, covariance=True, points=Y)
    G = h.eigenfunctions.T @ h.eigenfunctions / Y.shape[0]
    assert np.max(np.abs(G - np.eye(12))) < 0.05


def test_split_form_eigenfunctions_orthonormal_on_the_data():
    rng = np.random.default_rng(4)
    X = np.abs(rng.standard_normal((4000, 20))) + 0.5
    X /= np.linalg.norm(X, axis=1)[:, None]
    h = hermite_spectrum(X, NNGPKernel("relu", 1), 8, points=X)
    G = h.eigenfunctions.T @ h.eigenfunctions / X.shape[0]
    # the leading coordinate is treated exactly (Gauss rule of its empirical law); the others by the
    # ansatz, so orthogonality holds to the data's departure from independence
    assert np.max(np.abs(np.diag(G) - 1)) < 0.15
    assert h.eigenvalues[0] == pytest.approx(float(np.mean(NNGPKernel("relu", 1)(X @ X[:500].T))), rel=0.05)


def test_bad_kernel_and_kappa_are_named():
    with pytest.raises(ParameterError, match="kernel"):
        hermite_spectrum(np.eye(3) / 3, lambda t: np.exp(t), 2, covariance=True)
    with pytest.raises(ParameterError, match="--kappa"):
        hermite_spectrum(np.diag([0.5, 0.3, 0.2]), [1.0, 1.0, 1.0], 11, covariance=True)
    with pytest.raises(ParameterError, match="kappa"):
        hermite_spectrum(np.eye(3) / 3, [1.0, 1.0], 0, covariance=True)
