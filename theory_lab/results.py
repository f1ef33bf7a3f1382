"""Run results: arrays plus provenance, a tidy table view, and atomic on-disk storage.

One run (a config over a list of seeds) is stored as one ``.npz`` file named by the
config hash, holding the arrays and a JSON record of the config, package version,
backend, device, dtype and the problem's constants.  Files are written to a temporary
name and renamed, so an interrupted sweep never leaves a half-written result, with mode
``0666 & ~umask`` (``0644`` under the usual umask: readable by the other users of a shared
store).  Every file carries a SHA-256 ``checksum`` over its record and all its arrays;
:meth:`RunResult.load` verifies it (files written before checksums existed load unverified;
:class:`~theory_lab.sweep.ResultStore` refuses them).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import UserError

ARRAYS = ("steps", "suboptimality", "grad_norm", "diverged_at", "hit_step", "samples", "grad_evals")


class ResultError(UserError):
    """A stored result cannot be served (``path`` and ``reason`` say which and why)."""

    def __init__(self, path, reason: str, kind: str | None = None):
        self.path, self.reason = str(path), reason
        self.kind = kind or reason  # short label for summaries ("code changed", "checksum")
        super().__init__(f"{self.path}: {reason}")


class CorruptResult(ResultError):
    """Unreadable file, failed checksum, or a file holding another config's run."""


class StaleResult(ResultError):
    """A valid file computed by another lab version or other code (see :mod:`theory_lab.fingerprint`)."""


def checksum(record: str, arrays: dict) -> str:
    """SHA-256 over the JSON ``record`` and every array (name, dtype, shape, bytes), by name."""
    h = hashlib.sha256(record.encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"\0{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _umask() -> int:
    """The process umask, read without changing it where /proc allows."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@dataclass
class RunResult:
    config: dict
    meta: dict
    steps: np.ndarray
    suboptimality: np.ndarray
    grad_norm: np.ndarray
    diverged_at: np.ndarray
    hit_step: np.ndarray
    samples: np.ndarray
    grad_evals: np.ndarray
    extra: dict = field(default_factory=dict)

    @property
    def seeds(self) -> list[int]:
        return list(self.config["seeds"])

    @property
    def config_hash(self) -> str:
        return self.meta["config_hash"]

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0

    def metric(self, name: str) -> np.ndarray:
        """(S, K) array of a recorded metric."""
        return getattr(self, name) if name in ARRAYS else self.extra[name]

    def to_frame(self):
        """Tidy table: one row per (seed, step, metric) with config columns."""
        import pandas as pd

        S, K = self.suboptimality.shape
        frames = []
        for name in ("suboptimality", "grad_norm", *self.extra):
            vals = self.metric(name)
            frames.append(pd.DataFrame({
                "seed": np.repeat(self.seeds, K),
                "step": np.tile(self.steps, S),
                "samples": np.tile(self.samples, S),
                "metric": name,
                "value": vals.reshape(-1),
            }))
        df = pd.concat(frames, ignore_index=True)
        df["diverged_at"] = np.repeat(self.diverged_at, K).tolist() * (len(frames))
        df["config_hash"] = self.config_hash
        df["problem"] = self.config["problem"]["name"]
        df["optimizer"] = self.config["optimizer"]["name"]
        df["batch_size"] = self.config["batch_size"]
        df["backend"] = self.meta.get("backend")
        df["version"] = self.meta.get("version")
        for k, v in self.config.get("tags", {}).items():
            df[k] = v if isinstance(v, (str, int, float, bool, type(None))) else json.dumps(v)
        return df

    # -- storage -------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Atomically write to ``path`` (``.npz``, mode ``0666 & ~umask``, with a checksum)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = json.dumps({"config": self.config, "meta": self.meta}, default=str)
        arrays = {name: np.asarray(getattr(self, name)) for name in ARRAYS}
        arrays.update({f"extra__{k}": np.asarray(v) for k, v in self.extra.items()})
        digest = checksum(record, arrays)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, record=np.array(record), checksum=np.array(digest), **arrays)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, require_checksum: bool = False) -> RunResult:
        """Read a result file and verify its checksum.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        CorruptResult
            If the file is unreadable, lacks the record or an array, or fails its checksum.
        StaleResult
            If it has no checksum (an older lab wrote it) and ``require_checksum`` is set.
        """
        if not os.path.exists(path):
            raise FileNotFoundError(f"no result file {str(path)!r}")
        try:
            with np.load(path, allow_pickle=False) as data:
                raw = str(data["record"])
                record = json.loads(raw)
                arrays = {name: data[name] for name in ARRAYS}
                extra = {k[len("extra__"):]: data[k] for k in data.files if k.startswith("extra__")}
                stored = str(data["checksum"]) if "checksum" in data.files else None
            config, meta = record["config"], record["meta"]
        except Exception as exc:  # noqa: BLE001 - any failure to parse is corruption
            raise CorruptResult(path, f"unreadable ({type(exc).__name__}: {exc})",
                                "unreadable") from None
        if stored is None:
            if require_checksum:
                raise StaleResult(path, "no checksum (written by an older lab version)", "older lab")
        else:
            every = {**arrays, **{f"extra__{k}": v for k, v in extra.items()}}
            if checksum(raw, every) != stored:
                raise CorruptResult(path, "checksum mismatch: the file was modified after it was written",
                                    "checksum")
        return cls(config=config, meta=meta, extra=extra, **arrays)
