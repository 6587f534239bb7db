"""``symrg learning-curve``: test MSE against n, exact-GP simulation against the RG predictions.

Two forms.  On the sphere (``--dim D --target l1:p1,...``): inputs uniform on S^{D-1}, a random
target with the given power per degree, label noise of variance equal to the ridge.  On data
(``--data {digits,mnist,fashion,PATH} --pool P``): a pool of P rows defines the data measure (its
spectrum gives the theories), training sets are drawn from the pool and the error is measured on
held-out rows.  Every row carries the simulation and the four theories of
:mod:`symrg.numerics.predictions` (docs/theory.md sections 4 and 4a).
"""
from __future__ import annotations

from ._common import _int_list, _kernel_args, _make_kernel, _print_json, _progress, _table

__all__ = ["add_parser", "run", "COLUMNS", "JSON_KEYS", "JSON_INTRO", "DESCRIPTION"]

DESCRIPTION = (
    "Test MSE against the training-set size n: exact-GP simulation against the RG predictions. Two forms. "
    "On the sphere (--dim D --target l1:p1,...): inputs uniform on S^{D-1}, a random target with the given "
    "power per degree, label noise of variance equal to the ridge. On data (--data {digits,mnist,fashion,PATH} "
    "--pool P): a pool of P rows defines the data measure (its spectrum gives the theories), training sets are "
    "drawn from the pool and the error is measured on held-out rows. Every row carries the simulation and the "
    "four theories (docs/theory.md sections 4 and 4a).")

JSON_INTRO = "A list of rows, one per training-set size n, each with the keys:"

JSON_KEYS = {
    "n": "training-set size",
    "simulation_mse": "measured test MSE of the exact GP, mean over the trials",
    "simulation_sem": "standard error of simulation_mse over the trials",
    "pool_mse": "[data form] MSE over the whole pool (the quantity the theories predict; includes the training rows)",
    "theory_rg": "test MSE predicted by the paper's RG (sharp IR stop)",
    "theory_rg_budget": "test MSE predicted by the RG at the budget-respecting stop",
    "theory_rg_selfconsistent": "test MSE predicted by the RG with the self-consistent ridge",
    "theory_eigenlearning": "test MSE predicted by eigenlearning (the reference theory)",
    "kappa_star": "paper's IR stop: the number of modes kept",
    "kappa_star_budget": "the budget-respecting stop (sum_{k <= kappa*} L_k <= n)",
    "sigma2_star": "renormalised ridge at the paper's stop",
    "sigma2_star_budget": "renormalised ridge at the budget-respecting stop",
    "sigma2_selfconsistent": "self-consistent effective ridge sigma_eff^2",
    "kappa_eff": "eigenlearning's effective ridge kappa_eff (= sigma_eff^2 / n)",
}

COLUMNS = ["n", "simulation_mse", "simulation_sem", "theory_rg", "theory_rg_budget", "theory_rg_selfconsistent",
           "theory_eigenlearning", "kappa_star"]


def add_parser(sub):
    p = sub.add_parser("learning-curve", help="test MSE against n: exact-GP simulation against the RG predictions",
                       description=DESCRIPTION)
    _kernel_args(p)
    p.add_argument("--dim", type=int, default=None, help="sphere form: input dimension d (inputs on S^{d-1}), d >= 2")
    p.add_argument("--target", default=None,
                   help="sphere form: power per degree of the random target, 'degree:power,...', e.g. 1:0.5,2:0.25")
    p.add_argument("--data", default=None,
                   help="data form: digits, mnist, fashion, or a file (.npz/.npy/.csv/IDX); inputs are mapped to "
                        "the unit sphere")
    p.add_argument("--pool", type=int, default=None, help="data form: pool size P (the data measure; default 1000)")
    p.add_argument("--target-class", type=int, default=None,
                   help="data form: one-vs-rest target, +1 for this class and -1 for the others (default: one-hot "
                        "over all classes)")
    p.add_argument("--pair", default=None, help="data form: the rows of two classes A,B, target +1 for A and -1 for B")
    p.add_argument("--ridge", type=float, required=True,
                   help="ridge sigma^2 (on the sphere also the label-noise variance)")
    p.add_argument("--ns", required=True, help="comma-separated training-set sizes, e.g. 10,40,160")
    p.add_argument("--trials", type=int, default=10, help="independent training sets per n (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0); the same seed gives the same numbers")
    p.add_argument("--n-test", type=int, default=None,
                   help="test points per trial (sphere: default 2000; data: all held-out rows, at most 2000)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..errors import ParameterError

    ns = _int_list(args.ns, "ns")
    kernel = _make_kernel(args)
    progress = None if args.quiet else _progress("simulating")
    if args.data is not None:
        if args.dim is not None or args.target is not None:
            raise ParameterError("dim/target", f"{args.dim}/{args.target}", "nothing with --data (they define the sphere form)")
        from ..studies.realdata import data_learning_curve

        res = data_learning_curve(args.data, kernel, args.ridge, ns, pool=args.pool or 1000, trials=args.trials,
                                  seed=args.seed, n_test=args.n_test, target_class=args.target_class,
                                  pair=args.pair, progress=progress)
        rows, label = res["rows"], f"{res['dataset']} pool {res['pool']}, target {res['target']}"
    else:
        if args.dim is None or args.target is None:
            raise ParameterError("dim", args.dim, "--dim D and --target l:p,... (sphere form), or --data (data form)")
        from ..numerics.simulate import parse_target, simulate_learning_curve, theory_learning_curve

        target = parse_target(args.target)
        theory = theory_learning_curve(kernel, args.dim, args.ridge, ns, target)
        sim = simulate_learning_curve(kernel, args.dim, args.ridge, ns, target, trials=args.trials, seed=args.seed,
                                      n_test=args.n_test or 2000, progress=progress)
        rows = [{**s, **{k: v for k, v in t.items() if k != "n"}} for s, t in zip(sim, theory)]
        label = f"S^{args.dim - 1}; target {args.target}"
    if args.json:
        _print_json(rows)
        return 0
    print(f"# {kernel.describe()} on {label}; ridge {args.ridge:g}; {args.trials} trials, seed {args.seed}")
    print(_table(rows, COLUMNS))
    return 0
