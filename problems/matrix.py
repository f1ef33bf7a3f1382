r"""Matrix-parameter problems with one-sided (block-diagonal) Hessian structure.

The parameter is :math:`W\in\mathbb R^{m\times n}`, flattened row-major to a row of length
:math:`d = mn` (the runner's ``(S, d)`` iterate); every problem exposes ``shape = (m, n)``
and the constants ``m``, ``n`` (so optimizer configs can say ``m="m"``, ``n="n"``).

``matrix_quadratic``
    :math:`f(W) = \tfrac12 \operatorname{tr}\big((W-W^\star)^\top L (W-W^\star)\big)`, whose
    Hessian is exactly :math:`I_n\otimes L` (one-sided smoothness with equality).  Knobs: the
    effective rank :math:`r(L) = \operatorname{tr}L/\|L\|_{op}` (power-law spectrum whose
    exponent is solved for it) and the stable rank
    :math:`\|W_0-W^\star\|_F^2/\|W_0-W^\star\|_{op}^2` of the initial error (power-law singular
    values, random singular vectors), :math:`D_{op} = \|W_0 - W^\star\|_{op}`; optional
    one-sided noise :math:`N = \Sigma^{1/2} Z/\sqrt{nM}`, :math:`Z_{ij}\sim N(0,1)`, so that
    :math:`\mathbb E[NN^\top] = \Sigma/M` with :math:`\Sigma = \sigma^2 U_r U_r^\top`
    (:math:`U_r`: the top-``noise_rank`` eigenvectors of :math:`L`; full rank by default).

``multiblock_quadratic``
    :math:`f = \tfrac12 \operatorname{vec}(E)^\top H_\epsilon \operatorname{vec}(E)` with
    column-stacked :math:`\operatorname{vec}` (the :math:`n` columns of :math:`W` are the
    blocks of :math:`I_n\otimes L`) and
    :math:`H_\epsilon = (1-\epsilon)\, I_n\otimes L + \epsilon\, C`, :math:`C` a random dense
    PSD matrix with :math:`\|C\|_{op} = \|L\|_{op}`: :math:`\epsilon` dials in off-block
    coupling.  :func:`block_diagonality` measures the structure (1: exactly block diagonal);
    the one-sided certificate :math:`H_\epsilon \preceq I_n \otimes L_\epsilon` holds with
    :math:`L_\epsilon = (1-\epsilon)L + \epsilon\|C\|_{op} I`, whose trace the ASGO bound
    uses (constant ``trace_L``).

``matrix_regression``
    :math:`Y = W^\star X + \xi`, population excess risk
    :math:`f(W) = \tfrac12\operatorname{tr}\big((W-W^\star)\Sigma_x(W-W^\star)^\top\big)`,
    Hessian :math:`\Sigma_x\otimes I_m`: one-sided on the *right* (use ``side="right"`` in
    ``asgo``); mini-batch gradients from :math:`M` fresh samples
    :math:`x\sim N(0,\Sigma_x)`, :math:`y = W^\star x + \xi`, :math:`\xi\sim N(0, s^2 I)`.

``associative_memory`` (in :mod:`problems.associative_memory`).

References
----------
.. [1] K. An, Y. Liu, R. Pan, Y. Ren, S. Ma, D. Goldfarb, T. Zhang. "ASGO: Adaptive
   Structured Gradient Optimization." NeurIPS 2025. arXiv:2503.20762.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from theory_lab.backends import get_backend, namespace
from theory_lab.validation import check_int, check_positive

from . import register
from ._lazy import brentq, ortho_group  # SciPy on first use: fast registry import
from .device_build import device_generator

__all__ = [
    "MatrixQuadratic",
    "MatrixRegression",
    "MultiBlockQuadratic",
    "block_diagonality",
    "matrix_quadratic",
    "matrix_regression",
    "multiblock_quadratic",
    "power_law_with_ratio",
]


def power_law_with_ratio(k: int, ratio: float, squared: bool = False) -> np.ndarray:
    r"""Decreasing power law :math:`v_i = i^{-a}` (:math:`v_1 = 1`) with :math:`\sum_i v_i^{q} = ` ``ratio``.

    ``q = 1`` (effective rank :math:`\operatorname{tr}L/\|L\|`) or ``q = 2`` with ``squared``
    (stable rank :math:`\|E\|_F^2/\|E\|_{op}^2` of singular values :math:`v`).  ``ratio`` must
    lie in ``[1, k]``; the endpoints give rank one (``a = inf``) and the flat spectrum.
    """
    k = check_int("k", k)
    ratio = float(ratio)
    if not (1.0 <= ratio <= k):
        raise ValueError(f"rank ratio must lie in [1, {k}], got {ratio!r}")
    q = 2.0 if squared else 1.0
    i = np.arange(1, k + 1, dtype=float)
    if ratio >= k * (1 - 1e-12):
        return np.ones(k)
    if ratio <= 1 + 1e-12:
        out = np.zeros(k)
        out[0] = 1.0
        return out
    a = brentq(lambda a: np.sum(i ** (-a * q)) - ratio, 0.0, 200.0, xtol=1e-14)
    return i ** (-a)


def _place_all(obj, names):
    b = obj.backend
    for name in names:
        v = obj._host[name]
        setattr(obj, name, None if v is None else b.asarray(v))


class _MatrixProblem:
    """Shared plumbing: (S, m n) rows <-> (S, m, n) matrices, backend copies."""

    _arrays: tuple = ()

    def _mat(self, w):
        return namespace(w).reshape(w, (w.shape[0], self.m, self.n))

    def _flat(self, W):
        return namespace(W).reshape(W, (W.shape[0], self.m * self.n))

    def to_backend(self, backend):
        new = copy.copy(self)
        new.backend = get_backend(backend)
        _place_all(new, self._arrays)
        return new

    @property
    def shape(self) -> tuple[int, int]:
        return (self.m, self.n)

    def error_matrix(self) -> np.ndarray:
        r""":math:`W_0 - W^\star` (host numpy, m x n)."""
        return (self._host["w0"] - self._host["w_star"]).reshape(self.m, self.n)


class MatrixQuadratic(_MatrixProblem):
    r"""Block-diagonal-Hessian quadratic :math:`\tfrac12\operatorname{tr}(E^\top L E)`, :math:`E = W - W^\star`.

    Parameters
    ----------
    Lmat : array (m, m), symmetric PSD
    w_star, w0 : arrays (m, n)
    sigma : float >= 0
        One-sided noise level; :math:`\Sigma = \sigma^2 U U^\top` with ``noise_basis`` :math:`U`.
    noise_basis : array (m, r) with orthonormal columns, optional (default :math:`I_m`)
    """

    name = "matrix_quadratic"
    _arrays = ("Lmat", "w_star", "w0", "noise_root")

    def __init__(self, Lmat, w_star, w0, sigma: float = 0.0, noise_basis=None, backend=None):
        Lmat = np.asarray(Lmat, dtype=float)
        w_star, w0 = np.asarray(w_star, dtype=float), np.asarray(w0, dtype=float)
        if Lmat.ndim != 2 or Lmat.shape[0] != Lmat.shape[1]:
            raise ValueError(f"L must be a square matrix, got shape {Lmat.shape}")
        if w_star.ndim != 2 or w_star.shape[0] != Lmat.shape[0] or w0.shape != w_star.shape:
            raise ValueError(
                f"w_star and w0 must be matrices of shape (m, n) with m = {Lmat.shape[0]}, got "
                f"{w_star.shape} and {w0.shape}"
            )
        if np.abs(Lmat - Lmat.T).max() > 1e-12 * max(1.0, np.abs(Lmat).max()):
            raise ValueError("L must be symmetric")
        ev = np.linalg.eigvalsh(Lmat)
        if ev.min() < -1e-12 * ev.max():
            raise ValueError(f"L must be PSD, smallest eigenvalue {ev.min()!r}")
        self.sigma = check_positive("sigma", sigma, allow_zero=True)
        self.m, self.n = w0.shape
        self.dim = self.m * self.n
        self.f_star = 0.0
        self._eig = np.clip(ev, 0, None)
        U = np.eye(self.m) if noise_basis is None else np.asarray(noise_basis, dtype=float)
        self.noise_rank = U.shape[1]
        self._host = {"Lmat": Lmat, "w_star": w_star.reshape(-1), "w0": w0.reshape(-1),
                      "noise_root": self.sigma * U if self.sigma > 0 else None}
        self.backend = get_backend(backend)
        _place_all(self, self._arrays)

    def value(self, w):
        xp = namespace(w)
        E = self._mat(w - self.w_star)
        return 0.5 * xp.sum(xp.reshape(E * (self.Lmat @ E), (E.shape[0], -1)), axis=-1)

    def gradient(self, w):
        return self._flat(self.Lmat @ self._mat(w - self.w_star))

    def stochastic_gradient(self, w, batch_size, streams):
        g = self.gradient(w)
        if self.noise_root is None:
            return g
        r = self.noise_rank
        Z = streams.normal((r, self.n))
        N = (self.noise_root @ Z) / math.sqrt(self.n * batch_size)
        return g + self._flat(N)

    def hessian(self) -> np.ndarray:
        """Hessian on the row-major flattening (host numpy, d x d): :math:`L \\otimes I_n`."""
        return np.kron(self._host["Lmat"], np.eye(self.n))

    @classmethod
    def from_device_factors(cls, Lmat, w_star, w0, eig, svals, backend):
        """A quadratic whose arrays were built on ``backend``'s device with known spectra.

        ``eig`` (eigenvalues of ``Lmat``) and ``svals`` (singular values of ``w0 - w_star``)
        are host arrays known by construction, so no host eigen/SVD of an m x m matrix runs.
        """
        new = cls.__new__(cls)
        new.sigma, new.noise_rank = 0.0, Lmat.shape[0]
        new.m, new.n = w0.shape
        new.dim, new.f_star = new.m * new.n, 0.0
        new._eig, new._svals = np.clip(np.asarray(eig, float), 0, None), np.asarray(svals, float)
        new._host = {"Lmat": Lmat, "w_star": w_star.reshape(-1), "w0": w0.reshape(-1), "noise_root": None}
        new.backend = get_backend(backend)
        _place_all(new, new._arrays)
        return new

    def _device_constants(self) -> dict:
        ev, s = self._eig, self._svals
        E = self._host["w0"] - self._host["w_star"]
        xp = namespace(E)
        Em = xp.reshape(E, (self.m, self.n))
        Lop = float(ev.max())
        return {
            "m": self.m, "n": self.n, "d": self.dim,
            "L": Lop, "mu": float(ev.min()), "kappa": Lop / float(ev.min()) if ev.min() > 0 else math.inf,
            "trace_L": float(ev.sum()), "eff_rank": float(ev.sum()) / Lop,
            "D_op": float(s[0]), "D_F": float(np.sqrt(np.sum(s**2))), "D_inf": float(xp.max(xp.abs(E))),
            "stable_rank": float(np.sum(s**2) / s[0] ** 2),
            "f0": float(0.5 * xp.sum(Em * (self._host["Lmat"] @ Em))), "f_star": 0.0,
            "noise": "none", "sigma": 0.0, "noise_rank": 0, "trace_Sigma": 0.0, "trace_sqrt_Sigma": 0.0,
        }

    def constants(self) -> dict:
        if getattr(self, "_svals", None) is not None:  # built on a device: known spectra
            return self._device_constants()
        E = self.error_matrix()
        s = np.linalg.svd(E, compute_uv=False)
        ev = self._eig
        Lop = float(ev.max())
        tr_sigma_sqrt = self.sigma * self.noise_rank
        return {
            "m": self.m, "n": self.n, "d": self.dim,
            "L": Lop, "mu": float(ev.min()), "kappa": Lop / float(ev.min()) if ev.min() > 0 else math.inf,
            "trace_L": float(ev.sum()), "eff_rank": float(ev.sum()) / Lop,
            "D_op": float(s[0]), "D_F": float(np.sqrt(np.sum(s**2))), "D_inf": float(np.abs(E).max()),
            "stable_rank": float(np.sum(s**2) / s[0] ** 2),
            "f0": float(0.5 * np.trace(E.T @ self._host["Lmat"] @ E)),
            "f_star": 0.0,
            "noise": "one_sided" if self.sigma > 0 else "none", "sigma": self.sigma,
            "noise_rank": self.noise_rank if self.sigma > 0 else 0,
            "trace_Sigma": self.sigma**2 * self.noise_rank if self.sigma > 0 else 0.0,
            "trace_sqrt_Sigma": tr_sigma_sqrt if self.sigma > 0 else 0.0,
        }


@register("matrix_quadratic")
def matrix_quadratic(m: int = 16, n: int = 32, eff_rank: float = 2.0, stable_rank: float = 8.0,
                     D_op: float = 1.0, sigma: float = 0.0, noise_rank: int | None = None,
                     seed: int = 0) -> MatrixQuadratic:
    r"""Block-diagonal-Hessian matrix quadratic with controlled effective rank of L and stable rank of W0 - W*.

    Parameters
    ----------
    m, n : int
        Shape of :math:`W`.
    eff_rank : float in [1, m]
        :math:`\operatorname{tr}L/\|L\|_{op}`, with :math:`\|L\|_{op} = 1` and a power-law
        spectrum; :math:`L = Q\Lambda Q^\top` with Haar :math:`Q`.
    stable_rank : float in [1, min(m, n)]
        :math:`\|E_0\|_F^2/\|E_0\|_{op}^2` of :math:`E_0 = W_0 - W^\star` (power-law singular
        values, Haar singular vectors independent of :math:`Q`), :math:`\|E_0\|_{op} = ` ``D_op``.
    sigma, noise_rank : one-sided noise :math:`\Sigma = \sigma^2 U_r U_r^\top` (top-r eigenvectors of L).
    seed : int
        Problem seed (fixes L, W*, W0); run seeds drive the noise.
    """
    m, n = check_int("m", m), check_int("n", n)
    D_op = check_positive("D_op", D_op)
    if max(m, n) > DEVICE_SETUP_MIN_SIDE and sigma == 0 and noise_rank is None:
        return _matrix_quadratic_on_device(m, n, eff_rank, stable_rank, D_op, seed)
    rng = np.random.default_rng([int(seed), 4242])
    lam = power_law_with_ratio(m, eff_rank)
    Q = ortho_group.rvs(m, random_state=rng) if m > 1 else np.ones((1, 1))
    Lmat = (Q * lam) @ Q.T
    Lmat = 0.5 * (Lmat + Lmat.T)
    k = min(m, n)
    s = D_op * power_law_with_ratio(k, stable_rank, squared=True)
    U = ortho_group.rvs(m, random_state=rng)[:, :k] if m > 1 else np.ones((1, 1))
    V = ortho_group.rvs(n, random_state=rng)[:, :k] if n > 1 else np.ones((1, 1))
    E0 = (U * s) @ V.T
    w_star = rng.normal(size=(m, n)) / math.sqrt(n)
    basis = None
    if noise_rank is not None:
        r = check_int("noise_rank", noise_rank)
        if r > m:
            raise ValueError(f"noise_rank must be <= m = {m}, got {r}")
        basis = Q[:, :r]
    return MatrixQuadratic(Lmat, w_star, w_star + E0, sigma=sigma, noise_basis=basis)


#: Above this side length (``max(m, n)``) ``matrix_quadratic`` builds its random orthogonal
#: factors by torch QR of a Gaussian on the set-up device (:func:`theory_lab.backends.setup_backend`,
#: the run's device inside :func:`~theory_lab.runner.run_config`; the CPU otherwise) instead of
#: ``scipy.stats.ortho_group`` on the host (54 s at 2048 on 2 cores, minutes at 8192).  The
#: instance then depends on the device's generator; smaller instances are unchanged.
DEVICE_SETUP_MIN_SIDE = 1024


def haar_orthogonal(k: int, generator, device, dtype):
    """A Haar-distributed k x k orthogonal matrix: QR of a Gaussian, columns sign-fixed by diag(R)."""
    import torch

    A = torch.randn((k, k), generator=generator, device=device, dtype=dtype)
    Q, R = torch.linalg.qr(A)
    return Q * torch.sign(torch.diagonal(R))[None, :]


def _matrix_quadratic_on_device(m, n, eff_rank, stable_rank, D_op, seed) -> MatrixQuadratic:
    import torch

    from theory_lab.backends import setup_backend

    b = setup_backend()
    device = b.device if (b is not None and b.name == "torch") else "cpu"
    backend = b if (b is not None and b.name == "torch") else get_backend("torch", "cpu", "float64")
    g = device_generator(device, seed, 4242)
    f64 = torch.float64
    lam = power_law_with_ratio(m, eff_rank)
    k = min(m, n)
    s = D_op * power_law_with_ratio(k, stable_rank, squared=True)
    Q = haar_orthogonal(m, g, device, f64)
    Lmat = (Q * torch.as_tensor(lam, dtype=f64, device=device)) @ Q.T
    Lmat = 0.5 * (Lmat + Lmat.T)
    del Q
    U = haar_orthogonal(m, g, device, f64)[:, :k]
    V = haar_orthogonal(n, g, device, f64)[:, :k]
    E0 = (U * torch.as_tensor(s, dtype=f64, device=device)) @ V.T
    del U, V
    w_star = torch.randn((m, n), generator=g, device=device, dtype=f64) / math.sqrt(n)
    return MatrixQuadratic.from_device_factors(Lmat, w_star, w_star + E0, lam, s, backend)


def block_diagonality(H: np.ndarray, m: int, n: int, layout: str = "row") -> float:
    r"""Fraction of :math:`\|H\|_F^2` in the :math:`n` diagonal :math:`m\times m` column blocks.

    The blocks are those of :math:`I_n\otimes L` in column-stacked coordinates: entry
    :math:`(i, j)` of :math:`W` belongs to block :math:`j`.  ``layout`` says how ``H``'s
    coordinates flatten :math:`W` (``"row"``: index :math:`i n + j`, the lab's convention;
    ``"col"``: :math:`j m + i`).  1 means exactly block diagonal (one-sided structure up to
    the blocks differing); :math:`1/n` is the value of a "uniformly spread" Hessian.
    """
    H = np.asarray(H, dtype=float)
    if H.shape != (m * n, m * n):
        raise ValueError(f"H must be ({m * n}, {m * n}) for m = {m}, n = {n}, got {H.shape}")
    idx = np.arange(m * n)
    col = idx % n if layout == "row" else idx // m
    same = col[:, None] == col[None, :]
    tot = np.sum(H * H)
    return float(np.sum((H * H)[same]) / tot) if tot > 0 else 1.0


class MultiBlockQuadratic(_MatrixProblem):
    r"""Quadratic with Hessian :math:`(1-\epsilon) L\otimes I_n + \epsilon C` (row-major coordinates)."""

    name = "multiblock_quadratic"
    _arrays = ("H", "w_star", "w0")

    def __init__(self, H, Lcert, w_star, w0, coupling: float, backend=None):
        self.m, self.n = np.asarray(w0).shape
        self.dim = self.m * self.n
        self.f_star = 0.0
        self.coupling = coupling
        self._Lcert = Lcert
        self._host = {"H": np.asarray(H, float), "w_star": np.asarray(w_star, float).reshape(-1),
                      "w0": np.asarray(w0, float).reshape(-1)}
        self.backend = get_backend(backend)
        _place_all(self, self._arrays)

    def value(self, w):
        xp = namespace(w)
        e = w - self.w_star
        return 0.5 * xp.sum(e * (e @ self.H), axis=-1)

    def gradient(self, w):
        return (w - self.w_star) @ self.H

    def stochastic_gradient(self, w, batch_size, streams):
        return self.gradient(w)

    def hessian(self) -> np.ndarray:
        return self._host["H"]

    def constants(self) -> dict:
        E = self.error_matrix()
        s = np.linalg.svd(E, compute_uv=False)
        ev = np.linalg.eigvalsh(self._host["H"])
        lc = np.linalg.eigvalsh(self._Lcert)
        return {
            "m": self.m, "n": self.n, "d": self.dim, "coupling": self.coupling,
            "L": float(ev.max()), "mu": float(ev.min()), "trace_L": float(lc.sum()),
            "L_cert_op": float(lc.max()), "eff_rank": float(lc.sum() / lc.max()),
            "D_op": float(s[0]), "D_F": float(np.sqrt(np.sum(s**2))),
            "stable_rank": float(np.sum(s**2) / s[0] ** 2),
            "block_diagonality": block_diagonality(self._host["H"], self.m, self.n),
            "f_star": 0.0, "noise": "none", "sigma": 0.0,
        }


@register("multiblock_quadratic")
def multiblock_quadratic(m: int = 8, n: int = 16, coupling: float = 0.0, eff_rank: float = 2.0,
                         stable_rank: float = 6.0, seed: int = 0) -> MultiBlockQuadratic:
    r"""Approximately block-diagonal quadratic: off-block coupling ``coupling`` in [0, 1] (0: exactly :math:`I_n\otimes L`)."""
    c = check_positive("coupling", coupling, allow_zero=True)
    if c > 1:
        raise ValueError(f"coupling must lie in [0, 1], got {coupling!r}")
    base = matrix_quadratic(m=m, n=n, eff_rank=eff_rank, stable_rank=stable_rank, seed=seed)
    Lm = base._host["Lmat"]
    d = m * n
    rng = np.random.default_rng([int(seed), 777])
    A = rng.normal(size=(d, d))
    C = A @ A.T
    Lop = float(np.linalg.eigvalsh(Lm).max())
    C *= Lop / np.linalg.eigvalsh(C).max()
    H = (1 - c) * np.kron(Lm, np.eye(n)) + c * C
    H = 0.5 * (H + H.T)
    Lcert = (1 - c) * Lm + c * Lop * np.eye(m)
    return MultiBlockQuadratic(H, Lcert, base._host["w_star"].reshape(m, n),
                               base._host["w0"].reshape(m, n), c)


class MatrixRegression(_MatrixProblem):
    r"""Matrix linear regression :math:`Y = W^\star X + \xi` (population excess risk, fresh samples)."""

    name = "matrix_regression"
    _arrays = ("Sx", "Sx_root", "w_star", "w0")

    def __init__(self, Sx, w_star, w0, noise_std: float = 0.0, backend=None):
        Sx = np.asarray(Sx, float)
        self.m, self.n = np.asarray(w0).shape
        self.dim = self.m * self.n
        self.f_star = 0.0
        self.noise_std = check_positive("noise_std", noise_std, allow_zero=True)
        lam, Q = np.linalg.eigh(Sx)
        self._lam = np.clip(lam, 0, None)
        self._host = {"Sx": Sx, "Sx_root": (Q * np.sqrt(self._lam)) @ Q.T,
                      "w_star": np.asarray(w_star, float).reshape(-1), "w0": np.asarray(w0, float).reshape(-1)}
        self.backend = get_backend(backend)
        _place_all(self, self._arrays)

    def value(self, w):
        xp = namespace(w)
        E = self._mat(w - self.w_star)
        return 0.5 * xp.sum(xp.reshape(E * (E @ self.Sx), (E.shape[0], -1)), axis=-1)

    def gradient(self, w):
        return self._flat(self._mat(w - self.w_star) @ self.Sx)

    def stochastic_gradient(self, w, batch_size, streams):
        # residual r_i = E x_i - xi_i for x_i = Sx^{1/2} z_i; G = (1/M) sum_i r_i x_i^T
        X = streams.normal((batch_size, self.n)) @ self.Sx_root          # (S, M, n)
        E = self._mat(w - self.w_star)                                   # (S, m, n)
        R = X @ namespace(w).matrix_transpose(E)                         # (S, M, m)
        if self.noise_std > 0:
            R = R - self.noise_std * streams.normal((batch_size, self.m))
        return self._flat(namespace(w).matrix_transpose(R) @ X) / batch_size

    def constants(self) -> dict:
        E = self.error_matrix()
        s = np.linalg.svd(E, compute_uv=False)
        lam = self._lam
        return {
            "m": self.m, "n": self.n, "d": self.dim, "L": float(lam.max()), "mu": float(lam.min()),
            "trace_L": float(lam.sum()), "eff_rank": float(lam.sum() / lam.max()),
            "D_op": float(s[0]), "D_F": float(np.sqrt(np.sum(s**2))),
            "stable_rank": float(np.sum(s**2) / s[0] ** 2), "f_star": 0.0,
            "noise": "sampling", "sigma": self.noise_std,
        }


@register("matrix_regression")
def matrix_regression(m: int = 16, n: int = 8, eff_rank: float = 2.0, stable_rank: float = 4.0,
                      noise_std: float = 0.0, seed: int = 0) -> MatrixRegression:
    r"""Matrix linear regression :math:`Y = W^\star X`: Hessian :math:`\Sigma_x\otimes I` (one-sided, right side; n x n)."""
    m, n = check_int("m", m), check_int("n", n)
    rng = np.random.default_rng([int(seed), 99])
    lam = power_law_with_ratio(n, eff_rank)
    Q = ortho_group.rvs(n, random_state=rng) if n > 1 else np.ones((1, 1))
    Sx = (Q * lam) @ Q.T
    k = min(m, n)
    s = power_law_with_ratio(k, stable_rank, squared=True)
    U = ortho_group.rvs(m, random_state=rng)[:, :k] if m > 1 else np.ones((1, 1))
    V = ortho_group.rvs(n, random_state=rng)[:, :k] if n > 1 else np.ones((1, 1))
    w_star = rng.normal(size=(m, n)) / math.sqrt(n)
    return MatrixRegression(0.5 * (Sx + Sx.T), w_star, w_star + (U * s) @ V.T, noise_std=noise_std)


# the associative-memory task registers itself
from . import associative_memory  # noqa: E402,F401
