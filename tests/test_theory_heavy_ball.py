"""Heavy ball theory (sympy) against direct linear algebra and against measured runs.

Measured rates: deterministic heavy ball / GD through ``theory_lab.runner.run`` on
``problems.anisotropic_quadratic(noise="none")``; the per-step contraction is the slope of
``log ||grad f(w_t)||`` (and of ``log(f(w_t) - f*) / 2``, suboptimality contracting like
``rate**2``) fitted over the second half of the run, and must equal the sympy rate within
1e-3 relative.  At Polyak's optimal parameters both edges of the spectrum are Jordan
blocks (double roots), so the error decays like ``t * rate**t``: the fit includes a
``log t`` column there (a plain exponential fit is off by the window average of
``d log t / dt``, which the test also checks).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import problems
from theory_lab import run
from theory_lab.optimizers import heavy_ball, sgd
from theory_lab.theory import (
    gd_rate,
    hb_rate,
    iterations_to_epsilon,
    matrix_power,
    optimal_gd_params,
    optimal_hb_params,
    shb_theory_params,
    spectral_radius,
    stationary_covariance,
)
from theory_lab.theory import heavy_ball as hbt

REL = 1e-3


def _fit_rate(steps, y, lo, hi, log_t=False):
    """exp(slope) of log y ~ a + b t (+ c log t) over lo <= t <= hi."""
    m = (steps >= lo) & (steps <= hi)
    t = steps[m].astype(float)
    cols = [np.ones_like(t), t] + ([np.log(t)] if log_t else [])
    coef, *_ = np.linalg.lstsq(np.stack(cols, axis=1), np.log(y[m]), rcond=None)
    return math.exp(coef[1])


def _measure(problem, opt, T, log_t=False):
    out = run(problem, opt, T, n_checkpoints=T + 1, spacing="linear")
    steps, g, f = out["steps"], out["grad_norm"][0], out["suboptimality"][0]
    assert len(steps) == T + 1 and np.all(np.isfinite(g)) and g[-1] > 0 and f[-1] > 0
    return (
        _fit_rate(steps, g, T // 2, T, log_t),
        math.sqrt(_fit_rate(steps, f, T // 2, T, log_t)),
        (steps, g),
    )


# ----------------------------------------------------------------------------- symbolic
def test_characteristic_polynomial_and_matrix():
    z = sp.Symbol("z")
    eta, beta, lam = hbt.ETA, hbt.BETA, hbt.LAM
    expected = z**2 - (1 + beta - eta * lam) * z + beta
    assert sp.simplify(hbt.characteristic_polynomial() - sp.expand(expected)) == 0
    A = hbt.iteration_matrix()
    assert A.shape == (2, 2) and A[0, 1] == -beta and A[1, 0] == 1 and A[1, 1] == 0


def test_spectral_radius_matches_eigenvalues():
    rng = np.random.default_rng(0)
    n = 4000
    eta = rng.uniform(0.0, 3.0, n)
    beta = np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0.0, 0.999, n))
    lam = rng.uniform(1e-4, 1.5, n)
    rho = spectral_radius(eta, beta, lam)
    A = np.zeros((n, 2, 2))
    A[:, 0, 0], A[:, 0, 1], A[:, 1, 0] = 1 + beta - eta * lam, -beta, 1.0
    ref = np.abs(np.linalg.eigvals(A)).max(axis=1)
    assert rho.shape == (n,)
    np.testing.assert_allclose(rho, ref, rtol=1e-7, atol=1e-12)  # eigvals ~ sqrt(eps) at double roots
    # scalar in, float out; complex branch exactly sqrt(beta)
    assert spectral_radius(0.5, 0.81, 0.5) == pytest.approx(0.9, abs=1e-15)


def test_matrix_power_closed_form():
    assert hbt.h_sequence_identity_holds()
    rng = np.random.default_rng(1)
    eta_o, beta_o, _ = optimal_hb_params(1.0, 0.01)
    cases = [(eta_o, beta_o, 0.01), (eta_o, beta_o, 1.0), (1.0, 0.0, 1.0), (0.3, 0.0, 0.7)]
    cases += [(rng.uniform(0, 2.5), rng.uniform(0, 0.99), rng.uniform(0.001, 1)) for _ in range(200)]
    for eta, beta, lam in cases:
        A = np.array([[1 + beta - eta * lam, -beta], [1.0, 0.0]])
        for n in (1, 2, 7, 60):
            ref = np.linalg.matrix_power(A, n)
            got = matrix_power(eta, beta, lam, n)
            assert np.abs(got - ref).max() <= 1e-9 * max(1.0, np.abs(ref).max())


def test_stationary_covariance_solves_lyapunov():
    eta, beta, lam, q = 0.7, 0.6, np.array([0.01, 0.3, 1.0]), np.array([0.5, 1.0, 2.0])
    P = stationary_covariance(eta, beta, lam, q)
    for i in range(3):
        A = np.array([[1 + beta - eta * lam[i], -beta], [1.0, 0.0]])
        Q = np.array([[eta**2 * q[i], 0.0], [0.0, 0.0]])
        np.testing.assert_allclose(A @ P[i] @ A.T + Q, P[i], rtol=1e-12)
        assert np.all(np.linalg.eigvalsh(P[i]) > 0)
    # unstable mode -> inf
    assert np.isinf(stationary_covariance(3.0, 0.0, 1.0, 1.0)).all()


# ----------------------------------------------------------------------------- parameters
def test_optimal_hb_derivation_symbolic():
    d = hbt.optimal_hb_derivation()
    assert d["verified"]
    assert d["disc_at_mu"] == 0 and d["disc_at_L"] == 0
    L, mu = sp.symbols("L mu", positive=True)
    assert sp.simplify(d["eta"] - 4 / (sp.sqrt(L) + sp.sqrt(mu)) ** 2) == 0
    assert hbt.shb_theory_derivation()["verified"]


@pytest.mark.parametrize("kappa", [1.5, 10.0, 100.0, 1e4])
def test_optimal_hb_rate_is_sqrt_beta_on_the_whole_interval(kappa):
    L, mu = 2.0, 2.0 / kappa
    eta, beta, rate = optimal_hb_params(L, mu)
    sk = math.sqrt(kappa)
    assert rate == pytest.approx((sk - 1) / (sk + 1), rel=1e-14)
    assert beta == pytest.approx(rate**2, rel=1e-14)
    grid = np.linspace(mu, L, 2001)
    rho = spectral_radius(eta, beta, grid)
    np.testing.assert_allclose(rho, rate, rtol=1e-7)  # sqrt of the rounding of D near 0 at the edges
    assert hb_rate(eta, beta, grid) == pytest.approx(rate, rel=1e-7)
    eta_gd, rate_gd = optimal_gd_params(L, mu)
    assert gd_rate(eta_gd, grid) == pytest.approx(rate_gd, rel=1e-12)
    assert rate < rate_gd or kappa == 1.0


@pytest.mark.parametrize("c", [0.25, 0.7, 1.0])
def test_shb_theory_params_rate(c):
    kappa = 400.0
    eta, beta, rate = shb_theory_params(1.0, 1.0 / kappa, c)
    assert eta == 1.0 and beta == pytest.approx((1 - c / 20.0) ** 2)
    assert rate == pytest.approx(1 - c / 20.0, rel=1e-12)
    grid = np.geomspace(1.0 / kappa, 1.0, 3001)
    assert np.max(spectral_radius(eta, beta, grid)) == pytest.approx(rate, rel=1e-7)


def test_shb_theory_params_overdamped_for_c_above_one():
    eta, beta, rate = shb_theory_params(1.0, 0.01, c=2.0)
    assert rate > math.sqrt(beta) + 1e-3  # the edge lambda = mu is overdamped (real roots)


def test_iterations_to_epsilon_matches_gd_hit_step():
    # GD at 2/(L+mu) on a two-cluster spectrum: every mode contracts at exactly `rate`,
    # so f_t = f0 rate^(2t) and the hitting step is ceil(iterations_to_epsilon).
    p = problems.anisotropic_quadratic(d=10, kappa=50.0, spectrum="two_clusters", noise="none", seed=2)
    c = p.constants()
    eta, rate = optimal_gd_params(c["L"], c["mu"])
    eps = 1e-9 * c["f0"]
    n = iterations_to_epsilon(rate, c["f0"], eps)
    out = run(p, sgd(eta, oracle="exact"), 2000, epsilon=eps, stop_at_epsilon=True)
    assert out["hit_step"][0] == math.ceil(n - 1e-9)
    assert iterations_to_epsilon(rate, 1.0, 2.0) == 0.0


# ----------------------------------------------------------------------------- measured rates
@pytest.mark.parametrize("spectrum,rotate", [("two_clusters", False), ("log_uniform", True)])
def test_measured_rate_optimal_heavy_ball(spectrum, rotate):
    p = problems.anisotropic_quadratic(
        d=20, kappa=100.0, spectrum=spectrum, noise="none", seed=3, rotate=rotate
    )
    c = p.constants()
    eta, beta, rate = optimal_hb_params(c["L"], c["mu"])
    assert rate == pytest.approx(hb_rate(eta, beta, p.eigenvalues), rel=1e-7)
    T = 1000
    r_g, r_f, (steps, g) = _measure(p, heavy_ball(eta, beta, oracle="exact"), T, log_t=True)
    assert abs(r_g / rate - 1) < REL
    assert abs(r_f / rate - 1) < REL
    # Without the log t column the fit is biased by the Jordan prefactor t: the bias in
    # log-rate is the least-squares slope of log t over the window (about log 2 / 500).
    r_plain = _fit_rate(steps, g, T // 2, T)
    m = steps >= T // 2
    jordan = np.polyfit(steps[m], np.log(steps[m]), 1)[0]
    assert math.log(r_plain / rate) == pytest.approx(jordan, rel=0.02)


@pytest.mark.parametrize("spectrum", ["two_clusters", "log_uniform"])
def test_measured_rate_gd_optimal_step(spectrum):
    p = problems.anisotropic_quadratic(d=20, kappa=100.0, spectrum=spectrum, noise="none", seed=4)
    c = p.constants()
    eta, rate = optimal_gd_params(c["L"], c["mu"])
    r_g, r_f, _ = _measure(p, sgd(eta, oracle="exact"), 3000)
    assert abs(r_g / rate - 1) < REL
    assert abs(r_f / rate - 1) < REL


def test_measured_rate_heavy_ball_real_roots():
    # eta = 1/L, beta = 0.5, kappa = 100: at lambda = mu, D = 1.49^2 - 2 > 0 -> real roots,
    # radius (|a| + sqrt D)/2 = 0.97957 > sqrt(beta) = 0.707.
    p = problems.anisotropic_quadratic(d=20, kappa=100.0, spectrum="log_uniform", noise="none", seed=5)
    c = p.constants()
    eta, beta = 1.0 / c["L"], 0.5
    a = 1 + beta - eta * c["mu"]
    assert a * a - 4 * beta > 0
    rate = hb_rate(eta, beta, p.eigenvalues)
    assert rate == pytest.approx((a + math.sqrt(a * a - 4 * beta)) / 2, rel=1e-14)
    assert rate > math.sqrt(beta) + 0.2
    r_g, r_f, _ = _measure(p, heavy_ball(eta, beta, oracle="exact"), 1500)
    assert abs(r_g / rate - 1) < REL
    assert abs(r_f / rate - 1) < REL


def test_theory_package_is_lazy_and_complete():
    """`theory_lab.theory` resolves every name of ``__all__`` (and its submodules) on access, and
    importing a light submodule such as ``decentralized_bounds`` does not import sympy."""
    import subprocess
    import sys
    from pathlib import Path

    import theory_lab.theory as theory

    for name in theory.__all__:
        assert callable(getattr(theory, name)), name
    assert theory.expected_risk is __import__("theory_lab.theory.quadratic_risk",
                                              fromlist=["x"]).expected_risk
    assert theory.pep.__name__ == "theory_lab.theory.pep"
    with pytest.raises(AttributeError):
        theory.no_such_name  # noqa: B018
    code = "import sys, theory_lab.theory.decentralized_bounds; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ,
                              "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
