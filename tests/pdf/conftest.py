"""Fixtures for the PDF tests: the book printed to _build/pdf by tools/book_pdf.py.

The PDFs are built once per session, into _build/pdf (where `python tools/book_pdf.py`
writes them), unless they are already there and newer than everything they are made
from: every file of _build/html, _toc.yml, _config.yml and tools/book_pdf.py. Set
BOOK_PDF_REBUILD=1 to build them anyway. The build needs Chromium: where it is missing
the tests skip with a message, except in CI (CI=true), where they fail (tests/chromium.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "pdf"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "tools"))
from book_site import toc_pages  # noqa: E402

import chromium  # noqa: E402  (tests/chromium.py)

CHAPTERS = [p for p in toc_pages() if p.startswith("chapters/")]


def _fresh() -> bool:
    outputs = [PDF / "book.pdf"] + [PDF / f"{Path(p).name}.pdf" for p in CHAPTERS]
    if os.environ.get("BOOK_PDF_REBUILD") or not all(f.exists() for f in outputs):
        return False
    inputs = [f for f in HTML.rglob("*") if f.is_file()]
    inputs += [ROOT / "_toc.yml", ROOT / "_config.yml", ROOT / "tools" / "book_pdf.py"]
    return min(f.stat().st_mtime for f in outputs) > max(f.stat().st_mtime for f in inputs)


@pytest.fixture(scope="session")
def pdf_dir() -> Path:
    if not (HTML / "intro.html").exists():
        pytest.fail("the book is not built: run `make book` first")
    if chromium.chromium_path() is None:
        with chromium.browser("the PDF tests"):  # skips, or fails in CI
            pass
    if not _fresh():
        import book_pdf

        try:
            book_pdf.build(HTML, PDF, log=lambda *_: None)
        except SystemExit as exc:  # e.g. a page of _toc.yml that is not built
            pytest.fail(str(exc))
    return PDF
