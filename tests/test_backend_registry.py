"""Every registered optimizer: numpy and torch-CPU give the same trajectory (float64), and a
float32 torch run stays float32 end to end.

A new optimizer must get a case here (the first test fails otherwise), so the backend
promise of issue 6 covers the whole registry, not a sample of it.
"""

import numpy as np
import pytest

import problems
from theory_lab.backends import Backend
from theory_lab.optimizers import REGISTRY, make
from theory_lab.runner import run

torch = pytest.importorskip("torch")

QUAD = {"name": "quadratic", "d": 12, "kappa": 20.0, "noise": "anisotropic", "sigma": 0.3}
MAT = {"name": "matrix_quadratic", "m": 4, "n": 6, "eff_rank": 2.0, "stable_rank": 3.0, "sigma": 0.1}
DEEP = {"name": "deep_linear_regression", "d_in": 4, "width": 4, "d_out": 3, "n_layers": 2,
        "noise_std": 0.1}
SPHERE = {"name": "rayleigh", "d": 8, "gap": 0.2}
MN = {"m": 4, "n": 6}

#: name -> (problem spec, optimizer parameters)
CASES = {
    "sgd": (QUAD, {"lr": 0.05}),
    "gd": (QUAD, {"lr": 0.05}),
    "shb": (QUAD, {"lr": 0.05, "beta": 0.5}),
    "hb": (QUAD, {"lr": 0.05, "beta": 0.5}),
    "multistage_shb": (QUAD, {"eta0": 0.05, "beta": 0.5}),
    "step_decay_sgd": (QUAD, {"eta0": 0.05}),
    "adagrad": (QUAD, {"lr": 0.1}),
    "adagrad_norm": (QUAD, {"lr": 0.1}),
    "adam": (QUAD, {"lr": 0.01}),
    "rmsprop": (QUAD, {"lr": 0.01}),
    "signsgd": (QUAD, {"lr": 0.01}),
    "asgo": (MAT, {"lr": 0.1, **MN}),
    "asgo_practical": (MAT, {"lr": 0.05, **MN}),
    "dasgo": (MAT, {"lr": 0.05, **MN}),
    "one_sided_shampoo": (MAT, {"lr": 0.1, "eps": 1e-6, **MN}),
    "shampoo": (MAT, {"lr": 0.1, "eps": 1e-6, **MN}),
    "full_matrix_adagrad": (MAT, {"lr": 0.1, "eps": 1e-6, **MN}),
    "muon": (MAT, {"lr": 0.02, **MN}),
    "muon_svd": (MAT, {"lr": 0.02, **MN}),
    "signgd": (MAT, {"lr": 0.01}),
    "scale": (MAT, {"lr": 0.01, **MN}),
    "scale_row": (MAT, {"lr": 0.01, **MN}),
    "layerwise": (DEEP, {"lr": 0.01, "shapes": [[4, 4], [3, 4]], "inner": {"name": "muon"}}),
    "rsgd": (SPHERE, {"lr": 0.1}),
}
T = 25


def _run(name, backend):
    pspec, params = CASES[name]
    pspec = dict(pspec)
    prob = problems.make(pspec.pop("name"), **pspec)
    opt = make(name, T=T, **params)
    return run(prob, opt, T, seeds=range(2), batch_size=4, n_checkpoints=8, backend=backend)


def test_every_registered_optimizer_has_a_case():
    assert set(CASES) == set(REGISTRY), f"add cases for {sorted(set(REGISTRY) - set(CASES))}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_and_torch_cpu_agree_in_float64(name):
    a = _run(name, None)
    b = _run(name, Backend("torch", "cpu", "float64"))
    assert (a["diverged_at"] == -1).all()
    np.testing.assert_allclose(b["suboptimality"], a["suboptimality"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(b["grad_norm"], a["grad_norm"], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_stays_float32(name):
    pspec, params = CASES[name]
    pspec = dict(pspec)
    be = Backend("torch", "cpu", "float32")
    prob = problems.make(pspec.pop("name"), **pspec).to_backend(be)
    opt = make(name, T=T, **params)
    from theory_lab.random import SeedStreams

    streams = SeedStreams([0, 1], backend=be)
    w = prob.w0[None, :] + torch.zeros((2, prob.dim), dtype=torch.float32)
    state = opt.init(w)
    for t in range(3):
        g = prob.gradient(opt.query(state)) if opt.oracle == "exact" else prob.stochastic_gradient(opt.query(state), 4, streams)
        assert g.dtype == torch.float32
        state = opt.step(state, g, t)
    bad = {k: v.dtype for k, v in state.items() if hasattr(v, "dtype") and v.dtype != torch.float32}
    assert not bad, bad
