"""The self-consistent (Hartree) ridge of the Wilsonian flow (docs/theory.md section 4a).

Every greater mode is integrated with its data-dressed propagator
``G_k = (1/lambda_k + eta/sigma_eff^2)^{-1} = lambda_k (1 - L_k)`` and the one-loop ridge is
closed on itself,

    sigma_eff^2 = sigma^2 + sum_k lambda_k sigma_eff^2 / (sigma_eff^2 + eta lambda_k),

which :mod:`symrg.theory.selfconsistent` derives and shows to be the eigenlearning equation with
``sigma_eff^2 = n kappa_eff``.  The residual and its derivative come from the generated module
``symrg._generated.selfconsistent_flow`` (no SymPy here), written for the shift
``delta = sigma_eff^2 - sigma^2`` so that a huge bare ridge does not cancel.

The paper's sharp cutoff is the step-function limit ``(1 - L_k) -> theta(k > kappa*)`` of the
same sum; :func:`sharp_limit_error` measures how far the sharp ridges are from the closure.

Accuracy.  The root is bracketed (``R(delta)`` decreases from ``R(0) >= 0`` to
``R(T + sum m lambda) <= 0``) and found by Brent's method to relative tolerance ``4 eps``;
the result carries ``error_estimate = |R|/|R'|`` at the root (Newton step) and ``tail_bound``,
the largest error the unlisted modes can add: they enter with ``G -> lambda`` (their learnability
is neglected), which overstates their share by at most ``eta lambda_max_tail T / sigma_eff^2``,
with ``lambda_max_tail`` bounded by the smallest listed eigenvalue.

When the tail's law is known (``Shells.tail_powerlaw``), the unlisted modes enter the closure exactly, each
with its dressed propagator: the tail's ``G -> lambda`` becomes ``sum_{k>M} G_k = (sigma_eff^2/eta) sum_{k>M} L_k``
(:func:`tail_learned_modes`), the root is bracketed below the root with ``G -> lambda`` (:func:`_dressed_root`),
and ``tail_bound`` is the series' precision.

The mode count ``learned_modes = sum_k L_k`` runs over EVERY mode, the unlisted tail included
(:func:`tail_learned_modes`; docs/theory.md sections 4a, 4b): exactly for a power-law tail
(``Shells.tail_powerlaw``: ``sum_{k>M} x_k/(1 + x_k)``, ``x_k = eta A k^-(1+alpha)/sigma_eff^2``, by the
alternating series ``sum_j (-1)^(j+1) (eta A/sigma_eff^2)^j zeta(j(1+alpha), K)`` of Hurwitz zetas after a
direct sum over the modes with ``x_k > 1/2``), and to first order, ``T/kappa_eff``, for a tail known only by
its power ``T`` (the count the closure itself implies; the tail's eigenvalues are at most the smallest listed
one, ``lambda_min``, so the exact count lies in ``[T/(kappa_eff + lambda_min), T/kappa_eff]``).
``learned_modes_bound`` bounds ``|learned_modes - sum_k L_k|`` against the exact count on the whole spectrum:
that interval's width plus the closure's own tail error, ``tail_bound sum_k L_k (1 - L_k)/sigma_eff^2`` to
first order.  Without a tail the count is ``eta - sigma^2/kappa_eff`` (the eigenlearning identity).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from .._validate import check_positive, check_ridge
from ..errors import ConvergenceError
from .flows import _as_shells, ir_stop, learnability

__all__ = ["SelfConsistentRidge", "selfconsistent_ridge", "sharp_limit_error", "tail_learned_modes"]

MAX_DIRECT_TAIL_MODES = 20_000_000   # unlisted power-law modes summed one by one (where x_k > 1/2) at most

_EPS = np.finfo(float).eps


def _gen():
    from .._generated import selfconsistent_flow

    return selfconsistent_flow


@dataclass(frozen=True)
class SelfConsistentRidge:
    """``sigma_eff^2`` and what it implies (module doc).

    ``sigma2`` the closed ridge, ``delta`` its shift from the bare ridge, ``learnability`` the
    ``L_s`` of every listed shell under it, ``learned_modes = sum_k L_k`` over every mode, the unlisted
    tail's ``tail_learned`` included (module doc), ``learned_modes_bound`` a bound on its error,
    ``error_estimate`` the absolute error of ``sigma2`` from the root finder, ``tail_bound`` the
    largest error the unlisted modes can add to ``sigma2``.
    """

    ridge: float
    eta: float
    sigma2: float
    delta: float
    learned_modes: float
    error_estimate: float
    tail_bound: float
    learnability: np.ndarray = field(repr=False)
    tail_learned: float = 0.0
    learned_modes_bound: float = 0.0

    @property
    def kappa_eff(self) -> float:
        """The eigenlearning effective ridge ``sigma_eff^2 / eta``."""
        return self.sigma2 / self.eta

    def to_dict(self) -> dict:
        return {"sigma2_selfconsistent": self.sigma2, "delta": self.delta, "kappa_eff": self.kappa_eff,
                "learned_modes": self.learned_modes, "error_estimate": self.error_estimate,
                "tail_bound": self.tail_bound, "tail_learned_modes": self.tail_learned,
                "learned_modes_bound": self.learned_modes_bound}


def selfconsistent_ridge(spectrum, ridge, eta) -> SelfConsistentRidge:
    """Solve the closure for ``sigma_eff^2`` on a spectrum (shells + tail power).

    The closure is homogeneous of degree 1 in (spectrum, ridge): it is solved in scaled units (every
    eigenvalue, the tail, its power-law amplitude and the ridge divided by a power of two near the largest of
    them, exactly) and scaled back, so that spectra near the float64 limit (1e158 and beyond) neither overflow
    nor lose the answer."""
    sh = _as_shells(spectrum)
    s2 = check_ridge(ridge)
    eta = check_positive(eta, "eta")
    top = max(float(sh.lam.max()) if sh.lam.size else 0.0, s2, sh.tail)
    scale = 2.0 ** math.frexp(top)[1] if top > 0 else 1.0
    r = _solve_scaled(sh.scaled(scale), s2 / scale, eta)
    out = SelfConsistentRidge(s2, eta, r.sigma2 * scale, r.delta * scale, r.learned_modes, r.error_estimate * scale,
                              r.tail_bound * scale, r.learnability, r.tail_learned, r.learned_modes_bound)
    if not all(math.isfinite(v) for v in (out.sigma2, out.delta, out.learned_modes, out.error_estimate)):
        raise ConvergenceError(f"self-consistent ridge: the closure gave a non-finite result (sigma_eff^2 = "
                               f"{out.sigma2}, error estimate {out.error_estimate}) for a spectrum with largest "
                               f"eigenvalue {top:g}, ridge {s2:g}, eta {eta:g}")
    return out


def _solve_scaled(sh, s2: float, eta: float) -> SelfConsistentRidge:
    """The closure on shells in units where the largest of eigenvalue, tail and ridge is about 1."""
    g = _gen()
    lam, mult, tail = sh.lam, sh.mult, sh.tail
    R = lambda d: float(g.shift_residual(d, s2, eta, tail, lam, mult))  # noqa: E731
    hi = tail + float(np.sum(mult * lam))
    lo = 0.0
    if s2 + tail == 0.0:
        # ridgeless with every mode listed: delta = 0 solves the closure trivially; a positive
        # root exists iff more modes than eta are listed (R'(0) = sum m / eta - 1 > 0)
        if float(np.sum(mult)) <= eta:
            return SelfConsistentRidge(s2, eta, 0.0, 0.0, float(np.sum(mult)), 0.0, 0.0, np.ones_like(lam))
        lo = hi
        while R(lo) <= 0.0:
            lo *= 0.5
            if lo < 1e-300:
                raise ConvergenceError("self-consistent ridge: no positive root found below the trace")
    if hi <= lo or R(hi) >= 0.0:
        delta = hi if R(hi) >= 0.0 else lo
    else:
        delta = brentq(R, lo, hi, xtol=np.finfo(float).tiny, rtol=4 * _EPS, maxiter=500)
    exact_tail = sh.tail_powerlaw is not None and tail > 0.0
    if exact_tail:
        # the tail's law is known: every unlisted mode enters with its dressed propagator, exactly
        R = lambda d: float(g.shift_residual(d, s2, eta, _dressed_tail(sh, s2 + d, eta), lam, mult))  # noqa: E731
        delta = _dressed_root(R, delta)
    with np.errstate(over="ignore"):  # (s + eta lambda)^2 may overflow at a huge ridge: the term is 0
        dR = float(g.shift_residual_derivative(delta, s2, eta, tail, lam, mult))
    sig = s2 + delta
    if exact_tail and sig > 0:
        # the dressed tail adds sum_tail L_k^2/eta in [0, S L_max/eta] to dR: take the end nearer 0
        A, alpha, M = sh.tail_powerlaw
        x1 = eta * A * (M + 1.0) ** (-(1 + alpha)) / sig
        dR += tail_learned_modes(sh, sig, eta)[0] * x1 / (1 + x1) / eta
    err = abs(R(delta) / dR) if dR != 0 else math.inf
    err = max(err, 4 * _EPS * sig)
    lmin = float(lam[lam > 0].min()) if np.any(lam > 0) else 0.0
    if exact_tail:
        tail_bound = 4 * _EPS * tail                                # the Hurwitz series' precision
    else:
        tail_bound = eta * lmin * tail / sig if sig > 0 else math.inf
    L = learnability(lam, sig, eta)
    tail_L, tail_width = tail_learned_modes(sh, sig, eta)
    sum_l1l = float(np.sum(mult * L * (1 - L))) + tail_L           # sum_k L_k (1 - L_k) <= ... + sum_tail L_k
    bound = tail_width + ((tail_bound + err) * sum_l1l / sig if sig > 0 else math.inf)
    return SelfConsistentRidge(s2, eta, sig, delta, float(np.sum(mult * L)) + tail_L, err, tail_bound, L, tail_L,
                               bound)


def _dressed_tail(sh, sig: float, eta: float) -> float:
    """``sum_{k unlisted} G_k = sum lambda_k sigma_eff^2/(sigma_eff^2 + eta lambda_k) = (sigma_eff^2/eta) sum L_k``
    for a power-law tail (0 at ``sigma_eff^2 = 0``)."""
    return sig / eta * tail_learned_modes(sh, sig, eta)[0] if sig > 0 else 0.0


def _dressed_root(R, hi: float) -> float:
    """Root of the closure with the dressed tail, below the root ``hi`` of the closure with ``G -> lambda`` in the
    tail (there ``R(hi) = G_tail - T <= 0``).  ``R`` decreases with slope in [-1, 0], so the root lies at least
    ``|R(hi)|`` below ``hi``; the lower end is found by doubling that step, at most halving ``hi`` at a time
    (``R(0) >= 0`` always), so that the tail is never evaluated far below the root."""
    r_hi = R(hi)
    if r_hi >= 0.0:
        return hi
    step = -r_hi
    while True:
        lo = max(hi - step, 0.5 * hi)
        if lo < 1e-300:
            lo = 0.0
            break
        if R(lo) >= 0.0:
            break
        hi, step = lo, 2.0 * step
    return brentq(R, lo, hi, xtol=np.finfo(float).tiny, rtol=4 * _EPS, maxiter=500)


def tail_learned_modes(spectrum, sigma2_eff: float, eta: float) -> tuple[float, float]:
    """``sum_{k unlisted} L_k``, ``L_k = eta lambda_k/(eta lambda_k + sigma_eff^2)``, and the width of its
    uncertainty (module doc; docs/theory.md sections 4a, 4b).

    Power-law tail (``Shells.tail_powerlaw = (A, alpha, M)``): exact.  With ``x_k = c k^-p``, ``c = eta A /
    sigma_eff^2``, ``p = 1 + alpha``: the modes ``M < k < K`` with ``x_k > 1/2`` are summed one by one, the rest
    by ``sum_{k>=K} x_k/(1 + x_k) = sum_{j>=1} (-1)^(j+1) c^j zeta(j p, K)`` (geometric in ``x_K <= 1/2``,
    summed until a term is below 1e-17 of the sum); width 0.  Tail known by its power ``T`` only: ``T/kappa_eff``
    with ``kappa_eff = sigma_eff^2/eta``, width ``T/kappa_eff - T/(kappa_eff + lambda_min)``.
    """
    sh = _as_shells(spectrum)
    eta = check_positive(eta, "eta")
    T, sig = sh.tail, float(sigma2_eff)
    if T == 0.0:
        return 0.0, 0.0
    if not sig > 0:
        return math.inf, math.inf
    if sh.tail_powerlaw is None:
        lmin = float(sh.lam[sh.lam > 0].min()) if np.any(sh.lam > 0) else 0.0
        first = eta * T / sig
        return first, first - eta * T / (sig + eta * lmin)
    A, alpha, M = sh.tail_powerlaw
    p, logc = 1.0 + alpha, math.log(eta) + math.log(A) - math.log(sig)
    K0 = M + 1
    K = max(K0, math.ceil(math.exp((math.log(2.0) + logc) / p)))            # first k with x_k <= 1/2
    if K - K0 > MAX_DIRECT_TAIL_MODES:
        raise ConvergenceError(f"the power-law tail beyond the {M} listed modes still holds learnable modes up to "
                               f"k = {K:.3g} (eta lambda_k > sigma_eff^2/2); list at least that many modes")
    direct = 0.0
    for a in range(K0, K, 1_000_000):
        k = np.arange(a, min(a + 1_000_000, K), dtype=float)
        x = np.exp(logc - p * np.log(k))
        direct += float(np.sum(x / (1.0 + x)))
    from scipy.special import zeta

    total = 0.0
    for j in range(1, 400):
        z = float(zeta(j * p, K))
        if z > 0.0:
            logz = math.log(z)
        else:                                                               # below float64's range: mpmath
            import mpmath

            with mpmath.workdps(20):
                logz = float(mpmath.log(mpmath.zeta(j * p, K)))
        term = (-1.0) ** (j + 1) * math.exp(j * logc + logz)
        total += term
        if abs(term) <= 1e-17 * abs(total):
            return direct + total, 0.0
    raise ConvergenceError(f"the Hurwitz series of the power-law tail's learnabilities did not converge "
                           f"(x_K = {math.exp(logc - p * math.log(K)):.3g})")


def sharp_limit_error(spectrum, ridge, eta, **stop_kw) -> dict:
    """Relative distance of the sharp ridges from the closure, ``|sigma_*^2 - sigma_eff^2| / sigma_eff^2``,
    for the paper's stop and the budget-respecting stop (docs/theory.md section 4a)."""
    sc = selfconsistent_ridge(spectrum, ridge, eta)
    out = {"sigma2_selfconsistent": sc.sigma2}
    for key, budget in (("paper", False), ("budget", True)):
        st = ir_stop(spectrum, ridge, eta, budget=budget, **stop_kw)
        out[f"sigma2_{key}"] = st.sigma2
        out[f"rel_error_{key}"] = abs(st.sigma2 - sc.sigma2) / sc.sigma2 if sc.sigma2 > 0 else math.inf
    return out
