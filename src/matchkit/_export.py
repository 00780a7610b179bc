"""Exports of a round: proposals, reasons and diagnostics as CSV and JSON; the graph to networkx.

Tables (one row per item, stable column order):

* ``proposals``: every offer, the primary one (``rank`` 0) and its alternatives
  (``rank`` 1, 2, ...), with the score, both utilities and every score component;
* ``reasons``: every unmatched volunteer and unfilled need with the round's reason code
  and message;
* ``diagnostics``: the same items diagnosed in full (``why_unmatched`` /
  ``why_unfilled``): rule counts, binding rules and counterfactuals (JSON in CSV cells).

CSV files are UTF-8 with a header row; JSON keeps numbers as numbers.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._diagnostics_batch import iter_volunteer_rows
from ._diagnostics_needs import iter_need_rows
from ._memory import as_heavy_step
from ._scoring import COMPONENTS
from ._texts import check_lang

if TYPE_CHECKING:
    from ._proposals import MatchResult

__all__ = [
    "diagnostics_rows",
    "proposal_rows",
    "reason_rows",
    "to_networkx",
    "write_csv",
    "write_json",
    "write_proposals_csv",
]

PROPOSAL_COLUMNS: tuple[str, ...] = (
    "volunteer_id", "need_id", "rank", "status", "round", "score", *[c for c in COMPONENTS],
)  # fmt: skip
REASON_COLUMNS: tuple[str, ...] = ("subject", "id", "code", "message")
DIAGNOSTIC_COLUMNS: tuple[str, ...] = (
    "subject", "id", "code", "text", "considered", "excluded_by", "only_rule", "counterfactuals", "competition",
)  # fmt: skip


def proposal_rows(result: MatchResult) -> list[dict[str, Any]]:
    """One row per offer: primary (rank 0) then its alternatives (rank 1, 2, ...).

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> rows = proposal_rows(mk.match(tiny_city(), as_of="2026-09-01"))
    >>> sorted((r["volunteer_id"], r["need_id"]) for r in rows)[:2]
    [('v1', 'n6'), ('v2', 'n1')]
    """
    return [dict(zip(PROPOSAL_COLUMNS, line)) for line in _proposal_lines(result, None)]


def _proposal_lines(result: MatchResult, missing: Any) -> list[list[Any]]:
    """:func:`proposal_rows` as lists in ``PROPOSAL_COLUMNS`` order, ``missing`` for an
    absent value (no dict per row: a 100k round has about 80k rows)."""
    out = []
    for p in result.proposals:
        items = [(p.need_id, p.score, p.components)] + [
            (a.need_id, a.score, a.components) for a in p.alternatives
        ]
        vid, status = p.volunteer_id, p.status
        rnd = missing if p.round is None else p.round
        for rank, (nid, score, comps) in enumerate(items):
            # Components are Python floats (or absent): NaN (x != x) is missing too, JSON
            # null and an empty CSV cell.
            out.append(
                [vid, nid, rank, status, rnd, float(score)]
                + [missing if x is None or x != x else x for x in map(comps.get, COMPONENTS)]  # noqa: PLR0124
            )
    return out


def reason_rows(result: MatchResult) -> list[dict[str, Any]]:
    """One row per unmatched volunteer and per unfilled need, with the round's reason."""
    rows = [
        {"subject": "volunteer", "id": vid, "code": r.code, "message": r.message}
        for vid, r in sorted(result.unmatched.items())
    ]
    rows += [
        {"subject": "need", "id": nid, "code": r.code, "message": r.message}
        for nid, r in sorted(result.unfilled.items())
    ]
    return rows


def diagnostics_rows(result: MatchResult, *, lang: str = "en") -> list[dict[str, Any]]:
    """Full diagnoses of every unmatched volunteer and unfilled need (nested values)."""
    check_lang(lang, "diagnostics_rows")
    return list(_iter_diagnostics_rows(result, lang))


def _iter_diagnostics_rows(result: MatchResult, lang: str) -> Iterator[dict[str, Any]]:
    """:func:`diagnostics_rows` one at a time (a 100k round's rows hold some 600 MB)."""
    # (the rules are run for many volunteers, then many needs, at once; the same rows)
    yield from iter_volunteer_rows(result, sorted(result.unmatched), lang)
    yield from iter_need_rows(result, sorted(result.unfilled), lang)


def _write_csv_file(
    path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]], *, move: bool = True
) -> Path:
    cols = list(columns)
    # Lists in column order; None is an empty cell, nested values (diagnostics only) are
    # JSON.
    return _write_csv_lines(
        path,
        cols,
        (
            [
                ""
                if v is None
                else json.dumps(v, ensure_ascii=False)
                if isinstance(v, (dict, list))
                else v
                for v in map(row.get, cols)
            ]
            for row in rows
        ),
        move=move,
    )


def _write_csv_lines(
    path: Path, columns: Sequence[str], lines: Iterable[Sequence[Any]], *, move: bool = True
) -> Path:
    """Write a header and lines (values in column order, written as ``csv`` writes them)
    to a temporary file, then move it over ``path``; with ``move=False``, return the
    temporary file (see :func:`_tmp`) for the caller to move."""
    tmp = _tmp(path)
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(list(columns))
            w.writerows(lines)  # a C loop
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if not move:
        return tmp
    os.replace(tmp, path)
    return path


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


@as_heavy_step
def write_proposals_csv(result: MatchResult, path: str | os.PathLike[str]) -> Path:
    """Write the round's proposals alone, as ``proposals.csv`` of :func:`write_csv`, to ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     one = write_proposals_csv(r, pathlib.Path(d) / "p.csv").read_text()
    ...     both = (r.to_csv(d, diagnostics=False)[0]).read_text()
    >>> one == both, one.splitlines()[0].split(",")[:4]
    (True, ['volunteer_id', 'need_id', 'rank', 'status'])
    """
    return _write_proposals(result, Path(path))


def _write_proposals(result: MatchResult, path: Path, *, move: bool = True) -> Path:
    lines = _proposal_lines(result, "")  # (in column order already: no dict per row)
    return _write_csv_lines(path, PROPOSAL_COLUMNS, lines, move=move)


# Exports build an object per row: collection paused while they do (0.98 -> 0.71-0.80 s
# for the 100k round's proposals.csv and reasons.csv).
@as_heavy_step
def write_csv(
    result: MatchResult,
    directory: str | os.PathLike[str],
    *,
    lang: str = "en",
    diagnostics: bool = True,
) -> list[Path]:
    """Write ``proposals.csv``, ``reasons.csv`` and ``diagnostics.csv`` into ``directory``.

    The folder is created if missing. Nested diagnostic values (rule counts,
    counterfactuals) are JSON inside their cells. Returns the paths written.

    The full diagnoses check every unmatched volunteer and unfilled need against every
    open need (or volunteer) again, in blocks: 0.5 s for a 10k x 1k round, about 20 s for
    a 100k x 10k round's 39k diagnoses on ``diagnostics.csv``, written as they are made.
    ``diagnostics=False`` leaves that file out (and
    removes one an earlier export left in ``directory``, which would describe another
    round); ``reasons.csv`` still gives everyone's short reason, and
    ``result.why_unmatched(id)`` diagnoses anyone on demand.

    Examples
    --------
    >>> import tempfile, matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> r = mk.match(tiny_city(), as_of="2026-09-01")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in r.to_csv(d)], [p.name for p in r.to_csv(d, diagnostics=False)]
    (['proposals.csv', 'reasons.csv', 'diagnostics.csv'], ['proposals.csv', 'reasons.csv'])
    """
    check_lang(lang, "to_csv")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    # Every file is written in full (to its temporary name) before the first is moved in
    # place, so an error leaves no mix of this round's files and an older round's. The
    # diagnoses go to their file as they are made (a 100k round's hold some 600 MB).
    tables: list[tuple[Path, Sequence[str], Iterable[dict[str, Any]]]] = [
        (out / "reasons.csv", REASON_COLUMNS, reason_rows(result)),
    ]
    if diagnostics:
        tables.append(
            (out / "diagnostics.csv", DIAGNOSTIC_COLUMNS, _iter_diagnostics_rows(result, lang))
        )
    done: list[tuple[Path, Path]] = []
    try:
        done.append((_write_proposals(result, out / "proposals.csv", move=False),
                     out / "proposals.csv"))
        for path, columns, rows in tables:
            done.append((_write_csv_file(path, columns, rows, move=False), path))
    except BaseException:
        for tmp, _ in done:
            tmp.unlink(missing_ok=True)
        raise
    written = []
    for tmp, path in done:
        os.replace(tmp, path)
        written.append(path)
    if not diagnostics:
        # A diagnostics.csv left by an earlier export would describe another round.
        (out / "diagnostics.csv").unlink(missing_ok=True)
    return written


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float):
        return None if not math.isfinite(x) else x
    if hasattr(x, "item") and callable(x.item):  # numpy scalars
        return _jsonable(x.item())
    return x


@as_heavy_step
def write_json(
    result: MatchResult,
    path: str | os.PathLike[str] | None = None,
    *,
    lang: str = "en",
    diagnostics: bool = True,
) -> dict[str, Any]:
    """The round as one JSON document: proposals, reasons, diagnostics and metrics.

    Written (UTF-8, indented) when ``path`` is given; the document is returned either way.
    ``diagnostics=False`` leaves the full diagnoses out (see :func:`write_csv`).

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> doc = mk.match(tiny_city(), as_of="2026-09-01").to_json()
    >>> sorted(doc)
    ['as_of', 'diagnostics', 'method', 'metrics', 'placements', 'proposals', 'reasons', 'round']
    """
    check_lang(lang, "to_json")
    doc: dict[str, Any] = _jsonable(
        {
            "as_of": result.as_of.isoformat(),
            "method": result.method,
            "round": result.round,
            "proposals": proposal_rows(result),
            "placements": [list(p) for p in result.placements],
            "reasons": reason_rows(result),
            "diagnostics": diagnostics_rows(result, lang=lang) if diagnostics else [],
            "metrics": result.metrics,
        }
    )
    if path is not None:
        out = Path(path)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(
            json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False),
            encoding="utf-8",
        )
        os.replace(tmp, out)
    return doc


def to_networkx(result: MatchResult) -> Any:
    """The match graph: volunteers and needs as nodes, every acceptable pair as an edge.

    Nodes are ``"volunteer:<id>"`` (``bipartite=0``) and ``"need:<id>"``
    (``bipartite=1``), with ``kind``, ``id`` and capacity (``max_placements`` or
    ``capacity``); needs also carry ``organisation_id``. Edges carry ``weight``,
    ``volunteer_utility``, ``need_utility`` and ``status``: ``"proposed"``,
    ``"alternative"``, ``"open"`` (an earlier offer still open), ``"placed"`` or ``""``.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> g = mk.match(tiny_city(), as_of="2026-09-01").to_networkx()
    >>> g.number_of_edges(), g.edges["volunteer:v4", "need:n3"]["status"]
    (8, 'proposed')
    """
    import networkx as nx  # type: ignore[import-untyped,unused-ignore]

    p = result.problem
    g = nx.Graph()
    g.add_nodes_from(
        (
            f"volunteer:{v}",
            {"kind": "volunteer", "id": v, "bipartite": 0, "max_placements": int(c)},
        )
        for v, c in zip(p.left_ids, p.left_capacity.tolist())
    )
    g.add_nodes_from(
        (
            f"need:{n.id}",
            {
                "kind": "need",
                "id": n.id,
                "bipartite": 1,
                "capacity": int(n.capacity),
                "organisation_id": n.organisation_id,
            },
        )
        for n in result.dataset.needs
    )
    status: dict[tuple[str, str], str] = {pair: "placed" for pair in result.placements}
    for prop in result.proposals:
        status[(prop.volunteer_id, prop.need_id)] = (
            "proposed" if prop.status == "new" else "open"
        )
        for a in prop.alternatives:
            status[(prop.volunteer_id, a.need_id)] = (
                "alternative" if prop.status == "new" else "open"
            )
    left = [p.left_ids[i] for i in p.edge_left.tolist()]
    right = [p.right_ids[j] for j in p.edge_right.tolist()]
    g.add_edges_from(
        (
            f"volunteer:{v}",
            f"need:{n}",
            {
                "weight": w,
                "volunteer_utility": vu,
                "need_utility": nu,
                "status": status.get((v, n), ""),
            },
        )
        for v, n, w, vu, nu in zip(
            left,
            right,
            p.weight.tolist(),
            p.volunteer_utility.tolist(),
            p.need_utility.tolist(),
        )
    )
    return g
