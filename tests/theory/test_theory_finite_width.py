"""Finite-width networks in the engine (docs/theory.md sections 2.4, 3, 6): the symbolic side."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp


def test_one_loop_quadratic_matches_engine():
    from symrg.engine import wilson_step
    from symrg.theory.finite_width import one_loop_quadratic, tensor_action
    act = tensor_action(3, 1)
    res = wilson_step(act, 1, diagrams=False)
    rng = np.random.default_rng(0)
    U = rng.standard_normal((3,) * 4)
    U = sum(U.transpose(p) for p in __import__("itertools").permutations(range(4))) / 24
    lam = np.array([1.0, 0.5, 0.25])
    subs = {sp.Symbol("eta", positive=True): 10.0, sp.Symbol("sigma2", positive=True): 0.1}
    for s in res.coefficients[sp.Symbol("f_1") ** 2].free_symbols:
        name = s.name
        if name.startswith("U_"):
            subs[s] = U[tuple(int(c) - 1 for c in name[2:])]
        elif name.startswith("lambda_"):
            subs[s] = lam[int(name[7:]) - 1]
    val = float(res.coefficients[sp.Symbol("f_1") ** 2].xreplace(subs)) - 1 / (2 * lam[0]) - 10.0 / (2 * 0.1)
    assert one_loop_quadratic(U, lam, 1, 10.0, 0.1)[0, 0] / 2 == pytest.approx(val, rel=1e-12)
