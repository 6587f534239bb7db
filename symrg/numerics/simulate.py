"""Learning curves on the sphere: simulation with exact GP regression against theory.

Target (the ``--target l1:p1,l2:p2`` contract of ``symrg learning-curve``): a sum over the
given degrees of a random unit-norm element of the degree-``l`` spherical-harmonic space,
scaled to power ``p_l``, so that ``E_x y(x)^2 = sum_l p_l``.  A random harmonic of degree ``l``
is built from zonal functions, ``h(x) = sum_i c_i P_l(x.z_i)`` with random directions ``z_i`` and
Gaussian ``c_i``; its exact norm follows from the addition theorem
``E_x[P_l(x.z) P_l(x.z')] = P_l(z.z') / N(d, l)``.

The simulation draws ``n`` inputs uniformly on S^{d-1}, labels ``y = f(x) + eps`` with noise
variance equal to the ridge (the matched Bayesian setting of the theory), fits the exact GP
posterior mean and measures the test MSE against the clean target on fresh inputs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_ridge
from ..errors import ParameterError
from ..data import sample_sphere  # noqa: F401  (re-exported)
from .gp import ridge_solve
from ..spectra.funk_hecke import log_multiplicity, sphere_spectrum


def gegenbauer(l: int, d: int, t) -> np.ndarray:
    """``P_l^{(d)}(t)`` normalised to 1 at t = 1 (three-term recurrence, vectorised)."""
    t = np.asarray(t, dtype=float)
    p0, p1 = np.ones_like(t), t.copy()
    if l == 0:
        return p0
    for k in range(1, l):
        p0, p1 = p1, ((2 * k + d - 2) * t * p1 - k * p0) / (k + d - 2)
    return p1


def parse_target(text: str) -> dict[int, float]:
    """Parse ``"l1:p1,l2:p2"`` into ``{l: p}`` (degrees >= 0, powers >= 0)."""
    out: dict[int, float] = {}
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        try:
            l_s, p_s = item.split(":")
            l, p = int(l_s), float(p_s)
        except ValueError:
            raise ParameterError("target", item, "entries 'degree:power', e.g. '1:0.5,2:0.25'") from None
        if l < 0:
            raise ParameterError("target degree", l, "a degree l >= 0")
        if not (p >= 0 and math.isfinite(p)):
            raise ParameterError("target power", p, "a finite power >= 0")
        out[l] = out.get(l, 0.0) + p
    if not out:
        raise ParameterError("target", text, "at least one 'degree:power' entry")
    return out


@dataclass(frozen=True)
class HarmonicTarget:
    """A random target with prescribed power per degree (see module doc)."""

    dim: int
    components: tuple  # (degree, directions (m, d), coefficients (m,))

    @classmethod
    def random(cls, dim: int, powers: dict[int, float], rng, n_directions: int = 32) -> "HarmonicTarget":
        comps = []
        for l, p in sorted(powers.items()):
            if p == 0:
                continue
            m = int(min(n_directions, max(1, round(math.exp(log_multiplicity(dim, l)[0]))))) if l > 0 else 1
            Z = sample_sphere(m, dim, rng)
            c = rng.standard_normal(m)
            G = gegenbauer(l, dim, np.clip(Z @ Z.T, -1, 1))
            norm2 = float(c @ G @ c) / math.exp(log_multiplicity(dim, l)[0])
            comps.append((l, Z, c * math.sqrt(p / norm2)))
        return cls(dim, tuple(comps))

    def __call__(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        y = np.zeros(X.shape[0])
        for l, Z, c in self.components:
            y += gegenbauer(l, self.dim, np.clip(X @ Z.T, -1, 1)) @ c
        return y


def sphere_trial(kernel, dim: int, ridge: float, ns, target: dict[int, float], n_test: int, seed_seq) -> list:
    """One trial on the sphere: a random target, ``n_test`` test inputs and, for each ``n``, ``n``
    training inputs with label noise of variance ``ridge``; returns the test MSE per ``n`` (against
    the clean target).  Pure: everything random comes from ``seed_seq``."""
    rng = np.random.default_rng(seed_seq)
    f = HarmonicTarget.random(dim, target, rng)
    Xt = sample_sphere(n_test, dim, rng)
    yt = f(Xt)
    out = []
    for n in ns:
        X = sample_sphere(n, dim, rng)
        y = f(X) + math.sqrt(ridge) * rng.standard_normal(n)
        alpha = ridge_solve(kernel.gram(X), y, ridge + 1e-12 * kernel.k1)
        out.append(float(np.mean((kernel.gram(Xt, X) @ alpha - yt) ** 2)))
    return out


def sphere_prior_trial(kernel, dim: int, ridge: float, ns, n_test: int, seed_seq) -> list:
    """One trial with a target drawn from the kernel's own GP prior (the matched target: the power of the
    target in mode ``k`` is ``lambda_k``, ``beta = alpha``, docs/theory.md section 4c): ``max(ns)`` nested
    training inputs and ``n_test`` test inputs on ``S^{dim-1}``, ``y ~ N(0, K + 1e-9 k(1) I)`` jointly (the
    jitter adds white power 1e-9 k(1), far below the ridge), labels with noise of variance ``ridge``; returns
    the test MSE against the clean target for each ``n`` (the first ``n`` training inputs).  Pure: everything
    random comes from ``seed_seq``."""
    import scipy.linalg

    rng = np.random.default_rng(seed_seq)
    m = max(ns)
    Z = sample_sphere(m + n_test, dim, rng)
    K = kernel.gram(Z)
    K[np.diag_indices_from(K)] += 1e-9 * kernel.k1
    f = scipy.linalg.cholesky(K, lower=True, check_finite=False) @ rng.standard_normal(m + n_test)
    y = f[:m] + math.sqrt(ridge) * rng.standard_normal(m)
    out = []
    for n in ns:
        alpha = ridge_solve(K[:n, :n], y[:n], ridge)
        out.append(float(np.mean((K[m:, :n] @ alpha - f[m:]) ** 2)))
    return out


def simulate_learning_curve(kernel, dim: int, ridge: float, ns, target: dict[int, float], trials: int = 10,
                            seed: int = 0, n_test: int = 2000, progress=None, executor=None) -> list[dict]:
    """Test MSE of exact GP regression on the sphere, mean and standard error over trials.

    Trials are independent tasks (:func:`sphere_trial`, one ``SeedSequence`` child each), run by
    ``executor`` (:func:`symrg._parallel.executor`; serial by default): the same seed gives the
    same numbers serially or on a cluster."""
    from .._parallel import Executor

    dim = check_int(dim, "dim", 2, None)
    s2 = check_ridge(ridge)
    n_test = check_int(n_test, "n_test", 1, None)
    ns = [check_int(n, "n", 1, None) for n in ns]
    ex = executor or Executor(progress=progress)
    per = np.array(ex.map(sphere_trial, trial_seeds(seed, trials), kernel, dim, s2, ns, target, n_test))
    out = []
    for j, n in enumerate(ns):
        v = per[:, j]
        sem = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else float("nan")
        out.append({"n": n, "simulation_mse": float(v.mean()), "simulation_sem": sem})
    return out


def sphere_shells(kernel, dim: int, target: dict[int, float], lmax: int | None = None):
    """Funk-Hecke shells (power above ``lmax`` as the tail) and the target power per shell."""
    from .flows import Shells

    lmax = lmax if lmax is not None else max(64, max(target) + 8)
    spec = sphere_spectrum(kernel, dim, lmax)
    lam = spec.eigenvalues
    keep = lam > 1e-300
    tp_all = np.array([target.get(int(l), 0.0) for l in spec.degrees])
    if np.any(tp_all[~keep] > 0):
        bad = [int(l) for l in spec.degrees[~keep & (tp_all > 0)]]
        raise ParameterError("target", bad, "degrees whose kernel eigenvalue is non-zero (the kernel cannot learn them)")
    sh = Shells(lam[keep], spec.multiplicities[keep], max(spec.sum_rule_residual(), 0.0))
    return sh, tp_all[keep][np.argsort(-lam[keep], kind="stable")]


def theory_learning_curve(kernel, dim: int, ridge: float, ns, target: dict[int, float], lmax: int | None = None,
                          **stop_kw) -> list[dict]:
    """The three RG predictions and eigenlearning from the Funk-Hecke spectrum (shells + tail);
    keys of :func:`symrg.numerics.predictions.theory_row`."""
    from .predictions import predict_all, theory_row

    sh, tp = sphere_shells(kernel, dim, target, lmax)
    return [{"n": int(n), **theory_row(predict_all(sh, ridge, n, tp, **stop_kw))} for n in ns]


def learned_fractions(kernel, dim: int, ridge: float, n: int, target: dict[int, float], trials: int = 10,
                      seed: int = 0, n_test: int = 4000) -> dict[int, tuple[float, float]]:
    """Measured learned fraction of each target degree, ``E_x[fhat(x) f_l(x)] / p_l`` (mean, sem).

    Components of different degree are orthogonal, so this is the projection of the GP posterior
    mean on the target's degree-``l`` component; the equivalent-kernel theory predicts ``L_l``.
    """
    s2 = check_ridge(ridge)
    trials = check_int(trials, "trials", 2, None)
    n_test = check_int(n_test, "n_test", 1, None)
    if any(p <= 0 for p in target.values()):
        raise ParameterError("target", target, "positive powers (a learned fraction is relative to the power)")
    rng = np.random.default_rng(seed)
    acc = {l: [] for l in target}
    for _ in range(trials):
        comps = {l: HarmonicTarget.random(dim, {l: p}, rng) for l, p in target.items()}
        X = sample_sphere(n, dim, rng)
        Xt = sample_sphere(n_test, dim, rng)
        y = sum(f(X) for f in comps.values()) + math.sqrt(s2) * rng.standard_normal(n)
        pred = kernel.gram(Xt, X) @ ridge_solve(kernel.gram(X), y, s2 + 1e-12 * kernel.k1)
        for l, f in comps.items():
            acc[l].append(float(np.mean(pred * f(Xt))) / target[l])
    return {l: (float(np.mean(v)), float(np.std(v, ddof=1) / math.sqrt(len(v)))) for l, v in acc.items()}


def powerlaw_feature_simulation(alpha: float, ridge: float, ns, n_features: int = 4000, trials: int = 8,
                                seed: int = 0) -> list[dict]:
    """Linear regression with Gaussian features of power-law variance ``lambda_k = k^-(1+alpha)``.

    Inputs ``x_k ~ N(0, lambda_k)`` (Gaussian features), target ``y = sum_k w_k x_k`` with
    ``w_k ~ N(0, 1)`` (matched: ``E y_k^2 = lambda_k``), label noise of variance ``ridge``.  The
    GP posterior mean with the linear kernel has weights ``w_hat``; its exact test error is
    ``sum_k lambda_k (w_hat_k - w_k)^2`` (no test sampling).  Returns mean and sem per n.
    """
    s2 = check_ridge(ridge, allow_zero=False)
    k = np.arange(1, n_features + 1, dtype=float)
    lam = k ** (-(1 + alpha))
    rng = np.random.default_rng(seed)
    out = {int(n): [] for n in ns}
    for _ in range(trials):
        w = rng.standard_normal(n_features)
        for n in out:
            X = rng.standard_normal((n, n_features)) * np.sqrt(lam)
            y = X @ w + math.sqrt(s2) * rng.standard_normal(n)
            w_hat = X.T @ ridge_solve(X @ X.T, y, s2)
            out[n].append(float(np.sum(lam * (w_hat - w) ** 2)))
    return [{"n": n, "mse": float(np.mean(v)), "sem": float(np.std(v, ddof=1) / math.sqrt(len(v)))}
            for n, v in out.items()]


# ---------------------------------------------------------------------------------------------
# Learning curves on a pool of data (docs/theory.md section 4c)
# ---------------------------------------------------------------------------------------------
def trial_seeds(seed: int, trials: int) -> list:
    """One independent ``numpy.random.SeedSequence`` per trial: the same seed gives the same
    numbers whether trials run one after the other or in parallel."""
    seed = check_int(seed, "seed", 0)
    trials = check_int(trials, "trials", 1, 100_000)
    return np.random.SeedSequence(seed).spawn(trials)


POOL_EVAL_ROWS = 5000   # pool rows on which pool_mse is measured (all of them when the pool is smaller)
ROW_BLOCK = 4096        # rows of a cross-kernel block formed at once


def pool_trial(X_pool: np.ndarray, X_test: np.ndarray, Y_pool: np.ndarray, Y_test: np.ndarray, kernel,
               ridge: float, ns, seed_seq) -> tuple[list, list]:
    """One trial of a pool learning curve: nested training sets (the first ``n`` rows of one seeded
    permutation of the pool) fitted by the exact GP posterior mean ``K(x, X)(K + sigma^2 I)^{-1} y``.

    Returns ``(held_out_mse, pool_mse)`` per ``n``: the mean squared error on the held-out rows and
    over the data measure of the pool (the measure the theories use; it includes the training rows;
    on pools larger than ``POOL_EVAL_ROWS`` it is estimated on that many seeded pool rows).  Errors
    are averaged over targets (columns).

    One Cholesky factor of the largest training Gram serves every ``n``: the leading ``n x n`` block
    of ``L`` is the factor of the leading block of ``K + sigma^2 I``.  Only the kernel blocks the
    trial needs are formed (``n_max`` columns, ``ROW_BLOCK`` rows at a time, the training Gram too
    when ``n_max > ROW_BLOCK``), so a worker needs the inputs, not the pool's Gram matrix; memory is
    ``n_max^2`` plus one block (n = 20000: 3.2 GB).
    """
    import scipy.linalg

    from ..errors import KernelError

    P = X_pool.shape[0]
    rng = np.random.default_rng(seed_seq)
    perm = rng.permutation(P)
    n_max = max(ns)
    tr = perm[:n_max]
    if n_max <= ROW_BLOCK:
        A = kernel.gram(X_pool[tr])
    else:   # large n: the training Gram filled by row blocks, so the kernel's temporaries stay one block
        Xtr = X_pool[tr]
        A = np.empty((n_max, n_max))
        for start in range(0, n_max, ROW_BLOCK):
            A[start:start + ROW_BLOCK] = kernel.gram(Xtr[start:start + ROW_BLOCK], Xtr)
        # (cho_factor(lower=True) reads the lower triangle only)
    A[np.diag_indices_from(A)] += ridge
    try:
        L, lower = scipy.linalg.cho_factor(A, lower=True, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError as err:
        raise KernelError(f"Cholesky factorisation of K(X, X) + sigma^2 I of {n_max} training rows failed ({err}); "
                          "increase the ridge (noise variance sigma^2), or check the kernel matrix") from err
    alphas = [scipy.linalg.cho_solve((L[:n, :n], lower), Y_pool[tr[:n]], check_finite=False) for n in ns]
    del A

    def mse(X_eval, Y_eval):
        if X_eval.shape[0] == 0:   # no held-out rows (the pool is the whole file): not measured
            return [float("nan")] * len(ns)
        sq = np.zeros(len(ns))
        for start in range(0, X_eval.shape[0], ROW_BLOCK):
            Kb = kernel.gram(X_eval[start:start + ROW_BLOCK], X_pool[tr])
            Yb = Y_eval[start:start + ROW_BLOCK]
            for j, (n, alpha) in enumerate(zip(ns, alphas)):
                sq[j] += float(np.sum((Kb[:, :n] @ alpha - Yb) ** 2))
        return [float(v) / Y_eval.size for v in sq]

    ev = perm if P <= POOL_EVAL_ROWS else rng.permutation(P)[:POOL_EVAL_ROWS]
    return mse(X_test, Y_test), mse(X_pool[ev], Y_pool[ev])


def summarise_trials(ns, per_trial: list) -> list[dict]:
    """Mean and standard error over trials of :func:`pool_trial` results, one row per ``n``."""
    held = np.array([h for h, _ in per_trial])
    pool = np.array([p for _, p in per_trial])
    T = held.shape[0]
    rows = []
    for j, n in enumerate(ns):
        sem = float(held[:, j].std(ddof=1) / math.sqrt(T)) if T > 1 and np.all(np.isfinite(held[:, j])) else float("nan")
        rows.append({"n": int(n), "simulation_mse": float(held[:, j].mean()), "simulation_sem": sem,
                     "pool_mse": float(pool[:, j].mean())})
    return rows
