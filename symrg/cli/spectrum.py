"""``symrg spectrum``: eigenvalues of an NNGP kernel, on the sphere or on a pool of data.

Two forms, exclusive.  Sphere (``--dim D --lmax L``): Funk-Hecke eigenvalues per degree.  Data
(``--data {digits,mnist,fashion,PATH} --pool P --kappa K``): the top ``K`` eigenvalues of ``(1/P) K``
on a pool of ``P`` rows (the first ``P`` of the training split after a seeded shuffle, as in every
``--data`` command), the trace and the tail power (docs/theory.md section 4b), from
:func:`symrg.spectra.topk_spectrum`.
"""
from __future__ import annotations

from ._common import (DATA_SETS, MEMORY_LIMIT, _check_finite, _dask_args, _executor, _flag_named, _kernel_args, _make_kernel,
                      _print_json, _progress, _seed, _table)

__all__ = ["add_parser", "run", "JSON_KEYS", "DESCRIPTION"]

DESCRIPTION = (
    "Eigenvalues of an NNGP kernel. Two forms, exclusive. On the sphere (--dim D --lmax L): the Funk-Hecke "
    "eigenvalue of every degree l <= L with its multiplicity and the sum rule. On data (--data "
    "{digits,mnist,fashion,PATH} --pool P --kappa K): the top K eigenvalues of (1/P) K on a pool of P rows (the "
    "first P rows of the training split after a shuffle seeded by --seed), the trace (1/P) sum_i K(x_i, x_i) and "
    "the tail power trace - sum_{k <= K} lambda_k (docs/theory.md section 4b); --method auto (default) picks "
    "between randomized, which streams K in tiles, and exact, a dense eigendecomposition, from the memory and a "
    "cost model; hermite lists the eigenvalues of the Hermite-eigenstructure ansatz from the pool's second moment "
    "and the kernel's power series, without a kernel matrix (seconds at P = 60,000; an approximation whose "
    "measured accuracy the output states, docs/theory.md section 4d). With --workers or --scheduler the products of K "
    "with the block of vectors run by row blocks on the Dask workers (each pass re-forms the tiles there), the "
    "iteration in this process; --method exact runs as one task on a worker.")

JSON_KEYS = {
    "dim": "[sphere form] input dimension d (inputs on the sphere S^{d-1})",
    "kernel": "the kernel, e.g. 'relu NNGP, depth 1, sigma_w^2=2, sigma_b^2=0'",
    "precision": "[sphere form] 'fast' (float64 series), or mp<digits>, with ' (auto)' after an automatic switch",
    "degrees": "[sphere form] the degrees l = 0..lmax; the lists below are indexed by degree",
    "eigenvalues": "sphere form: Funk-Hecke eigenvalue lambda_l, shared by every spherical harmonic of degree l; "
                   "data form: the top kappa eigenvalues of (1/P) K on the pool, descending",
    "multiplicities": "[sphere form] N(d, l), the number of spherical harmonics of degree l",
    "log_multiplicities": "[sphere form] log N(d, l) (finite where N(d, l) overflows a float)",
    "k1": "[sphere form] k(1), the kernel on the diagonal: the total power sum_l N(d, l) lambda_l",
    "sum_rule_residual": "[sphere form] k(1) - sum_{l <= lmax} N(d, l) lambda_l: the power above lmax",
    "error_estimate": "[when the path estimates it] estimated absolute error of each eigenvalue (data form: the "
                      "bound residual + rounding of error_statement)",
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
    "data": "[data form] the data set (name, or the file given)",
    "pool": "[data form] pool size P",
    "seed": "[data form] seed of the pool shuffle and of the randomized start block",
    "kappa": "[data form] number of top eigenvalues listed",
    "method": "[data form] the method run: 'randomized' (block LOBPCG from a random start, K streamed in tiles), "
              "'exact' (dense eigh) or 'hermite' (the Hermite-eigenstructure ansatz, no kernel matrix)",
    "accuracy": "[hermite] where the ansatz is accurate and where not: the relative errors measured against exact "
                "spectra (benchmarks/bench_hermite.py), and this pool's effective dimension",
    "effective_dimension": "[hermite] (sum gamma)^2 / sum gamma^2 of the second moment's eigenvalues gamma after "
                           "the leading one: the ansatz needs it large",
    "degrees": "[hermite] the Hermite degree of each listed mode",
    "hermite_form": "[hermite] 'split-radial' (the leading principal direction s treated exactly, the others by "
                    "the ansatz with |w|^2 = 1 - s^2) or 'split' (rows not of unit norm)",
    "method_reason": "[data form] why that method: chosen by the user, or the memory/cost comparison of --method auto",
    "trace": "[data form] (1/P) sum_i K(x_i, x_i) = sum over all P eigenvalues",
    "tail_power": "[data form] trace - sum_{k <= kappa} lambda_k: the power of the modes not listed",
    "tail_power_error": "[data form] bound on the error of tail_power: the sum of error_estimate",
    "error_statement": "[data form] what error_estimate bounds",
    "iterations": "[data form] passes over K (1 for exact, 0 for hermite: K is never formed)",
    "executor": "[data form] where the solve ran: 'serial' or 'dask (...)'",
}


def add_parser(sub):
    p = sub.add_parser("spectrum", help="eigenvalues of an NNGP kernel: on the sphere, or the top kappa on a data pool",
                       description=DESCRIPTION)
    _kernel_args(p)
    p.add_argument("--dim", type=int, default=None, help="sphere form: input dimension d (sphere S^{d-1}), d >= 2")
    p.add_argument("--lmax", type=int, default=None, help="sphere form: largest degree l listed (the power above it is "
                   "reported as the sum-rule residual)")
    p.add_argument("--precision", choices=["fast", "mp"], default=None,
                   help="sphere form: fast (default): float64 series with a per-degree error estimate (switches to "
                        "mp, or refuses, when it cannot reach 1e-8); mp: mpmath quadrature with a chosen and confirmed "
                        "precision")
    p.add_argument("--dps", type=int, default=None,
                   help="sphere form, --precision mp: the least number of digits (default 30; a floor; the working "
                        "precision is chosen from the dynamic range and confirmed 20 digits higher)")
    p.add_argument("--data", default=None,
                   help="data form: " + DATA_SETS + ", or a file (.npz/.npy/.csv/IDX); inputs are mapped to "
                        "the unit sphere")
    p.add_argument("--pool", type=int, default=None, help="data form: pool size P")
    p.add_argument("--kappa", type=int, default=None, help="data form: number of top eigenvalues, 1 <= K < P")
    p.add_argument("--method", choices=["auto", "randomized", "exact", "hermite"], default=None,
                   help="data form: auto (default: exact when the dense matrix fits in memory and a cost model of P "
                        "and kappa says it is faster, else randomized; the output says which and why), randomized "
                        "(block LOBPCG, K streamed in tiles), exact (dense eigh of the P x P matrix) or hermite (the "
                        "Hermite-eigenstructure ansatz from the second moment and the kernel's power series: no "
                        "kernel matrix, an approximation; the output states its measured accuracy)")
    p.add_argument("--seed", type=_seed, default=None,
                   help="data form: seed of the pool shuffle and of the random start block (default 0)")
    _dask_args(p)
    p.add_argument("--allow-expensive", action="store_true",
                   help=f"lift the cost limits instead of refusing (sphere: lmax, digits, estimated time; data: "
                        f"arrays above {MEMORY_LIMIT // 2**30} GiB, up to half the physical memory)")
    p.add_argument("--quiet", action="store_true", help="data form: no progress on stderr")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


_DATA_OPTS = ("data", "pool", "kappa", "method", "seed", "workers", "scheduler")
_SPHERE_OPTS = ("dim", "lmax", "precision", "dps")


def _given(args, names):
    return [f"--{n}" for n in names if getattr(args, n, None) is not None]


def run(args) -> int:
    from ..errors import ParameterError

    data_given, sphere_given = _given(args, _DATA_OPTS), _given(args, _SPHERE_OPTS)
    if data_given and sphere_given:
        raise ParameterError(sphere_given[0], getattr(args, sphere_given[0][2:]),
                             f"nothing with {', '.join(data_given)}: --dim/--lmax/--precision/--dps define the sphere "
                             f"form, --data/--pool/--kappa/--method/--seed/--workers/--scheduler the data form")
    if data_given:
        return _run_data(args)
    if args.dim is None and args.lmax is None:
        from ..errors import SymrgError

        raise SymrgError("which spectrum? give --dim D --lmax L for the sphere form (e.g. --dim 5 --lmax 50), or "
                         "--data NAME --pool P --kappa K for the data form (e.g. --data digits --pool 1000 --kappa 50)")
    if args.dim is None or args.lmax is None:
        missing = "--dim" if args.dim is None else "--lmax"
        raise ParameterError(missing, "(missing)", "--dim D and --lmax L together (sphere form), or --data ... --pool P "
                             "--kappa K (data form)")
    return _run_sphere(args)


def _run_sphere(args) -> int:
    from ..spectra.funk_hecke import sphere_spectrum

    kernel = _make_kernel(args)
    spec = sphere_spectrum(kernel, args.dim, args.lmax, precision=args.precision or "fast",
                           dps=30 if args.dps is None else args.dps, allow_expensive=args.allow_expensive)
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


def _solve(X, kernel, kappa, method, memory_limit, seed, progress=None, ex=None):
    """The top-kappa spectrum as plain data; with a distributed ``ex`` the products K Q run on its workers."""
    from ..spectra.topk import topk_spectrum

    s = topk_spectrum(X, kernel, kappa, method=method, seed=seed, memory_limit=memory_limit, progress=progress,
                      executor=ex)
    return {"eigenvalues": s.eigenvalues.tolist(), "trace": s.trace, "tail_power": s.tail_power,
            "error_estimate": s.error_estimate.bound.tolist(), "error_statement": s.error_estimate.statement,
            "iterations": s.iterations}


def data_spectrum(data, kernel, pool: int, kappa: int, method: str = "auto", seed: int = 0,
                  memory_limit=None, ex=None, progress=None) -> dict:
    """The data form's JSON: the pool of :func:`symrg.data.select_pool` (as ``pool_problem`` draws
    it), then :func:`symrg.spectra.topk_spectrum` on it (docs/theory.md section 4b)."""
    from ..data import normalize_rows, resolve_dataset, select_pool
    from ..errors import ParameterError

    ds = resolve_dataset(data)
    X = normalize_rows(ds.X[select_pool(ds, pool, seed)])
    if isinstance(kappa, bool) or not isinstance(kappa, int) or not 1 <= kappa <= pool - 1:
        raise ParameterError("--kappa", kappa, f"an integer in [1, {pool - 1}] for a pool of P={pool} points "
                             "(the top kappa modes of P points leave at least one for the tail)")
    if method == "hermite":
        return _hermite_form(ds.name, X, kernel, pool, kappa, seed)
    from ..spectra.topk import choose_method, physical_memory

    reason = "chosen by the user"
    if method == "auto":
        phys = physical_memory()
        method, reason = choose_method(pool, kappa, memory_limit or (phys // 2 if phys else 8 * 2 ** 30))
    if ex is None or not ex.distributed:
        out, where = _solve(X, kernel, kappa, method, memory_limit, seed, progress), "serial"
    elif method == "exact":
        out = ex.map(_solve, [seed], X, kernel, kappa, method, memory_limit, label="spectrum")[0]
        where = "dask (the dense eigh as one task)"
    else:
        out = _solve(X, kernel, kappa, method, memory_limit, seed, progress, ex)
        where = "dask (the products K Q by row blocks on the workers)"
    import math

    return {"data": ds.name, "pool": int(pool), "seed": int(seed), "kappa": int(kappa), "kernel": kernel.describe(),
            "method": method, "method_reason": reason, "eigenvalues": out["eigenvalues"], "trace": out["trace"],
            "tail_power": out["tail_power"], "tail_power_error": float(math.fsum(out["error_estimate"])),
            "error_estimate": out["error_estimate"], "error_statement": out["error_statement"],
            "iterations": out["iterations"], "executor": where}


HERMITE_ACCURACY = (
    "an approximation without an error bound. Measured against exact top-1000 spectra of (1/P) K "
    "(benchmarks/bench_hermite.py, docs/theory.md section 4d; ReLU depth 1 and 2; median (max) relative error per "
    "eigenvalue): top mode 0.2-0.5%; MNIST (P = 5000) modes 2-1000 3-10% (max 19%); Fashion (P = 5000) modes 2-248 "
    "3-9% (max 22%), more modes refused; digits (64 pixels) modes 11-1000 19-45% (max 55%), not to be relied on. "
    "The sum of the top 100 to 0.5-2.5%. It is more accurate the larger the effective dimension of the inputs "
    "beyond the leading direction and the nearer to Gaussian they are; use --method exact or randomized for "
    "numbers to rely on")


def _hermite_form(name, X, kernel, pool, kappa, seed) -> dict:
    """The data form's JSON from :func:`symrg.spectra.hermite.hermite_spectrum` (docs/theory.md 4d)."""
    import numpy as np

    from ..spectra.hermite import hermite_spectrum

    from ..errors import ParameterError

    try:
        h = hermite_spectrum(X, kernel, kappa)
    except ParameterError as exc:
        if exc.name == "X":  # the pool's rows, as --data gave them
            raise ParameterError("--data", name, exc.valid, "use --method exact or randomized") from None
        raise
    g = h.gamma[1:]
    d_eff = float(g.sum() ** 2 / np.sum(g * g)) if g.size and np.any(g > 0) else 0.0
    return {"data": name, "pool": int(pool), "seed": int(seed), "kappa": int(kappa), "kernel": kernel.describe(),
            "method": "hermite", "method_reason": "chosen by the user", "eigenvalues": h.eigenvalues.tolist(),
            "trace": h.trace, "tail_power": h.tail_power, "degrees": [int(m[0]) for m in h.modes],
            "hermite_form": h.form, "effective_dimension": d_eff,
            "accuracy": HERMITE_ACCURACY + f"; this pool's effective dimension {d_eff:.1f}",
            "error_statement": "none: the ansatz has no error bound; see accuracy", "iterations": 0,
            "executor": "serial (no kernel matrix)"}


def _run_data(args) -> int:
    from ..errors import ParameterError
    from ..spectra.topk import physical_memory

    for flag, v in (("--data", args.data), ("--pool", args.pool), ("--kappa", args.kappa)):
        if v is None:
            raise ParameterError(flag, None, "a value: the data form needs --data, --pool and --kappa")
    if args.allow_expensive:
        limit = None
    else:
        phys = physical_memory()
        limit = min(MEMORY_LIMIT, phys // 2) if phys else MEMORY_LIMIT
    method = args.method or "auto"
    seed = 0 if args.seed is None else args.seed
    kernel = _make_kernel(args)
    flags = {"pool": "--pool", "kappa": "--kappa", "seed": "--seed", "workers": "--workers", "scheduler": "--scheduler"}
    try:
        progress = None if args.quiet else _progress("spectrum")
        with _executor(args, None if args.method == "exact" else progress) as ex:
            res = data_spectrum(args.data, kernel, args.pool, args.kappa, method, seed, limit, ex,
                                None if ex.distributed else progress)
    except ParameterError as exc:
        if exc.name == "memory_limit":
            raise ParameterError("--pool", args.pool, f"a pool and kappa whose arrays fit in the memory limit "
                                 f"({exc.valid})", "use a smaller --pool or --kappa, --method randomized, or pass "
                                 "--allow-expensive (up to half the physical memory)") from None
        raise _flag_named(exc, flags) from None
    _check_finite(res)
    if args.json:
        _print_json(res)
        return 0
    if res["method"] == "hermite":
        print(f"# {res['kernel']} on {res['data']}, pool {res['pool']} (seed {res['seed']}), top {res['kappa']} "
              f"eigenvalues by the Hermite-eigenstructure ansatz (no kernel matrix)")
        rows = [{"k": k + 1, "lambda_k": v, "degree": d} for k, (v, d) in enumerate(zip(res["eigenvalues"], res["degrees"]))]
        print(_table(rows, ["k", "lambda_k", "degree"], {"lambda_k": "{:.6e}"}))
        print(f"# trace = {res['trace']:.15g} (exact), tail power = {res['tail_power']:.6e} (from the ansatz)")
        print(f"# accuracy: {res['accuracy']}")
        return 0
    print(f"# {res['kernel']} on {res['data']}, pool {res['pool']} (seed {res['seed']}), top {res['kappa']} "
          f"eigenvalues of (1/P) K, method {res['method']} ({res['method_reason']}; {res['iterations']} passes)")
    rows = [{"k": k + 1, "lambda_k": v, "error": e}
            for k, (v, e) in enumerate(zip(res["eigenvalues"], res["error_estimate"]))]
    print(_table(rows, ["k", "lambda_k", "error"], {"lambda_k": "{:.12e}", "error": "{:.1e}"}))
    print(f"# trace = {res['trace']:.15g}, tail power = {res['tail_power']:.12e} (+- {res['tail_power_error']:.1e})")
    return 0
