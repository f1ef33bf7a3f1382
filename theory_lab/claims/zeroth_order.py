r"""Claims of zeroth-order optimization (Nesterov & Spokoiny 2017), as objects.

Setting (``make fig-zeroth-order``): ZO-SGD is SGD on the two-point Gaussian-smoothing
estimate :math:`g = \frac{f(x+\mu u) - f(x)}{\mu} u`, :math:`u \sim N(0, I_d)`, with the step
:math:`\eta = 1/(4(d+4)L)` of Nesterov & Spokoiny's Theorem 8, on noiseless quadratics
(two-cluster spectrum, :math:`\epsilon` relative to :math:`f_0`).

Claims
------
``zeroth_order.dimension_exponent``
    Iterations to :math:`\epsilon` grow like :math:`d` (the paper's statement).  Measured
    slope vs :math:`d` is below 1 beyond its interval: a recorded :class:`Disagreement`,
    whose cause is the step :math:`\propto 1/(d+4)` (iterations :math:`\propto d+4`, not
    :math:`d`) and the finite-:math:`d` coupling of the exact second-moment recursion.
``zeroth_order.iterations_exact``
    The measured iterations equal those of the exact expected-risk recursion
    (:func:`theory_lab.theory.zeroth_order_bounds.zo_sgd_iterations_to_epsilon`): this is the
    sharp prediction, so its mutants are judged against it.
``zeroth_order.variance_ratio``
    Monte-Carlo :math:`\mathbb E\lVert g - \nabla f\rVert^2` over its exact value
    (:func:`~theory_lab.theory.zeroth_order_bounds.estimator_variance`) is 1.
``zeroth_order.smoothing_bias``
    Monte-Carlo :math:`f_\mu(x) - f(x)` of Gaussian smoothing over its exact value
    :math:`\mu^2\operatorname{tr}H/2` is 1 (tolerance: 4 standard errors, bounded from the
    spectrum alone).
``zeroth_order.riemannian_rate``
    ZO-RSGD on the sphere converges at the rate of Euclidean ZO-SGD on the local quadratic
    model (tangent Hessian, :math:`d - 1` dims), both runs measured by the same statistic
    (mean per-seed log-slope over the window where the median is in
    :math:`[10^{-9}, 10^{-4}]`, an estimate of the Lyapunov exponent
    :math:`\mathbb E\log(f_{t+1}/f_t)`); window: 4 standard errors of the difference (each
    from its own seeds) plus a derived local-model term (:func:`measure_riemannian_rate`).
    The :math:`\mathbb E f` rate of the exact recursion (:data:`RIEMANN_PREDICTED`) is
    reported beside it; the Lyapunov rate is faster (Jensen).

Mutants (plausible estimator bugs, :class:`BuggyZO`): Gaussian directions normalized to the
unit sphere without the :math:`d` factor (mixing up the two estimators), the smoothing radius
too large, the central difference divided by :math:`\mu` instead of :math:`2\mu`, and the
step without its :math:`1/(d+4)`.

References
----------
.. [1] Y. Nesterov, V. Spokoiny. "Random Gradient-Free Minimization of Convex Functions."
   Foundations of Computational Mathematics 17, 2017.
.. [2] S. Ghadimi, G. Lan. "Stochastic First- and Zeroth-Order Methods for Nonconvex
   Stochastic Programming." SIAM J. Optim. 23(4), 2013.
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np

from ..zeroth_order import ZerothOrderProblem
from .base import (
    Claim,
    Disagreement,
    Measurement,
    Mutant,
    register,
    slope_measurement,
    variant_key,
    worst_ratio_measurement,
)

PAPER = "zeroth_order"

SCALING = {
    "test": {"dims": (8, 16, 32, 64, 128), "kappa": 4.0, "eps_rel": 1e-2, "seeds": range(4)},
    "figure": {"dims": (8, 16, 32, 64, 128, 256), "kappa": 10.0, "eps_rel": 1e-3,
               "seeds": range(8)},
}
VARIANCE = {
    "test": {"dims": (8, 32, 128), "n_samples": 20_000},
    "figure": {"dims": (4, 8, 16, 32, 64, 128), "n_samples": 20_000},
}


class BuggyZO(ZerothOrderProblem):
    r"""A zeroth-order estimator with one plausible bug (the claims' mutants).

    ``bug``:

    * ``"sphere_without_d"``: directions normalized to the unit sphere but without the
      :math:`d` factor of the sphere estimator (:math:`\mathbb E g = \nabla f/d`);
    * ``"radius_x"``: the finite difference taken at ``radius_factor`` times the declared
      :math:`\mu` (e.g. :math:`\mu` read in the wrong units);
    * ``"central_over_mu"``: the central difference divided by :math:`\mu`, not :math:`2\mu`.
    """

    def __init__(self, base, bug: str, radius_factor: float = 1.0, **kw):
        super().__init__(base, **kw)
        self.bug = bug
        self.radius_factor = float(radius_factor)

    def estimate(self, w, streams, n=None):
        if self.bug == "radius_x":
            mu = self.radius
            self.radius = mu * self.radius_factor
            try:
                return super().estimate(w, streams, n)
            finally:
                self.radius = mu
        if self.bug == "central_over_mu":
            return 2 * super().estimate(w, streams, n)
        if self.bug == "sphere_without_d":
            n = self.q if n is None else n
            u = self._directions(w, streams, n)
            u = u / np.linalg.norm(u, axis=-1, keepdims=True)
            mu = self.radius
            coef = (self._query(w[:, None, :] + mu * u) - self.value(w)[:, None]) / mu
            return np.sum(coef[:, :, None] * u, axis=1) / n
        raise ValueError(f"unknown bug {self.bug!r}")


def _zo(base, variant: dict, **kw):
    bug = variant.get("bug")
    if bug is None:
        return ZerothOrderProblem(base, **kw)
    return BuggyZO(base, bug, variant.get("radius_factor", 1.0), **kw)


# ----------------------------------------------------------------------------- d scaling
@functools.cache
def _scaling(scale: str, key: str) -> dict:
    """Measured (median over seeds) and exact-recursion iterations to eps_rel f0 per d."""
    import problems
    from experiments.zeroth_order import quadratic_spec
    from theory_lab.optimizers import sgd
    from theory_lab.runner import run
    from theory_lab.theory import zeroth_order_bounds as zb

    variant = json.loads(key)
    sc = SCALING[scale]
    kappa, eps_rel = sc["kappa"], sc["eps_rel"]
    measured, exact = [], []
    for d in sc["dims"]:
        base = problems.make(**quadratic_spec(d, kappa))
        c = base.constants()
        L, eps = c["L"], eps_rel * c["f0"]
        lr = 1 / (4 * (d + 4) * L) if not variant.get("unscaled_step") else 1 / (4 * 12 * L)
        T = int(math.ceil(12 * (d + 4) * kappa * math.log(1 / eps_rel)))
        exact.append(zb.zo_sgd_iterations_to_epsilon(
            base.spectrum, base.initial_error_coordinates(), 1 / (4 * (d + 4) * L), eps, T,
            estimator="gaussian", radius=1e-6))
        # horizon: twice the exact prediction (a run that needs more has failed the claim)
        zo = _zo(base, variant, estimator="gaussian", radius=1e-6)
        out = run(zo, sgd(lr), int(math.ceil(2 * exact[-1])), seeds=tuple(sc["seeds"]),
                  epsilon=eps, stop_at_epsilon=True, n_checkpoints=20)
        hit = np.asarray(out["hit_step"], dtype=float)
        measured.append(np.where(hit >= 0, hit, np.inf))
    return {"dims": list(sc["dims"]), "measured": np.array(measured), "exact": np.array(exact)}


def _dimension_exponent(scale: str, variant: dict) -> Measurement:
    s = _scaling(scale, variant_key(variant))
    from theory_lab.rates import fit_loglog

    exact_slope = float(fit_loglog(s["dims"], s["exact"]).slope)
    return slope_measurement(s["dims"], s["measured"], exact_recursion_slope=exact_slope,
                             median=np.median(s["measured"], 1).tolist())


def _iterations_exact(scale: str, variant: dict) -> Measurement:
    s = _scaling(scale, variant_key(variant))
    ratio = np.median(s["measured"], axis=1) / s["exact"]
    worst = float(ratio[np.argmax(np.abs(np.log(ratio)))]) if np.all(np.isfinite(ratio)) else math.nan
    return Measurement(worst, (float(np.min(ratio)), float(np.max(ratio))),
                       details={"ratios": ratio.tolist(), "exact": s["exact"].tolist()})


_D_MUTANTS = (
    Mutant("sphere directions without d", "Gaussian directions normalized to the unit sphere "
           "but without the sphere estimator's factor d: E g = grad f / d",
           {"bug": "sphere_without_d"}),
    Mutant("step without 1/(d+4)", "the step 1/(4 (d+4) L) frozen at its d = 8 value "
           "1/(48 L) for every d", {"unscaled_step": True}),
)

# Paper: iterations ~ d (Nesterov-Spokoiny, Theorem 8: (d+4) kappa log(1/eps) steps at
# eta = 1/(4(d+4)L)), i.e. slope 1 in d.  Window 0.05: the fit's sampling error (the CI
# half-width is ~0.01 at both scales).  The measurement disagrees: recorded below.
register(Claim(
    id="zeroth_order.dimension_exponent",
    paper=PAPER,
    statement="ZO-SGD needs ~d times more iterations than first-order SGD: iterations to eps "
              "grow linearly in d.",
    source="[V] Nesterov & Spokoiny 2017, Theorem 8 (O((d+4) kappa log 1/eps) with "
           "eta = 1/(4(d+4)L)); statement 'linear in d' as the lab's README reads it [R]",
    kind="exponent",
    predicted=1.0,
    tolerance=0.05,
    measure=_dimension_exponent,
    mutants=_D_MUTANTS,
    disagreement=Disagreement(
        measured=0.928,
        interval=(0.88, 0.95),
        cause="the step is 1/(4(d+4)L), so the count grows like (d+4), whose log-log slope "
              "against d is 0.87-0.89 on d = 8..128/256; the exact second-moment recursion "
              "(coupling of the modes through tr H^2, weight d/(d+4)) adds ~0.03: it predicts "
              "0.905 (test scale: d = 8..128, kappa = 4) and 0.923 (figure scale: "
              "d = 8..256, kappa = 10); measured 0.928 [0.917, 0.939] at figure scale. The "
              "asymptotic exponent is 1; the finite-d exponent is the exact recursion's.",
    ),
    figure="zo_dimension_scaling.png",
))

# Exact recursion: E f(w_t) is computed exactly (no sampling); a single run's f_t fluctuates
# around it by a relative delta <~ 0.5 near the crossing, shifting its hitting time by
# delta / log(f0/eps) <= 0.5 / 4.6 = 11% for one seed, ~6% for the median of 4 seeds: 0.1.
register(Claim(
    id="zeroth_order.iterations_exact",
    paper=PAPER,
    statement="ZO-SGD's iterations to eps equal those predicted by the exact expected-risk "
              "recursion of the Gaussian estimator on the quadratic.",
    source="[D] exact second-moment recursion derived here "
           "(theory_lab.theory.zeroth_order_bounds.zo_sgd_expected_risk)",
    kind="equal",
    predicted=1.0,
    tolerance=0.1,
    measure=_iterations_exact,
    mutants=(*_D_MUTANTS,
             Mutant("radius too large", "the finite difference at 1e6 times the declared "
                    "mu = 1e-6 (mu = 1)", {"bug": "radius_x", "radius_factor": 1e6})),
    figure="zo_dimension_scaling.png",
))



@functools.cache
def _first_order_scaling(scale: str, key: str) -> dict:
    """First-order SGD (the figure's baseline: step 1/(2L), small anisotropic noise): median
    iterations to eps_rel f0 per d, and the noiseless count of the step actually used."""
    import problems
    from experiments.adagrad import step_size
    from experiments.zeroth_order import SGD_STEP, quadratic_spec
    from theory_lab import RunConfig
    from theory_lab.runner import build, run
    from theory_lab.theory.quadratic_risk import first_step_below

    variant = json.loads(key)
    sc = SCALING[scale]
    kappa, eps_rel = sc["kappa"], sc["eps_rel"]
    measured = []
    for d in sc["dims"]:
        spec = quadratic_spec(d, kappa, "anisotropic", 0.01)
        lr = {"zo_step": "1/(4*(d+4)*L)", "trace_step": "1/(2*trace_H)"}.get(
            variant.get("step"), SGD_STEP)
        prob, opt = build(RunConfig(problem=spec, optimizer={"name": "sgd", "lr": lr}, T=1))
        c = prob.constants()
        eps = eps_rel * c["f0"]
        eta = step_size(opt)
        # horizon from the step actually used: twice its noiseless count (plus slack)
        base = problems.make(**quadratic_spec(d, kappa))
        T = 2 * first_step_below(base.spectrum, base.initial_error_coordinates(), eta, 0.0, eps,
                                 10**7) + 100
        out = run(prob, opt, T, seeds=tuple(sc["seeds"]), epsilon=eps, stop_at_epsilon=True,
                  n_checkpoints=20)
        hit = np.asarray(out["hit_step"], dtype=float)
        measured.append(np.where(hit >= 0, hit, np.inf))
    return {"dims": list(sc["dims"]), "measured": np.array(measured)}


def _first_order_exponent(scale: str, variant: dict) -> Measurement:
    s = _first_order_scaling(scale, variant_key(variant))
    return slope_measurement(s["dims"], s["measured"],
                             median=np.median(s["measured"], 1).tolist())


# Window 0.1, from the theory before any run: at fixed kappa with eps = eps_rel f0, GD's count
# is ~log(p_slow/eps_rel)/(2 eta mu) once the fast cluster is gone, where p_slow is the share
# of f0 on the slow cluster; with w0 - w* ~ U(-1, 1)^d that share fluctuates by O(1/sqrt d)
# (~0.35 at d = 8), moving log(count) by ~0.35/log(1/eps_rel) <~ 0.09 across the d range, a
# slope of ~0.09/log(16) ~ 0.03; 0.1 is three times that.  A count growing with d (any step
# that shrinks with d) has slope ~1.
register(Claim(
    id="zeroth_order.first_order_dimension_free",
    paper=PAPER,
    statement="First-order SGD's iterations to eps do not grow with d at fixed kappa (the "
               "baseline ZO-SGD's factor d is measured against): log-log slope 0.",
    source="[V] Nesterov & Spokoiny 2017 (the factor d+4 is the price of zeroth-order "
           "information; first-order gradient descent needs O(kappa log 1/eps)); window [D]",
    kind="exponent",
    predicted=0.0,
    tolerance=0.1,
    measure=_first_order_exponent,
    mutants=(
        Mutant("ZO step for SGD", "first-order SGD run with the ZO step 1/(4(d+4)L)",
               {"step": "zo_step"}),
        Mutant("step from the trace", "the step 1/(2 tr H): the trace taken for the largest "
               "eigenvalue", {"step": "trace_step"}),
    ),
    figure="zo_dimension_scaling.png",
))


# ----------------------------------------------------------------------------- variance
def _variance_ratio(scale: str, variant: dict) -> Measurement:
    import problems
    from experiments.zeroth_order import quadratic_spec
    from theory_lab.random import SeedStreams
    from theory_lab.theory import zeroth_order_bounds as zb

    sc = VARIANCE[scale]
    difference = variant.get("difference", "forward")
    radius = 0.05
    ratios, rows = [], []
    for d in sc["dims"]:
        p = problems.make(**quadratic_spec(d, 10.0))
        zo = _zo(p, variant, estimator="gaussian", radius=radius, difference=difference)
        S = 500
        reps = -(-sc["n_samples"] // S)
        streams = SeedStreams(range(d * S, (d + 1) * S), stream=11)
        w = np.broadcast_to(np.asarray(p.w0, dtype=float), (S, d)).copy()
        g = np.concatenate([zo.estimate(w, streams) for _ in range(reps)])
        grad = np.asarray(p.gradient(w[:1]))[0]
        z = np.sum((g - grad) ** 2, axis=1)
        formula = zb.estimator_variance("gaussian", p.spectrum, float(grad @ grad), radius,
                                        difference, 1)
        ratios.append(float(z.mean() / formula))
        rows.append({"d": d, "ratio": ratios[-1], "rel_se": float(z.std(ddof=1) / z.mean()
                                                                  / math.sqrt(z.size))})
    return worst_ratio_measurement(ratios, rows=rows)


# Tolerance: n = 20000 draws of ||g - grad f||^2, whose relative standard deviation for the
# Gaussian estimator is sqrt(E||g||^4/(E||g||^2)^2 - 1) ~ sqrt(2) (fourth moments of u^T a u),
# so the relative standard error is ~1.0%; the worst of up to 6 dimensions within 5 SE: 0.05.
register(Claim(
    id="zeroth_order.variance_ratio",
    paper=PAPER,
    statement="The two-point Gaussian estimator's variance on a quadratic equals "
              "(d+1)||grad f||^2 + mu^2 (d+4)(tr(H)^2 + 2 tr(H^2))/4 (forward difference).",
    source="[D] exact moments derived here (theory_lab.theory.zeroth_order_bounds."
           "estimator_variance); within Nesterov & Spokoiny's [R] second-moment bound",
    kind="equal",
    predicted=1.0,
    tolerance=0.05,
    measure=_variance_ratio,
    mutants=(
        Mutant("sphere directions without d", "directions normalized to the unit sphere "
               "without the factor d", {"bug": "sphere_without_d"}),
        Mutant("radius too large", "the finite difference at 20 times the declared mu",
               {"bug": "radius_x", "radius_factor": 20.0}),
        Mutant("central difference over mu", "(f(x+mu u) - f(x-mu u))/mu: twice the gradient",
               {"bug": "central_over_mu", "difference": "central"}),
    ),
    figure="zo_estimator_variance.png",
))


# ----------------------------------------------------------------------------- smoothing bias
#: the figure's panel (b): d = 16, two-cluster spectrum kappa = 10, radii 0.03 .. 3; the Monte
#: Carlo sample per radius is 20 000 (test) or the figure's 40 000
SMOOTHING = {"d": 16, "kappa": 10.0, "radii": (0.03, 0.1, 0.3, 1.0, 3.0),
             "n_samples": {"test": 20_000, "figure": 40_000}}


def _smoothing_bias(scale: str, variant: dict) -> Measurement:
    r"""Monte-Carlo :math:`f_\mu(x) - f(x)` over :math:`\mu^2\operatorname{tr}H/2`, worst of the
    radii (:func:`experiments.zeroth_order.measure_smoothing`, antithetic Gaussian pairs).

    ``variant["bug"]``: ``"ball_as_gaussian"`` (the uniform-ball smoothing's gap read against
    the Gaussian formula), ``"radius_over_sqrt_d"`` (perturbation :math:`\mu u/\sqrt d`, so that
    :math:`\mathbb E\lVert\mu u/\sqrt d\rVert^2 = \mu^2`), ``"radius_as_variance"`` (the
    declared :math:`\mu` used as the perturbation's variance: :math:`\mu^2 u`).
    """
    from experiments.zeroth_order import measure_smoothing

    radii = np.asarray(SMOOTHING["radii"], dtype=float)
    bug = variant.get("bug")
    used = {None: radii, "ball_as_gaussian": radii, "radius_over_sqrt_d": radii / math.sqrt(SMOOTHING["d"]),
            "radius_as_variance": radii**2}[bug]
    rows = measure_smoothing(d=SMOOTHING["d"], radii=tuple(float(r) for r in used),
                             n_samples=SMOOTHING["n_samples"][scale], kappa=SMOOTHING["kappa"])
    key = "ball" if bug == "ball_as_gaussian" else "gaussian"
    # the formula at the declared radius (rows[k]["gaussian_formula"] is at the radius used)
    formula = [r["gaussian_formula"] * (mu / u) ** 2 for r, mu, u in zip(rows, radii, used, strict=True)]
    ratios = [r[key] / f for r, f in zip(rows, formula, strict=True)]
    return worst_ratio_measurement(ratios, radii=radii.tolist(),
                                   rel_se=[r[f"{key}_se"] / r[key] for r in rows])


def _smoothing_tolerance() -> float:
    r"""4 standard errors of the Monte-Carlo ratio at the smaller sample, bounded from the
    theory alone (no sample): for a quadratic the antithetic pair is exact,
    :math:`\tfrac12(f(x+\mu u) + f(x-\mu u)) - f(x) = \tfrac12\mu^2 u^\top H u`, whose mean is
    :math:`\mu^2\operatorname{tr}H/2` (the claim) and whose relative standard deviation is
    :math:`\sqrt{2\operatorname{tr}H^2}/\operatorname{tr}H \le \sqrt{2L/\operatorname{tr}H}
    \le \sqrt{2/(1 + (d-1)/\kappa)}` (:math:`\operatorname{tr}H^2 \le L\operatorname{tr}H`,
    :math:`\operatorname{tr}H \ge L + (d-1)\mu`); d = 16, kappa = 10: 0.894, so at n = 20 000
    the relative standard error is at most 0.0063 and 4 of them 0.025."""
    d, kappa = SMOOTHING["d"], SMOOTHING["kappa"]
    n = min(SMOOTHING["n_samples"].values())
    return 4.0 * math.sqrt(2.0 / (1.0 + (d - 1) / kappa)) / math.sqrt(n)


SMOOTHING_TOL = _smoothing_tolerance()

register(Claim(
    id="zeroth_order.smoothing_bias",
    paper=PAPER,
    statement="For a quadratic, the Gaussian-smoothed function exceeds f by exactly "
              "mu^2 tr(H)/2 at every point.",
    source="[D] E (1/2) mu^2 u^T H u = mu^2 tr(H)/2 for u ~ N(0, I) (theory_lab.theory."
           "zeroth_order_bounds.smoothed_value_gap); within Nesterov & Spokoiny's [V] bound "
           "mu^2 L d/2 (Theorem 1)",
    kind="equal",
    predicted=1.0,
    tolerance=SMOOTHING_TOL,
    measure=_smoothing_bias,
    mutants=(
        Mutant("ball smoothing as Gaussian", "the uniform-ball smoothing's gap "
               "mu^2 tr H/(2(d+2)) read against the Gaussian formula", {"bug": "ball_as_gaussian"}),
        Mutant("radius over sqrt(d)", "perturbation mu u/sqrt(d) (norm ~ mu) instead of mu u",
               {"bug": "radius_over_sqrt_d"}),
        Mutant("radius as variance", "the declared mu used as the perturbation's variance: "
               "mu^2 u instead of mu u", {"bug": "radius_as_variance"}),
    ),
    figure="zo_estimator_variance.png",
))


# ----------------------------------------------------------------------------- Riemannian ZO
# ZO-RSGD (Li, Balasubramanian & Ma 2023) on the sphere: the leading eigenvector of
# diag(1, 1 - gap, ..., 0) (problems.manifold.rayleigh, d = 10, gap 0.2), Gaussian tangent
# directions, forward difference mu = 1e-6, step 1/(4(n+4)L) with n = d - 1 the manifold
# dimension and L the largest tangent Hessian eigenvalue (figure zo_riemannian.png).
# ``seeds``: the sphere run (the method under test); ``model_seeds``: the local model's run
# (disjoint seed ids, so that the two estimates are independent).
RIEMANN = {"d": 10, "gap": 0.2, "radius": 1e-6, "T_factor": 60,
           "seeds": {"test": range(512), "figure": range(1024)},
           "model_seeds": {"test": range(10_000, 10_256), "figure": range(10_000, 11_024)},
           "window": (1e-4, 1e-9)}


def _riemannian_setup():
    import problems

    from ..theory import zeroth_order_bounds as zb

    p = problems.make("rayleigh", d=RIEMANN["d"], gap=RIEMANN["gap"])
    h = p.local_hessian_eigenvalues()
    return p, h, zb.zo_sgd_rate(h, 1 / (4 * (RIEMANN["d"] + 3) * h.max()), "gaussian")


#: per-step rate of E f: spectral radius of the exact second-moment recursion of ZO-SGD on
#: the local quadratic model at x* (tangent Hessian 2(lambda_1 - lambda_i), d - 1 dims).
#: Reported beside the claim's prediction, not compared with it: the claim's statistic (mean
#: over seeds of per-seed fitted log-slopes) estimates the Lyapunov exponent E log(f'/f),
#: which is more negative than log RIEMANN_PREDICTED (Jensen: E log <= log E), by a relative
#: O(eta L) (the per-step multiplier 1 - X has X ~ 4 eta (a.u)^2/f of relative spread O(1)).
RIEMANN_PREDICTED = _riemannian_setup()[2]
#: standard errors of the difference allowed (two-sided 6e-5 for a normal difference; each
#: estimate is a mean of >= 256 iid per-seed slopes, a least-squares slope of a sum of ~1500
#: log-multipliers each, so the CLT applies to the mean).  Seeds (RIEMANN): chosen for power
#: only; the sphere's test seeds went 64 -> 256 -> 512 because the "euclidean ZO-SGD" mutant
#: (per-seed sd 1e-3, 3x the true method's) went through at 64 and 256 seeds (v = 0.85, 0.97);
#: the window rule (4 SE + RIEMANN_MODEL_TERM) was fixed before any sphere run, unchanged.
RIEMANN_N_SE = 4.0
#: relative bound on |s_sphere - s_model| / |s_model| from the local model's error over the fit
#: window (derived in :func:`measure_riemannian_rate` before any run): 1e-3 (curvature and
#: retraction terms at f <= 1e-4) + 1.3e-3 (a seed starting its window 10x above the median)
#: + 2e-4 (transient of the pre-window nonlinear phase), rounded up.
RIEMANN_MODEL_TERM = 3e-3


def _median_window_fit(zo, w0, lr, seeds, step):
    r"""Run ``step`` on ``len(seeds)`` copies from ``w0`` for ``T_factor (d+3)/gap`` steps and fit
    the per-seed log-slopes of :math:`f - f^\star` (every 10 steps) over the steps where the
    median over seeds lies in ``RIEMANN["window"]``; returns ``(RateFit or None, details)``."""
    from ..random import SeedStreams
    from ..rates import fit_linear_rate

    T = int(RIEMANN["T_factor"] * (RIEMANN["d"] + 3) / RIEMANN["gap"])
    w = np.broadcast_to(np.asarray(w0, float), (len(seeds), np.size(w0))).copy()
    state, streams = {"w": w}, SeedStreams(seeds)
    steps, vals = [], []
    for t in range(T + 1):
        if t % 10 == 0:
            steps.append(t)
            vals.append(np.asarray(zo.value(state["w"])) - zo.f_star)
        if t == T:
            break
        state = step(state, zo.stochastic_gradient(state["w"], 1, streams), t)
    steps, vals = np.asarray(steps), np.asarray(vals).T
    med = np.median(vals, axis=0)
    inside = (med <= RIEMANN["window"][0]) & (med >= RIEMANN["window"][1])
    details = {"final_median": float(med[-1]), "seeds": len(seeds),
               "norms": [float(v) for v in np.linalg.norm(state["w"], axis=1)]}
    if not inside.any():
        return None, details
    fit = fit_linear_rate(steps, vals, start=steps[inside].min(), stop=steps[inside].max())
    return fit, {**details, "window_steps": [int(steps[inside].min()), int(steps[inside].max())]}


@functools.cache
def riemannian_model_fit(scale: str):
    r"""The claim's prediction: the same statistic on the local model, with no sphere.

    Euclidean ZO-SGD (same Gaussian forward-difference estimator, same radius, same step
    :math:`1/(4(n+4)L)`) on the tangent quadratic :math:`\tfrac12 y^\top H y`,
    :math:`H = \operatorname{diag}(2(\lambda_1 - \lambda_i))_{i \ge 2}` (dimension
    :math:`n = d - 1`), started at the tangent coordinates of the sphere's :math:`w_0` (same
    :math:`f_0`), ``RIEMANN["model_seeds"][scale]`` seeds, fitted by the same estimator (mean
    of per-seed log-slopes over the steps where the median is in the same window).
    Returns ``(RateFit, details)``."""
    from problems.quadratic import Quadratic

    p, h, _ = _riemannian_setup()
    n = h.size
    lr = 1 / (4 * (n + 4) * h.max())
    zo = ZerothOrderProblem(Quadratic(h, np.zeros(n), p.initial_error_coordinates()), "gaussian",
                            RIEMANN["radius"], 1, "forward")
    return _median_window_fit(zo, zo.w0, lr, RIEMANN["model_seeds"][scale],
                              lambda state, g, t: {"w": state["w"] - lr * g})


def measure_riemannian_rate(scale: str, variant: dict) -> Measurement:
    r"""ZO-RSGD's fitted rate against the local model's, in units of the derived window.

    Statistic (both runs): :math:`\hat s`, the mean over seeds of the per-seed least-squares
    slopes of :math:`\log(f_t - f^\star)` over the steps where the median over seeds of
    :math:`f_t - f^\star` lies in :math:`[10^{-9}, 10^{-4}]`
    (:func:`~theory_lab.rates.fit_linear_rate`); its standard error
    :math:`\mathrm{SE} = \mathrm{sd}(\text{per-seed slopes})/\sqrt S` from the run's own seeds.
    ``s_sphere`` is ZO-RSGD (the lab's ``rsgd`` on the ``zo`` wrapper,
    ``RIEMANN["seeds"][scale]``); ``s_model`` is :func:`riemannian_model_fit` (no sphere, no
    projection, no retraction).  Measured value

    .. math:: v = \frac{\hat s_\text{sphere} - \hat s_\text{model}}{W}, \qquad
              W = 4\sqrt{\mathrm{SE}_\text{sphere}^2 + \mathrm{SE}_\text{model}^2}
                  + \epsilon\,\lvert\hat s_\text{model}\rvert ,

    checked against 0 with absolute tolerance 1 (:data:`RIEMANN_N_SE` = 4,
    :data:`RIEMANN_MODEL_TERM` :math:`\epsilon = 3\cdot 10^{-3}`; both fixed before any run).

    Why they agree, and the model term :math:`\epsilon` (derived before running).  Write
    :math:`x = (x_1, y)` in the eigenbasis, :math:`D = \operatorname{diag}(\lambda_1 -
    \lambda_i)_{i\ge2}` (:math:`\delta = 0.2 \le D \le 1`), :math:`\phi = f - f^\star`.  On the
    sphere :math:`\phi = y^\top D y` *exactly*, the local model's :math:`\tfrac12 y^\top H y`.
    The tangent direction is :math:`v = u - c x`, :math:`c = x^\top u = x_1 u_1 + y^\top u_y`,
    whose :math:`y`-part :math:`v_y = u_y - c y` is the model's :math:`N(0, I_n)` direction
    :math:`u_y` plus :math:`O(\lvert y\rvert)`; with :math:`a = Dy`, the difference is
    :math:`s = 2 a^\top v_y + \mu v_y^\top D v_y` (exact up to :math:`\mu^2\lvert v\rvert^2 \sim
    10^{-11}`), and the step is :math:`y' = (y - \eta s v_y)/N`, :math:`N^2 = 1 + \eta^2 s^2
    \lvert v\rvert^2`, against the model's :math:`y' = y - \eta s u_y`.  Then
    :math:`\phi'/\phi = 1 - X`, :math:`X = 4\eta (a^\top v_y)^2 (1 - \eta v_y^\top D v_y)/\phi`
    (times :math:`N^{-2}`).  The terms odd in :math:`u_1` (independent of the rest) drop out
    of :math:`\mathbb E`; what remains, per step, relative to :math:`\phi`:
    :math:`+4\eta\phi` (from :math:`\mathbb E[-2(a^\top u)c\phi + c^2\phi^2]`,
    :math:`\mathbb E c^2 = 1`), :math:`\le 4\eta^2\phi(\operatorname{tr}D + 5)` (the
    :math:`\eta^2` term), :math:`\le 4\eta^2(n+2)\phi` (the normalization :math:`N`) and, for
    :math:`\mathbb E\log`, :math:`\le 32\eta^2\phi` (second order of :math:`\log(1 - X)`); with
    :math:`\eta = 1/104`, :math:`\operatorname{tr}D = 5.4`, :math:`n = 9`: :math:`\le 5.2\,\eta\phi`
    per step, against the per-step decrease :math:`\lvert s\rvert \ge 1 - \rho_{\mathbb E f}
    = 0.00765`: a relative :math:`\le 6.5\,\phi \le 2\phi/\delta`.  The least-squares slope of
    a seed is a weighted mean of its per-step log-multipliers with weights
    :math:`6k(m-k)/m^3 \le 1.5/m` over its :math:`m` window steps, so (i) a seed at the
    median's level (:math:`\phi \le 10^{-4}`) is biased by :math:`\le 2\cdot10^{-4}/\delta =
    10^{-3}` relative, and (ii) a seed entering the window at :math:`\phi_0` (above the
    median's ceiling) by :math:`\le 1.5\cdot 6.5\,\phi_0/\log(\phi_0/10^{-9}) = 7\cdot10^{-4}`
    for :math:`\phi_0 = 10^{-3}` (budgeted :math:`1.3\cdot10^{-3}`).  (iii) The pre-window nonlinear phase changes the mode
    weights at the window's start: the relative per-step error summed over it is
    :math:`\le 5.2\eta\sum_t\phi_t \le 5.2\eta\phi_0/0.00765 \approx 2.8` (:math:`\phi_0 = 0.43`),
    a factor :math:`\le e^{2.8} \approx 16` on the second mode's weight, whose effect on the
    fitted slope of :math:`\mathbb E f` from :math:`w_0` is :math:`1.4\cdot10^{-5}` (exact
    recursion, :func:`~theory_lab.theory.zeroth_order_bounds.zo_sgd_expected_risk`):
    :math:`\le 2.3\cdot 10^{-4}`.  Sum :math:`\le 2.5\cdot10^{-3}`, rounded up to
    :math:`\epsilon = 3\cdot10^{-3}`.  The :math:`\mu`-terms are the model's too (same radius,
    same forward difference; floor :math:`1.2\cdot10^{-12}` below the window); their
    curvature corrections are :math:`O(\mu\lvert y\rvert)`, negligible.

    ``variant``: mutants ``{"euclidean": true}`` (ZO-SGD in R^d: directions not tangent, no
    projection, no retraction), ``{"lr_dim": "ambient"}`` (step 1/(4(d+4)L)),
    ``{"difference": "over_2mu"}``; the model (the prediction) is always the true method.
    """
    from ..optimizers import make

    p, h, _ = _riemannian_setup()
    d = RIEMANN["d"]
    zo = ZerothOrderProblem(p, "gaussian", RIEMANN["radius"], 1, "forward")
    euclidean = bool(variant.get("euclidean"))
    if euclidean:
        zo.manifold = None  # Gaussian directions in R^d, queries not retracted
    lr = 1 / (4 * ((d + 4) if variant.get("lr_dim") == "ambient" else (d + 3)) * h.max())
    opt = make("rsgd", lr=lr)
    half = 0.5 if variant.get("difference") == "over_2mu" else 1.0

    def step(state, g, t):
        g = half * g
        return {"w": state["w"] - lr * g} if euclidean else opt.step(state, g, t)

    fit, details = _median_window_fit(zo, opt.init(np.asarray(p.w0, float)[None])["w"][0], lr,
                                      RIEMANN["seeds"][scale], step)
    model, mdet = riemannian_model_fit(scale)
    details = {**details, "predicted_Ef_rate": RIEMANN_PREDICTED,
               "model_rate": model.rate, "model_log_rate": model.slope,
               "model_se": model.stderr, "model_seeds": mdet["seeds"],
               "model_window_steps": mdet["window_steps"]}
    if fit is None:
        return Measurement(math.nan, details=details)
    se = math.hypot(fit.stderr, model.stderr)
    W = RIEMANN_N_SE * se + RIEMANN_MODEL_TERM * abs(model.slope)
    diff = fit.slope - model.slope
    details = {**details, "rate": fit.rate, "log_rate": fit.slope, "se": fit.stderr,
               "per_seed_sd": float(np.std(fit.log_fit.per_seed, ddof=1)),
               "model_per_seed_sd": float(np.std(model.log_fit.per_seed, ddof=1)),
               "diff": diff, "se_diff": se, "window": W,
               "log_rate_ratio": fit.slope / model.slope,
               "log_rate_ratio_Ef": fit.slope / math.log(RIEMANN_PREDICTED)}
    return Measurement(diff / W, ((diff - 1.96 * se) / W, (diff + 1.96 * se) / W), details=details)


register(Claim(
    id="zeroth_order.riemannian_rate",
    paper=PAPER,
    statement="ZO-RSGD (Riemannian two-point Gaussian estimate, projection retraction) on the sphere "
              "converges linearly near the optimum at the rate of Euclidean ZO-SGD on the local "
              "quadratic model (tangent Hessian, manifold dimension d - 1), both measured as the "
              "mean per-seed log-slope over the same window.",
    source="[D] local model derived here (tangent coordinates: the Riemannian iteration is the "
           "Euclidean ZO-SGD on the tangent Hessian up to relative O(f/gap) terms, bounded over the "
           "fit window); window = 4 standard errors of the difference (each from its own seeds) + "
           "the model term 3e-3 of the log-rate; method of Li, Balasubramanian & Ma 2023 [V]",
    kind="equal", predicted=0.0, tolerance=1.0, measure=measure_riemannian_rate,
    mutants=(
        Mutant("euclidean ZO-SGD", "the sphere ignored: Gaussian directions in R^d, the Euclidean "
               "estimate stepped without projection or retraction", {"euclidean": True}),
        Mutant("step from ambient d", "step 1/(4(d+4)L) from the ambient dimension instead of the "
               "manifold's n + 4 = d + 3", {"lr_dim": "ambient"}),
        Mutant("forward difference over 2mu", "(f(x+mu u) - f(x))/(2 mu): half the gradient",
               {"difference": "over_2mu"}),
    ),
    figure="zo_riemannian.png",
))


# ----------------------------------------------------------------------------- query counts
#: estimator configurations whose counts the claim checks: (estimator, difference, q, batch)
QUERY_CASES = (
    ("gaussian", "forward", 1, 1),
    ("gaussian", "forward", 8, 4),
    ("gaussian", "central", 2, 3),
    ("sphere", "forward", 4, 2),
    ("coordinate", "forward", 1, 5),
    ("coordinate", "central", 1, 1),
)
#: accounting bugs (the mutants): ``shared_uncounted`` forgets the shared f(x) of a forward
#: difference, ``central_as_one`` counts a central difference as one value per direction,
#: ``batch_ignored`` counts q directions per step instead of q times the batch size
QUERY_BUGS = ("shared_uncounted", "central_as_one", "batch_ignored")


class _CountingBase:
    """A problem wrapper that counts the points at which ``value`` is evaluated."""

    def __init__(self, base):
        self._base, self.points = base, 0

    def __getattr__(self, name):
        return getattr(self._base, name)

    def value(self, w):
        self.points += int(np.asarray(w).reshape(-1, self._base.dim).shape[0])
        return self._base.value(w)


def _declared_queries(zo: ZerothOrderProblem, batch: int, bug: str | None) -> int:
    """Queries per step as the lab declares them (``function_queries`` of a one-step run)."""
    from types import SimpleNamespace

    from ..zeroth_order import function_queries

    c = zo.constants()
    if bug == "shared_uncounted":
        c["shared_queries"] = 0
        c["queries_per_step"] = c["queries_per_step"] - zo._query_counts()[1]
    elif bug == "central_as_one" and zo.difference == "central":
        n = zo.dim if zo.estimator == "coordinate" else zo.q
        c["queries_per_direction"], c["queries_per_step"] = 1, n
    elif bug == "batch_ignored":
        batch = 1
    elif bug is not None and bug != "central_as_one":
        raise ValueError(f"unknown query-count bug {bug!r}; available: {', '.join(QUERY_BUGS)}")
    fake = SimpleNamespace(meta={"constants": c}, config={"batch_size": batch}, steps=[1])
    return int(function_queries(fake)[0])


def _query_count(scale: str, variant: dict) -> Measurement:
    r"""Per configuration: function values the estimator really evaluates in one step (per
    seed, counted at the base problem) over the count the lab declares
    (:func:`theory_lab.zeroth_order.function_queries`, the x axis of ``zo_methods``); worst
    ratio over :data:`QUERY_CASES`.  ``variant["bug"]``: one of :data:`QUERY_BUGS`.
    """
    import problems
    from experiments.zeroth_order import quadratic_spec
    from theory_lab.random import SeedStreams

    d, S = 12, 3
    ratios, rows = [], []
    for estimator, difference, q, batch in QUERY_CASES:
        base = _CountingBase(problems.make(**quadratic_spec(d, 10.0)))
        zo = ZerothOrderProblem(base, estimator=estimator, radius=1e-3, q=q, difference=difference)
        w = np.broadcast_to(np.asarray(base.w0, dtype=float), (S, d)).copy()
        zo.stochastic_gradient(w, batch, SeedStreams(range(S), stream=13))
        counted = base.points / S
        declared = _declared_queries(zo, batch, variant.get("bug"))
        ratios.append(counted / declared)
        rows.append({"case": f"{estimator}/{difference}/q={q}/M={batch}", "counted": counted,
                     "declared": declared})
    return worst_ratio_measurement(ratios, rows=rows)


# Tolerance: counts are integers, so the ratio is exactly 1 or off by at least 1/(2 d + 1).
register(Claim(
    id="zeroth_order.query_count",
    paper=PAPER,
    statement="Cost is counted in function queries: a two-point estimate with n = q M directions "
              "costs n + 1 values (forward, f(x) shared) or 2 n (central); coordinate "
              "differences d + 1 or 2 d.",
    source="[V] Nesterov & Spokoiny 2017 (two function values per random direction, forward "
           "difference); [D] the lab's accounting (theory_lab.zeroth_order.function_queries)",
    kind="equal",
    predicted=1.0,
    tolerance=1e-12,
    measure=_query_count,
    mutants=(
        Mutant("shared f(x) uncounted", "the forward difference's f(x) left out of the count",
               {"bug": "shared_uncounted"}),
        Mutant("central counted once", "a central difference counted as one value per direction",
               {"bug": "central_as_one"}),
        Mutant("batch ignored", "q directions counted per step instead of q M",
               {"bug": "batch_ignored"}),
    ),
    figure="zo_methods.png",
))
