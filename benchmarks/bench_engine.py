"""Derivation times of the Wilsonian engine, measured in one run; asserts nothing (no timing is tested).

1. Tensor quartic coupling over 2 kept + 2 integrated modes (tensor_2x2.toml): orders 1..3 with and
   without the diagram list, and the cache-hit speed-up ratio.
2. ``symrg derive`` as a user runs it (a fresh process, cache off): phi^3 + phi^4 (+ phi^6) with 2 kept and
   2 integrated fields (mixed_cubic_sextic.toml) at order 4 with ``--max-degree 4`` and no diagrams -- wall
   time and peak memory (targets: under 10 s and 500 MB) --, and the 0-d phi^4 toy at order 6 without
   diagrams (target: under 30 s).
3. The cumulant route against brute-force Wick enumeration (every perfect matching listed) for the same
   coefficients, as a ratio.
4. The generated flow module of the worked example against ``sympy.lambdify`` of the same beta functions,
   each as the right-hand side of ``solve_ivp``, as a ratio.

    python benchmarks/bench_engine.py
"""
from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from symrg.engine import example_path, load_action
from symrg.engine.cache import clear_memory_cache
from symrg.engine.wilson import cached_wilson_step, wilson_step


ROOT = Path(__file__).resolve().parents[1]


def cli_run(argv) -> tuple[float, float]:
    """Wall time [s] and peak resident memory [MB] of ``python -m symrg ARGV`` in a fresh process."""
    env = {**os.environ, "SYMRG_NO_CACHE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "symrg", *argv], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode:
        raise SystemExit(f"symrg {' '.join(argv)} failed: {r.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def brute_force_terms(action, order: int) -> list:
    """``T_n = (-1)^{n+1} kappa_n / n!`` with every moment ``<S_int^n>`` computed by listing each perfect matching
    of the integrated legs of each monomial of ``S_int^n`` (no Isserlis formula, no moments ring)."""
    import sympy as sp

    from symrg.engine.wick import perfect_matchings

    b = action.integrated
    G = action.propagator_map
    moments = []
    for n in range(1, order + 1):
        poly = sp.Poly(sp.expand(action.interaction ** n), *b)
        mu = 0
        for exps, coeff in poly.terms():
            legs = [i for i, e in enumerate(exps) for _ in range(e)]
            total = 0
            for matching in perfect_matchings(list(range(len(legs)))):
                w = 1
                for x, y in matching:
                    w = w * G[b[legs[x]]] if legs[x] == legs[y] else 0
                total += w
            mu += coeff * total
        moments.append(sp.expand(mu))
    kappas = []
    for n in range(1, order + 1):
        k = moments[n - 1]
        for m in range(1, n):
            k -= math.comb(n - 1, m - 1) * kappas[m - 1] * moments[n - m - 1]
        kappas.append(sp.expand(k))
    return [sp.expand((-1) ** (n + 1) * k / math.factorial(n)) for n, k in enumerate(kappas, start=1)]


def bench_targets() -> None:
    mixed, phi4 = str(example_path("mixed_cubic_sextic")), str(example_path("phi4_0d"))
    w, mb = cli_run(["derive", mixed, "--order", "4", "--max-degree", "4", "--no-diagrams", "--json"])
    print(f"phi^3+phi^4(+phi^6), 2 kept + 2 integrated, order 4, --max-degree 4, no diagrams: {w:.2f} s, "
          f"peak {mb:.0f} MB (targets 10 s, 500 MB)")
    w, mb = cli_run(["derive", mixed, "--order", "4", "--no-diagrams", "--json"])
    print(f"  the same without --max-degree: {w:.2f} s, peak {mb:.0f} MB")
    w, mb = cli_run(["derive", phi4, "--order", "6", "--json"])
    print(f"0-d phi^4, order 6, default (diagram list skipped automatically): {w:.2f} s, peak {mb:.0f} MB (target 30 s)")
    w, mb = cli_run(["derive", phi4, "--order", "6", "--max-degree", "4", "--json"])
    print(f"0-d phi^4, order 6, --max-degree 4 (the a^2 and a^4 flows): {w:.2f} s")


def bench_cumulants_vs_wick() -> None:
    import sympy as sp

    from symrg.engine.wilson import cumulant_terms

    act = load_action(example_path("phi4_0d"))
    for order in (2, 3):
        t0 = time.perf_counter()
        ours = cumulant_terms(act, order)
        t1 = time.perf_counter()
        brute = brute_force_terms(act, order)
        t2 = time.perf_counter()
        for n in range(order):
            total = sum((v * m for m, v in ours[n].items()), sp.Integer(0))
            assert sp.expand(total - brute[n]) == 0, n
        print(f"0-d phi^4 order {order}: cumulant route {t1 - t0:.4f} s, brute-force Wick enumeration {t2 - t1:.3f} s "
              f"(ratio {(t2 - t1) / (t1 - t0):.0f}x; identical coefficients)")


def bench_flow_module_vs_lambdify() -> None:
    import numpy as np
    import sympy as sp
    from scipy.integrate import solve_ivp

    from symrg._generated import ridge_quartic_flow as gen
    from symrg.engine.running import derive_flow

    flow = derive_flow(load_action(example_path("ridge_quartic_flow")))
    gs = list(flow.couplings)
    syms = gs + list(flow.parameters) + [flow.cutoff]
    lam = sp.lambdify(syms, [flow.beta[g] for g in gs], "numpy")
    p = (0.01, 0.5)

    def rhs_gen(k, y):           # the module's fused right-hand side (benchmarks/bench_codegen.py: all the rows)
        return gen.rhs(k, y, p)

    def rhs_lam(k, y):
        return lam(y[0], y[1], *p, k)

    out = {}
    for name, f in (("generated module", rhs_gen), ("lambdify", rhs_lam)):
        t0 = time.perf_counter()
        for _ in range(5):
            sol = solve_ivp(f, (1000.5, 10.5), [0.01, 1000.0], method="DOP853", rtol=1e-11, atol=1e-17)
        out[name] = ((time.perf_counter() - t0) / 5, sol.y[:, -1], sol.nfev)
    (tg, yg, nf), (tl, yl, _) = out["generated module"], out["lambdify"]
    assert np.allclose(yg, yl, rtol=1e-12)
    print(f"flow module (fused rhs) in solve_ivp ({nf} evaluations): generated {tg * 1e3:.1f} ms, lambdify "
          f"{tl * 1e3:.1f} ms (ratio generated/lambdify {tg / tl:.2f}; same result to 1e-12; solve_ivp's own overhead "
          f"per evaluation dominates: see benchmarks/bench_codegen.py for the per-call and per-mode ratios)")


def main() -> int:
    bench_targets()
    bench_cumulants_vs_wick()
    bench_flow_module_vs_lambdify()
    act = load_action(example_path("tensor_2x2"))
    print("order  coefficients[s]  with-diagrams[s]  n_diagrams")
    for order in (1, 2, 3):
        t0 = time.perf_counter()
        wilson_step(act, order, diagrams=False, use_cache=False)
        t1 = time.perf_counter()
        res = wilson_step(act, order, diagrams=True, use_cache=False)
        t2 = time.perf_counter()
        print(f"{order:5d}  {t1 - t0:15.3f}  {t2 - t1:16.3f}  {len(res.diagrams):10d}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SYMRG_CACHE_DIR"] = tmp
        os.environ.pop("SYMRG_NO_CACHE", None)
        clear_memory_cache()
        t0 = time.perf_counter()
        cached_wilson_step(act, 3, False)
        cold = time.perf_counter() - t0
        clear_memory_cache()
        t0 = time.perf_counter()
        cached_wilson_step(act, 3, False)
        disk = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached_wilson_step(act, 3, False)
        mem = time.perf_counter() - t0
    print(f"order 3 cold {cold:.3f}s, disk hit {disk:.3f}s (x{cold / disk:.1f}), "
          f"memory hit {mem * 1e6:.1f}us (x{cold / max(mem, 1e-9):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
