"""Funk-Hecke eigenvalues of dot-product kernels on the sphere S^{d-1} (THEORY.md section 1).

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
   ``j^{-g_max-1}`` and the truncated sum is exact to rounding.

*mp* (mpmath, any number of digits).  Direct adaptive quadrature (tanh-sinh) over
``theta = arccos t`` split at the zeros scale of ``P_l``, evaluating ``P_l^{(d)}`` by its
three-term recurrence inside ``mpmath.workdps``.  It shares no step with the fast path.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from .._validate import check_int
from ..errors import ParameterError
from .kernels import NNGPKernel, singular_expansion, taylor_coefficients

__all__ = [
    "Spectrum",
    "multiplicity",
    "log_multiplicity",
    "sphere_spectrum",
    "funk_hecke_fast",
    "funk_hecke_mp",
    "gegenbauer_moment_log",
    "singular_transform",
]


def _check_dim(dim) -> int:
    return check_int(dim, "dim", 2, None)


def log_multiplicity(dim: int, l) -> np.ndarray:
    """``log N(d, l)``; ``N(d,0) = 1``, ``N(2, l>0) = 2``."""
    d = _check_dim(dim)
    l = np.atleast_1d(np.asarray(l))
    if np.any(l < 0):
        raise ParameterError("degree", int(l.min()), "degrees l >= 0")
    l = l.astype(float)
    out = np.zeros_like(l)
    pos = l > 0
    lp = l[pos]
    out[pos] = (np.log(2 * lp + d - 2) + gammaln(lp + d - 2) - gammaln(lp + 1) - gammaln(d - 1))
    return out


def multiplicity(dim: int, l) -> np.ndarray:
    """``N(d, l)`` as float (inf if it overflows a double; use :func:`log_multiplicity`)."""
    with np.errstate(over="ignore"):
        m = np.exp(log_multiplicity(dim, l))
    return np.where(m < 2**52, np.round(m), m)


def gegenbauer_moment_log(l: int, s: np.ndarray, d: int) -> np.ndarray:
    """``log E[t^{l+2s} P_l^{(d)}(t)]`` (all moments are positive)."""
    s = np.asarray(s, dtype=float)
    return (-l * math.log(2.0) + gammaln(l + 2 * s + 1) - gammaln(2 * s + 1)
            + gammaln(d / 2) + gammaln(s + 0.5) - 0.5 * math.log(math.pi) - gammaln(s + l + d / 2))


def singular_transform(g: float, l: np.ndarray, d: int) -> np.ndarray:
    """``E[(1-t)^g P_l^{(d)}(t)]`` for non-integer ``g > -(d-1)/2`` (closed form, see module)."""
    from scipy.special import gammasgn

    l = np.asarray(l, dtype=float)
    logmag = (gammaln(d / 2) + (g + d - 2) * math.log(2.0) + gammaln(l - g) + gammaln(g + (d - 1) / 2)
              - 0.5 * math.log(math.pi) - gammaln(-g) - gammaln(g + l + d - 1))
    sign = gammasgn(l - g) * gammasgn(-g)
    return sign * np.exp(logmag)


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
            **({"meta": self.meta} if self.meta else {}),
        }


def _default_terms(lmax: int) -> int:
    return int(max(4096, 4 * lmax + 512))


def funk_hecke_fast(kernel: NNGPKernel, dim: int, lmax: int, n_terms: int | None = None,
                    singular_order: float = 8.5) -> np.ndarray:
    """Eigenvalues ``lambda_0..lambda_lmax`` in float64 by the sign-definite series (module doc).

    ``singular_order`` is the largest exponent ``g`` of ``(1 -+ t)^g`` subtracted; the truncated
    remainder then decays like ``j^{-singular_order-2}``.  ``n_terms`` (Taylor coefficients kept)
    defaults to, and may not be below, ``max(4096, 4 lmax + 512)``.
    """
    d = _check_dim(dim)
    lmax = check_int(lmax, "lmax", 0, None)
    J = _default_terms(lmax) if n_terms is None else check_int(n_terms, "n_terms", _default_terms(lmax), None)
    a = taylor_coefficients(kernel, J)
    j = np.arange(J)
    reg = a.copy()
    sing = np.zeros(lmax + 1)
    sing_abs = np.zeros(lmax + 1)  # magnitude of the added terms, for the rounding estimate
    ls = np.arange(lmax + 1)
    for side, p, e in singular_expansion(kernel, n=int(p_needed(kernel, singular_order))):
        for m, coef in enumerate(e):
            g = m / p
            if coef == 0.0 or g > singular_order or abs(g - round(g)) < 1e-12:
                continue
            from .series import binomial_series

            reg -= coef * binomial_series(g, J, sign=-side)
            term = coef * singular_transform(g, ls, d) * (1.0 if side == 1 else (-1.0) ** ls)
            sing += term
            sing_abs += np.abs(term)
    lam = np.empty(lmax + 1)
    for l in range(lmax + 1):
        jj = j[l::2]
        s = (jj - l) // 2
        w = np.exp(gegenbauer_moment_log(l, s, d))
        terms = reg[l::2] * w
        lam[l] = math.fsum(terms) + sing[l]
        # an eigenvalue below the rounding level of its own terms is zero (e.g. the odd degrees
        # l >= 3 of ReLU at depth 1, whose odd part is exactly t/2)
        if abs(lam[l]) <= 64 * np.finfo(float).eps * (np.sum(np.abs(terms)) + sing_abs[l]):
            lam[l] = 0.0
    return lam


def p_needed(kernel: NNGPKernel, singular_order: float) -> int:
    p = 2 ** kernel.depth if kernel.activation == "step" else 2
    return int(p * (singular_order + 1)) + 4


# ----------------------------------------------------------------------------- mp path --
def _gegenbauer_all_mp(lmax: int, d: int, t):
    """``[P_0(t), ..., P_lmax(t)]`` normalised to P_l(1) = 1, by the three-term recurrence
    ``(l+d-2) P_{l+1} = (2l+d-2) t P_l - l P_{l-1}``."""
    P = [1, t]
    for l in range(1, lmax):
        P.append(((2 * l + d - 2) * t * P[l] - l * P[l - 1]) / (l + d - 2))
    return P[: lmax + 1]


def funk_hecke_mp(kernel, dim: int, lmax: int, dps: int = 30, progress=None) -> list:
    """Eigenvalues ``lambda_0..lambda_lmax`` by tanh-sinh quadrature in mpmath at ``dps`` digits.

    One sweep of nodes serves every degree: at each node ``P_0..P_lmax`` come from the
    three-term recurrence.  The theta interval is cut into panels (a few oscillations of
    ``P_lmax`` each) and the tanh-sinh step is halved until every eigenvalue changes by less
    than ``10^(5-dps) k(1)``.  ``kernel`` is an :class:`NNGPKernel` or a callable on mpmath
    numbers.  The global mpmath precision is never changed (``mpmath.workdps``).
    """
    import mpmath

    d = _check_dim(dim)
    lmax = check_int(lmax, "lmax", 0, None)
    dps = check_int(dps, "dps", 15, 100_000)
    kfun = kernel.mp if isinstance(kernel, NNGPKernel) else kernel
    with mpmath.workdps(dps + 10):
        pi = mpmath.pi
        norm = mpmath.gamma(mpmath.mpf(d) / 2) / (mpmath.sqrt(pi) * mpmath.gamma(mpmath.mpf(d - 1) / 2))
        panels = max(2, lmax // 6 + 2)
        edges = [pi * i / panels for i in range(panels + 1)]
        tol = mpmath.mpf(10) ** (5 - dps) * abs(kfun(mpmath.mpf(1)))

        def f(th):
            t = mpmath.cos(th)
            w = kfun(t) * mpmath.sin(th) ** (d - 2)
            return [w * P for P in _gegenbauer_all_mp(lmax, d, t)]

        def level_sum(a, b, h, odd_only):
            # tanh-sinh: x = c + r tanh(pi/2 sinh(tau)), weight r (pi/2) cosh tau / cosh^2(.)
            c, r = (a + b) / 2, (b - a) / 2
            acc = [mpmath.mpf(0)] * (lmax + 1)
            k = 1 if odd_only else 0
            step = 2 if odd_only else 1
            while True:
                tau = k * h
                u = pi / 2 * mpmath.sinh(tau)
                wgt = r * pi / 2 * mpmath.cosh(tau) / mpmath.cosh(u) ** 2
                if wgt < mpmath.mpf(10) ** (-(dps + 15)) * r:
                    break
                x = r * mpmath.tanh(u)
                for sgn in ((1,) if k == 0 else (1, -1)):
                    vals = f(c + sgn * x)
                    for i in range(lmax + 1):
                        acc[i] += wgt * vals[i]
                k += step
            return acc

        total = [mpmath.mpf(0)] * (lmax + 1)
        for pi_idx, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            h = mpmath.mpf(1) / 2
            S = [h * v for v in level_sum(a, b, h, False)]
            for _ in range(12):
                h /= 2
                new = level_sum(a, b, h, True)
                S2 = [s / 2 + h * v for s, v in zip(S, new)]
                delta = max(abs(x - y) for x, y in zip(S, S2))
                S = S2
                if delta < tol / panels:
                    break
            else:
                from ..errors import ConvergenceError

                raise ConvergenceError(f"mp Funk-Hecke quadrature did not converge on panel {pi_idx}")
            total = [x + y for x, y in zip(total, S)]
            if progress:
                progress(pi_idx + 1, panels)
        return [+(norm * v) for v in total]


def sphere_spectrum(kernel: NNGPKernel, dim: int, lmax: int, precision: str = "fast",
                    dps: int = 30) -> Spectrum:
    """Spectrum of ``kernel`` on S^{dim-1} up to degree ``lmax``.

    ``precision="fast"``: float64 sign-definite series; ``"mp"``: mpmath quadrature at ``dps``.
    """
    d = _check_dim(dim)
    lmax = check_int(lmax, "lmax", 0, None)
    if precision == "fast":
        lam = funk_hecke_fast(kernel, d, lmax)
    elif precision == "mp":
        lam = np.array([float(x) for x in funk_hecke_mp(kernel, d, lmax, dps)])
    else:
        raise ParameterError("precision", precision, "'fast' or 'mp'")
    ls = np.arange(lmax + 1)
    return Spectrum(dim=d, degrees=ls, eigenvalues=lam, log_multiplicities=log_multiplicity(d, ls),
                    kernel=kernel.describe() if hasattr(kernel, "describe") else repr(kernel),
                    precision=precision if precision == "fast" else f"mp{dps}", k1=float(kernel.k1))
