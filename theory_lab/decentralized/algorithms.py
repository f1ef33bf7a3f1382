r"""Decentralized methods with the agent axis stacked: iterates ``X`` of shape ``(m, S, d)``.

Every method is a small object with ``init(X0) -> state`` and ``step(state, t) ->
(state, lifo, comp, comm)``: ``state["x"]`` is the agents' iterates, ``lifo`` (S,) the
local component-gradient evaluations of this iteration summed over agents, ``comp`` (S,)
the largest number of them at one agent (the iteration's computation rounds), ``comm``
the number of multiplications by :math:`W` (communication rounds).  Full local gradients
cost :math:`n` per agent; a variance-reduced correction costs 2 per sampled component
(:math:`\nabla f_{ij}` at the iterate and at the snapshot).

Methods (step sizes are expressions in the problem's constants, resolved by
:func:`make_method`; every default is **[R]**, ours, unless stated):

``dgd``
    :math:`X^+ = WX - \eta\nabla F(X)` (Nedic-Ozdaglar); with ``batch`` (per agent) it is
    DSGD with Bernoulli(:math:`b/n`) sampling.  Converges to an
    :math:`O(\eta)` neighbourhood only.  Default :math:`\eta = 1/(2L_l)`.
``extra``
    EXTRA (Shi et al. 2015): :math:`X^{k+2} = (I+W)X^{k+1} - \tilde W X^k -
    \eta(\nabla F(X^{k+1}) - \nabla F(X^k))`, :math:`\tilde W = (I+W)/2`; needs
    :math:`\eta < 2\lambda_{\min}(\tilde W)/L_l`; default :math:`\eta = (1 +
    \lambda_{\min}(W))/(2L_l)` (half the limit).
``diging``
    Gradient tracking (Nedic, Olshevsky, Shi 2017): :math:`X^+ = WX - \eta Y`,
    :math:`Y^+ = WY + \nabla F(X^+) - \nabla F(X)`; default :math:`\eta = \gamma/(4L_l)`.
``mc_gt``
    Gradient tracking with FastMix multi-consensus and full local gradients
    (non-accelerated Mudag): :math:`X^+ = \mathrm{FastMix}(X - \eta S)`,
    :math:`S^+ = \mathrm{FastMix}(S + \nabla F(X^+) - \nabla F(X))`; :math:`\eta = 1/L`.
``pmgt_lsvrg``
    PMGT-LSVRG (Ye, Xiong, Zhang 2020): the same tracking and multi-consensus with a
    loopless-SVRG estimator, each agent sampling ``batch`` components of its own
    (without replacement) and a common snapshot coin; step
    :math:`1/(6\max(L_l, L_{\max}))` ([R]: PMGT assumes one smoothness constant for
    every :math:`f_i` and :math:`f_{ij}`).
``gt_nsvr`` -- the paper's method, **[R] reconstructed**
    Gradient tracking + FastMix + loopless SVRG with *network-wide* sampling
    ([V] ingredients, papers.md): every component is drawn independently,
    :math:`\xi_{ij}\sim\mathrm{Bernoulli}(q)`, :math:`q = b/(mn)`, so agent :math:`i`'s
    batch is :math:`\mathrm{Binomial}(n, q)` and differs between agents and iterations;
    :math:`g_i = \nabla f_i(w_i) + \frac1n\sum_j \frac{\xi_{ij}}{q}(\nabla f_{ij}(x_i)
    - \nabla f_{ij}(w_i))`; snapshot :math:`w \leftarrow x` with probability :math:`p`
    (one coin for the network); :math:`S^k = \mathrm{FastMix}(S^{k-1} + G^k - G^{k-1})`,
    :math:`X^{k+1} = \mathrm{FastMix}(X^k - \eta S^k)`.  Constants [R]
    (:func:`theory_lab.theory.decentralized_bounds.vr_parameters`):
    :math:`b = \lceil\kappa_{\max}/\kappa\rceil`, :math:`p = b/N`,
    :math:`\eta = 1/(6(L + L_{\max}/b))`.  This is the *non-accelerated* scheme; the
    accelerated one (``gt_katyusha``, network-wide loopless Katyusha, also [R]) is in
    :mod:`theory_lab.decentralized.accelerated`.

The multi-consensus methods use ``rounds`` FastMix rounds per mixing; default [R]
:math:`K` from :func:`~theory_lab.theory.decentralized_bounds.fastmix_rounds` with
:math:`\delta = \mu/(4L_l)` (the consensus error injected per step must be small
relative to :math:`1/\kappa_l`; the log of :math:`\kappa_l` is the only local
dependence left).

References
----------
.. [1] Y. Liu, L. Chen, L. Luo. ICML 2024 (see :mod:`theory_lab.theory.decentralized_bounds`).
.. [2] A. Nedic, A. Ozdaglar. "Distributed subgradient methods for multi-agent
   optimization." IEEE TAC 54(1), 2009.
.. [3] W. Shi, Q. Ling, G. Wu, W. Yin. EXTRA. SIAM J. Optim. 25(2), 2015.
.. [4] A. Nedic, A. Olshevsky, W. Shi. DIGing. SIAM J. Optim. 27(4), 2017.
.. [5] H. Ye, L. Luo, Z. Zhou, T. Zhang. Mudag / FastMix. JMLR 24, 2023.
.. [6] H. Ye, W. Xiong, T. Zhang. PMGT-VR. arXiv:2012.15010, 2020.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..backends import namespace
from ..config import resolve
from ..networks import Mixing, fastmix
from ..theory.decentralized_bounds import fastmix_rounds, gossip_rounds
from ..validation import check_int, check_positive

__all__ = ["METHODS", "Costs", "DecentralizedMethod", "make_method", "method_symbols"]


@dataclass
class Costs:
    """Cumulative costs per seed: LIFO, computation rounds (S,), communication rounds."""

    lifo: np.ndarray
    comp: np.ndarray
    comm: int = 0

    @classmethod
    def zeros(cls, S: int) -> Costs:
        return cls(np.zeros(S), np.zeros(S), 0)

    def add(self, lifo, comp, comm) -> None:
        self.lifo = self.lifo + lifo
        self.comp = self.comp + comp
        self.comm += int(comm)


@dataclass
class DecentralizedMethod:
    """Base: ``problem`` (agent-stacked), ``mixing``, resolved ``params``, ``seeds``."""

    name: str
    problem: object
    mixing: Mixing
    params: dict
    seeds: tuple = (0,)
    oracle: str = "exact"
    _gens: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        if self.problem.m != self.mixing.m:
            raise ValueError(f"problem has m = {self.problem.m} agents but W is {self.mixing.m}x{self.mixing.m}")
        self._gens = [(np.random.default_rng(np.random.SeedSequence([int(s), 5, 0])),
                       np.random.default_rng(np.random.SeedSequence([int(s), 5, 1])))
                      for s in self.seeds]

    # helpers
    @property
    def S(self) -> int:
        return len(self.seeds)

    def _full(self, X):
        """Full local gradients: cost n per agent."""
        m, n, S = self.problem.m, self.problem.n, X.shape[1]
        return self.problem.local_gradient(X), np.full(S, m * n, float), np.full(S, n, float)

    def _mix(self, U, rounds=None):
        if rounds is None:
            return self.mixing.apply(U)
        mode = self.params.get("fastmix_mode", "auto")
        if mode == "auto":
            mode = "operator" if self.mixing.m <= 256 else "rounds"
        return fastmix(U, self.mixing, rounds, self.params.get("fastmix_lambda2"), mode=mode)

    def _asarray(self, like, host):
        xp = namespace(like)
        if isinstance(like, np.ndarray):
            return host.astype(like.dtype, copy=False)
        return xp.asarray(host, dtype=like.dtype, device=like.device)

    def init(self, X0):
        raise NotImplementedError

    def step(self, state, t):
        raise NotImplementedError


class DGD(DecentralizedMethod):
    """DGD / DSGD (Nedic-Ozdaglar): X+ = WX - eta grad F(X); with ``batch``, Bernoulli sampling."""

    def init(self, X0):
        return {"x": X0}, (np.zeros(self.S), np.zeros(self.S), 0)

    def _grad(self, X):
        b = self.params.get("batch")
        if b is None:
            return self._full(X)
        m, n = self.problem.m, self.problem.n
        q = b / n
        xi = np.stack([g.random((m, n)) < q for g, _ in self._gens], axis=1)  # (m, S, n)
        G = self.problem.weighted_local_gradient(X, self._asarray(X, xi / q))
        cnt = xi.sum(axis=2)  # (m, S)
        return G, cnt.sum(axis=0).astype(float), cnt.max(axis=0).astype(float)

    def step(self, state, t):
        X = state["x"]
        G, lifo, comp = self._grad(X)
        return {"x": self._mix(X) - self.params["eta"] * G}, (lifo, comp, 1)


class EXTRA(DecentralizedMethod):
    """EXTRA (Shi et al. 2015): exact first-order decentralized method, one gossip per step."""

    def init(self, X0):
        G, lifo, comp = self._full(X0)
        return {"x": X0, "g": G}, (lifo, comp, 0)

    def step(self, state, t):
        eta = self.params["eta"]
        X, G = state["x"], state["g"]
        WX = self._mix(X)  # W X^k is reused as W X^{k-1} in the next step: one round each
        if "x_prev" not in state:
            Xn = WX - eta * G
        else:
            Xn = X + WX - 0.5 * (state["x_prev"] + state["wx_prev"]) - eta * (G - state["g_prev"])
        Gn, lifo, comp = self._full(Xn)
        return {"x": Xn, "g": Gn, "x_prev": X, "wx_prev": WX, "g_prev": G}, (lifo, comp, 1)


class DIGing(DecentralizedMethod):
    """DIGing (Nedic, Olshevsky, Shi 2017): gradient tracking, two gossips per step."""

    def init(self, X0):
        G, lifo, comp = self._full(X0)
        return {"x": X0, "y": G, "g": G}, (lifo, comp, 0)

    def step(self, state, t):
        Xn = self._mix(state["x"]) - self.params["eta"] * state["y"]
        Gn, lifo, comp = self._full(Xn)
        Yn = self._mix(state["y"]) + Gn - state["g"]
        return {"x": Xn, "y": Yn, "g": Gn}, (lifo, comp, 2)


class MultiConsensusGT(DecentralizedMethod):
    """GT + FastMix with full local gradients."""

    def init(self, X0):
        K = self.params["rounds"]
        G, lifo, comp = self._full(X0)
        return {"x": X0, "s": self._mix(G, K), "g": G}, (lifo, comp, K)

    def step(self, state, t):
        K = self.params["rounds"]
        Xn = self._mix(state["x"] - self.params["eta"] * state["s"], K)
        Gn, lifo, comp = self._full(Xn)
        Sn = self._mix(state["s"] + Gn - state["g"], K)
        return {"x": Xn, "s": Sn, "g": Gn}, (lifo, comp, 2 * K)


class TrackedLSVRG(DecentralizedMethod):
    """GT + FastMix + loopless SVRG; ``sampling`` = "network" (paper [R]) or "local" (PMGT)."""

    oracle: str = "stochastic"

    def init(self, X0):
        K = self.params["rounds"]
        G, lifo, comp = self._full(X0)
        state = {"x": X0, "w": X0, "gw": G, "v": G, "s": self._mix(G, K)}
        return state, (lifo, comp, K)

    def _weights(self):
        m, n = self.problem.m, self.problem.n
        if self.params["sampling"] == "network":
            q = self.params["q"]
            xi = np.stack([g.random((m, n)) < q for g, _ in self._gens], axis=1)
            return xi / q, xi.sum(axis=2)
        b = int(self.params["batch"])
        xi = np.zeros((m, len(self._gens), n))
        for s, (g, _) in enumerate(self._gens):
            idx = np.argsort(g.random((m, n)), axis=1)[:, :b]
            np.put_along_axis(xi[:, s, :], idx, 1.0, axis=1)
        return xi * (n / b), xi.sum(axis=2)

    def step(self, state, t):
        K, eta, p = self.params["rounds"], self.params["eta"], self.params["p"]
        m, n = self.problem.m, self.problem.n
        Xn = self._mix(state["x"] - eta * state["s"], K)
        C, cnt = self._weights()
        C = self._asarray(Xn, C)
        W = state["w"]
        V = state["gw"] + self.problem.weighted_local_gradient(Xn, C) \
            - self.problem.weighted_local_gradient(W, C)
        lifo = 2.0 * cnt.sum(axis=0)
        comp = 2.0 * cnt.max(axis=0)
        coin = np.array([g2.random() < p for _, g2 in self._gens])  # one coin per seed (network-wide)
        gw = state["gw"]
        if coin.any():
            G_new, _, _ = self._full(Xn)
            mask = self._asarray(Xn, coin.astype(float))[None, :, None]
            W = mask * Xn + (1.0 - mask) * W
            gw = mask * G_new + (1.0 - mask) * gw
            lifo = lifo + coin * m * n
            comp = comp + coin * n
        Sn = self._mix(state["s"] + V - state["v"], K)
        return {"x": Xn, "w": W, "gw": gw, "v": V, "s": Sn}, (lifo, comp, 2 * K)


#: name -> (class, default parameters as expressions of the symbols of :func:`method_symbols`)
METHODS = {
    "dgd": (DGD, {"eta": "1/(2*L_l)", "batch": None}),
    "extra": (EXTRA, {"eta": "(1 + lambda_min)/(2*L_l)"}),
    "diging": (DIGing, {"eta": "gap/(4*L_l)"}),
    "mc_gt": (MultiConsensusGT, {"eta": "1/L", "rounds": "fastmix"}),
    "pmgt_lsvrg": (TrackedLSVRG, {"eta": "1/(6*Max(L_l, L_max))", "batch": 1, "p": "1/n",
                                  "rounds": "fastmix", "sampling": "local"}),
    "gt_nsvr": (TrackedLSVRG, {"batch": "Max(1, ceiling(L_max/L))", "eta": "1/(6*(L + (1 - batch/N)*L_max/batch))",
                               "p": "batch/N", "rounds": "fastmix", "sampling": "network"}),
}


def method_symbols(problem, mixing: Mixing) -> dict:
    """Symbols available to parameter expressions: the problem's constants and the network's."""
    ev = np.linalg.eigvalsh(mixing.dense)
    return {**problem.constants(), "gap": float(mixing.gap), "lambda2": float(mixing.lambda2),
            "lambda_min": float(ev[0])}


def make_method(name: str, problem, mixing: Mixing, seeds=(0,), **params) -> DecentralizedMethod:
    r"""Build a method with its defaults (see :data:`METHODS`); numbers or expressions override.

    ``rounds="fastmix"`` (default of the multi-consensus methods) means
    :func:`fastmix_rounds` ``(gap, delta)`` with ``delta`` (default ``mu/(4*L_l)``);
    ``rounds="gossip"`` means :func:`gossip_rounds` ``(lambda2, delta)``.  The optional
    ``fastmix_lambda2`` (an expression, default the network's ``lambda2``) is the
    :math:`\lambda_2` FastMix's momentum is tuned from; ``0`` makes FastMix plain gossip
    (used by the claims' mutants, :mod:`theory_lab.claims.decentralized`).
    """
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; available: {', '.join(METHODS)}")
    cls, defaults = METHODS[name]
    unknown = set(params) - set(defaults) - {"delta", "fastmix_mode", "fastmix_lambda2"}
    if unknown:
        raise ValueError(f"method {name!r} has no parameter(s) {sorted(unknown)}; it takes {sorted(defaults)}")
    spec = {**defaults, **params}
    sym = method_symbols(problem, mixing)
    out = {}
    for key in ("batch", "delta"):  # resolved first: eta and p may refer to them
        if spec.get(key) is not None and key in spec:
            out[key] = resolve(spec[key], sym)
            sym[key] = out[key]
    if "delta" not in out:
        out["delta"] = resolve("mu/(4*L_l)", sym)
    for key, val in spec.items():
        if key in out or key in ("sampling", "fastmix_mode"):
            continue
        if key == "rounds":
            if mixing.m == 1 and val in ("fastmix", "gossip"):
                out[key] = 0
            elif val == "fastmix":
                out[key] = fastmix_rounds(max(mixing.gap, 1e-300), out["delta"])
            elif val == "gossip":
                out[key] = gossip_rounds(mixing.lambda2, out["delta"])
            else:
                out[key] = check_int("rounds", val, minimum=0)
        elif val is not None:
            out[key] = resolve(val, sym)
        else:
            out[key] = None
    if "sampling" in spec:
        out["sampling"] = spec["sampling"]
    if "fastmix_mode" in spec:
        if spec["fastmix_mode"] not in ("auto", "rounds", "operator"):
            raise ValueError(f"fastmix_mode must be 'auto', 'rounds' or 'operator', got {spec['fastmix_mode']!r}")
        out["fastmix_mode"] = spec["fastmix_mode"]
    if out.get("eta") is not None:
        out["eta"] = check_positive("eta", out["eta"])
    if out.get("batch") is not None:
        out["batch"] = check_positive("batch", out["batch"])
        if name == "pmgt_lsvrg":
            out["batch"] = check_int("batch", int(round(out["batch"])))
            if out["batch"] > problem.n:
                raise ValueError(f"batch = {out['batch']} exceeds n = {problem.n} components per agent")
        if name == "dgd" and out["batch"] > problem.n:
            raise ValueError(f"batch = {out['batch']} exceeds n = {problem.n} components per agent")
    if name == "gt_nsvr":
        N = problem.m * problem.n
        if out["batch"] > N:
            raise ValueError(f"batch = {out['batch']} exceeds N = mn = {N}")
        out["q"] = out["batch"] / N
    if "p" in out:
        p = check_positive("p", out["p"])
        if p > 1:
            raise ValueError(f"snapshot probability p must lie in (0, 1], got {p}")
    oracle = "stochastic" if (cls is TrackedLSVRG or (name == "dgd" and out.get("batch"))) else "exact"
    return cls(name, problem, mixing, out, tuple(int(s) for s in seeds), oracle)
