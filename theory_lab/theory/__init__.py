"""Theory side of the lab: closed forms, exact expected risks and bounds to check measurements against.

* :mod:`.heavy_ball` -- heavy ball on a quadratic with sympy: iteration matrix, spectral
  radius, optimal parameters, iteration counts, closed forms of :math:`A^n` and of the
  stationary covariance.
* :mod:`.quadratic_risk` -- exact :math:`\\mathbb E f(w_t) - f^\\star` of SGD / SHB under
  additive (or Gaussian least-squares) gradient noise.
* :mod:`.shb_bounds` -- bounds of Pan et al. (ICLR 2024) on SGD and multistage SHB.
"""

# Lazy: each name is imported from its submodule on first use, so importing one light
# submodule (e.g. ``theory_lab.theory.decentralized_bounds``) does not pull in sympy
# through :mod:`.heavy_ball`. ``from theory_lab.theory import X`` works as before.
_ATTRS = {
    "characteristic_polynomial": "heavy_ball",
    "gd_rate": "heavy_ball",
    "hb_rate": "heavy_ball",
    "iteration_matrix": "heavy_ball",
    "iterations_to_epsilon": "heavy_ball",
    "matrix_power": "heavy_ball",
    "optimal_gd_params": "heavy_ball",
    "optimal_hb_derivation": "heavy_ball",
    "optimal_hb_params": "heavy_ball",
    "shb_theory_derivation": "heavy_ball",
    "shb_theory_params": "heavy_ball",
    "spectral_radius": "heavy_ball",
    "spectral_radius_expr": "heavy_ball",
    "stationary_covariance": "heavy_ball",
    "stationary_covariance_expr": "heavy_ball",
    "expected_risk": "quadratic_risk",
    "expected_risk_for": "quadratic_risk",
    "expected_risk_stagewise": "quadratic_risk",
    "first_step_below": "quadratic_risk",
    "noiseless_risk": "quadratic_risk",
    "stationary_risk_hb": "quadratic_risk",
    "stationary_risk_sgd": "quadratic_risk",
    "first_stage_bias_factor": "shb_bounds",
    "multistage_shb_bound": "shb_bounds",
    "sgd_bias_iterations": "shb_bounds",
    "shb_bias_iterations": "shb_bounds",
    "stagewise_bound": "shb_bounds",
    "step_decay_sgd_bound": "shb_bounds",
    "variance_floor": "shb_bounds",
    "variance_lower_bound": "shb_bounds",
}

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


def __getattr__(name: str):
    """Import a public name (or a submodule) of :mod:`theory_lab.theory` on first access.

    Parameters
    ----------
    name : str
        A name listed in ``__all__`` or a submodule such as ``"pep"``.

    Returns
    -------
    object
        The function from its submodule, or the submodule itself.

    Raises
    ------
    AttributeError
        If ``name`` is neither.
    """
    import importlib

    if name in _ATTRS:
        value = getattr(importlib.import_module(f".{_ATTRS[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this hook
        return value
    if not name.startswith("_"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
