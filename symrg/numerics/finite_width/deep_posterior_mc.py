"""Monte Carlo ground truth for the posterior mean of deep finite-width networks (docs/theory.md section 6x,
"Deep posterior"), with no perturbation theory.

Actual depth-``L`` networks of width ``N`` (the conventions of :mod:`symrg.theory.deep_finite_width`):
``z^(1) = W^(1) x`` (``N(0, 1)`` entries), ``z^(l+1) = sqrt(sigma_w^2/N) W^(l+1) phi(z^(l)) + b^(l+1)`` with ``N x N``
Gaussian matrices.  Given the hidden layers the output is a GP with kernel
``K_W = sigma_b^2 + (sigma_w^2/N) phi(z^(L))^T phi(z^(L))`` on the training and test inputs, computed exactly;
each network is weighted by its GP evidence ``p(y|K_W)`` and the posterior mean is the self-normalised
importance-sampling average of ``m(K_W)`` (eq. W of :mod:`symrg.numerics.finite_width`), with the effective
sample size of the weights reported.

Draws are split into tasks of fixed size seeded by ``SeedSequence(seed).spawn`` and run through
:func:`symrg._parallel.executor`, so a seed gives the same numbers serially or on Dask.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..._validate import check_finite_array, check_int, check_positive, check_ridge
from ...errors import ParameterError, SymrgError
from .deep import check_deep_activation, check_depth
from .deep_posterior import (_Contraction, _phi, _validate, deep_gp_posterior_mean, deep_metric_recursion,
                             deep_one_over_n_coefficient, layer_map)
from .montecarlo import DegenerateWeightsWarning, PosteriorComparison

__all__ = ["POSTERIOR_TASK_DRAWS", "deep_network_kernels", "DeepMonteCarloPosterior", "deep_monte_carlo_posterior",
           "deep_posterior_mc_cost", "DeepWidthRow", "DeepPosteriorStudy", "deep_posterior_study", "fit_coefficient",
           "compare_deep_posteriors", "deep_posterior_mc_fit"]

POSTERIOR_TASK_DRAWS = 2_000      # networks per task (fixed: the result depends on the seed and the draws only)
_BLOCK = 2 ** 21                  # numbers per block inside a task


def deep_posterior_mc_cost(n_inputs: int, dim: int, width: int, depth: int, draws: int) -> float:
    """Multiply-adds of :func:`deep_monte_carlo_posterior`: ``draws (N m d + (L-1) N^2 m + N m^2 + m^3)``."""
    m, d, N, L = int(n_inputs), int(dim), int(width), int(depth)
    return float(draws) * (N * m * d + (L - 1) * N * N * m + N * m * m + m ** 3)


def _kernels_task(activation, depth, width, sigma_w2, sigma_b2, Z, method, item, all_layers=False) -> np.ndarray:
    """``K_W`` of ``item = (seed sequence, draws)`` networks on the inputs ``Z`` (pure, seeded); with ``all_layers``
    the metrics ``G^(2) .. G^(L+1)`` of every layer, ``(draws, L, m, m)`` (the last is ``K_W``).

    ``method="weights"``: ``N x N`` Gaussian weight matrices.  ``method="chain"``: the same law drawn through the
    metric -- given layer ``l`` the rows of ``z^(l+1)`` are iid ``N(0, G^(l+1))``, ``G^(l+1) = sigma_b^2 +
    (sigma_w^2/N) phi^T phi`` (``m x m``), so ``z^(l+1) = xi F^T`` with ``F F^T = G^(l+1)`` (eigendecomposition) and
    ``xi ~ N(0, I)``: ``O(N m^2)`` instead of ``O(N^2 m)`` per layer."""
    ss, draws = item
    rng = np.random.default_rng(ss)
    act = _phi(activation)
    N, (m, d) = width, Z.shape
    rows = max(1, _BLOCK // (N * max(N if method == "weights" else m, d, m)))
    out = np.empty((draws, depth, m, m))
    for start in range(0, draws, rows):
        b = min(rows, draws - start)
        z = rng.standard_normal((b, N, d)) @ Z.T                    # (b, N, m): W^(1) x
        for layer in range(depth - 1):
            h = act(z)
            if all_layers or method == "chain":
                G = sigma_b2 + (sigma_w2 / N) * (np.swapaxes(h, 1, 2) @ h)
                out[start:start + b, layer] = G
            if method == "chain":
                lam, Q = np.linalg.eigh(G)
                F = Q * np.sqrt(np.maximum(lam, 0.0))[:, None, :]
                z = rng.standard_normal((b, N, m)) @ np.swapaxes(F, 1, 2)
                continue
            z = math.sqrt(sigma_w2 / N) * (rng.standard_normal((b, N, N)) @ h)
            if sigma_b2 > 0:
                z += math.sqrt(sigma_b2) * rng.standard_normal((b, N, 1))
        h = act(z)
        out[start:start + b, depth - 1] = sigma_b2 + (sigma_w2 / N) * (np.swapaxes(h, 1, 2) @ h)
    return out if all_layers else out[:, depth - 1]


def _items(draws: int, seed: int, task: int):
    sizes = [task] * (draws // task) + ([draws % task] if draws % task else [])
    return list(zip(np.random.SeedSequence(seed).spawn(len(sizes)), sizes))


def _check_method(method):
    if method not in ("weights", "chain"):
        raise ParameterError("method", method, "weights (N x N weight matrices) or chain (the same law via the metric)")
    return method


def deep_network_kernels(activation: str, Z, depth: int, width: int, draws: int, seed: int = 0, *,
                         sigma_w2: float = 2.0, sigma_b2: float = 0.0, method: str = "weights",
                         executor=None) -> np.ndarray:
    """The output kernels ``K_W`` (``(draws, m, m)``) of ``draws`` actual depth-``L`` width-``N`` networks on the
    inputs ``Z`` (rows) -- the brute-force ground truth of the kernel recursion (its mean and covariance)."""
    act = check_deep_activation(activation)
    L = check_depth(depth)
    N = check_int(width, "width", 1, None)
    Z = check_finite_array(Z, "Z", ndim=2)
    draws = check_int(draws, "draws", 2, None)
    items = _items(draws, check_int(seed, "seed", 0, None), POSTERIOR_TASK_DRAWS)
    sw, sb = check_positive(sigma_w2, "sigma_w2"), check_ridge(sigma_b2, "sigma_b2")
    method = _check_method(method)
    if executor is None:
        parts = [_kernels_task(act, L, N, sw, sb, Z, method, it) for it in items]
    else:
        parts = executor.map(_kernels_task, items, act, L, N, sw, sb, Z, method, label="networks")
    return np.concatenate(parts)


def _posterior_task(activation, depth, width, sigma_w2, sigma_b2, Z, method, y, n, ridge, cv, item):
    """``(log evidence, m(K_W) on the test inputs, controls)`` of one task's networks; ``controls`` is ``None`` or
    ``(Y, Zc)`` (see :func:`deep_monte_carlo_posterior`, ``control_variates``)."""
    Gs = _kernels_task(activation, depth, width, sigma_w2, sigma_b2, Z, method, item, all_layers=cv is not None)
    KW = Gs if cv is None else Gs[:, -1]
    A = KW[:, :n, :n] + ridge * np.eye(n)
    try:
        Lc = np.linalg.cholesky(A)
    except np.linalg.LinAlgError as err:  # pragma: no cover - PD for ridge > 0
        raise SymrgError(f"Cholesky of K_W + sigma^2 I failed ({err}); increase the ridge") from err
    al = np.linalg.solve(A, np.broadcast_to(y, (A.shape[0], n))[..., None])[..., 0]
    logp = -0.5 * al @ y - np.sum(np.log(np.diagonal(Lc, axis1=1, axis2=2)), axis=1)
    mW = np.einsum("bji,bi->bj", KW[:, n:, :n], al)
    if cv is None:
        return logp, mW, None
    met, Q = cv
    D = np.zeros_like(KW)
    prev = np.broadcast_to(met.K[0], KW.shape)                    # G^(1) = x.x' (exact)
    for layer in range(depth):                                    # eps = G^(l+1) - F(G^(l)): zero mean exactly
        eps = Gs[:, layer] - layer_map(activation, prev, sigma_w2, sigma_b2)
        D += met.propagate(layer + 1, eps)
        prev = Gs[:, layer]
    Y = Q.log_evidence_first_order(D)
    return logp, mW, (Y, Q.m_gp[None, :] * Y[:, None] + Q.first_order_batch(D))


@dataclass(frozen=True)
class DeepMonteCarloPosterior:
    """Self-normalised importance-sampling estimate of ``E[p(y|K_W) m(K_W)] / E[p(y|K_W)]``: ``mean``, ``sem``
    (delta method), ``sem_tasks`` (spread of the per-task estimates), ``ess`` = ``(sum w)^2 / sum w^2``."""

    mean: np.ndarray
    sem: np.ndarray
    sem_tasks: np.ndarray
    ess: float
    n_draws: int
    degenerate: bool


def deep_monte_carlo_posterior(activation, X, y, X_test, depth, width, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                               n_draws: int = 20_000, seed: int = 0, min_ess: float = 200.0,
                               method: str = "weights", control_variates: bool = False,
                               executor=None) -> DeepMonteCarloPosterior:
    """Ground truth: Bayesian regression with ``n_draws`` actual depth-``L`` networks of width ``N`` (module
    docstring).  Warns with :class:`DegenerateWeightsWarning` when the effective sample size is below ``min_ess``.

    ``control_variates``: the estimate stays ``E[a m_W] / E[a]`` (``a = p(y|K_W)/p(y|K)``), with numerator and
    denominator averaged as ``a m_W - Zc`` and ``a - Y``, where ``Y = L1(D)`` and ``Zc = m_GP Y + m1(D)`` are linear in
    ``D = sum_l P_l eps_l``, ``eps_l = G^(l+1) - F(G^(l))`` the fresh noise of each layer of the network and
    ``F`` the infinite-width layer map.  ``E[eps_l | G^(l)] = 0`` exactly, so the controls have zero mean for
    any fixed linear maps ``P_l`` (the Jacobians of the recursion are used only to make them efficient: an error
    in them costs variance, never bias); they remove the ``O(N^-1/2)`` noise of the plain estimator."""
    act, X, y, X_test, ridge, L = _validate(activation, X, y, X_test, ridge, depth)
    N = check_int(width, "width", 1, None)
    S = check_int(n_draws, "n_draws", 40, None)
    n = X.shape[0]
    Z = np.vstack([X, X_test])
    items = _items(S, check_int(seed, "seed", 0, None), POSTERIOR_TASK_DRAWS)
    sw, sb = check_positive(sigma_w2, "sigma_w2"), check_ridge(sigma_b2, "sigma_b2")
    cv = None
    if control_variates:
        met = deep_metric_recursion(act, Z, L, sw, sb)
        cv = (met, _Contraction.from_kernel(met.K[-1], y, n, ridge))
    args = (act, L, N, sw, sb, Z, _check_method(method), y, n, ridge, cv)
    if executor is None:
        parts = [_posterior_task(*args, it) for it in items]
    else:
        parts = executor.map(_posterior_task, items, *args, label="networks")
    logp = np.concatenate([p[0] for p in parts])
    mW = np.concatenate([p[1] for p in parts])
    w = np.exp(logp - logp.max())
    W1, W2 = w.sum(), (w * w).sum()
    if cv is None:
        mean = w @ mW / W1
        sem = np.sqrt(np.maximum((w * w) @ ((mW - mean) ** 2), 0)) / W1
    else:
        Kf = cv[0].K[-1]
        A0 = Kf[:n, :n] + ridge * np.eye(n)
        logp0 = -0.5 * y @ np.linalg.solve(A0, y) - 0.5 * np.linalg.slogdet(A0)[1]
        a = np.exp(logp - logp0)
        if not np.all(np.isfinite(a)):
            raise SymrgError("evidence ratios overflow at this width; run without control_variates")
        Y = np.concatenate([p[2][0] for p in parts])
        Zc = np.concatenate([p[2][1] for p in parts])
        den = a - Y
        num = a[:, None] * mW - Zc
        mean = num.mean(0) / den.mean()
        resid = num - mean[None, :] * den[:, None]
        sem = resid.std(0, ddof=1) / (math.sqrt(S) * abs(den.mean()))
    per = []
    for lp, mw, _ in parts:
        wt = np.exp(lp - lp.max())
        per.append(wt @ mw / wt.sum())
    per = np.array(per)
    sem_t = per.std(axis=0, ddof=1) / math.sqrt(len(per)) if len(per) > 1 else np.full(mean.shape, np.nan)
    ess = float(W1 * W1 / W2)
    degenerate = ess < min_ess
    if degenerate:
        warnings.warn(f"importance weights degenerated: effective sample size {ess:.1f} of {S} draws "
                      f"(< {min_ess:g}); the Monte Carlo posterior is unreliable -- increase n_draws or the "
                      f"ridge", DegenerateWeightsWarning, stacklevel=2)
    return DeepMonteCarloPosterior(mean, sem, sem_t, ess, S, bool(degenerate))


# ---------------------------------------------------------------------------------- width sweep --
# one width: GP limit, O(1/N) prediction and Monte Carlo -- the row of the one-layer comparison, unchanged
DeepWidthRow = PosteriorComparison


@dataclass(frozen=True)
class DeepPosteriorStudy:
    """Theory ``c`` (with its unit-Monte-Carlo error) against the coefficient extrapolated from the Monte Carlo
    at several widths: per test input, ``N (m_MC - m_GP) = c_mc + d/N`` fitted by weighted least squares
    (``c_mc_se`` inflated by ``sqrt(chi2/dof)`` when that exceeds 1); ``z`` = ``|c_mc - c| / sqrt(se^2 + se_mc^2)``."""

    activation: str
    depth: int
    c: np.ndarray
    c_sem: np.ndarray
    c_mc: np.ndarray
    c_mc_se: np.ndarray
    rows: list

    @property
    def z(self) -> np.ndarray:
        return np.abs(self.c_mc - self.c) / np.sqrt(self.c_sem ** 2 + self.c_mc_se ** 2)

    def to_dict(self) -> dict:
        return {"activation": self.activation, "depth": self.depth, "c": self.c.tolist(),
                "c_sem": self.c_sem.tolist(), "c_mc": self.c_mc.tolist(), "c_mc_se": self.c_mc_se.tolist(),
                "z": self.z.tolist(), "widths": [r.to_dict() for r in self.rows]}


def fit_coefficient(widths, delta, delta_se, quadratic: bool = False):
    """Weighted fit ``delta(N) = c + d/N`` (``+ e/N^2`` with ``quadratic``) per column (``delta = N (m_MC - m_GP)``):
    ``(c, se_c)``."""
    N = np.asarray(widths, float)
    p = 3 if quadratic else 2
    if N.size < p:
        raise ParameterError("widths", list(widths), f"at least {p} widths")
    c, se = [], []
    for k in range(np.shape(delta)[1]):
        s = np.asarray(delta_se)[:, k]
        A = np.stack([N ** -j for j in range(p)], axis=1) / s[:, None]
        b = np.asarray(delta)[:, k] / s
        coef, *_ = np.linalg.lstsq(A, b, rcond=None)
        cov = np.linalg.inv(A.T @ A)
        dof = N.size - p
        chi2 = float(np.sum((A @ coef - b) ** 2))
        infl = max(1.0, math.sqrt(chi2 / dof)) if dof > 0 else 1.0
        c.append(coef[0])
        se.append(math.sqrt(cov[0, 0]) * infl)
    return np.array(c), np.array(se)


def deep_posterior_mc_fit(activation, X, y, X_test, depth, ridge, widths=(16, 32, 64, 128), *, sigma_w2=2.0,
                          sigma_b2=0.0, n_draws: int = 20_000, seed: int = 0, method: str = "weights",
                          quadratic: bool = False, control_variates: bool = False, executor=None):
    """The O(1/N) coefficient from the Monte Carlo alone: importance-sampled posteriors of actual networks at
    several widths (one seed per width), ``N (m_MC - m_GP) = c + d/N (+ e/N^2)`` fitted per test input
    (:func:`fit_coefficient`).  Returns ``(c_mc, c_mc_se, m_gp, [DeepMonteCarloPosterior per width])``."""
    gp = deep_gp_posterior_mean(activation, X, y, X_test, ridge, depth, sigma_w2, sigma_b2)
    seeds = np.random.SeedSequence(check_int(seed, "seed", 0, None)).generate_state(len(widths))
    mcs = []
    for N, s in zip(widths, seeds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateWeightsWarning)
            mcs.append(deep_monte_carlo_posterior(activation, X, y, X_test, depth, N, ridge, sigma_w2=sigma_w2,
                                                  sigma_b2=sigma_b2, n_draws=n_draws, seed=int(s), method=method,
                                                  control_variates=control_variates, executor=executor))
    delta = np.array([N * (mc.mean - gp) for N, mc in zip(widths, mcs)])
    dse = np.array([N * np.maximum(mc.sem, 1e-300) for N, mc in zip(widths, mcs)])
    c_mc, c_mc_se = fit_coefficient(widths, delta, dse, quadratic=quadratic)
    return c_mc, c_mc_se, gp, mcs


def deep_posterior_study(activation, X, y, X_test, depth, ridge, widths=(16, 32, 64, 128), *, sigma_w2=2.0,
                         sigma_b2=0.0, n_draws: int = 20_000, n_unit_samples: int = 200_000, seed: int = 0,
                         method: str = "weights", quadratic: bool = False, control_variates: bool = False,
                         executor=None) -> DeepPosteriorStudy:
    """The deep O(1/N) posterior against the Monte Carlo at several widths (:func:`deep_posterior_mc_fit`);
    ``quadratic`` adds an ``e/N^2`` term to the extrapolation ``N (m_MC - m_GP) = c + d/N``."""
    coef = deep_one_over_n_coefficient(activation, X, y, X_test, ridge, depth, sigma_w2=sigma_w2,
                                       sigma_b2=sigma_b2, n_samples=n_unit_samples, seed=seed)
    c_mc, c_mc_se, gp, mcs = deep_posterior_mc_fit(activation, X, y, X_test, depth, ridge, widths,
                                                   sigma_w2=sigma_w2, sigma_b2=sigma_b2, n_draws=n_draws, seed=seed,
                                                   method=method, quadratic=quadratic,
                                                   control_variates=control_variates, executor=executor)
    rows = [DeepWidthRow(int(N), gp, gp + coef.c / N, coef.sem / N, mc.mean, mc.sem, mc.ess, mc.n_draws,
                         mc.degenerate) for N, mc in zip(widths, mcs)]
    return DeepPosteriorStudy(activation, int(depth), coef.c, coef.sem, c_mc, c_mc_se, rows)


def compare_deep_posteriors(activation, X, y, X_test, depth, width, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                            n_draws=20_000, n_unit_samples=200_000, seed=0, method="weights",
                            executor=None) -> DeepWidthRow:
    """GP limit, O(1/N) prediction and Monte Carlo ground truth of a depth-``L`` network at one width (the deep
    counterpart of :func:`symrg.numerics.finite_width.compare_posteriors`; the same keys in ``to_dict``)."""
    N = check_int(width, "width", 1, None)
    coef = deep_one_over_n_coefficient(activation, X, y, X_test, ridge, depth, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                                       n_samples=n_unit_samples, seed=seed + 1)
    mc = deep_monte_carlo_posterior(activation, X, y, X_test, depth, N, ridge, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                                    n_draws=n_draws, seed=seed + 2, method=method, executor=executor)
    return DeepWidthRow(N, coef.m_gp, coef.m_gp + coef.c / N, coef.sem / N, mc.mean, mc.sem, mc.ess, mc.n_draws,
                        mc.degenerate)
