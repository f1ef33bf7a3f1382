r"""D-NASA's rate, measured (``python -m experiments.dnasa``; figure ``dnasa_rates``).

Claim (Li, Chen, Ma, Hong 2024; the authors' update [V], :mod:`theory_lab.decentralized.dnasa`):
with :math:`\alpha = \alpha_0\sqrt{n/K}`, :math:`\gamma = \gamma_0 n^{1/4}/K^{3/4}` and no
problem constant, :math:`\frac1K\sum_{k<K}E\|\nabla f(\bar x_k)\| = O((nK)^{-1/4})`
(:math:`n` agents).  The claims, their windows, mutants and the recorded disagreement are
objects in :mod:`theory_lab.claims.dnasa`; this script draws their figure-scale
measurements and prints each verdict.

Figure ``dnasa_rates`` (non-convex robust regression :func:`problems.nonconvex_distributed.
nonconvex_regression`, noisy single-sample oracle, :math:`\alpha_0 = \gamma_0 = 1`):

1. the average gradient norm vs :math:`K` at :math:`n = 16` agents on four topologies
   (ring, 2-D torus, exponential graph, complete graph) and at :math:`n = 2` (complete),
   each with its fitted exponent and 95% CI; the predicted slope :math:`-1/4` dashed
   (claims ``dnasa.K_exponent_n2``, ``dnasa.K_exponent_ring16``);
2. the same vs :math:`n` at fixed :math:`K = 2048` on the complete and exponential graphs,
   one data set of :math:`N = 512` rows split over :math:`n` agents (same :math:`f` for
   every :math:`n`; linear speedup: exponent :math:`-1/4` in :math:`n`; claim
   ``dnasa.n_exponent``, which records a disagreement: the measured exponent is steeper);
3. the measurement against the [R] bound :func:`theory_lab.theory.dnasa_bounds.dnasa_bound`
   (constants reported by the problem, used only here): ratio measured/bound vs :math:`K`
   -- loose by two to three orders (claim ``dnasa.rate_bound``: "holds, loose").

Cause of the steeper exponent in :math:`n` (measured): every agent normalizes its *own*
noisy :math:`z_i`, so the network average moves by :math:`\|\frac1n\sum_i
z_i/\|z_i\|\|\gamma < \gamma` (second half of the run at :math:`K = 2048`: 0.99 of
:math:`\gamma` at :math:`n = 2`, 0.87 at 8, 0.55 at 32); the smaller effective step lowers
the noise-driven level, more so for larger :math:`n`; the effect fades as :math:`K` grows.

Runs go through :func:`theory_lab.sweep.run_sweep` with ``run_fn=run_dnasa`` and the store
``results/cache/dnasa``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from experiments._cli import parse_args
from theory_lab import RunConfig
from theory_lab.claims import check
from theory_lab.decentralized.dnasa import run_dnasa
from theory_lab.rates import fit_loglog
from theory_lab.sweep import run_sweep
from theory_lab.theory.dnasa_bounds import PREDICTED_EXPONENTS, dnasa_bound

STORE = "results/cache/dnasa"
GRAPHS = {"ring": ("ring", "tab:red"), "torus": ("2-D torus", "tab:orange"),
          "exponential": ("exponential", "tab:green"), "complete": ("complete", "tab:blue")}
SMALL_N = 2  # the K-sweep repeated at n = 2 (complete graph): past the n^3 transient, see below
N_POOL = 512  # the linear-speedup sweep splits one fixed data set of N rows over n agents
KS = tuple(2 ** k for k in range(8, 15))  # 256 .. 16384
MS = (2, 4, 8, 16, 32)


def problem_spec(m=16, graph="ring", mixing="lazy_metropolis", seed=0, **kw) -> dict:
    """Non-convex robust regression over ``m`` agents (defaults of the registered problem)."""
    return {"name": "nonconvex_regression", "m": m, "seed": seed, **kw,
            "network": {"graph": graph, "mixing": mixing}}


def config(K, m=16, graph="ring", seeds=range(4), alpha0=1.0, gamma0=1.0, tag="K", **kw) -> RunConfig:
    return RunConfig(problem=problem_spec(m=m, graph=graph, **kw),
                     optimizer={"name": "dnasa", "alpha0": alpha0, "gamma0": gamma0},
                     T=int(K), seeds=tuple(seeds), spacing="log", n_checkpoints=40,
                     tags={"experiment": f"dnasa_{tag}"})


def run_all(configs, store=STORE, n_jobs=1):
    return run_sweep(configs, store=store, n_jobs=n_jobs, run_fn=run_dnasa,
                     engine="sequential" if n_jobs == 1 else "joblib")


def avg_grad_norm(result) -> np.ndarray:
    r"""Per seed :math:`\frac1K\sum_{k<K}\|\nabla f(\bar x_k)\|` (the theorem's quantity)."""
    return np.asarray(result.meta["avg_grad_norm"], dtype=float)


@dataclass
class Scaling:
    x: np.ndarray  # K values or agent counts
    values: np.ndarray  # (n_x, S) average gradient norms
    fit: object  # theory_lab.rates.Fit of log values on log x
    results: list


def _scalings(cfgs: dict, xs, store, n_jobs) -> dict:
    """Run every config of ``{graph: [config per x]}`` in one sweep; fit each graph's exponent."""
    flat = [c for cs in cfgs.values() for c in cs]
    res = dict(zip([c.hash() for c in flat], run_all(flat, store, n_jobs), strict=True))
    x = np.asarray(xs, float)
    out = {}
    for g, cs in cfgs.items():
        rs = [res[c.hash()] for c in cs]
        vals = np.stack([avg_grad_norm(r) for r in rs])
        out[g] = Scaling(x, vals, fit_loglog(x, vals), rs)
    return out


def measure_K(graphs=tuple(GRAPHS), Ks=KS, m=16, seeds=range(4), store=STORE, n_jobs=1, **kw) -> dict:
    """Average gradient norm vs K per topology: ``{graph: Scaling}``."""
    cfgs = {g: [config(K, m=m, graph=g, seeds=seeds, tag="K", **kw) for K in Ks] for g in graphs}
    return _scalings(cfgs, Ks, store, n_jobs)


def measure_n(ms=MS, K=2048, graphs=("complete", "exponential"), seeds=range(8), store=STORE, n_jobs=1,
              pool=N_POOL, **kw) -> dict:
    """Average gradient norm vs the number of agents at fixed K: ``{graph: Scaling}``.

    One data set of ``pool`` rows (heterogeneity 0) split over ``m`` agents (``n = pool/m``
    each), so the global objective is the same for every ``m``.
    """
    cfgs = {g: [config(K, m=m, graph=g, seeds=seeds, tag="n", n=pool // m, heterogeneity=0.0, **kw)
                for m in ms] for g in graphs}
    return _scalings(cfgs, ms, store, n_jobs)


def bound_of(result) -> dict:
    """The [R] bound of :func:`dnasa_bound` for a run, from the constants the problem reported."""
    c, net, opt = result.meta["constants"], result.meta["network"], result.meta["optimizer"]
    return dnasa_bound(opt["K"], opt["n"], opt["alpha0"], opt["gamma0"], L=c["L"], L_l=c["L_l"],
                       sigma=float(np.sqrt(c["sigma2"])), Delta=c["Delta0"], gap=net["gap"],
                       eps0=_grad0_norm(result), zeta0=c["zeta0"])


def _grad0_norm(result) -> float:
    """:math:`\\|\\nabla f(x_0)\\|`: the initial momentum error of :math:`z^0 = 0`."""
    import problems

    spec = dict(result.config["problem"])
    spec.pop("network", None)
    prob = problems.make(spec.pop("name"), **spec)
    return float(np.linalg.norm(prob.gradient(prob.w0)))


def _reference(ax, x, y0, slope, label):
    x = np.asarray(x, float)
    ax.plot(x, y0 * (x / x[0]) ** slope, "k--", lw=1, label=label)


def figure(byK: dict, byn: dict, small: Scaling | None = None, name="dnasa_rates"):
    from theory_lab.plotting import new_figure, save_figure
    from theory_lab.rates import median_band

    fig, axes = new_figure(3, 1, panel_size=(4.2, 3.4), logx=True)
    ax = axes[0]
    for g, sc in byK.items():
        label, color = GRAPHS[g]
        med, lo, hi = median_band(sc.values.T)
        ax.plot(sc.x, med, "o-", color=color, ms=3, label=f"{label} (gap {sc.results[0].meta['network']['gap']:.2g}): "
                f"{sc.fit.slope:.3f} [{sc.fit.ci_low:.3f}, {sc.fit.ci_high:.3f}]")
        ax.fill_between(sc.x, lo, hi, color=color, alpha=0.2, lw=0)
    if small is not None:
        med, lo, hi = median_band(small.values.T)
        ax.plot(small.x, med, "s--", color="k", ms=3, label=f"complete, n = {SMALL_N}: "
                f"{small.fit.slope:.3f} [{small.fit.ci_low:.3f}, {small.fit.ci_high:.3f}]")
    first = next(iter(byK.values()))
    _reference(ax, first.x, np.median(first.values[0]) * 0.75, PREDICTED_EXPONENTS["K"], "slope $-1/4$")
    m = first.results[0].meta["network"]["m"]
    ax.set_xlabel("horizon $K$")
    ax.set_ylabel(r"$\frac{1}{K}\sum_{k<K}\|\nabla f(\bar x_k)\|$")
    ax.set_title(f"vs $K$, n = {m} agents (and n = {SMALL_N})")
    ax.legend(fontsize=6, loc="lower left")

    ax = axes[1]
    for g, sc in byn.items():
        label, color = GRAPHS[g]
        med, lo, hi = median_band(sc.values.T)
        ax.plot(sc.x, med, "o-", color=color, ms=3,
                label=f"{label}: {sc.fit.slope:.3f} [{sc.fit.ci_low:.3f}, {sc.fit.ci_high:.3f}]")
        ax.fill_between(sc.x, lo, hi, color=color, alpha=0.2, lw=0)
    first = next(iter(byn.values()))
    _reference(ax, first.x, np.median(first.values[0]) * 1.15, PREDICTED_EXPONENTS["n"], "slope $-1/4$")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(first.x, [str(int(v)) for v in first.x])
    ax.set_xlabel("agents $n$ (claim dnasa.n_exponent: disagrees, steeper than $-1/4$)")
    ax.set_title(f"vs $n$ (one data set, N = {N_POOL}), K = {first.results[0].meta['optimizer']['K']}")
    ax.legend(fontsize=6, loc="lower left")

    ax = axes[2]
    for g, sc in byK.items():
        label, color = GRAPHS[g]
        b = np.array([bound_of(r)["total"] for r in sc.results])
        main = np.array([bound_of(r)["main"] for r in sc.results])
        ax.plot(sc.x, np.median(sc.values, axis=1) / b, "o-", color=color, ms=3, label=f"{label}: / bound")
        ax.plot(sc.x, np.median(sc.values, axis=1) / main, ":", color=color, label=f"{label}: / main term")
    ax.set_xlabel("horizon $K$")
    ax.set_ylabel("measured / [R] bound")
    ax.set_title(r"against the [R] bound (main term $\propto (nK)^{-1/4}$): holds, loose")
    ax.legend(fontsize=6, loc="lower right")
    save_figure(fig, name)


def _measurement(sc: Scaling):
    from theory_lab.claims import Measurement

    return Measurement(sc.fit.slope, (sc.fit.ci_low, sc.fit.ci_high))


def verdict_inputs(byK, small, byn) -> list:
    """The figure-scale sweeps that are the claims' figure-scale measurements."""
    from theory_lab.claims.dnasa import K_EXPONENT_N2, K_EXPONENT_RING16, N_EXPONENT

    return [(K_EXPONENT_N2, small), (K_EXPONENT_RING16, byK["ring"]), (N_EXPONENT, byn["complete"])]


def main(argv=None):
    args = parse_args(__doc__, STORE, argv, quick=False)
    t0 = time.perf_counter()
    byK = measure_K(store=args.store, n_jobs=args.n_jobs)
    small = measure_K(graphs=("complete",), m=SMALL_N, store=args.store, n_jobs=args.n_jobs)["complete"]
    byn = measure_n(store=args.store, n_jobs=args.n_jobs)
    figure(byK, byn, small=small)
    for g, sc in byK.items():
        print(f"avg grad norm vs K, {g:12s}: exponent {sc.fit}  (predicted {PREDICTED_EXPONENTS['K']})")
    print(f"avg grad norm vs K, complete n={SMALL_N}: exponent {small.fit}  (predicted {PREDICTED_EXPONENTS['K']})")
    for g, sc in byn.items():
        print(f"avg grad norm vs n, {g:12s}: exponent {sc.fit}  (predicted {PREDICTED_EXPONENTS['n']})")
    for claim, sc in verdict_inputs(byK, small, byn):
        print(f"[{claim.id}] {check(claim, _measurement(sc)).status}: {check(claim, _measurement(sc)).reason}")
    print(f"figures/dnasa_rates.(png|pdf) in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
