"""Plotting: median + band over seeds, bounds, divergence handling, files written."""

import warnings

import numpy as np
import pytest

from theory_lab import RunConfig, run_config
from theory_lab.plotting import (
    describe,
    new_figure,
    plot_bound,
    plot_runs,
    pool,
    save_figure,
)
from theory_lab.results import RunResult


def tiny(optimizer, seeds=(0, 1, 2, 3), T=200, **problem):
    problem = {"name": "quadratic", "d": 8, "kappa": 10.0, "sigma": 0.1, **problem}
    cfg = RunConfig(problem=problem, optimizer=optimizer, T=T, batch_size=2, seeds=seeds,
                    n_checkpoints=25)
    return run_config(cfg)


def synthetic(diverged_at, T=100, K=11):
    """A run with hand-set divergence steps (NaN from each seed's divergence on)."""
    steps = np.linspace(0, T, K).astype(np.int64)
    S = len(diverged_at)
    div = np.asarray(diverged_at, dtype=np.int64)
    vals = np.tile(np.exp(-steps / 30.0), (S, 1)) * (1 + 0.1 * np.arange(S))[:, None]
    for s, d in enumerate(div):
        if d >= 0:
            vals[s, steps >= d] = np.nan
    cfg = RunConfig(problem={"name": "quadratic"}, optimizer={"name": "sgd", "lr": 0.1}, T=T,
                    seeds=tuple(range(S)))
    return RunResult(
        config=cfg.to_dict(), meta={"config_hash": cfg.hash()}, steps=steps,
        suboptimality=vals, grad_norm=np.sqrt(vals), diverged_at=div,
        hit_step=np.full(S, -1), samples=steps * 2, grad_evals=steps.copy(),
    )


def finite_lines(ax):
    return [ln for ln in ax.get_lines() if ln.get_linestyle() not in ("None", "none", "")]


def test_run_with_bound_writes_pdf_and_png_without_warnings(tmp_path):
    res = tiny({"name": "shb", "lr": "1/L", "beta": 0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax = new_figure(logx=True)
        color = plot_runs(ax, res, label=describe(res))
        mu, L = res.meta["constants"]["mu"], res.meta["constants"]["L"]
        bound = res.meta["constants"]["f0"] * (1 - mu / L) ** res.steps
        line = plot_bound(ax, res.steps, bound, color, label="bound")
        ax.legend()
        paths = save_figure(fig, "shb_tiny", outdir=tmp_path / "figs")
    assert [p.suffix for p in paths] == [".pdf", ".png"]
    for p in paths:
        assert p.is_file() and p.stat().st_size > 1000
    assert paths[0].read_bytes()[:4] == b"%PDF"
    assert paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the bound: dashed, in the method's colour, step 0 dropped on the log x axis
    assert line.get_linestyle() == "--" and line.get_color() == color
    assert np.all(line.get_xdata() > 0)
    # the median line: all checkpoints but step 0 (log x), finite, and a band under it
    (median,) = finite_lines(ax)[:1]
    assert np.array_equal(median.get_xdata(), res.steps[1:])
    assert np.all(np.isfinite(median.get_ydata()))
    assert len(ax.collections) == 1


def test_median_and_band_are_the_seed_statistics():
    res = tiny({"name": "sgd", "lr": 0.5}, seeds=tuple(range(9)))
    fig, ax = new_figure()
    plot_runs(ax, res, q=(0.25, 0.75))
    median = finite_lines(ax)[0]
    assert np.allclose(median.get_ydata(), np.median(res.suboptimality, axis=0))
    assert np.array_equal(median.get_xdata(), res.steps)
    (verts,) = ax.collections[0].get_paths()
    ys = verts.vertices[:, 1]
    lo = np.quantile(res.suboptimality, 0.25, axis=0)
    hi = np.quantile(res.suboptimality, 0.75, axis=0)
    assert ys.min() == pytest.approx(lo.min()) and ys.max() == pytest.approx(hi.max())


def test_diverging_run_is_truncated_and_marked_without_nan_or_warning(tmp_path):
    # SGD with lr = 5 on a quadratic with L = 1: every seed blows up within a few steps
    res = tiny({"name": "sgd", "lr": 5.0}, T=300)
    assert np.all(res.diverged_at > 0)
    assert np.isnan(res.suboptimality).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax = new_figure()
        color = plot_runs(ax, res, label="sgd lr=5")
        ax.legend()
        paths = save_figure(fig, "diverged", outdir=tmp_path)
    assert all(p.is_file() for p in paths)
    median, *_ = finite_lines(ax)
    x, y = np.asarray(median.get_xdata()), np.asarray(median.get_ydata())
    assert x.size >= 2 and np.all(np.isfinite(y)) and np.all(np.isfinite(x))
    # stops at the divergence step (the last checkpoint before it)
    t_div = res.diverged_at
    assert x.max() < t_div.min()
    assert x.max() == res.steps[res.steps < np.median(t_div)].max()
    # band: no NaN either
    assert np.all(np.isfinite(ax.collections[0].get_paths()[0].vertices))
    # one "x" per diverged seed, at its divergence step, same colour
    markers = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    assert len(markers) == 1 and markers[0].get_color() == color
    assert sorted(markers[0].get_xdata()) == sorted(t_div.tolist())
    assert np.all(np.isfinite(markers[0].get_ydata()))
    S = len(t_div)
    note = markers[0].get_label()
    assert note.startswith(f"{S}/{S} diverged at step")
    assert note in [t.get_text() for t in ax.get_legend().get_texts()]


def test_minority_divergence_keeps_the_curve_majority_stops_it():
    fig, ax = new_figure()
    plot_runs(ax, synthetic([-1, -1, -1, 35]), label="one diverged")
    line = finite_lines(ax)[0]
    assert line.get_xdata()[-1] == 100  # 3/4 still running: drawn to the end
    marker = [ln for ln in ax.get_lines() if ln.get_marker() == "x"][0]
    assert marker.get_label() == "1/4 diverged at step 35"
    assert list(marker.get_xdata()) == [35]
    # median of the running seeds at the last checkpoint before step 35 (= step 30)
    assert marker.get_ydata()[0] == pytest.approx(line.get_ydata()[3])

    fig, ax = new_figure()
    plot_runs(ax, synthetic([-1, 15, 45, 75]))
    line = finite_lines(ax)[0]
    assert line.get_xdata()[-1] == 40  # from step 45 on, half of the seeds have diverged
    marker = [ln for ln in ax.get_lines() if ln.get_marker() == "x"][0]
    assert marker.get_label() == "3/4 diverged at steps 15\u201375"


def test_samples_axis_and_pooling():
    a = tiny({"name": "sgd", "lr": 0.5}, seeds=(0, 1))
    b = tiny({"name": "sgd", "lr": 0.5}, seeds=(2, 3))
    pooled = pool([a, b])
    assert pooled.seeds == [0, 1, 2, 3] and pooled.suboptimality.shape[0] == 4
    fig, ax = new_figure()
    plot_runs(ax, [a, b], x="samples")
    assert np.array_equal(finite_lines(ax)[0].get_xdata(), a.samples)
    assert ax.get_xlabel() == "samples"
    c = tiny({"name": "sgd", "lr": 0.25}, seeds=(4,))
    with pytest.raises(ValueError, match="different configs"):
        pool([a, c])


def test_bad_arguments_raise_value_error(tmp_path):
    res = tiny({"name": "gd", "lr": 0.5}, seeds=(0,))
    fig, ax = new_figure()
    with pytest.raises(ValueError, match="samples"):
        plot_runs(ax, res, x="samples")
    with pytest.raises(ValueError, match="x must be"):
        plot_runs(ax, res, x="time")
    with pytest.raises(ValueError, match="unknown metric 'loss'"):
        plot_runs(ax, res, metric="loss")
    with pytest.raises(ValueError, match="no results"):
        plot_runs(ax, [])
    with pytest.raises(ValueError, match="file stem"):
        save_figure(fig, "", outdir=tmp_path)


def test_new_figure_grid_and_scales():
    fig, axes = new_figure(ncols=3, nrows=2, logx=True)
    assert axes.shape == (2, 3)
    assert all(ax.get_yscale() == "log" and ax.get_xscale() == "log" for ax in axes.ravel())
    fig, ax = new_figure(logy=False)
    assert ax.get_yscale() == "linear"
