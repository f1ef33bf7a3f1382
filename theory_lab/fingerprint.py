"""Code fingerprints: which source files produced a result, and whether they changed.

A cached result is only as good as the code that computed it.  :func:`code_modules`
lists the Python modules a run depends on, each with the SHA-256 of its source file;
:func:`code_fingerprint` condenses that list into one 16-hex-digit string.  The result
store (:mod:`theory_lab.sweep`) records both with every result and, on load, re-hashes
the recorded modules (:func:`changed_modules`): any edit to one of them makes the stored
result stale, so it is recomputed instead of served.

What the fingerprint covers
---------------------------
The *roots* of a run are

1. the lab's core run path, a fixed list (:data:`CORE_MODULES`: the runner, config,
   results, random streams, backends, kernels, validation, schedules, optimizer base);
2. the module defining each **problem factory** named in ``config.problem`` (looked up in
   ``problems.REGISTRY``), nested specs included (e.g. the ``base`` of a ``zo`` wrapper);
3. the module defining each **optimizer factory** named in ``config.optimizer`` (looked up
   in ``theory_lab.optimizers.REGISTRY``; a decentralized method's class module from
   ``theory_lab.decentralized.METHODS``), nested specs included;
4. the module defining the **run function** (``run_fn`` of :func:`~theory_lab.sweep.run_sweep`;
   default :func:`theory_lab.runner.run_config`).

A factory registered from a user module outside the lab (a plugin, in any package or a
loose file) is covered the same way: its module's source file is hashed wherever it lives.

From the roots, imports are followed transitively (``import x`` and ``from x import y``
anywhere in the file, function-level imports included), restricted to the lab's packages
(``theory_lab``, ``problems``) and to the top-level package of each root (so a plugin
package's own helper modules are covered).  ``from pkg import name`` resolves to the
module that *defines* ``name`` (re-exports are followed to their source).  A package
``__init__`` reached that way is hashed but its own imports are not followed (otherwise
``from problems import register`` would pull in every problem module); a root
``__init__`` (e.g. ``theory_lab/optimizers/__init__.py``, which defines ``sgd``) is followed.

Not covered: the lab modules in :data:`NOT_NUMERICAL` (they check inputs, estimate sizes,
load plugins or compute this fingerprint, and cannot change a run's numbers), third-party packages (numpy, scipy, torch: their versions are recorded in a
result's meta by the backend, not checked), code without a source file (functions typed
at an interactive prompt), data files read at run time, and code reached only through
dynamic dispatch that none of the above imports.  The lab version is part of the cache key
separately (:func:`lab_version`).

Source files are hashed as they are on disk; the hash is memoized per process and per
``(path, mtime, size)``, so an edited file is re-hashed on the next call.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys

#: Top-level packages whose imports are followed from any root.
LAB_PACKAGES = ("theory_lab", "problems")

#: The lab's core run path: always part of a run's fingerprint.
CORE_MODULES = (
    "theory_lab.runner",
    "theory_lab.config",
    "theory_lab.results",
    "theory_lab.random",
    "theory_lab.backends",
    "theory_lab.kernels",
    "theory_lab.problem",
    "theory_lab.validation",
    "theory_lab.schedules",
    "theory_lab.optimizers.base",
)

#: Lab modules that cannot change a run's numbers (input checks, size estimates, errors,
#: plugin loading, the fingerprint itself): neither hashed nor followed, so editing them
#: does not make every cached result stale.
NOT_NUMERICAL = (
    "theory_lab.errors",
    "theory_lab.fingerprint",
    "theory_lab.plugins",
    "theory_lab.sizing",
)

__all__ = ["CORE_MODULES", "LAB_PACKAGES", "NOT_NUMERICAL", "changed_modules", "code_fingerprint",
           "code_modules", "lab_version"]

# (modname, path) -> (mtime_ns, size, sha256, deps)
_INFO: dict[tuple[str, str], tuple[int, int, str, tuple[str, ...]]] = {}


def lab_version() -> str:
    """The installed ``theory_lab.__version__`` (read at call time)."""
    return sys.modules["theory_lab"].__version__


def _module_path(name: str) -> str | None:
    """Source file of module ``name`` (loaded or importable), or ``None``."""
    if name.startswith("file:"):  # a script run as __main__: located by its recorded path
        return None
    mod = sys.modules.get(name)
    path = getattr(mod, "__file__", None) if mod is not None else None
    if path is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError, AttributeError):
            spec = None
        path = getattr(spec, "origin", None) if spec is not None else None
    if not path or not str(path).endswith(".py") or not os.path.isfile(path):
        return None
    return os.path.abspath(path)


def _is_package(name: str, path: str) -> bool:
    return os.path.basename(path) == "__init__.py"


def _resolve_from(base: str, names: list[str]) -> list[str]:
    """Modules behind ``from base import names``: a submodule, or the defining module."""
    out = []
    mod = sys.modules.get(base)
    if mod is None:
        try:
            mod = importlib.import_module(base)
        except Exception:  # noqa: BLE001 - an unimportable module cannot be hashed
            return [base]
    for n in names:
        sub = f"{base}.{n}"
        if n == "*":
            out.append(base)
            continue
        obj = getattr(mod, n, None)
        if inspect.ismodule(obj):
            out.append(obj.__name__)
        elif obj is None and _module_path(sub) is not None:
            out.append(sub)
        elif isinstance(getattr(obj, "__module__", None), str) and (
                inspect.isfunction(obj) or inspect.isclass(obj)):
            out.append(obj.__module__)
        else:
            out.append(base)
    return out


def _imports(name: str, path: str, source: bytes) -> tuple[str, ...]:
    """Module names imported anywhere in ``source`` (resolved, not yet filtered)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    package = name if _is_package(name, path) else name.rpartition(".")[0]
    deps = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            deps.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                if node.level - 1 > len(parts):
                    continue
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base:
                deps.append((base, [a.name for a in node.names]))
    out = []
    for dep in deps:
        if isinstance(dep, tuple):
            base, names = dep
            out.extend(_resolve_from(base, names) if _allowed_top(base) else [base])
        else:
            out.append(dep)
    return tuple(dict.fromkeys(out))


_ALLOWED: set[str] = set(LAB_PACKAGES)


def _allowed_top(name: str) -> bool:
    return name.partition(".")[0] in _ALLOWED


def _info(name: str, path: str) -> tuple[str, tuple[str, ...]]:
    """(sha256 of the file, imported module names), memoized per file state."""
    st = os.stat(path)
    key = (name, path)
    hit = _INFO.get(key)
    if hit is not None and hit[:2] == (st.st_mtime_ns, st.st_size):
        return hit[2], hit[3]
    with open(path, "rb") as fh:
        source = fh.read()
    digest = hashlib.sha256(source).hexdigest()
    deps = _imports(name, path, source)
    _INFO[key] = (st.st_mtime_ns, st.st_size, digest, deps)
    return digest, deps


def _object_root(obj) -> tuple[str, str | None] | None:
    """(module name, source path) of a function, class, partial or callable instance."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        obj = type(obj)
    name = getattr(obj, "__module__", None)
    if not isinstance(name, str):
        return None
    try:
        path = inspect.getsourcefile(obj)
    except (TypeError, OSError):
        path = None
    path = os.path.abspath(path) if path and os.path.isfile(path) else None
    if name == "__main__":  # a script or ``python -m pkg.mod``: name it stably
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        main_file = getattr(main, "__file__", None)
        same = path is not None and main_file and os.path.abspath(main_file) == path
        name = spec.name if (same and spec is not None and spec.name) else f"file:{path}"
        return (name, path) if path else None
    path = _module_path(name) or path
    return (name, path) if path else None


def _spec_names(spec) -> list[str]:
    """Every ``"name"`` of a (possibly nested) problem/optimizer spec."""
    out = []
    if isinstance(spec, dict):
        if isinstance(spec.get("name"), str):
            out.append(spec["name"])
        for v in spec.values():
            out.extend(_spec_names(v))
    elif isinstance(spec, (list, tuple)):
        for v in spec:
            out.extend(_spec_names(v))
    return out


def _factory_roots(config) -> list[tuple[str, str | None]]:
    import problems

    from . import optimizers

    roots = []
    for name in _spec_names(config.problem) + _spec_names(config.optimizer):
        factory = problems.REGISTRY.get(name) or optimizers.REGISTRY.get(name)
        if factory is None and name not in problems.REGISTRY:
            try:  # decentralized methods: name -> (class, defaults)
                from .decentralized import METHODS
                factory = METHODS.get(name, (None,))[0]
            except Exception:  # noqa: BLE001
                factory = None
        root = _object_root(factory) if factory is not None else None
        if root is not None:
            roots.append(root)
    return roots


def code_modules(config, run_fn=None) -> dict[str, dict[str, str]]:
    """Modules that produce ``config``'s result, with the SHA-256 of their source.

    Parameters
    ----------
    config : RunConfig
        The run.
    run_fn : callable, optional
        The run function (default :func:`theory_lab.runner.run_config`); a partial or a
        callable instance is traced to its function or class.

    Returns
    -------
    dict
        ``{module name: {"path": source file, "sha256": hex digest}}``, sorted by name;
        see the module docstring for what is included.
    """
    if run_fn is None:
        from .runner import run_config as run_fn
    roots = [(n, _module_path(n)) for n in CORE_MODULES]
    roots += _factory_roots(config)
    fn_root = _object_root(run_fn)
    if fn_root is not None:
        roots.append(fn_root)
    roots = [(n, p) for n, p in roots if p]
    for n, _ in roots:
        _ALLOWED.add(n.partition(".")[0])
    out: dict[str, dict[str, str]] = {}
    root_names = {n for n, _ in roots}
    stack = list(roots)
    while stack:
        name, path = stack.pop()
        if name in out:
            continue
        digest, deps = _info(name, path)
        out[name] = {"path": path, "sha256": digest}
        if _is_package(name, path) and name not in root_names:
            continue
        for dep in deps:
            if dep in out or dep in NOT_NUMERICAL or not _allowed_top(dep):
                continue
            dpath = _module_path(dep)
            if dpath is not None:
                stack.append((dep, dpath))
    return dict(sorted(out.items()))


def fingerprint_of(modules: dict[str, dict[str, str]]) -> str:
    """16-hex-digit SHA-256 over the ``name:sha256`` lines of ``modules``."""
    text = "".join(f"{name}:{m['sha256']}\n" for name, m in sorted(modules.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def code_fingerprint(config, run_fn=None) -> str:
    """16-hex-digit fingerprint of the source code that produces ``config``'s result.

    It changes when any module listed by :func:`code_modules` changes on disk: the
    problem and optimizer factories' modules (plugins included, wherever they live), the
    modules they import from the lab or from their own package, the lab's core run path
    (:data:`CORE_MODULES`) and the run function's module.  See the module docstring.
    """
    return fingerprint_of(code_modules(config, run_fn))


def changed_modules(recorded: dict[str, dict[str, str]]) -> list[str]:
    """Names of recorded modules whose source changed or can no longer be found.

    A module is located by name first (the current checkout's copy), then by the
    recorded path.
    """
    changed = []
    for name, rec in sorted(recorded.items()):
        path = _module_path(name) or (rec.get("path") if os.path.isfile(rec.get("path") or "")
                                      else None)
        if path is None:
            changed.append(name)
            continue
        try:
            digest, _ = _info(name, os.path.abspath(path))
        except OSError:
            changed.append(name)
            continue
        if digest != rec.get("sha256"):
            changed.append(name)
    return changed
