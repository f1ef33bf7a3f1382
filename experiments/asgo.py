r"""Figures for ASGO and matrix preconditioners (``python -m experiments.asgo``).

Claims checked (An et al., NeurIPS 2025; "Muon outperforms Adam in tail-end associative
memory learning", ICLR 2026):

1. ``asgo_curves`` -- suboptimality vs iterations of every method on the block-diagonal
   matrix quadratic (small one-sided noise), and the running-average suboptimality of ASGO
   and SGD under their bounds (dashed; [R] constants, :mod:`theory_lab.theory.asgo_bounds`).
2. ``asgo_advantage`` -- measured ASGO/SGD iterations to :math:`\epsilon` of the running
   average :math:`\frac1T\sum_{t<T}(f(W_t)-f^\star)` (the quantity both bounds control)
   against the predicted ratio :math:`(\operatorname{tr}L/\|L\|)/(D_F^2/D_{op}^2)`, over a
   grid of effective ranks of :math:`L` and stable ranks of :math:`W_0-W^\star`; log-log
   slope with a 95% CI over problem seeds.
3. ``asgo_structure`` -- stable rank of the gradients along training (quadratic, matrix
   regression) and block-diagonality of the Hessian along training (associative memory,
   decoupled vs coupled embeddings; multi-block model at several couplings).
4. ``asgo_assoc_memory`` -- probability gap vs loss for GD, SignGD and Muon (exact SVD), one
   step (a sweep of step sizes; lines: exact one-step formulas) and multi step, decoupled
   and coupled embeddings.

Runs that the runner records (suboptimality) go through :func:`theory_lab.sweep.run_sweep`
with the store ``results/cache/asgo``; per-step traces the runner does not record
(gradient stable rank, Hessian structure, probability gaps) are cached as ``.npz`` files
keyed by a hash of their parameters in ``results/cache/asgo/traces``.

Step sizes: theory values where a bound gives one (SGD :math:`1/\|L\|`, ASGO / one-sided
Shampoo / Shampoo :math:`D_{op}/\sqrt2`, AdaGrad-norm and full-matrix AdaGrad
:math:`D_F/\sqrt2`, diagonal AdaGrad :math:`D_\infty/\sqrt2`); for the normalized methods
(Muon, SignGD, ASGO-practical, DASGO), whose constant-step iterates stall at the step's
scale, our choice: a step decay (halving every :math:`T/10` steps) from a diameter-sized
first step.  ASGO-practical and DASGO follow the official code (``infinity-stars/ASGO``)
except for the weight decay, set to 0 here (official 0.1): on a quadratic whose optimum
:math:`W^\star` is not 0, decoupled decay moves the fixed point away from :math:`W^\star`.

The advantage figure also draws the claim's main mutant, ASGO with the preconditioner on
the wrong side (:math:`G^\top G`), to show why a window around slope 1 cannot reject it
(claim ``asgo.advantage_slope`` of :mod:`theory_lab.claims.asgo`).

References
----------
.. [1] K. An, Y. Liu, R. Pan, Y. Ren, S. Ma, D. Goldfarb, T. Zhang. "ASGO: Adaptive
   Structured Gradient Optimization." NeurIPS 2025. arXiv:2503.20762.
.. [2] "Muon outperforms Adam in tail-end associative memory learning." ICLR 2026.
   arXiv:2509.26030.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np

from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.rates import fit_loglog
from theory_lab.sweep import run_sweep
from theory_lab.theory import asgo_bounds as ab

STORE = "results/cache/asgo"


def run_by_hash(configs, store=STORE, n_jobs=1) -> dict:
    """Run (or load) every config; results keyed by config hash."""
    res = run_sweep(configs, store=store, n_jobs=n_jobs, progress=False)
    return {c.hash(): r for c, r in zip(configs, res, strict=True)}


def _cached(store, kind: str, params: dict, compute):
    """``compute()`` (a dict of arrays) cached as ``store/traces/<kind>-<hash>.npz``."""
    if store is None:
        return compute()
    h = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
    path = Path(store) / "traces" / f"{kind}-{h}.npz"
    if path.is_file():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    out = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    with open(tmp, "wb") as fh:
        np.savez(fh, **out)
    tmp.replace(path)
    return out


def trace_run(problem, optimizer, T, seeds=(0,), batch_size=1, record_grads=False):
    r"""Run ``optimizer`` and record every step: ``f`` (S, T+1), ``D_op`` (S,) = :math:`\max_t\|W_t-W^\star\|_{op}`.

    With ``record_grads``: the (stochastic) gradients used, ``grads`` (S, T, m, n), and the
    errors ``errors`` (S, T, m, n).  Numpy backend, same random streams as the runner.
    """
    from theory_lab.random import SeedStreams

    seeds = list(seeds)
    S = len(seeds)
    streams = SeedStreams(seeds, stream=0)
    w = problem.w0[None, :] + np.zeros((S, problem.dim))
    st = optimizer.init(w)
    m, n = problem.shape
    ws = problem._host["w_star"]
    f = np.empty((S, T + 1))
    Dop = np.zeros(S)
    grads = np.empty((S, T, m, n)) if record_grads else None
    errs = np.empty((S, T, m, n)) if record_grads else None
    for t in range(T + 1):
        w = st["w"]
        f[:, t] = problem.value(w) - problem.f_star
        E = (w - ws).reshape(S, m, n)
        Dop = np.maximum(Dop, np.linalg.norm(E, 2, axis=(1, 2)))
        if t == T:
            break
        g = problem.stochastic_gradient(optimizer.query(st), batch_size, streams)
        if record_grads:
            grads[:, t] = g.reshape(S, m, n)
            errs[:, t] = E
        st = optimizer.step(st, g, t)
    out = {"f": f, "D_op": Dop}
    if record_grads:
        out.update(grads=grads, errors=errs)
    return out


# --------------------------------------------------------------------------------------
# 1. all methods on the block-diagonal quadratic
# --------------------------------------------------------------------------------------
CURVE_PROBLEM = {"name": "matrix_quadratic", "m": 8, "n": 16, "eff_rank": 2.0, "stable_rank": 6.0,
                 "sigma": 0.02, "seed": 0}


def _decay(eta0: str, T: int) -> dict:
    return {"kind": "step_decay", "eta0": eta0, "factor": 2.0, "every": max(1, T // 10)}


def curve_methods(T: int) -> dict:
    """name -> (optimizer spec, colour)."""
    mn = {"m": "m", "n": "n"}
    return {
        "SGD": ({"name": "sgd", "lr": "1/L"}, "tab:blue"),
        "ASGO": ({"name": "asgo", "lr": "D_op/sqrt(2)", **mn}, "tab:red"),
        "one-sided Shampoo": ({"name": "one_sided_shampoo", "lr": "D_op/sqrt(2)", **mn}, "salmon"),
        "Shampoo": ({"name": "shampoo", "lr": "D_op/sqrt(2)", **mn}, "tab:purple"),
        "full-matrix AdaGrad": ({"name": "full_matrix_adagrad", "lr": "D_F/sqrt(2)", **mn}, "tab:brown"),
        "AdaGrad": ({"name": "adagrad", "lr": "D_inf/sqrt(2)"}, "tab:olive"),
        "AdaGrad-norm": ({"name": "adagrad_norm", "lr": "D_F/sqrt(2)"}, "tab:cyan"),
        "ASGO (practical)": ({"name": "asgo_practical", "lr": _decay("D_op/4", T), **mn,
                              "weight_decay": 0.0}, "darkred"),
        "DASGO": ({"name": "dasgo", "lr": _decay("D_inf/4", T), **mn, "weight_decay": 0.0},
                  "tab:pink"),
        "Muon": ({"name": "muon", "lr": _decay("D_op/4", T), **mn}, "tab:green"),
        "Muon (SVD)": ({"name": "muon_svd", "lr": _decay("D_op/4", T), **mn}, "darkgreen"),
        "SignGD": ({"name": "signgd", "lr": _decay("D_inf/4", T)}, "tab:gray"),
    }


def curve_configs(T=1000, seeds=range(8), problem=None):
    prob = dict(problem or CURVE_PROBLEM)
    return {name: RunConfig(problem=prob, optimizer=spec, T=T, batch_size=1, seeds=tuple(seeds),
                            n_checkpoints=50, tags={"experiment": "asgo_curves"})
            for name, (spec, _) in curve_methods(T).items()}


def running_average_bounds(T=1000, seeds=range(8), store=STORE, problem=None, asgo_kw=None,
                           sgd_kw=None):
    """Measured mean over seeds of :math:`\\frac1t\\sum_{s<t} f(W_s)-f^\\star` for ASGO and SGD, and their bounds.

    ``asgo_kw`` / ``sgd_kw`` override the keyword arguments of ``make("asgo", ...)`` /
    ``make("sgd", ...)`` (a claim's mutant; ``"name"`` picks another optimizer, ``"lr"`` a
    float step); the bounds stay those of the method as stated.
    """
    import problems
    from theory_lab.optimizers import make

    prob_spec = dict(problem or CURVE_PROBLEM)
    asgo_kw, sgd_kw = dict(asgo_kw or {}), dict(sgd_kw or {})

    def compute():
        spec = dict(prob_spec)
        p = problems.make(spec.pop("name"), **spec)
        c = p.constants()
        akw = {"lr": c["D_op"] / math.sqrt(2), "m": c["m"], "n": c["n"], **asgo_kw}
        skw = {"lr": 1 / c["L"], **sgd_kw}
        a = trace_run(p, make(akw.pop("name", "asgo"), **akw), T, seeds)
        s = trace_run(p, make(skw.pop("name", "sgd"), **skw), T, seeds)
        return {"asgo_f": a["f"], "asgo_D": a["D_op"], "sgd_f": s["f"]}

    key = {"T": T, "seeds": list(seeds), "problem": prob_spec}
    if asgo_kw or sgd_kw:                  # the method as stated keeps its cache key
        key.update(asgo_kw=asgo_kw, sgd_kw=sgd_kw)
    tr = _cached(store, "running_average", key, compute)
    spec = dict(prob_spec)
    import problems as _p

    c = _p.make(spec.pop("name"), **spec).constants()
    t = np.arange(1, T + 1)
    asgo_avg = np.cumsum(tr["asgo_f"][:, :-1], axis=1) / t          # mean over s < t
    sgd_avg = np.cumsum(tr["sgd_f"][:, 1:], axis=1) / t             # mean over 1 <= s <= t
    D = float(tr["asgo_D"].max())
    eta = c["D_op"] / math.sqrt(2)
    asgo_b = np.array([ab.asgo_smooth_bound(c["trace_L"], D, k, c["trace_sqrt_Sigma"], 1, eta=eta) for k in t])
    sgd_b = np.array([ab.sgd_smooth_bound(c["L"], c["D_F"], k, trace_Sigma=c["trace_Sigma"]) for k in t])
    return {"t": t, "asgo": asgo_avg.mean(0), "sgd": sgd_avg.mean(0), "asgo_bound": asgo_b,
            "sgd_bound": sgd_b, "D_traj": D, "constants": c}


def fig_curves(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, plot_bound, plot_runs, save_figure

    T = 300 if quick else 1000
    cfgs = curve_configs(T)
    results = run_by_hash(list(cfgs.values()), store, n_jobs)
    fig, axes = new_figure(ncols=2, logx=True, panel_size=(5.2, 3.8))
    finals = {}
    for (name, cfg), (_, color) in zip(cfgs.items(), curve_methods(T).values(), strict=True):
        res = results[cfg.hash()]
        plot_runs(axes[0], res, label=name, color=color)
        finals[name] = float(np.median(res.suboptimality[:, -1]))
    axes[0].set(xlabel="iteration $t$", title=r"last iterate, $m\times n = 8\times16$, "
                r"$\mathrm{tr}L/\|L\| = 2$, srank$(W_0 - W^\star) = 6$")
    axes[0].legend(fontsize=6, ncol=2, loc="lower left")
    rb = running_average_bounds(T, store=store)
    axes[1].plot(rb["t"], rb["asgo"], color="tab:red", label="ASGO: mean of running average")
    axes[1].plot(rb["t"], rb["sgd"], color="tab:blue", label="SGD: mean of running average")
    plot_bound(axes[1], rb["t"], rb["asgo_bound"], "tab:red",
               label=r"ASGO bound [R] $8\,\mathrm{tr}(L)D_{op}^2/T + 4D_{op}\mathrm{tr}\Sigma^{1/2}/\sqrt{T}$")
    plot_bound(axes[1], rb["t"], rb["sgd_bound"], "tab:blue",
               label=r"SGD bound $\|L\|D_F^2/(2T) + \mathrm{tr}\Sigma/\|L\|$")
    axes[1].set(xlabel="iteration $T$", ylabel=r"$\frac{1}{T}\sum_t f(W_t) - f^\star$",
                title="running average (what the bounds control)")
    axes[1].legend(fontsize=6, loc="lower left")
    fig.suptitle("ASGO and matrix preconditioners on the block-diagonal quadratic")
    save_figure(fig, "asgo_curves")
    return finals, rb


# --------------------------------------------------------------------------------------
# 2. measured vs predicted advantage
# --------------------------------------------------------------------------------------
ADV_GRID = {"eff_rank": (1.5, 3.0, 6.0), "stable_rank": (1.5, 3.0, 6.0)}


def advantage_configs(T=3000, problem_seeds=range(3), m=8, n=16, grid=None, asgo_spec=None):
    """(eff_rank, stable_rank, problem seed) -> {"ASGO": cfg, "SGD": cfg}; noise free, every step recorded.

    ``asgo_spec`` overrides ASGO's optimizer spec (a claim's mutant, e.g. ``{"side": "right"}``).
    """
    grid = grid or ADV_GRID
    aspec = {"name": "asgo", "lr": "D_op/sqrt(2)", "m": "m", "n": "n", **(asgo_spec or {})}
    out = {}
    for er in grid["eff_rank"]:
        for sr in grid["stable_rank"]:
            for ps in problem_seeds:
                prob = {"name": "matrix_quadratic", "m": m, "n": n, "eff_rank": er, "stable_rank": sr,
                        "seed": ps}
                common = dict(problem=prob, T=T, seeds=(0,), n_checkpoints=T + 1, spacing="linear",
                              tags={"experiment": "asgo_advantage"})
                out[(er, sr, ps)] = {
                    "ASGO": RunConfig(optimizer=dict(aspec), **common),
                    "SGD": RunConfig(optimizer={"name": "sgd", "lr": "1/L"}, **common),
                }
    return out


def running_average_hit(f: np.ndarray, eps: float, start: int = 0) -> float:
    r"""First :math:`T` with :math:`\frac1T\sum_{s=start}^{start+T-1} f_s \le \epsilon` (inf if never)."""
    f = np.asarray(f, dtype=float)[start:]
    avg = np.cumsum(f) / np.arange(1, f.size + 1)
    hit = np.nonzero(avg <= eps)[0]
    return float(hit[0] + 1) if hit.size else math.inf


def measure_advantage(T=3000, eps=1e-3, problem_seeds=range(3), store=STORE, n_jobs=1, **kw):
    """Predicted ratio per grid point and measured ASGO/SGD iterations-to-eps ratios (n_points, n_seeds)."""
    cfgs = advantage_configs(T, problem_seeds, **kw)
    flat = [c for d in cfgs.values() for c in d.values()]
    res = run_by_hash(flat, store, n_jobs)
    keys = sorted({(er, sr) for (er, sr, _) in cfgs})
    pred, meas, iters = [], [], []
    for er, sr in keys:
        row, it = [], []
        for ps in problem_seeds:
            c = cfgs[(er, sr, ps)]
            fa = res[c["ASGO"].hash()].suboptimality[0]
            fs = res[c["SGD"].hash()].suboptimality[0]
            ta, ts = running_average_hit(fa, eps), running_average_hit(fs, eps, start=1)
            row.append(ta / ts)
            it.append((ta, ts))
        pred.append(er / sr)
        meas.append(row)
        iters.append(it)
    pred = np.array(pred)
    meas = np.array(meas)
    return {"keys": keys, "predicted": pred, "measured": meas, "iterations": np.array(iters),
            "fit": fit_loglog(pred, meas), "eps": eps,
            "corr": float(np.corrcoef(np.log(pred), np.log(np.median(meas, axis=1)))[0, 1])}


def fig_advantage(store=STORE, n_jobs=1, quick=False):
    from theory_lab.claims.asgo import ADV_SCALES, MUTANTS
    from theory_lab.plotting import new_figure, save_figure

    kw = dict(ADV_SCALES["figure"])
    if quick:
        kw.update(T=2000, eps=2e-3, problem_seeds=range(2))
    adv = measure_advantage(store=store, n_jobs=n_jobs, **kw)
    wrong = measure_advantage(store=store, n_jobs=n_jobs, asgo_spec=MUTANTS["right_side"].variant, **kw)
    adv["wrong_side"] = wrong
    fig, ax = new_figure(logx=True, panel_size=(5.4, 4.0))
    pred, meas = adv["predicted"], adv["measured"]
    grid = np.geomspace(pred.min(), pred.max(), 20)
    for res, color, label in ((adv, "tab:red", "ASGO"),
                              (wrong, "tab:gray", r"mutant: $G^\top G$ (wrong side)")):
        m = res["measured"]
        for j in range(m.shape[1]):
            ax.plot(pred, m[:, j], "o", color=color, alpha=0.6, ms=4,
                    label=f"{label} (each problem seed)" if j == 0 else None)
        fit = res["fit"]
        ax.plot(grid, np.exp(fit.intercept) * grid**fit.slope, "-", color=color,
                label=f"{label} fit: slope {fit} (95% CI), corr {res['corr']:.3f}")
    for (er, sr), x, y in zip(adv["keys"], pred, np.median(meas, axis=1), strict=True):
        ax.annotate(f"{er:g}/{sr:g}", (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.plot(grid, grid, "--", color="black", lw=0.8,
            label="slope 1 (bound ratio), paper window 1 +- 0.25")
    ax.set(xlabel=r"predicted $(\mathrm{tr}L/\|L\|)\,/\,(D_F^2/D_{op}^2)$",
           ylabel=r"measured ASGO / SGD iterations to $\epsilon$",
           title=rf"running average to $\epsilon = {adv['eps']:g}$ (labels: eff. rank / stable rank)")
    ax.legend(fontsize=6)
    save_figure(fig, "asgo_advantage")
    return adv


# --------------------------------------------------------------------------------------
# 3. gradient low-rankness and Hessian block-diagonality along training
# --------------------------------------------------------------------------------------
def assoc_hessian(problem, w) -> np.ndarray:
    r"""Exact Hessian of the associative-memory loss at ``w`` (d,), row-major coordinates.

    :math:`H = \sum_k p_k J_k^\top (\operatorname{diag}s_k - s_ks_k^\top) J_k`,
    :math:`J_k = \tilde E^\top \otimes E_k^\top` (row-major :math:`\operatorname{vec}`).
    """
    K = problem.K
    E, Et, p = problem._host["E"], problem._host["Et"], problem._host["p"]
    S = np.asarray(problem._probs(np.asarray(w)[None, :]))[0]
    H = np.zeros((K * K, K * K))
    for k in range(K):
        J = np.kron(Et.T, E[:, k][None, :])
        s = S[:, k]
        H += p[k] * J.T @ ((np.diag(s) - np.outer(s, s)) @ J)
    return H


def structure_traces(store=STORE, quick=False):
    import problems
    from problems.matrix import block_diagonality
    from theory_lab.matrix_functions import stable_rank
    from theory_lab.optimizers import make

    T = 150 if quick else 400
    K = 12 if quick else 20

    def compute():
        out = {}
        q = problems.make("matrix_quadratic", m=8, n=16, eff_rank=2.0, stable_rank=6.0)
        c = q.constants()
        for name, opt in (("asgo", make("asgo", lr=c["D_op"] / math.sqrt(2), m=8, n=16)),
                          ("sgd", make("sgd", lr=1 / c["L"]))):
            tr = trace_run(q, opt, T, record_grads=True)
            out[f"quad_{name}"] = np.asarray(stable_rank(tr["grads"][0]))
        r = problems.make("matrix_regression", m=16, n=8, eff_rank=2.0, stable_rank=6.0)
        c = r.constants()
        for name, opt in (("asgo", make("asgo", lr=c["D_op"] / math.sqrt(2), m=16, n=8, side="right")),
                          ("sgd", make("sgd", lr=0.5 / c["L"]))):
            tr = trace_run(r, opt, T, batch_size=32, record_grads=True)
            out[f"reg_{name}"] = np.asarray(stable_rank(tr["grads"][0]))
        for emb in ("decoupled", "coupled"):
            pm = problems.make("associative_memory", K=K, embedding=emb)
            opt = make("muon_svd", lr=0.5, m=K, n=K)
            st = opt.init(pm.w0[None, :].copy())
            bd, loss = [], []
            for t in range(0, T // 4 + 1):
                if t % 5 == 0:
                    bd.append(block_diagonality(assoc_hessian(pm, st["w"][0]), K, K))
                    loss.append(float(pm.value(st["w"])[0]))
                st = opt.step(st, pm.gradient(st["w"]), t)
            out[f"assoc_{emb}"] = np.array(bd)
            out[f"assoc_{emb}_loss"] = np.array(loss)
        for eps in (0.0, 0.05, 0.2, 0.5):
            mb = problems.make("multiblock_quadratic", m=8, n=16, coupling=eps)
            out[f"multiblock_{eps}"] = np.array([mb.constants()["block_diagonality"]])
        return out

    return _cached(store, "structure", {"T": T, "K": K, "v": 1}, compute), T


def fig_structure(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    tr, T = structure_traces(store, quick)
    fig, axes = new_figure(ncols=2, logx=False, logy=False, panel_size=(5, 3.6))
    t = np.arange(T)
    for key, lab, color, ls in (("quad_asgo", "quadratic, ASGO", "tab:red", "-"),
                                ("quad_sgd", "quadratic, SGD", "tab:blue", "-"),
                                ("reg_asgo", "regression (M=32), ASGO", "tab:red", ":"),
                                ("reg_sgd", "regression (M=32), SGD", "tab:blue", ":")):
        axes[0].plot(t, tr[key], ls, color=color, label=lab)
    axes[0].set(xlabel="iteration $t$", ylabel=r"stable rank $\|G_t\|_F^2/\|G_t\|_{op}^2$",
                title=r"gradient low-rankness ($\min(m,n) = 8$)")
    axes[0].legend(fontsize=7)
    for emb, color in (("decoupled", "tab:green"), ("coupled", "tab:orange")):
        steps = np.arange(tr[f"assoc_{emb}"].size) * 5
        axes[1].plot(steps, tr[f"assoc_{emb}"], "o-", ms=3, color=color,
                     label=f"assoc. memory, {emb} (Muon run)")
    for eps, ls in zip((0.0, 0.05, 0.2, 0.5), ("-", "--", "-.", ":"), strict=True):
        axes[1].axhline(float(tr[f"multiblock_{eps}"][0]), color="gray", ls=ls, lw=1,
                        label=rf"multi-block quadratic, $\epsilon = {eps:g}$")
    axes[1].set(xlabel="iteration $t$", ylabel="Hessian mass in column blocks",
                title="Hessian block-diagonality along training", ylim=(0, 1.05))
    axes[1].legend(fontsize=6)
    save_figure(fig, "asgo_structure")
    return tr


# --------------------------------------------------------------------------------------
# 4. associative memory
# --------------------------------------------------------------------------------------
ASSOC = {"K": 100, "alpha": 0.8, "beta": 0.2}
ASSOC_LR = {"GD": ("gd", {"name": "gd"}, 2.0), "SignGD": ("signgd", {"name": "signgd"}, 0.05),
            "Muon": ("muon", {"name": "muon_svd"}, 0.5)}  # multi-step lr: GD lr * K, others as is


def assoc_traces(embedding: str, K: int, T: int, one_step_etas: dict, store=STORE):
    """Multi-step (loss, gap) per method and one-step (loss, gap) over a sweep of step sizes."""
    import problems
    from theory_lab.optimizers import make

    def compute():
        pm = problems.make("associative_memory", K=K, alpha=ASSOC["alpha"], beta=ASSOC["beta"],
                           embedding=embedding)
        w0 = pm.w0[None, :].copy()
        g0 = pm.gradient(w0)
        out = {}
        for name, (_, spec, lr) in ASSOC_LR.items():
            kw = {"m": K, "n": K} if spec["name"] == "muon_svd" else {}
            opt = make(spec["name"], lr=lr * (K if name == "GD" else 1), **kw)
            st = opt.init(w0.copy())
            loss, gap = [], []
            for t in range(T + 1):
                loss.append(float(pm.value(st["w"])[0]))
                gap.append(float(pm.probability_gap(st["w"])[0]))
                if t < T:
                    st = opt.step(st, pm.gradient(st["w"]), t)
            out[f"{name}_multi"] = np.array([loss, gap])
            one = []
            for eta in one_step_etas[name]:
                o = make(spec["name"], lr=float(eta), **kw)
                w1 = o.step(o.init(w0.copy()), g0, 0)["w"]
                one.append((float(pm.value(w1)[0]), float(pm.probability_gap(w1)[0])))
            out[f"{name}_one"] = np.array(one).T
        return out

    return _cached(store, "assoc", {"emb": embedding, "K": K, "T": T, **ASSOC,
                                    "etas": {k: list(map(float, v)) for k, v in one_step_etas.items()},
                                    "lr": {k: v[2] for k, v in ASSOC_LR.items()}}, compute)


def fig_assoc(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    K = 60 if quick else ASSOC["K"]
    T = 60 if quick else 100
    etas = {"GD": np.geomspace(1, 200, 14) * K, "SignGD": np.geomspace(0.05, 10, 14),
            "Muon": np.geomspace(0.2, 40, 14)}
    fig, axes = new_figure(ncols=2, logx=False, logy=False, panel_size=(5, 3.8), sharey=True)
    colors = {"GD": "tab:blue", "SignGD": "tab:gray", "Muon": "tab:green"}
    out = {}
    for ax, emb in zip(axes, ("decoupled", "coupled"), strict=True):
        tr = assoc_traces(emb, K, T, etas, store)
        out[emb] = tr
        for name, color in colors.items():
            lm, gm = tr[f"{name}_multi"]
            ax.plot(lm, gm, "-", color=color, lw=1.4, label=f"{name}, multi step")
            lo, go = tr[f"{name}_one"]
            ax.plot(lo, go, "o", color=color, ms=3.5, mfc="none", label=f"{name}, one step (measured)")
            if emb == "decoupled" or name != "SignGD":
                th = np.array([[ab.assoc_one_step(K, ASSOC["alpha"], ASSOC["beta"], e, name.lower())[k]
                                for e in np.geomspace(etas[name][0], etas[name][-1], 200)]
                               for k in ("loss", "gap")])
                ax.plot(th[0], th[1], ":", color=color, lw=1,
                        label=f"{name}, one step (exact formula)" if emb == "decoupled" else None)
        ax.set(xlabel="loss", title=f"{emb} embeddings, K = {K}", xscale="log", xlim=(1e-3, 1.5 * math.log(K)))
    axes[0].set_ylabel(r"max probability gap $\max_{i,j}\, [f(E_i)]_i - [f(E_j)]_j$")
    axes[0].legend(fontsize=6)
    fig.suptitle(r"Associative memory ($\alpha = 0.8$, $\beta = 0.2$): GD leaves the tail behind, Muon does not")
    save_figure(fig, "asgo_assoc_memory")
    return out


# --------------------------------------------------------------------------------------
def report_claims(adv: dict) -> None:
    """Print the verdicts of :mod:`theory_lab.claims.asgo` at figure scale (advantage from ``adv``)."""
    from theory_lab.claims import Measurement, check
    from theory_lab.claims import asgo as ac

    m = ac.measure_shared_left("figure")
    print(f"[claims] {ac.SHARED_LEFT_STEPS.id}: {check(ac.SHARED_LEFT_STEPS, m).reason}")
    for key, label in ((None, "ASGO"), ("wrong_side", "mutant right_side")):
        fit = (adv if key is None else adv[key])["fit"]
        v = check(ac.ADVANTAGE_SLOPE, Measurement(float(fit.slope), (fit.ci_low, fit.ci_high)))
        print(f"[claims] {ac.ADVANTAGE_SLOPE.id} ({label}): {v.status}: {v.reason}")


def main(argv=None):
    args = parse_args(__doc__, STORE, argv)
    t0 = time.perf_counter()
    finals, rb = fig_curves(args.store, args.n_jobs, args.quick)
    for name, v in finals.items():
        print(f"[asgo_curves] {name}: median final suboptimality {v:.3g}")
    T = rb["t"][-1]
    print(f"[asgo_curves] running average at T={T}: ASGO {rb['asgo'][-1]:.3g} (bound "
          f"{rb['asgo_bound'][-1]:.3g}), SGD {rb['sgd'][-1]:.3g} (bound {rb['sgd_bound'][-1]:.3g}); "
          f"D_op along the trajectory {rb['D_traj']:.4f} (initial {rb['constants']['D_op']:.4f})")
    adv = fig_advantage(args.store, args.n_jobs, args.quick)
    print(f"[asgo_advantage] log-log slope measured vs predicted: {adv['fit']}; correlation of logs "
          f"{adv['corr']:.3f}; wrong side (G^T G): {adv['wrong_side']['fit']}, correlation "
          f"{adv['wrong_side']['corr']:.3f}")
    ratio = adv["iterations"][..., 0] / adv["iterations"][..., 1]
    print(f"[asgo_advantage] rigorous ASGO/SGD <= 16 x predicted: max tightness "
          f"{np.nanmax(ratio / (16 * adv['predicted'][:, None])):.3g} (loose)")
    report_claims(adv)
    for (er, sr), p, mrow in zip(adv["keys"], adv["predicted"], adv["measured"], strict=True):
        print(f"[asgo_advantage] eff_rank {er:g}, stable_rank {sr:g}: predicted {p:.3g}, measured "
              f"{np.round(mrow, 3).tolist()}")
    tr = fig_structure(args.store, args.n_jobs, args.quick)
    print(f"[asgo_structure] gradient stable rank, quadratic: ASGO first/last {tr['quad_asgo'][0]:.2f}/"
          f"{tr['quad_asgo'][-1]:.2f}, SGD {tr['quad_sgd'][0]:.2f}/{tr['quad_sgd'][-1]:.2f}; block "
          f"diagonality assoc. coupled min {tr['assoc_coupled'].min():.3f}, decoupled "
          f"{tr['assoc_decoupled'].min():.6f}")
    out = fig_assoc(args.store, args.n_jobs, args.quick)
    for emb, trd in out.items():
        for name in ASSOC_LR:
            lm, gm = trd[f"{name}_multi"]
            print(f"[asgo_assoc_memory] {emb} {name}: final loss {lm[-1]:.3g}, gap {gm[-1]:.3g}")
    print(f"[asgo] total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
