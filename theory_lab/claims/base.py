r"""Claims as objects that can fail: one declaration feeds the figure, the test and the report.

A :class:`Claim` states what a paper says (one sentence, with ``[V]`` verified from a
source or ``[R]`` reconstructed by us), the kind of check, the predicted value fixed from
the theory *before* any data, a ``measure`` callable that runs the method at a given scale,
and the **mutants** the check must reject: plausible bugs of the method, each a named
variant.  :func:`check` turns a :class:`Measurement` into a :class:`Verdict`.

Kinds
-----
``"equal"``
    :math:`|v - p| \le \mathrm{tol}\,|p|` (``tolerance`` is relative); for a predicted
    :math:`p = 0` (an identity such as "DiLoCo with H = 1 is minibatch SGD", measured as a
    difference) the tolerance is absolute: :math:`|v| \le \mathrm{tol}`.
``"upper"``
    :math:`v \le (1+\mathrm{tol})\,B` **and** :math:`v / B \ge` ``tightness_floor``, so the
    bound says something.  Without a floor the verdict is at best ``"holds, loose"``.
``"exponent"``
    A fitted log-log slope: :math:`|s - p| \le \mathrm{tol}` (window centred on the
    prediction, half-width from the theory).
``"order"``
    Method A beats B by a factor: :math:`v \ge p` where :math:`v` is the measured factor and
    :math:`p` the predicted minimal factor (``tolerance`` unused).

Disagreement
------------
When the measurement disagrees with the paper, the claim carries a :class:`Disagreement`:
the reproducible measurement with its interval and the cause.  The verdict is then
``"disagrees"``; the test asserts the measurement lies in the recorded interval (never a
widened paper window).  A mutant is rejected when its measurement leaves that interval
(or agrees with the paper, which the true method does not).

References
----------
Design note ``shared/design-notes.md`` (claims as function calls, as in PEPit's tests).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

KINDS = ("equal", "upper", "exponent", "order")
SCALES = ("test", "figure")
STATUSES = ("holds", "holds, loose", "disagrees", "not measurable", "fails")


@dataclass(frozen=True)
class Measurement:
    """What a claim's ``measure`` returns.

    Attributes
    ----------
    value : float
        The measured quantity (slope, ratio, error, factor, or the measured value for an
        ``upper`` claim).
    ci : (float, float) or None
        Its interval (e.g. the 95% CI of a fitted slope), if any.
    bound : float or None
        For ``upper`` claims: the bound the value is compared with.
    details : dict
        Anything else worth reporting (per-point values, fitted levels, ...).
    """

    value: float
    ci: tuple[float, float] | None = None
    bound: float | None = None
    details: dict = field(default_factory=dict)

    @property
    def tightness(self) -> float | None:
        """measured / bound for ``upper`` claims."""
        if self.bound is None or self.bound == 0:
            return None
        return self.value / self.bound


@dataclass(frozen=True)
class Mutant:
    """A plausible bug of the method: a named variant that the claim must reject.

    ``variant`` is handed to the claim's ``measure`` as is; its meaning belongs to the claim
    (usually optimizer/problem overrides such as ``{"side": "right"}``).
    """

    name: str
    description: str
    variant: dict


@dataclass(frozen=True)
class Disagreement:
    """A reproducible measurement that disagrees with the paper, with its cause."""

    measured: float
    interval: tuple[float, float]
    cause: str


@dataclass(frozen=True)
class Claim:
    """One checkable statement of a paper.

    Parameters
    ----------
    id : str
        Unique, ``"<paper key>.<short name>"``, e.g. ``"shb.kappa_exponent"``.
    paper : str
        Paper key (``"shb"``, ``"adagrad"``, ``"asgo"``, ``"decentralized"``, ``"dnasa"``,
        ``"scale"``, ``"zeroth_order"``, ``"diloco"``, ...).
    statement : str
        One sentence, as the paper states it (or as we reconstruct it).
    source : str
        ``"[V] ..."`` or ``"[R] ..."``: where the statement and its constants come from.
    kind : str
        One of :data:`KINDS`.
    predicted : float
        Fixed from the theory before any data (slope, value, or minimal factor).
    tolerance : float
        From the theory: relative for ``equal``/``upper``, absolute half-width for
        ``exponent``; unused for ``order``.
    measure : callable
        ``measure(scale, variant) -> Measurement``; ``variant`` is ``{}`` for the true method
        or a mutant's ``variant``.
    mutants : tuple of Mutant
        At least two plausible bugs the check must reject.
    tightness_floor : float, optional
        ``upper`` claims: least measured/bound for the bound to count as saying something.
    disagreement : Disagreement, optional
        Set when the reproducible measurement disagrees with the paper.
    figure : str, optional
        The figure file (under ``figures/``) that shows this claim.
    requires : tuple of str, optional
        Importable modules the measurement needs (optional dependencies, e.g. ``("PEPit",)``):
        when one is missing the tests skip the claim and the report says "not measurable"
        (:func:`missing_requirements`).
    """

    id: str
    paper: str
    statement: str
    source: str
    kind: str
    predicted: float
    tolerance: float
    measure: Callable[[str, dict], Measurement]
    mutants: tuple[Mutant, ...] = ()
    tightness_floor: float | None = None
    disagreement: Disagreement | None = None
    figure: str | None = None
    requires: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if not self.source.startswith(("[V]", "[R]", "[D]")):
            raise ValueError(f"claim {self.id!r}: source must start with [V], [R] or [D]")
        names = [m.name for m in self.mutants]
        if len(set(names)) != len(names):
            raise ValueError(f"claim {self.id!r}: duplicate mutant names {names}")


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`check`: ``passed`` is what a test asserts for the true method."""

    passed: bool
    status: str
    reason: str


def _paper_check(claim: Claim, m: Measurement) -> tuple[bool, str]:
    v, p, tol = m.value, claim.predicted, claim.tolerance
    if not math.isfinite(v):
        return False, f"measured {v}"
    if claim.kind == "equal":
        if p == 0:
            ok = abs(v) <= tol
            return ok, f"measured {v:.4g}, predicted 0 (abs. tol {tol:g})"
        ok = abs(v - p) <= tol * abs(p)
        return ok, f"measured {v:.4g}, predicted {p:.4g} (rel. tol {tol:g})"
    if claim.kind == "exponent":
        ok = abs(v - p) <= tol
        ci = f" [{m.ci[0]:.3g}, {m.ci[1]:.3g}]" if m.ci else ""
        return ok, f"slope {v:.4g}{ci}, predicted {p:.4g} +- {tol:g}"
    if claim.kind == "order":
        ok = v >= p
        return ok, f"factor {v:.4g}, predicted >= {p:.4g}"
    # upper
    if m.bound is None:
        return False, "upper claim measured without a bound"
    below = v <= (1 + tol) * m.bound
    t = m.tightness
    text = f"measured/bound {t:.3g}" if t is not None else "bound 0"
    if not below:
        return False, f"{text}: above the bound"
    if claim.tightness_floor is not None and (t is None or t < claim.tightness_floor):
        return False, f"{text} < tightness floor {claim.tightness_floor:g}"
    return True, text


def check(claim: Claim, m: Measurement) -> Verdict:
    """Judge a measurement against the claim (and its recorded disagreement, if any)."""
    ok, text = _paper_check(claim, m)
    if claim.disagreement is not None:
        lo, hi = claim.disagreement.interval
        inside = lo <= m.value <= hi
        status = "disagrees" if inside else "fails"
        return Verdict(inside and not ok, status,
                       f"disagrees: {text}; reproduced {claim.disagreement.measured:.4g} "
                       f"[{lo:.4g}, {hi:.4g}]; cause: {claim.disagreement.cause}")
    if not ok:
        return Verdict(False, "fails", text)
    if claim.kind == "upper" and claim.tightness_floor is None:
        return Verdict(True, "holds, loose", text + " (no tightness floor: loose)")
    return Verdict(True, "holds", text)


def rejects(claim: Claim, m: Measurement) -> bool:
    """Whether the claim rejects a mutant's measurement (what a mutant test asserts)."""
    return not check(claim, m).passed


def missing_requirements(claim: Claim) -> list[str]:
    """The modules of ``claim.requires`` that cannot be imported here."""
    from importlib.util import find_spec

    return [m for m in claim.requires if find_spec(m) is None]


def requirement_reason(missing) -> str:
    """One line for a claim whose required modules are missing."""
    return f"needs {', '.join(missing)} (pip install {' '.join(missing)})"


_REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim to the registry (one id, one claim)."""
    if claim.id in _REGISTRY and _REGISTRY[claim.id] is not claim:
        raise ValueError(f"claim {claim.id!r} is already registered")
    _REGISTRY[claim.id] = claim
    return claim


def registered() -> dict[str, Claim]:
    """All registered claims by id."""
    return dict(_REGISTRY)


# -- helpers shared by the claim modules, the tests and the report ---------------------------
def variant_key(variant: dict | None) -> str:
    """A canonical, hashable text for a variant dict (``{}`` for the true method)."""
    return json.dumps(variant or {}, sort_keys=True, default=repr)


_MEASURED: dict[tuple[int, str, str], tuple[Claim, Measurement]] = {}


def measure(claim: Claim, scale: str = "test", variant: dict | None = None) -> Measurement:
    """``claim.measure(scale, variant)``, cached per (claim, scale, variant) in this process.

    The parametrized claim tests and the report both call it, so each measurement runs once
    per session.  The variant reaches ``measure`` as a JSON round trip of itself (so it must
    be made of JSON values).  Nothing is registered.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    key = (id(claim), scale, variant_key(variant))
    if key not in _MEASURED:
        _MEASURED[key] = (claim, claim.measure(scale, json.loads(key[2])))  # keeps id(claim) alive
    return _MEASURED[key][1]


def worst_ratio_measurement(ratios, **details) -> Measurement:
    """The ratio farthest from 1 as ``value``, the range of all ratios as ``ci``.

    Any non-finite ratio measures ``nan`` (which every check rejects).
    """
    ratios = np.asarray(ratios, dtype=float)
    if ratios.size == 0 or not np.all(np.isfinite(ratios)):
        return Measurement(math.nan, details=details)
    worst = float(ratios[np.argmax(np.abs(ratios - 1))])
    return Measurement(worst, (float(ratios.min()), float(ratios.max())), details=details)


def slope_measurement(x, y, **details) -> Measurement:
    r"""A log-log slope as a :class:`Measurement` (``value`` = slope, ``ci`` = its 95% CI).

    ``y`` may carry a seed axis (``(n_x, S)``): see :func:`theory_lab.rates.fit_loglog`.
    A fit that cannot be made (fewer than two usable points, e.g. every run diverged)
    measures ``nan``, which every check rejects.
    """
    from ..rates import fit_loglog

    try:
        fit = fit_loglog(x, y)
    except ValueError as exc:
        return Measurement(math.nan, details={**details, "error": str(exc)})
    return Measurement(float(fit.slope), (float(fit.ci_low), float(fit.ci_high)),
                       details={"x": [float(v) for v in x], **details})


def worst_over_curve(values, bound, at, **details) -> Measurement:
    """An ``upper`` :class:`Measurement` at the point of a curve where measured/bound is largest.

    ``values`` and ``bound`` are curves over the points ``at`` (steps, rounds, ...); a
    non-finite value (a diverged run) counts as ``inf``, which every ``upper`` check rejects.
    ``details`` gets the point (``at``), the final value and the final ratio.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=math.inf)
    bound = np.asarray(bound, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ratio = values / bound
    i = int(np.argmax(np.nan_to_num(ratio, nan=math.inf)))
    return Measurement(float(values[i]), bound=float(bound[i]),
                       details={"at": np.asarray(at)[i].item(), "final": float(values[-1]),
                                "final_ratio": float(ratio[-1]), **details})
