r"""Problems on a manifold, and the zeroth-order wrapper's registry entry.

``"rayleigh"``: the leading eigenvector of a symmetric :math:`A` as minimization of the
negative Rayleigh quotient on the unit sphere,

.. math::
    \min_{\lVert x\rVert = 1} f(x) = -\frac{x^\top A x}{x^\top x},
    \qquad f^\star = -\lambda_1, \quad x^\star = \pm v_1 ,

with a declared spectrum :math:`\lambda_1 = 1 > \lambda_2 = 1 - \delta \ge \dots \ge
\lambda_d = 0` (eigengap :math:`\delta`).  :math:`f` is scale invariant, so ``value`` is
defined off the sphere too, and its Euclidean gradient
:math:`-2 (A x - r(x) x)/\lVert x\rVert^2` is tangent: at a unit :math:`x` it *is* the
Riemannian gradient (``gradient`` returns it; the runner's ``grad_norm`` is the Riemannian
gradient norm).  At the optimum the Riemannian Hessian in the tangent space has
eigenvalues :math:`2(\lambda_1 - \lambda_i)`, :math:`i \ge 2`: the problem is locally a
:math:`(d-1)`-dimensional quadratic with :math:`L = 2(\lambda_1 - \lambda_d) = 2` and
:math:`\mu = 2\delta`, which is what ``constants()`` declares (``L``, ``mu`` are these
*local* constants; ``local_hessian_eigenvalues()`` returns the spectrum).

References
----------
.. [1] P.-A. Absil, R. Mahony, R. Sepulchre. *Optimization Algorithms on Matrix
   Manifolds.* Princeton, 2008 (retractions; the Rayleigh quotient, Sec. 4.6).
.. [2] J. Li, K. Balasubramanian, S. Ma. "Stochastic Zeroth-order Riemannian Derivative
   Estimation and Optimization." Mathematics of Operations Research, 2023. arXiv:2003.11238.
"""

from __future__ import annotations

import copy

import numpy as np

from theory_lab.backends import Backend, get_backend, namespace
from theory_lab.validation import check_int, check_positive

from . import register
from ._lazy import ortho_group  # SciPy on first use: fast registry import


class RayleighQuotient:
    r"""Negative Rayleigh quotient :math:`-x^\top A x / x^\top x` with a known spectrum.

    Parameters
    ----------
    eigenvalues : array (d,)
        Spectrum of :math:`A`, sorted decreasingly, with :math:`\lambda_1 > \lambda_2`.
    w0 : array (d,)
        Initial point (normalized to the unit sphere).
    rotation : array (d, d) or None
        Orthogonal eigenvectors :math:`Q`; ``None``: :math:`A` diagonal, :math:`v_1 = e_1`.
    """

    name = "rayleigh"
    manifold = "sphere"

    def __init__(self, eigenvalues, w0, rotation=None, backend: Backend | None = None):
        ev = np.asarray(eigenvalues, dtype=float)
        if ev.ndim != 1 or ev.size < 2 or not np.all(np.isfinite(ev)):
            raise ValueError(f"eigenvalues must be a finite 1-D array of size >= 2, got {ev!r}")
        if np.any(np.diff(ev) > 0) or not ev[0] > ev[1]:
            raise ValueError(
                f"eigenvalues must be sorted decreasingly with a gap lambda_1 > lambda_2, got "
                f"{ev[:3]!r}..."
            )
        w0 = np.asarray(w0, dtype=float)
        if w0.shape != ev.shape or not np.linalg.norm(w0) > 0:
            raise ValueError(f"w0 must be a non-zero array of shape {ev.shape}, got shape {w0.shape}")
        self._ev = ev
        self._host = {"w0": w0 / np.linalg.norm(w0), "rotation": rotation}
        self.dim = ev.size
        self.f_star = -float(ev[0])
        self.backend = get_backend(backend)
        self._place()

    def _place(self):
        b = self.backend
        self.eigenvalues = b.asarray(self._ev)
        self.w0 = b.asarray(self._host["w0"])
        Q = self._host["rotation"]
        self._A = None if Q is None else b.asarray((Q * self._ev) @ Q.T)

    def to_backend(self, backend) -> RayleighQuotient:
        new = copy.copy(self)
        new.backend = get_backend(backend)
        new._place()
        return new

    def _apply(self, w):
        return w * self.eigenvalues if self._A is None else w @ self._A

    def value(self, w):
        xp = namespace(w)
        return -xp.sum(w * self._apply(w), axis=-1) / xp.sum(w * w, axis=-1)

    def gradient(self, w):
        xp = namespace(w)
        sq = xp.sum(w * w, axis=-1, keepdims=True)
        Aw = self._apply(w)
        r = xp.sum(w * Aw, axis=-1, keepdims=True) / sq
        return -2.0 * (Aw - r * w) / sq

    def stochastic_gradient(self, w, batch_size, streams):
        """Exact Riemannian gradient (the first-order baseline has no oracle noise)."""
        check_int("batch_size", batch_size)
        return self.gradient(w)

    def leading_eigenvector(self) -> np.ndarray:
        """:math:`v_1` (host numpy)."""
        Q = self._host["rotation"]
        return np.eye(self.dim)[0] if Q is None else Q[:, 0]

    def local_hessian_eigenvalues(self) -> np.ndarray:
        r"""Riemannian Hessian spectrum at :math:`x^\star`: :math:`2(\lambda_1 - \lambda_i)`, :math:`i \ge 2`."""
        return 2.0 * (self._ev[0] - self._ev[1:])

    def initial_error_coordinates(self) -> np.ndarray:
        r"""Tangent coordinates of :math:`w_0` at :math:`x^\star` along :math:`v_2, \dots, v_d` (host)."""
        Q = self._host["rotation"]
        c = self._host["w0"] if Q is None else self._host["w0"] @ Q
        return c[1:]

    def constants(self) -> dict:
        h = self.local_hessian_eigenvalues()
        Q = self._host["rotation"]
        c = self._host["w0"] if Q is None else self._host["w0"] @ Q
        return {
            "d": self.dim,
            "L": float(h.max()),
            "mu": float(h.min()),
            "kappa": float(h.max() / h.min()),
            "gap": float(self._ev[0] - self._ev[1]),
            "lambda_1": float(self._ev[0]),
            "f_star": self.f_star,
            "f0": float(np.sum((self._ev[0] - self._ev) * c**2)),
            "manifold": self.manifold,
            "noise": "none",
            "sigma": 0.0,
        }


@register("rayleigh")
def rayleigh(d: int = 50, gap: float = 0.1, rotate: bool = False, seed: int = 0) -> RayleighQuotient:
    r"""Leading eigenvector of a symmetric matrix as a problem on the unit sphere (known optimum).

    Parameters
    ----------
    d : int
        Dimension (>= 2).
    gap : float in (0, 1)
        Eigengap :math:`\delta`: :math:`\lambda_1 = 1`, :math:`\lambda_2 = 1 - \delta`,
        then :math:`\lambda_2, \dots, \lambda_d` evenly spaced down to 0.
    rotate : bool
        Haar-random eigenvectors (O(d^2)) instead of a diagonal :math:`A`.
    seed : int
        Fixes the random unit :math:`w_0` and the rotation.
    """
    d = check_int("d", d, minimum=2)
    gap = check_positive("gap", gap)
    if not gap < 1:
        raise ValueError(f"gap must lie in (0, 1), got {gap!r}")
    ev = np.concatenate([[1.0], (1.0 - gap) * np.linspace(1.0, 0.0, d - 1)])
    rng = np.random.default_rng([int(seed), 4049])
    w0 = rng.standard_normal(d)
    Q = ortho_group.rvs(d, random_state=rng) if rotate else None
    return RayleighQuotient(ev, w0 / np.linalg.norm(w0), rotation=Q)


__all__ = ["RayleighQuotient", "rayleigh"]
