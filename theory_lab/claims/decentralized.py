r"""Claims of the decentralized finite-sum paper (Liu, Chen, Luo, ICML 2024) as objects.

What the paper states ([V], abstract): the computation cost (LIFO) depends on the *global*
condition number :math:`\kappa = L/\mu`, not on the local :math:`\kappa_l = L_l/\mu`, with
different mini-batch sizes per node.  The lab's method is ``gt_nsvr`` **[R]**, a
reconstruction from the ingredients (:mod:`theory_lab.decentralized.algorithms`).
Acceleration (LIFO :math:`\propto\sqrt\kappa`, ``gt_katyusha``) is **[R] with no source**:
the abstract never mentions it; its claim is kept as our reconstruction, labelled so.

Tolerances (fixed from the theory before any data):

* ``kappa_local_flat``: slope of LIFO-to-:math:`\epsilon` in :math:`\kappa_l` at fixed
  :math:`\kappa`; predicted 0 (LIFO :math:`(N + \kappa_{\max})\log(1/\epsilon)` in the
  complexity table has no :math:`\kappa_l`), absolute half-width :data:`FLAT_TOL` = 0.15:
  under a third of the slope 1/2 of the mildest :math:`\kappa_l`-dependent alternative
  (:math:`\sqrt{\kappa_l}`, an accelerated local-smoothness method) and a seventh of the
  slope 1 of a local step size.
* ``acceleration`` [R]: slope of LIFO-to-:math:`\epsilon\mu/L` in :math:`\kappa`; predicted
  1/2, half-width :data:`ACC_TOL` = 0.15: the non-accelerated slope is 1, and two windows
  of half-width 0.15 around 1/2 and 1 stay 0.2 apart.

* ``comm_vs_gap`` ([V] FastMix, Ye et al. 2023): communication rounds of ``mc_gt`` (GT +
  FastMix, full gradients) to :math:`\epsilon` vs the spectral gap :math:`\gamma` over the
  figure's 7 topologies; predicted slope -1/2, half-width :data:`GAP_TOL` = 0.1.  Derivation:
  comm rounds = 2K x iterations; the iterations to :math:`\epsilon` do not depend on
  :math:`\gamma` (each mixing is accurate to :math:`\delta = \mu/(4L_l)` by construction)
  and :math:`K = \lceil\log(\sqrt{14}/\delta)/-\log(1 - a\sqrt\gamma)\rceil`,
  :math:`a = 1 - 1/\sqrt2`.  Its local log-log slope is
  :math:`-\tfrac12\,x/((1-x)(-\log(1-x)))`, :math:`x = a\sqrt\gamma`: -0.5 as
  :math:`\gamma\to0`, -0.56 at the largest gap (complete graph, :math:`\gamma = 1/2`); the
  ceiling adds at most :math:`1/K \le 4\%` per point (:math:`K \ge 25` here), i.e. under
  0.02 in slope over the gap range (a factor 20).  So :math:`|s + 1/2| \le 0.06 + 0.02 < 0.1`;
  plain gossip (:math:`K \propto 1/\gamma`) has slope -1, five half-widths away.
* ``fastmix_bound`` ([V] Ye et al. 2023): FastMix's consensus error after :math:`R` rounds is
  below :math:`\sqrt{14}(1 - (1-1/\sqrt2)\sqrt\gamma)^R` times the initial one, worst of
  random starts and the slowest eigenvector (ring of 64, lazy Metropolis).  Measured value
  :math:`\max_R` measured/bound.  **Loose** (no tightness floor): the exact worst-case
  contraction is :math:`\approx(1+cR)(1-\sqrt{2\gamma})^R`
  (:func:`~theory_lab.theory.decentralized_bounds.fastmix_exact_factor`), against the bound's
  rate :math:`1 - 0.29\sqrt\gamma`, so measured/bound decays like
  :math:`e^{-1.1\sqrt\gamma R}`; its maximum (about :math:`1/\sqrt{14}`) sits at small
  :math:`R`, where every method, even one that never mixes, is near :math:`1/\sqrt{14}`: no
  floor derived from the theory would say anything about the rate.  Its mutants leave the
  bound at large :math:`R` (plain gossip contracts like :math:`\lambda_2^R`, slower than the
  bound's rate once :math:`R \gtrsim 1/\sqrt\gamma`), so the bound still rejects them.

Mutants are optimizer overrides of the runs (plausible bugs of the reconstruction).

References
----------
.. [1] Y. Liu, L. Chen, L. Luo. "Decentralized Convex Finite-Sum Optimization with Better
   Dependence on Condition Numbers." ICML 2024.
.. [2] D. Kovalev, S. Horvath, P. Richtarik. Loopless SVRG and Katyusha. ALT 2020.
.. [3] H. Ye, L. Luo, Z. Zhou, T. Zhang. "Multi-consensus decentralized accelerated gradient
   descent." JMLR 24, 2023 (FastMix).
"""

from __future__ import annotations

import numpy as np

from ..config import RunConfig
from ..rates import fit_loglog
from .base import Claim, Measurement, Mutant, register

PAPER = "decentralized"
FLAT_TOL = 0.15
ACC_TOL = 0.15
GAP_TOL = 0.1  # see the module docstring: curvature of -log(1 - a sqrt(gamma)) + ceiling
#: kappa_local / kappa ratios (fixed kappa = 10) and kappa grids per scale
RATIOS = {"test": (1, 2, 4, 8), "figure": (1, 2, 4, 8, 16)}
KAPPAS = {"test": (25, 50, 100), "figure": (50, 100, 200, 400, 800, 1600, 3200)}


def _ridge(m, n, d, kappa, heterogeneity) -> dict:
    return {"name": "distributed_ridge", "m": m, "n": n, "d": d, "kappa": float(kappa),
            "heterogeneity": float(heterogeneity), "noise": 0.1, "seed": 0,
            "network": {"graph": "ring", "mixing": "lazy_metropolis"}}


def _lifo_to_eps(cfg: RunConfig) -> tuple[np.ndarray, dict]:
    from ..decentralized import run_decentralized

    res = run_decentralized(cfg)
    v = np.asarray(res.meta["hit_costs"]["lifo"], dtype=float)
    return np.where(v >= 0, v, np.inf), res.meta["constants"]


def _fit(x, costs) -> Measurement:
    costs = np.stack(costs)
    if not np.all(np.isfinite(costs)):  # some run never reached epsilon: no slope
        return Measurement(float("nan"), details={"x": list(x), "costs": costs})
    fit = fit_loglog(np.asarray(x, float), costs)
    return Measurement(fit.slope, (fit.ci_low, fit.ci_high), details={"x": list(x), "costs": costs})


def measure_kappa_local(scale: str, variant: dict) -> Measurement:
    r"""LIFO to :math:`\epsilon = 10^{-6}` of ``gt_nsvr`` (+ ``variant`` overrides) vs
    :math:`\kappa_l` at fixed :math:`\kappa` on a ring: test scale 8 agents x 16 components
    (:math:`d = 16`, :math:`\kappa = 10`); figure scale the figure's 16 x 32
    (:math:`d = 32`, :math:`\kappa = 30`)."""
    m, n, d, kappa = (8, 16, 16, 10.0) if scale == "test" else (16, 32, 32, 30.0)
    T, seeds = (6000, range(2)) if scale == "test" else (12000, range(3))
    x, costs = [], []
    for r in RATIOS[scale]:
        cfg = RunConfig(problem=_ridge(m, n, d, kappa, (r - 1) / (m - 1)),
                        optimizer={"name": "gt_nsvr", **variant}, T=T, seeds=tuple(seeds), epsilon=1e-6,
                        stop_at_epsilon=True, spacing="linear", n_checkpoints=20)
        c, consts = _lifo_to_eps(cfg)
        costs.append(c)
        x.append(consts["kappa_local"])
    return _fit(x, costs)


def measure_acceleration(scale: str, variant: dict) -> Measurement:
    r"""LIFO to :math:`\epsilon = 10^{-4}\mu/L` of ``gt_katyusha`` (or ``variant["name"]``)
    vs the global :math:`\kappa` (ring of 8, heterogeneity 1/2)."""
    opt = {"name": "gt_katyusha", **variant}
    T, seeds = (20000, range(2)) if scale == "test" else (30000, range(3))
    x, costs = [], []
    for k in KAPPAS[scale]:
        cfg = RunConfig(problem=_ridge(8, 16, 16, k, 0.5), optimizer=opt, T=T, seeds=tuple(seeds),
                        epsilon=1e-4 / k, stop_at_epsilon=True, spacing="linear", n_checkpoints=10)
        c, consts = _lifo_to_eps(cfg)
        costs.append(c)
        x.append(consts["kappa"])
    return _fit(x, costs)


KAPPA_LOCAL_FLAT = register(Claim(
    id="decentralized.kappa_local_flat", paper=PAPER,
    statement="[V] the LIFO to reach epsilon depends on the global kappa only: flat in kappa_local at fixed kappa.",
    source="[V] abstract (computation depending on the global condition number); method gt_nsvr [R]",
    kind="exponent", predicted=0.0, tolerance=FLAT_TOL, measure=measure_kappa_local,
    mutants=(
        Mutant("local_step", "step 1/(6(L_l + L_max/b)) from the local smoothness instead of the global L",
               {"eta": "1/(6*(L_l + (1 - batch/N)*L_max/batch))"}),
        Mutant("extra_like", "EXTRA (exact full local gradients, step from L_l) in place of tracked network-wide VR",
               {"name": "extra"}),
    ),
    figure="decentralized_kappa_local.png"))

ACCELERATION = register(Claim(
    id="decentralized.acceleration", paper=PAPER,
    statement="[R] our accelerated reconstruction gt_katyusha reaches epsilon with LIFO ~ sqrt(kappa) (no source claims this).",
    source="[R] ours, no source: the paper's abstract never mentions acceleration",
    kind="exponent", predicted=0.5, tolerance=ACC_TOL, measure=measure_acceleration,
    mutants=(
        Mutant("momentum_off", "coupling theta1 = 1/2 fixed (not sqrt(mu N/(L b))): Katyusha momentum inactive",
               {"theta1": 0.5}),
        Mutant("not_accelerated", "gt_nsvr (loopless SVRG) in place of loopless Katyusha", {"name": "gt_nsvr"}),
    ),
    figure="decentralized_acceleration.png"))

# ----------------------------------------------------------------------------- spectral gap
#: the figure's topologies (experiments/decentralized.py TOPOLOGIES), m = 16
TOPOLOGIES = (("ring", "lazy_metropolis"), ("torus", "lazy_metropolis"), ("exponential", "lazy_metropolis"),
              ("erdos_renyi", "lazy_metropolis"), ("star", "lazy_metropolis"), ("complete", "lazy_metropolis"),
              ("ring", "metropolis"))


def measure_comm_vs_gap(scale: str, variant: dict) -> Measurement:
    r"""Communication rounds to :math:`\epsilon = 10^{-6}` of ``mc_gt`` (+ ``variant``) vs the
    spectral gap over :data:`TOPOLOGIES` (the figure's set-up: 16 agents x 32 components,
    :math:`d = 32`, :math:`\kappa = 30`, heterogeneity 1/2).  Full gradients: the runs are
    deterministic, so the test scale takes one seed, the figure two."""
    from ..decentralized import run_decentralized

    seeds = (0,) if scale == "test" else (0, 1)
    gaps, comm = [], []
    for graph, mixing in TOPOLOGIES:
        p = {**_ridge(16, 32, 32, 30.0, 0.5), "network": {"graph": graph, "mixing": mixing}}
        if graph == "erdos_renyi":
            p["network"]["p"] = 0.3
        cfg = RunConfig(problem=p, optimizer={"name": "mc_gt", **variant}, T=6000, seeds=seeds, epsilon=1e-6,
                        stop_at_epsilon=True, spacing="linear", n_checkpoints=10)
        res = run_decentralized(cfg)
        v = np.asarray(res.meta["hit_costs"]["comm_rounds"], dtype=float)
        comm.append(np.where(v >= 0, v, np.inf))
        gaps.append(float(res.meta["network"]["gap"]))
    return _fit(gaps, comm)


#: FastMix's momentum per mutant: the true eta_U, none (plain gossip), or with the wrong sign
def _fastmix_eta(variant: dict, lambda2: float) -> float:
    from ..networks import fastmix_eta

    eta = fastmix_eta(lambda2)
    if variant.get("momentum") == "none":
        return 0.0
    if variant.get("momentum") == "negated":
        return -eta
    if variant:
        raise ValueError(f"unknown FastMix variant {variant!r}")
    return eta


def fastmix_trajectory(U0: np.ndarray, mixing, rounds: int, eta: float) -> np.ndarray:
    r"""Consensus errors :math:`\|U^r - \bar U\|` (per column) for :math:`r = 0..R` of the
    FastMix recursion :math:`U^{r+1} = (1+\eta)WU^r - \eta U^{r-1}` with a given momentum
    (:func:`theory_lab.networks.fastmix` with :math:`\eta = \eta_U`, tested)."""
    out = np.empty((rounds + 1, U0.shape[1]))
    prev, cur = U0, U0
    for r in range(rounds + 1):
        out[r] = np.linalg.norm(cur - cur.mean(axis=0), axis=0)
        prev, cur = cur, (1.0 + eta) * mixing.apply(cur) - eta * prev
    return out


def measure_fastmix_bound(scale: str, variant: dict) -> Measurement:
    r"""Worst (over 16 random starts and the slowest eigenvector) consensus-error ratio of
    FastMix over :func:`~theory_lab.theory.decentralized_bounds.fastmix_bound`, maximum over
    :math:`R = 0..R_{\max}`, on a ring of 64 with lazy Metropolis weights (figure
    ``decentralized_fastmix.png``); :math:`R_{\max}` = 200 (test) or 400 (figure):
    several times :math:`1/\sqrt\gamma \approx 25`."""
    from ..networks import Mixing, make_graph, make_mixing
    from ..theory.decentralized_bounds import fastmix_bound

    m, rounds = 64, (200 if scale == "test" else 400)
    G = make_graph("ring", m)
    mix = Mixing(make_mixing("lazy_metropolis", G), G)
    _, vecs = np.linalg.eigh(mix.dense)
    rng = np.random.default_rng(0)
    U0 = np.concatenate([rng.standard_normal((m, 16)), vecs[:, -2:-1]], axis=1)
    U0 = U0 - U0.mean(axis=0)
    err = fastmix_trajectory(U0, mix, rounds, _fastmix_eta(variant, mix.lambda2))
    worst = np.max(err / np.linalg.norm(U0, axis=0), axis=1)
    ratio = worst / fastmix_bound(mix.gap, np.arange(rounds + 1))
    r_max = int(np.argmax(ratio))
    return Measurement(float(ratio[r_max]), bound=1.0,
                       details={"argmax_R": r_max, "ratio_at_last_R": float(ratio[-1]), "gap": float(mix.gap)})


COMM_VS_GAP = register(Claim(
    id="decentralized.comm_vs_gap", paper=PAPER,
    statement="[V] with FastMix multi-consensus, the communication rounds to epsilon scale like 1/sqrt(gamma) "
              "in the spectral gap gamma = 1 - lambda_2 (plain gossip: 1/gamma).",
    source="[V] Ye et al. 2023 (FastMix rounds log(1/delta)/sqrt(gamma)); method mc_gt (GT + FastMix, "
           "full gradients), K from fastmix_rounds [R]",
    kind="exponent", predicted=-0.5, tolerance=GAP_TOL, measure=measure_comm_vs_gap,
    mutants=(
        Mutant("plain_gossip", "eta_U = 0 (no Chebyshev momentum) with gossip's own round count "
               "log(1/delta)/-log(lambda_2)", {"fastmix_lambda2": 0, "rounds": "gossip"}),
        Mutant("gossip_round_count", "FastMix kept but its rounds sized by the gossip bound lambda_2^K <= delta",
               {"rounds": "gossip"}),
    ),
    figure="decentralized_gap.png"))

FASTMIX_BOUND = register(Claim(
    id="decentralized.fastmix_bound", paper=PAPER,
    statement="[V] FastMix: ||U^R - mean|| <= sqrt(14) (1 - (1 - 1/sqrt 2) sqrt(1 - lambda_2))^R ||U^0 - mean||.",
    source="[V] Ye et al. 2023, FastMix lemma (theory_lab.theory.decentralized_bounds.fastmix_bound)",
    kind="upper", predicted=1.0, tolerance=1e-9, measure=measure_fastmix_bound,
    mutants=(
        Mutant("no_momentum", "eta_U = 0: plain gossip, contracting like lambda_2^R", {"momentum": "none"}),
        Mutant("momentum_sign", "U^{r+1} = (1 - eta_U) W U^r + eta_U U^{r-1}: the momentum with the wrong sign",
               {"momentum": "negated"}),
    ),
    figure="decentralized_fastmix.png"))

CLAIMS = (KAPPA_LOCAL_FLAT, ACCELERATION, COMM_VS_GAP, FASTMIX_BOUND)
