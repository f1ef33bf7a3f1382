r"""Real multi-process agents: one process per agent (or group of agents) over torch.distributed.

Each process owns a contiguous group of agents, holds only their data and iterates, and
performs every multiplication by :math:`W` as a neighbour exchange: it sends the rows
its neighbours need and receives theirs with ``torch.distributed.batch_isend_irecv``
(gloo backend, CPU, float64), then combines them with its rows of :math:`W`.  The
algorithm code is *the same* as the simulation's
(:mod:`theory_lab.decentralized.algorithms`): the method object is built on the
process's sub-problem with a :class:`NeighbourMixing` in place of the stacked
:class:`~theory_lab.networks.Mixing`, and FastMix runs round by round.  So with
deterministic gradients (``dgd`` without batch, ``extra``, ``diging``, ``mc_gt``) the
iterates equal the simulation's up to floating-point reassociation (the tests require
:math:`10^{-10}` on a 4-agent ring in float64).

Failure handling: the process group has a timeout (``timeout_s``, default
:data:`DEFAULT_TIMEOUT_S` = 30 s, the same for :func:`run_multiprocess` and the torchrun
entry), so a process waiting on a dead neighbour raises instead of hanging.  The launcher
(:func:`run_multiprocess`) polls its children:

* one exits abnormally: the others are terminated and :class:`AgentFailure` names the
  process and its agents;
* one *stalls* (alive, but no progress): every process keeps a heartbeat in shared memory
  (a counter bumped on entering and leaving each neighbour wait, and a flag saying whether
  it is waiting).  When no heartbeat has moved for ``timeout_s``, the processes that are
  not waiting on a neighbour are the stalled ones; the launcher names them and stops all
  processes, without waiting for torch's own time-out on the healthy ones;
* the overall ``wall_timeout_s`` expires.

Agents exit by themselves when their parent (the launcher, or torchrun's agent) dies, so
a killed launcher leaves no rank computing.  Methods outside :data:`DETERMINISTIC` are
refused before anything is spawned.

Launching
---------
From Python (the lab spawns the processes on this machine)::

    from theory_lab import RunConfig
    from theory_lab.decentralized.multiprocess import run_multiprocess
    cfg = RunConfig(problem={"name": "distributed_ridge", "m": 4, "n": 16, "d": 8, "kappa": 10,
                             "network": {"graph": "ring", "mixing": "metropolis"}},
                    optimizer={"name": "diging"}, T=50)
    X = run_multiprocess(cfg, n_procs=4)      # (T+1, m, S, d) iterates of every agent

With torchrun, on one machine (4 processes)::

    python -m theory_lab.decentralized.multiprocess --write-spec spec.json   # or your own RunConfig JSON
    torchrun --standalone --nproc-per-node=4 -m theory_lab.decentralized.multiprocess \
        --config spec.json --out results/mp

Across machines (say 2 hosts x 2 processes; every host needs this package, the same
config file and a route to the master): pick the master host ``HOST`` and a free port,
then on *each* host::

    torchrun --nnodes=2 --nproc-per-node=2 --node-rank=<0 or 1> \
        --master-addr=HOST --master-port=29500 \
        -m theory_lab.decentralized.multiprocess --config spec.json --out /shared/mp

(or ``--rdzv-backend=c10d --rdzv-endpoint=HOST:29500`` instead of the master flags).
torchrun sets ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``; without
torchrun set them yourself and run ``python -m theory_lab.decentralized.multiprocess``
once per rank.  Set ``GLOO_SOCKET_IFNAME`` (e.g. ``eth0``) when the hosts have several
network interfaces.  Each rank writes ``rank<r>.npz`` (its agents' iterates) under
``--out``; :func:`gather` assembles them.

References
----------
.. [1] PyTorch documentation, "Distributed communication package - torch.distributed"
   (gloo backend, ``batch_isend_irecv``) and "torchrun (Elastic Launch)".
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

__all__ = ["AgentFailure", "NeighbourMixing", "agent_groups", "check_supported", "gather", "run_multiprocess",
           "worker"]

DETERMINISTIC = ("dgd", "extra", "diging", "mc_gt")
#: torch.distributed time-out of every wait, and the launcher's stall threshold (seconds).
DEFAULT_TIMEOUT_S = 30.0
#: Exit code of an agent whose parent died.
ORPHAN_EXIT = 70

# heartbeat of this process: (shared array, rank) or None; see ``_beat``
_HEARTBEAT = None


def _beat(waiting: bool) -> None:
    """Move this process's heartbeat: ``2 * count + waiting`` (count grows on every call)."""
    if _HEARTBEAT is None:
        return
    arr, rank = _HEARTBEAT
    arr[rank] = (arr[rank] // 2 + 1) * 2 + int(waiting)


def _exit_with_parent(parent: int | None = None) -> None:
    """Daemon thread: exit this process (code :data:`ORPHAN_EXIT`) once its parent is gone.

    ``parent`` is the pid the launcher gave (a child that starts after its launcher died
    would otherwise take its new parent, init, for the launcher); default: the current one.
    """
    import threading

    parent = os.getppid() if parent is None else parent

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(ORPHAN_EXIT)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def check_supported(config, build: bool = True):
    """Refuse, before spawning, a config the multi-process runner does not run.

    The runner covers the deterministic methods :data:`DETERMINISTIC` (``dgd`` without a
    batch).  With ``build`` the config is built once here, so bad parameters and stochastic
    settings fail with a :class:`~theory_lab.errors.UserError` before any process starts;
    the built ``(problem, mixing, method)`` is returned so a caller need not build again.
    """
    from ..config import RunConfig
    from ..errors import UserError

    if not isinstance(config, RunConfig):
        raise UserError(f"the multi-process runner needs a RunConfig, got {type(config).__name__}")
    name = config.optimizer.get("name")
    if name not in DETERMINISTIC:
        raise UserError(f"the multi-process runner supports the deterministic methods "
                        f"{', '.join(DETERMINISTIC)}; got {name!r}")
    if build:
        from .simulate import build_decentralized

        built = build_decentralized(config)
        method = built[2]
        if method.oracle != "exact":
            raise UserError(f"the multi-process runner supports deterministic gradients only; "
                            f"{name!r} with batch={method.params.get('batch')!r} is stochastic")
        return built
    return None


class AgentFailure(RuntimeError):
    """An agent process died or timed out; the others were stopped."""


def agent_groups(m: int, n_procs: int) -> list[list[int]]:
    """Contiguous, balanced groups of agents, one per process."""
    if not 1 <= n_procs <= m:
        raise ValueError(f"n_procs must lie in [1, m = {m}], got {n_procs}")
    bounds = np.linspace(0, m, n_procs + 1).round().astype(int)
    return [list(range(bounds[r], bounds[r + 1])) for r in range(n_procs)]


class NeighbourMixing:
    """:math:`W` applied to this process's agents by exchanging rows with neighbour processes.

    Quacks like :class:`theory_lab.networks.Mixing` for the methods: ``m`` (local agent
    count), ``lambda2``/``gap`` (of the whole network), ``apply(U_local)``.
    """

    def __init__(self, W: np.ndarray, groups: list[list[int]], rank: int, lambda2: float):
        import torch

        self.W = np.asarray(W, dtype=float)
        self.groups, self.rank = groups, rank
        self.mine = groups[rank]
        self.m = len(self.mine)
        self.lambda2, self.gap = float(lambda2), 1.0 - float(lambda2)
        owner = {a: r for r, g in enumerate(groups) for a in g}
        self.send, self.recv = {}, {}
        for r, g in enumerate(groups):
            if r == rank:
                continue
            out = sorted({a for a in self.mine for b in g if self.W[b, a] != 0})
            inn = sorted({b for b in g for a in self.mine if self.W[a, b] != 0})
            if out:
                self.send[r] = out
            if inn:
                self.recv[r] = inn
        known = list(self.mine) + [b for r in sorted(self.recv) for b in self.recv[r]]
        self.Wloc = torch.as_tensor(self.W[np.ix_(self.mine, known)], dtype=torch.float64)
        self._local_pos = {a: i for i, a in enumerate(self.mine)}
        self._owner = owner
        self.dense = self.W  # for method_symbols-like uses

    def apply(self, U):
        import torch
        import torch.distributed as dist

        ops, bufs = [], []
        for r in sorted(self.send):
            idx = [self._local_pos[a] for a in self.send[r]]
            ops.append(dist.P2POp(dist.isend, U[idx].contiguous(), r))
        for r in sorted(self.recv):
            buf = torch.empty((len(self.recv[r]),) + tuple(U.shape[1:]), dtype=U.dtype)
            bufs.append(buf)
            ops.append(dist.P2POp(dist.irecv, buf, r))
        if ops:
            _beat(True)
            for req in dist.batch_isend_irecv(ops):
                req.wait()
            _beat(False)
        full = torch.cat([U, *bufs], dim=0) if bufs else U
        return (self.Wloc.to(U.dtype) @ full.reshape(full.shape[0], -1)).reshape(U.shape)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank: int, world: int, config_dict: dict, out_dir: str,
           timeout_s: float = DEFAULT_TIMEOUT_S, fail_rank: int | None = None,
           fail_at: int | None = None, init_method: str = "env://", fail_mode: str = "exit",
           built=None):
    """Body of one agent process (spawned, or started by torchrun with ``init_method='env://'``).

    ``built``: the config's ``(problem, mixing, method)`` when the caller already built and
    checked it (:func:`check_supported`); otherwise it is built and checked here.
    ``fail_rank``/``fail_at``/``fail_mode`` are a testing hook: process ``fail_rank`` exits
    with code 17 (``"exit"``) or sleeps forever without communicating (``"stall"``) before
    iteration ``fail_at``.
    """
    import torch
    import torch.distributed as dist

    from ..config import RunConfig
    from .algorithms import METHODS

    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world, init_method=init_method,
                            timeout=timedelta(seconds=timeout_s))
    try:
        cfg = RunConfig.from_dict(config_dict)
        # full problem (same on every rank), checked before any agent computes
        prob, mixing, method = built if built is not None else check_supported(cfg)
        groups = agent_groups(prob.m, world)
        mine = groups[rank]
        from problems.distributed import DistributedFiniteSum

        sub = DistributedFiniteSum(prob._A[mine], prob._b[mine], prob.kind, prob.lam,
                                   backend="torch", name=prob.name, _reference=prob._ref)
        nmix = NeighbourMixing(mixing.dense, groups, rank, mixing.lambda2)
        cls = METHODS[method.name][0]
        params = {**method.params, "fastmix_mode": "rounds"}
        local = cls(method.name, sub, nmix, params, method.seeds, method.oracle)
        S, d = len(method.seeds), prob.dim
        X0 = sub.w0[None, None, :] + torch.zeros((len(mine), S, d), dtype=torch.float64)
        state, _ = local.init(X0)
        traj = [state["x"].numpy().copy()]
        for t in range(cfg.T):
            if rank == fail_rank and t == fail_at:
                if fail_mode == "stall":  # simulate a hung agent: alive, silent
                    Path(out_dir).mkdir(parents=True, exist_ok=True)
                    (Path(out_dir) / f"stalled{rank}").touch()  # lets a test see the hang began
                    while True:
                        time.sleep(3600)
                os._exit(17)  # simulate a crashed agent
            state, _ = local.step(state, t)
            traj.append(state["x"].numpy().copy())
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        np.savez(Path(out_dir) / f"rank{rank}.npz", agents=np.array(mine), x=np.stack(traj))
        _beat(True)
        dist.barrier()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _spawn_entry(rank, world, config_dict, out_dir, port, timeout_s, fail_rank, fail_at,
                 fail_mode, heartbeat, launcher_pid):
    global _HEARTBEAT
    _exit_with_parent(launcher_pid)
    _HEARTBEAT = (heartbeat, rank)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    worker(rank, world, config_dict, out_dir, timeout_s, fail_rank, fail_at, fail_mode=fail_mode)


def gather(out_dir, m: int | None = None) -> np.ndarray:
    """Assemble the ranks' files into the iterates ``(T+1, m, S, d)``."""
    files = sorted(Path(out_dir).glob("rank*.npz"))
    if not files:
        raise FileNotFoundError(f"no rank*.npz files in {out_dir}")
    parts = [np.load(f) for f in files]
    m = m or sum(len(p["agents"]) for p in parts)
    T1, _, S, d = parts[0]["x"].shape
    X = np.full((T1, m, S, d), np.nan)
    for p in parts:
        X[:, p["agents"]] = p["x"]
    return X


def run_multiprocess(config, n_procs: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                     wall_timeout_s: float = 300.0, fail_rank: int | None = None,
                     fail_at: int | None = None, out_dir=None, fail_mode: str = "exit") -> np.ndarray:
    """Spawn ``n_procs`` agent processes on this machine and return all iterates ``(T+1, m, S, d)``.

    Parameters
    ----------
    config : RunConfig
        A decentralized config (see :func:`~theory_lab.decentralized.simulate.build_decentralized`)
        with a deterministic method.
    n_procs : int, optional
        Processes (default: one per agent); agents are split into contiguous groups.
    timeout_s : float
        torch.distributed timeout of every collective / point-to-point wait, and the time
        without any heartbeat after which the silent processes are declared stalled.
    wall_timeout_s : float
        Overall limit; on expiry the processes are terminated and :class:`AgentFailure` raised.
    fail_rank, fail_at, fail_mode : optional
        Testing hook: process ``fail_rank`` exits with code 17 (``"exit"``) or hangs
        (``"stall"``) before iteration ``fail_at``.

    Raises
    ------
    UserError
        The method is not one of :data:`DETERMINISTIC` (raised before spawning).
    AgentFailure
        A process exited abnormally, stalled, or the run exceeded ``wall_timeout_s``.
    """
    import torch.multiprocessing as mp

    check_supported(config)  # refuse here, not from inside the agent processes
    m = int(config.problem["m"])
    n_procs = m if n_procs is None else int(n_procs)
    agent_groups(m, n_procs)  # validates
    tmp = None
    if out_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="theory_lab_mp_")
        out_dir = tmp.name
    try:
        port = _free_port()
        heartbeat = mp.get_context("spawn").Array("q", n_procs, lock=False)
        ctx = mp.start_processes(
            _spawn_entry, args=(n_procs, config.to_dict(), str(out_dir), port, timeout_s,
                                fail_rank, fail_at, fail_mode, heartbeat, os.getpid()),
            nprocs=n_procs, join=False, start_method="spawn")
        t0 = time.monotonic()
        last_move = None  # the stall clock starts with the first heartbeat (after start-up)
        groups = agent_groups(m, n_procs)
        beats = list(heartbeat)

        def stop(message: str, cause=None):
            for p in ctx.processes:
                if p.is_alive():
                    p.terminate()
            raise AgentFailure(message) from cause

        def silent_ranks(min_quiet: float, exclude=()) -> list[int]:
            """Live ranks not waiting on a neighbour while no heartbeat moved for ``min_quiet``."""
            if last_move is None or time.monotonic() - last_move < min_quiet:
                return []
            live = [r for r, p in enumerate(ctx.processes) if p.is_alive() and r not in exclude]
            return [r for r in live if beats[r] % 2 == 0]

        def stalled_text(ranks):
            who = ", ".join(f"{r} (agents {groups[r]})" for r in ranks)
            return (f"agent process {who} stalled: no progress for "
                    f"{time.monotonic() - last_move:.1f} s while not waiting on a neighbour; "
                    f"all {n_procs} processes were stopped")

        while True:
            try:
                if ctx.join(timeout=0.5):
                    break
            except mp.ProcessExitedException as exc:
                r = exc.error_index
                raise AgentFailure(
                    f"agent process {r} (agents {groups[r]}) exited with code {exc.exit_code}; "
                    f"the other {n_procs - 1} processes were terminated"
                ) from exc
            except mp.ProcessRaisedException as exc:
                # a healthy process that timed out on a hung neighbour raises first: name the hung one
                beats = list(heartbeat)
                hung = silent_ranks(0.5 * timeout_s, exclude=(exc.error_index,))
                if hung:
                    stop(stalled_text(hung), exc)
                r = exc.error_index
                raise AgentFailure(f"agent process {r} (agents {groups[r]}) raised:\n{exc}") from exc
            current = list(heartbeat)
            if current != beats:
                beats, last_move = current, time.monotonic()
            hung = silent_ranks(timeout_s)
            if hung:
                stop(stalled_text(hung))
            if time.monotonic() - t0 > wall_timeout_s:
                stop(f"multi-process run exceeded wall_timeout_s = {wall_timeout_s} s; terminated")
        return gather(out_dir, m)
    finally:
        if tmp is not None:
            tmp.cleanup()


def main(argv=None) -> int:
    """torchrun / manual entry point: ``--config run.json --out DIR`` (env:// rendezvous)."""
    parser = argparse.ArgumentParser(description="one agent process of a decentralized run")
    parser.add_argument("--config", help="RunConfig as JSON (RunConfig.to_dict())")
    parser.add_argument("--out", default="results/mp")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds a rank waits on a neighbour (default {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--write-spec", help="write an example 4-agent ring config to this path and exit")
    args = parser.parse_args(argv)
    if args.write_spec:
        from ..config import RunConfig

        cfg = RunConfig(problem={"name": "distributed_ridge", "m": 4, "n": 16, "d": 8, "kappa": 10.0,
                                 "heterogeneity": 0.5, "network": {"graph": "ring", "mixing": "metropolis"}},
                        optimizer={"name": "diging"}, T=100)
        Path(args.write_spec).write_text(json.dumps(cfg.to_dict(), indent=1))
        return 0
    if not args.config:
        parser.error("--config is required")
    from ..config import RunConfig

    config_dict = json.loads(Path(args.config).read_text())
    built = check_supported(RunConfig.from_dict(config_dict))  # one line, before the group forms
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    _exit_with_parent()
    worker(rank, world, config_dict, args.out, args.timeout, built=built)
    return 0


if __name__ == "__main__":
    sys.exit(main())
