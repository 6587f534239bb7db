"""Derivation times of the Wilsonian engine at orders 1..3 and the cache-hit speed-up ratio.

Tensor quartic coupling, fully symmetric symbolic U over 2 kept + 2 integrated modes
(symrg/engine/examples/tensor_2x2.toml). Prints ratios and times; asserts nothing.
"""
from __future__ import annotations

import os
import tempfile
import time

from symrg.engine import example_path, load_action
from symrg.engine.cache import clear_memory_cache
from symrg.engine.wilson import cached_wilson_step, wilson_step


def main() -> int:
    act = load_action(example_path("tensor_2x2"))
    print("order  coefficients[s]  with-diagrams[s]  n_diagrams")
    for order in (1, 2, 3):
        t0 = time.perf_counter()
        wilson_step(act, order, diagrams=False, use_cache=False)
        t1 = time.perf_counter()
        res = wilson_step(act, order, diagrams=True, use_cache=False)
        t2 = time.perf_counter()
        print(f"{order:5d}  {t1 - t0:15.3f}  {t2 - t1:16.3f}  {len(res.diagrams):10d}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SYMRG_CACHE_DIR"] = tmp
        os.environ.pop("SYMRG_NO_CACHE", None)
        clear_memory_cache()
        t0 = time.perf_counter()
        cached_wilson_step(act, 3, False)
        cold = time.perf_counter() - t0
        clear_memory_cache()
        t0 = time.perf_counter()
        cached_wilson_step(act, 3, False)
        disk = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached_wilson_step(act, 3, False)
        mem = time.perf_counter() - t0
    print(f"order 3 cold {cold:.3f}s, disk hit {disk:.3f}s (x{cold / disk:.1f}), "
          f"memory hit {mem * 1e6:.1f}us (x{cold / max(mem, 1e-9):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
