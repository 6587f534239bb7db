"""Mercer modes of a kernel with respect to the empirical measure of N points.

docs/theory.md section 1: on the empirical measure ``mu = (1/N) sum_i delta_{x_i}`` the Mercer
equation becomes the Gram eigenproblem

    (1/N) sum_j K_ij v_j = lambda v_i,      phi_k(x_i) = sqrt(N) v_{k,i},

so that ``(1/N) sum_i phi_k(x_i) phi_q(x_i) = delta_kq`` and ``K_ij = sum_k lambda_k phi_k(x_i) phi_k(x_j)``.
The eigenfunctions extend to any point by the Nystrom formula (the Mercer equation read at x)

    phi_k(x) = 1/(N lambda_k) sum_i K(x, x_i) phi_k(x_i).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg

from .._validate import check_finite_array, check_kappa, check_square_symmetric, not_psd_error, psd_tolerance
from ..errors import KernelError, ParameterError

__all__ = ["EmpiricalSpectrum"]


@dataclass(frozen=True, eq=False)
class EmpiricalSpectrum:
    """Eigenvalues ``lambda_k`` (descending) and eigenfunctions ``phi[i, k] = phi_k(x_i)`` on N points.

    Build it with :meth:`from_gram` or :meth:`from_data`.  Eigenvalues below zero by rounding
    (allowed by the PSD check) are set to 0.  ``X`` and ``kernel`` are kept when the spectrum was
    built from data, so that :meth:`extend` can evaluate eigenfunctions at new points.
    """

    eigenvalues: np.ndarray
    phi: np.ndarray
    X: np.ndarray | None = None
    kernel: object = None

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_gram(cls, K, *, check: bool = True) -> "EmpiricalSpectrum":
        """Modes of the empirical measure from the Gram matrix ``K_ij = K(x_i, x_j)``.

        The PSD test costs nothing extra: it reads the smallest eigenvalue of the decomposition
        itself (tolerance :func:`symrg._validate.psd_tolerance`).  ``check=False`` skips it and the
        symmetry test for a Gram matrix the caller has already validated; finiteness is always checked.
        """
        if check:
            K = check_square_symmetric(K, "Gram matrix")
        else:
            K = np.asarray(K, dtype=float)
            if K.ndim != 2 or K.shape[0] != K.shape[1] or not np.all(np.isfinite(K)):
                raise KernelError(f"Gram matrix must be square and finite, got shape {K.shape}")
        N = K.shape[0]
        if N == 0:
            raise KernelError("Gram matrix is empty")
        # (1/N) K v = lambda v  (symmetrised against rounding; eigh returns ascending order)
        w, V = scipy.linalg.eigh(0.5 * (K + K.T) / N, overwrite_a=True, check_finite=False)
        if check and w[0] * N < -psd_tolerance(K):
            raise not_psd_error("Gram matrix", float(w[0] * N), K)
        w, V = w[::-1].copy(), V[:, ::-1].copy()
        w[w < 0] = 0.0
        phi = np.sqrt(N) * V                      # phi_k(x_i) = sqrt(N) v_{k,i}
        for a in (w, phi):
            a.setflags(write=False)
        return cls(eigenvalues=w, phi=phi)

    @classmethod
    def from_data(cls, X, kernel, *, check: bool = True) -> "EmpiricalSpectrum":
        """Modes of ``kernel`` on the empirical measure of the rows of ``X``.

        ``kernel`` has a ``.gram(X, Y)`` method (e.g. :class:`~symrg.spectra.NNGPKernel`, which
        expects unit-norm rows) or is a callable ``kernel(X, Y) -> matrix``.
        """
        X = check_finite_array(X, "X", ndim=2)
        spec = cls.from_gram(gram_matrix(kernel, X, X), check=check)
        Xr = X.copy()
        Xr.setflags(write=False)
        return cls(eigenvalues=spec.eigenvalues, phi=spec.phi, X=Xr, kernel=kernel)

    # -- basic quantities -------------------------------------------------------------------
    @property
    def n_points(self) -> int:
        return int(self.phi.shape[0])

    @property
    def n_modes(self) -> int:
        return int(self.eigenvalues.shape[0])

    def features(self, kappa: int | None = None, index=None) -> np.ndarray:
        """``phi_k(x_i)`` for the kept modes ``k <= kappa`` (all if None) at pool rows ``index``."""
        kappa = self.n_modes if kappa is None else check_kappa(kappa, self.n_modes)
        kept = self.phi[:, :kappa]                 # a view; indexing then copies n x kappa only
        return kept if index is None else kept[np.asarray(index)]

    def tail_sum(self, kappa: int) -> float:
        """``sum_{k > kappa} lambda_k``: the shift of the renormalised ridge (docs/theory.md section 4)."""
        kappa = check_kappa(kappa, self.n_modes)
        return float(np.sum(self.eigenvalues[kappa:]))

    def greater_diagonal(self, kappa: int, index=None) -> np.ndarray:
        """``K_>(x_i, x_i) = sum_{k > kappa} lambda_k phi_k(x_i)^2`` at pool rows ``index``."""
        kappa = check_kappa(kappa, self.n_modes)
        lam = self.eigenvalues
        if 2 * kappa >= self.n_modes:              # few greater modes: sum them directly
            rows = self.phi[:, kappa:]
            rows = rows if index is None else rows[np.asarray(index)]
            return (rows ** 2) @ lam[kappa:]
        # many greater modes: K(x_i, x_i) minus the kept part (cost n * kappa, not n * P)
        total = self._diagonal if index is None else self._diagonal[np.asarray(index)]
        kept = self.features(kappa, index)
        return np.maximum(total - (kept ** 2) @ lam[:kappa], 0.0)

    @cached_property
    def _diagonal(self) -> np.ndarray:
        """``K(x_i, x_i) = sum_k lambda_k phi_k(x_i)^2`` on the pool (computed once)."""
        return (self.phi ** 2) @ self.eigenvalues

    def lesser_kernel(self, kappa: int, index=None, index2=None) -> np.ndarray:
        """``K_<(x_i, x_j) = sum_{k <= kappa} lambda_k phi_k(x_i) phi_k(x_j)`` on pool rows."""
        A = self.features(kappa, index)
        B = A if index2 is None else self.features(kappa, index2)
        return (A * self.eigenvalues[: A.shape[1]]) @ B.T

    def reconstruct(self) -> np.ndarray:
        """The Gram matrix ``sum_k lambda_k phi_k(x_i) phi_k(x_j)`` (equals K up to rounding)."""
        return self.lesser_kernel(self.n_modes)

    # -- Nystrom extension ------------------------------------------------------------------
    def nystrom(self, K_new, kappa: int | None = None, rtol: float = 1e-12) -> np.ndarray:
        """Eigenfunctions at new points from their cross-kernel ``K_new[m, i] = K(x_m, x_i)``.

        ``phi_k(x) = (1/(N lambda_k)) sum_i K(x, x_i) phi_k(x_i)``; returns shape (m, kappa).
        Modes with ``lambda_k <= rtol * lambda_1`` have no stable extension and raise.
        """
        kappa = self.n_modes if kappa is None else check_kappa(kappa, self.n_modes)
        K_new = check_finite_array(K_new, "K_new", ndim=2)
        if K_new.shape[1] != self.n_points:
            raise ParameterError("K_new", f"array of shape {K_new.shape}",
                                 f"a cross-kernel with {self.n_points} columns (one per pool point)")
        lam = self.eigenvalues[:kappa]
        floor = rtol * (self.eigenvalues[0] if self.n_modes else 0.0)
        if kappa and lam[-1] <= floor:
            last = int(np.count_nonzero(self.eigenvalues > floor))
            raise ParameterError("kappa", kappa, f"an integer in [0, {last}] (modes with lambda_k > "
                                 f"{rtol:g} lambda_1 have a stable Nystrom extension)")
        return (K_new @ self.phi[:, :kappa]) / (self.n_points * lam)

    def extend(self, X_new, kappa: int | None = None) -> np.ndarray:
        """Eigenfunctions at new inputs (needs a spectrum built by :meth:`from_data`)."""
        if self.X is None or self.kernel is None:
            raise ParameterError("X_new", "new inputs", "a spectrum built with from_data(X, kernel); "
                                 "otherwise pass the cross-kernel to nystrom()")
        X_new = check_finite_array(X_new, "X_new", ndim=2)
        return self.nystrom(gram_matrix(self.kernel, X_new, self.X), kappa)


def gram_matrix(kernel, X, Y) -> np.ndarray:
    """``K(X, Y)`` from an object with ``.gram(X, Y)`` or a callable ``kernel(X, Y)``."""
    if hasattr(kernel, "gram"):
        return np.asarray(kernel.gram(X, Y), dtype=float)
    if callable(kernel):
        return np.asarray(kernel(X, Y), dtype=float)
    raise ParameterError("kernel", kernel, "an object with .gram(X, Y) or a callable kernel(X, Y)")
