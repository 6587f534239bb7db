"""The registry of cross-checks behind ``symrg verify`` (docs/theory.md section 7).

Every check has a ``category``:

* ``"two-route"``: one quantity of the theory computed by two routes that share no code for that
  quantity (``route_a`` / ``route_b`` say exactly what each route is);
* ``"lowering"``: the SymPy -> NumPy lowering: a generated NumPy function against its generated
  mpmath twin, or the committed generated files against a fresh regeneration;
* ``"regression"``: a value pinned from ONE earlier measurement by symrg itself (``route_b`` states the
  pinned value, the check's ``detail`` the pinned and the measured value).  A pass means the value is
  unchanged, never that two routes agree: the tables, the summary and the JSON counts keep these apart.

A check returns a measured ``discrepancy``, which must not exceed its tolerance; a tolerance
is chosen so that a 10% error in either route fails (tests/verify perturbs route A of every two-route
check by 10% and asserts the failure; a regression check fails on a 10% change of the measured value).  ``quick`` checks run by default; ``full`` ones (high-precision or large
runs) run with ``symrg verify --full``.
The checks live beside this module, grouped by subject (``checks_spectra``, ``checks_flow``,
``checks_reduced``, ``checks_engine``, ``checks_finite_width``, ``checks_input_ridge``,
``checks_codegen``, ``checks_running``); they register with the
:func:`check` decorator and :func:`load_all` imports them.

A user adds a check of their own by writing a module that registers it with :func:`check` (alias
:func:`register_check`) and naming that module: ``symrg verify --plugin mypackage.mychecks`` or
:func:`load_plugin` (docs/api.md).  Only a module the user names is imported, by its dotted name,
with :func:`importlib.import_module`; nothing is evaluated.
"""
from __future__ import annotations

import contextlib
import math
import time
import traceback
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

__all__ = ["CATEGORIES", "Check", "CheckResult", "REGISTRY", "check", "register_check", "load_all", "load_plugin",
           "run_checks", "format_table", "markdown_table", "category_counts", "summary_line", "RESULT_WORDS"]

CATEGORIES = {
    "two-route": "two routes that share no code for the quantity checked",
    "lowering": "SymPy -> NumPy lowering: generated NumPy vs generated mpmath twin, regeneration byte-identical",
    "regression": "PINNED VALUES, NOT AGREEMENT: a value symrg measured once, pinned; a pass means it is unchanged",
}

# what a passing / failing check of each category is called in the tables and the summary
RESULT_WORDS = {"two-route": ("agree", "DISAGREE"), "lowering": ("pass", "FAIL"),
                "regression": ("unchanged", "CHANGED")}


def _check_category(category) -> str:
    if category not in CATEGORIES:
        from ..errors import ParameterError

        raise ParameterError("category", category, f"one of {sorted(CATEGORIES)}")
    return category


@dataclass(frozen=True)
class Check:
    name: str
    category: str
    claim: str
    route_a: str
    route_b: str
    tolerance: float
    full_only: bool
    func: Callable[[], tuple]

    def __post_init__(self):
        _check_category(self.category)


@dataclass
class CheckResult:
    """One row of ``symrg verify``; :meth:`to_dict` gives the JSON keys in this order."""

    name: str
    category: str
    claim: str
    route_a: str
    route_b: str
    discrepancy: float
    tolerance: float
    passed: bool
    seconds: float
    detail: str

    def to_dict(self) -> dict:
        d = asdict(self)
        if not math.isfinite(d["discrepancy"]):
            d["discrepancy"] = str(d["discrepancy"])
        return d


REGISTRY: dict[str, Check] = {}
_CHECK_MODULES = tuple(f"symrg.verify.checks_{s}" for s in ("spectra", "flow", "reduced", "engine", "finite_width",
                                                                "input_ridge", "codegen", "running"))


def check(name: str, claim: str, route_a: str, route_b: str, tolerance: float, full: bool = False, *,
          category: str):
    """Register ``func() -> (discrepancy, detail)``; passes when ``discrepancy <= tolerance``.

    ``category`` is one of :data:`CATEGORIES` (``"two-route"``, ``"lowering"`` or ``"regression"``; for a
    regression check ``route_b`` states the pinned value and ``detail`` must give the pinned and the
    measured value).
    """
    _check_category(category)

    def deco(func):
        REGISTRY[name] = Check(name, category, claim, route_a, route_b, float(tolerance), full, func)
        return func
    return deco


register_check = check   # the name docs/api.md uses for a user's own check


def load_plugin(name) -> list[str]:
    """Import the user's module ``name`` that registers checks with :func:`check`; returns the names of the
    checks it added.  ``name`` is a path to a ``.py`` file, a module in the current folder (``mychecks`` for
    ``./mychecks.py``), or a dotted module name on ``sys.path`` (``mypackage.mychecks``).  A file is
    imported under its own name with :mod:`importlib` (no change to ``sys.path``).  Raises ParameterError
    naming ``--plugin`` when the name is neither, the import fails, or the module registers no check."""
    import importlib
    import importlib.util
    import os
    import sys
    from pathlib import Path

    from ..errors import ParameterError

    if not isinstance(name, (str, os.PathLike)) or not str(name):
        raise ParameterError("--plugin", name, "a .py file, a module in the current folder or a dotted module name")
    text = str(name)
    before = set(REGISTRY)
    path = Path(text)
    if text.endswith(".py") or os.sep in text:
        if not path.is_file():
            raise ParameterError("--plugin", text, "an existing Python file (.py) that registers checks")
    elif all(part.isidentifier() for part in text.split(".")) and "." not in text and Path(f"{text}.py").is_file() \
            and importlib.util.find_spec(text) is None:
        path = Path(f"{text}.py")                                  # a module in the current folder
    else:
        path = None
    if path is not None:
        mod_name = f"symrg_plugin_{path.stem}" if path.stem.isidentifier() else "symrg_plugin"
        already = mod_name in sys.modules
        spec = importlib.util.spec_from_file_location(mod_name, path.resolve())
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)   # the user's own file, named by the user on the command line
        except Exception as exc:              # its error is the user's to read, in one line
            raise ParameterError("--plugin", text, "a Python file that imports cleanly",
                                 f"{type(exc).__name__}: {exc}") from None
        sys.modules[mod_name] = module
    else:
        if not all(part.isidentifier() for part in text.split(".")):
            raise ParameterError("--plugin", text, "a .py file, a module in the current folder or a dotted module "
                                 "name such as mypackage.mychecks")
        already = text in sys.modules
        try:
            importlib.import_module(text)
        except ImportError as exc:
            raise ParameterError("--plugin", text, "a .py file, a module in the current folder, or an importable "
                                 "module on the Python path", f"{type(exc).__name__}: {exc}") from None
    added = [n for n in REGISTRY if n not in before]
    if not added and not already:
        raise ParameterError("--plugin", text, "a module that registers at least one check with "
                             "symrg.verify.register_check (see docs/api.md)")
    return added


def load_all() -> dict[str, Check]:
    """Import every module that registers checks."""
    import importlib

    for mod in _CHECK_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:  # a capability not installed in this build
            pass
    return REGISTRY


def single_threaded_blas():
    """Context limiting BLAS/LAPACK to one thread (threadpoolctl, when installed; else a no-op).

    The checks' matrices are small (at most 1000 x 1000); on a loaded machine the worker threads of
    a multi-threaded BLAS wait for each other and slow an eigendecomposition down by more than 10x.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    import scipy.linalg  # noqa: F401  (load SciPy's BLAS now: the limit applies to the libraries loaded on entry)

    return threadpool_limits(limits=1, user_api="blas")


def run_checks(full: bool = False, only: str | None = None, progress=None) -> list[CheckResult]:
    """Run the selected checks (BLAS single-threaded, :func:`single_threaded_blas`)."""
    checks = [c for c in load_all().values() if (full or not c.full_only) and (only is None or only in c.name)]
    if only is not None and not checks:
        from ..errors import ParameterError

        raise ParameterError("only", only, f"text contained in a check name, e.g. one of {sorted(REGISTRY)[:4]}")
    with single_threaded_blas():
        return _run(checks, progress)


def _run(checks, progress) -> list[CheckResult]:
    out = []
    for i, c in enumerate(checks):
        t0 = time.perf_counter()
        try:
            disc, detail = c.func()
            disc = float(disc)
            passed = math.isfinite(disc) and disc <= c.tolerance
        except Exception as exc:  # a crashing check is a failed check, reported with its error
            disc, detail, passed = float("nan"), f"error: {type(exc).__name__}: {exc}\n" + \
                traceback.format_exc(limit=3), False
        out.append(CheckResult(c.name, c.category, c.claim, c.route_a, c.route_b, disc, c.tolerance, passed,
                               time.perf_counter() - t0, detail))
        if progress:
            progress(i + 1, len(checks), c.name)
    return out


def _by_category(results: list[CheckResult]) -> list[tuple[str, list[CheckResult]]]:
    """Results grouped by category (in :data:`CATEGORIES` order), registration order within a group."""
    return [(cat, [r for r in results if r.category == cat]) for cat in CATEGORIES
            if any(r.category == cat for r in results)]


def category_counts(results: list[CheckResult]) -> dict:
    """``{category: {"description", "checks", "failed"}}`` for the categories present."""
    return {cat: {"description": CATEGORIES[cat], "checks": len(rs), "failed": sum(not r.passed for r in rs)}
            for cat, rs in _by_category(results)}


def _result_word(r: CheckResult) -> str:
    ok, bad = RESULT_WORDS.get(r.category, ("pass", "FAIL"))
    return ok if r.passed else bad


def summary_line(results: list[CheckResult]) -> str:
    """``"N two-route agree, M lowering pass, K regression unchanged (pinned values, not agreement); F failed"``:
    each category counted apart, so that a pinned value is never read as an agreement."""
    parts = []
    for cat, rs in _by_category(results):
        ok = sum(r.passed for r in rs)
        text = f"{ok} {cat} {RESULT_WORDS[cat][0]}" + (f" of {len(rs)}" if ok != len(rs) else "")
        if cat == "regression":
            text += " (pinned values, not agreement)"
        parts.append(text)
    failed = sum(not r.passed for r in results)
    return ", ".join(parts) + f"; {failed} failed"


def _wrap(label: str, text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=f"    {label}", subsequent_indent=" " * (4 + len(label)),
                         break_long_words=True, break_on_hyphens=False) or [f"    {label}"]


def format_table(results: list[CheckResult], width: int = 110) -> str:
    """Plain-text table, one block per category.  Every row names its category and its result word
    (agree / pass / unchanged); under it the routes are printed in full, wrapped at ``width`` characters
    (never cut), and for a regression check the pinned and measured values (its ``detail``)."""
    head = ("check", "category", "discrepancy", "tolerance", "result")
    groups = [(cat, [(r, (r.name, f"[{cat}]", f"{r.discrepancy:.2e}", f"{r.tolerance:.0e}", _result_word(r)))
                     for r in rs]) for cat, rs in _by_category(results)]
    allrows = [head] + [row for _, rows in groups for _, row in rows]
    w = [max(len(row[i]) for row in allrows) for i in range(5)]
    fmt = lambda row: "  ".join(x.ljust(w[i]) for i, x in enumerate(row)).rstrip()  # noqa: E731
    blocks = []
    for cat, rows in groups:
        title = f"[{cat}] {CATEGORIES[cat]} ({len(rows)} checks)"
        lines = [title, fmt(head), "  ".join("-" * x for x in w)]
        for r, row in rows:
            lines.append(fmt(row))
            lines += _wrap("A: ", r.route_a, width)
            lines += _wrap("B: ", r.route_b, width)
            if cat == "regression":
                lines += _wrap("pinned vs measured: ", r.detail, width)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(results: list[CheckResult]) -> str:
    """Markdown tables, one per category: two-route and lowering checks with both routes, discrepancy and
    tolerance; regression checks with the pinned and the measured value, titled as pinned values (a pass
    means unchanged, not agreement)."""
    out = []
    for cat, rs in _by_category(results):
        if cat == "regression":
            out += [f"**Regression checks ({len(rs)}): pinned values, not agreement.** Each compares a value "
                    "measured now with the value symrg measured once and pinned; a pass means unchanged.", "",
                    "| check | category | quantity | measured now | pinned value | pinned vs measured | "
                    "discrepancy | tolerance | result |", "|---|---|---|---|---|---|---|---|---|"]
            out += [f"| `{r.name}` | {cat} | {_md(r.claim)} | {_md(r.route_a)} | {_md(r.route_b)} | {_md(r.detail)} | "
                    f"{r.discrepancy:.2e} | {r.tolerance:.0e} | {_result_word(r) if r.passed else '**CHANGED**'} |"
                    for r in rs]
        else:
            what = "two routes that share no code" if cat == "two-route" else "the SymPy -> NumPy lowering"
            out += [f"**{cat.capitalize()} checks ({len(rs)}): {what}.**", "",
                    "| check | category | closed form | route A | route B | discrepancy | tolerance | result |",
                    "|---|---|---|---|---|---|---|---|"]
            out += [f"| `{r.name}` | {cat} | {_md(r.claim)} | {_md(r.route_a)} | {_md(r.route_b)} | "
                    f"{r.discrepancy:.2e} | {r.tolerance:.0e} | "
                    f"{_result_word(r) if r.passed else '**' + _result_word(r) + '**'} |" for r in rs]
        out.append("")
    return "\n".join(out).rstrip()


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale))
