"""Report section: the gap between real-data learning curves and eigenlearning, decomposed, and the
Gaussian-mixture deterministic equivalent that tries to close it (docs/theory.md section 5a).

Evidence key ``nongaussian_gap``: one record per target and n with ``target``, ``n``, ``real``
(exact GP on real pool rows, pool measure), ``real_sem``, ``eigenlearning`` and ``theory`` (the
non-Gaussian prediction), the input of :func:`symrg.studies.gap.gap_claim_verdict`, which decides the claim.
"""
from __future__ import annotations

from pathlib import Path


def _fmt(x):
    return "–" if x is None else f"{x:.3f}"


def run(out: Path, quick: bool, progress) -> dict:
    from ..gap import gap_claim_verdict, gap_records, gap_study, gap_table

    def prog(i, t):
        if progress:
            progress(f"gap {i}/{t}")

    study = gap_study(quick=quick, progress=prog)
    res = study["results"]
    table = gap_table(study)
    records = gap_records(res, "pool_measure")
    vp, vh = gap_claim_verdict(records), study["verdict_heldout"]
    md = ["## The non-Gaussian gap: real features against eigenlearning", "",
          "Per target and n: the exact GP on real pool rows (pool measure and held-out rows) divided by eigenlearning "
          "and by the Gaussian-mixture deterministic equivalent (docs/theory.md section 5a), with the Gaussian and "
          "class-mixture surrogates divided by eigenlearning. The three parts of the gap: finite n (Gaussian "
          "surrogate / eigenlearning), non-Gaussian features (pool measure / Gaussian surrogate), pool against "
          "population (held-out / pool measure).", "",
          "| target | P | n | pool/EL | pool/theory | held-out/EL | held-out/theory | Gaussian/EL | mixture/EL "
          "| theory/EL | s.e. (pool) | kappa check |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table:
        md.append(f"| {r['target']} | {r['pool']} | {r['n']} | {_fmt(r['pool_over_eigenlearning'])} | "
                  f"{_fmt(r['pool_over_theory'])} | {_fmt(r.get('heldout_over_eigenlearning'))} | "
                  f"{_fmt(r.get('heldout_over_theory'))} | {_fmt(r['gaussian_surrogate_over_eigenlearning'])} | "
                  f"{_fmt(r['mixture_surrogate_over_eigenlearning'])} | {_fmt(r['theory_over_eigenlearning'])} | "
                  f"{r['pool_rel_sem']:.3f} | {r['kappa_sensitivity']:.3f} |")
    md += ["", f"Claim (rule of `gap_claim_verdict`, written before measuring): pool measure **{vp['verdict']}** "
           f"(tests: {vp['tests']}); held-out, same rule: **{vh['verdict']}**."]
    return {"numbers": {"results": res, "table": table, "verdict_pool": vp, "verdict_heldout": vh},
            "markdown": "\n".join(md), "figures": [], "evidence": {"nongaussian_gap": records}}
