"""The path a new user takes to extend the lab, end to end, in fresh processes.

Write a problem and a method in a folder outside the package, list and run them from the
CLI, sweep them on two joblib workers, plot, then edit the method and see the cache
recompute.  Also: a method registered in one's own script reaches ``run_sweep(n_jobs=2)``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from theory_lab.plotting import legend_labels
from theory_lab.results import RunResult

ROOT = Path(__file__).resolve().parents[1]

PROBLEM = '''
"""A plugin problem: a diagonal quadratic with per-coordinate noise."""
import math

import numpy as np

from problems import register
from theory_lab.backends import get_backend, namespace


class ToyQuadratic:
    name = "toy_quadratic"

    def __init__(self, L_vec, noise, w0, backend=None):
        self.backend = get_backend(backend)
        self._L, self._noise, self._w0 = L_vec, noise, w0
        self.dim, self.f_star = L_vec.size, 0.0
        self.L_vec = self.backend.asarray(L_vec)
        self.w0 = self.backend.asarray(w0)

    def value(self, w):
        return 0.5 * namespace(w).sum(self.L_vec * w * w, axis=-1)

    def gradient(self, w):
        return self.L_vec * w

    def stochastic_gradient(self, w, batch_size, streams):
        return self.gradient(w) + self._noise * streams.normal(self.dim) / math.sqrt(batch_size)

    def constants(self):
        return {"d": self.dim, "L": float(self._L.max()), "mu": float(self._L.min()),
                "kappa": float(self._L.max() / self._L.min())}

    def to_backend(self, backend):  # keeps the data: the seed's w0 survives
        return ToyQuadratic(self._L, self._noise, self._w0, backend=backend)


@register("toy_quadratic")
def toy_quadratic(d: int = 10, noise: float = 0.01, seed: int = 0):
    """Diagonal quadratic with L_i = 1/i, a seeded start and noise of std `noise`."""
    if d < 1:
        raise ValueError(f"d must be >= 1, got {d}")
    w0 = np.random.default_rng(seed).uniform(-1, 1, d)
    return ToyQuadratic(1.0 / np.arange(1, d + 1), float(noise), w0)
'''

METHOD = '''
"""A plugin method."""
from theory_lab.optimizers import Optimizer, register


@register("toy_gd")
def toy_gd(lr, T=None):
    """Gradient descent, a plugin method."""
    def init(w0):
        return {"w": w0}

    def step(state, grad, t):
        return {"w": state["w"] - __SCALE__ * lr * grad}

    return Optimizer("toy_gd", init, step, {"lr": lr})
'''


DRIVER = """
import sys
from theory_lab import cli
from pathlib import Path
for argv in {calls!r}:
    if argv[0] == "!write":  # edit a file between two calls (the user edits the plugin)
        Path(argv[1]).write_text(argv[2])
        continue
    print("$", " ".join(argv), flush=True)
    print("$", " ".join(argv), file=sys.stderr, flush=True)
    rc = cli.main(argv)
    print("rc", rc, flush=True)
"""


def drive(tmp: Path, env: dict, *calls: list[str]) -> list[tuple[str, str]]:
    """Run CLI calls in one fresh process (one import); (stdout, stderr) per call."""
    out = subprocess.run([sys.executable, "-c", DRIVER.format(calls=[list(c) for c in calls])],
                         capture_output=True, text=True, env=env, cwd=tmp, timeout=300)
    assert out.returncode == 0, out.stderr
    outs = out.stdout.split("$ ")[1:]
    errs = out.stderr.split("$ ")[1:]
    n = sum(c[0] != "!write" for c in calls)
    assert len(outs) == n and all(o.rstrip().endswith("rc 0") for o in outs), out.stderr
    return list(zip(outs, errs + [""] * (len(outs) - len(errs)), strict=True))


@pytest.fixture
def lab(tmp_path):
    """A user's folder: lab_plugins/ with a problem and a method; a clean environment."""
    plugins = tmp_path / "lab_plugins"
    plugins.mkdir()
    (plugins / "toy_problem.py").write_text(PROBLEM)
    (plugins / "toy_method.py").write_text(METHOD.replace("__SCALE__", "1.0"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    env.pop("THEORY_LAB_PLUGINS", None)
    return tmp_path, plugins, env


def sweep_file(path: Path) -> Path:
    spec = {"base": {"problem": {"name": "toy_quadratic", "d": 8}, "optimizer": {"name": "toy_gd", "lr": "1/L"},
                     "T": 60, "seeds": "0:2", "n_checkpoints": 10},
            "grid": {"optimizer.lr": ["0.5/L", "1/L"]}}
    path.write_text(json.dumps(spec))
    return path


def test_plugin_folder_reaches_list_run_sweep_and_plot(lab):
    tmp, plugins, env = lab
    spec = str(sweep_file(tmp / "sweep.json"))
    store = tmp / "results" / "cache"
    plug = ["--plugin", str(plugins)]
    # one fresh process for the CLI calls; the sweep's two loky workers are fresh too and
    # know nothing of the plugin unless the sweep sends it
    (lp, _), (lo, _), (run, _), (sw, sw_err), (sw2, _) = drive(
        tmp, env,
        [*plug, "list", "problems"],
        ["list", "optimizers"],
        [*plug, "run", "--problem", "toy_quadratic", "-p", "d=8", "--optimizer", "toy_gd",
         "-o", "lr=1/L", "--T", "60", "--seeds", "0:2", "--out", "run.npz"],
        [*plug, "sweep", spec, "--n-jobs", "2"],   # no --cache: the default store
        [*plug, "sweep", spec, "--n-jobs", "2"],
    )
    assert "toy_quadratic" in lp and "[d=10, noise=0.01, seed=0]" in lp
    assert "toy_gd" in lo and "Gradient descent, a plugin method." in lo
    assert "toy_quadratic x toy_gd" in run and (tmp / "run.npz").is_file()
    assert "results/cache" in sw_err and "0 served from cache" in sw
    assert "sweep: 2/2 runs done" in sw_err  # progress lines although not a terminal
    assert "2 served from cache" in sw2
    stored = sorted(store.glob("*.npz"))
    assert len(stored) == 2

    # plot the sweep: legend keyed by the swept parameter, never a hash
    ((plot, _),) = drive(tmp, env, ["plot", *map(str, stored), "--out", "toy", "--outdir", "figs"])
    assert (tmp / "figs" / "toy.png").is_file() and "toy.png" in plot
    labels = legend_labels([RunResult.load(p) for p in stored])
    assert sorted(labels) == ["lr=0.5/L", "lr=1/L"]


def test_plugin_through_the_environment_variable(lab):
    tmp, plugins, env = lab
    env = {**env, "THEORY_LAB_PLUGINS": str(plugins)}
    out = subprocess.run([sys.executable, "-m", "theory_lab", "list", "optimizers"],
                         capture_output=True, text=True, env=env, cwd=tmp, timeout=120)
    assert out.returncode == 0 and "toy_gd" in out.stdout, out.stderr


# The cache key covers the plugin's code (theory_lab/fingerprint.py hashes the module of
# the registered factory): an edited method must not be served from the old cache.
def test_editing_the_plugin_method_recomputes_the_cache(lab):
    tmp, plugins, env = lab
    spec = str(sweep_file(tmp / "sweep.json"))
    args = ["--plugin", str(plugins), "sweep", spec, "--cache", "store", "--engine", "sequential"]
    edit = ["!write", str(plugins / "toy_method.py"), METHOD.replace("__SCALE__", "0.5")]
    (first, _), (again, _), (edited, _) = drive(tmp, env, args, args, edit, args)
    assert "0 served from cache" in first and "2 served from cache" in again
    assert "0 served from cache" in edited  # the edited method's runs are recomputed
    assert "2 stale" in edited, edited  # ... and reported as stale, not as new or served


SCRIPT = '''
import warnings
from theory_lab import RunConfig
from theory_lab.optimizers import Optimizer, register
from theory_lab.sweep import expand_grid, run_sweep


def define():
    @register("script_gd")
    def script_gd(lr, T=None):
        """Gradient descent defined in a script."""
        return Optimizer("script_gd", lambda w0: {"w": w0},
                         lambda s, g, t: {"w": s["w"] - lr * g}, {"lr": lr})


if __name__ == "__main__":
    define()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        define()  # a re-run notebook cell: replaced with a warning, no error
    assert any("re-registered" in str(w.message) for w in caught)
    base = RunConfig(problem={"name": "quadratic", "d": 4, "kappa": 10}, optimizer={"name": "script_gd", "lr": 0.1},
                     T=20, seeds=(0,), n_checkpoints=5)
    results = run_sweep(expand_grid(base, {"optimizer.lr": [0.1, 0.2]}), n_jobs=2, progress=False)
    print("OK", len(results))
'''


def test_method_registered_in_a_script_reaches_joblib_workers(tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "script.py"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "OK 2" in out.stdout
