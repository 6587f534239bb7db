"""Benchmark: the RG at real scale on Fashion-MNIST (docs/theory.md sections 4b and 4c).

Three parts, all on the Fashion-MNIST training split (60,000 images, the Debian package
dataset-fashion-mnist), pools drawn as every ``--data`` command draws them (first P rows after a
shuffle seeded by --seed, rows on the unit sphere), depth-1 ReLU NNGP unless --depth:

1. spectrum: time and peak traced memory of ``topk_spectrum`` (randomized, --dtype) against P for
   --sizes at --kappa, the fitted exponent of time vs P, and projected times for the sizes above
   --max-p (power law over the measured sizes, and the P^2 component model of bench_topk.py);
2. compare: randomized against dense ``eigh`` (method="exact") at --compare-p: time ratio and the
   accuracy of the top-kappa eigenvalues and of the tail power, against a dense eigvalsh reference;
3. curve: the exact-GP learning curve with held-out test error (the official test split) up to
   --max-n, and the paper's exponent claim: the slope predicted from the pool spectrum
   (``symrg.studies.scaling.scaling_study`` on the top-kappa route) against the measured one.

Results go to --out (JSON with a provenance header, written atomically; default
reports/scale/fashion_scale.json), which ``symrg reproduce`` renders in its "scale" section.  No
assertions; speeds depend on the machine and its load.

Usage: python benchmarks/bench_scale.py [--max-p 60000] [--max-n 20000] [--skip-compare] ...
The full run (--max-p 60000 --max-n 20000) takes hours on 2 cores; see "projected" in the output.
"""
import argparse
import hashlib
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_topk import k_product_seconds, measured, project  # noqa: E402

from symrg._io import write_json  # noqa: E402
from symrg.data import normalize_rows, resolve_dataset, select_pool  # noqa: E402
from symrg.spectra import NNGPKernel, topk_spectrum  # noqa: E402
from symrg.spectra.topk import physical_memory  # noqa: E402

DEFAULT_OUT = "reports/scale/fashion_scale.json"


# spectra measured by part_spectrum, reused by part_curve when it needs the same pool, kappa, seed and
# dtype (the P = 60,000 decomposition is the same computation both times; the curve's "seconds" then
# leave it out, and say so)
_SPECTRA: dict = {}


def _fingerprint(X):
    return hashlib.blake2b(np.ascontiguousarray(X, dtype=np.float64).tobytes(), digest_size=16).hexdigest()


def _reusing_topk(real):
    def topk(X, kernel, kappa, *, seed=0, dtype=np.float64, **kw):
        hit = _SPECTRA.get((X.shape[0], kappa, seed, np.dtype(dtype).name))
        if hit is not None and kw.get("method", "randomized") == "randomized" and hit[0] == _fingerprint(X):
            return hit[1]
        return real(X, kernel, kappa, seed=seed, dtype=dtype, **kw)
    return topk


def pool(ds, P, seed):
    return normalize_rows(ds.X[select_pool(ds, P, seed)])


def part_spectrum(ds, kernel, sizes, max_p, kappa, dtype, seed, memory_limit, log):
    rows, done = [], []
    for P in sizes:
        if P > max_p:
            continue
        X = pool(ds, P, seed)
        stamps = []
        s, dt, peak = measured(lambda: topk_spectrum(X, kernel, kappa, seed=seed, dtype=dtype, memory_limit=memory_limit,
                                                     progress=lambda d, t: stamps.append(time.perf_counter())))
        _SPECTRA.clear()                                  # keep the largest only (the curve uses it)
        _SPECTRA[(P, kappa, seed, np.dtype(dtype).name)] = (_fingerprint(X), s)
        n = -(-P // 2048)
        tk = k_product_seconds(stamps[:-1], n * (n + 1) // 2)
        done.append((P, dt, tk, s.iterations))
        rows.append({"P": P, "seconds": dt, "kernel_product_seconds": tk, "peak_bytes": peak, "passes": s.iterations,
                     "trace": s.trace, "tail_power": s.tail_power,
                     "max_relative_bound": float(np.max(s.error_estimate.bound / s.eigenvalues))})
        log(f"spectrum P={P}: {dt:.1f} s (K products {tk:.1f} s), peak {peak / 1e9:.2f} GB, {s.iterations} passes, "
            f"tail power {s.tail_power:.6e}")
        del X, s
    out = {"kappa": kappa, "dtype": np.dtype(dtype).name, "measured": rows, "projected": []}
    if len(done) >= 2:
        b = float(np.polyfit(np.log([d[0] for d in done]), np.log([d[1] for d in done]), 1)[0])
        bm = float(np.polyfit(np.log([d[0] for d in done]), np.log([r["peak_bytes"] for r in rows]), 1)[0])
        out["time_exponent"], out["memory_exponent"] = b, bm
        for P in sizes:
            if P > max_p:
                t_pow, t_comp, _, detail = project(done, P)
                out["projected"].append({"P": P, "seconds_power_law": t_pow, "seconds_component_model": t_comp,
                                         "detail": detail})
                log(f"spectrum P={P}: projected {t_pow / 60:.1f} min (power law P^{b:.2f}), "
                    f"{t_comp / 60:.1f} min (component model)")
    return out


def part_compare(ds, kernel, P, kappas, seed, memory_limit, log):
    X = pool(ds, P, seed)
    t0 = time.perf_counter()
    w = scipy.linalg.eigh(kernel.gram(X, X) / P, eigvals_only=True, check_finite=False)[::-1]
    ref_s = time.perf_counter() - t0
    out = {"P": P, "reference": "scipy.linalg.eigh(eigvals_only) of (1/P) K", "reference_seconds": ref_s, "rows": []}
    for kappa in kappas:
        res = {}
        for method in ("exact", "randomized"):
            s, dt, peak = measured(lambda: topk_spectrum(X, kernel, kappa, method=method, seed=seed,
                                                         memory_limit=memory_limit))
            res[method] = {"seconds": dt, "peak_bytes": peak, "passes": s.iterations,
                           "max_relative_error": float(np.max(np.abs(s.eigenvalues - w[:kappa]) / w[:kappa])),
                           "tail_relative_error": abs(s.tail_power - float(np.sum(w[kappa:]))) / float(np.sum(w[kappa:]))}
        row = {"kappa": kappa, **{f"{m}_{k}": v for m, r in res.items() for k, v in r.items()},
               "time_ratio_randomized_over_exact": res["randomized"]["seconds"] / res["exact"]["seconds"],
               "memory_ratio_randomized_over_exact": res["randomized"]["peak_bytes"] / res["exact"]["peak_bytes"]}
        out["rows"].append(row)
        log(f"compare P={P} kappa={kappa}: randomized/exact time {row['time_ratio_randomized_over_exact']:.2f}, "
            f"memory {row['memory_ratio_randomized_over_exact']:.2f}; max rel err randomized "
            f"{row['randomized_max_relative_error']:.1e} (exact {row['exact_max_relative_error']:.1e}), tail rel err "
            f"{row['randomized_tail_relative_error']:.1e}")
    return out


def part_curve(data, kernel, pool_size, kappa, ns, trials, ridge, seed, target_class, log):
    import symrg.spectra.topk as topk_module
    from symrg.studies.scaling import scaling_study

    reused = any(k[0] == pool_size and k[1] == kappa and k[2] == seed for k in _SPECTRA)
    real = topk_module.topk_spectrum
    topk_module.topk_spectrum = _reusing_topk(real)
    t0 = time.perf_counter()
    # the exponents are fitted on the listed modes: the IR stop at large n lies beyond the top kappa, so
    # the power law fitted on [kappa/10, kappa] is extrapolated there (recorded as fit_window_rule)
    window = (max(1, kappa // 10), kappa)
    res = scaling_study(data, kernel, ridge, ns, pool_size, trials=trials, seed=seed, target_class=target_class,
                        kappa=kappa, fit_window=window)
    dt = time.perf_counter() - t0
    topk_module.topk_spectrum = real
    keep = ("dataset", "target", "kernel", "pool", "ridge", "ns", "trials", "seed", "fit_window", "alpha", "alpha_ci",
            "beta", "beta_ci", "gamma", "predicted_slope", "predicted_slope_ci", "measured_slope", "measured_slope_ci",
            "consistent", "theory_slopes_full_spectrum", "rows")
    out = {k: res[k] for k in keep}
    out.update({"kappa": kappa, "seconds": dt, "spectrum_reused_from_spectrum_part": reused, "fit_window_rule": "the listed modes [kappa/10, kappa]; the power "
                "law is extrapolated to the IR stops beyond kappa"})
    log(f"curve pool={pool_size} n<={max(ns)}: predicted slope {res['predicted_slope']:.3f} "
        f"{[round(x, 3) for x in res['predicted_slope_ci']]}, measured {res['measured_slope']:.3f} "
        f"{[round(x, 3) for x in res['measured_slope_ci']]}, consistent {res['consistent']} ({dt:.0f} s)")
    return out


def curve_projection(measured_seconds, ns, n_target, trials):
    """Seconds of a trial is dominated by the Cholesky of n_max (n^3/3) and the n_max^2 kernel: scale
    the measured study time by (n_target/n_max)^3 (an upper estimate)."""
    return measured_seconds * (n_target / max(ns)) ** 3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,10000,20000,40000,60000")
    ap.add_argument("--max-p", type=int, default=60000, help="largest pool measured; larger sizes are projected")
    ap.add_argument("--kappa", type=int, default=1000)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--compare-p", type=int, default=5000)
    ap.add_argument("--compare-kappas", default="100,1000")
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--skip-spectrum", action="store_true")
    ap.add_argument("--skip-curve", action="store_true")
    ap.add_argument("--max-n", type=int, default=20000, help="largest training-set size of the learning curve")
    ap.add_argument("--curve-pool", type=int, default=None,
                    help="pool of the learning curve (default: min(60000, --max-p, 3 * max-n))")
    ap.add_argument("--curve-kappa", type=int, default=None, help="modes listed on the curve's pool (default --kappa)")
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--ridge", type=float, default=1e-3)
    ap.add_argument("--target-class", type=int, default=0)
    ap.add_argument("--depth", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--memory-limit-gb", type=float, default=None)
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the library's)")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=args.threads, user_api="blas")
    ds = resolve_dataset("fashion")
    kernel = NNGPKernel("relu", args.depth)
    phys = physical_memory()
    memory_limit = int(args.memory_limit_gb * 1e9) if args.memory_limit_gb else phys // 2
    t_start = time.perf_counter()

    def log(msg):
        print(f"[{time.perf_counter() - t_start:7.0f} s] {msg}", flush=True)

    result = {"dataset": ds.name, "kernel": kernel.describe(), "seed": args.seed,
              "machine": {"cpus": os.cpu_count(), "physical_memory_bytes": phys, "memory_limit_bytes": memory_limit,
                          "load_average_at_start": os.getloadavg()[0], "blas_threads": args.threads},
              "command": " ".join(sys.argv[1:])}
    sizes = [int(p) for p in args.sizes.split(",")]

    def save(final=False):
        result["total_seconds"] = time.perf_counter() - t_start
        result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        result["complete"] = final
        return write_json(args.out, result, "benchmarks/bench_scale.py")

    if not args.skip_spectrum:
        result["spectrum"] = part_spectrum(ds, kernel, sizes, args.max_p, args.kappa, np.dtype(args.dtype), args.seed,
                                           memory_limit, log)
        save()
    if not args.skip_compare:
        result["compare"] = part_compare(ds, kernel, args.compare_p, [int(k) for k in args.compare_kappas.split(",")],
                                         args.seed, memory_limit, log)
        save()
    if not args.skip_curve:
        pool_size = args.curve_pool or min(60000, args.max_p, 3 * args.max_n)
        ns = [int(n) for n in np.unique(np.round(np.geomspace(100, args.max_n, 7)))]
        kappa = args.curve_kappa or min(args.kappa, pool_size // 4)
        result["curve"] = part_curve("fashion", kernel, pool_size, kappa, ns, args.trials, args.ridge, args.seed,
                                     args.target_class, log)
        if args.max_n < 20000:
            result["curve"]["projected_seconds_n20000"] = curve_projection(result["curve"]["seconds"], ns, 20000,
                                                                           args.trials)
    path = save(final=True)
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
