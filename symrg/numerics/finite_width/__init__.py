"""Finite-width one-hidden-layer networks: four-point function, quartic coupling, the O(1/width)
posterior mean, and a Monte Carlo ground truth that uses no perturbation theory
(docs/theory.md sections 2.4 and 6).

Network and conventions (the same as :class:`~symrg.spectra.kernels.NNGPKernel`, depth 1)
-------------------------------------------------------------------------------------------
Inputs on the unit sphere; ``N`` hidden units ``phi(w_i . x)`` with ``w_i ~ N(0, I_d)`` (so the
pre-activations have covariance ``x.x'``) and a Gaussian read-out::

    f(x) = N^{-1/2} sum_i v_i phi(w_i . x) + b,   v_i ~ N(0, sigma_w^2),  b ~ N(0, sigma_b^2).

Given the hidden weights ``W`` the output is a GP with kernel
``K_W(x, x') = (sigma_w^2 / N) sum_i phi(w_i.x) phi(w_i.x') + sigma_b^2`` (eq. W), whose mean over
``W`` is the NNGP kernel ``K = sigma_w^2 M + sigma_b^2``, ``M_ab = E[phi(u_a) phi(u_b)]``.

Four-point function (exact in N, eq. K4)::

    kappa_4(x1, x2, x3, x4) = (sigma_w^4 / N) sum_{3 pairings (ab|cd)} (M4_abcd - M_ab M_cd),
    M4_abcd = E[phi(u_a) phi(u_b) phi(u_c) phi(u_d)],

and ``delta K = K_W - K`` is a mean of ``N`` iid zero-mean matrices
``D = sigma_w^2 (phi phi^T - M)`` with ``Cov(delta K_ab, delta K_cd) = C_{ab,cd} / N``,
``C_{ab,cd} = sigma_w^4 (M4_abcd - M_ab M_cd)`` (eq. C).

Quartic coupling (action convention ``S = 1/2 f K^-1 f + (1/4!) U f^4 + ...``, docs/theory.md section 2.4):
to first order the prior density is the Edgeworth form ``N(f; 0, K)(1 + kappa_4 . H_4(f)/4!)``,
so ``U_klmn = -kappa4_klmn / (lambda_k lambda_l lambda_m lambda_n)`` in mode space (the amputated
four-point function ``(K^-1)^{x4} kappa_4`` with the sign of the action); ``U < 0`` for a positive
excess kurtosis.

Posterior mean to O(1/N) (eq. P).  With ``A = K_XX + sigma^2 I``, ``alpha = A^-1 y``,
``beta_j = A^-1 K_Xj``, ``p(y|W)`` the GP evidence under ``K_W`` and ``m_W`` its posterior mean,
expanding ``E_W[p m_W] / E_W[p]`` to second order in ``delta K`` gives, exactly at O(1/N)::

    m(x_j) = m_GP(x_j) + (1/N) E_w[ L1(D) m1_j(D) + m2_j(D) ],
    L1(D)   = 1/2 (alpha^T D_XX alpha - tr(A^-1 D_XX))                 (d log p)
    m1_j(D) = D_jX alpha - beta_j^T D_XX alpha                           (d m)
    m2_j(D) = -D_jX A^-1 D_XX alpha + beta_j^T D_XX A^-1 D_XX alpha      (d^2 m / 2)

where ``E_w`` is over ONE hidden unit ``w ~ N(0, I)``.  Equivalently it is a contraction of the
tensor ``C`` of eq. C (:func:`one_over_n_from_cov`), and it equals the first-order shift of the
posterior mean under the Edgeworth action (checked against the Wilsonian engine in
:func:`symrg.verify.checks_finite_width.engine_cross_check`).

Deep networks (depth ``L``): the O(1/N) posterior mean from the multi-input recursion, :mod:`.deep_posterior`, against
Monte Carlo of actual deep networks, :mod:`.deep_posterior_mc` (docs/theory.md section 6x).

Posterior mean to O(1/N^2): :mod:`.second_order` (the expansion derived by SymPy, checked against exact
enumeration of the width-N ensemble of a discrete unit law).
"""
from __future__ import annotations

from .coupling import QuarticCoupling, quartic_coupling
from .deep_posterior import deep_gp_posterior_mean, deep_metric_recursion, deep_one_over_n_coefficient
from .deep_posterior_mc import (compare_deep_posteriors, deep_monte_carlo_posterior, deep_network_kernels,
                                deep_posterior_study)
from .moments import (ACTIVATIONS, activation_moment, activation_moment_mc, excess_kurtosis, four_point_function,
                      kernel_fluctuation_cov, relu_pair_moment, single_input_moments)
from .montecarlo import (DegenerateWeightsWarning, MonteCarloPosterior, PosteriorComparison, compare_posteriors,
                         excess_kurtosis_mc, monte_carlo_cost, monte_carlo_posterior)
from .posterior import gp_posterior_mean, one_over_n_coefficient, one_over_n_from_cov, posterior_one_over_n
from .second_order import (SecondOrderCoefficient, discrete_law_posterior_exact, second_order_coefficient,
                           second_order_from_units)

__all__ = [
    "ACTIVATIONS", "DegenerateWeightsWarning", "activation_moment", "activation_moment_mc",
    "relu_pair_moment", "single_input_moments", "excess_kurtosis", "excess_kurtosis_mc", "kernel_fluctuation_cov",
    "four_point_function", "QuarticCoupling", "quartic_coupling", "one_over_n_from_cov",
    "one_over_n_coefficient", "PosteriorComparison", "gp_posterior_mean", "posterior_one_over_n",
    "MonteCarloPosterior", "monte_carlo_posterior", "monte_carlo_cost", "compare_posteriors",
    "SecondOrderCoefficient", "second_order_coefficient", "second_order_from_units",
    "discrete_law_posterior_exact", "deep_metric_recursion", "deep_one_over_n_coefficient", "deep_gp_posterior_mean",
    "deep_monte_carlo_posterior", "deep_network_kernels", "compare_deep_posteriors", "deep_posterior_study",
]
