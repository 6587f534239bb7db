"""Report section: ``symrg verify`` (``--full`` in the full run)."""
from __future__ import annotations

from pathlib import Path


def run(out: Path, quick: bool, progress) -> dict:
    from ...verify import markdown_table, run_checks

    results = run_checks(full=not quick, progress=progress)
    failed = [r.name for r in results if not r.passed]
    md = ["## Verification", "",
          f"`symrg verify{'' if quick else ' --full'}`: {len(results) - len(failed)} passed, {len(failed)} failed.", "",
          markdown_table(results)]
    md += [f"\n**{r.name} failed**: {r.detail}" for r in results if not r.passed]
    return {"numbers": [r.to_dict() for r in results], "markdown": "\n".join(md), "failed": failed}
