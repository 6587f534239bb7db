"""Derive the tensor quartic coupling (2 kept + 2 integrated modes) with the engine (docs/theory.md sections 2.4 and 3).

Writes ``engine_tensor.tex`` and ``engine_tensor.json`` into ``--out`` (default derivations/out/).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from symrg._io import atomic_write_text, provenance_header, sha256_text, write_json
from symrg.engine import example_path, load_action, wilson_step
from symrg.engine.latex import document

SOURCE = "symrg.derivations.engine_tensor"
DEFAULT_OUT = Path("derivations") / "out"   # relative to the working directory


def main(argv=None, default_out=None) -> int:
    """Run the derivation; ``--out`` defaults to ``default_out`` (else ``derivations/out`` in the working folder)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(default_out or DEFAULT_OUT))
    p.add_argument("--order", type=int, default=2)
    args = p.parse_args(argv)
    out = Path(args.out)
    res = wilson_step(load_action(example_path("tensor_2x2")), args.order, diagrams=False)
    body = res.to_latex()
    header = provenance_header(SOURCE, comment="%", inputs_hash=sha256_text(body))
    atomic_write_text(out / "engine_tensor.tex", document(body, "Wilsonian step: tensor quartic coupling", header))
    write_json(out / "engine_tensor.json", res.to_json(), SOURCE)
    print(f"wrote {out / 'engine_tensor.tex'} and {out / 'engine_tensor.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
