"""Headless Chromium for the browser tests (tests/browser) and the JupyterLab tests (tests/lab).

Debian's `chromium` (or the path in $CHROMIUM), driven by Playwright, which cannot
download a browser of its own here. Where Chromium is missing the tests skip with a
message, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest

# Flags that keep Chromium from reaching for the network on its own (background updates,
# sync, QUIC), which a machine without network answers with errors.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


@contextlib.contextmanager
def browser(what: str):
    """A launched Chromium for ``what`` (e.g. "the browser tests"), or skip/fail without one."""
    path = chromium_path()
    if path is None:
        message = "Chromium was not found (install Debian's `chromium` or set $CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; in CI {what} must run")
        pytest.skip(f"{message}; skipping {what} outside CI")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
