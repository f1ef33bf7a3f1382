r"""Run an optimizer on a problem over many seeds at once.

Seeds are the leading array axis: the iterate is an ``(S, d)`` array and one step of
the loop advances all ``S`` runs.  The runner records, at checkpoints (log- or
linearly spaced, always including 0 and T), the suboptimality :math:`f(w_t) - f^\star`
and the gradient norm :math:`\|\nabla f(w_t)\|`, counts samples and gradient
evaluations, and flags divergence per seed with the step at which it happened (a
diverged seed is frozen; its later metrics are NaN in the arrays and never plotted).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .backends import device_of, get_backend, namespace, setup_on, to_numpy
from .config import RunConfig, resolve
from .loop import drive
from .random import SeedStreams
from .results import RunResult
from .validation import check_int, check_positive


def checkpoint_steps(T: int, n: int, spacing: str = "log") -> np.ndarray:
    """Integer steps in [0, T], including both ends; ``n`` is a target count."""
    T, n = check_int("T", T), check_int("n_checkpoints", n, minimum=2)
    if spacing == "linear":
        pts = np.linspace(0, T, n)
    else:
        pts = np.concatenate([[0], np.logspace(0, math.log10(T), max(n - 1, 2))])
    pts = np.round(pts).astype(np.int64)
    return np.unique(np.concatenate([pts, [0, T]]))


def run(
    problem,
    optimizer,
    T: int,
    seeds=(0,),
    batch_size: int = 1,
    n_checkpoints: int = 60,
    spacing: str = "log",
    epsilon: float | None = None,
    stop_at_epsilon: bool = False,
    backend=None,
    divergence_factor: float = 1e12,
    inplace: bool = True,
    rng: str = "host",
) -> dict:
    """Run ``optimizer`` on ``problem`` for ``T`` steps, vectorized over ``seeds``.

    Returns a dict of host (numpy) arrays: ``steps`` (K,), ``suboptimality`` and
    ``grad_norm`` (S, K), ``diverged_at`` (S,) (-1: never), ``hit_step`` (S,) (first step
    with suboptimality <= ``epsilon``; -1: never; only if ``epsilon`` is given),
    ``samples`` (K,) and ``grad_evals`` (K,) per seed, and ``wall_time``.
    ``inplace`` lets the optimizer reuse its buffers (``Optimizer.step_inplace``).
    ``rng`` is the :class:`~theory_lab.random.SeedStreams` source: ``"host"`` (same numbers
    on every backend) or ``"device"`` (drawn on the GPU, no host-to-device copies).
    """
    T = check_int("T", T)
    batch_size = check_int("batch_size", batch_size)
    seeds = [int(s) for s in seeds]
    backend = get_backend(backend)
    if epsilon is not None:
        epsilon = check_positive("epsilon", epsilon)
    prob = problem.to_backend(backend)
    xp = backend.xp
    S = len(seeds)
    streams = SeedStreams(seeds, stream=0, backend=backend, source=rng)
    # a fresh row-major (S, d) array (broadcast_to + copy can come back column-major)
    w0 = prob.w0[None, :] + xp.zeros((S, prob.dim), dtype=prob.w0.dtype, device=device_of(prob.w0))
    state = optimizer.init(w0)
    exact = optimizer.oracle == "exact"
    step = optimizer.step_inplace if (inplace and optimizer.step_inplace) else optimizer.step
    steps = checkpoint_steps(T, n_checkpoints, spacing)
    ref = float(to_numpy(xp.sum(prob.w0 * prob.w0))) + prob.dim
    f_star = prob.f_star

    def step_fn(state, t):
        q = optimizer.query(state)
        g = prob.gradient(q) if exact else prob.stochastic_gradient(q, batch_size, streams)
        return step(state, g, t)

    def value_fn(state):
        return prob.value(state["w"]) - f_star

    def record_fn(state, t):
        w = state["w"]
        return {"suboptimality": prob.value(w) - f_star,
                "grad_norm": xp.linalg.vector_norm(prob.gradient(w), axis=-1)}

    out = drive(state, step_fn, T, steps, record_fn=record_fn, value_fn=value_fn,
                iterate=lambda st: st["w"], threshold=divergence_factor * ref, seed_axis=0,
                epsilon=epsilon, stop_at_epsilon=stop_at_epsilon,
                divergence_factor=divergence_factor)
    per_step_samples = 0 if exact else batch_size
    return {
        "steps": steps,
        "suboptimality": out.records["suboptimality"],
        "grad_norm": out.records["grad_norm"],
        "diverged_at": out.diverged_at,
        "hit_step": out.hit_step,
        "samples": steps * per_step_samples,
        "grad_evals": steps.copy(),
        "last_step": out.last_step,
        "wall_time": out.wall_time,
    }


def build(config: RunConfig):
    """Problem and optimizer of ``config``, with parameter expressions resolved."""
    import problems

    from . import optimizers

    pspec = dict(config.problem)
    prob = problems.make(pspec.pop("name"), **pspec)
    symbols = {**prob.constants(), "T": config.T, "M": config.batch_size}
    ospec = resolve(dict(config.optimizer), symbols)
    opt = optimizers.make(ospec.pop("name"), T=config.T, **ospec)
    return prob, opt


def run_config(config: RunConfig, allow_large: bool = False) -> RunResult:
    """Run one :class:`RunConfig` and package the outcome with its provenance.

    The size guard (:func:`theory_lab.sizing.check`) runs first, before the problem is
    built: a run whose estimated memory exceeds what is available raises
    :class:`~theory_lab.sizing.TooLarge` unless ``allow_large``.  ``meta`` records the
    config hash, seeds, lab version, code fingerprint, backend, device and dtype.
    """
    from .fingerprint import code_fingerprint, lab_version
    from .sizing import check

    check(config, allow_large=allow_large)
    backend = get_backend(config.backend, config.device, config.dtype)
    with setup_on(backend):  # large problems build their data on the run's device
        prob, opt = build(config)
    out = run(
        prob, opt, config.T, seeds=config.seeds, batch_size=config.batch_size,
        n_checkpoints=config.n_checkpoints, spacing=config.spacing, epsilon=config.epsilon,
        stop_at_epsilon=config.stop_at_epsilon, backend=backend, rng=config.rng,
    )
    meta = {
        "config_hash": config.hash(),
        "seeds": list(config.seeds),
        "version": lab_version(),
        "code_fingerprint": code_fingerprint(config, run_config),
        **backend.describe(),
        "rng": config.rng,
        "constants": prob.constants(),
        "optimizer": {"name": opt.name, **opt.hyperparams},
        "wall_time": out.pop("wall_time"),
        "last_step": out.pop("last_step"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    return RunResult(config=config.to_dict(), meta=meta, **out)


__all__ = ["build", "checkpoint_steps", "namespace", "run", "run_config"]
