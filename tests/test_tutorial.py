"""docs/tutorial.ipynb runs top to bottom (nbclient, a fresh Python kernel), as a user would run it; its own
cells assert the flow against an independent mode sum."""
import pathlib

import nbclient
import nbformat

NB = pathlib.Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def test_tutorial_notebook_executes():
    nb = nbformat.read(NB, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NB.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("RunningSolution" in str(o.get("data", {})) or "discrete" in str(o.get("data", {})) for o in outputs)
