r"""The bound layer: theorems' bounds registered per (method, problem class), drawn beside runs.

A :class:`Bound` says what it bounds, how (``kind``), where it comes from (``source``) and
gives its curve over steps from the run's context: the problem's declared constants
(``problem.constants()``), the horizon :math:`T`, the batch size :math:`M`, the optimizer's
resolved hyperparameters, and -- for the exact recursions -- the problem object itself.

Kinds
-----
``"exact"``            the exact (expected) value on this instance, e.g. :math:`\mathbb E f(w_t)-f^\star`
                       by the moment recursion; a run must match it (within its seed spread).
``"tight"``            a worst case over the problem's class that is attained (e.g. GD's
                       :math:`\rho^{2t}f_0` on quadratics, PEPit's :math:`\tau(t)f_0`); valid at every :math:`t`.
``"upper"``            a valid upper bound, not known to be attained ([R] constants are ours).
``"asymptotic rate"``  a rate :math:`\rho^{2t}f_0`; *not* a bound at finite :math:`t`
                       (heavy ball on :math:`\kappa=100` quadratics exceeds it 8--100 fold at :math:`t\le 5`).

Registering a bound for a new method::

    from theory_lab.bounds import register_bound

    @register_bound("my_method", "quadratic", name="rho^{2t} f0", kind="upper",
                    source="[R] ours, Lemma 1", quantity="f(w_t) - f*")
    def my_rate(ctx, steps):
        rho = 1 - ctx.params["lr"] * ctx.constants["mu"]
        return rho ** (2 * steps) * ctx.constants["f0"]

``theory-lab plot run.npz --bound`` then draws it dashed in the method's colour
(:func:`plot_bounds`); :func:`bound_values` evaluates it for tests
(see :mod:`theory_lab.testing`).  Problem names map to classes through
:data:`PROBLEM_CLASSES` (:func:`register_problem_class` for a new problem).

References
----------
.. [1] B. T. Polyak, 1964; L. Lessard, B. Recht, A. Packard, SIAM J. Optim. 2016 (heavy-ball rate).
.. [2] J. Pan, Y. Liu, X. Wang, T. Zhang, ICLR 2024 (SHB; exact risk recursion: :mod:`theory_lab.theory.quadratic_risk`).
.. [3] Y. Liu, R. Pan, T. Zhang, ICLR 2025 (AdaGrad under anisotropic smoothness, [R] constants).
.. [4] A. Taylor, J. Hendrickx, F. Glineur, Math. Program. 2017; PEPit (tight worst cases).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

KINDS = ("exact", "tight", "upper", "asymptotic rate")

#: problem name -> problem class of the bounds registry
PROBLEM_CLASSES: dict[str, str] = {
    "quadratic": "quadratic",
    "pep_worst_case": "quadratic",
    "separable_quadratic": "separable_convex",
    "anisotropic_logistic": "separable_convex",
}

#: (method, problem class) -> bounds
REGISTRY: dict[tuple[str, str], list[Bound]] = {}


class NotApplicable(Exception):
    """Raised by a bound's curve when the run's setting is outside the bound's hypotheses."""


@dataclass
class BoundContext:
    """What a bound may read: constants, hyperparameters, horizon, batch size, the problem.

    Attributes
    ----------
    constants : dict
        ``problem.constants()`` (``L``, ``mu``, ``kappa``, ``f0``, ``sigma`` ...).
    params : dict
        The optimizer's resolved hyperparameters (``lr`` as a schedule description dict,
        ``beta``, ``radius`` ...).
    T, M : int
        Horizon and batch size.
    config : dict
        The run's :class:`theory_lab.config.RunConfig` as a dict.
    """

    constants: dict
    params: dict
    T: int
    M: int
    config: dict = field(default_factory=dict)

    @cached_property
    def problem(self):
        """The problem object (built on first use, e.g. for ``spectrum`` and ``noise``)."""
        import problems

        spec = dict(self.config["problem"])
        return problems.make(spec.pop("name"), **spec)

    def eta(self) -> float:
        """The constant step size; raises :class:`NotApplicable` for a schedule."""
        lr = self.params.get("lr")
        if isinstance(lr, dict):
            if lr.get("kind", "constant") != "constant":
                raise NotApplicable(f"needs a constant step size, got schedule {lr.get('kind')!r}")
            return float(lr["eta"])
        if lr is None:
            raise NotApplicable("the optimizer has no lr")
        return float(lr)


@dataclass(frozen=True)
class Bound:
    """One registered bound.

    Attributes
    ----------
    method, problem_class : str
        Optimizer name and problem class it is registered for.
    name : str
        Short label (legend).
    kind : {"exact", "tight", "upper", "asymptotic rate"}
    source : str
        ``[V]`` verified from a paper (with theorem) or ``[R]`` reconstructed/derived here.
    quantity : str
        What is bounded, e.g. ``"f(w_t) - f*"`` or ``"running mean of f - f*"``.
    curve : callable ``(ctx: BoundContext, steps: ndarray) -> ndarray``
    default : bool
        Drawn by ``plot --bound``; ``False`` for costly ones (PEPit SDPs: ``--bound all``).
    """

    method: str
    problem_class: str
    name: str
    kind: str
    source: str
    quantity: str
    curve: Callable = field(repr=False)
    default: bool = True

    @property
    def label(self) -> str:
        return f"{self.name} [{self.kind}]"


def register_problem_class(problem_name: str, problem_class: str) -> None:
    """Declare that problem ``problem_name`` belongs to ``problem_class`` (for bound lookup)."""
    PROBLEM_CLASSES[problem_name] = problem_class


def register_bound(method: str, problem_class: str, *, name: str, kind: str, source: str,
                   quantity: str = "f(w_t) - f*", default: bool = True):
    """Decorator registering ``curve(ctx, steps)`` as a :class:`Bound`; returns the curve."""
    if kind not in KINDS:
        raise ValueError(f"unknown bound kind {kind!r}; available: {KINDS}")

    def deco(curve: Callable) -> Callable:
        b = Bound(method, problem_class, name, kind, source, quantity, curve, default)
        lst = REGISTRY.setdefault((method, problem_class), [])
        if any(x.name == name for x in lst):
            raise ValueError(f"bound {name!r} already registered for ({method!r}, {problem_class!r})")
        lst.append(b)
        return curve

    return deco


def bounds_for(method: str, problem_class: str, which: str = "default") -> list[Bound]:
    """Registered bounds of ``(method, problem_class)``; ``which="all"`` includes costly ones."""
    if which not in ("default", "all"):
        raise ValueError(f"which must be 'default' or 'all', got {which!r}")
    return [b for b in REGISTRY.get((method, problem_class), []) if which == "all" or b.default]


def context(result) -> BoundContext:
    """:class:`BoundContext` of a :class:`theory_lab.results.RunResult` (or a config dict)."""
    from .config import RunConfig
    from .runner import build

    config = result.config if hasattr(result, "config") else dict(result)
    cfg = RunConfig.from_dict(config)
    prob, opt = build(cfg)
    ctx = BoundContext(constants=prob.constants(), params=dict(opt.hyperparams), T=cfg.T,
                       M=cfg.batch_size, config=cfg.to_dict())
    ctx.__dict__["problem"] = prob  # already built
    return ctx


def bound_values(result, steps=None, which: str = "default"):
    """Evaluate the registered bounds of a run.

    Parameters
    ----------
    result : RunResult or config dict
    steps : array of int, optional
        Default: the run's checkpoint steps.
    which : {"default", "all"}

    Returns
    -------
    list of (Bound, ndarray)
        One entry per applicable bound (bounds raising :class:`NotApplicable` are skipped).
    """
    config = result.config if hasattr(result, "config") else dict(result)
    method = config["optimizer"]["name"]
    pclass = PROBLEM_CLASSES.get(config["problem"]["name"])
    if pclass is None:
        return []
    candidates = bounds_for(method, pclass, which)
    if not candidates:
        return []
    if steps is None:
        steps = np.asarray(result.steps)
    steps = np.asarray(steps)
    ctx = context(result)
    out = []
    for b in candidates:
        try:
            out.append((b, np.asarray(b.curve(ctx, steps), dtype=float)))
        except NotApplicable:
            continue
    return out


_LINESTYLES = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))


def plot_bounds(ax, result, color, which: str = "default", x: str = "steps", label_prefix: str = "",
                metric: str = "suboptimality"):
    """Draw a run's registered bounds, dashed (one dash pattern per bound) in ``color``.

    Labels read ``"<name> [<kind>]"`` so a legend tells a tight worst case from an
    asymptotic rate.  The registered bounds are on the suboptimality: for another
    ``metric`` nothing is drawn.  Returns the drawn :class:`Bound` objects.
    """
    drawn = []
    if metric != "suboptimality":
        return drawn
    for (b, y), ls in zip(bound_values(result, which=which), itertools.cycle(_LINESTYLES)):
        xs = np.asarray(result.steps, dtype=float)
        if x == "samples":
            xs = np.asarray(result.samples, dtype=float)
        ok = np.isfinite(y) & np.isfinite(xs)
        if ax.get_yscale() == "log":
            ok &= y > 0
        if ax.get_xscale() == "log":
            ok &= xs > 0
        ax.plot(xs[ok], y[ok], ls=ls, lw=1.3, color=color, label=f"{label_prefix}{b.label}")
        drawn.append(b)
    return drawn


# --------------------------------------------------------------------------------------
# the lab's bounds
# --------------------------------------------------------------------------------------
def _f0(ctx) -> float:
    if "f0" in ctx.constants:
        return float(ctx.constants["f0"])
    p = ctx.problem
    w0 = np.asarray(p.w0, dtype=float)[None]
    return float(np.asarray(p.value(w0))[0] - p.f_star)


def _exact_risk(ctx, steps, beta):
    from .theory.quadratic_risk import expected_risk_for

    p = ctx.problem
    if not (hasattr(p, "spectrum") and hasattr(p, "noise") and hasattr(p, "initial_error_coordinates")):
        raise NotApplicable("exact recursion needs problem.spectrum, .noise, .initial_error_coordinates()")
    return expected_risk_for(p, ctx.params["lr"], beta=beta, batch_size=ctx.M, T=ctx.T,
                             steps=np.asarray(steps, dtype=int))


_RISK_SOURCE = "[V] exact second-moment recursion on quadratics (Pan et al. ICLR 2024, Sec. 3; theory/quadratic_risk.py)"

for _m, _beta in (("sgd", None), ("gd", None), ("shb", "beta"), ("hb", "beta"), ("multistage_shb", "beta")):
    def _exact(ctx, steps, _beta=_beta):
        return _exact_risk(ctx, steps, float(ctx.params[_beta]) if _beta else 0.0)

    register_bound(_m, "quadratic", name="exact E f(w_t) - f*", kind="exact", source=_RISK_SOURCE,
                   quantity="E f(w_t) - f*")(_exact)


@register_bound("hb", "quadratic", name="rho^{2t} f0", kind="asymptotic rate",
                source="[V] Polyak 1964; Lessard, Recht, Packard 2016, Sec. 4 (spectral radius on [mu, L])")
def _hb_rate(ctx, steps):
    from .theory.heavy_ball import hb_rate

    c = ctx.constants
    rho = hb_rate(ctx.eta(), float(ctx.params["beta"]), [c["mu"], c["L"]])
    return rho ** (2.0 * np.asarray(steps, float)) * _f0(ctx)


register_bound("shb", "quadratic", name="rho^{2t} f0 (bias)", kind="asymptotic rate",
               source="[V] Polyak 1964; Pan et al. ICLR 2024 (noise-free part only)")(_hb_rate)


@register_bound("gd", "quadratic", name="rho^{2t} f0", kind="tight",
                source="[V] rho = max|1 - eta lambda| over [mu, L]; attained by lambda x^2/2 "
                       "(de Klerk, Glineur, Taylor 2017, Thm 1.2 for smooth strongly convex)")
def _gd_rate(ctx, steps):
    from .theory.heavy_ball import gd_rate

    c = ctx.constants
    rho = gd_rate(ctx.eta(), [c["mu"], c["L"]])
    if rho >= 1:
        raise NotApplicable(f"eta = {ctx.eta()} >= 2/L: no contraction")
    return rho ** (2.0 * np.asarray(steps, float)) * _f0(ctx)


#: largest step for which the PEPit curve is computed (SDP size grows with t)
PEP_MAX_STEPS = 30


@register_bound("hb", "quadratic", name="PEPit tau(t) f0", kind="tight", default=False,
                source="[V] PEPit worst case over mu <= H <= L quadratics, f(x0)-f* normalization "
                       "(Taylor et al. 2017; Bousselmi et al. 2023); theory/pep.py")
def _hb_pep(ctx, steps):
    from .theory.pep import pepit_available, worst_case

    if not pepit_available():
        raise NotApplicable("pepit not installed")
    c = ctx.constants
    params = {"eta": ctx.eta(), "beta": float(ctx.params["beta"])}
    out = np.full(np.shape(steps), np.nan)
    for i, t in enumerate(np.asarray(steps, int)):
        if t == 0:
            out[i] = 1.0
        elif t <= PEP_MAX_STEPS:
            out[i] = worst_case("hb", int(t), mu=c["mu"], L=c["L"], params=params).tau
    return out * _f0(ctx)


# -- AdaGrad family on separable convex problems (running-mean bounds, [R] constants) --
_ADA_SOURCE = "[R] Liu, Pan, Zhang ICLR 2025 (shape [V], constants derived here; theory/adagrad_bounds.py)"


def _radius_factor(ctx, key):
    r = ctx.params.get("radius")
    if r is None:
        raise NotApplicable("the AdaGrad bounds need the projection (radius) that keeps iterates bounded")
    # projection onto a ball of radius R around w0: D = R + ||w0 - w*|| (the lab uses R = 2 D)
    return float(r) + float(ctx.constants[key])


@register_bound("adagrad", "separable_convex", name="AdaGrad bound", kind="upper", source=_ADA_SOURCE,
                quantity="running mean of f - f*")
def _adagrad(ctx, steps):
    from .theory.adagrad_bounds import adagrad_convex_bound

    c = ctx.constants
    t = np.maximum(np.asarray(steps, float), 1.0)
    return adagrad_convex_bound(c["L1"], c["sigma1"], _radius_factor(ctx, "D_inf"), ctx.eta(), t, ctx.M)


@register_bound("adagrad_norm", "separable_convex", name="AdaGrad-norm bound", kind="upper",
                source=_ADA_SOURCE, quantity="running mean of f - f*")
def _adagrad_norm(ctx, steps):
    from .theory.adagrad_bounds import adagrad_norm_convex_bound

    c = ctx.constants
    t = np.maximum(np.asarray(steps, float), 1.0)
    return adagrad_norm_convex_bound(c["L_inf"], c["sigma2"], _radius_factor(ctx, "D_2"), ctx.eta(), t, ctx.M)


@register_bound("sgd", "separable_convex", name="SGD bound", kind="upper",
                source="[R] standard (Bubeck 2015, Thm 6.3); shape as in Liu, Pan, Zhang 2025",
                quantity="running mean of f - f*")
def _sgd_convex(ctx, steps):
    from .theory.adagrad_bounds import sgd_convex_bound

    c = ctx.constants
    t = np.maximum(np.asarray(steps, float), 1.0)
    return sgd_convex_bound(c["L_inf"], c["sigma2"], c["D_2"], ctx.eta(), t, ctx.M)


__all__ = [
    "KINDS",
    "PEP_MAX_STEPS",
    "PROBLEM_CLASSES",
    "REGISTRY",
    "Bound",
    "BoundContext",
    "NotApplicable",
    "bound_values",
    "bounds_for",
    "context",
    "plot_bounds",
    "register_bound",
    "register_problem_class",
]
