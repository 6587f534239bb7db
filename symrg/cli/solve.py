"""``symrg solve FILE --kappa-from K0 --kappa-to K1 --init g1=v1,g2=v2 [--param p=v,...] [--continuum]``: run
the flow of the running couplings of an action file from the UV to the IR.

Derives the beta functions (``symrg.engine.running.derive_flow``), lowers them to a generated NumPy
module (``symrg.codegen.flows``, in a temporary folder), integrates them with ``solve_ivp``
(``symrg.numerics.running.integrate_flow``), and finds the fixed points with the eigenvalues of
their stability matrix and whether the action there is bounded below.  By default the shells are the
discrete modes: ``--kappa-from 1000 --kappa-to 10`` integrates out the modes 11..1000, mode ``k`` with
its own propagator over ``kappa in (k - 1, k]``; ``--continuum`` integrates the cutoff as a continuous
variable instead.  docs/theory.md section 3.
"""
from __future__ import annotations

import argparse
import math
import sys

from ..errors import ParameterError
from ._common import _print_json, _table

__all__ = ["add_parser", "run", "JSON_KEYS", "DESCRIPTION", "parse_assignments"]

DESCRIPTION = ("Integrate the flow of the running couplings of an action file (a [running] table) in the cutoff "
               "kappa, from --kappa-from (UV) to --kappa-to (IR), starting at --init, with the other parameters set "
               "by --param. The cutoff counts modes: by default the discrete modes between the two cutoffs are "
               "integrated out one at a time (--kappa-from 1000 --kappa-to 10 removes the modes 11..1000, mode k "
               "with its own propagator over kappa in (k-1, k]); --continuum integrates kappa as a continuous "
               "variable instead. The beta functions are first order in the shell width (tadpoles and trees; "
               "diagrams with two lines in a shell, such as the u^2 bubble, are second order in it), derived by "
               "the engine, lowered to a generated NumPy module and integrated with SciPy's solve_ivp. Prints the "
               "couplings along the flow and the fixed points with the eigenvalues of their stability matrix and "
               "whether the action there is bounded below (docs/theory.md section 3).")

JSON_KEYS = {
    "action": "name of the action",
    "cutoff": "name of the cutoff",
    "couplings": "the running couplings, in the order of the state vector",
    "parameters": "the other parameters -> their values",
    "parameters.<parameter>": "one value",
    "beta": "coupling -> dg/dkappa (SymPy syntax)",
    "beta.<coupling>": "the beta function of that coupling",
    "shells": "'discrete' (the modes between the cutoffs, one at a time; the default) or 'continuum' (--continuum)",
    "modes": "[discrete shells] [first, last]: the modes integrated out (restored when --kappa-to > --kappa-from)",
    "kappa": "the cutoffs of the output grid, from --kappa-from to --kappa-to (geometric; integers with discrete "
             "shells)",
    "<coupling>": "the coupling at each cutoff of kappa (one array per coupling)",
    "error_estimate": "largest relative change of the couplings when the ODE tolerance is tightened 100 times",
    "fixed_points": "fixed points of the flow at these parameters (beta = 0 at every kappa of the continuum "
                    "flow); empty if none",
    "fixed_points[].<coupling>": "[fixed points] the value of that coupling",
    "fixed_points[].exponents": "[fixed points] eigenvalues of the stability matrix kappa d beta_i / d g_j "
                                "(real parts)",
    "fixed_points[].exponents_imag": "[fixed points with complex exponents] their imaginary parts",
    "fixed_points[].exponents_at_kappa": "[fixed points whose exponents depend on kappa] the cutoff they are "
                                         "evaluated at (--kappa-to)",
    "fixed_points[].bounded": "[fixed points] whether the kept action there is bounded below (false: exp(-S) is "
                              "no normalisable weight; null: undecided)",
    "fixed_points[].bounded_reason": "[fixed points] why (the criterion of docs/theory.md section 3)",
    "validity": "[flows with a coupling of degree >= 4] whether the first-order-in-the-shell-width flow is inside its "
                "range: the loop parameter |g| G^((d-2)/2) at its largest along the flow (docs/theory.md section 3)",
    "validity.parameter": "the loop parameter, e.g. '|u| G_b^1'",
    "validity.value": "its largest value along the flow",
    "validity.ok": "true when it is at most 0.1 (else a warning on stderr)",
    "validity.next_order_estimate": "the neglected second order, relative to the first",
    "validity.next_order_relative": "the same, relative",
    "validity.note": "the same in words",
}


def _positive(flag):
    def conv(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a number > 0, got {text[:40]!r}") from None
        if not (math.isfinite(v) and v > 0):
            raise argparse.ArgumentTypeError(f"{flag} must be a finite number > 0, got {text[:40]!r}")
        return v
    return conv


def parse_assignments(text: str, flag: str) -> dict:
    """``"a=1,b=2.5"`` -> ``{"a": 1.0, "b": 2.5}``; values are read by ``float`` (never evaluated)."""
    out = {}
    for part in [p for p in (text or "").split(",") if p.strip()]:
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            raise ParameterError(flag, text, "comma-separated name=value pairs, e.g. sigma2=0.01,u=1")
        try:
            v = float(value)
        except ValueError:
            raise ParameterError(flag, part, "name=number (a decimal number such as 0.01 or 1e-3)") from None
        if not math.isfinite(v):
            raise ParameterError(flag, part, "a finite number")
        if name in out:
            raise ParameterError(flag, text, f"each name once ({name} is given twice)")
        out[name] = v
    return out


def add_parser(sub):
    p = sub.add_parser("solve", help="integrate the flow of the running couplings of an action file",
                       description=DESCRIPTION)
    p.add_argument("file", help="action file with a [running] table (e.g. ridge_quartic_flow.toml from symrg examples)")
    p.add_argument("--kappa-from", type=_positive("--kappa-from"), required=True,
                   help="UV cutoff where the flow starts (the initial values hold there); a mode index unless "
                        "--continuum")
    p.add_argument("--kappa-to", type=_positive("--kappa-to"), required=True,
                   help="IR cutoff where the flow ends; the modes --kappa-to + 1 .. --kappa-from are integrated out")
    p.add_argument("--continuum", action="store_true",
                   help="integrate the cutoff as a continuous variable (shell propagator G(kappa) d kappa) instead of "
                        "the discrete modes between the cutoffs")
    p.add_argument("--init", required=True, help="initial values of the running couplings, e.g. sigma2=0.01,u=1")
    p.add_argument("--param", default="", help="values of the other parameters, e.g. A=0.01,alpha=0.5")
    p.add_argument("--points", type=int, default=50, help="number of cutoffs in the output grid (default 50)")
    p.add_argument("--loops", type=int, choices=(0, 1), default=None,
                   help="1: the terms first order in the shell width, tadpoles (one vertex, one line) and trees (two "
                        "vertices, one line); 0: the trees only (default: the file's)")
    p.add_argument("--max-degree", type=int, default=None, help="kept operators up to this degree "
                                                                "(default: the file's)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


CLI_NAMES = {"init": "--init", "params": "--param", "kappa_from": "--kappa-from", "kappa_to": "--kappa-to",
             "points": "--points", "max_degree": "--max-degree", "source": "file", "continuum": "--continuum"}


def run(args) -> int:
    from ..api import solve

    sol = solve(args.file, parse_assignments(args.init, "--init"), parse_assignments(args.param, "--param"),
                kappa_from=args.kappa_from, kappa_to=args.kappa_to, continuum=args.continuum, points=args.points,
                loops=args.loops, max_degree=args.max_degree, names=CLI_NAMES)
    if sol.validity is not None and not sol.validity["ok"]:
        print(f"symrg solve: warning: {sol.validity['note']}", file=sys.stderr)
    if args.json:
        _print_json(sol.to_dict())
        return 0
    lines = sol.describe().split("; ")
    print(f"# {lines[0]}; {'; '.join(lines[1:])}")
    for g, v in sol.beta.items():
        print(f"# d{g}/d{sol.cutoff} = {v}")
    idx = sorted(set(int(round(x)) for x in [i * (len(sol.kappa) - 1) / 10 for i in range(11)]))
    rows = [{sol.cutoff: float(sol.kappa[i]), **{g: float(sol[g][i]) for g in sol.couplings}} for i in idx]
    print(_table(rows, [sol.cutoff] + list(sol.couplings)))
    if sol.fixed_points:
        for fp in sol.fixed_points:
            bound = {True: "action bounded below", False: "action UNBOUNDED BELOW",
                     None: "boundedness undecided"}[fp["bounded"]]
            print("fixed point " + ", ".join(f"{g} = {fp[g]:.6g}" for g in sol.couplings) + "; exponents "
                  + ", ".join(f"{e:.6g}" for e in fp["exponents"]) + f"; {bound} ({fp['bounded_reason']})")
    else:
        print("no fixed point at these parameters")
    return 0


def main(argv=None) -> int:
    """``python -m symrg.cli.solve ...``: the same as ``symrg solve ...``."""
    from ._common import standalone
    return standalone(add_parser, "solve", argv)
