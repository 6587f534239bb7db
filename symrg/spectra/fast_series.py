"""The float64 Funk-Hecke path: a sign-definite series with the end-point singularities subtracted,
and its own error estimate per eigenvalue (docs/theory.md section 1; method in the module doc of
:mod:`symrg.spectra.funk_hecke`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from .._validate import check_int
from ..errors import ConvergenceError
from .geometry import _check_dim, log_multiplicity, singular_transform
from .kernels import (SING_TERMS_LIMIT, NNGPKernel, p_needed, singular_denominator, singular_expansion,
                      taylor_coefficients)

__all__ = ["FastResult", "funk_hecke_fast", "FAST_RTOL", "POWER_ATOL"]


def _default_terms(lmax: int) -> int:
    return int(max(4096, 4 * lmax + 512))


# ---------------------------------------------------------------------------- fast path --
_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy >= 2 renamed it
EPS = float(np.finfo(float).eps)
FAST_RTOL = 1e-8
"""Relative error bound the fast path must reach on every eigenvalue that carries power."""
POWER_ATOL = 1e-15
"""Shell power ``N(d,l) |lambda_l|`` (as a fraction of ``k(1)``) below which a degree is negligible:
it and its error then sit below the float64 rounding of ``k(1)`` in every sum over shells."""


@dataclass(frozen=True)
class FastResult:
    """Eigenvalues of the float64 path with their error estimates (:func:`funk_hecke_fast`)."""

    eigenvalues: np.ndarray
    errors: np.ndarray
    """Estimated absolute error of each eigenvalue (rounding + truncation + Taylor coefficients)."""
    orders: np.ndarray
    """Largest singular exponent subtracted at each degree (0: the plain Taylor series)."""
    ok: np.ndarray
    """Whether each degree meets the accuracy rule (relative error <= rtol, or negligible power)."""
    truncation: np.ndarray | None = None
    """The truncation part of ``errors`` (the part more Taylor terms would reduce)."""
    n_terms: int = 0

    def worst(self, dim: int, k1: float) -> tuple[int, float]:
        """``(l, relative error)`` of the worst degree among those that fail the rule
        (among all degrees when all pass)."""
        rel = self.errors / np.maximum(np.abs(self.eigenvalues), np.finfo(float).tiny)
        cand = np.flatnonzero(~self.ok) if not self.ok.all() else np.arange(len(rel))
        l = int(cand[np.argmax(rel[cand])])
        return l, float(rel[l])


class _MomentTable:
    """``w_s = E[t^{l+2s} P_l]``, ``s < S``, for every ``l``, with a bound on their relative error.

    As products of exact rational factors, ``w_0 = prod_{i<=l} i / (d + 2i - 2)`` and
    ``w_{s+1} / w_s = (l+2s+2)(l+2s+1) / ((2s+2)(2s+2l+d))``, so ``w_s`` carries at most
    ``2l + 4s + 4`` roundings.  Where ``w_0`` would underflow, ``exp`` of ``gammaln`` sums instead
    (their absolute errors, ``eps |gammaln|``, become relative errors).
    """

    def __init__(self, J: int, d: int):
        self.J, self.d = J, d
        i = np.arange(1, J + 1, dtype=float)
        with np.errstate(under="ignore"):
            self.W0 = np.concatenate([[1.0], np.cumprod(i / (d + 2 * i - 2))])  # w_0 for l = 0..J
        m = np.arange(J + 1, dtype=float)
        self.G1 = gammaln(m + 1)          # gammaln(j + 1)
        self.Gh = gammaln(m + 0.5)        # gammaln(s + 1/2)
        self.Gd = gammaln(m + d / 2)      # gammaln(m + d/2)

    def __call__(self, l: int):
        S = len(range(l, self.J, 2))
        s = np.arange(S, dtype=float)
        if self.W0[l] > 1e-280:
            r = (l + 2 * s[:-1] + 2) * (l + 2 * s[:-1] + 1) / ((2 * s[:-1] + 2) * (2 * s[:-1] + 2 * l + self.d))
            with np.errstate(under="ignore"):
                w = self.W0[l] * np.concatenate([[1.0], np.cumprod(r)])
            return w, EPS * (2 * l + 4 * s + 8)
        s2 = np.arange(0, 2 * S, 2)
        parts = (self.G1[l + s2], self.G1[s2], self.Gh[:S], self.Gd[l:l + S])
        const = -l * math.log(2.0) + gammaln(self.d / 2) - 0.5 * math.log(math.pi)
        logw = parts[0] - parts[1] + parts[2] - parts[3] + const
        rel = EPS * (4 + 2 * (np.abs(parts[0]) + np.abs(parts[1]) + np.abs(parts[2]) + np.abs(parts[3])
                              + abs(const) + np.abs(logw)))
        return np.exp(logw), rel


def _tail_sum(l: np.ndarray, j0: int, q: float, d: int) -> np.ndarray:
    """``sum_{j >= j0, j = l mod 2} j^-q E[t^j P_l]`` for every ``l``.

    Integral on a log grid in ``s`` up to ``s0 e^15`` (``gammaln`` differences stay accurate there)
    plus the power-law continuation beyond it (``E[t^j P_l] ~ s^-(d-1)/2``, so the summand falls
    like ``s^-(q + (d-1)/2)``); the moments are unimodal in ``s``, so adding the largest summand
    covers the difference between the sum and the integral.
    """
    l = np.asarray(l, dtype=float)[:, None]
    s0 = np.ceil((j0 - l) / 2)
    u = np.linspace(0.0, 15.0, 151)
    s = s0 * np.exp(u)[None, :]
    f = np.exp(gegenbauer_moment_log_vec(l, s, d) - q * np.log(l + 2 * s))
    integral = _trapezoid(f * s, u, axis=1)
    alpha = q + (d - 1) / 2
    beyond = f[:, -1] * s[:, -1] / (alpha - 1)
    return integral + beyond + f.max(axis=1)


def _moment_max_beyond(l: np.ndarray, j0: int, d: int) -> np.ndarray:
    """``max_{j >= j0, j = l mod 2} E[t^j P_l]``: the moments in ``s`` rise while
    ``2s (d-1) <= l^2 - l - 2d + 2`` and fall afterwards."""
    l = np.asarray(l, dtype=float)
    s0 = np.ceil((j0 - l) / 2)
    peak = np.maximum(s0, np.ceil((l * l - l - 2 * d + 2) / (2 * (d - 1))))
    return np.maximum(np.exp(gegenbauer_moment_log_vec(l, s0, d)), np.exp(gegenbauer_moment_log_vec(l, peak, d)))


def gegenbauer_moment_log_vec(l: np.ndarray, s: np.ndarray, d: int) -> np.ndarray:
    """:func:`gegenbauer_moment_log` elementwise in ``l`` and ``s``."""
    l = np.asarray(l, dtype=float)
    s = np.asarray(s, dtype=float)
    return (-l * math.log(2.0) + gammaln(l + 2 * s + 1) - gammaln(2 * s + 1)
            + gammaln(d / 2) + gammaln(s + 0.5) - 0.5 * math.log(math.pi) - gammaln(s + l + d / 2))


def _singular_terms(kernel: NNGPKernel, singular_order: float):
    """Non-integer exponents of the local expansions: ``([(g, side, coef)], g_unknown)`` with every
    term of exponent ``g <= singular_order + 1`` that the capped expansion resolves, and the smallest
    exponent it cannot resolve."""
    if kernel.activation == "erf":
        return [], math.inf
    p = singular_denominator(kernel)
    n = min(p_needed(kernel, singular_order + 1), SING_TERMS_LIMIT)
    if n <= 2 * p:  # step kernels of depth >= 9: not even the leading exponent 2^-depth fits
        return [], 1.0 / p
    terms = []
    for side, ps, e in singular_expansion(kernel, n=n):
        for m, coef in enumerate(e):
            g = m / ps
            if coef != 0.0 and abs(g - round(g)) > 1e-12 and g <= singular_order + 1:
                terms.append((g, side, float(coef)))
    terms.sort()
    return terms, min(n / p, singular_order + 1)


def _taylor_rel_error(depth: int, J: int) -> np.ndarray:
    """Relative error bound of the float64 Taylor coefficients ``a_j`` (series recurrences of
    :mod:`symrg.spectra.series`): ``eps (1 + depth) sqrt(j + 1)``, 4x above the worst error found
    against the same recurrences run in 40-digit mpmath (ReLU depth 1..30, j < 640)."""
    return EPS * (1 + depth) * np.sqrt(np.arange(J) + 1.0)


def funk_hecke_fast(kernel: NNGPKernel, dim: int, lmax: int, n_terms: int | None = None,
                    singular_order: float = 8.5, *, rtol: float = FAST_RTOL, check: bool = True,
                    with_error: bool = False, allow_expensive: bool = False):
    """Eigenvalues ``lambda_0..lambda_lmax`` in float64 by the sign-definite series (module doc).

    Error control (docs/theory.md section 7).  For each degree the series is summed with the
    singular terms of exponent ``g <= G`` subtracted, for every ``G`` from 0 (plain Taylor series)
    to ``singular_order``, and the ``G`` with the smallest error estimate is kept.  The estimate
    adds up

    * rounding: ``eps`` times the sum of the magnitudes of everything added (Taylor terms, the
      subtracted binomial series, the closed-form transforms) plus the ``gammaln`` error of the
      moments -- this is what grows with depth: the singular coefficients grow like ``(c L)^m``
      (:func:`singular_expansion`), so high orders cancel digits;
    * truncation at ``n_terms``: the remainder's coefficients extrapolated as ``C j^-(g'+1)``
      (Darboux; ``g'`` the first exponent not subtracted, ``C`` the largest observed over
      ``[J/2, J)``), times 3; for ``G = 0`` the smaller of that and a bound (``a_j >= 0``, so the
      tail is at most ``(k(1) +- k(-1))/2 - sum_{j<J} a_j`` times the largest moment beyond ``J``);
    * the Taylor coefficients' own error (:func:`_taylor_rel_error`).

    An eigenvalue whose value lies within its error of 0 is clamped at 0 (the kernels are positive
    semi-definite), so degrees that vanish by symmetry come out as exact zeros when the plain
    Taylor series has no term of their parity.

    Rule: every degree must have ``error <= rtol |lambda_l|`` unless both ``N(d,l) |lambda_l|`` and
    ``N(d,l) error`` are below ``POWER_ATOL k(1)``.  If a degree fails, :class:`ConvergenceError`
    is raised (``check=False`` returns anyway); :func:`sphere_spectrum` instead switches to the
    mpmath path when that is affordable.  ``with_error=True`` returns a :class:`FastResult`.

    ``singular_order`` is the largest exponent ``g`` of ``(1 -+ t)^g`` considered.  ``n_terms``
    (Taylor coefficients kept) defaults to, and may not be below, ``max(4096, 4 lmax + 512)``; when
    the failing degrees are limited by truncation it is doubled (at most twice, within the cost
    limit) before giving up.
    Work is bounded (:func:`symrg.spectra.cost.check_fast_cost`): ``lmax <= 5000`` and an estimated
    time limit, both lifted by ``allow_expensive=True``.
    """
    from .cost import FAST_SECONDS_LIMIT, check_fast_cost, fast_seconds

    d = _check_dim(dim)
    lmax = check_int(lmax, "lmax", 0, None)
    J = _default_terms(lmax) if n_terms is None else check_int(n_terms, "n_terms", _default_terms(lmax), None)
    check_fast_cost(kernel, lmax, J, allow_expensive)
    target = float(rtol)
    res = _fast_with_error(kernel, d, lmax, J, singular_order, target)
    # truncation-limited degrees: twice the Taylor terms cut the remainder's tail by >= 2^2.5
    # (ReLU, d >= 2); at most twice, and only within the cost limit
    for _ in range(2):
        bad = ~res.ok
        if not bad.any() or not np.all(res.truncation[bad] > 0.5 * res.errors[bad]):
            break
        if fast_seconds(kernel, lmax, 2 * J) > FAST_SECONDS_LIMIT / 2 and not allow_expensive:
            break
        J *= 2
        res = _fast_with_error(kernel, d, lmax, J, singular_order, target)
    if check and not res.ok.all():
        l, rel = res.worst(d, kernel.k1)
        raise ConvergenceError(
            f"float64 Funk-Hecke series for the {kernel.describe()} on S^{d - 1}: estimated relative "
            f"error {rel:.2g} at degree {l} exceeds rtol={rtol:g} (error bound {res.errors[l]:.3g}, "
            f"lambda_{l} = {res.eigenvalues[l]:.6g}); use sphere_spectrum(..., precision='mp') "
            "(CLI --precision mp), which chooses its own digits")
    return res if with_error else res.eigenvalues


def _fast_with_error(kernel: NNGPKernel, d: int, lmax: int, J: int, singular_order: float,
                     rtol: float) -> FastResult:
    from .series import binomial_series

    a = taylor_coefficients(kernel, J)
    j = np.arange(J, dtype=float)
    ls = np.arange(lmax + 1)
    k1 = float(kernel.k1)
    # -- subtraction levels G_0 = 0 < G_1 < ... (exponents binned to multiples of 1/2) --------
    terms, g_unknown = _singular_terms(kernel, singular_order)
    bins = sorted({math.ceil(2 * g - 1e-9) / 2 for g, _, _ in terms if g <= singular_order})
    regs, Es, abss, sings, sing_errs, Gs, qs = [], [], [], [], [], [], []
    reg, sub_abs = a.copy(), np.zeros(J)
    sing, sing_abs, sing_err = np.zeros(lmax + 1), np.zeros(lmax + 1), np.zeros(lmax + 1)
    n_sub, prev = 0, 0.0
    for G in [0.0] + bins:
        for g, side, coef in terms:
            if not prev < g <= G:
                continue
            b = coef * binomial_series(g, J, sign=-side)
            reg = reg - b
            sub_abs = sub_abs + np.abs(b) * (1 + j * EPS)  # b_j carries j roundings
            T = coef * singular_transform(g, ls, d) * (1.0 if side == 1 else (-1.0) ** ls)
            sing = sing + T
            sing_abs = sing_abs + np.abs(T)
            sing_err = sing_err + np.abs(T) * _transform_rel_error(g, ls, d)
            n_sub += 1
        prev = G
        nxt = [g for g, _, _ in terms if g > G]
        g_next = min(nxt) if nxt else g_unknown
        regs.append(reg)
        abss.append(np.abs(a) + sub_abs)
        Es.append(EPS * (n_sub + 3) * (np.abs(a) + sub_abs) + EPS * j * sub_abs)
        sings.append(sing)
        sing_errs.append(sing_err + EPS * (n_sub + 2) * sing_abs)
        Gs.append(G)
        qs.append(g_next + 1.0)
    K = len(Gs)
    R, E, A = np.array(regs), np.array(Es), np.array(abss)
    SG, SE = np.array(sings), np.array(sing_errs)
    # -- truncation estimates ---------------------------------------------------------------
    trunc = np.zeros((K, lmax + 1))
    ea = _taylor_rel_error(kernel.depth, J)
    k_m1 = float(kernel(-1.0))
    slack = EPS * k1 * (8 + 4 * kernel.depth)
    for par in (0, 1):
        total = (k1 + k_m1) / 2 if par == 0 else (k1 - k_m1) / 2
        tail = max(total - math.fsum(a[par::2]), 0.0) + slack + float(np.dot(ea[par::2], a[par::2]))
        sel = ls[ls % 2 == par]
        if sel.size:
            trunc[0, sel] = tail * _moment_max_beyond(sel, J, d)
    win = slice(J // 2, J)
    for k in range(K):
        q = qs[k] if math.isfinite(qs[k]) else 1.0  # analytic remainder: a_j fall geometrically
        C = float(np.max(np.abs(R[k, win]) * j[win] ** q))
        model = 3 * C * _tail_sum(ls, J, q, d)
        trunc[k] = np.minimum(trunc[k], model) if k == 0 else model
    # -- per degree: all levels at once, keep the best ------------------------------------
    lam = np.empty(lmax + 1)
    err = np.empty(lmax + 1)
    order = np.empty(lmax + 1)
    trl = np.empty(lmax + 1)
    moments = _MomentTable(J, d)
    # parity-split copies, so that each degree reads contiguous rows
    split = {p: (np.ascontiguousarray(R[:, p::2]), np.ascontiguousarray(E[:, p::2]),
                 np.ascontiguousarray(A[:, p::2]), np.ascontiguousarray((ea * a)[p::2])) for p in (0, 1)}
    for l in range(lmax + 1):
        w, rw = moments(l)
        Rp, Ep, Ap, EAp = split[l % 2]
        o = l // 2
        Rl = Rp[:, o:o + len(w)]
        vals = Rl @ w + SG[:, l]
        rnd = Ep[:, o:o + len(w)] @ w + Ap[:, o:o + len(w)] @ (w * rw) + SE[:, l]
        rnd += (2 + math.log2(len(w))) * EPS * (Ap[:, o:o + len(w)] @ w)  # pairwise summation
        tay = float(np.dot(EAp[o:o + len(w)], w))
        tot = rnd + trunc[:, l] + tay
        tot = np.where(np.isfinite(vals) & np.isfinite(tot), tot, np.inf)
        k = int(np.argmin(tot))
        lam[l] = float(np.sum(Rl[k] * w)) + SG[k, l]
        err[l] = tot[k]
        order[l] = Gs[k]
        trl[l] = trunc[k, l]
        if abs(lam[l]) <= err[l] and lam[l] < 0:  # consistent with 0; the kernel is PSD
            lam[l] = 0.0
    res = FastResult(eigenvalues=lam, errors=err, orders=order, ok=np.zeros(lmax + 1, dtype=bool))
    return FastResult(lam, err, order, _ok(res, d, k1, rtol), trl, J)


def _transform_rel_error(g: float, l: np.ndarray, d: int) -> np.ndarray:
    l = np.asarray(l, dtype=float)
    parts = [gammaln(d / 2), (g + d - 2) * math.log(2.0), gammaln(l - g), gammaln(g + (d - 1) / 2),
             gammaln(-g), gammaln(g + l + d - 1)]
    return EPS * (4 + 2 * sum(np.abs(x) for x in parts))



def _lower_bounds(res: FastResult) -> np.ndarray:
    """``log10(lambda_l - error)`` where positive (else -inf), to plan the mp precision."""
    low = res.eigenvalues - res.errors
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(low > 0, np.log10(np.where(low > 0, low, 1.0)), -np.inf)


def _ok(res: FastResult, d: int, k1: float, rtol: float) -> np.ndarray:
    """The accuracy rule of :func:`funk_hecke_fast` at another ``rtol``."""
    lam, err = res.eigenvalues, res.errors
    logN = log_multiplicity(d, np.arange(len(lam)))
    with np.errstate(over="ignore", divide="ignore"):
        neg = np.exp(logN + np.log(np.maximum(np.abs(lam), err))) <= POWER_ATOL * k1
    return np.isfinite(err) & ((err <= rtol * np.abs(lam)) | neg)
