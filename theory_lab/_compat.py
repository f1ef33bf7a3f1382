"""Array-API namespaces with or without ``array-api-compat``.

The lab's array code calls array-API functions (``xp.sum(x, axis=...)``,
``xp.linalg.vector_norm``, ...) on the namespace of its inputs.  ``array-api-compat``
provides those namespaces for numpy and torch and is used whenever it is installed (the
normal environment: every result of the lab is computed through it).  Where it is not (a
bare GPU machine with numpy, scipy and torch only, see :mod:`theory_lab.gpucheck`), this
module falls back to numpy >= 2 itself (array-API compliant) and to :class:`TorchNamespace`,
a small adapter covering the functions the lab uses.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

try:  # the normal path
    import array_api_compat as _aac
except ImportError:  # pragma: no cover - exercised in a subprocess by tests/test_gpucheck.py
    _aac = None

HAVE_ARRAY_API_COMPAT = _aac is not None

__all__ = ["HAVE_ARRAY_API_COMPAT", "TorchNamespace", "array_namespace", "device",
           "is_array_api_obj", "is_torch_array"]


def is_torch_array(x: Any) -> bool:
    """Whether ``x`` is a torch tensor (without importing torch when it is not loaded)."""
    if _aac is not None:
        return _aac.is_torch_array(x)
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def is_array_api_obj(x: Any) -> bool:
    """Whether ``x`` is a numpy array or a torch tensor (an array of the lab's backends)."""
    if _aac is not None:
        return _aac.is_array_api_obj(x)
    return isinstance(x, np.ndarray) or is_torch_array(x)


def device(x: Any):
    """Device of an array (``"cpu"`` for numpy)."""
    if _aac is not None:
        return _aac.device(x)
    return x.device if is_torch_array(x) else "cpu"


def _red(fn):
    def reduce(x, /, *, axis=None, keepdims=False, **kw):
        if axis is None:
            out = fn(x, **kw)
            return out.reshape((1,) * x.ndim) if keepdims else out
        return fn(x, dim=axis, keepdim=keepdims, **kw)

    return reduce


class TorchNamespace(types.SimpleNamespace):
    """The subset of the array API the lab uses, on torch (fallback without array-api-compat)."""

    def __init__(self):
        import torch

        super().__init__()
        self._t = torch
        for name in ("bool", "float32", "float64", "int32", "int64"):
            setattr(self, name, getattr(torch, name))
        self.sum, self.mean, self.prod = _red(torch.sum), _red(torch.mean), _red(torch.prod)
        self.max, self.min = _red(torch.amax), _red(torch.amin)
        self.any, self.all = _red(torch.any), _red(torch.all)
        self.linalg = types.SimpleNamespace(
            vector_norm=lambda x, /, *, axis=None, keepdims=False, ord=2:
                torch.linalg.vector_norm(x, ord, dim=axis, keepdim=keepdims),
            matrix_norm=lambda x, /, *, keepdims=False, ord="fro":
                torch.linalg.matrix_norm(x, ord=ord, keepdim=keepdims),
            diagonal=lambda x, /, *, offset=0: torch.diagonal(x, offset, dim1=-2, dim2=-1),
            svdvals=torch.linalg.svdvals,
            svd=lambda x, /, *, full_matrices=True: torch.linalg.svd(x, full_matrices=full_matrices),
            eigh=torch.linalg.eigh,
            qr=torch.linalg.qr,
        )

    def __getattr__(self, name):  # elementwise functions etc.: torch's own
        return getattr(self._t, name)

    def _scalar(self, x, like):
        t = self._t
        return x if isinstance(x, t.Tensor) else t.as_tensor(x, dtype=like.dtype, device=like.device)

    def reshape(self, x, /, shape, **kw):
        return self._t.reshape(x, tuple(shape))

    def matrix_transpose(self, x, /):
        return x.mT

    def concat(self, arrays, /, *, axis=0):
        return self._t.cat(tuple(arrays), dim=axis)

    def astype(self, x, dtype, /, *, copy=True):
        return x.to(dtype)

    def asarray(self, x, /, *, dtype=None, device=None, copy=None):
        return self._t.as_tensor(x, dtype=dtype, device=device)

    def eye(self, n, m=None, /, *, k=0, dtype=None, device=None):
        if k:
            raise NotImplementedError("eye with k != 0")
        return self._t.eye(n, n if m is None else m, dtype=dtype, device=device)

    def clip(self, x, /, min=None, max=None):
        return self._t.clamp(x, min=min, max=max)

    def maximum(self, a, b, /):
        return self._t.maximum(a, self._scalar(b, a)) if isinstance(a, self._t.Tensor) else \
            self._t.maximum(self._scalar(a, b), b)

    def minimum(self, a, b, /):
        return self._t.minimum(a, self._scalar(b, a)) if isinstance(a, self._t.Tensor) else \
            self._t.minimum(self._scalar(a, b), b)

    def where(self, c, a, b, /):
        return self._t.where(c, a, b)


_TORCH_NS: TorchNamespace | None = None


def array_namespace(*arrays: Any):
    """Namespace shared by ``arrays``: array-api-compat's when installed, else numpy / torch."""
    if _aac is not None:
        return _aac.array_namespace(*arrays)
    global _TORCH_NS
    if any(is_torch_array(a) for a in arrays):
        if _TORCH_NS is None:
            _TORCH_NS = TorchNamespace()
        return _TORCH_NS
    return np
