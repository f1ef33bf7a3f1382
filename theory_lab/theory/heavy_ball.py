r"""Heavy ball on a quadratic: iteration matrix, spectral radius and optimal parameters.

On :math:`f(w) = \tfrac12 (w-w^\star)^\top H (w-w^\star)` the heavy-ball iteration
:math:`w_{t+1} = w_t - \eta \nabla f(w_t) + \beta (w_t - w_{t-1})` decouples along the
eigenvectors of :math:`H`.  For one eigenvalue :math:`\lambda` the error coordinate
:math:`x_t` obeys :math:`s_{t+1} = A s_t` with :math:`s_t = (x_t, x_{t-1})` and

.. math::
    A(\eta, \beta, \lambda) = \begin{pmatrix} 1 + \beta - \eta\lambda & -\beta \\ 1 & 0 \end{pmatrix},
    \qquad \chi(z) = z^2 - (1 + \beta - \eta\lambda) z + \beta .

Write :math:`a = 1 + \beta - \eta\lambda` and :math:`D = a^2 - 4\beta` (the discriminant
of :math:`\chi`).  The spectral radius :math:`\rho(A)` is derived with sympy:

* :math:`D < 0`: complex conjugate roots; their product is :math:`\beta` (Vieta), so
  :math:`\rho = \sqrt\beta`;
* :math:`D \ge 0`: real roots :math:`p, q` with :math:`p + q = a`, :math:`|p - q| = \sqrt D`,
  and :math:`\max(|p|, |q|) = (|p+q| + |p-q|)/2 = (|a| + \sqrt D)/2`.

:func:`spectral_radius` and :func:`stationary_covariance` are ``sympy.lambdify`` of the
derived expressions (no second hand-coded formula).  The closed form of :math:`A^n`
(Chebyshev / complete homogeneous polynomials of the roots, :func:`matrix_power`) is
checked symbolically by :func:`h_sequence_identity_holds` and evaluated in a numerically
stable form; both closed forms are used by :mod:`theory_lab.theory.quadratic_risk` and
:mod:`theory_lab.theory.shb_bounds`.

References
----------
.. [1] B. T. Polyak. "Some methods of speeding up the convergence of iteration methods."
   USSR Comp. Math. and Math. Physics 4(5), 1964.
.. [2] R. Pan, Y. Liu, X. Wang, T. Zhang. "Accelerated Convergence of Stochastic Heavy
   Ball Method under Anisotropic Gradient Noise." ICLR 2024. arXiv:2312.14567.
.. [3] L. Lessard, B. Recht, A. Packard. "Analysis and design of optimization algorithms
   via integral quadratic constraints." SIAM J. Optim. 26(1), 2016 (heavy ball's rate on
   quadratics).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from ..validation import check_kappa, check_positive, check_spectrum

#: Symbols of the iteration: step size, momentum, eigenvalue.
ETA, BETA, LAM = sp.symbols("eta beta lam", real=True)
_Z = sp.Symbol("z")


# --------------------------------------------------------------------------------------
# symbolic layer
# --------------------------------------------------------------------------------------
def iteration_matrix() -> sp.Matrix:
    r"""The symbolic 2x2 iteration matrix :math:`A(\eta, \beta, \lambda)` acting on :math:`(x_t, x_{t-1})`.

    Returns
    -------
    sympy.Matrix
        :math:`\begin{pmatrix} 1+\beta-\eta\lambda & -\beta \\ 1 & 0\end{pmatrix}` in the
        symbols :data:`ETA`, :data:`BETA`, :data:`LAM`.

    References
    ----------
    .. [1] B. T. Polyak, 1964.
    """
    return sp.Matrix([[1 + BETA - ETA * LAM, -BETA], [1, 0]])


def characteristic_polynomial() -> sp.Expr:
    r"""Characteristic polynomial :math:`\chi(z) = \det(zI - A) = z^2 - (1+\beta-\eta\lambda) z + \beta`.

    Returns
    -------
    sympy.Expr
        Polynomial in the symbol ``z`` (``sympy.Symbol("z")``).
    """
    return sp.expand(iteration_matrix().charpoly(_Z).as_expr())


@functools.cache
def spectral_radius_expr() -> sp.Piecewise:
    r"""Symbolic spectral radius :math:`\rho(A)` derived from the roots of :math:`\chi`.

    .. math::
        \rho(\eta, \beta, \lambda) = \begin{cases}
            \sqrt{\beta} & D < 0 \\
            \tfrac12\big(|1+\beta-\eta\lambda| + \sqrt{D}\big) & D \ge 0
        \end{cases},
        \qquad D = (1+\beta-\eta\lambda)^2 - 4\beta .

    The derivation is carried out, and checked, with sympy: the two roots returned by
    ``sympy.solve`` have product :math:`\beta` (so complex roots have modulus
    :math:`\sqrt\beta`), sum :math:`a` and squared difference :math:`D`; for real roots
    :math:`\max(|p|,|q|) = (|p+q| + |p-q|)/2`.

    Returns
    -------
    sympy.Piecewise
    """
    chi = characteristic_polynomial()
    r1, r2 = sp.solve(chi, _Z)
    a = 1 + BETA - ETA * LAM
    disc = sp.expand(sp.discriminant(chi, _Z))
    # Checks of the derivation (exact symbolic identities).
    assert sp.simplify(r1 * r2 - BETA) == 0  # Vieta: |z|^2 = z conj(z) = beta for complex roots
    assert sp.simplify(r1 + r2 - a) == 0
    assert sp.simplify((r1 - r2) ** 2 - disc) == 0
    real_branch = (sp.Abs(sp.simplify(r1 + r2)) + sp.sqrt(disc)) / 2
    return sp.Piecewise((sp.sqrt(BETA), disc < 0), (real_branch, True))


@functools.cache
def _radius_fn():
    return sp.lambdify((ETA, BETA, LAM), spectral_radius_expr(), modules="numpy")


def spectral_radius(eta, beta, lam):
    r"""Spectral radius of :math:`A(\eta, \beta, \lambda)`, vectorized over numpy ``lam``.

    Lambdified from :func:`spectral_radius_expr`.

    Parameters
    ----------
    eta, beta : float or array
        Step size and momentum (broadcast against ``lam``).
    lam : float or array
        Eigenvalue(s) of :math:`H`.

    Returns
    -------
    float or numpy.ndarray
        :math:`\rho(A)`; :math:`< 1` iff the mode converges
        (:math:`0 \le \beta < 1`, :math:`0 < \eta\lambda < 2(1+\beta)`).
    """
    eta, beta, lam = np.broadcast_arrays(
        np.asarray(eta, dtype=float), np.asarray(beta, dtype=float), np.asarray(lam, dtype=float)
    )
    with np.errstate(invalid="ignore"):  # numpy.select evaluates the unused branch too
        out = np.asarray(_radius_fn()(eta, beta, lam), dtype=float)
    return float(out) if out.ndim == 0 else out


def hb_rate(eta: float, beta: float, eigenvalues) -> float:
    r"""Asymptotic per-step contraction of heavy ball on a spectrum: :math:`\max_i \rho(A(\eta,\beta,\lambda_i))`.

    Over an interval :math:`[\mu, L]` the maximum is attained at an endpoint
    (:math:`\rho` is constant on :math:`\{D \le 0\}` and increases with :math:`|a|` where
    :math:`D > 0`, and :math:`|a|` is convex in :math:`\lambda`), so ``eigenvalues=[mu, L]``
    gives the worst case over the whole interval.

    Parameters
    ----------
    eta, beta : float
    eigenvalues : array_like
        Spectrum of :math:`H`.

    Returns
    -------
    float
        Error norms contract like :math:`\mathrm{poly}(t)\,\rho^t`; suboptimality like
        :math:`\mathrm{poly}(t)\,\rho^{2t}`.
    """
    ev = check_spectrum(eigenvalues)
    return float(np.max(spectral_radius(eta, beta, ev)))


def gd_rate(eta: float, eigenvalues) -> float:
    r"""Per-step contraction of gradient descent: :math:`\max_i |1 - \eta\lambda_i|` (heavy ball with :math:`\beta=0`)."""
    ev = check_spectrum(eigenvalues)
    return float(np.max(np.abs(1.0 - eta * ev)))


# --------------------------------------------------------------------------------------
# optimal parameters
# --------------------------------------------------------------------------------------
@functools.cache
def optimal_hb_derivation() -> dict:
    r"""Sympy derivation of Polyak's optimal heavy-ball parameters and rate on :math:`[\mu, L]`.

    Equal-ripple conditions: a double root :math:`+\sqrt\beta` at :math:`\lambda=\mu`
    (:math:`a(\mu) = 2\sqrt\beta`) and :math:`-\sqrt\beta` at :math:`\lambda = L`
    (:math:`a(L) = -2\sqrt\beta`).  Solving for :math:`(\eta, s=\sqrt\beta)` with sympy and
    keeping the root :math:`s < 1`:

    .. math::
        \eta^\star = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
        \beta^\star = \Big(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Big)^2, \qquad
        \rho^\star = \sqrt{\beta^\star} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}.

    Verification (symbolic): :math:`D(\mu) = D(L) = 0`; :math:`D(\lambda)` is a convex
    quadratic in :math:`\lambda` (leading coefficient :math:`\eta^2 > 0`), hence
    :math:`D \le 0` on :math:`[\mu, L]` and :math:`\rho(A(\lambda)) = \sqrt{\beta^\star}`
    for every :math:`\lambda \in [\mu, L]`.  At the endpoints the roots are double, i.e.
    :math:`A` is a Jordan block and the error decays like :math:`t\,\rho^t`.

    Returns
    -------
    dict
        ``eta``, ``beta``, ``rate`` (in ``L``, ``mu``), ``rate_kappa`` (in ``kappa``),
        ``disc`` (:math:`D` as a function of ``lam``), ``disc_at_mu``, ``disc_at_L``
        (both simplify to 0), ``disc_lam2_coeff`` (:math:`\eta^2`), ``verified`` (bool).

    References
    ----------
    .. [1] B. T. Polyak, 1964.
    .. [2] L. Lessard, B. Recht, A. Packard, 2016, Section 4.
    """
    L, mu, kappa = sp.symbols("L mu kappa", positive=True)
    e, s = sp.symbols("eta s", positive=True)
    a = lambda lam: 1 + s**2 - e * lam  # noqa: E731
    sols = sp.solve([a(mu) - 2 * s, a(L) + 2 * s], [e, s], dict=True)
    target_s = (sp.sqrt(L) - sp.sqrt(mu)) / (sp.sqrt(L) + sp.sqrt(mu))
    chosen = [
        sol for sol in sols if sp.simplify((sol[s] - target_s).subs({L: 4, mu: 1})) == 0
    ]
    assert len(chosen) == 1, sols
    eta_s = sp.simplify(chosen[0][e])
    s_s = sp.simplify(chosen[0][s])
    beta_s = s_s**2
    disc = (1 + BETA - ETA * LAM) ** 2 - 4 * BETA
    at = {ETA: eta_s, BETA: beta_s}
    disc_mu = sp.simplify(disc.subs(at).subs(LAM, mu))
    disc_L = sp.simplify(disc.subs(at).subs(LAM, L))
    rate_kappa = (sp.sqrt(kappa) - 1) / (sp.sqrt(kappa) + 1)
    checks = [
        sp.simplify(eta_s - 4 / (sp.sqrt(L) + sp.sqrt(mu)) ** 2) == 0,
        sp.simplify(s_s - target_s) == 0,
        disc_mu == 0,
        disc_L == 0,
        sp.simplify(s_s.subs(L, kappa * mu) - rate_kappa) == 0,
        sp.simplify(sp.Poly(sp.expand(disc), LAM).coeff_monomial(LAM**2) - ETA**2) == 0,
    ]
    return {
        "eta": eta_s,
        "beta": sp.simplify(beta_s),
        "rate": s_s,
        "rate_kappa": rate_kappa,
        "disc": disc,
        "disc_at_mu": disc_mu,
        "disc_at_L": disc_L,
        "disc_lam2_coeff": ETA**2,
        "verified": all(checks),
    }


def optimal_hb_params(L: float, mu: float) -> tuple[float, float, float]:
    r"""Polyak's optimal heavy-ball parameters on :math:`\mu \preceq H \preceq L`.

    .. math::
        \eta = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \quad
        \beta = \Big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\Big)^2, \quad
        \rho = \frac{\sqrt\kappa-1}{\sqrt\kappa+1}

    (derivation: :func:`optimal_hb_derivation`).

    Returns
    -------
    (eta, beta, rate) : tuple of float

    References
    ----------
    .. [1] B. T. Polyak, 1964.
    """
    L, mu = check_positive("L", L), check_positive("mu", mu)
    kappa = check_kappa(L / mu)
    sk = math.sqrt(kappa)
    eta = 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    rate = (sk - 1.0) / (sk + 1.0)
    return eta, rate**2, rate


def optimal_gd_params(L: float, mu: float) -> tuple[float, float]:
    r"""Optimal constant step of gradient descent: :math:`\eta = 2/(L+\mu)`, rate :math:`(\kappa-1)/(\kappa+1)`.

    Equal ripple :math:`1 - \eta\mu = -(1 - \eta L)`.

    Returns
    -------
    (eta, rate) : tuple of float
    """
    L, mu = check_positive("L", L), check_positive("mu", mu)
    kappa = check_kappa(L / mu)
    return 2.0 / (L + mu), (kappa - 1.0) / (kappa + 1.0)


@functools.cache
def shb_theory_derivation() -> dict:
    r"""Sympy check of the [R] first-stage parameters of multistage SHB.

    With :math:`\eta = 1/L` and :math:`\beta = (1 - c/\sqrt\kappa)^2`, i.e.
    :math:`1 - \sqrt\beta = c/\sqrt\kappa`, the roots are complex or double iff
    :math:`(1-\sqrt\beta)^2 \le \eta\lambda \le (1+\sqrt\beta)^2`, i.e.
    :math:`c^2 \mu \le \lambda \le L\,(2 - c/\sqrt\kappa)^2`.  Sympy verifies
    :math:`D(\lambda = c^2\mu) = 0` and :math:`(1+\sqrt\beta)^2 - \eta L = (2-c/\sqrt\kappa)^2 - 1 \ge 0`
    for :math:`c \le \sqrt\kappa`.  Hence for :math:`c \le 1` every mode in
    :math:`[\mu, L]` has :math:`\rho = \sqrt\beta = 1 - c/\sqrt\kappa`.

    Returns
    -------
    dict
        ``beta``, ``rate``, ``lower_edge`` (:math:`c^2\mu`), ``disc_at_lower_edge`` (0),
        ``upper_margin`` (:math:`(1+\sqrt\beta)^2 - \eta L`), ``verified`` (bool).
    """
    L, mu, c = sp.symbols("L mu c", positive=True)
    kappa = L / mu
    s = 1 - c / sp.sqrt(kappa)
    eta = 1 / L
    disc = ((1 + BETA - ETA * LAM) ** 2 - 4 * BETA).subs({ETA: eta, BETA: s**2})
    disc_edge = sp.simplify(disc.subs(LAM, c**2 * mu))
    upper_margin = sp.simplify((1 + s) ** 2 - eta * L)
    checks = [
        disc_edge == 0,
        sp.simplify(upper_margin - ((2 - c / sp.sqrt(kappa)) ** 2 - 1)) == 0,
    ]
    return {
        "beta": s**2,
        "rate": s,
        "lower_edge": c**2 * mu,
        "disc_at_lower_edge": disc_edge,
        "upper_margin": upper_margin,
        "verified": all(checks),
    }


def shb_theory_params(L: float, mu: float, c: float = 1.0) -> tuple[float, float, float]:
    r"""[R] First-stage parameters of multistage SHB (Pan et al., Algorithm 1) and their rate.

    .. math::
        \eta_1 = \frac1L, \qquad \beta = \Big(1 - \frac{c}{\sqrt\kappa}\Big)^2
        \quad (\text{i.e. } \beta = (1 - c\sqrt{\mu\eta_1})^2),

    a reconstruction [R] of the paper's choice.  The returned rate is
    :func:`hb_rate` on :math:`[\mu, L]`.  For :math:`c \le 1` every mode has complex or
    double roots (:func:`shb_theory_derivation`), so the rate is exactly
    :math:`\sqrt\beta = 1 - c/\sqrt\kappa`; for :math:`c > 1` the modes with
    :math:`\lambda < c^2\mu` are overdamped and the rate is larger.

    Parameters
    ----------
    L, mu : float
    c : float, default 1.0
        [R] momentum constant.

    Returns
    -------
    (eta, beta, rate) : tuple of float

    References
    ----------
    .. [1] R. Pan, Y. Liu, X. Wang, T. Zhang. ICLR 2024. arXiv:2312.14567 (Algorithm 1,
       Theorem 2; constants [R]).
    """
    L, mu = check_positive("L", L), check_positive("mu", mu)
    c = check_positive("c", c)
    kappa = check_kappa(L / mu)
    s = 1.0 - c / math.sqrt(kappa)
    if not 0.0 <= s < 1.0:
        raise ValueError(f"c must satisfy 0 < c <= sqrt(kappa) = {math.sqrt(kappa):.6g}, got {c!r}")
    eta, beta = 1.0 / L, s * s
    return eta, beta, hb_rate(eta, beta, [mu, L])


def iterations_to_epsilon(rate, f0, eps):
    r"""Steps for the suboptimality to go from ``f0`` to ``eps`` at per-step error contraction ``rate``.

    Suboptimality is quadratic in the error, so it contracts like :math:`\rho^{2t}`:

    .. math:: t = \frac{\log(f_0/\varepsilon)}{2 \log(1/\rho)} .

    Ignores the polynomial prefactors of Jordan blocks (double roots, e.g. at the edges
    of the spectrum for optimal heavy ball) and transient constants.

    Parameters
    ----------
    rate : float or array, in (0, 1)
    f0, eps : float or array, > 0

    Returns
    -------
    float or numpy.ndarray
        Real-valued count (take ``ceil`` for an integer); 0 when ``eps >= f0``.
    """
    rate, f0, eps = (np.asarray(x, dtype=float) for x in (rate, f0, eps))
    if np.any((rate <= 0) | (rate >= 1)):
        raise ValueError(f"rate must lie in (0, 1), got {rate!r}")
    if np.any(f0 <= 0) or np.any(eps <= 0):
        raise ValueError("f0 and eps must be > 0")
    out = np.maximum(np.log(f0 / eps), 0.0) / (2.0 * np.log(1.0 / rate))
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------------------
# closed forms used by the risk recursion and the bounds
# --------------------------------------------------------------------------------------
def h_sequence_identity_holds() -> bool:
    r"""Sympy check of the closed form of :math:`A^n` (used by :func:`matrix_power`).

    With :math:`h_k` defined by :math:`h_{-1} = 0`, :math:`h_0 = 1`,
    :math:`h_{k+1} = a h_k - \beta h_{k-1}` (so :math:`h_k = \sum_{j=0}^k z_1^j z_2^{k-j}`
    for the roots :math:`z_{1,2}` of :math:`\chi`),

    .. math::
        A^n = \begin{pmatrix} h_n & -\beta h_{n-1} \\ h_{n-1} & -\beta h_{n-2}\end{pmatrix},
        \qquad n \ge 1 .

    Checked for :math:`n = 1` and the induction step :math:`A \cdot A^n = A^{n+1}` with
    symbolic :math:`h_{n-2}, h_{n-1}`.
    """
    a = 1 + BETA - ETA * LAM
    hm2, hm1 = sp.symbols("h_m2 h_m1")
    h0 = a * hm1 - BETA * hm2
    h1 = a * h0 - BETA * hm1
    An = sp.Matrix([[h0, -BETA * hm1], [hm1, -BETA * hm2]])
    An1 = sp.Matrix([[h1, -BETA * h0], [h0, -BETA * hm1]])
    step_ok = sp.simplify(iteration_matrix() * An - An1) == sp.zeros(2, 2)
    base = sp.Matrix([[a, -BETA * 1], [1, -BETA * 0]])
    return bool(step_ok and sp.simplify(base - iteration_matrix()) == sp.zeros(2, 2))


def h_values(eta, beta, lam, k):
    r"""Numerically stable :math:`h_k = \sum_{j=0}^{k} z_1^j z_2^{k-j}` (see :func:`h_sequence_identity_holds`).

    Uses :math:`h_k(a) = (-1)^k h_k(|a|)` (negating :math:`a` negates the roots), then for
    :math:`a \ge 0`: complex roots :math:`\sqrt\beta e^{\pm i\theta}`,
    :math:`\theta = \operatorname{atan2}(\sqrt{-D}, a)`:
    :math:`h_k = \beta^{k/2}\sin((k+1)\theta)/\sin\theta`; real roots
    :math:`0 \le z_2 \le z_1`, :math:`r = z_2/z_1`:
    :math:`h_k = z_1^k (1 - r^{k+1})/(1 - r)` (:math:`(k+1) z_1^k` at a double root).
    Vectorized over broadcastable ``eta``, ``beta``, ``lam``, ``k`` (``k >= -1``).
    """
    eta, beta, lam, k = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (eta, beta, lam, k))
    )
    a = 1.0 + beta - eta * lam
    disc = a * a - 4.0 * beta
    cplx = disc < 0
    kk = k + 1.0
    # Roots of chi(-z) are minus those of chi(z): h_k(a) = (-1)^k h_k(|a|); work with |a|.
    sign = np.where((a < 0) & (np.mod(k, 2) == 1), -1.0, 1.0)
    a = np.abs(a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        # complex roots sqrt(beta) exp(+-i theta), theta in (0, pi/2]: beta^{k/2} U_k(cos theta)
        theta = np.arctan2(np.sqrt(np.maximum(-disc, 0.0)), a)
        h_cplx = np.sqrt(beta) ** k * np.sin(kk * theta) / np.sin(theta)
        # real roots 0 <= z2 <= z1 = (a + sqrt D)/2, ratio z2/z1 = 1 - gap
        sq = np.sqrt(np.maximum(disc, 0.0))
        m1 = (a + sq) / 2.0
        gap = np.where(m1 > 0, sq / np.where(m1 > 0, m1, 1.0), 1.0)
        # sum_{j<=k} (1-gap)^j = (1 - (1-gap)^(k+1)) / gap, accurate for tiny gap via
        # expm1/log1p; k+1 at an exact double root
        geo = np.where(
            gap > 0, -np.expm1(kk * np.log1p(-gap)) / np.where(gap > 0, gap, 1.0), kk
        )
        mag = np.where(m1 > 0, m1**k, np.where(k == 0, 1.0, 0.0))
        h_real = mag * geo
    out = sign * np.where(cplx, h_cplx, h_real)
    return np.where(k < 0, 0.0, out)


def matrix_power(eta, beta, lam, n):
    r"""Closed form of :math:`A(\eta,\beta,\lambda)^n` (``n >= 1``), shape ``broadcast + (2, 2)``.

    .. math::
        A^n = \begin{pmatrix} h_n & -\beta h_{n-1} \\ h_{n-1} & -\beta h_{n-2}\end{pmatrix}

    (identity checked by :func:`h_sequence_identity_holds`; :math:`h_k` by :func:`h_values`).
    """
    n = np.asarray(n)
    if np.any(n < 1):
        raise ValueError(f"matrix_power needs n >= 1, got {n!r}")
    beta_a = np.asarray(beta, dtype=float)
    hn = h_values(eta, beta, lam, n)
    hn1 = h_values(eta, beta, lam, n - 1)
    hn2 = h_values(eta, beta, lam, n - 2)
    shape = np.broadcast_shapes(hn.shape, beta_a.shape)
    out = np.empty(shape + (2, 2))
    out[..., 0, 0] = hn
    out[..., 0, 1] = -beta_a * hn1
    out[..., 1, 0] = hn1
    out[..., 1, 1] = -beta_a * hn2
    return out


@functools.cache
def stationary_covariance_expr() -> dict:
    r"""Sympy solution of the stationary Lyapunov equation :math:`P = A P A^\top + \eta^2 q\, e_1 e_1^\top`.

    Unknowns :math:`P_{xx}, P_{xy}, P_{yy}` (symmetric).  Solution:

    .. math::
        P_{xx} = P_{yy} = \frac{\eta q (1+\beta)}{(1-\beta)\,\lambda\,(2(1+\beta) - \eta\lambda)},
        \qquad P_{xy} = \frac{1+\beta-\eta\lambda}{1+\beta} P_{xx},

    valid when the iteration is stable (:math:`0 \le \beta < 1`,
    :math:`0 < \eta\lambda < 2(1+\beta)`).  At :math:`\beta = 0` this is SGD's
    :math:`\eta q/(\lambda(2 - \eta\lambda))`.

    Returns
    -------
    dict
        ``Pxx``, ``Pxy``, ``Pyy`` (sympy expressions in ``eta, beta, lam, q``) and
        ``risk`` :math:`= \tfrac12 \lambda P_{xx}`.
    """
    q = sp.Symbol("q", positive=True)
    pxx, pxy, pyy = sp.symbols("P_xx P_xy P_yy")
    A = iteration_matrix()
    P = sp.Matrix([[pxx, pxy], [pxy, pyy]])
    R = A * P * A.T + sp.Matrix([[ETA**2 * q, 0], [0, 0]]) - P
    sol = sp.solve([R[0, 0], R[0, 1], R[1, 1]], [pxx, pxy, pyy], dict=True)[0]
    Pxx = sp.factor(sp.simplify(sol[pxx]))
    expected = ETA * q * (1 + BETA) / ((1 - BETA) * LAM * (2 * (1 + BETA) - ETA * LAM))
    assert sp.simplify(Pxx - expected) == 0
    return {
        "Pxx": Pxx,
        "Pxy": sp.factor(sp.simplify(sol[pxy])),
        "Pyy": sp.factor(sp.simplify(sol[pyy])),
        "risk": sp.factor(sp.simplify(LAM * Pxx / 2)),
        "q": q,
    }


@functools.cache
def _stationary_fns():
    ex = stationary_covariance_expr()
    args = (ETA, BETA, LAM, ex["q"])
    return tuple(sp.lambdify(args, ex[k], modules="numpy") for k in ("Pxx", "Pxy", "Pyy"))


def stationary_covariance(eta, beta, lam, q, *, algebraic: bool = False):
    r"""Stationary covariance of :math:`(x_t, x_{t-1})` for noise variance ``q`` (lambdified).

    Returns an array of shape ``broadcast + (2, 2)``; ``inf`` where the mode is unstable,
    unless ``algebraic``: then the solution of the (Stein) equation
    :math:`P = A P A^\top + \eta^2 q e_1 e_1^\top` is returned wherever it exists, stable
    or not -- what the identity :math:`\sum_{j<n} A^j Q A^{j\top} = P - A^n P A^{n\top}`
    needs.  See :func:`stationary_covariance_expr`.
    """
    eta, beta, lam, q = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (eta, beta, lam, q)))
    fxx, fxy, fyy = _stationary_fns()
    stable = (beta >= 0) & (beta < 1) & (eta * lam > 0) & (eta * lam < 2 * (1 + beta))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.empty(eta.shape + (2, 2))
        out[..., 0, 0] = fxx(eta, beta, lam, q)
        out[..., 0, 1] = out[..., 1, 0] = fxy(eta, beta, lam, q)
        out[..., 1, 1] = fyy(eta, beta, lam, q)
    if not algebraic:
        out[~stable] = np.inf
    return out


__all__ = [
    "BETA",
    "ETA",
    "LAM",
    "characteristic_polynomial",
    "gd_rate",
    "h_sequence_identity_holds",
    "h_values",
    "hb_rate",
    "iteration_matrix",
    "iterations_to_epsilon",
    "matrix_power",
    "optimal_gd_params",
    "optimal_hb_derivation",
    "optimal_hb_params",
    "shb_theory_derivation",
    "shb_theory_params",
    "spectral_radius",
    "spectral_radius_expr",
    "stationary_covariance",
    "stationary_covariance_expr",
]
