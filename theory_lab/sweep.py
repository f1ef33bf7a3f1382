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
A result file is named ``<config hash>.npz`` (:meth:`RunConfig.hash`: everything that
changes the numbers -- problem, optimizer, horizon, batch, seeds, backend, dtype, ... --
but not ``tags``; integral floats read as ints and numpy scalars as Python scalars, so
``kappa=10``, ``kappa=10.0`` and ``np.float64(10)`` share one file).  The file name is
only where to look; what is *served* is decided by the **cache key** stored in the file,
``{config_hash, version, code_fingerprint, code_modules}`` (:func:`cache_key`), and a
SHA-256 checksum over the record and every array.  :meth:`ResultStore.load` serves a
file only if

1. it reads and its checksum matches (else :class:`CorruptResult`, "checksum" /
   "unreadable": an edited or truncated file);
2. it holds the run asked for: recorded config hash and the config itself (tags aside)
   equal the request (else :class:`CorruptResult`, "wrong config": a file copied or
   renamed from another config is never relabelled);
3. its lab version is the current ``theory_lab.__version__`` (else :class:`StaleResult`);
4. every module in its ``code_modules`` -- the problem and optimizer factories' modules
   (user plugins included, wherever they live), what they import from the lab, the
   lab's core run path and the run function's module, see :mod:`theory_lab.fingerprint`
   -- still has the recorded SHA-256 (else :class:`StaleResult`, "code changed").

Files written before keys existed are stale ("older lab").  :func:`run_sweep`
recomputes stale and corrupt files, overwrites them, never counts them as served, and
reports them (one ``RuntimeWarning`` and ``results.report``, e.g. ``recomputed 3 (2
stale: 2 code changed; 1 corrupt: 1 checksum)``); ``refresh=True`` (CLI ``--refresh``)
recomputes everything.  Not covered: third-party library versions (recorded, not
checked) and data files read at run time -- use ``refresh`` after changing those.

Store housekeeping: files are written with mode ``0666 & ~umask`` (``0644`` usually),
so a shared store is readable by the group; :meth:`ResultStore.clear` deletes only files
named like a result *and* holding a result record; :meth:`ResultStore.table` skips (and
names, in ``.skipped`` and a warning) files it cannot serve; a sweep with something to
compute checks that the store is writable before computing anything.  Before any run
starts, :func:`theory_lab.sizing.check` refuses runs that cannot fit in memory
(``allow_large=True`` to try anyway).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path

import numpy as np

from .config import RunConfig, _canonical, _plain
from .errors import UserError
from .fingerprint import changed_modules, code_modules, fingerprint_of, lab_version
from .results import CorruptResult, ResultError, RunResult, StaleResult

ENGINES = ("sequential", "joblib", "dask")

__all__ = ["ENGINES", "CorruptResult", "ResultStore", "StaleResult", "SweepReport",
           "SweepResults", "cache_key", "expand_grid", "run_sweep", "stamp"]


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


_RESULT_NAME = re.compile(r"^[0-9a-f]{16}\.npz$")


def _identity(config: dict | RunConfig) -> str:
    """Canonical text of a config without its tags (what the numbers depend on)."""
    cfg = config if isinstance(config, RunConfig) else RunConfig.from_dict(config)
    d = cfg.to_dict()
    d.pop("tags")
    return _canonical(d)


def cache_key(cfg: RunConfig, run_fn: Callable | None = None) -> dict:
    """The cache key of ``cfg`` run by ``run_fn`` in this process.

    ``{"config_hash", "version", "code_fingerprint", "code_modules"}``: the config's
    identity (:meth:`RunConfig.hash`), the lab version and the fingerprint of the source
    code that produces the numbers (:func:`theory_lab.fingerprint.code_modules`, one
    SHA-256 per module, which a later load re-hashes).
    """
    modules = code_modules(cfg, run_fn)
    return {"config_hash": cfg.hash(), "version": lab_version(),
            "code_fingerprint": fingerprint_of(modules), "code_modules": modules}


def stamp(result: RunResult, cfg: RunConfig, run_fn: Callable | None = None) -> RunResult:
    """Record provenance and the cache key in ``result.meta`` (in place; returns it)."""
    key = cache_key(cfg, run_fn)
    result.meta.setdefault("config_hash", key["config_hash"])
    result.meta.setdefault("version", key["version"])
    result.meta["seeds"] = list(cfg.seeds)
    result.meta["code_fingerprint"] = key["code_fingerprint"]
    result.meta["cache_key"] = key
    return result


class ResultStore:
    """A folder of run results, one ``<config hash>.npz`` per config.

    A file is served only after :meth:`load` has checked that it is the run asked for,
    computed by the current code (see the module docstring, "Caching rules").

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding the results; created on the first save.  Files are written
        atomically (temporary name, then rename), so a reader never sees a partial file
        and a killed writer leaves at most a hidden ``.tmp-*`` file, which is ignored.

    Attributes
    ----------
    skipped : list of (str, str)
        ``(file name, reason)`` of the files the last :meth:`results` / :meth:`table`
        call skipped because they are corrupt or stale.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.skipped: list[tuple[str, str]] = []

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
        """Whether a file for ``cfg`` exists (not whether it can be served: see :meth:`load`)."""
        return self.path(cfg).is_file()

    __contains__ = has

    def check_writable(self) -> None:
        """Create the folder and a probe file in it; fail fast if that is impossible.

        Raises
        ------
        UserError
            Naming the folder, when it cannot be created or written (works for root too:
            the probe is an actual file).
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=".tmp-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise UserError(f"result store {str(self.root)!r} is not writable "
                            f"({exc.strerror or exc}); pass another store folder") from None

    def _verify(self, result: RunResult, path: Path, cfg: RunConfig | None) -> RunResult:
        want = self._hash(cfg) if cfg is not None else path.stem
        meta = result.meta
        if meta.get("config_hash") != want:
            raise CorruptResult(path, f"holds the run of config {meta.get('config_hash')}, "
                                      f"not {want}", "wrong config")
        try:
            stored = RunConfig.from_dict(result.config)
        except (TypeError, ValueError) as exc:
            raise CorruptResult(path, f"its config is invalid ({exc})", "wrong config") from None
        if stored.hash() != want or (cfg is not None and _identity(stored) != _identity(cfg)):
            raise CorruptResult(path, f"holds another config than {want}", "wrong config")
        key = meta.get("cache_key")
        if not isinstance(key, dict) or not isinstance(key.get("code_modules"), dict):
            raise StaleResult(path, "no cache key (written by an older lab version)", "older lab")
        if key.get("config_hash") != want or fingerprint_of(key["code_modules"]) != key.get(
                "code_fingerprint"):
            raise CorruptResult(path, "its cache key does not match its content", "wrong key")
        if key.get("version") != lab_version():
            raise StaleResult(path, f"lab version changed ({key.get('version')} -> "
                                    f"{lab_version()})", "version changed")
        changed = changed_modules(key["code_modules"])
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            raise StaleResult(path, f"code changed since it was computed: {shown}", "code changed")
        return result

    def load(self, cfg: RunConfig) -> RunResult:
        """Stored result of ``cfg``, verified before it is returned.

        Checks, in order: the file is readable and its SHA-256 checksum (over the record
        and every array) matches; it holds ``cfg``'s run (same config hash and same config,
        tags aside); its cache key names the current lab version and every module it
        records (:func:`theory_lab.fingerprint.code_modules`) still has the same source.

        Raises
        ------
        FileNotFoundError
            If ``cfg`` has no stored result.
        CorruptResult
            Unreadable file, failed checksum, or another config's run.
        StaleResult
            Written by another lab version, by code that has changed since, or before
            files carried a cache key.
        """
        path = self.path(cfg)
        if not path.is_file():
            raise FileNotFoundError(f"no stored result for config {self._hash(cfg)} in {self.root}")
        return self._verify(RunResult.load(path, require_checksum=True), path, cfg)

    def save(self, result: RunResult, run_fn: Callable | None = None) -> Path:
        """Write ``result`` atomically under its config hash; returns the path.

        A result without a cache key in its meta is stamped first (:func:`stamp`, with
        ``run_fn``, default :func:`theory_lab.runner.run_config`).

        Raises
        ------
        ValueError
            If ``result.meta["config_hash"]`` disagrees with the hash of ``result.config``
            (the file name would not match the config it holds).
        """
        cfg = RunConfig.from_dict(result.config)
        expected = cfg.hash()
        recorded = result.meta.get("config_hash", expected)
        if recorded != expected:
            raise ValueError(
                f"result records config_hash {recorded!r} but its config hashes to {expected!r}"
            )
        if "cache_key" not in result.meta:
            stamp(result, cfg, run_fn)
        return result.save(self.root / f"{expected}.npz")

    def _files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob("*.npz") if _RESULT_NAME.match(p.name))

    def __len__(self) -> int:
        return len(self._files())

    def _trusted(self, path: Path, cfg: RunConfig | None = None) -> RunResult | None:
        try:
            return self._verify(RunResult.load(path, require_checksum=True), path, cfg)
        except ResultError as exc:
            self.skipped.append((path.name, exc.reason))
            return None

    def _warn_skipped(self) -> None:
        if self.skipped:
            names = ", ".join(f"{n} ({r})" for n, r in self.skipped[:3])
            more = f" and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
            warnings.warn(f"{self.root}: skipped {len(self.skipped)} unusable result file(s): "
                          f"{names}{more}; see ResultStore.skipped", RuntimeWarning, stacklevel=3)

    def results(self) -> list[RunResult]:
        """All servable results, ordered by file name; bad files go to :attr:`skipped`."""
        self.skipped = []
        out = [r for r in (self._trusted(p) for p in self._files()) if r is not None]
        self._warn_skipped()
        return out

    def table(self, configs: Sequence[RunConfig] | None = None, missing: str = "raise"):
        """Tidy :class:`pandas.DataFrame` of stored results.

        The rows are the concatenated :meth:`RunResult.to_frame` tables (one row per
        seed, checkpoint and metric), with one more column per config entry not already
        there, named by its dotted key (``"problem.kappa"``, ``"optimizer.lr"``, ``"T"``,
        ...; non-scalar values as JSON strings), so a sweep can be grouped by what it swept.
        Corrupt or stale files are skipped, named in :attr:`skipped` and in one
        ``RuntimeWarning``.

        Parameters
        ----------
        configs : sequence of RunConfig, optional
            Only these configs' results (in this order, duplicates once); default: all.
        missing : {"raise", "skip"}
            What to do with configs that have no usable stored result (none, or a
            skipped one).

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
            self.skipped = []
            seen, results, absent = set(), [], []
            for cfg in configs:
                h = self._hash(cfg)
                if h in seen:
                    continue
                seen.add(h)
                r = self._trusted(self.path(cfg), cfg) if self.has(cfg) else None
                if r is not None:
                    results.append(r)
                else:
                    absent.append(h)
            self._warn_skipped()
            if absent and missing == "raise":
                bad = f" ({len(self.skipped)} of them unusable, see .skipped)" if self.skipped else ""
                raise FileNotFoundError(
                    f"{len(absent)} of {len(seen)} configs have no usable stored result in "
                    f"{self.root}{bad} (first: {absent[0]}); run them with run_sweep or pass "
                    f"missing='skip'"
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
        """Delete the lab's result files (and stray ``.tmp-*`` files); returns how many results.

        A file is the lab's when its name is ``<16 hex digits>.npz`` *and* it holds a
        result record whose config hashes to that name (stale or checksum-failing results
        included).  Any other file (another tool's ``.npz``, a garbage file that merely
        has a hash-like name) is left in place.
        """
        n = 0
        if not self.root.is_dir():
            return 0
        for p in self.root.glob(".tmp-*.npz"):
            p.unlink(missing_ok=True)
        for p in self._files():
            try:
                with np.load(p, allow_pickle=False) as data:
                    record = json.loads(str(data["record"]))
                ours = RunConfig.from_dict(record["config"]).hash() == p.stem
            except Exception:  # noqa: BLE001 - not a lab record: not ours to delete
                ours = False
            if ours:
                p.unlink(missing_ok=True)
                n += 1
        return n


# -- running -------------------------------------------------------------------------
def _execute(cfg: RunConfig, root: str | None, run_fn: Callable | None, plugins=None):
    """Worker task: run one config, stamp its cache key, store it the moment it exists."""
    if plugins:  # the parent's plugins and __main__ factories (theory_lab.plugins)
        from .plugins import activate

        activate(plugins)
    if run_fn is None:
        from .runner import run_config

        result = run_config(cfg, allow_large=True)  # the size guard ran before the sweep
    else:
        result = run_fn(cfg)
    if not isinstance(result, RunResult):
        raise TypeError(f"run_fn must return a RunResult, got {type(result).__name__}")
    h = cfg.hash()
    got = result.meta.get("config_hash")
    if got is not None and got != h:
        raise ValueError(f"run_fn returned a result for config {got}, expected {h}")
    stamp(result, cfg, run_fn)
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


class _LineProgress:
    """Progress for logs (stderr not a terminal): one line every ``every`` s or at the end."""

    def __init__(self, total: int, initial: int, every: float = 10.0):
        import time

        self._clock = time.monotonic
        self.total, self.n, self.initial, self.every = total, initial, initial, every
        self.start = self.last = self._clock()
        self._line(force=True)

    def _line(self, force: bool = False) -> None:
        now = self._clock()
        if force or now - self.last >= self.every or self.n == self.total:
            self.last = now
            print(f"sweep: {self.n}/{self.total} runs done ({self.initial} from cache), "
                  f"{now - self.start:.0f} s", file=sys.stderr, flush=True)

    def update(self, n: int = 1) -> None:
        self.n += n
        self._line()

    def close(self) -> None:
        pass


def _progress(total: int, initial: int, enabled: bool):
    if enabled and not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return _LineProgress(total, initial)  # cluster logs: plain lines, not a bar
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="sweep", unit="run",
                disable=not enabled, file=sys.stderr)


@dataclass
class SweepReport:
    """Where a sweep's results came from (one entry per distinct config hash).

    ``served``: loaded from the store after verification; ``new``: no stored file;
    ``stale`` / ``corrupt``: ``{hash: reason}`` of stored files that failed verification
    and were recomputed; ``refreshed``: stored files recomputed on request (``refresh``).
    """

    served: list = field(default_factory=list)
    new: list = field(default_factory=list)
    stale: dict = field(default_factory=dict)
    corrupt: dict = field(default_factory=dict)
    refreshed: list = field(default_factory=list)
    kinds: dict = field(default_factory=dict)  # hash -> short reason label

    @property
    def recomputed(self) -> int:
        """Stored files that were computed again (stale + corrupt + refreshed)."""
        return len(self.stale) + len(self.corrupt) + len(self.refreshed)

    def _labels(self, hashes) -> str:
        counts: dict[str, int] = {}
        for h in hashes:
            counts[self.kinds.get(h, "?")] = counts.get(self.kinds.get(h, "?"), 0) + 1
        return ", ".join(f"{n} {k}" for k, n in counts.items())

    def recomputed_text(self) -> str:
        """E.g. ``"recomputed 3 (2 stale: code changed, 1 corrupt: checksum)"``."""
        parts = []
        if self.stale:
            parts.append(f"{len(self.stale)} stale: {self._labels(self.stale)}")
        if self.corrupt:
            parts.append(f"{len(self.corrupt)} corrupt: {self._labels(self.corrupt)}")
        if self.refreshed:
            parts.append(f"{len(self.refreshed)} refreshed")
        return f"recomputed {self.recomputed}" + (f" ({'; '.join(parts)})" if parts else "")

    def summary(self) -> str:
        """One line: served, recomputed (why), new."""
        return f"{len(self.served)} served from cache, {self.recomputed_text()}, {len(self.new)} new"


class SweepResults(list):
    """The list of results of :func:`run_sweep`, with its :class:`SweepReport` as ``.report``."""

    report: SweepReport


def run_sweep(
    configs: Iterable[RunConfig],
    store: ResultStore | str | os.PathLike | None = None,
    n_jobs: int = 1,
    engine: str = "joblib",
    progress: bool = True,
    dask_address=None,
    run_fn: Callable[[RunConfig], RunResult] | None = None,
    refresh: bool = False,
    allow_large: bool = False,
) -> SweepResults:
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
        Show a tqdm progress bar on a terminal; otherwise (a log file) a line on stderr
        every 10 s and at the end.
    dask_address : str, dask Client, dask cluster or None
        The cluster of the ``"dask"`` engine (see the module docstring); ``None`` starts a
        local one.
    run_fn : callable, optional
        ``RunConfig -> RunResult``; default :func:`theory_lab.runner.run_config`.  With the
        ``"joblib"``/``"dask"`` engines it is sent to worker processes, so it must be
        picklable: a module-level function or an instance of a module-level class.  Its
        module is part of the results' code fingerprint.
    refresh : bool
        Recompute every config even when a valid result is stored (and overwrite it).
    allow_large : bool
        Skip the size guard (:func:`theory_lab.sizing.check`), which otherwise refuses,
        before anything is computed, a run whose memory estimate exceeds what is available.

    Returns
    -------
    SweepResults
        A list aligned with ``configs`` (duplicates get the same numbers).  A returned
        result's ``config`` is the config asked for, ``tags`` included, even when the
        numbers come from the store (whose file was checked to hold the same config).
        ``.report`` (:class:`SweepReport`) says which were served, new, or recomputed
        because their file was stale or corrupt; recomputations also raise one
        ``RuntimeWarning``.

    Raises
    ------
    ValueError
        Unknown engine, bad ``n_jobs`` or a non-RunConfig in ``configs``.
    UserError
        Before any computation: the store is not writable (one line naming the folder),
        or a run fails the size guard.
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

    report = SweepReport()
    done: dict[str, RunResult] = {}
    for h, cfg in unique.items():
        if store is None or not store.has(cfg):
            report.new.append(h)
        elif refresh:
            report.refreshed.append(h)
        else:
            try:
                done[h] = store.load(cfg)
                report.served.append(h)
            except FileNotFoundError:  # removed meanwhile
                report.new.append(h)
            except ResultError as exc:
                (report.stale if isinstance(exc, StaleResult) else report.corrupt)[h] = exc.reason
                report.kinds[h] = exc.kind
    todo = [cfg for h, cfg in unique.items() if h not in done]
    n_cached = len(done)
    if todo and not allow_large:
        from .sizing import check

        for cfg in todo:
            check(cfg)
    if todo and store is not None:
        store.check_writable()
    if report.stale or report.corrupt:
        bad = {**report.stale, **report.corrupt}
        first = next(iter(bad))
        warnings.warn(f"{store.root}: {report.recomputed_text()}; first: {first}: {bad[first]}",
                      RuntimeWarning, stacklevel=2)

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

            from .plugins import worker_bundle

            # workers import nothing of this process: send its plugins along
            bundle = worker_bundle(by_value_modules=engine == "dask")
            tasks = (joblib.delayed(_execute)(cfg, root, run_fn, bundle) for cfg in todo)
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

    out = SweepResults()
    for h, cfg in zip(hashes, configs, strict=True):
        res = done[h]
        if res.config != cfg.to_dict():  # verified same config, other tags: the tags asked for
            res = dc_replace(res, config=cfg.to_dict())
        out.append(res)
    out.report = report
    return out
