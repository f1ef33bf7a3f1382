r"""Bench section of the ASGO line: one ASGO step on a large matrix, on CPU.

Lines (built with :func:`theory_lab.bench._line`):

1. ASGO theory step at :math:`m\times n = 1024\times 4096` (quick: :math:`128\times 512`),
   float64, one seed: inverse root by eigendecomposition vs by the coupled Newton-Schulz
   iteration (damping :math:`\epsilon = 10^{-6}\|V\|`-scale, same step otherwise) --
   ratio = Newton-Schulz time / eigh time (info: which root is cheaper on this CPU);
2. the same step by the lab's optimizer (numpy) vs a hand-written torch implementation
   (``torch.linalg.eigh`` on the accumulated :math:`V`) -- ratio = torch time / our time,
   target 0.5 (within 2x of torch);
3. achieved FLOP/s of our step against a plain matmul of the same shape
   (:math:`G G^\top`, :math:`2m^2n` flops) on the same device: the step is credited with
   its matmul flops only, :math:`4m^2n + 2m^3` (:math:`GG^\top`, :math:`V^{-1/2}G`, and
   :math:`Q\Lambda^{-1/2}Q^\top`); the eigendecomposition's work is not counted, so
   the ratio is the share of matmul speed the whole step achieves (info).

Candidates are interleaved per repeat and ratios are medians of per-repeat ratios
(:func:`theory_lab.bench._interleaved`, :func:`theory_lab.bench._paired_ratio`).
"""

from __future__ import annotations

import statistics

import numpy as np

SIZES = {"full": {"m": 1024, "n": 4096, "repeats": 5, "warmup": 1},
         "quick": {"m": 128, "n": 512, "repeats": 3, "warmup": 1}}


def bench(mode: str) -> list[dict]:
    from theory_lab.bench import _interleaved, _line, _paired_ratio
    from theory_lab.optimizers import make

    cfg = SIZES[mode]
    m, n = cfg["m"], cfg["n"]
    rng = np.random.default_rng(0)
    g = rng.normal(size=(1, m * n))
    w0 = rng.normal(size=(1, m * n))
    eps = 1e-6 * n  # V = G G^T has eigenvalues ~ n: relative damping 1e-6
    opt_eigh = make("asgo", lr=0.1, m=m, n=n, eps=eps)
    opt_ns = make("asgo", lr=0.1, m=m, n=n, eps=eps, root="newton_schulz")
    st_e, st_n = opt_eigh.init(w0), opt_ns.init(w0)
    # a state after one step, so V is full rank-ish and the root has work to do
    st_e = opt_eigh.step(st_e, g, 0)
    st_n = opt_ns.step(st_n, g, 0)
    out = {}

    def ours_eigh():
        out["e"] = opt_eigh.step(st_e, g, 1)

    def ours_ns():
        out["n"] = opt_ns.step(st_n, g, 1)

    G2 = g[0].reshape(m, n)

    def matmul():
        out["mm"] = G2 @ G2.T

    cands = {"eigh": ours_eigh, "ns": ours_ns, "matmul": matmul}
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    if torch is not None:
        Vt = torch.from_numpy(np.ascontiguousarray(st_e["V"][0]))
        Wt = torch.from_numpy(st_e["w"][0].reshape(m, n).copy())
        Gt = torch.from_numpy(g[0].reshape(m, n).copy())
        I = torch.eye(m, dtype=torch.float64)

        def torch_step():
            V = Vt + Gt @ Gt.T
            lam, Q = torch.linalg.eigh(V + eps * I)
            P = (Q * lam.rsqrt()) @ Q.T
            out["t"] = Wt - 0.1 * (P @ Gt)

        cands["torch"] = torch_step
    t = _interleaved(cands, cfg["repeats"], cfg["warmup"])
    med = {k: statistics.median(v) for k, v in t.items()}
    lines = [_line(
        f"ASGO step {m}x{n} f64 CPU: inverse root Newton-Schulz vs eigh",
        med["eigh"] * 1e3, med["ns"] * 1e3, "ms", _paired_ratio(t["ns"], t["eigh"]), None,
        info="ours = eigh root, reference = coupled Newton-Schulz root; ratio = NS time / eigh time "
        f"(same update to {float(np.abs(out['e']['w'] - out['n']['w']).max()):.1e})",
    )]
    step_flops, mm_flops = 4 * m * m * n + 2 * m**3, 2 * m * m * n
    lines.append(_line(
        f"ASGO step {m}x{n} f64 CPU: achieved FLOP/s vs a plain matmul (G G^T)",
        step_flops / med["eigh"] * 1e-9, mm_flops / med["matmul"] * 1e-9, "GFLOP/s",
        _paired_ratio([step_flops * x for x in t["matmul"]], [mm_flops * x for x in t["eigh"]]), None,
        info="step credited with its matmul flops 4m^2n + 2m^3 only (eigh's work uncounted); "
        "ratio = step GFLOP/s / matmul GFLOP/s",
    ))
    if torch is not None:
        diff = float(np.abs(out["e"]["w"][0] - out["t"].numpy().reshape(-1)).max())
        lines.append(_line(
            f"ASGO step {m}x{n} f64 CPU: ours (numpy, eigh) vs torch implementation",
            med["eigh"] * 1e3, med["torch"] * 1e3, "ms", _paired_ratio(t["torch"], t["eigh"]), 0.5,
            info=f"ratio = torch time / our time; target: within 2x; max |difference| {diff:.1e}",
        ))
    else:  # pragma: no cover
        lines.append({"name": "ASGO step vs torch", "status": "skip", "info": "torch not installed",
                      "ours": med["eigh"] * 1e3, "reference": None, "unit": "ms", "ratio": None,
                      "target": 0.5})
    return lines
