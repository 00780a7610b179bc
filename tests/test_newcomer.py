"""What a newcomer meets first: the command line's options, their data files and the docs' snippets."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import matchkit as mk
from matchkit.cli import main


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``argv``; it must stop as a usage error (exit 2); return its stderr."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err


# -- option values are checked as the command line is read -------------------------------------


@pytest.mark.parametrize(
    ("argv", "option", "words"),
    [
        (["match", "{data}", "--as-of", "01/09/2026"], "--as-of", "YYYY-MM-DD"),
        (["propose", "{data}", "--as-of", "2026-02-30"], "--as-of", "2026 has no 30 February"),
        (["report", "{data}", "-o", "{tmp}/r.html", "--as-of", "1.9.2026"], "--as-of", "YYYY-MM-DD"),
        (["check", "{data}", "--as-of", "2026/09/01"], "--as-of", "YYYY-MM-DD"),
        (["match", "{data}", "--method", "Flow"], "--method", "flow, hungarian, stable, milp"),
        (["report", "{data}", "-o", "{tmp}/r.html", "--method", "greedy"], "--method", "stable"),
        (["match", "{data}", "--shortlist", "-1"], "--shortlist", "at least 0"),
        (["match", "{data}", "--top-k", "0"], "--top-k", "at least 1"),
        (["demo", "--out", "{tmp}/demo", "--shortlist", "-1"], "--shortlist", "at least 0"),
        (["demo", "--out", "{tmp}/demo", "--rounds", "two"], "--rounds", "'two' is not a whole number"),
    ],
)
def test_a_bad_option_value_is_a_usage_error_named_by_its_option_before_any_work(
    argv: list[str], option: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The data folder does not exist: the option is refused before anything is loaded,
    # and nothing is written (the demo wrote its city and ledger, then failed in round 1).
    args = [a.replace("{data}", str(tmp_path / "no-data")).replace("{tmp}", str(tmp_path)) for a in argv]
    err = usage_error(args, capsys)
    assert f"argument {option}:" in err and words in err, err
    assert "parameter of" not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# -- files saved by a spreadsheet ---------------------------------------------------------------


def test_a_frame_read_with_the_wrong_separator_is_one_problem(tmp_path: Path) -> None:
    """``pd.read_csv`` of a ';'-separated file gives one column named after the whole header."""
    pd = pytest.importorskip("pandas")
    (tmp_path / "orgs.csv").write_text("id;name;kind;registered\no1;Paws;cso;true\n", encoding="utf-8")
    frame = pd.read_csv(tmp_path / "orgs.csv", dtype=str)
    needs = pd.DataFrame({"id": ["n1"], "organisation_id": ["o1"], "title": ["T"], "remote": [True],
                          "capacity": [1], "status": ["open"]})
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.dataset_from_frames(organisations=frame, needs=needs)
    [problem] = info.value.problems
    assert (problem.source, problem.row) == ("organisations DataFrame", None)
    assert "seems to use ';' between cells" in problem.message


def test_a_frame_row_of_empty_cells_is_ignored_as_in_a_csv_file(tmp_path: Path) -> None:
    """A spreadsheet read by pandas often ends in rows of NaN; the CSV reader skips such rows."""
    pd = pytest.importorskip("pandas")
    text = "id,name,kind,registered,vets_causes\no1,Paws,cso,true,animals\n,,,,\n"
    (tmp_path / "organisations.csv").write_text(text, encoding="utf-8")
    frame = pd.read_csv(tmp_path / "organisations.csv").astype(object)
    frame.loc[len(frame)] = [None, "", float("nan"), pd.NA, []]
    assert len(frame) == 3
    from_frames = mk.dataset_from_frames(organisations=frame)
    (tmp_path / "volunteers.csv").write_text("id\n", encoding="utf-8")
    (tmp_path / "needs.csv").write_text("id,organisation_id,title,capacity,status\n", encoding="utf-8")
    assert from_frames == mk.load_dataset(tmp_path)
    assert [o.id for o in from_frames.organisations] == ["o1"]


def test_frames_with_pandas_nullable_dtypes_read_missing_cells_as_not_given(tmp_path: Path) -> None:
    """``read_csv(dtype_backend="numpy_nullable")`` or ``convert_dtypes()`` mark missing cells pd.NA."""
    pd = pytest.importorskip("pandas")
    ds = mk.datasets.tiny_city()
    mk.save_dataset(ds, tmp_path)
    frames = {kind: pd.read_csv(tmp_path / f"{kind}.csv", dtype_backend="numpy_nullable")
              for kind in ("volunteers", "organisations", "needs")}
    assert frames["needs"]["min_age"].isna().any()  # pd.NA cells, in Int64 and string columns
    assert not ds.offers and not ds.requests
    assert mk.dataset_from_frames(**frames) == mk.load_dataset(tmp_path) == ds


def test_a_required_frame_cell_holding_pandas_na_is_named_as_missing() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": ["o1", pd.NA], "name": ["Paws", "Hall"], "kind": ["cso", "cso"],
                          "registered": [True, pd.NA]}).astype({"id": "string", "registered": "boolean"})
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.dataset_from_frames(organisations=frame)
    assert [(p.row, p.field) for p in info.value.problems] == [(1, "id"), (1, "registered")]
    assert all("is required but missing" in p.message for p in info.value.problems)
    assert "missing; add it" in str(info.value)


# -- --help --------------------------------------------------------------------------------------

OWN_COMMANDS = ("schema", "validate", "import-nyc", "check", "report", "demo", "match", "propose")


@pytest.mark.parametrize("command", OWN_COMMANDS)
def test_every_command_and_option_says_what_it_does(command: str) -> None:
    from matchkit.cli import _build_parser

    sub = next(a for a in _build_parser()._actions if a.dest == "command")
    parser = sub.choices[command]  # type: ignore[index]
    assert parser.description, f"matchkit {command} --help has no description"
    for action in parser._actions:
        assert action.help, f"matchkit {command}: {action.option_strings or action.dest} has no help"


def test_a_volunteer_placed_earlier_is_not_counted_as_without_an_offer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = mk.Dataset.from_records(
        volunteers=[{"id": "v1", "remote_ok": True}],
        organisations=[{"id": "o1", "name": "Hall", "kind": "volunteer_centre", "registered": True}],
        needs=[{"id": "n1", "organisation_id": "o1", "title": "Calls", "remote": True, "capacity": 2,
                "status": "open", "vetted_by": "o1"}],
    )
    mk.save_dataset(ds, tmp_path / "data")
    ledger = str(tmp_path / "l.sqlite")
    assert main(["propose", str(tmp_path / "data"), "--ledger", ledger, "-o", str(tmp_path / "1.csv")]) == 0
    assert main(["decide", "--ledger", ledger, "--accept", "v1", "n1"]) == 0
    capsys.readouterr()
    assert main(["propose", str(tmp_path / "data"), "--ledger", ledger, "-o", str(tmp_path / "2.csv")]) == 0
    out = capsys.readouterr().out
    assert "0 volunteer(s) without an offer (1 placed, with no place left)" in out, out
    assert main(["report", str(tmp_path / "data"), "--ledger", ledger, "-o", str(tmp_path / "r.md")]) == 0
    out = capsys.readouterr().out
    assert "0 volunteer(s) without an offer (1 placed, with no place left)" in out, out
    report = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "| Volunteers without an offer | 0 |" in report and "| Placements | 1 |" in report


def test_empty_columns_without_a_name_are_left_out(tmp_path: Path) -> None:
    """A spreadsheet's export often ends every line with ',,' (formatted empty columns)."""
    ds = mk.datasets.tiny_city()
    mk.save_dataset(ds, tmp_path)
    for kind in ("volunteers", "needs"):
        path = tmp_path / f"{kind}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("".join(line + ",,\r\n" for line in lines), encoding="utf-8")
    assert mk.load_dataset(tmp_path) == ds


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_saved_files_have_the_permissions_of_any_new_file_or_of_the_file_they_replace(
    tmp_path: Path,
) -> None:
    mask = os.umask(0o022)
    try:
        written = mk.save_dataset(mk.datasets.tiny_city(), tmp_path / "data")
        assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o644}  # not 0o600
        (tmp_path / "data" / "needs.csv").chmod(0o640)
        mk.save_dataset(mk.datasets.tiny_city(), tmp_path / "data")
        assert stat.S_IMODE((tmp_path / "data" / "needs.csv").stat().st_mode) == 0o640
        assert stat.S_IMODE((tmp_path / "data" / "volunteers.csv").stat().st_mode) == 0o644
    finally:
        os.umask(mask)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "needs.csv", "organisations.csv", "volunteers.csv"
    ]  # no temporary left behind


def test_empty_unnamed_columns_of_a_frame_are_left_out_as_in_a_csv_file(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    ds = mk.datasets.tiny_city()
    mk.save_dataset(ds, tmp_path)
    path = tmp_path / "organisations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("".join(line + ",,\n" for line in lines), encoding="utf-8")
    frames = {kind: pd.read_csv(tmp_path / f"{kind}.csv") for kind in ("volunteers", "organisations", "needs")}
    assert "Unnamed: 5" in frames["organisations"].columns
    assert mk.dataset_from_frames(**frames) == mk.load_dataset(tmp_path) == ds


# -- the JSON Schema takes what the loader takes ---------------------------------------------------


@pytest.mark.parametrize(
    ("field", "texts"),
    [
        ("availability", ["Sat-Morning", " sun-evening ", "SAT-EVENING", "sat morning", "saturday-morning",
                          "sat-noon", "sat-morning-x", ""]),
        ("languages", ["EN", "ru", " tt ", "eng", "e1", "", "é"]),
    ],
)
def test_the_json_schema_takes_the_slots_and_languages_the_loader_takes(field: str, texts: list[str]) -> None:
    import re

    item = mk.json_schema()["$defs"]["Volunteer"]["properties"][field]["items"]
    pattern = item["pattern"]  # JSON Schema patterns are ECMA-262; these use its common subset
    for text in texts:
        try:
            mk.Dataset.from_records(volunteers=[{"id": "v1", field: [text]}])
            loads = True
        except mk.InvalidDatasetError:
            loads = False
        assert (re.search(pattern, text) is not None) == loads, (text, loads)


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [("volunteers", "id", " "), ("needs", "title", "  "), ("volunteers", "skills", [" "]),
     ("organisations", "vets_causes", [""]), ("volunteers", "id", "v1")],
)
def test_the_json_schema_refuses_blank_text_the_loader_refuses(kind: str, field: str, value: object) -> None:
    import re

    model = {"volunteers": "Volunteer", "needs": "Need", "organisations": "Organisation"}[kind]
    prop = mk.json_schema()["$defs"][model]["properties"][field]
    if isinstance(value, list):
        patterns, texts = [prop["items"]["pattern"]], value
    else:
        patterns = [o["pattern"] for o in [prop, *prop.get("anyOf", [])] if o.get("type") == "string"]
        texts = [value]
    record = {"volunteers": {"id": "v1"}, "organisations": {"id": "o1", "name": "O", "kind": "cso",
              "registered": True}, "needs": {"id": "n1", "organisation_id": "o1", "title": "T",
              "remote": True, "capacity": 1, "status": "open"}}
    records = {k: [dict(r)] for k, r in record.items()}
    records[kind][0][field] = value
    try:
        mk.Dataset.from_records(**records)
        loads = True
    except mk.InvalidDatasetError:
        loads = False
    assert all(re.search(p, t) for p in patterns for t in texts) == loads


def test_a_round_on_needs_that_are_all_over_says_so_and_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The NYC Service snapshot ends in 2012: matched on today's date, nothing is open."""
    nyc = Path(__file__).parent / "data" / "nyc-service-sample.csv"
    assert main(["import-nyc", str(nyc), "-o", str(tmp_path / "nyc")]) == 0
    capsys.readouterr()
    assert main(["match", str(tmp_path / "nyc"), "-o", str(tmp_path / "p.csv")]) == 0
    err = capsys.readouterr().err
    assert "no need is open on " in err and "595 ended before it" in err, err
    assert "give --as-of a day inside the needs' dates" in err
    assert main(["report", str(tmp_path / "nyc"), "-o", str(tmp_path / "r.md")]) == 0
    assert "595 ended before it" in capsys.readouterr().err
    assert main(["match", str(tmp_path / "nyc"), "-o", str(tmp_path / "p.csv"), "--as-of", "2011-06-01"]) == 0
    assert "no need is open" not in capsys.readouterr().err


def test_report_record_needs_an_existing_ledger_and_says_so_before_loading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "no-data")  # not loaded: the options are refused first
    assert main(["report", missing, "-o", str(tmp_path / "r.html"), "--record"]) == 2
    assert "--record needs --ledger FILE" in capsys.readouterr().err
    ledger = str(tmp_path / "new.sqlite")
    assert main(["report", missing, "-o", str(tmp_path / "r.html"), "--ledger", ledger, "--record"]) == 1
    err = capsys.readouterr().err
    assert f"--ledger {ledger}: no such file" in err and "matchkit propose DIR --ledger" in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_format_that_is_not_the_files_says_which_files_are_there(tmp_path: Path) -> None:
    ds = mk.datasets.tiny_city()
    mk.save_dataset(ds, tmp_path / "csv")
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.load_dataset(tmp_path / "csv", format="json")
    assert "the folder holds needs.csv: read it without format='json' (--format json)" in str(info.value)
    (tmp_path / "city.json").write_text(__import__("json").dumps(ds.to_records()), encoding="utf-8")
    with pytest.raises(mk.InvalidDatasetError, match=r"city.json: is a .json dataset document, read as JSON: "
                       r"load it without format='csv' \(--format csv\)"):
        mk.load_dataset(tmp_path / "city.json", format="csv")


def test_the_demo_never_replaces_files_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`matchkit demo --out .` in a project folder deleted its matches.sqlite and replaced data/."""
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "volunteers.csv").write_text("id\nv-real\n", encoding="utf-8")
    (project / "matches.sqlite").write_bytes(b"the centre's ledger")
    small = ["--volunteers", "60", "--needs", "6", "--rounds", "1"]
    assert main(["demo", "--out", str(project), *small]) == 1
    err = capsys.readouterr().err
    assert "data, matches.sqlite, which the demo did not write" in err and "new or empty folder" in err
    assert (project / "matches.sqlite").read_bytes() == b"the centre's ledger"
    assert (project / "data" / "volunteers.csv").read_text(encoding="utf-8") == "id\nv-real\n"
    # a new folder, then the same folder again (it is the demo's own now)
    for _ in range(2):
        assert main(["demo", "--out", str(tmp_path / "demo"), *small]) == 0
    # the default folder of a demo run before the marker existed is still the demo's
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo" / ".matchkit-demo").rename(tmp_path / "demo" / "marker-gone")
    (tmp_path / "demo" / "marker-gone").unlink()
    (tmp_path / "demo").rename(tmp_path / "matchkit-demo")
    assert main(["demo", *small]) == 0


@pytest.mark.parametrize("name", [".DS_Store", "Thumbs.db", "desktop.ini"])
def test_the_demo_takes_a_new_folder_a_file_manager_has_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A folder made in Finder or Explorer holds .DS_Store or Thumbs.db: it was refused as
    holding files 'the demo did not write'."""
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / name).write_bytes(b"\0")
    small = ["--volunteers", "60", "--needs", "6", "--rounds", "1"]
    assert main(["demo", "--out", str(tmp_path / "demo"), *small]) == 0, capsys.readouterr().err
    assert (tmp_path / "demo" / "data" / "volunteers.csv").is_file()


def test_import_nyc_never_replaces_a_dataset_unless_told(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`matchkit import-nyc ... -o data` replaced the centre's volunteers.csv with an empty one."""
    nyc = str(Path(__file__).parent / "data" / "nyc-service-sample.csv")
    mk.save_dataset(mk.datasets.tiny_city(), tmp_path / "data")
    before = (tmp_path / "data" / "volunteers.csv").read_bytes()
    assert main(["import-nyc", nyc, "-o", str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    assert "already holds needs.csv, organisations.csv, volunteers.csv" in err and "--replace" in err
    assert (tmp_path / "data" / "volunteers.csv").read_bytes() == before
    assert main(["import-nyc", nyc, "-o", str(tmp_path / "data"), "--replace"]) == 0
    assert len(mk.load_dataset(tmp_path / "data").needs) == 595
    assert main(["import-nyc", nyc, "-o", str(tmp_path / "new")]) == 0


@pytest.mark.parametrize("command", ["match", "propose"])
def test_the_proposals_never_overwrite_the_dataset_they_come_from(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = mk.datasets.tiny_city()
    mk.save_dataset(ds, tmp_path / "city")
    (tmp_path / "city.json").write_text(__import__("json").dumps(ds.to_records()), encoding="utf-8")
    (tmp_path / "x").mkdir()
    for data, out in ((tmp_path / "city", tmp_path / "city" / "needs.csv"),
                      (tmp_path / "city", tmp_path / "x" / ".." / "city" / "volunteers.csv"),
                      (tmp_path / "city.json", tmp_path / "city.json")):
        before = out.read_bytes()
        assert main([command, str(data), "-o", str(out), "--ledger", str(tmp_path / "l.sqlite")]) == 1
        assert "is a file of the dataset" in capsys.readouterr().err
        assert out.read_bytes() == before
    assert not (tmp_path / "l.sqlite").exists()  # refused before the round was recorded
    assert mk.load_dataset(tmp_path / "city") == ds


def test_frame_dates_read_as_timestamps_are_days(tmp_path: Path) -> None:
    """``pd.read_excel`` and ``read_csv(parse_dates=...)`` give date columns as timestamps."""
    pd = pytest.importorskip("pandas")
    ds = mk.datasets.tiny_city()
    mk.save_dataset(ds, tmp_path)
    frames = {"volunteers": pd.read_csv(tmp_path / "volunteers.csv", parse_dates=["birth_date"]),
              "organisations": pd.read_csv(tmp_path / "organisations.csv"),
              "needs": pd.read_csv(tmp_path / "needs.csv", parse_dates=["start_date", "end_date"])}
    assert str(frames["volunteers"]["birth_date"].dtype).startswith("datetime64")
    assert mk.dataset_from_frames(**frames) == ds
    frames["volunteers"].loc[0, "birth_date"] = pd.Timestamp("2008-03-01 10:30")  # a time of day
    with pytest.raises(mk.InvalidDatasetError, match=r"DataFrame\[0\].*'birth_date'"):
        mk.dataset_from_frames(**frames)


def test_numeric_ids_of_a_frame_column_with_a_blank_cell_stay_whole_numbers() -> None:
    """pandas stores numeric ids with a blank cell as floats: the id 1 read as '1.0'."""
    pd = pytest.importorskip("pandas")
    orgs = pd.DataFrame({"id": [1, 2], "name": ["A", "B"], "kind": ["volunteer_centre", "cso"],
                         "registered": [True, True]})
    needs = pd.DataFrame({"id": [10, 11], "organisation_id": [1, 2], "title": ["a", "b"],
                          "remote": [True, True], "capacity": [1, 2], "status": ["open", "open"],
                          "vetted_by": [1, None]})
    assert needs["vetted_by"].dtype == "float64"
    ds = mk.dataset_from_frames(organisations=orgs, needs=needs)
    assert [(n.id, n.organisation_id, n.vetted_by) for n in ds.needs] == [("10", "1", "1"), ("11", "2", None)]
    needs["organisation_id"] = [1.0, 2.5]
    with pytest.raises(mk.InvalidDatasetError, match=r"DataFrame\[1\].*organisation_id"):
        mk.dataset_from_frames(organisations=orgs, needs=needs)


def test_a_frame_set_column_of_single_numeric_ids_reads_as_the_csv_cells_would() -> None:
    """A column of single organisation ids read by pandas holds numbers (floats with a blank)."""
    pd = pytest.importorskip("pandas")
    orgs = pd.DataFrame({"id": [3, 4], "name": ["A", "B"], "kind": ["cso", "cso"], "registered": [True, True]})
    vols = pd.DataFrame({"id": ["v1", "v2", "v3"], "excluded_organisations": [3, None, 4],
                         "preferred_organisations": [4.0, None, None]})
    ds = mk.dataset_from_frames(volunteers=vols, organisations=orgs)
    assert [v.excluded_organisations for v in ds.volunteers] == [("3",), (), ("4",)]
    assert ds.volunteers[0].preferred_organisations == ("4",)
    vols["excluded_organisations"] = [3.5, None, True]
    with pytest.raises(mk.InvalidDatasetError) as info:
        mk.dataset_from_frames(volunteers=vols, organisations=orgs)
    assert [p.row for p in info.value.problems] == [0, 2]


def test_the_demo_counts_policy_findings_in_the_words_of_matchkit_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = ["demo", "--out", str(tmp_path / "d"), "--volunteers", "300", "--needs", "60", "--rounds", "1"]
    assert main([*demo, "--seed", "8"]) == 0  # an error, warnings and a note
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("policy checks:"))
    main(["check", str(tmp_path / "d" / "data"), "--as-of", "2026-09-01"])
    summary = capsys.readouterr().out.strip().splitlines()[-1]  # "...: 1 error(s), 3 warning(s), 0 note(s)"
    counts = [part for part in summary.split(": ", 1)[1].split(", ") if not part.startswith("0 ")]
    assert line == "policy checks: " + ", ".join(counts) + " (needs with errors are not matched)"
