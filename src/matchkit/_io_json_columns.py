"""Valid JSON records read field by field: the same models as record by record, faster.

Record by record, each JSON record is type-checked, then validated, with a Python call
per tag set (862k of them for the city of 100k volunteers). Here each field's values are
type-checked and validated in one call per field, by the validators the model runs on
that field (as for CSV tables, :mod:`._io_columns`); arrays of text, which repeat, are
validated once per distinct array. The models are then put together from the fields, and
the model's record-wide validators run on each.

This path only reads records that are all valid: a record that is not an object, a field
the model does not have, a value of the wrong JSON type or that fails, a required field
left out, a record-wide rule that fails: :func:`read_valid_records` returns None and the
records are read one by one, which words every problem. A few records are also
validated whole and compared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter, methodcaller
from typing import Any

from pydantic import BaseModel, ValidationError

from ._io_columns import BLANK, _adapter, agrees, assemble, readable
from ._io_json_types import _NUMBER, _json_shapes

__all__ = ["read_valid_records"]

_ABSENT = type(BLANK)  # (the type of BLANK, a field a record leaves out)
#: Arrays of a field looked at to tell whether they repeat (half of them at most distinct).
_SAMPLE = 1000


def read_valid_records(model: type[BaseModel], records: Sequence[Any]) -> list[BaseModel] | None:
    """The models of ``records`` (values parsed from JSON), exactly as ``model.model_validate``
    makes them one by one; None unless every record is an object of known fields, of the
    right JSON types, and valid.

    Examples
    --------
    >>> from matchkit import Organisation
    >>> orgs = read_valid_records(Organisation, [
    ...     {"id": "o1", "name": " Food bank ", "kind": "cso", "registered": True},
    ...     {"id": 2, "name": "Shelter", "kind": "cso", "registered": False,
    ...      "vets_causes": ["food", " food"]}])
    >>> orgs[0].name, orgs[1].id, orgs[1].vets_causes, sorted(orgs[1].model_fields_set)
    ('Food bank', '2', ('food',), ['id', 'kind', 'name', 'registered', 'vets_causes'])
    >>> read_valid_records(Organisation, [{"id": "o1", "name": "", "kind": "cso",
    ...                                    "registered": True}]) is None
    True
    """
    if not readable(model) or not set(map(type, records)) <= {dict}:
        return None
    names = model.model_fields
    given = Counter(chain.from_iterable(records))  # field -> how many records give it
    if not set(given) <= set(names):
        return None  # (a field the model refuses)
    n = len(records)
    values: dict[str, list[Any]] = {}
    for name in names:
        if name in given:
            column = (
                list(map(itemgetter(name), records)) if given[name] == n
                else [r.get(name, BLANK) for r in records]
            )
            read = _read_field(model, name, column)
            if read is None:
                return None
            values[name] = read
    out = assemble(model, values, n)

    def whole(i: int) -> BaseModel | None:
        try:
            return model.model_validate(records[i])
        except ValidationError:
            return None

    if out is None or not agrees(model, out, whole, "json"):
        return None
    return out


def _read_field(model: type[BaseModel], name: str, column: list[Any]) -> list[Any] | None:
    """Each record's validated value of the field ``name`` (BLANK where it is not given),
    or None if a value has the wrong JSON type or is invalid.

    Arrays of text are validated once per distinct array (their validators are Python
    functions, and arrays repeat); other values are validated as they are, record by
    record, in one call (a key per value would cost more than it saves).
    """
    keys = _text_arrays(column)
    if keys is not None:
        try:
            # (arrays that seldom repeat, such as weekly slots, are validated as they are)
            sample = len(set(keys[:_SAMPLE]))
            first = dict(zip(keys, column)) if sample * 2 <= _SAMPLE else {}
        except TypeError:  # (an array holding arrays or objects)
            first = {}
        at = [k for k, v in first.items() if v is not BLANK]
        if not first or not set(
            map(type, chain.from_iterable(k for k in at if k is not None))
        ) <= {str}:
            keys = None  # (an item that is not text: 1, 1.0 and true are equal in Python)
        distinct = [first[k] for k in at]
    if keys is None:
        distinct = [v for v in column if v is not BLANK]
        blanks = len(distinct) < len(column)
    if not _json_types_fit(model, name, distinct):
        return None
    adapter = _adapter(model, name)
    if adapter is None:
        return None
    try:
        valid = adapter.validate_python(distinct)
    except ValidationError:
        return None
    if keys is None:
        if not blanks:
            return valid
        given = iter(valid)
        return [BLANK if v is BLANK else next(given) for v in column]
    of_key: dict[Any, Any] = dict(zip(at, valid))
    of_key[BLANK] = BLANK
    return list(map(of_key.__getitem__, keys))


def _text_arrays(column: list[Any]) -> list[Any] | None:
    """A key per value of a column of arrays (each array as a tuple; None and BLANK as
    they are), equal for arrays of equal items; None for other columns."""
    types = set(map(type, column))
    if list not in types or not types <= {list, type(None), _ABSENT}:
        return None
    if types == {list}:
        return list(map(tuple, column))
    return [tuple(v) if type(v) is list else v for v in column]


def _json_types_fit(model: type[BaseModel], name: str, values: list[Any]) -> bool:
    """Whether no value is of a JSON type the loader reports (``check_json_types``)."""
    single, arrays, places = _json_shapes(model)
    if name in single:
        return set(map(type, values)) <= single[name]
    if name in arrays:
        lists = [v for v in values if type(v) is list]
        return set(map(type, chain.from_iterable(lists))) <= {str}
    if name in places:
        dicts = [v for v in values if type(v) is dict]
        return all(
            set(map(type, map(methodcaller("get", half), dicts))) <= _NUMBER
            for half in ("lat", "lon")
        )
    return True
