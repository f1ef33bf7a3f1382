"""Claims of the papers the lab verifies, as objects (see :mod:`theory_lab.claims.base`).

Each paper's claims live in ``theory_lab/claims/<paper>.py`` and register themselves on
import; :func:`load_all` imports them all.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import (
    KINDS,
    SCALES,
    STATUSES,
    Claim,
    Disagreement,
    Measurement,
    Mutant,
    Verdict,
    check,
    measure,
    register,
    registered,
    rejects,
    slope_measurement,
    variant_key,
)


def load_all() -> dict[str, Claim]:
    """Import every ``theory_lab.claims.<paper>`` module; all registered claims by id."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in ("base", "report", "cli"):
            importlib.import_module(f"{__name__}.{info.name}")
    return registered()


__all__ = ["KINDS", "SCALES", "STATUSES", "Claim", "Disagreement", "Measurement", "Mutant",
           "Verdict", "check", "load_all", "measure", "register", "registered", "rejects",
           "slope_measurement", "variant_key"]
