"""JSON Schema of data schema v1, for apps written in other languages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ._dataset import ID_FIELDS
from ._inkind_models import InkindOffer, InkindRequest
from ._models import (
    DAYS,
    PARTS_OF_DAY,
    SCHEMA_VERSION,
    SLOTS,
    Need,
    Organisation,
    Volunteer,
)

__all__ = ["json_schema"]


class _DatasetDocument(BaseModel):
    """A whole dataset as one JSON document (the JSON format of ``save_dataset``)."""

    model_config = ConfigDict(extra="forbid", title="matchkit dataset, schema v1")

    volunteers: list[Volunteer] = Field(default_factory=list)
    organisations: list[Organisation] = Field(default_factory=list)
    needs: list[Need] = Field(default_factory=list)
    offers: list[InkindOffer] = Field(default_factory=list)  # in-kind extension of v1
    requests: list[InkindRequest] = Field(default_factory=list)  # in-kind extension of v1


def _ids_may_be_numbers(prop: dict[str, Any]) -> None:
    """An id is a string or a whole number in JSON (``"id": 3`` is the id ``"3"``), as
    the loader reads it: the string alternative gets an integer one beside it."""
    options = prop.get("anyOf")
    if options is None:
        text: dict[str, Any] = {
            k: prop.pop(k) for k in ("type", "minLength", "maxLength", "pattern") if k in prop
        }
        if text.get("type") == "string":
            prop["anyOf"] = [text, {"type": "integer"}]
        else:
            prop.update(text)
    elif any(o.get("type") == "string" for o in options) and {"type": "integer"} not in options:
        options.insert(1, {"type": "integer"})


def _any_case(word: str) -> str:
    """A regular expression (ECMA-262, as JSON Schema reads them) for ``word`` in any case."""
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in word)


#: Items the loader reads as the models' validators do: spaces around them dropped, any case.
_SLOT_ITEM = {
    "type": "string",
    "pattern": (
        r"^\s*(" + "|".join(_any_case(d) for d in DAYS) + ")-("
        + "|".join(_any_case(p) for p in PARTS_OF_DAY) + r")\s*$"
    ),
    "description": "a weekly slot, day-part of day, such as mon-morning; read in any case",
}
_LANGUAGE_ITEM = {
    "type": "string",
    "pattern": r"^\s*[A-Za-z]{2}\s*$",
    "description": "an ISO 639-1 language code (two letters, such as en, ru); read in any case",
}


def _items_as_read(prop: dict[str, Any], name: str) -> None:
    """Slot, language and tag items as the loader reads them: the schema gave slots as an
    enum of lower-case names (the loader reads ``Sat-Morning``, as schema.md says),
    languages as any text (the loader takes two letters only) and tags as any text (the
    loader refuses a blank one)."""
    items = prop.get("items")
    if not isinstance(items, dict):
        return
    if items.get("enum") == list(SLOTS):
        prop["items"] = dict(_SLOT_ITEM)
    elif name == "languages" and items.get("type") == "string":
        prop["items"] = dict(_LANGUAGE_ITEM)
    elif items == {"type": "string"}:
        prop["items"] = {"type": "string", "pattern": _NOT_BLANK}


#: Text the loader takes where it must not be empty: spaces around it are dropped first.
_NOT_BLANK = r"\S"


def _not_blank(prop: dict[str, Any]) -> None:
    """Required text (an id, a title, a name) is not blank once stripped, as the loader
    reads it; ``minLength: 1`` alone took ``" "``."""
    for option in [prop, *prop.get("anyOf", [])]:
        if option.get("type") == "string" and option.get("minLength") == 1:
            option.setdefault("pattern", _NOT_BLANK)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a schema-v1 dataset document.

    Examples
    --------
    >>> import matchkit as mk
    >>> s = mk.json_schema()
    >>> sorted(s["properties"])
    ['needs', 'offers', 'organisations', 'requests', 'volunteers']
    >>> s["$defs"]["Volunteer"]["properties"]["id"]["anyOf"]
    [{'type': 'string', 'minLength': 1, 'pattern': '\\\\S'}, {'type': 'integer'}]
    """
    schema = _DatasetDocument.model_json_schema(mode="validation")
    for model in schema.get("$defs", {}).values():
        for name, prop in model.get("properties", {}).items():
            if name in ID_FIELDS:
                _ids_may_be_numbers(prop)
            _items_as_read(prop, name)
            _not_blank(prop)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://matchkit.invalid/schema/v{SCHEMA_VERSION}.json",
        "x-matchkit-schema-version": SCHEMA_VERSION,
        **schema,
    }
    return schema
