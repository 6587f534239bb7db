"""The prior-drawn sphere trial (matched target) against the Bayesian identity it must obey: with the target
drawn from the GP prior and label noise equal to the ridge, the expected test MSE of the posterior mean is the
posterior variance ``k(x, x) - k_xX (K + sigma^2 I)^-1 k_Xx`` averaged over test inputs.  The identity is
evaluated here directly, on the same inputs, without sampling any target."""
from __future__ import annotations

import numpy as np
import pytest

from symrg.data import sample_sphere
from symrg.numerics.simulate import sphere_prior_trial
from symrg.spectra.kernels import NNGPKernel


def test_prior_trial_mse_is_the_posterior_variance():
    k, dim, ridge, ns, n_test = NNGPKernel("relu", 1), 3, 0.05, [10, 40], 100
    mse, var = [], []
    for t in range(1200):
        ss = np.random.SeedSequence([7, t])
        mse.append(sphere_prior_trial(k, dim, ridge, ns, n_test, ss))
        # the same inputs the trial drew (its first draw from the same generator)
        Z = sample_sphere(max(ns) + n_test, dim, np.random.default_rng(ss))
        K = k.gram(Z)
        m = max(ns)
        row = []
        for n in ns:
            A = K[:n, :n] + ridge * np.eye(n)
            Kt = K[m:, :n]
            row.append(float(np.mean(np.diag(K)[m:] - np.einsum("ij,ji->i", Kt, np.linalg.solve(A, Kt.T)))))
        var.append(row)
    mse, var = np.array(mse), np.array(var)
    se = mse.std(axis=0, ddof=1) / np.sqrt(len(mse))
    for j in range(len(ns)):
        assert abs(mse[:, j].mean() - var[:, j].mean()) < 3 * se[j]
        assert 3 * se[j] < 0.1 * var[:, j].mean()             # resolved well enough to see a 10% error
