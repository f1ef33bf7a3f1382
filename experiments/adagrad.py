r"""Figures for AdaGrad under anisotropic smoothness (``python -m experiments.adagrad``).

Claims checked (Liu, Pan, Zhang, ICLR 2025; bounds' constants [R] derived in
:mod:`theory_lab.theory.adagrad_bounds`):

1. ``adagrad_curves`` -- suboptimality vs iterations for projected AdaGrad, projected
   AdaGrad-norm and SGD, step sizes tuned per batch size, at several batch sizes and on
   the anisotropic logistic regression; the running average
   :math:`\bar\Delta_t = \frac1t\sum_{s<t}(\bar f(w_s) - f^\star)` (dotted, mean over seeds) and
   each method's [R] bound on it (dashed).
2. ``adagrad_anisotropy`` -- the advantage :math:`T_\epsilon^{\rm SGD}/T_\epsilon^{\rm AdaGrad}`
   (iterations until :math:`\bar\Delta_t \le \epsilon`, tuned steps, exact gradients = the
   large-batch limit) vs :math:`r_L = \|L\|_1/(d\|L\|_\infty)`, with the curve predicted by
   the bounds (:func:`theory_lab.theory.adagrad_bounds.predicted_advantage`).
3. ``adagrad_batch`` -- at a fixed sample budget :math:`N = MT`: tuned
   :math:`\bar\Delta_T` of SGD over that of AdaGrad vs :math:`M`, with the ratio of the bounds.
4. ``adagrad_constants.csv`` / ``.md`` -- each problem's :math:`\|L\|_1`, :math:`d\|L\|_\infty`,
   :math:`\|\sigma\|_1`, :math:`\sqrt d\|\sigma\|_2`, :math:`D_\infty`, :math:`D_2` (the paper's table).
5. ``adagrad_nonconvex`` -- running average of :math:`\|\nabla f(w_t)\|_1` on the non-convex
   separable problem for AdaGrad and GD (tuned), with the [R] bounds.

Why the running average.  The convex theorems bound :math:`\bar\Delta_T` (equivalently,
through convexity, the averaged iterate); the last iterate of AdaGrad on a separable
quadratic with exact gradients is *scale invariant* per coordinate (its dynamics do not
depend on :math:`L_i`), so its last-iterate advantage grows faster than the bounds predict;
the figure shows that too, for information.

Every run goes through :func:`theory_lab.tuning.tune` (a cached :func:`run_sweep`) with
the store ``results/cache/adagrad``: a second call re-plots without recomputing.

References
----------
.. [1] Y. Liu, R. Pan, T. Zhang. "AdaGrad under Anisotropic Smoothness." ICLR 2025.
   arXiv:2406.15244.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.rates import fit_loglog
from theory_lab.results import RunResult
from theory_lab.theory import adagrad_bounds as tb
from theory_lab.tuning import tune

STORE = "results/cache/adagrad"
FIGDIR = "figures"
COLORS = {"AdaGrad": "tab:red", "AdaGrad-norm": "tab:green", "SGD": "tab:blue",
          "GD": "tab:blue", "SignSGD": "tab:purple"}

#: Projection radii [R]: balls around w0 of twice the distance to the optimum, so that
#: the optimum is inside and the analysis' D is R + ||w0 - w*|| = 3 ||w0 - w*||.
ADAGRAD = {"name": "adagrad", "lr": 1.0, "radius": "2*D_inf"}
ADAGRAD_NORM = {"name": "adagrad_norm", "lr": 1.0, "radius": "2*D_2"}
SGD = {"name": "sgd", "lr": "1/L"}

#: Step-size grids.  SGD's stays below 1/L where its [R] bound applies (figure 1);
#: figures 2 and 3 also try 1/L <= eta < 2/L (no SGD bound is drawn there).
GRID_ADAGRAD = ["0.03125*D_inf", "0.0625*D_inf", "0.125*D_inf", "0.25*D_inf", "0.5*D_inf", "1*D_inf", "2*D_inf"]
GRID_NORM = ["0.03125*D_2", "0.0625*D_2", "0.125*D_2", "0.25*D_2", "0.5*D_2", "1*D_2", "2*D_2"]
GRID_SGD = ["0.9/L", "0.5/L", "0.25/L", "0.125/L", "0.0625/L", "0.03125/L", "0.015625/L"]
GRID_SGD_WIDE = ["1.95/L", "1.8/L", "1.5/L", "1/L", "0.5/L", "0.25/L"]
GRID_SGD_BATCH = ["1.95/L", "1.8/L", "1.5/L", "1/L", "0.9/L", "0.5/L", "0.25/L", "0.125/L", "0.0625/L"]

METHODS = {"AdaGrad": (ADAGRAD, GRID_ADAGRAD), "AdaGrad-norm": (ADAGRAD_NORM, GRID_NORM),
           "SGD": (SGD, GRID_SGD)}


def quad(d=100, L_ratio=0.04, k=1, sigma_max=0.1, sigma_ratio=None, seed=0) -> dict:
    """Separable quadratic spec: sparse-large L (k coordinates at 1), w0 - w* ~ U(-1, 1)^d."""
    spec = {"name": "separable_quadratic", "d": d, "L": "sparse_large", "L_k": k,
            "L_ratio": float(L_ratio), "sigma_max": float(sigma_max), "init": "uniform",
            "seed": seed}
    if sigma_ratio is not None:
        spec.update(sigma="power_law", sigma_ratio=float(sigma_ratio))
    return spec


def all_steps(T: int) -> dict:
    """Record every step (the running average needs them all)."""
    return {"T": int(T), "spacing": "linear", "n_checkpoints": int(T) + 1}


def running_average(result: RunResult, metric: str = "suboptimality") -> np.ndarray:
    r"""(S, T) per seed: :math:`\frac1t\sum_{s<t} m_s` for :math:`t = 1..T` (every step recorded)."""
    vals = np.asarray(result.metric(metric), dtype=float)
    steps = np.asarray(result.steps)
    if not np.array_equal(steps, np.arange(steps.size)):
        raise ValueError("running_average needs every step recorded (spacing='linear', "
                         "n_checkpoints=T+1)")
    return np.cumsum(vals[:, :-1], axis=1) / np.arange(1, steps.size)


def avg_criterion_l1(result: RunResult) -> float:
    """Tuning criterion of figure 5: mean over seeds and steps t < T of ||grad f(w_t)||_1."""
    return float(np.mean(np.asarray(result.extra["grad_l1"])[:, :-1]))


def first_below(avg: np.ndarray, eps: float) -> float:
    """First t (1-based count of averaged steps) with avg_t <= eps; inf if never."""
    i = np.flatnonzero(avg <= eps)
    return float(i[0] + 1) if i.size else math.inf


def _tuned(base_by_key: dict, store, n_jobs, criterion="average") -> dict:
    """Tune optimizer.lr of every base config (grid in its tags); key -> TuningResult."""
    keys = list(base_by_key)
    picks = tune([base_by_key[k][0] for k in keys], "optimizer.lr",
                 lambda cfg: next(v[1] for v in base_by_key.values() if v[0] is cfg),
                 criterion=criterion, store=store, n_jobs=n_jobs)
    return dict(zip(keys, picks, strict=True))


def step_size(opt) -> float:
    """The constant step size of a built optimizer (SGD records a schedule description)."""
    lr = opt.hyperparams["lr"]
    return float(lr["eta"]) if isinstance(lr, dict) else float(lr)


def bound_curve(method: str, consts: dict, eta: float, t: np.ndarray, M: int,
                certified: dict | None = None) -> np.ndarray:
    """[R] bound on the running average at each t for a method run with step ``eta``."""
    c = {**consts, **(certified or {})}
    if method == "AdaGrad":
        return tb.adagrad_convex_bound(c["L1"], c["sigma1"], 3 * c["D_inf"], eta, t, M)
    if method == "AdaGrad-norm":
        return tb.adagrad_norm_convex_bound(c["L"], c["sigma2"], 3 * c["D_2"], eta, t, M)
    return tb.sgd_convex_bound(c["L"], c["sigma2"], c["D_2"], eta, t, M)


def certified_constants(consts: dict) -> dict:
    """Constants valid everywhere for the bound: the logistic problem's certified L and sup noise."""
    if "L_cert_factor" not in consts:
        return {}
    f = consts["L_cert_factor"]
    return {"L1": f * consts["L1"], "sigma1": consts["sigma1_sup"], "sigma2": consts["sigma2_sup"]}


# --------------------------------------------------------------------------------------
# 1. curves with bounds
# --------------------------------------------------------------------------------------
LOGISTIC = {"name": "anisotropic_logistic", "n": 500, "d": 50, "feature_alpha": 1.5,
            "lam": 1e-3, "seed": 0}


def curve_cases(T=2000, batches=(1, 16, 256), seeds=range(8), T_logistic=1000):
    """(panel, method) -> (base config, grid): the separable quadratic at several M, and logistic."""
    cases = {}
    panels = [(f"quadratic, M={M}", quad(), M, T) for M in batches]
    panels.append(("logistic, M=16", LOGISTIC, 16, T_logistic))
    for panel, prob, M, T_panel in panels:
        for name, (opt, grid) in METHODS.items():
            cfg = RunConfig(problem=prob, optimizer=opt, batch_size=M, seeds=tuple(seeds),
                            tags={"experiment": "curves", "method": name}, **all_steps(T_panel))
            cases[(panel, name)] = (cfg, grid)
    return cases


def measure_curves(store=STORE, n_jobs=1, **kw) -> dict:
    """Tuned runs, their running averages and bounds: (panel, method) -> dict."""
    from theory_lab.runner import build

    cases = curve_cases(**kw)
    picks = _tuned(cases, store, n_jobs)
    out = {}
    for key, tr in picks.items():
        res = tr.best_result
        prob, opt = build(tr.best_config)
        consts = prob.constants()
        avg = running_average(res)
        t = np.arange(1, avg.shape[1] + 1)
        M = tr.best_config.batch_size
        bound = bound_curve(key[1], consts, step_size(opt), t, M,
                            certified_constants(consts))
        mean_avg = avg.mean(axis=0)
        se = avg.std(axis=0, ddof=1) / math.sqrt(avg.shape[0])
        out[key] = {"tuning": tr, "result": res, "avg": mean_avg, "se": se, "t": t,
                    "bound": bound, "lr": step_size(opt),
                    "max_ratio": float(np.max(mean_avg / bound))}
    return out


def fig_curves(store=STORE, n_jobs=1):
    from theory_lab.plotting import new_figure, plot_bound, plot_runs, save_figure

    data = measure_curves(store, n_jobs)
    panels = list(dict.fromkeys(p for p, _ in data))
    fig, axes = new_figure(ncols=len(panels), logx=True, panel_size=(3.6, 3.0))
    for ax, panel in zip(np.atleast_1d(axes), panels, strict=True):
        for name in METHODS:
            dd = data[(panel, name)]
            color = COLORS[name]
            plot_runs(ax, dd["result"], label=f"{name} (lr={dd['lr']:.3g})", color=color)
            ax.plot(dd["t"], dd["avg"], ":", color=color, lw=1.4)
            plot_bound(ax, dd["t"], dd["bound"], color)
        ax.set_title(panel, fontsize=9)
        ax.set_xlabel("iteration $t$")
    ax0 = np.atleast_1d(axes)[0]
    ax0.plot([], [], "k:", label=r"running average $\bar\Delta_t$ (mean)")
    ax0.plot([], [], "k--", label="[R] bound on $\\bar\\Delta_t$")
    ax0.legend(fontsize=6, loc="lower left")
    fig.suptitle("Tuned AdaGrad, AdaGrad-norm and SGD; last iterate (median, 10-90%), running "
                 "average and bounds", fontsize=9)
    save_figure(fig, "adagrad_curves", FIGDIR)
    return data


# --------------------------------------------------------------------------------------
# 2. advantage vs anisotropy (large-batch limit: exact gradients)
# --------------------------------------------------------------------------------------
RATIOS = (0.16, 0.08, 0.04, 0.02, 0.01)
EPS_ANISO = 1e-2


def anisotropy_cases(ratios=RATIOS, T=2500, d=400, k=2):
    cases = {}
    for r in ratios:
        prob = quad(d=d, L_ratio=r, k=k, sigma_max=0.0)  # exact gradients
        for name, opt, grid in (("AdaGrad", ADAGRAD, GRID_ADAGRAD), ("SGD", SGD, GRID_SGD_WIDE)):
            cfg = RunConfig(problem=prob, optimizer=opt, batch_size=1, seeds=(0,),
                            tags={"experiment": "anisotropy", "method": name}, **all_steps(T))
            cases[(r, name)] = (cfg, grid)
    return cases


def measure_anisotropy(ratios=RATIOS, eps=EPS_ANISO, store=STORE, n_jobs=1, **kw) -> dict:
    """Measured and predicted advantage per ratio, with log-log fits (slope vs r_L)."""
    from theory_lab.runner import build

    cases = anisotropy_cases(ratios, **kw)

    def crit(res):  # iterations until the running average is <= eps (ties: smaller average)
        avg = running_average(res).mean(axis=0)
        return first_below(avg, eps) + avg[-1] / (1.0 + avg[-1])

    picks = _tuned(cases, store, n_jobs, criterion=crit)
    rows = []
    for r in ratios:
        row = {"r_L": r}
        for name in ("AdaGrad", "SGD"):
            tr = picks[(r, name)]
            avg = running_average(tr.best_result).mean(axis=0)
            row[f"T_{name}"] = first_below(avg, eps)
            sub = tr.best_result.suboptimality.mean(axis=0)
            row[f"T_last_{name}"] = first_below(sub[1:], eps)
            row[f"lr_{name}"] = tr.best_value
        consts = build(picks[(r, "SGD")].best_config)[0].constants()
        row["measured"] = row["T_SGD"] / row["T_AdaGrad"]
        row["measured_last"] = row["T_last_SGD"] / row["T_last_AdaGrad"]
        row["r_L_exact"] = consts["L_ratio"]
        row["predicted"] = tb.predicted_advantage(
            consts["L_ratio"], 1.0, np.inf, d=consts["d"], L_inf=consts["L_inf"], sigma2=1.0,
            D_inf=consts["D_inf"], eps=eps, r_D=consts["D_ratio"], D_inf_factor=3.0)
        rows.append(row)
    x = np.array([r["r_L_exact"] for r in rows])
    fits = {k: fit_loglog(x, np.array([r[k] for r in rows]))
            for k in ("measured", "predicted", "measured_last")}
    return {"rows": rows, "fits": fits, "eps": eps, "picks": picks}


def fig_anisotropy(store=STORE, n_jobs=1):
    from theory_lab.plotting import new_figure, save_figure

    m = measure_anisotropy(store=store, n_jobs=n_jobs)
    rows, fits = m["rows"], m["fits"]
    x = np.array([r["r_L_exact"] for r in rows])
    fig, ax = new_figure(logx=True, panel_size=(5.0, 3.6))
    ax.plot(x, [r["measured"] for r in rows], "o-", color="tab:red",
            label=rf"measured, running average; slope {fits['measured']}")
    ax.plot(x, [r["predicted"] for r in rows], "--", color="k",
            label=f"predicted by the [R] bounds; slope {fits['predicted'].slope:.3f}")
    ax.plot(x, [r["measured_last"] for r in rows], "s:", color="tab:gray", ms=4,
            label=f"(info) last iterate; slope {fits['measured_last'].slope:.3f}")
    ax.axhline(1.0, color="gray", lw=0.6)
    ax.set(xlabel=r"anisotropy $r_L = \|L\|_1 / (d\,\|L\|_\infty)$",
           ylabel=r"$T_\epsilon^{\rm SGD} / T_\epsilon^{\rm AdaGrad}$",
           title=rf"Large-batch limit, tuned steps, $\epsilon = {m['eps']:g}$, $d = 400$")
    ax.legend(fontsize=7)
    save_figure(fig, "adagrad_anisotropy", FIGDIR)
    return m


# --------------------------------------------------------------------------------------
# 3. advantage vs batch size at a fixed sample budget
# --------------------------------------------------------------------------------------
BUDGET = 2**14
BATCHES = (4, 16, 64, 256)


def batch_cases(N=BUDGET, batches=BATCHES, seeds=range(4), L_ratio=0.04):
    cases = {}
    for M in batches:
        prob = quad(L_ratio=L_ratio)
        for name, opt, grid in (("AdaGrad", ADAGRAD, GRID_ADAGRAD), ("SGD", SGD, GRID_SGD_BATCH)):
            cfg = RunConfig(problem=prob, optimizer=opt, batch_size=M, seeds=tuple(seeds),
                            tags={"experiment": "batch", "method": name}, **all_steps(N // M))
            cases[(M, name)] = (cfg, grid)
    return cases


def measure_batch(store=STORE, n_jobs=1, **kw) -> dict:
    from theory_lab.runner import build

    cases = batch_cases(**kw)
    picks = _tuned(cases, store, n_jobs)
    rows = []
    Ms = sorted({M for M, _ in cases})
    for M in Ms:
        row = {"M": M}
        for name in ("AdaGrad", "SGD"):
            tr = picks[(M, name)]
            avg = running_average(tr.best_result)[:, -1]
            row[name] = float(avg.mean())
            row[f"se_{name}"] = float(avg.std(ddof=1) / math.sqrt(avg.size))
            row[f"lr_{name}"] = tr.best_value
        c = build(picks[(M, "SGD")].best_config)[0].constants()
        T = picks[(M, "SGD")].best_config.T
        row["measured"] = row["SGD"] / row["AdaGrad"]
        row["predicted"] = float(tb.sgd_rate(c["L"], c["sigma2"], c["D_2"], T, M)
                                 / tb.adagrad_rate(c["L1"], c["sigma1"], 3 * c["D_inf"], T, M))
        rows.append(row)
    return {"rows": rows, "picks": picks}


def fig_batch(store=STORE, n_jobs=1):
    from theory_lab.plotting import new_figure, save_figure

    m = measure_batch(store, n_jobs)
    rows = m["rows"]
    Ms = [r["M"] for r in rows]
    fig, ax = new_figure(logx=True, panel_size=(5.0, 3.6))
    ax.plot(Ms, [r["measured"] for r in rows], "o-", color="tab:red",
            label=r"measured $\bar\Delta_T^{\rm SGD} / \bar\Delta_T^{\rm AdaGrad}$ (tuned)")
    ax.plot(Ms, [r["predicted"] for r in rows], "--", color="k", label="ratio of the [R] rates")
    ax.axhline(1.0, color="gray", lw=0.6)
    ax.set(xlabel=f"batch size $M$ (budget $N = MT = {BUDGET}$)", ylabel="advantage of AdaGrad",
           title=r"Fixed budget, $r_L = 0.04$, $r_\sigma = 1$, $\sigma_i = 0.1$, $d = 100$")
    ax.legend(fontsize=7)
    save_figure(fig, "adagrad_batch", FIGDIR)
    return m


# --------------------------------------------------------------------------------------
# 4. constants table
# --------------------------------------------------------------------------------------
TABLE_PROBLEMS = {
    "quadratic, sparse-large r_L=0.04 (figs 1, 3)": quad(),
    "quadratic, sparse-large r_L=0.01 (fig 2)": quad(d=400, L_ratio=0.01, k=2, sigma_max=0.0),
    "quadratic, power-law r_L=0.1, r_sigma=0.3": {
        "name": "separable_quadratic", "d": 400, "L": "power_law", "L_ratio": 0.1,
        "sigma": "power_law", "sigma_ratio": 0.3},
    "logistic (feature alpha 1.5)": LOGISTIC,
    "cosh, generalized smooth (local L)": {"name": "separable_cosh", "d": 50, "L_ratio": 0.1,
                                           "sigma_max": 0.1},
    "cosine, non-convex": {"name": "separable_cosine", "d": 100, "L_ratio": 0.05},
}
TABLE_COLUMNS = ("d", "L1", "dL_inf", "sigma1", "sqrt_d_sigma2", "D_inf", "D_2", "L_ratio",
                 "sigma_ratio")


def constants_table(outdir=FIGDIR):
    import pandas as pd

    import problems

    rows = []
    for label, spec in TABLE_PROBLEMS.items():
        spec = dict(spec)
        c = problems.make(spec.pop("name"), **spec).constants()
        rows.append({"problem": label, **{k: c[k] for k in TABLE_COLUMNS}})
    df = pd.DataFrame(rows)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "adagrad_constants.csv", index=False)
    head = ["problem", "d", "‖L‖₁", "d‖L‖∞", "‖σ‖₁", "√d‖σ‖₂", "D∞", "D₂", "r_L", "r_σ"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join([r["problem"]] + [f"{r[k]:.4g}" for k in TABLE_COLUMNS])
                     + " |")
    (out / "adagrad_constants.md").write_text("\n".join(lines) + "\n")
    return df


# --------------------------------------------------------------------------------------
# 5. non-convex: l1 gradient norm
# --------------------------------------------------------------------------------------
def run_l1(cfg: RunConfig) -> RunResult:
    """Run one config recording f - f* and ||grad f||_1 at every step (exact or stochastic oracle).

    A ``run_fn`` for :func:`run_sweep` (module level, so it pickles to joblib workers).
    """
    from theory_lab import __version__
    from theory_lab.backends import get_backend, to_numpy
    from theory_lab.random import SeedStreams
    from theory_lab.runner import build

    prob, opt = build(cfg)
    backend = get_backend(cfg.backend, cfg.device, cfg.dtype)
    prob = prob.to_backend(backend)
    xp = backend.xp
    S, T = len(cfg.seeds), cfg.T
    streams = SeedStreams(cfg.seeds, stream=0, backend=backend)
    state = opt.init(prob.w0[None, :] + xp.zeros((S, prob.dim), dtype=prob.w0.dtype))
    sub, l1, l2 = (np.empty((S, T + 1)) for _ in range(3))
    t0 = time.perf_counter()
    for t in range(T + 1):
        w = state["w"]
        g = prob.gradient(w)
        sub[:, t] = to_numpy(prob.value(w)) - prob.f_star
        l1[:, t] = to_numpy(xp.sum(xp.abs(g), axis=-1))
        l2[:, t] = to_numpy(xp.linalg.vector_norm(g, axis=-1))
        if t < T:
            q = opt.query(state)
            gq = prob.gradient(q) if opt.oracle == "exact" else prob.stochastic_gradient(
                q, cfg.batch_size, streams)
            state = opt.step(state, gq, t)
    steps = np.arange(T + 1)
    meta = {"config_hash": cfg.hash(), "version": __version__, **backend.describe(),
            "constants": prob.constants(), "optimizer": {"name": opt.name, **opt.hyperparams},
            "wall_time": time.perf_counter() - t0, "last_step": T}
    return RunResult(config=cfg.to_dict(), meta=meta, steps=steps, suboptimality=sub,
                     grad_norm=l2, diverged_at=np.full(S, -1), hit_step=np.full(S, -1),
                     samples=steps * cfg.batch_size, grad_evals=steps.copy(),
                     extra={"grad_l1": l1})


NONCONVEX = {"name": "separable_cosine", "d": 100, "L_ratio": 0.05, "D": 3.0}


def nonconvex_cases(T=2000):
    grids = {"AdaGrad": ({"name": "adagrad", "lr": 1.0}, [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4]),
             "GD": ({"name": "sgd", "lr": "1/L"}, ["1.9/L", "1.5/L", "1/L", "0.5/L", "0.25/L"])}
    return {name: (RunConfig(problem=NONCONVEX, optimizer=opt, T=T, seeds=(0,),
                             spacing="linear", n_checkpoints=T + 1,
                             tags={"experiment": "nonconvex", "method": name}), grid)
            for name, (opt, grid) in grids.items()}


def measure_nonconvex(store=STORE, n_jobs=1, **kw) -> dict:
    from theory_lab.runner import build

    cases = nonconvex_cases(**kw)
    keys = list(cases)
    picks = tune([cases[k][0] for k in keys], "optimizer.lr",
                 lambda cfg: next(v[1] for v in cases.values() if v[0] is cfg),
                 criterion=avg_criterion_l1, store=store, n_jobs=n_jobs, run_fn=run_l1)
    out = {}
    for key, tr in zip(keys, picks, strict=True):
        res = tr.best_result
        prob, opt = build(tr.best_config)
        c = prob.constants()
        avg = running_average(res, "grad_l1")[0]
        t = np.arange(1, avg.size + 1)
        eta = step_size(opt)
        if key == "AdaGrad":
            g0 = prob.gradient(prob.w0[None])[0]
            bound = tb.adagrad_nonconvex_l1_bound(c["Delta"], prob.L_vector, eta, t, g0,
                                                  prob.L_vector)
        else:
            bound = tb.gd_nonconvex_l1_bound(c["Delta"], c["L"], c["d"], eta, t)
        out[key] = {"tuning": tr, "result": res, "avg": avg, "t": t, "bound": bound, "lr": eta,
                    "max_ratio": float(np.max(avg / bound))}
    return out


def fig_nonconvex(store=STORE, n_jobs=1):
    from theory_lab.plotting import new_figure, plot_bound, save_figure

    data = measure_nonconvex(store, n_jobs)
    fig, ax = new_figure(logx=True, panel_size=(5.0, 3.6))
    for name, dd in data.items():
        color = COLORS[name]
        ax.plot(dd["t"], dd["result"].extra["grad_l1"][0, 1:], color=color, lw=0.8, alpha=0.5)
        ax.plot(dd["t"], dd["avg"], color=color, lw=1.8,
                label=rf"{name} (lr={dd['lr']:.3g}): running mean of $\|\nabla f\|_1$")
        plot_bound(ax, dd["t"], dd["bound"], color, label=f"{name}: [R] bound")
    ax.set(xlabel="iteration $t$", ylabel=r"$\|\nabla f(w_t)\|_1$",
           title=r"Non-convex $\sum_i L_i(1-\cos w_i)$, $d=100$, $r_L = 0.05$, exact gradients")
    ax.legend(fontsize=7)
    save_figure(fig, "adagrad_nonconvex", FIGDIR)
    return data


# --------------------------------------------------------------------------------------
def main(argv=None):
    args = parse_args(__doc__, STORE, argv, quick=False)
    from threadpoolctl import threadpool_limits

    # small matrix products: a multithreaded BLAS only spins on a shared 2-core machine
    with threadpool_limits(1):
        return _main(args)


def _main(args):
    t0 = time.perf_counter()
    df = constants_table()
    print(df.to_string(index=False))
    curves = fig_curves(args.store, args.n_jobs)
    for (panel, name), dd in curves.items():
        print(f"[adagrad_curves] {panel} {name}: lr={dd['lr']:.4g} (edge "
              f"{dd['tuning'].at_edge}), final running avg "
              f"{dd['avg'][-1]:.3g}, bound {dd['bound'][-1]:.3g}, max avg/bound {dd['max_ratio']:.3g}")
    an = fig_anisotropy(args.store, args.n_jobs)
    for r in an["rows"]:
        edge = [n for n in ("AdaGrad", "SGD") if an["picks"][(r["r_L"], n)].at_edge]
        print(f"[adagrad_anisotropy] r_L={r['r_L_exact']:.3g}: grid edge: {edge or 'none'}, "
              f"lr SGD {r['lr_SGD']}, AdaGrad {r['lr_AdaGrad']}; T_SGD={r['T_SGD']:g} "
              f"T_AdaGrad={r['T_AdaGrad']:g} advantage {r['measured']:.3g} "
              f"(predicted {r['predicted']:.3g}; last iterate {r['measured_last']:.3g})")
    print(f"[adagrad_anisotropy] slopes: measured {an['fits']['measured']}, predicted "
          f"{an['fits']['predicted'].slope:.4f}, last iterate {an['fits']['measured_last']}")
    bt = fig_batch(args.store, args.n_jobs)
    for r in bt["rows"]:
        edge = [n for n in ("AdaGrad", "SGD") if bt["picks"][(r["M"], n)].at_edge]
        print(f"[adagrad_batch] M={r['M']}: SGD {r['SGD']:.3g} (lr {r['lr_SGD']}), AdaGrad "
              f"{r['AdaGrad']:.3g} (lr {r['lr_AdaGrad']}), grid edge: {edge or 'none'}, "
              f"advantage {r['measured']:.3g} (predicted {r['predicted']:.3g})")
    nc = fig_nonconvex(args.store, args.n_jobs)
    for name, dd in nc.items():
        print(f"[adagrad_nonconvex] {name}: lr={dd['lr']:.4g} (edge {dd['tuning'].at_edge}), final mean l1 {dd['avg'][-1]:.3g}, "
              f"bound {dd['bound'][-1]:.3g}, max ratio {dd['max_ratio']:.3g}")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
