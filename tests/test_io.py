"""Loading and saving datasets: round trips in every format, CSV/JSON details, atomic saves."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matchkit as mk
from matchkit import _io_save
from matchkit._io_csv import KINDS, MODELS, columns
from matchkit.testing import datasets

FORMATS = ["csv", "json", "jsonl"]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def _rich() -> mk.Dataset:
    """Every field given at least once, with text that needs CSV quoting."""
    return mk.Dataset.from_records(
        volunteers=[
            {
                "id": "v1",
                "name": 'Anna "Ann" Petrova,\nKazan',
                "birth_date": "2008-05-31",
                "home": {"lat": 55.7887, "lon": 49.1221},
                "max_distance_km": 7.25,
                "remote_ok": False,
                "interests": ["animals", "elderly care"],
                "skills": ["first_aid", "driving, cars"],
                "languages": ["ru", "tt"],
                "availability": ["sat-morning", "mon-evening"],
                "max_placements": 2,
                "checks": ["background"],
                "excluded_organisations": ["o2"],
                "excluded_causes": ["politics"],
                "preferred_organisations": ["o1"],
                "pool": "Городской центр",
            },
            {"id": "v2"},
            {
                "id": "v3",
                "home": {"lat": -0.0, "lon": 179.999999},
                "max_distance_km": 1e-9,
            },
        ],
        organisations=[
            {
                "id": "o1",
                "name": "Paws Shelter",
                "kind": "cso",
                "registered": True,
                "vets_causes": ["animals"],
            },
            {
                "id": "o2",
                "name": "City hall",
                "kind": "public_body",
                "registered": False,
            },
        ],
        needs=[
            {
                "id": "n1",
                "organisation_id": "o1",
                "title": "Walk dogs; feed cats",
                "causes": ["animals"],
                "required_skills": ["first_aid"],
                "desired_skills": ["driving, cars"],
                "languages": ["ru"],
                "location": {"lat": 55.8, "lon": 49.1},
                "slots": ["sat-morning", "sat-afternoon"],
                "min_overlap": 2,
                "capacity": 12,
                "min_age": 16,
                "required_checks": ["background"],
                "status": "open",
                "vetted_by": "o2",
                "handles_money": True,
                "start_date": "2027-01-01",
                "end_date": "2027-12-31",
            },
            {
                "id": "n2",
                "organisation_id": "o2",
                "title": "Remote help",
                "remote": True,
                "capacity": 1,
                "status": "idea",
            },
        ],
    )


def _write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return folder


ORGS_CSV = "id,name,kind,registered\no1,Paws,cso,true\n"
NEEDS_CSV = (
    "id,organisation_id,title,capacity,status,remote\nn1,o1,Walk dogs,2,open,true\n"
)


# -- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_hand_made(tmp_path: Path, fmt: str) -> None:
    ds = _rich()
    written = mk.save_dataset(ds, tmp_path, format=fmt)
    assert [p.name for p in written] == [
        f"{k}.{fmt}" for k in ("volunteers", "organisations", "needs")
    ]
    assert mk.load_dataset(tmp_path) == ds
    assert mk.load_dataset(tmp_path, format=fmt) == ds


# datasets() is costly to draw; each example is checked in every format at once.
@settings(max_examples=25)
@given(ds=datasets())
def test_round_trip_generated(
    tmp_path_factory: pytest.TempPathFactory, ds: mk.Dataset
) -> None:
    root = tmp_path_factory.mktemp("generated")
    for fmt in FORMATS:
        mk.save_dataset(ds, root / fmt, format=fmt)
        assert mk.load_dataset(root / fmt) == ds, fmt
    (root / "doc.json").write_text(json.dumps(ds.to_records()), encoding="utf-8")
    assert mk.load_dataset(root / "doc.json") == ds
    if importlib.util.find_spec("pandas") is not None:
        assert mk.dataset_from_frames(**mk.dataset_to_frames(ds)) == ds


# Text is where CSV goes wrong: quotes, commas, newlines, odd whitespace, any script.
_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
_tag = _text.map(str.strip).filter(lambda t: t and ";" not in t)


@pytest.mark.parametrize("fmt", FORMATS)
@given(
    name=_text,
    skills=st.lists(_tag, max_size=3),
    title=_text.filter(str.strip),
)
def test_round_trip_any_text(
    tmp_path_factory: pytest.TempPathFactory,
    fmt: str,
    name: str,
    skills: list[str],
    title: str,
) -> None:
    try:
        ds = mk.Dataset.from_records(
            volunteers=[{"id": "v1", "name": name, "skills": skills}],
            organisations=[
                {
                    "id": 'o 1, "x"',
                    "name": name.strip() or "x",
                    "kind": "cso",
                    "registered": True,
                }
            ],
            needs=[
                {
                    "id": "n1",
                    "organisation_id": 'o 1, "x"',
                    "title": title,
                    "remote": True,
                    "capacity": 1,
                    "status": "open",
                    "causes": skills,
                }
            ],
        )
    except mk.InvalidDatasetError:
        return  # text the schema itself refuses (such as a blank name after stripping)
    folder = tmp_path_factory.mktemp("text")
    mk.save_dataset(ds, folder, format=fmt)
    assert mk.load_dataset(folder) == ds


def _blank_optional_text() -> mk.Dataset:
    """Every optional text (and optional id) given as empty or blank text."""
    return mk.Dataset.from_records(
        volunteers=[{"id": "v1", "name": "", "pool": " "}],
        organisations=[{"id": "o1", "name": "O", "kind": "cso", "registered": True}],
        needs=[
            {
                "id": "n1",
                "organisation_id": "o1",
                "title": "T",
                "remote": True,
                "capacity": 1,
                "status": "open",
                "vetted_by": "",
                "account_route": "",
                "proposed_by": "\t",
            }
        ],
    )


def test_blank_optional_text_is_not_given() -> None:
    ds = _blank_optional_text()
    v, n = ds.volunteer("v1"), ds.need("n1")
    assert (v.name, v.pool) == (None, None)
    assert (n.vetted_by, n.account_route, n.proposed_by) == (None, None, None)
    assert ds == mk.Dataset.from_records(
        volunteers=[{"id": "v1"}],
        organisations=ds.to_records()["organisations"],
        needs=[{"id": "n1", "organisation_id": "o1", "title": "T", "remote": True,
                "capacity": 1, "status": "open"}],
    )
    # An update that skips validation is validated again by the dataset.
    copied = mk.Dataset(volunteers=[v.model_copy(update={"pool": ""})])
    assert copied.volunteer("v1").pool is None


@pytest.mark.parametrize(
    ("kind", "record", "field"),
    [
        ("volunteers", {"id": " "}, "id"),
        ("organisations", {"id": "o", "name": "", "kind": "cso", "registered": True}, "name"),
        ("needs", {"id": "n", "organisation_id": "", "title": "T", "remote": True,
                   "capacity": 1, "status": "open"}, "organisation_id"),
        ("needs", {"id": "n", "organisation_id": "o", "title": " ", "remote": True,
                   "capacity": 1, "status": "open"}, "title"),
    ],
)
def test_blank_ids_and_required_text_stay_errors(kind: str, record: dict, field: str) -> None:
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.Dataset.from_records(**{kind: [record]})
    assert field in {p.field for p in info.value.problems}


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_blank_optional_text(tmp_path: Path, fmt: str) -> None:
    ds = _blank_optional_text()
    mk.save_dataset(ds, tmp_path, format=fmt)
    assert mk.load_dataset(tmp_path) == ds


def test_blank_optional_text_in_files_reads_as_not_given(tmp_path: Path) -> None:
    """Written by another app: empty strings in JSON read as the empty CSV cells do."""
    records = _blank_optional_text().to_records()
    records["volunteers"][0].update(name="", pool=" ")
    records["needs"][0].update(vetted_by="", account_route="", proposed_by=" ")
    doc = tmp_path / "city.json"
    doc.write_text(json.dumps(records), encoding="utf-8")
    assert mk.load_dataset(doc) == _blank_optional_text()
    if importlib.util.find_spec("pandas") is not None:
        frames = mk.dataset_to_frames(_blank_optional_text())
        frames["volunteers"]["name"] = [""]
        assert mk.dataset_from_frames(**frames) == _blank_optional_text()


def test_round_trip_dataset_document(tmp_path: Path) -> None:
    ds = _rich()
    path = tmp_path / "city.json"
    path.write_text(json.dumps(ds.to_records(), indent=2), encoding="utf-8")
    assert mk.load_dataset(path) == ds


def test_document_may_leave_kinds_out(tmp_path: Path) -> None:
    path = tmp_path / "orgs.json"
    path.write_text(
        '{"organisations": [{"id": "o1", "name": "A", "kind": "cso", "registered": true}]}'
    )
    ds = mk.load_dataset(path)
    assert ds.organisation_ids == ("o1",) and ds.volunteers == () and ds.needs == ()


def test_round_trip_frames() -> None:
    pytest.importorskip("pandas")
    ds = _rich()
    frames = mk.dataset_to_frames(ds)
    assert list(frames) == ["volunteers", "organisations", "needs"]
    assert list(frames["volunteers"].columns) == [c.name for c in columns(mk.Volunteer)]
    assert frames["needs"]["location_lat"].dtype == "float64"
    assert mk.dataset_from_frames(**frames) == ds


def test_frames_accept_native_cells_and_report_positions() -> None:
    pd = pytest.importorskip("pandas")
    vols = pd.DataFrame(
        {
            "id": ["v1", "v2"],
            "skills": [["it", "first_aid"], "it; driving"],
            "remote_ok": ["yes", "perhaps"],
            "home_lat": [55.0, None],
            "home_lon": [49.0, None],
        }
    )
    with pytest.raises(
        mk.InvalidDatasetError,
        match=r"volunteers DataFrame\[1\] \(id 'v2'\), field 'remote_ok'",
    ) as info:
        mk.dataset_from_frames(volunteers=vols)
    assert [(p.row, p.field) for p in info.value.problems] == [(1, "remote_ok")]
    ds = mk.dataset_from_frames(volunteers=vols.iloc[:1])
    assert ds.volunteer("v1").skills == ("first_aid", "it")


def test_frames_without_pandas_say_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pandas(name: str, *args: object, **kwargs: object) -> object:
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=re.escape("pip install 'matchkit[pandas]'")):
        mk.dataset_to_frames(_rich())


# -- CSV details -------------------------------------------------------------------------------
def test_csv_columns_follow_the_schema(tmp_path: Path) -> None:
    mk.save_dataset(_rich(), tmp_path)
    header = (tmp_path / "volunteers.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith(
        "id,name,birth_date,home_lat,home_lon,max_distance_km,remote_ok,"
    )
    text = (tmp_path / "needs.csv").read_text(encoding="utf-8")
    assert "sat-morning;sat-afternoon" in text and "location_lat,location_lon" in text


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("false", False),
        ("No", False),
        ("0", False),
        ("", True),
    ],
)
def test_csv_booleans(tmp_path: Path, cell: str, expected: bool) -> None:
    _write(
        tmp_path,
        {
            "volunteers.csv": f"id,remote_ok\nv1,{cell}\n",
            "organisations.csv": ORGS_CSV,
            "needs.csv": NEEDS_CSV,
        },
    )
    assert mk.load_dataset(tmp_path).volunteer("v1").remote_ok is expected


def test_csv_empty_cells_take_defaults_and_optional_columns_may_be_absent(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "volunteers.csv": "id,max_distance_km,skills\nv1,,\n",
            "organisations.csv": ORGS_CSV,
            "needs.csv": NEEDS_CSV,
        },
    )
    v = mk.load_dataset(tmp_path).volunteer("v1")
    assert (v.max_distance_km, v.skills, v.home, v.max_placements) == (
        10.0,
        (),
        None,
        1,
    )


def test_csv_bom_crlf_spaces_and_blank_rows(tmp_path: Path) -> None:
    vols = "\ufeffid,skills,home_lat,home_lon\r\nv1, it ; first_aid ;,55.1,49.2\r\n\r\n,,,\r\nv2,,,\r\n"
    _write(
        tmp_path,
        {
            "volunteers.csv": vols.encode("utf-8"),
            "organisations.csv": ORGS_CSV,
            "needs.csv": NEEDS_CSV,
        },
    )
    ds = mk.load_dataset(tmp_path)
    assert ds.volunteer_ids == ("v1", "v2")
    assert ds.volunteer("v1").skills == ("first_aid", "it")
    assert ds.volunteer("v1").home == mk.Place(lat=55.1, lon=49.2)


def test_csv_spaces_around_cells(tmp_path: Path) -> None:
    needs = "id, organisation_id, title, capacity, status, remote, start_date\nn1, o1, Walk, 3 , open , yes, 2027-01-01 \n"
    _write(
        tmp_path,
        {"volunteers.csv": "id\n", "organisations.csv": ORGS_CSV, "needs.csv": needs},
    )
    need = mk.load_dataset(tmp_path).need("n1")
    assert (need.capacity, need.status, need.remote, need.title) == (
        3,
        mk.NeedStatus.OPEN,
        True,
        "Walk",
    )


def test_csv_line_numbers_count_quoted_multiline_cells(tmp_path: Path) -> None:
    vols = 'id,name,home_lat,home_lon\nv1,"two\nlines",55,49\nv2,"three\nline\nname",123,49\n'
    _write(
        tmp_path,
        {"volunteers.csv": vols, "organisations.csv": ORGS_CSV, "needs.csv": NEEDS_CSV},
    )
    with pytest.raises(
        mk.InvalidDatasetError,
        match=r"volunteers\.csv, line 4 \(id 'v2'\), field 'home_lat'",
    ) as info:
        mk.load_dataset(tmp_path)
    assert [p.row for p in info.value.problems] == [4]


def test_json_line_numbers_point_at_the_record(tmp_path: Path) -> None:
    vols = (
        '[\n  {"id": "v1"},\n\n  {"id": "v2",\n   "home": {"lat": 123, "lon": 49}}\n]\n'
    )
    _write(
        tmp_path,
        {
            "volunteers.json": vols,
            "organisations.csv": ORGS_CSV,
            "needs.csv": NEEDS_CSV,
        },
    )
    with pytest.raises(
        mk.InvalidDatasetError,
        match=r"volunteers\.json, line 4 \(id 'v2'\), field 'home\.lat'",
    ):
        mk.load_dataset(tmp_path)


def test_jsonl_skips_blank_lines(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "volunteers.jsonl": '{"id": "v1"}\n\n{"id": "v2"}\n',
            "organisations.jsonl": "",
            "needs.jsonl": "",
        },
    )
    assert mk.load_dataset(tmp_path).volunteer_ids == ("v1", "v2")


def test_format_argument_picks_one_format(tmp_path: Path) -> None:
    ds = _rich()
    mk.save_dataset(ds, tmp_path / "a", format="json")
    _write(tmp_path / "a", {"volunteers.csv": "id\nzzz\n"})
    with pytest.raises(
        mk.InvalidDatasetError, match="two formats of the same volunteers"
    ):
        mk.load_dataset(tmp_path / "a")
    assert mk.load_dataset(tmp_path / "a", format="json") == ds
    with pytest.raises(
        mk.UnknownMethodError, match="'format' parameter of load_dataset"
    ):
        mk.load_dataset(tmp_path / "a", format="xlsx")


# -- saving ------------------------------------------------------------------------------------
def test_save_refuses_a_tag_holding_the_separator(tmp_path: Path) -> None:
    ds = mk.Dataset.from_records(volunteers=[{"id": "v1", "skills": ["a;b"]}])
    with pytest.raises(
        mk.InvalidInputError, match=r"record 'v1', field 'skills'.*'a;b'.*save as JSON"
    ):
        mk.save_dataset(ds, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    mk.save_dataset(ds, tmp_path / "json", format="json")
    assert mk.load_dataset(tmp_path / "json") == ds


def test_save_refuses_to_mix_formats(tmp_path: Path) -> None:
    mk.save_dataset(_rich(), tmp_path, format="json")
    with pytest.raises(mk.InvalidInputError, match=r"already holds volunteers\.json"):
        mk.save_dataset(_rich(), tmp_path, format="csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "needs.json",
        "organisations.json",
        "volunteers.json",
    ]


def test_save_replaces_files_of_the_same_format(tmp_path: Path) -> None:
    mk.save_dataset(_rich(), tmp_path)
    small = mk.Dataset.from_records(volunteers=[{"id": "only"}])
    mk.save_dataset(small, tmp_path)
    assert mk.load_dataset(tmp_path) == small
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "needs.csv",
        "organisations.csv",
        "volunteers.csv",
    ]


@pytest.mark.parametrize("failing_call", [1, 2, 3, 4])
def test_failed_save_leaves_the_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    old = _rich()
    mk.save_dataset(old, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == failing_call:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(_io_save.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="No space left"):
        mk.save_dataset(mk.Dataset.from_records(volunteers=[{"id": "new"}]), tmp_path)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert mk.load_dataset(tmp_path) == old


def test_failed_save_into_a_new_folder_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(_io_save.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="Input/output error"):
        mk.save_dataset(_rich(), tmp_path / "new")
    assert list((tmp_path / "new").iterdir()) == []


def test_save_into_a_file_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("")
    with pytest.raises(
        mk.InvalidInputError, match="is a file; save_dataset writes into a folder"
    ):
        mk.save_dataset(_rich(), tmp_path / "x.csv")


def test_save_needs_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(
        mk.InvalidInputError, match="needs a matchkit.Dataset, got dict"
    ):
        mk.save_dataset({"volunteers": []}, tmp_path)  # type: ignore[arg-type]


# -- command line and docs ---------------------------------------------------------------------
def test_cli_validate_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from matchkit.cli import main

    mk.save_dataset(_rich(), tmp_path)
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "valid" in out and "3 volunteers, 2 organisations, 2 needs" in out


def test_cli_validate_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from matchkit.cli import main

    _write(
        tmp_path,
        {
            "volunteers.csv": "id,home_lat,home_lon\nv1,123,49\nv1,,\n",
            "organisations.csv": ORGS_CSV,
            "needs.csv": "id,organisation_id,title,capacity,status,remote\n"
            "n1,o1,T,0,open,true\nn2,o1,T,1,open,\nn3,o9,T,1,open,yes\n",
        },
    )
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "5 problem(s) found" in err
    for expected in (
        "volunteers.csv, line 2 (id 'v1'), field 'home_lat'",
        "volunteers.csv, line 3 (id 'v1'), field 'id': duplicate id",
        "needs.csv, line 2 (id 'n1'), field 'capacity'",
        "needs.csv, line 3 (id 'n2'), field 'remote'",
        "needs.csv, line 4 (id 'n3'), field 'organisation_id'",
    ):
        assert expected in err


@pytest.mark.parametrize("kind", KINDS)
def test_schema_doc_names_every_column(kind: str) -> None:
    if not DOCS.exists():
        pytest.fail("docs/schema.md is missing")
    text = DOCS.read_text(encoding="utf-8")
    missing = [c.name for c in columns(MODELS[kind]) if f"`{c.name}`" not in text]
    assert not missing, f"docs/schema.md does not describe the {kind} columns {missing}"


def _with_inkind() -> mk.Dataset:
    return mk.Dataset.from_records(
        organisations=[
            {"id": "o1", "name": "Print shop", "kind": "business", "registered": True},
            {"id": "o2", "name": "Paws", "kind": "cso", "registered": True},
        ],
        offers=[
            {
                "id": "f1",
                "organisation_id": "o1",
                "kind": "printing",
                "item": "A4 leaflets",
                "quantity": 500,
                "unit": "sheets",
                "contact_role": "manager",
                "radius_km": 5,
                "windows": ["2027-09-01/2027-10-31", "2027-12-01/2027-12-20"],
                "area": {"lat": 55.8, "lon": 49.1},
            }
        ],
        requests=[
            {
                "id": "r1",
                "organisation_id": "o2",
                "kind": "printing",
                "quantity": 200,
                "unit": "sheets",
                "needed_by": "2027-09-15",
                "place": {"lat": 55.79, "lon": 49.12},
                "purpose": "clean-up day",
            }
        ],
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_extension_kinds_round_trip_and_do_not_linger(tmp_path: Path, fmt: str) -> None:
    if "offers" not in MODELS:
        pytest.skip("this build has no in-kind extension")
    ds = _with_inkind()
    names = [p.name for p in mk.save_dataset(ds, tmp_path, format=fmt)]
    assert names[3:] == [f"offers.{fmt}", f"requests.{fmt}"]
    assert mk.load_dataset(tmp_path) == ds
    plain = _rich()
    mk.save_dataset(plain, tmp_path, format=fmt)  # no offers: the old offers file goes
    assert not (tmp_path / f"offers.{fmt}").exists()
    assert mk.load_dataset(tmp_path) == plain


def test_a_cell_longer_than_the_csv_modules_field_limit_is_read(tmp_path: Path) -> None:
    """A 200,000-character title (the csv module stops at 128 KiB by default) loads, and
    the process-wide limit is as it was afterwards."""
    import csv

    from matchkit.datasets import tiny_city

    ds = tiny_city()
    long = ds.needs[0].model_copy(update={"title": "x" * 200_000})
    big = mk.Dataset(volunteers=ds.volunteers, organisations=ds.organisations,
                     needs=(long, *ds.needs[1:]))
    mk.save_dataset(big, tmp_path)
    limit = csv.field_size_limit()
    assert mk.load_dataset(tmp_path) == big
    assert csv.field_size_limit() == limit


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_blank_optional_texts_of_inkind_records_round_trip(tmp_path: Path, fmt: str) -> None:
    """An in-kind offer's conditions, a request's item, address and need_id: blank is
    "not given", so a CSV file (an empty cell) reads back the same as the others."""
    from matchkit.datasets import synthetic_city

    ds = synthetic_city(200, 20, seed=1)
    offer = ds.offers[0].model_copy(update={"conditions": ""})
    request = ds.requests[0].model_copy(update={"item": "", "address": "  ", "need_id": ""})
    blank = mk.Dataset(volunteers=ds.volunteers, organisations=ds.organisations, needs=ds.needs,
                       offers=(offer, *ds.offers[1:]), requests=(request, *ds.requests[1:]))
    assert blank.offers[0].conditions is None and blank.requests[0].need_id is None
    mk.save_dataset(blank, tmp_path, format=fmt)
    assert mk.load_dataset(tmp_path) == blank


def test_the_json_schema_takes_whole_number_ids_as_the_loader_does(tmp_path: Path) -> None:
    schema = mk.json_schema()
    for name, model in schema["$defs"].items():
        for field, prop in model.get("properties", {}).items():
            if field == "id" or field.endswith("_id") or field in ("vetted_by", "proposed_by"):
                types = [o.get("type") for o in prop.get("anyOf", [prop])]
                assert "string" in types and "integer" in types, (name, field)
    (tmp_path / "volunteers.json").write_text('[{"id": 1}]', encoding="utf-8")
    (tmp_path / "organisations.json").write_text(
        '[{"id": 10, "name": "Food bank", "kind": "cso", "registered": true}]', encoding="utf-8")
    (tmp_path / "needs.json").write_text(
        '[{"id": 100, "organisation_id": 10, "title": "Sort", "remote": true, "capacity": 2,'
        ' "status": "open", "vetted_by": 10}]', encoding="utf-8")
    ds = mk.load_dataset(tmp_path)
    assert (ds.volunteers[0].id, ds.needs[0].organisation_id, ds.needs[0].vetted_by) == ("1", "10", "10")
