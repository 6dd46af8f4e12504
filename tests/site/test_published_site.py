"""The assembled site (`make site`): the instructor pages in _build/html, the student edition
in _build/html/student and the PDFs in _build/html/pdf. Run by `make test-site` after the
site is assembled; a missing part fails.

The student pages must not contain a sentence of a solution as the instructor pages render
it, and the fragments that tests/test_student_site.py looks for must be on the instructor
pages (so that looking for them means something)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import test_student_site as student  # noqa: E402  (its helpers; importing collects nothing here)

SITE = ROOT / "_build" / "html"
IDS = student.IDS


@pytest.fixture(scope="module")
def pages() -> tuple[Path, Path]:
    instructor, published = SITE / "chapters", SITE / "student" / "chapters"
    for folder in (instructor, published):
        if not folder.is_dir():
            pytest.fail(f"{folder} is missing: run `make site` first")
    for name in ["book.pdf"] + [f"{p.stem}.pdf" for p in student.NOTEBOOKS]:
        assert (SITE / "pdf" / name).is_file(), f"pdf/{name} is not in the site"
    assert (SITE / "student" / "student-notebooks.zip").is_file()
    return instructor, published


@pytest.mark.parametrize("path", student.NOTEBOOKS, ids=IDS)
def test_solution_fragments_are_on_the_instructor_page(path, pages):
    instructor, _ = pages
    text = student._text(student._main(student._soup(instructor / f"{path.stem}.html")))
    needles = student._needles_from_source(nbformat.read(path, as_version=4))
    missing = [n for n in needles if n not in text]
    assert not missing, f"{path.name}: not on the instructor page: {missing[:3]}"


@pytest.mark.parametrize("path", student.NOTEBOOKS, ids=IDS)
def test_solution_sentences_of_the_instructor_page_are_gone(path, pages):
    instructor_dir, published = pages
    instructor = student._soup(instructor_dir / f"{path.stem}.html")
    solutions = instructor.select("div.solution, div.tag_solution")
    assert solutions, "the instructor page shows no solution"
    sentences = {" ".join(s.split()) for node in solutions for s in re.split(r"(?<=[.:?!])\s", student._text(node))}
    for node in solutions:
        node.decompose()
    rest = student._text(student._main(instructor))
    needles = [s for s in sentences if len(s) >= 40 and s not in rest]
    assert len(needles) >= 5
    text = student._text(student._main(student._soup(published / f"{path.stem}.html")))
    left = [s for s in needles if s in text]
    assert not left, f"instructor solution sentences on the published student page: {left[:3]}"


@pytest.mark.parametrize("path", student.NOTEBOOKS, ids=IDS)
def test_published_student_page_keeps_every_figure(path, pages):
    """The solutions print text and draw no figure: the student page has every figure of the chapter."""
    instructor, published = pages
    count = [
        len(student._soup(d / f"{path.stem}.html").select('main img[src*="_images/"]')) for d in (instructor, published)
    ]
    assert count[0] == count[1] > 0
