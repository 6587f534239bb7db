"""Model spectra: the power law ``lambda_k = A k^-(1+alpha)`` and its tail sums."""
from __future__ import annotations

import numpy as np
from scipy.special import zeta

from .._validate import check_int, check_positive

__all__ = ["powerlaw_spectrum", "powerlaw_tail"]


def powerlaw_spectrum(n_modes: int, A: float = 1.0, alpha: float = 1.0) -> np.ndarray:
    """``lambda_k = A k^-(1+alpha)`` for ``k = 1..n_modes`` (docs/theory.md section 4), descending.

    ``alpha > 0`` is required: it is the condition for a finite trace ``sum_k lambda_k``.
    """
    n_modes = check_int(n_modes, "n_modes", 1)
    A = check_positive(A, "A")
    alpha = check_positive(alpha, "alpha")
    k = np.arange(1, n_modes + 1, dtype=float)
    return A * k ** (-(1.0 + alpha))


def powerlaw_tail(kappa, A: float = 1.0, alpha: float = 1.0):
    """``sum_{k > kappa} A k^-(1+alpha) = A zeta(1+alpha, kappa+1)`` (Hurwitz zeta), for the infinite law.

    This is the shift of the renormalised ridge ``sigma_kappa^2 - sigma^2`` (docs/theory.md section 4).
    """
    A = check_positive(A, "A")
    alpha = check_positive(alpha, "alpha")
    kap = np.asarray(kappa, dtype=float)
    if np.any(kap < 0) or not np.all(np.isfinite(kap)):
        from ..errors import ParameterError

        raise ParameterError("kappa", kappa, "finite cutoffs >= 0")
    out = A * zeta(1.0 + alpha, kap + 1.0)
    return float(out) if out.ndim == 0 else out
