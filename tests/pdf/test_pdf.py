"""The book as PDF (tools/book_pdf.py): book.pdf and one PDF per chapter, read back with pypdf.

Checked in the extracted text: every page's title (the h1, not only the footer), no
unresolved reference ("??"), no raw TeX (every formula typeset by MathJax), every solution
printed with its title and its text (the solutions are opened for print), the animation
printed as frames, the hidden code cells left out; and the page counts, the paper size,
the page-numbered footers, the outline (an entry per page) and the metadata titles.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from book_site import book_config, toc_pages
from bs4 import BeautifulSoup

from conftest import CHAPTERS, HTML

BOOK_TITLE = book_config()["title"]
# measured 168 pages (A4) for 13 pages of the table of contents in December 2026; the range
# catches a lost page or chapter, and a layout gone wrong (e.g. every formula on a page)
BOOK_PAGES = (120, 260)
MIN_CHAPTER_PAGES = 6
RAW_TEX = ["\\frac", "$$", "\\(", "\\)", "\\[", "\\]", "\\begin{", "\\mathbb", "\\left", "\\operatorname"]
FOOTER = re.compile(r"\n?[^\n]*?(\d+) / (\d+)\s*$")


def _norm(text: str) -> str:
    """Ligatures (ﬁ) undone and all whitespace made one space, so that line breaks do not matter."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@cache
def _reader(name: str):
    from pypdf import PdfReader

    return PdfReader(str(_pdf_dir / name))


@cache
def _pages(name: str) -> tuple[tuple[str, str], ...]:
    """(body, footer) of every page of _build/pdf/<name>, normalized."""
    out = []
    for page in _reader(name).pages:
        text = page.extract_text()
        m = FOOTER.search(text)
        body, footer = (text[: m.start()], m.group(0)) if m else (text, "")
        out.append((_norm(body), _norm(footer)))
    return tuple(out)


def _text(name: str) -> str:
    return " ".join(body for body, _ in _pages(name))


_pdf_dir: Path


@pytest.fixture(autouse=True, scope="module")
def _pdfs(pdf_dir):
    global _pdf_dir
    _pdf_dir = pdf_dir


def _title(page: str) -> str:
    """The page's title as the reader sees it (e.g. "2. A conservation law ..."), from its <title>."""
    raw = re.search(r"<title>(.*?)</title>", (HTML / f"{page}.html").read_text(encoding="utf-8"), re.S).group(1)
    return _norm(html_lib.unescape(raw).split(" \u2014 ")[0])


def _solutions(page: str) -> list[tuple[str, str]]:
    """(title, a stretch of its text without math) for each solution of ``page``."""
    soup = BeautifulSoup((HTML / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    found = []
    for sol in soup.select("div.solution"):
        title = _norm(sol.select_one(".admonition-title").get_text(" "))
        title = re.match(r"Solution to Exercise [\d.]+", title).group(0)
        for m in sol.select(".math"):
            m.replace_with("\x00")
        stretch = ""
        for block in sol.select("#solution-content p, #solution-content li"):
            for piece in block.get_text().split("\x00"):
                words = _norm(piece).split()
                if len(words) >= 5:
                    stretch = " ".join(words[:5])
                    break
            if stretch:
                break
        found.append((title, stretch))
    return found


def _pdf_name(page: str) -> str:
    return f"{Path(page).name}.pdf"


def test_every_chapter_has_a_pdf_and_the_book_its_pages():
    assert CHAPTERS, "no chapters in _toc.yml"
    for page in CHAPTERS:
        assert (_pdf_dir / _pdf_name(page)).exists(), f"{_pdf_name(page)} was not written"
    n = len(_reader("book.pdf").pages)
    assert BOOK_PAGES[0] <= n <= BOOK_PAGES[1], f"book.pdf has {n} pages, outside {BOOK_PAGES}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_pdf(page):
    name = _pdf_name(page)
    pages = _pages(name)
    title = _title(page)
    assert len(pages) >= MIN_CHAPTER_PAGES, f"{name} has {len(pages)} pages (expected >= {MIN_CHAPTER_PAGES})"
    assert title in pages[0][0], f"the title {title!r} is not on the first page of {name}"
    # footers: the chapter's title and "k / n" on every page
    for k, (_, footer) in enumerate(pages, 1):
        assert footer.endswith(f"{k} / {len(pages)}") and title[:30] in footer, f"page {k} of {name}: footer {footer!r}"
    assert _reader(name).metadata.title == f"{title} \u2014 {BOOK_TITLE}"
    box = _reader(name).pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2, "not A4"


@pytest.mark.parametrize("name", ["book.pdf"] + [_pdf_name(p) for p in CHAPTERS])
def test_no_unresolved_reference_raw_tex_or_hidden_code(name):
    text = _text(name)
    assert "??" not in text, (
        f"an unresolved reference in {name}: ...{text[max(0, text.find('??') - 80) : text.find('??') + 20]}"
    )
    raw = [t for t in RAW_TEX if t in text]
    assert not raw, f"raw TeX in {name}: {raw}"
    assert "Show code cell source" not in text, "a collapsed code cell was printed as its label"


@pytest.mark.parametrize("page", CHAPTERS)
def test_solutions_are_printed(page):
    solutions = _solutions(page)
    for name in (_pdf_name(page), "book.pdf"):
        text = _text(name)
        for title, stretch in solutions:
            assert title in text, f"{title!r} missing from {name}"
            assert stretch and stretch in text, (
                f"the text of {title} ({stretch!r}) is missing from {name}: still collapsed?"
            )


def test_the_animation_is_printed_as_frames():
    animated = [p for p in CHAPTERS if "_anim_img" in (HTML / f"{p}.html").read_text(encoding="utf-8")]
    assert animated, "no chapter has an animation any more: drop this test"
    for page in animated:
        text = _text(_pdf_name(page))
        frames = re.findall(r"frame (\d+) of (\d+)", text)
        assert len(frames) >= 4, f"{page}: {len(frames)} frames printed"
        assert "frames, in order" in text


def test_the_book_has_every_page_in_order_with_an_outline_entry():
    reader = _reader("book.pdf")
    assert reader.metadata.title == BOOK_TITLE
    entries = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                entries.append((_norm(item.title), reader.get_destination_page_number(item)))

    walk(reader.outline)
    pages = _pages("book.pdf")
    assert BOOK_TITLE in pages[0][0], "the title page"
    last = 0
    for page in toc_pages():
        title = _title(page)
        hits = [n for t, n in entries if t == title]
        assert hits, f"no outline entry for {title!r}"
        n = hits[0]
        assert n >= last, f"{title!r} is out of order in book.pdf"
        assert title in pages[n][0], f"the outline entry {title!r} points to page {n + 1}, which is not its start"
        last = n
