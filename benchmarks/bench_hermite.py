"""Benchmark: the Hermite-eigenstructure spectrum against the exact top-kappa spectrum (docs/theory.md 4d).

For digits (P = 1797), MNIST (P = 5000) and Fashion-MNIST (P = 5000 by default), ReLU NNGP depth 1 and 2,
pools drawn as every ``--data`` command draws them (first P rows after a shuffle seeded by --seed,
rows on the unit sphere):

* the exact top ``--kappa`` eigenvalues of (1/P) K (dense ``eigh``, subset by index);
* the ansatz, split form (:func:`symrg.spectra.hermite.hermite_spectrum`, the default of
  ``symrg spectrum --method hermite``; modes the ansatz cannot list are left out and counted) and the
  plain form (or why it refuses);
* per band of mode indices (1, 2-10, 11-100, 101-1000) the median and max relative error
  ``|lambda_hea / lambda_exact - 1|``, and the relative error of the cumulative power
  ``sum_{k <= K} lambda_k`` at K = 10, 100, 1000.

Timing: the ansatz on the whole Fashion training split (P = 60,000) against the randomized top-kappa
solver measured in this run at P = 10,000 (float32 tiles, as bench_scale.py), and against the
randomized time at P = 60,000 recorded in reports/scale/fashion_scale.json (not re-run here: it takes
more than 11 minutes).  No assertions; times depend on the machine and its load.

Results: --out (default reports/hermite/hermite_accuracy.json), JSON with a provenance header, written
atomically; the table is printed.

Usage: PYTHONPATH=. python benchmarks/bench_hermite.py [--quick] [--kappa 1000] [--fashion-pool 5000]
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg

from symrg._io import register_in_report, write_json
from symrg.data import normalize_rows, resolve_dataset, select_pool
from symrg.errors import ParameterError
from symrg.spectra import NNGPKernel, topk_spectrum
from symrg.spectra.hermite import hermite_spectrum

BANDS = ((1, 1), (2, 10), (11, 100), (101, 1000))
SCALE_JSON = Path("reports/scale/fashion_scale.json")


def bands_table(hea, exact):
    n = min(len(hea), len(exact))
    r = np.abs(np.asarray(hea[:n]) / np.asarray(exact[:n]) - 1)
    rows = []
    for a, b in BANDS:
        if a > len(exact):
            continue
        seg = r[a - 1:min(b, n)]
        rows.append({"modes": f"{a}-{min(b, len(exact))}" if a != b else f"{a}", "listed": int(seg.size),
                     "requested": int(min(b, len(exact)) - a + 1),
                     "median_rel_error": float(np.median(seg)) if seg.size else None,
                     "max_rel_error": float(seg.max()) if seg.size else None})
    cum = []
    for K in (10, 100, 1000):
        if K <= n:
            cum.append({"K": K, "rel_error": float(abs(np.sum(hea[:K]) / np.sum(exact[:K]) - 1))})
    return rows, cum


def one_case(name, pool, depth, kappa, seed):
    ds = resolve_dataset(name)
    X = normalize_rows(ds.X[select_pool(ds, pool, seed)])
    kern = NNGPKernel("relu", depth)
    t = time.perf_counter()
    K = kern.gram(X) / pool
    ex = scipy.linalg.eigh(K, eigvals_only=True, subset_by_index=[pool - kappa, pool - 1])[::-1]
    t_exact = time.perf_counter() - t
    del K
    t = time.perf_counter()
    h = hermite_spectrum(X, kern, kappa, truncate=True)
    t_hea = time.perf_counter() - t
    rows, cum = bands_table(h.eigenvalues, ex)
    out = {"data": name, "pool": pool, "depth": depth, "kernel": kern.describe(), "kappa": kappa,
           "listed": int(len(h.eigenvalues)), "max_degree": h.max_degree, "form": h.form, "notes": h.notes,
           "seconds_exact": t_exact, "seconds_hermite": t_hea, "bands": rows, "cumulative": cum,
           "gamma_top": h.gamma[:5].tolist(), "exact_top": ex[:5].tolist(), "hermite_top": h.eigenvalues[:5].tolist()}
    try:
        hp = hermite_spectrum(X, kern, kappa, split=False, truncate=True)
        prow, pcum = bands_table(hp.eigenvalues, ex)
        out["plain"] = {"listed": int(len(hp.eigenvalues)), "bands": prow, "cumulative": pcum, "notes": hp.notes}
    except ParameterError as exc:
        out["plain"] = {"refused": str(exc)}
    return out


def timing(kappa, seed, p_small, skip_randomized):
    ds = resolve_dataset("fashion")
    X = normalize_rows(ds.X[select_pool(ds, 60000, seed)])
    kern = NNGPKernel("relu", 1)
    t = time.perf_counter()
    h = hermite_spectrum(X, kern, kappa, truncate=True)
    t60 = time.perf_counter() - t
    res = {"P": 60000, "kappa": kappa, "kernel": kern.describe(), "seconds_hermite": t60,
           "listed": int(len(h.eigenvalues))}
    if not skip_randomized:
        Xs = X[:p_small]  # the first p_small rows of the same shuffle = select_pool(ds, p_small, seed)
        t = time.perf_counter()
        topk_spectrum(Xs, kern, kappa, method="randomized", seed=seed, dtype=np.float32)
        res["randomized_P"] = p_small
        res["seconds_randomized"] = time.perf_counter() - t
        res["ratio_randomized_small_over_hermite_60000"] = res["seconds_randomized"] / t60
    if SCALE_JSON.is_file():
        rec = json.loads(SCALE_JSON.read_text())
        for r in rec.get("spectrum", {}).get("measured", []):
            if r["P"] == 60000 and rec["spectrum"].get("kappa") == kappa:
                res["recorded_randomized_60000_seconds"] = r["seconds"]
                res["recorded_source"] = f"{SCALE_JSON} (spectrum.measured, P = 60000, {rec['spectrum']['dtype']})"
                res["ratio_recorded_randomized_60000_over_hermite_60000"] = r["seconds"] / t60
    return res


def print_table(result):
    print("| data | P | depth | listed/kappa | modes | median rel. err | max rel. err |")
    print("|---|---|---|---|---|---|---|")
    for c in result["cases"]:
        for r in c["bands"]:
            med = "-" if r["median_rel_error"] is None else f"{r['median_rel_error']:.3g}"
            mx = "-" if r["max_rel_error"] is None else f"{r['max_rel_error']:.3g}"
            print(f"| {c['data']} | {c['pool']} | {c['depth']} | {c['listed']}/{c['kappa']} | {r['modes']} "
                  f"({r['listed']}/{r['requested']}) | {med} | {mx} |")
        cum = ", ".join(f"K={x['K']}: {x['rel_error']:.2g}" for x in c["cumulative"])
        print(f"|   cumulative power rel. err: {cum}; plain form: "
              f"{c['plain'].get('refused', 'listed %s' % c['plain'].get('listed'))[:120]} |")
    t = result.get("timing")
    if t:
        line = f"# P = 60000: hermite {t['seconds_hermite']:.2f} s"
        if "seconds_randomized" in t:
            line += (f"; randomized at P = {t['randomized_P']} measured now {t['seconds_randomized']:.1f} s "
                     f"(ratio {t['ratio_randomized_small_over_hermite_60000']:.0f}x)")
        if "recorded_randomized_60000_seconds" in t:
            line += (f"; randomized at P = 60000 recorded {t['recorded_randomized_60000_seconds']:.1f} s "
                     f"(ratio {t['ratio_recorded_randomized_60000_over_hermite_60000']:.0f}x, not re-run)")
        print(line)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kappa", type=int, default=1000)
    ap.add_argument("--fashion-pool", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="digits only, kappa 300, no timing")
    ap.add_argument("--skip-randomized", action="store_true", help="no randomized run at P = 10,000")
    ap.add_argument("--out", default="reports/hermite/hermite_accuracy.json")
    args = ap.parse_args(argv)
    cases = [("digits", 1797)] if args.quick else [("digits", 1797), ("mnist", 5000), ("fashion", args.fashion_pool)]
    kappa = 300 if args.quick else args.kappa
    result = {"command": " ".join(sys.argv[1:]) or "(defaults)", "seed": args.seed,
              "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
              "load_average_at_start": os.getloadavg()[0],
              "reference": "dense eigh of (1/P) K (scipy.linalg.eigh, subset by index), float64",
              "error": "|lambda_hermite / lambda_exact - 1| per mode index; cumulative: |sum_hermite / sum_exact - 1|",
              "cases": []}
    for name, pool in cases:
        for depth in (1, 2):
            c = one_case(name, pool, depth, min(kappa, pool - 1), args.seed)
            result["cases"].append(c)
            print(f"# {name} P={pool} depth {depth}: exact {c['seconds_exact']:.1f} s, hermite "
                  f"{c['seconds_hermite']:.2f} s, listed {c['listed']}/{c['kappa']}", flush=True)
    if not args.quick:
        result["timing"] = timing(args.kappa, args.seed, 10000, args.skip_randomized)
    result["load_average_at_end"] = os.getloadavg()[0]
    print_table(result)
    write_json(args.out, result, "benchmarks/bench_hermite.py")
    register_in_report(args.out)       # a file under reports/ joins its manifest: reproduce carries it
    print(f"# wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
