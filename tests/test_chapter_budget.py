"""Every chapter reads as a textbook, within its budget (issue: an editorial pass).

Measured by tools/chapter_metrics.py on what the online reader sees: at most 25,000
characters of markdown (a 30-45 minute read) and 250 visible lines of code; no visible
`assert` and no printed True/False (checks run in cells tagged remove-input); and no
prose about solvers, tolerances, tests or CI.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import chapter_metrics  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
# Words that belong to the repository's documentation, not to the chapters' prose.
BACKSTAGE = re.compile(
    r"\b(solvers?|tolerances?|rtol|atol|DOP853|LSODA|Radau|solve_ivp|integrator|nbval|"
    r"test suite|unit tests?|the tests?)\b",
    re.IGNORECASE,
)
CI = re.compile(r"\bCI\b")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_within_budget(path):
    m = chapter_metrics.measure(path)
    assert m.markdown_chars <= chapter_metrics.BUDGET["markdown_chars"], m
    assert m.visible_code_lines <= chapter_metrics.BUDGET["visible_code_lines"], m
    assert m.visible_asserts == 0, m
    assert m.printed_true_false == 0, m


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_prose_does_not_talk_backstage(path):
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            text = re.sub(r"`[^`]*`", "", cell.source)  # code spans name functions, fine
            found += [(i, m.group(0)) for pattern in (BACKSTAGE, CI) for m in pattern.finditer(text)]
    assert not found, f"cells talk about the machinery: {found}"


def _notebook(tmp_path: Path, cells: list) -> Path:
    nb = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_metrics_count_what_the_reader_sees(tmp_path):
    shown = nbformat.v4.new_code_cell("x = 1\n\nassert x == 1\nprint(x == 1)")
    shown.outputs = [nbformat.v4.new_output("stream", name="stdout", text="True\nx is 1\n")]
    hidden = nbformat.v4.new_code_cell("assert x == 1\nassert x > 0", metadata={"tags": ["remove-input"]})
    folded = nbformat.v4.new_code_cell("plot()\nsave()", metadata={"tags": ["hide-input"]})
    folded.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ok: False\n")]
    text = nbformat.v4.new_markdown_cell("one two three four")
    m = chapter_metrics.measure(_notebook(tmp_path, [text, shown, hidden, folded]))
    assert (m.markdown_chars, m.visible_code_lines, m.visible_asserts, m.printed_true_false) == (18, 3, 1, 2)
    assert m.reading_minutes == round((4 + 9) / 200, 1)
