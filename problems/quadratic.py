r"""Quadratic problems :math:`f(w) = \tfrac12 (w - w^\star)^\top H (w - w^\star)`.

:math:`H = Q \operatorname{diag}(\lambda) Q^\top` with a generated spectrum (power law,
log-uniform, two clusters), either diagonal (:math:`Q = I`, stored implicitly: O(d)
memory and time) or randomly rotated (Haar :math:`Q`, O(d^2)).  Constants are declared,
not estimated: :math:`L = \lambda_1`, :math:`\mu = \lambda_d`, :math:`\kappa = L/\mu`,
:math:`f^\star = 0`.

References
----------
.. [1] R. Pan, Y. Liu, X. Wang, T. Zhang. "Accelerated Convergence of Stochastic Heavy
   Ball Method under Anisotropic Gradient Noise." ICLR 2024. arXiv:2312.14567.
   (Experiments: regression with :math:`w_0 \sim U(-1, 1)^d`.)
"""

from __future__ import annotations

import copy

import numpy as np

from theory_lab.backends import Backend, get_backend, namespace, to_numpy
from theory_lab.validation import check_int, check_shape, check_spectrum

from ._lazy import ortho_group  # SciPy on first use: fast registry import
from .device_build import (
    check_positive_vector,
    device_generator,
    diagonal_setup_backend,
    is_tensor,
    place,
)
from .noise import NoNoise, make_noise
from .spectra import make_spectrum


class Quadratic:
    r"""Quadratic with a known spectrum and a pluggable gradient-noise model.

    Parameters
    ----------
    eigenvalues : array (d,)
        Spectrum of :math:`H`; must be positive (a non-PD spectrum raises ``ValueError``).
    w_star : array (d,)
    w0 : array (d,)
    rotation : array (d, d) or None
        Orthogonal :math:`Q`; ``None`` means diagonal :math:`H`.
    noise : noise model from :mod:`problems.noise` (default: exact gradients)
    """

    name = "quadratic"

    def __init__(self, eigenvalues, w_star, w0, rotation=None, noise=None, backend: Backend | None = None):
        ev = check_spectrum(eigenvalues)
        d = ev.size
        self.backend = get_backend(backend)
        self._eig_host = ev
        w_star = np.asarray(w_star, dtype=float)
        w0 = np.asarray(w0, dtype=float)
        check_shape("w_star", w_star, (d,))
        check_shape("w0", w0, (d,))
        if rotation is not None:
            rotation = np.asarray(rotation, dtype=float)
            check_shape("rotation", rotation, (d, d))
            err = np.abs(rotation.T @ rotation - np.eye(d)).max()
            if err > 1e-8:
                raise ValueError(f"rotation is not orthogonal: max |Q^T Q - I| = {err:.3g}")
        self._host = {"w_star": w_star, "w0": w0, "rotation": rotation}
        self.noise = noise if noise is not None else NoNoise()
        self.dim = d
        self.f_star = 0.0
        self._place()

    @classmethod
    def from_device_vectors(cls, eigenvalues, w_star, w0, noise=None, backend: Backend | None = None) -> Quadratic:
        """A diagonal quadratic whose float64 vectors (torch tensors) were built on ``backend``'s device.

        No host copy is made: the tensors are the problem's masters (``spectrum`` and
        ``initial_error_coordinates`` copy them to the host only when theory code asks).
        See :mod:`problems.device_build`.
        """
        new = cls.__new__(cls)
        new.backend = get_backend(backend)
        new._eig_host = check_positive_vector("eigenvalues", eigenvalues)
        d = eigenvalues.shape[0]
        check_shape("w_star", w_star, (d,))
        check_shape("w0", w0, (d,))
        new._host = {"w_star": w_star, "w0": w0, "rotation": None}
        new.noise = noise if noise is not None else NoNoise()
        new.dim, new.f_star = d, 0.0
        new._place()
        return new

    def _place(self):
        b = self.backend
        ev = self._eig_host
        self.eigenvalues = place(b, ev)
        self._sqrt_eig = place(b, ev.sqrt() if is_tensor(ev) else np.sqrt(ev))  # sqrt in float64
        self.w_star = place(b, self._host["w_star"])
        self.w0 = place(b, self._host["w0"])
        Q = self._host["rotation"]
        self.rotation = None if Q is None else b.asarray(Q)
        if Q is not None:
            self._H = b.asarray((Q * ev) @ Q.T)
            self._H_sqrt = b.asarray((Q * np.sqrt(ev)) @ Q.T)

    def to_backend(self, backend) -> Quadratic:
        new = copy.copy(self)
        new.backend = get_backend(backend)
        if new.backend != self.backend:  # already placed there (e.g. built on the run's device)
            new._place()
        return new

    # -- linear algebra on (S, d) batches -------------------------------------------
    def hessian_apply(self, v):
        """:math:`H v` for each row of ``v`` (any leading shape)."""
        if self.rotation is None:
            return v * self.eigenvalues
        return v @ self._H

    def hessian_sqrt_apply(self, v):
        r""":math:`H^{1/2} v` for each row of ``v`` (any leading shape)."""
        if self.rotation is None:
            return v * self._sqrt_eig
        return v @ self._H_sqrt

    # -- protocol ----------------------------------------------------------------------
    def value(self, w):
        xp = namespace(w)
        diff = w - self.w_star
        return 0.5 * xp.sum(diff * self.hessian_apply(diff), axis=-1)

    def gradient(self, w):
        return self.hessian_apply(w - self.w_star)

    def stochastic_gradient(self, w, batch_size, streams):
        return self.noise.stochastic_gradient(self, w, batch_size, streams)

    @property
    def spectrum(self) -> np.ndarray:
        """Eigenvalues of H as a host numpy array (for theory code; a host copy if built on a device)."""
        return to_numpy(self._eig_host)

    def initial_error_coordinates(self) -> np.ndarray:
        r""":math:`w_0 - w^\star` in the eigenbasis of H (host numpy; for theory code)."""
        return self.eigen_coordinates(to_numpy(self._host["w0"] - self._host["w_star"]))

    def eigen_coordinates(self, v):
        """Coordinates of ``v`` (host numpy, shape (d,)) in the eigenbasis of H."""
        Q = self._host["rotation"]
        v = np.asarray(v, dtype=float)
        return v if Q is None else v @ Q

    def constants(self) -> dict:
        ev = self._eig_host
        if is_tensor(ev):  # built on a device: reductions there, in float64, once
            if getattr(self, "_device_constants", None) is None:
                import torch

                e = self._host["w0"] - self._host["w_star"]
                L, mu = float(ev.max()), float(ev.min())
                self._device_constants = {"d": self.dim, "L": L, "mu": mu, "kappa": L / mu,
                                          "trace_H": float(ev.sum()), "f_star": self.f_star,
                                          "f0": float(0.5 * torch.dot(ev * e, e))}
            return {**self._device_constants, **self.noise.describe()}
        L, mu = float(ev.max()), float(ev.min())
        return {
            "d": self.dim,
            "L": L,
            "mu": mu,
            "kappa": L / mu,
            "trace_H": float(ev.sum()),
            "f_star": self.f_star,
            "f0": float(0.5 * np.sum(ev * self.initial_error_coordinates() ** 2)),
            **self.noise.describe(),
        }


def anisotropic_quadratic(
    d: int = 100,
    kappa: float = 100.0,
    L: float = 1.0,
    spectrum: str = "power_law",
    rotate: bool = False,
    noise: str = "anisotropic",
    sigma: float = 1.0,
    seed: int = 0,
) -> Quadratic:
    r"""Quadratic of Pan et al.'s setting, built from a few knobs.

    Parameters
    ----------
    d, kappa, L : dimension, condition number :math:`L/\mu`, largest eigenvalue.
    spectrum : {"power_law", "log_uniform", "two_clusters"}
    rotate : bool
        Random Haar rotation of the eigenbasis (O(d^2) memory) instead of diagonal H.
    noise : {"anisotropic", "isotropic", "least_squares", "none"}
    sigma : noise level :math:`\sigma`.
    seed : int
        Problem seed: fixes :math:`w_0 \sim U(-1, 1)^d` (as the paper) and the rotation.
        :math:`w^\star = 0`.  The *run* seeds, separately, drive the gradient noise.

    Notes
    -----
    Unrotated with ``d >`` :data:`problems.device_build.DIAGONAL_DEVICE_SETUP_MIN_D` and set
    up for a torch run, the spectrum and :math:`w_0` are built with torch on the run's
    device (:mod:`problems.device_build`): same laws, :math:`w_0` from the device generator.
    """
    d = check_int("d", d)
    b = None if rotate else diagonal_setup_backend(d)
    if b is not None:
        import torch

        dev, f64 = b.device, torch.float64
        ev = make_spectrum(spectrum, d, kappa, L, device=dev)
        g = device_generator(dev, seed, 7919)
        w0 = torch.rand(d, generator=g, dtype=f64, device=dev).mul_(2.0).sub_(1.0)  # U[-1, 1)
        return Quadratic.from_device_vectors(ev, torch.zeros(d, dtype=f64, device=dev), w0,
                                             noise=make_noise(noise, sigma), backend=b)
    ev = make_spectrum(spectrum, d, kappa, L)
    rng = np.random.default_rng([int(seed), 7919])
    w0 = rng.uniform(-1.0, 1.0, size=d)
    Q = ortho_group.rvs(d, random_state=rng) if rotate and d > 1 else None
    return Quadratic(ev, w_star=np.zeros(d), w0=w0, rotation=Q, noise=make_noise(noise, sigma))
