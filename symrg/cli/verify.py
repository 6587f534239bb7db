"""``symrg verify``: the registry of cross-checks, in three categories (docs/theory.md section 7): two-route
checks (two computations sharing no code for the quantity), checks of the SymPy -> NumPy lowering, and
regression checks (a value symrg measured once, pinned: a pass means unchanged, never agreement).

The table groups the checks by category, names the category on every row, prints both routes in full
(wrapped) and, for a regression check, the pinned and the measured value; the summary counts each
category apart ("N two-route agree, M lowering pass, K regression unchanged");
``--json`` prints, per check: name, category, claim, route_a, route_b, discrepancy, tolerance,
passed, seconds, detail.  ``--plugin MODULE`` (repeatable) imports a module of the user's that
registers more checks with ``symrg.verify.register_check`` (docs/api.md); they run with the others.

``--full`` adds the heavy high-precision checks of the registry and then the tests of the test suite marked
``slow`` (left out of the default ``pytest`` run; :mod:`symrg.verify.suite`): ``python -m pytest -m slow`` on the
``tests/`` folder of the source checkout, or the folder given with ``--tests`` (not with ``--only``, which
selects registry checks).  Without a suite (an installed package alone) the row says why and the run fails: a
full verification that could not run is not a pass.
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
    "slow_tests": "with --full (and no --only): the tests of the suite marked slow (python -m pytest -m slow), "
                  "else null",
    "slow_tests.ran": "[with --full] false when the suite or pytest was not found (see reason)",
    "slow_tests.passed": "[with --full] pytest exited 0",
    "slow_tests.summary": "[with --full] pytest's summary line (e.g. '40 passed, 1500 deselected in 300s')",
    "slow_tests.returncode": "[with --full] pytest's exit status (null when not run)",
    "slow_tests.seconds": "[with --full] wall time of the pytest run",
    "slow_tests.command": "[with --full] the command run",
    "slow_tests.folder": "[with --full] the tests/ folder run (null when none was found)",
    "slow_tests.reason": "[with --full] why it did not run or did not pass (empty on a pass)",
}


def add_parser(sub):
    p = sub.add_parser("verify", help="run the registry of cross-checks: two-route checks, checks of the "
                                      "SymPy -> NumPy lowering, and regression checks (pinned values, not agreement)")
    p.add_argument("--full", action="store_true", help="also run the heavy high-precision checks, then the tests of "
                                                       "the test suite marked slow (python -m pytest -m slow)")
    p.add_argument("--tests", default=None, metavar="DIR",
                   help="with --full: the tests/ folder of a symrg source checkout (default: the one beside the "
                        "package, else ./tests)")
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

    if args.tests is not None and not args.full:
        from ..errors import ParameterError

        raise ParameterError("tests", args.tests, "--tests together with --full (only --full runs the suite's slow "
                                                  "tests)")
    folder = None
    if args.full:
        from ..verify.suite import find_test_suite

        folder = find_test_suite(args.tests)      # a wrong --tests is refused before minutes of checks
    results = run_checks(full=args.full, only=args.only, progress=prog)
    failed = [r for r in results if not r.passed]
    counts = category_counts(results)
    slow = None
    if args.full and args.only is None:      # --only selects registry checks; the suite runs whole or not at all
        from ..verify.suite import run_slow_tests

        if not args.quiet:
            sys.stderr.write("verify: the test suite's slow tests (python -m pytest -m slow)\n")
        slow = run_slow_tests(folder, stream=None if args.quiet or args.json else sys.stderr)
    if args.json:
        _print_json({"full": args.full, "passed": not failed and (slow is None or slow.passed),
                     "categories": counts, "checks": [r.to_dict() for r in results],
                     "slow_tests": None if slow is None else slow.to_dict()})
    else:
        print(format_table(results))
        for r in failed:
            print(f"\nFAILED {r.name}: {r.detail}")
        print(f"\n{summary_line(results)}")
        if slow is not None:
            print(f"slow tests of the suite: {'passed' if slow.passed else 'NOT RUN' if not slow.ran else 'FAILED'}"
                  f"{': ' + slow.summary if slow.summary else ''}{' (' + slow.reason + ')' if slow.reason else ''}")
    return 1 if failed or (slow is not None and not slow.passed) else 0
