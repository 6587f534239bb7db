"""Exact and reduced (renormalised) Gaussian-process regression.

Exact GP (docs/theory.md section 2.1): the posterior mean is
``m(x) = K(x, X) (K(X, X) + sigma^2 I)^{-1} y``, computed with a Cholesky factorisation.

Reduced GP (docs/theory.md section 4, "Finite-n statement"): the modes come from the empirical
measure of a *pool* of P points (:class:`~symrg.spectra.empirical.EmpiricalSpectrum`).  With a
cutoff ``kappa`` the kept kernel is ``K_<(x, x') = sum_{k<=kappa} lambda_k phi_k(x) phi_k(x')`` and
the greater modes enter only through a diagonal noise covariance ``D``:

* ``"truncated"``          ``D = sigma^2``
* ``"renormalized_const"`` ``D = sigma_kappa^2 = sigma^2 + sum_{k>kappa} lambda_k`` (universal flow)
* ``"renormalized_x"``     ``D_mu = sigma_kappa^2(x_mu)``, a per-point ridge supplied by the caller
  (``ridge_x``; e.g. the cumulant expansion of docs/theory.md section 5)
* ``"exact_diagonal"``     ``D_mu = sigma^2 + K_>(x_mu, x_mu)`` (the FITC diagonal correction)

and one variant with a dense noise covariance (docs/theory.md section 4, finite-n statement:
integrating ``f_>`` out of the finite-data action exactly):

* ``"full_greater"``       ``Sigma = sigma^2 I + K_>(X, X)``, ``K_>(x, x') = sum_{k>kappa} lambda_k phi_k(x) phi_k(x')``
  (:func:`weight_space_posterior_dense`: Cholesky of ``Sigma``, then the same Woodbury solve on
  the whitened problem).  Its log marginal likelihood and kept-mode weights equal those of the
  exact GP for every ``kappa``; the diagonal variants drop the off-diagonal part of ``K_>``.

The reduced model is solved in weight space with the Woodbury identity,
``w = (Lambda^{-1} + Phi^T D^{-1} Phi)^{-1} Phi^T D^{-1} y`` and ``m(x) = Phi(x) w``, at cost
O(n kappa^2 + kappa^3) instead of O(n^3).  In the form used here,
``w = Lambda^{1/2} (I + B^T B)^{-1} B^T D^{-1/2} y`` with ``B = D^{-1/2} Phi Lambda^{1/2}``, the matrix
to factorise has eigenvalues >= 1, so zero eigenvalues ``lambda_k`` need no special care.

At ``kappa = P`` every variant has ``K_< = K`` on the pool and no greater modes, so it reproduces
the exact GP (checked by :func:`compare_reduced` and the tests).
"""
from __future__ import annotations

from .comparison import ReducedComparison, compare_reduced, default_kappa_grid
from .exact import ExactGP, ridge_solve
from .reduced import (ALL_VARIANTS, DEFAULT_VARIANTS, VARIANTS, ReducedGP, greater_covariance,
                      weight_space_posterior, weight_space_posterior_dense)

__all__ = [
    "VARIANTS",
    "ALL_VARIANTS",
    "DEFAULT_VARIANTS",
    "ExactGP",
    "ReducedGP",
    "ReducedComparison",
    "compare_reduced",
    "default_kappa_grid",
    "greater_covariance",
    "ridge_solve",
    "weight_space_posterior",
    "weight_space_posterior_dense",
]
