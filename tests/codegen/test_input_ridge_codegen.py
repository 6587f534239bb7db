"""Generated code of the input-dependent ridge (docs/theory.md section 5): regeneration and the mpmath twin."""
import importlib

import mpmath
import numpy as np
import pytest

from symrg.codegen import einsum, modules


def test_regeneration_is_byte_identical(tmp_path):
    assert set(modules.regenerate_input_ridge(check=True).values()) == {"unchanged"}
    modules.regenerate_input_ridge(out_dir=tmp_path)
    from symrg.codegen import generated_dir
    for name in ("input_ridge.py", "input_ridge_mp.py"):
        assert (tmp_path / name).read_bytes() == (generated_dir() / name).read_bytes()


def test_header_hash_matches_source():
    g = importlib.import_module("symrg._generated.input_ridge")
    gm = importlib.import_module("symrg._generated.input_ridge_mp")
    h = einsum._source_hash(einsum.input_ridge_functions())
    assert g.SOURCE_SHA256 == gm.SOURCE_SHA256 == h
    assert f"inputs_sha256: {h}" in open(g.__file__).read()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_matches_mpmath_twin(seed):
    g = importlib.import_module("symrg._generated.input_ridge")
    gm = importlib.import_module("symrg._generated.input_ridge_mp")
    rng = np.random.default_rng(seed)
    n, K, m = 5, 4, 3
    lam = rng.random(K)
    phi = rng.normal(size=(n, m))
    c3 = 0.3 * rng.normal(size=(K, m))
    c4 = 0.2 * rng.normal(size=(K, m, m))
    c4 = (c4 + c4.transpose(0, 2, 1)) / 2
    c4d = np.einsum("kqq->kq", c4)
    calls = {"sigma2_x": (0.1, lam, phi, c3, c4), "sigma2_x_diag": (0.1, lam, phi, c3, c4d),
             "cond_moment": (phi, c3, c4), "cond_moment_diag": (phi, c3, c4d), "flow_x": (lam, phi, c3, c4)}
    with mpmath.workdps(40):
        for name, args in calls.items():
            a = np.asarray(getattr(g, name)(*args))
            b = np.array(getattr(gm, name)(*args), dtype=float)
            assert a.shape == b.shape
            assert np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)) < 1e-12, name
    # and both equal the formula written out per input and mode
    E = np.array([[1 + c3[k] @ phi[i] + 0.5 * (phi[i] @ c4[k] @ phi[i] - np.trace(c4[k])) for k in range(K)]
                  for i in range(n)])
    np.testing.assert_allclose(g.sigma2_x(0.1, lam, phi, c3, c4), 0.1 + E @ lam, rtol=1e-13)
    np.testing.assert_allclose(g.flow_x(lam, phi, c3, c4), -E * lam, rtol=1e-13)
