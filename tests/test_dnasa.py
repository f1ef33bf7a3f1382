"""D-NASA (Li, Chen, Ma, Hong 2024; our [R] reconstruction): rate, speedup, no constants, inputs.

Tolerances come from the theory (:mod:`theory_lab.theory.dnasa_bounds`): the exponent is
-1/4 asymptotically; the pre-asymptotic deviation at n >= 8 agents has a known sign
(per-agent normalization of the noisy tracked direction shortens the network step, an
effect that fades like (alpha0^2 n^3 / K)^{1/4}; see experiments/dnasa.py), so the
n-sweep is checked one-sidedly against -1/4 and the K exponent at n = 2 two-sidedly.
"""

import numpy as np
import pytest

import problems
from experiments.dnasa import config
from theory_lab.decentralized import METHODS, make_method
from theory_lab.decentralized.dnasa import DEFAULTS, make_dnasa, run_dnasa, run_method
from theory_lab.networks import Mixing, make_graph, make_mixing
from theory_lab.rates import fit_loglog
from theory_lab.theory.dnasa_bounds import dnasa_bound, dnasa_parameters, rate

KS = (256, 1024, 4096, 16384)


def mixing(graph, m):
    G = make_graph(graph, m)
    return Mixing(make_mixing("lazy_metropolis", G), G)


def avg_norms(prob, mix, K, seeds=range(4), **kw):
    return run_method(make_dnasa(prob, mix, K, seeds=seeds, **kw), K, n_checkpoints=2)["final_avg_grad_norm"]


class NoConstants:
    """Wraps a problem; ``constants()`` raises (D-NASA must not need it)."""

    def __init__(self, prob):
        self._p = prob

    def __getattr__(self, name):
        return getattr(self._p, name)

    def constants(self):
        raise RuntimeError("constants are not available")


def test_exponent_in_K_is_minus_quarter_at_two_agents():
    # n = 2 is past the alpha0^2 n^3 transient: measured -0.246 [-0.265, -0.227]; tol +- 0.03
    prob = problems.make("nonconvex_regression", m=2)
    v = np.stack([avg_norms(prob, mixing("complete", 2), K) for K in KS])
    fit = fit_loglog(np.array(KS, float), v)
    assert abs(fit.slope + 0.25) <= 0.03, fit


def test_exponent_in_K_on_a_ring_of_16():
    # pre-asymptotic (alpha0^2 n^3 = 4096): two higher-order effects of opposite sign, the
    # noisy-descent transient (steeper at small K) and the per-agent normalization damping
    # (flatter); measured -0.266 [-0.270, -0.262] on K = 256..4096 (-0.244 on 256..16384 in
    # the figure); tolerance -1/4 +- 0.05, widened to -0.17 on the damping side only
    prob = problems.make("nonconvex_regression", m=16)
    v = np.stack([avg_norms(prob, mixing("ring", 16), K, seeds=range(3)) for K in (256, 1024, 4096)])
    fit = fit_loglog(np.array((256, 1024, 4096), float), v)
    assert -0.30 <= fit.slope <= -0.17, fit
    assert np.all(np.diff(v.mean(axis=1)) < 0)


def test_linear_speedup_in_the_number_of_agents():
    # one data set (N = 256) split over n agents: the same f for every n; measured -0.340
    # [-0.354, -0.326]; exponent <= -1/4 + 0.03 (linear speedup at least) and not beyond the
    # damping-enhanced local slope -0.45 measured between n = 16 and 32
    ms = (2, 4, 8)
    K = 2048
    v = np.stack([avg_norms(problems.make("nonconvex_regression", m=m, n=256 // m, heterogeneity=0.0),
                            mixing("complete", m), K) for m in ms])
    fit = fit_loglog(np.array(ms, float), v)
    assert -0.45 <= fit.slope <= -0.22, fit


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


def test_step_sizes_and_tracking_invariant():
    p = dnasa_parameters(1.0, 1.0, 16, 4096)
    assert p["alpha"] == pytest.approx(np.sqrt(16 / 4096)) and p["gamma"] == pytest.approx(2 / 4096 ** 0.75)
    prob = problems.make("nonconvex_regression", m=4)
    meth = make_dnasa(prob, mixing("ring", 4), 50, seeds=(0,))
    st, _ = meth.init(np.zeros((4, 1, prob.dim)))
    for t in range(50):
        x_prev = st["x"]
        st, (lifo, comp, comm) = meth.step(st, t)
        np.testing.assert_allclose(st["y"].mean(0), st["z"].mean(0), atol=1e-12)  # y-bar = z-bar
        step = np.linalg.norm((st["x"] - x_prev).mean(0))
        assert step <= meth.params["gamma"] * (1 + 1e-12) and comm == 2 and lifo[0] == 4


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


def test_bound_main_term_is_the_rate_and_holds():
    b = dnasa_bound(4096, 16, 1.0, 1.0, L=1.5, sigma=2.6, Delta=0.6, gap=0.5)
    assert b["main"] == pytest.approx(b["main_coef"] * rate(16, 4096))
    res = run_dnasa(config(1024, m=8, graph="ring", seeds=(0, 1)))
    c, net = res.meta["constants"], res.meta["network"]
    bound = dnasa_bound(1024, 8, 1.0, 1.0, L=c["L"], L_l=c["L_l"], sigma=float(np.sqrt(c["sigma2"])),
                        Delta=c["Delta0"], gap=net["gap"], zeta0=c["zeta0"])["total"]
    assert max(res.meta["avg_grad_norm"]) <= bound
