"""The NYC Service Volunteer Opportunities importer, on the full 665-row sample.

Expected counts are recomputed from the sample with the csv module, so the tests check the
importer against the file rather than against numbers copied from its own output.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

import matchkit as mk

SAMPLE = Path(__file__).parent / "data" / "nyc-service-sample.csv"
HEADER = (
    "opportunity_id,vol_requests,title,category_desc,org_title,org_content_id,locality,"
    "Latitude,Longitude,start_date_date,end_date_date,status,recurrence_type\n"
)
LOCALITY = "\"{'longitude': '-73.98', 'latitude': '40.74', 'human_address': ''}\""


def _rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _placed(row: dict[str, str]) -> bool:
    return bool(row["locality"].strip() or row["Latitude"].strip())


@pytest.fixture(scope="module")
def default() -> mk.NycImport:
    return mk.import_nyc_service(SAMPLE)


def test_sample_has_every_row() -> None:
    assert len(_rows()) == 665


def test_default_import_counts(default: mk.NycImport) -> None:
    rows = _rows()
    placed = [r for r in rows if _placed(r)]
    assert default.n_rows == len(rows)
    assert len(default.dataset.needs) == len(placed)
    assert default.n_skipped == len(rows) - len(placed)
    assert len(default.dataset.organisations) == len(
        {r["org_content_id"] for r in placed}
    ) + 1  # NYC Service itself, which vetted every listing
    assert default.dataset.volunteers == ()


def test_listings_are_vetted_by_nyc_service_and_pass_the_policy_check(default: mk.NycImport) -> None:
    ds = default.dataset
    centre = ds.organisation("nyc-service")
    assert centre.kind.value == "volunteer_centre" and centre.registered
    assert all(n.vetted_by == "nyc-service" for n in ds.needs if n.status.value == "open")
    assert all(mk.can_vet(centre, n) for n in ds.needs)
    blocked = mk.policy_blocks(ds, as_of="2011-06-01")
    assert not any("vet" in why for why in blocked.values())


def test_without_a_vetting_organisation_open_listings_are_held_back() -> None:
    plain = mk.import_nyc_service(SAMPLE, vetting_organisation=None)
    assert all(n.vetted_by is None for n in plain.dataset.needs)
    day = date(2011, 6, 1)
    blocked = mk.policy_blocks(plain.dataset, as_of=day)
    live = [n for n in plain.dataset.needs
            if n.status.value == "open" and (n.end_date is None or n.end_date >= day)]
    assert set(blocked) == {n.id for n in live}


def test_nyc_needs_match_synthetic_new_yorkers(default: mk.NycImport) -> None:
    from matchkit.datasets import NYC_CAUSES, NYC_CENTER, synthetic_city

    people = synthetic_city(400, 0, seed=3, center=NYC_CENTER, radius_km=20, causes=NYC_CAUSES,
                            as_of=date(2011, 6, 1))
    ds = mk.Dataset(volunteers=people.volunteers, organisations=default.dataset.organisations,
                    needs=default.dataset.needs)
    result = mk.match(ds, as_of="2011-06-01")
    assert result.new_proposals
    for p in result.new_proposals[:50]:
        assert mk.why_not(ds, p.volunteer_id, p.need_id, as_of="2011-06-01") == []


def test_every_change_is_reported_with_row_id_and_field(default: mk.NycImport) -> None:
    rows = _rows()
    by_kind: dict[str, set[str]] = {}
    for p in default.report:
        assert p.source == str(SAMPLE) and p.row is not None and p.record_id and p.field
        assert rows[p.row - 2]["opportunity_id"] == p.record_id  # header is line 1
        by_kind.setdefault(p.message.split(":")[0], set()).add(p.record_id)
    unplaced = {r["opportunity_id"] for r in rows if not _placed(r)}
    sentinel = {
        r["opportunity_id"] for r in rows if r["vol_requests"] == "9999" and _placed(r)
    }
    blank = {
        r["opportunity_id"]
        for r in rows
        if not r["category_desc"].strip() and _placed(r)
    }
    assert by_kind["missing place"] == unplaced
    assert by_kind["sentinel capacity"] == sentinel
    assert by_kind["blank category"] == blank
    assert set(by_kind) == {
        "missing place",
        "sentinel capacity",
        "blank category",
        "places disagree",
    }


def test_needs_carry_the_source_values(default: mk.NycImport) -> None:
    rows = {r["opportunity_id"]: r for r in _rows()}
    for need in default.dataset.needs:
        row = rows[need.id]
        expected = 100 if row["vol_requests"] == "9999" else int(row["vol_requests"])
        assert need.capacity == expected
        assert need.organisation_id == row["org_content_id"]
        assert need.status is mk.NeedStatus.OPEN and not need.remote and need.location
        assert need.causes == (
            (row["category_desc"].strip().lower().replace(" ", "_"),)
            if row["category_desc"].strip()
            else ()
        )
        assert need.start_date is not None and need.end_date is not None
        assert need.start_date <= need.end_date
    need = default.dataset.need(
        "5008"
    )  # "February 01 2011" .. "February 01 2011", a one-day event
    assert (need.start_date, need.end_date) == (date(2011, 2, 1), date(2011, 2, 1))
    assert need.location == mk.Place(lat=40.74053152272978, lon=-73.98923530081726)


def test_organisations_are_derived_and_said_so(default: mk.NycImport) -> None:
    org = default.dataset.organisation("37026")
    assert (org.name, org.kind, org.registered) == (
        "Organisation 37026",
        mk.OrganisationKind.CSO,
        True,
    )
    assert any("kind 'cso', registered True" in n for n in default.notes)
    assert any(
        "end dates run from 2011-01-22 to 2012-12-31" in n for n in default.notes
    )


@pytest.mark.parametrize(
    ("options", "n_needs", "check"),
    [
        (
            {"on_missing_place": "remote"},
            665,
            lambda ds: sum(n.remote for n in ds.needs) == 70,
        ),
        (
            {"on_sentinel": "skip"},
            593,
            lambda ds: all(n.id not in ("5005", "5352") for n in ds.needs),
        ),
        ({"capacity_cap": 250}, 595, lambda ds: ds.need("5005").capacity == 250),
        ({"sentinel_capacities": ()}, 595, lambda ds: ds.need("5005").capacity == 9999),
        (
            {"on_blank_category": "skip"},
            552,
            lambda ds: all(n.causes for n in ds.needs),
        ),
        (
            {"on_blank_category": "tag", "blank_category_cause": "general"},
            595,
            lambda ds: sum(n.causes == ("general",) for n in ds.needs) == 43,
        ),
    ],
)
def test_options(options: dict[str, object], n_needs: int, check: object) -> None:
    result = mk.import_nyc_service(SAMPLE, **options)  # type: ignore[arg-type]
    assert len(result.dataset.needs) == n_needs
    assert check(result.dataset)  # type: ignore[operator]


def test_bad_option_names_the_choices() -> None:
    with pytest.raises(
        mk.UnknownMethodError,
        match="'on_missing_place' parameter of import_nyc_service must be one of 'skip', 'remote'",
    ):
        mk.import_nyc_service(SAMPLE, on_missing_place="guess")


def test_imported_dataset_round_trips(tmp_path: Path, default: mk.NycImport) -> None:
    mk.save_dataset(default.dataset, tmp_path)
    assert mk.load_dataset(tmp_path) == default.dataset


@pytest.mark.parametrize(
    ("rows", "message", "field"),
    [
        (
            "5,many,T,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n",
            "skipped: vol_requests is not a whole number",
            "vol_requests",
        ),
        (
            "5,0,T,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n",
            "skipped: vol_requests must be at least 1",
            "vol_requests",
        ),
        (
            "5,2,T,Health,O,9,{loc},,,March 01 2011,March 02 2011,pending,onetime\n",
            "skipped: status 'pending' is not a listed opportunity",
            "status",
        ),
        (
            "5,2,T,Health,O,9,{loc},,,Marchember 01 2011,March 02 2011,approved,onetime\n",
            "unreadable date: expected such as 'February 24 2011' or '2011-02-24'; left empty",
            "start_date_date",
        ),
        (
            "5,2,T,Health,O,9,{loc},,,2011W091,March 02 2011,approved,onetime\n",
            "unreadable date: expected such as",  # an ISO week date is not taken for a day
            "start_date_date",
        ),
        (
            "5,2,T,Health,O,9,{loc},,,February 29 2011,March 02 2011,approved,onetime\n",
            "day does not exist: 2011 has no 29 February (February 2011 has 28 days); left empty",
            "start_date_date",
        ),
        (
            "5,2,T,Health,O,9,{loc},,,2011-04-31,May 02 2011,approved,onetime\n",
            "day does not exist: 2011 has no 31 April (April 2011 has 30 days); left empty",
            "start_date_date",
        ),
        (
            "5,2,T,Health,O,9,{loc},,,March 05 2011,March 02 2011,approved,onetime\n",
            "skipped: end_date_date 2011-03-02 is before start_date_date 2011-03-05",
            "end_date_date",
        ),
        (
            "5,99999999999999999999,T,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,x\n",
            "skipped: vol_requests is not a valid capacity: Input should be less than or equal",
            "vol_requests",
        ),
        (
            "5,2,T,Health,O,9,not a dict,40.7,-73.9,March 01 2011,March 02 2011,approved,onetime\n",
            (
                "unusable locality: not a dict with 'latitude' and 'longitude'; "
                "Latitude/Longitude used instead"
            ),
            "locality",
        ),
        (
            "5,2,,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n",
            "blank title: titled 'Opportunity 5'",
            "title",
        ),
        (
            "5,2,T,Health,,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n",
            "blank org_title: organisation named 'Organisation 9'",
            "org_title",
        ),
        (
            "5,2,T,Health,O,,{loc},,,March 01 2011,March 02 2011,approved,onetime\n",
            "skipped: no org_content_id",
            "org_content_id",
        ),
        (
            (
                "5,2,T,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n"
                "5,3,T,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n"
            ),
            "skipped: opportunity_id repeats line 2, which was imported",
            "opportunity_id",
        ),
        (
            "5,2,T,Health,O,9,{loc},,,March 01 2011\n",
            "skipped: the row has 10 cells but the header has 13",
            None,
        ),
    ],
)
def test_odd_rows_are_reported(
    tmp_path: Path, rows: str, message: str, field: str | None
) -> None:
    path = tmp_path / "nyc.csv"
    path.write_text(HEADER + rows.replace("{loc}", LOCALITY), encoding="utf-8")
    result = mk.import_nyc_service(path)
    found = [p for p in result.report if message in p.message]
    assert found, "\n".join(map(str, result.report))
    assert found[0].field == field and found[0].row is not None


def test_not_this_table(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(
        mk.InvalidDatasetError,
        match=r"other\.csv, line 1, field 'opportunity_id': the column is missing",
    ):
        mk.import_nyc_service(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "nyc.csv"
    path.write_bytes(
        (HEADER + "5,2,Caf\u00e9,Health,O,9,,,,,,approved,\n").encode("cp1252")
    )
    with pytest.raises(
        mk.InvalidDatasetError, match=r"nyc\.csv, line 2: is not UTF-8 text: byte 0xe9"
    ):
        mk.import_nyc_service(path)


def test_cli_import_then_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from matchkit.cli import main

    out_dir = tmp_path / "nyc"
    assert (
        main(["import-nyc", str(SAMPLE), "-o", str(out_dir), "--format", "jsonl"]) == 0
    )
    out = capsys.readouterr().out
    assert (
        "665 opportunities read: 595 needs from 232 organisations, 70 rows skipped"
        in out
    )
    assert "70 x missing place" in out and "2 x sentinel capacity" in out
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "needs.jsonl",
        "organisations.jsonl",
        "volunteers.jsonl",
    ]
    assert main(["validate", str(out_dir)]) == 0
    assert "0 volunteers, 232 organisations, 595 needs" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("ends", "example"),
    [
        (["March 02 2011"], "as_of=date(2011, 3, 2)"),  # June 1 would be after every end
        (["March 02 2011", "October 02 2012"], "as_of=date(2011, 6, 1)"),
    ],
)
def test_the_suggested_as_of_keeps_the_listings_open(
    tmp_path: Path, ends: list[str], example: str
) -> None:
    path = tmp_path / "nyc.csv"
    rows = "".join(
        f"{i},2,T,Health,O,9,{LOCALITY},,,March 01 2011,{end},approved,onetime\n"
        for i, end in enumerate(ends, start=1)
    )
    path.write_text(HEADER + rows, encoding="utf-8")
    (note,) = [n for n in mk.import_nyc_service(path).notes if "end dates run" in n]
    assert example in note


def _import(tmp_path: Path, rows: str, **options: object) -> mk.NycImport:
    """Import HEADER + rows ({loc} is a valid locality) written to a temporary file."""
    path = tmp_path / "nyc.csv"
    path.write_text(HEADER + rows.replace("{loc}", LOCALITY), encoding="utf-8")
    return mk.import_nyc_service(path, **options)  # type: ignore[arg-type]


def test_categories_in_any_script_become_tags(tmp_path: Path) -> None:
    rows = "".join(
        f"{i},2,T,\"{category}\",O,9,{{loc}},,,March 01 2011,March 02 2011,approved,onetime\n"
        for i, category in enumerate(
            ["Помощь соседям", "Éducation & Santé", "E\u0301ducation & Sante\u0301", "सहायता सेवा",
             "Kinder- und Jugendhilfe"],
            start=1,
        )
    )
    result = _import(tmp_path, rows)
    assert [n.causes for n in result.dataset.needs] == [
        ("помощь_соседям",), ("éducation_santé",), ("éducation_santé",), ("सहायता_सेवा",),
        ("kinder_und_jugendhilfe",),
    ]
    assert result.report == ()
    centre = result.dataset.organisation("nyc-service")
    assert all(mk.can_vet(centre, n) for n in result.dataset.needs)


@pytest.mark.parametrize(
    ("options", "causes", "action"),
    [
        ({}, [()], "need kept without causes"),
        ({"on_blank_category": "tag"}, [("uncategorised",)], "cause set to 'uncategorised'"),
        ({"on_blank_category": "skip"}, [], "row skipped"),
    ],
)
def test_a_category_without_letters_or_digits_is_reported_as_blank(
    tmp_path: Path, options: dict[str, object], causes: list[tuple[str, ...]], action: str
) -> None:
    rows = "5,2,T,\U0001f91d \u2764\ufe0f,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n"
    result = _import(tmp_path, rows, **options)
    assert [n.causes for n in result.dataset.needs] == causes
    (problem,) = result.report
    assert (problem.row, problem.record_id, problem.field) == (2, "5", "category_desc")
    assert problem.message.startswith("category without letters or digits: " + action)
    assert problem.value == "\U0001f91d \u2764\ufe0f"


def test_dates_in_the_source_form_abbreviated_or_iso_are_read(tmp_path: Path) -> None:
    rows = (
        "1,2,T,Health,O,9,{loc},,,\"Feb 24, 2011\",2012-02-29,approved,onetime\n"
        "2,2,T,Health,O,9,{loc},,,Sept 3 2011,December 31 2011,approved,onetime\n"
    )
    result = _import(tmp_path, rows)
    assert [(n.start_date, n.end_date) for n in result.dataset.needs] == [
        (date(2011, 2, 24), date(2012, 2, 29)),
        (date(2011, 9, 3), date(2011, 12, 31)),
    ]
    assert result.report == ()


ENDS = (
    "1,5,T,Health,O,9,{loc},,,,,approved,onetime\n"  # no dates at all
    "2,5,T,Health,O,9,{loc},,,February 24 2011,24/02/2012,approved,onetime\n"
    "3,5,T,Health,O,9,{loc},,,May 01 2011,February 30 2012,approved,onetime\n"
    "4,5,T,Health,O,9,{loc},,,May 01 2011,May 01 2012,approved,onetime\n"
)


def _today_proposals(imported: mk.NycImport) -> list[str]:
    people = tuple(
        mk.Volunteer(id=f"v{i}", home=mk.Place(lat=40.74, lon=-73.98)) for i in range(3)
    )
    ds = mk.Dataset(volunteers=people, organisations=imported.dataset.organisations,
                    needs=imported.dataset.needs)
    return sorted({p.need_id for p in mk.match(ds).proposals})


def test_a_row_without_a_readable_end_date_is_skipped_and_reported(tmp_path: Path) -> None:
    result = _import(tmp_path, ENDS)
    assert [n.id for n in result.dataset.needs] == ["4"]
    found = [(p.row, p.record_id, p.field, p.value, p.message.split(";")[0]) for p in result.report]
    assert found == [
        (2, "1", "end_date_date", None, "no end date: end_date_date is blank"),
        (3, "2", "end_date_date", "24/02/2012",
         "unreadable date: expected such as 'February 24 2011' or '2011-02-24'"),
        (4, "3", "end_date_date", "February 30 2012", "day does not exist: 2012 has no 30 February (February 2012 has 29 days)"),
    ]
    assert all("row skipped" in p.message for p in result.report)
    assert _today_proposals(result) == []  # every listing of 2011-2012 is over today
    assert [n for n in result.notes if "end date" in n] == [
        (
            "end dates run from 2012-05-01 to 2012-05-01: match with an as_of on or before "
            "2012-05-01 (for example as_of=date(2012, 5, 1)), otherwise every need is over"
        )
    ]


def test_kept_without_an_end_date_the_report_and_the_notes_say_it_never_ends(
    tmp_path: Path,
) -> None:
    result = _import(tmp_path, ENDS, on_missing_end_date="keep")
    assert [(n.id, n.start_date, n.end_date) for n in result.dataset.needs] == [
        ("1", None, None), ("2", date(2011, 2, 24), None), ("3", date(2011, 5, 1), None),
        ("4", date(2011, 5, 1), date(2012, 5, 1)),
    ]
    assert [p.record_id for p in result.report] == ["1", "2", "3"]
    assert all(
        p.message.endswith("kept without an end date: it never ends (on_missing_end_date='keep')")
        for p in result.report
    )
    assert [n for n in result.notes if "end date" in n] == [
        (
            "end dates run from 2012-05-01 to 2012-05-01: match with an as_of on or before "
            "2012-05-01 (for example as_of=date(2012, 5, 1)), otherwise every need with an "
            "end date is over"
        ),
        (
            "3 need(s) have no end date and never end: they are matched with any as_of "
            "(on_missing_end_date='keep')"
        ),
    ]
    assert _today_proposals(result) and "4" not in _today_proposals(result)


def test_when_no_need_has_an_end_date_the_notes_do_not_give_a_range(tmp_path: Path) -> None:
    result = _import(tmp_path, ENDS.split("\n")[0] + "\n", on_missing_end_date="keep")
    assert [n for n in result.notes if "end date" in n] == [
        (
            "1 need(s) have no end date and never end: they are matched with any as_of "
            "(on_missing_end_date='keep')"
        )
    ]


def test_bad_on_missing_end_date_names_the_choices() -> None:
    with pytest.raises(mk.UnknownMethodError, match="'on_missing_end_date' parameter"):
        mk.import_nyc_service(SAMPLE, on_missing_end_date="never")


def test_a_cell_over_the_csv_field_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "nyc.csv"
    long_cell = "x" * (csv.field_size_limit() + 10)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([*HEADER.strip().split(","), "summary"])
        for oid, summary in (("1", long_cell), ("2", "")):
            out.writerow([oid, "5", "T", "Health", "O", "9", "", "40.7", "-73.9",
                          "March 01 2011", "March 02 2011", "approved", "onetime", summary])
    limit = csv.field_size_limit()
    result = mk.import_nyc_service(path)
    assert [n.id for n in result.dataset.needs] == ["1", "2"] and result.report == ()
    assert csv.field_size_limit() == limit  # the process-wide limit is restored


def _locality(lat: str, lon: str) -> str:
    return f"\"{{'latitude': '{lat}', 'longitude': '{lon}', 'human_address': ''}}\""


@pytest.mark.parametrize(
    ("locality", "lat", "lon", "expected"),
    [
        ("", "40.7", "", [("Longitude", "unusable Latitude/Longitude: Longitude is blank; ignored")]),
        ("", "", "-73.9", [("Latitude", "unusable Latitude/Longitude: Latitude is blank; ignored")]),
        ("", "north", "-73.9",
         [("Latitude", "unusable Latitude/Longitude: Latitude is not a number; ignored")]),
        ("", "nan", "inf", [
            ("Latitude", "unusable Latitude/Longitude: Latitude is not a number; ignored"),
            ("Longitude", "unusable Latitude/Longitude: Longitude is not a number; ignored"),
        ]),
        ("", "40.7", "-273.9", [(
            "Longitude",
            "unusable Latitude/Longitude: Longitude is out of range (-180 to 180); ignored",
        )]),
        ("", "0", "0", [(
            "Latitude",
            "unusable Latitude/Longitude: Latitude and Longitude are 0, 0, which marks a place",
        )]),
        (_locality("NaN", "-73.9"), "", "",
         [("locality", "unusable locality: its latitude 'NaN' is not a number; ignored")]),
        (_locality("0", "0"), "", "",
         [("locality", "unusable locality: its latitude and longitude are 0, 0")]),
        (_locality("", ""), "", "", [("locality", "unusable locality: its latitude is blank; ignored")]),
    ],
)
def test_an_unusable_place_names_its_column_and_the_problem(
    tmp_path: Path, locality: str, lat: str, lon: str, expected: list[tuple[str, str]]
) -> None:
    row = f"5,2,T,Health,O,9,{locality},{lat},{lon},March 01 2011,March 02 2011,approved,onetime\n"
    result = _import(tmp_path, row)
    assert result.dataset.needs == ()
    *found, skipped = result.report
    assert [(p.field, p.message[: len(m)]) for p, (_, m) in zip(found, expected)] == expected
    assert len(found) == len(expected)
    assert skipped.message.startswith(
        "missing place: no usable locality or Latitude/Longitude; row skipped"
    )


@pytest.mark.parametrize(
    ("locality", "message"),
    [
        (_locality("95", "-73.9"), "unusable locality: its latitude '95' is out of range (-90 to 90)"),
        (_locality("40.7", "nan"), "unusable locality: its longitude 'nan' is not a number"),
        ("\"{'latitude': '40.7'}\"", "unusable locality: not a dict with 'latitude' and 'longitude'"),
    ],
)
def test_an_unusable_locality_falls_back_to_latitude_and_longitude(
    tmp_path: Path, locality: str, message: str
) -> None:
    row = f"5,2,T,Health,O,9,{locality},40.7,-73.9,March 01 2011,March 02 2011,approved,onetime\n"
    result = _import(tmp_path, row)
    assert [n.location for n in result.dataset.needs] == [mk.Place(lat=40.7, lon=-73.9)]
    (problem,) = result.report
    assert problem.field == "locality"
    assert problem.message == f"{message}; Latitude/Longitude used instead"


def test_unusable_columns_fall_back_to_the_locality(tmp_path: Path) -> None:
    row = f"5,2,T,Health,O,9,{LOCALITY},40.7,,March 01 2011,March 02 2011,approved,onetime\n"
    result = _import(tmp_path, row)
    assert [n.location for n in result.dataset.needs] == [mk.Place(lat=40.74, lon=-73.98)]
    (problem,) = result.report
    assert (problem.field, problem.message) == (
        "Longitude", "unusable Latitude/Longitude: Longitude is blank; locality used instead"
    )


def test_a_repeated_id_keeps_the_first_copy_that_can_be_imported(tmp_path: Path) -> None:
    rows = (
        "7,2,First,Health,O,9,,,,March 01 2011,March 02 2011,approved,onetime\n"  # no place
        "7,2,Second,Health,O,9,,,,March 01 2011,,approved,onetime\n"  # no place, no end
        "7,2,Third,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n"
        "7,2,Fourth,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n"
    )
    result = _import(tmp_path, rows)
    assert [(n.id, n.title) for n in result.dataset.needs] == [("7", "Third")]
    assert [(p.row, p.message) for p in result.report if p.field == "opportunity_id"] == [
        (4, "repeated opportunity_id: line(s) 2, 3 had it too and were skipped; this copy "
            + "is imported"),
        (5, "skipped: opportunity_id repeats line 4, which was imported"),
    ]
    assert result.n_rows == 4 and result.n_skipped == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"capacity_cap": "5"}, "'capacity_cap' parameter of import_nyc_service must be a whole number"),
        ({"capacity_cap": 2.5}, "'capacity_cap' parameter .* Got 2.5"),
        ({"capacity_cap": 0}, "'capacity_cap' parameter .* at least 1"),
        ({"capacity_cap": True}, "'capacity_cap' parameter .* Got True"),
        ({"capacity_cap": 10**30}, "'capacity_cap' parameter .* a need's capacity: input should be less"),
        ({"sentinel_capacities": "9999"}, "'sentinel_capacities' parameter .* Got '9999'"),
        ({"sentinel_capacities": 9999}, "'sentinel_capacities' parameter .* such as \\(9999,\\)"),
        ({"sentinel_capacities": [9999, "99"]}, "'sentinel_capacities' parameter"),
        ({"blank_category_cause": " "}, "'blank_category_cause' parameter .* non-empty string"),
        ({"blank_category_cause": None}, "'blank_category_cause' parameter"),
        ({"vetting_organisation": ""}, "'vetting_organisation' parameter .* or None. Got ''"),
        ({"vetting_organisation": 7}, "'vetting_organisation' parameter .* Got 7"),
        ({"on_sentinel": None}, "'on_sentinel' parameter .* must be one of 'cap', 'skip'"),
    ],
)
def test_a_bad_option_value_is_named(options: dict[str, object], message: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=message):
        mk.import_nyc_service(SAMPLE, **options)  # type: ignore[arg-type]


def test_good_option_values_of_other_types_are_taken(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    rows = "5,99,T,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n"
    result = _import(tmp_path, rows, sentinel_capacities={99, 9999}, capacity_cap=np.int64(20),
                     vetting_organisation=" centre ")
    (need,) = result.dataset.needs
    assert need.capacity == 20 and need.vetted_by == "centre"
    assert [o.id for o in result.dataset.organisations] == ["9", "centre"]


def test_a_path_that_is_not_a_path_is_named() -> None:
    with pytest.raises(mk.InvalidInputError, match="'path' parameter .* Got 42"):
        mk.import_nyc_service(42)  # type: ignore[arg-type]


def test_a_vetting_organisation_id_taken_in_the_file_names_the_option(tmp_path: Path) -> None:
    rows = (
        "5,2,T,Health,O,9,{loc},,,March 01 2011,March 02 2011,approved,onetime\n"
        "6,2,T,Health,O,nyc-service,{loc},,,March 01 2011,March 02 2011,approved,onetime\n"
    )
    with pytest.raises(
        mk.InvalidInputError,
        match=r"'nyc-service' is also an organisation id in .*nyc\.csv' \(line 3, org_content_id\); "
        r"give the vetting organisation another id with the vetting_organisation option, "
        r"such as 'nyc-service-1'",
    ):
        _import(tmp_path, rows)
    result = _import(tmp_path, rows, vetting_organisation="nyc-service-1")
    assert {n.vetted_by for n in result.dataset.needs} == {"nyc-service-1"}


def test_the_docs_give_what_the_sample_import_gives(default: mk.NycImport) -> None:
    docs = (Path(__file__).parent.parent / "docs" / "schema.md").read_text(encoding="utf-8")
    section = " ".join(docs.split("## Importing NYC Service data")[1].split())
    kinds = {p.message.split(":")[0]: 0 for p in default.report}
    for p in default.report:
        kinds[p.message.split(":")[0]] += 1
    ds = default.dataset
    assert f"{len(ds.needs)} needs from {len(ds.organisations)} organisations" in section
    assert f"{kinds['missing place']} rows without a place skipped" in section
    assert f"{kinds['sentinel capacity']} sentinel capacities capped" in section
    assert f"{kinds['places disagree']} places that disagree" in section
    assert 'sets `vetted_by="nyc-service"` on every `open` need' in section
    assert {n.vetted_by for n in ds.needs} == {"nyc-service"}


def test_the_example_counts_only_needs_not_over_as_keeping_free_places(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util
    import re

    path = Path(__file__).parent.parent / "examples" / "nyc_service.py"
    spec = importlib.util.spec_from_file_location("nyc_service_example", path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    results: list[mk.MatchResult] = []
    match = mk.match

    def recording_match(*args: object, **kwargs: object) -> mk.MatchResult:
        results.append(match(*args, **kwargs))  # type: ignore[arg-type]
        return results[-1]

    monkeypatch.setattr(mk, "match", recording_match)
    assert example.main(["--volunteers", "300"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"(\d+) of the (\d+) needs not over keep free places", out)
    assert found, out
    (result,) = results
    over = {nid for nid, why in result.unfilled.items() if why.code == "ended"}
    assert over  # the round date leaves some listings over, which must not be counted
    assert int(found[1]) == len(result.unfilled) - len(over) <= int(found[2])
