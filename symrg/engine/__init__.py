"""Perturbative Wilsonian engine (docs/theory.md sections 3 and 6): actions, Wick contractions, connected
diagrams with symmetry factors, the cumulant expansion of ``S_eff``, flows, LaTeX export.

Public API::

    action = load_action("phi4_0d.toml")       # or parse_action(mapping), make_action(...)
    res = wilson_step(action, order=3)         # WilsonResult
    res.coefficients, res.flow, res.diagrams, res.to_json(), res.to_latex()

Nothing is computed at import.
"""
from .action import Action, LocalCoupling, ModeSum, make_action
from .expr import parse_expression
from .spec import load_action, parse_action
from .wilson import Diagram, EngineCostWarning, WilsonResult, estimate_contractions, wilson_step

__all__ = ["Action", "LocalCoupling", "ModeSum", "make_action", "load_action", "parse_action",
           "parse_expression", "wilson_step", "WilsonResult", "Diagram", "EngineCostWarning",
           "estimate_contractions", "example_path"]


def example_path(name: str):
    """Path of a bundled example action file (``phi4_0d``, ``tensor_2x2``, ``local_quartic``...)."""
    from pathlib import Path
    p = Path(__file__).with_name("examples") / (name if name.endswith(".toml") else name + ".toml")
    return p
