"""Command-line interface: ``theory-lab`` (or ``python -m theory_lab``).

Subcommands::

    theory-lab list problems|optimizers
    theory-lab run --problem quadratic -p d=100 -p kappa=1e3 --optimizer shb \\
        -o lr=1/L -o "beta=(1-1/sqrt(kappa))**2" --T 1000 --batch-size 8 --seeds 0:16 \\
        [--epsilon 1e-3] [--out results/run.npz] [--backend numpy --device cpu --dtype float64 --rng host]
    theory-lab sweep config.json [--cache results/cache | --no-cache] [--n-jobs 2] \\
        [--engine joblib|sequential|dask] [--dask-address tcp://...] [--refresh] [--allow-large]
    theory-lab plot RESULT.npz [RESULT2.npz ...] --out NAME [--outdir figures] \\
        [--metric suboptimality] [--x steps|samples]
    theory-lab figures [shb|all] [ARGS for experiments.<name>.main ...]
    theory-lab new problem|optimizer NAME [--dir lab_plugins] [--force]
    theory-lab --plugin PATH ...   (plugins: see theory_lab.plugins; repeatable)

``KEY=VALUE`` parameters are read as int, float, bool or null when they look like one,
else kept as strings (expressions such as ``1/L`` are evaluated by the config against
the problem's constants).  Invalid input prints one line ``theory-lab: error: ...`` to
stderr and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import os
import pkgutil
import sys
import zipfile
from pathlib import Path

import numpy as np

from .errors import UserError

PROG = "theory-lab"
#: result store of ``theory-lab sweep`` without ``--cache``
DEFAULT_STORE = "results/cache"
EXIT_USAGE = 2


# -- value parsing -------------------------------------------------------------------
def parse_value(text: str):
    """``"100"`` -> 100, ``"1e3"`` -> 1000.0, ``"true"`` -> True, ``"null"`` -> None,
    anything else (e.g. ``"1/L"``) stays a string.

    Types are settled against the factory's signature when the run starts
    (:func:`theory_lab.validation.check_call`): a boolean parameter also takes
    ``yes/no/on/off/1/0`` and refuses anything else, a numeric one refuses ``true``, an
    integer one takes an integral float (``d=1e2``)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_assignments(items: list[str] | None, what: str) -> dict:
    """``["d=100", "kappa=1e3"]`` -> ``{"d": 100, "kappa": 1000.0}``."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise UserError(f"{what} parameter must look like KEY=VALUE, got {item!r}")
        if key == "name":
            raise UserError(f"{what} parameter 'name' is set by --{what}, got {item!r}")
        if key in out:
            raise UserError(f"{what} parameter {key!r} is given twice ({key}={out[key]!r} and {item!r})")
        out[key] = parse_value(value.strip())
    return out


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"0:16"`` (range, optional ``:step``), ``"1,2,5"`` (list) or ``"3"``."""
    s = text.strip()
    try:
        if ":" in s:
            parts = [int(p) for p in s.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            seeds = tuple(range(*parts))
        else:
            seeds = tuple(int(p) for p in s.split(",") if p.strip())
    except ValueError:
        raise ValueError(f"--seeds must be a range 'a:b' or a list '1,2,5', got {text!r}") from None
    if not seeds:
        raise ValueError(f"--seeds selects no seeds: {text!r}")
    if min(seeds) < 0:
        raise ValueError(f"seeds must be >= 0, got {text!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds has duplicates: {text!r}")
    return seeds


# -- summaries -------------------------------------------------------------------------
def _fmt(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.3g}"


def final_values(result) -> np.ndarray:
    """Last recorded suboptimality of each non-diverged seed."""
    vals = []
    for row, d in zip(result.suboptimality, result.diverged_at, strict=True):
        finite = np.flatnonzero(np.isfinite(row))
        if d < 0 and finite.size:
            vals.append(row[finite[-1]])
    return np.asarray(vals, dtype=float)


def summarize(result) -> dict:
    """Final median suboptimality (non-diverged seeds), band, divergence counts."""
    from .rates import median_band

    S = len(result.diverged_at)
    n_div = int(np.sum(result.diverged_at >= 0))
    final = final_values(result)
    if final.size:
        med, lo, hi = (float(np.asarray(v).reshape(-1)[0]) for v in median_band(final[:, None]))
    else:
        med = lo = hi = math.nan
    return {"S": S, "diverged": n_div, "median": med, "lo": lo, "hi": hi}


def _divergence_text(result) -> str:
    div = result.diverged_at[result.diverged_at >= 0]
    S = len(result.diverged_at)
    if div.size == 0:
        return f"0/{S} seeds diverged"
    lo, hi = int(div.min()), int(div.max())
    at = f"step {lo}" if lo == hi else f"steps {lo}-{hi}"
    return f"{div.size}/{S} seeds diverged (at {at})"


def print_run_summary(result, out=None) -> None:
    out = sys.stdout if out is None else out
    s = summarize(result)
    cfg = result.config
    print(f"config   {result.config_hash}  {cfg['problem']['name']} x {cfg['optimizer']['name']}, "
          f"T={cfg['T']}, batch={cfg['batch_size']}, {s['S']} seeds", file=out)
    if s["diverged"] == s["S"]:
        print("final    f - f* : all seeds diverged", file=out)
    else:
        over = f"over {s['S'] - s['diverged']}/{s['S']} non-diverged seeds"
        print(f"final    f - f* : median {_fmt(s['median'])}  "
              f"[10%: {_fmt(s['lo'])}, 90%: {_fmt(s['hi'])}] {over}", file=out)
    print(f"diverged {_divergence_text(result)}", file=out)
    if cfg.get("epsilon") is not None:
        hits = result.hit_step[result.hit_step >= 0]
        text = f"{hits.size}/{s['S']} seeds reached eps={cfg['epsilon']:g}"
        if hits.size:
            text += f" (median step {int(np.median(hits))})"
        print(f"epsilon  {text}", file=out)
    print(f"wall     {result.meta.get('wall_time', math.nan):.3f} s "
          f"({result.meta.get('backend')}/{result.meta.get('device')}/{result.meta.get('dtype')})",
          file=out)


# -- subcommands ---------------------------------------------------------------------------
#: ``--runner`` choices: how a config is run (``module:function`` taking a RunConfig).
RUNNERS = {
    "default": "theory_lab.runner:run_config",
    "decentralized": "theory_lab.decentralized:run_decentralized",
    "local": "theory_lab.local_updates:run_local_config",
    "dnasa": "theory_lab.decentralized.dnasa:run_dnasa",
}


def runner_function(name: str):
    """The run function behind a ``--runner`` name."""
    import importlib

    if name not in RUNNERS:
        raise ValueError(f"unknown runner {name!r}; available: {', '.join(RUNNERS)}")
    module, func = RUNNERS[name].split(":")
    return getattr(importlib.import_module(module), func)


def _other_methods() -> dict[str, dict[str, tuple[str, str]]]:
    """Methods with their own runner: decentralized (agents) and local updates (workers)."""
    from . import local_updates
    from .decentralized import METHODS

    return {
        "decentralized": {k: (summary_line(inspect.getdoc(cls)),
                              ", ".join(f"{p}={v!r}" for p, v in defaults.items()))
                          for k, (cls, defaults) in sorted(METHODS.items())},
        "local": {k: ("local-update method (workers x inner steps)", "")
                  for k in local_updates.METHODS},
    }


_RST = [
    (r":math:`([^`]*)`", r"\1"),                  # :math:`L` -> L
    (r":[a-z]+:`~?(?:[\w.]*\.)?([^`]*)`", r"\1"),  # :func:`~a.b` -> b
    (r"``([^`]*)``", r"\1"),                      # ``x`` -> x
    (r"`([^`]*)`_?", r"\1"),
    (r"\*\*([^*]*)\*\*", r"\1"),
    (r"\\(?:mathrm|operatorname|text|mathbf|boldsymbol)\{([^}]*)\}", r"\1"),
    (r"\\(?:leftarrow|gets)\b", "<-"),
    (r"\\(?:rightarrow|to)\b", "->"),
    (r"\^\\top\b", "^T"),
    (r"\\([a-zA-Z]+)", r"\1"),                  # \kappa -> kappa
    (r"\\[,;:! ]", " "),                          # math spacing
    (r"\\([|{}_])", r"\1"),
    (r"[{}$]", ""),
    (r"\s+", " "),
]


def plain_text(text: str) -> str:
    """Docstring text without RST roles, math markup and backslashes, on one line."""
    import re

    for pattern, repl in _RST:
        text = re.sub(pattern, repl, text)
    return text.strip()


def summary_line(doc: str | None, width: int = 100) -> str:
    """First sentence of a docstring's first paragraph, as plain text."""
    import re

    para = (doc or "").strip().split("\n\n")[0]
    text = plain_text(para)
    end = re.search(r"(?<!\bal)(?<!\bet)(?<!\be\.g)(?<!\.[a-z])\.\s+(?=[A-Z(\[])", text)
    if end:
        text = text[: end.start() + 1]
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def signature_text(factory) -> str:
    """``"lr, beta, n_stages=4"``: a factory's parameters with defaults (``T`` left out)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return ""
    out = []
    for p in params:
        if p.name == "T" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(out)


def cmd_list(args) -> int:
    if args.what == "problems":
        import problems as registry

        blocks = {None: None}
    else:
        from . import optimizers as registry

        blocks = {None: None, **_other_methods()}
    blocks[None] = {k: (summary_line(inspect.getdoc(f)), signature_text(f))
                    for k, f in sorted(registry.REGISTRY.items())}
    width = max((len(k) for entries in blocks.values() for k in entries), default=0)
    for runner, entries in blocks.items():
        if runner is not None:
            print(f"\n# with --runner {runner}")
        for name, (doc, params) in entries.items():
            tail = f"  [{params}]" if params else ""
            print(f"{name:<{width}}  {doc or '(no docstring)'}{tail}")
    return 0


def check_out_path(path: str) -> Path:
    """``--out`` must name a file whose folder exists or can be created and is writable."""
    p = Path(path)
    if p.is_dir():
        raise UserError(f"--out {path!r} is a directory; give a file name such as {str(p / 'run.npz')!r}")
    parent = p.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"--out {path!r}: {str(parent)!r} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"--out {path!r}: directory {str(parent)!r} is not writable")
    return p


def cmd_run(args) -> int:
    from .config import RunConfig

    if args.out:
        check_out_path(args.out)

    config = RunConfig(
        problem={"name": args.problem, **parse_assignments(args.p, "problem")},
        optimizer={"name": args.optimizer, **parse_assignments(args.o, "optimizer")},
        T=args.T,
        batch_size=args.batch_size,
        seeds=parse_seeds(args.seeds),
        n_checkpoints=args.n_checkpoints,
        epsilon=args.epsilon,
        stop_at_epsilon=args.stop_at_epsilon,
        backend=args.backend,
        device=args.device,
        dtype=args.dtype,
        rng=args.rng,
    )
    if args.runner == "default":
        result = runner_function(args.runner)(config, allow_large=args.allow_large)
    else:
        from .sizing import check

        check(config, allow_large=args.allow_large)
        result = runner_function(args.runner)(config)
    print_run_summary(result)
    if args.out:
        path = result.save(args.out)
        print(f"saved    {path}")
    return 0


def load_sweep_spec(path: str | Path):
    """Base config and grid of a sweep JSON file ``{"base": {...}, "grid": {...}}``."""
    from .config import RunConfig

    path = Path(path)
    try:
        spec = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"sweep config not found: {str(path)!r}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"sweep config {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("base"), dict):
        raise ValueError(f"sweep config {str(path)!r} needs a 'base' object of RunConfig fields")
    grid = spec.get("grid", {})
    if not isinstance(grid, dict) or not all(isinstance(v, list) for v in grid.values()):
        raise ValueError(f"'grid' of {str(path)!r} must map dotted keys to lists, got {grid!r}")
    # JSON has no tuple keys: "batch_size,T": [[1, 1000], [10, 100]] zips parameters
    grid = {(tuple(k.split(",")) if "," in k else k): v for k, v in grid.items()}
    base = dict(spec["base"])
    if isinstance(base.get("seeds"), str):
        base["seeds"] = parse_seeds(base["seeds"])
    try:
        base_config = RunConfig.from_dict(base)
    except TypeError as exc:  # unknown / missing fields
        raise ValueError(f"bad 'base' in {str(path)!r}: {exc}") from None
    return base_config, grid


def _lookup(config, key) -> str:
    """Value of a (dotted, or zipped tuple of) grid key in ``config``, as text."""
    if isinstance(key, tuple):
        return ",".join(_lookup(config, k) for k in key)
    return str(config.get_path(key))


def cmd_sweep(args) -> int:
    from .sweep import ResultStore, expand_grid, run_sweep

    base, grid = load_sweep_spec(args.config)
    configs = expand_grid(base, grid)
    if args.no_cache and args.cache:
        raise ValueError("--cache and --no-cache exclude each other")
    cache = None if args.no_cache else (args.cache or DEFAULT_STORE)
    if cache is not None and not args.cache:
        print(f"{PROG}: storing results in {cache} (default; --cache DIR to change, "
              "--no-cache to keep nothing)", file=sys.stderr)
    store = ResultStore(cache) if cache else None
    results = run_sweep(
        configs, store=store, n_jobs=args.n_jobs, engine=args.engine,
        progress=not args.quiet, dask_address=args.dask_address,
        run_fn=None if args.runner == "default" else runner_function(args.runner),
        refresh=args.refresh, allow_large=args.allow_large,
    )
    keys = list(grid)
    names = [",".join(k) if isinstance(k, tuple) else k for k in keys]
    header = [*names, "hash", "final f-f* (median)", "diverged"]
    rows = []
    for config, result in zip(configs, results, strict=True):
        s = summarize(result)
        med = "diverged" if s["diverged"] == s["S"] else _fmt(s["median"])
        rows.append([*(_lookup(config, k) for k in keys), result.config_hash, med,
                     f"{s['diverged']}/{s['S']}"])
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    where = f" (cache: {cache})" if store is not None else " (no cache: nothing kept)"
    print(f"{len(configs)} configs, {results.report.summary()}{where}")
    return 0


def cmd_plot(args) -> int:
    from .plotting import add_legend, legend_labels, new_figure, plot_runs, save_figure
    from .results import RunResult

    results = []
    for path in args.results:
        if not Path(path).is_file():
            raise ValueError(f"result file not found: {path!r}")
        try:
            results.append(RunResult.load(path))
        except (OSError, KeyError, EOFError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"cannot read result file {path!r} (empty, truncated or not a result): {why}") from None
    labels = legend_labels(results)  # keyed by what differs among the results, never hashes
    fig, ax = new_figure(logx=args.logx)
    try:
        for result, label in zip(results, labels, strict=True):
            plot_runs(ax, result, label=label, metric=args.metric, x=args.x)
    except ValueError:
        fig.clear()
        raise
    if args.title:
        ax.set_title(args.title)
    add_legend(ax)
    for path in save_figure(fig, args.out, outdir=args.outdir):
        print(f"wrote {path}")
    return 0


def cmd_new(args) -> int:
    from .scaffold import scaffold

    paths = scaffold(args.kind, args.name, args.dir, force=args.force)
    for path in paths:
        print(f"wrote {path}")
    listing = "problems" if args.kind == "problem" else "optimizers"
    print(f"next: theory-lab --plugin {args.dir} list {listing}   (tests: pytest {args.dir})")
    return 0


def experiment_names() -> list[str]:
    """Modules of the ``experiments`` package (each with a ``main()``)."""
    import experiments

    return sorted(m.name for m in pkgutil.iter_modules(experiments.__path__)
                  if not m.name.startswith("_"))


def cmd_figures(args) -> int:
    names = experiment_names()
    if args.which == "all":
        selected = names
    elif args.which in names:
        selected = [args.which]
    else:
        available = ", ".join([*names, "all"]) if names else "none yet (experiments/ is empty)"
        raise ValueError(f"unknown experiment {args.which!r}; available: {available}")
    for name in selected:
        module = importlib.import_module(f"experiments.{name}")
        main = getattr(module, "main", None)
        if main is None:
            if args.which == "all":
                continue
            raise ValueError(f"experiments.{name} has no main()")
        print(f"== experiments.{name}")
        rc = _call_main(main, f"experiments.{name}", list(args.args))
        if rc:
            return rc
    return 0


def _call_main(main, prog: str, argv: list[str]) -> int:
    """Call an experiment's ``main``, giving it ``argv`` (and nothing of ours)."""
    try:
        params = inspect.signature(main).parameters
    except (TypeError, ValueError):
        params = {}
    saved = sys.argv
    sys.argv = [prog, *argv]  # an argparse main(argv=None) sees only its own arguments
    try:
        rc = main(argv) if params else main()
    except SystemExit as exc:  # its argparse rejected the arguments (message printed)
        rc = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return rc if isinstance(rc, int) else 0


# -- parser ----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, so that :func:`main` controls the exit status."""

    def error(self, message):
        raise _UsageError(self, message)


class _UsageError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str):
        super().__init__(message)
        self.parser = parser


def _plugin_option(p) -> None:
    """``--plugin`` after the subcommand too (``theory-lab run --plugin lab_plugins ...``)."""
    p.add_argument("--plugin", dest="sub_plugin", action="append", default=[], metavar="PATH",
                   help="load plugins from a .py file, a folder or a module (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Measured optimization rates against theorems' bounds.")
    parser.add_argument("--plugin", action="append", default=[], metavar="PATH",
                        help="load problems/optimizers/claims from a .py file, a folder or a "
                             "module (repeatable; also THEORY_LAB_PLUGINS and entry points)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="list registered problems or optimizers")
    p.add_argument("what", choices=["problems", "optimizers"])
    _plugin_option(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="run one config over seeds and summarise it")
    p.add_argument("--problem", required=True, help="registered problem name")
    p.add_argument("-p", action="append", metavar="KEY=VALUE", help="problem parameter")
    p.add_argument("--optimizer", required=True, help="registered optimizer name")
    p.add_argument("-o", action="append", metavar="KEY=VALUE",
                   help="optimizer parameter (expressions in the problem constants allowed)")
    p.add_argument("--T", "-T", type=int, required=True, help="number of steps")
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--seeds", default="0", help="'0:16' (range) or '1,2,5' (list)")
    p.add_argument("--epsilon", type=float, default=None, help="target suboptimality")
    p.add_argument("--stop-at-epsilon", action="store_true")
    p.add_argument("--n-checkpoints", type=int, default=60)
    p.add_argument("--out", help="save the result (.npz)")
    p.add_argument("--backend", default="numpy")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float64")
    p.add_argument("--rng", default="host", choices=("host", "device"),
                   help="draw noise on the host (same numbers on every backend) or on the device")
    p.add_argument("--runner", default="default", choices=list(RUNNERS),
                   help="decentralized / local-update / D-NASA methods have their own runner")
    p.add_argument("--allow-large", action="store_true",
                   help="run even when the size guard estimates more memory than is available")
    _plugin_option(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sweep", help="run a grid of configs from a JSON file")
    p.add_argument("config", help='JSON file {"base": {RunConfig fields}, "grid": {key: [...]}}')
    p.add_argument("--cache", default=None,
                   help=f"result store directory (re-runs are served from it; default {DEFAULT_STORE})")
    p.add_argument("--no-cache", action="store_true", help="keep nothing (no result store)")
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--engine", choices=["joblib", "sequential", "dask"], default="joblib")
    p.add_argument("--dask-address", default=None)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--runner", default="default", choices=list(RUNNERS),
                   help="decentralized / local-update / D-NASA methods have their own runner")
    p.add_argument("--refresh", action="store_true",
                   help="recompute every config even when a valid result is cached")
    p.add_argument("--allow-large", action="store_true",
                   help="run even when the size guard estimates more memory than is available")
    _plugin_option(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("plot", help="plot saved results (median and quantile band over seeds)")
    p.add_argument("results", nargs="+", metavar="RESULT.npz")
    p.add_argument("--out", required=True, help="figure name (without extension)")
    p.add_argument("--outdir", default="figures")
    p.add_argument("--metric", default="suboptimality")
    p.add_argument("--x", choices=["steps", "samples"], default="steps")
    p.add_argument("--logx", action="store_true", help="log-scale x axis")
    p.add_argument("--title", default=None)
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("new", help="write a new problem or optimizer plugin and its test")
    p.add_argument("kind", choices=["problem", "optimizer"])
    p.add_argument("name", help="registered name (a lowercase Python identifier)")
    p.add_argument("--dir", default="lab_plugins", help="folder of the plugin files (default lab_plugins)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("figures", help="run experiment modules (experiments.<name>.main)")
    p.add_argument("which", nargs="?", default="all", help="experiment name or 'all'")
    p.add_argument("args", nargs=argparse.REMAINDER,
                   help="passed to the experiment's main(), e.g. --quick --n-jobs 4")
    p.set_defaults(func=cmd_figures)
    from .claims.cli import add_verify_parser  # theory-lab verify (theory_lab/claims/cli.py)
    add_verify_parser(sub)
    return parser


def load_cli_plugins(args) -> None:
    """Load ``--plugin`` entries, ``THEORY_LAB_PLUGINS`` and entry points (not for plot/new)."""
    if args.command in ("plot", "new"):
        return
    from .plugins import load_plugins

    load_plugins([*(getattr(args, "plugin", None) or []), *(getattr(args, "sub_plugin", None) or [])])


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (a multi-line message is joined)."""
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text or type(exc).__name__


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        exc.parser.print_usage(sys.stderr)
        return _error(str(exc))
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    try:
        load_cli_plugins(args)
        return args.func(args)
    except ValueError as exc:  # UserError and the checks' ValueErrors
        return _error(_one_line(exc))
    except OSError as exc:  # unreadable / unwritable paths named by the user
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        return _error(f"{exc.strerror or type(exc).__name__}{where}" if exc.strerror else _one_line(exc))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
