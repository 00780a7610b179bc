"""Malformed input: each case has its own clear error naming the file, the line and the field.

Every case starts from a small valid folder and breaks one thing. The case lists every
problem it expects as ``(file, line, field, message pattern)``; the test checks the
``InvalidDatasetError`` holds exactly those, and that its text says them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

import matchkit as mk

VOLS = "id,name,home_lat,home_lon,availability\nv1,Ann,55.79,49.12,sat-morning\nv2,Bob,,,\n"
ORGS = "id,name,kind,registered\no1,Paws,cso,true\no2,City hall,public_body,false\n"
NEEDS = (
    "id,organisation_id,title,location_lat,location_lon,remote,capacity,status,start_date\n"
    "n1,o1,Walk dogs,55.8,49.1,false,2,open,2027-01-01\n"
    "n2,o2,Remote help,,,true,1,open,\n"
)
BASE = {"volunteers.csv": VOLS, "organisations.csv": ORGS, "needs.csv": NEEDS}


class Case(NamedTuple):
    files: dict[str, str | bytes | None]  # None removes a file of the valid base
    expected: list[tuple[str, int | None, str | None, str]]


CASES: dict[str, Case] = {
    "missing column": Case(
        {"needs.csv": "id,organisation_id,title,remote,status\nn1,o1,T,true,open\n"},
        [
            (
                "needs.csv",
                1,
                "capacity",
                r"required column is missing from the header; add a 'capacity' column holding a whole number >= 1",
            )
        ],
    ),
    "unknown column": Case(
        {"volunteers.csv": "id,colour\nv1,red\n"},
        [
            (
                "volunteers.csv",
                1,
                "colour",
                r"is not a column of volunteers \(schema v1\); remove it or check its spelling",
            )
        ],
    ),
    "misspelt column": Case(
        {"volunteers.csv": "id,skils\nv1,it\n"},
        [("volunteers.csv", 1, "skils", r"did you mean 'skills'\?")],
    ),
    "column in capitals": Case(
        {"volunteers.csv": "ID,Name\nv1,Ann\n"},
        [
            ("volunteers.csv", 1, "ID", r"did you mean 'id'\?"),
            ("volunteers.csv", 1, "Name", r"did you mean 'name'\?"),
            ("volunteers.csv", 1, "id", r"required column is missing"),
        ],
    ),
    "a value under a column without a name": Case(
        {"organisations.csv": ORGS.replace("\n", ",,\n").replace("o2,City hall,public_body,false,,", "o2,City hall,public_body,false,,night shifts")},
        [("organisations.csv", 1, None, r"column 6 of the header has no name, and line 3 holds 'night shifts' in it; name the column or remove it")],
    ),
    "column twice": Case(
        {"volunteers.csv": "id,name,name\nv1,a,b\n"},
        [("volunteers.csv", 1, "name", r"appears twice in the header; keep one")],
    ),
    # One problem for a file with another separator: no column "missing", no row with a
    # decimal comma "of 2 cells", and the needs naming its organisations are not told
    # that they do not exist.
    "semicolon-separated file": Case(
        {"organisations.csv": "id;name;kind;registered\no1;Paws;cso;true\no2;City, hall;cso;1\n"},
        [
            (
                "organisations.csv",
                1,
                None,
                (
                    r"the header reads as one column 'id;name;kind;registered': the file seems "
                    r"to use ';' between cells, and matchkit's CSV files use ','; save the file "
                    r"as CSV with commas"
                ),
            ),
        ],
    ),
    "tab-separated file": Case(
        {"volunteers.csv": VOLS.replace(",", "\t").replace("55.79", "55,79")},
        [("volunteers.csv", 1, None, r"the file seems to use tabs between cells")],
    ),
    "semicolons between quoted cells": Case(
        {"organisations.csv": '"id";"name";"kind";"registered"\n"o1";"Paws";"cso";"true"\n'},
        [("organisations.csv", 1, None, r"the file seems to use ';' between cells")],
    ),
    "file separated by bars": Case(
        {"needs.csv": NEEDS.replace(",", "|")},
        [("needs.csv", 1, None, r"the file seems to use '\|' between cells")],
    ),
    "decimal comma": Case(
        {"volunteers.csv": VOLS.replace("55.79", '"55,79"')},
        [("volunteers.csv", 2, "home_lat", r"write numbers with '\.' as the decimal point and without thousands separators")],
    ),
    "thousands separator": Case(
        {"needs.csv": NEEDS.replace("Walk dogs,55.8,49.1,false,2,", 'Walk dogs,55.8,49.1,false,"1,000",')},
        [("needs.csv", 2, "capacity", r"whole number >= 1 and <= 1000000; write numbers with '\.' as the decimal point and without thousands separators")],
    ),
    "a column name holding a semicolon": Case(
        {"volunteers.csv": "id,name;skills\nv1,Ann\n"},
        [("volunteers.csv", 1, "name;skills", r"seems to use ';' between cells; matchkit CSV files use ','")],
    ),
    "day that does not exist": Case(
        {"needs.csv": NEEDS.replace("2027-01-01", "2027-02-29")},
        [
            (
                "needs.csv",
                2,
                "start_date",
                r"'2027-02-29' is not a day: 2027 has no 29 February \(February 2027 has days 01 to 28\)",
            )
        ],
    ),
    "month that does not exist": Case(
        {"needs.csv": NEEDS.replace("2027-01-01", "2027-13-01")},
        [("needs.csv", 2, "start_date", r"there is no month 13; months are 01 to 12")],
    ),
    "JSON day that does not exist": Case(
        {
            "volunteers.csv": None,
            "volunteers.json": '[{"id": "v1", "birth_date": "1999-04-31"}]',
        },
        [("volunteers.json", 1, "birth_date", r"1999 has no 31 April \(April 1999 has days 01 to 30\)")],
    ),
    "date in another style": Case(
        {"needs.csv": NEEDS.replace("2027-01-01", "01/02/2027")},
        [("needs.csv", 2, "start_date", r"'01/02/2027' is not an ISO 8601 date")],
    ),
    "date and time in a CSV file": Case(
        {"needs.csv": NEEDS.replace("2027-01-01", "2027-01-01T23:00+03:00")},
        [
            (
                "needs.csv",
                2,
                "start_date",
                r"'2027-01-01T23:00\+03:00' is a date and time; give the day alone: 2027-01-01",
            )
        ],
    ),
    "date and time of a day that does not exist": Case(
        {"needs.csv": NEEDS.replace("2027-01-01", "2027-02-29 10:00")},
        [("needs.csv", 2, "start_date", r"'2027-02-29 10:00' is not a day: 2027 has no 29 February")],
    ),
    "JSON date and time": Case(
        {
            "volunteers.csv": None,
            "volunteers.json": '[{"id": "v1", "birth_date": "1999-04-30T22:00:00Z"}]',
        },
        [("volunteers.json", 1, "birth_date", r"is a date and time; give the day alone: 1999-04-30")],
    ),
    "end before start": Case(
        {
            "needs.csv": NEEDS.replace(
                "status,start_date", "status,start_date,end_date"
            )
            .replace("2027-01-01", "2027-01-01,2026-12-31")
            .replace("open,\n", "open,,\n")
        },
        [
            (
                "needs.csv",
                2,
                "end_date",
                r"end_date 2026-12-31 is before start_date 2027-01-01",
            )
        ],
    ),
    "latitude 123": Case(
        {"volunteers.csv": VOLS.replace("55.79", "123")},
        [
            (
                "volunteers.csv",
                2,
                "home_lat",
                r"less than or equal to 90; expected a latitude in degrees, -90..90",
            )
        ],
    ),
    "longitude not a number": Case(
        {"needs.csv": NEEDS.replace("49.1,", "east,")},
        [
            (
                "needs.csv",
                2,
                "location_lon",
                r"valid number.*expected a longitude in degrees",
            )
        ],
    ),
    "half a place": Case(
        {"volunteers.csv": VOLS.replace("v2,Bob,,,", "v2,Bob,55.1,,")},
        [
            (
                "volunteers.csv",
                3,
                "home_lon",
                r"home_lat is given but home_lon is empty; a place needs both columns",
            )
        ],
    ),
    "half a place in the header": Case(
        {"volunteers.csv": VOLS.replace(",home_lon", "").replace(",49.12", "").replace(",,,", ",,")},
        [
            (
                "volunteers.csv",
                1,
                "home_lon",
                (
                    r"the header has home_lat but no home_lon column; a place needs both columns "
                    r"\(or neither\): add a 'home_lon' column or remove 'home_lat'"
                ),
            )
        ],
    ),
    "half a place in the header of a need that is not remote": Case(
        {"needs.csv": NEEDS.replace("location_lat,", "").replace("55.8,", "").replace(",,,true", ",,true")},
        [
            (
                "needs.csv",
                1,
                "location_lat",
                r"the header has location_lon but no location_lat column",
            )
        ],
    ),
    "half a place in the header of offers": Case(
        {
            "offers.csv": "id,organisation_id,kind,item,quantity,unit,contact_role,area_lat\n"
            "f1,o1,food,Bread,10,loaves,Baker,55.8\n"
        },
        [("offers.csv", 1, "area_lon", r"the header has area_lat but no area_lon column")],
    ),
    "negative capacity": Case(
        {"needs.csv": NEEDS.replace("false,2,open", "false,-3,open")},
        [
            (
                "needs.csv",
                2,
                "capacity",
                r"greater than or equal to 1; expected a whole number >= 1",
            )
        ],
    ),
    "capacity beyond the largest count": Case(
        {"needs.csv": NEEDS.replace("false,2,open", "false,99999999999999999999,open")},
        [
            (
                "needs.csv",
                2,
                "capacity",
                r"less than or equal to 1000000; expected a whole number >= 1 and <= 1000000",
            )
        ],
    ),
    "JSON max_placements beyond the largest count": Case(
        {
            "volunteers.csv": None,
            "volunteers.json": '[{"id": "v1", "max_placements": 1000001}]',
        },
        [("volunteers.json", 1, "max_placements", r"less than or equal to 1000000")],
    ),
    "capacity not whole": Case(
        {"needs.csv": NEEDS.replace("false,2,open", "false,2.5,open")},
        [("needs.csv", 2, "capacity", r"valid integer.*expected a whole number >= 1")],
    ),
    "unknown slot": Case(
        {"volunteers.csv": VOLS.replace("sat-morning", "sat-morning;saturday-night")},
        [
            (
                "volunteers.csv",
                2,
                "availability",
                r"'saturday-night' is not a slot; a slot is a day and a part of day",
            )
        ],
    ),
    "bad language code": Case(
        {"volunteers.csv": "id,languages\nv1,en;English\n"},
        [
            (
                "volunteers.csv",
                2,
                "languages",
                r"'english' is not an ISO 639-1 language code",
            )
        ],
    ),
    "bad boolean": Case(
        {"organisations.csv": ORGS.replace("cso,true", "cso,maybe")},
        [
            (
                "organisations.csv",
                2,
                "registered",
                r"is not a yes/no value; expected true or false \(also 1/0, yes/no\)",
            )
        ],
    ),
    "unknown kind": Case(
        {"organisations.csv": ORGS.replace("cso", "charity")},
        [
            (
                "organisations.csv",
                2,
                "kind",
                r"Input should be 'cso', 'public_body', 'business' or 'volunteer_centre'",
            )
        ],
    ),
    "empty required cell": Case(
        {"needs.csv": NEEDS.replace("Walk dogs", "")},
        [("needs.csv", 2, "title", r"is required but missing; add it")],
    ),
    "duplicate id": Case(
        {"organisations.csv": ORGS + "o1,Paws again,cso,true\n"},
        [
            (
                "organisations.csv",
                4,
                "id",
                r"duplicate id: ids must be unique among organisations; 'o1' appears 2 times, first at line 2",
            )
        ],
    ),
    "duplicate id of an invalid record": Case(
        {"volunteers.csv": VOLS + "v1,Ann again,99,0,\n"},
        [
            ("volunteers.csv", 4, "home_lat", r"less than or equal to 90"),
            (
                "volunteers.csv",
                4,
                "id",
                r"duplicate id.*'v1' appears 2 times, first at line 2",
            ),
        ],
    ),
    "dangling organisation id": Case(
        {"needs.csv": NEEDS.replace("n2,o2", "n2,o7")},
        [
            (
                "needs.csv",
                3,
                "organisation_id",
                r"organisation 'o7' does not exist; add it to organisations or correct the id",
            )
        ],
    ),
    "dangling vetted_by": Case(
        {
            "needs.csv": "id,organisation_id,title,remote,capacity,status,vetted_by\nn1,o1,T,yes,1,vetted,o9\n"
        },
        [("needs.csv", 2, "vetted_by", r"vetting organisation 'o9' does not exist")],
    ),
    "references of a record with a field error": Case(
        {
            "needs.csv": "id,organisation_id,title,remote,capacity,status,vetted_by,proposed_by\n"
            "n1,o9,T,true,two,open,o7,v9\n"
        },
        [
            ("needs.csv", 2, "capacity", r"valid integer"),
            ("needs.csv", 2, "organisation_id", r"organisation 'o9' does not exist"),
            ("needs.csv", 2, "vetted_by", r"vetting organisation 'o7' does not exist"),
            ("needs.csv", 2, "proposed_by", r"volunteer 'v9' does not exist"),
        ],
    ),
    "request with a bad date naming an unknown need": Case(
        {
            "requests.csv": "id,organisation_id,kind,quantity,unit,needed_by,place_lat,place_lon,"
            "purpose,need_id\nr1,o1,food,5,portions,2027-02-30,55.8,49.1,tea,n9\n"
        },
        [
            ("requests.csv", 2, "needed_by", r"2027 has no 30 February"),
            ("requests.csv", 2, "need_id", r"need 'n9' does not exist"),
        ],
    ),
    "JSON reference of the wrong type": Case(
        {
            "needs.csv": None,
            "needs.json": '[{"id": "n1", "organisation_id": ["o1"], "title": "T", '
            '"remote": true, "capacity": 1, "status": "open"}]',
        },
        [("needs.json", 1, "organisation_id", r"valid string")],
    ),
    "row with too many cells names an organisation": Case(
        {"organisations.csv": ORGS.replace("o1,Paws,cso,true", "o1,Paws,cso,true,extra")},
        [("organisations.csv", 2, None, r"the row has 5 cells but the header has 4 columns")],
    ),
    "row with too few cells names an organisation": Case(
        {"organisations.csv": ORGS.replace("o2,City hall,public_body,false", "o2,City hall")},
        [("organisations.csv", 3, None, r"the row has 2 cells but the header has 4 columns")],
    ),
    "a row that cannot be read does not hide a missing organisation": Case(
        {
            "organisations.csv": ORGS.replace("o1,Paws,cso,true", "o1,Paws,cso,true,extra"),
            "needs.csv": NEEDS.replace("n2,o2", "n2,o7"),
        },
        [
            ("organisations.csv", 2, None, r"the row has 5 cells"),
            ("needs.csv", 3, "organisation_id", r"organisation 'o7' does not exist"),
        ],
    ),
    "broken quote in the middle of a file": Case(
        {"organisations.csv": ORGS.replace("o1,Paws,", 'o1,"Paws"!,')},
        [("organisations.csv", 2, None, r"cannot be read as CSV: .*check its quotes$")],
    ),
    "unclosed quote takes the rest of the file": Case(
        {"organisations.csv": ORGS.replace("o1,Paws,", 'o1,"Paws,')},
        [
            (
                "organisations.csv",
                2,
                None,
                (
                    r"check its quotes \(a quote opened on line 2 is never closed, so lines 2 "
                    r"to 3 were read as this one row and are not loaded\)"
                ),
            )
        ],
    ),
    "two broken rows are both reported": Case(
        {"volunteers.csv": VOLS.replace("v1,Ann,", 'v1,"Ann"x,').replace("v2,Bob,", 'v2,"Bob"y,')},
        [
            ("volunteers.csv", 2, None, r"cannot be read as CSV"),
            ("volunteers.csv", 3, None, r"cannot be read as CSV"),
        ],
    ),
    "JSONL line that cannot be read names an organisation": Case(
        {
            "organisations.csv": None,
            "organisations.jsonl": '{"id": "o1", "name": "Paws", "kind": "cso", "registered": true\n'
            '{"id": "o2", "name": "City hall", "kind": "public_body", "registered": false}\n',
        },
        [("organisations.jsonl", 1, None, r"malformed JSON at line 1")],
    ),
    "need without place that is not remote": Case(
        {
            "needs.csv": NEEDS.replace(
                "n1,o1,Walk dogs,55.8,49.1,false", "n1,o1,Walk dogs,,,false"
            )
        },
        [
            (
                "needs.csv",
                2,
                "remote",
                r"a need without a location must be remote: give location_lat/location_lon or set remote to true",
            )
        ],
    ),
    "empty file": Case(
        {"volunteers.csv": ""},
        [
            (
                "volunteers.csv",
                1,
                None,
                r"the file is empty; the first line must be the header \(at least: id\)",
            )
        ],
    ),
    "not UTF-8": Case(
        {
            "organisations.csv": "id,name,kind,registered\no1,Caf\u00e9 Paws,cso,true\n".encode(
                "latin-1"
            )
        },
        [
            (
                "organisations.csv",
                2,
                None,
                r"is not UTF-8 text: byte 0xe9 at line 2, column 7 cannot be decoded; save the file as UTF-8",
            )
        ],
    ),
    "a workbook renamed to .csv": Case(
        {"volunteers.csv": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x97"},
        [("volunteers.csv", 1, None, r"is a spreadsheet workbook \(Excel or LibreOffice\), not text; save it")],
    ),
    "UTF-16 (a spreadsheet's Unicode Text)": Case(
        {"volunteers.csv": VOLS.encode("utf-16")},
        [("volunteers.csv", 1, None, r"is UTF-16 text .*, not UTF-8; save the file as UTF-8")],
    ),
    "too many cells": Case(
        {"volunteers.csv": VOLS.replace("v2,Bob,,,", "v2,Bob, Jr,,,")},
        [
            (
                "volunteers.csv",
                3,
                None,
                r"the row has 6 cells but the header has 5 columns; a cell probably holds an unquoted ','",
            )
        ],
    ),
    "too few cells": Case(
        {"volunteers.csv": VOLS.replace("v2,Bob,,,", "v2,Bob")},
        [
            (
                "volunteers.csv",
                3,
                None,
                r"the row has 2 cells but the header has 5 columns; add the missing cells",
            )
        ],
    ),
    "unclosed quote": Case(
        {"volunteers.csv": 'id,name\nv1,"Ann\n'},
        [("volunteers.csv", 2, None, r"cannot be read as CSV: .*check its quotes")],
    ),
    "error after a multi-line cell": Case(
        {"volunteers.csv": 'id,name,max_placements\nv1,"Ann\nof\nKazan",1\nv2,Bob,0\n'},
        [("volunteers.csv", 5, "max_placements", r"greater than or equal to 1")],
    ),
    "missing file": Case(
        {"needs.csv": None},
        [
            (
                "",
                None,
                "needs",
                r"needs\.csv or needs\.json or needs\.jsonl is missing; every dataset folder holds",
            )
        ],
    ),
    "two formats of one kind": Case(
        {"needs.json": "[]"},
        [
            (
                "",
                None,
                "needs",
                r"holds needs\.csv and needs\.json, two formats of the same needs; keep one",
            )
        ],
    ),
    "malformed JSON": Case(
        {"needs.csv": None, "needs.json": '[\n  {"id": "n1", "capacity": 2,}\n]\n'},
        [
            (
                "needs.json",
                2,
                None,
                (
                    r"malformed JSON at line 2, column 30: Expecting property name.*; remove the "
                    r"',' before '}' \(JSON allows no comma after the last item\)"
                ),
            )
        ],
    ),
    "comma after the last record": Case(
        {"volunteers.csv": None, "volunteers.json": '[\n  {"id": "v1"},\n  {"id": "v2"},\n]\n'},
        [("volunteers.json", 4, None, r"remove the ',' before '\]' \(JSON allows no comma after the last item\)")],
    ),
    "single quotes in JSON Lines": Case(
        {"needs.csv": None, "needs.jsonl": "{'id': 'n1'}\n"},
        [("needs.jsonl", 1, None, r"""write text in double quotes \("v1", not 'v1'\)""")],
    ),
    "JSON record not an object": Case(
        {"needs.csv": None, "needs.json": '[\n  ["n1", "o1"]\n]'},
        [
            (
                "needs.json",
                2,
                None,
                r"a record must be a JSON object such as \{\"id\": \"v1\", ...\}, found a JSON array",
            )
        ],
    ),
    "JSON not an array": Case(
        {"needs.csv": None, "needs.json": '{"id": "n1"}'},
        [("needs.json", 1, None, r"expected a JSON array of records")],
    ),
    "JSON dataset document given as a kind file": Case(
        {"volunteers.csv": None, "volunteers.json": '{"volunteers": []}'},
        [("volunteers.json", 1, None, r"looks like a whole-dataset document")],
    ),
    "JSON field out of range": Case(
        {
            "volunteers.csv": None,
            "volunteers.json": '[{"id": "v1"},\n {"id": "v2", "home": {"lat": 123, "lon": 0}}]',
        },
        [
            (
                "volunteers.json",
                2,
                "home.lat",
                r"less than or equal to 90; expected a place",
            )
        ],
    ),
    "JSON unknown field": Case(
        {"volunteers.csv": None, "volunteers.json": '[{"id": "v1", "colour": "red"}]'},
        [
            (
                "volunteers.json",
                1,
                "colour",
                r"is not a field of schema v1; remove it or check its spelling",
            )
        ],
    ),
    "JSON misspelt field": Case(
        {"volunteers.csv": None, "volunteers.json": '[{"id": "v1", "skils": ["it"]}]'},
        [("volunteers.json", 1, "skils", r"is not a field of schema v1; did you mean 'skills'\?")],
    ),
    "JSON set given as a string": Case(
        {
            "volunteers.csv": None,
            "volunteers.json": '[{"id": "v1", "skills": "it;first_aid"}]',
        },
        [
            (
                "volunteers.json",
                1,
                "skills",
                r"expected a list of strings \(a JSON array",
            )
        ],
    ),
    "JSON values of the wrong type": Case(
        {
            "needs.csv": None,
            "needs.json": '[{"id": true, "organisation_id": "o1", "title": "T", "capacity": true,\n'
            '  "status": "open", "remote": "yes", "min_overlap": false},\n'
            ' {"id": "n4", "organisation_id": "o1", "title": "T", "capacity": "2",\n'
            '  "status": "open", "remote": 1, "causes": ["animals", 7]}]',
        },
        [
            ("needs.json", 1, "id", r"is not an id; write the id as text in double quotes \(or as a whole number\)"),
            ("needs.json", 1, "capacity", r"true/false is not a number; write a whole number"),
            ("needs.json", 1, "remote", r"is text, not a JSON boolean; write true or false"),
            ("needs.json", 1, "min_overlap", r"true/false is not a number"),
            ("needs.json", 3, "capacity", r"is text, not a number; write the number without quotes"),
            ("needs.json", 3, "remote", r"is a number, not a JSON boolean"),
            ("needs.json", 3, "causes", r"holds an item that is not text; write each item in"),
        ],
    ),
    "JSONL place given as text": Case(
        {
            "volunteers.csv": None,
            "volunteers.jsonl": '{"id": "v1", "home": {"lat": "55.8", "lon": 49.1}, '
            '"max_distance_km": false}\n',
        },
        [
            ("volunteers.jsonl", 1, "home.lat", r"is text, not a number"),
            (
                "volunteers.jsonl",
                1,
                "max_distance_km",
                r"true/false is not a number; write a number, such as 7\.5",
            ),
        ],
    ),
    "JSON null where true or false belongs": Case(
        {
            "organisations.csv": None,
            "organisations.json": '[{"id": "o1", "name": "P", "kind": "cso", "registered": null},\n'
            ' {"id": "o2", "name": "City hall", "kind": "public_body", "registered": false}]',
        },
        [("organisations.json", 1, "registered", r"valid boolean; expected true or false, without quotes")],
    ),
    "JSONL bad line": Case(
        {
            "volunteers.csv": None,
            "volunteers.jsonl": '{"id": "v1"}\n{"id": "v2"\n{"id": "v3"} {"id": "v4"}\n',
        },
        [
            ("volunteers.jsonl", 2, None, r"malformed JSON at line 2, column 12"),
            (
                "volunteers.jsonl",
                3,
                None,
                r"more than one value on the line; put each record on its own line",
            ),
        ],
    ),
}


def _folder(tmp_path: Path, case: Case) -> Path:
    files: dict[str, str | bytes | None] = {**BASE, **case.files}
    for name, content in files.items():
        if content is None:
            continue
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return tmp_path


def test_base_is_valid(tmp_path: Path) -> None:
    ds = mk.load_dataset(_folder(tmp_path, Case({}, [])))
    assert (len(ds.volunteers), len(ds.organisations), len(ds.needs)) == (2, 2, 2)


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_input(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    folder = _folder(tmp_path, case)
    first_file, first_line, _, first_pattern = case.expected[0]
    where = re.escape(first_file) + (f", line {first_line}" if first_line else "")
    with pytest.raises(
        mk.InvalidDatasetError, match=where + r".*" + first_pattern
    ) as info:
        mk.load_dataset(folder)
    got = info.value.problems
    assert len(got) == len(case.expected), "\n".join(map(str, got))
    for problem, (file, line, field, pattern) in zip(got, case.expected):
        assert (
            problem.source == str(folder / file)
            if file
            else problem.source == str(folder)
        )
        assert (problem.row, problem.field) == (line, field), str(problem)
        assert re.search(pattern, problem.message), str(problem)
        assert str(problem).startswith(str(folder)), (
            "every problem names the file or folder"
        )


def test_every_problem_of_every_file_in_one_error(tmp_path: Path) -> None:
    broken = Case(
        {
            "volunteers.csv": VOLS.replace("55.79", "123").replace(
                "sat-morning", "noon"
            ),
            "organisations.csv": ORGS.replace("cso,true", "cso,maybe"),
            "needs.csv": NEEDS.replace("false,2,open", "false,0,open").replace(
                "n2,o2", "n2,o9"
            ),
        },
        [],
    )
    with pytest.raises(mk.InvalidDatasetError, match=r"5 problem\(s\) found") as info:
        mk.load_dataset(_folder(tmp_path, broken))
    where = [(Path(p.source).name, p.row, p.field) for p in info.value.problems]
    assert where == [
        ("volunteers.csv", 2, "home_lat"),
        ("volunteers.csv", 2, "availability"),
        ("organisations.csv", 2, "registered"),
        ("needs.csv", 2, "capacity"),
        ("needs.csv", 3, "organisation_id"),
    ]


def test_the_largest_counts_can_be_matched() -> None:
    """Counts at the bound load and match (the bound keeps them within fixed-size integers)."""
    from matchkit._models import MAX_COUNT

    ds = mk.Dataset.from_records(
        volunteers=[{"id": f"v{i}", "max_placements": MAX_COUNT} for i in range(3)],
        organisations=[{"id": "c", "name": "C", "kind": "volunteer_centre", "registered": True}],
        needs=[
            {"id": f"n{j}", "organisation_id": "c", "title": "T", "remote": True,
             "capacity": MAX_COUNT, "min_overlap": MAX_COUNT, "status": "open", "vetted_by": "c"}
            for j in range(2)
        ],
    )
    for method in ("flow", "hungarian", "stable", "milp"):
        assert len(mk.match(ds, as_of="2027-01-01", method=method).new_proposals) == 6


def test_json_numbers_may_be_written_with_a_point(tmp_path: Path) -> None:
    """JSON has one number type: 2.0 is the whole number 2 (2.5 is refused by the model)."""
    needs = '[{"id": "n1", "organisation_id": "o1", "title": "T", "capacity": 2.0, ' \
        '"status": "open", "remote": true}]'
    case = Case({"needs.csv": None, "needs.json": needs}, [])
    assert mk.load_dataset(_folder(tmp_path, case)).need("n1").capacity == 2


def test_a_leap_day_is_a_day(tmp_path: Path) -> None:
    case = Case({"needs.csv": NEEDS.replace("2027-01-01", "2028-02-29")}, [])
    assert mk.load_dataset(_folder(tmp_path, case)).need("n1").start_date.isoformat() == "2028-02-29"


def test_a_row_that_cannot_be_read_names_its_id(tmp_path: Path) -> None:
    case = Case({"organisations.csv": ORGS.replace("o1,Paws,", 'o1,"Paws"!,')}, [])
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.load_dataset(_folder(tmp_path, case))
    assert [p.record_id for p in info.value.problems] == ["o1"]


def test_problems_show_the_cell_as_written(tmp_path: Path) -> None:
    case = Case({"volunteers.csv": VOLS.replace("55.79", " 123 ")}, [])
    with pytest.raises(mk.InvalidDatasetError, match=r"\(got ' 123 '\)") as info:
        mk.load_dataset(_folder(tmp_path, case))
    assert info.value.problems[0].value == " 123 "


def test_a_bad_file_yields_nothing(tmp_path: Path) -> None:
    """Valid volunteers and organisations are not returned when the needs are bad."""
    case = Case({"needs.csv": NEEDS.replace("false,2,open", "false,0,open")}, [])
    folder = _folder(tmp_path, case)
    result = None
    with pytest.raises(mk.InvalidDatasetError, match="needs.csv, line 2"):
        result = mk.load_dataset(folder)
    assert result is None
    assert sorted(p.name for p in folder.iterdir()) == [
        "needs.csv",
        "organisations.csv",
        "volunteers.csv",
    ]


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (
            lambda p: p / "nowhere",
            r"nowhere: does not exist; give a dataset folder or a \.json dataset document",
        ),
        (
            lambda p: (p / "v.csv", (p / "v.csv").write_text("id\n"))[0],
            r"v\.csv: is a file; give a folder",
        ),
        (
            lambda p: (p / "d.json", (p / "d.json").write_text('{"people": []}'))[0],
            r"d\.json, line 1, field 'people': 'people' is not a part of a dataset document",
        ),
        (
            lambda p: (p / "d.json", (p / "d.json").write_text("[]"))[0],
            r"d\.json, line 1: expected a dataset document",
        ),
        (
            lambda p: (p / "d.json", (p / "d.json").write_text(""))[0],
            r"d\.json, line 1: the file is empty; write a dataset document",
        ),
        (
            lambda p: (
                p / "d.json",
                (p / "d.json").write_text('{"needs": [], "needs": []}'),
            )[0],
            r"'needs' appears twice in the document",
        ),
        (
            lambda p: (
                p / "d.json",
                (p / "d.json").write_text(
                    '{"organisations": [{"id": "o1", "name": "P", "kind": "cso", '
                    '"registered": 1}]}'
                ),
            )[0],
            r"d\.json, line 1 \(id 'o1'\), field 'registered': is a number, not a JSON boolean",
        ),
        (
            lambda p: (
                p / "d.json",
                (p / "d.json").write_text('{"needs": [{"id": "n1"}]}'),
            )[0],
            r"d\.json, line 1 \(id 'n1'\), field 'organisation_id': is required but missing",
        ),
    ],
)
def test_bad_paths_and_documents(tmp_path: Path, make: object, pattern: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(mk.InvalidDatasetError, match=pattern):
        mk.load_dataset(path)


def test_file_name_in_capitals(tmp_path: Path) -> None:
    folder = _folder(tmp_path, Case({"needs.csv": None, "Needs.CSV": NEEDS}, []))
    if (folder / "needs.csv").exists():
        pytest.skip("this file system ignores the case of file names")
    with pytest.raises(
        mk.InvalidDatasetError, match=r"rename Needs\.CSV to needs\.csv"
    ):
        mk.load_dataset(folder)


@pytest.mark.parametrize("path", ["", "  "])
def test_a_ledger_needs_a_file_name(path: str) -> None:
    with pytest.raises(mk.InvalidInputError, match=r"ledger path .* is empty; give a file name"):
        mk.Ledger(path)


class _NoTruth:
    """A value like pandas' NA or a numpy array: ``==`` gives something without a truth
    value, so ``value != ""`` raised inside the message."""

    def __eq__(self, other: object) -> object:
        return self

    def __ne__(self, other: object) -> object:
        return self

    def __bool__(self) -> bool:
        raise TypeError("boolean value of NA is ambiguous")

    def __repr__(self) -> str:
        return "<NA>"


class _BadRepr:
    def __repr__(self) -> str:
        raise ValueError("no repr")


def test_a_problem_message_never_raises_on_its_value() -> None:
    from matchkit import Problem

    p = Problem("must be a number", "volunteers.csv", row=3, field="max_placements",
                value=_NoTruth())
    assert str(p) == (
        "volunteers.csv, line 3, field 'max_placements': must be a number (got <NA>)"
    )
    assert str(Problem("bad", "data", value="")) == "data: bad"
    assert str(Problem("bad", "data", value=_BadRepr())) == "data: bad (got <_BadRepr>)"


def test_ids_keep_the_control_characters_the_models_keep(tmp_path: Path) -> None:
    """An id ending in U+001C..U+001F is that id (the models keep those characters, as
    Python's str.strip would not): a reference to it names a missing record, and two ids
    that differ only there are two ids."""
    from matchkit.datasets import tiny_city

    ds = tiny_city()
    mk.save_dataset(ds, tmp_path)
    needs = tmp_path / "needs.csv"
    lines = needs.read_text(encoding="utf-8").splitlines()
    at = lines[0].split(",").index("organisation_id")
    row = lines[1].split(",")
    org = row[at]
    row[at] = org + "\x1c"
    lines[1] = ",".join(row)
    needs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(mk.InvalidDatasetError) as err:
        mk.load_dataset(tmp_path)
    (problem,) = err.value.problems
    assert problem.field == "organisation_id" and problem.row == 2
    assert problem.message.startswith(f"organisation {org + chr(0x1C)!r} does not exist")

    twins = mk.Dataset(
        volunteers=[*ds.volunteers, ds.volunteers[0].model_copy(update={"id": ds.volunteers[0].id + "\x1f"})],
        organisations=ds.organisations,
        needs=ds.needs,
    )
    mk.save_dataset(twins, tmp_path / "twins")
    assert mk.load_dataset(tmp_path / "twins") == twins
