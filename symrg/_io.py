"""Atomic file output, provenance headers for every generated file, and output folders that are
replaced whole (:func:`prepare_output_dir`, :func:`swap_in`)."""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


OUTPUT_NAME = "output file"   # what an error calls an output path when the caller names no flag


def _file_kind(mode: int) -> str:
    return ("directory" if stat.S_ISDIR(mode) else "character device" if stat.S_ISCHR(mode)
            else "block device" if stat.S_ISBLK(mode) else "FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "socket" if stat.S_ISSOCK(mode) else "special file")


def write_target(path, name: str = OUTPUT_NAME) -> Path:
    """The file a write to ``path`` replaces: a symbolic link is followed (its target is written, the
    link kept); only a regular file (or a new path) is ever replaced.  A directory, device node, FIFO
    or socket is refused with :class:`~symrg.errors.ParameterError` naming ``name`` (the flag)."""
    from .errors import ParameterError

    p = Path(path)
    target = Path(os.path.realpath(p)) if p.is_symlink() else p
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        if p.is_symlink() and not target.parent.is_dir():
            raise ParameterError(name, str(path), "a writable file path",
                                 f"it is a symbolic link to {target}, whose folder does not exist") from None
        return target
    except OSError as exc:      # a symbolic-link loop, a path through a file, ...
        raise ParameterError(name, str(path), "a writable file path", exc.strerror or str(exc)) from None
    if not stat.S_ISREG(mode):
        via = f" (via the symbolic link to {target})" if target != p else ""
        raise ParameterError(name, str(path), "a regular file or a new path",
                             f"it is a {_file_kind(mode)}{via}; symrg replaces only regular files")
    return target


def _temp_beside(target: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(p) -> None:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass


def atomic_write_bytes(path, data: bytes, name: str = OUTPUT_NAME) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder + rename), so a
    reader never sees a half-written file and an interrupted run leaves the old file intact.

    Only a regular file is replaced; a symbolic link is followed and kept (:func:`write_target`).
    Returns ``path``."""
    return atomic_write_group({path: data}, name)[0]


def atomic_write_group(files: dict, name: str = OUTPUT_NAME) -> tuple:
    """Write every ``{path: bytes or str}`` all-or-nothing: each target is checked
    (:func:`write_target`) and every temporary file written before the first one is renamed over its
    target; a failure while renaming puts back what was replaced, so a reader sees the old files or
    the new ones, never one new file beside an old twin.  Returns the paths, in order."""
    items = [(Path(p), d.encode("utf-8") if isinstance(d, str) else d) for p, d in files.items()]
    targets = [write_target(p, name) for p, _ in items]
    if len(set(map(os.path.abspath, targets))) != len(targets):
        from .errors import ParameterError
        raise ParameterError(name, ", ".join(str(p) for p, _ in items), "distinct files")
    temps, backups, done = [], [], []
    try:
        for t, (_, data) in zip(targets, items):
            t.parent.mkdir(parents=True, exist_ok=True)
            temps.append(_temp_beside(t, data))
        if len(items) > 1:        # keep the old files until every new one is in place
            for t in targets:
                if t.exists():
                    backups.append((t, _backup(t)))
                else:
                    backups.append((t, None))
        for t, tmp in zip(targets, temps):
            os.replace(tmp, t)
            done.append(t)
    except BaseException:
        for tmp in temps:
            _unlink(tmp)
        for t, b in backups:
            if t in done:
                if b is None:
                    _unlink(t)
                else:
                    os.replace(b, t)
                    continue
            if b is not None:
                _unlink(b)
        raise
    for _, b in backups:
        if b is not None:
            _unlink(b)
    return tuple(p for p, _ in items)


def _backup(t: Path) -> str:
    """A hard link (or, on a file system without them, a copy) of ``t`` beside it, under a new name."""
    for _ in range(100):
        b = tempfile.mktemp(prefix=f".{t.name}.old-", dir=t.parent)
        try:
            os.link(t, b)
            return b
        except FileExistsError:
            continue
        except OSError:
            fd, b = tempfile.mkstemp(prefix=f".{t.name}.old-", dir=t.parent)
            with os.fdopen(fd, "wb") as out, open(t, "rb") as src:
                shutil.copyfileobj(src, out)
            return b
    raise FileExistsError(f"cannot make a backup name beside {t}")


def atomic_write_text(path, text: str, name: str = OUTPUT_NAME) -> Path:
    """Text twin of :func:`atomic_write_bytes` (UTF-8, ``\\n`` line ends)."""
    return atomic_write_bytes(path, text.encode("utf-8"), name)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance(source: str, inputs_hash: str | None = None, timestamp: bool = False) -> dict:
    """Provenance record for a generated file.

    Deterministic by default (no timestamp), so that regenerating a file with the same
    inputs gives the same bytes.
    """
    from . import __version__

    rec = {"generator": source, "symrg_version": __version__}
    if inputs_hash:
        rec["inputs_sha256"] = inputs_hash
    if timestamp:
        rec["created"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        rec["python"] = platform.python_version()
    return rec


def provenance_header(source: str, comment: str = "#", inputs_hash: str | None = None) -> str:
    rec = provenance(source, inputs_hash)
    lines = [f"{comment} Generated by symrg; do not edit by hand."]
    lines += [f"{comment} {k}: {v}" for k, v in rec.items()]
    return "\n".join(lines) + "\n"


def write_json(path, obj, source: str) -> Path:
    """Write ``obj`` as JSON with a ``_provenance`` key, atomically."""
    payload = {"_provenance": provenance(source), **obj} if isinstance(obj, dict) else {
        "_provenance": provenance(source), "data": obj}
    text = json.dumps(_finite(payload), indent=2, sort_keys=False, default=_json_default, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def _finite(o):
    """Standard JSON: non-finite floats become null (NaN marks 'not measured' in symrg)."""
    import math

    import numpy as np

    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, np.ndarray):
        return _finite(o.tolist())
    if isinstance(o, (float, np.floating)):
        return float(o) if math.isfinite(o) else None
    return o


def _json_default(o):
    import numpy as np

    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


MANIFEST = ".symrg-manifest"


def _manifest(folder: Path) -> set | None:
    """The relative paths listed in ``folder/.symrg-manifest`` (what symrg wrote there), or None."""
    m = folder / MANIFEST
    if not m.is_file() or m.is_symlink():
        return None
    try:
        lines = m.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return {ln for ln in lines if ln and not ln.startswith("#")}


def register_in_report(path) -> bool:
    """Record a file that a symrg generator (a benchmark, ``python -m symrg.studies.gap``) has just written
    inside an output folder symrg manages -- the nearest parent folder with a ``.symrg-manifest``, at most
    three levels up -- in that manifest, so that the next ``symrg reproduce`` carries it instead of refusing
    the folder (:func:`prepare_output_dir`).  Returns whether a manifest was found."""
    path = Path(os.path.realpath(path))
    for folder in list(path.parents)[:3]:
        m = folder / MANIFEST
        if m.is_file() and not m.is_symlink():
            rel = path.relative_to(folder).as_posix()
            listed = _manifest(folder) or set()
            new = [rel] + [p.as_posix() + "/" for p in path.relative_to(folder).parents if p != Path(".")]
            missing = [e for e in new if e not in listed]
            if missing:
                text = m.read_text(encoding="utf-8")
                atomic_write_text(m, text + ("" if text.endswith("\n") else "\n") + "".join(f"{e}\n" for e in missing))
            return True
    return False


def _iter_entries(folder: Path):
    """Every path under ``folder`` (relative, POSIX; folders end in ``/``), symbolic links not followed."""
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        for d in list(dirs):
            q = rel / d
            if (Path(root) / d).is_symlink():
                yield q.as_posix()             # a link to a folder: an entry, not walked
                dirs.remove(d)
            else:
                yield q.as_posix() + "/"
        yield from ((rel / f).as_posix() for f in files)


def _entries(folder: Path) -> list:
    return sorted(_iter_entries(folder))


def foreign_entries(folder, owned=None, limit: int | None = None) -> list:
    """The entries of ``folder`` that symrg did not write: those not listed in its ``.symrg-manifest``
    (written by :func:`swap_in`), or anything that is not a regular file; without a manifest, every
    entry except regular files named in ``owned`` (the names an older output held).  ``limit``: stop after
    that many (a refusal needs only the first few, e.g. of a home folder)."""
    folder = Path(folder)
    listed = _manifest(folder)
    foreign = []
    for e in _iter_entries(folder):
        p = folder / e.rstrip("/")
        if e == MANIFEST:
            continue
        if e.endswith("/"):
            ok = listed is not None and e in listed
        else:
            ok = p.is_file() and not p.is_symlink() and (
                (listed is not None and e in listed) or (listed is None and owned is not None and e in set(owned)))
        if not ok:
            foreign.append(e)
            if limit is not None and len(foreign) >= limit:
                break
    return sorted(foreign)


def prepare_output_dir(out_dir, name: str = "out", owned=None, force: bool = False) -> tuple[Path, Path]:
    """Check that ``out_dir`` can receive a whole output folder and create a temporary folder beside
    it (``.NAME.partial-*``), before anything is computed.

    Raises :class:`~symrg.errors.ParameterError` naming ``name`` (the flag, e.g. ``--study``) when
    the path is a file, lies under a file, is the current folder or one above it, cannot be replaced,
    or its parent cannot be written.  An existing folder is replaced only when it holds nothing but
    what symrg wrote there (:func:`foreign_entries`: the files listed in its ``.symrg-manifest``, or,
    for an older output without one, the regular files named in ``owned``), or when ``force`` (the
    command's ``--force``).  A symbolic link to a folder is followed: its target is replaced, the
    link kept.  Write into the temporary folder, then call :func:`swap_in`; on failure remove it
    (``shutil.rmtree(tmp)``), which leaves the previous output whole.
    """
    from .errors import ParameterError

    given = str(out_dir)
    if not given.strip():
        raise ParameterError(name, given, "a folder path")
    out = Path(os.path.realpath(out_dir))      # follows a symbolic link; '.', '..' resolved
    cwd = Path(os.path.realpath(os.getcwd()))
    if out == cwd or out in cwd.parents:
        raise ParameterError(name, given, "a new folder or a subfolder symrg wrote",
                             "it is the current folder or one above it, which would be replaced whole")
    if out.exists() and not out.is_dir():
        raise ParameterError(name, given, "a directory (or a path where one can be created)", "it is a file")
    parent = out.parent
    for p in (parent, *parent.parents):
        if p.exists():
            if not p.is_dir():
                raise ParameterError(name, given, "a path whose parents are directories", f"{p} is a file")
            break
    if out.is_dir():
        if not os.access(out, os.R_OK | os.W_OK | os.X_OK):
            raise ParameterError(name, given, "a folder that can be replaced", "it is not writable")
        other = foreign_entries(out, owned, limit=4)
        if other and not force:
            shown = ", ".join(other[:3]) + (", ..." if len(other) > 3 else "")
            raise ParameterError(name, given, "a new folder, an empty one, or one holding only what symrg wrote "
                                 f"there (listed in its {MANIFEST})",
                                 f"it also holds {shown}, which symrg did not write and would be replaced; "
                                 f"choose another folder or pass --force")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    except OSError as exc:
        raise ParameterError(name, given, "a folder whose parent is writable",
                             f"cannot write in {parent}: {exc.strerror or exc}") from None
    return out, tmp


def swap_in(tmp, out) -> None:
    """Replace the folder ``out`` by the finished folder ``tmp`` (two renames in the same parent;
    the old folder is removed last), so a reader sees the old output or the new one, never a mix.
    ``tmp/.symrg-manifest`` lists everything in it first: what this run wrote, which a later run may
    replace (:func:`prepare_output_dir`)."""
    tmp, out = Path(tmp), Path(out)
    listing = [e for e in _entries(tmp) if e != MANIFEST]
    atomic_write_text(tmp / MANIFEST, "# written by symrg: the files of this folder it may replace\n"
                      + "".join(f"{e}\n" for e in listing))
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
