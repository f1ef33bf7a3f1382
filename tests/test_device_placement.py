"""Device placement without a GPU: a strict torch mode where host-default arrays cannot meet the run's.

On a GPU, an array created without ``device=`` lands on the host and the first operation
with a device array fails (``Expected all tensors to be on the same device``).  Here the
run's arrays live on ``cpu`` while torch's *default* device is ``meta``: any array the loop,
a runner or a problem allocates without naming the device of its inputs is a ``meta``
tensor, and meeting a ``cpu`` tensor raises at once.  So the defect class fails on a
CPU-only machine (checked against the pre-loop runner: ``run``, ``run_local`` and the
heterogeneous problem failed here).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theory_lab import RunConfig  # noqa: E402
from theory_lab.decentralized import run_decentralized  # noqa: E402
from theory_lab.decentralized.dnasa import run_dnasa  # noqa: E402
from theory_lab.local_updates import run_local_config  # noqa: E402
from theory_lab.runner import run_config  # noqa: E402


@contextlib.contextmanager
def strict_device():
    """Torch's default device is ``meta`` inside; the run itself uses ``cpu``."""
    torch.set_default_device("meta")
    try:
        yield
    finally:
        torch.set_default_device(None)


def test_strict_mode_catches_a_host_default_allocation():
    x = torch.ones(3, device="cpu")
    with strict_device(), pytest.raises(RuntimeError, match="device"):
        _ = x + torch.zeros(3)  # the defect: no device=


# every registered problem family with a small instance and a method that runs on it
SINGLE = {
    "quadratic": ({"name": "quadratic", "d": 8, "kappa": 10, "noise": "anisotropic", "sigma": 1.0},
                  {"name": "shb", "lr": "1/L", "beta": 0.5}),
    "separable_quadratic": ({"name": "separable_quadratic", "d": 8}, {"name": "adagrad", "lr": 0.1}),
    "separable_cosh": ({"name": "separable_cosh", "d": 8}, {"name": "adagrad", "lr": 0.1}),
    "separable_cosine": ({"name": "separable_cosine", "d": 8}, {"name": "sgd", "lr": 0.1}),
    "anisotropic_logistic": ({"name": "anisotropic_logistic", "d": 8, "n": 32}, {"name": "adam", "lr": 0.01}),
    "matrix_quadratic": ({"name": "matrix_quadratic", "m": 8, "n": 10, "sigma": 0.1},
                         {"name": "asgo", "lr": "D_op", "m": "m", "n": "n"}),
    "multiblock_quadratic": ({"name": "multiblock_quadratic", "m": 4, "n": 8, "coupling": 0.2, "stable_rank": 3.0},
                             {"name": "shampoo", "lr": "D_op", "m": "m", "n": "n"}),
    "matrix_regression": ({"name": "matrix_regression"}, {"name": "muon", "lr": 0.02, "m": "m", "n": "n"}),
    "deep_linear_regression": ({"name": "deep_linear_regression"}, {"name": "sgd", "lr": 0.01}),
    "rayleigh": ({"name": "rayleigh"}, {"name": "sgd", "lr": 0.01}),
    "associative_memory": ({"name": "associative_memory"}, {"name": "muon", "lr": 0.02, "m": "m", "n": "n"}),
    "zo": ({"name": "zo", "base": {"name": "quadratic", "d": 8, "kappa": 4}}, {"name": "sgd", "lr": 0.01}),
}


def _run_strict(fn, cfg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with strict_device():
            return fn(cfg)


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_runner_and_every_single_problem_keep_arrays_on_the_run_device(name):
    prob, opt = SINGLE[name]
    cfg = RunConfig(problem=prob, optimizer=opt, T=6, seeds=(0, 1), batch_size=2, n_checkpoints=4,
                    epsilon=1e-9, backend="torch", device="cpu", rng="device")
    res = _run_strict(run_config, cfg)
    assert res.suboptimality.shape[0] == 2 and np.isfinite(res.suboptimality[:, 0]).all()


NET = {"graph": "ring", "mixing": "metropolis"}
DISTRIBUTED = {
    "gt_nsvr": ({"name": "distributed_ridge", "m": 4, "n": 8, "d": 8, "network": NET}, {"name": "gt_nsvr"}),
    "gt_katyusha": ({"name": "iid_distributed_ridge", "m": 4, "n": 4, "d": 8, "network": NET},
                    {"name": "gt_katyusha"}),
    "extra": ({"name": "distributed_logistic", "m": 4, "network": NET}, {"name": "extra"}),
    "dgd": ({"name": "distributed_ridge", "m": 4, "n": 8, "d": 8, "network": NET}, {"name": "dgd", "batch": 1}),
    "mc_gt": ({"name": "distributed_ridge", "m": 4, "n": 8, "d": 8, "network": NET}, {"name": "mc_gt"}),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTED))
def test_decentralized_simulation_keeps_arrays_on_the_run_device(name):
    prob, opt = DISTRIBUTED[name]
    cfg = RunConfig(problem=prob, optimizer=opt, T=6, seeds=(0, 1), n_checkpoints=4, epsilon=1e-9,
                    backend="torch", device="cpu")
    res = _run_strict(run_decentralized, cfg)
    assert np.isfinite(res.suboptimality[:, 0]).all()


def test_dnasa_keeps_arrays_on_the_run_device():
    cfg = RunConfig(problem={"name": "nonconvex_regression", "m": 4, "network": NET},
                    optimizer={"name": "dnasa"}, T=6, seeds=(0, 1), n_checkpoints=4,
                    backend="torch", device="cpu")
    res = _run_strict(run_dnasa, cfg)
    assert np.isfinite(res.grad_norm).all()


@pytest.mark.parametrize("opt", [
    {"name": "diloco", "H": 2, "inner": {"name": "adam", "lr": 0.01}, "outer_lr": 0.7, "momentum": 0.9},
    {"name": "minibatch_sgd", "H": 2, "lr": "0.5/L"},
])
def test_local_updates_keep_arrays_on_the_run_device(opt):
    cfg = RunConfig(problem={"name": "heterogeneous_quadratic"}, optimizer=opt, T=4, seeds=(0, 1),
                    n_checkpoints=3, epsilon=1e-9, backend="torch", device="cpu", rng="device")
    res = _run_strict(run_local_config, cfg)
    assert np.isfinite(res.suboptimality[:, 0]).all()
