"""CSV tables read column by column give exactly the models read cell by cell.

``read_valid_rows`` is a shortcut for valid tables: it must give the same models (values,
their types, the fields given) as validating each row's record, and give up (None) on
any table with a row that is not valid, so that the cell-by-cell path words the problems.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import matchkit as mk
from matchkit import _io, _io_columns
from matchkit._io_columns import read_valid_rows
from matchkit._io_csv import MODELS, columns, record_from_cells
from matchkit.datasets import synthetic_city, tiny_city

# Cells per kind of column: (valid ones, written in several ways; wrong ones).
TEXT = (["a", " b ", "Ünïcode ", "\u00a0c", "7", "x;y"], [])
OPTIONAL_TEXT = (TEXT[0] + ["", "  "], [])
DATES = (["2026-01-01", " 2027-02-28 ", "2026-12-31"], ["2027-02-29", "01/02/2027", "1899-12-31", "2026-W01-1"])
NUMBERS = (["1", "2.5", " 3 ", "1e3", "0"], ["-1", "nan", "inf", "abc"])
WHOLE = (["1", "3", " 2 ", "1.0"], ["0", "1.5", "x", "121", "2147483648"])
BOOLS = (["true", "False", " yes ", "0", "1", "NO"], ["maybe"])
TAGS = (["parks", "parks;trees", " Parks ; parks ", ";", "a;;b", "elderly;children;parks"], [])
LANGS = (["en", "en;ru", " RU ; en", "ru;ru"], ["eng", "e1"])
SLOTS = (["mon-morning", "mon-morning;sat-evening", " Sat-Evening ;mon-morning"], ["fri-night"])
LATS = (["55.8", " 49.1 ", "-90", "0"], ["91", "nan", "x"])
LONS = (["49.1", "180", "1e1", " -17.5"], [" -181", "y"])
WINDOWS = (["2026-01-01/2026-02-01", "2026-03-01/2026-03-01;2026-01-01/2026-01-02"], ["x", "2026-02-01/2026-01-01"])


def pool(name: str, kind: str, expected: str, required: bool) -> tuple[list[str], list[str]]:
    """The cells a column of this kind may hold in the generated tables: (valid, wrong);
    a blank cell is valid where the column is optional."""
    if kind == "lat":
        valid, wrong = LATS
    elif kind == "lon":
        valid, wrong = LONS
    elif kind == "bool":
        valid, wrong = BOOLS
    elif kind == "set":
        valid, wrong = (
            LANGS if "language" in expected else SLOTS if "slots" in expected
            else WINDOWS if "DateWindow" in expected else TAGS
        )
    elif expected.startswith("one of "):
        valid = re.findall(r"'([^']*)'", expected)
        valid, wrong = valid + [f" {valid[0]} "], [valid[0].upper(), "x"]
    elif "date" in expected:
        valid, wrong = DATES
    elif "whole number" in expected:
        valid, wrong = WHOLE
    elif "number" in expected:
        valid, wrong = NUMBERS
    else:
        valid, wrong = TEXT
    blank = ["", " "]
    return (valid, wrong + blank) if required else (valid + blank, wrong)


def coherent(model: type[BaseModel], header: list[str], row: list[str]) -> None:
    """Mostly keep the record-wide rules: a need without a location is remote; an offer
    has both an area and a radius, or neither."""
    at = {h: i for i, h in enumerate(header)}
    if model is MODELS["needs"]:
        placed = "location_lat" in at and row[at["location_lat"]].strip()
        if not placed and "remote" in at:
            row[at["remote"]] = "true"
    if model is MODELS["offers"]:
        area = "area_lat" in at and row[at["area_lat"]].strip()
        if "radius_km" in at:
            row[at["radius_km"]] = "2.5" if area else ""
        elif area:
            row[at["area_lat"]] = row[at["area_lon"]] = ""


def by_cells(model: type[BaseModel], header: list[str], rows: list[list[str]]) -> list[Any] | None:
    """Each row validated cell by cell (as the loader does), or None if one is not valid."""
    out = []
    for row in rows:
        record, bad = record_from_cells(
            model, dict(zip(header, row)), source="t.csv", row=2, problems=[]
        )
        try:
            item = model.model_validate(record)
        except ValidationError:
            return None
        if bad:
            return None
        out.append(item)
    return out


def same(a: Any, b: Any) -> bool:
    """The same values of the same types; models with the same fields given, in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):
        return (
            list(a.__dict__) == list(b.__dict__)
            and a.model_fields_set == b.model_fields_set
            and a.__pydantic_extra__ == b.__pydantic_extra__
            and all(same(v, b.__dict__[k]) for k, v in a.__dict__.items())
        )
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)  # noqa: PLR0124 (NaN)


@st.composite
def tables(draw: st.DrawFn, valid_bias: bool) -> tuple[type[BaseModel], list[str], list[list[str]]]:
    kind = draw(st.sampled_from(sorted(MODELS)))
    model = MODELS[kind]
    cols = list(columns(model))
    # Every required column, some optional ones (a place's two or neither), in any order.
    fields = {c.field for c in cols if not c.required and draw(st.booleans())}
    keep = [c for c in cols if c.required or c.field in fields]
    keep = draw(st.permutations(keep))
    header = [c.name for c in keep]
    n = draw(st.integers(0, 8))
    rows = []
    for _ in range(n):
        row = []
        for c in keep:
            valid, wrong = pool(c.name, c.kind, c.expected, c.required)
            # Mostly valid cells, so that many tables are valid throughout.
            bad = wrong and draw(st.integers(0, 300 if valid_bias else 3)) == 0
            row.append(draw(st.sampled_from(wrong if bad else valid)))
        # A place is given whole or not at all (with a few halves among the wrong cells).
        halves = [i for i, c in enumerate(keep) if c.kind in ("lat", "lon")]
        for i in halves:
            twin = next(j for j in halves if j != i and keep[j].field == keep[i].field)
            if not row[i].strip() and (draw(st.integers(0, 300 if valid_bias else 3))):
                row[twin] = row[i]
        if draw(st.integers(0, 300 if valid_bias else 3)):
            coherent(model, header, row)
        rows.append(row)
    return model, header, rows


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=st.one_of(tables(True), tables(False)))
def test_column_by_column_gives_the_cell_by_cell_models_or_gives_up(
    table: tuple[type[BaseModel], list[str], list[list[str]]],
) -> None:
    model, header, rows = table
    reference = by_cells(model, header, rows)
    fast = read_valid_rows(model, header, rows)
    if reference is None:
        assert fast is None
    else:
        assert fast is not None
        assert len(fast) == len(reference)
        assert all(same(a, b) for a, b in zip(reference, fast))


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return rows[0], rows[1:]


@pytest.mark.parametrize("make", [tiny_city, lambda: synthetic_city(3000, 300, seed=4)])
def test_saved_datasets_read_back_the_same_both_ways(tmp_path: Path, make: Any) -> None:
    ds = make()
    mk.save_dataset(ds, tmp_path)
    for kind, model in MODELS.items():
        if not (tmp_path / f"{kind}.csv").exists():
            continue
        header, rows = read_rows(tmp_path / f"{kind}.csv")
        fast = read_valid_rows(model, header, rows)
        assert fast is not None, kind
        reference = by_cells(model, header, rows)
        assert reference is not None
        assert all(same(a, b) for a, b in zip(reference, fast)), kind
    assert mk.load_dataset(tmp_path) == ds


def test_the_loader_reads_valid_tables_column_by_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mk.save_dataset(tiny_city(), tmp_path)
    calls: list[int] = []
    real = _io.read_valid_rows

    def counted(model: Any, header: Any, rows: Any) -> Any:
        out = real(model, header, rows)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(_io, "read_valid_rows", counted)
    assert mk.load_dataset(tmp_path) == tiny_city()
    assert calls and all(calls)


@pytest.mark.parametrize(
    ("kind", "column", "cell"),
    [
        ("volunteers", "availability", "mon-morning;fri-night"),  # a wrong cell
        ("volunteers", "home_lat", ""),  # half a place
        ("volunteers", "remote_ok", "maybe"),  # a yes/no the reader refuses
        ("needs", "title", " "),  # a required field left blank
        ("needs", "remote", "false"),  # with no location: a record-wide rule
    ],
)
def test_a_table_with_one_bad_row_is_read_cell_by_cell_with_the_same_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, column: str, cell: str
) -> None:
    mk.save_dataset(tiny_city(), tmp_path)
    path = tmp_path / f"{kind}.csv"
    header, rows = read_rows(path)
    row = next(r for r in rows if kind != "needs" or column != "remote" or r[header.index("location_lat")] == "")
    row[header.index(column)] = cell
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    assert read_valid_rows(MODELS[kind], header, rows) is None
    with pytest.raises(mk.InvalidDatasetError) as fast_path:
        mk.load_dataset(tmp_path)
    monkeypatch.setattr(_io, "read_valid_rows", lambda *a: None)
    with pytest.raises(mk.InvalidDatasetError) as slow_path:
        mk.load_dataset(tmp_path)
    assert fast_path.value.problems == slow_path.value.problems
    assert str(fast_path.value) == str(slow_path.value)


def test_empty_trailing_columns_of_a_spreadsheet_keep_the_fast_path(tmp_path: Path) -> None:
    mk.save_dataset(tiny_city(), tmp_path)
    header, rows = read_rows(tmp_path / "volunteers.csv")
    model = MODELS["volunteers"]
    wide = read_valid_rows(model, [*header, "", ""], [[*r, "", ""] for r in rows])
    assert wide is not None
    assert all(same(a, b) for a, b in zip(read_valid_rows(model, header, rows) or [], wide))
    assert read_valid_rows(model, [*header, "id"], [[*r, "x"] for r in rows]) is None


def test_models_built_differently_send_the_table_cell_by_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mk.save_dataset(tiny_city(), tmp_path)
    header, rows = read_rows(tmp_path / "volunteers.csv")
    model = MODELS["volunteers"]
    assert read_valid_rows(model, header, rows) is not None
    # (as if a pydantic release stored the fields given differently)
    real = _io_columns._same
    monkeypatch.setattr(_io_columns, "_same", lambda a, b: real(a, b) and False)
    assert read_valid_rows(model, header, rows) is None
    assert mk.load_dataset(tmp_path) == tiny_city()
