"""Write the student edition of the notebooks: the same chapters with every solution removed.

Usage: python tools/student_edition.py OUTDIR [NOTEBOOK ...] [--clear-outputs] [--no-zip]
(default: every chapter listed in _toc.yml).

Writes OUTDIR/NN_name.ipynb for each chapter and OUTDIR/student-notebooks.zip (those
notebooks and a README.txt for students). `--clear-outputs` also clears the outputs of
the cells that are kept, for an instructor who wants students to run everything
themselves; `--no-zip` skips the zip.

Solutions are written as a `solution-start` ... `solution-end` span (MyST gated
directives); the span may cover prose and code cells. The instructor edition tags
every code cell inside a span with the cell tag `solution` (tools/execute_notebooks.py
keeps the tags up to date). The student edition drops tagged cells, drops the
prose of each span and leaves a short note where a solution was. The outputs of the
cells that are kept stay (the example figures), unless `--clear-outputs` is given; the
outputs of removed solution cells go with them. The result is written as plain
notebooks, like notebooks/ (tools/plain_notebooks.py: numbered theorems and exercises,
references and formulas that JupyterLab, Colab and any notebook viewer render).
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from pathlib import Path

import nbformat
import plain_notebooks
import yaml

ROOT = Path(__file__).resolve().parents[1]
START = re.compile(r"```\{solution-start\}[^\n]*\n(?::[^\n]*\n)*```", re.MULTILINE)
END = re.compile(r"```\{solution-end\}\s*\n```", re.MULTILINE)
NOTE = "*The solution is in the instructor edition of this notebook.*"
TAG = "solution"
ZIP_NAME = "student-notebooks.zip"
ZIP_FOLDER = "student-notebooks"  # the folder the zip unpacks into
# a fixed time stamp in the zip, so that the same notebooks give the same zip
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
README = """\
Gradient Flow in Overparameterized Linear Models: student notebooks
====================================================================

One Jupyter notebook per chapter of the book
(https://overparam-book.github.io/gradient-flow-book/). Each has the chapter's text,
code and example figures; the solutions to the exercises are left out. Where a
solution was, a note says so: the solutions are in the instructor edition of the
notebooks and in the online book.

How to open them
----------------
- Google Colab: https://colab.research.google.com, then File > Upload notebook. The
  first code cell installs the book's helper package, `overparam`, when it runs in
  Colab.
- On your own computer (Python 3.10 or newer):
      python -m venv venv
      source venv/bin/activate          (Windows: venv\\Scripts\\activate)
      pip install jupyterlab numpy scipy sympy matplotlib
      pip install "overparam @ git+https://github.com/overparam-book/gradient-flow-book@main#subdirectory=code"
      jupyter lab
  and open the notebooks from the folder you unpacked.

The saved outputs show what each cell should print; run the cells from top to bottom
(Run > Run All Cells) to reproduce them, then work on the exercises in new cells.
"""


def span_parts(text: str, inside: bool) -> tuple[list[str], bool]:
    """The parts of a markdown cell inside solution spans, and whether the cell ends inside one."""
    parts, pos = [], 0
    while True:
        marker = (END if inside else START).search(text, pos)
        if marker is None:
            if inside:
                parts.append(text[pos:])
            return parts, inside
        if inside:
            parts.append(text[pos : marker.start()])
        pos, inside = marker.end(), not inside


def _scan(text: str, inside: bool) -> bool:
    """Whether a markdown cell that starts ``inside`` a span ends inside one (markers in order)."""
    return span_parts(text, inside)[1]


def solution_mask(nb) -> list[bool]:
    """For each cell: does it lie (wholly or partly) inside a solution span?"""
    inside = False
    mask = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            after = _scan(cell.source, inside)
            mask.append(inside or after or bool(START.search(cell.source)))
            inside = after
        else:
            mask.append(inside)
    return mask


def tag_solutions(nb) -> bool:
    """Tag every code cell inside a solution span with `solution` (and untag the rest). Returns True if changed."""
    changed = False
    for cell, inside in zip(nb.cells, solution_mask(nb), strict=True):
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if inside and TAG not in tags:
            tags.append(TAG)
        elif not inside and TAG in tags:
            tags.remove(TAG)
        else:
            continue
        changed = True
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    return changed


def _strip_spans(text: str, inside: bool) -> tuple[str, bool]:
    """Remove solution spans from one markdown cell; ``inside``: the cell starts inside a span."""
    out = []
    pos = 0
    while True:
        if inside:
            end = END.search(text, pos)
            if end is None:
                return "".join(out), True
            pos = end.end()
            inside = False
        else:
            start = START.search(text, pos)
            if start is None:
                out.append(text[pos:])
                return "".join(out), False
            out.append(text[pos : start.start()] + NOTE + "\n")
            pos = start.end()
            inside = True


def student_copy(nb, clear_outputs: bool = False):
    """A new notebook without solutions; the kept code cells keep their outputs unless ``clear_outputs``."""
    student = nbformat.v4.new_notebook(metadata=nb.metadata)
    inside = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if inside or TAG in cell.metadata.get("tags", []):
                continue
            copy = nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata))
            if not clear_outputs:
                copy.outputs = [nbformat.from_dict(dict(o)) for o in cell.get("outputs", [])]
                copy.execution_count = cell.get("execution_count")
            student.cells.append(copy)
        elif cell.cell_type == "markdown":
            text, inside = _strip_spans(cell.source, inside)
            if text.strip():
                student.cells.append(nbformat.v4.new_markdown_cell(text.strip() + "\n", metadata=dict(cell.metadata)))
        elif not inside:
            student.cells.append(cell)
    for i, cell in enumerate(student.cells):
        cell["id"] = f"cell-{i:03d}"
    return student


def toc_files() -> list[Path]:
    """Every page of _toc.yml (the Markdown pages and the chapter notebooks)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"]] + [e["file"] for part in toc.get("parts", []) for e in part.get("chapters", [])]
    files = []
    for entry in entries:
        for suffix in (".md", ".ipynb"):
            if (ROOT / f"{entry}{suffix}").exists():
                files.append(Path(f"{entry}{suffix}"))
                break
        else:
            raise FileNotFoundError(f"_toc.yml: no file for {entry}")
    return files


def toc_notebooks() -> list[Path]:
    """The chapter notebooks of _toc.yml, in order."""
    return [ROOT / page for page in toc_files() if page.suffix == ".ipynb"]


def write_zip(out: Path, notebooks: list[Path]) -> Path:
    """OUTDIR/student-notebooks.zip: the given notebooks and README.txt in one folder."""
    target = out / ZIP_NAME
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [("README.txt", README.encode())] + [(p.name, p.read_bytes()) for p in notebooks]:
            info = zipfile.ZipInfo(f"{ZIP_FOLDER}/{name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return target


def write_edition(
    out: Path, notebooks: list[Path] | None = None, clear_outputs: bool = False, zip: bool = True, quiet: bool = False
) -> list[Path]:
    """Write the student notebooks (plain, like notebooks/) into ``out``, and the zip. Returns the notebooks."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    notebooks = [Path(p) for p in notebooks] if notebooks else toc_notebooks()
    book = plain_notebooks.Book()
    converter = plain_notebooks.Converter(book)
    chapters = {c.path.name: c for c in book.chapters.values()}
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        student = student_copy(nb, clear_outputs=clear_outputs)
        removed = len(nb.cells) - len(student.cells)
        nbformat.write(converter.convert(student, chapters[path.name]), out / path.name)
        written.append(out / path.name)
        if not quiet:
            print(f"{out / path.name}: {removed} solution cells removed")
    if zip:
        target = write_zip(out, written)
        if not quiet:
            print(f"{target}: {len(written)} notebooks and README.txt")
    return written


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    parser = argparse.ArgumentParser(description="Write the student edition of the notebooks.")
    parser.add_argument("out", type=Path, help="output folder, e.g. student")
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapters (default: every chapter in _toc.yml)")
    parser.add_argument(
        "--clear-outputs",
        action="store_true",
        help="also clear the outputs of the cells that are kept (default: keep the example figures)",
    )
    parser.add_argument("--no-zip", action="store_true", help=f"do not write {ZIP_NAME}")
    args = parser.parse_args(argv)
    write_edition(args.out, args.notebooks, clear_outputs=args.clear_outputs, zip=not args.no_zip)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
