r"""Linear associative memory with softmax cross-entropy (tail-end facts).

Setting [V] of "Muon outperforms Adam in tail-end associative memory learning" (ICLR 2026,
arXiv:2509.26030): :math:`K` facts :math:`k \mapsto k`, orthonormal key embeddings
:math:`E = (E_1,\dots,E_K)` and value embeddings :math:`\tilde E` (:math:`d = K`),
prediction :math:`f_W(E_k) = \operatorname{softmax}(\tilde E^\top W E_k)`, loss

.. math::
    \mathcal L(W) = -\sum_k p_k \log [f_W(E_k)]_k ,\qquad W_0 = 0,

with two-level frequencies :math:`p_k = \alpha/L` for the :math:`L = \beta K` head facts and
:math:`(1-\alpha)/(K-L)` for the tail.  Gradient (exact oracle):
:math:`\nabla\mathcal L = \tilde E (S - I)\operatorname{diag}(p) E^\top` with
:math:`S_{:,k} = f_W(E_k)`.  :math:`\mathcal L^\star = 0` (an infimum).
The measured quantity is the maximal probability gap
:math:`\max_{i,j} [f_W(E_i)]_i - [f_W(E_j)]_j` (:meth:`AssociativeMemory.probability_gap`).

Embeddings
    ``"decoupled"``: :math:`E = \tilde E = I`.  ``"coupled"`` (our construction, [R]: the
    paper's "block rotations" are not specified in our notes): :math:`E = \tilde E = Q`,
    :math:`Q` block diagonal with Haar rotations on blocks of ``block`` facts after a
    random permutation of the facts (so blocks mix head and tail facts).  GD and Muon are
    equivariant under :math:`W \mapsto \tilde E^\top W E`, so their trajectories (losses,
    gaps) do not depend on the embedding; SignGD is not.

References
----------
.. [1] "Muon outperforms Adam in tail-end associative memory learning." ICLR 2026.
   arXiv:2509.26030.
"""

from __future__ import annotations

import copy

import numpy as np

from theory_lab.backends import get_backend, namespace
from theory_lab.validation import check_int, check_positive

from . import register
from ._lazy import ortho_group  # SciPy on first use: fast registry import

__all__ = ["AssociativeMemory", "associative_memory", "two_level_frequencies"]


def two_level_frequencies(K: int, alpha: float, beta: float) -> tuple[np.ndarray, int]:
    r"""Frequencies :math:`p` (head first) and the head size :math:`L = \operatorname{round}(\beta K)`."""
    K = check_int("K", K, minimum=2)
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if not (0 < beta < 1):
        raise ValueError(f"beta must lie in (0, 1), got {beta!r}")
    L = int(round(beta * K))
    if not (1 <= L < K):
        raise ValueError(f"head size L = round(beta K) = {L} must lie in [1, K-1] (K = {K}, beta = {beta})")
    p = np.empty(K)
    p[:L] = alpha / L
    p[L:] = (1 - alpha) / (K - L)
    return p, L


class AssociativeMemory:
    """Softmax linear associative memory; ``W`` (K x K) flattened row-major."""

    name = "associative_memory"

    def __init__(self, p, E, Etilde, head: int, alpha: float, beta: float, embedding: str, backend=None):
        self.K = self.m = self.n = len(p)
        self.dim = self.K * self.K
        self.f_star = 0.0
        self.head, self.alpha, self.beta, self.embedding = head, alpha, beta, embedding
        self._host = {"p": np.asarray(p, float), "E": np.asarray(E, float), "Et": np.asarray(Etilde, float),
                      "w0": np.zeros(self.dim)}
        self.backend = get_backend(backend)
        self._place()

    def _place(self):
        b = self.backend
        self.p, self.E, self.Et, self.w0 = (b.asarray(self._host[k]) for k in ("p", "E", "Et", "w0"))

    def to_backend(self, backend):
        new = copy.copy(self)
        new.backend = get_backend(backend)
        new._place()
        return new

    @property
    def shape(self):
        return (self.K, self.K)

    def _probs(self, w):
        """Column-softmax :math:`S` (S_seeds, K, K), column k = f_W(E_k)."""
        xp = namespace(w)
        W = xp.reshape(w, (w.shape[0], self.K, self.K))
        Z = xp.matrix_transpose(self.Et) @ W @ self.E
        Z = Z - xp.max(Z, axis=-2, keepdims=True)
        ez = xp.exp(Z)
        return ez / xp.sum(ez, axis=-2, keepdims=True)

    def correct_probabilities(self, w):
        """:math:`[f_W(E_k)]_k` for every fact, shape (S, K)."""
        xp = namespace(w)
        return xp.linalg.diagonal(self._probs(w))

    def probability_gap(self, w):
        """Maximal probability gap :math:`\\max_k q_k - \\min_k q_k`, shape (S,)."""
        xp = namespace(w)
        q = self.correct_probabilities(w)
        return xp.max(q, axis=-1) - xp.min(q, axis=-1)

    def value(self, w):
        xp = namespace(w)
        W = xp.reshape(w, (w.shape[0], self.K, self.K))
        Z = xp.matrix_transpose(self.Et) @ W @ self.E
        zmax = xp.max(Z, axis=-2, keepdims=True)
        lse = xp.log(xp.sum(xp.exp(Z - zmax), axis=-2)) + zmax[:, 0, :]
        return -xp.sum(self.p * (xp.linalg.diagonal(Z) - lse), axis=-1)

    def gradient(self, w):
        xp = namespace(w)
        S = self._probs(w)
        eye = xp.eye(self.K, dtype=S.dtype, device=getattr(S, "device", None))
        G = self.Et @ ((S - eye) * self.p[None, None, :]) @ xp.matrix_transpose(self.E)
        return xp.reshape(G, (w.shape[0], self.dim))

    def stochastic_gradient(self, w, batch_size, streams):
        return self.gradient(w)

    def constants(self) -> dict:
        return {"K": self.K, "m": self.K, "n": self.K, "d": self.dim, "head": self.head,
                "alpha": self.alpha, "beta": self.beta, "embedding": 0 if self.embedding == "decoupled" else 1,
                "f0": float(np.log(self.K)), "f_star": 0.0, "noise": "none", "sigma": 0.0,
                "p_head": float(self._host["p"][0]), "p_tail": float(self._host["p"][-1])}


def _coupled_embedding(K: int, block: int, rng) -> np.ndarray:
    perm = rng.permutation(K)
    Q = np.zeros((K, K))
    for start in range(0, K, block):
        idx = perm[start:start + block]
        b = len(idx)
        R = ortho_group.rvs(b, random_state=rng) if b > 1 else np.ones((1, 1))
        Q[np.ix_(idx, idx)] = R
    return Q


@register("associative_memory")
def associative_memory(K: int = 100, alpha: float = 0.8, beta: float = 0.2, embedding: str = "decoupled",
                       block: int = 4, seed: int = 0) -> AssociativeMemory:
    r"""Linear associative memory (K facts, two-level frequencies alpha, beta; decoupled or coupled embeddings)."""
    p, L = two_level_frequencies(K, alpha, beta)
    if embedding == "decoupled":
        E = Et = np.eye(K)
    elif embedding == "coupled":
        block = check_int("block", block)
        check_positive("block", block)
        E = Et = _coupled_embedding(K, block, np.random.default_rng([int(seed), 31337]))
    else:
        raise ValueError(f"embedding must be 'decoupled' or 'coupled', got {embedding!r}")
    return AssociativeMemory(p, E, Et, L, alpha, beta, embedding)
