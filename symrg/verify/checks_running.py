"""Checks of the running-coupling flow of the worked example, the ridge with a local quartic coupling over a
power-law spectrum (symrg/engine/examples/ridge_quartic_flow.toml; docs/theory.md sections 3, 4 and 6).

Route A everywhere: the beta functions derived by the engine (:func:`symrg.engine.running.derive_flow`),
lowered to the committed module ``symrg/_generated/ridge_quartic_flow.py`` and integrated over the
discrete modes ``k = kappa_1 + 1 .. kappa_0`` by :func:`symrg.numerics.running.integrate_flow`
(``shells="discrete"``: mode ``k`` over ``kappa in (k - 1, k]`` with its own propagator, one ``solve_ivp``
per mode; the example's beta functions depend on the cutoff through the propagator alone, so the module's
cutoff argument takes the mode index), the same modes the other routes integrate out.
"""
from __future__ import annotations

import numpy as np

from .registry import check

A, ALPHA, SIGMA2 = 0.01, 0.5, 0.01
K_UV, K_IR = 1000, 10
CASES_U = (100.0, 1000.0, 4000.0)        # u sigma2^2 = 0.01, 0.1, 0.4


def _route_a(sigma2: float, u: float, k_uv: int = K_UV, k_ir: int = K_IR, alpha: float = ALPHA):
    from .._generated import ridge_quartic_flow as module
    from ..numerics.running import integrate_flow

    sol = integrate_flow(module, {"sigma2": sigma2, "u": u}, {"A": A, "alpha": alpha}, k_uv, k_ir, points=2,
                         shells="discrete", mode="kappa")
    return np.array([sol.values["sigma2"][-1], sol.values["u"][-1]])


def _potential(sigma2: float, u: float) -> np.ndarray:
    """``V(h) = h^2/(2 sigma2) + u h^4/24``: the kept-field action of the example at one input."""
    return np.array([0.0, 0.0, 1 / (2 * sigma2), 0.0, u / 24])


def _couplings(v) -> np.ndarray:
    return np.array([1 / (2 * v[2]), 24 * v[4]])


@check("running.mode_by_mode",
       "flow of (sigma2, u) for the ridge + local quartic over lambda_k = A k^-(1+alpha), UV kappa = 1000 to IR "
       "kappa = 10, u sigma2^2 = 0.01, 0.1, 0.4 (docs/theory.md sections 3, 6)",
       "engine beta functions (derive_flow), generated module ridge_quartic_flow, solve_ivp over the discrete "
       "modes 11..1000",
       "one mode at a time: each mode integrated out exactly by Gauss-Hermite quadrature of the one-variable "
       "integral with the current couplings, projected on degree 4 (numerics.running.integrate_modes)",
       2e-3, category="two-route")
def _mode_by_mode():
    from ..numerics.running import integrate_modes

    lams = A * np.arange(K_UV, K_IR, -1.0) ** (-1 - ALPHA)
    worst, det = 0.0, []
    for u in CASES_U:
        a = _route_a(SIGMA2, u)
        b = _couplings(integrate_modes(_potential(SIGMA2, u), lams))
        change = np.abs(b - np.array([SIGMA2, u]))
        rel = np.abs(a - b) / change
        worst = max(worst, float(np.max(rel)))
        det.append(f"u0={u:g}: (sigma2, u) A=({a[0]:.7g}, {a[1]:.6g}) B=({b[0]:.7g}, {b[1]:.6g})")
    return worst, "discrepancy relative to the change of each coupling; " + "; ".join(det)


def exact_per_input(sigma2: float, u: float, k_uv: int = K_UV, k_ir: int = K_IR, alpha: float = ALPHA, dps: int = 30):
    """``(sigma2, u)`` read off the exact effective potential after all the modes ``k_ir < k <= k_uv`` at once:
    ``-log ∫ dg N(g; 0, c) exp(-V(h + g))`` with ``c = A (zeta(1+alpha, k_ir+1) - zeta(1+alpha, k_uv+1))``,
    by mpmath quadrature and numerical differentiation at ``dps`` digits (independent of the engine)."""
    import mpmath

    with mpmath.workdps(dps):
        al = mpmath.mpf(alpha)
        c = mpmath.mpf(A) * (mpmath.zeta(1 + al, k_ir + 1) - mpmath.zeta(1 + al, k_uv + 1))
        s2, uu = mpmath.mpf(sigma2), mpmath.mpf(u)
        norm = 1 / mpmath.sqrt(2 * mpmath.pi * c)
        width = 12 * mpmath.sqrt(c)

        def seff(h):
            f = lambda g: norm * mpmath.exp(-g * g / (2 * c) - (h + g) ** 2 / (2 * s2) - uu * (h + g) ** 4 / 24)
            return -mpmath.log(mpmath.quad(f, [-width, 0, width]))

        d2 = mpmath.diff(seff, 0, 2)
        d4 = mpmath.diff(seff, 0, 4)
        return np.array([float(1 / d2), float(d4)])


@check("running.small_u_quadrature",
       "flow of (sigma2, u) at small u (u sigma2^2 = 0.01) against the exact per-input integral over the same "
       "modes; the difference is O(u^2) from the degree-4 projection (docs/theory.md sections 4, 6)",
       "engine beta functions (derive_flow), generated module ridge_quartic_flow, solve_ivp over the discrete "
       "modes 11..1000",
       "exact effective potential -log ∫ dg N(g; 0, c) exp(-V(h+g)), c = A [zeta(1+alpha, 11) - "
       "zeta(1+alpha, 1001)]: mpmath quadrature and differentiation at 30 digits",
       5e-3, category="two-route")
def _small_u():
    worst, det = 0.0, []
    for u in (100.0, 50.0):
        a = _route_a(SIGMA2, u)
        b = exact_per_input(SIGMA2, u)
        rel = np.abs(a - b) / np.abs(b - np.array([SIGMA2, u]))
        if u == 100.0:
            worst = float(np.max(rel))
        det.append(f"u0={u:g}: A=({a[0]:.7g}, {a[1]:.6g}) exact=({b[0]:.7g}, {b[1]:.6g}), relative to the change "
                   f"({rel[0]:.2e}, {rel[1]:.2e})")
    return worst, "; ".join(det) + " (the u discrepancy halves with u: O(u^2) truncation)"


@check("codegen.running_flow_twin",
       "generated ridge_quartic_flow.py against its mpmath twin at 30 digits (beta functions, Jacobian and the fused "
       "rhs/jac, plain-float and vectorised)",
       "generated NumPy module (float64)", "generated mpmath twin ridge_quartic_flow_mp at 30 digits", 1e-12,
       category="lowering")
def _twin():
    import mpmath

    from .._generated import ridge_quartic_flow as g
    from .._generated import ridge_quartic_flow_mp as gm

    rng = np.random.default_rng(12)
    worst = 0.0
    per_function = [n for n in g.__all__ if n.startswith(("beta_", "jac_")) and n != "jac_array"]
    fused = [n for n in g.__all__ if n in ("rhs", "jac", "rhs_array", "jac_array")]
    for name in per_function + fused:
        for _ in range(5):
            args = [float(x) for x in (rng.uniform(0.005, 0.05), rng.uniform(-50, 50), rng.uniform(0.005, 0.05),
                                       rng.uniform(0.2, 2.0), rng.uniform(1.0, 1000.0))]
            if name in fused:    # (kappa, y, params): the same point
                call = (args[4], np.array(args[:2]), tuple(args[2:4]))
            else:
                call = args
            a = np.asarray(getattr(g, name)(*call), dtype=float)
            with mpmath.workdps(30):
                b = np.array(getattr(gm, name)(*call), dtype=float)
            worst = max(worst, float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))))
    return worst, f"{len(per_function)} functions and {len(fused)} fused forms x 5 random points"


@check("codegen.regeneration_running_flow",
       "generated ridge_quartic_flow.py / ridge_quartic_flow_mp.py (docs/theory.md section 3)",
       "committed files in symrg/_generated", "fresh regeneration from derive_flow of the example (byte comparison)",
       0.0, category="lowering")
def _regen():
    from ..codegen.flows import regenerate_running_flow
    from .checks_codegen import _regeneration_drift

    drift = _regeneration_drift(regenerate_running_flow)
    return float(len(drift)), ("byte-identical" if not drift else f"differs: {drift}")
