"""Specific checks behind the claims added with ``decentralized.comm_vs_gap``,
``decentralized.fastmix_bound``, ``assoc_memory.one_step_gap`` and
``zeroth_order.riemannian_rate`` (their generic checks are in tests/test_claims.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest


def test_fastmix_trajectory_is_fastmix():
    from theory_lab.claims.decentralized import fastmix_trajectory
    from theory_lab.networks import Mixing, fastmix, fastmix_eta, make_graph, make_mixing

    G = make_graph("ring", 12)
    mix = Mixing(make_mixing("lazy_metropolis", G), G)
    U0 = np.random.default_rng(1).standard_normal((12, 3))
    err = fastmix_trajectory(U0, mix, 9, fastmix_eta(mix.lambda2))
    for r in (0, 1, 5, 9):
        V = fastmix(U0, mix, r)
        assert np.allclose(err[r], np.linalg.norm(V - V.mean(axis=0), axis=0), rtol=1e-12, atol=1e-14)
    # eta = 0 is plain gossip
    g = fastmix_trajectory(U0, mix, 4, 0.0)[4]
    W4 = np.linalg.matrix_power(mix.dense, 4) @ U0
    assert np.allclose(g, np.linalg.norm(W4 - W4.mean(axis=0), axis=0))


def test_gossip_rounds_and_fastmix_lambda2_override():
    from problems import make as make_problem
    from theory_lab.decentralized.algorithms import make_method
    from theory_lab.networks import Mixing, make_graph, make_mixing
    from theory_lab.theory.decentralized_bounds import fastmix_rounds, gossip_rounds

    assert gossip_rounds(0.9, 1e-3) == math.ceil(math.log(1e3) / -math.log(0.9))
    assert 0.9 ** gossip_rounds(0.9, 1e-3) <= 1e-3 < 0.9 ** (gossip_rounds(0.9, 1e-3) - 1)
    with pytest.raises(ValueError):
        gossip_rounds(1.0, 0.1)
    p = make_problem("distributed_ridge", m=16, n=32, d=32, kappa=30.0, heterogeneity=0.5, seed=0)
    G = make_graph("ring", 16)
    mix = Mixing(make_mixing("lazy_metropolis", G), G)
    default = make_method("mc_gt", p, mix).params
    assert "fastmix_lambda2" not in default
    assert default["rounds"] == fastmix_rounds(mix.gap, default["delta"])
    gossip = make_method("mc_gt", p, mix, fastmix_lambda2=0, rounds="gossip").params
    assert gossip["fastmix_lambda2"] == 0 and gossip["rounds"] == gossip_rounds(mix.lambda2, gossip["delta"])
    assert gossip["rounds"] > default["rounds"]  # ring of 16, gap 0.025: 1/gamma beats sqrt(14)/sqrt(gamma)


def test_assoc_memory_true_steps_reach_the_target_loss_and_the_gaps_the_paper_states():
    from theory_lab.claims import load_all, measure

    m = measure(load_all()["assoc_memory.one_step_gap"], "test")
    for row in m.details["rows"]:
        assert math.isclose(row["loss"], 0.5 * math.log(row["K"]), rel_tol=1e-10), row
        if row["method"] == "muon":
            assert row["gap"] <= math.log(row["K"]) / row["K"], row  # balanced to O(log K / K)
        else:
            assert row["gap"] >= 0.1, row  # GD leaves the tail behind


def test_riemannian_measurement_stays_on_the_sphere_and_the_euclidean_mutant_leaves_it():
    from theory_lab.claims import load_all, measure

    c = load_all()["zeroth_order.riemannian_rate"]
    assert np.allclose(measure(c, "test").details["norms"], 1.0, atol=1e-12)
    norms = np.asarray(measure(c, "test", {"euclidean": True}).details["norms"])
    # the unprojected step moves |x| by a random walk with an upward drift (eta^2 |g|^2): the
    # seeds 0-3 of the former 4-seed measurement end above 1 + 1e-3 (unchanged check); over
    # the 512 test seeds every one is off the sphere far beyond rounding (184 end below 1)
    assert min(norms[:4]) > 1.0 + 1e-3
    assert np.all(np.abs(norms - 1.0) > 1e-9)


def test_fastmix_bound_mutants_leave_the_bound_only_at_large_rounds():
    from theory_lab.claims import load_all, measure

    c = load_all()["decentralized.fastmix_bound"]
    true = measure(c, "test")
    assert true.details["argmax_R"] <= 10 and true.details["ratio_at_last_R"] < 1e-2
    for mut in c.mutants:
        assert measure(c, "test", mut.variant).details["argmax_R"] > 25  # beyond 1/sqrt(gamma)
