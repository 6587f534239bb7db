"""Targets, pools and held-out rows (symrg.data.targets) and the scale invariance of the sphere map.

References are written out by hand or built with plain NumPy from the definitions in the issue
("data targets"): one-vs-rest / pair / one-hot +-1 codes, pools as the first P rows of
``default_rng(seed).permutation`` of the training split.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symrg.data import Dataset, held_out, load_digits, make_target, normalize_rows, pool_data, select_pool
from symrg.errors import DataError, ParameterError


def _ds(n=12, labels=True, targets=None, test_start=None):
    X = np.arange(1.0, 3 * n + 1).reshape(n, 3)
    lab = np.arange(n) % 3 if labels else None
    return Dataset(X=X, labels=lab, targets=targets, name="toy", description="", test_start=test_start)


# ------------------------------------------------------------------------------ normalize_rows
def test_normalize_rows_is_scale_invariant_at_the_ends_of_the_float_range():
    X = np.array([[3.0, 4.0], [1.0, -2.0], [0.0, 5.0], [-2.0**-10, 2.0**-9]])
    ref = X / np.sqrt((X ** 2).sum(1))[:, None]           # at ordinary magnitude
    # scales whose products with X are exact (subnormal 2**-1064 included), so only the map is tested
    for s in (1e300, 1e-300, 2.0**1021, 2.0**-1064):
        assert np.allclose(normalize_rows(X * s), ref, rtol=1e-12, atol=0), s
    mixed = X * np.array([1e300, 1e-300, 1.0, 2.0**-1060])[:, None]   # a different scale per row
    assert np.allclose(normalize_rows(mixed), ref, rtol=1e-12, atol=0)
    assert np.allclose(np.linalg.norm(normalize_rows(mixed), axis=1), 1.0, rtol=1e-15)


@settings(max_examples=200, deadline=None)
@given(X=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
                    elements=st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-6)),
       e=st.integers(-300, 300))
def test_normalize_rows_commutes_with_scaling(X, e):
    X = X[np.any(X != 0, axis=1)]
    if X.shape[0] == 0:
        return
    U = normalize_rows(X)
    assert np.allclose(np.linalg.norm(U, axis=1), 1.0, rtol=1e-14)
    assert np.allclose(normalize_rows(X * 10.0 ** e), U, rtol=1e-12, atol=1e-15)


def test_normalize_rows_names_the_zero_rows():
    X = np.array([[1.0, 0.0], [0.0, 0.0], [5e-324, 0.0], [0.0, -0.0]])
    with pytest.raises(DataError, match=r"2 row\(s\) are zero.*\[1, 3\]"):
        normalize_rows(X)


def test_dataset_on_sphere_centred_is_scale_invariant():
    ds = load_digits()
    X = ds.X[:300]
    ref = Dataset(X=X, labels=None, name="a", description="").on_sphere(center=True)
    for s in (1e300, 1e-300):
        big = Dataset(X=X * s, labels=None, name="b", description="").on_sphere(center=True)
        assert np.allclose(big, ref, rtol=1e-10, atol=1e-13)


# ------------------------------------------------------------------------------ make_target
def test_make_target_one_vs_rest_pair_and_one_hot():
    ds = _ds()
    lab = np.arange(12) % 3
    rows, y = make_target(ds, target_class=1)
    assert np.array_equal(rows, np.arange(12)) and np.array_equal(y, np.where(lab == 1, 1.0, -1.0))
    rows, y = make_target(ds, pair=(2, 0))
    assert np.array_equal(rows, [0, 2, 3, 5, 6, 8, 9, 11])
    assert np.array_equal(y, [-1, 1, -1, 1, -1, 1, -1, 1])
    assert np.array_equal(make_target(ds, pair="2,0")[1], y)
    rows, Y = make_target(ds)
    assert Y.shape == (12, 3)
    assert np.array_equal(Y[:4], [[1, -1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, -1]])
    rows, y = make_target(ds, target_class=0, index=np.array([4, 3, 9]))
    assert np.array_equal(rows, [4, 3, 9]) and np.array_equal(y, [-1, 1, 1])


def test_make_target_uses_the_files_regression_target_by_default():
    t = np.array([1e30, -1.0, 1.0, 7.0, 0.5, 2.0])
    ds = _ds(6, labels=False, targets=t)
    rows, y = make_target(ds)
    assert np.array_equal(y, t) and np.array_equal(rows, np.arange(6))
    ds = _ds(6, labels=True, targets=t)       # labels and a target: the target by default
    assert np.array_equal(make_target(ds)[1], t)
    assert np.array_equal(make_target(ds, target_class=2)[1], [-1, -1, 1, -1, -1, 1])


def test_make_target_errors_name_the_option_and_the_classes():
    ds = _ds()
    with pytest.raises(ParameterError, match=r"target_class=7.*classes present \[0, 1, 2\]"):
        make_target(ds, target_class=7)
    with pytest.raises(ParameterError, match=r"pair=.*classes present \[0, 1, 2\]"):
        make_target(ds, pair=(0, 5))
    with pytest.raises(ParameterError, match="pair"):
        make_target(ds, pair=(1, 1))
    with pytest.raises(ParameterError, match="pair"):
        make_target(ds, pair="1;2")
    with pytest.raises(ParameterError, match="target_class"):
        make_target(ds, target_class=1, pair=(0, 1))
    with pytest.raises(ParameterError, match=r"target_class.*no class labels"):
        make_target(_ds(labels=False, targets=np.zeros(12)), target_class=0)
    with pytest.raises(ParameterError, match=r"target.*--target-class/--pair"):
        make_target(_ds(labels=False))


# ------------------------------------------------------------------------------ pools
def test_select_pool_is_the_seeded_shuffle_of_the_training_split():
    ds = _ds(12)
    for seed in (0, 1, 7):
        assert np.array_equal(select_pool(ds, 5, seed), np.random.default_rng(seed).permutation(12)[:5])
        assert np.array_equal(select_pool(ds, 5, seed), select_pool(ds, 5, seed))      # deterministic
    assert not np.array_equal(select_pool(ds, 5, 0), select_pool(ds, 5, 1))
    split = _ds(12, test_start=8)
    assert np.array_equal(select_pool(split, 8, 3), np.random.default_rng(3).permutation(8))
    with pytest.raises(ParameterError, match=r"pool=9.*\[2, 8\]"):
        select_pool(split, 9, 0)


@pytest.mark.parametrize("bad", [-5, 0, 1, 13, 5000, 2.5, True, "5"])
def test_select_pool_refuses_out_of_range_values(bad):
    with pytest.raises(ParameterError, match=rf"invalid pool={bad!r}: expected an integer in \[2, 12\]"):
        select_pool(_ds(12), bad, 0)


def test_pool_size_on_digits_is_validated_not_clamped():
    ds = load_digits()
    for bad in (-5, 5000, 1798):
        with pytest.raises(ParameterError, match=rf"pool={bad}.*\[2, 1797\]"):
            select_pool(ds, bad, 0)
    assert select_pool(ds, 1797, 0).size == 1797


def test_pool_of_a_pair_keeps_the_shuffled_order():
    ds = _ds(30)
    rows, _ = make_target(ds, pair=(0, 2))
    idx = select_pool(ds, 6, 4, rows=rows)
    perm = np.random.default_rng(4).permutation(30)
    assert np.array_equal(idx, [i for i in perm if i % 3 in (0, 2)][:6])
    with pytest.raises(ParameterError, match=r"pool=21.*\[2, 20\]"):
        select_pool(ds, 21, 0, rows=rows)
    p = pool_data(ds, 6, 4, pair=(0, 2))
    assert np.array_equal(p.index, idx) and np.array_equal(p.y, np.where(idx % 3 == 0, 1.0, -1.0))
    assert np.allclose(p.X, ds.X[idx] / np.linalg.norm(ds.X[idx], axis=1)[:, None], rtol=1e-14)


def test_held_out_without_a_split_continues_the_pool_order():
    ds = _ds(12)
    pool = select_pool(ds, 5, 2)
    test = held_out(ds, pool, 4, 2)
    assert np.array_equal(test, np.random.default_rng(2).permutation(12)[5:9])
    assert np.array_equal(held_out(ds, pool, 4, 2), test)          # deterministic
    assert np.intersect1d(test, pool).size == 0
    assert np.array_equal(np.sort(held_out(ds, pool, None, 2)), np.setdiff1d(np.arange(12), pool))
    no_rows = r"pool=12.*a pool of 12 leaves no held-out rows; use pool <= N - n_test = 8"
    with pytest.raises(ParameterError, match=no_rows):
        held_out(ds, select_pool(ds, 12, 0), 4, 0)
    with pytest.raises(ParameterError, match=r"pool=10.*leaves only 2 held-out rows; use pool <= N - n_test = 8"):
        held_out(ds, select_pool(ds, 10, 0), 4, 0)


def test_held_out_uses_the_official_test_split():
    ds = _ds(12, test_start=8)
    pool = select_pool(ds, 8, 0)
    test = held_out(ds, pool, 3, 5)
    assert np.array_equal(test, 8 + np.random.default_rng(5).permutation(4)[:3])
    assert np.array_equal(np.sort(held_out(ds, pool, None, 0)), [8, 9, 10, 11])
    with pytest.raises(ParameterError, match=r"n_test=5.*\[1, 4\].*official test split"):
        held_out(ds, pool, 5, 0)
    with pytest.raises(ParameterError, match="pool_index"):
        held_out(ds, np.array([0, 9]), 2, 0)


def test_dataset_checks_its_split_and_targets():
    with pytest.raises(DataError, match="test_start"):
        _ds(12, test_start=12)
    with pytest.raises(DataError, match="targets"):
        _ds(12, targets=np.zeros(11))
    with pytest.raises(DataError, match="labels must be integers"):
        Dataset(X=np.ones((2, 2)), labels=np.array([0.5, 1.0]), name="t", description="")
    assert _ds(12, targets=np.zeros((12, 2))).targets.shape == (12, 2)
