"""Checks of the SymPy -> NumPy lowering: the committed generated modules are what the derivations give
today, byte for byte (docs/theory.md sections 4, 5 and 7)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from .registry import check


def _regeneration_drift(regenerate) -> list[str]:
    """Names of committed generated files that differ from a fresh regeneration into a temporary directory."""
    from ..codegen.printer import generated_dir

    with tempfile.TemporaryDirectory(prefix="symrg-regen-") as tmp:
        regenerate(out_dir=tmp)
        fresh = sorted(Path(tmp).glob("*.py"))
        if not fresh:
            return ["<nothing regenerated>"]
        return [p.name for p in fresh if (generated_dir() / p.name).read_bytes() != p.read_bytes()]


@check("codegen.regeneration_gaussian_flow",
       "generated gaussian_flow.py / gaussian_flow_mp.py (docs/theory.md section 4)",
       "committed files in symrg/_generated", "fresh regeneration from derive_gaussian_flow (byte comparison)",
       0.0, category="lowering")
def _regen_gaussian():
    from ..codegen.modules import regenerate_gaussian_flow

    drift = _regeneration_drift(regenerate_gaussian_flow)
    return float(len(drift)), ("byte-identical" if not drift else f"differs: {drift}")


@check("codegen.regeneration_input_ridge",
       "generated input_ridge.py / input_ridge_mp.py (docs/theory.md section 5)",
       "committed files in symrg/_generated", "fresh regeneration from theory.feature_cumulants (byte comparison)",
       0.0, full=True, category="lowering")
def _regen_input_ridge():
    from ..codegen.modules import regenerate_input_ridge

    drift = _regeneration_drift(regenerate_input_ridge)
    return float(len(drift)), ("byte-identical" if not drift else f"differs: {drift}")
