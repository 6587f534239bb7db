"""``symrg spectrum``: Funk-Hecke eigenvalues of an NNGP kernel on the sphere."""
from __future__ import annotations

from ._common import _check_finite, _kernel_args, _make_kernel, _print_json, _table

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("spectrum", help="Funk-Hecke eigenvalues of an NNGP kernel on the sphere")
    _kernel_args(p)
    p.add_argument("--dim", type=int, required=True, help="input dimension d (sphere S^{d-1}), d >= 2")
    p.add_argument("--lmax", type=int, required=True, help="largest degree")
    p.add_argument("--precision", choices=["fast", "mp"], default="fast")
    p.add_argument("--dps", type=int, default=30, help="mpmath digits for --precision mp")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..spectra.funk_hecke import sphere_spectrum

    kernel = _make_kernel(args)
    spec = sphere_spectrum(kernel, args.dim, args.lmax, precision=args.precision, dps=args.dps)
    _check_finite(spec.to_dict())
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
