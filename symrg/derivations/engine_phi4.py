"""Derive the phi^4 toy and the local quartic coupling with the engine (docs/theory.md sections 3 and 6).

Writes ``engine_phi4.tex`` (standalone, article + amsmath) and ``engine_phi4.json`` into ``--out``
(default derivations/out/), atomically, with a provenance header. No library logic here.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from symrg._io import atomic_write_text, provenance_header, sha256_text, write_json
from symrg.engine import example_path, load_action, wilson_step
from symrg.engine.latex import document

SOURCE = "symrg.derivations.engine_phi4"
DEFAULT_OUT = Path("derivations") / "out"   # relative to the working directory


def main(argv=None, default_out=None) -> int:
    """Run the derivation; ``--out`` defaults to ``default_out`` (else ``derivations/out`` in the working folder)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(default_out or DEFAULT_OUT))
    p.add_argument("--order", type=int, default=3)
    args = p.parse_args(argv)
    out = Path(args.out)
    results = {name: wilson_step(load_action(example_path(name)), order)
               for name, order in (("phi4_0d", args.order), ("local_quartic", min(args.order, 2)))}
    body = "".join(r"\section*{%s}" % name.replace("_", r"\_") + "\n" + res.to_latex()
                   for name, res in results.items())
    header = provenance_header(SOURCE, comment="%", inputs_hash=sha256_text(body))
    atomic_write_text(out / "engine_phi4.tex", document(body, "Wilsonian step: $\\phi^4$ couplings", header))
    write_json(out / "engine_phi4.json", {name: res.to_json() for name, res in results.items()}, SOURCE)
    print(f"wrote {out / 'engine_phi4.tex'} and {out / 'engine_phi4.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
