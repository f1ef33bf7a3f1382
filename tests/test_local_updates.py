"""Local updates with outer momentum (DiLoCo), local SGD and minibatch SGD: the issue-7 claims.

Tolerances (stated, not tuned to pass):

* DiLoCo (H = 1, outer lr 1, no momentum) == minibatch SGD: max |difference| of the iterates
  <= 1e-12 (the two differ only by the rounding of ``x - (x - mean(x - eta g))`` vs
  ``x - eta mean(g)``).
* zeta = sigma = 0: local SGD == the predicted polynomial step, relative 1e-12.
* heterogeneity floor (sigma = 0, long run) == closed-form fixed point, relative 1e-9.
* noisy runs: measured mean over 64 seeds within 4 standard errors of the exact expectation.
* bound: exact expectation <= bound (no slack), measured mean <= bound * (1 + 0.1).
* numpy vs torch-CPU float64: 1e-10.
"""

import math

import numpy as np
import pytest

import problems
from theory_lab import RunConfig
from theory_lab.local_updates import make_method, run_local, run_local_config
from theory_lab.sweep import ResultStore, run_sweep
from theory_lab.theory.local_sgd_bounds import (
    expected_risk,
    fixed_point,
    fixed_point_dense,
    fixed_point_expr,
    floor_bound,
    floor_bound_instance,
    heterogeneity_floor,
    local_sgd_bound,
    stationary_risk,
)


def prob(**kw):
    base = {"K": 4, "d": 10, "kappa": 10.0, "zeta": 1.0, "sigma": 0.0, "seed": 0}
    base.update(kw)
    return problems.make("heterogeneous_quadratic", **base)


DILOCO = {"inner": {"name": "sgd", "lr": 0.3}, "outer_lr": 0.7, "momentum": 0.9}


# --------------------------------------------------------------------------------------
# the problem
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("zeta", [0.0, 0.5, 3.0])
def test_problem_declares_zeta_and_optimum(zeta):
    p = prob(zeta=zeta, sigma=0.7, K=5)
    h = p.host
    g = h["lam"] * (h["w_star"] - h["opt"])  # grad f_k(w*)
    assert np.allclose(g.mean(axis=0), 0, atol=1e-13)  # w* minimizes the average
    assert math.isclose(np.mean(np.sum(g**2, axis=1)), zeta**2, rel_tol=1e-12, abs_tol=1e-14)
    c = p.constants()
    assert c["L"] == 1.0 and math.isclose(c["mu"], 0.1) and c["K"] == 5
    assert math.isclose(c["zeta2"], zeta**2, rel_tol=1e-12, abs_tol=1e-14)
    # value - f* == suboptimality, and the global gradient is the average of the workers'
    w = np.random.default_rng(1).standard_normal((3, 10))
    assert np.allclose(p.value(w) - p.f_star, p.suboptimality(w), rtol=1e-12)
    gk = p.worker_gradient(np.repeat(w[:, None, :], 5, axis=1))
    assert np.allclose(gk.mean(axis=1), p.gradient(w), atol=1e-14)
    vals = np.mean([0.5 * np.sum(h["lam"][k] * (w - h["opt"][k]) ** 2, axis=1) for k in range(5)], 0)
    assert np.allclose(vals, p.value(w), rtol=1e-12)


def test_noise_variance_is_sigma2_over_batch():
    from theory_lab.random import SeedStreams

    p = prob(sigma=2.0, K=3, d=50)
    streams = SeedStreams(range(400))
    n = p.worker_noise(streams, 4)
    assert n.shape == (400, 3, 50)
    var = float(np.mean(np.sum(n**2, axis=-1)))
    assert abs(var - 4.0 / 4) < 0.03, var  # E||n||^2 = sigma^2 / M; s.e. ~ 0.01


# --------------------------------------------------------------------------------------
# equalities that must hold exactly
# --------------------------------------------------------------------------------------
def _iterates(p, spec, R, **kw):
    name = spec.pop("name")
    return run_local(p, make_method(name, **spec), R, record_iterates=True, **kw)["iterates"]


def test_diloco_h1_equals_minibatch_sgd():
    p = prob(sigma=1.0, zeta=2.0)
    kw = {"seeds": range(3), "batch_size": 2, "n_checkpoints": 20}
    dil = _iterates(p, {"name": "diloco", "H": 1, "inner": {"name": "sgd", "lr": 0.3},
                        "outer_lr": 1.0, "momentum": 0.0}, 60, **kw)
    mb = _iterates(p, {"name": "minibatch_sgd", "H": 1, "lr": 0.3}, 60, **kw)
    assert np.max(np.abs(dil - mb)) <= 1e-12
    # the comparison is sharp: outer momentum (or H = 2) breaks the equality
    mom = _iterates(p, {"name": "diloco", "H": 1, "inner": {"name": "sgd", "lr": 0.3},
                        "outer_lr": 1.0, "momentum": 0.5}, 60, **kw)
    assert np.max(np.abs(mom - mb)) > 1e-3
    h2 = _iterates(p, {"name": "local_sgd", "H": 2, "lr": 0.3}, 60, **kw)
    mb2 = _iterates(p, {"name": "minibatch_sgd", "H": 2, "lr": 0.3}, 60, **kw)
    assert np.max(np.abs(h2 - mb2)) > 1e-3


@pytest.mark.parametrize("hessians", ["shared", "permuted"])
@pytest.mark.parametrize("H", [1, 3, 16])
def test_local_sgd_without_heterogeneity_and_noise_is_the_predicted_polynomial_step(hessians, H):
    r"""zeta = sigma = 0: workers share w*, so one round is x -> w* + mean_k (I - eta A_k)^H (x - w*).

    With a shared Hessian that is one step of GD preconditioned by the polynomial
    p(A) = eta sum_{i<H} (I - eta A)^i, i.e. x - p(A) grad f(x) ("large-step GD": p(A) ~ H eta I
    for small eta A).  Checked against an independent implementation of that formula.
    """
    p = prob(zeta=0.0, sigma=0.0, hessians=hessians)
    h = p.host
    eta, R = 0.2, 12
    got = _iterates(p, {"name": "local_sgd", "H": H, "lr": eta}, R, n_checkpoints=R + 1,
                    spacing="linear")[:, 0]
    assert np.allclose(h["opt"], h["w_star"])  # a common optimum
    x = h["w0"].copy()
    want = [x.copy()]
    for _ in range(R):
        if hessians == "shared":
            A = h["lam"][0]
            poly = eta * sum((1 - eta * A) ** i for i in range(H))
            x = x - poly * (A * (x - h["w_star"]))
        else:
            x = h["w_star"] + np.mean((1 - eta * h["lam"]) ** H, axis=0) * (x - h["w_star"])
        want.append(x.copy())
    want = np.array(want)
    assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))
    if hessians == "shared" and H > 1:
        # and it is not plain GD with step H*eta (the polynomial is the prediction)
        A = h["lam"][0]
        x1 = h["w0"] - H * eta * A * (h["w0"] - h["w_star"])
        assert np.max(np.abs(got[1] - x1)) > 1e-3


# --------------------------------------------------------------------------------------
# the heterogeneity floor
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("zeta", [0.3, 3.0])
@pytest.mark.parametrize("H", [4, 16])
@pytest.mark.parametrize("method", ["local_sgd", "diloco"])
def test_measured_floor_equals_closed_form_fixed_point(zeta, H, method):
    p = prob(zeta=zeta, sigma=0.0)
    eta = 0.3
    spec = {"H": H, "lr": eta} if method == "local_sgd" else {"H": H, **DILOCO}
    out = run_local(p, make_method(method, **spec), 1500, n_checkpoints=5, record_iterates=True)
    floor = heterogeneity_floor(p, H, eta)
    assert floor > 1e-4 * zeta**2  # a real floor, not zero
    assert abs(out["suboptimality"][0, -1] / floor - 1) <= 1e-9
    assert np.max(np.abs(out["iterates"][-1, 0] - fixed_point(p, H, eta))) <= 1e-10


def test_no_floor_when_h1_or_shared_hessians():
    for H, hessians in ((1, "permuted"), (16, "shared")):
        p = prob(zeta=3.0, hessians=hessians)
        assert heterogeneity_floor(p, H, 0.3) <= 1e-28
        out = run_local(p, make_method("local_sgd", H=H, lr=0.3), 600, n_checkpoints=3)
        assert out["suboptimality"][0, -1] <= 1e-20


def test_floor_is_quadratic_in_zeta_and_fixed_point_agrees_with_dense_and_sympy():
    floors = [heterogeneity_floor(prob(zeta=z), 8, 0.3) for z in (0.5, 1.0, 2.0)]
    assert np.allclose(np.array(floors) / np.array([0.25, 1.0, 4.0]), floors[1], rtol=1e-10)
    p = prob(zeta=1.5)
    h = p.host
    dense = fixed_point_dense([np.diag(a) for a in h["lam"]], list(h["opt"]), 8, 0.3)
    assert np.allclose(dense, fixed_point(p, 8, 0.3), rtol=1e-12, atol=1e-14)
    # sympy derivation (K = 2, d = 1) against the numeric closed form
    expr = fixed_point_expr()
    lam1, lam2, w1, w2, eta, Hs = expr["symbols"]
    from problems.heterogeneous import HeterogeneousQuadratic

    q = HeterogeneousQuadratic([[0.2], [0.9]], [[1.0], [-0.5]], [0.0])
    vals = {lam1: 0.2, lam2: 0.9, w1: 1.0, w2: -0.5, eta: 0.1, Hs: 5}
    assert math.isclose(float(expr["x_inf"].subs(vals)), fixed_point(q, 5, 0.1)[0], rel_tol=1e-12)
    # leading term: x_inf - w* = eta (H-1)/2 * l1 l2 (l2 - l1)(w1 - w2)/(l1 + l2)^2 + O(eta^2)
    lead = float(expr["series"].subs(vals))
    exact = fixed_point(q, 5, 0.1)[0] - q.host["w_star"][0]
    assert math.isclose(lead, 0.1 * 4 / 2 * 0.2 * 0.9 * 0.7 * 1.5 / 1.1**2, rel_tol=1e-12)
    assert abs(exact - lead) <= 0.1 * abs(lead)  # O(eta^2) remainder at eta = 0.1


# --------------------------------------------------------------------------------------
# noisy runs: exact expectation, bounds
# --------------------------------------------------------------------------------------
SPECS = {
    "local_sgd": {"name": "local_sgd", "H": 8, "lr": 0.3},
    "diloco": {"name": "diloco", "H": 8, **DILOCO},
    "minibatch_sgd": {"name": "minibatch_sgd", "H": 8, "lr": 0.3},
}


@pytest.mark.parametrize("name", list(SPECS))
def test_noisy_runs_match_the_exact_expectation(name):
    p = prob(zeta=1.0, sigma=2.0)
    spec = dict(SPECS[name])
    method = make_method(spec.pop("name"), **spec)
    out = run_local(p, method, 120, seeds=range(64), n_checkpoints=8)
    exact = expected_risk(p, method, 120, steps=out["steps"])
    mean = out["suboptimality"].mean(axis=0)
    se = out["suboptimality"].std(axis=0, ddof=1) / 8
    assert np.all(np.abs(mean - exact) <= 4 * se + 1e-14), (mean, exact, se)


def test_stationary_risk_is_the_limit_of_the_exact_expectation():
    p = prob(zeta=1.0, sigma=2.0)
    m = make_method("local_sgd", H=8, lr=0.3)
    assert math.isclose(expected_risk(p, m, 400, steps=[400])[0], stationary_risk(p, m),
                        rel_tol=1e-10)


@pytest.mark.parametrize("H", [1, 4, 16, 64])
@pytest.mark.parametrize("eta", [0.05, 0.5])
@pytest.mark.parametrize("zeta,sigma", [(0.0, 1.0), (2.0, 0.0), (1.0, 1.0)])
def test_bounds_hold_against_the_exact_expectation(H, eta, zeta, sigma):
    p = prob(zeta=zeta, sigma=sigma)
    c = p.constants()
    m = make_method("local_sgd", H=H, lr=eta)
    R = np.arange(0, 201, 5)
    exact = expected_risk(p, m, 200, batch_size=2, steps=R)
    bound = local_sgd_bound(c, H, eta, R, batch_size=2)
    assert np.all(exact <= bound * (1 + 1e-12))
    F = heterogeneity_floor(p, H, eta)
    assert F <= floor_bound_instance(p, H, eta) * (1 + 1e-12) + 1e-30
    assert floor_bound_instance(p, H, eta) <= floor_bound(c["L"], c["mu"], c["zeta2"], H, eta) * (1 + 1e-12) + 1e-30


def test_measured_local_sgd_below_bound():
    p = prob(zeta=1.0, sigma=1.0)
    c = p.constants()
    out = run_local(p, make_method("local_sgd", H=16, lr=0.3), 100, seeds=range(32), n_checkpoints=10)
    bound = local_sgd_bound(c, 16, 0.3, out["steps"])
    assert np.all(out["suboptimality"].mean(axis=0) <= bound * 1.1)


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    ({"name": "local_sgd", "H": 0, "lr": 0.1}, "H .*got 0"),
    ({"name": "diloco", "H": -2, "inner": {"name": "sgd", "lr": 0.1}}, "H .*got -2"),
    ({"name": "minibatch_sgd", "H": 2.5, "lr": 0.1}, "H .*got 2.5"),
    ({"name": "local_sgd", "H": 4, "lr": 0.0}, "lr .*got 0.0"),
    ({"name": "minibatch_sgd", "H": 4, "lr": -1.0}, "lr .*got -1.0"),
    ({"name": "diloco", "H": 4, "inner": {"name": "sgd", "lr": -0.1}}, "inner lr .*got -0.1"),
    ({"name": "diloco", "H": 4, "inner": {"name": "sgd", "lr": 0.1}, "outer_lr": 0}, "outer_lr .*got 0"),
    ({"name": "diloco", "H": 4, "inner": {"name": "sgd", "lr": 0.1}, "momentum": 1.0}, "momentum .*got 1.0"),
    ({"name": "diloco", "H": 4, "inner": {"name": "sgd", "lr": 0.1}, "momentum": -0.1}, "momentum .*got -0.1"),
    ({"name": "diloco", "H": 4, "inner": {"name": "lion", "lr": 0.1}}, "'lion'"),
    ({"name": "fedprox", "H": 4, "lr": 0.1}, "'fedprox'"),
])
def test_bad_method_input_raises(kwargs, match):
    kwargs = dict(kwargs)
    with pytest.raises(ValueError, match=match):
        make_method(kwargs.pop("name"), **kwargs)


@pytest.mark.parametrize("kwargs,match", [
    ({"K": 0}, "K .*got 0"),
    ({"K": -3}, "K .*got -3"),
    ({"K": 1, "zeta": 1.0}, "K=1"),
    ({"zeta": -1.0}, "zeta .*got -1.0"),
    ({"sigma": -0.5}, "sigma .*got -0.5"),
    ({"hessians": "random"}, "'random'"),
])
def test_bad_problem_input_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        prob(**kwargs)


def test_bad_bound_input_raises():
    with pytest.raises(ValueError, match="H .*got 0"):
        floor_bound(1.0, 0.1, 1.0, 0, 0.1)
    with pytest.raises(ValueError, match="lr \\* L <= 1"):
        floor_bound(1.0, 0.1, 1.0, 4, 1.5)
    with pytest.raises(ValueError, match="R .*got 0"):
        run_local(prob(), make_method("local_sgd", H=2, lr=0.1), 0)


# --------------------------------------------------------------------------------------
# backends, reproducibility, sweeps
# --------------------------------------------------------------------------------------
ADAM = {"name": "diloco", "H": 4, "inner": {"name": "adam", "lr": 0.02}, "outer_lr": 0.7,
        "momentum": 0.9}


@pytest.mark.parametrize("spec", [SPECS["diloco"], ADAM, SPECS["minibatch_sgd"]])
def test_numpy_and_torch_cpu_trajectories_agree(spec):
    pytest.importorskip("torch")
    from theory_lab.backends import Backend

    p = prob(sigma=1.0)
    kw = {"seeds": range(3), "n_checkpoints": 10}
    a = _iterates(p, dict(spec), 40, **kw)
    b = _iterates(p, dict(spec), 40, backend=Backend("torch", "cpu", "float64"), **kw)
    assert np.max(np.abs(a - b)) <= 1e-10


def test_same_seed_same_numbers_alone_or_batched():
    p = prob(sigma=1.0)
    a = _iterates(p, dict(ADAM), 30, seeds=[5, 6, 7])
    b = _iterates(p, dict(ADAM), 30, seeds=[5, 6, 7])
    assert np.array_equal(a, b)
    c = _iterates(p, dict(ADAM), 30, seeds=[6])
    assert np.max(np.abs(a[:, 1] - c[:, 0])) <= 1e-14


def test_sweep_with_run_fn_caches_and_records_rounds(tmp_path):
    base = RunConfig(problem={"name": "heterogeneous_quadratic", "K": 4, "d": 10, "zeta": 1.0,
                              "sigma": 0.5},
                     optimizer={"name": "local_sgd", "H": 4, "lr": "0.3/L"}, T=30, batch_size=2,
                     seeds=(0, 1), n_checkpoints=6)
    cfgs = [base, base.with_path("optimizer.H", 8)]
    res = run_sweep(cfgs, store=tmp_path, run_fn=run_local_config, engine="sequential")
    assert len(ResultStore(tmp_path)) == 2
    for cfg, r in zip(cfgs, res, strict=True):
        H = cfg.optimizer["H"]
        assert r.meta["x_axis"] == "communication rounds" and r.steps[-1] == 30
        assert np.array_equal(r.grad_evals, r.steps * H)
        assert np.array_equal(r.samples, r.steps * H * 4 * 2)
    again = run_sweep(cfgs, store=tmp_path, run_fn=run_local_config, engine="sequential")
    assert np.array_equal(again[1].suboptimality, res[1].suboptimality)
    assert again[1].meta["created"] == res[1].meta["created"]  # loaded, not recomputed
