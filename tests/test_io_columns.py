"""CSV tables read column by column give exactly the models read cell by cell.

``read_valid_rows`` is a shortcut for valid tables: it must give the same models (values,
their types, the fields given) as validating each row's record, and give up (None) on
any table with a row that is not valid, so that the cell-by-cell path words the problems.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

import matchkit as mk
from matchkit import _io, _io_columns, _models
from matchkit._io_columns import read_valid_rows
from matchkit._io_csv import MODELS, columns, record_from_cells
from matchkit._models import DAYS, PARTS_OF_DAY, SLOT_INDEX, Volunteer
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


# -- the loader, both ways: the same dataset or the same problems ------------------------------
ORGANISATIONS = "id,name,kind,registered\no1,Food bank,cso,true\n"
NEEDS = "id,organisation_id,title,capacity,status,remote\nn1,o1,Sort,1,open,true\n"
VOLUNTEERS = "id\nv1\n"


def load_both_ways(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[str, Any, list[type[BaseModel]]], tuple[str, Any]]:
    """``load_dataset`` as shipped (with the models of the tables read column by column),
    then with every table read cell by cell: ("ok", dataset) or ("error", problems, message)."""
    real, fast = _io.read_valid_rows, []

    def counted(model: Any, header: Any, rows: Any) -> Any:
        out = real(model, header, rows)
        if out is not None:
            fast.append(model)
        return out

    def load() -> tuple[str, Any]:
        try:
            return "ok", mk.load_dataset(folder)
        except mk.InvalidDatasetError as err:
            return "error", (err.problems, str(err))

    with monkeypatch.context() as m:
        m.setattr(_io, "read_valid_rows", counted)
        shipped = load()
    with monkeypatch.context() as m:
        m.setattr(_io, "read_valid_rows", lambda *a: None)
        reference = load()
    return (*shipped, fast), reference


def assert_same_datasets(a: mk.Dataset, b: mk.Dataset) -> None:
    """Equal datasets whose records match in values, types, fields given, dumps and repr."""
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)
    for kind in MODELS:
        mine, theirs = getattr(a, kind), getattr(b, kind)
        assert len(mine) == len(theirs)
        for x, y in zip(mine, theirs):
            assert same(x, y), (kind, x, y)
            assert x.model_dump() == y.model_dump()
            assert x.model_dump(exclude_unset=True) == y.model_dump(exclude_unset=True)
            assert x.model_dump_json() == y.model_dump_json() and repr(x) == repr(y)
    assert pickle.loads(pickle.dumps(a)) == b


def write_folder(folder: Path, **tables: str) -> Path:
    files = {"volunteers": VOLUNTEERS, "organisations": ORGANISATIONS, "needs": NEEDS, **tables}
    for kind, text in files.items():
        (folder / f"{kind}.csv").write_bytes(text.encode("utf-8"))
    return folder


def table(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue()


# Cells as users write them: numbers in other notations, odd whitespace and case, blanks.
ODD_CELLS = [
    "1e3", " 3 ", "1_000", "+5", "0x10", "\u0663", "\uff13", "1.0", "1.5", "-0", "0", "1e400",
    "nan", "inf", "TRUE", "Yes", "y", "\u00a05\u00a0", "\x1c5", "", " ", "\u200b", "\u3000",
    "2026-01-01", " 2026-01-01 ", "20260101", "mon-morning", " MON-Morning ;sat-evening",
    " en ; RU ", "a;;b", ";", "x\ny", " OPEN ", "Open", "public body", " FOOD ", "1,5",
    "2026-01-01/2026-02-01 ; 2025-01-01/2025-01-02", "2026-02-01/2026-01-01",
]  # fmt: skip
# A valid record of each kind (the place fields filled in where a column of one is tested).
RECORDS = {
    "volunteers": {"id": "v2"},
    "organisations": {"id": "o2", "name": "N", "kind": "cso", "registered": "1"},
    "needs": {
        "id": "n2", "organisation_id": "o1", "title": "T", "capacity": "1", "status": "open",
        "remote": "true",
    },
    "offers": {
        "id": "f1", "organisation_id": "o1", "kind": "food", "item": "x", "quantity": "3",
        "unit": "kg", "contact_role": "press office",
    },
    "requests": {
        "id": "r1", "organisation_id": "o1", "kind": "food", "quantity": "3", "unit": "kg",
        "needed_by": "2026-01-01", "place_lat": "1", "place_lon": "2", "purpose": "p",
    },
}  # fmt: skip


def odd_table(kind: str, column: str, cell: str) -> str:
    """Three records of ``kind``: the second holds ``cell`` under ``column``."""
    model = MODELS[kind]
    col = next(c for c in columns(model) if c.name == column)
    record = dict(RECORDS[kind])
    if col.kind in ("lat", "lon"):
        record |= {f"{col.field}_lat": "1", f"{col.field}_lon": "2"}
        if kind == "offers":
            record["radius_km"] = "1"
    header = list(dict.fromkeys([*record, column]))
    rows = [[{**record, "id": f"{record['id']}{i}"}.get(h, "") for h in header] for i in range(3)]
    rows[1][header.index(column)] = cell
    return table(header, rows)


@pytest.mark.parametrize(
    ("kind", "column"),
    [(kind, c.name) for kind in MODELS for c in columns(MODELS[kind]) if c.name != "id"],
)
def test_odd_cells_load_as_cell_by_cell_in_every_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, column: str
) -> None:
    for i, cell in enumerate(ODD_CELLS):
        folder = tmp_path / str(i)
        folder.mkdir()
        write_folder(folder, **{kind: odd_table(kind, column, cell)})
        (outcome, got, _), reference = load_both_ways(folder, monkeypatch)
        assert outcome == reference[0], (column, cell)
        if outcome == "ok":
            assert_same_datasets(got, reference[1])
        else:
            assert got == reference[1], (column, cell)


@pytest.mark.parametrize(
    ("name", "tables", "fast"),
    [
        ("header only", {k: ",".join(RECORDS[k]) + "\n" for k in MODELS}, True),
        ("header without a line end", {k: ",".join(RECORDS[k]) for k in MODELS}, True),
        ("blank rows", {"volunteers": "id,name\n\n , \u00a0\n\x1c,\nv1,a\n\n"}, True),
        ("byte-order mark", {"volunteers": "\ufeffid,name\nv1,a\n"}, True),
        ("CRLF", {"volunteers": "id,name\r\nv1,a\r\nv2,b\r\n"}, True),
        ("CR", {"volunteers": "id,name\rv1,a\rv2,b\r"}, True),
        ("quoted newlines", {"volunteers": 'id,name\nv1,"a\nb"\nv2,"x\r\ny"\n'}, True),
        ("empty unnamed columns", {"volunteers": "id,,name,,\nv1,,a,,\nv2, ,b,\u00a0,\n"}, True),
        ("a need without a place, remote", {"needs": NEEDS.replace("true", " Yes ")}, True),
        ("ids twice", {"volunteers": "id,name\nv1,a\n v1 ,b\n"}, True),
        ("unknown organisation", {"needs": NEEDS.replace(",o1,", ",o9,")}, True),
        ("unknown excluded", {"volunteers": "id,excluded_organisations\nv1, o9 ; o1\n"}, True),
        ("end before start", {"needs": NEEDS.replace("remote\n", "remote,start_date,end_date\n")
                              .replace("true\n", "true,2026-02-01,2026-01-01\n")}, False),
        ("not remote, no place", {"needs": NEEDS.replace("true", "false")}, False),
        ("half a place", {"volunteers": "id,home_lat,home_lon\nv1,1,\n"}, False),
        ("a place column alone", {"volunteers": "id,home_lat\nv1,1\n"}, False),
        ("a column twice", {"volunteers": "id,name,name\nv1,a,b\n"}, False),
        ("an unknown column", {"volunteers": "id,nmae\nv1,a\n"}, False),
        ("a value in an unnamed column", {"volunteers": "id,,name\nv1,x,a\n"}, False),
        ("a short row", {"volunteers": "id,name\nv1\nv2,a\n"}, False),
        ("a quote never closed", {"volunteers": 'id,name\nv1,"a\nv2,b\n'}, False),
        ("';' between cells", {"volunteers": "id;name\nv1;a\n"}, False),
        ("an area without a radius", {"offers": "id,organisation_id,kind,item,quantity,unit,"
                                      "contact_role,area_lat,area_lon\nf1,o1,food,x,3,kg,r,1,2\n"}, False),
        ("a request without a place", {"requests": ",".join(RECORDS["requests"]) + "\n"
                                       "r1,o1,food,3,kg,2026-01-01,,,p\n"}, False),
    ],
)
def test_tables_as_users_write_them_load_as_cell_by_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, tables: dict[str, str], fast: bool
) -> None:
    write_folder(tmp_path, **tables)
    (outcome, got, paths), reference = load_both_ways(tmp_path, monkeypatch)
    assert outcome == reference[0]
    if outcome == "ok":
        assert_same_datasets(got, reference[1])
    else:
        assert got == reference[1]
    # (a valid table column by column; a table with a problem cell by cell)
    assert all((MODELS[kind] in paths) == fast for kind in tables)


def test_rows_between_the_probes_keep_their_own_fields_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 rows: only a few are read both ways; the others' blanks must stay "not given".
    header = ["id", "name", "home_lat", "home_lon", "max_placements", "remote_ok", "skills"]
    rows = [
        [f"v{i}", "" if i % 3 else "Ann", "" if i % 4 else "55.8", "" if i % 4 else "49.1",
         "" if i % 5 else "2", "" if i % 6 else "no", "" if i % 7 else "a; b"]
        for i in range(40)
    ]  # fmt: skip
    write_folder(tmp_path, volunteers=table(header, rows))
    (outcome, got, paths), reference = load_both_ways(tmp_path, monkeypatch)
    assert outcome == reference[0] == "ok" and MODELS["volunteers"] in paths
    assert_same_datasets(got, reference[1])
    assert {v.id for v in got.volunteers if "home" in v.model_fields_set} == {
        f"v{i}" for i in range(0, 40, 4)
    }


def test_offers_with_the_same_windows_load_as_cell_by_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = synthetic_city(400, 60, seed=11)
    assert ds.offers and ds.requests
    mk.save_dataset(ds, tmp_path)
    (outcome, got, paths), reference = load_both_ways(tmp_path, monkeypatch)
    assert outcome == "ok" and set(paths) == set(MODELS.values())
    assert_same_datasets(got, reference[1])
    assert got == ds


def test_threads_loading_at_once_build_the_column_validators_once_each(tmp_path: Path) -> None:
    ds = synthetic_city(200, 30, seed=5)
    mk.save_dataset(ds, tmp_path)
    for cached in (_io_columns._adapter, _io_columns._fields, _io_columns._record_checks):
        cached.cache_clear()
    barrier = threading.Barrier(6)
    out: list[Any] = []

    def load() -> None:
        barrier.wait()
        try:
            out.append(mk.load_dataset(tmp_path))
        except Exception as err:  # noqa: BLE001 (kept to fail below)
            out.append(err)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 6 and all(d == ds for d in out)


# -- the set validators: the same values and messages as one entry at a time ------------------
def _tags_one_by_one(values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for v in values:
        v = v.strip()
        if not v:
            raise ValueError("a tag must not be empty")
        out.append(v)
    return tuple(sorted(set(out)))


def _languages_one_by_one(values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for v in values:
        v = v.strip().lower()
        if len(v) != 2 or not v.isascii() or not v.isalpha():
            raise ValueError(
                f"{v!r} is not an ISO 639-1 language code (two letters, such as 'en', 'ru')"
            )
        out.append(v)
    return tuple(sorted(set(out)))


def _slots_one_by_one(values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for v in values:
        v = v.strip().lower()
        if v not in SLOT_INDEX:
            raise ValueError(
                f"{v!r} is not a slot; a slot is a day and a part of day such as 'mon-morning', "
                f"'sat-evening' (days: {', '.join(DAYS)}; parts: {', '.join(PARTS_OF_DAY)})"
            )
        out.append(v)
    return tuple(sorted(set(out), key=SLOT_INDEX.__getitem__))


def _outcome(f: Any, values: tuple[str, ...]) -> tuple[str, Any]:
    try:
        return "ok", f(values)
    except ValueError as err:
        return "error", str(err)


ENTRIES = st.sampled_from(
    ["en", " EN ", "ru", "", " ", "e", "eng", "\u0130", "\u01c5", "\ufb00", "\u00df", "a1",
     "mon-morning", "MON-Morning ", "fri-night", "\u00a0", "\x1cen", "parks"]
) | st.text(max_size=4)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(values=st.lists(ENTRIES, max_size=6).map(tuple))
def test_the_set_validators_give_what_checking_one_entry_at_a_time_gives(
    values: tuple[str, ...],
) -> None:
    for new, old in (
        (_models._tags, _tags_one_by_one),
        (_models._languages, _languages_one_by_one),
        (_models._slots, _slots_one_by_one),
    ):
        assert _outcome(new, values) == _outcome(old, values)


def test_the_first_wrong_entry_is_named_whatever_follows() -> None:
    with pytest.raises(ValidationError, match=r"'xx-morning' is not a slot") as err:
        mk.Volunteer(id="v1", availability=["mon-morning", " XX-Morning", "yy", "mon-morning"])
    assert len(err.value.errors()) == 1
    with pytest.raises(ValidationError, match=r"'eng' is not an ISO 639-1"):
        mk.Volunteer(id="v1", languages=["en", "ENG", "e", "en"])
    with pytest.raises(ValidationError, match="a tag must not be empty"):
        mk.Volunteer(id="v1", skills=["a", " ", "a"])


# Models with features today's models lack: whatever reads them must still refuse each
# invalid row (not only those cross-checked cell by cell) and build the same values.


class EveryField(Volunteer):  # a validator of every field ("*")
    @field_validator("*")
    @classmethod
    def _not_banned(cls, v: Any) -> Any:
        if v == "banned":
            raise ValueError("banned")
        return v


class NorthOnly(Volunteer):  # a validator of a place field
    @field_validator("home")
    @classmethod
    def _north(cls, v: Any) -> Any:
        if v is not None and v.lat <= 0:
            raise ValueError("south of the equator")
        return v


class PostInit(Volunteer):  # model_post_init
    def model_post_init(self, context: Any) -> None:
        if self.name == "banned":
            raise ValueError("banned")


class DefaultsValidated(Volunteer):  # defaults validated (validate_default)
    model_config = ConfigDict(**{**Volunteer.model_config, "validate_default": True})
    max_placements: int = Field("2", ge=1)  # type: ignore[assignment]


HEADER = ["id", "name", "home_lat", "home_lon", "max_placements"]


@pytest.mark.parametrize("model", [EveryField, NorthOnly, PostInit, DefaultsValidated])
def test_models_with_other_validators_are_read_as_cell_by_cell(model: Any) -> None:
    rows = [[f"v{i}", "ok", "1", "2", "3"] for i in range(10)]
    rows[1] = ["v1", "banned", "-1", "2", ""]  # row 1: not among the probes (0, 2, 4, 7, 9)
    reference = by_cells(model, HEADER, rows)
    fast = read_valid_rows(model, HEADER, rows)
    if reference is None:
        assert fast is None
    elif fast is not None:  # (giving up is always allowed: the table is then read cell by cell)
        assert all(same(a, b) for a, b in zip(reference, fast))
