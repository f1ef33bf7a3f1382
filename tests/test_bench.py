"""The bench runs end to end (quick sizes) and writes its report; speed is not asserted here."""

import json
import subprocess
import sys


def test_bench_quick_writes_report(tmp_path):
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, "-m", "theory_lab.bench", "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "bench.json").read_text())
    assert report["mode"] == "quick"
    for key in ("cpu_count", "numpy", "torch", "device", "cuda_available", "kernel_threads"):
        assert key in report["machine"]
    names = [r["name"] for r in report["results"]]
    assert any("torch.optim.SGD" in n for n in names)
    assert any("bandwidth" in n for n in names)
    assert any("vectorized" in n for n in names)
    assert any("GPU" in n for n in names)
    for r in report["results"]:
        assert set(r) >= {"name", "ours", "reference", "ratio", "target", "status"}
        assert r["status"] in ("pass", "fail", "info", "skip")
    gpu = next(r for r in report["results"] if "GPU" in r["name"])
    if not report["machine"]["cuda_available"]:
        assert gpu["status"] == "skip" and "not available" in gpu["info"]
    # the vectorized and sequential runs gave the same numbers
    seeds = next(r for r in report["results"] if "vectorized" in r["name"])
    assert "same numbers: True" in seeds["info"]
    md = (out / "bench.md").read_text()
    assert "| measurement | ours | reference | ratio | target | result |" in md
    # one printed line per measurement
    assert proc.stdout.count("ratio") >= len(names) - 1


def test_device_section_runs_on_cpu_tensors():
    """The GPU section's code path, exercised on torch-CPU tensors (small d)."""
    import pytest

    pytest.importorskip("torch")
    from theory_lab.bench import bench_device

    lines = bench_device("cpu", 1 << 14, repeats=3, warmup=1, dtype="float32")
    assert [ln["unit"] for ln in lines] == ["ms", "GB/s"]
    assert all(ln["ratio"] > 0 and ln["status"] in ("pass", "fail") for ln in lines)
