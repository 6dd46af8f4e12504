"""Long stiff runs whose vector field is a cancellation: the Newton tolerance of the stiff method.

Run (about 4 minutes, most of it in the runs with SciPy's default that hit the cap):

    .venv/bin/python benchmarks/stiff.py [--cap SECONDS]

Each case runs twice in a fresh process, with OMP_NUM_THREADS=1: with the package's
Newton tolerance (``overparam._ode.NEWTON_TOL`` = 0.03 of the local error tolerance) and
with SciPy's default for rtol = 1e-10 (``min(0.03, sqrt(rtol))`` = 1e-5 of it). A run
that takes longer than --cap seconds is stopped and reported as such. The table gives
the times and how far apart the two end states are, relative to the size of the terms
that cancel in the field (|X| |U| |V| for the factorization, the product of the layer
norms for the deep networks), and, for the factorization cases, the distance of each to
the width-free (Gram) method, an integration of a different system for the same W(t).
Writes benchmarks/results/stiff.csv (read by the appendix "Computing the flow fast").

The cases are ones the edge tests' thorough profile found slow:

* small target, wide data: X of shape 1 x 2, Y of size 1e-6, a balanced start of size 3
  (and the same times 1500); the fit needs X U of size 1e-7 from entries of size 3, and
  the run to t = 1e6 is still learning, slowly (the numbers the edge test drew);
* deep, large layers: three 2 x 2 layers of size 100 for a target of size 1;
* deep, wrong determinant sign: three balanced 2 x 2 layers, det W(0) < 0 < det Y (the
  computed flow leaves the saddle near t = 4e4, see tests/package/deep/test_bounds.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CASES = (
    "small target, start 3",
    "small target, start 5000",
    "deep, layers of size 100",
    "deep, wrong determinant sign",
)


# the case the thorough profile drew (the flow sweeps of tests/package/test_flow.py, problems(kind="wide")):
# X of rank one, a target of size 1e-6, a balanced start (U0^T U0 = V0^T V0) of size 3
X_WIDE = np.array([[-1.193368884184318, 1.9477054744952955]])
Y_SMALL = np.array([[-3.9156286688140762e-07, 1.4095990454267892e-06]])
U_BAL = np.array([[1.4541793495723705, 2.237857624735924], [1.9281315691531544, 0.6242375647697495]])
V_BAL = np.array([[1.9777617903042146, 2.3213040134489793], [1.385924683920593, -0.0960570820087538]])


def _small_target(scale: float):
    return Y_SMALL, scale * U_BAL, scale * V_BAL, X_WIDE


def _run(case: str, newton_tol: float) -> dict:
    """One run in this process; the state at the last time, flattened, and the time taken."""
    import overparam._ode as ode
    from overparam import deep, flow

    ode.NEWTON_TOL = newton_tol
    t = np.array([0.0, 3.9e5, 1e6])
    if case.startswith("small target"):
        Y, U0, V0, X = _small_target(1.0 if case.endswith(" 3") else 1500.0)
        start = time.perf_counter()
        run = flow.gradient_flow(Y, U0, V0, t, X=X, method="params")
        seconds = time.perf_counter() - start
        gram = flow.gradient_flow(Y, U0, V0, t, X=X, method="gram")
        size = np.linalg.norm(X) * np.linalg.norm(U0) * np.linalg.norm(V0)
        return {
            "seconds": seconds,
            "W": run.W[-1].ravel().tolist(),
            "size": float(size),
            "gram_gap": float(np.linalg.norm(run.W[-1] - gram.W[-1]) / size),
            "loss": float(run.loss[-1]),
        }
    rng = np.random.default_rng(2)
    if case == "deep, layers of size 100":
        Ws0 = [100.0 * rng.standard_normal((2, 2)) / np.sqrt(2.0) for _ in range(3)]
        Y = rng.standard_normal((2, 2))
        t = np.array([0.0, 1.0, 1e6])
    else:  # the draws of homogeneous_layers (tests/package/deep/test_bounds.py) for seed 2
        s1 = 10.0 * rng.uniform(0.0, 1.0, 2)
        d = 0.0 * rng.uniform(-1.0, 3.0, 2)
        Ws0 = deep.homogeneous_init(s1, d, rng)
        W0 = deep.product(Ws0)
        Y = W0 + 10.0 * (np.linalg.norm(W0) + 1e-3) * rng.standard_normal((2, 2))
    start = time.perf_counter()
    run = deep.gradient_flow(Y, Ws0, t)
    seconds = time.perf_counter() - start
    size = float(np.prod([np.linalg.norm(W[-1]) for W in run.Ws]))
    return {
        "seconds": seconds,
        "W": run.W[-1].ravel().tolist(),
        "size": size,
        "gram_gap": None,
        "loss": float(run.loss[-1]),
    }


def _measure(case: str, newton_tol: float, cap: float) -> dict | None:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--one", case, "--newton-tol", repr(newton_tol)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=cap, env=env, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=120.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--newton-tol", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_run(args.one, args.newton_tol)))
        return
    sys.path.insert(0, str(HERE))
    from _common import write_csv  # noqa: E402

    rtol = 1e-10
    rows = []
    for case in CASES:
        ours = _measure(case, 0.03, args.cap)  # the package's NEWTON_TOL
        scipy_default = _measure(case, min(0.03, rtol**0.5), args.cap)
        if ours is None:
            raise SystemExit(f"{case}: the package's setting did not finish in {args.cap} s")
        gap = (
            "n/a"
            if scipy_default is None
            else "%.0e" % (np.linalg.norm(np.subtract(ours["W"], scipy_default["W"])) / ours["size"])
        )
        rows.append(
            {
                "case": case,
                "Newton tol 0.03 [s]": "{:.2g}".format(ours["seconds"]),
                "SciPy default 1e-5 [s]": f"over {args.cap:.0f}"
                if scipy_default is None
                else "{:.2g}".format(scipy_default["seconds"]),
                "apart (relative)": gap,
                "Gram (relative)": "n/a" if ours["gram_gap"] is None else "{:.0e}".format(ours["gram_gap"]),
            }
        )
        print(rows[-1], flush=True)
    write_csv("stiff.csv", list(rows[0]), [list(r.values()) for r in rows])


if __name__ == "__main__":
    main()
