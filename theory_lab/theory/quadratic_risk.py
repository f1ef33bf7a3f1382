r"""Exact expected suboptimality of SGD / stochastic heavy ball on a noisy quadratic.

Setting: :math:`f(w) = \tfrac12 (w-w^\star)^\top H (w-w^\star)`, :math:`H = Q\Lambda Q^\top`,
oracle :math:`g = \nabla f(w) + n` with :math:`\mathbb E[n \mid \mathcal F_t] = 0`, and the
iteration (displacement form, :math:`w_{-1} = w_0`, any step-size schedule, fixed
:math:`\beta`)

.. math:: w_{t+1} = w_t - \eta_t g_t + \beta (w_t - w_{t-1}).

In eigen-coordinates :math:`x = Q^\top (w - w^\star)` every direction :math:`i` evolves on
its own:

.. math::
    s_{t+1} = A_t s_t - \eta_t n_{t,i} e_1, \qquad
    s_t = \begin{pmatrix}x_{t,i}\\ x_{t-1,i}\end{pmatrix}, \quad
    A_t = \begin{pmatrix}1+\beta-\eta_t\lambda_i & -\beta\\ 1 & 0\end{pmatrix}.

Since the noise has zero conditional mean, the mean :math:`m_t = \mathbb E s_t` and the
covariance :math:`C_t` obey, exactly,

.. math::
    m_{t+1} = A_t m_t, \qquad C_{t+1} = A_t C_t A_t^\top + \eta_t^2 q_{t,i}\, e_1 e_1^\top ,

where :math:`q_{t,i} = \mathbb E[n_{t,i}^2]` is the noise variance along eigenvector
:math:`i`.  Only the *diagonal* of :math:`Q^\top \Sigma Q` enters :math:`\mathbb E f`
(cross-covariances between directions never touch :math:`\mathbb E x_i^2`), so the
recursion is exact for

* additive noise with fixed covariance :math:`\Sigma` (``AnisotropicNoise``:
  :math:`q_i = \sigma^2\lambda_i/M`; ``IsotropicNoise``: :math:`q_i = \sigma^2/M`);
* the Gaussian least-squares oracle (``LeastSquaresOracle``), whose covariance depends on
  the iterate: :math:`\mathrm{Cov}(n \mid w) = [(\sigma^2 + \Delta^\top H\Delta) H + H\Delta\Delta^\top H]/M`,
  so :math:`q_{t,i} = [\sigma^2\lambda_i + \lambda_i \cdot 2\,\mathbb E(f(w_t)-f^\star) + \lambda_i^2\,\mathbb E x_{t,i}^2]/M`
  -- still a closed recursion in the second moments (option ``ls_batch_size``).

The expected suboptimality is
:math:`\mathbb E f(w_t) - f^\star = \tfrac12\sum_i \lambda_i (m_{t,i,1}^2 + C_{t,i,11})`:
*bias* (from the mean) plus *variance* (from the covariance).  Cost :math:`O(Td)`.

For piecewise-constant schedules :func:`expected_risk_stagewise` gives the same numbers
in :math:`O(Kd)` (:math:`K` stages) from the closed forms of :math:`A^n` and of the
stationary covariance :math:`P` (:mod:`theory_lab.theory.heavy_ball`), using
:math:`\sum_{j<n} A^j e_1e_1^\top A^{j\top}\eta^2 q = P - A^n P A^{n\top}`.

References
----------
.. [1] R. Pan, Y. Liu, X. Wang, T. Zhang. "Accelerated Convergence of Stochastic Heavy
   Ball Method under Anisotropic Gradient Noise." ICLR 2024. arXiv:2312.14567.
.. [2] R. Ge, S. M. Kakade, R. Kidambi, P. Netrapalli. "The Step Decay Schedule: A Near
   Optimal, Geometrically Decaying Learning Rate Procedure For Least Squares." NeurIPS 2019.
.. [3] R. Kidambi, P. Netrapalli, P. Jain, S. Kakade. "On the insufficiency of existing
   momentum schemes for stochastic optimization." ICLR 2018.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..schedules import Schedule, constant, make_schedule
from ..validation import check_int, check_momentum, check_positive, check_spectrum
from .heavy_ball import matrix_power, stationary_covariance, stationary_covariance_expr


def _schedule_fn(schedule) -> Callable[[int], float]:
    if isinstance(schedule, Schedule) or callable(schedule):
        return schedule
    return constant(float(schedule))


def _steps(T: int, steps) -> np.ndarray:
    if steps is None:
        return np.arange(T + 1)
    steps = np.asarray(steps, dtype=np.int64)
    if steps.ndim != 1 or np.any(steps < 0) or np.any(steps > T):
        raise ValueError(f"steps must be a 1-D array of integers in [0, T={T}]")
    return steps


def expected_risk(
    eigenvalues,
    coords0,
    schedule,
    beta: float,
    noise_variances,
    T: int,
    steps=None,
    *,
    ls_batch_size: int | None = None,
    return_parts: bool = False,
):
    r"""Exact :math:`\mathbb E f(w_t) - f^\star` of SGD / SHB on a quadratic, by the moment recursion.

    .. math::
        m_{t+1} = A_t m_t, \qquad C_{t+1} = A_t C_t A_t^\top + \eta_t^2\,\mathrm{diag}(q_t)\,e_1e_1^\top,
        \qquad \mathbb E f(w_t) - f^\star = \tfrac12 \sum_i \lambda_i \big(m_{t,i}^2 + C_{t,i}\big)

    (see the module docstring), vectorized over the :math:`d` directions: :math:`O(Td)`.

    Parameters
    ----------
    eigenvalues : array (..., d)
        Spectrum of :math:`H` (leading axes: independent problems, broadcast with the rest).
    coords0 : array (..., d)
        Initial error in the eigenbasis, ``problem.eigen_coordinates(w0 - w_star)``.
    schedule : callable ``t -> eta_t`` (e.g. :class:`theory_lab.schedules.Schedule`) or float
        Step size used for the step from :math:`t` to :math:`t+1`, :math:`t = 0..T-1`.
    beta : float in [0, 1)
        Momentum (0: SGD).
    noise_variances : array (..., d)
        :math:`q_i`, e.g. ``noise.eigen_variances(eigenvalues, M)``.
    T : int
        Horizon.
    steps : array of int, optional
        Steps at which to report (default ``0..T``).
    ls_batch_size : int, optional
        Add the iterate-dependent part of the Gaussian least-squares oracle with batch
        size ``M``: :math:`q_{t,i} \mathrel{+}= [2\lambda_i\,\mathbb E(f_t - f^\star) + \lambda_i^2 \mathbb E x_{t,i}^2]/M`.
    return_parts : bool
        Also return the bias and variance parts.

    Returns
    -------
    numpy.ndarray (..., len(steps)), or dict with ``total``, ``bias``, ``variance``
        when ``return_parts``.

    References
    ----------
    .. [1] Pan et al., ICLR 2024 (setting).  The recursion itself is exact linear algebra.
    """
    lam = check_spectrum(np.ravel(eigenvalues)).reshape(np.shape(eigenvalues))
    beta = check_momentum("momentum beta", beta)
    T = check_int("T", T, minimum=0)
    eta_of = _schedule_fn(schedule)
    steps = _steps(T, steps)
    lam, x0, q = np.broadcast_arrays(lam, np.asarray(coords0, float), np.asarray(noise_variances, float))
    lam = lam.astype(float)
    if np.any(q < 0):
        raise ValueError("noise_variances must be >= 0")
    mx = x0.astype(float).copy()
    my = mx.copy()
    cxx = np.zeros_like(mx)
    cxy = np.zeros_like(mx)
    cyy = np.zeros_like(mx)
    shape = lam.shape[:-1] + (len(steps),)
    out_b, out_v = np.zeros(shape), np.zeros(shape)
    want = np.zeros(T + 1, dtype=bool)
    want[steps] = True
    rec = {}
    M = None if ls_batch_size is None else check_int("ls_batch_size", ls_batch_size)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T + 1):
            if want[t]:
                rec[t] = (0.5 * np.sum(lam * mx * mx, axis=-1), 0.5 * np.sum(lam * cxx, axis=-1))
            if t == T:
                break
            eta = float(eta_of(t))
            a = 1.0 + beta - eta * lam
            qt = q
            if M is not None:
                ex2 = mx * mx + cxx
                risk = 0.5 * np.sum(lam * ex2, axis=-1, keepdims=True)
                qt = q + (2.0 * lam * risk + lam * lam * ex2) / M
            if beta == 0.0:
                mx = a * mx
                cxx = a * a * cxx + eta * eta * qt
                continue
            nxx = a * a * cxx - 2.0 * a * beta * cxy + beta * beta * cyy + eta * eta * qt
            cxy, cyy, cxx = a * cxx - beta * cxy, cxx, nxx
            mx, my = a * mx - beta * my, mx
    for k, s in enumerate(steps):
        out_b[..., k], out_v[..., k] = rec[int(s)]
    total = out_b + out_v
    if return_parts:
        return {"total": total, "bias": out_b, "variance": out_v, "steps": steps}
    return total


def expected_risk_stagewise(
    eigenvalues,
    coords0,
    etas: Sequence[float],
    lengths: Sequence[int],
    beta: float,
    noise_variances,
    *,
    return_parts: bool = False,
    at_stage_ends: bool = False,
):
    r"""Exact expected risk after a piecewise-constant schedule, in :math:`O(Kd)`.

    Stage :math:`\ell` runs :math:`n_\ell` steps at :math:`\eta_\ell`.  With
    :math:`\Phi_\ell = A_\ell^{n_\ell}` (closed form, :func:`theory_lab.theory.heavy_ball.matrix_power`)
    and :math:`P_\ell` the (Stein) solution of :math:`P = A_\ell P A_\ell^\top + \eta_\ell^2 q e_1e_1^\top`,

    .. math::
        m \leftarrow \Phi_\ell m, \qquad C \leftarrow \Phi_\ell C \Phi_\ell^\top + P_\ell - \Phi_\ell P_\ell \Phi_\ell^\top .

    Agrees with :func:`expected_risk` to rounding for additive noise (not for
    ``ls_batch_size``).

    Parameters
    ----------
    eigenvalues, coords0, noise_variances : arrays (..., d)
    etas, lengths : sequences of length K
    beta : float in [0, 1)
    return_parts : bool
        Return a dict ``total``, ``bias``, ``variance`` instead of the total.
    at_stage_ends : bool
        Values after every stage (last axis of length K) instead of only the final one.

    Returns
    -------
    float / numpy.ndarray, or dict
    """
    lam = check_spectrum(np.ravel(eigenvalues)).reshape(np.shape(eigenvalues))
    beta = check_momentum("momentum beta", beta)
    etas = [float(e) for e in etas]
    lengths = [check_int(f"lengths[{i}]", n) for i, n in enumerate(lengths)]
    if len(etas) != len(lengths) or not etas:
        raise ValueError("etas and lengths must be non-empty and of equal length")
    lam, x0, q = np.broadcast_arrays(lam, np.asarray(coords0, float), np.asarray(noise_variances, float))
    m = np.stack([x0, x0], axis=-1)[..., None].astype(float)  # (..., d, 2, 1)
    C = np.zeros(lam.shape + (2, 2))
    bias, var = [], []
    for eta, n in zip(etas, lengths, strict=True):
        Phi = matrix_power(eta, beta, lam, n)
        P = stationary_covariance(eta, beta, lam, q, algebraic=True)
        PhiT = np.swapaxes(Phi, -1, -2)
        m = Phi @ m
        C = Phi @ C @ PhiT + P - Phi @ P @ PhiT
        bias.append(0.5 * np.sum(lam * m[..., 0, 0] ** 2, axis=-1))
        var.append(0.5 * np.sum(lam * C[..., 0, 0], axis=-1))
    if at_stage_ends:
        bias, var = np.stack(bias, axis=-1), np.stack(var, axis=-1)
    else:
        bias, var = bias[-1], var[-1]
    if return_parts:
        return {"total": bias + var, "bias": bias, "variance": var}
    return bias + var


def noiseless_risk(eigenvalues, coords0, eta: float, beta: float, steps) -> np.ndarray:
    r"""Exact :math:`f(w_t) - f^\star` of deterministic heavy ball / GD at the given steps.

    With constant :math:`(\eta, \beta)` and :math:`w_{-1} = w_0`, each eigen-coordinate is
    :math:`x_t = e_1^\top A^t (x_0, x_0)^\top = (h_t - \beta h_{t-1})\, x_0` (closed form of
    :math:`A^t`, :func:`theory_lab.theory.heavy_ball.matrix_power`), so

    .. math::
        f(w_t) - f^\star = \tfrac12 \sum_i \lambda_i x_{0,i}^2 (h_t - \beta h_{t-1})^2 ,

    evaluated for all ``steps`` at once (vectorized, no loop over :math:`t`).  Equals
    :func:`expected_risk` with zero noise.

    Parameters
    ----------
    eigenvalues, coords0 : arrays (d,)
    eta, beta : step size and momentum
    steps : array of int >= 0
    """
    lam = check_spectrum(eigenvalues)
    x0 = np.asarray(coords0, dtype=float)
    steps = np.asarray(steps, dtype=np.int64)
    out = np.empty(steps.shape, dtype=float)
    flat, res = steps.ravel(), out.reshape(-1)
    chunk = max(1, (1 << 21) // lam.size)
    for i in range(0, flat.size, chunk):
        t = flat[i:i + chunk, None]
        pos = np.maximum(t, 1)
        A = matrix_power(eta, beta, lam[None, :], pos)
        x = np.where(t == 0, 1.0, A[..., 0, 0] + A[..., 0, 1])  # e1^T A^t (1, 1)^T
        res[i:i + chunk] = 0.5 * np.sum(lam * (x0 * x) ** 2, axis=-1)
    return out


def first_step_below(eigenvalues, coords0, eta: float, beta: float, eps: float, T: int) -> int:
    """First ``t <= T`` with :func:`noiseless_risk` ``<= eps`` (``-1`` if none)."""
    eps = check_positive("eps", eps)
    for start in range(0, T + 1, 1 << 14):
        steps = np.arange(start, min(T, start + (1 << 14) - 1) + 1)
        hit = np.flatnonzero(noiseless_risk(eigenvalues, coords0, eta, beta, steps) <= eps)
        if hit.size:
            return int(steps[hit[0]])
    return -1


def _problem_arrays(problem):
    return problem.spectrum, problem.initial_error_coordinates()


def expected_risk_for(
    problem,
    schedule,
    beta: float = 0.0,
    batch_size: int = 1,
    T: int = 1,
    steps=None,
    *,
    return_parts: bool = False,
):
    r""":func:`expected_risk` for a :class:`problems.Quadratic` (eigenbasis, :math:`w_0`, noise read off it).

    Parameters
    ----------
    problem : problems.Quadratic
    schedule : Schedule, schedule spec (see :func:`theory_lab.schedules.make_schedule`) or float
    beta : float
        Momentum (0: SGD), as in :func:`theory_lab.optimizers.heavy_ball`.
    batch_size : int
        Mini-batch size :math:`M`.
    T : int
    steps : array of int, optional
        E.g. the ``steps`` returned by :func:`theory_lab.runner.run`.
    return_parts : bool

    Returns
    -------
    numpy.ndarray (len(steps),) or dict (see :func:`expected_risk`)

    Notes
    -----
    For ``noise="least_squares"`` the iterate-dependent covariance of the Gaussian
    least-squares oracle is included exactly (``ls_batch_size=batch_size``).
    """
    M = check_int("batch_size", batch_size)
    sched = schedule if callable(schedule) else make_schedule(schedule, T)
    ev, x0 = _problem_arrays(problem)
    q = problem.noise.eigen_variances(ev, M)
    ls = M if getattr(problem.noise, "kind", None) == "least_squares" else None
    return expected_risk(
        ev, x0, sched, beta, q, T, steps, ls_batch_size=ls, return_parts=return_parts
    )


def stationary_risk_sgd(eta: float, eigenvalues, noise_variances) -> float:
    r"""Stationary expected suboptimality of constant-step SGD.

    .. math:: \lim_{t\to\infty} \mathbb E f(w_t) - f^\star = \sum_i \frac{\eta\, q_i}{2(2 - \eta\lambda_i)}

    (per direction the variance solves :math:`v = (1-\eta\lambda)^2 v + \eta^2 q`).
    ``inf`` if some :math:`\eta\lambda_i \ge 2`.
    """
    ev = check_spectrum(eigenvalues)
    q = np.broadcast_to(np.asarray(noise_variances, float), ev.shape)
    if np.any(eta * ev >= 2.0):
        return float("inf")
    return float(np.sum(eta * q / (2.0 * (2.0 - eta * ev))))


def stationary_risk_hb(eta: float, beta: float, eigenvalues, noise_variances) -> float:
    r"""Stationary expected suboptimality of constant-parameter SHB (derived with sympy).

    Solving the 2x2 Lyapunov equation :math:`P = APA^\top + \eta^2 q e_1e_1^\top`
    (:func:`theory_lab.theory.heavy_ball.stationary_covariance_expr`):

    .. math::
        \lim_{t\to\infty} \mathbb E f(w_t) - f^\star
        = \sum_i \frac{\eta\, q_i\,(1+\beta)}{2(1-\beta)\,\big(2(1+\beta) - \eta\lambda_i\big)} ,

    which is SGD's value at :math:`\beta = 0` and, for :math:`\eta\lambda_i \ll 1`, SGD's
    with the effective step :math:`\eta/(1-\beta)`.  ``inf`` if unstable.

    References
    ----------
    .. [1] R. Kidambi et al., ICLR 2018 (SHB with small batches cannot beat SGD).
    """
    ev = check_spectrum(eigenvalues)
    beta = check_momentum("momentum beta", beta)
    q = np.broadcast_to(np.asarray(noise_variances, float), ev.shape)
    if np.any(eta * ev >= 2.0 * (1.0 + beta)):
        return float("inf")
    P = stationary_covariance(eta, beta, ev, q)
    return float(np.sum(0.5 * ev * P[..., 0, 0]))


__all__ = [
    "expected_risk",
    "expected_risk_for",
    "expected_risk_stagewise",
    "stationary_covariance_expr",
    "stationary_risk_hb",
    "stationary_risk_sgd",
]
