"""Feature statistics of empirical eigenfunctions (the analogue of the paper's feature figure).

For a pool spectrum ``phi[i, k] = phi_k(x_i)`` (:class:`~symrg.spectra.empirical.EmpiricalSpectrum`):

* :func:`feature_moments` — mean, variance, skewness, excess kurtosis and a tail weight
  ``P(|z| > 3)`` (z the standardised feature) of each mode against ``k``; for a Gaussian feature the
  excess kurtosis is 0 and the tail weight 0.0027;
* :func:`write_feature_figures` — joint scatter plots with marginal histograms and Gaussian fits
  (the bivariate normal with the sample mean and covariance, drawn as 1- and 2-sigma ellipses)
  for a pair of low modes and a pair of high modes, and kurtosis / tail weight against ``k``.

Figures use matplotlib's Agg backend and are written atomically (temporary file + ``os.replace``);
the output is deterministic (no random sampling; fixed figure metadata).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .._validate import check_finite_array
from ..errors import ParameterError

__all__ = ["feature_moments", "write_feature_figures", "GAUSSIAN_TAIL_3SIGMA"]

GAUSSIAN_TAIL_3SIGMA = math.erfc(3 / math.sqrt(2))     # P(|z| > 3) for z ~ N(0, 1) = 0.0026998


def feature_moments(phi, n_modes: int | None = None) -> dict:
    """Per-mode moments of the feature values (columns of ``phi``)."""
    phi = check_finite_array(phi, "phi", ndim=2)
    if phi.shape[0] < 4:
        raise ParameterError("phi", f"array of shape {phi.shape}", "at least 4 rows (samples)")
    A = phi if n_modes is None else phi[:, :n_modes]
    mu = A.mean(0)
    var = A.var(0)
    sd = np.sqrt(np.where(var > 0, var, np.nan))
    z = (A - mu) / sd
    return {"k": (np.arange(A.shape[1]) + 1).tolist(), "mean": mu.tolist(), "var": var.tolist(),
            "skewness": np.nan_to_num(np.mean(z ** 3, 0)).tolist(),
            "excess_kurtosis": np.nan_to_num(np.mean(z ** 4, 0) - 3.0).tolist(),
            "tail_weight_3sigma": np.mean(np.abs(np.nan_to_num(z)) > 3, 0).tolist(),
            "gaussian_tail_3sigma": GAUSSIAN_TAIL_3SIGMA}


def _save(fig, path: Path) -> Path:
    from .plotting import save_figure

    return save_figure(fig, path)


def _joint(fig, spec, a, b, la, lb, title):
    """Scatter of (a, b) with marginal histograms and Gaussian fits (ellipses, normal densities)."""
    from matplotlib.ticker import MaxNLocator

    gs = spec.subgridspec(4, 4, hspace=0.1, wspace=0.18)
    ax = fig.add_subplot(gs[1:, :3])
    ax_x = fig.add_subplot(gs[0, :3], sharex=ax)
    ax_y = fig.add_subplot(gs[1:, 3], sharey=ax)
    ax.scatter(a, b, s=2, alpha=0.4, color="C0", rasterized=True, label="pool points")
    mu = np.array([a.mean(), b.mean()])
    C = np.cov(np.vstack([a, b]))
    w, V = np.linalg.eigh(C)
    t = np.linspace(0, 2 * np.pi, 200)
    circ = np.stack([np.cos(t), np.sin(t)])
    for r, ls in ((1, "-"), (2, "--")):
        e = mu[:, None] + V @ (r * np.sqrt(np.maximum(w, 0))[:, None] * circ)
        ax.plot(e[0], e[1], color="C3", lw=1, ls=ls, label=f"Gaussian fit, {r}$\\sigma$ contour")
    ax.set_xlabel(la, fontsize=9)
    ax.set_ylabel(lb, fontsize=9)
    ax.legend(fontsize=8, loc="upper right", markerscale=3, framealpha=0.8, frameon=True)
    for arr, axm, orient in ((a, ax_x, "vertical"), (b, ax_y, "horizontal")):
        axm.hist(arr, bins=40, density=True, orientation=orient, color="C0", alpha=0.6)
        m, s = arr.mean(), arr.std() or 1.0
        g = np.linspace(arr.min(), arr.max(), 200)
        dens = np.exp(-0.5 * ((g - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        if orient == "vertical":
            axm.plot(g, dens, color="C3", lw=1)
            axm.set_ylabel("density", fontsize=8)
            axm.tick_params(labelbottom=False, labelsize=8)
            axm.yaxis.set_major_locator(MaxNLocator(2))
        else:
            axm.plot(dens, g, color="C3", lw=1)
            axm.set_xlabel("density", fontsize=8)
            axm.tick_params(labelleft=False, labelsize=8)
            axm.xaxis.set_major_locator(MaxNLocator(2))
    ax_x.set_title(title, fontsize=9)
    ax.tick_params(labelsize=8)


def _binned(k, values, n_bins: int = 24):
    """Log-spaced bins of mode numbers: bin centres and the values in each bin (for medians with bands)."""
    edges = np.unique(np.round(np.geomspace(1, k.max() + 1, n_bins + 1)).astype(int))
    centres, groups = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (k >= lo) & (k < hi)
        if sel.any():
            centres.append(float(np.sqrt(lo * max(hi - 1, lo))))
            groups.append(list(np.asarray(values)[sel]))
    return centres, groups


def _label(name: str) -> str:
    ds = name.removeprefix("features_")
    return {"mnist": "MNIST", "digits": r"digits ($8\times8$)"}.get(ds, ds)


def write_feature_figures(spectrum, out_dir, name: str = "features", low=(2, 3), high=None,
                          n_modes: int | None = None) -> list[str]:
    """Write ``<name>_joint.png`` (low and high mode pairs) and ``<name>_moments.png`` into ``out_dir``.

    ``low``/``high`` are 1-based mode numbers (default high pair: modes at 60% and 60%+1 of the
    modes with ``lambda_k > 1e-10 lambda_1``).  The moments figure shows, in log-spaced bins of
    ``k``, the median over the modes of the bin with the interquartile band.  Returns the written paths.
    """
    import matplotlib.pyplot as plt

    from .plotting import median_band

    phi = np.asarray(spectrum.phi)
    lam = np.asarray(spectrum.eigenvalues)
    n_ok = int(np.count_nonzero(lam > 1e-10 * lam[0])) if lam.size else 0
    if high is None:
        h = max(int(0.6 * n_ok), 2)
        high = (h, h + 1)
    for k in (*low, *high):
        if not 1 <= k <= phi.shape[1]:
            raise ParameterError("mode", k, f"a mode number in [1, {phi.shape[1]}]")
    out_dir = Path(out_dir)
    paths = []
    label = _label(name)
    fig = plt.figure(figsize=(7.0, 4.6))
    outer = fig.add_gridspec(1, 2, wspace=0.28, top=0.83, bottom=0.1, left=0.08, right=0.97)
    for j, ((p, q), which) in enumerate(((low, "low"), (high, "high"))):
        rel = f"$\\lambda_{{{p}}}/\\lambda_1 = {lam[p - 1] / lam[0]:.2g}$"
        _joint(fig, outer[0, j], phi[:, p - 1], phi[:, q - 1], f"$\\phi_{{{p}}}(x)$", f"$\\phi_{{{q}}}(x)$",
               f"{which} modes $k = {p}, {q}$ ({rel})")
    fig.suptitle(f"{label}: joint values of two Mercer features over the {phi.shape[0]} pool points\n"
                 "(red: the Gaussian with the same mean and covariance)", fontsize=9)
    paths.append(str(_save(fig, out_dir / f"{name}_joint.png")))
    plt.close(fig)

    mom = feature_moments(phi, n_modes or n_ok or None)
    k = np.array(mom["k"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.0, 3.0), layout="constrained")
    x, groups = _binned(k, mom["excess_kurtosis"])
    median_band(a1, x, groups, "C0", "median over the modes in a bin", marker="o", ms=3)
    a1.axhline(0, color="C3", lw=1, label="Gaussian feature: 0")
    a1.set_xscale("log")
    a1.set_yscale("symlog", linthresh=1.0)
    top = max(10.0, 3.0 * max((float(np.percentile(g, 75)) for g in groups), default=1.0))   # above the band
    a1.set_ylim(-2, top)
    ticks = [v for v in (-1, 0, 1, 10, 100, 1000, 10000) if v <= top]
    a1.set_yticks(ticks)
    a1.set_yticklabels([f"{v:g}" for v in ticks])
    a1.set_xlabel(r"mode $k$")
    a1.set_ylabel(r"excess kurtosis of $\phi_k(x)$")
    a1.legend(fontsize=8, loc="upper left")
    x, groups = _binned(k, mom["tail_weight_3sigma"])
    median_band(a2, x, groups, "C0", "median over the modes in a bin", marker="o", ms=3)
    a2.axhline(GAUSSIAN_TAIL_3SIGMA, color="C3", lw=1, label=f"Gaussian feature: {GAUSSIAN_TAIL_3SIGMA:.4f}")
    a2.set_xscale("log")
    a2.set_xlabel(r"mode $k$")
    a2.set_ylabel(r"$P(|z_k| > 3)$, $z_k$ = standardised $\phi_k$")
    a2.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"{label}: how far the features are from Gaussian, against the mode number $k$\n"
                 "(bands: interquartile range in each bin)", fontsize=9)
    paths.append(str(_save(fig, out_dir / f"{name}_moments.png")))
    plt.close(fig)
    return paths
