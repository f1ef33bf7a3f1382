r"""Adaptive methods: diagonal AdaGrad, AdaGrad-norm, and the baselines SignSGD, Adam, RMSprop.

All arrays carry the seed axis first (``(S, d)``); every ``step`` is pure, and every
method has a ``step_inplace`` (buffer donation, see :mod:`theory_lab.optimizers.base`).

Diagonal AdaGrad (Duchi, Hazan, Singer 2011; the form analysed by Liu, Pan, Zhang 2025)
--------------------------------------------------------------------------------------

.. math::
    v_t = v_{t-1} + g_t \odot g_t, \qquad
    w_{t+1} = \Pi_{\mathcal X}\Bigl(w_t - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon}\Bigr),
    \qquad v_{-1} = v_{\text{init}} \mathbf 1 .

*Epsilon convention.*  :math:`\epsilon` is added to :math:`\sqrt{v_t}` (outside the square
root), exactly as ``torch.optim.Adagrad`` does (``std = state_sum.sqrt().add_(eps)``), so
``adagrad(lr, eps)`` with ``initial_accumulator_value=0`` and no decay reproduces
``torch.optim.Adagrad(lr=lr, eps=eps)`` (tested to 1e-10 in float64).  The default is
:math:`\epsilon = 0`, which the convex theorem allows; then a coordinate with
:math:`v_{t,i} = 0` -- possible only if every gradient so far was exactly 0 there -- gets
the update :math:`0/0 := 0` (the denominator is replaced by 1 where it is 0).

*Projection.*  With ``radius`` :math:`R` the iterate is projected onto the
:math:`\ell_\infty` ball :math:`\mathcal X = \{w : \|w - c\|_\infty \le R\}` around the
reference point :math:`c` (``center``; default: the initial point :math:`w_0`), as the
convex theorem assumes.  For a box and a *diagonal* preconditioner the projection in the
:math:`\|\cdot\|_{\operatorname{diag}(\sqrt{v_t})}` norm that the analysis uses is the same
as coordinate-wise clipping, which is what is implemented.

AdaGrad-norm (Ward, Wu, Bottou 2019; Streeter and McMahan 2010)
---------------------------------------------------------------

.. math::
    b_t^2 = b_{t-1}^2 + \|g_t\|_2^2, \qquad
    w_{t+1} = \Pi_{\mathcal B}\Bigl(w_t - \eta\, \frac{g_t}{b_t + \epsilon}\Bigr),

one scalar step size per seed, same :math:`\epsilon` convention; optional projection onto
the :math:`\ell_2` ball :math:`\mathcal B` of radius ``radius`` around ``center``.  In
dimension 1 it is diagonal AdaGrad exactly (tested).

Baselines (torch's conventions, so the torch optimizers are references)
----------------------------------------------------------------------
* SignSGD: :math:`w_{t+1} = w_t - \eta \operatorname{sign}(g_t)`.
* RMSprop (``torch.optim.RMSprop``, no momentum, not centered):
  :math:`s_t = \alpha s_{t-1} + (1-\alpha) g_t^2`, :math:`w_{t+1} = w_t - \eta g_t / (\sqrt{s_t} + \epsilon)`.
* Adam (``torch.optim.Adam``): :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`,
  :math:`s_t = \beta_2 s_{t-1} + (1-\beta_2) g_t^2`,
  :math:`w_{t+1} = w_t - \frac{\eta}{1-\beta_1^{t+1}} \, m_t / (\sqrt{s_t}/\sqrt{1-\beta_2^{t+1}} + \epsilon)`.

Fast in-place AdaGrad step
--------------------------
The update is memory bound: per coordinate it reads :math:`w, v, g` and writes
:math:`w, v` (five words).  ``torch.optim.Adagrad`` makes four passes and allocates a
:math:`d`-vector per step (``addcmul_``, ``sqrt``, ``add_``, ``addcdiv_``).
:func:`adagrad_update_` walks the arrays in cache-sized chunks (seven ufuncs with
``out=`` into a reused scratch chunk, the machinery of :mod:`theory_lab.kernels`,
threaded on long vectors), so each array crosses the memory bus once.  Its arithmetic is
the pure step's, in the same order, so on numpy it is bitwise equal to ``step``.

References
----------
.. [1] Y. Liu, R. Pan, T. Zhang. "AdaGrad under Anisotropic Smoothness." ICLR 2025.
   arXiv:2406.15244.
.. [2] J. Duchi, E. Hazan, Y. Singer. "Adaptive Subgradient Methods for Online Learning and
   Stochastic Optimization." JMLR 12, 2011.
.. [3] R. Ward, X. Wu, L. Bottou. "AdaGrad stepsizes: sharp convergence over nonconvex
   landscapes." ICML 2019.
.. [4] J. Bernstein, Y.-X. Wang, K. Azizzadenesheli, A. Anandkumar. "signSGD: Compressed
   Optimisation for Non-Convex Problems." ICML 2018.
.. [5] D. P. Kingma, J. Ba. "Adam: A Method for Stochastic Optimization." ICLR 2015.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from .. import kernels
from ..backends import namespace
from ..validation import check_momentum, check_positive
from . import register
from .base import Optimizer


def _center_box(w0, center, radius, xp):
    """Lower and upper corners of the l_inf ball around ``center`` (default ``w0``)."""
    c = w0 if center is None else w0 * 0 + center
    return c - radius, c + radius


def _safe_denominator(xp, denom):
    """``denom`` with exact zeros replaced by 1 (``0/0 := 0`` for eps = 0)."""
    return xp.where(denom > 0, denom, xp.ones_like(denom))


# -- fused numpy kernel ---------------------------------------------------------------
def _adagrad_chunks(w, v, g, lr, eps, chunk):
    n = w.size
    buf = kernels._scratch(w.dtype, min(chunk, n))
    mul, add, sqrt, div, sub, maximum = (np.multiply, np.add, np.sqrt, np.divide,
                                         np.subtract, np.maximum)
    lr_, eps_ = np.array(lr, dtype=w.dtype), np.array(eps, dtype=w.dtype)
    # eps = 0: sqrt(v) is 0 or >= sqrt(smallest subnormal) >> tiny, so max(., tiny) changes
    # only exact zeros, where g = 0 too: the update is 0, as in the pure step's 0/1.
    tiny = np.array(np.finfo(w.dtype).tiny, dtype=w.dtype) if eps == 0 else None
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        wc, vc, gc = w[s:e], v[s:e], g[s:e]
        b = buf[: e - s]
        mul(gc, gc, out=b)
        add(vc, b, out=vc)
        sqrt(vc, out=b)
        if tiny is None:
            add(b, eps_, out=b)
        else:
            maximum(b, tiny, out=b)
        div(gc, b, out=b)
        mul(b, lr_, out=b)
        sub(wc, b, out=wc)


def adagrad_update_(w, v, g, lr: float, eps: float = 0.0, *, chunk: int | None = None):
    r"""In-place AdaGrad update :math:`v \leftarrow v + g^2`, :math:`w \leftarrow w - \eta g/(\sqrt v + \epsilon)`.

    Parameters
    ----------
    w, v : array (any shape), overwritten
        Iterate and accumulator of squared gradients.
    g : array, same shape; read only.
    lr, eps : float
        Step size :math:`\eta > 0` and :math:`\epsilon \ge 0` (added outside the square root).
    chunk : int, optional
        Elements per cache block (default :data:`theory_lab.kernels.CHUNK`).

    Returns
    -------
    (w, v) : the same arrays, updated.

    Notes
    -----
    Contiguous numpy arrays of one float dtype longer than one chunk take the
    cache-blocked (and, from :data:`theory_lab.kernels.PARALLEL_MIN` elements, threaded)
    path; other numpy inputs use whole-array ufuncs with ``out=``.  Both are bitwise equal
    to the pure step.  Torch tensors use ``v.addcmul_(g, g)`` and ``w.addcdiv_``, as
    ``torch.optim.Adagrad`` does: equal to rounding.

    References
    ----------
    .. [1] J. Duchi, E. Hazan, Y. Singer. JMLR 12, 2011.
    """
    lr, eps = float(lr), float(eps)
    nd = np.ndarray
    if not (isinstance(w, nd) and isinstance(v, nd) and isinstance(g, nd)):
        v.addcmul_(g, g)
        std = v.sqrt().add_(eps)
        if eps == 0:
            std = _safe_denominator(namespace(std), std)
        w.sub_(lr * (g / std))
        return w, v
    chunk = int(chunk or kernels.CHUNK)
    flat = kernels._flat_views(w, v, g) if w.size > chunk else None
    if flat is None:  # short (fits in cache anyway), strided or mixed dtypes
        if _same_layout(w, v, g):
            _adagrad_chunks(w.reshape(-1), v.reshape(-1), g.reshape(-1), lr, eps, max(w.size, 1))
        else:
            _adagrad_whole(w, v, g, lr, eps)
        return w, v
    kernels._parallel(_adagrad_chunks, flat[0].size, chunk, flat, lr, eps, chunk)
    return w, v


def _same_layout(w, v, g) -> bool:
    return (w.shape == v.shape == g.shape and w.dtype == v.dtype == g.dtype
            and w.flags.c_contiguous and v.flags.c_contiguous and g.flags.c_contiguous)


def _adagrad_whole(w, v, g, lr, eps):
    """Whole-array fallback (strided, broadcast or mixed-dtype inputs): one temporary."""
    np.add(v, g * g, out=v, casting="same_kind")
    denom = np.sqrt(v) + eps
    if eps == 0:
        denom = np.where(denom > 0, denom, 1.0)
    np.subtract(w, lr * (g / denom), out=w, casting="same_kind")


# -- factories -------------------------------------------------------------------------
def _check_lr(lr, method: str) -> float:
    if lr is None:
        raise ValueError(f"optimizer {method!r} needs a learning rate lr > 0, got lr=None")
    return check_positive(f"{method}: learning rate lr", lr)


def _lr_required(factory):
    """Declare ``lr`` required in the factory's signature (what the registry and callers see),
    while a call without it reaches the body and gets a ``ValueError`` naming the method
    instead of Python's ``TypeError``."""
    sig = inspect.signature(factory)
    params = [p.replace(default=inspect.Parameter.empty) if p.name == "lr" else p
              for p in sig.parameters.values()]
    factory.__signature__ = sig.replace(parameters=params)
    return factory


def _check_eps(eps) -> float:
    return check_positive("eps", eps, allow_zero=True)


@register("adagrad")
@_lr_required
def adagrad(lr=None, eps=0.0, radius=None, center=None, initial_accumulator_value=0.0,
            T=None, sqrt=True) -> Optimizer:
    r"""Diagonal AdaGrad (eps outside the sqrt, as torch), optional l_inf-ball projection.

    Parameters
    ----------
    lr : float > 0
        Step size :math:`\eta`.
    eps : float >= 0
        Added to :math:`\sqrt{v_t}`; default 0 (the convex theorem's setting; ``0/0 := 0``).
    radius : float > 0, optional
        :math:`R`: project onto :math:`\{w : \|w - c\|_\infty \le R\}`; ``None``: no projection.
    center : float, optional
        Reference point :math:`c` of the ball (a scalar, broadcast); ``None``: the initial
        point :math:`w_0` of each run.
    initial_accumulator_value : float >= 0
        :math:`v_{-1}`, as ``torch.optim.Adagrad``'s argument.
    T : ignored (horizon, passed by the registry).
    sqrt : bool, default True
        ``False`` divides by :math:`v_t` instead of :math:`\sqrt{v_t}`: not a method, a bug
        kept as a mutant for :mod:`theory_lab.claims.adagrad` (pure ``step`` only).

    Returns
    -------
    Optimizer
        State ``{"w", "v"}`` (plus ``"lo"``, ``"hi"`` corners of the box when projecting).

    Raises
    ------
    ValueError
        ``lr <= 0``, ``eps < 0``, ``radius <= 0`` or a negative accumulator, naming the value.

    References
    ----------
    .. [1] Y. Liu, R. Pan, T. Zhang. "AdaGrad under Anisotropic Smoothness." ICLR 2025.
    .. [2] J. Duchi, E. Hazan, Y. Singer. JMLR 12, 2011.
    """
    lr, eps = _check_lr(lr, "adagrad"), _check_eps(eps)
    acc0 = check_positive("initial_accumulator_value", initial_accumulator_value, allow_zero=True)
    proj = radius is not None
    if proj:
        radius = check_positive("radius", radius)

    def init(w0):
        xp = namespace(w0)
        state = {"w": w0, "v": xp.zeros_like(w0) + acc0}
        if proj:
            state["lo"], state["hi"] = _center_box(w0, center, radius, xp)
        return state

    def step(state, grad, t):
        xp = namespace(grad)
        v = state["v"] + grad * grad
        denom = (xp.sqrt(v) if sqrt else v) + eps
        if eps == 0:
            denom = _safe_denominator(xp, denom)
        w = state["w"] - lr * (grad / denom)
        out = dict(state)
        if proj:
            w = xp.minimum(xp.maximum(w, state["lo"]), state["hi"])
        out["w"], out["v"] = w, v
        return out

    def step_inplace(state, grad, t):
        w, v = adagrad_update_(state["w"], state["v"], grad, lr, eps)
        if proj:
            if isinstance(w, np.ndarray):
                np.clip(w, state["lo"], state["hi"], out=w)
            else:
                w.clamp_(min=state["lo"], max=state["hi"])
        out = dict(state)
        out["w"], out["v"] = w, v
        return out

    hp = {"lr": lr, "eps": eps, "radius": radius, "center": center,
          "initial_accumulator_value": acc0}
    if not sqrt:
        hp["sqrt"] = False
    return Optimizer("adagrad", init, step, hp, step_inplace=step_inplace if sqrt else None)


@register("adagrad_norm")
@_lr_required
def adagrad_norm(lr=None, eps=0.0, radius=None, b0=0.0, T=None) -> Optimizer:
    r"""AdaGrad-norm: one step size :math:`\eta / (b_t + \epsilon)` per seed, optional l2 projection.

    Parameters
    ----------
    lr : float > 0
    eps : float >= 0
        Added to :math:`b_t = \sqrt{b_{t-1}^2 + \|g_t\|^2}` (same convention as :func:`adagrad`).
    radius : float > 0, optional
        Project onto the :math:`\ell_2` ball of this radius around :math:`w_0`.
    b0 : float >= 0
        :math:`b_{-1}`.
    T : ignored.

    References
    ----------
    .. [1] R. Ward, X. Wu, L. Bottou. ICML 2019.
    .. [2] Y. Liu, R. Pan, T. Zhang. ICLR 2025 (the l2 comparison method).
    """
    lr, eps = _check_lr(lr, "adagrad_norm"), _check_eps(eps)
    b0 = check_positive("b0", b0, allow_zero=True)
    proj = radius is not None
    if proj:
        radius = check_positive("radius", radius)

    def init(w0):
        xp = namespace(w0)
        state = {"w": w0, "b2": xp.zeros_like(w0[:, :1]) + b0 * b0}
        if proj:
            state["c"] = w0 + 0
        return state

    def step(state, grad, t):
        xp = namespace(grad)
        b2 = state["b2"] + xp.sum(grad * grad, axis=-1, keepdims=True)
        denom = xp.sqrt(b2) + eps
        if eps == 0:
            denom = _safe_denominator(xp, denom)
        w = state["w"] - lr * (grad / denom)
        out = dict(state)
        if proj:
            diff = w - state["c"]
            nrm = xp.linalg.vector_norm(diff, axis=-1, keepdims=True)
            scale = xp.where(nrm > radius, radius / xp.where(nrm > 0, nrm, xp.ones_like(nrm)),
                             xp.ones_like(nrm))
            w = state["c"] + diff * scale
        out["w"], out["b2"] = w, b2
        return out

    return Optimizer("adagrad_norm", init, step,
                     {"lr": lr, "eps": eps, "radius": radius, "b0": b0}, step_inplace=step)


@register("signsgd")
@_lr_required
def signsgd(lr=None, T=None) -> Optimizer:
    r"""SignSGD :math:`w_{t+1} = w_t - \eta\,\operatorname{sign}(g_t)` (Bernstein et al. 2018).

    References
    ----------
    .. [1] J. Bernstein et al. "signSGD." ICML 2018.
    """
    lr = _check_lr(lr, "signsgd")

    def init(w0):
        return {"w": w0}

    def step(state, grad, t):
        return {"w": state["w"] - lr * namespace(grad).sign(grad)}

    return Optimizer("signsgd", init, step, {"lr": lr}, step_inplace=step)


@register("rmsprop")
@_lr_required
def rmsprop(lr=None, alpha=0.99, eps=1e-8, T=None) -> Optimizer:
    r"""RMSprop as ``torch.optim.RMSprop`` (no momentum, not centered): eps outside the sqrt.

    References
    ----------
    .. [1] T. Tieleman, G. Hinton. Lecture 6.5, COURSERA: Neural Networks for ML, 2012.
    """
    lr, eps = _check_lr(lr, "rmsprop"), _check_eps(eps)
    alpha = check_momentum("alpha", alpha)

    def init(w0):
        return {"w": w0, "s": namespace(w0).zeros_like(w0)}

    def step(state, grad, t):
        xp = namespace(grad)
        s = alpha * state["s"] + (1 - alpha) * (grad * grad)
        denom = xp.sqrt(s) + eps
        if eps == 0:
            denom = _safe_denominator(xp, denom)
        return {"w": state["w"] - lr * (grad / denom), "s": s}

    return Optimizer("rmsprop", init, step, {"lr": lr, "alpha": alpha, "eps": eps},
                     step_inplace=step)


@register("adam")
@_lr_required
def adam(lr=None, beta1=0.9, beta2=0.999, eps=1e-8, T=None) -> Optimizer:
    r"""Adam with torch's arithmetic (bias corrections folded as in ``torch.optim.Adam``).

    References
    ----------
    .. [1] D. P. Kingma, J. Ba. ICLR 2015.
    """
    lr, eps = _check_lr(lr, "adam"), _check_eps(eps)
    beta1, beta2 = check_momentum("beta1", beta1), check_momentum("beta2", beta2)

    def init(w0):
        xp = namespace(w0)
        return {"w": w0, "m": xp.zeros_like(w0), "s": xp.zeros_like(w0)}

    def step(state, grad, t):
        xp = namespace(grad)
        k = t + 1
        m = beta1 * state["m"] + (1 - beta1) * grad
        s = beta2 * state["s"] + (1 - beta2) * (grad * grad)
        bc1, bc2 = 1 - beta1**k, 1 - beta2**k
        denom = xp.sqrt(s) / math.sqrt(bc2) + eps
        if eps == 0:
            denom = _safe_denominator(xp, denom)
        return {"w": state["w"] - (lr / bc1) * (m / denom), "m": m, "s": s}

    return Optimizer("adam", init, step, {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps},
                     step_inplace=step)


__all__ = ["adagrad", "adagrad_norm", "adagrad_update_", "adam", "rmsprop", "signsgd"]
