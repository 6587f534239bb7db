"""``symrg spectrum``: Funk-Hecke eigenvalues of an NNGP kernel on the sphere."""
from __future__ import annotations

from ._common import _check_finite, _kernel_args, _make_kernel, _print_json, _table

__all__ = ["add_parser", "run", "JSON_KEYS"]

JSON_KEYS = {
    "dim": "input dimension d (inputs on the sphere S^{d-1})",
    "kernel": "the kernel, e.g. 'relu NNGP, depth 1, sigma_w^2=2, sigma_b^2=0'",
    "precision": "'fast' (float64 series), or mp<digits>, with ' (auto)' after an automatic switch",
    "degrees": "the degrees l = 0..lmax; the lists below are indexed by degree",
    "eigenvalues": "Funk-Hecke eigenvalue lambda_l, shared by every spherical harmonic of degree l",
    "multiplicities": "N(d, l), the number of spherical harmonics of degree l",
    "log_multiplicities": "log N(d, l) (finite where N(d, l) overflows a float)",
    "k1": "k(1), the kernel on the diagonal: the total power sum_l N(d, l) lambda_l",
    "sum_rule_residual": "k(1) - sum_{l <= lmax} N(d, l) lambda_l: the power above lmax",
    "error_estimate": "[when the path estimates it] estimated absolute error of each eigenvalue",
    "meta": "[mpmath path] how the eigenvalues were computed",
    "meta.dps": "[mpmath path] working precision (decimal digits), chosen from the dynamic range",
    "meta.dps_confirm": "[mpmath path] the higher precision the result was confirmed at",
    "meta.dps_floor": "[mpmath path] the --dps floor",
    "meta.exact_zeros": "[mpmath path] degrees whose eigenvalue is exactly zero",
    "meta.seconds": "[mpmath path] run time",
    "meta.switched_from_fast": "[automatic switch] why the float64 path handed over to mpmath",
    "meta.switched_from_fast.degree": "[automatic switch] the first degree the float64 path could not resolve",
    "meta.switched_from_fast.relative_error_estimate": "[automatic switch] its estimated relative error",
    "meta.switched_from_fast.rtol": "[automatic switch] the tolerance it missed",
    "meta.switched_from_fast.mp_seconds_estimate": "[automatic switch] estimated run time of the mpmath path",
}


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
