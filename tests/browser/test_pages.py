"""The built book as a reader meets it, in headless Chromium.

For every page of the table of contents: math renders without MathJax errors,
every image loads and has alt text, the console stays free of errors, nothing is
fetched from another host, every internal link (and its #fragment) resolves, and
screenshots at desktop and phone width are written to _build/screenshots/.
Notebook pages also offer Binder, Colab, Live Code (Thebe) and the .ipynb download, the
first two and the last for the chapter's reader notebook (notebooks/).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import numpy as np
import pytest
from book_site import HTML, ROOT, SCREENSHOTS, book_config, notebook_pages, toc_pages
from bs4 import BeautifulSoup
from PIL import Image

PAGES = toc_pages()
NOTEBOOKS = notebook_pages()
SUMMARY = SCREENSHOTS / "summary.json"


def _record(page: str, **counts) -> None:
    """Keep a per-page tally (equations, images, links) for the closing report."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    data = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    data.setdefault(page, {}).update(counts)
    SUMMARY.write_text(json.dumps(data, indent=1, sort_keys=True))


@cache
def _ids_in(html_file: Path) -> frozenset[str]:
    soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
    return frozenset(tag["id"] for tag in soup.find_all(id=True))


def test_the_table_of_contents_lists_built_pages():
    assert "intro" in PAGES and len(PAGES) >= 4
    for page in PAGES:
        assert (HTML / f"{page}.html").exists(), f"{page}.html was not built"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_cleanly(page, visit, site):
    v = visit(f"{page}.html")
    p = v.page

    # math: no MathJax error node, every display and inline formula typeset
    assert p.locator("mjx-merror").count() == 0, "MathJax reported an error in a formula"
    display = p.locator("div.math").count()
    display_done = p.locator("div.math mjx-container").count()
    inline = p.locator("span.math").count()
    inline_done = p.locator("span.math mjx-container").count()
    assert display_done == display, f"{display - display_done} of {display} display equations were not rendered"
    assert inline_done == inline, f"{inline - inline_done} of {inline} inline formulas were not rendered"

    # images: loaded, with alt text
    images = p.evaluate(
        "Array.from(document.images).map(i => ({src: i.currentSrc.slice(-60), ok: i.complete && i.naturalWidth > 0,"
        " alt: (i.getAttribute('alt') || '').trim()}))"
    )
    broken = [i["src"] for i in images if not i["ok"]]
    no_alt = [i["src"] for i in images if not i["alt"]]
    assert not broken, f"images that did not load: {broken}"
    assert not no_alt, f"images without alt text: {no_alt}"

    # nothing outside localhost (MathJax is served locally), no console errors
    assert not v.external, f"requests to other hosts: {v.external}"
    assert not v.console_errors, f"console errors: {v.console_errors}"

    # internal links and their fragments
    hrefs = p.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    internal = [h for h in hrefs if h.startswith(site)]
    for href in internal:
        url, fragment = urldefrag(href)
        target = HTML / urlparse(url).path.lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        assert target.exists(), f"link to a missing file: {href}"
        if fragment and target.suffix == ".html":
            assert fragment in _ids_in(target), f"link to a missing anchor: {href}"

    # screenshots at desktop width (already open) and at phone width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = page.replace("/", "__")
    p.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"))
    phone = visit(f"{page}.html", viewport=(390, 844))
    phone.page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"))
    assert not phone.console_errors, f"console errors at phone width: {phone.console_errors}"
    _record(page, display_equations=display, inline_formulas=inline, images=len(images), internal_links=len(internal))


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_notebook_page_offers_binder_colab_thebe_and_download_of_the_reader_notebook(page, visit):
    """Binder, Colab and the .ipynb button open the chapter's reader notebook (notebooks/),
    the plain version that JupyterLab and Colab render, not the MyST source."""
    config = book_config()
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    branch = config["repository"]["branch"]
    binderhub = config["launch_buttons"]["binderhub_url"].rstrip("/")
    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    reader = f"notebooks/{page.split('/')[-1]}.ipynb"
    assert (ROOT / reader).exists()
    expected_binder = f"{binderhub}/v2/gh/{repo}/{branch}?urlpath=lab/tree/{reader}"
    expected_colab = f"{colab}/github/{repo}/blob/{branch}/{reader}"
    p = visit(f"{page}.html").page
    links = p.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    assert expected_binder in links, f"no Binder link {expected_binder}"
    assert expected_colab in links, f"no Colab link {expected_colab}"
    assert not [h for h in links if ("mybinder" in h or "colab" in h) and "/chapters/" in h], (
        "a launch link to the MyST source"
    )
    assert p.locator("button.btn-launch-thebe").count() == 1, "no Live Code (Thebe) button"
    downloads = p.evaluate(
        "Array.from(document.querySelectorAll('a[href$=\".ipynb\"]')).map(a => a.getAttribute('href'))"
    )
    assert f"../{reader}" in downloads, f"no download of {reader} among {downloads}"
    assert (HTML / reader).read_bytes() == (ROOT / reader).read_bytes()


def test_every_figure_has_an_opaque_background():
    """Figures keep their white background in the dark theme: no transparent pixels."""
    pngs = sorted((HTML / "_images").glob("*.png"))
    assert pngs, "no figures were built"
    transparent = []
    for png in pngs:
        with Image.open(png) as im:
            if im.mode in ("RGBA", "LA") or "transparency" in im.info:
                alpha = np.asarray(im.convert("RGBA"))[..., 3]
                if alpha.min() < 255:
                    transparent.append(png.name)
    assert not transparent, f"figures with transparent pixels: {transparent}"
    _record("_images", png_figures=len(pngs))


def test_dark_mode_screenshot(visit):
    page = NOTEBOOKS[0]
    v = visit(f"{page}.html", dark=True)
    assert v.page.evaluate("document.documentElement.dataset.theme") == "dark"
    figure = v.page.locator("figure img").first
    figure.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    v.page.screenshot(path=str(SCREENSHOTS / f"{page.replace('/', '__')}-dark.png"))
    assert not v.console_errors, f"console errors in dark mode: {v.console_errors}"
