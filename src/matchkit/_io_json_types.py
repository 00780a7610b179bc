"""JSON input read by its types: ``true``/``false`` is not a number, a number is not
``true``/``false``, and neither is text (ids may be whole numbers). CSV cells are text and
are read as the table says (``_io_csv``); records given in Python are converted by the
models. Used by :func:`matchkit.load_dataset` for ``.json``, ``.jsonl`` and dataset
documents."""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping
from datetime import date
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel

from ._dataset import ID_FIELDS, as_id
from ._exceptions import Problem
from ._io_csv import _unwrap_optional
from ._models import Place

__all__ = ["check_json_types"]


# JSON says what type a value has, so JSON input is read strictly: true/false is not a
# number, a number is not true/false, and neither is text (CSV cells are text, read as
# docs/schema.md says). A boolean taken as a head count would hide a bug in the app that
# wrote the file.
_NUMBER_EXAMPLE = {"int": "a whole number, such as 2", "number": "a number, such as 7.5"}


@cache
def _json_kinds(model: type[BaseModel]) -> dict[str, str]:
    """Field -> what JSON type it takes: bool, int, number, text, texts (an array of
    text) or place; fields of other shapes are left to the model."""
    out = {}
    for name, info in model.model_fields.items():
        annotation = _unwrap_optional(info.annotation)
        if annotation is bool:
            out[name] = "bool"
        elif annotation is int:
            out[name] = "int"
        elif annotation is float:
            out[name] = "number"
        elif annotation is str and name in ID_FIELDS:
            out[name] = "id"  # (an app's whole-number ids are ids too)
        elif annotation in (str, date) or (
            isinstance(annotation, type) and issubclass(annotation, Enum)
        ):
            out[name] = "text"
        elif annotation is Place:
            out[name] = "place"
        elif typing.get_origin(annotation) is tuple and _unwrap_optional(
            (typing.get_args(annotation) or (None,))[0]
        ) is str:
            out[name] = "texts"
    return out


def _json_type_error(kind: str, value: Any) -> str | None:
    """Why ``value`` is not of the JSON type ``kind`` wants, or None when it is (or when the
    model says it better: null, or an array or object where one value belongs)."""
    if value is None or isinstance(value, (list, dict)):
        return None
    if kind == "bool":
        if isinstance(value, bool):
            return None
        got = "text" if isinstance(value, str) else "a number"
        return f"is {got}, not a JSON boolean; write true or false, without quotes"
    if kind in _NUMBER_EXAMPLE:
        if isinstance(value, bool):
            return f"true/false is not a number; write {_NUMBER_EXAMPLE[kind]}"
        if isinstance(value, str):
            return "is text, not a number; write the number without quotes"
        return None
    if isinstance(value, str) or (
        kind == "id" and isinstance(value, int) and not isinstance(value, bool)
    ):
        return None
    if kind == "id":
        return "is not an id; write the id as text in double quotes (or as a whole number)"
    return f"is not text; write it in double quotes: {json.dumps(str(json.dumps(value)))}"


_NONE = type(None)
# The Python types json gives each JSON type a field takes (null, arrays and objects where
# one value belongs are left to the model, which words them better).
_JSON_TYPES: dict[str, frozenset[type]] = {
    "bool": frozenset({bool, _NONE, list, dict}),
    "int": frozenset({int, float, _NONE, list, dict}),
    "number": frozenset({int, float, _NONE, list, dict}),
    "text": frozenset({str, _NONE, list, dict}),
    "id": frozenset({str, int, _NONE, list, dict}),
}
_NUMBER: frozenset[type] = frozenset({int, float, _NONE})


@cache
def _json_shapes(
    model: type[BaseModel],
) -> tuple[dict[str, frozenset[type]], tuple[str, ...], tuple[str, ...]]:
    """The types each one-value field takes, the array-of-text fields, the place fields."""
    kinds = _json_kinds(model)
    return (
        {name: _JSON_TYPES[kind] for name, kind in kinds.items() if kind in _JSON_TYPES},
        tuple(name for name, kind in kinds.items() if kind == "texts"),
        tuple(name for name, kind in kinds.items() if kind == "place"),
    )


def check_json_types(
    model: type[BaseModel],
    record: Mapping[str, Any],
    source: str,
    line: int,
    problems: list[Problem],
) -> set[str]:
    """Report the values of ``record`` that have the wrong JSON type; return their fields.

    Most records have none, so a quick pass over the types comes first.
    """
    single, arrays, places = _json_shapes(model)
    odd = [k for k, v in record.items() if k in single and type(v) not in single[k]]
    for name in arrays:
        value = record.get(name)
        if type(value) is list:
            try:
                "".join(value)  # (fails on an item that is not text)
            except TypeError:
                odd.append(name)
    for name in places:
        value = record.get(name)
        if type(value) is dict and not (
            type(value.get("lat")) in _NUMBER and type(value.get("lon")) in _NUMBER
        ):
            odd.append(name)
    bad: set[str] = set()
    if len(odd) > 1:
        odd.sort(key=list(record).index)  # in the record's order
    for name in odd:
        for fld, value, why in _json_type_errors(name, record[name], _json_kinds(model)[name]):
            problems.append(
                Problem(why, source=source, row=line, field=fld, value=value,
                        record_id=as_id(record.get("id")))
            )
            bad.add(name)
    return bad


def _json_type_errors(name: str, value: Any, kind: str) -> list[tuple[str, Any, str]]:
    """(field, value, why) for each part of ``value`` that has the wrong JSON type."""
    if kind == "texts":
        item = next(v for v in value if not isinstance(v, str))
        return [(name, item, "holds an item that is not text; write each item in double quotes")]
    if kind == "place":
        return [(f"{name}.{k}", v, error) for k, v in value.items()
                if k in ("lat", "lon") and (error := _json_type_error("number", v))]
    error = _json_type_error(kind, value)
    return [(name, value, error)] if error else []
