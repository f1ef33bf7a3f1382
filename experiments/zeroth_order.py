r"""Figures for zeroth-order optimization (``python -m experiments.zeroth_order``).

Claims checked:

1. ``zo_dimension_scaling`` -- iterations to a relative accuracy :math:`\epsilon f_0` vs the
   dimension :math:`d` on a quadratic (:math:`\kappa` fixed, two-cluster spectrum): ZO-SGD
   (Gaussian two-point estimator, Nesterov-Spokoiny step :math:`1/(4(d+4)L)`) grows like
   :math:`d` (log-log slope about 1), first-order SGD does not (slope about 0).  Next to the
   measurements: the exact expected-risk recursion of ZO-SGD
   (:func:`theory_lab.theory.zeroth_order_bounds.zo_sgd_expected_risk`) and the
   Nesterov-Spokoiny strongly convex iteration bound **[R]**.
2. ``zo_estimator_variance`` -- (a) variance of the Gaussian, uniform-sphere and averaged
   (q = 4) estimators vs :math:`d` against the exact formulas
   (:func:`~theory_lab.theory.zeroth_order_bounds.estimator_variance`) and the
   Nesterov-Spokoiny second-moment bound; (b) the smoothed function's gap
   :math:`f_\mu - f` vs :math:`\mu` (Gaussian :math:`\mu^2\operatorname{tr}H/2`, ball
   :math:`\mu^2\operatorname{tr}H/(2(d+2))`) and the forward coordinate estimator's bias
   :math:`\tfrac\mu2\lVert\operatorname{diag}H\rVert`.
3. ``zo_riemannian`` -- ZO-RSGD (Li, Balasubramanian & Ma) and first-order RSGD on the
   Rayleigh quotient of :mod:`problems.manifold` (leading eigenvector, known optimum), for
   two dimensions; dashed: the linear rate predicted by the exact ZO-SGD recursion on the
   local quadratic model (tangent Hessian :math:`2(\lambda_1 - \lambda_i)`, :math:`d - 1`
   dimensions).
4. ``zo_methods`` -- suboptimality vs *function queries* on one quadratic: ZO-SGD with
   q = 1 and q = 8 directions, ZO-Adam (Zhang et al., ICML 2024), coordinate-wise finite
   differences (GD on a deterministic estimate), each query counted.

Every optimizer run goes through :func:`theory_lab.sweep.run_sweep` with the store
``results/cache/zeroth_order``; the Monte-Carlo estimator moments of figure 2 take about a
second and are recomputed.

References
----------
.. [1] Y. Nesterov, V. Spokoiny. Found. Comput. Math. 17, 2017.
.. [2] S. Ghadimi, G. Lan. SIAM J. Optim. 23(4), 2013.
.. [3] Y. Zhang et al. "Revisiting Zeroth-Order Optimization for Memory-Efficient LLM
   Fine-Tuning: A Benchmark." ICML 2024.
.. [4] J. Li, K. Balasubramanian, S. Ma. Math. Oper. Res., 2023. arXiv:2003.11238.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

import problems
from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.random import SeedStreams
from theory_lab.rates import Fit, fit_linear_rate, fit_loglog, iterations_to_epsilon
from theory_lab.sweep import run_sweep
from theory_lab.theory import zeroth_order_bounds as zb
from theory_lab.theory.quadratic_risk import first_step_below
from theory_lab.zeroth_order import ZerothOrderProblem, function_queries

STORE = "results/cache/zeroth_order"
NS_STEP = "1/(4*(d+4)*L)"  # Nesterov-Spokoiny Thm 8 step for the Gaussian estimator
SGD_STEP = "1/(2*L)"


def run_by_hash(configs, store=STORE, n_jobs=1) -> dict:
    """Run (or load from the cache) every config; results keyed by config hash."""
    res = run_sweep(configs, store=store, n_jobs=n_jobs, progress=False)
    return {c.hash(): r for c, r in zip(configs, res, strict=True)}


def quadratic_spec(d: int, kappa: float, noise: str = "none", sigma: float = 0.0, seed: int = 0) -> dict:
    return {"name": "quadratic", "d": int(d), "kappa": float(kappa), "spectrum": "two_clusters",
            "noise": noise, "sigma": float(sigma), "seed": seed}


def zo_spec(base: dict, estimator="gaussian", radius=1e-6, q=1, difference="forward") -> dict:
    return {"name": "zo", "base": base, "estimator": estimator, "radius": float(radius),
            "q": int(q), "difference": difference}


# --------------------------------------------------------------------------------------
# 1. iterations to epsilon vs d
# --------------------------------------------------------------------------------------
@dataclass
class DimensionScaling:
    dims: np.ndarray
    iterations: dict  # method -> (n_d, S)
    predicted: dict  # method -> (n_d,) exact expected-risk crossing
    bound: np.ndarray  # Nesterov-Spokoiny [R] iteration bound for ZO-SGD
    fits: dict  # method -> Fit of log iterations on log d
    predicted_fits: dict


def dimension_scaling_configs(dims, eps_rel=1e-3, kappa=10.0, seeds=range(8), radius=1e-6,
                              sigma=0.01):
    """(configs, eps per d): ZO-SGD on a noiseless quadratic, SGD with small anisotropic noise."""
    configs = {"ZO-SGD": [], "SGD": []}
    eps = []
    for d in dims:
        base = quadratic_spec(d, kappa)
        f0 = problems.make(**base).constants()["f0"]
        e = float(eps_rel * f0)
        eps.append(e)
        T_zo = int(math.ceil(12 * (d + 4) * kappa * math.log(1 / eps_rel)))
        configs["ZO-SGD"].append(RunConfig(
            problem=zo_spec(base, radius=radius), optimizer={"name": "sgd", "lr": NS_STEP},
            T=T_zo, seeds=tuple(seeds), epsilon=e, stop_at_epsilon=True, n_checkpoints=20,
            tags={"experiment": "dimension_scaling", "method": "ZO-SGD"}))
        configs["SGD"].append(RunConfig(
            problem=quadratic_spec(d, kappa, "anisotropic", sigma),
            optimizer={"name": "sgd", "lr": SGD_STEP},
            T=int(math.ceil(12 * kappa * math.log(1 / eps_rel))), seeds=tuple(seeds), epsilon=e,
            stop_at_epsilon=True, n_checkpoints=20,
            tags={"experiment": "dimension_scaling", "method": "SGD"}))
    return configs, np.array(eps)


def measure_dimension_scaling(dims, eps_rel=1e-3, kappa=10.0, store=STORE, n_jobs=1,
                              **kw) -> DimensionScaling:
    """Measured and predicted iterations to :math:`\\epsilon f_0` per dimension (fits over seeds)."""
    dims = np.asarray(dims, dtype=int)
    configs, eps = dimension_scaling_configs(dims, eps_rel=eps_rel, kappa=kappa, **kw)
    flat = [c for cs in configs.values() for c in cs]
    results = run_by_hash(flat, store, n_jobs)
    iters, pred, fits, pfits = {}, {}, {}, {}
    bound = []
    for name, cs in configs.items():
        iters[name] = np.stack([iterations_to_epsilon(results[c.hash()], e)
                                for c, e in zip(cs, eps, strict=True)])
        p = []
        for c, e in zip(cs, eps, strict=True):
            base = problems.make(**quadratic_spec(c.problem.get("base", c.problem)["d"], kappa))
            ev, e0, L, d = base.spectrum, base.initial_error_coordinates(), base.constants()["L"], base.dim
            if name == "ZO-SGD":
                lr = 1 / (4 * (d + 4) * L)
                p.append(zb.zo_sgd_iterations_to_epsilon(
                    ev, e0, lr, e, c.T, estimator="gaussian", radius=c.problem["radius"]))
                bound.append(zb.ns_strongly_convex_iterations(d, L, L / kappa, base.constants()["f0"], e))
            else:
                p.append(float(first_step_below(ev, e0, 1 / (2 * L), 0.0, e, c.T)))
        pred[name] = np.array(p)
        fits[name] = fit_loglog(dims, iters[name])
        pfits[name] = fit_loglog(dims, pred[name])
    return DimensionScaling(dims, iters, pred, np.array(bound), fits, pfits)


def fig_dimension_scaling(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    dims = [8, 16, 32, 64, 128] if quick else [8, 16, 32, 64, 128, 256]
    ds = measure_dimension_scaling(dims, store=store, n_jobs=n_jobs)
    fig, ax = new_figure(logx=True)
    for name, color in (("ZO-SGD", "tab:red"), ("SGD", "tab:blue")):
        it = ds.iterations[name]
        ax.fill_between(ds.dims, it.min(1), it.max(1), color=color, alpha=0.2, lw=0)
        ax.plot(ds.dims, np.median(it, axis=1), "o-", color=color,
                label=f"{name}: measured slope {ds.fits[name]}")
        ax.plot(ds.dims, ds.predicted[name], ":", color=color, lw=2,
                label=f"{name}: exact expected risk, slope {ds.predicted_fits[name].slope:.3f}")
    ax.plot(ds.dims, ds.bound, "--", color="tab:red",
            label=r"ZO-SGD: Nesterov-Spokoiny bound $8(d{+}4)\kappa\log$ [R]")
    ax.set(xlabel="dimension $d$", ylabel=r"iterations to $f - f^\star \leq 10^{-3} f_0$",
           title=r"ZO-SGD needs $\sim d$ times more iterations ($\kappa = 10$)")
    ax.legend(fontsize=6.5)
    save_figure(fig, "zo_dimension_scaling")
    return ds


# --------------------------------------------------------------------------------------
# 2. estimator variance vs d, smoothed function vs radius
# --------------------------------------------------------------------------------------
def estimator_moments(problem, estimator="gaussian", radius=1e-3, q=1, difference="forward",
                      n_samples=20_000, seed=0, x=None):
    r"""Monte-Carlo mean and variance of one estimator at ``x`` (default ``problem.w0``).

    Returns
    -------
    dict
        ``mean`` (d,), ``variance`` (mean of :math:`\lVert\hat g - \nabla f\rVert^2`, an unbiased
        estimate of the trace of the covariance when the estimator is unbiased), ``variance_se``
        (its standard error), ``second_moment``, ``grad`` and ``samples`` (n, d).
    """
    zo = ZerothOrderProblem(problem, estimator, radius, q, difference)
    x = problem.w0 if x is None else x
    S = 500
    reps = max(1, -(-n_samples // S))
    streams = SeedStreams(range(seed * S, (seed + 1) * S), stream=11)
    w = np.broadcast_to(np.asarray(x, dtype=float), (S, problem.dim)).copy()
    g = np.concatenate([zo.estimate(w, streams) for _ in range(reps)])
    grad = np.asarray(problem.gradient(w[:1]))[0]
    z = np.sum((g - grad) ** 2, axis=1)
    return {"mean": g.mean(0), "variance": float(z.mean()), "variance_se": float(z.std(ddof=1) / math.sqrt(z.size)),
            "second_moment": float(np.mean(np.sum(g**2, axis=1))), "grad": grad, "samples": g}


def measure_variance(dims=(4, 8, 16, 32, 64, 128), radius=0.05, n_samples=20_000, kappa=10.0):
    """Measured vs exact variance per (estimator, q) and d (at :math:`x = w_0`)."""
    rows = []
    for d in dims:
        p = problems.make(**quadratic_spec(d, kappa))
        gsq = float(np.sum(np.asarray(p.gradient(p.w0[None]))[0] ** 2))
        L = p.constants()["L"]
        for est, q in (("gaussian", 1), ("sphere", 1), ("gaussian", 4)):
            m = estimator_moments(p, est, radius, q, n_samples=n_samples, seed=d)
            rows.append({"d": d, "estimator": est, "q": q, "measured": m["variance"],
                         "se": m["variance_se"], "second_moment": m["second_moment"],
                         "formula": zb.estimator_variance(est, p.spectrum, gsq, radius, "forward", q),
                         "ns_bound": zb.ns_smoothing_bounds(d, L, radius, gsq)["second_moment"] / q})
    return rows


def measure_smoothing(d=16, radii=(0.03, 0.1, 0.3, 1.0, 3.0), n_samples=40_000, kappa=10.0):
    """Monte-Carlo :math:`f_\\mu(x) - f(x)` (Gaussian and ball) and the coordinate bias vs radius."""
    p = problems.make(**quadratic_spec(d, kappa))
    x = np.asarray(p.w0)
    rng = np.random.default_rng(3)
    tr = float(p.spectrum.sum())
    rows = []
    for mu in radii:
        u = rng.standard_normal((n_samples, d))
        b = rng.standard_normal((n_samples, d))
        b *= (rng.uniform(size=(n_samples, 1)) ** (1 / d)) / np.linalg.norm(b, axis=1, keepdims=True)
        fx = float(p.value(x[None])[0])
        # antithetic pairs: same expectation, without the first-order term's sampling noise
        gap_g = (p.value(x + mu * u) + p.value(x - mu * u)) / 2 - fx
        gap_b = (p.value(x + mu * b) + p.value(x - mu * b)) / 2 - fx
        zo = ZerothOrderProblem(p, "coordinate", mu, 1, "forward")
        bias = np.linalg.norm(zo.estimate(x[None], None)[0] - p.gradient(x[None])[0])
        rows.append({
            "radius": mu,
            "gaussian": float(gap_g.mean()), "gaussian_se": float(gap_g.std() / math.sqrt(n_samples)),
            "gaussian_formula": zb.smoothed_value_gap("gaussian", d, tr, mu),
            "ball": float(gap_b.mean()), "ball_se": float(gap_b.std() / math.sqrt(n_samples)),
            "ball_formula": zb.smoothed_value_gap("sphere", d, tr, mu),
            "ns_value_bound": zb.ns_smoothing_bounds(d, 1.0, mu)["value_gap"],
            "coordinate_bias": float(bias),
            "coordinate_bias_formula": float(np.linalg.norm(zb.estimator_bias("coordinate", p.spectrum, mu))),
        })
    return rows


def fig_estimator_variance(quick=False):
    from theory_lab.plotting import new_figure, save_figure

    dims = (4, 8, 16, 32, 64) if quick else (4, 8, 16, 32, 64, 128)
    rows = measure_variance(dims, n_samples=10_000 if quick else 20_000)
    smooth = measure_smoothing(n_samples=20_000 if quick else 40_000)
    fig, (ax, bx) = new_figure(2, logx=True)
    styles = {("gaussian", 1): ("tab:red", "Gaussian"), ("sphere", 1): ("tab:green", "sphere"),
              ("gaussian", 4): ("tab:purple", "Gaussian, q = 4")}
    for key, (color, label) in styles.items():
        rs = [r for r in rows if (r["estimator"], r["q"]) == key]
        d = np.array([r["d"] for r in rs])
        meas = np.array([r["measured"] for r in rs])
        ratio = meas / np.array([r["formula"] for r in rs])
        ax.errorbar(d, meas, yerr=[2 * r["se"] for r in rs], fmt="o", color=color, ms=4,
                    label=f"{label}: measured / formula {ratio.min():.3f}-{ratio.max():.3f}")
        ax.plot(d, [r["formula"] for r in rs], "-", color=color, lw=1)
        if key == ("gaussian", 1):
            ax.plot(d, [r["ns_bound"] for r in rs], "--", color=color,
                    label=r"N-S bound $2(d{+}4)\|g\|^2 + \frac{\mu^2}{2}L^2(d{+}6)^3$")
    ax.set(xlabel="dimension $d$", ylabel=r"$\mathrm{tr}\,\mathrm{Cov}(\hat g)$ at $w_0$",
           title=r"Estimator variance $\approx (d{+}1)\|\nabla f\|^2/q$ (lines: exact)")
    ax.legend(fontsize=6.5)
    mu = np.array([r["radius"] for r in smooth])
    for key, color, label in (("gaussian", "tab:red", r"Gaussian $f_\mu - f$ (line: $\mu^2 \mathrm{tr}H/2$)"),
                              ("ball", "tab:green", r"ball $\hat f_\mu - f$ (line: $\mu^2\mathrm{tr}H/(2(d{+}2))$)"),
                              ("coordinate_bias", "tab:orange",
                               r"coordinate bias $\|\mathbb{E}\hat g - \nabla f\|$ (line: $\frac{\mu}{2}\|\mathrm{diag} H\|$)")):
        bx.plot(mu, [r[key] for r in smooth], "o", color=color, label=label, ms=4)
        bx.plot(mu, [r[f"{key}_formula"] for r in smooth], "-", color=color, lw=1)
    bx.plot(mu, [r["ns_value_bound"] for r in smooth], "--", color="tab:red",
            label=r"N-S bound $\mu^2 L d/2$ [R]")
    bx.set(xlabel=r"smoothing radius $\mu$", ylabel="gap / bias", title="Smoothed function and bias ($d = 16$)")
    bx.legend(fontsize=6.5)
    save_figure(fig, "zo_estimator_variance")
    return rows, smooth


# --------------------------------------------------------------------------------------
# 3. Riemannian ZO on the Rayleigh quotient
# --------------------------------------------------------------------------------------
def riemannian_configs(dims=(10, 40), gap=0.2, seeds=range(8), radius=1e-6, T_factor=60):
    """ZO-RSGD (step 1/(4(n+4)L), n = d - 1) and RSGD (step 1/L) on the Rayleigh quotient."""
    configs = {}
    for d in dims:
        base = {"name": "rayleigh", "d": int(d), "gap": float(gap), "seed": 0}
        T = int(T_factor * (d + 3) / gap)
        configs[("ZO-RSGD", d)] = RunConfig(
            problem=zo_spec(base, radius=radius), optimizer={"name": "rsgd", "lr": "1/(4*(d+3)*L)"},
            T=T, seeds=tuple(seeds), n_checkpoints=80, spacing="linear",
            tags={"experiment": "riemannian", "method": "ZO-RSGD"})
        configs[("RSGD", d)] = RunConfig(
            problem=base, optimizer={"name": "rsgd", "lr": "1/L"}, T=max(50, int(T_factor / gap)),
            seeds=tuple(seeds[:1]), n_checkpoints=40, spacing="linear",
            tags={"experiment": "riemannian", "method": "RSGD"})
    return configs


def predicted_riemannian_rate(d, gap=0.2, radius=1e-6) -> tuple[float, float]:
    """Per-step rate and forward-difference floor of :math:`\\mathbb E f` of ZO-RSGD predicted by
    the local quadratic model (tangent Hessian :math:`2(\\lambda_1 - \\lambda_i)`, :math:`d - 1` dims)."""
    p = problems.make("rayleigh", d=d, gap=gap)
    h = p.local_hessian_eigenvalues()
    lr = 1 / (4 * (d + 3) * h.max())
    return zb.zo_sgd_rate(h, lr, "gaussian"), zb.zo_sgd_stationary_risk(h, lr, "gaussian", radius)


def measure_riemannian(store=STORE, n_jobs=1, window=(1e-4, 1e-9), **kw):
    """Configs, results and per-d fitted vs predicted rates of ZO-RSGD (window on the median)."""
    configs = riemannian_configs(**kw)
    results = run_by_hash(list(configs.values()), store, n_jobs)
    out = {}
    for (name, d), c in configs.items():
        r = results[c.hash()]
        entry = {"config": c, "result": r}
        if name == "ZO-RSGD":
            med = np.median(r.suboptimality, axis=0)
            inside = (med <= window[0]) & (med >= window[1])
            steps = r.steps[inside]
            entry["fit"] = fit_linear_rate(r.steps, r.suboptimality, start=steps.min(), stop=steps.max())
            entry["predicted"], entry["floor"] = predicted_riemannian_rate(
                d, c.problem["base"]["gap"], c.problem["radius"])
        out[(name, d)] = entry
    return out


def fig_riemannian(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, plot_bound, plot_runs, save_figure

    out = measure_riemannian(store, n_jobs, dims=(10, 40) if not quick else (10, 20))
    fig, ax = new_figure()
    colors = iter(["tab:red", "tab:purple", "tab:blue", "tab:cyan"])
    for (name, d), e in sorted(out.items(), key=lambda kv: (kv[0][0] != "ZO-RSGD", kv[0][1])):
        r = e["result"]
        if name == "ZO-RSGD":
            color = plot_runs(ax, r, color=next(colors),
                              label=f"ZO-RSGD d={d}: rate {e['fit']} (pred. {e['predicted']:.5f})")
            med = np.median(r.suboptimality, axis=0)
            k = int(np.argmax(med <= 1e-6))
            t = r.steps[k:]
            fl = e["floor"]
            plot_bound(ax, t, (med[k] - fl) * e["predicted"] ** (t - t[0]) + fl, color,
                       label=f"local model: rate, floor {fl:.2g}" if d == max(dd for _, dd in out) else None)
        else:
            plot_runs(ax, r, color=next(colors), label=f"RSGD (first order) d={d}")
    ax.set(ylim=(1e-13, 2), title="Leading eigenvector on the sphere (gap 0.2)",
           ylabel=r"$\lambda_1 - x^\top A x$")
    ax.legend(fontsize=6.5)
    save_figure(fig, "zo_riemannian")
    return out


# --------------------------------------------------------------------------------------
# 4. methods vs function queries
# --------------------------------------------------------------------------------------
def methods_configs(d=64, kappa=10.0, queries=40_000, seeds=range(8), radius=1e-6):
    base = quadratic_spec(d, kappa)
    out = {}
    for q in (1, 8):
        out[f"ZO-SGD q={q}"] = RunConfig(
            problem=zo_spec(base, radius=radius, q=q),
            optimizer={"name": "sgd", "lr": f"{q}/(4*(d+4)*L)"},
            T=queries // (q + 1), seeds=tuple(seeds), n_checkpoints=40)
    out["ZO-Adam q=1"] = RunConfig(
        problem=zo_spec(base, radius=radius), optimizer={"name": "adam", "lr": 0.005},
        T=queries // 2, seeds=tuple(seeds), n_checkpoints=40)
    out["coordinate FD (central)"] = RunConfig(
        problem=zo_spec(base, "coordinate", radius=1e-4, difference="central"),
        optimizer={"name": "sgd", "lr": "1/L"}, T=queries // (2 * d), seeds=(0,), n_checkpoints=40)
    return out


def fig_methods(store=STORE, n_jobs=1, quick=False):
    from theory_lab.plotting import new_figure, save_figure

    configs = methods_configs(queries=20_000 if quick else 40_000)
    results = run_by_hash(list(configs.values()), store, n_jobs)
    fig, ax = new_figure()
    finals = {}
    for (name, c), color in zip(configs.items(), ["tab:red", "tab:purple", "tab:green", "tab:orange"],
                                strict=True):
        r = results[c.hash()]
        x = function_queries(r)
        med = np.median(r.suboptimality, axis=0)
        ax.plot(np.maximum(x, 1), med, color=color, label=name)
        if r.suboptimality.shape[0] > 1:
            ax.fill_between(np.maximum(x, 1), *np.quantile(r.suboptimality, [0.1, 0.9], axis=0),
                            color=color, alpha=0.2, lw=0)
        finals[name] = (int(x[-1]), float(med[-1]))
    ax.set(xscale="log", xlabel="function queries", ylabel=r"$f - f^\star$",
           title=r"Quadratic $d = 64$, $\kappa = 10$: cost in function values")
    ax.legend(fontsize=7)
    save_figure(fig, "zo_methods")
    return finals


# --------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------
def main(argv=None):
    args = parse_args(__doc__, STORE, argv)
    t0 = time.perf_counter()
    ds = fig_dimension_scaling(args.store, args.n_jobs, args.quick)
    for name, fit in ds.fits.items():
        print(f"[zo_dimension_scaling] {name}: slope {fit} (exact recursion {ds.predicted_fits[name].slope:.3f})")
    rows, smooth = fig_estimator_variance(args.quick)
    for r in rows:
        print(f"[zo_estimator_variance] {r['estimator']} q={r['q']} d={r['d']}: measured/formula "
              f"{r['measured'] / r['formula']:.4f} (+-{2 * r['se'] / r['formula']:.4f}), "
              f"second moment / N-S bound {r['second_moment'] / r['ns_bound']:.3f}")
    for r in smooth:
        print(f"[zo_estimator_variance] mu={r['radius']}: gaussian gap {r['gaussian']:.4g} vs "
              f"{r['gaussian_formula']:.4g}, ball {r['ball']:.4g} vs {r['ball_formula']:.4g}, "
              f"coordinate bias {r['coordinate_bias']:.4g} vs {r['coordinate_bias_formula']:.4g}")
    out = fig_riemannian(args.store, args.n_jobs, args.quick)
    for (name, d), e in out.items():
        if "fit" in e:
            print(f"[zo_riemannian] ZO-RSGD d={d}: rate {e['fit']} vs predicted {e['predicted']:.6f}; "
                  f"predicted forward-difference floor {e['floor']:.3g}")
        r = e["result"]
        print(f"[zo_riemannian] {name} d={d}: final median {np.median(r.suboptimality[:, -1]):.3g} "
              f"after {r.steps[-1]} steps")
    finals = fig_methods(args.store, args.n_jobs, args.quick)
    for name, (x, f) in finals.items():
        print(f"[zo_methods] {name}: f - f* = {f:.3g} after {x} queries")
    print(f"[zeroth_order] total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["DimensionScaling", "Fit", "estimator_moments", "main", "measure_dimension_scaling",
           "measure_riemannian", "measure_smoothing", "measure_variance"]
