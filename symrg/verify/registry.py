"""The registry of cross-checks behind ``symrg verify`` (THEORY.md section 7).

Each check compares one closed form of the theory computed by two independent routes and
returns a measured discrepancy, which must not exceed the check's tolerance.  ``quick`` checks
run by default; ``full`` ones (high-precision or large runs) run with ``symrg verify --full``.
The checks live beside this module, grouped by subject (``checks_spectra``, ``checks_flow``,
``checks_engine``, ``checks_finite_width``, ``checks_input_ridge``); they register with the
:func:`check` decorator and :func:`load_all` imports them.
"""
from __future__ import annotations

import math
import time
import traceback
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

__all__ = ["Check", "CheckResult", "REGISTRY", "check", "load_all", "run_checks", "format_table", "markdown_table"]


@dataclass(frozen=True)
class Check:
    name: str
    claim: str
    route_a: str
    route_b: str
    tolerance: float
    full_only: bool
    func: Callable[[], tuple]


@dataclass
class CheckResult:
    name: str
    claim: str
    route_a: str
    route_b: str
    agreement: float
    tolerance: float
    passed: bool
    seconds: float
    detail: str

    def to_dict(self) -> dict:
        d = asdict(self)
        if not math.isfinite(d["agreement"]):
            d["agreement"] = str(d["agreement"])
        return d


REGISTRY: dict[str, Check] = {}
_CHECK_MODULES = tuple(f"symrg.verify.checks_{s}" for s in ("spectra", "flow", "engine", "finite_width", "input_ridge"))


def check(name: str, claim: str, route_a: str, route_b: str, tolerance: float, full: bool = False):
    """Register ``func() -> (discrepancy, detail)``; passes when ``discrepancy <= tolerance``."""
    def deco(func):
        REGISTRY[name] = Check(name, claim, route_a, route_b, float(tolerance), full, func)
        return func
    return deco


def load_all() -> dict[str, Check]:
    """Import every module that registers checks."""
    import importlib

    for mod in _CHECK_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:  # a capability not installed in this build
            pass
    return REGISTRY


def run_checks(full: bool = False, only: str | None = None, progress=None) -> list[CheckResult]:
    checks = [c for c in load_all().values() if (full or not c.full_only) and (only is None or only in c.name)]
    if only is not None and not checks:
        from ..errors import ParameterError

        raise ParameterError("only", only, f"text contained in a check name, e.g. one of {sorted(REGISTRY)[:4]}")
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
        out.append(CheckResult(c.name, c.claim, c.route_a, c.route_b, disc, c.tolerance, passed,
                               time.perf_counter() - t0, detail))
        if progress:
            progress(i + 1, len(checks), c.name)
    return out


def format_table(results: list[CheckResult]) -> str:
    rows = [("check", "routes compared", "agreement", "tolerance", "result")]
    for r in results:
        rows.append((r.name, f"{r.route_a}  vs  {r.route_b}", f"{r.agreement:.2e}", f"{r.tolerance:.0e}",
                     "PASS" if r.passed else "FAIL"))
    w = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(x.ljust(w[i]) for i, x in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(lines)


def markdown_table(results: list[CheckResult]) -> str:
    lines = ["| check | closed form | route A | route B | agreement | tolerance | result |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| `{r.name}` | {r.claim} | {r.route_a} | {r.route_b} | {r.agreement:.2e} | "
                     f"{r.tolerance:.0e} | {'PASS' if r.passed else '**FAIL**'} |")
    return "\n".join(lines)


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale))
