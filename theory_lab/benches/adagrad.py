r"""Bench section of the AdaGrad line (collected by :mod:`theory_lab.bench`).

1. One diagonal AdaGrad update on a :math:`d`-vector (float64; the gradient precomputed):
   the lab's ``Optimizer.step_inplace`` (fused, cache-blocked kernel
   :func:`theory_lab.optimizers.adagrad.adagrad_update_`, 5 words of memory traffic per
   coordinate) against ``torch.optim.Adagrad([p], lr, eps)`` (``addcmul_``, ``sqrt``,
   ``add_``, ``addcdiv_``: four passes and a fresh :math:`d`-vector per step), candidates
   interleaved per repeat, ratio = median of per-repeat ratios; for information also the
   pure (allocating) ``step``.
2. The step-size tuning sweep (:func:`theory_lab.tuning.tune`, joblib engine, no cache) on
   2 workers against 1: ratio = 1-worker wall time / 2-worker wall time.

Sizes: ``full`` d = 10^7 and 8 tuning runs of ~1 s; ``quick`` (seconds) d = 2^17 and 4 short runs.

References
----------
.. [1] Y. Liu, R. Pan, T. Zhang. "AdaGrad under Anisotropic Smoothness." ICLR 2025.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from ..bench import _interleaved, _line, _paired_ratio, _torch

SIZES = {
    "full": {"d": 10**7, "repeats": 15, "warmup": 2, "tune_T": 4000, "tune_grid": 8,
             "tune_repeats": 2},
    "quick": {"d": 1 << 17, "repeats": 5, "warmup": 1, "tune_T": 300, "tune_grid": 4,
              "tune_repeats": 1},
}
LR, EPS = 0.01, 1e-10


def bench_step(d: int, repeats: int, warmup: int) -> list[dict]:
    from ..optimizers import make

    rng = np.random.default_rng(0)
    w0 = rng.uniform(-1.0, 1.0, size=(1, d))
    grad = rng.standard_normal((1, d))
    opt = make("adagrad", lr=LR, eps=EPS)
    state = opt.init(w0.copy())
    pure_state = opt.init(w0.copy())

    def ours():
        nonlocal state
        state = opt.step_inplace(state, grad, 0)

    def pure():
        nonlocal pure_state
        pure_state = opt.step(pure_state, grad, 0)

    candidates = {"ours": ours, "pure": pure}
    torch = _torch()
    if torch is not None:
        p = torch.from_numpy(w0[0].copy())
        p.grad = torch.from_numpy(grad[0].copy())
        topt = torch.optim.Adagrad([p], lr=LR, eps=EPS, initial_accumulator_value=0.0)
        candidates["torch"] = topt.step
    t = _interleaved(candidates, repeats, warmup)
    med = {k: statistics.median(v) * 1e3 for k, v in t.items()}
    lines = []
    if torch is not None:
        lines.append(_line(f"AdaGrad step d={d:.0e} f64: step_inplace vs torch.optim.Adagrad",
                           med["ours"], med["torch"], "ms", _paired_ratio(t["torch"], t["ours"]),
                           1.0, info="ratio = torch time / our time"))
    else:  # pragma: no cover - depends on the environment
        lines.append({"name": "AdaGrad step vs torch.optim.Adagrad", "status": "skip",
                      "info": "torch not installed", "ours": med["ours"], "reference": None,
                      "unit": "ms", "ratio": None, "target": 1.0})
    lines.append(_line("  (info) AdaGrad pure step (allocating) vs step_inplace", med["ours"],
                       med["pure"], "ms", _paired_ratio(t["pure"], t["ours"]), None,
                       info="ratio = pure step time / step_inplace time"))
    return lines


def bench_tuning(T: int, n_grid: int, repeats: int) -> list[dict]:
    from .. import RunConfig
    from ..tuning import tune

    base = RunConfig(problem={"name": "separable_quadratic", "d": 1000, "L": "sparse_large",
                              "L_ratio": 0.05, "sigma_max": 0.1},
                     optimizer={"name": "adagrad", "lr": 0.1}, T=T, batch_size=4,
                     seeds=tuple(range(4)), n_checkpoints=30)
    grid = [0.02 * 1.6**k for k in range(n_grid)]

    def run(n_jobs):
        def f():
            tune(base, "optimizer.lr", grid, store=None, n_jobs=n_jobs)
        return f

    from threadpoolctl import threadpool_limits

    # one BLAS thread in this process too, as loky gives each of its workers: a 2-thread
    # BLAS spinning on a loaded 2-core machine made the in-process 1-worker run ~10x slower
    with threadpool_limits(1):
        run(2)()  # start the worker pool once (loky reuses it)
        t = _interleaved({"one": run(1), "two": run(2)}, repeats, warmup=0)
    return [_line(f"tuning sweep ({n_grid} runs, T={T}): joblib 2 workers vs 1",
                  statistics.median(t["two"]), statistics.median(t["one"]), "s",
                  _paired_ratio(t["one"], t["two"]), 1.7,
                  info="ratio = 1-worker time / 2-worker time; needs 2 idle cores")]


def bench(mode: str) -> list[dict]:
    """Bench lines of the AdaGrad line for ``mode`` ("full" or "quick")."""
    if mode not in SIZES:
        raise ValueError(f"mode must be 'full' or 'quick', got {mode!r}")
    cfg = SIZES[mode]
    t0 = time.perf_counter()
    lines = bench_step(cfg["d"], cfg["repeats"], cfg["warmup"])
    lines += bench_tuning(cfg["tune_T"], cfg["tune_grid"], cfg["tune_repeats"])
    for line in lines:
        line.setdefault("info", "")
    lines[-1]["info"] += f" (section {time.perf_counter() - t0:.1f} s)"
    return lines
