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


def test_a_stalled_agent_is_named_not_a_healthy_one():
    """Process 1 hangs (alive, silent): the launcher names it, well before torch's own grace."""
    cfg = ring4("diging", T=10)
    t0 = time.monotonic()
    with pytest.raises(AgentFailure, match=r"agent process 1 \(agents \[2, 3\]\) stalled") as info:
        run_multiprocess(cfg, n_procs=2, timeout_s=3, wall_timeout_s=120, fail_rank=1, fail_at=4,
                         fail_mode="stall")
    assert "agent process 0 " not in str(info.value)
    # start-up (spawn + imports) plus one timeout; the old code answered after timeout + 30 s
    assert time.monotonic() - t0 < 60


def test_unsupported_method_is_refused_before_spawning():
    from theory_lab.errors import UserError

    cfg = ring4("diging").replace(optimizer={"name": "gt_nsvr"})
    t0 = time.monotonic()
    with pytest.raises(UserError, match="deterministic methods"):
        run_multiprocess(cfg, n_procs=2)
    assert time.monotonic() - t0 < 1.0  # nothing was spawned


def test_one_default_timeout_for_launcher_and_torchrun_entry():
    import inspect

    from theory_lab.decentralized import multiprocess as mpmod

    assert mpmod.DEFAULT_TIMEOUT_S == 30.0
    assert inspect.signature(mpmod.run_multiprocess).parameters["timeout_s"].default == 30.0
    assert inspect.signature(mpmod.worker).parameters["timeout_s"].default == 30.0
    src = inspect.getsource(mpmod.main)
    assert "default=DEFAULT_TIMEOUT_S" in src


def _children(pid: int) -> list[int]:
    from pathlib import Path

    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not __import__("os").path.isdir("/proc"), reason="needs /proc to find children")
def test_agents_exit_when_their_launcher_dies(tmp_path):
    """kill -9 of the launcher: its agent processes exit by themselves within seconds."""
    import json
    import os
    import signal
    import subprocess
    import sys

    cfg = ring4("diging", T=10)
    (tmp_path / "cfg.json").write_text(json.dumps(cfg.to_dict()))
    script = (
        "import json, sys\n"
        "from theory_lab import RunConfig\n"
        "from theory_lab.decentralized.multiprocess import run_multiprocess\n"
        f"cfg = RunConfig.from_dict(json.load(open({str(tmp_path / 'cfg.json')!r})))\n"
        "run_multiprocess(cfg, n_procs=2, timeout_s=600, wall_timeout_s=600, fail_rank=1, "
        f"fail_at=2, fail_mode='stall', out_dir={str(tmp_path / 'out')!r})\n"
    )
    launcher = subprocess.Popen([sys.executable, "-c", script])
    try:
        agents = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the two agents (spawn also starts a tracker)
            agents = [p for p in _children(launcher.pid)
                      if "_spawn_entry" in _cmdline(p) or "spawn_main" in _cmdline(p)]
            if len(agents) >= 2:
                break
            time.sleep(0.2)
        assert len(agents) >= 2, "agents did not start"
        deadline = time.monotonic() + 120  # start-up (torch imports) is slow on a loaded machine
        while time.monotonic() < deadline and not (tmp_path / "out" / "stalled1").exists():
            time.sleep(0.2)
        assert (tmp_path / "out" / "stalled1").exists(), "agents did not reach the hang"
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in agents):
            time.sleep(0.2)
        assert not any(_alive(p) for p in agents), "agents kept running after their launcher died"
    finally:
        if launcher.poll() is None:
            launcher.kill()


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
