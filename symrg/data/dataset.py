"""The container of a data set and the map to the unit sphere.

A :class:`Dataset` holds the *raw* inputs, integer class labels (if the data set has classes), a
regression target (if it has one) and its official train/test split (if any).  Map inputs to the
unit sphere with :func:`normalize_rows` before using an NNGP kernel (which assumes ``|x| = 1``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_finite_array, check_int
from ..errors import DataError, ParameterError

__all__ = ["Dataset", "sample_sphere", "normalize_rows"]


# ----------------------------------------------------------------------------------------------
# The container
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set: raw inputs ``X`` (n, D), integer class ``labels`` (n,) or None, regression ``targets``.

    ``X`` is float64, or kept as 8/16-bit integers when the source stores pixels that way (IDX files:
    Fashion-MNIST is 55 MB as uint8 against 439 MB as float64); every consumer converts the rows it
    uses (:func:`normalize_rows`).

    ``targets`` is None or a float array of shape ``(n,)`` or ``(n, k)`` (a regression target as
    the source gives it; never derived from ``labels``).  ``test_start`` records an official
    train/test split: rows ``>= test_start`` are the test split (None: no official split, every
    row is a training row).  Arrays are stored read-only, so a Dataset (which loaders cache)
    cannot be changed in place.
    """

    X: np.ndarray
    labels: np.ndarray | None
    name: str
    description: str
    targets: np.ndarray | None = None
    test_start: int | None = None

    def __post_init__(self):
        X = np.asarray(self.X)
        if X.dtype.kind in "biu" and X.dtype.itemsize <= 2:
            # small integers (8- or 16-bit pixels) are kept as they are: exact in float64, and 8x smaller;
            # rows become float64 where they are used (normalize_rows), so a pool of P rows costs P rows
            X = np.array(X, copy=True)
        else:
            X = np.array(X, dtype=float, copy=True)             # one private copy, then read-only
            _finite(X, "X", self.name)
        if X.ndim != 2:
            raise DataError(f"{self.name}: X must have shape (n, D), got {X.shape}")
        X.setflags(write=False)
        object.__setattr__(self, "X", X)
        n = X.shape[0]
        if self.labels is not None:
            lab = np.asarray(self.labels)
            integral = lab.dtype.kind in "biu" or (
                lab.dtype.kind == "f" and bool(np.all(np.isfinite(lab)) and np.all(lab == np.round(lab))))
            if not integral:
                raise DataError(f"{self.name}: labels must be integers, got dtype {lab.dtype}")
            if lab.ndim != 1 or lab.shape[0] != n:
                raise DataError(f"{self.name}: labels must have shape ({n},) to match X, got {lab.shape}")
            object.__setattr__(self, "labels", _readonly(lab.astype(np.int64)))
        if self.targets is not None:
            t = np.asarray(self.targets)
            if t.dtype.kind not in "biuf":
                raise DataError(f"{self.name}: targets must be real numbers, got dtype {t.dtype}"
                                + (" (complex values are not dropped to their real part)" if t.dtype.kind == "c" else ""))
            t = _finite(t.astype(float), "targets", self.name)
            if t.ndim not in (1, 2) or t.shape[0] != n or (t.ndim == 2 and t.shape[1] == 0):
                raise DataError(f"{self.name}: targets must have shape ({n},) or ({n}, k) with k >= 1 to match X, "
                                f"got {t.shape}")
            object.__setattr__(self, "targets", _readonly(t))
        if self.test_start is not None:
            try:
                ts = check_int(self.test_start, "test_start", 1, n - 1)
            except ParameterError as err:
                raise DataError(f"{self.name}: {err}") from None
            object.__setattr__(self, "test_start", ts)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def dim(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_train(self) -> int:
        """Rows of the training split: ``test_start`` if there is an official split, else ``n``."""
        return self.n if self.test_start is None else self.test_start

    @property
    def classes(self) -> np.ndarray | None:
        """The sorted distinct class labels (None without labels)."""
        return None if self.labels is None else np.unique(self.labels)

    def on_sphere(self, center: bool = False) -> np.ndarray:
        """Rows of ``X`` (optionally centred on the data mean first) mapped to the unit sphere.

        Centring is done on ``X`` divided by its largest absolute entry, so that inputs of any
        finite magnitude give the same result (the map to the sphere is scale invariant).
        """
        X = self.X
        if center:
            s = float(np.max(np.abs(X))) if X.size else 0.0
            Xs = X / s if s > 0 else X
            X = Xs - Xs.mean(axis=0)
        return normalize_rows(X)

    def __repr__(self) -> str:
        lab = "none" if self.labels is None else f"{np.unique(self.labels).size} classes"
        tgt = "none" if self.targets is None else f"{self.targets.shape}"
        split = "" if self.test_start is None else f", test_start={self.test_start}"
        return f"Dataset(name={self.name!r}, X={self.X.shape}, labels: {lab}, targets: {tgt}{split})"


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
    """Rows of ``X`` divided by their Euclidean norm (the map to the unit sphere, docs/theory.md section 4c).

    Scale invariant for every finite non-zero row: each row is first divided by its largest
    absolute entry (exact up to rounding, the result lies in [-1, 1] with one entry of modulus 1),
    so rows of magnitude 1e300 do not overflow the norm and rows of magnitude 1e-300 do not
    underflow it.  A row that is exactly zero cannot be mapped and raises DataError naming it.
    """
    X = check_finite_array(X, "X", ndim=2)
    m = np.max(np.abs(X), axis=1) if X.shape[1] else np.zeros(X.shape[0])
    zero = np.flatnonzero(m == 0)
    if zero.size:
        raise DataError(
            f"cannot map rows to the unit sphere: {zero.size} row(s) are zero (norm 0) "
            f"(first indices {zero[:5].tolist()}); drop them or centre the data first")
    Xs = X / m[:, None]
    return Xs / np.linalg.norm(Xs, axis=1)[:, None]
