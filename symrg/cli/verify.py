"""``symrg verify``: the registry of two-route cross-checks."""
from __future__ import annotations

import sys

from ._common import _print_json

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("verify", help="run the registry of cross-checks (two routes per closed form)")
    p.add_argument("--full", action="store_true", help="also run the heavy high-precision checks")
    p.add_argument("--only", default=None, help="run only checks whose name contains this text")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..verify import format_table, run_checks

    def prog(i, n, name):
        if not args.quiet:
            sys.stderr.write(f"verify: {i}/{n} {name}\n")
            sys.stderr.flush()

    results = run_checks(full=args.full, only=args.only, progress=prog)
    failed = [r for r in results if not r.passed]
    if args.json:
        _print_json({"full": args.full, "passed": not failed, "checks": [r.to_dict() for r in results]})
    else:
        print(format_table(results))
        for r in failed:
            print(f"\nFAILED {r.name}: {r.detail}")
        print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
