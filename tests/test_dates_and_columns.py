"""Days given as text, and paired columns of a CSV file, as a new user writes them."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import matchkit as mk
from matchkit._models import parse_iso_date
from matchkit.cli import main
from matchkit.datasets import tiny_city

DAY_AND_TIME = "2027-05-07T23:00+03:00"
TOLD = re.escape(f"'{DAY_AND_TIME}' is a date and time; give the day alone: 2027-05-07")

CALLERS: dict[str, Callable[[Any], object]] = {
    "match": lambda as_of: mk.match(tiny_city(), as_of=as_of),
    "build_problem": lambda as_of: mk.build_problem(tiny_city(), as_of=as_of),
    "check_policies": lambda as_of: mk.check_policies(tiny_city(), as_of=as_of),
    "match_inkind": lambda as_of: mk.match_inkind([], [], [], as_of=as_of),
}


@pytest.mark.parametrize("caller", list(CALLERS))
def test_as_of_date_and_time_is_refused_naming_the_day(caller: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=TOLD) as info:
        CALLERS[caller](DAY_AND_TIME)
    assert "not an ISO 8601 date" not in str(info.value)


@pytest.mark.parametrize("caller", list(CALLERS))
def test_as_of_datetime_object_gives_its_own_date(caller: str) -> None:
    moment = datetime(2027, 5, 7, 23, 0, tzinfo=timezone(timedelta(hours=3)))
    CALLERS[caller](moment)  # accepted, as date(2027, 5, 7) is


@pytest.mark.parametrize("command", ["match", "check", "inkind"])
def test_command_line_as_of_date_and_time_is_refused_naming_the_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    city = tmp_path / "city"
    mk.save_dataset(tiny_city(), city)
    argv = [command, str(city), "--as-of", DAY_AND_TIME]
    if command != "check":
        argv += ["-o", str(tmp_path / "out")]
    try:
        code = main(argv)
    except SystemExit as stop:  # refused as the command line is read
        code = stop.code
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert re.search(TOLD, err), err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-05-07T23:00Z", "is a date and time; give the day alone: 2027-05-07"),
        ("2027-05-07 09:30:15.5", "is a date and time; give the day alone: 2027-05-07"),
        ("20270507T2300", "is a date and time; give the day alone: 2027-05-07"),
        ("20270507", "is an ISO 8601 date in another form; write it as YYYY-MM-DD: 2027-05-07"),
        ("2027-W18-5", "is an ISO 8601 date in another form; write it as YYYY-MM-DD: 2027-05-07"),
        ("2027-127", "is an ISO 8601 date in another form; write it as YYYY-MM-DD: 2027-05-07"),
        ("2028-366", "is an ISO 8601 date in another form; write it as YYYY-MM-DD: 2028-12-31"),
        ("2027-02-29T10:00", "is not a day: 2027 has no 29 February"),
        ("2027-13-01 10:00", "is not a day: there is no month 13; months are 01 to 12"),
        ("2027-366", "is not an ISO 8601 date; write it as YYYY-MM-DD"),
        ("07052027", "is not an ISO 8601 date; write it as YYYY-MM-DD"),
        ("2027-05-07 2027-05-09", "is not an ISO 8601 date; write it as YYYY-MM-DD"),
        ("\u0662\u0660\u0662\u0667-\u0660\u0665-\u0660\u0667", "is not an ISO 8601 date"),
    ],
)
def test_a_day_is_read_only_as_yyyy_mm_dd_on_every_python(text: str, message: str) -> None:
    """Python 3.11 reads 20270507 and 2027-W18-5 as days, 3.10 does not: neither is taken."""
    with pytest.raises(ValueError) as info:
        parse_iso_date(text)
    assert str(info.value).startswith(f"{text!r} {message}"), info.value


def test_a_day_written_yyyy_mm_dd_is_read() -> None:
    assert parse_iso_date("2027-05-07") == date(2027, 5, 7)
    assert parse_iso_date(" 2028-02-29\t") == date(2028, 2, 29)
    assert parse_iso_date("0001-01-01") == date(1, 1, 1)


def test_a_day_is_read_by_python_alone() -> None:
    """Loading reads a day per date cell (a birth date per volunteer). Matched with a regular
    expression and checked with the calendar, a day cost 11 times date.fromisoformat, and
    loading 100,000 volunteers 0.15 s more. A well-written day calls no Python function
    besides parse_iso_date itself (counted, not timed)."""
    calls: list[str] = []

    def profile(frame: object, event: str, arg: object) -> None:
        if event == "call":
            calls.append(frame.f_code.co_name)  # type: ignore[attr-defined]

    sys.setprofile(profile)
    try:
        day = parse_iso_date(" 1990-05-17 ")
    finally:
        sys.setprofile(None)
    assert day == date(1990, 5, 17)
    assert calls == ["parse_iso_date"], calls


def test_a_timestamp_with_a_time_in_a_frame_is_refused_naming_the_day() -> None:
    pd = pytest.importorskip("pandas")
    frames = mk.dataset_to_frames(tiny_city())
    people = frames["volunteers"]
    people["birth_date"] = pd.to_datetime(people["birth_date"]).astype(object)
    people.loc[0, "birth_date"] = pd.Timestamp("1990-05-01 13:30")
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.dataset_from_frames(**frames)
    (problem,) = info.value.problems
    assert problem.field == "birth_date"
    assert "'1990-05-01 13:30:00' is a date and time; give the day alone: 1990-05-01" in str(
        problem
    )


REQUESTS_WITHOUT_PLACE_LON = (
    "id,organisation_id,kind,quantity,unit,needed_by,place_lat,purpose\n"
    "r1,o1,food,5,portions,2027-02-20,55.8,tea\n"
    "r2,o1,food,5,portions,2027-02-20,55.8,tea\n"
)


def _problems(folder: Path, files: dict[str, str]) -> list[mk.Problem]:
    mk.save_dataset(tiny_city(), folder)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.load_dataset(folder)
    return list(info.value.problems)


def test_a_missing_column_of_a_required_place_is_told_once_in_the_header(
    tmp_path: Path,
) -> None:
    problems = _problems(tmp_path, {"requests.csv": REQUESTS_WITHOUT_PLACE_LON})
    header = [p for p in problems if p.row == 1]
    assert [(p.field, p.message.split(";")[0]) for p in header] == [
        ("place_lon", "the required column is missing from the header")
    ], problems
    assert not [p for p in problems if "is given but" in p.message], problems


def test_a_missing_column_of_a_required_place_is_told_once_in_all(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"requests.csv": REQUESTS_WITHOUT_PLACE_LON})
    assert [(p.row, p.field) for p in problems] == [(1, "place_lon")], problems


@pytest.mark.parametrize(
    ("kind", "given", "missing"),
    [
        ("volunteers", "home_lat", "home_lon"),
        ("volunteers", "home_lon", "home_lat"),
        ("needs", "location_lat", "location_lon"),
        ("needs", "location_lon", "location_lat"),
    ],
)
def test_half_a_place_in_a_frame_is_told_once(kind: str, given: str, missing: str) -> None:
    pytest.importorskip("pandas")
    frames = mk.dataset_to_frames(tiny_city())
    frame = frames[kind]
    frame[given] = frame[given].fillna(1.0)  # every row gives half a place
    frames[kind] = frame.drop(columns=[missing])
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.dataset_from_frames(**frames)
    (problem,) = info.value.problems
    assert problem.field == missing
    assert f"the header has {given} but no {missing} column" in problem.message
