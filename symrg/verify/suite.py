"""The heavy tests of the test suite, run by ``symrg verify --full``.

The default ``pytest`` run leaves out the tests marked ``slow`` (``pyproject.toml``: ``-m "not slow"``): minutes of
mpmath quadrature, deep-kernel spectra, Monte Carlo of actual networks, every can-fail twin of the ``--full``
checks.  They are not dropped: ``symrg verify --full`` runs them, after the registry's checks, as
``python -m pytest -m slow`` on the suite of a source checkout (the folder ``tests/`` beside the package, or the
one given with ``--tests``).  An installed package without its tests says so and fails: a full verification
that could not run is not a pass.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["SuiteResult", "find_test_suite", "run_slow_tests"]

MARKER = "slow"


@dataclass(frozen=True)
class SuiteResult:
    """What ``pytest -m slow`` did: ``ran`` (False with the ``reason`` when the suite or pytest is missing),
    ``passed``, pytest's ``summary`` line, its exit ``returncode``, ``seconds``, the ``command`` run and the
    ``folder`` of the suite."""

    ran: bool
    passed: bool
    summary: str
    returncode: int | None
    seconds: float
    command: list
    folder: str | None
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _is_suite(folder: Path) -> bool:
    """A symrg test suite: a folder with test files whose parent holds symrg's pyproject.toml."""
    pyproject = folder.parent / "pyproject.toml"
    if not folder.is_dir() or not pyproject.is_file() or not any(folder.rglob("test_*.py")):
        return False
    return re.search(r'(?m)^name\s*=\s*"symrg"', pyproject.read_text(errors="replace")) is not None


def find_test_suite(explicit: str | Path | None = None) -> Path | None:
    """The folder of symrg's tests: ``explicit`` when given (a ``ParameterError`` if it is not one), else
    ``tests/`` beside the imported package (an editable install or a run from the checkout), else ``tests/`` in
    the current folder; None when there is none."""
    if explicit is not None:
        folder = Path(explicit).expanduser().resolve()
        if not _is_suite(folder):
            from ..errors import ParameterError

            raise ParameterError("tests", str(explicit), "the tests/ folder of a symrg source checkout (beside its "
                                                         "pyproject.toml)")
        return folder
    here = Path(__file__).resolve().parents[2] / "tests"
    for folder in (here, Path.cwd().resolve() / "tests"):
        if _is_suite(folder):
            return folder
    return None


def run_slow_tests(folder: Path | None, *, select: str | None = None, stream=None) -> SuiteResult:
    """Run the tests marked ``slow`` in ``folder`` with this interpreter's pytest (``-k select`` narrows them).
    ``stream``: a text stream that receives pytest's output as it comes (progress), else it is only captured."""
    cmd = [sys.executable, "-m", "pytest", "-m", MARKER, "-q", "-p", "no:cacheprovider"]
    if select:
        cmd += ["-k", select]
    if folder is None:
        return SuiteResult(False, False, "", None, 0.0, cmd, None,
                           "no test suite found: run from a source checkout of symrg (its tests/ folder beside "
                           "pyproject.toml) or pass --tests DIR")
    try:
        import pytest  # noqa: F401
        import xdist  # noqa: F401   (the suite's configuration runs it in parallel: -n auto)
    except ImportError as exc:
        return SuiteResult(False, False, "", None, 0.0, cmd, str(folder),
                           f"{exc.name} is not installed: python3 -m pip install 'symrg[test]'")
    cmd.append(str(folder))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=folder.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if stream is not None:
            stream.write(line)
            stream.flush()
    rc = proc.wait()
    summary = next((ln.strip("= ") for ln in reversed(lines) if re.search(r"\d+ (passed|failed|error|deselected)", ln)),
                   lines[-1] if lines else "")
    # exit 5: no test collected (a -k that matches nothing) -- nothing was verified, so not a pass
    return SuiteResult(True, rc == 0, summary, rc, time.perf_counter() - t0, cmd, str(folder),
                       "" if rc == 0 else f"pytest exited with status {rc}")
