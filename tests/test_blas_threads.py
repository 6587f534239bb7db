"""BLAS threads for the cores actually free (symrg._parallel.free_cores / blas_threads_for_free_cores).

The rule is checked on given numbers (no timing, no dependence on this machine's load): a wrong rule --
the core count whatever the load (the oversubscription it exists to prevent), or a count off by one --
fails at least one case."""
import pytest

from symrg._parallel import blas_threads_for_free_cores, free_cores


@pytest.mark.parametrize("cores, load, expected", [
    (2, 0.0, 2), (2, 0.3, 2), (2, 0.6, 1), (2, 1.0, 1), (2, 7.3, 1),       # 2 cores: idle, lightly and busy loaded
    (8, 3.2, 5), (8, 2.6, 5), (8, 0.0, 8), (16, 20.0, 1), (1, 0.0, 1),
    (4, float("nan"), 4), (4, -1.0, 4),                                      # no usable load average: all cores
])
def test_free_cores_rule(cores, load, expected):
    assert free_cores(cores, load) == expected


def test_free_cores_of_this_process_is_a_valid_count():
    import os
    n = free_cores()
    assert 1 <= n <= len(os.sched_getaffinity(0))


def test_user_thread_setting_wins(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with blas_threads_for_free_cores() as n:
        assert n is None


def test_limit_is_applied_and_restored(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr("symrg._parallel.free_cores", lambda: 1)
    import numpy  # noqa: F401  (loads the BLAS library threadpoolctl controls)
    before = [p["num_threads"] for p in threadpoolctl.threadpool_info()]
    with blas_threads_for_free_cores() as n:
        assert n == 1
        assert all(p["num_threads"] == 1 for p in threadpoolctl.threadpool_info())
    assert [p["num_threads"] for p in threadpoolctl.threadpool_info()] == before
