"""The one run loop (:mod:`theory_lab.loop`): divergence on every recorded quantity, exact
divergence and hit steps whatever the host-sync interval, and plotting whatever is stored."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from theory_lab import RunConfig
from theory_lab.loop import drive
from theory_lab.runner import run_config


def _cosh(lr=300.0, **kw):
    return RunConfig(problem={"name": "separable_cosh", "d": 10}, optimizer={"name": "sgd", "lr": lr},
                     T=50, seeds=range(4), n_checkpoints=51, spacing="linear", **kw)


def test_infinite_f_flags_the_seed_at_that_step_and_is_never_stored():
    # issue 12.7: f = sum cosh overflows one step before the iterate does; the old loop
    # stored inf at step 1 for seeds it flagged at step 2 (and `theory-lab plot` crashed).
    r = run_config(_cosh(300.0))
    assert np.all(r.diverged_at == 1)
    for v in (r.suboptimality, r.grad_norm):
        alive = r.steps[None, :] < r.diverged_at[:, None]
        assert np.all(np.isfinite(v[alive])) and np.all(np.isnan(v[~alive]))


def test_exploding_but_finite_f_flags_the_seed():
    r = run_config(_cosh(3.0))  # f reaches ~1e273 at step 2 while ||w||^2 is still small
    assert np.all(r.diverged_at == 2)
    assert np.nanmax(r.suboptimality) < 1e100


def test_plot_tolerates_stored_inf_and_huge_values(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from theory_lab.plotting import new_figure, plot_runs, save_figure

    r = run_config(_cosh(0.1))
    r.suboptimality[:, 3:] = 2.4e273   # what the old loop stored (lr = 3): OverflowError before
    r.suboptimality[0, 2] = np.inf
    for logx in (False, True):
        fig, ax = new_figure(logx=logx)
        plot_runs(ax, r, label="sgd")
        ax.legend()
        save_figure(fig, "x", outdir=tmp_path)


def _divergent_sgd(**kw):
    return RunConfig(problem={"name": "quadratic", "d": 20, "kappa": 100, "noise": "anisotropic",
                              "sigma": 1.0},
                     optimizer={"name": "sgd", "lr": "2.05/L"}, T=600, seeds=range(6), batch_size=1,
                     n_checkpoints=30, **kw)


@pytest.mark.parametrize("check_every", [1, 7, 64])
def test_host_sync_interval_changes_nothing(check_every):
    torch = pytest.importorskip("torch")  # noqa: F841
    from theory_lab.backends import get_backend
    from theory_lab.runner import build, run

    cfg = _divergent_sgd(backend="torch", epsilon=0.3)  # hits early, diverges near step 300
    prob, opt = build(cfg)
    backend = get_backend("torch", "cpu", "float64")
    ref = run(prob, opt, cfg.T, seeds=cfg.seeds, n_checkpoints=30, epsilon=0.3, backend=backend)
    import theory_lab.loop as loop

    orig = loop.drive

    def patched(*a, **k):
        k["check_every"] = check_every
        return orig(*a, **k)

    import theory_lab.runner as runner
    runner.drive = patched
    try:
        got = run(prob, opt, cfg.T, seeds=cfg.seeds, n_checkpoints=30, epsilon=0.3, backend=backend)
    finally:
        runner.drive = orig
    assert (ref["diverged_at"] > 0).all() and (ref["hit_step"] > 0).any()
    for key in ("diverged_at", "hit_step", "suboptimality", "grad_norm"):
        assert np.array_equal(ref[key], got[key], equal_nan=True), key


def test_drive_on_a_toy_state_with_counters_and_hits():
    # x_{t+1} = 0.5 x_t for seed 0, 3 x_t for seed 1 (diverges), seed axis 1 of an (m, S, d) state
    x0 = np.ones((2, 2, 3))
    rate = np.array([0.5, 3.0])[None, :, None]

    def step(st, t):
        return {"x": st["x"] * rate}, {"cost": np.array([1.0, 2.0])}

    def rec(st, t):
        return {"f": np.sum(st["x"] ** 2, axis=(0, 2))}

    out = drive({"x": x0}, step, 40, np.arange(0, 41, 10), record_fn=rec, iterate=lambda s: s["x"],
                threshold=1e6, seed_axis=1, value_fn=lambda s: rec(s, 0)["f"], epsilon=1e-3,
                counters={"cost": np.zeros(2)})
    # seed 1: 6 * 9^t > 1e6 first at t = 6 (6 * 9^6 = 3.2e6)
    assert out.diverged_at.tolist() == [-1, 6]
    # seed 0: 6 * 0.25^t <= 1e-3 first at t = 7
    assert out.hit_step.tolist() == [7, -1]
    assert out.hit_costs["cost"].tolist() == [7.0, -1.0]
    assert np.isnan(out.records["f"][1, 1:]).all() and np.isfinite(out.records["f"][0]).all()
    assert out.records["cost"][0].tolist() == [0.0, 10.0, 20.0, 30.0, 40.0]


def test_epsilon_needs_value_fn():
    with pytest.raises(ValueError, match="value_fn"):
        drive({"x": np.ones((2, 2))}, lambda s, t: s, 3, [0, 3], record_fn=lambda s, t: {},
              iterate=lambda s: s["x"], threshold=1.0, epsilon=1e-3)


def test_stop_at_epsilon_and_all_dead_stop_early():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = run_config(_divergent_sgd(epsilon=1e-30))
    assert np.all(r.diverged_at > 0)
    assert r.meta["last_step"] == int(r.diverged_at.max())
