"""theory_lab.testing: each helper passes on the right measurement and fails on a mutant."""

import importlib.metadata

import numpy as np
import pytest

from theory_lab.testing import assert_below_bound, assert_exponent, assert_rate

pytest_plugins = ["pytester"]

RHO = 0.9801  # GD, lr = 1/L, mu/L = 0.01: per-step contraction of f once the fast mode is gone


def gd_run(lr="1/L", T=200):
    from theory_lab import RunConfig, run_config

    cfg = RunConfig(problem={"name": "quadratic", "d": 2, "kappa": 100.0, "L": 100.0, "noise": "none",
                             "spectrum": "log_uniform"},
                    optimizer={"name": "gd", "lr": lr}, T=T, seeds=range(1), spacing="linear",
                    n_checkpoints=41)
    return run_config(cfg)


@pytest.fixture(scope="module")
def run():
    return gd_run()


def synthetic(rho, S=4, K=50, seed=0):
    t = np.arange(K)
    noise = np.exp(0.01 * np.random.default_rng(seed).standard_normal((S, K)))
    return t, 3.0 * rho**t * noise


# -- assert_rate --------------------------------------------------------------------------
def test_assert_rate_passes_on_right_measurement(run):
    fit = assert_rate(run, predicted=RHO, rtol=1e-6, window=(10, 200))
    assert fit.rate == pytest.approx(RHO, rel=1e-9)
    assert_rate(synthetic(0.95), predicted=0.95, rtol=1e-3)


def test_assert_rate_fails_on_mutant(run):
    mutant = gd_run(lr="0.9/L")  # step 10% too short: rate (1 - 0.009)^2 = 0.98208
    with pytest.raises(AssertionError, match=r"measured rate 0\.982.*predicted 0\.9801.*window steps 10\.\.200"):
        assert_rate(mutant, predicted=RHO, rtol=1e-4, window=(10, 200))
    with pytest.raises(AssertionError, match="assert_rate"):
        assert_rate(synthetic(0.96), predicted=0.95, rtol=1e-3)
    with pytest.raises(TypeError, match="tolerance"):
        assert_rate(run, predicted=RHO)


# -- assert_exponent ----------------------------------------------------------------------
def test_assert_exponent_right_and_mutant():
    kappa = np.array([10.0, 100.0, 1000.0, 10000.0])
    iters = np.sqrt(kappa)[:, None] * np.exp(0.01 * np.random.default_rng(1).standard_normal((4, 5)))
    fit = assert_exponent(kappa, iters, 0.5, atol=0.02)
    assert fit.slope == pytest.approx(0.5, abs=0.02)
    with pytest.raises(AssertionError, match=r"measured exponent 0\.49.*predicted 1.*atol 0\.02.*x = 10\.\.10000"):
        assert_exponent(kappa, iters, 1.0, atol=0.02)  # mutant: SGD's exponent claimed for SHB
    with pytest.raises(AssertionError, match=r"measured exponent 0\.99.*predicted 0\.5"):
        assert_exponent(kappa, kappa[:, None] * iters / np.sqrt(kappa)[:, None], 0.5, atol=0.02)


# -- assert_below_bound -------------------------------------------------------------------
def test_assert_below_bound_with_registered_bounds(run):
    from theory_lab.bounds import bound_values

    bounds = {b.name: (b, y) for b, y in bound_values(run)}
    exact_b, exact_y = bounds["exact E f(w_t) - f*"]
    # the exact recursion is an equality: tightness 1 up to rounding
    assert assert_below_bound(run, exact_b, rtol=1e-9, tightness=1 - 1e-9) == pytest.approx(1.0)
    assert assert_below_bound(run, exact_y, rtol=1e-9, tightness=1 - 1e-9) == pytest.approx(1.0)
    rate_b, _ = bounds["rho^{2t} f0"]
    t = assert_below_bound(run, rate_b, tightness=1e-3)
    assert 1e-3 < t <= 1.0


def test_assert_below_bound_fails_on_mutants(run):
    from theory_lab.bounds import bound_values

    exact_y = dict((b.name, y) for b, y in bound_values(run))["exact E f(w_t) - f*"]
    steps, values = run.steps, run.suboptimality
    # mutant measurement: 1% above the exact value from step 10 on
    bad = values * np.where(steps >= 10, 1.01, 1.0)
    with pytest.raises(AssertionError, match=r"measured .* > bound .* at step 10 \(ratio 1\.01"):
        assert_below_bound((steps, bad), exact_y, rtol=1e-9, tightness=0.5)
    # mutant bound: 1000x too loose passes "below" but fails the floor
    with pytest.raises(AssertionError, match=r"too loose: max median measured/bound = 0\.001 < tightness floor 0\.5"):
        assert_below_bound(run, 1000 * exact_y, tightness=0.5)
    assert assert_below_bound(run, 1000 * exact_y, loose=True) == pytest.approx(1e-3)
    with pytest.raises(TypeError, match="tightness floor"):
        assert_below_bound(run, exact_y)
    # a window restricts the check
    assert_below_bound((steps, bad), exact_y, rtol=1e-9, tightness=0.5, window=(0, 9))


def test_assert_below_bound_callable_bound():
    t, v = synthetic(0.9, S=3)
    assert assert_below_bound((t, v), lambda s: 3.2 * 0.9**s, tightness=0.9, stat="max") > 0.9
    with pytest.raises(AssertionError, match="max measured"):
        assert_below_bound((t, v), lambda s: 3.0 * 0.89**s, tightness=0.5, stat="max")


# -- the pytest plugin --------------------------------------------------------------------
def _entry_point_installed() -> bool:
    eps = importlib.metadata.entry_points(group="pytest11")
    return any(ep.value == "theory_lab.testing" for ep in eps)


def test_helpers_as_fixtures_via_plugin(pytester):
    pytester.makepyfile(
        """
        import numpy as np

        def test_right(assert_rate, assert_below_bound, assert_exponent):
            t = np.arange(30)
            assert_rate((t, 2 * 0.9 ** t), predicted=0.9, rtol=1e-9)
            assert_below_bound((t, 0.9 ** t), 0.9 ** t, tightness=0.99, rtol=1e-12)
            assert_exponent(np.array([1.0, 10.0, 100.0]), np.array([1.0, 10.0, 100.0]) ** 0.5, 0.5, atol=1e-9)

        def test_mutant(assert_rate):
            t = np.arange(30)
            assert_rate((t, 2 * 0.91 ** t), predicted=0.9, rtol=1e-3)
        """
    )
    args = [] if _entry_point_installed() else ["-p", "theory_lab.testing"]
    result = pytester.runpytest_inprocess(*args)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*assert_rate: measured rate 0.91*predicted 0.9*"])
