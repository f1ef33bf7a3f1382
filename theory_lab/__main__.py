"""``python -m theory_lab``: the command-line interface (see :mod:`theory_lab.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
