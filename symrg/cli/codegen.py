"""``symrg codegen FILE -o module.py``: lower the derived flow of an action file to a NumPy module and its
mpmath twin.

With running couplings (a ``[running]`` table) the module holds ``beta_<g>`` and their Jacobian
``jac_<gi>__<gj>``; otherwise the coefficients of the Wilsonian step to ``--order``
(``coefficient_<monomial>``), their flows (``flow_<monomial>``) and closed-form mode sums
(``sum_<c>``).  ``module_mp.py`` beside it is the mpmath twin.  docs/theory.md section 3.
"""
from __future__ import annotations

import sys

from ..errors import ParameterError
from ._common import _print_json

__all__ = ["add_parser", "run", "JSON_KEYS", "DESCRIPTION"]

DESCRIPTION = ("Write the derived flow of an action file as a generated NumPy module and its mpmath twin "
               "(module.py and module_mp.py, with provenance headers): the beta functions and their Jacobian when "
               "the file declares running couplings, else the coefficients of S_eff to --order and their flows "
               "(docs/theory.md section 3).")

JSON_KEYS = {
    "module": "path of the generated NumPy module",
    "mpmath_module": "path of its mpmath twin",
    "kind": "running (beta functions) or step (coefficients of S_eff)",
    "functions": "the generated functions, by name",
    "functions.<function>": "one function",
    "functions.<function>.arguments": "its arguments, in order",
    "functions.<function>.expression": "the SymPy expression it evaluates",
    "source_sha256": "sha256 of the expressions (also in the module's header)",
}


def _order(text):
    from .derive import _order as order
    return order(text)


def add_parser(sub):
    p = sub.add_parser("codegen", help="lower the derived flow of an action file to a NumPy module + mpmath twin",
                       description=DESCRIPTION)
    p.add_argument("file", help="action file (TOML; docs/actions.md; symrg examples lists the bundled ones)")
    p.add_argument("-o", "--output", required=True, metavar="MODULE.py",
                   help="path of the NumPy module to write; the mpmath twin goes beside it as MODULE_mp.py")
    p.add_argument("--order", type=_order, default=2,
                   help="order in the interaction of the Wilsonian step (actions without running couplings; default 2)")
    p.add_argument("--max-degree", type=int, default=None, help="kept monomials up to this total degree")
    p.add_argument("--resum", action="store_true", help="integrate the quadratic part of the integrated fields exactly")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..codegen.flows import flow_functions, step_functions, write_module
    from ..codegen.printer import source_hash
    from ..engine import load_action, wilson_step
    from ..engine.running import derive_flow

    action = load_action(args.file)
    if args.max_degree is not None and not 0 <= args.max_degree <= 256:
        raise ParameterError("--max-degree", args.max_degree, "an integer in [0, 256]")
    if action.running is not None:
        if args.max_degree is not None:
            from ..engine.running import check_max_degree
            check_max_degree(action, args.max_degree, "--max-degree")
        result = derive_flow(action, max_degree=args.max_degree)
        funcs, kind = flow_functions(result), "running"
    else:
        from .derive import check_cost
        check_cost(action, args.order, False, args.max_degree)
        result = wilson_step(action, args.order, diagrams=False, max_degree=args.max_degree, resum=args.resum)
        funcs, kind = step_functions(result), "step"
    try:
        path, mp_path = write_module(result, args.output, source="symrg codegen")
    except OSError as exc:         # a read-only folder, a full disk: nothing was replaced
        raise ParameterError("-o", args.output, "a writable file path",
                             f"{exc.strerror or exc}; neither module was written") from None
    doc = {"module": str(path), "mpmath_module": str(mp_path), "kind": kind,
           "functions": {n: {"arguments": [a if isinstance(a, str) else a[0] for a in spec[0]],
                             "expression": str(spec[1])} for n, spec in sorted(funcs.items())},
           "source_sha256": source_hash(funcs)}
    if args.json:
        _print_json(doc)
        return 0
    print(f"wrote {path} and {mp_path} ({kind}, sha256 {doc['source_sha256'][:12]}...)")
    for n, f in doc["functions"].items():
        print(f"  {n}({', '.join(f['arguments'])}) = {f['expression']}")
    return 0


def main(argv=None) -> int:
    """``python -m symrg.cli.codegen ...``: the same as ``symrg codegen ...``."""
    from ._common import standalone
    return standalone(add_parser, "codegen", argv)
