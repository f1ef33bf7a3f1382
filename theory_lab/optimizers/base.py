"""Optimizers as small pure state transitions, in the style of optax.

An :class:`Optimizer` is a pair of functions::

    state = opt.init(w0)                 # w0: (S, d), S = number of seeds
    state = opt.step(state, grad, t)     # grad evaluated at opt.query(state)

``state`` is a dict of arrays whose leading axis is the seed axis; ``state["w"]`` is the
current iterate.  ``step`` never mutates its input.  ``query(state)`` is where the next
gradient is evaluated (``state["w"]`` unless the method extrapolates, e.g. Nesterov).
``oracle`` is ``"stochastic"`` (mini-batch gradients) or ``"exact"`` (deterministic
methods such as GD and heavy ball).

``step_inplace`` (optional) is the same transition with donated buffers, as in JAX's
buffer donation: it may overwrite ``state``'s arrays and ``grad`` and returns the new
state.  The runner uses it when it owns every buffer (it always does); it must agree
with ``step`` to rounding, which the tests check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def _query_w(state):
    return state["w"]


@dataclass(frozen=True)
class Optimizer:
    name: str
    init: Callable
    step: Callable
    hyperparams: dict = field(default_factory=dict)
    oracle: str = "stochastic"
    query: Callable = _query_w
    step_inplace: Callable | None = None

    def __post_init__(self):
        if self.oracle not in ("stochastic", "exact"):
            raise ValueError(f"oracle must be 'stochastic' or 'exact', got {self.oracle!r}")
