"""Shared test configuration.

Property tests are derandomized (the "symrg" Hypothesis profile).  BLAS is limited to one thread: on the
2-core CI machine, multithreaded OpenBLAS on small
matrices was measured 10-100x slower than single-threaded when tests run beside each other.

The suite runs in parallel (pytest-xdist, ``-n auto`` in pyproject.toml): one worker per core this process may
use, at most 4 (:func:`pytest_xdist_auto_num_workers`); ``-n 0`` runs it serially,
``PYTEST_XDIST_AUTO_NUM_WORKERS=N`` sets the count.
"""
import os

import numpy as np
import pytest
from hypothesis import settings

# property tests draw the same examples on every run (CI decides on a fixed set; a new counterexample is
# found by changing the profile locally, not by chance in CI), and write no example database
settings.register_profile("symrg", derandomize=True, database=None)
settings.load_profile("symrg")

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn ([data] extra)
    threadpool_limits = None


MAX_WORKERS = 4   # each worker holds its own imports and caches (0.4-0.9 GB peak measured)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config):
    """``-n auto``: the cores this process may run on (``os.sched_getaffinity``, not psutil's physical count,
    which is 1 on a 2-vCPU machine), at most :data:`MAX_WORKERS`; ``PYTEST_XDIST_AUTO_NUM_WORKERS`` wins."""
    env = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    if env.strip().isdigit():
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:   # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


@pytest.fixture(autouse=True, scope="session")
def _single_blas_thread():
    if threadpool_limits is None:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def without_dask(monkeypatch):
    """Imports of ``dask`` fail, as on a machine without the ``[distributed]`` extra."""
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name.startswith("dask"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
