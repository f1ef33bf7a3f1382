"""Early, explicit input checks: each raises ``ValueError`` naming the offending value."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    """``value`` must be a finite real > 0 (>= 0 with ``allow_zero``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return v


def check_int(name: str, value, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_dim(name: str, value) -> int:
    """A size >= 1 that may arrive as an integral float (``"m"`` resolved from constants)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive integer, got {value!r}") from None
    if not (math.isfinite(f) and f >= 1 and f == int(f)):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(f)


def check_momentum(name: str, value) -> float:
    """Momentum must lie in [0, 1)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number in [0, 1), got {value!r}") from None
    if not (0.0 <= v < 1.0):
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return v


def check_kappa(kappa) -> float:
    v = check_positive("kappa", kappa)
    if v < 1.0:
        raise ValueError(f"kappa must be >= 1 (kappa = L/mu), got {kappa!r}")
    return v


def check_spectrum(eigenvalues: Sequence[float] | np.ndarray, *, strict: bool = True) -> np.ndarray:
    """Eigenvalues of a PSD (``strict``: PD) matrix: finite, 1-D, > 0 (>= 0)."""
    ev = np.asarray(eigenvalues, dtype=float)
    if ev.ndim != 1 or ev.size == 0:
        raise ValueError(f"spectrum must be a non-empty 1-D array, got shape {ev.shape}")
    if not np.all(np.isfinite(ev)):
        raise ValueError(f"spectrum has non-finite entries: {ev[~np.isfinite(ev)][:5]}")
    bad = ev <= 0 if strict else ev < 0
    if np.any(bad):
        kind = "positive definite" if strict else "PSD"
        raise ValueError(
            f"spectrum is not {kind}: eigenvalue {ev[bad].min()!r} at index {int(np.argmax(bad))}"
        )
    return ev


def check_shape(name: str, array, shape: tuple) -> None:
    if tuple(array.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(array.shape)}, expected {tuple(shape)}")
