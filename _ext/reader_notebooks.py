"""Sphinx extension: a chapter's Binder, Colab and .ipynb buttons open its reader notebook.

The chapters are MyST notebooks (chapters/NN_name.ipynb) that only Jupyter Book renders
well; notebooks/NN_name.ipynb is the same chapter in plain Markdown, written by
tools/plain_notebooks.py for JupyterLab, Colab and downloads. sphinx-book-theme builds
the launch and download buttons from the page's source path: this points them at
notebooks/ instead, and copies the reader notebooks into the HTML output, so that the
download button serves them from the site. A chapter without its reader notebook is a
warning (an error under -W): run `make reader-notebooks`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
FOLDER = "notebooks"


def _retarget(app, pagename, templatename, context, doctree):
    if not pagename.startswith("chapters/") or not context.get("header_buttons"):
        return
    name = pagename.split("/", 1)[1] + ".ipynb"
    if not (Path(app.srcdir) / FOLDER / name).exists():
        logger.warning(f"{pagename}: no reader notebook {FOLDER}/{name} (run `make reader-notebooks`)")
        return
    source, reader = f"chapters/{name}", f"{FOLDER}/{name}"
    for group in context["header_buttons"]:
        for button in group.get("buttons", []):
            url = button.get("url", "")
            if button.get("label") == "download-source-button" and url.endswith(source):
                button["url"] = context["pathto"](reader, 1)
                button["tooltip"] = "Download the notebook"
            elif source in url:  # Binder, Colab
                button["url"] = url.replace(source, reader)


def _copy(app, exception):
    if exception is None and app.builder.format == "html":
        shutil.copytree(
            Path(app.srcdir) / FOLDER,
            Path(app.outdir) / FOLDER,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
        )


def setup(app):
    # after the theme has built the buttons (its handlers run at priority 501)
    app.connect("html-page-context", _retarget, priority=900)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
