r"""Step-size (or any parameter) tuning on a grid, on top of :func:`theory_lab.sweep.run_sweep`.

A fair comparison of methods tunes each method's step size for each problem and batch
size.  :func:`tune` takes *base* configs -- one per (method, problem, batch size, ...),
whatever distinguishes the cases -- a dotted parameter (``"optimizer.lr"``) and its grid
(numbers or expressions in the problem's constants such as ``"0.5/L"``), runs every
(base, value) pair over the base's seeds in **one** cached, resumable, parallel sweep,
scores each run by a stated criterion, and picks the best value per base config::

    from theory_lab.tuning import tune
    picks = tune([cfg_sgd, cfg_adagrad], "optimizer.lr", ["2/L", "1/L", "0.5/L"],
                 criterion="final", store="results/cache/mine", n_jobs=2)
    picks[0].best_value, picks[0].best_config, picks[0].table()   # choice and whole grid

Nothing here knows about a method: the grid may depend on the base config (pass a
callable ``cfg -> values``), and the criterion may be any ``RunResult -> float`` (lower is
better).  Built-in criteria:

``"final"``
    mean over seeds of the final suboptimality :math:`f(w_T) - f^\star`;
``"average"``
    mean over seeds and over the checkpoints :math:`t < T` of the suboptimality: with
    ``spacing="linear"`` and ``n_checkpoints = T + 1`` (every step recorded) this is the
    running average :math:`\frac1T\sum_{t<T}(f(w_t) - f^\star)` that convex bounds control;
``"hit"``
    median over seeds of the iterations to the config's ``epsilon`` (``inf`` if not
    reached; ties broken by ``"final"``).

A run in which any seed diverged scores ``inf`` (never chosen).  If every value of a
grid scores ``inf`` the pick is the first value and ``TuningResult.ok`` is False.  Each
choice is recorded next to the cached runs as ``tuning-<hash>.json`` (grid, scores and
choice) when a store is given.

References
----------
.. [1] R. Pan, Y. Liu, X. Wang, T. Zhang, ICLR 2024 and Y. Liu, R. Pan, T. Zhang, ICLR 2025:
   learning rates grid-searched per batch size, as here.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import RunConfig, _canonical
from .results import RunResult
from .sweep import ResultStore, _set_path, run_sweep

__all__ = ["CRITERIA", "TuningResult", "score", "tune"]


def _final(r: RunResult) -> float:
    return float(np.mean(r.suboptimality[:, -1]))


def _average(r: RunResult) -> float:
    sub = np.asarray(r.suboptimality, dtype=float)
    k = sub.shape[1] - 1 if sub.shape[1] > 1 else 1
    return float(np.mean(sub[:, :k]))


def _hit(r: RunResult) -> float:
    hit = np.asarray(r.hit_step, dtype=float)
    hit = np.where(hit >= 0, hit, np.inf)
    return float(np.median(hit))


CRITERIA: dict[str, Callable[[RunResult], float]] = {
    "final": _final,
    "average": _average,
    "hit": _hit,
}


def score(result: RunResult, criterion="final") -> float:
    """Score of one run (lower is better); ``inf`` if a seed diverged or the score is NaN."""
    fn = _criterion(criterion)
    if np.any(np.asarray(result.diverged_at) >= 0):
        return math.inf
    s = float(fn(result))
    return s if math.isfinite(s) or s == math.inf else math.inf


def _criterion(criterion):
    if callable(criterion):
        return criterion
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; available: {', '.join(CRITERIA)} "
                         "or a callable RunResult -> float")
    return CRITERIA[criterion]


@dataclass
class TuningResult:
    """The grid of one base config and the value chosen.

    Attributes
    ----------
    base : RunConfig
        The config tuned (its value of ``param`` is irrelevant).
    param : str
        Dotted parameter tuned.
    values : list
        The grid, in the order given.
    configs, results : list
        One per grid value.
    scores : numpy.ndarray
        Criterion per value (``inf``: diverged).
    criterion : str
        Name of the criterion (``repr`` of a callable).
    best_index : int
    ok : bool
        Whether some value scored finite.
    at_edge : bool
        Whether the best value is the first or last of the grid (widen the grid).
    """

    base: RunConfig
    param: str
    values: list
    configs: list
    results: list
    scores: np.ndarray
    criterion: str
    best_index: int
    ok: bool

    @property
    def best_value(self):
        return self.values[self.best_index]

    @property
    def best_config(self) -> RunConfig:
        return self.configs[self.best_index]

    @property
    def best_result(self) -> RunResult:
        return self.results[self.best_index]

    @property
    def best_score(self) -> float:
        return float(self.scores[self.best_index])

    @property
    def at_edge(self) -> bool:
        return len(self.values) > 1 and self.best_index in (0, len(self.values) - 1)

    def record(self) -> dict:
        """JSON-able record: base config, grid, scores, choice."""
        return {
            "base": self.base.to_dict(),
            "base_hash": self.base.hash(),
            "param": self.param,
            "criterion": self.criterion,
            "grid": [{"value": v, "config_hash": c.hash(), "score": (None if not math.isfinite(s)
                                                                    else float(s))}
                     for v, c, s in zip(self.values, self.configs, self.scores, strict=True)],
            "best_value": self.best_value,
            "best_score": self.best_score if self.ok else None,
            "ok": self.ok,
            "at_edge": self.at_edge,
        }

    def table(self):
        """pandas table of the grid: value, score, chosen, config hash, tags of the base."""
        import pandas as pd

        rows = [{"param": self.param, "value": str(v), "score": s, "chosen": i == self.best_index,
                 "config_hash": c.hash(), **{f"tag.{k}": t for k, t in self.base.tags.items()}}
                for i, (v, c, s) in enumerate(zip(self.values, self.configs, self.scores,
                                                  strict=True))]
        return pd.DataFrame(rows)


def _record_path(store: ResultStore, base: RunConfig, param: str, values, criterion: str) -> Path:
    key = _canonical({"base": base.hash(), "param": param, "values": list(values),
                      "criterion": criterion})
    return store.root / f"tuning-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def tune(
    configs: RunConfig | Sequence[RunConfig],
    param: str,
    values: Sequence | Callable[[RunConfig], Sequence],
    criterion: str | Callable[[RunResult], float] = "final",
    store: ResultStore | str | None = None,
    n_jobs: int = 1,
    engine: str = "joblib",
    run_fn: Callable[[RunConfig], RunResult] | None = None,
    progress: bool = False,
) -> list[TuningResult]:
    """Tune ``param`` over ``values`` for each base config; one cached sweep for all.

    Parameters
    ----------
    configs : RunConfig or sequence of RunConfig
        Base configs, one per case to tune separately (method x problem x batch size ...).
    param : str
        Dotted key of :func:`theory_lab.sweep.expand_grid` (``"optimizer.lr"``, ...).
    values : sequence, or callable ``RunConfig -> sequence``
        The grid (non-empty), or a function giving each base config its own grid.
    criterion : {"final", "average", "hit"} or callable ``RunResult -> float``
        Lower is better; see the module docstring.
    store, n_jobs, engine, run_fn, progress :
        Passed to :func:`theory_lab.sweep.run_sweep` (cache, workers, engine, runner).

    Returns
    -------
    list of TuningResult
        Aligned with ``configs``.

    Raises
    ------
    ValueError
        Empty grid (naming the base config), unknown criterion, bad ``param``, no configs.
    """
    if isinstance(configs, RunConfig):
        configs = [configs]
    configs = list(configs)
    if not configs:
        raise ValueError("tune needs at least one base config, got an empty list")
    fn = _criterion(criterion)
    crit_name = criterion if isinstance(criterion, str) else repr(criterion)
    grids, expanded = [], []
    for cfg in configs:
        if not isinstance(cfg, RunConfig):
            raise ValueError(f"base configs must be RunConfig, got {type(cfg).__name__}")
        vals = values(cfg) if callable(values) else values
        if isinstance(vals, (str, bytes)):
            raise ValueError(f"grid for {param!r} must be a list of values, got {vals!r}")
        vals = list(vals)
        if not vals:
            raise ValueError(f"empty grid for {param!r} (base config {cfg.hash()}, "
                             f"tags {cfg.tags}): values = {vals!r}")
        grids.append(vals)
        expanded.append([_set_path(cfg, param, v) for v in vals])
    if store is not None and not isinstance(store, ResultStore):
        store = ResultStore(store)
    flat = [c for cs in expanded for c in cs]
    results = run_sweep(flat, store=store, n_jobs=n_jobs, engine=engine, run_fn=run_fn,
                        progress=progress)
    out, k = [], 0
    for base, vals, cs in zip(configs, grids, expanded, strict=True):
        rs = results[k:k + len(cs)]
        k += len(cs)
        scores = np.array([score(r, fn) for r in rs])
        ok = bool(np.isfinite(scores).any())
        if ok:
            best = int(np.argmin(scores))
            if crit_name == "hit":  # ties (same median hit) broken by the final value
                ties = np.flatnonzero(scores == scores[best])
                best = int(min(ties, key=lambda i: score(rs[i], "final")))
        else:
            best = 0
        tr = TuningResult(base, param, vals, cs, rs, scores, crit_name, best, ok)
        out.append(tr)
        if store is not None:
            path = _record_path(store, base, param, vals, crit_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name("." + path.name + ".tmp")
            tmp.write_text(json.dumps(tr.record(), indent=1, default=str))
            tmp.replace(path)
    return out
