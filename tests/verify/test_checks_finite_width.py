"""The O(1/N) posterior shift by two routes (eq. P contraction vs the engine on the Edgeworth action)."""
from __future__ import annotations

import pytest

from symrg.verify.checks_finite_width import engine_cross_check


def test_engine_cross_check_edgeworth():
    """Eq. P (covariance of delta K) and the engine on the Edgeworth action agree to rounding."""
    out = engine_cross_check("relu", 8)
    assert out["delta_engine_route"][0] == pytest.approx(out["delta_cov_route"][0], rel=1e-9)
