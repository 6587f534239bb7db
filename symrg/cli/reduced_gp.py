"""``symrg reduced-gp``: reduced (renormalised) GP against the full GP on a pool of data.

Data, pool and target exactly as in ``symrg ridge-map`` (:mod:`symrg.data`): ``--data`` is a
built-in set (digits, mnist, fashion) or a path; the pool is the first ``--pool`` training rows
after a shuffle with ``--pool-seed`` (:func:`symrg.data.select_pool`); the target is one-vs-rest
of ``--target-class``, the pair ``--pair c1,c2``, or by default the file's regression target ``y``
(as given), else the one-hot ``+1/-1`` code of all classes (:func:`symrg.data.make_target`).
``n`` training rows are drawn from the pool with ``--seed``; the rest of the pool is the test set.
"""
from __future__ import annotations

from ._common import (DATA_SETS, _allow_expensive_arg, _check_finite, _check_memory, _int_list, _kernel_args, _make_kernel,
                      _print_json, _seed, _table)

__all__ = ["add_parser", "run", "JSON_KEYS"]

JSON_KEYS = {
    "n_pool": "pool size P",
    "n_train": "training points drawn from the pool",
    "n_test": "test points: the rest of the pool",
    "ridge": "ridge sigma^2",
    "seed": "seed of the training draw",
    "kappas": "the cutoffs kappa (kept modes), one entry of each list below per cutoff",
    "variants": "the reduced models: truncated (noise sigma^2), renormalized_const (sigma^2 + sum_{k>kappa} "
                "lambda_k), exact_diagonal (sigma^2 + K_>(x, x))",
    "rel_error": "relative prediction error ||m_reduced - m_full|| / ||m_full|| on the test points",
    "rel_error.<variant>": "one value per kappa",
    "test_mse": "test MSE of the reduced model",
    "test_mse.<variant>": "one value per kappa",
    "full_test_mse": "test MSE of the full (exact) GP on the same split",
    "ridge_const": "the constant renormalised ridge sigma^2 + sum_{k>kappa} lambda_k, per kappa",
    "eigenvalues_head": "the ten largest eigenvalues of the pool spectrum",
}


PARAM_FLAGS = {"n_train": "n"}   # API parameter -> the dest of the flag that sets it (symrg.cli.main.flag_named)

def add_parser(sub):
    p = sub.add_parser("reduced-gp", help="reduced (renormalised) GP against the full GP on a pool of data")
    _kernel_args(p)
    p.add_argument("--data", default="digits", help=DATA_SETS + ", or a path (.npz/.npy/.csv/IDX)")
    p.add_argument("--pool", type=int, default=1000, help="pool size P, in [2, training rows] (default 1000)")
    p.add_argument("--pool-seed", type=_seed, default=0, help="seed of the shuffle that picks the pool (default 0)")
    p.add_argument("--n", type=int, default=200, help="training points drawn from the pool (default 200)")
    p.add_argument("--ridge", type=float, default=1e-2, help="ridge (noise variance) sigma^2 (default 0.01)")
    p.add_argument("--kappas", default=None,
                   help="comma-separated cutoffs kappa (kept modes), e.g. 10,50,200 (default: a log grid from 1 to P)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--target-class", type=int, default=None,
                   help="one-vs-rest class (default: the file's y, else the one-hot +-1 code of all classes)")
    g.add_argument("--pair", default=None, help="two classes c1,c2: target +1 for c1, -1 for c2")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the training draw (default 0)")
    _allow_expensive_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..data import pool_data, resolve_dataset
    from ..numerics.gp import compare_reduced

    _check_memory("--pool", args.pool, 8 * 4 * float(args.pool) ** 2, args.allow_expensive,
                  "the pool kernel and its eigenvectors")
    p = pool_data(resolve_dataset(args.data), args.pool, args.pool_seed, target_class=args.target_class,
                  pair=args.pair)
    X, y = p.X, p.y
    kernel = _make_kernel(args)
    kappas = _int_list(args.kappas, "kappas") if args.kappas else None
    res = compare_reduced(X, y, kernel, args.ridge, args.n, kappas=kappas, seed=args.seed)
    d = _check_finite(res.to_dict() if hasattr(res, "to_dict") else res)
    if args.json:
        _print_json(d)
        return 0
    print(f"# {kernel.describe()}; pool P={d['n_pool']}, n={d['n_train']} training and {d['n_test']} test points, "
          f"ridge {d['ridge']:g}, seed {d['seed']}")
    print("# relative error of the prediction against the full GP, ||m_reduced - m_full|| / ||m_full||:")
    print(_table([{"kappa": k, "sigma2_kappa": d["ridge_const"][i], **{v: d["rel_error"][v][i] for v in d["variants"]}}
                  for i, k in enumerate(d["kappas"])], ["kappa", "sigma2_kappa", *d["variants"]],
                 {v: "{:.3e}" for v in d["variants"]}))
    print("# test MSE:")
    print(_table([{"kappa": k, **{v: d["test_mse"][v][i] for v in d["variants"]}} for i, k in enumerate(d["kappas"])],
                 ["kappa", *d["variants"]], {v: "{:.5g}" for v in d["variants"]}))
    print(f"# full GP test MSE: {d['full_test_mse']:.5g}  (sigma2_kappa = sigma^2 + sum_{{k>kappa}} lambda_k)")
    return 0
