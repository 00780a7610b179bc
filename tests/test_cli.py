"""The command line as a new user meets it: where it writes, what it writes and what it says."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

import matchkit as mk
from matchkit._demo import run_demo
from matchkit._export import PROPOSAL_COLUMNS
from matchkit.cli import main
from matchkit.datasets import DEFAULT_AS_OF, tiny_city

AS_OF = ["--as-of", "2026-09-01"]
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def one_line_error(err: str, *names: str) -> None:
    """One line, no traceback, no temporary file, naming every one of ``names``."""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert ".tmp" not in err, err
    for name in names:
        assert name in err, err


@pytest.fixture
def city(tmp_path: Path) -> Path:
    mk.save_dataset(tiny_city(), tmp_path / "city")
    return tmp_path / "city"


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


# -- output paths: refused before the round is planned or recorded ----------------------------


def _bad_outputs(tmp_path: Path, city: Path) -> dict[str, tuple[str, str]]:
    """Output paths no command can write: name -> (path, a word the message must have)."""
    (tmp_path / "plain").write_text("a file without a suffix", encoding="utf-8")
    bad = {
        "below a file": (str(city / "volunteers.csv" / "sub" / "p.csv"), "not a folder"),
        "a file as a folder": (str(tmp_path / "plain"), "is a file, not a folder"),
    }
    if Path(os.devnull).exists():
        bad["a device, as a file"] = (os.devnull + "/p.csv", "not a folder")
    return bad


@pytest.mark.parametrize("command", ["propose", "match"])
def test_a_bad_output_path_is_refused_in_one_line_before_the_round_is_recorded(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    ledger = tmp_path / "l.sqlite"
    for what, (path, word) in _bad_outputs(tmp_path, city).items():
        rc, out, err = run([command, str(city), "--ledger", str(ledger), *AS_OF, "-o", path], capsys)
        assert rc == 1 and not out, what
        one_line_error(err, path, word)
        assert not ledger.exists(), f"{what}: the ledger was written"


def test_a_device_is_no_output(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not Path(os.devnull).exists():
        pytest.skip("no null device")
    ledger = tmp_path / "l.sqlite"
    for argv in (
        ["propose", str(city), "--ledger", str(ledger), *AS_OF, "-o", os.devnull],
        ["report", str(city), *AS_OF, "-o", os.devnull],
        ["demo", "--out", os.devnull],
        ["import-nyc", str(tmp_path / "nyc.csv"), "-o", os.devnull],
        ["inkind", str(city), *AS_OF, "-o", os.devnull],
    ):
        rc, _, err = run(argv, capsys)
        assert rc == 1, argv
        one_line_error(err, os.devnull, "a device")
    assert not ledger.exists()


def test_a_folder_this_user_may_not_write_in_is_refused(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access

    def access(path: object, mode: int, **kw: object) -> bool:
        return False if Path(str(path)) == locked else real_access(path, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    ledger = tmp_path / "l.sqlite"
    for argv in (
        ["propose", str(city), "--ledger", str(ledger), *AS_OF, "-o", str(locked / "new" / "p.csv")],
        ["match", str(city), *AS_OF, "-o", str(locked / "exports")],
        ["report", str(city), *AS_OF, "-o", str(locked / "r.html")],
        ["demo", "--out", str(locked / "demo")],
        ["import-nyc", str(tmp_path / "nyc.csv"), "-o", str(locked)],
    ):
        rc, _, err = run(argv, capsys)
        assert rc == 1, argv
        one_line_error(err, str(locked), "may not write")
    assert not ledger.exists() and not any(locked.iterdir())


def test_report_refuses_a_folder_and_suggests_a_file_in_it(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "r.html").mkdir()
    for folder in (tmp_path, tmp_path / "r.html"):
        rc, _, err = run(["report", str(city), *AS_OF, "-o", str(folder)], capsys)
        assert rc == 1
        one_line_error(err, f"{folder}: is a folder; give a file name, such as {folder / 'report.html'}")


def test_a_file_where_a_folder_is_needed_is_refused(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = city / "needs.csv"
    for argv in (
        ["demo", "--out", str(a_file)],
        ["import-nyc", str(tmp_path / "nyc.csv"), "-o", str(a_file)],
        ["report", str(city), *AS_OF, "-o", str(a_file / "r.html")],
    ):
        rc, _, err = run(argv, capsys)
        assert rc == 1, argv
        one_line_error(err, str(a_file))


def test_missing_folders_of_an_output_are_created(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new" / "sub"
    ledger = tmp_path / "l.sqlite"
    assert run(["propose", str(city), "--ledger", str(ledger), *AS_OF, "-o", str(new / "p.csv")], capsys)[0] == 0
    assert header(new / "p.csv") == list(PROPOSAL_COLUMNS)
    assert run(["match", str(city), *AS_OF, "-o", str(new / "r.json")], capsys)[0] == 0
    assert '"proposals"' in (new / "r.json").read_text(encoding="utf-8")
    assert run(["match", str(city), *AS_OF, "-o", str(new / "exports")], capsys)[0] == 0
    assert (new / "exports" / "reasons.csv").is_file()
    for name in ("r.html", "r.md"):
        assert run(["report", str(city), *AS_OF, "-o", str(new / "more" / name)], capsys)[0] == 0
        assert (new / "more" / name).stat().st_size > 0


def test_a_write_that_fails_after_the_check_names_the_path_and_the_recorded_round(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(os, "replace", full)
    ledger = tmp_path / "l.sqlite"
    out = tmp_path / "p.csv"
    rc, _, err = run(["propose", str(city), "--ledger", str(ledger), *AS_OF, "-o", str(out)], capsys)
    assert rc == 1
    one_line_error(err, str(out), "No space left on device", f"round 1 is recorded in {ledger}")
    for name in ("r.json", "r.html"):
        command = "report" if name.endswith("html") else "match"
        rc, _, err = run([command, str(city), *AS_OF, "-o", str(tmp_path / name)], capsys)
        assert rc == 1
        one_line_error(err, str(tmp_path / name), "No space left on device")


# -- which names make a file, which a folder ---------------------------------------------------


@pytest.mark.parametrize("name", ["out.txt", "res.md", "out.xlsx", "round.2026-09"])
def test_match_refuses_a_suffix_it_does_not_write_instead_of_making_a_folder(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    ledger = tmp_path / "l.sqlite"
    rc, _, err = run(["propose", str(city), "--ledger", str(ledger), *AS_OF, "-o", str(tmp_path / name)], capsys)
    assert rc == 1
    one_line_error(err, name, ".csv", ".json", "folder name without a suffix")
    assert not (tmp_path / name).exists() and not ledger.exists()


def test_folder_names_still_make_folders(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old.v1").mkdir()  # an existing folder keeps working, dot or not
    for raw, folder in (
        (str(tmp_path / "exports"), tmp_path / "exports"),
        (str(tmp_path / "round.2026-09") + "/", tmp_path / "round.2026-09"),
        (str(tmp_path / "old.v1"), tmp_path / "old.v1"),
    ):
        assert run(["match", str(city), *AS_OF, "-o", raw], capsys)[0] == 0
        assert sorted(p.name for p in folder.iterdir()) == ["diagnostics.csv", "proposals.csv", "reasons.csv"]


def test_report_refuses_a_suffix_it_does_not_write(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = run(["report", str(city), *AS_OF, "-o", str(tmp_path / "r.txt")], capsys)
    assert rc == 1
    one_line_error(err, "r.txt", ".html", ".md")
    assert not (tmp_path / "r.txt").exists()


def test_a_new_ledger_needs_an_existing_folder(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "typo" / "l.sqlite"
    rc, _, err = run(["propose", str(city), "--ledger", str(ledger), *AS_OF, "-o", str(tmp_path / "p.csv")], capsys)
    assert rc == 1
    one_line_error(err, str(ledger), "does not exist")
    assert not (tmp_path / "typo").exists() and not (tmp_path / "p.csv").exists()


# -- the empty proposals file ------------------------------------------------------------------


def test_an_empty_proposals_csv_has_the_full_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = tiny_city()
    empty = mk.Dataset(volunteers=list(ds.volunteers), organisations=list(ds.organisations), needs=[])
    mk.save_dataset(empty, tmp_path / "no-needs")
    mk.save_dataset(ds, tmp_path / "city")
    assert run(["match", str(tmp_path / "no-needs"), *AS_OF, "-o", str(tmp_path / "empty.csv")], capsys)[0] == 0
    assert run(["match", str(tmp_path / "city"), *AS_OF, "-o", str(tmp_path / "full.csv")], capsys)[0] == 0
    library = mk.match(empty, as_of="2026-09-01").to_csv(tmp_path / "lib")[0]
    assert header(tmp_path / "empty.csv") == header(tmp_path / "full.csv") == header(library)
    assert header(tmp_path / "empty.csv") == list(PROPOSAL_COLUMNS)
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8").count("\n") == 1


def test_match_writes_the_same_proposals_file_as_the_library(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["match", str(city), *AS_OF, "-o", str(tmp_path / "p.csv")], capsys)[0] == 0
    assert run(["match", str(city), *AS_OF, "-o", str(tmp_path / "all") + "/"], capsys)[0] == 0
    library = mk.match(mk.load_dataset(city), as_of=AS_OF[1]).to_csv(tmp_path / "lib")[0]
    written = (tmp_path / "p.csv").read_bytes()
    assert written.count(b"\n") > 1
    assert written == (tmp_path / "all" / "proposals.csv").read_bytes() == library.read_bytes()


# -- needs held back by policy checks ----------------------------------------------------------


def test_match_warns_when_policy_checks_hold_open_needs_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = tiny_city()
    unvetted = mk.Dataset(
        volunteers=list(ds.volunteers),
        organisations=list(ds.organisations),
        needs=[n.model_copy(update={"vetted_by": None}) for n in ds.needs],
    )
    mk.save_dataset(unvetted, tmp_path / "unvetted")
    mk.save_dataset(ds, tmp_path / "city")
    day = DEFAULT_AS_OF
    blocked = mk.policy_blocks(unvetted, as_of=day)
    held = [
        n.id for n in unvetted.needs
        if n.status.value == "open" and (n.end_date is None or n.end_date >= day) and n.id in blocked
    ]
    assert len(held) >= 2
    for command in ("match", "report"):
        out = "p.csv" if command == "match" else "r.html"
        argv = [command, str(tmp_path / "unvetted"), "--as-of", day.isoformat(), "-o", str(tmp_path / out)]
        rc, _, err = run(argv, capsys)
        assert rc == 0
        assert (
            f"{len(held)} open need(s) held back by policy checks "
            f"(see `matchkit check {tmp_path / 'unvetted'} --as-of {day.isoformat()}`)"
        ) in err
    rc, _, err = run(["match", str(tmp_path / "city"), "--as-of", day.isoformat(), "-o", str(tmp_path / "p.csv")], capsys)
    assert rc == 0 and "held back" not in err


# -- the demo and the consent loop: what the rate columns are ----------------------------------


def test_the_demo_table_labels_its_rates_and_its_fill_rate_is_the_reports(tmp_path: Path) -> None:
    lines: list[str] = []
    run = run_demo(tmp_path, n_volunteers=300, n_needs=30, n_rounds=2, say=lines.append)
    head = next(line for line in lines if line.startswith("round  day"))
    assert head.endswith("placed  placement rate  fill rate")
    rows = [line.split() for line in lines if re.match(r"\s+\d+\s+\d{4}-\d\d-\d\d\s", line)]
    assert len(rows) == len(run.rounds) == 2
    for row, figures in zip(rows, run.rounds):
        assert int(row[7]) == figures["placements"]
        assert row[8] == f"{figures['placement_rate']:.1%}"
        assert row[9] == f"{figures['fill_rate']:.1%}"
    assert run.result is not None  # the report's headline is the last plan's fill rate
    assert run.rounds[-1]["fill_rate"] == run.result.metrics["fill_rate"]
    assert any(line.startswith("placement rate: ") for line in lines)


def test_the_demo_says_the_days_of_its_report_and_of_its_letters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["demo", "--out", str(tmp_path / "new" / "demo"), "--volunteers", "300", "--needs", "30", "--rounds", "2"]
    rc, out, _ = run(argv, capsys)
    assert rc == 0
    last = (DEFAULT_AS_OF + timedelta(days=7)).isoformat()
    assert f"report.html (round 2, as of {last})" in out
    assert f"\nin-kind: as of {DEFAULT_AS_OF.isoformat()} (the first round's day), " in out


def test_the_consent_loop_example_labels_its_rate_as_the_placement_rate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = importlib.util.spec_from_file_location("consent_loop", EXAMPLES / "consent_loop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--volunteers", "200", "--needs", "20", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    head = next(line for line in out.splitlines() if line.startswith("round  day"))
    assert head.endswith("placements  placement rate") and "fill rate" not in head


def test_import_nyc_options_for_the_vetting_organisation_and_missing_end_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file whose organisation is already called nyc-service can be imported under
    another id for the vetting organisation; a row without an end date is skipped unless
    kept; both reported."""
    header = ("opportunity_id,vol_requests,title,category_desc,org_title,org_content_id,"
              "locality,Latitude,Longitude,start_date_date,end_date_date,status\n")
    rows = ("1,5,Clean-up,Environment,Park Friends,nyc-service,,40.7,-73.9,May 1 2011,May 1 2012,approved\n"
            "2,3,Reading,Education,Park Friends,nyc-service,,40.7,-73.9,May 1 2011,,approved\n")
    csv_file = tmp_path / "nyc.csv"
    csv_file.write_text(header + rows, encoding="utf-8")
    rc, _, err = run(["import-nyc", str(csv_file), "-o", str(tmp_path / "a")], capsys)
    assert rc == 1 and "nyc-service" in err
    rc, out, _ = run(["import-nyc", str(csv_file), "-o", str(tmp_path / "b"),
                      "--vetting-organisation", "nyc-centre"], capsys)
    assert rc == 0, out
    ds = mk.load_dataset(tmp_path / "b")
    assert [n.id for n in ds.needs] == ["1"] and ds.needs[0].vetted_by == "nyc-centre"
    rc, out, _ = run(["import-nyc", str(csv_file), "-o", str(tmp_path / "c"),
                      "--no-vetting-organisation", "--on-missing-end-date", "keep"], capsys)
    assert rc == 0, out
    ds = mk.load_dataset(tmp_path / "c")
    assert [n.id for n in ds.needs] == ["1", "2"]
    assert {n.vetted_by for n in ds.needs} == {None} and ds.needs[1].end_date is None


def test_inkind_checks_its_folder_before_any_work(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "afile"
    a_file.write_text("x", encoding="utf-8")
    for path in (a_file, a_file / "sub"):
        rc, out, err = run(["inkind", str(city), *AS_OF, "-o", str(path)], capsys)
        assert rc == 1 and not out, path
        one_line_error(err, str(path))


def test_report_reads_decisions_of_a_ledger_still_in_use(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report plans on a copy of the ledger. A copy of the file alone missed the
    commits SQLite still held in its log beside it (``-wal``) while another process had
    the ledger open: 'Placements 0' where three volunteers had accepted."""
    path = tmp_path / "live.sqlite"
    live = mk.Ledger(path)
    try:
        first = mk.match(tiny_city(), as_of="2026-09-01", ledger=live)
        for p in first.proposals[:3]:
            live.accept(p.volunteer_id, p.need_id, at="2026-09-01T08:00:00+00:00")
        assert len(live.state(as_of="2026-09-01T09:00:00+00:00").placements) == 3
        out = tmp_path / "report.md"
        rc, _, err = run(["report", str(city), "--ledger", str(path), "-o", str(out),
                          "--as-of", "2026-09-02"], capsys)
        assert rc == 0, err
        text = out.read_text(encoding="utf-8")
        assert re.search(r"Placements\D{0,20}3\b", text), text[:2000]
    finally:
        live.close()
    with mk.Ledger(path) as again:  # the report wrote no round to it
        assert len(again.state(as_of="2026-09-03").rounds) == 1


def test_decide_on_an_expired_offer_says_to_date_the_answer(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A round proposed with --as-of in the past expired a week later; an answer recorded
    now was refused with no word on --at, the way to record when it was given."""
    ledger = tmp_path / "l.sqlite"
    rc, _, err = run(["propose", str(city), "--ledger", str(ledger), "-o",
                      str(tmp_path / "p.csv"), *AS_OF], capsys)
    assert rc == 0, err
    with mk.Ledger(ledger) as led:
        v, n = min(led.state(as_of="2026-09-02").open_offers)
    rc, _, err = run(["decide", "--ledger", str(ledger), "--accept", v, n], capsys)
    assert rc == 1 and "expired at" in err and "--at" in err, err
    rc, out, err = run(["decide", "--ledger", str(ledger), "--accept", v, n,
                        "--at", "2026-09-02T10:00"], capsys)
    assert rc == 0 and "accepted" in out, err


def test_report_reads_a_ledger_this_process_may_only_read(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger on a read-only disk or folder (a backup, another user's file) cannot be opened
    for the backup the report copies it with; SQLite says 'unable to open database file'.
    The report failed where a copy of the file served before; it copies the file and its log."""
    import sqlite3

    from matchkit import _ledger_store

    path = tmp_path / "kept.sqlite"
    with mk.Ledger(path) as led:
        first = mk.match(tiny_city(), as_of="2026-09-01", ledger=led)
        for p in first.proposals[:2]:
            led.accept(p.volunteer_id, p.need_id, at="2026-09-01T08:00:00+00:00")
    connect = sqlite3.connect

    def read_only(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if os.path.abspath(str(database)) == str(path):
            raise sqlite3.OperationalError("unable to open database file")
        return connect(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_ledger_store.sqlite3, "connect", read_only)
    out = tmp_path / "report.md"
    rc, _, err = run(["report", str(city), "--ledger", str(path), "-o", str(out), *AS_OF], capsys)
    assert rc == 0, err
    assert re.search(r"Placements\D{0,20}2\b", out.read_text(encoding="utf-8"))
    # a file that is no ledger is still named as the one given
    (tmp_path / "notes.sqlite").write_text("not a ledger", encoding="utf-8")
    rc, _, err = run(["report", str(city), "--ledger", str(tmp_path / "notes.sqlite"), "-o",
                      str(out), *AS_OF], capsys)
    assert rc == 1 and "notes.sqlite' is not a matchkit ledger" in err, err


def test_no_diagnostics_leaves_the_full_diagnoses_out_of_a_folder_and_a_json_file(
    tmp_path: Path, city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all"
    assert run(["match", str(city), *AS_OF, "-o", str(out) + "/"], capsys)[0] == 0
    assert (out / "diagnostics.csv").exists()
    assert run(["match", str(city), *AS_OF, "-o", str(out) + "/", "--no-diagnostics"], capsys)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["proposals.csv", "reasons.csv"]
    assert run(["match", str(city), *AS_OF, "-o", str(tmp_path / "r.json"), "--no-diagnostics"], capsys)[0] == 0
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["diagnostics"] == [] and doc["reasons"] and doc["proposals"]
    assert run(["match", str(city), *AS_OF, "-o", str(tmp_path / "full.json")], capsys)[0] == 0
    assert json.loads((tmp_path / "full.json").read_text(encoding="utf-8"))["diagnostics"]
