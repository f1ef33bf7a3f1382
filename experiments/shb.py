r"""Figures for stochastic heavy ball under anisotropic gradient noise (``make fig-shb``).

Claims checked (Pan, Liu, Wang, Zhang, ICLR 2024):

1. ``shb_curves`` -- suboptimality vs iterations: multistage SHB reaches the variance
   floor in about :math:`\sqrt\kappa` iterations where step-decay SGD needs
   :math:`\kappa`; each method's exact expected risk and its upper bound (dashed).
2. ``shb_kappa_scaling`` -- iterations to :math:`\epsilon` vs :math:`\kappa` in the
   large-batch regime: log-log slope about 1 for SGD, about 1/2 for SHB (fitted slopes with
   95% CIs over seeds in the legend), next to the exact noiseless prediction.
3. ``shb_batch_budget`` -- fixed sample budget :math:`N = MT`, learning rates tuned on a grid
   per batch size: SGD degrades once :math:`T = N/M` drops below about :math:`\kappa`, SHB
   stays near the floor down to :math:`T \approx \sqrt\kappa`.
4. ``shb_variance_floor`` -- final suboptimality vs :math:`d\sigma^2/(MT)`: the minimax
   variance term.

Every run goes through :func:`theory_lab.sweep.run_sweep` with the store
``results/cache/shb``: a second ``make fig-shb`` re-plots without recomputing.

Set-up of the constants: the spectra keep :math:`\mu = 1` and put :math:`L = \kappa`, so
the slow modes carry the same energy at every :math:`\kappa` and iteration counts compare
across :math:`\kappa` without a drifting :math:`\log(f_0/\epsilon)` factor.

References
----------
.. [1] R. Pan, Y. Liu, X. Wang, T. Zhang. "Accelerated Convergence of Stochastic Heavy
   Ball Method under Anisotropic Gradient Noise." ICLR 2024. arXiv:2312.14567.
.. [2] R. Ge, S. M. Kakade, R. Kidambi, P. Netrapalli. "The Step Decay Schedule." NeurIPS 2019.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.rates import fit_loglog, iterations_to_epsilon
from theory_lab.sweep import run_sweep

STORE = "results/cache/shb"
SHB_BETA = "(1 - 1/sqrt(kappa))**2"  # [R] Pan et al.: beta = (1 - c sqrt(mu eta_1))^2, c = 1, eta_1 = 1/L

METHODS = {
    # name: (optimizer spec builder, colour)
    "SGD": ({"name": "sgd", "lr": "1/L"}, "tab:blue"),
    "SHB": ({"name": "shb", "lr": "1/L", "beta": SHB_BETA}, "tab:red"),
}


def run_by_hash(configs, store=STORE, n_jobs=1) -> dict:
    """Run (or load from the cache) every config; results keyed by config hash."""
    return {c.hash(): r for c, r in zip(configs, run_sweep(configs, store=store, n_jobs=n_jobs),
                                        strict=True)}


def quadratic(kappa: float, d: int = 50, spectrum: str = "two_clusters", sigma: float = 1.0,
              noise: str = "anisotropic", seed: int = 0) -> dict:
    """Problem spec with :math:`\\mu = 1`, :math:`L = \\kappa`."""
    return {"name": "quadratic", "d": d, "kappa": float(kappa), "L": float(kappa),
            "spectrum": spectrum, "noise": noise, "sigma": sigma, "seed": seed}


# --------------------------------------------------------------------------------------
# 2. iterations to epsilon vs kappa
# --------------------------------------------------------------------------------------
@dataclass
class KappaScaling:
    kappas: np.ndarray
    iterations: dict  # method -> (n_kappa, S) measured iterations to eps
    predicted: dict  # method -> (n_kappa,) exact noiseless iterations to eps
    fits: dict  # method -> rates.Fit of log iterations on log kappa
    predicted_fits: dict


def kappa_scaling_configs(kappas, eps=1e-3, d=50, batch_size=10**9, seeds=range(4),
                          spectrum="two_clusters", horizon=40):
    """One config per (method, kappa); stops when every seed reached ``eps``."""
    configs = {}
    for name, (opt, _) in METHODS.items():
        configs[name] = [
            RunConfig(problem=quadratic(k, d=d, spectrum=spectrum), optimizer=opt,
                      T=int(horizon * k), batch_size=batch_size, seeds=tuple(seeds),
                      epsilon=eps, stop_at_epsilon=True, n_checkpoints=30,
                      tags={"experiment": "kappa_scaling", "method": name})
            for k in kappas
        ]
    return configs


def predicted_iterations(config: RunConfig, eps: float) -> int:
    """Exact iterations to ``eps`` of the noiseless recursion (theory, no sampling)."""
    from theory_lab.runner import build
    from theory_lab.theory.quadratic_risk import first_step_below

    prob, opt = build(config)
    hp = opt.hyperparams
    return first_step_below(prob.spectrum, prob.initial_error_coordinates(), hp["lr"]["eta"],
                            hp.get("beta", 0.0), eps, config.T)


def measure_kappa_scaling(kappas, eps=1e-3, store=STORE, n_jobs=1, **kw) -> KappaScaling:
    kappas = np.asarray(kappas, dtype=float)
    configs = kappa_scaling_configs(kappas, eps=eps, **kw)
    flat = [c for cs in configs.values() for c in cs]
    results = run_by_hash(flat, store, n_jobs)
    iters, pred, fits, pfits = {}, {}, {}, {}
    for name, cs in configs.items():
        iters[name] = np.stack([iterations_to_epsilon(results[c.hash()], eps) for c in cs])
        pred[name] = np.array([predicted_iterations(c, eps) for c in cs], dtype=float)
        fits[name] = fit_loglog(kappas, iters[name])
        pfits[name] = fit_loglog(kappas, pred[name])
    return KappaScaling(kappas, iters, pred, fits, pfits)


def fig_kappa_scaling(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    kappas = [16, 64, 256, 1024] if quick else [16, 64, 256, 1024, 4096, 16384]
    ks = measure_kappa_scaling(kappas, store=store, n_jobs=n_jobs)
    fig, ax = new_figure()
    for name, (_, color) in METHODS.items():
        it = ks.iterations[name]
        med = np.median(it, axis=1)
        ax.fill_between(ks.kappas, it.min(1), it.max(1), color=color, alpha=0.2, lw=0)
        ax.plot(ks.kappas, med, "o-", color=color,
                label=f"{name}: measured slope {ks.fits[name]}")
        ax.plot(ks.kappas, ks.predicted[name], "--", color=color,
                label=f"{name}: exact noiseless recursion, slope {ks.predicted_fits[name].slope:.3f}")
    ax.set(xscale="log", yscale="log", xlabel=r"condition number $\kappa$ ($\mu = 1$)",
           ylabel=r"iterations to $f - f^\star \leq 10^{-3}$",
           title=r"Large batch: SGD needs $\sim\kappa$, SHB $\sim\sqrt{\kappa}$ iterations")
    ax.legend(fontsize=7)
    save_figure(fig, "shb_kappa_scaling")
    return ks


# --------------------------------------------------------------------------------------
# 1. curves with exact expectation and bounds
# --------------------------------------------------------------------------------------
def curve_configs(kappa, T=3000, batch_size=64, d=50, seeds=range(64), n_stages=6):
    """Multistage SHB and step-decay SGD from the same start (eta_1 = 1/L, [R] constants)."""
    prob = quadratic(kappa, d=d, spectrum="power_law")
    common = dict(problem=prob, T=T, batch_size=batch_size, seeds=tuple(seeds), n_checkpoints=60)
    return {
        "step-decay SGD": RunConfig(optimizer={"name": "step_decay_sgd", "eta0": "1/L"},
                                    tags={"experiment": "curves"}, **common),
        "multistage SHB": RunConfig(optimizer={"name": "multistage_shb", "eta0": "1/L", "beta": SHB_BETA,
                                               "n_stages": n_stages, "factor": 2.0},
                                    tags={"experiment": "curves"}, **common),
    }


def trajectory_bound(prob, schedule, beta, sigma, M, steps) -> np.ndarray:
    """Upper bound on E f(w_t) - f* at each ``t`` in ``steps``.

    The run up to step ``t`` is the same piecewise-constant method with its schedule cut at
    ``t``, so :func:`theory_lab.theory.shb_bounds.stagewise_bound` applied to the truncated
    schedule bounds the expected suboptimality at ``t``.
    """
    from theory_lab.theory.shb_bounds import stagewise_bound

    f0 = prob.constants()["f0"]
    starts, values = list(schedule.starts), list(schedule.values)
    out = np.empty(len(steps))
    for k, t in enumerate(steps):
        if t == 0:
            out[k] = f0
            continue
        n = sum(1 for s in starts if s < t)
        ends = starts[1:n] + [t]
        lengths = [e - s for s, e in zip(starts[:n], ends, strict=True)]
        out[k] = stagewise_bound(prob.spectrum, values[:n], lengths, beta, sigma, M, f0,
                                 noise=prob.noise.kind)["total"]
    return out


def fig_curves(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, plot_bound, plot_runs, save_figure
    from theory_lab.runner import build
    from theory_lab.schedules import make_schedule
    from theory_lab.theory.quadratic_risk import expected_risk_for
    from theory_lab.theory.shb_bounds import variance_floor

    kappas = [100, 1000] if quick else [100, 1000, 10000]
    per_kappa = {k: curve_configs(k) for k in kappas}
    flat = [c for cs in per_kappa.values() for c in cs.values()]
    results = run_by_hash(flat, store, n_jobs)
    fig, axes = new_figure(ncols=len(kappas), logx=True)
    summary = {}
    for ax, (kappa, cs) in zip(np.atleast_1d(axes), per_kappa.items(), strict=True):
        for (name, cfg), color in zip(cs.items(), ("tab:blue", "tab:red"), strict=True):
            res = results[cfg.hash()]
            prob, opt = build(cfg)
            sched = make_schedule(opt.hyperparams["lr"], cfg.T)
            beta = opt.hyperparams.get("beta", 0.0)
            steps = res.steps
            plot_runs(ax, res, label=f"{name} (median, 10-90%)", color=color)
            exact = expected_risk_for(prob, sched, beta, cfg.batch_size, cfg.T, steps=steps)
            ax.plot(steps[1:], exact[1:], ":", color=color, lw=1.2, label=f"{name}: exact E[f]")
            bound = trajectory_bound(prob, sched, beta, prob.noise.sigma, cfg.batch_size, steps)
            plot_bound(ax, steps[1:], bound[1:], color, label=f"{name}: upper bound [R]")
            summary[(kappa, name)] = (float(np.mean(res.suboptimality[:, -1])), float(exact[-1]),
                                      float(bound[-1]))
        d, sigma, M, T = cfg.problem["d"], cfg.problem["sigma"], cfg.batch_size, cfg.T
        ax.axhline(variance_floor(d, sigma, M, T), color="gray", lw=0.8,
                   label=r"$d\sigma^2/(MT)$")
        ax.set_title(rf"$\kappa = {kappa:g}$, $d = {d}$, $M = {M}$")
        ax.set_xlabel("iteration $t$")
    np.atleast_1d(axes)[0].legend(fontsize=6, loc="lower left")
    fig.suptitle("Multistage SHB vs step-decay SGD under anisotropic noise (Pan et al. 2024)")
    save_figure(fig, "shb_curves")
    return summary


# --------------------------------------------------------------------------------------
# 3. fixed sample budget, tuned step sizes
# --------------------------------------------------------------------------------------
BUDGET_GRIDS = {
    "step-decay SGD": [{"name": "step_decay_sgd", "eta0": f"{a}/L"} for a in (1, 0.5, 0.25, 0.125)],
    # stages: "short" = round(log2(T)/2), "long" = ceil(log2(T)) (Ge et al.'s count)
    "multistage SHB": [
        {"name": "multistage_shb", "eta0": f"{a}/L", "beta": f"(1 - {c}/sqrt(kappa))**2",
         "factor": 2.0, "n_stages": k}
        for a in (1, 0.25) for c in (1, 0.5) for k in ("short", "long")
    ],
}


def n_stages_for(T: int, kind: str = "long") -> int:
    """Stage count [R]: ``ceil(log2 T)`` ("long", as Ge et al.) or ``round(log2(T)/2)``."""
    k = math.ceil(math.log2(T)) if kind == "long" else round(math.log2(T) / 2)
    return max(2, min(k, T))


def budget_configs(N=2**18, batches=(4, 16, 64, 256, 1024, 4096), kappa=1000, d=50, seeds=range(8)):
    """Every (method, batch size, grid point) at ``T = N / M``; stages ~ log2(T)/2 for SHB."""
    out = {}
    for name, grid in BUDGET_GRIDS.items():
        for M in batches:
            T = N // M
            for spec in grid:
                spec = dict(spec)
                if spec["name"] == "multistage_shb":
                    spec["n_stages"] = n_stages_for(T, spec["n_stages"])
                out.setdefault((name, M), []).append(
                    RunConfig(problem=quadratic(kappa, d=d), optimizer=spec, T=T, batch_size=M,
                              seeds=tuple(seeds), n_checkpoints=20,
                              tags={"experiment": "batch_budget"}))
    return out


def measure_budget(store=STORE, n_jobs=1, **kw):
    """Best final mean suboptimality per (method, M) over the step-size grid (:func:`tune`)."""
    from theory_lab.tuning import tune

    configs = budget_configs(**kw)
    grids = {cs[0].hash(): [c.optimizer for c in cs] for cs in configs.values()}
    picks = tune([cs[0] for cs in configs.values()], "optimizer", lambda cfg: grids[cfg.hash()],
                 criterion="final", store=store, n_jobs=n_jobs)
    return {key: {"final": float(p.scores[p.best_index]), "config": p.best_config,
                  "result": p.results[p.best_index], "grid": p.values, "finals": list(p.scores)}
            for key, p in zip(configs, picks, strict=True)}


def fig_batch_budget(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure
    from theory_lab.theory.shb_bounds import variance_floor

    kw = {"N": 2**16, "batches": (4, 16, 64, 256, 1024)} if quick else {}
    best = measure_budget(store, n_jobs, **kw)
    fig, ax = new_figure(logx=True)
    for name, color in (("step-decay SGD", "tab:blue"), ("multistage SHB", "tab:red")):
        Ms = sorted(M for (n, M) in best if n == name)
        fin = [best[(name, M)]["final"] for M in Ms]
        lo = [np.quantile(best[(name, M)]["result"].suboptimality[:, -1], 0.1) for M in Ms]
        hi = [np.quantile(best[(name, M)]["result"].suboptimality[:, -1], 0.9) for M in Ms]
        ax.fill_between(Ms, lo, hi, color=color, alpha=0.2, lw=0)
        ax.plot(Ms, fin, "o-", color=color, label=f"{name} (tuned step, mean over seeds)")
    any_cfg = next(iter(best.values()))["config"]
    N = any_cfg.T * any_cfg.batch_size
    floor = variance_floor(any_cfg.problem["d"], any_cfg.problem["sigma"], 1, N)
    ax.axhline(floor, color="gray", ls="--", label=r"$d\sigma^2/N$ (minimax floor)")
    kappa = any_cfg.problem["kappa"]
    ax.axvline(N / kappa, color="tab:blue", lw=0.8, ls=":", label=r"$T = \kappa$")
    ax.axvline(N / math.sqrt(kappa), color="tab:red", lw=0.8, ls=":", label=r"$T = \sqrt{\kappa}$")
    ax.set(xlabel="batch size $M$ (budget $N = MT$ fixed)", ylabel=r"final $f(w_T) - f^\star$",
           title=rf"Fixed budget $N = 2^{{{int(math.log2(N))}}}$, $\kappa = {kappa:g}$")
    ax.legend(fontsize=7)
    save_figure(fig, "shb_batch_budget")
    return best


# --------------------------------------------------------------------------------------
# 4. the variance floor
# --------------------------------------------------------------------------------------
def floor_configs(dims=(10, 40), batches=(1, 8), horizons=(500, 4000), kappa=10, seeds=range(32)):
    """Multistage SHB in the noise-dominated regime (bias negligible at these T)."""
    return [
        RunConfig(problem=quadratic(kappa, d=d, spectrum="log_uniform"),
                  optimizer={"name": "multistage_shb", "eta0": "1/L", "beta": SHB_BETA,
                             "n_stages": n_stages_for(T), "factor": 2.0},
                  T=T, batch_size=M, seeds=tuple(seeds), n_checkpoints=10,
                  tags={"experiment": "variance_floor"})
        for d in dims for M in batches for T in horizons
    ]


def measure_floor(store=STORE, n_jobs=1, **kw):
    from theory_lab.runner import build
    from theory_lab.schedules import make_schedule
    from theory_lab.theory.quadratic_risk import expected_risk_for
    from theory_lab.theory.shb_bounds import variance_floor

    configs = floor_configs(**kw)
    results = run_sweep(configs, store=store, n_jobs=n_jobs)
    rows = []
    for c, r in zip(configs, results, strict=True):
        prob, opt = build(c)
        sched = make_schedule(opt.hyperparams["lr"], c.T)
        exact = expected_risk_for(prob, sched, opt.hyperparams["beta"], c.batch_size, c.T, steps=[c.T])
        final = r.suboptimality[:, -1]
        rows.append({"d": c.problem["d"], "M": c.batch_size, "T": c.T,
                     "floor": variance_floor(c.problem["d"], c.problem["sigma"], c.batch_size, c.T),
                     "measured": float(np.mean(final)),
                     "stderr": float(np.std(final, ddof=1) / math.sqrt(len(final))),
                     "exact": float(exact[-1])})
    return rows


def fig_variance_floor(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    rows = measure_floor(store, n_jobs)
    floor = np.array([r["floor"] for r in rows])
    meas = np.array([r["measured"] for r in rows])
    fit = fit_loglog(floor, meas)
    fig, ax = new_figure(logx=True, panel_size=(5, 3.6))
    ax.errorbar(floor, meas, yerr=2 * np.array([r["stderr"] for r in rows]), fmt="o",
                color="tab:red", label="multistage SHB, measured (mean, 2 s.e.)")
    ax.plot(floor, [r["exact"] for r in rows], "x", color="k", label="exact E[f] (moment recursion)")
    grid = np.geomspace(floor.min(), floor.max(), 10)
    ratio = float(np.exp(np.mean(np.log(meas / floor))))
    ax.plot(grid, grid * ratio, "--", color="tab:red", label=rf"fit: ${ratio:.2f}\times d\sigma^2/(MT)$")
    ax.plot(grid, grid, "--", color="gray", label=r"$d\sigma^2/(MT)$")
    ax.set(xlabel=r"$d\sigma^2/(MT)$", ylabel=r"final $f(w_T) - f^\star$",
           title=f"Variance term ($\\kappa = 10$): log-log slope {fit}")
    ax.legend(fontsize=7, loc="upper left")
    save_figure(fig, "shb_variance_floor")
    return rows, fit, ratio


# --------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------
def main(argv=None):
    args = parse_args(__doc__, STORE, argv)
    summary = fig_curves(args.store, args.n_jobs, args.quick)
    for (kappa, name), (meas, exact, bound) in summary.items():
        print(f"[shb_curves] kappa={kappa:g} {name}: final mean {meas:.3g}, exact {exact:.3g}, "
              f"bound {bound:.3g}")
    ks = fig_kappa_scaling(args.store, args.n_jobs, args.quick)
    for name, fit in ks.fits.items():
        print(f"[shb_kappa_scaling] {name}: slope {fit} "
              f"(noiseless recursion {ks.predicted_fits[name].slope:.3f})")
    best = fig_batch_budget(args.store, args.n_jobs, args.quick)
    for (name, M), b in sorted(best.items()):
        print(f"[shb_batch_budget] {name} M={M}: best final {b['final']:.3g} with "
              f"{b['config'].optimizer}")
    rows, fit, ratio = fig_variance_floor(args.store, args.n_jobs, args.quick)
    print(f"[shb_variance_floor] slope of measured vs d sigma^2/(MT): {fit}; "
          f"geometric-mean ratio {ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
