"""Validation helpers shared by the public API (one place, as in scikit-learn)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import KernelError, ParameterError


def check_ridge(value, name: str = "ridge", allow_zero: bool = True) -> float:
    """Return ``value`` as float, or raise if it is NaN, infinite or negative."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, value, "a real number >= 0") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ParameterError(name, value, "a finite number >= 0" if allow_zero else "a finite number > 0")
    return v


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as int within [minimum, maximum], or raise ParameterError."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ParameterError(name, value, "an integer")
    v = int(value)
    lo = "-inf" if minimum is None else str(minimum)
    hi = "inf" if maximum is None else str(maximum)
    if minimum is not None and maximum is not None and maximum < minimum:
        # an empty range ("[2, 1]") says nothing: say what is missing instead
        raise ParameterError(name, value, f"an integer >= {minimum}, but at most {maximum} is possible here, "
                                          f"so no value is valid")
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise ParameterError(name, value, f"an integer in [{lo}, {hi}]")
    return v


def check_positive(value, name: str) -> float:
    """Return ``value`` as a finite float > 0, or raise."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, value, "a finite number > 0") from None
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(name, value, "a finite number > 0")
    return v


def real_array(a, name: str) -> np.ndarray:
    """``a`` as a float64 array (any shape, non-finite values allowed); complex values and entries that
    are not numbers raise :class:`ParameterError` instead of being cast (an imaginary part is never
    dropped silently)."""
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError):           # ragged nested lists
        raise ParameterError(name, type(a).__name__, "a rectangular array of real numbers") from None
    if raw.dtype.kind == "c" or (raw.dtype.kind == "O" and any(isinstance(v, complex) for v in raw.ravel())):
        raise ParameterError(name, f"array of dtype {raw.dtype}", "real numbers",
                             "complex values are refused: the imaginary parts would be dropped")
    if raw.dtype.kind not in "biufO":
        raise ParameterError(name, f"array of dtype {raw.dtype}", "an array of real numbers")
    try:
        return np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, f"array of dtype {raw.dtype}", "an array of real numbers") from None


def check_finite_array(a, name: str, ndim: int | None = None) -> np.ndarray:
    """Return ``a`` as a float64 array, raising if it has NaN/inf, the wrong rank, complex values (their
    imaginary parts are never dropped silently) or entries that are not numbers."""
    arr = real_array(a, name)
    if ndim is not None and arr.ndim != ndim:
        raise ParameterError(name, f"array of shape {arr.shape}", f"an array with {ndim} dimensions")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ParameterError(name, f"array with {bad} non-finite entries", "finite values only")
    return arr


def check_spectrum(lam, name: str = "eigenvalues") -> np.ndarray:
    """A 1-d array of finite, non-negative eigenvalues."""
    lam = check_finite_array(lam, name, ndim=1)
    if lam.size and lam.min() < 0:
        raise ParameterError(name, f"min={lam.min():.3g}", "non-negative eigenvalues")
    return lam


def check_square_symmetric(K, name: str = "kernel matrix") -> np.ndarray:
    """``K`` as a finite, square, symmetric float64 matrix (O(N^2); no eigenvalue pass)."""
    raw = np.asarray(K)
    if raw.dtype.kind == "c":
        raise KernelError(f"{name} has complex entries (dtype {raw.dtype}); a kernel matrix is real and the "
                          f"imaginary parts are not dropped")
    try:
        K = np.asarray(raw, dtype=float)       # no copy when it is float64 already: callers never write to K
    except (TypeError, ValueError):
        raise KernelError(f"{name} must hold real numbers, got dtype {raw.dtype}") from None
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise KernelError(f"{name} must be square, got shape {K.shape}")
    if not np.all(np.isfinite(K)):
        raise KernelError(f"{name} has {int(np.count_nonzero(~np.isfinite(K)))} non-finite entries")
    scale = float(np.max(np.abs(K))) if K.size else 0.0
    tol = 1e-10 * max(scale, 1e-300)
    n, b = K.shape[0], 512                                    # square tiles K[I, J] against K[J, I]^T, J >= I
    for a in range(0, n, b):
        for c in range(a, n, b):
            d = float(np.max(np.abs(K[a:a + b, c:c + b] - K[c:c + b, a:a + b].T), initial=0.0))
            if d > tol:
                raise KernelError(f"{name} is not symmetric (max |K-K^T| >= {d:.3g})")
    return K


def psd_tolerance(K: np.ndarray, rtol: float = 1e-8) -> float:
    """The most negative eigenvalue a PSD Gram matrix may show by rounding: ``rtol * max|K| * N``."""
    scale = float(np.max(np.abs(K))) if K.size else 0.0
    return rtol * max(scale, 1e-300) * K.shape[0]


def not_psd_error(name: str, emin: float, K: np.ndarray) -> KernelError:
    scale = float(np.max(np.abs(K))) if K.size else 0.0
    return KernelError(f"{name} is not positive semi-definite: smallest eigenvalue {emin:.3g} "
                       f"(scale {scale:.3g}); valid kernels have eigenvalues >= 0")


def check_kernel_matrix(K, name: str = "kernel matrix", rtol: float = 1e-8) -> np.ndarray:
    """Check that ``K`` is a finite, square, symmetric, positive semi-definite matrix.

    The PSD test tolerates eigenvalues down to ``-rtol * max|K| * N`` (rounding).  It costs one
    Cholesky factorisation (of ``K + tol I``, which exists exactly when every eigenvalue exceeds
    ``-tol``, up to rounding); only when that fails is the smallest eigenvalue computed, for the
    message.
    """
    import scipy.linalg

    K = check_square_symmetric(K, name)
    if K.size:
        tol = psd_tolerance(K, rtol)
        A = K.copy()
        A[np.diag_indices_from(A)] += tol
        try:
            scipy.linalg.cholesky(A, lower=True, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError:
            emin = float(scipy.linalg.eigvalsh(K, subset_by_index=[0, 0], check_finite=False)[0])
            if emin < -tol:
                raise not_psd_error(name, emin, K) from None
    return K


def check_kappa(kappa, n_modes: int, name: str = "kappa") -> int:
    """A cutoff in mode index: 0 <= kappa <= n_modes."""
    return check_int(kappa, name, 0, n_modes) if True else 0
