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
from ..errors import SymrgError
from . import (codegen, derive, examples, finite_width, flow, learning_curve, reduced_gp, reproduce, ridge_map, scaling, solve,
               spectrum, universality, verify)

__all__ = ["build_parser", "main"]

COMMANDS = (spectrum, flow, learning_curve, scaling, reduced_gp, reproduce, verify, derive, solve, codegen, examples, finite_width,
            ridge_map, universality)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    p = argparse.ArgumentParser(prog="symrg", description="Wilsonian RG of Gaussian-process / NNGP regression "
                                "(Howard, Jefferson, Maiti & Ringel, arXiv:2405.06008).")
    p.add_argument("--version", action="version", version=f"symrg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        with blas_threads_for_free_cores():   # BLAS threads for the cores actually free (symrg._parallel)
            return int(args.func(args) or 0)
    except SymrgError as exc:
        print(f"symrg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"symrg {args.command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError as exc:  # past every estimate made before the run: still one line, not a traceback
        print(f"symrg {args.command}: error: out of memory ({exc or 'MemoryError'}); use smaller sizes",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
