"""The self-consistent (Hartree) Wilsonian flow, derived with the engine (docs/theory.md section 4a).

What is put in and what is derived
----------------------------------
Put in (definitions):

* the equivalent-kernel action of one greater mode, ``f^2/(2 lambda) + eta f^2/(2 sigma^2)`` (its
  data term kept in ``S_0``, docs/theory.md sections 2.2 and 3);
* the per-input variance of the greater field averaged over the data measure,
  ``c = sum_k G_k`` (orthonormality ``∫ dmu phi_k phi_q = delta_kq``);
* the eigenlearning equation of Canatar, Bordelon & Pehlevan (Nat. Commun. 12, 2914, 2021) and
  Simon et al. (arXiv:2110.03922), ``sum_k lambda_k/(lambda_k + kappa) + sigma^2/kappa = n``, as the
  *check target* of the equivalence.

Derived (nothing below is typed in):

* the data-dressed propagator ``G_k = (1/lambda_k + eta/sigma^2)^{-1}`` by exact Gaussian
  integration (:func:`symrg.engine.resum.dressed_propagator`), and the same propagator as the
  engine's cumulant series (:func:`symrg.engine.wilson_step`, the chain of data-term insertions on
  the bare line), checked to agree order by order;
* the one-loop ridge ``sigma^2 + sum_k G_k``: the per-sample Gaussian integral of
  :func:`symrg.theory.gaussian.derive_gaussian_flow` with the dressed variance;
* the Hartree closure (:func:`symrg.engine.resum.self_consistent`):
  ``sigma_eff^2 = sigma^2 + sum_k lambda_k sigma_eff^2 / (sigma_eff^2 + eta lambda_k)``;
* its equivalence with eigenlearning: substituting ``sigma_eff^2 = eta kappa_eff`` turns the
  residual into ``kappa_eff`` times the eigenlearning equation (``sum_simplify``), so
  ``sigma_eff^2 = n kappa_eff`` exactly when ``eta = n``;
* the learnability form ``G_k = lambda_k (1 - L_k)``, ``L_k = eta lambda_k/(eta lambda_k + sigma_eff^2)``,
  and the sharp cutoff as its step-function limit ``(1 - L_k) -> theta(k > kappa*)``, which gives
  the renormalised ridge ``sigma^2 + sum_{k > kappa*} lambda_k`` of the paper's flow;
* the shell form of the residual (modes grouped by equal eigenvalue, multiplicity ``m_s``, plus
  modes not listed whose power ``T`` enters with ``G -> lambda`` as ``eta lambda/sigma_eff^2 -> 0``;
  the limit is checked and the dropped part is at most ``eta sum lambda^2 / sigma_eff^2``), and
  its derivative in ``sigma_eff^2``; both are lowered to NumPy by :mod:`symrg.codegen.modules`.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields

import sympy as sp
from sympy.simplify.simplify import sum_simplify

from ..engine import make_action, wilson_step
from ..engine.resum import dressed_propagator, self_consistent
from ..errors import VerificationError
from .gaussian import C, K, KAPPA, LAMBDA, SIGMA2, derive_gaussian_flow

__all__ = ["SelfConsistentDerivation", "derive_selfconsistent_flow", "SYMBOLS"]

ETA = sp.Symbol("eta", positive=True)                 # (mean) data-set size
SIGMA2_EFF = sp.Symbol("sigma2_eff", positive=True)   # self-consistent ridge
KAPPA_EFF = sp.Symbol("kappa_eff", positive=True)     # eigenlearning effective ridge
KAPPA_STAR = sp.Symbol("kappa_star", integer=True, positive=True)  # sharp IR stop
LAM = sp.Symbol("lambda_k", positive=True)            # one eigenvalue
FIELD = sp.Symbol("f", real=True)                     # one greater-mode coefficient
MULT = sp.Function("m")                               # shell multiplicities m(s)
TAIL = sp.Symbol("tail", nonnegative=True)            # power of modes not listed
SERIES_ORDER = 5                                      # orders of the engine series checked

SYMBOLS = {"eta": ETA, "sigma2_eff": SIGMA2_EFF, "kappa_eff": KAPPA_EFF, "kappa_star": KAPPA_STAR,
           "lambda_k": LAM, "m": MULT, "tail": TAIL}


@dataclass(frozen=True)
class SelfConsistentDerivation:
    """Every field is a SymPy object produced by the derivation (module docstring).

    dressed_propagator : ``G_k`` as a function of ``lambda_k`` (exact Gaussian integration)
    propagator_series : the engine's cumulant series of ``G_k`` to ``SERIES_ORDER`` insertions
    one_loop_ridge : ``sigma^2 + Sum(G(lambda(k)), (k, 1, oo))``
    closure : ``Eq(sigma2_eff, sigma^2 + Sum(G(lambda(k); sigma2_eff), ...))``
    residual : closure right-hand side minus ``sigma2_eff`` (mode form)
    eigenlearning : the eigenlearning equation ``Sum(lambda/(lambda + kappa_eff)) + sigma^2/kappa_eff - eta``
    equivalence : ``residual(sigma2_eff = eta kappa_eff) - kappa_eff * eigenlearning`` (simplifies to 0)
    learnability : ``L_k = eta lambda_k / (eta lambda_k + sigma2_eff)``
    sharp_limit : ``sigma^2 + Sum(lambda(k), (k, kappa_star + 1, oo))`` (step-function limit)
    residual_shells : the residual over shells with multiplicities ``m`` plus the unlisted power ``tail``
    residual_shells_derivative : its derivative in ``sigma2_eff``
    """

    dressed_propagator: sp.Expr
    propagator_series: sp.Expr
    one_loop_ridge: sp.Expr
    closure: sp.Eq
    residual: sp.Expr
    eigenlearning: sp.Expr
    equivalence: sp.Expr
    learnability: sp.Expr
    sharp_limit: sp.Expr
    residual_shells: sp.Expr
    residual_shells_derivative: sp.Expr

    def __post_init__(self):
        for f in fields(self):
            if not isinstance(getattr(self, f.name), sp.Basic):
                raise TypeError(f"SelfConsistentDerivation.{f.name} must be a SymPy object")

    def items(self):
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def latex(self) -> dict:
        names = {SIGMA2: r"\sigma^{2}", SIGMA2_EFF: r"\sigma^{2}_{\mathrm{eff}}", KAPPA_EFF: r"\kappa_{\mathrm{eff}}",
                 KAPPA_STAR: r"\kappa_{*}"}
        return {n: sp.latex(v, symbol_names=names) for n, v in self.items()}

    def to_dict(self) -> dict:
        tex = self.latex()
        return {n: {"str": str(v), "latex": tex[n], "srepr": sp.srepr(v)} for n, v in self.items()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


def _simplify_summands(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sp.Sum), lambda s: sp.Sum(sp.simplify(s.function), *s.limits))


def _split_at_cutoff(s: sp.Sum, cut: sp.Symbol) -> sp.Expr:
    """``Sum(f, (k, 1, oo)) = Sum(f, (k, 1, cut)) + Sum(f, (k, cut + 1, oo))`` with the step
    function inside ``f`` evaluated on each range (its condition ``k <= cut`` is true on the first,
    false on the second); empty (zero) sums are dropped by ``doit``."""
    (k, lo, hi), = s.limits
    cond = sp.Le(k, cut)
    low = s.function.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.subs(cond, sp.true))
    high = s.function.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.subs(cond, sp.false))
    parts = [sp.Sum(sp.piecewise_fold(low), (k, lo, cut)), sp.Sum(sp.piecewise_fold(high), (k, cut + 1, hi))]
    return sp.Add(*[p.doit() if p.function == 0 else p for p in parts])


def _engine_series(order: int) -> sp.Expr:
    """``<f^2>`` of the greater mode from the engine's cumulant expansion: the bare line
    ``lambda`` with ``eta/sigma^2`` insertions (the quadratic part of the data term as an
    interaction) and a source ``J``; ``S_eff ⊃ -G J^2/2``."""
    J = sp.Symbol("J", real=True)
    act = make_action([J], {FIELD: LAM}, ETA * FIELD ** 2 / (2 * SIGMA2) - J * FIELD,
                      parameters=(ETA, SIGMA2), name="dressed propagator")
    res = wilson_step(act, order + 2, diagrams=False, use_cache=False)
    return sp.expand(-2 * res.coefficient(J ** 2))


@functools.lru_cache(maxsize=None)
def derive_selfconsistent_flow() -> SelfConsistentDerivation:
    """Run the derivation (module docstring); a few seconds, memoised."""
    # 1. dressed propagator: exact Gaussian integration of the EK action of one greater mode
    G = dressed_propagator(FIELD ** 2 / (2 * LAM) + ETA * FIELD ** 2 / (2 * SIGMA2), FIELD)
    series = _engine_series(SERIES_ORDER)
    taylor = sp.expand(sp.series(G, ETA, 0, SERIES_ORDER + 1).removeO())
    if sp.simplify(series - taylor) != 0:
        raise VerificationError(f"engine series {series} differs from the resummed propagator's expansion {taylor}")
    g_of = sp.Lambda(LAM, G)

    # 2. one loop: per-sample ridge sigma^2 + c with c = sum_k G_k (measure-averaged variance)
    ridge_ps = derive_gaussian_flow().sigma2_per_sample
    one_loop = ridge_ps.subs(C, sp.Sum(g_of(LAMBDA(K)), (K, 1, sp.oo)))

    # 3. Hartree closure: the loop evaluated at the closed ridge
    closure = self_consistent(one_loop, SIGMA2, SIGMA2_EFF)
    residual = _simplify_summands(closure.residual)

    # 4. equivalence with eigenlearning (check target from the literature)
    eigen = sp.Sum(LAMBDA(K) / (LAMBDA(K) + KAPPA_EFF), (K, 1, sp.oo)) + SIGMA2 / KAPPA_EFF - ETA
    sub = _simplify_summands(residual.subs(SIGMA2_EFF, ETA * KAPPA_EFF))
    equivalence = sp.simplify(sum_simplify(sp.expand(sub - KAPPA_EFF * eigen)))
    if equivalence != 0:
        raise VerificationError(f"the closure is not the eigenlearning equation: remainder {equivalence}")

    # 5. learnability form and the sharp (step-function) limit
    L = ETA * LAM / (ETA * LAM + SIGMA2_EFF)
    if sp.simplify(G.subs(SIGMA2, SIGMA2_EFF) - LAM * (1 - L)) != 0:
        raise VerificationError("dressed propagator is not lambda (1 - L)")
    step = sp.Lambda(LAM, LAM * sp.Piecewise((0, K <= KAPPA_STAR), (1, True)))  # (1 - L) -> theta(k > kappa*)
    sharp = SIGMA2 + _split_at_cutoff(sp.Sum(step(LAMBDA(K)), (K, 1, sp.oo)), KAPPA_STAR)
    paper = derive_gaussian_flow().sigma2_kappa.subs(KAPPA, KAPPA_STAR)
    if sp.simplify(sharp - paper) != 0:
        raise VerificationError("the step-function limit is not the paper's renormalised ridge")

    # 6. shell form for numerics: group equal eigenvalues (multiplicity m), unlisted modes -> tail
    if sp.limit((G.subs(SIGMA2, SIGMA2_EFF) - LAM) / LAM, LAM, 0) != 0:
        raise VerificationError("G_k does not tend to lambda_k for small eigenvalues")
    shells = residual.replace(lambda e: isinstance(e, sp.Sum),
                              lambda s: sp.Sum(MULT(K) * s.function, *s.limits)) + TAIL
    deriv = _simplify_summands(sp.diff(shells, SIGMA2_EFF))
    return SelfConsistentDerivation(
        dressed_propagator=G, propagator_series=series, one_loop_ridge=one_loop, closure=closure.equation,
        residual=residual, eigenlearning=eigen, equivalence=sp.Integer(equivalence), learnability=L,
        sharp_limit=sharp, residual_shells=shells, residual_shells_derivative=deriv)
