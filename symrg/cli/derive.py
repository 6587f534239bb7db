"""``symrg derive FILE --order N [--latex] [--json]``: the Wilsonian step of an action file.

Prints the effective couplings (and flows) of the kept fields; ``--json`` prints the public
JSON contract (keys ``order``, ``fields``, ``coefficients`` -- monomial in SymPy syntax, ``"1"``
for the vacuum constant, with ``S_eff`` normalised so that only the Gaussian normalisation of the
integrated fields is dropped --, ``flow``, ``diagrams``); ``--latex`` prints a LaTeX body.
docs/theory.md section 3.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

from ..errors import ParameterError, SymrgError

__all__ = ["add_parser", "run", "JSON_KEYS"]

DESCRIPTION = ("The Wilsonian step of an action file (docs/theory.md section 3): integrate out the integrated "
               "fields to the given order in the interaction and print the effective couplings S_eff of the kept "
               "fields and their flows; --json prints them as JSON, --latex as a LaTeX body.")

JSON_KEYS = {
    "action": "name of the action",
    "order": "order in the interaction",
    "convention": "the normalisation of S_eff, in words (only the Gaussian normalisation of the integrated fields "
                  "is dropped)",
    "fields": "the fields of the action file, by name",
    "fields.<field>": "one field as parsed",
    "fields.<field>.name": "its name",
    "fields.<field>.role": "kept, integrated or split",
    "fields.<field>.symbols": "[mode fields] its components",
    "fields.<field>.kept": "the kept components (a local field: its kept part, e.g. f_<(x))",
    "fields.<field>.integrated": "the integrated components (a local field: its greater part, e.g. f_>(x))",
    "fields.<field>.propagators": "[mode fields] propagator of each integrated component",
    "fields.<field>.propagators.<component>": "the propagator, in SymPy syntax",
    "fields.<field>.local": "[local fields] true: the field is a function of x integrated over the measure",
    "fields.<field>.propagator": "[local fields] the propagator of the greater part",
    "coefficients": "S_eff of the kept fields: monomial (SymPy syntax; '1' is the vacuum term) -> coefficient",
    "coefficients.<monomial>": "the coefficient, in SymPy syntax",
    "coefficients_by_order": "the same, one object per order in the interaction (index 0 = order 0)",
    "coefficients_by_order[].<monomial>": "the contribution of that order",
    "coefficients_latex": "the coefficients in LaTeX",
    "coefficients_latex.<monomial>": "one coefficient in LaTeX",
    "flow": "d/dkappa of each coefficient (actions with a mode sum; empty otherwise)",
    "flow.<monomial>": "the flow of that coefficient, in SymPy syntax",
    "diagrams": "the connected diagrams (empty with --no-diagrams)",
    "diagrams[].order": "order in the interaction (number of vertices)",
    "diagrams[].vertices": "the vertices, in SymPy syntax",
    "diagrams[].external_legs": "the kept fields on the external legs",
    "diagrams[].edges": "propagator lines as pairs of vertex indices",
    "diagrams[].loops": "number of loops",
    "diagrams[].symmetry_factor": "symmetry factor",
    "diagrams[].automorphisms": "order of the automorphism group",
    "diagrams[].channels": "number of distinct channels",
    "diagrams[].contractions": "number of Wick contractions it stands for",
    "diagrams[].expression": "its contribution to S_eff, in SymPy syntax",
    "diagrams[].latex": "the same in LaTeX",
}


def _order(text: str) -> int:
    from ..engine.wilson import MAX_ORDER

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"order must be an integer >= 0, got {text[:40]!r}") from None
    if not 0 <= n <= MAX_ORDER:
        raise argparse.ArgumentTypeError(f"order must be an integer >= 0 and <= {MAX_ORDER}, got {n}")
    return n


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("file", help="action file (TOML; schema in symrg/engine/spec.py, examples in "
                                "symrg/engine/examples/)")
    p.add_argument("--order", type=_order, default=2, help="order in the interaction, >= 0 (default 2)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--latex", action="store_true", help="print a LaTeX body instead of a table")
    p.add_argument("--no-diagrams", action="store_true", help="skip the diagram list (faster)")
    p.add_argument("--allow-expensive", action="store_true",
                   help="go ahead when the estimated cost (expanded expressions, Wick contractions, diagrams) "
                        "is past the limits")
    p.set_defaults(func=run)
    return p


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``derive`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser("derive", help="integrate out the greater modes of an action file",
                              description=DESCRIPTION)
    return _configure(p)


def check_cost(action, order: int, diagrams: bool) -> None:
    """Refuse (ParameterError naming --order) when :func:`symrg.engine.wilson.estimate_work` is past
    ``WORK_LIMIT``; the estimate takes milliseconds."""
    from ..engine.wilson import WORK_LIMIT, estimate_work

    est = estimate_work(action, order, diagrams, limit=WORK_LIMIT)
    over = [k for k in ("moments", "diagrams") if est[k] > WORK_LIMIT]
    if over:
        what = " and ".join(f"{'more than ' if est[k] == WORK_LIMIT + 1 else ''}{est[k]:.3g} steps for the {k}"
                            for k in over)
        advice = ("pass --no-diagrams or lower --order" if over == ["diagrams"] and action.local == ()
                  else "lower --order")
        raise ParameterError("--order", order, f"an order this action can reach within the limit of "
                             f"{WORK_LIMIT:.0e} steps (about a minute); it needs {what}",
                             f"{advice}, or pass --allow-expensive to go ahead")


def _progress_after(label: str, delay: float = 2.0):
    """``progress(stage, n)`` that writes to stderr once the run has taken ``delay`` seconds."""
    start = time.monotonic()

    def cb(stage, n):
        elapsed = time.monotonic() - start
        if elapsed > delay:
            sys.stderr.write(f"{label}: {stage}, order {n} ({elapsed:.0f} s)\n")
            sys.stderr.flush()
    return cb


def run(args) -> int:
    from ..engine import EngineCostWarning, load_action, wilson_step
    allow = getattr(args, "allow_expensive", False)
    diagrams = not getattr(args, "no_diagrams", False)
    try:
        action = load_action(args.file, allow_expensive=allow)
        if not allow:
            check_cost(action, args.order, diagrams)
        with warnings.catch_warnings():
            # the cost was estimated above (check_cost); the library's cruder warning adds nothing
            warnings.simplefilter("ignore", EngineCostWarning)
            res = wilson_step(action, args.order, diagrams=diagrams, progress=_progress_after("symrg derive"))
    except SymrgError as exc:
        print(f"symrg derive: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res.to_json(), indent=2))
    elif args.latex:
        print(res.to_latex())
    else:
        print(f"# S_eff of {args.file} to order {args.order} (Gaussian normalisation removed)")
        for k, v in res.coefficients.items():
            print(f"[{k}]  {v}")
        for k, v in res.flow.items():
            print(f"d/dkappa [{k}]  {v}")
        print(f"# {len(res.diagrams)} connected diagram(s)")
    return 0


def main(argv=None) -> int:
    p = _configure(argparse.ArgumentParser(prog="symrg derive"))
    return run(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
