"""Generic grid tuning: picks the argmin of a stated criterion, records the grid, caches."""

import json

import numpy as np
import pytest

from theory_lab import RunConfig
from theory_lab.sweep import ResultStore
from theory_lab.tuning import score, tune

BASE = RunConfig(problem={"name": "separable_quadratic", "d": 10, "L": "uniform", "sigma_max": 0.0},
                 optimizer={"name": "sgd", "lr": 0.1}, T=5, seeds=(0,), n_checkpoints=6,
                 spacing="linear", tags={"method": "gd"})


def test_picks_the_known_best_step_and_records_the_grid(tmp_path):
    # isotropic quadratic L = 1, exact gradients: lr = 1/L solves it in one step (f = 0);
    # 2.5/L diverges after enough steps... here |1 - 2.5| = 1.5 grows (final 1.5^10 f0)
    grid = [0.25, "1/L", 0.5, 2.5]
    tr = tune(BASE, "optimizer.lr", grid, criterion="final", store=tmp_path)[0]
    assert tr.best_value == "1/L" and tr.ok
    assert tr.best_score == 0.0
    f0 = tr.results[0].suboptimality[0, 0]
    assert tr.scores[0] == pytest.approx(f0 * 0.75 ** 10, rel=1e-12)  # (1 - 0.25)^(2T)
    assert tr.scores[3] > tr.scores[0]
    rec = json.loads(next(tmp_path.glob("tuning-*.json")).read_text())
    assert [g["value"] for g in rec["grid"]] == grid and rec["best_value"] == "1/L"
    assert len(tr.table()) == 4 and tr.table()["chosen"].sum() == 1


def test_second_call_is_served_from_the_cache(tmp_path):
    a = tune(BASE, "optimizer.lr", [0.2, 0.4], store=tmp_path)[0]
    n = len(ResultStore(tmp_path))
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*.npz")}
    b = tune(BASE, "optimizer.lr", [0.2, 0.4], store=tmp_path)[0]
    assert len(ResultStore(tmp_path)) == n == 2
    assert mtimes == {p: p.stat().st_mtime_ns for p in tmp_path.glob("*.npz")}
    np.testing.assert_array_equal(a.scores, b.scores)


def test_grid_per_base_config_and_criteria():
    other = BASE.replace(optimizer={"name": "adagrad", "lr": 0.1}, tags={"method": "adagrad"})
    grids = {"sgd": [0.3, 0.9], "adagrad": [0.1, 1.0]}
    res = tune([BASE, other], "optimizer.lr", lambda c: grids[c.optimizer["name"]],
               criterion="average")
    assert [r.values for r in res] == [[0.3, 0.9], [0.1, 1.0]]
    for r in res:
        avg = [float(np.mean(x.suboptimality[:, :-1])) for x in r.results]
        assert r.best_index == int(np.argmin(avg))
    custom = tune(BASE, "optimizer.lr", [0.3, 0.9], criterion=lambda r: -r.suboptimality[0, -1])
    assert custom[0].best_value == 0.3  # the callable's argmin, whatever it means


def test_diverged_runs_score_inf():
    tr = tune(BASE.replace(T=200, n_checkpoints=201), "optimizer.lr", [3.0, 0.5])[0]
    assert tr.scores[0] == np.inf and tr.best_value == 0.5
    assert score(tr.results[0]) == np.inf


@pytest.mark.parametrize(("values", "criterion", "match"), [
    ([], "final", r"empty grid.*\[\]"),
    ([0.1], "median", "unknown criterion 'median'"),
    ("0.1", "final", "list of values"),
])
def test_bad_input(values, criterion, match):
    with pytest.raises(ValueError, match=match):
        tune(BASE, "optimizer.lr", values, criterion=criterion)
    with pytest.raises(ValueError, match="at least one base config"):
        tune([], "optimizer.lr", [0.1])
