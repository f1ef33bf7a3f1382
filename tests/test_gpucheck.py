"""The GPU check's path imports and runs with only the GPU machine's packages (scaled down, CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("cvxpy", "array_api_compat", "tqdm", "sklearn", "dask", "hypothesis")

SCRIPT = f"""
import sys
for name in {BLOCKED!r}:
    sys.modules[name] = None   # import of any of them raises ImportError
from theory_lab.gpucheck import main
main(["--device", "cpu", "--scale", "1e-4", "--out", sys.argv[1]])
"""


def test_gpucheck_runs_scaled_down_without_optional_packages(tmp_path):
    out = tmp_path / "gpucheck.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(out)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    sections = {r["section"] for r in rows}
    assert sections == {"consistency", "presets", "roofline", "bench"}
    # numpy vs torch (through the fallback namespaces) agree for every runner and family
    cons = [r for r in rows if r["section"] == "consistency"]
    assert len(cons) == 7 and all(r["ok"] for r in cons), cons
    assert all(r["ok"] for r in rows if r["section"] == "presets")  # scaled set-ups well under 15 s
    assert "gpu-check on" in proc.stdout


def test_gpucheck_without_cuda_says_so():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "theory_lab.gpucheck"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "CUDA is not available" in proc.stderr
