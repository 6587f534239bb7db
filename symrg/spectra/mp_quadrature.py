"""Funk-Hecke eigenvalues by mpmath quadrature at a chosen, confirmed precision (docs/theory.md
section 1, ``lambda_l = E_t[k(t) P_l(t)]``; checks of section 7).

Direct tanh-sinh quadrature over ``theta = arccos t``: the interval is cut into panels (a few
oscillations of ``P_lmax`` each), ``P_0..P_lmax`` come from the three-term recurrence at every
node, and the step is halved until every eigenvalue has settled.  It shares no step with the
float64 series of :func:`symrg.spectra.funk_hecke.funk_hecke_fast` (the Taylor coefficients only
help to *choose* the precision, never enter a value).

Precision.  The integrand oscillates: ``|lambda_l|`` can be far below the size of the integrand,
``B_l = k(1) / sqrt(N(d,l)) >= E|k P_l|`` (``|k| <= k(1)`` for a positive semi-definite kernel and
``E[P_l^2] = 1/N(d,l)``), e.g. ``lambda_40 / B_40 ~ 1e-39`` on S^783.  A run at ``dps`` digits
integrates to an absolute error ``tol_l = 10^(5-dps) B_l`` (its noise floor), so it resolves
``lambda_l`` to ``log10(|lambda_l| / tol_l)`` digits.  The working precision is

    dps = max(dps_floor, max_l [log10(B_l / lb_l) + 5 + GUARD_DIGITS]),

with ``lb_l`` a lower bound of ``lambda_l`` (for an :class:`NNGPKernel`: the first terms of the
series ``sum_j a_j E[t^j P_l]`` with ``a_j >= 0``; degrees with ``lb_l = 0`` and plain callables
do not raise it).  ``dps`` is a floor, not a promise.

Confirmation.  The whole quadrature is repeated at ``dps + CONFIRM_DIGITS``.  A degree resolved by
the confirming run must be resolved to ``GUARD_DIGITS`` by the working run too (else both runs
are repeated higher, at most twice) and the two values must agree to ``AGREE_RTOL``, otherwise
:class:`~symrg.errors.ConvergenceError` names the degree and both values.

Exact zeros.  ``lambda_l`` is reported as exactly 0 when both runs leave it within 10x their own
noise floor (so it is below ``10^(6 - dps - CONFIRM_DIGITS) B_l``, twenty digits under what the
working run could see) and, for an :class:`NNGPKernel`, no Taylor coefficient of ``l``'s parity
gives it a positive lower bound.  A degree with a positive lower bound is always resolved.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from .._validate import check_int
from ..errors import ConvergenceError, ParameterError
from .cost import MP_DPS_LIMIT, MP_SECONDS_LIMIT, OVERRIDE, _fmt
from .kernels import NNGPKernel, taylor_coefficients

__all__ = ["MPResult", "funk_hecke_mp", "plan_dps", "mp_seconds", "lower_bounds_log10", "GUARD_DIGITS", "CONFIRM_DIGITS",
           "AGREE_RTOL"]

GUARD_DIGITS = 20
CONFIRM_DIGITS = 20
AGREE_RTOL = 1e-12
_LN10 = math.log(10.0)


@dataclass(frozen=True)
class MPResult:
    """Eigenvalues of the mpmath path (values of the confirming run) and how they were obtained."""

    eigenvalues: list
    errors: np.ndarray
    """``|working - confirming|`` per degree (for zeros: the confirming run's noise floor)."""
    dps: int
    """The working precision chosen (see the module doc)."""
    dps_confirm: int
    zeros: list
    """Degrees reported as exact zeros."""
    seconds: float


def _log10_scale(k1: float, d: int, lmax: int) -> np.ndarray:
    """``log10 B_l``, ``B_l = k(1) / sqrt(N(d,l))``."""
    from .funk_hecke import log_multiplicity

    return math.log10(abs(k1)) - log_multiplicity(d, np.arange(lmax + 1)) / (2 * _LN10)


def taylor_lower_bounds_log10(kernel: NNGPKernel, d: int, lmax: int) -> np.ndarray:
    """``log10`` of ``lb_l = sum_{j < 2 lmax + 64, j = l mod 2} a_j E[t^j P_l] <= lambda_l``
    (``-inf`` where no coefficient of that parity is positive)."""
    n = 2 * lmax + 64
    a = taylor_coefficients(kernel, n)
    out = np.full(lmax + 1, -np.inf)
    for l in range(lmax + 1):
        s = np.arange(len(range(l, n, 2)), dtype=float)
        logw = (-l * math.log(2.0) + gammaln(l + 2 * s + 1) - gammaln(2 * s + 1) + gammaln(d / 2)
                + gammaln(s + 0.5) - 0.5 * math.log(math.pi) - gammaln(s + l + d / 2))
        aj = a[l::2]
        pos = aj > 0
        if pos.any():
            x = np.log(aj[pos]) + logw[pos]
            out[l] = (x.max() + math.log(np.exp(x - x.max()).sum())) / _LN10
    return out


def lower_bounds_log10(kernel, dim: int, lmax: int) -> np.ndarray:
    """``log10`` of lower bounds ``lb_l <= lambda_l`` used to plan the precision (``-inf``: none).

    The larger of (a) the Taylor bound :func:`taylor_lower_bounds_log10` and (b) the float64 path's
    ``lambda_l - error`` when that is positive and the float64 path is affordable.  (b) matters at
    small ``d``, where ``lambda_l`` comes from Taylor orders ``j ~ l^2`` that (a) does not reach;
    neither enters a value, and a bound that is too high is caught by the confirming run.
    """
    from .cost import FAST_LMAX_LIMIT, fast_seconds
    from .funk_hecke import _default_terms, funk_hecke_fast

    lb = taylor_lower_bounds_log10(kernel, dim, lmax)
    if lmax <= FAST_LMAX_LIMIT and fast_seconds(kernel, lmax, _default_terms(lmax)) <= 30.0:
        res = funk_hecke_fast(kernel, dim, lmax, check=False, with_error=True)
        low = res.eigenvalues - res.errors
        with np.errstate(divide="ignore", invalid="ignore"):
            lf = np.where(low > 0, np.log10(np.where(low > 0, low, 1.0)), -np.inf)
        lb = np.maximum(lb, lf)
    return lb


def plan_dps(kernel, dim: int, lmax: int, dps_floor: int = 30, lower_bounds=None) -> int:
    """Working precision for ``lambda_0..lambda_lmax`` (module doc); ``lower_bounds`` are ``log10``
    lower bounds of the eigenvalues (default :func:`lower_bounds_log10`)."""
    if lower_bounds is None:
        if not isinstance(kernel, NNGPKernel):
            return int(dps_floor)
        lower_bounds = lower_bounds_log10(kernel, dim, lmax)
    k1 = float(kernel.k1) if isinstance(kernel, NNGPKernel) else 1.0
    logB = _log10_scale(k1, dim, lmax)
    need = logB - np.asarray(lower_bounds, dtype=float) + 5 + GUARD_DIGITS
    need = need[np.isfinite(need)]
    return int(max(dps_floor, math.ceil(need.max()) if need.size else 0))


# ------------------------------------------------------------------------------ cost model --
_C_NODE = 150e-6     # s per quadrature node (nodes, weights, sin^(d-2), conversions) at ~50 digits
_C_LAYER = 100e-6    # s per node per layer of kernel evaluation at ~50 digits
_C_DEGREE = 1.5e-6   # s per node per degree (fixed-point recurrence and sums), plus
_C_BITS = 12e-6      # ... this times (bits / 1200)^1.62 for the integer products


def _fixed_point_bits(k1: float, d: int, lmax: int, dps: int) -> int:
    """Bits of the fixed-point recurrence: 15 digits below the smallest target ``tol_l``, with room
    for the rounding of ``10^6 (lmax + 1)`` additions."""
    logB_min = float(_log10_scale(k1, d, lmax).min())
    digits = dps + 15 + max(0.0, math.log10(abs(k1)) - logB_min) + math.log10(1e6 * (lmax + 1))
    return int(digits * math.log2(10)) + 8


def _digits_cost(dps: int) -> float:
    """Relative cost of an mpmath operation at ``dps`` digits (pure-Python backend)."""
    return 1.0 + dps / 250.0


def _panels(lmax: int) -> int:
    return max(2, lmax // 6 + 2)


def _active_panels(k1: float, d: int, lmax: int, dps: int) -> int:
    """Panels whose integrand can exceed the noise floor (``|k P_l| sin^{d-2} <= k(1) sin^{d-2}``)."""
    P = _panels(lmax)
    logB_min = float(_log10_scale(k1, d, lmax).min())
    edges = np.pi * np.arange(P + 1) / P
    near = np.where(np.abs(edges[:-1] - np.pi / 2) < np.abs(edges[1:] - np.pi / 2), edges[:-1], edges[1:])
    inside = (edges[:-1] <= np.pi / 2) & (edges[1:] >= np.pi / 2)
    smax = np.where(inside, 1.0, np.sin(near))
    with np.errstate(divide="ignore"):
        logbound = math.log10(abs(k1)) + math.log10(np.pi / P) + (d - 2) * np.log10(smax) + 0.5 * math.log10(d)
    return int(np.sum(logbound >= logB_min - dps - 10))


def _nodes_per_panel(dps: int) -> float:
    return 10.0 * (dps + 20)


def mp_seconds(kernel, dim: int, lmax: int, dps: int, confirm: bool = True) -> float:
    """Estimated time of :func:`funk_hecke_mp` at working precision ``dps``."""
    depth = kernel.depth if isinstance(kernel, NNGPKernel) else 1
    k1 = float(kernel.k1) if isinstance(kernel, NNGPKernel) else 1.0
    total = 0.0
    for p in ([dps, dps + CONFIRM_DIGITS] if confirm else [dps]):
        nodes = _active_panels(k1, dim, lmax, p) * _nodes_per_panel(p)
        bits = _fixed_point_bits(k1, dim, lmax, p)
        total += nodes * ((_C_NODE + _C_LAYER * depth) * _digits_cost(p)
                          + (_C_DEGREE + _C_BITS * (bits / 1200) ** 1.62) * (lmax + 1))
    return total


def _check_cost(kernel, d, lmax, dps, confirm, allow_expensive, limit):
    if allow_expensive:
        return
    if dps > MP_DPS_LIMIT:
        raise ParameterError("dps", dps, f"<= {MP_DPS_LIMIT} digits (the limit on the mpmath path's work; "
                             f"{lmax=}, dim={d} need {dps})", OVERRIDE)
    t = mp_seconds(kernel, d, lmax, dps, confirm)
    if t > limit:
        raise ParameterError("lmax", lmax, f"an estimated mpmath run time <= {_fmt(limit)} (estimated "
                             f"{_fmt(t)} at {dps} digits on S^{d - 1})", OVERRIDE)


# ------------------------------------------------------------------------------ quadrature --
def _quadrature(ktheta, k1, d, lmax, dps, progress=None, done=0, total=1):
    """One tanh-sinh sweep at ``dps`` digits: ``(values, noise floors, quadrature errors)``.

    Nodes, weights and kernel values are mpmath numbers at ``dps + 10`` digits; the Gegenbauer
    recurrence and the sums over nodes run in binary fixed point (Python integers scaled by
    ``2^bits``), whose absolute resolution is set 10 digits below the smallest target
    ``tol_l / (nodes * lmax)`` -- the same accuracy at a fraction of the cost of mpf arithmetic.
    """
    import mpmath

    with mpmath.workdps(dps + 10):
        pi = mpmath.pi
        mpf = mpmath.mpf
        norm = mpmath.gamma(mpf(d) / 2) / (mpmath.sqrt(pi) * mpmath.gamma(mpf(d - 1) / 2))
        logB = _log10_scale(k1, d, lmax)
        B = [mpmath.power(10, mpf(float(x))) for x in logB]
        tol = [mpmath.power(10, 5 - dps) * b for b in B]  # absolute target per degree
        Bmin = min(B)
        K1 = abs(mpf(k1))
        bits = _fixed_point_bits(k1, d, lmax, dps)
        scale = mpmath.ldexp(mpf(1), bits)
        A = [int(mpmath.floor(mpf(2 * l + d - 2) / (l + d - 2) * scale)) for l in range(1, lmax)]
        Bc = [int(mpmath.floor(mpf(l) / (l + d - 2) * scale)) for l in range(1, lmax)]
        P = _panels(lmax)
        edges = [pi * i / P for i in range(P + 1)]
        cut = mpmath.power(10, -(dps + 15)) * Bmin / K1

        def level_sum(a, b, h, odd_only):
            """sum over the level's nodes of wgt * k * sin^(d-2) * P_l, as fixed-point integers."""
            c, r = (a + b) / 2, (b - a) / 2
            acc = [0] * (lmax + 1)
            k = 1 if odd_only else 0
            step = 2 if odd_only else 1
            while True:
                tau = k * h
                u = pi / 2 * mpmath.sinh(tau)
                wgt = r * pi / 2 * mpmath.cosh(tau) / mpmath.cosh(u) ** 2
                if wgt < cut * r:
                    break
                x = r * mpmath.tanh(u)
                for sgn in ((1,) if k == 0 else (1, -1)):
                    th = c + sgn * x
                    t = mpmath.cos(th)
                    W = int(mpmath.floor(wgt * ktheta(th) * mpmath.sin(th) ** (d - 2) * scale))
                    T = int(mpmath.floor(t * scale))
                    p0, p1 = W, (T * W) >> bits
                    acc[0] += p0
                    if lmax:
                        acc[1] += p1
                    for i in range(lmax - 1):
                        p0, p1 = p1, (A[i] * ((T * p1) >> bits) - Bc[i] * p0) >> bits
                        acc[i + 2] += p1
                k += step
            return [mpf(v) / scale for v in acc]

        active = []
        for a, b in zip(edges[:-1], edges[1:]):
            smax = 1 if a <= pi / 2 <= b else max(mpmath.sin(a), mpmath.sin(b))
            bound = norm * K1 * (b - a) * smax ** (d - 2)
            active.append(bound >= mpmath.power(10, -(dps + 10)) * Bmin)
        n_act = max(1, sum(active))
        totals = [mpf(0)] * (lmax + 1)
        qerr = [mpf(0)] * (lmax + 1)
        for idx, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
            if active[idx]:
                h = mpf(1) / 2
                S = [h * v for v in level_sum(a, b, h, False)]
                for _ in range(14):
                    h /= 2
                    new = level_sum(a, b, h, True)
                    S2 = [s / 2 + h * v for s, v in zip(S, new)]
                    delta = [abs(x - y) * norm for x, y in zip(S, S2)]
                    S = S2
                    if all(dl * n_act < tl for dl, tl in zip(delta, tol)):
                        break
                else:
                    worst = max(range(lmax + 1), key=lambda i: delta[i] / tol[i])
                    raise ConvergenceError(
                        f"mp Funk-Hecke quadrature at {dps} digits did not converge on panel {idx} of {P} "
                        f"(degree {worst}: change {mpmath.nstr(delta[worst], 3)} > target "
                        f"{mpmath.nstr(tol[worst] / n_act, 3)}); the kernel may not be integrable to this "
                        "accuracy -- lower dps or lmax")
                totals = [x + y for x, y in zip(totals, S)]
                qerr = [x + y for x, y in zip(qerr, delta)]
            if progress:
                progress(done + idx + 1, total)
        return [+(norm * v) for v in totals], tol, qerr


def funk_hecke_mp(kernel, dim: int, lmax: int, dps: int = 30, progress=None, *, confirm: bool = True,
                  allow_expensive: bool = False, with_info: bool = False, max_seconds: float | None = None,
                  lower_bounds=None):
    """Eigenvalues ``lambda_0..lambda_lmax`` by tanh-sinh quadrature in mpmath (module doc).

    ``dps`` is a floor: the working precision is chosen from the dynamic range to resolve
    (:func:`plan_dps`) and the result is confirmed ``CONFIRM_DIGITS`` higher (``confirm=False``
    skips that).  ``kernel`` is an :class:`NNGPKernel` (evaluated from ``theta``, accurate near
    ``t = 1``) or a callable on mpmath numbers ``t`` with ``|k(t)| <= k(1)``.  Returns the
    confirming run's values as mpmath numbers, or an :class:`MPResult` with ``with_info=True``.
    ``lower_bounds``: ``log10`` of known lower bounds of ``lambda_l`` for the plan (default
    :func:`lower_bounds_log10` for an NNGPKernel, none for a callable).

    Work is estimated first (:func:`mp_seconds`); past ``max_seconds`` (default
    ``cost.MP_SECONDS_LIMIT``) or ``cost.MP_DPS_LIMIT`` digits it raises ParameterError unless
    ``allow_expensive=True``.  The global mpmath precision is never changed (``mpmath.workdps``).
    """
    import mpmath

    from .funk_hecke import _check_dim

    d = _check_dim(dim)
    lmax = check_int(lmax, "lmax", 0, None)
    dps = check_int(dps, "dps", 15, None)
    if dps > MP_DPS_LIMIT and not allow_expensive:
        raise ParameterError("dps", dps, f"<= {MP_DPS_LIMIT} digits (the limit on the mpmath path's work)", OVERRIDE)
    limit = MP_SECONDS_LIMIT if max_seconds is None else float(max_seconds)
    nngp = isinstance(kernel, NNGPKernel)
    if nngp:
        ktheta, k1 = kernel.mp_theta, float(kernel.k1)
        lb = taylor_lower_bounds_log10(kernel, d, lmax)  # > -inf: the degree cannot vanish
        lower_bounds = (lower_bounds_log10(kernel, d, lmax) if lower_bounds is None
                        else np.maximum(np.asarray(lower_bounds, dtype=float), lb))
    else:
        with mpmath.workdps(30):
            k1 = float(abs(kernel(mpmath.mpf(1))))
        ktheta = lambda th: kernel(mpmath.cos(th))  # noqa: E731
        lb = np.full(lmax + 1, np.nan)  # unknown
    if not (math.isfinite(k1) and k1 > 0):
        raise ParameterError("kernel", f"k(1)={k1}", "a kernel with finite k(1) > 0")
    work = plan_dps(kernel, d, lmax, dps, lower_bounds)
    t0 = time.perf_counter()
    for _attempt in range(3):
        _check_cost(kernel, d, lmax, work, confirm, allow_expensive, limit)
        runs = [work, work + CONFIRM_DIGITS] if confirm else [work]
        res = []
        for i, p in enumerate(runs):
            res.append(_quadrature(ktheta, k1, d, lmax, p, progress, i * _panels(lmax), len(runs) * _panels(lmax)))
        if not confirm:
            lam, noise, qerr = res[0]
            errs = np.array([float(max(n, e)) for n, e in zip(noise, qerr)])
            return MPResult(lam, errs, work, work, [], time.perf_counter() - t0) if with_info else lam
        (l1, n1, _), (l2, n2, _) = res
        more = 0
        for l in range(lmax + 1):
            if abs(l2[l]) > 10 * n2[l]:  # resolved by the confirming run
                digits1 = float(mpmath.log10(abs(l2[l]) / n1[l]))
                if digits1 < GUARD_DIGITS - 2:
                    more = max(more, math.ceil(GUARD_DIGITS - digits1))
        if more == 0:
            break
        work += more
    else:
        raise ConvergenceError(f"mp Funk-Hecke: the working precision did not settle ({work} digits after "
                               "two increases); raise dps")
    zeros, errs, out = [], np.zeros(lmax + 1), []
    with mpmath.workdps(work + CONFIRM_DIGITS + 10):
        for l in range(lmax + 1):
            a, b = l1[l], l2[l]
            if abs(b) <= 10 * n2[l]:
                if abs(a) > 10 * n1[l] or (nngp and np.isfinite(lb[l])):
                    raise ConvergenceError(
                        f"mp Funk-Hecke degree {l}: {mpmath.nstr(a, 17)} at {work} digits but "
                        f"{mpmath.nstr(b, 17)} (noise level) at {work + CONFIRM_DIGITS} digits"
                        + (f" although its Taylor lower bound is 1e{lb[l]:.1f}" if nngp and np.isfinite(lb[l]) else ""))
                zeros.append(l)
                errs[l] = float(10 * n2[l])
                out.append(mpmath.mpf(0))
                continue
            diff = abs(a - b)
            if diff > AGREE_RTOL * abs(b):
                raise ConvergenceError(
                    f"mp Funk-Hecke degree {l} not confirmed: {mpmath.nstr(a, 20)} at {work} digits vs "
                    f"{mpmath.nstr(b, 20)} at {work + CONFIRM_DIGITS} digits (relative difference "
                    f"{mpmath.nstr(diff / abs(b), 3)} > {AGREE_RTOL:g})")
            errs[l] = float(diff)
            out.append(b)
    info = MPResult(out, errs, work, work + CONFIRM_DIGITS, zeros, time.perf_counter() - t0)
    return info if with_info else out
