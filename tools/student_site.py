"""Build the student edition of the HTML book: the same site without the solutions.

Usage: python tools/student_site.py [--out _build/student] [--keep-source] [--clear-outputs]

Writes OUT/html (default _build/student/html), meant to be published under the main
site's /student/, with OUT/html/student-notebooks.zip (the student notebooks and a
README for students, from tools/student_edition.py, also written to student/).

Why not simply `hide_solutions: true`: sphinx-exercise 1.2 honours that option for the
`solution` directive only. A gated `solution-start` then returns nothing, the prose and
code cells up to `solution-end` stay on the page, and the leftover `solution-end` node
stops the HTML writer ("unknown node type: solution_end_node"). So this script builds
from a copy of the book's sources in OUT/src, whose chapters are the MyST notebooks with
every solution span removed (tools/student_edition.student_copy: the same cut as the
student notebooks, saved outputs kept), and notebooks/ holds the student notebooks, so
the page's .ipynb download button serves them (_ext/reader_notebooks.py copies that
folder). No notebook is executed (`execute_notebooks: "off"`): the pages show the
outputs saved in the chapters. The config is a copy of _config.yml with:

- execution off;
- the Binder, Colab and Live Code (Thebe) buttons off: they open the repository, whose
  notebooks/ are the instructor edition with the solutions;
- an announcement bar saying that this is the student edition, with a link to the zip;
- html.baseurl pointing at .../student/.

A page with an execution table (`nb-exec-table`, empty without execution) gets a link to
the same page of the full book instead.

No solution has a label (checked here: a label inside a solution span is an error), so
no reference breaks when the solutions go; the build runs with -W -n --keep-going.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import student_edition  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# what the book is built from, besides the chapters and the reader notebooks
SOURCES = ["_toc.yml", "references.bib", "images", "_ext", "benchmarks/results"]
BUILD_FLAGS = ["-W", "-n", "--keep-going"]
ANNOUNCEMENT = (
    'Student edition: the solutions to the exercises are left out. <a href="{zip}">Download the notebooks</a> (zip).'
)


LABEL = re.compile(r"^\(([\w:.-]+)\)=|^:(?:label|name):\s*(\S+)|\$\$\s*\(([\w:.-]+)\)|\\label\{([^}]+)\}", re.MULTILINE)


def solution_labels(nb) -> list[str]:
    """Labels defined inside solution spans (references to them would break in the student edition)."""
    labels, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts, inside = student_edition.span_parts(cell.source, inside)
            text = "".join(parts)
        elif inside or student_edition.TAG in cell.metadata.get("tags", []):
            text = cell.source
            figure = cell.metadata.get("mystnb", {}).get("figure", {})
            labels += [str(figure["name"])] if "name" in figure else []
        else:
            continue
        labels += [next(g for g in m.groups() if g) for m in LABEL.finditer(text)]
    return labels


EXEC_TABLE = re.compile(r"^```\{nb-exec-table\}[^\n]*\n(?::[^\n]*\n)*```[ \t]*$", re.MULTILINE)


def student_page(path: Path, page: Path) -> str:
    """A Markdown page for the student site: the execution table (empty without execution) links to the book's."""
    text = path.read_text()
    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text()).get("html", {}).get("baseurl", "")
    url = f"{baseurl.rstrip('/')}/{page.with_suffix('.html').as_posix()}"
    note = (
        f"*The student edition is not executed when it is built: the table is on this page of the [full book]({url}).*"
    )
    text = EXEC_TABLE.sub(note, text)
    # Links of the landing and course pages into the published site: the PDFs sit one
    # level up from the student edition, and the student edition is this site itself.
    return text.replace('href="pdf/', 'href="../pdf/').replace('href="student/index.html"', 'href="index.html"')


def student_config(out_html_zip: str) -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    launch = config.setdefault("launch_buttons", {})
    launch["binderhub_url"] = ""
    launch["colab_url"] = ""
    launch["thebe"] = False
    html = config.setdefault("html", {})
    if html.get("baseurl"):
        html["baseurl"] = html["baseurl"].rstrip("/") + "/student/"
    html["announcement"] = ANNOUNCEMENT.format(zip=out_html_zip)
    return config


def write_source(src: Path, student_dir: Path) -> None:
    """OUT/src: the book's sources with the student chapters and the student notebooks."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / name)
    for page in student_edition.toc_files():
        (src / page).parent.mkdir(parents=True, exist_ok=True)
        if page.suffix == ".ipynb":
            nb = nbformat.read(ROOT / page, as_version=4)
            labels = solution_labels(nb)
            if labels:
                raise SystemExit(f"{page}: labels inside solutions would break in the student edition: {labels}")
            nbformat.write(student_edition.student_copy(nb), src / page)
        else:
            (src / page).write_text(student_page(ROOT / page, page))
    # the download button serves notebooks/ (see _ext/reader_notebooks.py): the student notebooks
    (src / "notebooks").mkdir()
    for path in sorted(student_dir.glob("*.ipynb")):
        shutil.copy2(path, src / "notebooks" / path.name)
    zip_url = student_edition.ZIP_NAME  # relative to the root pages; see fix_zip_links
    (src / "_config.yml").write_text(yaml.safe_dump(student_config(zip_url), sort_keys=False, allow_unicode=True))


def fix_zip_links(html: Path) -> None:
    """The announcement's link is relative: make it right on pages in subfolders (chapters/)."""
    needle = f'<a href="{student_edition.ZIP_NAME}">'
    for page in html.rglob("*.html"):
        depth = len(page.relative_to(html).parts) - 1
        if depth:
            text = page.read_text()
            if needle in text:
                page.write_text(text.replace(needle, f'<a href="{"../" * depth}{student_edition.ZIP_NAME}">'))


def build(out: Path, clear_outputs: bool = False, keep_source: bool = False, student_dir: Path | None = None) -> Path:
    out = out.resolve()
    student_dir = (student_dir or ROOT / "student").resolve()
    start = time.perf_counter()
    written = student_edition.write_edition(student_dir, clear_outputs=clear_outputs, quiet=True)
    src = out / "src"
    write_source(src, student_dir)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(src), "--path-output", str(out / "tmp"), *BUILD_FLAGS]
    print(" ".join(command), flush=True)
    result = subprocess.run(command, env=env)
    if result.returncode:
        raise SystemExit(f"the student build failed (exit {result.returncode}); sources kept in {src}")
    html = out / "html"
    if html.exists():
        shutil.rmtree(html)
    shutil.move(out / "tmp" / "_build" / "html", html)
    shutil.rmtree(out / "tmp")
    if not keep_source:
        shutil.rmtree(src)
    shutil.copy2(student_dir / student_edition.ZIP_NAME, html / student_edition.ZIP_NAME)
    fix_zip_links(html)
    print(f"{html}: student edition ({len(written)} chapters) in {time.perf_counter() - start:.0f} s")
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "_build" / "student",
        help="output folder; the site goes into OUT/html (default _build/student)",
    )
    parser.add_argument(
        "--student-dir",
        type=Path,
        default=ROOT / "student",
        help="where the student notebooks and the zip are written (default student/)",
    )
    parser.add_argument(
        "--clear-outputs",
        action="store_true",
        help="clear the outputs in the student notebooks and the zip (the pages keep their figures)",
    )
    parser.add_argument("--keep-source", action="store_true", help="keep the generated sources in OUT/src")
    args = parser.parse_args(argv)
    build(args.out, clear_outputs=args.clear_outputs, keep_source=args.keep_source, student_dir=args.student_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
