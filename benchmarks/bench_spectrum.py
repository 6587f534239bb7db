"""Benchmark: fast (float64 sign-definite series) against mpmath (tanh-sinh) Funk-Hecke spectra.

Prints, for a few (kernel, d, lmax), the time of each path measured in this run, their ratio and
the worst relative disagreement over the degrees that carry power.  No assertions.
Usage: python benchmarks/bench_spectrum.py [--quick]
"""
import argparse
import math
import time

import numpy as np

from symrg.spectra.funk_hecke import funk_hecke_fast, funk_hecke_mp, log_multiplicity
from symrg.spectra.kernels import NNGPKernel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    cases = [("relu", 1, 3, 30), ("relu", 3, 10, 30)] if args.quick else \
        [("relu", 1, 3, 60), ("relu", 3, 10, 60), ("step", 2, 2, 60), ("erf", 2, 50, 40)]
    print(f"{'kernel':>8} {'depth':>5} {'d':>5} {'lmax':>5} {'fast s':>9} {'mp s':>9} {'mp/fast':>9} {'worst rel':>10}")
    for act, L, d, lmax in cases:
        k = NNGPKernel(act, L)
        t0 = time.perf_counter()
        fast = funk_hecke_fast(k, d, lmax)
        t1 = time.perf_counter()
        smallest = np.abs(fast[fast != 0]).min()
        dps = int(25 + max(0.0, -math.log10(smallest)))
        mp = np.array([float(x) for x in funk_hecke_mp(k, d, lmax, dps=dps)])
        t2 = time.perf_counter()
        power = np.exp(log_multiplicity(d, np.arange(lmax + 1))) * np.abs(mp)
        m = power > 1e-16 * k.k1
        worst = float(np.max(np.abs(fast - mp)[m] / np.abs(mp[m])))
        print(f"{act:>8} {L:>5} {d:>5} {lmax:>5} {t1 - t0:9.3f} {t2 - t1:9.2f} {(t2 - t1) / (t1 - t0):9.0f} {worst:10.2e}")


if __name__ == "__main__":
    main()
