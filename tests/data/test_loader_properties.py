"""Property tests of the file loaders: contents round-trip exactly; broken files raise DataError only.

The reference for a round trip is the array written with NumPy / Python's ``repr`` (independent of
the loader); a regression target must come back exactly as written, as float, never as labels.
"""
import builtins
import gzip
import io
import os
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symrg.data import Dataset, load_file, resolve_dataset
from symrg.errors import DataError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# finite floats of every magnitude, with integer-valued, huge and subnormal ones over-represented
finite = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-10**6, 10**6).map(float),
    st.sampled_from([1e30, -1e30, 1.0, -1.0, 0.0, 1e300, -1e-300, 5e-324, 1.7976931348623157e308]),
)


@st.composite
def tables(draw, max_rows=8, max_cols=5):
    n = draw(st.integers(1, max_rows))
    d = draw(st.integers(1, max_cols))
    X = draw(hnp.arrays(np.float64, (n, d), elements=finite))
    k = draw(st.sampled_from([None, 1, 2]))
    y = draw(hnp.arrays(np.float64, (n,) if k is None else (n, k), elements=finite))
    return X, y


@SETTINGS
@given(data=tables(), compressed=st.booleans(), int_y=st.booleans())
def test_npz_round_trip_is_exact(tmp_path, data, compressed, int_y):
    X, y = data
    if int_y:                                   # integer dtype target: still a regression target
        y = np.clip(np.round(y), -2**40, 2**40).astype(np.int64)
    p = tmp_path / "d.npz"
    (np.savez_compressed if compressed else np.savez)(p, X=X, y=y)
    ds = load_file(p)
    assert ds.X.dtype == float and np.array_equal(ds.X, X)
    assert ds.targets.dtype == float and ds.targets.shape == y.shape
    assert np.array_equal(ds.targets, y.astype(float))      # exact: same bits for every finite float
    assert ds.labels is None                                # y is never reinterpreted as class labels


@SETTINGS
@given(data=tables(), labels=st.lists(st.integers(-3, 9), min_size=8, max_size=8))
def test_npz_labels_array_is_the_class_labels(tmp_path, data, labels):
    X, y = data
    lab = np.array(labels[: X.shape[0]])
    np.savez(tmp_path / "l.npz", X=X, y=y, labels=lab)
    ds = load_file(tmp_path / "l.npz")
    assert np.array_equal(ds.labels, lab) and np.array_equal(ds.targets, y)


@SETTINGS
@given(data=tables(), header=st.booleans(), gz=st.booleans(), crlf=st.booleans())
def test_csv_round_trip_is_exact(tmp_path, data, header, gz, crlf):
    X, y = data
    y = y if y.ndim == 1 else y[:, 0]
    A = np.column_stack([X, y])
    nl = "\r\n" if crlf else "\n"
    text = (",".join(f"c{j}" for j in range(A.shape[1])) + nl if header else "")
    text += nl.join(",".join(repr(float(v)) for v in row) for row in A) + nl
    p = tmp_path / ("t.csv.gz" if gz else "t.csv")
    p.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    ds = load_file(p)
    assert np.array_equal(ds.X, X) and np.array_equal(ds.targets, y) and ds.labels is None
    ds0 = load_file(p, target_column=0)
    assert np.array_equal(ds0.targets, A[:, 0]) and np.array_equal(ds0.X, A[:, 1:])


def test_targets_are_kept_exactly_as_given(tmp_path):
    """Issue "data targets": 1e30 stays 1e30, a +-1 target stays +-1, integer-valued y stays a target."""
    X = np.eye(4) + 1.0
    for y in (np.array([1e30, -1e30, 2.5, 0.0]), np.array([1.0, -1.0, -1.0, 1.0]), np.array([0, 3, 7, 9])):
        np.savez(tmp_path / "y.npz", X=X, y=y)
        ds = load_file(tmp_path / "y.npz")
        assert np.array_equal(ds.targets, y) and ds.labels is None
        (tmp_path / "y.csv").write_text("".join(f"{a!r},{b!r},{c!r},{d!r},{t!r}\n"
                                                for (a, b, c, d), t in zip(X.tolist(), y.tolist())))
        ds = load_file(tmp_path / "y.csv")
        assert np.array_equal(ds.targets, y) and ds.labels is None


# ------------------------------------------------------------------------------ broken files
def _valid_bytes(kind: str) -> bytes:
    X = np.arange(24.0).reshape(6, 4)
    buf = io.BytesIO()
    if kind == ".npz":
        np.savez(buf, X=X, y=np.arange(6.0))
    elif kind == ".npz.c":
        np.savez_compressed(buf, X=X, y=np.arange(6.0))
    elif kind == ".npy":
        np.save(buf, X)
    elif kind in ("-images-idx3-ubyte", "-images-idx3-ubyte.gz"):
        raw = struct.pack(">HBB", 0, 0x08, 3) + struct.pack(">3I", 6, 2, 2) + bytes(range(24))
        return gzip.compress(raw) if kind.endswith(".gz") else raw
    elif kind == ".csv.gz":
        return gzip.compress(b"1,2,3\n4,5,6\n7,8,9\n")
    return buf.getvalue()


KINDS = [".npz", ".npz.c", ".npy", "-images-idx3-ubyte", "-images-idx3-ubyte.gz", ".csv.gz"]


def _name(kind: str) -> str:
    return {".npz.c": "f.npz"}.get(kind, "f" + kind)


@pytest.mark.parametrize("kind", KINDS)
def test_valid_reference_files_load(tmp_path, kind):
    """The files the corruption tests start from are valid (so the tests below can fail)."""
    p = tmp_path / _name(kind)
    p.write_bytes(_valid_bytes(kind))
    assert load_file(p).n in (3, 6)


@pytest.mark.parametrize("kind", KINDS)
@SETTINGS
@given(frac=st.floats(0.0, 1.0, exclude_max=True))
def test_truncated_files_raise_data_error_naming_the_file(tmp_path, kind, frac):
    raw = _valid_bytes(kind)
    p = tmp_path / _name(kind)
    p.write_bytes(raw[: int(frac * len(raw))])
    with pytest.raises(DataError, match=p.name.replace(".", r"\.")):
        load_file(p)


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".csv", ".csv.gz", "-images-idx3-ubyte", ".gz", ".idx"])
@SETTINGS
@given(raw=st.binary(max_size=300))
def test_random_bytes_give_data_error_or_a_dataset(tmp_path, suffix, raw):
    p = tmp_path / ("r" + suffix)
    p.write_bytes(raw)
    try:
        ds = load_file(p)
    except DataError as err:
        assert p.name in str(err)
    else:                              # random bytes can be a valid file (e.g. the CSV "1,2")
        assert isinstance(ds, Dataset) and np.all(np.isfinite(ds.X))


@pytest.mark.parametrize("kind", KINDS)
@SETTINGS
@given(data=st.data())
def test_flipped_bytes_give_data_error_or_a_dataset(tmp_path, kind, data):
    raw = bytearray(_valid_bytes(kind))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    p = tmp_path / _name(kind)
    p.write_bytes(bytes(raw))
    try:
        load_file(p)
    except DataError as err:
        assert p.name in str(err)


def test_npz_with_a_member_that_is_not_an_array(tmp_path):
    p = tmp_path / "m.npz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("X.npy", b"garbage")
    with pytest.raises(DataError, match=r"m\.npz\[X\]: not a \.npy array"):
        load_file(p)


def test_npy_header_larger_than_the_data_is_refused_before_allocating(tmp_path):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 10**3)})
    p = tmp_path / "huge.npy"
    p.write_bytes(buf.getvalue() + bytes(16))
    with pytest.raises(DataError, match=r"huge\.npy: truncated or corrupt .*16 bytes"):
        load_file(p)


def test_pickled_arrays_are_refused(tmp_path):
    np.save(tmp_path / "o.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"o\.npy: holds Python objects"):
        load_file(tmp_path / "o.npy")


def test_directory_missing_and_unreadable_paths(tmp_path, monkeypatch):
    d = tmp_path / "data.npz"
    d.mkdir()
    with pytest.raises(DataError, match=r"data\.npz: is a directory"):
        load_file(d)
    with pytest.raises(DataError, match=r"data\.npz: is a directory"):
        resolve_dataset(str(d))
    with pytest.raises(DataError, match=r"nope\.csv: no such file \(built-in data sets: digits, mnist, fashion\)"):
        resolve_dataset(str(tmp_path / "nope.csv"))
    # unreadable: open() refuses (permission bits do not stop root, so the refusal is simulated)
    files = {}
    for kind in KINDS:
        p = tmp_path / _name(kind)
        p.write_bytes(_valid_bytes(kind))
        files[str(p)] = p
    real_open, real_io_open = builtins.open, io.open

    def refuse(opener):
        def inner(file, *a, **k):
            if str(file) in files:
                raise PermissionError(13, "Permission denied", str(file))
            return opener(file, *a, **k)
        return inner

    monkeypatch.setattr(builtins, "open", refuse(real_open))
    monkeypatch.setattr(io, "open", refuse(real_io_open))
    for p in files.values():
        with pytest.raises(DataError, match=rf"{p.name.replace('.', '[.]')}: .*Permission denied"):
            load_file(p)
    monkeypatch.undo()
    if os.geteuid() != 0:                       # the real thing, where permission bits apply
        p = next(iter(files.values()))
        p.chmod(0)
        with pytest.raises(DataError, match="Permission denied"):
            load_file(p)


def test_mismatched_lengths_name_the_file_and_the_arrays(tmp_path):
    X = np.ones((5, 3))
    np.savez(tmp_path / "a.npz", X=X, y=np.arange(4.0))
    with pytest.raises(DataError, match=r"a\.npz: y has shape \(4,\) but X has 5 rows"):
        load_file(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", X=X, labels=np.arange(6))
    with pytest.raises(DataError, match=r"b\.npz: labels has shape \(6,\) but X has 5 rows"):
        load_file(tmp_path / "b.npz")
    np.savez(tmp_path / "c.npz", X=X, labels=np.array([0.5, 1, 2, 3, 4]))
    with pytest.raises(DataError, match=r"c\.npz: array labels must hold integer"):
        load_file(tmp_path / "c.npz")
    (tmp_path / "r.csv").write_text("1,2,3\n4,5\n")
    with pytest.raises(DataError, match=r"r\.csv: rows have different numbers of columns \[2, 3\]"):
        load_file(tmp_path / "r.csv")
    (tmp_path / "one.csv").write_text("1\n2\n")
    with pytest.raises(DataError, match=r"one\.csv: has a single column"):
        load_file(tmp_path / "one.csv")
    assert load_file(tmp_path / "one.csv", target_column=None).X.shape == (2, 1)
