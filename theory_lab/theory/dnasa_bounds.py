r"""D-NASA's step sizes and its :math:`O((nK)^{-1/4})` rate as code (Li, Chen, Ma, Hong 2024).

Setting ([V], papers.md): :math:`n` agents on a graph with a doubly stochastic mixing
matrix :math:`W`, :math:`f = \frac1n\sum_i f_i` smooth and possibly non-convex, unbiased
local stochastic gradients with variance :math:`\le\sigma^2`; normalized steps along a
gossiped moving-average (momentum) gradient estimate; step sizes from :math:`\alpha_0, \gamma_0`,
:math:`n` and the horizon :math:`K` only,

.. math::

    \alpha = \alpha_0\sqrt{n/K}, \qquad \gamma = \gamma_0\, n^{1/4} / K^{3/4},

and :math:`\frac1K\sum_{k<K} E\|\nabla f(\bar x_k)\| = O((nK)^{-1/4})`: linear speedup in
:math:`n` (an accuracy :math:`\epsilon` needs :math:`K = O(\epsilon^{-4}/n)` iterations).

Roles **[V]** (the authors' public code, ``JasonJiaxiangLi/decen_mpi4py``,
``synthetic_linear_speedup.py``, ``mode="constant"``, with :math:`\alpha_0 = \gamma_0 = 1`):
:math:`\alpha` is the *moving-average weight* :math:`z^+ = (1-\alpha)z + \alpha g` (so it
must lie in :math:`(0, 1]`) and :math:`\gamma` is the *normalized step* :math:`x_i^+ = x_i -
\gamma z_i/\|z_i\|`, followed by one gossip round on :math:`(X, Z)`
(:mod:`theory_lab.decentralized.dnasa`).  The other assignment (step :math:`\sqrt{n/K}`,
weight :math:`K^{-3/4}`) could not give the rate: the momentum would lag
:math:`1/\text{weight} = K^{3/4}` steps of length :math:`\sqrt{n/K}`, an error
:math:`L n^{1/4}K^{1/4}` that grows with :math:`K`.

The bound **[R]** (:func:`dnasa_bound`; loose: measured/bound about 0.002, reported as
"holds, loose" by the claim ``dnasa.rate_bound``; our derivation in the style of Cutkosky & Mehta's
normalized-momentum analysis, not the paper's constants).  With :math:`\bar x` the network
average, :math:`\epsilon_k = \bar z_k - \nabla f(\bar x_k)` (:math:`W` doubly stochastic keeps :math:`\bar z` the
moving average of the agents' gradients; the authors' update has no separate tracker, and
:math:`y_i` below stands for the direction :math:`z_i` each agent normalizes; the lab's
earlier tracked variant has :math:`\bar y = \bar z`), :math:`\lambda = \|W - \frac1n 11^\top\|_2 < 1` and the lemma
:math:`\langle g, y/\|y\|\rangle \ge \|g\|/3 - \frac83\|y - g\|`:

* descent: :math:`f(\bar x_{k+1}) \le f(\bar x_k) - \frac\gamma3\|\nabla f(\bar x_k)\| +
  \frac{8\gamma}3\bigl(\|\epsilon_k\| + \frac1n\sum_i\|y_{i,k} - \bar y_k\|\bigr) +
  \frac L2\gamma^2`;
* consensus of :math:`x` (unit-norm directions): :math:`\frac1n\sum_i\|x_i - \bar x\| \le
  \gamma/(1 - \lambda)`;
* momentum error: :math:`\frac1K\sum E\|\epsilon_k\| \le \frac{\|\epsilon_0\|}{\alpha K} +
  \frac{L\gamma}\alpha + \frac{L_l\gamma}{1-\lambda} + \sigma\sqrt{\alpha/n}`;
* tracking error: :math:`\frac1K\sum \frac1n\sum_i E\|y_i - \bar y\| \le
  \frac{\zeta_0 + \sigma}{(1-\lambda)K} + \frac{2\alpha\sigma + 2L\gamma}{1-\lambda}`.

Summing, with :math:`\Delta = f(x_0) - \inf f`,

.. math::

    \frac1K\sum_{k<K} E\|\nabla f(\bar x_k)\| \le
    \underbrace{\frac{3\Delta}{\gamma K} + \frac{8L\gamma}{\alpha} + 8\sigma\sqrt{\alpha/n}}_{
      = (3\Delta/\gamma_0 + 8L\gamma_0/\alpha_0 + 8\sigma\sqrt{\alpha_0})\,(nK)^{-1/4}}
    + \underbrace{\frac{3L\gamma}2 + \frac{8(L_l + 2L)\gamma + 16\alpha\sigma}{1-\lambda}
      + \frac{8}{K}\Bigl(\frac{\|\epsilon_0\|}{\alpha} + \frac{\zeta_0 + \sigma}{1-\lambda}\Bigr)}_{
      \text{higher order in } K}.

The three leading terms are all :math:`\propto (nK)^{-1/4}`, whatever :math:`\alpha_0,
\gamma_0`: the problem constants only enter the prefactor (parameter-free).  The
higher-order terms decay like :math:`\sqrt{n/K}/(1-\lambda)` or faster but *grow* with
:math:`n` and with :math:`1/(1-\lambda)`: on a ring (:math:`1-\lambda \sim n^{-2}`) they
dominate for a long transient (:func:`transient_horizon`), which is why the linear
speedup in :math:`n` is measured on well-connected graphs.

References
----------
.. [1] J. Li, X. Chen, S. Ma, M. Hong. "Problem-Parameter-Free Decentralized Nonconvex
   Stochastic Optimization." arXiv:2402.08821, 2024.
.. [2] A. Cutkosky, H. Mehta. "Momentum Improves Normalized SGD." ICML 2020.
.. [3] Official code: github.com/JasonJiaxiangLi/decen_mpi4py (step sizes, ``mode="constant"``).
"""

from __future__ import annotations

import math

from ..validation import check_int, check_positive

__all__ = ["PREDICTED_EXPONENTS", "dnasa_bound", "dnasa_parameters", "rate", "transient_horizon"]

#: exponents of the average gradient norm in K (fixed n) and in n (fixed K)
PREDICTED_EXPONENTS = {"K": -0.25, "n": -0.25}


def dnasa_parameters(alpha0: float, gamma0: float, n: int, K: int) -> dict:
    r"""``{"alpha": alpha0*sqrt(n/K), "gamma": gamma0*n**0.25/K**0.75}`` with checks.

    Raises ``ValueError`` naming the value for ``alpha0 <= 0``, ``gamma0 <= 0`` (or
    non-finite), ``n < 1``, ``K < 1`` (non-integers included) and for a moving-average
    weight :math:`\alpha > 1` (``alpha0 > sqrt(K/n)``).
    """
    alpha0 = check_positive("alpha0", alpha0)
    gamma0 = check_positive("gamma0", gamma0)
    n = check_int("n (number of agents)", n)
    K = check_int("K (horizon)", K)
    alpha = alpha0 * math.sqrt(n / K)
    if alpha > 1.0:
        raise ValueError(f"moving-average weight alpha = alpha0*sqrt(n/K) = {alpha:.4g} > 1 "
                         f"(alpha0 = {alpha0!r}, n = {n}, K = {K}); need alpha0 <= sqrt(K/n) = {math.sqrt(K / n):.4g}")
    return {"alpha": alpha, "gamma": gamma0 * n ** 0.25 / K ** 0.75}


def rate(n, K, C: float = 1.0):
    r""":math:`C\,(nK)^{-1/4}` (numbers or numpy arrays)."""
    return C * (n * K) ** -0.25


def dnasa_bound(K: int, n: int, alpha0: float, gamma0: float, *, L: float, sigma: float, Delta: float,
                gap: float, L_l: float | None = None, eps0: float = 0.0, zeta0: float = 0.0) -> dict:
    r"""The [R] bound of the module docstring, term by term.

    Parameters
    ----------
    K, n, alpha0, gamma0 : horizon, agents, step-size coefficients.
    L, L_l : global and local smoothness (``L_l`` defaults to ``L``).
    sigma : oracle standard deviation bound (:math:`\sqrt{\sigma^2}`).
    Delta : :math:`f(x_0) - \inf f` (an upper bound).
    gap : :math:`1 - \lambda` with :math:`\lambda = \|W - J\|_2`.
    eps0, zeta0 : initial momentum error :math:`\|\bar z_0 - \nabla f(x_0)\|` (the authors'
        :math:`z^0 = 0` gives :math:`\|\nabla f(x_0)\|`) and gradient heterogeneity at :math:`x_0`.

    Returns
    -------
    dict
        ``main`` (the :math:`(nK)^{-1/4}` part), ``main_coef`` (its prefactor),
        ``higher`` (the rest), ``total``, and each term.
    """
    p = dnasa_parameters(alpha0, gamma0, n, K)
    a, g = p["alpha"], p["gamma"]
    L = check_positive("L", L)
    L_l = L if L_l is None else check_positive("L_l", L_l)
    sigma = check_positive("sigma", sigma, allow_zero=True)
    Delta = check_positive("Delta", Delta, allow_zero=True)
    gap = check_positive("gap", gap)
    terms = {
        "descent": 3 * Delta / (g * K),
        "momentum_lag": 8 * L * g / a,
        "noise": 8 * sigma * math.sqrt(a / n),
        "curvature": 1.5 * L * g,
        "consensus": (8 * (L_l + 2 * L) * g + 16 * a * sigma) / gap,
        "initial": 8 / K * (eps0 / a + (zeta0 + sigma) / gap),
    }
    main = terms["descent"] + terms["momentum_lag"] + terms["noise"]
    higher = terms["curvature"] + terms["consensus"] + terms["initial"]
    coef = 3 * Delta / gamma0 + 8 * L * gamma0 / alpha0 + 8 * sigma * math.sqrt(alpha0)
    return {**terms, "main": main, "main_coef": coef, "higher": higher, "total": main + higher}


def transient_horizon(n: int, alpha0: float, gamma0: float, *, L: float, sigma: float, Delta: float,
                      gap: float, L_l: float | None = None, ratio: float = 0.1) -> int:
    """Smallest power-of-two K with the higher-order terms below ``ratio`` times the main part."""
    ratio = check_positive("ratio", ratio)
    K = max(1, math.ceil(alpha0 * alpha0 * n))
    K = 1 << max(0, (K - 1).bit_length())
    while K < 2 ** 62:
        b = dnasa_bound(K, n, alpha0, gamma0, L=L, sigma=sigma, Delta=Delta, gap=gap, L_l=L_l)
        if b["higher"] <= ratio * b["main"]:
            return K
        K *= 2
    return K
