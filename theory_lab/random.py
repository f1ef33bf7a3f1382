"""Per-seed random streams, drawn in blocks so that many seeds run as one array.

Each seed owns an independent ``numpy.random.Generator`` (SFC64 seeded with
``(seed, stream, kind)``; SFC64 draws normals ~1.7x faster than PCG64 here, and drawing
noise is the largest share of a vectorized run).  A draw for all seeds returns an array whose leading axis is
the seed axis.  To keep per-step Python overhead low, every seed's generator
fills a block of ``block`` steps at once; because numpy generators produce the
same numbers whether drawn in one call or several, seed ``s`` sees exactly the
same numbers whether it runs alone or together with other seeds, and whatever
the block size.  That is what makes "same config and seed, same numbers" hold
for vectorized runs.  Large blocks of many seeds are filled by the kernel threads of
:mod:`theory_lab.kernels` (numpy releases the GIL while a generator fills; each
generator stays with one thread), which changes the speed, never the numbers.

Two sources of random numbers:

``source="host"`` (default)
    numpy SFC64 generators on the host, copied onto the backend once per block.  The
    numbers are the same on every backend, so numpy, torch-CPU and CUDA runs of one
    config follow the same trajectory (the backend-equivalence tests rely on it).
``source="device"``
    one ``torch.Generator`` per seed on the backend's device (CUDA's Philox on a GPU),
    filling the draw in place: no host-to-device copy in the step loop, which is what
    large GPU instances need (a :math:`d = 10^8` float32 draw is 400 MB per step).
    The numbers differ from the host source.  Torch does not promise that one draw of
    :math:`2k` numbers equals two draws of :math:`k`, so this source draws exactly one
    step per call (no blocks): seed ``s`` then still sees the same numbers alone or with
    other seeds.  On the numpy backend the device is the host: ``"device"`` is ``"host"``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .backends import Backend, get_backend

#: Upper bound on the number of buffered random numbers (all seeds together).
BUFFER_ELEMENTS = 1 << 22

RNG_SOURCES = ("host", "device")


#: Per-seed block size (elements) from which the seeds' blocks are filled by threads.
THREADED_FILL_MIN = 1 << 15


def _fill(gens, method: str, host: np.ndarray) -> None:
    """Fill ``host[i]`` from ``gens[i]`` in place, seeds spread over the kernel threads.

    numpy's generators release the GIL while they fill, and each generator is used by one
    thread only, so threads change the speed, never the numbers.
    """
    from . import kernels

    nt = min(kernels.get_num_threads(), len(gens))
    if nt < 2 or host[0].size < THREADED_FILL_MIN:
        for g, out in zip(gens, host, strict=True):
            getattr(g, method)(out=out)
        return
    def fill_part(k):
        for i in range(k, len(gens), nt):
            getattr(gens[i], method)(out=host[i])

    pool = kernels._get_pool(nt - 1)
    futures = [pool.submit(fill_part, k) for k in range(1, nt)]
    fill_part(0)  # the calling thread takes its share
    for f in futures:
        f.result()


def _seed_state(seed: int, stream: int, sub: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, stream, sub])


class SeedStreams:
    """Vectorized random draws for a list of seeds.

    Parameters
    ----------
    seeds : sequence of int
        One independent stream per seed; the seed axis is the leading axis of every draw.
    stream : int
        Distinguishes independent uses of the same seed (e.g. noise vs. initialization).
    backend : Backend, optional
        Draws are returned on this backend (converted once per block, not per step).
    source : {"host", "device"}
        Where the numbers are drawn (see the module docstring).
    """

    def __init__(self, seeds: Sequence[int], stream: int = 0, backend: Backend | None = None,
                 source: str = "host"):
        if source not in RNG_SOURCES:
            raise ValueError(f"unknown rng source {source!r}; available: {', '.join(RNG_SOURCES)}")
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise ValueError("seeds must be a non-empty list of integers, got []")
        if any(s < 0 for s in seeds):
            raise ValueError(f"seeds must be non-negative integers, got {seeds}")
        self.seeds = seeds
        self.stream = int(stream)
        self.backend = get_backend(backend)
        self.source = "device" if source == "device" and self.backend.name == "torch" else "host"
        # one generator per (seed, kind of draw): interleaved draws of different shapes
        # then never depend on the block size.
        self._buffers: dict[tuple, list] = {}

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    def _draw_device(self, kind: str, shape: tuple[int, ...]):
        import torch

        key = (kind, tuple(shape))
        gens = self._buffers.get(key)
        if gens is None:
            sub, gens = len(self._buffers), []
            for s in self.seeds:
                g = torch.Generator(device=self.backend.device)
                g.manual_seed(int(_seed_state(s, self.stream, sub).generate_state(1, np.uint64)[0] >> 1))
                gens.append(g)
            self._buffers[key] = gens
        out = torch.empty((self.n_seeds, *shape), dtype=self.backend.native_dtype,
                          device=self.backend.device)
        fill = torch.randn if kind == "normal" else torch.rand
        for i, g in enumerate(gens):
            fill(shape, generator=g, out=out[i], device=out.device)
        return out

    def _draw(self, kind: str, shape: tuple[int, ...]):
        if self.source == "device":
            return self._draw_device(kind, shape)
        key = (kind, tuple(shape))
        buf = self._buffers.get(key)
        if buf is None or buf[1] >= buf[0].shape[1]:
            per_step = max(1, int(np.prod(shape)))
            block = max(1, min(256, BUFFER_ELEMENTS // (per_step * self.n_seeds)))
            if buf is None:
                sub = len(self._buffers)
                gens = [np.random.Generator(np.random.SFC64(_seed_state(s, self.stream, sub)))
                        for s in self.seeds]
            else:
                gens = buf[2]
            method = "standard_normal" if kind == "normal" else "random"
            host = np.empty((self.n_seeds, block, *shape))
            _fill(gens, method, host)
            buf = [self.backend.asarray(host), 0, gens]
            self._buffers[key] = buf
        out = buf[0][:, buf[1]]
        buf[1] += 1
        return out

    def normal(self, shape: tuple[int, ...] | int):
        """Standard normals of shape ``(n_seeds, *shape)``."""
        return self._draw("normal", (shape,) if isinstance(shape, int) else tuple(shape))

    def uniform(self, shape: tuple[int, ...] | int):
        """Uniforms on [0, 1) of shape ``(n_seeds, *shape)``."""
        return self._draw("uniform", (shape,) if isinstance(shape, int) else tuple(shape))
