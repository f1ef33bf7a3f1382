r"""A smooth non-convex finite sum split over :math:`m` agents, with a stochastic oracle.

.. math::

    f(x) = \frac1m\sum_{i=1}^m f_i(x), \qquad
    f_i(x) = \frac1n\sum_{j=1}^n \phi(a_{ij}^\top x - b_{ij}) + \lambda\,\rho(x),

    \phi(r) = \log\bigl(1 + r^2/2\bigr), \qquad
    \rho(x) = \sum_{k=1}^d \frac{x_k^2}{1 + x_k^2}.

Robust (Cauchy-type) regression with a non-convex regularizer (ours, **[R]** as a test
problem for D-NASA; both pieces are standard non-convex benchmarks).  :math:`\phi'' \in
[-1/8, 1]` and :math:`\rho'' \in [-1/2, 2]` coordinate-wise, so every component is smooth
and weakly convex, :math:`f \ge 0` (``f_low = 0``), and :math:`|\phi'| \le 1/\sqrt 2`
bounds the sampling noise.

Data (:func:`nonconvex_regression`): Gaussian features, agent-specific ground truths
:math:`x_i = x^\natural + h\,u_i` (:math:`\sum_i u_i = 0`; ``heterogeneity`` :math:`h`),
small label noise and a fraction ``outliers`` of labels shifted by :math:`10\,N(0,1)`
(they sit in the non-convex part of :math:`\phi`).  The :math:`N = mn` rows are drawn as
one pool before the split, so with :math:`h = 0` the global :math:`f` depends on
:math:`N` only: splitting it over more agents (``m`` up, ``n = N/m`` down) leaves
:math:`f`, :math:`L`, :math:`\Delta` and the per-sample noise unchanged -- the setting of
the linear-speedup experiment.

Stochastic oracle (:meth:`NonconvexDistributedSum.stochastic_local_gradient`): every agent
draws ``batch`` of its components uniformly with replacement (``batch=None``: its full
local gradient) and adds Gaussian noise :math:`\sigma\xi/\sqrt d`, :math:`\xi\sim
N(0, I_d)`, so :math:`E\|\text{noise}\|^2 = \sigma^2`; the draws come from the caller's
generators (one per seed), so a method's seed fixes them.

:meth:`~NonconvexDistributedSum.constants` reports (upper bounds unless stated):
``L`` :math:`= \lambda_{\max}(\frac1N A^\top A) + 2\lambda`, ``L_l`` (the same per agent,
max over agents), ``L_max`` :math:`= \max\|a_{ij}\|^2 + 2\lambda`, ``rho`` (weak
convexity, :math:`\nabla^2 f \succeq -\rho I`: :math:`\frac18\lambda_{\max}(\frac1N
A^\top A) + \lambda/2`), ``mu`` :math:`= -\rho` (the lower curvature bound; negative: not
convex -- reported so that the lab's common parameter symbols resolve), ``sigma2`` (oracle
variance bound :math:`\sigma^2 + \max_i \frac1n\sum_j\|a_{ij}\|^2/(2b)`), ``f_low`` = 0,
``Delta0`` :math:`= f(x_0) - f_{low}`, ``G0`` :math:`= \|\nabla f(x_0)\|`, ``zeta0``
(gradient heterogeneity at :math:`x_0`).  D-NASA uses none of them.

The interface is the agent-stacked one of :class:`problems.distributed.DistributedFiniteSum`
(``X`` of shape ``(m, S, d)``): :meth:`local_gradient`, :meth:`weighted_local_gradient`,
:meth:`agent_suboptimality`; global :meth:`value` / :meth:`gradient` on ``(S, d)``;
``suboptimality`` is :math:`f - f_{low}` (an upper bound on :math:`f - \inf f`: the
global minimum of a non-convex :math:`f` is not computed).
"""

from __future__ import annotations

import numpy as np

from problems import register
from theory_lab.backends import get_backend, namespace
from theory_lab.validation import check_int, check_positive

__all__ = ["NonconvexDistributedSum", "nonconvex_regression"]


def _phi(xp, r):
    return xp.log(1.0 + 0.5 * r * r)


def _dphi(r):
    return r / (1.0 + 0.5 * r * r)


def _reg(xp, X):
    return xp.sum(X * X / (1.0 + X * X), axis=-1)


def _dreg(X):
    q = 1.0 + X * X
    return 2.0 * X / (q * q)


class NonconvexDistributedSum:
    r"""Robust regression with a non-convex regularizer over ``m`` agents (see the module docstring).

    Parameters
    ----------
    A : array (m, n, d)
    b : array (m, n)
    lam : float
        Weight :math:`\lambda \ge 0` of the non-convex regularizer.
    sigma : float
        Standard deviation scale of the additive oracle noise (:math:`E\|\cdot\|^2 = \sigma^2`).
    batch : int or None
        Components each agent samples per oracle call (with replacement); ``None``: all.
    w0 : array (d,), optional
        Common starting point (default 0).
    """

    def __init__(self, A, b, lam: float = 0.1, sigma: float = 1.0, batch: int | None = 1,
                 w0=None, backend=None, name: str = "nonconvex_regression"):
        A = np.asarray(A, dtype=float)
        b = np.asarray(b, dtype=float)
        if A.ndim != 3 or min(A.shape) < 1:
            raise ValueError(f"A must have shape (m, n, d) with m, n, d >= 1, got {A.shape}")
        m, n, d = A.shape
        if b.shape != (m, n):
            raise ValueError(f"b must have shape (m, n) = {(m, n)}, got {b.shape}")
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
            raise ValueError("A and b must be finite")
        self.lam = check_positive("lam", lam, allow_zero=True)
        self.sigma = check_positive("sigma", sigma, allow_zero=True)
        if batch is not None:
            batch = check_int("batch", batch)
            if batch > n:
                raise ValueError(f"batch = {batch} exceeds n = {n} components per agent")
        self.batch = batch
        w0 = np.zeros(d) if w0 is None else np.asarray(w0, dtype=float)
        if w0.shape != (d,):
            raise ValueError(f"w0 must have shape ({d},), got {w0.shape}")
        self.name = name
        self.m, self.n, self.dim = m, n, d
        self._A, self._b, self._w0 = A, b, w0
        self.backend = bk = get_backend(backend)
        self.A = bk.asarray(A)
        self.A_T = bk.asarray(np.ascontiguousarray(np.swapaxes(A, 1, 2)))
        self.b = bk.asarray(b)
        self.A_flat = bk.asarray(A.reshape(m * n, d))
        self.b_flat = bk.asarray(b.reshape(m * n))
        self.w0 = bk.asarray(w0)
        self.f_low = 0.0

    def to_backend(self, backend) -> NonconvexDistributedSum:
        return NonconvexDistributedSum(self._A, self._b, self.lam, self.sigma, self.batch, self._w0,
                                       backend=backend, name=self.name)

    # -- constants (reported, never used by D-NASA) ------------------------------------------
    def constants(self) -> dict:
        """Smoothness, weak convexity, oracle variance and initial-gap bounds (module docstring)."""
        A, m, n, d, lam = self._A, self.m, self.n, self.dim, self.lam
        N = m * n
        Af = A.reshape(N, d)
        lmax = float(np.linalg.eigvalsh(Af.T @ Af / N)[-1])
        lmax_i = max(float(np.linalg.eigvalsh(A[i].T @ A[i] / n)[-1]) for i in range(m))
        norms = np.sum(A * A, axis=2)  # (m, n)
        rho = lmax / 8.0 + lam / 2.0
        b = n if self.batch is None else self.batch
        samp = 0.0 if self.batch is None else float(norms.mean(axis=1).max()) / (2.0 * b)
        x0 = self._w0
        R0 = A @ x0 - self._b  # (m, n), host
        gi = np.einsum("ij,ijk->ik", _dphi(R0), A) / n + lam * _dreg(x0)  # local gradients at x0
        g0 = gi.mean(axis=0)
        f0 = float(np.mean(np.log1p(0.5 * R0 * R0)) + lam * np.sum(x0 * x0 / (1.0 + x0 * x0)))
        return {
            "m": m, "n": n, "N": N, "d": d, "lam": lam, "sigma": self.sigma,
            "batch": self.batch if self.batch is not None else n,
            "L": lmax + 2.0 * lam, "L_l": lmax_i + 2.0 * lam, "L_max": float(norms.max()) + 2.0 * lam,
            "rho": rho, "mu": -rho, "sigma2": self.sigma ** 2 + samp, "f_low": 0.0,
            "Delta0": f0 - self.f_low,
            "G0": float(np.linalg.norm(g0)),
            "zeta0": float(np.sqrt(np.mean(np.sum((gi - g0) ** 2, axis=1)))),
        }

    # -- global objective on (S, d) ----------------------------------------------------------
    def value(self, w):
        xp = namespace(w)
        R = w @ self.A_flat.T - self.b_flat  # (S, N)
        return xp.mean(_phi(xp, R), axis=-1) + self.lam * _reg(xp, w)

    def suboptimality(self, w):
        """:math:`f(w) - f_{low}` with :math:`f_{low} = 0 \\le \\inf f`."""
        return self.value(w) - self.f_low

    def gradient(self, w):
        R = w @ self.A_flat.T - self.b_flat
        return _dphi(R) @ self.A_flat / (self.m * self.n) + self.lam * _dreg(w)

    # -- agent-stacked evaluation on (m, S, d) -----------------------------------------------
    def _check_X(self, X):
        if X.ndim != 3 or X.shape[0] != self.m or X.shape[2] != self.dim:
            raise ValueError(f"X must have shape (m={self.m}, S, d={self.dim}), got {tuple(X.shape)}")

    def local_gradient(self, X):
        r""":math:`\nabla f_i(x_i)` for ``X`` of shape ``(m, S, d)``."""
        self._check_X(X)
        R = X @ self.A_T - self.b[:, None, :]  # (m, S, n)
        return _dphi(R) @ self.A / self.n + self.lam * _dreg(X)

    def weighted_local_gradient(self, X, C):
        r""":math:`\frac1n\sum_j c_{ij}\nabla f_{ij}(x_i)`; ``C`` of shape ``(m, S, n)``."""
        self._check_X(X)
        xp = namespace(X)
        if tuple(C.shape) != (X.shape[0], X.shape[1], self.n):
            raise ValueError(f"C must have shape (m, S, n) = {(X.shape[0], X.shape[1], self.n)}, got {tuple(C.shape)}")
        R = X @ self.A_T - self.b[:, None, :]
        return (C * _dphi(R)) @ self.A / self.n + self.lam * _dreg(X) * xp.mean(C, axis=-1)[..., None]

    def stochastic_local_gradient(self, X, rngs):
        """Unbiased noisy local gradients, one generator per seed (axis 1 of ``X``).

        Returns ``(G, lifo, comp)``: ``G`` (m, S, d), component gradients per seed summed
        over agents (S,) and the most at one agent (S,).
        """
        self._check_X(X)
        m, S, n, d = self.m, X.shape[1], self.n, self.dim
        if len(rngs) != S:
            raise ValueError(f"need one generator per seed: X has S = {S}, got {len(rngs)}")
        b = self.batch
        C = np.empty((m, S, n)) if b is not None else None
        E = np.empty((m, S, d)) if self.sigma > 0 else None
        for s, g in enumerate(rngs):  # per seed: indices first, then noise
            if b is not None:
                idx = g.integers(0, n, size=(m, b)) + n * np.arange(m)[:, None]
                C[:, s, :] = np.bincount(idx.ravel(), minlength=m * n).reshape(m, n) * (n / b)
            if E is not None:
                E[:, s, :] = g.standard_normal((m, d))
        if b is None:
            G = self.local_gradient(X)
            per = float(n)
        else:
            G = self.weighted_local_gradient(X, self._like(X, C))
            per = float(b)
        if E is not None:
            G = G + (self.sigma / np.sqrt(d)) * self._like(X, E)
        return G, np.full(S, m * per), np.full(S, per)

    def _like(self, X, host):
        if isinstance(X, np.ndarray):
            return host.astype(X.dtype, copy=False)
        xp = namespace(X)
        return xp.asarray(host, dtype=X.dtype, device=X.device)

    def agent_suboptimality(self, X):
        r""":math:`f(x_i) - f_{low}` of every agent's iterate, shape ``(m, S)``."""
        m, S, d = X.shape
        return self.suboptimality(X.reshape(m * S, d)).reshape(m, S)


@register("nonconvex_regression")
def nonconvex_regression(m: int = 8, n: int = 32, d: int = 10, heterogeneity: float = 0.5,
                         outliers: float = 0.1, lam: float = 0.1, sigma: float = 1.0,
                         batch: int | None = 1, seed: int = 0):
    """Non-convex robust regression over m agents (Cauchy loss + x^2/(1+x^2) penalty), noisy oracle."""
    m, n, d = check_int("m", m), check_int("n", n), check_int("d", d)
    h = check_positive("heterogeneity", heterogeneity, allow_zero=True)
    p = float(outliers)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"outliers must lie in [0, 1), got {outliers!r}")
    rng = np.random.default_rng([seed, 7])
    N = m * n  # the pool is drawn first, row by row: with h = 0, f depends on N only, not on the split
    A = rng.standard_normal((N, d))
    x_nat = rng.standard_normal(d) / np.sqrt(d)
    eps = 0.1 * rng.standard_normal(N)
    shift = 10.0 * rng.standard_normal(N) * (rng.random(N) < p)
    U = rng.standard_normal((m, d)) / np.sqrt(d)
    U -= U.mean(axis=0)
    A = A.reshape(m, n, d)
    X_true = x_nat + h * U  # (m, d)
    b = np.einsum("ijk,ik->ij", A, X_true) + (eps + shift).reshape(m, n)
    return NonconvexDistributedSum(A, b, lam=lam, sigma=sigma, batch=batch, name="nonconvex_regression")
