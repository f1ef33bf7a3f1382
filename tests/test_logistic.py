"""The shared logistic loss: cvxpy optimum vs an independent Newton solve, backends, bad input."""

import numpy as np
import pytest

from problems.logistic import (
    logistic_gradient,
    logistic_hessian,
    logistic_value,
    newton_logistic,
    solve_logistic,
)


def _data(n=400, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.logspace(0, -1.5, d)
    y = np.where(X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    return X, y


def test_cvxpy_optimum_matches_newton_to_1e8():
    X, y = _data()
    w_cvx, f_cvx = solve_logistic(X, y, 1e-3)
    w_nt, f_nt = newton_logistic(X, y, 1e-3)
    assert abs(f_cvx - f_nt) <= 1e-8
    assert np.linalg.norm(logistic_gradient(X, y, 1e-3, w_nt[None])) <= 1e-12
    # the cvxpy point is optimal to first order as well
    assert np.linalg.norm(logistic_gradient(X, y, 1e-3, w_cvx[None])) <= 1e-6


def test_gradient_and_hessian_match_finite_differences():
    X, y = _data(n=50, d=5, seed=1)
    rng = np.random.default_rng(2)
    w = rng.normal(size=5)
    h = 1e-6
    E = np.eye(5)
    fd = [(logistic_value(X, y, 0.1, (w + h * e)[None])[0] - logistic_value(X, y, 0.1, (w - h * e)[None])[0]) / (2 * h) for e in E]
    np.testing.assert_allclose(logistic_gradient(X, y, 0.1, w[None])[0], fd, rtol=1e-6, atol=1e-9)
    fdh = [(logistic_gradient(X, y, 0.1, (w + h * e)[None])[0] - logistic_gradient(X, y, 0.1, (w - h * e)[None])[0]) / (2 * h) for e in E]
    np.testing.assert_allclose(logistic_hessian(X, y, 0.1, w), np.array(fdh), rtol=1e-5, atol=1e-8)


def test_torch_matches_numpy():
    torch = pytest.importorskip("torch")
    X, y = _data(n=60, d=4)
    W = np.random.default_rng(3).normal(size=(3, 4)) * 10  # large margins: overflow-safe
    for fn in (logistic_value, logistic_gradient):
        ref = fn(X, y, 0.01, W)
        got = fn(torch.tensor(X), torch.tensor(y), 0.01, torch.tensor(W)).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "X, y, lam, match",
    [
        (np.ones(3), np.ones(3), 0.1, "2-D"),
        (np.ones((3, 2)), np.ones(2), 0.1, "shape"),
        (np.ones((3, 2)), np.array([1.0, 0.0, 1.0]), 0.1, "-1 or \\+1"),
        (np.ones((3, 2)), np.ones(3), -1.0, "lam"),
        (np.ones((3, 2)), np.ones(3), 0.0, "lam must be > 0"),
    ],
)
def test_bad_input(X, y, lam, match):
    with pytest.raises(ValueError, match=match):
        solve_logistic(X, y, lam)
