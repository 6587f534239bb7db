"""The named theories, derived with SymPy and the engine; every result is a SymPy object (no numerics, no codegen)."""
from .gaussian import GaussianFlowDerivation, derive_gaussian_flow, gaussian_integrate, read_off_ridge

__all__ = ["GaussianFlowDerivation", "derive_gaussian_flow", "gaussian_integrate", "read_off_ridge"]
