"""Decentralized claims (theory_lab.claims.decentralized): gt_nsvr / gt_katyusha pass, mutants are rejected.

Test scale; windows fixed in the claim objects.  The acceleration claim is an [R]
reconstruction with no source (the paper never mentions acceleration).
"""

import pytest

from theory_lab.claims import check, rejects
from theory_lab.claims.base import measure
from theory_lab.claims.decentralized import ACCELERATION, CLAIMS, KAPPA_LOCAL_FLAT

CASES = [(c, None) for c in CLAIMS] + [(c, m) for c in CLAIMS for m in c.mutants]


@pytest.mark.parametrize("claim, mutant", CASES, ids=[f"{c.id}-{m.name if m else 'method'}" for c, m in CASES])
def test_claim(claim, mutant):
    m = measure(claim, "test", mutant.variant if mutant else {})
    if mutant is None:
        v = check(claim, m)
        assert v.passed, (claim.id, v)
    else:
        assert rejects(claim, m), (claim.id, mutant.name, m)


def test_labels():
    assert ACCELERATION.source.startswith("[R]") and ACCELERATION.statement.startswith("[R]")
    assert "no source" in ACCELERATION.source
    assert KAPPA_LOCAL_FLAT.source.startswith("[V]")
    assert all(len(c.mutants) >= 2 for c in CLAIMS)
