"""Anisotropic problems: declared constants are the measured ones, bad input is a clear error."""

import math

import numpy as np
import pytest

import problems
from problems.separable import anisotropic_vector, l1_l2_ratio, l1_linf_ratio
from theory_lab.random import SeedStreams


@pytest.mark.parametrize("kind", ["power_law", "two_level", "sparse_large"])
def test_generators_hit_the_target_ratios(kind):
    target = 0.6 if kind == "two_level" else 0.05
    L = anisotropic_vector(kind, 200, 2.0, target, which="L")
    assert L.max() == pytest.approx(2.0) and np.all(L > 0)
    assert abs(l1_linf_ratio(L) - target) <= 1e-9
    s = anisotropic_vector(kind, 200, 1.0, 0.75, which="sigma")
    assert abs(l1_l2_ratio(s) - 0.75) <= 1e-9


def test_constants_match_the_vectors():
    p = problems.make("separable_quadratic", d=50, L_values=list(np.linspace(0.1, 2, 50)),
                      sigma_values=list(np.linspace(0, 1, 50)))
    c = p.constants()
    L, s, e = np.linspace(0.1, 2, 50), np.linspace(0, 1, 50), p.initial_error
    assert c["L1"] == pytest.approx(L.sum(), rel=1e-14)
    assert c["dL_inf"] == pytest.approx(50 * 2.0, rel=1e-14)
    assert c["sigma1"] == pytest.approx(s.sum(), rel=1e-14)
    assert c["sqrt_d_sigma2"] == pytest.approx(math.sqrt(50) * np.linalg.norm(s), rel=1e-14)
    assert c["D_inf"] == pytest.approx(np.abs(e).max()) and c["D_2"] == pytest.approx(np.linalg.norm(e))


def test_noise_has_coordinate_variance_sigma_squared_over_M():
    # 4000 draws: the sample variance of each coordinate is within 5 standard errors
    # (sd of a Gaussian sample variance: var * sqrt(2/n)) of sigma_i^2 / M.
    sig = np.array([0.1, 1.0, 3.0])
    p = problems.make("separable_quadratic", d=3, L_values=[1.0, 1.0, 1.0], sigma_values=list(sig))
    n, M = 4000, 8
    streams = SeedStreams(range(n))
    w = np.zeros((n, 3)) + 0.3
    noise = p.stochastic_gradient(w, M, streams) - p.gradient(w)
    var = noise.var(axis=0, ddof=1)
    expect = sig**2 / M
    assert np.all(np.abs(var - expect) <= 5 * expect * math.sqrt(2 / n)), (var, expect)


@pytest.mark.parametrize("name", ["separable_quadratic", "separable_cosh", "separable_cosine",
                                  "anisotropic_logistic"])
def test_gradient_matches_finite_differences(name):
    kw = {"n": 100, "d": 6} if name == "anisotropic_logistic" else {"d": 6}
    p = problems.make(name, **kw)
    w = np.random.default_rng(0).uniform(-1, 1, (1, 6))
    h = 1e-6
    fd = [(p.value(w + h * e) - p.value(w - h * e))[0] / (2 * h) for e in np.eye(6)]
    np.testing.assert_allclose(p.gradient(w)[0], fd, rtol=1e-6, atol=1e-9)


def test_smoothness_vectors_bound_the_curvature():
    # quadratic: equality; cosine: |f_i''| = L_i |cos| <= L_i (max attained at 0);
    # cosh: f_i'' <= L0_i + L1 |f_i'| everywhere on a grid, and no global L exists
    x = np.linspace(-6, 6, 2001)
    cos = problems.make("separable_cosine", d=4, L_values=[0.5, 1, 2, 4])
    Lc = cos.L_vector
    second = Lc[None, :] * np.cos(x)[:, None]
    assert np.all(np.abs(second) <= Lc * (1 + 1e-15)) and np.allclose(np.abs(second).max(0), Lc)
    ch = problems.make("separable_cosh", d=4, L_values=[0.5, 1, 2, 4])
    a = ch.a
    f2, f1 = a * np.cosh(x)[:, None], np.abs(a * np.sinh(x)[:, None])
    assert np.all(f2 <= a + f1 + 1e-12)
    assert f2.max() / a.max() > 100  # curvature grows without bound: not L-smooth


def test_logistic_certified_smoothness_and_cvxpy_optimum():
    p = problems.make("anisotropic_logistic", n=300, d=8)
    c = p.constants()
    assert c["cvx_newton_gap"] <= 1e-8  # cvxpy optimum vs damped Newton
    # diag(c L) - H is PSD, H = X^T X / (4n) + lam I >= every Hessian
    H = 0.25 * p._X.T @ p._X / p.n + p.lam * np.eye(8)
    D = np.diag(c["L_cert_factor"] * p.L_vector)
    assert np.linalg.eigvalsh(D - H).min() >= -1e-12
    assert c["L_cert_factor"] >= 1.0
    w = np.zeros((1, 8))
    assert p.value(w)[0] - p.f_star == pytest.approx(c["f0"])
    np.testing.assert_allclose(p.gradient(p._w_star[None]), 0, atol=1e-6)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"L_values": [1.0, 0.0, 2.0]}, r"L\[1\] = 0.0"),
        ({"L_values": [1.0, -3.0]}, r"L\[1\] = -3.0"),
        ({"L_values": [1.0, 2.0], "sigma_values": [0.5, -0.1]}, r"sigma\[1\] = -0.1"),
        ({"L": "sparse_large", "L_ratio": 0.001, "d": 10}, "0.001.*reachable"),
        ({"L": "zigzag"}, "zigzag"),
        ({"init": "gauss"}, "gauss"),
    ],
)
def test_bad_input_raises_naming_the_value(kw, match):
    with pytest.raises(ValueError, match=match):
        problems.make("separable_quadratic", **kw)
