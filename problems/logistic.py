r"""The :math:`\ell_2`-regularized logistic loss and its reference optimum.

.. math::

    f(w) = \frac1n \sum_{j=1}^n \log\bigl(1 + e^{-y_j x_j^\top w}\bigr)
           + \frac\lambda2 \|w\|_2^2, \qquad y_j \in \{-1, +1\},

shared by the problems that need it (anisotropic logistic regression for AdaGrad,
logistic regression split over agents for the decentralized method).  Value and
gradient act on a batch of points ``w`` of shape ``(S, d)`` and are written with the
array API, so the same code runs on numpy and torch.  :func:`solve_logistic` computes
the reference optimum with cvxpy (there is no closed form); :func:`newton_logistic`
is an independent second-order check (damped Newton in float64) that the tests compare
with it.

References
----------
.. [1] S. Diamond, S. Boyd. "CVXPY: A Python-embedded modeling language for convex
   optimization." JMLR 17(83), 2016.
"""

from __future__ import annotations

import numpy as np

from theory_lab.backends import namespace
from theory_lab.validation import check_positive


def _check(X, y, lam):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D (n, d) array, got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X {X.shape}, got {y.shape}")
    bad = ~np.isin(y, (-1.0, 1.0))
    if bad.any():
        raise ValueError(f"labels must be -1 or +1, got {y[bad][:5]}")
    lam = check_positive("lam", lam, allow_zero=True)
    return X, y, lam


def logistic_value(X, y, lam: float, w):
    r""":math:`f(w)` for each row of ``w`` (shape ``(S, d)`` -> ``(S,)``)."""
    xp = namespace(w)
    margins = -(w @ X.T) * y  # (S, n)
    loss = xp.mean(xp.logaddexp(xp.zeros_like(margins), margins), axis=-1)
    return loss + 0.5 * lam * xp.sum(w * w, axis=-1)


def logistic_gradient(X, y, lam: float, w):
    r""":math:`\nabla f(w) = -\frac1n X^\top (y \odot \sigma(-y \odot Xw)) + \lambda w`."""
    xp = namespace(w)
    margins = -(w @ X.T) * y
    coef = -y / (1.0 + xp.exp(-margins))  # -y * sigmoid(margins), overflow-safe
    return (coef @ X) / X.shape[0] + lam * w


def logistic_hessian(X, y, lam: float, w) -> np.ndarray:
    r"""Hessian :math:`\frac1n X^\top \operatorname{diag}(s(1-s)) X + \lambda I` at one point (numpy)."""
    X, y, lam = _check(X, y, lam)
    s = 1.0 / (1.0 + np.exp(-(X @ np.asarray(w, dtype=float)) * y))
    return (X.T * (s * (1 - s))) @ X / X.shape[0] + lam * np.eye(X.shape[1])


def smoothness_vector(X, lam: float) -> np.ndarray:
    r"""Per-coordinate smoothness :math:`L_i = \frac14 \cdot \frac1n \sum_j x_{ji}^2 + \lambda`.

    This is the diagonal of the worst-case Hessian bound :math:`\frac14 X^\top X / n +
    \lambda I` (the vector the AdaGrad paper tabulates).  It bounds the Hessian,
    :math:`\nabla^2 f \preceq \operatorname{diag}(L)`, only when the features are
    (nearly) uncorrelated; for correlated features it is an approximation.
    """
    X = np.asarray(X, dtype=float)
    return 0.25 * np.mean(X * X, axis=0) + check_positive("lam", lam, allow_zero=True)


def smoothness(X, lam: float) -> float:
    r"""Global smoothness :math:`L = \frac14 \lambda_{\max}(X^\top X / n) + \lambda`."""
    X = np.asarray(X, dtype=float)
    return 0.25 * float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1]) + lam


def solve_logistic(X, y, lam: float, solver: str = "CLARABEL") -> tuple[np.ndarray, float]:
    r"""Reference optimum :math:`(w^\star, f^\star)` with cvxpy.

    ``cp.logistic(z) = log(1 + e^z)`` is exponential-cone representable; CLARABEL
    solves it to about 1e-9 relative accuracy.  ``lam`` must be positive (strong
    convexity makes the optimum unique and finite).
    """
    import cvxpy as cp

    X, y, lam = _check(X, y, lam)
    if lam <= 0:
        raise ValueError(f"lam must be > 0 for a finite, unique optimum, got {lam}")
    n, d = X.shape
    w = cp.Variable(d)
    objective = cp.sum(cp.logistic(-cp.multiply(y, X @ w))) / n + 0.5 * lam * cp.sum_squares(w)
    prob = cp.Problem(cp.Minimize(objective))
    prob.solve(solver=solver)
    if prob.status not in ("optimal", "optimal_inaccurate") or w.value is None:
        raise RuntimeError(f"cvxpy could not solve the logistic problem: status {prob.status}")
    w_star = np.asarray(w.value, dtype=float)
    return w_star, float(logistic_value(X, y, lam, w_star[None])[0])


def newton_logistic(X, y, lam: float, tol: float = 1e-13, max_iter: int = 100) -> tuple[np.ndarray, float]:
    r"""Damped Newton (backtracking on :math:`f`) to gradient norm ``tol``; an independent check."""
    X, y, lam = _check(X, y, lam)
    w = np.zeros(X.shape[1])
    for _ in range(max_iter):
        g = logistic_gradient(X, y, lam, w[None])[0]
        if np.linalg.norm(g) <= tol:
            break
        step = np.linalg.solve(logistic_hessian(X, y, lam, w), g)
        f0, t = logistic_value(X, y, lam, w[None])[0], 1.0
        while logistic_value(X, y, lam, (w - t * step)[None])[0] > f0 - 0.25 * t * (g @ step) and t > 1e-10:
            t *= 0.5
        w = w - t * step
    return w, float(logistic_value(X, y, lam, w[None])[0])


__all__ = [
    "logistic_gradient",
    "logistic_hessian",
    "logistic_value",
    "newton_logistic",
    "smoothness",
    "smoothness_vector",
    "solve_logistic",
]
