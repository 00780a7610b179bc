"""JSON Schema of data schema v1, for apps written in other languages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ._dataset import ID_FIELDS
from ._inkind_models import InkindOffer, InkindRequest
from ._models import SCHEMA_VERSION, Need, Organisation, Volunteer

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


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a schema-v1 dataset document.

    Examples
    --------
    >>> import matchkit as mk
    >>> s = mk.json_schema()
    >>> sorted(s["properties"])
    ['needs', 'offers', 'organisations', 'requests', 'volunteers']
    >>> s["$defs"]["Volunteer"]["properties"]["id"]["anyOf"]
    [{'type': 'string', 'minLength': 1}, {'type': 'integer'}]
    """
    schema = _DatasetDocument.model_json_schema(mode="validation")
    for model in schema.get("$defs", {}).values():
        for name, prop in model.get("properties", {}).items():
            if name in ID_FIELDS:
                _ids_may_be_numbers(prop)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://matchkit.invalid/schema/v{SCHEMA_VERSION}.json",
        "x-matchkit-schema-version": SCHEMA_VERSION,
        **schema,
    }
    return schema
