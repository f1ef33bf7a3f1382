r"""SCALE (row-RMS-normalized SGD with last-layer momentum), a per-layer wrapper, state memory.

Parameters of a multi-layer model are stored by the runner as one flat row per seed, an
``(S, d)`` array, with the layers' matrices :math:`W_1, \dots, W_L`
(:math:`W_l \in \mathbb R^{m_l\times n_l}`) flattened row-major and concatenated in
order, :math:`d = \sum_l m_l n_l`; ``shapes = [(m_1, n_1), ..., (m_L, n_L)]`` describes
the layout and the **last** entry is the output layer.  A single matrix (``m``, ``n``)
is the one-layer case ``shapes = [(m, n)]``.

Orientation: the lab's (m, n) is torch's (out, in)
--------------------------------------------------
Every matrix problem of the lab acts with :math:`W` from the left on the input:
``matrix_regression`` fits :math:`y = W x` (:math:`x\in\mathbb R^n`, :math:`y\in\mathbb R^m`),
``deep_linear_regression`` has layers :math:`W_l \in \mathbb R^{d_l\times d_{l-1}}`
(``(out, in)``), and ``matrix_quadratic`` :math:`\tfrac12\operatorname{tr}(E^\top L E)` has
its curvature :math:`L` on the output (row) side.  So **m = out, n = in**, exactly the shape
of a torch ``nn.Linear`` weight, and torch's ``dim=1`` is the lab's column index :math:`j`.

SCALE (registry ``"scale"``) -- the official rule [V]
------------------------------------------------------
The official code (repository ``OptimAI-Lab/Minimalist_LLM_Pretraining``, file
``mem_eff_pt/pt_scale/scale_optimizer.py``) computes, for a weight of shape
``(out, in)``, ``var = mean(g**2, dim=1, keepdim=True)``, ``s = sqrt(var).clamp_min(1e-8)``,
``u = g / s``: **each output row is divided by its RMS over the inputs**.  In the lab's
convention

.. math::
    \mathcal R(D)_{i,:} = \frac{D_{i,:}}{\max\big(\sqrt{\tfrac1{n}\sum_{j} D_{ij}^2},\ 10^{-8}\big)}
    = \sqrt n\,\frac{D_{i,:}}{\|D_{i,:}\|_2}\quad(\text{non-zero rows}),

and the step is

.. math::
    M_t = \beta M_{t-1} + (1-\beta) G_{L,t}, \qquad M_{-1} = 0, \qquad
    W_{l,t+1} = (1-\eta_t\lambda) W_{l,t} - \eta_t\, \mathcal R(D_{l,t}), \qquad
    D_{l,t} = \begin{cases} M_t & l = L \\ G_{l,t} & l < L \end{cases}

with EMA momentum ``lerp_(g, 1 - beta)``, :math:`\beta = 0.9`, on the output layer only
(``lm_head``, the official "secondary" parameters) [V], and weight decay :math:`\lambda`
(official default 0).  Every row of the update has Euclidean norm :math:`\sqrt n`:
:math:`-\eta\,\mathcal R(G)/\sqrt n` is the steepest-descent step for the
:math:`\|\cdot\|_{2\to\infty}` norm (largest row norm), i.e. the :math:`\|\cdot\|_{1\to 2}`
steepest descent of :math:`W^\top` (tested).  The only state is :math:`M` (the output
layer's size); with ``momentum = 0`` there is none.

The name "column-normalized" is the paper's: a column of the (in, out) matrix
:math:`W^\top` is a row of the torch weight; what is normalized is fixed by the code above.

The **transposed variant** (``axis="column"``, e.g. ``make("scale", ..., axis="column")``)
normalizes each column :math:`D_{:,j}` over the outputs -- torch ``dim=0``, what the
official code does only for token embeddings, which are stored ``(vocab, dim)``.  It was
the lab's default before issue 11 (with :math:`D_{:,j}/\|D_{:,j}\|_2`, ``norm="l2"``).

Not reproduced (documented limits): 1-D parameters (biases, gains), which the official
code hands to AdamW, are not handled -- every layer must be a matrix; there is no
embedding layer.  ``norm="l2"``: :math:`D/(\|D\|_2+\epsilon)` with :math:`0/0 := 0`
(scale-free; :math:`\mathcal R = \sqrt n\cdot` this when :math:`\epsilon` is negligible).

Per-layer wrapper (registry ``"layerwise"``)
--------------------------------------------
Applies any registered optimizer (``inner = {"name": "muon", ...}``; ``"m"``, ``"n"``
are filled in per layer when the inner factory takes them) to each layer of a flat
multi-layer parameter independently, with one step size ``lr``.  The inner states are
kept in one flat dict under the keys ``"<layer>:<key>"`` (seed axis first), so the
runner's divergence masking and :func:`state_memory` see every array.

State memory
------------
:func:`state_memory` counts the bytes of every array a state dict holds except the
iterate ``"w"`` (``nbytes`` of numpy arrays, ``numel * element_size`` of torch
tensors) and divides by the number of parameters, so Adam in float64 reports 16 bytes
per parameter, SGD 0, SCALE :math:`8\, m_L n_L / d` with momentum.  It measures what
``init`` and ``step`` actually allocate (:func:`optimizer_state_memory` takes steps).

References
----------
.. [1] A. Glentis, J. Li, A. Han, M. Hong. "A Minimalist Optimizer Design for LLM
   Pretraining" (SCALE: Stochastic Column-normAlized Last-layer momEntum).
   arXiv:2506.16659, 2025; ICML 2026 as "Memory-Efficient LLM Pretraining via Minimalist
   Optimizer Design".
.. [2] Official code: ``OptimAI-Lab/Minimalist_LLM_Pretraining``,
   ``mem_eff_pt/pt_scale/scale_optimizer.py`` (class ``SCALE``).
.. [3] K. Jordan et al. "Muon: An optimizer for hidden layers in neural networks." 2024.
.. [4] J. Bernstein, L. Newhouse. "Old Optimizer, New Norm: An Anthology."
   arXiv:2409.20325, 2024 (steepest descent under operator norms).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence

import numpy as np

from ..backends import namespace
from ..schedules import make_schedule
from ..validation import check_dim, check_momentum, check_positive
from . import REGISTRY, register
from .base import Optimizer

AXES = ("row", "column")

__all__ = [
    "AXES",
    "check_shapes",
    "layer_slices",
    "layerwise",
    "NORMS",
    "normalize",
    "optimizer_state_memory",
    "scale",
    "scale_row",
    "state_memory",
]


# -- layout -------------------------------------------------------------------------------


def check_shapes(shapes=None, m=None, n=None) -> tuple[tuple[int, int], ...]:
    """Validate a layer layout: ``shapes`` (list of ``(m_l, n_l)``) or a single ``m, n``.

    Raises ``ValueError`` naming the offending entry for anything that is not a non-empty
    list of pairs of positive integers (e.g. a 1-D or 3-D "layer").
    """
    if shapes is None:
        if m is None or n is None:
            raise ValueError(f"give the layer shapes (shapes=[(m1, n1), ...]) or m and n, got "
                             f"shapes=None, m={m!r}, n={n!r}")
        return ((check_dim("m", m), check_dim("n", n)),)
    if m is not None or n is not None:
        raise ValueError(f"give either shapes or (m, n), not both: shapes={shapes!r}, m={m!r}, n={n!r}")
    if isinstance(shapes, (str, bytes)) or not isinstance(shapes, Sequence) or len(shapes) == 0:
        raise ValueError(f"shapes must be a non-empty list of (m, n) pairs, got {shapes!r}")
    out = []
    for i, s in enumerate(shapes):
        if isinstance(s, (str, bytes)) or not isinstance(s, Sequence) or len(s) != 2:
            raise ValueError(f"layer {i} must be a matrix shape (m, n), got {s!r} "
                             f"(1-D and higher-order parameters are not supported)")
        out.append((check_dim(f"layer {i} rows", s[0]), check_dim(f"layer {i} columns", s[1])))
    return tuple(out)


def layer_slices(shapes) -> list[tuple[int, int, int, int]]:
    """``(start, stop, m, n)`` of each layer in the flat parameter (row-major, concatenated)."""
    out, k = [], 0
    for m, n in shapes:
        out.append((k, k + m * n, m, n))
        k += m * n
    return out


def _check_flat(name, w0, shapes):
    d = sum(m * n for m, n in shapes)
    if w0.ndim != 2 or w0.shape[-1] != d:
        raise ValueError(
            f"{name}: the layer shapes {list(shapes)} need iterates of shape (S, {d}) "
            f"(d = sum of m*n), got {tuple(w0.shape)}"
        )


# -- normalization ------------------------------------------------------------------------
NORMS = ("rms", "l2")


def normalize(D, axis: str = "row", eps: float = 1e-8, norm: str = "rms"):
    r"""Row- (or column-) normalize a batch of matrices ``D`` of shape ``(..., m, n)``.

    ``norm="rms"`` (the official rule, ``scale_optimizer.py``): divide by the root mean
    square, clamped below at ``eps``,

    .. math::
        \mathcal R(D)_{i,:} = \frac{D_{i,:}}{\max\big(\sqrt{\tfrac1n\sum_j D_{ij}^2},\ \epsilon\big)},
        \qquad
        \mathcal C(D)_{:,j} = \frac{D_{:,j}}{\max\big(\sqrt{\tfrac1m\sum_i D_{ij}^2},\ \epsilon\big)} ;

    ``norm="l2"`` (the lab's earlier definition): :math:`D_{i,:}/(\|D_{i,:}\|_2+\epsilon)`
    (resp. columns), with :math:`0/0 := 0` when :math:`\epsilon = 0`.

    ``axis="row"`` reduces over the last axis (torch ``dim=1`` of an ``(out, in)`` weight);
    ``axis="column"`` over the second to last (``dim=0``).
    """
    if axis not in AXES:
        raise ValueError(f"unknown normalization axis {axis!r}; available: {', '.join(AXES)}")
    if norm not in NORMS:
        raise ValueError(f"unknown normalization {norm!r}; available: {', '.join(NORMS)}")
    xp = namespace(D)
    red = -2 if axis == "column" else -1
    if norm == "rms":
        rms = xp.sqrt(xp.mean(D * D, axis=red, keepdims=True))
        return D / xp.maximum(rms, xp.full_like(rms, eps)) if eps > 0 else \
            D / xp.where(rms > 0, rms, xp.ones_like(rms))
    nrm = xp.sqrt(xp.sum(D * D, axis=red, keepdims=True))
    den = nrm + eps
    if eps == 0:
        den = xp.where(den > 0, den, xp.ones_like(den))
    return D / den


# -- SCALE --------------------------------------------------------------------------------
def _schedule(lr, T):
    sched = make_schedule(lr, T)
    for v in sched.values:
        if not v > 0:
            raise ValueError(f"learning rate must be > 0, got {v!r}")
    return sched


@register("scale")
def scale(lr, shapes=None, m=None, n=None, momentum: float = 0.9, axis: str = "row",
          eps: float = 1e-8, T=None, norm: str = "rms", weight_decay: float = 0.0) -> Optimizer:
    r"""SCALE as the official code [V]: row-RMS-normalized SGD, EMA momentum on the output layer only.

    Parameters
    ----------
    lr : float or schedule spec
        :math:`\eta` (> 0), or a schedule spec.
    shapes : list of (m, n), optional
        Layer layout of the flat parameter (last entry = output layer); each layer is
        torch's ``(out, in)``.
    m, n : int, optional
        A single matrix parameter instead of ``shapes`` (then it is the output layer).
    momentum : float in [0, 1)
        :math:`\beta` of the output layer's EMA momentum (0.9 [V]); 0: no state at all.
    axis : {"row", "column"}
        ``"row"`` (official): each output row over the inputs, torch ``dim=1``;
        ``"column"``: the transposed variant (torch ``dim=0``).
    eps : float >= 0
        ``norm="rms"``: the clamp of the RMS (1e-8 [V]); ``norm="l2"``: added to the norm.
    norm : {"rms", "l2"}
        ``"rms"`` (official) or the unit-norm ``"l2"`` of the lab's earlier definition.
    weight_decay : float >= 0
        Decoupled, :math:`W \leftarrow (1-\eta\lambda)W` before the step (official default 0).
    T : int, optional
        Horizon (for schedule specs).

    Returns
    -------
    Optimizer
        State ``{"w"}`` plus ``{"m_last"}`` (shape ``(S, m_L n_L)``) when ``momentum > 0``.

    References
    ----------
    .. [1] A. Glentis, J. Li, A. Han, M. Hong. arXiv:2506.16659, 2025.
    .. [2] ``OptimAI-Lab/Minimalist_LLM_Pretraining``, ``mem_eff_pt/pt_scale/scale_optimizer.py``.
    """
    layers = check_shapes(shapes, m, n)
    beta = check_momentum("momentum", momentum)
    if axis not in AXES:
        raise ValueError(f"unknown normalization axis {axis!r}; available: {', '.join(AXES)}")
    if norm not in NORMS:
        raise ValueError(f"unknown normalization {norm!r}; available: {', '.join(NORMS)}")
    eps = check_positive("eps", eps, allow_zero=True)
    wd = check_positive("weight_decay", weight_decay, allow_zero=True)
    sched = _schedule(lr, T)
    slices = layer_slices(layers)
    a_last = slices[-1][0]

    def init(w0):
        _check_flat("scale", w0, layers)
        st = {"w": w0}
        if beta:
            st["m_last"] = w0[:, a_last:] * 0
        return st

    def step(state, grad, t):
        xp = namespace(grad)
        S = grad.shape[0]
        new = {}
        parts = []
        for i, (a, b, mi, ni) in enumerate(slices):
            g = grad[:, a:b]
            if i == len(slices) - 1 and beta:
                g = beta * state["m_last"] + (1 - beta) * g
                new["m_last"] = g
            U = normalize(xp.reshape(g, (S, mi, ni)), axis, eps, norm)
            parts.append(xp.reshape(U, (S, mi * ni)))
        upd = parts[0] if len(parts) == 1 else xp.concat(parts, axis=-1)
        lr_t = sched(t)
        w = state["w"] * (1 - lr_t * wd) if wd else state["w"]
        new["w"] = w - lr_t * upd
        return new

    return Optimizer("scale", init, step,
                     {"lr": sched.describe(), "shapes": [list(s) for s in layers],
                      "momentum": beta, "axis": axis, "eps": eps, "norm": norm,
                      "weight_decay": wd})


@register("scale_row")
def scale_row(lr, shapes=None, m=None, n=None, momentum: float = 0.9, eps: float = 1e-8,
              T=None, norm: str = "rms") -> Optimizer:
    r"""SCALE with rows normalized, :math:`\mathcal R(D)` (the official orientation: the same as ``scale``)."""
    from dataclasses import replace

    return replace(scale(lr, shapes, m, n, momentum, "row", eps, T, norm), name="scale_row")


# -- per-layer wrapper --------------------------------------------------------------------
@register("layerwise")
def layerwise(lr, shapes, inner, T=None) -> Optimizer:
    r"""Apply a registered matrix optimizer layer by layer on a flat multi-layer parameter.

    Parameters
    ----------
    lr : float or schedule spec
        Step size passed to every layer's inner optimizer.
    shapes : list of (m, n)
        Layer layout (see the module docstring).
    inner : dict or str
        ``{"name": "muon", **params}`` (or just the name): the inner optimizer; ``m`` and
        ``n`` are set per layer when its factory takes them.
    T : int, optional
        Horizon, passed on.

    Returns
    -------
    Optimizer
        State ``{"w", "<l>:<key>" ...}`` (the inner states, flattened into one dict).
        ``query`` concatenates the inner queries (extrapolating methods work);
        ``oracle`` is the inner one.
    """
    layers = check_shapes(shapes)
    spec = {"name": inner} if isinstance(inner, str) else dict(inner or {})
    if "name" not in spec:
        raise ValueError(f"inner must name a registered optimizer, got {inner!r}")
    name = spec.pop("name")
    if name not in REGISTRY:
        raise ValueError(f"unknown inner optimizer {name!r}; available: {', '.join(sorted(REGISTRY))}")
    if name == "layerwise":
        raise ValueError("inner optimizer of 'layerwise' cannot be 'layerwise'")
    for k in ("lr", "m", "n", "shapes", "T"):
        if k in spec:
            raise ValueError(f"inner spec must not set {k!r} (set per layer by layerwise), got {spec!r}")
    from . import make

    params = inspect.signature(REGISTRY[name]).parameters
    slices = layer_slices(layers)
    opts = []
    for _, _, mi, ni in slices:
        kw = dict(spec)
        if "m" in params and "n" in params:
            kw.update(m=mi, n=ni)
        elif "shapes" in params:
            kw.update(shapes=[(mi, ni)])
        opts.append(make(name, T=T, lr=lr, **kw))
    oracles = {o.oracle for o in opts}

    def _sub(state, i):
        a, b = slices[i][:2]
        pre = f"{i}:"
        st = {k[len(pre):]: v for k, v in state.items() if k.startswith(pre)}
        st["w"] = state["w"][:, a:b]
        return st

    def _cat(xp, parts):
        return parts[0] if len(parts) == 1 else xp.concat(parts, axis=-1)

    def init(w0):
        _check_flat("layerwise", w0, layers)
        xp = namespace(w0)
        st, ws = {}, []
        for i, ((a, b, _, _), o) in enumerate(zip(slices, opts, strict=True)):
            sub = o.init(w0[:, a:b])
            ws.append(sub.pop("w"))
            st.update({f"{i}:{k}": v for k, v in sub.items()})
        st["w"] = _cat(xp, ws)
        return st

    def step(state, grad, t):
        xp = namespace(grad)
        new, ws = {}, []
        for i, ((a, b, _, _), o) in enumerate(zip(slices, opts, strict=True)):
            sub = o.step(_sub(state, i), grad[:, a:b], t)
            ws.append(sub.pop("w"))
            new.update({f"{i}:{k}": v for k, v in sub.items()})
        new["w"] = _cat(xp, ws)
        return new

    def query(state):
        return _cat(namespace(state["w"]), [o.query(_sub(state, i)) for i, o in enumerate(opts)])

    return Optimizer(f"layerwise_{name}", init, step,
                     {"lr": opts[0].hyperparams.get("lr", lr), "inner": {"name": name, **spec},
                      "shapes": [list(s) for s in layers]},
                     oracle=oracles.pop() if len(oracles) == 1 else "stochastic", query=query)


# -- memory accounting --------------------------------------------------------------------
def _nbytes(x) -> int:
    if isinstance(x, np.ndarray):
        return int(x.nbytes)
    if hasattr(x, "element_size") and hasattr(x, "numel"):  # torch tensor
        return int(x.element_size() * x.numel())
    if isinstance(x, dict):
        return sum(_nbytes(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return sum(_nbytes(v) for v in x)
    return int(np.asarray(x).nbytes)


def state_memory(state: dict, exclude: Sequence[str] = ("w",)) -> dict:
    r"""Bytes of optimizer state held by ``state`` (every entry but ``exclude``).

    Parameters
    ----------
    state : dict
        An optimizer state (seed axis first); ``state["w"]`` gives the parameter count.
    exclude : sequence of str
        Keys that are not optimizer state (the iterate).

    Returns
    -------
    dict
        ``bytes`` (all seeds), ``per_seed``, ``params`` (parameters per seed),
        ``bytes_per_param`` (:math:`\text{bytes} / (S d)`), ``arrays`` (bytes per key).
    """
    w = state["w"]
    S, d = int(w.shape[0]), int(math.prod(w.shape[1:]))
    arrays = {k: _nbytes(v) for k, v in state.items() if k not in exclude}
    total = sum(arrays.values())
    return {"bytes": total, "per_seed": total / S, "params": d,
            "bytes_per_param": total / (S * d), "arrays": arrays}


def optimizer_state_memory(optimizer: Optimizer, w0, steps: int = 2, seed: int = 0) -> dict:
    """:func:`state_memory` of ``optimizer`` after ``init(w0)`` and ``steps`` steps (max over them).

    The gradients are a fixed standard-normal draw (``seed``) in ``w0``'s namespace and
    dtype, so lazily allocated state is counted too.
    """
    xp = namespace(w0)
    rng = np.random.default_rng(seed)
    st = optimizer.init(w0)
    best = state_memory(st)
    for t in range(int(steps)):
        g = rng.standard_normal(tuple(w0.shape))
        g = xp.asarray(g, dtype=w0.dtype, device=getattr(w0, "device", None))
        st = optimizer.step(st, g, t)
        mem = state_memory(st)
        if mem["bytes"] > best["bytes"]:
            best = mem
    return best
