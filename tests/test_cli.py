"""The command-line interface, in-process (``cli.main([...])``) and once as a subprocess."""

import json
import subprocess
import sys
import types

import numpy as np
import pytest

from theory_lab import cli
from theory_lab.results import RunResult

RUN = ["run", "--problem", "quadratic", "-p", "d=8", "-p", "kappa=10", "-p", "sigma=0.1",
       "--optimizer", "shb", "-o", "lr=1/L", "-o", "beta=(1-1/sqrt(kappa))**2",
       "--T", "100", "--batch-size", "2", "--n-checkpoints", "15"]


def test_python_m_lists_problems():
    out = subprocess.run([sys.executable, "-m", "theory_lab", "list", "problems"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    names = [ln.split()[0] for ln in out.stdout.splitlines() if ln.strip()]
    assert "quadratic" in names and names == sorted(names)
    assert "Quadratic" in out.stdout  # the one-line description


def test_list_optimizers(capsys):
    assert cli.main(["list", "optimizers"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln and not ln.startswith("# with --runner")]
    names = [ln.split()[0] for ln in lines]
    assert {"sgd", "gd", "shb", "hb"} <= set(names)
    assert all(len(ln.split(maxsplit=1)) == 2 for ln in lines)  # name + description


@pytest.mark.parametrize("text, value", [
    ("100", 100), ("1e3", 1000.0), ("-0.5", -0.5), ("true", True), ("False", False),
    ("null", None), ("1/L", "1/L"), ("(1-1/sqrt(kappa))**2", "(1-1/sqrt(kappa))**2"),
    ("power_law", "power_law"),
])
def test_parse_value(text, value):
    got = cli.parse_value(text)
    assert got == value and type(got) is type(value)


def test_parse_seeds():
    assert cli.parse_seeds("0:4") == (0, 1, 2, 3)
    assert cli.parse_seeds("0:10:5") == (0, 5)
    assert cli.parse_seeds("1,2,5") == (1, 2, 5)
    assert cli.parse_seeds("7") == (7,)
    for bad in ("4:2", "a:b", "1,,x", "-1,2", "1,1", "1:2:3:4"):
        with pytest.raises(ValueError):
            cli.parse_seeds(bad)


def test_run_saves_and_plot_reads_it(tmp_path, capsys):
    out = tmp_path / "results" / "run.npz"
    assert cli.main([*RUN, "--seeds", "0:4", "--epsilon", "1e-3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    res = RunResult.load(out)
    # values typed (ints stay ints), expressions kept as written and resolved at run time
    assert res.config["problem"] == {"name": "quadratic", "d": 8, "kappa": 10, "sigma": 0.1}
    assert res.config["optimizer"]["lr"] == "1/L"
    assert res.meta["optimizer"]["beta"] == pytest.approx((1 - 1 / np.sqrt(10)) ** 2)
    assert res.seeds == [0, 1, 2, 3] and res.config["epsilon"] == 1e-3
    assert res.config_hash in text
    assert "0/4 seeds diverged" in text
    med = np.median(res.suboptimality[:, -1])
    assert f"median {med:.3g}" in text
    assert "wall" in text and "eps=0.001" in text

    # a second, diverging run; plot both
    out2 = tmp_path / "results" / "div.npz"
    assert cli.main(["run", "--problem", "quadratic", "-p", "d=8", "--optimizer", "sgd",
                     "-o", "lr=5", "--T", "60", "--seeds", "1,2,5", "--out", str(out2)]) == 0
    text = capsys.readouterr().out
    assert "all seeds diverged" in text and "3/3 seeds diverged" in text
    figs = tmp_path / "figs"
    assert cli.main(["plot", str(out), str(out2), "--out", "cmp", "--outdir", str(figs),
                     "--logx"]) == 0
    assert (figs / "cmp.pdf").is_file() and (figs / "cmp.png").is_file()
    assert "cmp.png" in capsys.readouterr().out
    assert cli.main(["plot", str(out), "--out", "g", "--outdir", str(figs),
                     "--metric", "grad_norm", "--x", "samples"]) == 0
    assert (figs / "g.pdf").is_file()


def test_sweep_fills_cache_and_rerun_is_served_from_it(tmp_path, capsys):
    spec = {
        "base": {"problem": {"name": "quadratic", "d": 6, "sigma": 0.1},
                 "optimizer": {"name": "sgd", "lr": "1/L"}, "T": 50, "seeds": "0:3",
                 "n_checkpoints": 8},
        "grid": {"problem.kappa": [10.0, 100.0], "optimizer.lr,batch_size": [["1/L", 1], [0.5, 4]]},
    }
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(spec))
    cache = tmp_path / "cache"
    argv = ["sweep", str(path), "--cache", str(cache), "--engine", "sequential", "--quiet"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    files = sorted(cache.glob("*.npz"))
    assert len(files) == 4
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["problem.kappa", "optimizer.lr,batch_size"]
    assert len(lines) == 1 + 4 + 1 and "0 served from cache" in lines[-1]
    for f in files:  # one table row per config, with its hash
        assert f.stem in out
    mtimes = [f.stat().st_mtime_ns for f in files]

    assert cli.main(argv) == 0
    out2 = capsys.readouterr().out
    assert "4 served from cache" in out2
    assert [f.stat().st_mtime_ns for f in files] == mtimes  # nothing recomputed / rewritten
    assert out2.splitlines()[:-1] == lines[:-1]  # same table


@pytest.mark.parametrize("argv, offending", [
    (["run", "--problem", "nope", "--optimizer", "sgd", "-o", "lr=0.1", "--T", "10"], "'nope'"),
    (["run", "--problem", "quadratic", "--optimizer", "sgd", "-o", "lr=-0.5", "--T", "10"], "-0.5"),
    (["run", "--problem", "quadratic", "--optimizer", "nada", "-o", "lr=0.1", "--T", "10"], "'nada'"),
    (["run", "--problem", "quadratic", "--optimizer", "sgd", "-o", "lr=0.1", "--T", "10",
      "--seeds", "5:2"], "5:2"),
    (["run", "--problem", "quadratic", "-p", "kappa=0.5", "--optimizer", "sgd", "-o", "lr=0.1",
      "--T", "10"], "0.5"),
    (["run", "--problem", "quadratic", "--optimizer", "sgd", "-o", "lr", "--T", "10"], "'lr'"),
    (["run", "--problem", "quadratic", "--optimizer", "sgd", "-o", "lr=0.1"], "--T"),
    (["plot", "missing.npz", "--out", "x"], "missing.npz"),
    (["sweep", "missing.json"], "missing.json"),
    (["figures", "nope"], "'nope'"),
    (["list", "widgets"], "widgets"),
])
def test_bad_input_exits_2_with_the_offending_value(argv, offending, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert offending in err
    assert "theory-lab: error:" in err and "Traceback" not in err


def test_bad_sweep_files_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert cli.main(["sweep", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    bad.write_text(json.dumps({"base": {"problem": {"name": "quadratic"},
                                        "optimizer": {"name": "sgd", "lr": 0.1}, "T": 5},
                               "grid": {"problem.kappa": 10}}))
    assert cli.main(["sweep", str(bad)]) == 2
    assert "lists" in capsys.readouterr().err
    bad.write_text(json.dumps({"base": {"problem": {"name": "quadratic"}, "T": 5}}))
    assert cli.main(["sweep", str(bad)]) == 2
    assert "optimizer" in capsys.readouterr().err


def test_figures_runs_experiment_main_with_its_own_args(monkeypatch, capsys):
    calls = []

    def main_with_argv(argv=None):
        calls.append(("argv", argv, list(sys.argv)))
        return 0

    old = types.ModuleType("experiments.old")
    old.main = lambda: calls.append(("none", None, list(sys.argv)))
    new = types.ModuleType("experiments.new")
    new.main = main_with_argv
    monkeypatch.setitem(sys.modules, "experiments.old", old)
    monkeypatch.setitem(sys.modules, "experiments.new", new)
    monkeypatch.setattr(cli, "experiment_names", lambda: ["new", "old"])
    assert cli.main(["figures", "new", "--quick", "--n-jobs", "3"]) == 0
    assert calls.pop() == ("argv", ["--quick", "--n-jobs", "3"], ["experiments.new", "--quick", "--n-jobs", "3"])
    assert cli.main(["figures", "all"]) == 0
    assert calls == [("argv", [], ["experiments.new"]), ("none", None, ["experiments.old"])]
    assert "== experiments.old" in capsys.readouterr().out
    assert sys.argv[0] != "experiments.old"  # restored


def test_figures_shb_is_importable_with_a_main():
    names = cli.experiment_names()
    if "shb" not in names:
        pytest.skip("experiments.shb not written yet")
    import experiments.shb

    assert callable(experiments.shb.main)


def test_list_and_run_methods_with_their_own_runner(capsys):
    assert cli.main(["list", "optimizers"]) == 0
    out = capsys.readouterr().out
    assert "# with --runner decentralized" in out and "gt_katyusha" in out and "diloco" in out
    assert cli.main(["run", "--problem", "distributed_ridge", "-p", "m=4", "-p", "n=16", "-p", "d=8",
                     "--optimizer", "diging", "--T", "50", "--runner", "decentralized"]) == 0
    assert "distributed_ridge x diging" in capsys.readouterr().out
    assert cli.main(["run", "--problem", "quadratic", "--optimizer", "sgd", "-o", "lr=0.1", "--T", "5",
                     "--runner", "nope"]) == 2
    assert "'nope'" in capsys.readouterr().err
