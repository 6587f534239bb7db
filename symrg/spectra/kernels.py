"""NNGP kernels of fully connected networks on unit-sphere inputs.

Convention (issue 2): the input layer gives ``K0(x, x') = x.x'`` (so ``q0 = 1`` on the
sphere); every hidden layer maps

    K_{L}(x, x') = sigma_w^2 E[phi(u) phi(v)] + sigma_b^2,   (u, v) ~ N(0, [[q, c], [c, q]]),

with ``q = K_{L-1}(x, x)`` and ``c = K_{L-1}(x, x')``.  On the sphere ``q_L`` is the same
for every input, so the kernel is a dot-product kernel ``k(t)``, ``t = x.x'``.

Dual activations (Cho & Saul 2009 for the arc-cosine kernels; Williams 1997 for erf), with
``rho = c/q`` and ``theta = arccos(rho)``:

* ReLU (arc-cosine of order 1): ``E = q (sin(theta) + (pi - theta) cos(theta)) / (2 pi)``
* step (arc-cosine of order 0): ``E = (pi - theta) / (2 pi)``
* erf: ``E = (2/pi) arcsin(2 c / (1 + 2 q))``

With the default ``sigma_w^2 = 2``, ``sigma_b^2 = 0`` ReLU has ``k(1) = 1`` at every depth.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_positive, check_ridge
from ..errors import ParameterError

ACTIVATIONS = ("relu", "step", "erf")


def _relu_dual(rho):
    rho = np.clip(rho, -1.0, 1.0)
    return (np.sqrt(np.maximum(1.0 - rho * rho, 0.0)) + (np.pi - np.arccos(rho)) * rho) / (2 * np.pi)


def _step_dual(rho):
    rho = np.clip(rho, -1.0, 1.0)
    return (np.pi - np.arccos(rho)) / (2 * np.pi)


@dataclass(frozen=True)
class NNGPKernel:
    """Dot-product NNGP kernel ``k(t)`` of a depth-``depth`` fully connected network.

    Parameters
    ----------
    activation : {"relu", "step", "erf"}
    depth : int >= 1
        Number of hidden layers (each followed by its read-out weights).
    sigma_w2, sigma_b2 : float
        Weight and bias variances (defaults 2 and 0).
    """

    activation: str = "relu"
    depth: int = 1
    sigma_w2: float = 2.0
    sigma_b2: float = 0.0

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ParameterError("activation", self.activation, f"one of {ACTIVATIONS}")
        object.__setattr__(self, "depth", check_int(self.depth, "depth", 1, 10_000))
        object.__setattr__(self, "sigma_w2", check_positive(self.sigma_w2, "sigma_w2"))
        object.__setattr__(self, "sigma_b2", check_ridge(self.sigma_b2, "sigma_b2"))

    # -- layer variances -------------------------------------------------------------
    def variances(self) -> list[float]:
        """Diagonal ``q_L = K_L(x, x)`` for L = 0..depth (``q_0 = 1``)."""
        q = [1.0]
        for _ in range(self.depth):
            q.append(self._layer_diag(q[-1]))
        return q

    def _layer_diag(self, q: float) -> float:
        sw, sb = self.sigma_w2, self.sigma_b2
        if self.activation == "relu":
            return sw * q / 2 + sb
        if self.activation == "step":
            return sw / 2 + sb
        return sw * (2 / math.pi) * math.asin(2 * q / (1 + 2 * q)) + sb

    def _layer(self, c, q: float):
        """One layer map of the off-diagonal covariance ``c`` given the diagonal ``q``."""
        sw, sb = self.sigma_w2, self.sigma_b2
        if self.activation == "relu":
            return sw * q * _relu_dual(c / q) + sb
        if self.activation == "step":
            return sw * _step_dual(c / q) + sb
        return sw * (2 / np.pi) * np.arcsin(np.clip(2 * c / (1 + 2 * q), -1, 1)) + sb

    # -- evaluation ---------------------------------------------------------------------
    def __call__(self, t):
        """Evaluate ``k(t)`` for ``t = x.x'`` in [-1, 1] (vectorised; values are clipped)."""
        t = np.clip(np.asarray(t, dtype=float), -1.0, 1.0)
        c, q = t, 1.0
        for qn in self.variances()[1:]:
            c = self._layer(c, q)
            q = qn
        return c

    @property
    def k1(self) -> float:
        """``k(1)``, the kernel's value on the diagonal (its total power on the sphere)."""
        return self.variances()[-1]

    def gram(self, X, Y=None) -> np.ndarray:
        """Kernel matrix ``k(X Y^T)`` for rows on the unit sphere."""
        X = np.asarray(X, dtype=float)
        Y = X if Y is None else np.asarray(Y, dtype=float)
        return self(X @ Y.T)

    def describe(self) -> str:
        return (f"{self.activation} NNGP, depth {self.depth}, sigma_w^2={self.sigma_w2:g}, "
                f"sigma_b^2={self.sigma_b2:g}")
