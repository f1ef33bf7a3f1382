r"""Claim of "Muon outperforms Adam in tail-end associative memory learning" (ICLR 2026), as an object.

What the paper states ([V], our notes): on a linear associative memory with two-level fact
frequencies, GD leaves the tail facts behind while Muon learns head and tail facts in a
balanced way (probability gap :math:`O(\log K/K)`).  The lab's sharp version is the exact
one-step formula derived here (:func:`theory_lab.theory.asgo_bounds.assoc_one_step`,
[D]): from :math:`W_0 = 0`, the maximal probability gap :math:`\max_k q_k - \min_k q_k`
after one step of GD or of Muon (exact polar factor), each with the step size that brings
the loss to :math:`\tfrac12\log K`, equals the formula.

``assoc_memory.one_step_gap``
    Kind ``equal`` with predicted 0: the measured value is the worst relative error
    :math:`|\mathrm{gap}_{meas}/\mathrm{gap}_{formula} - 1|` over GD and Muon, decoupled and
    coupled (block-orthogonal) embeddings, and :math:`K` in :data:`KS`.  Absolute
    tolerance :data:`TOL` = 1e-8, from floating point: the probabilities are softmaxes of
    :math:`K \le 400` logits (relative error :math:`\sim K\epsilon_{mach} \approx 10^{-13}`),
    the polar factor by SVD is backward stable (:math:`\sim 10^{-15}` relative on the
    non-zero singular values; the zero one, on :math:`\mathbf 1`, only shifts every logit of a
    column alike), and the gap of Muon is a difference of probabilities of order 1/2 that is
    :math:`O(\log K/K) \ge 0.01`, a cancellation of at most 100: :math:`\lesssim 10^{-11}`.
    1e-8 keeps three orders of margin and is far below the smallest change any mutant makes.
    (The same tolerance as ``tests/test_asgo_claims.py``.)  Both methods are rotation
    equivariant, so the coupled embedding must give the decoupled formula.

Mutants: Muon by five Newton-Schulz steps instead of the exact SVD (singular values only
approximately 1), GD on the unweighted loss (:math:`p_k` dropped from the gradient), the
coupled embedding read out as if decoupled (probabilities from :math:`W` instead of
:math:`\tilde E^\top W E`), and SignGD in place of Muon.

References
----------
.. [1] "Muon outperforms Adam in tail-end associative memory learning." ICLR 2026.
   arXiv:2509.26030.
"""

from __future__ import annotations

import numpy as np

from .base import Claim, Measurement, Mutant, register

PAPER = "assoc_memory"
ALPHA, BETA = 0.8, 0.2
TOL = 1e-8  # see the module docstring: floating point only
KS = {"test": (50, 100), "figure": (50, 100, 200, 400)}


def _one_step(pm, w0, method: str, eta: float, variant: dict) -> np.ndarray:
    """One step of ``method`` ("gd" or "muon") from ``w0`` with step ``eta``; ``variant`` bugs."""
    from ..optimizers import make

    K = pm.K
    if variant.get("gd_weights") == "uniform" and method == "gd":
        S = pm._probs(w0)
        G = pm.Et @ ((S - np.eye(K)) / K) @ pm.E.T  # p_k dropped: every fact weighted 1/K
        g = G.reshape(w0.shape[0], K * K)
    else:
        g = pm.gradient(w0)
    if method == "gd":
        opt = make("gd", lr=eta)
    elif variant.get("muon") == "newton_schulz":
        opt = make("muon", lr=eta, m=K, n=K, momentum=0.0, nesterov=False)
    elif variant.get("muon") == "signgd":
        opt = make("signgd", lr=eta)
    else:
        opt = make("muon_svd", lr=eta, m=K, n=K)
    return opt.step(opt.init(w0.copy()), g, 0)["w"]


def _gap(pm, w, variant: dict) -> float:
    if variant.get("readout") == "ignore_embedding":  # softmax of W itself, embedding ignored
        W = w.reshape(pm.K, pm.K)
        Z = W - W.max(axis=0, keepdims=True)
        q = np.diag(np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True))
        return float(q.max() - q.min())
    return float(pm.probability_gap(w)[0])


def measure_one_step_gap(scale: str, variant: dict) -> Measurement:
    r"""Worst relative error of the measured one-step gap against
    :func:`~theory_lab.theory.asgo_bounds.assoc_gap_at_loss` (target loss :math:`\tfrac12\log K`)."""
    import math

    import problems

    from ..theory import asgo_bounds as ab

    errors, rows = [], []
    for K in KS[scale]:
        target = 0.5 * math.log(K)
        for emb in ("decoupled", "coupled"):
            pm = problems.make("associative_memory", K=K, alpha=ALPHA, beta=BETA, embedding=emb)
            w0 = pm.w0[None, :].copy()
            for method in ("gd", "muon"):
                th = ab.assoc_gap_at_loss(K, ALPHA, BETA, target, method)
                eta = th["eta"]
                if method == "muon" and variant.get("muon") == "signgd":
                    eta = ab.assoc_gap_at_loss(K, ALPHA, BETA, target, "signgd")["eta"]  # same loss
                w1 = _one_step(pm, w0, method, eta, variant)
                gap = _gap(pm, w1, variant)
                errors.append(abs(gap / th["gap"] - 1.0))
                rows.append({"K": K, "embedding": emb, "method": method, "gap": gap,
                             "formula": th["gap"], "loss": float(pm.value(w1)[0])})
    errors = np.asarray(errors)
    if not np.all(np.isfinite(errors)):
        return Measurement(float("nan"), details={"rows": rows})
    return Measurement(float(errors.max()), (float(errors.min()), float(errors.max())), details={"rows": rows})


ONE_STEP_GAP = register(Claim(
    id="assoc_memory.one_step_gap", paper=PAPER,
    statement="[V] GD leaves the tail facts behind while Muon is balanced up to O(log K/K); sharp form [D]: "
              "after one step from W = 0 at the same loss, the maximal probability gaps of GD and Muon "
              "equal their exact formulas (any orthogonal embedding).",
    source="[D] exact one-step formula derived here (theory_lab.theory.asgo_bounds.assoc_one_step); "
           "qualitative statement [V] from the paper's abstract",
    kind="equal", predicted=0.0, tolerance=TOL, measure=measure_one_step_gap,
    mutants=(
        Mutant("newton_schulz", "Muon by five Newton-Schulz quintic steps instead of the exact polar factor",
               {"muon": "newton_schulz"}),
        Mutant("gd_unweighted", "GD on the unweighted loss: frequencies p_k dropped from the gradient",
               {"gd_weights": "uniform"}),
        Mutant("embedding_ignored", "coupled embedding treated as decoupled: probabilities read from W, "
               "not from E~^T W E", {"readout": "ignore_embedding"}),
        Mutant("signgd_for_muon", "SignGD (at its own step for the same loss) in place of Muon",
               {"muon": "signgd"}),
    ),
    figure="asgo_assoc_memory.png"))

CLAIMS = (ONE_STEP_GAP,)
