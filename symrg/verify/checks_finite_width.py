"""Checks of the finite-width network (docs/theory.md sections 2, 6 and 7): closed-form four-point moments
against quadrature, the single-input kurtosis against Monte Carlo of sampled networks, and the O(1/N)
posterior shift by the engine against the kernel-fluctuation covariance (:func:`engine_cross_check`)."""
from __future__ import annotations

import functools

import numpy as np

from .registry import _rel, check

__all__ = ["engine_cross_check"]


def engine_cross_check(activation: str = "relu", width: int = 8, *, ridge: float = 0.1, seed: int = 0) -> dict:
    """The O(1/N) posterior shift by two independent routes on a tiny problem (2 training points, 1 test
    point on S^2): eq. P contracted with the exact (quadrature) tensor C, and the Wilsonian engine
    applied to the Edgeworth action (:func:`symrg.theory.finite_width.edgeworth_posterior_shift`)."""
    from ..numerics.finite_width import kernel_fluctuation_cov, one_over_n_from_cov
    from ..numerics.finite_width.moments import _check_width, _second_moments
    from ..numerics.finite_width.posterior import _sphere_problem
    from ..theory.finite_width import edgeworth_posterior_shift

    X, y, Xt = _sphere_problem(3, 2, 1, seed)
    Z = np.vstack([X, Xt])
    N = _check_width(width)
    C = kernel_fluctuation_cov(activation, Z, 2.0)
    K = 2.0 * _second_moments(activation, Z)
    delta_cov = one_over_n_from_cov(C, K=K, y=y, n_train=2, ridge=ridge) / N
    k4 = (C + C.transpose(0, 2, 1, 3) + C.transpose(0, 3, 2, 1)) / N
    delta_engine = edgeworth_posterior_shift(K, k4, y, n_train=2, ridge=ridge)
    return {"delta_cov_route": delta_cov.tolist(), "delta_engine_route": np.asarray(delta_engine).tolist()}


@check("finite_width.four_point_closed_form",
       "E[relu(u)^p relu(v)^(4-p)] (Cho-Saul type arc integrals; docs/theory.md section 6)",
       "closed forms of numerics.finite_width.relu_pair_moment (arc integrals integrated by SymPy)",
       "mpmath 2-d Gaussian quadrature in polar coordinates (angle and radius), 30 digits", 1e-12,
       category="two-route")
def _fw_four_point():
    import mpmath

    from ..numerics.finite_width import relu_pair_moment

    worst = 0.0
    for p, c in ((2, 0.35), (3, -0.7), (2, -0.2)):
        with mpmath.workdps(30):
            # 2-d Gaussian integral in polar coordinates (z1, z2) = r (cos t, sin t), u = z1,
            # v = r cos(t - phi) with cos(phi) = rho; the angular range is split where u or v changes
            # sign, so every piece is smooth; the radial integral is done numerically as well.
            phi = mpmath.acos(c)
            cuts = sorted({float(x % (2 * mpmath.pi)) for x in (mpmath.pi / 2, 3 * mpmath.pi / 2,
                                                                  phi + mpmath.pi / 2, phi + 3 * mpmath.pi / 2)})
            edges = [mpmath.mpf(0)] + [mpmath.mpf(x) for x in cuts] + [2 * mpmath.pi]
            radial = mpmath.quad(lambda r: r ** 5 * mpmath.exp(-r * r / 2), [0, mpmath.inf])

            def ang(t):
                a, b = mpmath.cos(t), mpmath.cos(t - phi)
                return a ** p * b ** (4 - p) if (a > 0 and b > 0) else mpmath.mpf(0)

            val = radial * mpmath.quad(ang, edges) / (2 * mpmath.pi)
        worst = max(worst, _rel(relu_pair_moment(p, 1.0, 1.0, c), float(val)))
    return worst, "unit variances; (p, rho) in {(2, .35), (3, -.7), (2, -.2)}"


_KURT_TOL = 0.05


@check("finite_width.kurtosis_mc",
       "single-input excess kurtosis of a width-N ReLU network = 15/N (eq. K4; docs/theory.md sections 2 and 6)",
       "closed form numerics.finite_width.excess_kurtosis: 3 sigma_w^4 (E relu^4 - (E relu^2)^2) / (N K^2)",
       "Monte Carlo of width-N networks (excess_kurtosis_mc): 3 Var(s2)/E[s2]^2 over 50000 draws of the hidden "
       "weights at one input, s2 = output variance given the weights, N in {4, 16, 64}; discrepancy "
       "max(|MC - theory|/theory, tolerance * z/4) with z = |MC - theory|/se, so it passes only within 4 "
       "standard errors; refuses if se > 3% of the theory", _KURT_TOL, category="two-route")
def _fw_kurtosis_mc():
    from ..numerics.finite_width import excess_kurtosis, excess_kurtosis_mc

    worst, det = 0.0, []
    for N in (4, 16, 64):
        theory = excess_kurtosis("relu", N)
        est, se = excess_kurtosis_mc("relu", N, 50_000, seed=N)
        if not se <= 0.03 * theory:
            return float("inf"), f"N={N}: MC standard error {se:.3g} exceeds 3% of the theory {theory:.4g}"
        rel, z = abs(est - theory) / theory, abs(est - theory) / se
        worst = max(worst, rel, _KURT_TOL * z / 4)
        det.append(f"N={N}: MC {est:.4f} +- {se:.4f} vs 15/N = {theory:.4f} (rel {rel:.3f}, z {z:.2f})")
    return worst, "; ".join(det)


@check("finite_width.engine_vs_covariance", "O(1/N) posterior shift of a finite-width network (docs/theory.md section 6)",
       "Wilsonian engine (symbolic cumulant expansion) on the Edgeworth action with four-point function from C",
       "eq. P: numeric contraction of the kernel-fluctuation covariance C (one_over_n_from_cov); both routes "
       "take the same quadrature tensor C as input", 1e-10, category="two-route")
def _fw_engine():
    worst, det = 0.0, []
    for act in ("relu", "erf"):
        r = engine_cross_check(act, 8)
        a, b = np.asarray(r["delta_cov_route"], dtype=float), np.asarray(r["delta_engine_route"], dtype=float)
        worst = max(worst, _rel(a, b))
        det.append(f"{act}: {a.ravel()[0]:.12g} vs {b.ravel()[0]:.12g}")
    return worst, "; ".join(det)


@check("finite_width.deep_kurtosis_mc",
       "O(1/N) excess kurtosis c/N of a depth-L network (docs/theory.md section 6x): ReLU L = 2, erf L = 3",
       "the derived layer recursion (symrg._generated.deep_finite_width): c = 3 V/K^2 at the output",
       "Monte Carlo of deep networks (conditional estimator 3 Var(s2)/(E s2)^2, 60000 draws at each of "
       "N = 16, 32, 64, 128), fitted by c/N + d/N^2; discrepancy max(|c_MC - c|/c, tolerance * z/4), so it "
       "passes only within 4 standard errors; refuses if the fit's error exceeds 3% of c", _KURT_TOL,
       category="two-route")
def _fw_deep_kurtosis_mc():
    from ..numerics.finite_width import deep as D
    from ..numerics.finite_width.deep_montecarlo import deep_kurtosis_extrapolation

    worst, det = 0.0, []
    for act, L in (("relu", 2), ("erf", 3)):
        c = D.deep_kurtosis_coefficient(act, L)
        fit = deep_kurtosis_extrapolation(act, L, widths=(16, 32, 64, 128), draws=60_000, seed=7)
        if not fit.c_se <= 0.03 * c:
            return float("inf"), f"{act} L={L}: fit error {fit.c_se:.3g} exceeds 3% of c = {c:.4g}"
        rel, z = abs(fit.c - c) / c, abs(fit.c - c) / fit.c_se
        worst = max(worst, rel, _KURT_TOL * z / 4)
        det.append(f"{act} L={L}: MC {fit.c:.3f} +- {fit.c_se:.3f} vs recursion {c:.4f} (z {z:.2f})")
    return worst, "; ".join(det)


@check("finite_width.deep_lowering",
       "the generated deep recursion against its mpmath twin (docs/theory.md section 6x), L = 5",
       "symrg._generated.deep_finite_width (NumPy, float64; erf E phi^4 by Gauss-Hermite)",
       "symrg._generated.deep_finite_width_mp (mpmath, 30 digits; erf E phi^4 by mpmath quadrature)", 1e-9,
       category="lowering")
def _fw_deep_lowering():
    from ..numerics.finite_width.deep import deep_recursion

    worst, det = 0.0, []
    for act in ("relu", "erf", "step"):
        a = deep_recursion(act, 5, sigma_w2=1.7, sigma_b2=0.3)
        b = deep_recursion(act, 5, sigma_w2=1.7, sigma_b2=0.3, backend="mpmath")
        r = max(_rel(a.K, b.K), _rel(a.V[1:], b.V[1:]), _rel(a.K1[2:], b.K1[2:]))
        worst = max(worst, r)
        det.append(f"{act}: c {a.coefficient:.10g} vs {b.coefficient:.10g}")
    return worst, "; ".join(det)


def _second_order_case(seed: int = 3, sigma_b2: float = 0.2):
    rng = np.random.default_rng(seed)
    n, t = 3, 2
    return rng.standard_normal((3, n + t)), np.array([0.5, 0.3, 0.2]), rng.standard_normal(n), n, 0.3, sigma_b2


def second_order_exact_fit(widths=(100, 200, 400, 800), seed: int = 3, sigma_b2: float = 0.2):
    """Route B of ``finite_width.second_order_exact``: the exact posterior mean of the width-N ensemble of a
    three-state unit law (multinomial enumeration, no expansion) at several N, fitted by
    ``m_GP + a/N + b/N^2 + c/N^3 + d/N^4`` (``m_GP`` from the kernel alone).  Returns ``(a, b)``."""
    from ..numerics.finite_width.second_order import discrete_law_posterior_exact
    Phi, p, y, n, ridge, sb2 = _second_order_case(seed, sigma_b2)
    K = 2.0 * np.einsum("j,ja,jb->ab", p, Phi, Phi) + sb2
    m_gp = K[n:, :n] @ np.linalg.solve(K[:n, :n] + ridge * np.eye(n), y)
    inv = 1.0 / np.asarray(widths, float)
    V = np.stack([inv ** k for k in range(1, len(widths) + 1)], axis=1)
    R = np.stack([discrete_law_posterior_exact(Phi, p, y, n, ridge, N, sigma_b2=sb2) - m_gp for N in widths])
    coef = np.linalg.solve(V, R)
    return coef[0], coef[1]


@check("finite_width.second_order_exact",
       "O(1/N) and O(1/N^2) coefficients of the finite-width posterior mean (docs/theory.md section 6)",
       "SymPy cumulant and ratio expansion (derive_second_order_posterior, generated module) with exact Taylor jets, averaged over a "
       "three-state unit law (second_order_from_units)",
       "exact multinomial enumeration of the width-N ensemble at N = 100, 200, 400, 800, fitted by a polynomial "
       "in 1/N of degree 4", 2e-3, category="two-route")
def _fw_second_order():
    from ..numerics.finite_width import second_order as so

    worst, det = 0.0, []
    for sb2 in (0.0, 0.2):
        Phi, p, y, n, ridge, _ = _second_order_case(3, sb2)
        _, c1, c2 = so.second_order_from_units(Phi, p, y, n, ridge, sigma_b2=sb2)
        a, b = second_order_exact_fit(sigma_b2=sb2)
        worst = max(worst, _rel(c1, a), _rel(c2, b))
        det.append(f"sigma_b2={sb2}: c2 {c2[0]:.6g} vs {b[0]:.6g}, c1 {c1[0]:.6g} vs {a[0]:.6g}")
    return worst, "; ".join(det)


# ------------------------------------------------------------------------ deep posterior --
DEEP_POSTERIOR_CASE = dict(activation="relu", depth=2, dim=3, n_train=8, n_test=3, ridge=0.1, seed=0,
                           widths=(16, 32, 64, 128, 256), draws=50_000, mc_seed=11)
_DEEP_POST_TOL = 0.05


@functools.lru_cache(maxsize=None)
def deep_posterior_mc_route(activation="relu", depth=2, dim=3, n_train=8, n_test=3, ridge=0.1, seed=0,
                            widths=(16, 32, 64, 128, 256), draws=50_000, mc_seed=11):
    """Route B of ``finite_width.deep_posterior`` (memoised: it does not depend on route A): importance-sampled
    posteriors of deep networks (the chain sampler, the law of the ``N x N`` weight matrices, with the zero-mean
    control variates of :func:`deep_monte_carlo_posterior`) at several widths, ``N (m_MC - m_GP) = c + d/N + e/N^2``
    fitted per test input.  Returns ``(c_mc, c_mc_se)``."""
    from ..numerics.finite_width.deep_posterior_mc import deep_posterior_mc_fit
    from ..numerics.finite_width.posterior import _sphere_problem

    X, y, Xt = _sphere_problem(dim, n_train, n_test, seed)
    c_mc, se, _, _ = deep_posterior_mc_fit(activation, X, y, Xt, depth, ridge, widths, n_draws=draws, seed=mc_seed,
                                           method="chain", quadratic=True, control_variates=True)
    return c_mc, se


@check("finite_width.deep_posterior",
       "O(1/N) posterior mean of a depth-2 ReLU network, m = m_GP + c/N (docs/theory.md section 6x, deep posterior)",
       "the derived multi-input recursion (symrg._generated.deep_finite_width_pair): c = dm/dK.K1 + the eq.-P "
       "contraction of the vertex V (unit Monte Carlo, 400000 units per layer; deep_one_over_n_coefficient)",
       "importance-sampled Monte Carlo of deep networks (50000 per width with zero-mean control variates, "
       "N = 16..256, sphere d = 3, 8 training "
       "and 3 test points, ridge 0.1), N (m_MC - m_GP) fitted by c + d/N + e/N^2; discrepancy "
       "max(|c_MC - c|/max|c|, tolerance * z/4) over the test inputs, so it passes only within 4 standard errors; "
       "refuses if the fit's error exceeds 3% of max|c|", _DEEP_POST_TOL, full=True, category="two-route")
def _fw_deep_posterior():
    from ..numerics.finite_width import deep_posterior as DP
    from ..numerics.finite_width.posterior import _sphere_problem

    k = DEEP_POSTERIOR_CASE
    X, y, Xt = _sphere_problem(k["dim"], k["n_train"], k["n_test"], k["seed"])
    coef = DP.deep_one_over_n_coefficient(k["activation"], X, y, Xt, k["ridge"], k["depth"], n_samples=400_000, seed=3)
    c, c_se = np.asarray(coef.c, float), np.asarray(coef.sem, float)
    c_mc, se = deep_posterior_mc_route(**k)
    scale = float(np.max(np.abs(c)))
    if not np.max(se) <= 0.03 * scale:
        return float("inf"), f"Monte Carlo fit error {np.max(se):.3g} exceeds 3% of max|c| = {scale:.4g}"
    rel = np.abs(c_mc - c) / scale
    z = np.abs(c_mc - c) / np.hypot(se, c_se)
    worst = float(np.max(np.maximum(rel, _DEEP_POST_TOL * z / 4)))
    det = "; ".join(f"x{j}: c {a:.4f} +- {b:.4f} vs MC {m:.4f} +- {s:.4f} (z {zz:.2f})"
                    for j, (a, b, m, s, zz) in enumerate(zip(c, c_se, c_mc, se, z)))
    return worst, det
