"""``symrg gap``: the gap between a real-data learning curve and eigenlearning, decomposed.

On a pool of the data (``--data {digits,mnist,fashion,PATH} --pool P``), per training-set size n:
eigenlearning on the pool spectrum, Gaussian surrogate features of the same spectrum and target
coefficients, the exact GP with the real rows tested on the pool measure and on held-out rows, the
surrogates that locate the gap (class mixture, Gaussian kept modes with the real rest and the
reverse, the rest as an input-dependent or a constant noise), and the non-Gaussian theory (the
Gaussian-mixture deterministic equivalent).  docs/theory.md section 5a.
"""
from __future__ import annotations

from ._common import (_allow_expensive_arg, _check_finite, _check_memory, _dask_args, _executor, _flag_named,
                      _int_list, _kernel_args, _make_kernel, _print_json, _progress, _seed, _table)

__all__ = ["add_parser", "run", "COLUMNS", "JSON_KEYS", "JSON_INTRO", "DESCRIPTION"]

DESCRIPTION = (
    "The gap between a real-data learning curve and eigenlearning, decomposed (docs/theory.md section 5a). A pool "
    "of P rows defines the data measure and its modes; training sets of n rows are drawn from the pool (real rows) "
    "or from surrogate laws of the features in mode space with the same spectrum and target coefficients; the "
    "test error of the exact GP is exact under the pool measure. Groups for the class mixture are the data set's "
    "class labels, or k-means clusters of the pool when it has none (the output says which).")

JSON_INTRO = ("An object with the setting (dataset, target, pool, groups: 'class labels' or 'k-means clusters (k=...)', "
              "n_groups, ridge, trials, seed, kernel, n_test) and 'rows', one per n, each with the keys:")

JSON_KEYS = {
    "n": "training-set size",
    "eigenlearning": "eigenlearning on the pool spectrum and target coefficients",
    "gaussian_surrogate": "simulation with Gaussian features N(0, diag(lambda)) in mode space, same target coefficients",
    "gaussian_surrogate_sem": "standard error of gaussian_surrogate over the trials",
    "pool_measure": "exact GP on real pool rows, test error under the pool measure",
    "pool_measure_sem": "standard error of pool_measure",
    "heldout": "the same fits tested on held-out rows (null when the pool is every row of the file)",
    "heldout_sem": "standard error of heldout (null when heldout is)",
    "theory_nongaussian": "the Gaussian-mixture deterministic equivalent (groups: classes or clusters), pool measure",
    "theory_nongaussian_2kappa": "the same theory with twice the kept modes (the kappa check)",
    "kappa_theory": "modes kept in full by the theory (eigenlearning learnability >= 0.25, clipped to [50, 400] and to P/2)",
    "kappa_sensitivity": "relative change of theory_nongaussian when kappa_theory is doubled",
    "theory_rowwise": "[--rowwise] the row-wise deterministic equivalent: every pool row its own group (the pool's "
                      "empirical law, no Gaussian assumption within a class), pool measure",
    "mixture_surrogate": "simulation with features drawn from the group mixture: group mean plus a Gaussian with the "
                         "group covariance, in mode space",
    "mixture_surrogate_sem": "standard error of mixture_surrogate",
    "gauss_kept_real_rest": "top kappa = n modes Gaussian, the rest the real rows' values",
    "gauss_kept_real_rest_sem": "standard error of gauss_kept_real_rest",
    "real_kept_gauss_rest": "top kappa = n modes real, the rest Gaussian",
    "real_kept_gauss_rest_sem": "standard error of real_kept_gauss_rest",
    "rest_noise_x": "real top kappa = n modes, the rest as a noise of variance s(x) = sum_{k>kappa} lambda_k phi_k(x)^2",
    "rest_noise_x_sem": "standard error of rest_noise_x",
    "rest_noise_const": "real top kappa = n modes, the rest as a noise of constant variance mean(s)",
    "rest_noise_const_sem": "standard error of rest_noise_const",
}

NOT_MEASURED = ("heldout", "heldout_sem")

COLUMNS = ["n", "eigenlearning", "gaussian_surrogate", "pool_measure", "pool_measure_sem", "heldout",
           "theory_nongaussian", "mixture_surrogate", "kappa_sensitivity"]


def add_parser(sub):
    p = sub.add_parser("gap", help="the gap between a real-data learning curve and eigenlearning, decomposed",
                       description=DESCRIPTION)
    _kernel_args(p)
    p.add_argument("--data", required=True,
                   help="digits, mnist, fashion, or a file (.npz with X and y or labels, .npy, .csv, IDX); inputs "
                        "are mapped to the unit sphere")
    p.add_argument("--pool", type=int, default=2000, help="pool size P (the data measure; default 2000)")
    p.add_argument("--target-class", type=int, default=None, help="one-vs-rest target, +1 for this class, -1 otherwise")
    p.add_argument("--pair", default=None, help="the rows of two classes A,B, target +1 for A and -1 for B")
    p.add_argument("--ridge", type=float, required=True, help="ridge sigma^2 (> 0)")
    p.add_argument("--ns", required=True, help="comma-separated training-set sizes, e.g. 25,100,400")
    p.add_argument("--trials", type=int, default=16, help="independent training sets per n (default 16)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0); the same seed gives the same numbers")
    p.add_argument("--n-test", type=int, default=None, help="held-out rows (default: all, at most 2000)")
    p.add_argument("--kappa", type=int, default=None,
                   help="modes the theory keeps in full (default: those with eigenlearning learnability >= 0.25, "
                        "clipped to [50, 400] and to P/2)")
    p.add_argument("--rowwise", action="store_true",
                   help="also the row-wise deterministic equivalent (theory_rowwise; a P x P fixed point, minutes per "
                        "n at P = 2000)")
    _allow_expensive_arg(p)
    _dask_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    p.set_defaults(func=run)
    return p


FLAGS = {"pool": "--pool", "target_class": "--target-class", "pair": "--pair", "n_test": "--n-test",
         "kappa": "--kappa", "trials": "--trials", "ridge": "--ridge", "ns": "--ns", "clusters": "--pool"}


def run(args) -> int:
    from ..errors import ParameterError

    ns = _int_list(args.ns, "--ns", minimum=1)
    kernel = _make_kernel(args)
    if not args.ridge > 0:
        raise ParameterError("--ridge", args.ridge, "a positive finite ridge")
    if args.trials < 2:
        raise ParameterError("--trials", args.trials, "an integer >= 2 (a standard error needs two trials)")
    if args.pool < 2:
        raise ParameterError("--pool", args.pool, "an integer >= 2")
    n = max(ns)
    _check_memory("--pool", args.pool, 8.0 * (6 * args.pool ** 2 + 3 * n * args.pool), args.allow_expensive,
                  "the pool kernel, its eigenvectors and the surrogate draws")
    from ..studies.gap import gap_curve, gap_problem

    progress = None if args.quiet else _progress("trials")
    try:
        prob = gap_problem(args.data, args.pool, args.seed, args.n_test, args.target_class, args.pair)
        if args.kappa is not None and not 1 <= args.kappa < prob.pool:
            raise ParameterError("--kappa", args.kappa, f"an integer in [1, {prob.pool - 1}]")
        with _executor(args, progress) as ex:
            res = gap_curve(prob, kernel, args.ridge, ns, args.trials, args.seed, executor=ex, kappa=args.kappa,
                            rowwise=args.rowwise)
    except ParameterError as exc:
        _flag_named(exc, FLAGS)
        raise
    _check_finite(res, not_measured=NOT_MEASURED)
    if args.json:
        _print_json(res, not_measured=NOT_MEASURED)
        return 0
    print(f"# {kernel.describe()} on {res['dataset']} pool {res['pool']}, target {res['target']}; groups: "
          f"{res['groups']} ({res['n_groups']}); ridge {args.ridge:g}; {args.trials} trials, seed {args.seed}")
    rows = [{k: (float("nan") if r.get(k) is None else r[k]) for k in COLUMNS} for r in res["rows"]]
    print(_table(rows, COLUMNS))
    return 0
