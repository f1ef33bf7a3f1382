r"""Fused, cache-blocked in-place optimizer updates.

The heavy-ball update on a long vector is memory bound: per coordinate it does four
flops but moves five words (read :math:`w, v, g`, write :math:`w, v`).  Written as
whole-array numpy expressions,

.. math::
    v \leftarrow \beta v - \eta g, \qquad w \leftarrow w + v,

allocates temporaries and makes about ten passes over memory, and
``torch.optim.SGD(momentum=beta)`` (``buf.mul_(beta).add_(g); p.add_(buf, alpha=-lr)``)
makes about eight.  The kernels here walk the arrays in chunks of :data:`CHUNK`
elements and apply all the operations (four ufuncs with ``out=``, into a reused scratch
chunk) to a chunk while it is in cache, so each array crosses the memory bus once: the
bound of five words per coordinate.

The per-chunk arithmetic is the same sequence of correctly rounded operations as the
pure steps in :mod:`theory_lab.optimizers.heavy_ball` (``beta * v - lr * g`` then
``w + v``), so on numpy the result is bitwise identical to the pure step, for float64
and float32 alike.  Arrays of at most one chunk, strided views and mixed dtypes or
layouts take whole-array ufuncs with ``out=`` (same arithmetic, one temporary).

Non-numpy arrays (torch tensors, on any device) take a fallback of in-place tensor
operations with the same semantics.  torch evaluates ``add_(g, alpha=-lr)`` with a
fused multiply-add, so the fallback agrees with the pure step to rounding (one rounding
fewer per step), not bitwise.

Threads.  One core does not saturate the memory bus (on the 2-core lab machine, idle,
one thread streams ~17 GB/s, two ~24 GB/s), so arrays of at least :data:`PARALLEL_MIN`
elements can be cut into blocks of :data:`BLOCK_CHUNKS` chunks that the calling thread
and ``get_num_threads() - 1`` pool threads take from a shared counter (numpy ufuncs
release the GIL).  Blocks are handed out dynamically rather than as equal parts, so a
preempted thread takes fewer blocks instead of holding up the others.  Whether threads
pay depends on the load: with the other core busy (a second process, e.g. a parallel
sweep) two threads were *slower* than one (down to ~0.7x; presumably a thread
preempted while holding the GIL stalls the other).  So by default (:data:`ADAPTIVE`) each call picks one
thread or several from their measured time per element, re-timing the other choice
every :data:`EXPLORE_EVERY` calls.  Threads never change the numbers, only the speed.
Below :data:`PARALLEL_MIN` the hand-off cost more than it saved: the caller works alone.
The thread count comes from ``THEORY_LAB_KERNEL_THREADS`` (default: usable CPUs, at
most 4); ``set_num_threads(1)`` turns threading off.  Measured in :mod:`theory_lab.bench`.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Elements per chunk: 2**16 float64 = 512 KiB per operand, 2 MiB for the four
#: (w, v, g, scratch) -- L3-resident rather than L2.  Measured on the lab machine (AMD
#: EPYC, 512 KiB L2 per core, 32 MiB L3): L2-sized chunks (2**13-2**14) were 5-15%
#: slower, the per-chunk Python cost of four ufunc calls (~1 us each) showing;
#: 2**15-2**18 are within noise of each other.
CHUNK = 1 << 16

#: Smallest array (elements) split over threads; below it the kernels run on the caller.
PARALLEL_MIN = 1 << 21

#: Chunks per block handed to a thread (4 * 2**16 = 2**18 elements, 2 MiB of float64).
BLOCK_CHUNKS = 4

#: Choose between one thread and several per call, from measured speed (see _Tuner).
ADAPTIVE = True

#: Every this many calls the adaptive choice re-times the mode it is not using.
EXPLORE_EVERY = 16

_local = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pool_workers = 0
_pool_lock = threading.Lock()


def _default_threads() -> int:
    env = os.environ.get("THEORY_LAB_KERNEL_THREADS")
    if env:
        return max(1, int(env))
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 4))


_num_threads = _default_threads()


def get_num_threads() -> int:
    """Threads the numpy kernels use on arrays of at least :data:`PARALLEL_MIN` elements."""
    return _num_threads


def set_num_threads(n: int) -> int:
    """Set the kernels' thread count (1: no threads); returns the previous value."""
    global _num_threads
    n = int(n)
    if n < 1:
        raise ValueError(f"number of threads must be >= 1, got {n}")
    prev, _num_threads = _num_threads, n
    return prev


def _get_pool(workers: int) -> ThreadPoolExecutor:
    """Worker threads, created on first use (and again in a forked child, whose copy of
    the parent's pool has no threads behind it)."""
    global _pool, _pool_pid, _pool_workers
    with _pool_lock:
        pid = os.getpid()
        if _pool is None or _pool_pid != pid or _pool_workers < workers:
            # an outgrown pool is left to finish what it holds (no shutdown under callers)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="theory_lab_kernel")
            _pool_pid, _pool_workers = pid, workers
        return _pool


class _Tuner:
    """Picks 1 or ``nt`` threads per call from the measured time per element.

    Each mode's cost is an exponential moving average of seconds per element; a call
    uses the cheaper mode, except every :data:`EXPLORE_EVERY`-th call, which re-times
    the other one so that a change in load is noticed.  Threads do not change the
    numbers (every element sees the same operations), only the speed.
    """

    def __init__(self):
        self.cost: dict[int, float] = {}
        self.calls = 0

    def choose(self, nt: int) -> int:
        self.calls += 1
        if 1 not in self.cost:
            return 1
        if nt not in self.cost:
            return nt
        best, other = (nt, 1) if self.cost[nt] <= self.cost[1] else (1, nt)
        return other if self.calls % EXPLORE_EVERY == 0 else best

    def record(self, mode: int, seconds_per_element: float) -> None:
        old = self.cost.get(mode)
        self.cost[mode] = (
            seconds_per_element if old is None else old + 0.3 * (seconds_per_element - old)
        )


_tuners: dict[tuple, _Tuner] = {}


def _run_threads(body, n: int, block: int, nt: int, arrays: tuple, args: tuple) -> None:
    counter = itertools.count()

    def worker():
        while True:
            lo = next(counter) * block
            if lo >= n:
                return
            hi = min(n, lo + block)
            body(*(a[lo:hi] for a in arrays), *args)

    pool = _get_pool(nt - 1)
    futures = [pool.submit(worker) for _ in range(nt - 1)]
    try:
        worker()
    finally:
        for f in futures:
            f.result()


def _parallel(body, n: int, chunk: int, arrays: tuple, *args) -> None:
    """Run ``body(*slices, *args)`` over ``arrays`` in blocks, shared among threads.

    Blocks of :data:`BLOCK_CHUNKS` chunks are handed out dynamically (a shared counter;
    ``next`` on it is atomic under the GIL): a thread that the OS preempts does fewer
    blocks instead of holding up the others, as a static split would.  The caller
    works too.  With :data:`ADAPTIVE`, a :class:`_Tuner` decides per call between one
    thread and ``nt``.
    """
    block = chunk * BLOCK_CHUNKS
    nt = min(_num_threads, -(-n // block)) if n >= PARALLEL_MIN else 1
    if nt <= 1:
        body(*arrays, *args)
        return
    if not ADAPTIVE:
        _run_threads(body, n, block, nt, arrays, args)
        return
    key = (body.__name__, nt, n.bit_length())  # cost per element depends on the size
    tuner = _tuners.get(key)
    if tuner is None:
        tuner = _tuners[key] = _Tuner()
    mode = tuner.choose(nt)
    t0 = time.perf_counter()
    if mode == 1:
        body(*arrays, *args)
    else:
        _run_threads(body, n, block, mode, arrays, args)
    tuner.record(mode, (time.perf_counter() - t0) / n)


def _scratch(dtype: np.dtype, n: int) -> np.ndarray:
    """Per-thread scratch chunk (reused across calls, so nothing is allocated per call)."""
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    buf = bufs.get(dtype)
    if buf is None or buf.size < n:
        buf = bufs[dtype] = np.empty(max(n, CHUNK), dtype=dtype)
    return buf[:n]


def _flat_views(*arrays: np.ndarray):
    """1-d views of same-shape, same-dtype, jointly contiguous arrays, or ``None``."""
    first = arrays[0]
    if any(a.shape != first.shape or a.dtype != first.dtype for a in arrays):
        return None
    if first.dtype.kind not in "fc":
        return None
    if all(a.flags.c_contiguous for a in arrays):
        return tuple(a.reshape(-1) for a in arrays)
    if all(a.flags.f_contiguous for a in arrays):
        return tuple(a.reshape(-1, order="F") for a in arrays)
    return None


# -- heavy ball -------------------------------------------------------------------------
def _heavy_ball_chunks(w, v, g, lr, beta, chunk):
    n = w.size
    buf = _scratch(w.dtype, min(chunk, n))
    mul, sub, add = np.multiply, np.subtract, np.add
    # 0-d arrays of the operands' dtype: what numpy does with a Python scalar (NEP 50),
    # without converting it again on every call (~1 us each)
    lr, beta = np.array(lr, dtype=w.dtype), np.array(beta, dtype=w.dtype)
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        wc, vc, gc = w[s:e], v[s:e], g[s:e]
        b = buf[: e - s]
        mul(gc, lr, out=b)  # lr * g first: g may alias v chunkwise
        mul(vc, beta, out=vc)
        sub(vc, b, out=vc)
        add(wc, vc, out=wc)


def heavy_ball_update_(w, v, g, lr: float, beta: float, *, chunk: int | None = None):
    r"""In-place heavy-ball update :math:`v \leftarrow \beta v - \eta g`, :math:`w \leftarrow w + v`.

    Parameters
    ----------
    w, v : array (any shape), overwritten
        Iterate and displacement :math:`v_t = w_t - w_{t-1}` (displacement form of
        :func:`theory_lab.optimizers.heavy_ball.heavy_ball`).
    g : array, same shape
        Gradient; read only (never written).
    lr, beta : float
        Step size :math:`\eta` and momentum :math:`\beta`.
    chunk : int, optional
        Elements per cache block (default :data:`CHUNK`).

    Returns
    -------
    (w, v) : the same arrays, updated.

    Notes
    -----
    numpy arrays longer than one chunk, of one float dtype and jointly C- (or F-)
    contiguous take the cache-blocked path (threaded from :data:`PARALLEL_MIN`
    elements).  Other numpy inputs (short arrays, strided views, mixed layouts, a
    broadcast ``g``, mixed dtypes) are updated with whole-array ufuncs and ``out=`` (one
    temporary), results cast to the dtype of ``w`` and ``v``.  Either way the arithmetic
    is that of ``v = beta * v - lr * g; w = w + v``: bitwise equal for one dtype.  Any
    other array type (torch) uses ``v.mul_(beta).add_(g, alpha=-lr); w.add_(v)``, which
    torch evaluates with a fused multiply-add: equal to rounding.
    """
    lr, beta = float(lr), float(beta)
    nd = np.ndarray
    if not (isinstance(w, nd) and isinstance(v, nd) and isinstance(g, nd)):
        v.mul_(beta).add_(g, alpha=-lr)
        w.add_(v)
        return w, v
    chunk = int(chunk or CHUNK)
    flat = _flat_views(w, v, g) if w.size > chunk else None
    if flat is None:  # short (fits in cache anyway), strided or mixed dtypes
        tmp = np.multiply(g, lr)
        np.multiply(v, beta, out=v)
        np.subtract(v, tmp, out=v, casting="same_kind")
        np.add(w, v, out=w, casting="same_kind")
        return w, v
    _parallel(_heavy_ball_chunks, flat[0].size, chunk, flat, lr, beta, chunk)
    return w, v


# -- SGD --------------------------------------------------------------------------------
def _sgd_chunks(w, g, lr, chunk):
    n = w.size
    buf = _scratch(w.dtype, min(chunk, n))
    mul, sub = np.multiply, np.subtract
    lr = np.array(lr, dtype=w.dtype)
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        wc = w[s:e]
        b = buf[: e - s]
        mul(g[s:e], lr, out=b)
        sub(wc, b, out=wc)


def sgd_update_(w, g, lr: float, *, chunk: int | None = None):
    r"""In-place SGD update :math:`w \leftarrow w - \eta g`; ``g`` is read only.

    Bitwise equal to ``w - lr * g`` on contiguous numpy arrays of one float dtype (the
    product is rounded, then the difference, as in the pure step).  Torch tensors use
    ``w.add_(g, alpha=-lr)`` (a fused multiply-add: equal to rounding).  Returns ``w``.
    """
    lr = float(lr)
    if not (isinstance(w, np.ndarray) and isinstance(g, np.ndarray)):
        w.add_(g, alpha=-lr)
        return w
    chunk = int(chunk or CHUNK)
    flat = _flat_views(w, g) if w.size > chunk else None
    if flat is None:  # short, strided or mixed dtypes
        np.subtract(w, np.multiply(g, lr), out=w, casting="same_kind")
        return w
    _parallel(_sgd_chunks, flat[0].size, chunk, flat, lr, chunk)
    return w


__all__ = [
    "ADAPTIVE",
    "BLOCK_CHUNKS",
    "CHUNK",
    "EXPLORE_EVERY",
    "PARALLEL_MIN",
    "get_num_threads",
    "heavy_ball_update_",
    "set_num_threads",
    "sgd_update_",
]
