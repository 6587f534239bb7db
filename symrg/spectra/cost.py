"""Work estimates and limits of the Funk-Hecke paths (bounded work inside accepted ranges).

Every path estimates its cost before it starts and refuses past the limits below with a
:class:`~symrg.errors.ParameterError` that names the limit and the override: the keyword
``allow_expensive=True`` of :func:`~symrg.spectra.funk_hecke.sphere_spectrum`,
:func:`~symrg.spectra.funk_hecke.funk_hecke_fast` and :func:`~symrg.spectra.mp_quadrature.funk_hecke_mp`
(CLI flag ``--allow-expensive``).  Times are estimates for one core of the 2-core reference machine
the constants were measured on (``benchmarks/bench_spectrum_accuracy.py`` prints them again).
"""
from __future__ import annotations

import math

from ..errors import ParameterError

FAST_LMAX_LIMIT = 5000
FAST_SECONDS_LIMIT = 120.0
MP_DPS_LIMIT = 2000
MP_SECONDS_LIMIT = 600.0
AUTO_MP_SECONDS_LIMIT = 120.0
"""The fast path switches to mpmath on its own only when that is estimated below this."""

OVERRIDE = "pass allow_expensive=True (CLI --allow-expensive) to run it anyway"

# measured constants (seconds)
_C_TAYLOR = 5e-9      # per layer per J^2 (series recurrences)
_C_SING = 3e-10       # per layer per n^3 (series composition of the singular expansion)
_C_DEGREE = 2.5e-9    # per degree per Taylor term per subtraction level


def fast_seconds(kernel, lmax: int, J: int) -> float:
    """Estimated time of :func:`~symrg.spectra.funk_hecke.funk_hecke_fast`."""
    from .funk_hecke import SING_TERMS_LIMIT, p_needed

    n_sing = 0 if kernel.activation == "erf" else min(p_needed(kernel, 9.5), SING_TERMS_LIMIT)
    levels = 1 if kernel.activation == "erf" else 10
    return (_C_TAYLOR * kernel.depth * J * J + _C_SING * kernel.depth * n_sing**3
            + _C_DEGREE * (lmax + 1) * J * levels)


def check_fast_cost(kernel, lmax: int, J: int, allow_expensive: bool) -> None:
    if allow_expensive:
        return
    if lmax > FAST_LMAX_LIMIT:
        raise ParameterError("lmax", lmax, f"<= {FAST_LMAX_LIMIT} on the float64 path (the limit on its work)",
                             OVERRIDE)
    t = fast_seconds(kernel, lmax, J)
    if t > FAST_SECONDS_LIMIT:
        raise ParameterError("depth" if kernel.depth > 100 else "lmax", kernel.depth if kernel.depth > 100 else lmax,
                             f"an estimated run time <= {FAST_SECONDS_LIMIT:g} s for the float64 path "
                             f"(estimated {_fmt(t)} for depth {kernel.depth}, lmax {lmax})", OVERRIDE)


def _fmt(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"
