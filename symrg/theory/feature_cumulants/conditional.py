"""``E[phi_k^2 | phi_<]`` of a greater feature given the kept ones, derived by SymPy from a
Gram–Charlier / Edgeworth law (docs/theory.md section 5), and its lift to the general-``m`` tensor form
(``IndexedBase`` / ``Sum``) that the code generator lowers; the symbols both share."""
from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import sympy as sp

from ...errors import VerificationError

__all__ = ["EPS", "SIGMA2", "U0", "N_IN", "N_GT", "N_KEPT", "I_", "K_", "Q_", "R_", "LAM", "PHI", "C3", "C4", "C4D",
           "ConditionalMoment", "conditional_second_moment", "tensor_forms"]

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
    """docs/theory.md section 5 (check target only): 1 + sum c3_kkq u_q + 1/2 sum c4_kkqq' (u_q u_q' - delta)."""
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

