"""Figures shared by the studies: one look for every learning-curve panel.

Conventions: mathtext labels, every axis labelled, a legend saying what each line is, the
simulation as points with ±2 standard-error bars, each theory with its own colour and line style
everywhere in the report.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .plotting import save_figure, tidy_log_axis

__all__ = ["THEORY_STYLE", "plot_learning_panel", "plot_learning_panels"]

# key -> (label, colour, line style)
THEORY_STYLE = {
    "theory_rg": ("RG, paper's sharp stop", "C3", "--"),
    "theory_rg_budget": ("RG, budget-respecting stop", "C1", "-."),
    "theory_rg_selfconsistent": ("RG, self-consistent flow", "C2", "-"),
    "theory_eigenlearning": ("eigenlearning", "C0", ":"),
}


def plot_learning_panel(ax, rows, title: str = "", sim_label: str = "exact GP (±2 s.e.)") -> None:
    n = [r["n"] for r in rows]
    ax.errorbar(n, [r["simulation_mse"] for r in rows], yerr=[2 * r["simulation_sem"] for r in rows],
                fmt="o", color="k", ms=4, capsize=2, label=sim_label, zorder=5)
    for key, (label, colour, ls) in THEORY_STYLE.items():
        if key in rows[0]:
            ax.plot(n, [r[key] for r in rows], ls, color=colour, lw=1.6, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    log_ticks_off(ax)
    ax.set_xlabel(r"training-set size $n$")
    ax.set_ylabel("test MSE")
    if title:
        ax.set_title(title, fontsize=10)


def plot_learning_panels(results: dict, path: Path, suptitle: str, ncols: int = 4) -> Path:
    """One panel per entry of ``results`` (``{title: {"rows": [...]}}``), a shared legend below."""
    import matplotlib.pyplot as plt

    keys = list(results)
    nrows = max(1, math.ceil(len(keys) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3.4 * nrows + 0.8), squeeze=False)
    for ax, key in zip(axes.ravel(), keys):
        plot_learning_panel(ax, results[key]["rows"], key)
    for ax in axes.ravel()[len(keys):]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.suptitle(suptitle)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    return save_figure(fig, path)


def log_ticks_off(ax) -> None:
    """Readable labels on both log axes (:func:`symrg.studies.plotting.tidy_log_axis`)."""
    for which, scale in (("x", ax.get_xscale()), ("y", ax.get_yscale())):
        if scale == "log":
            tidy_log_axis(ax, which)


def finite(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]
