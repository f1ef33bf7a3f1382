r"""Figures for SCALE, normalized SGD with last-layer momentum (``python -m experiments.scale``).

Claims checked (Glentis, Li, Han, Hong, arXiv:2506.16659; SCALE as in the official code,
``OptimAI-Lab/Minimalist_LLM_Pretraining``, ``mem_eff_pt/pt_scale/scale_optimizer.py``:
each output row of a torch ``(out, in)`` weight -- a row of the lab's :math:`m\times n`
:math:`W` -- divided by its RMS; see :mod:`theory_lab.optimizers.scale`):

1. ``scale_curves`` -- suboptimality vs iterations of SCALE (official rows), SCALE
   transposed (columns, the lab's earlier orientation), Adam, Muon, ASGO and SGD, each
   with its constant step size tuned on a grid of the **same size** (7 log-spaced values,
   factor :math:`\sqrt{10}`; criterion: mean final suboptimality over the seeds, one
   cached sweep, :func:`theory_lab.tuning.tune`), on the block-diagonal matrix quadratic
   of the ASGO issue (one-sided noise) and on a 3-layer deep linear network (sampling
   noise).  On the network Muon and ASGO run layer by layer (``layerwise``); SCALE's
   momentum lives on the output layer only.
2. ``scale_memory`` -- optimizer-state memory in bytes per parameter (float64) of every
   method as configured in 1, measured from the arrays the states hold
   (:func:`theory_lab.optimizers.scale.optimizer_state_memory`): the minimalist design's
   point (claim ``scale.state_memory`` of :mod:`theory_lab.claims.scale`).
3. ``scale_invariance`` -- a prediction we can state exactly (claim
   ``scale.row_recursion``): on the row-separable quadratic
   :math:`f = \tfrac12\sum_i c_i\|W_{i,:}-W^\star_{i,:}\|^2` (``matrix_quadratic`` with
   diagonal :math:`L`) the official SCALE step moves every row by exactly
   :math:`\eta\sqrt n` towards its optimum, :math:`r_i(t+1) = |r_i(t) - \eta\sqrt n|`,
   whatever :math:`c_i`: iterations to the floor do not depend on the condition number
   :math:`\kappa = \max c_i/\min c_i`, while GD with step :math:`1/\max c_i` needs
   :math:`\sim\kappa`.  Measured curves vs the exact recursion.

Step-size schedules: constant for every method (Adam's factory takes a constant only; one
tuned number per method is the equal budget).  Runs are cached in ``results/cache/scale``.

References
----------
.. [1] A. Glentis, J. Li, A. Han, M. Hong. "A Minimalist Optimizer Design for LLM
   Pretraining." arXiv:2506.16659, 2025.  Official code: ``OptimAI-Lab/Minimalist_LLM_Pretraining``.
.. [2] K. An et al. "ASGO: Adaptive Structured Gradient Optimization." NeurIPS 2025.
.. [3] K. Jordan et al. "Muon: An optimizer for hidden layers in neural networks." 2024.
"""

from __future__ import annotations

import math
import time

import numpy as np

from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.tuning import tune

STORE = "results/cache/scale"

MATRIX_PROBLEM = {"name": "matrix_quadratic", "m": 8, "n": 16, "eff_rank": 2.0, "stable_rank": 6.0,
                  "sigma": 0.05, "seed": 0}
DEEP_PROBLEM = {"name": "deep_linear_regression", "d_in": 16, "width": 16, "d_out": 8, "n_layers": 3,
                "kappa_x": 10.0, "noise_std": 0.1, "seed": 0}

#: grid size per method (the equal tuning budget) and spacing
GRID_SIZE = 7
GRID_FACTOR = math.sqrt(10.0)

COLORS = {"SCALE": "tab:red", "SCALE (transposed)": "salmon", "Adam": "tab:green",
          "Muon": "tab:purple", "ASGO": "tab:orange", "SGD": "tab:blue"}

#: grid centre of both SCALE orientations: the official RMS normalization gives update
#: entries of size ~1 (the unit-norm columns of the lab's earlier definition had
#: ~1/sqrt(m)), so the centre is the earlier 0.01 divided by ~sqrt(16) = 4, rounded.
SCALE_CENTER = 0.003


def grid(center: float, size: int = GRID_SIZE, factor: float = GRID_FACTOR) -> list[float]:
    """``size`` log-spaced values around ``center`` (ratio ``factor``), rounded to 4 digits."""
    k = np.arange(size) - (size - 1) / 2
    return [float(f"{center * factor**i:.4g}") for i in k]


def methods(problem: dict) -> dict:
    """name -> (optimizer spec without ``lr``, grid centre) for ``problem``."""
    if problem["name"] == "deep_linear_regression":
        import problems

        pspec = dict(problem)
        shapes = [list(s) for s in problems.make(pspec.pop("name"), **pspec).layer_shapes]
        return {
            "SCALE": ({"name": "scale", "shapes": shapes, "momentum": 0.9}, SCALE_CENTER),
            "SCALE (transposed)": ({"name": "scale", "shapes": shapes, "momentum": 0.9,
                                    "axis": "column"}, SCALE_CENTER),
            "Adam": ({"name": "adam"}, 0.003),
            "Muon": ({"name": "layerwise", "shapes": shapes, "inner": {"name": "muon"}}, 0.01),
            "ASGO": ({"name": "layerwise", "shapes": shapes, "inner": {"name": "asgo"}}, 0.03),
            "SGD": ({"name": "sgd"}, 0.03),
        }
    mn = {"m": "m", "n": "n"}
    return {
        "SCALE": ({"name": "scale", **mn, "momentum": 0.9}, SCALE_CENTER),
        "SCALE (transposed)": ({"name": "scale", **mn, "momentum": 0.9, "axis": "column"},
                               SCALE_CENTER),
        "Adam": ({"name": "adam"}, 0.003),
        "Muon": ({"name": "muon", **mn}, 0.01),
        "ASGO": ({"name": "asgo", **mn}, 0.03),
        "SGD": ({"name": "sgd"}, 0.3),
    }


def base_configs(problem: dict, T: int, seeds, batch_size: int = 1) -> dict:
    return {name: RunConfig(problem=problem, optimizer={**spec, "lr": center}, T=T,
                            batch_size=batch_size, seeds=tuple(seeds), n_checkpoints=50,
                            tags={"method": name, "figure": "scale_curves"})
            for name, (spec, center) in methods(problem).items()}


def tuned(problem: dict, T: int, seeds, batch_size=1, store=STORE, n_jobs=1) -> dict:
    """name -> TuningResult (grid of GRID_SIZE constant step sizes around each method's centre)."""
    bases = base_configs(problem, T, seeds, batch_size)
    centers = {name: c for name, (_, c) in methods(problem).items()}
    by_hash = {cfg.hash(): name for name, cfg in bases.items()}
    picks = tune(list(bases.values()), "optimizer.lr",
                 lambda cfg: grid(centers[by_hash[cfg.hash()]]),
                 criterion="final", store=store, n_jobs=n_jobs, progress=False)
    return dict(zip(bases, picks, strict=True))


def memory_table(problem: dict, picks: dict) -> dict:
    """name -> bytes of optimizer state per parameter (float64), from the tuned optimizers."""
    from theory_lab.optimizers.scale import optimizer_state_memory
    from theory_lab.runner import build

    out = {}
    for name, tr in picks.items():
        prob, opt = build(tr.best_config)
        w0 = np.asarray(prob.w0)[None, :].repeat(2, axis=0)
        out[name] = optimizer_state_memory(opt, w0)["bytes_per_param"]
    return out


def fig_curves(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, plot_runs, save_figure

    T = 300 if quick else 1500
    seeds = range(4) if quick else range(8)
    cases = {"matrix": (MATRIX_PROBLEM, 1), "deep": (DEEP_PROBLEM, 4)}
    fig, axes = new_figure(ncols=2, logx=True, panel_size=(5.2, 3.8))
    out = {}
    for ax, (key, (prob, M)) in zip(axes, cases.items(), strict=True):
        picks = tuned(prob, T, seeds, M, store, n_jobs)
        out[key] = picks
        for name, tr in picks.items():
            plot_runs(ax, tr.best_result, label=f"{name} (lr {tr.best_value:g}"
                      f"{', edge' if tr.at_edge else ''})", color=COLORS[name])
        ax.set(xlabel="iteration $t$")
        ax.legend(fontsize=6, loc="lower left")
    axes[0].set_title(r"matrix quadratic $8\times16$, one-sided noise $\sigma = 0.05$, $M = 1$")
    axes[1].set_title(r"deep linear net $16\to16\to16\to8$, $\kappa_x = 10$, noise 0.1, $M = 4$")
    fig.suptitle(f"tuned constant step (grid of {GRID_SIZE} per method), median and 10-90% band "
                 f"over {len(seeds)} seeds")
    save_figure(fig, "scale_curves")
    return out


def fig_memory(picks_by_case: dict):
    from theory_lab.plotting import new_figure, save_figure

    tables = {
        "matrix quadratic (one 8x16 matrix)": memory_table(MATRIX_PROBLEM, picks_by_case["matrix"]),
        "deep linear net (3 layers, d = 640)": memory_table(DEEP_PROBLEM, picks_by_case["deep"]),
    }
    fig, ax = new_figure(logy=False, panel_size=(6.4, 3.6))
    names = list(COLORS)
    x = np.arange(len(names))
    width = 0.38
    for k, (label, tab) in enumerate(tables.items()):
        vals = [tab[nm] for nm in names]
        bars = ax.bar(x + (k - 0.5) * width, vals, width, label=label,
                      color=[COLORS[nm] for nm in names], alpha=1.0 if k == 0 else 0.5,
                      edgecolor="black", linewidth=0.5)
        for b, v in zip(bars, vals, strict=True):
            ax.annotate(f"{v:.3g}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom",
                        fontsize=7)
    ax.set_xticks(x, names)
    ax.set(ylabel="optimizer state, bytes per parameter (float64)",
           title="optimizer-state memory, measured from the arrays each state holds")
    ax.legend(fontsize=7, title="solid: matrix, light: deep net", title_fontsize=7)
    save_figure(fig, "scale_memory")
    return tables


def invariance_traces(kappas=(1.0, 100.0, 10000.0), m=8, n=8, lr=0.02, T=300, seed=0,
                      axis: str = "row", optimizer: dict | None = None) -> dict:
    r"""Normalized GD and GD (step :math:`1/\max c`) on a quadratic separable along ``axis``.

    ``axis="row"`` (SCALE's official orientation): :math:`f = \tfrac12\sum_i c_i\|E_{i,:}\|^2`
    (``matrix_quadratic`` with :math:`L = \operatorname{diag}(c)`, the curvature on the
    output side).  The official update moves each row by :math:`\eta\sqrt n` along
    :math:`-E_{i,:}`, so :math:`r_i(t+1) = |r_i(t) - \eta\sqrt n|` for
    :math:`r_i = \|E_{i,:}\|`, whatever :math:`c_i`.  ``axis="column"``: the transposed
    set-up, :math:`f = \tfrac12\sum_j c_j\|E_{:,j}\|^2` (matrix regression with diagonal
    :math:`\Sigma_x`) and the transposed SCALE, step :math:`\eta\sqrt m` per column.

    ``optimizer`` overrides the SCALE spec (e.g. a mutant ``{"axis": "column"}``); the
    prediction is always the recursion of the official rule for ``axis``.

    Returns, per :math:`\kappa`, the measured :math:`f_t` of both and the exact prediction
    :math:`\tfrac12\sum c\, r(t)^2`.
    """
    from problems.matrix import MatrixQuadratic, MatrixRegression
    from theory_lab.optimizers import make

    rng = np.random.default_rng([seed, 31])
    w_star = rng.normal(size=(m, n)) / math.sqrt(n)
    E0 = rng.normal(size=(m, n)) / math.sqrt(m)
    red = 1 if axis == "row" else 0
    step = lr * math.sqrt(n if axis == "row" else m)
    spec = {"momentum": 0.0, "axis": axis, **(optimizer or {})}
    out = {}
    for kappa in kappas:
        c = np.geomspace(1.0, 1.0 / kappa, m if axis == "row" else n)
        prob = (MatrixQuadratic(np.diag(c), w_star, w_star + E0) if axis == "row"
                else MatrixRegression(np.diag(c), w_star, w_star + E0))
        res = {}
        for name, opt in (("scale", make("scale", lr=lr, m=m, n=n, **spec)),
                          ("gd", make("gd", lr=1.0 / c.max()))):
            st = opt.init(prob.w0[None, :].copy())
            f = np.empty(T + 1)
            for t in range(T + 1):
                f[t] = prob.value(st["w"])[0]
                if t < T:
                    st = opt.step(st, prob.gradient(st["w"]), t)
            res[name] = f
        r0 = np.linalg.norm(E0, axis=red)
        r = r0.copy()
        pred = np.empty(T + 1)
        for t in range(T + 1):
            pred[t] = 0.5 * np.sum(c * r**2)
            r = np.abs(r - step)
        res["predicted"] = pred
        res["floor_step"] = int(np.ceil(r0.max() / step))
        res["step"] = step
        out[kappa] = res
    return out


def fig_invariance():
    from theory_lab.plotting import new_figure, save_figure

    tr = invariance_traces()
    fig, ax = new_figure(logx=True, panel_size=(6.0, 3.8))
    colors = ["tab:red", "tab:purple", "tab:brown"]
    t = np.arange(1, len(next(iter(tr.values()))["scale"]))
    for (kappa, res), col in zip(tr.items(), colors, strict=True):
        ax.plot(t, res["scale"][1:], color=col, label=rf"SCALE (official rows, no momentum), $\kappa = {kappa:g}$")
        idx = np.unique(np.geomspace(1, len(t), 30).astype(int)) - 1
        ax.plot(t[idx], res["predicted"][1:][idx], ls="none", marker="o", ms=3, mfc="none", color=col)
        gd = np.where(res["gd"][1:] > 0, res["gd"][1:], np.nan)
        ax.plot(t, gd, color=col, ls=":", label=rf"GD $1/\max c_j$, $\kappa = {kappa:g}$")
    ax.axvline(next(iter(tr.values()))["floor_step"], color="grey", lw=0.8)
    ax.set(xlabel="iteration $t$", ylabel=r"$f(W_t) - f^\star$",
           ylim=(1e-6, 10), title=r"$f = \frac{1}{2}\sum_i c_i\|W_{i,:}-W^\star_{i,:}\|^2$, $\eta = 0.02$: "
                 r"o = exact recursion $r_i \leftarrow |r_i - \eta\sqrt{n}|$; grey: $\lceil\max_i r_i(0)/(\eta\sqrt{n})\rceil$")
    ax.legend(fontsize=6, loc="lower left")
    save_figure(fig, "scale_invariance")
    return tr


def report_claims() -> None:
    """Print the verdicts of :mod:`theory_lab.claims.scale` at figure scale, true method and mutants."""
    from theory_lab.claims import check, rejects
    from theory_lab.claims import scale as sc

    for claim in sc.CLAIMS:
        m = claim.measure("figure", {})
        print(f"[claims] {claim.id}: {check(claim, m).status}: {check(claim, m).reason}")
        for mu in claim.mutants:
            mm = claim.measure("figure", mu.variant)
            print(f"[claims] {claim.id} mutant {mu.name}: value {mm.value:.4g}, rejected "
                  f"{rejects(claim, mm)}")


def main(argv=None):
    args = parse_args(__doc__, STORE, argv)
    t0 = time.perf_counter()
    picks = fig_curves(args.store, args.n_jobs, args.quick)
    for key, ps in picks.items():
        for name, tr in ps.items():
            r = tr.best_result
            print(f"[scale_curves] {key} {name}: lr {tr.best_value:g} (grid {tr.values[0]:g}..."
                  f"{tr.values[-1]:g}{', AT EDGE' if tr.at_edge else ''}), mean final subopt "
                  f"{tr.best_score:.3g}, median {np.median(r.suboptimality[:, -1]):.3g}")
    tables = fig_memory(picks)
    for label, tab in tables.items():
        print(f"[scale_memory] {label}: " + ", ".join(f"{k} {v:.3g} B/param" for k, v in tab.items()))
    inv = fig_invariance()
    for kappa, res in inv.items():
        err = np.max(np.abs(res["scale"] - res["predicted"]) / np.maximum(res["predicted"], 1e-300))
        print(f"[scale_invariance] kappa {kappa:g}: max rel. deviation from the exact recursion "
              f"{err:.2g}; f_T SCALE {res['scale'][-1]:.3g}, GD {res['gd'][-1]:.3g}")
    report_claims()
    print(f"[scale] total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
