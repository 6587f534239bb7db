"""``symrg verify``: the registry of cross-checks, in three categories (docs/theory.md section 7): two-route
checks (two computations sharing no code for the quantity), checks of the SymPy -> NumPy lowering, and
regression checks (a value symrg measured once, pinned: a pass means unchanged, never agreement).

The table groups the checks by category, names the category on every row, prints both routes in full
(wrapped) and, for a regression check, the pinned and the measured value; the summary counts each
category apart ("N two-route agree, M lowering pass, K regression unchanged");
``--json`` prints, per check: name, category, claim, route_a, route_b, discrepancy, tolerance,
passed, seconds, detail.  ``--plugin MODULE`` (repeatable) imports a module of the user's that
registers more checks with ``symrg.verify.register_check`` (docs/api.md); they run with the others.
"""
from __future__ import annotations

import sys

from ._common import _print_json

__all__ = ["add_parser", "run", "JSON_KEYS"]

JSON_KEYS = {
    "full": "whether the heavy checks (--full) were run",
    "passed": "true when every check passed",
    "categories": "per category of check",
    "categories.<category>": "two-route (two routes sharing no code for the quantity), lowering (generated NumPy "
                             "vs its mpmath twin, regeneration) or regression (a value symrg measured once, "
                             "pinned: a pass means unchanged, not agreement)",
    "categories.<category>.description": "what the category means",
    "categories.<category>.checks": "checks run",
    "categories.<category>.failed": "checks failed",
    "checks": "one row per check run",
    "checks[].name": "name of the check",
    "checks[].category": "its category: two-route, lowering or regression",
    "checks[].claim": "the quantity or identity checked",
    "checks[].route_a": "first route (regression: the value measured now)",
    "checks[].route_b": "second route, sharing no code with the first (regression: the pinned value)",
    "checks[].discrepancy": "measured discrepancy between the routes (regression: distance from the pinned band)",
    "checks[].tolerance": "the largest discrepancy that passes",
    "checks[].passed": "discrepancy <= tolerance (regression: the value is unchanged, not an agreement)",
    "checks[].seconds": "run time",
    "checks[].detail": "the numbers behind the discrepancy (regression: the pinned and the measured value)",
}


def add_parser(sub):
    p = sub.add_parser("verify", help="run the registry of cross-checks: two-route checks, checks of the "
                                      "SymPy -> NumPy lowering, and regression checks (pinned values, not agreement)")
    p.add_argument("--full", action="store_true", help="also run the heavy high-precision checks")
    p.add_argument("--only", default=None, help="run only checks whose name contains this text")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="a module of yours that registers checks with symrg.verify.register_check: a .py file "
                        "(mychecks.py or path/to/mychecks.py), a module in the current folder (mychecks), or a "
                        "dotted name on the Python path (mypackage.mychecks); repeatable")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..verify import category_counts, format_table, load_plugin, run_checks, summary_line

    for name in getattr(args, "plugin", None) or []:
        load_plugin(name)

    def prog(i, n, name):
        if not args.quiet:
            sys.stderr.write(f"verify: {i}/{n} {name}\n")
            sys.stderr.flush()

    results = run_checks(full=args.full, only=args.only, progress=prog)
    failed = [r for r in results if not r.passed]
    counts = category_counts(results)
    if args.json:
        _print_json({"full": args.full, "passed": not failed, "categories": counts,
                     "checks": [r.to_dict() for r in results]})
    else:
        print(format_table(results))
        for r in failed:
            print(f"\nFAILED {r.name}: {r.detail}")
        print(f"\n{summary_line(results)}")
    return 1 if failed else 0
