"""Figure helpers: deterministic metadata, atomic writes.

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
