"""Non-Gaussian features: the input-dependent ridge, derived by SymPy (THEORY.md section 5).

What is put in and what is derived
----------------------------------
Put in (definitions):

* the joint law of one greater feature ``u_0 = phi_k(x)`` and ``m`` kept features
  ``u_q = phi_q(x)`` (``q = 1..m``) as a Gram–Charlier / Edgeworth series about the standard
  normal ``N(0, I)`` (orthonormal features, ``∫ dmu phi_k phi_q = delta_kq``)::

      p(u) = phi_N(u) [1 + sum_alpha eps^w(alpha) kappa_alpha He_alpha(u) / alpha! + ...]

  with multivariate probabilists' Hermite polynomials ``He_alpha(u) = prod_i He_{alpha_i}(u_i)``
  and symbolic coefficients ``kappa_alpha`` for ``|alpha| = 1`` (means, ``order="linear"`` only),
  ``3`` and ``4`` (joint cumulants ``c3``, ``c4``).  ``order="edgeworth2"`` is the Edgeworth
  series to ``O(eps^2)`` with ``c3 ~ eps``, ``c4 ~ eps^2``: it adds
  ``1/2 sum_{alpha,beta} kappa_alpha kappa_beta He_{alpha+beta} / (alpha! beta!)``;
* the data term ``exp(-(h + g)^2/(2 sigma^2))`` with the greater field ``g = f_>(x)``, which given
  the kept features is taken Gaussian with variance ``V(x) = sum_{k>kappa} lambda_k E[phi_k^2|phi_<(x)]``
  (``g = sum_k f_k phi_k(x)`` with Gaussian prior coefficients ``f_k``; ``sum_k lambda_k phi_k(x)^2``
  self-averages to its conditional expectation over many greater modes).

Derived (nothing below is typed in):

* ``E[u_0^2 | u_<] = ∫ u_0^2 p du_0 / ∫ p du_0`` by ``sympy.integrate`` of the Hermite moments of
  ``u_0`` and a truncated series division in ``eps``, for ``m = 1, 2, 3`` kept features;
  the derivation shows that the means and every cumulant without two indices on ``u_0`` drop out
  at first order;
* the general-``m`` tensor form (``IndexedBase`` objects and ``Sum`` nodes): an index-structure
  ansatz whose numeric coefficients are *solved for* from the ``m = 2`` result and then checked
  against ``m = 1`` and ``m = 3``;
* the effective data term by the Wilsonian engine (:func:`symrg.engine.wilson_step`, cumulant
  expansion in the greater field with propagator ``V``) and by exact Gaussian integration
  (per sample, and ``M`` replicas with ``M -> 0``): ``sigma^2 -> sigma^2 + V(x)``;
* the functional flow ``d sigma_kappa^2(x)/d kappa = -lambda_kappa E[phi_kappa^2 | phi_<(x)]``
  from the engine's flow of the mode sum ``V``;
* the two reductions: all cumulants zero gives the constant ``sigma^2 + sum_{k>kappa} lambda_k``;
  a whole degenerate shell (addition theorem ``sum_m Y_lm(x)^2 = N(d, l)`` in the normalisation
  ``∫ dmu Y^2 = 1``) gives a constant.

Closed forms of THEORY.md appear only as check targets; a failed check raises
:class:`~symrg.errors.VerificationError`.

On an empirical measure the features are orthonormal in their *raw* second moments but their
means need not vanish (the top NNGP mode is close to constant).  The natural expansion
coefficients about ``N(0, I)`` are then the Hermite moments ``h_alpha = E[He_alpha(phi)]``:
``h_kkq = E[phi_k^2 phi_q] - E[phi_q]`` and ``h_kkqq' = E[phi_k^2 phi_q phi_q'] - delta_qq'`` for
``k`` not kept; they equal the joint cumulants ``c3``, ``c4`` when the means vanish.  The numeric
layer (:mod:`symrg.numerics.input_ridge`) estimates these.

The generated modules ``symrg/_generated/input_ridge{,_mp}.py`` are lowered from the tensor form by
:func:`symrg.codegen.einsum.render_input_ridge_module` (a small einsum lowering of ``Sum``-of-``Indexed``
nodes with tensor-level common-subexpression elimination: the greater-mode index is contracted first)
and written by :func:`symrg.codegen.modules.regenerate_input_ridge`; this module returns SymPy results
only.
"""
from __future__ import annotations

import functools
import itertools
import json
import math
from dataclasses import dataclass

import sympy as sp

from ..errors import VerificationError

__all__ = [
    "ConditionalMoment",
    "InputRidgeDerivation",
    "conditional_second_moment",
    "derive_input_ridge",
    "tensor_forms",
    "shell_addition_check",
]

EPS = sp.Symbol("epsilon")                          # bookkeeping parameter of the expansion
SIGMA2 = sp.Symbol("sigma2", positive=True)          # bare ridge
U0 = sp.Symbol("u_0", real=True)                    # greater feature phi_k(x)

# --- tensor (IndexedBase) objects of the general-m form ------------------------------------------
N_IN, N_GT, N_KEPT = sp.symbols("n_inputs n_greater m", integer=True, positive=True)
I_, K_, Q_, R_ = sp.symbols("i k q r", integer=True, nonnegative=True)
LAM = sp.IndexedBase("lam")        # lam[k], greater eigenvalues
PHI = sp.IndexedBase("phi")        # phi[i, q], kept features at the inputs
C3 = sp.IndexedBase("c3")          # c3[k, q] = c3_{kkq}
C4 = sp.IndexedBase("c4")          # c4[k, q, r] = c4_{kkqr}
C4D = sp.IndexedBase("c4d")        # c4d[k, q] = c4_{kkqq} (diagonal restriction)


def _uvars(m: int):
    return [U0] + [sp.Symbol(f"u_{q}", real=True) for q in range(1, m + 1)]


def _label(alpha) -> str:
    """``(2, 1, 0) -> 'kk1'``: variable 0 is the greater feature ``k``, then the kept ones."""
    return "".join(("k" if i == 0 else str(i)) * a for i, a in enumerate(alpha))


def _kappa(alpha) -> sp.Symbol:
    n = sum(alpha)
    return sp.Symbol(("m" if n == 1 else f"c{n}") + "_" + _label(alpha), real=True)


def _multi_indices(nvars: int, order: int):
    for combo in itertools.combinations_with_replacement(range(nvars), order):
        alpha = [0] * nvars
        for c in combo:
            alpha[c] += 1
        yield tuple(alpha)


def _afact(alpha) -> int:
    return math.prod(math.factorial(a) for a in alpha)


@functools.lru_cache(maxsize=None)
def _gauss_moment(power: int, j: int) -> sp.Expr:
    """``E[u^power He_j(u)]`` for ``u ~ N(0, 1)`` by ``sympy.integrate``."""
    u = sp.Symbol("t", real=True)
    w = sp.exp(-u**2 / 2) / sp.sqrt(2 * sp.pi)
    return sp.simplify(sp.integrate(u**power * sp.hermite_prob(j, u) * w, (u, -sp.oo, sp.oo)))


def _density_terms(m: int, order: str):
    """The Gram–Charlier/Edgeworth factor as a list ``(coefficient, alpha)``: p = phi_N * sum coef He_alpha."""
    nv = m + 1
    terms = [(sp.Integer(1), (0,) * nv)]
    if order == "linear":
        for n in (1, 3, 4):
            for a in _multi_indices(nv, n):
                terms.append((EPS * _kappa(a) / _afact(a), a))
    elif order == "edgeworth2":
        three = list(_multi_indices(nv, 3))
        for a in three:
            terms.append((EPS * _kappa(a) / _afact(a), a))
        for a in _multi_indices(nv, 4):
            terms.append((EPS**2 * _kappa(a) / _afact(a), a))
        for a, b in itertools.product(three, three):
            ab = tuple(x + y for x, y in zip(a, b))
            terms.append((EPS**2 * _kappa(a) * _kappa(b) / (2 * _afact(a) * _afact(b)), ab))
    else:
        raise ValueError(f"order must be 'linear' or 'edgeworth2', got {order!r}")
    return terms


@dataclass(frozen=True)
class ConditionalMoment:
    """``E[phi_k^2 | phi_<]`` for ``m`` kept features, expanded in ``eps`` (set to 1 in ``expr``)."""

    m: int
    order: str
    expr: sp.Expr            # polynomial in u_1..u_m and the cumulant symbols
    by_order: tuple          # coefficients of eps^0, eps^1, (eps^2)
    variables: tuple


@functools.lru_cache(maxsize=None)
def conditional_second_moment(m: int, order: str = "linear") -> ConditionalMoment:
    """Derive ``E[u_0^2 | u_1..u_m] = ∫ u_0^2 p du_0 / ∫ p du_0`` to the requested order.

    The integral over ``u_0`` acts on each Hermite term through ``E[u_0^p He_j(u_0)]``
    (``sympy.integrate``); the ratio is expanded by truncated series division in ``eps``.
    """
    if m < 1:
        raise ValueError("need at least one kept feature")
    u = _uvars(m)
    nmax = 1 if order == "linear" else 2
    num = [sp.S.Zero] * (nmax + 1)
    den = [sp.S.Zero] * (nmax + 1)
    for coef, alpha in _density_terms(m, order):
        he_kept = sp.Mul(*[sp.hermite_prob(a, x) for a, x in zip(alpha[1:], u[1:])])
        p = sp.Poly(coef, EPS)
        for (e,), c in p.terms():
            num[e] += c * _gauss_moment(2, alpha[0]) * he_kept
            den[e] += c * _gauss_moment(0, alpha[0]) * he_kept
    if den[0] != 1:
        raise VerificationError(f"normalisation of the reference Gaussian is {den[0]}, not 1")
    q = []
    for j in range(nmax + 1):                 # q_j = (N_j - sum_{i<j} q_i D_{j-i}) / D_0
        q.append(sp.expand(num[j] - sum(q[i] * den[j - i] for i in range(j))))
    expr = sp.expand(sum(q))
    return ConditionalMoment(m=m, order=order, expr=expr, by_order=tuple(q), variables=tuple(u[1:]))


def _theory_target(m: int) -> sp.Expr:
    """THEORY.md section 5 (check target only): 1 + sum c3_kkq u_q + 1/2 sum c4_kkqq' (u_q u_q' - delta)."""
    u = _uvars(m)
    out = sp.Integer(1)
    for q in range(1, m + 1):
        a = [0] * (m + 1); a[0] = 2; a[q] += 1
        out += _kappa(tuple(a)) * u[q]
    for q in range(1, m + 1):
        for r in range(1, m + 1):
            a = [0] * (m + 1); a[0] = 2; a[q] += 1; a[r] += 1
            out += sp.Rational(1, 2) * _kappa(tuple(a)) * (u[q] * u[r] - (1 if q == r else 0))
    return sp.expand(out)


# --- lift to the general-m tensor form -----------------------------------------------------------
_A = sp.symbols("a0:4")


def _ansatz_indexed():
    """Index-structure ansatz with unknown coefficients a0..a3 for one greater mode k, input i."""
    m1 = N_KEPT - 1
    return (_A[0] + _A[1] * sp.Sum(C3[K_, Q_] * PHI[I_, Q_], (Q_, 0, m1))
            + _A[2] * sp.Sum(C4[K_, Q_, R_] * PHI[I_, Q_] * PHI[I_, R_], (Q_, 0, m1), (R_, 0, m1))
            + _A[3] * sp.Sum(C4[K_, Q_, Q_], (Q_, 0, m1)))


def _instantiate(expr: sp.Expr, m: int) -> sp.Expr:
    """Expand the Sums of a tensor form at ``m`` kept features into the u/c symbols of the derivation."""
    u = _uvars(m)

    def kap(*qs):
        a = [0] * (m + 1); a[0] = 2
        for q in qs:
            a[q + 1] += 1
        return _kappa(tuple(a))

    e = expr.subs(N_KEPT, m).doit()
    e = e.replace(lambda x: isinstance(x, sp.Indexed) and x.base == C3, lambda x: kap(x.indices[1]))
    e = e.replace(lambda x: isinstance(x, sp.Indexed) and x.base == C4, lambda x: kap(x.indices[1], x.indices[2]))
    e = e.replace(lambda x: isinstance(x, sp.Indexed) and x.base == PHI, lambda x: u[int(x.indices[1]) + 1])
    return sp.expand(e)


@functools.lru_cache(maxsize=None)
def tensor_forms() -> dict:
    """General-``m`` tensor expressions (IndexedBase/Sum), lifted from the derived small cases.

    Returns ``{"E": E[phi_k^2|phi_<(x_i)], "E_diag": the same with c4 restricted to c4_{kkqq},
    "coefficients": {a0..a3: values}}``.
    """
    ans = _ansatz_indexed()
    derived2 = conditional_second_moment(2).expr
    diff = sp.Poly(_instantiate(ans, 2) - derived2, *_uvars(2)[1:],
                   *sorted(derived2.free_symbols - set(_uvars(2)), key=str))
    sol = sp.solve(diff.coeffs(), _A, dict=True)
    if len(sol) != 1 or set(sol[0]) != set(_A):
        raise VerificationError(f"the tensor ansatz does not match the m=2 derivation (solutions {sol})")
    E = ans.subs(sol[0])
    for m in (1, 3):
        if sp.expand(_instantiate(E, m) - conditional_second_moment(m).expr) != 0:
            raise VerificationError(f"the lifted tensor form differs from the m={m} derivation")
    E_diag = E.replace(lambda x: isinstance(x, sp.Indexed) and x.base == C4,
                       lambda x: sp.KroneckerDelta(x.indices[1], x.indices[2]) * C4D[x.indices[0], x.indices[1]])
    return {"E": E, "E_diag": E_diag, "coefficients": {str(a): sol[0][a] for a in _A}}


# --- the data term: engine and exact Gaussian integration -------------------------------------
def _engine_data_term(order: int = 3):
    """Wilsonian engine on ``(a + b - y)^2/(2 sigma^2)``, ``b`` of propagator ``V = sum lambda_k E_k``."""
    from ..engine import parse_action, wilson_step

    action = parse_action({
        "name": "input-dependent ridge (THEORY.md section 5)",
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
    from .gaussian import _gaussian_prior_action, _data_action, gaussian_integrate, read_off_ridge

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


# --- the assembled derivation -------------------------------------------------------------------
@dataclass(frozen=True)
class InputRidgeDerivation:
    """Every field produced by SymPy/the engine; see :func:`derive_input_ridge`."""

    moments: dict            # name -> ConditionalMoment
    tensor: dict             # tensor_forms()
    sigma2_x: sp.Expr        # sigma^2 + Sum_k lam[k] E_k(x_i)
    sigma2_x_diag: sp.Expr
    flow_x: sp.Expr          # -lam[k] E_k(x_i): d sigma_kappa^2(x_i)/d kappa at kappa = k
    gaussian_limit: sp.Expr  # sigma2_x with every cumulant zero
    engine: dict
    exact: dict
    shell: sp.Expr

    def to_dict(self) -> dict:
        def ent(e):
            return {"str": str(e), "latex": sp.latex(e), "srepr": sp.srepr(e)}
        out = {f"E_phi_k2_{name}": ent(cm.expr) for name, cm in self.moments.items()}
        for name, cm in self.moments.items():
            for j, t in enumerate(cm.by_order):
                out[f"E_phi_k2_{name}_eps{j}"] = ent(t)
        out.update({"E_tensor": ent(self.tensor["E"]), "E_tensor_diag": ent(self.tensor["E_diag"]),
                    "tensor_coefficients": {k: str(v) for k, v in self.tensor["coefficients"].items()},
                    "sigma2_x": ent(self.sigma2_x), "sigma2_x_diag": ent(self.sigma2_x_diag),
                    "flow_x": ent(self.flow_x), "gaussian_limit": ent(self.gaussian_limit),
                    "engine_a2_coefficient": ent(self.engine["a2_coefficient"]),
                    "engine_a2_flow": ent(self.engine["a2_flow"]),
                    "engine_ridge_series": ent(self.engine["ridge_series"]),
                    "engine_dV_dkappa": ent(self.engine["dV_dkappa"]),
                    "exact_per_sample": ent(self.exact["per_sample"]),
                    "exact_sigma2_per_sample": ent(self.exact["sigma2_per_sample"]),
                    "exact_sigma2_replica": ent(self.exact["sigma2_replica"]),
                    "replica_prefactor": ent(self.exact["replica_prefactor"]),
                    "replica_prefactor_limit": ent(self.exact["replica_prefactor_limit"]),
                    "shell_sum_Y2_l2_S2": ent(self.shell)})
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_latex(self) -> str:
        """A standalone LaTeX document (article + amsmath)."""
        L = sp.latex
        eq = lambda s: "\\begin{equation*}\n" + s + "\n\\end{equation*}\n"   # noqa: E731
        parts = [
            "\\documentclass{article}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n\\begin{document}\n",
            "\\section*{Input-dependent ridge from non-Gaussian features (THEORY.md \\S5)}\n",
            "Generated by \\texttt{derivations/input\\_ridge.py} from "
            "\\texttt{symrg.theory.feature\\_cumulants}; every expression below was produced by SymPy "
            "or by the Wilsonian engine. Joint law of $u_0=\\phi_k(x)$ (greater) and "
            "$u_q=\\phi_q(x)$ (kept): Gram--Charlier series about $N(0,I)$ with Hermite "
            "coefficients $m_\\alpha$ (means), $c_3$, $c_4$.\n\n",
        ]
        for name, cm in self.moments.items():
            parts.append(f"\\subsection*{{$E[\\phi_k^2\\mid\\phi_<]$, {cm.m} kept feature(s), order "
                         f"\\texttt{{{cm.order}}}}}\n")
            parts.append(eq("E[u_0^2\\mid u_<] = " + L(cm.expr)))
        parts.append("\\subsection*{General tensor form (lifted, checked at $m=1,2,3$)}\n")
        parts.append(eq("E[\\phi_k^2\\mid\\phi_<(x_i)] = " + L(self.tensor["E"])))
        parts.append(eq("\\sigma_\\kappa^2(x_i) = " + L(self.sigma2_x)))
        parts.append(eq("\\frac{d\\sigma_\\kappa^2(x_i)}{d\\kappa}\\Big|_{\\kappa=k} = " + L(self.flow_x)))
        parts.append("Gaussian features (all cumulants zero):\n" + eq("\\sigma_\\kappa^2 = " + L(self.gaussian_limit)))
        parts.append("Diagonal restriction $c_{4,kkqr}\\to\\delta_{qr}\\,c_{4,kkqq}$ (used by the fast code):\n"
                     + eq("\\sigma_\\kappa^2(x_i) = " + L(self.sigma2_x_diag)))
        parts.append("\\subsection*{Integrating the greater field out of the data term}\n")
        parts.append("Engine (cumulant expansion, propagator $V=\\sum_{k>\\kappa}\\lambda_k E_k$), "
                     "coefficient of $a^2$ and its flow:\n")
        parts.append(eq("[a^2] = " + L(self.engine["a2_coefficient"])))
        parts.append(eq("\\frac{d[a^2]}{d\\kappa} = " + L(self.engine["a2_flow"])))
        parts.append(eq("\\frac{dV}{d\\kappa} = " + L(self.engine["dV_dkappa"])))
        parts.append("Exact Gaussian integral per sample and its ridge, and the replica prefactor:\n")
        parts.append(eq("\\int dg\\,N(g;0,V)\\,e^{-(h+g)^2/2\\sigma^2} = " + L(self.exact["per_sample"])))
        parts.append(eq("\\sigma^2_{\\rm per\\,sample} = " + L(self.exact["sigma2_per_sample"])
                        + ",\\quad \\sigma^2_{\\rm replica} = " + L(self.exact["sigma2_replica"])))
        parts.append(eq(L(self.exact["replica_prefactor"]) + "\\xrightarrow{M\\to 0}"
                        + L(self.exact["replica_prefactor_limit"])))
        parts.append("Addition theorem ($S^2$, $l=2$, $\\int d\\mu\\,Y^2=1$): $\\sum_m Y_{2m}^2 = "
                     + L(self.shell) + "$.\n")
        parts.append("\\end{document}\n")
        return "".join(parts)


def _sum_over_greater(E: sp.Expr) -> sp.Expr:
    return SIGMA2 + sp.Sum(LAM[K_] * E, (K_, 0, N_GT - 1))


@functools.lru_cache(maxsize=None)
def derive_input_ridge(edgeworth2: bool = True) -> InputRidgeDerivation:
    """Run the derivation of THEORY.md section 5 (tens of seconds at most; memoised)."""
    moments = {}
    for m in (1, 2):
        cm = conditional_second_moment(m, "linear")
        if sp.expand(cm.expr - _theory_target(m)) != 0:
            raise VerificationError(f"derived E[phi_k^2|phi_<] (m={m}) differs from THEORY.md: "
                                    f"{sp.expand(cm.expr - _theory_target(m))}")
        moments[f"m{m}_linear"] = cm
    if edgeworth2:
        moments["m1_edgeworth2"] = conditional_second_moment(1, "edgeworth2")
    tf = tensor_forms()
    sigma2_x = _sum_over_greater(tf["E"])
    sigma2_x_diag = _sum_over_greater(tf["E_diag"])
    eng = _engine_data_term(order=3)
    flow_x = eng["dV_dkappa"].subs({s: LAM[K_] for s in eng["dV_dkappa"].free_symbols if s.name == "lambda_kappa"})
    flow_x = flow_x.subs({s: tf["E"] for s in flow_x.free_symbols if s.name == "E_kappa"})
    zero = {C3: 0, C4: 0}
    gauss = sigma2_x.replace(lambda x: isinstance(x, sp.Indexed) and x.base in zero, lambda x: sp.S.Zero)
    gauss = sp.simplify(gauss.doit())
    target = SIGMA2 + sp.Sum(LAM[K_], (K_, 0, N_GT - 1))
    if sp.simplify(gauss - target.doit()) != 0 and gauss != target:
        raise VerificationError(f"Gaussian limit {gauss} is not the universal ridge {target}")
    exact = _exact_data_term()
    shell = shell_addition_check(3, 2)
    return InputRidgeDerivation(moments=moments, tensor=tf, sigma2_x=sigma2_x, sigma2_x_diag=sigma2_x_diag,
                                flow_x=flow_x, gaussian_limit=gauss, engine=eng, exact=exact, shell=shell)
