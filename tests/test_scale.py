"""SCALE, the per-layer wrapper, state memory and the deep linear network (issue 7, SCALE part)."""

import inspect
import math

import numpy as np
import pytest

import problems
from theory_lab.backends import Backend
from theory_lab.config import RunConfig
from theory_lab.optimizers import REGISTRY, make
from theory_lab.optimizers.scale import normalize, optimizer_state_memory, state_memory
from theory_lab.runner import run, run_config

SHAPES = [(5, 7), (6, 5), (3, 6)]          # W1: 7 -> 5, W2: 5 -> 6, W3 (output): 6 -> 3
D = sum(m * n for m, n in SHAPES)


def _drive(opt, grads, w0=None):
    w = np.zeros(grads.shape[1:]) if w0 is None else w0
    st = opt.init(w)
    out = [st["w"]]
    for t, g in enumerate(grads):
        st = opt.step(st, g, t)
        out.append(st["w"])
    return np.array(out), st


# -- the definition ------------------------------------------------------------------------
@pytest.mark.parametrize("axis", ["column", "row"])
@pytest.mark.parametrize("norm", ["l2", "rms"])
def test_normalization_matches_definition(axis, norm):
    rng = np.random.default_rng(0)
    for m, n in [(4, 7), (7, 4), (1, 5), (5, 1)]:
        G = rng.normal(size=(3, m, n)) * rng.lognormal(size=(3, 1, n))
        got = normalize(G, axis, eps=0.0 if norm == "l2" else 1e-8, norm=norm)
        ref = np.empty_like(G)
        k = m if axis == "column" else n                  # entries a norm runs over
        div = 1.0 if norm == "l2" else k
        for s in range(3):
            if axis == "column":
                for j in range(n):
                    ref[s, :, j] = G[s, :, j] / math.sqrt(sum(G[s, i, j] ** 2 for i in range(m)) / div)
            else:
                for i in range(m):
                    ref[s, i, :] = G[s, i, :] / math.sqrt(sum(G[s, i, j] ** 2 for j in range(n)) / div)
        assert np.allclose(got, ref, rtol=1e-12, atol=0)
        nrm = np.linalg.norm(got, axis=-2 if axis == "column" else -1)
        assert np.allclose(nrm, 1.0 if norm == "l2" else math.sqrt(k), rtol=1e-12, atol=0)


def test_zero_row_gets_zero_update_eps_is_added_or_clamps():
    G = np.array([[[3.0, 0.0], [4.0, 0.0]]])
    assert np.array_equal(normalize(G, "column", 0.0, "l2"), np.array([[[0.6, 0.0], [0.8, 0.0]]]))
    assert np.allclose(normalize(G, "column", 1.0, "l2"), np.array([[[0.5, 0.0], [4 / 6, 0.0]]]),
                       rtol=1e-15)
    # official: RMS clamped below at 1e-8 -- a zero row stays zero, a tiny row is divided by 1e-8
    H = np.array([[[3.0, 4.0], [0.0, 0.0], [1e-12, 0.0]]])
    got = normalize(H)
    assert np.allclose(got[0, 0], np.array([3.0, 4.0]) / math.sqrt(12.5), rtol=1e-15)
    assert np.array_equal(got[0, 1], np.zeros(2))
    assert np.allclose(got[0, 2], [1e-4, 0.0], rtol=1e-12)


def test_row_rms_normalization_is_steepest_descent_in_the_2_to_inf_norm():
    # R(G)/sqrt(n) attains <G, U> = sum_i ||G_i,:|| over max_i ||U_i,:|| <= 1; random feasible U do not beat it
    rng = np.random.default_rng(1)
    G = rng.normal(size=(6, 9))
    best = np.sum(G * normalize(G[None])[0]) / 3.0
    assert best == pytest.approx(np.linalg.norm(G, axis=1).sum(), rel=1e-13)
    U = rng.normal(size=(2000, 6, 9))
    U /= np.linalg.norm(U, axis=2, keepdims=True).max(axis=1, keepdims=True)
    assert np.einsum("kij,ij->k", U, G).max() < best


def test_scale_step_matches_inline_reference_with_last_layer_momentum():
    T, S, beta, lr = 12, 3, 0.8, 0.05
    grads = np.random.default_rng(2).normal(size=(T, S, D))
    got, st = _drive(make("scale", lr=lr, shapes=SHAPES, momentum=beta), grads)
    w = np.zeros((S, D))
    mom = np.zeros((S, 18))
    for t in range(T):
        upd = np.empty_like(w)
        k = 0
        for li, (m, n) in enumerate(SHAPES):
            g = grads[t][:, k:k + m * n].reshape(S, m, n)
            if li == 2:
                mom = beta * mom + (1 - beta) * g.reshape(S, -1)
                g = mom.reshape(S, m, n)
            rms = np.maximum(np.sqrt(np.mean(g**2, axis=2, keepdims=True)), 1e-8)
            upd[:, k:k + m * n] = (g / rms).reshape(S, -1)
            k += m * n
        w = w - lr * upd
        assert np.allclose(got[t + 1], w, rtol=1e-12, atol=1e-14), t
    assert set(st) == {"w", "m_last"} and st["m_last"].shape == (S, 18)
    no_mom, st0 = _drive(make("scale", lr=lr, shapes=SHAPES, momentum=0.0), grads)
    assert set(st0) == {"w"}
    assert np.allclose(no_mom[1][:, :35 + 30], got[1][:, :65], rtol=1e-12)   # hidden layers: no momentum
    # the transposed variant is a different method
    tr, _ = _drive(make("scale", lr=lr, shapes=SHAPES, momentum=beta, axis="column"), grads)
    assert not np.allclose(tr[1], got[1], rtol=1e-3)


def test_scale_row_and_single_matrix():
    g = np.random.default_rng(3).normal(size=(5, 2, 12))
    a, _ = _drive(make("scale_row", lr=0.1, m=3, n=4, momentum=0.0), g)
    ref = -0.1 * np.cumsum(normalize(g.reshape(5, 2, 3, 4), "row").reshape(5, 2, 12), axis=0)
    assert np.allclose(a[1:], ref, rtol=1e-12, atol=1e-14)
    b, _ = _drive(make("scale", lr=0.1, shapes=[(3, 4)], momentum=0.5), g)
    c, _ = _drive(make("scale", lr=0.1, m=3, n=4, momentum=0.5), g)
    assert np.array_equal(b, c)


# -- the per-layer wrapper -----------------------------------------------------------------
@pytest.mark.parametrize("inner", [{"name": "muon", "momentum": 0.9}, {"name": "asgo"},
                                   {"name": "scale", "momentum": 0.0}, {"name": "adam"}])
def test_layerwise_equals_one_optimizer_per_layer(inner):
    T, S = 8, 2
    grads = np.random.default_rng(4).normal(size=(T, S, D))
    got, _ = _drive(make("layerwise", lr=0.03, shapes=SHAPES, inner=inner), grads)
    k = 0
    spec = dict(inner)
    name = spec.pop("name")
    for m, n in SHAPES:
        kw = {"m": m, "n": n} if "m" in inspect.signature(REGISTRY[name]).parameters else {}
        ref, _ = _drive(make(name, lr=0.03, **kw, **spec), grads[:, :, k:k + m * n])
        assert np.allclose(got[:, :, k:k + m * n], ref, rtol=1e-12, atol=1e-14)
        k += m * n


def test_layerwise_scale_on_its_last_layer_is_not_scale():
    # per layer, every layer is its own "last layer": momentum on all of them -- a different method
    grads = np.random.default_rng(5).normal(size=(6, 1, D))
    a, _ = _drive(make("layerwise", lr=0.1, shapes=SHAPES, inner={"name": "scale", "momentum": 0.9}), grads)
    b, _ = _drive(make("scale", lr=0.1, shapes=SHAPES, momentum=0.9), grads)
    assert np.allclose(a[:, :, 65:], b[:, :, 65:], rtol=1e-12)     # output layer: same
    assert not np.allclose(a[2, :, :65], b[2, :, :65])               # hidden layers differ


# -- state memory --------------------------------------------------------------------------
def _buildable(name, m, n):
    """Build every registered optimizer that can run on an m x n matrix parameter."""
    sig = inspect.signature(REGISTRY[name]).parameters
    guesses = {"lr": 0.01, "eta0": 0.01, "beta": 0.5, "m": m, "n": n, "shapes": [(m, n)],
               "inner": {"name": "sgd"}}
    kw = {k: guesses[k] for k, p in sig.items()
          if k != "T" and p.default is inspect.Parameter.empty and k in guesses}
    missing = [k for k, p in sig.items() if k != "T" and p.default is inspect.Parameter.empty
               and k not in guesses]
    if missing:
        return None
    if "m" in sig and "n" in sig:           # optional matrix shape (scale, full-matrix AdaGrad)
        kw.update(m=m, n=n)
        kw.pop("shapes", None)
    try:
        return make(name, T=20, **kw)
    except (ValueError, TypeError):
        return None


def test_state_memory_equals_bytes_of_arrays_for_every_registered_optimizer():
    m, n, S = 4, 6, 3
    w0 = np.random.default_rng(6).normal(size=(S, m * n))
    built = {}
    for name in sorted(REGISTRY):
        opt = _buildable(name, m, n)
        if opt is None:
            continue
        try:
            st = opt.init(w0.copy())
            st = opt.step(st, np.ones_like(w0), 0)
            st = opt.step(st, np.ones_like(w0), 1)
        except (ValueError, TypeError, NotImplementedError):
            continue
        built[name] = opt
        mem = state_memory(st)
        arrays = {k: v for k, v in st.items() if k != "w"}
        assert mem["bytes"] == sum(np.asarray(v).nbytes for v in arrays.values()), name
        assert mem["bytes_per_param"] == mem["bytes"] / w0.size, name
        assert mem["arrays"] == {k: np.asarray(v).nbytes for k, v in arrays.items()}, name
    # the ones the comparison uses must be among them, with the formulas of their definitions
    assert {"sgd", "shb", "adam", "adagrad", "muon", "asgo", "shampoo", "scale", "layerwise"} <= set(built)
    expect = {"sgd": 0.0, "shb": 8.0, "adam": 16.0, "adagrad": 8.0, "muon": 8.0,
              "asgo": 8.0 * m * m / (m * n), "shampoo": 8.0 * (m * m + n * n) / (m * n),
              "scale": 8.0, "signgd": 0.0}
    for name, v in expect.items():
        assert optimizer_state_memory(built[name], w0)["bytes_per_param"] == pytest.approx(v, rel=1e-15), name


def test_state_memory_of_scale_on_a_multilayer_model_and_in_float32():
    torch = pytest.importorskip("torch")
    opt = make("scale", lr=0.1, shapes=SHAPES, momentum=0.9)
    w64 = np.zeros((2, D))
    assert optimizer_state_memory(opt, w64)["bytes_per_param"] == pytest.approx(8 * 18 / D, rel=1e-15)
    assert optimizer_state_memory(make("scale", lr=0.1, shapes=SHAPES, momentum=0.0), w64)["bytes"] == 0
    w32 = torch.zeros((2, D), dtype=torch.float32)
    assert optimizer_state_memory(opt, w32)["bytes_per_param"] == pytest.approx(4 * 18 / D, rel=1e-15)
    lw = make("layerwise", lr=0.1, shapes=SHAPES, inner={"name": "asgo"})
    assert optimizer_state_memory(lw, w64)["bytes"] == 2 * 8 * sum(m * m for m, _ in SHAPES)


# -- the deep linear network ---------------------------------------------------------------
def test_deep_linear_gradient_matches_finite_differences_and_is_unbiased():
    p = problems.make("deep_linear_regression", d_in=5, width=4, d_out=3, n_layers=3, noise_std=0.3)
    assert p.layer_shapes == [(4, 5), (4, 4), (3, 4)] and p.dim == 20 + 16 + 12
    rng = np.random.default_rng(7)
    w = p.w0[None] + 0.2 * rng.normal(size=(2, p.dim))
    g = p.gradient(w)
    h = 1e-6
    for i in range(p.dim):
        e = np.zeros_like(w)
        e[:, i] = h
        fd = (p.value(w + e) - p.value(w - e)) / (2 * h)
        assert np.allclose(fd, g[:, i], rtol=1e-6, atol=1e-8), i
    # unbiased: the mean of many mini-batch gradients is within 5 standard errors of the gradient
    from theory_lab.random import SeedStreams

    st = SeedStreams([0, 1])
    draws = np.array([p.stochastic_gradient(w, 8, st) for _ in range(4000)])
    se = draws.std(axis=0) / math.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - g) <= 5 * se + 1e-12)


def test_deep_linear_is_realizable_and_reports_its_layout():
    p = problems.make("deep_linear_regression", seed=3)
    c = p.constants()
    assert c["f_star"] == 0.0 and c["m_last"] == 8 and c["n_last"] == 16 and c["d"] == p.dim
    assert [(c[f"m{i}"], c[f"n{i}"]) for i in range(c["n_layers"])] == p.layer_shapes
    assert c["f0"] == pytest.approx(float(p.value(p.w0[None])[0]), rel=1e-12)
    # the teacher's own weights are not stored; but A is a product of the layer shapes' maps:
    # f = 0 exactly at a point built from A (first layer A-compatible, others identity-like)
    q = problems.make("deep_linear_regression", d_in=4, width=4, d_out=4, n_layers=2, seed=1)
    w = np.concatenate([np.asarray(q.A).reshape(-1), np.eye(4).reshape(-1)])[None]
    assert abs(float(q.value(w)[0])) < 1e-14


# -- backends, reproducibility, runner ----------------------------------------------------
def _cfg(opt, **kw):
    return RunConfig(problem={"name": "deep_linear_regression", "d_in": 6, "width": 5, "d_out": 4,
                              "n_layers": 3, "noise_std": 0.1},
                     optimizer=opt, T=40, batch_size=4, seeds=(0, 1, 2), n_checkpoints=10, **kw)


SHAPES_CFG = [[5, 6], [5, 5], [4, 5]]


@pytest.mark.parametrize("opt", [
    {"name": "scale", "lr": 0.02, "shapes": SHAPES_CFG, "momentum": 0.9},
    {"name": "scale_row", "lr": 0.02, "shapes": SHAPES_CFG},
    {"name": "layerwise", "lr": 0.02, "shapes": SHAPES_CFG, "inner": {"name": "muon"}},
])
def test_numpy_and_torch_cpu_trajectories_agree(opt):
    pytest.importorskip("torch")
    a = run_config(_cfg(opt))
    b = run_config(_cfg(opt, backend="torch"))
    assert np.all(np.isfinite(a.suboptimality))
    assert np.allclose(a.suboptimality, b.suboptimality, rtol=1e-10, atol=1e-12)


def test_same_seed_same_numbers_and_torch_final_iterates_agree():
    torch = pytest.importorskip("torch")
    p = problems.make("deep_linear_regression", d_in=6, width=5, d_out=4, n_layers=3, noise_std=0.1)
    opt = make("scale", lr=0.02, shapes=p.layer_shapes)
    r1 = run(p, opt, 30, seeds=(3, 4), batch_size=2)
    r2 = run(p, opt, 30, seeds=(3, 4), batch_size=2)
    assert np.array_equal(r1["suboptimality"], r2["suboptimality"])
    # the iterates themselves, numpy vs torch float64, driven by the same gradients
    grads = np.random.default_rng(8).normal(size=(20, 2, p.dim))
    a, _ = _drive(opt, grads)
    st = opt.init(torch.zeros((2, p.dim), dtype=torch.float64))
    for t, g in enumerate(grads):
        st = opt.step(st, torch.as_tensor(g), t)
    assert np.allclose(st["w"].numpy(), a[-1], rtol=1e-10, atol=1e-12)
    assert Backend("torch").name == "torch"


def test_scale_decreases_the_deep_linear_loss():
    res = run_config(_cfg({"name": "scale", "lr": 0.01, "shapes": SHAPES_CFG}).replace(T=400))
    sub = res.suboptimality
    assert np.all(res.diverged_at < 0)
    assert np.all(sub[:, -1] < 0.2 * sub[:, 0])


# -- measured claim: row-normalized GD ignores the row curvatures ----------------------------
@pytest.mark.parametrize("kappa", [1.0, 1e2, 1e4])
def test_row_normalized_gd_follows_exact_recursion_independent_of_kappa(kappa):
    from experiments.scale import invariance_traces

    tr = invariance_traces(kappas=(kappa,), T=150)[kappa]
    assert np.allclose(tr["scale"], tr["predicted"], rtol=1e-10, atol=1e-15)
    # from step ceil(max_i r_i(0) / (eta sqrt n)) on -- the same step at every kappa -- every row
    # is within eta sqrt(n) of its optimum: f <= (eta sqrt n)^2 sum_i c_i / 2
    k, h = tr["floor_step"], tr["step"]
    assert k == 27 and h == pytest.approx(0.02 * math.sqrt(8))
    c = np.geomspace(1.0, 1.0 / kappa, 8)
    assert np.all(tr["scale"][k:] <= 0.5 * h**2 * c.sum() * (1 + 1e-12))
    assert tr["scale"][k - 2] > 0.5 * h**2 * c.min()


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(("kw", "needle"), [
    ({"lr": 0.0, "m": 2, "n": 3}, "0.0"),
    ({"lr": -1.0, "m": 2, "n": 3}, "-1.0"),
    ({"lr": 0.1, "m": 2, "n": 3, "momentum": 1.0}, "1.0"),
    ({"lr": 0.1, "m": 2, "n": 3, "momentum": -0.1}, "-0.1"),
    ({"lr": 0.1, "m": 2, "n": 3, "axis": "diagonal"}, "diagonal"),
    ({"lr": 0.1, "shapes": [(2, 3), (4,)]}, "(4,)"),
    ({"lr": 0.1, "shapes": [(2, 3), (4, 5, 6)]}, "(4, 5, 6)"),
    ({"lr": 0.1, "shapes": [(2, 0)]}, "0"),
    ({"lr": 0.1, "shapes": []}, "[]"),
    ({"lr": 0.1}, "shapes=None"),
    ({"lr": 0.1, "m": 2, "n": 3, "eps": -1e-3}, "-0.001"),
])
def test_bad_input_raises_naming_the_value(kw, needle):
    with pytest.raises(ValueError, match=None) as exc:
        make("scale", **kw)
    assert needle in str(exc.value)


def test_mismatched_layer_shapes_raise():
    opt = make("scale", lr=0.1, shapes=[(2, 3), (4, 2)])
    with pytest.raises(ValueError, match=r"\(S, 14\).*\(2, 15\)"):
        opt.init(np.zeros((2, 15)))
    with pytest.raises(ValueError, match="'nope'"):
        make("layerwise", lr=0.1, shapes=[(2, 3)], inner={"name": "nope"})
    with pytest.raises(ValueError, match="'m'"):
        make("layerwise", lr=0.1, shapes=[(2, 3)], inner={"name": "muon", "m": 2})
    with pytest.raises(ValueError, match=r"\(4, 5\).*size 3"):
        problems.multilayer.DeepLinearRegression([np.zeros((3, 4)), np.zeros((4, 5))],
                                                 np.zeros((4, 4)), np.eye(4))
