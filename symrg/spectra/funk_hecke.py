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
from scipy.special import gammaln

from .._validate import check_finite_array, check_int
from ..errors import ConvergenceError, ParameterError
from .kernels import NNGPKernel, singular_denominator, singular_expansion, taylor_coefficients
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
SING_TERMS_LIMIT = 700
"""Length cap of the singular expansion (its cost grows like ``depth n^3``)."""


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


def p_needed(kernel: NNGPKernel, singular_order: float) -> int:
    return int(singular_denominator(kernel) * (singular_order + 1)) + 4


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
