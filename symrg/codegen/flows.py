"""Lowering of a user's derived flow to an importable NumPy module and its mpmath twin
(docs/theory.md section 3; the printer is :mod:`symrg.codegen.printer`).

* :func:`flow_functions` -- the running couplings of a :class:`~symrg.engine.running.FlowResult`:
  ``beta_<g>(g..., parameters..., kappa)`` for every coupling and ``jac_<gi>__<gj>`` (its
  derivatives, for stiff solvers and stability matrices), and the fused ``rhs(kappa, y, params)`` /
  ``jac(kappa, y, params)`` of all couplings at once (:func:`fused_spec`; plain floats, ``rhs_array`` /
  ``jac_array`` vectorised, the solver's right-hand side in :func:`symrg.numerics.running.integrate_flow`); with ``modes=True`` the index of the mode
  at the cutoff is an argument of its own, ``beta_<g>(g..., parameters..., k, kappa)``
  (``FlowResult.beta_modes``), for the flow over discrete modes;
* :func:`step_functions` -- a Wilsonian step without running couplings
  (:class:`~symrg.engine.wilson.WilsonResult`): ``coefficient_<monomial>`` and ``flow_<monomial>``
  of every coefficient of ``S_eff`` and, for mode sums with an explicit summand, ``sum_<c>`` (closed
  form) as functions of the parameters;
* :func:`write_module` -- writes ``NAME.py`` and its twin ``NAME_mp.py`` (atomically);
* :func:`regenerate_running_flow` -- the committed worked example
  (``symrg/_generated/ridge_quartic_flow.py`` and ``_mp``), byte-identical on regeneration.

A function's arguments are the symbols in a fixed order (couplings, then parameters sorted by name,
then the cutoff).  A name that generated code reserves (a Python keyword such as ``lambda``, a module it imports
such as ``numpy`` or ``mpmath``, a builtin it calls) gets one more trailing underscore, and so does a name that
is such a name followed by underscores: ``lambda -> lambda_``, ``lambda_ -> lambda__``, ``numpy -> numpy_``
(:func:`symrg.codegen.printer.safe_name`; one-to-one, so two names of an action never become one).
"""
from __future__ import annotations

import keyword
from pathlib import Path

import sympy as sp

from .._io import atomic_write_group
from ..errors import ParameterError
from .printer import CodegenError, render_module, safe_name

__all__ = ["flow_functions", "fused_spec", "step_functions", "module_texts", "write_module", "python_name", "check_function_names",
           "running_flow_functions", "regenerate_running_flow", "WORKED_EXAMPLE", "shadowed_module"]

WORKED_EXAMPLE = "ridge_quartic_flow"     # symrg/engine/examples/<this>.toml -> symrg/_generated/<this>.py


def python_name(name: str) -> str:
    """``name`` as a Python identifier for a generated argument or function (module docstring: reserved
    names get one more ``_``)."""
    return safe_name(name)


def _put(out: dict, name: str, spec, what: str) -> None:
    """``out[name] = spec``, refusing two functions of one name (``jac_a__b__c`` from (a, b__c) and (a__b, c))."""
    if name in out:
        raise CodegenError(f"two generated functions would be named {name} ({what}); rename a coupling, field or "
                           f"parameter so that their names differ")
    out[name] = spec


def _monomial_name(m) -> str:
    if m == 1:
        return "1"
    parts = []
    for f in sp.Mul.make_args(m):
        base, e = f.as_base_exp()
        parts.append(str(base) + (f"pow{e}" if e != 1 else ""))
    name = "_".join(parts).replace("<", "less").replace(">", "greater")
    if not name.replace("_", "a").isidentifier():
        raise CodegenError(f"the monomial {m} has no Python name")
    return name


def flow_functions(flow, modes: bool = False) -> dict:
    """Function table (name -> (args, expr, doc)) of the beta functions and their Jacobian; ``modes=True``:
    of ``flow.beta_modes``, with the mode index ``flow.mode`` as the argument before the cutoff."""
    gs = list(flow.couplings)
    beta = flow.beta
    extra = []
    if modes:
        if flow.mode is None or flow.beta_modes is None:
            raise CodegenError("this flow carries no mode index (derive it again with symrg.engine.running.derive_flow)")
        beta = flow.beta_modes
        extra = [(python_name(flow.mode.name), flow.mode)]
    args = [(python_name(g.name), g) for g in gs] + [(python_name(p.name), p) for p in flow.parameters] \
        + extra + [(python_name(flow.cutoff.name), flow.cutoff)]
    kap = flow.cutoff.name
    what = f", the propagators at the mode {flow.mode}" if modes else ""
    out = {}
    for g in gs:
        out[f"beta_{python_name(g.name)}"] = (args, beta[g],
                                              f"d {g}/d {kap} (running coupling read off {flow.operators[g]}{what}; "
                                              f"docs/theory.md section 3)")
    for gi in gs:
        for gj in gs:
            out[f"jac_{python_name(gi.name)}__{python_name(gj.name)}"] = (
                args, sp.factor(sp.diff(beta[gi], gj)), f"d beta_{gi} / d {gj}")
    return out


def fused_spec(functions: dict) -> dict:
    """The fused right-hand side of a table of :func:`flow_functions` (the same expressions, the same argument
    names, so the two cannot disagree): ``rhs(kappa, y, params)`` and ``jac(kappa, y, params)`` with ``y`` the
    couplings and ``params`` the parameters in the beta functions' argument order (with ``modes=True`` the mode
    index is the last parameter) (:func:`symrg.codegen.printer.render_fused`)."""
    betas = [n for n in functions if n.startswith("beta_")]
    if not betas:
        raise CodegenError("no beta_<coupling> functions to fuse")
    args = functions[betas[0]][0]
    n = len(betas)
    gs = [name for name, _ in args[:n]]
    if sorted(f"beta_{g}" for g in gs) != sorted(betas) or any(functions[f"beta_{g}"][0] != args for g in gs):
        raise CodegenError("the beta functions to fuse must share their arguments, the couplings first")
    return {"couplings": args[:n], "params": args[n:-1], "cutoff": args[-1],
            "betas": [functions[f"beta_{g}"][1] for g in gs],
            "jac": [[functions[f"jac_{gi}__{gj}"][1] for gj in gs] for gi in gs]}


def step_functions(res) -> dict:
    """Function table of a Wilsonian step: coefficients, their flows and closed-form mode sums."""
    syms = set()
    exprs = list(res.coefficients.values()) + list(res.flow.values())
    sums = res.sums_closed_form()
    exprs += [c for c, _ in sums.values()]
    for e in exprs:
        syms |= e.free_symbols
    if any(e.has(sp.Integral) for e in exprs):
        raise CodegenError("the coefficients of local couplings are integrals over the data measure, which have "
                           "no NumPy form; lower a mode-field action (or its per-input form) instead")
    args = [(python_name(s.name), s) for s in sorted(syms, key=lambda s: s.name)]
    out = {}
    for m, c in res.coefficients.items():
        _put(out, f"coefficient_{_monomial_name(m)}", (args, c, f"coefficient of {m} in S_eff (order {res.order})"),
             f"coefficient of {m}")
    for m, c in res.flow.items():
        _put(out, f"flow_{_monomial_name(m)}", (args, c, f"d/dkappa of the coefficient of {m}"), f"flow of {m}")
    for c, (closed, _) in sums.items():
        _put(out, f"sum_{python_name(c.name)}", (args, closed, f"{c} = sum over the modes above the cutoff "
                                                               f"(closed form)"), f"sum {c}")
    if not out:
        raise CodegenError("nothing to lower: the step has no coefficients")
    return out


def check_function_names(flow) -> None:
    """Refuse a flow whose generated functions would share a name (``jac_a__b__c`` from the couplings
    (a, b__c) and (a__b, c)): :func:`flow_functions` would keep only one of them."""
    if flow is None:
        return
    names = {}
    gs = [python_name(g.name) for g in flow.couplings]
    for what, name in [(f"beta of {g}", f"beta_{g}") for g in gs] + \
            [(f"d beta_{gi} / d {gj}", f"jac_{gi}__{gj}") for gi in gs for gj in gs]:
        if name in names:
            raise CodegenError(f"two generated functions would be named {name} ({names[name]}, {what}); rename a "
                               f"coupling so that their names differ")
        names[name] = what


def module_texts(functions: dict, name: str, doc: str, source: str, fused: dict | None = None) -> dict:
    """``{name: NumPy module text, name_mp: mpmath twin text}``; ``fused``: with the fused right-hand side
    (:func:`fused_spec`)."""
    return {name: render_module(functions, name, backend="numpy", doc=doc, source=source, fused=fused),
            f"{name}_mp": render_module(functions, f"{name}_mp", backend="mpmath", doc=doc, source=source,
                                        fused=fused)}


def write_module(result, path, *, source: str = "symrg codegen", modes: bool = False) -> tuple:
    """Write the derived flow of ``result`` (a FlowResult, or a WilsonResult -- its running couplings when
    it has them, else its coefficients) to ``path`` (``.../NAME.py``) and its mpmath twin
    ``.../NAME_mp.py``; returns the two paths.  ``modes``: the flow's mode index as an argument of its own
    (:func:`flow_functions`)."""
    path = Path(path)
    name = path.stem
    if path.is_dir():
        raise ParameterError("output", str(path), "a file path NAME.py", "it is a directory")
    if path.suffix != ".py" or not name.isidentifier() or keyword.iskeyword(name):
        raise ParameterError("output", str(path), "a path ending in NAME.py with NAME a Python identifier")
    for n in (name, f"{name}_mp"):
        where = shadowed_module(n, path.with_name(f"{n}.py"))
        if where:
            raise ParameterError("output", str(path), "a module name that no importable module has",
                                 f"{n}.py would shadow the module {n} ({where}) for code run in its folder")
    flow = getattr(result, "running", None) if hasattr(result, "coefficients") else result
    check_function_names(flow)   # before anything is written (None: a step, nothing to check)
    fused = None
    if flow is not None:
        funcs = flow_functions(flow, modes=modes)
        fused = fused_spec(funcs)
        doc = (f"Running couplings of {flow.name or 'an action'}: beta functions d g/d {flow.cutoff} and their "
               f"Jacobian,\nderived by symrg.engine.running.derive_flow (docs/theory.md section 3)."
               + (f"\nThe propagators are those of the mode {flow.mode} (an argument of its own)." if modes else ""))
    else:
        funcs = step_functions(result)
        doc = (f"Wilsonian step of {result.action.name or 'an action'} to order {result.order}: coefficients of "
               f"S_eff and their flows,\nderived by symrg.engine.wilson_step (docs/theory.md section 3).")
    texts = module_texts(funcs, name, doc, source, fused)
    return atomic_write_group({path.with_name(f"{n}.py"): t for n, t in texts.items()}, "output")


def shadowed_module(name: str, path=None) -> str:
    """Where an importable module called ``name`` lives ("the standard library", a file), or "" when
    there is none besides ``path`` itself (a module regenerated in place shadows nothing)."""
    import importlib.util
    import os
    import sys

    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        return "the standard library"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):          # in sys.modules without a spec, a broken package
        return "already imported" if name in sys.modules else ""
    if spec is None:
        return ""
    origin = spec.origin if spec.origin not in (None, "built-in", "frozen") else None
    if origin and path is not None and os.path.realpath(origin) == os.path.realpath(path):
        return ""
    return origin or spec.origin or "importable"


# -- the committed worked example -------------------------------------------------------------------
def running_flow_functions() -> dict:
    """Function table of the worked example (ridge + local quartic over a power law)."""
    from ..engine import example_path, load_action
    from ..engine.running import derive_flow

    return flow_functions(derive_flow(load_action(example_path(WORKED_EXAMPLE))))


_RUNNING_DOC = ("Running couplings (sigma2, u) of the ridge with a local quartic coupling over a power-law spectrum\n"
                "(docs/theory.md sections 3, 4 and 6), generated by symrg.codegen.flows.regenerate_running_flow from\n"
                "symrg.engine.running.derive_flow of symrg/engine/examples/ridge_quartic_flow.toml.")


def regenerate_running_flow(check: bool = False, out_dir=None) -> dict:
    """(Re)write ``symrg/_generated/ridge_quartic_flow.py`` and its mpmath twin (``check=True``: compare only,
    raising :class:`~symrg.errors.VerificationError` on drift)."""
    from .modules import _write_or_check

    funcs = running_flow_functions()
    texts = module_texts(funcs, WORKED_EXAMPLE, _RUNNING_DOC, "symrg.codegen.flows.regenerate_running_flow",
                         fused_spec(funcs))
    return _write_or_check(texts, out_dir, check, "running_flow")
