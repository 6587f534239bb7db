"""Serial or distributed execution of independent, seeded tasks (one code path for both).

Work that outgrows one machine -- trials of a learning-curve sweep, Monte Carlo ensembles, the
sections of ``symrg reproduce``, blockwise kernel products -- is written as a *pure* function of
its arguments, each task receiving its own ``numpy.random.SeedSequence`` child made up front.
:func:`executor` then runs the tasks in this process, on a local Dask cluster
(``workers=N``), or on an existing cluster (``scheduler="tcp://host:port"``).  The same seed gives
the same bytes on every path, because the tasks and their seeds do not depend on where they run,
and every task runs with one BLAS thread on both paths (:func:`_one_blas_thread`): a matrix product
split over a different number of threads rounds differently in the last bit.

Dask is an optional extra (``pip install "symrg[distributed]"``); asking for it without it
installed, or naming a scheduler that cannot be reached, is a clear error.
"""
from __future__ import annotations

import contextlib
import math
import os
import re
import sys
from typing import Callable, Iterable

from ._validate import check_int
from .errors import ParameterError

__all__ = ["Executor", "executor", "DISTRIBUTED_HINT", "free_cores", "blas_threads_for_free_cores"]

DISTRIBUTED_HINT = 'install the optional extra: pip install "symrg[distributed]" (dask.distributed)'


class Executor:
    """Runs ``fn(*shared, item)`` for every item, in order; serial unless a Dask client is given."""

    def __init__(self, client=None, progress: Callable | None = None):
        self.client = client
        self.progress = progress

    @property
    def distributed(self) -> bool:
        return self.client is not None

    @property
    def dashboard(self) -> str | None:
        return getattr(self.client, "dashboard_link", None) if self.client is not None else None

    def map(self, fn: Callable, items: Iterable, *shared, label: str = "tasks") -> list:
        """``[fn(*shared, item) for item in items]``, with progress; ``shared`` arguments (large
        arrays, a kernel) are sent to the workers once."""
        items = list(items)
        total = len(items)
        if self.client is None:
            out = []
            for i, item in enumerate(items):
                out.append(_one_blas_thread(fn, *shared, item))
                if self.progress:
                    self.progress(i + 1, total)
            return out
        from dask.distributed import as_completed

        refs = [self.client.scatter(x, broadcast=True) if _large(x) else x for x in shared]
        futures = [self.client.submit(_one_blas_thread, fn, *refs, item, pure=False) for item in items]
        for i, _ in enumerate(as_completed(futures)):
            if self.progress:
                self.progress(i + 1, total)
        return self.client.gather(futures)


def _one_blas_thread(fn, *args):
    """``fn(*args)`` with BLAS limited to one thread (``threadpoolctl``, installed with the
    ``[distributed]`` extra).  A product split over 2 threads rounds differently from one on 1 thread,
    so without the limit a serial run (all cores) and a Dask worker (1 thread) differ in the last bit.
    Without threadpoolctl the call runs as it is: Dask is then absent too, and there is nothing to
    match."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with the [distributed] and [test] extras
        return fn(*args)
    with threadpool_limits(limits=1, user_api="blas"):
        return fn(*args)


def _large(x) -> bool:
    nbytes = getattr(x, "nbytes", None)
    return nbytes is not None and nbytes > 1 << 20


_SCHEDULER = re.compile(r"^(?:(tcp|tls|ws|wss|ucx)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-_]*):(\d{1,5})$")


def check_scheduler_address(address) -> str:
    """``address`` if it has the form of a reachable Dask scheduler address, ``[PROTOCOL://]HOST:PORT``
    with PROTOCOL tcp, tls, ws, wss or ucx and PORT in [1, 65535]; else :class:`ParameterError` naming
    ``scheduler`` (``inproc://`` addresses live inside one process and cannot be reached from here)."""
    text = str(address).strip() if isinstance(address, str) else None
    m = _SCHEDULER.match(text) if text else None
    if m is None or not 1 <= int(m.group(3)) <= 65535:
        raise ParameterError("scheduler", address, "the address of a running Dask scheduler, tcp://HOST:PORT "
                             "(or tls://, ws://, wss://, ucx://; PORT in [1, 65535])")
    return text


@contextlib.contextmanager
def executor(workers: int | None = None, scheduler: str | None = None, progress=None, timeout: float = 10.0,
             announce=sys.stderr):
    """Context manager yielding an :class:`Executor`.

    No ``workers`` and no ``scheduler``: serial, in this process.  ``workers=N``: a local Dask
    cluster of N single-threaded worker processes, closed at exit.  ``scheduler=ADDRESS``: an
    existing cluster, reached within ``timeout`` seconds.  The dashboard address is written to
    ``announce`` (stderr by default) when there is one.
    """
    if workers is not None and scheduler is not None:
        raise ParameterError("workers", workers, "either --workers or --scheduler, not both")
    if workers is None and scheduler is None:
        yield Executor(None, progress)
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError("workers" if workers is not None else "scheduler", workers or scheduler,
                             "a run without Dask, or Dask installed", DISTRIBUTED_HINT) from None
    cluster = None
    try:
        if scheduler is not None:
            address = check_scheduler_address(scheduler)
            try:
                client = Client(address, timeout=f"{timeout}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ParameterError("scheduler", scheduler, "the address of a running Dask scheduler "
                                     "(tcp://host:port)", f"cannot reach it within {timeout:g} s: {exc}") from None
        else:
            workers = check_int(workers, "workers", 1, 256)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=40)
            client = Client(cluster)
        if announce is not None and client.dashboard_link:
            announce.write(f"dask: {len(client.scheduler_info().get('workers', {}))} workers, "
                           f"dashboard {client.dashboard_link}\n")
            announce.flush()
        try:
            yield Executor(client, progress)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


# ------------------------------------------------------------------ BLAS threads for the free cores --
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def free_cores(cores: int | None = None, load: float | None = None) -> int:
    """The cores this process may use without oversubscribing the machine: the cores it is allowed to run
    on (``os.sched_getaffinity``, else ``os.cpu_count``) minus the 1-minute load average of the others
    (``os.getloadavg``), rounded to the nearest integer, at least 1 and at most ``cores``.  ``cores`` /
    ``load`` given: the same rule on those numbers (no system call).

    Why: a BLAS library starts one thread per core whatever the load; on 2 cores at load 6, two BLAS
    threads per process time-slice against each other and against the other processes, and a run slows
    by several times the load itself.  With one thread per *free* core the slowdown stays near the load."""
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover - not Linux
            cores = os.cpu_count() or 1
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # pragma: no cover - no load average on this platform
            load = 0.0
    cores = max(1, int(cores))
    if not math.isfinite(load) or load < 0:
        load = 0.0
    return int(max(1, min(cores, math.floor(cores - load + 0.5))))


@contextlib.contextmanager
def blas_threads_for_free_cores(announce=None):
    """Context manager: BLAS (and OpenMP) thread pools limited to :func:`free_cores` for the duration.

    Yields the thread count applied, or ``None`` when nothing was changed: the user already chose
    (``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` / ``BLIS_NUM_THREADS`` set), or
    ``threadpoolctl`` (the ``[distributed]`` and ``[test]`` extras) is not installed -- then the run goes
    on with the library's default threads, as before.  ``announce``: a stream that gets one line saying
    what was chosen.  The numbers do not depend on the count except in the last bits of some BLAS
    reductions (the same caveat as a Dask run, :func:`_one_blas_thread`)."""
    if any(os.environ.get(k) for k in _THREAD_ENV):
        yield None
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with the [distributed] and [test] extras
        yield None
        return
    n = free_cores()
    if announce is not None:
        announce.write(f"BLAS threads: {n} (free cores by the load average)\n")
        announce.flush()
    with threadpool_limits(limits=n):
        yield n
