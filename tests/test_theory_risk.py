"""Exact expected risk (moment recursion) against Monte-Carlo means of the runner.

Each check runs 400 seeds in one vectorized ``run`` call and requires, at every
checkpoint ``t > 0``, ``|mean - exact| <= 4 * stderr + 1e-12 * exact`` where ``stderr`` is
the standard error of the Monte-Carlo mean over seeds.  Four standard errors at ~10
checkpoints x 6 configurations keep the false-alarm probability of a correct recursion
below ~1e-3 (the seeds are fixed, so the test is deterministic); the tests also check
that the tolerance is tight enough to tell SHB from SGD and a wrong batch size.
"""

from __future__ import annotations

import numpy as np
import pytest

import problems
from theory_lab import run
from theory_lab.optimizers import heavy_ball, sgd
from theory_lab.schedules import constant, equal_stages, ge_step_decay, multistage
from theory_lab.theory import (
    expected_risk,
    expected_risk_for,
    expected_risk_stagewise,
    shb_theory_params,
    stationary_risk_hb,
    stationary_risk_sgd,
)

S = 400


def _mc(problem, opt, T, M, n_checkpoints=11, n_seeds=S):
    out = run(problem, opt, T, seeds=range(n_seeds), batch_size=M, n_checkpoints=n_checkpoints,
              spacing="linear")
    assert np.all(out["diverged_at"] < 0)
    f = out["suboptimality"]
    return out["steps"], f.mean(axis=0), f.std(axis=0, ddof=1) / np.sqrt(n_seeds)


def _check(problem, opt, schedule, beta, M, T, n_seeds=S):
    steps, mean, se = _mc(problem, opt, T, M, n_seeds=n_seeds)
    exact = expected_risk_for(problem, schedule, beta, M, T, steps=steps)
    assert exact[0] == pytest.approx(problem.constants()["f0"], rel=1e-12)
    z = np.abs(mean - exact)[1:] / (se[1:] + 1e-300)
    assert np.all(np.abs(mean - exact)[1:] <= 4 * se[1:] + 1e-12 * exact[1:]), z
    return steps, mean, se, exact


CASES = [
    # (name, noise, spectrum, rotate, kind)
    ("sgd-aniso-const", "anisotropic", "power_law", False, "sgd_const"),
    ("sgd-iso-stepdecay", "isotropic", "log_uniform", True, "sgd_step"),
    ("shb-aniso-const", "anisotropic", "log_uniform", True, "shb_const"),
    ("shb-aniso-multistage", "anisotropic", "two_clusters", False, "shb_multi"),
    ("shb-iso-multistage", "isotropic", "power_law", True, "shb_multi"),
]


@pytest.mark.parametrize("name,noise,spectrum,rotate,kind", CASES, ids=[c[0] for c in CASES])
def test_exact_risk_matches_monte_carlo(name, noise, spectrum, rotate, kind):
    kappa, d, M, T = 50.0, 16, 4, 240
    p = problems.anisotropic_quadratic(
        d=d, kappa=kappa, spectrum=spectrum, noise=noise, sigma=0.5, seed=11, rotate=rotate
    )
    eta_shb, beta_shb, _ = shb_theory_params(1.0, 1.0 / kappa, c=0.8)
    if kind == "sgd_const":
        sched, beta = constant(0.5), 0.0
    elif kind == "sgd_step":
        sched, beta = ge_step_decay(1.0, T), 0.0
    elif kind == "shb_const":
        sched, beta = constant(0.2), beta_shb
    else:
        sched, beta = multistage(eta_shb, equal_stages(T, 4), 2.0), beta_shb
    opt = sgd(sched) if beta == 0.0 else heavy_ball(sched, beta)
    steps, mean, se, exact = _check(p, opt, sched, beta, M, T)
    # discriminating power: the wrong batch size (2M) is rejected at late checkpoints
    wrong = expected_risk_for(p, sched, beta, 2 * M, T, steps=steps)
    assert np.any(np.abs(mean - wrong)[1:] > 6 * se[1:])
    if beta > 0:
        sgd_same = expected_risk_for(p, sched, 0.0, M, T, steps=steps)
        assert np.any(np.abs(mean - sgd_same)[1:] > 6 * se[1:])


def test_exact_risk_least_squares_oracle():
    # iterate-dependent noise of the Gaussian least-squares oracle, included exactly
    p = problems.anisotropic_quadratic(d=8, kappa=20.0, spectrum="log_uniform", noise="least_squares", sigma=0.5, seed=1)
    M, T, beta = 2, 150, 0.5
    # 1600 seeds: enough power to reject the additive-only model by 10 standard errors
    steps, mean, se, exact = _check(p, heavy_ball(0.3, beta), 0.3, beta, M, T, n_seeds=1600)
    # the additive-only recursion (noise frozen at w*) is rejected: the extra term matters here
    ev, x0 = np.asarray(p.eigenvalues), p.eigen_coordinates(np.asarray(p.w0))
    additive = expected_risk(ev, x0, 0.3, beta, p.noise.eigen_variances(ev, M), T, steps=steps)
    assert np.all(np.abs(mean - additive)[2:] > 10 * se[2:])


def test_stagewise_closed_form_equals_recursion():
    rng = np.random.default_rng(0)
    for beta in (0.0, 0.6, 0.95):
        ev = np.sort(rng.uniform(0.001, 1.0, 30))[::-1]
        x0, q = rng.normal(size=30), rng.uniform(0.0, 0.1, 30)
        lengths, etas = [37, 50, 13, 100], [1.0, 0.4, 0.4 / 3, 0.01]
        sched = multistage(1.0, lengths, 1.0)
        sched = type(sched)("custom", sched.starts, tuple(etas))
        steps = np.cumsum(lengths)
        rec = expected_risk(ev, x0, sched, beta, q, int(steps[-1]), steps=steps, return_parts=True)
        clo = expected_risk_stagewise(ev, x0, etas, lengths, beta, q, return_parts=True, at_stage_ends=True)
        for k in ("total", "bias", "variance"):
            np.testing.assert_allclose(clo[k], rec[k], rtol=1e-9, atol=1e-300)


def test_stationary_closed_forms():
    ev = np.geomspace(1.0, 0.05, 12)
    q = 0.3 * ev
    eta = 0.8
    long = expected_risk(ev, np.zeros(12), eta, 0.0, q, 3000, steps=[3000])[0]
    assert long == pytest.approx(stationary_risk_sgd(eta, ev, q), rel=1e-10)
    beta = 0.7
    long = expected_risk(ev, np.zeros(12), eta, beta, q, 6000, steps=[6000])[0]
    hand = np.sum(eta * q * (1 + beta) / (2 * (1 - beta) * (2 * (1 + beta) - eta * ev)))
    assert stationary_risk_hb(eta, beta, ev, q) == pytest.approx(hand, rel=1e-13)
    assert long == pytest.approx(hand, rel=1e-10)
    assert stationary_risk_hb(eta, 0.0, ev, q) == pytest.approx(stationary_risk_sgd(eta, ev, q), rel=1e-13)
    assert stationary_risk_sgd(2.5, ev, q) == float("inf")


def test_expected_risk_broadcasts_over_problems():
    ev = np.stack([np.geomspace(1, 0.01, 10), np.linspace(1, 0.1, 10)])
    x0 = np.ones(10)
    batch = expected_risk(ev, x0, 0.5, 0.3, 0.01 * ev, 50, steps=[0, 10, 50])
    assert batch.shape == (2, 3)
    for i in range(2):
        np.testing.assert_allclose(batch[i], expected_risk(ev[i], x0, 0.5, 0.3, 0.01 * ev[i], 50, steps=[0, 10, 50]))
    with pytest.raises(ValueError):
        expected_risk(ev[0], x0, 0.5, 1.0, 0.0, 10)
    with pytest.raises(ValueError):
        expected_risk(ev[0], x0, 0.5, 0.0, 0.0, 10, steps=[11])


@pytest.mark.parametrize(("eta", "beta"), [(0.9, 0.0), (0.5, 0.7), (1.0, (1 - 1 / np.sqrt(20)) ** 2)])
def test_noiseless_closed_form_equals_recursion(eta, beta):
    from theory_lab.theory import first_step_below, noiseless_risk

    ev = np.geomspace(1.0, 0.05, 7)
    x0 = np.linspace(-1.0, 1.0, 7)
    steps = np.arange(0, 400)
    rec = expected_risk(ev, x0, eta, beta, np.zeros(7), 399, steps=steps)
    closed = noiseless_risk(ev, x0, eta, beta, steps)
    assert np.allclose(closed, rec, rtol=1e-9, atol=1e-300)
    eps = float(rec[200]) * (1 + 1e-6)  # off the rounding tie at step 200
    t = first_step_below(ev, x0, eta, beta, eps, 399)
    assert t == int(np.flatnonzero(rec <= eps)[0])
