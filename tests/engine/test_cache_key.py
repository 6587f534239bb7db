"""The disk cache keys on everything that changes a Wilsonian step (issue 21, cache poisoning):
every option, zeros and falses included, and the symrg version.  The reference for each command line
is a fresh run with the cache off (``SYMRG_NO_CACHE=1`` and an empty in-memory memo)."""
import json

import pytest

from symrg.cli import main
from symrg.engine import example_path, load_action
from symrg.engine.cache import cache_key, clear_memory_cache

# every derive option that reaches the engine, at non-default values, then the defaults
OPTIONS = [["--max-degree", "0"], ["--resum"], ["--no-diagrams"], ["--diagrams"], ["--order", "1"],
           ["--order", "0"], ["--max-degree", "2", "--resum", "--no-diagrams", "--order", "3"], []]


def _derive(capsys, name, extra):
    assert main(["derive", str(example_path(name)), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", ["phi4_0d", "ridge_flow"])
@pytest.mark.parametrize("order", ["options first", "defaults first"])
def test_cached_results_equal_fresh_uncached_runs(capsys, tmp_path, monkeypatch, name, order):
    fresh = {}
    monkeypatch.setenv("SYMRG_NO_CACHE", "1")
    for extra in OPTIONS:
        clear_memory_cache()
        fresh[tuple(extra)] = _derive(capsys, name, extra)
    assert fresh[("--max-degree", "0")] != fresh[()]            # the options do change the result
    monkeypatch.delenv("SYMRG_NO_CACHE")
    monkeypatch.setenv("SYMRG_CACHE_DIR", str(tmp_path))
    clear_memory_cache()
    sequence = OPTIONS if order == "options first" else OPTIONS[::-1]
    for rounds in range(2):                  # the second round reads the disk entries back
        for extra in sequence:
            assert _derive(capsys, name, extra) == fresh[tuple(extra)], (name, extra)
        clear_memory_cache()
    assert len(list(tmp_path.glob("engine-*.json"))) >= 6


def test_key_covers_zeros_falses_and_the_version(monkeypatch):
    a = load_action(example_path("phi4_0d"))
    keys = {cache_key(a, 2, True, max_degree=None, resum=False), cache_key(a, 2, True, max_degree=0, resum=False),
            cache_key(a, 2, True, max_degree=None, resum=True), cache_key(a, 2, False, max_degree=None, resum=False),
            cache_key(a, 2, "auto", max_degree=None, resum=False), cache_key(a, 0, True, max_degree=None, resum=False),
            cache_key(a, 2, True, max_degree=0, resum=0)}
    assert len(keys) == 7
    before = cache_key(a, 2, True, max_degree=None, resum=False)
    monkeypatch.setattr("symrg.__version__", "0.0.0-other")
    assert cache_key(a, 2, True, max_degree=None, resum=False) != before
