"""Numeric Gaussian ridge flows and the IR stop (docs/theory.md sections 4 and 4a).

Everything here works on a spectrum given as *shells*: distinct eigenvalues ``lam[s]``
(descending) with multiplicities ``mult[s]`` (floats: on S^783 they are astronomically large),
plus ``tail`` = the power ``sum lambda_k`` of modes not listed (e.g. degrees above ``lmax``, or
the modes below the top ``kappa`` of a large pool), which is always integrated out.  The mode
cutoff ``kappa`` counts modes; a cutoff at the end of shell ``s`` is ``kappa = sum_{s' <= s} mult[s']``.

Formulas (derived symbolically in :mod:`symrg.theory.gaussian`, lowered to
:mod:`symrg._generated.gaussian_flow`):

* renormalised ridge ``sigma_kappa^2 = sigma^2 + sum_{k > kappa} lambda_k``      (docs/theory.md 4)
* flow ``d sigma_kappa^2 / d kappa = -lambda_kappa``                               (4)
* learnability ``L_k = eta lambda_k / (eta lambda_k + sigma_kappa^2)``            (2.2)
* the paper's IR stop: the leading run of modes with ``L_k >= T`` (rule "learnability"), or with
  ``eta lambda_k >= c sigma_kappa^2`` (rule "scale"); the two coincide for T = c/(1+c);
* the budget-respecting stop: the same, moved towards the UV until
  ``sum_{k <= kappa*} L_k <= eta`` (4a).

The self-consistent closure is in :mod:`symrg.numerics.selfconsistent`, the test-error
predictions in :mod:`symrg.numerics.predictions`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from .._validate import check_finite_array, check_positive, check_ridge, check_spectrum, real_array
from ..errors import ConvergenceError, ParameterError


# ---------------------------------------------------------------------------- shells --
@dataclass(frozen=True)
class Shells:
    """A spectrum as shells of equal eigenvalues (validated, sorted descending).

    ``tail`` is the power of the unlisted modes.  ``tail_powerlaw = (A, alpha, M)``, when given, says what
    those modes are: ``lambda_k = A k^-(1+alpha)`` for every ``k > M`` (then ``tail = A zeta(1+alpha, M+1)``;
    :meth:`powerlaw` builds both), so that quantities beyond the tail's power, such as the tail's
    learnabilities (:func:`symrg.numerics.selfconsistent.tail_learned_modes`), are computed exactly.
    """

    lam: np.ndarray
    mult: np.ndarray
    tail: float = 0.0
    tail_powerlaw: tuple | None = None

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
        if self.tail_powerlaw is not None:
            try:
                A, alpha, M = self.tail_powerlaw
            except (TypeError, ValueError):
                raise ParameterError("tail_powerlaw", self.tail_powerlaw, "None or a tuple (A, alpha, M)") from None
            A, alpha = check_positive(A, "tail_powerlaw A"), check_positive(alpha, "tail_powerlaw alpha")
            if isinstance(M, bool) or int(M) != M or M < 0:
                raise ParameterError("tail_powerlaw M", M, "the number of listed power-law modes, an integer >= 0")
            object.__setattr__(self, "tail_powerlaw", (float(A), float(alpha), int(M)))

    @classmethod
    def powerlaw(cls, A: float, alpha: float, modes: int) -> "Shells":
        """``lambda_k = A k^-(1+alpha)``: modes ``1..modes`` listed, the rest as a tail whose power
        ``A zeta(1+alpha, modes+1)`` comes from the generated Hurwitz sum (docs/theory.md section 4) and whose
        law is kept (``tail_powerlaw``)."""
        from .._generated import gaussian_flow as g

        A, alpha = check_positive(A, "A"), check_positive(alpha, "alpha")
        k = np.arange(1, int(modes) + 1, dtype=float)
        lam = A * k ** (-(1 + alpha))
        tail = float(g.sigma2_powerlaw(0.0, A, alpha, float(modes)))
        return cls(lam, np.ones_like(lam), tail, (A, alpha, int(modes)))

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

    def scaled(self, scale: float) -> "Shells":
        """The same spectrum with every eigenvalue, the tail and the power-law amplitude divided by
        ``scale`` (a power of two: exact).  Not validated again: this spectrum was validated when built,
        and division by a positive power of two keeps it finite, sorted and non-negative."""
        if not (scale > 0 and math.frexp(scale)[0] == 0.5):
            raise ParameterError("scale", scale, "a positive power of two")
        out = object.__new__(Shells)
        tp = self.tail_powerlaw
        for name, value in (("lam", self.lam / scale), ("mult", self.mult), ("tail", self.tail / scale),
                            ("tail_powerlaw", None if tp is None else (tp[0] / scale, tp[1], tp[2]))):
            object.__setattr__(out, name, value)
        return out

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
    kappa_grid = np.atleast_1d(real_array(kappa_grid, "kappa_grid"))
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
    """``L_k = eta lambda_k / (eta lambda_k + sigma^2)`` (equivalent-kernel action, docs/theory.md sec. 2.2)."""
    eta = check_positive(eta, "eta")
    lam = real_array(lam, "lam")
    num = eta * lam
    den = num + real_array(sigma2, "sigma2")
    with np.errstate(invalid="ignore", divide="ignore"):
        # a zero mode with zero running ridge carries nothing to learn: L = 0, not 0/0
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


@dataclass(frozen=True)
class IRStop:
    """Where the flow stops.

    ``kept_fraction[s]`` is the fraction of shell ``s`` kept (learnable): 1 for the leading shells,
    possibly a fraction for the shell the budget rule splits, 0 beyond; ``kappa`` is the number
    of kept modes (a real number when a degenerate shell is split), ``sigma2`` the running ridge
    there, ``learnability`` the ``L_s`` of every shell under it, ``budget`` whether the mode
    budget ``sum_{k<=kappa} L_k <= eta`` was imposed, ``learned_modes`` that sum.
    """

    rule: str
    eta: float
    n_shells_kept: int
    kappa: float
    sigma2: float
    learnability: np.ndarray = field(repr=False)
    kept_fraction: np.ndarray = field(repr=False, default=None)
    budget: bool = False
    learned_modes: float = float("nan")

    def to_dict(self) -> dict:
        return {"rule": self.rule, "eta": self.eta, "kappa": self.kappa, "sigma2": self.sigma2,
                "n_shells_kept": self.n_shells_kept, "budget": self.budget, "learned_modes": self.learned_modes}


def _leading_learnable(sh: Shells, s2: np.ndarray, eta: float, rule: str, threshold: float, scale: float) -> int:
    """Number of leading shells that are learnable under the running ridge (the paper's stop)."""
    run = s2[1:]  # running ridge seen by shell s when shells > s are integrated out
    if rule == "learnability":
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)) \
                or not 0 < threshold < 1:
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
    return int(np.argmin(keep)) if not keep.all() else len(keep)


def _learned_modes(sh: Shells, s2: np.ndarray, eta: float, shell: int, m: float) -> tuple[float, float]:
    """``(sum_{k <= kappa} L_k(sigma_kappa^2), sigma_kappa^2)`` for the cutoff that keeps shells
    ``< shell`` whole and ``m`` modes of ``shell``; the ridge is the one renormalised by
    everything above the cutoff, ``sigma_kappa^2 = s2[shell + 1] + (N_shell - m) lambda_shell``."""
    if shell >= len(sh.lam):
        sig = float(s2[-1])
        return float(np.sum(sh.mult * learnability(sh.lam, sig, eta))), sig
    sig = float(s2[shell + 1] + (sh.mult[shell] - m) * sh.lam[shell])
    L = learnability(sh.lam[: shell + 1], sig, eta)
    return float(np.sum(sh.mult[:shell] * L[:shell]) + m * L[shell]), sig


def ir_stop(spectrum, ridge, eta, rule: str = "learnability", threshold: float = 0.5,
            scale: float = 1.0, budget: bool = False) -> IRStop:
    """Run the flow from the UV down to the learnable modes (docs/theory.md sections 4 and 4a).

    The paper's sharp stop (``budget=False``): keep the leading shells with
    ``L_s = eta lam_s/(eta lam_s + sigma_s^2) >= T`` (``rule="learnability"``) or
    ``eta lam_s >= c sigma_s^2`` (``rule="scale"``; identical for T = c/(1+c)), where
    ``sigma_s^2`` is the running ridge once every shell below ``s`` is integrated out.

    The budget-respecting stop (``budget=True``): kernel regression with ``n`` samples learns at
    most ``n`` modes in all, ``sum_k L_k = n - sigma^2/kappa_eff <= n``, so the stop is moved
    towards the UV until ``sum_{k<=kappa} L_k(sigma_kappa^2) <= eta``.  The sum grows
    monotonically with ``kappa`` (more terms, each under a smaller ridge), so the rule keeps the
    largest cutoff below the paper's stop that satisfies it; a degenerate shell may be split
    (``kappa`` then counts a fraction of its modes: for a target whose power is spread evenly over
    the shell, as on the sphere, this is exact in expectation).
    """
    sh = _as_shells(spectrum)
    eta = check_positive(eta, "eta")
    s2 = renormalized_ridge(sh, ridge)  # s2[s]: shells 0..s-1 kept
    n_kept = _leading_learnable(sh, s2, eta, rule, threshold, scale)
    frac = np.zeros(len(sh.lam))
    frac[:n_kept] = 1.0
    kappa, sigma2 = float(sh.cum_modes[n_kept]), float(s2[n_kept])
    learned, _ = _learned_modes(sh, s2, eta, n_kept, 0.0)
    if budget and learned > eta:
        full = n_kept
        while full > 0 and _learned_modes(sh, s2, eta, full - 1, float(sh.mult[full - 1]))[0] > eta:
            full -= 1
        # shells < full fit whole; shell `full` is split at the m where the budget is met exactly
        f = lambda m: _learned_modes(sh, s2, eta, full, m)[0] - eta  # noqa: E731
        hi = float(sh.mult[full]) if full < len(sh.lam) else 0.0
        m = brentq(f, 0.0, hi, xtol=1e-12 * max(hi, 1.0), rtol=1e-14) if hi > 0 and f(0.0) < 0 < f(hi) else 0.0
        learned, sigma2 = _learned_modes(sh, s2, eta, full, m)
        frac[:] = 0.0
        frac[:full] = 1.0
        if full < len(sh.lam):
            frac[full] = m / sh.mult[full]
        n_kept, kappa = full, float(sh.cum_modes[full] + m)
    return IRStop(rule, eta, n_kept, kappa, sigma2, learnability(sh.lam, sigma2, eta), frac, bool(budget), learned)


def classify_modes(spectrum, ridge, eta, **kw) -> np.ndarray:
    """Fraction of each shell that is learnable at the IR stop (1.0 / 0.0 except a split shell)."""
    return ir_stop(spectrum, ridge, eta, **kw).kept_fraction
