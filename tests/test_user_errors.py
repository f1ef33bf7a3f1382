"""Issue 12, parts 4 and 5: every user-input error is one line ``theory-lab: error: ...`` with
exit status 2 (no traceback), and silent misconfigurations are refused or typed right."""

import json

import numpy as np
import pytest

import problems
from theory_lab import cli
from theory_lab.config import RunConfig
from theory_lab.errors import UserError
from theory_lab.schedules import make_schedule

QUAD = ["--problem", "quadratic", "-p", "d=4", "-p", "kappa=10"]
SHORT = ["--T", "5", "--n-checkpoints", "3"]
RING = ["--problem", "distributed_ridge", "-p", "m=4", "-p", "n=8", "-p", "d=8", "-p", "kappa=10"]


def one_line_error(capsys, argv, *needles):
    """Run the CLI; assert exit 2 and exactly one stderr line naming every needle."""
    rc = cli.main(argv)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert rc == 2, err
    assert lines[-1].startswith("theory-lab: error: "), err
    assert "Traceback" not in err and len([ln for ln in lines if "error" in ln]) == 1, err
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    return lines[-1]


# -- part 4: one line, exit 2 ----------------------------------------------------------
@pytest.mark.parametrize("argv, needles", [
    (["--optimizer", "shb", "-o", "lr=0.1"],
     ["optimizer 'shb' is missing parameter 'beta'", "signature: shb(lr, beta, T=None)"]),
    (["--optimizer", "asgo", "-o", "lr=0.1"], ["missing parameters 'm', 'n'", "asgo(lr, m, n"]),
    (["--optimizer", "sgd", "-o", "lr=0.1", "-o", "bogus=1"], ["has no parameter 'bogus'", "sgd(lr, T=None)"]),
    (["--optimizer", "sgd", "-o", "lr=1/0"], ["division by zero in 'lr=1/0'"]),
    (["--optimizer", "sgd", "-o", "lr=sqrt(-L)"], ["sqrt of negative number"]),
])
def test_missing_unknown_and_bad_optimizer_parameters(capsys, argv, needles):
    one_line_error(capsys, ["run", *QUAD, *argv, *SHORT], *needles)


def test_zo_without_base(capsys):
    one_line_error(capsys, ["run", "--problem", "zo", "--optimizer", "sgd", "-o", "lr=0.1", *SHORT],
                   "problem 'zo' is missing parameter 'base'")


@pytest.mark.parametrize("device", ["mps", "bogus", "cuda:x", "CPU"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_device(capsys, device, backend):
    one_line_error(capsys, ["run", *QUAD, "--optimizer", "sgd", "-o", "lr=0.1", *SHORT,
                            "--backend", backend, "--device", device],
                   f"unknown device {device!r}", "available: cpu, cuda, cuda:N")


def test_schedule_keys_are_checked():
    with pytest.raises(UserError, match="schedule 'multistage' is missing key.* 'eta0'"):
        make_schedule({"kind": "multistage", "n_stages": 3}, T=10)
    with pytest.raises(UserError, match="schedule 'step_decay' has unknown key.* 'evry'"):
        make_schedule({"kind": "step_decay", "eta0": 0.1, "evry": 3}, T=10)
    with pytest.raises(UserError, match="unknown schedule kind"):
        make_schedule({"kind": ["x"], "eta0": 0.1}, T=10)
    with pytest.raises(UserError, match="learning rate must be a number"):
        make_schedule(True)
    assert make_schedule({"kind": "step_decay", "eta0": 0.1, "every": 5}, T=10)(5) == 0.05


def sweep_file(tmp_path, base, grid=None):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps({"base": base, "grid": grid or {}}))
    return str(path)


def test_schedule_without_eta0_from_a_sweep_file(tmp_path, capsys):
    base = {"problem": {"name": "quadratic", "d": 4}, "T": 5, "n_checkpoints": 3,
            "optimizer": {"name": "sgd", "lr": {"kind": "ge_step_decay", "eta": 0.1}}}
    one_line_error(capsys, ["sweep", sweep_file(tmp_path, base), "--engine", "sequential", "--quiet"],
                   "schedule 'ge_step_decay' has unknown key(s) 'eta'", "eta0")


def test_unknown_network_key_and_non_dict_network(capsys):
    one_line_error(capsys, ["run", *RING, "-p", "network=ring", "--optimizer", "diging", *SHORT,
                            "--runner", "decentralized"], "problem 'network' must be a dict", "'ring'")


def test_unknown_network_key_through_the_builder():
    from theory_lab.decentralized import build_decentralized

    cfg = RunConfig(problem={"name": "distributed_ridge", "m": 4, "n": 8, "d": 8,
                             "network": {"graph": "ring", "degree": 3}}, optimizer={"name": "diging"}, T=3)
    with pytest.raises(UserError, match="unknown network key.* 'degree' for graph 'ring'"):
        build_decentralized(cfg)
    cfg = cfg.with_path("problem.network", {"graph": "erdos_renyi"})
    with pytest.raises(UserError, match="graph 'erdos_renyi' is missing parameter 'p'"):
        build_decentralized(cfg)
    cfg = cfg.with_path("problem.network", {"graph": "ring", "mixing": "bogus"})
    with pytest.raises(UserError, match="unknown mixing 'bogus'"):
        build_decentralized(cfg)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04trunc", b"not a zip at all"])
def test_plot_on_empty_or_truncated_npz(tmp_path, capsys, content):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    one_line_error(capsys, ["plot", str(bad), "--out", "x", "--outdir", str(tmp_path)],
                   "cannot read result file", "bad.npz")


def test_plot_on_a_cut_result(tmp_path, capsys):
    good = tmp_path / "good.npz"
    assert cli.main(["run", *QUAD, "--optimizer", "sgd", "-o", "lr=0.1", *SHORT, "--out", str(good)]) == 0
    capsys.readouterr()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    one_line_error(capsys, ["plot", str(cut), "--out", "x", "--outdir", str(tmp_path)], "cut.npz")


def test_out_is_a_folder_or_under_a_file(tmp_path, capsys):
    one_line_error(capsys, ["run", *QUAD, "--optimizer", "sgd", "-o", "lr=0.1", *SHORT,
                            "--out", str(tmp_path)], "is a directory")
    afile = tmp_path / "file"
    afile.write_text("x")
    one_line_error(capsys, ["run", *QUAD, "--optimizer", "sgd", "-o", "lr=0.1", *SHORT,
                            "--out", str(afile / "sub" / "run.npz")], "is a file, not a directory")


def test_oserror_in_a_subcommand_is_one_line(capsys, monkeypatch):
    def boom(args):
        raise PermissionError(13, "Permission denied", "/root/x")

    monkeypatch.setattr(cli, "cmd_list", boom)
    one_line_error(capsys, ["list", "problems"], "Permission denied", "/root/x")


def test_unreachable_dask_scheduler_is_quick_and_one_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("dask.distributed")
    import time

    from theory_lab import sweep

    monkeypatch.setattr(sweep, "DASK_CONNECT_TIMEOUT_S", 0.5)
    base = {"problem": {"name": "quadratic", "d": 4}, "optimizer": {"name": "sgd", "lr": 0.1},
            "T": 5, "n_checkpoints": 3}
    t0 = time.monotonic()
    one_line_error(capsys, ["sweep", sweep_file(tmp_path, base), "--engine", "dask", "--quiet",
                            "--dask-address", "tcp://127.0.0.1:9"], "cannot reach the dask scheduler")
    assert time.monotonic() - t0 < 20


@pytest.mark.parametrize("opt, needle", [
    ({"name": "gt_nsvr"}, "supports the deterministic methods"),
    ({"name": "dgd", "batch": 2}, "stochastic"),
    ({"name": "diging", "eta": "1/0"}, "division by zero"),
])
def test_multiprocess_refuses_before_spawning(monkeypatch, opt, needle):
    torch = pytest.importorskip("torch")
    import torch.multiprocessing as mp

    from theory_lab.decentralized.multiprocess import run_multiprocess

    def no_spawn(*a, **k):
        raise AssertionError("processes were spawned")

    monkeypatch.setattr(mp, "start_processes", no_spawn)
    cfg = RunConfig(problem={"name": "distributed_ridge", "m": 4, "n": 8, "d": 8, "kappa": 10.0},
                    optimizer=opt, T=3)
    with pytest.raises(UserError, match=needle):
        run_multiprocess(cfg, n_procs=2)
    del torch


# -- part 5: silent misconfiguration -----------------------------------------------------
def cfg(**kw):
    return RunConfig(**{"problem": {"name": "quadratic", "d": 4}, "optimizer": {"name": "sgd", "lr": 0.1},
                        "T": 5, **kw})


@pytest.mark.parametrize("seeds", ["12", (1.7,), (1, 1), (True,), (-1,), (), ("1",), 3, (0, np.float64(0.5))])
def test_bad_seeds_are_refused(seeds):
    with pytest.raises(UserError, match="seeds"):
        cfg(seeds=seeds)


def test_good_seeds_are_typed():
    assert cfg(seeds=(np.int64(3), 1, 2.0)).seeds == (3, 1, 2)
    assert all(type(s) is int for s in cfg(seeds=np.arange(3)).seeds)
    assert cfg(seeds=[0, 1]).hash() == cfg(seeds=(np.int32(0), 1.0)).hash()


@pytest.mark.parametrize("field, value", [
    ("T", True), ("T", 2.5), ("batch_size", "8"), ("n_checkpoints", 0), ("epsilon", True),
    ("epsilon", -1.0), ("stop_at_epsilon", "no"), ("device", "mps"), ("backend", 3), ("tags", []),
])
def test_bad_fields_are_refused(field, value):
    with pytest.raises(UserError):
        cfg(**{field: value})


def test_integral_floats_are_ints():
    c = RunConfig(problem={"name": "quadratic"}, optimizer={"name": "sgd", "lr": 0.1}, T=1e2, batch_size=2.0)
    assert c.T == 100 and type(c.T) is int and type(c.batch_size) is int
    assert c.hash() == RunConfig(problem={"name": "quadratic"}, optimizer={"name": "sgd", "lr": 0.1},
                                 T=100, batch_size=2).hash()


def test_boolean_for_a_numeric_parameter(capsys):
    one_line_error(capsys, ["run", *QUAD, "--optimizer", "sgd", "-o", "lr=true", *SHORT],
                   "parameter 'lr' takes no boolean")
    from theory_lab.optimizers import make

    with pytest.raises(UserError, match="'beta' takes no boolean"):
        make("shb", lr=0.1, beta=False)


@pytest.mark.parametrize("word, rotated", [
    ("no", False), ("off", False), ("false", False), ("0", False),
    ("yes", True), ("on", True), ("true", True), ("1", True),
])
def test_boolean_words_for_a_boolean_parameter(word, rotated):
    p = problems.make("quadratic", d=4, rotate=cli.parse_value(word))
    assert (p.rotation is not None) is rotated


@pytest.mark.parametrize("bad", ["maybe", "2", "none"])
def test_other_values_for_a_boolean_parameter(capsys, bad):
    one_line_error(capsys, ["run", *QUAD, "-p", f"rotate={bad}", "--optimizer", "sgd", "-o", "lr=0.1", *SHORT],
                   "parameter 'rotate' must be a boolean")


def test_repeated_cli_key(capsys):
    one_line_error(capsys, ["run", *QUAD, "--optimizer", "sgd", "-o", "lr=1", "-o", "lr=2", *SHORT],
                   "optimizer parameter 'lr' is given twice")
    one_line_error(capsys, ["run", *QUAD, "-p", "d=5", "--optimizer", "sgd", "-o", "lr=1", *SHORT],
                   "problem parameter 'd' is given twice")


def test_integral_float_for_an_integer_parameter(capsys):
    assert cli.main(["run", "--problem", "quadratic", "-p", "d=1e1", "--optimizer", "sgd",
                     "-o", "lr=0.1", *SHORT]) == 0
    assert problems.make("quadratic", d=1e1).dim == 10
    one_line_error(capsys, ["run", "--problem", "quadratic", "-p", "d=1.5", "--optimizer", "sgd",
                            "-o", "lr=0.1", *SHORT], "d")


def test_gpu_index_beyond_the_machine(monkeypatch):
    torch = pytest.importorskip("torch")
    from theory_lab.backends import Backend

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(UserError, match=r"'cuda:3' requested but there are only 1 GPU\(s\); available: cpu, cuda:0"):
        Backend("torch", device="cuda:3")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match="CUDA is not available"):
        Backend("torch", device="cuda")


def test_from_dict_names_unknown_and_missing_fields():
    good = cfg().to_dict()
    assert RunConfig.from_dict(good) == cfg()
    with pytest.raises(UserError, match="unknown field.* 'seed'; fields: problem"):
        RunConfig.from_dict({**good, "seed": 3})
    with pytest.raises(UserError, match="missing field.* 'T'"):
        RunConfig.from_dict({k: v for k, v in good.items() if k != "T"})
    with pytest.raises(UserError, match="must be a dict"):
        RunConfig.from_dict(["T", 3])


def test_booleans_are_not_numbers_in_the_checks():
    from theory_lab.validation import check_momentum, check_positive

    with pytest.raises(UserError, match="eta must be a real number, got True"):
        check_positive("eta", True)
    with pytest.raises(UserError, match="beta must be a real number"):
        check_momentum("beta", np.bool_(False))
    assert check_positive("eta", np.float32(0.5)) == 0.5
