r"""One run loop for every runner: checkpoints, divergence, epsilon hits and cost counters.

The four runners (:func:`theory_lab.runner.run`, :func:`theory_lab.decentralized.simulate.simulate`,
:func:`theory_lab.local_updates.run_local`, :func:`theory_lab.decentralized.dnasa.run_method`)
differ only in their state layout (``(S, d)``, ``(m, S, d)``, ``(S, K, d)``) and in what one
step and one measurement are.  They hand both to :func:`drive` as callables; the driver owns
the rest:

* **checkpoints**: at each step of ``checkpoints`` it calls ``record_fn(state, t)`` and stores
  the values (NaN for seeds that are no longer alive);
* **divergence**: after every step, a seed whose iterate has a non-finite or too large squared
  norm (``> threshold``) is flagged at that step; so is a seed whose *recorded* quantities
  (at checkpoints, and the suboptimality at every step when ``epsilon`` is set) are non-finite
  or exploding (:math:`|v| > \text{divergence\_factor}^2\,(|v_0| + 1)`, :math:`v_0` the value
  at step 0).  A flagged seed is frozen (its state rows zeroed) and its later metrics are NaN,
  so nothing non-finite is ever stored for a live seed;
* **epsilon**: with ``epsilon`` set, the first step with ``value_fn(state) <= epsilon`` per
  seed (checked every step), and the cost counters at that step;
* **counters**: per-step cost increments returned by ``step_fn`` are accumulated and recorded
  at checkpoints.

Everything per step stays on the device of the state: the per-seed ``alive`` mask, the
"first bad step" and "first hit step" arrays are device arrays updated with ``where``, and the
host reads them only every ``check_every`` steps (1 on numpy, where host and device are the
same; 16 on other backends; 1 when ``stop_at_epsilon`` asks to stop at the exact step).  The
step at which a seed diverged or hit epsilon is exact whatever ``check_every`` is.  Every array
the driver creates is made with the namespace and on the device of the state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _compat
from .backends import namespace, to_numpy

__all__ = ["LoopResult", "drive", "mask_seeds"]


@dataclass
class LoopResult:
    """What :func:`drive` returns (host numpy arrays).

    Attributes
    ----------
    records : dict
        ``key -> (S, K, ...)`` array of the values of ``record_fn`` (and of the counters) at
        the checkpoints, NaN for dead seeds and for checkpoints after an early stop.
    diverged_at : (S,) int64
        Step at which the seed was flagged (-1: never).
    hit_step : (S,) int64
        First step with ``value_fn <= epsilon`` (-1: never or no ``epsilon``).
    hit_costs : dict
        ``counter -> (S,)`` float: the counters at ``hit_step`` (-1 where never hit).
    last_step : int
        Last step the loop reached (``T``, or earlier after an early stop / all seeds dead).
    wall_time : float
        Seconds spent in the loop (device work included: the results are on the host).
    """

    records: dict = field(default_factory=dict)
    diverged_at: np.ndarray | None = None
    hit_step: np.ndarray | None = None
    hit_costs: dict = field(default_factory=dict)
    last_step: int = 0
    wall_time: float = 0.0


def _seed_shape(arr, seed_axis: int):
    return tuple(arr.shape[i] if i == seed_axis else 1 for i in range(arr.ndim))


def mask_seeds(state, alive, seed_axis: int = 0):
    """Zero the rows of dead seeds in every array of ``state`` (nested dicts and tuples too).

    An array is masked when it has the seed axis (``ndim > seed_axis`` and
    ``shape[seed_axis] == S``); other entries (scalars, counters, ``None``) pass through.
    """
    S = alive.shape[0]
    if isinstance(state, dict):
        return {k: mask_seeds(v, alive, seed_axis) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(mask_seeds(v, alive, seed_axis) for v in state)
    if not _compat.is_array_api_obj(state) or getattr(state, "ndim", 0) <= seed_axis:
        return state
    if state.shape[seed_axis] != S:
        return state
    xp = namespace(state)
    a = xp.reshape(alive, tuple(S if i == seed_axis else 1 for i in range(state.ndim)))
    return xp.where(a, state, xp.zeros_like(state))


def _sum_but(xp, x, seed_axis):
    axes = tuple(i for i in range(x.ndim) if i != seed_axis)
    return xp.sum(x * x, axis=axes) if axes else x * x


def drive(
    state,
    step_fn: Callable,
    T: int,
    checkpoints,
    *,
    record_fn: Callable,
    iterate: Callable,
    threshold: float,
    seed_axis: int = 0,
    value_fn: Callable | None = None,
    epsilon: float | None = None,
    stop_at_epsilon: bool = False,
    counters: dict | None = None,
    divergence_factor: float = 1e12,
    check_every: int | None = None,
    mask_fn: Callable | None = None,
) -> LoopResult:
    r"""Run ``T`` steps of ``step_fn`` from ``state``; see the module docstring.

    Parameters
    ----------
    state : any
        The runner's state (a dict of arrays, usually); passed through ``step_fn``.
    step_fn : callable ``(state, t) -> state`` or ``(state, t) -> (state, increments)``
        One step; with ``counters`` it returns the per-seed (or scalar) increments of each
        counter as a dict.
    T : int
        Number of steps.
    checkpoints : (K,) int array
        Steps at which ``record_fn`` is called (sorted, within ``[0, T]``).
    record_fn : callable ``(state, t) -> dict``
        The recorded quantities, each an array with the seed axis first (``(S,)`` or
        ``(S, ...)``) on the state's device.  Every ``(S,)`` quantity is watched for
        divergence.
    iterate : callable ``state -> array``
        The iterate whose squared norm (summed over all axes but ``seed_axis``) is compared
        with ``threshold`` after every step.
    threshold : float
        Divergence threshold on the iterate's squared norm.
    seed_axis : int
        Seed axis of the iterate and of the state arrays (0 for ``(S, d)`` and ``(S, K, d)``,
        1 for ``(m, S, d)``).
    value_fn : callable ``state -> (S,)``, optional
        Suboptimality, compared with ``epsilon`` at every step (required with ``epsilon``).
    epsilon : float, optional
    stop_at_epsilon : bool
        Stop once every seed hit ``epsilon`` or died (exact step: syncs every step).
    counters : dict, optional
        ``name -> initial value`` (per seed (S,) or scalar, host or device); accumulated
        with the increments returned by ``step_fn`` and recorded at every checkpoint.
    divergence_factor : float
        Recorded quantities above ``divergence_factor**2 * (|v_0| + 1)`` count as exploding.
    check_every : int, optional
        Steps between host syncs (default 1 on numpy, 16 otherwise).
    mask_fn : callable ``(state, alive) -> state``, optional
        Freezes dead seeds (default :func:`mask_seeds` along ``seed_axis``).

    Returns
    -------
    LoopResult
    """
    x0 = iterate(state)
    xp = namespace(x0)
    dev = _compat.device(x0)
    S = x0.shape[seed_axis]
    on_host = isinstance(x0, np.ndarray)
    if stop_at_epsilon:
        check_every = 1
    elif check_every is None:
        check_every = 1 if on_host else 16
    if epsilon is not None and value_fn is None:
        raise ValueError("drive: epsilon needs a value_fn")
    if mask_fn is None:
        def mask_fn(st, alive):
            return mask_seeds(st, alive, seed_axis)
    checkpoints = np.asarray(checkpoints)
    K = len(checkpoints)
    alive = xp.ones((S,), dtype=xp.bool, device=dev)
    first_bad = xp.full((S,), -1, dtype=xp.int64, device=dev)
    hit = xp.full((S,), -1, dtype=xp.int64, device=dev)
    alive_host = np.ones(S, dtype=bool)
    hit_host = np.full(S, -1, dtype=np.int64)
    counters = dict(counters or {})
    hit_costs = {k: np.full(S, -1.0) for k in counters}
    snapshots: dict[int, dict] = {}  # counters at the steps since the last sync (for hit costs)
    limits: dict = {}
    stored: list[tuple[int, dict]] = []
    counter_rec = {k: np.full((S, K), np.nan) for k in counters}

    def watch(vals, t, alive, first_bad):
        """Flag alive seeds whose (S,) values are non-finite or exploding at step t."""
        for key, v in vals.items():
            if getattr(v, "ndim", 0) != 1:
                continue
            vx = namespace(v)
            if key not in limits:
                ref = vx.where(vx.isfinite(v), vx.abs(v), vx.zeros_like(v))
                limits[key] = divergence_factor**2 * (ref + 1.0)
            ok = vx.isfinite(v) & (vx.abs(v) <= limits[key])
            bad = alive & ~ok
            first_bad = xp.where(bad, t, first_bad)
            alive = alive & ~bad
        return alive, first_bad

    def nan_where_dead(v, alive):
        vx = namespace(v)
        a = vx.reshape(alive, _seed_shape(v, 0))
        return vx.where(a, v, vx.full_like(v, float("nan")))

    def sync(t_next, state, alive_host, hit_host):
        """Host view of alive / hit; freeze newly dead seeds; hit costs from snapshots."""
        new_alive = to_numpy(alive).astype(bool)
        if (alive_host & ~new_alive).any():
            state = mask_fn(state, alive)
        if counters:
            h = to_numpy(hit)
            new = (h >= 0) & (hit_host < 0)
            for s in np.flatnonzero(new):
                snap = snapshots[int(h[s])]
                for name, val in snap.items():
                    v = np.asarray(to_numpy(val), dtype=float)
                    hit_costs[name][s] = v if v.ndim == 0 else v.reshape(-1)[s]
            hit_host = h
            snapshots.clear()
        return state, new_alive, hit_host

    k = 0
    last_t = T
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T + 1):
            need_rec = k < K and checkpoints[k] == t
            if need_rec:
                vals = record_fn(state, t)
                alive, first_bad = watch(vals, t, alive, first_bad)
            if epsilon is not None:
                f = value_fn(state)
                alive, first_bad = watch({"__value__": f}, t, alive, first_bad)
            if need_rec:
                stored.append((k, {key: nan_where_dead(v, alive) for key, v in vals.items()}))
                for name, val in counters.items():
                    counter_rec[name][:, k] = np.asarray(to_numpy(val), float)
                k += 1
            if epsilon is not None:
                hit = xp.where(alive & (hit < 0) & (f <= epsilon), t, hit)
                if counters:
                    snapshots[t] = dict(counters)
                if stop_at_epsilon:
                    state, alive_host, hit_host = sync(t, state, alive_host, hit_host)
                    if np.all((to_numpy(hit) >= 0) | ~alive_host):
                        last_t = t
                        break
            if t == T:
                break
            out = step_fn(state, t)
            if counters:
                state, inc = out
                counters = {name: counters[name] + inc[name] for name in counters}
            else:
                state = out
            x = iterate(state)
            bad = alive & ~(_sum_but(xp, x, seed_axis) <= threshold)  # NaN-safe
            first_bad = xp.where(bad, t + 1, first_bad)
            alive = alive & ~bad
            if (t + 1) % check_every == 0 or t + 1 == T:
                state, alive_host, hit_host = sync(t + 1, state, alive_host, hit_host)
                if not alive_host.any():
                    last_t = int(to_numpy(first_bad).max())
                    break
        if counters and epsilon is not None:
            state, alive_host, hit_host = sync(last_t, state, alive_host, hit_host)
        records: dict = {}
        for kk, vals in stored:
            for key, v in vals.items():
                v = np.asarray(to_numpy(v), dtype=float)
                if key not in records:
                    records[key] = np.full((S, K) + v.shape[1:], np.nan)
                records[key][:, kk] = v
        records.update(counter_rec)
        diverged_at = to_numpy(first_bad).astype(np.int64)
        hit_step = to_numpy(hit).astype(np.int64)
    wall = time.perf_counter() - t0
    return LoopResult(records=records, diverged_at=diverged_at, hit_step=hit_step,
                      hit_costs=hit_costs, last_step=last_t, wall_time=wall)
