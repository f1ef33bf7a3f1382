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


def test_fallback_torch_namespace_matches_array_api_compat():
    # the namespace used when array-api-compat is missing (theory_lab._compat.TorchNamespace)
    aac = pytest.importorskip("array_api_compat")
    import numpy as np
    import torch

    from theory_lab._compat import TorchNamespace

    ours, ref = TorchNamespace(), aac.array_namespace(torch.empty(0))
    g = torch.Generator().manual_seed(0)
    x = torch.randn((3, 4, 5), generator=g, dtype=torch.float64)
    A = torch.randn((2, 5, 5), generator=g, dtype=torch.float64)
    A = A @ A.mT
    cases = [
        lambda xp: xp.sum(x, axis=(0, 2)), lambda xp: xp.mean(x, axis=1), lambda xp: xp.max(x, axis=-1),
        lambda xp: xp.min(x), lambda xp: xp.sum(x, axis=1, keepdims=True),
        lambda xp: xp.linalg.vector_norm(x, axis=-1), lambda xp: xp.linalg.matrix_norm(A),
        lambda xp: xp.linalg.diagonal(A), lambda xp: xp.linalg.svdvals(A), lambda xp: xp.linalg.eigh(A)[0],
        lambda xp: xp.reshape(x, (12, 5)), lambda xp: xp.matrix_transpose(x),
        lambda xp: xp.concat([x, x], axis=1), lambda xp: xp.clip(x, -0.5, 0.5),
        lambda xp: xp.maximum(x, 0.1), lambda xp: xp.minimum(0.1, x), lambda xp: xp.where(x > 0, x, 0.0),
        lambda xp: xp.astype(x, xp.float32), lambda xp: xp.eye(3, 4, dtype=xp.float64),
        lambda xp: xp.zeros((2, 2), dtype=xp.float64, device="cpu"), lambda xp: xp.any(x > 2.0, axis=0),
        lambda xp: xp.full((2,), -1, dtype=xp.int64, device="cpu"),
    ]
    for i, case in enumerate(cases):
        a, b = case(ours), case(ref)
        assert a.dtype == b.dtype and a.shape == b.shape, i
        assert np.allclose(a.numpy(), b.numpy(), rtol=1e-13, atol=0), i
