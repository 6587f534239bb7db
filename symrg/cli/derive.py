"""``symrg derive FILE --order N [--json | --latex [--standalone]] [-o FILE]``: the Wilsonian step of an action file.

Prints the effective couplings (and flows) of the kept fields; ``--json`` prints the public
JSON contract (keys ``order``, ``fields``, ``coefficients`` -- monomial in SymPy syntax, ``"1"``
for the vacuum constant, with ``S_eff`` normalised so that only the Gaussian normalisation of the
integrated fields is dropped --, ``flow``, ``diagrams``, and ``beta`` when the action declares
running couplings); ``--latex`` prints LaTeX a paper can ``\\input`` (the input action restated, then
``S_eff = sum_O c_O O`` with the monomials sorted by degree, one numbered equation per coefficient labelled
``eq:<action>-<monomial>``, the action's own field names; ``--standalone``: a document pdflatex compiles as it
is).  docs/theory.md section 3.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

from ..errors import ParameterError, SymrgError

__all__ = ["add_parser", "run", "JSON_KEYS", "DESCRIPTION"]

DESCRIPTION = ("The Wilsonian step of an action file (docs/theory.md section 3): integrate out the integrated "
               "fields to the given order in the interaction and print the effective couplings S_eff of the kept "
               "fields, their flows and, when the file declares running couplings, their beta functions; --json "
               "prints them as JSON, --latex as LaTeX for a paper: the input action restated, S_eff = sum_O c_O O "
               "with the monomials O sorted by degree and one numbered equation per coefficient, labelled "
               "eq:<action>-<monomial> (e.g. eq:local-quartic-f2), to \\input into an article with amsmath "
               "(--standalone: a document that pdflatex compiles as it is).")

JSON_KEYS = {
    "action": "name of the action",
    "order": "order in the interaction",
    "convention": "the normalisation of S_eff, in words (only the Gaussian normalisation of the integrated fields "
                  "is dropped)",
    "fields": "the fields of the action file, by name",
    "fields.<field>": "one field as parsed",
    "fields.<field>.name": "its name",
    "fields.<field>.role": "kept, integrated or split",
    "fields.<field>.symbols": "[mode fields] its components",
    "fields.<field>.kept": "the kept components (a local field: its kept part, e.g. f_<(x))",
    "fields.<field>.integrated": "the integrated components (a local field: its greater part, e.g. f_>(x))",
    "fields.<field>.propagators": "[mode fields] propagator of each integrated component",
    "fields.<field>.propagators.<component>": "the propagator, in SymPy syntax",
    "fields.<field>.local": "[local fields] true: the field is a function of x integrated over the measure",
    "fields.<field>.propagator": "[local fields] the propagator of the greater part",
    "max_degree": "kept monomials up to this total degree (null: all)",
    "resum": "true when the part quadratic in the integrated fields was integrated exactly",
    "coefficients": "S_eff of the kept fields: monomial (SymPy syntax; '1' is the vacuum term) -> coefficient",
    "coefficients.<monomial>": "the coefficient, in SymPy syntax",
    "coefficients_by_order": "the same, one object per order in the interaction (index 0 = order 0, with --resum "
                             "also the exact Gaussian part)",
    "coefficients_by_order[].<monomial>": "the contribution of that order",
    "coefficients_latex": "the coefficients in LaTeX",
    "coefficients_latex.<monomial>": "one coefficient in LaTeX",
    "flow": "d/dkappa of each coefficient (actions with a mode sum; empty otherwise)",
    "flow.<monomial>": "the flow of that coefficient, in SymPy syntax",
    "diagrams": "the connected diagrams (listed when cheap or with --diagrams; empty otherwise)",
    "diagrams[].order": "order in the interaction (number of vertices)",
    "diagrams[].vertices": "the vertices, in SymPy syntax",
    "diagrams[].external_legs": "the kept fields on the external legs",
    "diagrams[].edges": "propagator lines as [vertex, vertex, integrated field, multiplicity]",
    "diagrams[].loops": "number of loops",
    "diagrams[].symmetry_factor": "symmetry factor",
    "diagrams[].automorphisms": "order of the automorphism group",
    "diagrams[].channels": "number of distinct channels",
    "diagrams[].contractions": "number of Wick contractions it stands for",
    "diagrams[].expression": "its contribution to S_eff, in SymPy syntax",
    "diagrams[].latex": "the same in LaTeX",
    "sums": "[actions with a [sums] summand in the mode index k] the mode sums in closed form",
    "sums.<sum>": "[mode sums] one sum c = sum_{k > kappa} F(k)",
    "sums.<sum>.summand": "[mode sums] F(k)",
    "sums.<sum>.closed_form": "[mode sums] the sum in closed form (Hurwitz zeta for power laws)",
    "sums.<sum>.asymptotic": "[mode sums] its large-kappa expansion (Euler-Maclaurin, three terms)",
    "beta": "[actions with [running]] coupling -> dg/dkappa in the running couplings, SymPy syntax",
    "beta.<coupling>": "[running couplings] the beta function of that coupling",
    "running": "[running couplings] how the flow was derived, and its fixed points",
    "running.couplings": "[running couplings] coupling -> the kept monomial it is read off",
    "running.couplings.<coupling>": "[running couplings] the monomial",
    "running.cutoff": "[running couplings] name of the cutoff",
    "running.loops": "[running couplings] 1: tadpoles and trees (the terms first order in the shell width), 0: trees "
                     "only",
    "running.max_degree": "[running couplings] kept operators up to this degree",
    "running.parameters": "[running couplings] the other symbols of the beta functions",
    "running.beta": "[running couplings] the beta functions (as beta)",
    "running.beta.<coupling>": "[running couplings] one of them",
    "running.dropped_operators": "[running couplings] generated operators no coupling carries -> their flow",
    "running.dropped_operators.<monomial>": "[running couplings, when some are generated] the flow of one",
    "running.fixed_points": "[running couplings] fixed points (beta = 0 at every kappa)",
    "running.fixed_points[].values": "[fixed points] coupling -> value",
    "running.fixed_points[].values.<coupling>": "[fixed points] the value",
    "running.fixed_points[].stability_matrix": "[fixed points] kappa d beta_i / d g_j at the fixed point",
    "running.fixed_points[].exponents": "[fixed points] its eigenvalues (flow in log kappa)",
    "running.fixed_points[].bounded": "[fixed points] whether the kept action there is bounded below (false: exp(-S) "
                                      "is no normalisable weight; null: undecided)",
    "running.fixed_points[].bounded_reason": "[fixed points] why (the criterion of docs/theory.md section 3)",
    "self_consistent": "[--self-consistent] the Hartree closure of a parameter",
    "self_consistent.parameter": "[--self-consistent] the parameter closed on itself",
    "self_consistent.unknown": "[--self-consistent] the name of its closed value",
    "self_consistent.closure": "[--self-consistent] right-hand side of unknown = closure",
    "self_consistent.residual": "[--self-consistent] closure minus unknown (a root is the closed value)",
    "notes": "[when something was skipped] what was skipped and why",
}


def _order(text: str) -> int:
    from ..engine.wilson import MAX_ORDER

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"order must be an integer >= 0, got {text[:40]!r}") from None
    if not 0 <= n <= MAX_ORDER:
        raise argparse.ArgumentTypeError(f"order must be an integer >= 0 and <= {MAX_ORDER}, got {n}")
    return n


def _degree(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"max-degree must be an integer >= 0, got {text[:40]!r}") from None
    if not 0 <= n <= 256:
        raise argparse.ArgumentTypeError(f"max-degree must be an integer in [0, 256], got {n}")
    return n


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("file", help="action file (TOML; the language is described in docs/actions.md; symrg examples "
                                "lists the bundled ones and copies one out)")
    p.add_argument("--order", type=_order, default=2, help="order in the interaction, >= 0 (default 2)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--latex", action="store_true",
                   help="print LaTeX instead of a table: numbered, labelled equations to \\input into an article "
                        "with amsmath")
    p.add_argument("--standalone", action="store_true",
                   help="with --latex: a whole document (article, amsmath, geometry) that pdflatex compiles as it is")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write the output to this file (atomically) instead of standard output")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--diagrams", action="store_true",
                   help="list every connected diagram (JSON and table) and draw them in the LaTeX output; by "
                        "default they are listed only when cheap and never drawn")
    g.add_argument("--no-diagrams", action="store_true", help="never list the diagrams")
    p.add_argument("--max-degree", type=_degree, default=None, metavar="D",
                   help="keep only kept-field monomials of total degree <= D (pruned during the computation, which "
                        "keeps high orders fast)")
    p.add_argument("--resum", action="store_true",
                   help="integrate the part of the interaction at most quadratic in the integrated fields exactly "
                        "(sources and field-independent mass terms); the rest is expanded to --order")
    p.add_argument("--loops", type=int, choices=(0, 1), default=None,
                   help="running couplings: 1 (the file's default) keeps the terms first order in the shell width, "
                        "tadpoles (one vertex, one line) and trees (two vertices, one line); 0 keeps the trees only")
    p.add_argument("--self-consistent", default=None, metavar="PARAM[=MONOMIAL]",
                   help="close the renormalisation of the parameter PARAM on itself (Hartree): "
                        "PARAM_eff = PARAM + loop(PARAM_eff); MONOMIAL is the kept monomial whose coefficient "
                        "carries PARAM (default: its pairing under [running])")
    p.add_argument("--allow-expensive", action="store_true",
                   help="go ahead when the estimated cost (expanded expressions, Wick contractions, diagrams) "
                        "is past the limits")
    p.set_defaults(func=run)
    return p


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``derive`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser("derive", help="integrate out the greater modes of an action file",
                              description=DESCRIPTION)
    return _configure(p)


def check_cost(action, order: int, diagrams: bool, max_degree=None) -> dict:
    """Refuse (ParameterError naming --order) when :func:`symrg.engine.wilson.estimate_work` is past
    ``WORK_LIMIT``; the estimate takes milliseconds.  Returns the estimate."""
    from ..engine.wilson import WORK_LIMIT, estimate_work

    est = estimate_work(action, order, diagrams, limit=WORK_LIMIT, max_degree=max_degree)
    over = [k for k in ("moments", "diagrams") if est[k] > WORK_LIMIT]
    if over:
        what = " and ".join(f"{'more than ' if est[k] == WORK_LIMIT + 1 else ''}{est[k]:.3g} steps for the {k}"
                            for k in over)
        advice = ("drop --diagrams or lower --order" if over == ["diagrams"] and action.local == ()
                  else "lower --order or pass --max-degree")
        raise ParameterError("--order", order, f"an order this action can reach within the limit of "
                             f"{WORK_LIMIT:.0e} steps; it needs {what}",
                             f"{advice}, or pass --allow-expensive to go ahead")
    return est


def _progress_after(label: str, delay: float = 2.0):
    """``progress(stage, n)`` that writes to stderr once the run has taken ``delay`` seconds."""
    start = time.monotonic()

    def cb(stage, n):
        elapsed = time.monotonic() - start
        if elapsed > delay:
            sys.stderr.write(f"{label}: {stage}, order {n} ({elapsed:.0f} s)\n")
            sys.stderr.flush()
    return cb


def _note(text: str) -> str:
    """A library note in the words of the command line (flags, not Python arguments)."""
    return text.replace("symrg derive --diagrams, or diagrams=True", "pass --diagrams")


def _self_consistent(res, spec: str):
    import sympy as sp

    from ..engine.expr import as_expr
    from ..engine.running import self_consistent_coupling

    name, _, mono = spec.partition("=")
    params = {str(p): p for p in res.action.parameters}
    if name.strip() not in params:
        raise ParameterError("--self-consistent", spec, f"a parameter of the action ({', '.join(sorted(params))}), "
                             f"optionally =MONOMIAL of the kept fields")
    monomial = None
    if mono.strip():
        monomial = as_expr(mono, {str(s): s for s in res.action.kept}, key="--self-consistent")
        if monomial.free_symbols - set(res.action.kept):
            raise ParameterError("--self-consistent", spec, "PARAM=MONOMIAL with a monomial of the kept fields "
                                 f"({', '.join(map(str, res.action.kept))})")
    c = self_consistent_coupling(res, params[name.strip()], monomial)
    return {"parameter": str(c.parameter), "unknown": str(c.unknown), "closure": str(c.equation.rhs),
            "residual": str(sp.factor(c.residual))}


def _table(res, closure) -> str:
    lines = [f"# S_eff of {res.action.name or 'the action'} to order {res.order} (Gaussian normalisation removed"
             + (", quadratic part resummed" if res.resum else "")
             + (f", kept degree <= {res.max_degree}" if res.max_degree is not None else "") + ")"]
    lines += [f"[{k}]  {v}" for k, v in res.coefficients.items()]
    lines += [f"d/dkappa [{k}]  {v}" for k, v in res.flow.items()]
    for c, (closed, asym) in res.sums_closed_form().items():
        lines.append(f"{c} = {closed}  ~  {asym}")
    if res.running is not None:
        kap = res.running.cutoff
        scheme = "trees only" if res.running.loops == 0 else "tadpoles and trees: first order in the shell width"
        lines.append(f"# running couplings ({scheme}, kept degree "
                     f"<= {res.running.max_degree})")
        lines += [f"d{g}/d{kap} = {v}" for g, v in res.running.beta.items()]
        lines += [f"# dropped operator {m}: d/d{kap} = {v}" for m, v in res.running.dropped.items()]
        fps = res.running.fixed_points()
        for fp in fps:
            bound = {True: "action bounded below", False: "action UNBOUNDED BELOW",
                     None: "boundedness undecided"}[fp.bounded]
            lines.append("fixed point " + ", ".join(f"{g} = {v}" for g, v in fp.values.items())
                         + "; exponents " + ", ".join(map(str, fp.exponents)) + f"; {bound} ({fp.bounded_reason})")
        if not fps:
            lines.append("# no fixed point (beta does not vanish at every kappa)")
    if closure:
        lines.append(f"self-consistent: {closure['unknown']} = {closure['closure']}")
    lines.append(f"# {len(res.diagrams)} connected diagram(s) listed")
    return "\n".join(lines)


def run(args) -> int:
    from ..engine import EngineCostWarning, load_action, wilson_step
    from ..engine.wilson import estimate_seconds, estimate_work

    allow = getattr(args, "allow_expensive", False)
    want = getattr(args, "diagrams", False)
    latex = getattr(args, "latex", False) or getattr(args, "standalone", False)
    max_degree = getattr(args, "max_degree", None)
    resum = getattr(args, "resum", False)
    try:
        if latex and args.json:
            raise ParameterError("--latex", True, "one output format: --latex and --json both print to the output",
                                 "run the command twice, e.g. with --json -o out.json and --latex -o out.tex")
        if resum and want:
            raise ParameterError("--diagrams", True, "no --diagrams together with --resum (the diagrams describe the "
                                 "plain series)")
        if getattr(args, "no_diagrams", False) or resum or (latex and not want):
            diagrams = False
        else:
            diagrams = True if want else "auto"
        action = load_action(args.file, allow_expensive=allow)
        if getattr(args, "loops", None) is not None and action.running is None:
            raise ParameterError("--loops", args.loops, "an action file with a [running] table (running couplings)")
        if getattr(args, "loops", None) is not None:
            import dataclasses
            action = dataclasses.replace(action, running=dataclasses.replace(action.running, loops=args.loops))
        est = (check_cost(action, args.order, diagrams is True, max_degree) if not allow
               else estimate_work(action, args.order, diagrams is True, max_degree=max_degree))
        secs = estimate_seconds(est)
        if secs > 3:
            sys.stderr.write(f"symrg derive: estimated cost about {secs:.0f} s ({est['moments']:.3g} steps for the "
                             f"moments" + (f", {est['diagrams']:.3g} for the diagrams" if diagrams is True else "")
                             + "); progress follows\n")
        with warnings.catch_warnings():
            # the cost was estimated above (check_cost); the library's cruder warning adds nothing
            warnings.simplefilter("ignore", EngineCostWarning)
            res = wilson_step(action, args.order, diagrams=diagrams, progress=_progress_after("symrg derive"),
                              max_degree=max_degree, resum=resum)
        for note in res.notes:
            sys.stderr.write(f"symrg derive: {_note(note)}\n")
        closure = _self_consistent(res, args.self_consistent) if getattr(args, "self_consistent", None) else None
        if args.json:
            doc = res.to_json()
            if doc.get("notes"):
                doc["notes"] = [_note(n) for n in doc["notes"]]
            if closure:
                doc["self_consistent"] = closure
            text = json.dumps(doc, indent=2)
        elif latex:
            text = res.to_latex(standalone=getattr(args, "standalone", False), diagrams=want)
            if closure:
                text = text.replace("\\end{document}", "") if text.rstrip().endswith("\\end{document}") else text
                text += "\\paragraph{Self-consistent closure}\n" + _closure_tex(res, closure, args) + "\n"
                if getattr(args, "standalone", False):
                    text += "\\end{document}\n"
        else:
            text = _table(res, closure)
        _emit(text, getattr(args, "output", None))
    except SymrgError:
        raise       # reported by symrg.cli.main: one line, naming the flag the user typed
    return 0


def _closure_tex(res, closure: dict, args) -> str:
    """The Hartree closure as a numbered equation ``unknown = closure`` (``\\label{eq:<action>-closure-<unknown>}``)."""
    import sympy as sp

    from ..engine.expr import as_expr
    from ..engine.latex import FRAGMENT_WIDTH, LINE_WIDTH, eq_label, equation, latex_expr

    width = LINE_WIDTH if getattr(args, "standalone", False) else FRAGMENT_WIDTH
    return equation(latex_expr(sp.Symbol(closure["unknown"])), as_expr(closure["closure"], key="closure"), width,
                    eq_label(res.action, "closure", name=closure["unknown"]))


def _emit(text: str, path) -> None:
    if path is None:
        print(text)
        return
    from pathlib import Path

    from .._io import atomic_write_text

    p = Path(path)
    if p.parent != Path("") and not p.parent.is_dir():
        raise ParameterError("-o", path, "a file path in an existing folder")
    try:
        atomic_write_text(p, text if text.endswith("\n") else text + "\n", "-o")
    except OSError as exc:
        raise ParameterError("-o", path, f"a writable file path ({exc.strerror or exc})") from None
    sys.stderr.write(f"symrg derive: wrote {p}\n")


def main(argv=None) -> int:
    """``python -m symrg.cli.derive ...``: the same as ``symrg derive ...``."""
    from ._common import standalone
    return standalone(add_parser, "derive", argv)


if __name__ == "__main__":
    raise SystemExit(main())
