"""Helpers for the browser tests: the pages of the book, its configuration, and one page visit.

The book must be built first (`make book`, or `make test`, which builds before it
runs these). Nothing leaves the machine: every request to another host is
aborted and recorded, except MathJax, which the page loads from a CDN and which
is served here from the `mathjax` package (MathJax 3, installed from PyPI by
requirements.txt), so that the math really renders offline.

Chromium is Debian's `chromium` (or the path in $CHROMIUM). Where it is missing
the tests skip with a message, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import http.server
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"


def toc_pages() -> list[str]:
    """Every page of the book, in reading order, from _toc.yml (so new chapters are covered)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


def notebook_pages() -> list[str]:
    return [p for p in toc_pages() if (ROOT / f"{p}.ipynb").exists()]


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


class PageVisit:
    """One page opened in a fresh browser context, with everything it asked for recorded."""

    def __init__(self, browser, site: str, mathjax_dir: Path, *, viewport=(1280, 900), dark=False):
        self.external: list[str] = []
        self.console_errors: list[str] = []
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        if dark:
            self.context.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"uncaught: {exc}"))

        def route(r):
            url = r.request.url
            if url.startswith(site):
                return r.continue_()
            if url.startswith(MATHJAX_CDN):
                local = mathjax_dir / url[len(MATHJAX_CDN) :].split("?")[0]
                if local.is_file():
                    return r.fulfill(path=str(local))
            self.external.append(url)
            return r.abort()

        self.page.route("**/*", route)

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        # wait for MathJax to finish typesetting (pages without math have no MathJax)
        self.page.wait_for_function("!window.MathJax || (MathJax.startup && MathJax.startup.promise)", timeout=20000)
        self.page.evaluate("window.MathJax ? MathJax.startup.promise : null")
        # the API reference page (every docstring of the package, hundreds of formulas) takes
        # several times a chapter's time to settle on a slow 2-core machine: a waiting limit,
        # not a criterion (every check below still runs on the loaded page)
        self.page.wait_for_load_state("networkidle", timeout=90000)

    def close(self) -> None:
        self.context.close()
