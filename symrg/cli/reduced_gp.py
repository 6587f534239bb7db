"""``symrg reduced-gp``: reduced (renormalised) GP against the full GP on a pool of data.

Data, pool and target exactly as in ``symrg ridge-map`` (:mod:`symrg.data`): ``--data`` is a
built-in set (digits, mnist, fashion) or a path; the pool is the first ``--pool`` training rows
after a shuffle with ``--pool-seed`` (:func:`symrg.data.select_pool`); the target is one-vs-rest
of ``--target-class``, the pair ``--pair c1,c2``, or by default the file's regression target ``y``
(as given), else the one-hot ``+1/-1`` code of all classes (:func:`symrg.data.make_target`).
``n`` training rows are drawn from the pool with ``--seed``; the rest of the pool is the test set.
"""
from __future__ import annotations

import json

from ._common import (_allow_expensive_arg, _check_finite, _check_memory, _int_list, _kernel_args, _make_kernel,
                      _print_json, _seed)

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("reduced-gp", help="reduced (renormalised) GP against the full GP on a pool of data")
    _kernel_args(p)
    p.add_argument("--data", default="digits", help="digits, mnist, fashion, or a path (.npz/.npy/.csv/IDX)")
    p.add_argument("--pool", type=int, default=1000, help="pool size P, in [2, training rows] (default 1000)")
    p.add_argument("--pool-seed", type=_seed, default=0, help="seed of the shuffle that picks the pool (default 0)")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--ridge", type=float, default=1e-2)
    p.add_argument("--kappas", default=None, help="comma-separated cutoffs (default: log grid)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--target-class", type=int, default=None,
                   help="one-vs-rest class (default: the file's y, else the one-hot +-1 code of all classes)")
    g.add_argument("--pair", default=None, help="two classes c1,c2: target +1 for c1, -1 for c2")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the training draw (default 0)")
    _allow_expensive_arg(p)
    p.add_argument("--json", action="store_true")
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
    print(json.dumps(d, indent=1, default=float)[:20000])
    return 0
