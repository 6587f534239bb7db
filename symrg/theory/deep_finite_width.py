"""Deep finite-width networks: the layer-to-layer recursion of the kernel, of its O(1/N) shift and of
the four-point vertex, at one input and at several inputs (docs/theory.md sections 1, 2.4 and 6).

Network (the conventions of :class:`symrg.spectra.kernels.NNGPKernel` and :mod:`symrg.numerics.finite_width`):
``L`` hidden layers of width ``N``, unit-sphere inputs, ``z^(1) = W^(1) x`` with ``W^(1)_ij ~ N(0, 1)``,
``z^(l+1)_i = sqrt(sigma_w^2/N) sum_j W^(l+1)_ij phi(z^(l)_j) + b_i`` (``W ~ N(0, 1)``, ``b ~ N(0, sigma_b^2)``),
and the output ``f = z^(L+1)``.  Depth 1 is the one-hidden-layer network of :mod:`symrg.numerics.finite_width`.

What is put in
--------------
* *Conditional Gaussianity* (the weights are Gaussian): given layer ``l`` the pre-activations ``z^(l+1)_i``
  are iid ``N(0, G^(l+1))`` with the stochastic metric
  ``G^(l+1)(x, x') = sigma_b^2 + (sigma_w^2/N) sum_j phi(z^(l)_j(x)) phi(z^(l)_j(x'))``.  So ``G^(l+1)`` given
  ``G^(l)`` is a mean of ``N`` iid unit terms, each with mean ``F(G^(l)) = sigma_w^2 M(G^(l)) + sigma_b^2`` and
  covariance ``C(G^(l)) = sigma_w^4 (M4 - M M)`` (``M_ab = E phi_a phi_b``, ``M4_abcd = E phi_a phi_b phi_c phi_d``
  under ``N(0, G^(l))``): a Markov chain of metrics, exact at every width.
* *The law of the previous metric to O(1/N)* (induction hypothesis): ``G^(l) = K^(l) + delta`` with
  ``E delta = K1^(l)/N``, ``Cov delta = V^(l)/N``, higher cumulants ``O(1/N^2)``; the first metric
  ``G^(1) = x.x'`` is exact (``K1 = V = 0``).  Written ``delta = h d + h^2 K1`` with ``h = N^{-1/2}``,
  ``E d = 0``, ``E d d = V``, and the unit-term noise ``h eps`` with ``E eps = 0``, ``E eps eps = C``,
  ``E d eps = 0`` (``eps`` has zero mean given ``G^(l)``).
* *Gaussian integrals*: the standard Gaussian in the plane in polar coordinates (density
  ``rho exp(-rho^2/2)/(2 pi)``), with ``u = sqrt(q_a) z_1``, ``v = sqrt(q_b)(cos th z_1 + sin th z_2)``,
  ``cos th = c/sqrt(q_a q_b)``; ReLU and step are homogeneous, so every moment is a radial integral times
  an arc integral over the angles where both units are on.  The erf dual
  ``E[erf(u) erf(v)] = (2/pi) arcsin(2c/sqrt((1 + 2 q_a)(1 + 2 q_b)))`` (Williams 1997); the fourth moments
  of erf have no closed form and stay symbols (quadrature in :mod:`symrg.numerics.finite_width.deep`).

What is derived (SymPy, nothing typed in)
-----------------------------------------
* ReLU and step: the second moments ``M`` (the arc-cosine dual kernels of Cho & Saul, recovered) and the
  fourth moments ``E phi^4``, ``E phi_a^2 phi_b^2``, ``E phi_a^3 phi_b`` (``sympy.integrate`` of the radial and
  arc integrals);
* the recursion: SymPy expands ``G'_e(h) = F_e(K + h d + h^2 K1) + h eps_e`` (``e`` runs over the entries
  ``aa, bb, ab`` of a pair of inputs, or the single entry of one input) to second order in ``h`` and takes
  the expectations above.  Read off:
  ``K' = F(K)``, ``K1'_e = [h^2] E G'_e``, ``V'_ee' = [h^2] Cov(G'_e, G'_e')``, and the Jacobian
  ``J_ee' = [h d_e'] G'_e``;
* the check that the derived recursion has the structure ``K1' = J K1 + (1/2) H:V`` and
  ``V' = J V J^T + C`` (``H`` the Hessian of ``F``, by ``sympy.diff``) -- the linear propagation of the metric
  fluctuation plus the fresh noise of each layer (Roberts, Yaida & Hanin, *The Principles of Deep Learning
  Theory*, ch. 4, derive the same recursion in other notation).  Since ``G'_ab`` depends on ``G_aa, G_bb,
  G_ab`` only, the m-input recursion is the pair recursion applied entry by entry:
  ``V'_(ab)(cd) = sum_{e in ab, e' in cd} J_ab,e J_cd,e' V_(e)(e') + C_(ab)(cd)``;
* the output statistics: ``f`` given ``G^(L+1)`` is Gaussian, so (Isserlis) ``E f^2 = E G``,
  ``E f^4 = 3 E G^2`` and the connected four-point function is
  ``kappa_4(a,b,c,d) = (V_(ab)(cd) + V_(ac)(bd) + V_(ad)(bc))/N``; at one input the excess kurtosis is
  ``c/N + O(1/N^2)`` with ``c = 3 V/K^2`` (SymPy series in ``1/N``);
* the one-layer limit: at ``L = 1``, ``c = 3 sigma_w^4 (E phi^4 - (E phi^2)^2)/K^2`` (ReLU: 15, checked).

The single-input recursion and the pair-level pieces are lowered by
:func:`symrg.codegen.modules.regenerate_deep_finite_width` to ``symrg._generated.deep_finite_width`` and its
mpmath twin; evaluating the recursion is then O(L) at one input and O(L m^2) at m inputs.
"""
from __future__ import annotations

import functools
import itertools
import json
from dataclasses import dataclass, field

import sympy as sp

from ..errors import ParameterError, VerificationError

__all__ = ["ACTIVATIONS", "SYMBOLS", "PAIR_V_ENTRIES", "DeepLayerRecursion", "DeepFiniteWidthDerivation",
           "second_moments", "fourth_moments", "derive_layer_recursion", "derive_deep_finite_width"]

ACTIVATIONS = ("relu", "step", "erf")

# ---------------------------------------------------------------------------------------- symbols --
Q = sp.Symbol("q", positive=True)                 # K_aa of one input
QA, QB = sp.symbols("q_a q_b", positive=True)     # K_aa, K_bb of a pair
C = sp.Symbol("c", real=True)                     # K_ab
SW = sp.Symbol("sigma_w2", positive=True)
SB = sp.Symbol("sigma_b2", nonnegative=True)
H = sp.Symbol("h", positive=True)                 # N^{-1/2}
NINV = sp.Symbol("epsilon", positive=True)        # 1/N
K1 = sp.Symbol("k1", real=True)                   # N (E G - K) at one input
K1A, K1B, K1C = sp.symbols("k1_a k1_b k1_c", real=True)
V = sp.Symbol("v", real=True)                     # N Var G at one input
# pair vertex entries V_(e)(e'), e, e' in (aa, bb, ab)
V_AA_AA, V_BB_BB, V_AB_AB, V_AA_BB, V_AA_AB, V_BB_AB = sp.symbols(
    "v_aa_aa v_bb_bb v_ab_ab v_aa_bb v_aa_ab v_bb_ab", real=True)
M4, M4A, M4B = sp.symbols("m4 m4_a m4_b", positive=True)      # E phi^4 (one input; a; b)
M22, M31, M13 = sp.symbols("m22 m31 m13", real=True)           # E phi_a^2 phi_b^2, E phi_a^3 phi_b, E phi_a phi_b^3

SYMBOLS = {"q": Q, "q_a": QA, "q_b": QB, "c": C, "sigma_w2": SW, "sigma_b2": SB, "k1": K1, "k1_a": K1A,
           "k1_b": K1B, "k1_c": K1C, "v": V, "v_aa_aa": V_AA_AA, "v_bb_bb": V_BB_BB, "v_ab_ab": V_AB_AB,
           "v_aa_bb": V_AA_BB, "v_aa_ab": V_AA_AB, "v_bb_ab": V_BB_AB, "m4": M4, "m4_a": M4A, "m4_b": M4B,
           "m22": M22, "m31": M31, "m13": M13}

ENTRIES = ("aa", "bb", "ab")
PAIR_V_ENTRIES = {("aa", "aa"): V_AA_AA, ("bb", "bb"): V_BB_BB, ("ab", "ab"): V_AB_AB,
                  ("aa", "bb"): V_AA_BB, ("aa", "ab"): V_AA_AB, ("bb", "ab"): V_BB_AB}


def _pair_v(e: str, f: str) -> sp.Symbol:
    return PAIR_V_ENTRIES.get((e, f)) or PAIR_V_ENTRIES[(f, e)]


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ParameterError("activation", activation, f"one of {ACTIVATIONS} (closed-form dual kernels)")
    return activation


# ------------------------------------------------------------------------- Gaussian moments --
_T, _RHO, _TH = sp.symbols("t rho theta", real=True)


@functools.lru_cache(maxsize=None)
def _radial(power: int) -> sp.Expr:
    """``int_0^oo rho^power rho exp(-rho^2/2) d rho`` (the radial part of a degree-``power`` moment)."""
    return sp.integrate(_RHO ** power * _RHO * sp.exp(-_RHO ** 2 / 2), (_RHO, 0, sp.oo))


def _arc_moment(activation: str, p: int, r: int) -> sp.Expr:
    """``E[phi(u)^p phi(v)^r]`` for ReLU or step, ``p, r >= 1``, as a function of ``q_a, q_b, c``: the radial
    integral times the arc integral over ``t in (th - pi/2, pi/2)`` where both units are on."""
    ga, gb = (p, r) if activation == "relu" else (0, 0)      # step(u)^p = step(u): degree 0
    integrand = sp.expand(sp.expand_trig(sp.cos(_T) ** ga * sp.cos(_T - _TH) ** gb))
    arc = sp.integrate(integrand, (_T, _TH - sp.pi / 2, sp.pi / 2))
    expr = _radial(ga + gb) * arc / (2 * sp.pi) * QA ** sp.Rational(ga, 2) * QB ** sp.Rational(gb, 2)
    rho = C / sp.sqrt(QA * QB)
    expr = sp.expand_trig(sp.expand(expr)).subs(_TH, sp.acos(rho))
    return sp.simplify(expr)


def _single_moment(activation: str, p: int) -> sp.Expr:
    """``E[phi(u)^p]`` for ``u ~ N(0, q)``, ``p >= 1``: the arc integral at ``th = 0``."""
    g = p if activation == "relu" else 0
    arc = sp.integrate(sp.cos(_T) ** g, (_T, -sp.pi / 2, sp.pi / 2))
    return sp.simplify(_radial(g) * arc / (2 * sp.pi) * Q ** sp.Rational(g, 2))


@functools.lru_cache(maxsize=None)
def second_moments(activation: str) -> tuple[sp.Expr, sp.Expr]:
    """``(E phi(u)^2 as a function of q, E phi(u) phi(v) as a function of q_a, q_b, c)``."""
    _check_activation(activation)
    if activation == "erf":     # Williams (1997); docs/theory.md section 1
        pair = 2 / sp.pi * sp.asin(2 * C / sp.sqrt((1 + 2 * QA) * (1 + 2 * QB)))
        return sp.simplify(pair.subs({QA: Q, QB: Q, C: Q})), pair
    return _single_moment(activation, 2), _arc_moment(activation, 1, 1)


@functools.lru_cache(maxsize=None)
def fourth_moments(activation: str) -> dict:
    """``{"m4": E phi^4 (q), "m22": E phi_a^2 phi_b^2, "m31": E phi_a^3 phi_b}`` for ReLU and step (SymPy);
    erf has no closed form (``{}``)."""
    _check_activation(activation)
    if activation == "erf":
        return {}
    return {"m4": _single_moment(activation, 4), "m22": _arc_moment(activation, 2, 2),
            "m31": _arc_moment(activation, 3, 1)}


# ---------------------------------------------------------------------------------- recursion --
def _expect(poly_expr: sp.Expr, d: tuple, eps: tuple, Vm, Cm) -> sp.Expr:
    """Expectation of a polynomial of degree <= 2 in ``d`` and ``eps``: ``E d = E eps = 0``,
    ``E d_i d_j = V_ij``, ``E eps_i eps_j = C_ij``, ``E d_i eps_j = 0``."""
    gens = list(d) + list(eps)
    P = sp.Poly(sp.expand(poly_expr), *gens)
    out = sp.Integer(0)
    n = len(d)
    for mono, coef in P.terms():
        deg = sum(mono)
        if deg == 0:
            out += coef
        elif deg == 2:
            idx = [i for i, k in enumerate(mono) for _ in range(k)]
            i, j = idx
            if i < n and j < n:
                out += coef * Vm[i][j]
            elif i >= n and j >= n:
                out += coef * Cm[i - n][j - n]
        elif deg > 2:
            raise VerificationError(f"unexpected monomial of degree {deg} in the O(1/N) expansion")
    return sp.expand(out)


def _taylor_h(expr: sp.Expr, order: int) -> list:
    """Taylor coefficients ``[h^0 .. h^order]`` of an explicit expression in ``h``."""
    out, cur = [], expr
    for k in range(order + 1):
        out.append(cur.subs(H, 0) / sp.factorial(k))
        cur = sp.diff(cur, H)
    return out


@dataclass(frozen=True)
class DeepLayerRecursion:
    """One layer of the recursion for one activation (every field a SymPy expression).

    Single input (symbols ``q, k1, v, m4``): ``kernel_diag`` ``F(q)``, ``jac_diag`` ``dF/dq``, ``k1_diag``
    ``K1'``, ``v_diag`` ``V'`` (with ``m4 = E phi^4``).  A pair (``q_a, q_b, c``; ``k1_a, k1_b, k1_c``; the six
    ``v_<e>_<e'>``; ``m22, m31, m13``): ``kernel_pair`` ``F_ab``, ``jac_pair`` ``{"q_a", "q_b", "c"}`` its
    derivatives, ``k1_pair`` ``K1'_ab``, ``v_pair`` ``{("aa","bb"), ("aa","ab"), ("bb","ab"), ("ab","ab")}``
    the entries ``V'_(e)(e')``.  ``noise`` the unit-term covariance ``C`` of the pair (entries in terms of
    the moment symbols).
    """

    activation: str
    kernel_diag: sp.Expr
    jac_diag: sp.Expr
    k1_diag: sp.Expr
    v_diag: sp.Expr
    kernel_pair: sp.Expr
    jac_pair: dict
    k1_pair: sp.Expr
    v_pair: dict
    noise: dict = field(repr=False)


def _noise_matrix(Md_a, Md_b, Mp):
    """Unit-term covariance ``C_(e)(e') = sigma_w^4 Cov(phi phi_e, phi phi_e')`` in the moment symbols."""
    s4 = SW ** 2
    m4 = {"aa": M4A, "bb": M4B}
    md = {"aa": Md_a, "bb": Md_b}
    out = {}
    for e, f in itertools.combinations_with_replacement(ENTRIES, 2):
        if e == f == "ab":
            out[(e, f)] = s4 * (M22 - Mp ** 2)
        elif e == f:
            out[(e, f)] = s4 * (m4[e] - md[e] ** 2)
        elif (e, f) == ("aa", "bb"):
            out[(e, f)] = s4 * (M22 - Md_a * Md_b)
        else:                                           # (aa, ab) or (bb, ab)
            out[(e, f)] = s4 * ((M31 if e == "aa" else M13) - md[e] * Mp)
    return out


def _is_zero(expr: sp.Expr, symbols, trials: int = 3) -> bool:
    """``expr == 0`` identically: exact ``sp.expand`` first, else at random points in the domain
    (``|c| < sqrt(q_a q_b)``) to 30 digits -- ``sp.simplify`` of the arc-cosine expressions takes minutes."""
    e = sp.expand(expr)
    if e == 0:
        return True
    import random
    rng = random.Random(1234)
    for _ in range(trials):
        vals = {s: sp.Rational(rng.randint(3, 17), 7) for s in symbols}
        if C in vals:
            qa, qb = vals.get(QA, vals.get(Q, 1)), vals.get(QB, vals.get(Q, 1))
            vals[C] = sp.Rational(rng.randint(-9, 9), 10) * sp.sqrt(qa * qb)
        val = sp.N(e.xreplace(vals), 30)
        if abs(val) > sp.Float(1e-20):
            return False
    return True


def _layer(activation: str, entries: tuple) -> dict:
    """Expand ``G'_e = F_e(K + h d + h^2 K1) + h eps_e`` for the metric entries ``entries`` (``("aa",)`` for one
    input, ``("aa", "bb", "ab")`` for a pair) to ``h^2`` and take the expectations; returns ``F``, the Jacobian
    ``J_ee'`` (coefficient of ``h d_e'``), ``K1'_e`` and ``V'_ee'`` and checks them against
    ``J K1 + H:V/2`` and ``J V J^T + C`` (``J``, ``H`` by ``sympy.diff``)."""
    Md1, Mp = second_moments(activation)
    Md_a, Md_b = Md1.subs(Q, QA), Md1.subs(Q, QB)
    F = {"aa": SW * Md_a + SB, "bb": SW * Md_b + SB, "ab": SW * Mp + SB}
    K = {"aa": QA, "bb": QB, "ab": C}
    Kone = {"aa": K1A, "bb": K1B, "ab": K1C}
    d = sp.symbols(" ".join(f"d_{e}" for e in entries) + ",", real=True)
    eps = sp.symbols(" ".join(f"eps_{e}" for e in entries) + ",", real=True)
    dd = dict(zip(entries, d))
    shift = {K[e]: K[e] + H * dd[e] + H ** 2 * Kone[e] for e in entries}
    noise = _noise_matrix(Md_a, Md_b, Mp)
    Vm = [[_pair_v(e, f) for f in entries] for e in entries]
    Cm = [[noise.get((e, f)) or noise[(f, e)] for f in entries] for e in entries]
    syms = [QA, QB, C, SW, SB, K1A, K1B, K1C, M4A, M4B, M22, M31, M13, *PAIR_V_ENTRIES.values()]
    g1, g2 = {}, {}
    for i, e in enumerate(entries):
        G = F[e].xreplace(shift) + H * eps[i]
        t = _taylor_h(G, 2)
        if not _is_zero(t[0] - F[e], syms):
            raise VerificationError("the O(1) term of the expansion is not the NNGP map")
        g1[e], g2[e] = sp.expand(t[1]), sp.expand(t[2])
    k1 = {e: _expect(g2[e], d, eps, Vm, Cm) for e in entries}                      # K1' = [h^2] E G'
    vv = {(e, f): _expect(g1[e] * g1[f], d, eps, Vm, Cm)                           # V' = E g1 g1 (E g1 = 0)
          for i, e in enumerate(entries) for f in entries[i:]}
    jac = {e: {f: g1[e].coeff(dd[f]) for f in entries} for e in entries}
    for e in entries:
        J = {f: sp.diff(F[e], K[f]) for f in entries}
        if any(not _is_zero(jac[e][f] - J[f], syms) for f in entries):
            raise VerificationError(f"{activation}: the coefficient of d in G'_{e} is not the Jacobian")
        hv = sum(sp.diff(F[e], K[f], K[g]) * _pair_v(f, g) for f in entries for g in entries)
        if not _is_zero(k1[e] - sum(J[f] * Kone[f] for f in entries) - hv / 2, syms):
            raise VerificationError(f"{activation}: K1'_{e} is not J K1 + H:V/2")
    for (e, f), val in vv.items():
        jvj = sum(jac[e][g] * jac[f][k] * _pair_v(g, k) for g in entries for k in entries)
        if not _is_zero(val - jvj - Cm[entries.index(e)][entries.index(f)], syms):
            raise VerificationError(f"{activation}: V'_({e})({f}) is not J V J^T + C")
    return {"F": F, "jac": jac, "k1": k1, "vv": vv, "noise": noise}


@functools.lru_cache(maxsize=None)
def derive_layer_recursion(activation: str, pair: bool = True) -> DeepLayerRecursion:
    """Expand one layer to O(1/N) and read off the recursion (module docstring).  ``pair=False`` derives the
    single-input pieces only (a second; the pair adds the arc-cosine Jacobians, a few seconds more)."""
    _check_activation(activation)
    one = {QA: Q, K1A: K1, V_AA_AA: V, M4A: M4}
    s = _layer(activation, ("aa",))
    diag = dict(kernel_diag=sp.simplify(s["F"]["aa"].xreplace(one)),
                jac_diag=sp.simplify(s["jac"]["aa"]["aa"].xreplace(one)),
                k1_diag=sp.simplify(s["k1"]["aa"].xreplace(one)),
                v_diag=sp.simplify(s["vv"][("aa", "aa")].xreplace(one)))
    if not pair:
        return DeepLayerRecursion(activation=activation, **diag, kernel_pair=None, jac_pair={}, k1_pair=None,
                                  v_pair={}, noise=s["noise"])
    p = _layer(activation, ENTRIES)
    return DeepLayerRecursion(
        activation=activation, **diag, kernel_pair=p["F"]["ab"],
        jac_pair={"q_a": p["jac"]["ab"]["aa"], "q_b": p["jac"]["ab"]["bb"], "c": p["jac"]["ab"]["ab"]},
        k1_pair=p["k1"]["ab"], v_pair={k: v for k, v in p["vv"].items() if k != ("aa", "aa")}, noise=p["noise"])


# --------------------------------------------------------------------------- output statistics --
def _output_kurtosis() -> tuple[sp.Expr, sp.Expr]:
    """Excess kurtosis of ``f`` given that ``f | G ~ N(0, G)``, ``E G = K + K1/N``, ``Var G = V/N + O(1/N^2)``:
    ``3 E G^2 / (E G)^2 - 3`` expanded in ``epsilon = 1/N``; returns ``(exact-in-moments form, coefficient)``."""
    Kq = sp.Symbol("K", positive=True)
    EG = Kq + NINV * K1
    EG2 = EG ** 2 + NINV * V
    kurt = 3 * EG2 / EG ** 2 - 3
    coef = sp.simplify(sp.series(kurt, NINV, 0, 2).removeO().coeff(NINV, 1))
    return sp.simplify(kurt), coef.subs(Kq, Q)


def _four_point_connected() -> sp.Expr:
    """``E f_a f_b f_c f_d - sum_pairings E f f E f f`` given ``f | G ~ N(0, G)`` (Isserlis), to O(1/N), in
    terms of symbols ``V_(xy)(zw)``: the connected four-point function."""
    pts = "abcd"
    Gs = {}
    for x, y in itertools.combinations_with_replacement(pts, 2):
        Gs[(x, y)] = Gs[(y, x)] = sp.Symbol(f"K_{x}{y}") + NINV * sp.Symbol(f"K1_{x}{y}")

    def vsym(p, q):
        a, b = sorted(sorted(p)), sorted(sorted(q))
        a, b = sorted([tuple(a), tuple(b)])
        return sp.Symbol(f"V_{''.join(a)}_{''.join(b)}")

    pairings = [(("a", "b"), ("c", "d")), (("a", "c"), ("b", "d")), (("a", "d"), ("b", "c"))]
    # E[G_p G_q] = E G_p E G_q + Cov(G_p, G_q), Cov = V/N
    four = sum(Gs[p] * Gs[q] + NINV * vsym(p, q) for p, q in pairings)
    two = sum(Gs[p] * Gs[q] for p, q in pairings)
    return sp.expand(sp.series(four - two, NINV, 0, 2).removeO())


@dataclass(frozen=True)
class DeepFiniteWidthDerivation:
    """The derived recursion for every activation (module docstring) and the output statistics.

    ``layers``: activation -> :class:`DeepLayerRecursion`; ``moments``: activation -> the derived second
    and fourth moments; ``kurtosis_coefficient``: ``c`` in ``excess kurtosis = c/N + O(1/N^2)`` as a function
    of ``q = K`` and ``v = V`` at the output; ``four_point``: the connected four-point function to O(1/N);
    ``one_layer``: activation -> ``c`` at depth 1 (unit-sphere input, symbols ``sigma_w2, sigma_b2``; erf in
    terms of its fourth moment ``m4``).
    """

    layers: dict
    moments: dict
    kurtosis_coefficient: sp.Expr
    four_point: sp.Expr
    one_layer: dict

    def to_dict(self) -> dict:
        out = {"kurtosis_coefficient": str(self.kurtosis_coefficient), "four_point_connected": str(self.four_point),
               "one_layer_kurtosis_coefficient": {a: str(v) for a, v in self.one_layer.items()},
               "moments": {a: {k: str(v) for k, v in m.items()} for a, m in self.moments.items()}, "layers": {}}
        for a, r in self.layers.items():
            out["layers"][a] = {"kernel_diag": str(r.kernel_diag), "jac_diag": str(r.jac_diag),
                                "k1_diag": str(r.k1_diag), "v_diag": str(r.v_diag), "kernel_pair": str(r.kernel_pair),
                                "jac_pair": {k: str(v) for k, v in r.jac_pair.items()}, "k1_pair": str(r.k1_pair),
                                "v_pair": {"_".join(k): str(v) for k, v in r.v_pair.items()}}
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def to_latex(self) -> str:
        L = sp.latex
        body = [r"\section*{Deep finite-width networks: the layer recursion}",
                r"Given layer $l$, the pre-activations of layer $l+1$ are iid $\mathcal N(0, G')$, "
                r"$G' = \sigma_b^2 + \frac{\sigma_w^2}{N}\sum_j \phi(z_j)\phi(z_j)^T$. With "
                r"$G = K + h d + h^2 K_1$, $h = N^{-1/2}$, $E\,d\,d^T = V$, SymPy expands $G'$ to order $h^2$ and reads off "
                r"$K_1' = J K_1 + \frac12 H{:}V$ and $V' = J V J^T + C$ (checked against direct differentiation). "
                r"The output $f$ is Gaussian given $G^{(L+1)}$, so its excess kurtosis is $c/N + O(1/N^2)$ with",
                r"\begin{equation*} c = %s \end{equation*}" % L(self.kurtosis_coefficient),
                r"and its connected four-point function is",
                r"\begin{equation*} \kappa_4 = %s \end{equation*}" % L(self.four_point)]
        for a, r in self.layers.items():
            m = self.moments[a]
            body += [r"\subsection*{%s}" % a,
                     r"\begin{align*} E\phi^2 &= %s, & E\phi_a\phi_b &= %s \end{align*}" % (L(m["m2"]), L(m["m11"]))]
            if "m4" in m:
                body += [r"\begin{align*} E\phi^4 &= %s \\ E\phi_a^2\phi_b^2 &= %s \\ E\phi_a^3\phi_b &= %s \end{align*}"
                         % (L(m["m4"]), L(m["m22"]), L(m["m31"]))]
            body += [r"One input:", r"\begin{align*} K' &= %s \\ K_1' &= %s \\ V' &= %s \end{align*}"
                     % (L(r.kernel_diag), L(r.k1_diag), L(r.v_diag)),
                     r"One layer ($L = 1$, $q = 1$): $c = %s$." % L(self.one_layer[a])]
        return "\n".join(body) + "\n"


@functools.lru_cache(maxsize=None)
def derive_deep_finite_width(pair: bool = True) -> DeepFiniteWidthDerivation:
    """Run the derivation for ReLU, step and erf (a few seconds; memoised); ``pair=False`` skips the
    two-input recursion."""
    layers, moments, one = {}, {}, {}
    kurt_exact, coef = _output_kurtosis()
    expected = 3 * V / Q ** 2
    if sp.simplify(coef - expected.subs(Q, Q)) != 0:
        raise VerificationError(f"excess-kurtosis coefficient {coef} is not 3 V/K^2")
    for a in ACTIVATIONS:
        rec = derive_layer_recursion(a, pair)
        layers[a] = rec
        m2, m11 = second_moments(a)
        moments[a] = {"m2": m2, "m11": m11, **fourth_moments(a)}
        # one layer: start from G^(1) = x.x' (q = 1, K1 = V = 0)
        q1 = rec.kernel_diag.subs(Q, 1)
        v1 = rec.v_diag.subs({Q: 1, V: 0})
        if "m4" in moments[a]:
            v1 = v1.subs(M4, moments[a]["m4"].subs(Q, 1))
        one[a] = sp.simplify(coef.subs({V: v1, Q: q1}))
    relu15 = one["relu"].subs({SW: 2, SB: 0})
    if relu15 != 15:
        raise VerificationError(f"one-layer ReLU excess kurtosis coefficient {relu15} != 15")
    return DeepFiniteWidthDerivation(layers=layers, moments=moments, kurtosis_coefficient=coef,
                                     four_point=_four_point_connected(), one_layer=one)
