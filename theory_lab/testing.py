r"""Assertions for users' own test suites: measured rates, exponents and bounds against theory.

Three helpers, plain functions and pytest fixtures of the same names:

* :func:`assert_rate` -- the fitted per-step contraction :math:`\hat\rho` (log-linear fit over
  a window, :func:`theory_lab.rates.fit_linear_rate`) equals a predicted :math:`\rho`
  within :math:`\text{atol} + \text{rtol}\,\rho`;
* :func:`assert_exponent` -- a log-log slope (:func:`theory_lab.rates.fit_loglog`) equals a
  predicted exponent within ``atol``;
* :func:`assert_below_bound` -- a measured curve stays below a bound at every step of a
  window, *and* reaches a tightness floor: :math:`\max_t m_t/B_t \ge` ``tightness``
  (a bound a thousand times too large passes the first check for any method, so the
  floor is required, or an explicit ``loose=True``).

Tolerances should come from the theory (e.g. the discretization of the fit, a solver's
accuracy), fixed before looking at the data.  Failure messages give the measured value
(with its confidence interval), the prediction, the tolerance and the window.

Use as fixtures: the plugin is registered under the ``pytest11`` entry point
``theory_lab`` (active once theory-lab is installed, ``pip install -e .``); without the
installed entry point, add to the top-level ``conftest.py``::

    pytest_plugins = ["theory_lab.testing"]

and then::

    def test_gd_rate(assert_rate):
        res = run_config(cfg)
        assert_rate(res, predicted=1 - 1 / kappa, rtol=1e-2, window=(10, 200))

References
----------
.. [1] PEPit's test suite (``tests/test_examples.py``): computed worst case against the
   theoretical value, "equal" where tight, "below" where an upper bound.
"""

from __future__ import annotations

import numpy as np
import pytest

__all__ = ["assert_below_bound", "assert_exponent", "assert_rate"]


def _series(measured, metric: str = "suboptimality"):
    """(steps, values (S, K)) from a RunResult or a (steps, values) pair."""
    if hasattr(measured, "steps") and hasattr(measured, "metric"):
        steps, values = np.asarray(measured.steps), np.asarray(measured.metric(metric), float)
    else:
        try:
            steps, values = measured
        except (TypeError, ValueError):
            raise TypeError("measured must be a RunResult or a (steps, values) pair") from None
        steps, values = np.asarray(steps), np.asarray(values, float)
    if values.ndim == 1:
        values = values[None, :]
    if steps.ndim != 1 or values.shape[-1] != steps.size:
        raise ValueError(f"steps (K,) and values (S, K) do not match: {steps.shape}, {values.shape}")
    return steps, values


def _window_mask(steps, window):
    start, stop = window if window is not None else (None, None)
    mask = np.ones(steps.size, bool)
    if start is not None:
        mask &= steps >= start
    if stop is not None:
        mask &= steps <= stop
    return mask


def _window_text(steps, mask) -> str:
    s = steps[mask]
    return f"steps {s.min():g}..{s.max():g} ({s.size} checkpoints)" if s.size else "empty window"


def _tol(rtol, atol, scale) -> float:
    if rtol is None and atol is None:
        raise TypeError("give a tolerance from the theory: rtol=... and/or atol=...")
    return (atol or 0.0) + (rtol or 0.0) * abs(scale)


def assert_rate(measured, predicted: float, *, rtol: float | None = None, atol: float | None = None,
                window: tuple | None = None, metric: str = "suboptimality", level: float = 0.95):
    r"""Assert that the measured per-step contraction factor equals ``predicted``.

    Parameters
    ----------
    measured : RunResult or (steps, values)
        ``values`` of shape (S, K) or (K,), geometrically decaying in the window.
    predicted : float
        :math:`\rho`, e.g. :math:`\max_i|1-\eta\lambda_i|^2` for GD's suboptimality.
    rtol, atol : float
        Pass when :math:`|\hat\rho - \rho| \le \text{atol} + \text{rtol}\,\rho`; at least one.
    window : (start, stop), optional
        Inclusive step window of the fit (inside the linear phase).
    metric : str
        Recorded metric of a RunResult.
    level : float
        Confidence level of the interval shown in the message.

    Returns
    -------
    theory_lab.rates.RateFit

    Raises
    ------
    AssertionError
        With measured rate and CI, predicted rate, tolerance and window.
    """
    from .rates import fit_linear_rate

    steps, values = _series(measured, metric)
    tol = _tol(rtol, atol, predicted)
    start, stop = window if window is not None else (None, None)
    fit = fit_linear_rate(steps, values, start=start, stop=stop, level=level)
    err = abs(fit.rate - predicted)
    if not err <= tol:
        raise AssertionError(
            f"assert_rate: measured rate {fit.rate:.6g} [{fit.ci_low:.6g}, {fit.ci_high:.6g}] "
            f"({level:.0%} CI, n={fit.n}), predicted {predicted:.6g}: |difference| "
            f"{err:.3g} > tolerance {tol:.3g} (rtol={rtol}, atol={atol}); window "
            f"{_window_text(steps, _window_mask(steps, window))}"
        )
    return fit


def assert_exponent(x, y, predicted: float, *, atol: float, level: float = 0.95):
    r"""Assert that the log-log slope of ``y`` against ``x`` equals ``predicted`` within ``atol``.

    Parameters
    ----------
    x : array (n_x,)
        Positive abscissae (e.g. :math:`\kappa`).
    y : array (n_x,) or (n_x, S)
        Positive values (e.g. iterations to :math:`\epsilon`), seeds as columns.
    predicted : float
        The exponent :math:`p` of :math:`y \propto x^p`.
    atol : float
        Pass when :math:`|\hat p - p| \le` ``atol``.

    Returns
    -------
    theory_lab.rates.Fit
    """
    from .rates import fit_loglog

    if atol is None or not atol >= 0:
        raise TypeError("assert_exponent needs atol >= 0 (a tolerance from the theory)")
    fit = fit_loglog(x, y, level=level)
    err = abs(fit.slope - predicted)
    if not err <= atol:
        xv = np.asarray(x, float)
        raise AssertionError(
            f"assert_exponent: measured exponent {fit.slope:.4g} [{fit.ci_low:.4g}, {fit.ci_high:.4g}] "
            f"({level:.0%} CI, n={fit.n}), predicted {predicted:.4g}: |difference| {err:.3g} > "
            f"atol {atol:.3g}; window x = {xv.min():g}..{xv.max():g} ({xv.size} points)"
        )
    return fit


def _bound_array(bound, steps, measured):
    if callable(bound) and not hasattr(bound, "curve"):
        return np.asarray(bound(steps), float)
    if hasattr(bound, "curve"):  # a registered theory_lab.bounds.Bound
        from .bounds import context

        return np.asarray(bound.curve(context(measured), steps), float)
    b = np.asarray(bound, float)
    return np.broadcast_to(b, steps.shape).astype(float)


_STATS = {"median": lambda v: np.nanmedian(v, axis=0), "mean": lambda v: np.nanmean(v, axis=0),
          "max": lambda v: np.nanmax(v, axis=0)}


def assert_below_bound(measured, bound, *, tightness: float | None = None, loose: bool = False,
                       rtol: float = 0.0, window: tuple | None = None, stat: str = "median",
                       metric: str = "suboptimality"):
    r"""Assert ``measured <= bound`` over a window, and that the bound is not vacuous.

    Parameters
    ----------
    measured : RunResult or (steps, values)
        ``values`` (S, K) or (K,); reduced over seeds by ``stat``.
    bound : array (K,), callable ``steps -> array`` or :class:`theory_lab.bounds.Bound`
        (a registered bound is evaluated on the RunResult's context).
    tightness : float in (0, 1]
        Tightness floor: the largest ratio :math:`\max_t m_t / B_t` over the window must be
        at least this.  Required unless ``loose=True``.
    loose : bool
        Declare explicitly that the bound is not expected to be tight (no floor).
    rtol : float
        Slack: pass when :math:`m_t \le (1 + \text{rtol}) B_t` (e.g. seed noise of a median).
    window : (start, stop), optional
        Inclusive step window.
    stat : {"median", "mean", "max"}
        Statistic over seeds.

    Returns
    -------
    float
        The tightness :math:`\max_t m_t/B_t` measured.

    Raises
    ------
    TypeError
        Neither ``tightness`` nor ``loose=True`` given.
    AssertionError
        A step above the bound (first offending step, measured, bound, ratio), or a bound
        looser than the floor.
    """
    if tightness is None and not loose:
        raise TypeError("assert_below_bound needs a tightness floor (tightness=0.1, say) or an "
                        "explicit loose=True: a vacuous bound would pass for any method")
    if tightness is not None and not 0 < tightness <= 1 + rtol:
        raise ValueError(f"tightness must lie in (0, 1], got {tightness}")
    if stat not in _STATS:
        raise ValueError(f"stat must be one of {sorted(_STATS)}, got {stat!r}")
    steps, values = _series(measured, metric)
    b = _bound_array(bound, steps, measured)
    m = _STATS[stat](values)
    mask = _window_mask(steps, window) & np.isfinite(b) & np.isfinite(m)
    if not mask.any():
        raise AssertionError(f"assert_below_bound: no step with a finite measurement and bound in "
                             f"window {window}")
    ratio = np.full(steps.shape, np.nan)
    ratio[mask] = m[mask] / b[mask]
    above = mask & (m > (1 + rtol) * b)
    where = _window_text(steps, mask)
    if above.any():
        k = int(np.flatnonzero(above)[0])
        worst = int(np.nanargmax(np.where(mask, ratio, np.nan)))
        raise AssertionError(
            f"assert_below_bound: {stat} measured {m[k]:.4g} > bound {b[k]:.4g} at step "
            f"{steps[k]:g} (ratio {ratio[k]:.4g}; {int(above.sum())} step(s) above; worst ratio "
            f"{ratio[worst]:.4g} at step {steps[worst]:g}; rtol={rtol}); window {where}"
        )
    tight = float(np.nanmax(ratio[mask]))
    if tightness is not None and not tight >= tightness:
        raise AssertionError(
            f"assert_below_bound: bound too loose: max {stat} measured/bound = {tight:.4g} < "
            f"tightness floor {tightness:.4g}; window {where}"
        )
    return tight


# -- pytest plugin: the same helpers as fixtures ------------------------------------------
@pytest.fixture(name="assert_rate")
def _assert_rate_fixture():
    """Fixture returning :func:`assert_rate`."""
    return assert_rate


@pytest.fixture(name="assert_exponent")
def _assert_exponent_fixture():
    """Fixture returning :func:`assert_exponent`."""
    return assert_exponent


@pytest.fixture(name="assert_below_bound")
def _assert_below_bound_fixture():
    """Fixture returning :func:`assert_below_bound`."""
    return assert_below_bound

