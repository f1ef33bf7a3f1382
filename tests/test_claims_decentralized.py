"""Decentralized claims (theory_lab.claims.decentralized): gt_nsvr / gt_katyusha pass, mutants are rejected.

Test scale; windows fixed in the claim objects.  The acceleration claim is an [R]
reconstruction with no source (the paper never mentions acceleration).
"""


from theory_lab.claims.decentralized import ACCELERATION, CLAIMS, KAPPA_LOCAL_FLAT

# The true method passing and every mutant being rejected are checked for every registered
# claim in tests/test_claims.py; here what is particular to these claims.


def test_labels():
    assert ACCELERATION.source.startswith("[R]") and ACCELERATION.statement.startswith("[R]")
    assert "no source" in ACCELERATION.source
    assert KAPPA_LOCAL_FLAT.source.startswith("[V]")
    assert all(len(c.mutants) >= 2 for c in CLAIMS)
