"""Fuzzing the trust boundary (issue 12): random strings, numbers and malformed configs fed to
the expression parser, ``config.resolve``, ``RunConfig`` and the CLI (in-process).

Every input must end in a value, a :class:`~theory_lab.errors.UserError` or, for the CLI,
exit status 0 or 2 with at most one ``theory-lab: error:`` line: never a traceback, never a
hang (each example has a deadline).  Derandomized and bounded so that it runs in seconds.
"""

import contextlib
import io
import json
import math
import string

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from theory_lab import cli  # noqa: E402
from theory_lab.config import RunConfig, resolve  # noqa: E402
from theory_lab.errors import UserError  # noqa: E402
from theory_lab.expressions import evaluate  # noqa: E402

FAST = settings(max_examples=100, deadline=2000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=20, deadline=10000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SYM = {"L": 4.0, "mu": 1.0, "kappa": 10, "T": 100, "M": 1}

ATOMS = ["L", "mu", "kappa", "T", "M", "pi", "1", "0", "2", "1e308", "9", "0.5", "-1", "x", "__import__",
         "sqrt", "log", "exp", "max", "min", "abs", "ceil", "os", "'s'", "()", "[]", "lambda: 0",
         ".real", "[0]", "(", ")", ",", "**", "*", "/", "+", "-", "//", "%", "^", " ", "=", ":", "True"]
expr_like = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=12).map("".join)
any_text = st.text(alphabet=string.printable, max_size=40)


@FAST
@given(st.one_of(expr_like, any_text))
def test_expressions_end_in_a_number_or_a_user_error(text):
    try:
        v = resolve({"lr": text}, SYM)["lr"]
    except UserError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(v, str) or (isinstance(v, float) and math.isfinite(v))
    if isinstance(v, str):  # only bare option names pass through
        assert v.isidentifier()


@FAST
@given(st.recursive(st.integers(-5, 5), lambda c: st.tuples(c, st.sampled_from(["+", "-", "*", "/", "**"]), c)
                    .map(lambda t: f"({t[0]}){t[1]}({t[2]})"), max_leaves=8))
def test_arithmetic_matches_python_or_is_refused(text):
    """Deep and exploding arithmetic (towers of powers, divisions by zero) never hangs."""
    try:
        value = evaluate(str(text), {})
    except UserError:
        return
    assert math.isfinite(value)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(allow_nan=True),
              st.text(max_size=8), st.sampled_from(["1/L", "cpu", "ring", "log", "linear", "host"])),
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=4), c, max_size=3)),
    max_leaves=6)
FIELDS = ["T", "batch_size", "seeds", "n_checkpoints", "spacing", "epsilon", "stop_at_epsilon",
          "backend", "device", "dtype", "rng", "tags"]


@FAST
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
       st.dictionaries(st.sampled_from(["d", "kappa", "rotate", "name", "network"]), json_values, max_size=2))
def test_runconfig_fields_are_checked(fields, problem):
    try:
        RunConfig(problem={"name": "quadratic", **problem}, optimizer={"name": "sgd", "lr": 0.1},
                  **{"T": 3, **fields})
    except UserError:
        pass


def run_cli(argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = cli.main(argv)
    text = err.getvalue()
    assert rc in (0, 2), (argv, rc, text)
    assert "Traceback" not in text, (argv, text)
    assert len([ln for ln in text.splitlines() if ln.startswith("theory-lab: error:")]) == (rc == 2), (argv, text)
    return rc


values = st.one_of(expr_like, any_text.filter(lambda s: "\n" not in s), st.sampled_from(
    ["1e2", "true", "no", "null", "1/0", "-1", "0", "nan", "inf", "1e400", "3.5", "yes", "maybe"]))


@SLOW
@given(st.sampled_from(["sgd", "shb", "gd", "adagrad", "asgo", "nope"]),
       st.lists(st.tuples(st.sampled_from(["lr", "beta", "T", "eps", "lr2"]), values), max_size=3),
       st.lists(st.tuples(st.sampled_from(["d", "kappa", "rotate", "sigma", "noise", "network"]), values),
                max_size=2),
       st.sampled_from(["0", "0:2", "1,1", "x", "-1", "2:1", "0,1.5"]),
       st.sampled_from(["cpu", "mps", "cuda:x", "bogus"]))
def test_cli_run_never_tracebacks(opt, oparams, pparams, seeds, device):
    argv = ["run", "--problem", "quadratic", "-p", "d=3", "--optimizer", opt, "--T", "3",
            "--n-checkpoints", "2", "--seeds", seeds, "--device", device]
    for k, v in oparams:
        argv += ["-o", f"{k}={v}"]
    for k, v in pparams:
        argv += ["-p", f"{k}={v}"]
    run_cli(argv)


@SLOW
@given(st.one_of(st.dictionaries(st.sampled_from(["base", "grid"]), json_values, max_size=2),
                 st.builds(lambda f, o: {"base": {"problem": {"name": "quadratic", "d": 3},
                                                  "optimizer": {"name": "sgd", "lr": 0.1, **o},
                                                  "T": 3, "n_checkpoints": 2, **f}},
                           st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=2),
                           st.dictionaries(st.sampled_from(["lr", "beta"]), json_values, max_size=1))))
def test_cli_sweep_files_never_traceback(tmp_path_factory, spec):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "sweep.json"
    path.write_text(json.dumps(spec, allow_nan=True))
    # an explicit store in the test's folder: the default (results/cache) is the user's
    run_cli(["sweep", str(path), "--engine", "sequential", "--quiet", "--cache", str(folder / "store")])


@SLOW
@given(st.binary(max_size=64))
def test_cli_plot_of_garbage_files(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("plot")
    (d / "r.npz").write_bytes(data)
    assert run_cli(["plot", str(d / "r.npz"), "--out", "x", "--outdir", str(d)]) == 2
