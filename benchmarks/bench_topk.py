"""Benchmark: top-kappa spectrum plus the trace (symrg.spectra.topk) against dense eigh, Fashion-MNIST.

Part 1, at P = 5000 (first P rows of a seeded permutation of the 60000 training images, rows on the
unit sphere, depth-1 ReLU NNGP) and kappa = 100, 1000: time and peak traced memory of
``method="exact"`` (dense eigh) and of the randomized block solver in float64 and float32, their
ratios, and the accuracy against the full dense spectrum (``scipy.linalg.eigh`` of (1/P) K computed
here): max relative error of the top-kappa eigenvalues and relative error of the tail power.
Part 2, at kappa = 1000: time and memory of the randomized solver against P, the fitted exponent of
time vs P, and a projection to P = 60000 (sizes whose projected time exceeds --budget minutes are
skipped with a note).  No assertions; speeds depend on the machine and its load.

Usage: python benchmarks/bench_topk.py [--sizes 5000,10000,20000,40000,60000] [--dtype float32]
       [--budget 20] [--skip-part1] [--memory-limit-gb 16] [--threads 1]
"""
import argparse
import gzip
import math
import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.linalg

from symrg.data import normalize_rows, read_idx
from symrg.spectra import NNGPKernel, topk_spectrum
from symrg.spectra.topk import physical_memory

IMAGES = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
KERNEL = NNGPKernel("relu", 1)


def pool(P):
    raw = read_idx(IMAGES)
    order = np.random.default_rng(0).permutation(raw.shape[0])[:P]
    return normalize_rows(raw.reshape(raw.shape[0], -1)[order].astype(float))


def measured(fn):
    """(result, seconds, peak traced bytes) of ``fn()``."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, dt, peak


def gb(n):
    return n / 1e9


def part1(P, kappas, memory_limit):
    X = pool(P)
    t0 = time.perf_counter()
    w = scipy.linalg.eigh(KERNEL.gram(X, X) / P, eigvals_only=True, check_finite=False)[::-1]
    print(f"\n== Part 1: P = {P}, depth-1 ReLU NNGP, reference: full dense eigvalsh "
          f"({time.perf_counter() - t0:.1f} s)")
    print(f"{'kappa':>6} {'method':>16} {'time s':>9} {'peak GB':>8} {'passes':>6} {'t/t_exact':>9} "
          f"{'mem/exact':>9} {'max rel err':>11} {'tail rel err':>12} {'max bound/lam':>13}")
    for kappa in kappas:
        runs = [("exact", dict(method="exact")),
                ("randomized f64", dict(method="randomized")),
                ("randomized f32", dict(method="randomized", dtype=np.float32))]
        base = None
        for name, kw in runs:
            s, dt, peak = measured(lambda: topk_spectrum(X, KERNEL, kappa, memory_limit=memory_limit, **kw))
            if base is None:
                base = (dt, peak)
            rel = float(np.max(np.abs(s.eigenvalues - w[:kappa]) / w[:kappa]))
            tail = abs(s.tail_power - w[kappa:].sum()) / w[kappa:].sum()
            bound = float(np.max(s.error_estimate.bound / s.eigenvalues))
            print(f"{kappa:>6} {name:>16} {dt:9.1f} {gb(peak):8.2f} {s.iterations:>6} {dt / base[0]:9.2f} "
                  f"{peak / base[1]:9.2f} {rel:11.2e} {tail:12.2e} {bound:13.2e}", flush=True)


def design_memory(P, kappa, dtype):
    """Bytes the randomized solver plans for: working arrays + all tiles of K kept + the pool."""
    l = kappa + max(10, kappa // 5)
    n = -(-P // 2048)
    tiles = sum(min(2048, P - 2048 * i) * min(2048, P - 2048 * j) for i in range(n) for j in range(i, n))
    return 8 * 8 * P * l + 2 * 8 * P * kappa + np.dtype(dtype).itemsize * tiles + 8 * 784 * P


def k_product_seconds(stamps, n_tiles):
    """Seconds spent forming and multiplying tiles of K, from the progress time stamps.

    ``stamps`` are the times of the per-tile progress calls (the final (total, total) call removed);
    within a pass the gaps are tile times, the gap before a pass's first tile is the Rayleigh-Ritz
    step, so each pass counts (last - first) * n / (n - 1).
    """
    if n_tiles < 2:
        return float("nan")
    total = 0.0
    for a in range(0, len(stamps), n_tiles):
        chunk = stamps[a:a + n_tiles]
        if len(chunk) == n_tiles:
            total += (chunk[-1] - chunk[0]) * n_tiles / (n_tiles - 1)
    return total


def project(done, P):
    """Projected seconds at ``P`` from runs ``done = [(P, t, t_K, passes), ...]`` (>= 2 of them).

    Returns ``(t_exponent, t_components, detail)``: the power law fitted to all runs, and the
    component model from the two largest: t_K ~ P^2 (forming and multiplying K, same passes) plus
    the rest ``c0 + c1 P`` (its l^3 eigenproblems do not grow with P, its P l^2 products do).
    At small P the l^3 part dominates, so the fitted exponent says little about large P.
    """
    Ps, ts = np.array([d[0] for d in done], float), np.array([d[1] for d in done])
    b, a = np.polyfit(np.log(Ps), np.log(ts), 1)
    (P0, t0, tk0, _), (P1, t1, tk1, _) = done[-2], done[-1]
    c1 = ((t1 - tk1) - (t0 - tk0)) / (P1 - P0)
    c0 = (t1 - tk1) - c1 * P1
    if c1 < 0:                                              # noise: fall back to proportional growth
        c0, c1 = 0.0, (t1 - tk1) / P1
    k = tk1 * (P / P1) ** 2
    detail = (f"t_K ~ P^2 from P = {P1}: {k / 60:.1f} min; rest = {c0:.0f} s + {c1 * 1000:.2f} s per "
              f"1000 points")
    return math.exp(a) * P ** b, k + c0 + c1 * P, b, detail


def part2(sizes, kappa, dtype, budget_min, memory_limit):
    print(f"\n== Part 2: randomized solver, kappa = {kappa}, dtype = {np.dtype(dtype).name}, "
          f"memory_limit = {gb(memory_limit):.1f} GB")
    print("   t_K: forming and multiplying tiles of K (scales as P^2: kernel once, products every pass);")
    print("   t_RR: the rest (Rayleigh-Ritz, orthogonalisation: P l^2 and l^3 terms)")
    print(f"{'P':>7} {'time s':>9} {'t_K s':>8} {'t_RR s':>8} {'peak GB':>8} {'passes':>6} {'K kept':>6} note")
    done = []
    for P in sizes:
        if len(done) >= 2:
            t_exp, t_comp, b, _ = project(done, P)
            if max(t_exp, t_comp) > 60 * budget_min:
                print(f"{P:>7} {'-':>9} {'-':>8} {'-':>8} {'-':>8} {'-':>6} {'-':>6} skipped: projected "
                      f"{max(t_exp, t_comp) / 60:.0f} min > {budget_min:g} min")
                continue
        X = pool(P)
        keep = design_memory(P, kappa, dtype) <= memory_limit
        stamps = []
        s, dt, peak = measured(lambda: topk_spectrum(
            X, KERNEL, kappa, dtype=dtype, memory_limit=memory_limit,
            progress=lambda d, t: stamps.append(time.perf_counter())))
        n = -(-P // 2048)
        tk = k_product_seconds(stamps[:-1], n * (n + 1) // 2)
        done.append((P, dt, tk, s.iterations))
        print(f"{P:>7} {dt:9.1f} {tk:8.1f} {dt - tk:8.1f} {gb(peak):8.2f} {s.iterations:>6} "
              f"{'all' if keep else 'part':>6} trace {s.trace:.12f}, tail power {s.tail_power:.6e}", flush=True)
        del X, s
    if len(done) >= 2:
        t_exp, t60, b, detail = project(done, 60000)
        print(f"fitted time ~ P^{b:.2f}: projected P = 60000: {t_exp / 60:.1f} min")
        print(f"component projection to P = 60000 ({detail}): {t60 / 60:.1f} min")
        mem60 = design_memory(60000, kappa, dtype)
        print(f"planned memory at P = 60000 ({np.dtype(dtype).name}, all tiles of K kept): "
              f"{gb(mem60):.1f} GB (dense float64 K alone: {gb(8 * 60000 ** 2):.1f} GB)")
        verdict = "meets" if t60 < 20 * 60 and mem60 < 16e9 else "does not meet"
        print(f"target (P = 60000 in < 20 min, < 16 GB): the component projection {verdict} it here")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,10000,20000,40000,60000")
    ap.add_argument("--kappa", type=int, default=1000)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--budget", type=float, default=20.0, help="minutes per size in part 2")
    ap.add_argument("--memory-limit-gb", type=float, default=None)
    ap.add_argument("--skip-part1", action="store_true")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads (default: the library's); 1 is faster on a shared machine")
    args = ap.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=args.threads, user_api="blas")
    if not IMAGES.exists():
        raise SystemExit(f"Fashion-MNIST not found at {IMAGES} (Debian package dataset-fashion-mnist)")
    with gzip.open(IMAGES) as f:                          # fail early on a broken file
        f.read(16)
    phys = physical_memory()
    memory_limit = int(args.memory_limit_gb * 1e9) if args.memory_limit_gb else phys // 2
    print(f"machine: {os.cpu_count()} CPUs, {phys / 2 ** 30:.1f} GiB physical memory; memory_limit "
          f"{gb(memory_limit):.1f} GB; BLAS threads {args.threads or 'default'}; load average "
          f"{os.getloadavg()[0]:.1f} at start")
    if not args.skip_part1:
        part1(5000, (100, 1000), memory_limit)
    part2([int(p) for p in args.sizes.split(",")], args.kappa, np.dtype(args.dtype), args.budget, memory_limit)
    print(f"\nprocess peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
