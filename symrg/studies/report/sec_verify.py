"""Report section: the registry of ``symrg verify`` (``--full`` in the full run; the test suite's slow tests,
which ``symrg verify --full`` also runs, are not part of the report), docs/theory.md section 7.

The checks are shown by category: two-route checks (agreement of two routes sharing no code), checks of
the lowering, and regression checks, which compare with a value symrg measured once and are titled and
counted as pinned values (pinned and measured value shown), never as agreement."""
from __future__ import annotations

from pathlib import Path


def run(out: Path, quick: bool, progress) -> dict:
    from ...verify import category_counts, markdown_table, run_checks, summary_line

    results = run_checks(full=not quick, progress=progress)
    failed = [r.name for r in results if not r.passed]
    md = ["## Verification", "",
          f"The registry of `symrg verify{'' if quick else ' --full'}`: {summary_line(results)}"
          + ("." if quick else " (the test suite's slow tests, which `symrg verify --full` runs after these, are "
                               "not part of the report)."),
          "",
          "Two-route checks compare two computations that share no code for the quantity; lowering checks "
          "compare the generated NumPy code with its mpmath twin and the committed files with a fresh "
          "regeneration; regression checks compare a value measured now with the value symrg measured once "
          "and pinned (both shown): a pass there means unchanged, not agreement.", "",
          markdown_table(results)]
    md += [f"\n**{r.name} failed**: {r.detail}" for r in results if not r.passed]
    return {"numbers": [r.to_dict() for r in results], "categories": category_counts(results),
            "markdown": "\n".join(md), "failed": failed}
