r"""Figures of measured runs against theoretical bounds.

Headless by construction: figures are plain :class:`matplotlib.figure.Figure` objects
with an Agg canvas (no ``pyplot`` state, no GUI backend), so they work on a cluster
node and never leak.  The building blocks compose::

    from theory_lab.plotting import new_figure, plot_bound, plot_runs, save_figure

    fig, ax = new_figure()
    color = plot_runs(ax, result, label="SHB")
    plot_bound(ax, steps, bound, color, label="Thm. 1 bound")
    ax.legend()
    save_figure(fig, "shb_rate")          # figures/shb_rate.pdf, figures/shb_rate.png

Conventions
-----------
* y on a log scale (x optionally), grid, small readable fonts (:data:`STYLE`).
* A run is summarised over seeds by the **median** line and a shaded **quantile band**
  (10%--90% by default), via :func:`theory_lab.rates.median_band`.
* Diverged seeds: the runner freezes a seed when it diverges and records NaN from then
  on.  Each diverged seed is truncated at its divergence step and marked by an ``x`` on
  the curve at that step; the legend says ``"k/S diverged at step t"``.  The statistics
  at a checkpoint are over the seeds still running there, and the curve **stops** at
  the last checkpoint where at least half of all seeds are still running (beyond that
  the median run has diverged).  Nothing is ever drawn from NaN, and no warning is
  raised.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .results import RunResult

__all__ = [
    "METRIC_LABELS",
    "STYLE",
    "add_legend",
    "describe",
    "legend_labels",
    "new_figure",
    "plot_bound",
    "plot_runs",
    "pool",
    "save_figure",
    "use_style",
]

#: rcParams of the lab style (applied by :func:`new_figure` / :func:`use_style`).
STYLE: dict = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 6,
    "axes.grid": True,
    "axes.grid.which": "major",
    "grid.alpha": 0.35,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": 150,
    "pdf.fonttype": 42,  # embed TrueType: editable text in the PDF
    "ps.fonttype": 42,
}

#: Axis labels of the recorded metrics.
METRIC_LABELS: dict = {
    "suboptimality": r"$f(w_t) - f^\star$",
    "grad_norm": r"$\|\nabla f(w_t)\|$",
}
_X_LABELS = {"steps": "step $t$", "samples": "samples"}


def use_style() -> None:
    """Apply :data:`STYLE` to ``matplotlib.rcParams`` (process-wide)."""
    matplotlib.rcParams.update(STYLE)


def new_figure(
    ncols: int = 1,
    nrows: int = 1,
    *,
    panel_size: tuple[float, float] = (4.0, 3.0),
    logx: bool = False,
    logy: bool = True,
    sharex: bool = False,
    sharey: bool = False,
    squeeze: bool = True,
):
    """A headless figure with a grid of axes in the lab style.

    Parameters
    ----------
    ncols, nrows : int
        Panel grid.
    panel_size : (width, height)
        Size of one panel in inches.
    logx, logy : bool
        Log-scale axes (y by default; x optional).
    sharex, sharey : bool
        Share axes between panels.
    squeeze : bool
        As in :func:`matplotlib.pyplot.subplots`: a single ``Axes`` for a 1x1 grid.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes
    """
    use_style()
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=squeeze)
    for ax in np.atleast_1d(axes).ravel():
        if logy:
            ax.set_yscale("log")
        if logx:
            ax.set_xscale("log")
        ax.grid(True, which="major")
    return fig, axes


def save_figure(
    fig,
    name: str,
    outdir: str | os.PathLike = "figures",
    formats: Sequence[str] = ("pdf", "png"),
    dpi: int = 150,
) -> list[Path]:
    """Write ``outdir/name.pdf`` and ``outdir/name.png``, then close ``fig``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        File stem (may contain subdirectories, relative to ``outdir``).
    outdir : path
        Created if missing.
    formats : sequence of str
        File extensions to write.
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    if not name or name in (".", ".."):
        raise ValueError(f"figure name must be a non-empty file stem, got {name!r}")
    stem = Path(outdir) / name
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    try:
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            # no creation date in the PDF: identical inputs give identical files
            metadata = {"CreationDate": None} if fmt == "pdf" else None
            fig.savefig(path, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
            paths.append(path)
    finally:
        _close(fig)
    return paths


def _close(fig) -> None:
    manager = getattr(fig.canvas, "manager", None)
    if manager is not None:  # created through pyplot: release it from pyplot's registry
        import matplotlib.pyplot as plt

        plt.close(fig)


def pool(results: RunResult | Iterable[RunResult]) -> RunResult:
    """Pool the seeds of several results of the same configuration into one.

    Raises ``ValueError`` if the configurations (seeds and tags aside) or the
    checkpoint steps differ.
    """
    if isinstance(results, RunResult):
        return results
    results = list(results)
    if not results:
        raise ValueError("no results to plot")
    if len(results) == 1:
        return results[0]
    first = results[0]
    key = _config_key(first)
    for r in results[1:]:
        if _config_key(r) != key:
            raise ValueError(
                f"cannot pool results of different configs ({first.config_hash} vs {r.config_hash})"
            )
        if not np.array_equal(r.steps, first.steps):
            raise ValueError("cannot pool results recorded at different checkpoint steps")
    config = dict(first.config)
    config["seeds"] = [s for r in results for s in r.seeds]
    cat = {
        name: np.concatenate([getattr(r, name) for r in results], axis=0)
        for name in ("suboptimality", "grad_norm", "diverged_at", "hit_step")
    }
    extra = {
        k: np.concatenate([r.extra[k] for r in results], axis=0)
        for k in first.extra
        if all(k in r.extra for r in results)
    }
    meta = dict(first.meta)
    meta["pooled_from"] = [r.config_hash for r in results]
    return RunResult(
        config=config, meta=meta, steps=first.steps, samples=first.samples,
        grad_evals=first.grad_evals, extra=extra, **cat,
    )


def _config_key(result: RunResult) -> dict:
    return {k: v for k, v in result.config.items() if k not in ("seeds", "tags")}


def describe(result: RunResult) -> str:
    """Short label of a run: optimizer name and its parameters as configured."""
    spec = dict(result.config["optimizer"])
    name = spec.pop("name")
    params = ", ".join(f"{k}={v}" for k, v in spec.items())
    return f"{name} ({params})" if params else name


def _flat(config: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in config.items():
        if key == "tags":
            continue
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _short_value(value) -> str:
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) for v in value):
        v = list(value)
        if v == list(range(v[0], v[-1] + 1)) and len(v) > 2:
            return f"{v[0]}:{v[-1] + 1}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def legend_labels(results: Sequence[RunResult]) -> list[str]:
    """One legend label per result, keyed by the config entries that differ among them.

    A label reads ``"lr=0.5/L, batch_size=8"``: only the keys whose values differ across
    ``results`` (dotted keys shortened to their last part when that is unambiguous);
    a single result, or results whose configs agree, are labelled by :func:`describe`.
    Never a hash.
    """
    results = list(results)
    flats = [_flat(r.config) for r in results]
    keys = []
    for f in flats:
        keys.extend(k for k in f if k not in keys)
    varying = [k for k in keys
               if len({repr(f.get(k, "\u2014")) for f in flats}) > 1]
    if len(results) < 2 or not varying:
        labels = [describe(r) for r in results]
    else:
        last = [k.rpartition(".")[2] for k in varying]
        short = {k: (s if last.count(s) == 1 and s != "name" else k) for k, s in zip(varying, last, strict=True)}
        if "optimizer.name" in varying:
            short["optimizer.name"] = ""
        labels = []
        for f in flats:
            parts = [(f"{short[k]}={_short_value(f[k])}" if short[k] else _short_value(f[k]))
                     for k in varying if k in f]
            labels.append(", ".join(parts))
    # still equal (e.g. the same config twice): number them
    return [f"{lab} (#{labels[:i].count(lab) + 1})" if labels.count(lab) > 1 else lab
            for i, lab in enumerate(labels)]


def add_legend(ax, max_inside: int = 5, max_chars: int = 30, **kwargs):
    """Legend inside the axes for a few short entries, else to their right (figure widened).

    With many or long entries an inside legend hides the curves, and an outside one in a
    fixed-size constrained layout squeezes the axes to nothing; so the figure grows by
    the legend's width and the axes keep theirs.
    """
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if len(handles) <= max_inside and max(len(lab) for lab in labels) <= max_chars:
        return ax.legend(handles, labels, **kwargs)
    fig = ax.get_figure()
    width = max(len(lab) for lab in labels) * 0.065 + 0.6  # inches, at the 8 pt legend font
    ncol = 1 if len(handles) <= 14 else 2
    fig.set_figwidth(fig.get_figwidth() + ncol * width)
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                     borderaxespad=0.0, ncol=ncol, **kwargs)


def _x_values(result: RunResult, x: str) -> tuple[np.ndarray, float]:
    """Checkpoint abscissae and the abscissa units per step."""
    if x == "steps":
        return result.steps.astype(float), 1.0
    if x == "samples":
        if not np.any(result.samples > 0):
            raise ValueError(
                f"x='samples' needs a stochastic oracle; {result.config['optimizer']['name']!r} "
                "draws no samples (use x='steps')"
            )
        last = int(np.flatnonzero(result.steps > 0)[-1])
        return result.samples.astype(float), float(result.samples[last] / result.steps[last])
    raise ValueError(f"x must be 'steps' or 'samples', got {x!r}")


def _format_steps(steps: np.ndarray) -> str:
    lo, hi = int(steps.min()), int(steps.max())
    return f"step {lo}" if lo == hi else f"steps {lo}\u2013{hi}"


#: Values beyond this magnitude are not drawn (matplotlib's log axes overflow near 1e300,
#: and nothing a run records is meaningful there: the loop flags such seeds as diverged).
PLOT_LIMIT = 1e100


def _plottable(values: np.ndarray) -> np.ndarray:
    """``values`` with non-finite and exploding (``|v| > PLOT_LIMIT``) entries set to NaN.

    Results written before the loop flagged them (or edited by hand) may hold ``inf`` or
    huge values for seeds not yet marked diverged; they are dropped, never plotted.
    """
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(values) <= PLOT_LIMIT)
    return np.where(bad, np.nan, values)


def plot_runs(
    ax,
    results: RunResult | Iterable[RunResult],
    label: str | None = None,
    color=None,
    metric: str = "suboptimality",
    x: str = "steps",
    q: tuple[float, float] = (0.1, 0.9),
    marker_divergence: bool = True,
):
    """Median over seeds and a shaded quantile band, with diverged seeds marked.

    Parameters
    ----------
    ax : matplotlib Axes
    results : RunResult or iterable of RunResult
        One run, or several runs of the same configuration whose seeds are pooled.
    label : str, optional
        Legend label of the median line (none if ``None``; see :func:`describe`).
    color : color, optional
        Defaults to the next colour of the axes' cycle.
    metric : {"suboptimality", "grad_norm", ...}
        A recorded (S, K) metric of the result.
    x : {"steps", "samples"}
        Abscissa: iteration count or samples drawn (stochastic oracles only).
    q : (float, float)
        Lower and upper quantile of the band.
    marker_divergence : bool
        Mark each diverged seed with an ``x`` at its divergence step and add a legend
        entry ``"k/S diverged at step t"``.

    Returns
    -------
    color
        The colour used, e.g. to draw the method's bound with :func:`plot_bound`.

    Notes
    -----
    Statistics at a checkpoint are over the seeds still running there; the curve stops
    at the last checkpoint where at least half of all seeds are still running.  Points
    with non-positive x are dropped on a log-scaled x axis, non-positive values on a
    log-scaled y axis; non-finite values and values beyond :data:`PLOT_LIMIT` are never drawn.
    """
    from .rates import median_band

    r = pool(results)
    try:
        values = np.asarray(r.metric(metric), dtype=float)
    except (AttributeError, KeyError):
        known = ", ".join(["suboptimality", "grad_norm", *r.extra])
        raise ValueError(f"unknown metric {metric!r}; recorded: {known}") from None
    values = _plottable(values)
    xs, x_per_step = _x_values(r, x)
    S = values.shape[0]
    div = np.asarray(r.diverged_at)
    diverged = div >= 0

    # seeds diverged by each checkpoint; draw where at least half are still running
    n_div = (diverged[:, None] & (div[:, None] <= r.steps[None, :])).sum(axis=0)
    finite = np.isfinite(values)
    has_data = finite.any(axis=0)
    draw = has_data & (2 * n_div < S)
    if ax.get_xscale() == "log":
        draw &= xs > 0

    med = np.full(values.shape[1], np.nan)
    lo = med.copy()
    hi = med.copy()
    if has_data.any():
        m, a, b = median_band(values[:, has_data], q=q)
        med[has_data], lo[has_data], hi[has_data] = m, a, b
    keep = draw & np.isfinite(med)
    if ax.get_yscale() == "log":
        keep &= med > 0

    (line,) = ax.plot(xs[keep], med[keep], color=color, label=label, lw=1.6)
    color = line.get_color()
    band_lo, band_hi = lo[keep], hi[keep]
    band_hi = np.where(np.isfinite(band_hi), band_hi, med[keep])
    ok_lo = np.isfinite(band_lo) & (band_lo > 0 if ax.get_yscale() == "log" else True)
    band_lo = np.where(ok_lo, band_lo, med[keep])
    ax.fill_between(xs[keep], band_lo, band_hi, color=color, alpha=0.2, lw=0)

    if marker_divergence and diverged.any():
        t_div = div[diverged]
        # y: the (running-seed) median at the last checkpoint before each divergence
        k_last = np.searchsorted(r.steps, t_div, side="left") - 1
        y_div = med[np.clip(k_last, 0, None)]
        ok = np.isfinite(y_div)
        if ax.get_yscale() == "log":
            ok &= y_div > 0
        note = f"{int(diverged.sum())}/{S} diverged at {_format_steps(t_div)}"
        ax.plot(
            t_div[ok] * x_per_step, y_div[ok], ls="none", marker="x", ms=7, mew=1.8,
            color=color, label=note,
        )

    if not ax.get_xlabel():
        ax.set_xlabel(_X_LABELS[x])
    if not ax.get_ylabel():
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    return color


def plot_bound(ax, x, y, color, label: str | None = None):
    """A theoretical bound: dashed line in the colour of its method.

    Parameters
    ----------
    ax : matplotlib Axes
    x, y : array-like
        Abscissae and bound values; non-finite points (and, on log axes, non-positive
        ones) are dropped.
    color : color
        Colour of the method, as returned by :func:`plot_runs`.
    label : str, optional

    Returns
    -------
    matplotlib.lines.Line2D
    """
    x = np.asarray(x, dtype=float)
    y = np.broadcast_to(np.asarray(y, dtype=float), x.shape)
    ok = np.isfinite(x) & np.isfinite(_plottable(y))
    if ax.get_yscale() == "log":
        ok &= y > 0
    if ax.get_xscale() == "log":
        ok &= x > 0
    (line,) = ax.plot(x[ok], y[ok], ls="--", lw=1.3, color=color, label=label)
    return line
