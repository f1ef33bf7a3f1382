"""Declarative run configurations, hashed for caching.

A :class:`RunConfig` names a problem and an optimizer by registry name with their
parameters, the horizon, batch size, seeds and backend.  Optimizer parameters may be
*expressions in the problem's constants*, evaluated safely (:mod:`theory_lab.expressions`) when the run starts, e.g.
``{"name": "shb", "lr": "1/L", "beta": "(1 - 1/sqrt(kappa))**2"}``.  Symbols available:
every key of ``problem.constants()`` plus ``T`` and ``M`` (batch size).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace

from .backends import check_device
from .errors import ConfigError
from .expressions import evaluate, symbol_table
from .validation import as_integral, check_int, check_positive, check_seeds, is_bool


def _plain(obj):
    """numpy scalars -> Python scalars, recursively, so equal configs hash equally."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "shape", None) == ():
        return obj.item()
    return obj


def _hash_form(obj):
    """Integral floats as ints, so ``kappa=10`` and ``kappa=10.0`` share a cache entry."""
    if isinstance(obj, dict):
        return {k: _hash_form(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_hash_form(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer() and abs(obj) < 2**53:
        return int(obj)
    return obj


def _canonical(obj) -> str:
    return json.dumps(_hash_form(_plain(obj)), sort_keys=True, separators=(",", ":"), default=str)


def resolve(value, symbols: dict, _key: str | None = None):
    """Evaluate string expressions (recursively in dicts/lists) against ``symbols``.

    A bare identifier that is not one of the symbols (``"right"``, ``"row"``, ``"eigh"``)
    is an option name and passes through unchanged; anything else must be an expression of
    the safe language of :mod:`theory_lab.expressions` (never ``eval`` or ``sympify``) and
    evaluate to a finite number, else :class:`~theory_lab.errors.ExpressionError`.
    """
    if isinstance(value, dict):
        return {k: (v if k in ("kind", "name") else resolve(v, symbols, str(k))) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(resolve(v, symbols, _key) for v in value)
    if isinstance(value, str):
        if value.isidentifier() and value not in symbol_table(symbols):
            return value
        return evaluate(value, symbols, context=_key)
    return value


#: Fields added after the first release, with their defaults (see :meth:`RunConfig.hash`).
_LATER_FIELDS = {"rng": "host"}


@dataclass(frozen=True)
class RunConfig:
    """One run: problem x optimizer x horizon x batch x seeds x backend."""

    problem: dict
    optimizer: dict
    T: int
    batch_size: int = 1
    seeds: tuple = (0,)
    n_checkpoints: int = 60
    spacing: str = "log"
    epsilon: float | None = None
    stop_at_epsilon: bool = False
    backend: str = "numpy"
    device: str = "cpu"
    dtype: str = "float64"
    rng: str = "host"
    tags: dict = field(default_factory=dict)

    def __post_init__(self):
        for key in ("T", "batch_size", "n_checkpoints"):  # 1e3 from JSON is 1000
            object.__setattr__(self, key, as_integral(getattr(self, key)))
        check_int("T", self.T)
        check_int("batch_size", self.batch_size)
        check_int("n_checkpoints", self.n_checkpoints)
        for key in ("problem", "optimizer"):
            spec = getattr(self, key)
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                raise ConfigError(f"{key} must be a dict with a string 'name' key, got {spec!r}")
        if "network" in self.problem and not isinstance(self.problem["network"], dict):
            raise ConfigError(
                f"problem 'network' must be a dict like {{\"graph\": \"ring\", \"mixing\": \"metropolis\"}}, "
                f"got {self.problem['network']!r}"
            )
        if not isinstance(self.tags, dict):
            raise ConfigError(f"tags must be a dict, got {self.tags!r}")
        object.__setattr__(self, "seeds", check_seeds(self.seeds))
        if self.epsilon is not None:
            if is_bool(self.epsilon):
                raise ConfigError(f"epsilon must be a positive number or None, got {self.epsilon!r}")
            check_positive("epsilon", self.epsilon)
        if not is_bool(self.stop_at_epsilon):
            raise ConfigError(f"stop_at_epsilon must be a boolean, got {self.stop_at_epsilon!r}")
        object.__setattr__(self, "stop_at_epsilon", bool(self.stop_at_epsilon))
        for key in ("backend", "device", "dtype"):
            if not isinstance(getattr(self, key), str):
                raise ConfigError(f"{key} must be a string, got {getattr(self, key)!r}")
        check_device(self.device)
        if self.spacing not in ("log", "linear"):
            raise ConfigError(f"spacing must be 'log' or 'linear', got {self.spacing!r}")
        if self.rng not in ("host", "device"):
            raise ConfigError(f"rng must be 'host' or 'device', got {self.rng!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        """Inverse of :meth:`to_dict`; unknown or missing fields raise :class:`ConfigError`."""
        if not isinstance(d, dict):
            raise ConfigError(f"a RunConfig must be a dict of fields, got {type(d).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = [k for k in d if k not in names]
        missing = [k for k in ("problem", "optimizer", "T") if k not in d]
        if unknown or missing:
            what = (f"unknown field(s) {', '.join(map(repr, unknown))}" if unknown
                    else f"missing field(s) {', '.join(map(repr, missing))}")
            raise ConfigError(f"RunConfig has {what}; fields: {', '.join(names)}")
        return cls(**d)

    def hash(self) -> str:
        """Stable 16-hex-digit hash of everything that changes the numbers."""
        d = self.to_dict()
        d.pop("tags")
        # fields added after 0.1 enter the hash only when set, so existing caches stay valid
        for key, default in _LATER_FIELDS.items():
            if d.get(key) == default:
                d.pop(key)
        return hashlib.sha256(_canonical(d).encode()).hexdigest()[:16]

    def replace(self, **changes) -> RunConfig:
        return replace(self, **changes)

    def get_path(self, dotted: str, default=None):
        """Value at a dotted key, e.g. ``"problem.kappa"`` (``default`` where it is missing)."""
        value = self.to_dict()
        for part in dotted.split("."):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    def with_path(self, dotted: str, value) -> RunConfig:
        """Copy with a dotted key set, e.g. ``"problem.kappa"`` or ``"optimizer.lr.eta"``."""
        head, *path = dotted.split(".")
        if not path:
            return self.replace(**{head: value})

        def put(d, keys):
            if not isinstance(d, dict):
                raise ValueError(f"cannot set {dotted!r}: {d!r} is not a dict")
            out = dict(d)
            out[keys[0]] = value if len(keys) == 1 else put(d.get(keys[0], {}), keys[1:])
            return out

        return self.replace(**{head: put(getattr(self, head), path)})
