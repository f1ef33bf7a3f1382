"""theory_lab: measured optimization rates checked against theorems' bounds."""

__version__ = "0.1.0"

__all__ = ["RunConfig", "__version__", "run", "run_config"]

# Lazy attributes (PEP 562): ``import theory_lab`` (and the CLI's ``list``) must not pay
# for sympy and the runner; they load on first use of ``theory_lab.RunConfig`` etc.
_LAZY = {"RunConfig": ".config", "run": ".runner", "run_config": ".runner"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
