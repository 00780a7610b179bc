"""Valid CSV tables read column by column: the same models as cell by cell, faster.

Cell by cell, each row of a table becomes a dict of cells, then a record, then a model
validated field by field, with a Python call per tag set, date and number: 2.5 s for a
table of 100k volunteers. Here each column's distinct cells are validated once, in one
call per column, by the validators the model runs on that field (its annotation, its
constraints, its field validators, the model's settings); the models are then put
together from the columns, and the model's record-wide validators run on each.

This path only reads tables that are valid throughout. A cell that fails, a required
column left blank, a place with one coordinate, a record-wide rule that fails, or a
field this path cannot validate on its own: :func:`read_valid_rows` returns None and
the table is read cell by cell, which words every problem. A few rows are also read
both ways and compared (values, their types, the fields given): if a later pydantic
builds models differently, the cell-by-cell path is used.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Sequence
from datetime import date
from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, TypeAdapter, ValidationError

from ._io_csv import BLANK_CELL, columns_by_name, record_from_cells, text_cells
from ._models import Place

__all__ = ["read_valid_rows"]

log = logging.getLogger("matchkit")

#: A blank cell (the field is not given: its default applies).
BLANK = object()
#: Rows read both ways and compared (spread over the table).
PROBES = 5
#: Default values a model may share between records (they cannot change).
_IMMUTABLE = (type(None), bool, int, float, str, tuple, frozenset, date, Enum)
_new = object.__new__
_set = object.__setattr__


def read_valid_rows(
    model: type[BaseModel], header: Sequence[str], rows: Sequence[Sequence[str]]
) -> list[BaseModel] | None:
    """The models of ``rows`` (lists of cells under ``header``, all of known columns),
    exactly as validating each row's record would make them; None unless every row is
    valid and every field can be read this way."""
    named = [h for h in header if h]
    if not readable(model) or len(set(named)) < len(named):
        return None
    by_name = columns_by_name(model)
    n = len(rows)
    cells = list(zip(*rows)) if n else [() for _ in header]
    values: dict[str, list[Any]] = {}  # field -> value per row (BLANK where not given)
    places: dict[str, dict[str, list[Any]]] = {}
    for name, column in zip(header, cells):
        if not name:
            continue  # (an unnamed column holds nothing: the reader checked)
        col = by_name.get(name)
        if col is None:
            return None  # (a column the reader reports)
        read = _read_column(model, col.field, col.kind, column)
        if read is None:
            return None
        if col.kind in ("lat", "lon"):
            places.setdefault(col.field, {})[col.kind] = read
        else:
            values[col.field] = read
    for field, halves in places.items():
        place = _places(halves, n)
        if place is None:
            return None
        values[field] = place

    out = assemble(model, values, n)
    if out is None:
        return None

    def by_cells(i: int) -> BaseModel | None:
        cells = {h: c for h, c in zip(header, rows[i]) if h}
        record, bad = record_from_cells(model, cells, source="", row=None, problems=[])
        try:
            return None if bad else model.model_validate(record)
        except ValidationError:
            return None

    return out if agrees(model, out, by_cells, "csv") else None


def assemble(
    model: type[BaseModel], values: dict[str, list[Any]], n: int
) -> list[BaseModel] | None:
    """The ``n`` models made of each field's validated values (BLANK where a record does
    not give the field; a field without values is given by none), with the model's
    record-wide checks run on each; None if a record leaves a required field out, or a
    check fails or makes another record. The model must be :func:`readable`."""
    fields, checks = _fields(model), _record_checks(model)
    assert fields is not None and checks is not None
    names = list(model.model_fields)
    # Per field: the value of every record, and (where some leave it out) which give it.
    final: list[Any] = []
    given: list[list[bool]] = []
    given_names: list[str] = []
    always: set[str] = set()
    for name in names:
        got = values.get(name)
        default = fields[name]
        if got is None:  # given by no record: the default everywhere
            if default is BLANK:
                return None  # (a required field never given)
            final.append([default] * n)
            continue
        if BLANK not in got:  # (BLANK equals only itself)
            final.append(got)
            always.add(name)
            continue
        if default is BLANK:
            return None  # (a required field left out)
        final.append([default if v is BLANK else v for v in got])
        given.append([v is not BLANK for v in got])
        given_names.append(name)

    set_of: dict[tuple[bool, ...], frozenset[str]] = {}
    out: list[BaseModel] = []
    signatures = zip(*given) if given else ((),) * n
    for row, sig in zip(zip(*final), signatures):
        fields_set = set_of.get(sig)
        if fields_set is None:
            fields_set = set_of[sig] = frozenset(
                always | {f for f, g in zip(given_names, sig) if g}
            )
        obj = _new(model)
        _set(obj, "__dict__", dict(zip(names, row)))
        _set(obj, "__pydantic_fields_set__", set(fields_set))
        _set(obj, "__pydantic_extra__", None)
        _set(obj, "__pydantic_private__", None)
        out.append(obj)
    try:
        for check in checks:
            for obj in out:
                if check(obj) is not obj:
                    return None  # (a validator that makes another record)
    except (ValueError, AssertionError):
        return None
    return out


def _read_column(
    model: type[BaseModel], field: str, kind: str, column: Sequence[str]
) -> list[Any] | None:
    """Each cell's validated value (BLANK for a blank cell), or None if one is invalid."""
    distinct = list(dict.fromkeys(column))
    values = text_cells(kind, distinct)
    if None in values:
        return None  # (a cell the reader itself refuses, such as a bad yes/no)
    adapter = _adapter(Place, kind) if kind in ("lat", "lon") else _adapter(model, field)
    if adapter is None:
        return None
    at = [i for i, v in enumerate(values) if v is not BLANK_CELL]
    try:
        valid = adapter.validate_python([values[i] for i in at] if len(at) < len(values) else values)
    except ValidationError:
        return None
    out: list[Any] = [BLANK] * len(distinct)
    for i, v in zip(at, valid):
        out[i] = v
    return list(map(dict(zip(distinct, out)).__getitem__, column))


def _places(halves: dict[str, list[Any]], n: int) -> list[Any] | None:
    """The places of a field's two columns; None where a row gives one half only."""
    lat, lon = halves.get("lat"), halves.get("lon")
    if lat is None or lon is None:
        return None
    out: list[Any] = []
    both = {"lat", "lon"}
    for a, b in zip(lat, lon):
        if a is BLANK or b is BLANK:
            if a is not b:
                return None
            out.append(BLANK)
            continue
        p = _new(Place)
        _set(p, "__dict__", {"lat": a, "lon": b})
        _set(p, "__pydantic_fields_set__", set(both))
        _set(p, "__pydantic_extra__", None)
        _set(p, "__pydantic_private__", None)
        out.append(p)
    return out


@functools.cache
def _fields(model: type[BaseModel]) -> dict[str, Any] | None:
    """Field -> its default (BLANK if required); None if a default could be changed by
    a record (then each record needs its own copy) or comes from a factory."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.is_required():
            out[name] = BLANK
        elif info.default_factory is not None or not isinstance(info.default, _IMMUTABLE):
            return None
        else:
            out[name] = info.default
    return out


@functools.cache
def _adapter(model: type[BaseModel], field: str) -> TypeAdapter[list[Any]] | None:
    """A validator of a list of values of ``model.field``: the field's annotation and
    constraints, then the model's field validators, with the model's settings. None if
    a field validator is not a plain "after" function of the value."""
    info = model.model_fields[field]
    after = []
    for dec in model.__pydantic_decorators__.field_validators.values():
        if field not in dec.info.fields and "*" not in dec.info.fields:
            continue
        if dec.info.mode != "after" or len(inspect.signature(dec.func).parameters) != 1:
            return None
        after.append(AfterValidator(dec.func))
    extra = (*info.metadata, *after)
    kind = Annotated[(info.annotation, *extra)] if extra else info.annotation
    config = {k: v for k, v in model.model_config.items() if k not in ("frozen", "extra", "title")}
    return TypeAdapter(list[kind], config=config)  # type: ignore[valid-type, arg-type]


@functools.cache
def _plain_model(model: type[BaseModel]) -> bool:
    """Whether the models can be put together from their validated fields alone: no
    step after construction (``model_post_init``), no defaults validated, no validators
    of pydantic 1's kind, and no field validator on a place (whose halves are validated
    as the place's own fields)."""
    decorators = model.__pydantic_decorators__
    places = set() if model is Place else {
        c.field for c in columns_by_name(model).values() if c.kind in ("lat", "lon")
    }
    on_places = any(
        places & set(dec.info.fields) or (places and "*" in dec.info.fields)
        for dec in decorators.field_validators.values()
    )
    return not (
        model.__pydantic_post_init__
        or model.model_config.get("validate_default")
        or any(info.validate_default for info in model.model_fields.values())
        or decorators.validators
        or decorators.root_validators
        or on_places
        or any(model.model_fields[f].metadata for f in places)
    )


@functools.cache
def readable(model: type[BaseModel]) -> bool:
    """Whether the model's records can be put together field by field (:func:`assemble`):
    defaults that records may share, "after" record-wide validators only, nothing
    :func:`_plain_model` rules out (for the model and its places), and no aliases."""
    return (
        _fields(model) is not None
        and _record_checks(model) is not None
        and _plain_model(model)
        and _plain_model(Place)
        and not any(info.alias or info.validation_alias for info in model.model_fields.values())
    )


@functools.cache
def _record_checks(model: type[BaseModel]) -> tuple[Any, ...] | None:
    """The model's record-wide "after" validators (each takes the record); None if it
    has another kind (one that sees the record before its fields are validated)."""
    out = []
    for dec in model.__pydantic_decorators__.model_validators.values():
        if dec.info.mode != "after":
            return None
        out.append(dec.func)
    return tuple(out)


def agrees(
    model: type[BaseModel],
    made: list[BaseModel],
    reference: Callable[[int], BaseModel | None],
    source: str,
) -> bool:
    """Whether a few records (spread over them) made field by field are those
    ``reference(i)`` makes one by one (None: it refuses the record)."""
    n = len(made)
    for i in sorted({round(k * (n - 1) / max(PROBES - 1, 1)) for k in range(PROBES)} if n else ()):
        one = reference(i)
        if one is None or not _same(one, made[i]):
            log.debug("%s: %s read field by field differs from the model; one by one",
                      source, model.__name__)
            return False
    return True


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types; models also with the same fields given."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):
        return (
            list(a.__dict__) == list(b.__dict__)
            and a.__pydantic_fields_set__ == b.__pydantic_fields_set__
            and a.__pydantic_extra__ == b.__pydantic_extra__
            and a.__pydantic_private__ == b.__pydantic_private__
            and all(_same(x, b.__dict__[k]) for k, x in a.__dict__.items())
        )
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b) or (a != a and b != b)  # noqa: PLR0124 (NaN)
