"""notebooks/study.ipynb runs from top to bottom on the code as it is (executed in a fresh
kernel, as a reader would), and is committed without outputs, so its diffs stay readable."""

import nbformat
from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "study.ipynb"
CELL_TIMEOUT_S = 120  # a cell takes seconds; this only keeps a hung kernel from hanging the suite


def test_the_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code), \
        "clear the outputs before committing (e.g. jupyter nbconvert --clear-output --inplace)"


def test_the_notebook_runs_and_draws_its_figure():
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()  # raises CellExecutionError on any error
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs), "the figure was not drawn"
    text = "".join(str(output.get("data", {}).get("text/plain", "")) for output in outputs)
    assert "deal_probability" in text and "core_target_pct" in text
