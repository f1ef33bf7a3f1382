"""The SHB paper's claims, measured (Pan, Liu, Wang, Zhang, ICLR 2024).

Each test measures with the same code that draws ``make fig-shb`` (smaller sizes) and
compares with the theory modules under a stated tolerance.
"""

import math

import numpy as np
import pytest

from experiments.shb import measure_budget, measure_kappa_scaling
from theory_lab.claims import load_all
from theory_lab.claims.shb import N_SE
from theory_lab.runner import build
from theory_lab.schedules import make_schedule
from theory_lab.theory.quadratic_risk import expected_risk_for
from theory_lab.theory.shb_bounds import variance_floor

KAPPAS = [16, 64, 256, 1024]


def _window(claim_id):
    """The exponent window the claim object owns (predicted +- tolerance, from the theory)."""
    c = load_all()[claim_id]
    assert c.kind == "exponent", c
    return c.predicted - c.tolerance, c.predicted + c.tolerance


@pytest.fixture(scope="module")
def scaling():
    # large-batch regime: sigma^2 / M = 1e-9, so the noise floor (~sqrt(kappa) d sigma^2 / M)
    # sits far below eps = 1e-3 and the bias term sets the iteration count.
    return measure_kappa_scaling(KAPPAS, eps=1e-3, store=None, batch_size=10**9)


def test_iterations_to_epsilon_slope_sgd_is_kappa(scaling):
    # window of shb.kappa_exponent_sgd (1 +- 0.1, derived in theory_lab/claims/shb.py)
    lo, hi = _window("shb.kappa_exponent_sgd")
    fit = scaling.fits["SGD"]
    assert lo <= fit.slope <= hi, (fit, lo, hi)


def test_iterations_to_epsilon_slope_shb_is_sqrt_kappa(scaling):
    # The [R] parameters eta = 1/L, beta = (1 - 1/sqrt(kappa))^2 make the slowest mode
    # critically damped (t rho^t), which adds a log factor: measured slope ~0.535.  Window of
    # shb.kappa_exponent (1/2 +- 0.1, derived in theory_lab/claims/shb.py).
    lo, hi = _window("shb.kappa_exponent")
    fit = scaling.fits["SHB"]
    assert lo <= fit.slope <= hi, (fit, lo, hi)


def test_measured_iterations_equal_the_exact_noiseless_recursion(scaling):
    # theory next to measurement: the exact (noiseless) moment recursion predicts the
    # iteration counts; the tiny noise may shift a crossing by a step or two (tol 2% + 2).
    for name in ("SGD", "SHB"):
        measured = np.median(scaling.iterations[name], axis=1)
        predicted = scaling.predicted[name]
        assert np.all(np.abs(measured - predicted) <= 0.02 * predicted + 2), (name, measured, predicted)


def test_shb_beats_sgd_at_fixed_sample_budget():
    # N = 2^16 samples, kappa = 400: at M = 16 (T = 4096 ~ 10 kappa) and M = 256
    # (T = 256 < kappa, ~13 sqrt(kappa)) with step sizes tuned on a grid per batch size.
    N, kappa, d = 2**16, 400, 20
    best = measure_budget(store=None, N=N, batches=(16, 256), kappa=kappa, d=d, seeds=range(8))
    floor = variance_floor(d, 1.0, 1, N)
    for M in (16, 256):
        shb, sgd = best[("multistage SHB", M)]["final"], best[("step-decay SGD", M)]["final"]
        assert sgd >= 10 * shb, (M, sgd / floor, shb / floor)
    # with T ~ 10 kappa, tuned SHB is within a small factor of the minimax floor (exact
    # expectation of this schedule: ~1.4x; 8 seeds of a right-skewed final value: allow 3x)
    assert best[("multistage SHB", 16)]["final"] <= 3 * floor


@pytest.mark.parametrize("method", ["multistage SHB", "step-decay SGD"])
def test_budget_runs_match_their_exact_expectation(method):
    # The measured mean at the tuned point equals the exact E[f(w_T)] within N_SE = 4 standard
    # errors (the same rule as the claim shb.exact_risk).
    best = measure_budget(store=None, N=2**14, batches=(16,), kappa=100, d=20, seeds=range(64))
    b = best[(method, 16)]
    cfg, res = b["config"], b["result"]
    prob, opt = build(cfg)
    sched = make_schedule(opt.hyperparams["lr"], cfg.T)
    exact = expected_risk_for(prob, sched, opt.hyperparams.get("beta", 0.0), cfg.batch_size,
                              cfg.T, steps=[cfg.T])[-1]
    final = res.suboptimality[:, -1]
    se = final.std(ddof=1) / math.sqrt(final.size)
    assert abs(final.mean() - exact) <= N_SE * se, (final.mean(), exact, se)
