"""The Markdown tables of ``matchkit bench``: the machine, then one table per family."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt_seconds", "markdown", "peer_text", "system_text"]

#: The end-to-end targets of the 100k x 10k city (issue: 10 s, 2 GB peak, 2 cores).
TARGET_SECONDS = 10.0
TARGET_PEAK_MB = 2048.0


def fmt_seconds(s: float | None) -> str:
    """``12.3 ms`` below a second, ``1.23 s`` above.

    Examples
    --------
    >>> fmt_seconds(0.0123), fmt_seconds(4.5)
    ('12.3 ms', '4.50 s')
    """
    if s is None:
        return "–"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def _ratio(x: float | None) -> str:
    if x is None:
        return "–"
    if x < 0.1:
        return f"{x:.2g}x"
    return f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


def _mb(x: Any) -> str:
    if not isinstance(x, (int, float)) or math.isnan(x):
        return "–"
    return f"{x:,.0f}"


def _solver_table(rows: list[dict[str, Any]], orlib: bool, repeat: int) -> list[str]:
    head = ["instance", "solver", "time", "time / ref", "Δpeak MB", "Δpeak / ref", "value", "agrees"]
    if orlib:
        head.insert(7, "published optimum")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if r["status"] != "ok":
            cells = [r["instance"], r["solver"], r["status"], "", "", "", r.get("error", ""), ""]
            if orlib:
                cells.insert(7, "")
        else:
            ref = " (ref)" if r.get("reference_solver") == r["solver"] else ""
            runs = " (1 run)" if repeat > 1 and r.get("runs", 1) == 1 else ""
            cells = [
                r["instance"], r["solver"] + ref, fmt_seconds(r["seconds"]) + runs,
                _ratio(r.get("time_ratio")), _mb(r["delta_mb"]), _ratio(r.get("mem_ratio")),
                f"{r['value']:,.0f}", "yes" if r.get("agrees") else "**NO**",
            ]
            if orlib:
                cells.insert(7, str(r.get("optimum", "")))
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return out


def big_row(r: dict[str, Any]) -> bool:
    """Is this the 100k x 10k city, the one with the end-to-end target?"""
    return str(r["instance"]).startswith("100,000")


def _city_table(rows: list[dict[str, Any]]) -> list[str]:
    loads = any("load" in (r.get("stages") or r.get("partial_stages") or {}) for r in rows)
    stages = ("load" if loads else "generate", "build", "solve", "propose", "write")
    head = ["city (volunteers x needs)", *stages, "total", "peak RSS MB", "edges", "proposals",
            "flow backend", "OR-Tools on the round's pairs", "target ≤10 s, ≤2 GB",
            "system time"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if r["status"] != "ok":
            part = r.get("partial_stages") or {}
            cells = [r["instance"], *(fmt_seconds(part[s]) if s in part else "" for s in stages),
                     f"{r['status']}: {r.get('error', '')}", "", "", "", "", "",
                     "**not met**" if big_row(r) else "–", ""]
            out.append("| " + " | ".join(cells) + " |")
            continue
        st = r["stages"]
        met = "–"
        if big_row(r):
            met = "met" if r["seconds"] <= TARGET_SECONDS and r["peak_mb"] <= TARGET_PEAK_MB else "**not met**"
        cells = [r["instance"], *(fmt_seconds(st[s]) for s in stages), fmt_seconds(r["seconds"]),
                 _mb(r["peak_mb"]), f"{r['info']['edges']:,}", f"{r['info']['proposals']:,}",
                 r["info"].get("backend", ""), peer_text(r.get("peer")), met, system_text(r)]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return out


def system_text(r: dict[str, Any]) -> str:
    """A city round's kernel CPU time: the total, the build's share and the page faults
    (empty where the platform did not tell). Page faults are most of it, and their cost
    varies with the machine: it tells a slow run from slow code."""
    system = r.get("stages_system") or {}
    if not system:
        return ""
    text = f"{sum(system.values()):.2f} s (build {system.get('build', 0.0):.2f} s)"
    if r.get("page_faults") is not None:
        text += f", {r['page_faults'] / 1e6:.2f} M page faults"
    return text


def peer_text(peer: dict[str, Any] | None, *, strong: str = "**") -> str:
    """The city's peer check: the solve's time and whether the objectives agree (a
    disagreement between ``strong`` marks)."""
    if not peer:
        return ""
    if peer.get("status") != "ok":
        return f"{peer.get('status')}: {peer.get('error', '')}"
    verdict = "agrees" if peer.get("agrees") else f"{strong}DISAGREES{strong}"
    return f"{fmt_seconds(peer['seconds'])}, {verdict}"


def markdown(doc: dict[str, Any]) -> str:
    """The results document as Markdown: machine, then a table per family."""
    m = doc["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    lines = [
        "# matchkit bench" + (" (quick)" if doc.get("quick") else ""),
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, Python {m['python']}.",
        f"Packages: {pk}.",
        (
            f"Started {doc['started']}; "
            f"{'one fresh process per run' if doc.get('isolate') else 'one process'}; "
            f"best of {doc['repeat']} (runs over 10 s once); total {doc.get('seconds', 0):.0f} s."
        ),
        "",
        "Time and Δpeak (peak resident memory growth during the run) are given as ratios to",
        "the reference, matchkit's default method on the same instance (above 1: slower or",
        "bigger than matchkit). Values are recomputed from each solver's pairs.",
    ]
    families = doc["families"]
    for name, about in families.items():
        rows = [r for r in doc["results"] if r["family"] == name]
        lines += ["", f"## {name}", "", about + ".", ""]
        if name.startswith("city"):
            lines += _city_table(rows)
        else:
            lines += _solver_table(rows, orlib=name == "orlib", repeat=doc["repeat"])
    if doc.get("disagreements"):
        lines += ["", "**Disagreements:** " + "; ".join(doc["disagreements"])]
    return "\n".join(lines) + "\n"
