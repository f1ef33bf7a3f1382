"""Matrix optimizers: the reductions of issue 4, backends, reproducibility and bad input."""

import math

import numpy as np
import pytest
from scipy.linalg import fractional_matrix_power

import problems
from theory_lab.backends import Backend
from theory_lab.optimizers import make
from theory_lab.runner import run


def _drive(opt, grads, w0=None):
    """Feed a fixed gradient sequence (T, S, d); return the iterates (T+1, S, d)."""
    w = np.zeros(grads.shape[1:]) if w0 is None else w0
    st = opt.init(w)
    out = [st["w"]]
    for t, g in enumerate(grads):
        st = opt.step(st, g, t)
        out.append(st["w"])
    return np.array(out)


def _grads(T, S, m, n, seed=0):
    return np.random.default_rng(seed).normal(size=(T, S, m * n))


def test_asgo_with_one_row_is_adagrad_norm():
    g = _grads(30, 3, 1, 7)
    got = _drive(make("asgo", lr=0.3, m=1, n=7), g)
    b = np.sqrt(np.cumsum(np.sum(g * g, axis=-1), axis=0))            # b_t, (T, S)
    ref = -0.3 * np.cumsum(g / b[..., None], axis=0)
    assert np.allclose(got[1:], ref, rtol=1e-12, atol=1e-14)
    ada = _drive(make("adagrad_norm", lr=0.3), g)                    # the registry's AdaGrad-norm
    assert np.allclose(got, ada, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("eps", [0.0, 1e-3])
def test_one_sided_shampoo_equals_asgo(eps):
    g = _grads(25, 2, 4, 6)
    a = _drive(make("asgo", lr=0.2, m=4, n=6, eps=eps), g)
    b = _drive(make("one_sided_shampoo", lr=0.2, m=4, n=6, eps=eps), g)
    assert np.allclose(a, b, rtol=1e-11, atol=1e-13)


def test_asgo_with_one_column_is_full_matrix_adagrad():
    g = _grads(20, 2, 5, 1)
    a = _drive(make("asgo", lr=0.2, m=5, n=1), g)
    b = _drive(make("full_matrix_adagrad", lr=0.2, m=5, n=1), g)
    assert np.allclose(a, b, rtol=1e-11, atol=1e-13)


def test_shampoo_scalar_and_row_limits():
    # 1 x 1: L_t = R_t = b_t^2, step eta g / b_t -- AdaGrad-norm
    g = _grads(20, 2, 1, 1)
    assert np.allclose(_drive(make("shampoo", lr=0.5, m=1, n=1), g),
                       _drive(make("adagrad_norm", lr=0.5), g), rtol=1e-12, atol=1e-14)
    # 1 x n: eta b_t^{-1/2} g R_t^{-1/4}, R_t^{-1/4} by scipy's Schur-based fractional power
    g = _grads(12, 1, 1, 4, seed=5)
    got = _drive(make("shampoo", lr=0.5, m=1, n=4), g)
    w, R, b2 = np.zeros(4), np.zeros((4, 4)), 0.0
    for t in range(12):
        gt = g[t, 0]
        R += np.outer(gt, gt)
        b2 += gt @ gt
        Rq = np.real(fractional_matrix_power(R + 0 * np.eye(4), -0.25)) if t >= 3 else None
        if Rq is None:  # R_t singular for t < n: pseudo-inverse root on its range
            lam, Q = np.linalg.eigh(R)
            keep = lam > 1e-12 * lam.max()
            Rq = (Q[:, keep] * lam[keep] ** -0.25) @ Q[:, keep].T
        w = w - 0.5 * b2**-0.25 * gt @ Rq
        assert np.allclose(got[t + 1, 0], w, rtol=1e-9, atol=1e-12), t


@pytest.mark.parametrize(("m", "n"), [(4, 7), (7, 4)])
def test_asgo_without_accumulation_is_muon_svd(m, n):
    g = _grads(10, 3, m, n)
    a = _drive(make("asgo", lr=0.1, m=m, n=n, accumulate=False), g)
    b = _drive(make("muon_svd", lr=0.1, m=m, n=n, scale=False), g)
    assert np.allclose(a, b, rtol=1e-11, atol=1e-13)


def test_asgo_root_methods_agree_with_damping():
    g = _grads(20, 2, 5, 9)
    ref = _drive(make("asgo", lr=0.2, m=5, n=9, eps=1e-4), g)
    for root in ("newton_schulz", "polar_express"):
        got = _drive(make("asgo", lr=0.2, m=5, n=9, eps=1e-4, root=root), g)
        assert np.allclose(got, ref, rtol=1e-9, atol=1e-11), root


def _official_practical_reference(g, m, n, lr, steps, wd=0.1, eps=1e-9):
    """Independent statement of ``optimizers/asgo.py`` (infinity-stars/ASGO), exact root by eigh.

    ``precond_tmp = G G^T if G.size(0) < G.size(1) else G^T G``; ``lerp`` = EMA; update
    ``P^{-1/2} M`` or ``M P^{-1/2}``; ``update *= 0.2 sqrt(mn) / ||update||_F``;
    ``p *= 1 - lr wd``; ``p -= lr update``.
    """
    S = g.shape[1]
    left = m < n
    k = m if left else n
    M, P, w = np.zeros((S, m, n)), np.zeros((S, k, k)), np.zeros((S, m, n))
    out = [w.reshape(S, -1).copy()]
    for t in range(steps):
        G = g[t].reshape(S, m, n)
        M = M + 0.1 * (G - M)                                  # lerp_(grad, 1 - 0.9)
        Gt = G.transpose(0, 2, 1)
        P = P + 0.2 * ((G @ Gt if left else Gt @ G) - P)     # lerp_(precond_tmp, 1 - 0.8)
        lam, Q = np.linalg.eigh(P + eps * np.eye(k))
        R = (Q * lam[:, None, :] ** -0.5) @ Q.transpose(0, 2, 1)
        U = R @ M if left else M @ R
        U = U * 0.2 * math.sqrt(m * n) / np.linalg.norm(U, axis=(1, 2))[:, None, None]
        w = w * (1 - lr * wd) - lr * U
        out.append(w.reshape(S, -1).copy())
    return np.array(out)


@pytest.mark.parametrize(("m", "n"), [(6, 4), (4, 6), (5, 5)])
def test_asgo_practical_follows_the_official_file(m, n):
    # (5, 5): square matrices are preconditioned on the RIGHT (G^T G), as in the official code
    lr = 0.1
    g = _grads(8, 2, m, n)
    got = _drive(make("asgo_practical", lr=lr, m=m, n=n, root="eigh", eps=1e-9), g)
    ref = _official_practical_reference(g, m, n, lr, 8)
    assert np.allclose(got, ref, rtol=1e-9, atol=1e-12)
    # official defaults [V]: beta1 0.9, beta2 0.8, wd 0.1, damping 1e-10, 10 Polar-Express steps, rms 0.2
    hp = make("asgo_practical", lr=0.01, m=m, n=n).hyperparams
    assert (hp["beta1"], hp["beta2"], hp["weight_decay"], hp["eps"], hp["root"], hp["root_steps"],
            hp["rms"]) == (0.9, 0.8, 0.1, 1e-10, "polar_express", 10, 0.2)
    assert hp["side"] == ("left" if m < n else "right")
    # the official Polar-Express root (default) agrees with the exact root on these full-rank P
    pe = _drive(make("asgo_practical", lr=lr, m=m, n=n), g)
    assert np.allclose(pe[3:], _official_practical_reference(g, m, n, lr, 8, eps=0.0)[3:],
                       rtol=1e-6, atol=1e-9)


def test_asgo_practical_square_side_differs_from_left():
    g = _grads(5, 1, 5, 5, seed=3)
    right = _drive(make("asgo_practical", lr=0.1, m=5, n=5, root="eigh", eps=1e-9), g)
    left = _drive(make("asgo_practical", lr=0.1, m=5, n=5, root="eigh", eps=1e-9, side="left"), g)
    assert not np.allclose(right[2:], left[2:], rtol=1e-3)


@pytest.mark.parametrize(("m", "n"), [(4, 6), (6, 4)])
def test_dasgo_follows_the_official_file(m, n):
    # optimizers/dasgo.py: precond (size n) lerp'd towards sum(grad*grad, dim=0), for ANY shape;
    # update = M * (p + eps)^-1/2; RMS 0.2 rescale always; p *= 1 - wd lr; p -= lr update
    lr = 0.1
    g = _grads(8, 2, m, n)
    got = _drive(make("dasgo", lr=lr, m=m, n=n), g)
    M, p, w = np.zeros((2, m, n)), np.zeros((2, n)), np.zeros((2, m, n))
    for t in range(8):
        G = g[t].reshape(2, m, n)
        M = M + 0.1 * (G - M)
        p = p + 0.05 * (np.einsum("sij,sij->sj", G, G) - p)
        U = M * (p + 1e-8)[:, None, :] ** -0.5
        U = U * 0.2 * math.sqrt(m * n) / np.linalg.norm(U, axis=(1, 2))[:, None, None]
        w = w * (1 - 0.1 * lr) - lr * U
        assert np.allclose(got[t + 1], w.reshape(2, -1), rtol=1e-12, atol=1e-14)
    rows = _drive(make("dasgo", lr=lr, m=m, n=n, reduce_dim=1), g)
    assert not np.allclose(rows[2:], got[2:], rtol=1e-3)


def test_muon_momentum_nesterov_and_scale():
    m, n = 6, 3
    g = _grads(5, 1, m, n)
    got = _drive(make("muon_svd", lr=0.1, m=m, n=n, momentum=0.9, nesterov=True), g)
    M, w = np.zeros((m, n)), np.zeros((m, n))
    for t in range(5):
        G = g[t, 0].reshape(m, n)
        M = 0.9 * M + G
        U, _, Vt = np.linalg.svd(G + 0.9 * M, full_matrices=False)
        w = w - 0.1 * math.sqrt(m / n) * U @ Vt
        assert np.allclose(got[t + 1, 0], w.reshape(-1), atol=1e-12)


OPTIMIZERS = [
    ("asgo", {"lr": 0.5}), ("asgo", {"lr": 0.5, "eps": 1e-3, "root": "newton_schulz"}),
    ("asgo", {"lr": 0.5, "eps": 1e-3, "root": "polar_express"}),
    ("asgo_practical", {"lr": 0.02}), ("dasgo", {"lr": 0.01}), ("one_sided_shampoo", {"lr": 0.5}),
    ("shampoo", {"lr": 0.3}), ("full_matrix_adagrad", {"lr": 0.5}), ("muon", {"lr": 0.01}),
    ("muon_svd", {"lr": 0.01}), ("signgd", {"lr": 0.001}),
]


@pytest.mark.parametrize(("name", "kw"), OPTIMIZERS)
def test_numpy_and_torch_cpu_give_the_same_trajectory(name, kw):
    pytest.importorskip("torch")
    p = problems.make("matrix_quadratic", m=6, n=10, eff_rank=2.0, stable_rank=4.0, sigma=0.1)
    kw = {**kw, **({"m": 6, "n": 10} if name != "signgd" else {})}
    a = run(p, make(name, **kw), T=40, seeds=range(3), batch_size=2)
    b = run(p, make(name, **kw), T=40, seeds=range(3), batch_size=2, backend=Backend("torch", "cpu", "float64"))
    # measured worst relative difference: 4e-13 (full-matrix AdaGrad), <= 6e-15 for the others
    assert np.allclose(a["suboptimality"], b["suboptimality"], rtol=1e-10, atol=0)
    c = run(p, make(name, **kw), T=40, seeds=range(3), batch_size=2)
    assert np.array_equal(a["suboptimality"], c["suboptimality"])      # same seed, same numbers


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match=r"matrix parameter of shape \(m, n\) = \(3, 4\).*got an iterate of shape \(2, 10\)"):
        make("asgo", lr=0.1, m=3, n=4).init(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="eps \\(damping\\) must be finite and >= 0, got -0.1"):
        make("asgo", lr=0.1, m=3, n=4, eps=-0.1)
    with pytest.raises(ValueError, match="eps \\(damping\\)"):
        make("shampoo", lr=0.1, m=3, n=4, eps=-1.0)
    with pytest.raises(ValueError, match="d = 2500 exceeds max_dim = 1024"):
        make("full_matrix_adagrad", lr=0.1, m=50, n=50)
    with pytest.raises(ValueError, match="d = 2000 exceeds max_dim = 1024"):
        make("full_matrix_adagrad", lr=0.1).init(np.zeros((1, 2000)))
    with pytest.raises(ValueError, match="m \\(rows of the matrix parameter\\) must be a positive integer, got 2.5"):
        make("muon", lr=0.1, m=2.5, n=4)
    with pytest.raises(ValueError, match="side must be 'left' or 'right'"):
        make("asgo", lr=0.1, m=3, n=4, side="top")
    with pytest.raises(ValueError, match="learning rate must be > 0|must be finite and > 0"):
        make("signgd", lr=-1.0)
    with pytest.raises(ValueError, match="rank ratio must lie in \\[1, 8\\]"):
        problems.make("matrix_quadratic", m=8, n=16, eff_rank=9.0)
    with pytest.raises(ValueError, match="embedding must be 'decoupled' or 'coupled'"):
        problems.make("associative_memory", K=10, embedding="tied")


def test_config_strings_m_n_resolve_from_the_problem():
    from theory_lab import RunConfig
    from theory_lab.runner import build

    cfg = RunConfig(problem={"name": "matrix_quadratic", "m": 4, "n": 6, "stable_rank": 2.0},
                    optimizer={"name": "asgo", "lr": "D_op/sqrt(2)", "m": "m", "n": "n"}, T=5)
    prob, opt = build(cfg)
    assert (opt.hyperparams["m"], opt.hyperparams["n"]) == prob.shape == (4, 6)
    assert math.isclose(opt.hyperparams["lr"]["eta"], prob.constants()["D_op"] / math.sqrt(2))
