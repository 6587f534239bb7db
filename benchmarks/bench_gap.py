"""``symrg gap`` on a 4000-point pool (n up to 800, 16 trials) and the non-Gaussian prediction per curve.

    OMP_NUM_THREADS=1 python benchmarks/bench_gap.py [--data fashion] [--pool 4000] [--trials 16] [--ns 25,...,800]

1. The whole ``symrg gap`` computation (``symrg.studies.gap.gap_curve``: pool kernel, its full
   eigendecomposition, the trials of every curve, the theory with its 2-kappa check), split into
   its parts.
2. The non-Gaussian prediction alone once the pool spectrum exists (``nongaussian_curve`` without
   and with the 2-kappa check), per curve of ``len(ns)`` sizes.

Prints wall times and the ratio theory / simulation measured in this run (docs/theory.md section 5a).
No assertions.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="symrg gap timing")
    p.add_argument("--data", default="fashion")
    p.add_argument("--target-class", type=int, default=9)
    p.add_argument("--pool", type=int, default=4000)
    p.add_argument("--trials", type=int, default=16)
    p.add_argument("--ns", default="25,50,100,200,400,800")
    a = p.parse_args(argv)

    from symrg._parallel import Executor
    from symrg.numerics.simulate import trial_seeds
    from symrg.spectra.kernels import NNGPKernel
    from symrg.studies.gap import gap_problem, gap_trial, nongaussian_curve, pool_modes

    ns = [int(x) for x in a.ns.split(",")]
    kernel = NNGPKernel("relu", 1)
    t0 = time.perf_counter()
    prob = gap_problem(a.data, a.pool, 0, None, target_class=a.target_class)
    t1 = time.perf_counter()
    K = kernel.gram(prob.X_pool)
    Kt = kernel.gram(prob.X_test, prob.X_pool)
    lam, phi, coef = pool_modes(K, prob.Y_pool)
    t2 = time.perf_counter()
    Executor().map(gap_trial, trial_seeds(1, a.trials), K, Kt, prob.Y_pool, prob.Y_test, lam, phi, coef,
                   prob.groups, 1e-3, ns)
    t3 = time.perf_counter()
    nongaussian_curve(lam, phi, coef, prob.groups, 1e-3, ns, check_kappa=False)
    t4 = time.perf_counter()
    rows = nongaussian_curve(lam, phi, coef, prob.groups, 1e-3, ns, check_kappa=True)
    t5 = time.perf_counter()
    print(f"# {a.data} class {a.target_class}, pool {a.pool}, ns {ns}, {a.trials} trials")
    print(f"load + pool/held-out:          {t1 - t0:8.2f} s")
    print(f"kernel + eigendecomposition:   {t2 - t1:8.2f} s")
    print(f"trials (all surrogates):       {t3 - t2:8.2f} s")
    print(f"theory per curve:              {t4 - t3:8.2f} s   (kappa = {[r['kappa_theory'] for r in rows]})")
    print(f"theory + 2-kappa check:        {t5 - t4:8.2f} s")
    print(f"symrg gap total (sum):         {t2 - t0 + t3 - t2 + t5 - t4:8.2f} s")
    print(f"ratio theory / trials:         {(t4 - t3) / (t3 - t2):8.3f}")
    print(f"kappa sensitivity:             {np.round([r['kappa_sensitivity'] for r in rows], 4).tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
