"""Finite-width networks in the Wilsonian engine (docs/theory.md sections 2.4, 3 and 6).

What is put in and what is derived
----------------------------------
Put in (definitions): the prior of a width-``N`` network has the quartic term
``(1/4!) sum U_klmn f_k f_l f_m f_n`` with ``U = O(1/N)`` (numbers: :mod:`symrg.numerics.finite_width`); its local
form ``(u/4!) int dmu f^4``; the data term kept inside the propagator of the greater modes,
``G_k = (1/lambda_k + eta/sigma^2)^-1`` (docs/theory.md section 3); and, for the posterior-mean check, the
Edgeworth form of the prior ``-log p(f) = 1/2 f K^-1 f - kappa_4 . H_4(f)/4! + O(1/N^2)``.

Derived by the engine (:func:`symrg.engine.wilson_step`), nothing typed in:

* the effective action of the kept modes at order ``U`` (one loop, O(1/N)) and ``U^2``
  (O(1/N^2)): the induced quadratic term (tadpole), the shift of the quartic coupling, the sextic
  term generated at ``U^2``;
* for the local coupling, the input-dependent quadratic term ``(u/4) int dmu f_<^2 G_>(x,x)`` and its
  flow; its reading as an input-dependent ridge / a reweighted loss is obtained by SymPy
  completing the square with the data term (:func:`ridge_reading`);
* the flow of the quartic coupling (the order-``u^2`` four-point term and its ``d/dkappa``);
* the first-order shift of the posterior mean under the Edgeworth action (a source ``J`` coupled to
  the fluctuation; ``<c> = -dS_eff/dJ``), used to cross-check eq. P of :mod:`symrg.numerics.finite_width`.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..engine import LocalCoupling, make_action, parse_action, wilson_step
from ..errors import ParameterError

__all__ = ["tensor_action", "local_action", "FiniteWidthDerivation", "derive_finite_width",
           "ridge_reading", "one_loop_quadratic", "edgeworth_posterior_shift", "posterior_shift_formula",
           "derive_second_order_posterior"]

ETA = sp.Symbol("eta", positive=True)
SIGMA2 = sp.Symbol("sigma2", positive=True)
U_LOCAL = sp.Symbol("u", real=True)


def tensor_action(n_modes: int = 4, cutoff: int = 2, data_in_propagator: bool = True):
    """The quartic prior of docs/theory.md section 2.4 on ``n_modes`` modes, ``f_1..f_cutoff`` kept; the greater
    modes carry ``G_k = (1/lambda_k + eta/sigma^2)^-1`` (or ``lambda_k`` without the data term)."""
    if not (1 <= cutoff < n_modes <= 6):
        raise ParameterError("cutoff", cutoff, f"1 <= cutoff < n_modes <= 6 (n_modes={n_modes})")
    prop = "1/(1/lambda + eta/sigma2)" if data_in_propagator else "lambda"
    spec = {"name": f"finite-width quartic prior, {cutoff} kept + {n_modes - cutoff} integrated modes",
            "fields": {"f": {"role": "split", "modes": n_modes, "cutoff": cutoff, "propagator": prop}},
            "couplings": {"U": {"kind": "tensor", "field": "f", "rank": 4, "prefactor": "1/24"}}}
    if data_in_propagator:
        spec["parameters"] = {"eta": "positive", "sigma2": "positive"}
    return parse_action(spec)


def local_action():
    """``(u/4!) int dmu f(x)^4`` with ``G_>(x,y) = sum_{k>kappa} G_k phi_k(x) phi_k(y)`` (docs/theory.md section 6)."""
    fx = sp.Symbol("f", real=True)
    cp = LocalCoupling("quartic", "f", fx, U_LOCAL / 24 * fx ** 4, sp.Symbol("G", positive=True))
    return make_action([], {}, 0, parameters=(U_LOCAL,), local=(cp,), name="finite-width local quartic")


def ridge_reading(mass: sp.Expr):
    """Complete the square of ``eta/(2 sigma^2) (f - y)^2 + mass/2 f^2`` (SymPy).

    Returns ``(sigma2_x, y_x, weight)``: the same data term written as ``eta/(2 sigma2_x) (f - y_x)^2
    + const`` (input-dependent ridge with a shrunk target), and ``weight = sigma^2/sigma2_x`` (the
    reweighting of the loss ``weight (f - y_x)^2 / (2 sigma^2)``).
    """
    f, y = sp.symbols("f y", real=True)
    s2x, yx = sp.symbols("s2x yx")
    expr = sp.expand(ETA / (2 * SIGMA2) * (f - y) ** 2 + mass / 2 * f ** 2)
    target = sp.expand(ETA / (2 * s2x) * (f - yx) ** 2)
    sol = sp.solve([sp.Eq(expr.coeff(f, 2), target.coeff(f, 2)), sp.Eq(expr.coeff(f, 1), target.coeff(f, 1))],
                   [s2x, yx], dict=True)[0]
    s2 = sp.simplify(sol[s2x])
    return s2, sp.simplify(sol[yx]), sp.simplify(SIGMA2 / s2)


@dataclass(frozen=True)
class FiniteWidthDerivation:
    """Engine results for the finite-width quartic prior.

    ``tensor``: :class:`~symrg.engine.WilsonResult` of :func:`tensor_action` (order 2 = O(1/N^2));
    ``local``: the same for :func:`local_action`; ``one_loop_mass``: the coefficient of
    ``f_<(x)^2 / 2`` induced at order u, ``(u/2) G_>(x,x)``; ``ridge``, ``target``, ``weight``:
    :func:`ridge_reading` of that mass; ``quartic_flow``: d/dkappa of the order-u^2 four-point term.
    """

    tensor: object
    local: object
    one_loop_mass: sp.Expr
    ridge: sp.Expr
    target: sp.Expr
    weight: sp.Expr
    quartic_shift: sp.Expr
    quartic_flow: sp.Expr

    def to_json(self) -> dict:
        return {"tensor": self.tensor.to_json(), "local": self.local.to_json(),
                "one_loop_mass": str(self.one_loop_mass), "ridge_x": str(self.ridge),
                "target_x": str(self.target), "loss_weight_x": str(self.weight),
                "quartic_shift": str(self.quartic_shift), "quartic_flow": str(self.quartic_flow)}

    def to_latex(self) -> str:
        L = sp.latex
        body = [r"\section*{Finite-width network: quartic prior}",
                r"Prior $S = \frac12\sum_k f_k^2/\lambda_k + \frac1{4!}\sum U_{klmn} f_k f_l f_m f_n$, "
                r"$U = O(1/N)$; greater modes with the data term in the propagator, "
                r"$G_k = (1/\lambda_k + \eta/\sigma^2)^{-1}$. Order 1 in $U$ is $O(1/N)$ (one loop), "
                r"order 2 is $O(1/N^2)$.", ""]
        body.append(r"\subsection*{Local coupling: induced input-dependent quadratic term}")
        body += [r"\begin{equation*}", r"m^2(x) = %s" % L(self.one_loop_mass), r"\end{equation*}",
                 r"Completing the square with $\frac{\eta}{2\sigma^2}(f-y)^2$:", r"\begin{equation*}",
                 r"\sigma^2(x) = %s,\qquad y(x) = %s,\qquad w(x) = \sigma^2/\sigma^2(x) = %s"
                 % (L(self.ridge), L(self.target), L(self.weight)), r"\end{equation*}",
                 r"an input-dependent ridge (with a shrunk target), equivalently the loss reweighted by $w(x)$."]
        body += [r"\subsection*{Flow of the quartic coupling (order $u^2$)}", r"\begin{equation*}",
                 r"\Delta S_4 = %s" % L(self.quartic_shift), r"\end{equation*}", r"\begin{equation*}",
                 r"\partial_\kappa \Delta S_4 = %s" % L(self.quartic_flow), r"\end{equation*}"]
        body.append(self.local.to_latex())
        body.append(self.tensor.to_latex().replace(r"\section*{Effective action", r"\section*{Tensor coupling: effective action"))
        return "\n".join(body) + "\n"


@functools.lru_cache(maxsize=None)
def derive_finite_width(order: int = 2, n_modes: int = 4, cutoff: int = 2) -> FiniteWidthDerivation:
    """Run the engine on the tensor and local finite-width actions (a second or two; memoised)."""
    tens = wilson_step(tensor_action(n_modes, cutoff), order, diagrams=False)
    loc = wilson_step(local_action(), order)
    f_less = sp.Symbol("f_<")
    quad = loc.by_order[1].get(f_less ** 2, sp.Integer(0))          # (u/4) Integral(G_>(x,x) f_<(x)^2, x)
    local_density = quad.replace(lambda e: isinstance(e, sp.Integral), lambda e: e.function)
    fl = [a for a in local_density.atoms(sp.core.function.AppliedUndef) if a.func.__name__ == "f_<"]
    fx = sp.Symbol("f_x", real=True)
    mass = sp.diff(local_density.xreplace({fl[0]: fx}), fx, 2) if fl else sp.Integer(0)  # coefficient of f^2/2
    gxx = list(mass.atoms(sp.core.function.AppliedUndef))
    mass_sym = mass.xreplace({gf: sp.Symbol("G_>(x,x)", positive=True) for gf in gxx})
    s2, yx, w = ridge_reading(mass_sym)
    q4 = loc.by_order[2].get(f_less ** 4, sp.Integer(0)) if len(loc.by_order) > 2 else sp.Integer(0)
    q4flow = loc.flow.get(f_less ** 4, sp.Integer(0))
    return FiniteWidthDerivation(tens, loc, mass_sym, s2, yx, w, q4, q4flow)


def one_loop_quadratic(U: np.ndarray, lam: np.ndarray, cutoff: int, eta: float, sigma2: float) -> np.ndarray:
    """Numeric one-loop (O(1/N)) quadratic coefficients of the kept modes: the matrix ``Q`` with
    ``S_eff ⊃ 1/2 sum_{k,l<=cutoff} Q_kl f_k f_l``, ``Q_kl = 1/2 sum_{q>cutoff} U_klqq G_q``,
    ``G_q = (1/lambda_q + eta/sigma^2)^-1`` -- the engine's order-1 coefficient (checked in the tests)."""
    U = np.asarray(U, float)
    lam = np.asarray(lam, float)
    G = 1.0 / (1.0 / lam[cutoff:] + eta / sigma2)
    return 0.5 * np.einsum("klqq,q->kl", U[:cutoff, :cutoff, cutoff:, cutoff:], G)


# ------------------------------------------------------------------ posterior-mean cross-check --
@functools.lru_cache(maxsize=None)
def posterior_shift_formula(n_fields: int):
    """Engine-derived first-order shift of the posterior mean of ``c`` (``c_k ~ N(0, g_k)``) under a
    quartic polynomial ``V(c) = sum_m t_m c^m``: ``<c_k> = -[J_k] S_eff`` at order 2 with
    ``S_int = V - J.c``.  Returns ``(c, t, g, shifts)`` (symbols and expressions linear in ``t``)."""
    c = sp.symbols(f"c1:{n_fields + 1}", real=True)
    J = sp.symbols(f"J1:{n_fields + 1}", real=True)
    g = sp.symbols(f"g1:{n_fields + 1}", positive=True)
    monos = [m for d in range(1, 5) for m in itertools.combinations_with_replacement(range(n_fields), d)]
    t = [sp.Symbol("t_" + "".join(str(i + 1) for i in m), real=True) for m in monos]
    V = sum(tm * sp.Mul(*[c[i] for i in m]) for tm, m in zip(t, monos))
    act = make_action(J, dict(zip(c, g)), V - sum(j * ci for j, ci in zip(J, c)), parameters=tuple(t))
    res = wilson_step(act, 2, diagrams=False, use_cache=False)
    shifts = [sp.expand(-res.by_order[2].get(j, sp.Integer(0))) for j in J]
    return c, tuple(t), g, monos, shifts


def edgeworth_posterior_shift(K, kappa4, y, n_train: int, ridge: float) -> np.ndarray:
    """O(1/N) shift of the posterior mean at the non-training points (rows ``n_train:`` of ``K``) under
    the Edgeworth prior ``-log p = 1/2 f K^-1 f - kappa4 . H_4(f)/4!``, computed by the engine
    (:func:`posterior_shift_formula`) around the GP posterior (data term inside the propagator)."""
    K = np.asarray(K, float)
    k4 = np.asarray(kappa4, float)
    m = K.shape[0]
    n = int(n_train)
    P = np.linalg.inv(K)
    noise = np.zeros(m)
    noise[:n] = 1.0 / ridge
    Sigma = np.linalg.inv(P + np.diag(noise))
    m0 = Sigma @ np.concatenate([np.asarray(y, float) / ridge, np.zeros(m - n)])
    g, R = np.linalg.eigh(Sigma)
    c_sym, t_sym, g_sym, monos, shifts = posterior_shift_formula(m)
    # V(m0 + R c) as a polynomial in c: h = P f is affine in c; kappa4.H4 = k4.h^4 - 6 k4.P h h + 3 k4.P P
    cs = sp.Matrix(c_sym)
    h = sp.Matrix(P @ m0) + sp.Matrix(P @ R) * cs
    k4P = np.einsum("abcd,ab->cd", k4, P)
    h4 = sum(k4[a, b, cc, d] * h[a] * h[b] * h[cc] * h[d]
             for a, b, cc, d in itertools.product(range(m), repeat=4))
    h2 = sum(k4P[a, b] * h[a] * h[b] for a in range(m) for b in range(m))
    V = sp.Poly(sp.expand(-(h4 - 6 * h2) / 24), *c_sym)
    subs = {ts: float(V.coeff_monomial(sp.Mul(*[c_sym[i] for i in mono]))) for ts, mono in zip(t_sym, monos)}
    subs.update({gs: float(gv) for gs, gv in zip(g_sym, g)})
    dc = np.array([float(s.xreplace(subs)) for s in shifts])
    return (R @ dc)[n:]


# ------------------------------------------------------------------ O(1/N^2) posterior mean --
@functools.lru_cache(maxsize=None)
def derive_second_order_posterior():
    """O(1/N^2) posterior mean of the width-N network (:mod:`symrg.numerics.finite_width.second_order`, eq. P2):
    SymPy derives the moments of ``delta K`` from the cumulant generating function of a mean of ``N`` iid
    units, the Taylor series of ``E g(K + delta K)`` and the series of the ratio ``E[p m]/E[p]`` in ``1/N``.

    Returns ``(symbols, c1, c2)``: ``symbols`` maps the names ``f2, f3, f22, z2, z3, z22, z1`` ... to
    SymPy symbols, where ``fk`` (``zk``) is the unit average of the ``t^k`` coefficient of
    ``g(K + tD) / p(y|K)`` (of ``p(y|K + tD) / p(y|K)``), ``f22``/``z22`` the pair average of the
    ``t1^2 t2^2`` coefficient, and ``f0 = m_0`` (``z0 = 1``).
    """
    eps, s = sp.symbols("epsilon s", positive=True)                   # eps = 1/N
    mu2, mu3, mu4 = sp.symbols("mu2 mu3 mu4", real=True)
    # cumulant generating function of delta = (1/N) sum_i D_i, scalar moments mu_k of one unit, mu_1 = 0
    unit_mgf = 1 + mu2 * (s * eps) ** 2 / 2 + mu3 * (s * eps) ** 3 / 6 + mu4 * (s * eps) ** 4 / 24
    cgf = sp.series(sp.log(unit_mgf) / eps, s, 0, 5).removeO()
    mgf = sp.series(sp.exp(cgf), s, 0, 5).removeO()
    moments = {k: sp.expand(sp.diff(mgf, s, k).subs(s, 0)) for k in range(1, 5)}   # E delta^k
    out = {}
    for name in ("f", "z"):
        gk = sp.symbols(f"{name}g0:5", real=True)                      # Taylor coefficients g^(k)/k!
        Eg = gk[0] + sum(gk[k] * moments[k] for k in range(1, 5))
        Eg = sp.expand(sp.series(Eg, eps, 0, 3).removeO())
        # tensor reading: g_k mu_k -> (unit average of the t^k coefficient); g_4 mu_2^2 -> pair average / 6
        a = {k: sp.Symbol(f"{name}{k}", real=True) for k in range(5)}
        pair = sp.Symbol(f"{name}22", real=True)
        Eg = Eg.subs(gk[4] * mu2 ** 2, pair / 6)
        Eg = Eg.subs({gk[2] * mu2: a[2], gk[3] * mu3: a[3], gk[4] * mu4: a[4], gk[0]: a[0]})
        if Eg.free_symbols & {mu2, mu3, mu4, *gk}:                     # pragma: no cover - derivation guard
            raise RuntimeError(f"moment mapping incomplete: {Eg}")
        out[name] = (Eg, a, pair)
    (EF, fa, f22), (EZ, za, z22) = out["f"], out["z"]
    ratio = sp.series((EF / EZ).subs(za[0], 1), eps, 0, 3).removeO()
    c1 = sp.simplify(sp.expand(ratio).coeff(eps, 1))
    c2 = sp.expand(sp.expand(ratio).coeff(eps, 2))
    syms = {"f0": fa[0], "f2": fa[2], "f3": fa[3], "f22": f22, "z2": za[2], "z3": za[3], "z22": z22}
    return syms, c1, c2
