"""Numeric Gaussian ridge flows, the IR stop, learnability and learning-curve predictions.

Everything here works on a spectrum given as *shells*: distinct eigenvalues ``lam[s]``
(descending) with multiplicities ``mult[s]`` (floats: on S^783 they are astronomically large),
plus ``tail`` = the power ``sum lambda_k`` of modes not listed (e.g. degrees above ``lmax``),
which is always integrated out.  The mode cutoff ``kappa`` counts modes; a cutoff at the end
of shell ``s`` is ``kappa = sum_{s' <= s} mult[s']``.

Formulas (THEORY.md section 4; derived symbolically in :mod:`symrg.theory.gaussian`, lowered
to :mod:`symrg._generated.gaussian_flow`):

* renormalised ridge ``sigma_kappa^2 = sigma^2 + sum_{k > kappa} lambda_k``        (4.1)
* flow ``d sigma_kappa^2 / d kappa = -lambda_kappa``                                 (4.2)
* learnability ``L_k = eta lambda_k / (eta lambda_k + sigma_kappa^2)``              (2.2)
* IR stop: the leading run of modes with ``L_k >= T`` (rule "learnability"), or with
  ``eta lambda_k >= c sigma_kappa^2`` (rule "scale"); the two coincide for T = c/(1+c).
* RG test error (project convention, stated in derivations/): with ``s = sigma_*^2 / eta``,
  ``E = sum_{k<=kappa*} [(s/(lambda_k+s))^2 y_k^2 + L_k^2 (eps^2 + Y_>)/eta] + Y_>``
  where ``Y_> = sum_{k>kappa*} y_k^2`` (the unlearned target acts as noise on kept modes) and
  ``eps^2`` the label-noise variance (default: the ridge, the matched Bayesian case, where
  ``eps^2 + E Y_> = sigma_*^2``).
* eigenlearning (Canatar-Bordelon-Pehlevan 2021; Simon et al. 2021): ``kappa_eff`` solves
  ``sum_k lambda_k/(lambda_k + kappa_eff) + sigma^2/kappa_eff = n``, and
  ``E = n/(n - sum_k L_k^2) * (sum_k (1-L_k)^2 y_k^2 + eps^2) - eps^2`` (test MSE against the
  clean target), ``eps^2`` the label-noise variance (default: the ridge).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from .._validate import check_finite_array, check_positive, check_ridge, check_spectrum
from ..errors import ConvergenceError, ParameterError


# ---------------------------------------------------------------------------- shells --
@dataclass(frozen=True)
class Shells:
    """A spectrum as shells of equal eigenvalues (validated, sorted descending)."""

    lam: np.ndarray
    mult: np.ndarray
    tail: float = 0.0

    def __post_init__(self):
        lam = check_spectrum(self.lam, "eigenvalues")
        mult = check_finite_array(self.mult, "multiplicities", ndim=1)
        if lam.shape != mult.shape:
            raise ParameterError("multiplicities", f"shape {mult.shape}", f"shape {lam.shape} like eigenvalues")
        if np.any(mult < 0):
            raise ParameterError("multiplicities", "negative entries", "counts >= 0")
        with np.errstate(over="ignore"):
            if not np.all(np.isfinite(lam * mult)):
                raise ParameterError("multiplicities", "a shell power lambda*N that overflows",
                                     "finite lambda*N per shell (put unrepresentable shells in the tail)")
        tail = check_ridge(self.tail, "tail")
        order = np.argsort(-lam, kind="stable")
        object.__setattr__(self, "lam", lam[order])
        object.__setattr__(self, "mult", mult[order])
        object.__setattr__(self, "tail", tail)

    @classmethod
    def from_modes(cls, lam, tail: float = 0.0) -> "Shells":
        lam = check_spectrum(lam, "eigenvalues")
        return cls(lam, np.ones_like(lam), tail)

    @classmethod
    def from_spectrum(cls, spectrum) -> "Shells":
        """From a :class:`symrg.spectra.funk_hecke.Spectrum`; the power above lmax is the tail."""
        lam = np.asarray(spectrum.eigenvalues, dtype=float)
        mult = spectrum.multiplicities
        with np.errstate(over="ignore", invalid="ignore"):
            # shells whose eigenvalue is subnormal or whose multiplicity overflows a double cannot
            # be listed; their power (computed in log space) joins the tail, which is integrated out
            keep = (lam >= np.finfo(float).tiny) & np.isfinite(mult) & np.isfinite(lam * mult)
        listed = float(np.sum(spectrum.shell_power[keep]))
        tail = max(float(spectrum.k1) - listed, 0.0)
        return cls(lam[keep], mult[keep], tail)

    @property
    def cum_modes(self) -> np.ndarray:
        """Cutoffs at shell ends: ``kappa_s = sum_{s'<=s} mult[s']`` (index 0 = no mode kept)."""
        return np.concatenate([[0.0], np.cumsum(self.mult)])

    @property
    def power(self) -> np.ndarray:
        return self.lam * self.mult

    def total_power(self) -> float:
        return float(np.sum(self.power) + self.tail)


def _as_shells(spec) -> Shells:
    if isinstance(spec, Shells):
        return spec
    if hasattr(spec, "eigenvalues") and hasattr(spec, "log_multiplicities"):
        return Shells.from_spectrum(spec)
    return Shells.from_modes(spec)


def _generated():
    from .._generated import gaussian_flow

    return gaussian_flow


# ---------------------------------------------------------------------- the flow itself --
def renormalized_ridge(spectrum, ridge) -> np.ndarray:
    """``sigma_kappa^2`` at every shell end ``kappa_s`` (eq. 4.1), from the generated code.

    Returns an array of length ``n_shells + 1``: entry ``s`` keeps shells ``0..s-1``.
    """
    sh = _as_shells(spectrum)
    s2 = check_ridge(ridge)
    return np.asarray(_generated().sigma2_tail(s2 + sh.tail, sh.power), dtype=float)


def renormalized_ridge_at(spectrum, ridge, kappa) -> float:
    """``sigma_kappa^2`` for an integer mode cutoff ``kappa`` (may split a shell)."""
    sh = _as_shells(spectrum)
    kmax = float(sh.cum_modes[-1])
    try:
        kap = float(kappa)
    except (TypeError, ValueError):
        raise ParameterError("kappa", kappa, f"a number in [0, {kmax:g}]") from None
    if not (0 <= kap <= kmax) or math.isnan(kap):
        raise ParameterError("kappa", kappa, f"a cutoff in [0, {kmax:g}] (the number of available modes)")
    s2 = renormalized_ridge(sh, ridge)
    idx = int(np.searchsorted(sh.cum_modes, kap, side="right") - 1)
    if idx >= len(sh.lam):
        return float(s2[-1])
    partial = kap - sh.cum_modes[idx]
    return float(s2[idx] - partial * sh.lam[idx])


def flow_ode(spectrum, ridge, kappa_grid=None, rtol: float = 1e-11, atol: float = 1e-14):
    """Solve the continuous flow ``d sigma^2/d kappa = -lambda(kappa)`` (eq. 4.2) with SciPy.

    ``lambda(kappa)`` is the step function that equals ``lambda_k`` on ``(k-1, k]``, so the
    ODE integrated from the UV end ``kappa_max`` (where ``sigma^2 = ridge + tail``) down to
    any ``kappa`` reproduces the discrete sum; solved shell by shell (one smooth piece each).
    Returns ``(kappa_grid, sigma2)``.
    """
    sh = _as_shells(spectrum)
    s2 = check_ridge(ridge)
    ends = sh.cum_modes
    if kappa_grid is None:
        kappa_grid = ends
    kappa_grid = np.atleast_1d(np.asarray(kappa_grid, dtype=float))
    if kappa_grid.size == 0 or not np.all(np.isfinite(kappa_grid)):
        raise ParameterError("kappa_grid", kappa_grid.tolist(), "a non-empty list of finite cutoffs")
    if kappa_grid.min() < 0 or kappa_grid.max() > ends[-1]:
        raise ParameterError("kappa", f"[{kappa_grid.min():g}, {kappa_grid.max():g}]",
                             f"cutoffs within [0, {ends[-1]:g}]")
    out = np.empty_like(kappa_grid)
    value = s2 + sh.tail
    # integrate shell by shell from the UV; within a shell lambda is constant
    for s in range(len(sh.lam) - 1, -1, -1):
        a, b = ends[s], ends[s + 1]
        lam = sh.lam[s]
        sol = solve_ivp(lambda k, y, lam=lam: [-lam], (b, a), [value], rtol=rtol, atol=atol,
                        dense_output=True)
        if not sol.success:
            raise ConvergenceError(f"flow ODE failed on shell {s}: {sol.message}")
        mask = (kappa_grid >= a) & (kappa_grid <= b)
        if mask.any():
            out[mask] = sol.sol(kappa_grid[mask])[0]
        value = float(sol.y[0, -1])
    return kappa_grid, out


def flow_ode_powerlaw(A, alpha, ridge, kappa_grid, kappa_uv: float = 1e7):
    """Continuous power-law flow ``d sigma^2/d kappa = -A kappa^-(1+alpha)`` solved numerically
    from ``kappa_uv`` (initial value from the generated asymptotic tail) down to each kappa."""
    A = check_positive(A, "A")
    alpha = check_positive(alpha, "alpha")
    s2 = check_ridge(ridge)
    g = _generated()
    kappa_uv = check_positive(kappa_uv, "kappa_uv")
    kappa_grid = np.atleast_1d(np.asarray(kappa_grid, dtype=float))
    if kappa_grid.size == 0 or not np.all((kappa_grid > 0) & (kappa_grid <= kappa_uv)):
        raise ParameterError("kappa_grid", kappa_grid.tolist(), f"cutoffs in (0, kappa_uv={kappa_uv:g}]")
    y0 = s2 + A * kappa_uv ** (-alpha) / alpha
    sol = solve_ivp(lambda k, y: [g.flow_powerlaw(A, alpha, k)], (kappa_uv, float(kappa_grid.min())), [y0],
                    method="LSODA", rtol=1e-12, atol=1e-15, dense_output=True)
    if not sol.success:
        raise ConvergenceError(f"power-law flow ODE failed: {sol.message}")
    return sol.sol(kappa_grid)[0]


# ------------------------------------------------------------------ learnability & IR --
def learnability(lam, sigma2, eta) -> np.ndarray:
    """``L_k = eta lambda_k / (eta lambda_k + sigma^2)`` (equivalent-kernel action, eq. 2.2)."""
    eta = check_positive(eta, "eta")
    lam = np.asarray(lam, dtype=float)
    num = eta * lam
    den = num + np.asarray(sigma2, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # a zero mode with zero running ridge carries nothing to learn: L = 0, not 0/0
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


@dataclass(frozen=True)
class IRStop:
    """Where the flow stops: ``n_shells_kept`` shells (``kappa`` modes) are learnable."""

    rule: str
    eta: float
    n_shells_kept: int
    kappa: float
    sigma2: float
    learnability: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        return {"rule": self.rule, "eta": self.eta, "kappa": self.kappa, "sigma2": self.sigma2,
                "n_shells_kept": self.n_shells_kept}


def ir_stop(spectrum, ridge, eta, rule: str = "learnability", threshold: float = 0.5,
            scale: float = 1.0) -> IRStop:
    """Run the flow from the UV down to the learnable modes.

    ``rule="learnability"``: keep shell ``s`` if ``L_s = eta lam_s/(eta lam_s + sigma_s^2) >= T``
    with ``sigma_s^2`` the running ridge once every shell below ``s`` is integrated out.
    ``rule="scale"``: keep it if ``eta lam_s >= c sigma_s^2``.  (Identical for T = c/(1+c).)
    """
    sh = _as_shells(spectrum)
    eta = check_positive(eta, "eta")
    s2 = renormalized_ridge(sh, ridge)  # s2[s]: shells 0..s-1 kept
    run = s2[1:]  # running ridge seen by shell s when shells > s are integrated out
    if rule == "learnability":
        if not 0 < threshold < 1:
            raise ParameterError("threshold", threshold, "a learnability threshold in (0, 1)")
        keep = learnability(sh.lam, run, eta) >= threshold
    elif rule == "scale":
        keep = eta * sh.lam >= check_positive(scale, "scale") * run
    else:
        raise ParameterError("rule", rule, "'learnability' or 'scale'")
    # kept modes are the leading run of learnable shells: kappa* is the first shell, counted from
    # the IR, that is unlearnable under the ridge renormalised by everything above it.  (Taking
    # the *last* learnable shell instead would stop the flow at the UV end whenever the bare ridge
    # is tiny, since nothing has been integrated out there yet; that is not a Wilsonian stop.)
    n_kept = int(np.argmin(keep)) if not keep.all() else len(keep)
    sigma2 = float(s2[n_kept])
    return IRStop(rule, eta, n_kept, float(sh.cum_modes[n_kept]), sigma2,
                  learnability(sh.lam, sigma2, eta))


def classify_modes(spectrum, ridge, eta, **kw) -> np.ndarray:
    """Boolean per shell: True if learnable at the IR stop."""
    stop = ir_stop(spectrum, ridge, eta, **kw)
    sh = _as_shells(spectrum)
    out = np.zeros(len(sh.lam), dtype=bool)
    out[: stop.n_shells_kept] = True
    return out


# ------------------------------------------------------------------------ predictions --
def _target_power(sh: Shells, target_power):
    """Target power per shell (``sum_{k in s} y_k^2``); defaults to matched ``E y_k^2 = lambda_k``."""
    if target_power is None:
        return sh.power.copy(), sh.tail
    tp = check_finite_array(target_power, "target_power", ndim=1)
    if tp.shape != sh.lam.shape or np.any(tp < 0):
        raise ParameterError("target_power", f"shape {tp.shape}", f"{sh.lam.shape[0]} non-negative entries")
    return tp, 0.0


@dataclass(frozen=True)
class Prediction:
    """A test-error prediction and the per-shell learned fraction."""

    theory: str
    n: float
    test_error: float
    effective_ridge: float
    learned_fraction: np.ndarray = field(repr=False)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"theory": self.theory, "n": self.n, "test_error": self.test_error,
                "effective_ridge": self.effective_ridge, **self.extra}


def rg_prediction(spectrum, ridge, n, target_power=None, noise=None, **stop_kw) -> Prediction:
    """Test error after the Wilsonian flow (module doc): kept modes learned with the
    renormalised ridge, greater modes not learned.  ``fbar_k = L_k y_k`` per mode.
    ``noise`` is the label-noise variance (default: ``ridge``)."""
    sh = _as_shells(spectrum)
    ridge = check_ridge(ridge)
    eps2 = ridge if noise is None else check_ridge(noise, "noise")
    stop = ir_stop(sh, ridge, n, **stop_kw)
    tp, tp_tail = _target_power(sh, target_power)
    kept = np.arange(len(sh.lam)) < stop.n_shells_kept
    L = np.where(kept, stop.learnability, 0.0)
    Y_gt = float(np.sum(tp[~kept]) + tp_tail)
    sig = stop.sigma2
    bias = float(np.sum(((1 - L) ** 2 * tp)[kept]))
    var = float(np.sum((L ** 2 * sh.mult)[kept]) * (eps2 + Y_gt) / n)
    return Prediction("rg", float(n), bias + var + Y_gt, sig / n, L,
                      {"kappa_star": stop.kappa, "sigma2_star": sig, "bias": bias + Y_gt, "variance": var})


def eigenlearning_ridge(spectrum, ridge, n) -> float:
    """Self-consistent effective ridge: ``sum_k lam_k/(lam_k+kappa) + sigma^2/kappa = n``."""
    sh = _as_shells(spectrum)
    s2 = check_ridge(ridge)
    n = check_positive(n, "n")

    def g(logk):
        kap = math.exp(logk)
        return float(np.sum(sh.mult * sh.lam / (sh.lam + kap)) + (sh.tail + s2) / kap - n)

    lo, hi = math.log(1e-300), math.log(max(sh.total_power() + s2, 1e-300) * 10 / n + 1e-300)
    if g(hi) > 0:
        hi = math.log(1e300)
    if g(lo) < 0:
        # fewer modes than n and no ridge: the interpolating limit kappa -> 0
        return 0.0
    return math.exp(brentq(g, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500))


def eigenlearning_prediction(spectrum, ridge, n, target_power=None, noise=None) -> Prediction:
    """Eigenlearning test error (module doc); ``noise`` = label-noise variance (default ridge)."""
    sh = _as_shells(spectrum)
    s2 = check_ridge(ridge)
    eps2 = s2 if noise is None else check_ridge(noise, "noise")
    kap = eigenlearning_ridge(sh, s2, n)
    tp, tp_tail = _target_power(sh, target_power)
    L = sh.lam / (sh.lam + kap) if kap > 0 else np.ones_like(sh.lam)
    denom = n - float(np.sum(sh.mult * L ** 2))
    if denom <= 0:
        raise ConvergenceError(f"eigenlearning overfitting factor diverges (n - sum L^2 = {denom:.3g})")
    e0 = n / denom
    err = e0 * (float(np.sum((1 - L) ** 2 * tp)) + tp_tail + eps2) - eps2
    return Prediction("eigenlearning", float(n), err, kap, L, {"overfitting_factor": e0})


def learning_curve(spectrum, ridge, ns, target_power=None, noise=None, **stop_kw) -> list[dict]:
    """Both theories on a grid of data-set sizes (``eta = n``)."""
    out = []
    for n in ns:
        rg = rg_prediction(spectrum, ridge, n, target_power, noise, **stop_kw)
        el = eigenlearning_prediction(spectrum, ridge, n, target_power, noise)
        out.append({"n": float(n), "theory_rg": rg.test_error, "theory_eigenlearning": el.test_error,
                    "kappa_star": rg.extra["kappa_star"], "sigma2_star": rg.extra["sigma2_star"],
                    "kappa_eff": el.effective_ridge})
    return out


def fit_exponent(x, y) -> tuple[float, float]:
    """Least-squares slope of ``log y`` against ``log x``, with its standard error."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    for name, v in (("x", x), ("y", y)):
        if not np.all(np.isfinite(v) & (v > 0)):
            raise ParameterError(name, v.tolist(), "finite positive values (a log-log fit)")
    x, y = np.log(x), np.log(y)
    if x.size < 3:
        raise ParameterError("points", x.size, "at least 3 points to fit an exponent")
    A = np.vstack([x, np.ones_like(x)]).T
    coef, res, *_ = np.linalg.lstsq(A, y, rcond=None)
    dof = max(x.size - 2, 1)
    sigma2 = float(np.sum((y - A @ coef) ** 2)) / dof
    cov = sigma2 * np.linalg.inv(A.T @ A)
    return float(coef[0]), float(math.sqrt(cov[0, 0]))


def powerlaw_exponent_check(alpha: float, ridge: float = 1e-3, A: float = 1.0, n_modes: int = 200_000,
                            ns=None) -> dict:
    """Fit the RG and eigenlearning learning curves of a matched power law ``lambda_k = A k^-(1+alpha)``
    and compare the slopes with ``-alpha/(1+alpha)`` (THEORY.md section 4, fixed sigma^2)."""
    alpha = check_positive(alpha, "alpha")
    k = np.arange(1, n_modes + 1, dtype=float)
    lam = A * k ** (-(1 + alpha))
    g = _generated()
    tail = float(g.sigma2_powerlaw(0.0, A, alpha, float(n_modes)))
    sh = Shells(lam, np.ones_like(lam), tail)
    ns = np.unique(np.round(np.logspace(2, 3.5, 8))) if ns is None else np.asarray(ns, dtype=float)
    curve = learning_curve(sh, ridge, ns)
    rg_slope, rg_se = fit_exponent(ns, [c["theory_rg"] for c in curve])
    el_slope, el_se = fit_exponent(ns, [c["theory_eigenlearning"] for c in curve])
    return {"alpha": alpha, "expected": -alpha / (1 + alpha), "rg_slope": rg_slope, "rg_slope_se": rg_se,
            "eigenlearning_slope": el_slope, "eigenlearning_slope_se": el_se, "ns": ns.tolist()}
