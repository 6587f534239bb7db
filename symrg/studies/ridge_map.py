"""The input-dependent ridge on one data set and the four reduced models: the numbers behind
``symrg ridge-map`` (docs/theory.md section 5; data and target conventions in :mod:`symrg.cli.ridge_map`)."""
from __future__ import annotations

import sys
import warnings

import numpy as np

from ..errors import DataError, ParameterError

__all__ = ["load_ridge_map_data", "ridge_map"]


def _parse_pair(text: str):
    try:
        a, b = (int(t) for t in text.split(","))
    except ValueError:
        raise ParameterError("--pair", text, "two integer classes separated by a comma, e.g. 3,5") from None
    return a, b


def load_ridge_map_data(data: str, target_class=None, pair=None):
    """Inputs on the unit sphere and the target, in pool order (see the module doc)."""
    from ..data import class_pair, load_digits, load_file, load_mnist, one_vs_rest

    if data in ("digits", "mnist"):
        ds = load_digits() if data == "digits" else load_mnist()
        perm = np.random.default_rng(0).permutation(ds.n)
        X, labels, y = ds.on_sphere()[perm], ds.labels[perm], None
    else:
        ds = load_file(data)
        X = ds.on_sphere()
        labels = ds.labels
        y = ds.targets if labels is None else None
    if not np.all(np.isfinite(X)):
        raise DataError(f"{data}: inputs are not finite after mapping to the sphere (zero rows?)")
    if labels is None:
        if y is None:
            raise DataError(f"{data}: no target: the file needs y (npz) or a labels file (IDX)")
        if target_class is not None or pair is not None:
            raise ParameterError("--target-class/--pair", target_class if pair is None else pair,
                                 "no class option: the data has a real-valued target y")
        return X, np.asarray(y, float)
    if pair is not None:
        c1, c2 = _parse_pair(pair) if isinstance(pair, str) else pair
        return class_pair(X, labels, c1, c2)
    return X, one_vs_rest(labels, 0 if target_class is None else target_class)


def ridge_map(X, y, *, kernel="relu", depth=1, ridge=1e-2, kappa=100, pool=1000, n=200, seed=0,
              c4="none") -> dict:
    """The numbers behind ``symrg ridge-map`` (see the module doc)."""
    from .._validate import check_int
    from ..numerics.input_ridge import compare_input_ridge, input_ridge
    from ..spectra.empirical import EmpiricalSpectrum
    from ..spectra.kernels import NNGPKernel

    N = X.shape[0]
    P = check_int(pool, "--pool", 3, None)
    if P > N:
        raise ParameterError("--pool", pool, f"at most the number of rows ({N})")
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
