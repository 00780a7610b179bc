"""JSON records read field by field give exactly the models read record by record.

``read_valid_records`` is a shortcut for valid JSON records: it must give the same models
(values, their types, the fields given) as type-checking and validating each record, and
give up (None) when any record is not valid, so that the record-by-record path words the
problems.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import matchkit as mk
from matchkit import _io, _io_columns, _io_json_columns
from matchkit._io_csv import MODELS
from matchkit._io_json_columns import read_valid_records
from matchkit._io_json_types import check_json_types
from matchkit.datasets import synthetic_city, tiny_city

SMALL_CITY = (400, 60, 11)  # (with offers and requests)


def one_by_one(model: type[BaseModel], records: list[Any]) -> list[BaseModel] | None:
    """The loader's record-by-record path: the models, or None if a record is not valid."""
    out = []
    for record in records:
        if not isinstance(record, dict):
            return None
        if check_json_types(model, record, "records.json", 1, []):
            return None
        try:
            out.append(model.model_validate(record))
        except ValidationError:
            return None
    return out


def same(a: Any, b: Any) -> bool:
    """The same values of the same types (floats to the bit: -0.0 is not 0.0); models with
    the same fields given, in the same order, and each its own object."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):
        return (
            a is not b
            and list(a.__dict__) == list(b.__dict__)
            and a.model_fields_set == b.model_fields_set
            and a.__pydantic_extra__ == b.__pydantic_extra__
            and a.__pydantic_private__ == b.__pydantic_private__
            and all(same(v, b.__dict__[k]) for k, v in a.__dict__.items())
        )
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return a.hex() == b.hex() or (a != a and b != b)  # noqa: PLR0124 (NaN)
    return bool(a == b)


def all_same(a: list[BaseModel], b: list[BaseModel]) -> bool:
    nested = [id(v) for m in b for v in m.__dict__.values() if isinstance(v, BaseModel)]
    return len(a) == len(b) and all(map(same, a, b)) and len(nested) == len(set(nested))


def saved_records(kind: str) -> list[dict[str, Any]]:
    """Records of ``kind`` as a saved city holds them."""
    return [m.model_dump(mode="json", exclude_unset=True) for m in getattr(_CITY, kind)]


_CITY = synthetic_city(*SMALL_CITY[:2], seed=SMALL_CITY[2])
_SAVED = {kind: saved_records(kind) for kind in MODELS}

# Values a JSON file may hold where any field belongs: numbers as text, text as numbers,
# floats for whole numbers, true/false, null, places with extra or missing keys, arrays
# with repeats, blanks or items that are not text.
ODD: list[Any] = [
    "7", " 7 ", 7, 7.0, 7.5, -0.0, 0.0, 0, 1, True, False, None, "", "  ", " a ", "Ünï",
    "2026-01-01", " 2027-02-28 ", "2027-02-29", "cso", " open ", "en", 10**6, 2**40,
    float("inf"), float("nan"), [], ["a", "a", " a "], ["", "b"], [" b", "a"], ["a", "b"],
    ["b", "a"], [1], [True], [1.0], ["en", "EN"], [" ru", "en"], ["mon-morning"],
    ["mon-morning", " Mon-Morning "], ["sat-evening", "mon-morning"], [["a"]], [None],
    [{"start": "2026-01-01", "end": "2026-02-01"}], {"lat": 55, "lon": 49},
    {"lat": 55.5, "lon": 49.0}, {"lon": 49.0, "lat": 55.5}, {"lat": -0.0, "lon": 0},
    {"lat": 55.5, "lon": 49.0, "alt": 1}, {"lat": "55", "lon": 49}, {"lat": True, "lon": 1},
    {"lat": 95, "lon": 0}, {"lat": 1}, {},
]


@st.composite
def json_records(draw: st.DrawFn) -> tuple[type[BaseModel], list[Any]]:
    """Records of one kind: saved ones, some fields mixed between records, left out, or
    given odd values; now and then an unknown field or a record that is not an object."""
    kind = draw(st.sampled_from(sorted(MODELS)))
    model, saved = MODELS[kind], _SAVED[kind]
    names = list(model.model_fields)
    records: list[Any] = []
    for _ in range(draw(st.integers(1, 8))):
        record = dict(draw(st.sampled_from(saved)))
        for _ in range(draw(st.integers(0, 3))):
            name = draw(st.sampled_from(names))
            how = draw(st.sampled_from(["odd", "other", "drop", "other"]))
            if how == "drop":
                record.pop(name, None)
            elif how == "other":
                other = draw(st.sampled_from(saved))
                if name in other:
                    record[name] = other[name]
            else:
                record[name] = draw(st.sampled_from(ODD))
        if draw(st.integers(0, 40)) == 0:
            record[draw(st.sampled_from(["Id", "notes", "home_lat"]))] = "x"
        records.append(record if draw(st.integers(0, 60)) else [record])
    return model, records


@given(json_records(), st.sampled_from([2, 1000]))
def test_field_by_field_gives_the_record_by_record_models_or_gives_up(
    case: tuple[type[BaseModel], list[Any]], sample: int
) -> None:
    model, records = case
    reference = one_by_one(model, records)
    # (this path on its own; arrays validated once each, or as they are when few repeat)
    with mock.patch.object(_io_columns, "PROBES", 0), mock.patch.object(
        _io_json_columns, "_SAMPLE", sample
    ):
        fast = read_valid_records(model, records)
    if reference is None:
        assert fast is None
    else:
        assert fast is not None and all_same(reference, fast)


@pytest.mark.parametrize(
    "values",
    [
        ["7", 7, 7.0, " 7", None],
        [1, True, 1.0, "1", 0, False, -0.0, 0.0],
        [["a", "b"], ["b", "a"], ["a", "a"], [" a", "b "], [], None, ["a", "b"]],
        [{"lat": 55, "lon": 49}, {"lat": 55.0, "lon": 49.0}, {"lat": -0.0, "lon": 0.0},
         {"lat": 0.0, "lon": 0.0}, {"lon": 1.5, "lat": 2}, None],
    ],
)
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_field_with_values_equal_in_python_reads_as_record_by_record(
    kind: str, values: list[Any]
) -> None:
    model = MODELS[kind]
    base = _SAVED[kind][0]
    for name in model.model_fields:
        records = [{**base, name: v} for v in values]
        reference = one_by_one(model, records)
        with mock.patch.object(_io_columns, "PROBES", 0):
            fast = read_valid_records(model, records)
        if reference is None:
            assert fast is None, name
        else:
            assert fast is not None and all_same(reference, fast), name


def test_fields_left_out_and_given_as_null_keep_their_fields_given() -> None:
    model = MODELS["volunteers"]
    records: list[Any] = [
        {"id": f"v{i}"} | ({"home": None} if i % 3 == 0 else {})
        | ({"skills": None} if i % 4 == 0 else {}) | ({"pool": ""} if i % 5 == 0 else {})
        for i in range(30)
    ]
    with mock.patch.object(_io_columns, "PROBES", 0):
        fast = read_valid_records(model, records)
    reference = one_by_one(model, records)
    assert fast is not None and reference is not None and all_same(reference, fast)
    assert [sorted(v.model_fields_set) for v in fast][:6] == [
        ["home", "id", "pool", "skills"], ["id"], ["id"], ["home", "id"], ["id", "skills"],
        ["id", "pool"],
    ]


# -- the loader, both ways: the same dataset or the same problems ------------------------------
def load_both_ways(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[str, Any, list[type[BaseModel]]], tuple[str, Any]]:
    """``load_dataset`` as shipped, then with every record validated one by one:
    ("ok", dataset) or ("error", (problems, message)); with the kinds read field by field."""
    real, fast = _io.read_valid_records, []

    def counted(model: Any, records: Any) -> Any:
        out = real(model, records)
        if out is not None:
            fast.append(model)
        return out

    def load() -> tuple[str, Any]:
        try:
            return "ok", mk.load_dataset(path)
        except mk.InvalidDatasetError as err:
            return "error", (err.problems, str(err))

    with monkeypatch.context() as m:
        m.setattr(_io, "read_valid_records", counted)
        shipped = load()
    with monkeypatch.context() as m:
        m.setattr(_io, "read_valid_records", lambda *a: None)
        reference = load()
    return (*shipped, fast), reference


def assert_same_datasets(a: mk.Dataset, b: mk.Dataset) -> None:
    """Equal datasets whose records match in values, types, fields given, dumps and repr."""
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)
    for kind in MODELS:
        mine, theirs = list(getattr(a, kind)), list(getattr(b, kind))
        assert all_same(theirs, mine), kind
        for x, y in zip(mine, theirs):
            assert x.model_dump(exclude_unset=True) == y.model_dump(exclude_unset=True)
            assert x.model_dump_json() == y.model_dump_json() and repr(x) == repr(y)
    assert pickle.loads(pickle.dumps(a)) == b


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(
    "make",
    [tiny_city, lambda: synthetic_city(3000, 300, seed=4), lambda: _CITY],
    ids=["tiny", "3000", "in-kind"],
)
def test_saved_datasets_load_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Any, fmt: str
) -> None:
    ds = make()
    mk.save_dataset(ds, tmp_path, format=fmt)
    (outcome, got, fast), reference = load_both_ways(tmp_path, monkeypatch)
    assert outcome == reference[0] == "ok"
    assert_same_datasets(got, reference[1])
    assert got == ds
    kinds = [kind for kind, _ in ds]
    assert set(fast) == {MODELS[kind] for kind in kinds}  # (every kind read field by field)


def test_a_dataset_document_loads_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "city.json"
    doc.write_text(json.dumps({kind: _SAVED[kind] for kind in MODELS}), encoding="utf-8")
    (outcome, got, fast), reference = load_both_ways(doc, monkeypatch)
    assert outcome == "ok" and set(fast) == set(MODELS.values())
    assert_same_datasets(got, reference[1])
    assert got == _CITY


def _break(kind: str, how: str) -> Any:
    def change(records: list[Any]) -> None:
        record = records[1]
        if how == "text for a number":
            record["capacity" if kind == "needs" else "max_placements"] = "3"
        elif how == "unknown field":
            record["titel"] = "x"
        elif how == "duplicate id":
            record["id"] = records[0]["id"]
        elif how == "wrong slot":
            record["slots" if kind == "needs" else "availability"] = ["fri-night"]
        elif how == "not an object":
            records[1] = [record]
        elif how == "required field left out":
            del record["id"]
        elif how == "number in a tag set":
            record["skills" if kind == "volunteers" else "causes"] = ["a", 7]
        elif how == "place with text":
            record["home" if kind == "volunteers" else "location"] = {"lat": "55", "lon": 49}
        elif how == "unknown organisation":
            record["organisation_id"] = "nowhere"
        elif how == "remote need without a place":
            record.pop("location", None)
            record["remote"] = False

    return change


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize(
    ("kind", "how"),
    [
        ("needs", "text for a number"),
        ("volunteers", "text for a number"),
        ("volunteers", "unknown field"),
        ("needs", "duplicate id"),
        ("volunteers", "wrong slot"),
        ("needs", "not an object"),
        ("volunteers", "required field left out"),
        ("volunteers", "number in a tag set"),
        ("needs", "number in a tag set"),
        ("volunteers", "place with text"),
        ("needs", "unknown organisation"),
        ("needs", "remote need without a place"),
    ],
)
def test_invalid_records_give_the_same_problems_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, how: str, fmt: str
) -> None:
    mk.save_dataset(tiny_city(), tmp_path, format=fmt)
    path = tmp_path / f"{kind}.{fmt}"
    text = path.read_text(encoding="utf-8")
    records = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
    _break(kind, how)(records)
    path.write_text(
        json.dumps(records, indent=1) if fmt == "json" else "\n".join(map(json.dumps, records)),
        encoding="utf-8",
    )
    (outcome, got, fast), reference = load_both_ways(tmp_path, monkeypatch)
    assert outcome == reference[0] == "error"
    assert got == reference[1]
    if how not in ("duplicate id", "unknown organisation"):  # (checks between records)
        assert MODELS[kind] not in fast


def test_models_built_differently_send_the_records_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _SAVED["volunteers"]
    model = MODELS["volunteers"]
    assert read_valid_records(model, records) is not None
    # (as if a pydantic release stored the fields given differently)
    monkeypatch.setattr(_io_columns, "_same", lambda a, b: False)
    assert read_valid_records(model, records) is None
    mk.save_dataset(tiny_city(), tmp_path, format="json")
    assert mk.load_dataset(tmp_path) == tiny_city()
