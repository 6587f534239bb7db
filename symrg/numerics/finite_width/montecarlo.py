"""Monte Carlo ground truth for finite-width networks, with no perturbation theory: the single-input
excess kurtosis of sampled networks, and Bayesian regression by importance sampling over the hidden
weights (eq. W of :mod:`symrg.numerics.finite_width`); :func:`compare_posteriors` sets the GP limit and
the O(1/N) prediction against it."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..._validate import check_int, check_positive, check_ridge
from ...errors import SymrgError
from .moments import _act, _check_activation, _check_width, _input_factor
from .posterior import _validate_regression, gp_posterior_mean, one_over_n_coefficient

__all__ = ["DegenerateWeightsWarning", "excess_kurtosis_mc", "MonteCarloPosterior", "monte_carlo_posterior",
           "monte_carlo_cost", "PosteriorComparison", "compare_posteriors"]


class DegenerateWeightsWarning(UserWarning):
    """The importance weights of the Monte Carlo ground truth have a small effective sample size."""



_MC_BLOCK = 2 ** 18          # numbers drawn per block (fixed, so the result depends on seed and draws only)


def excess_kurtosis_mc(activation: str, width: int, draws: int = 100_000, seed: int = 0, *, dim: int = 3,
                       sigma_w2: float = 2.0, sigma_b2: float = 0.0) -> tuple[float, float]:
    """Monte Carlo of the single-input excess kurtosis of width-``N`` networks: ``(estimate, standard error)``.

    ``draws`` networks (hidden weights ``w_i ~ N(0, I_dim)``, ``i = 1..N``) are drawn and evaluated
    at one fixed unit input ``x``.  Given the hidden weights the output is Gaussian (module doc) with
    variance ``s2(W) = (sigma_w^2/N) sum_i phi(w_i.x)^2 + sigma_b^2``, so ``E f^2 = E s2`` and
    ``E f^4 = 3 E[s2^2]``: the excess kurtosis is ``3 Var(s2) / (E s2)^2`` (docs/theory.md sections 2
    and 6), estimated without drawing the read-out ``v``.  The standard error is the delta-method
    one, ``std(psi)/sqrt(draws)`` with the influence function
    ``psi = 3 [((s - m)^2 - V)/m^2 - 2 V (s - m)/m^3]``.  No moment of the activation enters:
    this is the ground truth for :func:`excess_kurtosis`.
    """
    _check_activation(activation)
    n = _check_width(width)
    draws = check_int(draws, "draws", 100, None)
    dim = check_int(dim, "dim", 1, None)
    sigma_w2 = check_positive(sigma_w2, "sigma_w2")
    sigma_b2 = check_ridge(sigma_b2, "sigma_b2")
    rng = np.random.default_rng(check_int(seed, "seed", 0, None))
    x = np.arange(1.0, dim + 1.0)
    x /= np.linalg.norm(x)                                   # a fixed input on the unit sphere
    act = _act(activation)
    rows = max(1, _MC_BLOCK // (n * dim))
    s2 = np.empty(draws)
    for start in range(0, draws, rows):
        m = min(rows, draws - start)
        W = rng.standard_normal((m, n, dim))                 # m networks of width n
        s2[start:start + m] = sigma_w2 / n * np.sum(act(W @ x) ** 2, axis=1) + sigma_b2
    mean = float(s2.mean())
    dev = s2 - mean
    var = float(np.mean(dev * dev))
    est = 3.0 * var / mean ** 2
    psi = 3.0 * ((dev * dev - var) / mean ** 2 - 2.0 * var * dev / mean ** 3)
    return est, float(psi.std(ddof=1) / math.sqrt(draws))


# -------------------------------------------------------------------------- Monte Carlo truth --
@dataclass(frozen=True)
class MonteCarloPosterior:
    """Self-normalised importance-sampling estimate of ``E_W[p(y|W) m_W] / E_W[p(y|W)]``.

    ``sem`` by the delta method, ``sem_batches`` from 20 independent groups of draws, ``ess`` the
    effective sample size ``(sum w)^2 / sum w^2`` of the evidence weights.
    """

    mean: np.ndarray
    sem: np.ndarray
    sem_batches: np.ndarray
    ess: float
    n_draws: int
    degenerate: bool


def monte_carlo_posterior(activation, X, y, X_test, width, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                          n_draws: int = 100_000, seed: int = 0, min_ess: float = 200.0,
                          progress=None, stop=None) -> MonteCarloPosterior:
    """Ground truth without perturbation theory: finite-width Bayesian regression by Monte Carlo over
    the hidden weights (eq. W), vectorised over draws (stacked Cholesky / solves).

    ``stop``: optional ``stop(partial) -> bool``, asked with the estimate so far (a
    :class:`MonteCarloPosterior`) at the end of every one of the 20 groups of draws from the second on;
    ``True`` ends the run there (``n_draws`` of the result = the draws made).  The draws, and so the
    estimate after ``k`` groups, do not depend on ``stop``: a run that stops after ``k`` groups
    returns the same numbers as the first ``k`` groups of the full run.  This is how a study sizes
    each cell to the precision its claim needs (:func:`symrg.studies.finite_width_study.run_finite_width_study`).

    Warns with :class:`DegenerateWeightsWarning` when the effective sample size is below ``min_ess``.
    """
    X, y, X_test, ridge = _validate_regression(activation, X, y, X_test, ridge)
    N = _check_width(width)
    S = check_int(n_draws, "n_draws", 40, None)
    n, t = X.shape[0], X_test.shape[0]
    F = _input_factor(np.vstack([X, X_test]))
    m, r = F.shape
    act = _act(activation)
    rng = np.random.default_rng(seed)
    batch = _mc_batch(S, N, m, r)
    groups = 20
    per_group = -(-S // groups)
    # accumulators per group: (max log w, sum w, sum w^2, sum w m, sum w^2 m, sum w^2 m^2)
    acc = []
    done = 0
    while done < S:
        b = min(batch, S - done, per_group - done % per_group)
        Phi = act(rng.standard_normal((b * N, r)) @ F.T).reshape(b, N, m)   # one GEMM for the batch
        # only the columns of the training points are needed: K_W[:, :, :n] (batched BLAS, not einsum)
        KW = (sigma_w2 / N) * np.matmul(Phi.transpose(0, 2, 1), Phi[:, :, :n]) + sigma_b2
        A = KW[:, :n, :n] + ridge * np.eye(n)
        try:
            Lc = np.linalg.cholesky(A)
        except np.linalg.LinAlgError as err:  # pragma: no cover
            raise SymrgError(f"Cholesky of K_W + sigma^2 I failed ({err}); increase the ridge") from err
        al = np.linalg.solve(A, np.broadcast_to(y, (b, n))[..., None])[..., 0]
        logp = -0.5 * np.einsum("bi,i->b", al, y) - np.sum(np.log(np.diagonal(Lc, axis1=1, axis2=2)), axis=1)
        mW = np.matmul(KW[:, n:, :], al[..., None])[..., 0]
        mx = float(logp.max())
        w = np.exp(logp - mx)
        w2 = w * w
        acc.append((done // per_group, mx, w.sum(), w2.sum(), w @ mW, w2 @ mW, w2 @ (mW * mW)))
        done += b
        if progress is not None:
            progress(done, S)
        if (stop is not None and done < S and done % per_group == 0 and done // per_group >= 2
                and stop(_finish(acc, done, groups, t, min_ess=None))):
            break
    return _finish(acc, done, groups, t, min_ess=min_ess)


def _finish(acc, S, groups, t, *, min_ess) -> MonteCarloPosterior:
    """The estimate from the per-batch accumulators ``acc`` of :func:`monte_carlo_posterior`
    (``min_ess=None``: a partial estimate, no warning)."""
    def combine(rows):
        ref = max(row[1] for row in rows)                  # log-sum-exp: rescale to the largest weight
        tot = [0.0, 0.0, np.zeros(t), np.zeros(t), np.zeros(t)]
        for row in rows:
            f = math.exp(row[1] - ref)
            tot[0] += f * row[2]
            tot[1] += f * f * row[3]
            tot[2] = tot[2] + f * row[4]
            tot[3] = tot[3] + f * f * row[5]
            tot[4] = tot[4] + f * f * row[6]
        return tot

    W1, W2, Wm, W2m, W2m2 = combine(acc)
    mean = Wm / W1
    var = (W2m2 - 2 * mean * W2m + mean * mean * W2) / W1 ** 2     # delta method
    ess = W1 * W1 / W2
    gmeans = []
    for g in range(groups):
        rows = [a for a in acc if a[0] == g]
        if rows:
            G1, _, Gm, _, _ = combine(rows)
            gmeans.append(Gm / G1)
    gmeans = np.array(gmeans)
    sem_b = gmeans.std(axis=0, ddof=1) / math.sqrt(len(gmeans)) if len(gmeans) > 1 else np.full(t, np.nan)
    degenerate = bool(min_ess is not None and ess < min_ess)
    if degenerate:
        warnings.warn(f"importance weights degenerated: effective sample size {ess:.1f} of {S} draws "
                      f"(< {min_ess:g}); the Monte Carlo posterior is unreliable -- increase n_draws or the "
                      f"ridge", DegenerateWeightsWarning, stacklevel=3)
    return MonteCarloPosterior(mean, np.sqrt(np.maximum(var, 0)), sem_b, float(ess), S, degenerate)


@dataclass(frozen=True)
class PosteriorComparison:
    """Posterior means on test inputs for one width: GP limit, O(1/N) prediction, Monte Carlo."""

    width: int
    gp: np.ndarray
    one_over_n: np.ndarray
    one_over_n_sem: np.ndarray
    monte_carlo: np.ndarray
    monte_carlo_sem: np.ndarray
    ess: float
    n_draws: int
    degenerate: bool

    @property
    def error_gp(self) -> float:
        return float(np.sqrt(np.mean((self.gp - self.monte_carlo) ** 2)))

    @property
    def error_one_over_n(self) -> float:
        return float(np.sqrt(np.mean((self.one_over_n - self.monte_carlo) ** 2)))

    @property
    def rms_sem(self) -> float:
        return float(np.sqrt(np.mean(self.monte_carlo_sem ** 2)))

    @property
    def resolved(self) -> bool:
        """The MC error resolves the GP-vs-1/N difference (RMS difference > 3 RMS sem)."""
        return float(np.sqrt(np.mean((self.gp - self.one_over_n) ** 2))) > 3 * self.rms_sem

    def to_dict(self) -> dict:
        return {"width": self.width, "gp": self.gp.tolist(), "one_over_n": self.one_over_n.tolist(),
                "one_over_n_sem": self.one_over_n_sem.tolist(),
                "monte_carlo": self.monte_carlo.tolist(), "monte_carlo_sem": self.monte_carlo_sem.tolist(),
                "error_gp": self.error_gp, "error_one_over_n": self.error_one_over_n,
                "rms_sem": self.rms_sem, "resolved": self.resolved,
                "one_over_n_beats_gp": self.error_one_over_n < self.error_gp,
                "ess": self.ess, "n_draws": self.n_draws, "degenerate_weights": self.degenerate}



def _mc_batch(n_draws: int, width: int, m: int, r: int) -> int:
    """Draws per vectorised batch of :func:`monte_carlo_posterior` (about 3e6 hidden activations)."""
    return int(max(16, min(n_draws, 3_000_000 // (width * max(m, r)))))


def monte_carlo_cost(n_inputs: int, rank: int, width: int, n_draws: int) -> dict:
    """Peak memory and arithmetic of :func:`monte_carlo_posterior`, estimated before it runs.

    ``n_inputs`` = training + test points ``m``, ``rank`` = columns ``r`` of the input factor
    (``min(d, m)``).  Per batch of ``b`` draws it holds the Gaussian weights ``(b, N, r)``, the
    activations ``(b, N, m)`` and the kernels ``(b, m, m)`` (twice, for the Cholesky factor);
    per draw it spends ``N m r + N m^2 + m^3`` multiply-adds.  Returns ``bytes`` and ``steps``.
    """
    m, r, N, S = int(n_inputs), int(rank), int(width), int(n_draws)
    b = _mc_batch(S, N, m, r)
    return {"bytes": 8 * b * (N * (r + m) + 2 * m * m), "steps": S * (N * m * r + N * m * m + m ** 3),
            "batch": b}


def compare_posteriors(activation, X, y, X_test, width, ridge, *, sigma_w2=2.0, sigma_b2=0.0,
                       n_draws=100_000, n_unit_samples=400_000, seed=0, progress=None,
                       coefficient=None, stop=None) -> PosteriorComparison:
    """GP limit, O(1/N) prediction and Monte Carlo ground truth at one width.

    ``coefficient``: a precomputed ``(c, sem_c)`` from :func:`one_over_n_coefficient` (it does not
    depend on the width, so a sweep computes it once).  ``stop``: optional ``stop(partial) -> bool``
    asked with the :class:`PosteriorComparison` so far at the Monte Carlo's group boundaries
    (:func:`monte_carlo_posterior`); ``True`` ends the Monte Carlo there."""
    N = _check_width(width)
    if coefficient is None:
        coefficient = one_over_n_coefficient(activation, X, y, X_test, ridge, sigma_w2=sigma_w2,
                                             sigma_b2=sigma_b2, n_samples=n_unit_samples, seed=seed + 1)
    c, csem = coefficient
    gp = gp_posterior_mean(activation, X, y, X_test, ridge, sigma_w2, sigma_b2)
    one, one_sem = gp + c / N, csem / N
    mc = monte_carlo_posterior(activation, X, y, X_test, N, ridge, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                               n_draws=n_draws, seed=seed + 2, progress=progress,
                               stop=None if stop is None else lambda part: stop(_comparison(N, gp, one, one_sem, part)))
    return _comparison(N, gp, one, one_sem, mc)


def _comparison(N, gp, one, one_sem, mc: MonteCarloPosterior) -> PosteriorComparison:
    return PosteriorComparison(N, gp, one, one_sem, mc.mean, mc.sem, mc.ess, mc.n_draws, mc.degenerate)

