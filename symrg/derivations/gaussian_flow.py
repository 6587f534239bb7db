"""Derivation of the Gaussian Wilsonian step (docs/theory.md section 4).

Runs :func:`symrg.theory.derive_gaussian_flow`, regenerates the committed modules
``symrg/_generated/gaussian_flow.py`` and ``gaussian_flow_mp.py`` and writes
``gaussian_flow.tex`` (standalone, ``pdflatex`` with article + amsmath) and
``gaussian_flow.json`` into ``--out`` (default ``derivations/out/``). No library logic here.

    python -m symrg.derivations.gaussian_flow [--out DIR] [--check]   (or python derivations/gaussian_flow.py)

``--check`` only verifies that the committed generated modules match the derivation.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from symrg._io import atomic_write_text, provenance_header, sha256_text, write_json
from symrg.codegen import regenerate_gaussian_flow
from symrg.theory import derive_gaussian_flow

SOURCE = "symrg.derivations.gaussian_flow"
DEFAULT_OUT = Path("derivations") / "out"   # relative to the working directory

# (field, caption, left-hand side) in the order of the argument
_ROWS = [
    ("per_sample_result", r"Per-sample integral over the greater field $g\sim\mathcal N(0,c)$",
     r"\int dg\,\mathcal N(g;0,c)\,e^{-(h+g)^2/(2\sigma^2)}"),
    ("sigma2_per_sample", r"Ridge read off the per-sample result, $-1/(2[h^2]\log)$", r"\sigma_\kappa^2"),
    ("noise_covariance_2", r"Two inputs: noise covariance of the marginal likelihood", r"\Sigma_{\mathrm{noise}}"),
    ("noise_covariance_3", r"Three inputs: noise covariance of the marginal likelihood", r"\Sigma_{\mathrm{noise}}"),
    ("replica_prefactor", r"Replica prefactor for $M$ replicas (product of $M$ one-replica integrals)", r"P_M"),
    ("replica_prefactor_limit", r"Its replica limit", r"\lim_{M\to 0} P_M"),
    ("sigma2_replica", r"Ridge read off the replica result", r"\sigma_\kappa^2"),
    ("sigma2_kappa", r"Renormalised ridge with $c=\sum_{k>\kappa}\lambda_k$", r"\sigma_\kappa^2"),
    ("flow_discrete", r"Discrete flow", r"\sigma_\kappa^2-\sigma_{\kappa-1}^2"),
    ("flow_continuum", r"Continuum flow", r"\frac{d\sigma_\kappa^2}{d\kappa}"),
    ("sigma2_powerlaw", r"Power law $\lambda_k = A k^{-(1+\alpha)}$", r"\sigma_\kappa^2"),
    ("flow_powerlaw_discrete", r"Its discrete flow", r"\sigma_\kappa^2-\sigma_{\kappa-1}^2"),
    ("flow_powerlaw", r"Its continuum flow", r"\frac{d\sigma_\kappa^2}{d\kappa}"),
    ("sigma2_powerlaw_asymptotic", r"Large $\kappa$ (leading Euler--Maclaurin term)", r"\sigma_\kappa^2 \simeq"),
]


def render_tex(d) -> str:
    body, tex = [], d.latex()
    for name, caption, lhs in _ROWS:
        body.append(f"\\paragraph{{{caption}}} (\\texttt{{{name.replace('_', chr(92) + '_')}}})\n"
                    f"\\begin{{equation*}}\n{lhs} = {tex[name]}\n\\end{{equation*}}\n")
    digest = sha256_text(d.to_json())
    return (provenance_header(SOURCE, comment="%", inputs_hash=digest)
            + "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
            "\\section*{Gaussian Wilsonian step: derived results}\n"
            "Every expression below was produced by SymPy in \\texttt{symrg.theory.gaussian} "
            "(docs/theory.md section 4); none was typed in.\n\n"
            + "\n".join(body) + "\\end{document}\n")


def main(argv=None, default_out=None) -> int:
    """Run the derivation; ``--out`` defaults to ``default_out`` (else ``derivations/out`` in the working folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(default_out or DEFAULT_OUT))
    parser.add_argument("--check", action="store_true", help="only check the generated modules")
    args = parser.parse_args(argv)
    status = regenerate_gaussian_flow(check=args.check)
    for path, st in status.items():
        print(f"{st:9s} {path}")
    if args.check:
        return 0
    d = derive_gaussian_flow()
    tex = atomic_write_text(args.out / "gaussian_flow.tex", render_tex(d))
    js = write_json(args.out / "gaussian_flow.json", d.to_dict(), SOURCE)
    print(f"wrote     {tex}\nwrote     {js}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
