"""Targets, pools and held-out rows: the one way every command turns a data set into a regression problem.

* :func:`make_target` -- the regression target.  With ``target_class=c``: one-vs-rest, ``+1`` for
  class ``c`` and ``-1`` for the rest.  With ``pair=(a, b)``: only the rows of classes ``a`` and
  ``b``, ``+1`` for ``a`` and ``-1`` for ``b``.  With neither: the data set's own regression
  target (``Dataset.targets``, exactly as the file gives it) if it has one, else -- for a data set
  with class labels -- the one-hot code of all classes with ``+1/-1`` entries, an ``(n, n_classes)``
  multi-output regression whose column ``j`` is the one-vs-rest target of the ``j``-th class in
  sorted order (``Dataset.classes``).  The symmetric ``+1/-1`` convention gives a kernel without bias
  a zero-mean target when the classes are balanced.
* :func:`select_pool` -- the pool of ``P`` rows whose Gram matrix gives the modes: the first ``P``
  rows of the training split after a seeded shuffle (``numpy.random.default_rng(seed).permutation``),
  restricted to the rows a target uses (the two classes of a pair).
* :func:`held_out` -- test rows disjoint from the pool: the official test split when the data set
  has one (Fashion-MNIST), otherwise training-split rows outside the pool, in the same seeded order.
* :func:`pool_data` -- the three together: pool rows on the unit sphere and their target.

All functions return index arrays into the data set's rows, so callers build inputs and targets
for the same rows.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .._validate import check_int
from ..errors import ParameterError
from .dataset import Dataset, normalize_rows

__all__ = ["make_target", "select_pool", "held_out", "pool_data", "PoolData", "one_vs_rest", "class_pair",
           "target_label"]


# ----------------------------------------------------------------------------------------------
# Targets from labels (array level)
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


# ----------------------------------------------------------------------------------------------
# Targets of a data set
# ----------------------------------------------------------------------------------------------
def _class_value(value, name: str, classes: np.ndarray) -> int:
    """``value`` as an integer class label present in ``classes``, or ParameterError naming ``name``."""
    present = classes.tolist()
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ParameterError(name, value, f"an integer class label, one of the classes present {present}")
    if int(value) not in present:
        raise ParameterError(name, value, f"one of the classes present {present}")
    return int(value)


def _parse_pair(pair, classes: np.ndarray) -> tuple[int, int]:
    parts = pair.split(",") if isinstance(pair, str) else pair
    try:
        a, b = parts
        if isinstance(pair, str):
            a, b = int(a), int(b)
    except (TypeError, ValueError):
        raise ParameterError("pair", pair, "two integer classes, e.g. 3,5 or (3, 5)") from None
    a = _class_value(a, "pair", classes)
    b = _class_value(b, "pair", classes)
    if a == b:
        raise ParameterError("pair", pair, f"two different classes from {classes.tolist()}")
    return a, b


def _as_index(index, ds: Dataset, name: str) -> np.ndarray:
    idx = np.asarray(index)
    if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
        raise ParameterError(name, f"array of shape {idx.shape} and dtype {idx.dtype}", "a 1-d array of row indices")
    idx = idx.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= ds.n):
        raise ParameterError(name, f"row indices in [{idx.min()}, {idx.max()}]",
                             f"row indices in [0, {ds.n - 1}] of {ds.name}")
    return idx


def _no_labels(ds: Dataset, name: str, value):
    has = "a regression target but no" if ds.targets is not None else "no"
    raise ParameterError(name, value, "a data set with class labels",
                         f"{ds.name} has {has} class labels; labels come with the built-in data sets, IDX "
                         "files (their labels file) and .npz files with an array 'labels'")


def make_target(ds: Dataset, target_class=None, pair=None, index=None) -> tuple[np.ndarray, np.ndarray]:
    """The regression target of ``ds`` (see the module doc): ``(rows, Y)``.

    ``rows`` are the indices (into ``ds``) of the rows the target covers -- ``index`` (default:
    all rows), restricted to the two classes with ``pair`` -- and ``Y`` (float, ``(len(rows),)``, or
    ``(len(rows), n_classes)`` for the one-hot default) is aligned with them.  ``pair`` is
    ``(a, b)`` or the text ``"a,b"``.  A class absent from the data set, both options at once, or a
    class option on data without labels raise ParameterError naming the option; data with neither
    a regression target nor labels raise ParameterError naming ``target``.
    """
    rows = np.arange(ds.n) if index is None else _as_index(index, ds, "index")
    if target_class is not None and pair is not None:
        raise ParameterError("target_class", target_class, "None when pair is given (one-vs-rest or a pair, not both)")
    if target_class is not None or pair is not None:
        if ds.labels is None:
            _no_labels(ds, "target_class" if pair is None else "pair", target_class if pair is None else pair)
        classes = np.unique(ds.labels)
        lab = ds.labels[rows]
        if pair is None:
            c = _class_value(target_class, "target_class", classes)
            return rows, np.where(lab == c, 1.0, -1.0)
        a, b = _parse_pair(pair, classes)
        keep = (lab == a) | (lab == b)
        return rows[keep], np.where(lab[keep] == a, 1.0, -1.0)
    if ds.targets is not None:
        return rows, np.array(ds.targets[rows], dtype=float)
    if ds.labels is not None:
        classes = np.unique(ds.labels)
        return rows, np.where(ds.labels[rows, None] == classes[None, :], 1.0, -1.0)
    raise ParameterError("target", None, "a data set with a regression target or class labels",
                         f"{ds.name} has neither: give an .npz with X and y (or labels), a CSV with a target "
                         "column, or IDX images with their labels file; --target-class/--pair need class labels")


# ----------------------------------------------------------------------------------------------
# Pools and held-out rows
# ----------------------------------------------------------------------------------------------
def _seeded_order(ds: Dataset, start: int, stop: int, seed, rows) -> np.ndarray:
    """Rows ``start..stop-1`` in the order of ``default_rng(seed).permutation``, restricted to ``rows``."""
    seed = check_int(seed, "seed", 0)
    order = start + np.random.default_rng(seed).permutation(stop - start)
    if rows is not None:
        keep = np.zeros(ds.n, dtype=bool)
        keep[_as_index(rows, ds, "rows")] = True
        order = order[keep[order]]
    return order


def _split_name(ds: Dataset, rows) -> str:
    what = f"the training split of {ds.name}" if ds.test_start is not None else ds.name
    return what if rows is None else f"{what} that the target uses"


def select_pool(ds: Dataset, pool, seed=0, rows=None) -> np.ndarray:
    """Indices of the pool: the first ``pool`` rows of the training split after a seeded shuffle.

    The shuffle is ``numpy.random.default_rng(seed).permutation`` of the training rows (all rows
    without an official split, rows ``< ds.test_start`` with one); ``rows`` (e.g. the rows of
    :func:`make_target` for a pair) keeps only those rows, in the same shuffled order.  ``pool``
    must be an integer in ``[2, N]``, ``N`` the number of eligible rows; anything else raises
    ParameterError naming ``pool``, the value and that range (no clamping, no negative indices).
    """
    order = _seeded_order(ds, 0, ds.n_train, seed, rows)
    N = order.size
    valid = (f"an integer in [2, {N}] (the {N} rows of {_split_name(ds, rows)})" if N >= 2 else
             f"a pool of at least 2 rows, but {_split_name(ds, rows)} has {N} row(s), so no pool is possible")
    if isinstance(pool, bool) or not isinstance(pool, (numbers.Integral, np.integer)):
        raise ParameterError("pool", pool, valid)
    if not 2 <= int(pool) <= N:
        raise ParameterError("pool", pool, valid)
    return order[: int(pool)]


def held_out(ds: Dataset, pool_index, n_test=None, seed=0, rows=None) -> np.ndarray:
    """Indices of ``n_test`` held-out rows, disjoint from the pool ``pool_index``.

    With an official split (``ds.test_start``): the test split in the order of
    ``default_rng(seed).permutation``.  Without: the training rows outside the pool, in the
    shuffled order of :func:`select_pool` with the same ``seed`` (so for a pool from
    ``select_pool(ds, P, seed)`` they are the next ``n_test`` rows of that order).  ``rows``
    restricts the candidates as in :func:`select_pool`; ``n_test=None`` takes all of them.
    Too few rows raise ParameterError: naming ``n_test`` for the official split, else ``pool``
    ("a pool of P leaves no held-out rows; use pool <= N - n_test").
    """
    pool_index = _as_index(pool_index, ds, "pool_index")
    if ds.test_start is not None:
        if pool_index.size and pool_index.max() >= ds.test_start:
            raise ParameterError("pool_index", f"rows up to {pool_index.max()}",
                                 f"rows of the training split of {ds.name} (< {ds.test_start})")
        order = _seeded_order(ds, ds.test_start, ds.n, seed, rows)
    else:
        order = _seeded_order(ds, 0, ds.n_train, seed, rows)
        N = order.size
        in_pool = np.zeros(ds.n, dtype=bool)
        in_pool[pool_index] = True
        P = int(np.count_nonzero(in_pool[order]))
        order = order[~in_pool[order]]
    avail = order.size
    if n_test is not None:
        n_test = check_int(n_test, "n_test", 1)
    need = 1 if n_test is None else n_test
    if avail < need:
        if ds.test_start is not None:
            raise ParameterError("n_test", n_test, f"an integer in [1, {avail}] (the rows of the official test "
                                 f"split of {ds.name}{'' if rows is None else ' that the target uses'})")
        left = "no" if avail == 0 else f"only {avail}"
        raise ParameterError("pool", P, f"at most {N - need} (N = {N} rows of {_split_name(ds, rows)})",
                             f"a pool of {P} leaves {left} held-out rows; use pool <= N - n_test = {N - need}")
    return order if n_test is None else order[:n_test]


@dataclass(frozen=True)
class PoolData:
    """A pool ready for a kernel: row ``index`` into the data set, inputs ``X`` on the unit sphere, target ``y``."""

    index: np.ndarray
    X: np.ndarray
    y: np.ndarray


def pool_data(ds: Dataset, pool, seed=0, target_class=None, pair=None) -> PoolData:
    """The pool of :func:`select_pool` with the target of :func:`make_target`, inputs mapped to the sphere.

    With ``pair`` the pool is drawn from the rows of the two classes.  This is what ``symrg
    reduced-gp`` and ``symrg ridge-map`` run; ``--pool``, ``--pool-seed``, ``--target-class`` and
    ``--pair`` are passed straight through.
    """
    rows, _ = make_target(ds, target_class, pair)        # validates the options; the rows a pair uses
    idx = select_pool(ds, pool, seed, rows=None if pair is None else rows)
    idx, y = make_target(ds, target_class, pair, index=idx)
    return PoolData(index=idx, X=normalize_rows(ds.X[idx]), y=y)


def target_label(target_class, pair, Y) -> str:
    """The name of a target in reports and JSON: ``C-vs-rest``, ``A-vs-B``, a one-hot target or a
    regression ``y`` (``Y`` the target array, one column per output)."""
    if target_class is not None:
        return f"{target_class}-vs-rest"
    if pair is not None:
        a, b = (pair.split(",") if isinstance(pair, str) else pair)
        return f"{str(a).strip()}-vs-{str(b).strip()}"
    return f"one-hot ({Y.shape[1]} classes)" if Y.shape[1] > 1 else "regression target y"
