"""``symrg reproduce``: the main job (derive, run the flows, verify, write the report)."""
from __future__ import annotations

from ._common import _dask_args, _executor, _print_json

__all__ = ["add_parser", "run", "JSON_KEYS"]

JSON_KEYS = {
    "claims": "one row per claim of the paper with evidence from the sections run (or a reason it was not measured)",
    "claims[].key": "short name of the claim",
    "claims[].claim": "the claim, in one line",
    "claims[].paper": "what the paper states",
    "claims[].regime": "where the claim is tested",
    "claims[].criterion": "the rule that decides it, fixed before measuring",
    "claims[].measured": "what was measured",
    "claims[].verdict": "yes, no, unresolved (the intervals cannot decide), or not measured",
    "claims[].why": "the rule's reason for the verdict (for unresolved: how much more data would decide)",
    "claims[].evidence": "where the evidence comes from: computed in this run, or a named benchmark file",
    "claims[].holds": "true for yes, false for no, null otherwise",
    "failed": "derivations or checks that failed (exit status 1)",
    "claims_not_holding": "the claims whose rule says they do not hold (exit status 1 with --strict)",
    "timings": "seconds per section run",
    "timings.<section>": "seconds the section took",
    "out": "the output folder (index.md is the report)",
}


def add_parser(sub):
    from ..studies.report import SECTION_HELP

    p = sub.add_parser("reproduce", help="the main job: derive, run the flows, verify, write the report")
    p.add_argument("--quick", action="store_true", help="smaller runs (a few minutes on 2 cores)")
    p.add_argument("--out", default="reports",
                   help="output folder (default ./reports); replaced only when the run is complete, and only when it "
                        "holds nothing but what symrg wrote there (listed in its .symrg-manifest)")
    p.add_argument("--force", action="store_true",
                   help="replace the --out folder even when it holds files symrg did not write")
    p.add_argument("--only", default=None,
                   help="comma-separated sections to run: " + "; ".join(f"{k} ({v})" for k, v in SECTION_HELP.items()))
    p.add_argument("--strict", action="store_true",
                   help="exit with status 1 when a claim does not hold (the report is written either way)")
    _dask_args(p)
    p.add_argument("--processes", type=int, default=None,
                   help="run the sections in a pool of N local processes (default: the cores, at most 4; 1 runs them one "
                        "after another in this process); --workers/--scheduler use Dask instead")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="print the claims and failures as JSON")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..studies.report import reproduce

    only = [x.strip() for x in args.only.split(",") if x.strip()] if args.only else None
    from ._common import _progress

    from .._parallel import free_cores
    from ..errors import ParameterError

    # default: one process per core this process may run on (at most 4: each holds its own data); every process
    # has one BLAS thread, so a busy machine is shared, not oversubscribed
    processes = min(4, free_cores(load=0.0)) if args.processes is None else args.processes
    if not isinstance(processes, int) or processes < 1:
        raise ParameterError("--processes", args.processes, "a positive integer (1: one section after another)")
    with _executor(args, None if args.quiet else _progress("sections done")) as ex:
        res = reproduce(args.out, quick=args.quick, show_progress=not args.quiet, only=only, executor=ex,
                        force=args.force, processes=processes)
    if args.json:
        _print_json(res)
    else:
        print(f"report written to {res['out']}/index.md")
        for c in res["claims"]:
            print(f"  [{c['verdict']}] {c['claim']}")
        if res["failed"]:
            print("FAILED: " + ", ".join(res["failed"]))
    if res["failed"]:
        return 1
    return 1 if (args.strict and res["claims_not_holding"]) else 0
