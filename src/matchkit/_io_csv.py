"""Tabular shape of schema v1: CSV columns, cells to records and records to cells.

One table per kind. The columns follow the model fields in schema order; a set is one
``;``-separated cell; a place is two columns (``home_lat``, ``home_lon``); a boolean accepts
``true``/``false``, ``1``/``0``, ``yes``/``no`` (any case); an empty cell means "not given"
(the default applies). The same rules serve CSV files and pandas DataFrames, so both speak
the user's column names in every error.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import threading
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel

from ._dataset import Dataset
from ._exceptions import InvalidInputError, Problem
from ._io_json import FileProblem
from ._models import WHITESPACE, Place, _languages, _slots

__all__ = [
    "FORMATS",
    "KINDS",
    "MODELS",
    "OPTIONAL_KINDS",
    "Column",
    "Parsed",
    "cell_records",
    "cells_from_record",
    "check_header",
    "columns",
    "field_limit",
    "read_csv_table",
    "record_from_cells",
    "wrong_separator",
]

FORMATS = ("csv", "json", "jsonl")


def _dataset_kinds() -> dict[str, type[BaseModel]]:
    """Every kind a Dataset holds (its init fields ``tuple[Model, ...]``), in order."""
    hints = typing.get_type_hints(Dataset)
    out: dict[str, type[BaseModel]] = {}
    for f in dataclasses.fields(Dataset):
        args = typing.get_args(hints[f.name])
        if (
            f.init
            and typing.get_origin(hints[f.name]) is tuple
            and args
            and isinstance(args[0], type)
            and issubclass(args[0], BaseModel)
        ):
            out[f.name] = args[0]
    return out


MODELS: dict[str, type[BaseModel]] = _dataset_kinds()
#: Kinds every dataset folder holds; the others (extensions of v1) are read when present.
KINDS = ("volunteers", "organisations", "needs")
OPTIONAL_KINDS = tuple(k for k in MODELS if k not in KINDS)

SET_SEPARATOR = ";"
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


@dataclass(frozen=True)
class Column:
    """One column of a kind's table.

    ``kind`` is ``"text"`` (passed to the model as written), ``"set"``, ``"bool"``, ``"lat"``
    or ``"lon"`` (the two halves of a place ``field``).
    """

    name: str
    field: str
    kind: str
    required: bool
    expected: str


def _unwrap_optional(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _unwrap_optional(args[0])
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap_optional(typing.get_args(annotation)[0])
    return annotation


def _bounds(metadata: list[Any]) -> str:
    parts = []
    for m in metadata:
        for attr, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            bound = getattr(m, attr, None)
            if bound is not None:
                shown = f"{bound:g}" if isinstance(bound, float) else str(bound)
                parts.append(f"{word} {shown}")
    return " and ".join(parts)


def _expected(annotation: Any, metadata: list[Any]) -> str:
    validators = {getattr(m, "func", None) for m in metadata}
    if typing.get_origin(annotation) is tuple:
        if _slots in validators:
            return "';'-separated slots such as 'mon-morning;sat-evening'"
        if _languages in validators:
            return "';'-separated two-letter language codes such as 'en;ru'"
        (element,) = typing.get_args(annotation)[:1] or (str,)
        if _unwrap_optional(element) is str:
            return "';'-separated tags such as 'first_aid;driving'"
        return f"';'-separated values ({getattr(element, '__name__', 'value')}), as in the schema"
    if annotation is bool:
        return "true or false (also 1/0, yes/no)"
    if annotation is date:
        return "a date written YYYY-MM-DD, such as 2011-02-24"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(repr(e.value) for e in annotation)
    bounds = _bounds(metadata)
    if annotation is int:
        return "a whole number" + (f" {bounds}" if bounds else "")
    if annotation is float:
        return "a number" + (f" {bounds}" if bounds else "")
    if annotation is str:
        return (
            "non-empty text"
            if any(getattr(m, "min_length", None) for m in metadata)
            else "text"
        )
    return "a value of type " + getattr(annotation, "__name__", str(annotation))


@cache
def columns(model: type[BaseModel]) -> tuple[Column, ...]:
    """The table columns of ``model`` (Volunteer, Organisation or Need), in schema order."""
    out: list[Column] = []
    for name, info in model.model_fields.items():
        annotation = _unwrap_optional(info.annotation)
        metadata = list(info.metadata)
        # Optional[Annotated[...]] keeps its constraints on the inner Annotated.
        for arg in typing.get_args(info.annotation):
            if typing.get_origin(arg) is typing.Annotated:
                metadata += list(typing.get_args(arg)[1:])
        required = info.is_required()
        if annotation is Place:
            lat, lon = Place.model_fields["lat"], Place.model_fields["lon"]
            out.append(
                Column(f"{name}_lat", name, "lat", required, f"a {lat.description}")
            )
            out.append(
                Column(f"{name}_lon", name, "lon", required, f"a {lon.description}")
            )
            continue
        if typing.get_origin(annotation) is tuple:
            kind = "set"
        elif annotation is bool:
            kind = "bool"
        else:
            kind = "text"
        out.append(Column(name, name, kind, required, _expected(annotation, metadata)))
    return tuple(out)


@cache
def columns_by_name(model: type[BaseModel]) -> dict[str, Column]:
    """Column name -> Column for ``model``."""
    return {c.name: c for c in columns(model)}


@cache
def field_names(model: type[BaseModel]) -> dict[str, str]:
    """Model path (``"home.lat"``) -> column name (``"home_lat"``) for error messages."""
    out: dict[str, str] = {}
    for col in columns(model):
        if col.kind in ("lat", "lon"):
            out[f"{col.field}.{col.kind}"] = col.name
            out.setdefault(col.field, f"{col.field}_lat/{col.field}_lon")
        else:
            out[col.field] = col.name
    return out


def is_blank(value: Any) -> bool:
    """True for a cell that means "not given": empty text, None, NaN, pandas NA.

    Examples
    --------
    >>> import pandas as pd
    >>> import numpy as np
    >>> [is_blank(v) for v in (" ", None, float("nan"), pd.NA, pd.NaT, "x", 0, np.False_)]
    [True, True, True, True, True, False, False, False]
    """
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip(WHITESPACE) == ""
    if isinstance(value, float):
        return math.isnan(value)
    try:  # pandas.NaT and numpy NaN scalars differ from themselves
        differs = value != value  # noqa: PLR0124
    except (TypeError, ValueError):
        return False
    try:
        return bool(differs)
    except TypeError:  # pandas.NA (the nullable dtypes' "missing"): NA != NA is NA
        return differs is value
    except ValueError:  # an array
        return False


#: :func:`text_cells`' answer for a blank cell.
BLANK_CELL: Any = type("Blank", (), {"__repr__": lambda self: "BLANK_CELL"})()


def text_cells(kind: str, raw: Iterable[str]) -> list[Any]:
    """CSV cells as :func:`record_from_cells` puts them in records for a column of
    ``kind``: :data:`BLANK_CELL` when blank, None when refused (a yes/no cell that is
    neither), else the value (a set's tags as a list; a place's half as text).

    Examples
    --------
    >>> text_cells("set", [" parks; ;trees ", ""])
    [['parks', 'trees'], BLANK_CELL]
    >>> text_cells("bool", ["Yes", "y"]), text_cells("lat", [" 55.8 ", "\u00a0 "])
    ([True, None], ['55.8', BLANK_CELL])
    """
    values = [cell.strip(WHITESPACE) or BLANK_CELL for cell in raw]
    if kind == "set":
        return [v if v is BLANK_CELL else _split_set(v) for v in values]
    if kind == "bool":
        return [v if v is BLANK_CELL else _parse_bool(v) for v in values]
    return values


def _split_set(value: str) -> list[str]:
    return [p for p in value.split(SET_SEPARATOR) if p.strip()]


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars -> Python scalars
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    return value


def record_from_cells(
    model: type[BaseModel],
    cells: Mapping[str, Any],
    *,
    source: str,
    row: int | None,
    problems: list[Problem],
) -> tuple[dict[str, Any], set[str]]:
    """Turn one table row (column name -> cell) into a JSON-shaped record for ``model``.

    Blank cells are left out so the model's default applies. Problems that the model cannot
    word in the user's terms (a bad boolean, half a place) are appended to ``problems``, and
    their fields are left out of the record and returned as the second item (non-empty:
    the row is invalid whatever the model says about the rest).
    """
    record: dict[str, Any] = {}
    places: dict[str, dict[str, Any]] = {}
    bad: set[str] = set()
    rid = cells.get("id")
    record_id = None if is_blank(rid) else str(rid).strip()
    by_name = columns_by_name(model)
    for name, raw in cells.items():
        col = by_name[name]
        if type(raw) is str:  # the CSV case, kept fast
            # Strip as the models strip text (Unicode White_Space), so that " open" or
            # " 3" read like "open" and "3" in every column, not only in text columns.
            value: Any = raw.strip(WHITESPACE)
            if not value:
                continue
        else:
            value = _plain(raw)
            if is_blank(value):
                continue
        if col.kind == "set":
            if isinstance(value, str):
                record[col.field] = _split_set(value)
            elif isinstance(value, (list, tuple, set, frozenset)):
                record[col.field] = list(value)
            elif _whole_number(value):
                # a frame's column of single numeric ids (pd.read_excel): the cell "3" of a CSV
                record[col.field] = [str(int(value))]
            else:
                bad.add(col.field)
                problems.append(
                    Problem(
                        f"expected {col.expected}",
                        source=source,
                        row=row,
                        field=name,
                        value=value,
                        record_id=record_id,
                    )
                )
        elif col.kind == "bool":
            parsed = _parse_bool(value)
            if parsed is None:
                bad.add(col.field)
                problems.append(
                    Problem(
                        f"is not a yes/no value; expected {col.expected}",
                        source=source,
                        row=row,
                        field=name,
                        value=value,
                        record_id=record_id,
                    )
                )
            else:
                record[col.field] = parsed
        elif col.kind in ("lat", "lon"):
            places.setdefault(col.field, {})[col.kind] = value
        else:
            record[col.field] = value
    for fld, place in places.items():
        if len(place) == 2:
            record[fld] = place
            continue
        given, missing = ("lat", "lon") if "lat" in place else ("lon", "lat")
        bad.add(fld)
        problems.append(
            Problem(
                f"{fld}_{given} is given but {fld}_{missing} is empty; a place needs both "
                f"columns (or neither): fill in {fld}_{missing} or clear {fld}_{given}",
                source=source,
                row=row,
                field=f"{fld}_{missing}",
                record_id=record_id,
            )
        )
    return record, bad


def _whole_number(value: Any) -> bool:
    """True for an int or a whole float (not a bool): a number a CSV cell writes without a point.

    Examples
    --------
    >>> [_whole_number(v) for v in (3, 3.0, 3.5, True, "3", float("inf"))]
    [True, True, False, False, False, False]
    """
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, float) and value in (0.0, 1.0):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def cells_from_record(
    model: type[BaseModel], item: BaseModel, *, source: str, native: bool = False
) -> dict[str, Any]:
    """One row of a kind's table (column name -> cell) for a validated model instance.

    With ``native=False`` every cell is text, as written to CSV; with ``native=True`` numbers
    and booleans stay numbers and booleans and a missing value is ``None`` (for DataFrames).

    Raises
    ------
    InvalidInputError
        If a tag holds the set separator ``;`` (it could not be read back as one tag).
    """
    data = item.model_dump(mode="json")
    out: dict[str, Any] = {}
    for col in columns(model):
        value = data.get(col.field)
        if col.kind in ("lat", "lon"):
            value = None if value is None else value[col.kind]
        if col.kind == "set":
            value = [
                v if isinstance(v, str) else str(v) for v in getattr(item, col.field)
            ]
            bad = [v for v in value if SET_SEPARATOR in v]
            if bad:
                raise InvalidInputError(
                    f"{source}: record {getattr(item, 'id', '?')!r}, field {col.name!r}: the tag "
                    f"{bad[0]!r} holds {SET_SEPARATOR!r}, which separates tags in a table cell; "
                    "rename the tag (for example with '/' or '_') or save as JSON"
                )
            out[col.name] = SET_SEPARATOR.join(value)
        elif native:
            out[col.name] = value
        elif value is None:
            out[col.name] = ""
        elif isinstance(value, bool):
            out[col.name] = "true" if value else "false"
        elif isinstance(value, float):
            out[col.name] = repr(value)
        else:
            out[col.name] = str(value)
    return out


class Parsed:
    """Records of one kind as read from one source, with where each came from."""

    def __init__(self, source: str, *, table: bool) -> None:
        self.source = source
        self.table = table  # field names are column names (CSV, DataFrame)
        self.lines: list[int | None] = []
        self.records: list[Any] = []
        self.raw: list[Mapping[str, Any] | None] = []  # the cells as written (tables)
        self.bad: list[set[str]] = []  # fields already reported by the table reader
        self.complete = True  # False when a required column is missing from the header
        # Ids of rows that could not be read (a wrong number of cells, broken quotes): the
        # row is reported, and records naming its id are not told that it does not exist.
        self.unread_ids: set[str] = set()
        # A CSV table as read (the cells of each row under the header, columns in
        # ``skip`` left out later), before its records are made; ``clean`` when reading
        # it found no problem.
        self.header: list[str] = []
        self.skip: set[str] = set()
        self.rows: list[list[str]] = []
        self.clean = False
        # The records already validated, when the table was read column by column (then
        # ``records``, ``raw`` and ``bad`` stay empty).
        self.models: list[BaseModel] | None = None


# -- reading a CSV table -----------------------------------------------------------------------
_FIELD_LIMIT_LOCK = threading.RLock()


@contextmanager
def field_limit(size: int) -> Iterator[None]:
    """Let the csv module read fields of up to ``size`` characters, then restore its limit.

    The limit is process-wide (128 KiB by default); a free-text cell (a long description,
    an NYC listing's ``summary``) can be longer. No field is longer than the whole text, so ``size`` is its
    length. The lock keeps two imports in threads from restoring each other's limit.
    """
    with _FIELD_LIMIT_LOCK:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(previous, size))
        try:
            yield
        finally:
            csv.field_size_limit(previous)


def read_csv_table(
    text: str, model: type[BaseModel], kind: str, source: str, problems: list[Problem]
) -> Parsed:
    """Rows of a CSV file of ``kind`` (``rows``, not yet records: see :func:`cell_records`);
    problems (header, cell counts) go to ``problems``. Cells of any length are read (see
    :func:`field_limit`)."""
    with field_limit(len(text)):
        start = len(problems)
        out = _read_table(text, model, kind, source, problems)
        out.clean = len(problems) == start and not out.skip
        return out


def cell_records(part: Parsed, model: type[BaseModel], problems: list[Problem]) -> None:
    """The records of a table's rows, cell by cell (:func:`record_from_cells`); problems
    of cells go to ``problems``."""
    for line, row in zip(part.lines, part.rows):
        cells = {h: c for h, c in zip(part.header, row) if h and h not in part.skip}
        record, bad = record_from_cells(
            model, cells, source=part.source, row=line, problems=problems
        )
        part.raw.append(cells)
        part.records.append(record)
        part.bad.append(bad | part.skip)


def _read_table(
    text: str, model: type[BaseModel], kind: str, source: str, problems: list[Problem]
) -> Parsed:
    out = Parsed(source, table=True)
    if not text.strip():
        raise FileProblem(
            Problem(
                "the file is empty; the first line must be the header (at least: "
                + ", ".join(c.name for c in columns(model) if c.required)
                + "), one record per line after it",
                source=source,
                row=1,
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as err:
        # "id";"name";... (every cell quoted, ';' between them) is not CSV with ',' at all
        header_line = text.split("\n", 1)[0].strip()
        wrong = wrong_separator([header_line], model, source)
        raise FileProblem(
            wrong or Problem(f"the header cannot be read as CSV: {err}", source=source, row=1)
        ) from None
    header = [h.strip() for h in header]
    wrong = wrong_separator(header, model, source)
    if wrong is not None:
        # Every row is one run-together cell: nothing below the header can be read, and
        # the records naming this kind are not told that its ids do not exist.
        problems.append(wrong)
        out.complete = False
        return out
    skip = check_header(header, model, kind, source, problems, report_unnamed=False)
    out.header, out.skip = header, skip
    out.complete = not ({c.field for c in columns(model) if c.required} & skip)
    n_cols = len(header)
    # Columns without a name: a spreadsheet's empty trailing columns (",," at the end of
    # every line) carry nothing and are left out; one holding a value is reported.
    unnamed = {i: (0, "") for i, name in enumerate(header) if not name}
    previous = reader.line_num
    lines: list[str] = []  # the file's lines, split only when a row cannot be read
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            first, last = previous + 1, reader.line_num
            previous = last
            lines = lines or io.StringIO(text, newline="").readlines()
            out.unread_ids |= _ids_in_lines(header, lines[first - 1 : last])
            rid = _cell_id(header, next(csv.reader(lines[first - 1 : first]), []))
            problems.append(_unreadable(err, first, last, len(lines), source, rid))
            continue
        line, previous = previous + 1, reader.line_num
        if not "".join(row).strip():
            continue  # blank lines and rows of empty cells are not records
        if len(row) != n_cols:
            what = (
                "a cell probably holds an unquoted ','; put such a cell in double quotes"
                if len(row) > n_cols
                else "add the missing cells (an empty cell is fine: it means 'not given')"
            )
            rid = _cell_id(header, row)
            if rid:
                out.unread_ids.add(rid)
            problems.append(
                Problem(
                    f"the row has {len(row)} cells but the header has {n_cols} columns; {what}",
                    source=source,
                    row=line,
                    record_id=rid,
                )
            )
            continue
        for i, (first, _) in unnamed.items():
            if not first and row[i].strip(WHITESPACE):
                unnamed[i] = (line, row[i])
        out.lines.append(line)
        out.rows.append(row)
    for i, (first, value) in unnamed.items():
        if first:
            problems.append(
                Problem(
                    f"column {i + 1} of the header has no name, and line {first} holds "
                    f"{value!r} in it; name the column or remove it",
                    source=source,
                    row=1,
                )
            )
    return out


def _unreadable(
    err: csv.Error, first: int, last: int, n_lines: int, source: str, rid: str | None
) -> Problem:
    """The problem of a row the CSV reader refused (lines ``first`` to ``last``)."""
    message = f"this row cannot be read as CSV: {err}; check its quotes"
    if last > first and last >= n_lines:
        message += (
            f" (a quote opened on line {first} is never closed, so lines {first} to {last} "
            "were read as this one row and are not loaded)"
        )
    return Problem(message, source=source, row=first, record_id=rid)


def _ids_in_lines(header: list[str], lines: list[str]) -> set[str]:
    """The id cell of each line read on its own: lines of rows that could not be read."""
    if "id" not in header:
        return set()
    col, out = header.index("id"), set()
    for line in lines:
        cells = next(csv.reader([line]), [])  # (not strict: it reads what it can)
        if col < len(cells) and cells[col].strip(WHITESPACE):
            out.add(cells[col].strip(WHITESPACE))
    return out


def _cell_id(header: list[str], row: list[str]) -> str | None:
    if "id" in header and header.index("id") < len(row):
        return row[header.index("id")].strip(WHITESPACE) or None
    return None


# Cell separators a spreadsheet writes instead of ',' (by locale or "text" export): how
# to name each one in a message.
_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


def wrong_separator(
    header: list[str], model: type[BaseModel], source: str, *, row: int | None = 1
) -> Problem | None:
    """The problem of a header whose cells are separated by another character than ',', or None.

    A file saved with ``;`` between cells (a spreadsheet in a locale whose decimal mark is
    a comma), tabs ("Text" export) or ``|`` reads as one column whose name is the whole
    header line. It is told as one problem, instead of one per column "missing" and a
    row count per line.

    Examples
    --------
    >>> from matchkit._models import Organisation
    >>> print(wrong_separator(["id;name;kind;registered"], Organisation, "orgs.csv"))
    orgs.csv, line 1: the header reads as one column 'id;name;kind;registered': the file seems to use ';' between cells, and matchkit's CSV files use ','; save the file as CSV with commas (in a spreadsheet: 'CSV UTF-8 (Comma delimited)')
    >>> wrong_separator(["id", "name;kind"], Organisation, "orgs.csv") is None
    True
    """
    known = {c.name for c in columns(model)}
    if any(name in known for name in header):
        return None
    line = ",".join(header)
    for separator, name in _SEPARATORS.items():
        parts = [part.strip().strip('"').strip() for part in line.split(separator)]
        if len(parts) > 1 and any(part in known for part in parts):
            return Problem(
                f"the header reads as one column {line!r}: the file seems to use {name} "
                "between cells, and matchkit's CSV files use ','; save the file as CSV with "
                "commas (in a spreadsheet: 'CSV UTF-8 (Comma delimited)')",
                source=source,
                row=row,  # the header line; None for a DataFrame, whose rows are records
            )
    return None


def check_header(
    header: list[str],
    model: type[BaseModel],
    kind: str,
    source: str,
    problems: list[Problem],
    *,
    report_unnamed: bool = True,
) -> set[str]:
    """Report header problems; return the names to leave out of the rows.

    The returned set holds the unknown or repeated columns, the fields of missing required
    columns and both columns of a place whose header has one of its two columns, so the rows
    are still checked (every problem is found) without repeating the header's problem once
    per row. With ``report_unnamed=False`` a column without a name is not reported (the
    caller leaves it out): the CSV reader reports it only if a row holds a value there.

    Examples
    --------
    >>> from matchkit._models import Volunteer
    >>> problems = []
    >>> sorted(check_header(["id", "home_lat"], Volunteer, "volunteers", "v.csv", problems))
    ['home', 'home_lat']
    >>> print(*problems)
    v.csv, line 1, field 'home_lon': the header has home_lat but no home_lon column; a place needs both columns (or neither): add a 'home_lon' column or remove 'home_lat'
    """
    known = {c.name: c for c in columns(model)}
    skip: set[str] = set()
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if not name and not report_unnamed:
            continue
        if not name:
            problems.append(
                Problem(
                    f"column {i} of the header has no name; name it or remove the column",
                    source=source,
                    row=1,
                )
            )
            skip.add(name)
        elif name in seen:
            problems.append(
                Problem(
                    "the column appears twice in the header; keep one",
                    source=source,
                    row=1,
                    field=name,
                )
            )
            skip.add(name)
        elif name not in known:
            close = [k for k in known if k == name.lower().replace(" ", "_")]
            close = close or get_close_matches(name.lower(), list(known), n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else "remove it or check its spelling"
            )
            for separator, sep_name in _SEPARATORS.items():
                if separator in name and "," not in name:
                    hint = f"the file seems to use {sep_name} between cells; matchkit CSV files use ','"
            problems.append(
                Problem(
                    f"is not a column of {kind} (schema v1); {hint}",
                    source=source,
                    row=1,
                    field=name,
                )
            )
            skip.add(name)
        seen.add(name)
    for col in known.values():
        if col.required and col.name not in seen:
            problems.append(
                Problem(
                    f"the required column is missing from the header; add a {col.name!r} column "
                    f"holding {col.expected}",
                    source=source,
                    row=1,
                    field=col.name,
                )
            )
            skip.add(col.field)
    return skip | _half_places(known, seen, source, problems)


def _half_places(
    known: Mapping[str, Column], header: set[str], source: str, problems: list[Problem]
) -> set[str]:
    """The place fields and columns of each place whose header has only one of its columns.

    An optional place is reported here, once; a required one is reported as a missing
    column. Either way the rows' cells of the column given are left out: its rows cannot
    hold a place, and "home_lat is given but home_lon is empty" on each row would repeat
    the header's problem.
    """
    skip: set[str] = set()
    for lat in known.values():
        if lat.kind != "lat":
            continue
        lon = known[f"{lat.field}_lon"]
        given = [col for col in (lat, lon) if col.name in header]
        if len(given) != 1:
            continue
        (have,) = given
        missing = lon if have is lat else lat
        skip |= {have.name, lat.field}
        if not missing.required:
            problems.append(
                Problem(
                    f"the header has {have.name} but no {missing.name} column; a place needs "
                    f"both columns (or neither): add a {missing.name!r} column or remove "
                    f"{have.name!r}",
                    source=source,
                    row=1,
                    field=missing.name,
                )
            )
    return skip
