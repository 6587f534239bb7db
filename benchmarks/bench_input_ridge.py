"""Benchmark: generated input-ridge code vs sympy.lambdify and a hand-written numpy.einsum.

10^4 inputs x 10^3 greater modes, m kept features (default 32: full c4 over all m^2 pairs costs
n_greater m^2 = 1e6 entries).  Reports the ratio (other time / generated time) for
``sigma2_x`` (full c4) and ``sigma2_x_diag``; ratios, not absolute timings, are the result.
Two hand-written einsums: "einsum" builds E[phi_k^2|phi_<(x_i)] over (inputs, modes) and then
sums with lam (the formula as typed); "einsum_lam_inside" puts lam into each einsum call, so
NumPy's path optimiser can contract the greater-mode index first, as the generated code does.
lambdify prints the Sum nodes as Python loops; it is timed on 5 inputs and extrapolated.

    python benchmarks/bench_input_ridge.py [--inputs 10000] [--modes 1000] [--m 32] [--repeat 3]
"""
from __future__ import annotations

import argparse
import importlib
import json
import time

import numpy as np


def _best(f, repeat):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=10_000)
    ap.add_argument("--modes", type=int, default=1_000)
    ap.add_argument("--m", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass
    import sympy as sp
    from symrg.theory import feature_cumulants as fc

    g = importlib.import_module("symrg._generated.input_ridge")
    rng = np.random.default_rng(0)
    n, K, m = args.inputs, args.modes, args.m
    lam = np.sort(rng.random(K))[::-1] / np.arange(1, K + 1)
    phi = rng.standard_normal((n, m))
    c3 = 0.1 * rng.standard_normal((K, m))
    c4 = 0.05 * rng.standard_normal((K, m, m))
    c4 = (c4 + c4.transpose(0, 2, 1)) / 2
    c4d = np.einsum("kqq->kq", c4).copy()
    s2 = 0.01

    # hand-written einsum of the same formula, as one would type it
    def einsum_full():
        E = 1 + np.einsum("kq,iq->ik", c3, phi) + 0.5 * (np.einsum("kqr,iq,ir->ik", c4, phi, phi, optimize=True)
                                                         - np.einsum("kqq->k", c4))
        return s2 + E @ lam

    def einsum_diag():
        E = 1 + np.einsum("kq,iq->ik", c3, phi) + 0.5 * (np.einsum("kq,iq->ik", c4d, phi * phi) - c4d.sum(1))
        return s2 + E @ lam

    # the same formula in single einsum calls that include lam (einsum's optimiser picks the order)
    def einsum1_full():
        return (s2 + lam.sum() + np.einsum("k,kq,iq->i", lam, c3, phi, optimize=True)
                + 0.5 * (np.einsum("k,kqr,iq,ir->i", lam, c4, phi, phi, optimize=True) - np.einsum("k,kqq->", lam, c4)))

    def einsum1_diag():
        return (s2 + lam.sum() + np.einsum("k,kq,iq->i", lam, c3, phi, optimize=True)
                + 0.5 * (np.einsum("k,kq,iq,iq->i", lam, c4d, phi, phi, optimize=True) - np.einsum("k,kq->", lam, c4d)))

    # sympy.lambdify of the same derived Indexed/Sum expression (its own NumPy printer)
    d = fc.derive_input_ridge(edgeworth2=False)
    subs = {fc.N_GT: K, fc.N_KEPT: m}
    syms = sp.symbols("sigma2 lam phi c3 c4 c4d")
    repl = {fc.SIGMA2: syms[0], fc.LAM: sp.IndexedBase(syms[1]), fc.PHI: sp.IndexedBase(syms[2]),
            fc.C3: sp.IndexedBase(syms[3]), fc.C4: sp.IndexedBase(syms[4]), fc.C4D: sp.IndexedBase(syms[5])}
    t0 = time.perf_counter()
    lam_full = sp.lambdify([syms[0], syms[1], syms[2], syms[3], syms[4], fc.I_],
                           d.sigma2_x.subs(subs).xreplace(repl), "numpy")
    lam_diag = sp.lambdify([syms[0], syms[1], syms[2], syms[3], syms[5], fc.I_],
                           d.sigma2_x_diag.subs(subs).xreplace(repl), "numpy")
    t_lambdify_build = time.perf_counter() - t0
    # lambdify prints Sum over Indexed as Python generator sums: evaluate per input on a subset
    n_sub = min(n, 5)

    def lambdified(fn, c4arg):
        return np.array([fn(s2, lam, phi, c3, c4arg, i) for i in range(n_sub)])

    ref = g.sigma2_x(s2, lam, phi, c3, c4)
    refd = g.sigma2_x_diag(s2, lam, phi, c3, c4d)
    assert np.allclose(einsum_full(), ref, rtol=1e-10) and np.allclose(einsum_diag(), refd, rtol=1e-10)
    assert np.allclose(lambdified(lam_full, c4), ref[:n_sub], rtol=1e-10)
    assert np.allclose(lambdified(lam_diag, c4d), refd[:n_sub], rtol=1e-10)

    out = {"n_inputs": n, "n_greater": K, "m": m}
    assert np.allclose(einsum1_full(), ref, rtol=1e-10) and np.allclose(einsum1_diag(), refd, rtol=1e-10)
    for name, gen, ein, ein1, lmb, c4arg in (
            ("sigma2_x", lambda: g.sigma2_x(s2, lam, phi, c3, c4), einsum_full, einsum1_full, lam_full, c4),
            ("sigma2_x_diag", lambda: g.sigma2_x_diag(s2, lam, phi, c3, c4d), einsum_diag, einsum1_diag, lam_diag, c4d)):
        t_gen = _best(gen, args.repeat)
        t_ein = _best(ein, 1)
        t_ein1 = _best(ein1, args.repeat)
        t_lmb = _best(lambda: lambdified(lmb, c4arg), 1) * (n / n_sub)     # extrapolated to all inputs
        out[name] = {"generated_s": t_gen, "einsum_s": t_ein, "einsum_lam_inside_s": t_ein1,
                     "lambdify_s_extrapolated": t_lmb, "ratio_einsum_over_generated": t_ein / t_gen,
                     "ratio_einsum_lam_inside_over_generated": t_ein1 / t_gen, "ratio_lambdify_over_generated": t_lmb / t_gen}
    out["lambdify_build_s"] = t_lambdify_build
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
