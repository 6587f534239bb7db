"""Checks of the input-dependent ridge: generated NumPy against its mpmath twin, shells and Gaussian features (docs/theory.md section 7)."""
from __future__ import annotations

import numpy as np

from .registry import _rel, check


@check("input_ridge.codegen_twin", "sigma^2(x) = sigma^2 + sum_k lambda_k E[phi_k^2 | phi_<(x)] (cumulant form)",
       "generated NumPy (einsum)", "generated mpmath twin, 30 digits", 1e-12)
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


@check("input_ridge.sphere_shells", "sigma^2(x) is constant when whole degenerate shells are integrated out (S^2)",
       "cumulant-expanded sigma^2(x) on 3000 sphere points", "constant (addition theorem)", 1e-12)
def _ir_shells():
    from ..numerics.input_ridge import sphere_shell_check

    r = sphere_shell_check()
    return r["whole_shells"]["rel_spread_sigma2_x"], (f"half a shell cut instead: spread "
                                                     f"{r['half_last_shell']['rel_spread_sigma2_x']:.3g}")


@check("input_ridge.gaussian_features", "sigma^2(x) reduces to the universal constant for Gaussian features",
       "cumulant form with exact (zero) cumulants", "sigma^2 + sum_{k>kappa} lambda_k", 1e-14)
def _ir_gauss():
    from ..numerics.input_ridge import gaussian_features_check

    r = gaussian_features_check()
    return max(r["rel_dev_exact_cumulants"], r["flow_dev_exact_cumulants"]), (
        f"with estimated cumulants from {r['n_samples']} samples the spread is {r['rel_spread_estimated']:.3f} "
        f"(sampling scale {r['expected_rel_spread_scale']:.3f})")
