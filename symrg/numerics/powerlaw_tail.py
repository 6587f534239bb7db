"""The infinite power law ``lambda_k = A k^-(1+alpha)``, k = 1, 2, ... with its tail treated analytically
(docs/theory.md sections 4 and 4a).

The flow quantities of the Gaussian theory are sums over every mode of functions of the ratio
``u_k = eta lambda_k / s`` (``s`` a running or effective ridge): ``L_k = u/(1+u)``, ``L_k^2 = u^2/(1+u)^2``,
``lambda_k (1 - L_k) = (s/eta) u/(1+u)`` and ``lambda_k (1 - L_k)^2 = (s/eta) u/(1+u)^2``, all of the form
``g(u) = u^p (1+u)^-m``.  Listing modes up to a cut ``K`` and treating the rest as power with learnability
0 (what :class:`symrg.numerics.flows.Shells` does with its ``tail``) is wrong once ``eta lambda_K`` is not
small against ``s`` (issue 21: the stop near 618,000 modes, the cut at 100,000).  Here the modes
``K < k <= K2`` (``K2`` may be infinite) are summed by Euler-Maclaurin,

    sum_{k=K+1}^{K2} f(k) = int_K^{K2} f dx + (f(K2) - f(K))/2 + (f'(K2) - f'(K))/12 + R,
    |R| <= 2 zeta(3)/(2 pi)^3 int_K^{K2} |f'''| dx,

with the integral in closed form: ``u = c x^-beta`` (``beta = 1 + alpha``, ``c = eta A / s``) turns it into
``(c^(1/beta)/beta) int u^(a-1) (1+u)^-m du`` with ``a = p - 1/beta``, an incomplete beta function
``B(a, m-a) I_y(a, m-a)`` at ``y = u/(1+u)``.  ``|f'''|`` is bounded through ``t = ln x``
(``f''' = (F''' - 3F'' + 2F')/x^3``, ``dF/dt = -beta u dg/du`` and ``|(u d/du)^j g| <= C_j g``), so
``int_K^{K2} |f'''| <= sup g * (beta^3 C_3 + 3 beta^2 C_2 + 2 beta C_1) / (2 K^2)``; the remainder is
``O(K^-3)`` relative to the sum, and every sum comes with that bound.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import beta as beta_fn
from scipy.special import betainc, zeta

from .._validate import check_positive, check_ridge
from ..errors import ConvergenceError, ParameterError, SymrgError

__all__ = ["tail_sum", "PowerLawInfinite", "EM_REMAINDER"]

EM_REMAINDER = 2 * 1.2020569031595942 / (2 * math.pi) ** 3   # 2 zeta(3) / (2 pi)^3


def _g(u, p, m):
    """``u^p (1+u)^-m`` without overflow (``p <= m`` in every use: both factors are at most 1)."""
    return (u / (1.0 + u)) ** p * (1.0 + u) ** (p - m)


def _ibeta_diff(a, b, u_hi, u_lo):
    """``B(a,b) [I_{y(u_hi)}(a,b) - I_{y(u_lo)}(a,b)]`` with ``y = u/(1+u)``, without cancellation."""
    def parts(u):
        if u == math.inf:
            return 1.0, 0.0
        y = u / (1.0 + u)
        if y < 0.5:
            return betainc(a, b, y), None
        return None, betainc(b, a, 1.0 / (1.0 + u))  # complement I_{1-y}(b, a)
    i_hi, j_hi = parts(u_hi)
    i_lo, j_lo = parts(u_lo)
    if j_hi is not None and j_lo is not None:
        d = j_lo - j_hi
    else:
        hi = i_hi if i_hi is not None else 1.0 - j_hi
        lo = i_lo if i_lo is not None else 1.0 - j_lo
        d = hi - lo
    return beta_fn(a, b) * max(d, 0.0)


def tail_sum(p: int, m: int, c: float, beta: float, K: float, K2: float = math.inf) -> tuple[float, float]:
    """``sum_{k=K+1}^{K2} g(c k^-beta)`` with ``g(u) = u^p (1+u)^-m`` (module doc) and a bound on the
    Euler-Maclaurin remainder.  ``K >= 1`` and ``K2 >= K`` are integers (``K2`` may be ``inf``)."""
    if not (K >= 1 and K2 >= K):
        raise ParameterError("K", K, "a cut K >= 1 and K2 >= K")
    if K2 == K:
        return 0.0, 0.0
    a = p - 1.0 / beta
    b = m - a
    u1 = c * K ** (-beta)
    u2 = c * K2 ** (-beta) if K2 != math.inf else 0.0
    # int_K^{K2} g(u(x)) dx = (c^(1/beta)/beta) B(a,b) [I(y1) - I(y2)]; c^(1/beta) = K u1^(1/beta)
    integral = K * u1 ** (1.0 / beta) / beta * _ibeta_diff(a, b, u1, u2)

    def fprime(x, u):   # f'(x) = -(beta/x) g(u) (p - m u/(1+u))
        return -(beta / x) * _g(u, p, m) * (p - m * u / (1.0 + u)) if u > 0 else 0.0
    g1 = _g(u1, p, m)
    g2 = _g(u2, p, m) if u2 > 0 else 0.0
    val = integral + (g2 - g1) / 2.0 + ((fprime(K2, u2) if K2 != math.inf else 0.0) - fprime(K, u1)) / 12.0
    # remainder bound: |(u d/du)^j g| <= C_j g, q = p - m y in [p - m, p], w = y(1-y) <= 1/4
    Q = max(p, abs(p - m))
    C1, C2, C3 = Q, Q * Q + m / 4.0, Q ** 3 + 0.75 * Q * m + m / 4.0
    ustar = p / (m - p) if m > p else math.inf
    gsup = _g(min(max(ustar, u2), u1), p, m)
    rem = EM_REMAINDER * gsup * (beta ** 3 * C3 + 3 * beta ** 2 * C2 + 2 * beta * C1) / (2.0 * K * K)
    rem += 4 * np.finfo(float).eps * (abs(integral) + abs(g1) + abs(g2)) + 1e-13 * abs(integral)  # betainc accuracy
    return max(val, 0.0), rem


class PowerLawInfinite:
    """``lambda_k = A k^-(1+alpha)`` for every ``k >= 1``: the first ``listed`` modes explicit, the rest
    by :func:`tail_sum` (module doc).  Every quantity is returned with an error bound ``(value, error)``."""

    def __init__(self, A: float, alpha: float, listed: int = 1000):
        self.A = check_positive(A, "A")
        self.alpha = check_positive(alpha, "alpha")
        self.beta = 1.0 + self.alpha
        self.K = int(listed)
        if self.K < 1:
            raise ParameterError("listed", listed, "at least 1 listed mode")
        k = np.arange(1, self.K + 1, dtype=float)
        self.lam = self.A * k ** (-self.beta)

    # -------------------------------------------------------------- sums over modes --
    def lam_at(self, k: float) -> float:
        return self.A * float(k) ** (-self.beta)

    def power_beyond(self, k: float) -> float:
        """``sum_{j > k} lambda_j = A zeta(1+alpha, k+1)`` (Hurwitz zeta; docs/theory.md section 4)."""
        return float(self.A * zeta(self.beta, float(k) + 1.0))

    def sums(self, s: float, eta: float, upto: float = math.inf) -> dict:
        """Sums over modes ``k <= upto`` of the functions of ``u = eta lambda_k / s`` (module doc):
        ``L`` = sum L_k, ``L2`` = sum L_k^2, ``G`` = sum lambda_k (1-L_k), ``B`` = sum lambda_k (1-L_k)^2;
        ``err_*`` bound each."""
        n = min(self.K, upto)
        n_i = int(n)
        lam = self.lam[:n_i]
        num = eta * lam
        den = num + s                    # L = eta lam/(eta lam + s), 1 - L = s/(eta lam + s): no overflow
        L = num / den
        one = s / den
        out = {"L": float(np.sum(L)), "L2": float(np.sum(L * L)), "G": float(np.sum(lam * one)),
               "B": float(np.sum(lam * one * one))}
        eps = 8 * np.finfo(float).eps
        err = {k: eps * abs(v) for k, v in out.items()}
        if upto > self.K:
            c = eta * self.A / s
            if not math.isfinite(c):
                raise ConvergenceError(f"power law: eta A / s = {c} overflows float64 (s = {s:g})")
            for key, (p, mm, pref) in {"L": (1, 1, 1.0), "L2": (2, 2, 1.0), "G": (1, 1, s / eta),
                                       "B": (1, 2, s / eta)}.items():
                v, e = tail_sum(p, mm, c, self.beta, float(self.K), upto)
                out[key] += pref * v
                err[key] += pref * e
        out.update({f"err_{k}": v for k, v in err.items()})
        return out

    # ------------------------------------------------------------- self-consistency --
    def selfconsistent(self, ridge: float, eta: float) -> dict:
        """``s = sigma^2 + sum_k lambda_k s/(s + eta lambda_k)`` over every mode (docs/theory.md 4a).

        Solved in ``log s`` by Brent's method; the error bound is the Euler-Maclaurin bound on the residual
        over ``|R'|`` plus the root tolerance."""
        from scipy.optimize import brentq

        s2 = check_ridge(ridge)
        eta = check_positive(eta, "eta")
        total = s2 + self.power_beyond(0)

        def R(logs):
            s = math.exp(logs)
            return (s2 - s + self.sums(s, eta)["G"]) / s      # not (s2 + G)/s - 1: G << s2 must not round to 0

        hi = math.log(total)
        lo = math.log(max(s2, self._floor(eta)))
        if R(hi) >= 0:
            # the root lies in [sigma^2, sigma^2 + trace] and the trace is below the rounding of sigma^2
            S = self.sums(total, eta)
            return {"sigma2": total, "error": self.power_beyond(0) + 4 * np.finfo(float).eps * total,
                    "learned_modes": S["L"], "sums": S, "dR": 1.0}
        while R(lo) <= 0:
            lo -= 10
            if lo < -700:
                raise ConvergenceError("self-consistent ridge of the power law: no root above 1e-300")
        x = brentq(R, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
        s = math.exp(x)
        S = self.sums(s, eta)
        dR = 1.0 - S["L2"] / eta       # |d/ds (sigma^2 + sum G - s)|
        if not dR > 0:
            raise ConvergenceError("self-consistent ridge of the power law: the closure is flat at its root")
        # Brent's tolerance on x = log s (xtol + rtol |x|) and the rounding of the residual
        err = S["err_G"] / dR + s * (2e-15 + 8 * np.finfo(float).eps * (abs(x) + 1.0))
        return {"sigma2": s, "error": err, "learned_modes": S["L"], "sums": S, "dR": dR}

    def eigenlearning_kappa(self, ridge: float, eta: float) -> float:
        """Eigenlearning's ``sum_k lambda_k/(lambda_k + kappa) + sigma^2/kappa = n``, solved in ``log kappa``
        (written apart from :meth:`selfconsistent`)."""
        from scipy.optimize import brentq

        s2 = check_ridge(ridge)
        eta = check_positive(eta, "eta")

        def f(logk):
            kap = math.exp(logk)
            # sum_k lambda/(lambda + kappa) = sum_k L_k at s = eta kappa
            return math.log((self.sums(eta * kap, eta)["L"] + s2 / kap) / eta)

        hi = math.log((s2 + self.power_beyond(0)) / eta) + 1.0
        lo = min(math.log(max(s2, self._floor(eta)) / eta), hi - 1.0)   # kappa >= sigma^2/n
        while f(lo) < 0:
            lo -= 10.0
            if lo < -700:
                raise ConvergenceError("eigenlearning ridge of the power law: no root above 1e-300")
        return math.exp(brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500))

    @staticmethod
    def root_tolerance(value: float) -> float:
        """Error of a root found by Brent's method in ``log value`` (xtol 1e-15, rtol 4 eps) plus rounding."""
        return value * (2e-15 + 8 * np.finfo(float).eps * (abs(math.log(value)) + 1.0)) if value > 0 else 0.0

    def _floor(self, eta: float) -> float:
        """A ridge below the closure's root: at ``s = A eta^-alpha 10^-(2 beta)`` more than ``10 eta`` modes have
        ``eta lambda_k >= s``, so ``sum_k lambda_k s/(s + eta lambda_k) > s`` (module doc)."""
        return math.exp(max(math.log(self.A) - self.alpha * math.log(eta) - 2 * self.beta * math.log(10.0), -690.0))

    # ----------------------------------------------------------------- sharp stops --
    def _keep(self, k: float, ridge: float, eta: float, rule: str, threshold: float) -> bool:
        lam = self.lam_at(k)
        run = ridge + self.power_beyond(k)
        if rule == "learnability":
            return eta * lam / (eta * lam + run) >= threshold
        return eta * lam >= threshold * run

    def sharp_stop(self, ridge: float, eta: float, rule: str = "learnability", threshold: float = 0.5) -> int:
        """The paper's stop on the infinite law: the number of leading modes with ``L_k >= T`` under the
        running ridge ``sigma^2 + A zeta(1+alpha, k+1)`` (docs/theory.md 4); ``eta lambda_k / sigma_k^2``
        decreases with ``k``, so the first failure is found by bisection."""
        if rule == "learnability" and not 0 < threshold < 1:
            raise ParameterError("threshold", threshold, "a learnability threshold in (0, 1)")
        if not self._keep(1.0, ridge, eta, rule, threshold):
            return 0
        lo, hi = 1.0, 2.0
        while self._keep(hi, ridge, eta, rule, threshold):
            lo, hi = hi, hi * 2.0
            if hi > 1e30:
                raise ParameterError("eta", eta, "a data-set size whose IR stop lies below 1e30 modes")
        while hi - lo > 1:
            mid = math.floor((lo + hi) / 2)
            if self._keep(mid, ridge, eta, rule, threshold):
                lo = mid
            else:
                hi = mid
        return int(lo)

    def kept_sums(self, kappa: float, ridge: float, eta: float) -> dict:
        """Sums over the kept modes ``k <= kappa`` (a real cutoff: mode ``floor(kappa)+1`` kept with weight
        ``kappa - floor(kappa)``) under the running ridge ``sigma_kappa^2``."""
        n = math.floor(kappa)
        frac = kappa - n
        lam_next = self.lam_at(n + 1)
        sig = ridge + self.power_beyond(n + 1) + (1.0 - frac) * lam_next
        S = self.sums(sig, eta, upto=float(n)) if n >= 1 else {k: 0.0 for k in
                                                                 ("L", "L2", "G", "B", "err_L", "err_L2",
                                                                  "err_G", "err_B")}
        if frac > 0:
            u = eta * lam_next / sig
            L = u / (1 + u)
            S = dict(S)
            S["L"] += frac * L
            S["L2"] += frac * L * L
            S["B"] += frac * lam_next * (1 - L) ** 2
        S["sigma2"] = sig
        S["Y_gt"] = self.power_beyond(n) - frac * lam_next
        return S

    def budget_stop(self, n_kept: int, ridge: float, eta: float) -> float:
        """The budget-respecting stop (docs/theory.md 4a): the largest cutoff ``<= n_kept`` with
        ``sum_{k<=kappa} L_k(sigma_kappa^2) <= eta`` (monotone in ``kappa``)."""
        from scipy.optimize import brentq

        f = lambda kap: self.kept_sums(kap, ridge, eta)["L"] - eta  # noqa: E731
        if n_kept == 0 or f(float(n_kept)) <= 0:
            return float(n_kept)
        return float(brentq(f, 0.0, float(n_kept), xtol=1e-9, rtol=1e-14, maxiter=500))


def _err_pair(f, x, dx):
    """``|f(x+dx) - f(x-dx)| / 2`` (propagation of an error in ``x``), 0 when ``dx`` is 0."""
    if dx <= 0:
        return 0.0
    return abs(f(x + dx) - f(max(x - dx, x * 0.5))) / 2.0


_SCALED_KEYS = ("sigma2_star", "sigma2_star_budget", "sigma2_selfconsistent", "sigma2_selfconsistent_error",
                "test_error_rg", "test_error_rg_error", "test_error_rg_budget", "test_error_rg_budget_error",
                "test_error_rg_selfconsistent", "test_error_rg_selfconsistent_error", "test_error_eigenlearning",
                "test_error_eigenlearning_error", "kappa_eff_eigenlearning", "kappa_eff_eigenlearning_error",
                "rg_effective_ridge")


def powerlaw_flow(A: float, alpha: float, ridge: float, eta: float, listed: int = 1000, rule: str = "learnability",
                  threshold: float = 0.5, noise: float | None = None) -> dict:
    """:func:`_powerlaw_flow` in scaled units: every flow quantity is homogeneous of degree 1 in
    (A, ridge, noise) and the stops of degree 0, so the problem is solved with A and the ridge divided by a
    power of two near the larger of them and the ridges and test errors scaled back."""
    A = check_positive(A, "A")
    s2 = check_ridge(ridge)
    top = max(A, s2, 0.0 if noise is None else check_ridge(noise, "noise"))
    c = 2.0 ** math.frexp(top)[1]
    try:
        r = _powerlaw_flow(A / c, alpha, s2 / c, eta, listed, rule, threshold, None if noise is None else noise / c)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        if isinstance(exc, SymrgError):
            raise
        raise ConvergenceError(f"power-law flow at A={A:g}, alpha={alpha:g}, ridge={s2:g}, eta={eta:g} is outside "
                               f"what float64 resolves ({exc})") from None
    for k in _SCALED_KEYS:
        r[k] = r[k] * c
    bad = [k for k, v in r.items() if not math.isfinite(v)]
    if bad:
        raise ConvergenceError(f"power-law flow: {bad[0]} is not finite (A={A:g}, alpha={alpha:g}, ridge={s2:g}, "
                               f"eta={eta:g}): outside what float64 resolves")
    return r


def _powerlaw_flow(A: float, alpha: float, ridge: float, eta: float, listed: int = 1000, rule: str = "learnability",
                   threshold: float = 0.5, noise: float | None = None) -> dict:
    """Every number of ``symrg flow --spectrum powerlaw`` on the infinite power law (no cut), each with an
    error bound (``*_error``): the paper's stop and the budget stop (docs/theory.md 4, 4a), the
    self-consistent ridge, and the four test-error predictions of :mod:`symrg.numerics.predictions`
    (same formulas, with every mode beyond ``listed`` summed by :func:`tail_sum`).  ``noise`` is the
    label-noise variance (default: the ridge)."""
    pl = PowerLawInfinite(A, alpha, listed)
    s2 = check_ridge(ridge)
    eta = check_positive(eta, "eta")
    eps2 = s2 if noise is None else check_ridge(noise, "noise")
    out: dict = {}

    def rg_error(kap):
        S = pl.kept_sums(kap, s2, eta)
        E = S["B"] + S["L2"] * (eps2 + S["Y_gt"]) / eta + S["Y_gt"]
        err = S["err_B"] + S["err_L2"] * (eps2 + S["Y_gt"]) / eta
        return S, E, err

    n_kept = pl.sharp_stop(s2, eta, rule, threshold)
    S, E, err = rg_error(float(n_kept))
    out.update(kappa_star=float(n_kept), sigma2_star=S["sigma2"], learned_modes=S["L"], test_error_rg=E,
               test_error_rg_error=err, learned_modes_error=S["err_L"])
    kb = pl.budget_stop(n_kept, s2, eta)
    Sb, Eb, errb = rg_error(kb)
    out.update(kappa_star_budget=kb, sigma2_star_budget=Sb["sigma2"], learned_modes_budget=Sb["L"],
               test_error_rg_budget=Eb, test_error_rg_budget_error=errb)

    sc = pl.selfconsistent(s2, eta)
    s, es = sc["sigma2"], sc["error"]

    def sc_error(sv):
        T = pl.sums(sv, eta)
        return T["B"] + T["L2"] / eta * (eps2 + T["B"]), T
    Esc, T = sc_error(s)
    Esc_err = _err_pair(lambda v: sc_error(v)[0], s, es) + T["err_B"] * (1 + T["L2"] / eta) \
        + T["err_L2"] / eta * (eps2 + T["B"])
    out.update(sigma2_selfconsistent=s, sigma2_selfconsistent_error=es, learned_modes_selfconsistent=sc["learned_modes"],
               learned_modes_selfconsistent_error=float(sc["sums"].get("err_L", 0.0)),
               test_error_rg_selfconsistent=Esc, test_error_rg_selfconsistent_error=Esc_err)

    kap = pl.eigenlearning_kappa(s2, eta)

    def el_error(kv):
        T = pl.sums(eta * kv, eta)
        den = eta - T["L2"]
        if not den > 0:
            raise ConvergenceError(f"eigenlearning overfitting factor diverges (n - sum L^2 = {den:.3g}); "
                                   "use a positive ridge or a larger n")
        return T["B"] + T["L2"] / den * (T["B"] + eps2), T, den
    Eel, T, den = el_error(kap)
    # kappa's error: the residual's error err_L over the slope of sum L + s2/kappa in kappa
    dres = (T["L"] - T["L2"]) / kap + s2 / kap ** 2
    ek = (T["err_L"] / dres if dres > 0 else math.inf) + PowerLawInfinite.root_tolerance(kap)
    Eel_err = _err_pair(lambda v: el_error(v)[0], kap, ek) + T["err_B"] * (1 + T["L2"] / den) \
        + T["err_L2"] * eta / den ** 2 * (T["B"] + eps2)
    out.update(test_error_eigenlearning=Eel, test_error_eigenlearning_error=Eel_err, kappa_eff_eigenlearning=kap,
               kappa_eff_eigenlearning_error=ek, rg_effective_ridge=out["sigma2_star"] / eta)
    return out
