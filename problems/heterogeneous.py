r"""K workers' quadratics with controllable heterogeneity :math:`\zeta^2` (local-update methods).

Worker :math:`k \in \{1, \dots, K\}` holds

.. math::
    f_k(w) = \tfrac12 (w - w^\star_k)^\top A_k (w - w^\star_k), \qquad
    A_k = \operatorname{diag}(\lambda_{k,1}, \dots, \lambda_{k,d}),

and the global objective is :math:`f = \tfrac1K \sum_k f_k`, a quadratic with Hessian
:math:`\bar A = \tfrac1K \sum_k A_k` and minimizer
:math:`w^\star = (\sum_k A_k)^{-1} \sum_k A_k w^\star_k`.

Hessians.  ``hessians="permuted"`` (default): every worker's spectrum is an independent random
permutation of one spectrum with :math:`\lambda_{\max} = L`, :math:`\lambda_{\min} = \mu`
(so each :math:`f_k` is exactly :math:`\mu`-strongly convex and :math:`L`-smooth, but the
workers' curvatures differ coordinate-wise).  ``hessians="shared"``: :math:`A_k = A` for all
:math:`k`.  With shared Hessians local SGD has *no* heterogeneity floor (averaging commutes
with the linear local map; see :mod:`theory_lab.theory.local_sgd_bounds`), so the floor this
lab measures comes from the interplay of different Hessians and different optima.

Heterogeneity.  The optima are :math:`w^\star_k = s\, u_k` with :math:`u_k \sim N(0, I_d)`
fixed by ``seed``; the scale :math:`s` is chosen so that

.. math::
    \zeta^2 := \frac1K \sum_{k=1}^K \|\nabla f_k(w^\star)\|^2 \quad\text{equals ``zeta``}^2

exactly (:math:`\nabla f_k(w^\star)` is linear in :math:`s`).  ``zeta = 0`` gives a common
optimum :math:`w^\star_k = 0`.

Noise.  Each worker's oracle returns :math:`\nabla f_k(w) + n_k` with
:math:`n_k = \tfrac{\sigma}{\sqrt{M d}} z_k`, :math:`z_k \sim N(0, I_d)` independent across
workers and steps: :math:`\mathbb E\|n_k\|^2 = \sigma^2 / M` (the :math:`\sigma^2` of
Koloskova et al. and Woodworth et al. is this total variance), covariance
:math:`\tfrac{\sigma^2}{M d} I`.  The single-oracle protocol (``stochastic_gradient`` on an
``(S, d)`` batch) is the average of the :math:`K` workers' oracles at the same point, i.e.
one step of minibatch SGD with :math:`K M` samples.

References
----------
.. [1] B. Woodworth, K. K. Patel, N. Srebro. "Minibatch vs Local SGD for Heterogeneous
   Distributed Learning." NeurIPS 2020. arXiv:2006.04735.
.. [2] A. Koloskova, N. Loizou, S. Boreiri, M. Jaggi, S. U. Stich. "A Unified Theory of
   Decentralized SGD with Changing Topology and Local Updates." ICML 2020. arXiv:2003.10422.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from theory_lab.backends import Backend, device_of, get_backend, namespace
from theory_lab.validation import check_int, check_positive, check_shape

from . import register
from .spectra import make_spectrum

HESSIAN_KINDS = ("permuted", "shared")


class HeterogeneousQuadratic:
    r"""K diagonal quadratics :math:`f_k`, their average :math:`f`, and per-worker oracles.

    Parameters
    ----------
    eigenvalues : array (K, d)
        Diagonal of :math:`A_k` per worker, all > 0.
    worker_optima : array (K, d)
        :math:`w^\star_k`.
    w0 : array (d,)
        Common initial point.
    sigma : float
        Per-worker oracle noise, :math:`\mathbb E\|n_k\|^2 = \sigma^2 / M`.
    backend : Backend, optional

    Notes
    -----
    ``value(w)`` is computed as :math:`f^\star + \tfrac12 (w-w^\star)^\top \bar A (w-w^\star)`
    (an identity for a quadratic), and :meth:`suboptimality` returns the second term directly,
    so that small floors are not lost to cancellation against :math:`f^\star`.
    """

    name = "heterogeneous_quadratic"

    def __init__(self, eigenvalues, worker_optima, w0, sigma: float = 0.0,
                 backend: Backend | None = None):
        lam = np.asarray(eigenvalues, dtype=float)
        if lam.ndim != 2 or lam.size == 0:
            raise ValueError(f"eigenvalues must be a (K, d) array, got shape {lam.shape}")
        if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
            raise ValueError(f"eigenvalues must be finite and > 0, got min {lam.min()!r}")
        K, d = lam.shape
        opt = np.asarray(worker_optima, dtype=float)
        w0 = np.asarray(w0, dtype=float)
        check_shape("worker_optima", opt, (K, d))
        check_shape("w0", w0, (d,))
        self.sigma = check_positive("sigma", sigma, allow_zero=True)
        self.n_workers = K
        self.dim = d
        abar = lam.mean(axis=0)
        w_star = (lam * opt).sum(axis=0) / lam.sum(axis=0)
        g_star = lam * (w_star[None, :] - opt)  # grad f_k(w*)
        self._host = {"lam": lam, "opt": opt, "w0": w0, "abar": abar, "w_star": w_star}
        self.f_star = float(0.5 * np.mean(np.sum(lam * (w_star - opt) ** 2, axis=1)))
        self.zeta2 = float(np.mean(np.sum(g_star**2, axis=1)))
        self.backend = get_backend(backend)
        self._place()

    def _place(self):
        b, h = self.backend, self._host
        self.worker_eigenvalues = b.asarray(h["lam"])
        self.worker_optima = b.asarray(h["opt"])
        self.eigenvalues = b.asarray(h["abar"])
        self.w_star = b.asarray(h["w_star"])
        self.w0 = b.asarray(h["w0"])

    def to_backend(self, backend) -> HeterogeneousQuadratic:
        new = copy.copy(self)
        new.backend = get_backend(backend)
        new._place()
        return new

    # -- host views for theory code ------------------------------------------------------
    @property
    def host(self) -> dict:
        r"""Host numpy arrays: ``lam`` (K, d), ``opt`` (K, d), ``w0``, ``abar``, ``w_star`` (d,)."""
        return self._host

    # -- global protocol ((S, d) batches) ------------------------------------------------
    def suboptimality(self, w):
        r""":math:`f(w) - f^\star = \tfrac12 (w-w^\star)^\top \bar A (w-w^\star)`, shape (S,)."""
        xp = namespace(w)
        diff = w - self.w_star
        return 0.5 * xp.sum(self.eigenvalues * diff * diff, axis=-1)

    def value(self, w):
        return self.suboptimality(w) + self.f_star

    def gradient(self, w):
        return self.eigenvalues * (w - self.w_star)

    def stochastic_gradient(self, w, batch_size, streams):
        """Average of the K workers' mini-batch oracles at ``w`` (minibatch SGD, K*M samples)."""
        xp = namespace(w)
        g = self.worker_gradient(w[:, None, :] + xp.zeros((1, self.n_workers, 1), dtype=w.dtype, device=device_of(w)))
        n = self.worker_noise(streams, batch_size)
        if n is not None:
            g = g + n
        return xp.mean(g, axis=1)

    # -- per-worker oracles ((S, K, d) batches) ------------------------------------------
    def worker_gradient(self, x):
        r""":math:`\nabla f_k(x_k) = A_k (x_k - w^\star_k)` for ``x`` of shape (S, K, d)."""
        return self.worker_eigenvalues * (x - self.worker_optima)

    def worker_noise(self, streams, batch_size: int):
        r"""Noise :math:`n_k` of every worker, shape (S, K, d); ``None`` when :math:`\sigma = 0`.

        Draws one ``(K, d)`` standard-normal block per seed from ``streams`` (nothing is drawn
        when :math:`\sigma = 0`).
        """
        batch_size = check_int("batch_size", batch_size)
        if self.sigma == 0.0:
            return None
        z = streams.normal((self.n_workers, self.dim))
        return (self.sigma / math.sqrt(batch_size * self.dim)) * z

    def constants(self) -> dict:
        lam, abar = self._host["lam"], self._host["abar"]
        L, mu = float(lam.max()), float(lam.min())
        d0 = self._host["w0"] - self._host["w_star"]
        return {
            "d": self.dim,
            "K": self.n_workers,
            "L": L,
            "mu": mu,
            "kappa": L / mu,
            "L_global": float(abar.max()),
            "mu_global": float(abar.min()),
            "zeta2": self.zeta2,
            "zeta": math.sqrt(self.zeta2),
            "sigma": self.sigma,
            "sigma2": self.sigma**2,
            "f_star": self.f_star,
            "f0": float(0.5 * np.sum(abar * d0**2)),
            "noise": "isotropic_per_worker" if self.sigma > 0 else "none",
        }


def heterogeneous_quadratic(
    K: int = 8,
    d: int = 20,
    kappa: float = 10.0,
    L: float = 1.0,
    zeta: float = 1.0,
    sigma: float = 0.0,
    spectrum: str = "log_uniform",
    hessians: str = "permuted",
    seed: int = 0,
) -> HeterogeneousQuadratic:
    r"""K workers' diagonal quadratics with heterogeneity :math:`\zeta^2` and noise :math:`\sigma^2`.

    Parameters
    ----------
    K : int >= 1
        Number of workers.
    d : int
        Dimension.
    kappa, L : float
        Every worker's spectrum has largest eigenvalue :math:`L` and smallest :math:`L/\kappa`.
    zeta : float >= 0
        :math:`\zeta = \big(\tfrac1K \sum_k \|\nabla f_k(w^\star)\|^2\big)^{1/2}`, met exactly.
        ``K = 1`` admits only ``zeta = 0``.
    sigma : float >= 0
        Per-worker oracle noise :math:`\mathbb E\|n_k\|^2 = \sigma^2/M`.
    spectrum : {"log_uniform", "power_law", "two_clusters"}
        See :mod:`problems.spectra`.
    hessians : {"permuted", "shared"}
        Independent random permutations of the spectrum per worker, or one shared Hessian.
    seed : int
        Fixes :math:`w_0 \sim U(-1, 1)^d`, the permutations and the directions :math:`u_k`
        (run seeds drive only the noise).

    Raises
    ------
    ValueError
        ``K < 1``, ``zeta < 0``, ``K = 1`` with ``zeta > 0``, an unknown ``hessians``, or a
        heterogeneity direction that is degenerate (all :math:`\nabla f_k(w^\star) = 0`).
    """
    K = check_int("K (number of workers)", K)
    d = check_int("d", d)
    zeta = check_positive("zeta", zeta, allow_zero=True)
    if hessians not in HESSIAN_KINDS:
        raise ValueError(f"unknown hessians {hessians!r}; available: {', '.join(HESSIAN_KINDS)}")
    ev = make_spectrum(spectrum, d, kappa, L)
    rng = np.random.default_rng([int(seed), 4099])
    w0 = rng.uniform(-1.0, 1.0, size=d)
    if hessians == "shared":
        lam = np.tile(ev, (K, 1))
    else:
        lam = np.stack([rng.permutation(ev) for _ in range(K)])
    u = rng.standard_normal((K, d))
    if zeta == 0.0:
        opt = np.zeros((K, d))
    else:
        if K == 1:
            raise ValueError(f"a single worker has zeta = 0, got zeta={zeta!r} with K=1")
        u_star = (lam * u).sum(axis=0) / lam.sum(axis=0)
        c = float(np.mean(np.sum((lam * (u_star - u)) ** 2, axis=1)))
        if not c > 0:
            raise ValueError("degenerate heterogeneity direction: all grad f_k(w*) vanish")
        opt = (zeta / math.sqrt(c)) * u
    return HeterogeneousQuadratic(lam, opt, w0, sigma=sigma)


register("heterogeneous_quadratic")(heterogeneous_quadratic)

__all__ = ["HESSIAN_KINDS", "HeterogeneousQuadratic", "heterogeneous_quadratic"]
