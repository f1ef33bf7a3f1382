"""The result store serves a file only if it is the run asked for, by the current code.

Each test is a way the cache could lie (a swapped file, an edited array, a version bump,
an edited method module) or a housekeeping failure (file mode, clear(), table(), a
read-only store), and checks that it is caught.
"""

import importlib.util
import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import problems
import theory_lab
from theory_lab import RunConfig, cli
from theory_lab import optimizers as optimizers_registry
from theory_lab.errors import UserError
from theory_lab.fingerprint import changed_modules, code_fingerprint, code_modules
from theory_lab.results import ARRAYS, CorruptResult, RunResult, StaleResult
from theory_lab.runner import run_config
from theory_lab.sweep import ResultStore, run_sweep

BASE = RunConfig(problem={"name": "quadratic", "d": 4, "kappa": 10.0, "sigma": 0.5},
                 optimizer={"name": "sgd", "lr": "1/L"}, T=20, seeds=(0, 1), n_checkpoints=5)
OTHER = BASE.with_path("optimizer.lr", "0.5/L")


class CountingRun:
    """Picklable run_fn logging the hash of every config it computes."""

    def __init__(self, log):
        self.log = str(log)

    def __call__(self, cfg):
        with open(self.log, "a") as fh:
            fh.write(cfg.hash() + "\n")
        return run_config(cfg)


def calls(log) -> list[str]:
    return Path(log).read_text().split() if Path(log).exists() else []


def sweep(cfgs, store, log, **kw):
    return run_sweep(cfgs, store=store, engine="sequential", run_fn=CountingRun(log),
                     progress=False, **kw)


def same_numbers(a, b) -> bool:
    return all(np.array_equal(getattr(a, n), getattr(b, n), equal_nan=True) for n in ARRAYS)


@pytest.fixture
def filled(tmp_path):
    store = ResultStore(tmp_path / "store")
    log = tmp_path / "calls.txt"
    first = sweep([BASE, OTHER], store, log)
    assert len(calls(log)) == 2
    log.unlink()
    return store, log, first


def test_valid_files_are_served_and_meta_records_provenance(filled):
    store, log, first = filled
    again = sweep([BASE, OTHER], store, log)
    assert calls(log) == [] and again.report.served == [BASE.hash(), OTHER.hash()]
    meta = again[0].meta
    assert meta["seeds"] == [0, 1] and meta["version"] == theory_lab.__version__
    assert meta["code_fingerprint"] == code_fingerprint(BASE, CountingRun(log))
    assert meta["backend"] == "numpy" and meta["config_hash"] == BASE.hash()
    key = meta["cache_key"]
    assert {"theory_lab.runner", "problems.quadratic", "theory_lab.optimizers.heavy_ball",
            "test_cache_trust"} <= {k.rpartition("tests.")[2] for k in key["code_modules"]}


def test_swapped_file_is_recomputed_not_relabelled(filled):
    store, log, first = filled
    shutil.copy(store.path(OTHER), store.path(BASE))  # lr=0.5/L's valid file under lr=1/L's name
    with pytest.raises(CorruptResult, match="holds the run of config"):
        store.load(BASE)
    with pytest.warns(RuntimeWarning, match="1 corrupt"):
        out = sweep([BASE, OTHER], store, log)
    assert calls(log) == [BASE.hash()]
    assert out.report.corrupt.keys() == {BASE.hash()} and out.report.served == [OTHER.hash()]
    assert same_numbers(out[0], first[0]) and not same_numbers(out[0], first[1])
    assert store.load(BASE).config["optimizer"]["lr"] == "1/L"


def test_swapped_config_with_forged_hash_is_rejected(filled):
    store, log, _ = filled
    r = RunResult.load(store.path(OTHER))
    r.meta["config_hash"] = BASE.hash()  # forged label, other config inside
    r.save(store.path(BASE))
    with pytest.raises(CorruptResult, match="another config"):
        store.load(BASE)


def test_edited_array_fails_the_checksum(filled):
    store, log, first = filled
    path = store.path(BASE)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["suboptimality"] = arrays["suboptimality"] * 0.5  # a "better" result
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(CorruptResult, match="checksum"):
        store.load(BASE)
    with pytest.warns(RuntimeWarning, match="corrupt: 1 checksum"):
        out = sweep([BASE], store, log)
    assert calls(log) == [BASE.hash()] and same_numbers(out[0], first[0])


def test_version_bump_makes_results_stale(filled, monkeypatch):
    store, log, _ = filled
    monkeypatch.setattr(theory_lab, "__version__", "99.0")
    with pytest.raises(StaleResult, match="version"):
        store.load(BASE)
    with pytest.warns(RuntimeWarning, match="2 stale: 2 version changed"):
        out = sweep([BASE, OTHER], store, log)
    assert sorted(calls(log)) == sorted([BASE.hash(), OTHER.hash()])
    assert out.report.served == [] and len(out.report.stale) == 2
    assert store.load(BASE).meta["version"] == "99.0"


def test_file_without_cache_key_is_stale(tmp_path):
    r = run_config(BASE)
    r.save(tmp_path / f"{BASE.hash()}.npz")  # written outside the store: no cache key
    with pytest.raises(StaleResult, match="older lab"):
        ResultStore(tmp_path).load(BASE)


PLUGIN = '''
"""A user plugin: a problem and an optimizer registered from outside the lab."""
from problems import register
from problems.quadratic import anisotropic_quadratic
from theory_lab.optimizers import register as register_optimizer
from theory_lab.optimizers.heavy_ball import sgd

SCALE = {scale}


@register("{name}")
def plugin_problem(d: int = 4, seed: int = 0):
    """Plugin quadratic."""
    return anisotropic_quadratic(d=d, kappa=10.0, L=SCALE, sigma=0.5, seed=seed)


@register_optimizer("{name}_sgd")
def plugin_sgd(lr, T=None):
    """Plugin SGD."""
    return sgd(lr, T)
'''


@pytest.fixture
def plugin(tmp_path):
    name = f"plugin_{os.getpid()}_{tmp_path.name}".replace("-", "_")
    path = tmp_path / f"{name}.py"

    def load(scale):
        problems.REGISTRY.pop(name, None)
        optimizers_registry.REGISTRY.pop(f"{name}_sgd", None)
        path.write_text(PLUGIN.format(scale=scale, name=name))
        os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return name

    yield load
    problems.REGISTRY.pop(name, None)
    optimizers_registry.REGISTRY.pop(f"{name}_sgd", None)
    sys.modules.pop(name, None)


def test_editing_a_plugin_module_makes_results_stale(plugin, tmp_path):
    name = plugin("1.0")
    cfg = BASE.replace(problem={"name": name, "d": 4}, optimizer={"name": f"{name}_sgd", "lr": 0.1})
    assert name in code_modules(cfg)  # the plugin's own file is fingerprinted
    fp = code_fingerprint(cfg)
    store, log = ResultStore(tmp_path / "store"), tmp_path / "calls.txt"
    first = sweep([cfg], store, log)
    assert sweep([cfg], store, log).report.served == [cfg.hash()] and len(calls(log)) == 1

    plugin("2.5")  # the method's module is edited (and reloaded)
    assert code_fingerprint(cfg) != fp
    with pytest.raises(StaleResult, match=f"code changed.*{name}"):
        store.load(cfg)
    with pytest.warns(RuntimeWarning, match="1 stale: 1 code changed"):
        out = sweep([cfg], store, log)
    assert len(calls(log)) == 2 and out.report.stale.keys() == {cfg.hash()}
    assert not same_numbers(out[0], first[0])  # the new code's numbers, not the old file's


def test_refresh_recomputes_valid_results(filled):
    store, log, _ = filled
    out = sweep([BASE, OTHER], store, log, refresh=True)
    assert len(calls(log)) == 2 and len(out.report.refreshed) == 2 and out.report.served == []
    assert "recomputed 2 (2 refreshed)" in out.report.summary()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_are_readable_by_the_group_under_the_usual_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = ResultStore(tmp_path).save(run_config(BASE))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


def test_clear_removes_only_the_labs_results(filled):
    store, _, _ = filled
    foreign = store.root / "embeddings.npz"
    np.savez(foreign, x=np.arange(3))
    lookalike = store.root / ("ab" * 8 + ".npz")  # a hash-like name, not a result record
    np.savez(lookalike, x=np.arange(3))
    (store.root / ".tmp-killed-writer.npz").write_bytes(b"half")
    assert len(store) == 3  # name pattern: the two results and the look-alike
    assert store.clear() == 2
    assert sorted(p.name for p in store.root.iterdir()) == sorted([foreign.name, lookalike.name])


def test_table_skips_and_names_bad_files(filled):
    store, _, _ = filled
    store.path(OTHER).write_bytes(b"not an npz")
    with pytest.warns(RuntimeWarning, match="skipped 1 unusable"):
        df = store.table()
    assert set(df["config_hash"]) == {BASE.hash()}
    assert [n for n, _ in store.skipped] == [store.path(OTHER).name]
    assert "unreadable" in store.skipped[0][1]
    with pytest.warns(RuntimeWarning), pytest.raises(FileNotFoundError, match="unusable"):
        store.table([BASE, OTHER])
    with pytest.warns(RuntimeWarning):
        assert set(store.table([BASE, OTHER], missing="skip")["config_hash"]) == {BASE.hash()}


def test_read_only_store_fails_before_computing(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    log = tmp_path / "calls.txt"
    with pytest.raises(UserError, match="not writable") as info:
        sweep([BASE, OTHER], ResultStore(blocker / "store"), log)
    assert calls(log) == [] and "\n" not in str(info.value) and str(blocker / "store") in str(info.value)


def test_cli_sweep_distinguishes_served_stale_corrupt_and_new(tmp_path, capsys, monkeypatch):
    spec = {"base": {"problem": {"name": "quadratic", "d": 4, "sigma": 0.1},
                     "optimizer": {"name": "sgd", "lr": "1/L"}, "T": 20, "seeds": "0:2",
                     "n_checkpoints": 5},
            "grid": {"problem.kappa": [10.0, 100.0, 1000.0]}}
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(spec))
    cache = tmp_path / "cache"
    argv = ["sweep", str(path), "--cache", str(cache), "--engine", "sequential", "--quiet"]
    assert cli.main(argv) == 0
    assert "0 served from cache, recomputed 0, 3 new" in capsys.readouterr().out
    files = sorted(cache.glob("*.npz"))
    files[0].write_bytes(b"garbage")
    with pytest.warns(RuntimeWarning):
        assert cli.main(argv) == 0
    assert "2 served from cache, recomputed 1 (1 corrupt: 1 unreadable), 0 new" in capsys.readouterr().out
    monkeypatch.setattr(theory_lab, "__version__", "99.0")
    with pytest.warns(RuntimeWarning):
        assert cli.main(argv) == 0
    assert "0 served from cache, recomputed 3 (3 stale: 3 version changed)" in capsys.readouterr().out
    assert cli.main([*argv, "--refresh"]) == 0
    assert "recomputed 3 (3 refreshed)" in capsys.readouterr().out
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert cli.main([*argv[:3], str(blocker / "c"), *argv[4:]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not writable" in err



SCRIPT = """
from theory_lab.runner import run_config


def my_run(cfg):  # a run function defined in a script run as __main__ ({tag})
    return run_config(cfg)
"""


def test_run_function_in_a_script_is_fingerprinted_by_its_file(tmp_path):
    script, store = tmp_path / "my_script.py", ResultStore(tmp_path / "store")

    def load(tag):  # what `python my_script.py` defines: functions of module "__main__"
        script.write_text(SCRIPT.format(tag=tag))
        os.utime(script, ns=(os.stat(script).st_atime_ns, os.stat(script).st_mtime_ns + 10**9))
        namespace = {"__name__": "__main__"}
        exec(compile(script.read_text(), str(script), "exec"), namespace)
        return namespace["my_run"]

    run_fn = load("v1")
    assert f"file:{script}" in code_modules(BASE, run_fn)
    assert run_sweep([BASE], store=store, engine="sequential", run_fn=run_fn).report.new
    assert run_sweep([BASE], store=store, engine="sequential", run_fn=load("v1")).report.served
    with pytest.warns(RuntimeWarning, match="1 stale: 1 code changed"):
        run_sweep([BASE], store=store, engine="sequential", run_fn=load("v2"))


def test_plugin_package_helpers_are_fingerprinted(tmp_path, monkeypatch):
    pkg = f"plugpkg_{os.getpid()}"
    root = tmp_path / pkg
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "helpers.py").write_text("KAPPA = 10.0\n")
    (root / "methods.py").write_text(textwrap.dedent(f'''
        from problems import register
        from problems.quadratic import anisotropic_quadratic
        from .helpers import KAPPA

        @register("{pkg}_quad")
        def quad(d: int = 4):
            """Plugin quadratic whose constant lives in a helper module."""
            return anisotropic_quadratic(d=d, kappa=KAPPA)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module(f"{pkg}.methods")
        cfg = BASE.replace(problem={"name": f"{pkg}_quad"})
        mods = code_modules(cfg)
        assert {f"{pkg}.methods", f"{pkg}.helpers"} <= set(mods)
        before = code_fingerprint(cfg)
        (root / "helpers.py").write_text("KAPPA = 100.0\n")
        os.utime(root / "helpers.py", ns=(0, os.stat(root / "methods.py").st_mtime_ns + 10**9))
        assert code_fingerprint(cfg) != before

        assert changed_modules(mods) == [f"{pkg}.helpers"]
    finally:
        problems.REGISTRY.pop(f"{pkg}_quad", None)
        for name in [m for m in sys.modules if m.startswith(pkg)]:
            sys.modules.pop(name)


def test_fingerprint_covers_the_run_path_not_the_input_checks():
    """The runner, loop, backends and the method's module are hashed; modules that cannot
    change a run's numbers (size guard, errors, plugin loading, the fingerprint) are not,
    so editing them does not make every cached result stale."""
    from theory_lab.fingerprint import NOT_NUMERICAL

    cfg = RunConfig(problem={"name": "quadratic", "d": 5}, optimizer={"name": "shb", "lr": "1/L",
                                                                      "beta": 0.5}, T=3)
    mods = code_modules(cfg)
    for needed in ("theory_lab.runner", "theory_lab.loop", "theory_lab.backends",
                   "theory_lab.optimizers.heavy_ball", "problems.quadratic"):
        assert needed in mods, needed
    assert not set(NOT_NUMERICAL) & set(mods), sorted(set(NOT_NUMERICAL) & set(mods))
