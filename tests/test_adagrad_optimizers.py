"""Adaptive optimizers: reductions to torch's optimizers, in-place kernel, backends, bad input."""

import numpy as np
import pytest

import problems
from theory_lab import kernels
from theory_lab.backends import Backend
from theory_lab.optimizers import make
from theory_lab.optimizers.adagrad import adagrad_update_
from theory_lab.runner import run

torch = pytest.importorskip("torch")


def _grads(n_steps=40, shape=(3, 7), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * rng.uniform(0.01, 10, size=shape[-1]) for _ in range(n_steps)]


def _ours(name, params, w0, grads, inplace=False):
    opt = make(name, **params)
    state = opt.init(w0.copy())
    for t, g in enumerate(grads):
        state = (opt.step_inplace if inplace else opt.step)(state, g.copy(), t)
    return state["w"]


def _torch_run(cls, kw, w0, grads):
    p = torch.tensor(w0.copy(), dtype=torch.float64, requires_grad=True)
    topt = cls([p], **kw)
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
    return p.detach().numpy()


@pytest.mark.parametrize("eps", [1e-10, 1e-3])
@pytest.mark.parametrize("inplace", [False, True])
def test_adagrad_equals_torch_adagrad_to_1e10(eps, inplace):
    w0 = np.random.default_rng(1).standard_normal((3, 7))
    grads = _grads()
    ours = _ours("adagrad", {"lr": 0.3, "eps": eps}, w0, grads, inplace)
    ref = _torch_run(torch.optim.Adagrad, {"lr": 0.3, "eps": eps, "initial_accumulator_value": 0,
                                           "lr_decay": 0, "weight_decay": 0}, w0, grads)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)


def test_adam_and_rmsprop_equal_torch_to_1e10():
    w0 = np.random.default_rng(2).standard_normal((3, 7))
    grads = _grads(seed=3)
    ours = _ours("adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8}, w0, grads)
    ref = _torch_run(torch.optim.Adam, {"lr": 0.01, "betas": (0.9, 0.99), "eps": 1e-8}, w0, grads)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)
    ours = _ours("rmsprop", {"lr": 0.01, "alpha": 0.95, "eps": 1e-8}, w0, grads)
    ref = _torch_run(torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.95, "eps": 1e-8}, w0, grads)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("eps", [0.0, 1e-8])
def test_adagrad_norm_in_dimension_one_is_diagonal_adagrad(eps):
    w0 = np.array([[0.7], [-2.0]])
    grads = [g[:, :1] for g in _grads(shape=(2, 3), seed=4)]
    grads[0][0, 0] = 0.0  # a zero first gradient: the 0/0 := 0 convention in both
    a = _ours("adagrad", {"lr": 0.2, "eps": eps}, w0, grads)
    b = _ours("adagrad_norm", {"lr": 0.2, "eps": eps}, w0, grads)
    np.testing.assert_array_equal(a, b)  # the same arithmetic, bitwise
    assert np.all(np.isfinite(a))


@pytest.mark.parametrize("n", [5, kernels.CHUNK + 3, 3 * kernels.CHUNK + 17])
@pytest.mark.parametrize("eps", [0.0, 1e-10])
def test_fused_kernel_is_bitwise_equal_to_the_pure_step(n, eps):
    rng = np.random.default_rng(5)
    w, g = rng.standard_normal(n), rng.standard_normal(n)
    v = rng.uniform(0, 2, n)
    g[:3] = 0.0
    v[:2] = 0.0  # v = 0 where g = 0: the eps = 0 convention
    opt = make("adagrad", lr=0.05, eps=eps)
    ref = opt.step({"w": w[None], "v": v[None]}, g[None], 0)
    g0 = g.copy()
    w2, v2 = adagrad_update_(w.copy(), v.copy(), g, 0.05, eps)
    np.testing.assert_array_equal(w2, ref["w"][0])
    np.testing.assert_array_equal(v2, ref["v"][0])
    np.testing.assert_array_equal(g, g0)  # the gradient is read only


def test_projection_keeps_iterates_in_the_box():
    w0 = np.zeros((2, 5))
    opt = make("adagrad", lr=10.0, radius=0.3)
    state = opt.init(w0.copy())
    for t, g in enumerate(_grads(shape=(2, 5), n_steps=5)):
        state = opt.step_inplace(state, g, t)
        assert np.max(np.abs(state["w"])) <= 0.3 + 1e-15
    opt = make("adagrad_norm", lr=10.0, radius=0.3)
    state = opt.init(w0.copy())
    for t, g in enumerate(_grads(shape=(2, 5), n_steps=5)):
        state = opt.step(state, g, t)
        assert np.all(np.linalg.norm(state["w"], axis=1) <= 0.3 * (1 + 1e-12))


OPTS = [
    ("adagrad", {"lr": 0.3}),
    ("adagrad", {"lr": 0.3, "eps": 1e-8, "radius": 0.5}),
    ("adagrad_norm", {"lr": 0.5, "radius": 5.0}),
    ("signsgd", {"lr": 0.01}),
    ("adam", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01}),
]


@pytest.mark.parametrize(("name", "params"), OPTS)
def test_numpy_and_torch_cpu_give_the_same_trajectory(name, params):
    p = problems.make("separable_quadratic", d=20, L_ratio=0.2, sigma="power_law",
                      sigma_ratio=0.6)
    kw = {"T": 150, "seeds": range(3), "batch_size": 4}
    a = run(p, make(name, **params), **kw)
    b = run(p, make(name, **params), backend=Backend("torch", "cpu", "float64"), **kw)
    np.testing.assert_allclose(a["suboptimality"], b["suboptimality"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(a["grad_norm"], b["grad_norm"], rtol=1e-10, atol=0)
    c = run(p, make(name, **params), **kw)  # same seed, same numbers
    np.testing.assert_array_equal(a["suboptimality"], c["suboptimality"])


def test_logistic_runs_the_same_on_torch():
    p = problems.make("anisotropic_logistic", n=200, d=10)
    kw = {"T": 60, "seeds": range(2), "batch_size": 8}
    a = run(p, make("adagrad", lr=0.2), **kw)
    b = run(p, make("adagrad", lr=0.2), backend=Backend("torch", "cpu", "float64"), **kw)
    np.testing.assert_allclose(a["suboptimality"], b["suboptimality"], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("adagrad", {"lr": 0.1, "eps": -1e-3}, "eps.*-0.001"),
        ("adagrad", {"lr": 0.0}, "lr.*0.0"),
        ("adagrad", {"lr": 0.1, "radius": -2.0}, "radius.*-2.0"),
        ("adagrad_norm", {"lr": 0.1, "eps": -1.0}, "eps.*-1.0"),
        ("rmsprop", {"lr": 0.1, "alpha": 1.5}, "alpha.*1.5"),
        ("adam", {"lr": 0.1, "beta2": 1.0}, "beta2.*1.0"),
        ("signsgd", {"lr": -1.0}, "lr.*-1.0"),
    ],
)
def test_bad_hyperparameters_raise_naming_the_value(name, params, match):
    with pytest.raises(ValueError, match=match):
        make(name, **params)
