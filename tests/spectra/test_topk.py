"""Top-kappa modes plus the trace (docs/theory.md section 4b) against the dense eigendecomposition.

The reference in every test is ``scipy.linalg.eigh`` of the full ``(1/P) K``, with K built here
from ``kernel.gram`` (no code of symrg.spectra.topk is involved), or a closed form: ReLU NNGP
kernels with ``sigma_w^2 = 2``, ``sigma_b^2 = 0`` have ``k(1) = 1``, so the trace is 1 on the sphere.
"""
import numpy as np
import pytest
import scipy.linalg

from symrg.data import load_digits, sample_sphere
from symrg.errors import ConvergenceError, KernelError, ParameterError
from symrg.spectra import NNGPKernel, TopKSpectrum, topk_spectrum
from symrg.spectra.topk import _GramBlocks, physical_memory

POOLS = {
    "sphere": lambda: sample_sphere(1200, 10, rng=7),
    "digits": lambda: load_digits().on_sphere(),          # 1797 rows, normalised to S^63
}
# kappa values: on the sphere 11 and 65 close the degree-1 and degree-2 shells (relative gaps 3 to 33);
# 40 and 200 cut through a shell, where neighbouring eigenvalues are close (gap ~ 1e-3)
KAPPAS = {"sphere": (11, 40, 200), "digits": (20, 100)}
_cache = {}


def reference(pool, depth):
    """(X, kernel, K/P, eigenvalues descending, eigenvectors) by dense eigh, computed once."""
    key = (pool, depth)
    if key not in _cache:
        X = POOLS[pool]()
        k = NNGPKernel("relu", depth)
        A = k.gram(X, X) / X.shape[0]
        w, U = scipy.linalg.eigh(A)
        _cache[key] = (X, k, A, w[::-1].copy(), U[:, ::-1].copy())
    return _cache[key]


def rel_err(a, b):
    return np.max(np.abs(a - b) / np.abs(b))


# ---------------------------------------------------------------------------------------------
# eigenvalues, eigenvectors, trace, tail
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["randomized", "subspace"])
@pytest.mark.parametrize("depth", [1, pytest.param(3, marks=pytest.mark.slow)])
@pytest.mark.parametrize("pool", ["sphere", "digits"])
def test_top_eigenvalues_match_dense_eigh(pool, depth, method):
    X, k, A, w, U = reference(pool, depth)
    for kappa in KAPPAS[pool][:2] if method == "subspace" else KAPPAS[pool]:
        s = topk_spectrum(X, k, kappa, method=method)
        assert s.eigenvalues.shape == (kappa,) and s.phi.shape == (X.shape[0], kappa)
        assert rel_err(s.eigenvalues, w[:kappa]) < 1e-8, (pool, depth, kappa)
        # the stated bound holds: theta_k +- bound_k contains lambda_k here
        assert np.all(np.abs(s.eigenvalues - w[:kappa]) <= s.error_estimate.bound)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_four_hundred_modes_of_the_digits(dtype):
    X, k, A, w, U = reference("digits", 3)
    s = topk_spectrum(X, k, 400, dtype=dtype)
    assert rel_err(s.eigenvalues, w[:400]) < (1e-8 if dtype == np.float64 else 3e-4)
    assert np.all(np.abs(s.eigenvalues - w[:400]) <= s.error_estimate.bound)
    assert abs(s.tail_power - w[400:].sum()) < (1e-12 if dtype == np.float64 else 1e-5) * w[400:].sum()


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("pool", ["sphere", "digits"])
def test_trace_and_tail_power(pool, depth):
    X, k, A, w, U = reference(pool, depth)
    kappa = KAPPAS[pool][1]
    s = topk_spectrum(X, k, kappa)
    assert abs(s.trace - 1.0) < 1e-14                     # k(1) = 1 for ReLU, sigma_w^2 = 2
    assert abs(s.trace - w.sum()) < 1e-12 * w.sum()       # sum of all P eigenvalues
    assert abs(s.tail_power - w[kappa:].sum()) < 1e-12 * w[kappa:].sum()


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("pool,kappa", [("sphere", 11), ("sphere", 65), ("digits", 20), ("digits", 100)])
def test_eigenvectors_span_the_top_subspace(pool, kappa, depth):
    X, k, A, w, U = reference(pool, depth)
    s = topk_spectrum(X, k, kappa)
    V = s.eigenvectors
    assert np.allclose(V.T @ V, np.eye(kappa), atol=1e-12)
    assert np.allclose(s.phi, V * np.sqrt(X.shape[0]))
    angle = scipy.linalg.subspace_angles(V, U[:, :kappa]).max()
    # Davis-Kahan sin(theta) theorem with the reported residuals and the true gap
    gap = s.eigenvalues[-1] - w[kappa]
    assert np.sin(angle) <= np.linalg.norm(s.error_estimate.residual) / gap * (1 + 1e-6) + 1e-12
    assert angle < 1e-5                                     # measured: at most 3e-6
    # each mode satisfies the Mercer equation on the pool: (1/P) K phi_k = lambda_k phi_k
    assert np.max(np.abs(A @ s.phi - s.phi * s.eigenvalues)) < 1e-5 * s.eigenvalues[0]


def test_exact_method_matches_dense_eigh():
    X, k, A, w, U = reference("digits", 1)
    s = topk_spectrum(X, k, 100, method="exact")
    assert s.method == "exact" and s.iterations == 0
    assert rel_err(s.eigenvalues, w[:100]) < 1e-10
    assert scipy.linalg.subspace_angles(s.eigenvectors, U[:, :100]).max() < 1e-10
    assert np.all(s.error_estimate.residual < 1e-13)


@pytest.mark.parametrize("method", ["randomized", "subspace"])
def test_block_of_all_points_is_a_full_basis(method):
    # kappa + oversample >= P: the block spans R^P and one Rayleigh-Ritz step is exact
    X = sample_sphere(40, 5, rng=3)
    k = NNGPKernel("relu", 2)
    w = scipy.linalg.eigvalsh(k.gram(X, X) / 40)[::-1]
    s = topk_spectrum(X, k, 39, method=method)
    assert s.iterations == 1
    assert np.max(np.abs(s.eigenvalues - w[:39])) < 1e-14 * w[0]
    assert abs(s.tail_power - w[39]) < 1e-14


# ---------------------------------------------------------------------------------------------
# blocks, caching, precision, determinism
# ---------------------------------------------------------------------------------------------
def test_blockwise_products_equal_one_block():
    X, k, A, w, U = reference("digits", 3)
    P = X.shape[0]
    Q = np.random.default_rng(0).standard_normal((P, 7))
    exact = A @ Q * P
    for rows in (P, 1000, 97, 13):
        Y = _GramBlocks(X, k, rows, np.float64, 0, lambda: None).matmat(Q)
        assert np.max(np.abs(Y - exact)) < 1e-12 * np.max(np.abs(exact)), rows


def test_blockwise_spectrum_equals_one_block():
    X, k, A, w, U = reference("digits", 3)
    one = topk_spectrum(X, k, 100, block_rows=X.shape[0])
    many = topk_spectrum(X, k, 100, block_rows=97)
    # Weyl: rounding in the products moves every eigenvalue by O(eps * lambda_max), so the bound is
    # absolute; relative to the smallest of the 100 (~1e-4 lambda_max) that is ~1e-12, no tighter
    assert np.max(np.abs(many.eigenvalues - one.eigenvalues)) < 1e-14 * one.eigenvalues[0]
    assert abs(many.tail_power - one.tail_power) < 1e-13
    # the vectors agree to their convergence (~1e-6, as against the dense eigh), not to rounding
    assert scipy.linalg.subspace_angles(many.phi, one.phi).max() < 3e-6


class _Counting:
    """An NNGP kernel that counts the tiles it forms."""

    def __init__(self, kernel):
        self.kernel, self.calls = kernel, 0

    def gram(self, A, B):
        self.calls += 1
        return self.kernel.gram(A, B)


def test_streamed_and_cached_tiles_give_the_same_bytes():
    X, k, A, w, U = reference("digits", 1)
    P, kappa, rows = X.shape[0], 50, 128
    tiles = 15 * 16 // 2                                   # 1797 rows in 15 blocks of <= 128
    kept = _Counting(k)
    cached = topk_spectrum(X, kept, kappa, block_rows=rows)
    assert kept.calls == tiles                             # K formed once
    # just the working memory (8 arrays P x l, 2 of P x kappa, one tile): no tile can be kept
    l = kappa + max(10, kappa // 5)
    tight = 8 * 8 * P * l + 2 * 8 * P * kappa + 6 * 8 * rows ** 2 + 2 * 8 * rows * l
    streamed_kernel = _Counting(k)
    streamed = topk_spectrum(X, streamed_kernel, kappa, block_rows=rows, memory_limit=tight)
    assert streamed_kernel.calls == tiles * streamed.iterations   # K formed again in every pass
    assert streamed.eigenvalues.tobytes() == cached.eigenvalues.tobytes()
    assert streamed.phi.tobytes() == cached.phi.tobytes()
    with pytest.raises(ParameterError, match="memory_limit"):
        topk_spectrum(X, k, kappa, block_rows=rows, memory_limit=tight - 1)


@pytest.mark.parametrize("kappa", [20, 100])
def test_float32_blocks_within_stated_error(kappa):
    X, k, A, w, U = reference("digits", 3)
    s = topk_spectrum(X, k, kappa, dtype=np.float32)
    assert s.dtype == "float32"
    err = np.abs(s.eigenvalues - w[:kappa])
    assert np.all(err <= s.error_estimate.bound)
    # the rounding term is (u(float32) + sqrt(P) u) ||K||_F / P, about 1.2e-7 lambda_1 here
    u = np.finfo(np.float32).eps + np.sqrt(X.shape[0]) * np.finfo(float).eps
    assert s.error_estimate.rounding == pytest.approx(u * np.linalg.norm(A), rel=1e-6)
    # measured errors (module docstring): far inside the bound, yet not float64-accurate
    assert np.max(err) < 1e-8 * w[0]
    assert rel_err(s.eigenvalues, w[:kappa]) < {20: 3e-6, 100: 5e-5}[kappa]
    assert abs(s.tail_power - w[kappa:].sum()) < 1e-6 * w[kappa:].sum() + kappa * 1e-8 * w[0]


def test_same_seed_same_bytes_other_seed_same_spectrum():
    X, k, A, w, U = reference("sphere", 1)
    a = topk_spectrum(X, k, 40, seed=5)
    b = topk_spectrum(X, k, 40, seed=5)
    c = topk_spectrum(X, k, 40, seed=6)
    assert a.eigenvalues.tobytes() == b.eigenvalues.tobytes() and a.phi.tobytes() == b.phi.tobytes()
    assert a.error_estimate.residual.tobytes() == b.error_estimate.residual.tobytes()
    assert rel_err(c.eigenvalues, a.eigenvalues) < 1e-8


def test_progress_reports_blocks_and_finishes_at_total():
    X, k, A, w, U = reference("sphere", 1)
    calls = []
    s = topk_spectrum(X, k, 11, block_rows=300, progress=lambda d, t: calls.append((d, t)))
    total = 10 * 60                                          # 4 x 5 / 2 tiles x power_iters
    assert calls[-1] == (total, total)
    done = [d for d, t in calls]
    assert all(t == total for d, t in calls) and done == sorted(done)
    assert done[-2] == 10 * s.iterations                    # one call per tile of every pass


# ---------------------------------------------------------------------------------------------
# target power
# ---------------------------------------------------------------------------------------------
def test_target_power_top_modes_and_tail_by_parseval():
    X, k, A, w, U = reference("digits", 1)
    P, kappa = X.shape[0], 100
    s = topk_spectrum(X, k, kappa)
    y = load_digits().labels.astype(float) - 4.5
    tp = s.target_power(y)
    exact = (U.T @ y) / np.sqrt(P)                          # y_k with the dense eigenvectors
    # the eigenvectors are converged to ~1e-6 (subspace angle), so the coefficients to ~1e-6 |y|/sqrt(P)
    assert np.allclose(np.abs(tp.coefficients), np.abs(exact[:kappa]), rtol=0, atol=1e-5 * np.sqrt(tp.total))
    # the tail moves at first order in the eigenvector error (measured 5e-8 relative)
    assert tp.tail == pytest.approx(np.sum(exact[kappa:] ** 2), rel=1e-6)
    assert tp.total == pytest.approx(y @ y / P, rel=1e-14)
    assert tp.total == pytest.approx(np.sum(tp.coefficients ** 2) + tp.tail, rel=1e-13)


def test_target_power_per_output_and_summed():
    X, k, A, w, U = reference("digits", 1)
    s = topk_spectrum(X, k, 50)
    labels = load_digits().labels
    Y = np.stack([(labels == c).astype(float) for c in (0, 3, 8)], axis=1)
    tp = s.target_power(Y)
    assert tp.coefficients.shape == (50, 3) and tp.tail.shape == (3,) and tp.total.shape == (3,)
    for j in range(3):
        one = s.target_power(Y[:, j])
        assert np.allclose(tp.coefficients[:, j], one.coefficients, rtol=0, atol=1e-15)
        assert tp.tail[j] == pytest.approx(one.tail, rel=1e-12)
    assert np.allclose(tp.mode_power, np.sum(tp.coefficients ** 2, axis=1))
    assert tp.tail_sum == pytest.approx(tp.tail.sum())
    with pytest.raises(ParameterError, match="y"):
        s.target_power(Y[:-1])
    with pytest.raises(ParameterError, match="y"):
        s.target_power(np.full(X.shape[0], np.nan))


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    return sample_sphere(60, 4, rng=1), NNGPKernel("relu", 1)


@pytest.mark.parametrize("kappa", [0, 60, 61, -1, 2.5, "3", None])
def test_kappa_outside_one_to_p_minus_one_is_refused(small, kappa):
    X, k = small
    with pytest.raises(ParameterError, match=r"kappa.*\[1, 59\].*P=60"):
        topk_spectrum(X, k, kappa)


def test_bad_inputs_are_refused(small):
    X, k = small
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ParameterError, match="X"):
        topk_spectrum(bad, k, 5)
    with pytest.raises(ParameterError, match="X"):
        topk_spectrum(X[:, 0], k, 5)
    with pytest.raises(ParameterError, match="unit sphere"):
        topk_spectrum(2 * X, k, 5)
    with pytest.raises(ParameterError, match="kernel"):
        topk_spectrum(X, lambda A, B: A @ B.T, 5)
    with pytest.raises(ParameterError, match="method"):
        topk_spectrum(X, k, 5, method="lanczos")
    for dtype in (np.float16, "garbage", np.int64):
        with pytest.raises(ParameterError, match="dtype"):
            topk_spectrum(X, k, 5, dtype=dtype)
    with pytest.raises(ParameterError, match="dtype"):
        topk_spectrum(X, k, 5, method="exact", dtype=np.float32)
    with pytest.raises(ParameterError, match="progress"):
        topk_spectrum(X, k, 5, progress=3)
    for name, value in (("oversample", -1), ("power_iters", 0), ("block_rows", 0), ("tol", 0.0),
                        ("seed", -2)):
        with pytest.raises(ParameterError, match=name):
            topk_spectrum(X, k, 5, **{name: value})


def test_memory_limit_too_small_names_memory_limit(small):
    X, k = small
    with pytest.raises(ParameterError, match="memory_limit.*bytes"):
        topk_spectrum(X, k, 5, memory_limit=1000)
    with pytest.raises(ParameterError, match="memory_limit.*method='randomized'"):
        topk_spectrum(X, k, 5, method="exact", memory_limit=60 * 60 * 8)
    if physical_memory():
        with pytest.raises(ParameterError, match="memory_limit.*physical memory"):
            topk_spectrum(X, k, 5, memory_limit=2 * physical_memory())


def test_too_few_passes_raise_convergence_error_with_advice():
    X, k, A, w, U = reference("sphere", 1)
    with pytest.raises(ConvergenceError, match="power_iters.*oversample"):
        topk_spectrum(X, k, 200, method="randomized", power_iters=3)
    with pytest.raises(ConvergenceError, match="power_iters.*oversample"):
        topk_spectrum(X, k, 200, method="subspace", power_iters=3)


class _Gram:
    def __init__(self, f):
        self.f = f

    def gram(self, A, B):
        return self.f(A, B)


def test_kernels_that_are_not_mercer_kernels_are_refused(small):
    X, _ = small
    with pytest.raises(KernelError, match="not positive semi-definite"):
        topk_spectrum(X, _Gram(lambda A, B: -1.0 - (A @ B.T) ** 2), 5)
    with pytest.raises(KernelError, match="not symmetric"):
        topk_spectrum(X, _Gram(lambda A, B: A @ B.T + A[:, :1]), 5)
    with pytest.raises(KernelError, match="non-finite"):
        topk_spectrum(X, _Gram(lambda A, B: np.where(A @ B.T > 0.99, np.inf, A @ B.T)), 5)


def test_result_is_frozen_and_read_only():
    X, k, A, w, U = reference("sphere", 1)
    s = topk_spectrum(X, k, 11)
    assert isinstance(s, TopKSpectrum) and s.n_points == X.shape[0] and s.kappa == 11
    with pytest.raises(ValueError):
        s.eigenvalues[0] = 0.0
    with pytest.raises(AttributeError):
        s.trace = 2.0
    assert "contains an eigenvalue" in s.error_estimate.statement


def test_auto_method_follows_memory_and_the_cost_model():
    """The measured cases of the cost model: dense wins at kappa/P = 0.1-0.2, randomized at kappa/P = 0.01,
    and the dense route is never chosen when the P x P matrix does not fit."""
    from symrg.spectra.topk import choose_method

    gb = 2 ** 30
    assert choose_method(5000, 1000, 12 * gb)[0] == "exact"
    assert choose_method(10000, 1000, 12 * gb)[0] == "exact"
    assert choose_method(10000, 100, 12 * gb)[0] == "randomized"
    m, why = choose_method(60000, 1000, 12 * gb)
    assert m == "randomized" and "memory" in why
    X, k, A, w, U = reference("sphere", 1)
    s = topk_spectrum(X, k, 11)
    assert s.method in ("exact", "randomized") and s.method_reason != "chosen by the caller"
