"""Plugins: problems, optimizers, bounds and claims that live outside the package.

A plugin is ordinary Python that registers things on import (``problems.register``,
``theory_lab.optimizers.register``, ``theory_lab.claims.register``).  It is found in
three places, loaded in this order:

1. the command line: ``theory-lab --plugin PATH ...`` (repeatable);
2. the environment: ``THEORY_LAB_PLUGINS`` (entries separated by :data:`os.pathsep`);
3. installed packages: Python entry points of the group ``"theory_lab.plugins"``, e.g.
   in the plugin package's ``pyproject.toml``::

       [project.entry-points."theory_lab.plugins"]
       my_lab = "my_lab.methods"          # a module (imported) or "pkg.mod:setup" (called)

An entry (``PATH`` or an environment entry) is a ``.py`` file, a folder (every
``*.py`` in it except ``_*.py`` and ``test_*.py``, in name order; a folder with an
``__init__.py`` is imported as one package), a dotted module name, or
``module:function`` (imported, then the function is called once).  A file is
imported under the stable module name ``theory_lab_plugins.<stem>_<8 hex of its path>``
(in :data:`sys.modules`, with ``__file__``), so :func:`inspect.getsource` works on its
factories and the cache fingerprint covers its code.

Sweeps reach the same plugins in their worker processes: :func:`worker_bundle` collects
what a worker needs (the plugin entries loaded here, and, by value, factories registered
from ``__main__`` -- a script or a notebook), and :func:`activate` loads it in the worker
before the run.  Loading is idempotent: a plugin already loaded is not executed again.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "PluginBundle",
    "activate",
    "load_plugin",
    "load_plugins",
    "loaded_plugins",
    "record_registration",
    "worker_bundle",
]

ENV_VAR = "THEORY_LAB_PLUGINS"
ENTRY_POINT_GROUP = "theory_lab.plugins"
#: parent package name of plugin modules loaded from a file path
PACKAGE = "theory_lab_plugins"

# entry (absolute path or module name) -> modules it loaded
_LOADED: dict[str, list[ModuleType]] = {}
_ENTRY_POINTS_DONE = False


# -- registration bookkeeping (used by the problem and optimizer registries) ------------
def origin(factory) -> dict:
    """``{"module": name, "file": path or None}`` of a registered factory."""
    module = getattr(factory, "__module__", None) or "?"
    mod = sys.modules.get(module)
    file = getattr(mod, "__file__", None)
    return {"module": module, "file": str(Path(file).resolve()) if file else None}


def _same_source(a: dict, b: dict) -> bool:
    return a["module"] == b["module"] or (a["file"] is not None and a["file"] == b["file"])


def record_registration(kind: str, registry: dict, origins: dict, name: str, factory) -> None:
    """Put ``factory`` in ``registry[name]`` and its :func:`origin` in ``origins[name]``.

    Re-registering ``name`` from the same module (a re-run notebook cell, a plugin
    loaded twice) replaces the entry with a warning; from another module it raises.

    Raises
    ------
    ValueError
        If ``name`` is registered by a factory of another module.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind} name must be a non-empty string, got {name!r}")
    new = origin(factory)
    old_factory = registry.get(name)
    if old_factory is not None and old_factory is not factory:
        old = origins.get(name) or origin(old_factory)
        if not _same_source(old, new):
            raise ValueError(f"{kind} {name!r} is already registered by module {old['module']!r}")
        warnings.warn(f"{kind} {name!r} re-registered by {new['module']!r}: replacing it",
                      RuntimeWarning, stacklevel=3)
    registry[name] = factory
    origins[name] = new


# -- loading -------------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in path.stem)
    return f"{PACKAGE}.{stem}_{digest}"


def _ensure_package() -> None:
    if PACKAGE not in sys.modules:
        pkg = ModuleType(PACKAGE, "Plugin modules loaded from file paths (theory_lab.plugins).")
        pkg.__path__ = []  # a namespace: submodules are set by load_plugin
        sys.modules[PACKAGE] = pkg


def _load_file(path: Path, package: bool = False) -> ModuleType:
    location = path / "__init__.py" if package else path
    name = _module_name(path)
    digest = hashlib.sha1(location.read_bytes()).hexdigest()
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__plugin_digest__", None) == digest:
        return loaded
    # first load, or the file changed since (a long-lived sweep worker): execute it
    _ensure_package()
    spec = importlib.util.spec_from_file_location(
        name, location, submodule_search_locations=[str(path)] if package else None)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot load plugin {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    module.__plugin_digest__ = digest
    sys.modules[name] = module
    try:
        with warnings.catch_warnings():
            if loaded is not None:  # re-registration by the new version is expected
                warnings.simplefilter("ignore", RuntimeWarning)
            spec.loader.exec_module(module)
    except BaseException:
        if loaded is not None:
            sys.modules[name] = loaded
        else:
            del sys.modules[name]
        raise
    setattr(sys.modules[PACKAGE], name.rpartition(".")[2], module)
    return module


def load_plugin(entry: str | os.PathLike) -> list[ModuleType]:
    """Load one plugin entry (file, folder or dotted module name); idempotent.

    Returns
    -------
    list of module
        The modules the entry loaded.

    Raises
    ------
    ValueError
        If the entry is neither an existing path nor an importable module name.
    """
    text = os.fspath(entry).strip()
    if not text:
        raise ValueError("empty plugin entry")
    path = Path(text).expanduser()
    looks_like_path = path.suffix == ".py" or os.sep in text or (os.altsep or os.sep) in text
    if path.exists() or looks_like_path:
        path = path.resolve()
        key = str(path)
        if path.is_file():
            mods = [_load_file(path)]
        elif path.is_dir() and (path / "__init__.py").is_file():
            mods = [_load_file(path, package=True)]
        elif path.is_dir():
            files = sorted(p for p in path.glob("*.py")
                           if not p.name.startswith(("_", "test_")))
            mods = [_load_file(p) for p in files]
        else:
            raise ValueError(f"plugin not found: {text!r}")
    else:
        key = text
        if key in _LOADED:
            return _LOADED[key]
        module_name, _, func = text.partition(":")  # "pkg.mod" or "pkg.mod:setup"
        try:
            mod = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise ValueError(f"plugin {text!r} is neither a path nor an importable module ({exc})") from None
        if func:
            setup = getattr(mod, func, None)
            if not callable(setup):
                raise ValueError(f"plugin {text!r}: {module_name} has no callable {func!r}")
            setup()
        mods = [mod]
    _LOADED[key] = mods
    return mods


def _env_entries() -> list[str]:
    return [e for e in os.environ.get(ENV_VAR, "").split(os.pathsep) if e.strip()]


def _load_entry_points() -> list[ModuleType]:
    global _ENTRY_POINTS_DONE
    if _ENTRY_POINTS_DONE:
        return []
    _ENTRY_POINTS_DONE = True
    from importlib.metadata import entry_points

    mods = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        # as a plugin entry ("pkg.mod" or "pkg.mod:setup"), so sweep workers load it too
        mods.extend(load_plugin(ep.value.replace(" ", "")))
    return mods


def load_plugins(entries=(), *, env: bool = True, entry_points: bool = True) -> list[ModuleType]:
    """Load the given entries, then ``THEORY_LAB_PLUGINS``, then installed entry points.

    The registries (``problems``, ``theory_lab.optimizers``) are imported first, so a
    plugin's ``register`` calls find them.

    Returns
    -------
    list of module
        The modules loaded (or found already loaded) for the entries and the environment.
    """
    import problems  # noqa: F401  (registries first: plugins register into them)
    import theory_lab.optimizers  # noqa: F401

    mods = []
    for entry in [*entries, *(_env_entries() if env else [])]:
        mods.extend(load_plugin(entry))
    if entry_points:
        mods.extend(_load_entry_points())
    return mods


def loaded_plugins() -> list[str]:
    """Entries loaded so far in this process (absolute paths or module names)."""
    return list(_LOADED)


# -- shipping to sweep workers ---------------------------------------------------------------
class PluginBundle:
    """What a worker process loads before a run: plugin entries and by-value factories.

    Parameters
    ----------
    entries : list of str
        Plugin entries loaded in the parent (absolute paths or module names).
    by_value : dict
        ``{"problems": {name: factory}, "optimizers": {name: factory}}`` for factories
        that a worker cannot import by name (defined in ``__main__``: a script or a
        notebook, or in ``exec``'d code); pickled by value (cloudpickle).
    """

    def __init__(self, entries=(), by_value=None):
        self.entries = list(entries)
        self.by_value = by_value or {}

    def __bool__(self) -> bool:
        return bool(self.entries or any(self.by_value.values()))

    def __repr__(self) -> str:
        n = sum(len(v) for v in self.by_value.values())
        return f"PluginBundle(entries={self.entries!r}, by_value={n} factories)"


def _registries() -> dict:
    import problems
    import theory_lab.optimizers as optimizers

    return {"problems": problems, "optimizers": optimizers}


def _not_importable(module: str) -> bool:
    """Whether a worker cannot import ``module`` by name: ``__main__``, exec'd code, a notebook."""
    if module == "__main__" or module not in sys.modules:
        return True
    return getattr(sys.modules[module], "__file__", None) is None


def worker_bundle(by_value_modules: bool = False) -> PluginBundle:
    """The :class:`PluginBundle` of this process, for a sweep's workers.

    Parameters
    ----------
    by_value_modules : bool
        Also ship the plugin modules' factories by value (``cloudpickle``'s
        ``register_pickle_by_value``), for workers that may not see the plugin files
        (a dask cluster without a shared file system).
    """
    entries = loaded_plugins()
    plugin_modules = {m.__name__ for mods in _LOADED.values() for m in mods}
    if by_value_modules and plugin_modules:
        import cloudpickle

        for name in plugin_modules:
            cloudpickle.register_pickle_by_value(sys.modules[name])
    by_value: dict[str, dict] = {}
    for kind, reg in _registries().items():
        chosen = {}
        for name, factory in reg.REGISTRY.items():
            module = getattr(factory, "__module__", None) or ""
            if _not_importable(module) or (by_value_modules and module in plugin_modules):
                chosen[name] = factory
        by_value[kind] = chosen
    return PluginBundle(entries, by_value)


def activate(bundle: PluginBundle | None) -> None:
    """Load a :class:`PluginBundle` in this (worker) process; cheap when already loaded.

    Entries that are paths missing here are skipped when the bundle carries their
    factories by value; other missing entries raise ``ValueError``.
    """
    if not bundle:
        return
    shipped = any(bundle.by_value.values())
    for entry in bundle.entries:
        if shipped and os.path.isabs(entry) and not os.path.exists(entry):
            continue
        load_plugin(entry)
    regs = _registries()
    for kind, factories in bundle.by_value.items():
        reg = regs[kind]
        for name, factory in factories.items():
            current = reg.REGISTRY.get(name)
            if current is None or getattr(current, "__module__", None) == factory.__module__:
                reg.REGISTRY[name] = factory
                reg.ORIGINS[name] = origin(factory)
