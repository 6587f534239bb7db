"""Numeric layer: flows on spectra, exact and reduced GPs, the input-dependent ridge, finite-width
networks and the exact-GP simulations. It consumes the generated modules in ``symrg._generated`` and
never imports SymPy (or the engine, theory and codegen layers). Nothing is imported here: use the
submodules (``symrg.numerics.flows``, ``.gp``, ``.input_ridge``, ``.finite_width``, ``.simulate``)."""
