"""Optimizer registry: name -> factory.  Factories take hyperparameters and the horizon ``T``.

Add a method with :func:`register`::

    from theory_lab.optimizers import Optimizer, register

    @register("my_method")
    def my_method(lr, T=None):
        def init(w0): return {"w": w0}
        def step(state, grad, t): return {"w": state["w"] - lr * grad}
        return Optimizer("my_method", init, step, {"lr": lr})
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace

from ..schedules import equal_stages, ge_step_decay, multistage
from ..validation import check_call
from .base import Optimizer
from .heavy_ball import heavy_ball, sgd

REGISTRY: dict[str, Callable[..., Optimizer]] = {}
#: name -> {"module": ..., "file": ...} of the registered factory
ORIGINS: dict[str, dict] = {}


def register(name: str):
    """Decorator adding an optimizer factory to :data:`REGISTRY` under ``name``.

    The factory's module and source file go to :data:`ORIGINS` (the cache fingerprint
    and sweep workers use them).  Registering ``name`` again from the same module (a
    re-run notebook cell, an edited plugin) replaces it with a ``RuntimeWarning``; from
    another module it raises ``ValueError``.
    """

    def deco(factory):
        from theory_lab.plugins import record_registration

        record_registration("optimizer", REGISTRY, ORIGINS, name, factory)
        return factory

    return deco


@register("sgd")
def sgd_factory(lr, T=None):
    """SGD with a constant step or a schedule spec."""
    return sgd(lr, T)


@register("gd")
def gd_factory(lr, T=None):
    """Deterministic gradient descent (exact gradients)."""
    return sgd(lr, T, oracle="exact")


@register("shb")
def shb_factory(lr, beta, T=None):
    """Stochastic heavy ball with constant parameters (or a schedule spec for lr)."""
    return heavy_ball(lr, beta, T)


@register("hb")
def hb_factory(lr, beta, T=None):
    """Deterministic heavy ball (Polyak), exact gradients."""
    return heavy_ball(lr, beta, T, oracle="exact")


@register("multistage_shb")
def multistage_shb(eta0, beta, T, n_stages=4, factor=2.0, stage_lengths=None):
    """Multistage SHB (Pan et al. 2024, Alg. 1): equal stages [V], lr / factor per stage, fixed beta [R]."""
    lengths = stage_lengths or equal_stages(T, n_stages)
    return replace(heavy_ball(multistage(eta0, lengths, factor), beta, T), name="multistage_shb")


@register("step_decay_sgd")
def step_decay_sgd(eta0, T):
    """Step-decay SGD (Ge et al. 2019): log2(T) equal phases, halving each phase."""
    return replace(sgd(ge_step_decay(eta0, T), T), name="step_decay_sgd")


def available() -> dict[str, str]:
    return {k: (inspect.getdoc(f) or "").splitlines()[0] for k, f in sorted(REGISTRY.items())}


def make(name: str, T: int | None = None, **params) -> Optimizer:
    if name not in REGISTRY:
        raise ValueError(f"unknown optimizer {name!r}; available: {', '.join(sorted(REGISTRY))}")
    factory = REGISTRY[name]
    if "T" in inspect.signature(factory).parameters:
        params["T"] = T
    params = check_call(factory, params, what=f"optimizer {name!r}", name=name)
    return factory(**params)


__all__ = ["ORIGINS", "REGISTRY", "Optimizer", "available", "heavy_ball", "make", "register", "sgd"]

# the research lines' optimizers register themselves on import
from . import adagrad, matrix, scale, zeroth_order  # noqa: E402,F401
