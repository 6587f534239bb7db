"""``symrg universality``: the universality table -- activation x depth on one data measure, each row with
its spectral exponent alpha, the predicted (and, on data, measured) learning-curve exponent, the IR-stop
exponent and the class (docs/theory.md sections 4c and 6x).  JSON: a list of rows."""
from __future__ import annotations

import argparse
import sys

from ._common import DATA_SETS, _check_finite, _flag_named, _dask_args, _executor, _print_json, _progress, _seed

__all__ = ["add_parser", "run", "JSON_KEYS", "DESCRIPTION"]

DESCRIPTION = ("Universality classes of NNGP kernels: for each activation and depth, the spectral exponent alpha "
               "(on the sphere from the order of the kernel's singularity at t = 1, on data fitted with an "
               "interval), the predicted learning-curve exponent, the IR-stop exponent and the class "
               "(docs/theory.md sections 4c and 6x).")

JSON_KEYS = {
    "data": "the data measure of the row (sphere d=D, or the data set)",
    "activation": "relu, erf or step",
    "depth": "hidden layers L",
    "singularity_order": "s: the kernel's leading non-analytic term (1 - t)^s at t = +-1 (null: analytic)",
    "alpha": "spectral exponent, lambda_k ~ k^-(1+alpha) (null for an analytic kernel)",
    "alpha_ci": "its interval (on the sphere the exact asymptotic value, zero width)",
    "alpha_funk_hecke": "[sphere] alpha from the least-squares slope of the Funk-Hecke eigenvalues of the chosen parity "
                        "on degrees hi/4..hi of fit_degrees (pre-asymptotic; null for an analytic kernel)",
    "fit_degrees": "[sphere] [lo, hi]: the Funk-Hecke degrees actually used for the exponents (every eigenvalue in it "
                   "positive and resolved to 1e-8; hi < lmax only when higher degrees are not resolved, then "
                   "fit_degrees_note says so)",
    "fit_degrees_note": "[sphere] why the window ends below --lmax (null when it does not)",
    "fit_parity": "[sphere] even or odd: the degrees used (a parity that vanishes by symmetry is never used)",
    "eigenvalue_rel_error": "[sphere] the largest estimated relative error of the eigenvalues in fit_degrees",
    "spectrum_path": "[sphere] the Funk-Hecke path: fast (float64 series) or mp<digits> (mpmath, used when float64 "
                     "does not resolve the window)",
    "alpha_local": "[sphere] [[l, alpha(l)], ...]: local exponents from the degrees l and l+2 at l ~ hi, hi/2, hi/4, "
                   "hi/8",
    "alpha_richardson": "[sphere] their Richardson extrapolation to 1/l -> 0 (the asymptotic alpha; null for an "
                        "analytic kernel)",
    "alpha_richardson_err": "[sphere] its error: the difference of the last two Richardson levels plus the eigenvalue "
                            "error propagated through the extrapolation",
    "alpha_richardson_levels": "[sphere] the Richardson levels, each eliminating one more correction l^-theta",
    "richardson_exponents": "[sphere] the correction exponents theta eliminated, derived from the kernel's singular "
                            "expansion (1 and 2(g - s) for the subleading singular exponents g, and their sums)",
    "degree_exponent_ratio": "[sphere, analytic kernels] p(hi)/p(hi/2) of the per-degree exponents: 1 for a power law, "
                             "2 for a geometric decay",
    "amplitude": "[sphere] A of lambda_k = A k^-(1+alpha) at the exact alpha, fitted on the modes amplitude_modes "
                 "(null for an analytic kernel)",
    "amplitude_modes": "[sphere] [k_lo, k_hi]: the modes the RG stop crosses over --ns, where A is fitted",
    "eigenlearning_slope": "[sphere] learning-curve exponent of eigenlearning on the actual Funk-Hecke spectrum "
                           "(matched target, log-log fit over --ns), beside the power-law predicted_slope",
    "predicted_slope": "predicted learning-curve exponent (on the sphere for the matched target beta = alpha: "
                       "-alpha gamma on the power law with the fitted amplitude)",
    "measured_slope": "measured learning-curve exponent (held-out error on data; on the sphere with --simulate, "
                      "exact GP regression of a target drawn from the kernel's prior; else null)",
    "measured_slope_ci": "its 95% bootstrap interval over trials (null when not measured)",
    "consistent": "[sphere, --simulate, power-law rows] the predicted slope lies inside the measured interval",
    "ir_stop_exponent": "gamma = d log kappa*/d log n of the RG stop on the fitted power law (on the sphere: the "
                        "exact alpha and the fitted amplitude)",
    "class": "the universality class: s=<singularity order>, or analytic",
}

_FLAGS = {"simulate": "--simulate", "dim": "--dim", "lmax": "--lmax", "activations": "--activations", "depths": "--depths", "ridge": "--ridge",
          "pool": "--pool", "ns": "--ns", "trials": "--trials", "seed": "--seed"}


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--data", default="sphere", help="sphere, " + DATA_SETS + ", or a file (.npz/.npy/.csv/IDX); "
                                                    "default sphere")
    p.add_argument("--dim", type=int, default=5, help="with --data sphere: input dimension d (S^{d-1}), default 5")
    p.add_argument("--lmax", type=int, default=640, help="with --data sphere: top Funk-Hecke degree of the local "
                                                         "exponents and their Richardson value, 32..5000 (default 640)")
    p.add_argument("--activations", default="relu,erf,step", help="comma-separated subset of relu,erf,step")
    p.add_argument("--depths", default="1,2,3", help="comma-separated depths, 1..8 (default 1,2,3)")
    p.add_argument("--ridge", type=float, default=0.01, help="ridge sigma^2 > 0 (default 0.01)")
    p.add_argument("--pool", type=int, default=1000, help="on data: pool size P, at most 2000 (default 1000)")
    p.add_argument("--ns", default=None, help="training-set sizes, at least 3 distinct (default 25,...,400 on data; "
                                              "100,...,1600 on the sphere, where they also set gamma and the "
                                              "amplitude's modes)")
    p.add_argument("--trials", type=int, default=4, help="trials per size (default 4)")
    p.add_argument("--simulate", action="store_true", help="with --data sphere: measure the learning-curve slope by "
                                                           "exact GP regression of a target drawn from the kernel's "
                                                           "prior (--ns, --trials)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    _dask_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("universality", help="universality classes: activation x depth x data measure",
                              description=DESCRIPTION)
    return _configure(p)


def _ints(text, name):
    from ..errors import ParameterError
    try:
        return [int(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ParameterError(name, text, "comma-separated integers") from None


def run(args) -> int:
    from .._validate import check_int
    from ..errors import ParameterError
    from ..studies.universality import universality_table

    try:
        acts = [a.strip() for a in str(args.activations).split(",") if a.strip()]
        if not acts:
            raise ParameterError("--activations", args.activations, "a comma-separated subset of relu,erf,step")
        depths = _ints(args.depths, "--depths")
        if not depths:
            raise ParameterError("--depths", args.depths, "comma-separated depths 1..8")
        ns = _ints(args.ns, "--ns") if args.ns is not None else None
        if args.simulate and args.data != "sphere":
            raise ParameterError("--simulate", "given", "only with --data sphere (on data the slope is always "
                                 "measured)")
        pool = check_int(args.pool, "--pool", 10, 2000)
        with _executor(args) as ex:
            doc = universality_table(args.data, acts, depths, dim=args.dim, ridge=args.ridge, pool=pool, ns=ns,
                                     trials=args.trials, seed=args.seed, simulate=args.simulate, lmax=args.lmax,
                                     executor=ex,
                                     progress=None if args.json else _progress("rows"))
        _check_finite(doc["rows"])
    except ParameterError as exc:
        raise _flag_named(exc, _FLAGS) from None     # reported by symrg.cli.main
    if doc["note"]:
        print(f"symrg universality: {doc['note']}", file=sys.stderr)
    if args.json:
        _print_json(doc["rows"])
        return 0
    f = lambda x: "null" if x is None else f"{x:.4g}"  # noqa: E731
    print(f"{'data':>14} {'act':>5} {'L':>2} {'s':>5} {'alpha':>8} {'alpha_ci':>19} {'alpha_R':>17} {'degrees':>10} "
          f"{'A':>8} {'pred':>8} {'eigenl':>8} {'meas':>8} {'gamma':>7}  class")
    for r in doc["rows"]:
        ci = "null" if r["alpha_ci"] is None else f"[{r['alpha_ci'][0]:.3g}, {r['alpha_ci'][1]:.3g}]"
        ar = ("null" if r.get("alpha_richardson") is None
              else f"{r['alpha_richardson']:.5g}+-{r['alpha_richardson_err']:.1g}")
        deg = "null" if r.get("fit_degrees") is None else f"{r['fit_degrees'][0]}..{r['fit_degrees'][1]}"
        print(f"{r['data']:>14} {r['activation']:>5} {r['depth']:>2} {str(r['singularity_order']):>5} "
              f"{f(r['alpha']):>8} {ci:>19} {ar:>17} {deg:>10} {f(r.get('amplitude')):>8} "
              f"{f(r['predicted_slope']):>8} {f(r.get('eigenlearning_slope')):>8} {f(r['measured_slope']):>8} "
              f"{f(r['ir_stop_exponent']):>7}  {r['class']}")
        if r.get("fit_degrees_note"):
            print(f"{'':>14} note: {r['fit_degrees_note']}")
    if doc.get("classes_kept"):
        print(f"classes kept on data: {doc['classes_kept']}")
    return 0


def main(argv=None) -> int:
    """``python -m symrg.cli.universality ...``: the same as ``symrg universality ...``."""
    from ._common import standalone
    return standalone(add_parser, "universality", argv)


if __name__ == "__main__":
    raise SystemExit(main())
