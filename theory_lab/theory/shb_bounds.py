r"""Bounds of Pan et al. (ICLR 2024) on SGD / multistage SHB for noisy quadratics.

Setting (Pan et al., Section 2; details [R]): :math:`f(w) = \tfrac12 (w-w^\star)^\top H (w-w^\star)`
with :math:`\mu I \preceq H \preceq L I`, :math:`\kappa = L/\mu`, oracle noise covariance
:math:`\preceq \sigma^2 H / M` (anisotropic condition, met with equality by
``problems.noise.AnisotropicNoise``), horizon :math:`T`, :math:`N = MT` samples.

What is here
------------
* :func:`variance_floor` -- :math:`d\sigma^2/(MT)`, the minimax rate for least squares
  with :math:`N = MT` samples, and :func:`variance_lower_bound`, the exact
  Cramer-Rao-type lower bound for any iteration that is linear in the noise.
* :func:`sgd_bias_iterations`, :func:`shb_bias_iterations` -- iteration counts of the
  shapes of Theorem 1 (SGD: :math:`\kappa\log(f_0/\varepsilon)`) and Theorem 2 (SHB:
  :math:`\sqrt\kappa\log(f_0/\varepsilon)`).
* :func:`multistage_shb_bound`, :func:`step_decay_sgd_bound` -- bias + variance upper
  bounds for the two algorithms, with constants derived from the exact recursion of
  :mod:`theory_lab.theory.quadratic_risk` (construction below).
* :func:`first_stage_bias_factor` -- the closed-form first-stage bias contraction
  :math:`\Gamma(c)\,(1 - c/\sqrt\kappa)^{2n_1}`.

Construction of the multistage bound (derived here; the algorithm's constants are [R])
---------------------------------------------------------------------------------------
Algorithm: stages :math:`\ell = 1..K` of lengths :math:`n_\ell` (equal by default: [V], the
OpenReview reviews of Theorem 2 confirm equal stage lengths with geometric decay; step and
momentum constants [R]),
:math:`\eta_\ell = \eta_1 C^{-(\ell-1)}` with :math:`\eta_1 = 1/L`, :math:`C = 2`, and
fixed :math:`\beta = (1 - c/\sqrt\kappa)^2`.  Per eigen-direction :math:`\lambda` the
state :math:`s = (x_t, x_{t-1})` is transported by :math:`\Phi_\ell = A_\ell^{n_\ell}`
(closed form: :func:`theory_lab.theory.heavy_ball.matrix_power`) and the noise injected
in stage :math:`\ell` has covariance exactly :math:`P_\ell - \Phi_\ell P_\ell \Phi_\ell^\top`
at the stage's end, :math:`P_\ell` the stationary covariance (sympy,
:func:`theory_lab.theory.heavy_ball.stationary_covariance_expr`).  With
:math:`\Psi_\ell = \Phi_K\cdots\Phi_{\ell+1}` the transport to :math:`T`:

.. math::
    \mathbb E f(w_T) - f^\star
    = \underbrace{\tfrac12 \sum_i \lambda_i x_{0,i}^2\, \varphi(\lambda_i)^2}_{\text{bias}}
    + \underbrace{\tfrac12\sum_i \lambda_i \sum_\ell e_1^\top \Psi_\ell (P_\ell - \Phi_\ell P_\ell\Phi_\ell^\top)\Psi_\ell^\top e_1}_{\text{variance}},
    \qquad \varphi(\lambda) = e_1^\top \Psi_0 \begin{pmatrix}1\\1\end{pmatrix}.

The bound makes two relaxations, each an inequality:

1. bias :math:`\le f_0 \max_i \varphi(\lambda_i)^2` (the worst allocation of
   :math:`f_0 = \tfrac12\sum_i\lambda_i x_{0,i}^2` over the directions);
2. variance: drop :math:`-\Psi_\ell\Phi_\ell P_\ell\Phi_\ell^\top\Psi_\ell^\top \preceq 0`
   (valid for stable stages, :math:`P_\ell \succeq 0`): each stage contributes at most its
   *stationary* covariance, transported to :math:`T`.  The last stage contributes at most
   its stationary risk :math:`\sum_i \tfrac{\eta_K q_i (1+\beta)}{2(1-\beta)(2(1+\beta)-\eta_K\lambda_i)}`.

Closed-form reading (the shape of Theorem 2): by the exact identity
:math:`V(As) = \beta V(s)` for :math:`V(x, y) = x^2 - a x y + \beta y^2` (checked with
sympy in :func:`first_stage_bias_factor`) and :math:`x^2 \le V\cdot 4\beta/(4\beta-a^2)`,
after stage 1 every direction obeys, for :math:`c < 1`,

.. math::
    x_{n_1}^2 \le \Gamma(c)\Big(1-\frac{c}{\sqrt\kappa}\Big)^{2n_1} x_0^2, \qquad
    \Gamma(c) = \frac{4\sqrt\beta}{(2+\sqrt\beta)(1-c^2)} \le \frac{4}{3(1-c^2)} .

Later stages can amplify a direction again by a bounded transient factor (no quadratic
norm is non-expansive for all :math:`\eta\lambda \in (0, 1]` when :math:`\beta > 1/2`:
at :math:`\eta\lambda \to 0` such a norm must be diagonal in the eigenbasis of
:math:`A(0)`, and then it expands :math:`A` at :math:`\eta\lambda = 1`), which the
stage-wise bound accounts for exactly; its size is reported as ``late_amplification``.

Everything is vectorized over the directions: :math:`O(Kd)` work.

References
----------
.. [1] R. Pan, Y. Liu, X. Wang, T. Zhang. "Accelerated Convergence of Stochastic Heavy
   Ball Method under Anisotropic Gradient Noise." ICLR 2024. arXiv:2312.14567
   (Theorem 1: SGD lower bound; Theorem 2: multistage SHB upper bound; constants [R]).
.. [2] R. Ge, S. M. Kakade, R. Kidambi, P. Netrapalli. "The Step Decay Schedule: A Near
   Optimal, Geometrically Decaying Learning Rate Procedure For Least Squares." NeurIPS 2019.
.. [3] A. B. Tsybakov. "Introduction to Nonparametric Estimation." Springer, 2009
   (minimax lower bounds); E. L. Lehmann, G. Casella, "Theory of Point Estimation", 1998
   (Cramer-Rao).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import sympy as sp

from ..schedules import equal_stages, ge_step_decay
from ..validation import check_int, check_kappa, check_positive, check_spectrum
from .heavy_ball import matrix_power, stationary_covariance

NOISE_KINDS = ("anisotropic", "isotropic")


# --------------------------------------------------------------------------------------
# floors and iteration counts
# --------------------------------------------------------------------------------------
def variance_floor(d: int, sigma: float, M: int, T: int) -> float:
    r"""Minimax variance rate :math:`d\sigma^2/(MT)` for least squares with :math:`N = MT` samples.

    For the additive anisotropic oracle (covariance :math:`\sigma^2 H/M`) and
    :math:`f = \tfrac12 \|w-w^\star\|_H^2`, the sharp constant is :math:`\tfrac12`
    (:func:`variance_lower_bound`); the paper states rates up to constants.

    References
    ----------
    .. [1] Pan et al., ICLR 2024 (Section 1, minimax rate); Tsybakov 2009.
    """
    d, M, T = check_int("d", d), check_int("M", M), check_int("T", T)
    sigma = check_positive("sigma", sigma, allow_zero=True)
    return d * sigma**2 / (M * T)


def variance_lower_bound(sigma: float, M: int, T: int, transfer=None, d: int | None = None) -> float:
    r"""Exact lower bound on the variance part for iterations linear in the noise (anisotropic oracle).

    For SGD / SHB with any schedule, direction :math:`i` ends at
    :math:`x_{T} = \varphi_i x_0 + \sum_t k_t n_t` and, since :math:`w^\star` enters the
    gradient exactly like a constant noise :math:`-\lambda_i w^\star_i`,
    :math:`-\lambda_i\sum_t k_t = 1 - \varphi_i`.  Cauchy-Schwarz:
    :math:`q_i\sum_t k_t^2 \ge q_i(1-\varphi_i)^2/(\lambda_i^2 T)`, so with
    :math:`q_i = \sigma^2\lambda_i/M`

    .. math::
        \tfrac12\sum_i \lambda_i \mathrm{Var}(x_{T,i}) \ \ge\ \frac{\sigma^2}{2MT}\sum_i (1-\varphi_i)^2 .

    Parameters
    ----------
    sigma, M, T : noise level, batch size, horizon
    transfer : array (d,), optional
        :math:`\varphi_i` (deterministic transfer factors); default 0 (all bias forgotten).
    d : int, optional
        Dimension when ``transfer`` is not given.

    Returns
    -------
    float
        :math:`\tfrac{\sigma^2}{2MT}\sum_i (1-\varphi_i)^2` (:math:`= \tfrac12 d\sigma^2/(MT)` at :math:`\varphi=0`).
    """
    M, T = check_int("M", M), check_int("T", T)
    phi = np.zeros(check_int("d", d)) if transfer is None else np.asarray(transfer, float)
    return float(sigma**2 / (2 * M * T) * np.sum((1.0 - phi) ** 2))


def sgd_bias_iterations(kappa, f0, eps, const: float = 1.0):
    r"""Bias iterations of SGD, shape of Pan et al. Theorem 1: :math:`\kappa\log(f_0/\varepsilon)`.

    Theorem 1 (lower bound, [V] shape): SGD with any step sizes needs
    :math:`\Omega(\kappa\log(f_0/\varepsilon))` iterations to make the bias
    :math:`\le\varepsilon`.  The constant is [R]; with ``const=1/2`` this is also a
    sufficient count for GD at :math:`\eta = 1/L` (:math:`f_t \le (1-1/\kappa)^{2t} f_0`
    and :math:`\log\frac{1}{1-1/\kappa} \ge 1/\kappa`).

    References
    ----------
    .. [1] Pan et al., ICLR 2024, Theorem 1.
    """
    kappa = np.asarray(kappa, float)
    out = const * kappa * np.maximum(np.log(np.asarray(f0, float) / np.asarray(eps, float)), 0.0)
    return float(out) if out.ndim == 0 else out


def shb_bias_iterations(kappa, f0, eps, const: float = 1.0):
    r"""Bias iterations of (multistage) SHB, shape of Pan et al. Theorem 2: :math:`\sqrt\kappa\log(f_0/\varepsilon)`.

    The constant is [R]; ``const = 1/(2c)`` is what the first stage needs at
    :math:`\beta = (1-c/\sqrt\kappa)^2` up to the transient :math:`\Gamma(c)`
    (:func:`first_stage_bias_factor`) and the :math:`\log T` stage count.

    References
    ----------
    .. [1] Pan et al., ICLR 2024, Theorem 2.
    """
    kappa = np.asarray(kappa, float)
    out = const * np.sqrt(kappa) * np.maximum(np.log(np.asarray(f0, float) / np.asarray(eps, float)), 0.0)
    return float(out) if out.ndim == 0 else out


@functools.cache
def _v_identity_holds() -> bool:
    x, y, a, b = sp.symbols("x y a beta", real=True)
    V = lambda u, v: u**2 - a * u * v + b * v**2  # noqa: E731
    return sp.expand(V(a * x - b * y, x) - b * V(x, y)) == 0


def first_stage_bias_factor(kappa: float, n: int, c: float) -> float:
    r"""Closed-form bound :math:`\Gamma(c)(1-c/\sqrt\kappa)^{2n}` on :math:`\max_\lambda x_n^2/x_0^2` after the first stage.

    First stage [R]: :math:`\eta = 1/L`, :math:`\beta = (1-c/\sqrt\kappa)^2`, start
    :math:`x_{-1} = x_0`.  For :math:`V(x,y) = x^2 - a x y + \beta y^2` the identity
    :math:`V(As) = \beta V(s)` holds exactly (sympy-checked), :math:`V(x_0,x_0) = \eta\lambda x_0^2`
    and :math:`x^2 \le 4\beta V/(4\beta - a^2)` when the roots are complex.  With
    :math:`u = \eta\lambda\in[1/\kappa, 1]`,
    :math:`4\beta - a^2 = (u - c^2/\kappa)((1+\sqrt\beta)^2 - u)`, so

    .. math::
        \frac{x_n^2}{x_0^2} \le \beta^n \frac{4\beta u}{(u - c^2/\kappa)((1+\sqrt\beta)^2-u)}
        \le \beta^n\,\underbrace{\frac{4\sqrt\beta}{(2+\sqrt\beta)(1-c^2)}}_{\Gamma(c)} .

    Valid for :math:`0 < c < 1` (at :math:`c = 1` the edge :math:`\lambda = \mu` is a Jordan
    block and the factor grows like :math:`n^2`; ``inf`` is returned).

    References
    ----------
    .. [1] Pan et al., ICLR 2024, Algorithm 1 / Theorem 2 (parameters [R]).
    """
    kappa = check_kappa(kappa)
    n = check_int("n", n, minimum=0)
    c = check_positive("c", c)
    assert _v_identity_holds()
    if c >= 1.0:
        return float("inf")
    s = 1.0 - c / math.sqrt(kappa)
    return 4.0 * s / ((2.0 + s) * (1.0 - c * c)) * s ** (2 * n)


# --------------------------------------------------------------------------------------
# stage-wise bounds
# --------------------------------------------------------------------------------------
def _spectrum(spectrum, L: float, n_grid: int):
    """(eigenvalues, d, is_grid): an array is used as is; (kappa, d) gives a log grid of [L/kappa, L]."""
    if isinstance(spectrum, tuple) and len(spectrum) == 2:
        kappa, d = check_kappa(spectrum[0]), check_int("d", spectrum[1])
        L = check_positive("L", L)
        grid = np.geomspace(L / kappa, L, check_int("n_grid", n_grid, minimum=2))
        grid[0], grid[-1] = L / kappa, L
        return grid, d, True
    ev = check_spectrum(spectrum)
    return ev, ev.size, False


def _noise_q(noise: str, lam, sigma, M):
    if noise == "anisotropic":
        return sigma**2 * lam / M
    if noise == "isotropic":
        return np.full_like(lam, sigma**2 / M)
    raise ValueError(f"unknown noise {noise!r}; available: {', '.join(NOISE_KINDS)}")


def stagewise_bound(
    spectrum,
    etas: Sequence[float],
    lengths: Sequence[int],
    beta: float,
    sigma: float,
    M: int,
    f0: float,
    *,
    L: float | None = None,
    noise: str = "anisotropic",
    n_grid: int = 4001,
) -> dict:
    r"""Bias + variance upper bound for SHB / SGD with a piecewise-constant schedule.

    See the module docstring for the construction: bias
    :math:`\le f_0\max_\lambda\varphi(\lambda)^2`, variance
    :math:`\le \tfrac12\sum_i\lambda_i\sum_\ell e_1^\top\Psi_\ell P_\ell\Psi_\ell^\top e_1`.

    Parameters
    ----------
    spectrum : array (d,) or tuple (kappa, d)
        Eigenvalues (rigorous bound), or ``(kappa, d)``: worst case over
        :math:`\lambda\in[L/\kappa, L]`, taken as the maximum over a log grid of
        ``n_grid`` points (a numerical supremum: bias ``f0 * max phi^2``, variance
        ``d * max`` of the per-direction bound).
    etas, lengths : per-stage step sizes and lengths
    beta : float
    sigma, M : noise level and batch size
    f0 : float
        Initial suboptimality :math:`f(w_0) - f^\star`.
    L : float, optional
        Largest eigenvalue for the ``(kappa, d)`` form (default 1).
    noise : {"anisotropic", "isotropic"}
        :math:`q_i = \sigma^2\lambda_i/M` or :math:`\sigma^2/M`.

    Returns
    -------
    dict
        ``bias``, ``variance``, ``total``, ``final_stage_stationary`` (stationary risk of
        the last stage), ``transfer`` (:math:`\varphi` per direction), ``eigenvalues``.
        ``inf`` if a stage is unstable for some direction.
    """
    lam, d, is_grid = _spectrum(spectrum, 1.0 if L is None else L, n_grid)
    etas = [check_positive(f"etas[{i}]", e) for i, e in enumerate(etas)]
    lengths = [check_int(f"lengths[{i}]", n) for i, n in enumerate(lengths)]
    if len(etas) != len(lengths) or not etas:
        raise ValueError("etas and lengths must be non-empty and of equal length")
    M = check_int("M", M)
    sigma = check_positive("sigma", sigma, allow_zero=True)
    f0 = check_positive("f0", f0, allow_zero=True)
    q = _noise_q(noise, lam, sigma, M)
    stable = all(np.all(e * lam < 2 * (1 + beta)) for e in etas) and 0 <= beta < 1
    Phis = [matrix_power(e, beta, lam, n) for e, n in zip(etas, lengths, strict=True)]
    # transfer of the initial state (x0, x0)
    s = np.ones(lam.shape + (2, 1))
    for Phi in Phis:
        s = Phi @ s
    phi = s[..., 0, 0]
    # variance: stationary covariance of each stage transported to T (back to front)
    var_dir = np.zeros_like(lam)
    Psi = np.broadcast_to(np.eye(2), lam.shape + (2, 2)).copy()
    for ell in range(len(etas) - 1, -1, -1):
        P = stationary_covariance(etas[ell], beta, lam, q)
        var_dir += (Psi @ P @ np.swapaxes(Psi, -1, -2))[..., 0, 0]
        Psi = Psi @ Phis[ell]
    var_dir = 0.5 * lam * var_dir
    P_last = stationary_covariance(etas[-1], beta, lam, q)[..., 0, 0]
    final_dir = 0.5 * lam * P_last
    if is_grid:
        bias = f0 * float(np.max(phi**2))
        variance = d * float(np.max(var_dir))
        final = d * float(np.max(final_dir))
    else:
        bias = f0 * float(np.max(phi**2))
        variance = float(np.sum(var_dir))
        final = float(np.sum(final_dir))
    if not stable:
        bias = variance = final = float("inf")
    return {
        "bias": bias,
        "variance": variance,
        "total": bias + variance,
        "final_stage_stationary": final,
        "transfer": phi,
        "eigenvalues": lam,
    }


def multistage_shb_bound(
    spectrum,
    sigma: float,
    M: int,
    T: int,
    f0: float,
    n_stages: int = 4,
    factor: float = 2.0,
    c: float = 1.0,
    *,
    L: float | None = None,
    stage_lengths: Sequence[int] | None = None,
    noise: str = "anisotropic",
    n_grid: int = 4001,
) -> dict:
    r"""Upper bound on :math:`\mathbb E f(w_T) - f^\star` of multistage SHB (Pan et al., Theorem 2 [R]).

    Algorithm (as ``theory_lab.optimizers.make("multistage_shb", ...)``; equal stages [V],
    constants [R]):
    :math:`\eta_\ell = \eta_1 C^{-(\ell-1)}`, :math:`\eta_1 = 1/L`,
    :math:`\beta = (1-c/\sqrt\kappa)^2` (:func:`theory_lab.theory.heavy_ball.shb_theory_params`),
    ``n_stages`` equal stages (or ``stage_lengths``), :math:`C` = ``factor``.

    Bound: :func:`stagewise_bound` (module docstring).  Theorem 2's shape,
    :math:`e^{-\Omega(T/(\sqrt\kappa\log T))} f_0 + \tilde O(d\sigma^2/(MT))`, is read off
    the returned constants: the first-stage contraction
    ``first_stage_factor`` :math:`=\Gamma(c)(1-c/\sqrt\kappa)^{2n_1}`
    (:func:`first_stage_bias_factor`, for :math:`c<1`), ``late_amplification``
    :math:`A = (1 + 1/\beta)\max_\lambda \|\Phi_K\cdots\Phi_2\|_2^2` (1 for one stage;
    the transient of the later stages), so that for :math:`c < 1`

    .. math::
        \text{bias} \le f_0\,\Gamma(c)\Big(1-\frac{c}{\sqrt\kappa}\Big)^{2n_1} A

    (the state after stage 1 has :math:`x_{n_1}^2 + x_{n_1-1}^2 \le \Gamma\beta^{n_1}(1+1/\beta)x_0^2`),
    and the last stage's stationary risk
    ``final_stage_stationary`` (:math:`\le \eta_K\sigma^2\operatorname{tr}H/(2M(1-\beta))`
    for anisotropic noise) against ``floor`` :math:`= d\sigma^2/(MT)`.

    Parameters
    ----------
    spectrum : array (d,) or tuple (kappa, d)
        Eigenvalues (rigorous) or ``(kappa, d)`` (numerical supremum over a grid).
    sigma, M, T, f0 : noise level, batch size, horizon, initial suboptimality.
    n_stages, factor, c : [R] algorithm constants.
    L : float, optional
        Largest eigenvalue for the ``(kappa, d)`` form (default 1).
    stage_lengths : sequence of int, optional
        Overrides the equal split of ``T`` into ``n_stages``.
    noise : {"anisotropic", "isotropic"}

    Returns
    -------
    dict
        ``bias``, ``variance``, ``total``, ``final_stage_stationary``, ``floor``,
        ``first_stage_factor``, ``late_amplification``, ``eta0``, ``beta``, ``etas``,
        ``stage_lengths``.

    References
    ----------
    .. [1] Pan et al., ICLR 2024, Algorithm 1 and Theorem 2 (constants [R]).
    """
    lam, d, _ = _spectrum(spectrum, 1.0 if L is None else L, 2)
    L_, mu = float(lam.max()), float(lam.min())
    kappa = L_ / mu
    T = check_int("T", T)
    lengths = list(stage_lengths) if stage_lengths is not None else equal_stages(T, n_stages)
    if sum(lengths) != T:
        raise ValueError(f"stage lengths sum to {sum(lengths)}, expected T={T}")
    c = check_positive("c", c)
    if c > math.sqrt(kappa):
        raise ValueError(f"c must be <= sqrt(kappa) = {math.sqrt(kappa):.6g}, got {c!r}")
    eta0, beta = 1.0 / L_, (1.0 - c / math.sqrt(kappa)) ** 2
    etas = [eta0 / factor**k for k in range(len(lengths))]
    out = stagewise_bound(
        spectrum, etas, lengths, beta, sigma, M, f0, L=L, noise=noise, n_grid=n_grid
    )
    lam_eval = out["eigenvalues"]
    late = 1.0
    if len(lengths) > 1:
        Psi = np.broadcast_to(np.eye(2), lam_eval.shape + (2, 2)).copy()
        for e, n in zip(etas[1:], lengths[1:], strict=True):
            Psi = matrix_power(e, beta, lam_eval, n) @ Psi
        op2 = np.linalg.eigvalsh(np.swapaxes(Psi, -1, -2) @ Psi)[..., -1]
        late = (1.0 + 1.0 / beta) * float(np.max(op2)) if beta > 0 else float("inf")
    out.update(
        floor=d * sigma**2 / (M * T),
        first_stage_factor=first_stage_bias_factor(kappa, lengths[0], c),
        late_amplification=late,
        eta0=eta0,
        beta=beta,
        etas=etas,
        stage_lengths=lengths,
    )
    return out


def step_decay_sgd_bound(
    spectrum,
    sigma: float,
    M: int,
    T: int,
    f0: float,
    eta0: float | None = None,
    *,
    L: float | None = None,
    noise: str = "anisotropic",
    n_grid: int = 4001,
) -> dict:
    r"""Upper bound on :math:`\mathbb E f(w_T) - f^\star` of step-decay SGD (Ge et al. 2019 schedule).

    Schedule :func:`theory_lab.schedules.ge_step_decay`: :math:`\lceil\log_2 T\rceil`
    equal phases, step halved each phase, :math:`\eta_0 = 1/L` by default.  With
    :math:`\beta = 0` everything is scalar: :math:`\varphi(\lambda) = \prod_\ell (1-\eta_\ell\lambda)^{n_\ell}`
    and the stationary variance of phase :math:`\ell` is
    :math:`\eta_\ell q/(\lambda(2-\eta_\ell\lambda))`; the bound is :func:`stagewise_bound`
    at :math:`\beta = 0` (relaxations: worst allocation of :math:`f_0`; each phase's
    injected variance replaced by its stationary value).  Pan et al. Theorem 1 says the
    bias of any SGD needs :math:`\Omega(\kappa)` steps per :math:`e`-fold; here the bias
    term is :math:`\le f_0 \max_\lambda \prod_\ell (1-\eta_\ell\lambda)^{2n_\ell}
    \approx f_0 e^{-2 T/(\kappa\log_2 T)}`.

    Returns
    -------
    dict
        As :func:`stagewise_bound`, plus ``floor``, ``etas``, ``stage_lengths``.

    References
    ----------
    .. [1] Ge et al., NeurIPS 2019.  .. [2] Pan et al., ICLR 2024, Theorem 1.
    """
    lam, d, _ = _spectrum(spectrum, 1.0 if L is None else L, 2)
    T = check_int("T", T)
    eta0 = 1.0 / float(lam.max()) if eta0 is None else check_positive("eta0", eta0)
    sched = ge_step_decay(eta0, T)
    lengths = list(np.diff(list(sched.starts) + [T]).astype(int))
    etas = list(sched.values)
    out = stagewise_bound(spectrum, etas, lengths, 0.0, sigma, M, f0, L=L, noise=noise, n_grid=n_grid)
    out.update(
        floor=d * sigma**2 / (M * T),
        etas=etas,
        stage_lengths=[int(n) for n in lengths],
    )
    return out


__all__ = [
    "first_stage_bias_factor",
    "multistage_shb_bound",
    "sgd_bias_iterations",
    "shb_bias_iterations",
    "stagewise_bound",
    "step_decay_sgd_bound",
    "variance_floor",
    "variance_lower_bound",
]
