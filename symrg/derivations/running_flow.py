"""Derivation of the running-coupling flow of the ridge with a local quartic coupling over a power-law spectrum
(docs/theory.md sections 3, 4 and 6; worked example of the running couplings).

Runs :func:`symrg.engine.running.derive_flow` on ``symrg/engine/examples/ridge_quartic_flow.toml`` and on its
scaled form ``ridge_quartic_scaled.toml`` (fixed points and exponents), regenerates the committed module
``symrg/_generated/ridge_quartic_flow.py`` and its mpmath twin, integrates (sigma2, u) from the UV to the IR
over the discrete modes 11..1000 (:func:`symrg.numerics.running.integrate_flow`, ``shells="discrete"``), and
verifies the flow against integrating the modes out one at a time and, for small u, against the exact
per-input integral (the routes of :mod:`symrg.verify.checks_running`); for the ridge alone it sets the discrete
flow beside the direct mode sum and the continuum flow from kappa = 1000 to 10.  Writes ``running_flow.tex`` (standalone) and ``running_flow.json``
into ``--out``.  No library logic here.

    python -m symrg.derivations.running_flow [--out DIR] [--check]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from symrg._io import atomic_write_text, provenance_header, sha256_text, write_json
from symrg.codegen.flows import regenerate_running_flow
from symrg.engine import example_path, load_action
from symrg.engine.latex import document, escape_tex, flow_to_latex
from symrg.engine.running import derive_flow

SOURCE = "symrg.derivations.running_flow"
DEFAULT_OUT = Path("derivations") / "out"
U0 = (0.0, 100.0, 1000.0, 4000.0)          # initial quartic couplings at the UV cutoff (sigma2 = 0.01)


def _relative(a, b, start):
    """|a - b| relative to the change |b - start| of each coupling (absolute where the coupling does not move)."""
    change = np.abs(b - start)
    moves = change > 1e-9 * np.maximum(1.0, np.abs(start))
    return np.where(moves, np.abs(a - b) / np.where(moves, change, 1.0), np.abs(a - b))


def flows_table() -> list:
    """(sigma2, u) after the modes 11..1000 (the discrete flow from kappa = 1000 to 10) for each u0, with the
    mode-by-mode and exact routes beside it."""
    from symrg.numerics.running import integrate_modes
    from symrg.verify.checks_running import (A, ALPHA, K_IR, K_UV, SIGMA2, _couplings, _potential, _route_a,
                                             exact_per_input)

    lams = A * np.arange(K_UV, K_IR, -1.0) ** (-1 - ALPHA)
    rows = []
    for u0 in U0:
        a = _route_a(SIGMA2, u0)
        b = _couplings(integrate_modes(_potential(SIGMA2, u0), lams))
        c = exact_per_input(SIGMA2, u0)
        start = np.array([SIGMA2, u0])
        rel_b, rel_c = _relative(a, b, start), _relative(a, c, start)
        rows.append({"u0": u0, "sigma2_flow": float(a[0]), "u_flow": float(a[1]), "sigma2_modes": float(b[0]),
                     "u_modes": float(b[1]), "sigma2_exact": float(c[0]), "u_exact": float(c[1]),
                     "flow_vs_modes": [float(x) for x in rel_b], "flow_vs_exact": [float(x) for x in rel_c]})
    return rows


def ridge_alone() -> dict:
    """sigma2 after the modes 11..1000 with u = 0: the discrete flow, the direct sum sigma2 + sum_k lambda_k (NumPy)
    and the continuum flow from kappa = 1000 to 10 (which overcounts the power of those modes)."""
    from symrg._generated import ridge_quartic_flow as module
    from symrg.numerics.running import integrate_flow
    from symrg.verify.checks_running import A, ALPHA, K_IR, K_UV, SIGMA2, _route_a

    cont = integrate_flow(module, {"sigma2": SIGMA2, "u": 0.0}, {"A": A, "alpha": ALPHA}, K_UV, K_IR, points=2)
    total = SIGMA2 + float(np.sum(A * np.arange(K_UV, K_IR, -1.0) ** (-1 - ALPHA)))
    return {"discrete": float(_route_a(SIGMA2, 0.0)[0]), "mode_sum": total,
            "continuum": float(cont.values["sigma2"][-1])}


def render_tex(flow, scaled, rows, ridge) -> str:
    body = [r"\section*{Running couplings: the ridge with a local quartic coupling}",
            r"Per input, $S = (a+b)^2/(2\sigma^2) + u (a+b)^4/24$ with $b$ the mode at the cutoff, of variance "
            r"$\lambda_\kappa = A\kappa^{-(1+\alpha)}$. The beta functions below were derived by the engine "
            r"(\texttt{symrg.engine.running.derive\_flow}); none was typed in.", "",
            flow_to_latex(flow),
            r"\section*{Scaled couplings}",
            r"$s = \sigma^2\kappa^\alpha/A$, $v = u A^2\kappa^{-2\alpha}$ (\texttt{ridge\_quartic\_scaled.toml}):", "",
            flow_to_latex(scaled),
            r"\section*{The flow from $\kappa = 1000$ to $\kappa = 10$: the modes $k = 11..1000$, and its checks}",
            r"$\sigma^2 = 0.01$ at $\kappa = 1000$, $A = 0.01$, $\alpha = 1/2$. Flow: the generated module and "
            r"\texttt{solve\_ivp} over the discrete modes $k = 11..1000$ (mode $k$ over $\kappa \in (k-1, k]$ with its "
            r"own $\lambda_k$; first order in the shell width: tadpoles and trees); modes: each mode $k = 11..1000$ "
            r"integrated out exactly with the current couplings; exact: all modes at once, mpmath. Discrepancies are "
            r"relative to the change of each coupling. For the ridge alone ($u = 0$) the discrete flow gives "
            r"$\sigma^2 = %.7f$, the direct sum $\sigma^2 + \sum_{k=11}^{1000}\lambda_k = %.7f$; the continuum "
            r"$\kappa$ from 1000 to 10 would give %.7f." % (ridge["discrete"], ridge["mode_sum"], ridge["continuum"]), "",
            r"\begin{center}\small\begin{tabular}{rrrrrrr}",
            r"$u_0$ & $\sigma^2$ flow & $\sigma^2$ modes & $u$ flow & $u$ modes & $u$ exact & flow vs modes \\ \hline"]
    for r in rows:
        body.append(f"{r['u0']:g} & {r['sigma2_flow']:.7f} & {r['sigma2_modes']:.7f} & {r['u_flow']:.5g} & "
                    f"{r['u_modes']:.5g} & {r['u_exact']:.5g} & {max(r['flow_vs_modes']):.1e} \\\\")
    body += [r"\end{tabular}\end{center}", ""]
    digest = sha256_text("\n".join(body))
    return document("\n".join(body) + "\n", escape_tex("Running couplings of the ridge with a local quartic coupling"),
                    provenance_header(SOURCE, comment="%", inputs_hash=digest))


def main(argv=None, default_out=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(default_out or DEFAULT_OUT))
    parser.add_argument("--check", action="store_true", help="only check the generated modules")
    args = parser.parse_args(argv)
    for path, st in regenerate_running_flow(check=args.check).items():
        print(f"{st:9s} {path}")
    if args.check:
        return 0
    flow = derive_flow(load_action(example_path("ridge_quartic_flow")))
    scaled = derive_flow(load_action(example_path("ridge_quartic_scaled")))
    if not flow.cutoff_only_in_modes:   # the committed module's cutoff argument takes the mode index
        raise SystemExit("running_flow: the example's beta functions depend on the cutoff outside the propagators")
    rows = flows_table()
    ridge = ridge_alone()
    tex = atomic_write_text(args.out / "running_flow.tex", render_tex(flow, scaled, rows, ridge))
    js = write_json(args.out / "running_flow.json",
                    {"beta": flow.to_json(), "scaled": scaled.to_json(), "flows": rows,
                     "setup": {"sigma2_uv": 0.01, "A": 0.01, "alpha": 0.5, "kappa_uv": 1000, "kappa_ir": 10,
                               "shells": "discrete", "modes": [11, 1000], "ridge_alone": ridge}}, SOURCE)
    print(f"wrote     {tex}\nwrote     {js}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
