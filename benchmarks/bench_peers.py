"""symrg against its peers, row by row, as ratios measured in one run.

Every row times symrg and each peer on the same input in the same process, interleaved (symrg, peer 1,
peer 2, ..., then again, ``--repeats`` times; the median is reported), and prints

    work | symrg | peer | ratio | agreement

with ``ratio = symrg time / peer time`` (below 1: symrg is faster) and the agreement of the two results
(the measure is named in each row).  A peer that is not installed gives a row "peer not installed"
instead of an error.  The peers are the optional ``bench`` extra of pyproject.toml (scikit-learn, Dask,
neural-tangents with JAX); SciPy and SymPy are runtime dependencies of symrg.

Rows (``--only`` takes these names, comma separated):

* ``nngp``  -- NNGP Gram ``k(X X^T)``, 2000 x 2000, d = 784, float64, ReLU and erf at depths 2, 5, 10:
  ``NNGPKernel.gram`` against neural-tangents' analytic ``kernel_fn`` (``stax``, JAX ``jit``, x64; the
  compile call is excluded and reported apart).  Agreement: max |difference| / max |K|.
* ``topk``  -- top-100 and top-1000 of a 10,000-point pool and top-1000 of a 5,000-point pool (Fashion
  training images, seeded permutation, rows on the unit sphere, depth-1 ReLU NNGP): ``topk_spectrum``
  with its default ``method="auto"`` against ``scipy.sparse.linalg.eigsh``, scikit-learn
  ``randomized_svd`` and Dask ``svd_compressed``, each with its default settings and each forming the
  dense K itself (``NNGPKernel.gram``, inside its timed call).  Agreement: max relative error of the
  top-kappa eigenvalues of (1/P) K against a dense ``scipy.linalg.eigh`` reference computed once per pool.
* ``gp``    -- exact GP fit + predict, n = 5000 training and 1000 test points, 10 outputs, on precomputed
  Gram matrices (depth-2 ReLU NNGP, ridge 1e-3): ``ExactGP()`` with its defaults against a plain
  Cholesky (``scipy.linalg.cho_factor``/``cho_solve``) and scikit-learn ``GaussianProcessRegressor``
  (``optimizer=None``, ``alpha`` = the ridge, a kernel that looks the entries up in the same
  precomputed matrix).  Agreement: max |difference of the predictions| / max |prediction|.
* ``phi4``  -- the 0-d phi^4 toy (``examples/phi4_0d.toml``) to order 6 in process, ``wilson_step``
  (no cache, no diagram list) against a hand-written SymPy series: ``-log <exp(-S_int(a + b))>_b``
  with ``<b^m> = (m-1)!! G^(m/2)`` and ``sympy.series`` of the log.  Agreement: "identical" when the
  difference of the two S_eff expands to 0.
* ``gram``  -- ``NNGPKernel.gram`` of a 10,000-point pool (filled in row blocks) against the one-shot
  ``kernel(X @ X.T)``: time, and peak traced memory (tracemalloc, one extra run each, untimed).
  Agreement: max |difference|.  Needs no peer package.
* ``flow``  -- the generated flow module of ``examples/ridge_quartic_flow.toml`` inside ``solve_ivp`` via
  ``symrg.numerics.running.integrate_flow`` (whatever right-hand side the module offers) against the
  same ``integrate_flow`` on a module whose beta functions are ``sympy.lambdify`` of the same derived
  expressions, continuum (1000 -> 10) and discrete shells (modes 11..1000).  Agreement: max relative
  difference of the couplings on the grid.

``--quick`` shrinks every size (seconds in all; for smoke tests): synthetic points on the sphere instead
of Fashion, pools of a few hundred, phi^4 to order 3.  The JSON (default reports/bench/bench_peers.json,
or bench_peers_quick.json with ``--quick``) holds every row, the per-repeat times, the machine load
before and after, the package versions and the git commit.  Asserts nothing (no timing is tested).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_peers.py [--quick] [--only gram,gp]
        [--repeats 3] [--topk 5000:1000] [--out reports/bench/bench_peers.json]
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")   # neural-tangents imports TensorFlow: keep its log quiet
if str(ROOT) not in sys.path:           # run as a script from anywhere: import this checkout's symrg
    sys.path.insert(0, str(ROOT))

from symrg._io import register_in_report, write_json  # noqa: E402
from symrg.spectra import NNGPKernel  # noqa: E402

ROWS = ("nngp", "topk", "gp", "phi4", "gram", "flow")
FASHION = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
NOT_INSTALLED = "peer not installed"

SIZES = {
    False: dict(nngp_n=2000, nngp_depths=(2, 5, 10), topk=((10_000, 100), (10_000, 1000), (5000, 1000)),
                gp_n=5000, gp_test=1000, phi4_order=6, gram_n=10_000, flow_from=1000.0, flow_to=10.0),
    True: dict(nngp_n=200, nngp_depths=(2, 10), topk=((800, 20), (800, 100), (400, 100)),
               gp_n=400, gp_test=100, phi4_order=3, gram_n=1000, flow_from=100.0, flow_to=10.0),
}
DIM = 784


# ------------------------------------------------------------------------------------------- helpers
def have(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except Exception:            # a broken install (e.g. JAX version mismatch) counts as not installed
        return False


def race(contenders, repeats: int):
    """Run ``[(name, fn), ...]`` interleaved ``repeats`` times; ``{name: (median s, [times], last result)}``."""
    times = {n: [] for n, _ in contenders}
    last = {}
    for _ in range(repeats):
        for name, fn in contenders:
            t0 = time.perf_counter()
            out = fn()
            times[name].append(time.perf_counter() - t0)
            last[name] = out
    return {n: (statistics.median(t), t, last[n]) for n, t in times.items()}


def peak_bytes(fn) -> int:
    """Peak traced memory of one untimed call of ``fn`` (NumPy buffers are traced)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        out = fn()
        del out
        return int(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def row(group, work, symrg_name, t_symrg, peer, t_peer, agreement, agreement_measure, **extra) -> dict:
    ratio = (t_symrg / t_peer) if (t_peer is not None and t_peer > 0) else None
    return {"row": group, "work": work, "symrg": symrg_name, "symrg_seconds": t_symrg, "peer": peer,
            "peer_seconds": t_peer, "ratio": ratio, "agreement": agreement,
            "agreement_measure": agreement_measure, "note": extra.pop("note", ""), **extra}


def missing(group, work, symrg_name, t_symrg, peer, why=NOT_INSTALLED) -> dict:
    return row(group, work, symrg_name, t_symrg, peer, None, None, "", note=why)


@functools.lru_cache(maxsize=1)
def _fashion() -> np.ndarray:
    from symrg.data import read_idx
    return read_idx(FASHION)


def pool(n: int, quick: bool, seed: int = 0) -> tuple[np.ndarray, str]:
    """``n`` points on the unit sphere: Fashion training images (seeded permutation) unless --quick or absent."""
    from symrg.data import normalize_rows, sample_sphere

    if not quick and FASHION.exists():
        raw = _fashion()
        order = np.random.default_rng(seed).permutation(raw.shape[0])[:n]
        return normalize_rows(raw.reshape(raw.shape[0], -1)[order].astype(float)), "fashion-mnist train"
    return sample_sphere(n, DIM, np.random.default_rng(seed)), f"uniform on S^{DIM - 1} (seed {seed})"


def rel_max(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ------------------------------------------------------------------------------------------- rows
def bench_nngp(cfg, quick, repeats):
    n = cfg["nngp_n"]
    X, src = pool(n, quick, seed=1)
    out = []
    nt_ok = have("neural_tangents") and have("jax")
    if nt_ok:
        import jax
        jax.config.update("jax_enable_x64", True)
        from neural_tangents import stax
    for act in ("relu", "erf"):
        for depth in cfg["nngp_depths"]:
            k = NNGPKernel(act, depth)
            work = f"NNGP Gram {n}x{n}, d={DIM}, {act} depth {depth} ({src})"
            if not nt_ok:
                t = race([("symrg", lambda: k.gram(X))], repeats)["symrg"][0]
                out.append(missing("nngp", work, "NNGPKernel.gram", t, "neural-tangents (JAX)"))
                continue
            layers = [stax.Dense(1, W_std=math.sqrt(DIM), b_std=None)]    # K0 = x.x' (NT divides by d)
            for _ in range(depth):
                layers += [stax.Relu() if act == "relu" else stax.Erf(),
                           stax.Dense(1, W_std=math.sqrt(k.sigma_w2),
                                      b_std=math.sqrt(k.sigma_b2) if k.sigma_b2 else None)]
            kfn = jax.jit(stax.serial(*layers)[2], static_argnames=("get",))
            Xj = jax.numpy.asarray(X)
            t0 = time.perf_counter()
            kfn(Xj, None, get="nngp").block_until_ready()
            compile_s = time.perf_counter() - t0

            def run_nt():
                return np.asarray(kfn(Xj, None, get="nngp").block_until_ready())
            r = race([("symrg", lambda: k.gram(X)), ("peer", run_nt)], repeats)
            out.append(row("nngp", work, "NNGPKernel.gram", r["symrg"][0], "neural-tangents kernel_fn (JAX jit, x64)",
                           r["peer"][0], rel_max(r["symrg"][2], r["peer"][2]), "max|diff|/max|K|",
                           times={"symrg": r["symrg"][1], "peer": r["peer"][1]}, peer_compile_seconds=compile_s))
    return out


def _eigsh(K, kappa):
    from scipy.sparse.linalg import eigsh
    return np.sort(eigsh(K, k=kappa, which="LA", return_eigenvectors=False))[::-1]


def _rsvd(K, kappa):
    from sklearn.utils.extmath import randomized_svd
    return randomized_svd(K, n_components=kappa, random_state=0)[1]


def _dask(K, kappa):
    import dask
    import dask.array as da
    P = K.shape[0]
    A = da.from_array(K, chunks=(min(P, 2048), P))
    s = da.linalg.svd_compressed(A, k=kappa, seed=0)[1]
    return dask.compute(s)[0]


def bench_topk(cfg, quick, repeats):
    import scipy.linalg

    from symrg.spectra import topk_spectrum

    kernel = NNGPKernel("relu", 1)
    peers = [("scipy eigsh", "scipy", _eigsh), ("sklearn randomized_svd", "sklearn", _rsvd),
             ("Dask svd_compressed", "dask.array", _dask)]
    refs = {}
    for P, kappa in cfg["topk"]:
        out = []
        X, src = pool(P, quick)
        if P not in refs:      # the dense reference, once per pool, untimed
            refs[P] = scipy.linalg.eigh(kernel.gram(X) / P, eigvals_only=True, check_finite=False)[::-1]
        ref = refs[P][:kappa]
        work = f"top-{kappa} of a {P}-point pool ({src}, relu depth 1)"
        contenders = [("symrg", lambda: topk_spectrum(X, kernel, kappa))]
        for name, mod, fn in peers:
            if have(mod):
                contenders.append((name, lambda fn=fn: fn(kernel.gram(X), kappa) / P))
        r = race(contenders, repeats)
        t_s, times_s, spec = r["symrg"]
        acc_s = float(np.max(np.abs(spec.eigenvalues - ref) / ref))
        label = f"topk_spectrum auto -> {spec.method}"
        for name, mod, _ in peers:
            if name not in r:
                out.append(missing("topk", work, label, t_s, name))
                continue
            t_p, times_p, lam = r[name]
            lam = np.sort(np.asarray(lam, dtype=float))[::-1][:kappa]
            acc_p = float(np.max(np.abs(lam - ref) / ref))
            out.append(row("topk", work, label, t_s, name, t_p, {"symrg": acc_s, "peer": acc_p},
                           "max relative eigenvalue error vs dense eigh (each)",
                           times={"symrg": times_s, "peer": times_p}, method_reason=spec.method_reason,
                           passes=spec.iterations))
        yield out


class _Table:
    """A precomputed Gram matrix that sklearn's ``clone`` (deepcopy) shares instead of copying."""

    def __init__(self, K):
        self.K = K

    def __deepcopy__(self, memo):
        return self


def _sklearn_precomputed_kernel(table: _Table):
    from sklearn.gaussian_process.kernels import Kernel

    class Precomputed(Kernel):
        """Rows of X are indices into one precomputed Gram matrix (scikit-learn has no precomputed GP kernel)."""

        def __init__(self, table=None):
            self.table = table

        def __call__(self, X, Y=None, eval_gradient=False):
            if eval_gradient:
                raise ValueError("no hyperparameters")
            i = np.asarray(X)[:, 0].astype(np.intp)
            j = i if Y is None else np.asarray(Y)[:, 0].astype(np.intp)
            return self.table.K[np.ix_(i, j)]

        def diag(self, X):
            return np.diag(self.table.K)[np.asarray(X)[:, 0].astype(np.intp)]

        def is_stationary(self):
            return False

        @property
        def requires_vector_input(self):
            return False

    return Precomputed(table)


def bench_gp(cfg, quick, repeats):
    import scipy.linalg

    from symrg.numerics.gp import ExactGP

    n, m = cfg["gp_n"], cfg["gp_test"]
    X, src = pool(n + m, quick, seed=2)
    Kfull = NNGPKernel("relu", 2).gram(X)
    Ktr, Kte = Kfull[:n, :n].copy(), Kfull[n:, :n].copy()
    Y = np.tanh(3.0 * X[:n] @ np.random.default_rng(3).standard_normal((X.shape[1], 10)))
    ridge = ExactGP().ridge
    work = f"exact GP fit+predict, n={n}, {m} test points, 10 outputs, ridge {ridge:g} ({src}, relu depth 2)"

    def symrg_gp():
        return ExactGP().fit(Ktr, Y).predict(Kte)

    def cholesky():
        A = Ktr.copy()
        A[np.diag_indices_from(A)] += ridge
        c = scipy.linalg.cho_factor(A, lower=True, check_finite=False)
        return Kte @ scipy.linalg.cho_solve(c, Y, check_finite=False)

    contenders = [("symrg", symrg_gp), ("plain Cholesky (scipy)", cholesky)]
    if have("sklearn"):
        from sklearn.gaussian_process import GaussianProcessRegressor
        kern = _sklearn_precomputed_kernel(_Table(Kfull))
        idx = np.arange(n + m, dtype=float)[:, None]

        def sk():
            g = GaussianProcessRegressor(kernel=kern, alpha=ridge, optimizer=None, normalize_y=False)
            return g.fit(idx[:n], Y).predict(idx[n:])
        contenders.append(("sklearn GaussianProcessRegressor (optimizer=None)", sk))
    r = race(contenders, repeats)
    t_s, times_s, pred = r["symrg"]
    out = []
    for name in ("plain Cholesky (scipy)", "sklearn GaussianProcessRegressor (optimizer=None)"):
        if name not in r:
            out.append(missing("gp", work, "ExactGP() default", t_s, name))
            continue
        out.append(row("gp", work, "ExactGP() default", t_s, name, r[name][0], rel_max(pred, r[name][2]),
                       "max|diff|/max|prediction|", times={"symrg": times_s, "peer": r[name][1]}))
    return out


def _phi4_by_hand(order: int):
    """-log <exp(-u/24 (a+b)^4)>_b to ``order`` in u, b ~ N(0, G): a hand-written SymPy series."""
    import sympy as sp

    from symrg.engine import example_path, load_action

    act = load_action(example_path("phi4_0d"))
    (a,), (b,) = act.kept, act.integrated
    G = act.propagator_map[b]
    u = next(s for s in act.interaction.free_symbols if s.name == "u")
    x = act.interaction
    Z = sp.expand(sum((-x) ** n / sp.factorial(n) for n in range(order + 1)))
    poly = sp.Poly(Z, b)
    avg = sum(c * (sp.factorial2(k - 1) * G ** sp.Rational(k, 2) if k % 2 == 0 else 0)
              for (k,), c in poly.terms())
    return sp.expand(sp.series(-sp.log(sp.expand(avg)), u, 0, order + 1).removeO())


def bench_phi4(cfg, quick, repeats):
    import sympy as sp

    from symrg.engine import example_path, load_action
    from symrg.engine.cache import clear_memory_cache
    from symrg.engine.wilson import wilson_step

    order = cfg["phi4_order"]
    act = load_action(example_path("phi4_0d"))

    def ours():
        clear_memory_cache()
        res = wilson_step(act, order, diagrams=False, use_cache=False)
        return sp.expand(sum((c * m for m, c in res.coefficients.items()), sp.Integer(0)))

    r = race([("symrg", ours), ("peer", lambda: _phi4_by_hand(order))], repeats)
    same = sp.expand(r["symrg"][2] - r["peer"][2]) == 0
    return [row("phi4", f"0-d phi^4 S_eff to order {order} in u, in process", "wilson_step (no cache, no diagrams)",
                r["symrg"][0], "hand-written SymPy series", r["peer"][0], "identical" if same else "DIFFERENT",
                "S_eff(symrg) - S_eff(peer) expands to 0", times={"symrg": r["symrg"][1], "peer": r["peer"][1]})]


def bench_gram(cfg, quick, repeats):
    n = cfg["gram_n"]
    X, src = pool(n, quick, seed=4)
    k = NNGPKernel("relu", 2)
    work = f"NNGP Gram of a {n}-point pool, relu depth 2 ({src})"
    r = race([("symrg", lambda: k.gram(X)), ("peer", lambda: k(X @ X.T))], repeats)
    agree = float(np.max(np.abs(r["symrg"][2] - r["peer"][2])))
    r = {kk: v[:2] for kk, v in r.items()}      # let the two n x n results go before measuring memory
    mem_s, mem_p = peak_bytes(lambda: k.gram(X)), peak_bytes(lambda: k(X @ X.T))
    return [row("gram", work, "NNGPKernel.gram (row blocks)", r["symrg"][0], "one-shot k(X @ X.T)", r["peer"][0],
                agree, "max|diff|", times={"symrg": r["symrg"][1], "peer": r["peer"][1]},
                peak_bytes={"symrg": mem_s, "peer": mem_p, "result": 8 * n * n},
                memory_ratio=mem_s / mem_p)]


def _lambdify_module(flow):
    import sympy as sp

    gs = list(flow.couplings)
    syms = gs + list(flow.parameters) + [flow.cutoff]
    mod = types.ModuleType("lambdified_flow")
    names = []
    for g in gs:
        fn = sp.lambdify(syms, flow.beta[g], "numpy")
        setattr(mod, f"beta_{g.name}", fn)
        names.append(f"beta_{g.name}")
    mod.__all__ = names
    return mod


def bench_flow(cfg, quick, repeats):
    from symrg._generated import ridge_quartic_flow as gen
    from symrg.engine import example_path, load_action
    from symrg.engine.running import derive_flow
    from symrg.numerics.running import integrate_flow

    flow = derive_flow(load_action(example_path("ridge_quartic_flow")))
    lam = _lambdify_module(flow)
    init, params = {"sigma2": 0.01, "u": 1.0}, {"A": 0.01, "alpha": 0.5}
    k0, k1 = cfg["flow_from"], cfg["flow_to"]
    offers = sorted(n for n in dir(gen) if not n.startswith("_") and callable(getattr(gen, n)))
    out = []
    for shells, kw in (("continuum", {}), ("discrete", {"shells": "discrete", "mode": "kappa"})):
        def run(mod, kw=kw):
            return integrate_flow(mod, init, params, k0, k1, **kw)
        r = race([("symrg", lambda: run(gen)), ("peer", lambda: run(lam))], repeats)
        a, b = r["symrg"][2], r["peer"][2]
        agree = max(rel_max(a.values[g], b.values[g]) for g in a.values)
        out.append(row("flow", f"ridge_quartic_flow {k0:g} -> {k1:g}, {shells}, integrate_flow (2 couplings)",
                       "generated module", r["symrg"][0], "sympy.lambdify beta functions", r["peer"][0], agree,
                       "max|diff|/max|coupling| on the grid", times={"symrg": r["symrg"][1], "peer": r["peer"][1]},
                       module_offers=offers))
    return out


BENCH = {"nngp": bench_nngp, "topk": bench_topk, "gp": bench_gp, "phi4": bench_phi4, "gram": bench_gram,
         "flow": bench_flow}


# ------------------------------------------------------------------------------------------- output
def _fmt_s(t):
    return "-" if t is None else (f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s")


def _fmt_agree(a):
    if a is None:
        return "-"
    if isinstance(a, dict):
        return "symrg " + _fmt_agree(a["symrg"]) + ", peer " + _fmt_agree(a["peer"])
    return a if isinstance(a, str) else f"{a:.1e}"


def table(rows) -> str:
    lines = ["work | symrg | peer | ratio (symrg/peer) | agreement", "---|---|---|---|---"]
    for r in rows:
        ratio = r["note"] if r["ratio"] is None else f"{r['ratio']:.3g}"
        if r.get("memory_ratio") is not None:
            ratio += f" (memory {r['memory_ratio']:.3g})"
        lines.append(f"{r['work']} | {r['symrg']} {_fmt_s(r['symrg_seconds'])} | {r['peer']} "
                     f"{_fmt_s(r['peer_seconds'])} | {ratio} | {_fmt_agree(r['agreement'])}")
    return "\n".join(lines)


def _versions() -> dict:
    """Installed versions (package metadata: nothing is imported, TensorFlow under neural-tangents is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for m in ("numpy", "scipy", "sympy", "scikit-learn", "dask", "jax", "jaxlib", "neural-tangents", "tf2jax"):
        try:
            out[m] = version(m)
        except PackageNotFoundError:
            out[m] = None
    return out


def _git_commit() -> str | None:
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        return r.stdout.strip() or None
    except Exception:
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds; for smoke tests)")
    ap.add_argument("--only", default=",".join(ROWS), help=f"comma-separated rows: {', '.join(ROWS)}")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats per row (median reported)")
    ap.add_argument("--topk", default=None, metavar="P:KAPPA,...",
                    help="the top-kappa cases of the topk row (default 10000:100,10000:1000,5000:1000)")
    ap.add_argument("--out", default=None, help="JSON path (default reports/bench/bench_peers[_quick].json)")
    a = ap.parse_args(argv)
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    bad = [s for s in only if s not in ROWS]
    if bad or not only:
        ap.error(f"--only {a.only!r}: expected a comma-separated list of {', '.join(ROWS)}")
    if a.repeats < 1:
        ap.error(f"--repeats {a.repeats}: expected an integer >= 1")
    cfg = dict(SIZES[a.quick])
    if a.topk:
        try:
            cases = tuple((int(p), int(k)) for p, k in (c.split(":") for c in a.topk.split(",")))
        except ValueError:
            ap.error(f"--topk {a.topk!r}: expected P:KAPPA pairs such as 5000:1000,10000:100")
        if any(not 1 <= k < p for p, k in cases):
            ap.error(f"--topk {a.topk!r}: every case needs 1 <= KAPPA < P")
        cfg["topk"] = cases
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    load_before = os.getloadavg()
    out = Path(a.out) if a.out else ROOT / "reports" / "bench" / ("bench_peers_quick.json" if a.quick
                                                                   else "bench_peers.json")
    rows, seconds, commit, versions = [], {}, _git_commit(), _versions()

    def save(complete: bool):
        """The JSON so far (rewritten atomically after every case: an interrupted run keeps what it measured)."""
        doc = {"run": {"started": started, "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                       "complete": complete, "argv": sys.argv[1:] if argv is None else list(argv), "quick": a.quick,
                       "repeats": a.repeats, "rows": only, "row_seconds": seconds, "git_commit": commit,
                       "machine": {"platform": platform.platform(), "python": platform.python_version(),
                                   "cpus": os.cpu_count(), "load_before": load_before, "load_after": os.getloadavg(),
                                   "threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                                              "MKL_NUM_THREADS")}},
                       "versions": versions,
                       "ratio": "symrg seconds / peer seconds, medians of interleaved repeats (below 1: symrg faster)"},
               "rows": rows}
        write_json(out, doc, "benchmarks/bench_peers.py")
        register_in_report(out)        # a file under reports/ joins its manifest: reproduce carries it

    for name in only:
        t0 = time.perf_counter()
        result = BENCH[name](cfg, a.quick, a.repeats)
        for new in ([result] if isinstance(result, list) else result):   # a generator yields case by case
            text = table(new)
            print(text if not rows else text.split("\n", 2)[-1], flush=True)
            rows += new
            seconds[name] = time.perf_counter() - t0
            save(False)
    save(True)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
