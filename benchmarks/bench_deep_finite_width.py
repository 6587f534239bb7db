"""Benchmark: Monte Carlo of deep finite-width networks (width 128, depth 3, 2e5 networks with their actual
N x N weight matrices) against the derived O(1/N) recursion (docs/theory.md section 6x).

Target: under 5 minutes on 2 cores (``--workers 2`` uses a local Dask cluster; the same seed gives the same
numbers serially).  Prints wall times, the Monte Carlo kurtosis with its error and the recursion's c/N, and
the ratio time(Monte Carlo) / time(recursion).  Run: ``python benchmarks/bench_deep_finite_width.py [--workers 2]``.
"""
from __future__ import annotations

import argparse
import time

from symrg._parallel import executor
from symrg.numerics.finite_width.deep import deep_kurtosis_coefficient
from symrg.numerics.finite_width.deep_montecarlo import deep_kurtosis_mc


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--draws", type=int, default=200_000)
    p.add_argument("--method", default="weights", choices=("weights", "chain"))
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    c = deep_kurtosis_coefficient("relu", 3)
    t_rec = time.perf_counter() - t0
    with executor(workers=a.workers) as ex:
        t0 = time.perf_counter()
        k, se = deep_kurtosis_mc("relu", 3, 128, a.draws, seed=0, method=a.method, executor=ex)
        t_mc = time.perf_counter() - t0
    print(f"recursion (relu, L=3): c = {c:.6g}, c/128 = {c / 128:.6g}, {t_rec * 1e3:.2f} ms")
    print(f"Monte Carlo ({a.method}, {a.draws} networks, N=128, L=3, workers={a.workers}): "
          f"{k:.5f} +- {se:.5f} in {t_mc:.1f} s (target < 300 s); ratio MC/recursion {t_mc / t_rec:.3g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
