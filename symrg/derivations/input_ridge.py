"""Derive the input-dependent ridge of non-Gaussian features (docs/theory.md section 5).

Writes ``input_ridge.tex`` (standalone, article + amsmath) and ``input_ridge.json`` into ``--out``
(default derivations/out/), atomically, and regenerates ``symrg/_generated/input_ridge{,_mp}.py``
from the same derivation (``--no-codegen`` to skip; ``--check`` only verifies that the committed
modules match).  No library logic here: everything comes from ``symrg.theory.feature_cumulants`` and ``symrg.codegen``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from symrg._io import atomic_write_text, provenance_header, sha256_text, write_json
from symrg.codegen.modules import regenerate_input_ridge
from symrg.theory.feature_cumulants import derive_input_ridge

SOURCE = "symrg.derivations.input_ridge"
DEFAULT_OUT = Path("derivations") / "out"   # relative to the working directory


def main(argv=None, default_out=None) -> int:
    """Run the derivation; ``--out`` defaults to ``default_out`` (else ``derivations/out`` in the working folder)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(default_out or DEFAULT_OUT))
    p.add_argument("--no-edgeworth2", action="store_true", help="skip the O(c3^2) Edgeworth terms")
    p.add_argument("--no-codegen", action="store_true", help="do not regenerate the generated modules")
    p.add_argument("--check", action="store_true", help="only check that the generated modules are current")
    args = p.parse_args(argv)
    out = Path(args.out)
    d = derive_input_ridge(edgeworth2=not args.no_edgeworth2)
    tex = d.to_latex()
    header = provenance_header(SOURCE, comment="%", inputs_hash=sha256_text(tex))
    atomic_write_text(out / "input_ridge.tex", header + tex)
    write_json(out / "input_ridge.json", d.to_dict(), SOURCE)
    print(f"wrote {out / 'input_ridge.tex'} and {out / 'input_ridge.json'}")
    if args.check:
        regenerate_input_ridge(check=True)
        print("generated modules are current")
    elif not args.no_codegen:
        for path, status in regenerate_input_ridge().items():
            print(f"{path}: {status}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
