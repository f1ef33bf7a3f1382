"""Matrix roots and orthogonalization: agreement across methods, documented bands, clear errors."""

import numpy as np
import pytest

from theory_lab.matrix_functions import (
    NS_BAND,
    NS_BAND_MIN_RELATIVE_SV,
    NS_COEFFS,
    inverse_root,
    inverse_root_eigh,
    inverse_root_newton,
    inverse_sqrt_polar_express,
    orthogonalize_newton_schulz,
    orthogonalize_svd,
    stable_rank,
)

KAPPAS = [1.0, 1e2, 1e4, 1e6]


def _spd(kappa, m=24, batch=4, seed=0):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(batch, m, m)))[0]
    lam = np.geomspace(1.0, 1.0 / kappa, m)
    return (Q * lam[None, None, :]) @ Q.transpose(0, 2, 1), Q, lam


def _rel(X, Y):
    return float((np.linalg.norm(X - Y, axis=(-2, -1)) / np.linalg.norm(Y, axis=(-2, -1))).max())


def _tol(kappa):
    # forward error of an inverse root grows like u * kappa^{1/2} (u = 2.2e-16) times the
    # number of iterations; measured: 1e-15 (kappa 1) ... 1.2e-11 (kappa 1e6), m = 24.
    return 1e-13 * max(1.0, np.sqrt(kappa))


@pytest.mark.parametrize("kappa", KAPPAS)
def test_eigh_root_is_the_exact_inverse_square_root(kappa):
    A, Q, lam = _spd(kappa)
    exact = (Q * lam[None, None, :] ** -0.5) @ Q.transpose(0, 2, 1)
    assert _rel(inverse_root_eigh(A, 2), exact) <= _tol(kappa)


@pytest.mark.parametrize("kappa", KAPPAS)
def test_newton_and_polar_express_agree_with_eigh(kappa):
    A, _, _ = _spd(kappa)
    ref = inverse_root_eigh(A, 2)
    X, steps = inverse_root_newton(A, 2, return_steps=True)
    assert _rel(X, ref) <= _tol(kappa), steps
    # Polar Express: 10 steps cover lambda / (1.01 ||A||_F) >= 1e-6, i.e. kappa <= ~1e6 here
    assert _rel(inverse_sqrt_polar_express(A), ref) <= _tol(kappa)


@pytest.mark.parametrize("kappa", KAPPAS)
def test_newton_fourth_root_agrees_with_eigh(kappa):
    A, _, _ = _spd(kappa)
    assert _rel(inverse_root_newton(A, 4), inverse_root_eigh(A, 4)) <= _tol(kappa)


def test_damping_and_pseudo_inverse_on_a_singular_matrix():
    rng = np.random.default_rng(3)
    G = rng.normal(size=(2, 6, 2))
    A = G @ G.transpose(0, 2, 1)  # rank 2 of 6
    P = inverse_root_eigh(A, 2, pinv=True)
    # pseudo-inverse root: P A P is the projector onto range(A) (to rounding)
    U = np.linalg.svd(G, full_matrices=False)[0]
    assert np.allclose(P @ A @ P, U @ U.transpose(0, 2, 1), atol=1e-10)
    eps = 1e-3
    D = inverse_root_eigh(A, 2, eps=eps)
    assert _rel(D, inverse_root_newton(A, 2, eps=eps)) <= 1e-11
    assert _rel(D, inverse_root(A, 2, method="polar_express", eps=eps)) <= 1e-11
    with pytest.raises(ValueError, match="singular and eps = 0"):
        inverse_root_eigh(A, 2)


def test_newton_schulz_lands_singular_values_in_the_documented_band():
    rng = np.random.default_rng(0)
    m, n = 16, 40
    rel = np.geomspace(NS_BAND_MIN_RELATIVE_SV, 1.0, m)
    s = rel / np.linalg.norm(rel)  # relative to ||G||_F after normalization ...
    s = s * (rel[-1] / s[-1])      # ... so that sigma_i / ||G||_F spans [2e-3 * c, c]
    U = np.linalg.qr(rng.normal(size=(m, m)))[0]
    V = np.linalg.qr(rng.normal(size=(n, m)))[0]
    G = (U * s) @ V.T
    rs = np.linalg.svd(G, compute_uv=False) / np.linalg.norm(G)
    keep = rs >= NS_BAND_MIN_RELATIVE_SV
    out = np.linalg.svd(orthogonalize_newton_schulz(G[None])[0], compute_uv=False)
    # singular values of the output are the scalar quintic iterated 5 times on sigma_i/(||G||_F + 1e-7)
    x = np.linalg.svd(G, compute_uv=False) / (np.linalg.norm(G) + 1e-7)
    a, b, c = NS_COEFFS
    for _ in range(5):
        x = a * x + b * x**3 + c * x**5
    assert np.allclose(np.sort(out), np.sort(x), rtol=1e-9, atol=1e-12)
    band = np.sort(out)[::-1][keep]
    assert band.min() >= NS_BAND[0] and band.max() <= NS_BAND[1], (band.min(), band.max(), NS_BAND)
    # and the same singular vectors as the exact polar factor (it is a polynomial in G G^T G)
    Ux, _, Vt = np.linalg.svd(G, full_matrices=False)
    assert np.allclose(Ux.T @ orthogonalize_newton_schulz(G[None])[0] @ Vt.T, np.diag(x), atol=1e-10)


def test_svd_orthogonalization_is_the_polar_factor_and_transposes():
    rng = np.random.default_rng(2)
    for shape in [(3, 5, 9), (3, 9, 5)]:
        G = rng.normal(size=shape)
        O = orthogonalize_svd(G)
        U, _, Vt = np.linalg.svd(G, full_matrices=False)
        assert np.allclose(O, U @ Vt, atol=1e-12)
        k = min(shape[1:])
        OOt = O @ O.transpose(0, 2, 1) if shape[1] <= shape[2] else O.transpose(0, 2, 1) @ O
        assert np.allclose(OOt, np.eye(k), atol=1e-12)
        assert orthogonalize_newton_schulz(G).shape == G.shape


def test_stable_rank():
    G = np.zeros((2, 4, 6))
    G[0, 0, 0], G[0, 1, 1] = 2.0, 1.0
    G[1] = np.eye(4, 6)
    assert np.allclose(stable_rank(G), [1.25, 4.0])


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="square"):
        inverse_root_eigh(np.ones((3, 4)))
    with pytest.raises(ValueError, match="eps must be finite and >= 0"):
        inverse_root_eigh(np.eye(3), eps=-1.0)
    with pytest.raises(ValueError, match="integer >= 1"):
        inverse_root_eigh(np.eye(3), p=0)
    with pytest.raises(ValueError, match="unknown root method"):
        inverse_root(np.eye(3), method="cholesky")
    with pytest.raises(ValueError, match="p = 2"):
        inverse_root(np.eye(3), p=4, method="polar_express")


def test_torch_matches_numpy():
    torch = pytest.importorskip("torch")
    A, _, _ = _spd(1e3)
    At = torch.from_numpy(A)
    for f in (lambda X: inverse_root_eigh(X, 2), lambda X: inverse_root_newton(X, 2),
              inverse_sqrt_polar_express):
        assert _rel(f(At).numpy(), f(A)) <= 1e-12
    G = np.random.default_rng(0).normal(size=(2, 5, 8))
    Gt = torch.from_numpy(G)
    assert np.allclose(orthogonalize_newton_schulz(Gt).numpy(), orthogonalize_newton_schulz(G), atol=1e-13)
    assert np.allclose(orthogonalize_svd(Gt).numpy(), orthogonalize_svd(G), atol=1e-12)


def test_polar_express_coefficients_follow_the_official_rule():
    # optimizers/utils/matrix_decom.py (infinity-stars/ASGO): 8 published triples, all but the
    # last divided by (1.01, 1.01^3, 1.01^5); the last (15, -10, 3)/8 repeats
    from theory_lab.matrix_functions import POLAR_EXPRESS_COEFFS, POLAR_EXPRESS_RAW

    assert len(POLAR_EXPRESS_RAW) == len(POLAR_EXPRESS_COEFFS) == 8
    a, b, c = POLAR_EXPRESS_COEFFS[0]
    assert (a, b, c) == (8.28721201814563 / 1.01, -23.595886519098837 / 1.01**3,
                         17.300387312530933 / 1.01**5)
    assert POLAR_EXPRESS_COEFFS[6] == (1.8750014808534479 / 1.01, -1.2500016453999487 / 1.01**3,
                                       0.3750001645474248 / 1.01**5)
    assert POLAR_EXPRESS_COEFFS[-1] == (1.875, -1.25, 0.375)
    # damping enters the normalization only: with eps the output is still A^{-1/2} (not (A+eps)^{-1/2})
    rng = np.random.default_rng(7)
    X = rng.normal(size=(6, 6))
    A = X @ X.T + 0.5 * np.eye(6)
    ref = inverse_root_eigh(A, 2)
    assert _rel(inverse_sqrt_polar_express(A, eps=1e-2), ref) <= 1e-10
