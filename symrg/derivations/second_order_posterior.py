"""Derivation of the O(1/N^2) posterior mean of a one-hidden-layer network (docs/theory.md section 6).

Runs :func:`symrg.theory.finite_width.derive_second_order_posterior` and regenerates the committed modules
``symrg/_generated/second_order_posterior.py`` and its mpmath twin.  No library logic here.

    python -m symrg.derivations.second_order_posterior [--check]

``--check`` only verifies that the committed generated modules match the derivation.
"""
from __future__ import annotations

import argparse

from symrg.codegen import regenerate_second_order_posterior


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the generated modules")
    args = parser.parse_args(argv)
    for path, st in regenerate_second_order_posterior(check=args.check).items():
        print(f"{st:9s} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
