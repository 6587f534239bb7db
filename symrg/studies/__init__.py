"""Studies and reports: real-data learning curves, diagnostics, the input-ridge and finite-width
studies, plotting, and ``symrg reproduce``. Nothing is imported here: use the submodules."""
