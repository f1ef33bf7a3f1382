r"""Worst-case certificates (performance estimation with PEPit), as claim objects.

Setting (``make fig-pep``, figure ``hb_worst_case``): :math:`\mu = 1`, :math:`L = 100`
(:math:`\kappa = 100`); heavy ball with Polyak's parameters
:math:`\eta = 4/(\sqrt L+\sqrt\mu)^2`, :math:`\beta = \rho^2`,
:math:`\rho = (\sqrt\kappa-1)/(\sqrt\kappa+1)`, :math:`x_{-1} = x_0`; gradient descent with
:math:`\eta = 1/L`.  Ratios are :math:`(f(x_n)-f^\star)/(f(x_0)-f^\star)` (``initial="f"``,
``metric="f"``).

Claims
------
``pep.hb_tau_exact``
    The SDP worst case :math:`\tau(n)` of the lab's heavy-ball PEPit algorithm
    (:func:`theory_lab.theory.pep.hb_algorithm`) over quadratics equals the 1-D exact value
    :math:`\max_{\lambda\in[\mu,L]} p_n(\lambda)^2` of the stated method
    (:func:`theory_lab.theory.pep.quadratic_worst_case`).
``pep.hb_worst_case_attained``
    The lab's runner (``hb`` optimizer) on the method's own worst-case quadratic
    (problem ``pep_worst_case``) attains :math:`\tau(n)`: :math:`f(w_n)/f(w_0) = \tau(n)`.
``pep.gd_tight``
    Gradient descent, :math:`\eta = 1/L`, over :math:`L`-smooth :math:`\mu`-strongly convex
    functions: :math:`\tau(n) = (1-1/\kappa)^{2n}` (tight).

Variants (``measure(scale, variant)``) are overrides of the method as the theory states it:
``"lr"`` / ``"beta"`` (expressions in ``L``, ``mu``, ``kappa``, as in run configs) and
``"bug"`` (a structural bug of the update, see :data:`BUGS`).  For the PEP claims the
override changes the algorithm handed to PEPit; the prediction stays that of the stated
method.

Tolerance (all three claims), from the solver's settings, not from these claims' data: PEPit solves
with SCS through cvxpy, whose stopping tolerances are ``eps_abs = eps_rel = 1e-5`` (cvxpy's
defaults for SCS 3).  SCS stops when the primal and dual residuals and the duality gap are
below :math:`10^{-5}(1 + \text{data scale})`; the SDPs are posed for :math:`f/L` (entries
O(1)), so the gap gives :math:`|\Delta\tau| \lesssim 10^{-5}(1+\tau)`, i.e. a relative error
:math:`\lesssim 10^{-5}(1 + 1/\tau)` -- at most :math:`2\cdot10^{-4}` for
:math:`\tau \ge 0.05` (the smallest :math:`\tau` measured here: heavy ball's
:math:`\tau(25)`, and GD's :math:`0.99^{30} = 0.74`).  The residuals enter the objective
through the dual multipliers, which we cannot bound a priori; we allow a factor 5 for
that: ``TOL = 1e-3`` relative (the value ``tests/test_pep.py``'s ``RTOL`` already used).  The other
numbers involved are exact to rounding: the 1-D search (grid + golden section, ~1e-9), the
runner's arithmetic on a diagonal quadratic (~1e-15), the closed form.

Cost: the test scale solves 4 + 1 + 4 small SDPs per variant (n <= 4, ~0.1 s each); the
figure scale uses the figure's ranges (n <= 25 heavy ball, n <= 15 GD) and the SDP cache
``results/cache/pep`` (keyed by method name, parameters, class, n, ... and, for the mutants'
PEPit functions, a hash of their code, so no mutant reads the true method's entry).

Needs the optional dependency PEPit (``requires=("PEPit",)``): without it the claims are
skipped by the tests and reported "not measurable".

References
----------
.. [1] Y. Drori, M. Teboulle. Math. Program. 145, 2014 (performance estimation).
.. [2] A. Taylor, J. Hendrickx, F. Glineur. "Smooth strongly convex interpolation and exact
   worst-case performance of first-order methods." Math. Program. 161, 2017.
.. [3] N. Bousselmi, J. Hendrickx, F. Glineur. arXiv:2302.08781, 2023 (quadratic class).
.. [4] B. Goujaud et al. "PEPit." Math. Program. Comput. 2024.
.. [5] E. de Klerk, F. Glineur, A. Taylor. "On the worst-case complexity of the gradient
   method with exact line search for smooth strongly convex functions." Optim. Lett. 11,
   2017 (Thm. 1.2: fixed step, function values).
.. [6] B. T. Polyak, 1964 (heavy ball).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .base import Claim, Measurement, Mutant, register, worst_ratio_measurement

PAPER = "pep"
FIGURE = "hb_worst_case.png"
MU, L = 1.0, 100.0
TOL = 1e-3
REQUIRES = ("PEPit",)

#: n ranges per scale (figure scale: those of ``experiments/pep.py``)
HB_N = {"test": range(1, 5), "figure": range(1, 26)}     # experiments.pep.N = 25
ATTAIN_N = {"test": (3,), "figure": (4,)}                 # experiments.pep.N_CERT = 4
GD_N = {"test": range(1, 5), "figure": range(1, 16)}      # experiments.pep.gd_curves(N=15)

#: heavy ball as the theory states it (the spec of experiments/pep.py)
HB_LR = "4/(sqrt(L)+sqrt(mu))**2"
HB_BETA = "((sqrt(kappa)-1)/(sqrt(kappa)+1))**2"
NOT_SQUARED = "(sqrt(kappa)-1)/(sqrt(kappa)+1)"


def _symbols() -> dict:
    return {"L": L, "mu": MU, "kappa": L / MU}


def _hb_params(variant: dict) -> dict:
    """``{"eta", "beta"}`` of heavy ball with the variant's ``lr`` / ``beta`` overrides."""
    from theory_lab.config import resolve
    from theory_lab.theory.heavy_ball import optimal_hb_params

    eta, beta, _ = optimal_hb_params(L, MU)  # the figure's floats (same SDP cache keys)
    over = resolve({k: variant[k] for k in ("lr", "beta") if k in variant}, _symbols())
    return {"eta": float(over.get("lr", eta)), "beta": float(over.get("beta", beta))}


def _cache(scale: str):
    from theory_lab.theory.pep import DEFAULT_CACHE

    return DEFAULT_CACHE if scale == "figure" else None


def _tau(method, n: int, **kw) -> float:
    """:func:`theory_lab.theory.pep.worst_case`'s tau; a PEP the solver leaves without a value
    (SCS "inaccurate": ``float(None)`` inside PEPit's wrapper) is not measurable."""
    from theory_lab.theory.pep import worst_case

    try:
        return float(worst_case(method, n, mu=MU, L=L, **kw).tau)
    except TypeError as exc:
        raise RuntimeError(f"the SDP solver returned no value for {method!r} at n = {n} "
                           f"({exc})") from exc


# ----------------------------------------------------------------------------- buggy methods
def hb_momentum_sign(func, x0, n, eta, beta):
    r"""Bug: momentum subtracted, :math:`x_{t+1} = x_t - \eta\nabla f(x_t) - \beta(x_t - x_{t-1})`."""
    x, x_prev = x0, x0
    for _ in range(n):
        x, x_prev = x - eta * func.gradient(x) - beta * (x - x_prev), x
    return x


def hb_stale_velocity(func, x0, n, eta, beta):
    r"""Bug: the step uses the velocity before its update, :math:`x_{t+1} = x_t + v_t`,
    :math:`v_{t+1} = \beta v_t - \eta\nabla f(x_t)`, :math:`v_0 = 0` (the gradient lags a step)."""
    x, v = x0, None
    for _ in range(n):
        g = func.gradient(x)
        x, v = (x if v is None else x + v), (-eta * g if v is None else beta * v - eta * g)
    return x


def hb_dampening(func, x0, n, eta, beta):
    r"""Bug: EMA momentum (torch's ``dampening = momentum``), :math:`b_t = \beta b_{t-1} +
    (1-\beta)\nabla f(x_t)`, :math:`x_{t+1} = x_t - \eta b_t`: the step is :math:`\eta(1-\beta)`."""
    x, x_prev = x0, x0
    for _ in range(n):
        x, x_prev = x - eta * (1 - beta) * func.gradient(x) + beta * (x - x_prev), x
    return x


#: structural bugs of the heavy-ball update, as PEPit algorithms (the runner's: _buggy_step)
BUGS = {"momentum_sign": hb_momentum_sign, "stale_velocity": hb_stale_velocity,
        "dampening": hb_dampening}


def _buggy_step(bug: str, lr: float, beta: float):
    """The runner's heavy-ball step (state ``w``, ``v`` = last displacement) with ``bug``."""
    if bug == "momentum_sign":
        def step(state, grad, t):
            v = -beta * state["v"] - lr * grad
            return {"w": state["w"] + v, "v": v}
    elif bug == "stale_velocity":
        def step(state, grad, t):
            return {"w": state["w"] + state["v"], "v": beta * state["v"] - lr * grad}
    elif bug == "dampening":
        def step(state, grad, t):
            v = beta * state["v"] - lr * (1 - beta) * grad
            return {"w": state["w"] + v, "v": v}
    else:
        raise ValueError(f"unknown bug {bug!r}; known: {sorted(BUGS)}")
    return step


# ----------------------------------------------------------------------------- claim 1
def _hb_tau_exact(scale: str, variant: dict) -> Measurement:
    from theory_lab.theory.pep import quadratic_worst_case

    true = _hb_params({})
    params = _hb_params(variant)
    bug = variant.get("bug")
    method = BUGS[bug] if bug else "hb"
    kw = {"step_params": ("eta",)} if bug else {}
    ns = list(HB_N[scale])
    tau = np.array([_tau(method, n, params=params, cache=_cache(scale), **kw) for n in ns])
    exact = np.array([quadratic_worst_case("hb", n, mu=MU, L=L, params=true)[0] for n in ns])
    return worst_ratio_measurement(tau / exact, n=ns, tau_sdp=tau.tolist(),
                                   tau_exact=exact.tolist(), params=params)


_BETA_NOT_SQUARED = Mutant(
    "beta not squared", "beta = (sqrt(kappa)-1)/(sqrt(kappa)+1), Polyak's rate instead of its "
    "square", {"beta": NOT_SQUARED})
_LR_1_L = Mutant("lr 1/L", "gradient descent's step 1/L instead of 4/(sqrt(L)+sqrt(mu))^2",
                 {"lr": "1/L"})
_STALE = Mutant("stale velocity", "x_{t+1} = x_t + v_t with v updated after the step: the "
                "gradient enters one step late", {"bug": "stale_velocity"})
_DAMPENING = Mutant("dampening", "EMA momentum b = beta b + (1-beta) g, w -= eta b (torch's "
                    "dampening = momentum): the step shrinks to eta (1-beta)",
                    {"bug": "dampening"})
_SIGN = Mutant("momentum sign", "x - eta g - beta (x - x_prev): the momentum term subtracted",
               {"bug": "momentum_sign"})

# Derivation: on f = (x-x*)' H (x-x*)/2, mu I <= H <= L I, heavy ball gives
# x_n - x* = p_n(H)(x_0 - x*) with p_0 = p_{-1} = 1, p_{t+1} = (1 + beta - eta lam) p_t - beta p_{t-1};
# (f(x_n) - f*)/(f(x_0) - f*) = sum_i lam_i z_i^2 p_n(lam_i)^2 / sum_i lam_i z_i^2 is a weighted
# mean of p_n(lam_i)^2, maximal when all weight sits on the argmax: tau(n) = max p_n(lam)^2, and
# the SDP over the quadratic class is exact, so the ratio is 1 up to the solver (TOL above).
register(Claim(
    id="pep.hb_tau_exact",
    paper=PAPER,
    statement="The PEP (SDP) worst case of Polyak's heavy ball over quadratics mu I <= H <= L I "
              "equals max over lam in [mu, L] of p_n(lam)^2, the method's exact 1-D worst case.",
    source="[D] derived here (theory_lab.theory.pep.quadratic_worst_case: the ratio is a "
           "weighted mean of p_n(lam)^2); SDP: PEPit [V] Goujaud et al. 2024, quadratic class "
           "[V] Bousselmi, Hendrickx, Glineur 2023",
    kind="equal",
    predicted=1.0,
    tolerance=TOL,
    measure=_hb_tau_exact,
    # only bugs whose worst case stays bounded: a divergent method's tau grows geometrically
    # (momentum sign: tau(4) = 5819; stale velocity: tau(5) = 605 by the 1-D search) and SCS
    # stops "inaccurate" without a value (momentum sign at n = 4, stale velocity at n = 8), so
    # the SDP cannot measure them over the figure's n <= 25; the runner's claim below rejects both
    mutants=(_BETA_NOT_SQUARED, _LR_1_L, _DAMPENING),
    figure=FIGURE,
    requires=REQUIRES,
))


# ----------------------------------------------------------------------------- claim 2
def _hb_attained(scale: str, variant: dict) -> Measurement:
    from experiments.pep import HB
    from theory_lab import RunConfig
    from theory_lab.config import resolve
    from theory_lab.runner import build, run

    bug = variant.get("bug")
    spec = {**HB, **{k: v for k, v in variant.items() if k in ("lr", "beta")}}
    ratios, taus = [], []
    for n in ATTAIN_N[scale]:
        cfg = RunConfig(problem={"name": "pep_worst_case", "method": "hb", "n": n,
                                 "kappa": L / MU, "L": L},
                        optimizer=spec, T=n, seeds=(0,), spacing="linear", n_checkpoints=n + 1)
        prob, opt = build(cfg)  # the certificate is the stated method's, whatever the variant
        if bug:
            p = resolve({"lr": spec["lr"], "beta": spec["beta"]}, prob.constants())
            opt = replace(opt, name=f"hb[{bug}]", step=_buggy_step(bug, p["lr"], p["beta"]),
                          step_inplace=None)
        out = run(prob, opt, n, seeds=(0,), n_checkpoints=n + 1, spacing="linear")
        sub = out["suboptimality"][0]
        tau = float(prob.certificate["tau"])
        ratios.append(float(sub[-1] / sub[0]) / tau)
        taus.append(tau)
    return worst_ratio_measurement(ratios, n=list(ATTAIN_N[scale]), tau=taus)


# Derivation: the primal solution of the quadratic-class PEP is a quadratic on which the method
# reaches tau(n) (extract_quadratic: Rayleigh-Ritz on the span of the iterates; for Polyak's
# heavy ball at n <= 4 one eigenvalue, lam = L); the runner's arithmetic on it is exact to
# rounding, so f(w_n)/f(w_0) = tau(n) up to the SDP's accuracy (TOL, the same solver).
register(Claim(
    id="pep.hb_worst_case_attained",
    paper=PAPER,
    statement="The lab's heavy-ball runner on the method's own PEP-certified worst-case "
              "quadratic reaches exactly the certified ratio tau(n) after n steps.",
    source="[D] derived here: the PEP's primal solution is an attaining quadratic "
           "(theory_lab.theory.pep.extract_quadratic, problems/pep_worst_case.py); "
           "[V] Taylor, Hendrickx, Glineur 2017 (PEP tightness)",
    kind="equal",
    predicted=1.0,
    tolerance=TOL,
    measure=_hb_attained,
    mutants=(_BETA_NOT_SQUARED, _LR_1_L, _SIGN, _STALE, _DAMPENING),
    figure=FIGURE,
    requires=REQUIRES,
))


# ----------------------------------------------------------------------------- claim 3
def _gd_tight(scale: str, variant: dict) -> Measurement:
    from theory_lab.config import resolve

    eta = float(resolve(variant.get("lr", "1/L"), _symbols()))
    ns = list(GD_N[scale])
    tau = np.array([_tau("gd", n, params={"eta": eta}, function_class="smooth_strongly_convex",
                         cache=_cache(scale)) for n in ns])
    rate = (1 - MU / L) ** (2 * np.array(ns))
    return worst_ratio_measurement(tau / rate, n=ns, tau_sdp=tau.tolist(), rate=rate.tolist(),
                                   eta=eta)


# Derivation: one fixed step eta in (0, 2/L) on F_{mu,L} contracts f - f* by
# max((1 - eta mu)^2, (1 - eta L)^2) = (1 - 1/kappa)^2 at eta = 1/L ([V] de Klerk et al. 2017,
# Thm. 1.2), and lam x^2/2 with lam = mu attains it at every step, so the n-step worst case is
# (1 - 1/kappa)^(2n) exactly; the SDP reproduces it up to the solver (TOL).  The mutants' steps
# give rho = 1 - 1.1/kappa, 1 - 0.5/kappa, (kappa-1)/(kappa+1): ratios (rho/0.99)^(2n) far out.
register(Claim(
    id="pep.gd_tight",
    paper=PAPER,
    statement="Gradient descent with step 1/L over L-smooth mu-strongly convex functions has "
              "the tight worst case (f(x_n) - f*)/(f(x_0) - f*) = (1 - 1/kappa)^(2n).",
    source="[V] de Klerk, Glineur, Taylor 2017 (Optim. Lett. 11), Thm. 1.2, fixed step, "
           "function values, attained by mu x^2/2; SDP: PEPit [V] Goujaud et al. 2024",
    kind="equal",
    predicted=1.0,
    tolerance=TOL,
    measure=_gd_tight,
    mutants=(
        Mutant("lr 1.1/L", "step 10% too large: rho = 1 - 1.1/kappa", {"lr": "1.1/L"}),
        Mutant("lr 1/(2L)", "step halved: rho = 1 - 1/(2 kappa)", {"lr": "1/(2*L)"}),
        Mutant("lr 2/(L+mu)", "the optimal GD step (theory.heavy_ball.optimal_gd_params) "
               "in place of 1/L: rho = (kappa-1)/(kappa+1)", {"lr": "2/(L+mu)"}),
    ),
    figure=FIGURE,
    requires=REQUIRES,
))

__all__ = ["BUGS", "hb_dampening", "hb_momentum_sign", "hb_stale_velocity"]
