r"""Zeroth-order gradient estimators, as a problem wrapper built only from function values.

:class:`ZerothOrderProblem` wraps any problem of the lab (see
:mod:`theory_lab.problem`) and replaces its ``stochastic_gradient`` by an estimate built
from ``problem.value`` queries alone, so every first-order optimizer becomes its
zeroth-order version: ZO-SGD is ``"sgd"`` on the wrapped problem, ZO-Adam is ``"adam"``
(the variant benchmarked by Zhang et al., ICML 2024), Riemannian ZO-SGD is ``"rsgd"``
(:mod:`theory_lab.optimizers.zeroth_order`) on a wrapped sphere problem.  ``value`` and
``gradient`` stay the base problem's: the runner uses them for its *metrics* only
(suboptimality, gradient norm at checkpoints), never for a step.

Estimators (radius :math:`\mu > 0`, :math:`n` directions per estimate)
----------------------------------------------------------------------
``"gaussian"`` (Nesterov & Spokoiny 2017), :math:`u_k \sim N(0, I_d)`:

.. math::
    g = \frac1n \sum_{k=1}^n \frac{f(x + \mu u_k) - f(x)}{\mu}\, u_k
    \quad\text{(forward)},\qquad
    \frac{f(x + \mu u_k) - f(x - \mu u_k)}{2\mu}\, u_k \quad\text{(central)};

unbiased for :math:`\nabla f_\mu`, :math:`f_\mu(x) = \mathbb E_u f(x + \mu u)`.

``"sphere"`` (Flaxman et al. 2005; Ghadimi & Lan 2013 use the Gaussian one),
:math:`v_k` uniform on the unit sphere :math:`S^{d-1}`:

.. math::
    g = \frac1n \sum_{k=1}^n \frac{d}{\mu}\,\bigl(f(x + \mu v_k) - f(x)\bigr)\, v_k ,

unbiased for :math:`\nabla \hat f_\mu`, :math:`\hat f_\mu(x) = \mathbb E_{b \sim U(B^d)} f(x + \mu b)`.

``"coordinate"``: deterministic finite differences along the :math:`d` coordinate axes,
:math:`g_i = (f(x + \mu e_i) - f(x))/\mu` or :math:`(f(x + \mu e_i) - f(x - \mu e_i))/(2\mu)`;
no randomness (``q`` must be 1), bias :math:`\tfrac\mu2 \operatorname{diag}(\nabla^2 f)`
(forward) or :math:`O(\mu^2)` (central; zero on a quadratic).

Multi-query averaging: ``q`` directions per estimate, times the runner's ``batch_size``
(``n = q M``; the directions are the "samples" the runner counts).  On a quadratic
:math:`f(x) = \tfrac12 (x - x^\star)^\top H (x - x^\star)` every closed form (smoothed
values, exact variances, the exact expected risk of ZO-SGD) is in
:mod:`theory_lab.theory.zeroth_order_bounds`.

Query counting
--------------
The runner counts *gradient evaluations* (one per step) and samples (``batch_size`` per
step); the honest cost of a zeroth-order method is the number of function values,
:meth:`ZerothOrderProblem.queries_per_step`: :math:`n + 1` (forward; :math:`f(x)` is shared by the
directions), :math:`2n` (central), :math:`d + 1` / :math:`2d` (coordinate).  It is recorded in
``constants()`` (``queries_per_step`` at batch size 1, ``q``, ``queries_per_direction``,
``shared_queries``), hence in every result's ``meta["constants"]``;
:func:`function_queries` turns a result's checkpoints into query counts.

Riemannian estimator (sphere)
-----------------------------
If the base problem declares ``manifold = "sphere"`` (e.g. the Rayleigh quotient of
:mod:`problems.manifold`), directions are projected on the tangent space,
:math:`v = P_x u = u - (x^\top u) x`, and the queries are taken at the retraction
:math:`R_x(\mu v) = (x + \mu v)/\lVert x + \mu v\rVert` (Li, Balasubramanian & Ma):

.. math::
    g = \frac{f(R_x(\mu v)) - f(x)}{\mu}\, v ,

a tangent vector estimating the Riemannian gradient; the uniform variant draws :math:`v`
uniform on the unit sphere of the :math:`(d-1)`-dimensional tangent space and scales by
:math:`d - 1`.  Coordinate differences are not defined on the manifold (``ValueError``).

References
----------
.. [1] Y. Nesterov, V. Spokoiny. "Random Gradient-Free Minimization of Convex Functions."
   Foundations of Computational Mathematics 17, 2017.
.. [2] S. Ghadimi, G. Lan. "Stochastic First- and Zeroth-Order Methods for Nonconvex
   Stochastic Programming." SIAM J. Optim. 23(4), 2013.
.. [3] A. D. Flaxman, A. T. Kalai, H. B. McMahan. "Online convex optimization in the bandit
   setting: gradient descent without a gradient." SODA 2005.
.. [4] Y. Zhang, P. Li, J. Hong, J. Li, Y. Zhang, W. Zheng, P.-Y. Chen, J. D. Lee, W. Yin,
   M. Hong, Z. Wang, S. Liu, T. Chen. "Revisiting Zeroth-Order Optimization for
   Memory-Efficient LLM Fine-Tuning: A Benchmark." ICML 2024.
.. [5] J. Li, K. Balasubramanian, S. Ma. "Stochastic Zeroth-order Riemannian Derivative
   Estimation and Optimization." Mathematics of Operations Research, 2023. arXiv:2003.11238.
"""

from __future__ import annotations

import copy

import numpy as np

from . import _compat
from .backends import get_backend, namespace
from .validation import check_int, check_positive

ESTIMATORS = ("gaussian", "sphere", "coordinate")
DIFFERENCES = ("forward", "central")
MANIFOLDS = (None, "sphere")


def check_radius(radius) -> float:
    """Smoothing radius :math:`\\mu`: finite and > 0, else ``ValueError`` naming the value."""
    return check_positive("smoothing radius", radius)


def _check_choice(name: str, value, choices) -> str:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; available: {', '.join(map(str, choices))}")
    return value


class ZerothOrderProblem:
    r"""A problem whose stochastic gradient is a zeroth-order estimate of its gradient.

    Parameters
    ----------
    base : problem
        Any object following :class:`theory_lab.problem.Problem`; only its ``value`` is
        queried by the estimator.  A ``manifold = "sphere"`` attribute switches to the
        Riemannian estimator (see the module docstring).
    estimator : {"gaussian", "sphere", "coordinate"}
    radius : float
        Smoothing radius :math:`\mu > 0` (``ValueError`` otherwise, naming the value).
    q : int
        Directions per estimate (multi-query averaging); ``n = q * batch_size``.
    difference : {"forward", "central"}

    Notes
    -----
    Estimates are vectorized over the seed axis and the directions: the base ``value``
    is called once on an ``(S n, d)`` array per step (plus once on ``(S, d)`` for the
    shared :math:`f(x)` of forward differences).
    """

    name = "zo"

    def __init__(self, base, estimator: str = "gaussian", radius: float = 1e-4, q: int = 1,
                 difference: str = "forward"):
        self.base = base
        self.estimator = _check_choice("zeroth-order estimator", estimator, ESTIMATORS)
        self.radius = check_radius(radius)
        self.q = check_int("q (directions per estimate)", q)
        self.difference = _check_choice("finite difference", difference, DIFFERENCES)
        self.manifold = _check_choice("manifold", getattr(base, "manifold", None), MANIFOLDS)
        if self.estimator == "coordinate" and self.q != 1:
            raise ValueError(f"the coordinate estimator is deterministic: q must be 1, got {q!r}")
        if self.estimator == "coordinate" and self.manifold is not None:
            raise ValueError(
                f"coordinate differences are not defined on manifold {self.manifold!r}; "
                "use estimator 'gaussian' or 'sphere'"
            )
        self.dim = base.dim
        self.f_star = base.f_star
        self.w0 = base.w0

    # -- protocol ----------------------------------------------------------------------
    def value(self, w):
        return self.base.value(w)

    def gradient(self, w):
        """The base problem's gradient: for the runner's metrics only, never for a step."""
        return self.base.gradient(w)

    def stochastic_gradient(self, w, batch_size, streams):
        """Zeroth-order estimate at ``w`` (S, d) with ``q * batch_size`` directions."""
        check_int("batch_size", batch_size)
        return self.estimate(w, streams, self.q * batch_size)

    def to_backend(self, backend) -> ZerothOrderProblem:
        new = copy.copy(self)
        new.base = self.base.to_backend(get_backend(backend))
        new.w0 = new.base.w0
        return new

    def constants(self) -> dict:
        per_dir, shared = self._query_counts()
        return {
            **self.base.constants(),
            "zo_estimator": self.estimator,
            "zo_difference": self.difference,
            "radius": self.radius,
            "q": self.q,
            "queries_per_direction": per_dir,
            "shared_queries": shared,
            "queries_per_step": self.queries_per_step(1),
        }

    # -- query accounting ------------------------------------------------------------
    def _query_counts(self) -> tuple[int, int]:
        # forward: one value per direction plus the shared f(x); central: two per direction
        return (1, 1) if self.difference == "forward" else (2, 0)

    def queries_per_step(self, batch_size: int = 1) -> int:
        """Function values per estimate: ``n + 1`` / ``2 n`` (random), ``d + 1`` / ``2 d`` (coordinate)."""
        per_dir, shared = self._query_counts()
        n = self.dim if self.estimator == "coordinate" else self.q * check_int("batch_size", batch_size)
        return per_dir * n + shared

    # -- estimators --------------------------------------------------------------------
    def _directions(self, w, streams, n):
        """(S, n, d) directions: Gaussian, or uniform on the sphere; tangent on a manifold."""
        xp = namespace(w)
        u = streams.normal((n, self.dim))
        if self.manifold == "sphere":
            x = w / xp.linalg.vector_norm(w, axis=-1, keepdims=True)
            u = u - xp.sum(u * x[:, None, :], axis=-1, keepdims=True) * x[:, None, :]
        if self.estimator == "sphere":
            u = u / xp.linalg.vector_norm(u, axis=-1, keepdims=True)
        return u

    def _query(self, points):
        """Base values at points (S, n, d) -> (S, n); on the sphere at the retraction."""
        xp = namespace(points)
        S, n, d = points.shape
        if self.manifold == "sphere":
            points = points / xp.linalg.vector_norm(points, axis=-1, keepdims=True)
        return xp.reshape(self.base.value(xp.reshape(points, (S * n, d))), (S, n))

    def estimate(self, w, streams, n: int | None = None):
        r"""One zeroth-order gradient estimate per row of ``w`` (S, d).

        Parameters
        ----------
        w : array (S, d)
            Query points (on the sphere for a sphere problem).
        streams : SeedStreams
            One stream per row of ``w``; unused by the coordinate estimator.
        n : int, optional
            Number of directions (default ``q``).

        Returns
        -------
        array (S, d)
        """
        xp = namespace(w)
        mu = self.radius
        if self.estimator == "coordinate":
            dev = _compat.device(w)
            eye = xp.eye(self.dim, dtype=w.dtype, device=dev)
            plus = self._query(w[:, None, :] + mu * eye[None, :, :])
            if self.difference == "forward":
                return (plus - self.base.value(w)[:, None]) / mu
            minus = self._query(w[:, None, :] - mu * eye[None, :, :])
            return (plus - minus) / (2 * mu)
        n = self.q if n is None else check_int("number of directions", n)
        u = self._directions(w, streams, n)
        plus = self._query(w[:, None, :] + mu * u)
        if self.difference == "forward":
            coef = (plus - self.value(w)[:, None]) / mu
        else:
            coef = (plus - self._query(w[:, None, :] - mu * u)) / (2 * mu)
        if self.estimator == "sphere":
            coef = coef * (self.dim - 1 if self.manifold == "sphere" else self.dim)
        return xp.sum(coef[:, :, None] * u, axis=1) / n


def zo_problem(base, estimator: str = "gaussian", radius: float = 1e-4, q: int = 1,
               difference: str = "forward") -> ZerothOrderProblem:
    r"""Zeroth-order view of another problem: its gradient estimated from function values.

    Parameters
    ----------
    base : dict or problem
        A problem spec such as ``{"name": "quadratic", "d": 50, "kappa": 10}`` (built with
        :func:`problems.make`) or a problem object.
    estimator, radius, q, difference
        See :class:`ZerothOrderProblem`.

    Examples
    --------
    >>> from theory_lab import RunConfig, run_config
    >>> cfg = RunConfig(problem={"name": "zo", "base": {"name": "quadratic", "d": 20,
    ...                          "kappa": 4.0, "noise": "none"}, "radius": 1e-5},
    ...                 optimizer={"name": "sgd", "lr": "1/(4*(d+4)*L)"}, T=100)
    >>> res = run_config(cfg)  # ZO-SGD of Nesterov & Spokoiny
    """
    if isinstance(base, dict):
        import problems

        spec = dict(base)
        if "name" not in spec:
            raise ValueError(f"base problem spec needs a 'name' key, got {base!r}")
        if spec["name"] == "zo":
            raise ValueError("base problem of 'zo' cannot itself be 'zo'")
        base = problems.make(spec.pop("name"), **spec)
    return ZerothOrderProblem(base, estimator=estimator, radius=radius, q=q, difference=difference)


def function_queries(result) -> np.ndarray:
    """Function values used up to each checkpoint of a ZO run: ``steps * queries_per_step(M)``.

    Parameters
    ----------
    result : RunResult
        A run on a :class:`ZerothOrderProblem` (its constants carry the query counts).

    Raises
    ------
    ValueError
        If the run's problem was not zeroth-order.
    """
    c = result.meta.get("constants", {})
    if "queries_per_direction" not in c:
        raise ValueError("result has no zeroth-order query counts (its problem is not 'zo')")
    M = int(result.config.get("batch_size", 1))
    if c["zo_estimator"] == "coordinate":
        per_step = c["queries_per_step"]
    else:
        per_step = c["queries_per_direction"] * c["q"] * M + c["shared_queries"]
    return np.asarray(result.steps) * per_step


__all__ = [
    "DIFFERENCES",
    "ESTIMATORS",
    "ZerothOrderProblem",
    "check_radius",
    "function_queries",
    "zo_problem",
]
