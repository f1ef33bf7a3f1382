"""``theory-lab new``: scaffolded plugin files load, pass their own tests and refuse clobbering."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from theory_lab import cli
from theory_lab.scaffold import scaffold

ROOT = Path(__file__).resolve().parents[1]


def test_new_problem_and_optimizer_pass_their_generated_tests(tmp_path, capsys):
    folder = tmp_path / "lab_plugins"
    assert cli.main(["new", "problem", "toy_prob", "--dir", str(folder)]) == 0
    assert cli.main(["new", "optimizer", "toy_hb", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and f"--plugin {folder}" in out
    assert sorted(p.name for p in folder.iterdir()) == [
        "test_toy_hb.py", "test_toy_prob.py", "toy_hb.py", "toy_prob.py"]
    # one fresh process: the generated tests (seed, input checks, descent), then list both
    code = (f"import sys, pytest; rc = pytest.main(['-q', '-p', 'no:cacheprovider', {str(folder)!r}]); "
            f"from theory_lab import cli; cli.main(['--plugin', {str(folder)!r}, 'list', 'problems']); "
            f"cli.main(['--plugin', {str(folder)!r}, 'list', 'optimizers']); sys.exit(rc)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "7 passed" in res.stdout
    assert "[d=10, kappa=10.0, noise=0.01, seed=0]" in res.stdout and "[lr, beta=0.5]" in res.stdout


def test_refuses_to_overwrite_and_bad_names(tmp_path, capsys):
    scaffold("optimizer", "mine", tmp_path)
    with pytest.raises(ValueError, match="already exist"):
        scaffold("optimizer", "mine", tmp_path)
    assert scaffold("optimizer", "mine", tmp_path, force=True)
    for bad in ("My-Method", "class", "test_x", "_x", "Upper"):
        with pytest.raises(ValueError, match="lowercase Python identifier"):
            scaffold("problem", bad, tmp_path)
    assert cli.main(["new", "optimizer", "mine", "--dir", str(tmp_path)]) == 2
    assert "already exist" in capsys.readouterr().err
