"""Early, explicit input checks: each raises :class:`~theory_lab.errors.UserError` (a
``ValueError``) naming the offending value."""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from .errors import ConfigError, UserError


def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    """``value`` must be a finite real > 0 (>= 0 with ``allow_zero``); booleans are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise UserError(f"{name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise UserError(f"{name} must be finite and {bound}, got {value!r}")
    return v


def check_int(name: str, value, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise UserError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_dim(name: str, value) -> int:
    """A size >= 1 that may arrive as an integral float (``"m"`` resolved from constants)."""
    if isinstance(value, bool):
        raise UserError(f"{name} must be a positive integer, got {value!r}")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a positive integer, got {value!r}") from None
    if not (math.isfinite(f) and f >= 1 and f == int(f)):
        raise UserError(f"{name} must be a positive integer, got {value!r}")
    return int(f)


def check_momentum(name: str, value) -> float:
    """Momentum must lie in [0, 1); booleans are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise UserError(f"{name} must be a real number in [0, 1), got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a real number in [0, 1), got {value!r}") from None
    if not (0.0 <= v < 1.0):
        raise UserError(f"{name} must lie in [0, 1), got {value!r}")
    return v


def check_kappa(kappa) -> float:
    v = check_positive("kappa", kappa)
    if v < 1.0:
        raise UserError(f"kappa must be >= 1 (kappa = L/mu), got {kappa!r}")
    return v


def check_spectrum(eigenvalues: Sequence[float] | np.ndarray, *, strict: bool = True) -> np.ndarray:
    """Eigenvalues of a PSD (``strict``: PD) matrix: finite, 1-D, > 0 (>= 0)."""
    ev = np.asarray(eigenvalues, dtype=float)
    if ev.ndim != 1 or ev.size == 0:
        raise UserError(f"spectrum must be a non-empty 1-D array, got shape {ev.shape}")
    if not np.all(np.isfinite(ev)):
        raise UserError(f"spectrum has non-finite entries: {ev[~np.isfinite(ev)][:5]}")
    bad = ev <= 0 if strict else ev < 0
    if np.any(bad):
        kind = "positive definite" if strict else "PSD"
        raise UserError(
            f"spectrum is not {kind}: eigenvalue {ev[bad].min()!r} at index {int(np.argmax(bad))}"
        )
    return ev


def check_shape(name: str, array, shape: tuple) -> None:
    if tuple(array.shape) != tuple(shape):
        raise UserError(f"{name} has shape {tuple(array.shape)}, expected {tuple(shape)}")


# -- typed values and factory calls -----------------------------------------------------
#: Text accepted for a boolean parameter (case-insensitive), with its value.
BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True,
              "false": False, "no": False, "off": False, "0": False}


def is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def check_bool(name: str, value) -> bool:
    """A boolean: ``True``/``False``, ``0``/``1`` or one of :data:`BOOL_WORDS`; else UserError."""
    if is_bool(value):
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in BOOL_WORDS:
        return BOOL_WORDS[value.strip().lower()]
    raise UserError(
        f"{name} must be a boolean (true/false, yes/no, on/off, 1/0), got {value!r}"
    )


def as_integral(value):
    """``value`` as an int when it is an integral real (``1e2`` -> 100), else unchanged."""
    if is_bool(value) or isinstance(value, numbers.Integral):
        return value if is_bool(value) else int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return value


def check_seeds(seeds) -> tuple[int, ...]:
    """Distinct integers >= 0 (integral numpy ints and integral floats accepted)."""
    if isinstance(seeds, (str, bytes, dict)) or not hasattr(seeds, "__iter__"):
        raise ConfigError(f"seeds must be a list of distinct integers >= 0, got {seeds!r}")
    out = []
    for s in seeds:
        v = None if (is_bool(s) or isinstance(s, (str, bytes))) else as_integral(s)
        if not isinstance(v, int) or v < 0:
            raise ConfigError(f"seeds must be distinct integers >= 0, got {s!r} in {seeds!r}")
        out.append(v)
    if not out:
        raise ConfigError("seeds must select at least one seed, got none")
    if len(set(out)) != len(out):
        dup = sorted({s for s in out if out.count(s) > 1})
        raise ConfigError(f"seeds must be distinct, got duplicate(s) {dup}")
    return tuple(out)


def _ann_text(p: inspect.Parameter) -> str:
    ann = p.annotation
    if ann is inspect.Parameter.empty:
        return ""
    return ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))


def _is_bool_param(p: inspect.Parameter) -> bool:
    return "bool" in _ann_text(p) or is_bool(p.default)


def _is_int_param(p: inspect.Parameter) -> bool:
    ann = _ann_text(p).replace(" ", "")
    if ann:
        return ann in ("int", "int|None", "Optional[int]", "None|int")
    return isinstance(p.default, numbers.Integral) and not is_bool(p.default)


def signature_text(factory: Callable, name: str | None = None) -> str:
    """``shb(lr, beta, T=None)``: the call signature without annotations."""
    parts = []
    for p in inspect.signature(factory).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        elif p.default is p.empty:
            parts.append(p.name)
        else:
            d = repr(p.default)
            parts.append(f"{p.name}={d if len(d) <= 20 else d[:17] + '...'}")
    return f"{name or factory.__name__}({', '.join(parts)})"


def check_call(factory: Callable, params: dict, *, what: str, name: str | None = None) -> dict:
    """Check ``params`` against ``factory``'s signature before calling it; return them typed.

    Unknown and missing parameters raise :class:`~theory_lab.errors.ConfigError` naming them
    and the signature (``optimizer 'shb' is missing parameter 'beta'; signature:
    shb(lr, beta, T=None)``).  Parameters declared boolean (annotation ``bool`` or a boolean
    default) take only booleans or the words of :data:`BOOL_WORDS`; any other parameter
    refuses a boolean (``lr=True``); integral floats become ints for integer parameters
    (``d=1e2``).
    """
    sig = inspect.signature(factory)
    ps = sig.parameters
    text = signature_text(factory, name)
    var_kw = any(p.kind is p.VAR_KEYWORD for p in ps.values())
    named = {k: p for k, p in ps.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    unknown = [k for k in params if k not in named]
    if unknown and not var_kw:
        s = "" if len(unknown) == 1 else "s"
        raise ConfigError(f"{what} has no parameter{s} {', '.join(map(repr, unknown))}; signature: {text}")
    missing = [k for k, p in named.items() if p.default is p.empty and k not in params]
    if missing:
        s = "" if len(missing) == 1 else "s"
        raise ConfigError(f"{what} is missing parameter{s} {', '.join(map(repr, missing))}; signature: {text}")
    out = dict(params)
    for k, v in params.items():
        p = named.get(k)
        if p is None:
            continue
        if _is_bool_param(p):
            if v is None and (p.default is None or "None" in _ann_text(p)):
                continue
            out[k] = check_bool(f"{what} parameter {k!r}", v)
        elif is_bool(v):
            raise ConfigError(f"{what} parameter {k!r} takes no boolean, got {v!r}; signature: {text}")
        elif _is_int_param(p):
            out[k] = as_integral(v)
    return out
