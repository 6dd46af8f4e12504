"""Every chapter notebook is saved as one clean run would leave it.

Checked for each notebook in chapters/: code cells executed once each, in order,
from a fresh kernel (execution counts 1, 2, 3, ...); no error outputs; the
`python3` kernel; no machine-specific paths or user names in outputs; no output
larger than 1 MB; and every figure with alt text and a caption in its cell metadata.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
LOCAL_PATH = re.compile(r"(/work/|/root/|/home/|/tmp/|/Users/|C:\\\\Users|site-packages|\.venv)")


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_from_one_clean_run(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts} are not 1..{len(code)}"
    for cell in code:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"cell {cell.execution_count} saved with an error"
            assert out.get("name") != "stderr" or not out.get("text", "").strip(), (
                f"cell {cell.execution_count} writes to stderr: {out.get('text', '')[:200]}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_outputs_are_portable_and_small(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            size = len(json.dumps(out))
            assert size < 1_000_000, f"cell {cell.execution_count}: an output of {size / 1e6:.1f} MB"
            texts = [out.get("text", "")] + [
                v for k, v in out.get("data", {}).items() if k.startswith("text/") and k != "text/html"
            ]
            for text in texts:
                text = "".join(text) if isinstance(text, list) else text
                found = LOCAL_PATH.search(text)
                assert not found, f"cell {cell.execution_count}: a local path in the output ({found.group(0)})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_has_alt_text_and_a_caption(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            meta = cell.metadata.get("mystnb", {})
            assert meta.get("image", {}).get("alt", "").strip(), f"cell {cell.execution_count}: figure without alt text"
            assert meta.get("figure", {}).get("caption", "").strip(), (
                f"cell {cell.execution_count}: figure without caption"
            )
