r"""Spectrum generators for quadratic problems.

Each generator returns ``d`` eigenvalues sorted in decreasing order with the largest
exactly ``L`` and the smallest exactly ``L / kappa``, so that the problem's declared
constants :math:`L = \lambda_1`, :math:`\mu = \lambda_d`, :math:`\kappa = L/\mu` hold
to machine precision (they are never estimated).
"""

from __future__ import annotations

import numpy as np

from theory_lab.validation import check_int, check_kappa, check_positive

from .device_build import array_module


def _check(d, kappa, L):
    d = check_int("d", d)
    kappa = check_kappa(kappa)
    L = check_positive("L", L)
    if d == 1 and kappa != 1.0:
        raise ValueError(f"a 1-dimensional spectrum has kappa = 1, got kappa={kappa!r}")
    return d, kappa, L


def power_law(d: int, kappa: float, L: float = 1.0, device=None):
    r"""Power-law decay :math:`\lambda_i = L\, i^{-p}` with :math:`p = \log\kappa / \log d`."""
    d, kappa, L = _check(d, kappa, L)
    xp, kw = array_module(device)
    if d == 1:
        return xp.full((1,), L, **kw)
    p = np.log(kappa) / np.log(d)
    ev = L * xp.arange(1, d + 1, **kw) ** (-p)
    ev[-1] = L / kappa
    return ev


def log_uniform(d: int, kappa: float, L: float = 1.0, device=None):
    r"""Geometric (log-uniformly spaced) :math:`\lambda_i = L \kappa^{-(i-1)/(d-1)}`."""
    d, kappa, L = _check(d, kappa, L)
    xp, kw = array_module(device)
    if d == 1:
        return xp.full((1,), L, **kw)
    ev = L * kappa ** (-xp.arange(d, **kw) / (d - 1))
    ev[-1] = L / kappa
    return ev


def two_clusters(d: int, kappa: float, L: float = 1.0, frac_large: float = 0.5, device=None):
    r"""``ceil(frac_large * d)`` eigenvalues at :math:`L`, the rest at :math:`L/\kappa`."""
    d, kappa, L = _check(d, kappa, L)
    if not (0.0 < frac_large < 1.0) and d > 1:
        raise ValueError(f"frac_large must lie in (0, 1), got {frac_large!r}")
    n_large = min(d - 1, max(1, int(np.ceil(frac_large * d)))) if d > 1 else 1
    xp, kw = array_module(device)
    ev = xp.full((d,), L / kappa, **kw)
    ev[:n_large] = L
    return ev


SPECTRA = {"power_law": power_law, "log_uniform": log_uniform, "two_clusters": two_clusters}


def make_spectrum(kind: str, d: int, kappa: float, L: float = 1.0, device=None):
    """Eigenvalues of spectrum ``kind``: float64 numpy, or a float64 torch tensor built on
    ``device`` when one is given (the same formulas; used above
    :data:`problems.device_build.DIAGONAL_DEVICE_SETUP_MIN_D`)."""
    if kind not in SPECTRA:
        raise ValueError(f"unknown spectrum {kind!r}; available: {', '.join(SPECTRA)}")
    return SPECTRA[kind](d, kappa, L, device=device)
