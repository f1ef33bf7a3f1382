r"""Gradient-noise models for quadratic problems.

Anisotropic noise is the condition of Pan et al. (ICLR 2024): the oracle returns
:math:`g = \nabla f(w) + n` with :math:`\mathbb{E}[n n^\top] \preceq \sigma^2 H / M`.
The models below meet it with equality (``anisotropic``), violate it on purpose
(``isotropic``, :math:`\sigma^2 I / M`) or meet it approximately through real
sampling (``least_squares``).

Every model exposes ``eigen_variances(eigenvalues, batch_size)``: the noise variance
along each eigenvector of :math:`H` (exact for the additive models; the value at
:math:`w^\star` for the least-squares oracle), which the exact risk recursion in
:mod:`theory_lab.theory.quadratic_risk` uses.

References
----------
.. [1] R. Pan, Y. Liu, X. Wang, T. Zhang. "Accelerated Convergence of Stochastic Heavy
   Ball Method under Anisotropic Gradient Noise." ICLR 2024. arXiv:2312.14567.
"""

from __future__ import annotations

import math

import numpy as np

from theory_lab.backends import namespace
from theory_lab.validation import check_int, check_positive


class NoNoise:
    """Exact gradients (deterministic oracle)."""

    kind = "none"
    sigma = 0.0

    def stochastic_gradient(self, problem, w, batch_size, streams):
        return problem.gradient(w)

    def eigen_variances(self, eigenvalues, batch_size):
        return np.zeros_like(np.asarray(eigenvalues, dtype=float))

    def describe(self) -> dict:
        return {"noise": self.kind, "sigma": 0.0}


class AnisotropicNoise:
    r"""Additive Gaussian noise :math:`n = \tfrac{\sigma}{\sqrt M} H^{1/2} z`, :math:`z\sim N(0, I)`.

    Covariance exactly :math:`\sigma^2 H / M` -- the anisotropic condition with equality.
    """

    kind = "anisotropic"

    def __init__(self, sigma: float = 1.0):
        self.sigma = check_positive("sigma", sigma, allow_zero=True)

    def stochastic_gradient(self, problem, w, batch_size, streams):
        check_int("batch_size", batch_size)
        z = streams.normal(problem.dim)
        return problem.gradient(w) + (self.sigma / math.sqrt(batch_size)) * problem.hessian_sqrt_apply(z)

    def eigen_variances(self, eigenvalues, batch_size):
        return self.sigma**2 * np.asarray(eigenvalues, dtype=float) / batch_size

    def describe(self) -> dict:
        return {"noise": self.kind, "sigma": self.sigma}


class IsotropicNoise:
    r"""Additive Gaussian noise with covariance :math:`\sigma^2 I / M` (violates the condition)."""

    kind = "isotropic"

    def __init__(self, sigma: float = 1.0):
        self.sigma = check_positive("sigma", sigma, allow_zero=True)

    def stochastic_gradient(self, problem, w, batch_size, streams):
        check_int("batch_size", batch_size)
        z = streams.normal(problem.dim)
        return problem.gradient(w) + (self.sigma / math.sqrt(batch_size)) * z

    def eigen_variances(self, eigenvalues, batch_size):
        return np.full(np.shape(eigenvalues), self.sigma**2 / batch_size)

    def describe(self) -> dict:
        return {"noise": self.kind, "sigma": self.sigma}


class LeastSquaresOracle:
    r"""Mini-batch least-squares gradients from fresh samples.

    :math:`x_j \sim N(0, H)`, :math:`y_j = x_j^\top w^\star + \epsilon_j`,
    :math:`\epsilon_j \sim N(0, \sigma^2)`, and
    :math:`g = \tfrac1M \sum_j x_j (x_j^\top w - y_j)`.  The population objective is
    :math:`\tfrac12 (w-w^\star)^\top H (w-w^\star)` plus the constant :math:`\sigma^2/2`,
    which the problem leaves out of ``value`` (suboptimality is unaffected).

    With :math:`\Delta = w - w^\star`, Gaussian fourth moments give the exact covariance
    :math:`\big[(\sigma^2 + \Delta^\top H\Delta) H + H\Delta\Delta^\top H\big]/M`, and
    :math:`H\Delta\Delta^\top H \preceq (\Delta^\top H \Delta) H` (Cauchy-Schwarz), so the
    anisotropic condition holds with :math:`\sigma^2` replaced by
    :math:`\sigma^2 + 4 (f(w) - f^\star)`: exactly at :math:`w^\star`, approximately near it,
    as in the paper's regression experiments.
    """

    kind = "least_squares"

    def __init__(self, sigma: float = 1.0):
        self.sigma = check_positive("sigma", sigma, allow_zero=True)

    def stochastic_gradient(self, problem, w, batch_size, streams):
        batch_size = check_int("batch_size", batch_size)
        xp = namespace(w)
        z = streams.normal((batch_size, problem.dim))  # (S, M, d)
        x = problem.hessian_sqrt_apply(z)
        eps = self.sigma * streams.normal(batch_size)  # (S, M)
        diff = w - problem.w_star
        resid = xp.sum(x * diff[:, None, :], axis=-1) - eps  # (S, M)
        return xp.sum(x * resid[:, :, None], axis=1) / batch_size

    def eigen_variances(self, eigenvalues, batch_size):
        return self.sigma**2 * np.asarray(eigenvalues, dtype=float) / batch_size

    def describe(self) -> dict:
        return {"noise": self.kind, "sigma": self.sigma}


NOISE_MODELS = {
    "none": NoNoise,
    "anisotropic": AnisotropicNoise,
    "isotropic": IsotropicNoise,
    "least_squares": LeastSquaresOracle,
}


def make_noise(kind: str, sigma: float = 1.0):
    if kind not in NOISE_MODELS:
        raise ValueError(f"unknown noise model {kind!r}; available: {', '.join(NOISE_MODELS)}")
    return NoNoise() if kind == "none" else NOISE_MODELS[kind](sigma)
