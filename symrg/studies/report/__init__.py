"""The main job, ``symrg reproduce``: one module per report section, the claims with their
criteria, the LaTeX, and the driver that writes the report atomically."""
from .driver import SECTION_HELP, SECTIONS, reproduce

__all__ = ["SECTIONS", "SECTION_HELP", "reproduce"]
