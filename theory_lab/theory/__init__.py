"""Theory side of the lab: closed forms, exact expected risks and bounds to check measurements against.

* :mod:`.heavy_ball` -- heavy ball on a quadratic with sympy: iteration matrix, spectral
  radius, optimal parameters, iteration counts, closed forms of :math:`A^n` and of the
  stationary covariance.
* :mod:`.quadratic_risk` -- exact :math:`\\mathbb E f(w_t) - f^\\star` of SGD / SHB under
  additive (or Gaussian least-squares) gradient noise.
* :mod:`.shb_bounds` -- bounds of Pan et al. (ICLR 2024) on SGD and multistage SHB.
"""

from .heavy_ball import (
    characteristic_polynomial,
    gd_rate,
    hb_rate,
    iteration_matrix,
    iterations_to_epsilon,
    matrix_power,
    optimal_gd_params,
    optimal_hb_derivation,
    optimal_hb_params,
    shb_theory_derivation,
    shb_theory_params,
    spectral_radius,
    spectral_radius_expr,
    stationary_covariance,
    stationary_covariance_expr,
)
from .quadratic_risk import (
    expected_risk,
    expected_risk_for,
    expected_risk_stagewise,
    first_step_below,
    noiseless_risk,
    stationary_risk_hb,
    stationary_risk_sgd,
)
from .shb_bounds import (
    first_stage_bias_factor,
    multistage_shb_bound,
    sgd_bias_iterations,
    shb_bias_iterations,
    stagewise_bound,
    step_decay_sgd_bound,
    variance_floor,
    variance_lower_bound,
)

__all__ = [
    "characteristic_polynomial",
    "expected_risk",
    "expected_risk_for",
    "expected_risk_stagewise",
    "first_stage_bias_factor",
    "first_step_below",
    "gd_rate",
    "hb_rate",
    "iteration_matrix",
    "iterations_to_epsilon",
    "matrix_power",
    "multistage_shb_bound",
    "noiseless_risk",
    "optimal_gd_params",
    "optimal_hb_derivation",
    "optimal_hb_params",
    "sgd_bias_iterations",
    "shb_bias_iterations",
    "shb_theory_derivation",
    "shb_theory_params",
    "spectral_radius",
    "spectral_radius_expr",
    "stagewise_bound",
    "stationary_covariance",
    "stationary_covariance_expr",
    "stationary_risk_hb",
    "stationary_risk_sgd",
    "step_decay_sgd_bound",
    "variance_floor",
    "variance_lower_bound",
]
