"""Figure helpers: deterministic metadata, atomic writes, readable log axes, medians with bands.

The backend is never switched here (that would break a user's interactive session); headless
machines fall back to Agg on their own.
"""
from __future__ import annotations

import io
from pathlib import Path


def save_figure(fig, path, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG atomically, without a timestamp (reproducible bytes), and close it."""
    import matplotlib.pyplot as plt

    from .._io import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "symrg", "Creation Time": None})
    plt.close(fig)
    return atomic_write_bytes(Path(path), buf.getvalue())


def tidy_log_axis(ax, which: str = "y") -> None:
    """Readable labels on a log axis, written as plain numbers (0.05, 0.2, 1e-05): at 1, 2 and 5 times
    the decades, only at the decades on a long axis, and at evenly spaced values on an axis shorter
    than a factor 4 (matplotlib's default labels the minor ticks of a short log axis in scientific
    notation, and the labels overlap).  Unlabelled minor ticks stay at 2..9 times the decades."""
    from matplotlib import ticker

    class AdaptiveLogLocator(ticker.Locator):
        def __call__(self):
            return self.tick_values(*self.axis.get_view_interval())

        def tick_values(self, vmin, vmax):
            lo, hi = sorted((vmin, vmax))
            if not (lo > 0 and hi > lo):
                return ticker.LogLocator(base=10).tick_values(vmin, vmax)
            if hi / lo < 4:
                ticks = ticker.MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
                return [v for v in ticks if v > 0]
            subs = (1.0,) if hi / lo > 1e4 else (1.0, 2.0, 5.0)
            return ticker.LogLocator(base=10, subs=subs, numticks=15).tick_values(lo, hi)

    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_locator(AdaptiveLogLocator())
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(ticker.LogLocator(base=10, subs=tuple(range(2, 10)), numticks=15))
    axis.set_minor_formatter(ticker.NullFormatter())


def median_band(ax, x, samples, color, label: str, band: tuple = (25, 75), **kw):
    """Median of ``samples`` (one list of values per ``x``; NaN ignored) as a line, with the
    percentile ``band`` shaded; returns the line.  Points without a finite sample are skipped."""
    import numpy as np

    xs, med, lo, hi = [], [], [], []
    for xv, vals in zip(x, samples):
        v = np.asarray([s for s in vals if s is not None], dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            xs.append(xv)
            med.append(float(np.median(v)))
            lo.append(float(np.percentile(v, band[0])))
            hi.append(float(np.percentile(v, band[1])))
    ax.fill_between(xs, lo, hi, color=color, alpha=0.2, lw=0)
    (line,) = ax.plot(xs, med, color=color, label=label, **kw)
    return line
