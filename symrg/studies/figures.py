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
        ax.set_title(title)


def plot_learning_panels(results: dict, path: Path, suptitle: str, ncols: int = 3,
                         pool_fraction: float = 0.1) -> Path:
    """One panel per entry of ``results`` (``{title: {"rows": [...], "pool": P}}``) at the report's width
    (:func:`symrg.studies.plotting.figure_size`), the legend in the spare panel or below.  With a pool size
    ``P`` the title says it and ``n > pool_fraction * P`` (beyond the claims' regime: pool exhaustion) is
    shaded.  The y-range is that of the simulation and of the theories within a factor 3 of it, so a
    prediction that collapses (the sharp stop once every pool mode is learned) leaves the panel instead of
    stretching it over decades."""
    import matplotlib.pyplot as plt

    from .plotting import figure_size

    keys = list(results)
    nrows = max(1, math.ceil(len(keys) / ncols))
    spare = nrows * ncols > len(keys)
    fig, axes = plt.subplots(nrows, ncols, figsize=figure_size(nrows, ncols, panel_height=2.15,
                                                                extra_height=0.3 if spare else 0.7),
                             squeeze=False, layout="constrained")
    for ax, key in zip(axes.ravel(), keys):
        rows = results[key]["rows"]
        pool = results[key].get("pool")
        plot_learning_panel(ax, rows, key + (f", $P = {pool}$" if pool else ""))
        sim = np.array([r["simulation_mse"] for r in rows], float)
        sem = np.array([r["simulation_sem"] for r in rows], float)
        lo, hi = np.nanmin(np.clip(sim - 2 * sem, sim / 3, None)), np.nanmax(sim + 2 * sem)
        for k in THEORY_STYLE:
            if k in rows[0]:
                t = finite([r[k] for r in rows])
                t = t[(t > lo / 3) & (t < hi * 3)]
                if t.size:
                    lo, hi = min(lo, t.min()), max(hi, t.max())
        ax.set_ylim(lo / 1.25, hi * 1.25)
        log_ticks_off(ax)
        if pool:
            edge = pool_fraction * pool
            ax.axvspan(edge, ax.get_xlim()[1] * 10, color="0.85", lw=0, zorder=0)
            ax.set_xlim(right=max(r["n"] for r in rows) * 1.3)
            ax.text(0.98, 0.96, rf"$n > P/{round(1 / pool_fraction)}$", transform=ax.transAxes, ha="right",
                    va="top", fontsize=8)
    for ax in axes.ravel()[len(keys):]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if pool_fraction and any(results[k].get("pool") for k in keys):
        from matplotlib.patches import Patch
        handles.append(Patch(color="0.85"))
        labels.append(f"beyond the claims' regime ($n > P/{round(1 / pool_fraction)}$)")
    if spare:
        slot = axes.ravel()[-1]
        slot.set_visible(True)
        slot.axis("off")
        slot.legend(handles, labels, loc="center", fontsize=8, frameon=False)
    else:
        fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    fig.suptitle(suptitle)
    return save_figure(fig, path)


def log_ticks_off(ax) -> None:
    """Readable labels on both log axes (:func:`symrg.studies.plotting.tidy_log_axis`)."""
    for which, scale in (("x", ax.get_xscale()), ("y", ax.get_yscale())):
        if scale == "log":
            tidy_log_axis(ax, which)


def finite(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]
