"""Fixtures for the browser tests: the built book served on localhost, and headless Chromium.

See book_site.py for what is checked and how requests are confined to this machine.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import shutil
import socketserver
import threading
from pathlib import Path

import pytest

from book_site import CHROMIUM_ARGS, HTML, PageVisit, _QuietHandler

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


def _chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        message = "Chromium was not found (install Debian's `chromium` or set $CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; in CI the browser tests must run")
        pytest.skip(message + "; skipping the browser tests outside CI")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
