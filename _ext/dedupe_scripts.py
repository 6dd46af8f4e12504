"""Sphinx extension: drop duplicate <script> entries from every HTML page.

sphinx-thebe 0.3.1 registers its inline configuration script on every
``env-before-read-docs`` event, which fires more than once in a Jupyter Book
build; the page then declares ``const THEBE_JS_URL`` twice and the browser
reports "Identifier 'THEBE_JS_URL' has already been declared". Keeping the first
of identical scripts fixes that without touching the theme.
"""

from __future__ import annotations


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        key = (
            getattr(script, "filename", None) or "",
            tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())),
        )
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
