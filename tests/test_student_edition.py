"""`make student`: the notebooks without their solutions, still runnable, with their figures.

By default the kept cells keep their saved outputs; `--clear-outputs` clears them. Both
editions are written once per module into temporary folders (about a second each); the
cleared one is executed, chapter by chapter, to check that the code still runs.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from student_edition import TAG, ZIP_FOLDER, ZIP_NAME, main, solution_mask, toc_notebooks  # noqa: E402

NOTEBOOKS = toc_notebooks()


def test_there_are_chapters_with_solutions():
    assert NOTEBOOKS
    assert all(any(solution_mask(nbformat.read(p, as_version=4))) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solution_code_cells_are_tagged(path):
    nb = nbformat.read(path, as_version=4)
    for cell, inside in zip(nb.cells, solution_mask(nb), strict=True):
        if cell.cell_type == "code":
            assert (TAG in cell.metadata.get("tags", [])) == inside, f"cell {cell.id}: tag does not match its place"


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    """The edition of `make student`: outputs kept."""
    out = tmp_path_factory.mktemp("student")
    assert main([str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def cleared_dir(tmp_path_factory):
    """The edition with `--clear-outputs`."""
    out = tmp_path_factory.mktemp("student-cleared")
    assert main([str(out), "--clear-outputs"]) == 0
    return out


def _outputs(cell) -> list[dict]:
    """A code cell's outputs, comparable across the two notebooks (no cell-specific metadata)."""
    return [
        {k: v for k, v in o.items() if k in ("output_type", "name", "text", "data")} for o in cell.get("outputs", [])
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_copy_keeps_the_outputs_of_kept_cells(path, student_dir):
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(student_dir / path.name, as_version=4)
    kept = [
        c
        for c, inside in zip(original.cells, solution_mask(original), strict=True)
        if c.cell_type == "code" and not inside
    ]
    removed = [
        c for c, inside in zip(original.cells, solution_mask(original), strict=True) if c.cell_type == "code" and inside
    ]
    by_source = {c.source: c for c in student.cells if c.cell_type == "code"}
    for cell in kept:
        assert cell.source in by_source, f"cell {cell.id} is missing from the student notebook"
        assert _outputs(by_source[cell.source]) == _outputs(cell), f"cell {cell.id}: outputs differ"
        assert by_source[cell.source].execution_count == cell.execution_count
    # the example figures are there ...
    assert any("image/png" in o.get("data", {}) for c in student.cells if c.cell_type == "code" for o in c.outputs)
    # ... and nothing a solution cell printed
    student_text = nbformat.writes(student)
    for cell in removed:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            if len(text.strip()) > 20:
                assert text.strip() not in student_text, f"output of solution cell {cell.id} left"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_clear_outputs_flag_clears_every_output(path, cleared_dir):
    student = nbformat.read(cleared_dir / path.name, as_version=4)
    assert all(not c.outputs and c.execution_count is None for c in student.cells if c.cell_type == "code")


@pytest.mark.parametrize("edition", ["student_dir", "cleared_dir"])
def test_zip_holds_every_chapter_and_the_readme(edition, request):
    out = request.getfixturevalue(edition)
    with zipfile.ZipFile(out / ZIP_NAME) as zf:
        names = set(zf.namelist())
        assert names == {f"{ZIP_FOLDER}/README.txt"} | {f"{ZIP_FOLDER}/{p.name}" for p in NOTEBOOKS}
        for path in NOTEBOOKS:  # the very notebooks of the folder, which have no solution
            assert zf.read(f"{ZIP_FOLDER}/{path.name}") == (out / path.name).read_bytes()
        readme = zf.read(f"{ZIP_FOLDER}/README.txt").decode()
    assert "Colab" in readme and "jupyter lab" in readme and "instructor edition" in readme


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_copy_has_no_solution_and_still_runs(path, cleared_dir):
    original = nbformat.read(path, as_version=4)
    student = nbformat.read(cleared_dir / path.name, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "solution-start" not in text and "solution-end" not in text and "Solution to" not in text
    assert not any(TAG in c.metadata.get("tags", []) for c in student.cells)
    # written plainly, like the reader notebooks: no MyST directive or role is left
    assert not re.search(r"(?m)^```\{|\{[a-z:]+\}`", text)
    # every exercise is still there, each followed by the note that replaces its solution
    exercises = "\n".join(c.source for c in original.cells).count("```{exercise}")
    assert len(re.findall(r"(?m)^#{2,6} <a id=\"ex-[^\"]+\"></a>Exercise \d+\.\d+", text)) == exercises > 0
    assert text.count("instructor edition") == exercises
    # the code the students keep runs from top to bottom
    NotebookClient(
        student, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
