"""Studies of the input-dependent ridge: feature diagnostics and comparison figures (docs/theory.md section 5)."""
import numpy as np
import pytest

from symrg.numerics import input_ridge as ir
from symrg.studies import input_ridge_study as irs
from symrg.spectra.empirical import EmpiricalSpectrum
from symrg.spectra.kernels import NNGPKernel


@pytest.fixture(scope="module")
def sphere_pool():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((150, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    K = NNGPKernel("relu", 2).gram(X, X)
    y = np.sign(X[:, 0] + 0.3 * X[:, 1] ** 2 - 0.1)
    return X, K, y, EmpiricalSpectrum.from_gram(K)


def test_feature_diagnostics(tmp_path, sphere_pool):
    from symrg.studies.diagnostics import GAUSSIAN_TAIL_3SIGMA, feature_moments, write_feature_figures

    rng = np.random.default_rng(1)
    m = feature_moments(rng.standard_normal((20000, 3)))
    assert max(abs(k) for k in m["excess_kurtosis"]) < 0.15
    assert abs(np.mean(m["tail_weight_3sigma"]) - GAUSSIAN_TAIL_3SIGMA) < 0.002
    _, _, _, sp_ = sphere_pool
    paths = write_feature_figures(sp_, tmp_path / "a", name="pool")
    again = write_feature_figures(sp_, tmp_path / "b", name="pool")
    assert len(paths) == 2
    for p, q in zip(paths, again):
        assert open(p, "rb").read() == open(q, "rb").read()      # deterministic


def test_comparison_figures(tmp_path, sphere_pool):
    _, K, y, sp_ = sphere_pool
    comp = ir.compare_input_ridge(K, y, 0.01, 60, [5, 30], seed=0, spectrum=sp_)
    res = {"runs": [{"dataset": "toy", "target": "sign", "depth": 2, "n_train": 60, "comparison": comp}]}
    paths = irs.write_comparison_figures(res, tmp_path)
    assert len(paths) == 3 and all(p.endswith(".png") for p in paths)
