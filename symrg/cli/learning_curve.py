"""``symrg learning-curve``: test MSE against n, exact-GP simulation against the RG predictions.

Two forms.  On the sphere (``--dim D --target l1:p1,...``): inputs uniform on S^{D-1}, a random
target with the given power per degree, label noise of variance equal to the ridge.  On data
(``--data {digits,mnist,fashion,PATH} --pool P``): a pool of P rows defines the data measure (its
spectrum gives the theories), training sets are drawn from the pool and the error is measured on
held-out rows.  Every row carries the simulation and the four theories of
:mod:`symrg.numerics.predictions` (docs/theory.md sections 4 and 4a).
"""
from __future__ import annotations

from .._validate import check_int
from ._common import (DATA_SETS, _allow_expensive_arg, _check_finite, _check_memory, _dask_args, _executor, _int_list,
                      _kernel_args, _make_kernel, _print_json, _progress, _seed, _table)

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
    "theory_nongaussian": "[data form] the Gaussian-mixture deterministic equivalent on the pool's classes (k-means "
                          "clusters without labels), pool measure (docs/theory.md section 5a); null when not computed "
                          "(pool above 12000 rows, or a class with fewer than 20 pool rows)",
}

NOT_MEASURED = ("simulation_sem", "theory_nongaussian")   # NaN there means "not measured" (one trial): JSON null

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
                   help="data form: " + DATA_SETS + ", or a file (.npz/.npy/.csv/IDX); inputs are mapped to "
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
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0); the same seed gives the same numbers")
    p.add_argument("--test", choices=("heldout", "pool"), default="heldout",
                   help="data form: where the simulation's test error is taken: held-out rows (default) or the pool's "
                        "own empirical measure, every pool row (then the pool may be the whole file)")
    p.add_argument("--n-test", type=int, default=None,
                   help="test points per trial (sphere: default 2000; data: all held-out rows, at most 2000)")
    _allow_expensive_arg(p)
    _dask_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    p.set_defaults(func=run)
    return p


MAX_TARGET_DEGREE = 1000   # target degrees: the spectrum to l + 8 and the harmonics cost ~l each (l = 3000: 80 s)
WORK_LIMIT = 3 * 10**11    # multiply-adds of the sphere simulation (about a minute on two cores)


def check_sphere_cost(args, ns, target, n_test) -> None:
    """Memory and work of the sphere form, estimated before anything runs: per trial and ``n`` the
    kernels ``n x n`` and ``n_test x n`` (``8 (3 n^2 + 2 n_test n)`` bytes) and ``n^3/3 + n_test n d``
    multiply-adds, plus the target harmonics, ``l`` recurrence steps on ``(n + n_test) x 32`` points."""
    from .._validate import check_int
    from ..errors import ParameterError

    dim = check_int(args.dim, "--dim", 2, None)
    trials = check_int(args.trials, "--trials", 1, 100_000)
    lmax = max(target)
    if lmax > MAX_TARGET_DEGREE and not args.allow_expensive:
        raise ParameterError("--target", args.target, f"degrees <= {MAX_TARGET_DEGREE} (degree {lmax} needs the "
                             f"spectrum to degree {lmax + 8} and {lmax} recurrence steps per point)",
                             "pass --allow-expensive to go ahead")
    n = max(ns)
    _check_memory("--ns", n, 8.0 * (3 * n * n + 2 * n_test * n + (n + n_test) * (dim + 32)), args.allow_expensive,
                  f"the kernels of n = {n} training and {n_test} test points")
    steps = trials * sum(m ** 3 / 3 + n_test * m * dim + (m + n_test) * 32 * (lmax + 1) for m in ns)
    if steps > WORK_LIMIT and not args.allow_expensive:
        raise ParameterError("--ns", n, f"sizes whose simulation needs at most {WORK_LIMIT:.0e} multiply-adds "
                             f"(--trials {trials} x sum over --ns of n^3/3 + ... = {steps:.3g})",
                             "lower --ns, --trials or --n-test, or pass --allow-expensive")


def run(args) -> int:
    from ..errors import ParameterError

    ns = _int_list(args.ns, "--ns", minimum=1)
    kernel = _make_kernel(args)
    progress = None if args.quiet else _progress("simulating")
    if args.data is not None:
        if args.dim is not None or args.target is not None:
            raise ParameterError("dim/target", f"{args.dim}/{args.target}", "nothing with --data (they define the sphere form)")
        from ..studies.realdata import data_learning_curve
        from ._common import _flag_named

        pool = 1000 if args.pool is None else args.pool
        _check_memory("--pool", pool, 8 * 4 * float(pool) ** 2, args.allow_expensive, "the pool kernel and its eigenvectors")
        try:
            with _executor(args, progress) as ex:
                res = data_learning_curve(args.data, kernel, args.ridge, ns, pool=pool, trials=args.trials,
                                          seed=args.seed, n_test=args.n_test, target_class=args.target_class,
                                          pair=args.pair, executor=ex, test=args.test)
        except ParameterError as exc:   # internal names (pool=, n_test=) become the flags the user typed
            _flag_named(exc, {"pool": "--pool", "n_test": "--n-test", "target_class": "--target-class",
                              "pair": "--pair"})
            raise
        rows, label = res["rows"], f"{res['dataset']} pool {res['pool']}, target {res['target']}"
    else:
        if args.dim is None or args.target is None:
            raise ParameterError("dim", args.dim, "--dim D and --target l:p,... (sphere form), or --data (data form)")
        from ..numerics.simulate import parse_target, simulate_learning_curve, theory_learning_curve

        target = parse_target(args.target)
        n_test = 2000 if args.n_test is None else check_int(args.n_test, "--n-test", 1)
        check_sphere_cost(args, ns, target, n_test)
        theory = theory_learning_curve(kernel, args.dim, args.ridge, ns, target)
        with _executor(args, progress) as ex:
            sim = simulate_learning_curve(kernel, args.dim, args.ridge, ns, target, trials=args.trials, seed=args.seed,
                                          n_test=n_test, executor=ex)
        rows = [{**s, **{k: v for k, v in t.items() if k != "n"}} for s, t in zip(sim, theory)]
        label = f"S^{args.dim - 1}; target {args.target}"
    _check_finite(rows, not_measured=NOT_MEASURED)
    if args.json:
        _print_json(rows, not_measured=NOT_MEASURED)
        return 0
    print(f"# {kernel.describe()} on {label}; ridge {args.ridge:g}; {args.trials} trials, seed {args.seed}")
    print(_table(rows, COLUMNS))
    return 0
