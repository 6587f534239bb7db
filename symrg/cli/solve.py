"""``symrg solve FILE --kappa-from K0 --kappa-to K1 --init g1=v1,g2=v2 [--param p=v,...]``: run the flow
of the running couplings of an action file from the UV to the IR.

Derives the beta functions (``symrg.engine.running.derive_flow``), lowers them to a generated NumPy
module (``symrg.codegen.flows``, in a temporary folder), integrates them with ``solve_ivp``
(``symrg.numerics.running.integrate_flow``), and finds the fixed points with the eigenvalues of
their stability matrix.  docs/theory.md section 3.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import tempfile
from pathlib import Path

from ..errors import ParameterError
from ._common import _print_json, _table

__all__ = ["add_parser", "run", "JSON_KEYS", "DESCRIPTION", "parse_assignments"]

DESCRIPTION = ("Integrate the flow of the running couplings of an action file (a [running] table) in the cutoff "
               "kappa, from --kappa-from (UV) to --kappa-to (IR), starting at --init, with the other parameters set "
               "by --param; the beta functions are derived by the engine, lowered to a generated NumPy module and "
               "integrated with SciPy's solve_ivp. Prints the couplings along the flow and the fixed points with "
               "the eigenvalues of their stability matrix (docs/theory.md section 3).")

JSON_KEYS = {
    "action": "name of the action",
    "cutoff": "name of the cutoff",
    "couplings": "the running couplings, in the order of the state vector",
    "parameters": "the other parameters -> their values",
    "parameters.<parameter>": "one value",
    "beta": "coupling -> dg/dkappa (SymPy syntax)",
    "beta.<coupling>": "the beta function of that coupling",
    "kappa": "the cutoffs of the output grid, from --kappa-from to --kappa-to (geometric)",
    "<coupling>": "the coupling at each cutoff of kappa (one array per coupling)",
    "error_estimate": "largest relative change of the couplings when the ODE tolerance is tightened 100 times",
    "fixed_points": "fixed points of the flow at these parameters (beta = 0 at every kappa); empty if none",
    "fixed_points[].<coupling>": "[fixed points] the value of that coupling",
    "fixed_points[].exponents": "[fixed points] eigenvalues of the stability matrix kappa d beta_i / d g_j "
                                "(real parts)",
    "fixed_points[].exponents_imag": "[fixed points with complex exponents] their imaginary parts",
    "fixed_points[].exponents_at_kappa": "[fixed points whose exponents depend on kappa] the cutoff they are "
                                         "evaluated at (--kappa-to)",
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
    p.add_argument("file", help="action file with a [running] table (e.g. symrg/engine/examples/ridge_quartic_flow.toml)")
    p.add_argument("--kappa-from", type=_positive("--kappa-from"), required=True,
                   help="UV cutoff where the flow starts (the initial values hold there)")
    p.add_argument("--kappa-to", type=_positive("--kappa-to"), required=True, help="IR cutoff where the flow ends")
    p.add_argument("--init", required=True, help="initial values of the running couplings, e.g. sigma2=0.01,u=1")
    p.add_argument("--param", default="", help="values of the other parameters, e.g. A=0.01,alpha=0.5")
    p.add_argument("--points", type=int, default=50, help="number of cutoffs in the output grid (default 50)")
    p.add_argument("--loops", type=int, choices=(0, 1), default=None,
                   help="0: tree terms of the shell integration only; 1: tree and one loop (default: the file's)")
    p.add_argument("--max-degree", type=int, default=None, help="kept operators up to this degree "
                                                                "(default: the file's)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def _load_module(flow, folder: Path):
    from ..codegen.flows import flow_functions, write_module
    from ..codegen.printer import source_hash

    name = "symrg_flow_" + source_hash(flow_functions(flow))[:16]
    path, _ = write_module(flow, folder / f"{name}.py", source="symrg solve")
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
        if all(np.isfinite(list(row[str(g)] for g in fp.values))):
            out.append(row)
    return out


def run(args) -> int:
    from ..engine import load_action
    from ..engine.running import derive_flow
    from ..numerics.running import integrate_flow

    action = load_action(args.file)
    if action.running is None:
        raise ParameterError("file", args.file, "an action file with a [running] table (running couplings), "
                             "e.g. symrg/engine/examples/ridge_quartic_flow.toml")
    if args.max_degree is not None and not 0 <= args.max_degree <= 64:
        raise ParameterError("--max-degree", args.max_degree, "an integer in [0, 64]")
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
    params = {k: v for k, v in params.items() if k in want_p}   # parameters the flow does not depend on drop out
    from ..codegen.flows import python_name
    with tempfile.TemporaryDirectory(prefix="symrg-solve-") as tmp:
        module = _load_module(flow, Path(tmp))
        sol = integrate_flow(module, {python_name(k): v for k, v in init.items()},
                             {python_name(k): v for k, v in params.items()}, args.kappa_from, args.kappa_to,
                             points=args.points)
    fps = _fixed_points(flow, params, args.kappa_to)
    doc = {"action": action.name, "cutoff": str(flow.cutoff), "couplings": names, "parameters": params,
           "beta": {str(g): str(v) for g, v in flow.beta.items()}, "kappa": sol.kappa.tolist()}
    for g in names:
        doc[g] = sol.values[python_name(g)].tolist()
    doc["error_estimate"] = sol.error_estimate
    doc["fixed_points"] = fps
    if args.json:
        _print_json(doc)
        return 0
    print(f"# flow of {', '.join(names)} for {action.name or args.file} ({'tree' if flow.loops == 0 else 'tree + one loop'}"
          f", kept degree <= {flow.max_degree}); error estimate {sol.error_estimate:.1e}")
    for g, v in flow.beta.items():
        print(f"# d{g}/d{flow.cutoff} = {v}")
    idx = sorted(set(int(round(x)) for x in [i * (len(sol.kappa) - 1) / 10 for i in range(11)]))
    rows = [{str(flow.cutoff): float(sol.kappa[i]), **{g: float(sol.values[python_name(g)][i]) for g in names}}
            for i in idx]
    print(_table(rows, [str(flow.cutoff)] + names))
    if fps:
        for fp in fps:
            print("fixed point " + ", ".join(f"{g} = {fp[g]:.6g}" for g in names) + "; exponents "
                  + ", ".join(f"{e:.6g}" for e in fp["exponents"]))
    else:
        print("no fixed point at these parameters")
    return 0


def main(argv=None) -> int:
    """``python -m symrg.cli.solve ...``: the same as ``symrg solve ...``."""
    from ._common import standalone
    return standalone(add_parser, "solve", argv)
