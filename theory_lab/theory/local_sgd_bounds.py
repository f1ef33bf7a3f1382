r"""Local SGD / DiLoCo on heterogeneous quadratics: exact fixed point, exact risk, and bounds.

Setting (:mod:`problems.heterogeneous`): :math:`f_k(w) = \tfrac12 (w-w^\star_k)^\top A_k
(w-w^\star_k)` with diagonal :math:`A_k`, :math:`\mu I \preceq A_k \preceq L I`,
:math:`f = \tfrac1K\sum_k f_k`, :math:`\zeta^2 = \tfrac1K\sum_k\|\nabla f_k(w^\star)\|^2`,
per-worker oracle noise :math:`\mathbb E\|n\|^2 = \sigma^2/M`, inner step :math:`\eta` with
:math:`\eta L \le 1`.

**One round is an affine map.**  :math:`H` inner SGD steps on worker :math:`k` from
:math:`x` give :math:`x^{(H)}_k = w^\star_k + P_k (x - w^\star_k) + \xi_k` with
:math:`P_k = (I - \eta A_k)^H` and zero-mean noise
:math:`\xi_k = -\eta\sum_{h<H} (I-\eta A_k)^{H-1-h} n_{k,h}`.  The average is

.. math::
    \bar x^{(H)} = \bar P x + c + \bar\xi,\qquad \bar P = \tfrac1K\textstyle\sum_k P_k,\quad
    c = \tfrac1K\textstyle\sum_k (I-P_k)\, w^\star_k .

**Exact fixed point (the heterogeneity floor).**  Local SGD (:math:`x_{r+1} = \bar x^{(H)}`)
and *any* convergent outer optimizer acting on the pseudo-gradient
:math:`\Delta = x - \bar x^{(H)} = (I-\bar P)x - c` (DiLoCo's Nesterov momentum included:
its fixed points have :math:`\Delta = 0`) converge in mean to

.. math::
    x_\infty = \Big(\tfrac1K\sum_k (I - (I-\eta A_k)^H)\Big)^{-1}
               \tfrac1K\sum_k \big(I - (I-\eta A_k)^H\big)\, w^\star_k ,

and the floor is :math:`F = f(x_\infty) - f^\star`.  :math:`H = 1` gives
:math:`x_\infty = w^\star` (no floor); so does a shared Hessian :math:`A_k = A` for every
:math:`H` (then :math:`x_\infty = w^\star`): the floor needs *both* different optima and
different curvatures.  :func:`fixed_point_dense` is the same formula for dense
:math:`A_k`; :func:`fixed_point_expr` derives it with sympy for :math:`K = 2`, :math:`d = 1`,
and its series :math:`x_\infty - w^\star = \eta\tfrac{H-1}{2}\,\tfrac{\lambda_1\lambda_2
(\lambda_2-\lambda_1)(w_1-w_2)}{(\lambda_1+\lambda_2)^2} + O(\eta^2)` (so
:math:`F \propto \eta^2 (H-1)^2 \zeta^2` for small :math:`\eta`).

**Bound on the floor [D]** (derived here for this problem class; not a paper's constant).
Per coordinate :math:`j`, with :math:`g_k = \nabla f_k(w^\star)`, :math:`w^\star_k - w^\star
= -g_k/\lambda_k`, :math:`t_k = 1 - (1-\eta\lambda_k)^H` and
:math:`r(\lambda) = (1-(1-\eta\lambda)^H)/\lambda = \eta\sum_{i<H}(1-\eta\lambda)^i`
(decreasing in :math:`\lambda`), the optimality condition :math:`\sum_k g_k = 0` lets us
subtract the midpoint :math:`r_c` of :math:`[r(L), r(\mu)]`:

.. math::
    |x_\infty - w^\star|_j
    = \frac{|\tfrac1K\sum_k (r(\lambda_{kj}) - r_c)\, g_{kj}|}{\tfrac1K\sum_k t_{kj}}
    \le \frac{r(\mu) - r(L)}{2\,(1 - (1-\eta\mu)^H)}
        \Big(\tfrac1K\textstyle\sum_k g_{kj}^2\Big)^{1/2},

hence :math:`F \le \tfrac{L}{2}\Big(\tfrac{r(\mu)-r(L)}{2(1-(1-\eta\mu)^H)}\Big)^2\zeta^2`
(:func:`floor_bound`).  :math:`H = 1`: :math:`r` is constant, the bound is 0 (exact).  Small
:math:`\eta H`: :math:`r(\mu)-r(L) \approx \eta^2 H(H-1)(L-\mu)/2`, giving
:math:`F \lesssim \tfrac{L}{32}\,\eta^2 (H-1)^2 (\kappa-1)^2 \zeta^2` -- the
:math:`\eta^2 H^2 \zeta^2` shape of the heterogeneity term :math:`L\eta^2\tau^2\zeta^2` of
Koloskova et al. (Thm. 2, :math:`\tau = H`) and of Woodworth et al.'s drift term, with an
extra :math:`(\kappa-1)^2` this per-coordinate argument pays.  Large :math:`H`: the bound
saturates at :math:`\tfrac{L}{8}(1/\mu - 1/L)^2\zeta^2`, as the exact floor does (local SGD
with :math:`H\to\infty` averages the workers' own minimizers).

**Bound on the trajectory [D].**  With :math:`\rho = (1-\eta\mu)^H \ge |\bar P_{jj}|`,
:math:`G = \sum_{h<H}(1-\eta\mu)^{2h}` and :math:`f_0 = f(x_0) - f^\star`,

.. math::
    \mathbb E f(x_R) - f^\star \le
    \Big(\rho^R\sqrt{f_0} + (1+\rho^R)\sqrt{F_{\mathrm{bd}}}\Big)^2
    + \frac{L\,\eta^2\sigma^2 G}{2 K M}\,\frac{1-\rho^{2R}}{1-\rho^2}

(Minkowski in the :math:`\bar A`-norm for the mean; the variance recursion per coordinate
with every factor bounded by its worst case).  Its three terms are the ones of the
literature: linear convergence :math:`(1-\eta\mu)^{HR}`, the noise term
:math:`\approx L\eta\sigma^2/(4\mu K M)` for large :math:`H` (Koloskova's
:math:`\sigma^2/(\mu n T)` with :math:`\eta \sim 1/(\mu T)`), and the heterogeneity floor.
:func:`local_sgd_bound` evaluates it; :func:`expected_risk` gives the exact
:math:`\mathbb E f(x_r) - f^\star` of local SGD, DiLoCo with inner SGD and minibatch SGD (a
linear Gaussian recursion per coordinate), so the tests compare measured, exact and bound.

References
----------
.. [1] B. Woodworth, K. K. Patel, N. Srebro. "Minibatch vs Local SGD for Heterogeneous
   Distributed Learning." NeurIPS 2020. arXiv:2006.04735.
.. [2] A. Koloskova, N. Loizou, S. Boreiri, M. Jaggi, S. U. Stich. "A Unified Theory of
   Decentralized SGD with Changing Topology and Local Updates." ICML 2020, Thm. 2.
.. [3] A. Douillard et al. "DiLoCo: Distributed Low-Communication Training of Language
   Models." arXiv:2311.08105, 2023.
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import check_int, check_momentum, check_positive


def _check(H, lr, L=None):
    H = check_int("H (inner steps per round)", H)
    lr = check_positive("lr", lr)
    if L is not None and lr * L > 1 + 1e-12:
        raise ValueError(f"the bounds need lr * L <= 1, got lr={lr!r}, L={L!r}")
    return H, lr


# --------------------------------------------------------------------------------------
# exact fixed point
# --------------------------------------------------------------------------------------
def fixed_point(problem, H: int, lr: float) -> np.ndarray:
    r"""Exact limit :math:`x_\infty` of local SGD (and of DiLoCo with inner SGD) in mean.

    Parameters
    ----------
    problem : HeterogeneousQuadratic
    H : int >= 1
    lr : float > 0
        Inner SGD step :math:`\eta`.

    Returns
    -------
    ndarray (d,)
    """
    H, lr = _check(H, lr)
    lam, opt = problem.host["lam"], problem.host["opt"]
    one_minus_p = 1.0 - (1.0 - lr * lam) ** H  # (K, d)
    return (one_minus_p * opt).sum(axis=0) / one_minus_p.sum(axis=0)


def fixed_point_dense(hessians, optima, H: int, lr: float) -> np.ndarray:
    r"""The same fixed point for dense :math:`A_k` (linear algebra; a check of the diagonal case).

    :math:`x_\infty = (\sum_k (I-P_k))^{-1} \sum_k (I-P_k) w^\star_k`,
    :math:`P_k = (I-\eta A_k)^H`.
    """
    H, lr = _check(H, lr)
    hessians = [np.asarray(a, dtype=float) for a in hessians]
    d = hessians[0].shape[0]
    eye = np.eye(d)
    ms = [eye - np.linalg.matrix_power(eye - lr * a, H) for a in hessians]
    lhs = sum(ms)
    rhs = sum(m @ np.asarray(w, dtype=float) for m, w in zip(ms, optima, strict=True))
    return np.linalg.solve(lhs, rhs)


def heterogeneity_floor(problem, H: int, lr: float) -> float:
    r"""Exact floor :math:`F = f(x_\infty) - f^\star` (noise-free limit), see :func:`fixed_point`."""
    x = fixed_point(problem, H, lr)
    h = problem.host
    return float(0.5 * np.sum(h["abar"] * (x - h["w_star"]) ** 2))


def fixed_point_expr(order: int = 2):
    r"""Sympy derivation for :math:`K = 2`, :math:`d = 1`.

    Solves :math:`x = \tfrac12\sum_k [w_k + (1-\eta\lambda_k)^H (x - w_k)]` for :math:`x` and
    expands :math:`x_\infty - w^\star` in :math:`\eta`.

    Returns
    -------
    dict with sympy objects: ``symbols`` (lam1, lam2, w1, w2, eta, H), ``x_inf``,
    ``w_star``, ``series`` (:math:`x_\infty - w^\star` to ``O(eta**order)``).
    """
    import sympy as sp

    lam1, lam2, eta = sp.symbols("lambda1 lambda2 eta", positive=True)
    w1, w2, x = sp.symbols("w1 w2 x", real=True)
    H = sp.Symbol("H", positive=True, integer=True)
    p1, p2 = (1 - eta * lam1) ** H, (1 - eta * lam2) ** H
    eq = sp.Eq(x, sp.Rational(1, 2) * ((w1 + p1 * (x - w1)) + (w2 + p2 * (x - w2))))
    x_inf = sp.solve(eq, x)[0]
    w_star = (lam1 * w1 + lam2 * w2) / (lam1 + lam2)
    series = sp.simplify(sp.series(x_inf - w_star, eta, 0, order).removeO())
    return {"symbols": (lam1, lam2, w1, w2, eta, H), "x_inf": x_inf, "w_star": w_star,
            "series": sp.factor(series)}


# --------------------------------------------------------------------------------------
# exact expected risk (linear Gaussian recursion per coordinate)
# --------------------------------------------------------------------------------------
def round_map(problem, method, batch_size: int):
    r"""Per-coordinate affine round map :math:`\bar x^{(H)} = p\,x + c + \xi`, :math:`\mathrm{Var}\,\xi = s^2`.

    For DiLoCo / local SGD with inner SGD: the local map above.  For minibatch SGD:
    :math:`p = 1 - \eta\bar a`, :math:`c = \tfrac{\eta}{K}\sum_k \lambda_k w^\star_k`,
    :math:`s^2 = \eta^2\sigma^2/(K H M d)` (then the "outer step" is the identity map
    :math:`x_{r+1} = \bar x^{(H)}`).

    Returns
    -------
    p, c, s2 : ndarrays (d,)
    """
    M = check_int("batch_size", batch_size)
    h = problem.host
    lam, opt = h["lam"], h["opt"]
    K, d = lam.shape
    sig2 = problem.sigma**2 / (M * d)  # per-coordinate variance of one worker's noise
    H, eta = method.H, method.inner_lr
    if method.kind == "minibatch_sgd":
        p = 1.0 - eta * h["abar"]
        c = eta * (lam * opt).mean(axis=0)
        s2 = np.full(d, eta**2 * sig2 / (K * H))
        return p, c, s2
    if method.inner.get("name") != "sgd":
        raise ValueError(f"the exact recursion needs inner SGD, got {method.inner.get('name')!r}")
    a = 1.0 - eta * lam
    P = a**H
    p = P.mean(axis=0)
    c = ((1.0 - P) * opt).mean(axis=0)
    geo = (1 - a ** (2 * H)) / (1 - a**2)  # sum_{h<H} a^{2h}; 0 <= a < 1 as eta*L <= 1
    s2 = eta**2 * sig2 * geo.sum(axis=0) / K**2
    return p, c, s2


def expected_risk(problem, method, R: int, batch_size: int = 1, steps=None) -> np.ndarray:
    r"""Exact :math:`\mathbb E f(x_r) - f^\star` at ``steps`` (rounds) for inner-SGD methods.

    State per coordinate :math:`z = (x, b)` (outer momentum buffer), with
    :math:`\Delta = (1-p)x - c - \xi`, :math:`b' = \mu b + \Delta` and
    :math:`x' = x - \eta_o((1+\mu)\Delta + \mu^2 b)` (Nesterov) or
    :math:`x' = x - \eta_o(\mu b + \Delta)` (heavy ball): mean and :math:`2\times 2` covariance
    propagate exactly; :math:`\mathbb E f - f^\star = \tfrac12\sum_j \bar a_j
    [(m_{x,j} - w^\star_j)^2 + C_{xx,j}]`.

    Parameters
    ----------
    problem : HeterogeneousQuadratic
    method : :class:`theory_lab.local_updates.LocalMethod` (inner SGD or minibatch SGD)
    R : int
    batch_size : int
    steps : array of int, optional
        Rounds at which to report (default ``0..R``).

    Returns
    -------
    ndarray, one value per entry of ``steps``.
    """
    R = check_int("R", R)
    p, c, s2 = round_map(problem, method, batch_size)
    h = problem.host
    if method.kind == "minibatch_sgd":
        eta_o, mu, nest = 1.0, 0.0, False
    else:
        eta_o, mu, nest = method.outer_lr, check_momentum("momentum", method.momentum), method.nesterov
    d = p.size
    # z' = Mz + e + u xi
    Mz = np.zeros((d, 2, 2))
    if nest:
        Mz[:, 0, 0] = 1 - eta_o * (1 + mu) * (1 - p)
        Mz[:, 0, 1] = -eta_o * mu**2
        u = np.array([eta_o * (1 + mu), -1.0])
        e = np.stack([eta_o * (1 + mu) * c, -c], axis=1)
    else:
        Mz[:, 0, 0] = 1 - eta_o * (1 - p)
        Mz[:, 0, 1] = -eta_o * mu
        u = np.array([eta_o, -1.0])
        e = np.stack([eta_o * c, -c], axis=1)
    Mz[:, 1, 0] = 1 - p
    Mz[:, 1, 1] = mu
    uu = np.outer(u, u)[None] * s2[:, None, None]
    m = np.stack([h["w0"], np.zeros(d)], axis=1)
    C = np.zeros((d, 2, 2))
    steps = np.arange(R + 1) if steps is None else np.asarray(steps, dtype=int)
    want = set(int(s) for s in steps)
    vals = {}
    for r in range(R + 1):
        if r in want:
            vals[r] = float(0.5 * np.sum(h["abar"] * ((m[:, 0] - h["w_star"]) ** 2 + C[:, 0, 0])))
        if r == R:
            break
        m = np.einsum("dij,dj->di", Mz, m) + e
        C = np.einsum("dij,djk,dlk->dil", Mz, C, Mz) + uu
    return np.array([vals[int(s)] for s in steps])


def stationary_risk(problem, method, batch_size: int = 1) -> float:
    r"""Exact :math:`\lim_r \mathbb E f(x_r) - f^\star` of *local SGD* (outer lr 1, no momentum):
    :math:`F + \tfrac12\sum_j \bar a_j s_j^2 / (1 - p_j^2)`."""
    if method.kind == "minibatch_sgd" or method.outer_lr != 1.0 or method.momentum != 0.0:
        raise ValueError("stationary_risk is the local-SGD closed form (outer_lr 1, momentum 0)")
    p, _, s2 = round_map(problem, method, batch_size)
    var = 0.5 * float(np.sum(problem.host["abar"] * s2 / (1 - p**2)))
    return heterogeneity_floor(problem, method.H, method.inner_lr) + var


# --------------------------------------------------------------------------------------
# bounds [D]
# --------------------------------------------------------------------------------------
def floor_bound(L: float, mu: float, zeta2: float, H: int, lr: float) -> float:
    r"""[D] :math:`F \le \tfrac L2 \big(\tfrac{r(\mu)-r(L)}{2(1-(1-\eta\mu)^H)}\big)^2 \zeta^2`,
    :math:`r(\lambda) = (1-(1-\eta\lambda)^H)/\lambda` (module docstring; needs :math:`\eta L \le 1`)."""
    L, mu = check_positive("L", L), check_positive("mu", mu)
    zeta2 = check_positive("zeta2", zeta2, allow_zero=True)
    H, lr = _check(H, lr, L)

    def r(lam):
        return lr * float(np.sum((1.0 - lr * lam) ** np.arange(H)))

    ratio = (r(mu) - r(L)) / (2 * (1 - (1 - lr * mu) ** H))
    return 0.5 * L * ratio**2 * zeta2


def floor_bound_instance(problem, H: int, lr: float) -> float:
    r"""[D] Instance bound on the floor from the realized spectra (Cauchy-Schwarz step only).

    Per coordinate, subtracting the mean :math:`\bar r_j` of :math:`r(\lambda_{kj})` over
    workers instead of the midpoint and applying Cauchy-Schwarz,

    .. math::
        F \le \tfrac12 \sum_j \bar a_j
        \Big(\frac{\operatorname{std}_k r(\lambda_{kj})}{\operatorname{mean}_k t_{kj}}\Big)^2
        \tfrac1K \sum_k g_{kj}^2 .

    The only slack left is the alignment of :math:`g_{\cdot j}` with
    :math:`r(\lambda_{\cdot j}) - \bar r_j` (equality when they are parallel); comparing with
    :func:`floor_bound` separates the worst case over spectra from that alignment.
    """
    H, lr = _check(H, lr, problem.constants()["L"])
    h = problem.host
    lam, opt = h["lam"], h["opt"]
    t = 1.0 - (1.0 - lr * lam) ** H
    # r = t / lam as the sum eta sum_{i<H} (1 - eta lam)^i: exact (constant) for H = 1
    r = lr * sum((1.0 - lr * lam) ** i for i in range(H))
    g = lam * (h["w_star"][None, :] - opt)
    ratio2 = (r.std(axis=0) / t.mean(axis=0)) ** 2
    return float(0.5 * np.sum(h["abar"] * ratio2 * (g**2).mean(axis=0)))


def local_sgd_bound(constants: dict, H: int, lr: float, R, batch_size: int = 1) -> np.ndarray:
    r"""[D] Upper bound on :math:`\mathbb E f(x_R) - f^\star` of local SGD (module docstring).

    Parameters
    ----------
    constants : dict
        ``problem.constants()``: uses ``L``, ``mu``, ``zeta2``, ``sigma2``, ``K``, ``f0``.
    H, lr : inner steps and step (:math:`\eta L \le 1`).
    R : int or array of int
        Rounds.
    batch_size : int

    Returns
    -------
    ndarray of the bound at each ``R``.
    """
    L, mu = constants["L"], constants["mu"]
    H, lr = _check(H, lr, L)
    M = check_int("batch_size", batch_size)
    K = check_int("K", int(constants["K"]))
    R = np.asarray(R, dtype=float)
    F = floor_bound(L, mu, constants["zeta2"], H, lr)
    rho = (1 - lr * mu) ** H
    a2 = (1 - lr * mu) ** 2
    G = (1 - a2**H) / (1 - a2) if a2 < 1 else float(H)
    rR = rho**R
    bias = (rR * math.sqrt(constants["f0"]) + (1 + rR) * math.sqrt(F)) ** 2
    var = L * lr**2 * constants["sigma2"] * G / (2 * K * M) * (1 - rho ** (2 * R)) / (1 - rho**2)
    return bias + var


__all__ = [
    "expected_risk",
    "fixed_point",
    "fixed_point_dense",
    "fixed_point_expr",
    "floor_bound",
    "floor_bound_instance",
    "heterogeneity_floor",
    "local_sgd_bound",
    "round_map",
    "stationary_risk",
]
