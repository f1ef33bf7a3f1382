"""Declarative parameter sweeps: expanded from a grid, cached on disk, resumable.

A sweep is a list of :class:`~theory_lab.config.RunConfig` (usually built with
:func:`expand_grid`) run by :func:`run_sweep`.  Every finished run is written to a
:class:`ResultStore` -- one ``.npz`` per config, named by :meth:`RunConfig.hash` -- by
the worker that computed it, the moment it finishes, with an atomic rename.  So a sweep
that stops half-way (an exception, Ctrl-C, a killed process or a lost cluster job) loses
no finished run, and calling :func:`run_sweep` again with the same store recomputes only
the runs that are missing::

    from theory_lab import RunConfig
    from theory_lab.sweep import ResultStore, expand_grid, run_sweep

    base = RunConfig(problem={"name": "quadratic", "d": 100},
                     optimizer={"name": "shb", "lr": "1/L", "beta": "(1 - 1/sqrt(kappa))**2"},
                     T=10_000, seeds=tuple(range(20)))
    configs = expand_grid(base, {"problem.kappa": [10.0, 100.0, 1000.0],
                                 ("batch_size", "T"): [(1, 10_000), (10, 1_000)]})
    results = run_sweep(configs, store="results/shb", n_jobs=8)   # cached, resumable
    df = ResultStore("results/shb").table(configs)                # tidy pandas table

Engines
-------
``"sequential"``
    A plain loop in this process: the easiest to debug (breakpoints, prints), and the
    only engine that accepts a ``run_fn`` that cannot be pickled.
``"joblib"`` (default)
    :class:`joblib.Parallel` with ``n_jobs`` workers (loky processes, unless an
    enclosing ``joblib.parallel_config`` chooses another backend).  Results come back
    unordered, as they finish, so the progress bar is live.
``"dask"``
    The same joblib code path on joblib's dask backend
    (``joblib.parallel_config(backend="dask")``), so a sweep runs on any
    ``dask.distributed`` cluster.  Needs ``pip install -e '.[dask]'``.
    ``dask_address`` chooses the cluster:

    * ``None``: a :class:`dask.distributed.LocalCluster` with ``n_jobs`` single-threaded
      worker processes (all cores for ``n_jobs=-1``), closed when the sweep ends (its
      workers are spawned processes, so a script calling this needs the usual
      ``if __name__ == "__main__":`` guard);
    * a scheduler address string, e.g. ``"tcp://scheduler-host:8786"``: an existing
      cluster, started for instance with ``dask scheduler`` on one machine and
      ``dask worker tcp://scheduler-host:8786 --nthreads 1`` on each of the others;
    * a ``dask.distributed.Client`` (used as is, not closed) or a cluster object (anything
      with a ``scheduler_address``; a client to it is opened and closed here).

    On SLURM, with ``dask-jobqueue`` installed (``pip install dask-jobqueue``), each
    SLURM job becomes a dask worker::

        from dask_jobqueue import SLURMCluster
        cluster = SLURMCluster(queue="normal", cores=1, processes=1, memory="4GB",
                               walltime="02:00:00", account="my-account")
        cluster.scale(jobs=32)          # or cluster.adapt(minimum_jobs=0, maximum_jobs=64)
        results = run_sweep(configs, store="/shared/scratch/sweep", engine="dask",
                            dask_address=cluster)

    Workers write results directly into the store, so on a multi-machine cluster the
    store must live on a file system that every worker sees (NFS, Lustre, GPFS, ...) and
    the ``theory_lab`` package must be importable on the workers.  If jobs are
    preempted or hit their walltime, simply run the same call again: finished runs are
    on disk and are not recomputed.

Caching rules
-------------
A config's cache key is :meth:`RunConfig.hash`: everything that changes the numbers
(problem, optimizer, horizon, batch, seeds, backend, dtype, ...) but not ``tags`` and not
the package version.  Delete the store (:meth:`ResultStore.clear`) after changing code that
changes the numbers.  The hash reads integral floats as ints and numpy scalars as Python
scalars, so ``kappa=10``, ``kappa=10.0`` and ``np.float64(10)`` share one cache entry.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace as dc_replace
from pathlib import Path

from .config import RunConfig, _plain
from .errors import UserError
from .results import RunResult

ENGINES = ("sequential", "joblib", "dask")

__all__ = ["ENGINES", "ResultStore", "expand_grid", "run_sweep"]


# -- grids ---------------------------------------------------------------------------
def _set_path(cfg: RunConfig, dotted: str, value) -> RunConfig:
    """``cfg`` with the dotted key set; nested dicts are copied, never mutated."""
    head, _, tail = dotted.partition(".")
    fields = cfg.to_dict()
    if head not in fields:
        raise ValueError(
            f"unknown grid key {dotted!r}: {head!r} is not a RunConfig field "
            f"(fields: {', '.join(fields)})"
        )
    if not tail:
        return cfg.replace(**{head: value})
    if not isinstance(fields[head], dict):
        raise ValueError(f"grid key {dotted!r}: RunConfig.{head} is not a dict")
    top = dict(getattr(cfg, head))
    node = top
    parts = tail.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            raise ValueError(f"grid key {dotted!r}: {part!r} is not a dict in {head}")
        node[part] = dict(child)
        node = node[part]
    node[parts[-1]] = value
    return cfg.replace(**{head: top})


def expand_grid(base: RunConfig, grid: dict) -> list[RunConfig]:
    """Cartesian product of parameter values applied to ``base``.

    Parameters
    ----------
    base : RunConfig
        Values not named in ``grid`` are taken from here.
    grid : dict
        Maps a key to the list of its values.  A key is a ``RunConfig`` field
        (``"T"``, ``"batch_size"``, ``"seeds"``, ...) or a dotted path into the
        ``problem`` / ``optimizer`` dicts (``"problem.kappa"``, ``"optimizer.lr"``;
        deeper paths such as ``"optimizer.lr.eta"`` work too).  A *tuple* of keys zips
        parameters that vary together: ``{("batch_size", "T"): [(1, 1000), (10, 100)]}``
        gives two combinations, not four.

    Returns
    -------
    list of RunConfig
        One config per combination, in a stable order: the first key of ``grid``
        varies slowest (like nested for-loops in the order the keys were written).
        An empty grid gives ``[base]``.

    Raises
    ------
    ValueError
        On an unknown field, a value list that is not a non-empty list/tuple, or a
        zipped value whose length differs from its tuple of keys.
    """
    if not isinstance(base, RunConfig):
        raise ValueError(f"base must be a RunConfig, got {type(base).__name__}")
    axes = []
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"grid[{key!r}] must be a list of values, got {values!r}")
        values = list(values)
        if not values:
            raise ValueError(f"grid[{key!r}] is empty: a sweep over no values has no runs")
        if isinstance(key, tuple):
            if not key or not all(isinstance(k, str) for k in key):
                raise ValueError(f"zipped grid key must be a non-empty tuple of strings, got {key!r}")
            for v in values:
                if not isinstance(v, (tuple, list)) or len(v) != len(key):
                    raise ValueError(
                        f"grid[{key!r}]: each value must be a tuple of {len(key)} values, got {v!r}"
                    )
            axes.append([tuple(zip(key, map(_plain, v), strict=True)) for v in values])
        elif isinstance(key, str):
            axes.append([((key, _plain(v)),) for v in values])
        else:
            raise ValueError(f"grid keys must be strings or tuples of strings, got {key!r}")
    configs = []
    for combo in itertools.product(*axes):
        cfg = base
        for assignments in combo:
            for key, value in assignments:
                cfg = _set_path(cfg, key, value)
        configs.append(cfg)
    return configs


# -- storage -------------------------------------------------------------------------
def _flat_config(config: dict) -> dict:
    """Scalar columns ``{"problem.kappa": 10.0, "T": 1000, ...}`` from a config dict."""
    out = {}
    for key, value in config.items():
        if key in ("seeds", "tags"):
            continue
        if isinstance(value, dict):
            for sub, v in value.items():
                if sub != "name":
                    out[f"{key}.{sub}"] = v
        else:
            out[key] = value
    for key, v in out.items():
        if not (v is None or isinstance(v, (str, int, float, bool))):
            out[key] = json.dumps(v, sort_keys=True, default=str)
    return out


class ResultStore:
    """A folder of run results, one ``<config hash>.npz`` per config.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding the results; created on the first save.  Files are written
        atomically (temporary name, then rename), so a reader never sees a partial file
        and a killed writer leaves at most a hidden ``.tmp-*`` file, which is ignored.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    @staticmethod
    def _hash(cfg) -> str:
        if isinstance(cfg, RunConfig):
            return cfg.hash()
        if isinstance(cfg, dict):
            return RunConfig.from_dict(cfg).hash()
        raise ValueError(f"expected a RunConfig (or its dict), got {type(cfg).__name__}")

    def path(self, cfg: RunConfig) -> Path:
        """File of ``cfg``'s result: ``root / f"{cfg.hash()}.npz"``."""
        return self.root / f"{self._hash(cfg)}.npz"

    def has(self, cfg: RunConfig) -> bool:
        """Whether a result for ``cfg`` is stored."""
        return self.path(cfg).is_file()

    __contains__ = has

    def load(self, cfg: RunConfig) -> RunResult:
        """Stored result of ``cfg``.

        Raises
        ------
        FileNotFoundError
            If ``cfg`` has no stored result.
        """
        path = self.path(cfg)
        if not path.is_file():
            raise FileNotFoundError(f"no stored result for config {self._hash(cfg)} in {self.root}")
        return RunResult.load(path)

    def save(self, result: RunResult) -> Path:
        """Write ``result`` atomically under its config hash; returns the path.

        Raises
        ------
        ValueError
            If ``result.meta["config_hash"]`` disagrees with the hash of ``result.config``
            (the file name would not match the config it holds).
        """
        expected = RunConfig.from_dict(result.config).hash()
        recorded = result.meta.get("config_hash", expected)
        if recorded != expected:
            raise ValueError(
                f"result records config_hash {recorded!r} but its config hashes to {expected!r}"
            )
        return result.save(self.root / f"{expected}.npz")

    def _files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob("*.npz") if not p.name.startswith("."))

    def __len__(self) -> int:
        return len(self._files())

    def results(self) -> list[RunResult]:
        """All stored results, ordered by file name (config hash)."""
        return [RunResult.load(p) for p in self._files()]

    def table(self, configs: Sequence[RunConfig] | None = None, missing: str = "raise"):
        """Tidy :class:`pandas.DataFrame` of stored results.

        The rows are the concatenated :meth:`RunResult.to_frame` tables (one row per
        seed, checkpoint and metric), with one more column per config entry not already
        there, named by its dotted key (``"problem.kappa"``, ``"optimizer.lr"``, ``"T"``,
        ...; non-scalar values as JSON strings), so a sweep can be grouped by what it swept.

        Parameters
        ----------
        configs : sequence of RunConfig, optional
            Only these configs' results (in this order, duplicates once); default: all.
        missing : {"raise", "skip"}
            What to do with configs that have no stored result.

        Returns
        -------
        pandas.DataFrame
            Empty (no rows) if there is nothing to show.
        """
        import pandas as pd

        if missing not in ("raise", "skip"):
            raise ValueError(f"missing must be 'raise' or 'skip', got {missing!r}")
        if configs is None:
            results = self.results()
        else:
            seen, results, absent = set(), [], []
            for cfg in configs:
                h = self._hash(cfg)
                if h in seen:
                    continue
                seen.add(h)
                if self.has(cfg):
                    results.append(self.load(cfg))
                else:
                    absent.append(h)
            if absent and missing == "raise":
                raise FileNotFoundError(
                    f"{len(absent)} of {len(seen)} configs have no stored result in {self.root} "
                    f"(first: {absent[0]}); run them with run_sweep or pass missing='skip'"
                )
        frames = []
        for r in results:
            df = r.to_frame()
            for key, value in _flat_config(r.config).items():
                if key not in df.columns:
                    df[key] = value
            frames.append(df)
        if not frames:
            return pd.DataFrame(columns=["seed", "step", "samples", "metric", "value", "config_hash"])
        return pd.concat(frames, ignore_index=True)

    def clear(self) -> int:
        """Delete every stored result (and stray temporary files); returns how many results."""
        n = 0
        if self.root.is_dir():
            for p in self.root.glob("*.npz"):
                n += not p.name.startswith(".")
                p.unlink(missing_ok=True)
        return n


# -- running -------------------------------------------------------------------------
def _execute(cfg: RunConfig, root: str | None, run_fn: Callable | None):
    """Worker task: run one config and store the result the moment it exists."""
    if run_fn is None:
        from .runner import run_config as run_fn
    result = run_fn(cfg)
    if not isinstance(result, RunResult):
        raise TypeError(f"run_fn must return a RunResult, got {type(result).__name__}")
    h = cfg.hash()
    got = result.meta.get("config_hash")
    if got is not None and got != h:
        raise ValueError(f"run_fn returned a result for config {got}, expected {h}")
    if root is not None:
        ResultStore(root).save(result)
    return h, result


#: Seconds to wait for a dask scheduler before giving up (dask's default is 30 s).
DASK_CONNECT_TIMEOUT_S = 5.0


def _dask_client(dask_address, n_jobs: int):
    """(client, things to close) for the dask engine."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ValueError(
            "engine 'dask' needs dask.distributed: pip install -e '.[dask]' "
            f"(available engines without it: sequential, joblib); import error: {exc}"
        ) from None
    if dask_address is None:
        n_workers = None if n_jobs < 0 else n_jobs
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
        return client, [client, cluster]
    if isinstance(dask_address, Client):
        return dask_address, []
    if isinstance(dask_address, str) or hasattr(dask_address, "scheduler_address"):
        try:
            client = Client(dask_address, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise UserError(
                f"cannot reach the dask scheduler {str(getattr(dask_address, 'scheduler_address', dask_address))!r} "
                f"within {DASK_CONNECT_TIMEOUT_S:g} s ({type(exc).__name__}); is it running?"
            ) from None
        return client, [client]
    raise ValueError(
        "dask_address must be None, a scheduler address string, a dask Client or a cluster "
        f"object, got {type(dask_address).__name__}"
    )


def _progress(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    # disable=None: tqdm turns itself off when stderr is not a terminal
    return tqdm(total=total, initial=initial, desc="sweep", unit="run",
                disable=None if enabled else True, file=sys.stderr)


def run_sweep(
    configs: Iterable[RunConfig],
    store: ResultStore | str | os.PathLike | None = None,
    n_jobs: int = 1,
    engine: str = "joblib",
    progress: bool = True,
    dask_address=None,
    run_fn: Callable[[RunConfig], RunResult] | None = None,
) -> list[RunResult]:
    """Run every config once, reusing stored results; resumable after interruption.

    Parameters
    ----------
    configs : iterable of RunConfig
        Duplicates (same :meth:`RunConfig.hash`) are computed once.
    store : ResultStore, str, os.PathLike or None
        Where results are cached.  Stored configs are loaded, not recomputed; every new
        run is saved by the worker that computed it as soon as it finishes.  ``None``:
        compute and return, cache nothing.
    n_jobs : int
        Parallel workers for the ``"joblib"`` and ``"dask"`` (local cluster) engines;
        ``-1`` means all cores.  Ignored by ``"sequential"``.
    engine : {"sequential", "joblib", "dask"}
        See the module docstring.
    progress : bool
        Show a tqdm progress bar (only when stderr is a terminal).
    dask_address : str, dask Client, dask cluster or None
        The cluster of the ``"dask"`` engine (see the module docstring); ``None`` starts a
        local one.
    run_fn : callable, optional
        ``RunConfig -> RunResult``; default :func:`theory_lab.runner.run_config`.  With the
        ``"joblib"``/``"dask"`` engines it is sent to worker processes, so it must be
        picklable: a module-level function or an instance of a module-level class.

    Returns
    -------
    list of RunResult
        Aligned with ``configs`` (duplicates get the same numbers).  A returned result's
        ``config`` is the config asked for, ``tags`` included, even when the numbers come
        from the store.

    Raises
    ------
    ValueError
        Unknown engine, bad ``n_jobs`` or a non-RunConfig in ``configs``.
    Exception
        Whatever a run raised (or ``KeyboardInterrupt``), after the finished runs have been
        stored; a note on the exception says how many, and calling ``run_sweep`` again
        with the same store computes only the rest.
    """
    configs = list(configs)
    for i, cfg in enumerate(configs):
        if not isinstance(cfg, RunConfig):
            raise ValueError(f"configs[{i}] is a {type(cfg).__name__}, not a RunConfig")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (-1: all cores), got {n_jobs!r}")
    if store is not None and not isinstance(store, ResultStore):
        store = ResultStore(store)
    # workers may run in another working directory (dask): send an absolute path
    root = None if store is None else str(store.root.resolve())

    hashes = [cfg.hash() for cfg in configs]
    unique: dict[str, RunConfig] = {}
    for h, cfg in zip(hashes, configs, strict=True):
        unique.setdefault(h, cfg)

    done: dict[str, RunResult] = {}
    if store is not None:
        for h, cfg in unique.items():
            if store.has(cfg):
                try:
                    done[h] = store.load(cfg)
                except Exception as exc:  # unreadable file (e.g. written by other code)
                    warnings.warn(f"recomputing {h}: stored result unreadable ({exc!r})",
                                  RuntimeWarning, stacklevel=2)
    todo = [cfg for h, cfg in unique.items() if h not in done]
    n_cached = len(done)

    bar = _progress(len(unique), n_cached, progress)
    closers = []
    try:
        if engine == "sequential" or not todo:
            for cfg in todo:
                h, res = _execute(cfg, root, run_fn)
                done[h] = res
                bar.update()
        else:
            import joblib

            tasks = (joblib.delayed(_execute)(cfg, root, run_fn) for cfg in todo)
            if engine == "joblib":
                parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
                for h, res in parallel(tasks):
                    done[h] = res
                    bar.update()
            else:
                client, closers = _dask_client(dask_address, n_jobs)
                with joblib.parallel_config(backend="dask", client=client):
                    parallel = joblib.Parallel(n_jobs=-1, return_as="generator_unordered")
                    for h, res in parallel(tasks):
                        done[h] = res
                        bar.update()
    except BaseException as exc:
        if hasattr(exc, "add_note"):
            n_new = len(done) - n_cached
            where = (f"{n_new} new run(s) are stored in {root}; call run_sweep again to compute "
                     f"only the {len(unique) - len(done)} missing" if root is not None
                     else f"{n_new} run(s) finished but no store was given, so none were kept")
            exc.add_note(f"run_sweep interrupted ({len(done)}/{len(unique)} configs done): {where}")
        raise
    finally:
        bar.close()
        for obj in closers:
            try:
                obj.close()
            except Exception:  # pragma: no cover - best effort shutdown
                pass

    out = []
    for h, cfg in zip(hashes, configs, strict=True):
        res = done[h]
        if res.config != cfg.to_dict():  # same numbers, other tags: report the tags asked for
            res = dc_replace(res, config=cfg.to_dict())
        out.append(res)
    return out
