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

from ..errors import SymrgError

__all__ = ["add_parser", "run"]


def _order(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"order must be an integer >= 0, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"order must be an integer >= 0, got {n}")
    return n


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("file", help="action file (TOML, see symrg.engine.spec)")
    p.add_argument("--order", type=_order, default=2, help="order in the interaction (default 2)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--latex", action="store_true", help="print a LaTeX body")
    p.add_argument("--no-diagrams", action="store_true", help="skip the diagram list (faster)")
    p.set_defaults(func=run)
    return p


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``derive`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser("derive", help="integrate out the greater modes of an action file",
                              description=__doc__.split("\n\n")[0])
    return _configure(p)


def run(args) -> int:
    from ..engine import load_action, wilson_step
    try:
        action = load_action(args.file)
        res = wilson_step(action, args.order, diagrams=not getattr(args, "no_diagrams", False))
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
