"""D-NASA's claims (theory_lab.claims.dnasa): the authors' method passes, every mutant is rejected.

Test scale (seconds on CPU); the windows and the recorded disagreement are fixed in the
claim objects, not here.
"""

import math

from theory_lab.claims import check
from theory_lab.claims.base import measure
from theory_lab.claims.dnasa import CLAIMS, CONSENSUS, N_EXPONENT, RATE_BOUND


def measured(claim, variant):
    """One measurement per (claim, variant) per session, shared with tests/test_claims.py."""
    return measure(claim, "test", variant)


# The true method passing and every mutant being rejected (loose bounds: expected failures)
# are checked for every registered claim in tests/test_claims.py; here what is particular.


def test_every_claim_has_two_mutants_and_the_rate_bound_says_loose():
    for c in CLAIMS:
        assert len(c.mutants) >= 2, c.id
    assert RATE_BOUND.tightness_floor is None


def test_loose_bounds_are_reported_loose():
    assert check(RATE_BOUND, measured(RATE_BOUND, {})).status == "holds, loose"
    assert check(CONSENSUS, measured(CONSENSUS, {})).status == "holds, loose"


def test_n_exponent_disagreement_is_recorded_against_the_paper():
    d = N_EXPONENT.disagreement
    assert d is not None and math.isfinite(d.measured)
    # the reproduced interval lies outside the paper's window: a disagreement, not a wide window
    assert d.interval[1] < N_EXPONENT.predicted - N_EXPONENT.tolerance
