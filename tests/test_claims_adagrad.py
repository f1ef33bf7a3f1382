"""Particular checks of the AdaGrad claims' own machinery (the generic claim tests are in
``tests/test_claims.py``): the AdaGrad-norm mutant optimizers do what their names say, and the
order claim's predicted factor is the closed form of the bounds' ratio."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theory_lab.claims.adagrad import NORM_RULES, _norm_rule_optimizer, bounds_advantage
from theory_lab.optimizers import make


@pytest.mark.parametrize("rule", NORM_RULES)
def test_norm_rule_denominators_and_projection(rule):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 5))
    lr, radius = 0.3, 0.5
    opt = _norm_rule_optimizer(make("adagrad_norm", lr=lr, radius=radius), rule)
    st = opt.init(w0)
    acc = np.zeros((3, 1))
    w = w0.copy()
    for t in range(6):
        g = rng.standard_normal((3, 5)) * (t + 1)
        n = np.linalg.norm(g, axis=-1, keepdims=True)
        acc = acc + (n if rule == "norms" else n**2)
        denom = {"norms": acc, "squared": acc, "none": n, "dropped": np.ones_like(n)}[rule]
        w = w - lr * g / denom
        d = w - w0
        nrm = np.linalg.norm(d, axis=-1, keepdims=True)
        w = np.where(nrm > radius, w0 + d * radius / nrm, w)  # the l2 ball around w0
        st = opt.step(st, g, t)
        np.testing.assert_allclose(st["w"], w, rtol=1e-12, atol=1e-14)
    assert np.all(np.linalg.norm(st["w"] - w0, axis=-1) <= radius * (1 + 1e-12))


def test_bounds_advantage_is_the_closed_form():
    import problems
    from experiments.adagrad import NONCONVEX

    spec = dict(NONCONVEX)
    prob = problems.make(spec.pop("name"), **spec)
    L, c = prob.L_vector, prob.constants()
    g0 = prob.gradient(prob.w0[None])[0]
    for T in (500, 2000):
        S = np.sum(L * (1 + np.log(T * L**2 / g0**2)))
        assert bounds_advantage(T) == pytest.approx(math.sqrt(c["d"] * c["L_inf"] / S), rel=1e-12)
    assert 1 < bounds_advantage(2000) < bounds_advantage(500) < math.sqrt(1 / c["L_ratio"])
