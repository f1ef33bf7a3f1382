r"""Theory of zeroth-order estimators and ZO-SGD: closed forms on quadratics, and bounds.

Closed forms (exact, derived here for a quadratic :math:`f(x) = \tfrac12 e^\top H e`,
:math:`e = x - x^\star`, :math:`g = \nabla f(x) = He`, radius :math:`\mu`, :math:`n` directions)
---------------------------------------------------------------------------------------------
Smoothed functions.  Gaussian :math:`f_\mu(x) = \mathbb E f(x + \mu u) = f(x) + \mu^2
\operatorname{tr}H/2`; ball :math:`\hat f_\mu(x) = \mathbb E_{b \sim U(B^d)} f(x + \mu b)
= f(x) + \mu^2 \operatorname{tr}H / (2(d+2))`.  Both have gradient :math:`\nabla f`, so the
estimators, unbiased for the smoothed gradients, are unbiased for :math:`\nabla f` here.

Variances (trace of the covariance of one direction; divide by :math:`n` for the average
of :math:`n` directions).  Write :math:`u = r\theta` (:math:`r, \theta` independent,
:math:`\mathbb E r^{2k} = d(d+2)\cdots(d+2k-2)`) and use
:math:`\mathbb E(\theta^\top H\theta)^2 = ((\operatorname{tr}H)^2 + 2\operatorname{tr}H^2)/(d(d+2))`:

.. math::
    \text{Gaussian: } \operatorname{Var} = (d+1)\lVert g\rVert^2
        + \tfrac{\mu^2}{4}(d+4)\bigl((\operatorname{tr}H)^2 + 2\operatorname{tr}H^2\bigr),
    \qquad
    \text{sphere: } (d-1)\lVert g\rVert^2
        + \tfrac{\mu^2 d}{4(d+2)}\bigl((\operatorname{tr}H)^2 + 2\operatorname{tr}H^2\bigr);

the :math:`\mu^2` term is the forward difference's :math:`\tfrac\mu2 (u^\top H u) u`; central
differences are exactly :math:`(g^\top u) u` on a quadratic and drop it.  The coordinate
estimator is deterministic: bias :math:`\tfrac\mu2 \operatorname{diag}(H)` (forward) or 0
(central), variance 0.

Exact expected risk of ZO-SGD :math:`x_{t+1} = x_t - \eta \hat g_t` (derived here).  In the
eigenbasis of :math:`H` the diagonal :math:`s_i = \mathbb E e_i^2` obeys a closed linear
recursion (off-diagonal moments never feed it, by rotation invariance of the directions):

.. math::
    s_i' = s_i (1 - 2\eta\lambda_i) + \eta^2\Bigl[(1 - \tfrac1n)\lambda_i^2 s_i
      + \tfrac1n\Bigl(c\,(2\lambda_i^2 s_i + \textstyle\sum_j \lambda_j^2 s_j) + b_i\Bigr)\Bigr],
    \qquad \mathbb E f(x_t) = \tfrac12 \textstyle\sum_i \lambda_i s_i ,

from :math:`\mathbb E[u u^\top A u u^\top] = 2A + \operatorname{tr}(A) I` (Gaussian, :math:`c = 1`;
sphere, scaled by :math:`d`: :math:`c = d/(d+2)`) and the forward term
:math:`b_i = \tfrac{\mu^2}{4} \kappa_b \bigl((\operatorname{tr}H)^2 + 2\operatorname{tr}H^2
+ 4\lambda_i \operatorname{tr}H + 8\lambda_i^2\bigr)` with :math:`\kappa_b = 1` (Gaussian),
:math:`d/((d+2)(d+4))` (sphere), 0 (central).  Its contraction factor (spectral radius of
the linear part) predicts the linear rate; with :math:`\eta = 1/(4(d+4)L)` the slow modes
contract like :math:`1 - \lambda_i/(2(d+4)L)`, so iterations to a relative accuracy grow
linearly in :math:`d` -- the :math:`d` of ZO methods.

Bounds from the papers (constants reconstructed from memory of the statements: **[R]**)
--------------------------------------------------------------------------------------
* Nesterov & Spokoiny (2017), Thm 1 / Lemma 3 / Thm 4 (:math:`L`-smooth :math:`f`):
  :math:`|f_\mu - f| \le \mu^2 L d/2`, :math:`\lVert\nabla f_\mu - \nabla f\rVert \le
  \tfrac\mu2 L (d+3)^{3/2}`, :math:`\mathbb E\lVert g_\mu\rVert^2 \le 2(d+4)\lVert\nabla
  f\rVert^2 + \tfrac{\mu^2}{2} L^2 (d+6)^3`.  **[R]**
* Nesterov & Spokoiny (2017), Thm 8, convex :math:`L`-smooth, :math:`h = 1/(4(d+4)L)`:
  :math:`\mathbb E f(\hat x_T) - f^\star \le \frac{4(d+4) L R^2}{T+1} + \frac{9\mu^2(d+4)^2 L}{25}`,
  :math:`R = \lVert x_0 - x^\star\rVert`; strongly convex: contraction
  :math:`(1 - \frac{\mu_f}{8(d+4)L})^T`.  **[R]**
* Nesterov & Spokoiny (2017), Sec. 7 / Ghadimi & Lan (2013), Cor. 3.3, non-convex
  :math:`L`-smooth: :math:`\frac1{T+1}\sum_t \mathbb E\lVert\nabla f(x_t)\rVert^2 \le
  \frac{8(d+4) L (f(x_0) - f^\star)}{T+1} + \frac{\mu^2 L^2 (d+6)^3}{2}` (deterministic
  values); with :math:`\sigma^2`-noisy values Ghadimi & Lan add
  :math:`O(\sigma\sqrt{d L (f(x_0)-f^\star)/T})`.  **[R]**
* Li, Balasubramanian & Ma (2023), Riemannian ZO-SGD with retraction: the same
  :math:`O(n L \Delta / T)` gradient-norm bound with :math:`n` the manifold dimension
  (:math:`d-1` on the sphere) and :math:`L` the smoothness of the pullback.  **[R]**
* Zhang et al. (ICML 2024) benchmark ZO-SGD, ZO-Adam and variants with this randomized
  gradient estimator (RGE) for LLM fine-tuning; they state no new rate, we use their
  estimator and ZO-Adam as the method.

References
----------
.. [1] Y. Nesterov, V. Spokoiny. "Random Gradient-Free Minimization of Convex Functions."
   Found. Comput. Math. 17, 2017.
.. [2] S. Ghadimi, G. Lan. "Stochastic First- and Zeroth-Order Methods for Nonconvex
   Stochastic Programming." SIAM J. Optim. 23(4), 2013.
.. [3] Y. Zhang et al. "Revisiting Zeroth-Order Optimization for Memory-Efficient LLM
   Fine-Tuning: A Benchmark." ICML 2024.
.. [4] J. Li, K. Balasubramanian, S. Ma. "Stochastic Zeroth-order Riemannian Derivative
   Estimation and Optimization." Math. Oper. Res., 2023. arXiv:2003.11238.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from ..validation import check_int, check_positive
from ..zeroth_order import DIFFERENCES, ESTIMATORS, check_radius


def _spectrum(eigenvalues) -> np.ndarray:
    ev = np.asarray(eigenvalues, dtype=float)
    if ev.ndim != 1 or ev.size == 0 or not np.all(np.isfinite(ev)) or np.any(ev < 0):
        raise ValueError(f"eigenvalues must be a non-empty finite 1-D array >= 0, got {ev!r}")
    return ev


def _check(estimator, difference):
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown zeroth-order estimator {estimator!r}; available: {', '.join(ESTIMATORS)}")
    if difference not in DIFFERENCES:
        raise ValueError(f"unknown finite difference {difference!r}; available: {', '.join(DIFFERENCES)}")


# -- smoothed functions --------------------------------------------------------------
def smoothed_value_gap(estimator: str, d: int, trace_H: float, radius: float) -> float:
    r""":math:`f_\mu(x) - f(x)` on a quadratic (independent of :math:`x`).

    ``"gaussian"``: :math:`\mu^2 \operatorname{tr}H / 2`; ``"sphere"`` (ball smoothing):
    :math:`\mu^2 \operatorname{tr}H / (2(d+2))`.
    """
    radius = check_radius(radius)
    d = check_int("d", d)
    if estimator == "gaussian":
        return radius**2 * trace_H / 2
    if estimator == "sphere":
        return radius**2 * trace_H / (2 * (d + 2))
    raise ValueError(f"no smoothed function for estimator {estimator!r}; use 'gaussian' or 'sphere'")


def smoothing_factor_cosine(estimator: str, d: int, radius: float) -> float:
    r"""Factor :math:`\varphi(\mu)` with :math:`f_\mu = \varphi(\mu) f` for :math:`f(x) = \sum_i \cos x_i`.

    The smoothed cosine is the characteristic function of the smoothing law:
    Gaussian :math:`e^{-\mu^2/2}`; uniform ball in :math:`\mathbb R^d`:
    :math:`\Gamma(d/2 + 1)(2/\mu)^{d/2} J_{d/2}(\mu)`.  So :math:`\nabla f_\mu = \varphi(\mu)
    \nabla f \ne \nabla f`: a test function on which "unbiased for the smoothed function"
    and "unbiased for :math:`f`" differ.
    """
    radius = check_radius(radius)
    d = check_int("d", d)
    if estimator == "gaussian":
        return math.exp(-radius**2 / 2)
    if estimator == "sphere":
        nu = d / 2
        return float(math.exp(special.gammaln(nu + 1)) * (2 / radius) ** nu * special.jv(nu, radius))
    raise ValueError(f"no smoothed function for estimator {estimator!r}; use 'gaussian' or 'sphere'")


# -- estimator moments on a quadratic ------------------------------------------------
def estimator_variance(estimator: str, eigenvalues, grad_sq: float, radius: float,
                       difference: str = "forward", n_directions: int = 1) -> float:
    r"""Exact :math:`\operatorname{tr}\operatorname{Cov}(\hat g)` on a quadratic (module docstring).

    Parameters
    ----------
    estimator : {"gaussian", "sphere", "coordinate"}
    eigenvalues : array (d,)
        Spectrum of :math:`H`.
    grad_sq : float
        :math:`\lVert\nabla f(x)\rVert^2` at the query point.
    radius : float
        :math:`\mu > 0`.
    difference : {"forward", "central"}
    n_directions : int
        Directions averaged (the variance is divided by it).
    """
    _check(estimator, difference)
    ev = _spectrum(eigenvalues)
    radius = check_radius(radius)
    n = check_int("n_directions", n_directions)
    d = ev.size
    t1, t2 = ev.sum(), np.sum(ev**2)
    fwd = difference == "forward"
    if estimator == "coordinate":
        return 0.0
    if estimator == "gaussian":
        v = (d + 1) * grad_sq + (radius**2 / 4 * (d + 4) * (t1**2 + 2 * t2) if fwd else 0.0)
    else:
        v = (d - 1) * grad_sq + (radius**2 * d / (4 * (d + 2)) * (t1**2 + 2 * t2) if fwd else 0.0)
    return float(v / n)


def estimator_bias(estimator: str, hessian_diagonal, radius: float, difference: str = "forward") -> np.ndarray:
    r"""Exact bias :math:`\mathbb E\hat g - \nabla f` on a quadratic: :math:`\tfrac\mu2\operatorname{diag}H`
    for forward coordinate differences, 0 otherwise (the random estimators are unbiased there)."""
    _check(estimator, difference)
    h = np.asarray(hessian_diagonal, dtype=float)
    radius = check_radius(radius)
    if estimator == "coordinate" and difference == "forward":
        return radius / 2 * h
    return np.zeros_like(h)


def ns_smoothing_bounds(d: int, L: float, radius: float, grad_sq: float = 0.0) -> dict:
    r"""Nesterov-Spokoiny bounds for an :math:`L`-smooth :math:`f` (Gaussian smoothing). **[R]**

    Returns ``value_gap`` :math:`\mu^2 L d/2`, ``grad_bias`` :math:`\tfrac\mu2 L(d+3)^{3/2}` and
    ``second_moment`` :math:`2(d+4)\lVert\nabla f\rVert^2 + \tfrac{\mu^2}2 L^2(d+6)^3`.
    """
    d, L, radius = check_int("d", d), check_positive("L", L), check_radius(radius)
    return {
        "value_gap": radius**2 * L * d / 2,
        "grad_bias": radius / 2 * L * (d + 3) ** 1.5,
        "second_moment": 2 * (d + 4) * grad_sq + radius**2 / 2 * L**2 * (d + 6) ** 3,
    }


# -- ZO-SGD on a quadratic: exact expected risk ----------------------------------------
def _coefficients(estimator, difference, ev, radius, n):
    d = ev.size
    t1, t2 = ev.sum(), np.sum(ev**2)
    if estimator == "gaussian":
        c, kb = 1.0, 1.0
    elif estimator == "sphere":
        c, kb = d / (d + 2), d / ((d + 2) * (d + 4))
    else:
        raise ValueError(
            f"the exact ZO-SGD risk is derived for the 'gaussian' and 'sphere' estimators, got {estimator!r}"
        )
    b = np.zeros(d) if difference == "central" else (
        radius**2 / 4 * kb * (t1**2 + 2 * t2 + 4 * ev * t1 + 8 * ev**2))
    return c, b


def _recursion(eigenvalues, lr, estimator, radius, difference, n_directions):
    """(D, r, b) of the recursion s' = D * s + (r @ s) + b."""
    _check(estimator, difference)
    ev = _spectrum(eigenvalues)
    lr, radius = check_positive("lr", lr), check_radius(radius)
    n = check_int("n_directions", n_directions)
    c, b = _coefficients(estimator, difference, ev, radius, n)
    D = 1 - 2 * lr * ev + lr**2 * ev**2 * ((1 - 1 / n) + 2 * c / n)
    return D, (lr**2 * c / n) * ev**2, lr**2 * b / n


def zo_sgd_transition(eigenvalues, lr: float, estimator: str = "gaussian", radius: float = 1e-4,
                      difference: str = "forward", n_directions: int = 1):
    r"""Linear map :math:`s \mapsto A s + b` of the exact second-moment recursion (module docstring).

    Returns
    -------
    A : array (d, d)
        :math:`\operatorname{diag}(D) + \mathbf 1 r^\top` (diagonal plus rank one).
    b : array (d,)
    """
    D, r, b = _recursion(eigenvalues, lr, estimator, radius, difference, n_directions)
    return np.diag(D) + np.outer(np.ones_like(r), r), b


def zo_sgd_expected_risk(eigenvalues, e0, lr: float, T: int, estimator: str = "gaussian",
                         radius: float = 1e-4, difference: str = "forward",
                         n_directions: int = 1, steps=None) -> np.ndarray:
    r"""Exact :math:`\mathbb E f(x_t) - f^\star` of ZO-SGD on a quadratic, :math:`t = 0..T`.

    Parameters
    ----------
    eigenvalues : array (d,)
        Spectrum of :math:`H`.
    e0 : array (d,)
        :math:`x_0 - x^\star` in the eigenbasis of :math:`H`.
    lr, T, estimator, radius, difference, n_directions
        As in the run (``n_directions = q * batch_size``).
    steps : array of int, optional
        Return only these steps (default: all ``T + 1``).
    """
    ev = _spectrum(eigenvalues)
    T = check_int("T", T, minimum=0)
    D, r, b = _recursion(ev, lr, estimator, radius, difference, n_directions)
    s = np.asarray(e0, dtype=float) ** 2
    if s.shape != ev.shape:
        raise ValueError(f"e0 has shape {s.shape}, expected {ev.shape}")
    out = np.empty(T + 1)
    out[0] = 0.5 * ev @ s
    for t in range(1, T + 1):
        s = D * s + (r @ s) + b  # O(d) per step
        out[t] = 0.5 * ev @ s
    return out if steps is None else out[np.asarray(steps, dtype=int)]


def zo_sgd_stationary_risk(eigenvalues, lr: float, estimator: str = "gaussian", radius: float = 1e-4,
                           difference: str = "forward", n_directions: int = 1) -> float:
    r"""Noise floor :math:`\lim_t \mathbb E f(x_t) - f^\star` of ZO-SGD on a quadratic with exact values.

    The fixed point :math:`s^\star = (I - A)^{-1} b` of the recursion: zero for central
    differences, and for forward differences the floor of the radius term
    :math:`\tfrac\mu2 (u^\top H u) u`, which grows like :math:`\mu^2 d^3` at fixed :math:`L`.
    """
    A, b = zo_sgd_transition(eigenvalues, lr, estimator, radius, difference, n_directions)
    s = np.linalg.solve(np.eye(b.size) - A, b)
    return float(0.5 * _spectrum(eigenvalues) @ s)


def zo_sgd_rate(eigenvalues, lr: float, estimator: str = "gaussian", n_directions: int = 1) -> float:
    """Per-step contraction factor of :math:`\\mathbb E f` (spectral radius of ``A``; radius-free)."""
    A, _ = zo_sgd_transition(eigenvalues, lr, estimator, 1.0, "central", n_directions)
    return float(np.max(np.abs(np.linalg.eigvals(A))))


def zo_sgd_iterations_to_epsilon(eigenvalues, e0, lr: float, eps: float, T_max: int, **kw) -> float:
    """First :math:`t` with :math:`\\mathbb E f(x_t) - f^\\star \\le` ``eps`` (``inf`` if none up to ``T_max``)."""
    risk = zo_sgd_expected_risk(eigenvalues, e0, lr, T_max, **kw)
    hit = np.nonzero(risk <= eps)[0]
    return float(hit[0]) if hit.size else math.inf


# -- rate bounds (papers; [R]) ---------------------------------------------------------
def ns_convex_bound(d: int, L: float, R2: float, T, radius: float = 0.0):
    r"""Nesterov-Spokoiny Thm 8 **[R]**: :math:`\frac{4(d+4)LR^2}{T+1} + \frac{9\mu^2(d+4)^2L}{25}`,
    step :math:`1/(4(d+4)L)`, for the averaged iterate of a convex :math:`L`-smooth function."""
    T = np.asarray(T, dtype=float)
    return 4 * (d + 4) * L * R2 / (T + 1) + 9 * radius**2 * (d + 4) ** 2 * L / 25


def ns_strongly_convex_iterations(d: int, L: float, mu: float, f0: float, eps: float) -> float:
    r"""Iterations after which the Nesterov-Spokoiny strongly convex bound **[R]**
    :math:`(L/\mu) f_0 (1 - \mu/(8(d+4)L))^T` (radius term neglected) is below ``eps``:
    :math:`\approx 8(d+4)\kappa \log(\kappa f_0/\epsilon)` -- linear in :math:`d`."""
    rho = 1 - mu / (8 * (d + 4) * L)
    return float(math.log(eps / ((L / mu) * f0)) / math.log(rho))


def ns_nonconvex_bound(d: int, L: float, f_gap: float, T, radius: float = 0.0):
    r"""Average squared gradient norm of ZO-SGD, non-convex :math:`L`-smooth **[R]**:
    :math:`\frac{8(d+4)L(f(x_0)-f^\star)}{T+1} + \frac{\mu^2L^2(d+6)^3}{2}` (Nesterov-Spokoiny
    Sec. 7; Ghadimi-Lan Cor. 3.3 with exact values).  For the Riemannian version (Li et al.)
    pass the manifold dimension as ``d``."""
    T = np.asarray(T, dtype=float)
    return 8 * (d + 4) * L * f_gap / (T + 1) + radius**2 * L**2 * (d + 6) ** 3 / 2


__all__ = [
    "estimator_bias",
    "estimator_variance",
    "ns_convex_bound",
    "ns_nonconvex_bound",
    "ns_smoothing_bounds",
    "ns_strongly_convex_iterations",
    "smoothed_value_gap",
    "smoothing_factor_cosine",
    "zo_sgd_expected_risk",
    "zo_sgd_iterations_to_epsilon",
    "zo_sgd_rate",
    "zo_sgd_stationary_risk",
    "zo_sgd_transition",
]
