"""``symrg spectrum``: Funk-Hecke eigenvalues of an NNGP kernel on the sphere."""
from __future__ import annotations

from ._common import _check_finite, _kernel_args, _make_kernel, _print_json, _table

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("spectrum", help="Funk-Hecke eigenvalues of an NNGP kernel on the sphere")
    _kernel_args(p)
    p.add_argument("--dim", type=int, required=True, help="input dimension d (sphere S^{d-1}), d >= 2")
    p.add_argument("--lmax", type=int, required=True, help="largest degree l listed (the power above it is "
                   "reported as the sum-rule residual)")
    p.add_argument("--precision", choices=["fast", "mp"], default="fast",
                   help="fast: float64 series with a per-degree error estimate (switches to mp, or refuses, when "
                        "it cannot reach 1e-8); mp: mpmath quadrature with a chosen and confirmed precision")
    p.add_argument("--dps", type=int, default=30,
                   help="--precision mp: the least number of digits (a floor; the working precision is chosen "
                        "from the dynamic range and confirmed 20 digits higher)")
    p.add_argument("--allow-expensive", action="store_true",
                   help="lift the cost limits (lmax, digits, estimated time) instead of refusing")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..spectra.funk_hecke import sphere_spectrum

    kernel = _make_kernel(args)
    spec = sphere_spectrum(kernel, args.dim, args.lmax, precision=args.precision, dps=args.dps,
                           allow_expensive=args.allow_expensive)
    _check_finite(spec.to_dict())
    if args.json:
        _print_json(spec.to_dict())
        return 0
    print(f"# {spec.kernel} on S^{spec.dim - 1}, precision {spec.precision}")
    errs = spec.errors if getattr(spec, "errors", None) is not None else [float("nan")] * len(spec.degrees)
    rows = [{"l": int(l), "lambda_l": float(v), "error": float(e), "N(d,l)": float(m), "N*lambda": float(p)}
            for l, v, e, m, p in zip(spec.degrees, spec.eigenvalues, errs, spec.multiplicities, spec.shell_power)]
    print(_table(rows, ["l", "lambda_l", "error", "N(d,l)", "N*lambda"],
                 {"lambda_l": "{:.12e}", "error": "{:.1e}", "N(d,l)": "{:.6g}"}))
    print(f"# sum rule: k(1) = {spec.k1:.15g}, k(1) - sum_l N lambda_l = {spec.sum_rule_residual():.3e}"
          f" (power above lmax={args.lmax})")
    return 0
