"""Run results: arrays plus provenance, a tidy table view, and atomic on-disk storage.

One run (a config over a list of seeds) is stored as one ``.npz`` file named by the
config hash, holding the arrays and a JSON record of the config, package version,
backend, device, dtype and the problem's constants.  Files are written to a temporary
name and renamed, so an interrupted sweep never leaves a half-written result.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ARRAYS = ("steps", "suboptimality", "grad_norm", "diverged_at", "hit_step", "samples", "grad_evals")


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
        """Atomically write to ``path`` (``.npz``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = json.dumps({"config": self.config, "meta": self.meta}, default=str)
        arrays = {name: getattr(self, name) for name in ARRAYS}
        arrays.update({f"extra__{k}": v for k, v in self.extra.items()})
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, record=np.array(record), **arrays)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> RunResult:
        with np.load(path, allow_pickle=False) as data:
            record = json.loads(str(data["record"]))
            arrays = {name: data[name] for name in ARRAYS}
            extra = {k[len("extra__"):]: data[k] for k in data.files if k.startswith("extra__")}
        return cls(config=record["config"], meta=record["meta"], extra=extra, **arrays)
