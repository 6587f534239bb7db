"""Report section: feature statistics, the input-dependent ridge and reduced GPs on real data
(docs/theory.md section 5)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

VARIANTS = ("truncated", "renormalized_const", "renormalized_x", "exact_diagonal")


def _median_interval(values) -> tuple[float, float]:
    """95% bootstrap interval of a window's median kurtosis over its modes (claims.median_ci)."""
    from .claims import median_ci

    _, lo, hi = median_ci(values)
    return lo, hi


def _feature_stats(out: Path, quick: bool, say):
    from ...data import load_digits, load_mnist
    from ...spectra.empirical import EmpiricalSpectrum
    from ...spectra.kernels import NNGPKernel
    from ..diagnostics import feature_moments, write_feature_figures
    from ..input_ridge_study import study_pool

    stats, figs = {}, []
    for ds, loader in (("mnist", load_mnist), ("digits", load_digits)):
        X, _ = study_pool(loader(), "ovr0", 1000 if quick else 2000, seed=0)
        spec = EmpiricalSpectrum.from_gram(NNGPKernel("relu", 1).gram(X), check=False)
        figs += [Path(f).name for f in write_feature_figures(spec, out, name=f"features_{ds}")]
        mom = feature_moments(spec.phi)
        lam = spec.eigenvalues
        n_ok = int(np.count_nonzero(lam > 1e-10 * lam[0]))
        kurt = np.asarray(mom["excess_kurtosis"])
        tail = np.asarray(mom["tail_weight_3sigma"])
        windows = {"low": slice(1, 11), "middle": slice(int(0.4 * n_ok), int(0.7 * n_ok)),
                   "top_decile": slice(int(0.9 * n_ok), n_ok)}
        stats[ds] = {"n_points": int(X.shape[0]), "n_modes": n_ok, "gaussian_tail3": float(mom["gaussian_tail_3sigma"])}
        for w, sl in windows.items():
            lo, hi = _median_interval(kurt[sl])
            stats[ds][w] = {"modes": f"{sl.start + 1}-{sl.stop}", "median_kurtosis": float(np.median(kurt[sl])),
                            "median_kurtosis_ci": [lo, hi], "tail3": float(np.mean(tail[sl]))}
        say(f"feature statistics {ds} done")
    return stats, figs


def _caption(name: str) -> str:
    """What figure ``name`` shows and which claim it supports (the report's caption)."""
    import re

    m = re.match(r"(features|input_ridge)_(.+?)_(joint|moments|rel_error|test_mse)\.png$", name)
    ds = m.group(2) if m else ""
    return {
        "joint": f"joint values of two low and two high Mercer features of the ReLU NNGP over the {ds} pool, with "
                 "the Gaussian of the same mean and covariance (claim \"Gaussian-looking low modes, heavy-tailed high "
                 "modes\").",
        "moments": f"excess kurtosis and mass beyond 3 standard deviations of each feature against the mode number "
                   f"k on {ds} (claim \"Gaussian-looking low modes, heavy-tailed high modes\").",
        "rel_error": f"reduced GP models on {ds}: relative prediction error against the full GP of (a) truncation, "
                     "(b) the constant renormalised ridge, (c) the input-dependent ridge sigma^2(x), (d) the exact "
                     "diagonal, against the cutoff kappa (claims \"Input-dependent ridge\" and \"Reduced GP\").",
        "test_mse": f"reduced GP models on {ds}: test MSE of the four models and of the full GP against the cutoff "
                    "kappa (claim \"Reduced GP against the full GP\").",
    }.get(m.group(3) if m else "", "share of the constant ridge's excess error (against the exact diagonal) that the "
          "input-dependent ridge removes, per data set (claim \"Input-dependent ridge from non-Gaussian features\").")


def run(out: Path, quick: bool, progress) -> dict:
    from ..input_ridge_study import run_ridge_study

    def say(msg):
        if progress:
            progress(msg)

    stats, figs = _feature_stats(out, quick, say)
    res = run_ridge_study(out, quick=quick, progress=say)
    figs += list(res.get("figures", []))
    # pooled (b)->(d) gap closed by (c), at kappa >= n/2; and (b)/(a), (d)/(a) at kappa = n
    eb, ec, ed, ratios_b, ratios_d, table = [], [], [], [], [], []
    b_runs, c_runs = [], []   # per run: mean over its kappa >= n/2 (runs are the independent units)
    for run_ in res["runs"]:
        d = run_["comparison"]
        kap = list(d["kappas"])
        n = run_["n_train"]
        e = {v: np.asarray(d["rel_error"][v]) for v in VARIANTS}
        upper = [i for i, k in enumerate(kap) if k >= n / 2]
        b_runs.append(float(np.mean(e["renormalized_const"][upper])))
        c_runs.append(float(np.mean(e["renormalized_x"][upper])))
        for i, k in enumerate(kap):
            if k >= n / 2:
                eb.append(e["renormalized_const"][i])
                ec.append(e["renormalized_x"][i])
                ed.append(e["exact_diagonal"][i])
        i = kap.index(n)
        ratios_b.append(e["renormalized_const"][i] / e["truncated"][i])
        ratios_d.append(e["exact_diagonal"][i] / e["truncated"][i])
        table.append(f"| {run_['dataset']} | {run_['target']} | {run_['depth']} | {n} | "
                     + " | ".join(f"{e[v][i]:.3f}" for v in VARIANTS)
                     + f" | {d.get('full_test_mse', float('nan')):.4f} |")
    eb, ec, ed = map(np.asarray, (eb, ec, ed))
    gap = float((eb.mean() - ec.mean()) / (eb.mean() - ed.mean())) if abs(eb.mean() - ed.mean()) > 0 else float("nan")
    evidence = {
        "gaussian_low_heavy_high": [{"dataset": ds, "low": v["low"]["median_kurtosis"],
                                     "low_ci": v["low"]["median_kurtosis_ci"],
                                     "middle": v["middle"]["median_kurtosis"], "top": v["top_decile"]["median_kurtosis"],
                                     "top_ci": v["top_decile"]["median_kurtosis_ci"]}
                                    for ds, v in stats.items()],
        "input_ridge": [{"gap": gap, "b": float(eb.mean()), "c": float(ec.mean()), "d": float(ed.mean()),
                         "runs": len(res["runs"]), "b_runs": b_runs, "c_runs": c_runs}],
        "reduced_gp": [{"median_const": float(np.median(ratios_b)), "median_diag": float(np.median(ratios_d)),
                        "runs": len(ratios_b), "ratios": [float(r) for r in ratios_b]}],
    }
    md = ["## Input-dependent ridge and reduced GPs on real data", "",
          *[x for f in figs for x in (f"![{f}]({f})", "", f"*Figure: {_caption(f)}*", "")],
          "Feature statistics (ReLU NNGP, depth 1):", "",
          "| data | window | modes | median excess kurtosis | mass beyond 3 sd (Gaussian 0.0027) |",
          "|---|---|---|---|---|",
          *[f"| {k} | {w} | {v[w]['modes']} | {v[w]['median_kurtosis']:.2f} | {v[w]['tail3']:.4f} |"
            for k, v in stats.items() for w in ("low", "middle", "top_decile")],
          "", "Relative prediction error against the full GP at kappa = n (all kappa in `input_ridge_study.json`):", "",
          "| data | target | depth | n | (a) truncated | (b) constant ridge | (c) $\\sigma^2(x)$ | (d) exact diagonal | "
          "full GP test MSE |", "|---|---|---|---|---|---|---|---|---|", *table]
    return {"numbers": {"study": res, "feature_stats": stats, "gap_closed": gap}, "markdown": "\n".join(md),
            "figures": figs, "evidence": evidence}
