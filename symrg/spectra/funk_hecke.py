"""Funk-Hecke eigenvalues of dot-product kernels on the sphere S^{d-1} (docs/theory.md section 1).

``lambda_l = E_t[k(t) P_l^{(d)}(t)]`` with ``t`` distributed as ``(1-t^2)^{(d-3)/2}`` on [-1, 1]
and ``P_l^{(d)}`` the Gegenbauer polynomial normalised to ``P_l(1) = 1``; degree ``l`` has
multiplicity ``N(d, l) = (2l+d-2) (l+d-3)! / (l! (d-2)!)``.

Two independent routes
----------------------
*fast* (float64).  Quadrature of the oscillating integrand loses all digits once
``lambda_l < 1e-16 k(1)``, yet at large ``d`` eigenvalues far below that still carry most of
the kernel's power (multiplicities are astronomically large).  The fast path therefore uses
only sums of terms of one sign:

1. the moments ``E[t^j P_l] = 2^-l j!/(2s)! Gamma(d/2) Gamma(s+1/2) / (sqrt(pi) Gamma(s+l+d/2))``
   for ``j = l + 2s`` (zero otherwise; Rodrigues' formula and l integrations by parts) are
   positive, and the kernel's Taylor coefficients ``a_j >= 0`` (Schoenberg), so
   ``lambda_l = sum_s a_{l+2s} E[t^{l+2s} P_l]`` has no cancellation;
2. the series converges only algebraically when ``k`` is singular at ``t = +-1`` (ReLU:
   ``(1-t)^{3/2}``), so the kernel's local singular expansion ``sum_m e_m (1 - t)^{m/p}`` is
   subtracted from ``a_j`` (Darboux) and its Funk-Hecke transform is added back in closed form,
   ``E[(1-t)^g P_l] = Gamma(d/2) 2^{g+d-2} Gamma(l-g) Gamma(g+(d-1)/2)
   / (sqrt(pi) Gamma(-g) Gamma(g+l+d-1))``; the remainder's coefficients then decay like
   ``j^{-g_max-1}``.  The subtracted terms are large when the ``e_m`` are (deep kernels: they
   grow like ``(c depth)^m``) and then cancel digits, so every degree uses the number of
   subtracted orders with the smallest estimated error (:func:`funk_hecke_fast`).

*mp* (mpmath, any number of digits; :mod:`symrg.spectra.mp_quadrature`).  Direct tanh-sinh
quadrature over ``theta = arccos t``, at a working precision chosen from the dynamic range to
resolve and confirmed 20 digits higher.  It shares no step with the fast path.

Both paths report an error estimate per eigenvalue (``Spectrum.errors``), and both refuse work
past stated limits (:mod:`symrg.spectra.cost`).  :func:`sphere_spectrum` states when the fast
path hands over to the mp path.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_finite_array, check_int
from ..errors import ConvergenceError, ParameterError
from .fast_series import FAST_RTOL, FastResult, _lower_bounds, funk_hecke_fast
from .geometry import _check_dim, gegenbauer_moment_log, log_multiplicity, multiplicity, singular_transform
from .kernels import NNGPKernel
from .mp_quadrature import funk_hecke_mp

__all__ = [
    "Spectrum",
    "FastResult",
    "multiplicity",
    "log_multiplicity",
    "sphere_spectrum",
    "funk_hecke_fast",
    "funk_hecke_mp",
    "gegenbauer_moment_log",
    "singular_transform",
]


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues of a dot-product kernel on S^{dim-1}, one entry per degree."""

    dim: int
    degrees: np.ndarray
    eigenvalues: np.ndarray
    log_multiplicities: np.ndarray
    kernel: str
    precision: str
    k1: float
    meta: dict = field(default_factory=dict)
    errors: np.ndarray | None = None
    """Estimated absolute error of each eigenvalue (None when unknown)."""

    def __post_init__(self):
        # a Spectrum never holds NaN or inf: every consumer sums and sorts these
        lam = check_finite_array(self.eigenvalues, "eigenvalues", ndim=1)
        object.__setattr__(self, "eigenvalues", lam)
        if self.errors is not None:
            object.__setattr__(self, "errors", check_finite_array(self.errors, "errors", ndim=1))
        if not math.isfinite(self.k1):
            raise ParameterError("k1", self.k1, "a finite kernel value k(1)")

    @property
    def multiplicities(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            m = np.exp(self.log_multiplicities)
        return np.where(m < 2**52, np.round(m), m)

    @property
    def shell_power(self) -> np.ndarray:
        """``N(d,l) lambda_l``: the share of ``k(1)`` carried by each degree."""
        with np.errstate(divide="ignore"):
            logl = np.log(np.abs(self.eigenvalues))
        return np.sign(self.eigenvalues) * np.exp(logl + self.log_multiplicities)

    def sum_rule_residual(self) -> float:
        """``k(1) - sum_l N(d,l) lambda_l`` (the power in degrees above ``lmax``)."""
        return float(self.k1 - np.sum(self.shell_power))

    def mode_eigenvalues(self, n_modes: int) -> np.ndarray:
        """The first ``n_modes`` eigenvalues in mode order (each degree repeated N(d,l) times,
        sorted descending)."""
        n_modes = check_int(n_modes, "n_modes", 1, None)
        order = np.argsort(-self.eigenvalues, kind="stable")
        out, total = [], 0
        for i in order:
            m = self.multiplicities[i]
            take = int(min(m, n_modes - total))
            out.append(np.full(take, self.eigenvalues[i]))
            total += take
            if total >= n_modes:
                break
        if total < n_modes:
            raise ParameterError("n_modes", n_modes, f"<= {total} modes available up to lmax")
        return np.concatenate(out)

    def to_dict(self) -> dict:
        return {
            "dim": self.dim,
            "kernel": self.kernel,
            "precision": self.precision,
            "degrees": [int(x) for x in self.degrees],
            "eigenvalues": [float(x) for x in self.eigenvalues],
            "multiplicities": [float(x) for x in self.multiplicities],
            "log_multiplicities": [float(x) for x in self.log_multiplicities],
            "k1": self.k1,
            "sum_rule_residual": self.sum_rule_residual(),
            **({"error_estimate": [float(x) for x in self.errors]} if self.errors is not None else {}),
            **({"meta": self.meta} if self.meta else {}),
        }



def sphere_spectrum(kernel: NNGPKernel, dim: int, lmax: int, precision: str = "fast", dps: int = 30, *,
                    rtol: float = FAST_RTOL, allow_expensive: bool = False, progress=None) -> Spectrum:
    """Spectrum of ``kernel`` on S^{dim-1} up to degree ``lmax`` (docs/theory.md section 1).

    ``precision="mp"``: mpmath quadrature; ``dps`` is a floor, the precision is chosen and
    confirmed by :func:`funk_hecke_mp` (``Spectrum.precision`` reads ``mp<working digits>``).

    ``precision="fast"`` (default): the float64 series with its per-degree error estimate
    (:func:`funk_hecke_fast`).  Rule when a degree that carries power misses ``rtol``:

    * the mpmath path is estimated to take at most ``cost.AUTO_MP_SECONDS_LIMIT`` (or
      ``allow_expensive=True``): it switches there; ``Spectrum.precision`` reads
      ``mp<digits> (auto)`` and ``meta["switched_from_fast"]`` records the degree and the float64
      error that triggered the switch;
    * otherwise it raises :class:`ConvergenceError` with the estimated cost and what to pass.

    ``Spectrum.errors`` (``"error_estimate"`` in :meth:`Spectrum.to_dict`) holds the estimated
    absolute error of each eigenvalue on either path.  Work is bounded on both paths (:mod:`symrg.spectra.cost`); past a
    limit a ParameterError names it, and ``allow_expensive=True`` (CLI ``--allow-expensive``)
    lifts it.
    """
    from .cost import AUTO_MP_SECONDS_LIMIT, MP_SECONDS_LIMIT, _fmt
    from .mp_quadrature import mp_seconds, plan_dps

    d = _check_dim(dim)
    lmax = check_int(lmax, "lmax", 0, None)
    if precision not in ("fast", "mp"):
        raise ParameterError("precision", precision, "'fast' or 'mp'")
    dps = check_int(dps, "dps", 15, None)
    meta: dict = {}
    label = precision
    if precision == "fast":
        res = funk_hecke_fast(kernel, d, lmax, rtol=rtol, check=False, with_error=True,
                              allow_expensive=allow_expensive)
        if res.ok.all():
            lam, err = res.eigenvalues, res.errors
        else:
            l_bad, rel = res.worst(d, kernel.k1)
            lower = _lower_bounds(res)
            work = plan_dps(kernel, d, lmax, dps, lower)
            t_mp = mp_seconds(kernel, d, lmax, work)
            if not (allow_expensive or t_mp <= AUTO_MP_SECONDS_LIMIT):
                extra = "" if t_mp <= MP_SECONDS_LIMIT else " and allow_expensive=True (--allow-expensive)"
                raise ConvergenceError(
                    f"float64 Funk-Hecke series for the {kernel.describe()} on S^{d - 1}: estimated relative "
                    f"error {rel:.2g} at degree {l_bad} exceeds rtol={rtol:g}, and the mpmath path "
                    f"({work} digits) is estimated at {_fmt(t_mp)}, above the {_fmt(AUTO_MP_SECONDS_LIMIT)} "
                    f"allowed for an automatic switch: pass precision='mp'{extra} (CLI --precision mp), "
                    "or lower lmax")
            meta["switched_from_fast"] = {"degree": l_bad, "relative_error_estimate": rel, "rtol": rtol,
                                          "mp_seconds_estimate": t_mp}
            precision = "mp"
            label = "auto"
    if precision == "mp":
        info = funk_hecke_mp(kernel, d, lmax, dps, progress, allow_expensive=allow_expensive, with_info=True,
                             lower_bounds=lower if label == "auto" else None)
        lam = np.array([float(x) for x in info.eigenvalues])
        err = np.asarray(info.errors, dtype=float)
        meta.update({"dps": info.dps, "dps_confirm": info.dps_confirm, "dps_floor": dps,
                     "exact_zeros": [int(x) for x in info.zeros], "seconds": round(info.seconds, 3)})
        label = f"mp{info.dps}" + (" (auto)" if label == "auto" else "")
    ls = np.arange(lmax + 1)
    return Spectrum(dim=d, degrees=ls, eigenvalues=lam, log_multiplicities=log_multiplicity(d, ls),
                    kernel=kernel.describe() if hasattr(kernel, "describe") else repr(kernel),
                    precision=label, k1=float(kernel.k1), meta=meta, errors=err)


