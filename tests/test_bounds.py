"""The bound layer (theory_lab.bounds) and `theory-lab plot --bound`."""

import numpy as np
import pytest

from theory_lab import RunConfig, run_config
from theory_lab.bounds import (
    KINDS,
    REGISTRY,
    NotApplicable,
    bound_values,
    bounds_for,
    plot_bounds,
    register_bound,
)

HB = {"name": "hb", "lr": "4/(sqrt(L)+sqrt(mu))**2", "beta": "((sqrt(kappa)-1)/(sqrt(kappa)+1))**2"}


def quad_run(opt, T=20, noise="none", seeds=1, M=1):
    cfg = RunConfig(problem={"name": "quadratic", "d": 8, "kappa": 100.0, "noise": noise},
                    optimizer=opt, T=T, seeds=range(seeds), spacing="linear", n_checkpoints=T + 1,
                    batch_size=M)
    return run_config(cfg)


def test_registry_covers_the_labs_bounds():
    for key in [("hb", "quadratic"), ("shb", "quadratic"), ("gd", "quadratic"), ("sgd", "quadratic"),
                ("adagrad", "separable_convex"), ("adagrad_norm", "separable_convex"),
                ("sgd", "separable_convex")]:
        assert REGISTRY.get(key), key
    for bs in REGISTRY.values():
        for b in bs:
            assert b.kind in KINDS
            assert b.source.startswith(("[V]", "[R]")), b.source
    kinds = {b.kind for b in bounds_for("hb", "quadratic", "all")}
    assert kinds == {"exact", "asymptotic rate", "tight"}
    assert all(b.default for b in bounds_for("hb", "quadratic"))  # PEPit one only with "all"


def test_hb_bounds_on_a_run():
    res = quad_run(HB)
    vals = {b.name: y for b, y in bound_values(res)}
    m = res.suboptimality[0]
    np.testing.assert_allclose(m, vals["exact E f(w_t) - f*"], rtol=1e-10)
    # the asymptotic rate is not a bound at finite t: the run is above it early on
    assert m[3] > 2 * vals["rho^{2t} f0"][3]


def test_gd_tight_bound_holds_and_exact_matches():
    res = quad_run({"name": "gd", "lr": "1/L"})
    vals = {b.name: y for b, y in bound_values(res)}
    m = res.suboptimality[0]
    assert np.all(m <= vals["rho^{2t} f0"] * (1 + 1e-12))
    np.testing.assert_allclose(m, vals["exact E f(w_t) - f*"], rtol=1e-10)


def test_shb_exact_expected_risk_matches_seed_mean():
    res = quad_run({"name": "shb", "lr": "1/L", "beta": 0.5}, T=40, noise="anisotropic", seeds=64, M=4)
    exact = {b.name: y for b, y in bound_values(res)}["exact E f(w_t) - f*"]
    mean = res.suboptimality.mean(axis=0)
    # 64 seeds: relative standard error of a mean of chi-square-like terms ~ sqrt(2/64) ~ 0.18
    assert np.all(np.abs(mean[10:] / exact[10:] - 1) < 0.6)


def test_adagrad_bound_needs_projection_and_holds():
    def run(opt):
        return run_config(RunConfig(problem={"name": "separable_quadratic", "d": 10}, optimizer=opt,
                                    T=200, seeds=range(4)))

    res = run({"name": "adagrad", "lr": 1.0, "radius": "2*D_inf"})
    (b, y), = [(b, y) for b, y in bound_values(res) if b.name == "AdaGrad bound"]
    assert b.kind == "upper" and b.quantity == "running mean of f - f*"
    assert np.all(np.isfinite(y)) and np.all(y > 0)
    res2 = run({"name": "adagrad", "lr": 1.0})
    assert [b for b, _ in bound_values(res2) if b.name == "AdaGrad bound"] == []


def test_register_bound_for_a_new_method_and_errors():
    @register_bound("gd", "test_class_xyz", name="half rate", kind="upper", source="[R] test")
    def half(ctx, steps):
        if ctx.constants["kappa"] > 1e6:
            raise NotApplicable("too ill-conditioned")
        return 0.5 * np.ones(len(steps))

    try:
        assert [b.name for b in bounds_for("gd", "test_class_xyz")] == ["half rate"]
        with pytest.raises(ValueError, match="already registered"):
            register_bound("gd", "test_class_xyz", name="half rate", kind="upper", source="[R]")(half)
        with pytest.raises(ValueError, match="unknown bound kind"):
            register_bound("gd", "test_class_xyz", name="x", kind="loose", source="[R]")
        with pytest.raises(ValueError, match="which"):
            bounds_for("gd", "quadratic", which="some")
    finally:
        REGISTRY.pop(("gd", "test_class_xyz"))


def test_plot_bounds_draws_dashed_in_method_colour():
    import matplotlib

    matplotlib.use("Agg")
    from theory_lab.plotting import new_figure, plot_runs

    res = quad_run(HB)
    fig, ax = new_figure()
    color = plot_runs(ax, res, label="hb")
    drawn = plot_bounds(ax, res, color)
    assert {b.kind for b in drawn} == {"exact", "asymptotic rate"}
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() != "-"]
    assert len(dashed) == 2
    assert all(matplotlib.colors.same_color(ln.get_color(), color) for ln in dashed)
    assert any("[asymptotic rate]" in ln.get_label() for ln in dashed)
    assert plot_bounds(ax, res, color, metric="grad_norm") == []


def test_cli_plot_bound(tmp_path):
    from theory_lab import cli

    out = tmp_path / "run.npz"
    quad_run(HB).save(out)
    assert cli.main(["plot", str(out), "--bound", "--out", "b", "--outdir", str(tmp_path)]) == 0
    assert (tmp_path / "b.png").is_file()
    assert cli.main(["plot", str(out), "--out", "nb", "--outdir", str(tmp_path)]) == 0


def test_quadratic_risk_protocol_documents_what_exact_bounds_read():
    import problems
    from theory_lab.problem import Problem, QuadraticRiskProblem

    assert isinstance(problems.make("quadratic", d=4), QuadraticRiskProblem)
    sep = problems.make("separable_quadratic", d=4)
    assert isinstance(sep, Problem) and not isinstance(sep, QuadraticRiskProblem)


def test_readme_bounds_section_runs_as_written(monkeypatch, tmp_path):
    """The README's "Bounds and worst-case certificates" examples run (nesterov as in the README)."""
    import re
    from pathlib import Path

    import problems
    import theory_lab.bounds as bounds_mod
    import theory_lab.optimizers as optimizers

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    nesterov = re.search(r"```python\n(.*?)```", text[text.index("## Adding an optimizer"):], re.S).group(1)
    section = text[text.index("## Bounds and worst-case certificates"):]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 3
    monkeypatch.setattr(problems, "REGISTRY", dict(problems.REGISTRY))
    monkeypatch.setattr(optimizers, "REGISTRY", dict(optimizers.REGISTRY))
    monkeypatch.setattr(bounds_mod, "REGISTRY", {k: list(v) for k, v in bounds_mod.REGISTRY.items()})
    monkeypatch.chdir(tmp_path)
    ns = {"kappas": np.array([10.0, 100.0, 1000.0]), "iterations": np.array([3.0, 10.0, 31.0])}
    exec(compile(nesterov, "README:optimizer", "exec"), ns)
    exec(compile(blocks[0], "README:bound", "exec"), ns)
    exec(compile(blocks[1], "README:test", "exec"), ns)
    assert (tmp_path / "nesterov.npz").is_file()
    from theory_lab import cli

    assert cli.main(["plot", "nesterov.npz", "--bound", "--out", "n", "--outdir", str(tmp_path)]) == 0
    from theory_lab.theory.pep import pepit_available

    if pepit_available():
        exec(compile(blocks[2], "README:pep", "exec"), ns)
