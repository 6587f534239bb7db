"""Fashion-MNIST from the Debian package dataset-fashion-mnist, and the built-in name resolver.

Reference facts (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747): 60,000 training and 10,000 test
images of 28x28 grey levels 0..255, ten classes, 6,000 training and 1,000 test images per class.
"""
import gzip
import struct

import numpy as np
import pytest

from symrg import data
from symrg.data import (BUILTIN_DATASETS, FASHION_DIR, held_out, load_builtin, load_fashion, resolve_dataset,
                        select_pool)
from symrg.errors import DataError, ParameterError

HAVE_FASHION = (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file()
needs_fashion = pytest.mark.skipif(not HAVE_FASHION, reason="Debian package dataset-fashion-mnist not installed "
                                   "(.ci/run installs it when it runs as root)")


@needs_fashion
def test_fashion_shape_labels_and_split(monkeypatch):
    monkeypatch.delenv("SYMRG_FASHION_DIR", raising=False)
    ds = load_fashion()
    assert ds.X.shape == (70000, 784) and ds.labels.shape == (70000,) and ds.targets is None
    assert ds.test_start == 60000 and ds.n_train == 60000
    assert np.array_equal(np.bincount(ds.labels), [7000] * 10)
    assert np.array_equal(np.bincount(ds.labels[:60000]), [6000] * 10)
    assert ds.X.min() == 0 and ds.X.max() == 255 and not ds.X.flags.writeable
    # the rows are the package's files, train first: compare with an independent parse of the IDX bytes
    raw = gzip.decompress((FASHION_DIR / "t10k-images-idx3-ubyte.gz").read_bytes())
    assert struct.unpack(">IIII", raw[:16]) == (0x803, 10000, 28, 28)
    first_test = np.frombuffer(raw, np.uint8, count=784, offset=16)
    assert np.array_equal(ds.X[60000], first_test)
    lab = gzip.decompress((FASHION_DIR / "train-labels-idx1-ubyte.gz").read_bytes())
    assert np.array_equal(ds.labels[:5], np.frombuffer(lab, np.uint8, count=5, offset=8))
    assert load_fashion() is ds and load_builtin("fashion") is ds and resolve_dataset("fashion") is ds  # cached
    # pools come from the training split, held-out rows from the official test split
    pool = select_pool(ds, 500, 0)
    assert pool.max() < 60000 and np.unique(pool).size == 500
    test = held_out(ds, pool, 200, 0)
    assert test.min() >= 60000 and np.unique(test).size == 200
    with pytest.raises(ParameterError, match=r"pool=60001.*\[2, 60000\].*training split of fashion"):
        select_pool(ds, 60001, 0)


def test_absent_package_names_the_package_the_directory_and_the_fix(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SYMRG_FASHION_DIR", str(empty))
    for load in (load_fashion, lambda: resolve_dataset("fashion")):
        with pytest.raises(DataError) as err:
            load()
        msg = str(err.value)
        assert "dataset-fashion-mnist" in msg and str(empty) in msg
        assert "apt-get install dataset-fashion-mnist" in msg and "SYMRG_FASHION_DIR" in msg


def test_fashion_dir_override_reads_that_directory(tmp_path, monkeypatch):
    """SYMRG_FASHION_DIR points the loader elsewhere; a corrupt copy there is reported by file name."""
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (tmp_path / f"{stem}.gz").write_bytes(gzip.compress(struct.pack(">HBBI", 0, 8, 1, 3) + bytes(3)))
    monkeypatch.setenv("SYMRG_FASHION_DIR", str(tmp_path))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: expected 60000 uint8 images"):
        load_fashion()


def test_builtin_names_resolve_and_unknown_names_are_refused():
    assert set(BUILTIN_DATASETS) == {"digits", "mnist", "fashion"}
    assert resolve_dataset("digits") is data.load_digits()
    with pytest.raises(ParameterError, match=r"data='cifar'.*digits, mnist, fashion"):
        load_builtin("cifar")
    with pytest.raises(ParameterError, match="data"):
        resolve_dataset(3.5)


@needs_fashion
def test_fashion_pixels_are_kept_compact_and_pools_convert_only_their_rows():
    """Fashion-MNIST stays uint8 in the Dataset (55 MB, not 439 MB as float64); a pool's rows become float64
    and equal the float64 route row for row."""
    import numpy as np

    from symrg.data import normalize_rows, resolve_dataset, select_pool

    ds = resolve_dataset("fashion")
    assert ds.X.dtype == np.uint8 and ds.X.nbytes < 60e6
    idx = select_pool(ds, 50, 3)
    np.testing.assert_array_equal(normalize_rows(ds.X[idx]), normalize_rows(ds.X[idx].astype(float)))
