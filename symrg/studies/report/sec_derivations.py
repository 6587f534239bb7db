"""Report section: every derivation module, run as ``python -m symrg.derivations.<name>``."""
from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

from ...errors import SymrgError
from ..._io import atomic_write_text
from .latex import LatexFailed, combine_latex, compile_latex

# module -> (the library module and function that produce the result)
PRODUCED_BY = {
    "gaussian_flow": ("symrg/theory/gaussian.py", "derive_gaussian_flow"),
    "selfconsistent_flow": ("symrg/theory/selfconsistent.py", "derive_selfconsistent_flow"),
    "engine_phi4": ("symrg/engine/wilson.py", "wilson_step"),
    "engine_tensor": ("symrg/engine/wilson.py", "wilson_step"),
    "input_ridge": ("symrg/theory/feature_cumulants/derivation.py", "derive_input_ridge"),
    "finite_width": ("symrg/theory/finite_width.py", "derive_finite_width"),
    "running_flow": ("symrg/engine/running.py", "derive_flow"),
    "deep_finite_width": ("symrg/theory/deep_finite_width.py", "derive_deep_finite_width"),
    "second_order_posterior": ("symrg/theory/finite_width.py", "derive_second_order_posterior"),
}


def run(out: Path, quick: bool, progress) -> dict:
    """Run every module of :mod:`symrg.derivations` with ``--out DIR``.

    The subprocess runs from the folder that holds this ``symrg`` package, so it imports the same
    package (installed or a checkout) whatever the working directory.
    """
    pkg_root = Path(__file__).resolve().parents[3]            # the folder holding symrg/
    names = sorted(m.name for m in pkgutil.iter_modules([str(pkg_root / "symrg" / "derivations")])
                   if not m.name.startswith("_"))
    if not names:
        raise SymrgError(f"no derivation modules in {pkg_root / 'symrg' / 'derivations'}: broken installation")
    dout = (out / "derivations").resolve()
    dout.mkdir(parents=True, exist_ok=True)
    ran = []
    for i, name in enumerate(names):
        t0 = time.perf_counter()
        try:
            r = subprocess.run([sys.executable, "-m", f"symrg.derivations.{name}", "--out", str(dout)],
                               capture_output=True, text=True, cwd=str(pkg_root), timeout=1800)
        except subprocess.TimeoutExpired:
            r = subprocess.CompletedProcess(name, 1, "", "timed out after 1800 s")
        ran.append({"script": f"symrg/derivations/{name}.py", "ok": r.returncode == 0,
                    "seconds": round(time.perf_counter() - t0, 2), "stderr": r.stderr[-2000:] if r.returncode else ""})
        progress(i + 1, len(names), name)
    master = combine_latex(sorted(dout.glob("*.tex")), out / "symrg_derivations.tex")
    pdf = compile_latex(master)
    pdf_note = f" (no PDF: {pdf})" if isinstance(pdf, LatexFailed) else ""
    pdf = None if isinstance(pdf, LatexFailed) else pdf
    md = ["## Derivations", "",
          "Each result below was produced by SymPy and the engine from its action, not typed in; each module writes "
          "a standalone `.tex` and a `.json` into `derivations/`, and all of them are collected in "
          f"[`symrg_derivations.tex`](symrg_derivations.tex){' ([PDF](symrg_derivations.pdf))' if pdf else pdf_note}.", "",
          "| module | produced by | output | status |", "|---|---|---|---|"]
    for x in ran:
        stem = Path(x["script"]).stem
        src = PRODUCED_BY.get(stem)
        link = f"`{src[0]}` (`{src[1]}`)" if src else "see module"
        outs = ", ".join(f"[{p.name}](derivations/{p.name})" for p in sorted(dout.glob(f"{stem}.*"))
                         if p.suffix in (".tex", ".json"))
        md.append(f"| `{x['script']}` | {link} | {outs or '-'} | {'ok' if x['ok'] else 'FAILED'} ({x['seconds']} s) |")
    for stem, keys in (("gaussian_flow", ("sigma2_kappa", "flow_discrete", "flow_continuum", "sigma2_powerlaw",
                                          "sigma2_powerlaw_asymptotic", "replica_prefactor_limit")),
                       ("selfconsistent_flow", ("dressed_propagator", "closure", "equivalence", "sharp_limit"))):
        f = dout / f"{stem}.json"
        if f.exists():
            d = json.loads(f.read_text())
            md += ["", f"Derived by `{PRODUCED_BY[stem][0]}::{PRODUCED_BY[stem][1]}` (lowered to "
                   f"`symrg/_generated/{stem}.py` with its mpmath twin):", ""]
            md += [f"- `{k}`: $`{d[k]['latex']}`$" for k in keys if isinstance(d.get(k), dict) and "latex" in d[k]]
    md += _running_flow_md(dout / "running_flow.json")
    md += _example_pdf(out)
    return {"numbers": {"scripts": ran, "latex_document": master.name, "pdf": bool(pdf)},
            "markdown": "\n".join(md), "failed": [x["script"] for x in ran if not x["ok"]]}


EXAMPLE = "ridge_quartic_flow"   # the worked example of docs/theory.md section 3


def _example_pdf(out: Path) -> list:
    """``derivation_example.tex`` and its PDF: one derivation as ``symrg derive FILE --order 2 --latex
    --standalone --diagrams`` writes it (the engine's standalone document, compiled by pdflatex)."""
    from ...engine import example_path, load_action, wilson_step

    res = wilson_step(load_action(example_path(EXAMPLE)), 2, diagrams=True)
    tex = atomic_write_text(out / "derivation_example.tex", res.to_latex(standalone=True, diagrams=True))
    pdf = compile_latex(tex)
    got = "[PDF](derivation_example.pdf)" if not isinstance(pdf, LatexFailed) else f"no PDF: {pdf}"
    return ["", f"One derivation as a paper would print it: `symrg derive symrg/engine/examples/{EXAMPLE}.toml "
            f"--order 2 --latex --standalone --diagrams` gives [derivation_example.tex](derivation_example.tex) "
            f"({got}), which pdflatex compiles as it is."]


def _running_flow_md(path: Path) -> list:
    """The worked running-coupling flow: its beta functions and how the flow compares with the mode-by-mode and
    exact routes (from derivations/running_flow.json)."""
    if not path.exists():
        return []
    d = json.loads(path.read_text())
    st = d["setup"]
    md = ["", "Running couplings of the ridge with a local quartic coupling over a power-law spectrum "
          "(`symrg/engine/running.py::derive_flow`, lowered to `symrg/_generated/ridge_quartic_flow.py`):", ""]
    md += [f"- `d{g}/d{d['beta']['cutoff']} = {v}`" for g, v in d["beta"]["beta"].items()]
    md.append("- scheme: first order in the shell width, tadpoles and trees (diagrams with two lines in a shell, "
              "such as the u^2 bubble, are second order in it; docs/theory.md section 3)")
    fps = d["scaled"]["fixed_points"]
    bound = {True: "action bounded below", False: "**action unbounded below**", None: "boundedness undecided"}
    if fps:
        md.append("- scaled couplings " + ", ".join(d["scaled"]["couplings"]) + ": fixed points "
                  + "; ".join(", ".join(f"{k} = {v}" for k, v in fp["values"].items()) + " (exponents "
                              + ", ".join(fp["exponents"])
                              + (f"; {bound[fp['bounded']]}" if "bounded" in fp else "") + ")" for fp in fps))
    if st.get("shells") == "discrete":
        lo, hi = st["modes"]
        what = (f"Removing the modes k = {lo}..{hi} (kappa from {st['kappa_uv']} to {st['kappa_ir']}, discrete "
                f"shells: mode k over kappa in (k-1, k] with its own lambda_k)")
    else:   # a record written before the discrete flow: the continuum between the half-integers
        what = (f"The continuum flow from kappa = {st['kappa_uv'] + 0.5} to {st['kappa_ir'] + 0.5} (standing for the "
                f"modes {st['kappa_ir'] + 1}..{st['kappa_uv']})")
    md += ["", f"{what}, sigma2 = {st['sigma2_uv']}, A = {st['A']}, alpha = {st['alpha']}; the routes: the flow "
           f"(generated module, solve_ivp), the modes one by one (each integrated out exactly), the exact integral "
           f"over all of them at once; discrepancies relative to the change of each coupling:", "",
           "| u0 | sigma2 (flow) | u (flow) | u (modes one by one) | u (exact, all modes) | flow vs modes | "
           "flow vs exact (u) |", "|---|---|---|---|---|---|---|"]
    for r in d["flows"]:
        md.append(f"| {r['u0']:g} | {r['sigma2_flow']:.6g} | {r['u_flow']:.5g} | {r['u_modes']:.5g} | "
                  f"{r['u_exact']:.5g} | {max(r['flow_vs_modes']):.1e} | {r['flow_vs_exact'][1]:.1e} |")
    md += ["", "Flow vs exact grows in proportion to u0 (the absolute difference as u0^2): the exact integral keeps the u^2 bubble, which the flow regenerates "
           "only through the u^2 a^6 operator that the degree-4 projection drops (docs/theory.md section 3); flow vs "
           "modes is the bubble inside each single mode."]
    ridge = st.get("ridge_alone")
    if ridge:
        md += ["", f"The ridge alone (u = 0): the discrete flow gives sigma2 = {ridge['discrete']:.7f}, the direct sum "
               f"sigma2 + sum_k lambda_k = {ridge['mode_sum']:.7f}; the continuum flow from kappa = {st['kappa_uv']} to "
               f"{st['kappa_ir']} (`symrg solve --continuum`) gives {ridge['continuum']:.7f}, "
               f"{100 * ((ridge['continuum'] - st['sigma2_uv']) / (ridge['mode_sum'] - st['sigma2_uv']) - 1):.1f}% more "
               f"power than those modes carry."]
    return md
