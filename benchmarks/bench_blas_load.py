"""BLAS threads under load: one symrg command with the BLAS library's default threads (one per core) against
the count :func:`symrg._parallel.free_cores` picks for the cores actually free.

    python benchmarks/bench_blas_load.py [--busy 2] [--repeat 3] [--inprocess] [-- symrg command ...]

``--busy K`` starts K busy-loop processes (a synthetic load, ended by this script at exit) before timing.
Each repeat runs the command twice, interleaved: once with ``OMP_NUM_THREADS`` (and the OpenBLAS / MKL
variables) set to the number of cores -- what a BLAS library does by default, and a setting symrg leaves
alone -- and once with none set, so that ``symrg`` chooses (``blas_threads_for_free_cores`` around every
command).  The default command is a dense eigendecomposition of a digits kernel (BLAS-bound):
``symrg spectrum --data digits --pool 1200 --kappa 100 --method exact --quiet --json``.

``--inprocess``: instead of a command, a BLAS-bound kernel of the studies timed in this process -- the
dense eigendecomposition of the ReLU NNGP Gram matrix of the 1797 digits (``NNGPKernel.gram`` then
``numpy.linalg.eigh``) -- under ``threadpool_limits(cores)`` and under ``blas_threads_for_free_cores()``.

Prints the wall times, the load average and the ratio default / chosen measured in this run.
No assertions (speed claims are ratios from one run, not tests).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

DEFAULT_CMD = ["spectrum", "--data", "digits", "--pool", "1200", "--kappa", "100", "--method", "exact",
               "--quiet", "--json"]
_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _env(threads: int | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _VARS}
    if threads is not None:
        env.update({k: str(threads) for k in _VARS})
    return env


def _time(cmd, env) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symrg", *cmd], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _inprocess_workload():
    import numpy as np

    from symrg.data import load_digits
    from symrg.spectra.kernels import NNGPKernel
    Z = load_digits().on_sphere(center=True)
    K = NNGPKernel("relu", 1).gram(Z)

    def run():
        np.linalg.eigh(K)
    return run


def _time_inprocess(work, cores: int | None) -> float:
    from threadpoolctl import threadpool_limits

    from symrg._parallel import blas_threads_for_free_cores
    ctx = threadpool_limits(limits=cores) if cores is not None else blas_threads_for_free_cores()
    with ctx:
        t0 = time.perf_counter()
        work()
        return time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="BLAS threads: library default vs symrg's choice, under a synthetic load")
    p.add_argument("--busy", type=int, default=2, help="busy-loop processes started as a synthetic load")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--inprocess", action="store_true", help="time a dense NNGP eigendecomposition in this process")
    p.add_argument("cmd", nargs="*", help="the symrg command (after --); default: a dense digits spectrum")
    a = p.parse_args(argv)
    cmd = a.cmd or DEFAULT_CMD
    from symrg._parallel import free_cores
    cores = len(os.sched_getaffinity(0))
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(a.busy)]
    try:
        time.sleep(5 if busy else 0)
        work = None
        if a.inprocess:
            for k in _VARS:
                os.environ.pop(k, None)
            work = _inprocess_workload()
            print("in process: numpy.linalg.eigh of the ReLU NNGP Gram matrix of the 1797 digits")
        else:
            print(f"command: symrg {' '.join(cmd)}")
        print(f"cores {cores}, busy loops {a.busy}, load average at start {os.getloadavg()}, "
              f"free_cores() now {free_cores()}")
        rows = []
        for r in range(a.repeat):
            if work is not None:
                t_def, t_cho = _time_inprocess(work, cores), _time_inprocess(work, None)
            else:
                t_def, t_cho = _time(cmd, _env(cores)), _time(cmd, _env(None))
            rows.append((t_def, t_cho))
            print(f"repeat {r + 1}: default ({cores} threads) {t_def:.2f} s, chosen {t_cho:.2f} s, "
                  f"ratio {t_def / t_cho:.2f}, load {os.getloadavg()[0]:.2f}", flush=True)
        best_def, best_cho = min(x[0] for x in rows), min(x[1] for x in rows)
        ratios = sorted(d / c for d, c in rows)
        print(f"best of {a.repeat}: default {best_def:.2f} s, chosen {best_cho:.2f} s, ratio {best_def / best_cho:.2f}; "
              f"per-repeat ratios {', '.join(f'{x:.2f}' for x in ratios)}; load at end {os.getloadavg()}")
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
