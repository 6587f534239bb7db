"""``symrg finite-width``: excess kurtosis, quartic coupling and the O(1/width) posterior of a
finite-width network against a Monte Carlo ensemble of finite-width networks.  ``--depth L`` (hidden layers)
uses the derived deep recursion (docs/theory.md section 6x) for the kurtosis and, at depth 2 and more (and for
step), the multi-input recursion for the O(1/N) posterior against importance-sampled Monte Carlo of actual deep
networks (:mod:`symrg.numerics.finite_width.deep_posterior`); the mode-space coupling is computed for one hidden
layer (ReLU, erf).

JSON keys: ``excess_kurtosis`` (single-input excess kurtosis of the output), ``coupling`` (mode-space
``U``, its local approximation ``u_local``), ``posterior`` (``gp``, ``one_over_n``, ``monte_carlo``,
``monte_carlo_sem`` on the test inputs; ``error_gp``, ``error_one_over_n`` = RMS differences from
``monte_carlo``; ``rms_sem``; ``ess``).  ``--study DIR`` runs the width sweep instead.
"""
from __future__ import annotations

import argparse
import sys
import warnings

from ._common import _check_finite, _flag_named, _print_json, _progress, _seed

__all__ = ["add_parser", "run", "JSON_KEYS", "JSON_KEYS_ALT"]

DESCRIPTION = ("Excess kurtosis, quartic coupling and the O(1/width) posterior of a finite-width network with L "
               "hidden layers against a Monte Carlo ensemble of finite-width networks (docs/theory.md sections 2.4 "
               "and 6); --study DIR runs the width sweep instead.")

_POSTERIOR = {
    "width": "hidden width N",
    "gp": "GP-limit (infinite-width) posterior mean at each test input",
    "one_over_n": "posterior mean to O(1/N) at each test input",
    "one_over_n_sem": "Monte Carlo standard error of the O(1/N) term",
    "monte_carlo": "ground truth: Monte Carlo posterior mean over finite-width networks",
    "monte_carlo_sem": "its standard error",
    "error_gp": "RMS difference GP - monte_carlo over the test inputs",
    "error_one_over_n": "RMS difference O(1/N) - monte_carlo",
    "rms_sem": "RMS of monte_carlo_sem",
    "resolved": "the Monte Carlo resolves the GP-vs-O(1/N) difference (RMS difference > 3 rms_sem)",
    "one_over_n_beats_gp": "error_one_over_n < error_gp",
    "ess": "effective sample size of the importance weights",
    "n_draws": "Monte Carlo networks drawn",
    "degenerate_weights": "true when ess is too small for the Monte Carlo to be trusted",
}

JSON_KEYS = {
    "activation": "relu, erf or step",
    "depth": "hidden layers L",
    "width": "hidden width N (every hidden layer)",
    "dim": "input dimension d (inputs on S^{d-1})",
    "n_train": "training points",
    "n_test": "test points",
    "ridge": "noise variance sigma^2",
    "seed": "random seed",
    "excess_kurtosis": "single-input excess kurtosis of the network output, the O(1/N) theory c/N",
    "excess_kurtosis_coefficient": "c in excess kurtosis = c/N + O(1/N^2) (the derived depth-L recursion)",
    "excess_kurtosis_mc": "[with --mc] Monte Carlo excess kurtosis of --mc networks of width N and depth L "
                          "(conditional estimator 3 Var(s2)/(E s2)^2)",
    "excess_kurtosis_mc_se": "[with --mc] its standard error",
    "note": "[beyond depth 10] what is not computed at this depth, and why",
    "validity": "whether the O(1/N) kurtosis is inside its range (docs/theory.md 6x): the next order, estimated as "
                "(c/N)^2 (L-1)/(6L) (exact for ReLU, whose moments are 3 (1+5/N)^L), at most 10% of c/N",
    "validity.parameter": "the expansion parameter, 'depth/width'",
    "validity.value": "its value L/N",
    "validity.ok": "true when the estimated next order is at most 10% of the printed c/N (else a warning on stderr)",
    "validity.next_order_estimate": "estimate of the neglected O(1/N^2) term of the excess kurtosis",
    "validity.next_order_relative": "that estimate over c/N",
    "validity.note": "the same in words",
    "coupling": "the quartic coupling in the Mercer modes of the training inputs",
    "coupling.n_modes": "[depth <= 10] modes kept",
    "coupling.eigenvalues": "[depth <= 10] their eigenvalues lambda_k",
    "coupling.U": "[depth <= 10] mode-space quartic coupling U_klmn (n_modes^4 nested lists; depth > 1: the vertex "
                  "by unit Monte Carlo over the layers)",
    "coupling.u_local": "[depth <= 10] least-squares local coupling u: U_klmn ~ u int dmu phi_k phi_l phi_m phi_n",
    "coupling.local_residual": "[depth <= 10] relative residual of the local approximation",
    "coupling.U_single_input": "[depth > 1 or step] the quartic coupling of the output field at one input, "
                               "-c/(N K^2)",
    "coupling.convention": "the action convention, in words",
    "posterior": "posterior means on the test inputs (relu, erf at depth 1: the one-layer route; depth 2..10 and "
                 "step: the deep multi-input recursion; null beyond depth 10, see note)",
    **{f"posterior.{k}": v for k, v in _POSTERIOR.items()},
}

JSON_KEYS_ALT = {"with --study DIR": {
    "<problem>": "one list of rows per problem (sphere data and digits), one row per width",
    **{f"<problem>[].{k}": _POSTERIOR[k] for k in ("width", "error_gp", "error_one_over_n", "rms_sem", "ess",
                                                    "resolved")},
    "<problem>[].error_second_order": "RMS difference (O(1/N) prediction + c2/N^2) - monte_carlo; c2 the "
                                      "O(1/N^2) coefficient (symrg.numerics.finite_width.second_order)",
    "<problem>[].c2_term_rms": "RMS over the test inputs of the O(1/N^2) term c2/N^2",
    "<problem>[].c2_term_sem_rms": "RMS standard error of c2/N^2 (Monte Carlo over units and pairs of units)",
    "<problem>[].n_draws_used": "Monte Carlo networks this cell drew: the budget, or fewer when the cell was "
                                "decided with margin (symrg.studies.finite_width_study.sizing_rule)",
}}


MAX_DEPTH = 10_000          # the recursion is O(L)
MAX_POSTERIOR_DEPTH = 10    # = symrg.numerics.finite_width.deep_posterior.MAX_POSTERIOR_DEPTH (not imported: fast --help)
MAX_MC_WIDTH = 8192         # the Monte Carlo holds one N x N weight matrix per network (8192: 0.5 GiB)
MEMORY_LIMIT = 2 * 2**30     # bytes of Monte Carlo arrays accepted without --allow-expensive
WORK_LIMIT = 10**11          # multiply-adds of the Monte Carlo (the default run needs 2.5e9)
STUDY_FILES = ("finite_width_study.json", "finite_width_study.png")
_FLAGS = {"width": "--width", "dim": "--dim", "n_train": "--n-train", "n_test": "--n-test", "ridge": "--ridge",
          "n_draws": "--draws", "seed": "--seed", "activation": "--activation", "depth": "--depth",
          "draws": "--mc"}
PARAM_FLAGS = _FLAGS    # what symrg.cli._common.flag_named maps, wherever in the command the error comes from


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--activation", default="relu",
                   help="hidden-unit activation: relu, erf or step (default relu)")
    p.add_argument("--depth", type=int, default=1,
                   help=f"hidden layers L, 1..{MAX_DEPTH} (default 1; the posterior up to L = {MAX_POSTERIOR_DEPTH}, "
                        "the mode-space coupling at L = 1 only)")
    p.add_argument("--mc", type=int, default=None, metavar="DRAWS",
                   help="also estimate the excess kurtosis from DRAWS >= 100 networks of width N and depth L "
                        "(actual weight matrices)")
    p.add_argument("--width", type=int, default=16, help="hidden width N >= 1 (default 16)")
    p.add_argument("--dim", type=int, default=5, help="input dimension d (sphere S^{d-1}, default 5)")
    p.add_argument("--n-train", type=int, default=16, help="training points, 1..2000 (default 16)")
    p.add_argument("--n-test", type=int, default=8, help="test points, 1..2000 (default 8)")
    p.add_argument("--ridge", type=float, default=0.1, help="noise variance sigma^2 (default 0.1)")
    p.add_argument("--draws", type=int, default=100_000, help="Monte Carlo networks, >= 40 (default 1e5)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed of the data and the Monte Carlo (default 0)")
    p.add_argument("--study", default=None, metavar="DIR",
                   help="run the width sweep N = 8..128 on sphere data and digits (only --activation applies) and "
                        "write the JSON and the figure into the folder DIR (replaced whole when the run is "
                        "complete; checked before anything is computed)")
    p.add_argument("--full", action="store_true", help="with --study: the full (slower) sweep")
    p.add_argument("--force", action="store_true",
                   help="with --study: replace the folder even when it holds files symrg did not write")
    p.add_argument("--allow-expensive", action="store_true",
                   help=f"run even when the Monte Carlo needs more than {MEMORY_LIMIT // 2**30} GiB or "
                        f"{WORK_LIMIT:.0e} multiply-adds")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)
    return p


def check_cost(args) -> None:
    """Validate the sizes (naming the flags) and refuse, before anything runs, a Monte Carlo past
    ``MEMORY_LIMIT`` or ``WORK_LIMIT`` (:func:`symrg.numerics.finite_width.monte_carlo_cost`)."""
    from .._validate import check_int, check_ridge
    from ..errors import ParameterError
    from ..numerics.finite_width import monte_carlo_cost

    N = check_int(args.width, "--width", 1)
    dim = check_int(args.dim, "--dim", 2, 10_000)
    n_train = check_int(args.n_train, "--n-train", 1, 2000)
    n_test = check_int(args.n_test, "--n-test", 1, 2000)
    draws = check_int(args.draws, "--draws", 40)
    check_ridge(args.ridge, "--ridge", allow_zero=False)
    L = check_int(args.depth, "--depth", 1, MAX_DEPTH)
    if args.mc is not None:
        from ..numerics.finite_width.deep_montecarlo import MC_WORK_LIMIT, deep_mc_cost

        mc = check_int(args.mc, "--mc", 100)
        if N > MAX_MC_WIDTH:
            raise ParameterError("--width", N, f"a width <= {MAX_MC_WIDTH} with --mc (each Monte Carlo network "
                                 f"holds an N x N weight matrix)", "lower --width or drop --mc")
        c = deep_mc_cost(N, L, mc)
        if c > MC_WORK_LIMIT and not args.allow_expensive:
            raise ParameterError("--mc", mc, f"a Monte Carlo of at most {MC_WORK_LIMIT:.0e} random numbers "
                                 f"(DRAWS x (N + (L-1)(N^2+N)) = {c:.3g} at width {N}, depth {L})",
                                 "lower --mc, --width or --depth, or pass --allow-expensive")
    m = n_train + n_test
    if L > 1 or args.activation == "step":
        if args.allow_expensive or L > MAX_POSTERIOR_DEPTH:
            return
        from ..numerics.finite_width.deep_posterior_mc import deep_posterior_mc_cost
        steps = deep_posterior_mc_cost(m, dim, N, L, draws)
        if steps > WORK_LIMIT:
            raise ParameterError("--draws", draws, f"a Monte Carlo of at most {WORK_LIMIT:.0e} multiply-adds "
                                 f"(--draws x (N m d + (L-1) N^2 m + N m^2 + m^3) = {steps:.3g} with N = {N}, "
                                 f"L = {L}, m = {m} points)",
                                 "lower --draws, --width, --depth, --n-train or --n-test, or pass --allow-expensive")
        return
    if args.allow_expensive:
        return
    cost = monte_carlo_cost(m, min(dim, m), N, draws)
    if cost["bytes"] > MEMORY_LIMIT:
        raise ParameterError("--width", N, f"a width whose Monte Carlo fits in {MEMORY_LIMIT / 2**30:g} GiB "
                             f"(this one needs {cost['bytes'] / 2**30:.3g} GiB for one batch of {cost['batch']} "
                             f"networks)", "lower --width, --n-train or --n-test, or pass --allow-expensive")
    if cost["steps"] > WORK_LIMIT:
        raise ParameterError("--draws", draws, f"a Monte Carlo of at most {WORK_LIMIT:.0e} multiply-adds "
                             f"(--draws x (N m r + N m^2 + m^3) = {cost['steps']:.3g} with N = {N}, m = {m} "
                             f"points, r = {min(dim, m)}; the default run needs 2.5e9)",
                             "lower --draws, --width, --n-train or --n-test, or pass --allow-expensive")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``finite-width`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser("finite-width", help="finite-width network: quartic coupling and O(1/N) posterior",
                              description=DESCRIPTION)
    return _configure(p)


def _run_study(args):
    """The width sweep into a temporary folder beside ``--study DIR``, swapped in when complete
    (:func:`symrg._io.prepare_output_dir`): the folder is checked before the 45 s of computing, and an
    interrupted run leaves the previous study whole."""
    import shutil

    from .._io import prepare_output_dir, swap_in
    from ..studies.finite_width_study import run_finite_width_study

    out, tmp = prepare_output_dir(args.study, "--study", owned=STUDY_FILES,
                                  force=getattr(args, "force", False))
    try:
        doc = run_finite_width_study(tmp, quick=not args.full, progress=None if args.json else _progress("widths"),
                                     activation=args.activation)
        _check_finite(doc["summary"])
        swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return doc


def _deep_doc(args, progress=None) -> dict:
    """The document at depth > 1 (or for step): the single-input kurtosis and coupling from the derived
    recursion, and the O(1/N) posterior of the deep network against importance-sampled Monte Carlo of actual
    deep networks (the multi-input recursion, docs/theory.md section 6x) up to ``MAX_POSTERIOR_DEPTH``."""
    from .._parallel import executor
    from ..numerics.finite_width.deep import deep_recursion
    from ..numerics.finite_width.deep_posterior import deep_quartic_coupling
    from ..numerics.finite_width.deep_posterior_mc import compare_deep_posteriors
    from ..numerics.finite_width.posterior import _sphere_problem

    r = deep_recursion(args.activation, args.depth)
    K = float(r.K[-1])
    note = ""
    post = None
    coupling = {"U_single_input": -r.coefficient / (args.width * K * K),
                "convention": "S = f^2/(2K) + U f^4/4! at one input; U = -kappa_4/K^4 (Edgeworth), kappa_4 = (c/N) K^2"}
    if args.depth <= MAX_POSTERIOR_DEPTH:
        X, y, Xt = _sphere_problem(args.dim, args.n_train, args.n_test, args.seed)
        cp = deep_quartic_coupling(args.activation, X, args.width, args.depth, min(3, args.n_train), seed=args.seed)
        coupling = {"n_modes": len(cp.eigenvalues), "eigenvalues": cp.eigenvalues.tolist(), "U": cp.U.tolist(),
                    "u_local": cp.u_local, "local_residual": cp.local_residual,
                    "convention": cp.to_dict()["convention"], **coupling}
        with executor(progress=progress) as ex:
            post = compare_deep_posteriors(args.activation, X, y, Xt, args.depth, args.width, args.ridge,
                                           n_draws=args.draws, seed=args.seed, executor=ex).to_dict()
    else:
        note = (f"the mode-space coupling and the posterior are computed up to depth {MAX_POSTERIOR_DEPTH} (the unit "
                "Monte Carlo of the vertex and the network Monte Carlo grow with the depth); the coupling is given at "
                "one input")
    return {"activation": args.activation, "depth": args.depth, "width": args.width, "dim": args.dim,
            "n_train": args.n_train, "n_test": args.n_test, "ridge": args.ridge, "seed": args.seed,
            "coupling": coupling, "posterior": post, **({"note": note} if note else {})}


def run(args) -> int:
    from ..errors import ParameterError, SymrgError
    from ..numerics.finite_width import DegenerateWeightsWarning
    from ..numerics.finite_width.deep import check_deep_activation, deep_kurtosis_coefficient
    from ..numerics.finite_width.deep_montecarlo import deep_kurtosis_mc
    from ..numerics.finite_width.moments import _check_activation
    from ..numerics.validity import kurtosis_validity
    from ..studies.finite_width_study import finite_width_report

    try:
        try:
            if args.study:
                _check_activation(args.activation)
                if args.depth != 1:
                    raise ParameterError("--depth", args.depth, "1 with --study (the width sweep is for one hidden "
                                         "layer)", "drop --study to compare the deep posterior at one width")
                doc = _run_study(args)
            else:
                check_deep_activation(args.activation)
                check_cost(args)
                if args.depth == 1 and args.activation != "step":
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always", DegenerateWeightsWarning)
                        doc = finite_width_report(args.activation, args.width, args.dim, args.n_train, args.seed,
                                                  n_test=args.n_test, ridge=args.ridge, n_draws=args.draws,
                                                  progress=None if args.json else _progress("Monte Carlo draws"))
                    for w in caught:
                        print(f"symrg finite-width: warning: {w.message}", file=sys.stderr)
                    doc = {"activation": doc["activation"], "depth": 1, **{k: v for k, v in doc.items()
                                                                           if k != "activation"}}
                else:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always", DegenerateWeightsWarning)
                        doc = _deep_doc(args, progress=None if args.json else _progress("Monte Carlo tasks"))
                    for w in caught:
                        print(f"symrg finite-width: warning: {w.message}", file=sys.stderr)
                c = deep_kurtosis_coefficient(args.activation, args.depth)
                doc["excess_kurtosis"] = c / args.width
                doc["excess_kurtosis_coefficient"] = c
                validity = kurtosis_validity(c, args.depth, args.width)
                doc["validity"] = validity.to_dict()
                if validity.warning("finite-width"):
                    print(validity.warning("finite-width"), file=sys.stderr)
                if args.mc is not None:
                    k, se = deep_kurtosis_mc(args.activation, args.depth, args.width, args.mc, args.seed,
                                             method="weights", allow_expensive=args.allow_expensive)
                    doc["excess_kurtosis_mc"], doc["excess_kurtosis_mc_se"] = k, se
                _check_finite(doc)
        except ParameterError as exc:
            raise _flag_named(exc, _FLAGS) from None
    except SymrgError:
        raise       # reported by symrg.cli.main: one line, naming the flag the user typed
    if args.study:
        if args.json:
            _print_json(doc["summary"])
            return 0
        for name, rows in doc["summary"].items():
            print(f"# {name}")
            print(f"{'N':>5} {'error_gp':>10} {'error_1/N':>10} {'error_1/N^2':>11} {'MC sem':>9} {'ESS':>9}")
            for r in rows:
                e2 = r.get("error_second_order", float("nan"))
                print(f"{r['width']:>5} {r['error_gp']:>10.4g} {r['error_one_over_n']:>10.4g} {e2:>11.4g} "
                      f"{r['rms_sem']:>9.3g} {r['ess']:>9.0f}")
        return 0
    if args.json:
        _print_json(doc)
        return 0
    post = doc["posterior"]
    print(f"# {doc['activation']} network, depth {doc['depth']}, width {doc['width']}, d={doc['dim']}, "
          f"n={doc['n_train']}, ridge {doc['ridge']}")
    print(f"excess kurtosis (single input): {doc['excess_kurtosis']:.6g} = c/N, c = "
          f"{doc['excess_kurtosis_coefficient']:.6g}")
    v = doc["validity"]
    print(f"validity ({v['parameter']} = {v['value']:.3g}): {'ok' if v['ok'] else 'NOT OK'}; next order ~ "
          f"{v['next_order_estimate']:.3g} ({v['next_order_relative']:.2g} of the first)")
    if "excess_kurtosis_mc" in doc:
        print(f"Monte Carlo ({args.mc} networks): {doc['excess_kurtosis_mc']:.6g} +- {doc['excess_kurtosis_mc_se']:.2g}")
    if "U_single_input" in doc["coupling"]:
        print(f"quartic coupling at one input U: {doc['coupling']['U_single_input']:.6g}")
    if "u_local" in doc["coupling"]:
        print(f"local quartic coupling u: {doc['coupling']['u_local']:.6g} "
              f"(relative residual {doc['coupling']['local_residual']:.3g})")
    if "note" in doc:
        print(f"note: {doc['note']}")
    if post is None:
        return 0
    print(f"{'x':>3} {'GP':>10} {'1/N':>10} {'MC':>10} {'MC sem':>9}")
    for i, (a, b, c, s) in enumerate(zip(post["gp"], post["one_over_n"], post["monte_carlo"], post["monte_carlo_sem"])):
        print(f"{i:>3} {a:>10.5f} {b:>10.5f} {c:>10.5f} {s:>9.2g}")
    print(f"RMS error: GP {post['error_gp']:.4g}, 1/N {post['error_one_over_n']:.4g}, MC sem {post['rms_sem']:.3g}, "
          f"ESS {post['ess']:.0f}{' (DEGENERATE)' if post['degenerate_weights'] else ''}")
    return 0


def main(argv=None) -> int:
    """``python -m symrg.cli.finite_width ...``: the same as ``symrg finite-width ...``."""
    from ._common import standalone
    return standalone(add_parser, "finite-width", argv)


if __name__ == "__main__":
    raise SystemExit(main())
