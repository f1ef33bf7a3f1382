r"""Figures for decentralized finite sums (``python -m experiments.decentralized``).

Claims checked (Liu, Chen, Luo, ICML 2024; our non-accelerated reconstruction ``gt_nsvr``
of their method and the accelerated ``gt_katyusha``, both labelled [R]; see
:mod:`theory_lab.decentralized.algorithms` and :mod:`theory_lab.decentralized.accelerated`):

1. ``decentralized_costs`` -- suboptimality vs LIFO, computation rounds and
   communication rounds for every method (ridge, 16 agents on a ring, heterogeneous).
2. ``decentralized_kappa_local`` -- the headline: cost to :math:`\epsilon` vs
   :math:`\kappa_l` at fixed :math:`\kappa`: flat for ``gt_katyusha`` and ``gt_nsvr`` (and
   the full-gradient multi-consensus GT), growing like :math:`\kappa_l` for EXTRA;
   predictions of the complexity table dashed (scaled to the first point).
2b. ``decentralized_acceleration`` -- **[R] reconstruction, not a claim of the paper** (its
   abstract claims a dependence on the global condition number, never acceleration): LIFO and communication rounds to
   :math:`\epsilon = 10^{-4}\mu/L` vs the global :math:`\kappa` (fixed ring, fixed
   :math:`\kappa_l/\kappa`): :math:`\sqrt\kappa` for ``gt_katyusha``, :math:`\kappa` for
   ``gt_nsvr``; dashed: [R] rate x cost per iteration (unscaled).
3. ``decentralized_gap`` -- communication rounds to :math:`\epsilon` vs the spectral gap
   over topologies, against :math:`1/\sqrt\gamma`.
4. ``decentralized_fastmix`` -- FastMix consensus error vs rounds against its bound, and
   plain gossip against :math:`\lambda_2^R`.

Runs go through :func:`theory_lab.sweep.run_sweep` with ``run_fn=run_decentralized`` and
the store ``results/cache/decentralized``.

References
----------
.. [1] Y. Liu, L. Chen, L. Luo. "Decentralized Convex Finite-Sum Optimization with Better
   Dependence on Condition Numbers." ICML 2024.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.decentralized import run_decentralized
from theory_lab.rates import fit_loglog, median_band
from theory_lab.sweep import run_sweep

STORE = "results/cache/decentralized"

METHOD_STYLE = {
    "gt_katyusha": ("gt_katyusha [R] (accelerated, no source: GT+FastMix+L-Katyusha)", "tab:brown"),
    "gt_nsvr": ("gt_nsvr [R] (GT+FastMix+network-wide L-SVRG)", "tab:red"),
    "pmgt_lsvrg": ("PMGT-LSVRG [R]", "tab:purple"),
    "mc_gt": ("GT+FastMix, full gradients", "tab:green"),
    "extra": ("EXTRA", "tab:blue"),
    "diging": ("DIGing", "tab:orange"),
    "dgd": ("DGD", "tab:gray"),
}
COSTS = {"lifo": "LIFO (component gradients)", "comp_rounds": "computation rounds",
         "comm_rounds": "communication rounds"}


def ridge(m=16, n=32, d=32, kappa=30.0, heterogeneity=1.0, graph="ring", mixing="lazy_metropolis",
          seed=0) -> dict:
    """Problem spec of a heterogeneous distributed ridge regression on a network."""
    return {"name": "distributed_ridge", "m": m, "n": n, "d": d, "kappa": float(kappa),
            "heterogeneity": float(heterogeneity), "noise": 0.1, "seed": seed,
            "network": {"graph": graph, "mixing": mixing}}


def run_all(configs, store=STORE, n_jobs=1):
    return run_sweep(configs, store=store, n_jobs=n_jobs, run_fn=run_decentralized,
                     engine="sequential" if n_jobs == 1 else "joblib")


def hit_costs(result, cost: str) -> np.ndarray:
    """Per-seed cost at the first iteration with suboptimality <= the run's epsilon (inf: never)."""
    v = np.asarray(result.meta["hit_costs"][cost], dtype=float)
    return np.where(v >= 0, v, np.inf)


# --------------------------------------------------------------------------------------
# 1. suboptimality vs the three costs
# --------------------------------------------------------------------------------------
def cost_configs(T=2500, seeds=range(3), **kw):
    return [RunConfig(problem=ridge(**kw), optimizer={"name": name}, T=T, seeds=tuple(seeds),
                      spacing="linear", n_checkpoints=80, tags={"experiment": "costs"})
            for name in METHOD_STYLE]


def fig_costs(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    configs = cost_configs(T=800 if quick else 2500)
    results = run_all(configs, store, n_jobs)
    fig, axes = new_figure(3, 1, panel_size=(4.2, 3.3), logx=True)
    summary = {}
    for cfg, res in zip(configs, results, strict=True):
        label, color = METHOD_STYLE[cfg.optimizer["name"]]
        for ax, cost in zip(axes, COSTS, strict=True):
            x = np.nanmedian(res.extra[cost], axis=0)
            med, lo, hi = median_band(res.suboptimality)
            ok = np.isfinite(med) & (med > 0) & (x > 0)
            ax.plot(x[ok], med[ok], color=color, label=label)
            ax.fill_between(x[ok], np.maximum(lo[ok], 1e-300), hi[ok], color=color, alpha=0.2, lw=0)
            ax.set_xlabel(COSTS[cost])
        summary[cfg.optimizer["name"]] = float(np.nanmedian(res.suboptimality[:, -1]))
    axes[0].set_ylabel(r"$\frac{1}{m}\sum_i f(x_i) - f^\star$")
    c = results[0].meta["constants"]
    axes[1].set_title(f"ridge, ring m={c['m']}, n={c['n']}: $\\kappa$={c['kappa']:.0f}, "
                      f"$\\kappa_l$={c['kappa_local']:.0f}, $\\kappa_{{\\max}}$={c['kappa_max']:.0f}")
    axes[0].legend(fontsize=6, loc="lower left")
    save_figure(fig, "decentralized_costs")
    return summary


# --------------------------------------------------------------------------------------
# 2. cost to epsilon vs kappa_local at fixed kappa
# --------------------------------------------------------------------------------------
@dataclass
class LocalScaling:
    kappa_local: np.ndarray
    costs: dict  # (method, cost) -> (n_h, S)
    predicted: dict  # (method, cost) -> (n_h,) complexity-table values
    fits: dict  # (method, cost) -> Fit of log cost on log kappa_local
    predicted_slopes: dict


def local_configs(methods=("gt_katyusha", "gt_nsvr", "mc_gt", "extra"), ratios=(1, 2, 4, 8, 16), m=16, n=32, d=32,
                  kappa=30.0, eps=1e-6, seeds=range(3), T=12000):
    hs = [(r - 1) / (m - 1) for r in ratios]
    return {name: [RunConfig(problem=ridge(m=m, n=n, d=d, kappa=kappa, heterogeneity=h),
                             optimizer={"name": name}, T=T, seeds=tuple(seeds), epsilon=eps,
                             stop_at_epsilon=True, spacing="linear", n_checkpoints=20,
                             tags={"experiment": "kappa_local"}) for h in hs]
            for name in methods}


def measure_local_scaling(store=STORE, n_jobs=1, **kw) -> LocalScaling:
    from theory_lab.theory.decentralized_bounds import complexity_table

    configs = local_configs(**kw)
    flat = [c for cs in configs.values() for c in cs]
    res = dict(zip([c.hash() for c in flat], run_all(flat, store, n_jobs), strict=True))
    eps = flat[0].epsilon
    costs, pred, fits, pslopes = {}, {}, {}, {}
    kl = None
    for name, cs in configs.items():
        consts = [res[c.hash()].meta["constants"] for c in cs]
        nets = [res[c.hash()].meta["network"] for c in cs]
        kl = np.array([c["kappa_local"] for c in consts])
        for cost in COSTS:
            costs[name, cost] = np.stack([hit_costs(res[c.hash()], cost) for c in cs])
            pred[name, cost] = np.array([
                complexity_table(c["m"], c["n"], c["kappa"], c["kappa_local"], c["L_bar"], net["gap"],
                                 eps, mu=c["mu"], kappa_max=c["kappa_max"])[name][
                    {"lifo": "lifo", "comp_rounds": "computation", "comm_rounds": "communication"}[cost]]
                for c, net in zip(consts, nets, strict=True)])
            fits[name, cost] = fit_loglog(kl, costs[name, cost])
            pslopes[name, cost] = fit_loglog(kl, pred[name, cost]).slope
    return LocalScaling(kl, costs, pred, fits, pslopes)


def fig_kappa_local(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    ls = measure_local_scaling(store, n_jobs, **({"ratios": (1, 4, 16)} if quick else {}))
    fig, axes = new_figure(3, 1, panel_size=(4.0, 3.3), logx=True)
    for ax, cost in zip(axes, COSTS, strict=True):
        for name in sorted({k[0] for k in ls.costs}):
            label, color = METHOD_STYLE[name]
            y = ls.costs[name, cost]
            med = np.median(y, axis=1)
            ax.plot(ls.kappa_local, med, "o-", color=color,
                    label=f"{label.split(' (')[0]}: slope {ls.fits[name, cost].slope:.2f}")
            p = ls.predicted[name, cost]
            ax.plot(ls.kappa_local, p * med[0] / p[0], "--", color=color, lw=1.2)
        from matplotlib.ticker import NullFormatter

        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(r"$\kappa_l = L_l/\mu$ (fixed $\kappa = L/\mu$)")
        ax.set_ylabel(f"{COSTS[cost]} to $\\epsilon$")
        ax.legend(fontsize=6, loc="best")  # the curves span the width: least overlap
    axes[1].set_title("cost to $\\epsilon$ vs local condition number (dashed: complexity table, scaled)")
    save_figure(fig, "decentralized_kappa_local")
    return ls


# --------------------------------------------------------------------------------------
# 2b. acceleration: cost to epsilon vs the global kappa
# --------------------------------------------------------------------------------------
@dataclass
class KappaScaling:
    kappa: dict  # method -> (n_k,) global condition numbers
    costs: dict  # (method, cost) -> (n_k, S)
    predicted: dict  # (method, cost) -> (n_k,) [R] bound: iterations from the rate x cost per iteration
    fits: dict  # (method, cost) -> Fit of log cost on log kappa
    predicted_slopes: dict


#: kappa grids of the acceleration figure (gt_nsvr needs ~60 kappa iterations: kept smaller)
ACC_KAPPAS = {"gt_nsvr": (50, 100, 200, 400), "gt_katyusha": (50, 100, 200, 400, 800, 1600, 3200)}


def kappa_configs(methods=("gt_nsvr", "gt_katyusha"), kappas=None, m=8, n=16, d=16, heterogeneity=0.5,
                  eps0=1e-4, seeds=range(3), T=30000):
    r"""Runs to :math:`\epsilon = \epsilon_0\mu/L` (:math:`L = 1` here) over a grid of :math:`\kappa`.

    The target scales with :math:`\mu`: the initial suboptimality along the slowest
    eigen-direction is :math:`\propto\mu`, so a fixed :math:`\epsilon` would shrink the
    :math:`\log(1/\epsilon)` factor as :math:`\kappa` grows and bias every slope low
    (measured: 0.38 instead of 0.49 for ``gt_katyusha`` over :math:`\kappa = 10^2..10^4`).
    """
    kappas = kappas or ACC_KAPPAS
    out = {}
    for name in methods:
        ks = kappas[name] if isinstance(kappas, dict) else kappas
        out[name] = [RunConfig(problem=ridge(m=m, n=n, d=d, kappa=k, heterogeneity=heterogeneity),
                               optimizer={"name": name}, T=T, seeds=tuple(seeds), epsilon=eps0 / k,
                               stop_at_epsilon=True, spacing="linear", n_checkpoints=10,
                               tags={"experiment": "acceleration"}) for k in ks]
    return out


def predicted_costs(name, consts, network, eps_rel):
    """[R] costs to a relative accuracy ``eps_rel``: iterations log(1/eps_rel)/(-log rate) x cost per iteration."""
    from theory_lab.theory.decentralized_bounds import (
        fastmix_rounds,
        katyusha_parameters,
        vr_parameters,
    )

    c = consts
    par = (katyusha_parameters if name == "gt_katyusha" else vr_parameters)(c["m"], c["n"], c["L"], c["L_max"], c["mu"])
    iters = np.log(1.0 / eps_rel) / -np.log(par["rate"])
    K = fastmix_rounds(network["gap"], c["mu"] / (4 * c["L_l"])) if c["m"] > 1 else 0
    b, N = par["batch"], c["m"] * c["n"]
    return {"lifo": iters * (2 * b + par["p"] * N), "comp_rounds": iters * (2 * b / c["m"] + par["p"] * c["n"]),
            "comm_rounds": iters * 2 * K, "iterations": iters}


def measure_kappa_scaling(store=STORE, n_jobs=1, **kw) -> KappaScaling:
    configs = kappa_configs(**kw)
    flat = [c for cs in configs.values() for c in cs]
    res = dict(zip([c.hash() for c in flat], run_all(flat, store, n_jobs), strict=True))
    kap, costs, pred, fits, pslopes = {}, {}, {}, {}, {}
    eps0 = kw.get("eps0", 1e-4)
    for name, cs in configs.items():
        consts = [res[c.hash()].meta["constants"] for c in cs]
        kap[name] = np.array([c["kappa"] for c in consts])
        for cost in COSTS:
            costs[name, cost] = np.stack([hit_costs(res[c.hash()], cost) for c in cs])
            pred[name, cost] = np.array([predicted_costs(name, c, res[cf.hash()].meta["network"], eps0)[cost]
                                         for c, cf in zip(consts, cs, strict=True)])
            fits[name, cost] = fit_loglog(kap[name], costs[name, cost])
            pslopes[name, cost] = fit_loglog(kap[name], pred[name, cost]).slope
    return KappaScaling(kap, costs, pred, fits, pslopes)


def fig_acceleration(store=STORE, n_jobs=1, quick=False):
    from matplotlib.ticker import NullFormatter

    from theory_lab.plotting import new_figure, save_figure

    ks = measure_kappa_scaling(store, n_jobs, **({"kappas": {"gt_nsvr": (50, 100, 200),
                                                             "gt_katyusha": (50, 200, 800)}} if quick else {}))
    fig, axes = new_figure(2, 1, panel_size=(4.3, 3.4), logx=True)
    for ax, cost in zip(axes, ("lifo", "comm_rounds"), strict=True):
        for name in ("gt_nsvr", "gt_katyusha"):
            label, color = METHOD_STYLE[name]
            med = np.median(ks.costs[name, cost], axis=1)
            ax.plot(ks.kappa[name], med, "o-", color=color,
                    label=f"{label.split(' (')[0]}: slope {ks.fits[name, cost]}")
            ax.plot(ks.kappa[name], ks.predicted[name, cost], "--", color=color, lw=1.2,
                    label=f"[R] rate x cost/iteration: slope {ks.predicted_slopes[name, cost]:.2f}")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(r"$\kappa = L/\mu$ (target $\epsilon = 10^{-4}\mu/L$)")
        ax.set_ylabel(f"{COSTS[cost]} to $\\epsilon$")
        ax.legend(fontsize=6, loc="upper left")
    axes[0].set_title("[R] acceleration (our reconstruction, no source): ridge, ring m=8, n=16\n"
                      "(dashed: [R] predictions, unscaled)", fontsize=8)
    save_figure(fig, "decentralized_acceleration")
    return ks


# --------------------------------------------------------------------------------------
# 3. communication rounds vs spectral gap
# --------------------------------------------------------------------------------------
TOPOLOGIES = (("ring", "lazy_metropolis"), ("torus", "lazy_metropolis"), ("exponential", "lazy_metropolis"),
              ("erdos_renyi", "lazy_metropolis"), ("star", "lazy_metropolis"), ("complete", "lazy_metropolis"),
              ("ring", "metropolis"))


def gap_configs(methods=("gt_katyusha", "gt_nsvr", "mc_gt"), m=16, eps=1e-6, seeds=range(2), T=6000, heterogeneity=0.5):
    out = {}
    for name in methods:
        cs = []
        for graph, mix in TOPOLOGIES:
            p = ridge(m=m, heterogeneity=heterogeneity, graph=graph, mixing=mix)
            if graph == "erdos_renyi":
                p["network"]["p"] = 0.3
            cs.append(RunConfig(problem=p, optimizer={"name": name}, T=T, seeds=tuple(seeds), epsilon=eps,
                                stop_at_epsilon=True, spacing="linear", n_checkpoints=10,
                                tags={"experiment": "gap"}))
        out[name] = cs
    return out


def measure_gap(store=STORE, n_jobs=1, **kw):
    configs = gap_configs(**kw)
    flat = [c for cs in configs.values() for c in cs]
    res = dict(zip([c.hash() for c in flat], run_all(flat, store, n_jobs), strict=True))
    out = {}
    for name, cs in configs.items():
        gaps = np.array([res[c.hash()].meta["network"]["gap"] for c in cs])
        comm = np.stack([hit_costs(res[c.hash()], "comm_rounds") for c in cs])
        iters = np.stack([np.where(res[c.hash()].hit_step >= 0, res[c.hash()].hit_step, np.inf) for c in cs])
        out[name] = {"gap": gaps, "comm": comm, "iters": iters, "fit": fit_loglog(gaps, comm),
                     "iter_fit": fit_loglog(gaps, iters), "labels": [f"{g}/{x}" for g, x in TOPOLOGIES]}
    return out


def least_rounds_vs_gap(scale: str = "figure") -> dict:
    """The claim ``decentralized.comm_vs_gap``'s measurement for FastMix and for its
    plain-gossip mutant: least rounds per mixing K_min vs the gap (64 agents, sparse graphs)."""
    from theory_lab.claims import load_all, measure

    claim = load_all()["decentralized.comm_vs_gap"]
    gossip = next(m for m in claim.mutants if m.name == "plain_gossip")
    return {name: measure(claim, scale, variant)
            for name, variant in (("FastMix", {}), ("plain gossip", gossip.variant))}


def fig_gap(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    out = measure_gap(store, n_jobs)
    fig, (ax, ax2) = new_figure(2, logx=True, panel_size=(5.0, 3.6))
    for name, o in out.items():
        label, color = METHOD_STYLE[name]
        med = np.median(o["comm"], axis=1)
        order = np.argsort(o["gap"])
        ax.plot(o["gap"][order], med[order], "o", color=color,
                label=f"{label.split(' (')[0]}: slope {o['fit'].slope:.2f}")
        g = np.geomspace(o["gap"].min(), o["gap"].max(), 20)
        c0 = np.exp(np.mean(np.log(med * np.sqrt(o["gap"]))))
        ax.plot(g, c0 / np.sqrt(g), "--", color=color, lw=1.2)
    ax.set_xlabel(r"spectral gap $\gamma = 1 - \lambda_2(W)$")
    ax.set_ylabel(r"communication rounds to $\epsilon$")
    ax.set_title(r"K from the bound's rule (m = 16), dashed: $\propto 1/\sqrt{\gamma}$", fontsize=9)
    ax.legend(fontsize=7)
    # right: the claim's measurement, the least K per mixing that keeps the iterations
    kmin = least_rounds_vs_gap("test" if quick else "figure")
    for (name, m), color, power in zip(kmin.items(), ("tab:green", "tab:gray"), (0.5, 1.0), strict=True):
        gaps, K = np.asarray(m.details["x"]), np.asarray(m.details["K_min"], dtype=float)
        med = np.median(K, axis=1)
        ci = f" [{m.ci[0]:.2f}, {m.ci[1]:.2f}]" if m.ci else ""
        ax2.plot(gaps, med, "o", color=color, label=f"{name}: slope {m.value:.2f}{ci}")
        g = np.geomspace(gaps.min(), gaps.max(), 20)
        c0 = np.exp(np.mean(np.log(med * gaps ** power)))
        ax2.plot(g, c0 / g ** power, "--", color=color, lw=1.2,
                 label=rf"predicted $\propto \gamma^{{-{power:g}}}$")
    ax2.set_xlabel(r"spectral gap $\gamma$")
    ax2.set_ylabel(r"least rounds per mixing $K_{\min}$")
    ax2.set_title("claim decentralized.comm_vs_gap (m = 64)", fontsize=9)
    ax2.legend(fontsize=7)
    from matplotlib.ticker import NullFormatter

    for a in (ax, ax2):  # the minor labels of a short log axis overlap
        a.xaxis.set_minor_formatter(NullFormatter())
    save_figure(fig, "decentralized_gap")
    return out


# --------------------------------------------------------------------------------------
# 4. FastMix contraction
# --------------------------------------------------------------------------------------
def measure_fastmix(graph="ring", m=64, mixing="lazy_metropolis", rounds=120, trials=16, seed=0):
    """Worst measured consensus-error ratio over random starts and the slowest eigenvector."""
    from theory_lab.networks import Mixing, fastmix, fastmix_operator, make_graph, make_mixing
    from theory_lab.theory.decentralized_bounds import (
        fastmix_bound,
        fastmix_exact_factor,
        gossip_factor,
    )

    G = make_graph(graph, m)
    mix = Mixing(make_mixing(mixing, G), G)
    ev, vecs = np.linalg.eigh(mix.dense)
    rng = np.random.default_rng(seed)
    U0 = np.concatenate([rng.standard_normal((m, trials)), vecs[:, :1], vecs[:, -2:-1]], axis=1)
    U0 = U0 - U0.mean(axis=0)
    n0 = np.linalg.norm(U0, axis=0)
    R = np.arange(rounds + 1)
    fm, gs = np.zeros(R.size), np.zeros(R.size)
    prev, cur, G_ = U0, U0, U0
    from theory_lab.networks import fastmix_eta

    eta = fastmix_eta(mix.lambda2)
    for r in R:
        fm[r] = np.max(np.linalg.norm(cur - cur.mean(axis=0), axis=0) / n0)
        gs[r] = np.max(np.linalg.norm(G_ - G_.mean(axis=0), axis=0) / n0)
        prev, cur = cur, (1 + eta) * mix.apply(cur) - eta * prev
        G_ = mix.apply(G_)
    check = np.max(np.abs(fastmix(U0, mix, 7) - fastmix_operator(mix, 7) @ U0))
    exact = np.array([fastmix_exact_factor(ev, int(r), mix.lambda2) for r in R])
    return {"rounds": R, "fastmix": fm, "gossip": gs, "bound": fastmix_bound(mix.gap, R),
            "exact": exact, "gossip_bound": gossip_factor(mix.lambda2, R), "gap": mix.gap,
            "lambda2": mix.lambda2, "operator_check": float(check)}


def fig_fastmix(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    fig, axes = new_figure(2, 1, panel_size=(4.3, 3.3))
    out = {}
    for ax, (graph, m) in zip(axes, (("ring", 64), ("torus", 64)), strict=True):
        o = measure_fastmix(graph, m)
        out[graph] = o
        ax.plot(o["rounds"], o["fastmix"], color="tab:red", label="FastMix, measured (worst of 18 starts)")
        ax.plot(o["rounds"], o["bound"], "--", color="tab:red", label=r"bound $\sqrt{14}(1-(1-1/\sqrt{2})\sqrt{\gamma})^R$")
        ax.plot(o["rounds"], o["gossip"], color="tab:blue", label="plain gossip, measured")
        ax.plot(o["rounds"], o["gossip_bound"], "--", color="tab:blue", label=r"$\lambda_2^R$")
        ax.set_xlabel("communication rounds $R$")
        ax.set_ylabel(r"$\|U^R - \bar U\| / \|U^0 - \bar U\|$")
        ax.set_title(f"{graph}, m = {m}, lazy Metropolis: $\\gamma$ = {o['gap']:.2e}")
        ax.legend(fontsize=6, loc="lower left")
    save_figure(fig, "decentralized_fastmix")
    return out


# --------------------------------------------------------------------------------------
def main(argv=None):
    args = parse_args(__doc__, STORE, argv)
    t0 = time.perf_counter()
    fm = fig_fastmix(args.store, args.n_jobs, args.quick)
    for g, o in fm.items():
        worst = float(np.max(o["fastmix"] / o["bound"]))
        rate = float(np.exp(np.polyfit(o["rounds"][20:], np.log(o["fastmix"][20:]), 1)[0]))
        print(f"[decentralized_fastmix] {g}: gap {o['gap']:.3e}, measured/bound max {worst:.3f}, "
              f"measured rate/round {rate:.4f}, bound rate {1 - (1 - 2 ** -0.5) * np.sqrt(o['gap']):.4f}, "
              f"gossip lambda2 {o['lambda2']:.4f}")
    summary = fig_costs(args.store, args.n_jobs, args.quick)
    print("[decentralized_costs] final suboptimality:", {k: f"{v:.2e}" for k, v in summary.items()})
    ls = fig_kappa_local(args.store, args.n_jobs, args.quick)
    for (name, cost), fit in sorted(ls.fits.items()):
        print(f"[decentralized_kappa_local] {name} {cost}: slope {fit} (table {ls.predicted_slopes[name, cost]:.3f})")
    acc = fig_acceleration(args.store, args.n_jobs, args.quick)
    for (name, cost), fit in sorted(acc.fits.items()):
        print(f"[decentralized_acceleration] {name} {cost}: slope vs kappa {fit} "
              f"([R] bound {acc.predicted_slopes[name, cost]:.3f})")
    gp = fig_gap(args.store, args.n_jobs, args.quick)
    for name, o in gp.items():
        print(f"[decentralized_gap] {name}: comm-rounds slope vs gap {o['fit']} (1/sqrt(gamma): -0.5); "
              f"iterations slope {o['iter_fit'].slope:.3f}")
    print(f"[decentralized] total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
