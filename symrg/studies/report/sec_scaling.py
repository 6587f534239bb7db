"""Report section: the paper's real-data scaling claim (docs/theory.md section 4c)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..figures import log_ticks_off
from ..plotting import save_figure

# data set -> (pool in quick mode, pool in the full run)
POOLS = {"digits": (1000, 1200), "mnist": (2000, 4000), "fashion": (3000, 6000)}
FASHION_HINT = ("Fashion-MNIST (70,000 images) comes from the Debian package dataset-fashion-mnist "
                "(apt-get install dataset-fashion-mnist); installed, it adds a third data set to this claim")


def _ns(P: int) -> list[int]:
    """Five sizes from P/200 (at least 10) to P/20: well below the pool."""
    return [int(x) for x in np.unique(np.round(np.geomspace(max(10, P // 200), P // 20, 5)))]


def run(out: Path, quick: bool, progress) -> dict:
    import matplotlib.pyplot as plt

    from ...errors import DataError
    from ...spectra.kernels import NNGPKernel
    from ..scaling import scaling_study

    results, missing = {}, {}
    for i, (ds, pools) in enumerate(POOLS.items()):
        P = pools[0] if quick else pools[1]
        try:
            results[ds] = scaling_study(ds, NNGPKernel("relu", 1), 1e-3, _ns(P), P, trials=6 if quick else 10, seed=0)
        except DataError as exc:
            if ds != "fashion":
                raise
            missing["real_data_scaling"] = f"{FASHION_HINT} ({exc})"
        progress(i + 1, len(POOLS), ds)
    fig, axes = plt.subplots(1, len(results) + 1, figsize=(4.4 * (len(results) + 1), 4.2), squeeze=False)
    for ax, (ds, r) in zip(axes[0], results.items()):
        n = np.array([x["n"] for x in r["rows"]], float)
        e = np.array([x["simulation_mse"] for x in r["rows"]])
        ax.errorbar(n, e, yerr=[2 * x["simulation_sem"] for x in r["rows"]], fmt="o", color="k", ms=4, capsize=2,
                    label="held-out error (±2 s.e.)")
        mid = np.exp(np.mean(np.log(n)))
        anchor = np.exp(np.mean(np.log(e)))
        ax.plot(n, anchor * (n / mid) ** r["measured_slope"], "-", color="k", lw=0.8,
                label=f"measured slope {r['measured_slope']:.3f}")
        ax.plot(n, anchor * (n / mid) ** r["predicted_slope"], "--", color="C3",
                label=f"predicted from the spectrum {r['predicted_slope']:.3f}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        log_ticks_off(ax)
        ax.set_xlabel(r"training-set size $n$")
        ax.set_ylabel("test MSE")
        ax.set_title(f"{r['dataset']}, pool {r['pool']}: " + rf"$\alpha$={r['alpha']:.2f}, $\beta$={r['beta']:.2f}",
                     fontsize=9)
        ax.legend(fontsize=7)
    ax = axes[0][-1]
    for j, (ds, r) in enumerate(results.items()):
        lo, hi = r["measured_slope_ci"]
        ax.errorbar([j - 0.1], [r["measured_slope"]], yerr=[[r["measured_slope"] - lo], [hi - r["measured_slope"]]],
                    fmt="o", color="k", capsize=3, label="measured (95% CI)" if j == 0 else None)
        plo, phi = r["predicted_slope_ci"]
        ax.errorbar([j + 0.1], [r["predicted_slope"]], yerr=[[r["predicted_slope"] - plo], [phi - r["predicted_slope"]]],
                    fmt="s", color="C3", capsize=3, label="predicted (exponent ranges)" if j == 0 else None)
    ax.set_xticks(range(len(results)), [r["dataset"] for r in results.values()])
    ax.set_ylabel(r"learning-curve slope $d\log E/d\log n$")
    ax.set_title("predicted against measured slopes")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out / "scaling.png")
    md = ["## The paper's scaling claim on real data", "", "![scaling](scaling.png)", "",
          "*Figure: held-out learning curves with the measured and the predicted slopes, and the slopes side by side "
          "(claim \"Learning-curve exponent predicted from the spectrum\").*", "",
          "Formula: the RG learns the modes up to the IR stop, so $E(n) \\sim T(\\kappa^*(n)) \\sim \\kappa^{*-\\beta}$ "
          "with $T$ the target's tail power; on the fitted power law $\\lambda_k = A k^{-(1+\\alpha)}$ the stop gives "
          "$\\gamma = d\\log\\kappa^*/d\\log n$ and the predicted slope is $-\\beta\\gamma$ ($-\\beta/(1+\\alpha)$ when "
          "the bare ridge dominates, $-\\beta$ when the tail does). Exponents are fitted on the modes the flow crosses "
          "over the measured n range.", "",
          "| data | pool | n | fit window | alpha [CI] | beta [CI] | gamma | predicted | -beta/(1+alpha) | measured [95% CI] | consistent |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results.values():
        md.append(f"| {r['dataset']} | {r['pool']} | {r['ns'][0]}-{r['ns'][-1]} | {r['fit_window'][0]}-{r['fit_window'][1]} | "
                  f"{r['alpha']:.3f} [{r['alpha_ci'][0]:.3f}, {r['alpha_ci'][1]:.3f}] | "
                  f"{r['beta']:.3f} [{r['beta_ci'][0]:.3f}, {r['beta_ci'][1]:.3f}] | {r['gamma']:.3f} | "
                  f"{r['predicted_slope']:.3f} | {r['predicted_slope_fixed_ridge']:.3f} | {r['measured_slope']:.3f} "
                  f"[{r['measured_slope_ci'][0]:.3f}, {r['measured_slope_ci'][1]:.3f}] | "
                  f"{'yes' if r['consistent'] else '**no**'} |")
    if "real_data_scaling" in missing:
        md += ["", f"Not measured here: {FASHION_HINT}."]
    evidence = {"real_data_scaling": [{k: r[k] for k in ("dataset", "alpha", "alpha_ci", "beta", "predicted_slope",
                                                         "measured_slope", "measured_slope_ci", "consistent")}
                                      for r in results.values()]}
    return {"numbers": results, "markdown": "\n".join(md), "figures": ["scaling.png"], "evidence": evidence,
            "missing": missing}
