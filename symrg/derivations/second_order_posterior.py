"""Derivation of the O(1/N^2) posterior mean of a one-hidden-layer network (docs/theory.md section 6).

Runs :func:`symrg.theory.finite_width.derive_second_order_posterior`, regenerates the committed modules
``symrg/_generated/second_order_posterior.py`` and its mpmath twin, and writes ``second_order_posterior.tex``
(standalone) and ``second_order_posterior.json`` into ``--out``.  No library logic here.

    python -m symrg.derivations.second_order_posterior [--out DIR] [--check]

``--check`` only verifies that the committed generated modules match the derivation.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import sympy as sp

from symrg._io import atomic_write_text, provenance_header, sha256_text, write_json
from symrg.codegen import regenerate_second_order_posterior
from symrg.theory.finite_width import derive_second_order_posterior

SOURCE = "symrg.derivations.second_order_posterior"
DEFAULT_OUT = Path("derivations") / "out"


def _result() -> dict:
    syms, c1, c2 = derive_second_order_posterior()
    return {"symbols": {k: str(v) for k, v in syms.items()},
            "c1": {"sympy": str(c1), "latex": sp.latex(c1)},
            "c2": {"sympy": str(c2), "latex": sp.latex(c2)},
            "meaning": "posterior mean m = m_0 + c1/N + c2/N^2 + O(1/N^3); fk (zk): unit average of the t^k "
                       "coefficient of p(y|K+tD) m(K+tD)/p(y|K) (of p(y|K+tD)/p(y|K)); f22, z22: pair averages "
                       "of the t1^2 t2^2 coefficient; f0 = m_0"}


def render_tex(d: dict) -> str:
    digest = sha256_text(repr(d))
    return (provenance_header(SOURCE, comment="%", inputs_hash=digest)
            + "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
            "The O(1/N) and O(1/N$^2$) coefficients of the finite-width posterior mean, "
            "$m = m_0 + c_1/N + c_2/N^2 + O(N^{-3})$, produced by SymPy in "
            "\\texttt{symrg.theory.finite\\_width.derive\\_second\\_order\\_posterior} (docs/theory.md section 6); "
            "none was typed in.\n\\begin{align*}\n"
            f"c_1 &= {d['c1']['latex']}\\\\\nc_2 &= {d['c2']['latex']}\n"
            "\\end{align*}\n\\end{document}\n")


def main(argv=None, default_out=None) -> int:
    """Run the derivation; ``--out`` defaults to ``default_out`` (else ``derivations/out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(default_out or DEFAULT_OUT))
    parser.add_argument("--check", action="store_true", help="only check the generated modules")
    args = parser.parse_args(argv)
    for path, st in regenerate_second_order_posterior(check=args.check).items():
        print(f"{st:9s} {path}")
    if args.check:
        return 0
    d = _result()
    tex = atomic_write_text(args.out / "second_order_posterior.tex", render_tex(d))
    js = write_json(args.out / "second_order_posterior.json", d, SOURCE)
    print(f"wrote     {tex}\nwrote     {js}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
