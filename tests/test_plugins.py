"""Plugins (theory_lab.plugins): loading from files, folders, modules, the environment and
entry points; re-registration; what sweep workers receive."""

import inspect
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import problems
import theory_lab.optimizers as optimizers
from theory_lab import plugins

ROOT = Path(__file__).resolve().parents[1]

METHOD = '''
"""A plugin optimizer."""
from theory_lab.optimizers import Optimizer, register


@register("{name}")
def {name}(lr, T=None):
    """Plain gradient step times {scale}."""
    def init(w0):
        return {{"w": w0}}

    def step(state, grad, t):
        return {{"w": state["w"] - {scale} * lr * grad}}

    return Optimizer("{name}", init, step, {{"lr": lr}})
'''


def write_method(path, name="plugin_gd", scale=1.0):
    path.write_text(METHOD.format(name=name, scale=scale))
    return path


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    """Registries and the plugin bookkeeping are restored after each test."""
    for mod in (problems, optimizers):
        monkeypatch.setattr(mod, "REGISTRY", dict(mod.REGISTRY))
        monkeypatch.setattr(mod, "ORIGINS", dict(mod.ORIGINS))
    monkeypatch.setattr(plugins, "_LOADED", {})
    monkeypatch.setattr(plugins, "_ENTRY_POINTS_DONE", False)
    monkeypatch.delenv(plugins.ENV_VAR, raising=False)
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(plugins.PACKAGE + "."):
            del sys.modules[name]


def test_file_plugin_is_a_real_module_with_source(tmp_path):
    path = write_method(tmp_path / "my_method.py")
    (mod,) = plugins.load_plugin(path)
    assert mod.__name__.startswith("theory_lab_plugins.my_method_")
    assert sys.modules[mod.__name__] is mod and mod.__file__ == str(path.resolve())
    factory = optimizers.REGISTRY["plugin_gd"]
    assert inspect.getmodule(factory) is mod
    assert "Plain gradient step" in inspect.getsource(factory)
    assert optimizers.ORIGINS["plugin_gd"] == {"module": mod.__name__, "file": str(path.resolve())}
    # idempotent: loading again runs nothing, the name stays stable
    assert plugins.load_plugin(str(path)) == [mod]
    assert plugins.loaded_plugins() == [str(path.resolve())]


def test_folder_plugin_skips_tests_and_private_files(tmp_path):
    write_method(tmp_path / "a.py", "plugin_a")
    write_method(tmp_path / "b.py", "plugin_b")
    (tmp_path / "test_a.py").write_text("raise RuntimeError('a test file was imported')\n")
    (tmp_path / "_helper.py").write_text("raise RuntimeError('a private file was imported')\n")
    mods = plugins.load_plugin(tmp_path)
    assert len(mods) == 2 and {"plugin_a", "plugin_b"} <= set(optimizers.REGISTRY)


def test_module_name_env_var_and_missing_entries(tmp_path, monkeypatch):
    write_method(tmp_path / "envplug.py", "plugin_env")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.load_plugins(["envplug"], entry_points=False)  # a dotted module name
    assert "plugin_env" in optimizers.REGISTRY
    other = write_method(tmp_path / "other.py", "plugin_other")
    monkeypatch.setenv(plugins.ENV_VAR, f"{other}{__import__('os').pathsep}")
    plugins.load_plugins(entry_points=False)
    assert "plugin_other" in optimizers.REGISTRY
    with pytest.raises(ValueError, match="plugin not found"):
        plugins.load_plugin(tmp_path / "nope.py")
    with pytest.raises(ValueError, match="neither a path nor an importable module"):
        plugins.load_plugin("no_such_module_xyz")


def test_entry_points_are_loaded(tmp_path, monkeypatch):
    import importlib.metadata

    write_method(tmp_path / "installed_plugin.py", "plugin_installed")
    (tmp_path / "installed_setup.py").write_text(
        "def setup():\n"
        "    from theory_lab.optimizers import register\n"
        "    register('plugin_setup')(lambda lr, T=None: None)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [importlib.metadata.EntryPoint("mine", "installed_plugin", plugins.ENTRY_POINT_GROUP),
           importlib.metadata.EntryPoint("setup", "installed_setup:setup", plugins.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group: eps if group == plugins.ENTRY_POINT_GROUP else [])
    plugins.load_plugins()
    assert {"plugin_installed", "plugin_setup"} <= set(optimizers.REGISTRY)
    # recorded as entries, so a sweep's workers load them too
    assert plugins.worker_bundle().entries == ["installed_plugin", "installed_setup:setup"]
    with pytest.raises(ValueError, match="no callable"):
        plugins.load_plugin("installed_setup:nope")


def test_reregistering_same_module_replaces_with_warning_other_module_raises():
    def factory(lr, T=None):
        """first"""

    def factory2(lr, T=None):
        """second"""

    optimizers.register("plugin_twice")(factory)
    with pytest.warns(RuntimeWarning, match="re-registered"):
        optimizers.register("plugin_twice")(factory2)  # a re-run notebook cell
    assert optimizers.REGISTRY["plugin_twice"] is factory2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.register("plugin_twice")(factory2)  # the same object: silent no-op
    with pytest.raises(ValueError, match="already registered by module"):
        optimizers.register("sgd")(factory)  # a built-in name from another module
    with pytest.raises(ValueError, match="already registered by module"):
        problems.register("quadratic")(factory)


def test_edited_plugin_file_is_reloaded(tmp_path):
    path = write_method(tmp_path / "edit_me.py", scale=1.0)
    (mod,) = plugins.load_plugin(path)
    first = optimizers.REGISTRY["plugin_gd"]
    write_method(path, scale=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a reload replaces silently
        (mod2,) = plugins.load_plugin(path)
    assert mod2.__name__ == mod.__name__ and optimizers.REGISTRY["plugin_gd"] is not first
    assert "2.0 * lr" in inspect.getsource(optimizers.REGISTRY["plugin_gd"])


def test_worker_bundle_carries_entries_and_main_factories(tmp_path):
    path = write_method(tmp_path / "m.py")
    (mod,) = plugins.load_plugin(path)

    def main_factory(lr, T=None):
        """defined in a script"""

    main_factory.__module__ = "__main__"
    optimizers.register("plugin_main")(main_factory)
    bundle = plugins.worker_bundle()
    assert bundle.entries == [str(path.resolve())]
    assert bundle.by_value["optimizers"] == {"plugin_main": main_factory}
    # a fresh worker: nothing loaded, nothing registered; then activate
    optimizers.REGISTRY.pop("plugin_main")
    optimizers.REGISTRY.pop("plugin_gd")
    del sys.modules[mod.__name__]
    plugins.activate(bundle)
    assert optimizers.REGISTRY["plugin_main"] is main_factory and "plugin_gd" in optimizers.REGISTRY


def test_cli_plugin_option_lists_parameters(tmp_path, capsys):
    from theory_lab import cli

    write_method(tmp_path / "cli_plug.py", "plugin_cli")
    assert cli.main(["--plugin", str(tmp_path / "cli_plug.py"), "list", "optimizers"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("plugin_cli"))
    assert "Plain gradient step times 1.0." in line and "[lr]" in line
    write_method(tmp_path / "cli_plug2.py", "plugin_cli2")
    assert cli.main(["--plugin", str(tmp_path / "cli_plug.py"), "list", "optimizers",
                     "--plugin", str(tmp_path / "cli_plug2.py")]) == 0  # before and after
    assert "plugin_cli2" in capsys.readouterr().out
    assert cli.main(["list", "optimizers", "--plugin", str(tmp_path / "missing.py")]) == 2
    assert "plugin not found" in capsys.readouterr().err


def test_plain_text_summaries():
    from theory_lab.cli import plain_text, summary_line

    doc = textwrap.dedent("""\
        Heavy ball with :math:`\\beta \\in [0, 1)` and ``lr`` from :func:`~theory_lab.schedules.make_schedule`
        (Ge et al. 2019). Second sentence.

        Parameters
        ----------
        """)
    assert summary_line(doc) == ("Heavy ball with beta in [0, 1) and lr from make_schedule "
                                 "(Ge et al. 2019).")
    assert plain_text(r"$\|g\|_2$ and **bold**") == "|g|_2 and bold"


def test_dask_workers_get_plugin_methods_by_value(tmp_path):
    """A dask worker process that cannot see the plugin file still runs its method."""
    distributed = pytest.importorskip("dask.distributed")
    from theory_lab import RunConfig
    from theory_lab.sweep import run_sweep

    path = write_method(tmp_path / "remote_method.py", "plugin_remote", scale=0.5)
    plugins.load_plugin(path)
    path.unlink()  # no shared file system: the worker gets the factory by value
    cfg = RunConfig(problem={"name": "quadratic", "d": 4, "kappa": 10, "sigma": 0.0},
                    optimizer={"name": "plugin_remote", "lr": "1/L"}, T=20, seeds=(0,),
                    n_checkpoints=5)
    seq = run_sweep([cfg], engine="sequential", progress=False)[0]
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        (res,) = run_sweep([cfg], engine="dask", dask_address=cluster, progress=False)
    assert res.meta.get("config_hash") == seq.meta.get("config_hash")
    assert (res.suboptimality == seq.suboptimality).all()


def test_registries_and_cli_import_no_heavy_modules():
    """`theory-lab list` stays fast: the registries import no scipy.stats, torch, cvxpy or sklearn."""
    import subprocess

    code = ("import sys, problems, theory_lab.optimizers, theory_lab.cli, theory_lab.plugins; "
            "print(sorted(m for m in ('scipy.stats', 'scipy.optimize', 'torch', 'cvxpy', 'sklearn', "
            "'sympy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


HEAVY = ("sympy", "networkx", "scipy.sparse", "scipy.stats", "torch", "cvxpy", "sklearn", "matplotlib")


def test_list_optimizers_imports_no_heavy_modules():
    """`theory-lab list optimizers` (decentralized and local methods included) imports none of
    sympy, networkx, scipy.sparse, scipy.stats, torch, cvxpy, sklearn, matplotlib: it takes < 1 s."""
    import subprocess

    code = ("import contextlib, io, runpy, sys; sys.argv = ['theory_lab', 'list', 'optimizers']\n"
            "with contextlib.redirect_stdout(io.StringIO()) as buf:\n"
            "    try:\n"
            "        runpy.run_module('theory_lab', run_name='__main__')\n"
            "    except SystemExit as e:\n"
            "        assert not e.code, e.code\n"
            "assert '--runner decentralized' in buf.getvalue(), buf.getvalue()\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _readme_block(section: str) -> str:
    import re

    text = (ROOT / "README.md").read_text()
    body = text[text.index(section):]
    return re.search(r"```python\n(.*?)```", body, re.S).group(1)


def test_readme_examples_work_as_plugin_files(tmp_path):
    """The README's files, saved where it says, honour the seed, check inputs and go down."""
    import numpy as np

    from theory_lab import RunConfig
    from theory_lab.backends import get_backend
    from theory_lab.runner import run_config

    folder = tmp_path / "lab_plugins"
    folder.mkdir()
    for section in ("### Adding a problem", "### Adding an optimizer"):
        code = _readme_block(section)
        first = code.splitlines()[0]
        assert first.startswith("# lab_plugins/")  # the README says where the file goes
        (tmp_path / first[2:].strip()).write_text(code)
    assert len(plugins.load_plugin(folder)) == 2
    make = problems.make
    a, b = make("my_diagonal_quadratic", d=5, seed=0), make("my_diagonal_quadratic", d=5, seed=3)
    assert not np.allclose(a.w0, b.w0)
    moved = b.to_backend(get_backend("numpy"))  # what the runner does: the seed survives
    assert np.array_equal(np.asarray(moved.w0), np.asarray(b.w0))
    with pytest.raises(ValueError, match="d must be"):
        make("my_diagonal_quadratic", d=0)
    with pytest.raises(ValueError, match="beta"):
        optimizers.make("nesterov", lr=0.1, beta=1.5)
    cfg = RunConfig(problem={"name": "my_diagonal_quadratic"},
                    optimizer={"name": "nesterov", "lr": "1/L", "beta": 0.5},
                    T=300, seeds=range(3), n_checkpoints=10)
    runs = [run_config(cfg.replace(problem={"name": "my_diagonal_quadratic", "seed": s}))
            for s in (0, 3)]
    assert runs[0].config_hash != runs[1].config_hash
    assert not np.allclose(runs[0].suboptimality[:, 0], runs[1].suboptimality[:, 0])
    for res in runs:  # default noise: the floor lies far below f(w0), the curve goes down
        assert np.all(res.suboptimality[:, -1] < 0.05 * res.suboptimality[:, 0])


CLAIM_PLUGIN = '''
"""A user's claim, shipped as a plugin file: the lab's verify command must find it."""
from theory_lab.claims import Claim, Measurement, Mutant, register


def measure(scale, variant):
    # gradient descent on f = x^2/2 with step lr contracts by |1 - lr| per step
    lr = float(variant.get("lr", 0.5))
    x = 1.0
    for _ in range(10):
        x -= lr * x
    return Measurement(abs(x), bound=0.5 ** 10)


register(Claim(
    id="userpaper.gd_contraction", paper="userpaper",
    statement="GD with lr = 1/2 on x^2/2 contracts by exactly 1/2 per step.",
    source="[R] a user's own claim", kind="upper", predicted=1.0, tolerance=1e-12,
    tightness_floor=0.99, measure=measure,
    mutants=(Mutant("lr_small", "lr = 0.1", {"lr": 0.1}), Mutant("lr_large", "lr = 1.9", {"lr": 1.9})),
))
'''


def test_a_plugin_claim_reaches_the_verify_command(tmp_path):
    """Claims can live outside the package: `--plugin FILE verify` measures them and tries
    their mutants (both must be rejected: lr = 0.1 is above the bound, lr = 1.9 too)."""
    import json
    import subprocess

    (tmp_path / "my_claims.py").write_text(CLAIM_PLUGIN)
    out = subprocess.run(
        [sys.executable, "-m", "theory_lab", "--plugin", str(tmp_path / "my_claims.py"), "verify",
         "--paper", "userpaper", "--scale", "test", "--out", str(tmp_path / "report")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "userpaper.gd_contraction: holds" in out.stdout
    report = json.loads((tmp_path / "report" / "verification.json").read_text())
    (entry,) = report["papers"]["userpaper"]
    assert entry["mutants_rejected"] == 2 and entry["status"] == "holds"
