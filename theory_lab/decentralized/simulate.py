r"""Single-process simulation of decentralized methods, vectorized over agents and seeds.

The agents' iterates form one ``(m, S, d)`` array (agent axis first, so a gossip round is
one sparse product ``W @ X.reshape(m, S*d)``); the seeds of a run share every array
operation.  At log- or linearly spaced checkpoints the runner records

* ``suboptimality`` (S, K): :math:`\frac1m\sum_i f(x_i) - f^\star` (the agents' mean
  suboptimality; :math:`\ge f(\bar x) - f^\star` by convexity, so consensus errors count);
* ``grad_norm`` (S, K): :math:`\|\nabla f(\bar x)\|`;
* extras (S, K): ``consensus`` :math:`\frac1m\sum_i\|x_i - \bar x\|^2`, ``lifo``,
  ``comp_rounds``, ``comm_rounds`` (cumulative costs, see
  :mod:`theory_lab.decentralized.algorithms`);

and, for an ``epsilon``, the first iteration with suboptimality :math:`\le\epsilon`
(checked every iteration) and the three costs at that iteration
(``meta["hit_costs"]``; ``-1`` for seeds that never got there).  A seed whose iterates
become non-finite or grow beyond ``divergence_factor`` times the initial scale is
recorded as diverged at that iteration (``diverged_at``), its state is zeroed and its
metrics are NaN from then on.

:func:`run_decentralized` turns a :class:`~theory_lab.config.RunConfig` into a
:class:`~theory_lab.results.RunResult` and is the ``run_fn`` for
:func:`theory_lab.sweep.run_sweep` (cached by config hash like every run)::

    from theory_lab import RunConfig
    from theory_lab.decentralized import run_decentralized
    from theory_lab.sweep import run_sweep

    cfg = RunConfig(
        problem={"name": "distributed_ridge", "m": 16, "n": 32, "d": 32, "kappa": 100,
                 "heterogeneity": 1.0, "network": {"graph": "ring", "mixing": "lazy_metropolis"}},
        optimizer={"name": "gt_nsvr"},          # defaults [R]; or e.g. {"name": "diging", "eta": "gap/(4*L_l)"}
        T=2000, seeds=range(4), spacing="linear", epsilon=1e-8)
    res = run_sweep([cfg], store="results/cache/mine", run_fn=run_decentralized)[0]
    res.extra["comm_rounds"], res.meta["hit_costs"]

References
----------
.. [1] Y. Liu, L. Chen, L. Luo. ICML 2024.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from .. import __version__
from ..backends import get_backend, namespace, to_numpy
from ..config import RunConfig
from ..loop import drive
from ..networks import Mixing, make_graph, make_mixing
from ..results import RunResult
from ..runner import checkpoint_steps
from ..validation import check_int, check_positive
from .algorithms import make_method

__all__ = ["build_decentralized", "run_decentralized", "simulate", "trajectory"]


def simulate(problem, method, T: int, n_checkpoints: int = 60, spacing: str = "linear",
             epsilon: float | None = None, stop_at_epsilon: bool = False,
             divergence_factor: float = 1e12) -> dict:
    """Run ``method`` (built on ``problem``'s backend) for ``T`` iterations.

    The loop is :func:`theory_lab.loop.drive` over the ``(m, S, d)`` state (seed axis 1).
    Returns a dict of host arrays (see the module docstring) plus ``hit_costs``,
    ``wall_time`` and ``last_step``.
    """
    T = check_int("T", T)
    if epsilon is not None:
        epsilon = check_positive("epsilon", epsilon)
    prob = method.problem
    m, d, S = prob.m, prob.dim, method.S
    xp = namespace(prob.w0)
    X0 = prob.w0[None, None, :] + _zeros(prob.w0, m, S, d)  # consensual start (m, S, d)
    steps = checkpoint_steps(T, n_checkpoints, spacing)
    threshold = divergence_factor * (m * (float(to_numpy(prob.w0 @ prob.w0)) + d))

    state, (l0, c0, k0) = method.init(X0)
    counters = {"lifo": np.asarray(l0, float), "comp_rounds": np.asarray(c0, float), "comm_rounds": int(k0)}

    def step_fn(state, t):
        state, (dl, dc, dk) = method.step(state, t)
        return state, {"lifo": np.asarray(dl, float), "comp_rounds": np.asarray(dc, float),
                       "comm_rounds": int(dk)}

    def value_fn(state):
        return xp.mean(prob.agent_suboptimality(state["x"]), axis=0)

    def record_fn(state, t):
        X = state["x"]
        xbar = xp.mean(X, axis=0)
        dev = X - xbar[None]
        return {"suboptimality": value_fn(state),
                "grad_norm": xp.linalg.vector_norm(prob.gradient(xbar), axis=-1),
                "consensus": xp.sum(dev * dev, axis=(0, 2)) / m}

    out = drive(state, step_fn, T, steps, record_fn=record_fn, value_fn=value_fn,
                iterate=lambda st: st["x"], threshold=threshold, seed_axis=1,
                epsilon=epsilon, stop_at_epsilon=stop_at_epsilon, counters=counters,
                divergence_factor=divergence_factor, mask_fn=_mask_seeds)
    return {"steps": steps, "diverged_at": out.diverged_at, "hit_step": out.hit_step,
            "hit_costs": out.hit_costs, "wall_time": out.wall_time, "last_step": out.last_step,
            **out.records}


def _mask_seeds(state: dict, alive):
    """Freeze dead seeds: zero the (m, S, d) arrays of the state (seed axis 1)."""
    out = {}
    for k, v in state.items():
        if v is None or not hasattr(v, "shape") or getattr(v, "ndim", 0) != 3:
            out[k] = v
        else:
            xp = namespace(v)
            out[k] = xp.where(xp.reshape(alive, (1, -1, 1)), v, xp.zeros_like(v))
    return out


def _zeros(like, m, S, d):
    if isinstance(like, np.ndarray):
        return np.zeros((m, S, d), dtype=like.dtype)
    import torch

    return torch.zeros((m, S, d), dtype=like.dtype, device=like.device)


def build_decentralized(config: RunConfig):
    """Problem (on the config's backend), :class:`~theory_lab.networks.Mixing` and method of ``config``.

    ``config.problem`` names a registered distributed problem and holds a ``network``
    dict: ``{"graph": "ring" | "torus" | "grid" | "erdos_renyi" | "exponential" | "star" |
    "complete", "mixing": "metropolis" | "laplacian" | "lazy_metropolis" | "fastest" |
    "lazy_fastest", **graph parameters}``; ``config.optimizer`` names a method of
    :data:`~theory_lab.decentralized.algorithms.METHODS` with parameter overrides
    (numbers or expressions in the constants).
    """
    import problems

    pspec = dict(config.problem)
    net = dict(pspec.pop("network", {"graph": "ring", "mixing": "metropolis"}))
    prob = problems.make(pspec.pop("name"), **pspec)
    if not hasattr(prob, "local_gradient"):
        raise ValueError(f"problem {config.problem['name']!r} is not split over agents (no local_gradient)")
    backend = get_backend(config.backend, config.device, config.dtype)
    prob = prob.to_backend(backend)
    graph = make_graph(net.pop("graph", "ring"), prob.m, **{k: v for k, v in net.items() if k != "mixing"})
    W = make_mixing(net.get("mixing", "metropolis"), graph)
    mixing = Mixing(W, graph)
    ospec = dict(config.optimizer)
    method = make_method(ospec.pop("name"), prob, mixing, seeds=config.seeds, **ospec)
    return prob, mixing, method


def run_decentralized(config: RunConfig) -> RunResult:
    """``RunConfig -> RunResult`` for decentralized runs (a ``run_fn`` for ``run_sweep``)."""
    prob, mixing, method = build_decentralized(config)
    out = simulate(prob, method, config.T, n_checkpoints=config.n_checkpoints,
                   spacing=config.spacing, epsilon=config.epsilon,
                   stop_at_epsilon=config.stop_at_epsilon)
    hit_costs = out.pop("hit_costs")
    with warnings.catch_warnings():  # all seeds diverged at a checkpoint: NaN, no warning
        warnings.simplefilter("ignore", RuntimeWarning)
        lifo_mean = np.nanmean(out["lifo"], axis=0)
    meta = {
        "config_hash": config.hash(),
        "version": __version__,
        **get_backend(config.backend, config.device, config.dtype).describe(),
        "constants": prob.constants(),
        "network": {"m": mixing.m, "lambda2": mixing.lambda2, "gap": mixing.gap, "nnz": mixing.nnz},
        "optimizer": {"name": method.name, **{k: v for k, v in method.params.items()}},
        "hit_costs": {k: v.tolist() for k, v in hit_costs.items()},
        "wall_time": out.pop("wall_time"),
        "last_step": out.pop("last_step"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    extra = {k: out.pop(k) for k in ("consensus", "lifo", "comp_rounds", "comm_rounds")}
    samples = lifo_mean if method.oracle == "stochastic" else np.zeros_like(lifo_mean)
    return RunResult(config=config.to_dict(), meta=meta, steps=out["steps"],
                     suboptimality=out["suboptimality"], grad_norm=out["grad_norm"],
                     diverged_at=out["diverged_at"], hit_step=out["hit_step"],
                     samples=np.nan_to_num(samples), grad_evals=np.nan_to_num(lifo_mean), extra=extra)



def trajectory(method, T: int) -> np.ndarray:
    """Every iterate of ``method`` from a consensual start: ``(T+1, m, S, d)`` host array."""
    prob = method.problem
    X0 = prob.w0[None, None, :] + _zeros(prob.w0, prob.m, method.S, prob.dim)
    state, _ = method.init(X0)
    out = [to_numpy(state["x"]).copy()]
    for t in range(check_int("T", T)):
        state, _ = method.step(state, t)
        out.append(to_numpy(state["x"]).copy())
    return np.stack(out)
