"""Top ``kappa`` Mercer modes of a large pool plus the trace (docs/theory.md section 4b).

On the empirical measure of ``P`` points the modes are the eigenpairs of ``(1/P) K``
(docs/theory.md section 1), ``phi_k(x_i) = sqrt(P) v_{k,i}``.  Predictions need the modes above the
IR scale one by one and the rest only through their total power, the trace

    sum_k lambda_k = E_mu K(x, x) = (1/P) sum_i K(x_i, x_i),

which costs ``O(P)``.  :func:`topk_spectrum` returns the top ``kappa`` eigenpairs, the trace and the
tail power ``trace - sum_{k <= kappa} lambda_k`` without holding the ``P x P`` kernel when it does not
fit in ``memory_limit``.

Algorithm (``method="randomized"``).  Every product ``K Q`` is computed by square tiles
``K[I, J]`` (``J >= I``) of the upper triangle, formed on the fly by ``kernel.gram`` and used twice
(``Y[I] += K[I, J] Q[J]``, ``Y[J] += K[I, J]^T Q[I]``), so a pass costs ``P^2/2`` kernel evaluations
and ``2 P^2 m`` flops for ``m`` columns, in ``O(block_rows^2 + P (kappa + oversample))`` memory.
Tiles that fit in the memory budget are kept after the first pass (all of them when K fits: it is
then formed once); the products go through the same code either way.  Starting from a Gaussian
block (Halko, Martinsson & Tropp 2011) of ``l = kappa + oversample`` columns, each pass applies K to
the residual directions of the not yet converged columns and does a Rayleigh-Ritz step on the
orthonormal basis ``[V, W, P]`` (Ritz vectors, residuals, previous update): the locally optimal
block iteration of Knyazev's LOBPCG, with soft locking, every block orthonormalised twice (SVQB with
dropping, then Cholesky QR) and the ``P`` direction built in coefficient space (Hetmaniuk & Lehoucq
2006), so that no ill-conditioned basis is ever inverted.  ``method="subspace"`` is the plain HMT
randomized subspace iteration (``Q <- orth(K Q)``, Rayleigh-Ritz on every pass), kept as a second
route; ``method="exact"`` is ``scipy.linalg.eigh`` of the dense ``(1/P) K``.

Why LOBPCG.  When K is streamed every pass re-forms it, so passes are what cost.  Measured on 5000
Fashion-MNIST images (depth-1 ReLU NNGP, top-kappa eigenvalues to 1e-10 relative), the passes
needed were, for kappa = 100: 10 with LOBPCG (l = 120) against 80, 25 and 15 for subspace iteration
with l = 110, 150, 200; ``scipy.sparse.linalg.lobpcg`` (l = 110) needed 42 and ``eigsh`` (ARPACK) 253
single-vector products; for kappa = 1000, LOBPCG (l = 1100) needed 10.  Subspace iteration converges
like ``(lambda_{l+1}/lambda_k)^2`` per pass, the locally optimal (Krylov-like) iteration roughly like
the square root of that, which matters on slowly decaying spectra.  Its price is a Rayleigh-Ritz step
of ``O(P l^2)`` flops and an eigenproblem of size up to ``3 l`` per pass: with ``l / P`` above about
0.05 (e.g. kappa = 1000 at P = 5000) the dense ``eigh`` is faster, and the randomized method is for
pools whose K does not fit.
At scale (benchmarks/bench_scale.py, Fashion-MNIST, depth-1 ReLU, kappa = 1000, float32 tiles, 7-8 passes; one
run on 2 cores, idle): P = 5,000 / 10,000 / 20,000 / 40,000 / 60,000 in 76 / 126 / 194 / 407 / 668 s, time ~
P^0.86, peak traced memory 1.0 / 1.5 / 2.7 / 6.3 / 11.9 GB (the float32 upper triangle of K is kept: 7.2 GB at
60,000).  With one BLAS thread, the other core busy: 108 / 176 / 307 / 636 / 1084 s.  On a shared machine one
BLAS thread is the faster choice (two threads were 2x slower at P = 10,000 beside another process).

Accuracy.  The iteration stops when every top-``kappa`` Ritz value changes by at most
``max(tol, 8 u) * theta_k + 16 u_64 theta_1`` in one pass (``tol`` default 1e-10 in float64);
:class:`ErrorEstimate` gives per-eigenvalue bounds and states what they bound.  With
``dtype=np.float32`` the kernel blocks are evaluated in float64 and stored and multiplied in float32
(half the memory, about twice the product speed); the Ritz values then converge to the spectrum of
the rounded K.  Measured against float64 ``eigh`` on the 1797 digits (depth-3 ReLU NNGP): relative
errors of the top 20 / 100 / 400 eigenvalues at most 2.9e-7 / 5.5e-6 / 3.0e-5 (median 8e-8 /
5e-7 / 3e-6), absolute errors at most 1.2e-9 lambda_1, about 1/100 of the ``rounding`` term
``(u(float32) + sqrt(P) u) ||K||_F / P ~ 1.2e-7 lambda_1`` that :class:`ErrorEstimate` adds to the
residuals; on 5000 Fashion-MNIST images (depth 1) at most 4.0e-7 (kappa = 100) and 1.0e-5
(kappa = 1000), tail power 3e-8 and 1.8e-7 relative (float64: 1.2e-12 and 1.6e-11; tail 3e-14
and 1.8e-13), see benchmarks/bench_topk.py.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validate import check_finite_array, check_int, check_positive
from ..errors import ConvergenceError, KernelError, ParameterError
from .kernels import NNGPKernel

__all__ = ["TopKSpectrum", "TargetPower", "ErrorEstimate", "topk_spectrum"]

METHODS = ("auto", "randomized", "subspace", "exact")
# cost model of method="auto" (seconds on the 2-core reference machine, fitted to benchmarks/bench_topk.py:
# dense eigh 9.6 s at P = 5000 and 49 s at P = 10000; randomized 7.6 s at (P, kappa) = (10000, 100), 55 s at
# (5000, 1000), 94 s at (10000, 1000), about 8 passes)
_COST_EXACT = 4.9e-11                # x P^3: the dense kernel and its eigendecomposition
_COST_PRODUCT = 8e-11                # x P^2 l per pass: products K Q
_COST_RITZ = 1.2e-9                  # x l^3 per pass: Rayleigh-Ritz and re-orthogonalisation
_PASSES = 8
_TILE = 2048                         # default tile of K: 2048 x 2048 (32 MiB in float64)
_KERNEL_TEMPS = 6                    # float64 temporaries of one tile while a kernel is evaluated

STATEMENT = (
    "bound[k] = residual[k] + rounding.  The interval theta_k +- bound[k] contains an eigenvalue of "
    "(1/P) K.  residual[k] = ||(1/P) K u_k - theta_k u_k|| for the unit Ritz vector u_k, with the "
    "computed products (Weyl / Bauer-Fike for symmetric matrices); rounding = (u(dtype) + sqrt(P) "
    "u(float64)) ||K||_F / P bounds the shift of every eigenvalue by rounding K to dtype (Weyl), "
    "with allowance for rounding in the products and the small eigenproblems (a model, not a "
    "proof).  Near convergence theta_k is within about residual[k]^2 / gap_k of lambda_k "
    "(Kato-Temple), far inside the bound; ritz_change[k] is the relative change of theta_k in the "
    "last pass.")


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ErrorEstimate:
    """Per-eigenvalue error bounds of a :class:`TopKSpectrum` (absolute, in eigenvalue units)."""

    residual: np.ndarray
    rounding: float
    ritz_change: np.ndarray
    statement: str = STATEMENT

    @property
    def bound(self) -> np.ndarray:
        """``residual + rounding``: theta_k +- bound_k contains an eigenvalue of (1/P) K."""
        return self.residual + self.rounding


@dataclass(frozen=True, eq=False)
class TargetPower:
    """Power of a target on the top modes and in the tail (docs/theory.md section 4c).

    ``coefficients[k] = y_k = (1/P) sum_i phi_k(x_i) y_i`` (shape ``(kappa,)`` or ``(kappa, m)``),
    ``total = ||y||^2 / P`` and ``tail = total - sum_k y_k^2`` per output (a float, or shape ``(m,)``);
    ``tail`` is computed as ``||y - sum_k y_k phi_k||^2 / P``, equal by Parseval on the pool and free
    of cancellation.  For several outputs, :attr:`mode_power` and :attr:`tail_sum` sum over them.
    """

    coefficients: np.ndarray
    tail: np.ndarray | float
    total: np.ndarray | float

    @property
    def mode_power(self) -> np.ndarray:
        """``y_k^2`` summed over outputs, shape ``(kappa,)``."""
        c2 = self.coefficients ** 2
        return c2 if c2.ndim == 1 else c2.sum(axis=1)

    @property
    def tail_sum(self) -> float:
        """The tail target power summed over outputs."""
        return float(np.sum(self.tail))


@dataclass(frozen=True, eq=False)
class TopKSpectrum:
    """Top ``kappa`` eigenpairs of ``(1/P) K`` on a pool, its trace and the tail power.

    ``eigenvalues`` descending; ``phi[i, k] = phi_k(x_i) = sqrt(P) v_{k,i}`` (the convention of
    :class:`~symrg.spectra.empirical.EmpiricalSpectrum`; the sign of each mode makes its largest
    entry positive); ``trace = (1/P) sum_i K(x_i, x_i) = sum_k lambda_k`` over all P modes;
    ``tail_power = trace - sum_{k <= kappa} lambda_k`` (set to 0 if rounding makes it negative
    within the error bounds); ``iterations`` counts passes over K.
    """

    eigenvalues: np.ndarray
    phi: np.ndarray
    trace: float
    tail_power: float
    method: str
    error_estimate: ErrorEstimate
    iterations: int
    dtype: str = "float64"
    method_reason: str = "chosen by the caller"

    def __post_init__(self):
        lam, phi = self.eigenvalues, self.phi
        if lam.ndim != 1 or phi.ndim != 2 or phi.shape[1] != lam.shape[0]:
            raise KernelError(f"inconsistent spectrum: eigenvalues {lam.shape}, phi {phi.shape}")
        if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(phi))
                and math.isfinite(self.trace) and math.isfinite(self.tail_power)):
            raise KernelError("spectrum has non-finite entries")
        if lam.size > 1 and np.any(np.diff(lam) > 0):
            raise KernelError("eigenvalues are not in descending order")
        for a in (lam, phi, self.error_estimate.residual, self.error_estimate.ritz_change):
            a.setflags(write=False)

    @property
    def n_points(self) -> int:
        return int(self.phi.shape[0])

    @property
    def kappa(self) -> int:
        return int(self.eigenvalues.shape[0])

    @property
    def eigenvectors(self) -> np.ndarray:
        """Unit eigenvectors ``v_k = phi_k / sqrt(P)``, shape ``(P, kappa)`` (a new array)."""
        return self.phi / math.sqrt(self.n_points)

    def target_power(self, y) -> TargetPower:
        """``y_k = (1/P) sum_i phi_k(x_i) y_i`` on the top modes and the tail power of ``y``.

        ``y`` has shape ``(P,)`` or ``(P, m)`` (m outputs, each treated separately; see
        :class:`TargetPower` for sums over outputs).
        """
        y = check_finite_array(y, "y")
        P = self.n_points
        if y.ndim not in (1, 2) or y.shape[0] != P:
            raise ParameterError("y", f"array of shape {y.shape}", f"shape ({P},) or ({P}, m): one "
                                 f"row per pool point")
        coef = self.phi.T @ y / P                          # y_k = (1/P) sum_i phi_k(x_i) y_i
        rest = y - self.phi @ coef                         # y minus its projection on the top modes
        tail = np.sum(rest ** 2, axis=0) / P
        total = np.sum(y ** 2, axis=0) / P
        if y.ndim == 1:
            tail, total = float(tail), float(total)
        return TargetPower(coefficients=coef, tail=tail, total=total)


# ----------------------------------------------------------------------------------------------
# K @ Q by row blocks of the upper triangle
# ----------------------------------------------------------------------------------------------
class _GramBlocks:
    """``Y = K Q`` with ``K = kernel.gram(X, X)`` formed tile by tile.

    The upper triangle is cut into square tiles ``K[I, J]`` (``J >= I``) of ``block_rows`` rows;
    each is used twice, ``Y[I] += K[I, J] Q[J]`` and ``Y[J] += K[I, J]^T Q[I]``, so K enters as the
    symmetric matrix with K's upper triangle.  The first time a tile is formed, diagonal tiles are
    checked for symmetry and give the diagonal of K, and every tile adds to ``||K||_F^2``; tiles are
    kept (in ``dtype``) while ``cache_bytes`` last.
    """

    def __init__(self, X, kernel, block_rows, dtype, cache_bytes, tick):
        self.X, self.kernel, self.dtype, self.tick = X, kernel, np.dtype(dtype), tick
        P = X.shape[0]
        edges = list(range(0, P, block_rows)) + [P]
        self.slices = [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]
        n = len(self.slices)
        self.tiles = [(i, j) for i in range(n) for j in range(i, n)]
        self.cache: dict[tuple, np.ndarray] = {}
        self.cache_left = int(cache_bytes)
        self.diag = np.zeros(P)
        self.sumsq = 0.0                                   # sum_ij K_ij^2, for ||K||_F
        self.seen: set[tuple] = set()
        self.passes = 0

    def tile(self, i, j) -> np.ndarray:
        key = (i, j)
        if key in self.cache:
            return self.cache[key]
        I, J = self.slices[i], self.slices[j]
        A, B = self.X[I], self.X[J]
        G = np.asarray(self.kernel.gram(A, B), dtype=np.float64)
        if G.shape != (A.shape[0], B.shape[0]):
            raise KernelError(f"kernel.gram returned shape {G.shape}, expected {(A.shape[0], B.shape[0])}")
        if not np.all(np.isfinite(G)):
            raise KernelError(f"kernel.gram returned {int(np.count_nonzero(~np.isfinite(G)))} non-finite "
                              f"entries (rows {I.start}:{I.stop}, columns {J.start}:{J.stop})")
        if key not in self.seen:
            if i == j:
                scale = max(float(np.max(np.abs(G))), np.finfo(float).tiny)
                asym = float(np.max(np.abs(G - G.T)))
                if asym > 1e-10 * scale:
                    raise KernelError(f"kernel matrix is not symmetric (max |K_ij - K_ji| = {asym:.3g} in "
                                      f"rows {I.start}:{I.stop}); a Mercer kernel must be symmetric")
                self.diag[I] = np.diagonal(G)
            self.sumsq += (1.0 if i == j else 2.0) * float(np.einsum("ij,ij->", G, G))
            self.seen.add(key)
        if self.dtype != np.float64:
            G = G.astype(self.dtype)
        if G.nbytes <= self.cache_left:
            self.cache[key] = G
            self.cache_left -= G.nbytes
        return G

    def matmat(self, Q) -> np.ndarray:
        """``K Q`` in float64 (tiles multiplied in ``dtype``)."""
        Y = np.zeros(Q.shape)
        Qd = Q if self.dtype == np.float64 else Q.astype(self.dtype)
        for i, j in self.tiles:
            G = self.tile(i, j)
            I, J = self.slices[i], self.slices[j]
            Y[I] += G @ Qd[J]
            if i != j:
                Y[J] += G.T @ Qd[I]
            self.tick()
        self.passes += 1
        return Y

    def rounding(self) -> float:
        """See :func:`_rounding` (complete after one full pass)."""
        return _rounding(self.dtype, self.sumsq, self.X.shape[0])


def _row_block_product(X, kernel, slices, Q, dtype, first, i):
    """Rows ``slices[i]`` of ``K Q`` (one task of :class:`_DistributedGram`).

    The tiles are formed and multiplied in the order the serial loop of :meth:`_GramBlocks.matmat`
    adds them to these rows (``K[I', I]^T Q[I']`` for ``I' < I``, then ``K[I, J] Q[J]`` for
    ``J >= I``), with the same kernel calls, so a task reproduces the serial rows.  On the first
    pass it also returns the diagonal of K on these rows and ``sum_J ||K[I, J]||_F^2``.
    """
    I = slices[i]
    dt = np.dtype(dtype)
    Y = np.zeros((I.stop - I.start, Q.shape[1]))
    diag, sumsq = None, 0.0
    for j, J in enumerate(slices):
        a, b = (J, I) if j < i else (I, J)
        G = np.asarray(kernel.gram(X[a], X[b]), dtype=np.float64)
        if G.shape != (a.stop - a.start, b.stop - b.start) or not np.all(np.isfinite(G)):
            raise KernelError(f"kernel.gram returned a block of shape {G.shape} with "
                              f"{int(np.count_nonzero(~np.isfinite(G)))} non-finite entries (rows {a.start}:{a.stop}, "
                              f"columns {b.start}:{b.stop})")
        if first:
            if j == i:
                scale = max(float(np.max(np.abs(G))), np.finfo(float).tiny)
                asym = float(np.max(np.abs(G - G.T)))
                if asym > 1e-10 * scale:
                    raise KernelError(f"kernel matrix is not symmetric (max |K_ij - K_ji| = {asym:.3g} in rows "
                                      f"{I.start}:{I.stop}); a Mercer kernel must be symmetric")
                diag = np.diagonal(G).copy()
            sumsq += float(np.einsum("ij,ij->", G, G))
        if dt != np.float64:
            G = G.astype(dt)
        if j < i:
            Y += G.T @ Q[J]
        else:
            Y += G @ Q[J]
    return Y, diag, sumsq


class _DistributedGram(_GramBlocks):
    """``K Q`` with one task per row block on a Dask executor (:mod:`symrg._parallel`).

    Each pass forms every tile of K on the workers (both triangles: twice the kernel evaluations of
    the serial upper-triangle pass, and nothing is kept between passes), so it pays when the workers
    outnumber two or when K does not fit in one machine's memory.  ``X`` is sent to the workers
    once; ``Q`` once per pass.
    """

    def __init__(self, X, kernel, block_rows, dtype, executor, tick):
        super().__init__(X, kernel, block_rows, dtype, 0, tick)
        self.ex = executor
        self.X_ref = executor.client.scatter(X, broadcast=True)

    def matmat(self, Q) -> np.ndarray:
        Qd = Q if self.dtype == np.float64 else Q.astype(self.dtype)
        first = self.passes == 0
        parts = self.ex.map(_row_block_product, range(len(self.slices)), self.X_ref, self.kernel, self.slices, Qd,
                            self.dtype.name, first)
        Y = np.empty(Q.shape)
        for I, (Yi, diag, sumsq) in zip(self.slices, parts):
            Y[I] = Yi
            if first:
                self.diag[I] = diag
                self.sumsq += sumsq
        for _ in range(len(self.tiles)):
            self.tick()
        self.passes += 1
        return Y


def _rounding(dtype, sumsq, P) -> float:
    """Eigenvalue error from rounding: ``(u(dtype) + sqrt(P) u(float64)) ||K||_F / P``.

    Rounding K to ``dtype`` is a perturbation ``E`` with ``||E||_2 <= ||E||_F <= (u/2) ||K||_F``,
    which moves every eigenvalue of ``(1/P) K`` by at most ``(u/2) ||K||_F / P`` (Weyl); as much
    again allows for products in ``dtype``, and ``sqrt(P) u(float64) ||K||_F / P`` for the float64
    sums of P terms and the small eigenproblems (also the accuracy of a dense ``eigh``).  A model,
    not a proof: the measured float32 errors are about 1/100 of it.
    """
    norm = math.sqrt(sumsq) / P
    return float((np.finfo(dtype).eps + math.sqrt(P) * np.finfo(np.float64).eps) * norm)


# ----------------------------------------------------------------------------------------------
# Dense helpers; the P-row ones work in place by row chunks so that no P x l temporary is made
# ----------------------------------------------------------------------------------------------
_CHUNK = 4096


def _eigh_desc(G, top=None):
    """Eigenpairs of a small symmetric matrix, descending (only the ``top`` largest if given)."""
    # the divide-and-conquer driver computes all pairs about twice as fast as the subset drivers
    # (evr/evx) compute the top third (measured: 5.0 s against 10.0 s at size 3600, top 1200)
    m = G.shape[0]
    w, C = scipy.linalg.eigh(0.5 * (G + G.T), driver="evd", check_finite=False)
    k = m if top is None else min(top, m)
    return w[::-1][:k].copy(), C[:, ::-1][:, :k].copy()


def _rotate_rows(W, M):
    """``W[:, :m] <- W @ M`` in place for ``M`` of shape (w, m), m <= w; returns ``W[:, :m]``."""
    m = M.shape[1]
    for a in range(0, W.shape[0], _CHUNK):
        W[a:a + _CHUNK, :m] = W[a:a + _CHUNK] @ M
    return W[:, :m]


def _project_out(W, B):
    """``W <- W - B (B^T W)`` in place (B with orthonormal columns)."""
    coef = B.T @ W
    for a in range(0, W.shape[0], _CHUNK):
        W[a:a + _CHUNK] -= B[a:a + _CHUNK] @ coef


def _svqb(W, drop: float):
    """Orthonormalise the columns of ``W`` in place (SVQB, Stathopoulos & Wu 2002).

    ``W^T W = U diag(s) U^T`` and ``W <- W U diag(s)^(-1/2)``; directions with ``s <= drop * s_max``
    (relative) are dropped.  Returns a view of the first columns of ``W``.
    """
    if W.shape[1] == 0:
        return W
    s, U = scipy.linalg.eigh(W.T @ W, check_finite=False)
    good = s > drop * max(s[-1], 0.0) if s[-1] > 0 else np.zeros(s.shape, bool)
    return _rotate_rows(W, U[:, good] / np.sqrt(s[good]))


def _complement(R, blocks):
    """Orthonormal basis (overwriting ``R``) of the part of ``range(R)`` orthogonal to ``blocks``.

    Works for tall (P-row) and small coefficient matrices alike.  Columns are first scaled to unit
    length; a direction whose part outside ``blocks`` is below 1e-7 of it is dropped (SVQB with an
    absolute threshold).  A second projection and a Cholesky QR restore orthogonality to rounding
    ("twice is enough"); SVQB again if that Cholesky factorisation fails.
    """
    n = np.sqrt(np.einsum("ij,ij->j", R, R))
    keep = n > 0
    W = R[:, keep] if not np.all(keep) else R
    W /= n[keep]
    for B in blocks:
        _project_out(W, B)
    s, U = scipy.linalg.eigh(W.T @ W, check_finite=False)
    good = s > 1e-14                                      # absolute: the columns had length 1
    W = _rotate_rows(W, U[:, good] / np.sqrt(s[good]))
    if W.shape[1] == 0:
        return W
    for B in blocks:
        _project_out(W, B)
    try:
        Rc = scipy.linalg.cholesky(W.T @ W, lower=False, check_finite=False)
        Rinv = scipy.linalg.solve_triangular(Rc, np.eye(Rc.shape[0]), check_finite=False)
    except np.linalg.LinAlgError:
        return _svqb(W, 1e-14)
    return _rotate_rows(W, Rinv)


def _update(blocks, C1, Pc, out_v, out_p):
    """``out_v <- S C1`` and ``out_p[:, :p] <- S Pc`` for ``S = [blocks]``, in row chunks.

    ``out_v`` / ``out_p`` may be (views of) the storage of the blocks: each chunk of rows is read
    completely before it is written.
    """
    p = Pc.shape[1]
    for a in range(0, out_v.shape[0], _CHUNK):
        rows = slice(a, a + _CHUNK)
        v = pc = None
        o = 0
        for B in blocks:
            Br, w = B[rows], B.shape[1]
            v = Br @ C1[o:o + w] if v is None else v + Br @ C1[o:o + w]
            if p:
                pc = Br @ Pc[o:o + w] if pc is None else pc + Br @ Pc[o:o + w]
            o += w
        out_v[rows] = v
        if p:
            out_p[rows, :p] = pc


def _check_converged(theta, prev, kappa, tol, dtype):
    """Relative change of the top ``kappa`` Ritz values and whether all are within tolerance.

    Converged: ``|theta_k - theta_k'| <= max(tol, 8 u(dtype)) theta_k + 16 u theta_1`` for all
    ``k <= kappa``.  The floors sit above the pass-to-pass jitter measured at convergence (about
    2 u theta_1 in float64 and 0.2 u(float32) theta_k with float32 blocks), so that a tolerance
    below what the precision resolves cannot stall the iteration.
    """
    d = np.abs(theta[:kappa] - prev[:kappa])
    th = np.abs(theta[:kappa])
    change = d / np.maximum(th, np.finfo(float).tiny)
    rel = max(tol, 8 * float(np.finfo(dtype).eps))
    return change, bool(np.all(d <= rel * th + 16 * np.finfo(float).eps * np.max(th)))


def _fix_signs(V):
    """Make the largest entry (in absolute value) of each column positive, in place."""
    idx = np.argmax(np.abs(V), axis=0)
    sign = np.sign(V[idx, np.arange(V.shape[1])])
    sign[sign == 0] = 1.0
    V *= sign
    return V


# ----------------------------------------------------------------------------------------------
# Solvers on A = K / P: each returns (theta, V, AV, ritz_change, rounding) for l columns
# ----------------------------------------------------------------------------------------------
def _not_converged(op, kappa, l, tol, change, max_passes):
    worst = int(np.argmax(change))
    raise ConvergenceError(
        f"top-{kappa} eigenvalues not converged after {op.passes} passes over K (power_iters="
        f"{max_passes}): the Ritz value of mode {worst + 1} still changes by {change[worst]:.3g} "
        f"relative per pass (tol={tol:g}).  Increase power_iters, or oversample (now {l - kappa}) so "
        f"that lambda_(kappa+oversample) is well below lambda_kappa, or loosen tol.")


def _check_psd(theta, op):
    """Refuse a kernel with a Ritz value below zero: Ritz values lie in [lambda_min, lambda_max]."""
    floor = 10 * op.rounding()
    if theta[-1] < -floor:
        raise KernelError(f"the kernel matrix is not positive semi-definite: (1/P) K has a Ritz value "
                          f"{theta[-1]:.3g} < 0 (rounding {floor:.3g}); a Mercer kernel has eigenvalues >= 0")


def _apply(op, Q):
    Y = op.matmat(Q)
    Y /= Q.shape[0]
    return Y


def _lobpcg(op, P, kappa, l, tol, max_passes, rng):
    """Locally optimal block iteration on ``span[V, W, P]`` (see the module docstring).

    Soft locking: a top-``kappa`` column whose residual is below ``sqrt(1e-3 tol) theta_k`` (its
    Ritz value then within ``1e-3 tol theta_k^2 / gap_k`` of an eigenvalue) gets no new directions
    but stays in the Rayleigh-Ritz basis; the ``l - kappa`` guard columns are always active.
    """
    V = _svqb(rng.standard_normal((P, l)), 1e-14)
    AV = _apply(op, V)
    theta, C = _eigh_desc(V.T @ AV)
    _check_psd(theta, op)
    V, AV = _rotate_rows(V, C), _rotate_rows(AV, C)
    change = np.full(kappa, np.inf)
    if l == P:                                            # a full basis: Rayleigh-Ritz is exact
        return theta, V, AV, np.zeros(kappa), op.rounding()
    lock = math.sqrt(1e-3 * max(tol, 8 * float(np.finfo(op.dtype).eps)))
    Pst = APst = None
    p = 0
    while True:
        if op.passes >= max_passes:
            _not_converged(op, kappa, l, tol, change, max_passes)
        R = V * theta
        np.subtract(AV, R, out=R)                         # residuals A v_k - theta_k v_k
        res = np.sqrt(np.einsum("ij,ij->j", R, R))
        active = np.flatnonzero((res > lock * np.abs(theta)) | (np.arange(l) >= kappa))
        W = _complement(R[:, active], [V] if not p else [V, Pst[:, :p]])
        del R
        if W.shape[1] == 0:                               # residuals inside span[V, P]: converged
            break
        AW = _apply(op, W)
        S, AS = [V, W], [AV, AW]
        if p:
            S.append(Pst[:, :p])
            AS.append(APst[:, :p])
        # G = S^T A S from its upper blocks (A symmetric), then its top l eigenpairs
        G = [[None] * len(S) for _ in S]
        for i, X in enumerate(S):
            for j in range(i, len(S)):
                G[i][j] = X.T @ AS[j]
                if j > i:
                    G[j][i] = G[i][j].T
        t, C1 = _eigh_desc(np.block(G), top=l)
        _check_psd(t, op)
        # the new P direction: the active updates' part outside the old V, orthonormal in S coordinates
        Pc = C1[:, active].copy()
        Pc[:l] = 0.0
        Pc = _complement(Pc, [C1])
        if Pst is None:
            Pst, APst = np.empty((P, l)), np.empty((P, l))
        _update(S, C1, Pc, V, Pst)
        _update(AS, C1, Pc, AV, APst)
        p = Pc.shape[1]
        del S, AS, W, AW
        change, done = _check_converged(t, theta, kappa, tol, op.dtype)
        theta = t
        if done:
            break
    return theta, V, AV, change, op.rounding()


def _subspace(op, P, kappa, l, tol, max_passes, rng):
    """Randomized subspace iteration (HMT 2011, Alg. 4.4) with Rayleigh-Ritz on every pass."""
    Q = _svqb(rng.standard_normal((P, l)), 1e-14)
    prev, change = None, np.full(kappa, np.inf)
    while True:
        Y = _apply(op, Q)
        theta, C = _eigh_desc(Q.T @ Y)
        _check_psd(theta, op)
        if Q.shape[1] == P:                               # a full basis: Rayleigh-Ritz is exact
            change = np.zeros(kappa)
            break
        if prev is not None:
            change, done = _check_converged(theta, prev, kappa, tol, op.dtype)
            if done:
                break
        if op.passes >= max_passes:
            _not_converged(op, kappa, l, tol, change, max_passes)
        prev = theta
        Q = scipy.linalg.qr(Y, mode="economic", overwrite_a=True, check_finite=False)[0]
    return theta, _rotate_rows(Q, C), _rotate_rows(Y, C), change, op.rounding()


def _exact(X, kernel, kappa, block_rows):
    """``scipy.linalg.eigh`` of the full ``(1/P) K`` (top ``kappa`` pairs); K built by row blocks."""
    P = X.shape[0]
    op = _GramBlocks(X, kernel, block_rows, np.float64, 0, lambda: None)
    A = np.empty((P, P))
    for i, j in op.tiles:                                 # the upper triangle, mirrored
        I, J = op.slices[i], op.slices[j]
        A[I, J] = op.tile(i, j)
        if i != j:
            A[J, I] = A[I, J].T
    A /= P
    theta, V = scipy.linalg.eigh(A, subset_by_index=[P - kappa, P - 1], check_finite=False)
    theta, V = theta[::-1].copy(), V[:, ::-1].copy()
    AV = A @ V
    return theta, V, AV, np.zeros(kappa), _rounding(np.float64, op.sumsq, P), op


# ----------------------------------------------------------------------------------------------
# Public entry point
# ----------------------------------------------------------------------------------------------
def choose_method(P: int, kappa: int, memory_limit: int, oversample: int | None = None) -> tuple[str, str]:
    """``method="auto"``: the dense eigendecomposition when it fits in ``memory_limit`` and the cost
    model says it is faster, else the randomized block solver; returns ``(method, reason)``."""
    l = min(kappa + (max(10, kappa // 5) if oversample is None else oversample), P)
    exact_s = _COST_EXACT * P ** 3
    rand_s = _PASSES * (_COST_PRODUCT * P * P * l + _COST_RITZ * l ** 3)
    dense_bytes = 2 * 8 * P * P + 3 * 8 * P * kappa + _KERNEL_TEMPS * 8 * min(P, _TILE) ** 2
    if dense_bytes > memory_limit:
        return "randomized", (f"the dense {P} x {P} route needs {_gib(dense_bytes)} > the memory limit "
                              f"{_gib(memory_limit)}")
    if exact_s <= rand_s:
        return "exact", f"estimated {exact_s:.3g} s dense against {rand_s:.3g} s randomized"
    return "randomized", f"estimated {rand_s:.3g} s randomized against {exact_s:.3g} s dense"


def physical_memory() -> int:
    """Bytes of physical memory of this machine (0 if unknown)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def _gib(n: float) -> str:
    return f"{n / 2 ** 30:.2f} GiB"


def topk_spectrum(X, kernel, kappa, *, method: str = "auto", seed=0, oversample=None,
                  power_iters: int = 60, tol=None, block_rows=None, dtype=np.float64,
                  memory_limit=None, progress=None, executor=None) -> TopKSpectrum:
    """Top ``kappa`` eigenpairs of ``(1/P) K``, the trace and the tail power (docs/theory.md 4b).

    Parameters
    ----------
    X : array (P, D)
        The pool (finite; unit-norm rows for an :class:`~symrg.spectra.NNGPKernel`).
    kernel : object with ``.gram(A, B)``
        Returns the matrix ``K(a_i, b_j)``; it must be symmetric positive semi-definite (diagonal
        tiles are checked for symmetry; the upper triangle of K is used, K = K^T assumed).
    kappa : int in [1, P-1]
        Number of top modes resolved one by one.
    method : {"auto", "randomized", "subspace", "exact"}
        ``"auto"`` (default) picks "exact" or "randomized" by :func:`choose_method` (memory, then a cost
        model of P and kappa; the choice and its reason are in ``TopKSpectrum.method`` /
        ``method_reason``); block LOBPCG from a randomized start, randomized subspace iteration, or the
        full dense eigendecomposition (only when ``2 P^2`` float64 numbers fit in ``memory_limit``).
    seed : int
        Seed of the Gaussian start block; the same seed gives the same bytes (for a fixed BLAS
        thread count).
    oversample : int >= 0, optional
        Extra block columns, ``l = kappa + oversample`` (default ``max(10, kappa // 5)`` for
        "randomized", ``kappa`` for "subspace"); capped so that ``l <= P``.
    power_iters : int >= 1
        The most passes over K; :class:`~symrg.errors.ConvergenceError` if they do not suffice.
    tol : float, optional
        Stop when each top-``kappa`` Ritz value changes by at most ``tol * theta_k + rounding`` in a
        pass (default 1e-10 in float64, 1e-6 in float32).
    block_rows : int, optional
        K is formed in square tiles of ``block_rows`` rows and columns (default 2048, at most P).
    dtype : np.float64 or np.float32
        Storage and product precision of the kernel blocks (the kernel is always evaluated, and the
        iteration always run, in float64).
    memory_limit : int, optional
        Bytes this call may use (default half the physical memory).  Kernel blocks are kept in
        the part left after the working arrays, so K is formed once when it fits.
    progress : callable(done, total), optional
        Called after every tile of K in every pass; ``total`` is the worst case
        (``power_iters`` passes), and the last call is ``(total, total)``.
    executor : symrg._parallel.Executor, optional
        A distributed executor: the products ``K Q`` of the iterative methods run as one task per
        row block of K on its workers (:class:`_DistributedGram`; the tiles are re-formed every pass
        there), the iteration stays here.  Each task adds its tiles in the serial order, so the
        numbers agree with the serial run to rounding (the BLAS of a single-threaded worker may round
        a product differently: 1e-13 relative on the digits, depth 2, kappa = 30).
        Ignored by ``method="exact"`` and by a serial executor.
    """
    X = check_finite_array(X, "X", ndim=2)
    P = X.shape[0]
    if P < 2:
        raise ParameterError("X", f"array of shape {X.shape}", "at least 2 rows (pool points)")
    if not hasattr(kernel, "gram") or not callable(kernel.gram):
        raise ParameterError("kernel", kernel, "an object with a .gram(A, B) method "
                             "(e.g. symrg.spectra.NNGPKernel)")
    if isinstance(kernel, NNGPKernel):
        dev = float(np.max(np.abs(np.einsum("ij,ij->i", X, X) - 1.0)))
        if dev > 1e-8:
            raise ParameterError("X", f"rows with | |x|^2 - 1 | up to {dev:.3g}", "rows on the unit "
                                 "sphere (NNGPKernel is a dot-product kernel of unit vectors)",
                                 "normalise with symrg.data.normalize_rows")
    try:
        kappa = check_int(kappa, "kappa", 1, P - 1)
    except ParameterError:
        raise ParameterError("kappa", kappa, f"an integer in [1, {P - 1}] for a pool of P={P} points",
                             "the top kappa modes of P points leave at least one for the tail") from None
    if method not in METHODS:
        raise ParameterError("method", method, f"one of {METHODS}")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in ("float64", "float32"):
        raise ParameterError("dtype", dtype, "np.float64 or np.float32")
    if method == "exact" and dt != np.float64:
        raise ParameterError("dtype", dt.name, "np.float64 for method='exact'")
    phys = physical_memory()
    if memory_limit is None:
        memory_limit = phys // 2 if phys else 8 * 2 ** 30
    memory_limit = int(check_positive(memory_limit, "memory_limit"))
    reason = "chosen by the caller"
    if method == "auto":
        if dt != np.float64 or (executor is not None and getattr(executor, "distributed", False)):
            method, reason = "randomized", ("float32 tiles" if dt != np.float64 else "a distributed executor")
        else:
            method, reason = choose_method(P, kappa, memory_limit, oversample)
    seed = check_int(seed, "seed", 0)
    power_iters = check_int(power_iters, "power_iters", 1)
    if oversample is None:
        oversample = max(10, kappa // 5) if method == "randomized" else kappa
    oversample = check_int(oversample, "oversample", 0)
    l = min(kappa + oversample, P)
    tol = (1e-10 if dt == np.float64 else 1e-6) if tol is None else check_positive(tol, "tol")
    if block_rows is None:
        block_rows = min(P, _TILE)
    block_rows = check_int(block_rows, "block_rows", 1, P)
    if phys and memory_limit > phys:
        raise ParameterError("memory_limit", memory_limit, f"at most the physical memory, {phys} bytes "
                             f"({_gib(phys)})")
    if progress is not None and not callable(progress):
        raise ParameterError("progress", progress, "None or a callable progress(done, total)")

    # working memory: the block iteration's P x l arrays, one block's kernel temporaries, outputs
    block_bytes = _KERNEL_TEMPS * 8 * block_rows ** 2 + 2 * 8 * block_rows * l
    if method == "exact":
        need = 2 * 8 * P * P + 3 * 8 * P * kappa + block_bytes
        what = f"the dense {P} x {P} kernel and its eigendecomposition"
        advice = "use method='randomized', which streams K"
    else:
        n_arrays = 8 if method == "randomized" else 4
        need = n_arrays * 8 * P * l + 2 * 8 * P * kappa + block_bytes
        what = f"{n_arrays} arrays of {P} x {l} (kappa + oversample) and one tile of {block_rows} rows"
        advice = "lower block_rows, kappa or oversample"
    if need > memory_limit:
        raise ParameterError("memory_limit", memory_limit, f"at least {need} bytes ({_gib(need)}) for "
                             f"{what}", f"raise memory_limit or {advice}")

    n_blocks = -(-P // block_rows)
    total = n_blocks * (n_blocks + 1) // 2 * power_iters
    state = {"done": 0}

    def tick():
        state["done"] = min(state["done"] + 1, total)
        if progress is not None:
            progress(state["done"], total)

    if method == "exact":
        theta, V, AV, change, rounding, op = _exact(X, kernel, kappa, block_rows)
    else:
        if executor is not None and getattr(executor, "distributed", False):
            op = _DistributedGram(X, kernel, block_rows, dt, executor, tick)
        else:
            op = _GramBlocks(X, kernel, block_rows, dt, memory_limit - need, tick)
        rng = np.random.default_rng(seed)
        solve = _lobpcg if method == "randomized" else _subspace
        theta, V, AV, change, rounding = solve(op, P, kappa, l, tol, power_iters, rng)
    if progress is not None:
        progress(total, total)
    theta, V = theta[:kappa].copy(), np.ascontiguousarray(V[:, :kappa])
    R = AV[:, :kappa] - V * theta
    residual = np.sqrt(np.einsum("ij,ij->j", R, R))
    del R, AV
    if theta[-1] < -(residual[-1] + rounding):
        raise KernelError(f"the kernel matrix is not positive semi-definite: Ritz value {theta[-1]:.3g} "
                          f"< 0 beyond its error bound {residual[-1] + rounding:.3g}")
    trace = float(np.mean(op.diag))                       # (1/P) sum_i K(x_i, x_i) = sum_k lambda_k
    tail = trace - float(np.sum(theta))
    if tail < 0:
        # Ritz values are lower bounds of the top eigenvalues, so only rounding makes this negative
        slack = float(np.sum(residual)) + kappa * rounding
        if tail < -slack:
            raise KernelError(f"the top {kappa} eigenvalues sum to more than the trace by {-tail:.3g} "
                              f"(error bound {slack:.3g}): the kernel matrix is not positive semi-definite")
        tail = 0.0
    phi = _fix_signs(V) * math.sqrt(P)                    # phi_k(x_i) = sqrt(P) v_{k,i}
    err = ErrorEstimate(residual=residual, rounding=rounding, ritz_change=np.asarray(change, float))
    return TopKSpectrum(eigenvalues=theta, phi=phi, trace=trace, tail_power=tail, method=method,
                        error_estimate=err, iterations=int(op.passes), dtype=dt.name, method_reason=reason)
