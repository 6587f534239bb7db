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

from ..errors import SymrgError
from . import (codegen, derive, finite_width, flow, learning_curve, reduced_gp, reproduce, ridge_map, scaling, solve,
               spectrum, universality, verify)

__all__ = ["build_parser", "main"]

COMMANDS = (spectrum, flow, learning_curve, scaling, reduced_gp, reproduce, verify, derive, solve, codegen, finite_width,
            ridge_map, universality)


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, ``symrg COMMAND: error: ...`` (no usage block;
    ``--help`` still prints it)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


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
    try:
        return int(args.func(args) or 0)
    except SymrgError as exc:
        exc = flag_named(exc, _subparser(parser, args.command), sys.argv[1:] if argv is None else argv)
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


def _subparser(parser, command):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command)
    return None


def flag_named(exc, subparser, argv=()):
    """``exc`` with the Python parameter it names (``invalid pool=60``) replaced by the flag the user
    typed (``invalid --pool=60``), when the parameter is one of the command's options (its ``dest``,
    or an alias in the command module's ``PARAM_FLAGS``, e.g. ``n_train`` -> ``--n``).  Errors that
    already name a flag or a file key are left as they are."""
    from ._common import _flag_named

    name = getattr(exc, "name", None)
    if subparser is None or not isinstance(name, str) or name.startswith("-"):
        return exc
    flags = {}
    for action in subparser._actions:
        if action.option_strings and action.dest not in ("help",):
            typed = [o for o in action.option_strings if any(a == o or a.startswith(o + "=") for a in argv)]
            flags[action.dest] = (typed or sorted(action.option_strings, key=len))[-1]
    func = subparser.get_default("func")
    module = sys.modules.get(getattr(func, "__module__", ""), None)
    for param, dest in getattr(module, "PARAM_FLAGS", {}).items():
        if dest in flags:
            flags[param] = flags[dest]
    return _flag_named(exc, flags)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
