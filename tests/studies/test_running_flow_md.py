"""The report's running-flow part says what was integrated and marks an unbounded fixed point
(symrg.studies.report.sec_derivations._running_flow_md; docs/theory.md section 3)."""
import json

from symrg.studies.report.sec_derivations import _running_flow_md

ROW = {"u0": 100.0, "sigma2_flow": 0.0155203, "u_flow": 17.134, "sigma2_modes": 0.0155203, "u_modes": 17.133,
       "sigma2_exact": 0.0155203, "u_exact": 17.08, "flow_vs_modes": [2e-8, 6e-6], "flow_vs_exact": [3e-6, 6.5e-4]}
FPS = [{"values": {"s": "1/alpha", "v": "0"}, "exponents": ["alpha", "2*alpha"], "bounded": True},
       {"values": {"s": "2/alpha", "v": "-alpha**2/2"}, "exponents": ["-alpha", "alpha"], "bounded": False}]


def _doc(setup, fps=FPS):
    return {"beta": {"cutoff": "kappa", "beta": {"sigma2": "...", "u": "..."}},
            "scaled": {"couplings": {"s": "a**2", "v": "a**4"}, "fixed_points": fps}, "flows": [ROW],
            "setup": {"sigma2_uv": 0.01, "A": 0.01, "alpha": 0.5, "kappa_uv": 1000, "kappa_ir": 10, **setup}}


def test_discrete_record(tmp_path):
    p = tmp_path / "running_flow.json"
    p.write_text(json.dumps(_doc({"shells": "discrete", "modes": [11, 1000],
                                  "ridge_alone": {"discrete": 0.0155381, "mode_sum": 0.0155381,
                                                  "continuum": 0.0156921}})))
    md = "\n".join(_running_flow_md(p))
    assert "Removing the modes k = 11..1000" in md and "1000.5" not in md
    assert "first order in the shell width, tadpoles and trees" in md and "one loop" not in md
    assert "s = 2/alpha, v = -alpha**2/2 (exponents -alpha, alpha; **action unbounded below**)" in md
    assert "s = 1/alpha, v = 0 (exponents alpha, 2*alpha; action bounded below)" in md
    assert "2.8% more power" in md


def test_a_record_from_before_says_it_was_the_continuum(tmp_path):
    p = tmp_path / "running_flow.json"
    p.write_text(json.dumps(_doc({}, [{k: v for k, v in fp.items() if k != "bounded"} for fp in FPS])))
    md = "\n".join(_running_flow_md(p))
    assert "continuum flow from kappa = 1000.5 to 10.5" in md and "Removing the modes" not in md
