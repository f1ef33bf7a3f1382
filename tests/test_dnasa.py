"""D-NASA (Li, Chen, Ma, Hong 2024; the authors' update [V]): unit checks.

The rate, speedup, consensus and normalized-step claims, with the mutants they reject, are
claim objects (theory_lab/claims/dnasa.py) tested in tests/test_claims_dnasa.py; the
measurement windows that used to live here are gone.
"""

import numpy as np
import pytest

import problems
from experiments.dnasa import config
from theory_lab.decentralized import METHODS, make_method
from theory_lab.decentralized.dnasa import DEFAULTS, make_dnasa, run_dnasa, run_method
from theory_lab.networks import Mixing, make_graph, make_mixing
from theory_lab.theory.dnasa_bounds import dnasa_bound, dnasa_parameters, rate


def mixing(graph, m):
    G = make_graph(graph, m)
    return Mixing(make_mixing("lazy_metropolis", G), G)


class NoConstants:
    """Wraps a problem; ``constants()`` raises (D-NASA must not need it)."""

    def __init__(self, prob):
        self._p = prob

    def __getattr__(self, name):
        return getattr(self._p, name)

    def constants(self):
        raise RuntimeError("constants are not available")


def test_runs_without_any_problem_constant():
    prob = problems.make("nonconvex_regression", m=4)
    mix = mixing("ring", 4)
    bare = NoConstants(prob)
    with pytest.raises(RuntimeError):
        bare.constants()
    out = run_method(make_dnasa(bare, mix, 200, seeds=(0, 1)), 200, n_checkpoints=5)
    ref = run_method(make_dnasa(prob, mix, 200, seeds=(0, 1)), 200, n_checkpoints=5)
    assert np.all(np.isfinite(out["grad_norm"]))
    np.testing.assert_array_equal(out["grad_norm"], ref["grad_norm"])
    # the registered defaults are plain numbers: make_method resolves no constant expression
    cls, defaults = METHODS["dnasa"]
    assert defaults == DEFAULTS and all(v is None or isinstance(v, float) for v in defaults.values())
    via = make_method("dnasa", prob, mix, seeds=(0, 1), K=200)
    assert {k: via.params[k] for k in ("alpha", "gamma", "n", "K")} == \
        {k: make_dnasa(bare, mix, 200).params[k] for k in ("alpha", "gamma", "n", "K")}


def test_step_sizes_are_the_official_formulas():
    p = dnasa_parameters(1.0, 1.0, 16, 4096)
    assert p["alpha"] == pytest.approx(np.sqrt(16 / 4096)) and p["gamma"] == pytest.approx(2 / 4096 ** 0.75)


def reference_dnasa(prob, W, K, seeds, alpha, gamma):
    """The authors' loop (synthetic_linear_speedup.py), written out per agent and per seed."""
    gens = [np.random.default_rng(np.random.SeedSequence([int(s), 5, 0])) for s in seeds]
    m, d = prob.m, prob.dim
    X = np.broadcast_to(prob.w0[None, None, :], (m, len(seeds), d)).copy()
    Z = np.zeros_like(X)
    out = [X.copy()]
    for _ in range(K):
        for i in range(m):
            for s in range(len(seeds)):
                nz = np.linalg.norm(Z[i, s])
                if nz != 0:
                    X[i, s] = X[i, s] - gamma * Z[i, s] / nz
        G = prob.stochastic_local_gradient(X, gens)[0]
        Z = Z + alpha * (G - Z)
        X, Z = np.einsum("ij,jsd->isd", W, X), np.einsum("ij,jsd->isd", W, Z)
        out.append(X.copy())
    return out


def test_matches_the_authors_loop():
    prob = problems.make("nonconvex_regression", m=4)
    mix = mixing("ring", 4)
    K = 30
    meth = make_dnasa(prob, mix, K, seeds=(0, 1))
    ref = reference_dnasa(prob, np.asarray(mix.dense), K, (0, 1), meth.params["alpha"], meth.params["gamma"])
    X0 = np.broadcast_to(prob.w0[None, None, :], (4, 2, prob.dim)).copy()
    st, (lifo0, _, comm0) = meth.init(X0)
    assert np.all(np.asarray(lifo0) == 0) and comm0 == 0 and np.all(st["z"] == 0)  # z^0 = 0, no oracle call
    for t in range(K):
        st, (lifo, comp, comm) = meth.step(st, t)
        np.testing.assert_allclose(st["x"], ref[t + 1], rtol=0, atol=1e-12)
        assert comm == 1 and lifo[0] == 4
    np.testing.assert_array_equal(ref[1], ref[0])  # the first step moves nothing (z^0 = 0)


def test_network_average_moves_at_most_gamma():
    prob = problems.make("nonconvex_regression", m=4)
    meth = make_dnasa(prob, mixing("ring", 4), 50, seeds=(0,))
    st, _ = meth.init(np.zeros((4, 1, prob.dim)))
    for t in range(50):
        x_prev = st["x"]
        st, _ = meth.step(st, t)
        assert np.linalg.norm((st["x"] - x_prev).mean(0)) <= meth.params["gamma"] * (1 + 1e-12)


def test_tracked_reconstruction_keeps_its_invariant():
    prob = problems.make("nonconvex_regression", m=4)
    meth = make_dnasa(prob, mixing("ring", 4), 50, seeds=(0,), variant="tracked_reconstruction")
    st, _ = meth.init(np.zeros((4, 1, prob.dim)))
    for t in range(50):
        st, (lifo, comp, comm) = meth.step(st, t)
        np.testing.assert_allclose(st["y"].mean(0), st["z"].mean(0), atol=1e-12)  # y-bar = z-bar
        assert comm == 2
    with pytest.raises(ValueError, match="variant"):
        make_dnasa(prob, mixing("ring", 4), 50, variant="nope")


def test_mutant_switches_change_what_they_say():
    prob = problems.make("nonconvex_regression", m=16)
    mix = mixing("ring", 16)
    g = make_dnasa(prob, mix, 4096).params["gamma"]
    assert make_dnasa(prob, mix, 4096, gamma_n_power=0.5).params["gamma"] == pytest.approx(g * 16 ** 0.25)
    assert make_dnasa(prob, mix, 4096, gamma_K_power=0.5).params["gamma"] == pytest.approx(g * 4096 ** 0.25)


@pytest.mark.parametrize("kw, word", [
    ({"alpha0": 0.0}, "alpha0"), ({"alpha0": -1.0}, "alpha0"), ({"alpha0": 100.0}, "alpha0"),
    ({"gamma0": 0.0}, "gamma0"), ({"gamma0": float("inf")}, "gamma0"),
    ({"K": 0}, "K"), ({"K": 2.5}, "K"), ({"n": 0}, "n"),
])
def test_bad_input_raises(kw, word):
    args = {"alpha0": 1.0, "gamma0": 1.0, "n": 4, "K": 100, **kw}
    with pytest.raises(ValueError, match=word):
        dnasa_parameters(**args)


def test_bad_input_through_the_method():
    prob = problems.make("nonconvex_regression", m=4)
    with pytest.raises(ValueError, match="K"):
        make_method("dnasa", prob, mixing("ring", 4))  # no horizon
    with pytest.raises(ValueError, match="alpha0"):
        make_dnasa(prob, mixing("ring", 4), 100, alpha0=-1.0)
    with pytest.raises(ValueError, match="horizon K"):
        run_dnasa(config(100, m=4).replace(optimizer={"name": "dnasa", "K": 50}))


def test_same_seed_same_numbers():
    a = run_dnasa(config(300, m=4, graph="ring", seeds=(0, 1)))
    b = run_dnasa(config(300, m=4, graph="ring", seeds=(0, 1)))
    np.testing.assert_array_equal(a.grad_norm, b.grad_norm)
    assert a.meta["avg_grad_norm"] == b.meta["avg_grad_norm"]
    assert a.meta["avg_grad_norm"][0] != a.meta["avg_grad_norm"][1]


def test_bound_main_term_is_the_rate():
    # whether the (loose) bound holds is the claim dnasa.rate_bound (tests/test_claims_dnasa.py)
    b = dnasa_bound(4096, 16, 1.0, 1.0, L=1.5, sigma=2.6, Delta=0.6, gap=0.5)
    assert b["main"] == pytest.approx(b["main_coef"] * rate(16, 4096))
