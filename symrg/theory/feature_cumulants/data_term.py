"""The greater field integrated out of the data term ``(h + g)^2 / (2 sigma^2)``: by the Wilsonian
engine (cumulant expansion) and by exact Gaussian integration per sample and over ``M -> 0`` replicas,
both giving ``sigma^2 -> sigma^2 + V(x)``; and the addition theorem that makes a whole degenerate shell
give a constant (docs/theory.md section 5)."""
from __future__ import annotations

import sympy as sp

from ...errors import VerificationError
from .conditional import SIGMA2

__all__ = ["shell_addition_check"]


def _engine_data_term(order: int = 3):
    """Wilsonian engine on ``(a + b - y)^2/(2 sigma^2)``, ``b`` of propagator ``V = sum lambda_k E_k``."""
    from ...engine import parse_action, wilson_step

    action = parse_action({
        "name": "input-dependent ridge (docs/theory.md section 5)",
        "parameters": {"sigma": "positive", "y": "real"},
        "sums": {"V": {"summand": "lambda*E"}},
        "fields": {"a": {"role": "kept"}, "b": {"role": "integrated", "propagator": "V"}},
        "action": {"interaction": "(a + b - y)**2/(2*sigma**2)"},
    })
    res = wilson_step(action, order=order)
    a = sp.Symbol("a")
    key = next(k for k in res.coefficients if k == a**2 or str(k) == "a**2")
    coeff = res.coefficients[key]
    flow = res.flow[key]
    V = next(s for s in coeff.free_symbols if s.name == "V")
    sigma = next(s for s in coeff.free_symbols if s.name == "sigma")
    lamk = next(s for s in flow.free_symbols if s.name == "lambda_kappa")
    Ek = next(s for s in flow.free_symbols if s.name == "E_kappa")
    # the a^2 coefficient must be the series of 1/(2 (sigma^2 + V)) to the engine's order
    target = sp.series(1 / (2 * (sigma**2 + V)), V, 0, order).removeO()
    if sp.expand(coeff - target) != 0:
        raise VerificationError(f"engine a^2 coefficient {coeff} is not the series of 1/(2(sigma^2+V))")
    # flow of the ridge: sigma_eff^2 = 1/(2 [a^2]); d/dkappa through dV/dkappa = -lambda E
    ridge_series = sp.series(1 / (2 * coeff), V, 0, order).removeO()
    dV = flow / sp.diff(coeff, V)               # engine flow = (d coeff/dV) dV/dkappa
    dV = sp.simplify(sp.series(dV, V, 0, order - 1).removeO())
    if sp.simplify(dV + lamk * Ek) != 0:
        raise VerificationError(f"engine flow of V is {dV}, not -lambda_kappa E_kappa")
    return {"a2_coefficient": coeff, "a2_flow": flow, "ridge_series": sp.expand(ridge_series),
            "dV_dkappa": dV, "V": V, "sigma": sigma, "latex": res.to_latex()}


def _exact_data_term():
    """Per sample and M replicas: ∫ dg N(g; 0, V) exp(-(h+g)^2/(2 sigma^2)) -> sigma^2 + V."""
    from ..gaussian import _gaussian_prior_action, _data_action, gaussian_integrate, read_off_ridge

    V = sp.Symbol("V", positive=True)
    h = sp.Symbol("h", real=True)
    g = sp.Symbol("g", real=True)
    w = sp.exp(-g**2 / (2 * V)) / sp.sqrt(2 * sp.pi * V)
    per = sp.simplify(sp.integrate(w * sp.exp(-(h + g)**2 / (2 * SIGMA2)), (g, -sp.oo, sp.oo), conds="none"))
    ridge_ps, pref_ps = read_off_ridge(per, [h])
    reps = {}
    for M in (1, 2, 3):
        hs = sp.symbols(f"h1:{M + 1}", real=True)
        gs = sp.symbols(f"g1:{M + 1}", real=True)
        s_eff = gaussian_integrate(_gaussian_prior_action(gs, V * sp.eye(M)) + _data_action(hs, gs, SIGMA2), gs)
        ridge_m, pref_m = read_off_ridge(sp.exp(-s_eff), hs)
        reps[M] = (ridge_m, pref_m)
    Ms = sp.Symbol("M", nonnegative=True)
    p1 = reps[1][1]
    for M in (2, 3):
        if sp.simplify(reps[M][1] - p1**M) != 0 or sp.simplify(reps[M][0] - reps[1][0]) != 0:
            raise VerificationError(f"replica integral with M={M} does not factorise")
    pref = sp.powsimp(p1**Ms, force=True)
    limit = sp.limit(pref, Ms, 0)
    for r in (ridge_ps, reps[1][0]):
        if sp.simplify(r - (SIGMA2 + V)) != 0:
            raise VerificationError(f"integrating g out gives ridge {r}, not sigma^2 + V")
    return {"per_sample": per, "sigma2_per_sample": ridge_ps, "sigma2_replica": reps[1][0],
            "replica_prefactor": pref, "replica_prefactor_limit": limit, "V": V}


def shell_addition_check(d: int = 3, l: int = 2) -> sp.Expr:
    """Addition theorem in SymPy: ``sum_m Y_lm(x)^2`` over a real basis of degree-``l`` harmonics
    on S^2 (d = 3), normalised ``∫ dmu Y^2 = 1``, is the constant ``N(3, l) = 2l + 1``.

    The orthonormal basis is built from ``sympy.Znm`` (real spherical harmonics) scaled by
    ``sqrt(4 pi)`` (uniform probability measure). Returns the simplified sum.
    """
    if d != 3:
        raise ValueError("the symbolic addition-theorem check is implemented for d = 3")
    th, ph = sp.symbols("theta phi", real=True)
    tot = sum(4 * sp.pi * sp.expand_func(sp.Znm(l, m, th, ph)).expand(func=True)**2 for m in range(-l, l + 1))
    tot = sp.simplify(sp.trigsimp(sp.expand(tot.rewrite(sp.cos))))
    if tot.free_symbols:
        raise VerificationError(f"sum_m Y_lm^2 is not constant: {tot}")
    if tot != 2 * l + 1:
        raise VerificationError(f"sum_m Y_lm^2 = {tot}, expected N(3, {l}) = {2 * l + 1}")
    return tot

