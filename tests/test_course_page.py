"""The course page lists every exercise of every chapter, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]


def chapter_notebooks() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [entry["file"] for part in toc["parts"] for entry in part.get("chapters", [])]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def test_course_page_lists_exactly_the_exercises_of_the_chapters():
    labels = set()
    for path in chapter_notebooks():
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        found = re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", text)
        assert found, f"{path.name} has no exercise"
        labels.update(found)
    course = (ROOT / "course.md").read_text()
    table = set(re.findall(r"^\| \d+ \| \{ref\}`(ex-[^`]+)`", course, flags=re.MULTILINE))
    assert table == labels, f"missing from the course page: {sorted(labels - table)}; unknown: {sorted(table - labels)}"


def test_every_chapter_opens_with_objectives_and_prerequisites():
    for path in chapter_notebooks():
        first = nbformat.read(path, as_version=4).cells[0].source
        assert "Learning objectives" in first and "Prerequisites" in first, f"{path.name}: first cell lacks them"
