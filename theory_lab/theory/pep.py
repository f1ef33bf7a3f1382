r"""Tight finite-:math:`n` worst cases with PEPit (performance estimation), cached like runs.

A rate such as heavy ball's :math:`\rho^{2n}` is *asymptotic*: it says nothing about the
constant in front, which can be large.  A performance estimation problem (PEP, Drori &
Teboulle 2014; Taylor, Hendrickx, Glineur 2017) computes the exact worst case over a
function class at a given :math:`n` as a small SDP.  This module computes

.. math::
    \tau(n) = \sup_{f\in\mathcal F_{\mu,L},\,x_0}\;
    \frac{f(x_n) - f^\star}{f(x_0) - f^\star}
    \qquad (\texttt{initial="f"},\ \texttt{metric="f"}, \text{the default}),

or with :math:`\|x_0 - x^\star\|^2` in the denominator (``initial="distance"``) and/or
:math:`\|x_n - x^\star\|^2` in the numerator (``metric="distance"``), over

* ``function_class="quadratic"``: :math:`f(x) = \tfrac12 (x-x^\star)^\top H (x-x^\star)`,
  :math:`\mu I \preceq H \preceq L I` (PEPit's ``SmoothStronglyConvexQuadraticFunction``,
  interpolation conditions of Bousselmi, Hendrickx, Glineur 2023), or
* ``function_class="smooth_strongly_convex"``: :math:`L`-smooth :math:`\mu`-strongly
  convex functions (``SmoothStronglyConvexFunction``, Taylor et al. 2017).

Methods (a *PEPit algorithm*: a function ``algorithm(func, x0, n) -> x_n`` that performs
the steps on PEPit objects, i.e. ``func.gradient(x)`` and linear combinations of points):

* :func:`gd_algorithm`: :math:`x_{t+1} = x_t - \eta\nabla f(x_t)`;
* :func:`hb_algorithm`: :math:`x_{t+1} = x_t - \eta\nabla f(x_t) + \beta(x_t - x_{t-1})`,
  :math:`x_{-1} = x_0` (as the lab's ``hb`` optimizer, which starts with zero velocity);
* :func:`nesterov_algorithm`: :math:`y_t = x_t + \beta(x_t - x_{t-1})`,
  :math:`x_{t+1} = y_t - \eta\nabla f(y_t)`, :math:`x_{-1} = x_0`.

A user's method is any such function (the *hook*)::

    def my_method(func, x0, n, eta=0.01):
        x = x0
        for _ in range(n):
            x = x - eta * func.gradient(x)
        return x

    worst_case(my_method, n=5, mu=1, L=100, params={"eta": 0.01})

Tight values that check the machinery (tests):

* Heavy ball with Polyak's parameters :math:`\eta = 4/(\sqrt L+\sqrt\mu)^2`,
  :math:`\beta = ((\sqrt\kappa-1)/(\sqrt\kappa+1))^2` on :math:`\kappa = 100` quadratics,
  ``initial="f"`` (the initial condition of PEPit's ``heavy_ball_momentum`` example):
  :math:`\tau = 5.32, 9.63, 12.50, 13.74, 13.69` for :math:`n = 1..5`, while
  :math:`\rho^{2n} = 0.67, 0.45, 0.30, 0.20, 0.13`.  On quadratics the iterates are
  :math:`x_n - x^\star = p_n(H)(x_0 - x^\star)` with a polynomial :math:`p_n`, and the ratio
  is a :math:`\lambda f_0`-weighted mean of :math:`p_n(\lambda)^2`, so
  :math:`\tau(n) = \max_{\lambda\in[\mu, L]} p_n(\lambda)^2` (:func:`quadratic_worst_case`);
  the SDP must agree.  With ``initial="distance"`` the worst case is
  :math:`\max_\lambda \tfrac\lambda2 p_n(\lambda)^2` instead (265.8 at :math:`n=1`).
* Gradient descent, :math:`\eta \in (0, 2/L)`, :math:`\rho = \max(|1-\eta\mu|, |1-\eta L|)`:
  :math:`\|x_n - x^\star\|^2 \le \rho^{2n}\|x_0-x^\star\|^2` and
  :math:`f(x_n)-f^\star \le \rho^{2n}(f(x_0)-f^\star)`, both tight on
  :math:`\mathcal F_{\mu,L}` (the quadratic :math:`\lambda x^2/2` at the extreme eigenvalue
  attains them; de Klerk, Glineur, Taylor 2017, Thm. 1.2 for the function values).

Caching: each :math:`\tau(n)` is stored in a small JSON file under
``results/cache/pep/`` keyed by method name, parameters, class, :math:`\mu, L`, ``n``,
initial condition, metric, solver and PEPit's version.  A user method is cached under its
``__qualname__`` and a hash of its code (:func:`method_code_hash`: its source and
bytecode), so editing it solves again; values it reads from globals (or a callable object's
attributes) are not part of the key (pass ``cache=None`` while changing those).

References
----------
.. [1] Y. Drori, M. Teboulle. "Performance of first-order methods for smooth convex
   minimization: a novel approach." Math. Program. 145, 2014.
.. [2] A. Taylor, J. Hendrickx, F. Glineur. "Smooth strongly convex interpolation and exact
   worst-case performance of first-order methods." Math. Program. 161, 2017.
.. [3] B. Goujaud, C. Moucer, F. Glineur, J. Hendrickx, A. Taylor, A. Dieuleveut. "PEPit:
   computer-assisted worst-case analyses of first-order optimization methods in Python."
   Math. Program. Comput. 2024 (package ``pepit``; example ``heavy_ball_momentum``).
.. [4] N. Bousselmi, J. Hendrickx, F. Glineur. "Interpolation conditions for linear
   operators and applications to performance estimation problems." arXiv:2302.08781, 2023.
.. [5] E. de Klerk, F. Glineur, A. Taylor. "On the worst-case complexity of the gradient
   method with exact line search for smooth strongly convex functions." Optim. Lett. 11, 2017.
.. [6] B. T. Polyak, 1964 (heavy ball).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..validation import check_int, check_positive

#: Default cache folder of the SDP results (next to the runs' cache).
DEFAULT_CACHE = Path("results/cache/pep")

FUNCTION_CLASSES = ("quadratic", "smooth_strongly_convex")


def pepit_available() -> bool:
    """Whether the optional dependency ``pepit`` (``pip install theory-lab[pep]``) imports."""
    try:
        import PEPit  # noqa: F401
    except ImportError:
        return False
    return True


def pepit_version() -> str:
    from importlib.metadata import version

    return version("pepit")


def _require_pepit():
    if not pepit_available():
        raise ImportError(
            "worst-case certificates need the optional dependency PEPit: "
            "pip install 'theory-lab[pep]' (or pip install pepit)"
        )


# --------------------------------------------------------------------------------------
# methods as PEPit algorithms
# --------------------------------------------------------------------------------------
def gd_algorithm(func, x0, n, eta):
    r"""Gradient descent :math:`x_{t+1} = x_t - \eta\nabla f(x_t)`, :math:`n` steps (PEPit objects)."""
    x = x0
    for _ in range(n):
        x = x - eta * func.gradient(x)
    return x


def hb_algorithm(func, x0, n, eta, beta):
    r"""Heavy ball :math:`x_{t+1} = x_t - \eta\nabla f(x_t) + \beta(x_t - x_{t-1})`, :math:`x_{-1}=x_0`."""
    x, x_prev = x0, x0
    for _ in range(n):
        x, x_prev = x - eta * func.gradient(x) + beta * (x - x_prev), x
    return x


def nesterov_algorithm(func, x0, n, eta, beta):
    r"""Nesterov :math:`y_t = x_t + \beta(x_t - x_{t-1})`, :math:`x_{t+1} = y_t - \eta\nabla f(y_t)`, :math:`x_{-1}=x_0`."""
    x, x_prev = x0, x0
    for _ in range(n):
        y = x + beta * (x - x_prev)
        x, x_prev = y - eta * func.gradient(y), x
    return x


#: Built-in methods by the lab's optimizer names; their parameters are ``eta`` (the lab's
#: ``lr``) and ``beta``.
ALGORITHMS: dict[str, Callable] = {
    "gd": gd_algorithm,
    "hb": hb_algorithm,
    "shb": hb_algorithm,
    "nesterov": nesterov_algorithm,
}

#: Parameters of the built-in methods that multiply a gradient (rescaled by :math:`L`
#: when the SDP is normalized to :math:`L = 1`).
STEP_PARAMS: dict[str, tuple[str, ...]] = {k: ("eta",) for k in ALGORITHMS}


def _scalar_polynomial(method: str, params: dict, lam, n: int) -> np.ndarray:
    """:math:`p_n(\\lambda)` of a built-in method on :math:`f = \\lambda x^2/2` from :math:`x_0 = 1`."""
    lam = np.asarray(lam, dtype=float)
    eta, beta = float(params["eta"]), float(params.get("beta", 0.0))
    x, x_prev = np.ones_like(lam), np.ones_like(lam)
    for _ in range(n):
        if method == "nesterov":
            y = x + beta * (x - x_prev)
            x, x_prev = y - eta * lam * y, x
        else:
            x, x_prev = x - eta * lam * x + (beta if method != "gd" else 0.0) * (x - x_prev), x
    return x


def quadratic_worst_case(method: str, n: int, *, mu: float, L: float, params: dict,
                         initial: str = "f", metric: str = "f", n_grid: int = 20001):
    r"""Exact worst case over quadratics by a 1-D search (no SDP), for the built-in methods.

    On :math:`\mu I \preceq H \preceq LI` the error is :math:`p_n(H)(x_0-x^\star)` and the
    ratio is a weighted mean over eigenvalues, so the supremum is attained by one eigenvalue:

    .. math::
        \tau(n) = \max_{\lambda\in[\mu, L]} w(\lambda)\, p_n(\lambda)^2,\qquad
        w = 1\ (\text{f/f or dist/dist}),\ \tfrac\lambda2\ (\text{f/dist}),\ \tfrac2\lambda\ (\text{dist/f}).

    Returns
    -------
    (tau, lam_star) : (float, float)
        The maximum over a grid of ``n_grid`` points refined by a golden-section step, and
        the maximizing eigenvalue.
    """
    if method not in ALGORITHMS:
        raise ValueError(f"quadratic_worst_case knows {sorted(ALGORITHMS)}, got {method!r}")

    def ratio(lam):
        p2 = _scalar_polynomial(method, params, lam, n) ** 2
        w = {("f", "f"): 1.0, ("distance", "distance"): 1.0,
             ("distance", "f"): lam / 2.0, ("f", "distance"): 2.0 / lam}[(initial, metric)]
        return w * p2

    grid = np.linspace(mu, L, n_grid)
    vals = ratio(grid)
    k = int(np.argmax(vals))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, n_grid - 1)]
    g = (math.sqrt(5) - 1) / 2
    for _ in range(60):  # golden section on the bracketing cell
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if ratio(np.array([a]))[0] >= ratio(np.array([b]))[0]:
            hi = b
        else:
            lo = a
    lam = 0.5 * (lo + hi)
    best = float(ratio(np.array([lam]))[0])
    if best < vals[k]:
        best, lam = float(vals[k]), float(grid[k])
    return best, float(lam)


# --------------------------------------------------------------------------------------
# the PEP
# --------------------------------------------------------------------------------------
@dataclass
class WorstCase:
    r"""One certified worst case :math:`\tau(n)` and, when asked, the worst-case instance.

    Attributes
    ----------
    tau : float
        Worst-case ratio (the SDP's dual value: a certified upper bound, tight up to the
        solver's accuracy).
    n, method, function_class, initial, metric, mu, L, params
        What was certified.
    points : dict or None
        Primal worst case (when ``return_instance=True``): ``"x"`` (n_pts, r) iterates
        minus :math:`x^\star`, ``"g"`` (n_pts, r) gradients, ``"f"`` (n_pts,) values minus
        :math:`f^\star`, in the coordinates of a factorization of PEPit's Gram matrix.
    """

    tau: float
    n: int
    method: str
    function_class: str
    initial: str
    metric: str
    mu: float
    L: float
    params: dict
    points: dict | None = field(default=None, repr=False)


def _method_name(method) -> str:
    if isinstance(method, str):
        return method
    return f"{getattr(method, '__module__', '')}.{getattr(method, '__qualname__', repr(method))}"


def _code_bytes(code) -> bytes:
    """Bytecode, names and constants of a code object, nested code objects included
    (their ``repr`` holds a memory address, so it would differ between processes)."""
    parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for c in code.co_consts:
        parts.append(_code_bytes(c) if inspect.iscode(c) else repr(c).encode())
    return b"\0".join(parts)


def _simple(value) -> str:
    """``repr`` of numbers, strings and tuples of them; the type name of anything else
    (whose ``repr`` may hold a memory address)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_simple(v) for v in value) + ")"
    return f"<{type(value).__qualname__}>"


def method_code_hash(method) -> str:
    """Hash of a user method's code, part of its cache key.

    Parameters
    ----------
    method : callable
        A PEPit algorithm function (or a ``functools.partial`` of one, or an object with
        ``__call__``).

    Returns
    -------
    str
        SHA-256 (16 hex digits) of the source (:func:`inspect.getsource`; empty where it is
        unavailable, e.g. a function defined with ``exec``) and of the code object's
        bytecode, names and constants (so the key follows the code that runs even when the
        file changed after the import; a new Python version re-solves once), plus the
        defaults and the closure's values (numbers and strings by value, other objects by
        type).  Two functions with the same name and different bodies get different hashes.
    """
    import functools

    parts = []
    if isinstance(method, functools.partial):
        parts.append(f"partial{_simple(method.args)}{_simple(sorted(method.keywords.items()))}")
        method = method.func
    func = inspect.unwrap(method)
    if not (inspect.isfunction(func) or inspect.ismethod(func)) and callable(func):
        func = type(func).__call__  # a callable object: its class's __call__
    func = getattr(func, "__func__", func)  # bound method -> function
    try:
        parts.append(inspect.getsource(func))
    except (OSError, TypeError):
        parts.append("")
    # the bytecode too: the source is read from the file now, which may have been edited
    # since the function was defined (the key must follow the code that runs)
    code = getattr(func, "__code__", None)
    parts.append(_code_bytes(code).hex() if code is not None else repr(type(func)))
    parts.append(_simple(getattr(func, "__defaults__", None)))
    parts.append(_simple(sorted((getattr(func, "__kwdefaults__", None) or {}).items())))
    closure = getattr(func, "__closure__", None) or ()
    parts.append(_simple(tuple(_cell(c) for c in closure)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:  # empty cell
        return None


def _cache_key(name, params, function_class, mu, L, n, initial, metric, solver,
               code: str | None = None) -> tuple[str, dict]:
    record = {
        "method": name, "params": {k: float(v) for k, v in sorted(params.items())},
        "class": function_class, "mu": float(mu), "L": float(L), "n": int(n),
        "initial": initial, "metric": metric, "solver": solver or "default",
        "pepit": pepit_version(),
    }
    if code is not None:  # user methods only: the built-ins' keys (and caches) are unchanged
        record["code"] = code
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:20]
    return digest, record


def worst_case(method, n: int, *, mu: float, L: float, params: dict | None = None,
               function_class: str = "quadratic", initial: str = "f", metric: str = "f",
               solver: str | None = None, cache: str | os.PathLike | None = DEFAULT_CACHE,
               return_instance: bool = False, step_params=(), verbose: int = 0) -> WorstCase:
    r"""Tight worst case :math:`\tau(n)` of a method over a function class (one SDP).

    Parameters
    ----------
    method : str or callable
        A name of :data:`ALGORITHMS` (``"gd"``, ``"hb"``, ``"nesterov"``) or a PEPit
        algorithm ``method(func, x0, n, **params) -> x_n`` (see the module docstring).
    n : int
        Number of steps, >= 1.
    mu, L : float
        Class constants, :math:`0 \le \mu < L` (``mu > 0`` for quadratics here).
    params : dict
        The method's parameters, e.g. ``{"eta": 0.04, "beta": 0.67}``.
    function_class : {"quadratic", "smooth_strongly_convex"}
    initial : {"f", "distance"}
        Normalization :math:`f(x_0) - f^\star \le 1` or :math:`\|x_0 - x^\star\|^2 \le 1`.
    metric : {"f", "distance"}
        :math:`f(x_n) - f^\star` or :math:`\|x_n - x^\star\|^2`.
    solver : str, optional
        cvxpy solver name (default: cvxpy's choice, SCS or Clarabel; PEPit's default).
    cache : path or None
        Folder of the JSON cache (``None``: no cache).  An instance request always solves.
    return_instance : bool
        Also return the primal worst case (:attr:`WorstCase.points`).
    step_params : tuple of str
        For a user method: names of its parameters that multiply a gradient.  When given,
        the SDP is solved for :math:`f/L` (constants :math:`\mu/L, 1`) with those
        parameters times :math:`L` -- the same iterates, a better-conditioned SDP (the
        built-in methods always are).  Without them the SDP is posed as given; keep
        :math:`L` near 1 then (at :math:`L = 100` SCS loses heavy ball's :math:`\tau(20)`).

    Returns
    -------
    WorstCase
    """
    n = check_int("n", n, minimum=1)
    L = check_positive("L", L)
    mu = check_positive("mu", mu, allow_zero=True)
    if mu >= L:
        raise ValueError(f"need mu < L, got mu={mu}, L={L}")
    if function_class not in FUNCTION_CLASSES:
        raise ValueError(f"unknown function_class {function_class!r}; available: {FUNCTION_CLASSES}")
    if initial not in ("f", "distance") or metric not in ("f", "distance"):
        raise ValueError(f"initial and metric must be 'f' or 'distance', got {initial!r}, {metric!r}")
    params = dict(params or {})
    if isinstance(method, str):
        if method not in ALGORITHMS:
            raise ValueError(f"unknown method {method!r}; built in: {sorted(ALGORITHMS)} "
                             "(or pass a PEPit algorithm function)")
        algorithm = ALGORITHMS[method]
    elif callable(method):
        algorithm = method
    else:
        raise ValueError(f"method must be a name or a callable, got {method!r}")
    _require_pepit()
    name = _method_name(method)
    code = None if isinstance(method, str) else method_code_hash(method)
    key, record = _cache_key(name, params, function_class, mu, L, n, initial, metric, solver, code)
    record["step_params"] = sorted(step_params)
    path = None if cache is None else Path(cache) / f"{key}.json"
    base = dict(n=n, method=name, function_class=function_class, initial=initial,
                metric=metric, mu=mu, L=L, params=params)
    if path is not None and path.is_file() and not return_instance:
        stored = json.loads(path.read_text())
        if stored.get("record") == record:
            return WorstCase(tau=float(stored["tau"]), **base)

    from PEPit import PEP
    from PEPit.functions import SmoothStronglyConvexFunction, SmoothStronglyConvexQuadraticFunction

    cls = (SmoothStronglyConvexQuadraticFunction if function_class == "quadratic"
           else SmoothStronglyConvexFunction)
    # Conditioning: the SDP is posed for g = f/L (constants mu/L and 1) with the step
    # parameters multiplied by L -- the same iterates.  Posed directly with L = 100, SCS
    # returned 0.007 for heavy ball at n = 20 (true 0.456).  A user method is normalized
    # only when it names its step parameters (``step_params``).
    steps_named = STEP_PARAMS.get(method, ()) if isinstance(method, str) else tuple(step_params)
    scale = L if steps_named else 1.0
    run_params = {k: (v * scale if k in steps_named else v) for k, v in params.items()}
    pb = PEP()
    func = pb.declare_function(cls, mu=mu / scale, L=L / scale)
    xs = func.stationary_point()
    fs = func(xs)
    x0 = pb.set_initial_point()
    pb.set_initial_condition((func(x0) - fs) <= 1 if initial == "f" else (x0 - xs) ** 2 <= 1)
    xn = algorithm(func, x0, n, **run_params)
    pb.set_performance_metric(func(xn) - fs if metric == "f" else (xn - xs) ** 2)
    kwargs = {} if solver is None else {"solver": solver}
    # f = scale * g: the ratio picks up scale^([metric is f] - [initial is f])
    unit = scale ** ((metric == "f") - (initial == "f"))
    tau = unit * float(pb.solve(wrapper="cvxpy", verbose=verbose, **kwargs))
    points = None
    if return_instance:
        xs_v = np.asarray(xs.eval(), dtype=float)
        fs_v = float(fs.eval())
        pts = func.list_of_points
        points = {  # of f = scale * g (the instance of the class asked for)
            "x": np.array([np.asarray(p[0].eval(), float) - xs_v for p in pts]),
            "g": np.array([scale * np.asarray(p[1].eval(), float) for p in pts]),
            "f": np.array([scale * (float(p[2].eval()) - fs_v) for p in pts]),
            "x0": np.asarray(x0.eval(), float) - xs_v,
        }
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"record": record, "tau": tau}))
        os.replace(tmp, path)
    return WorstCase(tau=tau, points=points, **base)


def worst_case_curve(method, N: int, **kwargs) -> np.ndarray:
    r""":math:`\tau(n)` for :math:`n = 1, \dots, N` (array of length ``N``), each SDP cached.

    Keyword arguments are those of :func:`worst_case`.  SDP sizes grow with :math:`n`
    (Gram matrix :math:`(n+2)\times(n+2)` for one gradient per step): :math:`N \le 30` takes
    seconds to a minute on one core; later calls read the cache.
    """
    N = check_int("N", N, minimum=1)
    return np.array([worst_case(method, n, **kwargs).tau for n in range(1, N + 1)])


# --------------------------------------------------------------------------------------
# the worst-case quadratic
# --------------------------------------------------------------------------------------
def extract_quadratic(wc: WorstCase, rtol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    r"""Eigenvalues and initial error of a quadratic attaining a PEP worst case.

    The primal solution gives vectors :math:`x_i - x^\star` and :math:`g_i = H(x_i - x^\star)`.
    On :math:`U`, an orthonormal basis of :math:`\mathrm{span}\{x_i - x^\star\}`, the
    Rayleigh-Ritz matrix :math:`A = U^\top H U = U^\top G C` (with :math:`XC = U`) is
    symmetrized and diagonalized, :math:`A = V\Lambda V^\top`; the diagonal quadratic
    :math:`\tfrac12\sum_i\lambda_i z_i^2` with :math:`z_0 = V^\top U^\top (x_0 - x^\star)`
    reproduces the worst case when the span is :math:`H`-invariant, which holds for the
    low-rank solutions of these PEPs (the worst case over quadratics is one eigenvalue,
    see :func:`quadratic_worst_case`; a test runs the method on the extracted problem).

    Parameters
    ----------
    wc : WorstCase
        From :func:`worst_case` with ``function_class="quadratic"`` and ``return_instance=True``.
    rtol : float
        Relative singular-value cutoff for the span, and relative weight below which an
        eigen-direction is dropped.

    Returns
    -------
    (eigenvalues, z0) : arrays (k,), (k,)
        Eigenvalues clipped to :math:`[\mu, L]`; ``z0`` the initial error in the eigenbasis.
    """
    if wc.points is None or wc.function_class != "quadratic":
        raise ValueError("extract_quadratic needs worst_case(..., function_class='quadratic', "
                         "return_instance=True)")
    X, G = wc.points["x"].T, wc.points["g"].T  # (r, m)
    Uf, s, _ = np.linalg.svd(X, full_matrices=False)
    keep = s > rtol * s.max()
    U = Uf[:, keep]
    C = np.linalg.lstsq(X, U, rcond=None)[0]
    A = U.T @ G @ C
    A = 0.5 * (A + A.T)
    lam, V = np.linalg.eigh(A)
    z0 = V.T @ (U.T @ wc.points["x0"])
    w = lam * z0**2
    sel = w > rtol * w.max()
    return np.clip(lam[sel], wc.mu, wc.L), z0[sel]


__all__ = [
    "ALGORITHMS",
    "DEFAULT_CACHE",
    "FUNCTION_CLASSES",
    "STEP_PARAMS",
    "WorstCase",
    "extract_quadratic",
    "gd_algorithm",
    "hb_algorithm",
    "method_code_hash",
    "nesterov_algorithm",
    "pepit_available",
    "pepit_version",
    "quadratic_worst_case",
    "worst_case",
    "worst_case_curve",
]
