r"""SGD and stochastic heavy ball (SHB), with constant or scheduled step sizes.

Heavy ball (Polyak 1964), in displacement form:

.. math::
    w_{t+1} = w_t - \eta_t g_t + \beta (w_t - w_{t-1}), \qquad w_{-1} = w_0,

with :math:`g_t` an exact (GD / heavy ball) or mini-batch (SGD / SHB) gradient at
:math:`w_t`.  :math:`\beta = 0` is SGD exactly (same arithmetic, no extra buffer).

Relation to ``torch.optim.SGD(momentum=beta, dampening=0)``, which keeps
:math:`b_t = \beta b_{t-1} + g_t` and steps :math:`w_{t+1} = w_t - \eta_t b_t`: the two
coincide when :math:`\eta_t` is constant.  Under a schedule they differ at stage
boundaries (torch rescales past displacements by the new :math:`\eta`); Pan et al.'s
Algorithm 1 is written in the displacement form used here.

Both optimizers have a ``step_inplace`` (buffer donation, see
:mod:`theory_lab.optimizers.base`) built on the fused kernels of
:mod:`theory_lab.kernels`: one cache-blocked pass over :math:`w, v, g` instead of the
temporaries of ``step``.  On numpy it is bitwise equal to ``step``; on torch it agrees
to rounding (torch fuses :math:`\beta v - \eta g` into a multiply-add).

Multistage SHB (Pan et al., Algorithm 1): a :func:`theory_lab.schedules.multistage`
schedule with fixed momentum.  Step-decay SGD (Ge et al. 2019): :math:`\beta = 0` with
:func:`theory_lab.schedules.ge_step_decay`.

References
----------
.. [1] B. T. Polyak. "Some methods of speeding up the convergence of iteration methods."
   USSR Comp. Math. and Math. Physics, 1964.
.. [2] R. Pan, Y. Liu, X. Wang, T. Zhang. "Accelerated Convergence of Stochastic Heavy
   Ball Method under Anisotropic Gradient Noise." ICLR 2024. arXiv:2312.14567.
.. [3] R. Ge, S. M. Kakade, R. Kidambi, P. Netrapalli. "The Step Decay Schedule."
   NeurIPS 2019.
"""

from __future__ import annotations

from ..kernels import heavy_ball_update_, sgd_update_
from ..schedules import Schedule, make_schedule
from ..validation import check_momentum
from .base import Optimizer


def _check_schedule(lr, T) -> Schedule:
    sched = make_schedule(lr, T)
    for v in sched.values:
        if not v > 0:
            raise ValueError(f"learning rate must be > 0, got {v!r}")
    return sched


def sgd(lr, T: int | None = None, *, oracle: str = "stochastic") -> Optimizer:
    r"""(Stochastic) gradient descent :math:`w_{t+1} = w_t - \eta_t g_t`."""
    sched = _check_schedule(lr, T)

    def init(w0):
        return {"w": w0}

    def step(state, grad, t):
        return {"w": state["w"] - sched(t) * grad}

    def step_inplace(state, grad, t):
        return {"w": sgd_update_(state["w"], grad, sched(t))}

    name = "gd" if oracle == "exact" else "sgd"
    return Optimizer(
        name, init, step, {"lr": sched.describe()}, oracle=oracle, step_inplace=step_inplace
    )


def heavy_ball(lr, beta: float, T: int | None = None, *, oracle: str = "stochastic") -> Optimizer:
    r"""(Stochastic) heavy ball :math:`w_{t+1} = w_t - \eta_t g_t + \beta (w_t - w_{t-1})`.

    Parameters
    ----------
    lr : float, dict or Schedule
        Step size (or schedule spec, see :func:`theory_lab.schedules.make_schedule`).
    beta : float in [0, 1)
        Momentum; outside that range raises ``ValueError``.
    T : int, optional
        Horizon, needed by schedules given by number of stages.
    oracle : {"stochastic", "exact"}
    """
    sched = _check_schedule(lr, T)
    beta = check_momentum("momentum beta", beta)

    def init(w0):
        return {"w": w0, "v": w0 * 0}

    def step(state, grad, t):
        v = beta * state["v"] - sched(t) * grad
        return {"w": state["w"] + v, "v": v}

    def step_inplace(state, grad, t):
        w, v = heavy_ball_update_(state["w"], state["v"], grad, sched(t), beta)
        return {"w": w, "v": v}

    name = "hb" if oracle == "exact" else "shb"
    return Optimizer(
        name, init, step, {"lr": sched.describe(), "beta": beta}, oracle=oracle,
        step_inplace=step_inplace,
    )
