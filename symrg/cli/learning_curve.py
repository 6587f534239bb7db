"""``symrg learning-curve``: test MSE against n, simulation against RG and eigenlearning."""
from __future__ import annotations

from ._common import _int_list, _kernel_args, _make_kernel, _print_json, _progress, _table

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("learning-curve", help="test MSE against n: simulation against RG and eigenlearning")
    _kernel_args(p)
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--ridge", type=float, required=True, help="ridge = label-noise variance")
    p.add_argument("--ns", required=True, help="comma-separated training-set sizes")
    p.add_argument("--target", required=True, help="degree:power pairs, e.g. 1:0.5,2:0.25")
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-test", type=int, default=2000)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..numerics.simulate import parse_target, simulate_learning_curve, theory_learning_curve

    kernel = _make_kernel(args)
    ns = _int_list(args.ns, "ns")
    target = parse_target(args.target)
    theory = theory_learning_curve(kernel, args.dim, args.ridge, ns, target)
    sim = simulate_learning_curve(kernel, args.dim, args.ridge, ns, target, trials=args.trials, seed=args.seed,
                                  n_test=args.n_test, progress=None if args.quiet else _progress("simulating"))
    rows = [{**s, "theory_rg": t["theory_rg"], "theory_eigenlearning": t["theory_eigenlearning"]}
            for s, t in zip(sim, theory)]
    if args.json:
        _print_json(rows)
        return 0
    print(f"# {kernel.describe()} on S^{args.dim - 1}; ridge {args.ridge:g}; target {args.target}; "
          f"{args.trials} trials, seed {args.seed}")
    print(_table(rows, ["n", "simulation_mse", "simulation_sem", "theory_rg", "theory_eigenlearning"]))
    return 0
