"""``symrg ridge-map``: the input-dependent ridge on a data set and the four reduced models.

Usage::

    symrg ridge-map --data {digits,mnist,fashion,PATH} [--kernel relu] [--depth 1] [--ridge 0.01]
                    [--kappa 100] [--pool 1000] [--pool-seed 0] [--n 200] [--seed 0]
                    [--target-class 0 | --pair 3,5] [--c4 full|diag|none] [--json]

Data, pool and target exactly as in ``symrg reduced-gp`` (:mod:`symrg.data`).  ``--data`` is a
built-in set or a path (``.npz`` with ``X`` and a regression target ``y`` and/or class ``labels``;
``.npy``; ``.csv`` whose last column is the target; an MNIST-format IDX image file whose labels
file sits beside it).  Inputs are mapped to the unit sphere.  The pool is the first ``P`` rows of
the training split after a shuffle with ``--pool-seed`` (:func:`symrg.data.select_pool`; ``P`` must
lie in ``[2, rows]``); ``n`` training rows are drawn from it with ``--seed``, the rest of the pool
is the test set.

Target (:func:`symrg.data.make_target`).  ``--target-class c``: one-vs-rest ``+1/-1`` of class
``c``; ``--pair c1,c2``: the rows of the two classes, ``+1`` for ``c1``.  Without either: the
file's regression target ``y`` as given, else (data with class labels only) the one-hot code of
all classes with ``+1/-1`` entries, a multi-output regression (test MSE averaged over outputs).
Defaults: ReLU NNGP kernel of depth 1 (the shallowest network; depth is
a flag), pool 1000, n 200, ridge 0.01, kappa 100, c4 ``none`` (the first Edgeworth order: the c3
term over all kept features; ``full`` adds c4 over pairs of the top 16, ``diag`` the diagonal c4
over all kept features — measured to help less, see :mod:`symrg.numerics.input_ridge`).
The numbers come from :func:`symrg.studies.ridge_map.ridge_map`.

JSON keys: ``kappa``, ``sigma2_const``, ``sigma2_x`` (``min``, ``median``, ``max``), ``models``
(``truncated``, ``renormalized_const``, ``renormalized_x``, ``exact_diagonal``, each with
``rel_pred_error`` and ``test_mse``), ``full_gp_test_mse``, plus ``n_pool``, ``n_train``,
``gap_closed`` and ``cumulants`` (standard errors).
"""
from __future__ import annotations

import argparse
import sys

from ..errors import SymrgError
from ._common import DATA_SETS, _allow_expensive_arg, _check_finite, _check_memory, _print_json, _seed

__all__ = ["add_parser", "run", "JSON_KEYS"]

DESCRIPTION = ("The input-dependent ridge sigma^2_kappa(x) on a data set (docs/theory.md section 5) and the four "
               "reduced GP models against the full GP. The pool is the first P training rows after a seeded "
               "shuffle; n training rows are drawn from it, the rest of the pool is the test set. Inputs are "
               "mapped to the unit sphere.")

JSON_KEYS = {
    "kappa": "number of kept modes",
    "sigma2_const": "the constant renormalised ridge sigma^2 + sum_{k>kappa} lambda_k",
    "sigma2_x": "the input-dependent ridge sigma^2_kappa(x) over the pool points",
    "sigma2_x.min": "its minimum",
    "sigma2_x.median": "its median",
    "sigma2_x.max": "its maximum",
    "sigma2_exact_diagonal": "sigma^2 + K_>(x, x), the exact diagonal the expansion approximates, over the pool",
    "sigma2_exact_diagonal.min": "its minimum",
    "sigma2_exact_diagonal.median": "its median",
    "sigma2_exact_diagonal.max": "its maximum",
    "models": "the four reduced models: truncated, renormalized_const, renormalized_x, exact_diagonal",
    "models.<model>": "one reduced model",
    "models.<model>.rel_pred_error": "||m_reduced - m_full|| / ||m_full|| on the test points",
    "models.<model>.test_mse": "its test MSE",
    "full_gp_test_mse": "test MSE of the full GP",
    "gap_closed": "fraction of the gap between renormalized_const and exact_diagonal closed by renormalized_x "
                  "(null when the gap is zero)",
    "n_pool": "pool size P",
    "n_train": "training points",
    "ridge": "ridge sigma^2",
    "kernel": "NNGP activation",
    "depth": "NNGP depth",
    "seed": "seed of the training draw",
    "c4": "the c4 terms used (none, full, diag)",
    "cumulants": "the feature cumulants the ridge is built from (null when kappa is 0 or P: the ridge is then "
                 "constant)",
    "cumulants.n_samples": "points they are estimated on",
    "cumulants.n_greater": "greater modes",
    "cumulants.m": "kept modes",
    "cumulants.c3_abs_median": "median |c3_kkq|",
    "cumulants.se3_median": "median standard error of c3",
    "cumulants.se3_max": "largest standard error of c3",
    "cumulants.c4d_abs_median": "[--c4 diag or full] median |c4_kkqq|",
    "cumulants.se4d_median": "[--c4 diag or full] median standard error of c4_kkqq",
    "warnings": "warnings raised while building the ridge (also printed on stderr)",
}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "ridge-map", help="input-dependent ridge sigma^2(x) on data and the reduced GP models",
        description=DESCRIPTION)
    p.add_argument("--data", required=True,
                   help=DATA_SETS + ", or a file: .npz with X and y and/or labels; .npy; .csv whose last "
                        "column is the target; an MNIST-format IDX image file with its labels file beside it")
    p.add_argument("--kernel", default="relu", choices=["relu", "step", "erf"], help="NNGP activation (default relu)")
    p.add_argument("--depth", type=int, default=1, help="NNGP depth (default 1)")
    p.add_argument("--ridge", type=float, default=1e-2, help="noise variance sigma^2 (default 0.01)")
    p.add_argument("--kappa", type=int, default=100, help="number of kept modes (default 100)")
    p.add_argument("--pool", type=int, default=1000, help="pool size P, in [2, training rows] (default 1000)")
    p.add_argument("--pool-seed", type=_seed, default=0, help="seed of the shuffle that picks the pool (default 0)")
    p.add_argument("--n", type=int, default=200, help="training points drawn from the pool (default 200)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the training draw (default 0)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--target-class", type=int, default=None,
                   help="one-vs-rest class (default: the file's y, else the one-hot +-1 code of all classes)")
    g.add_argument("--pair", default=None, help="two classes c1,c2: target +1 for c1, -1 for c2")
    p.add_argument("--c4", default="none", choices=["none", "full", "diag"],
                   help="c4 terms of the expansion: none (first Edgeworth order, c3 only; default), full (pairs of the "
                        "top 16 kept features), diag (c4_kkqq over all kept features)")
    _allow_expensive_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..studies.ridge_map import load_ridge_map_data, ridge_map

    try:
        _check_memory("--pool", args.pool, 8 * 4 * float(args.pool) ** 2, getattr(args, "allow_expensive", False),
                      "the pool kernel and its eigenvectors")
        X, y = load_ridge_map_data(args.data, args.target_class, args.pair, args.pool, args.pool_seed)
        out = ridge_map(X, y, kernel=args.kernel, depth=args.depth, ridge=args.ridge, kappa=args.kappa,
                        n=args.n, seed=args.seed, c4=args.c4)
        _check_finite(out)
    except SymrgError:
        raise       # reported by symrg.cli.main: one line, naming the flag the user typed
    if getattr(args, "json", False):
        _print_json(out)
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


def main(argv=None) -> int:   # pragma: no cover - convenience for `python -m symrg.cli.ridge_map`
    """``python -m symrg.cli.ridge_map ...``: the same as ``symrg ridge-map ...``."""
    from ._common import standalone
    return standalone(add_parser, "ridge-map", argv)


if __name__ == "__main__":   # pragma: no cover
    raise SystemExit(main())
