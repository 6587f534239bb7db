"""What cutting a spectrum off does to the flow's numbers (docs/theory.md sections 4, 4a and 4b).

A spectrum listed up to a cut (the sphere up to ``lmax``, a data pool's top modes) carries the rest as its
power ``T`` only; :class:`~symrg.numerics.flows.Shells` integrates that power out with learnability 0.
The unlisted eigenvalues are each at most ``lambda_c`` (:func:`tail_eigenvalue_bound`: on the sphere the
larger of the last two degrees, the eigenvalues decreasing with the degree within each parity), so the true configuration lies between

* the listed one (tail of eigenvalue -> 0, power ``T``), and
* the concentrated one (``T / lambda_c`` modes of eigenvalue ``lambda_c``).

For the self-consistent ridge this is a bracket: the closure's tail term ``sum_k f(lambda_k)`` with
``f(lambda) = lambda s/(s + eta lambda)`` concave and ``f(0) = 0`` lies between ``T f(lambda_c)/lambda_c``
(concentrated) and ``T`` (listed), and the root increases with that term, so
``|sigma_eff^2(listed) - sigma_eff^2(concentrated)|`` bounds the error of ``sigma_eff^2``.  For the
test errors the same difference (:func:`symrg.numerics.predictions.tail_error_bound`) is exact to first
order in ``tail_ratio = eta lambda_c / sigma_eff^2`` and is an estimate, not a bound, beyond it.
"""
from __future__ import annotations

import math

from .flows import Shells, _as_shells
from .predictions import THEORIES, predict_all, tail_error_bound
from .selfconsistent import selfconsistent_ridge

__all__ = ["truncation_errors", "tail_eigenvalue_bound"]


def tail_eigenvalue_bound(spectrum) -> float:
    """The largest eigenvalue an unlisted mode can have: for a sphere spectrum (one entry per degree) the larger
    of the last two degrees' eigenvalues (the eigenvalues decrease with the degree within each parity; one
    parity may vanish, as the odd degrees of ReLU, so the smallest listed eigenvalue is not a bound), for
    shells the smallest listed eigenvalue."""
    if hasattr(spectrum, "degrees") and hasattr(spectrum, "eigenvalues"):
        lam = [float(x) for x in spectrum.eigenvalues[-2:]]
        return max(lam)
    return float(_as_shells(spectrum).lam[-1])


def truncation_errors(spectrum, ridge, eta, *, preds: dict | None = None, sc=None, lam_tail_max: float | None = None,
                      **stop_kw) -> dict:
    """Error estimates of every printed number of ``symrg flow`` on a cut spectrum (module doc):
    ``{theory: estimate}`` for :data:`THEORIES` (absolute, test-error units), ``"sigma2_selfconsistent"``
    (the bracket plus the root finder's error), ``"tail_ratio"`` and ``"cut_relative"`` (the largest relative
    change between the two configurations, without rounding: what listing more modes can still reduce).  ``spectrum`` is a sphere
    :class:`~symrg.spectra.funk_hecke.Spectrum` or shells; ``lam_tail_max`` overrides
    :func:`tail_eigenvalue_bound`."""
    import numpy as np

    lam_c = tail_eigenvalue_bound(spectrum) if lam_tail_max is None else float(lam_tail_max)
    sh = _as_shells(spectrum)
    if preds is None:
        preds = predict_all(sh, ridge, eta, **stop_kw)
    if sc is None:
        sc = selfconsistent_ridge(sh, ridge, eta)
    eps = np.finfo(float).eps
    # the tail is a difference (the trace minus the listed power): it carries ~eps * trace of rounding, which
    # enters sigma_eff^2 and the test errors with a coefficient of order 1
    rounding = 8 * eps * (sh.total_power() + float(ridge))
    if sh.tail <= 0:
        return {**{t: 8 * eps * abs(preds[t].test_error) + 2 * rounding for t in THEORIES},
                "sigma2_selfconsistent": sc.error_estimate + rounding, "tail_ratio": 0.0, "lam_tail_max": 0.0,
                "cut_relative": 0.0}
    if not lam_c > 0:
        lam_c = float(sh.lam[-1])
    conc = Shells(np.concatenate([sh.lam, [lam_c]]), np.concatenate([sh.mult, [sh.tail / lam_c]]), 0.0)
    tp_c = np.concatenate([sh.power, [sh.tail]])
    pc = predict_all(conc, ridge, eta, tp_c, **stop_kw)
    sc_c = selfconsistent_ridge(conc, ridge, eta)
    out = {t: abs(pc[t].test_error - preds[t].test_error) + 8 * eps * abs(preds[t].test_error)
           + 2 * rounding for t in THEORIES}
    out["sigma2_selfconsistent"] = abs(sc.sigma2 - sc_c.sigma2) + sc.error_estimate + sc_c.error_estimate + rounding
    # the cut's own share (without rounding), relative: what a larger lmax can still reduce
    out["cut_relative"] = max([abs(sc.sigma2 - sc_c.sigma2) / sc.sigma2 if sc.sigma2 > 0 else 0.0]
                              + [abs(pc[t].test_error - preds[t].test_error) / abs(preds[t].test_error)
                                 for t in THEORIES if preds[t].test_error])
    out["lam_tail_max"] = lam_c
    out["tail_ratio"] = float(eta * lam_c / sc.sigma2) if sc.sigma2 > 0 else math.inf
    return out
