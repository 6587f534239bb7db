"""Figure helpers: the report's figure style, deterministic metadata, atomic writes, readable log axes,
medians with bands.

Print size.  The report (:mod:`symrg.studies.report.latex`) includes a figure at the width it was drawn
at (``figsize``), shrunk only when it is wider than the text (:data:`TEXT_WIDTH_IN`), so a figure drawn
at most :data:`TEXT_WIDTH_IN` wide with the fonts of :data:`REPORT_RC` prints its text at 8-9 pt.
:func:`save_figure` writes the drawn width and the smallest font into the PNG (``symrg:width_in``,
``symrg:min_font_pt``) so that the report can state, and a test can check, the print size of every text.

The backend is never switched here (that would break a user's interactive session); headless
machines fall back to Agg on their own.
"""
from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

__all__ = ["MIN_FONT_PT", "REPORT_RC", "TEXT_WIDTH_IN", "figure_size", "median_band", "min_font_pt", "png_info",
           "report_style", "save_figure", "tidy_log_axis"]

# The report's text width: A4 (8.27 in) less two 1.5 cm margins is 7.09 in; full-width figures are drawn 7 in wide.
TEXT_WIDTH_IN = 7.0
# The smallest text a printed figure may carry.
MIN_FONT_PT = 8.0
# One look for every figure of the report: 9 pt labels, 8 pt ticks and legends, thin lines.
REPORT_RC = {"font.size": 9.0, "axes.titlesize": 9.0, "axes.labelsize": 9.0, "xtick.labelsize": 8.0,
             "ytick.labelsize": 8.0, "legend.fontsize": 8.0, "legend.title_fontsize": 8.0, "figure.titlesize": 9.5,
             "lines.linewidth": 1.3, "lines.markersize": 4.0, "axes.linewidth": 0.7, "legend.frameon": False,
             "legend.handlelength": 1.8, "figure.figsize": (TEXT_WIDTH_IN, 2.8), "figure.dpi": 100.0}


@contextlib.contextmanager
def report_style():
    """Draw with :data:`REPORT_RC` inside the block (``matplotlib.rc_context``; a user's settings come back
    after it).  The report driver runs every section inside it."""
    import matplotlib

    with matplotlib.rc_context(REPORT_RC):
        yield


def figure_size(nrows: int = 1, ncols: int = 1, panel_height: float = 2.4, width: float = TEXT_WIDTH_IN,
                extra_height: float = 0.3) -> tuple[float, float]:
    """``figsize`` of a grid of ``nrows`` x ``ncols`` panels drawn at the report's width (inches);
    ``extra_height`` leaves room for a shared legend or title."""
    return (float(width), float(nrows * panel_height + extra_height))


def min_font_pt(fig) -> float:
    """The smallest font size (points, at the drawn size) of the visible, non-empty texts of ``fig``:
    titles, labels, tick labels, legends, annotations."""
    from matplotlib.text import Text

    fig.canvas.draw()                     # tick labels exist only once drawn
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
             and _shown(t)]
    return float(min(sizes)) if sizes else math.inf


def _shown(t) -> bool:
    ax = getattr(t, "axes", None)          # a text of a hidden panel is not printed
    return ax is None or ax.get_visible()


def save_figure(fig, path, dpi: int = 150) -> Path:
    """Save ``fig`` as PNG atomically, without a timestamp (reproducible bytes), and close it.  The PNG carries
    the drawn width (``symrg:width_in``) and the smallest font (``symrg:min_font_pt``), read back by
    :func:`png_info`."""
    import matplotlib.pyplot as plt

    from .._io import atomic_write_bytes

    width = float(fig.get_size_inches()[0])
    font = min_font_pt(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "symrg", "Creation Time": None,
                                                      "symrg:width_in": f"{width:.4f}",
                                                      "symrg:min_font_pt": f"{font:.3f}"})
    plt.close(fig)
    return atomic_write_bytes(Path(path), buf.getvalue())


def png_info(path) -> dict:
    """``width_in`` (drawn width, inches; from ``symrg:width_in`` or else the pixel width over the PNG's
    resolution) and ``min_font_pt`` (None when the PNG does not say) of a PNG, read from its chunks."""
    import struct
    import zlib

    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    pos, text, px, ppm = 8, {}, None, None
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            px = struct.unpack(">I", body[:4])[0]
        elif kind == b"pHYs" and body[8:9] == b"\x01":
            ppm = struct.unpack(">I", body[:4])[0]
        elif kind in (b"tEXt", b"zTXt", b"iTXt"):
            key, _, val = body.partition(b"\0")
            if kind == b"zTXt":
                val = zlib.decompress(val[1:])
            elif kind == b"iTXt":
                val = val[2:].split(b"\0", 2)[-1]
            text[key.decode("latin-1")] = val.decode("latin-1", "replace")
        elif kind == b"IEND":
            break
        pos += 12 + n
    width = float(text["symrg:width_in"]) if "symrg:width_in" in text else (
        px / (ppm * 0.0254) if px and ppm else None)
    font = float(text["symrg:min_font_pt"]) if "symrg:min_font_pt" in text else None
    return {"width_in": width, "min_font_pt": font}


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
