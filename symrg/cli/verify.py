"""``symrg verify``: the registry of cross-checks (two-route checks and checks of the SymPy -> NumPy lowering).

The table groups the checks by category and shows each check's discrepancy against its tolerance;
``--json`` prints, per check: name, category, claim, route_a, route_b, discrepancy, tolerance,
passed, seconds, detail.  ``--plugin MODULE`` (repeatable) imports a module of the user's that
registers more checks with ``symrg.verify.register_check`` (docs/api.md); they run with the others.
"""
from __future__ import annotations

import sys

from ._common import _print_json

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("verify", help="run the registry of cross-checks (two-route checks and checks of the "
                                      "SymPy -> NumPy lowering)")
    p.add_argument("--full", action="store_true", help="also run the heavy high-precision checks")
    p.add_argument("--only", default=None, help="run only checks whose name contains this text")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import this Python module (a dotted name on the Python path, e.g. mypackage.mychecks) "
                        "that registers checks of its own with symrg.verify.register_check; repeatable")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..verify import category_counts, format_table, load_plugin, run_checks

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
        per = ", ".join(f"{c}: {v['checks'] - v['failed']}/{v['checks']}" for c, v in counts.items())
        print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed ({per})")
    return 1 if failed else 0
