"""No file in the repository refers to a document outside it.

The theory the code implements is ``docs/theory.md``; docstrings, help texts, examples, tests and
generated files cite its section numbers.  Every tracked file (``git ls-files``; text and binary) is
searched for the names of documents that live outside the repository.
"""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Built by concatenation so that this file does not match itself.
OUTSIDE = [s.encode() for s in ("THEORY" + ".md", "shared" + "/spec", "shared" + "/STYLE", "STYLE" + ".md",
                                "design" + "/layers.md")]

# Nothing is exempt.  (The set stays so that a file mid-rewrite on a branch can be listed, and
# test_exemptions_are_still_needed forces it out again once it is clean.)
PENDING: set[str] = set()


def _tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):     # not a git checkout: every file but caches
        skip = {".git", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"}
        return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)
                and not any(part.endswith(".egg-info") for part in p.parts)]


def test_the_search_sees_the_repository():
    files = _tracked_files()
    assert "docs/theory.md" in files and "symrg/__init__.py" in files


def test_no_file_refers_to_a_document_outside_the_repository():
    hits = []
    for name in _tracked_files():
        if name in PENDING:
            continue
        path = ROOT / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        for pat in OUTSIDE:
            if pat in data:
                line = data[: data.index(pat)].count(b"\n") + 1
                hits.append(f"{name}:{line}: {pat.decode()}")
    assert not hits, ("files refer to documents outside the repository (cite docs/theory.md section N "
                      "instead):\n" + "\n".join(hits))


def test_exemptions_are_still_needed():
    """Every exempt file exists and still names an outside document: a cleared file leaves the list."""
    stale = sorted(p for p in PENDING
                   if not (ROOT / p).is_file() or not any(pat in (ROOT / p).read_bytes() for pat in OUTSIDE))
    assert not stale, f"remove from PENDING in tests/test_no_outside_refs.py (nothing left to exempt): {stale}"
