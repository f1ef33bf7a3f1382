r"""Problems with a smoothness *vector* and a noise *vector* (AdaGrad under anisotropic smoothness).

Liu, Pan, Zhang (ICLR 2025) measure a problem by a smoothness vector
:math:`L = (L_1, \dots, L_d)`,

.. math::
    f(y) \le f(x) + \langle \nabla f(x), y - x\rangle + \tfrac12 \sum_i L_i (y_i - x_i)^2,

and a noise vector :math:`\sigma` (coordinate :math:`i` of a mini-batch gradient of size
:math:`M` has variance :math:`\sigma_i^2 / M`).  AdaGrad's bounds read :math:`\|L\|_1` and
:math:`\|\sigma\|_1`, SGD's :math:`d\,\|L\|_\infty` and :math:`\sqrt d\,\|\sigma\|_2`; the two
*anisotropy ratios*

.. math::
    r_L = \frac{\|L\|_1}{d\,\|L\|_\infty} \in [1/d, 1], \qquad
    r_\sigma = \frac{\|\sigma\|_1}{\sqrt d\,\|\sigma\|_2} \in [1/\sqrt d, 1]

are the knobs of the generators here (small ratio = strongly anisotropic).

Problems (all registered by name; ``w`` has shape ``(S, d)``)
------------------------------------------------------------
``separable_quadratic``
    :math:`f(w) = \tfrac12\sum_i L_i (w_i - w^\star_i)^2`, additive Gaussian noise
    :math:`\sigma_i z_i / \sqrt M`.  The smoothness and noise vectors hold with equality.
``anisotropic_logistic``
    :math:`\ell_2`-regularized logistic regression on synthetic data whose feature scales
    follow a power law; :math:`L_i = \tfrac14 \mathbb E_n[x_i^2] + \lambda` from the data,
    :math:`f^\star` from cvxpy, :math:`\sigma_i` the per-sample gradient's standard
    deviation at :math:`w^\star` (measured, exact for that finite sum).
``separable_cosh``
    :math:`f(w) = \sum_i a_i(\cosh(w_i - w^\star_i) - 1)`: *generalized* anisotropic
    smoothness :math:`|f_i''| \le L_{0,i} + L_{1,i} |f_i'|` with :math:`L_0 = a`,
    :math:`L_1 = \mathbf 1` (since :math:`\cosh \le 1 + |\sinh|`), but not smooth
    (:math:`f'' = a_i\cosh` is unbounded).
``separable_cosine``
    :math:`f(w) = \sum_i L_i (1 - \cos(w_i - w^\star_i))`: non-convex (concave where
    :math:`|w_i - w^\star_i| > \pi/2`), smoothness vector exactly :math:`L`
    (:math:`f_i'' = L_i\cos`), :math:`f^\star = 0`, :math:`|\nabla_i f| \le L_i`.

Bad input raises ``ValueError`` naming the value: :math:`L_i \le 0`, :math:`\sigma_i < 0`,
an unreachable target ratio, an unknown generator.

References
----------
.. [1] Y. Liu, R. Pan, T. Zhang. "AdaGrad under Anisotropic Smoothness." ICLR 2025.
   arXiv:2406.15244.
.. [2] J. Zhang, T. He, S. Sra, A. Jadbabaie. "Why gradient clipping accelerates training:
   a theoretical justification for adaptivity." ICLR 2020 ((L0, L1)-smoothness).
"""

from __future__ import annotations

import copy
import functools
import math

import numpy as np

from theory_lab.backends import get_backend, namespace, to_numpy
from theory_lab.validation import check_int, check_positive

from . import register
from .device_build import (
    array_module,
    check_positive_vector,
    device_generator,
    diagonal_setup_backend,
    is_tensor,
    place,
)
from .logistic import (
    logistic_gradient,
    logistic_value,
    newton_logistic,
    smoothness,
    smoothness_vector,
    solve_logistic,
)

GENERATORS = ("uniform", "power_law", "two_level", "sparse_large")


# -- anisotropy ratios and vector generators ---------------------------------------------
def l1_linf_ratio(v) -> float:
    r""":math:`\|v\|_1 / (d\,\|v\|_\infty)`, the smoothness anisotropy ratio :math:`r_L`."""
    v = np.abs(np.asarray(v, dtype=float))
    return float(v.sum() / (v.size * v.max())) if v.max() > 0 else 1.0


def l1_l2_ratio(v) -> float:
    r""":math:`\|v\|_1 / (\sqrt d\,\|v\|_2)`, the noise anisotropy ratio :math:`r_\sigma`."""
    v = np.abs(np.asarray(v, dtype=float))
    n2 = float(np.linalg.norm(v))
    return float(v.sum() / (math.sqrt(v.size) * n2)) if n2 > 0 else 1.0


def _shape(kind: str, d: int, p: float, k: int, device=None):
    """Unit-max profile of generator ``kind`` with shape parameter ``p``: float64 numpy, or a
    float64 torch tensor built on ``device`` when one is given (the same profile)."""
    xp, kw = array_module(device)
    if kind == "uniform":
        return xp.ones(d, **kw)
    if kind == "power_law":  # p = exponent alpha >= 0
        out = xp.arange(1, d + 1, **kw)
        out **= -p
        return out
    if kind == "two_level":  # first half 1, second half p in [0, 1]
        out = xp.ones(d, **kw)
        out[d - d // 2:] = p
        return out
    if kind == "sparse_large":  # k coordinates 1, the rest p in [0, 1]
        out = xp.full((d,), p, **kw)
        out[:k] = 1.0
        return out
    raise ValueError(f"unknown generator {kind!r}; available: {', '.join(GENERATORS)}")


def anisotropic_vector(kind: str, d: int, top: float = 1.0, ratio: float | None = None,
                       alpha: float = 1.0, k: int = 1, which: str = "L") -> np.ndarray:
    r"""A positive vector of largest entry ``top`` with a chosen profile and anisotropy ratio.

    Parameters
    ----------
    kind : {"uniform", "power_law", "two_level", "sparse_large"}
        ``power_law``: :math:`v_i = \text{top}\cdot i^{-\alpha}`; ``two_level``: half the
        coordinates at ``top``, half at ``top * h``; ``sparse_large``: ``k`` coordinates at
        ``top``, the rest at ``top * h``.
    d : int
    top : float > 0
        :math:`\|v\|_\infty`.
    ratio : float, optional
        Target anisotropy ratio; the shape parameter (:math:`\alpha` or :math:`h`) is
        solved for by bisection.  ``which="L"``: :math:`r_L = \|v\|_1/(d\|v\|_\infty)`;
        ``which="sigma"``: :math:`r_\sigma = \|v\|_1/(\sqrt d\|v\|_2)`.  ``None``: use
        ``alpha`` (power law) or ``h = alpha`` (two-level, sparse-large) as given.
    alpha : float
        Shape parameter when ``ratio`` is None.
    k : int
        Number of large coordinates of ``sparse_large``.

    Returns
    -------
    numpy.ndarray (d,), entries in (0, top].

    Raises
    ------
    ValueError
        Unknown ``kind``, ``top <= 0``, or a ratio the family cannot reach (the message
        gives the reachable interval).
    """
    return _anisotropic_vector(kind, d, top, ratio, alpha, k, which, _shape,
                               l1_linf_ratio if which == "L" else l1_l2_ratio)


def _anisotropic_vector(kind, d, top, ratio, alpha, k, which, shape, measure, inplace=False):
    """:func:`anisotropic_vector` with the profile ``shape(kind, d, p, k)`` and ratio ``measure(v)``
    given (numpy on the host, or torch on a device: :func:`_anisotropic_vector_torch`, which
    scales the fresh profile in place, ``inplace``)."""
    d = check_int("d", d)
    top = check_positive("top", top)
    k = check_int("k", k)
    if kind not in GENERATORS:
        raise ValueError(f"unknown generator {kind!r}; available: {', '.join(GENERATORS)}")
    if ratio is None:
        v = shape(kind, d, float(alpha), k)
    elif kind == "uniform":
        if not math.isclose(ratio, 1.0):
            raise ValueError(f"generator 'uniform' has ratio 1, got target ratio {ratio!r}")
        v = shape(kind, d, 1.0, k)
    else:
        ratio = float(ratio)
        # ratio(p) is monotone: decreasing in alpha (power law), increasing in h (others)
        lo, hi = (0.0, 60.0) if kind == "power_law" else (1e-12, 1.0)
        r_lo, r_hi = measure(shape(kind, d, lo, k)), measure(shape(kind, d, hi, k))
        r_min, r_max = min(r_lo, r_hi), max(r_lo, r_hi)
        if not (r_min <= ratio <= r_max):
            raise ValueError(
                f"target {which} ratio {ratio!r} is out of reach of generator {kind!r} with d={d}"
                f" (k={k}): reachable [{r_min:.4g}, {r_max:.4g}]")
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            r = measure(shape(kind, d, mid, k))
            if (r > ratio) == (kind == "power_law"):
                lo = mid
            else:
                hi = mid
        v = shape(kind, d, 0.5 * (lo + hi), k)
    return v.mul_(top) if inplace else top * v


def _ratio_torch(v, which, nonnegative=False):
    """:func:`l1_linf_ratio` (``which="L"``) or :func:`l1_l2_ratio` of a torch vector, on its device.

    ``nonnegative``: ``v >= 0`` is known (checked), so no ``abs`` copy is made.
    """
    if not nonnegative:
        v = v.abs()
    if which == "L":
        m = float(v.max())
        return float(v.sum()) / (v.numel() * m) if m > 0 else 1.0
    n2 = float(v.norm())
    return float(v.sum()) / (math.sqrt(v.numel()) * n2) if n2 > 0 else 1.0


def _anisotropic_vector_torch(kind, d, top=1.0, ratio=None, alpha=1.0, k=1, which="L", device="cpu"):
    """:func:`anisotropic_vector` built with torch on ``device`` (float64; same profile and bisection)."""
    return _anisotropic_vector(kind, d, top, ratio, alpha, k, which, functools.partial(_shape, device=device),
                               lambda v: _ratio_torch(v, which), inplace=True)


def check_smoothness_vector(L) -> np.ndarray:
    """1-D, finite, every :math:`L_i > 0`; else ``ValueError`` naming the first bad entry."""
    L = np.asarray(L, dtype=float)
    if L.ndim != 1 or L.size == 0:
        raise ValueError(f"smoothness vector L must be a non-empty 1-D array, got shape {L.shape}")
    bad = ~(np.isfinite(L) & (L > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"smoothness vector needs every L_i > 0 and finite; L[{i}] = {float(L[i])!r}")
    return L


def check_noise_vector(sigma, d: int) -> np.ndarray:
    """Shape ``(d,)`` (a scalar is broadcast), finite, every :math:`\\sigma_i \\ge 0`."""
    s = np.asarray(sigma, dtype=float)
    if s.ndim == 0:
        s = np.full(d, float(s))
    if s.shape != (d,):
        raise ValueError(f"noise vector sigma must have shape ({d},), got {s.shape}")
    bad = ~(np.isfinite(s) & (s >= 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"noise vector needs every sigma_i >= 0 and finite; sigma[{i}] = {float(s[i])!r}")
    return s


def initial_point(d: int, w_star, D: float, init: str, seed: int) -> np.ndarray:
    r""":math:`w_0 = w^\star + D u`, :math:`u \sim U(-1,1)^d` (``"uniform"``) or random signs
    (``"sign"``: a vertex of the :math:`\ell_\infty` ball, :math:`\|w_0-w^\star\|_2 = \sqrt d D`)."""
    rng = np.random.default_rng([int(seed), 2406])
    if init == "uniform":
        u = rng.uniform(-1.0, 1.0, size=d)
    elif init == "sign":
        u = rng.choice([-1.0, 1.0], size=d)
    else:
        raise ValueError(f"unknown init {init!r}; available: uniform, sign")
    return np.asarray(w_star, dtype=float) + check_positive("D", D) * u


def vector_constants(L, sigma, w0, w_star) -> dict:
    r"""The constants table of the paper: norms of :math:`L`, :math:`\sigma` and :math:`w_0 - w^\star`.

    Torch vectors (a device-built problem) are reduced on their device, in float64.
    """
    if is_tensor(L):
        return _vector_constants_torch(L, sigma, w0, w_star)
    L, sigma = np.asarray(L, float), np.asarray(sigma, float)
    e = np.asarray(w0, float) - np.asarray(w_star, float)
    d = L.size
    s2 = float(np.linalg.norm(sigma))
    return {
        "d": d,
        "L1": float(L.sum()),
        "L_inf": float(L.max()),
        "dL_inf": float(d * L.max()),
        "L_ratio": l1_linf_ratio(L),
        "sigma1": float(sigma.sum()),
        "sigma2": s2,
        "sqrt_d_sigma2": math.sqrt(d) * s2,
        "sigma_ratio": l1_l2_ratio(sigma),
        "D_inf": float(np.abs(e).max()),
        "D_2": float(np.linalg.norm(e)),
        "D_ratio": float(np.linalg.norm(e) / (math.sqrt(d) * np.abs(e).max())),
    }


def _vector_constants_torch(L, sigma, w0, w_star, abs_error=None) -> dict:
    # L > 0 and sigma >= 0 were checked when the problem was built; abs_error: |w0 - w*| if at hand
    e = (w0 - w_star).abs_() if abs_error is None else abs_error
    d = L.numel()
    s2, e2, einf = float(sigma.norm()), float(e.norm()), float(e.max())
    return {
        "d": d, "L1": float(L.sum()), "L_inf": float(L.max()), "dL_inf": float(d * L.max()),
        "L_ratio": _ratio_torch(L, "L", True), "sigma1": float(sigma.sum()), "sigma2": s2,
        "sqrt_d_sigma2": math.sqrt(d) * s2, "sigma_ratio": _ratio_torch(sigma, "sigma", True),
        "D_inf": einf, "D_2": e2, "D_ratio": e2 / (math.sqrt(d) * einf),
    }


# -- separable problems with additive coordinate noise -----------------------------------
class SeparableProblem:
    r""":math:`f(w) = \sum_i a_i\,\phi(w_i - w^\star_i)` plus additive noise :math:`\sigma_i z_i/\sqrt M`.

    Subclasses define ``_phi`` and ``_dphi`` (array-API elementwise) and the constants.
    ``sigma = 0`` everywhere gives exact gradients (no random draws).
    """

    name = "separable"

    def __init__(self, a, sigma, w_star, w0, backend=None):
        self._a = np.asarray(a, dtype=float)
        d = self._a.size
        self._sigma = check_noise_vector(sigma, d)
        self._w_star = np.asarray(w_star, dtype=float)
        self._w0 = np.asarray(w0, dtype=float)
        for name, v in (("w_star", self._w_star), ("w0", self._w0)):
            if v.shape != (d,):
                raise ValueError(f"{name} must have shape ({d},), got {v.shape}")
        self.dim = d
        self.f_star = 0.0
        self.backend = get_backend(backend)
        self._exact = not np.any(self._sigma > 0)
        self._place()

    @classmethod
    def from_device_vectors(cls, a, sigma, w_star, w0, backend):
        r"""The problem from float64 torch vectors built on ``backend``'s device (no host copy).

        Checked there (every :math:`a_i > 0`, :math:`\sigma_i \ge 0`, finite); host helpers
        (``L_vector``, ``noise_vector``, ``initial_error``) copy to the host only when called.
        See :mod:`problems.device_build`.
        """
        new = cls.__new__(cls)
        new._a = check_positive_vector("a", a)
        new._sigma = check_positive_vector("sigma", sigma, allow_zero=True)
        d = a.shape[0]
        for name, v in (("sigma", sigma), ("w_star", w_star), ("w0", w0)):
            if tuple(v.shape) != (d,):
                raise ValueError(f"{name} must have shape ({d},), got {tuple(v.shape)}")
        new._w_star, new._w0 = w_star, w0
        new.dim, new.f_star = d, 0.0
        new.backend = get_backend(backend)
        new._exact = not float(sigma.max()) > 0  # sigma >= 0 checked: a reduction, no d-sized mask
        new._place()
        return new

    def _place(self):
        b = self.backend
        self.a = place(b, self._a)
        self.sigma = place(b, self._sigma)
        self.w_star = place(b, self._w_star)
        self.w0 = place(b, self._w0)

    def to_backend(self, backend):
        new = copy.copy(self)
        new.backend = get_backend(backend)
        if new.backend != self.backend:  # already placed there (e.g. built on the run's device)
            new._place()
        return new

    def value(self, w):
        return namespace(w).sum(self.a * self._phi(w - self.w_star), axis=-1)

    def gradient(self, w):
        return self.a * self._dphi(w - self.w_star)

    def stochastic_gradient(self, w, batch_size, streams):
        batch_size = check_int("batch_size", batch_size)
        g = self.gradient(w)
        if self._exact:
            return g
        return g + (self.sigma / math.sqrt(batch_size)) * streams.normal(self.dim)

    # host-side helpers for theory code
    @property
    def L_vector(self) -> np.ndarray:
        """Smoothness vector (host numpy)."""
        raise NotImplementedError

    @property
    def noise_vector(self) -> np.ndarray:
        return to_numpy(self._sigma)

    @property
    def initial_error(self) -> np.ndarray:
        r""":math:`w_0 - w^\star` (host numpy)."""
        return to_numpy(self._w0 - self._w_star)


class SeparableQuadratic(SeparableProblem):
    r""":math:`f(w) = \tfrac12\sum_i L_i (w_i - w^\star_i)^2` with coordinate noise :math:`\sigma_i/\sqrt M`.

    Parameters
    ----------
    L : array (d,), every entry > 0
        Smoothness vector (the Hessian is :math:`\operatorname{diag}(L)`).
    sigma : array (d,) or float, entries >= 0
    w_star, w0 : array (d,)
    """

    name = "separable_quadratic"

    def __init__(self, L, sigma, w_star, w0, backend=None):
        super().__init__(check_smoothness_vector(L), sigma, w_star, w0, backend)

    def _phi(self, x):
        return 0.5 * x * x

    def _dphi(self, x):
        return x

    @property
    def L_vector(self) -> np.ndarray:
        return to_numpy(self._a)

    def constants(self) -> dict:
        L = self._a
        if is_tensor(L):  # built on a device: reductions there, in float64, once
            if getattr(self, "_device_constants", None) is None:
                import torch

                e = self._w0 - self._w_star
                f0 = float(0.5 * torch.dot(L * e, e))
                self._device_constants = {
                    **_vector_constants_torch(L, self._sigma, self._w0, self._w_star, e.abs_()),
                    "L": float(L.max()), "mu": float(L.min()), "kappa": float(L.max() / L.min()),
                    "f_star": 0.0, "f0": f0}
            return dict(self._device_constants)
        return {**vector_constants(L, self._sigma, self._w0, self._w_star), "L": float(L.max()),
                "mu": float(L.min()), "kappa": float(L.max() / L.min()), "f_star": 0.0,
                "f0": float(0.5 * np.sum(L * self.initial_error**2))}


class SeparableCosh(SeparableProblem):
    r""":math:`f(w) = \sum_i a_i(\cosh(w_i - w^\star_i) - 1)`: (L0, L1)-smooth per coordinate, not smooth.

    :math:`f_i'' = a_i\cosh x \le a_i + |a_i\sinh x| = L_{0,i} + L_{1,i}|f_i'|` with
    :math:`L_0 = a`, :math:`L_1 = \mathbf 1`; no finite :math:`L` exists (:math:`\cosh` is
    unbounded).  On the :math:`\ell_\infty` ball of radius :math:`D` around :math:`w^\star`
    the smoothness vector is :math:`a\cosh D` (``L_local``).
    """

    name = "separable_cosh"

    def __init__(self, a, sigma, w_star, w0, backend=None):
        super().__init__(check_smoothness_vector(a), sigma, w_star, w0, backend)

    def _phi(self, x):
        return namespace(x).cosh(x) - 1.0

    def _dphi(self, x):
        return namespace(x).sinh(x)

    @property
    def L_vector(self) -> np.ndarray:
        """Local smoothness vector on the l_inf ball of radius D_inf around w*: a cosh(D_inf)."""
        return self._a * math.cosh(float(np.abs(self.initial_error).max()))

    def constants(self) -> dict:
        a = self._a
        D = float(np.abs(self.initial_error).max())
        base = vector_constants(a * math.cosh(D), self._sigma, self._w0, self._w_star)
        return {**base, "L0_1": float(a.sum()), "L0_inf": float(a.max()), "L1_inf": 1.0,
                "L": float(a.max() * math.cosh(D)), "L_local_inf": float(a.max() * math.cosh(D)),
                "globally_smooth": 0, "f_star": 0.0,
                "f0": float(np.sum(a * (np.cosh(self.initial_error) - 1.0)))}


class SeparableCosine(SeparableProblem):
    r""":math:`f(w) = \sum_i L_i(1 - \cos(w_i - w^\star_i))`: non-convex, smoothness vector :math:`L`.

    :math:`f_i'' = L_i\cos x \in [-L_i, L_i]`, :math:`|\nabla_i f| \le L_i`,
    :math:`f^\star = 0` (at :math:`w^\star + 2\pi\mathbb Z^d`); concave along coordinate
    :math:`i` where :math:`|w_i - w^\star_i| > \pi/2`.
    """

    name = "separable_cosine"

    def __init__(self, L, sigma, w_star, w0, backend=None):
        super().__init__(check_smoothness_vector(L), sigma, w_star, w0, backend)

    def _phi(self, x):
        return 1.0 - namespace(x).cos(x)

    def _dphi(self, x):
        return namespace(x).sin(x)

    @property
    def L_vector(self) -> np.ndarray:
        return self._a

    def constants(self) -> dict:
        L = self._a
        f0 = float(np.sum(L * (1.0 - np.cos(self.initial_error))))
        return {**vector_constants(L, self._sigma, self._w0, self._w_star), "L": float(L.max()),
                "f_star": 0.0, "f0": f0, "Delta": f0, "G_inf": float(L.max())}


def _vectors(d, L, L_max, L_ratio, L_alpha, L_k, L_values, sigma, sigma_max, sigma_ratio,
             sigma_alpha, sigma_k, sigma_values):
    Lv = (check_smoothness_vector(L_values) if L_values is not None
          else anisotropic_vector(L, d, L_max, L_ratio, L_alpha, L_k, which="L"))
    d = Lv.size
    if sigma_values is not None:
        sv = check_noise_vector(sigma_values, d)
    elif sigma_max == 0:
        sv = np.zeros(d)
    else:
        check_positive("sigma_max", sigma_max)
        sv = anisotropic_vector(sigma, d, sigma_max, sigma_ratio, sigma_alpha, sigma_k,
                                which="sigma")
    return Lv, sv


def _device_vectors(device, d, L, L_max, L_ratio, L_alpha, L_k, sigma, sigma_max, sigma_ratio,
                    sigma_alpha, sigma_k, init, D, seed):
    """:func:`_vectors` and :func:`initial_point` with torch on ``device`` (float64, nothing on the host)."""
    import torch

    f64 = torch.float64
    Lv = _anisotropic_vector_torch(L, d, L_max, L_ratio, L_alpha, L_k, which="L", device=device)
    if sigma_max == 0:
        sv = torch.zeros(d, dtype=f64, device=device)
    else:
        check_positive("sigma_max", sigma_max)
        sv = _anisotropic_vector_torch(sigma, d, sigma_max, sigma_ratio, sigma_alpha, sigma_k,
                                       which="sigma", device=device)
    g = device_generator(device, seed, 2406)
    if init == "uniform":
        u = torch.rand(d, generator=g, dtype=f64, device=device).mul_(2.0).sub_(1.0)  # U[-1, 1)
    elif init == "sign":
        u = torch.randint(0, 2, (d,), generator=g, device=device).to(f64).mul_(2.0).sub_(1.0)
    else:
        raise ValueError(f"unknown init {init!r}; available: uniform, sign")
    w_star = torch.zeros(d, dtype=f64, device=device)
    return Lv, sv, w_star, u.mul_(check_positive("D", D))  # w0 = w* + D u, w* = 0


@register("separable_quadratic")
def separable_quadratic(d: int = 100, L: str = "power_law", L_max: float = 1.0,
                        L_ratio: float | None = None, L_alpha: float = 1.0, L_k: int = 1,
                        sigma: str = "uniform", sigma_max: float = 1.0,
                        sigma_ratio: float | None = None, sigma_alpha: float = 1.0,
                        sigma_k: int = 1, init: str = "uniform", D: float = 1.0, seed: int = 0,
                        L_values=None, sigma_values=None) -> SeparableQuadratic:
    r"""Separable quadratic with a generated smoothness vector and noise vector.

    Parameters
    ----------
    d : int
    L, L_max, L_ratio, L_alpha, L_k :
        Generator of :math:`L` (see :func:`anisotropic_vector`), its largest entry, the
        target :math:`r_L = \|L\|_1/(d\|L\|_\infty)` (or the shape ``L_alpha``), and the
        number of large coordinates of ``sparse_large``.
    sigma, sigma_max, sigma_ratio, sigma_alpha, sigma_k :
        Same for the noise vector, target :math:`r_\sigma = \|\sigma\|_1/(\sqrt d\|\sigma\|_2)`;
        ``sigma_max = 0``: exact gradients.
    init : {"uniform", "sign"}, D : float
        :math:`w_0 = w^\star + D u` (see :func:`initial_point`); :math:`w^\star = 0`.
    seed : int
        Problem seed (fixes :math:`w_0`); run seeds drive the noise.
    L_values, sigma_values : list, optional
        Explicit vectors (override the generators).

    Raises
    ------
    ValueError
        :math:`L_i \le 0`, :math:`\sigma_i < 0`, unreachable ratio, unknown generator.

    References
    ----------
    .. [1] Y. Liu, R. Pan, T. Zhang. ICLR 2025.

    Notes
    -----
    With generated vectors, ``d >`` :data:`problems.device_build.DIAGONAL_DEVICE_SETUP_MIN_D`
    and set up for a torch run, :math:`L`, :math:`\sigma`, :math:`w^\star` and :math:`w_0`
    are built with torch on the run's device (:mod:`problems.device_build`): same formulas
    and laws, :math:`w_0` from the device generator.
    """
    b = (diagonal_setup_backend(check_int("d", d))
         if L_values is None and sigma_values is None else None)
    if b is not None:
        Lv, sv, w_star, w0 = _device_vectors(b.device, d, L, L_max, L_ratio, L_alpha, L_k, sigma,
                                             sigma_max, sigma_ratio, sigma_alpha, sigma_k, init, D, seed)
        return SeparableQuadratic.from_device_vectors(Lv, sv, w_star, w0, b)
    Lv, sv = _vectors(d, L, L_max, L_ratio, L_alpha, L_k, L_values, sigma, sigma_max,
                      sigma_ratio, sigma_alpha, sigma_k, sigma_values)
    w_star = np.zeros(Lv.size)
    return SeparableQuadratic(Lv, sv, w_star, initial_point(Lv.size, w_star, D, init, seed))


@register("separable_cosh")
def separable_cosh(d: int = 50, L: str = "power_law", L_max: float = 1.0,
                   L_ratio: float | None = None, L_alpha: float = 1.0, L_k: int = 1,
                   sigma: str = "uniform", sigma_max: float = 0.0,
                   sigma_ratio: float | None = None, sigma_alpha: float = 1.0, sigma_k: int = 1,
                   init: str = "uniform", D: float = 2.0, seed: int = 0, L_values=None,
                   sigma_values=None) -> SeparableCosh:
    r"""Generalized-smooth separable problem :math:`\sum_i a_i(\cosh(w_i - w_i^\star) - 1)`, :math:`a` from the L generator.

    Same knobs as :func:`separable_quadratic`; the generated vector is :math:`L_0 = a`.
    """
    av, sv = _vectors(d, L, L_max, L_ratio, L_alpha, L_k, L_values, sigma, sigma_max,
                      sigma_ratio, sigma_alpha, sigma_k, sigma_values)
    w_star = np.zeros(av.size)
    return SeparableCosh(av, sv, w_star, initial_point(av.size, w_star, D, init, seed))


@register("separable_cosine")
def separable_cosine(d: int = 100, L: str = "power_law", L_max: float = 1.0,
                     L_ratio: float | None = None, L_alpha: float = 1.0, L_k: int = 1,
                     sigma: str = "uniform", sigma_max: float = 0.0,
                     sigma_ratio: float | None = None, sigma_alpha: float = 1.0,
                     sigma_k: int = 1, init: str = "uniform", D: float = 3.0, seed: int = 0,
                     L_values=None, sigma_values=None) -> SeparableCosine:
    r"""Non-convex separable problem :math:`\sum_i L_i(1 - \cos(w_i - w_i^\star))`.

    Same knobs as :func:`separable_quadratic`; the default :math:`D = 3` starts most
    coordinates in the concave region :math:`|w_i - w_i^\star| > \pi/2`.
    """
    Lv, sv = _vectors(d, L, L_max, L_ratio, L_alpha, L_k, L_values, sigma, sigma_max,
                      sigma_ratio, sigma_alpha, sigma_k, sigma_values)
    w_star = np.zeros(Lv.size)
    return SeparableCosine(Lv, sv, w_star, initial_point(Lv.size, w_star, D, init, seed))


# -- anisotropic logistic regression -----------------------------------------------------
@functools.lru_cache(maxsize=16)
def _logistic_data(n, d, feature_alpha, lam, label_noise, seed):
    rng = np.random.default_rng([int(seed), 2025])
    scales = np.arange(1, d + 1, dtype=float) ** (-feature_alpha / 2.0)  # E x_i^2 = i^-alpha
    X = rng.standard_normal((n, d)) * scales
    w_true = rng.standard_normal(d) / scales / math.sqrt(d)
    y = np.where(X @ w_true + label_noise * rng.standard_normal(n) > 0, 1.0, -1.0)
    w_star, f_cvx = solve_logistic(X, y, lam)
    w_nt, f_nt = newton_logistic(X, y, lam)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y, w_star, f_cvx, abs(f_cvx - f_nt)


class AnisotropicLogistic:
    r"""Logistic regression :math:`\frac1n\sum_j \log(1 + e^{-y_j x_j^\top w}) + \frac\lambda2\|w\|^2`.

    Stochastic gradients average ``M`` samples drawn uniformly with replacement (one
    uniform per sample from the seed's stream), so the mini-batch noise has covariance
    :math:`\Sigma(w)/M`; :math:`\sigma_i` is :math:`\sqrt{\Sigma_{ii}(w^\star)}`.
    """

    name = "anisotropic_logistic"

    def __init__(self, X, y, lam, w_star, f_star, w0, cvx_newton_gap=float("nan"), backend=None):
        self._X, self._y = np.array(X, float), np.array(y, float)  # writable copies (torch)
        self.lam = check_positive("lam", lam)
        self._w_star = np.asarray(w_star, float)
        self._w0 = np.asarray(w0, float)
        self.dim = self._X.shape[1]
        self.n = self._X.shape[0]
        self.f_star = float(f_star)
        self.cvx_newton_gap = float(cvx_newton_gap)
        self.backend = get_backend(backend)
        self._place()

    def _place(self):
        b = self.backend
        self.X, self.y = b.asarray(self._X), b.asarray(self._y)
        self.w0 = b.asarray(self._w0)

    def to_backend(self, backend):
        new = copy.copy(self)
        new.backend = get_backend(backend)
        new._place()
        return new

    def value(self, w):
        return logistic_value(self.X, self.y, self.lam, w)

    def gradient(self, w):
        return logistic_gradient(self.X, self.y, self.lam, w)

    def stochastic_gradient(self, w, batch_size, streams):
        batch_size = check_int("batch_size", batch_size)
        xp = namespace(w)
        u = streams.uniform(batch_size)  # (S, M)
        idx = xp.astype(xp.floor(u * self.n), xp.int64)
        Xb = self.X[idx]  # (S, M, d)
        yb = self.y[idx]  # (S, M)
        margins = -yb * xp.sum(Xb * w[:, None, :], axis=-1)
        coef = -yb / (1.0 + xp.exp(-margins))
        return xp.sum(coef[:, :, None] * Xb, axis=1) / batch_size + self.lam * w

    @property
    def L_vector(self) -> np.ndarray:
        return smoothness_vector(self._X, self.lam)

    @property
    def noise_vector(self) -> np.ndarray:
        r"""Per-sample gradient standard deviation at :math:`w^\star`, per coordinate."""
        X, y, w = self._X, self._y, self._w_star
        s = 1.0 / (1.0 + np.exp(y * (X @ w)))
        per_sample = (-y * s)[:, None] * X + self.lam * w
        return per_sample.std(axis=0)

    @property
    def initial_error(self) -> np.ndarray:
        return self._w0 - self._w_star

    @property
    def certified_factor(self) -> float:
        r""":math:`c = \lambda_{\max}(D^{-1/2} H D^{-1/2})`, :math:`D = \operatorname{diag}(L)`,
        :math:`H = \tfrac14 X^\top X/n + \lambda I`: then :math:`\nabla^2 f \preceq H \preceq
        \operatorname{diag}(cL)`, a rigorous smoothness vector (``L_vector`` alone is one only
        for uncorrelated features; sample correlations make :math:`c` slightly above 1)."""
        L = self.L_vector
        H = 0.25 * self._X.T @ self._X / self.n + self.lam * np.eye(self.dim)
        s = 1.0 / np.sqrt(L)
        return float(max(1.0, np.linalg.eigvalsh(H * s[:, None] * s[None, :])[-1]))

    @property
    def noise_sup_vector(self) -> np.ndarray:
        r""":math:`\sqrt{\frac1n\sum_j x_{ji}^2} \ge \sup_w` per-sample gradient std of coordinate
        :math:`i` (the sigmoid factor lies in (0, 1)): a noise vector valid at every point."""
        return np.sqrt(np.mean(self._X**2, axis=0))

    def constants(self) -> dict:
        L = self.L_vector
        return {**vector_constants(L, self.noise_vector, self._w0, self._w_star),
                "L": smoothness(self._X, self.lam), "lam": self.lam, "mu": self.lam,
                "n": self.n, "f_star": self.f_star, "cvx_newton_gap": self.cvx_newton_gap,
                "L_cert_factor": self.certified_factor,
                "sigma1_sup": float(self.noise_sup_vector.sum()),
                "sigma2_sup": float(np.linalg.norm(self.noise_sup_vector)),
                "f0": float(logistic_value(self._X, self._y, self.lam, self._w0[None])[0])
                - self.f_star}


@register("anisotropic_logistic")
def anisotropic_logistic(n: int = 2000, d: int = 50, feature_alpha: float = 1.5,
                         lam: float = 1e-3, label_noise: float = 0.5,
                         seed: int = 0) -> AnisotropicLogistic:
    r"""Logistic regression with feature scales :math:`\mathbb E x_i^2 = i^{-\alpha}`; :math:`f^\star` by cvxpy.

    Parameters
    ----------
    n, d : samples and features.
    feature_alpha : float >= 0
        Power law of the feature second moments; larger = more anisotropic :math:`L`.
    lam : float > 0
        :math:`\ell_2` regularization.
    label_noise : float >= 0
        Std of the Gaussian noise added to the planted margin before taking signs.
    seed : int
        Data seed.  :math:`w_0 = 0`.

    References
    ----------
    .. [1] Y. Liu, R. Pan, T. Zhang. ICLR 2025 (logistic-regression experiments).
    """
    n, d = check_int("n", n), check_int("d", d)
    check_positive("feature_alpha", feature_alpha, allow_zero=True)
    check_positive("label_noise", label_noise, allow_zero=True)
    lam = check_positive("lam", lam)
    X, y, w_star, f_star, gap = _logistic_data(n, d, float(feature_alpha), lam,
                                               float(label_noise), int(seed))
    return AnisotropicLogistic(X, y, lam, w_star, f_star, np.zeros(d), gap)


__all__ = [
    "GENERATORS",
    "AnisotropicLogistic",
    "SeparableCosh",
    "SeparableCosine",
    "SeparableProblem",
    "SeparableQuadratic",
    "anisotropic_logistic",
    "anisotropic_vector",
    "check_noise_vector",
    "check_smoothness_vector",
    "initial_point",
    "l1_l2_ratio",
    "l1_linf_ratio",
    "separable_cosh",
    "separable_cosine",
    "separable_quadratic",
    "vector_constants",
]
