"""The Gaussian Wilsonian step, derived by SymPy (docs/theory.md section 4).

What is derived and what is put in
----------------------------------
Put in (definitions, from the theory):

* the data term of one input, ``exp(-(h + g)^2/(2 sigma^2))`` with ``h = f_<(x) - y(x)`` and
  ``g = f_>(x)`` (docs/theory.md sections 2.1 and 4);
* the law of the greater field for Gaussian features: ``g ~ N(0, c)`` per input,
  ``g ~ N(0, C)`` at ``n`` inputs, and ``g_a ~ N(0, c delta_ab)`` for ``M`` replicas after
  self-averaging (docs/theory.md section 4);
* the identification ``c = sum_{k > kappa} lambda_k`` (the variance of ``f_>(x)`` averaged over
  ``mu``, with ``∫ dmu phi_k^2 = 1``) and the power law ``lambda_k = A k^-(1+alpha)``.

Derived by SymPy (nothing below is typed in):

* the per-sample integral over ``g`` (``sympy.integrate``) and its form
  ``prefactor * exp(-h^2 / (2 sigma_kappa^2))``; the renormalised ridge is *read off* as
  ``-1 / (2 [h^2] log(result))``;
* the ``n``-point marginal likelihood and the ``M``-replica integrals by a generic symbolic
  Gaussian integration (:func:`gaussian_integrate`) whose matrix ``A`` and source ``J`` come from
  ``sympy.hessian`` / differentiation of the action;
* the ``M -> 0`` limit of the replica prefactor (``sympy.limit``);
* the discrete flow by splitting the first term off a ``Sum`` (verified by SymPy's own
  ``sum_simplify``), the continuum flow by differentiating an ``Integral``;
* the Hurwitz-zeta form of the power-law tail (``sympy.summation``), its discrete flow
  (``expand_func`` of a harmonic-number difference) and its large-``kappa`` asymptotic (the
  leading Euler-Maclaurin term, ``sympy.integrate``).

Closed forms from docs/theory.md appear in this file only as *check targets* (compared with
``simplify``); a failed check raises :class:`~symrg.errors.VerificationError`.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields

import sympy as sp
from sympy.matrices.utilities import dotprodsimp
from sympy.simplify.simplify import sum_simplify

from ..engine.resum import gaussian_integrate
from ..errors import VerificationError

__all__ = [
    "GaussianFlowDerivation",
    "derive_gaussian_flow",
    "gaussian_integrate",
    "read_off_ridge",
    "SYMBOLS",
]

# --- symbols (module constants: built once, shared by the codegen) -------------------------
SIGMA2 = sp.Symbol("sigma2", positive=True)  # bare ridge sigma^2
C = sp.Symbol("c", positive=True)  # variance of the greater field at one input
H = sp.Symbol("h", real=True)  # h = f_<(x) - y(x)
G = sp.Symbol("g", real=True)  # g = f_>(x)
M = sp.Symbol("M", nonnegative=True, integer=True)  # number of replicas
K = sp.Symbol("k", integer=True, positive=True)  # mode index (summation variable)
KAPPA = sp.Symbol("kappa", integer=True, positive=True)  # cutoff (discrete)
KAPPA_C = sp.Symbol("kappa", positive=True)  # cutoff (continuum)
K_C = sp.Symbol("k", positive=True)  # mode index (continuum integration variable)
A = sp.Symbol("A", positive=True)  # power-law amplitude
ALPHA = sp.Symbol("alpha", positive=True)  # power-law exponent: lambda_k = A k^-(1+alpha)
LAMBDA = sp.Function("lambda")  # the spectrum lambda(k)

SYMBOLS = {
    "sigma2": SIGMA2, "c": C, "h": H, "g": G, "M": M, "k": K, "kappa": KAPPA,
    "kappa_continuum": KAPPA_C, "A": A, "alpha": ALPHA, "lambda": LAMBDA,
}


# --- generic symbolic Gaussian integration: engine.resum.gaussian_integrate ---------------------


def _gaussian_prior_action(g, cov: sp.Matrix) -> sp.Expr:
    """``-log N(g; 0, cov)``: the definition of the normal density, the weight of ``f_>``."""
    gv = sp.Matrix(g)
    n = len(g)
    with dotprodsimp(False):
        return (gv.T * cov.inv() * gv)[0, 0] / 2 + sp.log((2 * sp.pi) ** n * cov.det()) / 2


def _data_action(h, g, sigma2) -> sp.Expr:
    """Data term of docs/theory.md section 2: ``sum_i (h_i + g_i)^2 / (2 sigma^2)``."""
    return sum((hi + gi) ** 2 for hi, gi in zip(h, g)) / (2 * sigma2)


# --- reading a ridge off a result -------------------------------------------------------------
def read_off_ridge(result: sp.Expr, hs) -> tuple[sp.Expr, sp.Expr]:
    """Match ``result = P * exp(-sum_i h_i^2 / (2 s))`` and return ``(s, P)``.

    ``log(result)`` is expanded and must be a polynomial of degree 2 in ``hs`` with no linear
    and no cross terms and equal diagonal coefficients; ``s = -1 / (2 * [h_1^2] log result)``.
    """
    hs = list(hs)
    logr = sp.expand(sp.expand_log(sp.log(result), force=True))
    poly = sp.Poly(logr, *hs)
    if poly.total_degree() != 2:
        raise VerificationError(f"result is not Gaussian in {hs}: degree {poly.total_degree()}")
    for monom, coeff in poly.terms():
        if sum(monom) == 1 or (sum(monom) == 2 and max(monom) == 1):
            if sp.simplify(coeff) != 0:
                raise VerificationError(f"unexpected term {coeff}*{monom} in log(result)")
    diag = [sp.simplify(poly.coeff_monomial(hi**2)) for hi in hs]
    if any(sp.simplify(d - diag[0]) != 0 for d in diag[1:]):
        raise VerificationError("the quadratic form in h is not proportional to the identity")
    ridge = sp.factor(sp.simplify(-1 / (2 * diag[0])))
    prefactor = _tidy(sp.exp(poly.coeff_monomial(1)))
    return ridge, prefactor


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Canonical tidy form: factor everywhere (so ``sqrt(c^2 + 2 c s + s^2) -> c + s``), simplify."""
    expr = sp.factor(sp.simplify(expr), deep=True)
    expr = expr.replace(lambda e: isinstance(e, sp.exp), lambda e: sp.exp(sp.factor(e.args[0])))
    return sp.powdenest(expr, force=True)


def _latex(expr) -> str:
    return sp.latex(expr, symbol_names={SIGMA2: r"\sigma^{2}"})


# --- the dataclass ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GaussianFlowDerivation:
    """Results of the Gaussian Wilsonian step, every field produced by SymPy.

    Fields (the formulas of docs/theory.md section 4):

    sigma2_kappa : ``sigma^2 + Sum(lambda(k), (k, kappa+1, oo))`` (renormalised ridge)
    flow_discrete : ``sigma2_kappa - sigma2_{kappa-1} = -lambda(kappa)``
    flow_continuum : ``d sigma2_kappa / d kappa = -lambda(kappa)``
    sigma2_powerlaw : ``sigma^2 + A zeta(1+alpha, kappa+1)``
    flow_powerlaw : continuum flow for the power law, ``-A kappa^-(1+alpha)``
    flow_powerlaw_discrete : ``A [zeta(1+alpha, kappa+1) - zeta(1+alpha, kappa)] = -A kappa^-(1+alpha)``
    sigma2_powerlaw_asymptotic : ``sigma^2 + A kappa^-alpha / alpha`` (leading Euler-Maclaurin term)
    replica_prefactor : ``(sigma^2/(sigma^2+c))^(M/2)`` for symbolic M
    replica_prefactor_limit : its ``M -> 0`` limit (= 1)
    per_sample_result : ``∫ dg N(g;0,c) exp(-(h+g)^2/(2 sigma^2))``, simplified
    sigma2_per_sample, sigma2_replica : the ridges read off the two routes (both ``sigma^2 + c``)
    noise_covariance_2, noise_covariance_3 : the noise covariance of the n-point marginal
        likelihood (n = 2, 3), ``sigma^2 I + C``; for n = 2 the whole integral is also checked to
        be ``(2 pi sigma^2)^(n/2) N(h; 0, sigma^2 I + C)`` (normalisation included)
    """

    sigma2_kappa: sp.Expr
    flow_discrete: sp.Expr
    flow_continuum: sp.Expr
    sigma2_powerlaw: sp.Expr
    flow_powerlaw: sp.Expr
    flow_powerlaw_discrete: sp.Expr
    sigma2_powerlaw_asymptotic: sp.Expr
    replica_prefactor: sp.Expr
    replica_prefactor_limit: sp.Expr
    per_sample_result: sp.Expr
    sigma2_per_sample: sp.Expr
    sigma2_replica: sp.Expr
    noise_covariance_2: sp.ImmutableMatrix
    noise_covariance_3: sp.ImmutableMatrix

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, sp.Basic):
                raise TypeError(f"GaussianFlowDerivation.{f.name} must be a SymPy object, got {type(v).__name__}")

    def items(self):
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def latex(self) -> dict[str, str]:
        """Name -> LaTeX string of every field (``sigma2`` printed as ``\\sigma^{2}``)."""
        return {name: _latex(v) for name, v in self.items()}

    def to_dict(self) -> dict:
        """JSON-ready dict: for every field its ``str``, ``latex`` and ``srepr``."""
        return {name: {"str": str(v), "latex": _latex(v), "srepr": sp.srepr(v)} for name, v in self.items()}

    def to_json(self) -> str:
        """Deterministic JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


# --- the derivation, step by step -------------------------------------------------------------
def _per_sample():
    """Step 1: integrate one greater-field value out of one data term (``sympy.integrate``)."""
    weight = sp.exp(-(G**2) / (2 * C)) / sp.sqrt(2 * sp.pi * C)  # N(g; 0, c)
    data = sp.exp(-((H + G) ** 2) / (2 * SIGMA2))
    raw = sp.integrate(weight * data, (G, -sp.oo, sp.oo), conds="none")
    result = _tidy(raw)
    ridge, prefactor = read_off_ridge(result, [H])
    # the same integral by the generic Gaussian routine must agree
    s_eff = gaussian_integrate(_gaussian_prior_action([G], sp.Matrix([[C]])) + _data_action([H], [G], SIGMA2), [G])
    if sp.simplify(sp.expand_log(sp.log(result) + s_eff, force=True)) != 0:
        raise VerificationError("sympy.integrate and gaussian_integrate disagree on the per-sample integral")
    return result, ridge, prefactor


def _multi_point(n: int) -> sp.ImmutableMatrix:
    """Step 1b: n inputs, greater field ``g ~ N(0, C)`` with diagonal c and symbolic off-diagonals.

    Returns the noise covariance of the marginal likelihood of ``h``: the inverse of the Hessian
    in ``h`` of ``-log ∫ dg N(g; 0, C) exp(-|h + g|^2 / (2 sigma^2))``.
    """
    hs = sp.symbols(f"h1:{n + 1}", real=True)
    gs = sp.symbols(f"g1:{n + 1}", real=True)
    cov = sp.Matrix(n, n, lambda i, j: C if i == j else sp.Symbol(f"c{min(i, j) + 1}{max(i, j) + 1}", real=True))
    s_eff = gaussian_integrate(_gaussian_prior_action(gs, cov) + _data_action(hs, gs, SIGMA2), gs)
    with dotprodsimp(False):
        precision = sp.hessian(s_eff, hs).applyfunc(sp.cancel)
    if any(entry.has(*hs) for entry in precision):
        raise VerificationError("the n-point marginal is not Gaussian in h")
    noise = precision.inv().applyfunc(sp.factor)
    if n == 2:  # the normalisation too: result = (2 pi sigma^2)^(n/2) N(h; 0, noise)
        hv = sp.Matrix(hs)
        with dotprodsimp(False):
            log_normal = -(hv.T * noise.inv() * hv)[0, 0] / 2 - sp.log((2 * sp.pi) ** n * noise.det()) / 2
        gap = -s_eff - (sp.Rational(n, 2) * sp.log(2 * sp.pi * SIGMA2) + log_normal)
        # gap is quadratic in h: it vanishes iff its h-Hessian, h-gradient and value at h = 0 do
        at0 = {hi: 0 for hi in hs}
        quad_ok = all(sp.simplify(e) == 0 for e in sp.hessian(gap, hs)) and all(
            sp.simplify(sp.diff(gap, hi).subs(at0)) == 0 for hi in hs)
        if not quad_ok or sp.simplify(sp.exp(2 * gap.subs(at0))) != 1:
            raise VerificationError("the 2-point integral is not the marginal likelihood N(h; 0, sigma^2 I + C)")
    return sp.ImmutableMatrix(noise), sp.ImmutableMatrix(cov)


def _replica(m: int):
    """Step 2: ``M = m`` replicas with ``g_a`` iid ``N(0, c)``; the integral as an expression."""
    hs = sp.symbols(f"h1:{m + 1}", real=True)
    gs = sp.symbols(f"g1:{m + 1}", real=True)
    s_eff = gaussian_integrate(_gaussian_prior_action(gs, C * sp.eye(m)) + _data_action(hs, gs, SIGMA2), gs)
    return _tidy(sp.exp(-s_eff)), hs


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    """Structural equality up to power simplification (``k**(-a-1)`` vs ``1/(k*k**a)``)."""
    return a == b or sp.powsimp(a, force=True) == sp.powsimp(b, force=True) or sp.simplify(a - b) == 0


def _split_first_term(s: sp.Sum) -> sp.Expr:
    """``Sum(f, (k, a, b)) -> f(a) + Sum(f, (k, a+1, b))``, checked by SymPy's ``sum_simplify``."""
    (k, a, b), = s.limits
    first = sp.Sum(s.function, (k, a, a))
    rest = sp.Sum(s.function, (k, a + 1, b))
    if not _same(sum_simplify(first + rest), s):
        raise VerificationError(f"sum_simplify does not recombine the split of {s}")
    return first.doit() + rest


def _split_last_term(s: sp.Sum) -> sp.Expr:
    """``Sum(f, (k, a, b)) -> Sum(f, (k, a, b-1)) + f(b)``, checked by SymPy's ``sum_simplify``."""
    (k, a, b), = s.limits
    rest = sp.Sum(s.function, (k, a, b - 1))
    last = sp.Sum(s.function, (k, b, b))
    if not _same(sum_simplify(rest + last), s):
        raise VerificationError(f"sum_simplify does not recombine the split of {s}")
    return rest + last.doit()


def _insert_spectrum(expr: sp.Expr, fn: sp.Lambda) -> sp.Expr:
    """Replace every application ``lambda(x)`` by ``fn(x)`` (also inside Sum/Integral)."""
    return expr.replace(lambda e: isinstance(e, sp.core.function.AppliedUndef) and e.func == LAMBDA,
                        lambda e: fn(*e.args))


def _summation_linear(summand: sp.Expr, limits) -> sp.Expr:
    """``sympy.summation`` after pulling factors free of the index out (linearity)."""
    k = limits[0]
    total = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(summand, power_exp=False, power_base=False)):
        const, dep = term.as_independent(k, as_Add=False)
        total += const * sp.summation(dep, limits)
    return total


@functools.lru_cache(maxsize=None)
def derive_gaussian_flow() -> GaussianFlowDerivation:
    """Run the derivation of docs/theory.md section 4 (a few seconds; memoised)."""
    # 1. per sample (equivalent kernel): sympy.integrate, read-off
    per_sample, ridge_ps, _ = _per_sample()

    # 1b. finite n: marginal likelihood with noise covariance sigma^2 I + C
    noise = {}
    for n in (2, 3):
        nz, cov = _multi_point(n)
        if (nz - (SIGMA2 * sp.eye(n) + cov)).applyfunc(sp.simplify) != sp.zeros(n, n):
            raise VerificationError(f"{n}-point noise covariance is not sigma^2 I + C: {nz}")
        noise[n] = nz

    # 2. replicas: explicit M = 1, 2, 3; then symbolic M by factorisation
    p1 = None
    for m in (1, 2, 3):
        res, hs = _replica(m)
        ridge_m, pref_m = read_off_ridge(res, hs)
        if m == 1:
            p1 = pref_m
            ridge_rep = ridge_m
        # factorisation: the integrand is a product of m identical one-replica integrands
        elif sp.simplify(pref_m - p1**m) != 0 or sp.simplify(ridge_m - ridge_rep) != 0:
            raise VerificationError(f"M={m} replica integral does not factorise")
        # check target from docs/theory.md section 4
        target = (SIGMA2 / (SIGMA2 + C)) ** sp.Rational(m, 2) * sp.exp(-sum(x**2 for x in hs) / (2 * (SIGMA2 + C)))
        if sp.simplify(res / target) != 1:
            raise VerificationError(f"M={m} replica integral differs from the closed form of docs/theory.md section 4")
    replica_prefactor = sp.powsimp(p1**M, force=True)  # product of M identical one-replica factors
    prefactor_limit = sp.limit(replica_prefactor, M, 0)
    if sp.simplify(ridge_rep - ridge_ps) != 0:
        raise VerificationError("replica and per-sample ridges differ")

    # 3. identify c with the tail of the spectrum; flows
    tail = sp.Sum(LAMBDA(K), (K, KAPPA + 1, sp.oo))
    sigma2_kappa = ridge_ps.subs(C, tail)
    shifted = sigma2_kappa.subs(KAPPA, KAPPA - 1).replace(lambda e: isinstance(e, sp.Sum), _split_first_term)
    flow_discrete = sp.simplify(sigma2_kappa - shifted)
    tail_continuum = sp.Integral(LAMBDA(K_C), (K_C, KAPPA_C, sp.oo))
    sigma2_continuum = ridge_ps.subs(C, tail_continuum)
    flow_continuum = sp.diff(sigma2_continuum, KAPPA_C)

    # 4. power law
    lam_pl = A * K ** (-(1 + ALPHA))
    sigma2_powerlaw = sigma2_kappa.replace(
        lambda e: isinstance(e, sp.Sum),
        lambda s: _summation_linear(s.function.subs(LAMBDA(K), lam_pl), s.limits[0]))
    if sigma2_powerlaw.has(sp.Sum):
        raise VerificationError("sympy.summation left the power-law tail unevaluated")
    # discrete flow of the Hurwitz form: expand_func turns zeta(s, kappa+1) - zeta(s, kappa) into
    # harmonic numbers; SymPy rewrites those as finite Sums, whose last term is split off
    diff_pl = sp.expand_func(sigma2_powerlaw - sigma2_powerlaw.subs(KAPPA, KAPPA - 1))
    diff_pl = diff_pl.rewrite(sp.Sum).replace(
        lambda e: isinstance(e, sp.Sum), lambda e: e.xreplace({e.variables[0]: K}))
    diff_pl = diff_pl.replace(
        lambda e: isinstance(e, sp.Sum) and e.limits[0][2] == KAPPA, _split_last_term)
    flow_powerlaw_discrete = sp.powsimp(sp.simplify(diff_pl))
    lam_pl_fn = sp.Lambda(K, lam_pl)
    if sp.simplify(flow_powerlaw_discrete - _insert_spectrum(flow_discrete, lam_pl_fn)) != 0:
        raise VerificationError("discrete power-law flow differs from -lambda(kappa)")
    lam_pl_c = sp.Lambda(K_C, A * K_C ** (-(1 + ALPHA)))
    flow_powerlaw = sp.powsimp(_insert_spectrum(flow_continuum, lam_pl_c).doit())
    # continuum (integral) approximation of the tail = leading Euler-Maclaurin term
    sigma2_powerlaw_asymptotic = sp.powsimp(
        _insert_spectrum(sigma2_continuum, lam_pl_c).replace(
            lambda e: isinstance(e, sp.Integral), lambda e: sp.integrate(e.function, e.limits[0], conds="none")))
    if sp.simplify(sp.diff(sigma2_powerlaw_asymptotic, KAPPA_C) - flow_powerlaw) != 0:
        raise VerificationError("the asymptotic ridge does not integrate the continuum flow")

    return GaussianFlowDerivation(
        sigma2_kappa=sigma2_kappa,
        flow_discrete=flow_discrete,
        flow_continuum=flow_continuum,
        sigma2_powerlaw=sigma2_powerlaw,
        flow_powerlaw=flow_powerlaw,
        flow_powerlaw_discrete=flow_powerlaw_discrete,
        sigma2_powerlaw_asymptotic=sigma2_powerlaw_asymptotic,
        replica_prefactor=replica_prefactor,
        replica_prefactor_limit=prefactor_limit,
        per_sample_result=per_sample,
        sigma2_per_sample=ridge_ps,
        sigma2_replica=ridge_rep,
        noise_covariance_2=noise[2],
        noise_covariance_3=noise[3],
    )
