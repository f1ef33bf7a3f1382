"""Size guard: estimate a run's memory and set-up time before anything is allocated.

:func:`check` is called by :func:`theory_lab.runner.run_config` and, before any run
starts, by :func:`theory_lab.sweep.run_sweep`.  It refuses (:class:`TooLarge`, a
:class:`~theory_lab.errors.UserError`: one line in the CLI) a run whose estimated memory
exceeds what is available, and warns (:class:`SlowSetupWarning`, one line) when the
problem's set-up costs more than :data:`SLOW_SETUP_S` seconds; a set-up estimated above
:data:`MAX_SETUP_S` is refused too.  ``allow_large=True`` (CLI ``--allow-large``) skips
both refusals.

The estimate (:func:`estimate`)
-------------------------------
*Run state*: ``S x d x (k + 3) x itemsize`` bytes, with ``S`` the number of seeds, ``d``
the problem dimension, ``k`` the optimizer's state arrays (:data:`STATE_ARRAYS`, or the
factory attribute ``state_arrays``; :data:`DEFAULT_STATE_ARRAYS` if unknown) plus three
working arrays (query point, gradient, noise draw), ``itemsize`` 8 for float64, 4 for
float32.  ``d`` is the ``d`` parameter (given, or the factory's default), else ``m x n``.

*Problem data and set-up*: a problem factory may expose two hooks, called with the
problem's parameters (defaults filled in)::

    @register("my_problem")
    def my_problem(d=10, rotate=False): ...
    my_problem.memory_estimate = lambda d, rotate, **_: 8 * d * d if rotate else 8 * d  # bytes
    my_problem.setup_flops = lambda d, rotate, **_: 2.0 * d**3 if rotate else 0.0

Built-in problems with large data or O(d^3) set-ups have entries in :data:`BUILTIN`
(rotated quadratics and Rayleigh quotients: a d x d rotation from ``ortho_group``;
the matrix quadratic: m x m rotations; distributed problems: m x n x d data).  Set-up
seconds are ``flops / SETUP_FLOP_RATE`` (1 GFLOP/s, measured for ``ortho_group`` on the
2-core lab machine: d = 2000 took 17 s).  Above
:data:`problems.matrix.DEVICE_SETUP_MIN_SIDE` per side (noiseless) ``matrix_quadratic``
builds its three orthogonal factors by QR of a Gaussian on the run's device instead
(:func:`problems.matrix.haar_orthogonal`): ``(4/3) k^3`` flops per k x k factor, at
:data:`DEVICE_SETUP_FLOP_RATE` for a torch run on CUDA and at the host rate otherwise
(conservative there: torch's CPU QR ran at ~6 GFLOP/s by this count at k = 2048 on the
loaded 2-core machine).  The estimate is a lower bound on a run's needs,
meant to stop the hopeless (d = 1e11) before a raw ``MemoryError``, not to budget exactly.

*Where the data is built* (:attr:`Estimate.device_data_bytes`): a torch run on CUDA builds
some problems' data on the device, not on the host: ``matrix_quadratic`` above
:data:`problems.matrix.DEVICE_SETUP_MIN_SIDE` (:func:`matrix_setup_on_device`), and the
diagonal ``quadratic`` / ``separable_quadratic`` above
:data:`problems.device_build.DIAGONAL_DEVICE_SETUP_MIN_D`
(:func:`problems.device_build.diagonal_setup_on_device`; their float64 masters, 3 or 4
vectors of ``8 d`` bytes, plus the four run-dtype copies the step reads).  That part counts
against the device's memory, the rest of the data against the host's.  On the CPU (numpy or
torch-CPU) host and device are one memory and everything counts against it.

Available memory (:func:`available_memory`): the least of the host's available memory
(psutil, else ``/proc/meminfo`` ``MemAvailable``, else ``os.sysconf``), the cgroup
limit left (``/sys/fs/cgroup/memory.max`` - ``memory.current``) and the address-space
limit left (``RLIMIT_AS``); on a CUDA device the device's free memory
(``torch.cuda.mem_get_info``).  :func:`check` on CUDA compares run state plus device-built
data with the device's free memory and host-built data with the host's available memory
(copies of host-built data on the device are not counted: a lower bound).
"""

from __future__ import annotations

import inspect
import math
import os
import warnings
from dataclasses import dataclass

from .errors import UserError

SLOW_SETUP_S = 10.0
MAX_SETUP_S = 3600.0
SETUP_FLOP_RATE = 1e9
#: Set-up rate of a QR on a CUDA device (float64), flops per second.  Assumed, not measured:
#: cuSOLVER's float64 QR on a data-centre GPU runs at several TFLOP/s, so this is conservative.
#: ``make gpu-check`` prints the measured rate next to this one (row "device QR ... set-up
#: rate"); replace it with the measurement once a GPU has run it.
DEVICE_SETUP_FLOP_RATE = 1e12
#: Flops of the QR of a k x k Gaussian, per k^3 (Householder, ``geqrf``).
QR_FLOPS_PER_K3 = 4.0 / 3.0
WORK_ARRAYS = 3
DEFAULT_STATE_ARRAYS = 3
ITEMSIZE = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2}

#: Arrays an optimizer keeps per parameter (``w`` included).
STATE_ARRAYS = {
    "sgd": 1, "gd": 1, "step_decay_sgd": 1, "signsgd": 1, "sign_gd": 1, "rsgd": 1,
    "shb": 2, "hb": 2, "multistage_shb": 2, "nesterov": 2, "adagrad": 2, "adagrad_norm": 1,
    "rmsprop": 2, "adam": 3, "scale": 2, "muon": 2,
}

__all__ = ["Estimate", "SlowSetupWarning", "TooLarge", "available_memory", "check", "estimate"]


class TooLarge(UserError):
    """A run whose estimated memory or set-up time exceeds what is available."""


class SlowSetupWarning(UserWarning):
    """The problem's set-up (e.g. an O(d^3) rotation) will take long."""


@dataclass
class Estimate:
    """Estimated needs of one run.  ``detail`` / ``setup_detail`` say how they were computed.

    ``data_bytes`` is all the problem data; ``device_data_bytes`` the part of it built on
    the run's CUDA device (0 on the CPU and for host-built data); ``host_data_bytes`` the rest.
    """

    state_bytes: float
    data_bytes: float
    setup_seconds: float
    detail: str
    setup_detail: str = ""
    device_data_bytes: float = 0.0

    @property
    def bytes(self) -> float:
        return self.state_bytes + self.data_bytes

    @property
    def host_data_bytes(self) -> float:
        return self.data_bytes - self.device_data_bytes


def _fmt_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def _fmt_num(x: float) -> str:
    """``100`` -> ``"100"``, ``1e11`` -> ``"1e11"``, ``6.7e7`` -> ``"6.71e7"``."""
    x = float(x)
    if x < 1e5:
        return str(int(x)) if x.is_integer() else f"{x:.4g}"
    return f"{x:.3g}".replace("e+0", "e").replace("e+", "e")


def _fmt_time(s: float) -> str:
    return f"{s / 3600:.3g} h" if s >= 3600 else f"{s / 60:.3g} min" if s >= 120 else f"{s:.3g} s"


def _num(x, default=0.0) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return default


def _rotation(d_key: str):
    """Data and flops of a problem holding a d x d rotation when ``rotate`` is set."""
    def data(p):
        d = _num(p.get(d_key))
        return 2 * 8 * d * d if p.get("rotate") else 0.0

    def flops(p):
        d = _num(p.get(d_key))
        return 2.0 * d**3 if p.get("rotate") else 0.0
    return data, flops


def _matrix(p):
    m, n = _num(p.get("m")), _num(p.get("n"))
    return 8 * (2 * m * m + 4 * m * n)


def matrix_setup_on_device(p: dict) -> bool:
    """Whether ``matrix_quadratic`` with parameters ``p`` builds its factors by device QR.

    Parameters
    ----------
    p : dict
        The problem's parameters, defaults filled in.

    Returns
    -------
    bool
        True above :data:`problems.matrix.DEVICE_SETUP_MIN_SIDE` per side without noise,
        the condition :func:`problems.matrix.matrix_quadratic` tests.
    """
    from problems.matrix import DEVICE_SETUP_MIN_SIDE

    m, n = _num(p.get("m")), _num(p.get("n"))
    return (max(m, n) > DEVICE_SETUP_MIN_SIDE and _num(p.get("sigma"), 1.0) == 0
            and p.get("noise_rank") is None)


def _matrix_flops(p):
    """Set-up flops of ``matrix_quadratic``: three Haar factors (m x m, m x m, n x n)."""
    m, n = _num(p.get("m")), _num(p.get("n"))
    per_k3 = QR_FLOPS_PER_K3 if matrix_setup_on_device(p) else 2.0  # device QR / ortho_group
    return per_k3 * (2 * m**3 + n**3)


def _distributed(p):
    return 8 * _num(p.get("m")) * _num(p.get("n")) * _num(p.get("d"))


#: Built-in problems: name -> (data bytes(params), set-up flops(params)).
BUILTIN = {
    "quadratic": _rotation("d"),
    "rayleigh": _rotation("d"),
    "matrix_quadratic": (_matrix, _matrix_flops),
    "distributed_ridge": (_distributed, lambda p: 0.0),
    "distributed_logistic": (_distributed, lambda p: 0.0),
    "iid_distributed_ridge": (_distributed, lambda p: 0.0),
}


def _params(factory, given: dict) -> dict:
    """The factory's parameters with defaults filled in."""
    out = {}
    try:
        for name, par in inspect.signature(factory).parameters.items():
            if par.default is not inspect.Parameter.empty:
                out[name] = par.default
    except (TypeError, ValueError):
        pass
    out.update(given)
    return out


def estimate(config) -> Estimate | None:
    """Memory and set-up estimate of ``config`` (see the module docstring); ``None`` if unknown.

    Only the config and the registries are read: nothing is built or allocated.
    """
    import problems

    spec = dict(config.problem)
    name = spec.pop("name")
    factory = problems.REGISTRY.get(name)
    if factory is None:
        return None
    p = _params(factory, spec)
    if "d" in p:
        d = _num(p["d"])
    elif "m" in p and "n" in p:
        d = _num(p["m"]) * _num(p["n"])
    else:
        return None
    if "m" in p and "d" in p and name in BUILTIN and BUILTIN[name][0] is _distributed:
        d *= _num(p["m"])  # one iterate per agent
    data_fn, flops_fn = BUILTIN.get(name, (None, None))
    hook_mem = getattr(factory, "memory_estimate", None)
    hook_flops = getattr(factory, "setup_flops", None)
    from problems.device_build import DEVICE_BUILT_DIAGONAL, diagonal_setup_on_device

    size = ITEMSIZE.get(config.dtype, 8)
    diag_dev = not callable(hook_mem) and diagonal_setup_on_device(name, p, config.backend)
    if diag_dev:  # float64 masters + the four run-dtype copies, built where the run is
        data = (8.0 * DEVICE_BUILT_DIAGONAL[name] + 4.0 * size) * _num(p["d"])
    else:
        data = _num(hook_mem(**p)) if callable(hook_mem) else (data_fn(p) if data_fn else 8.0 * d)
    flops = _num(hook_flops(**p)) if callable(hook_flops) else (flops_fn(p) if flops_fn else 0.0)
    on_cuda = config.backend == "torch" and str(config.device).startswith("cuda")
    built_on_device = diag_dev or (name == "matrix_quadratic" and not callable(hook_mem)
                                   and config.backend == "torch" and matrix_setup_on_device(p))
    device_data = data if (on_cuda and built_on_device) else 0.0

    oname = config.optimizer.get("name")
    from . import optimizers

    ofactory = optimizers.REGISTRY.get(oname)
    k = getattr(ofactory, "state_arrays", None) if ofactory is not None else None
    k = int(k) if isinstance(k, int) else STATE_ARRAYS.get(oname, DEFAULT_STATE_ARRAYS)
    S = len(config.seeds)
    arrays = k + WORK_ARRAYS
    state = S * d * arrays * size
    detail = f"{S} seeds x d={_fmt_num(d)} x {arrays} arrays x {size} B"
    if data >= 0.01 * state and data > 1e6:
        detail += f" + problem data {_fmt_bytes(data)}"
        if device_data:
            detail += f" built on {config.device}"
    rate, where = SETUP_FLOP_RATE, ""
    if name == "matrix_quadratic" and not callable(hook_flops) and matrix_setup_on_device(p):
        rate = DEVICE_SETUP_FLOP_RATE if on_cuda else SETUP_FLOP_RATE
        where = f" (QR on {config.device if on_cuda else 'the host'})"
    secs = flops / rate
    setup = (f"{name} set-up: O(d^3) with d={_fmt_num(p.get('d', p.get('m', d)))}, "
             f"~{flops:.2g} flops{where}" if flops else "")
    return Estimate(state, data, secs, detail, setup, device_data)


def _meminfo_available() -> tuple[float, str] | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024, "MemAvailable"
    except OSError:
        pass
    return None


def available_memory(device: str = "cpu") -> tuple[float, str]:
    """``(bytes, where the figure comes from)`` usable by a run on ``device``."""
    if str(device).startswith("cuda"):
        try:
            import torch

            free, _ = torch.cuda.mem_get_info(torch.device(device))
            return float(free), f"free on {device}"
        except Exception:  # noqa: BLE001 - no torch / no GPU: fall back to the host
            pass
    candidates = []
    try:
        import psutil

        candidates.append((float(psutil.virtual_memory().available), "available"))
    except Exception:  # noqa: BLE001
        got = _meminfo_available()
        if got is None:
            try:
                got = (float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")), "free")
            except (ValueError, OSError, AttributeError):
                got = None
        if got is not None:
            candidates.append(got)
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            limit = fh.read().strip()
        if limit != "max":
            with open("/sys/fs/cgroup/memory.current") as fh:
                used = float(fh.read().strip())
            candidates.append((float(limit) - used, "left under the cgroup limit"))
    except (OSError, ValueError):
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            vm = 0.0
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmSize:"):
                        vm = float(line.split()[1]) * 1024
            candidates.append((float(soft) - vm, "left under the address-space limit (ulimit -v)"))
    except (ImportError, OSError, ValueError):
        pass
    if not candidates:
        return math.inf, "unknown"
    return min(candidates)


def check(config, allow_large: bool = False) -> Estimate | None:
    """Refuse a run that cannot fit, warn about a slow set-up; returns the estimate.

    Parameters
    ----------
    config : RunConfig
        The run; nothing is built.
    allow_large : bool
        Return the estimate without refusing (the slow-set-up warning is still given).

    Raises
    ------
    TooLarge
        Estimated memory above :func:`available_memory`, or set-up above
        :data:`MAX_SETUP_S`, unless ``allow_large``.  One line naming the estimate, the
        limit and the override.  On CUDA two comparisons: run state plus device-built data
        with the device's free memory, host-built data with the host's available memory.
    """
    est = estimate(config)
    if est is None:
        return None
    override = "pass allow_large=True / --allow-large to try anyway"
    if not allow_large:
        on_device = str(config.device).startswith("cuda")
        need = est.state_bytes + est.device_data_bytes if on_device else est.bytes
        avail, source = available_memory(config.device)
        if need > avail:
            raise TooLarge(f"run needs ~{_fmt_bytes(need)} ({est.detail}), more than the "
                           f"{_fmt_bytes(max(avail, 0))} {source}; {override}")
        if on_device and est.host_data_bytes > 0:  # data built on the host, then copied
            avail, source = available_memory("cpu")
            if est.host_data_bytes > avail:
                raise TooLarge(f"problem data needs ~{_fmt_bytes(est.host_data_bytes)} on the host, "
                               f"more than the {_fmt_bytes(max(avail, 0))} {source}; {override}")
        if est.setup_seconds > MAX_SETUP_S:
            raise TooLarge(f"{est.setup_detail}: set-up would take ~{_fmt_time(est.setup_seconds)} "
                           f"(more than {_fmt_time(MAX_SETUP_S)}); {override}")
    if est.setup_seconds > SLOW_SETUP_S:
        warnings.warn(f"{est.setup_detail}: set-up will take ~{_fmt_time(est.setup_seconds)}",
                      SlowSetupWarning, stacklevel=2)
    return est
