"""Array backends: one code path for numpy (default) and torch tensors.

Array code in the lab asks :func:`namespace` for the array-API namespace of its
inputs (via ``array-api-compat``, or :mod:`theory_lab._compat`'s fallback when it is not
installed) instead of importing numpy directly, so the
same problem and optimizer code runs on numpy arrays and on torch tensors.

A :class:`Backend` bundles the namespace with a device and a dtype and converts
host (numpy) data onto it once, before the step loop; nothing in the loop moves
data between host and device.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _compat
from .errors import UserError

AVAILABLE_BACKENDS = ("numpy", "torch")
AVAILABLE_DTYPES = ("float64", "float32")
#: Device strings the lab accepts ("cuda:N" for any GPU index N).
AVAILABLE_DEVICES = ("cpu", "cuda", "cuda:N")
_DEVICE = re.compile(r"(cpu|cuda(:[0-9]{1,3})?)")


def check_device(device) -> str:
    """``device`` must be ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; else :class:`UserError`.

    Only the spelling is checked here (no torch import); :class:`Backend` also checks that
    CUDA and the GPU index are available.
    """
    if not isinstance(device, str) or not _DEVICE.fullmatch(device):
        raise UserError(f"unknown device {device!r}; available: {', '.join(AVAILABLE_DEVICES)}")
    return device


def namespace(*arrays: Any):
    """Array-API namespace shared by ``arrays`` (numpy or torch, wrapped by array-api-compat)."""
    return _compat.array_namespace(*arrays)


def device_of(x: Any):
    """Device of an array: ``"cpu"`` for numpy, ``x.device`` for torch (create new arrays there)."""
    return _compat.device(x)


def to_numpy(x: Any) -> np.ndarray:
    """Host copy of ``x`` as a numpy array (for results, never inside the step loop)."""
    if isinstance(x, np.ndarray):
        return x
    if _compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise UserError(
            "backend 'torch' requested but torch is not installed; "
            "install the extra: pip install -e '.[torch]' (available backends: numpy)"
        ) from exc
    return torch


@dataclass(frozen=True)
class Backend:
    """Where and in which precision a run's arrays live.

    Parameters
    ----------
    name : {"numpy", "torch"}
    device : str
        ``"cpu"`` for numpy; any torch device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``) for torch.
    dtype : {"float64", "float32"}
    """

    name: str = "numpy"
    device: str = "cpu"
    dtype: str = "float64"

    def __post_init__(self):
        if self.name not in AVAILABLE_BACKENDS:
            raise UserError(
                f"unknown backend {self.name!r}; available: {', '.join(AVAILABLE_BACKENDS)}"
            )
        if self.dtype not in AVAILABLE_DTYPES:
            raise UserError(f"unknown dtype {self.dtype!r}; available: {', '.join(AVAILABLE_DTYPES)}")
        check_device(self.device)
        if self.name == "numpy" and self.device != "cpu":
            raise UserError(f"backend 'numpy' runs on device 'cpu' only, got device {self.device!r}")
        if self.name == "torch":
            torch = _torch()
            if self.device.startswith("cuda") and not torch.cuda.is_available():
                raise UserError(
                    f"device {self.device!r} requested but CUDA is not available; available devices: cpu"
                )
            index = int(self.device.partition(":")[2] or 0)
            if self.device.startswith("cuda") and index >= torch.cuda.device_count():
                raise UserError(
                    f"device {self.device!r} requested but there are only {torch.cuda.device_count()} "
                    f"GPU(s); available: cpu, {', '.join(f'cuda:{i}' for i in range(torch.cuda.device_count()))}"
                )

    @property
    def xp(self):
        """The array-API namespace of this backend."""
        if self.name == "numpy":
            return _compat.array_namespace(np.empty(0))
        torch = _torch()
        return _compat.array_namespace(torch.empty(0, device="cpu"))

    @property
    def native_dtype(self):
        if self.name == "numpy":
            return np.dtype(self.dtype)
        return getattr(_torch(), self.dtype)

    def asarray(self, x: Any):
        """Move host data onto this backend (once, outside the step loop)."""
        if self.name == "numpy":
            return np.asarray(x, dtype=self.dtype)
        torch = _torch()
        if isinstance(x, torch.Tensor):
            return x.to(device=self.device, dtype=self.native_dtype)
        return torch.as_tensor(np.asarray(x), dtype=self.native_dtype, device=self.device)

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device, "dtype": self.dtype}


_SETUP = contextvars.ContextVar("theory_lab_setup_backend", default=None)


def setup_backend() -> Backend | None:
    """The backend a run is being set up for (inside :func:`setup_on`), else ``None``.

    Problem factories whose set-up is too large for the host (see
    :data:`problems.matrix.DEVICE_SETUP_MIN_SIDE`) build their data there directly.
    """
    return _SETUP.get()


@contextlib.contextmanager
def setup_on(backend: Backend):
    """Within the block, :func:`setup_backend` returns ``backend``."""
    token = _SETUP.set(backend)
    try:
        yield backend
    finally:
        _SETUP.reset(token)


def get_backend(backend: Backend | str | None = None, device: str = "cpu", dtype: str = "float64") -> Backend:
    """Return a :class:`Backend` from a name or pass one through."""
    if isinstance(backend, Backend):
        return backend
    return Backend(name=backend or "numpy", device=device, dtype=dtype)
