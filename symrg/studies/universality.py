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
the Funk-Hecke eigenvalues (:func:`symrg.spectra.funk_hecke.sphere_spectrum`), as local exponents from
neighbouring degrees and their Richardson extrapolation to ``1/l -> 0`` with an error
(:func:`sphere_exponents`, docs/theory.md section 6x *Local exponents*), on a window ``fit_degrees`` of
eigenvalues resolved by their own error estimate (no cutoff).

The learning-curve exponent predicted for a target matched to the kernel (``beta = alpha``) is
``-alpha gamma`` with ``gamma`` the IR-stop exponent ``d log kappa*/d log n`` of the RG stop on the power law
``A k^{-(1+alpha)}`` (:func:`symrg.studies.scaling.ir_stop_exponent`; ``-alpha/(1+alpha)`` when the bare ridge
dominates), the amplitude ``A`` fitted where the stop sits (:func:`sphere_amplitude`).  Beside it, the slope of
eigenlearning on the actual spectrum (:func:`sphere_eigenlearning_slope`).

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
from ..errors import ConvergenceError, ParameterError

__all__ = ["singularity_order", "correction_exponents", "local_exponent", "richardson", "sphere_exponents",
           "resolved_sphere_spectrum", "sphere_amplitude", "sphere_eigenlearning_slope", "sphere_row", "data_row",
           "universality_table", "classes_kept_on_data", "UNIVERSALITY_ACTIVATIONS", "MAX_UNIVERSALITY_DEPTH",
           "SPHERE_LMAX"]

UNIVERSALITY_ACTIVATIONS = ("relu", "erf", "step")
MAX_UNIVERSALITY_DEPTH = 8        # the step kernel's expansion needs 2^(L+1) terms per layer
_SPHERE_NS = (100, 200, 400, 800, 1600)
SPHERE_LMAX = 640
"""Default top degree on the sphere: local exponents at 638, 318, 158, 78 (ReLU at d = 5: the Richardson value
is within 1e-4 of 2s/(d-1); step L = 3: within 0.001)."""
RICHARDSON_NODES = 4
MIN_NODES = 3
ALPHA_RTOL = 1e-8
"""Relative error an eigenvalue must have (by its own estimate) to enter a local exponent."""
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


def correction_exponents(activation: str, depth: int, count: int = 6) -> list[Fraction]:
    """Exponents ``theta`` of the corrections to the local exponent, ``alpha(l) = alpha + sum c_theta l^-theta``
    (docs/theory.md section 6x, *Local exponents*): the sums of ``1`` (the ``1/l`` expansion of the closed-form
    transform ``Gamma(l-g)/Gamma(g+l+d-1)`` and of the finite difference) and ``2 (g - s)`` for every singular
    exponent ``g > s`` of the kernel's expansions at ``t = +-1`` (a term ``(1 -+ t)^g`` adds ``l^{-2(g-s)}``
    relative to the leading one; within one parity the ``(-1)^l`` of the ``t = -1`` side is a constant).  The
    first ``count``, ascending; read off :func:`symrg.spectra.kernels.singular_expansion`, nothing typed in."""
    from ..spectra.kernels import singular_denominator, singular_expansion

    s = singularity_order(activation, depth)
    if s is None:
        return []
    k = _kernel(activation, depth)
    p0 = singular_denominator(k)
    base = {Fraction(1)}
    for _side, p, e in singular_expansion(k, max(64, 4 * p0 + 8)):
        scale = max(1.0, float(np.max(np.abs(e[:p + 1]))))
        for m in range(1, len(e)):
            if m % p and abs(e[m]) > 1e-8 * scale and Fraction(m, p) > s:
                base.add(2 * (Fraction(m, p) - s))
    out = set(base)
    cap = Fraction(count + 1)
    while True:
        more = {a + b for a in out for b in base if a + b <= cap} - out
        if not more:
            break
        out |= more
    return sorted(out)[:count]


def local_exponent(lam, dim: int, l: int) -> float:
    """``alpha(l)`` from the neighbouring degrees ``l, l + 2`` of one parity: the per-degree exponent
    ``p = -log(lambda_{l+2}/lambda_l)/log((l+2)/l)`` as a per-mode one, ``p/(d-1) - 1``."""
    p = -(math.log(lam[l + 2]) - math.log(lam[l])) / (math.log(l + 2) - math.log(l))
    return p / (dim - 1) - 1.0


def richardson(ls, values, thetas) -> tuple[list, np.ndarray]:
    """Richardson extrapolation of ``values[i] = alpha(l_i)`` (``l_0`` the largest degree) to ``1/l -> 0`` with
    the correction exponents ``thetas`` (in ``h = 1/(l+1)``, the pair's midpoint): level ``K`` solves
    ``alpha(l_i) = A + sum_{k<K} c_k h_i^theta_k`` on the ``K+1`` largest degrees.  Returns the levels ``A_0..``
    and the weights of the last level on ``values`` (its sensitivity to errors in them)."""
    h = 1.0 / (np.asarray(ls, dtype=float) + 1.0)
    v = np.asarray(values, dtype=float)
    levels, w = [float(v[0])], np.array([1.0])
    for K in range(1, len(ls)):
        M = np.column_stack([np.ones(K + 1)] + [h[:K + 1] ** float(t) for t in thetas[:K]])
        w = np.linalg.solve(M.T, np.eye(K + 1)[0])            # A = w . v
        levels.append(float(w @ v[:K + 1]))
    return levels, w


def _nodes(top: int, floor: int) -> list[int]:
    """Degrees ``top, ~top/2, ~top/4, ...`` of ``top``'s parity, at least ``floor``, at most RICHARDSON_NODES."""
    out, l = [], top
    while l >= floor and len(out) < RICHARDSON_NODES:
        out.append(l)
        l = l // 2
        l -= (l - top) % 2
    return out


def sphere_exponents(spec, activation: str, depth: int) -> dict:
    """The spectral exponent read off the Funk-Hecke eigenvalues of one parity (docs/theory.md section 6x,
    *Local exponents*): local exponents ``alpha(l)`` at degrees ``l_top, l_top/2, l_top/4, l_top/8`` (pairs
    ``l, l+2``), their Richardson extrapolation (:func:`richardson`, exponents :func:`correction_exponents`)
    with the difference of the last two levels plus the eigenvalues' own error (propagated through the
    Richardson weights) as its error, and the least-squares slope on ``[l_top/4, l_top+2]``
    (``alpha_funk_hecke``, the former route).

    No silent cutoff: a degree enters only when its eigenvalue is positive and resolved to ``ALPHA_RTOL`` by its
    own error estimate; the window ``fit_degrees`` is the contiguous run of such degrees of the chosen parity
    from the lowest node up.  When the eigenvalues at the top are not resolved the window ends lower and
    ``fit_degrees_note`` says so; fewer than MIN_NODES nodes raise :class:`ConvergenceError`.  The parity is
    the one with the widest window (then the larger eigenvalue at its top: the slower decay); a parity whose
    eigenvalues vanish by symmetry (ReLU L = 1 odd, step L = 1 even) is not used.  Analytic kernels (erf) get
    the local exponents only, with ``degree_exponent_ratio`` ``p(l_top)/p(l_top/2)`` (-> 1 for a power law,
    -> 2 for ``lambda_l ~ rho^l``)."""
    lam = np.asarray(spec.eigenvalues, dtype=float)
    err = np.asarray(spec.errors if spec.errors is not None else np.full(lam.shape, np.inf), dtype=float)
    d, lmax = int(spec.dim), len(lam) - 1
    floor = max(4, lmax // 2 ** RICHARDSON_NODES)
    usable = (lam > 0) & (err <= ALPHA_RTOL * np.abs(lam))
    best = None
    for parity in (0, 1):
        top = lmax - 2 - ((lmax - 2 - parity) % 2)
        while top >= floor:
            nodes = _nodes(top, floor)
            if len(nodes) >= MIN_NODES and usable[nodes[-1]:top + 3:2].all():
                key = (top, lam[top])
                if best is None or key > best[0]:
                    best = (key, parity, nodes)
                break
            top -= 2
    if best is None:
        unres = [int(l) for l in np.flatnonzero((lam > 0) & ~usable)[:5]]
        raise ConvergenceError(
            f"Funk-Hecke exponent of the {spec.kernel} on S^{d - 1}: no parity has {MIN_NODES} local exponents "
            f"on resolved degrees in [{floor}, {lmax}] (degrees not resolved to {ALPHA_RTOL:g}: {unres or 'none'}; "
            f"zero eigenvalues by symmetry are never used); choose another --lmax")
    _, parity, nodes = best
    top = nodes[0]
    lo, hi = nodes[-1], top + 2
    sel = np.arange(lo + (parity - lo) % 2, hi + 1, 2)
    rel = float(np.max(err[sel] / lam[sel]))
    out = {"fit_degrees": [int(lo), int(hi)], "fit_parity": "even" if parity == 0 else "odd",
           "eigenvalue_rel_error": rel, "spectrum_path": spec.precision,
           "fit_degrees_note": None if hi >= lmax - 1 else
           (f"eigenvalues above degree {hi} not resolved to {ALPHA_RTOL:g}: window ends at {hi} (lmax {lmax})")}
    loc = [local_exponent(lam, d, l) for l in nodes]
    out["alpha_local"] = [[int(l), a] for l, a in zip(nodes, loc)]
    s = singularity_order(activation, depth)
    if s is None:
        p = [(a + 1.0) * (d - 1) for a in loc]
        out.update(alpha_richardson=None, alpha_richardson_err=None, alpha_richardson_levels=None,
                   richardson_exponents=None, alpha_funk_hecke=None, degree_exponent_ratio=p[0] / p[1])
        return out
    thetas = correction_exponents(activation, depth)
    levels, w = richardson(nodes, loc, thetas)
    # an eigenvalue error rel moves alpha(l) by at most 2 rel / (log((l+2)/l) (d-1))
    d_loc = np.array([2 * rel / (math.log((l + 2) / l) * (d - 1)) for l in nodes])
    out.update(alpha_richardson=levels[-1],
               alpha_richardson_err=abs(levels[-1] - levels[-2]) + float(np.abs(w) @ d_loc),
               alpha_richardson_levels=levels, richardson_exponents=[str(t) for t in thetas[:len(nodes) - 1]])
    fs = sel[sel >= hi // 4]
    slope = float(np.polyfit(np.log(fs), np.log(lam[fs]), 1)[0])
    out["alpha_funk_hecke"] = -slope / (d - 1) - 1.0
    return out


def resolved_sphere_spectrum(kernel, dim: int, lmax: int):
    """The Funk-Hecke spectrum to ``lmax`` for :func:`sphere_exponents`: the float64 path with its per-degree
    error estimate; when a positive eigenvalue of the top window (degrees ``>= lmax/2^RICHARDSON_NODES``) misses
    ``ALPHA_RTOL`` the mpmath path is used if it is estimated within ``AUTO_MP_SECONDS_LIMIT`` (else
    :func:`sphere_exponents` narrows the window visibly or refuses)."""
    from ..spectra.cost import AUTO_MP_SECONDS_LIMIT
    from ..spectra.funk_hecke import sphere_spectrum
    from ..spectra.mp_quadrature import mp_seconds, plan_dps

    try:
        spec = sphere_spectrum(kernel, dim, lmax)
    except ConvergenceError as exc:
        raise ConvergenceError(f"{exc}; in symrg universality: lower --lmax") from None
    lam, err = spec.eigenvalues, spec.errors
    win = np.arange(len(lam)) >= max(4, lmax // 2 ** RICHARDSON_NODES)
    if spec.precision == "fast" and np.any(win & (lam > 0) & (err > ALPHA_RTOL * np.abs(lam))):
        low = lam - err
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = np.where(low > 0, np.log10(np.where(low > 0, low, 1.0)), -np.inf)
        dps = plan_dps(kernel, dim, lmax, 30, lower)
        if mp_seconds(kernel, dim, lmax, dps) <= AUTO_MP_SECONDS_LIMIT:
            spec = sphere_spectrum(kernel, dim, lmax, precision="mp")
    return spec


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


def sphere_amplitude(spec, alpha: float, ridge: float, ns) -> tuple[float, list]:
    """The amplitude ``A`` of ``lambda_k = A k^{-(1+alpha)}`` at the asymptotic ``alpha``, fitted (mean of
    ``log(lambda_k k^{1+alpha})``) on the modes the budget-respecting stop crosses over ``ns``
    (:func:`symrg.studies.scaling.fit_window_default` on the sphere's shells): the power law the predicted slope
    stands for, matched where the flow stops (docs/theory.md section 6x).  Returns ``(A, [k_lo, k_hi])``."""
    from ..numerics.flows import Shells
    from .scaling import fit_window_default

    lo, hi = fit_window_default(Shells.from_spectrum(spec), ridge, ns)
    lam = spec.mode_eigenvalues(hi)[lo - 1:hi]
    k = np.arange(lo, hi + 1, dtype=float)
    return float(math.exp(np.mean(np.log(lam) + (1.0 + alpha) * np.log(k)))), [int(lo), int(hi)]


def sphere_eigenlearning_slope(spec, ridge: float, ns) -> float:
    """Slope of ``log E`` against ``log n`` over ``ns`` of eigenlearning on the actual Funk-Hecke spectrum
    (:func:`symrg.numerics.predictions.eigenlearning_prediction`; matched target ``E y_k^2 = lambda_k``, label
    noise = ridge, error against the clean target: the quantity the simulation measures), the same log-log fit
    as the measured slope."""
    from ..numerics.flows import Shells
    from ..numerics.predictions import eigenlearning_prediction

    sh = Shells.from_spectrum(spec)
    E = [eigenlearning_prediction(sh, ridge, n).test_error for n in ns]
    return float(np.polyfit(np.log(np.asarray(ns, float)), np.log(E), 1)[0])


def _distinct_ns(ns, lo: int, hi: int) -> list[int]:
    given = list(ns)
    ns = sorted({check_int(n, "ns", lo, hi) for n in given})
    if len(ns) < 3:
        raise ParameterError("ns", ",".join(map(str, given)), "at least 3 distinct training-set sizes (the IR-stop "
                             "exponent and the slopes are log-log fits over them)")
    return ns


def sphere_row(activation: str, depth: int, dim: int, *, ridge: float = 0.01, lmax: int = SPHERE_LMAX,
               simulate: bool = False, ns=_SPHERE_NS, trials: int = 8, seed: int = 0, executor=None) -> dict:
    """One row on ``S^{dim-1}`` (module doc).  ``alpha`` is the exact ``2s/(d-1)``; the Funk-Hecke eigenvalues
    to ``lmax`` give the local exponents and their Richardson value with its error (:func:`sphere_exponents`,
    window ``fit_degrees``), the amplitude ``A`` on the modes the stop crosses (:func:`sphere_amplitude`), the
    power-law slope ``-alpha gamma(A, alpha)`` and the eigenlearning slope on the actual spectrum
    (:func:`sphere_eigenlearning_slope`).  With ``simulate`` the row also holds the slope measured on the
    sphere (:func:`sphere_measured_slope`, over ``ns``), its interval and whether it holds the prediction."""
    from .scaling import ir_stop_exponent

    dim = check_int(dim, "dim", 3, 1000)
    lmax = check_int(lmax, "lmax", 32, 5000)
    ridge = check_ridge(ridge, "ridge", allow_zero=False)
    ns = _distinct_ns(ns, 2, 20_000)
    k = _kernel(activation, depth)
    s = singularity_order(activation, depth)
    row = {"data": f"sphere d={dim}", "activation": activation, "depth": int(depth),
           "singularity_order": None if s is None else str(s), "measured_slope": None, "measured_slope_ci": None}
    if simulate:
        row["measured_slope"], row["measured_slope_ci"] = sphere_measured_slope(
            k, dim, ridge, ns, trials=check_int(trials, "trials", 3, 10_000), seed=seed, executor=executor)
    spec = resolved_sphere_spectrum(k, dim, lmax)
    row.update(sphere_exponents(spec, activation, depth))
    row["eigenlearning_slope"] = sphere_eigenlearning_slope(spec, ridge, ns)
    if s is None:
        row.update(alpha=None, alpha_ci=None, predicted_slope=None, ir_stop_exponent=None, amplitude=None,
                   amplitude_modes=None, **{"class": "analytic"})
        return row
    alpha = 2 * float(s) / (dim - 1)
    A, modes = sphere_amplitude(spec, alpha, ridge, ns)
    gamma = ir_stop_exponent(A, alpha, ridge, ns)
    row.update(alpha=alpha, alpha_ci=[alpha, alpha], amplitude=A, amplitude_modes=modes,
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
                       simulate: bool = False, lmax: int = SPHERE_LMAX, executor=None, progress=None) -> dict:
    """Rows for every activation and depth on ``data`` (``"sphere"`` or a data set name/path).

    ``ns`` defaults to 100..1600 on the sphere and 25..400 on data; ``simulate`` (sphere only) adds the
    measured slope of exact GP regression with a prior-drawn target (:func:`sphere_measured_slope`, ``trials``
    trials); ``lmax`` (sphere only) is the top Funk-Hecke degree of the exponents.  Fewer than 3 distinct
    ``ns`` are refused."""
    ns = tuple(ns) if ns else (_SPHERE_NS if data == "sphere" else _DATA_NS)
    _distinct_ns(ns, 1 if data != "sphere" else 2, None if data != "sphere" else 20_000)
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
            rows.append(sphere_row(a, d, dim, ridge=ridge, lmax=lmax, simulate=simulate, ns=ns, trials=trials,
                                   seed=seed, executor=executor))
        else:
            rows.append(data_row(data, a, d, ridge=ridge, pool=pool, ns=ns, trials=trials, seed=seed,
                                 executor=executor))
        if progress:
            progress(i + 1, len(grid))
    return {"rows": rows, "note": note,
            "classes_kept": None if data == "sphere" else classes_kept_on_data(rows)}


def _fmt(x) -> str:
    return "null" if x is None else (f"{x:.4g}" if isinstance(x, float) and math.isfinite(x) else str(x))
