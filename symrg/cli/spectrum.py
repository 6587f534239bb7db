"""``symrg spectrum``: Funk-Hecke eigenvalues of an NNGP kernel on the sphere."""
from __future__ import annotations

from ._common import _kernel_args, _make_kernel, _print_json, _table

__all__ = ["add_parser", "run", "JSON_KEYS"]

JSON_KEYS = {
    "dim": "input dimension d (inputs on the sphere S^{d-1})",
    "kernel": "the kernel, e.g. 'relu NNGP, depth 1, sigma_w^2=2, sigma_b^2=0'",
    "precision": "'fast' (float64 series) or 'mp' (mpmath quadrature)",
    "degrees": "the degrees l = 0..lmax; the lists below are indexed by degree",
    "eigenvalues": "Funk-Hecke eigenvalue lambda_l, shared by every spherical harmonic of degree l",
    "multiplicities": "N(d, l), the number of spherical harmonics of degree l",
    "log_multiplicities": "log N(d, l) (finite where N(d, l) overflows a float)",
    "k1": "k(1), the kernel on the diagonal: the total power sum_l N(d, l) lambda_l",
    "sum_rule_residual": "k(1) - sum_{l <= lmax} N(d, l) lambda_l: the power above lmax",
    "meta": "[when the computation records details] how the eigenvalues were computed",
}


def add_parser(sub):
    p = sub.add_parser("spectrum", help="Funk-Hecke eigenvalues of an NNGP kernel on the sphere")
    _kernel_args(p)
    p.add_argument("--dim", type=int, required=True, help="input dimension d (sphere S^{d-1}), d >= 2")
    p.add_argument("--lmax", type=int, required=True, help="largest degree l listed, >= 0")
    p.add_argument("--precision", choices=["fast", "mp"], default="fast",
                   help="fast: float64 series with its own error estimate; mp: mpmath quadrature at --dps digits")
    p.add_argument("--dps", type=int, default=30, help="decimal digits of the mpmath quadrature (--precision mp)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..spectra.funk_hecke import sphere_spectrum

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
