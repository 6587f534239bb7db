"""``symrg examples [NAME [-o DIR] [--force]]``: the bundled action files (docs/actions.md).

Without NAME, lists every bundled action file with its one-line description (its ``description`` key,
else its first comment).  With NAME, copies ``NAME.toml`` into DIR (default: the current folder).  The
copy never replaces anything by surprise: an existing file is refused unless ``--force``, and a path
that is not a regular file (a folder, a symlink, a device, a FIFO, a socket) is refused even with
``--force``.
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from ..errors import ParameterError
from ._common import _print_json

__all__ = ["add_parser", "run", "JSON_KEYS", "DESCRIPTION", "copy_example"]

DESCRIPTION = ("List the bundled action files with one line each, or copy one out (symrg examples NAME [-o DIR]) "
               "to start from; the language of action files is described in docs/actions.md.")

JSON_KEYS = {
    "examples": "[without NAME] the bundled action files, by name",
    "examples[].name": "[without NAME] its name (what NAME takes)",
    "examples[].description": "[without NAME] one line saying what it is",
    "examples[].file": "[without NAME] the bundled file",
    "example": "[with NAME] the name of the example copied",
    "description": "[with NAME] one line saying what it is",
    "written": "[with NAME] path of the copy",
}


def add_parser(sub):
    p = sub.add_parser("examples", help="list the bundled action files, or copy one out", description=DESCRIPTION)
    p.add_argument("name", nargs="?", default=None, metavar="NAME",
                   help="the example to copy out (as listed, with or without .toml); without it, list them")
    p.add_argument("-o", "--output", default=".", metavar="DIR",
                   help="the existing folder to copy NAME.toml into (default: the current folder)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing regular file of that name (never a folder, link, device or pipe)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def _bundled() -> dict:
    from ..engine.schema import example_files

    return {p.stem: p for p in example_files()}


def copy_example(name: str, out_dir=".", *, force: bool = False, flags=("NAME", "-o")) -> Path:
    """Copy the bundled example ``name`` into the folder ``out_dir``; returns the path written.

    Refuses (ParameterError naming the flag) an unknown name, a folder that does not exist, an existing
    file unless ``force``, and any existing path that is not a regular file.  The text is written to a
    temporary file beside the target and then linked in (no overwrite) or, with ``force``, renamed over
    the regular file: the target is never left half-written.
    """
    files = _bundled()
    stem = name[:-5] if isinstance(name, str) and name.endswith(".toml") else name
    if stem not in files:
        raise ParameterError(flags[0], name, f"one of the bundled examples: {', '.join(files)}",
                             "symrg examples lists them")
    folder = Path(out_dir)
    if not folder.is_dir():
        raise ParameterError(flags[1], str(out_dir), "an existing folder to copy the example into")
    target = folder / f"{stem}.toml"
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a symbolic link" if stat.S_ISLNK(st.st_mode)
                    else "not a regular file (a device, pipe or socket)")
            raise ParameterError(flags[1], str(out_dir), f"a folder where {target.name} is free or a regular file; "
                                 f"{target} is {kind}, which symrg never replaces")
        if not force:
            raise ParameterError(flags[1], str(out_dir), f"a folder without {target.name}",
                                 f"{target} exists; pass --force to replace it")
    data = files[stem].read_bytes()
    fd, tmp = _temp_beside(target, flags[1])
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)      # mkstemp creates 0600; give the usual permissions
        if st is None:
            try:
                os.link(tmp, target)        # fails if the name appeared meanwhile: nothing is replaced
            except FileExistsError:
                raise ParameterError(flags[1], str(out_dir), f"a folder without {target.name}",
                                     f"{target} appeared while copying; pass --force to replace it") from None
        else:
            os.replace(tmp, target)
    except OSError as exc:
        raise ParameterError(flags[1], str(out_dir), f"a writable folder ({exc.strerror or exc})") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return target


def _temp_beside(target: Path, flag: str):
    import tempfile

    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ParameterError(flag, str(target.parent), f"a writable folder ({exc.strerror or exc})") from None


def run(args) -> int:
    from ..engine.schema import example_description

    if args.name is None:
        rows = [{"name": n, "description": example_description(p), "file": str(p)} for n, p in _bundled().items()]
        if args.json:
            _print_json({"examples": rows})
            return 0
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            print(f"{r['name']:<{width}}  {r['description']}")
        print("# symrg examples NAME copies one into the current folder (-o DIR: elsewhere); docs/actions.md "
              "describes the language", file=sys.stderr)
        return 0
    path = copy_example(args.name, args.output, force=args.force)
    stem = path.stem
    doc = {"example": stem, "description": example_description(path), "written": str(path)}
    if args.json:
        _print_json(doc)
        return 0
    print(f"wrote {path}: {doc['description']}")
    print(f"# try: symrg derive {path}", file=sys.stderr)
    return 0
