"""Accuracy survey: the two methods of overparam.flow.gradient_flow against each other and
against an independent LSODA solve of (U, V), on 200 random problems (100 factorization,
100 regression; shapes up to 5 x 4, widths up to 7, scales 0.05 to 1.5), t in [0, 4].

Run: .venv/bin/python benchmarks/flow_agreement.py
Prints the largest relative gap max_t ||W_a(t) - W_b(t)||_F / max_t ||W_b(t)||_F per pair.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import reference_flow, relative_gap  # noqa: E402
from overparam.flow import gradient_flow  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(2026)
    times = np.linspace(0.0, 4.0, 9)
    worst = {"gram vs params": 0.0, "gram vs LSODA": 0.0, "params vs LSODA": 0.0}
    for regression in (False, True):
        for _ in range(100):
            m, n, k = rng.integers(1, 6), rng.integers(1, 5), rng.integers(1, 8)
            scale = rng.choice([0.05, 0.3, 1.0, 1.5])
            U0, V0 = scale * rng.standard_normal((m, k)), scale * rng.standard_normal((n, k))
            if regression:
                N = rng.integers(1, 7)
                X, Y = rng.standard_normal((N, m)) / np.sqrt(m), rng.standard_normal((N, n))
            else:
                X, Y = None, rng.standard_normal((m, n))
            gram = gradient_flow(Y, U0, V0, times, X=X).W
            params = gradient_flow(Y, U0, V0, times, X=X, method="params").W
            _, _, ref = reference_flow(Y, U0, V0, times, X=X)
            worst["gram vs params"] = max(worst["gram vs params"], relative_gap(gram, params))
            worst["gram vs LSODA"] = max(worst["gram vs LSODA"], relative_gap(gram, ref))
            worst["params vs LSODA"] = max(worst["params vs LSODA"], relative_gap(params, ref))
    for pair, gap in worst.items():
        print(f"{pair:<16} largest relative gap {gap:.2e}")


if __name__ == "__main__":
    main()
