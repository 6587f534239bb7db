"""Generated NumPy module against ``sympy.lambdify`` of the same derived expressions.

    python benchmarks/bench_codegen.py [--n-kappa 1000000] [--n-modes 10000] [--repeat 3]

1. ``sigma2_powerlaw`` on ``n_kappa`` cutoffs: generated module vs ``lambdify(..., ["scipy", "numpy"])``
   of ``derive_gaussian_flow().sigma2_powerlaw`` (both end in ``scipy.special.zeta``, so a ratio
   near 1 is expected: the point is that the generated file is not slower).
2. ``sigma2_tail`` on an ``n_modes`` spectrum, every cutoff 0..n_modes: generated reversed cumsum vs
   ``lambdify`` of the derived ``sigma2 + Sum(lambda(k), (k, kappa+1, oo))`` with ``lambda(k)`` as an
   array ``lam[k-1]`` and the upper limit set to ``n_modes`` (lambdify cannot print ``oo`` here);
   lambdify prints the Sum as a Python generator, called once per cutoff (O(n_modes^2)).

3. The fused right-hand side ``rhs(kappa, y, params)`` of a generated flow module (plain floats, common
   subexpressions shared) against ``lambdify`` of the same derived beta functions, for the worked example
   (ridge_quartic_flow, 2 couplings) and a derived flow of 5 running couplings (the potential to degree 6):
   per call; inside ``solve_ivp`` (DOP853, the continuum 1000 -> 10, the same solver for both); the continuum
   path of ``symrg.solve`` (two runs, the error estimate) against one lambdify run and against the same two runs
   with lambdify (equal work); and over the
   discrete modes 11..1000 (the default of ``symrg.solve``: ``integrate_flow`` with the fused rhs, one DOP853
   integrator re-started per mode, against one ``solve_ivp`` per mode with the lambdified right-hand side, and
   against ``integrate_flow`` calling the beta functions one by one, the path of a module without ``rhs``); and
   the implicit BDF and Radau with and without the generated Jacobian ``jac``.

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

    # 3. the fused right-hand side in a solver
    import tempfile
    from pathlib import Path

    from symrg._generated import ridge_quartic_flow
    from symrg.api import lower
    from symrg.engine import example_path, load_action
    from symrg.engine.running import derive_flow

    with tempfile.TemporaryDirectory() as tmp:
        five = five_couplings()
        systems = [("worked example, 2 couplings", derive_flow(load_action(example_path("ridge_quartic_flow"))),
                    ridge_quartic_flow, {"sigma2": 0.01, "u": 1000.0}),
                   ("derived flow, 5 couplings", five, lower(five, Path(tmp), name="bench_five_flow"),
                    {"sigma2": 0.01, "g3": 1.0, "u": 100.0, "g5": 0.0, "w": 0.0})]
        for label, flow, mod, init in systems:
            solver_rows(label, flow, mod, init, a.repeat)
    return 0


def five_couplings():
    """The flow of (sigma2, g3, u, g5, w) of the potential to degree 6 over lambda_k = A k^-(1+alpha), derived."""
    from symrg.engine import make_action
    from symrg.engine.running import derive_flow

    a, b = sp.symbols("a b")
    s2 = sp.Symbol("sigma2", positive=True)
    g3, u, g5, w = sp.symbols("g3 u g5 w", real=True)
    A, al = sp.symbols("A alpha", positive=True)
    act = make_action([a], {b: "A*k**(-1-alpha)"},
                      "(a + b)**2/(2*sigma2) + g3/6*(a + b)**3 + u/24*(a + b)**4 + g5/120*(a + b)**5 + w/720*(a + b)**6",
                      parameters=[s2, g3, u, g5, w, A, al],
                      running={s2: "a**2", g3: "a**3", u: "a**4", g5: "a**5", w: "a**6"})
    return derive_flow(act)


def solver_rows(label, flow, mod, init, repeat):
    """Per call, inside solve_ivp (continuum) and over the discrete modes: fused rhs vs lambdify (module doc)."""
    import timeit

    from scipy.integrate import solve_ivp

    from symrg.numerics.running import integrate_flow

    gs = list(flow.couplings)
    syms = gs + list(flow.parameters) + [flow.cutoff]
    lam = sp.lambdify(syms, [flow.beta[g] for g in gs], "numpy")
    p = (0.01, 0.5)                                    # (A, alpha)
    y0 = np.array([init[str(g)] for g in gs])
    betas = [getattr(mod, f"beta_{g}") for g in mod.COUPLINGS]

    def rhs_lam(k, y):
        return lam(*y, *p, k)

    def rhs_per(k, y):                                 # the beta functions one by one (the former path)
        return [float(b(*y, *p, k)) for b in betas]

    y, k = y0.copy(), 37.5
    n = 20000
    call = {name: min(timeit.repeat(f, number=n, repeat=repeat)) / n for name, f in (
        ("fused", lambda: mod.rhs(k, y, p)), ("lambdify", lambda: rhs_lam(k, y)), ("per-function", lambda: rhs_per(k, y)))}
    agree = float(np.max(np.abs(np.array(mod.rhs(k, y, p)) - np.array(rhs_lam(k, y), dtype=float))
                         / np.abs(np.array(rhs_lam(k, y), dtype=float))))
    print(f"{label}: per call fused rhs {call['fused'] * 1e6:.2f} us, lambdify {call['lambdify'] * 1e6:.2f} us, "
          f"beta functions one by one {call['per-function'] * 1e6:.2f} us; ratio lambdify/fused "
          f"{call['lambdify'] / call['fused']:.2f} (max rel. difference {agree:.1e})")

    def ivp(f, args):
        return solve_ivp(f, (1000.0, 10.0), y0, method="DOP853", rtol=1e-11, atol=1e-17, args=args)

    t_f = _best(lambda: ivp(mod.rhs, (p,)), repeat)
    t_l = _best(lambda: ivp(rhs_lam, None), repeat)
    sf, sl = ivp(mod.rhs, (p,)), ivp(rhs_lam, None)
    agree = float(np.max(np.abs(sf.y[:, -1] - sl.y[:, -1]) / np.abs(sl.y[:, -1])))
    print(f"  inside solve_ivp (DOP853, continuum 1000 -> 10, {sf.nfev} evaluations): fused {t_f * 1e3:.1f} ms, "
          f"lambdify {t_l * 1e3:.1f} ms; ratio lambdify/fused {t_l / t_f:.2f} (max rel. difference {agree:.1e})")

    # the continuum path of symrg.solve: integrate_flow with the fused rhs in Hairer's DOP853 (Fortran stepping),
    # two runs (the error estimate), against one solve_ivp run with lambdify -- the path a user would write
    cnames = dict(init=init, params={"A": p[0], "alpha": p[1]}, kappa_from=1000, kappa_to=10, points=2,
                  shells="continuum", rtol=1e-11)
    t_c = _best(lambda: integrate_flow(mod, **cnames), repeat)
    c = integrate_flow(mod, **cnames)
    got = np.array([c.values[str(g)][-1] for g in gs])
    agree = float(np.max(np.abs(got - sl.y[:, -1]) / np.abs(sl.y[:, -1])))
    print(f"  continuum path of symrg.solve (integrate_flow: fused rhs in Hairer's DOP853, two runs for the error "
          f"estimate) {t_c * 1e3:.1f} ms against solve_ivp with lambdify (one run, no error estimate) "
          f"{t_l * 1e3:.1f} ms; ratio {t_l / t_c:.2f} (max rel. difference {agree:.1e}, flow error estimate "
          f"{c.error_estimate:.1e})")

    def two_runs_lambdify():                           # the same work with lambdify: runs at rtol and rtol/100
        return [solve_ivp(rhs_lam, (1000.0, 10.0), y0, method="DOP853", rtol=tol, atol=tol * 1e-6).y[:, -1]
                for tol in (1e-11, 1e-13)]

    t_l2 = _best(two_runs_lambdify, repeat)
    agree = float(np.max(np.abs(got - two_runs_lambdify()[-1]) / np.abs(got)))
    print(f"  the same two runs (rtol 1e-11 and 1e-13, the error estimate) with lambdify in solve_ivp "
          f"{t_l2 * 1e3:.1f} ms; ratio {t_l2 / t_c:.2f} at equal work (max rel. difference {agree:.1e})")

    def hairer_once():                                 # one run, the same tolerances as the lambdify run
        from scipy.integrate import ode

        r = ode(lambda t, y: mod.rhs(t, y, p)).set_integrator("dop853", rtol=1e-11, atol=1e-17, nsteps=10 ** 6)
        r.set_initial_value(y0, 1000.0)
        return r.integrate(10.0)

    t_h = _best(hairer_once, repeat)
    agree = float(np.max(np.abs(hairer_once() - sl.y[:, -1]) / np.abs(sl.y[:, -1])))
    print(f"  one run each at rtol 1e-11: fused rhs in Hairer's DOP853 {t_h * 1e3:.2f} ms, lambdify in solve_ivp "
          f"{t_l * 1e3:.2f} ms; ratio {t_l / t_h:.2f} (max rel. difference {agree:.1e})")

    for meth in ("BDF", "Radau"):                      # implicit methods: does the generated Jacobian help?
        row = []
        for how, jac in (("the generated jac", mod.jac), ("finite differences", None)):
            def run():
                return solve_ivp(mod.rhs, (1000.0, 10.0), y0, method=meth, rtol=1e-11, atol=1e-17, args=(p,), jac=jac)
            sol = run()
            row.append(f"with {how} {_best(run, 1) * 1e3:.0f} ms" if sol.success else
                       f"with {how} failed ({sol.message})")
        print(f"  {meth} (implicit) {', '.join(row)}; DOP853 (explicit, no Jacobian) {t_f * 1e3:.1f} ms")

    names = dict(init=init, params={"A": p[0], "alpha": p[1]}, kappa_from=1000, kappa_to=10, points=2,
                 shells="discrete", mode=str(flow.cutoff))

    def per_mode_lambdify():                           # integrate_flow's scheme (two runs, module doc of running.py)
        out = []
        for tol, h in ((1e-9, 1.0), (1e-11, 0.5)):
            cur = y0.copy()
            for m in range(1000, 10, -1):
                sol = solve_ivp(lambda t, y, m=float(m): lam(*y, *p, m), (float(m), float(m - 1)), cur,
                                method="DOP853", rtol=tol, atol=tol * 1e-6, first_step=h, max_step=h)
                cur = sol.y[:, -1]
            out.append(cur)
        return out[-1]

    class NoFused:                                     # the module without its rhs: the beta functions one by one
        def __init__(self, m):
            self.__all__ = [x for x in m.__all__ if x.startswith(("beta_", "jac_")) and x != "jac_array"]
            self.__name__ = m.__name__
            for x in self.__all__:
                setattr(self, x, getattr(m, x))

    t_d = _best(lambda: integrate_flow(mod, **names), repeat)
    t_dl = _best(per_mode_lambdify, repeat)
    t_dp = _best(lambda: integrate_flow(NoFused(mod), **names), 1)
    d, dl = integrate_flow(mod, **names), per_mode_lambdify()
    got = np.array([d.values[g][-1] for g in mod.COUPLINGS])
    agree = float(np.max(np.abs(got - dl) / np.maximum(np.abs(dl), 1e-300)))
    print(f"  discrete modes 11..1000 (two runs, the error estimate): integrate_flow with the fused rhs "
          f"{t_d * 1e3:.0f} ms, solve_ivp per mode with lambdify {t_dl * 1e3:.0f} ms, integrate_flow with the beta "
          f"functions one by one {t_dp * 1e3:.0f} ms; ratios lambdify/fused {t_dl / t_d:.2f}, "
          f"one-by-one/fused {t_dp / t_d:.2f} (max rel. difference {agree:.1e})")


if __name__ == "__main__":
    raise SystemExit(main())
