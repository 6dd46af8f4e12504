"""Print the built HTML book to PDF: the whole book, and one PDF per chapter for handouts.

    python tools/book_pdf.py [--html _build/html] [--out _build/pdf]

writes ``book.pdf`` (a generated title page, then every page of _toc.yml in reading order:
introduction, front matter, chapters, back matter) and ``NN_name.pdf`` for each chapter
(chapters/NN_name), plus ``manifest.json`` (titles, page counts, sizes, build time).
Build the HTML first (``make book``).

Why Chromium and not LaTeX
--------------------------
The PDF is the HTML book printed by Debian's headless Chromium, driven by Playwright:

* Chromium is already required by the browser tests (tests/browser), so the PDF needs
  nothing new but ``pypdf`` (to merge the pages and write the outline);
* it prints exactly what the online reader sees: MathJax with the book's macros
  (_config.yml), the sphinx-proof theorems and proofs, the sphinx-exercise exercises and
  solutions, and the figures as the notebooks drew them;
* it avoids a ~1 GB TeX Live install and Sphinx's LaTeX builder, which handles MyST-NB
  outputs and sphinx-proof poorly.

How a page is printed
---------------------
The site is served on 127.0.0.1 and every page is opened as the browser tests open it
(tests/browser/book_site.py: ``PageVisit``): every request to another host is aborted,
and MathJax, which the page asks of a CDN, is served from the ``mathjax`` PyPI package,
so nothing leaves the machine. Then, in the page:

* the solutions (sphinx-exercise ``dropdown`` admonitions, which sphinx-togglebutton
  collapses) and every other ``<details>`` dropdown are opened: the PDF has the solutions.
  (sphinx-togglebutton also opens its toggles on ``beforeprint`` when its
  ``togglebutton_open_on_print`` is on, as by default; the tool does not rely on it);
* the hidden code cells (``details.hide``, "Show code cell source") are dropped: on
  paper they would only print their "Show code" label; the code is in the notebooks.
  Code that the page shows (e.g. in solutions) is printed;
* the animation of chapter 2 (matplotlib's ``to_jshtml`` player, an ``<img
  id="_anim_img...">`` whose frames are base64 PNGs in a script) is replaced by a grid of
  6 frames evenly spaced from its first to its last;
* a print style sheet hides the navigation (header, sidebars, buttons, previous/next);
* it waits for MathJax (``MathJax.startup.promise``, then ``MathJax.typesetPromise()``
  after the changes above), for every image and font, and then checks that every formula
  is typeset (no ``span.math``/``div.math`` without ``mjx-container``, no ``mjx-merror``)
  and that no solution is still hidden; a page that fails stops the build.

Pages are printed on A4 with 15 mm margins and a footer (Playwright's
``displayHeaderFooter``/``footerTemplate``): the page's title on the left and
"page / pages" on the right. The numbers count the pages of each book page (chapter), so
the chapter PDFs and the same pages in book.pdf carry the same numbers. book.pdf gets an
outline (bookmarks): the title page, the parts of _toc.yml and an entry per page under its
part. (Chromium can add the headings of a page to the outline, but only in a tagged PDF,
which prints 40% slower, 50% larger, and drops spaces from some headings.)

The pages are printed by ``--jobs`` Chromium processes at once (default 2), each driven
by its own Playwright instance in a thread; the whole book takes about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import html as html_lib
import importlib.resources
import io
import json
import os
import queue
import socketserver
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from book_site import PageVisit, _QuietHandler, book_config, toc_pages  # noqa: E402

from chromium import CHROMIUM_ARGS, chromium_path  # noqa: E402

FRAMES_IN_PRINT = 6
COVER = "(title page)"
PAPER = "A4"
MARGIN = {"top": "15mm", "bottom": "16mm", "left": "15mm", "right": "15mm"}
# a viewport about as wide as the printed A4 column, so that the layout does not change at print
VIEWPORT = (800, 1100)

PRINT_CSS = """
/* navigation chrome: header, sidebars, buttons, previous/next, footers */
.bd-header, .bd-header-article, .header-article, .bd-sidebar-primary, .bd-sidebar-secondary,
.bd-sidebar, .prev-next-area, .prev-next-footer, .bd-footer, .bd-footer-article, .bd-footer-content,
footer, .footer-article-items, .skip-link, #pst-skip-link, #pst-back-to-top, .search-button,
.theme-switch-button, .article-header-buttons, .headerlink, .toggle-button, .copybtn,
.thebe-launch-button, .sidebar-toggle, .primary-toggle, .secondary-toggle, .bd-search,
.search-button__wrapper, dialog, #jb-print-docs-body { display: none !important; }
/* the theme prints its own title and contents (#jb-print-docs-body) and hides the h1: the h1 has the chapter number */
.bd-main .bd-content .bd-article h1:first-of-type { display: block !important; margin-top: 0 !important; }
html { font-size: 14px; }
body, .bd-page-width, .bd-container, .bd-container__inner, .bd-main, .bd-content,
.bd-article-container, .bd-article { max-width: none !important; width: auto !important;
  margin: 0 !important; padding: 0 !important; display: block !important; overflow: visible !important; }
.bd-main { padding: 0 !important; }
/* wrap long code and text outputs rather than cut them at the margin */
pre { white-space: pre-wrap !important; word-break: break-word; overflow: visible !important; }
.output, .cell_output, .highlight { overflow: visible !important; }
/* keep figures and headings with what follows */
figure, img, .print-anim, mjx-container[display="true"] { break-inside: avoid; }
h1, h2, h3, h4, .admonition-title { break-after: avoid; }
/* the solutions, opened: no hint that they were collapsed */
.admonition.toggle .admonition-title { padding-right: 0.6rem !important; }
/* the animation, as a grid of frames */
.print-anim-grid { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px 12px; max-width: 15cm; margin: 0 auto; }
.print-anim-grid figure { margin: 0; text-align: center; }
.print-anim-grid img { width: 100%; height: auto; }
.print-anim-grid figcaption { font-size: 0.8rem; color: #555; }
.print-anim-note { font-size: 0.85rem; color: #555; text-align: center; }
"""  # noqa: E501

PREPARE_JS = """
async (framesInPrint) => {
  // 1. solutions and other dropdowns: open; hidden code cells: dropped
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('details').forEach(d => {
    if (d.classList.contains('hide')) d.remove(); else d.open = true;
  });

  // 2. the jshtml animations: a grid of frames taken from the player's frames
  let animations = 0;
  document.querySelectorAll('img[id^="_anim_img"]').forEach(img => {
    const key = img.id.slice('_anim_img'.length);
    const player = window['anim' + key];
    let frames = player && player.frames ? Array.from(player.frames, f => f.src) : [];
    if (!frames.length) {  // the player did not start: read the frames from its script
      for (const s of document.scripts) {
        if (!s.text.includes('"' + img.id + '"')) continue;
        for (const m of s.text.matchAll(/frames\\[(\\d+)\\]\\s*=\\s*"((?:[^"\\\\]|\\\\[\\s\\S])*)"/g))
          frames[parseInt(m[1])] = m[2].replace(/\\\\\\n/g, '');
      }
      frames = frames.filter(Boolean);
    }
    if (!frames.length) frames = [img.src];
    const n = frames.length, k = Math.min(framesInPrint, n);
    const picks = k === 1 ? [0] : Array.from({length: k}, (_, j) => Math.round(j * (n - 1) / (k - 1)));
    const box = document.createElement('div');
    box.className = 'print-anim';
    const grid = document.createElement('div');
    grid.className = 'print-anim-grid';
    for (const i of picks) {
      const fig = document.createElement('figure');
      const im = document.createElement('img');
      im.src = frames[i];
      im.alt = (img.alt || 'animation') + ` (frame ${i + 1} of ${n})`;
      const cap = document.createElement('figcaption');
      cap.textContent = `frame ${i + 1} of ${n}`;
      fig.append(im, cap);
      grid.append(fig);
    }
    const note = document.createElement('p');
    note.className = 'print-anim-note';
    note.textContent = `An animation in the online book; printed here as ${k} of its ${n} frames, in order.`;
    box.append(grid, note);
    (img.closest('.animation') || img).replaceWith(box);
    animations += 1;
  });

  // 3. every image loaded (none lazily), MathJax done with the page as changed, fonts in
  document.querySelectorAll('img[loading]').forEach(i => i.loading = 'eager');
  await Promise.all(Array.from(document.images, i => i.complete ? null :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  if (window.MathJax && MathJax.startup) {
    await MathJax.startup.promise;
    // typeset again only what is not typeset yet (a full pass would redo the whole page)
    const pending = Array.from(document.querySelectorAll('span.math, div.math')).filter(e => !e.querySelector('mjx-container'));
    if (pending.length && MathJax.typesetPromise) await MathJax.typesetPromise(pending);
  }
  await document.fonts.ready;

  // 4. what the caller checks
  const math = document.querySelectorAll('span.math, div.math');
  const solutions = Array.from(document.querySelectorAll('.solution'));
  const title = document.querySelector('h1');
  return {
    formulas: math.length,
    untypeset: Array.from(math).filter(e => !e.querySelector('mjx-container')).length,
    merrors: document.querySelectorAll('mjx-merror').length,
    solutions: solutions.length,
    hidden_solutions: solutions.filter(s => {
      const body = s.querySelector('.admonition-title ~ *');
      return s.classList.contains('toggle-hidden') || (body && (body.offsetHeight === 0 ||
        getComputedStyle(body).visibility === 'hidden'));
    }).length,
    closed_details: Array.from(document.querySelectorAll('details')).filter(d => !d.open).length,
    animations: animations,
    broken_images: Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length,
    h1: title ? title.innerText.replace(/#$/, '').trim() : '',
  };
}
"""  # noqa: E501


def mathjax_dir() -> Path:
    """MathJax 3 from the `mathjax` PyPI package (as tests/browser/conftest.py serves it)."""
    folder = Path(str(importlib.resources.files("mathjax"))) / "static" / "mathjax"
    if not (folder / "es5" / "tex-mml-chtml.js").exists():
        raise SystemExit("the mathjax package (MathJax 3) is not installed: see requirements.txt")
    return folder


def toc_parts() -> list[tuple[str | None, list[str]]]:
    """(part caption, pages) in reading order; the root page comes first, without a part."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts: list[tuple[str | None, list[str]]] = [(None, [toc["root"]])]

    def walk(entries, into):
        for entry in entries or []:
            if "file" in entry:
                into.append(entry["file"])
            walk(entry.get("sections"), into)

    for part in toc.get("parts", []):
        pages: list[str] = []
        walk(part.get("chapters"), pages)
        parts.append((part.get("caption"), pages))
    if toc.get("chapters"):
        pages = []
        walk(toc.get("chapters"), pages)
        parts.append((None, pages))
    return parts


def _footer(title: str) -> str:
    return (
        '<div style="font-size:8px; font-family:sans-serif; color:#666; width:100%; margin:0 15mm;'
        ' display:flex; justify-content:space-between;">'
        f"<span>{html_lib.escape(title)}</span>"
        '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
    )


def _pdf_options(footer_title: str | None) -> dict:
    options = {"format": PAPER, "margin": MARGIN, "print_background": True}
    if footer_title is not None:
        options.update(
            display_header_footer=True, header_template="<span></span>", footer_template=_footer(footer_title)
        )
    return options


def _cover(browser, config: dict) -> bytes:
    """A simple generated title page: title, description, author, date of printing."""
    today = datetime.date.today().isoformat()
    page_html = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html_lib.escape(config["title"])}</title>
<style>
body {{ font-family: sans-serif; margin: 0; }}
.cover {{ height: 250mm; display: flex; flex-direction: column; justify-content: center; padding: 0 10mm; }}
h1 {{ font-size: 30pt; line-height: 1.2; margin: 0 0 12mm; }}
.description {{ font-size: 12pt; line-height: 1.5; color: #333; }}
.meta {{ margin-top: 20mm; font-size: 11pt; color: #555; }}
</style></head><body><div class="cover">
<h1>{html_lib.escape(config["title"])}</h1>
<div class="description">{html_lib.escape(" ".join(str(config.get("description", "")).split()))}</div>
<div class="meta">{html_lib.escape(str(config.get("author", "")))}<br>
Printed from the HTML book on {today}. Online: {html_lib.escape(config.get("html", {}).get("baseurl", ""))}</div>
</div></body></html>"""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("**/*", lambda r: r.abort())  # the cover asks for nothing
        page.set_content(page_html)
        return page.pdf(**_pdf_options(None))
    finally:
        context.close()


def _print_page(browser, site: str, mathjax: Path, page_name: str) -> tuple[bytes, dict]:
    visit = PageVisit(browser, site, mathjax, viewport=VIEWPORT)
    try:
        visit.context.add_init_script("localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light');")
        t0 = time.monotonic()
        visit.open(f"{site}/{page_name}.html")
        t1 = time.monotonic()
        page = visit.page
        page.add_style_tag(content=PRINT_CSS)
        info = page.evaluate(PREPARE_JS, FRAMES_IN_PRINT)
        info["title"] = page.title().split(" \u2014 ")[0].strip()
        problems = []
        if info["untypeset"] or info["merrors"]:
            problems.append(f"{info['untypeset']} formulas not typeset, {info['merrors']} MathJax errors")
        if info["hidden_solutions"] or info["closed_details"]:
            problems.append(f"{info['hidden_solutions']} solutions hidden, {info['closed_details']} dropdowns closed")
        if info["broken_images"]:
            problems.append(f"{info['broken_images']} images did not load")
        if problems:
            raise RuntimeError(f"{page_name}: " + "; ".join(problems))
        info["external_requests_blocked"] = len(visit.external)
        t2 = time.monotonic()
        pdf = page.pdf(**_pdf_options(info["title"]))
        info["seconds"] = {
            "open": round(t1 - t0, 1),
            "prepare": round(t2 - t1, 1),
            "print": round(time.monotonic() - t2, 1),
        }
        return pdf, info
    finally:
        visit.close()


def _append(writer, data: bytes, title: str, part: tuple[str, list] | None = None) -> int:
    """Append one printed page to ``writer`` with an outline entry; returns its number of pages.

    ``part`` is (caption, [outline item or None]): the part's entry is made at its first page.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    start = len(writer.pages)
    writer.append(reader, import_outline=False)
    parent = None
    if part is not None:
        caption, item = part
        if item[0] is None:
            item[0] = writer.add_outline_item(title=caption, page_number=start)
        parent = item[0]
    writer.add_outline_item(title=title, page_number=start, parent=parent)
    return len(reader.pages)


def _metadata(writer, title: str, config: dict) -> None:
    writer.add_metadata(
        {
            "/Title": title,
            "/Author": str(config.get("author", "")),
            "/Subject": config["title"],
            "/Creator": "tools/book_pdf.py (the HTML book printed by headless Chromium)",
        }
    )


def build(html: Path, out: Path, jobs: int = 2, log=print) -> dict:
    """Print the book in ``html`` into ``out``; returns the manifest (also written to manifest.json)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
    from pypdf import PdfWriter

    started = time.monotonic()
    config = book_config()
    parts = toc_parts()
    order = [p for _, pages in parts for p in pages]
    assert order == toc_pages(), "the parts of _toc.yml do not add up to its pages"
    missing = [p for p in order if not (html / f"{p}.html").exists()]
    if missing:
        raise SystemExit(f"pages of _toc.yml missing from {html}: {missing}; rebuild the book (`make book`)")
    path = chromium_path()
    if path is None:
        raise SystemExit("Chromium was not found (install Debian's `chromium` or set $CHROMIUM)")
    out.mkdir(parents=True, exist_ok=True)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}"
    mathjax = mathjax_dir()

    # the longest pages first, so that the workers finish together
    todo: queue.Queue = queue.Queue()
    for name in sorted(order, key=lambda p: -(html / f"{p}.html").stat().st_size):
        todo.put(name)
    todo.put(COVER)
    printed: dict[str, tuple[bytes, dict]] = {}
    failures: list[str] = []

    def worker():
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            try:
                while not failures:
                    try:
                        name = todo.get_nowait()
                    except queue.Empty:
                        return
                    t0 = time.monotonic()
                    try:
                        if name == COVER:
                            printed[name] = (_cover(browser, config), {})
                            continue
                        try:
                            printed[name] = _print_page(browser, site, mathjax, name)
                        except PlaywrightTimeout as exc:  # a busy machine: once more, then give up
                            log(f"  {name}: {str(exc).splitlines()[0]}; trying again")
                            printed[name] = _print_page(browser, site, mathjax, name)
                    except Exception as exc:  # reported below, for every page that failed
                        failures.append(f"{name}: {exc}")
                        continue
                    info = printed[name][1]
                    log(
                        f"  printed {name}: {info['formulas']} formulas, {info['solutions']} solutions, "
                        f"{info['animations']} animations ({time.monotonic() - t0:.1f} s)"
                    )
            finally:
                browser.close()

    try:
        threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.shutdown()
        server.server_close()
    if failures:
        raise RuntimeError("the book could not be printed:\n" + "\n".join(failures))

    manifest: dict = {"html": os.path.relpath(html, ROOT), "paper": PAPER, "pages": {}, "chapters": {}}
    book = PdfWriter()
    book.append(io.BytesIO(printed[COVER][0]), import_outline=False)
    book.add_outline_item(title="Title page", page_number=0)
    for caption, pages in parts:
        part = (caption, [None]) if caption else None
        for name in pages:
            data, info = printed[name]
            n = _append(book, data, info["title"], part)
            manifest["pages"][name] = {"title": info["title"], "pages": n, "seconds": info["seconds"]}
            if name.startswith("chapters/"):
                chapter = PdfWriter()
                _append(chapter, data, info["title"])
                _metadata(chapter, f"{info['title']} \u2014 {config['title']}", config)
                target = out / f"{Path(name).name}.pdf"
                with open(target, "wb") as f:
                    chapter.write(f)
                manifest["chapters"][target.name] = {
                    "page": name,
                    "title": info["title"],
                    "pages": n,
                    "bytes": target.stat().st_size,
                }
    _metadata(book, config["title"], config)
    book.page_mode = "/UseOutlines"
    with open(out / "book.pdf", "wb") as f:
        book.write(f)
    manifest["book"] = {"pages": len(book.pages), "bytes": (out / "book.pdf").stat().st_size}
    manifest["seconds"] = round(time.monotonic() - started, 1)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built HTML book")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf", help="where the PDFs go")
    parser.add_argument("--jobs", type=int, default=2, help="pages printed at once (Chromium processes)")
    args = parser.parse_args(argv)
    manifest = build(args.html.resolve(), args.out.resolve(), jobs=args.jobs)
    print(f"book.pdf: {manifest['book']['pages']} pages, {manifest['book']['bytes'] / 1e6:.1f} MB")
    for name, c in manifest["chapters"].items():
        print(f"{name}: {c['pages']} pages, {c['bytes'] / 1e6:.2f} MB")
    print(f"in {manifest['seconds']} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
