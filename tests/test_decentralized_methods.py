"""Decentralized methods: reductions to centralized methods, costs, reproducibility, bad input."""

import numpy as np
import pytest

import problems
from theory_lab import RunConfig
from theory_lab.decentralized import make_method, run_decentralized
from theory_lab.decentralized.simulate import build_decentralized, trajectory
from theory_lab.networks import Mixing, make_graph, make_mixing
from theory_lab.sweep import run_sweep


def net(m, graph="complete", mixing="metropolis"):
    G = make_graph(graph, m)
    return Mixing(make_mixing(mixing, G), G)


def ridge(m=4, n=16, d=8, h=0.5, **kw):
    return problems.make("distributed_ridge", m=m, n=n, d=d, kappa=10.0, heterogeneity=h, **kw)


def gd(prob, eta, T):
    x = np.zeros((1, prob.dim))
    out = [x]
    for _ in range(T):
        x = x - eta * prob.gradient(x)
        out.append(x)
    return np.stack(out)[:, 0]


def test_problem_constants_and_heterogeneity():
    for h in (0.0, 0.5, 1.0):
        c = ridge(m=8, n=16, d=16, h=h).constants()
        # L, mu, L_bar, L_max fixed by construction; L_l = 1 + h (m - 1) exactly
        assert abs(c["L"] - 1) < 1e-12 and abs(c["mu"] - 0.1) < 1e-12
        assert abs(c["L_l"] - (1 + 7 * h)) < 1e-12
        assert abs(c["L_max"] - 8 * 1.1) < 1e-10 and abs(c["L_bar"] - np.sqrt(8 * 1.1)) < 1e-10
        assert c["L"] <= c["L_l"] <= c["L_max"] + 1e-12 and c["L_bar"] <= c["L_max"]
    p = ridge()
    X = np.random.default_rng(0).standard_normal((3, p.dim))
    assert np.allclose(p.local_gradient(np.broadcast_to(X, (4, 3, p.dim))).mean(0), p.gradient(X), atol=1e-13)
    # optimum by linear solve: gradient vanishes
    assert np.linalg.norm(p.gradient(p.x_star[None])) < 1e-12


def test_logistic_problem_matches_its_cvxpy_optimum():
    p = problems.make("distributed_logistic", m=4, n=16, d=8, kappa=10.0, heterogeneity=0.5, lam=0.05)
    assert np.linalg.norm(p.gradient(p.x_star[None])) < 1e-12  # cvxpy (CLARABEL) + Newton polish
    X = np.random.default_rng(0).standard_normal((2, 8))
    assert np.allclose(p.local_gradient(np.broadcast_to(X, (4, 2, 8))).mean(0), p.gradient(X), atol=1e-13)


@pytest.mark.parametrize("name", ["dgd", "extra", "diging", "mc_gt"])
def test_single_agent_methods_are_gradient_descent(name):
    prob = problems.make("distributed_ridge", m=1, n=16, d=8, kappa=10.0)
    M = net(1)
    meth = make_method(name, prob, M, eta=0.3)
    X = trajectory(meth, 30)[:, 0, 0]
    assert np.max(np.abs(X - gd(prob, 0.3, 30))) <= 1e-12


def test_complete_graph_multiconsensus_gt_is_gradient_descent():
    prob = ridge(m=6, n=16, d=12)
    meth = make_method("mc_gt", prob, net(6))  # W = J: FastMix is exact averaging
    X = trajectory(meth, 40)
    assert np.max(np.abs(X - gd(prob, meth.params["eta"], 40)[:, None, None, :])) <= 1e-12


def test_complete_graph_gt_nsvr_is_centralized_lsvrg_with_bernoulli_sampling():
    prob = ridge(m=4, n=16, d=8, h=1.0)
    meth = make_method("gt_nsvr", prob, net(4), seeds=(3,))
    X = trajectory(meth, 60)[:, :, 0]  # (T+1, m, d)
    # centralized L-SVRG over the N = mn components with the same draws
    A, b = prob._A.reshape(-1, prob.dim), prob._b.reshape(-1)
    N, q, p, eta = A.shape[0], meth.params["q"], meth.params["p"], meth.params["eta"]
    g_mask = np.random.default_rng(np.random.SeedSequence([3, 5, 0]))
    g_coin = np.random.default_rng(np.random.SeedSequence([3, 5, 1]))
    full = lambda x: A.T @ (A @ x - b) / N  # noqa: E731
    x = w = np.zeros(prob.dim)
    gw = full(w)
    v = gw
    ref = [x]
    for _ in range(60):
        x = x - eta * v
        xi = (g_mask.random((prob.m, prob.n)) < q).reshape(-1) / q
        v = gw + A.T @ (xi * (A @ (x - w))) / N
        if g_coin.random() < p:
            w, gw = x, full(x)
        ref.append(x)
    assert np.max(np.abs(X - np.stack(ref)[:, None, :])) <= 1e-12


def test_gradient_tracking_invariant_and_costs():
    prob = ridge(m=8, n=16, d=16, h=1.0)
    M = net(8, "ring")
    meth = make_method("diging", prob, M)
    X0 = np.zeros((8, 1, 16))
    state, _ = meth.init(X0)
    comm = 0
    for t in range(20):
        state, (lifo, comp, k) = meth.step(state, t)
        comm += k
        # tracking: the agents' mean of y equals the mean of the current local gradients
        assert np.allclose(state["y"].mean(0), prob.local_gradient(state["x"]).mean(0), atol=1e-13)
        assert lifo[0] == 8 * 16 and comp[0] == 16
    assert comm == 40
    vr = make_method("gt_nsvr", prob, M, seeds=(0, 1))
    state, (l0, c0, k0) = vr.init(np.zeros((8, 2, 16)))
    assert k0 == vr.params["rounds"] and l0[0] == 8 * 16
    lif, cmp_ = np.zeros(2), np.zeros(2)
    for t in range(200):
        state, (lifo, comp, k) = vr.step(state, t)
        assert k == 2 * vr.params["rounds"]
        assert np.all(comp <= lifo) and np.all(comp >= 0)
        lif, cmp_ = lif + lifo, cmp_ + comp
    # expected LIFO per iteration: 2 b (two component gradients per draw) + p N (snapshots)
    expected = 200 * (2 * vr.params["batch"] + vr.params["p"] * 128)
    assert np.all(np.abs(lif - expected) <= 0.25 * expected)


def cfg(name="gt_nsvr", T=300, seeds=(0, 1), backend="numpy", **opt):
    return RunConfig(problem={"name": "distributed_ridge", "m": 8, "n": 16, "d": 16, "kappa": 10.0,
                              "heterogeneity": 1.0, "network": {"graph": "ring", "mixing": "lazy_metropolis"}},
                     optimizer={"name": name, **opt}, T=T, seeds=seeds, spacing="linear",
                     n_checkpoints=11, epsilon=1e-6, backend=backend)


def test_same_seed_same_numbers_and_seed_batch_independence():
    a, b = run_decentralized(cfg()), run_decentralized(cfg())
    assert np.array_equal(a.suboptimality, b.suboptimality)
    alone = run_decentralized(cfg(seeds=(1,)))
    assert np.allclose(alone.suboptimality[0], a.suboptimality[1], rtol=1e-10, atol=1e-300)
    assert a.meta["hit_costs"]["comm_rounds"] == b.meta["hit_costs"]["comm_rounds"]


def test_torch_backend_gives_the_numpy_numbers():
    pytest.importorskip("torch")
    a, b = run_decentralized(cfg(T=60)), run_decentralized(cfg(T=60, backend="torch"))
    assert np.allclose(a.suboptimality, b.suboptimality, rtol=1e-9, atol=1e-14)


def test_divergence_is_recorded_at_its_step():
    r = run_decentralized(cfg("diging", T=200, eta=5.0))
    assert np.all(r.diverged_at > 0) and np.all(r.diverged_at <= 200)
    k = np.searchsorted(r.steps, r.diverged_at[0])
    assert np.all(np.isnan(r.suboptimality[0, k:]))
    assert np.all(np.isfinite(r.suboptimality[0, :k]))


def test_sweep_caches_decentralized_runs(tmp_path):
    c = cfg(T=50)
    first = run_sweep([c], store=tmp_path, run_fn=run_decentralized, engine="sequential")[0]
    assert (tmp_path / f"{c.hash()}.npz").is_file()
    again = run_sweep([c], store=tmp_path, run_fn=run_decentralized, engine="sequential")[0]
    assert np.array_equal(first.extra["comm_rounds"], again.extra["comm_rounds"])
    assert again.meta["hit_costs"] == first.meta["hit_costs"]


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="m must be an integer >= 1"):
        problems.make("distributed_ridge", m=0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        problems.make("distributed_ridge", n=0)
    from problems.distributed import DistributedFiniteSum

    with pytest.raises(ValueError, match=r"b must have shape \(m, n\)"):
        DistributedFiniteSum(np.ones((2, 3, 4)), np.ones((2, 4)))
    prob = ridge(m=4)
    with pytest.raises(ValueError, match="problem has m = 4 agents but W is 6x6"):
        make_method("diging", prob, net(6))
    with pytest.raises(ValueError, match=r"X must have shape \(m=4"):
        prob.local_gradient(np.zeros((3, 1, 8)))
    with pytest.raises(ValueError, match="no parameter"):
        make_method("diging", prob, net(4), batch=3)
    with pytest.raises(ValueError, match="unknown method"):
        make_method("admm", prob, net(4))
    with pytest.raises(ValueError, match="eta must be finite and > 0"):
        make_method("extra", prob, net(4), eta=-1)
    bad = RunConfig(problem={"name": "distributed_ridge", "m": 4, "n": 16, "d": 8,
                             "network": {"graph": "ring", "mixing": "stochastic"}},
                    optimizer={"name": "dgd"}, T=5)
    with pytest.raises(ValueError, match="unknown mixing"):
        build_decentralized(bad)
