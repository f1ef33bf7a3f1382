"""Bad input raises ValueError early, naming the offending value."""

import numpy as np
import pytest

import problems
from theory_lab import RunConfig, run_config
from theory_lab.backends import Backend
from theory_lab.optimizers import heavy_ball, make, sgd
from theory_lab.random import SeedStreams
from theory_lab.schedules import equal_stages, multistage, step_decay


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: sgd(0.0), "0.0"),
        (lambda: sgd(-0.1), "-0.1"),
        (lambda: sgd(float("nan")), "nan"),
        (lambda: heavy_ball(0.1, 1.0), "1.0"),
        (lambda: heavy_ball(0.1, -0.2), "-0.2"),
        (lambda: heavy_ball(-1.0, 0.5), "-1.0"),
        (lambda: multistage(0.1, [10, 0]), "0"),
        (lambda: multistage(0.1, [10], factor=0.5), "0.5"),
        (lambda: step_decay(0.1, 2.0, 0, 100), "every"),
        (lambda: equal_stages(3, 5), "n_stages=5"),
        (lambda: problems.make("quadratic", kappa=0.5), "0.5"),
        (lambda: problems.make("quadratic", d=0), "0"),
        (lambda: problems.make("quadratic", d=1, kappa=10.0), "10.0"),
        (lambda: problems.make("quadratic", sigma=-1.0), "-1.0"),
        (lambda: problems.make("quadratic", spectrum="cubic"), "cubic"),
        (lambda: problems.make("quadratic", noise="pink"), "pink"),
        (lambda: problems.make("nope"), "nope"),
        (lambda: problems.make("quadratic", kapa=3), "kapa"),
        (lambda: make("no_such_method"), "no_such_method"),
        (lambda: Backend("jax"), "jax"),
        (lambda: Backend("numpy", device="cuda"), "cuda"),
        (lambda: Backend("numpy", dtype="float16"), "float16"),
        (lambda: SeedStreams([]), "[]"),
        (lambda: SeedStreams([-3]), "-3"),
    ],
)
def test_invalid_parameters_raise_with_value(call, needle):
    with pytest.raises(ValueError) as err:
        call()
    assert needle in str(err.value)


def test_non_psd_spectrum_is_rejected():
    with pytest.raises(ValueError, match="-0.5"):
        problems.Quadratic([1.0, -0.5], w_star=np.zeros(2), w0=np.ones(2))
    with pytest.raises(ValueError, match="positive definite"):
        problems.Quadratic([1.0, 0.0], w_star=np.zeros(2), w0=np.ones(2))


def test_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match=r"w0 has shape \(3,\), expected \(2,\)"):
        problems.Quadratic([1.0, 2.0], w_star=np.zeros(2), w0=np.ones(3))
    with pytest.raises(ValueError, match="not orthogonal"):
        problems.Quadratic([1.0, 2.0], np.zeros(2), np.ones(2), rotation=np.ones((2, 2)))


def test_config_rejects_bad_values_and_expressions():
    with pytest.raises(ValueError, match="T must be an integer >= 1, got 0"):
        RunConfig(problem={"name": "quadratic"}, optimizer={"name": "sgd", "lr": 0.1}, T=0)
    with pytest.raises(ValueError, match="batch_size"):
        RunConfig(problem={"name": "quadratic"}, optimizer={"name": "sgd", "lr": 0.1}, T=5, batch_size=0)
    cfg = RunConfig(problem={"name": "quadratic", "d": 4}, optimizer={"name": "sgd", "lr": "1/Lmax"}, T=5)
    with pytest.raises(ValueError, match="1/Lmax"):
        run_config(cfg)
    cfg = RunConfig(problem={"name": "quadratic", "d": 4}, optimizer={"name": "sgd", "lr": "-1/L"}, T=5)
    with pytest.raises(ValueError, match="-1.0"):
        run_config(cfg)


def test_option_names_pass_through_expression_resolution():
    from theory_lab.config import resolve

    assert resolve({"side": "right", "lr": "1/L", "m": "m"}, {"L": 4.0, "m": 3}) == {"side": "right", "lr": 0.25, "m": 3.0}
    # a misspelled symbol is not silently a number: the numeric check names it
    with pytest.raises(ValueError, match="'Lx'"):
        make("sgd", lr=resolve("Lx", {"L": 1.0}))


def test_config_get_path_pairs_with_with_path():
    from theory_lab import RunConfig

    cfg = RunConfig(problem={"name": "quadratic", "d": 5}, optimizer={"name": "sgd", "lr": 0.1}, T=3)
    assert cfg.with_path("problem.d", 9).get_path("problem.d") == 9
    assert cfg.get_path("T") == 3 and cfg.get_path("problem.kappa") is None
    assert cfg.get_path("optimizer.lr.eta", "missing") == "missing"
