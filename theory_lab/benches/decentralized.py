r"""Bench section of the decentralized line: one iteration at m = 1024 agents, sparse vs dense W.

Lines (built with :func:`theory_lab.bench._line`):

1. one iteration of gradient tracking (DIGing: two gossip rounds + local gradients) with
   :math:`m = 1024` agents on a ring at :math:`d = 100` (ridge, :math:`n = 4` components
   per agent): sparse CSR mixing (ours) against the same iteration with a dense
   :math:`W` (reference); ratio = dense time / sparse time (higher is better; the
   mixing is :math:`O(m^2 d)` dense vs :math:`O(|\mathcal E| d)` sparse);
2. growth of the sparse iteration's time with :math:`m` (ring, so
   :math:`|\mathcal E| \propto m`): the fitted log-log exponent of time vs
   :math:`m \in \{256, \dots, 4096\}`; target: at most 1.2 (linear in edges).

Timings: medians of interleaved repeats (``time.perf_counter``) after a warm-up.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from ..bench import _line
from ..networks import Mixing, make_graph, make_mixing

SIZES = {"full": {"repeats": 15, "ms": (256, 512, 1024, 2048, 4096)},
         "quick": {"repeats": 3, "ms": (256, 1024)}}


def _problem(m: int, d: int = 100, n: int = 4, seed: int = 0):
    from problems.distributed import DistributedFiniteSum

    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n, d)) / np.sqrt(d)
    b = rng.standard_normal((m, n))
    # the reference quantities are not needed for timing: skip their O(m d^3) set-up
    ref = (np.zeros(d), 0.0, {"m": m, "n": n, "d": d})
    return DistributedFiniteSum(A, b, "ridge", 0.1, _reference=ref)


def _iteration(prob, mixing):
    from ..decentralized.algorithms import DIGing

    meth = DIGing("diging", prob, mixing, {"eta": 0.01}, (0,))
    state, _ = meth.init(np.zeros((prob.m, 1, prob.dim)) + 0.1)

    def one():
        nonlocal state
        state, _ = meth.step(state, 0)

    return one


def bench(mode: str = "full") -> list[dict]:
    cfg = SIZES["quick" if mode == "quick" else "full"]
    lines = []
    m = 1024
    G = make_graph("ring", m)
    W = make_mixing("metropolis", G)
    prob = _problem(m)
    sparse = _iteration(prob, Mixing(W, G))
    dense = _iteration(prob, Mixing(W, G, mode="dense"))
    sparse(), dense()
    ts, td, ratios = [], [], []
    for _ in range(cfg["repeats"]):
        t0 = time.perf_counter()
        sparse()
        t1 = time.perf_counter()
        dense()
        t2 = time.perf_counter()
        ts.append(t1 - t0)
        td.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    lines.append(_line("decentralized: one DIGing iteration, m=1024 ring, d=100, sparse vs dense W",
                       statistics.median(ts) * 1e3, statistics.median(td) * 1e3, "ms",
                       statistics.median(ratios), 2.0,
                       info=f"nnz(W) = {3 * m} of {m * m}"))
    # growth with m at fixed degree
    times = []
    for mm in cfg["ms"]:
        Gm = make_graph("ring", mm)
        step = _iteration(_problem(mm), Mixing(make_mixing("metropolis", Gm), Gm))
        step()
        reps = []
        for _ in range(cfg["repeats"]):
            t0 = time.perf_counter()
            step()
            reps.append(time.perf_counter() - t0)
        times.append(statistics.median(reps))
    slope = float(np.polyfit(np.log(cfg["ms"]), np.log(times), 1)[0])
    lines.append(_line("decentralized: sparse iteration time vs m (ring, edges ~ m): log-log exponent",
                       slope, 1.0, "exponent", slope, 1.2, higher_is_better=False,
                       info=", ".join(f"m={mm}: {t * 1e3:.2f} ms" for mm, t in zip(cfg["ms"], times, strict=True))))
    return lines


__all__ = ["bench"]
