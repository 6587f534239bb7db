"""The derived deep recursion (symrg.theory.deep_finite_width): one-layer limits, the depth dependence of
the kurtosis coefficient at the points where it is elementary, and the generated module."""
import sympy as sp

from symrg.codegen import regenerate_deep_finite_width, regenerate_deep_finite_width_pair
from symrg.theory import deep_finite_width as D


def test_one_layer_limits():
    d = D.derive_deep_finite_width(pair=False)
    sw, sb = D.SW, D.SB
    # ReLU: 3 sigma_w^4 (E relu^4 - (E relu^2)^2)/K^2 with half-normal moments 3/2 and 1/2 (literature 15/N)
    assert sp.simplify(d.one_layer["relu"].subs({sw: 2, sb: 0}) - 15) == 0
    # step: E step^4 = E step^2 = 1/2, so 3 (1/2 - 1/4) sw^2/(sw/2)^2 = 3
    assert sp.simplify(d.one_layer["step"].subs({sw: 2, sb: 0}) - 3) == 0


def test_relu_vertex_grows_linearly_in_depth():
    # sigma_w^2 = 2: F(q) = q, J = 1, so V' = V + 4 (3/2 - 1/4) q^2 = V + 5 at q = 1 -> c = 15 L
    r = D.derive_layer_recursion("relu", pair=False)
    m4 = D.fourth_moments("relu")["m4"]
    v = sp.Integer(0)
    for L in range(1, 4):
        v = r.v_diag.subs({D.M4: m4}).subs({D.Q: 1, D.V: v, D.SW: 2, D.SB: 0})
        assert sp.simplify(3 * v - 15 * L) == 0


def test_erf_jacobian_is_derivative_of_williams_kernel():
    r = D.derive_layer_recursion("erf", pair=False)
    q = sp.Rational(7, 5)
    k = 2 / sp.pi * sp.asin(2 * D.Q / (1 + 2 * D.Q))
    # independent: finite difference of the literature kernel (Williams 1997)
    fd = (k.subs(D.Q, q + sp.Rational(1, 10**8)) - k.subs(D.Q, q - sp.Rational(1, 10**8))) / (2 * sp.Rational(1, 10**8))
    val = r.jac_diag.subs({D.Q: q, D.SW: 1, D.SB: 0})
    assert abs(sp.N(val - fd, 30)) < 1e-10


def test_generated_module_is_current():
    status = regenerate_deep_finite_width(check=True)
    assert set(status.values()) == {"unchanged"}


def test_generated_pair_module_is_current():
    status = regenerate_deep_finite_width_pair(check=True)
    assert set(status.values()) == {"unchanged"}


def test_pair_module_matches_its_mpmath_twin():
    import inspect

    import mpmath

    from symrg._generated import deep_finite_width_pair as g
    from symrg._generated import deep_finite_width_pair_mp as gm

    point = {"q_a": 1.3, "q_b": 0.7, "c": -0.4, "sigma_b2": 0.2, "sigma_w2": 1.7, "k1_a": 0.3, "k1_b": -0.2,
             "k1_c": 0.1, "v_aa_aa": 2.1, "v_bb_bb": 1.4, "v_ab_ab": 0.9, "v_aa_bb": 0.5, "v_aa_ab": 0.6,
             "v_bb_ab": 0.4, "m4_a": 3.0, "m4_b": 1.1, "m22": 0.8, "m31": 0.9, "m13": 0.5}
    names = [n for n in g.__all__ if callable(getattr(g, n))]
    assert len(names) >= 24
    for name in names:
        args = [point[p] for p in inspect.signature(getattr(g, name)).parameters]
        a = float(getattr(g, name)(*args))
        with mpmath.workdps(30):
            b = float(getattr(gm, name)(*[mpmath.mpf(x) for x in args]))
        assert abs(a - b) <= 1e-11 * max(1.0, abs(b)), name
