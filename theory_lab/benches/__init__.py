"""Bench sections of the research lines, collected by :mod:`theory_lab.bench`.

Each module here exposes ``bench(mode: str) -> list[dict]`` (``mode`` is ``"full"`` or
``"quick"``), whose lines are built with :func:`theory_lab.bench._line`.
"""

#: Section modules in the order the bench runs them.
SECTIONS: tuple[str, ...] = (
    "theory_lab.benches.adagrad",
    "theory_lab.benches.asgo",
    "theory_lab.benches.decentralized",
)
