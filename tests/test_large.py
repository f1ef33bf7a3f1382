"""Large-instance presets: they run (scaled down, on CPU) through the ordinary run path."""

import json

import pytest

from theory_lab.large import PRESETS, main, run_preset

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_runs_scaled_down_on_cpu(name):
    line = run_preset(PRESETS[name], scale=1e-4, device="cpu")
    assert line["steps"] == PRESETS[name].config.T and not line["diverged"]
    assert line["steps_per_second"] > 0
    assert all(v < full for v, full in zip(line["sizes"].values(), PRESETS[name].sizes.values(), strict=True))


def test_cli_writes_json(tmp_path, capsys):
    out = tmp_path / "large.json"
    name = sorted(PRESETS)[0]
    main([name, "--device", "cpu", "--scale", "1e-5", "--out", str(out)])
    assert json.loads(out.read_text())[0]["preset"] == name
    assert "steps/s" in capsys.readouterr().out


def test_cuda_without_gpu_is_a_clear_error(capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SystemExit) as exc:
        main([sorted(PRESETS)[0]])
    assert exc.value.code == 2
    assert "available devices: cpu" in capsys.readouterr().err


def test_bad_scale():
    with pytest.raises(ValueError, match="scale must be in"):
        run_preset(PRESETS[sorted(PRESETS)[0]], scale=2.0, device="cpu")


DIAGONAL = ("shb_quadratic_1e8", "adagrad_separable_1e8")


@pytest.mark.parametrize("name", DIAGONAL)
def test_full_size_diagonal_presets_build_their_data_on_the_device(name):
    """At d = 1e8 the presets' vectors are built by torch on the run's device, not on the host."""
    import problems
    from problems.device_build import DIAGONAL_DEVICE_SETUP_MIN_D, diagonal_setup_on_device
    from theory_lab.sizing import _params

    cfg = PRESETS[name].scaled(1.0, "torch", "cuda", "float32", "device")
    spec = dict(cfg.problem)
    p = _params(problems.REGISTRY[spec.pop("name")], spec)
    assert p["d"] == 10**8 > DIAGONAL_DEVICE_SETUP_MIN_D
    assert diagonal_setup_on_device(cfg.problem["name"], p, "torch")
    assert not diagonal_setup_on_device(cfg.problem["name"], p, "numpy")


@pytest.mark.parametrize("name", DIAGONAL)
def test_scaled_diagonal_presets_run_the_device_construction(name, monkeypatch):
    """Scaled down (d = 1e4) with the threshold lowered, the run builds its vectors on the config's device."""
    import problems.device_build as db
    from theory_lab.backends import get_backend, setup_on
    from theory_lab.runner import build

    monkeypatch.setattr(db, "DIAGONAL_DEVICE_SETUP_MIN_D", 1000)
    cfg = PRESETS[name].scaled(1e-4, "torch", "cpu", "float32", "device")
    with setup_on(get_backend("torch", "cpu", "float32")):
        prob, _ = build(cfg)
    assert isinstance(prob.w0, torch.Tensor) and prob.w0.dtype == torch.float32 and prob.dim == 10**4
    line = run_preset(PRESETS[name], scale=1e-4, device="cpu")
    assert line["steps"] == PRESETS[name].config.T and not line["diverged"]
