"""`make student`: the notebooks without their solutions, still runnable."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from student_edition import TAG, main, solution_mask, toc_notebooks  # noqa: E402

NOTEBOOKS = toc_notebooks()


def test_there_are_chapters_with_solutions():
    assert NOTEBOOKS
    assert all(any(solution_mask(nbformat.read(p, as_version=4))) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solution_code_cells_are_tagged(path):
    nb = nbformat.read(path, as_version=4)
    for cell, inside in zip(nb.cells, solution_mask(nb)):
        if cell.cell_type == "code":
            assert (TAG in cell.metadata.get("tags", [])) == inside, f"cell {cell.id}: tag does not match its place"


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    assert main([str(out)]) == 0
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_copy_has_no_solution_and_still_runs(path, student_dir):
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "solution-start" not in text and "solution-end" not in text and "Solution to" not in text
    assert not any(TAG in c.metadata.get("tags", []) for c in student.cells)
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    # written plainly, like the reader notebooks: no MyST directive or role is left
    assert not re.search(r"(?m)^```\{|\{[a-z:]+\}`", text)
    # every exercise is still there, each followed by the note that replaces its solution
    exercises = "\n".join(c.source for c in original.cells).count("```{exercise}")
    assert len(re.findall(r"(?m)^#{2,6} <a id=\"ex-[^\"]+\"></a>Exercise \d+\.\d+", text)) == exercises > 0
    assert text.count("instructor edition") == exercises
    # the code the students keep runs from top to bottom
    NotebookClient(student, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
