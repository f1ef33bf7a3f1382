"""``theory-lab new problem|optimizer NAME``: a new plugin file and its test, from a template.

The problem template honours its ``seed`` (the instance is drawn from it and
``to_backend`` keeps the data), has a ``noise`` knob whose default keeps the noise floor
far below ``f(w0)``, checks its inputs and documents itself; the optimizer template
(heavy ball) checks ``lr > 0`` and ``0 <= beta < 1``.  Each comes with a pytest file that
loads the plugin by path, so ``pytest lab_plugins`` checks it and ``theory-lab --plugin
lab_plugins ...`` uses it (files named ``test_*.py`` are not loaded as plugins).
"""

from __future__ import annotations

import keyword
from pathlib import Path
from string import Template

__all__ = ["DEFAULT_DIR", "KINDS", "scaffold"]

#: folder the files go to unless told otherwise
DEFAULT_DIR = "lab_plugins"

PROBLEM = Template('''\
"""Problem ``${name}``: a diagonal quadratic with per-coordinate noise (edit me).

Load it with ``theory-lab --plugin ${folder} ...`` (or ``THEORY_LAB_PLUGINS``), then
``theory-lab --plugin ${folder} list problems`` shows it.
"""

import math

import numpy as np
from problems import register
from theory_lab.backends import get_backend, namespace
from theory_lab.validation import check_int, check_positive


class ${cls}:
    """f(w) = 1/2 sum_i L_i w_i^2, f* = 0, gradient noise N(0, noise^2 / batch) per coordinate.

    Parameters
    ----------
    L_vec : ndarray, shape (d,)
        Curvatures, all > 0.
    noise : float
        Standard deviation of the gradient noise of one sample.
    w0 : ndarray, shape (d,)
        Starting point (drawn from the seed by the factory).
    backend : Backend, optional
        Array backend (numpy by default).
    """

    name = "${name}"

    def __init__(self, L_vec, noise, w0, backend=None):
        self.backend = get_backend(backend)
        self._L, self._w0 = np.asarray(L_vec, float), np.asarray(w0, float)
        self._noise = float(noise)
        self.dim, self.f_star = self._L.size, 0.0
        self.L_vec = self.backend.asarray(self._L)
        self.w0 = self.backend.asarray(self._w0)

    def value(self, w):
        """f at a batch of points ``w`` of shape (S, d); returns shape (S,)."""
        return 0.5 * namespace(w).sum(self.L_vec * w * w, axis=-1)

    def gradient(self, w):
        """Exact gradient, shape (S, d)."""
        return self.L_vec * w

    def stochastic_gradient(self, w, batch_size, streams):
        """Gradient plus the mean noise of ``batch_size`` samples (per-seed ``streams``)."""
        return self.gradient(w) + self._noise * streams.normal(self.dim) / math.sqrt(batch_size)

    def constants(self):
        """Declared constants: d, L, mu, kappa and the noise level sigma."""
        return {"d": self.dim, "L": float(self._L.max()), "mu": float(self._L.min()),
                "kappa": float(self._L.max() / self._L.min()), "sigma": self._noise}

    def to_backend(self, backend):
        """The same instance (same data, so the same seed) on another backend."""
        return ${cls}(self._L, self._noise, self._w0, backend=backend)


@register("${name}")
def ${name}(d: int = 10, kappa: float = 10.0, noise: float = 0.01, seed: int = 0):
    """Diagonal quadratic with log-spaced curvatures in [1/kappa, 1] and a seeded start.

    Parameters
    ----------
    d : int
        Dimension, >= 1.
    kappa : float
        Condition number, >= 1.
    noise : float
        Gradient-noise standard deviation, >= 0; the default keeps the noise floor of
        SGD with step 1/L (about noise^2 d / 4) far below f(w0).
    seed : int
        Draws the starting point: different seeds are different instances.
    """
    d = check_int("d", d)
    kappa = check_positive("kappa", kappa)
    if kappa < 1:
        raise ValueError(f"kappa must be >= 1, got {kappa!r}")
    noise = check_positive("noise", noise, allow_zero=True)
    seed = check_int("seed", seed, minimum=0)
    L_vec = np.logspace(0.0, -math.log10(kappa), d) if d > 1 else np.ones(1)
    w0 = np.random.default_rng(seed).uniform(-1.0, 1.0, d)
    return ${cls}(L_vec, noise, w0)
''')

PROBLEM_TEST = Template('''\
"""Tests of the plugin problem ``${name}`` (run: ``pytest ${folder}``)."""

from pathlib import Path

import numpy as np
import problems
import pytest
from theory_lab import RunConfig
from theory_lab.plugins import load_plugin
from theory_lab.runner import run_config

load_plugin(Path(__file__).with_name("${name}.py"))


def test_seed_gives_different_instances():
    a, b = problems.make("${name}", d=5, seed=0), problems.make("${name}", d=5, seed=1)
    assert not np.allclose(a.w0, b.w0)


def test_bad_inputs_raise():
    for bad in ({"d": 0}, {"kappa": 0.5}, {"noise": -1.0}):
        with pytest.raises(ValueError):
            problems.make("${name}", **bad)


def test_gradient_matches_finite_differences():
    p = problems.make("${name}", d=4)
    w = np.random.default_rng(0).normal(size=(1, 4))
    e = 1e-6 * np.eye(4)
    fd = [(p.value(w + e[i]) - p.value(w - e[i]))[0] / 2e-6 for i in range(4)]
    assert np.allclose(p.gradient(w)[0], fd, atol=1e-6)


def test_sgd_goes_down_with_the_default_noise():
    cfg = RunConfig(problem={"name": "${name}"}, optimizer={"name": "sgd", "lr": "1/L"},
                    T=300, seeds=range(2), n_checkpoints=10)
    res = run_config(cfg)
    assert np.all(res.suboptimality[:, -1] < 0.1 * res.suboptimality[:, 0])
''')

OPTIMIZER = Template('''\
"""Optimizer ``${name}``: heavy ball with a step schedule (edit me).

Load it with ``theory-lab --plugin ${folder} ...`` (or ``THEORY_LAB_PLUGINS``), then
``theory-lab --plugin ${folder} list optimizers`` shows it.
"""

from theory_lab.optimizers import Optimizer, register
from theory_lab.schedules import make_schedule
from theory_lab.validation import check_momentum


@register("${name}")
def ${name}(lr, beta=0.5, T=None):
    """Heavy ball w <- w - lr g + beta (w - w_prev), beta in [0, 1).

    Parameters
    ----------
    lr : float, str or dict
        Step size: a number, an expression in the problem's constants (``"1/L"``) or a
        schedule spec (see ``theory_lab.schedules.make_schedule``).
    beta : float
        Momentum, in [0, 1).
    T : int, optional
        Horizon, for schedules (set by the runner).
    """
    beta = check_momentum("beta", beta)
    sched = make_schedule(lr, T)  # rejects lr <= 0

    def init(w0):
        return {"w": w0, "v": w0 * 0}

    def step(state, grad, t):  # pure: never mutates ``state``
        v = beta * state["v"] - sched(t) * grad
        return {"w": state["w"] + v, "v": v}

    return Optimizer("${name}", init, step, {"lr": sched.describe(), "beta": beta})
''')

OPTIMIZER_TEST = Template('''\
"""Tests of the plugin optimizer ``${name}`` (run: ``pytest ${folder}``)."""

from pathlib import Path

import numpy as np
import pytest
import theory_lab.optimizers as optimizers
from theory_lab import RunConfig
from theory_lab.plugins import load_plugin
from theory_lab.runner import run_config

load_plugin(Path(__file__).with_name("${name}.py"))


def test_bad_hyperparameters_raise():
    for bad in ({"lr": 0.1, "beta": 1.5}, {"lr": 0.1, "beta": -0.1}, {"lr": -1.0}):
        with pytest.raises(ValueError):
            optimizers.make("${name}", **bad)


def test_beta_zero_is_gradient_descent():
    opt, gd = optimizers.make("${name}", lr=0.1, beta=0.0), optimizers.make("sgd", lr=0.1)
    w0, g = np.ones((1, 3)), np.full((1, 3), 2.0)
    assert np.allclose(opt.step(opt.init(w0), g, 0)["w"], gd.step(gd.init(w0), g, 0)["w"])


def test_converges_on_a_quadratic():
    cfg = RunConfig(problem={"name": "quadratic", "d": 10, "kappa": 10, "sigma": 0.0},
                    optimizer={"name": "${name}", "lr": "1/L", "beta": 0.5},
                    T=200, seeds=range(2), n_checkpoints=10)
    res = run_config(cfg)
    assert np.all(res.suboptimality[:, -1] < 1e-6 * res.suboptimality[:, 0])
''')

KINDS = {"problem": (PROBLEM, PROBLEM_TEST), "optimizer": (OPTIMIZER, OPTIMIZER_TEST)}


def scaffold(kind: str, name: str, folder: str | Path = DEFAULT_DIR, force: bool = False) -> list[Path]:
    """Write ``folder/NAME.py`` and ``folder/test_NAME.py`` for a new problem or optimizer.

    Parameters
    ----------
    kind : {"problem", "optimizer"}
    name : str
        Registered name, also the module and factory name: a lowercase Python identifier.
    folder : path
        Created if missing (default ``lab_plugins``).
    force : bool
        Overwrite existing files.

    Returns
    -------
    list of Path
        The two files written.

    Raises
    ------
    ValueError
        Unknown kind, a name that is not a lowercase identifier, or existing files
        without ``force``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from: {', '.join(KINDS)}")
    if not (name.isidentifier() and name == name.lower() and not keyword.iskeyword(name)
            and not name.startswith(("_", "test_"))):
        raise ValueError(f"name must be a lowercase Python identifier (not _* or test_*), got {name!r}")
    folder = Path(folder)
    paths = [folder / f"{name}.py", folder / f"test_{name}.py"]
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise ValueError(f"{', '.join(existing)} already exist(s); use --force to overwrite")
    cls = "".join(part.capitalize() for part in name.split("_")) or "Problem"
    fields = {"name": name, "cls": cls, "folder": folder.as_posix()}
    folder.mkdir(parents=True, exist_ok=True)
    for path, template in zip(paths, KINDS[kind], strict=True):
        path.write_text(template.substitute(fields))
    return paths
