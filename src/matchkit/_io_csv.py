"""Tabular shape of schema v1: CSV columns, cells to records and records to cells.

One table per kind. The columns follow the model fields in schema order; a set is one
``;``-separated cell; a place is two columns (``home_lat``, ``home_lon``); a boolean accepts
``true``/``false``, ``1``/``0``, ``yes``/``no`` (any case); an empty cell means "not given"
(the default applies). The same rules serve CSV files and pandas DataFrames, so both speak
the user's column names in every error.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel

from ._exceptions import InvalidInputError, Problem
from ._models import Place, _languages, _slots

__all__ = ["Column", "cells_from_record", "columns", "record_from_cells"]

SET_SEPARATOR = ";"
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
# Unicode White_Space, the characters pydantic strips (Python's str.strip also strips
# U+001C..U+001F, which pydantic keeps; a blank test must agree with the model).
_WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


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
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        if len(args) == 1:
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
                parts.append(f"{word} {bound:g}")
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
        return "non-empty text" if any(getattr(m, "min_length", None) for m in metadata) else "text"
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
            out.append(Column(f"{name}_lat", name, "lat", required, f"a {lat.description}"))
            out.append(Column(f"{name}_lon", name, "lon", required, f"a {lon.description}"))
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
    """True for a cell that means "not given": empty text, None, NaN, pandas NA."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip(_WHITESPACE) == ""
    if isinstance(value, float):
        return math.isnan(value)
    try:  # pandas.NA, pandas.NaT and numpy NaN scalars
        return bool(value != value)
    except (TypeError, ValueError):
        return False


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
    by_name = {c.name: c for c in columns(model)}
    for name, raw in cells.items():
        col = by_name[name]
        value = _plain(raw)
        if is_blank(value):
            continue
        if col.kind == "set":
            if isinstance(value, str):
                record[col.field] = [p for p in value.split(SET_SEPARATOR) if p.strip()]
            elif isinstance(value, (list, tuple, set, frozenset)):
                record[col.field] = list(value)
            else:
                bad.add(col.field)
                problems.append(
                    Problem(
                        f"expected {col.expected}",
                        source=source, row=row, field=name, value=value, record_id=record_id,
                    )
                )
        elif col.kind == "bool":
            parsed = _parse_bool(value)
            if parsed is None:
                bad.add(col.field)
                problems.append(
                    Problem(
                        f"is not a yes/no value; expected {col.expected}",
                        source=source, row=row, field=name, value=value, record_id=record_id,
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
                source=source, row=row, field=f"{fld}_{missing}", record_id=record_id,
            )
        )
    return record, bad


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
            value = [v if isinstance(v, str) else str(v) for v in getattr(item, col.field)]
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
