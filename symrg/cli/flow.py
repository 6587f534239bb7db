"""``symrg flow``: renormalised ridge flow, IR stop and test-error predictions."""
from __future__ import annotations

import numpy as np

from ._common import _kernel_args, _make_kernel, _print_json, _table

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("flow", help="renormalised ridge flow, IR stop and test-error predictions")
    p.add_argument("--spectrum", choices=["powerlaw", "sphere"], default="powerlaw")
    p.add_argument("--A", type=float, default=1.0, help="power-law amplitude")
    p.add_argument("--alpha", type=float, default=1.0, help="power-law exponent: lambda_k = A k^-(1+alpha)")
    p.add_argument("--modes", type=int, default=100_000, help="power-law modes listed (the rest is summed)")
    _kernel_args(p)
    p.add_argument("--dim", type=int, default=3)
    p.add_argument("--lmax", type=int, default=100)
    p.add_argument("--ridge", type=float, default=1e-2)
    p.add_argument("--eta", type=float, default=100.0, help="(mean) data-set size")
    p.add_argument("--rule", choices=["learnability", "scale"], default="learnability")
    p.add_argument("--threshold", type=float, default=0.5, help="learnability threshold T")
    p.add_argument("--show", type=int, default=20, help="shells shown in the table")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def _flow_spectrum(args):
    from ..numerics.flows import Shells
    from ..spectra.funk_hecke import sphere_spectrum

    if args.spectrum == "powerlaw":
        from .._generated import gaussian_flow as g
        from .._validate import check_int, check_positive

        check_int(args.modes, "modes", 1, None)
        check_positive(args.A, "A")
        check_positive(args.alpha, "alpha")

        k = np.arange(1, args.modes + 1, dtype=float)
        lam = args.A * k ** (-(1 + args.alpha))
        tail = float(g.sigma2_powerlaw(0.0, args.A, args.alpha, float(args.modes)))
        return Shells(lam, np.ones_like(lam), tail), f"power law A={args.A:g} k^-(1+{args.alpha:g})"
    kernel = _make_kernel(args)
    spec = sphere_spectrum(kernel, args.dim, args.lmax)
    return Shells.from_spectrum(spec), f"{kernel.describe()} on S^{args.dim - 1}"


def run(args) -> int:
    from ..numerics.flows import eigenlearning_prediction, ir_stop, renormalized_ridge, rg_prediction

    sh, label = _flow_spectrum(args)
    s2 = renormalized_ridge(sh, args.ridge)
    stop = ir_stop(sh, args.ridge, args.eta, rule=args.rule, threshold=args.threshold)
    rg = rg_prediction(sh, args.ridge, args.eta, rule=args.rule, threshold=args.threshold)
    el = eigenlearning_prediction(sh, args.ridge, args.eta)
    shown = min(len(sh.lam), args.show)
    rows = [{"shell": s, "kappa": float(sh.cum_modes[s + 1]), "lambda": float(sh.lam[s]),
             "sigma2_kappa": float(s2[s + 1]), "learnable": bool(s < stop.n_shells_kept)} for s in range(shown)]
    out = {
        "spectrum": label,
        "ridge": args.ridge,
        "eta": args.eta,
        "rule": args.rule,
        "threshold": args.threshold,
        "kappa_star": stop.kappa,
        "sigma2_star": stop.sigma2,
        "sigma2_uv": float(s2[-1]),
        "sigma2_ir": float(s2[0]),
        "n_learnable_shells": stop.n_shells_kept,
        "test_error_rg": rg.test_error,
        "test_error_eigenlearning": el.test_error,
        "kappa_eff_eigenlearning": el.effective_ridge,
        "rg_effective_ridge": rg.effective_ridge,
        "shells": rows,
    }
    if args.json:
        _print_json(out)
        return 0
    print(f"# {label}; ridge sigma^2={args.ridge:g}, eta={args.eta:g}")
    print(_table(rows, ["shell", "kappa", "lambda", "sigma2_kappa", "learnable"]))
    print(f"# IR stop ({args.rule}): kappa* = {stop.kappa:g} modes, sigma^2_kappa* = {stop.sigma2:.6g}")
    print(f"# test error: RG {rg.test_error:.6g}; eigenlearning {el.test_error:.6g} "
          f"(kappa_eff = {el.effective_ridge:.6g}; RG sigma*^2/eta = {rg.effective_ridge:.6g})")
    return 0
