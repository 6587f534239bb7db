"""Dask with 2 workers against the serial path on one learning-curve sweep: a wall-time ratio, and
whether the two JSON outputs are identical byte for byte (they must be: every trial carries its own seed).

Both runs are ``symrg learning-curve --data ... --json`` in a fresh process, the distributed one with
``--workers 2`` (a ``LocalCluster`` started by the command, its start-up time included).  Asserts nothing
(no timing is tested; tests/test_parallel.py checks the identity).

    python benchmarks/bench_dask.py [--data mnist] [--pool 3000] [--ns 50,100,200,400,800] [--trials 16]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "symrg", *cmd], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"symrg {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return time.perf_counter() - t0, r.stdout


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="mnist")
    ap.add_argument("--pool", type=int, default=3000)
    ap.add_argument("--ns", default="50,100,200,400,800")
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    base = ["learning-curve", "--data", a.data, "--kernel", "relu", "--depth", "2", "--ridge", "0.01",
            "--pool", str(a.pool), "--ns", a.ns, "--trials", str(a.trials), "--seed", "0", "--quiet", "--json"]
    t_serial, out_serial = run(base)
    t_dask, out_dask = run(base + ["--workers", str(a.workers)])
    print(f"learning-curve sweep ({a.data}, pool {a.pool}, n = {a.ns}, {a.trials} trials per n)")
    print(f"  serial {t_serial:.1f} s, Dask {a.workers} workers {t_dask:.1f} s: "
          f"ratio serial/Dask {t_serial / t_dask:.2f}")
    print(f"  JSON identical: {out_serial == out_dask}")
    return 0 if out_serial == out_dask else 1


if __name__ == "__main__":
    sys.exit(main())
