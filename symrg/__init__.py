"""symrg: Wilsonian renormalization of Gaussian-process and NNGP regression.

Implements Howard, Jefferson, Maiti & Ringel, *Wilsonian Renormalization of Neural
Network Gaussian Processes* (arXiv:2405.06008). Nothing is computed at import time.

``import symrg as rg`` reaches the common path in one namespace (:mod:`symrg.api`, docs/api.md):
``rg.action``, ``rg.derive``, ``rg.flow``, ``rg.lower``, ``rg.solve``, ``rg.kernel``, ``rg.sphere``,
``rg.pool``, ``rg.powerlaw``, ``rg.predict``, ``rg.learning_curve``.  These names are resolved on
first use, so importing the package stays cheap.
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

_API = ("action", "derive", "flow", "lower", "solve", "RunningSolution", "kernel", "sphere", "pool", "powerlaw",
        "predict", "learning_curve")

__all__ = [
    "__version__",
    *_API,
    "SymrgError",
    "ParameterError",
    "KernelError",
    "SpecError",
    "DataError",
    "ConvergenceError",
    "VerificationError",
    "TruncationWarning",
]


def __getattr__(name):
    """The facade of :mod:`symrg.api`, imported on first use (PEP 562)."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'symrg' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
