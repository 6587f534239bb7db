"""Progress on stderr: a bar on a terminal, plain throttled lines in a log.

On a terminal (``stream.isatty()``) a report redraws one line with ``\\r``; anywhere else (a log
file, CI) it writes whole lines only -- the first, then at most one per ``every`` seconds or per
tenth of the total, and the last -- so a log never holds carriage returns.
"""
from __future__ import annotations

import sys
import time

__all__ = ["ProgressLine", "eta_text"]


def eta_text(seconds: float) -> str:
    """``seconds`` as ``42 s``, ``3.5 min`` or ``1.2 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class ProgressLine:
    """``ProgressLine(label)(done, total[, note])``: a bar on a terminal, throttled lines elsewhere."""

    WIDTH = 24

    def __init__(self, label: str, stream=None, every: float = 10.0):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self._last_t = -float("inf")
        self._last_frac = -1.0

    def __call__(self, done, total=None, *extra):
        now = time.perf_counter() - self.t0
        note = f" {extra[0]}" if extra else ""
        if total is None:                                  # a message, not a count
            self._write(f"{self.label}: {done}{note}", final=True)
            return
        total = max(int(total), 1)
        frac = min(max(float(done) / total, 0.0), 1.0)
        eta = f", about {eta_text(now * (1 - frac) / frac)} left" if 0 < frac < 1 and now > 2 else ""
        if self.tty:
            bar = "#" * int(round(frac * self.WIDTH))
            self._write(f"{self.label}: [{bar:<{self.WIDTH}}] {done}/{total}{eta}{note}", final=done >= total)
            return
        if done >= total or frac - self._last_frac >= 0.1 or now - self._last_t >= self.every:
            self._last_t, self._last_frac = now, frac
            self._write(f"{self.label}: {done}/{total} ({eta_text(now)} elapsed{eta}){note}", final=True)

    def _write(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
