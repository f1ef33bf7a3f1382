r"""Performance bench: ratios against references measured in the same run.

``make bench`` (``python -m theory_lab.bench``) measures

1. one SHB update on a :math:`d = 10^7` float64 vector (only the optimizer update, the
   gradient is precomputed): the lab's ``Optimizer.step_inplace`` (fused kernel of
   :mod:`theory_lab.kernels`) against ``torch.optim.SGD([p], lr, momentum=beta)`` with
   ``p.grad`` set -- the same update (they coincide for a constant step size);
   for information also the pure ``step`` and the kernel restricted to one thread;
2. the bandwidth of that update, :math:`5 \cdot 8 d` bytes (read :math:`w, v, g`, write
   :math:`w, v`) per call, against ``np.copyto``'s :math:`2 \cdot 8 d` bytes per call;
3. 64 seeds in one vectorized :func:`theory_lab.runner.run` call against 64 sequential
   one-seed runs (SHB, anisotropic noise, :math:`d = 1000`);
4. on a GPU (skipped without CUDA): 1 and 2 at :math:`d = 10^8` float32 on the device;
5. the research lines' sections (:mod:`theory_lab.benches`).

Timings are medians of repeats after warm-up (``time.perf_counter``).  The
candidates are interleaved within every repeat and each ratio is the median of the
per-repeat ratios, so that load from other processes, which drifts over seconds,
hits both sides of a ratio alike.  Results go to ``bench.json`` and ``bench.md`` in
``--out`` (default ``results/bench``) with the machine's description.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__, benches, kernels
from .optimizers import heavy_ball
from .random import SeedStreams
from .runner import run

DEFAULT_OUT = Path("results") / "bench"

#: Full and ``--quick`` sizes.
SIZES = {
    "full": {"d": 10**7, "repeats": 21, "warmup": 3, "seeds": 64, "run_d": 1000, "T": 300,
             "run_repeats": 3},
    "quick": {"d": 1 << 17, "repeats": 5, "warmup": 1, "seeds": 8, "run_d": 100, "T": 30,
              "run_repeats": 1},
}

LR, BETA = 0.01, 0.9


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return torch


def machine_info() -> dict:
    """CPU, library versions and load of the machine the bench runs on."""
    torch = _torch()
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover - not on Linux
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    info = {
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "cuda_available": bool(torch and torch.cuda.is_available()),
        "device": "cpu",
        "kernel_threads": kernels.get_num_threads(),
        "kernel_adaptive_threads": kernels.ADAPTIVE,
        "kernel_chunk": kernels.CHUNK,
        "theory_lab": __version__,
    }
    if hasattr(os, "getloadavg"):
        info["loadavg_start"] = list(os.getloadavg())
    return info


def _interleaved(candidates: dict, repeats: int, warmup: int) -> dict[str, list[float]]:
    """Call every candidate once per repeat, in a shuffled order (so that none always
    follows the same one, e.g. torch, whose OpenMP threads spin on after a call);
    per-call wall times in seconds."""
    for _ in range(warmup):
        for f in candidates.values():
            f()
    times = {k: [] for k in candidates}
    order = list(candidates)
    rng = random.Random(0)
    for _ in range(repeats):
        rng.shuffle(order)
        for k in order:
            t0 = time.perf_counter()
            candidates[k]()
            times[k].append(time.perf_counter() - t0)
    return times


def _paired_ratio(num: list[float], den: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(num, den, strict=True))


def _line(name, ours, reference, unit, ratio, target, *, info="", higher_is_better=True):
    if target is None:
        status = "info"
    else:
        status = "pass" if (ratio >= target if higher_is_better else ratio <= target) else "fail"
    return {
        "name": name,
        "ours": ours,
        "reference": reference,
        "unit": unit,
        "ratio": ratio,
        "target": target,
        "status": status,
        "info": info,
        "higher_is_better": higher_is_better,
    }


# -- 1 and 2: the SHB update on one long vector -------------------------------------
def bench_update(d: int, repeats: int, warmup: int) -> list[dict]:
    rng = np.random.default_rng(0)
    eig = rng.uniform(0.01, 1.0, size=d)
    w0 = rng.uniform(-1.0, 1.0, size=d)[None, :]  # (S = 1, d), as the runner holds it
    grad = eig * w0  # gradient of 0.5 w^T diag(eig) w, precomputed once
    opt = heavy_ball(LR, BETA)

    state = opt.init(w0.copy())
    pure_state = opt.init(w0.copy())
    # separate buffers per variant: none finds the previous one's data in cache
    single = {"w": w0.copy(), "v": np.zeros_like(w0)}
    multi = {"w": w0.copy(), "v": np.zeros_like(w0)}
    dst = np.empty_like(w0)

    def ours():
        nonlocal state
        state = opt.step_inplace(state, grad, 0)

    def ours_one_thread():
        prev = kernels.set_num_threads(1)
        try:
            kernels.heavy_ball_update_(single["w"], single["v"], grad, LR, BETA)
        finally:
            kernels.set_num_threads(prev)

    def ours_always_threads():
        prev, kernels.ADAPTIVE = kernels.ADAPTIVE, False
        try:
            kernels.heavy_ball_update_(multi["w"], multi["v"], grad, LR, BETA)
        finally:
            kernels.ADAPTIVE = prev

    def pure():
        nonlocal pure_state
        pure_state = opt.step(pure_state, grad, 0)

    def copy():
        np.copyto(dst, w0)

    candidates = {"ours": ours, "ours_1t": ours_one_thread, "ours_nt": ours_always_threads,
                  "pure": pure, "copy": copy}
    torch = _torch()
    if torch is not None:
        p = torch.from_numpy(w0[0].copy())
        p.grad = torch.from_numpy(grad[0].copy())
        topt = torch.optim.SGD([p], lr=LR, momentum=BETA)
        candidates["torch"] = topt.step
    t = _interleaved(candidates, repeats, warmup)
    med = {k: statistics.median(v) for k, v in t.items()}
    ms = 1e3
    lines = []
    if torch is not None:
        lines.append(_line(
            f"SHB step d={d:.0e} f64: step_inplace vs torch.optim.SGD(momentum)",
            med["ours"] * ms, med["torch"] * ms, "ms", _paired_ratio(t["torch"], t["ours"]), 1.0,
            info="ratio = torch time / our time",
        ))
    else:  # pragma: no cover - depends on the environment
        lines.append({"name": "SHB step vs torch.optim.SGD", "status": "skip",
                      "info": "torch not installed", "ours": med["ours"] * ms,
                      "reference": None, "unit": "ms", "ratio": None, "target": 1.0})
    lines.append(_line(
        "  (info) pure step (allocating) vs step_inplace",
        med["ours"] * ms, med["pure"] * ms, "ms", _paired_ratio(t["pure"], t["ours"]), None,
        info="ratio = pure step time / step_inplace time",
    ))
    nt = kernels.get_num_threads()
    lines.append(_line(
        "  (info) kernel default (adaptive threads) vs 1 thread",
        med["ours"] * ms, med["ours_1t"] * ms, "ms", _paired_ratio(t["ours_1t"], t["ours"]),
        None, info="ratio = 1-thread time / default time",
    ))
    lines.append(_line(
        f"  (info) kernel default (adaptive threads) vs always {nt} threads",
        med["ours"] * ms, med["ours_nt"] * ms, "ms", _paired_ratio(t["ours_nt"], t["ours"]),
        None, info=f"ratio = {nt}-thread time / default time",
    ))
    gb = 1e-9
    ours_bw = 5 * 8 * d / med["ours"] * gb
    copy_bw = 2 * 8 * d / med["copy"] * gb
    ratio = _paired_ratio([5 * x for x in t["copy"]], [2 * x for x in t["ours"]])
    lines.append(_line(
        "SHB update bandwidth (5*8d B) vs np.copyto (2*8d B)", ours_bw, copy_bw, "GB/s",
        ratio, 0.5, info="ratio = our bytes/s / copy bytes/s; target: within 2x",
    ))
    return lines


# -- 3: vectorized seeds -----------------------------------------------------------------
def bench_seeds(n_seeds: int, d: int, T: int, repeats: int) -> list[dict]:
    import problems

    prob = problems.make("quadratic", d=d, kappa=100.0, noise="anisotropic", sigma=1.0)
    opt = heavy_ball(0.5, 0.9)
    seeds = list(range(n_seeds))
    kw = {"T": T, "batch_size": 1, "n_checkpoints": 30}
    out = {}

    def vectorized():
        out["vec"] = run(prob, opt, seeds=seeds, **kw)

    def sequential():
        out["seq"] = [run(prob, opt, seeds=[s], **kw) for s in seeds]

    def noise_only():  # what the vectorized run spends drawing its Gaussian noise
        streams = SeedStreams(seeds, stream=0)
        for _ in range(T):
            streams.normal(d)

    exact = problems.make("quadratic", d=d, kappa=100.0, noise="none")
    opt_exact = heavy_ball(0.5, 0.9, oracle="exact")

    def vectorized_exact():
        run(exact, opt_exact, seeds=seeds, **kw)

    def sequential_exact():
        for s in seeds:
            run(exact, opt_exact, seeds=[s], **kw)

    t = _interleaved({"vec": vectorized, "seq": sequential, "rng": noise_only,
                      "vec_exact": vectorized_exact, "seq_exact": sequential_exact}, repeats,
                     warmup=0)
    seq_sub = np.concatenate([r["suboptimality"] for r in out["seq"]])
    agree = bool(np.allclose(out["vec"]["suboptimality"], seq_sub, rtol=1e-10, atol=0))
    return [
        _line(
            f"{n_seeds} seeds vectorized vs {n_seeds} sequential runs (SHB, d={d}, T={T})",
            statistics.median(t["vec"]), statistics.median(t["seq"]), "s",
            _paired_ratio(t["seq"], t["vec"]), 10.0,
            info=f"ratio = sequential time / vectorized time; same numbers: {agree}",
        ),
        _line(
            "  (info) vectorized run: noise drawing (SeedStreams.normal) vs whole run",
            statistics.median(t["rng"]), statistics.median(t["vec"]), "s",
            _paired_ratio(t["rng"], t["vec"]), None,
            info="ratio = share of the vectorized run spent in the per-seed generators; "
            "sequential time / this bounds the attainable speed-up",
        ),
        _line(
            "  (info) same without noise (exact gradients): vectorized vs sequential",
            statistics.median(t["vec_exact"]), statistics.median(t["seq_exact"]), "s",
            _paired_ratio(t["seq_exact"], t["vec_exact"]), None,
            info="the runner's own vectorization gain, with no random numbers to draw",
        ),
    ]


# -- 4: GPU ------------------------------------------------------------------------------
def _synced(torch, device: str, fn):
    """``fn`` followed by a device synchronization, so wall time covers the kernels."""
    if not device.startswith("cuda"):
        return fn

    def call():
        fn()
        torch.cuda.synchronize(device)

    return call


def bench_device(device: str, d: int, repeats: int, warmup: int, dtype: str = "float32") -> list[dict]:
    """SHB step on a torch device: ours vs ``torch.optim.SGD(momentum)``, and bandwidth vs a copy.

    Ours is the optimizer's ``step_inplace`` on tensors (in-place torch ops, see
    :mod:`theory_lab.kernels`); the reference is ``torch.optim.SGD`` on the same tensors
    (``foreach`` implementation, the default on CUDA).  Bytes per step as in section 2:
    five vectors of ``d`` elements; the copy moves two.
    """
    torch = _torch()
    tdtype = getattr(torch, dtype)
    gen = torch.Generator(device=device).manual_seed(0)
    w0 = torch.rand((1, d), generator=gen, device=device, dtype=tdtype) * 2 - 1
    grad = torch.rand((1, d), generator=gen, device=device, dtype=tdtype) * w0
    opt = heavy_ball(LR, BETA)
    state = opt.init(w0.clone())
    p = w0[0].clone()
    p.grad = grad[0].clone()
    topt = torch.optim.SGD([p], lr=LR, momentum=BETA)
    dst = torch.empty_like(w0)

    def ours():
        nonlocal state
        state = opt.step_inplace(state, grad, 0)

    t = _interleaved({k: _synced(torch, device, f) for k, f in
                      {"ours": ours, "torch": topt.step, "copy": lambda: dst.copy_(w0)}.items()},
                     repeats, warmup)
    med = {k: statistics.median(v) for k, v in t.items()}
    item = torch.finfo(tdtype).bits // 8
    return [
        _line(f"SHB step d={d:.0e} {dtype} on {device}: step_inplace vs torch.optim.SGD(momentum)",
              med["ours"] * 1e3, med["torch"] * 1e3, "ms", _paired_ratio(t["torch"], t["ours"]), 1.0,
              info="ratio = torch time / our time"),
        _line(f"SHB update bandwidth on {device} (5 vectors) vs a device copy (2 vectors)",
              5 * item * d / med["ours"] * 1e-9, 2 * item * d / med["copy"] * 1e-9, "GB/s",
              _paired_ratio([5 * x for x in t["copy"]], [2 * x for x in t["ours"]]), 0.5,
              info="ratio = our bytes/s / copy bytes/s; target: within 2x"),
    ]


def bench_gpu(mode: str = "full") -> list[dict]:
    """Section 1-2 at large size on the GPU (d = 10^8 float32), when there is one."""
    torch = _torch()
    if torch is None or not torch.cuda.is_available():
        return [{"name": "GPU section", "status": "skip", "info": "skipped: torch.cuda is not available",
                 "ours": None, "reference": None, "unit": None, "ratio": None, "target": None}]
    d, repeats = (10**8, 21) if mode == "full" else (1 << 20, 5)
    return bench_device("cuda", d, repeats, warmup=3)


# -- output ------------------------------------------------------------------------------
def _fmt(x, unit=None) -> str:
    if x is None:
        return "-"
    s = f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"
    return f"{s} {unit}" if unit else s


def _target(line) -> str:
    if line["target"] is None:
        return "-"
    return f"{'>=' if line.get('higher_is_better', True) else '<='} {line['target']:g}x"


def to_markdown(report: dict) -> str:
    m = report["machine"]
    rows = [
        "# theory-lab bench",
        "",
        f"{m['cpu_model']}, {m['usable_cpus']}/{m['cpu_count']} CPUs, device {m['device']}; "
        f"numpy {m['numpy']}, torch {m['torch']} ({m['torch_threads']} threads), "
        f"kernel threads {m['kernel_threads']}, chunk {m['kernel_chunk']}; "
        f"1-min load average at start {m.get('loadavg_start', [float('nan')])[0]:.2f} "
        "(the machine may be shared: ratios are paired per repeat). "
        f"Mode: {report['mode']}; total {report['total_seconds']:.1f} s.",
        "",
        "| measurement | ours | reference | ratio | target | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        rows.append(
            f"| {r['name'].strip()} | {_fmt(r['ours'], r['unit'])} | "
            f"{_fmt(r['reference'], r['unit'])} | {ratio} | {_target(r)} | {r['status']} |"
        )
    rows += ["", "Notes:"] + [f"- {r['name'].strip()}: {r['info']}" for r in report["results"]]
    return "\n".join(rows) + "\n"


def _print_line(r) -> None:
    ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
    print(
        f"{r['name']:<72s} ours {_fmt(r['ours'], r['unit']):>11s}  "
        f"ref {_fmt(r['reference'], r['unit']):>11s}  ratio {ratio:>7s}  "
        f"target {_target(r):>7s}  {r['status'].upper()}"
        + (f"  ({r['info']})" if r["status"] == "skip" else ""),
        flush=True,
    )


def main(argv=None) -> dict:
    """Run the bench; print one line per measurement and write JSON + Markdown."""
    ap = argparse.ArgumentParser(prog="python -m theory_lab.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds; for tests)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default: %(default)s)")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "full"
    cfg = SIZES[mode]
    t0 = time.perf_counter()
    machine = machine_info()
    print(f"theory-lab bench ({mode}): {machine['cpu_model']}, {machine['usable_cpus']} CPUs, "
          f"numpy {machine['numpy']}, torch {machine['torch']}", flush=True)
    results = []
    sections = [
        lambda: bench_update(cfg["d"], cfg["repeats"], cfg["warmup"]),
        lambda: bench_seeds(cfg["seeds"], cfg["run_d"], cfg["T"], cfg["run_repeats"]),
    ]
    for name in benches.SECTIONS:  # the research lines' sections: bench(mode) -> lines
        sections.append(functools.partial(importlib.import_module(name).bench, mode))
    sections.append(functools.partial(bench_gpu, mode))
    for section in sections:
        for line in section():
            _print_line(line)
            results.append(line)
    if hasattr(os, "getloadavg"):
        machine["loadavg_end"] = list(os.getloadavg())
    machine["kernel_tuner_ns_per_element"] = {
        f"{name}/threads={nt}/size~2^{bits}": {f"{mode} thread(s)": c * 1e9 for mode, c in tu.cost.items()}
        for (name, nt, bits), tu in kernels._tuners.items()
    }
    report = {
        "mode": mode,
        "sizes": cfg,
        "machine": machine,
        "results": results,
        "total_seconds": time.perf_counter() - t0,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "argv": sys.argv if argv is None else list(argv),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "bench.md").write_text(to_markdown(report))
    print(f"wrote {out / 'bench.json'} and {out / 'bench.md'} ({report['total_seconds']:.1f} s)")
    return report


if __name__ == "__main__":
    main()
