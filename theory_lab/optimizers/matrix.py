r"""Matrix preconditioners: ASGO and its relatives (Shampoo, full-matrix AdaGrad, Muon, SignGD).

The parameter is a matrix :math:`W \in \mathbb R^{m\times n}`, stored by the runner as a
row-major flattened row of an ``(S, m n)`` array (``S`` seeds); every optimizer here takes
``m`` and ``n`` (configs may pass the strings ``"m"``, ``"n"``: the problem's constants)
and reshapes to ``(S, m, n)`` (a free view).  Matrix functions come from
:mod:`theory_lab.matrix_functions` and are batched over the seed axis.  Everything runs
unchanged on numpy and torch.

Methods (registry names)
------------------------
``asgo``  -- theory form [V] (An et al., Alg. 1):

.. math::
    V_t = V_{t-1} + G_t G_t^\top \ (m\times m),\qquad
    W_{t+1} = W_t - \eta\, (V_t + \epsilon I)^{-1/2} G_t ,\qquad V_0 = 0 .

Damping: ``eps > 0`` adds :math:`\epsilon I` before the root; ``eps = 0`` (default) uses
the pseudo-inverse root :math:`V_t^{+1/2}`, which is well defined on the update because
:math:`\operatorname{range} G_t \subseteq \operatorname{range} V_t` -- the form the
regret analysis uses (:math:`\sum_t \operatorname{tr}(G_t^\top V_t^{+1/2} G_t) \le
2 \operatorname{tr} V_T^{1/2}`).  ``side="right"`` preconditions with
:math:`G^\top G` instead (:math:`W \leftarrow W - \eta\, G (V+\epsilon I)^{-1/2}`), for
problems whose one-sided smoothness acts on the right (matrix regression :math:`Y = WX`).
``accumulate=False`` uses :math:`V_t = G_t G_t^\top`: the direction is then
:math:`(G G^\top)^{+1/2} G = U V^\top`, Muon's.

``asgo_practical`` -- the official implementation [V] (``optimizers/asgo.py`` of
``infinity-stars/ASGO``): momentum :math:`M = 0.9 M + 0.1 G`; :math:`P = 0.8 P + 0.2\, G G^\top`
and :math:`U = P^{-1/2} M` when :math:`m < n`, else (square included)
:math:`P = 0.8 P + 0.2\, G^\top G` and :math:`U = M P^{-1/2}`; :math:`P_0 = 0`; 10 Polar-Express
steps with damping 1e-10; :math:`U \leftarrow 0.2\sqrt{mn}\, U/\|U\|_F`; decoupled weight
decay 0.1; lr 0.01.

``dasgo`` -- the official diagonal variant [V] (``optimizers/dasgo.py``): one value per
column for any shape, :math:`p = 0.95 p + 0.05 \sum_i G_{i:}\odot G_{i:}` (sum over dim 0),
:math:`U = M / \sqrt{p + 10^{-8}}`, RMS 0.2 rescaling always, weight decay 0.1.

``one_sided_shampoo`` -- Shampoo's accumulators and roots with exponent 1/2 on the left and
none on the right: the same map as ``asgo`` computed by the Shampoo code path (the
reduction is tested).

``shampoo`` -- :math:`L_t = L_{t-1} + G G^\top`, :math:`R_t = R_{t-1} + G^\top G`,
:math:`W \leftarrow W - \eta\, L_t^{-1/4} G R_t^{-1/4}` (Gupta, Koren, Singer 2018), roots by
eigendecomposition with damping ``eps`` or the pseudo-inverse (``eps = 0``).
Documented limits: for a :math:`1\times n` parameter :math:`L_t = b_t^2 = \sum_s \|g_s\|^2`
is a scalar and the step is :math:`\eta\, b_t^{-1/2}\, g_t R_t^{-1/4}`; for a
:math:`1\times 1` parameter it is AdaGrad-norm, :math:`\eta\, g_t / b_t`.

``full_matrix_adagrad`` -- :math:`H_t = H_{t-1} + g g^\top` on :math:`\operatorname{vec} W`
(:math:`mn \times mn`), :math:`w \leftarrow w - \eta (H_t + \epsilon I)^{-1/2} g`; refuses
:math:`mn >` ``max_dim`` (default 1024) with a clear error.

``muon`` -- momentum :math:`M = \mu M + G`, Nesterov direction :math:`G + \mu M`,
orthogonalized by 5 Newton-Schulz quintic steps, scaled by :math:`\max(1, m/n)^{1/2}`.
``muon_svd`` -- the same with the exact polar factor by SVD (default: no momentum, the
variant of the associative-memory paper).

``signgd`` -- :math:`W \leftarrow W - \eta \operatorname{sign}(G)` (Adam with
:math:`\beta_1 = \beta_2 = 0`, :math:`\epsilon = 0`).

References
----------
.. [1] K. An, Y. Liu, R. Pan, Y. Ren, S. Ma, D. Goldfarb, T. Zhang. "ASGO: Adaptive
   Structured Gradient Optimization." NeurIPS 2025. arXiv:2503.20762.
.. [2] V. Gupta, T. Koren, Y. Singer. "Shampoo: Preconditioned Stochastic Tensor
   Optimization." ICML 2018. arXiv:1802.09568.
.. [3] J. Duchi, E. Hazan, Y. Singer. "Adaptive Subgradient Methods for Online Learning and
   Stochastic Optimization." JMLR 12, 2011.
.. [4] K. Jordan et al. "Muon: An optimizer for hidden layers in neural networks." 2024.
.. [5] N. Amsel, D. Persson, C. Musco, R. M. Gower. "The Polar Express: Optimal Matrix Sign
   Methods and Their Application to the Muon Algorithm." arXiv:2505.16932, 2025.
.. [6] J. Bernstein, Y.-X. Wang, K. Azizzadenesheli, A. Anandkumar. "signSGD: Compressed
   Optimisation for Non-Convex Problems." ICML 2018. arXiv:1802.04434.
"""

from __future__ import annotations

import math

from ..backends import namespace
from ..matrix_functions import (
    ROOT_METHODS,
    inverse_root,
    inverse_sqrt_polar_express,
    matrix_power_eigh,
    orthogonalize_newton_schulz,
    orthogonalize_svd,
)
from ..schedules import make_schedule
from ..validation import check_dim, check_momentum, check_positive
from . import register
from .base import Optimizer

#: Largest vec(W) dimension full-matrix AdaGrad accepts by default (a d x d matrix per seed).
FULL_MATRIX_MAX_DIM = 1024


# -- helpers --------------------------------------------------------------------------------
def _dims(m, n) -> tuple[int, int]:
    return check_dim("m (rows of the matrix parameter)", m), check_dim("n (columns of the matrix parameter)", n)


def _eps(v) -> float:
    return check_positive("eps (damping)", v, allow_zero=True)


def _schedule(lr, T):
    sched = make_schedule(lr, T)
    for v in sched.values:
        if not v > 0:
            raise ValueError(f"learning rate must be > 0, got {v!r}")
    return sched


def _check_matrix(name, w0, m, n):
    if w0.ndim != 2 or w0.shape[-1] != m * n:
        raise ValueError(
            f"{name} needs a matrix parameter of shape (m, n) = ({m}, {n}) flattened to d = m*n = "
            f"{m * n} per seed, got an iterate of shape {tuple(w0.shape)}; pass m and n of the "
            "problem (e.g. m='m', n='n' in a config)"
        )


def _mat(xp, w, m, n):
    return xp.reshape(w, (w.shape[0], m, n))


def _flat(xp, W):
    return xp.reshape(W, (W.shape[0], W.shape[-2] * W.shape[-1]))


def _outer(xp, G, side):
    Gt = xp.matrix_transpose(G)
    return G @ Gt if side == "left" else Gt @ G


def _apply(P, G, side):
    return P @ G if side == "left" else G @ P


def _side(side):
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return side


def _root_method(root):
    if root not in ROOT_METHODS:
        raise ValueError(f"unknown root method {root!r}; available: {', '.join(ROOT_METHODS)}")
    return root


def _zeros_square(xp, w0, k):
    return xp.zeros((w0.shape[0], k, k), dtype=w0.dtype, device=getattr(w0, "device", None))


# -- ASGO (theory form) --------------------------------------------------------------------
@register("asgo")
def asgo(lr, m, n, eps: float = 0.0, T=None, side: str = "left", root: str = "eigh",
         accumulate: bool = True, root_order: int = 2) -> Optimizer:
    r"""ASGO, theory form: :math:`V_t = V_{t-1} + G_t G_t^\top`, :math:`W \leftarrow W - \eta (V_t+\epsilon I)^{-1/2} G_t`.

    Parameters
    ----------
    lr : float or schedule spec
        :math:`\eta`; the regret bound's choice is :math:`D_{op}/\sqrt 2`.
    m, n : int
        Shape of the matrix parameter.
    eps : float >= 0
        Damping; 0 uses the pseudo-inverse root (see the module docstring).
    side : {"left", "right"}
        Precondition with :math:`G G^\top` (m x m) or :math:`G^\top G` (n x n).
    root : {"eigh", "newton_schulz", "polar_express"}
        How :math:`V^{-1/2}` is computed (eigh is exact; the iterations need ``eps > 0``
        or a non-singular :math:`V`).
    accumulate : bool
        ``False``: :math:`V_t = G_t G_t^\top` (no memory), the direction of Muon.
    root_order : int
        :math:`p` in :math:`V_t^{-1/p}`; the method is :math:`p = 2`.  ``root_order=1``
        (:math:`V^{-1}`, the missing square root) exists only as a named mutant for the
        claims of :mod:`theory_lab.claims.asgo`.
    """
    m, n = _dims(m, n)
    eps, side, root = _eps(eps), _side(side), _root_method(root)
    p_root = int(root_order)
    if p_root not in (1, 2):
        raise ValueError(f"root_order must be 2 (ASGO) or 1 (the V^-1 mutant), got {root_order!r}")
    sched = _schedule(lr, T)
    k = m if side == "left" else n

    def init(w0):
        _check_matrix("asgo", w0, m, n)
        return {"w": w0, "V": _zeros_square(namespace(w0), w0, k)}

    def step(state, grad, t):
        xp = namespace(grad)
        G = _mat(xp, grad, m, n)
        GG = _outer(xp, G, side)
        V = state["V"] + GG if accumulate else GG
        P = inverse_root(V, p_root, method="eigh" if p_root == 1 else root, eps=eps)
        U = _apply(P, G, side)
        return {"w": state["w"] - sched(t) * _flat(xp, U), "V": V}

    return Optimizer("asgo", init, step, {"lr": sched.describe(), "m": m, "n": n, "eps": eps,
                                          "side": side, "root": root, "accumulate": accumulate,
                                          "root_order": p_root})


# -- ASGO (practical form) -----------------------------------------------------------------
def _practical_side(side, m, n):
    if side is None:
        return "left" if m < n else "right"          # official: grad.size(0) < grad.size(1)
    return _side(side)


def _rescale(xp, U, rms, m, n):
    nrm = xp.linalg.matrix_norm(U, ord="fro")[:, None, None]
    return U * (rms * math.sqrt(m * n)) / xp.where(nrm > 0, nrm, xp.ones_like(nrm))


@register("asgo_practical")
def asgo_practical(lr, m, n, beta1: float = 0.9, beta2: float = 0.8,
                   rms: float | None = 0.2, weight_decay: float = 0.1, root: str = "polar_express",
                   root_steps: int = 10, eps: float = 1e-10, side: str | None = None,
                   T=None) -> Optimizer:
    r"""ASGO, practical form, as the official code [V]: momentum, EMA of :math:`GG^\top`, RMS rescaling.

    Follows ``optimizers/asgo.py`` and ``optimizers/utils/matrix_decom.py`` of the
    repository ``infinity-stars/ASGO`` (defaults from ``LLMmodels/config/optimizer/asgo.yaml``):

    .. math::
        M \leftarrow \beta_1 M + (1-\beta_1) G,\qquad
        P \leftarrow \beta_2 P + (1-\beta_2)\, S(G),\qquad P_0 = 0,

    with :math:`S(G) = G G^\top` and :math:`U = P^{-1/2} M` when :math:`m < n`, else
    (:math:`m \ge n`, **square matrices included**) :math:`S(G) = G^\top G` and
    :math:`U = M P^{-1/2}`; then :math:`U \leftarrow U \cdot 0.2\sqrt{mn}/\|U\|_F` and
    :math:`W \leftarrow (1 - \eta\lambda) W - \eta U`.  :math:`P^{-1/2}` by 10 Polar-Express
    steps (:func:`theory_lab.matrix_functions.inverse_sqrt_polar_express`, damping
    :math:`\epsilon` in its normalization only, as in the official routine).

    Parameters
    ----------
    lr : float or schedule spec
        :math:`\eta` (official 0.01 [V]; required here, as for every optimizer of the registry).
    beta1 : float in [0, 1)
        Momentum :math:`M = \beta_1 M + (1-\beta_1) G` (0.9 [V]).
    beta2 : float in [0, 1)
        :math:`P = \beta_2 P + (1-\beta_2) S(G)` (0.8 [V]).
    rms : float or None
        Rescale the update to RMS ``rms`` (0.2 [V]); None: off (not official).
    weight_decay : float >= 0
        Decoupled, :math:`\lambda` (0.1 [V]).
    root : {"polar_express", "newton_schulz", "eigh"}
    root_steps : int
        Steps of the Polar-Express iteration (10 [V]).
    eps : float >= 0
        Damping (1e-10 [V]): inside the Polar-Express normalization; added to :math:`P`
        for ``newton_schulz``/``eigh`` (eigh with 0: pseudo-inverse).
    side : {None, "left", "right"}
        None: the official rule (left iff :math:`m < n`); an explicit side is a variant.

    Notes
    -----
    The official code replaces a non-finite root by the identity and divides by
    :math:`\|U\|_F` without a guard; here a zero :math:`U` stays zero (no division by 0).
    """
    m, n = _dims(m, n)
    beta1, beta2 = check_momentum("beta1", beta1), check_momentum("beta2", beta2)
    wd = check_positive("weight_decay", weight_decay, allow_zero=True)
    eps, root = _eps(eps), _root_method(root)
    if rms is not None:
        rms = check_positive("rms", rms)
    sched = _schedule(lr, T)
    side = _practical_side(side, m, n)
    k = m if side == "left" else n
    steps = int(root_steps)

    def inv_sqrt(P):
        if root == "polar_express":
            return inverse_sqrt_polar_express(P, steps=steps, eps=eps)
        return inverse_root(P, 2, method=root, eps=eps)

    def init(w0):
        _check_matrix("asgo_practical", w0, m, n)
        xp = namespace(w0)
        return {"w": w0, "M": w0 * 0, "P": _zeros_square(xp, w0, k)}

    def step(state, grad, t):
        xp = namespace(grad)
        G = _mat(xp, grad, m, n)
        Mom = beta1 * _mat(xp, state["M"], m, n) + (1 - beta1) * G
        P = beta2 * state["P"] + (1 - beta2) * _outer(xp, G, side)
        U = _apply(inv_sqrt(P), Mom, side)
        if rms is not None:
            U = _rescale(xp, U, rms, m, n)
        lr_t = sched(t)
        w = state["w"] - lr_t * _flat(xp, U)
        if wd:
            w = w - lr_t * wd * state["w"]
        return {"w": w, "M": _flat(xp, Mom), "P": P}

    return Optimizer("asgo_practical", init, step,
                     {"lr": sched.describe(), "m": m, "n": n, "beta1": beta1, "beta2": beta2,
                      "rms": rms, "weight_decay": wd, "root": root, "root_steps": steps,
                      "eps": eps, "side": side})


@register("dasgo")
def dasgo(lr, m, n, beta1: float = 0.9, beta2: float = 0.95, eps: float = 1e-8,
          rms: float | None = 0.2, weight_decay: float = 0.1, reduce_dim: int = 0,
          T=None) -> Optimizer:
    r"""DASGO, as the official code [V]: one preconditioner value per column, RMS rescaling.

    Follows ``optimizers/dasgo.py`` of ``infinity-stars/ASGO`` (defaults from
    ``LLMmodels/config/optimizer/dasgo.yaml``): for any shape,

    .. math::
        M \leftarrow \beta_1 M + (1-\beta_1) G,\qquad
        p_j \leftarrow \beta_2 p_j + (1-\beta_2) \sum_i G_{ij}^2 ,\qquad
        U_{ij} = M_{ij} / \sqrt{p_j + \epsilon},

    (the sum over dim 0 of the ``(m, n)`` gradient: :math:`p\in\mathbb R^n`, the diagonal
    of :math:`G^\top G`), then :math:`U \leftarrow U\cdot 0.2\sqrt{mn}/\|U\|_F` (always) and
    :math:`W \leftarrow (1-\eta\lambda) W - \eta U`.

    Parameters
    ----------
    lr : float or schedule spec
        (0.01 in the official config [V]).
    beta1, beta2 : float
        0.9 and 0.95 [V].
    eps : float
        1e-8 [V].
    rms : float or None
        0.2 [V]; None switches the rescaling off (not official).
    weight_decay : float
        0.1 [V].
    reduce_dim : {0, 1}
        0 (official): one value per column; 1: one per row (a named variant/mutant).
    """
    m, n = _dims(m, n)
    beta1, beta2 = check_momentum("beta1", beta1), check_momentum("beta2", beta2)
    eps = _eps(eps)
    wd = check_positive("weight_decay", weight_decay, allow_zero=True)
    if rms is not None:
        rms = check_positive("rms", rms)
    if reduce_dim not in (0, 1):
        raise ValueError(f"reduce_dim must be 0 (official: per column) or 1 (per row), got {reduce_dim!r}")
    sched = _schedule(lr, T)
    per_col = reduce_dim == 0

    def init(w0):
        _check_matrix("dasgo", w0, m, n)
        xp = namespace(w0)
        k = n if per_col else m
        return {"w": w0, "M": w0 * 0,
                "p": xp.zeros((w0.shape[0], k), dtype=w0.dtype, device=getattr(w0, "device", None))}

    def step(state, grad, t):
        xp = namespace(grad)
        G = _mat(xp, grad, m, n)
        Mom = beta1 * _mat(xp, state["M"], m, n) + (1 - beta1) * G
        p = beta2 * state["p"] + (1 - beta2) * xp.sum(G * G, axis=-2 if per_col else -1)
        d = 1.0 / xp.sqrt(p + eps)
        U = Mom * (d[:, None, :] if per_col else d[:, :, None])
        if rms is not None:
            U = _rescale(xp, U, rms, m, n)
        lr_t = sched(t)
        w = state["w"] - lr_t * _flat(xp, U)
        if wd:
            w = w - lr_t * wd * state["w"]
        return {"w": w, "M": _flat(xp, Mom), "p": p}

    return Optimizer("dasgo", init, step, {"lr": sched.describe(), "m": m, "n": n, "beta1": beta1,
                                           "beta2": beta2, "eps": eps, "rms": rms,
                                           "weight_decay": wd, "reduce_dim": reduce_dim})


# -- Shampoo family ------------------------------------------------------------------------
def _shampoo(name, lr, m, n, left_exp, right_exp, eps, T):
    m, n = _dims(m, n)
    eps = _eps(eps)
    sched = _schedule(lr, T)
    rtol = None if eps > 0 else 1e-12

    def init(w0):
        _check_matrix(name, w0, m, n)
        xp = namespace(w0)
        st = {"w": w0}
        if left_exp:
            st["L"] = _zeros_square(xp, w0, m)
        if right_exp:
            st["R"] = _zeros_square(xp, w0, n)
        return st

    def step(state, grad, t):
        xp = namespace(grad)
        G = _mat(xp, grad, m, n)
        new = {}
        U = G
        if left_exp:
            new["L"] = state["L"] + _outer(xp, G, "left")
            U = matrix_power_eigh(new["L"], -left_exp, eps=eps, rtol=rtol) @ U
        if right_exp:
            new["R"] = state["R"] + _outer(xp, G, "right")
            U = U @ matrix_power_eigh(new["R"], -right_exp, eps=eps, rtol=rtol)
        new["w"] = state["w"] - sched(t) * _flat(xp, U)
        return new

    return Optimizer(name, init, step, {"lr": sched.describe(), "m": m, "n": n, "eps": eps,
                                        "exponents": [left_exp, right_exp]})


@register("shampoo")
def shampoo(lr, m, n, eps: float = 0.0, T=None) -> Optimizer:
    r"""Shampoo: :math:`W \leftarrow W - \eta L_t^{-1/4} G R_t^{-1/4}` (eps = 0: pseudo-inverse roots)."""
    return _shampoo("shampoo", lr, m, n, 0.25, 0.25, eps, T)


@register("one_sided_shampoo")
def one_sided_shampoo(lr, m, n, eps: float = 0.0, T=None) -> Optimizer:
    r"""One-sided Shampoo: :math:`W \leftarrow W - \eta L_t^{-1/2} G` (equals ASGO's theory form)."""
    return _shampoo("one_sided_shampoo", lr, m, n, 0.5, 0.0, eps, T)


@register("full_matrix_adagrad")
def full_matrix_adagrad(lr, m=None, n=None, eps: float = 0.0, max_dim: int = FULL_MATRIX_MAX_DIM,
                        T=None) -> Optimizer:
    r"""Full-matrix AdaGrad on :math:`\operatorname{vec} W`: :math:`w \leftarrow w - \eta (H_t+\epsilon I)^{-1/2} g`.

    Stores a :math:`d\times d` matrix per seed (:math:`d = mn`); refuses :math:`d >`
    ``max_dim`` with a ``ValueError`` (at construction when ``m, n`` are given, else at
    ``init``).
    """
    eps = _eps(eps)
    max_dim = check_dim("max_dim", max_dim)
    sched = _schedule(lr, T)
    rtol = None if eps > 0 else 1e-12

    def check(d):
        if d > max_dim:
            raise ValueError(
                f"full_matrix_adagrad stores a d x d matrix per seed: d = {d} exceeds max_dim = "
                f"{max_dim} ({d * d:.3g} floats per seed); use asgo or shampoo, or pass a larger max_dim"
            )

    if m is not None or n is not None:
        m, n = _dims(m, n)
        check(m * n)

    def init(w0):
        if w0.ndim != 2:
            raise ValueError(f"full_matrix_adagrad needs iterates of shape (S, d), got {tuple(w0.shape)}")
        if m is not None:
            _check_matrix("full_matrix_adagrad", w0, m, n)
        check(w0.shape[-1])
        return {"w": w0, "H": _zeros_square(namespace(w0), w0, w0.shape[-1])}

    def step(state, grad, t):
        H = state["H"] + grad[:, :, None] * grad[:, None, :]
        u = (matrix_power_eigh(H, -0.5, eps=eps, rtol=rtol) @ grad[:, :, None])[:, :, 0]
        return {"w": state["w"] - sched(t) * u, "H": H}

    return Optimizer("full_matrix_adagrad", init, step,
                     {"lr": sched.describe(), "eps": eps, "max_dim": max_dim})


# -- Muon and SignGD -----------------------------------------------------------------------
def _muon(name, orth, lr, m, n, momentum, nesterov, scale, T):
    m, n = _dims(m, n)
    mu = check_momentum("momentum", momentum)
    sched = _schedule(lr, T)
    factor = math.sqrt(max(1.0, m / n)) if scale else 1.0

    def init(w0):
        _check_matrix(name, w0, m, n)
        return {"w": w0, "M": w0 * 0} if mu else {"w": w0}

    def step(state, grad, t):
        xp = namespace(grad)
        new = {}
        if mu:
            Mom = mu * state["M"] + grad
            new["M"] = Mom
            d = grad + mu * Mom if nesterov else Mom
        else:
            d = grad
        O = orth(_mat(xp, d, m, n))
        new["w"] = state["w"] - (sched(t) * factor) * _flat(xp, O)
        return new

    return Optimizer(name, init, step, {"lr": sched.describe(), "m": m, "n": n, "momentum": mu,
                                        "nesterov": bool(nesterov), "scale": factor})


@register("muon")
def muon(lr, m, n, momentum: float = 0.95, nesterov: bool = True, ns_steps: int = 5,
         scale: bool = True, T=None) -> Optimizer:
    r"""Muon: Newton-Schulz quintic (3.4445, -4.7750, 2.0315) on the (Nesterov) momentum, scale :math:`\max(1, m/n)^{1/2}`."""
    steps = int(ns_steps)
    return _muon("muon", lambda X: orthogonalize_newton_schulz(X, steps=steps), lr, m, n,
                 momentum, nesterov, scale, T)


@register("muon_svd")
def muon_svd(lr, m, n, momentum: float = 0.0, nesterov: bool = False, scale: bool = True,
             T=None) -> Optimizer:
    r"""Muon with the exact polar factor :math:`UV^\top` by SVD (default without momentum)."""
    return _muon("muon_svd", orthogonalize_svd, lr, m, n, momentum, nesterov, scale, T)


@register("signgd")
def signgd(lr, T=None) -> Optimizer:
    r"""SignGD: :math:`w \leftarrow w - \eta\, \operatorname{sign}(g)` (Adam with :math:`\beta_1=\beta_2=0`)."""
    sched = _schedule(lr, T)

    def init(w0):
        return {"w": w0}

    def step(state, grad, t):
        xp = namespace(grad)
        return {"w": state["w"] - sched(t) * xp.sign(grad)}

    return Optimizer("signgd", init, step, {"lr": sched.describe()})


__all__ = [
    "FULL_MATRIX_MAX_DIM",
    "asgo",
    "asgo_practical",
    "dasgo",
    "full_matrix_adagrad",
    "muon",
    "muon_svd",
    "one_sided_shampoo",
    "shampoo",
    "signgd",
]
