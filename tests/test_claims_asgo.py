"""ASGO's claims as objects (issue 11): what is particular to them.

The generic checks (the true method passes, every mutant is rejected) run for every
registered claim in ``tests/test_claims.py``; the measurements are shared per session.

``asgo.advantage_slope`` carries a recorded disagreement: the true method must reproduce it
(status ``"disagrees"``), a mutant must not.  Measurements are memoized per variant so the
advantage sweep (about 15 s at test scale) runs once per method.
"""


import pytest

from theory_lab.claims import asgo as ac
from theory_lab.claims import base, check, load_all, rejects
from theory_lab.theory.asgo_bounds import advantage_slope_tolerance


def measure(claim, variant):
    """One measurement per (claim, variant) per session, shared with tests/test_claims.py."""
    return base.measure(claim, "test", variant)


def test_claims_are_registered_with_mutants_and_a_theory_window():
    reg = load_all()
    for c in ac.CLAIMS:
        assert reg[c.id] is c and c.paper == "asgo" and len(c.mutants) >= 2
    names = {mu.name for mu in ac.ADVANTAGE_SLOPE.mutants}
    assert "right_side" in names and "right_side" in {mu.name for mu in ac.SHARED_LEFT_STEPS.mutants}
    # the window is log 2 / log 16 (SGD pinned within 2x, predicted ratio spanning 16x), not data
    assert ac.ADVANTAGE_SLOPE.tolerance == pytest.approx(0.25) == advantage_slope_tolerance(16, 2)


def test_shared_left_steps_are_eta_over_sqrt_t_exactly():
    m = measure(ac.SHARED_LEFT_STEPS, {})
    v = check(ac.SHARED_LEFT_STEPS, m)
    assert v.passed and v.status == "holds", v
    assert m.details["max_residual"] <= 1e-12 and m.details["prefactor"] == pytest.approx(1.0, rel=1e-12)


def test_advantage_slope_reproduces_the_recorded_disagreement():
    m = measure(ac.ADVANTAGE_SLOPE, {})
    v = check(ac.ADVANTAGE_SLOPE, m)
    assert v.passed and v.status == "disagrees", v
    # the rigorous consequence of the two bounds (ASGO/SGD <= 16 x predicted) holds but is loose
    assert m.details["loose_upper_16x_max_tightness"] <= 1.0


def test_the_wrong_side_fits_the_paper_window_and_only_the_disagreement_rejects_it():
    claim = ac.ADVANTAGE_SLOPE
    m = measure(claim, ac.MUTANTS["right_side"].variant)
    assert abs(m.value - claim.predicted) <= claim.tolerance       # a paper window alone accepts it
    assert rejects(claim, m)



def test_sgd_floor_is_the_derived_noise_floor_at_both_scales():
    # the floor is a constant of the problem and the horizon (no run): 0.071 at T = 400,
    # 0.126 at T = 1000 on the curves problem; the claim's floor may not exceed either
    import problems
    from experiments.asgo import CURVE_PROBLEM

    spec = dict(CURVE_PROBLEM)
    c = problems.make(spec.pop("name"), **spec).constants()
    floors = [ac._sgd_noise_floor(c, sc["T"]) for sc in ac.CURVE_SCALES.values()]
    assert ac.SGD_BOUND.tightness_floor == ac.SGD_FLOOR <= min(floors)


def test_one_sided_shampoo_is_bitwise_asgo_and_the_hessian_blocks_are_exact():
    m = measure(ac.ONE_SIDED_SHAMPOO, {})
    assert m.value == 0.0, m
    h = measure(ac.HESSIAN_BLOCK_DIAGONAL, {})
    assert abs(h.value - 1.0) <= 1e-14, h


def test_column_major_view_is_a_consistent_reshuffle():
    # the mutant's problem is the same problem in permuted coordinates: same f at matching points
    import numpy as np

    import problems

    p = problems.make("matrix_quadratic", m=3, n=5, eff_rank=2.0, stable_rank=2.0)
    v = ac.ColumnMajorView(p)
    w = np.random.default_rng(0).normal(size=(2, 15))
    assert np.allclose(v.value(v._out(w)), p.value(w), rtol=1e-14)
    assert np.allclose(v._in(v._out(w)), w, rtol=0, atol=0)
    assert np.allclose(v.value(v.w0[None, :]), p.value(np.asarray(p.w0)[None, :]))
