"""Derivation of the self-consistent (Hartree) Wilsonian flow (docs/theory.md section 4a).

Runs :func:`symrg.theory.selfconsistent.derive_selfconsistent_flow`, regenerates the committed
modules ``symrg/_generated/selfconsistent_flow.py`` and its mpmath twin, and writes
``selfconsistent_flow.tex`` (standalone) and ``selfconsistent_flow.json`` into ``--out``.
No library logic here.

    python -m symrg.derivations.selfconsistent_flow [--out DIR] [--check]

``--check`` only verifies that the committed generated modules match the derivation.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from symrg._io import atomic_write_text, provenance_header, sha256_text, write_json
from symrg.codegen import regenerate_selfconsistent_flow
from symrg.theory.selfconsistent import derive_selfconsistent_flow

SOURCE = "symrg.derivations.selfconsistent_flow"
DEFAULT_OUT = Path("derivations") / "out"

# (field, caption, left-hand side) in the order of the argument
_ROWS = [
    ("dressed_propagator", r"Data-dressed propagator of one greater mode (exact Gaussian integration of "
     r"$f^2/2\lambda_k + \eta f^2/2\sigma^2$)", r"G_k"),
    ("propagator_series", r"The same propagator from the engine's cumulant series (data-term insertions "
     r"on the bare line, five orders)", r"G_k"),
    ("one_loop_ridge", r"One loop: the per-sample ridge with the dressed variance $c=\sum_k G_k$", r"\sigma^2_{1}"),
    ("closure", r"Hartree closure: the loop evaluated at the closed ridge", r""),
    ("eigenlearning", r"Eigenlearning equation (Canatar--Bordelon--Pehlevan 2021; Simon et al.\ 2021), "
     r"the check target", r"0 ="),
    ("equivalence", r"Closure residual at $\sigma^2_{\mathrm{eff}}=\eta\kappa_{\mathrm{eff}}$ minus "
     r"$\kappa_{\mathrm{eff}}$ times the eigenlearning equation", r"\Delta"),
    ("learnability", r"Learnability under the closed ridge ($G_k=\lambda_k(1-L_k)$)", r"L_k"),
    ("sharp_limit", r"Step-function limit $1-L_k\to\theta(k>\kappa_*)$: the paper's renormalised ridge",
     r"\sigma^2_{\kappa_*}"),
    ("residual_shells", r"Residual over shells of multiplicity $m$, unlisted power $T$ (lowered to NumPy)", r"R"),
    ("residual_shells_derivative", r"Its derivative", r"\partial R/\partial\sigma^2_{\mathrm{eff}}"),
]


def render_tex(d) -> str:
    tex = d.latex()
    body = []
    for name, caption, lhs in _ROWS:
        eq = tex[name] if not lhs else f"{lhs} {tex[name]}" if lhs.endswith("=") else f"{lhs} = {tex[name]}"
        body.append(f"\\paragraph{{{caption}}} (\\texttt{{{name.replace('_', chr(92) + '_')}}})\n"
                    f"\\begin{{dmath*}}\n{eq}\n\\end{{dmath*}}\n")
    digest = sha256_text(d.to_json())
    return (provenance_header(SOURCE, comment="%", inputs_hash=digest)
            + "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{breqn}\n\\begin{document}\n"
            "\\section*{Self-consistent Wilsonian flow: derived results}\n"
            "Every expression below was produced by SymPy and the engine in "
            "\\texttt{symrg.theory.selfconsistent} (docs/theory.md section 4a); none was typed in.\n\n"
            + "\n".join(body) + "\\end{document}\n")


def main(argv=None, default_out=None) -> int:
    """Run the derivation; ``--out`` defaults to ``default_out`` (else ``derivations/out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(default_out or DEFAULT_OUT))
    parser.add_argument("--check", action="store_true", help="only check the generated modules")
    args = parser.parse_args(argv)
    status = regenerate_selfconsistent_flow(check=args.check)
    for path, st in status.items():
        print(f"{st:9s} {path}")
    if args.check:
        return 0
    d = derive_selfconsistent_flow()
    tex = atomic_write_text(args.out / "selfconsistent_flow.tex", render_tex(d))
    js = write_json(args.out / "selfconsistent_flow.json", d.to_dict(), SOURCE)
    print(f"wrote     {tex}\nwrote     {js}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
