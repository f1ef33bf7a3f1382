"""Problem generators: declared constants, gradients and the noise models' covariances."""

import numpy as np
import pytest

import problems
from problems.spectra import SPECTRA
from theory_lab.random import SeedStreams


@pytest.mark.parametrize("kind", sorted(SPECTRA))
def test_spectra_hit_declared_constants(kind):
    ev = SPECTRA[kind](50, 300.0, L=2.0)
    assert ev.shape == (50,)
    assert ev.max() == 2.0 and ev.min() == pytest.approx(2.0 / 300.0, rel=1e-15)
    assert np.all(np.diff(ev) <= 0)


@pytest.mark.parametrize("rotate", [False, True])
def test_quadratic_value_gradient_constants(rotate):
    p = problems.make("quadratic", d=12, kappa=50.0, L=3.0, rotate=rotate, seed=4)
    c = p.constants()
    assert (c["L"], c["mu"], c["kappa"], c["d"]) == pytest.approx((3.0, 0.06, 50.0, 12))
    H = (p._host["rotation"] * p._eig_host) @ p._host["rotation"].T if rotate else np.diag(p._eig_host)
    assert np.linalg.eigvalsh(H).max() == pytest.approx(c["L"])
    w = np.random.default_rng(0).normal(size=(3, 12))
    assert np.allclose(p.gradient(w), w @ H)
    assert np.allclose(p.value(w), 0.5 * np.einsum("si,ij,sj->s", w, H, w))
    assert c["f0"] == pytest.approx(float(p.value(p.w0[None])[0]))
    # finite-difference check of the gradient
    e = 1e-6 * np.eye(12)[5]
    fd = (p.value(w + e) - p.value(w - e)) / 2e-6
    assert np.allclose(fd, p.gradient(w)[:, 5], rtol=1e-6, atol=1e-8)


def _empirical_noise_cov(p, w, batch, n=20000):
    streams = SeedStreams(range(n))
    W = np.broadcast_to(w, (n, p.dim)).copy()
    g = p.stochastic_gradient(W, batch, streams)
    noise = g - p.gradient(W)
    return noise.mean(0), noise.T @ noise / n


@pytest.mark.parametrize("rotate", [False, True])
def test_anisotropic_noise_covariance_is_sigma2_H_over_M(rotate):
    p = problems.make("quadratic", d=4, kappa=10.0, noise="anisotropic", sigma=2.0, rotate=rotate)
    mean, cov = _empirical_noise_cov(p, p.w0, batch=4)
    H = p.hessian_apply(np.eye(4))
    target = 4.0 * H / 4
    # 20000 samples: relative standard error of a covariance entry ~ sqrt(2/20000) = 1%
    assert np.abs(mean).max() < 5 * np.sqrt(target.max() / 20000)
    assert np.allclose(cov, target, atol=0.05 * target.max())


def test_isotropic_noise_covariance():
    p = problems.make("quadratic", d=3, kappa=10.0, noise="isotropic", sigma=1.5)
    _, cov = _empirical_noise_cov(p, p.w0, batch=9)
    assert np.allclose(cov, 0.25 * np.eye(3), atol=0.05 * 0.25)


def test_least_squares_oracle_unbiased_and_covariance_at_optimum():
    p = problems.make("quadratic", d=3, kappa=5.0, noise="least_squares", sigma=1.0)
    H = p.hessian_apply(np.eye(3))
    mean, cov = _empirical_noise_cov(p, p.w_star, batch=2)
    assert np.allclose(cov, H / 2, atol=0.05 * H.max())
    # away from w*: the exact covariance [(sigma^2 + D^T H D) H + H D D^T H] / M
    mean, cov = _empirical_noise_cov(p, p.w0, batch=2)
    D = p.w0 - p.w_star
    exact = ((1.0 + D @ H @ D) * H + np.outer(H @ D, H @ D)) / 2
    assert np.abs(mean).max() < 5 * np.sqrt(exact.max() / 20000)
    assert np.allclose(cov, exact, atol=0.06 * exact.max())
    # ... bounded by (sigma^2 + 4 (f - f*)) H / M
    f = float(p.value(p.w0[None])[0])
    assert np.linalg.eigvalsh((1 + 4 * f) * H / 2 - exact).min() > -1e-12


def test_registry_lists_quadratic():
    assert "quadratic" in problems.available()
