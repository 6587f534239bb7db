"""Report section: spectra without a kernel matrix, the Hermite-eigenstructure ansatz (docs/theory.md 4d).

Nothing is computed here: the numbers come from ``benchmarks/bench_hermite.py`` (exact top-kappa spectra of
several pools, minutes on two cores), whose JSON this section renders when it is present -- at
``$SYMRG_HERMITE_JSON``, else ``reports/hermite/hermite_accuracy.json`` under the working directory -- and
copies into the new report (``hermite/hermite_accuracy.json``).  Absent, the section says how to produce it.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

DEFAULT_JSON = Path("reports/hermite/hermite_accuracy.json")
HOW = "PYTHONPATH=. python benchmarks/bench_hermite.py --out reports/hermite/hermite_accuracy.json"


def source_path() -> Path:
    env = os.environ.get("SYMRG_HERMITE_JSON")
    return Path(env) if env else DEFAULT_JSON


def _f(x, fmt="{:.3g}"):
    return "-" if x is None else fmt.format(x)


def run(out: Path, quick: bool, progress) -> dict:
    src = source_path()
    head = ["## Spectra without a kernel matrix: the Hermite-eigenstructure ansatz", ""]
    if not src.is_file():
        msg = f"no benchmark results at `{src}`; produce them with `{HOW}`"
        return {"markdown": "\n".join(head + [msg.capitalize() + "."]), "numbers": {"source": str(src)},
                "evidence": {}, "missing": {}}
    try:
        data = json.loads(src.read_text())
        cases = data["cases"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = f"the benchmark results at `{src}` cannot be read ({exc}); produce them again with `{HOW}`"
        return {"markdown": "\n".join(head + [msg[0].upper() + msg[1:] + "."]), "numbers": {"source": str(src)},
                "evidence": {}, "missing": {}}
    (out / "hermite").mkdir(parents=True, exist_ok=True)
    if src.resolve() != (out / "hermite" / "hermite_accuracy.json").resolve():
        shutil.copyfile(src, out / "hermite" / "hermite_accuracy.json")
    md = head + [
        f"From `{src}` (command `{data.get('command', '')}`). The eigenvalues of the ansatz (docs/theory.md "
        "section 4d: the second moment's principal directions, the leading one treated exactly, Hermite "
        "polynomials of the others, the kernel's power series) against the exact top-kappa spectrum of (1/P) K "
        f"({data.get('reference', 'dense eigh')}); error = {data.get('error', 'relative error per mode')}. "
        "'listed' counts the modes the ansatz gives before its level coefficients start to grow (beyond, it "
        "refuses).", "",
        "| data | P | depth | listed / kappa | modes | median rel. error | max rel. error |", "|---|---|---|---|---|---|---|"]
    for c in cases:
        for r in c["bands"]:
            md.append(f"| {c['data']} | {c['pool']} | {c['depth']} | {c['listed']} / {c['kappa']} | {r['modes']} "
                      f"({r['listed']} listed) | {_f(r['median_rel_error'])} | {_f(r['max_rel_error'])} |")
    md += ["", "Relative error of the cumulative power sum_{k <= K} lambda_k:", "",
           "| data | P | depth | K | rel. error | plain ansatz (every direction Hermite) |", "|---|---|---|---|---|---|"]
    for c in cases:
        plain = c.get("plain", {})
        note = "refused" if "refused" in plain else f"lists {plain.get('listed', '-')} modes"
        for x in c["cumulative"]:
            md.append(f"| {c['data']} | {c['pool']} | {c['depth']} | {x['K']} | {x['rel_error']:.2g} | {note} |")
    t = data.get("timing")
    if t:
        line = (f"Time at P = {t['P']} (Fashion training split, kappa = {t['kappa']}, {t['kernel']}): the ansatz "
                f"{t['seconds_hermite']:.1f} s ({t['listed']} modes listed)")
        if "seconds_randomized" in t:
            line += (f"; the randomized top-kappa solver at P = {t['randomized_P']}, measured in the same run: "
                     f"{t['seconds_randomized']:.0f} s ({t['ratio_randomized_small_over_hermite_60000']:.0f} times "
                     "the ansatz at six times the pool)")
        if "recorded_randomized_60000_seconds" in t:
            line += (f"; the randomized solver at P = 60000 as recorded in {t['recorded_source']} (not re-run): "
                     f"{t['recorded_randomized_60000_seconds']:.0f} s, "
                     f"{t['ratio_recorded_randomized_60000_over_hermite_60000']:.0f} times the ansatz")
        md += ["", line + "."]
    return {"markdown": "\n".join(md), "numbers": {"source": str(src), **{k: v for k, v in data.items()
                                                                          if k != "_provenance"}},
            "evidence": {}, "missing": {}}
