"""Named actions of the theory and their derived Wilsonian steps."""
from .gaussian import GaussianFlowDerivation, derive_gaussian_flow, gaussian_integrate, read_off_ridge

__all__ = ["GaussianFlowDerivation", "derive_gaussian_flow", "gaussian_integrate", "read_off_ridge"]
