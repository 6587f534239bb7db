"""Generated NumPy module against ``sympy.lambdify`` of the same derived expressions.

    python benchmarks/bench_codegen.py [--n-kappa 1000000] [--n-modes 10000] [--repeat 3]

1. ``sigma2_powerlaw`` on ``n_kappa`` cutoffs: generated module vs ``lambdify(..., ["scipy", "numpy"])``
   of ``derive_gaussian_flow().sigma2_powerlaw`` (both end in ``scipy.special.zeta``, so a ratio
   near 1 is expected: the point is that the generated file is not slower).
2. ``sigma2_tail`` on an ``n_modes`` spectrum, every cutoff 0..n_modes: generated reversed cumsum vs
   ``lambdify`` of the derived ``sigma2 + Sum(lambda(k), (k, kappa+1, oo))`` with ``lambda(k)`` as an
   array ``lam[k-1]`` and the upper limit set to ``n_modes`` (lambdify cannot print ``oo`` here);
   lambdify prints the Sum as a Python generator, called once per cutoff (O(n_modes^2)).

Prints best-of-``repeat`` wall times and the ratios measured in this run. No assertions.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import sympy as sp


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="generated NumPy code vs sympy.lambdify")
    p.add_argument("--n-kappa", type=int, default=1_000_000)
    p.add_argument("--n-modes", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)

    from symrg.codegen import load_generated
    from symrg.theory import derive_gaussian_flow
    from symrg.theory.gaussian import A, ALPHA, K, KAPPA, SIGMA2

    d = derive_gaussian_flow()
    gen = load_generated("gaussian_flow")

    # 1. power law on many cutoffs
    kappa = np.arange(a.n_kappa, dtype=float)
    lam_pl = sp.lambdify((SIGMA2, A, ALPHA, KAPPA), d.sigma2_powerlaw, modules=["scipy", "numpy"])
    r_gen = gen.sigma2_powerlaw(0.01, 1.0, 0.5, kappa)
    r_lam = lam_pl(0.01, 1.0, 0.5, kappa)
    agree1 = float(np.max(np.abs(r_gen - r_lam) / np.abs(r_lam)))
    t_gen = _best(lambda: gen.sigma2_powerlaw(0.01, 1.0, 0.5, kappa), a.repeat)
    t_lam = _best(lambda: lam_pl(0.01, 1.0, 0.5, kappa), a.repeat)
    print(f"sigma2_powerlaw, {a.n_kappa} cutoffs: generated {t_gen * 1e3:.1f} ms, lambdify {t_lam * 1e3:.1f} ms, "
          f"ratio lambdify/generated = {t_lam / t_gen:.2f}, max rel. difference {agree1:.1e}")

    # 2. tails of a spectrum at every cutoff
    n = a.n_modes
    lam = np.arange(1, n + 1, dtype=float) ** -1.5
    arr = sp.IndexedBase("lam")
    expr = d.sigma2_kappa.replace(lambda e: isinstance(e, sp.Sum),
                                  lambda s: sp.Sum(arr[K - 1], (K, s.limits[0][1], n)))
    tail_lam = sp.lambdify((SIGMA2, arr, KAPPA), expr, modules=["numpy"])
    lam_list = lam  # numpy array indexing inside the generator
    r_gen = gen.sigma2_tail(0.01, lam)
    t_gen = _best(lambda: gen.sigma2_tail(0.01, lam), a.repeat)
    t0 = time.perf_counter()
    r_lam = np.array([tail_lam(0.01, lam_list, kap) for kap in range(n + 1)])
    t_lam = time.perf_counter() - t0  # one run: O(n^2) Python loop
    agree2 = float(np.max(np.abs(r_gen - r_lam) / np.abs(r_lam)))
    print(f"sigma2_tail, {n} modes: generated {t_gen * 1e3:.3f} ms, lambdify (one run) {t_lam:.2f} s, "
          f"ratio lambdify/generated = {t_lam / t_gen:.0f}, max rel. difference {agree2:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
