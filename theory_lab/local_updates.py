r"""Local updates with outer momentum (DiLoCo), local SGD and minibatch SGD at equal communication.

:math:`K` workers, stacked as an array axis next to the seed axis (iterates of shape
``(S, K, d)``), each run :math:`H` inner steps of an inner optimizer (SGD or Adam, from
:mod:`theory_lab.optimizers` by name) from the common point :math:`x_r`; then one
communication round averages the *pseudo-gradient*

.. math::
    \Delta_r = x_r - \frac1K \sum_{k=1}^K x_{r,k}^{(H)}

and the outer optimizer steps on it.  DiLoCo (Douillard et al. 2023) uses Nesterov momentum
in ``torch.optim.SGD(nesterov=True)`` form:

.. math::
    b_{r+1} = \mu b_r + \Delta_r, \qquad
    x_{r+1} = x_r - \eta_{\mathrm{out}} (\Delta_r + \mu b_{r+1}), \qquad b_0 = 0

(``nesterov=False``: :math:`x_{r+1} = x_r - \eta_{\mathrm{out}} b_{r+1}`, heavy ball).
Inner optimizer states other than the iterate (Adam's moments) persist on each worker across
rounds, as in DiLoCo; the inner step counter is global (:math:`t = rH + h`).

Baselines at equal communication (one averaging per round):

* **local SGD** (FedAvg): inner SGD, outer SGD with :math:`\eta_{\mathrm{out}} = 1`,
  :math:`\mu = 0`, i.e. :math:`x_{r+1} = \tfrac1K\sum_k x^{(H)}_{r,k}`;
* **minibatch SGD**: one SGD step per round on the average of all :math:`K H M` samples
  drawn in the round, all at :math:`x_r`:
  :math:`x_{r+1} = x_r - \eta\, \tfrac1K \sum_k \tfrac1H \sum_h g_{r,k,h}(x_r)`.
  It consumes exactly the same noise draws as local SGD with the same :math:`H` (one
  ``(K, d)`` block per inner step), so with :math:`H = 1` DiLoCo with
  :math:`\eta_{\mathrm{out}} = 1`, :math:`\mu = 0` and minibatch SGD coincide to rounding.

The x-axis of the results is the communication round :math:`r`; ``grad_evals`` counts
sequential inner steps per worker (:math:`rH`) and ``samples`` all samples drawn
(:math:`rHKM`).

Specs (``RunConfig.optimizer``; values may be expressions in the problem's constants)::

    {"name": "diloco", "H": 16, "inner": {"name": "sgd", "lr": "0.5/L"},
     "outer_lr": 0.7, "momentum": 0.9, "nesterov": True}
    {"name": "local_sgd", "H": 16, "lr": "0.5/L"}
    {"name": "minibatch_sgd", "H": 16, "lr": "0.5/L"}

and ``run_sweep(configs, store=..., run_fn=run_local_config)``.

References
----------
.. [1] A. Douillard, Q. Feng, A. A. Rusu, R. Chhaparia, Y. Donchev, A. Kuncoro, M. Ranzato,
   A. Szlam, J. Shen. "DiLoCo: Distributed Low-Communication Training of Language Models."
   arXiv:2311.08105, 2023.
.. [2] B. Woodworth, K. K. Patel, N. Srebro. "Minibatch vs Local SGD for Heterogeneous
   Distributed Learning." NeurIPS 2020.
.. [3] S. U. Stich. "Local SGD Converges Fast and Communicates Little." ICLR 2019.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import __version__
from .backends import device_of, get_backend, to_numpy
from .config import RunConfig, resolve
from .loop import drive
from .random import SeedStreams
from .results import RunResult
from .validation import check_call, check_int, check_momentum, check_positive

METHODS = ("diloco", "local_sgd", "minibatch_sgd")


@dataclass(frozen=True)
class LocalMethod:
    r"""A validated local-update method.

    Parameters
    ----------
    kind : {"diloco", "minibatch_sgd"}
        ``local_sgd`` is ``diloco`` with inner SGD, ``outer_lr = 1``, ``momentum = 0``.
    H : int >= 1
        Inner steps per communication round.
    inner : dict
        Inner optimizer spec (registry name and parameters), e.g. ``{"name": "adam", "lr": 1e-3}``.
    outer_lr : float > 0
    momentum : float in [0, 1)
    nesterov : bool
    lr : float > 0
        Step of minibatch SGD (``kind="minibatch_sgd"``).
    label : str
    """

    kind: str
    H: int
    inner: dict = field(default_factory=dict)
    outer_lr: float = 1.0
    momentum: float = 0.0
    nesterov: bool = True
    lr: float | None = None
    label: str = ""

    @property
    def inner_lr(self) -> float:
        return float(self.lr if self.kind == "minibatch_sgd" else self.inner["lr"])

    def describe(self) -> dict:
        out = {"name": self.label or self.kind, "H": self.H}
        if self.kind == "minibatch_sgd":
            out["lr"] = self.lr
        else:
            out.update(inner=dict(self.inner), outer_lr=self.outer_lr, momentum=self.momentum,
                       nesterov=self.nesterov)
        return out


def _check_lr(name, value) -> float:
    v = check_positive(name, value)
    return v


def make_method(name: str, H: int, lr=None, inner: dict | None = None, outer_lr: float = 1.0,
                momentum: float = 0.0, nesterov: bool = True) -> LocalMethod:
    r"""Build and validate a local-update method.

    Parameters
    ----------
    name : {"diloco", "local_sgd", "minibatch_sgd"}
    H : int
        Inner steps per round; ``H < 1`` raises ``ValueError``.
    lr : float
        Step of local SGD's inner SGD or of minibatch SGD (``lr <= 0`` raises).
    inner : dict
        DiLoCo's inner optimizer spec, ``{"name": "sgd" | "adam", "lr": ..., ...}``.
    outer_lr : float > 0
    momentum : float in [0, 1)
    nesterov : bool

    Raises
    ------
    ValueError
        Naming the offending value: unknown ``name``, ``H < 1``, ``lr <= 0``,
        ``outer_lr <= 0``, momentum outside :math:`[0, 1)`, unknown inner optimizer.
    """
    if name not in METHODS:
        raise ValueError(f"unknown local-update method {name!r}; available: {', '.join(METHODS)}")
    H = check_int("H (inner steps per round)", H)
    if name == "minibatch_sgd":
        if lr is None:
            raise ValueError("minibatch_sgd needs lr")
        return LocalMethod("minibatch_sgd", H, lr=_check_lr("lr", lr), label=name)
    if name == "local_sgd":
        if lr is None:
            raise ValueError("local_sgd needs lr")
        return LocalMethod("diloco", H, inner={"name": "sgd", "lr": _check_lr("lr", lr)},
                           outer_lr=1.0, momentum=0.0, nesterov=False, label=name)
    if inner is None:
        if lr is None:
            raise ValueError("diloco needs an inner optimizer spec (inner={'name': 'sgd', 'lr': ...})")
        inner = {"name": "sgd", "lr": lr}
    inner = dict(inner)
    if "name" not in inner or "lr" not in inner:
        raise ValueError(f"inner optimizer spec needs 'name' and 'lr', got {inner!r}")
    inner["lr"] = _check_lr("inner lr", inner["lr"])
    _inner_optimizer(inner)  # validates the name and parameters now
    return LocalMethod("diloco", H, inner=inner, outer_lr=_check_lr("outer_lr", outer_lr),
                       momentum=check_momentum("outer momentum", momentum),
                       nesterov=bool(nesterov), label=name)


def _inner_optimizer(spec: dict):
    from . import optimizers

    spec = dict(spec)
    name = spec.pop("name")
    if name not in ("sgd", "adam"):
        raise ValueError(f"inner optimizer must be 'sgd' or 'adam', got {name!r}")
    return optimizers.make(name, T=None, **spec)


def run_local(
    problem,
    method: LocalMethod,
    R: int,
    seeds=(0,),
    batch_size: int = 1,
    n_checkpoints: int = 40,
    spacing: str = "log",
    epsilon: float | None = None,
    backend=None,
    rng: str = "host",
    divergence_factor: float = 1e12,
    record_iterates: bool = False,
) -> dict:
    r"""Run ``method`` on a multi-worker ``problem`` for ``R`` communication rounds.

    Parameters
    ----------
    problem : :class:`problems.heterogeneous.HeterogeneousQuadratic` (or anything with
        ``worker_gradient``, ``worker_noise``, ``suboptimality``, ``gradient``, ``n_workers``)
    method : LocalMethod
    R : int >= 1
        Communication rounds.
    seeds : sequence of int
        Run seeds (vectorized as the leading axis).
    batch_size : int
        Samples per worker per inner step, :math:`M`.
    n_checkpoints, spacing : see :func:`theory_lab.runner.checkpoint_steps`.
    epsilon : float, optional
        Records ``hit_step``, the first round with suboptimality :math:`\le \epsilon`.
    backend, rng : as in :func:`theory_lab.runner.run`.
    record_iterates : bool
        Also return ``iterates`` (n_ckpt, S, d): the averaged iterate at each checkpoint.

    Returns
    -------
    dict of host arrays: ``steps`` (rounds), ``suboptimality``, ``grad_norm`` (S, n_ckpt),
    ``diverged_at`` (S,) (round; -1 never), ``hit_step`` (S,), ``samples``, ``grad_evals``
    (n_ckpt,), ``wall_time``, and ``iterates`` if asked.
    """
    from .runner import checkpoint_steps

    R = check_int("R (communication rounds)", R)
    batch_size = check_int("batch_size", batch_size)
    if epsilon is not None:
        epsilon = check_positive("epsilon", epsilon)
    seeds = [int(s) for s in seeds]
    backend = get_backend(backend)
    prob = problem.to_backend(backend)
    xp = backend.xp
    S, K, d, H = len(seeds), prob.n_workers, prob.dim, method.H
    streams = SeedStreams(seeds, stream=0, backend=backend, source=rng)
    dtype = prob.w0.dtype
    dev = device_of(prob.w0)
    x = prob.w0[None, :] + xp.zeros((S, d), dtype=dtype, device=dev)
    ones_k = xp.zeros((1, K, 1), dtype=dtype, device=dev)
    mb = method.kind == "minibatch_sgd"
    state = {"x": x}
    if not mb:
        inner = _inner_optimizer(method.inner)
        state["istate"] = inner.init(x[:, None, :] + ones_k)
        state["buf"] = xp.zeros_like(x)
        eta_o, mu, nest = method.outer_lr, method.momentum, method.nesterov
    steps = checkpoint_steps(R, n_checkpoints, spacing)
    threshold = divergence_factor * (float(to_numpy(xp.sum(prob.w0 * prob.w0))) + d)

    def step_fn(state, r):
        x = state["x"]
        xk = x[:, None, :] + ones_k  # (S, K, d), a fresh array
        if mb:
            noise = None
            for _ in range(H):
                n = prob.worker_noise(streams, batch_size)
                if n is not None:
                    noise = n if noise is None else noise + n
            gk = prob.worker_gradient(xk)
            if noise is not None:
                gk = gk + noise / H
            return {"x": x - method.lr * xp.mean(gk, axis=1)}
        istate, buf = {**state["istate"], "w": xk}, state["buf"]
        for h in range(H):
            g = prob.worker_gradient(istate["w"])
            n = prob.worker_noise(streams, batch_size)
            if n is not None:
                g = g + n
            istate = inner.step(istate, g, r * H + h)
        delta = x - xp.mean(istate["w"], axis=1)
        if mu == 0.0:
            x = x - eta_o * delta
        else:
            buf = mu * buf + delta
            x = x - eta_o * (delta + mu * buf if nest else buf)
        return {"x": x, "istate": istate, "buf": buf}

    def record_fn(state, r):
        x = state["x"]
        out = {"suboptimality": prob.suboptimality(x),
               "grad_norm": xp.linalg.vector_norm(prob.gradient(x), axis=-1)}
        if record_iterates:
            out["iterates"] = x
        return out

    res = drive(state, step_fn, R, steps, record_fn=record_fn,
                value_fn=lambda st: prob.suboptimality(st["x"]), iterate=lambda st: st["x"],
                threshold=threshold, seed_axis=0, epsilon=epsilon,
                divergence_factor=divergence_factor)
    out = {
        "steps": steps,
        "suboptimality": res.records["suboptimality"],
        "grad_norm": res.records["grad_norm"],
        "diverged_at": res.diverged_at,
        "hit_step": res.hit_step,
        "samples": steps * H * K * batch_size,
        "grad_evals": steps * H,
        "wall_time": res.wall_time,
    }
    if record_iterates:
        out["iterates"] = np.moveaxis(res.records["iterates"], 1, 0).copy()
    return out


def build_local(config: RunConfig):
    """Problem and :class:`LocalMethod` of ``config`` (expressions resolved against constants)."""
    import problems

    pspec = dict(config.problem)
    prob = problems.make(pspec.pop("name"), **pspec)
    symbols = {**prob.constants(), "T": config.T, "R": config.T, "M": config.batch_size}
    ospec = resolve(dict(config.optimizer), symbols)
    name = ospec.pop("name")
    if "H" in ospec and isinstance(ospec["H"], float) and ospec["H"].is_integer():
        ospec["H"] = int(ospec["H"])
    params = check_call(make_method, {"name": name, **ospec}, what=f"local-update method {name!r}")
    return prob, make_method(**params)


def run_local_config(config: RunConfig) -> RunResult:
    r"""``run_fn`` for :func:`theory_lab.sweep.run_sweep`: ``config.T`` is the number of rounds.

    ``batch_size`` is the per-worker batch of one inner step; the result's ``steps`` are
    communication rounds, ``grad_evals`` inner steps per worker, ``samples`` all samples.
    """
    prob, method = build_local(config)
    backend = get_backend(config.backend, config.device, config.dtype)
    out = run_local(prob, method, config.T, seeds=config.seeds, batch_size=config.batch_size,
                    n_checkpoints=config.n_checkpoints, spacing=config.spacing,
                    epsilon=config.epsilon, backend=backend, rng=config.rng)
    meta = {
        "config_hash": config.hash(),
        "version": __version__,
        **backend.describe(),
        "rng": config.rng,
        "constants": prob.constants(),
        "optimizer": method.describe(),
        "x_axis": "communication rounds",
        "inner_steps_per_round": method.H,
        "samples_per_round": method.H * prob.n_workers * config.batch_size,
        "wall_time": out.pop("wall_time"),
        "last_step": config.T,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    return RunResult(config=config.to_dict(), meta=meta, **out)


__all__ = ["METHODS", "LocalMethod", "build_local", "make_method", "run_local", "run_local_config"]
