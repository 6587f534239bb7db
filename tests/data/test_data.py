"""Data sets: sphere sampling, bundled data, user files (round trips) and label targets."""
import gzip
import struct
import sys

import numpy as np
import pytest

from symrg import data
from symrg.data import (Dataset, class_pair, load_file, normalize_rows, one_vs_rest, read_idx,
                        sample_sphere)
from symrg.errors import DataError, ParameterError


def test_sample_sphere_unit_norm_reproducible_and_isotropic():
    X = sample_sphere(4000, 3, rng=0)
    assert X.shape == (4000, 3)
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-14)
    assert np.array_equal(X, sample_sphere(4000, 3, rng=0))
    # uniform on S^2: E x = 0, E x x^T = I/3 (Monte Carlo, 5 standard errors)
    assert np.all(np.abs(X.mean(0)) < 5 * np.sqrt(1 / 3 / 4000))
    assert np.allclose(X.T @ X / 4000, np.eye(3) / 3, atol=0.03)
    with pytest.raises(ParameterError, match="dim"):
        sample_sphere(3, 0)


def test_normalize_rows():
    X = np.array([[3.0, 4.0], [0.0, -2.0]])
    assert np.allclose(normalize_rows(X), [[0.6, 0.8], [0.0, -1.0]])
    with pytest.raises(DataError, match=r"norm 0.*\[1\]"):
        normalize_rows(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ParameterError, match="X"):
        normalize_rows(np.array([[np.nan, 1.0]]))


def test_targets_from_labels():
    labels = np.array([0, 1, 2, 1, 0])
    assert np.array_equal(one_vs_rest(labels, 1), [-1, 1, -1, 1, -1])
    X = np.arange(10.0).reshape(5, 2)
    Xp, yp = class_pair(X, labels, 0, 1)
    assert np.array_equal(Xp, X[[0, 1, 3, 4]]) and np.array_equal(yp, [1, -1, -1, 1])
    with pytest.raises(ParameterError, match="cls"):
        one_vs_rest(labels, 7)
    with pytest.raises(ParameterError, match="c2"):
        class_pair(X, labels, 1, 1)


def test_dataset_is_frozen_and_checks_shapes():
    ds = Dataset(X=np.ones((3, 2)), labels=np.array([0, 1, 0]), name="t", description="")
    with pytest.raises(ValueError):
        ds.X[0, 0] = 5.0
    with pytest.raises(DataError, match="labels"):
        Dataset(X=np.ones((3, 2)), labels=np.array([0, 1]), name="t", description="")
    with pytest.raises(DataError, match="non-finite"):
        Dataset(X=np.array([[np.inf, 1.0]]), labels=None, name="t", description="")


# ------------------------------------------------------------------------------ bundled data
def test_load_digits_shape():
    d = data.load_digits()
    assert d.X.shape == (1797, 64) and d.labels.shape == (1797,)
    assert set(np.unique(d.labels)) == set(range(10)) and d.X.max() == 16


def test_load_mnist_shape():
    d = data.load_mnist()
    assert d.X.shape == (5000, 784) and d.labels.shape == (5000,)
    assert np.array_equal(np.bincount(d.labels), [500] * 10) and d.X.max() == 255


def test_missing_optional_dependency_names_the_extra(monkeypatch):
    data.load_digits.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)   # import raises ImportError
    try:
        with pytest.raises(ImportError, match=r'pip install "symrg\[data\]"'):
            data.load_digits()
    finally:
        data.load_digits.cache_clear()


# ------------------------------------------------------------------------------ user files
def _write_idx(path, arr, code=0x08, gz=False):
    arr = np.asarray(arr)
    header = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    dt = {0x08: ">u1", 0x0D: ">f4"}[code]
    raw = header + arr.astype(dt).tobytes()
    with (gzip.open if gz else open)(path, "wb") as fh:
        fh.write(raw)


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(6, 4, 3)), rng.integers(0, 10, size=6)


def test_npz_round_trip(tmp_path, images):
    imgs, lab = images
    np.savez(tmp_path / "d.npz", X=imgs, labels=lab)
    ds = load_file(tmp_path / "d.npz")
    assert np.array_equal(ds.X, imgs.reshape(6, 12)) and np.array_equal(ds.labels, lab) and ds.targets is None
    np.savez(tmp_path / "iy.npz", X=imgs, y=lab)               # integer-valued y: a regression target
    ds = load_file(tmp_path / "iy.npz")
    assert ds.labels is None and ds.targets.dtype == float and np.array_equal(ds.targets, lab)
    np.savez(tmp_path / "r.npz", X=imgs[:, :, 0], y=np.linspace(0, 1, 6))
    ds = load_file(tmp_path / "r.npz")
    assert ds.labels is None and np.allclose(ds.targets, np.linspace(0, 1, 6))
    np.savez(tmp_path / "nolab.npz", X=imgs[:, :, 0])
    assert load_file(tmp_path / "nolab.npz").labels is None
    np.savez(tmp_path / "bad.npz", X=np.array([[1.0, np.nan]]))
    with pytest.raises(DataError, match=r"bad\.npz.*X.*non-finite"):
        load_file(tmp_path / "bad.npz")
    np.savez(tmp_path / "nokey.npz", A=imgs)
    with pytest.raises(DataError, match="'X'"):
        load_file(tmp_path / "nokey.npz")


def test_npy_round_trip(tmp_path):
    X = np.random.default_rng(1).standard_normal((5, 3))
    np.save(tmp_path / "x.npy", X)
    ds = load_file(tmp_path / "x.npy")
    assert np.array_equal(ds.X, X) and ds.labels is None


def test_csv_round_trip(tmp_path):
    A = np.array([[0.5, 1.0, 2.0], [1.5, -1.0, 0.0], [2.0, 3.0, 1.0]])
    p = tmp_path / "t.csv"
    p.write_text("a,b,label\n" + "\n".join(",".join(str(float(v)) for v in r) for r in A) + "\n")
    ds = load_file(p)
    assert np.array_equal(ds.X, A[:, :2]) and np.array_equal(ds.targets, [2.0, 0.0, 1.0]) and ds.labels is None
    ds = load_file(p, target_column=None)
    assert np.array_equal(ds.X, A) and ds.targets is None
    ds = load_file(p, target_column=0)
    assert np.array_equal(ds.X, A[:, 1:]) and np.allclose(ds.targets, A[:, 0])
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    assert np.array_equal(load_file(gz).X, A[:, :2])
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n4,x,6\n")
    with pytest.raises(DataError, match=r"bad\.csv: line 2"):
        load_file(bad)
    nan = tmp_path / "nan.csv"
    nan.write_text("1,2,3\n4,nan,6\n")
    with pytest.raises(DataError, match="non-finite"):
        load_file(nan)


@pytest.mark.parametrize("prefix,gz", [("train", True), ("t10k", False), ("train", False)])
def test_idx_round_trip_with_labels_beside(tmp_path, images, prefix, gz):
    imgs, lab = images
    ext = ".gz" if gz else ""
    _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte{ext}", imgs, gz=gz)
    _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte{ext}", lab, gz=gz)
    ds = load_file(tmp_path / f"{prefix}-images-idx3-ubyte{ext}")
    assert ds.X.shape == (6, 12)
    assert np.array_equal(ds.X, imgs.reshape(6, 12)) and np.array_equal(ds.labels, lab)
    assert np.array_equal(read_idx(tmp_path / f"{prefix}-images-idx3-ubyte{ext}"), imgs)


def test_idx_labels_found_across_compression(tmp_path, images):
    imgs, lab = images
    _write_idx(tmp_path / "train-images-idx3-ubyte", imgs)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", lab, gz=True)
    assert np.array_equal(load_file(tmp_path / "train-images-idx3-ubyte").labels, lab)


def test_idx_float_type(tmp_path):
    arr = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    _write_idx(tmp_path / "f.idx", arr, code=0x0D)
    assert np.array_equal(load_file(tmp_path / "f.idx").X, arr.astype(float))


def test_idx_mismatched_labels_raise(tmp_path, images):
    imgs, lab = images
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", imgs, gz=True)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", lab[:5], gz=True)
    with pytest.raises(DataError, match="5 labels do not match the 6 images"):
        load_file(tmp_path / "train-images-idx3-ubyte.gz")


def test_corrupt_files_raise_data_error_naming_the_path(tmp_path, images):
    imgs, _ = images
    p = tmp_path / "train-images-idx3-ubyte"
    _write_idx(p, imgs)
    p.write_bytes(p.read_bytes()[:-3])                      # truncated data
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: corrupt IDX"):
        load_file(p)
    q = tmp_path / "junk-images-idx3-ubyte"
    q.write_bytes(b"\x12\x34\x56\x78" + bytes(20))
    with pytest.raises(DataError, match="magic number 0x12345678"):
        load_file(q)
    g = tmp_path / "train-images-idx3-ubyte.gz"
    g.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + bytes(40))[:-6])   # broken gzip stream
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz"):
        load_file(g)
    z = tmp_path / "broken.npz"
    z.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match=r"broken\.npz"):
        load_file(z)
    with pytest.raises(DataError, match="no such file"):
        load_file(tmp_path / "missing.npy")
