"""The vectorized runner: checkpoints, counts, epsilon hits and divergence flags."""

import numpy as np
import pytest

import problems
from theory_lab import RunConfig, run_config
from theory_lab.optimizers import heavy_ball, sgd
from theory_lab.runner import checkpoint_steps, run


def test_checkpoints_include_ends_and_are_sorted():
    for spacing in ("log", "linear"):
        for n in (2, 3, 40):
            s = checkpoint_steps(1000, n, spacing)
            assert s[0] == 0 and s[-1] == 1000 and np.all(np.diff(s) > 0), (spacing, n, s)


def test_records_counts_and_metrics():
    p = problems.make("quadratic", d=20, kappa=10.0, sigma=0.1)
    out = run(p, heavy_ball(0.5, 0.5), T=200, seeds=range(5), batch_size=7, n_checkpoints=20)
    assert out["suboptimality"].shape == (5, len(out["steps"]))
    assert np.array_equal(out["samples"], out["steps"] * 7)
    assert np.array_equal(out["grad_evals"], out["steps"])
    assert np.allclose(out["suboptimality"][:, 0], p.constants()["f0"])
    assert np.all(out["diverged_at"] == -1)
    assert np.all(np.isfinite(out["suboptimality"]))
    # exact oracle: no samples are drawn
    out = run(p, heavy_ball(0.5, 0.5, oracle="exact"), T=50, seeds=[0])
    assert np.all(out["samples"] == 0)


def test_divergence_is_flagged_at_its_step_not_nan():
    # SGD on a quadratic with L = 1 diverges iff lr > 2; error along the top eigenvector
    # grows like |1 - lr|^t, so it crosses the threshold at a predictable step.
    p = problems.make("quadratic", d=10, kappa=10.0, noise="none")
    out = run(p, sgd(3.0, oracle="exact"), T=500, seeds=[0, 1], divergence_factor=1e12)
    assert np.all(out["diverged_at"] > 0)
    # ||w_t||^2 ~ (2^t)^2 |w0_1|^2 crosses 1e12 * (||w0||^2 + d) after ~ log2(1e6 * ...) steps
    w0 = p._host["w0"]
    t_pred = np.log(1e12 * (w0 @ w0 + 10) / w0[0] ** 2) / (2 * np.log(2.0))
    assert abs(out["diverged_at"][0] - t_pred) <= 2
    # the run stopped early, later checkpoints are NaN, earlier ones finite
    k = np.searchsorted(out["steps"], out["diverged_at"][0])
    assert np.all(np.isfinite(out["suboptimality"][0, :k]))
    assert np.all(np.isnan(out["suboptimality"][0, k:]))


def test_only_the_diverging_seeds_are_frozen():
    # lr = 2/L makes the top mode marginal (|1 - lr L| = 1): the noise drives a random walk
    # along it, so with a low divergence threshold seeds cross it at different steps.
    p = problems.make("quadratic", d=10, kappa=10.0, sigma=3.0)
    seeds = list(range(12))
    out = run(p, sgd(2.0), T=15, seeds=seeds, divergence_factor=30.0)
    dv = out["diverged_at"]
    assert (dv > 0).any() and (dv == -1).any(), dv
    assert len(set(dv[dv > 0])) > 1
    # survivors are untouched by the others' divergence: same numbers as when run alone
    s = int(np.flatnonzero(dv == -1)[0])
    alone = run(p, sgd(2.0), T=15, seeds=[seeds[s]], divergence_factor=30.0)
    assert np.allclose(alone["suboptimality"][0], out["suboptimality"][s], rtol=1e-12, atol=0)
    assert np.all(np.isfinite(out["suboptimality"][s]))


def test_epsilon_hits_and_early_stop():
    p = problems.make("quadratic", d=10, kappa=10.0, noise="none")
    out = run(p, sgd(1.0, oracle="exact"), T=10_000, seeds=[0], epsilon=1e-6, stop_at_epsilon=True)
    t = out["hit_step"][0]
    assert 0 < t < 10_000 and out["last_step"] == t
    # direct check: suboptimality at t <= eps < at t - 1
    full = run(p, sgd(1.0, oracle="exact"), T=t, seeds=[0], spacing="linear", n_checkpoints=t + 1)
    assert full["suboptimality"][0, t] <= 1e-6 < full["suboptimality"][0, t - 1]


def test_run_config_records_provenance():
    cfg = RunConfig(problem={"name": "quadratic", "d": 5}, optimizer={"name": "sgd", "lr": "1/L"},
                    T=10, seeds=(3, 4))
    r = run_config(cfg)
    assert r.meta["config_hash"] == cfg.hash()
    for key in ("version", "backend", "device", "dtype", "constants", "created"):
        assert key in r.meta
    assert r.config["seeds"] == [3, 4]
    assert r.meta["optimizer"]["lr"]["eta"] == pytest.approx(1.0)
