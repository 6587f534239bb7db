"""Monte Carlo ground truth for deep finite-width networks at one input (docs/theory.md section 6x): the
output's excess kurtosis from ensembles of networks, estimated conditionally, and its O(1/N) coefficient
extrapolated from several widths.

Given the last hidden layer the output ``f = z^(L+1)`` is Gaussian with variance
``s2 = sigma_b^2 + (sigma_w^2/N) sum_j phi(z^(L)_j)^2`` (the weights of the read-out are Gaussian), so
``E f^2 = E s2`` and ``E f^4 = 3 E s2^2``: the excess kurtosis is ``3 Var(s2)/(E s2)^2``, estimated from
``s2`` alone (no read-out drawn; far more precise than raw fourth moments).  Two samplers, both exact:

* ``method="weights"``: actual networks -- ``W^(1) x`` for a unit input (``N(0, 1)`` entries) and the
  ``N x N`` Gaussian weight matrices ``W^(l)`` and biases of every hidden layer; O(L N^2) per network;
* ``method="chain"``: at one input the pre-activations of layer ``l+1`` given layer ``l`` are iid
  ``N(0, s2^(l))`` (the rows of ``W^(l+1)`` are iid Gaussian), so a network's hidden layers are drawn as
  ``z^(l+1) = sqrt(s2^(l)) xi`` with ``xi ~ N(0, I_N)`` -- the same law, O(L N) per network
  (checked against ``weights`` in tests/numerics/test_deep_fw_numerics.py).

Draws are split into tasks of fixed size seeded by ``SeedSequence(seed).spawn`` and run through
:func:`symrg._parallel.executor`, so a seed gives the same numbers serially or on Dask.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.special

from ..._validate import check_int, check_positive, check_ridge
from ...errors import ParameterError
from .deep import check_deep_activation, check_depth

__all__ = ["TASK_DRAWS", "MC_WORK_LIMIT", "deep_output_variance_samples", "deep_kurtosis_mc", "KurtosisFit",
           "fit_kurtosis_coefficient", "deep_kurtosis_extrapolation", "deep_mc_cost"]

TASK_DRAWS = 20_000          # networks per task (fixed: the result depends on seed and draws only)
MC_WORK_LIMIT = 2 * 10**11   # random numbers drawn without allow_expensive (the benchmark, N=128 L=3: 6.6e9)
_BLOCK = 2 ** 21             # numbers per block inside a task (memory ~ 16 MiB)


def _act(activation: str):
    if activation == "relu":
        return lambda u: np.maximum(u, 0.0)
    if activation == "step":
        return lambda u: (u > 0).astype(float)
    return scipy.special.erf


def deep_mc_cost(width: int, depth: int, draws: int, method: str = "weights") -> float:
    """Random numbers the Monte Carlo draws (``draws x (N + (L-1)(N^2 + N))`` with weights, ``draws L N``
    with the chain)."""
    if method == "chain":
        return float(draws) * depth * width
    return float(draws) * (width + (depth - 1) * (width * width + width))


def _task(activation, depth, width, sigma_w2, sigma_b2, method, item) -> np.ndarray:
    """``s2`` of ``item = (seed sequence, draws)`` networks (pure, seeded)."""
    ss, draws = item
    rng = np.random.default_rng(ss)
    act = _act(activation)
    N = width
    per = N if method == "chain" else N * N
    rows = max(1, _BLOCK // per)
    out = np.empty(draws)
    for start in range(0, draws, rows):
        m = min(rows, draws - start)
        z = rng.standard_normal((m, N))                       # z^(1) = W^(1) x, |x| = 1
        for _ in range(depth - 1):
            h = act(z)
            if method == "chain":
                s2 = sigma_b2 + sigma_w2 / N * np.sum(h * h, axis=1)
                z = np.sqrt(s2)[:, None] * rng.standard_normal((m, N))
            else:
                W = rng.standard_normal((m, N, N))
                z = math.sqrt(sigma_w2 / N) * np.einsum("mij,mj->mi", W, h)
                if sigma_b2 > 0:
                    z += math.sqrt(sigma_b2) * rng.standard_normal((m, N))
        h = act(z)
        out[start:start + m] = sigma_b2 + sigma_w2 / N * np.sum(h * h, axis=1)
    return out


def deep_output_variance_samples(activation: str, depth: int, width: int, draws: int, seed: int = 0, *,
                                 sigma_w2: float = 2.0, sigma_b2: float = 0.0, method: str = "weights",
                                 executor=None, allow_expensive: bool = False) -> np.ndarray:
    """The conditional output variances ``s2`` of ``draws`` networks (module docstring)."""
    check_deep_activation(activation)
    L = check_depth(depth)
    N = check_int(width, "width", 1, None)
    draws = check_int(draws, "draws", 100, None)
    sigma_w2 = check_positive(sigma_w2, "sigma_w2")
    sigma_b2 = check_ridge(sigma_b2, "sigma_b2")
    if method not in ("weights", "chain"):
        raise ParameterError("method", method, "weights or chain")
    cost = deep_mc_cost(N, L, draws, method)
    if cost > MC_WORK_LIMIT and not allow_expensive:
        raise ParameterError("draws", draws, f"a Monte Carlo of at most {MC_WORK_LIMIT:.0e} random numbers "
                             f"(draws x (N + (L-1)(N^2+N)) = {cost:.3g} at width {N}, depth {L})",
                             "lower the draws, the width or the depth, or allow the expensive run")
    seed = check_int(seed, "seed", 0, None)
    sizes = [TASK_DRAWS] * (draws // TASK_DRAWS) + ([draws % TASK_DRAWS] if draws % TASK_DRAWS else [])
    items = list(zip(np.random.SeedSequence(seed).spawn(len(sizes)), sizes))
    if executor is None:
        parts = [_task(activation, L, N, sigma_w2, sigma_b2, method, it) for it in items]
    else:
        parts = executor.map(_task, items, activation, L, N, sigma_w2, sigma_b2, method, label="networks")
    return np.concatenate(parts)


def _kurtosis_from_samples(s2: np.ndarray) -> tuple[float, float]:
    """``3 Var(s2)/(E s2)^2`` and its delta-method standard error (influence function
    ``psi = 3 [((s - m)^2 - V)/m^2 - 2 V (s - m)/m^3]``)."""
    mean = float(s2.mean())
    dev = s2 - mean
    var = float(np.mean(dev * dev))
    psi = 3.0 * ((dev * dev - var) / mean ** 2 - 2.0 * var * dev / mean ** 3)
    return 3.0 * var / mean ** 2, float(psi.std(ddof=1) / math.sqrt(len(s2)))


def deep_kurtosis_mc(activation: str, depth: int, width: int, draws: int = 100_000, seed: int = 0, *,
                     sigma_w2: float = 2.0, sigma_b2: float = 0.0, method: str = "weights", executor=None,
                     allow_expensive: bool = False) -> tuple[float, float]:
    """Monte Carlo excess kurtosis of the output at width ``N``, depth ``L``: ``(estimate, standard error)``."""
    s2 = deep_output_variance_samples(activation, depth, width, draws, seed, sigma_w2=sigma_w2,
                                      sigma_b2=sigma_b2, method=method, executor=executor,
                                      allow_expensive=allow_expensive)
    return _kurtosis_from_samples(s2)


@dataclass(frozen=True)
class KurtosisFit:
    """Weighted least-squares fit ``kurt(N) = c/N + d/N^2`` over several widths: ``c`` with its standard
    error, ``d``, ``chi2`` and the degrees of freedom, and the points fitted."""

    c: float
    c_se: float
    d: float
    d_se: float
    chi2: float
    dof: int
    widths: tuple
    kurtosis: tuple
    kurtosis_se: tuple

    def to_dict(self) -> dict:
        return {"c": self.c, "c_se": self.c_se, "d": self.d, "d_se": self.d_se, "chi2": self.chi2,
                "dof": self.dof, "widths": list(self.widths), "kurtosis": list(self.kurtosis),
                "kurtosis_se": list(self.kurtosis_se)}


def fit_kurtosis_coefficient(widths, kurtosis, kurtosis_se) -> KurtosisFit:
    """Fit ``c/N + d/N^2`` to Monte Carlo kurtoses (weights ``1/se^2``); ``c_se`` from the covariance of the
    fit, inflated by ``sqrt(chi2/dof)`` when that exceeds 1."""
    N = np.asarray(widths, dtype=float)
    k = np.asarray(kurtosis, dtype=float)
    se = np.asarray(kurtosis_se, dtype=float)
    if N.size < 3 or N.size != k.size or N.size != se.size or np.any(se <= 0):
        raise ParameterError("widths", list(widths), "at least three widths with positive standard errors")
    A = np.stack([1 / N, 1 / N ** 2], axis=1) / se[:, None]
    b = k / se
    coef, *_ = np.linalg.lstsq(A, b, rcond=None)
    cov = np.linalg.inv(A.T @ A)
    chi2 = float(np.sum((A @ coef - b) ** 2))
    dof = N.size - 2
    infl = max(1.0, math.sqrt(chi2 / dof))
    return KurtosisFit(float(coef[0]), float(math.sqrt(cov[0, 0]) * infl), float(coef[1]),
                       float(math.sqrt(cov[1, 1]) * infl), chi2, dof, tuple(int(x) for x in N),
                       tuple(float(x) for x in k), tuple(float(x) for x in se))


def deep_kurtosis_extrapolation(activation: str, depth: int, widths=(16, 32, 64, 128), draws: int = 200_000,
                                seed: int = 0, *, sigma_w2: float = 2.0, sigma_b2: float = 0.0,
                                method: str = "chain", executor=None) -> KurtosisFit:
    """The O(1/N) coefficient from Monte Carlo at several widths (one seed per width, spawned from ``seed``)."""
    ks, ses = [], []
    seeds = np.random.SeedSequence(check_int(seed, "seed", 0, None)).generate_state(len(widths))
    for N, s in zip(widths, seeds):
        k, se = deep_kurtosis_mc(activation, depth, N, draws, int(s), sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                                 method=method, executor=executor)
        ks.append(k)
        ses.append(se)
    return fit_kurtosis_coefficient(widths, ks, ses)
