"""Predictions from (top kappa modes, tail power) against the full spectrum (docs/theory.md section 4b).

The reference is the full eigendecomposition of the pool kernel (``pool_spectrum``: every one of the
P modes, dense ``eigh``); the route under test lists only the top kappa modes from
``topk_spectrum`` and knows the rest through the trace and Parseval.  The stated bound
(``tail_error_bound``) must hold for every theory and must not be vacuous: where the tail changes a
prediction by more than rounding, the bound is within 10x of the change.
"""
import numpy as np
import pytest

from symrg.numerics.flows import ir_stop, renormalized_ridge_at
from symrg.numerics.predictions import THEORIES, predict_all, tail_error_bound
from symrg.spectra import NNGPKernel
from symrg.studies.realdata import pool_problem, pool_spectrum, pool_spectrum_topk

P = 2000
KERNEL = NNGPKernel("relu", 1)


@pytest.fixture(scope="module")
def spectra():
    prob = pool_problem("mnist", P, 0, 10, target_class=0)
    full = pool_spectrum(KERNEL.gram(prob.X_pool), prob.Y_pool)
    trunc = {kappa: pool_spectrum_topk(prob.X_pool, KERNEL, prob.Y_pool, kappa, seed=0) for kappa in (80, 250)}
    return full, trunc


@pytest.mark.parametrize("kappa", [80, 250])
def test_tail_power_and_target_tail_match_the_full_spectrum(spectra, kappa):
    (sh, tp, _), trunc = spectra
    st, tpt, t_tail, _ = trunc[kappa]
    np.testing.assert_allclose(st.lam, sh.lam[:kappa], rtol=1e-8)
    assert st.tail == pytest.approx(float(np.sum(sh.lam[kappa:])), rel=1e-9, abs=1e-13)
    # the power on the top-k subspace is stable (gaps are wide there); a single mode of a nearly
    # degenerate pair (relative gap ~1e-5) moves by residual/gap (Davis-Kahan), so per mode 1e-4
    np.testing.assert_allclose(np.cumsum(tpt), np.cumsum(tp[:kappa]), rtol=1e-7)
    np.testing.assert_allclose(tpt, tp[:kappa], rtol=1e-4)
    assert t_tail == pytest.approx(float(np.sum(tp[kappa:])), rel=1e-7, abs=1e-13)
    # the running ridge at cutoffs inside the listed modes is exact (the tail enters only through T)
    for k in (0, kappa // 2, kappa):
        assert renormalized_ridge_at(st, 1e-3, k) == pytest.approx(renormalized_ridge_at(sh, 1e-3, k), rel=1e-9)


@pytest.mark.parametrize("kappa", [80, 250])
@pytest.mark.parametrize("ridge", [1e-3, 1e-2])
def test_predictions_within_the_stated_tail_bound(spectra, kappa, ridge):
    (sh, tp, _), trunc = spectra
    st, tpt, t_tail, _ = trunc[kappa]
    tight = 0
    for n in (20, 80, 320):
        pf = predict_all(sh, ridge, n, tp, noise=0.0)
        pt = predict_all(st, ridge, n, tpt, noise=0.0, target_tail=t_tail)
        b = tail_error_bound(st, ridge, n, tpt, noise=0.0, target_tail=t_tail, preds=pt)
        for th in THEORIES:
            diff = abs(pf[th].test_error - pt[th].test_error)
            slack = 1e-7 * pf[th].test_error          # eigenvalues/coefficients from topk to ~1e-8
            assert diff <= b[th] + slack, (kappa, ridge, n, th, diff, b[th])
            if diff > 10 * slack:
                assert b[th] <= 10 * diff, (kappa, ridge, n, th, diff, b[th])
                tight += 1
        # the IR stops: identical when inside the listed modes
        for budget in (False, True):
            sf, s_t = ir_stop(sh, ridge, n, budget=budget), ir_stop(st, ridge, n, budget=budget)
            if s_t.kappa < kappa:
                assert s_t.kappa == pytest.approx(sf.kappa, abs=1e-6)
                assert s_t.sigma2 == pytest.approx(sf.sigma2, rel=1e-8)
    assert tight >= 3          # the bound was exercised, not only satisfied trivially


def test_curve_on_pool_top_kappa_route_within_bounds():
    """The learning-curve study on the top-kappa route: same simulation, theories within the bound."""
    from symrg.studies.realdata import curve_on_pool

    prob = pool_problem("digits", 600, 0, 200, target_class=3)
    full = curve_on_pool(prob, KERNEL, 1e-3, [10, 40], 2, 0)[0]
    top = curve_on_pool(prob, KERNEL, 1e-3, [10, 40], 2, 0, kappa=150)[0]
    assert "tail" not in full and top["tail"]["kappa"] == 150
    for rf, rt, b in zip(full["rows"], top["rows"], top["tail"]["bounds"]):
        assert rf["simulation_mse"] == rt["simulation_mse"]
        for th in THEORIES:
            assert abs(rf[f"theory_{th}"] - rt[f"theory_{th}"]) <= b[th] + 1e-7 * rf[f"theory_{th}"]
