"""``symrg reproduce``: the main job (derive, run the flows, verify, write the report)."""
from __future__ import annotations

from ._common import _print_json

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("reproduce", help="the main job: derive, run the flows, verify, write the report")
    p.add_argument("--quick", action="store_true", help="smaller runs (under 5 minutes on 2 cores)")
    p.add_argument("--out", default="reports", help="output folder (default reports/)")
    p.add_argument("--only", default=None, help="comma-separated sections to run")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..studies.reproduce import SECTIONS, reproduce

    only = None
    if args.only:
        only = [x.strip() for x in args.only.split(",") if x.strip()]
        names = [n for n, _ in SECTIONS]
        bad = [x for x in only if x not in names]
        if bad:
            from ..errors import ParameterError

            raise ParameterError("only", ",".join(bad), f"section names among {names}")
    res = reproduce(args.out, quick=args.quick, show_progress=not args.quiet, only=only)
    if args.json:
        _print_json(res)
    else:
        print(f"report written to {res['out']}/index.md")
        for c in res["claims"]:
            print(f"  [{'holds' if c['holds'] else 'DOES NOT HOLD'}] {c['claim']}: {c['agreement']}")
        if res["failed"]:
            print("FAILED: " + ", ".join(res["failed"]))
    return 1 if res["failed"] else 0
