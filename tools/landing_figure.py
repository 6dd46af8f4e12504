"""Draw the figure of the landing page, images/landing.png (run: make landing).

Left: gradient-flow trajectories of the scalar model l(u, v) = (1 - uv)^2 / 2 stay on
the hyperbolas u^2 - v^2 = const (chapter 2). Right: from a small balanced spectral
start, matrix factorization learns the singular values of Y one at a time (chapter 3).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import overparam  # noqa: E402
from overparam import scalar, spectral  # noqa: E402
from overparam.style import PALETTE, ROLES  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "images" / "landing.png"


def main() -> None:
    overparam.style.use()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))

    grid = np.linspace(-2.4, 2.4, 400)
    U, V = np.meshgrid(grid, grid)
    left.contour(
        U, V, U**2 - V**2, levels=[-3, -1.5, -0.5, 0.5, 1.5, 3], colors=[ROLES["reference"]], linewidths=0.8,
        negative_linestyles="solid",
    )
    branch = np.linspace(0.42, 2.4, 200)
    for sign in (1, -1):
        label = "minimizers $uv = 1$" if sign > 0 else None
        left.plot(sign * branch, sign / branch, color=ROLES["solutions"], lw=2.5, label=label)
    t = np.linspace(0.0, 20.0, 400)
    for angle in np.linspace(0.0, 2 * np.pi, 8, endpoint=False) + 0.45:
        run = scalar.flow(1.0, 1.6 * np.cos(angle), 1.6 * np.sin(angle), t)
        left.plot(run.u, run.v, color=ROLES["numerics"], lw=1.6)
        left.plot(run.u[0], run.v[0], "o", color=ROLES["numerics"], ms=4)
    left.set(xlabel="$u$", ylabel="$v$", aspect="equal", xlim=(-2.4, 2.4), ylim=(-2.4, 2.4),
             title="each path stays on its hyperbola $u^2 - v^2 = \\lambda_0$")
    left.grid(False)
    left.legend(loc="lower right", fontsize=9)

    rng = np.random.default_rng(0)
    m, n, k = 5, 4, 4
    Phi = np.linalg.qr(rng.standard_normal((m, m)))[0]
    Psi = np.linalg.qr(rng.standard_normal((n, n)))[0]
    sigmas = np.array([3.0, 2.0, 1.0, 0.5])
    Y = Phi[:, :n] @ np.diag(sigmas) @ Psi.T
    U0, V0 = spectral.initialization(Y, k, np.full(k, 1e-3), np.full(k, 1e-3))
    ts = np.linspace(0.0, 16.0, 801)
    modes = np.abs(spectral.mode_trajectories(Y, U0, V0, ts))
    colors = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion")]
    for i, (sigma, color) in enumerate(zip(sigmas, colors, strict=True)):
        right.plot(ts, modes[:, i], color=color, label=f"$\\sigma_{i + 1}(Y) = {sigma:g}$")
        right.axhline(sigma, color=color, ls=":", lw=1)
    right.set(xlabel="time $t$", ylabel="singular values of $W(t) = UV^T$",
              title="small starts learn the largest singular value first")
    right.legend(fontsize=9, loc="center right")
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
