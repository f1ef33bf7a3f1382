r"""Decentralized finite-sum optimization: m agents stacked as an array axis.

* :mod:`.algorithms` -- DGD/DSGD, EXTRA, gradient tracking (DIGing), GT with
  multi-consensus and full gradients (Mudag-style, non-accelerated), PMGT-LSVRG, and the
  network-wide-sampling variance-reduced method of Liu, Chen, Luo (ICML 2024) as
  reconstructed here **[R]**; each counts its costs (LIFO, computation rounds,
  communication rounds).
* :mod:`.simulate` -- the single-process runner (agents x seeds x d arrays, sparse mixing)
  producing :class:`theory_lab.results.RunResult`; :func:`.simulate.run_decentralized` is
  a ``run_fn`` for :func:`theory_lab.sweep.run_sweep`.
* :mod:`.multiprocess` -- the same deterministic methods with one process per agent (or
  group of agents) over ``torch.distributed`` (gloo), launched by the lab or by torchrun.

FastMix lives in :mod:`theory_lab.networks` (re-exported here).
"""

from ..networks import Mixing, fastmix, fastmix_eta
from .algorithms import METHODS, Costs, make_method
from .simulate import build_decentralized, run_decentralized, simulate

# isort: split
# further methods add themselves to METHODS on import
from . import accelerated, dnasa  # noqa: E402,F401

__all__ = [
    "METHODS",
    "Costs",
    "Mixing",
    "build_decentralized",
    "fastmix",
    "fastmix_eta",
    "make_method",
    "run_decentralized",
    "simulate",
]
