"""One measurement in a fresh interpreter: `python benchmarks/worker.py '<json task>'` prints a JSON answer.

Used by benchmarks/run.py; see there. Tasks: "small" (reference and the GD step search on the
exact small equivalent), "flow" (overparam.flow.gradient_flow, timed), "gd" (plain gradient
descent at full width, timed in full or per step), "closed" (a closed form against the ODE solve).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


import flows  # noqa: E402
from _common import peak_above, reset_peak, timed  # noqa: E402


def task_small(problem: str, k: int) -> dict:
    Y, X, _, _ = flows.problem(problem)
    U0, V0 = flows.initialization(problem, k)
    start = time.perf_counter()
    small = flows.small_system(Y, X, U0, V0)
    del U0, V0
    W_ref = flows.reference(small, 1e-13)
    W_ref12 = flows.reference(small, 1e-12)
    ref_time = time.perf_counter() - start
    N, err, err_coarser, gd_runs = flows.gd_step_search(small, W_ref)
    return {
        "W_ref": W_ref.tolist(),
        "ref_gap": flows.relative_error(W_ref12, W_ref),
        "ref_time": ref_time,
        "width": int(small.U1.shape[1]),
        "gd_steps": N,
        "gd_error": err,
        "gd_error_coarser": err_coarser,
        "gd_runs": gd_runs,
        "search_time": time.perf_counter() - start - ref_time,
    }


def task_flow(problem: str, k: int, method: str, rtol: float) -> dict:
    from overparam.flow import gradient_flow

    Y, X, _, _ = flows.problem(problem)
    U0, V0 = flows.initialization(problem, k)
    atol = flows.atol_for(U0, V0, rtol)
    run, best, mem, runs = timed(
        lambda: gradient_flow(Y, U0, V0, flows.CHECK_TIMES, X=X, method=method, rtol=rtol, atol=atol)
    )
    # the part before the first step (checks, Gram matrix, factor): the same call with t = [0]
    _, setup, _, _ = timed(
        lambda: gradient_flow(Y, U0, V0, [0.0], X=X, method=method, rtol=rtol, atol=atol), min_total=0.5
    )
    return {"W": run.W.tolist(), "time": best, "mem": mem, "runs": runs, "atol": atol, "setup": setup}


def task_gd(problem: str, k: int, n_steps: int, cap: float) -> dict:
    Y, X, _, _ = flows.problem(problem)
    U0, V0 = flows.initialization(problem, k)
    step = flows.T_END / n_steps
    base = reset_peak()
    start = time.perf_counter()
    flows.plain_gd(Y, X, U0, V0, step, 3)
    per_step = (time.perf_counter() - start) / 3
    mem = peak_above(base)
    if per_step * n_steps <= cap:
        record = {n_steps * (i + 1) // len(flows.CHECK_TIMES) for i in range(len(flows.CHECK_TIMES))}
        base = reset_peak()
        start = time.perf_counter()
        W = flows.plain_gd(Y, X, U0, V0, step, n_steps, record)
        elapsed = time.perf_counter() - start
        return {"mode": "measured", "time": elapsed, "mem": peak_above(base), "W": W.tolist(), "steps_timed": n_steps}
    start = time.perf_counter()  # a steadier estimate of one step than the first three
    flows.plain_gd(Y, X, U0, V0, step, 10)
    per_step = (time.perf_counter() - start) / 10
    n_sample = int(min(max(2.0 / per_step, 10), n_steps))
    start = time.perf_counter()
    flows.plain_gd(Y, X, U0, V0, step, n_sample)
    per_step = (time.perf_counter() - start) / n_sample
    return {"mode": "projected", "time": per_step * n_steps, "mem": mem, "W": None, "steps_timed": n_sample}


def main() -> None:
    task = json.loads(sys.argv[1])
    kind = task.pop("kind")
    if kind == "closed":
        import closed_forms

        answer = closed_forms.task(**task)
    else:
        answer = {"small": task_small, "flow": task_flow, "gd": task_gd}[kind](**task)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
