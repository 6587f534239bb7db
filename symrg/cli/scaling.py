"""``symrg scaling``: the learning-curve exponent predicted from the kernel spectrum against the
measured slope of held-out test error (the paper's real-data claim, docs/theory.md section 4c)."""
from __future__ import annotations

from ._common import (_allow_expensive_arg, _check_finite, _check_memory, _dask_args, _executor, _int_list,
                      _kernel_args, _make_kernel, _print_json, _progress, _seed, _table)
from .learning_curve import JSON_KEYS as _ROW_KEYS

__all__ = ["add_parser", "run", "JSON_KEYS"]

JSON_KEYS = {
    "dataset": "the data set (built-in name or file)",
    "target": "the target, e.g. 'one-hot (10 classes)', '0-vs-rest', '3-vs-5'",
    "kernel": "the kernel",
    "pool": "pool size P (its spectrum gives the exponents)",
    "ridge": "ridge sigma^2",
    "ns": "training-set sizes, sorted",
    "trials": "independent training sets per n",
    "seed": "random seed",
    "fit_window": "[LO, HI]: the modes the power laws are fitted on",
    "fit_window_rule": "how the window was chosen ('given', or the modes crossed by the budget-respecting stop)",
    "alpha": "spectral exponent: lambda_k ~ k^-(1+alpha) on the window",
    "alpha_ci": "[lo, hi] interval of alpha (local exponents of four sub-windows, at least the 95% fit interval)",
    "alpha_local": "alpha fitted on each of the four sub-windows",
    "beta": "target exponent: the tail power sum_{k' >= k} y_k'^2 ~ k^-beta on the window",
    "beta_ci": "[lo, hi] interval of beta (as alpha_ci)",
    "beta_local": "beta fitted on each of the four sub-windows",
    "gamma": "d log kappa* / d log n of the RG stop on the fitted power law over ns",
    "predicted_slope": "predicted learning-curve slope d log E / d log n = -beta gamma",
    "predicted_slope_ci": "[lo, hi]: predicted slope at the corners of the (alpha, beta) box",
    "predicted_slope_fixed_ridge": "-beta / (1 + alpha), the slope when the bare ridge dominates",
    "predicted_slope_matched": "-alpha / (1 + alpha), the slope of a matched target (beta = alpha)",
    "measured_slope": "log-log slope of the measured held-out test MSE over ns",
    "measured_slope_ci": "[lo, hi] 95% bootstrap interval over trials",
    "consistent": "true when predicted_slope lies in measured_slope_ci",
    "pool_fraction": "max(ns) / P",
    "theory_slopes_full_spectrum": "log-log slopes of the four theories' curves on the full pool spectrum",
    "theory_slopes_full_spectrum.<theory>": "the slope of theory_rg, theory_rg_budget, theory_rg_selfconsistent or "
                                            "theory_eigenlearning",
    "rows": "one learning-curve row per n (the keys of symrg learning-curve, data form)",
    **{f"rows[].{k}": v.removeprefix("[data form] ") for k, v in _ROW_KEYS.items() if k != "theory_nongaussian"},
    "formula": "the prediction formula, in words",
}

NOT_MEASURED = ("simulation_sem",)   # NaN there means "not measured" (one trial): JSON null


def add_parser(sub):
    p = sub.add_parser("scaling", help="predicted learning-curve exponent from the spectrum vs the measured slope",
                       description="The learning-curve exponent predicted from the kernel spectrum against the "
                                   "measured slope of held-out test error (the paper's real-data claim, "
                                   "docs/theory.md section 4c).")
    _kernel_args(p)
    p.add_argument("--data", required=True,
                   help="digits, mnist, fashion, or a file (.npz/.npy/.csv/IDX); inputs are mapped to the unit sphere")
    p.add_argument("--ridge", type=float, required=True, help="ridge sigma^2 >= 0")
    p.add_argument("--pool", type=int, required=True, help="pool size P: its spectrum gives the exponents")
    p.add_argument("--ns", required=True, help="comma-separated training-set sizes (at least 3, well below P)")
    p.add_argument("--trials", type=int, default=10, help="independent training sets per n (default 10)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0); the same seed gives the same numbers")
    p.add_argument("--target-class", type=int, default=None,
                   help="one-vs-rest target for this class (default: one-hot over all classes)")
    p.add_argument("--pair", default=None, help="the rows of two classes A,B, target +1 for A and -1 for B")
    p.add_argument("--fit-window", default=None,
                   help="modes LO,HI for the power-law fits (at least 10 modes; default: the modes the RG stop crosses over --ns)")
    p.add_argument("--n-test", type=int, default=None, help="held-out test rows (default: all held-out rows, at most 2000)")
    _allow_expensive_arg(p)
    _dask_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..studies.scaling import scaling_study

    window = _int_list(args.fit_window, "fit_window") if args.fit_window else None
    _check_memory("--pool", args.pool, 8 * 4 * float(args.pool) ** 2, args.allow_expensive,
                  "the pool kernel and its eigenvectors")
    with _executor(args, None if args.quiet else _progress("trials")) as ex:
        res = scaling_study(args.data, _make_kernel(args), args.ridge, _int_list(args.ns, "ns"), args.pool,
                            trials=args.trials, seed=args.seed, target_class=args.target_class, pair=args.pair,
                            fit_window=window, n_test=args.n_test, executor=ex)
    _check_finite(res, not_measured=NOT_MEASURED)
    if args.json:
        _print_json(res, not_measured=NOT_MEASURED)
        return 0
    print(f"# {res['kernel']}; {res['dataset']} pool {res['pool']}, target {res['target']}, ridge {res['ridge']:g}")
    print(f"# spectrum: alpha = {res['alpha']:.3f} [{res['alpha_ci'][0]:.3f}, {res['alpha_ci'][1]:.3f}], "
          f"target tail: beta = {res['beta']:.3f} [{res['beta_ci'][0]:.3f}, {res['beta_ci'][1]:.3f}] "
          f"(modes {res['fit_window'][0]}-{res['fit_window'][1]})")
    print(_table(res["rows"], ["n", "simulation_mse", "simulation_sem", "theory_rg_selfconsistent",
                               "theory_eigenlearning"]))
    print(f"# {res['formula']}")
    print(f"# predicted slope {res['predicted_slope']:.3f} [{res['predicted_slope_ci'][0]:.3f}, "
          f"{res['predicted_slope_ci'][1]:.3f}] (gamma = {res['gamma']:.3f}); measured {res['measured_slope']:.3f} "
          f"[{res['measured_slope_ci'][0]:.3f}, {res['measured_slope_ci'][1]:.3f}]: "
          f"{'consistent' if res['consistent'] else 'NOT consistent'}")
    return 0
