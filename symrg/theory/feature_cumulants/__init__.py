"""Non-Gaussian features: the input-dependent ridge, derived by SymPy (docs/theory.md section 5).

What is put in and what is derived
----------------------------------
Put in (definitions):

* the joint law of one greater feature ``u_0 = phi_k(x)`` and ``m`` kept features
  ``u_q = phi_q(x)`` (``q = 1..m``) as a Gram–Charlier / Edgeworth series about the standard
  normal ``N(0, I)`` (orthonormal features, ``∫ dmu phi_k phi_q = delta_kq``)::

      p(u) = phi_N(u) [1 + sum_alpha eps^w(alpha) kappa_alpha He_alpha(u) / alpha! + ...]

  with multivariate probabilists' Hermite polynomials ``He_alpha(u) = prod_i He_{alpha_i}(u_i)``
  and symbolic coefficients ``kappa_alpha`` for ``|alpha| = 1`` (means, ``order="linear"`` only),
  ``3`` and ``4`` (joint cumulants ``c3``, ``c4``).  ``order="edgeworth2"`` is the Edgeworth
  series to ``O(eps^2)`` with ``c3 ~ eps``, ``c4 ~ eps^2``: it adds
  ``1/2 sum_{alpha,beta} kappa_alpha kappa_beta He_{alpha+beta} / (alpha! beta!)``;
* the data term ``exp(-(h + g)^2/(2 sigma^2))`` with the greater field ``g = f_>(x)``, which given
  the kept features is taken Gaussian with variance ``V(x) = sum_{k>kappa} lambda_k E[phi_k^2|phi_<(x)]``
  (``g = sum_k f_k phi_k(x)`` with Gaussian prior coefficients ``f_k``; ``sum_k lambda_k phi_k(x)^2``
  self-averages to its conditional expectation over many greater modes).

Derived (nothing below is typed in):

* ``E[u_0^2 | u_<] = ∫ u_0^2 p du_0 / ∫ p du_0`` by ``sympy.integrate`` of the Hermite moments of
  ``u_0`` and a truncated series division in ``eps``, for ``m = 1, 2, 3`` kept features;
  the derivation shows that the means and every cumulant without two indices on ``u_0`` drop out
  at first order;
* the general-``m`` tensor form (``IndexedBase`` objects and ``Sum`` nodes): an index-structure
  ansatz whose numeric coefficients are *solved for* from the ``m = 2`` result and then checked
  against ``m = 1`` and ``m = 3``;
* the effective data term by the Wilsonian engine (:func:`symrg.engine.wilson_step`, cumulant
  expansion in the greater field with propagator ``V``) and by exact Gaussian integration
  (per sample, and ``M`` replicas with ``M -> 0``): ``sigma^2 -> sigma^2 + V(x)``;
* the functional flow ``d sigma_kappa^2(x)/d kappa = -lambda_kappa E[phi_kappa^2 | phi_<(x)]``
  from the engine's flow of the mode sum ``V``;
* the two reductions: all cumulants zero gives the constant ``sigma^2 + sum_{k>kappa} lambda_k``;
  a whole degenerate shell (addition theorem ``sum_m Y_lm(x)^2 = N(d, l)`` in the normalisation
  ``∫ dmu Y^2 = 1``) gives a constant.

Closed forms of docs/theory.md appear only as check targets; a failed check raises
:class:`~symrg.errors.VerificationError`.

On an empirical measure the features are orthonormal in their *raw* second moments but their
means need not vanish (the top NNGP mode is close to constant).  The natural expansion
coefficients about ``N(0, I)`` are then the Hermite moments ``h_alpha = E[He_alpha(phi)]``:
``h_kkq = E[phi_k^2 phi_q] - E[phi_q]`` and ``h_kkqq' = E[phi_k^2 phi_q phi_q'] - delta_qq'`` for
``k`` not kept; they equal the joint cumulants ``c3``, ``c4`` when the means vanish.  The numeric
layer (:mod:`symrg.numerics.input_ridge`) estimates these.

The generated modules ``symrg/_generated/input_ridge{,_mp}.py`` are lowered from the tensor form by
:func:`symrg.codegen.einsum.render_input_ridge_module` (a small einsum lowering of ``Sum``-of-``Indexed``
nodes with tensor-level common-subexpression elimination: the greater-mode index is contracted first)
and written by :func:`symrg.codegen.modules.regenerate_input_ridge`; this package returns SymPy results
only: :mod:`.conditional` (the conditional moment and its tensor lift), :mod:`.data_term` (the greater
field integrated out of the data term, the shell reduction), :mod:`.derivation` (the assembled result).
"""
from __future__ import annotations

from .conditional import (C3, C4, C4D, EPS, I_, K_, LAM, N_GT, N_IN, N_KEPT, PHI, Q_, R_, SIGMA2, U0,
                          ConditionalMoment, conditional_second_moment, tensor_forms)
from .data_term import shell_addition_check
from .derivation import InputRidgeDerivation, derive_input_ridge

__all__ = [
    "ConditionalMoment",
    "InputRidgeDerivation",
    "conditional_second_moment",
    "derive_input_ridge",
    "tensor_forms",
    "shell_addition_check",
    # the SymPy symbols of the tensor form (the code generator reads them)
    "EPS", "SIGMA2", "U0", "N_IN", "N_GT", "N_KEPT", "I_", "K_", "Q_", "R_", "LAM", "PHI", "C3", "C4", "C4D",
]
