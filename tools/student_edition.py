"""Write the student edition of the notebooks: the same chapters with every solution removed.

Usage: python tools/student_edition.py OUTDIR [NOTEBOOK ...]
(default: every chapter listed in _toc.yml).

Solutions are written as a `solution-start` ... `solution-end` span (MyST gated
directives); the span may cover prose and code cells. The instructor edition tags
every code cell inside a span with the cell tag `solution` (tools/execute_notebooks.py
keeps the tags up to date). The student edition drops tagged cells, drops the
prose of each span, leaves a short note where a solution was, and clears all
outputs so that students run the notebooks themselves. The result is written as plain
notebooks, like notebooks/ (tools/plain_notebooks.py: numbered theorems and exercises,
references and formulas that JupyterLab, Colab and any notebook viewer render).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import yaml

import plain_notebooks

ROOT = Path(__file__).resolve().parents[1]
START = re.compile(r"```\{solution-start\}[^\n]*\n(?::[^\n]*\n)*```", re.MULTILINE)
END = re.compile(r"```\{solution-end\}\s*\n```", re.MULTILINE)
NOTE = "*The solution is in the instructor edition of this notebook.*"
TAG = "solution"


def _scan(text: str, inside: bool) -> bool:
    """Whether a markdown cell that starts ``inside`` a span ends inside one (markers in order)."""
    pos = 0
    while True:
        marker = (END if inside else START).search(text, pos)
        if marker is None:
            return inside
        pos, inside = marker.end(), not inside


def solution_mask(nb) -> list[bool]:
    """For each cell: does it lie (wholly or partly) inside a solution span?"""
    inside = False
    mask = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            after = _scan(cell.source, inside)
            mask.append(inside or after or bool(START.search(cell.source)))
            inside = after
        else:
            mask.append(inside)
    return mask


def tag_solutions(nb) -> bool:
    """Tag every code cell inside a solution span with `solution` (and untag the rest). Returns True if changed."""
    changed = False
    for cell, inside in zip(nb.cells, solution_mask(nb)):
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if inside and TAG not in tags:
            tags.append(TAG)
        elif not inside and TAG in tags:
            tags.remove(TAG)
        else:
            continue
        changed = True
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    return changed


def _strip_spans(text: str, inside: bool) -> tuple[str, bool]:
    """Remove solution spans from one markdown cell; ``inside``: the cell starts inside a span."""
    out = []
    pos = 0
    while True:
        if inside:
            end = END.search(text, pos)
            if end is None:
                return "".join(out), True
            pos = end.end()
            inside = False
        else:
            start = START.search(text, pos)
            if start is None:
                out.append(text[pos:])
                return "".join(out), False
            out.append(text[pos : start.start()] + NOTE + "\n")
            pos = start.end()
            inside = True


def student_copy(nb):
    """A new notebook without solutions and without outputs."""
    student = nbformat.v4.new_notebook(metadata=nb.metadata)
    inside = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if inside or TAG in cell.metadata.get("tags", []):
                continue
            copy = nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata))
            student.cells.append(copy)
        elif cell.cell_type == "markdown":
            text, inside = _strip_spans(cell.source, inside)
            if text.strip():
                student.cells.append(nbformat.v4.new_markdown_cell(text.strip() + "\n", metadata=dict(cell.metadata)))
        elif not inside:
            student.cells.append(cell)
    for i, cell in enumerate(student.cells):
        cell["id"] = f"cell-{i:03d}"
    return student


def toc_notebooks() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            path = ROOT / f"{entry['file']}.ipynb"
            if path.exists():
                files.append(path)
    return files


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    notebooks = [Path(a) for a in argv[1:]] or toc_notebooks()
    book = plain_notebooks.Book()
    converter = plain_notebooks.Converter(book)
    chapters = {c.path.name: c for c in book.chapters.values()}
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        student = student_copy(nb)
        removed = len(nb.cells) - len(student.cells)
        nbformat.write(converter.convert(student, chapters[path.name]), out / path.name)
        print(f"{out / path.name}: {removed} solution cells removed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
