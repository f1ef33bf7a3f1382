"""Every registered claim, at test scale: the true method passes, every mutant is rejected.

Parametrized over :func:`theory_lab.claims.load_all` (every paper's claim module joins by
registering its claims) and each claim's mutants.  Measurements are cached per (claim,
scale, variant) in the session (:func:`theory_lab.claims.measure`), so a claim's true
measurement runs once for its own test and the report test.

Loose upper bounds (no tightness floor, status "holds, loose") are kept and reported as
such; a mutant that such a bound cannot reject is an expected failure (``xfail``, visible in
the ``-ra`` summary and in the report as "rejected k of n"), never a pass.
"""

from __future__ import annotations

import json

import pytest
from threadpoolctl import threadpool_limits

from theory_lab.claims import (
    KINDS,
    STATUSES,
    check,
    load_all,
    measure,
    missing_requirements,
    rejects,
    requirement_reason,
)

CLAIMS = load_all()
MUTANT_CASES = [pytest.param(cid, m.name, id=f"{cid}::{m.name}")
                for cid, c in sorted(CLAIMS.items()) for m in c.mutants]


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    with threadpool_limits(1):
        yield


def _loose(claim) -> bool:
    return claim.kind == "upper" and claim.tightness_floor is None


def _skip_if_missing(claim):
    """Skip (one line) a claim whose optional dependency (``Claim.requires``) is not installed."""
    missing = missing_requirements(claim)
    if missing:
        pytest.skip(f"{claim.id}: {requirement_reason(missing)}")


# ----------------------------------------------------------------------------- declarations
@pytest.mark.parametrize("cid", sorted(CLAIMS))
def test_declaration_is_complete(cid):
    c = CLAIMS[cid]
    assert c.kind in KINDS
    assert c.source[:3] in ("[V]", "[R]", "[D]"), c.source
    assert len(c.mutants) >= 2, f"{cid}: at least two mutants"
    assert c.id.startswith(c.paper + "."), (c.id, c.paper)
    assert c.statement.strip() and c.tolerance >= 0
    for m in c.mutants:
        json.dumps(m.variant)  # variants are JSON (cache keys, report)
        assert m.variant, f"{cid}: mutant {m.name!r} has an empty variant (the true method)"
    if c.kind == "upper" and c.tightness_floor is not None:
        assert 0 < c.tightness_floor <= 1
    if c.disagreement is not None:
        lo, hi = c.disagreement.interval
        assert lo <= c.disagreement.measured <= hi
        assert c.disagreement.cause.strip()


def test_registry_is_not_empty():
    papers = {c.paper for c in CLAIMS.values()}
    assert {"shb", "adagrad", "zeroth_order", "diloco"} <= papers, papers


# ----------------------------------------------------------------------------- the true method
@pytest.mark.parametrize("cid", sorted(CLAIMS))
def test_true_method_passes(cid):
    c = CLAIMS[cid]
    _skip_if_missing(c)
    m = measure(c, "test")
    v = check(c, m)
    assert v.passed, f"{cid}: {v.reason}"
    assert v.status in STATUSES
    if _loose(c):
        assert v.status == "holds, loose", v
    elif c.disagreement is not None:
        assert v.status == "disagrees", v
    else:
        assert v.status == "holds", v


# ----------------------------------------------------------------------------- mutants
@pytest.mark.parametrize(("cid", "name"), MUTANT_CASES)
def test_mutant_is_rejected(cid, name):
    c = CLAIMS[cid]
    _skip_if_missing(c)
    mutant = next(m for m in c.mutants if m.name == name)
    m = measure(c, "test", mutant.variant)
    if _loose(c) and not rejects(c, m):
        pytest.xfail(f"loose bound (no tightness floor) cannot reject {name!r}: {check(c, m).reason}")
    assert rejects(c, m), f"{cid}: mutant {name!r} passes: {check(c, m).reason}"


# ----------------------------------------------------------------------------- the check itself
def test_check_semantics():
    from theory_lab.claims import Claim, Disagreement, Measurement

    def claim(**kw):
        base = dict(id="x.y", paper="x", statement="s", source="[R] r", kind="equal",
                    predicted=1.0, tolerance=0.1, measure=lambda s, v: None)
        return Claim(**{**base, **kw})

    eq = claim()
    assert check(eq, Measurement(1.05)).status == "holds"
    assert rejects(eq, Measurement(1.2)) and rejects(eq, Measurement(float("nan")))
    zero = claim(predicted=0.0, tolerance=1e-12)
    assert not rejects(zero, Measurement(1e-13)) and rejects(zero, Measurement(1e-9))
    up = claim(kind="upper", tightness_floor=0.2, tolerance=0.0)
    assert check(up, Measurement(0.5, bound=1.0)).status == "holds"
    assert rejects(up, Measurement(0.1, bound=1.0))  # below the tightness floor
    assert rejects(up, Measurement(1.1, bound=1.0))  # above the bound
    loose = claim(kind="upper", tolerance=0.0)
    assert check(loose, Measurement(0.01, bound=1.0)).status == "holds, loose"
    dis = claim(kind="exponent", predicted=1.0, tolerance=0.05,
                disagreement=Disagreement(0.92, (0.9, 0.95), "cause"))
    assert check(dis, Measurement(0.92)).status == "disagrees"
    assert rejects(dis, Measurement(1.0))  # agrees with the paper: not the reproduced value
    assert rejects(dis, Measurement(0.5))  # outside the reproduced interval


# ----------------------------------------------------------------------------- report and CLI
def _fake_claims():
    from theory_lab.claims import Claim, Disagreement, Measurement, Mutant

    def meas(value):
        return lambda scale, variant: Measurement(variant.get("v", value), (0.9, 1.1))

    def boom(scale, variant):
        raise RuntimeError("no data")

    muts = (Mutant("a", "off by 2", {"v": 2.0}), Mutant("b", "off by 3", {"v": 3.0}))
    return {
        "fake.ok": Claim("fake.ok", "fake", "s|1", "[V] x", "equal", 1.0, 0.1, meas(1.0), muts),
        "fake.bound": Claim("fake.bound", "fake", "s2", "[R] x", "upper", 1.0, 0.0,
                            lambda s, v: Measurement(v.get("v", 0.01), bound=1.0), muts),
        "fake.dis": Claim("fake.dis", "fake", "s3", "[D] x", "exponent", 1.0, 0.05, meas(0.8),
                          muts, disagreement=Disagreement(0.8, (0.7, 0.9), "finite size")),
        "fake.nm": Claim("fake.nm", "fake", "s4", "[R] x", "equal", 1.0, 0.1, boom, muts),
    }


def test_report_lists_status_tightness_mutants_and_disagreements(tmp_path):
    from theory_lab.claims.report import build_report, write_report

    rep = build_report("test", claims=_fake_claims())
    e = {x["id"]: x for x in rep["papers"]["fake"]}
    assert e["fake.ok"]["status"] == "holds" and e["fake.ok"]["mutants_rejected"] == 2
    assert e["fake.bound"]["status"] == "holds, loose" and e["fake.bound"]["tightness"] == 0.01
    assert e["fake.bound"]["mutants_rejected"] == 2  # 2.0 and 3.0 are above the bound 1.0
    assert e["fake.dis"]["status"] == "disagrees"
    assert e["fake.nm"]["status"] == "not measurable" and "no data" in e["fake.nm"]["reason"]
    assert rep["disagreements"][0]["id"] == "fake.dis"
    h = rep["header"]
    assert h["scale"] == "test" and h["fingerprint"] and h["version"] and h["date"]
    md, js = write_report(rep, tmp_path)
    text = md.read_text()
    assert "fake.dis" in text and "finite size" in text and "2 of 2" in text
    assert "s\\|1" in text  # table cells escaped
    data = json.loads(js.read_text())  # strict JSON: non-finite numbers as strings
    assert data["summary"]["claims"] == 4


def test_claim_with_a_missing_module_is_not_measurable():
    from theory_lab.claims import Claim, Mutant
    from theory_lab.claims.report import build_report

    def never(scale, variant):
        raise AssertionError("measured although its module is missing")

    muts = (Mutant("a", "off by 2", {"v": 2.0}), Mutant("b", "off by 3", {"v": 3.0}))
    c = Claim("fake.req", "fake", "s", "[R] x", "equal", 1.0, 0.1, never, muts,
              requires=("theory_lab_no_such_module_xyz",))
    assert missing_requirements(c) == ["theory_lab_no_such_module_xyz"]
    e = build_report("test", claims={c.id: c})["papers"]["fake"][0]
    assert e["status"] == "not measurable" and not e["passed"]
    assert e["reason"] == ("needs theory_lab_no_such_module_xyz "
                           "(pip install theory_lab_no_such_module_xyz)")
    assert e["mutants_rejected"] == 0 and e["mutants"][0]["reason"].startswith("not measurable: needs")
    with pytest.raises(pytest.skip.Exception, match="fake.req: needs theory_lab_no_such"):
        _skip_if_missing(c)


def test_verify_command_writes_the_report(tmp_path, monkeypatch, capsys):
    from theory_lab import cli
    from theory_lab.claims import report

    fakes = _fake_claims()
    del fakes["fake.nm"]
    monkeypatch.setattr("theory_lab.claims.load_all", lambda: fakes)
    assert cli.main(["verify", "--scale", "test", "--out", str(tmp_path), "--paper", "fake"]) == 0
    assert (tmp_path / "VERIFICATION.md").exists() and (tmp_path / "verification.json").exists()
    assert "fake.ok: holds" in capsys.readouterr().out
    assert cli.main(["verify", "--paper", "nope", "--out", str(tmp_path)]) == 2  # one line, no traceback
    assert "no claims for paper 'nope'" in capsys.readouterr().err
    assert cli.main(["verify", "--scale", "huge"]) == 2
    assert report.predicted_text(fakes["fake.bound"]).startswith("≤ bound")


def test_worst_over_curve_picks_the_largest_ratio_and_rejects_divergence():
    import numpy as np

    from theory_lab.claims import Claim, worst_over_curve

    m = worst_over_curve([1.0, 3.0, 2.0], [10.0, 10.0, 4.0], [1, 2, 3])
    assert (m.value, m.bound, m.details["at"]) == (2.0, 4.0, 3) and m.tightness == 0.5
    up = Claim("x.y", "x", "s", "[R] r", "upper", 1.0, 0.0, lambda s, v: None)
    diverged = worst_over_curve([1.0, np.nan, np.inf], [10.0, 10.0, 10.0], [1, 2, 3])
    assert diverged.value == np.inf and rejects(up, diverged)
