"""Universality classes of NNGP kernels: activation x depth x data measure (docs/theory.md sections 4c and 6x).

On the sphere ``S^{d-1}`` a dot-product kernel ``k(t)`` whose leading non-analytic term at ``t = +-1`` is
``(1 -+ t)^s`` (``s`` not an integer) has Funk-Hecke eigenvalues ``lambda_l ~ l^{-(d-1+2s)}`` per degree; with
``~ l^{d-2}`` modes per degree the mode index is ``k ~ l^{d-1}`` and ``lambda_k ~ k^{-(1+alpha)}`` with

    alpha = 2 s / (d - 1).

The class of a kernel is its singularity order ``s``.  It is read off the local expansion of the kernel at
``t = +-1`` (:func:`symrg.spectra.kernels.singular_expansion`, series composition layer by layer, nothing
typed in): ReLU keeps ``s = 3/2`` at every depth (the map ``1 - J(rho)`` is linear in ``1 - rho``, only the
amplitude grows with depth), step halves it at every layer, ``s = 2^{-L}`` (``arccos rho ~ sqrt(2(1-rho))``),
and erf kernels are analytic on ``[-1, 1]`` (the argument of arcsin stays inside ``(-1, 1)``), so their
eigenvalues fall faster than any power: class ``analytic``, ``alpha`` null.  A second route checks ``alpha``:
the slope of the Funk-Hecke eigenvalues (:func:`symrg.spectra.funk_hecke.sphere_spectrum`) on degrees
``[lmax/4, lmax]``.

The learning-curve exponent predicted for a target matched to the kernel (``beta = alpha``) is
``-alpha gamma`` with ``gamma`` the IR-stop exponent ``d log kappa*/d log n`` of the RG stop on the power law
(:func:`symrg.studies.scaling.ir_stop_exponent`; ``-alpha/(1+alpha)`` when the bare ridge dominates).

On data (digits, MNIST, Fashion-MNIST, a file) ``alpha`` with its interval, the predicted and the measured
slope come from :func:`symrg.studies.scaling.scaling_study` (pool spectrum, held-out learning curve).  Each
data row gets the class of the sphere row with the same activation and depth, and ``keeps_sphere_class`` says
whether the data reproduce the sphere's depth dependence (rule in :func:`classes_kept_on_data`).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._validate import check_int, check_ridge
from ..errors import ParameterError

__all__ = ["singularity_order", "sphere_row", "data_row", "universality_table", "classes_kept_on_data",
           "UNIVERSALITY_ACTIVATIONS", "MAX_UNIVERSALITY_DEPTH"]

UNIVERSALITY_ACTIVATIONS = ("relu", "erf", "step")
MAX_UNIVERSALITY_DEPTH = 8        # the step kernel's expansion needs 2^(L+1) terms per layer
_SPHERE_NS = (100, 200, 400, 800, 1600)
FASHION_NOTE = "Fashion-MNIST not found: install the Debian package dataset-fashion-mnist"


def _kernel(activation: str, depth: int):
    from ..spectra.kernels import NNGPKernel

    if activation not in UNIVERSALITY_ACTIVATIONS:
        raise ParameterError("activations", activation, f"a comma-separated subset of {UNIVERSALITY_ACTIVATIONS}")
    depth = check_int(depth, "depths", 1, MAX_UNIVERSALITY_DEPTH)
    return NNGPKernel(activation, depth)


def singularity_order(activation: str, depth: int) -> Fraction | None:
    """Leading singular exponent ``s`` of the depth-``L`` kernel over ``t = +1`` and ``t = -1`` (module doc);
    ``None`` for an analytic kernel."""
    from ..spectra.kernels import singular_denominator, singular_expansion

    k = _kernel(activation, depth)
    if activation == "erf":
        return None
    p = singular_denominator(k)
    ex = singular_expansion(k, max(64, 4 * p + 8))
    best = None
    for _side, p, e in ex:
        scale = max(1.0, float(np.max(np.abs(e[:p + 1]))))
        for m in range(1, len(e)):
            if m % p and abs(e[m]) > 1e-8 * scale:
                s = Fraction(m, p)
                best = s if best is None or s < best else best
                break
    return best


def _funk_hecke_alpha(kernel, dim: int, lmax: int) -> float | None:
    """Per-mode alpha from the slope of the Funk-Hecke eigenvalues on degrees ``[lmax/4, lmax]`` (the parity
    class that carries the slower decay); ``None`` when fewer than 4 degrees carry power."""
    from ..spectra.funk_hecke import sphere_spectrum

    s = sphere_spectrum(kernel, dim, lmax)
    lam, deg = s.eigenvalues, s.degrees
    best = None
    for parity in (0, 1):
        sel = (deg >= lmax // 4) & (deg % 2 == parity) & (lam > 1e-13 * lam.max())
        if sel.sum() >= 4:
            slope = float(np.polyfit(np.log(deg[sel]), np.log(lam[sel]), 1)[0])
            best = slope if best is None else max(best, slope)
    return None if best is None else -best / (dim - 1) - 1.0


def sphere_measured_slope(kernel, dim: int, ridge: float, ns=_SPHERE_NS, *, trials: int = 8, seed: int = 0,
                          n_test: int = 500, executor=None) -> tuple[float, list]:
    """The learning-curve slope measured by exact GP regression on ``S^{dim-1}`` with a target drawn from the
    kernel's own prior (the matched target the predicted slope assumes;
    :func:`symrg.numerics.simulate.sphere_prior_trial`), and its 95% bootstrap interval over trials (the
    resampling of :func:`symrg.studies.scaling.scaling_study`)."""
    from .._parallel import Executor
    from ..numerics.simulate import sphere_prior_trial, trial_seeds
    from .scaling import _bootstrap_slope

    ex = executor or Executor()
    per = ex.map(sphere_prior_trial, trial_seeds(seed, trials), kernel, dim, ridge, list(ns), n_test)
    return _bootstrap_slope(list(ns), per, seed)


def sphere_row(activation: str, depth: int, dim: int, *, ridge: float = 0.01, lmax: int = 80, simulate: bool = False,
               ns=_SPHERE_NS, trials: int = 8, seed: int = 0, executor=None) -> dict:
    """One row on ``S^{dim-1}`` (module doc).  With ``simulate`` the row also holds the slope measured on the
    sphere (:func:`sphere_measured_slope`, over ``ns``), its interval and whether it holds the prediction."""
    from .scaling import ir_stop_exponent

    dim = check_int(dim, "dim", 3, 1000)
    ridge = check_ridge(ridge, "ridge", allow_zero=False)
    k = _kernel(activation, depth)
    s = singularity_order(activation, depth)
    row = {"data": f"sphere d={dim}", "activation": activation, "depth": int(depth),
           "singularity_order": None if s is None else str(s), "measured_slope": None, "measured_slope_ci": None}
    if simulate:
        ns = [check_int(n, "ns", 2, 20_000) for n in ns]
        row["measured_slope"], row["measured_slope_ci"] = sphere_measured_slope(
            k, dim, ridge, ns, trials=check_int(trials, "trials", 3, 10_000), seed=seed, executor=executor)
    if s is None:
        row.update(alpha=None, alpha_ci=None, alpha_funk_hecke=None, predicted_slope=None,
                   ir_stop_exponent=None, **{"class": "analytic"})
        return row
    alpha = 2 * float(s) / (dim - 1)
    gamma = ir_stop_exponent(1.0, alpha, ridge, list(ns))
    row.update(alpha=alpha, alpha_ci=[alpha, alpha], alpha_funk_hecke=_funk_hecke_alpha(k, dim, lmax),
               predicted_slope=-alpha * gamma, ir_stop_exponent=gamma, **{"class": f"s={s}"})
    if simulate:
        lo, hi = row["measured_slope_ci"]
        row["consistent"] = bool(lo <= row["predicted_slope"] <= hi)
    return row


def data_row(data, activation: str, depth: int, *, ridge: float = 0.01, pool: int = 1000,
             ns=(25, 50, 100, 200, 400), trials: int = 4, seed: int = 0, executor=None) -> dict:
    """One row on a data set: ``alpha`` (interval), predicted and measured slopes, the IR-stop exponent from
    :func:`symrg.studies.scaling.scaling_study`; the class is the sphere class of this kernel."""
    from .scaling import scaling_study

    k = _kernel(activation, depth)
    r = scaling_study(data, k, ridge, list(ns), pool, trials=trials, seed=seed, executor=executor)
    s = singularity_order(activation, depth)
    return {"data": str(data), "activation": activation, "depth": int(depth),
            "singularity_order": None if s is None else str(s), "alpha": r["alpha"], "alpha_ci": r["alpha_ci"],
            "predicted_slope": r["predicted_slope"], "measured_slope": r["measured_slope"],
            "measured_slope_ci": r["measured_slope_ci"], "ir_stop_exponent": r["gamma"],
            "class": "analytic" if s is None else f"s={s}"}


def classes_kept_on_data(rows: list) -> dict:
    """Rule: the data keep the sphere's classes when (i) the alpha intervals of the rows that share a sphere
    class with the same activation (ReLU at every depth) overlap pairwise, and (ii) rows whose sphere class
    differs in ``s`` are ordered like ``s`` (alpha of step at the largest depth below that at depth 1, the
    intervals not overlapping).  Returns ``{"same_class_overlap": bool|None, "order_kept": bool|None}``."""
    by = {(r["activation"], r["depth"]): r for r in rows if r.get("alpha_ci")}
    same, order = None, None
    relu = sorted(d for a, d in by if a == "relu")
    if len(relu) >= 2:
        cis = [by[("relu", d)]["alpha_ci"] for d in relu]
        same = all(a[0] <= b[1] and b[0] <= a[1] for i, a in enumerate(cis) for b in cis[i + 1:])
    step = sorted(d for a, d in by if a == "step")
    if len(step) >= 2:
        lo, hi = by[("step", step[0])], by[("step", step[-1])]
        order = hi["alpha_ci"][1] < lo["alpha_ci"][0]
    return {"same_class_overlap": same, "order_kept": order}


_DATA_NS = (25, 50, 100, 200, 400)


def universality_table(data, activations=UNIVERSALITY_ACTIVATIONS, depths=(1, 2, 3), *, dim: int = 5,
                       ridge: float = 0.01, pool: int = 1000, ns=None, trials: int = 4, seed: int = 0,
                       simulate: bool = False, executor=None, progress=None) -> dict:
    """Rows for every activation and depth on ``data`` (``"sphere"`` or a data set name/path).

    ``ns`` defaults to 100..1600 on the sphere and 25..400 on data; ``simulate`` (sphere only) adds the
    measured slope of exact GP regression with a prior-drawn target (:func:`sphere_measured_slope`, ``trials``
    trials)."""
    ns = tuple(ns) if ns else (_SPHERE_NS if data == "sphere" else _DATA_NS)
    for a in activations:
        _kernel(a, 1)
    for d in depths:
        check_int(d, "depths", 1, MAX_UNIVERSALITY_DEPTH)
    grid = [(a, int(d)) for a in activations for d in depths]
    rows, note = [], None
    if data == "fashion":
        from ..data import resolve_dataset
        try:
            resolve_dataset("fashion")
        except Exception:                        # noqa: BLE001  (any failure to find the files)
            return {"rows": [], "note": FASHION_NOTE}
    for i, (a, d) in enumerate(grid):
        if data == "sphere":
            rows.append(sphere_row(a, d, dim, ridge=ridge, simulate=simulate, ns=ns, trials=trials, seed=seed,
                                   executor=executor))
        else:
            rows.append(data_row(data, a, d, ridge=ridge, pool=pool, ns=ns, trials=trials, seed=seed,
                                 executor=executor))
        if progress:
            progress(i + 1, len(grid))
    return {"rows": rows, "note": note,
            "classes_kept": None if data == "sphere" else classes_kept_on_data(rows)}


def _fmt(x) -> str:
    return "null" if x is None else (f"{x:.4g}" if isinstance(x, float) and math.isfinite(x) else str(x))
