"""The input-dependent ridge on one data set and the four reduced models: the numbers behind
``symrg ridge-map`` (docs/theory.md section 5; data and target conventions in :mod:`symrg.cli.ridge_map`)."""
from __future__ import annotations

import sys
import warnings

import numpy as np

from ..errors import ParameterError

__all__ = ["load_ridge_map_data", "ridge_map"]


def load_ridge_map_data(data, target_class=None, pair=None, pool=1000, pool_seed=0):
    """The pool on the unit sphere and its target (``X``, ``y``), as every command builds them.

    ``data`` is a built-in name or a path (:func:`symrg.data.resolve_dataset`); the pool and the
    target come from :func:`symrg.data.pool_data` (the first ``pool`` training rows after a shuffle
    with ``pool_seed``; the target of :func:`symrg.data.make_target`).
    """
    from ..data import pool_data, resolve_dataset

    p = pool_data(resolve_dataset(data), pool, pool_seed, target_class=target_class, pair=pair)
    return p.X, p.y


def ridge_map(X, y, *, kernel="relu", depth=1, ridge=1e-2, kappa=100, pool=None, n=200, seed=0,
              c4="none") -> dict:
    """The numbers behind ``symrg ridge-map`` (see the module doc) on the first ``pool`` rows of ``X``, ``y``.

    ``pool=None`` uses every row (``X``, ``y`` from :func:`load_ridge_map_data` are the pool already).
    """
    from .._validate import check_int
    from ..numerics.input_ridge import compare_input_ridge, input_ridge
    from ..spectra.empirical import EmpiricalSpectrum
    from ..spectra.kernels import NNGPKernel

    N = X.shape[0]
    P = N if pool is None else check_int(pool, "pool", 2, N)
    n = check_int(n, "--n", 1, P - 1)
    kappa = check_int(kappa, "--kappa", 0, None)
    if kappa > P:
        raise ParameterError("--kappa", kappa, f"at most the number of modes, the pool size P={P}")
    Xp, yp = X[:P], y[:P]
    K = NNGPKernel(kernel, depth).gram(Xp, Xp)
    spec = EmpiricalSpectrum.from_gram(K)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = input_ridge(spec, kappa, ridge, c4=c4)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    comp = compare_input_ridge(K, yp, ridge, n, [kappa], seed=seed, spectrum=spec, c4=c4)
    models = {v: {"rel_pred_error": comp["rel_error"][v][0], "test_mse": comp["test_mse"][v][0]}
              for v in ("truncated", "renormalized_const", "renormalized_x", "exact_diagonal")}
    summ = r.summary()
    return {"kappa": kappa, "sigma2_const": r.sigma2_const,
            "sigma2_x": {"min": summ["min"], "median": summ["median"], "max": summ["max"]},
            "models": models, "full_gp_test_mse": comp["full_test_mse"],
            "n_pool": P, "n_train": n, "ridge": ridge, "kernel": kernel, "depth": depth, "seed": seed, "c4": c4,
            "gap_closed": comp["gap_closed"][0],
            "sigma2_exact_diagonal": {"min": float(r.sigma2_exact.min()), "median": float(np.median(r.sigma2_exact)),
                                      "max": float(r.sigma2_exact.max())},
            "cumulants": None if r.cumulants is None else r.cumulants.summary(),
            "warnings": [str(w.message) for w in caught]}
