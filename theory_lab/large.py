r"""Large-instance presets for the GPU backend (``make large``).

Each preset is an ordinary :class:`~theory_lab.config.RunConfig` run by
:func:`~theory_lab.runner.run_config` -- the code path of every small run -- on torch,
CUDA, float32, with noise drawn on the device (``rng="device"``), so that nothing moves
between host and device inside the step loop.  ``make large`` runs them all and prints
each preset's throughput: steps per second and, for the diagonal problems, the memory
traffic of one step against the preset's byte count.

``--scale`` shrinks every size knob of a preset (dimension, matrix sides, agents) for a
quick try on a CPU: ``python -m theory_lab.large --device cpu --scale 1e-4``.  Without
CUDA, asking for ``--device cuda`` (the default) is a clear error naming the devices
there are.

Set-up (target <= 15 s per preset on one GPU, reported as ``setup_seconds``: the run's
wall time minus its step loop): the problem data of every preset is built on the run's
device, so nothing of size d is built on the host and copied over.  The 8192 x 8192 matrix
presets build their Haar factors by torch QR on the device (above
:data:`problems.matrix.DEVICE_SETUP_MIN_SIDE` = 1024 per side); the d = 10^8 diagonal
presets build spectrum / smoothness vector, noise scales, w* and w0 with torch on the device
(above :data:`problems.device_build.DIAGONAL_DEVICE_SETUP_MIN_D` = 10^7, strict: at
``--scale 0.1`` and below they take the host numpy construction, identical to small runs).
The size guard (:mod:`theory_lab.sizing`) counts that data against the device's free memory.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import RunConfig


@dataclass(frozen=True)
class Preset:
    """A large run: a config with size knobs that ``--scale`` may shrink.

    ``sizes`` maps dotted config paths (``"problem.d"``) to full sizes; ``scale_power``
    (default 1) says how a knob shrinks with ``--scale`` (0.5 for the sides of a matrix,
    so its element count scales linearly); ``bytes_per_step`` (a function of the scaled
    sizes) is the memory traffic of one step, for an achieved bandwidth figure (``None``
    when a step is not bandwidth-bound); ``run_fn`` is a ``"module:function"`` taking the
    config (default :func:`~theory_lab.runner.run_config`).
    """

    name: str
    description: str
    config: RunConfig
    sizes: dict = field(default_factory=dict)
    bytes_per_step: object = None
    scale_power: float = 1.0
    run_fn: str | None = None

    def scaled(self, scale: float, backend: str, device: str, dtype: str, rng: str) -> RunConfig:
        cfg = self.config.replace(backend=backend, device=device, dtype=dtype, rng=rng)
        for path, full in self.sizes.items():
            cfg = cfg.with_path(path, max(2, round(full * scale**self.scale_power)))
        return cfg

    def runner(self):
        if self.run_fn is None:
            from .runner import run_config

            return run_config
        module, func = self.run_fn.split(":")
        return getattr(importlib.import_module(module), func)


def _diag_bytes(itemsize: int):
    # SHB on a diagonal quadratic with anisotropic noise, per step: draw z (write d),
    # gradient lambda (w - w*) + sqrt(lambda) z (read w, w*, lambda, sqrt lambda, z; write g),
    # fused update (read w, v, g; write w, v), divergence check (read w).
    return lambda sizes: 13 * sizes["problem.d"] * itemsize


PRESETS: dict[str, Preset] = {}


def add(preset: Preset) -> Preset:
    if preset.name in PRESETS:
        raise ValueError(f"preset {preset.name!r} already exists")
    PRESETS[preset.name] = preset
    return preset


add(Preset(
    "shb_quadratic_1e8",
    "SHB on a diagonal quadratic, d = 10^8, anisotropic noise (Pan et al. 2024 setting)",
    RunConfig(problem={"name": "quadratic", "d": 10**8, "kappa": 1e4, "noise": "anisotropic",
                       "sigma": 1.0},
              optimizer={"name": "shb", "lr": "1/L", "beta": "(1 - 1/sqrt(kappa))**2"},
              T=200, batch_size=1024, seeds=(0,), n_checkpoints=5),
    sizes={"problem.d": 10**8},
    bytes_per_step=_diag_bytes(4),
))

add(Preset(
    "adagrad_separable_1e8",
    "AdaGrad on a separable quadratic with power-law L, d = 10^8 (Liu, Pan, Zhang 2025 setting)",
    RunConfig(problem={"name": "separable_quadratic", "d": 10**8, "L": "power_law", "sigma_max": 1.0},
              optimizer={"name": "adagrad", "lr": 0.1},
              T=200, batch_size=1024, seeds=(0,), n_checkpoints=5),
    sizes={"problem.d": 10**8},
))

for _name, _opt in (("asgo", {"name": "asgo", "lr": "D_op", "eps": 1e-8}),
                    ("shampoo", {"name": "shampoo", "lr": "D_op", "eps": 1e-8}),
                    ("muon", {"name": "muon", "lr": 0.02})):
    add(Preset(
        f"{_name}_matrix_8192",
        f"{_name} on an 8192 x 8192 block-diagonal-Hessian matrix quadratic (An et al. 2025 setting)",
        RunConfig(problem={"name": "matrix_quadratic", "m": 8192, "n": 8192, "eff_rank": 4.0,
                           "stable_rank": 16.0},
                  optimizer={**_opt, "m": "m", "n": "n"}, T=10, seeds=(0,), n_checkpoints=3),
        sizes={"problem.m": 8192, "problem.n": 8192},
        scale_power=0.5,
    ))

add(Preset(
    "diging_4096_agents",
    "gradient tracking (DIGing) with 4096 agents on a ring, d = 100 (sparse mixing)",
    RunConfig(problem={"name": "iid_distributed_ridge", "m": 4096, "n": 4, "d": 100,
                       "network": {"graph": "ring", "mixing": "metropolis"}},
              optimizer={"name": "diging"}, T=200, seeds=(0,), n_checkpoints=5),
    sizes={"problem.m": 4096},
    run_fn="theory_lab.decentralized:run_decentralized",
))


def run_preset(preset: Preset, scale: float = 1.0, backend: str = "torch", device: str = "cuda",
               dtype: str = "float32", rng: str = "device") -> dict:
    """Run one preset; return its throughput line (the result itself is not kept)."""
    from .backends import get_backend

    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    get_backend(backend, device, dtype)  # clear error now if the device is not there
    cfg = preset.scaled(scale, backend, device, dtype, rng)
    t0 = time.perf_counter()
    result = preset.runner()(cfg)
    total = time.perf_counter() - t0
    steps = int(result.meta["last_step"])
    loop = result.meta["wall_time"]
    sizes = {path: cfg.get_path(path) for path in preset.sizes}
    line = {
        "preset": preset.name,
        "description": preset.description,
        "sizes": sizes,
        "backend": f"{backend}/{device}/{dtype}/rng={rng}",
        "steps": steps,
        "loop_seconds": loop,
        "setup_seconds": total - loop,
        "steps_per_second": steps / loop if loop > 0 else float("nan"),
        "final_suboptimality": float(result.suboptimality[0, -1]),
        "diverged": bool(result.diverged.any()),
    }
    if preset.bytes_per_step is not None:
        line["achieved_GBps"] = preset.bytes_per_step(sizes) * steps / loop / 1e9
    return line


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(prog="python -m theory_lab.large", description=__doc__.split("\n")[0])
    ap.add_argument("presets", nargs="*", help=f"default: all ({', '.join(PRESETS)})")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--rng", default="device", choices=("host", "device"))
    ap.add_argument("--scale", type=float, default=1.0, help="shrink every size knob (0 < scale <= 1)")
    ap.add_argument("--out", default="results/large.json")
    args = ap.parse_args(argv)
    unknown = [p for p in args.presets if p not in PRESETS]
    if unknown:
        ap.error(f"unknown preset(s) {unknown}; available: {', '.join(PRESETS)}")
    lines = []
    for name in args.presets or list(PRESETS):
        try:
            line = run_preset(PRESETS[name], args.scale, "torch", args.device, args.dtype, args.rng)
        except ValueError as exc:
            print(f"large: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        lines.append(line)
        bw = f", {line['achieved_GBps']:.1f} GB/s" if "achieved_GBps" in line else ""
        print(f"{name:<28s} {line['backend']:<32s} {line['steps_per_second']:10.1f} steps/s{bw}"
              f"  (setup {line['setup_seconds']:.1f} s, final f-f* {line['final_suboptimality']:.3g})",
              flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(lines, indent=2) + "\n")
    return lines


if __name__ == "__main__":
    main()
