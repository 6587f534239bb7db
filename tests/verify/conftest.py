"""The checks run with BLAS single-threaded, as ``symrg verify`` runs them (registry.single_threaded_blas)."""
import pytest

from symrg.verify.registry import single_threaded_blas


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with single_threaded_blas():
        yield
