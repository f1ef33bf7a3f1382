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
