"""The registry of two-route cross-checks behind ``symrg verify`` (:mod:`.registry`); the checks sit
beside it, grouped by subject, and are registered when this package is imported."""
from .registry import REGISTRY, Check, CheckResult, check, format_table, load_all, markdown_table, run_checks

# registration order = the order of `symrg verify` and of the report table
from . import checks_spectra, checks_flow, checks_engine, checks_finite_width, checks_input_ridge  # noqa: E402,F401,I001

__all__ = ["Check", "CheckResult", "REGISTRY", "check", "load_all", "run_checks", "format_table", "markdown_table"]
