"""Sweeps: grid expansion, the result store, caching, resuming after interruption, engines."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from theory_lab import RunConfig
from theory_lab.results import ARRAYS
from theory_lab.runner import run_config
from theory_lab.sweep import ResultStore, expand_grid, run_sweep

BASE = RunConfig(
    problem={"name": "quadratic", "d": 10, "kappa": 10.0, "sigma": 0.5},
    optimizer={"name": "sgd", "lr": "1/L"},
    T=200,
    seeds=(0, 1, 2),
    n_checkpoints=20,
)
GRID = {"problem.kappa": [10.0, 100.0], "optimizer.lr": ["1/L", "0.5/L"], "batch_size": [1, 4]}


class CountingRun:
    """Picklable ``run_fn``: logs each call (one line per config hash) to a file, which
    works across joblib/dask worker processes; optionally fails."""

    def __init__(self, log, fail_after=None, fail_on=(), exc=RuntimeError):
        self.log, self.fail_after, self.fail_on, self.exc = str(log), fail_after, set(fail_on), exc

    def __call__(self, cfg):
        h = cfg.hash()
        if h in self.fail_on:
            raise self.exc(f"planned failure on {h}")
        if self.fail_after is not None and len(calls(self.log)) >= self.fail_after:
            raise self.exc("planned failure after enough runs")
        with open(self.log, "a") as fh:
            fh.write(h + "\n")
        return run_config(cfg)


def calls(log) -> list[str]:
    return Path(log).read_text().split() if Path(log).exists() else []


def assert_same(a, b):
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.config_hash == b.config_hash


# -- expand_grid ---------------------------------------------------------------------
def test_expand_grid_product_order_and_unique_hashes():
    cfgs = expand_grid(BASE, GRID)
    assert len(cfgs) == 8
    combos = [(c.problem["kappa"], c.optimizer["lr"], c.batch_size) for c in cfgs]
    # first key slowest, last key fastest, like nested loops
    assert combos == [(k, lr, b) for k in [10.0, 100.0] for lr in ["1/L", "0.5/L"] for b in [1, 4]]
    assert len({c.hash() for c in cfgs}) == 8
    # the base is not mutated and untouched fields are kept
    assert BASE.problem == {"name": "quadratic", "d": 10, "kappa": 10.0, "sigma": 0.5}
    assert all(c.problem["d"] == 10 and c.seeds == (0, 1, 2) for c in cfgs)
    assert expand_grid(BASE, {}) == [BASE]


def test_expand_grid_zip_keys():
    cfgs = expand_grid(BASE, {"problem.kappa": [10.0, 100.0], ("batch_size", "T"): [(1, 1000), (10, 100)]})
    assert [(c.problem["kappa"], c.batch_size, c.T) for c in cfgs] == [
        (10.0, 1, 1000), (10.0, 10, 100), (100.0, 1, 1000), (100.0, 10, 100)]
    assert len({c.hash() for c in cfgs}) == 4


def test_expand_grid_numpy_values_hash_like_literals_and_nested_keys():
    a = expand_grid(BASE, {"problem.kappa": np.array([10.0, 100.0]), "T": np.array([100])})
    b = expand_grid(BASE, {"problem.kappa": [10.0, 100.0], "T": [100]})
    assert [c.hash() for c in a] == [c.hash() for c in b]
    base = BASE.replace(optimizer={"name": "sgd", "lr": {"kind": "constant", "eta": 0.1}})
    (c,) = expand_grid(base, {"optimizer.lr.eta": [0.2]})
    assert c.optimizer["lr"] == {"kind": "constant", "eta": 0.2}
    assert base.optimizer["lr"]["eta"] == 0.1


@pytest.mark.parametrize("grid", [{"nope": [1]}, {"problem.kappa": []}, {"T": 5},
                                  {("batch_size", "T"): [(1, 2, 3)]}, {"T.x": [1]}])
def test_expand_grid_rejects_bad_grids(grid):
    with pytest.raises(ValueError):
        expand_grid(BASE, grid)


# -- store and caching ---------------------------------------------------------------
def test_second_sweep_loads_everything(tmp_path):
    cfgs = expand_grid(BASE, GRID)
    log = tmp_path / "calls.txt"
    store = ResultStore(tmp_path / "store")
    first = run_sweep(cfgs, store=store, engine="sequential", run_fn=CountingRun(log), progress=True)
    assert len(calls(log)) == 8 and len(store) == 8
    assert all(store.path(c) == store.root / f"{c.hash()}.npz" and store.has(c) for c in cfgs)
    log.unlink()
    # a store given as a path works the same; nothing is recomputed
    second = run_sweep(cfgs, store=str(tmp_path / "store"), engine="sequential", run_fn=CountingRun(log))
    assert calls(log) == []
    for a, b in zip(first, second, strict=True):
        assert_same(a, b)
        assert b.config == a.config
    # results come back in the order of the configs
    assert [r.config_hash for r in second] == [c.hash() for c in cfgs]


def test_duplicates_run_once_and_no_store_caches_nothing(tmp_path):
    a, b = expand_grid(BASE, {"problem.kappa": [10.0, 100.0]})
    log = tmp_path / "calls.txt"
    out = run_sweep([a, b, a.replace(tags={"label": "again"})], engine="sequential",
                    run_fn=CountingRun(log))
    assert sorted(calls(log)) == sorted([a.hash(), b.hash()])
    assert_same(out[0], out[2])
    assert out[2].config["tags"] == {"label": "again"} and out[0].config["tags"] == {}
    run_sweep([a], engine="sequential", run_fn=CountingRun(log))
    assert len(calls(log)) == 3  # no store: computed again


def test_store_table_results_and_clear(tmp_path):
    cfgs = expand_grid(BASE, {"problem.kappa": [10.0, 100.0]})
    store = ResultStore(tmp_path)
    assert store.table().empty and store.results() == []
    with pytest.raises(FileNotFoundError):
        store.load(cfgs[0])
    run_sweep(cfgs[:1], store=store, engine="sequential")
    with pytest.raises(FileNotFoundError):
        store.table(cfgs)
    assert set(store.table(cfgs, missing="skip")["problem.kappa"]) == {10.0}
    run_sweep(cfgs, store=store, engine="sequential")
    (tmp_path / ".tmp-partial.npz").write_bytes(b"half a file")  # a killed writer's leftover
    assert len(store.results()) == 2 and len(store) == 2
    df = store.table(cfgs)
    S, K = 3, len(store.load(cfgs[0]).steps)
    assert len(df) == 2 * 2 * S * K  # configs x metrics x seeds x checkpoints
    assert set(df["problem.kappa"]) == {10.0, 100.0} and set(df["T"]) == {200}
    assert set(df["config_hash"]) == {c.hash() for c in cfgs}
    assert store.clear() == 2 and len(store) == 0 and not list(tmp_path.glob("*.npz"))


def test_store_refuses_inconsistent_result(tmp_path):
    r = run_config(BASE)
    r.meta["config_hash"] = "0" * 16
    with pytest.raises(ValueError, match="config_hash"):
        ResultStore(tmp_path).save(r)


def test_unreadable_cached_file_is_recomputed(tmp_path):
    store = ResultStore(tmp_path)
    store.root.mkdir(exist_ok=True)
    store.path(BASE).write_bytes(b"not an npz")
    log = tmp_path / "calls.txt"
    with pytest.warns(RuntimeWarning, match="unreadable"):
        (r,) = run_sweep([BASE], store=store, engine="sequential", run_fn=CountingRun(log))
    assert len(calls(log)) == 1
    assert_same(store.load(BASE), r)


# -- interruption and resume ---------------------------------------------------------
@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_interrupted_sweep_keeps_finished_runs_and_resumes(tmp_path, exc):
    cfgs = expand_grid(BASE, GRID)
    store = ResultStore(tmp_path / "store")
    log = tmp_path / "calls.txt"
    with pytest.raises(exc) as info:
        run_sweep(cfgs, store=store, engine="sequential", run_fn=CountingRun(log, fail_after=3, exc=exc))
    assert any("run_sweep again" in n for n in getattr(info.value, "__notes__", []))
    assert len(store) == 3 and all(store.has(c) for c in cfgs[:3])
    log2 = tmp_path / "calls2.txt"
    out = run_sweep(cfgs, store=store, engine="sequential", run_fn=CountingRun(log2))
    assert calls(log2) == [c.hash() for c in cfgs[3:]]  # only the unfinished ones
    assert len(out) == 8 and len(store) == 8


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_process_loses_no_finished_run(tmp_path):
    # the sweep process is SIGKILLed (no cleanup, no exception handlers) while starting run 4
    script = textwrap.dedent(f"""
        import os, signal
        from theory_lab.runner import run_config
        from theory_lab.sweep import run_sweep
        from tests.test_sweep import BASE, GRID, expand_grid
        n = 0
        def run_fn(cfg):
            global n
            n += 1
            if n == 4:
                os.kill(os.getpid(), signal.SIGKILL)
            return run_config(cfg)
        run_sweep(expand_grid(BASE, GRID), store={str(tmp_path / "store")!r},
                  engine="sequential", run_fn=run_fn)
    """)
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    cfgs = expand_grid(BASE, GRID)
    store = ResultStore(tmp_path / "store")
    assert [store.has(c) for c in cfgs] == [True] * 3 + [False] * 5
    log = tmp_path / "calls.txt"
    run_sweep(cfgs, store=store, engine="sequential", run_fn=CountingRun(log))
    assert calls(log) == [c.hash() for c in cfgs[3:]]


# -- engines -------------------------------------------------------------------------
def test_joblib_matches_sequential(tmp_path):
    cfgs = expand_grid(BASE, GRID)
    seq = run_sweep(cfgs, engine="sequential")
    log = tmp_path / "calls.txt"
    par = run_sweep(cfgs, store=tmp_path / "store", engine="joblib", n_jobs=2, run_fn=CountingRun(log))
    assert sorted(calls(log)) == sorted(c.hash() for c in cfgs)  # workers ran each once
    for a, b in zip(seq, par, strict=True):
        assert_same(a, b)
    # the parallel workers stored exactly what they returned
    for c, b in zip(cfgs, par, strict=True):
        assert_same(ResultStore(tmp_path / "store").load(c), b)


def test_dask_matches_sequential(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    cfgs = expand_grid(BASE, {"problem.kappa": [10.0, 100.0], "batch_size": [1, 4]})
    seq = run_sweep(cfgs, engine="sequential")
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        by_cluster = run_sweep(cfgs, store=tmp_path / "a", engine="dask", dask_address=cluster)
        by_address = run_sweep(cfgs, engine="dask", dask_address=cluster.scheduler_address)
    for a, b, c in zip(seq, by_cluster, by_address, strict=True):
        assert_same(a, b)
        assert_same(a, c)
    assert len(ResultStore(tmp_path / "a")) == 4


def test_bad_arguments():
    with pytest.raises(ValueError, match="engine"):
        run_sweep([BASE], engine="spark")
    with pytest.raises(ValueError, match="n_jobs"):
        run_sweep([BASE], n_jobs=0)
    with pytest.raises(ValueError, match="RunConfig"):
        run_sweep([BASE.to_dict()])


def test_interrupted_parallel_sweep_resumes_only_missing(tmp_path):
    # last in the file on purpose: a failed joblib call shuts its worker pool down, and
    # restarting the pool (importing theory_lab in each worker) costs seconds
    cfgs = expand_grid(BASE, GRID)
    store = ResultStore(tmp_path / "store")
    bad = cfgs[5].hash()
    with pytest.raises(RuntimeError, match="planned failure"):
        run_sweep(cfgs, store=store, n_jobs=2, run_fn=CountingRun(tmp_path / "c1", fail_on=[bad]))
    stored = {c.hash() for c in cfgs if store.has(c)}
    assert bad not in stored
    log = tmp_path / "c2"
    run_sweep(cfgs, store=store, engine="sequential", run_fn=CountingRun(log))
    assert sorted(calls(log)) == sorted({c.hash() for c in cfgs} - stored)
    assert len(store) == 8
