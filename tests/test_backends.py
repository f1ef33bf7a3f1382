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


def test_device_rng_is_per_seed_reproducible_and_standard():
    be = Backend("torch", "cpu", "float64")
    together = SeedStreams([0, 1, 2], backend=be, source="device")
    alone = SeedStreams([1], backend=be, source="device")
    a = torch.stack([together.normal(50) for _ in range(4)])[:, 1]
    b = torch.stack([alone.normal(50) for _ in range(4)])[:, 0]
    assert torch.equal(a, b)
    assert a.dtype == torch.float64 and a.device.type == "cpu"
    z = SeedStreams([7], backend=be, source="device").normal(200_000)
    assert abs(float(z.mean())) < 5 / 200_000**0.5 and abs(float(z.var()) - 1) < 0.02


def test_device_rng_run_records_source_and_matches_host_in_law():
    from theory_lab import RunConfig
    from theory_lab.runner import run_config

    base = RunConfig(problem={"name": "quadratic", "d": 20, "kappa": 10.0}, optimizer={"name": "sgd", "lr": "1/L"},
                     T=200, seeds=range(8), batch_size=4, backend="torch")
    host, dev = run_config(base), run_config(base.replace(rng="device"))
    assert dev.meta["rng"] == "device" and host.meta["rng"] == "host"
    assert base.hash() != base.replace(rng="device").hash()
    assert not np.allclose(host.suboptimality[:, -1], dev.suboptimality[:, -1])
    # same stationary risk in law: medians over 8 seeds within a factor 2
    ratio = np.median(dev.suboptimality[:, -1]) / np.median(host.suboptimality[:, -1])
    assert 0.5 < ratio < 2.0, ratio


def test_rng_source_bad_input():
    with pytest.raises(ValueError, match="'gpu'"):
        SeedStreams([0], source="gpu")
