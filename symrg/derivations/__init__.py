"""One module per derived result, each with ``main(argv)``: ``python -m symrg.derivations.<name> --out DIR``
writes a standalone ``.tex`` and a ``.json`` (run by ``symrg reproduce``). No library logic here."""
