"""SCALE's claims as objects (issue 11): the true method passes, every mutant is rejected.

The method itself is checked against an independent statement of the official rule: an
explicit torch loop over ``(out, in)`` weights written from
``mem_eff_pt/pt_scale/scale_optimizer.py`` (``OptimAI-Lab/Minimalist_LLM_Pretraining``),
not the lab's own ``normalize``.
"""

import numpy as np
import pytest

from theory_lab.claims import load_all
from theory_lab.claims import scale as sc
from theory_lab.optimizers import make


def _official_torch_scale(layers, grads, lr, momentum=0.9, wd=0.0):
    """The official SCALE step on torch ``(out, in)`` tensors; the last layer is ``lm_head``.

    main params: ``var = mean(g^2, dim=1, keepdim)``, ``s = sqrt(var).clamp_min_(1e-8)``,
    ``u = g / s``, ``p *= 1 - lr wd``, ``p -= lr u``; secondary (output) params: the same on
    ``moment1.lerp_(g, 1 - momentum)``.
    """
    torch = pytest.importorskip("torch")
    params = [torch.zeros(o, i, dtype=torch.float64) for o, i in layers]
    moment1 = torch.zeros_like(params[-1])
    out = []
    for step_grads in grads:
        for k, (p, g) in enumerate(zip(params, step_grads, strict=True)):
            g = torch.as_tensor(g)
            if k == len(params) - 1:
                moment1.lerp_(g, 1 - momentum)
                g = moment1
            var = torch.mean(torch.square(g), dim=1, keepdim=True)
            s = torch.sqrt(var).clamp_min_(1e-8)
            u = g / s
            p.mul_(1 - lr * wd)
            p.add_(u, alpha=-lr)
        out.append(torch.cat([p.reshape(-1) for p in params]).numpy().copy())
    return np.array(out)


@pytest.mark.parametrize("layers", [((5, 7), (6, 5), (3, 6)), ((4, 9),), ((6, 6), (6, 6))])
def test_scale_equals_the_official_torch_rule(layers):
    T, lr = 10, 0.03
    rng = np.random.default_rng(0)
    grads = [[rng.normal(size=(o, i)) * rng.lognormal(size=(o, 1)) for o, i in layers] for _ in range(T)]
    ref = _official_torch_scale(layers, grads, lr)
    opt = make("scale", lr=lr, shapes=[list(s) for s in layers])      # defaults = official
    st = opt.init(np.zeros((1, sum(o * i for o, i in layers))))
    for t in range(T):
        flat = np.concatenate([g.reshape(-1) for g in grads[t]])[None, :]
        st = opt.step(st, flat, t)
        assert np.allclose(st["w"][0], ref[t], rtol=1e-12, atol=1e-14), t
    # the transposed variant is not the official rule (square layers included)
    opt = make("scale", lr=lr, shapes=[list(s) for s in layers], axis="column")
    st = opt.init(np.zeros((1, sum(o * i for o, i in layers))))
    st = opt.step(st, np.concatenate([g.reshape(-1) for g in grads[0]])[None, :], 0)
    assert not np.allclose(st["w"][0], ref[0], rtol=1e-3)


def test_official_momentum_and_weight_decay_defaults():
    hp = make("scale", lr=0.01, m=3, n=4).hyperparams
    assert (hp["momentum"], hp["axis"], hp["norm"], hp["eps"], hp["weight_decay"]) == \
        (0.9, "row", "rms", 1e-8, 0.0)
    layers = ((3, 4), (2, 3))
    rng = np.random.default_rng(1)
    grads = [[rng.normal(size=s) for s in layers] for _ in range(4)]
    ref = _official_torch_scale(layers, grads, 0.05, wd=0.1)
    opt = make("scale", lr=0.05, shapes=[list(s) for s in layers], weight_decay=0.1)
    st = opt.init(np.ones((1, 18)) * 0)
    for t in range(4):
        st = opt.step(st, np.concatenate([g.reshape(-1) for g in grads[t]])[None, :], t)
    assert np.allclose(st["w"][0], ref[-1], rtol=1e-12, atol=1e-14)


def test_claims_are_registered_with_two_mutants_each():
    reg = load_all()
    for c in sc.CLAIMS:
        assert reg[c.id] is c and c.paper == "scale" and len(c.mutants) >= 2
        assert c.source.startswith(("[V]", "[R]"))

# the true method passing and every mutant being rejected: tests/test_claims.py (all claims)
