"""Large set-ups on the run's device: matrix factors by torch QR (not host ortho_group), diagonal problems' vectors by torch."""

from __future__ import annotations

import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import problems  # noqa: E402
import problems.device_build as db  # noqa: E402
import problems.matrix as pm  # noqa: E402
import problems.quadratic as pq  # noqa: E402
import problems.separable as ps  # noqa: E402
from theory_lab.backends import get_backend, setup_on  # noqa: E402


def test_device_setup_has_the_declared_spectra_and_is_fast(monkeypatch):
    monkeypatch.setattr(pm, "DEVICE_SETUP_MIN_SIDE", 64)
    t0 = time.perf_counter()
    with setup_on(get_backend("torch", "cpu", "float64")):
        p = problems.make("matrix_quadratic", m=400, n=300, eff_rank=4.0, stable_rank=16.0)
        c = p.constants()
    setup = time.perf_counter() - t0
    assert setup < 10.0, setup  # scaled-down budget on 2 shared CPU cores (GPU target: 15 s at 8192)
    E = (p._host["w0"] - p._host["w_star"]).reshape(400, 300)
    sv = torch.linalg.svdvals(E)
    ev = torch.linalg.eigvalsh(p._host["Lmat"])
    assert abs(c["D_op"] - float(sv[0])) < 1e-10 and abs(c["stable_rank"] - 16.0) < 1e-8
    assert abs(c["eff_rank"] - float(ev.sum() / ev.max())) < 1e-8 and abs(c["L"] - float(ev.max())) < 1e-10
    assert abs(c["f0"] - float(0.5 * torch.sum(E * (p._host["Lmat"] @ E)))) < 1e-10 * c["f0"]
    assert isinstance(p._host["Lmat"], torch.Tensor)  # built by the torch path, not on the host


def test_small_instances_keep_the_host_construction():
    p = problems.make("matrix_quadratic", m=16, n=32)
    assert isinstance(p._host["Lmat"], np.ndarray)
    assert getattr(p, "_svals", None) is None


def test_device_built_problem_runs_through_run_config(monkeypatch):
    from theory_lab import RunConfig
    from theory_lab.runner import run_config

    monkeypatch.setattr(pm, "DEVICE_SETUP_MIN_SIDE", 16)
    cfg = RunConfig(problem={"name": "matrix_quadratic", "m": 24, "n": 20, "eff_rank": 4.0, "stable_rank": 8.0},
                    optimizer={"name": "asgo", "lr": "D_op", "eps": 1e-8, "m": "m", "n": "n"}, T=20,
                    n_checkpoints=5, backend="torch", dtype="float32")
    r = run_config(cfg)
    assert r.suboptimality[0, -1] < r.suboptimality[0, 0]
    assert r.meta["constants"]["D_op"] == pytest.approx(1.0)


# -- diagonal problems (quadratic, separable_quadratic) above DIAGONAL_DEVICE_SETUP_MIN_D ----------
SMALL_MIN_D = 1000  # the threshold, lowered so that d = 4096 takes the device path on a CPU
DIAG = {
    "quadratic": dict(d=4096, kappa=1e3, noise="anisotropic", sigma=1.0),
    "separable_quadratic": dict(d=4096, L="power_law", sigma_max=1.0),
}


@pytest.fixture
def no_large_host_arrays(monkeypatch):
    """numpy may not create an array of SMALL_MIN_D or more entries (RNG draws included)."""
    def guard(fn):
        def wrapped(*args, **kwargs):
            out = fn(*args, **kwargs)
            if isinstance(out, np.ndarray) and out.size >= SMALL_MIN_D:
                raise AssertionError(f"host numpy array of size {out.size} from {fn.__name__}")
            return out
        return wrapped

    for name in ("arange", "ones", "zeros", "full", "empty", "asarray", "array", "sqrt", "abs"):
        monkeypatch.setattr(np, name, guard(getattr(np, name)))
    real_rng = np.random.default_rng

    class GuardedGenerator:
        def __init__(self, *a, **k):
            self._g = real_rng(*a, **k)

        def __getattr__(self, attr):
            return guard(getattr(self._g, attr))

    monkeypatch.setattr(np.random, "default_rng", GuardedGenerator)


def _torch_cpu(dtype="float32"):
    return get_backend("torch", "cpu", dtype)


@pytest.mark.parametrize("name", sorted(DIAG))
def test_diagonal_problem_above_threshold_builds_on_the_runs_device(name, monkeypatch, no_large_host_arrays):
    monkeypatch.setattr(db, "DIAGONAL_DEVICE_SETUP_MIN_D", SMALL_MIN_D)
    with setup_on(_torch_cpu()):
        p = problems.make(name, **DIAG[name])
        c = p.constants()  # reductions on the device too
    for arr in (p.w0, p.w_star):
        assert isinstance(arr, torch.Tensor) and arr.device.type == "cpu" and arr.dtype == torch.float32
    masters = (p._eig_host, p._host["w0"]) if name == "quadratic" else (p._a, p._sigma, p._w0)
    assert all(isinstance(m, torch.Tensor) and m.dtype == torch.float64 for m in masters)
    assert c["d"] == 4096 and c["L"] == pytest.approx(1.0) and c["f0"] > 0
    assert p.to_backend(_torch_cpu()).w0 is p.w0  # the run does not place the data a second time


def test_the_guard_catches_the_host_construction(monkeypatch, no_large_host_arrays):
    # below the threshold the host numpy construction runs: the guard must see it
    with setup_on(_torch_cpu()), pytest.raises(AssertionError, match="host numpy array"):
        problems.make("quadratic", **DIAG["quadratic"])


def test_device_build_runs_through_run_config_without_host_vectors(monkeypatch, no_large_host_arrays):
    from theory_lab import RunConfig
    from theory_lab.runner import run_config

    monkeypatch.setattr(db, "DIAGONAL_DEVICE_SETUP_MIN_D", SMALL_MIN_D)
    for name, opt in (("quadratic", {"name": "shb", "lr": "1/L", "beta": 0.5}),
                      ("separable_quadratic", {"name": "adagrad", "lr": 0.1})):
        cfg = RunConfig(problem={"name": name, **DIAG[name]}, optimizer=opt, T=20, n_checkpoints=3,
                        batch_size=64, backend="torch", dtype="float32", rng="device")
        r = run_config(cfg)
        assert r.suboptimality[0, -1] < r.suboptimality[0, 0] and not r.diverged.any()


@pytest.mark.parametrize("name", sorted(DIAG))
def test_numpy_runs_and_small_torch_runs_keep_the_host_construction(name, monkeypatch):
    ref = problems.make(name, **DIAG[name])
    ref_w0 = ref._host["w0"] if name == "quadratic" else ref._w0
    monkeypatch.setattr(db, "DIAGONAL_DEVICE_SETUP_MIN_D", SMALL_MIN_D)
    with setup_on(get_backend("numpy")):  # numpy run above the threshold: host, identical
        p = problems.make(name, **DIAG[name])
    w0 = p._host["w0"] if name == "quadratic" else p._w0
    assert isinstance(w0, np.ndarray) and np.array_equal(w0, ref_w0) and p.constants() == ref.constants()
    monkeypatch.setattr(db, "DIAGONAL_DEVICE_SETUP_MIN_D", 4096)  # d = threshold: host (strict rule)
    with setup_on(_torch_cpu()):
        p = problems.make(name, **DIAG[name])
    w0 = p._host["w0"] if name == "quadratic" else p._w0
    assert isinstance(w0, np.ndarray) and np.array_equal(w0, ref_w0)


@pytest.mark.parametrize("kw", [
    dict(d=20000, kappa=1e4, spectrum="power_law"), dict(d=20000, kappa=50.0, spectrum="log_uniform"),
    dict(d=20001, kappa=10.0, spectrum="two_clusters", L=2.0)])
def test_device_quadratic_has_the_host_spectrum_and_law(kw, monkeypatch):
    host = problems.make("quadratic", **kw)
    monkeypatch.setattr(db, "DIAGONAL_DEVICE_SETUP_MIN_D", SMALL_MIN_D)
    with setup_on(_torch_cpu("float64")):
        dev = problems.make("quadratic", **kw)
        again = problems.make("quadratic", **kw)
        other = problems.make("quadratic", **{**kw, "seed": 1})
    assert np.allclose(dev.spectrum, host.spectrum, rtol=1e-13, atol=0)
    ch, cd = host.constants(), dev.constants()
    assert ch.keys() == cd.keys() and all(cd[k] == pytest.approx(ch[k], rel=1e-12) for k in ("L", "mu", "kappa", "trace_H"))
    u = dev.initial_error_coordinates()  # U[-1, 1): mean 0 +- 5/sqrt(3 d), variance 1/3 +- 5 sqrt(4/45/d)
    d = kw["d"]
    assert u.min() >= -1 and u.max() < 1 and abs(u.mean()) < 5 / np.sqrt(3 * d)
    assert abs(u.var() - 1 / 3) < 5 * np.sqrt(4 / 45 / d)
    assert torch.equal(again.w0, dev.w0) and not torch.equal(other.w0, dev.w0)  # seeded


@pytest.mark.parametrize("kw", [
    dict(d=20000, L="power_law", L_ratio=0.01, sigma="two_level", sigma_ratio=0.9, init="uniform", D=2.0),
    dict(d=20000, L="sparse_large", L_k=10, L_ratio=0.3, sigma="power_law", sigma_alpha=0.5, init="sign"),
    dict(d=20000, L="uniform", L_max=3.0, sigma_max=0.0)])
def test_device_separable_quadratic_has_the_host_vectors_and_law(kw, monkeypatch):
    host = problems.make("separable_quadratic", **kw)
    monkeypatch.setattr(db, "DIAGONAL_DEVICE_SETUP_MIN_D", SMALL_MIN_D)
    with setup_on(_torch_cpu("float64")):
        dev = problems.make("separable_quadratic", **kw)
    assert np.allclose(dev.L_vector, host.L_vector, rtol=1e-10, atol=0)
    assert np.allclose(dev.noise_vector, host.noise_vector, rtol=1e-10, atol=0)
    assert dev._exact == host._exact
    ch, cd = host.constants(), dev.constants()
    assert ch.keys() == cd.keys()
    for k in ("L1", "L_inf", "L_ratio", "sigma1", "sigma2", "sigma_ratio", "mu", "kappa"):
        assert cd[k] == pytest.approx(ch[k], rel=1e-10, abs=1e-300), k
    D, d = kw.get("D", 1.0), kw["d"]
    u = dev.initial_error / D
    if kw.get("init") == "sign":
        assert set(np.unique(u)) == {-1.0, 1.0} and abs(u.mean()) < 5 / np.sqrt(d)
    else:
        assert u.min() >= -1 and u.max() < 1 and abs(u.var() - 1 / 3) < 5 * np.sqrt(4 / 45 / d)


def test_device_vectors_are_checked_there():
    with pytest.raises(ValueError, match=r"eigenvalues\[2\] = -1.0"):
        pq.Quadratic.from_device_vectors(torch.tensor([1.0, 0.5, -1.0], dtype=torch.float64),
                                         torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64),
                                         backend=_torch_cpu())
    with pytest.raises(ValueError, match=r"sigma\[1\] = nan"):
        ps.SeparableQuadratic.from_device_vectors(torch.ones(2, dtype=torch.float64),
                                                  torch.tensor([0.0, float("nan")], dtype=torch.float64),
                                                  torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64),
                                                  _torch_cpu())


def test_gpucheck_prints_the_measured_qr_rate_next_to_the_assumed(capsys):
    from theory_lab import sizing
    from theory_lab.gpucheck import check_setup_rate

    row = check_setup_rate("cpu", 1e-4)
    assert row["assumed_rate"] == sizing.SETUP_FLOP_RATE  # not CUDA: the host rate the guard uses
    assert row["measured_rate"] > 0 and "assumed sizing.SETUP_FLOP_RATE" in row["info"]
    assert "512^2" in row["name"]


@pytest.mark.parametrize("name", sorted(DIAG))
def test_device_build_names_the_device_of_every_tensor(name, monkeypatch):
    """With torch's default device ``meta`` (as tests/test_device_placement.py), a tensor created
    without ``device=`` would be a meta tensor and fail against the run's ``cpu`` ones: on a GPU it
    would be a host tensor meeting device ones."""
    from theory_lab import RunConfig
    from theory_lab.runner import run_config

    monkeypatch.setattr(db, "DIAGONAL_DEVICE_SETUP_MIN_D", SMALL_MIN_D)
    opt = {"name": "shb", "lr": "1/L", "beta": 0.5} if name == "quadratic" else {"name": "adagrad", "lr": 0.1}
    cfg = RunConfig(problem={"name": name, **DIAG[name]}, optimizer=opt, T=5, n_checkpoints=2,
                    backend="torch", dtype="float32", rng="device")
    torch.set_default_device("meta")
    try:
        r = run_config(cfg)
    finally:
        torch.set_default_device(None)
    assert np.isfinite(r.suboptimality).all() and r.meta["constants"]["d"] == 4096
