"""Report section: learning curves on real data (held-out error) against the RG predictions."""
from __future__ import annotations

from pathlib import Path

from ..figures import THEORY_STYLE
from .claims import POOL_FRACTION

THEORY_KEYS = tuple(THEORY_STYLE)


def _rel(a, b):
    return abs(a - b) / b


def run(out: Path, quick: bool, progress) -> dict:
    from ..realdata import exponent_ci, real_data_study

    res = real_data_study(out, quick=quick, progress=progress)
    md = ["## Learning curves on real data", "", "![real](learning_curves_real.png)", "",
          "*Figure: exact GP trained on n rows of a pool of P rows (P in each panel's title), error on held-out rows "
          "(points, ±2 s.e.), against the three RG predictions and eigenlearning from the pool spectrum (claims "
          f"\"Test error predicted by the RG\"). Shaded: n > P/{round(1 / POOL_FRACTION)}, beyond the claims' regime "
          "(the pool is being exhausted). The y-range is that of the simulation and of the predictions within a "
          "factor 3 of it: the paper's sharp stop collapses towards zero once its stop passes every pool mode, and "
          "leaves the panel there.*", "",
          f"Max relative error of each theory against the held-out error, for n <= P/{round(1 / POOL_FRACTION)} "
          "(the claims' regime) and beyond (pool exhaustion; the theories describe the pool measure, which includes "
          "the training rows).", "",
          "| setting | P | regime | RG paper | RG budget | RG self-consistent | eigenlearning | measured slope [95% CI] |",
          "|---|---|---|---|---|---|---|---|"]
    accuracy = []
    for key, r in res.items():
        P = r["pool"]
        fam = key.split("/")[0]
        for row in r["rows"]:
            accuracy.append({"setting": key, "family": fam, "n": row["n"], "sim": row["simulation_mse"],
                             "sem": row["simulation_sem"], "in_regime": row["n"] <= POOL_FRACTION * P,
                             **{k: row[k] for k in THEORY_KEYS}})
        e = exponent_ci([x["n"] for x in r["rows"]], [x["simulation_mse"] for x in r["rows"]])
        for regime, sel in (("n <= P/10", lambda x: x["n"] <= POOL_FRACTION * P),
                            ("n > P/10", lambda x: x["n"] > POOL_FRACTION * P)):
            pts = [x for x in r["rows"] if sel(x)]
            if not pts:
                continue
            errs = " | ".join(f"{max(_rel(x[k], x['simulation_mse']) for x in pts):.2f}" for k in THEORY_KEYS)
            md.append(f"| {key} | {P} | {regime} | {errs} | {e['slope']:.3f} [{e['ci95'][0]:.3f}, {e['ci95'][1]:.3f}] |")
    evidence = {f"accuracy_{key}": accuracy for key in THEORY_KEYS}
    return {"numbers": res, "markdown": "\n".join(md), "figures": ["learning_curves_real.png"], "evidence": evidence}
