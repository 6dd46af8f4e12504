"""The reader notebooks (notebooks/) against the built HTML book: the same numbers.

tools/plain_notebooks.py numbers theorems, exercises, equations and figures itself, by the
rules Sphinx follows; here every number, title, cross-reference and citation of each
reader notebook is compared with what the HTML build printed for the same chapter.
Needs the built book (`make book`, or `make test`, which builds before it runs these).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import nbformat
import pytest
from book_site import HTML, ROOT, notebook_pages
from bs4 import BeautifulSoup

CHAPTERS = notebook_pages()
NUMBERED = re.compile(r"^(?:(?:Theorem|Lemma|Proposition|Corollary|Definition|Exercise|Fig\.) \d+\.\d+|\(\d+\.\d+\))$")


def _norm(text: str) -> str:
    """Whitespace collapsed; the HTML's typographic quotes (SmartyPants) as typed."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


def _no_math(text: str) -> str:
    text = re.sub(r"\\\((?:.|\n)+?\\\)|\$(?:[^$])+?\$", "", text)
    return _norm(text)


@cache
def _html(page: str) -> BeautifulSoup:
    path = HTML / f"{page}.html"
    if not path.exists():
        pytest.fail(f"{path} is not built: run `make book` first")
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return soup.select_one("main") or soup


@cache
def _reader(page: str) -> list[str]:
    nb = nbformat.read(ROOT / "notebooks" / (Path(page).name + ".ipynb"), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def test_there_are_chapters():
    assert CHAPTERS


@pytest.mark.parametrize("page", CHAPTERS)
def test_theorems_exercises_and_solutions_have_the_same_numbers_and_titles(page):
    html = []
    # (MyST-NB renders a hide-input toggle as details.admonition.hide: not a theorem or exercise)
    for title in _html(page).select(".admonition > .admonition-title, details.admonition:not(.hide) > summary"):
        text = _no_math(title.get_text(" "))
        if text.startswith("Proof"):
            continue
        html.append(text)
    reader = []
    for source in _reader(page):
        for match in re.finditer(
            r'\*\*(?:<a id="[^"]+"></a>)?((?:Theorem|Lemma|Proposition|Corollary|Definition) [^*]+?)\.\*\*', source
        ):
            reader.append(_no_math(match[1]))
        for match in re.finditer(r'(?m)^#{2,6} (?:<a id="[^"]+"></a>)?((?:Solution to )?Exercise \d+\.\d+.*)$', source):
            reader.append(_no_math(match[1]))
    html = [re.sub(r"\s+\(", " (", t) for t in html]
    assert reader == html


@pytest.mark.parametrize("page", CHAPTERS)
def test_equations_and_figures_have_the_same_numbers(page):
    soup = _html(page)
    html = {}
    for eq in soup.select('[id^="equation-"]'):
        number = eq.select_one(".eqno")
        if number is not None:
            html[eq["id"].removeprefix("equation-")] = _norm(number.get_text()).replace(" #", "").rstrip("#").strip()
    for figure in soup.select("figure[id]"):
        caption = figure.select_one(".caption-number")
        if caption is not None:
            html[figure["id"]] = _norm(caption.get_text()).rstrip(".").strip()
    reader = {}
    for source in _reader(page):
        for match in re.finditer(r'<a id="([^"]+)"></a>\n\$\$(?:.|\n)+?\\tag\{([\d.]+)\}\n\$\$', source):
            reader[match[1]] = f"({match[2]})"
        for match in re.finditer(r'<a id="([^"]+)"></a>\*\*(Fig\. [\d.]+)\.\*\*', source):
            reader[match[1]] = match[2]
    assert html, "no numbered equations or figures found in the HTML"
    assert reader == html


def _target(href: str) -> str:
    path, _, fragment = href.partition("#")
    name = Path(path).stem if path else ""
    return f"{name}#{fragment.removeprefix('equation-')}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_cross_references_read_and_point_the_same(page):
    here = Path(page).stem
    html = Counter()
    for a in _html(page).select("a.reference.internal[href]"):
        text = _norm(a.get_text())
        if NUMBERED.match(text):
            target = _target(a["href"])
            html[(text, target if not target.startswith("#") else here + target)] += 1
    reader = Counter()
    for source in _reader(page):
        prose = re.sub(r"\$\$(?:.|\n)+?\$\$|\$[^$]+\$", "", source)
        for text, href in re.findall(r"\[([^\]]+)\]\(([^)\s]+)\)", prose):
            if NUMBERED.match(text):
                target = _target(href)
                reader[(text, target if not target.startswith("#") else here + target)] += 1
    assert html, "no cross-references found in the HTML"
    assert reader == html


@pytest.mark.parametrize("page", CHAPTERS)
def test_citations_read_the_same(page):
    html = [_norm(span.get_text()) for span in _html(page).select("span.bibtex-citation")]
    reader = []
    for source in _reader(page):
        source = re.sub(r"(?s)## References.*", "", source)
        pattern = r"\\\[((?:\[[^\]]+\]\(#ref-[^)]+\)(?:, )?)+)\\\]|([^\s\[\]()]+(?: and [^\s\[\]()]+| et al\.)?) \\\[\[(\d{4})\]\(#ref-[^)]+\)\\\]"  # noqa: E501
        for match in re.finditer(pattern, source):
            if match[1]:
                reader.append("[" + ", ".join(re.findall(r"\[([^\]]+)\]\(#ref-", match[1])) + "]")
            else:
                reader.append(f"{match[2]} [{match[3]}]")
    assert reader == html
