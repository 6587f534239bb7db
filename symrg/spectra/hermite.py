"""Spectra without a kernel matrix: the Hermite-eigenstructure ansatz (docs/theory.md section 4d).

For a dot-product kernel ``k(t) = sum_j a_j t^j`` and inputs ``x`` with second moment
``M = E[x x^T] = sum_i gamma_i v_i v_i^T``, the ansatz (Karkada, Turnbull, Liu & Simon, ICLR 2026)
treats the coordinates ``z_i = x.v_i / sqrt(gamma_i)`` as independent standard Gaussians and assigns to
every multi-index ``alpha`` (``|alpha| = j``) the eigenfunction ``prod_i h_{alpha_i}(z_i)`` (normalised
probabilists' Hermite polynomials, ``h_n = He_n / sqrt(n!)``) with eigenvalue

    lambda_alpha = c_j prod_i gamma_i^{alpha_i},    c_j = k^{(j)}(0) = j! a_j          (4d.1)

(the top-degree Hermite part of ``(x.x')^j`` is ``sum_{|alpha|=j} j! gamma^alpha h_alpha(z) h_alpha(z')``).

On image data mapped to the unit sphere the leading direction ``v_1`` is the data's mean, far from a
centred Gaussian (``gamma_1 ~ 0.7``, and ``c_j gamma_1^j`` grows without bound).  The *split* form
(default) keeps the ansatz for the other directions ``w`` and treats ``s = x.v_1`` exactly: with
``x.x' = s s' + w.w'``,

    k(s s' + w.w') = sum_j k^{(j)}(s s') (w.w')^j / j!   ->   lambda_{j,n,beta} = mu_{j,n} gamma_w^beta   (4d.2)

where ``mu_{j,n}`` are the eigenvalues of the one-dimensional operator with kernel ``k^{(j)}(s s')`` on
the empirical distribution of ``s`` (a Gauss rule of that distribution, from Lanczos), and ``beta``
runs over multi-indices of degree ``j`` over the remaining principal directions.  For the linear kernel
both forms are exact on any data (the eigenvalues are those of ``M``).  On unit rows ``|w|^2 = 1 - s^2``:
with ``w = r w_hat``, ``r = sqrt(1 - s^2)``, the one-dimensional kernel is ``k^{(j)}(s s') (r r')^j`` and
the ansatz applies to ``w_hat`` with second moment ``E[w w^T] / E[r^2]`` (4d.3, the default "split-radial"
form; it keeps the level coefficients from growing where ``s s'`` nears 1).

Cost: ``O(P D^2)`` for ``M``, ``O(D^3)`` for its eigendecomposition, ``O(n_quad^3)`` per degree, and
``O(kappa log kappa)`` for the enumeration (a priority queue over multi-indices, each popped mode
pushing at most two successors).  No ``P x P`` matrix is formed.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_finite_array, check_int
from ..errors import ParameterError

__all__ = ["HermiteSpectrum", "hermite_spectrum", "enumerate_top", "series_coefficients", "gauss_rule",
           "normalized_hermite"]

N_SERIES = 4000          # Taylor coefficients of k about t = 0 used for the derivatives k^(j)(t)
SERIES_RTOL = 1e-10      # largest relative truncation error of k^(j)(t) accepted


@dataclass(frozen=True)
class HermiteSpectrum:
    """Top ``kappa`` eigenvalues of the kernel operator under the ansatz (docs/theory.md 4d).

    ``modes[k]`` describes mode ``k``: ``(degree j, one-dimensional index n, ((direction, power), ...))``
    with directions counted from 0 among the Hermite directions (the principal directions after the
    first in the split form).  ``trace`` is exact (``mean_i k(|x_i|^2)``), not part of the ansatz.
    """

    eigenvalues: np.ndarray
    modes: list
    trace: float
    tail_power: float
    gamma: np.ndarray
    form: str
    max_degree: int
    level_roots: list
    eigenfunctions: np.ndarray | None = None
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"eigenvalues": self.eigenvalues.tolist(), "degrees": [int(m[0]) for m in self.modes],
                "trace": self.trace, "tail_power": self.tail_power, "form": self.form,
                "max_degree": self.max_degree}


# ---------------------------------------------------------------------------------------------------
def series_coefficients(kernel, n: int = N_SERIES) -> np.ndarray:
    """Taylor coefficients ``a_0..a_{n-1}`` of ``k(t)`` about ``t = 0``.

    ``kernel``: an :class:`~symrg.spectra.NNGPKernel` (its series from
    :func:`symrg.spectra.kernels.taylor_coefficients`), an object with a ``taylor_coefficients(n)``
    method, or a finite sequence of coefficients (a polynomial kernel).  Anything else has no power
    series here and is refused.
    """
    from .kernels import NNGPKernel, taylor_coefficients

    if isinstance(kernel, NNGPKernel):
        return taylor_coefficients(kernel, n)
    if hasattr(kernel, "taylor_coefficients"):
        a = np.asarray(kernel.taylor_coefficients(n), dtype=float)
    elif isinstance(kernel, (list, tuple, np.ndarray)):
        a = np.asarray(kernel, dtype=float)
        if a.ndim != 1 or a.size == 0:
            raise ParameterError("kernel", kernel, "a 1-d sequence of Taylor coefficients a_0, a_1, ...")
        a = np.concatenate([a, np.zeros(max(0, n - a.size))])
    else:
        raise ParameterError("kernel", type(kernel).__name__,
                             "a dot-product kernel with a power series: an NNGPKernel, an object with "
                             "taylor_coefficients(n), or a sequence of Taylor coefficients",
                             "the Hermite ansatz needs the power series of k(t) about t = 0")
    if not np.all(np.isfinite(a)) or np.any(a < -1e-15 * max(1.0, float(np.max(np.abs(a))))):
        raise ParameterError("kernel", "coefficients with negative or non-finite entries",
                             "finite non-negative Taylor coefficients (a positive semi-definite dot-product kernel)")
    return a


def _derivative(a: np.ndarray, j: int, t: np.ndarray) -> np.ndarray:
    """``k^(j)(t) = sum_{n >= j} a_n n!/(n-j)! t^(n-j)`` with a truncation check (docs/theory.md 4d)."""
    n = np.arange(j, a.size, dtype=float)
    fall = np.ones_like(n)
    for r in range(j):  # n (n-1) ... (n-j+1)
        fall *= n - r
    coef = a[j:] * fall
    t = np.asarray(t, dtype=float)
    out = np.polynomial.polynomial.polyval(t, coef) if coef.size else np.zeros_like(t)
    tmax = float(np.max(np.abs(t))) if t.size else 0.0
    if coef.size and coef[-1] > 0 and tmax > 0:
        if tmax >= 1:
            raise ParameterError("X", f"inner products s s' up to {tmax:.6g}",
                                 "rows whose projections on the leading direction stay below 1 in modulus "
                                 "(the series of k^(j) converges only inside |t| < 1)")
        tail = coef[-1] * tmax ** (coef.size - 1) / (1 - tmax)
        scale = max(float(np.max(np.abs(out))), 1e-300)
        if tail > SERIES_RTOL * scale:
            raise ParameterError("X", f"inner products s s' up to {tmax:.6g}",
                                 f"values whose series for k^({j}) converges within {N_SERIES} terms "
                                 f"(estimated relative truncation {tail / scale:.1e})",
                                 "use split=False or an exact spectrum")
    return out


def gauss_rule(s: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """``q``-point Gauss rule of the discrete measure ``(1/P) sum_i delta(s - s_i)`` (Lanczos on diag(s)).

    Exact for polynomials of degree ``<= 2q - 1`` in ``s`` (fewer nodes when the measure has fewer
    distinct points)."""
    s = np.asarray(s, dtype=float)
    P = s.size
    Q = np.zeros((P, q))
    alpha, beta = [], []
    v = np.full(P, 1 / math.sqrt(P))
    scale = max(float(np.max(np.abs(s))), 1e-300)
    for k in range(q):
        Q[:, k] = v
        w = s * v
        a = float(v @ w)
        w -= Q[:, :k + 1] @ (Q[:, :k + 1].T @ w)
        w -= Q[:, :k + 1] @ (Q[:, :k + 1].T @ w)
        alpha.append(a)
        b = float(np.linalg.norm(w))
        if k == q - 1 or b <= 1e-12 * scale:
            break
        beta.append(b)
        v = w / b
    T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    nodes, vecs = np.linalg.eigh(T)
    return nodes, vecs[0] ** 2


def normalized_hermite(n: int, z: np.ndarray) -> np.ndarray:
    """``h_n(z) = He_n(z) / sqrt(n!)`` (orthonormal under N(0, 1)), by the three-term recurrence."""
    z = np.asarray(z, dtype=float)
    h0, h1 = np.ones_like(z), z
    if n == 0:
        return h0
    for m in range(1, n):
        h0, h1 = h1, (z * h1 - math.sqrt(m) * h0) / math.sqrt(m + 1)
    return h1


# ---------------------------------------------------------------------------------------------------
def enumerate_top(level_values, gamma, kappa: int):
    """The ``kappa`` largest products ``level_values[j][n] * prod(gamma[i] for i in idx)`` over degrees
    ``j``, one-dimensional modes ``n`` and sorted index tuples ``idx`` of length ``j`` (multisets of
    Hermite directions), largest first; ``gamma`` must be sorted descending, non-negative.

    A best-first search: each multiset ``i_1 <= ... <= i_j`` has one parent (decrease its first
    non-zero entry), so every multiset is reached exactly once and its value never exceeds its
    parent's; each pop pushes at most two children.  Returns ``(values, [(j, n, idx), ...])``;
    fewer than ``kappa`` entries when fewer non-zero products exist.
    """
    g = np.asarray(gamma, dtype=float)
    D = g.size
    heap = []
    for j, vals in enumerate(level_values):
        if j > 0 and D == 0:
            break
        for n, v in enumerate(vals):
            if v > 0:
                root = (0,) * j
                heap.append((-(v * g[0] ** j if j else v), j, n, root))
    heapq.heapify(heap)
    out_v, out_m = [], []
    while heap and len(out_v) < kappa:
        negv, j, n, idx = heapq.heappop(heap)
        if -negv <= 0:
            break
        out_v.append(-negv)
        out_m.append((j, n, idx))
        if j == 0:
            continue
        lnz = next((p for p, i in enumerate(idx) if i > 0), j)
        for q in (lnz - 1, lnz):
            if q < 0 or q >= j:
                continue
            new = idx[q] + 1
            if new >= D or (q + 1 < j and new > idx[q + 1]):
                continue
            child = idx[:q] + (new,) + idx[q + 1:]
            if q < lnz - 1 or any(child[:q]):
                continue
            val = level_values[j][n] * math.prod(g[i] for i in child)  # not a running ratio: ties stay ties
            heapq.heappush(heap, (-val, j, n, child))
    return np.array(out_v), out_m


# ---------------------------------------------------------------------------------------------------
def hermite_spectrum(X, kernel, kappa: int, *, covariance: bool = False, split: bool = True, points=None,
                     quad_nodes: int = 48, max_degree: int = 12, truncate: bool = False,
                     radial: bool = True) -> HermiteSpectrum:
    """Top ``kappa`` eigenvalues of ``k`` under the Hermite-eigenstructure ansatz (docs/theory.md 4d).

    Parameters
    ----------
    X : array (P, D), or (D, D) with ``covariance=True``
        The inputs (unit-norm rows for an NNGP kernel), or their second moment ``E[x x^T]``
        (then only the plain form (4d.1) is available, and the trace is returned as ``k(tr M)``:
        exact when every row has squared norm ``tr M``, e.g. on the sphere).
    kernel : NNGPKernel, object with ``taylor_coefficients(n)``, or Taylor coefficients
    kappa : int >= 1
    split : bool
        True (default, data only): the leading principal direction is treated exactly (4d.2);
        False: the plain ansatz (4d.1) on every direction.
    points : array (m, D), optional
        Where to evaluate the eigenfunctions (returned as ``eigenfunctions``, shape (m, kappa)).
    quad_nodes : int
        Nodes of the Gauss rule of the leading coordinate (split form).
    max_degree : int
        Largest Hermite degree considered; a ``kappa`` that needs more is refused (the level
        coefficients ``c_j gamma_1^j`` of the ansatz eventually grow like ``j!``, where it fails).
    radial : bool
        Split form on unit-norm rows: use ``|w|^2 = 1 - s^2`` (4d.3) (default True).
    truncate : bool
        Return the modes the ansatz supports (fewer than ``kappa``, with a note) instead of refusing.
    """
    from .kernels import NNGPKernel

    kappa = check_int(kappa, "kappa", 1, None)
    max_degree = check_int(max_degree, "max_degree", 1, 64)
    a = series_coefficients(kernel)
    A = check_finite_array(X, "X", ndim=2)
    notes = []
    if covariance:
        if A.shape[0] != A.shape[1] or not np.allclose(A, A.T, rtol=1e-10, atol=1e-14 * np.abs(A).max()):
            raise ParameterError("X", f"a {A.shape} array", "a symmetric D x D second-moment matrix with covariance=True")
        M, P = (A + A.T) / 2, None
        split = False
    else:
        P = A.shape[0]
        if P < 2:
            raise ParameterError("X", f"{P} row(s)", "at least 2 rows")
        M = A.T @ A / P
    gam, V = np.linalg.eigh(M)
    gam, V = gam[::-1].copy(), V[:, ::-1].copy()
    if gam[-1] < -1e-10 * max(gam[0], 1e-300):
        raise ParameterError("X", f"a second moment with eigenvalue {gam[-1]:.3g}", "a positive semi-definite matrix")
    gam = np.maximum(gam, 0.0)
    # the trace (exact, not part of the ansatz)
    if P is not None:
        sq = np.einsum("ij,ij->i", A, A)
        if isinstance(kernel, NNGPKernel):
            if np.max(np.abs(sq - 1)) > 1e-8:
                raise ParameterError("X", f"rows of squared norm in [{sq.min():.6g}, {sq.max():.6g}]",
                                     "unit-norm rows for an NNGP kernel (symrg.data.normalize_rows)")
            trace = float(kernel.k1)
        else:
            trace = float(np.mean(np.polynomial.polynomial.polyval(sq, a)))
    else:
        trace = float(kernel.k1) if isinstance(kernel, NNGPKernel) else float(
            np.polynomial.polynomial.polyval(float(np.trace(M)), a))
        notes.append("trace from the covariance: k(tr M), exact when every row has squared norm tr M")

    radial = bool(radial and split and P is not None and np.max(np.abs(sq - 1)) <= 1e-8)
    if split:
        s = A @ V[:, 0]
        nodes, wts = gauss_rule(s, min(quad_nodes, P))
        herm_gamma, herm_V = gam[1:], V[:, 1:]
        form = "split"
        if radial:
            # unit rows: |w|^2 = 1 - s^2, so w = r w_hat with r = sqrt(1 - s^2); the ansatz for w_hat with
            # the second moment E[w w^T] / E[r^2] (trace 1), the factor (r r')^j in the 1-D kernel (4d.3)
            r2 = float(np.mean(1 - s * s))
            herm_gamma = herm_gamma / r2
            rn = np.sqrt(np.clip(1 - nodes * nodes, 0.0, None))
            form = "split-radial"
    else:
        herm_gamma, herm_V = gam, V
        form = "plain"

    def level(j):
        if not split:
            c = float(a[j] * math.factorial(j)) if j < a.size else 0.0
            return np.array([c]), None
        Kj = _derivative(a, j, np.outer(nodes, nodes))
        if radial:
            Kj = Kj * np.outer(rn, rn) ** j
        sw = np.sqrt(wts)
        mu, vec = np.linalg.eigh(sw[:, None] * Kj * sw[None, :])
        mu, vec = mu[::-1], vec[:, ::-1]
        tol = 1e-13 * max(abs(mu[0]), 1e-300) * len(mu)
        keep = mu > tol
        return mu[keep], vec[:, keep]

    g0 = herm_gamma[0] if herm_gamma.size else 0.0
    cache = {}

    def get(j):
        if j not in cache:
            mu, vec = level(j)
            cache[j] = (mu, vec, float(mu[0] * g0 ** j) if mu.size and (j == 0 or g0 > 0) else 0.0)
        return cache[j]

    J = 0
    while True:
        vals, modes = enumerate_top([get(j)[0] for j in range(J + 1)], herm_gamma, kappa)
        last = vals[-1] if len(vals) == kappa else 0.0
        # the largest eigenvalue of degree j is its root mu_{j,0} gamma_1^j; look two degrees ahead
        # (kernels with only odd or only even terms have every other level zero)
        ahead = [get(j)[2] for j in (J + 1, J + 2) if j <= max_degree]
        if all(r <= last for r in ahead) and (ahead or len(vals) == kappa):
            break
        if not ahead:
            raise ParameterError("--kappa", kappa, f"a kappa whose modes have Hermite degree <= {max_degree}",
                                 "the ansatz cannot list these modes of this covariance and kernel; use a smaller "
                                 "--kappa, or --method exact/randomized")
        J += 1
        prev = next((get(j)[2] for j in range(J - 1, 0, -1) if get(j)[2] > 0), 0.0)
        if J >= 2 and prev > 0 and get(J)[2] > prev and get(J)[2] > last:
            if truncate:
                keep = int(np.sum(vals > get(J)[2]))
                vals, modes, J = vals[:keep], modes[:keep], J - 1
                notes.append(f"truncated to {keep} modes: the degree-{J + 1} eigenvalues of the ansatz grow "
                             f"(its level coefficients grow like j!), the ansatz fails beyond")
                break
            raise ParameterError("--kappa", kappa, f"at most {int(np.sum(vals > get(J)[2]))} modes of this data and kernel: the ansatz's "
                                 f"largest degree-{J} eigenvalue {get(J)[2]:.3g} exceeds the degree below's "
                                 f"{prev:.3g} (its level coefficients grow like j!, where the ansatz fails)",
                                 "use a smaller --kappa, or --method exact/randomized")
    levels = [get(j)[0] for j in range(J + 1)]
    vecs = [get(j)[1] for j in range(J + 1)]
    roots = [get(j)[2] for j in range(J + 1)]
    if len(vals) < kappa and not truncate:
        raise ParameterError("--kappa", kappa, f"at most {len(vals)}: the number of non-zero eigenvalues the ansatz "
                             f"assigns to this covariance (rank {int(np.sum(gam > 0))}) and kernel",
                             "use a smaller --kappa")
    eig = np.asarray(vals)
    out_modes = []
    for j, n, idx in modes:
        pw = {}
        for i in idx:
            pw[i] = pw.get(i, 0) + 1
        out_modes.append((j, n, tuple(sorted(pw.items()))))
    ef = None
    if points is not None:
        Y = check_finite_array(points, "points", ndim=2)
        if Y.shape[1] != M.shape[0]:
            raise ParameterError("points", f"an array of shape {Y.shape}", f"rows of dimension {M.shape[0]}")
        Z = (Y @ herm_V) / np.sqrt(np.where(herm_gamma > 0, herm_gamma, 1.0))
        if radial:
            Z = Z / np.sqrt(np.clip(1 - (Y @ V[:, 0]) ** 2, 1e-300, None))[:, None]
        ef = np.ones((Y.shape[0], len(out_modes)))
        if split:
            # the one-dimensional eigenfunctions by Nystrom extension, f(s) = sum_b w_b k^(j)(s s_b) f_b / mu,
            # on a grid of 513 points across the points' range, linearly interpolated
            sY = Y @ V[:, 0]
            grid = np.linspace(sY.min(), sY.max(), 513) if sY.max() > sY.min() else sY[:1]
            nys = {}
        for k, (j, n, pw) in enumerate(out_modes):
            for i, p in pw:
                ef[:, k] *= normalized_hermite(p, Z[:, i])
            if split:
                if j not in nys:
                    nys[j] = _derivative(a, j, np.outer(grid, nodes)) * wts[None, :]
                    if radial:
                        rg = np.sqrt(np.clip(1 - grid * grid, 0.0, None))
                        nys[j] = nys[j] * np.outer(rg, rn) ** j
                f_grid = nys[j] @ (vecs[j][:, n] / np.sqrt(wts)) / levels[j][n]
                ef[:, k] *= np.interp(sY, grid, f_grid) if grid.size > 1 else f_grid[0]
    return HermiteSpectrum(eigenvalues=eig, modes=out_modes, trace=trace, tail_power=float(trace - math.fsum(eig)),
                           gamma=gam, form=form, max_degree=J, level_roots=roots, eigenfunctions=ef, notes=notes)
