r"""Bounds for AdaGrad, AdaGrad-norm and SGD under anisotropic smoothness (Liu, Pan, Zhang, ICLR 2025).

Shapes **[V]** (the paper's abstract and reviews): for convex :math:`f` with smoothness
vector :math:`L` and noise vector :math:`\sigma` (mini-batch :math:`M`) -- plain anisotropic
smoothness, :math:`L_1 = 0` in the generalized :math:`L_0 + L_1|\nabla f|` form (**[V]**, the
OpenReview reviews: the convex theorem assumes :math:`L_1 = 0`) -- diagonal AdaGrad
with projection onto an :math:`\ell_\infty` ball converges like

.. math::
    \frac{\|L\|_1 D_\infty^2}{T} + \frac{\|\sigma\|_1 D_\infty}{\sqrt{MT}},

SGD and AdaGrad-norm like :math:`\frac{\|L\|_\infty D_2^2}{T} + \frac{\|\sigma\|_2 D_2}{\sqrt{MT}}`.
The paper's exact constants could not be confirmed (its full text was not available), so
every constant below is **[R] derived here** from the standard AdaGrad analysis; the
derivations are in the docstrings and the numbers are checked against runs in
``tests/test_adagrad_bounds.py``.

All convex bounds bound the *running average of the expected suboptimality*

.. math::
    \bar\Delta_T = \frac1T \sum_{t=0}^{T-1} \bigl(\mathbb E f(w_t) - f^\star\bigr)
    \;\ge\; \mathbb E f(\bar w_T) - f^\star \quad (\bar w_T = \tfrac1T\textstyle\sum_t w_t,\ \text{convexity}),

for every :math:`T` (the methods have constant step sizes, so the analysis of the first
:math:`T` steps holds at each :math:`T`).

Derivation of the AdaGrad bound [R]
-----------------------------------
Regret (Duchi et al. 2011, Thm. 5; projection onto a box in the
:math:`\operatorname{diag}(\sqrt{v_t})` norm is clipping): with
:math:`D_\infty \ge \max_{x\in\mathcal X}\|x - x^\star\|_\infty` and :math:`\epsilon = 0`,

.. math::
    \sum_{t<T} \langle g_t, w_t - x^\star\rangle \le c \sum_i \|g_{0:T,i}\|_2,
    \qquad c = \frac{D_\infty^2}{2\eta} + \eta,

using :math:`\sum_t g_{t,i}^2/\sqrt{v_{t,i}} \le 2\sqrt{v_{T,i}}`.  Taking expectations
(:math:`w_t` is independent of the fresh noise in :math:`g_t`), convexity, Jensen and
:math:`\mathbb E g_{t,i}^2 = (\nabla_i f(w_t))^2 + \sigma_i^2/M`:

.. math::
    S := \sum_{t<T}\mathbb E\Delta_t \le c\Bigl[\sum_i \sqrt{\textstyle\sum_t \mathbb E(\nabla_i f)^2}
    + \sqrt{T/M}\,\|\sigma\|_1\Bigr].

Anisotropic smoothness gives :math:`\sum_i (\nabla_i f(x))^2 / L_i \le 2(f(x) - f^\star)`
(:math:`f` is 1-smooth in :math:`\|\cdot\|_{\operatorname{diag} L}`), and Cauchy-Schwarz
:math:`\sum_i \sqrt{L_i a_i} \le \sqrt{\|L\|_1 \sum_i a_i}`, so
:math:`S \le a\sqrt S + b` with :math:`a = c\sqrt{2\|L\|_1}`,
:math:`b = c\,\|\sigma\|_1\sqrt{T/M}`, i.e.

.. math::
    \bar\Delta_T \le \frac1T\Bigl(\frac{a + \sqrt{a^2 + 4b}}{2}\Bigr)^2
    \le \frac{2c^2\|L\|_1}{T} + \frac{2c\,\|\sigma\|_1}{\sqrt{MT}},

and at :math:`\eta = D_\infty/\sqrt2` (:math:`c = \sqrt2 D_\infty`):
:math:`4\|L\|_1 D_\infty^2/T + 2\sqrt2\,\|\sigma\|_1 D_\infty/\sqrt{MT}` -- the paper's shape.
AdaGrad-norm is the same argument with one coordinate: :math:`\|L\|_1 \to \|L\|_\infty`,
:math:`\|\sigma\|_1 \to \|\sigma\|_2`, :math:`D_\infty \to D_2` (projection onto an
:math:`\ell_2` ball).

Derivation of the SGD bound [R]
-------------------------------
:math:`\|w_{t+1}-x^\star\|^2 = \|w_t-x^\star\|^2 - 2\eta\langle g_t, w_t-x^\star\rangle + \eta^2\|g_t\|^2`,
:math:`\mathbb E\|g_t\|^2 \le 2\|L\|_\infty\Delta_t + \|\sigma\|_2^2/M`, so for
:math:`\eta < 1/\|L\|_\infty` (no projection, :math:`D_2 = \|w_0 - x^\star\|_2`):

.. math::
    \bar\Delta_T \le \frac{1}{1-\eta\|L\|_\infty}\Bigl(\frac{D_2^2}{2\eta T} + \frac{\eta\|\sigma\|_2^2}{2M}\Bigr).

Non-convex (deterministic gradients) [R]
----------------------------------------
Descent lemma with the smoothness vector, :math:`\sum_t g_{t,i}^2/\sqrt{v_{t,i}} \ge \sqrt{v_{T-1,i}}`,
:math:`\sum_t g_{t,i}^2/v_{t,i} \le 1 + \log(v_{T-1,i}/g_{0,i}^2)` and
:math:`\sum_t|g_{t,i}| \le \sqrt{T v_{T-1,i}}`:

.. math::
    \frac1T\sum_{t<T}\|\nabla f(w_t)\|_1 \le \frac{1}{\sqrt T}\Bigl[\frac{\Delta}{\eta}
    + \frac\eta2\sum_i L_i\Bigl(1 + \log\frac{T G_i^2}{g_{0,i}^2}\Bigr)\Bigr],

with :math:`G_i \ge \sup|\nabla_i f|`, :math:`\Delta = f(w_0) - f^\star`; its optimum over
:math:`\eta` is :math:`\sqrt{2\Delta\sum_i L_i(1+\log\cdot)/T}` -- :math:`\|L\|_1` up to the
log.  Gradient descent (:math:`\eta < 2/\|L\|_\infty`):
:math:`\frac1T\sum_t\|\nabla f(w_t)\|_1 \le \sqrt{d\,\Delta/(\eta(1-\eta\|L\|_\infty/2)T)}`,
i.e. :math:`\sqrt{2 d\|L\|_\infty\Delta/T}` at :math:`\eta = 1/\|L\|_\infty`.  Compare Jiang,
Maladkar, Mokhtari (2024): SGD's :math:`\Omega(\sqrt{d\|L\|_\infty\Delta/T})` lower bound.

Predicted advantage
-------------------
Writing :math:`\|L\|_1 = r_L d\|L\|_\infty`, :math:`\|\sigma\|_1 = r_\sigma\sqrt d\|\sigma\|_2`,
:math:`D_2 = r_D\sqrt d D_\infty`, the iterations each bound needs to reach :math:`\epsilon`
(:func:`iterations_to_epsilon_bound`) give the predicted ratio
:math:`T_\epsilon^{\rm SGD}/T_\epsilon^{\rm AdaGrad}` (:func:`predicted_advantage`): it tends
to :math:`\propto r_D^2/r_L` for large :math:`M` (the :math:`1/T` terms dominate) and
:math:`\propto (r_D/r_\sigma)^2` for small :math:`M`; :func:`advantage_limits` derives both
with sympy.

References
----------
.. [1] Y. Liu, R. Pan, T. Zhang. "AdaGrad under Anisotropic Smoothness." ICLR 2025.
   arXiv:2406.15244.
.. [2] J. Duchi, E. Hazan, Y. Singer. "Adaptive Subgradient Methods for Online Learning and
   Stochastic Optimization." JMLR 12, 2011.
.. [3] R. Jiang, D. Maladkar, A. Mokhtari. "Convergence analysis of adaptive gradient methods
   under refined smoothness and noise assumptions." 2024.
"""

from __future__ import annotations

import math

import numpy as np
import sympy

from ..validation import check_positive

__all__ = [
    "adagrad_convex_bound",
    "adagrad_nonconvex_l1_bound",
    "adagrad_nonconvex_log_sum",
    "adagrad_norm_convex_bound",
    "adagrad_rate",
    "advantage_limits",
    "gd_nonconvex_l1_bound",
    "iterations_to_epsilon_bound",
    "predicted_advantage",
    "sgd_convex_bound",
    "sgd_rate",
]


def _root_bound(a, b, T):
    """(1/T) ((a + sqrt(a^2 + 4b)) / 2)^2: the largest S with S <= a sqrt(S) + b, over T."""
    return ((a + np.sqrt(a * a + 4.0 * b)) / 2.0) ** 2 / T


def adagrad_convex_bound(L1, sigma1, D_inf, eta, T, M=1):
    r"""[R] Bound on :math:`\bar\Delta_T` for projected diagonal AdaGrad (:math:`\epsilon = 0`).

    Parameters
    ----------
    L1 : float
        :math:`\|L\|_1`.
    sigma1 : float
        :math:`\|\sigma\|_1` (coordinate noise std of one sample).
    D_inf : float
        :math:`\max_{x \in \mathcal X}\|x - x^\star\|_\infty` of the projection set (for the
        ball of radius :math:`R` around :math:`w_0`: :math:`R + \|w_0 - x^\star\|_\infty`).
    eta : float
        Step size.
    T : int or array
        Number of steps averaged (:math:`t = 0, \dots, T-1`).
    M : int
        Batch size.

    Returns
    -------
    float or array
        :math:`\frac1T\bigl(\frac{a+\sqrt{a^2+4b}}{2}\bigr)^2`, :math:`a = c\sqrt{2\|L\|_1}`,
        :math:`b = c\|\sigma\|_1\sqrt{T/M}`, :math:`c = D_\infty^2/(2\eta) + \eta` (derived
        constants, see the module docstring).

    References
    ----------
    .. [1] Liu, Pan, Zhang, ICLR 2025 (shape [V]; constants [R]).
    .. [2] Duchi, Hazan, Singer, JMLR 2011, Thm. 5 (regret).
    """
    L1 = check_positive("L1", L1)
    sigma1 = check_positive("sigma1", sigma1, allow_zero=True)
    D_inf, eta = check_positive("D_inf", D_inf), check_positive("eta", eta)
    T = np.asarray(T, dtype=float)
    c = D_inf**2 / (2 * eta) + eta
    return _root_bound(c * math.sqrt(2 * L1), c * sigma1 * np.sqrt(T / M), T)


def adagrad_norm_convex_bound(L_inf, sigma2, D_2, eta, T, M=1):
    r"""[R] Bound on :math:`\bar\Delta_T` for AdaGrad-norm projected onto an :math:`\ell_2` ball.

    The AdaGrad argument with one coordinate: :func:`adagrad_convex_bound` with
    :math:`\|L\|_1 \to \|L\|_\infty`, :math:`\|\sigma\|_1 \to \|\sigma\|_2`,
    :math:`D_\infty \to D_2 = \max_{x\in\mathcal B}\|x - x^\star\|_2`.

    References
    ----------
    .. [1] Liu, Pan, Zhang, ICLR 2025; Ward, Wu, Bottou, ICML 2019.
    """
    return adagrad_convex_bound(L_inf, sigma2, D_2, eta, T, M)


def sgd_convex_bound(L_inf, sigma2, D_2, eta, T, M=1):
    r"""[R] Bound on :math:`\bar\Delta_T` for SGD with constant step :math:`\eta < 1/\|L\|_\infty`.

    .. math::
        \frac{1}{1-\eta\|L\|_\infty}\Bigl(\frac{D_2^2}{2\eta T} + \frac{\eta\|\sigma\|_2^2}{2M}\Bigr),
        \qquad D_2 = \|w_0 - x^\star\|_2 .

    Returns ``inf`` for :math:`\eta \ge 1/\|L\|_\infty` (the bound does not apply).

    References
    ----------
    .. [1] Standard (e.g. Lan 2012; Bubeck 2015, Thm. 6.3); shape as in Liu, Pan, Zhang 2025.
    """
    L_inf, eta = check_positive("L_inf", L_inf), check_positive("eta", eta)
    sigma2 = check_positive("sigma2", sigma2, allow_zero=True)
    D_2 = check_positive("D_2", D_2)
    T = np.asarray(T, dtype=float)
    if eta * L_inf >= 1:
        return np.full(T.shape, np.inf) if T.ndim else math.inf
    return (D_2**2 / (2 * eta * T) + eta * sigma2**2 / (2 * M)) / (1 - eta * L_inf)


def adagrad_rate(L1, sigma1, D_inf, T, M=1):
    r"""[R] The AdaGrad bound at :math:`\eta = D_\infty/\sqrt2`, relaxed:
    :math:`4\|L\|_1 D_\infty^2/T + 2\sqrt2\,\|\sigma\|_1 D_\infty/\sqrt{MT}`."""
    T = np.asarray(T, dtype=float)
    return 4 * L1 * D_inf**2 / T + 2 * math.sqrt(2) * sigma1 * D_inf / np.sqrt(M * T)


def sgd_rate(L_inf, sigma2, D_2, T, M=1):
    r"""[R] The SGD bound at :math:`\eta = \min(1/(2\|L\|_\infty), D_2\sqrt{M/T}/\|\sigma\|_2)`, relaxed:
    :math:`2\|L\|_\infty D_2^2/T + 2\|\sigma\|_2 D_2/\sqrt{MT}` (the same shape as :func:`adagrad_rate`
    with :math:`\|L\|_1 \to \|L\|_\infty/2`, :math:`\|\sigma\|_1 \to \|\sigma\|_2/\sqrt2`, :math:`D_\infty \to D_2`)."""
    T = np.asarray(T, dtype=float)
    return 2 * L_inf * D_2**2 / T + 2 * sigma2 * D_2 / np.sqrt(M * T)


def iterations_to_epsilon_bound(A, B, M, eps):
    r"""Smallest real :math:`T` with :math:`A/T + B/\sqrt{MT} \le \epsilon`.

    With :math:`u = 1/\sqrt T`: :math:`A u^2 + (B/\sqrt M) u - \epsilon = 0`, so
    :math:`T = \bigl(2A / (\sqrt{B^2/M + 4A\epsilon} - B/\sqrt M)\bigr)^2`.
    """
    A, eps = check_positive("A", A), check_positive("eps", eps)
    B = check_positive("B", B, allow_zero=True)
    b = B / math.sqrt(M)
    # rationalized form of (2A / (sqrt(b^2 + 4 A eps) - b))^2, stable for small b^2
    return ((b + math.sqrt(b * b + 4 * A * eps)) / (2 * eps)) ** 2


def predicted_advantage(r_L, r_sigma, M, *, d, L_inf, sigma2, D_inf, eps, r_D=1.0,
                        D_inf_factor=1.0):
    r"""Predicted :math:`T_\epsilon^{\rm SGD} / T_\epsilon^{\rm AdaGrad}` from the two rates.

    Parameters
    ----------
    r_L, r_sigma : float or array
        :math:`\|L\|_1/(d\|L\|_\infty)` and :math:`\|\sigma\|_1/(\sqrt d\|\sigma\|_2)`.
    M : int or array
        Batch size.
    d, L_inf, sigma2, D_inf : float
        Dimension, :math:`\|L\|_\infty`, :math:`\|\sigma\|_2`, :math:`\|w_0-x^\star\|_\infty`.
    eps : float
        Target of :math:`\bar\Delta_T`.
    r_D : float
        :math:`D_2/(\sqrt d D_\infty)` (1 for a vertex of the :math:`\ell_\infty` ball).
    D_inf_factor : float
        AdaGrad's :math:`D_\infty` is ``D_inf_factor * D_inf`` (e.g. 3 for projection onto the
        ball of radius :math:`2\|w_0-x^\star\|_\infty` around :math:`w_0`).

    Returns
    -------
    float or array
        Ratio of the iterations to :math:`\epsilon` of :func:`sgd_rate` and
        :func:`adagrad_rate` ([R] constants).  Large-:math:`M` limit
        :math:`r_D^2/(2 r_L\,\text{factor}^2)`; see :func:`advantage_limits`.
    """
    r_L, r_sigma, M = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (r_L, r_sigma, M)))
    out = np.empty(r_L.shape)
    D_ada = D_inf_factor * D_inf
    D_2 = r_D * math.sqrt(d) * D_inf
    for idx in np.ndindex(r_L.shape):
        L1 = r_L[idx] * d * L_inf
        s1 = r_sigma[idx] * math.sqrt(d) * sigma2
        t_ada = iterations_to_epsilon_bound(4 * L1 * D_ada**2, 2 * math.sqrt(2) * s1 * D_ada,
                                            M[idx], eps)
        t_sgd = iterations_to_epsilon_bound(2 * L_inf * D_2**2, 2 * sigma2 * D_2, M[idx], eps)
        out[idx] = t_sgd / t_ada
    return out if out.ndim else float(out)


def advantage_limits() -> dict:
    r"""Sympy derivation of the predicted advantage's limits in :math:`M`.

    Returns
    -------
    dict
        ``"T_eps"``: :math:`T_\epsilon(A, B, M, \epsilon)` solving
        :math:`A/T + B/\sqrt{MT} = \epsilon`; ``"large_M"``: :math:`\lim_{M\to\infty}` of
        the ratio (:math:`r_D^2 / (2 r_L)`, with :math:`D` factor 1); ``"small_M"``: the
        leading term as :math:`M \to 0` (:math:`r_D^2/(2 r_\sigma^2)`); all sympy expressions.
    """
    A, B, M, eps, T = sympy.symbols("A B M epsilon T", positive=True)
    u = sympy.symbols("u", positive=True)
    sol = [s for s in sympy.solve(A * u**2 + B / sympy.sqrt(M) * u - eps, u) if s.is_positive is not False]
    T_eps = sympy.simplify(1 / sol[0] ** 2)
    rL, rs, rD, d, Linf, s2, D = sympy.symbols("r_L r_sigma r_D d L_inf sigma_2 D_inf", positive=True)
    A_ada, B_ada = 4 * rL * d * Linf * D**2, 2 * sympy.sqrt(2) * rs * sympy.sqrt(d) * s2 * D
    D2 = rD * sympy.sqrt(d) * D
    A_sgd, B_sgd = 2 * Linf * D2**2, 2 * s2 * D2
    ratio = T_eps.subs({A: A_sgd, B: B_sgd}) / T_eps.subs({A: A_ada, B: B_ada})
    large = sympy.simplify(sympy.limit(ratio, M, sympy.oo))
    small = sympy.simplify(sympy.limit(ratio, M, 0))
    return {"T_eps": T_eps, "ratio": ratio, "large_M": large, "small_M": small}


def adagrad_nonconvex_l1_bound(Delta, L, eta, T, g0, G):
    r"""[R] Bound on :math:`\frac1T\sum_{t<T}\|\nabla f(w_t)\|_1` for deterministic AdaGrad (:math:`\epsilon = 0`).

    Parameters
    ----------
    Delta : float
        :math:`f(w_0) - f^\star`.
    L : array (d,)
        Smoothness vector.
    eta : float
    T : int or array
    g0 : array (d,)
        First gradient :math:`\nabla f(w_0)`; coordinates with :math:`g_{0,i} = 0` never move
        and drop out.
    G : array (d,)
        :math:`G_i \ge \sup_w |\nabla_i f(w)|`.

    Returns
    -------
    float or array
        :math:`\frac{1}{\sqrt T}\bigl[\Delta/\eta + \frac\eta2\sum_i L_i(1 + \log(T G_i^2/g_{0,i}^2))\bigr]`.

    References
    ----------
    .. [1] Liu, Pan, Zhang, ICLR 2025 (l1-norm non-convex bound, shape [V]; constants [R]).
    .. [2] R. Ward, X. Wu, L. Bottou, ICML 2019 (the log-sum lemma).
    """
    Delta, eta = check_positive("Delta", Delta, allow_zero=True), check_positive("eta", eta)
    T = np.asarray(T, dtype=float)
    return (Delta / eta + 0.5 * eta * adagrad_nonconvex_log_sum(L, T, g0, G)) / np.sqrt(T)


def adagrad_nonconvex_log_sum(L, T, g0, G):
    r""":math:`S_T = \sum_{i: g_{0,i} \ne 0} L_i\,(1 + \log(T G_i^2/g_{0,i}^2))`, the sum in
    :func:`adagrad_nonconvex_l1_bound` (whose optimal step is :math:`\sqrt{2\Delta/S_T}`).

    ``T`` may be an array; the result then has its shape.
    """
    L, g0, G = (np.asarray(x, dtype=float) for x in (L, g0, G))
    T = np.asarray(T, dtype=float)
    act = np.abs(g0) > 0
    logs = np.log(T[..., None] * G[act] ** 2 / g0[act] ** 2)
    return np.sum(L[act] * (1.0 + logs), axis=-1)


def gd_nonconvex_l1_bound(Delta, L_inf, d, eta, T):
    r"""[R] :math:`\frac1T\sum_{t<T}\|\nabla f(w_t)\|_1 \le \sqrt{d\Delta/(\eta(1-\eta\|L\|_\infty/2)T)}` for GD, :math:`\eta < 2/\|L\|_\infty`.

    From the descent lemma :math:`f_{t+1} \le f_t - \eta(1-\eta L/2)\|\nabla f_t\|_2^2`,
    Jensen and :math:`\|x\|_1 \le \sqrt d\|x\|_2`.

    References
    ----------
    .. [1] Y. Nesterov, Lectures on Convex Optimization, 2018, Sec. 1.2.3.
    """
    L_inf, eta = check_positive("L_inf", L_inf), check_positive("eta", eta)
    T = np.asarray(T, dtype=float)
    if eta * L_inf >= 2:
        return np.full(T.shape, np.inf)
    return np.sqrt(d * Delta / (eta * (1 - eta * L_inf / 2) * T))
