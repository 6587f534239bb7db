"""The registry of cross-checks behind ``symrg verify`` (:mod:`.registry`): two-route checks, checks of
the SymPy -> NumPy lowering, and regression checks (pinned values, not agreement).  The checks sit beside it, grouped by subject, and are registered when this
package is imported."""
from .registry import (CATEGORIES, REGISTRY, Check, CheckResult, category_counts, check, format_table, load_all,
                       load_plugin, markdown_table, register_check, run_checks,
                       summary_line)

# registration order = the order of `symrg verify` and of the report table
from . import checks_spectra, checks_flow, checks_reduced, checks_engine, checks_finite_width, checks_input_ridge, checks_codegen, checks_running  # noqa: E402,F401,I001

__all__ = ["CATEGORIES", "Check", "CheckResult", "REGISTRY", "check", "register_check", "load_all", "load_plugin",
           "run_checks", "format_table", "markdown_table", "category_counts", "summary_line"]
