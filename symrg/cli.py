"""Command-line front end: thin wrappers over the public API.

Every subcommand prints a readable table by default and a JSON document with ``--json``
(stable keys, documented in the README).  Errors of the user's making (SymrgError) are
printed as one line on stderr with exit status 2; progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .errors import SymrgError


# ------------------------------------------------------------------------------ utils --
def _progress(label: str):
    """A progress callback writing ``label: done/total`` on stderr (only on a terminal or CI)."""
    def cb(done, total):
        end = "\n" if done == total else "\r"
        sys.stderr.write(f"{label}: {done}/{total}{end}")
        sys.stderr.flush()
    return cb


def _print_json(obj) -> None:
    from ._io import _json_default

    print(json.dumps(obj, indent=2, default=_json_default, allow_nan=False))


def _table(rows: list[dict], cols: list[str], fmt: dict | None = None) -> str:
    fmt = fmt or {}
    cells = [[(fmt.get(c, "{:.6g}").format(r[c]) if isinstance(r[c], float) else str(r[c])) for c in cols]
             for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    line = "  ".join(c.rjust(w) for c, w in zip(cols, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(out)


def _int_list(text: str, name: str) -> list[int]:
    from .errors import ParameterError

    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ParameterError(name, text, "comma-separated integers, e.g. 10,20,40") from None
    if not vals:
        raise ParameterError(name, text, "at least one integer")
    return vals


def _kernel_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernel", default="relu", help="activation of the NNGP: relu, step or erf (default relu)")
    p.add_argument("--depth", type=int, default=1, help="number of hidden layers (default 1)")
    p.add_argument("--sigma-w2", type=float, default=2.0, help="weight variance (default 2)")
    p.add_argument("--sigma-b2", type=float, default=0.0, help="bias variance (default 0)")


def _make_kernel(args):
    from .spectra.kernels import NNGPKernel

    return NNGPKernel(args.kernel, args.depth, args.sigma_w2, args.sigma_b2)


# ------------------------------------------------------------------------ subcommands --
def cmd_spectrum(args) -> int:
    from .spectra.funk_hecke import sphere_spectrum

    kernel = _make_kernel(args)
    spec = sphere_spectrum(kernel, args.dim, args.lmax, precision=args.precision, dps=args.dps)
    if args.json:
        _print_json(spec.to_dict())
        return 0
    print(f"# {spec.kernel} on S^{spec.dim - 1}, precision {spec.precision}")
    rows = [{"l": int(l), "lambda_l": float(v), "N(d,l)": float(m), "N*lambda": float(p)}
            for l, v, m, p in zip(spec.degrees, spec.eigenvalues, spec.multiplicities, spec.shell_power)]
    print(_table(rows, ["l", "lambda_l", "N(d,l)", "N*lambda"], {"lambda_l": "{:.12e}", "N(d,l)": "{:.6g}"}))
    print(f"# sum rule: k(1) = {spec.k1:.15g}, k(1) - sum_l N lambda_l = {spec.sum_rule_residual():.3e}"
          f" (power above lmax={args.lmax})")
    return 0


def _flow_spectrum(args):
    from .numerics.flows import Shells
    from .spectra.funk_hecke import sphere_spectrum

    if args.spectrum == "powerlaw":
        from ._generated import gaussian_flow as g
        from ._validate import check_int, check_positive

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


def cmd_flow(args) -> int:
    from .numerics.flows import eigenlearning_prediction, ir_stop, renormalized_ridge, rg_prediction

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


def cmd_learning_curve(args) -> int:
    from .numerics.simulate import parse_target, simulate_learning_curve, theory_learning_curve

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


def cmd_reduced_gp(args) -> int:
    from .data import load_digits, load_file, load_mnist, one_vs_rest
    from .numerics.gp import compare_reduced

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
        from .errors import ParameterError

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


def cmd_verify(args) -> int:
    from .verify import format_table, run_checks

    def prog(i, n, name):
        if not args.quiet:
            sys.stderr.write(f"verify: {i}/{n} {name}\n")
            sys.stderr.flush()

    results = run_checks(full=args.full, only=args.only, progress=prog)
    failed = [r for r in results if not r.passed]
    if args.json:
        _print_json({"full": args.full, "passed": not failed, "checks": [r.to_dict() for r in results]})
    else:
        print(format_table(results))
        for r in failed:
            print(f"\nFAILED {r.name}: {r.detail}")
        print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def cmd_reproduce(args) -> int:
    from .studies.reproduce import SECTIONS, reproduce

    only = None
    if args.only:
        only = [x.strip() for x in args.only.split(",") if x.strip()]
        names = [n for n, _ in SECTIONS]
        bad = [x for x in only if x not in names]
        if bad:
            from .errors import ParameterError

            raise ParameterError("only", ",".join(bad), f"section names among {names}")
    res = reproduce(args.out, quick=args.quick, show_progress=not args.quiet, only=only)
    if args.json:
        _print_json(res)
    else:
        print(f"report written to {res['out']}/index.md")
        for c in res["claims"]:
            print(f"  [{'holds' if c['holds'] else 'DOES NOT HOLD'}] {c['claim']}: {c['agreement']}")
        if res["failed"]:
            print("FAILED: " + ", ".join(res["failed"]))
    return 1 if res["failed"] else 0


def cmd_derive(args) -> int:
    from .engine.cli_derive import run

    return run(args)


# ----------------------------------------------------------------------------- parser --
def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="symrg", description="Wilsonian RG of Gaussian-process / NNGP regression "
                                "(Howard, Jefferson, Maiti & Ringel, arXiv:2405.06008).")
    p.add_argument("--version", action="version", version=f"symrg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sp = sub.add_parser("spectrum", help="Funk-Hecke eigenvalues of an NNGP kernel on the sphere")
    _kernel_args(sp)
    sp.add_argument("--dim", type=int, required=True, help="input dimension d (sphere S^{d-1}), d >= 2")
    sp.add_argument("--lmax", type=int, required=True, help="largest degree")
    sp.add_argument("--precision", choices=["fast", "mp"], default="fast")
    sp.add_argument("--dps", type=int, default=30, help="mpmath digits for --precision mp")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_spectrum)

    fp = sub.add_parser("flow", help="renormalised ridge flow, IR stop and test-error predictions")
    fp.add_argument("--spectrum", choices=["powerlaw", "sphere"], default="powerlaw")
    fp.add_argument("--A", type=float, default=1.0, help="power-law amplitude")
    fp.add_argument("--alpha", type=float, default=1.0, help="power-law exponent: lambda_k = A k^-(1+alpha)")
    fp.add_argument("--modes", type=int, default=100_000, help="power-law modes listed (the rest is summed)")
    _kernel_args(fp)
    fp.add_argument("--dim", type=int, default=3)
    fp.add_argument("--lmax", type=int, default=100)
    fp.add_argument("--ridge", type=float, default=1e-2)
    fp.add_argument("--eta", type=float, default=100.0, help="(mean) data-set size")
    fp.add_argument("--rule", choices=["learnability", "scale"], default="learnability")
    fp.add_argument("--threshold", type=float, default=0.5, help="learnability threshold T")
    fp.add_argument("--show", type=int, default=20, help="shells shown in the table")
    fp.add_argument("--json", action="store_true")
    fp.set_defaults(func=cmd_flow)

    lp = sub.add_parser("learning-curve", help="test MSE against n: simulation against RG and eigenlearning")
    _kernel_args(lp)
    lp.add_argument("--dim", type=int, required=True)
    lp.add_argument("--ridge", type=float, required=True, help="ridge = label-noise variance")
    lp.add_argument("--ns", required=True, help="comma-separated training-set sizes")
    lp.add_argument("--target", required=True, help="degree:power pairs, e.g. 1:0.5,2:0.25")
    lp.add_argument("--trials", type=int, default=10)
    lp.add_argument("--seed", type=int, default=0)
    lp.add_argument("--n-test", type=int, default=2000)
    lp.add_argument("--quiet", action="store_true", help="no progress on stderr")
    lp.add_argument("--json", action="store_true")
    lp.set_defaults(func=cmd_learning_curve)

    rp = sub.add_parser("reduced-gp", help="reduced (renormalised) GP against the full GP on a pool of data")
    _kernel_args(rp)
    rp.add_argument("--data", default="digits", help="digits, mnist, or a path (.npz/.npy/.csv/IDX)")
    rp.add_argument("--pool", type=int, default=1000)
    rp.add_argument("--n", type=int, default=200)
    rp.add_argument("--ridge", type=float, default=1e-2)
    rp.add_argument("--kappas", default=None, help="comma-separated cutoffs (default: log grid)")
    rp.add_argument("--target-class", type=int, default=None)
    rp.add_argument("--seed", type=int, default=0)
    rp.add_argument("--json", action="store_true")
    rp.set_defaults(func=cmd_reduced_gp)

    pp = sub.add_parser("reproduce", help="the main job: derive, run the flows, verify, write the report")
    pp.add_argument("--quick", action="store_true", help="smaller runs (under 5 minutes on 2 cores)")
    pp.add_argument("--out", default="reports", help="output folder (default reports/)")
    pp.add_argument("--only", default=None, help="comma-separated sections to run")
    pp.add_argument("--quiet", action="store_true")
    pp.add_argument("--json", action="store_true")
    pp.set_defaults(func=cmd_reproduce)

    vp = sub.add_parser("verify", help="run the registry of cross-checks (two routes per closed form)")
    vp.add_argument("--full", action="store_true", help="also run the heavy high-precision checks")
    vp.add_argument("--only", default=None, help="run only checks whose name contains this text")
    vp.add_argument("--quiet", action="store_true")
    vp.add_argument("--json", action="store_true")
    vp.set_defaults(func=cmd_verify)

    from .engine.cli_derive import add_parser as add_derive

    add_derive(sub)
    for mod in ("cli_finite_width", "cli_ridge_map"):
        try:
            module = __import__(f"symrg.{mod}", fromlist=["add_parser"])
        except ImportError:  # capability absent from this build
            continue
        module.add_parser(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except SymrgError as exc:
        print(f"symrg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
