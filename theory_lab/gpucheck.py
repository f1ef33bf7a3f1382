r"""GPU check (``make gpu-check``): correctness on the device, large set-ups, throughput vs roofline.

One command, about five minutes on one GPU, printing one table:

1. **consistency**: each runner (``run``, ``simulate``, ``run_local``, D-NASA ``run_method``) and
   each problem family on the device vs numpy on the CPU, float64, host noise: the recorded
   suboptimality must agree to 1e-10 (relative);
2. **large presets** (:mod:`theory_lab.large`): every preset's set-up time (target <= 15 s)
   and steps/s, and the measured float64 QR rate of the set-up (:func:`problems.matrix.haar_orthogonal`
   at 8192 per side) next to the rate :mod:`theory_lab.sizing` assumes for it
   (``DEVICE_SETUP_FLOP_RATE`` on CUDA, ``SETUP_FLOP_RATE`` otherwise), so that a GPU session
   can replace the assumption by the measurement;
3. **roofline ratios**: the diagonal full loop (SHB, float32, device noise) in GB/s against a
   device copy (target >= 0.7); an ASGO / Shampoo / Muon step against ``torch.matmul``
   FLOP/s at the same side (reported as the FLOP rate of one ``m x m @ m x n`` product per
   step, a lower bound on the work; target >= 0.5); an SHB run on the device vs numpy
   (target >= 100x);
4. the GPU section of :mod:`theory_lab.bench`.

Only numpy, scipy, sympy, matplotlib, networkx, pandas, joblib and torch are needed on this
path (``array-api-compat``, cvxpy, tqdm, scikit-learn, dask and hypothesis are optional; see
:mod:`theory_lab._compat`).  Without CUDA, ``--device cpu --scale 1e-4`` runs everything
scaled down (the test suite does this).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .config import RunConfig

NET = {"graph": "ring", "mixing": "metropolis"}


def _consistency_cases():
    from .decentralized import run_decentralized
    from .decentralized.dnasa import run_dnasa
    from .local_updates import run_local_config
    from .runner import run_config

    q = {"name": "quadratic", "d": 16, "kappa": 10, "noise": "anisotropic", "sigma": 1.0}
    return {
        "run/quadratic/shb": (run_config, RunConfig(problem=q, optimizer={"name": "shb", "lr": "1/L", "beta": 0.5},
                                                    T=50, seeds=(0, 1), batch_size=4)),
        "run/separable/adagrad": (run_config, RunConfig(problem={"name": "separable_quadratic", "d": 16},
                                                        optimizer={"name": "adagrad", "lr": 0.1}, T=50, seeds=(0, 1))),
        "run/matrix/asgo": (run_config, RunConfig(problem={"name": "matrix_quadratic", "m": 8, "n": 10},
                                                  optimizer={"name": "asgo", "lr": "D_op", "eps": 1e-3, "m": "m", "n": "n"},
                                                  T=30, seeds=(0, 1))),
        "run/matrix/muon": (run_config, RunConfig(problem={"name": "matrix_regression"},
                                                  optimizer={"name": "muon", "lr": 0.02, "m": "m", "n": "n"},
                                                  T=30, seeds=(0, 1))),
        "simulate/ridge/gt_nsvr": (run_decentralized, RunConfig(
            problem={"name": "distributed_ridge", "m": 4, "n": 8, "d": 8, "network": NET},
            optimizer={"name": "gt_nsvr"}, T=40, seeds=(0, 1))),
        "dnasa/nonconvex": (run_dnasa, RunConfig(problem={"name": "nonconvex_regression", "m": 4, "network": NET},
                                                 optimizer={"name": "dnasa"}, T=40, seeds=(0, 1))),
        "local/diloco": (run_local_config, RunConfig(
            problem={"name": "heterogeneous_quadratic"},
            optimizer={"name": "diloco", "H": 2, "inner": {"name": "sgd", "lr": "0.5/L"}, "outer_lr": 0.7,
                       "momentum": 0.9}, T=20, seeds=(0, 1))),
    }


def check_consistency(device: str) -> list[dict]:
    """Section 1: every case on ``device`` (torch, float64, host noise) vs numpy."""
    rows = []
    for name, (fn, cfg) in _consistency_cases().items():
        ref = fn(cfg)
        got = fn(cfg.replace(backend="torch", device=device, dtype="float64", rng="host"))
        a, b = ref.suboptimality, got.suboptimality
        err = float(np.nanmax(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)))
        rows.append({"section": "consistency", "name": name, "value": err, "unit": "rel. err",
                     "target": "<= 1e-10", "ok": bool(err <= 1e-10)})
    return rows


def check_presets(device: str, scale: float) -> list[dict]:
    """Section 2: every ``make large`` preset (set-up time and steps/s)."""
    from .large import PRESETS, run_preset

    rows = []
    for name, preset in PRESETS.items():
        line = run_preset(preset, scale, "torch", device, "float32", "device")
        rows.append({"section": "presets", "name": name, "value": line["setup_seconds"], "unit": "s set-up",
                     "target": "<= 15", "ok": bool(line["setup_seconds"] <= 15.0),
                     "info": f"{line['steps_per_second']:.1f} steps/s"})
    rows.append(check_setup_rate(device, scale))
    return rows


def check_setup_rate(device: str, scale: float) -> dict:
    """Measured FLOP/s of the matrix set-up's QR (one Haar factor, float64) vs the size guard's assumed rate.

    Flops counted as the size guard counts them, ``QR_FLOPS_PER_K3 * k^3`` per k x k factor;
    ``k = 8192 * sqrt(scale)`` (the presets' side), at least 512.  ``ok``: measured >= assumed
    (else the guard under-states the set-up time and the constant should be lowered).
    """
    import torch

    from problems.matrix import haar_orthogonal

    from .sizing import DEVICE_SETUP_FLOP_RATE, QR_FLOPS_PER_K3, SETUP_FLOP_RATE

    k = max(512, int(8192 * scale**0.5))
    g = torch.Generator(device=device)
    g.manual_seed(0)
    secs = _timed(torch, device, lambda: haar_orthogonal(k, g, device, torch.float64), repeats=2)
    rate = QR_FLOPS_PER_K3 * k**3 / secs
    on_cuda = str(device).startswith("cuda")
    assumed, const = ((DEVICE_SETUP_FLOP_RATE, "DEVICE_SETUP_FLOP_RATE") if on_cuda
                      else (SETUP_FLOP_RATE, "SETUP_FLOP_RATE"))
    return {"section": "presets", "name": f"device QR {k}^2 f64 (set-up rate)", "value": rate,
            "unit": "FLOP/s", "target": f">= {assumed:.0e}", "ok": bool(rate >= assumed),
            "info": f"assumed sizing.{const} = {assumed:.3g} FLOP/s; measured {rate:.3g} "
                    f"({rate / assumed:.3g}x assumed, {secs:.3g} s per factor)",
            "measured_rate": rate, "assumed_rate": assumed}


def _sync(torch, device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize(device)


def _timed(torch, device, fn, repeats=5):
    fn()
    _sync(torch, device)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(torch, device)
        best = min(best, time.perf_counter() - t0)
    return best


def check_roofline(device: str, scale: float) -> list[dict]:
    """Section 3: diagonal loop vs copy bandwidth, matrix steps vs matmul, SHB device vs numpy."""
    import torch

    from .large import PRESETS
    from .runner import run_config

    rows = []
    d = max(1000, int(1e8 * scale))
    x = torch.empty(d, device=device, dtype=torch.float32)
    y = torch.empty_like(x)
    copy_bw = 2 * 4 * d / _timed(torch, device, lambda: y.copy_(x))
    pre = PRESETS["shb_quadratic_1e8"]
    cfg = pre.scaled(scale, "torch", device, "float32", "device")
    res = run_config(cfg)
    steps = int(res.meta["last_step"])
    bw = pre.bytes_per_step({"problem.d": cfg.get_path("problem.d")}) * steps / res.meta["wall_time"]
    rows.append({"section": "roofline", "name": f"SHB full loop d={cfg.get_path('problem.d'):.0e} f32",
                 "value": bw / copy_bw, "unit": "x copy GB/s", "target": ">= 0.7", "ok": bool(bw / copy_bw >= 0.7),
                 "info": f"{bw / 1e9:.1f} GB/s vs copy {copy_bw / 1e9:.1f} GB/s"})
    side = max(16, int(8192 * scale**0.5))
    A = torch.randn((side, side), device=device)
    B = torch.randn((side, side), device=device)
    mm = 2 * side**3 / _timed(torch, device, lambda: A @ B)
    from . import optimizers

    for name, spec in (("asgo", {"lr": 1.0, "eps": 1e-8}), ("shampoo", {"lr": 1.0, "eps": 1e-8}),
                       ("muon", {"lr": 0.02})):
        opt = optimizers.make(name, T=10, m=side, n=side, **spec)
        w = torch.randn((1, side * side), device=device) * 0.01
        g = torch.randn((1, side * side), device=device)
        st = {"s": opt.init(w)}

        def step(opt=opt, st=st, g=g):
            st["s"] = opt.step(st["s"], g, 0)

        flops = 2 * side**3 / _timed(torch, device, step, repeats=3)
        rows.append({"section": "roofline", "name": f"{name} step {side}^2 f32", "value": flops / mm,
                     "unit": "x matmul FLOP/s", "target": ">= 0.5", "ok": bool(flops / mm >= 0.5),
                     "info": f"matmul {mm / 1e12:.1f} TFLOP/s"})
    q = {"name": "quadratic", "d": max(100, int(1e7 * scale)), "kappa": 1e3, "noise": "anisotropic", "sigma": 1.0}
    cfg = RunConfig(problem=q, optimizer={"name": "shb", "lr": "1/L", "beta": 0.9}, T=50, seeds=tuple(range(8)),
                    n_checkpoints=5)
    t_np = run_config(cfg).meta["wall_time"]
    t_dev = run_config(cfg.replace(backend="torch", device=device, dtype="float32", rng="device")).meta["wall_time"]
    rows.append({"section": "roofline", "name": f"SHB sweep d={q['d']:.0e} x 8 seeds, device vs numpy",
                 "value": t_np / t_dev, "unit": "x numpy", "target": ">= 100", "ok": bool(t_np / t_dev >= 100)})
    return rows


def check_bench(device: str, scale: float) -> list[dict]:
    """Section 4: :func:`theory_lab.bench.bench_device` (SHB step vs torch.optim.SGD, bandwidth)."""
    from .bench import bench_device

    lines = bench_device(device, max(1000, int(1e8 * scale)), repeats=5 if scale >= 1 else 2, warmup=1)
    return [{"section": "bench", "name": ln["name"], "value": ln["ratio"], "unit": "ratio",
             "target": f">= {ln['target']}", "ok": ln["status"] == "pass"} for ln in lines]


def device_name(device: str) -> str:
    import torch

    if str(device).startswith("cuda"):
        return torch.cuda.get_device_name(device)
    import platform

    return f"cpu ({platform.processor() or platform.machine()})"


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(prog="python -m theory_lab.gpucheck", description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--scale", type=float, default=1.0, help="shrink sizes (CPU try: 1e-4)")
    ap.add_argument("--sections", default="consistency,presets,roofline,bench")
    ap.add_argument("--out", default="results/gpucheck.json")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("gpu-check: torch is not installed (pip install torch)", file=sys.stderr)
        raise SystemExit(2) from None
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu-check: CUDA is not available here; run on a GPU machine, or try it scaled down "
              "on the CPU: python -m theory_lab.gpucheck --device cpu --scale 1e-4", file=sys.stderr)
        raise SystemExit(2)
    sections = {"consistency": lambda: check_consistency(args.device),
                "presets": lambda: check_presets(args.device, args.scale),
                "roofline": lambda: check_roofline(args.device, args.scale),
                "bench": lambda: check_bench(args.device, args.scale)}
    print(f"gpu-check on {device_name(args.device)}, {time.strftime('%Y-%m-%d %H:%M')}, scale {args.scale:g}")
    print(f"{'section':<12s} {'check':<52s} {'value':>11s} {'unit':<16s} {'target':<9s} ok")
    rows = []
    for name in args.sections.split(","):
        for row in sections[name]():
            rows.append(row)
            print(f"{row['section']:<12s} {row['name'][:52]:<52s} {row['value']:11.3g} {row['unit']:<16s} "
                  f"{row['target']:<9s} {'yes' if row['ok'] else 'NO'}  {row.get('info', '')}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"device": device_name(args.device), "date": time.strftime("%Y-%m-%d"),
                                          "scale": args.scale, "rows": rows}, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()
