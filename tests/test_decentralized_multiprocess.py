"""Real multi-process agents (torch.distributed, gloo) reproduce the simulation; failures do not hang."""

import time

import numpy as np
import pytest

from theory_lab import RunConfig
from theory_lab.decentralized.simulate import build_decentralized, trajectory

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available():  # pragma: no cover
    pytest.skip("torch.distributed unavailable", allow_module_level=True)

from theory_lab.decentralized.multiprocess import AgentFailure, run_multiprocess  # noqa: E402


def ring4(name, T=25):
    return RunConfig(problem={"name": "distributed_ridge", "m": 4, "n": 16, "d": 8, "kappa": 10.0,
                              "heterogeneity": 0.5, "network": {"graph": "ring", "mixing": "metropolis"}},
                     optimizer={"name": name}, T=T, seeds=(0, 1))


def test_four_agent_processes_reproduce_the_simulation():
    cfg = ring4("diging")
    _, _, method = build_decentralized(cfg)
    sim = trajectory(method, cfg.T)
    mp = run_multiprocess(cfg, n_procs=4, timeout_s=60, wall_timeout_s=240)
    assert mp.shape == sim.shape
    assert np.max(np.abs(mp - sim)) <= 1e-10  # float64, deterministic gradients


def test_agent_groups_with_fastmix_reproduce_the_simulation_and_a_killed_agent_fails_fast():
    cfg = ring4("mc_gt", T=10)
    _, _, method = build_decentralized(cfg)
    sim = trajectory(method, cfg.T)
    mp = run_multiprocess(cfg, n_procs=2, timeout_s=60, wall_timeout_s=240)
    assert np.max(np.abs(mp - sim)) <= 1e-10
    t0 = time.monotonic()
    with pytest.raises(AgentFailure, match=r"agent process 1 \(agents \[2, 3\]\) exited with code 17"):
        run_multiprocess(cfg, n_procs=2, timeout_s=20, wall_timeout_s=240, fail_rank=1, fail_at=3)
    assert time.monotonic() - t0 < 240


def test_torchrun_launch_reproduces_the_simulation(tmp_path):
    """The torchrun entry point (what runs across machines) gives the simulation's iterates."""
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists() and shutil.which("torchrun") is None:
        pytest.skip("torchrun not installed")
    cfg = ring4("extra")
    (tmp_path / "cfg.json").write_text(json.dumps(cfg.to_dict()))
    proc = subprocess.run(
        [str(torchrun) if torchrun.exists() else "torchrun", "--standalone", "--nproc-per-node=2",
         "-m", "theory_lab.decentralized.multiprocess", "--config", str(tmp_path / "cfg.json"),
         "--out", str(tmp_path / "out"), "--timeout", "60"],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    x = np.concatenate([np.load(tmp_path / "out" / f"rank{r}.npz")["x"] for r in range(2)], axis=1)
    _, _, method = build_decentralized(cfg)
    sim = trajectory(method, cfg.T)
    assert x.shape == sim.shape
    assert np.max(np.abs(x - sim)) <= 1e-10
