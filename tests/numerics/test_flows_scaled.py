"""Shells.scaled: the exact power-of-two rescaling used by the self-consistent closure, without a
second validation, against a Shells built and validated from the divided arrays."""
import numpy as np
import pytest

from symrg.errors import ParameterError
from symrg.numerics.flows import Shells


def test_scaled_equals_a_validated_construction():
    sh = Shells.powerlaw(0.3, 0.7, 50)
    s = sh.scaled(2.0 ** 5)
    ref = Shells(sh.lam / 32, sh.mult, sh.tail / 32, (0.3 / 32, 0.7, 50))
    np.testing.assert_array_equal(s.lam, ref.lam)
    assert s.tail == ref.tail and s.tail_powerlaw == ref.tail_powerlaw
    with pytest.raises(ParameterError):
        sh.scaled(3.0)
