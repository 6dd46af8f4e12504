"""Reading metrics of each chapter: what the online reader sees.

For every notebook in chapters/ this prints the characters of markdown, the visible lines
of code (non-blank lines of code cells not tagged remove-input, hide-input or remove-cell),
the visible `assert` lines, the printed lines that show a bare True or False, and the
reading time at 200 words per minute (markdown and visible code).

    python tools/chapter_metrics.py [--markdown] [chapters/*.ipynb]

`tests/test_chapter_budget.py` holds every chapter to the budget in BUDGET.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
HIDDEN_INPUT = {"remove-input", "hide-input", "remove-cell", "hide-cell"}
HIDDEN_OUTPUT = {"remove-output", "remove-cell", "hide-output", "hide-cell"}
BUDGET = {"markdown_chars": 25_000, "visible_code_lines": 250}
TRUE_FALSE = re.compile(r"(?<![\w.'\"])(True|False)(?![\w'\"])")
ASSERT = re.compile(r"^\s*assert\b")


@dataclass(frozen=True)
class Metrics:
    name: str
    markdown_chars: int
    visible_code_lines: int
    visible_asserts: int
    printed_true_false: int
    reading_minutes: float


def _printed_text(cell) -> list[str]:
    lines: list[str] = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            lines += out.get("text", "").splitlines()
        elif out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/html" not in data and "image/png" not in data:
                lines += data.get("text/plain", "").splitlines()
    return lines


def measure(path: Path) -> Metrics:
    nb = nbformat.read(path, as_version=4)
    md_chars = code_lines = asserts = true_false = words = 0
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            md_chars += len(cell.source)
            words += len(cell.source.split())
        elif cell.cell_type == "code":
            if not tags & HIDDEN_INPUT:
                lines = [line for line in cell.source.splitlines() if line.strip()]
                code_lines += len(lines)
                asserts += sum(bool(ASSERT.match(line)) for line in lines)
                words += len(cell.source.split())
            if not tags & HIDDEN_OUTPUT:
                true_false += sum(bool(TRUE_FALSE.search(line)) for line in _printed_text(cell))
    return Metrics(path.stem, md_chars, code_lines, asserts, true_false, round(words / 200, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "chapters").glob("*.ipynb"))
    rows = [measure(p) for p in paths]
    head = ("chapter", "markdown chars", "visible code lines", "visible asserts", "printed True/False", "minutes")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print(
                f"| {r.name} | {r.markdown_chars} | {r.visible_code_lines} | {r.visible_asserts} | "
                f"{r.printed_true_false} | {r.reading_minutes} |"
            )
    else:
        print(f"{'chapter':24s} {'md chars':>9s} {'code':>5s} {'assert':>6s} {'T/F':>4s} {'min':>5s}")
        for r in rows:
            print(
                f"{r.name:24s} {r.markdown_chars:9d} {r.visible_code_lines:5d} {r.visible_asserts:6d} "
                f"{r.printed_true_false:4d} {r.reading_minutes:5.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
