r"""Complexities of decentralized finite-sum methods and FastMix's contraction.

Notation: :math:`m` agents, :math:`n` components each (:math:`N = mn`), global
:math:`\kappa = L/\mu`, local :math:`\kappa_l = L_l/\mu`, component
:math:`\kappa_{\max} = L_{\max}/\mu`, mean-squared :math:`\bar L`, spectral gap
:math:`\gamma = 1 - \lambda_2(W)`, target accuracy :math:`\epsilon` (relative to the
initial error, so the log factor is :math:`\log(1/\epsilon)`).

Labels: **[V]** confirmed from the paper's abstract/reviews or public code; **[R]**
reconstructed by us (standard analyses of the ingredients, our constants).  What the paper
states ([V], abstract of [1]_): computation (LIFO, computation rounds) depending on the
*global* condition number, with different mini-batch sizes per node.  It does **not**
mention acceleration: the "accelerated" row, the LIFO :math:`(N + \sqrt{N\bar L/\mu})
\log` and ``gt_katyusha`` are **[R] reconstructions of ours with no source**, not the
paper's claim.  The
``*_iterations`` functions give the iteration counts *with the constants of the step
sizes our implementations use* ([R]), so measurements can be compared with them; the
``complexity_table`` gives the three costs (communication rounds, LIFO = local
incremental first-order oracle calls summed over agents, computation rounds = per
iteration the largest number of oracle calls of one agent, summed).

References
----------
.. [1] Y. Liu, L. Chen, L. Luo. "Decentralized Convex Finite-Sum Optimization with Better
   Dependence on Condition Numbers." ICML 2024.
.. [2] H. Ye, L. Luo, Z. Zhou, T. Zhang. "Multi-consensus Decentralized Accelerated
   Gradient Descent." JMLR 24, 2023 (FastMix and its contraction, Mudag).
.. [3] H. Ye, W. Xiong, T. Zhang. "PMGT-VR: A decentralized proximal-gradient
   algorithmic framework with variance reduction." arXiv:2012.15010, 2020.
.. [4] D. Kovalev, S. Horvath, P. Richtarik. "Don't Jump Through Hoops and Remove Those
   Loops: SVRG and Katyusha are Better Without the Outer Loop." ALT 2020.
.. [5] A. Nedic, A. Olshevsky, W. Shi. "Achieving geometric convergence for distributed
   optimization over time-varying graphs" (DIGing). SIAM J. Optim. 27(4), 2017.
.. [6] W. Shi, Q. Ling, G. Wu, W. Yin. "EXTRA: An exact first-order algorithm for
   decentralized consensus optimization." SIAM J. Optim. 25(2), 2015.
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import check_int, check_positive

__all__ = [
    "FASTMIX_C",
    "complexity_table",
    "fastmix_bound",
    "fastmix_exact_factor",
    "fastmix_rounds",
    "gossip_factor",
    "gossip_rounds",
    "katyusha_parameters",
    "vr_parameters",
]

#: [V] constants of FastMix's bound (Ye et al. 2023): sqrt(14) and 1 - 1/sqrt(2).
FASTMIX_C = (math.sqrt(14.0), 1.0 - 1.0 / math.sqrt(2.0))


def _check_gap(gap) -> float:
    g = check_positive("gap", gap)
    if g > 1:
        raise ValueError(f"gap must lie in (0, 1], got {gap!r}")
    return g


def gossip_factor(lambda2: float, rounds) -> np.ndarray:
    r"""Plain gossip: :math:`\|W^R U - \bar U\| \le \lambda_2^R \|U - \bar U\|` (tight)."""
    return float(lambda2) ** np.asarray(rounds, dtype=float)


def fastmix_bound(gap: float, rounds) -> np.ndarray:
    r"""[V] FastMix: :math:`\|U^R - \bar U\| \le \sqrt{14}\,(1 - (1 - 1/\sqrt2)\sqrt\gamma)^R\,\|U^0 - \bar U\|`."""
    g = _check_gap(gap)
    c, a = FASTMIX_C
    return c * (1.0 - a * math.sqrt(g)) ** np.asarray(rounds, dtype=float)


def fastmix_exact_factor(eigenvalues, rounds: int, lambda2: float | None = None) -> float:
    r"""Exact worst-case contraction of FastMix over the given eigenvalues of :math:`W`.

    FastMix acts on each eigen-direction of :math:`W` (eigenvalue :math:`\lambda`) by the
    scalar recursion :math:`u_{r+1} = (1+\eta)\lambda u_r - \eta u_{r-1}`,
    :math:`u_{-1} = u_0 = 1`; the factor is :math:`\max_\lambda |u_R(\lambda)|` over the
    eigenvalues except the consensus one (the largest, 1).
    """
    from ..networks import fastmix_eta

    ev = np.sort(np.asarray(eigenvalues, dtype=float))[:-1]
    if ev.size == 0:
        return 0.0
    lam2 = float(np.max(np.abs(ev))) if lambda2 is None else float(lambda2)
    eta = fastmix_eta(lam2)
    prev = np.ones_like(ev)
    cur = np.ones_like(ev)
    for _ in range(check_int("rounds", rounds, minimum=0)):
        prev, cur = cur, (1 + eta) * ev * cur - eta * prev
    return float(np.max(np.abs(cur)))


def fastmix_rounds(gap: float, delta: float) -> int:
    r"""[R] Rounds :math:`K` making FastMix's bound :math:`\le \delta`:
    :math:`K = \lceil \log(\sqrt{14}/\delta) / -\log(1 - (1-1/\sqrt2)\sqrt\gamma) \rceil`."""
    g = _check_gap(gap)
    delta = check_positive("delta", delta)
    c, a = FASTMIX_C
    if delta >= c:
        return 0
    rate = 1.0 - a * math.sqrt(g)
    if rate <= 0:
        return 1
    return max(1, math.ceil(math.log(c / delta) / -math.log(rate)))


def gossip_rounds(lambda2: float, delta: float) -> int:
    r"""Rounds :math:`K` of plain gossip making its (tight) bound :math:`\lambda_2^K \le \delta`:
    :math:`K = \lceil \log(1/\delta) / -\log\lambda_2 \rceil` (:math:`\propto 1/\gamma`, the
    non-accelerated count FastMix improves to :math:`\propto 1/\sqrt\gamma`)."""
    lam = float(lambda2)
    if not 0.0 <= lam < 1.0:
        raise ValueError(f"lambda2 must lie in [0, 1), got {lambda2!r}")
    delta = check_positive("delta", delta)
    if delta >= 1 or lam == 0.0:
        return 0 if delta >= 1 else 1
    return max(1, math.ceil(math.log(1.0 / delta) / -math.log(lam)))


def vr_parameters(m: int, n: int, L: float, L_max: float, mu: float, batch=None, c_eta: float = 6.0):
    r"""[R] Parameters of the loopless-SVRG estimator with network-wide sampling.

    Bernoulli sampling with probability :math:`q = b/N` of every component gives the
    expected-smoothness constant :math:`\mathcal L \le L + (1-q) L_{\max}/b` (Kovalev
    et al. [4]_, independent sampling); L-SVRG with step :math:`\eta = 1/(c_\eta
    \mathcal L)`, :math:`c_\eta = 6`, and snapshot probability :math:`p = b/N` contracts
    its Lyapunov function by :math:`1 - \min(\eta\mu, p/2)` per iteration (their Thm. 5,
    with the constants of the centralized analysis; the decentralized errors are absorbed
    by accurate multi-consensus, the reconstruction's assumption).  Default batch
    :math:`b = \lceil \kappa_{\max}/\kappa \rceil`, which balances :math:`L` and
    :math:`L_{\max}/b`.

    Returns
    -------
    dict with ``batch``, ``q``, ``p``, ``eta``, ``L_exp`` and ``rate`` (the per-iteration
    contraction factor :math:`1 - \min(\eta\mu, p/2)`).
    """
    N = check_int("m", m) * check_int("n", n)
    if batch is None:
        batch = max(1, math.ceil(L_max / L))
    batch = min(float(batch), float(N))
    q = batch / N
    L_exp = L + (1.0 - q) * L_max / batch
    eta = 1.0 / (c_eta * L_exp)
    p = batch / N
    return {"batch": batch, "q": q, "p": p, "eta": eta, "L_exp": L_exp,
            "rate": 1.0 - min(eta * mu, p / 2.0)}


def katyusha_parameters(m: int, n: int, L: float, L_max: float, mu: float, batch=None,
                        theta2: float = 0.5, theta1=None) -> dict:
    r"""[R] Constants of ``gt_katyusha [R]`` (an accelerated reconstruction of ours, no source
    in the paper; loopless Katyusha, Kovalev et al. [4]_, with
    network-wide Bernoulli sampling; see :mod:`theory_lab.decentralized.accelerated`).

    * :math:`b = \max(1, \lceil L_{\max}/L\rceil)` (capped at :math:`N`), :math:`q = p = b/N`;
    * variance constant :math:`L_v = (1-q)L_{\max}/b`
      (:math:`\mathbb E\|g - \nabla f(x)\|^2 \le 2L_v D_f(w, x)` for convex
      :math:`L_{\max}`-smooth components, independent sampling);
    * :math:`\sigma = \mu/L`, :math:`\theta_2 = 1/2`,
      :math:`\theta_1 = \min(\sqrt{2\sigma/(3p)}, 1/2)`,
      :math:`\eta = \theta_2/((\theta_2 + L_v/L)\theta_1)` (Kovalev et al.'s
      :math:`\theta_2/((1+\theta_2)\theta_1)` when :math:`L_v = L`);
    * predicted contraction of their Lyapunov function per iteration
      :math:`\rho = \max\{1/(1+\eta\sigma), 1-\theta_1(1-\theta_2), 1-p\theta_1/(1+\theta_1)\}`
      (centralized analysis; consensus errors assumed absorbed by FastMix).

    Returns
    -------
    dict with ``batch, q, p, L_v, sigma, theta1, theta2, eta, rate``.
    """
    N = check_int("m", m) * check_int("n", n)
    L, L_max, mu = check_positive("L", L), check_positive("L_max", L_max), check_positive("mu", mu)
    b = max(1.0, float(math.ceil(L_max / L))) if batch is None else check_positive("batch", batch)
    b = min(float(b), float(N))
    q = p = b / N
    L_v = (1.0 - q) * L_max / b
    sigma = mu / L
    t1 = min(math.sqrt(2.0 * sigma / (3.0 * p)), 0.5) if theta1 is None else check_positive("theta1", theta1)
    eta = theta2 / ((theta2 + L_v / L) * t1)
    rate = max(1.0 / (1.0 + eta * sigma), 1.0 - t1 * (1.0 - theta2), 1.0 - p * t1 / (1.0 + t1))
    return {"batch": b, "q": q, "p": p, "L_v": L_v, "sigma": sigma, "theta1": t1,
            "theta2": theta2, "eta": eta, "rate": rate}


def complexity_table(m: int, n: int, kappa_global: float, kappa_local: float, L_bar: float,
                     gamma: float, eps: float, mu: float = 1.0, kappa_max: float | None = None) -> dict:
    r"""Order-of-magnitude costs to reach :math:`\epsilon` for each method (constants dropped).

    Each entry is ``{"communication": ..., "lifo": ..., "computation": ..., "label": ...}``
    (numbers, with :math:`\log(1/\epsilon)` and the log factors of multi-consensus
    included, absolute constants set to 1).  ``kappa_max`` defaults to
    :math:`\bar L^2/(\mu^2\kappa)` (the value when :math:`\bar L^2 = L_{\max}L`, which
    holds for our constructions).

    ==============================  ==========================================  ======================================  ==================================
    method                          communication                               LIFO                                    computation rounds
    ==============================  ==========================================  ======================================  ==================================
    accelerated, no source [R]      :math:`\sqrt{\kappa/\gamma}\log`            :math:`(N + \sqrt{N\bar L/\mu})\log`    :math:`(n + \sqrt{n\bar L/(m\mu)})\log`
    paper, ours (non-acc.) [R]      :math:`(\kappa + N/b)\gamma^{-1/2}\log^2`   :math:`(N + \kappa_{\max})\log`         :math:`(n + \kappa_{\max}/m + \kappa)\log`
    ours, accelerated [R]           :math:`\sqrt{\kappa N/(b\gamma)}\log^2`     :math:`(N+\sqrt{N L_{\max}/\mu})\log`   :math:`(n + \sqrt{n\kappa_{\max}/m})\log`
    PMGT-LSVRG [R]                  :math:`(\kappa_s + n)\gamma^{-1/2}\log^2`   :math:`m(\kappa_s + n)\log`             :math:`(\kappa_s + n)\log`
    GT + FastMix, full [R]          :math:`\kappa\gamma^{-1/2}\log^2`           :math:`N\kappa\log`                     :math:`n\kappa\log`
    DIGing [R]                      :math:`\kappa_l\gamma^{-1}\log`             :math:`N\kappa_l\gamma^{-1}\log`        :math:`n\kappa_l\gamma^{-1}\log`
    EXTRA [R]                       :math:`\max(\kappa_l, \gamma^{-1})\log`     :math:`N\max(\kappa_l, \gamma^{-1})\log` :math:`n\max(\kappa_l, \gamma^{-1})\log`
    ==============================  ==========================================  ======================================  ==================================

    with :math:`\kappa_s = \max(\kappa_l, \kappa_{\max})` (PMGT's single smoothness
    constant bounds every :math:`f_i` and :math:`f_{ij}`), :math:`\log = \log(1/\epsilon)`,
    and the second log of the multi-consensus methods :math:`\log \kappa_l` (FastMix
    rounds per iteration).  EXTRA's two terms are combined by a max rather than the usual
    sum (the same order up to a factor 2): its per-iteration contraction is limited either
    by :math:`\eta\mu \approx 1/\kappa_l` or by the network, and with the sum form the
    predicted log-log slope vs :math:`\kappa_l` on a 8-ring (:math:`1/\gamma \approx 10`,
    :math:`\kappa_l = 10 \dots 80`) would be 0.72 where we measure 1.007 -- the network term
    does not bind once :math:`\kappa_l \gtrsim 1/\gamma`.  The accelerated row ([R], ours,
    :func:`katyusha_parameters`) has :math:`L_{\max}` where the claim has :math:`\bar L`
    (equal dependence on :math:`\kappa` at fixed :math:`L, \bar L`; on our ridge
    :math:`L_{\max} = \bar L^2/L`) and an extra :math:`\sqrt{N/b}` in the communication,
    with :math:`b = \max(1, \kappa_{\max}/\kappa)` as in the non-accelerated row (the
    communication entry also adds :math:`N/b` to :math:`\sqrt{\kappa N/b}`, i.e. the
    iterations of the regime :math:`\kappa < N/b`).  The first row is an **[R] reconstruction
    with no source** (the paper's abstract claims only the dependence on global quantities,
    [V]; it never mentions acceleration); our implementation of the paper's scheme is the
    second row, also [R].  The key ``paper_accelerated`` is kept for compatibility.
    """
    m, n = check_int("m", m), check_int("n", n)
    N = m * n
    k, kl = check_positive("kappa_global", kappa_global), check_positive("kappa_local", kappa_local)
    g = _check_gap(gamma)
    lg = math.log(1.0 / check_positive("eps", eps))
    Lb = check_positive("L_bar", L_bar)
    kmax = Lb * Lb / (mu * mu * k) if kappa_max is None else check_positive("kappa_max", kappa_max)
    ks = max(kl, kmax)
    lk = math.log(max(kl, math.e))
    b = max(1.0, kmax / k)
    sg = math.sqrt(g)
    return {
        "paper_accelerated": {"communication": math.sqrt(k / g) * lg,
                              "lifo": (N + math.sqrt(N * Lb / mu)) * lg,
                              "computation": (n + math.sqrt(n * Lb / (m * mu))) * lg,
                              "label": "[R] accelerated reconstruction, no source (not a claim of the paper; gt_katyusha matches the LIFO with L_max for L_bar; its communication has an extra sqrt(N/b))"},
        "gt_nsvr": {"communication": (k + N / b) / sg * lg * lk, "lifo": (N + kmax) * lg,
                    "computation": (n + kmax / m + k) * lg,
                    "label": "[R] our non-accelerated reconstruction"},
        "gt_katyusha": {"communication": (N / b + math.sqrt(k * N / b)) / sg * lg * lk,
                        "lifo": (N + math.sqrt(N * kmax)) * lg,
                        "computation": (n + math.sqrt(n * kmax / m)) * lg,
                        "label": "[R] our accelerated reconstruction (GT+FastMix+L-Katyusha)"},
        "pmgt_lsvrg": {"communication": (ks + n) / sg * lg * lk, "lifo": m * (ks + n) * lg,
                       "computation": (ks + n) * lg, "label": "[R]"},
        "mc_gt": {"communication": k / sg * lg * lk, "lifo": N * k * lg, "computation": n * k * lg,
                  "label": "[R]"},
        "diging": {"communication": kl / g * lg, "lifo": N * kl / g * lg, "computation": n * kl / g * lg,
                   "label": "[R]"},
        "extra": {"communication": max(kl, 1 / g) * lg, "lifo": N * max(kl, 1 / g) * lg,
                  "computation": n * max(kl, 1 / g) * lg, "label": "[R]"},
    }
