r"""A method's own worst case, certified by PEPit, as a problem of the lab.

:func:`theory_lab.theory.pep.worst_case` solves the performance estimation problem of a
method at a fixed :math:`n`; over quadratics :math:`\mu I \preceq H \preceq LI` the primal
solution is a quadratic, which :func:`theory_lab.theory.pep.extract_quadratic` recovers
(eigenvalues and initial error in the eigenbasis).  This module turns it into a
:class:`problems.quadratic.Quadratic` (diagonal :math:`H`, :math:`w^\star = 0`,
:math:`f^\star = 0`, exact gradients unless a noise model is given), so that the lab's
runner can run the method on its own worst case: after :math:`n` steps,
:math:`f(w_n) - f^\star = \tau(n)\,(f(w_0) - f^\star)` (``initial="f"``).

The problem exposes what the exact risk recursions read (:mod:`problems.quadratic`):
``spectrum``, ``initial_error_coordinates()`` and ``noise``; and the certificate:
``certificate`` (a dict with ``tau``, ``n``, ``method``, ``params``, ``initial``).

Needs the optional dependency ``pepit`` (``pip install 'theory-lab[pep]'``).

References
----------
.. [1] A. Taylor, J. Hendrickx, F. Glineur. Math. Program. 161, 2017.
.. [2] N. Bousselmi, J. Hendrickx, F. Glineur. arXiv:2302.08781, 2023 (quadratic class).
.. [3] B. Goujaud et al. PEPit. Math. Program. Comput. 2024.
"""

from __future__ import annotations

import numpy as np

from theory_lab.validation import check_int, check_positive

from . import register
from .noise import make_noise
from .quadratic import Quadratic


class PepWorstCase(Quadratic):
    """:class:`Quadratic` built from a PEP worst case; ``certificate`` records what it attains."""

    name = "pep_worst_case"

    def __init__(self, eigenvalues, w0, certificate: dict, noise=None, backend=None):
        d = len(eigenvalues)
        super().__init__(eigenvalues, w_star=np.zeros(d), w0=w0, noise=noise, backend=backend)
        self.certificate = dict(certificate)
        self._mu_L = (certificate["mu"], certificate["L"])

    def constants(self) -> dict:
        out = super().constants()
        # the class constants the certificate holds for (the instance may use fewer eigenvalues)
        mu, L = self._mu_L
        out.update(mu=float(mu), L=float(L), kappa=float(L / mu), tau=float(self.certificate["tau"]),
                   n_certified=int(self.certificate["n"]))
        return out


def _default_params(method: str, mu: float, L: float) -> dict:
    from theory_lab.theory.heavy_ball import optimal_gd_params, optimal_hb_params

    if method in ("hb", "shb"):
        eta, beta, _ = optimal_hb_params(L, mu)
        return {"eta": eta, "beta": beta}
    if method == "gd":
        return {"eta": optimal_gd_params(L, mu)[0]}
    raise ValueError(f"no default parameters for method {method!r}: give lr (and beta)")


@register("pep_worst_case")
def pep_worst_case(method: str = "hb", n: int = 5, kappa: float = 100.0, L: float = 100.0,
                   lr: float | None = None, beta: float | None = None, f0: float = 1.0,
                   noise: str = "none", sigma: float = 0.0,
                   function_class: str = "quadratic") -> PepWorstCase:
    r"""Worst-case quadratic of a method at step n, certified by PEPit (needs pepit).

    Parameters
    ----------
    method : {"hb", "gd", "nesterov"}
        Built-in PEPit algorithm (:data:`theory_lab.theory.pep.ALGORITHMS`).
    n : int
        Step at which the worst case is certified.
    kappa, L : float
        Class :math:`\mu I \preceq H \preceq LI`, :math:`\mu = L/\kappa`.
    lr, beta : float, optional
        Step size and momentum; default Polyak's heavy ball (``hb``), :math:`2/(L+\mu)` (``gd``).
    f0 : float
        :math:`f(w_0) - f^\star` of the instance (the ratio :math:`\tau` is scale-free).
    noise, sigma : str, float
        Optional gradient-noise model of :mod:`problems.noise` (default: exact gradients).
    function_class : {"quadratic", "smooth_strongly_convex"}
        Class of the certificate.  For smooth strongly convex functions the problem is
        built only when the worst case over that class is attained by a quadratic (the two
        SDP values agree within ``1e-3`` relative, e.g. gradient descent); otherwise
        ``NotImplementedError`` (the non-quadratic interpolating function is not built).

    Returns
    -------
    PepWorstCase
        Diagonal quadratic (dimension = number of eigen-directions the worst case uses,
        usually 1: :math:`\lambda = L` for Polyak's heavy ball at small :math:`n`).
    """
    from theory_lab.theory.pep import extract_quadratic, worst_case

    n = check_int("n", n)
    L = check_positive("L", L)
    kappa = check_positive("kappa", kappa)
    if kappa <= 1:
        raise ValueError(f"kappa must be > 1, got {kappa}")
    f0 = check_positive("f0", f0)
    mu = L / kappa
    if lr is None:
        params = _default_params(method, mu, L)
    else:
        params = {"eta": check_positive("lr", lr)}
        if beta is not None:
            params["beta"] = float(beta)
    if function_class not in ("quadratic", "smooth_strongly_convex"):
        raise ValueError(f"unknown function_class {function_class!r}; available: quadratic, "
                         "smooth_strongly_convex")
    wc = worst_case(method, n, mu=mu, L=L, params=params, function_class="quadratic",
                    initial="f", metric="f", return_instance=True, cache=None)
    tau = wc.tau
    if function_class == "smooth_strongly_convex":
        tau = worst_case(method, n, mu=mu, L=L, params=params, function_class=function_class,
                         initial="f", metric="f").tau
        if abs(tau / wc.tau - 1) > 1e-3:
            raise NotImplementedError(
                f"the worst case of {method!r} at n={n} over smooth strongly convex functions "
                f"(tau={tau:.6g}) is not attained by a quadratic (best quadratic {wc.tau:.6g}); "
                "building the non-quadratic interpolating function is not implemented")
    lam, z0 = extract_quadratic(wc)
    z0 = z0 * np.sqrt(f0 / (0.5 * np.sum(lam * z0**2)))
    cert = {"tau": tau, "n": n, "method": method, "params": params, "initial": "f",
            "mu": mu, "L": L, "function_class": function_class}
    return PepWorstCase(lam, z0, cert, noise=make_noise(noise, sigma))
