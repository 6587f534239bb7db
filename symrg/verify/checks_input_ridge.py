"""Checks of the input-dependent ridge (docs/theory.md sections 5 and 7): the generated NumPy against its
mpmath twin, whole spherical shells against the addition theorem, and a non-Gaussian toy whose conditional
law is known against direct quadrature."""
from __future__ import annotations

import numpy as np

from .registry import _rel, check


@check("input_ridge.codegen_twin",
       "sigma^2(x) = sigma^2 + sum_k lambda_k E[phi_k^2 | phi_<(x)] (cumulant form; docs/theory.md section 5)",
       "generated NumPy module symrg/_generated/input_ridge.py (einsum)",
       "generated mpmath twin input_ridge_mp.py, 30 digits", 1e-12, category="lowering")
def _ir_twin():
    import mpmath

    from .._generated import input_ridge as g, input_ridge_mp as gm

    rng = np.random.default_rng(1)
    lam, phi = rng.uniform(0, 1, 7), rng.standard_normal((5, 3))
    c3, c4 = rng.standard_normal((7, 3)) * 0.1, rng.standard_normal((7, 3, 3)) * 0.1
    c4 = (c4 + c4.transpose(0, 2, 1)) / 2
    a = g.sigma2_x(0.3, lam, phi, c3, c4)
    with mpmath.workdps(30):
        b = [float(x) for x in np.ravel(gm.sigma2_x(0.3, lam, phi, c3, c4))]
    return _rel(np.ravel(a), b), "7 greater modes, 3 kept features, 5 inputs"


@check("input_ridge.sphere_shells",
       "sigma^2(x) is the constant sigma^2 + sum_l N(3,l) lambda_l when whole degenerate shells are integrated "
       "out (S^2; docs/theory.md section 5)",
       "generated sigma2_x (cumulant form) with c3, c4 estimated from 3000 uniform points; kept: real harmonics "
       "l <= 1, greater: whole shells 2 <= l <= 4, lambda_l = (l+1)^-3",
       "addition theorem sum_m Y_lm(x)^2 = 2l+1: sigma^2 + sum_{l=2..4} (2l+1) lambda_l (no harmonics evaluated)",
       1e-12, category="two-route")
def _ir_shells():
    from .._generated import input_ridge as g
    from ..data import sample_sphere
    from ..numerics.input_ridge import estimate_cumulants, real_harmonics_s2

    ridge, l_kept, lmax = 0.1, 1, 4
    X = sample_sphere(3000, 3, np.random.default_rng(0))
    Y, deg = real_harmonics_s2(X, lmax)
    kept = deg <= l_kept
    lam = (deg + 1.0) ** -3
    const = ridge + sum((2 * l + 1) * (l + 1.0) ** -3 for l in range(l_kept + 1, lmax + 1))
    out = {}
    half = (~kept) & ~((deg == lmax) & (np.cumsum(deg == lmax) > lmax + 1))      # last shell cut in half
    for name, sel in (("whole", ~kept), ("half", half)):
        cum = estimate_cumulants(Y[:, sel], Y[:, kept], c4="full", m_full=int(kept.sum()), warn=False)
        s = g.sigma2_x(ridge, lam[sel], Y[:, kept], cum.c3, cum.c4)
        out[name] = s
    disc = float(np.max(np.abs(out["whole"] - const)) / const)
    spread_half = float(np.std(out["half"]) / np.mean(out["half"]))
    return disc, (f"constant {const:.12g}; generated sigma2_x over 3000 points in [{out['whole'].min():.12g}, "
                  f"{out['whole'].max():.12g}]; half a shell cut instead: relative spread {spread_half:.3g}")


# ----------------------------------------------------------------------------------------------
# a non-Gaussian toy with a known conditional law
# ----------------------------------------------------------------------------------------------
# kept features z = (z_1, z_2) iid N(0, 1); greater features phi_k = z'_k (1 + a_k . z) / sqrt(1 + |a_k|^2),
# z'_k iid N(0, 1) (E phi_k^2 = 1).  E[phi_k^2 | z] = (1 + a_k . z)^2 / (1 + |a_k|^2), a polynomial of degree 2
# in z, and with c3_kq = 2 a_kq / (1 + |a_k|^2), c4_kqr = 2 a_kq a_kr / (1 + |a_k|^2) the cumulant form
# 1 + c3 . z + 1/2 c4 : (z z^T - I) equals it exactly; dropping c4 leaves (a.z)^2 - |a|^2 over 1 + |a|^2, O(a^2).
_TOY_A = np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.0], [0.2, 0.2], [0.0, -0.3]])
_TOY_LAM = np.arange(1, 6, dtype=float) ** -1.5
_TOY_Z = np.array([[0.0, 0.0], [1.0, -0.5], [-1.7, 0.8], [2.2, 1.9], [-0.4, -2.5], [0.9, 0.3]])
_TOY_RIDGE = 0.1


def _toy_phi2(a, z, zp):
    """phi_k^2 of the toy at kept values z (..., 2) and greater noise zp."""
    return zp ** 2 * (1 + z @ a) ** 2 / (1 + a @ a)


def toy_cumulants(nodes: int = 12):
    """c3_kq = E[(phi_k^2 - 1) z_q], c4_kqr = E[(phi_k^2 - 1)(z_q z_r - delta_qr)] by 3-d Gauss-Hermite quadrature
    over (z_1, z_2, z') (exact: the integrands are polynomials of degree <= 6 in each variable)."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / np.sqrt(2 * np.pi)
    Z1, Z2, ZP = np.meshgrid(x, x, x, indexing="ij")
    W = (w[:, None, None] * w[None, :, None] * w[None, None, :]).ravel()
    z = np.stack([Z1.ravel(), Z2.ravel()], axis=1)
    zp = ZP.ravel()
    c3 = np.empty((len(_TOY_A), 2))
    c4 = np.empty((len(_TOY_A), 2, 2))
    for k, a in enumerate(_TOY_A):
        h2 = _toy_phi2(a, z, zp) - 1.0
        c3[k] = (W * h2) @ z
        c4[k] = np.einsum("i,iq,ir->qr", W * h2, z, z) - np.eye(2) * np.sum(W * h2)
    return c3, c4


@check("input_ridge.non_gaussian_quadrature",
       "sigma^2(x) = sigma^2 + sum_k lambda_k E[phi_k^2 | phi_<(x)] for non-Gaussian features "
       "(docs/theory.md section 5)",
       "generated sigma2_x (cumulant form, c3 and c4) with the toy's c3, c4 computed by Gauss-Hermite quadrature; "
       "toy: kept z = (z1, z2), greater phi_k = z'_k (1 + a_k.z)/sqrt(1 + |a_k|^2), 5 modes, "
       "for which the c3 + c4 form is exact",
       "mpmath quadrature (30 digits) of sigma^2 + sum_k lambda_k E[phi_k^2 | z] over z'_k at 6 kept values z",
       1e-12, category="two-route")
def _ir_non_gaussian():
    import mpmath

    from .._generated import input_ridge as g

    c3, c4 = toy_cumulants()
    a_route = np.asarray(g.sigma2_x(_TOY_RIDGE, _TOY_LAM, _TOY_Z, c3, c4), dtype=float).ravel()
    no_c4 = np.asarray(g.sigma2_x(_TOY_RIDGE, _TOY_LAM, _TOY_Z, c3, np.zeros_like(c4)), dtype=float).ravel()
    b_route = []
    with mpmath.workdps(30):
        A = [[mpmath.mpf(float(v)) for v in a] for a in _TOY_A]
        lams = [mpmath.mpf(float(v)) for v in _TOY_LAM]
        for z in _TOY_Z:
            z1, z2 = mpmath.mpf(float(z[0])), mpmath.mpf(float(z[1]))

            def integrand(t):
                # sum_k lambda_k phi_k(z, z'_k = t)^2 N(t): each z'_k is N(0, 1), so one integral over t
                # gives sum_k lambda_k E[phi_k^2 | z] (linearity)
                phi2 = sum(lam * (t * (1 + a1 * z1 + a2 * z2)) ** 2 / (1 + a1 ** 2 + a2 ** 2)
                           for lam, (a1, a2) in zip(lams, A))
                return mpmath.exp(-t * t / 2) / mpmath.sqrt(2 * mpmath.pi) * phi2

            b_route.append(float(_TOY_RIDGE + mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf])))
    b_route = np.array(b_route)
    disc = float(np.max(np.abs(a_route - b_route) / b_route))
    drop = float(np.max(np.abs(no_c4 - b_route) / b_route))
    return disc, (f"sigma^2(z) at 6 points in [{b_route.min():.6g}, {b_route.max():.6g}]; dropping c4 (first "
                  f"Edgeworth order only) leaves a relative error {drop:.3g} = O(|a|^2), |a| <= 0.5")
