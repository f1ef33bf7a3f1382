r"""Measured rates with confidence intervals over seeds.

Every seed of a run is an independent replicate, so rates are estimated *per seed* and
the spread over seeds gives the uncertainty:

* :func:`fit_linear_rate`: per-step contraction factor :math:`\rho` of a linearly
  (geometrically) converging sequence, :math:`f_t \approx C \rho^t`;
* :func:`fit_loglog`: exponent :math:`p` of a power law :math:`y \approx C x^p`
  (e.g. iterations to :math:`\epsilon` against :math:`\kappa`: :math:`p = 1/2` for
  accelerated methods, :math:`1` for plain ones);
* :func:`iterations_to_epsilon`: per-seed hitting times of a run;
* :func:`median_band`: median and quantile band over seeds, for plots.

Confidence intervals
--------------------
With :math:`n \ge 2` usable seeds, the slope is fitted by least squares on each seed
separately and the interval is the Student-t interval of the mean of these :math:`n`
slopes, :math:`\bar s \pm t_{n-1,(1+\text{level})/2}\, \mathrm{sd}(s)/\sqrt n`: it treats
seeds as the independent unit, and so needs no model of the (strongly autocorrelated)
noise along one trajectory.  With a single seed (or 1-D input) the interval is the
classical regression t-interval of that one fit (residual variance, :math:`m - 2` degrees
of freedom); it assumes independent residuals and is usually too narrow for a stochastic
trajectory.  Either way ``Fit.stderr`` is the standard error used and ``Fit.n`` the
number of seeds (or, for one seed, of points) behind it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .results import RunResult
from .validation import check_positive

__all__ = [
    "Fit",
    "RateFit",
    "fit_linear_rate",
    "fit_loglog",
    "iterations_to_epsilon",
    "median_band",
]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


@dataclass(frozen=True)
class Fit:
    """A fitted slope with its confidence interval.

    Attributes
    ----------
    slope, intercept : float
        Of the fitted line (mean over seeds when fitted per seed).
    ci_low, ci_high : float
        Confidence interval of ``slope`` at ``level``.
    stderr : float
        Standard error of ``slope``.
    n : int
        Seeds behind the interval (points, for a single-series regression).
    level : float
        Confidence level of the interval.
    per_seed : numpy.ndarray or None
        Slopes of the individual seeds (for per-seed fits).
    """

    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    stderr: float
    n: int
    level: float = 0.95
    per_seed: np.ndarray | None = None

    def __str__(self) -> str:
        return f"{_fmt(self.slope)} [{_fmt(self.ci_low)}, {_fmt(self.ci_high)}]"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence interval."""
        return self.ci_low <= value <= self.ci_high


@dataclass(frozen=True)
class RateFit:
    r"""A per-step contraction factor :math:`\rho` with its confidence interval.

    Attributes
    ----------
    rate : float
        :math:`\rho = e^{s}`, with :math:`s` the mean log-slope (``log_fit.slope``).
    ci_low, ci_high : float
        Confidence interval of ``rate`` (the log-slope interval mapped through ``exp``).
    log_fit : Fit
        The fit on the log scale: ``log(values) = intercept + slope * step``.
    """

    rate: float
    ci_low: float
    ci_high: float
    log_fit: Fit

    @property
    def slope(self) -> float:
        """Log-rate :math:`s = \\log\\rho` (per step)."""
        return self.log_fit.slope

    @property
    def intercept(self) -> float:
        return self.log_fit.intercept

    @property
    def stderr(self) -> float:
        """Standard error of the log-rate ``slope``."""
        return self.log_fit.stderr

    @property
    def n(self) -> int:
        return self.log_fit.n

    @property
    def level(self) -> float:
        return self.log_fit.level

    @property
    def per_seed(self) -> np.ndarray | None:
        """Per-seed contraction factors."""
        s = self.log_fit.per_seed
        return None if s is None else np.exp(s)

    def __str__(self) -> str:
        return f"{_fmt(self.rate)} [{_fmt(self.ci_low)}, {_fmt(self.ci_high)}]"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence interval of the rate."""
        return self.ci_low <= value <= self.ci_high


# -- fitting core --------------------------------------------------------------------
def _check_level(level) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    return level


def _ols(x: np.ndarray, y: np.ndarray):
    """Slope, intercept and slope stderr (inf if fewer than 3 points) of y ~ a + b x."""
    m = x.size
    xm, ym = x.mean(), y.mean()
    sxx = np.sum((x - xm) ** 2)
    b = np.sum((x - xm) * (y - ym)) / sxx
    a = ym - b * xm
    if m > 2:
        resid = y - a - b * x
        se = math.sqrt(float(np.sum(resid**2)) / (m - 2) / sxx)
    else:
        se = math.inf
    return float(b), float(a), se


def _fit_series(x: np.ndarray, Y: np.ndarray, level: float, what: str) -> Fit:
    """Per-column fits of Y (m, S) on x (m,), NaN entries ignored, combined over columns."""
    slopes, intercepts, single = [], [], None
    for j in range(Y.shape[1]):
        ok = np.isfinite(Y[:, j])
        if ok.sum() < 2 or np.ptp(x[ok]) == 0:
            continue
        b, a, se = _ols(x[ok], Y[ok, j])
        slopes.append(b)
        intercepts.append(a)
        single = (b, a, se, int(ok.sum()))
    if not slopes:
        raise ValueError(
            f"{what}: no seed has two usable points (finite, positive values at distinct x) "
            "to fit; all diverged, all NaN/non-positive, or the window is empty"
        )
    q = (1.0 + level) / 2.0
    slopes = np.asarray(slopes)
    n = slopes.size
    if n == 1:
        b, a, se, m = single
        half = se * stats.t.ppf(q, m - 2) if m > 2 else math.inf
        return Fit(b, a, b - half, b + half, se, m, level, slopes)
    mean = float(slopes.mean())
    se = float(slopes.std(ddof=1) / math.sqrt(n))
    half = se * float(stats.t.ppf(q, n - 1))
    return Fit(mean, float(np.mean(intercepts)), mean - half, mean + half, se, n, level, slopes)


def _log_or_nan(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values) & (values > 0)
    out[ok] = np.log(values[ok])
    return out


# -- public tools --------------------------------------------------------------------
def fit_linear_rate(steps, values, start=None, stop=None, level: float = 0.95) -> RateFit:
    r"""Per-step contraction factor of geometrically decaying values, with a CI over seeds.

    Fits :math:`\log v_t = a + s\,t` on each seed over the window
    ``start <= step <= stop`` and reports :math:`\rho = e^{s}`, so that
    :math:`v_t \approx C\rho^t` (:math:`\rho < 1`: linear convergence).

    Parameters
    ----------
    steps : array (K,)
        Step (iteration) of each column of ``values``.
    values : array (S, K) or (K,)
        E.g. ``result.suboptimality``; one row per seed.
    start, stop : float, optional
        Inclusive window on ``steps``; default: all.  Choose it inside the linear
        phase: before the noise floor of a stochastic method, and before values reach
        the floating-point floor (~1e-30 for float64 suboptimality).
    level : float
        Confidence level.

    Returns
    -------
    RateFit
        ``.rate``, ``.ci_low``, ``.ci_high`` on the contraction-factor scale;
        ``.log_fit`` the underlying :class:`Fit` of the log-slope (interval described in
        the module docstring).

    Raises
    ------
    ValueError
        Mismatched shapes, a bad level, or no seed with two usable points in the window.

    Notes
    -----
    NaN, infinite and non-positive values (diverged seeds, whose metrics are NaN after
    divergence) are ignored point by point; a seed left with fewer than two points is
    dropped.  A seed that diverged inside the window still contributes its finite,
    growing prefix (a rate > 1), which is the honest measurement; pick a stable
    configuration or a window before divergence if that is not wanted.
    """
    level = _check_level(level)
    steps = np.asarray(steps, dtype=float)
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    if steps.ndim != 1 or values.ndim != 2 or values.shape[1] != steps.size:
        raise ValueError(
            f"steps must be (K,) and values (S, K) or (K,); got {steps.shape} and {values.shape}"
        )
    window = np.ones(steps.size, dtype=bool)
    if start is not None:
        window &= steps >= start
    if stop is not None:
        window &= steps <= stop
    if window.sum() < 2:
        raise ValueError(
            f"fit_linear_rate: window [{start}, {stop}] holds {int(window.sum())} step(s), need >= 2"
        )
    logs = _log_or_nan(values[:, window]).T
    fit = _fit_series(steps[window], logs, level, "fit_linear_rate")
    return RateFit(math.exp(fit.slope), math.exp(fit.ci_low), math.exp(fit.ci_high), fit)


def fit_loglog(x, y, level: float = 0.95) -> Fit:
    r"""Exponent :math:`p` of a power law :math:`y \approx C x^p`, with a CI.

    Least squares of :math:`\log y` on :math:`\log x`.

    Parameters
    ----------
    x : array (n_x,)
        Positive abscissae (e.g. condition numbers).
    y : array (n_x,) or (n_x, S)
        Positive values; with a seed axis, each seed (column) is fitted separately.
    level : float
        Confidence level.

    Returns
    -------
    Fit
        ``slope`` is the exponent :math:`p`, ``intercept`` is :math:`\log C`.  For 2-D
        ``y`` with at least two usable seeds: mean of the per-seed exponents with the
        t-interval over seeds; for 1-D ``y`` (or one usable seed): the regression
        t-interval with ``n_x - 2`` degrees of freedom (infinite for two points).

    Raises
    ------
    ValueError
        Non-positive or non-finite ``x``, mismatched shapes, or no seed with two usable
        points.

    Notes
    -----
    Non-finite or non-positive ``y`` entries (e.g. ``np.inf`` from
    :func:`iterations_to_epsilon` for a seed that never reached the target) are dropped
    point by point, which biases the exponent when it happens at the hard end of the
    range: check ``per_seed`` and the input when the fit looks off.
    """
    level = _check_level(level)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    if not np.all(np.isfinite(x) & (x > 0)):
        raise ValueError(f"x must be finite and positive for a log-log fit, got {x}")
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != x.size:
        raise ValueError(f"y must be (n_x,) or (n_x, S) with n_x = {x.size}, got {y.shape}")
    return _fit_series(np.log(x), _log_or_nan(y), level, "fit_loglog")


def iterations_to_epsilon(result: RunResult, eps: float) -> np.ndarray:
    r"""Per-seed number of steps until suboptimality :math:`\le \epsilon`: the exact first step.

    The runner checks the target at *every* step when the config sets ``epsilon`` and
    records the first step per seed (``result.hit_step``); that exact step is returned.
    There is no checkpoint fallback: reading the first checkpoint below ``eps`` rounds up to
    the checkpoint spacing (5-16 % high on log-spaced checkpoints), so a run that did not
    track ``eps`` is refused.

    Parameters
    ----------
    result : RunResult
    eps : float
        Target suboptimality (> 0); must equal ``result.config["epsilon"]`` (relative
        tolerance 1e-12).

    Returns
    -------
    numpy.ndarray (S,) of float
        ``result.hit_step`` as floats, ``np.inf`` for seeds that never reached the target,
        including seeds that diverged first.  (A seed that reached it and diverged
        afterwards keeps its hitting step.)

    Raises
    ------
    UserError
        If ``eps`` is not positive, or the run did not record this target (no ``epsilon``
        in its config, or a different one): the message says to set ``epsilon`` in the
        config (``RunConfig(..., epsilon=eps)``) and rerun.
    """
    from .errors import UserError

    try:
        eps = check_positive("eps", eps)
    except UserError:
        raise
    except ValueError as exc:
        raise UserError(str(exc)) from None
    cfg = result.config
    run_eps = cfg.get("epsilon")
    if run_eps is not None and math.isclose(float(run_eps), eps, rel_tol=1e-12):
        hit = np.asarray(result.hit_step)
        return np.where(hit >= 0, hit.astype(float), np.inf)
    if run_eps is None:
        why = "the run did not track any epsilon"
    elif cfg.get("stop_at_epsilon") and eps < float(run_eps):
        why = (f"the run tracked epsilon = {run_eps} and stopped there (stop_at_epsilon), so a "
               "smaller eps was never observed")
    else:
        why = f"the run tracked epsilon = {run_eps}"
    raise UserError(
        f"iterations_to_epsilon(eps={eps}): {why}; set epsilon={eps} in the config "
        "(RunConfig(..., epsilon=eps)) and rerun to get the exact first step (checkpoints "
        "would only bound it from above)"
    )


def median_band(values, q=(0.1, 0.9)):
    """Median and quantile band over seeds (axis 0), ignoring NaN.

    Parameters
    ----------
    values : array (S, ...) of float
        One row per seed, NaN for missing (e.g. after divergence).
    q : (float, float)
        Lower and upper quantiles in [0, 1].

    Returns
    -------
    (median, lo, hi) : arrays of shape ``values.shape[1:]``
        NaN where no seed has a value (nothing to plot there); no warning is emitted.
    """
    lo_q, hi_q = (float(v) for v in q)
    if not (0.0 <= lo_q <= hi_q <= 1.0):
        raise ValueError(f"q must be two quantiles 0 <= lo <= hi <= 1, got {q!r}")
    values = np.asarray(values, dtype=float)
    if values.ndim == 0 or values.shape[0] == 0:
        raise ValueError(f"values must have a non-empty seed axis 0, got shape {values.shape}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        med = np.nanmedian(values, axis=0)
        lo, hi = np.nanquantile(values, [lo_q, hi_q], axis=0)
    return med, lo, hi
