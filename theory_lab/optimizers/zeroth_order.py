r"""Optimizers of the zeroth-order line.

Zeroth-order methods in the lab are first-order optimizers run on a
:class:`theory_lab.zeroth_order.ZerothOrderProblem` (whose ``stochastic_gradient`` is a
zeroth-order estimate): ZO-SGD is ``"sgd"`` and ZO-Adam is ``"adam"`` on a ``"zo"``
problem.  What is added here is the step that needs a manifold:

``"rsgd"`` -- Riemannian SGD on the unit sphere with the projection retraction,

.. math::
    x_{t+1} = R_{x_t}(-\eta_t g_t) = \frac{x_t - \eta_t g_t}{\lVert x_t - \eta_t g_t\rVert},

with :math:`g_t` a tangent vector: the Riemannian gradient (first order) or the
zeroth-order Riemannian estimate of Li, Balasubramanian & Ma (ZO-RSGD) when the problem
is a ``"zo"`` wrapper of a sphere problem.  A non-tangent :math:`g_t` is projected first,
:math:`g \leftarrow g - (x^\top g) x`, so the step is a retraction of a tangent vector.

References
----------
.. [1] S. Bonnabel. "Stochastic gradient descent on Riemannian manifolds." IEEE TAC, 2013.
.. [2] J. Li, K. Balasubramanian, S. Ma. "Stochastic Zeroth-order Riemannian Derivative
   Estimation and Optimization." Mathematics of Operations Research, 2023. arXiv:2003.11238.
"""

from __future__ import annotations

from ..backends import namespace
from ..schedules import make_schedule
from . import register
from .base import Optimizer


@register("rsgd")
def rsgd(lr, T=None) -> Optimizer:
    r"""Riemannian SGD on the unit sphere, projection retraction (ZO-RSGD on a 'zo' sphere problem).

    Parameters
    ----------
    lr : float, dict or Schedule
        Step size :math:`\eta > 0` (``ValueError`` otherwise) or a schedule spec.
    T : int, optional
        Horizon, for schedules given by number of stages.
    """
    sched = make_schedule(lr, T)
    for v in sched.values:
        if not v > 0:
            raise ValueError(f"learning rate must be > 0, got {v!r}")

    def init(w0):
        xp = namespace(w0)
        return {"w": w0 / xp.linalg.vector_norm(w0, axis=-1, keepdims=True)}

    def step(state, grad, t):
        xp = namespace(grad)
        x = state["w"]
        g = grad - xp.sum(grad * x, axis=-1, keepdims=True) * x
        y = x - sched(t) * g
        return {"w": y / xp.linalg.vector_norm(y, axis=-1, keepdims=True)}

    return Optimizer("rsgd", init, step, {"lr": sched.describe()})


__all__ = ["rsgd"]
