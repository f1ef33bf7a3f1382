"""Size guard: hopeless runs are refused before anything is allocated, with one line."""

import warnings

import pytest

import problems
from theory_lab import RunConfig, cli, sizing
from theory_lab.runner import run_config
from theory_lab.sizing import SlowSetupWarning, TooLarge, check, estimate
from theory_lab.sweep import run_sweep

SMALL = RunConfig(problem={"name": "quadratic", "d": 10}, optimizer={"name": "sgd", "lr": "1/L"},
                  T=5, seeds=(0,), n_checkpoints=3)


def huge(d=10**11, seeds=(0,), **problem):
    return SMALL.replace(problem={"name": "quadratic", "d": d, **problem}, seeds=seeds)


def test_d_1e11_is_refused_in_one_line_naming_estimate_limit_and_override():
    with pytest.raises(TooLarge) as info:
        check(huge())
    msg = str(info.value)
    assert "\n" not in msg and "d=1e11" in msg and "more than the" in msg
    assert "allow_large=True / --allow-large" in msg and "TB" in msg


def test_run_config_refuses_before_building(monkeypatch):
    def no_build(config):  # the guard must come first: nothing is allocated
        raise AssertionError("build called")

    monkeypatch.setattr("theory_lab.runner.build", no_build)
    with pytest.raises(TooLarge):
        run_config(huge())
    with pytest.raises(AssertionError, match="build called"):  # the override passes the guard
        run_config(huge(), allow_large=True)


def test_many_seeds_times_large_d_is_refused_under_a_memory_limit(monkeypatch):
    monkeypatch.setattr(sizing, "available_memory", lambda device="cpu": (4e9, "test limit"))
    cfg = huge(d=10**6, seeds=range(1000))
    est = check(cfg, allow_large=True)
    assert est.bytes == pytest.approx(1000 * 10**6 * 4 * 8, rel=1e-3)  # sgd: w + 3 working
    with pytest.raises(TooLarge, match=r"1000 seeds x d=1e6 x 4 arrays x 8 B.*4 GB test limit"):
        check(cfg)
    assert check(SMALL).bytes < 1e6  # an ordinary run passes


def test_optimizer_state_and_dtype_enter_the_estimate():
    adam = huge(d=1000).replace(optimizer={"name": "adam", "lr": 0.1})
    sgd32 = huge(d=1000).replace(dtype="float32")
    assert estimate(adam).state_bytes == 1000 * 6 * 8
    assert estimate(sgd32).state_bytes == 1000 * 4 * 4


def test_rotation_setup_warns_when_slow_and_is_refused_when_hours():
    with pytest.warns(SlowSetupWarning, match=r"O\(d\^3\).*d=5000"):
        check(huge(d=5000, rotate=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(huge(d=500, rotate=True))  # ~0.25 s: no warning
    with pytest.raises(TooLarge, match=r"set-up would take ~4.44 h"):
        check(huge(d=20000, rotate=True))
    with pytest.warns(SlowSetupWarning):
        check(huge(d=20000, rotate=True), allow_large=True)


def test_factory_hooks_override_the_generic_estimate():
    @problems.register("sizing_hooked")
    def hooked(d: int = 100):
        """Hooked problem."""
        raise AssertionError("never built")

    hooked.memory_estimate = lambda d: 123.0 * d
    hooked.setup_flops = lambda d: 1e9 * d
    try:
        est = estimate(SMALL.replace(problem={"name": "sizing_hooked", "d": 7}))
        assert est.data_bytes == 861.0 and est.setup_seconds == pytest.approx(7.0)
        assert estimate(SMALL.replace(problem={"name": "sizing_hooked"})).data_bytes == 12300.0
    finally:
        problems.REGISTRY.pop("sizing_hooked")


def test_sweep_refuses_before_any_run(tmp_path):
    ran = []
    with pytest.raises(TooLarge):
        run_sweep([SMALL, huge()], engine="sequential", run_fn=ran.append, progress=False)
    assert ran == []


def test_cli_run_refuses_in_one_line(capsys):
    argv = ["run", "--problem", "quadratic", "-p", "d=100000000000", "--optimizer", "sgd",
            "-o", "lr=1", "--T", "1"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("theory-lab: error: run needs ~")
    assert "--allow-large" in err


def test_matrix_quadratic_setup_follows_the_construction_used():
    """Above DEVICE_SETUP_MIN_SIDE (noiseless) the three Haar factors come from a QR on the
    run's device: (4/3) k^3 flops each, at the device rate on CUDA and the host rate otherwise;
    at or below it (or with noise) three host ``ortho_group`` draws, 2 k^3 flops each."""
    from problems.matrix import DEVICE_SETUP_MIN_SIDE

    def cfg(m, n, backend="numpy", device="cpu", **kw):
        return SMALL.replace(problem={"name": "matrix_quadratic", "m": m, "n": n, **kw},
                             optimizer={"name": "sgd", "lr": 0.1}, backend=backend, device=device)

    k = 8192
    qr = 4.0 / 3.0 * 3 * k**3
    gpu = estimate(cfg(k, k, "torch", "cuda"))
    assert gpu.setup_seconds == pytest.approx(qr / sizing.DEVICE_SETUP_FLOP_RATE)  # ~2.2 s
    assert gpu.setup_seconds < sizing.SLOW_SETUP_S and "QR on cuda" in gpu.setup_detail
    host = estimate(cfg(k, k))  # numpy run: torch QR on the host CPU, host rate
    assert host.setup_seconds == pytest.approx(qr / sizing.SETUP_FLOP_RATE)  # ~2200 s, not refused
    assert "QR on the host" in host.setup_detail
    assert estimate(cfg(k, k, "torch", "cpu")).setup_seconds == host.setup_seconds
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(cfg(k, k, "torch", "cuda"))  # no slow-set-up warning for the GPU preset size
    # noisy instances and small sides keep the host ortho_group construction
    noisy = estimate(cfg(2048, 2048, sigma=0.1))
    assert noisy.setup_seconds == pytest.approx(2.0 * 3 * 2048**3 / sizing.SETUP_FLOP_RATE)  # 54 s measured
    s = DEVICE_SETUP_MIN_SIDE
    assert estimate(cfg(s, s, "torch", "cuda")).setup_seconds == pytest.approx(6.0 * s**3 / sizing.SETUP_FLOP_RATE)
    above = estimate(cfg(s, s + 1))  # one side above the threshold is enough
    assert above.setup_seconds == pytest.approx(4.0 / 3.0 * (2 * s**3 + (s + 1) ** 3) / sizing.SETUP_FLOP_RATE)


# -- data built on the device vs on the host ------------------------------------------------------
def fake_memory(host, device):
    """``available_memory`` with ``host`` bytes on the CPU and ``device`` bytes free on CUDA."""
    return lambda dev="cpu": ((device, f"free on {dev}") if str(dev).startswith("cuda")
                              else (host, "host test limit"))


def preset_cfg(name, device="cuda", scale=1.0):
    from theory_lab.large import PRESETS

    return PRESETS[name].scaled(scale, "torch", device, "float32", "device")


@pytest.mark.parametrize("name", ["shb_quadratic_1e8", "adagrad_separable_1e8", "asgo_matrix_8192"])
def test_device_built_data_counts_against_the_device_not_the_host(name, monkeypatch):
    est = estimate(preset_cfg(name))
    assert est.data_bytes > 1e9 and est.device_data_bytes == est.data_bytes and est.host_data_bytes == 0
    assert "built on cuda" in est.detail
    # a small host (1 GB) does not refuse a run whose data is built on the device ...
    monkeypatch.setattr(sizing, "available_memory", fake_memory(1e9, 100e9))
    check(preset_cfg(name))
    # ... and the device must hold run state plus that data (state alone would fit here)
    monkeypatch.setattr(sizing, "available_memory", fake_memory(100e9, est.state_bytes + 0.5 * est.data_bytes))
    with pytest.raises(TooLarge, match=r"built on cuda.*free on cuda"):
        check(preset_cfg(name))


def test_diagonal_data_is_counted_where_it_is_built():
    from problems.device_build import DIAGONAL_DEVICE_SETUP_MIN_D as N

    d = 10**8
    shb = estimate(preset_cfg("shb_quadratic_1e8"))
    assert shb.device_data_bytes == (3 * 8 + 4 * 4) * d  # float64 w*, w0, lambda + 4 float32 copies
    ada = estimate(preset_cfg("adagrad_separable_1e8"))
    assert ada.device_data_bytes == (4 * 8 + 4 * 4) * d
    cpu = estimate(preset_cfg("shb_quadratic_1e8", device="cpu"))  # torch-CPU: one memory
    assert cpu.device_data_bytes == 0 and cpu.data_bytes == shb.data_bytes
    at = estimate(preset_cfg("shb_quadratic_1e8").with_path("problem.d", N))  # at the threshold: host
    assert at.device_data_bytes == 0
    np_run = preset_cfg("adagrad_separable_1e8").replace(backend="numpy", device="cpu", dtype="float64")
    assert estimate(np_run).device_data_bytes == 0 and estimate(np_run).data_bytes == 8 * d  # unchanged
    explicit = preset_cfg("adagrad_separable_1e8").with_path("problem.sigma_values", [1.0])
    assert estimate(explicit).device_data_bytes == 0  # explicit vectors: host construction


def test_host_built_data_of_a_cuda_run_is_compared_with_the_host(monkeypatch):
    noisy = preset_cfg("asgo_matrix_8192").with_path("problem.sigma", 0.1)  # noise: host ortho_group
    est = estimate(noisy)
    assert est.device_data_bytes == 0 and est.host_data_bytes == est.data_bytes > 1e9
    monkeypatch.setattr(sizing, "available_memory", fake_memory(1e9, 100e9))
    with pytest.raises(TooLarge, match=r"problem data needs ~3.22 GB on the host, more than the 1 GB host test limit"):
        check(noisy, allow_large=False)
    monkeypatch.setattr(sizing, "available_memory", fake_memory(100e9, est.state_bytes + 1e6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SlowSetupWarning)
        check(noisy)  # the device holds the state; the host holds the data


def test_cuda_free_memory_comes_from_mem_get_info(monkeypatch):
    torch = pytest.importorskip("torch")
    calls = []

    def mem_get_info(device=None):
        calls.append(device)
        return (5e9, 141e9)

    monkeypatch.setattr(torch.cuda, "mem_get_info", mem_get_info)
    assert sizing.available_memory("cuda") == (5e9, "free on cuda")
    assert calls and str(calls[0]) == "cuda"
    # 2 GB state + 4 GB device-built data > 5 GB free: refused, naming the device's free memory
    with pytest.raises(TooLarge, match=r"run needs ~6 GB .* more than the 5 GB free on cuda"):
        check(preset_cfg("shb_quadratic_1e8"))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (7e9, 141e9))
    check(preset_cfg("shb_quadratic_1e8"))  # fits; the host is not asked for the device-built 4 GB
