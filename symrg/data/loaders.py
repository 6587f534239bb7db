"""User data files: ``.npz``, ``.npy``, ``.csv[.gz]`` and IDX[.gz] (the MNIST format).

Regression targets and class labels are kept apart: ``Dataset.targets`` is a regression target
exactly as the file gives it (float; an integer-valued ``y`` is *not* read as class labels), and
``Dataset.labels`` holds integer class labels only where the file has them (IDX label files, an
``.npz`` array ``labels``).  Targets for a computation are built by
:func:`symrg.data.targets.make_target`.

File formats (:func:`load_file`):

* ``.npz`` -- array ``X`` (required, rows are samples; trailing axes are flattened), ``y``
  (optional regression target, shape ``(n,)`` or ``(n, k)``, kept as float exactly as given) and
  ``labels`` (optional integer class labels, shape ``(n,)``).  Pickled (object) arrays are refused.
* ``.npy`` -- ``X`` only.
* ``.csv`` (optionally ``.csv.gz``) -- numeric, comma separated, an optional header line; the last
  column is the regression target unless ``target_column=None`` (or another column index is
  given).  A CSV file has no class labels: use an ``.npz`` with ``labels`` for classification.
* IDX (the MNIST format), optionally gzipped: ``*-images-idx3-ubyte[.gz]``; the labels file
  beside it (``*-labels-idx1-ubyte[.gz]``) is found automatically or passed as ``labels_path``.
  IDX data have class labels and no regression target.

A file that cannot be read -- missing, a directory, unreadable, truncated, corrupt, non-finite,
arrays of mismatched lengths -- raises :class:`~symrg.errors.DataError` naming the file and the problem.
"""
from __future__ import annotations

import csv
import gzip
import io
import math
import re
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError, ParameterError
from .dataset import Dataset, _finite

__all__ = ["load_file", "read_idx"]

# the exceptions a parser may raise on a malformed file; all become DataError naming the file
_READ_ERRORS = (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, OverflowError, MemoryError,
                RecursionError, struct.error, zipfile.BadZipFile, zlib.error, csv.Error, NotImplementedError,
                SyntaxError, tokenize.TokenError)     # numpy parses a .npy header with tokenize + ast


# ----------------------------------------------------------------------------------------------
# User files
# ----------------------------------------------------------------------------------------------
def load_file(path, *, target_column: int | None = -1, labels_path=None) -> Dataset:
    """Read a user data file (``.npz``, ``.npy``, ``.csv[.gz]`` or IDX[.gz]); see the module doc.

    Raises :class:`~symrg.errors.DataError` naming the path and the problem when the file is
    missing, a directory, unreadable, truncated or corrupt, holds non-finite values, or its arrays
    (labels, targets) do not match its rows.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a data file (expected .npz, .npy, .csv[.gz] or IDX[.gz])")
    if not path.exists():
        raise DataError(f"{path}: no such file" + (" (broken symbolic link)" if path.is_symlink() else ""))
    if not path.is_file():
        raise DataError(f"{path}: not a regular file")
    name = path.name
    base = name[:-3] if name.endswith(".gz") else name
    suffix = Path(base).suffix.lower()
    try:
        if suffix == ".npz" and not name.endswith(".gz"):
            return _load_npz(path)
        if suffix == ".npy" and not name.endswith(".gz"):
            return _load_npy(path)
        if suffix == ".csv":
            return _load_csv(path, target_column)
        return _load_idx_pair(path, labels_path)
    except (DataError, ParameterError):
        raise
    except _READ_ERRORS as err:
        raise DataError(f"{path}: cannot read file ({type(err).__name__}: {err})") from err


def _as_samples(X: np.ndarray, path: Path, what: str = "X") -> np.ndarray:
    if X.ndim < 2:
        raise DataError(f"{path}: array {what} must have one row per sample (>= 2 dims), got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: array {what} must be numeric, got dtype {X.dtype}")
    X = X.reshape(X.shape[0], -1)
    if X.dtype.kind in "biu" and X.dtype.itemsize <= 2:     # 8/16-bit pixels stay compact (exact as float64)
        return X
    X = X.astype(float)
    return _finite(X, what, str(path))


def _parse_npy(raw: bytes, where: str) -> np.ndarray:
    """One ``.npy`` stream from its bytes; the size its header declares must match the bytes present."""
    fmt = np.lib.format
    fh = io.BytesIO(raw)
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:   # read_magic accepts any version number; the header readers only these
            raise DataError(f"{where}: not a .npy array (format version {version})")
    except _READ_ERRORS as err:
        raise DataError(f"{where}: not a .npy array ({type(err).__name__}: {err})") from err
    if dtype.hasobject:
        raise DataError(f"{where}: holds Python objects (a pickled array); only numeric arrays are read")
    if dtype.itemsize == 0:
        raise DataError(f"{where}: array of dtype {dtype} with zero-size items")
    count = math.prod(shape)
    expected, present = count * dtype.itemsize, len(raw) - fh.tell()
    if expected != present:
        raise DataError(f"{where}: truncated or corrupt .npy data: the header declares shape {shape} of "
                        f"{dtype} ({expected} bytes) but {present} bytes follow it")
    a = np.frombuffer(raw, dtype=dtype, count=count, offset=fh.tell())
    return a.reshape(shape, order="F" if fortran else "C")


def _load_npz(path: Path) -> Dataset:
    with zipfile.ZipFile(path) as z:
        members = {n[:-4] if n.endswith(".npy") else n: n for n in z.namelist()}
        if "X" not in members:
            raise DataError(f"{path}: .npz file needs an array named 'X' (found {sorted(members)})")
        arrays = {k: _parse_npy(z.read(members[k]), f"{path}[{k}]") for k in ("X", "y", "labels") if k in members}
    X = _as_samples(arrays["X"], path)
    n = X.shape[0]
    targets = labels = None
    if "y" in arrays:
        y = arrays["y"]
        if y.dtype.kind not in "biuf":
            raise DataError(f"{path}: array y must be real numbers, got dtype {y.dtype}"
                            + (" (complex values are not dropped to their real part)" if y.dtype.kind == "c" else ""))
        if y.ndim not in (1, 2) or y.shape[0] != n or (y.ndim == 2 and y.shape[1] == 0):
            raise DataError(f"{path}: y has shape {y.shape} but X has {n} rows "
                            f"(y must have shape ({n},) or ({n}, k) with k >= 1 target columns)")
        targets = _finite(y.astype(float), "y", str(path))
    if "labels" in arrays:
        lab = arrays["labels"]
        if lab.dtype.kind not in "biuf":
            raise DataError(f"{path}: array labels must hold integer class labels, got dtype {lab.dtype}")
        if lab.ndim != 1 or lab.shape[0] != n:
            raise DataError(f"{path}: labels has shape {lab.shape} but X has {n} rows (labels must have shape ({n},))")
        if lab.dtype.kind == "f" and not (np.all(np.isfinite(lab)) and np.all(lab == np.round(lab))):
            raise DataError(f"{path}: array labels must hold integer class labels; it has non-integer values")
        labels = lab.astype(np.int64)
    return Dataset(X=X, labels=labels, targets=targets, name=path.stem,
                   description=f"user file {path} (npz)")


def _load_npy(path: Path) -> Dataset:
    X = _as_samples(_parse_npy(path.read_bytes(), str(path)), path)
    return Dataset(X=X, labels=None, name=path.stem, description=f"user file {path} (npy)")


def _open_text(path: Path):
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _load_csv(path: Path, target_column: int | None) -> Dataset:
    rows: list[list[float]] = []
    header = None
    with _open_text(path) as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row or all(not c.strip() for c in row):
                continue
            try:
                rows.append([float(c) for c in row])
            except ValueError:
                if lineno == 1 and not rows:
                    numeric = [c for c in row if _is_number(c)]
                    if not numeric:       # a header line: every cell is text
                        header = [c.strip() for c in row]
                        continue
                    raise DataError(f"{path}: line 1 mixes numbers and text ({row[:6]}): a header line must be "
                                    f"text only (column names), a data line numbers only") from None
                raise DataError(f"{path}: line {lineno} is not numeric: {row[:6]}") from None
    if not rows:
        raise DataError(f"{path}: no numeric rows")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DataError(f"{path}: rows have different numbers of columns {sorted(widths)}")
    A = _finite(np.array(rows, dtype=float), "of values", str(path))
    targets = None
    if target_column is not None:
        ncol = A.shape[1]
        if ncol < 2:
            raise DataError(f"{path}: has a single column, so no input column remains beside the target "
                            "column; read it with target_column=None (inputs only) or add input columns")
        if isinstance(target_column, bool) or not isinstance(target_column, (int, np.integer)) \
                or not -ncol <= int(target_column) < ncol:
            raise ParameterError("target_column", target_column,
                                 f"a column index in [{-ncol}, {ncol - 1}] of a file with {ncol} columns, or None")
        tc = int(target_column) % ncol
        targets, A = A[:, tc], np.delete(A, tc, axis=1)
    names = f", header line 1 read as column names: {', '.join(header[:6])}{', ...' if len(header) > 6 else ''}" \
        if header else ""
    if header:
        import warnings

        from ..errors import InputNotice
        warnings.warn(f"{path}: line 1 is text only, so it was read as column names, not data{names[names.index(':'):]}",
                      InputNotice, stacklevel=2)
    return Dataset(X=A, labels=None, targets=targets, name=Path(path.name.removesuffix(".gz")).stem,
                   description=f"user file {path} (csv{names})")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


# IDX: magic = 0x00 0x00 <type code> <ndim>, then ndim big-endian uint32 sizes, then the data.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801


def read_idx(path) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) into an array of its declared type and shape."""
    path = Path(path)
    try:
        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as err:
        what = "is a directory" if path.is_dir() else f"cannot read IDX file ({type(err).__name__}: {err})"
        raise DataError(f"{path}: {what}") from err
    if len(raw) < 4:
        raise DataError(f"{path}: not an IDX file (only {len(raw)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in _IDX_TYPES or ndim == 0:
        raise DataError(f"{path}: not an IDX file (magic number 0x{int.from_bytes(raw[:4], 'big'):08X}; "
                        f"expected 0x{IDX_IMAGES_MAGIC:08X} for images or 0x{IDX_LABELS_MAGIC:08X} for labels; "
                        "other supported formats: .npz, .npy, .csv[.gz])")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[code])
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path}: corrupt IDX file: header declares shape {shape} "
                        f"({expected} data bytes) but the file holds {len(raw) - header}")
    a = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return a.astype(dtype.newbyteorder("="))   # a native-order, writable copy


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _find_labels_file(path: Path) -> Path | None:
    name = path.name
    cands = []
    for a, b in (("images-idx3", "labels-idx1"), ("images.idx3", "labels.idx1"), ("images", "labels"),
                 ("idx3", "idx1")):
        if a in name:
            cands.append(name.replace(a, b))
    out = []
    for c in cands:
        base = c[:-3] if c.endswith(".gz") else c
        out += [base, base + ".gz"]
    for c in dict.fromkeys(out):
        p = path.with_name(c)
        if p != path and p.is_file():
            return p
    return None


def _load_idx_pair(path: Path, labels_path) -> Dataset:
    images = read_idx(path)
    if images.ndim == 1:
        raise DataError(f"{path}: this IDX file holds a 1-d array (labels?); pass the images file "
                        "(magic 0x00000803) and its labels are found beside it")
    X = _as_samples(images, path)
    lpath = Path(labels_path) if labels_path is not None else _find_labels_file(path)
    labels = None
    if lpath is not None:
        if lpath.is_dir():
            raise DataError(f"{lpath}: is a directory, not an IDX labels file")
        if not lpath.is_file():
            raise DataError(f"{lpath}: no such labels file")
        lab = read_idx(lpath)
        if lab.ndim != 1:
            raise DataError(f"{lpath}: a labels IDX file must hold a 1-d array, got shape {lab.shape}")
        if lab.shape[0] != X.shape[0]:
            raise DataError(f"{lpath}: {lab.shape[0]} labels do not match the {X.shape[0]} images in {path}")
        if lab.dtype.kind == "f" and not (np.all(np.isfinite(lab)) and np.all(lab == np.round(lab))):
            raise DataError(f"{lpath}: labels must be integers")
        labels = lab.astype(np.int64)
    stem = re.sub(r"(\.gz)$", "", path.name)
    desc = f"user IDX file {path}" + (f" with labels {lpath}" if lpath else " (no labels file found)")
    return Dataset(X=X, labels=labels, name=stem, description=desc)

