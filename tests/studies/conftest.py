"""Fixtures of the report tests."""
import pytest


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory):
    """One quick serial report of the sections flows and spectra, shared read-only by the tests that inspect it
    (the report, its figures and its LaTeX; the process-pool run is compared against it)."""
    from symrg.studies.report import reproduce

    out = tmp_path_factory.mktemp("quick_report")
    return out, reproduce(out, quick=True, show_progress=False, only=["flows", "spectra"])
