"""Thin entry point of :mod:`symrg.derivations.running_flow` (or ``python -m symrg.derivations.running_flow``).

Writes into ``derivations/out/`` beside this file unless ``--out`` is given.
"""
from pathlib import Path

from symrg.derivations.running_flow import main as _main


def main(argv=None) -> int:
    return _main(argv, default_out=Path(__file__).with_name("out"))


if __name__ == "__main__":
    raise SystemExit(main())
