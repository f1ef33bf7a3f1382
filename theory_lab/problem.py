r"""The problem protocol every optimizer and experiment relies on.

A problem is an object that evaluates a function and its (stochastic) gradient on a
*batch of points* ``w`` of shape ``(S, d)`` -- the leading axis is the seed axis of a
vectorized run -- and that *declares* the constants the theory needs.  Optimizers and
step-size rules read constants from here; nothing guesses them.

Required attributes / methods
-----------------------------
``dim``                      dimension :math:`d`
``f_star``                   optimal value :math:`f^\star`
``w0``                       initial point, shape ``(d,)`` (fixed by the problem's seed)
``value(w)``                 :math:`f(w)`, shape ``(S,)``
``gradient(w)``              :math:`\nabla f(w)`, shape ``(S, d)``
``stochastic_gradient(w, batch_size, streams)``
                             unbiased estimate with mini-batch ``batch_size``; ``streams`` is a
                             :class:`theory_lab.random.SeedStreams` with one stream per row of ``w``
``constants()``              dict of scalars: ``L``, ``mu``, ``kappa``, ``d``, noise description, ...
``to_backend(backend)``      a copy whose arrays live on ``backend`` (numpy or torch)

Constants read by the registered bounds (:mod:`theory_lab.bounds`)
------------------------------------------------------------------
``constants()`` keys, by problem class (:data:`theory_lab.bounds.PROBLEM_CLASSES` maps a
problem name to its class; :func:`theory_lab.bounds.register_problem_class` adds one):

* ``"quadratic"``: ``L``, ``mu``, ``kappa``; ``f0`` (:math:`f(w_0) - f^\star`; computed
  from ``value(w0)`` when absent); ``sigma`` and ``noise`` (description).
* ``"separable_convex"`` (AdaGrad family): ``L1`` (:math:`\|L\|_1`), ``L_inf``,
  ``sigma1`` (:math:`\|\sigma\|_1`), ``sigma2`` (:math:`\|\sigma\|_2`), ``D_inf``,
  ``D_2`` (:math:`\|w_0 - w^\star\|_\infty`, :math:`\|w_0 - w^\star\|_2`).

Optional attributes for the exact risk recursions
-------------------------------------------------
:func:`theory_lab.theory.quadratic_risk.expected_risk_for` (and the ``"exact"`` bounds of
SGD / GD / (S)HB) compute :math:`\mathbb E f(w_t) - f^\star` exactly on a quadratic
:math:`f(w) = \tfrac12 (w-w^\star)^\top H (w-w^\star)`, :math:`H = Q\,\mathrm{diag}(\lambda)Q^\top`,
from three more members (:class:`QuadraticRiskProblem`; :class:`problems.quadratic.Quadratic`
has them):

``spectrum``                     eigenvalues :math:`\lambda` of :math:`H`, host numpy array ``(d,)``
``initial_error_coordinates()``  :math:`Q^\top(w_0 - w^\star)`, host numpy array ``(d,)``
``noise``                        the oracle's noise model, with

                                 * ``noise.eigen_variances(eigenvalues, batch_size)``: variance
                                   :math:`q_i` of the gradient noise along each eigenvector for
                                   mini-batch :math:`M` (covariance diagonal in the eigenbasis;
                                   zeros for exact gradients);
                                 * ``noise.kind``: ``"none"``, ``"anisotropic"`` (:math:`\sigma^2 H/M`),
                                   ``"isotropic"`` (:math:`\sigma^2 I/M`) or ``"least_squares"``
                                   (the iterate-dependent covariance of Gaussian least squares is
                                   then added exactly);
                                 * ``noise.describe()``: dict merged into ``constants()``.

A problem without them still runs; its ``"exact"`` bounds are skipped
(:class:`theory_lab.bounds.NotApplicable`).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Problem(Protocol):
    name: str
    dim: int
    f_star: float
    w0: Any

    def value(self, w): ...

    def gradient(self, w): ...

    def stochastic_gradient(self, w, batch_size: int, streams): ...

    def constants(self) -> dict: ...

    def to_backend(self, backend) -> Problem: ...


@runtime_checkable
class QuadraticRiskProblem(Problem, Protocol):
    """A :class:`Problem` on which the exact risk recursions run (see the module docstring)."""

    spectrum: Any
    noise: Any

    def initial_error_coordinates(self): ...
