"""The README's worked examples (a new problem, a new optimizer) run as written."""

import re
from pathlib import Path

import numpy as np

import problems
import theory_lab.optimizers as optimizers
from theory_lab import RunConfig
from theory_lab.runner import run_config

README = Path(__file__).resolve().parents[1] / "README.md"


def _block(section: str) -> str:
    text = README.read_text()
    body = text[text.index(section):]
    return re.search(r"```python\n(.*?)```", body, re.S).group(1)


def test_worked_problem_and_optimizer_examples_run(monkeypatch):
    monkeypatch.setattr(problems, "REGISTRY", dict(problems.REGISTRY))
    monkeypatch.setattr(optimizers, "REGISTRY", dict(optimizers.REGISTRY))
    exec(compile(_block("## Adding a problem"), "README:problem", "exec"), {})
    exec(compile(_block("## Adding an optimizer"), "README:optimizer", "exec"), {})
    assert "my_diagonal_quadratic" in problems.available()
    assert "nesterov" in optimizers.available()
    cfg = RunConfig(problem={"name": "my_diagonal_quadratic", "d": 20},
                    optimizer={"name": "nesterov", "lr": "1/L", "beta": 0.5},
                    T=200, batch_size=10**6, seeds=range(2))
    res = run_config(cfg)
    # near-exact gradients: the error shrinks by orders of magnitude, nothing diverges
    assert (res.diverged_at == -1).all()
    assert np.all(res.suboptimality[:, -1] < 1e-2 * res.suboptimality[:, 0])
