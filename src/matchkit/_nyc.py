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

import csv
import io
import os
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ._dataset import Dataset, problems_from_validation_error
from ._exceptions import InvalidDatasetError, InvalidInputError, Problem
from ._io import read_text
from ._io_csv import field_limit
from ._io_json import FileProblem
from ._models import Need, NeedStatus, Organisation
from ._nyc_fields import (
    Options,
    columns_place,
    km,
    locality_place,
    options,
    parse_date,
    tag,
)

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

    Examples
    --------
    >>> import matchkit as mk, pathlib, tempfile
    >>> text = ("opportunity_id,vol_requests,title,category_desc,org_title,org_content_id,"
    ...         "locality,Latitude,Longitude,start_date_date,end_date_date,status\\n"
    ...         "1,5,Clean-up,Environment,Park Friends,3350,,40.7,-73.9,"
    ...         "May 1 2011,May 1 2012,approved\\n"
    ...         "2,4,Reading,Education,City Library,3351,,,,May 1 2011,June 30 2011,approved\\n")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (pathlib.Path(d) / "nyc.csv").write_text(text)
    ...     imported = mk.import_nyc_service(pathlib.Path(d) / "nyc.csv")
    >>> imported.n_rows, imported.n_skipped, [n.id for n in imported.dataset.needs]
    (2, 1, ['1'])
    >>> imported.report[0].record_id, imported.report[0].message.split(":")[0]
    ('2', 'missing place')
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
        """A few lines for people: counts, then what was done how often.

        Then come the ``notes``, one line each (the example prints the first three lines).

        Examples
        --------
        >>> import matchkit as mk, pathlib, tempfile
        >>> text = ("opportunity_id,vol_requests,title,category_desc,org_title,org_content_id,"
        ...         "locality,Latitude,Longitude,start_date_date,end_date_date,status\\n"
        ...         "1,9999,Clean-up,Environment,Park Friends,3350,,40.7,-73.9,"
        ...         "May 1 2011,May 1 2012,approved\\n"
        ...         "2,4,Reading,Education,Library,3351,,,,May 1 2011,June 30 2011,approved\\n")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = (pathlib.Path(d) / "nyc.csv").write_text(text)
        ...     imported = mk.import_nyc_service(pathlib.Path(d) / "nyc.csv")
        >>> print("\\n".join(imported.summary().splitlines()[:3]))
        2 opportunities read: 1 needs from 2 organisations, 1 rows skipped
             1 x missing place
             1 x sentinel capacity
        """
        head = (
            f"{self.n_rows} opportunities read: {len(self.dataset.needs)} needs from "
            f"{len(self.dataset.organisations)} organisations, {self.n_skipped} rows skipped"
        )
        lines = [head]
        kinds = Counter(p.message.split(":")[0] for p in self.report)
        lines += [f"  {n:4d} x {what}" for what, n in sorted(kinds.items())]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def import_nyc_service(
    path: str | os.PathLike[str],
    *,
    sentinel_capacities: Collection[int] = (9999,),
    on_sentinel: str = "cap",
    capacity_cap: int = 100,
    on_blank_category: str = "keep",
    blank_category_cause: str = "uncategorised",
    on_missing_place: str = "skip",
    on_missing_end_date: str = "skip",
    vetting_organisation: str | None = "nyc-service",
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
    on_missing_end_date : {"skip", "keep"}
        A row whose ``end_date_date`` is blank or cannot be read: ``"skip"`` leaves it out
        (the default: such a need would never end, so a listing of 2011 would be offered
        today); ``"keep"`` keeps it without an end date.
    vetting_organisation : str or None
        The id of the organisation added as NYC Service, which vetted every listing
        (default ``"nyc-service"``); ``None`` adds none and leaves ``vetted_by`` empty.

    Returns
    -------
    NycImport
        ``dataset``, the row-by-row ``report`` of what was changed or skipped, ``notes``.

    Raises
    ------
    InvalidDatasetError
        If the file cannot be read as this table (not UTF-8, not CSV, a column missing).
        Bad rows do not raise: they are skipped and reported.
    InvalidInputError
        If an option has a wrong type or value, or ``vetting_organisation`` is also an
        organisation id in the file (the message suggests a free id).

    Notes
    -----
    Organisations are derived as ``kind="cso"``, ``registered=True``: the table lists
    organisations that NYC Service approved, but says nothing of their legal form. Status
    ``approved`` becomes ``open``, vetted by ``vetting_organisation`` (default
    ``"nyc-service"``, added as a volunteer centre: NYC Service approved each listing before
    publishing it; ``None`` leaves ``vetted_by`` empty, and the policy check then holds the
    needs back as unvetted). ``recurrence_type`` (ongoing / onetime) has no field in schema v1 and is dropped;
    ``start_date``/``end_date`` keep the listing's dates. The snapshot's end dates fall in
    2011-2012, so matching these needs requires an ``as_of`` in that range (for example
    ``date(2011, 6, 1)``); with today's date every need is over. A need kept without an end
    date (``on_missing_end_date="keep"``) never ends, and the notes count such needs.

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
    opts = options(
        sentinel_capacities,
        on_sentinel,
        capacity_cap,
        on_blank_category,
        blank_category_cause,
        on_missing_place,
        on_missing_end_date,
        vetting_organisation,
    )
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidInputError(
            "The 'path' parameter of import_nyc_service must be a file path (a str or "
            f"pathlib.Path). Got {path!r}."
        )
    source = str(path)
    try:
        text = read_text(Path(path), source)
    except FileProblem as fp:
        raise InvalidDatasetError(
            [fp.problem], context=f"NYC Service file {source!r}"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        with field_limit(len(text)):
            header = [h.strip() for h in next(reader, [])]
            rows = list(_rows(reader, header, source))
    except csv.Error as err:
        raise InvalidDatasetError(
            [
                Problem(
                    f"cannot be read as CSV: {err}", source=source, row=reader.line_num
                )
            ],
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
    imported: dict[str, int] = {}  # opportunity id -> the line that became its need
    dropped: dict[str, list[int]] = {}  # opportunity id -> lines skipped so far
    recurrence: Counter[str] = Counter()
    for item in rows:
        if isinstance(item, Problem):
            continue
        line, row = item
        oid = (row.get("opportunity_id") or "").strip()
        note = partial(_note, report, source, line, oid or None)
        if oid in imported:
            note(
                f"skipped: opportunity_id repeats line {imported[oid]}, which was imported",
                "opportunity_id",
                oid,
            )
            continue
        need = _need(oid, row, opts, note, source, line)
        if need is None:
            dropped.setdefault(oid, []).append(line)
            continue
        imported[oid] = line
        if oid in dropped:
            lines = ", ".join(map(str, dropped[oid]))
            note(
                f"repeated opportunity_id: line(s) {lines} had it too and were skipped; "
                "this copy is imported",
                "opportunity_id",
                oid,
            )
        org_id, org_name = need.organisation_id, (row.get("org_title") or "").strip()
        if org_id not in orgs:
            name = org_name or f"Organisation {org_id}"
            orgs[org_id] = {
                "id": org_id,
                "name": name,
                "kind": "cso",
                "registered": True,
            }
            org_line[org_id] = line
            if not org_name:
                note(f"blank org_title: organisation named {name!r}", "org_title")
        elif org_name and org_name != orgs[org_id]["name"]:
            note(
                f"organisation name differs: line {org_line[org_id]} named organisation "
                f"{org_id!r} {orgs[org_id]['name']!r}; the first name is kept",
                "org_title",
                org_name,
            )
        needs.append(need)
        recurrence[(row.get("recurrence_type") or "").strip() or "blank"] += 1
    vetting_organisation = opts.vetting_organisation
    if vetting_organisation is not None and needs:
        # Every listing was approved by NYC Service before publication: record that
        # vetting, so the needs pass the policy check "open needs are vetted".
        if vetting_organisation in orgs:
            free = next(
                f"{vetting_organisation}-{i}"
                for i in range(1, len(orgs) + 2)
                if f"{vetting_organisation}-{i}" not in orgs
            )
            raise InvalidInputError(
                f"The vetting organisation's id {vetting_organisation!r} is also an "
                f"organisation id in {source!r} (line {org_line[vetting_organisation]}, "
                "org_content_id); give the vetting organisation another id with the "
                f"vetting_organisation option, such as {free!r}"
            )
        causes = sorted({c for n in needs for c in n.causes})
        orgs[vetting_organisation] = {
            "id": vetting_organisation,
            "name": "NYC Service",
            "kind": "volunteer_centre",
            "registered": True,
            "vets_causes": causes,
        }
        needs = [
            n.model_copy(update={"vetted_by": vetting_organisation})
            if n.status is NeedStatus.OPEN
            else n
            for n in needs
        ]
    organisations = tuple(Organisation.model_validate(o) for o in orgs.values())
    dataset = Dataset(organisations=organisations, needs=tuple(needs))
    notes = _notes(needs, recurrence, vetting_organisation)
    return NycImport(
        dataset=dataset, report=tuple(report), notes=notes, n_rows=len(rows)
    )


Note = Callable[..., None]


def _note(
    report: list[Problem],
    source: str,
    line: int,
    oid: str | None,
    message: str,
    field: str | None = None,
    value: Any = None,
) -> None:
    report.append(
        Problem(
            message, source=source, row=line, field=field, value=value, record_id=oid
        )
    )


def _need(
    oid: str, row: dict[str, str], opts: Options, note: Note, source: str, line: int
) -> Need | None:
    """The need of one row, or None (the reason is noted)."""
    if not oid:
        note("skipped: no opportunity_id, so the need has no id", "opportunity_id")
        return None
    capacity = _capacity(row, opts, note)
    if capacity is None:
        return None
    place = _place(row, opts, note)
    if place is None:
        return None
    causes = _causes(row, opts, note)
    if causes is None:
        return None
    status = (row.get("status") or "").strip().lower()
    if status not in _STATUS:
        note(
            f"skipped: status {status!r} is not a listed opportunity (only 'approved' "
            "is imported)",
            "status",
            row.get("status"),
        )
        return None
    org_id = (row.get("org_content_id") or "").strip()
    if not org_id:
        note(
            "skipped: no org_content_id, so the need has no organisation",
            "org_content_id",
        )
        return None
    dates = _dates(row, opts, note)
    if dates is None:
        return None
    title = (row.get("title") or "").strip()
    if not title:
        title = f"Opportunity {oid}"
        note(f"blank title: titled {title!r}", "title")
    record = {
        "id": oid,
        "organisation_id": org_id,
        "title": title,
        "causes": causes,
        "location": None if place == "remote" else {"lat": place[0], "lon": place[1]},
        "remote": place == "remote",
        "capacity": capacity,
        "status": _STATUS[status],
        **dates,
    }
    try:
        return Need.model_validate(record)
    except ValidationError as err:
        for p in problems_from_validation_error(
            err, source=source, row=line, record_id=oid
        ):
            field = (p.field or "").split(".")[0]
            column = _SOURCE_COLUMN.get(field)
            if column is None:
                note(f"skipped: {p.message}", p.field, p.value)
            else:
                note(f"skipped: {column} is not a valid {field}: {p.message}", column, p.value)
        return None


# the source column of each need field that a row fills from one column
_SOURCE_COLUMN = {
    "id": "opportunity_id",
    "organisation_id": "org_content_id",
    "title": "title",
    "capacity": "vol_requests",
    "causes": "category_desc",
    "location": "locality",
    "start_date": "start_date_date",
    "end_date": "end_date_date",
}


def _capacity(row: dict[str, str], opts: Options, note: Note) -> int | None:
    raw = (row.get("vol_requests") or "").strip()
    try:
        capacity = int(raw)
    except ValueError:
        note("skipped: vol_requests is not a whole number", "vol_requests", raw)
        return None
    if capacity in opts.sentinels:
        what = (
            f"sentinel capacity: {capacity} means 'as many as come', not a head count; "
        )
        if opts.on_sentinel == "skip":
            note(what + "row skipped (on_sentinel='skip')", "vol_requests", raw)
            return None
        note(
            what + f"capped at {opts.capacity_cap} (on_sentinel='cap', "
            f"capacity_cap={opts.capacity_cap})",
            "vol_requests",
            raw,
        )
        return opts.capacity_cap
    if capacity < 1:
        note("skipped: vol_requests must be at least 1", "vol_requests", raw)
        return None
    return capacity


def _place(
    row: dict[str, str], opts: Options, note: Note
) -> tuple[float, float] | str | None:
    """(lat, lon), ``"remote"``, or None when the row is skipped."""
    locality = row.get("locality") or ""
    try:
        from_locality = locality_place(locality)
    except ValueError as err:
        from_locality = None
        locality_problem = str(err)
    else:
        locality_problem = ""
    from_columns, column_problems = columns_place(row)
    if locality_problem:
        instead = "Latitude/Longitude used instead" if from_columns else "ignored"
        note(f"unusable locality: {locality_problem}; {instead}", "locality", locality)
    for column, what, cell in column_problems:
        instead = "locality used instead" if from_locality else "ignored"
        note(f"unusable Latitude/Longitude: {what}; {instead}", column, cell)
    if from_locality and from_columns:
        apart = km(from_locality, from_columns)
        if apart > _DISAGREE_KM:
            note(
                f"places disagree: locality and Latitude/Longitude are {apart:.1f} km apart; "
                "locality used (it geocodes the listing's own address)",
                "Latitude",
            )
    place = from_locality or from_columns
    if place is not None:
        return place
    what = (
        "no usable locality or Latitude/Longitude"
        if locality_problem or column_problems
        else "no locality and no Latitude/Longitude"
    )
    if opts.on_missing_place == "skip":
        note(
            f"missing place: {what}; row skipped (on_missing_place='skip')",
            "locality",
        )
        return None
    note(
        f"missing place: {what}; kept as a remote need (on_missing_place='remote')",
        "locality",
    )
    return "remote"


def _causes(row: dict[str, str], opts: Options, note: Note) -> list[str] | None:
    raw = row.get("category_desc") or ""
    if raw.strip():
        cause = tag(raw)
        if cause:
            return [cause]
        what, value = "category without letters or digits", raw
    else:
        what, value = "blank category", None
    if opts.on_blank_category == "skip":
        note(f"{what}: row skipped (on_blank_category='skip')", "category_desc", value)
        return None
    if opts.on_blank_category == "tag":
        note(
            f"{what}: cause set to {opts.blank_category_cause!r} "
            "(on_blank_category='tag')",
            "category_desc",
            value,
        )
        return [opts.blank_category_cause]
    note(
        f"{what}: need kept without causes (on_blank_category='keep')",
        "category_desc",
        value,
    )
    return []


def _dates(row: dict[str, str], opts: Options, note: Note) -> dict[str, date | None] | None:
    """``start_date`` and ``end_date`` of a row, or None when it is skipped (noted)."""
    dates: dict[str, date | None] = {"end_date": None}
    end = (row.get("end_date_date") or "").strip()
    try:
        if end:
            dates["end_date"] = parse_date(end)
    except ValueError as err:
        what = str(err)
    else:
        what = "" if end else "no end date: end_date_date is blank"
    if what:
        if opts.on_missing_end_date == "skip":
            note(
                f"{what}; row skipped: without an end date the need would never end "
                "(on_missing_end_date='skip')",
                "end_date_date",
                end or None,
            )
            return None
        note(
            f"{what}; kept without an end date: it never ends "
            "(on_missing_end_date='keep')",
            "end_date_date",
            end or None,
        )
    start = (row.get("start_date_date") or "").strip()
    try:
        dates["start_date"] = parse_date(start) if start else None
    except ValueError as err:
        note(f"{err}; left empty", "start_date_date", start)
        dates["start_date"] = None
    first, last = dates["start_date"], dates["end_date"]
    if first and last and last < first:
        note(
            f"skipped: end_date_date {last.isoformat()} is before start_date_date "
            f"{first.isoformat()}",
            "end_date_date",
            end,
        )
        return None
    return dates


def _notes(
    needs: list[Need], recurrence: Counter[str], vetting_organisation: str | None = None
) -> tuple[str, ...]:
    notes = [
        (
            "organisations are derived from org_content_id/org_title as kind 'cso', "
            "registered True: NYC Service listed them, the table does not give their "
            "legal form"
        ),
        (
            f"status 'approved' became 'open', vetted_by {vetting_organisation!r} (NYC Service "
            "approved each listing; it is added as a volunteer centre vetting their causes)"
            if vetting_organisation
            else "status 'approved' became 'open' (vetted_by left empty: vetting_organisation=None)"
        ),
    ]
    if recurrence:
        notes.append(
            "recurrence_type has no field in schema v1 and was dropped ("
            + ", ".join(f"{k}: {v}" for k, v in sorted(recurrence.items()))
            + "); start_date/end_date keep each listing's dates"
        )
    notes += _end_dates_note(needs)
    return tuple(notes)


def _end_dates_note(needs: list[Need]) -> list[str]:
    """What ``as_of`` keeps the needs open, given their end dates (none, some or all)."""
    ends = [n.end_date for n in needs if n.end_date is not None]
    endless = len(needs) - len(ends)
    never = (
        f"{endless} need(s) have no end date and never end: they are matched with any "
        "as_of (on_missing_end_date='keep')"
    )
    if not ends:
        return [never] if endless else []
    first, last = min(ends), max(ends)
    # (mid-year of the first year when that is within the dates, else the first date)
    example = date(first.year, 6, 1)
    if not first <= example <= last:
        example = first
    over = "every need is over" if not endless else "every need with an end date is over"
    text = (
        f"end dates run from {first.isoformat()} to {last.isoformat()}: match with an "
        f"as_of on or before {last.isoformat()} (for example as_of=date({example.year}, "
        f"{example.month}, {example.day})), otherwise {over}"
    )
    return [text, never] if endless else [text]


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


# matchkit/__init__.py shows import_nyc_service as matchkit.import_nyc_service, which hides
# it from doctest's module scan; list it so `pytest --doctest-modules` on this file runs it.
__test__ = {"NycImport": NycImport, "import_nyc_service": import_nyc_service}
