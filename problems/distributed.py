r"""Finite sums split over :math:`m` agents with controlled heterogeneity.

.. math::

    f(x) = \frac1m \sum_{i=1}^m f_i(x), \qquad f_i(x) = \frac1n \sum_{j=1}^n f_{ij}(x),

with ridge components :math:`f_{ij}(x) = \tfrac12 (a_{ij}^\top x - b_{ij})^2 +
\tfrac\lambda2\|x\|^2` or logistic ones :math:`f_{ij}(x) = \log(1 + e^{-y_{ij}
a_{ij}^\top x}) + \tfrac\lambda2\|x\|^2`.  The components are convex; only the global
:math:`f` needs to be :math:`\mu`-strongly convex (the setting of Liu, Chen, Luo [1]_).

Smoothness hierarchy reported by :meth:`DistributedFiniteSum.constants` (all exact for
ridge; for logistic the component Hessians are bounded by :math:`\tfrac14 a a^\top +
\lambda I`, so the values are upper bounds and :math:`\mu = \lambda` a lower bound):

* global :math:`L = \lambda_{\max}(\nabla^2 f)`, :math:`\mu = \lambda_{\min}(\nabla^2 f)`,
  :math:`\kappa = L/\mu` (``kappa`` = ``kappa_global``);
* mean-squared :math:`\bar L^2 = \lambda_{\max}\bigl(\frac{1}{mn}\sum_{ij} H_{ij}^2\bigr)`
  (:math:`H_{ij}` the component Hessian; :math:`\frac1{mn}\sum\|\nabla f_{ij}(x) - \nabla
  f_{ij}(y)\|^2 \le \bar L^2\|x - y\|^2`, tight for quadratics);
* local :math:`L_l = \max_i \lambda_{\max}(\nabla^2 f_i)` and component
  :math:`L_{\max} = \max_{ij}\lambda_{\max}(H_{ij})`; ``kappa_local`` :math:`= L_l/\mu`,
  ``kappa_max`` :math:`= L_{\max}/\mu`, ``kappa_bar`` :math:`= \bar L/\mu`.

Heterogeneity (the construction of :func:`heterogeneous_features`, ours): the data
covariance of the whole network is fixed, :math:`\frac1{mn}\sum_{ij} a_{ij}a_{ij}^\top
= \operatorname{diag}(s)` with :math:`s` log-spaced in :math:`[1/\kappa, 1]`, while agent
:math:`i` sees the coordinates of its block (:math:`k \equiv i \bmod m`) scaled up:

.. math::

    \frac1n A_i^\top A_i = \operatorname{diag}(w_i \odot s), \qquad
    w_{ik} = (1 - h) + h\,m\,[k \equiv i \bmod m], \qquad \frac1m\sum_i w_{ik} = 1 .

So :math:`L`, :math:`\mu` and :math:`\kappa` do not depend on the heterogeneity
:math:`h \in [0, 1]`, while :math:`L_l = (1 + h(m-1)) L` exactly (ridge, :math:`\lambda=0`)
-- the largest possible, since :math:`\nabla^2 f_i \preceq m \nabla^2 f`.  Rows are
:math:`a_{ij} = \sqrt n\,(w_i \odot s)^{1/2} \odot q_{ij}` with :math:`Q_i` an
:math:`n \times d` matrix with orthonormal columns (needs :math:`n \ge d`), so the row
norms, and with them :math:`\bar L` and :math:`L_{\max}`, change little with :math:`h`.
At :math:`h = 1` and :math:`\lambda = 0` each :math:`f_i` is not strongly convex at all.

References
----------
.. [1] Y. Liu, L. Chen, L. Luo. "Decentralized Convex Finite-Sum Optimization with Better
   Dependence on Condition Numbers." ICML 2024.
.. [2] C.-C. Chang, C.-J. Lin. "LIBSVM: a library for support vector machines." ACM TIST
   2(3), 2011 (the data format read by :func:`load_libsvm`).
"""

from __future__ import annotations

import numpy as np

from problems import register
from problems.logistic import logistic_gradient, logistic_hessian, logistic_value, solve_logistic
from theory_lab.backends import get_backend, namespace
from theory_lab.validation import check_int, check_kappa, check_positive

KINDS = ("ridge", "logistic")

__all__ = [
    "DistributedFiniteSum",
    "distributed_logistic",
    "distributed_ridge",
    "heterogeneous_features",
    "load_libsvm",
]


def heterogeneous_features(m: int, n: int, d: int, kappa: float, heterogeneity: float = 0.0,
                           seed: int = 0) -> np.ndarray:
    r"""Features ``A`` of shape ``(m, n, d)``: global covariance fixed, local ones skewed.

    Construction (ours; see the module docstring):

    * spectrum: :math:`d = 2mp`; the first half :math:`s_k` log-spaced from 1 to
      :math:`\kappa^{-1/2}`, the second half :math:`s_{k+d/2} = 1 + 1/\kappa - s_k`, so
      :math:`\max s = 1`, :math:`\min s = 1/\kappa` and every block
      :math:`\{k \equiv i \bmod m\}` has the same sum :math:`p(1 + 1/\kappa)`;
    * agent weights :math:`w_{ik} = (1-h) + h m [k \equiv i \bmod m]` (mean 1 over agents);
    * rows :math:`a_{ij} = \sqrt n\,(w_i\odot s)^{1/2}\odot q_{ij}` with :math:`Q_i` the
      first :math:`d` columns of a randomly signed and permuted Hadamard matrix of order
      :math:`n` (:math:`n` a power of two :math:`\ge d`): orthonormal columns and
      :math:`|q_{ijk}| = n^{-1/2}`.

    Hence :math:`\frac1n A_i^\top A_i = \operatorname{diag}(w_i\odot s)` and every row
    has the same norm :math:`\|a_{ij}\|^2 = \sum_k w_{ik}s_k = m p (1 + 1/\kappa)`
    whatever :math:`h`: for ridge with :math:`\lambda = 0`, :math:`L = 1`,
    :math:`\mu = 1/\kappa`, :math:`L_{\max} = mp(1 + 1/\kappa)`,
    :math:`\bar L = \sqrt{L_{\max} L}` do not depend on :math:`h`, and
    :math:`L_l = 1 + h(m-1)` grows :math:`m`-fold (the most possible, since
    :math:`\nabla^2 f_i \preceq m\nabla^2 f`; and :math:`\bar L \ge L_l/\sqrt m` always).
    """
    from scipy.linalg import hadamard

    m, n, d = check_int("m", m), check_int("n", n), check_int("d", d)
    kappa = check_kappa(kappa)
    h = float(heterogeneity)
    if not 0.0 <= h <= 1.0:
        raise ValueError(f"heterogeneity must lie in [0, 1], got {heterogeneity!r}")
    if d % (2 * m):
        raise ValueError(f"d = {d} must be a multiple of 2m = {2 * m} (equal-sum coordinate blocks)")
    if n < d or n & (n - 1):
        raise ValueError(f"n = {n} must be a power of two >= d = {d} (Hadamard rows)")
    rng = np.random.default_rng(seed)
    half = d // 2
    first = np.geomspace(1.0, kappa ** -0.5, half) if half > 1 else np.ones(1)
    s = np.concatenate([first, 1.0 + 1.0 / kappa - first])
    w = np.full((m, d), 1.0 - h)
    w[np.arange(d) % m, np.arange(d)] += h * m
    Hn = hadamard(n).astype(float) / np.sqrt(n)
    A = np.empty((m, n, d))
    for i in range(m):
        Q = Hn[rng.permutation(n)][:, rng.permutation(n)[:d]] * rng.choice((-1.0, 1.0), size=d)
        A[i] = np.sqrt(n) * Q * np.sqrt(w[i] * s)
    return A


class DistributedFiniteSum:
    r"""Ridge or logistic finite sum over ``m`` agents with ``n`` components each.

    Parameters
    ----------
    A : array (m, n, d)
        Features of component :math:`(i, j)`.
    b : array (m, n)
        Targets (ridge) or labels in :math:`\{-1, +1\}` (logistic).
    kind : {"ridge", "logistic"}
    lam : float
        :math:`\ell_2` regularization inside every component (>= 0; > 0 for logistic).
    backend : Backend or str, optional

    Notes
    -----
    Batched evaluation with the agent axis first: ``X`` of shape ``(m, S, d)`` holds the
    iterate of every agent for every seed.  :meth:`local_gradient` returns
    :math:`\nabla f_i(x_i)` and :meth:`weighted_local_gradient` returns
    :math:`\frac1n\sum_j c_{ij}\nabla f_{ij}(x_i)` for weights ``C`` of shape
    ``(m, S, n)`` (a Bernoulli mask divided by its probability, for instance).
    The global :meth:`value` / :meth:`gradient` act on ``(S, d)`` as in
    :class:`theory_lab.problem.Problem`.  The optimum is a linear solve (ridge) or
    :func:`problems.logistic.solve_logistic` (cvxpy, ~1e-6 accurate in the gradient)
    polished by Newton steps to a gradient norm of ~1e-14.
    """

    def __init__(self, A, b, kind: str = "ridge", lam: float = 0.0, backend=None, name=None,
                 _reference=None):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        A = np.asarray(A, dtype=float)
        b = np.asarray(b, dtype=float)
        if A.ndim != 3:
            raise ValueError(f"A must have shape (m, n, d), got {A.shape}")
        m, n, d = A.shape
        if m < 1 or n < 1 or d < 1:
            raise ValueError(f"need m, n, d >= 1, got A of shape {A.shape}")
        if b.shape != (m, n):
            raise ValueError(f"b must have shape (m, n) = {(m, n)} to match A {A.shape}, got {b.shape}")
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
            raise ValueError("A and b must be finite")
        lam = check_positive("lam", lam, allow_zero=True)
        if kind == "logistic":
            if lam <= 0:
                raise ValueError(f"logistic needs lam > 0 (strong convexity), got {lam}")
            bad = ~np.isin(b, (-1.0, 1.0))
            if bad.any():
                raise ValueError(f"logistic labels must be -1 or +1, got {b[bad][:5]}")
        self.kind, self.lam = kind, lam
        self.name = name or f"distributed_{kind}"
        self.m, self.n, self.dim = m, n, d
        self._A, self._b = A, b
        self.backend = get_backend(backend)
        if _reference is None:
            _reference = self._reference()
        self._ref = _reference
        self._x_star, self.f_star, self._consts = _reference
        bk = self.backend
        self.A = bk.asarray(A)
        self.A_T = bk.asarray(np.ascontiguousarray(np.swapaxes(A, 1, 2)))
        self.b = bk.asarray(b)
        self.A_flat = bk.asarray(A.reshape(m * n, d))
        self.b_flat = bk.asarray(b.reshape(m * n))
        self.x_star = bk.asarray(self._x_star)
        self.w0 = bk.asarray(np.zeros(d))
        if kind == "ridge":
            N = m * n
            Af = A.reshape(N, d)
            self._H = bk.asarray(Af.T @ Af / N + lam * np.eye(d))

    # -- reference quantities (host, once) ------------------------------------------------
    def _reference(self):
        A, b, lam = self._A, self._b, self.lam
        m, n, d = A.shape
        N = m * n
        Af, bf = A.reshape(N, d), b.reshape(N)
        scale = 1.0 if self.kind == "ridge" else 0.5  # logistic: H_ij <= a a^T / 4 + lam I
        As = Af * scale
        H = As.T @ As / N + lam * np.eye(d)
        ev = np.linalg.eigvalsh(H)
        L = float(ev[-1])
        norms = np.sum(As * As, axis=1)
        Lbar2 = float(np.linalg.eigvalsh((As.T * (norms + 2 * lam)) @ As / N)[-1]) + lam * lam
        Ai = A * scale
        Hi = np.einsum("ijk,ijl->ikl", Ai, Ai) / n + lam * np.eye(d)
        L_loc = np.linalg.eigvalsh(Hi)
        L_l = float(L_loc[:, -1].max())
        mu_l = float(L_loc[:, 0].min())
        L_max = float(norms.max()) + lam
        if self.kind == "ridge":
            mu = float(ev[0])
            if mu <= 1e-14 * L:
                raise ValueError(f"ridge problem is not strongly convex: lambda_min(H) = {mu!r}")
            x_star = np.linalg.solve(H, Af.T @ bf / N)
            r = Af @ x_star - bf
            f_star = float(0.5 * np.mean(r * r) + 0.5 * lam * x_star @ x_star)
        else:
            mu = lam
            x_star, _ = solve_logistic(Af, bf, lam)
            for _ in range(8):  # polish cvxpy's ~1e-6-accurate solution with Newton steps
                g = logistic_gradient(Af, bf, lam, x_star[None])[0]
                if np.linalg.norm(g) <= 1e-14:
                    break
                x_star = x_star - np.linalg.solve(logistic_hessian(Af, bf, lam, x_star), g)
            f_star = float(logistic_value(Af, bf, lam, x_star[None])[0])
        consts = {
            "m": m, "n": n, "N": N, "d": d, "lam": lam,
            "L": L, "mu": mu, "L_bar": float(np.sqrt(Lbar2)), "L_l": L_l, "L_max": L_max,
            "mu_local": mu_l,
            "kappa": L / mu, "kappa_global": L / mu, "kappa_local": L_l / mu,
            "kappa_max": L_max / mu, "kappa_bar": float(np.sqrt(Lbar2)) / mu,
        }
        return x_star, f_star, consts

    def constants(self) -> dict:
        """``m, n, N, d, lam, L, mu, L_bar, L_l, L_max, mu_local`` and the condition numbers."""
        return dict(self._consts)

    def to_backend(self, backend) -> DistributedFiniteSum:
        return DistributedFiniteSum(self._A, self._b, self.kind, self.lam, backend=backend,
                                    name=self.name, _reference=self._ref)

    # -- global objective on (S, d) -----------------------------------------------------------
    def value(self, w):
        if self.kind == "ridge":
            return self.f_star + self.suboptimality(w)
        return logistic_value(self.A_flat, self.b_flat, self.lam, w)

    def suboptimality(self, w):
        r""":math:`f(w) - f^\star`; for ridge the exact form :math:`\tfrac12 (w-x^\star)^\top H (w-x^\star)`."""
        if self.kind == "ridge":
            xp = namespace(w)
            e = w - self.x_star
            return 0.5 * xp.sum((e @ self._H) * e, axis=-1)
        return self.value(w) - self.f_star

    def gradient(self, w):
        if self.kind == "ridge":
            return (w - self.x_star) @ self._H
        return logistic_gradient(self.A_flat, self.b_flat, self.lam, w)

    def stochastic_gradient(self, w, batch_size: int, streams):
        """Mini-batch over all :math:`mn` components, uniform with replacement (single node)."""
        xp = namespace(w)
        N = self.m * self.n
        u = streams.uniform(batch_size)  # (S, B)
        idx = xp.astype(xp.clip(xp.floor(u * N), 0, N - 1), xp.int64)
        A, b = self.A_flat[idx], self.b_flat[idx]  # (S, B, d), (S, B)
        Z = xp.sum(A * w[:, None, :], axis=-1)
        coef = Z - b if self.kind == "ridge" else -b / (1.0 + xp.exp(b * Z))
        return xp.sum(coef[..., None] * A, axis=1) / batch_size + self.lam * w

    # -- agent-stacked evaluation on (m, S, d) ------------------------------------------------
    def _residual_coef(self, X):
        Z = X @ self.A_T  # (m, S, n)
        if self.kind == "ridge":
            return Z - self.b[:, None, :]
        xp = namespace(X)
        y = self.b[:, None, :]
        return -y / (1.0 + xp.exp(y * Z))

    def local_gradient(self, X):
        r""":math:`\nabla f_i(x_i)` for ``X`` of shape ``(m, S, d)``."""
        if X.ndim != 3 or X.shape[0] != self.m or X.shape[2] != self.dim:
            raise ValueError(f"X must have shape (m={self.m}, S, d={self.dim}), got {tuple(X.shape)}")
        return self._residual_coef(X) @ self.A / self.n + self.lam * X

    def weighted_local_gradient(self, X, C):
        r""":math:`\frac1n\sum_j c_{ij}\nabla f_{ij}(x_i)`; ``C`` of shape ``(m, S, n)``."""
        xp = namespace(X)
        if tuple(C.shape) != (X.shape[0], X.shape[1], self.n):
            raise ValueError(f"C must have shape (m, S, n) = {(X.shape[0], X.shape[1], self.n)}, got {tuple(C.shape)}")
        G = (C * self._residual_coef(X)) @ self.A / self.n
        if self.lam:
            G = G + self.lam * X * xp.mean(C, axis=-1)[..., None]
        return G

    def agent_suboptimality(self, X):
        r""":math:`f(x_i) - f^\star` of every agent's iterate, shape ``(m, S)``."""
        m, S, d = X.shape
        return self.suboptimality(X.reshape(m * S, d)).reshape(m, S)


# -- factories --------------------------------------------------------------------------------
@register("distributed_ridge")
def distributed_ridge(m: int = 8, n: int = 16, d: int = 16, kappa: float = 100.0,
                      heterogeneity: float = 0.0, noise: float = 0.1, lam: float = 0.0,
                      seed: int = 0):
    """Ridge regression over m agents; global kappa fixed, local kappa = (1 + h(m-1)) kappa."""
    A = heterogeneous_features(m, n, d, kappa, heterogeneity, seed)
    rng = np.random.default_rng([seed, 1])
    x_true = rng.standard_normal(d)
    b = A @ x_true + check_positive("noise", noise, allow_zero=True) * rng.standard_normal((m, n))
    return DistributedFiniteSum(A, b, "ridge", lam, name="distributed_ridge")


@register("iid_distributed_ridge")
def iid_distributed_ridge(m: int = 64, n: int = 4, d: int = 100, lam: float = 0.01,
                          noise: float = 0.1, seed: int = 0):
    r"""Ridge over m agents with i.i.d. Gaussian features (no size constraints; large m).

    Rows :math:`a_{ij} \sim N(0, I_d/d)`, :math:`b = A x_{\text{true}} + \text{noise}`;
    homogeneous in law, so local and global constants are close.  Used by the
    large-instance preset (4096 agents).
    """
    m, n, d = check_int("m", m), check_int("n", n), check_int("d", d)
    rng = np.random.default_rng([seed, 2])
    A = rng.standard_normal((m, n, d)) / np.sqrt(d)
    b = A @ rng.standard_normal(d) + check_positive("noise", noise, allow_zero=True) * rng.standard_normal((m, n))
    return DistributedFiniteSum(A, b, "ridge", check_positive("lam", lam), name="iid_distributed_ridge")


@register("distributed_logistic")
def distributed_logistic(m: int = 8, n: int = 16, d: int = 16, kappa: float = 100.0,
                         heterogeneity: float = 0.0, lam: float = 1e-2, flip: float = 0.1,
                         seed: int = 0):
    """l2-logistic regression over m agents with heterogeneous feature scaling."""
    A = heterogeneous_features(m, n, d, kappa, heterogeneity, seed)
    rng = np.random.default_rng([seed, 2])
    x_true = rng.standard_normal(d)
    y = np.sign(A @ x_true + 1e-12)
    y[rng.random(y.shape) < flip] *= -1
    y[y == 0] = 1.0
    return DistributedFiniteSum(A, y, "logistic", lam, name="distributed_logistic")


def load_libsvm(path, m: int, n: int | None = None, lam: float = 1e-4, split: str = "random",
                seed: int = 0) -> DistributedFiniteSum:
    r"""l2-logistic regression on a LIBSVM-format file (e.g. a9a, w8a) split over ``m`` agents.

    Parameters
    ----------
    path : str or path
        File in LIBSVM/svmlight format, read with
        :func:`sklearn.datasets.load_svmlight_file` (densified).
    m : int
        Number of agents.
    n : int, optional
        Components per agent; default ``N // m`` (the remainder is dropped).
    lam : float
        Regularization (> 0).
    split : {"random", "sorted"}
        ``"random"``: a random permutation (homogeneous agents); ``"sorted"``: rows sorted
        by label, then by the first feature, so agents see different parts of the data
        (local condition numbers larger than the global one).
    seed : int

    Returns
    -------
    DistributedFiniteSum
        Labels mapped to :math:`\pm 1` (``{0, 1}``, ``{1, 2}`` or ``{-1, 1}`` inputs).
    """
    from sklearn.datasets import load_svmlight_file

    m = check_int("m", m)
    X, y = load_svmlight_file(str(path))
    X = np.asarray(X.toarray(), dtype=float)
    labels = np.unique(y)
    if labels.size != 2:
        raise ValueError(f"{path}: expected two classes, got labels {labels[:5]}")
    y = np.where(y == labels[1], 1.0, -1.0)
    N = X.shape[0]
    n = N // m if n is None else check_int("n", n)
    if m * n > N:
        raise ValueError(f"{path} has {N} rows, fewer than m * n = {m * n}")
    if split == "random":
        order = np.random.default_rng(seed).permutation(N)
    elif split == "sorted":
        order = np.lexsort((X[:, 0], y))
    else:
        raise ValueError(f"split must be 'random' or 'sorted', got {split!r}")
    order = order[: m * n]
    return DistributedFiniteSum(X[order].reshape(m, n, -1), y[order].reshape(m, n), "logistic", lam,
                                name="libsvm_logistic")
