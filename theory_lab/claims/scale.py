r"""Claims of SCALE (Glentis, Li, Han, Hong, arXiv:2506.16659), as objects.

SCALE as in the official code [V] (``OptimAI-Lab/Minimalist_LLM_Pretraining``,
``mem_eff_pt/pt_scale/scale_optimizer.py``): the gradient of every ``(out, in)`` weight --
the lab's :math:`m\times n` :math:`W` (m = out, n = in) -- divided by its RMS over
``dim=1``, i.e. each row :math:`G_{i,:}` by :math:`\max(\sqrt{\frac1n\sum_j G_{ij}^2}, 10^{-8})`;
EMA momentum 0.9 (``lerp_(g, 1 - beta)``) on the output layer only
(:func:`theory_lab.optimizers.scale.scale`).

Claims
------
``scale.row_recursion`` (kind ``equal``, exact)
    Every row of the update has norm :math:`\sqrt n` and points along :math:`G_{i,:}`.  On
    the row-separable quadratic :math:`f = \tfrac12\sum_i c_i\|W_{i,:}-W^\star_{i,:}\|^2`
    (``matrix_quadratic`` with :math:`L = \operatorname{diag}(c)`, curvature on the output
    side) the gradient row is :math:`c_i E_{i,:}`, so SCALE without momentum moves each row
    by exactly :math:`\eta\sqrt n` toward its optimum: :math:`r_i(t+1) = |r_i(t) - \eta\sqrt n|`
    whatever :math:`c_i` (no dependence on :math:`\kappa`).  Measured: :math:`f_t` divided
    by :math:`\tfrac12\sum_i c_i r_i(t)^2` from the recursion, the value farthest from 1
    over :math:`t \le T` and the :math:`\kappa` values; predicted 1; tolerance
    :math:`10^{-9}` (rounding only: the identity is exact).  Mutants: the transposed
    orientation (columns, torch ``dim=0``; the lab's earlier default) and the unit
    :math:`\ell_2` normalization without the RMS factor :math:`\sqrt n` (rows move by
    :math:`\eta`).
``scale.state_memory`` (kind ``equal``, exact)
    The minimalist design keeps one state array, the output layer's momentum [V]: the
    optimizer state is :math:`8\, m_L n_L / d` bytes per parameter in float64 (:math:`d`
    all parameters, :math:`m_L\times n_L` the output layer), measured from the arrays the
    state holds (:func:`theory_lab.optimizers.scale.optimizer_state_memory`) and divided by
    that prediction (value 1 predicted at every layout); tolerance
    :math:`10^{-12}` (byte counts are exact).  Mutants: no momentum (0 bytes) and
    momentum on every layer (8 bytes per parameter; what ``layerwise`` with an inner SCALE
    does, since every layer is then its own "last layer").

Every ``measure(scale, variant)`` reads ``variant`` as overrides of SCALE's keyword
arguments; ``{"wrapper": "layerwise"}`` (state-memory mutant) runs SCALE layer by layer.

References
----------
.. [1] A. Glentis, J. Li, A. Han, M. Hong. "A Minimalist Optimizer Design for LLM
   Pretraining." arXiv:2506.16659, 2025.
.. [2] Official code: ``OptimAI-Lab/Minimalist_LLM_Pretraining``,
   ``mem_eff_pt/pt_scale/scale_optimizer.py``.
"""

from __future__ import annotations

import numpy as np

from .base import Claim, Measurement, Mutant, register

PAPER = "scale"

MUTANTS = {
    "transposed": Mutant("transposed", "normalize columns over the outputs (torch dim=0) instead "
                         "of rows over the inputs (dim=1)", {"axis": "column"}),
    "unit_l2": Mutant("unit_l2", "divide by the l2 norm instead of the RMS (missing sqrt(n))",
                      {"norm": "l2", "eps": 0.0}),
    "no_momentum": Mutant("no_momentum", "no momentum on the output layer", {"momentum": 0.0}),
    "momentum_everywhere": Mutant("momentum_everywhere", "momentum on every layer (SCALE run "
                                  "layer by layer)", {"wrapper": "layerwise"}),
}

#: (kappas, T) of the recursion measurement per scale
RECURSION_SCALES = {"test": ((100.0,), 60), "figure": ((1.0, 100.0, 10000.0), 300)}

#: layer layouts of the memory measurement per scale (last = output layer, (out, in))
MEMORY_SHAPES = {"test": ((5, 7), (6, 5), (3, 6)), "figure": ((16, 16), (16, 16), (8, 16))}


def measure_row_recursion(scale: str = "test", variant: dict | None = None) -> Measurement:
    """f_t / (exact recursion) farthest from 1, over t and the kappas (see the module docstring)."""
    from experiments.scale import invariance_traces

    kappas, T = RECURSION_SCALES[scale]
    tr = invariance_traces(kappas=kappas, T=T, axis="row", optimizer=dict(variant or {}))
    worst, per = 1.0, {}
    for kappa, res in tr.items():
        ratio = res["scale"] / res["predicted"]
        k = int(np.argmax(np.abs(np.log(ratio))))
        per[kappa] = float(ratio[k])
        if abs(np.log(ratio[k])) > abs(np.log(worst)):
            worst = float(ratio[k])
    return Measurement(worst, None, details={"per_kappa": per, "T": T,
                                             "floor_step": {k: r["floor_step"] for k, r in tr.items()}})


def measure_state_memory(scale: str = "test", variant: dict | None = None) -> Measurement:
    """Bytes of optimizer state per parameter (float64) of SCALE on a multi-layer layout,
    divided by the prediction :math:`8 m_L n_L/d` (so the predicted value is 1 at every scale)."""
    from ..optimizers import make
    from ..optimizers.scale import optimizer_state_memory

    shapes = [list(s) for s in MEMORY_SHAPES[scale]]
    kw = dict(variant or {})
    wrapper = kw.pop("wrapper", None)
    if wrapper == "layerwise":
        opt = make("layerwise", lr=0.01, shapes=shapes, inner={"name": "scale", "momentum": 0.9, **kw})
    else:
        opt = make("scale", lr=0.01, shapes=shapes, **{"momentum": 0.9, **kw})
    d = sum(m * n for m, n in shapes)
    mem = optimizer_state_memory(opt, np.zeros((2, d)))
    pred = predicted_state_memory(shapes)
    return Measurement(float(mem["bytes_per_param"]) / pred, None,
                       details={"bytes_per_param": float(mem["bytes_per_param"]),
                                "predicted_bytes_per_param": pred, "arrays": mem["arrays"],
                                "d": d, "shapes": shapes})


def predicted_state_memory(shapes, itemsize: int = 8) -> float:
    r""":math:`\text{itemsize}\cdot m_L n_L / \sum_l m_l n_l` bytes per parameter."""
    m, n = shapes[-1]
    return itemsize * m * n / sum(a * b for a, b in shapes)


ROW_RECURSION = register(Claim(
    id="scale.row_recursion",
    paper=PAPER,
    statement="SCALE divides each output row of the gradient by its RMS, so on "
              "f = 1/2 sum_i c_i ||W_i - W*_i||^2 every row moves by exactly eta sqrt(n): "
              "r_i <- |r_i - eta sqrt(n)|, whatever c_i (kappa-free).",
    source="[V] the rule: official scale_optimizer.py (RMS over dim 1 of an (out, in) weight, clamp "
           "1e-8); [R] the recursion on this quadratic is ours",
    kind="equal",
    predicted=1.0,
    tolerance=1e-9,
    measure=measure_row_recursion,
    mutants=(MUTANTS["transposed"], MUTANTS["unit_l2"]),
    figure="scale_invariance.png",
))

STATE_MEMORY = register(Claim(
    id="scale.state_memory",
    paper=PAPER,
    statement="SCALE keeps one state array, the output layer's momentum: 8 m_L n_L / d bytes per "
              "parameter in float64.",
    source="[V] last-layer momentum only (paper abstract; official code: EMA momentum 0.9 on the "
           "output layer, no state elsewhere)",
    kind="equal",
    predicted=1.0,
    tolerance=1e-12,
    measure=measure_state_memory,
    mutants=(MUTANTS["no_momentum"], MUTANTS["momentum_everywhere"]),
    figure="scale_memory.png",
))

CLAIMS = (ROW_RECURSION, STATE_MEMORY)

__all__ = ["CLAIMS", "MEMORY_SHAPES", "MUTANTS", "RECURSION_SCALES", "ROW_RECURSION",
           "STATE_MEMORY", "measure_row_recursion", "measure_state_memory",
           "predicted_state_memory"]
