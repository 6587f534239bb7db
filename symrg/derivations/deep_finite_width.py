"""Derivation of the layer recursion of deep finite-width networks (docs/theory.md section 6x).

Runs :func:`symrg.theory.deep_finite_width.derive_deep_finite_width` (single input and pair), regenerates the
committed modules ``symrg/_generated/deep_finite_width.py``, ``deep_finite_width_pair.py`` (the two-input
recursion) and their mpmath twins, and writes
``deep_finite_width.tex`` (standalone) and ``deep_finite_width.json`` into ``--out``.  No library logic here.

    python -m symrg.derivations.deep_finite_width [--out DIR] [--check]

``--check`` only verifies that the committed generated modules match the derivation.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from symrg._io import atomic_write_text, provenance_header, sha256_text, write_json
from symrg.codegen import regenerate_deep_finite_width, regenerate_deep_finite_width_pair
from symrg.theory.deep_finite_width import derive_deep_finite_width

SOURCE = "symrg.derivations.deep_finite_width"
DEFAULT_OUT = Path("derivations") / "out"


def render_tex(d) -> str:
    digest = sha256_text(d.to_json())
    return (provenance_header(SOURCE, comment="%", inputs_hash=digest)
            + "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{breqn}\n\\begin{document}\n"
            "Every expression below was produced by SymPy in \\texttt{symrg.theory.deep\\_finite\\_width} "
            "(docs/theory.md section 6x); none was typed in.\n\n" + d.to_latex() + "\\end{document}\n")


def main(argv=None, default_out=None) -> int:
    """Run the derivation; ``--out`` defaults to ``default_out`` (else ``derivations/out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(default_out or DEFAULT_OUT))
    parser.add_argument("--check", action="store_true", help="only check the generated modules")
    args = parser.parse_args(argv)
    status = {**regenerate_deep_finite_width(check=args.check), **regenerate_deep_finite_width_pair(check=args.check)}
    for path, st in status.items():
        print(f"{st:9s} {path}")
    if args.check:
        return 0
    d = derive_deep_finite_width(pair=True)
    tex = atomic_write_text(args.out / "deep_finite_width.tex", render_tex(d))
    js = write_json(args.out / "deep_finite_width.json", d.to_dict(), SOURCE)
    print(f"wrote     {tex}\nwrote     {js}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
