"""The command line every figure family shares: ``--n-jobs``, ``--store``, ``--quick``."""

from __future__ import annotations

import argparse

from theory_lab.sweep import ResultStore


def parse_args(doc: str, store: str, argv=None, quick: bool = True) -> argparse.Namespace:
    """Parse the family's options (description: the first line of ``doc``); create the store."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel runs (joblib)")
    parser.add_argument("--store", default=store, help="result cache (default: %(default)s)")
    if quick:
        parser.add_argument("--quick", action="store_true", help="smaller sweeps (smoke test)")
    args = parser.parse_args(argv)
    ResultStore(args.store)  # creates the cache folder
    return args
