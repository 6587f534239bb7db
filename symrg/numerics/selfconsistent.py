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
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from .._validate import check_positive, check_ridge
from ..errors import ConvergenceError
from .flows import _as_shells, ir_stop, learnability

__all__ = ["SelfConsistentRidge", "selfconsistent_ridge", "sharp_limit_error"]

_EPS = np.finfo(float).eps


def _gen():
    from .._generated import selfconsistent_flow

    return selfconsistent_flow


@dataclass(frozen=True)
class SelfConsistentRidge:
    """``sigma_eff^2`` and what it implies (module doc).

    ``sigma2`` the closed ridge, ``delta`` its shift from the bare ridge, ``learnability`` the
    ``L_s`` of every shell under it, ``learned_modes = sum_k L_k`` (``= eta - ridge/kappa_eff``),
    ``error_estimate`` the absolute error of ``sigma2`` from the root finder, ``tail_bound`` the
    largest error the unlisted modes can add.
    """

    ridge: float
    eta: float
    sigma2: float
    delta: float
    learned_modes: float
    error_estimate: float
    tail_bound: float
    learnability: np.ndarray = field(repr=False)

    @property
    def kappa_eff(self) -> float:
        """The eigenlearning effective ridge ``sigma_eff^2 / eta``."""
        return self.sigma2 / self.eta

    def to_dict(self) -> dict:
        return {"sigma2_selfconsistent": self.sigma2, "delta": self.delta, "kappa_eff": self.kappa_eff,
                "learned_modes": self.learned_modes, "error_estimate": self.error_estimate,
                "tail_bound": self.tail_bound}


def selfconsistent_ridge(spectrum, ridge, eta) -> SelfConsistentRidge:
    """Solve the closure for ``sigma_eff^2`` on a spectrum (shells + tail power).

    The closure is homogeneous of degree 1 in (spectrum, ridge): it is solved in scaled units (every
    eigenvalue, the tail and the ridge divided by a power of two near the largest of them) and scaled
    back, so that spectra near the float64 limit (1e158 and beyond) neither overflow nor lose the answer."""
    sh = _as_shells(spectrum)
    s2 = check_ridge(ridge)
    eta = check_positive(eta, "eta")
    top = max(float(sh.lam.max()) if sh.lam.size else 0.0, s2, sh.tail)
    scale = 2.0 ** math.frexp(top)[1] if top > 0 else 1.0
    res = _solve_scaled(sh.lam / scale, sh.mult, sh.tail / scale, s2 / scale, eta)
    sig, delta, learned, err, tail_bound, L = res
    out = SelfConsistentRidge(s2, eta, sig * scale, delta * scale, learned, err * scale, tail_bound * scale, L)
    if not all(math.isfinite(v) for v in (out.sigma2, out.delta, out.learned_modes, out.error_estimate)):
        raise ConvergenceError(f"self-consistent ridge: the closure gave a non-finite result (sigma_eff^2 = "
                               f"{out.sigma2}, error estimate {out.error_estimate}) for a spectrum with largest "
                               f"eigenvalue {top:g}, ridge {s2:g}, eta {eta:g}")
    return out


def _solve_scaled(lam, mult, tail, s2, eta):
    g = _gen()
    R = lambda d: float(g.shift_residual(d, s2, eta, tail, lam, mult))  # noqa: E731
    hi = tail + float(np.sum(mult * lam))
    lo = 0.0
    if s2 + tail == 0.0:
        # ridgeless with every mode listed: delta = 0 solves the closure trivially; a positive
        # root exists iff more modes than eta are listed (R'(0) = sum m / eta - 1 > 0)
        if float(np.sum(mult)) <= eta:
            return 0.0, 0.0, float(np.sum(mult)), 0.0, 0.0, np.ones_like(lam)
        lo = hi
        while R(lo) <= 0.0:
            lo *= 0.5
            if lo < 1e-300:
                raise ConvergenceError("self-consistent ridge: no positive root found below the trace")
    if hi <= lo or R(hi) >= 0.0:
        delta = hi if R(hi) >= 0.0 else lo
    else:
        delta = brentq(R, lo, hi, xtol=np.finfo(float).tiny, rtol=4 * _EPS, maxiter=500)
    with np.errstate(over="ignore"):  # (s + eta lambda)^2 may overflow at a huge ridge: the term is 0
        dR = float(g.shift_residual_derivative(delta, s2, eta, tail, lam, mult))
    err = abs(R(delta) / dR) if dR != 0 else math.inf
    sig = s2 + delta
    err = max(err, 4 * _EPS * sig)
    lmin = float(lam[lam > 0].min()) if np.any(lam > 0) else 0.0
    tail_bound = eta * lmin * tail / sig if sig > 0 else math.inf
    L = learnability(lam, sig, eta)
    return sig, delta, float(np.sum(mult * L)), err, tail_bound, L


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
