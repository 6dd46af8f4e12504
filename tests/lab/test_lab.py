"""The reader notebooks as JupyterLab shows them (what Binder, Colab and the .ipynb button open).

Each notebook of notebooks/ is opened in JupyterLab (the release Binder installs), in
headless Chromium, with every request to another host blocked. Its collapsed solutions
are opened, every cell is rendered, and the test fails on anything that did not render:
MyST markup shown as text, TeX outside a formula, a formula MathJax could not typeset or
whose macro it does not know, what a renderer flags as not found, HTML shown as text, a
link to a missing anchor or notebook, an error output or a broken image (see lab_app.py).
A first test feeds the detector a notebook with one of each problem, so that a detector
that finds nothing cannot pass for a clean book. Counts per notebook go to
_build/lab/summary.json, screenshots to _build/lab/.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from lab_app import CATEGORIES, render

ROOT = Path(__file__).resolve().parents[2]
READER = sorted((ROOT / "notebooks").glob("*.ipynb"))
OUT = ROOT / "_build" / "lab"


def _record(name: str, data: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    summary = OUT / "summary.json"
    existing = json.loads(summary.read_text()) if summary.exists() else {}
    existing[name] = data
    summary.write_text(json.dumps(existing, indent=1, sort_keys=True))


def test_there_is_a_reader_notebook_for_every_chapter():
    chapters = sorted(p.name for p in (ROOT / "chapters").glob("*.ipynb"))
    assert chapters and [p.name for p in READER] == chapters


BAD = [
    "```{prf:theorem} A theorem\n:label: thm-x\n\nBody.\n```",
    "See {prf:ref}`thm-x` and {cite:t}`someone2020`.",
    "(sec-x)=\n# A heading",
    "Text\n:class: dropdown",
    "A \\alpha outside a formula, and a lone $ sign.",
    "An error $\\frac{1}$ and a macro $\\fro{A}$ nobody defined.",
    "Citation Not Found",
    '&lt;a id="x"&gt;&lt;/a&gt; shown as text',
    "[nowhere](#no-such-anchor) and [elsewhere](no_such_notebook.ipynb)",
]


def test_the_detector_finds_each_kind_of_problem(lab, browser):
    base, token, folder = lab
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(text) for text in BAD]
    code = nbformat.v4.new_code_cell("x")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="Traceback: something failed\n"),
        nbformat.v4.new_output("display_data", data={"image/png": "bm90IGFuIGltYWdl", "text/plain": "<Figure>"}),
    ]
    nb.cells.append(code)
    nbformat.write(nb, folder / "zz_detector_check.ipynb")
    try:
        report = render(browser, base, token, folder, "zz_detector_check.ipynb")
    finally:
        (folder / "zz_detector_check.ipynb").unlink()
    counts = report.counts()
    missed = [c for c in CATEGORIES if counts[c] == 0]
    assert not missed, f"the detector found no {missed}: {report.problems}"
    assert counts["raw_myst"] >= 5 and counts["broken_links"] == 2, report.problems


@pytest.mark.parametrize("path", READER, ids=[p.stem for p in READER])
def test_notebook_renders_completely_in_jupyterlab(path, lab, browser):
    base, token, folder = lab
    report = render(browser, base, token, folder, path.name, screenshot=OUT / f"{path.stem}.png")
    _record(path.name, report.as_dict())
    nb = nbformat.read(path, as_version=4)
    solutions = sum(bool(c.metadata.get("jp-MarkdownHeadingCollapsed")) for c in nb.cells)
    assert not report.external_requests, f"requests to other hosts: {report.external_requests}"
    problems = {k: v for k, v in report.problems.items() if v}
    assert report.unrendered == 0, f"{report.unrendered} items did not render: {json.dumps(problems, indent=1)[:3000]}"
    assert report.cells == len(nb.cells) and report.formulas > 0
    assert report.collapsed_sections == solutions, "every solution should open collapsed"
