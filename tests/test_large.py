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
