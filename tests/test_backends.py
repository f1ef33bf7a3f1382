"""One code path for numpy and torch: same trajectories, dtype respected, clear errors."""

import numpy as np
import pytest

import problems
from theory_lab.backends import Backend
from theory_lab.optimizers import heavy_ball, make, sgd
from theory_lab.random import SeedStreams
from theory_lab.runner import run

torch = pytest.importorskip("torch")

CASES = [
    ("anisotropic", False, lambda: heavy_ball(0.5, 0.6)),
    ("anisotropic", True, lambda: make("multistage_shb", T=150, eta0=0.5, beta=0.5)),
    ("isotropic", False, lambda: make("step_decay_sgd", T=150, eta0=0.5)),
    ("least_squares", True, lambda: sgd(0.3)),
    ("none", False, lambda: heavy_ball(0.5, 0.6, oracle="exact")),
]


@pytest.mark.parametrize(("noise", "rotate", "opt"), CASES)
def test_numpy_and_torch_cpu_give_the_same_trajectory(noise, rotate, opt):
    p = problems.make("quadratic", d=20, kappa=50.0, noise=noise, rotate=rotate)
    kw = {"T": 150, "seeds": range(3), "batch_size": 4}
    a = run(p, opt(), **kw)
    b = run(p, opt(), backend=Backend("torch", "cpu", "float64"), **kw)
    assert np.allclose(a["suboptimality"], b["suboptimality"], rtol=1e-10, atol=0)
    assert np.allclose(a["grad_norm"], b["grad_norm"], rtol=1e-10, atol=0)


def test_float32_is_respected_end_to_end():
    p = problems.make("quadratic", d=8, kappa=10.0).to_backend(Backend("torch", "cpu", "float32"))
    assert p.w0.dtype == torch.float32 and p.eigenvalues.dtype == torch.float32
    streams = SeedStreams([0, 1], backend=Backend("torch", "cpu", "float32"))
    w = p.w0[None, :] + torch.zeros((2, 8), dtype=torch.float32)
    g = p.stochastic_gradient(w, 4, streams)
    assert g.dtype == torch.float32
    opt = heavy_ball(0.5, 0.5)
    state = opt.step(opt.init(w), g, 0)
    assert all(v.dtype == torch.float32 for v in state.values())


def test_cuda_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="'cuda'.*available devices: cpu"):
        Backend("torch", "cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_float64():
    p = problems.make("quadratic", d=50, kappa=100.0)
    kw = {"T": 100, "seeds": range(4), "batch_size": 8}
    a = run(p, heavy_ball(0.5, 0.6), **kw)
    b = run(p, heavy_ball(0.5, 0.6), backend=Backend("torch", "cuda", "float64"), **kw)
    assert np.allclose(a["suboptimality"], b["suboptimality"], rtol=1e-10, atol=0)
