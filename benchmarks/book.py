"""Book timings: cold build, warm rebuild, and each notebook's execution time.

The repository's files (tracked, and untracked ones not ignored by git) are copied to a
temporary directory, so the repository itself, its _build and its execution cache are
never touched. There:

cold build
    ``jupyter-book build . -W -n --keep-going`` with no _build (empty execution cache),
    exactly as ``make book`` runs it (MPLBACKEND unset);
warm rebuild
    the same command again at once, nothing changed;
notebooks
    every chapters/*.ipynb: the execution time the cold build logged for it (myst-nb's
    "Executed notebook in ... seconds", kernel start included), or, for a notebook the
    table of contents does not list yet, a separate top-to-bottom run with nbclient in
    the copy, kernel start included, as tools/execute_notebooks.py runs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT


def _copy_repo(dest: Path) -> int:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    count = 0
    for raw in files:
        if not raw:
            continue
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():  # deleted in the working tree
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        count += 1
    return count


def _build(where: Path, log: Path) -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    jb = Path(sys.executable).parent / "jupyter-book"
    start = time.perf_counter()
    with log.open("w") as fh:
        rc = subprocess.run(
            [str(jb), "build", ".", "-W", "-n", "--keep-going"], cwd=where, env=env, stdout=fh, stderr=subprocess.STDOUT
        ).returncode
    return time.perf_counter() - start, rc


def _execute(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    env_backend = os.environ.pop("MPLBACKEND", None)
    try:
        start = time.perf_counter()
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        return time.perf_counter() - start
    finally:
        if env_backend is not None:
            os.environ["MPLBACKEND"] = env_backend


def run(log_dir: Path) -> dict:
    """Measure everything; build logs are kept in ``log_dir``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="book-bench-"))
    try:
        n_files = _copy_repo(tmp)
        cold, cold_rc = _build(tmp, log_dir / "book_cold.log")
        warm, warm_rc = _build(tmp, log_dir / "book_warm.log")
        logged = {}
        for line in (log_dir / "book_cold.log").read_text(errors="replace").splitlines():
            hit = re.search(r"(\S+\.ipynb): Executed notebook in ([0-9.]+) seconds", line)
            if hit:
                logged[Path(hit.group(1)).resolve().relative_to(tmp.resolve()).as_posix()] = float(hit.group(2))
        notebooks = []
        for path in sorted((tmp / "chapters").glob("*.ipynb")):
            rel = path.relative_to(tmp).as_posix()
            if rel in logged:
                notebooks.append({"notebook": rel, "time": logged[rel], "source": "cold build"})
            else:
                try:
                    notebooks.append({"notebook": rel, "time": _execute(path), "source": "nbclient (not in the toc)"})
                except Exception as exc:  # a notebook still being written may fail
                    notebooks.append({"notebook": rel, "time": None, "source": f"failed: {type(exc).__name__}"})
        return {
            "files": n_files,
            "cold": cold,
            "cold_rc": cold_rc,
            "warm": warm,
            "warm_rc": warm_rc,
            "notebooks": notebooks,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
