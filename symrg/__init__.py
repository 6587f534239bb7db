"""symrg: Wilsonian renormalization of Gaussian-process and NNGP regression.

Implements Howard, Jefferson, Maiti & Ringel, *Wilsonian Renormalization of Neural
Network Gaussian Processes* (arXiv:2405.06008). Nothing is computed at import time.
"""
__version__ = "0.1.0"

from .errors import (  # noqa: E402
    ConvergenceError,
    DataError,
    KernelError,
    ParameterError,
    SpecError,
    SymrgError,
    TruncationWarning,
    VerificationError,
)

__all__ = [
    "__version__",
    "SymrgError",
    "ParameterError",
    "KernelError",
    "SpecError",
    "DataError",
    "ConvergenceError",
    "VerificationError",
    "TruncationWarning",
]
