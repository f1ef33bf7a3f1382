r"""Verification report: every registered claim measured, judged and its mutants tried.

:func:`build_report` measures each claim of :func:`theory_lab.claims.load_all` (optionally
one paper) at a scale, judges it with :func:`theory_lab.claims.check`, measures each mutant
and counts the rejected ones; :func:`write_report` writes ``VERIFICATION.md`` (Markdown, one
table per paper, then the disagreements stated plainly) and ``verification.json`` (the same,
machine readable) into ``figures/``.

Statuses (:data:`theory_lab.claims.STATUSES`): ``holds`` (within the theory's tolerance; for an
upper bound also above its tightness floor), ``holds, loose`` (below a bound that has no
tightness floor: the check cannot tell much), ``disagrees`` (the reproducible measurement
differs from the paper, cause recorded), ``not measurable`` (the measurement raised, or a
module of ``Claim.requires`` is not installed: "needs PEPit (pip install PEPit)"), and
``fails``.

The header records the package version, the date, the scale and a code fingerprint
(``git describe --always --dirty`` of the checkout, else a SHA-256 of the package's sources).

References
----------
Design note ``shared/design-notes.md`` ("theory-lab verify writes the report from the same
objects").
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import platform
import subprocess
import traceback
from pathlib import Path

from .base import Claim, check, measure, missing_requirements, rejects, requirement_reason

#: display names of the paper keys (unknown keys are shown as they are)
PAPER_TITLES = {
    "shb": "Stochastic heavy ball under anisotropic gradient noise (Pan, Liu, Wang, Zhang, ICLR 2024)",
    "adagrad": "AdaGrad under anisotropic smoothness (Liu, Pan, Zhang, ICLR 2025)",
    "asgo": "ASGO, adaptive structured gradient optimization (An et al., NeurIPS 2025)",
    "decentralized": "Decentralized variance-reduced finite sums (Liu, Chen, Luo, ICML 2024)",
    "dnasa": "D-NASA, parameter-free decentralized non-convex (Li, Chen, Ma, Hong 2024)",
    "scale": "SCALE, column-normalized SGD (Glentis, Li, Han, Hong 2025)",
    "zeroth_order": "Zeroth-order optimization (Nesterov & Spokoiny 2017)",
    "diloco": "Local updates with outer momentum: DiLoCo and local SGD",
    "assoc_memory": "Muon outperforms Adam in tail-end associative memory learning (ICLR 2026)",
    "pep": "Tight finite-n worst cases by performance estimation (PEPit; Drori & Teboulle 2014, "
           "Taylor, Hendrickx, Glineur 2017)",
}

ROOT = Path(__file__).resolve().parents[2]


def fingerprint(root: Path = ROOT) -> str:
    """``git describe --always --dirty`` of ``root``, else ``sha256:<12 hex>`` of its sources."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=root,
                             capture_output=True, text=True, timeout=10, check=True)
        if out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    h = hashlib.sha256()
    for sub in ("theory_lab", "problems", "experiments"):
        for f in sorted((root / sub).rglob("*.py")):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return "sha256:" + h.hexdigest()[:12]


def _num(x):
    """JSON-safe number: non-finite floats become the strings 'nan', 'inf', '-inf'."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else str(x)


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _clean(obj.tolist())
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (int, float)):
        return _num(obj) if isinstance(obj, float) else obj
    return repr(obj)


def predicted_text(c: Claim) -> str:
    """The prediction with its tolerance, as the check applies it."""
    if c.kind == "exponent":
        return f"slope {c.predicted:g} ± {c.tolerance:g}"
    if c.kind == "equal":
        if c.predicted == 0:
            return f"0 (abs. tol {c.tolerance:g})"
        return f"{c.predicted:g} (rel. tol {c.tolerance:g})"
    if c.kind == "order":
        return f"factor ≥ {c.predicted:g}"
    floor = f", tightness ≥ {c.tightness_floor:.3g}" if c.tightness_floor is not None else \
        ", no tightness floor"
    slack = f" (+{c.tolerance:g})" if c.tolerance else ""
    return f"≤ bound{slack}{floor}"


def _measure_entry(c: Claim, scale: str, variant: dict | None):
    missing = missing_requirements(c)
    if missing:  # an optional dependency is not installed: not measured
        return None, requirement_reason(missing)
    try:
        return measure(c, scale, variant), None
    except Exception as exc:  # noqa: BLE001 - a claim that cannot be measured is reported
        return None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"


def claim_entry(c: Claim, scale: str = "test", mutants: bool = True) -> dict:
    """Measure, judge and try the mutants of one claim; a JSON-ready dict."""
    m, err = _measure_entry(c, scale, None)
    entry = {"id": c.id, "paper": c.paper, "statement": c.statement, "source": c.source,
             "kind": c.kind, "predicted": _num(c.predicted), "tolerance": _num(c.tolerance),
             "predicted_text": predicted_text(c), "tightness_floor": _num(c.tightness_floor),
             "figure": c.figure}
    if m is None:
        entry.update(status="not measurable", passed=False, reason=err.splitlines()[0],
                     measured=None, ci=None, bound=None, tightness=None)
    else:
        v = check(c, m)
        entry.update(status=v.status, passed=v.passed, reason=v.reason, measured=_num(m.value),
                     ci=[_num(x) for x in m.ci] if m.ci else None, bound=_num(m.bound),
                     tightness=_num(m.tightness), details=_clean(m.details))
    if c.disagreement is not None:
        d = c.disagreement
        entry["disagreement"] = {"measured": _num(d.measured),
                                 "interval": [_num(x) for x in d.interval], "cause": d.cause}
    rows = []
    if mutants:
        for mu in c.mutants:
            mm, merr = _measure_entry(c, scale, mu.variant)
            if mm is None:
                rows.append({"name": mu.name, "description": mu.description, "rejected": False,
                             "measured": None,
                             "reason": "not measurable: " + merr.splitlines()[0]})
            else:
                rows.append({"name": mu.name, "description": mu.description,
                             "rejected": rejects(c, mm), "measured": _num(mm.value),
                             "reason": check(c, mm).reason})
    entry["mutants"] = rows
    entry["mutants_rejected"] = sum(r["rejected"] for r in rows)
    entry["mutants_total"] = len(rows)
    return entry


def build_report(scale: str = "test", paper: str | None = None, mutants: bool = True,
                 claims: dict | None = None) -> dict:
    """Measure every claim (of ``paper``, if given) at ``scale``: the report as a dict."""
    from theory_lab import __version__

    from . import load_all

    claims = load_all() if claims is None else claims
    selected = {k: c for k, c in sorted(claims.items()) if paper is None or c.paper == paper}
    if paper is not None and not selected:
        papers = sorted({c.paper for c in claims.values()})
        raise ValueError(f"no claims for paper {paper!r}; papers: {', '.join(papers)}")
    entries = [claim_entry(c, scale, mutants) for c in selected.values()]
    by_paper: dict[str, list] = {}
    for e in entries:
        by_paper.setdefault(e["paper"], []).append(e)
    counts = {s: sum(e["status"] == s for e in entries)
              for s in ("holds", "holds, loose", "disagrees", "not measurable", "fails")}
    import numpy as np

    return {
        "header": {"version": __version__,
                   "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   "fingerprint": fingerprint(), "scale": scale, "paper": paper,
                   "python": platform.python_version(), "numpy": np.__version__},
        "summary": {"claims": len(entries), **counts,
                    "mutants_rejected": sum(e["mutants_rejected"] for e in entries),
                    "mutants_total": sum(e["mutants_total"] for e in entries)},
        "papers": by_paper,
        "disagreements": [{"id": e["id"], **e["disagreement"], "reproduced": e["measured"]}
                          for e in entries if "disagreement" in e],
    }


def _fmt(x) -> str:
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    return f"{x:.4g}"


def _measured_text(e: dict) -> str:
    text = _fmt(e["measured"])
    if e.get("ci"):
        text += f" [{_fmt(e['ci'][0])}, {_fmt(e['ci'][1])}]"
    if e.get("bound") is not None:
        text += f" (bound {_fmt(e['bound'])})"
    return text


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(report: dict) -> str:
    """The report as Markdown: header, summary, one table per paper, disagreements, mutants."""
    h, s = report["header"], report["summary"]
    lines = [
        "# Verification report",
        "",
        f"theory-lab {h['version']} · {h['date']} · code `{h['fingerprint']}` · scale **{h['scale']}**"
        + (f" · paper `{h['paper']}`" if h.get("paper") else ""),
        f"(Python {h['python']}, numpy {h['numpy']}; regenerate with "
        f"`theory-lab verify --scale {h['scale']}`)",
        "",
        f"{s['claims']} claims: {s['holds']} hold, {s['holds, loose']} hold but loose, "
        f"{s['disagrees']} disagree, {s['not measurable']} not measurable, {s['fails']} fail; "
        f"mutants rejected {s['mutants_rejected']} of {s['mutants_total']}.",
        "",
        "Status: *holds* = within the tolerance fixed from the theory (for a bound: below it "
        "and above its tightness floor); *holds, loose* = below a bound with no tightness "
        "floor, which says little; *disagrees* = the reproducible measurement differs from "
        "the paper (cause below); *fails* = neither.",
    ]
    for paper, entries in report["papers"].items():
        lines += ["", f"## {PAPER_TITLES.get(paper, paper)}", "",
                  "| claim | statement | source | kind | predicted | measured [interval] "
                  "| measured/bound | status | mutants rejected |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for e in entries:
            tight = _fmt(e.get("tightness")) if e["kind"] == "upper" else "–"
            lines.append("| " + " | ".join(_cell(x) for x in (
                f"`{e['id']}`", e["statement"], e["source"], e["kind"], e["predicted_text"],
                _measured_text(e), tight, f"**{e['status']}**",
                f"{e['mutants_rejected']} of {e['mutants_total']}")) + " |")
    lines += ["", "## Disagreements with the papers", ""]
    if not report["disagreements"]:
        lines.append("None.")
    for d in report["disagreements"]:
        lines.append(f"- `{d['id']}`: reproduced {_fmt(d['reproduced'])} "
                     f"(recorded {_fmt(d['measured'])}, interval "
                     f"[{_fmt(d['interval'][0])}, {_fmt(d['interval'][1])}]). Cause: {d['cause']}")
    lines += ["", "## Mutants (plausible bugs each claim must reject)", "",
              "| claim | mutant | what it does | measured | rejected |", "|---|---|---|---|---|"]
    for entries in report["papers"].values():
        for e in entries:
            for m in e["mutants"]:
                lines.append("| " + " | ".join(_cell(x) for x in (
                    f"`{e['id']}`", m["name"], m["description"], _fmt(m["measured"]),
                    "yes" if m["rejected"] else "**no**")) + " |")
    return "\n".join(lines) + "\n"


def write_report(report: dict, out: str | Path = "figures") -> tuple[Path, Path]:
    """Write ``VERIFICATION.md`` and ``verification.json`` into ``out``; their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "VERIFICATION.md", out / "verification.json"
    md.write_text(to_markdown(report), encoding="utf-8")
    js.write_text(json.dumps(_clean(report), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return md, js


__all__ = ["PAPER_TITLES", "build_report", "claim_entry", "fingerprint", "predicted_text",
           "to_markdown", "write_report"]
