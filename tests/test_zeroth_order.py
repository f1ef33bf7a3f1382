"""Zeroth-order estimators, ZO-SGD and Riemannian ZO-SGD, measured against their closed forms.

Tolerances are statistical: a Monte-Carlo mean must lie within 5 standard errors of its
closed form (a false alarm has probability < 1e-6 per check), and each check also asserts
that its standard error is small enough for the comparison to have power.
"""

import math

import numpy as np
import pytest

import problems
from experiments.zeroth_order import (
    estimator_moments,
    measure_dimension_scaling,
    measure_riemannian,
)
from theory_lab import RunConfig, run_config
from theory_lab.backends import Backend, get_backend, namespace
from theory_lab.optimizers import make, sgd
from theory_lab.runner import run
from theory_lab.theory import zeroth_order_bounds as zb
from theory_lab.zeroth_order import ZerothOrderProblem, function_queries


def quad(d=16, kappa=4.0):
    return problems.make("quadratic", d=d, kappa=kappa, spectrum="two_clusters", noise="none")


class Cosine:
    r""":math:`f(x) = \sum_i \cos x_i`: its smoothed gradient is :math:`\varphi(\mu)\nabla f \ne \nabla f`."""

    name = "cosine"
    f_star = -1.0

    def __init__(self, d, backend=None):
        self.dim = d
        self.backend = get_backend(backend)
        self.w0 = self.backend.asarray(np.linspace(-1.0, 2.0, d))

    def value(self, w):
        return namespace(w).sum(namespace(w).cos(w), axis=-1)

    def gradient(self, w):
        return -namespace(w).sin(w)

    def constants(self):
        return {"d": self.dim, "L": 1.0}

    def to_backend(self, backend):
        return Cosine(self.dim, backend)


def chi2_ok(mean, target, samples):
    """Hotelling-style check with a diagonal covariance: sum of squared z-scores vs chi2_d."""
    se2 = samples.var(axis=0, ddof=1) / samples.shape[0]
    stat = float(np.sum((mean - target) ** 2 / se2))
    d = mean.size
    return stat, d + 5 * math.sqrt(2 * d)


# -- estimators: unbiased for the smoothed function, variance as derived -------------------
@pytest.mark.parametrize(("estimator", "difference", "q"),
                         [("gaussian", "forward", 1), ("gaussian", "central", 1),
                          ("sphere", "forward", 1), ("gaussian", "forward", 4)])
def test_estimator_unbiased_and_variance_matches_formula_on_quadratic(estimator, difference, q):
    # f_mu = f + mu^2 tr(H)/2 (Gaussian), f + mu^2 tr(H)/(2(d+2)) (ball): grad f_mu = grad f.
    p = quad()
    radius = 0.3  # large on purpose: the forward mu^2 term is ~15% of the Gaussian variance
    m = estimator_moments(p, estimator, radius, q, difference, n_samples=20_000)
    stat, limit = chi2_ok(m["mean"], m["grad"], m["samples"])
    assert stat <= limit, (stat, limit)
    gsq = float(m["grad"] @ m["grad"])
    formula = zb.estimator_variance(estimator, p.spectrum, gsq, radius, difference, q)
    assert m["variance_se"] <= 0.03 * formula  # enough samples to resolve 15% (5 SE)
    assert abs(m["variance"] - formula) <= 5 * m["variance_se"], (m["variance"], formula, m["variance_se"])
    # within the Nesterov-Spokoiny second-moment bound (divided by q for the average)
    bound = zb.ns_smoothing_bounds(p.dim, p.constants()["L"], radius, gsq)["second_moment"] / q
    assert m["second_moment"] <= bound


def test_forward_radius_term_is_resolved_by_the_variance_test():
    # the formula without the mu^2 term is rejected by the same measurement: the test has power
    p = quad()
    m = estimator_moments(p, "gaussian", 0.3, 1, "forward", n_samples=20_000)
    gsq = float(m["grad"] @ m["grad"])
    without = zb.estimator_variance("gaussian", p.spectrum, gsq, 0.3, "central", 1)
    assert abs(m["variance"] - without) > 5 * m["variance_se"]


@pytest.mark.parametrize(("estimator", "radius"), [("gaussian", 0.5), ("sphere", 2.0)])
@pytest.mark.parametrize("difference", ["forward", "central"])
def test_estimator_is_unbiased_for_the_smoothed_gradient_not_the_true_one(estimator, radius, difference):
    # on sum(cos): grad f_mu = phi(mu) grad f with phi the characteristic function of the
    # smoothing law (exp(-mu^2/2), or the Bessel form for the ball) -- 0.88 resp. 0.80 here
    p = Cosine(8)
    m = estimator_moments(p, estimator, radius, 1, difference, n_samples=40_000)
    phi = zb.smoothing_factor_cosine(estimator, p.dim, radius)
    stat, limit = chi2_ok(m["mean"], phi * m["grad"], m["samples"])
    assert stat <= limit, (stat, limit)
    stat_f, _ = chi2_ok(m["mean"], m["grad"], m["samples"])
    assert stat_f > 3 * limit  # the unsmoothed gradient is clearly rejected


def test_coordinate_estimator_bias_is_half_radius_times_diag_hessian():
    p = quad(d=12)
    x = np.asarray(p.w0)[None]
    for radius in (1e-3, 0.1, 1.0):
        fwd = ZerothOrderProblem(p, "coordinate", radius, 1, "forward").estimate(x, None)[0]
        cen = ZerothOrderProblem(p, "coordinate", radius, 1, "central").estimate(x, None)[0]
        g = p.gradient(x)[0]
        bias = zb.estimator_bias("coordinate", p.spectrum, radius, "forward")
        assert np.allclose(fwd - g, bias, rtol=1e-6, atol=1e-10)
        assert np.allclose(cen, g, rtol=1e-8, atol=1e-10)  # central: exact on a quadratic


def test_smoothed_value_closed_forms():
    p = quad(d=10)
    rng = np.random.default_rng(0)
    x = np.asarray(p.w0)
    n, mu = 200_000, 0.7
    u = rng.standard_normal((n, 10))
    gap = (p.value(x + mu * u) + p.value(x - mu * u)) / 2 - p.value(x[None])[0]
    formula = zb.smoothed_value_gap("gaussian", 10, p.spectrum.sum(), mu)
    se = gap.std() / math.sqrt(n)
    assert se < 0.01 * formula and abs(gap.mean() - formula) <= 5 * se


# -- query counting --------------------------------------------------------------------
class Counting:
    """Wraps a problem and counts the points at which ``value`` is evaluated."""

    def __init__(self, base):
        self.base, self.points = base, 0
        self.dim, self.f_star, self.w0 = base.dim, base.f_star, base.w0

    def value(self, w):
        self.points += int(np.prod(w.shape[:-1]))
        return self.base.value(w)

    def gradient(self, w):
        raise AssertionError("a zeroth-order estimate must not call the gradient")

    def constants(self):
        return self.base.constants()


@pytest.mark.parametrize(("estimator", "difference", "q", "M"),
                         [("gaussian", "forward", 1, 1), ("gaussian", "central", 3, 2),
                          ("sphere", "forward", 4, 1), ("coordinate", "forward", 1, 1),
                          ("coordinate", "central", 1, 1)])
def test_queries_per_step_equal_the_values_actually_computed(estimator, difference, q, M):
    from theory_lab.random import SeedStreams

    c = Counting(quad(d=9))
    zo = ZerothOrderProblem(c, estimator, 0.1, q, difference)
    S = 3
    w = np.broadcast_to(np.asarray(c.w0), (S, 9)).copy()
    zo.stochastic_gradient(w, M, SeedStreams(range(S)))
    assert c.points == S * zo.queries_per_step(M)


def test_function_queries_of_a_run():
    cfg = RunConfig(problem={"name": "zo", "base": {"name": "quadratic", "d": 8, "noise": "none"},
                             "q": 3, "radius": 1e-4},
                    optimizer={"name": "sgd", "lr": "1/(4*(d+4)*L)"}, T=50, batch_size=2)
    r = run_config(cfg)
    assert np.array_equal(function_queries(r), r.steps * (3 * 2 + 1))


# -- ZO-SGD: exact expected risk, d-scaling, backends ------------------------------------
@pytest.mark.parametrize(("estimator", "difference", "q"), [("gaussian", "forward", 1), ("sphere", "central", 2)])
def test_zo_sgd_mean_risk_equals_exact_recursion(estimator, difference, q):
    p = quad(d=16)
    lr = 1 / (4 * 20 * 1.0)
    zo = ZerothOrderProblem(p, estimator, 0.3, q, difference)
    S = 1000
    r = run(zo, sgd(lr), T=300, seeds=range(S), n_checkpoints=8)
    exact = zb.zo_sgd_expected_risk(p.spectrum, p.initial_error_coordinates(), lr, 300, estimator, 0.3,
                                    difference, q, steps=r["steps"])
    sub = r["suboptimality"][:, 1:]
    se = sub.std(axis=0, ddof=1) / math.sqrt(S)
    assert np.all(se <= 0.02 * exact[1:])
    assert np.all(np.abs(sub.mean(axis=0) - exact[1:]) <= 5 * se), (sub.mean(0), exact[1:], se)


@pytest.fixture(scope="module")
def scaling():
    return measure_dimension_scaling([8, 16, 32, 64, 128], eps_rel=1e-2, kappa=4.0, store=None,
                                     seeds=range(4))


def test_zo_sgd_iterations_to_epsilon_grow_linearly_in_d(scaling):
    # step 1/(4(d+4)L): iterations ~ (d+4), whose log-log slope over d = 8..128 is 0.89
    fit = scaling.fits["ZO-SGD"]
    assert 0.8 <= fit.slope <= 1.2, fit
    # the exact expected-risk recursion predicts the counts (median of 4 seeds; 10%)
    med = np.median(scaling.iterations["ZO-SGD"], axis=1)
    assert np.all(np.abs(med - scaling.predicted["ZO-SGD"]) <= 0.10 * scaling.predicted["ZO-SGD"]), (
        med, scaling.predicted["ZO-SGD"])
    # and the Nesterov-Spokoiny [R] iteration bound holds
    assert np.all(med <= scaling.bound)


def test_first_order_sgd_iterations_do_not_grow_with_d(scaling):
    fit = scaling.fits["SGD"]
    assert abs(fit.slope) <= 0.1, fit


@pytest.mark.parametrize(("estimator", "difference"), [("gaussian", "forward"), ("sphere", "central")])
def test_zo_sgd_numpy_and_torch_cpu_give_the_same_trajectory(estimator, difference):
    pytest.importorskip("torch")
    zo = ZerothOrderProblem(quad(d=20), estimator, 1e-3, 2, difference)
    kw = {"T": 200, "seeds": range(3), "batch_size": 1}
    a = run(zo, sgd(1 / (4 * 24)), **kw)
    b = run(zo, sgd(1 / (4 * 24)), backend=Backend("torch", "cpu", "float64"), **kw)
    assert np.allclose(a["suboptimality"], b["suboptimality"], rtol=1e-10, atol=0)
    c = run(zo, sgd(1 / (4 * 24)), **kw)
    assert np.array_equal(a["suboptimality"], c["suboptimality"])  # same seed, same numbers


def test_zo_adam_runs_on_the_zo_problem_and_descends():
    zo = ZerothOrderProblem(quad(d=16), "gaussian", 1e-6, 1, "forward")
    r = run(zo, make("adam", lr=0.01), T=1500, seeds=range(4))
    assert np.all(r["suboptimality"][:, -1] <= 0.01 * r["suboptimality"][:, 0])


# -- Riemannian ZO on the Rayleigh quotient ------------------------------------------------
def test_zo_rsgd_finds_the_leading_eigenvector_at_the_predicted_rate():
    out = measure_riemannian(store=None, dims=(10,), seeds=range(4))
    e = out[("ZO-RSGD", 10)]
    r = e["result"]
    assert np.all(r.suboptimality[:, -1] <= 1e-9)
    # The rate itself is the claim zeroth_order.riemannian_rate (tests/test_claims.py): same
    # statistic on the sphere and on the Euclidean local model, window derived there.  The
    # 5% window on the E f rate that stood here had been set after seeing the data.
    # the floor is the forward difference's mu^2 term of the same local model (1.2e-12 here):
    # median of 4 seeds of a skewed stationary law over the last 10% of the run, factor 2
    tail = r.suboptimality[:, r.steps >= 0.9 * r.steps[-1]]
    assert 0.5 * e["floor"] <= np.median(tail) <= 2 * e["floor"], (np.median(tail), e["floor"])
    assert np.all(out[("RSGD", 10)]["result"].suboptimality[:, -1] <= 1e-12)


def test_rsgd_stays_on_the_sphere_and_rayleigh_gradient_is_tangent():
    p = problems.make("rayleigh", d=12, gap=0.3, rotate=True, seed=2)
    zo = ZerothOrderProblem(p, "sphere", 1e-5, 1, "forward")
    opt = make("rsgd", lr=0.05)
    from theory_lab.random import SeedStreams

    w = np.broadcast_to(np.asarray(p.w0), (3, 12)).copy()
    state, streams = opt.init(w), SeedStreams(range(3))
    for t in range(50):
        g = zo.stochastic_gradient(state["w"], 1, streams)
        assert np.allclose(np.sum(g * state["w"], axis=1), 0, atol=1e-12)  # tangent estimate
        state = opt.step(state, g, t)
    assert np.allclose(np.linalg.norm(state["w"], axis=1), 1, atol=1e-14)
    x = state["w"]
    assert np.allclose(np.sum(p.gradient(x) * x, axis=1), 0, atol=1e-12)
    v1 = p.leading_eigenvector()
    assert p.f_star == -1.0 and np.isclose(p.value(v1[None])[0], -1.0)


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("radius", [0, -1.0, float("nan"), float("inf")])
def test_smoothing_radius_must_be_positive(radius):
    with pytest.raises(ValueError, match=r"smoothing radius must be finite and > 0, got " + str(radius)):
        ZerothOrderProblem(quad(), "gaussian", radius)
    with pytest.raises(ValueError, match="smoothing radius"):
        problems.make("zo", base={"name": "quadratic", "d": 4}, radius=radius)
    with pytest.raises(ValueError, match="smoothing radius"):
        zb.estimator_variance("gaussian", [1.0, 2.0], 1.0, radius)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"estimator": "bernoulli"}, "unknown zeroth-order estimator 'bernoulli'"),
    ({"difference": "backward"}, "unknown finite difference 'backward'"),
    ({"q": 0}, "q .* got 0"),
    ({"estimator": "coordinate", "q": 2}, "q must be 1, got 2"),
])
def test_bad_estimator_input_is_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ZerothOrderProblem(quad(), **{"radius": 0.1, **kwargs})


def test_bad_manifold_and_optimizer_input_is_named():
    with pytest.raises(ValueError, match="gap must lie in \\(0, 1\\), got 1.5"):
        problems.make("rayleigh", d=5, gap=1.5)
    with pytest.raises(ValueError, match="not defined on manifold 'sphere'"):
        ZerothOrderProblem(problems.make("rayleigh", d=5), "coordinate", 0.1)
    with pytest.raises(ValueError, match="learning rate must be .*> 0, got -0.1"):
        make("rsgd", lr=-0.1)
    with pytest.raises(ValueError, match="base problem spec needs a 'name'"):
        problems.make("zo", base={"d": 3})
