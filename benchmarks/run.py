"""Performance benchmarks of the book: flows at any width, closed forms, the book build.

Run (about 3 minutes on the 2-core machine with the book of chapters 1-4; each chapter
adds its execution time to the cold build, and --skip-book skips that part):

    .venv/bin/python benchmarks/run.py [--skip-book] [--skip-flows] [--skip-closed]
                                       [--threads N] [--params-cap S] [--gd-cap S]

It prints the tables and writes benchmarks/results/*.csv (read by the appendix page
appendix_fast.md; the book never re-measures). Every flow measurement runs in a fresh
Python process (benchmarks/worker.py), so that peak memory and caches do not carry over.

Flows (benchmarks/flows.py): gradient flow to T = 10 for the factorization problem
(m = n = 20) and experiment A's regression problem (m = 400, n = 1) at k = 10 ... 10^5,

* width-free: overparam.flow.gradient_flow(method="gram");
* parameter space: gradient_flow(method="params");
  both with the loosest rtol of 1e-6, 1e-7, ... that gives a relative error <= 1e-8 on W
  (atol = 1e-3 rtol times the RMS entry of Z0); the search starts, at each width, from the
  rtol that sufficed at the previous one;
* plain gradient descent on (U, V) at full width, with the largest step T / N (N a multiple
  of 4, to 1 %) that reaches 1e-4. N is found on the exact small equivalent (GD, too,
  depends on the start only through Z0 Z0^T); the full-width run is timed in full when it
  takes at most --gd-cap seconds, otherwise for enough steps to time one step, and the
  total is projected (marked "projected").

A parameter-space run whose projected time (linear in k from the previous width) exceeds
--params-cap seconds is not run; its time and memory are projected the same way.

Time is the best of up to 5 runs (a call is repeated until 1 s has been spent on it), peak memory the
rise of the process's peak resident set above the resident set just before the call.

BLAS runs single-threaded in the flow and closed-form measurements unless --threads says
otherwise: every method then gets one core, and the numbers stay meaningful when something
else runs on the 2-core machine (with two BLAS threads and a busy second core, OpenBLAS's
threads wait on each other and a 401 x 401 eigendecomposition was seen to take 4 s instead
of 0.02 s). The book is built and its notebooks run with the environment as it is.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import flows  # noqa: E402
from _common import (  # noqa: E402
    HERE,
    ROOT,
    fmt_err,
    fmt_mib,
    fmt_ratio,
    fmt_time,
    print_table,
    run_worker,
    worker_env,
    write_csv,
)

RTOLS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)
LOGS = HERE / "logs"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# flows


def run_flows(args, env) -> dict:
    cases = [(p, k) for p in flows.PROBLEMS for k in flows.WIDTHS]
    _log("flows: references and GD step search on the exact small equivalents (2 at a time, not timed)")
    with ThreadPoolExecutor(max_workers=2) as pool:
        smalls = dict(
            zip(
                cases,
                pool.map(lambda c: run_worker({"kind": "small", "problem": c[0], "k": c[1]}, env=env), cases),
                strict=True,
            )
        )

    results: dict[tuple, dict] = {}
    for problem in flows.PROBLEMS:
        for method in ("gram", "params"):
            idx, prev = 0, None
            for k in flows.WIDTHS:
                ref = smalls[(problem, k)]["W_ref"]
                if method == "params" and prev is not None and prev["time"] * k / prev["k"] > args.params_cap:
                    res = {
                        "status": "projected",
                        "time": prev["time"] * k / prev["k"],
                        "mem": prev["mem"] * k / prev["k"],
                        "error": None,
                        "rtol": prev["rtol"],
                        "k": k,
                    }
                    _log(f"  {problem} k={k} {method}: not run, projected {res['time']:.0f} s")
                    results[(problem, k, method)] = res
                    prev = res
                    continue
                while True:
                    rtol = RTOLS[idx]
                    out = run_worker(
                        {"kind": "flow", "problem": problem, "k": k, "method": method, "rtol": rtol}, env=env
                    )
                    err = flows.relative_error(out["W"], ref)
                    _log(f"  {problem} k={k} {method} rtol={rtol:.0e}: {out['time']:.4f} s, error {err:.1e}")
                    if err <= flows.FLOW_TARGET or idx == len(RTOLS) - 1:
                        break
                    idx += 1
                res = {
                    "status": "measured",
                    "time": out["time"],
                    "setup": out["setup"],
                    "mem": out["mem"],
                    "error": err,
                    "rtol": rtol,
                    "k": k,
                    "runs": out["runs"],
                }
                results[(problem, k, method)] = res
                prev = res
        for k in flows.WIDTHS:
            sm = smalls[(problem, k)]
            out = run_worker(
                {"kind": "gd", "problem": problem, "k": k, "n_steps": sm["gd_steps"], "cap": args.gd_cap}, env=env
            )
            if out["mode"] == "measured":
                err, status = flows.relative_error(out["W"], sm["W_ref"]), "measured"
            else:
                err, status = sm["gd_error"], "projected"
            _log(f"  {problem} k={k} GD N={sm['gd_steps']}: {out['time']:.3f} s ({status}), error {err:.2e}")
            results[(problem, k, "gd")] = {
                "status": status,
                "time": out["time"],
                "mem": out["mem"],
                "error": err,
                "steps": sm["gd_steps"],
                "steps_timed": out["steps_timed"],
            }
    return {"smalls": smalls, "results": results}


def flow_tables(data) -> dict:
    smalls, results = data["smalls"], data["results"]
    names = {"gram": "width-free", "params": "parameter space", "gd": "plain GD"}
    long_rows = []
    for problem in flows.PROBLEMS:
        for k in flows.WIDTHS:
            for method in ("gram", "params", "gd"):
                r = results[(problem, k, method)]
                if method == "gd":
                    setting = f"step T/{r['steps']}"
                    note = "measured" if r["status"] == "measured" else f"projected from {r['steps_timed']} steps"
                    if r["status"] != "measured":
                        note += "; error of the exact small equivalent"
                else:
                    setting = f"rtol {r['rtol']:.0e}"
                    note = r["status"] if r["status"] == "measured" else "not run: projected linearly in k"
                long_rows.append(
                    [
                        problem,
                        f"{k:,}",
                        names[method],
                        setting,
                        fmt_time(r["time"]),
                        fmt_mib(r["mem"]),
                        fmt_err(r["error"]),
                        note,
                    ]
                )
    long_header = ["problem", "k", "method", "setting", "time [s]", "peak memory [MiB]", "error on W", "note"]

    ratio_rows = []
    for problem in flows.PROBLEMS:
        base = results[(problem, flows.WIDTHS[0], "gram")]
        for k in flows.WIDTHS:
            g = results[(problem, k, "gram")]
            p = results[(problem, k, "params")]
            d = results[(problem, k, "gd")]
            star = lambda r: "" if r["status"] == "measured" else " *"  # noqa: E731
            ratio_rows.append(
                [
                    problem,
                    f"{k:,}",
                    fmt_time(g["time"]),
                    fmt_time(g["setup"]),
                    fmt_ratio(p["time"] / g["time"]) + star(p),
                    fmt_ratio(d["time"] / g["time"]) + star(d),
                    fmt_ratio(g["time"] / base["time"]),
                    fmt_ratio(_integration(g) / _integration(base)),
                    f"{smalls[(problem, k)]['ref_gap']:.0e}",
                ]
            )
    ratio_header = [
        "problem",
        "k",
        "width-free [s]",
        "of which setup [s]",
        "parameter space / width-free",
        "plain GD / width-free",
        "width-free / same at k = 10",
        "same, setup excluded",
        "reference error (est.)",
    ]
    return {"long": (long_header, long_rows), "ratios": (ratio_header, ratio_rows)}


def _integration(r: dict) -> float:
    """Time after the setup (floored at 1 % of the total, against timing noise)."""
    return max(r["time"] - r["setup"], 0.01 * r["time"])


def flow_targets(data) -> list[list[str]]:
    res = data["results"]
    rows = []
    for problem in flows.PROBLEMS:
        g4, p4, d4 = (res[(problem, 10_000, m)] for m in ("gram", "params", "gd"))
        r_p = p4["time"] / g4["time"]
        r_d = d4["time"] / g4["time"]
        g5, g1 = res[(problem, 100_000, "gram")], res[(problem, 10, "gram")]
        r_w = g5["time"] / g1["time"]
        r_i = _integration(g5) / _integration(g1)
        rows += [
            [
                problem,
                "width-free vs parameter space at k = 10^4",
                ">= 100x",
                f"{fmt_ratio(r_p)}x",
                "yes" if r_p >= 100 else "no",
            ],
            [
                problem,
                "width-free vs plain GD at k = 10^4",
                ">= 1000x",
                f"{fmt_ratio(r_d)}x" + ("" if d4["status"] == "measured" else " (GD projected)"),
                "yes" if r_d >= 1000 else "no",
            ],
            [problem, "width-free at k = 10^5 vs k = 10", "<= 3x", f"{r_w:.2g}x", "yes" if r_w <= 3 else "no"],
            [
                problem,
                "  the same without the setup (checks, Gram matrix, factor)",
                "(for information)",
                f"{r_i:.2g}x",
                "",
            ],
        ]
    return rows


# ---------------------------------------------------------------------------------------
# closed forms


#: A closed form should cost about one pass over its output: at least this many times less
#: than the ODE solve it replaces, at 10^4 time points.
CLOSED_SPEEDUP = 20


def run_closed(env) -> list[dict]:
    out = []
    for case in ("scalar", "spectral", "riccati"):
        r = run_worker({"kind": "closed", "case": case}, env=env)
        _log(f"  closed form {case}: {r['closed_time']:.2e} s vs ODE {r['ode_time']:.2f} s")
        out.append(r)
    return out


def closed_table(rows) -> tuple[list[str], list[list[str]]]:
    header = [
        "closed form",
        "size",
        "time points",
        "closed form [s]",
        "ODE solve [s]",
        "speed-up",
        "closed-form error",
        "ODE error",
        "target",
        "met",
    ]
    body = []
    for r in rows:
        speed = r["ode_time"] / r["closed_time"]
        ok = speed >= CLOSED_SPEEDUP and r["closed_error"] <= r["ode_error"]
        body.append(
            [
                r["case"],
                r["size"],
                f"{r['points']:,}",
                f"{r['closed_time']:.2g}",
                fmt_time(r["ode_time"]),
                fmt_ratio(speed),
                fmt_err(r["closed_error"]),
                fmt_err(r["ode_error"]),
                f">= {CLOSED_SPEEDUP}x, error <= ODE's",
                "yes" if ok else "no",
            ]
        )
    return header, body


# ---------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--skip-book", action="store_true", help="skip the book timings (cold build, warm rebuild, notebooks)"
    )
    ap.add_argument("--skip-flows", action="store_true")
    ap.add_argument("--skip-closed", action="store_true")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads of the flow and closed-form measurements; 0 leaves BLAS's own default (default: 1, see the module docstring)",  # noqa: E501
    )
    ap.add_argument(
        "--params-cap",
        type=float,
        default=60.0,
        help="skip (and project) a parameter-space run projected above this many seconds",
    )
    ap.add_argument(
        "--gd-cap",
        type=float,
        default=10.0,
        help="time plain GD in full when it takes at most this many seconds, else project",
    )
    args = ap.parse_args(argv)
    env = worker_env(args.threads or None)
    LOGS.mkdir(exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        _log(f"warning: load average {load_before[0]:.1f} before the start; timings on a busy machine are noisy")

    if not args.skip_flows:
        _log("== flows ==")
        data = run_flows(args, env)
        (LOGS / "flows_raw.json").write_text(
            json.dumps(
                {
                    "smalls": {
                        f"{p}|{k}": {x: y for x, y in v.items() if x != "W_ref"} for (p, k), v in data["smalls"].items()
                    },
                    "results": {"|".join(map(str, key)): v for key, v in data["results"].items()},
                },
                indent=1,
            )
        )
        tabs = flow_tables(data)
        print_table("Gradient flow to T = 10: time, peak memory, error (relative, on W)", *tabs["long"])
        write_csv("flow.csv", *tabs["long"])
        print_table("Ratios (* = involves a projected time)", *tabs["ratios"])
        write_csv("flow_ratios.csv", *tabs["ratios"])
        targets = flow_targets(data)
        print_table("Flow targets", ["problem", "target", "required", "measured", "met"], targets)
        write_csv("flow_targets.csv", ["problem", "target", "required", "measured", "met"], targets)

    if not args.skip_closed:
        _log("== closed forms ==")
        header, body = closed_table(run_closed(env))
        print_table("Closed forms against the ODE solve, 10^4 time points in [0, 10]", header, body)
        write_csv("closed_forms.csv", header, body)

    if not args.skip_book:
        _log("== book (cold build, warm rebuild, notebooks; a few minutes) ==")
        import book

        b = book.run(LOGS)
        rows = [
            [
                "cold build (empty execution cache)",
                fmt_time(b["cold"]),
                "< 180",
                "yes" if b["cold"] < 180 else "no",
                f"exit {b['cold_rc']}",
            ],
            [
                "warm rebuild (nothing changed)",
                fmt_time(b["warm"]),
                "< 30",
                "yes" if b["warm"] < 30 else "no",
                f"exit {b['warm_rc']}",
            ],
        ]
        header = ["build", "time [s]", "target [s]", "met", "note"]
        print_table("Book build (jupyter-book build . -W -n --keep-going, in a copy of the repository)", header, rows)
        write_csv("book.csv", header, rows)
        nb_rows = [
            [
                n["notebook"],
                fmt_time(n["time"]),
                "< 20",
                "" if n["time"] is None else ("yes" if n["time"] < 20 else "no"),
                n["source"],
            ]
            for n in b["notebooks"]
        ]
        nb_header = ["notebook", "execution [s]", "target [s]", "met", "measured in"]
        print_table("Notebook execution (kernel start included)", nb_header, nb_rows)
        write_csv("notebooks.csv", nb_header, nb_rows)

    total = time.perf_counter() - started
    import numpy as np
    import scipy

    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):  # pragma: no cover
        cpu = platform.processor()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if dirty:
        commit += " with uncommitted changes"
    parts = [
        name
        for name, skip in (("flows", args.skip_flows), ("closed forms", args.skip_closed), ("book", args.skip_book))
        if not skip
    ]
    info = [
        ["date", _dt.date.today().isoformat()],
        [
            "command",
            ".venv/bin/python benchmarks/run.py"
            + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:])),
        ],
        ["parts run", ", ".join(parts)],
        ["machine", f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"],
        ["software", f"Python {platform.python_version()}, NumPy {np.__version__}, SciPy {scipy.__version__}"],
        ["BLAS threads (flows, closed forms)", str(args.threads) if args.threads else "BLAS default"],
        ["load average before / after", f"{load_before[0]:.1f} / {os.getloadavg()[0]:.1f}"],
        ["commit", commit],
        ["total run time [s]", f"{total:.0f}"],
    ]
    print_table("Run", ["", ""], info)
    write_csv("run_info.csv", ["item", "value"], info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
