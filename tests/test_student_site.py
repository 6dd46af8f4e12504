"""tools/student_site.py: the HTML book without the solutions, with the student notebooks.

The fixture builds the student site once per module, from the current chapters, into a
temporary folder (tools/student_site.build: no notebook is executed; about 25 s on two
cores). It never reads a prebuilt _build/student. The solution sentences come from the
chapters' sources; tests/site compares the published student edition with the instructor
pages once both are built (`make test-site`).
"""

from __future__ import annotations

import html as html_lib
import re
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student_edition  # noqa: E402
import student_site  # noqa: E402

NOTEBOOKS = student_edition.toc_notebooks()
IDS = [p.stem for p in NOTEBOOKS]
# a run of plain prose: no markup, math or code characters in it
PROSE = re.compile(r"[A-Za-z][A-Za-z ,;()-]{28,}[A-Za-z]")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("student-site")
    html = student_site.build(out, student_dir=out / "notebooks")
    return html, out / "notebooks"


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _text(node) -> str:
    """The visible text of a page or element, whitespace collapsed."""
    return " ".join(node.get_text(" ").split())


def _main(soup: BeautifulSoup):
    return soup.find("main") or soup


def _solution_sources(nb) -> tuple[list[str], str]:
    """The markdown inside solution spans; and the chapter's text and code outside them."""
    inside_parts, other_parts, inside = [], [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts, inside_after = student_edition.span_parts(cell.source, inside)
            inside_parts += parts
            other_parts.append(student_edition._strip_spans(cell.source, inside)[0])
            inside = inside_after
        elif not (inside or student_edition.TAG in cell.metadata.get("tags", [])):
            other_parts.append(cell.source)
    return inside_parts, "\n".join(other_parts)


def _needles_from_source(nb) -> list[str]:
    """Prose fragments of the solutions' text that appear nowhere else in the chapter (code is left out:
    the highlighted HTML splits it into tokens)."""
    inside_parts, other = _solution_sources(nb)
    other = " ".join(other.split())
    needles = []
    for part in inside_parts:
        # math, roles and code become a break that no fragment crosses
        part = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\{[a-z:-]+\}`[^`]*`|`[^`]*`|\*+|_", "\0", part, flags=re.S)
        for line in part.splitlines():  # one source line: the rendered text keeps it in one piece
            for match in PROSE.finditer(line):
                fragment = " ".join(match.group(0).split())
                if fragment not in other:
                    needles.append(fragment)
    return needles


def test_every_chapter_has_solution_needles():
    """Enough fragments to look for (tests/site checks that they are on the instructor pages)."""
    for path in NOTEBOOKS:
        needles = _needles_from_source(nbformat.read(path, as_version=4))
        assert len(needles) >= 3, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_page_has_no_solution(path, site):
    html, _ = site
    soup = _soup(html / "chapters" / f"{path.stem}.html")
    assert not soup.select(".solution, .tag_solution, [id^=solution-content]")
    text = _text(_main(soup))
    assert "Solution to" not in text
    nb = nbformat.read(path, as_version=4)
    left = [n for n in _needles_from_source(nb) if n in text]
    assert not left, f"solution text on the student page: {left[:3]}"
    # not in the page's source file or its notebook either
    for other in (html / "_sources" / "chapters" / f"{path.stem}.ipynb", html / "notebooks" / path.name):
        raw = nbformat.read(other, as_version=4)
        assert not any(student_edition.TAG in c.metadata.get("tags", []) for c in raw.cells)
        joined = " ".join(" ".join(c.source.split()) for c in raw.cells)
        assert not [n for n in _needles_from_source(nb) if n in joined], other


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_exercise_is_on_the_student_page(path, site):
    html, _ = site
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    labels = re.findall(r"```\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label: (\S+)", source)
    assert len(labels) == source.count("```{exercise}") > 0
    soup = _soup(html / "chapters" / f"{path.stem}.html")
    exercises = soup.select("div.exercise")
    assert [e.get("id") for e in exercises] == labels
    for exercise in exercises:
        assert re.match(r"Exercise \d+\.\d+", _text(exercise.select_one(".admonition-title")))
    assert _text(_main(soup)).count("instructor edition") == len(labels)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_page_keeps_the_figures(path, site):
    html, _ = site
    images = _soup(html / "chapters" / f"{path.stem}.html").select('main img[src*="_images/"]')
    assert images
    for img in images:
        assert (html / "chapters" / img["src"]).resolve().is_file(), img["src"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_buttons_open_no_instructor_notebook(path, site):
    html, notebooks = site
    page = (html / "chapters" / f"{path.stem}.html").read_text(encoding="utf-8")
    assert "mybinder.org" not in page and "colab.research.google.com" not in page
    assert "btn-launch-thebe" not in page
    # the download button serves the student notebook
    assert f'href="../notebooks/{path.name}"' in page
    assert (html / "notebooks" / path.name).read_bytes() == (notebooks / path.name).read_bytes()


def test_site_has_the_zip_and_says_it_is_the_student_edition(site):
    html, notebooks = site
    target = html / student_edition.ZIP_NAME
    assert target.read_bytes() == (notebooks / student_edition.ZIP_NAME).read_bytes()
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
    folder = student_edition.ZIP_FOLDER
    assert names == {f"{folder}/README.txt"} | {f"{folder}/{p.name}" for p in NOTEBOOKS}
    for page, link in [
        ("intro.html", "student-notebooks.zip"),
        ("chapters/01_scalar.html", "../student-notebooks.zip"),
    ]:
        soup = _soup(html / page)
        banner = soup.select_one(".bd-header-announcement")
        assert banner is not None and "Student edition" in _text(banner), page
        assert banner.select_one("a")["href"] == link
        assert (html / page).parent.joinpath(link).resolve() == target.resolve()
        assert "(student edition)" in html_lib.unescape(soup.title.get_text())


def test_execution_table_points_to_the_full_book(site):
    """The student site is not executed: a page with `nb-exec-table` links to the book's instead."""
    html, _ = site
    pages = [
        p for p in student_edition.toc_files() if p.suffix == ".md" and "{nb-exec-table}" in (ROOT / p).read_text()
    ]
    for page in pages:
        main = _main(_soup(html / page.with_suffix(".html")))
        assert not main.select("table")
        assert any(
            a.get("href", "").endswith(page.with_suffix(".html").as_posix()) and a["href"].startswith("http")
            for a in main.select("a")
        )
