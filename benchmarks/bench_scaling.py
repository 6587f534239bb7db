"""``symrg scaling --data fashion --pool 10000`` as a user runs it: wall time and peak memory.

The issue's budget: under 10 minutes on 2 cores and under 4 GB.  The command runs in a fresh process
(``python -m symrg scaling ... --json``); the peak resident memory is that child's ``ru_maxrss``.  The
measured exponent and its interval are printed beside the cost.  Asserts nothing (no timing is tested).

    python benchmarks/bench_scaling.py [--pool 10000] [--ns 50,100,200,400] [--trials 10]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="fashion")
    ap.add_argument("--pool", type=int, default=10000)
    ap.add_argument("--ns", default="50,100,200,400")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--ridge", type=float, default=0.01)
    a = ap.parse_args(argv)
    cmd = [sys.executable, "-m", "symrg", "scaling", "--data", a.data, "--kernel", "relu", "--depth", "1",
           "--ridge", str(a.ridge), "--pool", str(a.pool), "--ns", a.ns, "--trials", str(a.trials), "--seed", "0",
           "--quiet", "--json"]
    print("running:", " ".join(cmd[2:]), flush=True)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20   # KiB -> GiB (Linux)
    if r.returncode != 0:
        print(r.stderr[-2000:])
        return r.returncode
    out = json.loads(r.stdout)
    print(f"wall {wall:.0f} s ({wall / 600:.2f} of the 10-minute budget), peak memory {peak_gb:.2f} GiB "
          f"({peak_gb / 4 * 2**30 / 1e9:.2f} of 4 GB)")
    print(f"alpha {out['alpha']:.3f} {out['alpha_ci']}, predicted slope {out['predicted_slope']:.3f}, "
          f"measured {out['measured_slope']:.3f} {out['measured_slope_ci']}, consistent: {out['consistent']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
