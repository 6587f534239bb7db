"""The quartic coupling ``U`` of a finite-width network in the Mercer modes of an empirical measure
(the amputated four-point function of eq. K4 of :mod:`symrg.numerics.finite_width`, action convention)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..._validate import check_finite_array, check_int, check_positive
from ...errors import ParameterError
from .moments import (_check_activation, _check_width, _input_factor, _second_moments, _unit_features,
                      excess_kurtosis, kernel_fluctuation_cov)

__all__ = ["QuarticCoupling", "quartic_coupling"]


@dataclass(frozen=True)
class QuarticCoupling:
    """Quartic coupling of the width-``N`` network in the Mercer modes of an empirical measure.

    ``eigenvalues`` ``lambda_k`` and ``modes`` ``phi_k(x_i)`` of ``K`` on the ``P`` points
    (``(1/P) K v = lambda v``, ``phi_k(x_i) = sqrt(P) v_{k,i}``); ``kappa4`` the mode tensor
    ``int dmu^4 kappa_4 phi_k phi_l phi_m phi_n``; ``U = -kappa4 / (lambda_k lambda_l lambda_m lambda_n)``
    (action convention, docs/theory.md section 2.4); ``u_local`` the least-squares local coupling with
    ``U_klmn ~ u int dmu phi_k phi_l phi_m phi_n`` and ``local_residual`` its relative Frobenius
    residual; ``kappa4_sem`` the Monte Carlo error of ``kappa4`` (0 for quadrature).
    """

    activation: str
    width: int
    eigenvalues: np.ndarray
    modes: np.ndarray
    kappa4: np.ndarray
    U: np.ndarray
    u_local: float
    local_residual: float
    excess_kurtosis: float
    kappa4_sem: np.ndarray = field(default=None)
    method: str = "mc"

    def to_dict(self) -> dict:
        return {"activation": self.activation, "width": self.width, "method": self.method,
                "eigenvalues": self.eigenvalues.tolist(), "U": self.U.tolist(),
                "kappa4": self.kappa4.tolist(), "u_local": self.u_local,
                "local_residual": self.local_residual, "excess_kurtosis": self.excess_kurtosis,
                "convention": "S = 1/2 sum f_k^2/lambda_k + (1/4!) sum U_klmn f_k f_l f_m f_n; "
                              "U = -(K^-1)^{x4} kappa_4 in mode space; local: U_klmn = u int dmu phi_k phi_l phi_m phi_n"}


def quartic_coupling(activation: str, X, width: int, n_modes: int = 4, *, sigma_w2: float = 2.0,
                     method: str = "mc", n_samples: int = 200_000, seed: int = 0) -> QuarticCoupling:
    """The quartic coupling ``U`` of the first ``n_modes`` Mercer modes of ``K`` on the points ``X``.

    ``method="mc"``: ``kappa4_klmn = (sigma_w^4/N) sum_pairings E_w[a_k a_l a_m a_n] - ...`` with the
    single-unit mode projections ``a_k(w) = (1/P) sum_i phi(w.x_i) phi_k(x_i)`` sampled over ``w``;
    ``method="quadrature"``: the exact four-point tensor on the points (P <= ~8) projected on modes.
    """
    _check_activation(activation)
    N = _check_width(width)
    X = check_finite_array(X, "X", ndim=2)
    P = X.shape[0]
    n_modes = check_int(n_modes, "n_modes", 1, P)
    s = check_positive(sigma_w2, "sigma_w2")
    M = _second_moments(activation, X)
    ev, V = np.linalg.eigh(s * M / P)
    order = np.argsort(ev)[::-1][:n_modes]
    lam, phi = ev[order], math.sqrt(P) * V[:, order]      # phi_k(x_i), (P, n_modes)
    proj = phi / P                                         # a_k = phi(w.x) @ proj
    Mk = proj.T @ M @ proj                                 # E[a_k a_l] = lambda_k delta_kl / sigma_w^2
    sem = None
    if method == "quadrature":
        C = kernel_fluctuation_cov(activation, X, s)
        C4 = np.einsum("abcd,ak,bl,cm,dn->klmn", C, proj, proj, proj, proj, optimize=True)
    elif method == "mc":
        rng = np.random.default_rng(seed)
        F = _input_factor(X)
        acc = np.zeros((n_modes,) * 4)
        acc2 = np.zeros((n_modes,) * 4)
        left = check_int(n_samples, "n_samples", 100, None)
        while left:
            b = min(left, 50_000)
            a = _unit_features(activation, F, b, rng) @ proj
            t = np.einsum("sk,sl,sm,sn->sklmn", a, a, a, a, optimize=True)
            acc += t.sum(0)
            acc2 += (t * t).sum(0)
            left -= b
        m4 = acc / n_samples
        sem = s ** 2 * 3 * np.sqrt(np.maximum(acc2 / n_samples - m4 ** 2, 0) / n_samples) / N
        C4 = s ** 2 * (m4 - np.einsum("kl,mn->klmn", Mk, Mk))
    else:
        raise ParameterError("method", method, '"mc" or "quadrature"')
    k4 = (C4 + C4.transpose(0, 2, 1, 3) + C4.transpose(0, 3, 2, 1)) / N
    U = -k4 / np.einsum("k,l,m,n->klmn", lam, lam, lam, lam)
    T = np.einsum("ik,il,im,in->klmn", phi, phi, phi, phi) / P
    u = float(np.sum(U * T) / np.sum(T * T))
    res = float(np.linalg.norm(U - u * T) / max(np.linalg.norm(U), 1e-300))
    return QuarticCoupling(activation, N, lam, phi, k4, U, u, res, excess_kurtosis(activation, N, s),
                           sem, method)

