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

from .noise import NOISE_MODELS, make_noise
from .quadratic import Quadratic, anisotropic_quadratic
from .spectra import SPECTRA, make_spectrum

REGISTRY: dict[str, Callable] = {}


def register(name: str):
    """Decorator adding a problem factory to :data:`REGISTRY` under ``name``."""

    def deco(factory: Callable) -> Callable:
        if name in REGISTRY and REGISTRY[name] is not factory:
            raise ValueError(f"problem {name!r} is already registered")
        REGISTRY[name] = factory
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
    sig = inspect.signature(factory)
    unknown = [k for k in params if k not in sig.parameters]
    if unknown:
        raise ValueError(
            f"problem {name!r} has no parameter(s) {unknown}; it takes: {', '.join(sig.parameters)}"
        )
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
    pep_worst_case,
    separable,
)

# isort: split
# the zeroth-order view of any registered problem (value queries only)
from theory_lab.zeroth_order import zo_problem  # noqa: E402

register("zo")(zo_problem)

__all__ = [
    "NOISE_MODELS",
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
