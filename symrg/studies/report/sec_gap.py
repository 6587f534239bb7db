"""Report section: the gap between real-data learning curves and eigenlearning, decomposed, and the
Gaussian-mixture deterministic equivalent that tries to close it (docs/theory.md section 5a).

Evidence key ``nongaussian_gap``: one record per target and n with ``target``, ``n``, ``real``
(exact GP on real pool rows, pool measure), ``real_sem``, ``eigenlearning`` and ``theory`` (the
non-Gaussian prediction), the input of :func:`symrg.studies.gap.gap_claim_verdict`, which decides the claim.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


def _fmt(x):
    return "–" if x is None else f"{x:.3f}"


DEFAULT_JSON = Path("reports/gap/gap_table.json")
HOW = "python -m symrg.studies.gap reports/gap/gap_table.json --pool 3000 --trials 16 (about 20 min on 2 cores)"


def source_path() -> Path:
    env = os.environ.get("SYMRG_GAP_JSON")
    return Path(env) if env else DEFAULT_JSON


def run(out: Path, quick: bool, progress) -> dict:
    """Render the saved gap study (``$SYMRG_GAP_JSON``, else ``reports/gap/gap_table.json`` under the working
    directory) and copy it into the new report; nothing is computed here (the study takes minutes per
    target).  Absent, the section says how to produce it and the claim is reported as not measured."""
    from ..gap import gap_records

    src = source_path()
    head = ["## The non-Gaussian gap: real features against eigenlearning", ""]
    try:
        study = json.loads(src.read_text())
    except (OSError, ValueError) as exc:
        msg = f"no readable gap study at `{src}` ({type(exc).__name__}); produce it with `{HOW}`"
        return {"markdown": "\n".join(head + [msg[0].upper() + msg[1:] + "."]), "numbers": {"source": str(src)},
                "missing": {"nongaussian_gap": msg}}
    (Path(out) / "gap").mkdir(parents=True, exist_ok=True)
    if src.resolve() != (Path(out) / "gap" / "gap_table.json").resolve():
        shutil.copyfile(src, Path(out) / "gap" / "gap_table.json")
    prov = study.get("_provenance", {})
    source = (f"study file {src} ({prov.get('generator', 'python -m symrg.studies.gap')}; written "
              f"{prov.get('date', 'date not recorded')}, commit {prov.get('commit', 'not recorded')})")
    res, table = study["results"], study["table"]
    records = [{**r, "source": source} for r in gap_records(res, "pool_measure")]
    held = [{**r, "source": source} for r in gap_records(res, "heldout")]
    from .claims import gap_claim_verdict

    vp, vh = gap_claim_verdict(records), gap_claim_verdict(held)
    setting = study.get("setting", {})
    md = head + [f"From `{src}` (pools of {setting.get('pool', '?')} rows, {setting.get('trials', '?')} trials, "
                 f"{setting.get('kernel', 'ReLU depth 1')}, ridge {setting.get('ridge', 1e-3)}; produced by `{HOW}`).", "",
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
                  f"{r['pool_rel_sem']:.3f} | {_fmt(r.get('kappa_sensitivity'))} |")
    md += ["", f"Claim (rule in `claims.py`, written before measuring): pool measure **{vp['verdict']}** "
           f"(tests: {vp['tests']}); held-out, same rule: **{vh['verdict']}**."]
    lev = _leverage_markdown(src.parent / "leverage_table.json", Path(out) / "gap" / "leverage_table.json")
    md += lev
    return {"numbers": {"source": str(src), "table": table, "verdict_pool": vp, "verdict_heldout": vh},
            "markdown": "\n".join(md), "figures": [], "evidence": {"nongaussian_gap": records}}


def _leverage_markdown(path: Path, dest: Path) -> list[str]:
    """The perturbative route's table (``python -m symrg.studies.gap OUT --leverage-from GAP_JSON``), when
    the file sits beside the gap study; copied into the report."""
    try:
        lev = json.loads(path.read_text())
    except (OSError, ValueError):
        return ["", f"The perturbative route (leverage expansion): no table at `{path}`; produce it with "
                f"`python -m symrg.studies.gap {path} --leverage-from {DEFAULT_JSON}`."]
    if path.resolve() != dest.resolve():
        shutil.copyfile(path, dest)
    ratio = lambda r, k: _fmt(r[k] / r["eigenlearning"]) if r.get(k) is not None else "breaks down"  # noqa: E731
    md = ["", "**The row-wise equivalent in kept modes and the perturbative route** (docs/theory.md section 5a), "
          f"from `{path}`: each pool row its own group, the top kappa modes kept in full and the rest diagonal "
          "(`rowwise_kept`), and its expansion in the leverage fluctuation u = (delta_i - mean)/(1 + mean) to "
          "order 0, 1, 2 (order 1 brings the joint fourth cumulant of the kept features contracted with Qbar). "
          "\"breaks down\": the truncated series gives negative row weights (it needs max u < 1). All divided "
          "by eigenlearning.", "",
          "| target | n | kappa | real/EL (± 2 s.e.) | mixture/EL | row-wise (kept)/EL | order 0 | order 1 | order 2 "
          "| u rms | u max |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, rows in lev["results"].items():
        for r in rows:
            el = r.get("eigenlearning")
            if not el:
                continue
            real = (f"{r['pool_measure'] / el:.3f} ± {2 * r['pool_measure_sem'] / el:.3f}"
                    if r.get("pool_measure") is not None else "–")
            md.append(f"| {key} | {r['n']} | {r['kappa']} | {real} | {ratio(r, 'theory_nongaussian')} | "
                      f"{ratio(r, 'rowwise_kept')} | {ratio(r, 'order_0')} | {ratio(r, 'order_1')} | "
                      f"{ratio(r, 'order_2')} | {r['u_rms']:.2f} | {r['u_max']:.2f} |")
    return md
