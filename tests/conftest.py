"""Shared test settings: hypothesis profiles and an independent ODE solver.

The reference solver here is deliberately NOT the package's: it integrates the
(U, V) gradient flow with LSODA (scipy.integrate.odeint), written from the
formula in the notation page, so that a bug in `overparam` cannot hide in both.
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, settings
from scipy.integrate import odeint

settings.register_profile(
    "default",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile("thorough", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def reference_flow(Y, U0, V0, t, X=None, rtol=1e-12, atol=1e-13):
    """W(t) = U(t) V(t)^T from an independent LSODA solve of U' = X^T E V, V' = E^T X U."""
    Y = np.asarray(Y, float)
    U0 = np.asarray(U0, float)
    V0 = np.asarray(V0, float)
    m, k = U0.shape
    n = V0.shape[0]
    Xm = np.eye(m) if X is None else np.asarray(X, float)

    def rhs(z, _t):
        U = z[: m * k].reshape(m, k)
        V = z[m * k :].reshape(n, k)
        E = Y - Xm @ U @ V.T
        return np.concatenate([(Xm.T @ E @ V).ravel(), (E.T @ Xm @ U).ravel()])

    z = odeint(rhs, np.concatenate([U0.ravel(), V0.ravel()]), np.asarray(t, float), rtol=rtol, atol=atol, mxstep=100000)
    U = z[:, : m * k].reshape(-1, m, k)
    V = z[:, m * k :].reshape(-1, n, k)
    return U, V, U @ np.swapaxes(V, 1, 2)


def relative_gap(W, W_ref):
    """max_t ||W(t) - W_ref(t)||_F / max_t ||W_ref(t)||_F (the scale of the whole run)."""
    scale = max(np.max(np.linalg.norm(W_ref, axis=(-2, -1))), 1e-300)
    return float(np.max(np.linalg.norm(W - W_ref, axis=(-2, -1))) / scale)
