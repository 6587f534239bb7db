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
import importlib.util
import math
import sys
import tempfile
from pathlib import Path

from ..errors import ParameterError, SymrgError
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
}
_RESERVED = {k for k in JSON_KEYS if "." not in k and "[" not in k and not k.startswith("<")}


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


def _load_module(flow, folder: Path, modes: bool = False):
    from ..codegen.flows import flow_functions, write_module
    from ..codegen.printer import source_hash

    name = "symrg_flow_" + source_hash(flow_functions(flow, modes=modes))[:16]
    path, _ = write_module(flow, folder / f"{name}.py", source="symrg solve", modes=modes)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)   # a module printed by symrg.codegen from SymPy expressions, not user text
    return module


def _fixed_points(flow, params: dict, kappa_to: float) -> list:
    import numpy as np

    out = []
    for fp in flow.fixed_points(values=params):
        row = {}
        try:
            for g, v in fp.values.items():
                c = complex(v.evalf())
                if abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
                    raise TypeError
                row[str(g)] = c.real
        except TypeError:
            continue   # a complex fixed point is no fixed point of the real flow
        ex = [e.xreplace({flow.cutoff: kappa_to}) for e in fp.exponents]
        vals = [complex(e.evalf()) for e in ex]
        row["exponents"] = [v.real for v in vals]
        if any(abs(v.imag) > 1e-12 * max(1.0, abs(v)) for v in vals):
            row["exponents_imag"] = [v.imag for v in vals]
        if any(e.has(flow.cutoff) for e in fp.exponents):
            row["exponents_at_kappa"] = kappa_to
        bounded, why = fp.bounded, fp.bounded_reason
        if bounded is None:      # decided at the cutoff where the exponents are read
            bounded, why = flow.bounded_below({**params, **fp.values}, at_cutoff=kappa_to)
            why += f" (at {flow.cutoff} = {kappa_to:g})"
        row["bounded"], row["bounded_reason"] = bounded, why
        if all(np.isfinite(list(row[str(g)] for g in fp.values))):
            out.append(row)
    return out


def run(args) -> int:
    from ..engine import load_action
    from ..engine.running import check_max_degree, derive_flow
    from ..numerics.running import integrate_flow

    action = load_action(args.file)
    if action.running is None:
        raise ParameterError("file", args.file, "an action file with a [running] table (running couplings), "
                             "e.g. symrg/engine/examples/ridge_quartic_flow.toml")
    if args.max_degree is not None:
        check_max_degree(action, args.max_degree, "--max-degree")   # below a coupling's own degree it would not run
    if not 2 <= args.points <= 10_000:
        raise ParameterError("--points", args.points, "an integer in [2, 10000]")
    flow = derive_flow(action, loops=args.loops, max_degree=args.max_degree)
    names = [str(g) for g in flow.couplings]
    clash = sorted(set(names) & _RESERVED)
    if clash:
        raise ParameterError("file", args.file, f"coupling names other than {', '.join(sorted(_RESERVED))} "
                             f"(they are keys of the output; rename {', '.join(clash)})")
    init = parse_assignments(args.init, "--init")
    params = parse_assignments(args.param, "--param")
    want_p = [str(p) for p in flow.parameters]
    if set(init) != set(names):
        raise ParameterError("--init", args.init, f"a value for each running coupling: {', '.join(names)}")
    known = {str(p) for p in action.parameters} - set(names)
    missing = sorted(set(want_p) - set(params))
    unknown = sorted(set(params) - known)
    if missing or unknown:
        raise ParameterError("--param", args.param, f"a value for each parameter of the flow: "
                             f"{', '.join(want_p) or '(none)'}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; {', '.join(unknown)} is not a parameter of the action" if unknown else ""))
    init = action.check_values(init, "--init", others=params)   # declared assumptions (docs/actions.md)
    params = action.check_values(params, "--param", others=init)
    params = {k: v for k, v in params.items() if k in want_p}   # parameters the flow does not depend on drop out
    discrete = not args.continuum
    k0, k1 = args.kappa_from, args.kappa_to
    if discrete:
        for flag, v in (("--kappa-from", k0), ("--kappa-to", k1)):
            if v != round(v):
                raise ParameterError(flag, v, "an integer: the cutoff counts modes (--kappa-from 1000 --kappa-to 10 "
                                              "integrates out the modes 11..1000); or give --continuum")
        if k0 == k1:
            raise ParameterError("--kappa-to", k1, f"a cutoff other than --kappa-from = {k0:g}")
        from ..numerics.running import MAX_MODES
        if abs(k0 - k1) > MAX_MODES:
            raise ParameterError("--kappa-from", k0, f"at most {MAX_MODES} modes between --kappa-from and "
                                                     f"--kappa-to (one integration per mode), or give --continuum")
    from ..codegen.flows import python_name
    with tempfile.TemporaryDirectory(prefix="symrg-solve-") as tmp:
        module = _load_module(flow, Path(tmp), modes=discrete)
        sol = integrate_flow(module, {python_name(k): v for k, v in init.items()},
                             {python_name(k): v for k, v in params.items()}, k0, k1, points=args.points,
                             shells="discrete" if discrete else "continuum",
                             mode=python_name(flow.mode.name) if discrete else None)
    fps = _fixed_points(flow, params, args.kappa_to)
    lo, hi = (int(min(k0, k1)) + 1, int(max(k0, k1)))
    doc = {"action": action.name, "cutoff": str(flow.cutoff), "couplings": names, "parameters": params,
           "beta": {str(g): str(v) for g, v in flow.beta.items()},
           "shells": "discrete" if discrete else "continuum"}
    if discrete:
        doc["modes"] = [lo, hi]
    doc["kappa"] = sol.kappa.tolist()
    for g in names:
        doc[g] = sol.values[python_name(g)].tolist()
    doc["error_estimate"] = sol.error_estimate
    doc["fixed_points"] = fps
    if args.json:
        _print_json(doc)
        return 0
    scheme = "trees only" if flow.loops == 0 else "tadpoles and trees: first order in the shell width"
    what = (f"the modes {lo}..{hi} {'integrated out' if k0 > k1 else 'restored'} one at a time (discrete shells; "
            f"--continuum for a continuous cutoff)" if discrete else
            f"{flow.cutoff} continuous from {k0:g} to {k1:g} (--continuum)")
    print(f"# flow of {', '.join(names)} for {action.name or args.file}: {what}; {scheme}, kept degree <= "
          f"{flow.max_degree}; error estimate {sol.error_estimate:.1e}")
    for g, v in flow.beta.items():
        print(f"# d{g}/d{flow.cutoff} = {v}")
    idx = sorted(set(int(round(x)) for x in [i * (len(sol.kappa) - 1) / 10 for i in range(11)]))
    rows = [{str(flow.cutoff): float(sol.kappa[i]), **{g: float(sol.values[python_name(g)][i]) for g in names}}
            for i in idx]
    print(_table(rows, [str(flow.cutoff)] + names))
    if fps:
        for fp in fps:
            bound = {True: "action bounded below", False: "action UNBOUNDED BELOW",
                     None: "boundedness undecided"}[fp["bounded"]]
            print("fixed point " + ", ".join(f"{g} = {fp[g]:.6g}" for g in names) + "; exponents "
                  + ", ".join(f"{e:.6g}" for e in fp["exponents"]) + f"; {bound} ({fp['bounded_reason']})")
    else:
        print("no fixed point at these parameters")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="symrg solve")
    sub = p.add_subparsers()
    add_parser(sub)
    args = p.parse_args(["solve"] + list(argv if argv is not None else sys.argv[1:]))
    try:
        return run(args)
    except SymrgError as exc:
        print(f"symrg solve: error: {exc}", file=sys.stderr)
        return 2
