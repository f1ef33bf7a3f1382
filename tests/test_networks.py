"""Networks: graphs, mixing matrices, validation, gossip and FastMix contraction against theory."""

import networkx as nx
import numpy as np
import pytest

from theory_lab.networks import (
    GRAPHS,
    Mixing,
    check_mixing,
    fastest_mixing,
    fastmix,
    fastmix_operator,
    make_graph,
    make_mixing,
    metropolis_hastings,
    second_eigenvalue,
)
from theory_lab.theory.decentralized_bounds import (
    fastmix_bound,
    fastmix_exact_factor,
    fastmix_rounds,
)

MIXES = ("metropolis", "laplacian", "lazy_metropolis")


@pytest.mark.parametrize("graph", sorted(GRAPHS))
@pytest.mark.parametrize("mix", MIXES)
def test_mixing_matrices_are_valid(graph, mix):
    kw = {"p": 0.4} if graph == "erdos_renyi" else {}
    G = make_graph(graph, 16, **kw)
    W = make_mixing(mix, G)
    assert np.allclose(W, W.T, atol=1e-14) and np.allclose(W.sum(1), 1, atol=1e-14)
    assert W.min() >= -1e-14
    assert 0 <= second_eigenvalue(W) < 1
    if mix.startswith("lazy"):
        assert np.linalg.eigvalsh(W).min() >= -1e-12  # 0 <= W <= I


def test_fastest_mixing_is_no_slower_than_metropolis():
    for G in (make_graph("ring", 8), make_graph("erdos_renyi", 10, p=0.3, seed=1), make_graph("star", 7)):
        W = check_mixing(fastest_mixing(G), G, tol=1e-6)
        # the FMMC optimum (SDP solved to ~1e-7) cannot be worse than any feasible matrix
        assert second_eigenvalue(W) <= second_eigenvalue(metropolis_hastings(G)) + 1e-6


def test_bad_inputs_raise_clear_errors():
    G = nx.Graph([(0, 1), (2, 3)])
    with pytest.raises(ValueError, match="disconnected: 2 components"):
        metropolis_hastings(G)
    ring = make_graph("ring", 4)
    W = metropolis_hastings(ring)
    with pytest.raises(ValueError, match="not stochastic: row 0"):
        check_mixing(W * 1.1, ring)
    bad = W.copy()
    bad[0, 1] += 0.1
    with pytest.raises(ValueError, match="not symmetric"):
        check_mixing(bad, ring)
    far = W.copy()
    far[0, 2] = far[2, 0] = 0.1
    far[0, 0] -= 0.1
    far[2, 2] -= 0.1
    with pytest.raises(ValueError, match=r"not supported on the graph: W\[0,2\]"):
        check_mixing(far, ring)
    with pytest.raises(ValueError, match="W does not mix"):
        check_mixing(np.eye(4), ring)  # lambda_2 = 1
    with pytest.raises(ValueError, match="m must be an integer >= 1"):
        make_graph("ring", 0)
    with pytest.raises(ValueError, match="square"):
        check_mixing(np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match="rows along the agent axis"):
        Mixing(W, ring).apply(np.zeros((3, 2)))


@pytest.mark.parametrize("graph,mix", [("ring", "metropolis"), ("torus", "lazy_metropolis"),
                                       ("erdos_renyi", "laplacian")])
def test_plain_gossip_contracts_at_lambda2_per_round(graph, mix):
    G = make_graph(graph, 16, **({"p": 0.3} if graph == "erdos_renyi" else {}))
    M = Mixing(make_mixing(mix, G), G)
    ev, V = np.linalg.eigh(M.dense)
    j = np.argmax(np.where(np.arange(16) < 15, np.abs(ev), -1))  # slowest non-consensus mode
    u = V[:, j]
    # exact: one round multiplies the slowest mode by lambda_2 (tight to rounding)
    assert abs(np.linalg.norm(M.apply(u)) / np.linalg.norm(u) - M.lambda2) <= 1e-12
    U = np.random.default_rng(0).standard_normal((16, 50))
    U -= U.mean(0)
    ratio = np.linalg.norm(M.apply(U), axis=0) / np.linalg.norm(U, axis=0)
    assert ratio.max() <= M.lambda2 * (1 + 1e-12)


@pytest.mark.parametrize("graph", ["ring", "torus", "exponential"])
def test_fastmix_contraction_is_below_its_bound(graph):
    G = make_graph(graph, 36)
    M = Mixing(make_mixing("lazy_metropolis", G), G)
    ev, V = np.linalg.eigh(M.dense)
    U0 = np.concatenate([np.random.default_rng(1).standard_normal((36, 20)), V[:, :-1]], axis=1)
    U0 -= U0.mean(0)
    for R in (1, 2, 5, 10, 20, 40, 80):
        U = fastmix(U0, M, R)
        assert np.allclose(U.mean(0), U0.mean(0), atol=1e-13)  # the mean is preserved
        measured = np.max(np.linalg.norm(U - U.mean(0), axis=0) / np.linalg.norm(U0, axis=0))
        exact = fastmix_exact_factor(ev, R)
        # the eigenvectors are among the starts, so the measured worst case is the exact one
        assert abs(measured - exact) <= 1e-10 * max(1.0, exact)
        assert measured <= fastmix_bound(M.gap, R) * (1 + 1e-12)
    # FastMix beats plain gossip once R >> 1 (ring: gap ~ 1e-2)
    assert fastmix_exact_factor(ev, 40) < M.lambda2 ** 40


def test_fastmix_rounds_reach_delta_and_operator_matches_rounds():
    G = make_graph("ring", 20)
    M = Mixing(make_mixing("lazy_metropolis", G), G)
    K = fastmix_rounds(M.gap, 1e-3)
    assert fastmix_bound(M.gap, K) <= 1e-3 < fastmix_bound(M.gap, K - 1)
    U = np.random.default_rng(0).standard_normal((20, 3, 4))
    assert np.max(np.abs(fastmix(U, M, 17) - fastmix(U, M, 17, mode="operator"))) <= 1e-13
    assert np.allclose(fastmix_operator(M, 17).sum(1), 1, atol=1e-13)


def test_sparse_dense_and_torch_mixing_agree():
    torch = pytest.importorskip("torch")
    G = make_graph("exponential", 32)
    W = make_mixing("metropolis", G)
    U = np.random.default_rng(0).standard_normal((32, 5, 3))
    a = Mixing(W, G).apply(U)
    b = Mixing(W, G, mode="dense").apply(U)
    c = Mixing(W, G).apply(torch.as_tensor(U)).numpy()
    assert np.max(np.abs(a - b)) <= 1e-14 and np.max(np.abs(a - c)) <= 1e-14
    assert Mixing(W, G).nnz == 32 + 2 * G.number_of_edges()


def test_libsvm_loader_reads_a_generated_file(tmp_path):
    """load_libsvm on a file written by sklearn's svmlight writer: shapes, labels, optimum."""
    from sklearn.datasets import dump_svmlight_file

    from problems.distributed import load_libsvm

    rng = np.random.default_rng(0)
    X = rng.standard_normal((103, 5)) * (rng.random((103, 5)) < 0.6)  # sparse-ish rows
    y = np.where(X @ rng.standard_normal(5) > 0, 1, 0)                 # {0, 1} labels
    path = tmp_path / "toy.svm"
    dump_svmlight_file(X, y, str(path))
    prob = load_libsvm(path, m=4, lam=1e-2)
    assert (prob.m, prob.n) == (4, 25)  # 103 // 4 rows per agent, remainder dropped
    c = prob.constants()
    assert c["kappa"] >= 1 and c["L"] <= c["L_l"] + 1e-12 <= c["L_max"] + 2e-12
    # the reported optimum is stationary for the global objective
    g = prob.local_gradient(np.broadcast_to(prob.x_star, (4, 1, 5)).copy()).mean(axis=0)
    assert np.linalg.norm(g) < 1e-8
    with pytest.raises(ValueError, match="m"):
        load_libsvm(path, m=0)
