"""Benchmark: how accurate the Funk-Hecke paths are, whether their error estimates hold, and what
the mpmath path costs.  No assertions (the tests check the same things at a few points).

Table 1: ReLU NNGP, degrees l <= 6, depth 1..30 on S^9 (d = 10) and S^783 (d = 784), plus the
circle (d = 2) where the float path runs out of digits: the float64 path's worst relative error
against the mpmath path (the degrees that carry power, N(d,l)|lambda_l| > 1e-15 k(1)), its own
worst relative error estimate, whether the estimate bounds the error at every degree, and the path
``sphere_spectrum`` takes.  The mpmath values are confirmed 20 digits higher by the mp path
itself; they share no step with the float path.

Table 2: the precision the mpmath path chooses for ReLU depth 1 on S^783 at lmax = 40 and 200
(``--dps 30`` floor), its cost estimate and the time it took in this run.

Usage (from the repository root): PYTHONPATH=. python benchmarks/bench_spectrum_accuracy.py [--quick]
"""
import argparse
import time

import numpy as np

from symrg.spectra.funk_hecke import funk_hecke_fast, log_multiplicity, sphere_spectrum
from symrg.spectra.kernels import NNGPKernel
from symrg.spectra.mp_quadrature import funk_hecke_mp, mp_seconds, plan_dps


def accuracy_row(depth, d, lmax=6):
    k = NNGPKernel("relu", depth)
    t0 = time.perf_counter()
    res = funk_hecke_fast(k, d, lmax, check=False, with_error=True)
    t_fast = time.perf_counter() - t0
    spec = sphere_spectrum(k, d, lmax)
    if spec.precision.startswith("mp"):
        ref = spec.eigenvalues
    else:
        ref = np.array([float(x) for x in funk_hecke_mp(k, d, lmax, dps=30)])
    power = np.exp(log_multiplicity(d, np.arange(lmax + 1))) * np.abs(ref)
    m = (power > 1e-15 * k.k1) & (ref != 0)
    true = np.abs(res.eigenvalues - ref)
    rel_true = float(np.max(true[m] / np.abs(ref[m])))
    rel_est = float(np.max(res.errors[m] / np.abs(res.eigenvalues[m])))
    bounds = bool(np.all(res.errors >= true))
    zeros_ok = bool(np.all(res.eigenvalues[ref == 0] == 0))
    return rel_true, rel_est, bounds and zeros_ok, spec.precision, t_fast


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a few depths, lmax 40 only in table 2")
    args = ap.parse_args()
    depths = [1, 2, 5, 10, 20, 28, 30] if args.quick else list(range(1, 31))
    print("Table 1: float64 path against mpmath, ReLU, degrees l <= 6")
    print(f"{'d':>4} {'depth':>5} {'true rel err':>13} {'estimate':>10} {'bounds':>7} {'fast s':>7}  path")
    for d, ds in [(10, depths), (784, depths), (2, [1, 10, 20, 30, 40])]:
        for L in ds:
            rt, re_, ok, path, tf = accuracy_row(L, d)
            print(f"{d:>4} {L:>5} {rt:13.2e} {re_:10.2e} {str(ok):>7} {tf:7.2f}  {path}", flush=True)
    print("\nTable 2: mpmath path, ReLU depth 1 on S^783, dps floor 30")
    print(f"{'lmax':>5} {'plan dps':>8} {'confirm':>8} {'estimate s':>10} {'took s':>8} {'sum-rule residual':>18}")
    k = NNGPKernel("relu", 1)
    for lmax in ([40] if args.quick else [40, 200]):
        p = plan_dps(k, 784, lmax, 30)
        est = mp_seconds(k, 784, lmax, p)
        t0 = time.perf_counter()
        spec = sphere_spectrum(k, 784, lmax, precision="mp", dps=30)
        took = time.perf_counter() - t0
        print(f"{lmax:>5} {spec.meta['dps']:>8} {spec.meta['dps_confirm']:>8} {est:10.1f} {took:8.1f} "
              f"{spec.sum_rule_residual():18.3e}", flush=True)


if __name__ == "__main__":
    main()
