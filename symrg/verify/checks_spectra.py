"""Checks of the spectra (docs/theory.md sections 1 and 7): Funk-Hecke eigenvalues by the fast series against
exact integrals, mpmath quadrature and the Mercer sum rule."""
from __future__ import annotations

import numpy as np

from .registry import _rel, check


@check("spectrum.circle_exact", "ReLU eigenvalues on S^1 (rational multiples of 1/pi^2; docs/theory.md section 1)",
       "funk_hecke_fast: float64 sign-definite series of the kernel's expansion",
       "SymPy exact integral of k(cos theta) cos(l theta) over [0, pi]", 1e-13, category="two-route")
def _circle_exact():
    import sympy as sp

    from ..spectra.funk_hecke import funk_hecke_fast
    from ..spectra.kernels import NNGPKernel

    th = sp.symbols("theta", real=True)
    k = (sp.sin(th) + (sp.pi - th) * sp.cos(th)) / sp.pi
    ls = [0, 1, 2, 4, 6]
    exact = [float(sp.integrate(k * sp.cos(l * th), (th, 0, sp.pi)) / sp.pi) for l in ls]
    fast = funk_hecke_fast(NNGPKernel("relu", 1), 2, 8)[ls]
    return _rel(fast, exact), f"degrees {ls}"


def _fast_vs_mp(act, depth, d, lmax, dps):
    from ..spectra.funk_hecke import funk_hecke_fast, funk_hecke_mp, log_multiplicity
    from ..spectra.kernels import NNGPKernel

    k = NNGPKernel(act, depth)
    fast = funk_hecke_fast(k, d, lmax)
    mp = np.array([float(x) for x in funk_hecke_mp(k, d, lmax, dps=dps)])
    power = np.exp(log_multiplicity(d, np.arange(lmax + 1))) * np.abs(mp)
    m = (power > 1e-16 * k.k1) & (np.abs(mp) > np.finfo(float).tiny)
    rel = np.abs(fast - mp)[m] / np.abs(mp[m])
    return float(rel.max()), (f"{act} depth {depth}, d={d}, {int(m.sum())} degrees <= {lmax} carrying power; "
                              f"smallest eigenvalue {np.abs(mp[m]).min():.3e}; mp at {dps} digits")


@check("spectrum.fast_vs_mp", "Funk-Hecke eigenvalues lambda_l (S^2, l <= 24; docs/theory.md section 1)",
       "funk_hecke_fast: float64 sign-definite series",
       "funk_hecke_mp: mpmath tanh-sinh quadrature of k(t) P_l(t) against the Funk-Hecke weight", 1e-10,
       category="two-route")
def _fvm_quick():
    return _fast_vs_mp("relu", 1, 3, 24, 45)


@check("spectrum.fast_vs_mp_circle_l200", "Funk-Hecke eigenvalues on S^1 up to l = 200 (docs/theory.md section 1)",
       "funk_hecke_fast: float64 sign-definite series",
       "funk_hecke_mp: mpmath tanh-sinh quadrature of k(t) P_l(t)", 1e-10, full=True, category="two-route")
def _fvm_circle():
    return _fast_vs_mp("relu", 1, 2, 200, 45)


@check("spectrum.fast_vs_mp_d784", "Funk-Hecke eigenvalues on S^783 (MNIST dimension), depth 3 (docs/theory.md section 1)",
       "funk_hecke_fast: float64 sign-definite series",
       "funk_hecke_mp: mpmath tanh-sinh quadrature of k(t) P_l(t)", 1e-10, full=True, category="two-route")
def _fvm_784():
    return _fast_vs_mp("relu", 3, 784, 60, 130)


@check("spectrum.sum_rule", "sum_l N(d,l) lambda_l = k(1) (erf NNGP, d = 10; Mercer trace, docs/theory.md section 1)",
       "sum over shells l <= 200 of multiplicity times Funk-Hecke eigenvalue (sphere_spectrum)",
       "the kernel's closed-form value k(1) on the diagonal", 1e-12, category="two-route")
def _sum_rule():
    from ..spectra.funk_hecke import sphere_spectrum
    from ..spectra.kernels import NNGPKernel

    k = NNGPKernel("erf", 2)
    spec = sphere_spectrum(k, 10, 200)
    return abs(spec.sum_rule_residual()) / k.k1, "lmax = 200"
