"""Helpers shared by the benchmarks: subprocess workers, peak memory, number formatting, tables, CSV."""

from __future__ import annotations

import csv
import gc
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

# ---------------------------------------------------------------------------------------
# memory: Linux reports the high-water mark of the resident set (VmHWM) and lets a
# process reset it (write "5" to /proc/self/clear_refs). A measurement is the rise of
# that mark above the resident set just before the measured call: everything the call
# allocates (numpy arrays, BLAS buffers, Python objects), nothing allocated before it.


def _status_kib(key: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1))


def reset_peak() -> int:
    """Reset the peak-RSS mark and return the current RSS in KiB (the baseline)."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # pragma: no cover - not Linux, or not allowed
        pass
    return _status_kib("VmRSS")


def peak_above(baseline_kib: int) -> float:
    """MiB by which the peak RSS rose above ``baseline_kib`` since the last reset."""
    return max(_status_kib("VmHWM") - baseline_kib, 0) / 1024.0


def timed(fn, *, min_total: float = 1.0, max_runs: int = 5):
    """Run ``fn`` once for memory and result, then repeat while cheap; return (result, best seconds, MiB, runs)."""
    base = reset_peak()
    start = time.perf_counter()
    result = fn()
    best = time.perf_counter() - start
    mem = peak_above(base)
    runs, total = 1, best
    while runs < max_runs and total < min_total:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best, total, runs = min(best, elapsed), total + elapsed, runs + 1
    return result, best, mem, runs


# ---------------------------------------------------------------------------------------
# workers: each measurement runs in a fresh interpreter, so that memory peaks and
# caches of one measurement do not leak into the next.


def run_worker(task: dict, *, env: dict | None = None, timeout: float = 1800.0) -> dict:
    """Run ``benchmarks/worker.py`` on ``task`` in a fresh Python; return its JSON answer."""
    proc = subprocess.run(
        [sys.executable, str(HERE / "worker.py"), json.dumps(task)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed on {task}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# formatting


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds >= 100:
        return f"{seconds:.0f}"
    if seconds >= 10:
        return f"{seconds:.1f}"
    if seconds >= 1:
        return f"{seconds:.2f}"
    return f"{seconds:.3g}"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return ""
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.0f}"
    return f"{x:.2g}"


def fmt_err(x: float | None) -> str:
    return "" if x is None else f"{x:.1e}"


def fmt_mib(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}")
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for r in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths, strict=True)))
    sys.stdout.flush()


def write_csv(name: str, header: list[str], rows: list[list[str]]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def worker_env(threads: int | None) -> dict:
    """The environment of the workers: the caller's, with the BLAS thread count pinned if asked."""
    env = dict(os.environ)
    if threads is not None:
        for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[key] = str(threads)
    return env
