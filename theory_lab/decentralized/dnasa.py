r"""D-NASA (Li, Chen, Ma, Hong 2024): problem-parameter-free decentralized non-convex SGD.

Update **[V]** (the authors' public code, repository ``JasonJiaxiangLi/decen_mpi4py``,
``synthetic_linear_speedup.py`` and ``synthetic_comparison.py``; ``algorithms/dnasa.py``
is the MPI version of the same loop and allocates a tracking variable it never uses), per
agent :math:`i`, with :math:`g_i` a fresh stochastic gradient of :math:`f_i`:

.. math::

    x_i^{k+1/2} &= x_i^k - \gamma\, \frac{z_i^k}{\|z_i^k\|}
        \quad(\text{a zero } z_i^k \text{ gives no step, as in the official code}),\\
    z_i^{k+1/2} &= (1 - \alpha) z_i^k + \alpha\, g_i(x_i^{k+1/2}),\\
    X^{k+1} &= W X^{k+1/2}, \qquad Z^{k+1} = W Z^{k+1/2},

from a consensual :math:`x^0` with :math:`z^0 = 0` (so the first iteration moves no
agent: it only fills :math:`z` with :math:`\alpha g(x^0)`); one gossip round per
iteration that carries :math:`(x, z)` together; no separate tracking variable.  The
average obeys :math:`\bar x^{k+1} = \bar x^k - \frac\gamma n\sum_i z_i/\|z_i\|` and
:math:`\bar z^{k+1} = (1-\alpha)\bar z^k + \alpha\bar g^k` (:math:`W` doubly stochastic).
(The MPI file takes the gradient at the iterate *before* the normalized step; the
synthetic scripts, which make the paper's linear-speedup figure, take it after; we follow
the synthetic scripts.)

Step sizes **[V]** (same files, ``mode="constant"``) from :math:`\alpha_0, \gamma_0`, the
number of agents :math:`n` (``mixing.m``; *not* the problem's components-per-agent ``n``)
and the horizon :math:`K` only (:func:`theory_lab.theory.dnasa_bounds.dnasa_parameters`):

.. math::

    \alpha = \alpha_0\sqrt{n/K} \ (\text{moving-average weight}), \qquad
    \gamma = \gamma_0 n^{1/4}/K^{3/4} \ (\text{normalized step}),

:math:`\alpha_0 = \gamma_0 = 1` in the synthetic runs (the defaults here).

Named variants (``variant=`` of :func:`make_dnasa`; the mutants of
:mod:`theory_lab.claims.dnasa` are built from the switches):

``"authors"`` (default)
    the update above.
``"tracked_reconstruction"``
    the lab's earlier **[R]** reconstruction, kept for comparison: :math:`x^+ = Wx -
    \gamma y/\|y\|`, :math:`z^+ = (1-\alpha)z + \alpha g(x^+)`, :math:`y^+ = Wy + z^+ - z`,
    :math:`z^0 = y^0 = g(x^0)`, gradient after mixing, two gossip rounds per iteration.

Switches (plausible bugs, for the mutation tests): ``gossip_x=False`` (no mixing of
:math:`X`), ``normalize=False`` (step :math:`-\gamma z_i` instead of
:math:`-\gamma z_i/\|z_i\|`), ``gamma_n_power`` (exponent of :math:`n` in :math:`\gamma`,
1/4 in the paper; 1/2 is the mutant), ``gamma_K_power`` (exponent of :math:`1/K` in
:math:`\gamma`, 3/4 in the paper).

No Lipschitz constant, variance or spectral gap enters: :class:`DNASA` never calls
``problem.constants()``, and :func:`make_dnasa` builds it without them (``make_method``
works too, but evaluates the lab's common symbols on the way; its D-NASA defaults are plain
numbers).

Oracle: ``problem.stochastic_local_gradient(X, rngs)`` when the problem has one (e.g.
:mod:`problems.nonconvex_distributed`; noise from the method's per-seed generators),
otherwise exact local gradients.

:func:`run_dnasa` is a ``run_fn`` for :func:`theory_lab.sweep.run_sweep` (``K = T``): it
records :math:`\|\nabla f(\bar x_k)\|` at *every* iteration and stores the theorem's
quantity :math:`\frac1K\sum_{k<K}\|\nabla f(\bar x_k)\|` per seed in
``meta["avg_grad_norm"]`` (and its running value in ``extra["avg_grad_norm"]``)::

    cfg = RunConfig(problem={"name": "nonconvex_regression", "m": 16,
                             "network": {"graph": "ring", "mixing": "lazy_metropolis"}},
                    optimizer={"name": "dnasa", "alpha0": 1.0, "gamma0": 1.0},
                    T=4096, seeds=range(4))
    res = run_sweep([cfg], store="results/cache/dnasa", run_fn=run_dnasa)[0]
    res.meta["avg_grad_norm"]

References
----------
.. [1] J. Li, X. Chen, S. Ma, M. Hong. "Problem-Parameter-Free Decentralized Nonconvex
   Stochastic Optimization." arXiv:2402.08821, 2024.
.. [2] Official code: github.com/JasonJiaxiangLi/decen_mpi4py (``synthetic_linear_speedup.py``,
   ``synthetic_comparison.py``, ``algorithms/dnasa.py``); followed, not copied.
"""

from __future__ import annotations

import time

import numpy as np

from .. import __version__
from ..backends import device_of, get_backend, namespace, to_numpy
from ..config import RunConfig
from ..loop import drive
from ..networks import Mixing, make_graph, make_mixing
from ..results import RunResult
from ..runner import checkpoint_steps
from ..theory.dnasa_bounds import dnasa_parameters
from ..validation import check_int
from .algorithms import METHODS, DecentralizedMethod

__all__ = ["DNASA", "DEFAULTS", "SWITCHES", "VARIANTS", "make_dnasa", "run_dnasa", "run_method"]

#: D-NASA's parameters: plain numbers only (no expression in problem constants); K is required.
DEFAULTS = {"alpha0": 1.0, "gamma0": 1.0, "K": None}
#: named variants: the authors' update (default) and the lab's earlier [R] reconstruction
VARIANTS = ("authors", "tracked_reconstruction")
#: switches of the update (defaults = the paper); the mutation tests flip them
SWITCHES = {"variant": "authors", "gossip_x": True, "normalize": True, "gamma_n_power": 0.25,
            "gamma_K_power": 0.75}


class DNASA(DecentralizedMethod):
    """D-NASA [V]; ``params``: ``alpha0``, ``gamma0``, ``K`` (+ :data:`SWITCHES`); adds ``alpha``, ``gamma``, ``n``."""

    def __post_init__(self):
        super().__post_init__()
        self.oracle = "stochastic"
        if self.params.get("K") is None:
            raise ValueError("D-NASA needs the horizon K (its step sizes depend on it), got K = None")
        K = self.params["K"]
        if isinstance(K, float) and K.is_integer():
            K = int(K)
        sw = {**SWITCHES, **{k: self.params[k] for k in SWITCHES if k in self.params}}
        if sw["variant"] not in VARIANTS:
            raise ValueError(f"D-NASA variant must be one of {VARIANTS}, got {sw['variant']!r}")
        n = self.mixing.m
        p = dnasa_parameters(self.params.get("alpha0", DEFAULTS["alpha0"]),
                             self.params.get("gamma0", DEFAULTS["gamma0"]), n, K)
        if sw["gamma_n_power"] != SWITCHES["gamma_n_power"]:  # mutant: gamma ~ n^power
            p["gamma"] *= n ** (float(sw["gamma_n_power"]) - SWITCHES["gamma_n_power"])
        if sw["gamma_K_power"] != SWITCHES["gamma_K_power"]:  # mutant: gamma ~ K^-power
            p["gamma"] *= K ** (SWITCHES["gamma_K_power"] - float(sw["gamma_K_power"]))
        self.params = {**self.params, "K": K, "n": n, **sw, **p}

    def _grad(self, X):
        oracle = getattr(self.problem, "stochastic_local_gradient", None)
        if oracle is None:
            return self._full(X)
        return oracle(X, [g for g, _ in self._gens])

    def _direction(self, V):
        r""":math:`v_i/\|v_i\|` per agent (zero for a zero :math:`v_i`), or :math:`v_i` unnormalized."""
        if not self.params["normalize"]:
            return V
        xp = namespace(V)
        nrm = xp.sqrt(xp.sum(V * V, axis=-1))[..., None]
        return V / xp.where(nrm > 0, nrm, xp.ones_like(nrm))  # zero direction for a zero v_i

    def _gossip_x(self, X):
        return self._mix(X) if self.params["gossip_x"] else X

    def init(self, X0):
        if self.params["variant"] == "authors":
            return {"x": X0, "z": 0.0 * X0}, (np.zeros(self.S), np.zeros(self.S), 0)
        G, lifo, comp = self._grad(X0)
        return {"x": X0, "z": G, "y": G}, (lifo, comp, 0)

    def step(self, state, t):
        a, g = self.params["alpha"], self.params["gamma"]
        if self.params["variant"] == "authors":
            X, Z = state["x"], state["z"]
            Xh = X - g * self._direction(Z)  # local normalized step, before mixing
            G, lifo, comp = self._grad(Xh)  # fresh stochastic gradient at the new local iterate
            Zh = (1.0 - a) * Z + a * G
            return {"x": self._gossip_x(Xh), "z": self._mix(Zh)}, (lifo, comp, 1)
        X, Z, Y = state["x"], state["z"], state["y"]  # tracked_reconstruction [R]
        Xn = self._gossip_x(X) - g * self._direction(Y)
        G, lifo, comp = self._grad(Xn)
        Zn = (1.0 - a) * Z + a * G
        Yn = self._mix(Y) + Zn - Z
        return {"x": Xn, "z": Zn, "y": Yn}, (lifo, comp, 2)


METHODS["dnasa"] = (DNASA, dict(DEFAULTS))


def make_dnasa(problem, mixing: Mixing, K: int, alpha0: float = 1.0, gamma0: float = 1.0,
               seeds=(0,), variant: str = "authors", gossip_x: bool = True, normalize: bool = True,
               gamma_n_power: float = 0.25, gamma_K_power: float = 0.75) -> DNASA:
    """D-NASA on ``problem`` over ``mixing`` for horizon ``K``; reads no problem constant.

    ``variant``, ``gossip_x``, ``normalize``, ``gamma_n_power``, ``gamma_K_power``: see the module docstring
    (defaults = the authors' method).
    """
    params = {"alpha0": alpha0, "gamma0": gamma0, "K": K, "variant": variant,
              "gossip_x": bool(gossip_x), "normalize": bool(normalize), "gamma_n_power": float(gamma_n_power),
              "gamma_K_power": float(gamma_K_power)}
    return DNASA("dnasa", problem, mixing, params, tuple(int(s) for s in seeds), "stochastic")


def run_method(method, T: int, n_checkpoints: int = 60, spacing: str = "log",
               divergence_factor: float = 1e12) -> dict:
    r"""Run ``method`` for ``T`` iterations from a consensual ``problem.w0``.

    The loop is :func:`theory_lab.loop.drive` over the ``(m, S, d)`` state (seed axis 1);
    :math:`\|\nabla f(\bar x_t)\|` is computed on the device at every iteration and summed
    there (in float64).  Returns host arrays: ``steps``; (S, K) ``grad_norm``
    :math:`\|\nabla f(\bar x_t)\|`, ``avg_grad_norm`` (mean of it over :math:`k < t`; at
    :math:`t = 0` the value itself), ``suboptimality`` (the problem's ``suboptimality`` at
    :math:`\bar x_t`), ``consensus`` :math:`\frac1m\sum_i\|x_i - \bar x\|^2`, ``lifo``,
    ``comp_rounds``, ``comm_rounds``; (S,) ``final_avg_grad_norm``
    :math:`\frac1T\sum_{k<T}\|\nabla f(\bar x_k)\|` (NaN for a diverged seed), ``diverged_at``
    (-1: never); ``wall_time``.
    """
    T = check_int("T", T)
    prob = method.problem
    m, d, S = prob.m, prob.dim, method.S
    w0 = prob.w0
    xp = namespace(w0)
    if isinstance(w0, np.ndarray):
        X0 = np.broadcast_to(w0[None, None, :], (m, S, d)).copy()
    else:
        X0 = w0[None, None, :].expand(m, S, d).clone()
    steps = checkpoint_steps(T, n_checkpoints, spacing)
    state, (l0, c0, k0) = method.init(X0)
    counters = {"lifo": np.asarray(l0, float), "comp_rounds": np.asarray(c0, float), "comm_rounds": int(k0)}
    acc = {"gsum": xp.zeros((S,), dtype=xp.float64, device=device_of(w0))}

    def grad_norm(X):
        xbar = xp.mean(X, axis=0)
        return xbar, xp.linalg.vector_norm(prob.gradient(xbar), axis=-1)

    def step_fn(state, t):
        acc["gsum"] = acc["gsum"] + xp.astype(grad_norm(state["x"])[1], xp.float64)
        state, (dl, dc, dk) = method.step(state, t)
        return state, {"lifo": np.asarray(dl, float), "comp_rounds": np.asarray(dc, float),
                       "comm_rounds": int(dk)}

    def record_fn(state, t):
        X = state["x"]
        xbar, gn = grad_norm(X)
        dev = X - xbar[None]
        return {"grad_norm": gn,
                "avg_grad_norm": acc["gsum"] / t if t > 0 else xp.astype(gn, xp.float64),
                "suboptimality": prob.suboptimality(xbar),
                "consensus": xp.sum(dev * dev, axis=(0, 2)) / m}

    threshold = divergence_factor * m * (float(to_numpy(xp.sum(w0 * w0))) + d)
    out = drive(state, step_fn, T, steps, record_fn=record_fn, iterate=lambda st: st["x"],
                threshold=threshold, seed_axis=1, counters=counters,
                divergence_factor=divergence_factor)
    final = to_numpy(acc["gsum"]) / T
    final = np.where(out.diverged_at >= 0, np.nan, final)
    return {"steps": steps, **out.records, "final_avg_grad_norm": final,
            "diverged_at": out.diverged_at, "wall_time": out.wall_time}


def build_dnasa(config: RunConfig):
    """Problem, mixing and D-NASA of ``config`` (``K = config.T``); no problem constant is read."""
    import problems

    pspec = dict(config.problem)
    net = dict(pspec.pop("network", {"graph": "ring", "mixing": "metropolis"}))
    prob = problems.make(pspec.pop("name"), **pspec)
    if not hasattr(prob, "local_gradient"):
        raise ValueError(f"problem {config.problem['name']!r} is not split over agents (no local_gradient)")
    prob = prob.to_backend(get_backend(config.backend, config.device, config.dtype))
    graph = make_graph(net.pop("graph", "ring"), prob.m, **{k: v for k, v in net.items() if k != "mixing"})
    mixing = Mixing(make_mixing(net.get("mixing", "metropolis"), graph), graph)
    ospec = dict(config.optimizer)
    name = ospec.pop("name")
    if name != "dnasa":
        raise ValueError(f"run_dnasa runs the 'dnasa' method only, got {name!r}")
    unknown = set(ospec) - set(DEFAULTS) - set(SWITCHES)
    if unknown:
        raise ValueError(f"method 'dnasa' has no parameter(s) {sorted(unknown)}; it takes {sorted(set(DEFAULTS) | set(SWITCHES))}")
    K = ospec.pop("K", None)
    if K is not None and K != config.T:
        raise ValueError(f"D-NASA's horizon K = {K} must equal the run length T = {config.T}")
    method = make_dnasa(prob, mixing, config.T, seeds=config.seeds, **ospec)
    return prob, mixing, method


def run_dnasa(config: RunConfig) -> RunResult:
    """``RunConfig -> RunResult`` for D-NASA (a ``run_fn`` for ``run_sweep``; ``K = T``)."""
    prob, mixing, method = build_dnasa(config)
    out = run_method(method, config.T, config.n_checkpoints, config.spacing)
    try:  # reported for the record only; the method never saw them
        constants = prob.constants()
    except Exception:  # noqa: BLE001 - a problem without constants is fine here
        constants = None
    lifo_mean = np.nanmean(out["lifo"], axis=0)
    S = method.S
    meta = {
        "config_hash": config.hash(),
        "version": __version__,
        **get_backend(config.backend, config.device, config.dtype).describe(),
        "constants": constants,
        "network": {"m": mixing.m, "lambda2": mixing.lambda2, "gap": mixing.gap, "nnz": mixing.nnz},
        "optimizer": {"name": method.name, **method.params},
        "avg_grad_norm": out["final_avg_grad_norm"].tolist(),
        "wall_time": out["wall_time"],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    extra = {k: out[k] for k in ("avg_grad_norm", "consensus", "lifo", "comp_rounds", "comm_rounds")}
    return RunResult(config=config.to_dict(), meta=meta, steps=out["steps"],
                     suboptimality=out["suboptimality"], grad_norm=out["grad_norm"],
                     diverged_at=out["diverged_at"], hit_step=np.full(S, -1, dtype=np.int64),
                     samples=lifo_mean, grad_evals=lifo_mean, extra=extra)
