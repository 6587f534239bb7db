"""The gap between real-data learning curves and eigenlearning, decomposed (docs/theory.md section 5a).

A pool of ``P`` rows defines the data measure; its Gram eigendecomposition ``K = phi Lambda phi^T``
(``phi^T phi = P``) gives every pool row its mode-space features ``x_k = sqrt(lambda_k) phi_k(x)`` and
the target its coefficients ``c = phi^T y / P`` (complete: ``y_i = sum_k phi_k(x_i) c_k``).  Kernel
ridge regression on training features ``U`` (rows: values of ``phi``) is then linear regression in
mode space: ``alpha = (U Lambda U^T + r)^{-1} labels``, ``f_hat_k = lambda_k (U^T alpha)_k``, and the
error under the pool measure is exactly ``sum_k (f_hat_k - c_k)^2`` (Parseval on the pool).  Every
curve below is that error for a different law of the training rows ``U``:

* ``pool_measure`` -- real rows, drawn from the pool without replacement (``heldout``: the same fits
  tested on held-out rows);
* ``gaussian_surrogate`` -- ``phi ~ N(0, I)`` (features ``N(0, Lambda)``), labels ``U c``;
* ``mixture_surrogate`` -- a group ``g`` with probability ``pi_g`` (its share of the pool), then
  ``phi ~ N(m_g, S_g)`` with the group's mean and covariance of ``phi`` on the pool;
* ``gauss_kept_real_rest`` / ``real_kept_gauss_rest`` -- the top ``kappa = n`` modes Gaussian and the
  rest the real rows' values, and the reverse;
* ``rest_noise_x`` / ``rest_noise_const`` -- the real top ``kappa = n`` modes, the rest replaced by a
  noise of variance ``s(x) = sum_{k > kappa} lambda_k phi_k(x)^2`` in the Gram diagonal (the
  input-dependent ridge of section 5) or by its pool mean; the rest is then not learned.

Groups are the data set's classes, or -- without labels -- clusters of a seeded k-means
(:func:`kmeans`) on the pool inputs.  The non-Gaussian theory (``theory_nongaussian``) is the mixture
deterministic equivalent of :mod:`symrg.numerics.mixture` on the same groups.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validate import check_int, check_ridge
from ..errors import ParameterError
from ..data.targets import target_label

__all__ = ["GapProblem", "gap_problem", "kmeans", "pool_modes", "gap_trial", "gap_curve", "nongaussian_curve",
           "choose_kappa", "KAPPA_RANGE", "nongaussian_curve_topk", "gap_claim_verdict", "gap_study", "SURROGATES", "MIN_GROUP_ROWS", "KMEANS_CLUSTERS"]

MIN_GROUP_ROWS = 20        # rows of a group (class or cluster) needed for its mean and second moment
KMEANS_CLUSTERS = 10       # clusters found without labels
KAPPA_LEARNABILITY = 0.25  # the theory keeps the modes with eigenlearning learnability >= this (section 5a) ...
KAPPA_RANGE = (50, 400)    # ... clipped to this range (and to P/2); the rest enter diagonally
SURROGATES = ("mixture_surrogate", "gauss_kept_real_rest", "real_kept_gauss_rest", "rest_noise_x", "rest_noise_const")


DEFAULT_N_TEST = 2000     # held-out rows by default (as symrg learning-curve)


@dataclass(frozen=True)
class GapProblem:
    dataset: str
    target: str
    X_pool: np.ndarray
    Y_pool: np.ndarray          # (P, m)
    groups: np.ndarray          # (P,) integer group of each pool row
    group_source: str           # "class labels" | "k-means clusters (k=...)"
    X_test: np.ndarray | None   # None when the pool is every eligible row
    Y_test: np.ndarray | None

    @property
    def pool(self) -> int:
        return int(self.X_pool.shape[0])


def kmeans(X, k: int, seed: int = 0, iters: int = 100) -> np.ndarray:
    """Seeded k-means (k-means++ start, Lloyd steps) on the rows of ``X``; returns labels ``0..k-1``."""
    X = np.asarray(X, dtype=float)
    N = X.shape[0]
    k = check_int(k, "clusters", 1, N)
    rng = np.random.default_rng(seed)
    centers = [X[rng.integers(N)]]
    d2 = np.sum((X - centers[0]) ** 2, axis=1)
    for _ in range(1, k):
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(N, 1.0 / N)
        centers.append(X[rng.choice(N, p=p)])
        d2 = np.minimum(d2, np.sum((X - centers[-1]) ** 2, axis=1))
    C = np.array(centers)
    lab = np.full(N, -1)
    sq = np.sum(X ** 2, axis=1)
    for _ in range(iters):
        D = sq[:, None] - 2 * X @ C.T + np.sum(C ** 2, axis=1)[None, :]
        new = np.argmin(D, axis=1)
        if np.array_equal(new, lab):
            break
        lab = new
        for j in range(k):
            members = lab == j
            if members.any():
                C[j] = X[members].mean(axis=0)
    return lab


def gap_problem(data, pool: int, seed: int = 0, n_test: int | None = None, target_class=None, pair=None,
                clusters: int = KMEANS_CLUSTERS) -> GapProblem:
    """Pool, groups and (when rows remain) held-out rows of ``data`` (module doc).  The pool is the
    :func:`symrg.data.select_pool` of ``symrg learning-curve``; ``pool`` may be every eligible row,
    then there is no held-out set."""
    from ..data import held_out, make_target, normalize_rows, resolve_dataset, select_pool

    ds = resolve_dataset(data)
    rows = make_target(ds, target_class, pair)[0] if pair is not None else None
    pidx = select_pool(ds, pool, seed, rows=rows)
    _, Yp = make_target(ds, target_class, pair, index=pidx)
    Yp = Yp.reshape(Yp.shape[0], -1)
    if np.all(np.ptp(Yp, axis=0) == 0):
        flag = "--target-class" if target_class is not None else "--pair" if pair is not None else "--data"
        raise ParameterError(flag, target_class if target_class is not None else pair if pair is not None else data,
                             f"a target that varies on the pool (it is constant, {Yp[0, 0]:g}, on all {pidx.size} "
                             "pool rows)", "use a larger --pool or another class")
    Xp = normalize_rows(ds.X[pidx])
    if ds.labels is not None:
        groups, source = ds.labels[pidx].astype(np.int64), "class labels"
    else:
        groups, source = kmeans(Xp, min(clusters, pidx.size), seed), f"k-means clusters (k={min(clusters, pidx.size)})"
    Xt = Yt = None
    try:
        tidx = held_out(ds, pidx, n_test, seed, rows=rows)
        tidx = tidx[:DEFAULT_N_TEST] if n_test is None else tidx
        _, Yt = make_target(ds, target_class, pair, index=tidx)
        Xt, Yt = normalize_rows(ds.X[tidx]), Yt.reshape(Yt.shape[0], -1)
    except ParameterError:
        if n_test is not None:
            raise
    return GapProblem(ds.name, target_label(target_class, pair, Yp), Xp, Yp, groups, source, Xt, Yt)


def check_groups(groups, P: int, flag: str = "--pool") -> None:
    """Every group needs ``MIN_GROUP_ROWS`` pool rows for its statistics; else a ParameterError naming ``flag``
    with the pool that would give the smallest group enough rows."""
    labels, counts = np.unique(groups, return_counts=True)
    j = int(np.argmin(counts))
    if counts[j] < MIN_GROUP_ROWS:
        need = int(math.ceil(MIN_GROUP_ROWS * P / counts[j]))
        raise ParameterError(flag, P, f"a pool in which every class/cluster has >= {MIN_GROUP_ROWS} rows for its "
                             f"mean and second moment in mode space (group {labels[j]} has {counts[j]})",
                             f"about --pool {need} would give it {MIN_GROUP_ROWS}")


def pool_modes(K: np.ndarray, Y: np.ndarray):
    """``(lam, phi, coef)``: eigenvalues (descending, clipped at 0), ``phi`` (P, P) with
    ``phi^T phi = P``, and the target coefficients ``coef = phi^T Y / P`` (P, m)."""
    from ..spectra.empirical import EmpiricalSpectrum

    spec = EmpiricalSpectrum.from_gram(K, check=False)
    lam = np.clip(spec.eigenvalues, 0.0, None)
    phi = np.asarray(spec.phi)
    return lam, phi, phi.T @ Y / K.shape[0]


def _solve(G, y, r):
    G = G.copy()
    G[np.diag_indices_from(G)] += r
    return scipy.linalg.cho_solve(scipy.linalg.cho_factor(G, lower=True, check_finite=False), y, check_finite=False)


def gap_trial(K, Kt, Y, Yt, lam, phi, coef, groups, ridge, ns, seed_seq) -> dict:
    """One trial of every curve of the module doc: ``{name: [error per n]}`` (errors averaged over outputs).

    Real rows: the first ``n`` of one permutation of the pool (nested).  Surrogate rows are drawn
    afresh from their law (nested too); the Gaussian draws are shared by the surrogates that use them."""
    rng = np.random.default_rng(seed_seq)
    P = K.shape[0]
    m = Y.shape[1]
    n_max = max(ns)
    S = rng.permutation(P)[:n_max]
    out = {k: [] for k in ("pool_measure", "heldout", "gaussian_surrogate") + SURROGATES}

    def modes_err(fhat, sel=slice(None)):
        return float(np.sum((fhat - coef[sel]) ** 2)) / m

    # real rows
    A = K[np.ix_(S, S)].copy()
    A[np.diag_indices_from(A)] += ridge
    L = scipy.linalg.cholesky(A, lower=True, check_finite=False)
    KS = K[:, S]
    alphas = {}
    for n in ns:
        a = scipy.linalg.cho_solve((L[:n, :n], True), Y[S[:n]], check_finite=False)
        alphas[n] = a
        out["pool_measure"].append(float(np.mean((KS[:, :n] @ a - Y) ** 2)))
        out["heldout"].append(float(np.mean((Kt[:, S[:n]] @ a - Yt) ** 2)) if Kt is not None else float("nan"))
    # Gaussian surrogate
    Ug = rng.standard_normal((n_max, P))
    Gg = (Ug * lam) @ Ug.T
    for n in ns:
        a = _solve(Gg[:n, :n], Ug[:n] @ coef, ridge)
        out["gaussian_surrogate"].append(modes_err(lam[:, None] * (Ug[:n].T @ a)))
    del Gg
    # class mixture surrogate
    labels, inv = np.unique(groups, return_inverse=True)
    pi = np.bincount(inv) / P
    draw = rng.choice(labels.size, size=n_max, p=pi)
    Um = np.empty((n_max, P))
    for g in range(labels.size):
        rows = np.flatnonzero(inv == g)
        who = np.flatnonzero(draw == g)
        if who.size == 0:
            continue
        mean = phi[rows].mean(axis=0)
        Um[who] = mean + rng.standard_normal((who.size, rows.size)) @ ((phi[rows] - mean) / math.sqrt(rows.size))
    Gm = (Um * lam) @ Um.T
    for n in ns:
        a = _solve(Gm[:n, :n], Um[:n] @ coef, ridge)
        out["mixture_surrogate"].append(modes_err(lam[:, None] * (Um[:n].T @ a)))
    del Gm, Um
    # splits at kappa = n
    kdiag = np.diag(K)
    for n in ns:
        kap = min(n, P - 1)
        lk, lr = lam[:kap], lam[kap:]
        ph_S = phi[S[:n], :kap]
        Kreal_kept = (ph_S * lk) @ ph_S.T
        y_kept_S = ph_S @ coef[:kap]
        # Gaussian kept, real rest
        Uk = Ug[:n, :kap]
        Gram = (Uk * lk) @ Uk.T + (K[np.ix_(S[:n], S[:n])] - Kreal_kept)
        a = _solve(Gram, Uk @ coef[:kap] + (Y[S[:n]] - y_kept_S), ridge)
        e_kept = modes_err(lk[:, None] * (Uk.T @ a), slice(0, kap))
        g_rest = KS[:, :n] @ a - phi[:, :kap] @ (lk[:, None] * (ph_S.T @ a))
        y_rest = Y - phi[:, :kap] @ coef[:kap]
        out["gauss_kept_real_rest"].append(e_kept + float(np.mean((g_rest - y_rest) ** 2)))
        # real kept, Gaussian rest
        Ur = Ug[:n, kap:]
        a = _solve(Kreal_kept + (Ur * lr) @ Ur.T, y_kept_S + Ur @ coef[kap:], ridge)
        out["real_kept_gauss_rest"].append(modes_err(lk[:, None] * (ph_S.T @ a), slice(0, kap))
                                           + modes_err(lr[:, None] * (Ur.T @ a), slice(kap, None)))
        # rest as noise (input-dependent / constant)
        s = np.maximum(kdiag - (phi[:, :kap] ** 2) @ lk, 0.0)
        unlearned = float(np.sum(coef[kap:] ** 2)) / m
        for key, diag in (("rest_noise_x", s[S[:n]]), ("rest_noise_const", np.full(n, s.mean()))):
            Gram = Kreal_kept.copy()
            Gram[np.diag_indices_from(Gram)] += diag
            a = _solve(Gram, Y[S[:n]], ridge)
            out[key].append(modes_err(lk[:, None] * (ph_S.T @ a), slice(0, kap)) + unlearned)
    return out


def choose_kappa(lam, ridge: float, n: float, P: int, tail: float = 0.0) -> int:
    """Kept modes of the non-Gaussian theory: those with eigenlearning learnability ``L_k >=
    KAPPA_LEARNABILITY`` at this ``n``, clipped to ``KAPPA_RANGE`` and to ``P/2`` -- the modes whose
    within-group correlations the theory keeps in full (docs/theory.md section 5a); the prediction
    is checked at twice this number (:func:`nongaussian_curve`)."""
    from ..numerics.flows import Shells
    from ..numerics.predictions import eigenlearning_ridge

    kap_eff = eigenlearning_ridge(Shells.from_modes(lam, tail), ridge, n)
    L = lam / (lam + kap_eff)
    k = int(np.count_nonzero(L >= KAPPA_LEARNABILITY))
    return int(min(max(k, KAPPA_RANGE[0]), KAPPA_RANGE[1], P // 2, len(lam) // 2))


def nongaussian_curve(lam, phi, coef, groups, ridge: float, ns, kappa: int | None = None, check_kappa: bool = True,
                      *, row_tail=None, target_tail=None):
    """The mixture deterministic equivalent per ``n`` (docs/theory.md section 5a): rows with
    ``theory_nongaussian``, ``kappa_theory`` and, with ``check_kappa``, ``theory_nongaussian_2kappa``
    (the same at twice the kept modes, at most P - 1 and the listed modes) and their relative difference.
    ``row_tail``, ``target_tail``: the unlisted power per row and the target's, when ``lam`` lists only
    the top modes of the pool (:func:`nongaussian_curve_topk`)."""
    from ..numerics.mixture import mixture_modes, mixture_prediction

    P, p = phi.shape
    tail = 0.0 if row_tail is None else float(np.mean(row_tail))
    rows = []
    cache = {}
    for n in ns:
        kap = choose_kappa(lam, ridge, n, P, tail) if kappa is None else int(kappa)
        row = {"n": int(n), "kappa_theory": kap}
        for key, k in (("theory_nongaussian", kap),) + ((("theory_nongaussian_2kappa", min(2 * kap, P - 1, p)),)
                                                        if check_kappa else ()):
            if k not in cache:
                cache[k] = mixture_modes(lam, phi, coef, groups, k, row_tail=row_tail, target_tail=target_tail)
            pr = mixture_prediction(cache[k], ridge, n)
            row[key] = pr.test_error
        if check_kappa:
            row["kappa_sensitivity"] = abs(row["theory_nongaussian_2kappa"] / row["theory_nongaussian"] - 1)
        rows.append(row)
    return rows


def nongaussian_curve_topk(spec, Y, groups, diag, ridge: float, ns, kappa: int | None = None) -> list[dict]:
    """:func:`nongaussian_curve` on the top-kappa route (docs/theory.md sections 4b and 5a): ``spec`` a
    :class:`~symrg.spectra.topk.TopKSpectrum` of the pool, ``Y`` (P,) or (P, m) the pool target, ``groups``
    (P,) the group of each row, ``diag`` (P,) the kernel's diagonal ``K(x_i, x_i)``.  The unlisted modes
    enter through each group's unlisted power (``K(x, x)`` minus the listed part, per row) and the
    target's unlisted power (Parseval on the pool).  Each row also carries ``tail_power`` (the pool's
    unlisted power, = the spectrum's ``tail_power`` up to rounding)."""
    from ..numerics.mixture import row_tail_power

    P = spec.n_points
    check_groups(groups, P)
    diag = np.asarray(diag, dtype=float)
    if diag.shape != (P,) or not np.all(np.isfinite(diag)):
        raise ParameterError("diag", f"shape {diag.shape}", f"({P},) finite kernel diagonal")
    tpw = spec.target_power(Y)
    coef = np.asarray(tpw.coefficients, dtype=float).reshape(spec.kappa, -1)
    lam = np.clip(spec.eigenvalues, 0.0, None)
    rt = row_tail_power(diag, lam, spec.phi)
    rows = nongaussian_curve(lam, spec.phi, coef, groups, ridge, ns, kappa, row_tail=rt,
                             target_tail=np.atleast_1d(tpw.tail))
    for row in rows:
        row["tail_power"] = float(np.mean(rt))
    return rows


def _mean_sem(v):
    v = np.asarray(v, dtype=float)
    if v.size < 2 or not np.all(np.isfinite(v)):
        return float(np.mean(v)), float("nan")
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


def gap_curve(prob: GapProblem, kernel, ridge: float, ns, trials: int, seed: int, executor=None, progress=None,
              kappa: int | None = None, theory: bool = True, rowwise: bool = False) -> dict:
    """Every curve of the module doc on one pool, with eigenlearning and the non-Gaussian theory;
    ``rowwise``: also the row-wise deterministic equivalent (:func:`symrg.numerics.mixture.rowwise_prediction`,
    minutes per n at P = 2000)."""
    from .._parallel import Executor
    from ..numerics.flows import Shells
    from ..numerics.predictions import eigenlearning_prediction
    from ..numerics.simulate import trial_seeds

    ridge = check_ridge(ridge)
    if ridge <= 0:
        raise ParameterError("--ridge", ridge, "a positive ridge")
    trials = check_int(trials, "--trials", 2, 100_000)
    P = prob.pool
    ns = [check_int(n, "--ns", 1, None) for n in ns]
    if max(ns) >= P:
        raise ParameterError("--pool", P, f"a pool larger than the largest n = {max(ns)} (training sets are drawn "
                             "from the pool); use --pool > max(--ns)")
    check_groups(prob.groups, P)
    K = kernel.gram(prob.X_pool)
    Kt = kernel.gram(prob.X_test, prob.X_pool) if prob.X_test is not None else None
    lam, phi, coef = pool_modes(K, prob.Y_pool)
    ex = executor or Executor(progress=progress)
    per = ex.map(gap_trial, trial_seeds(seed, trials), K, Kt, prob.Y_pool, prob.Y_test, lam, phi, coef,
                 prob.groups, ridge, ns)
    sh = Shells.from_modes(lam)
    tp = np.mean(coef ** 2, axis=1)
    th = {r["n"]: r for r in nongaussian_curve(lam, phi, coef, prob.groups, ridge, ns, kappa)} if theory else {}
    rows = []
    for j, n in enumerate(ns):
        row = {"n": int(n), "eigenlearning": eigenlearning_prediction(sh, ridge, n, tp, noise=0.0).test_error}
        for key in ("gaussian_surrogate", "pool_measure", "heldout") + SURROGATES:
            mu, se = _mean_sem([t[key][j] for t in per])
            if key == "heldout" and Kt is None:
                mu = se = None
            row[key], row[f"{key}_sem"] = mu, se
        if theory:
            row.update({k: v for k, v in th[n].items() if k != "n"})
        if rowwise:
            from ..numerics.mixture import rowwise_prediction
            row["theory_rowwise"] = rowwise_prediction(lam, phi, coef, ridge, n)
        rows.append(row)
    return {"dataset": prob.dataset, "target": prob.target, "pool": P, "groups": prob.group_source,
            "n_groups": int(np.unique(prob.groups).size), "ridge": ridge, "trials": trials, "seed": seed,
            "kernel": kernel.describe(), "n_test": 0 if prob.X_test is None else int(prob.X_test.shape[0]),
            "rows": rows}


# ---------------------------------------------------------------------------------------------
# The claim of docs/theory.md section 5a (the rule written before measuring)
# ---------------------------------------------------------------------------------------------
from .report.claims import gap_claim_verdict  # noqa: E402  (the rule lives with the report's claims)


def gap_records(results: dict, measure: str = "pool_measure") -> list[dict]:
    """Records for :func:`gap_claim_verdict` from ``{key: gap_curve result}``."""
    out = []
    for key, res in results.items():
        for r in res["rows"]:
            if r.get(measure) is None:
                continue
            out.append({"target": key, "n": r["n"], "real": r[measure], "real_sem": r[f"{measure}_sem"],
                        "eigenlearning": r["eigenlearning"], "theory": r["theory_nongaussian"]})
    return out


GAP_TASKS = (("digits", dict(target_class=0)), ("mnist", dict(target_class=7)), ("fashion", dict(target_class=9)),
             ("fashion", dict(target_class=0)), ("fashion", dict(pair="3,5")))


def gap_study(quick: bool = False, progress=None, pool: int | None = None, trials: int | None = None,
              tasks=GAP_TASKS, seed: int = 1) -> dict:
    """The validation of docs/theory.md section 5a: every task of ``tasks`` on a pool (digits: 1400,
    else ``pool``, default 3000; quick: 800), depth-1 ReLU NNGP, ridge 1e-3, ``n`` from 25 to ``P/5``;
    returns ``{"results": {key: gap_curve}, "verdict_pool": ..., "verdict_heldout": ...}``."""
    from ..spectra.kernels import NNGPKernel

    pool = pool or (800 if quick else 3000)
    trials = trials or (4 if quick else 16)
    results = {}
    for j, (ds, task) in enumerate(tasks):
        P = min(pool, 1400) if ds == "digits" else pool
        if "pair" in task:   # at most 70% of the rows of the pair, so that held-out rows remain
            from ..data import make_target, resolve_dataset
            P = min(P, int(0.7 * make_target(resolve_dataset(ds), **task)[0].size))
        ns = [int(x) for x in np.unique(np.round(np.geomspace(25, P // 5, 4 if quick else 6)))]
        prob = gap_problem(ds, P, 0, None, **task)
        res = gap_curve(prob, NNGPKernel("relu", 1), 1e-3, ns, trials, seed)
        results[f"{prob.dataset}/{prob.target}"] = res
        if progress:
            progress(j + 1, len(tasks))
    return {"results": results, "verdict_pool": gap_claim_verdict(gap_records(results, "pool_measure")),
            "verdict_heldout": gap_claim_verdict(gap_records(results, "heldout"))}


def gap_table(study: dict) -> list[dict]:
    """The per-target table of the closing note: per target and n, real/eigenlearning and
    real/theory_nongaussian under the pool measure and held-out, with the relative s.e. of real."""
    out = []
    for key, res in study["results"].items():
        for r in res["rows"]:
            el, th = r["eigenlearning"], r["theory_nongaussian"]
            row = {"target": key, "pool": res["pool"], "n": r["n"], "groups": res["groups"],
                   "pool_over_eigenlearning": r["pool_measure"] / el, "pool_over_theory": r["pool_measure"] / th,
                   "pool_rel_sem": r["pool_measure_sem"] / r["pool_measure"],
                   "mixture_surrogate_over_eigenlearning": r["mixture_surrogate"] / el,
                   "gaussian_surrogate_over_eigenlearning": r["gaussian_surrogate"] / el,
                   "theory_over_eigenlearning": th / el, "kappa_theory": r["kappa_theory"],
                   "kappa_sensitivity": r.get("kappa_sensitivity")}
            if r.get("heldout") is not None:
                row.update({"heldout_over_eigenlearning": r["heldout"] / el, "heldout_over_theory": r["heldout"] / th,
                            "heldout_rel_sem": r["heldout_sem"] / r["heldout"]})
            out.append(row)
    return out


LEVERAGE_ORDERS = (0, 1, 2)   # truncations of the perturbative route (docs/theory.md section 5a)


def leverage_rows(prob: GapProblem, kernel, ridge: float, ns, real_rows=None, progress=None) -> list[dict]:
    """The row-wise equivalent in kept modes and its expansion in the leverage fluctuation, per ``n``
    (docs/theory.md section 5a, "The perturbative route"): ``rowwise_kept`` (all orders), ``order_k`` for
    ``k`` in :data:`LEVERAGE_ORDERS` (None where the truncated series gives negative row weights, with
    the reason), the expansion parameter ``u_rms`` / ``u_max`` at the solution, and with ``real_rows``
    (rows of a :func:`gap_curve` result on the same pool) the measured real error and eigenlearning."""
    from ..errors import ConvergenceError
    from ..numerics.mixture import leverage_prediction

    lam, phi, coef = pool_modes(kernel.gram(prob.X_pool), prob.Y_pool)
    real = {r["n"]: r for r in (real_rows or [])}
    out = []
    for i, n in enumerate(ns):
        kap = choose_kappa(lam, ridge, n, prob.pool)
        info: dict = {}
        row = {"n": int(n), "kappa": kap, "rowwise_kept": leverage_prediction(lam, phi, coef, ridge, n, kap, info=info),
               "u_rms": info["u_rms"], "u_max": info["u_max"]}
        for k in LEVERAGE_ORDERS:
            try:
                row[f"order_{k}"] = leverage_prediction(lam, phi, coef, ridge, n, kap, order=k)
            except ConvergenceError as exc:
                row[f"order_{k}"], row[f"order_{k}_why"] = None, str(exc)
        if n in real:
            row.update({k: real[n][k] for k in ("eigenlearning", "pool_measure", "pool_measure_sem",
                                                "theory_nongaussian") if k in real[n]})
        out.append(row)
        if progress:
            progress(i + 1, len(ns))
    return out


def leverage_study(gap_json, targets=None, progress=None) -> dict:
    """:func:`leverage_rows` on the pools of a saved gap study (same data, pool size and seed, hence the
    same pools), for its Fashion-MNIST targets by default."""
    from ..spectra.kernels import NNGPKernel

    setting, results = gap_json["setting"], gap_json["results"]
    tasks = {f"{d}/{_task_target(t)}": (d, t) for d, t in setting["tasks"]}
    keys = targets or [k for k in results if k.startswith("fashion")]
    out = {}
    for key in keys:
        d, t = tasks[key]
        res = results[key]
        prob = gap_problem(d, res["pool"], res["seed"], None, target_class=t.get("target_class"), pair=t.get("pair"))
        out[key] = leverage_rows(prob, NNGPKernel("relu", 1), res["ridge"], [r["n"] for r in res["rows"]],
                                 res["rows"], progress)
    return out


def _task_target(t: dict) -> str:
    if t.get("pair"):
        a, b = str(t["pair"]).split(",")
        return f"{a}-vs-{b}"
    return f"{t['target_class']}-vs-rest"


def main(argv=None) -> int:  # pragma: no cover - the generator of reports/gap/gap_table.json
    """``python -m symrg.studies.gap OUT.json [--pool P] [--trials T] [--quick]``: run :func:`gap_study`
    and write the per-target table, the verdicts and the curves with a provenance record."""
    import argparse
    import json

    from .._io import register_in_report, write_json

    p = argparse.ArgumentParser(prog="python -m symrg.studies.gap")
    p.add_argument("out")
    p.add_argument("--pool", type=int, default=3000)
    p.add_argument("--trials", type=int, default=16)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--leverage-from", default=None, metavar="GAP_JSON",
                   help="instead: the row-wise equivalent and its leverage expansion on the pools of this saved gap "
                        "study (its Fashion-MNIST targets), written to OUT")
    a = p.parse_args(argv)
    if a.leverage_from:
        src = json.loads(open(a.leverage_from).read())
        lev = leverage_study(src, progress=lambda i, t: print(f"leverage: {i}/{t}", flush=True))
        write_json(a.out, {"results": lev, "gap_study": a.leverage_from, "orders": list(LEVERAGE_ORDERS)},
                   "python -m symrg.studies.gap " + " ".join(argv or []))
        register_in_report(a.out)
        return 0

    def prog(i, t):
        print(f"gap study: {i}/{t}", flush=True)

    study = gap_study(quick=a.quick, progress=prog, pool=a.pool, trials=a.trials)
    doc = {"table": gap_table(study), "verdict_pool": study["verdict_pool"],
           "verdict_heldout": study["verdict_heldout"], "results": study["results"],
           "setting": {"pool": a.pool, "trials": a.trials, "kernel": "relu depth 1", "ridge": 1e-3, "seed": 1,
                       "tasks": [[d, t] for d, t in GAP_TASKS]}}
    write_json(a.out, doc, "python -m symrg.studies.gap " + " ".join(argv or []))
    register_in_report(a.out)
    print(json.dumps({"verdict_pool": study["verdict_pool"]["verdict"],
                      "verdict_heldout": study["verdict_heldout"]["verdict"]}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.exit(main(sys.argv[1:]))
