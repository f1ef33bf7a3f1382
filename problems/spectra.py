r"""Spectrum generators for quadratic problems.

Each generator returns ``d`` eigenvalues sorted in decreasing order with the largest
exactly ``L`` and the smallest exactly ``L / kappa``, so that the problem's declared
constants :math:`L = \lambda_1`, :math:`\mu = \lambda_d`, :math:`\kappa = L/\mu` hold
to machine precision (they are never estimated).
"""

from __future__ import annotations

import numpy as np

from theory_lab.validation import check_int, check_kappa, check_positive


def _check(d, kappa, L):
    d = check_int("d", d)
    kappa = check_kappa(kappa)
    L = check_positive("L", L)
    if d == 1 and kappa != 1.0:
        raise ValueError(f"a 1-dimensional spectrum has kappa = 1, got kappa={kappa!r}")
    return d, kappa, L


def power_law(d: int, kappa: float, L: float = 1.0) -> np.ndarray:
    r"""Power-law decay :math:`\lambda_i = L\, i^{-p}` with :math:`p = \log\kappa / \log d`."""
    d, kappa, L = _check(d, kappa, L)
    if d == 1:
        return np.array([L])
    p = np.log(kappa) / np.log(d)
    ev = L * np.arange(1, d + 1, dtype=float) ** (-p)
    ev[-1] = L / kappa
    return ev


def log_uniform(d: int, kappa: float, L: float = 1.0) -> np.ndarray:
    r"""Geometric (log-uniformly spaced) :math:`\lambda_i = L \kappa^{-(i-1)/(d-1)}`."""
    d, kappa, L = _check(d, kappa, L)
    if d == 1:
        return np.array([L])
    ev = L * kappa ** (-np.arange(d, dtype=float) / (d - 1))
    ev[-1] = L / kappa
    return ev


def two_clusters(d: int, kappa: float, L: float = 1.0, frac_large: float = 0.5) -> np.ndarray:
    r"""``ceil(frac_large * d)`` eigenvalues at :math:`L`, the rest at :math:`L/\kappa`."""
    d, kappa, L = _check(d, kappa, L)
    if not (0.0 < frac_large < 1.0) and d > 1:
        raise ValueError(f"frac_large must lie in (0, 1), got {frac_large!r}")
    n_large = min(d - 1, max(1, int(np.ceil(frac_large * d)))) if d > 1 else 1
    ev = np.full(d, L / kappa)
    ev[:n_large] = L
    return ev


SPECTRA = {"power_law": power_law, "log_uniform": log_uniform, "two_clusters": two_clusters}


def make_spectrum(kind: str, d: int, kappa: float, L: float = 1.0) -> np.ndarray:
    if kind not in SPECTRA:
        raise ValueError(f"unknown spectrum {kind!r}; available: {', '.join(SPECTRA)}")
    return SPECTRA[kind](d, kappa, L)


def make_spectrum_torch(kind: str, d: int, kappa: float, L: float = 1.0, device="cpu"):
    """:func:`make_spectrum` built with torch on ``device`` (float64): same formulas, no host array.

    Used above :data:`problems.device_build.DIAGONAL_DEVICE_SETUP_MIN_D`; the values equal
    the numpy ones up to rounding (``pow`` / ``log`` of the two libraries).
    """
    import torch

    if kind not in SPECTRA:
        raise ValueError(f"unknown spectrum {kind!r}; available: {', '.join(SPECTRA)}")
    d, kappa, L = _check(d, kappa, L)
    f64 = torch.float64
    if d == 1:
        return torch.full((1,), L, dtype=f64, device=device)
    if kind == "power_law":
        p = np.log(kappa) / np.log(d)
        ev = torch.arange(1, d + 1, dtype=f64, device=device).pow_(-p).mul_(L)
    elif kind == "log_uniform":
        ev = torch.arange(d, dtype=f64, device=device).mul_(-np.log(kappa) / (d - 1)).exp_().mul_(L)
    else:  # two_clusters, frac_large = 0.5
        n_large = min(d - 1, max(1, int(np.ceil(0.5 * d))))
        ev = torch.full((d,), L / kappa, dtype=f64, device=device)
        ev[:n_large] = L
    ev[-1] = L / kappa
    return ev
