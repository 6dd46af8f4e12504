"""Fixtures for the browser tests: the built book served on localhost, and headless Chromium.

See book_site.py for what is checked and how requests are confined to this machine.
"""

from __future__ import annotations

import functools
import importlib.resources
import socketserver
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from book_site import HTML, PageVisit, _QuietHandler  # noqa: E402

import chromium  # noqa: E402  (tests/chromium.py, shared with tests/lab)


@pytest.fixture(scope="session")
def site() -> str:
    if not (HTML / "intro.html").exists():
        pytest.fail("the book is not built: run `make book` (or `make test`, which builds it first)")
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(HTML)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    with chromium.browser("the browser tests") as b:
        yield b


@pytest.fixture(scope="session")
def mathjax_dir() -> Path:
    folder = Path(str(importlib.resources.files("mathjax"))) / "static" / "mathjax"
    assert (folder / "es5" / "tex-mml-chtml.js").exists(), "the mathjax package (MathJax 3) is not installed"
    return folder


@pytest.fixture
def visit(browser, site, mathjax_dir):
    visits = []

    def make(path: str, **kwargs) -> PageVisit:
        v = PageVisit(browser, site, mathjax_dir, **kwargs)
        visits.append(v)
        v.open(f"{site}/{path}")
        return v

    yield make
    for v in visits:
        v.close()
