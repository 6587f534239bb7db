"""Report section: the RG at real scale on Fashion-MNIST (docs/theory.md sections 4b and 4c).

Nothing is computed here: the numbers come from ``benchmarks/bench_scale.py`` (hours on two cores
at full size), whose JSON this section renders when it is present -- at ``$SYMRG_SCALE_JSON``, else
``reports/scale/fashion_scale.json`` under the working directory -- and copies into the new report
(``scale/fashion_scale.json``), so that replacing the report keeps it.  Absent, the section says
how to produce it, and the claim "scaling_at_scale" is reported as not measured.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


DEFAULT_JSON = Path("reports/scale/fashion_scale.json")
HOW = ("PYTHONPATH=. python benchmarks/bench_scale.py --out reports/scale/fashion_scale.json "
       "(full size: --max-p 60000 --max-n 3000; quick check: --max-p 10000 --max-n 500)")


def source_path() -> Path:
    env = os.environ.get("SYMRG_SCALE_JSON")
    return Path(env) if env else DEFAULT_JSON


def _gb(b):
    return f"{b / 1e9:.2f}"


def run(out: Path, quick: bool, progress) -> dict:
    src = source_path()
    head = ["## Real scale: Fashion-MNIST spectra and learning curves", ""]
    if not src.is_file():
        msg = f"no benchmark results at `{src}`; produce them with `{HOW}`"
        return {"markdown": "\n".join(head + [msg.capitalize() + "."]), "numbers": {"source": str(src)},
                "missing": {"scaling_at_scale": msg}}
    try:
        data = json.loads(src.read_text())
    except (OSError, ValueError) as exc:
        msg = f"the benchmark results at `{src}` cannot be read ({exc}); produce them again with `{HOW}`"
        return {"markdown": "\n".join(head + [msg[0].upper() + msg[1:] + "."]), "numbers": {"source": str(src)},
                "missing": {"scaling_at_scale": msg}}
    (out / "scale").mkdir(parents=True, exist_ok=True)
    if src.resolve() != (out / "scale" / "fashion_scale.json").resolve():
        shutil.copyfile(src, out / "scale" / "fashion_scale.json")
    md = head + [f"From `{src}` ({data.get('_provenance', {}).get('source', 'benchmarks/bench_scale.py')}; "
                 f"command `{data.get('command', '')}`); {data.get('kernel', '')}.", ""]
    spec = data.get("spectrum")
    max_pool = 0
    if spec:
        md += [f"**Spectrum** (top kappa = {spec['kappa']}, randomized block solver, {spec['dtype']} tiles): time and "
               "peak traced memory against the pool size P.", "", "| P | time (s) | peak memory (GB) | passes |",
               "|---|---|---|---|"]
        for r in spec["measured"]:
            md.append(f"| {r['P']} | {r['seconds']:.1f} | {_gb(r['peak_bytes'])} | {r['passes']} |")
            max_pool = max(max_pool, r["P"])
        for r in spec.get("projected", []):
            md.append(f"| {r['P']} (projected) | {r['seconds_power_law']:.0f} (power law), "
                      f"{r['seconds_component_model']:.0f} (P^2 model) | - | - |")
        if "time_exponent" in spec:
            md += ["", f"Fitted exponents: time ~ P^{spec['time_exponent']:.2f}, memory ~ P^{spec['memory_exponent']:.2f}."]
        if spec.get("conditions"):
            md += ["", f"Conditions: {spec['conditions']}."]
        md.append("")
    extra = data.get("spectrum_other_runs")
    if extra:
        md += [f"**Other runs of the spectrum** ({extra['conditions']}):", "", "| P | time (s) | peak memory (GB) | passes |",
               "|---|---|---|---|"]
        md += [f"| {r['P']} | {r['seconds']:.1f} | {_gb(r['peak_bytes'])} | {r['passes']} |" for r in extra["measured"]]
        md.append("")
    cmp_ = data.get("compare")
    if cmp_:
        md += [f"**Randomized against dense eigh** at P = {cmp_['P']} (reference: {cmp_['reference']}).", "",
               "| kappa | time randomized / exact | memory ratio | max rel. error of top kappa | tail power rel. error |",
               "|---|---|---|---|---|"]
        for r in cmp_["rows"]:
            md.append(f"| {r['kappa']} | {r['time_ratio_randomized_over_exact']:.2f} | "
                      f"{r['memory_ratio_randomized_over_exact']:.2f} | {r['randomized_max_relative_error']:.1e} | "
                      f"{r['randomized_tail_relative_error']:.1e} |")
        md.append("")
    curve = data.get("curve")
    evidence, missing = {}, {}
    if curve:
        ci = lambda k: (f"[{curve[k][0]:.3f}, {curve[k][1]:.3f}]" if curve.get(k) and None not in curve[k]  # noqa: E731
                        else "[not recorded]")
        num = lambda k, f=".3f": format(curve[k], f) if isinstance(curve.get(k), (int, float)) else "not recorded"  # noqa: E731
        krange = curve.get("kappa_star_range")
        md += [f"**Learning curve** ({curve['target']}, pool {curve['pool']}, top {curve['kappa']} modes listed, ridge "
               f"{curve['ridge']:g}, {curve['trials']} trials, held-out test error), by the fair-test recipe of "
               "docs/theory.md section 4c.", "",
               f"- n-window {min(curve['ns'])}..{max(curve['ns'])}"
               + (f" ({curve['n_max_rule']})" if curve.get("n_max_rule") else "")
               + (f"; the stop crosses modes {krange[0]:.1f}..{krange[1]:.1f}" if krange else
                  "; the modes the stop crosses: not recorded")
               + f"; fit window {curve['fit_window'][0]}..{curve['fit_window'][1]} ({curve.get('fit_window_rule', '')})",
               f"- alpha {curve['alpha']:.3f} {ci('alpha_ci')}, beta {curve['beta']:.3f} {ci('beta_ci')}, gamma "
               f"{num('gamma')} {ci('gamma_ci')}",
               f"- slopes: predicted {curve['predicted_slope']:.3f} {ci('predicted_slope_ci')}, measured "
               f"{curve['measured_slope']:.3f} {ci('measured_slope_ci')}, eigenlearning on the pool spectrum "
               f"{num('eigenlearning_slope')} {ci('eigenlearning_slope_ci')}"
               + (f"; measured - eigenlearning {num('eigenlearning_gap_slope')} {ci('eigenlearning_gap_slope_ci')}: "
                  f"{curve['eigenlearning_verdict']}" if curve.get("eigenlearning_verdict") else ""),
               f"- verdict of this file: {curve.get('verdict', 'not recorded')}"
               + (f" ({curve['verdict_why']})" if curve.get("verdict_why") else "")
               + " (the claims table decides again from the same numbers)",
               "", "| n | held-out MSE | RG | eigenlearning |", "|---|---|---|---|"]
        if curve.get("spectrum_reused_from_spectrum_part"):
            md[-9] += (f" The pool's top-{curve['kappa']} spectrum is the one measured above (same pool, kernel, seed "
                       f"and dtype); the curve's {curve['seconds']:.0f} s leave it out.")
        for r in curve["rows"]:
            md.append(f"| {r['n']} | {r['simulation_mse']:.4g} | {r['theory_rg']:.4g} | {r['theory_eigenlearning']:.4g} |")
        ng = curve.get("nongaussian")
        if ng:
            v = ng["verdicts"]
            md += ["", f"**Beyond eigenlearning at full scale** (the class-mixture theory on the top-{curve['kappa']} route, "
                   f"{ng['n_groups']} {ng['groups']}; docs/theory.md section 5a; {ng['seconds']:.1f} s for the whole curve): "
                   "the real error on held-out images and under the pool measure "
                   f"({ng['pool_measure_rows']}) divided by eigenlearning and by the theory.", "",
                   "| n | held-out/EL | held-out/theory | pool/EL | pool/theory | rel. s.e. (held-out, pool) | kappa | 2-kappa change |",
                   "|---|---|---|---|---|---|---|---|"]
            for t in ng["table"]:
                md.append(f"| {t['n']} | {t['heldout_over_eigenlearning']:.3f} | {t['heldout_over_nongaussian']:.3f} | "
                          f"{t['pool_over_eigenlearning']:.3f} | {t['pool_over_nongaussian']:.3f} | "
                          f"{t['heldout_sem_relative']:.3f}, {t['pool_sem_relative']:.3f} | {t['kappa_theory']} | "
                          f"{t['kappa_sensitivity']:.3f} |")
            md += ["", f"The gap claim's rule (`claims.gap_claim_verdict`) on these rows: held-out **{v['heldout']['verdict']}** "
                   f"(tests {v['heldout']['tests']}), pool measure **{v['pool_measure']['verdict']}** "
                   f"(tests {v['pool_measure']['tests']})."]
        prov = data.get("_provenance", {})
        rec = {**{k: curve.get(k) for k in ("dataset", "ns", "pool", "trials", "fit_window", "kappa_star_range",
                                             "predicted_slope", "predicted_slope_ci", "measured_slope",
                                             "measured_slope_ci", "gamma", "eigenlearning_slope",
                                             "eigenlearning_slope_ci")},
               "listed_modes": curve.get("listed_modes", curve.get("kappa")), "max_spectrum_pool": max_pool,
               "source": (f"benchmark file {src} (written {prov.get('date', 'date not recorded')}, commit "
                          f"{prov.get('commit', 'not recorded')}; {curve.get('trials')} trials, pool {curve['pool']}, "
                          f"spectra to P = {max_pool})")}
        evidence["scaling_at_scale"] = [rec]
    else:
        missing["scaling_at_scale"] = "the benchmark results hold no learning curve (run without --skip-curve)"
    return {"markdown": "\n".join(md), "numbers": {"source": str(src), **{k: v for k, v in data.items()
                                                                          if k != "_provenance"}},
            "evidence": evidence, "missing": missing}
