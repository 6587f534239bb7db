"""Exception hierarchy of symrg.

Every error names the offending parameter, the value it received and what would be
valid, so that a user can fix the call without reading the source.
"""
from __future__ import annotations


class SymrgError(Exception):
    """Base class of every error raised by symrg."""


class ParameterError(SymrgError, ValueError, TypeError):
    """A parameter has an invalid value (NaN, negative ridge, cutoff out of range, ...) or type (a string
    where a number is expected, ...); catchable as ValueError or TypeError."""

    def __init__(self, name: str, value, valid: str, advice: str = ""):
        self.name, self.value, self.valid = name, value, valid
        msg = f"invalid {name}={value!r}: expected {valid}"
        if advice:
            msg += f" ({advice})"
        super().__init__(msg)


class KernelError(SymrgError, ValueError):
    """A kernel matrix is not finite, not symmetric or not positive semi-definite."""


class SpecError(SymrgError, ValueError):
    """A malformed action file or expression."""


class DataError(SymrgError, ValueError):
    """A data file cannot be read or its contents are inconsistent."""


class ConvergenceError(SymrgError, RuntimeError):
    """A numerical procedure did not converge."""


class NonFiniteError(SymrgError, ArithmeticError):
    """A result is NaN or infinite; the message names the quantity (nothing is printed)."""


class VerificationError(SymrgError, AssertionError):
    """A cross-check failed."""


class InputNotice(UserWarning):
    """How an input was read, where a reader could assume otherwise (e.g. a CSV line read as column
    names); the command line prints it as one line, ``symrg COMMAND: note: ...``."""


class TruncationWarning(UserWarning):
    """A perturbative parameter is large for the truncation order used."""
