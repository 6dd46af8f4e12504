"""The notebooks as JupyterLab shows them: a local JupyterLab server, headless Chromium, and a
report of everything in the rendered notebook that did not render.

Used by test_lab.py (which runs in the Binder-equivalent environment .venv-lab, see
tests/lab/requirements.txt) and as a survey from the command line:

    .venv-lab/bin/python tests/lab/lab_app.py notebooks/     # what the launch buttons open
    .venv-lab/bin/python tests/lab/lab_app.py chapters/      # the MyST sources, for comparison

Nothing leaves the machine: the server listens on 127.0.0.1 only, and the browser aborts
(and records) every request to any other address. JupyterLab runs with its defaults except
three settings that make a test possible: every cell is attached to the page (windowing
off, so that cells below the fold are rendered too), and no news or update checks (which
would go to the network).

What counts as not rendered, per notebook (each a list of short excerpts):

- ``raw_myst``: MyST markup shown as text: a directive fence shown as a code block
  (```{prf:theorem}```), a role (``{prf:ref}`...` ``), a label line ``(name)=``, an
  option line ``:label: ...``, a colon fence;
- ``tex_as_text``: a TeX command or a dollar sign in the rendered text outside formulas and
  code (a formula MathJax did not find);
- ``math_errors``: formulas MathJax could not typeset (``mjx-merror``);
- ``undefined_macros``: formulas with a control sequence MathJax does not know (shown in red);
- ``flagged``: text the renderer puts in place of something it could not resolve
  ("Cross Reference Not Found", "Citation Not Found", "Undefined control sequence");
- ``raw_html``: HTML tags shown as text;
- ``broken_links``: a link to an anchor that is not in the notebook, or to a notebook that
  is not next to it;
- ``outputs``: saved outputs that show an error or an image that does not load.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import chromium  # noqa: E402  (tests/chromium.py, shared with the browser tests)

SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}
CATEGORIES = (
    "raw_myst",
    "tex_as_text",
    "math_errors",
    "undefined_macros",
    "flagged",
    "raw_html",
    "broken_links",
    "outputs",
)
FLAGS = (
    "Cross Reference Not Found",
    "Citation Not Found",
    "Undefined control sequence",
    "Unknown Directive",
    "Unknown Role",
)
ROLE = re.compile(r"\{[A-Za-z][\w:.-]*\}")
LABEL_LINE = re.compile(r"(?m)^\s*\([A-Za-z][\w:.-]*\)=\s*$")
OPTION_LINE = re.compile(r"(?m)^\s*:[a-z][\w-]*:(\s|$)")
TEX = re.compile(r"\\[A-Za-z]+|\\[()\[\]{}]|\$")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")

# Runs in the page: what each rendered markdown cell contains, with formulas and code taken out.
COLLECT = """
() => {
  const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
  return cells.map((cell, index) => {
    const kind = cell.classList.contains('jp-MarkdownCell') ? 'markdown' : (cell.classList.contains('jp-CodeCell') ? 'code' : 'other');
    const entry = {index, kind};
    if (kind === 'markdown') {
      const md = cell.querySelector('.jp-RenderedMarkdown');
      entry.rendered = !!md && md.innerHTML.trim().length > 0;
      if (!md) return entry;
      entry.math = md.querySelectorAll('mjx-container').length;
      entry.mathErrors = Array.from(md.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 80));
      entry.redMath = Array.from(md.querySelectorAll('mjx-container')).filter(c =>
        c.querySelector('[style*="color: red"], [mathcolor="red"], [color="red"]')).map(c =>
        (c.querySelector('[style*="color: red"]') || c).textContent.slice(0, 80));
      entry.fences = Array.from(md.querySelectorAll('pre code')).map(c => (c.className || '') + ' ' + c.textContent.slice(0, 60))
        .filter(t => /language-\\{|^\\s*\\{|:::/.test(t));
      const clone = md.cloneNode(true);
      clone.querySelectorAll('mjx-container, code, pre, script, style, .jp-InternalAnchorLink').forEach(e => e.remove());
      entry.text = clone.textContent;
      entry.links = Array.from(md.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));
      entry.missingAnchors = entry.links.filter(h => h.startsWith('#') && h.length > 1).filter(h => {
        const id = decodeURIComponent(h.slice(1));
        return !document.querySelector(`[data-jupyter-id="${CSS.escape(id)}"], [id="${CSS.escape(id)}"]`);
      });
    } else if (kind === 'code') {
      entry.errors = cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length;
      entry.brokenImages = Array.from(cell.querySelectorAll('.jp-OutputArea-output img')).filter(i => !(i.complete && i.naturalWidth > 0)).length;
      entry.images = cell.querySelectorAll('.jp-OutputArea-output img').length;
    }
    return entry;
  });
}
"""  # noqa: E501


@dataclass
class Report:
    """What did not render in one notebook (and what did, for the record)."""

    name: str
    cells: int = 0
    markdown_cells: int = 0
    formulas: int = 0
    images: int = 0
    collapsed_sections: int = 0
    external_requests: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})

    @property
    def unrendered(self) -> int:
        return sum(len(v) for v in self.problems.values())

    def counts(self) -> dict[str, int]:
        return {c: len(v) for c, v in self.problems.items()}

    def as_dict(self) -> dict:
        return {
            "cells": self.cells,
            "markdown_cells": self.markdown_cells,
            "formulas": self.formulas,
            "images": self.images,
            "collapsed_sections": self.collapsed_sections,
            "unrendered": self.unrendered,
            **self.counts(),
        }


def analyse(name: str, entries: list[dict], folder: Path) -> Report:
    """Turn what the page returned into a report (pure Python, so it can be tested alone)."""
    report = Report(name)
    report.cells = len(entries)
    for entry in entries:
        if entry["kind"] == "code":
            report.images += entry.get("images", 0)
            if entry.get("errors") or entry.get("brokenImages"):
                report.problems["outputs"].append(
                    f"cell {entry['index']}: {entry.get('errors', 0)} error outputs, {entry.get('brokenImages', 0)} broken images"  # noqa: E501
                )
            continue
        if entry["kind"] != "markdown":
            continue
        report.markdown_cells += 1
        where = f"cell {entry['index']}"
        if not entry.get("rendered"):
            report.problems["raw_myst"].append(f"{where}: not rendered")
            continue
        report.formulas += entry["math"]
        report.problems["math_errors"] += [f"{where}: {e}" for e in entry["mathErrors"]]
        report.problems["undefined_macros"] += [f"{where}: {e}" for e in entry["redMath"]]
        report.problems["raw_myst"] += [f"{where}: fence {f.strip()[:60]}" for f in entry["fences"]]
        text = entry["text"]
        for pattern in (ROLE, LABEL_LINE, OPTION_LINE):
            report.problems["raw_myst"] += [f"{where}: {m.group(0).strip()}" for m in pattern.finditer(text)]
        if ":::" in text:
            report.problems["raw_myst"].append(f"{where}: :::")
        for flag in FLAGS:
            report.problems["flagged"] += [f"{where}: {flag}"] * text.count(flag)
        report.problems["tex_as_text"] += [f"{where}: {_around(text, m.start())}" for m in TEX.finditer(text)]
        report.problems["raw_html"] += [f"{where}: {m.group(0)[:60]}" for m in HTML_TAG.finditer(text)]
        report.problems["broken_links"] += [f"{where}: {h}" for h in entry["missingAnchors"]]
        for href in entry["links"]:
            path = _local_notebook(href)
            if path is not None and not (folder / path).exists():
                report.problems["broken_links"].append(f"{where}: {href}")
    return report


def _around(text: str, pos: int, width: int = 30) -> str:
    return " ".join(text[max(0, pos - width) : pos + width].split())


def _local_notebook(href: str) -> str | None:
    """The file a link points at inside the server's folder, if it is a local file link."""
    parsed = urlparse(href)
    if parsed.scheme in ("http", "https") and parsed.hostname not in ("127.0.0.1", "localhost"):
        return None
    if href.startswith("#") or parsed.scheme in ("mailto",):
        return None
    path = unquote(parsed.path)
    for prefix in ("/files/", "/lab/tree/", "/tree/"):
        if prefix in path:
            return path.split(prefix, 1)[1]
    return path.lstrip("/") or None


# ---------------------------------------------------------------------------
# the server and the browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root: Path, python: str = sys.executable):
    """A JupyterLab server on 127.0.0.1 serving ``root``; yields (base_url, token, log_path)."""
    work = Path(tempfile.mkdtemp(prefix="lab-"))
    for name, value in SETTINGS.items():
        path = work / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = dict(os.environ)
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(work / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
        JUPYTER_CONFIG_DIR=str(work / "config"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        JUPYTER_DATA_DIR=str(work / "data"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    env.pop("MPLBACKEND", None)
    port, token = _free_port(), secrets.token_hex(16)
    log = work / "server.log"
    command = [
        python,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    with open(log, "w") as log_file:
        server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start in 60 s:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", token, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


def render(
    browser, base: str, token: str, folder: Path, name: str, screenshot: Path | None = None, timeout: float = 90.0
) -> Report:
    """Open ``name`` in JupyterLab, open every collapsed section, wait until every cell is
    rendered and MathJax is done, and report what did not render."""
    nb = nbformat.read(folder / name, as_version=4)
    expected_cells = len(nb.cells)
    expected_collapsed = sum(bool(c.metadata.get("jp-MarkdownHeadingCollapsed")) for c in nb.cells)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    external: list[str] = []

    def route(r):
        if r.request.url.startswith(base):
            return r.continue_()
        external.append(r.request.url)
        return r.abort()

    page = context.new_page()
    page.route("**/*", route)
    try:
        page.goto(f"{base}/lab/tree/{name}?reset&token={token}", wait_until="load")
        deadline = time.monotonic() + timeout
        count = "document.querySelectorAll('.jp-Notebook .jp-Cell').length"
        page.wait_for_function(f"{count} >= {expected_cells}", timeout=timeout * 1000)
        # open the collapsed sections (solutions) as a reader would, with their "N cells hidden" button
        buttons = "document.querySelectorAll('.jp-Notebook .jp-showHiddenCellsButton')"
        if expected_collapsed:  # JupyterLab folds them shortly after the cells appear
            with contextlib.suppress(Exception):
                page.wait_for_function(f"{buttons}.length >= {expected_collapsed}", timeout=10000)
        collapsed = page.evaluate(f"{buttons}.length")
        while page.evaluate(f"{buttons}.length"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}: collapsed sections did not open")
            page.evaluate(f"{buttons}[0].click()")
            time.sleep(0.05)
        # every markdown cell rendered, and the number of typeset formulas steady for 2 s
        rendered = (
            "Array.from(document.querySelectorAll('.jp-Notebook .jp-MarkdownCell'))"
            ".every(c => { const m = c.querySelector('.jp-RenderedMarkdown'); return m && m.innerHTML.trim().length > 0; })"  # noqa: E501
        )
        page.wait_for_function(rendered, timeout=max(1.0, deadline - time.monotonic()) * 1000)
        last, steady_since = -1, time.monotonic()
        while time.monotonic() - steady_since < 2.0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}: MathJax did not finish")
            now = page.evaluate("document.querySelectorAll('.jp-Notebook mjx-container').length")
            if now != last:
                last, steady_since = now, time.monotonic()
            time.sleep(0.25)
        entries = page.evaluate(COLLECT)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
    finally:
        context.close()
    report = analyse(name, entries, folder)
    report.collapsed_sections = collapsed
    report.external_requests = external
    if report.cells != expected_cells:
        report.problems["raw_myst"].append(f"{report.cells} cells on the page, {expected_cells} in the file")
    return report


def survey(folder: Path) -> dict[str, Report]:
    """Render every notebook in ``folder`` (a copy, so that nothing is written to it)."""
    from playwright.sync_api import sync_playwright

    path = chromium.chromium_path()
    if path is None:
        raise SystemExit("Chromium was not found (install Debian's chromium or set $CHROMIUM)")
    reports = {}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "notebooks"
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        with jupyterlab(copy) as (base, token, _), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=path, args=chromium.CHROMIUM_ARGS)
            for nb in sorted(copy.glob("*.ipynb")):
                reports[nb.name] = render(browser, base, token, copy, nb.name)
            browser.close()
    return reports


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    if len(argv) != 1:
        print(__doc__)
        return 2
    reports = survey(Path(argv[0]))
    if verbose:
        for name, report in reports.items():
            for category, found in report.problems.items():
                for item in found:
                    print(f"{name}: {category}: {item}")
    print(f"{'notebook':<28}{'unrendered':>11}  " + "  ".join(f"{c}" for c in CATEGORIES))
    for name, report in reports.items():
        counts = report.counts()
        print(f"{name:<28}{report.unrendered:>11}  " + "  ".join(f"{counts[c]:>{len(c)}}" for c in CATEGORIES))
    total = sum(r.unrendered for r in reports.values())
    print(f"{'total':<28}{total:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
