"""Thin entry point of :mod:`symrg.derivations.second_order_posterior` (or ``python -m symrg.derivations.second_order_posterior``)."""
from symrg.derivations.second_order_posterior import main

if __name__ == "__main__":
    raise SystemExit(main())
