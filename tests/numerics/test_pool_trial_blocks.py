"""pool_trial with the training Gram filled by row blocks (large n) gives the one-block numbers."""
import numpy as np

import symrg.numerics.simulate as sim
from symrg.spectra import NNGPKernel
from symrg.studies.realdata import pool_problem


def test_blockwise_training_gram_matches(monkeypatch):
    prob = pool_problem("digits", 500, 0, 100, target_class=1)
    args = (prob.X_pool, prob.X_test, prob.Y_pool, prob.Y_test, NNGPKernel("relu", 2), 1e-3, [20, 200, 400],
            np.random.SeedSequence(1))
    one = sim.pool_trial(*args)
    monkeypatch.setattr(sim, "ROW_BLOCK", 128)
    blocks = sim.pool_trial(*args)
    np.testing.assert_allclose(np.array(blocks), np.array(one), rtol=1e-10)
