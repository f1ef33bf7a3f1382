"""theory_lab: measured optimization rates checked against theorems' bounds."""

__version__ = "0.1.0"

from .config import RunConfig  # noqa: E402
from .runner import run, run_config  # noqa: E402

__all__ = ["RunConfig", "__version__", "run", "run_config"]
