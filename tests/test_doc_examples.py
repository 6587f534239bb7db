"""The Python examples of README.md and docs/api.md run as written, and print what the text says.

Each file's ``python`` blocks run in order as one script in a fresh interpreter (later blocks use the
names of earlier ones), in a temporary folder.  A ``python`` block followed directly by a ``text``
block is an example with its output: the lines it prints must equal the ``text`` block.  The doc text
is run as a script by the test, in a subprocess; the package itself never executes file text.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
MARK = "@@symrg-doc-block {}@@"


def blocks(path: Path) -> list[tuple[str, str | None]]:
    """(python source, expected output or None) for each python block of ``path``."""
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(path.read_text())]
    out = []
    for i, (lang, body, _, end) in enumerate(found):
        if lang != "python":
            continue
        nxt = found[i + 1] if i + 1 < len(found) else None
        expected = nxt[1] if nxt and nxt[0] == "text" and not path.read_text()[end:nxt[2]].strip() else None
        out.append((body, expected))
    return out


@pytest.mark.parametrize("doc", ["README.md", "docs/api.md"])
def test_examples_run_and_print_what_the_text_says(doc, tmp_path):
    items = blocks(ROOT / doc)
    assert items, f"{doc} has no python example"
    script = "\n".join(f"print({MARK.format(i)!r})\n{src}" for i, (src, _) in enumerate(items))
    r = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                       env={"SYMRG_NO_CACHE": "1", "PATH": "", "HOME": str(tmp_path),
                            "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, f"{doc}: an example fails:\n{r.stderr[-3000:]}"
    printed = re.split(r"@@symrg-doc-block \d+@@\n", r.stdout)[1:]
    assert len(printed) == len(items)
    for (src, expected), got in zip(items, printed):
        if expected is not None:
            assert got.strip() == expected.strip(), f"{doc}: the example\n{src}\nprints\n{got}"
