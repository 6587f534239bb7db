"""Helpers shared by the command modules: progress on stderr, JSON output, tables, kernel options."""
from __future__ import annotations

import argparse
import json
import sys


def _progress(label: str):
    """A progress callback writing ``label: done/total`` on stderr (only on a terminal or CI)."""
    def cb(done, total):
        end = "\n" if done == total else "\r"
        sys.stderr.write(f"{label}: {done}/{total}{end}")
        sys.stderr.flush()
    return cb


def _print_json(obj) -> None:
    from .._io import _json_default

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


def _int_list(text: str, name: str) -> list[int]:
    from ..errors import ParameterError

    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ParameterError(name, text, "comma-separated integers, e.g. 10,20,40") from None
    if not vals:
        raise ParameterError(name, text, "at least one integer")
    return vals


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
