"""The accelerated decentralized method ``gt_katyusha`` ([R] reconstruction of the
accelerated method of Liu, Chen, Luo, ICML 2024): reduction to centralized L-Katyusha,
linear rate against the [R] rate, and the acceleration claims (LIFO and communication
~ sqrt(kappa), flat in kappa_local), measured with the code that draws the figures.
"""

import numpy as np
import pytest

import problems
from experiments.decentralized import measure_kappa_scaling, measure_local_scaling
from theory_lab import RunConfig
from theory_lab.decentralized import make_method, run_decentralized
from theory_lab.decentralized.simulate import trajectory
from theory_lab.networks import Mixing, make_graph, make_mixing
from theory_lab.rates import fit_linear_rate
from theory_lab.theory.decentralized_bounds import complexity_table, katyusha_parameters


def net(m, graph="complete", mixing="metropolis"):
    G = make_graph(graph, m)
    return Mixing(make_mixing(mixing, G), G)


def test_complete_graph_gt_katyusha_is_centralized_l_katyusha():
    prob = problems.make("distributed_ridge", m=4, n=16, d=8, kappa=50.0, heterogeneity=1.0)
    meth = make_method("gt_katyusha", prob, net(4), seeds=(3,))  # W = J: FastMix is exact averaging
    T = 80
    Y = trajectory(meth, T)[:, :, 0]  # (T+1, m, d): the output iterates y
    pr = meth.params
    c = prob.constants()
    ref_par = katyusha_parameters(4, 16, c["L"], c["L_max"], c["mu"])
    for k in ("theta1", "theta2", "p", "q", "eta", "L_v", "sigma"):
        assert pr[k] == pytest.approx(ref_par[k], rel=1e-12), k
    # centralized L-Katyusha (Kovalev et al., Alg. 2) over the N = mn components, same draws
    A, b = prob._A.reshape(-1, prob.dim), prob._b.reshape(-1)
    N, q, p = A.shape[0], pr["q"], pr["p"]
    t1, t2, eta, sig, L = pr["theta1"], pr["theta2"], pr["eta"], pr["sigma"], c["L"]
    g_mask = np.random.default_rng(np.random.SeedSequence([3, 5, 0]))
    g_coin = np.random.default_rng(np.random.SeedSequence([3, 5, 1]))
    full = lambda x: A.T @ (A @ x - b) / N  # noqa: E731
    y = z = w = np.zeros(prob.dim)
    gw = full(w)
    ref = [y]
    for _ in range(T):
        x = t1 * z + t2 * w + (1 - t1 - t2) * y
        xi = (g_mask.random((prob.m, prob.n)) < q).reshape(-1) / q
        g = gw + A.T @ (xi * (A @ (x - w))) / N
        zn = (eta * sig * x + z - eta / L * g) / (1 + eta * sig)
        yn = x + t1 * (zn - z)
        if g_coin.random() < p:
            w, gw = y, full(y)
        y, z = yn, zn
        ref.append(y)
    assert np.max(np.abs(Y - np.stack(ref)[:, None, :])) <= 1e-12


def test_costs_per_iteration_and_bad_parameters():
    prob = problems.make("distributed_ridge", m=8, n=16, d=16, kappa=100.0, heterogeneity=1.0)
    meth = make_method("gt_katyusha", prob, net(8, "ring", "lazy_metropolis"), seeds=(0, 1))
    state, (l0, c0, k0) = meth.init(np.zeros((8, 2, 16)))
    assert k0 == 0 and l0[0] == 128 and c0[0] == 16  # snapshot gradient at the start
    lif = np.zeros(2)
    for t in range(400):
        state, (lifo, comp, k) = meth.step(state, t)
        assert k == 2 * meth.params["rounds"]  # tracker, then (z, y) together
        assert np.all(comp <= lifo)
        lif += lifo
    expected = 400 * (2 * meth.params["batch"] + meth.params["p"] * 128)  # = 3b per iteration
    assert np.all(np.abs(lif - expected) <= 0.25 * expected), (lif, expected)
    with pytest.raises(ValueError, match="theta1 \\+ theta2"):
        make_method("gt_katyusha", prob, net(8), theta1=0.6, theta2=0.5)
    with pytest.raises(ValueError, match="exceeds N|p must lie in"):
        make_method("gt_katyusha", prob, net(8), batch=1000)


def kat_run(h, T=900):
    cfg = RunConfig(problem={"name": "distributed_ridge", "m": 8, "n": 16, "d": 16, "kappa": 100.0,
                             "heterogeneity": h, "network": {"graph": "ring", "mixing": "lazy_metropolis"}},
                    optimizer={"name": "gt_katyusha"}, T=T, seeds=(0, 1, 2), spacing="linear", n_checkpoints=31)
    return run_decentralized(cfg)


def test_gt_katyusha_converges_linearly_within_the_predicted_rate():
    for h in (0.0, 1.0):
        res = kat_run(h)
        c = res.meta["constants"]
        pred = katyusha_parameters(c["m"], c["n"], c["L"], c["L_max"], c["mu"])["rate"]
        fit = fit_linear_rate(res.steps, res.suboptimality, start=150)
        # [R] contraction of L-Katyusha's Lyapunov function (Kovalev et al.), no extra tolerance
        assert fit.rate <= pred, (h, fit, pred)
        assert res.suboptimality[:, -1].max() < 1e-8 * res.suboptimality[:, 0].min()


@pytest.fixture(scope="module")
def acc():
    # kappa grid where the sqrt(N L_max/mu) term dominates gt_katyusha's LIFO ([R]: from kappa ~ 1.5 N/b = 21)
    return measure_kappa_scaling(store=None, kappas={"gt_nsvr": (25, 50, 100, 200),
                                                     "gt_katyusha": (50, 100, 200, 400, 800)},
                                 seeds=range(2), T=15000)


def test_lifo_to_epsilon_grows_like_sqrt_kappa_for_gt_katyusha_and_kappa_for_gt_nsvr(acc):
    for name in ("gt_katyusha", "gt_nsvr"):
        assert np.all(np.isfinite(acc.costs[name, "lifo"])), name
    k, n = acc.fits["gt_katyusha", "lifo"], acc.fits["gt_nsvr", "lifo"]
    # theory: 1/2 (accelerated) and 1 (non-accelerated); [R] rate predictions on the same grids
    assert 0.35 <= k.slope <= 0.65, k
    assert abs(k.slope - acc.predicted_slopes["gt_katyusha", "lifo"]) <= 0.1, (k, acc.predicted_slopes)
    assert 0.85 <= n.slope <= 1.15, n
    assert abs(n.slope - acc.predicted_slopes["gt_nsvr", "lifo"]) <= 0.1, (n, acc.predicted_slopes)


def test_communication_to_epsilon_grows_like_sqrt_kappa_at_fixed_gap(acc):
    fit, pred = acc.fits["gt_katyusha", "comm_rounds"], acc.predicted_slopes["gt_katyusha", "comm_rounds"]
    # sqrt(kappa) iterations x K = O(log kappa_l / sqrt(gap)) FastMix rounds: the log adds ~0.1
    assert abs(fit.slope - pred) <= 0.1, (fit, pred)
    assert 0.4 <= fit.slope <= 0.75, fit
    assert acc.fits["gt_nsvr", "comm_rounds"].slope >= 0.9  # the non-accelerated method: ~kappa


def test_gt_katyusha_cost_to_epsilon_is_flat_in_kappa_local():
    ls = measure_local_scaling(store=None, methods=("gt_katyusha",), ratios=(1, 2, 4, 8), m=8, n=16, d=16,
                               kappa=100.0, eps=1e-6, seeds=range(2), T=4000)
    assert np.all(np.isfinite(ls.costs["gt_katyusha", "lifo"]))
    for cost in ("lifo", "comp_rounds"):
        fit = ls.fits["gt_katyusha", cost]
        assert abs(fit.slope) <= 0.1, (cost, fit)  # table: 0
        assert ls.predicted_slopes["gt_katyusha", cost] == pytest.approx(0.0, abs=1e-12)
    # communication: only log(kappa_local) through the FastMix rounds
    assert 0.0 <= ls.fits["gt_katyusha", "comm_rounds"].slope <= 0.3


def test_complexity_table_row():
    row = complexity_table(8, 16, 100.0, 800.0, np.sqrt(8.8), 0.05, 1e-6, mu=0.01, kappa_max=880.0)["gt_katyusha"]
    big = complexity_table(8, 16, 400.0, 800.0, np.sqrt(8.8), 0.05, 1e-6, mu=0.0025, kappa_max=3520.0)["gt_katyusha"]
    assert "[R]" in row["label"]
    # LIFO's sqrt(N L_max/mu) term and communication's sqrt(kappa N/b) term both double with 4x kappa
    assert big["lifo"] / row["lifo"] < 2.0 and big["communication"] / row["communication"] <= 2.0 + 1e-12
