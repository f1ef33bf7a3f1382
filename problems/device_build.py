r"""Diagonal problems whose vectors are built on the run's device (torch) instead of the host.

A diagonal problem of dimension :math:`d` holds a few length-:math:`d` vectors (spectrum or
smoothness vector, noise scales, :math:`w^\star`, :math:`w_0`).  Built with numpy and then
copied, they cost host time, host memory and a host-to-device copy proportional to :math:`d`:
at the ``make large`` size :math:`d = 10^8` the host build alone took 10.9 s (SHB preset) and
11.2 s (AdaGrad preset) on the 2-core lab CPU, the conversion to float32 torch 1.6-1.9 s more,
most of the 15 s set-up target before the first step.  On a GPU the same vectors are a few
passes of device memory bandwidth.

Rule (the analogue of :data:`problems.matrix.DEVICE_SETUP_MIN_SIDE`): a registered diagonal
problem with ``d >`` :data:`DIAGONAL_DEVICE_SETUP_MIN_D` that is being set up for a **torch**
run (:func:`theory_lab.backends.setup_backend`, the run's backend inside
:func:`~theory_lab.runner.run_config`) builds its vectors with torch on that run's device, in
float64, with a per-problem ``torch.Generator`` seeded from the problem seed.  Same
distributions as the numpy construction (deterministic vectors equal up to rounding; random
ones -- :math:`w_0` -- are different draws of the same law).  Numpy runs, torch runs at
``d <=`` the threshold, and problems built outside a run are unchanged (identical numbers).
Which problems follow the rule: ``quadratic`` (unrotated) and ``separable_quadratic``
(generated vectors, no ``L_values`` / ``sigma_values``); :func:`theory_lab.sizing.estimate`
uses :func:`diagonal_setup_on_device` to count their data on the device.

Threshold: :math:`10^7`, strict.  At :math:`d = 10^7` the whole host-built set-up of the SHB
preset took 1.6 s on the 2-core lab CPU (the AdaGrad one 2.3-2.5 s), well within the budget;
every existing figure, bench and claim uses :math:`d \le 10^7` (``make fig-shb-gpu``: exactly
:math:`10^7`) and so keeps its numbers.  On a CPU the torch build is no faster than numpy's
(same memory-bound work, and torch's CPU generator is slower): measured with torch-CPU at
:math:`d = 10^8`, build 12.6 s vs 12.8 s (SHB, host build + conversion) and 15.1 s vs
12.8 s (AdaGrad); the gain is on a GPU, where the host build and the copy disappear.
"""

from __future__ import annotations

import numpy as np

#: Above this dimension (strict) a diagonal problem set up for a torch run builds its vectors
#: on the run's device.  See the module docstring.
DIAGONAL_DEVICE_SETUP_MIN_D = 10**7

#: Problem names that follow the rule, with the number of float64 length-d vectors they keep
#: on the device (masters; the run-dtype copies are counted separately by the size guard).
DEVICE_BUILT_DIAGONAL = {"quadratic": 3, "separable_quadratic": 4}


def diagonal_setup_backend(d: int):
    """The torch :class:`~theory_lab.backends.Backend` to build a diagonal problem of size ``d`` on, else None."""
    from theory_lab.backends import setup_backend

    if int(d) <= DIAGONAL_DEVICE_SETUP_MIN_D:
        return None
    b = setup_backend()
    return b if (b is not None and b.name == "torch") else None


def diagonal_setup_on_device(name: str, p: dict, backend: str) -> bool:
    """Whether problem ``name`` with parameters ``p`` (defaults filled in) builds on a ``backend`` run's device.

    The condition :func:`problems.quadratic.anisotropic_quadratic` and
    :func:`problems.separable.separable_quadratic` test, read from a config (nothing built).
    """
    if backend != "torch" or name not in DEVICE_BUILT_DIAGONAL:
        return False
    try:
        d = float(p.get("d"))
    except (TypeError, ValueError):
        return False
    if d <= DIAGONAL_DEVICE_SETUP_MIN_D:
        return False
    if name == "quadratic":
        return not p.get("rotate")
    return p.get("L_values") is None and p.get("sigma_values") is None


def array_module(device=None):
    """``(xp, kwargs)`` for building a float64 vector: numpy on the host (``device=None``) or
    torch on ``device``; ``xp.ones(d, **kwargs)`` and the like then work for both."""
    if device is None:
        return np, {"dtype": np.float64}
    import torch

    return torch, {"dtype": torch.float64, "device": device}


def device_generator(device, seed: int, salt: int):
    """A ``torch.Generator`` on ``device`` seeded from ``SeedSequence([seed, salt])`` (as ``matrix_quadratic``)."""
    import torch

    g = torch.Generator(device=device)
    g.manual_seed(int(np.random.SeedSequence([int(seed), int(salt)]).generate_state(1, np.uint64)[0] >> 1))
    return g


def is_tensor(x) -> bool:
    """True for a torch tensor (without importing torch when it is not loaded)."""
    return type(x).__module__.startswith("torch")


def place(backend, x):
    """``backend.asarray(x)``, through a host copy when a torch tensor goes to the numpy backend."""
    if backend.name == "numpy" and is_tensor(x):
        from theory_lab.backends import to_numpy

        x = to_numpy(x)
    return backend.asarray(x)


def check_positive_vector(name: str, v, allow_zero: bool = False):
    """Device-side check: finite and ``> 0`` (``>= 0``); ``ValueError`` naming the first bad entry.

    Two reductions decide it (``min`` and ``max`` propagate NaN): every entry is finite and
    positive iff ``min > 0`` (``>= 0``) and ``max`` is finite.  No d-sized temporary unless
    the check fails.
    """
    import math

    import torch

    lo, hi = float(v.min()), float(v.max())
    if not ((lo >= 0 if allow_zero else lo > 0) and math.isfinite(hi)):
        bad = ~(torch.isfinite(v) & ((v >= 0) if allow_zero else (v > 0)))
        i = int(torch.argmax(bad.to(torch.uint8)))
        rel = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} needs every entry {rel} and finite; {name}[{i}] = {float(v[i])!r}")
    return v


__all__ = ["DEVICE_BUILT_DIAGONAL", "DIAGONAL_DEVICE_SETUP_MIN_D", "array_module", "check_positive_vector",
           "device_generator",
           "diagonal_setup_backend", "diagonal_setup_on_device", "is_tensor", "place"]
