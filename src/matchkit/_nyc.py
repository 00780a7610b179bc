"""Import the NYC Service Volunteer Opportunities table (NYC Open Data) as a matchkit dataset.

Each opportunity becomes a :class:`Need`; organisations are derived from ``org_content_id``
and ``org_title``. The source has known quirks, and each is handled by an explicit option
and *reported* row by row, never silently kept:

- ``vol_requests`` of 9999 is a placeholder for "as many as come", not a head count;
- ``category_desc`` is blank in some rows;
- some rows have no place at all (neither ``locality`` nor ``Latitude``/``Longitude``);
- ``locality`` and ``Latitude``/``Longitude`` disagree by several kilometres in some rows.

docs/schema.md ("Importing NYC Service data") lists every choice made.
"""

from __future__ import annotations

import ast
import csv
import io
import math
import os
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ._dataset import Dataset, problems_from_validation_error
from ._exceptions import InvalidDatasetError, Problem, check_choice
from ._io import read_text
from ._io_json import FileProblem
from ._models import Need

__all__ = ["NycImport", "import_nyc_service"]

REQUIRED_COLUMNS = (
    "opportunity_id",
    "vol_requests",
    "title",
    "category_desc",
    "org_title",
    "org_content_id",
    "locality",
    "Latitude",
    "Longitude",
    "start_date_date",
    "end_date_date",
    "status",
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january", "february", "march", "april", "may", "june", "july",
            "august", "september", "october", "november", "december",
        ),
        start=1,
    )
}
_STATUS = {"approved": "open"}
_DISAGREE_KM = 2.0


@dataclass(frozen=True)
class NycImport:
    """The result of :func:`import_nyc_service`.

    Attributes
    ----------
    dataset : Dataset
        Needs (one per kept opportunity) and their organisations; no volunteers.
    report : tuple of Problem
        One entry per row changed or skipped: ``source`` is the file, ``row`` the line,
        ``record_id`` the opportunity id, ``field`` the source column, ``message`` what was
        found and what was done.
    notes : tuple of str
        Choices that apply to every row (how organisations and statuses were derived, the
        range of end dates and the ``as_of`` that matching needs).
    n_rows : int
        Opportunities read.
    """

    dataset: Dataset
    report: tuple[Problem, ...]
    notes: tuple[str, ...]
    n_rows: int

    @property
    def n_skipped(self) -> int:
        """Rows that did not become a need."""
        return self.n_rows - len(self.dataset.needs)

    def summary(self) -> str:
        """A few lines for people: counts, then what was done how often."""
        lines = [
            f"{self.n_rows} opportunities read: {len(self.dataset.needs)} needs from "
            f"{len(self.dataset.organisations)} organisations, {self.n_skipped} rows skipped",
        ]
        kinds = Counter(p.message.split(":")[0] for p in self.report)
        lines += [f"  {n:4d} x {what}" for what, n in sorted(kinds.items())]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _parse_date(text: str) -> date:
    """``February 24 2011`` (the source's form) or ISO ``2011-02-24``."""
    text = text.strip()
    parts = text.replace(",", " ").split()
    if len(parts) == 3 and parts[0].lower() in _MONTHS:
        return date(int(parts[2]), _MONTHS[parts[0].lower()], int(parts[1]))
    return date.fromisoformat(text)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lon2 - lon1) / 2
    ) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def _locality(text: str) -> tuple[float, float] | None:
    """The place in a ``locality`` cell: a Python-dict-like string with latitude/longitude."""
    if not text.strip():
        return None
    try:
        value = ast.literal_eval(text)
        return float(value["latitude"]), float(value["longitude"])
    except (ValueError, SyntaxError, KeyError, TypeError):
        raise ValueError("not a dict with 'latitude' and 'longitude'") from None


def _columns_place(row: dict[str, str]) -> tuple[float, float] | None:
    lat, lon = row["Latitude"].strip(), row["Longitude"].strip()
    if not lat and not lon:
        return None
    return float(lat), float(lon)


def import_nyc_service(
    path: str | os.PathLike[str],
    *,
    sentinel_capacities: Collection[int] = (9999,),
    on_sentinel: str = "cap",
    capacity_cap: int = 100,
    on_blank_category: str = "keep",
    blank_category_cause: str = "uncategorised",
    on_missing_place: str = "skip",
) -> NycImport:
    """Read an NYC Service Volunteer Opportunities CSV into needs and organisations.

    Parameters
    ----------
    path : str or path-like
        The CSV file (NYC Open Data ``bquu-z2ht`` columns: ``opportunity_id``,
        ``vol_requests``, ``category_desc``, ``org_content_id``, ``locality``, ...).
    sentinel_capacities : collection of int
        ``vol_requests`` values that are placeholders, not head counts (9999 in the source).
    on_sentinel : {"cap", "skip"}
        ``"cap"``: such a need gets ``capacity_cap`` places; ``"skip"``: the row is left out.
    capacity_cap : int
        The capacity given to a sentinel row with ``on_sentinel="cap"``.
    on_blank_category : {"keep", "tag", "skip"}
        A row with no ``category_desc``: ``"keep"`` gives a need without causes,
        ``"tag"`` gives it the cause ``blank_category_cause``, ``"skip"`` leaves it out.
    blank_category_cause : str
        The cause used by ``on_blank_category="tag"``.
    on_missing_place : {"skip", "remote"}
        A row with no place: ``"skip"`` leaves it out (the default: the source lists
        on-site work), ``"remote"`` keeps it as a remote need.

    Returns
    -------
    NycImport
        ``dataset``, the row-by-row ``report`` of what was changed or skipped, ``notes``.

    Raises
    ------
    InvalidDatasetError
        If the file cannot be read as this table (not UTF-8, not CSV, a column missing).
        Bad rows do not raise: they are skipped and reported.

    Notes
    -----
    Organisations are derived as ``kind="cso"``, ``registered=True``: the table lists
    organisations that NYC Service approved, but says nothing of their legal form. Status
    ``approved`` becomes ``open`` (NYC Service vetted each listing; ``vetted_by`` is left
    empty). ``recurrence_type`` (ongoing / onetime) has no field in schema v1 and is dropped;
    ``start_date``/``end_date`` keep the listing's dates. The snapshot's end dates fall in
    2011-2012, so matching these needs requires an ``as_of`` in that range (for example
    ``date(2011, 6, 1)``); with today's date every need is over.

    Examples
    --------
    >>> import matchkit as mk, pathlib, tempfile
    >>> csv_text = (
    ...     "opportunity_id,vol_requests,title,category_desc,org_title,org_content_id,"
    ...     "locality,Latitude,Longitude,start_date_date,end_date_date,status\\n"
    ...     "5137,9999,Park clean-up,Environment,Friends of the Park,3350,,40.7,-73.9,"
    ...     "February 24 2011,February 24 2012,approved\\n")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "nyc.csv"
    >>> _ = path.write_text(csv_text)
    >>> result = mk.import_nyc_service(path)
    >>> need = result.dataset.need("5137")
    >>> need.capacity, need.causes, need.status.value
    (100, ('environment',), 'open')
    >>> first = result.report[0]
    >>> first.row, first.record_id, first.field, first.message.split(":")[0]
    (2, '5137', 'vol_requests', 'sentinel capacity')
    """
    check_choice("on_sentinel", on_sentinel, ("cap", "skip"), caller="import_nyc_service")
    check_choice(
        "on_blank_category", on_blank_category, ("keep", "tag", "skip"), caller="import_nyc_service"
    )
    check_choice("on_missing_place", on_missing_place, ("skip", "remote"), caller="import_nyc_service")
    if capacity_cap < 1:
        raise ValueError(f"capacity_cap must be at least 1, got {capacity_cap}")
    source = str(path)
    try:
        text = read_text(Path(path), source)
    except FileProblem as fp:
        raise InvalidDatasetError([fp.problem], context=f"NYC Service file {source!r}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        rows = list(_rows(reader, header, source))
    except csv.Error as err:
        raise InvalidDatasetError(
            [Problem(f"cannot be read as CSV: {err}", source=source, row=reader.line_num)],
            context=f"NYC Service file {source!r}",
        ) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidDatasetError(
            [
                Problem(
                    "the column is missing; this does not look like the NYC Service "
                    "Volunteer Opportunities table (it needs "
                    + ", ".join(REQUIRED_COLUMNS)
                    + ")",
                    source=source,
                    row=1,
                    field=c,
                )
                for c in missing
            ],
            context=f"NYC Service file {source!r}",
        )
    report: list[Problem] = [p for p in rows if isinstance(p, Problem)]
    needs: list[Need] = []
    orgs: dict[str, dict[str, Any]] = {}
    org_line: dict[str, int] = {}
    seen: dict[str, int] = {}
    end_dates: list[date] = []
    recurrence: Counter[str] = Counter()
    n_rows = len(rows)
    for item in rows:
        if isinstance(item, Problem):
            continue
        line, row = item
        oid = (row.get("opportunity_id") or "").strip()

        def note(message: str, field: str | None = None, value: Any = None) -> None:
            report.append(
                Problem(message, source=source, row=line, field=field, value=value, record_id=oid or None)
            )

        if not oid:
            note("skipped: no opportunity_id, so the need has no id", "opportunity_id")
            continue
        if oid in seen:
            note(f"skipped: opportunity_id repeats line {seen[oid]}", "opportunity_id", oid)
            continue
        seen[oid] = line
        # capacity
        raw_cap = (row.get("vol_requests") or "").strip()
        try:
            capacity = int(raw_cap)
        except ValueError:
            note("skipped: vol_requests is not a whole number", "vol_requests", raw_cap)
            continue
        if capacity in sentinel_capacities:
            if on_sentinel == "skip":
                note(
                    f"sentinel capacity: {capacity} means 'as many as come', not a head count; "
                    "row skipped (on_sentinel='skip')",
                    "vol_requests",
                    raw_cap,
                )
                continue
            note(
                f"sentinel capacity: {capacity} means 'as many as come', not a head count; "
                f"capped at {capacity_cap} (on_sentinel='cap', capacity_cap={capacity_cap})",
                "vol_requests",
                raw_cap,
            )
            capacity = capacity_cap
        if capacity < 1:
            note("skipped: vol_requests must be at least 1", "vol_requests", raw_cap)
            continue
        # place
        try:
            from_locality = _locality(row.get("locality") or "")
        except ValueError as err:
            note(f"unreadable locality: {err}; Latitude/Longitude used instead", "locality")
            from_locality = None
        try:
            from_columns = _columns_place(row)
        except ValueError:
            note("unreadable Latitude/Longitude: not numbers; ignored", "Latitude", row["Latitude"])
            from_columns = None
        place = from_locality or from_columns
        if from_locality and from_columns and _km(from_locality, from_columns) > _DISAGREE_KM:
            note(
                f"places disagree: locality and Latitude/Longitude are "
                f"{_km(from_locality, from_columns):.1f} km apart; locality used (it geocodes the "
                "listing's own address)",
                "Latitude",
            )
        remote = False
        if place is None:
            if on_missing_place == "skip":
                note("missing place: no locality and no Latitude/Longitude; row skipped "
                     "(on_missing_place='skip')", "locality")
                continue
            remote = True
            note("missing place: kept as a remote need (on_missing_place='remote')", "locality")
        # causes
        category = (row.get("category_desc") or "").strip()
        if category:
            causes = [_slug(category)]
        elif on_blank_category == "skip":
            note("blank category: row skipped (on_blank_category='skip')", "category_desc")
            continue
        elif on_blank_category == "tag":
            causes = [blank_category_cause]
            note(
                f"blank category: cause set to {blank_category_cause!r} (on_blank_category='tag')",
                "category_desc",
            )
        else:
            causes = []
            note("blank category: need kept without causes (on_blank_category='keep')", "category_desc")
        # status, dates
        status_raw = (row.get("status") or "").strip().lower()
        if status_raw not in _STATUS:
            note(f"skipped: status {status_raw!r} is not a listed opportunity (only "
                 "'approved' is imported)", "status", row.get("status"))
            continue
        dates: dict[str, date | None] = {}
        for col, fld in (("start_date_date", "start_date"), ("end_date_date", "end_date")):
            value = (row.get(col) or "").strip()
            try:
                dates[fld] = _parse_date(value) if value else None
            except ValueError:
                note("unreadable date: left empty (expected such as 'February 24 2011')", col, value)
                dates[fld] = None
        title = (row.get("title") or "").strip()
        if not title:
            title = f"Opportunity {oid}"
            note(f"blank title: titled {title!r}", "title")
        org_id = (row.get("org_content_id") or "").strip()
        org_name = (row.get("org_title") or "").strip()
        if not org_id:
            note("skipped: no org_content_id, so the need has no organisation", "org_content_id")
            continue
        record = {
            "id": oid,
            "organisation_id": org_id,
            "title": title,
            "causes": causes,
            "location": None if place is None else {"lat": place[0], "lon": place[1]},
            "remote": remote,
            "capacity": capacity,
            "status": _STATUS[status_raw],
            **dates,
        }
        try:
            need = Need.model_validate(record)
        except ValidationError as err:
            for p in problems_from_validation_error(err, source=source, row=line, record_id=oid):
                note(f"skipped: {p.message}", p.field, p.value)
            continue
        if org_id not in orgs:
            orgs[org_id] = {
                "id": org_id,
                "name": org_name or f"Organisation {org_id}",
                "kind": "cso",
                "registered": True,
            }
            org_line[org_id] = line
            if not org_name:
                note(f"blank org_title: organisation named {orgs[org_id]['name']!r}", "org_title")
        elif org_name and org_name != orgs[org_id]["name"]:
            note(
                f"organisation name differs: line {org_line[org_id]} named organisation "
                f"{org_id!r} {orgs[org_id]['name']!r}; the first name is kept",
                "org_title",
                org_name,
            )
        needs.append(need)
        recurrence[(row.get("recurrence_type") or "").strip() or "blank"] += 1
        if need.end_date is not None:
            end_dates.append(need.end_date)
    notes = [
        "organisations are derived from org_content_id/org_title as kind 'cso', registered "
        "True: NYC Service listed them, the table does not give their legal form",
        "status 'approved' became 'open' (NYC Service vetted each listing; vetted_by is empty)",
    ]
    if recurrence:
        notes.append(
            "recurrence_type has no field in schema v1 and was dropped ("
            + ", ".join(f"{k}: {v}" for k, v in sorted(recurrence.items()))
            + "); start_date/end_date keep each listing's dates"
        )
    if end_dates:
        notes.append(
            f"end dates run from {min(end_dates).isoformat()} to {max(end_dates).isoformat()}: "
            f"match with an as_of on or before {max(end_dates).isoformat()} (for example "
            f"as_of=date({min(end_dates).year}, 6, 1)), otherwise every need is over"
        )
    dataset = Dataset(organisations=tuple(orgs.values()), needs=tuple(needs))
    return NycImport(dataset=dataset, report=tuple(report), notes=tuple(notes), n_rows=n_rows)


def _rows(reader: Any, header: list[str], source: str) -> Any:
    """``(line, row dict)`` per record (line = where it starts); a Problem for a bad row."""
    previous = reader.line_num
    for cells in reader:
        line, previous = previous + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield Problem(
                f"skipped: the row has {len(cells)} cells but the header has {len(header)}",
                source=source,
                row=line,
                record_id=cells[0].strip() or None if cells else None,
            )
            continue
        yield line, dict(zip(header, cells))
