"""Thin entry point of :mod:`symrg.derivations.deep_finite_width` (or ``python -m symrg.derivations.deep_finite_width``).

Writes into ``derivations/out/`` beside this file unless ``--out`` is given.
"""
from pathlib import Path

from symrg.derivations.deep_finite_width import main as _main


def main(argv=None) -> int:
    return _main(argv, default_out=Path(__file__).with_name("out"))


if __name__ == "__main__":
    raise SystemExit(main())
