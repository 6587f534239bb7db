"""Command line: ``symrg COMMAND`` (:func:`symrg.cli.main.main`); one module per command."""
from .main import main

__all__ = ["main"]
