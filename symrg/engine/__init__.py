"""Perturbative Wilsonian engine (docs/theory.md sections 3 and 6): actions, Wick contractions, connected
diagrams with symmetry factors, the cumulant expansion of ``S_eff``, resummation, running couplings,
closed-form mode sums, LaTeX export.  The Python API is documented in docs/api.md.

    action = load_action("phi4_0d.toml")       # or parse_action(mapping), make_action(...)
    res = wilson_step(action, order=3)         # WilsonResult
    res.coefficients, res.flow, res.beta, res.diagrams, res.to_json(), res.latex()
    flow = derive_flow(action)                 # running couplings: beta functions, fixed points

Nothing is computed at import.
"""
from .action import MODE_INDEX, Action, LocalCoupling, ModeSum, RunningSpec, make_action
from .expr import as_expr, parse_expression
from .running import FixedPoint, FlowResult, derive_flow
from .spec import load_action, parse_action
from .wilson import (Diagram, EngineCostWarning, WilsonResult, estimate_contractions, estimate_seconds, estimate_work,
                     wilson_step)

__all__ = ["Action", "LocalCoupling", "ModeSum", "RunningSpec", "MODE_INDEX", "make_action", "load_action",
           "parse_action", "parse_expression", "as_expr", "wilson_step", "WilsonResult", "Diagram",
           "EngineCostWarning", "estimate_contractions", "estimate_work", "estimate_seconds", "derive_flow",
           "FlowResult", "FixedPoint", "example_path"]


def example_path(name: str):
    """Path of a bundled example action file (``phi4_0d``, ``tensor_2x2``, ``local_quartic``,
    ``ridge_quartic_flow``...)."""
    from pathlib import Path
    p = Path(__file__).with_name("examples") / (name if name.endswith(".toml") else name + ".toml")
    return p
