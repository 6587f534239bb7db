"""docs/theory.md names code that exists: every backticked ``symrg.x.y`` resolves to an object."""
import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "theory.md"
NAMES = sorted(set(re.findall(r"`(symrg(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`", DOC.read_text(encoding="utf-8"))))


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def test_theory_md_names_enough_code():
    assert len(NAMES) > 40


@pytest.mark.parametrize("name", NAMES)
def test_theory_md_reference_resolves(name):
    assert _resolve(name) is not None
