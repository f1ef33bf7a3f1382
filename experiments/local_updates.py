r"""Figures for local updates with outer momentum (DiLoCo) (``python -m experiments.local_updates``).

Claims checked (issue 7; Woodworth, Patel, Srebro 2020; Koloskova et al. 2020; Douillard et
al. 2023), on :math:`K = 8` heterogeneous diagonal quadratics (:mod:`problems.heterogeneous`,
:math:`d = 20`, :math:`\mu = 0.1`, :math:`L = 1`, permuted spectra):

1. ``diloco_curves`` -- suboptimality vs communication rounds for
   :math:`H \in \{1, 4, 16, 64\}`: local SGD and DiLoCo (inner SGD, :math:`\eta = 0.1`;
   DiLoCo's outer Nesterov :math:`\eta_{\mathrm{out}} = 0.7`, :math:`\mu = 0.9`), DiLoCo with
   inner Adam, and minibatch SGD at equal communication (:math:`KHM` samples per round at
   the round's point, step :math:`1/L`).  Each inner-SGD method's exact expectation is dotted
   (:func:`theory_lab.theory.local_sgd_bounds.expected_risk`), local SGD's [D] bound dashed,
   the exact heterogeneity floor grey.
2. ``diloco_floor`` -- the noise-free floor :math:`f(x_\infty) - f^\star` vs :math:`\zeta^2`
   for :math:`H \in \{4, 16, 64\}`: measured (local SGD and DiLoCo, long runs) against the
   closed-form fixed point, the instance bound and the constants-only [D] bound.

Runs go through :func:`theory_lab.sweep.run_sweep` with ``run_fn=run_local_config`` and the
store ``results/cache/local_updates``; a second run only re-plots.
"""

from __future__ import annotations

import time

import numpy as np

from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.local_updates import build_local, run_local_config
from theory_lab.sweep import run_sweep

STORE = "results/cache/local_updates"
HS = (1, 4, 16, 64)
ETA = 0.1
PROBLEM = {"name": "heterogeneous_quadratic", "K": 8, "d": 20, "kappa": 10.0, "L": 1.0,
           "zeta": 1.0, "sigma": 0.3, "seed": 0}

METHODS = {
    # label: (spec builder(H), colour)
    "minibatch SGD (lr 1/L)": (lambda H: {"name": "minibatch_sgd", "H": H, "lr": "1/L"}, "tab:blue"),
    "local SGD": (lambda H: {"name": "local_sgd", "H": H, "lr": ETA}, "tab:green"),
    "DiLoCo (SGD inner)": (lambda H: {"name": "diloco", "H": H, "inner": {"name": "sgd", "lr": ETA},
                                      "outer_lr": 0.7, "momentum": 0.9}, "tab:red"),
    "DiLoCo (Adam inner)": (lambda H: {"name": "diloco", "H": H,
                                       "inner": {"name": "adam", "lr": 0.01},
                                       "outer_lr": 0.7, "momentum": 0.9}, "tab:purple"),
}


def run_all(configs, store=STORE, n_jobs=2):
    return dict(zip([c.hash() for c in configs],
                    run_sweep(configs, store=store, n_jobs=n_jobs, run_fn=run_local_config),
                    strict=True))


def curve_configs(R=200, seeds=range(16)):
    return {(label, H): RunConfig(problem=PROBLEM, optimizer=spec(H), T=R, batch_size=1,
                                  seeds=tuple(seeds), n_checkpoints=40,
                                  tags={"experiment": "diloco_curves", "method": label})
            for H in HS for label, (spec, _) in METHODS.items()}


def fig_curves(store=STORE, n_jobs=2):
    from theory_lab.plotting import new_figure, plot_bound, plot_runs, save_figure
    from theory_lab.theory.local_sgd_bounds import (
        expected_risk,
        heterogeneity_floor,
        local_sgd_bound,
    )

    configs = curve_configs()
    results = run_all(list(configs.values()), store, n_jobs)
    fig, axes = new_figure(ncols=4, sharey=True, panel_size=(3.6, 3.2))
    summary = {}
    for ax, H in zip(axes, HS, strict=True):
        for label, (_, color) in METHODS.items():
            cfg = configs[(label, H)]
            res = results[cfg.hash()]
            ax.set_xscale("symlog", linthresh=1)
            plot_runs(ax, res, label=label, color=color)
            prob, method = build_local(cfg)
            entry = {"final_median": float(np.nanmedian(res.suboptimality[:, -1])),
                     "final_mean": float(np.nanmean(res.suboptimality[:, -1]))}
            if "Adam" not in label:
                exact = expected_risk(prob, method, cfg.T, cfg.batch_size, steps=res.steps)
                ax.plot(res.steps, exact, ":", color=color, lw=1.2)
                entry["exact_final"] = float(exact[-1])
            if label == "local SGD":
                c = prob.constants()
                bound = local_sgd_bound(c, H, ETA, res.steps, cfg.batch_size)
                plot_bound(ax, res.steps, bound, color, label="local SGD bound [D]")
                F = heterogeneity_floor(prob, H, ETA)
                if F > 1e-20:
                    ax.axhline(F, color="gray", lw=0.8, label="exact floor $f(x_\\infty)-f^\\star$")
                entry["bound_final"] = float(bound[-1])
                entry["floor"] = F
            summary[(label, H)] = entry
        ax.set_ylim(1e-4, 10)
        ax.set_ylabel("")
        ax.set_title(f"$H = {H}$")
        ax.set_xlabel("communication round $r$")
    axes[0].set_ylabel(r"$f(x_r) - f^\star$")
    axes[0].legend(fontsize=6, loc="lower left")
    fig.suptitle(r"$K=8$ heterogeneous quadratics, $\zeta^2=1$, $\sigma^2=0.09$, $M=1$, "
                 r"$\eta=0.1$: median and 10-90% over 16 seeds; exact $\mathbb{E}$ dotted")
    save_figure(fig, "diloco_curves")
    return summary


def floor_configs(zeta2s=(0.01, 0.1, 1.0, 10.0, 100.0), Hs=(4, 16, 64)):
    out = {}
    for H in Hs:
        R = max(200, 12_000 // H)
        for z2 in zeta2s:
            prob = {**PROBLEM, "zeta": float(np.sqrt(z2)), "sigma": 0.0}
            for label in ("local SGD", "DiLoCo (SGD inner)"):
                out[(label, H, z2)] = RunConfig(problem=prob, optimizer=METHODS[label][0](H), T=R,
                                                seeds=(0,), n_checkpoints=10,
                                                tags={"experiment": "diloco_floor"})
    return out


def fig_floor(store=STORE, n_jobs=2):
    from theory_lab.plotting import new_figure, save_figure
    from theory_lab.theory.local_sgd_bounds import (
        floor_bound,
        floor_bound_instance,
        heterogeneity_floor,
    )

    configs = floor_configs()
    results = run_all(list(configs.values()), store, n_jobs)
    fig, ax = new_figure(logx=True, panel_size=(5.5, 4.0))
    colors = {4: "tab:blue", 16: "tab:orange", 64: "tab:red"}
    rows = []
    for H, color in colors.items():
        z2s = sorted({k[2] for k in configs if k[1] == H})
        pred, inst, const = [], [], []
        for z2 in z2s:
            prob, _ = build_local(configs[("local SGD", H, z2)])
            c = prob.constants()
            F = heterogeneity_floor(prob, H, ETA)
            pred.append(F)
            inst.append(floor_bound_instance(prob, H, ETA))
            const.append(floor_bound(c["L"], c["mu"], c["zeta2"], H, ETA))
            for label, marker in (("local SGD", "o"), ("DiLoCo (SGD inner)", "x")):
                meas = float(results[configs[(label, H, z2)].hash()].suboptimality[0, -1])
                rows.append({"H": H, "zeta2": z2, "method": label, "measured": meas, "exact": F,
                             "rel_err": meas / F - 1, "instance_bound": inst[-1],
                             "bound": const[-1]})
                ax.plot(z2, meas, marker, color=color, ms=7 if marker == "o" else 9,
                        mfc="none" if marker == "o" else None)
        ax.plot(z2s, pred, "-", color=color, label=f"$H={H}$: exact fixed point")
        ax.plot(z2s, inst, "--", color=color, lw=1, label=f"$H={H}$: instance bound [D]")
        ax.plot(z2s, const, ":", color=color, lw=1, label=f"$H={H}$: bound in $L,\\mu,\\zeta^2$ [D]")
    ax.plot([], [], "o", color="k", mfc="none", label="measured, local SGD")
    ax.plot([], [], "x", color="k", label="measured, DiLoCo (Nesterov 0.7/0.9)")
    ax.set(xlabel=r"heterogeneity $\zeta^2 = \frac{1}{K}\sum_k\Vert\nabla f_k(w^\star)\Vert^2$",
           ylabel=r"floor $\lim_r f(x_r) - f^\star$ ($\sigma = 0$)",
           title=rf"Heterogeneity floor, $K=8$, $\kappa=10$, $\eta={ETA}$")
    ax.legend(fontsize=6, ncol=2, loc="upper left")
    save_figure(fig, "diloco_floor")
    return rows


def main(argv=None):
    args = parse_args(__doc__, STORE, argv, quick=False)
    t0 = time.perf_counter()
    summary = fig_curves(args.store, args.n_jobs)
    for (label, H), e in summary.items():
        print(f"[diloco_curves] H={H:2d} {label}: " + ", ".join(f"{k} {v:.3g}" for k, v in e.items()))
    rows = fig_floor(args.store, args.n_jobs)
    for r in rows:
        print(f"[diloco_floor] H={r['H']:2d} zeta2={r['zeta2']:g} {r['method']}: measured "
              f"{r['measured']:.6g} exact {r['exact']:.6g} (rel {r['rel_err']:.1e}); instance bound "
              f"x{r['instance_bound'] / r['exact']:.1f}, constants bound x{r['bound'] / r['exact']:.0f}")
    print(f"[local_updates] total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
