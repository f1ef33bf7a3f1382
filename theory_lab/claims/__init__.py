"""Claims of the papers the lab verifies, as objects (see :mod:`theory_lab.claims.base`).

Each paper's claims live in ``theory_lab/claims/<paper>.py`` and register themselves on
import; :func:`load_all` imports them all (not :mod:`.report` and :mod:`.cli`, which
measure them).  :func:`measure` runs a claim's ``measure(scale, variant)`` once per process;
``tests/test_claims.py`` checks every claim and mutant at test scale and
``theory-lab verify`` (:mod:`theory_lab.claims.cli`) writes ``figures/VERIFICATION.md``.
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
    missing_requirements,
    register,
    registered,
    rejects,
    requirement_reason,
    slope_measurement,
    variant_key,
    worst_over_curve,
    worst_ratio_measurement,
)


def load_all() -> dict[str, Claim]:
    """Import every ``theory_lab.claims.<paper>`` module; all registered claims by id."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in ("base", "report", "cli"):
            importlib.import_module(f"{__name__}.{info.name}")
    return registered()


__all__ = ["KINDS", "SCALES", "STATUSES", "Claim", "Disagreement", "Measurement", "Mutant",
           "Verdict", "check", "load_all", "measure", "missing_requirements", "register",
           "registered", "rejects", "requirement_reason",
           "slope_measurement", "variant_key", "worst_over_curve", "worst_ratio_measurement"]
