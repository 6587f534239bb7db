"""``symrg reduced-gp``: reduced (renormalised) GP against the full GP on a pool of data."""
from __future__ import annotations

import json

import numpy as np

from ._common import _int_list, _kernel_args, _make_kernel, _print_json

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("reduced-gp", help="reduced (renormalised) GP against the full GP on a pool of data")
    _kernel_args(p)
    p.add_argument("--data", default="digits", help="digits, mnist, or a path (.npz/.npy/.csv/IDX)")
    p.add_argument("--pool", type=int, default=1000)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--ridge", type=float, default=1e-2)
    p.add_argument("--kappas", default=None, help="comma-separated cutoffs (default: log grid)")
    p.add_argument("--target-class", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..data import load_digits, load_file, load_mnist, one_vs_rest
    from ..numerics.gp import compare_reduced

    if args.data == "digits":
        ds = load_digits()
    elif args.data == "mnist":
        ds = load_mnist()
    else:
        ds = load_file(args.data)
    X = ds.on_sphere()[: args.pool]
    if ds.targets is not None and args.target_class is None:
        y = np.asarray(ds.targets[: args.pool], dtype=float)
    elif ds.labels is not None:
        y = one_vs_rest(ds.labels[: args.pool], args.target_class or 0)
    else:
        from ..errors import ParameterError

        raise ParameterError("data", args.data, "a data set with a target y or class labels "
                             "(.npz with X and y, .csv with a target column, or IDX images with labels)")
    kernel = _make_kernel(args)
    kappas = _int_list(args.kappas, "kappas") if args.kappas else None
    res = compare_reduced(X, y, kernel, args.ridge, args.n, kappas=kappas, seed=args.seed)
    d = res.to_dict() if hasattr(res, "to_dict") else res
    if args.json:
        _print_json(d)
        return 0
    print(json.dumps(d, indent=1, default=float)[:20000])
    return 0
