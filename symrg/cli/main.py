"""Command-line front end: ``build_parser`` and ``main``; one module per command beside this one.

Every subcommand prints a readable table by default and a JSON document with ``--json``
(stable keys, documented in the README).  Errors of the user's making (SymrgError) are
printed as one line on stderr with exit status 2 (so is running out of memory, which the commands'
estimates before a run should prevent); progress goes to stderr.  Each command module
has ``add_parser(sub)`` and ``run(args)``; ``run`` calls the public API and prints.
"""
from __future__ import annotations

import argparse
import sys

from .._parallel import blas_threads_for_free_cores
from ._common import OneLineParser, run_command
from . import (codegen, derive, examples, finite_width, flow, gap, learning_curve, reduced_gp, reproduce, ridge_map,
               scaling, solve,
               spectrum, universality, verify)

__all__ = ["build_parser", "main"]

COMMANDS = (spectrum, flow, learning_curve, scaling, reduced_gp, reproduce, verify, derive, solve, codegen, examples, finite_width,
            ridge_map, universality, gap)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    p = OneLineParser(prog="symrg", description="Wilsonian RG of Gaussian-process / NNGP regression "
                      "(Howard, Jefferson, Maiti & Ringel, arXiv:2405.06008).")
    p.add_argument("--version", action="version", version=f"symrg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    with blas_threads_for_free_cores():   # BLAS threads for the cores actually free (symrg._parallel)
        return run_command(parser, args, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
