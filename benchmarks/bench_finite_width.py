"""Ratio benchmark: Monte Carlo ground truth (networks/s) against the O(1/N) prediction.

Prints the Monte Carlo throughput (networks of N hidden units per second) for a few widths and the
cost ratio ``time(Monte Carlo, 2e4 draws) / time(1/N coefficient, 2e5 unit samples)``.  Run:
``python benchmarks/bench_finite_width.py`` (single BLAS thread recommended).
"""
from __future__ import annotations

import time

from symrg.numerics.finite_width import monte_carlo_posterior, one_over_n_coefficient
from symrg.numerics.finite_width.posterior import _sphere_problem


def main() -> int:
    X, y, Xt = _sphere_problem(5, 16, 8, 0)
    t0 = time.perf_counter()
    one_over_n_coefficient("relu", X, y, Xt, 0.1, n_samples=200_000)
    t_pred = time.perf_counter() - t0
    print(f"1/N coefficient (2e5 unit samples, width-independent): {t_pred:.2f} s")
    for N in (8, 32, 128):
        t0 = time.perf_counter()
        monte_carlo_posterior("relu", X, y, Xt, N, 0.1, n_draws=20_000, seed=0)
        dt = time.perf_counter() - t0
        print(f"N={N:4d}: {20_000 / dt:9.0f} networks/s; MC(2e4 draws) / prediction cost ratio {dt / t_pred:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
