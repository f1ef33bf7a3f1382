"""Fused in-place kernels and ``step_inplace``: the same numbers as the pure steps."""

import numpy as np
import pytest

import problems
from theory_lab import kernels
from theory_lab.optimizers import Optimizer, heavy_ball, sgd
from theory_lab.runner import run
from theory_lab.schedules import multistage

C = kernels.CHUNK
# odd sizes: below, around and well past the chunk, never a multiple of it
SIZES = [1, 7, C - 1, C + 1, 3 * C + 17]


def _data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    w, v, g = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    return w, v, g


@pytest.fixture
def threaded(monkeypatch):
    """Exercise the multithreaded path on small arrays (several blocks, two threads)."""
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 1)
    monkeypatch.setattr(kernels, "BLOCK_CHUNKS", 1)
    monkeypatch.setattr(kernels, "ADAPTIVE", False)  # always threads
    prev = kernels.set_num_threads(2)
    yield
    kernels.set_num_threads(prev)


def _check_hb_bitwise(shape, dtype, chunk=None):
    lr, beta = 0.0123, 0.9
    w, v, g = _data(shape, dtype)
    v_ref = beta * v - lr * g  # the pure step's arithmetic
    w_ref = w + v_ref
    g0 = g.copy()
    w2, v2 = kernels.heavy_ball_update_(w, v, g, lr, beta, chunk=chunk)
    assert w2 is w and v2 is v
    assert w.dtype == dtype and v.dtype == dtype
    assert np.array_equal(v, v_ref) and np.array_equal(w, w_ref)
    assert np.array_equal(g, g0)  # the gradient is read only


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", SIZES)
def test_heavy_ball_kernel_is_bitwise_the_pure_step(n, dtype):
    _check_hb_bitwise((n,), dtype)
    _check_hb_bitwise((3, n), dtype)  # (S, d) as the runner holds it


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", SIZES)
def test_sgd_kernel_is_bitwise_the_pure_step(n, dtype):
    lr = 0.0123
    w, _, g = _data((2, n), dtype)
    ref = w - lr * g
    g0 = g.copy()
    assert kernels.sgd_update_(w, g, lr) is w
    assert w.dtype == dtype and np.array_equal(w, ref) and np.array_equal(g, g0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threaded_path_is_bitwise(threaded, dtype):
    for n in (C + 1, 5 * C + 3):
        _check_hb_bitwise((n,), dtype)
        w, _, g = _data((n,), dtype)
        ref = w - 0.5 * g
        kernels.sgd_update_(w, g, 0.5)
        assert np.array_equal(w, ref)


def test_adaptive_threads_give_the_same_numbers(monkeypatch):
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 1)
    monkeypatch.setattr(kernels, "BLOCK_CHUNKS", 1)
    monkeypatch.setattr(kernels, "EXPLORE_EVERY", 2)
    monkeypatch.setattr(kernels, "_tuners", {})
    prev = kernels.set_num_threads(2)
    try:
        for _ in range(6):  # first call times 1 thread, the second 2, then both alternate
            _check_hb_bitwise((4 * C + 1,), np.float64)
    finally:
        kernels.set_num_threads(prev)
    (tuner,) = kernels._tuners.values()
    assert set(tuner.cost) == {1, 2} and tuner.calls == 6


def test_tuner_prefers_the_faster_mode_and_re_explores(monkeypatch):
    monkeypatch.setattr(kernels, "EXPLORE_EVERY", 4)
    tu = kernels._Tuner()
    assert tu.choose(2) == 1
    tu.record(1, 3.0)
    assert tu.choose(2) == 2
    tu.record(2, 1.0)
    picks = [tu.choose(2) for _ in range(8)]  # calls 3..10: call 4 and 8 explore
    assert picks == [2, 1, 2, 2, 2, 1, 2, 2]
    for _ in range(10):  # threads get slow (e.g. the other core is busy): switch
        tu.record(2, 10.0)
    assert tu.choose(2) == 1  # call 11: not an exploring call


def test_threads_with_fewer_blocks_than_threads(monkeypatch):
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 1)
    monkeypatch.setattr(kernels, "ADAPTIVE", False)
    prev = kernels.set_num_threads(4)
    try:
        for n in (C + 1, 3 * C):  # one block only; then fewer blocks than threads
            monkeypatch.setattr(kernels, "BLOCK_CHUNKS", 1 if n == 3 * C else 4)
            _check_hb_bitwise((n,), np.float64)
    finally:
        kernels.set_num_threads(prev)


def test_small_chunks_and_other_layouts():
    _check_hb_bitwise((3 * 17 + 5,), np.float64, chunk=17)
    # Fortran order, strided views and a broadcast gradient take the whole-array path
    lr, beta = 0.3, 0.7
    w, v, g = _data((40, 31), np.float64)
    for ww, vv, gg in [
        (np.asfortranarray(w), np.asfortranarray(v), np.asfortranarray(g)),
        (w.copy()[:, ::2], v.copy()[:, ::2], g[:, ::2]),
        (w.copy(), v.copy(), g[:1]),
        (np.asfortranarray(w), np.asfortranarray(v), g),  # mixed layouts
    ]:
        v_ref = beta * vv - lr * gg
        w_ref = ww + v_ref
        kernels.heavy_ball_update_(ww, vv, gg, lr, beta, chunk=64)
        assert np.array_equal(vv, v_ref) and np.array_equal(ww, w_ref)


def test_set_num_threads_validates():
    with pytest.raises(ValueError, match=">= 1"):
        kernels.set_num_threads(0)
    prev = kernels.set_num_threads(3)
    assert kernels.get_num_threads() == 3
    kernels.set_num_threads(prev)


# -- optimizers: step_inplace against step ------------------------------------------
def _steps(opt, w0, grads, inplace):
    state = opt.init(w0.copy())
    step = opt.step_inplace if inplace else opt.step
    out = []
    for t, g in enumerate(grads):
        state = step(state, g.copy(), t)
        out.append(state["w"].copy())
    return np.array(out)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_step_inplace_equals_step(dtype):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((4, C + 3)).astype(dtype)
    grads = rng.standard_normal((12, 4, C + 3)).astype(dtype)
    sched = multistage(0.1, [4, 4, 4])
    for opt in (heavy_ball(0.1, 0.8), heavy_ball(sched, 0.5), sgd(0.1), sgd(sched)):
        assert opt.step_inplace is not None
        a, b = _steps(opt, w0, grads, False), _steps(opt, w0, grads, True)
        assert a.dtype == b.dtype == dtype
        assert np.array_equal(a, b), opt.name


def test_shb_with_zero_momentum_is_sgd_exactly():
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((3, 101))
    grads = rng.standard_normal((20, 3, 101))
    for inplace in (False, True):
        a = _steps(heavy_ball(0.05, 0.0), w0, grads, inplace)
        b = _steps(sgd(0.05), w0, grads, inplace)
        assert np.array_equal(a, b)
    # and through the runner, noisy gradients included
    p = problems.make("quadratic", d=30, kappa=10.0, sigma=0.5)
    for inplace in (False, True):
        kw = {"T": 100, "seeds": range(4), "spacing": "linear", "n_checkpoints": 101,
              "inplace": inplace}
        a = run(p, heavy_ball(0.3, 0.0), **kw)["suboptimality"]
        b = run(p, sgd(0.3), **kw)["suboptimality"]
        assert np.array_equal(a, b)


def _logged(opt, inplace, log):
    """``opt`` whose (in-place or pure) step records a copy of every new state."""
    inner = opt.step_inplace if inplace else opt.step

    def step(state, grad, t):
        state = inner(state, grad, t)
        log.append({k: np.array(v, copy=True) for k, v in state.items()})
        return state

    return Optimizer(opt.name, opt.init, step, opt.hyperparams, oracle=opt.oracle)


@pytest.mark.parametrize("noise", ["anisotropic", "none"])
def test_runner_trajectory_inplace_equals_pure(noise):
    p = problems.make("quadratic", d=40, kappa=50.0, noise=noise, sigma=0.3)
    opt = heavy_ball(multistage(0.5, [50, 50, 50]), 0.9)
    kw = {"T": 150, "seeds": range(5), "spacing": "linear", "n_checkpoints": 151, "batch_size": 2}
    la, lb = [], []
    a = run(p, _logged(opt, True, la), **kw)
    b = run(p, _logged(opt, False, lb), **kw)
    # the iterates (and displacements) are bitwise the same at every step
    assert len(la) == len(lb) == 150
    for sa, sb in zip(la, lb, strict=True):
        assert np.array_equal(sa["w"], sb["w"]) and np.array_equal(sa["v"], sb["v"])
    # the runner's (S, d) start is row-major, so the recorded metrics are bitwise equal too
    assert np.array_equal(a["suboptimality"], b["suboptimality"])
    # one seed as well
    kw["seeds"] = [3]
    a = run(p, opt, inplace=True, **kw)
    b = run(p, opt, inplace=False, **kw)
    assert np.array_equal(a["suboptimality"], b["suboptimality"])
    assert np.array_equal(a["grad_norm"], b["grad_norm"])


def test_runner_divergence_masking_with_inplace():
    # masking replaces the state's arrays mid-run; the kernels must keep working on them
    p = problems.make("quadratic", d=10, kappa=10.0, sigma=3.0)
    kw = {"T": 15, "seeds": range(12), "divergence_factor": 30.0}
    a = run(p, heavy_ball(2.0, 0.3), inplace=True, **kw)
    b = run(p, heavy_ball(2.0, 0.3), inplace=False, **kw)
    assert (a["diverged_at"] > 0).any() and (a["diverged_at"] == -1).any()
    assert np.array_equal(a["diverged_at"], b["diverged_at"])
    assert np.array_equal(a["suboptimality"], b["suboptimality"], equal_nan=True)


# -- torch ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
def test_torch_fallback_agrees_with_pure_step(dtype_name):
    torch = pytest.importorskip("torch")
    dtype = getattr(torch, dtype_name)
    eps = torch.finfo(dtype).eps
    lr, beta = 0.0123, 0.9
    w, v, g = (torch.as_tensor(a) for a in _data((3, C + 5), getattr(np, dtype_name)))
    v_ref = beta * v - lr * g
    w_ref = w + v_ref
    g0 = g.clone()
    w2, v2 = kernels.heavy_ball_update_(w, v, g, lr, beta)
    assert w2 is w and v2 is v and w.dtype == dtype
    scale = (beta * v_ref.abs().max() + lr * g.abs().max()).item()
    assert (v - v_ref).abs().max().item() <= 2 * eps * scale
    assert (w - w_ref).abs().max().item() <= 2 * eps * (w_ref.abs().max().item() + scale)
    assert torch.equal(g, g0)
    ws = w_ref.clone()
    ref = ws - lr * g
    kernels.sgd_update_(ws, g, lr)
    assert (ws - ref).abs().max().item() <= 2 * eps * ref.abs().max().item()


def test_torch_runner_inplace_agrees_with_pure():
    pytest.importorskip("torch")
    from theory_lab.backends import get_backend

    p = problems.make("quadratic", d=40, kappa=50.0, sigma=0.3)
    kw = {"T": 200, "seeds": range(3), "spacing": "linear", "n_checkpoints": 201,
          "backend": get_backend("torch")}
    a = run(p, heavy_ball(0.5, 0.9), inplace=True, **kw)["suboptimality"]
    b = run(p, heavy_ball(0.5, 0.9), inplace=False, **kw)["suboptimality"]
    assert np.allclose(a, b, rtol=1e-10, atol=0)


def test_shb_trajectory_matches_torch_optim_sgd():
    """Constant lr: displacement-form SHB is torch's SGD(momentum=beta, dampening=0)."""
    torch = pytest.importorskip("torch")
    p = problems.make("quadratic", d=50, kappa=100.0, noise="none")
    lr, beta, T = 0.7, 0.9, 300
    opt = heavy_ball(lr, beta, oracle="exact")
    state = opt.init(np.array(p.w0[None, :], copy=True))
    param = torch.tensor(p.w0, dtype=torch.float64)
    topt = torch.optim.SGD([param], lr=lr, momentum=beta)
    max_err = 0.0
    for t in range(T):
        state = opt.step_inplace(state, p.gradient(state["w"]), t)
        param.grad = torch.as_tensor(p.gradient(param.detach().numpy()))
        topt.step()
        max_err = max(max_err, float(np.abs(state["w"][0] - param.detach().numpy()).max()))
    assert max_err <= 1e-10
    # and it did move: the check is not vacuous
    assert np.abs(state["w"][0] - p.w0).max() > 0.1
