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
from ..backends import get_backend, to_numpy
from ..config import RunConfig
from ..networks import Mixing, make_graph, make_mixing
from ..results import RunResult
from ..runner import checkpoint_steps
from ..validation import check_int, check_positive
from .algorithms import make_method

__all__ = ["build_decentralized", "run_decentralized", "simulate", "trajectory"]


def _mask_seeds(state: dict, alive_f):
    out = {}
    for k, v in state.items():
        if v is None or not hasattr(v, "shape") or getattr(v, "ndim", 0) != 3:
            out[k] = v
        else:
            out[k] = v * alive_f
    return out


def simulate(problem, method, T: int, n_checkpoints: int = 60, spacing: str = "linear",
             epsilon: float | None = None, stop_at_epsilon: bool = False,
             divergence_factor: float = 1e12) -> dict:
    """Run ``method`` (built on ``problem``'s backend) for ``T`` iterations.

    Returns a dict of host arrays (see the module docstring) plus ``hit_costs``,
    ``wall_time`` and ``last_step``.
    """
    T = check_int("T", T)
    if epsilon is not None:
        epsilon = check_positive("epsilon", epsilon)
    prob = method.problem
    xp_like = prob.w0
    m, d, S = prob.m, prob.dim, method.S
    X0 = prob.w0[None, None, :] + _zeros(xp_like, m, S, d)  # consensual start (m, S, d)
    steps = checkpoint_steps(T, n_checkpoints, spacing)
    K = len(steps)
    rec = {k: np.full((S, K), np.nan) for k in
           ("suboptimality", "grad_norm", "consensus", "lifo", "comp_rounds", "comm_rounds")}
    diverged_at = np.full(S, -1, dtype=np.int64)
    hit_step = np.full(S, -1, dtype=np.int64)
    hit = {k: np.full(S, -1.0) for k in ("lifo", "comp_rounds", "comm_rounds")}
    alive = np.ones(S, dtype=bool)
    threshold = divergence_factor * (m * (float(to_numpy(prob.w0 @ prob.w0)) + d))

    state, (l0, c0, k0) = method.init(X0)
    lifo, comp, comm = np.asarray(l0, float), np.asarray(c0, float), int(k0)

    def metrics(X):
        sub = to_numpy(prob.agent_suboptimality(X)).mean(axis=0)
        xbar = X.mean(axis=0) if isinstance(X, np.ndarray) else X.mean(dim=0)
        return sub, xbar

    k = 0
    last_t = T
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T + 1):
            X = state["x"]
            need_rec = k < K and steps[k] == t
            if need_rec or epsilon is not None:
                sub, xbar = metrics(X)
                sub = np.where(alive, sub, np.nan)
            if need_rec:
                dev = X - xbar[None]
                rec["suboptimality"][:, k] = sub
                g = to_numpy(prob.gradient(xbar))
                rec["grad_norm"][:, k] = np.where(alive, np.linalg.norm(g, axis=-1), np.nan)
                cons = to_numpy((dev * dev).sum(axis=(0, 2)) if isinstance(dev, np.ndarray)
                                else (dev * dev).sum(dim=(0, 2))) / m
                rec["consensus"][:, k] = np.where(alive, cons, np.nan)
                rec["lifo"][:, k] = lifo
                rec["comp_rounds"][:, k] = comp
                rec["comm_rounds"][:, k] = comm
                k += 1
            if epsilon is not None:
                new = (hit_step < 0) & alive & (sub <= epsilon)
                hit_step[new] = t
                hit["lifo"][new], hit["comp_rounds"][new], hit["comm_rounds"][new] = lifo[new], comp[new], comm
                if stop_at_epsilon and np.all((hit_step >= 0) | ~alive):
                    last_t = t
                    break
            if t == T:
                break
            state, (dl, dc, dk) = method.step(state, t)
            lifo, comp, comm = lifo + np.asarray(dl, float), comp + np.asarray(dc, float), comm + int(dk)
            Xn = state["x"]
            sq = to_numpy((Xn * Xn).sum(axis=(0, 2)) if isinstance(Xn, np.ndarray) else (Xn * Xn).sum(dim=(0, 2)))
            bad = alive & ~(sq <= threshold)  # NaN-safe
            if bad.any():
                diverged_at[bad] = t + 1
                alive &= ~bad
                alive_f = method._asarray(Xn, alive.astype(float))[None, :, None]
                state = _mask_seeds(state, alive_f)
                if not alive.any():
                    last_t = t + 1
                    break
    wall = time.perf_counter() - t0
    return {"steps": steps, "diverged_at": diverged_at, "hit_step": hit_step, "hit_costs": hit,
            "wall_time": wall, "last_step": last_t, **rec}


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
