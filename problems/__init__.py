"""Synthetic problem generators.

Every generator is a function returning an object that follows
:class:`theory_lab.problem.Problem`; register it with :func:`register` so that configs,
sweeps and the CLI can build it by name::

    from problems import register

    @register("my_problem")
    def my_problem(d: int = 10, seed: int = 0): ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from theory_lab.validation import check_call

from .noise import NOISE_MODELS, make_noise
from .quadratic import Quadratic, anisotropic_quadratic
from .spectra import SPECTRA, make_spectrum

REGISTRY: dict[str, Callable] = {}
#: name -> {"module": ..., "file": ...} of the registered factory
ORIGINS: dict[str, dict] = {}


def register(name: str):
    """Decorator adding a problem factory to :data:`REGISTRY` under ``name``.

    The factory's module and source file go to :data:`ORIGINS` (the cache fingerprint
    and sweep workers use them).  Registering ``name`` again from the same module (a
    re-run notebook cell, an edited plugin) replaces it with a ``RuntimeWarning``; from
    another module it raises ``ValueError``.
    """

    def deco(factory):
        from theory_lab.plugins import record_registration

        record_registration("problem", REGISTRY, ORIGINS, name, factory)
        return factory

    return deco


def available() -> dict[str, str]:
    """Registered problem names with the first line of their docstring."""
    return {k: (inspect.getdoc(f) or "").splitlines()[0] for k, f in sorted(REGISTRY.items())}


def make(name: str, **params):
    """Build a registered problem; unknown names or parameters raise ``ValueError``."""
    if name not in REGISTRY:
        raise ValueError(f"unknown problem {name!r}; available: {', '.join(sorted(REGISTRY))}")
    factory = REGISTRY[name]
    params = check_call(factory, params, what=f"problem {name!r}", name=name)
    return factory(**params)


register("quadratic")(anisotropic_quadratic)

# isort: split
# the research lines' problem modules register themselves on import
from . import (  # noqa: E402,F401
    distributed,
    heterogeneous,
    manifold,
    matrix,
    multilayer,
    nonconvex_distributed,
    separable,
)

# isort: split
# the zeroth-order view of any registered problem (value queries only)
from theory_lab.zeroth_order import zo_problem  # noqa: E402

register("zo")(zo_problem)

__all__ = [
    "NOISE_MODELS",
    "ORIGINS",
    "REGISTRY",
    "SPECTRA",
    "Quadratic",
    "anisotropic_quadratic",
    "available",
    "make",
    "make_noise",
    "make_spectrum",
    "register",
]
