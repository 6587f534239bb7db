"""The self-consistent flow derived by the engine (docs/theory.md section 4a).

The derivation checks itself symbolically (it raises on failure); these tests hold its results
against independent numbers: mpmath quadrature of the dressed-propagator integral, and the
closure evaluated on a concrete spectrum against a direct evaluation of the eigenlearning
equation (Canatar, Bordelon & Pehlevan 2021).
"""
import mpmath
import sympy as sp

from symrg.theory.gaussian import K, LAMBDA, SIGMA2
from symrg.theory.selfconsistent import ETA, KAPPA_EFF, LAM, SIGMA2_EFF, derive_selfconsistent_flow


def test_fields_are_derived_and_consistent():
    d = derive_selfconsistent_flow()
    assert d.equivalence == 0
    assert sp.simplify(d.dressed_propagator - 1 / (1 / LAM + ETA / SIGMA2)) == 0
    # five orders of the engine series are the Taylor coefficients of the resummed propagator
    assert sp.expand(d.propagator_series).coeff(ETA, 3) == -LAM ** 4 / SIGMA2 ** 3
    assert d.sharp_limit.has(sp.Sum) and str(d.sharp_limit) == "sigma2 + Sum(lambda(k), (k, kappa_star + 1, oo))"


def test_dressed_propagator_against_quadrature():
    """<f^2> under exp(-f^2/(2 lam) - eta f^2/(2 sigma^2)), by mpmath quadrature."""
    d = derive_selfconsistent_flow()
    lam, eta, s2 = mpmath.mpf("0.37"), mpmath.mpf(11), mpmath.mpf("0.05")
    with mpmath.workdps(30):
        w = lambda f: mpmath.exp(-f * f / (2 * lam) - eta * f * f / (2 * s2))  # noqa: E731
        num = mpmath.quad(lambda f: f * f * w(f), [-mpmath.inf, 0, mpmath.inf])
        den = mpmath.quad(w, [-mpmath.inf, 0, mpmath.inf])
        exact = num / den
    got = d.dressed_propagator.subs({LAM: sp.Float("0.37", 30), ETA: 11, SIGMA2: sp.Float("0.05", 30)})
    assert abs(float(got) / float(exact) - 1) < 1e-14


def test_closure_is_eigenlearning_on_a_concrete_spectrum():
    """Solve eigenlearning for kappa_eff by mpmath findroot on a 4-mode spectrum, then the derived
    residual at sigma_eff^2 = eta kappa_eff must vanish (to 30 digits)."""
    d = derive_selfconsistent_flow()
    lams = [mpmath.mpf(x) for x in ("1", "0.3", "0.05", "0.002")]
    s2, eta = mpmath.mpf("0.01"), mpmath.mpf(3)
    with mpmath.workdps(40):
        f = lambda k: sum(l / (l + k) for l in lams) + s2 / k - eta  # noqa: E731
        keff = mpmath.findroot(f, (mpmath.mpf("1e-6"), mpmath.mpf(10)), solver="anderson")
        sub = {SIGMA2: sp.Float(str(s2), 40), ETA: 3, SIGMA2_EFF: sp.Float(str(eta * keff), 40)}
        res = d.residual.subs(sub)
        res = res.replace(lambda e: isinstance(e, sp.Sum),
                          lambda s: sp.Add(*[s.function.subs(LAMBDA(K), sp.Float(str(l), 40)) for l in lams]))
        assert abs(float(res)) < 1e-25
    assert KAPPA_EFF in d.eigenlearning.free_symbols
