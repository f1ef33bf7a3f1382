r"""``theory-lab verify``: measure every registered claim and write the verification report.

Usage::

    theory-lab verify [--paper NAME] [--scale test|figure] [--out figures] [--no-mutants]

Writes ``OUT/VERIFICATION.md`` and ``OUT/verification.json``
(:mod:`theory_lab.claims.report`) and prints one line per claim.  Exit status 0 when every
claim holds (possibly loosely) or disagrees as recorded and every mutant of a claim with a
tolerance or tightness floor is rejected; 1 otherwise; 2 for bad input (an unknown paper).

Registered by :func:`add_verify_parser` on the subcommands of :func:`theory_lab.cli.build_parser`.
"""

from __future__ import annotations

import sys

from .base import SCALES


def add_verify_parser(subparsers):
    """Add the ``verify`` subcommand to ``subparsers`` (an argparse sub-parsers action)."""
    p = subparsers.add_parser("verify", help="measure every claim, try its mutants, write "
                                             "figures/VERIFICATION.md and verification.json")
    p.add_argument("--paper", default=None, help="only this paper's claims (e.g. shb, adagrad)")
    p.add_argument("--scale", choices=SCALES, default="figure",
                   help="test: seconds per claim; figure: the figures' sizes (default)")
    p.add_argument("--out", default="figures", help="output directory (default: figures)")
    p.add_argument("--no-mutants", action="store_true", help="measure the claims only")
    p.set_defaults(func=cmd_verify)
    return p


def cmd_verify(args) -> int:
    """Run the report for ``args`` (paper, scale, out, no_mutants); the exit status."""
    from .report import build_report, write_report

    report = build_report(scale=args.scale, paper=args.paper,
                          mutants=not getattr(args, "no_mutants", False))
    md, js = write_report(report, args.out)
    ok = True
    for entries in report["papers"].values():
        for e in entries:
            loose = e["kind"] == "upper" and e["tightness_floor"] is None
            escaped = [m["name"] for m in e["mutants"] if not m["rejected"]]
            bad = not e["passed"] or (escaped and not loose)
            ok &= not bad
            tail = f"; mutants not rejected: {', '.join(escaped)}" if escaped else ""
            print(f"{e['id']}: {e['status']} ({e['reason'].splitlines()[0][:120]}); "
                  f"mutants rejected {e['mutants_rejected']}/{e['mutants_total']}{tail}")
    s = report["summary"]
    print(f"{s['claims']} claims, mutants rejected {s['mutants_rejected']}/{s['mutants_total']}; "
          f"wrote {md} and {js}", file=sys.stderr)
    return 0 if ok else 1


__all__ = ["add_verify_parser", "cmd_verify"]
