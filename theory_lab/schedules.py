r"""Learning-rate schedules: callables ``t -> eta_t`` (``t`` = 0-based step index).

* :func:`constant` -- :math:`\eta_t = \eta`.
* :func:`step_decay` -- divide by ``factor`` every ``every`` steps.
* :func:`multistage` -- stages of given lengths, :math:`\eta_\ell = \eta_1 C^{-(\ell-1)}`
  (Algorithm 1 of Pan et al., ICLR 2024; equal stage lengths with geometric decay are
  [V] (OpenReview reviews of Theorem 2); the factor :math:`C = 2` is an [R] reconstruction).
* :func:`ge_step_decay` -- Ge et al. (NeurIPS 2019): :math:`\log_2 T` phases of
  :math:`T / \log_2 T` steps, halving each phase.

References
----------
.. [1] R. Pan, Y. Liu, X. Wang, T. Zhang. "Accelerated Convergence of Stochastic Heavy
   Ball Method under Anisotropic Gradient Noise." ICLR 2024.
.. [2] R. Ge, S. M. Kakade, R. Kidambi, P. Netrapalli. "The Step Decay Schedule: A Near
   Optimal, Geometrically Decaying Learning Rate Procedure For Least Squares." NeurIPS 2019.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import UserError
from .validation import check_int, check_positive, is_bool


@dataclass(frozen=True)
class Schedule:
    """Piecewise-constant schedule: value ``values[k]`` on steps ``[starts[k], starts[k+1])``."""

    kind: str
    starts: tuple[int, ...]
    values: tuple[float, ...]
    params: dict = field(default_factory=dict, compare=False)

    def __call__(self, t: int) -> float:
        return self.values[bisect.bisect_right(self.starts, t) - 1]

    def describe(self) -> dict:
        return {"kind": self.kind, **self.params}


def constant(eta: float) -> Schedule:
    eta = check_positive("learning rate", eta)
    return Schedule("constant", (0,), (eta,), {"eta": eta})


def step_decay(eta0: float, factor: float, every: int, T: int) -> Schedule:
    """Divide by ``factor`` every ``every`` steps over a horizon of ``T`` steps."""
    eta0 = check_positive("learning rate eta0", eta0)
    factor = check_positive("decay factor", factor)
    if factor < 1:
        raise ValueError(f"decay factor must be >= 1, got {factor!r}")
    every, T = check_int("every", every), check_int("T", T)
    starts = tuple(range(0, T, every))
    return Schedule(
        "step_decay", starts, tuple(eta0 / factor**k for k in range(len(starts))),
        {"eta0": eta0, "factor": factor, "every": every},
    )


def multistage(eta0: float, stage_lengths: Sequence[int], factor: float = 2.0) -> Schedule:
    r"""Stages of the given lengths, :math:`\eta_\ell = \eta_0 / C^{\ell}` on stage :math:`\ell`."""
    eta0 = check_positive("learning rate eta0", eta0)
    factor = check_positive("decay factor", factor)
    if factor < 1:
        raise ValueError(f"decay factor must be >= 1, got {factor!r}")
    lengths = [check_int(f"stage_lengths[{i}]", n) for i, n in enumerate(stage_lengths)]
    if not lengths:
        raise ValueError("stage_lengths must be non-empty, got []")
    starts = tuple([0] + [sum(lengths[: i + 1]) for i in range(len(lengths) - 1)])
    return Schedule(
        "multistage", starts, tuple(eta0 / factor**k for k in range(len(lengths))),
        {"eta0": eta0, "factor": factor, "stage_lengths": lengths},
    )


def equal_stages(T: int, n_stages: int) -> list[int]:
    """Split ``T`` steps into ``n_stages`` stages as equal as possible (first ones longer)."""
    T, n_stages = check_int("T", T), check_int("n_stages", n_stages)
    if n_stages > T:
        raise ValueError(f"n_stages={n_stages} exceeds the horizon T={T}")
    q, r = divmod(T, n_stages)
    return [q + (i < r) for i in range(n_stages)]


def ge_step_decay(eta0: float, T: int) -> Schedule:
    """Ge et al. (2019): ``ceil(log2 T)`` equal phases, halving the step each phase."""
    T = check_int("T", T)
    n = max(1, math.ceil(math.log2(max(T, 2))))
    sched = multistage(eta0, equal_stages(T, min(n, T)), 2.0)
    return Schedule("ge_step_decay", sched.starts, sched.values, {"eta0": sched.params["eta0"]})


def make_schedule(spec, T: int | None = None) -> Schedule:
    """Build a schedule from a number (constant) or a dict spec.

    ``{"kind": "multistage", "eta0": .., "n_stages": .., "factor": ..}`` (equal stages over
    ``T``) or with explicit ``"stage_lengths"``; ``{"kind": "step_decay", "eta0", "factor",
    "every"}``; ``{"kind": "ge_step_decay", "eta0"}``; ``{"kind": "constant", "eta"}``.
    """
    if isinstance(spec, Schedule):
        return spec
    if is_bool(spec):
        raise UserError(f"learning rate must be a number or a schedule dict, got {spec!r}")
    if not isinstance(spec, dict):
        return constant(spec)
    spec = dict(spec)
    kind = spec.pop("kind", "constant")
    if not isinstance(kind, str) or kind not in SCHEDULE_KEYS:
        raise UserError(
            f"unknown schedule kind {kind!r}; available: constant, step_decay, multistage, ge_step_decay"
        )
    required, optional = SCHEDULE_KEYS[kind]
    missing = [k for k in required if k not in spec]
    unknown = [k for k in spec if k not in required and k not in optional]
    if missing or unknown:
        what = (f"has unknown key(s) {', '.join(map(repr, unknown))}" if unknown
                else f"is missing key(s) {', '.join(map(repr, missing))}")
        keys = ", ".join([*required, *(f"[{k}]" for k in optional)])
        raise UserError(f"schedule {kind!r} {what}; it takes: kind, {keys}")
    if kind == "constant":
        return constant(spec["eta"])
    if T is None and kind != "constant" and "stage_lengths" not in spec:
        raise UserError(f"schedule {kind!r} needs the horizon T")
    if kind == "multistage":
        lengths = spec.get("stage_lengths") or equal_stages(T, spec.get("n_stages", 4))
        return multistage(spec["eta0"], lengths, spec.get("factor", 2.0))
    if kind == "step_decay":
        return step_decay(spec["eta0"], spec.get("factor", 2.0), spec["every"], T)
    return ge_step_decay(spec["eta0"], T)


#: kind -> (required keys, optional keys) of a schedule dict spec.
SCHEDULE_KEYS = {
    "constant": (("eta",), ()),
    "multistage": (("eta0",), ("n_stages", "factor", "stage_lengths")),
    "step_decay": (("eta0", "every"), ("factor",)),
    "ge_step_decay": (("eta0",), ()),
}
