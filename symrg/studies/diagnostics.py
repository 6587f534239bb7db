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


def _joint(fig, spec, a, b, la, lb):
    """Scatter of (a, b) with marginal histograms and Gaussian fits (ellipses, normal densities)."""
    gs = spec.subgridspec(4, 4, hspace=0.05, wspace=0.05)
    ax = fig.add_subplot(gs[1:, :3])
    ax_x = fig.add_subplot(gs[0, :3], sharex=ax)
    ax_y = fig.add_subplot(gs[1:, 3], sharey=ax)
    ax.scatter(a, b, s=2, alpha=0.4, color="C0", rasterized=True)
    mu = np.array([a.mean(), b.mean()])
    C = np.cov(np.vstack([a, b]))
    w, V = np.linalg.eigh(C)
    t = np.linspace(0, 2 * np.pi, 200)
    circ = np.stack([np.cos(t), np.sin(t)])
    for r in (1, 2):
        e = mu[:, None] + V @ (r * np.sqrt(np.maximum(w, 0))[:, None] * circ)
        ax.plot(e[0], e[1], color="C3", lw=1)
    ax.set_xlabel(la, fontsize=8)
    ax.set_ylabel(lb, fontsize=8)
    for arr, axm, orient in ((a, ax_x, "vertical"), (b, ax_y, "horizontal")):
        axm.hist(arr, bins=40, density=True, orientation=orient, color="C0", alpha=0.6)
        m, s = arr.mean(), arr.std() or 1.0
        g = np.linspace(arr.min(), arr.max(), 200)
        dens = np.exp(-0.5 * ((g - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        if orient == "vertical":
            axm.plot(g, dens, color="C3", lw=1)
        else:
            axm.plot(dens, g, color="C3", lw=1)
        axm.tick_params(labelbottom=False, labelleft=False, labelsize=6)
    ax.tick_params(labelsize=7)


def write_feature_figures(spectrum, out_dir, name: str = "features", low=(2, 3), high=None,
                          n_modes: int | None = None) -> list[str]:
    """Write ``<name>_joint.png`` (low and high mode pairs) and ``<name>_moments.png`` into ``out_dir``.

    ``low``/``high`` are 1-based mode numbers (default high pair: modes at 60% and 60%+1 of the
    modes with ``lambda_k > 1e-10 lambda_1``).  Returns the written paths.
    """
    import matplotlib.pyplot as plt

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
    fig = plt.figure(figsize=(8, 4))
    outer = fig.add_gridspec(1, 2, wspace=0.3)
    for j, (p, q) in enumerate((low, high)):
        _joint(fig, outer[0, j], phi[:, p - 1], phi[:, q - 1], f"phi_{p}", f"phi_{q}")
    fig.suptitle(f"{name}: joint feature values, low and high modes (red: Gaussian fit)", fontsize=9)
    paths.append(str(_save(fig, out_dir / f"{name}_joint.png")))
    plt.close(fig)

    mom = feature_moments(phi, n_modes or n_ok or None)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3))
    k = np.array(mom["k"])
    a1.plot(k, mom["excess_kurtosis"], ".", ms=3)
    a1.axhline(0, color="k", lw=0.6)
    a1.set_xscale("log")
    a1.set_yscale("symlog")
    a1.set_xlabel("mode k")
    a1.set_ylabel("excess kurtosis of phi_k")
    a2.plot(k, mom["tail_weight_3sigma"], ".", ms=3)
    a2.axhline(GAUSSIAN_TAIL_3SIGMA, color="C3", lw=0.8, label="Gaussian")
    a2.set_xscale("log")
    a2.set_xlabel("mode k")
    a2.set_ylabel("P(|z| > 3)")
    a2.legend(fontsize=7)
    fig.suptitle(f"{name}: non-Gaussianity of the features against k", fontsize=9)
    fig.tight_layout()
    paths.append(str(_save(fig, out_dir / f"{name}_moments.png")))
    plt.close(fig)
    return paths
