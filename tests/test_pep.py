"""Worst-case certificates with PEPit (theory_lab.theory.pep) and the worst-case problem.

Tolerances: the SDPs are solved by cvxpy's default conic solver (SCS / Clarabel) to about
1e-5 relative on these sizes (measured deviations from the 1-D exact values <= 5e-5);
``RTOL = 1e-3`` leaves a margin for solver versions.  The 1-D search is exact to ~1e-9.
"""

import math

import numpy as np
import pytest

pytest.importorskip("PEPit", reason="optional dependency pepit not installed (pip install 'theory-lab[pep]')")

from theory_lab.theory.heavy_ball import optimal_hb_params  # noqa: E402
from theory_lab.theory.pep import (  # noqa: E402
    extract_quadratic,
    method_code_hash,
    quadratic_worst_case,
    worst_case,
    worst_case_curve,
)

RTOL = 1e-3
MU, L = 1.0, 100.0
ETA, BETA, RHO = optimal_hb_params(L, MU)
HB = {"eta": ETA, "beta": BETA}
#: issue 14: heavy ball, Polyak's parameters, kappa = 100, f(x_n) - f* over f(x_0) - f*
PUBLISHED = [5.3, 9.6, 12.5, 13.7, 13.7]


def test_hb_worst_case_on_quadratics_reproduces_issue_numbers(tmp_path):
    tau = worst_case_curve("hb", 5, mu=MU, L=L, params=HB, initial="f", cache=tmp_path)
    np.testing.assert_allclose(np.round(tau, 1), PUBLISHED, atol=1e-9)
    exact = [quadratic_worst_case("hb", n, mu=MU, L=L, params=HB)[0] for n in range(1, 6)]
    np.testing.assert_allclose(tau, exact, rtol=RTOL)
    # the asymptotic rate says 0.67 ... 0.13: far below the tight worst case
    rate = RHO ** (2 * np.arange(1, 6))
    np.testing.assert_allclose(rate[[0, -1]], [0.669, 0.134], atol=1e-3)
    assert np.all(tau > 7 * rate)


def test_hb_numbers_are_for_the_function_value_initial_condition(tmp_path):
    # ||x0 - x*||^2 <= 1 gives L/2 times more here (worst eigenvalue lambda = L)
    t_dist = worst_case("hb", 1, mu=MU, L=L, params=HB, initial="distance", cache=tmp_path).tau
    assert t_dist == pytest.approx(L / 2 * 5.31664504, rel=RTOL)
    assert t_dist == pytest.approx(
        quadratic_worst_case("hb", 1, mu=MU, L=L, params=HB, initial="distance")[0], rel=RTOL)


def test_hb_stays_above_f0_until_n_18():
    tau = [quadratic_worst_case("hb", n, mu=MU, L=L, params=HB)[0] for n in range(1, 25)]
    assert int(np.argmax(np.array(tau) < 1)) + 1 == 18


@pytest.mark.parametrize("function_class", ["quadratic", "smooth_strongly_convex"])
@pytest.mark.parametrize("eta", [1.0 / L, 1.5 / L])
def test_gd_worst_case_equals_known_tight_rate(function_class, eta, tmp_path):
    rho = max(abs(1 - eta * MU), abs(1 - eta * L))
    for n in (1, 3):
        for init_metric in ("f", "distance"):
            tau = worst_case("gd", n, mu=MU, L=L, params={"eta": eta}, function_class=function_class,
                             initial=init_metric, metric=init_metric, cache=tmp_path).tau
            assert tau == pytest.approx(rho ** (2 * n), rel=RTOL), (n, init_metric)


def test_nesterov_on_quadratics_equals_exact_1d_worst_case(tmp_path):
    p = {"eta": 1 / L, "beta": (math.sqrt(L / MU) - 1) / (math.sqrt(L / MU) + 1)}
    tau = worst_case("nesterov", 3, mu=MU, L=L, params=p, cache=tmp_path).tau
    assert tau == pytest.approx(quadratic_worst_case("nesterov", 3, mu=MU, L=L, params=p)[0], rel=RTOL)
    # smooth strongly convex functions contain the quadratics: never below
    t_ssc = worst_case("nesterov", 3, mu=MU, L=L, params=p, function_class="smooth_strongly_convex",
                       cache=tmp_path).tau
    assert t_ssc >= tau * (1 - RTOL)


def my_gd(func, x0, n, eta):
    x = x0
    for _ in range(n):
        x = x - eta * func.gradient(x)
    return x


def test_user_method_hook(tmp_path):
    ref = worst_case("gd", 2, mu=MU, L=L, params={"eta": 1.5 / L}, cache=tmp_path).tau
    for steps in ((), ("eta",)):
        tau = worst_case(my_gd, 2, mu=MU, L=L, params={"eta": 1.5 / L}, step_params=steps,
                         cache=tmp_path).tau
        assert tau == pytest.approx(ref, rel=RTOL)


def test_cache_serves_and_keys_on_parameters(tmp_path, monkeypatch):
    a = worst_case("gd", 2, mu=MU, L=L, params={"eta": 1 / L}, cache=tmp_path).tau
    assert len(list(tmp_path.glob("*.json"))) == 1
    import PEPit

    def boom(*args, **kwargs):
        raise AssertionError("solved again instead of reading the cache")

    monkeypatch.setattr(PEPit.PEP, "solve", boom)
    assert worst_case("gd", 2, mu=MU, L=L, params={"eta": 1 / L}, cache=tmp_path).tau == a
    with pytest.raises(AssertionError, match="solved again"):
        worst_case("gd", 2, mu=MU, L=L, params={"eta": 1.2 / L}, cache=tmp_path)


def _edited(scale):
    """``user_gd`` as first written (scale 1) and after an edit (scale 0.5): same name."""
    if scale == 1:
        def user_gd(func, x0, n, eta):
            x = x0
            for _ in range(n):
                x = x - eta * func.gradient(x)
            return x
    else:
        def user_gd(func, x0, n, eta):
            x = x0
            for _ in range(n):
                x = x - 0.5 * eta * func.gradient(x)
            return x
    user_gd.__qualname__ = "user_gd"
    return user_gd


def _exec_defined(body: str):
    ns = {}
    exec(compile(f"def user_gd(func, x0, n, eta):\n    return {body}\n", "<string>", "exec"), ns)
    return ns["user_gd"]


def test_user_method_code_hash_follows_the_code():
    a, b = _edited(1), _edited(0.5)
    assert (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)
    assert method_code_hash(a) != method_code_hash(b)
    assert method_code_hash(a) == method_code_hash(_edited(1))  # deterministic
    # no source (exec): the bytecode and constants decide
    e1, e2 = _exec_defined("x0 - eta * func.gradient(x0)"), _exec_defined("x0 - 2 * eta * func.gradient(x0)")
    assert method_code_hash(e1) != method_code_hash(e2)
    assert method_code_hash(e1) == method_code_hash(_exec_defined("x0 - eta * func.gradient(x0)"))
    # the same source with different closure values or defaults
    def make(c, d=1.0):
        def step(func, x0, n, eta, k=d):
            return x0 - c * k * eta * func.gradient(x0)
        return step
    assert method_code_hash(make(1.0)) != method_code_hash(make(2.0))
    assert method_code_hash(make(1.0, 1.0)) != method_code_hash(make(1.0, 3.0))
    assert method_code_hash(make(1.0)) == method_code_hash(make(1.0))


def test_user_method_code_hash_is_the_same_in_another_process():
    """Nested code objects (a lambda, a comprehension) enter by content, not by address."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("from theory_lab.theory.pep import method_code_hash\n"
            "ns = {}\n"
            "exec('def m(func, x0, n, eta):\\n    g = lambda y: func.gradient(y)\\n"
            "    return [x0 - eta * g(x0) for _ in range(n)][-1]\\n', ns)\n"
            "print(method_code_hash(ns['m']))")
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                           env=env, check=True).stdout.strip() for _ in range(2)}
    assert len(outs) == 1 and len(outs.pop()) == 16


def test_editing_a_user_method_recomputes(tmp_path, monkeypatch):
    """A user method edited under the same name is solved again, not served its old certificate."""
    first = worst_case(_edited(1), 2, mu=MU, L=L, params={"eta": 1.5 / L}, cache=tmp_path).tau
    assert first == pytest.approx(worst_case("gd", 2, mu=MU, L=L, params={"eta": 1.5 / L},
                                             cache=None).tau, rel=RTOL)
    edited = worst_case(_edited(0.5), 2, mu=MU, L=L, params={"eta": 1.5 / L}, cache=tmp_path).tau
    assert edited == pytest.approx(worst_case("gd", 2, mu=MU, L=L, params={"eta": 0.75 / L},
                                              cache=None).tau, rel=RTOL)
    assert len(list(tmp_path.glob("*.json"))) == 2
    import PEPit

    def boom(*args, **kwargs):
        raise AssertionError("solved again instead of reading the cache")

    monkeypatch.setattr(PEPit.PEP, "solve", boom)  # both versions are now served from the cache
    assert worst_case(_edited(1), 2, mu=MU, L=L, params={"eta": 1.5 / L}, cache=tmp_path).tau == first
    assert worst_case(_edited(0.5), 2, mu=MU, L=L, params={"eta": 1.5 / L}, cache=tmp_path).tau == edited


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="unknown method"):
        worst_case("adam", 2, mu=MU, L=L, params={})
    with pytest.raises(ValueError, match="mu < L"):
        worst_case("gd", 2, mu=2.0, L=1.0, params={"eta": 1.0})
    with pytest.raises(ValueError, match="function_class"):
        worst_case("gd", 2, mu=MU, L=L, params={"eta": 0.01}, function_class="convex")


def test_extracted_quadratic_attains_the_worst_case():
    wc = worst_case("hb", 4, mu=MU, L=L, params=HB, return_instance=True, cache=None)
    lam, z0 = extract_quadratic(wc)
    assert np.all((lam >= MU) & (lam <= L))
    # run the scalar recursion on the extracted quadratic
    x, xp = z0.copy(), z0.copy()
    for _ in range(4):
        x, xp = x - ETA * lam * x + BETA * (x - xp), x
    ratio = np.sum(lam * x**2) / np.sum(lam * z0**2)
    assert ratio == pytest.approx(wc.tau, rel=RTOL)


@pytest.mark.parametrize("n", [3, 5])
def test_runner_on_pep_worst_case_problem_reproduces_tau(n):
    from theory_lab import RunConfig, run_config

    cfg = RunConfig(
        problem={"name": "pep_worst_case", "method": "hb", "n": n, "kappa": 100.0, "L": 100.0, "f0": 2.0},
        optimizer={"name": "hb", "lr": "4/(sqrt(L)+sqrt(mu))**2",
                   "beta": "((sqrt(kappa)-1)/(sqrt(kappa)+1))**2"},
        T=n, seeds=range(2), spacing="linear",
    )
    res = run_config(cfg)
    tau = res.meta["constants"]["tau"]
    assert res.steps[-1] == n
    np.testing.assert_allclose(res.suboptimality[:, 0], 2.0, rtol=1e-12)
    np.testing.assert_allclose(res.suboptimality[:, -1] / 2.0, tau, rtol=RTOL)
    assert tau == pytest.approx(PUBLISHED[n - 1], abs=0.05)


def test_pep_worst_case_follows_problem_protocol():
    import problems
    from theory_lab.backends import get_backend
    from theory_lab.problem import Problem
    from theory_lab.random import SeedStreams

    p = problems.make("pep_worst_case", method="gd", n=2, kappa=10.0, L=1.0)
    assert isinstance(p, Problem)
    assert p.f_star == 0.0 and p.dim == p.w0.shape[0]
    w = np.stack([p.w0, 0 * p.w0])
    np.testing.assert_allclose(p.value(w), [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(p.gradient(w)[0], p.spectrum * p.w0)
    np.testing.assert_allclose(p.stochastic_gradient(w, 1, SeedStreams([0, 1])), p.gradient(w))
    c = p.constants()
    assert c["kappa"] == pytest.approx(10.0) and c["n_certified"] == 2
    assert c["tau"] == pytest.approx((9 / 11) ** 4, rel=RTOL)  # GD, eta = 2/(L+mu): ((k-1)/(k+1))^(2n)
    q = p.to_backend(get_backend("numpy"))
    np.testing.assert_allclose(q.value(w), p.value(w))
    with pytest.raises(ValueError, match="default parameters"):
        problems.make("pep_worst_case", method="nesterov")


def test_pep_worst_case_smooth_strongly_convex_class():
    import problems

    # GD: the worst case over smooth strongly convex functions is a quadratic
    p = problems.make("pep_worst_case", method="gd", n=3, kappa=10.0, L=1.0, lr=1.0,
                      function_class="smooth_strongly_convex")
    assert p.certificate["function_class"] == "smooth_strongly_convex"
    assert p.certificate["tau"] == pytest.approx(0.9**6, rel=RTOL)
    x = p.initial_error_coordinates()
    for _ in range(3):
        x = x - 1.0 * p.spectrum * x
    assert 0.5 * np.sum(p.spectrum * x**2) == pytest.approx(p.certificate["tau"], rel=RTOL)
    # Polyak's heavy ball is not globally convergent on that class: no quadratic attains it
    with pytest.raises(NotImplementedError, match="not attained by a quadratic"):
        problems.make("pep_worst_case", method="hb", n=3, function_class="smooth_strongly_convex")
