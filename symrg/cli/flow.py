"""``symrg flow``: renormalised ridge flow, IR stop and test-error predictions."""
from __future__ import annotations

import numpy as np

from ._common import _check_finite, _kernel_args, _make_kernel, _print_json, _table

__all__ = ["add_parser", "run", "JSON_KEYS"]

JSON_KEYS = {
    "spectrum": "the spectrum, e.g. 'power law A=1 k^-(1+1)' or the kernel on S^{d-1}",
    "ridge": "bare ridge sigma^2",
    "eta": "data-set size",
    "rule": "IR-stop rule of the paper's stop (learnability or scale)",
    "threshold": "learnability threshold T of the stop",
    "kappa_star": "paper's IR stop kappa*: the number of modes kept (learnable)",
    "sigma2_star": "renormalised ridge at the paper's stop, sigma^2_{kappa*}",
    "learned_modes": "sum_{k <= kappa*} L_k at the paper's stop",
    "kappa_star_budget": "budget-respecting stop (sum_{k <= kappa*} L_k <= eta); may split a shell",
    "sigma2_star_budget": "renormalised ridge at the budget-respecting stop",
    "learned_modes_budget": "sum_{k <= kappa*} L_k at the budget-respecting stop",
    "sigma2_selfconsistent": "self-consistent effective ridge sigma_eff^2 (= eta kappa_eff)",
    "sigma2_selfconsistent_error": "error bound of sigma2_selfconsistent: the root finder plus the truncation of the "
                                   "spectrum (power law: the Euler-Maclaurin remainder of the analytic tail; sphere: "
                                   "the unlisted degrees, bracketed between learnability 0 and the largest allowed)",
    "learned_modes_selfconsistent": "sum_k L_k over every mode under sigma_eff^2, the unlisted tail included "
                                    "(power law: the infinite law; a tail known by its power T: T/kappa_eff)",
    "learned_modes_selfconsistent_tail": "the unlisted modes' share of learned_modes_selfconsistent",
    "learned_modes_selfconsistent_bound": "bound on the error of learned_modes_selfconsistent (the tail's "
                                          "uncertainty and the closure's)",
    "sigma2_uv": "renormalised ridge with every listed mode kept (sigma^2 plus the power beyond them)",
    "sigma2_ir": "renormalised ridge with every mode integrated out (sigma^2 + sum_k lambda_k)",
    "n_learnable_shells": "number of shells kept by the paper's stop",
    "test_error_rg": "test-error prediction of the paper's RG (sharp stop)",
    "test_error_rg_budget": "test-error prediction at the budget-respecting stop",
    "test_error_rg_selfconsistent": "test-error prediction with the self-consistent ridge",
    "test_error_eigenlearning": "eigenlearning's test-error prediction (the reference)",
    "test_error_rg_error": "error estimate of test_error_rg (root finding and truncation of the spectrum)",
    "test_error_rg_budget_error": "error estimate of test_error_rg_budget",
    "test_error_rg_selfconsistent_error": "error estimate of test_error_rg_selfconsistent",
    "test_error_eigenlearning_error": "error estimate of test_error_eigenlearning",
    "truncation": "how the modes beyond the listed ones are treated",
    "truncation.method": "powerlaw: 'analytic tail' (the law is infinite; modes beyond --modes are summed by "
                         "Euler-Maclaurin with a bounded remainder); sphere: 'lmax' (degrees above it are power with "
                         "a bounded effect, --lmax raised until that effect is below 1e-9 relative or the float64 "
                         "limit is reached)",
    "truncation.listed": "modes summed one by one (powerlaw: min(--modes, 100000)) or the largest degree used (sphere)",
    "truncation.requested": "--modes or --lmax as given",
    "truncation.tail_ratio": "[sphere] eta lambda_max_tail / sigma_eff^2, the learnability parameter of the unlisted "
                             "modes (the estimate is first order in it; above 0.1 the command refuses)",
    "kappa_eff_eigenlearning": "eigenlearning's effective ridge kappa_eff",
    "rg_effective_ridge": "effective ridge of the paper's prediction, sigma^2_{kappa*} / eta",
    "shells": "one row per shell (degenerate eigenvalue), the first --show shells",
    "shells[].shell": "shell index, 0 = largest eigenvalue",
    "shells[].kappa": "modes up to and including this shell",
    "shells[].lambda": "eigenvalue of the shell",
    "shells[].sigma2_kappa": "renormalised ridge sigma^2_kappa with the modes up to this shell kept",
    "shells[].learnable": "kept by the paper's stop",
    "shells[].kept_budget": "fraction of the shell kept by the budget-respecting stop",
    "shells[].L_selfconsistent": "learnability eta lambda / (eta lambda + sigma_eff^2) of its modes",
}

ALPHA_RANGE = (1e-6, 1e10)      # power-law exponents whose tail zeta(1+alpha, modes+1) float64 resolves
MAX_POWERLAW_MODES = 10**7      # modes listed (8 bytes each, several arrays)
A_RANGE = (1e-100, 1e100)       # power-law amplitudes: sums of A k^-(1+alpha) and eta-weighted terms stay finite


def add_parser(sub):
    p = sub.add_parser("flow", help="renormalised ridge flow, IR stop and test-error predictions")
    p.add_argument("--spectrum", choices=["powerlaw", "sphere"], default="powerlaw",
                   help="powerlaw: lambda_k = A k^-(1+alpha); sphere: the Funk-Hecke spectrum of the kernel on S^{d-1}")
    p.add_argument("--A", type=float, default=1.0, help="power-law amplitude A > 0")
    p.add_argument("--alpha", type=float, default=1.0, help="power-law exponent alpha > 0")
    p.add_argument("--modes", type=int, default=100_000,
                   help="power-law modes listed (the shell table, sigma2_uv); the law is infinite: the first "
                        "min(--modes, 100000) modes are summed one by one and every mode beyond analytically "
                        "(Euler-Maclaurin with a bounded remainder)")
    _kernel_args(p)
    p.add_argument("--dim", type=int, default=3, help="sphere spectrum: input dimension d (S^{d-1}), default 3")
    p.add_argument("--lmax", type=int, default=100, help="sphere spectrum: largest degree listed; raised automatically (up to the float64 limit) until "
                        "the unlisted degrees change no number by more than 1e-9 relative")
    p.add_argument("--ridge", type=float, default=1e-2, help="bare ridge sigma^2 >= 0 (default 0.01)")
    p.add_argument("--eta", type=float, default=100.0, help="data-set size (the mean size of a Poisson data set)")
    p.add_argument("--rule", choices=["learnability", "scale"], default="learnability",
                   help="IR stop of the paper's RG: learnability (keep shells with L >= T under the running ridge) "
                        "or scale (keep shells with eta lambda >= sigma^2_kappa)")
    p.add_argument("--threshold", type=float, default=0.5, help="learnability threshold T of --rule learnability")
    p.add_argument("--show", type=int, default=20, help="shells shown in the table")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def _flow_spectrum(args, build: bool = True):
    from ..numerics.flows import Shells
    from ..spectra.funk_hecke import sphere_spectrum

    if args.spectrum == "powerlaw":
        from .._generated import gaussian_flow as g
        from .._validate import check_int, check_positive
        from ..errors import ParameterError

        check_int(args.modes, "--modes", 1, MAX_POWERLAW_MODES)
        check_positive(args.A, "--A")
        check_positive(args.alpha, "--alpha")
        if not A_RANGE[0] <= args.A <= A_RANGE[1]:
            raise ParameterError("--A", args.A, f"a number in [{A_RANGE[0]:g}, {A_RANGE[1]:g}]",
                                 "sums of the spectrum and the ridge must stay finite in float64")
        if not ALPHA_RANGE[0] <= args.alpha <= ALPHA_RANGE[1]:
            # the tail A zeta(1 + alpha, modes + 1) ~ A modes^-alpha / alpha: below 1e-6, 1 + alpha loses
            # more than 1e-10 of alpha in float64 (at 1e-16 the tail is inf); past 1e10 zeta returns NaN
            raise ParameterError("--alpha", args.alpha, f"a number in [{ALPHA_RANGE[0]:g}, {ALPHA_RANGE[1]:g}]",
                                 "the power-law tail A zeta(1+alpha, modes+1) is not resolved in float64 outside")

        label = f"power law A={args.A:g} k^-(1+{args.alpha:g})"
        tail = float(g.sigma2_powerlaw(0.0, args.A, args.alpha, float(args.modes)))
        if not build:   # validation only (the infinite law is handled by numerics.powerlaw_tail)
            top = float(g.sigma2_powerlaw(0.0, args.A, args.alpha, 0.0))
            if not (np.isfinite(tail) and np.isfinite(top)):
                raise ParameterError("--A", args.A, "a finite amplitude whose spectrum and tail are finite in float64",
                                     f"the trace is {top:g}")
            return None, label
        k = np.arange(1, args.modes + 1, dtype=float)
        lam = args.A * k ** (-(1 + args.alpha))
        if not (np.isfinite(tail) and np.all(np.isfinite(lam))):
            raise ParameterError("--A", args.A, "a finite amplitude whose spectrum and tail are finite in float64",
                                 f"the tail is {tail:g}")
        # the tail's law is kept, so that its learnabilities are summed exactly (learned_modes_selfconsistent)
        return Shells(lam, np.ones_like(lam), tail, (args.A, args.alpha, args.modes)), label
    kernel = _make_kernel(args)
    spec = sphere_spectrum(kernel, args.dim, args.lmax)
    return Shells.from_spectrum(spec), f"{kernel.describe()} on S^{args.dim - 1}"


EXPLICIT_MODES_MAX = 100_000  # power law: modes summed one by one; beyond, Euler-Maclaurin (remainder ~ K^-3)
TRUNCATION_RTOL = 1e-9      # sphere: raise lmax until every truncation estimate is below this (relative)
TAIL_RATIO_MAX = 0.1        # sphere: first-order truncation estimates are not vouched for above this
WARN_RTOL = 1e-6            # an estimate above this (relative) is repeated on stderr


def _listed_learned(A, alpha, eta, sigma2_eff, modes) -> float:
    """``sum_{k <= modes} L_k`` of the power law under ``sigma_eff^2`` (the listed modes' share)."""
    import math

    total, start, chunk = 0.0, 1, 1 << 20
    while start <= modes:
        k = np.arange(start, min(start + chunk, modes + 1), dtype=float)
        x = eta * A * k ** (-(1 + alpha))
        total = math.fsum([total, float(np.sum(x / (x + sigma2_eff)))])
        start += chunk
    return total


def _powerlaw_doc(args, label):
    from ..numerics.powerlaw_tail import PowerLawInfinite, powerlaw_flow

    listed = min(args.modes, EXPLICIT_MODES_MAX)
    r = powerlaw_flow(args.A, args.alpha, args.ridge, args.eta, listed=listed, rule=args.rule,
                      threshold=args.threshold)
    pl = PowerLawInfinite(args.A, args.alpha, min(args.modes, max(args.show, 1)))
    shown = min(args.modes, args.show)
    rows = []
    for s in range(shown):
        lam = float(pl.lam[s])
        rows.append({"shell": s, "kappa": float(s + 1), "lambda": lam,
                     "sigma2_kappa": args.ridge + pl.power_beyond(s + 1), "learnable": bool(s < r["kappa_star"]),
                     "kept_budget": float(min(max(r["kappa_star_budget"] - s, 0.0), 1.0)),
                     "L_selfconsistent": args.eta * lam / (args.eta * lam + r["sigma2_selfconsistent"])})
    return {
        "spectrum": label, "ridge": args.ridge, "eta": args.eta, "rule": args.rule, "threshold": args.threshold,
        "kappa_star": r["kappa_star"], "sigma2_star": r["sigma2_star"], "learned_modes": r["learned_modes"],
        "kappa_star_budget": r["kappa_star_budget"], "sigma2_star_budget": r["sigma2_star_budget"],
        "learned_modes_budget": r["learned_modes_budget"],
        "sigma2_selfconsistent": r["sigma2_selfconsistent"],
        "sigma2_selfconsistent_error": r["sigma2_selfconsistent_error"],
        "learned_modes_selfconsistent": r["learned_modes_selfconsistent"],
        "learned_modes_selfconsistent_tail": r["learned_modes_selfconsistent"] - _listed_learned(
            args.A, args.alpha, args.eta, r["sigma2_selfconsistent"], args.modes),
        "learned_modes_selfconsistent_bound": r["learned_modes_selfconsistent_error"],
        "sigma2_uv": args.ridge + pl.power_beyond(args.modes), "sigma2_ir": args.ridge + pl.power_beyond(0),
        "n_learnable_shells": int(r["kappa_star"]),
        **{k: r[k] for k in ("test_error_rg", "test_error_rg_budget", "test_error_rg_selfconsistent",
                             "test_error_eigenlearning", "kappa_eff_eigenlearning", "rg_effective_ridge",
                             "test_error_rg_error", "test_error_rg_budget_error",
                             "test_error_rg_selfconsistent_error", "test_error_eigenlearning_error")},
        "truncation": {"method": "analytic tail", "listed": listed, "requested": args.modes},
        "shells": rows,
    }


def _shells_doc(sh, args, label, spec=None):
    from ..numerics.flows import ir_stop, renormalized_ridge
    from ..numerics.predictions import predict_all
    from ..numerics.selfconsistent import selfconsistent_ridge
    from ..numerics.truncation import truncation_errors

    s2 = renormalized_ridge(sh, args.ridge)
    stop_kw = dict(rule=args.rule, threshold=args.threshold)
    stop = ir_stop(sh, args.ridge, args.eta, **stop_kw)
    budget = ir_stop(sh, args.ridge, args.eta, budget=True, **stop_kw)
    sc = selfconsistent_ridge(sh, args.ridge, args.eta)
    p = predict_all(sh, args.ridge, args.eta, **stop_kw)
    te = truncation_errors(spec if spec is not None else sh, args.ridge, args.eta, preds=p, sc=sc, **stop_kw)
    shown = min(len(sh.lam), args.show)
    rows = [{"shell": s, "kappa": float(sh.cum_modes[s + 1]), "lambda": float(sh.lam[s]),
             "sigma2_kappa": float(s2[s + 1]), "learnable": bool(s < stop.n_shells_kept),
             "kept_budget": float(budget.kept_fraction[s]), "L_selfconsistent": float(sc.learnability[s])}
            for s in range(shown)]
    return {
        "spectrum": label, "ridge": args.ridge, "eta": args.eta, "rule": args.rule, "threshold": args.threshold,
        "kappa_star": stop.kappa, "sigma2_star": stop.sigma2, "learned_modes": stop.learned_modes,
        "kappa_star_budget": budget.kappa, "sigma2_star_budget": budget.sigma2,
        "learned_modes_budget": budget.learned_modes,
        "sigma2_selfconsistent": sc.sigma2, "sigma2_selfconsistent_error": te["sigma2_selfconsistent"],
        "learned_modes_selfconsistent": sc.learned_modes,
        "learned_modes_selfconsistent_tail": sc.tail_learned,
        "learned_modes_selfconsistent_bound": sc.learned_modes_bound,
        "sigma2_uv": float(s2[-1]), "sigma2_ir": float(s2[0]), "n_learnable_shells": stop.n_shells_kept,
        "test_error_rg": p["rg"].test_error, "test_error_rg_budget": p["rg_budget"].test_error,
        "test_error_rg_selfconsistent": p["rg_selfconsistent"].test_error,
        "test_error_eigenlearning": p["eigenlearning"].test_error,
        "kappa_eff_eigenlearning": p["eigenlearning"].effective_ridge, "rg_effective_ridge": p["rg"].effective_ridge,
        **{f"test_error_{t}_error": te[t] for t in ("rg", "rg_budget", "rg_selfconsistent", "eigenlearning")},
        "truncation": {"method": "lmax", "listed": None, "requested": args.lmax, "tail_ratio": te["tail_ratio"]},
        "_cut_relative": te["cut_relative"],
        "shells": rows,
    }


_ESTIMATED = ("sigma2_selfconsistent", "test_error_rg", "test_error_rg_budget", "test_error_rg_selfconsistent",
              "test_error_eigenlearning")


def _worst_relative(doc) -> float:
    return max(doc[f"{k}_error"] / abs(doc[k]) if doc[k] else (0.0 if doc[f"{k}_error"] == 0 else float("inf"))
               for k in _ESTIMATED)


def _predicted_tail_ratio(spec, ratio: float, lmax_to: int) -> float:
    """``eta lambda_c / sigma_eff^2`` extrapolated from ``spec.degrees[-1]`` to ``lmax_to`` with the decay of the
    eigenvalues between half the degree and the last (same parity), ``lambda_l ~ l^-p``."""
    import math

    lam = np.asarray(spec.eigenvalues, dtype=float)
    lmax = len(lam) - 1
    if lmax < 8 or ratio <= 0:
        return ratio
    half = lmax // 2 - ((lmax // 2 - lmax) % 2)      # a degree near lmax/2 with the parity of lmax
    a, b = max(lam[half - 1:half + 1].max(), 0.0), max(lam[-2:].max(), 0.0)
    if not (a > 0 and b > 0 and a > b):
        return ratio
    p = math.log(a / b) / math.log(lmax / half)
    return ratio * (lmax / lmax_to) ** p


def _sphere_doc(args):
    """The sphere spectrum at ``--lmax``, raised (x4 each time, up to the float64 path's limit) until the cut
    changes no number by more than TRUNCATION_RTOL relative; refused when the unlisted modes are learnable
    (tail ratio above TAIL_RATIO_MAX) at the largest lmax reachable."""
    from ..errors import ConvergenceError, ParameterError
    from ..numerics.flows import Shells
    from ..spectra.cost import FAST_LMAX_LIMIT
    from ..spectra.funk_hecke import sphere_spectrum

    kernel = _make_kernel(args)
    label = f"{kernel.describe()} on S^{args.dim - 1}"
    lmax = args.lmax
    spec = sphere_spectrum(kernel, args.dim, lmax)
    while True:
        doc = _shells_doc(Shells.from_spectrum(spec), args, label, spec)
        doc["truncation"]["listed"] = lmax
        if doc.pop("_cut_relative") <= TRUNCATION_RTOL or lmax >= FAST_LMAX_LIMIT:
            break
        if _predicted_tail_ratio(spec, doc["truncation"]["tail_ratio"], FAST_LMAX_LIMIT) > 10 * TAIL_RATIO_MAX:
            break    # even the largest lmax would leave the unlisted degrees learnable: refuse now, not in minutes
        try:
            spec = sphere_spectrum(kernel, args.dim, min(4 * lmax, FAST_LMAX_LIMIT))
        except (ParameterError, ConvergenceError):
            break     # the float64 path cannot go further: judge what we have
        lmax = min(4 * lmax, FAST_LMAX_LIMIT)
    ratio = doc["truncation"]["tail_ratio"]
    if ratio > TAIL_RATIO_MAX:
        raise ConvergenceError(
            f"the degrees above lmax={lmax} are learnable (eta lambda_max / sigma_eff^2 = {ratio:.3g} > "
            f"{TAIL_RATIO_MAX:g}), so their effect cannot be bounded: raise --lmax (the float64 path stops at "
            f"{FAST_LMAX_LIMIT}), or use a larger --ridge or a smaller --eta")
    return doc


def run(args) -> int:
    import sys

    if args.spectrum == "powerlaw":
        _sh, label = _flow_spectrum(args, build=False)       # validates the power-law flags
        out = _powerlaw_doc(args, label)
    else:
        out = _sphere_doc(args)
    _check_finite({k: v for k, v in out.items() if k != "truncation"})
    worst = _worst_relative(out)
    if worst > WARN_RTOL:
        print(f"symrg flow: warning: a printed number carries a relative error estimate of {worst:.2g} "
              f"(see the *_error keys of --json)", file=sys.stderr)
    rows = out["shells"]
    stop_kappa, budget_kappa = out["kappa_star"], out["kappa_star_budget"]
    if args.json:
        _print_json(out)
        return 0
    tr = out["truncation"]
    print(f"# {out['spectrum']}; ridge sigma^2={args.ridge:g}, eta={args.eta:g}; "
          + (f"modes beyond {tr['listed']} summed analytically" if tr["method"] == "analytic tail"
             else f"degrees up to {tr['listed']} (--lmax {tr['requested']})"))
    print(_table(rows, ["shell", "kappa", "lambda", "sigma2_kappa", "learnable", "kept_budget", "L_selfconsistent"]))
    print(f"# paper's stop ({args.rule}): kappa* = {stop_kappa:g} modes, sigma^2_kappa* = {out['sigma2_star']:.6g}, "
          f"sum_k<=kappa* L_k = {out['learned_modes']:.4g}")
    print(f"# budget stop (sum L_k <= eta): kappa* = {budget_kappa:.6g} modes, sigma^2 = {out['sigma2_star_budget']:.6g}")
    print(f"# self-consistent ridge: sigma_eff^2 = {out['sigma2_selfconsistent']:.6g} "
          f"+- {out['sigma2_selfconsistent_error']:.2g} (= eta kappa_eff; sum_k L_k = "
          f"{out['learned_modes_selfconsistent']:.4g}, of which the unlisted modes "
          f"{out['learned_modes_selfconsistent_tail']:.4g}, +- {out['learned_modes_selfconsistent_bound']:.2g})")
    print(f"# test error: RG {out['test_error_rg']:.6g}; RG budget {out['test_error_rg_budget']:.6g}; "
          f"RG self-consistent {out['test_error_rg_selfconsistent']:.6g}; "
          f"eigenlearning {out['test_error_eigenlearning']:.6g} +- {out['test_error_eigenlearning_error']:.2g}")
    return 0
