"""Execute notebooks top to bottom in a fresh kernel and save them with their outputs.

Usage: python tools/execute_notebooks.py chapters/01_scalar.ipynb [...]

Each notebook runs in its own directory with the kernel named in its metadata
(``python3``), exactly as nbval and the book build run it. Execution counts
start at 1 and follow the cell order. Cell ids are renumbered, no timings are
recorded and consecutive prints of a cell are merged into one output, so that a re-run
changes the file only where an output changed. Code
cells inside a solution span are tagged `solution` (see student_edition.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from student_edition import tag_solutions


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stream outputs of the same name (stdout, stderr) into one."""
    merged: list = []
    for out in outputs:
        if (
            merged
            and out.output_type == "stream"
            and merged[-1].output_type == "stream"
            and merged[-1].name == out.name
        ):
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    tag_solutions(nb)  # code cells inside solution-start/solution-end carry the tag `solution`
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    elapsed = time.perf_counter() - start
    # Stable cell ids keep diffs to what changed (ids only need to be unique), and
    # consecutive prints of a cell are one output however the kernel flushed them.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        path = Path(name)
        print(f"{path}: executed in {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
