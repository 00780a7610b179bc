"""A ledger this process may only read: every reading works, every write is refused.

Tests run as root here, and root may write any file, so a file it may not write is
simulated where the decision is made (``os.access``, SQLite refusing to open), and the
reading and the refusals are checked on real read-only SQLite connections. A last test
mounts a folder read-only where the system allows it.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import matchkit as mk
from matchkit import InvalidInputError, Ledger, Offer, _ledger_store
from matchkit.cli import main as cli


def day(n: float) -> datetime:
    return datetime(2026, 3, 1, 9, tzinfo=timezone.utc) + timedelta(days=n)


def offer(v: str, n: str) -> Offer:
    return Offer(volunteer_id=v, need_id=n, score=1.0, capacity=2, max_placements=2)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A closed ledger: one round of three offers, one accepted, one rejected."""
    file = tmp_path / "kept.sqlite"
    with Ledger(file) as ledger:
        ledger.record_round([offer("v1", "n1"), offer("v2", "n1"), offer("v3", "n2")],
                            at=day(0))
        ledger.accept("v1", "n1", at=day(1))
        ledger.reject("v2", "n1", at=day(1))
    return file


WRITES: dict[str, Callable[[Ledger], Any]] = {
    "record_round": lambda led: led.record_round([offer("v4", "n2")], at=day(2)),
    "accept": lambda led: led.accept("v3", "n2", at=day(2)),
    "reject": lambda led: led.reject("v3", "n2", at=day(2)),
    "withdraw": lambda led: led.withdraw("v1", "n1", by="need", at=day(2)),
    "expire": lambda led: led.expire(day(30)),
    "need_transition": lambda led: led.record_need_transition(
        "n1", "closed", by="org1", reason="done", at=day(2)),
}


def check_reads_and_refusals(ledger: Ledger, file: Path, tmp_path: Path) -> None:
    """Every reading works on ``ledger``; every write is refused, naming the file and
    what to do, and writes nothing."""
    before = file.read_bytes()
    assert ledger.read_only
    assert len(ledger) == 6 and "read-only" in repr(ledger)
    state = ledger.state(as_of=day(2))
    assert state.placements == {("v1", "n1")} and ("v2", "n1") in state.rejected
    assert [e.kind.value for e in ledger.events(kind="offered")] == ["offered"] * 3
    assert Ledger.replay(ledger.events(), as_of=day(2)) == state
    assert ledger.integrity_check() == "ok"
    assert ledger.export_jsonl(tmp_path / "events.jsonl") == 6
    assert ledger.backup(tmp_path / "copy.sqlite") == 6
    for name, write in WRITES.items():
        with pytest.raises(mk.MatchkitError) as err:
            write(ledger)
        text = str(err.value)
        assert "cannot write to ledger" in text and file.name in text, (name, text)
        assert "read-only" in text and "permissions" in text and "copy" in text, (name, text)
        assert text.endswith("nothing was written"), (name, text)
    with pytest.raises(mk.MatchkitError, match="read-only"), ledger.batch():
        ledger.accept("v3", "n2", at=day(2))
    assert len(ledger) == 6 and ledger.state(as_of=day(2)) == state
    assert file.read_bytes() == before


def test_read_only_true_reads_everything_and_refuses_every_write(
    path: Path, tmp_path: Path
) -> None:
    with Ledger(path, read_only=True) as ledger:
        check_reads_and_refusals(ledger, path, tmp_path)
    with Ledger(path) as ledger:  # (and the file is still a ledger others may write)
        assert not ledger.read_only
        ledger.accept("v3", "n2", at=day(2))
        assert len(ledger) == 7


def test_read_only_leaves_a_backup_copy_as_it_is(path: Path, tmp_path: Path) -> None:
    """A backup is one file in rollback mode; opening it to read switched it to WAL."""
    copy = tmp_path / "backup.sqlite"
    with Ledger(path) as ledger:
        ledger.backup(copy)
    before = copy.read_bytes()
    assert before[18:20] == b"\x01\x01"  # (rollback journal, not WAL)
    with Ledger(copy, read_only=True) as ledger:
        assert len(ledger) == 6
    assert copy.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["backup.sqlite", "kept.sqlite"]


def test_read_only_never_creates_a_ledger(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(InvalidInputError, match=r"missing\.sqlite.*no such file.*read-only"):
        Ledger(missing, read_only=True)
    assert not missing.exists()
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInputError, match=r"empty\.sqlite.* is empty, not a matchkit"):
        Ledger(empty, read_only=True)
    assert empty.read_bytes() == b""
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE people (name)")
    con.commit()
    con.close()
    with pytest.raises(InvalidInputError, match=r"other\.sqlite.*not a matchkit.*people"):
        Ledger(other, read_only=True)
    with pytest.raises(InvalidInputError, match="in-memory.*read-only"):
        Ledger(":memory:", read_only=True)
    with pytest.raises(InvalidInputError, match="'read_only'.*True or False"):
        Ledger(tmp_path / "l.sqlite", read_only="yes")  # type: ignore[arg-type]


def test_a_file_this_process_may_not_write_is_opened_read_only(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    access = os.access

    def no_write(name: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if mode & os.W_OK and os.path.abspath(name) == str(path):
            return False
        return access(name, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", no_write)
    with Ledger(path) as ledger:
        check_reads_and_refusals(ledger, path, tmp_path)
        assert "may not write the file" in ledger._store.read_only


@pytest.mark.parametrize(
    "refusal", ["attempt to write a readonly database", "unable to open database file"]
)
def test_sqlite_refusing_to_open_for_writing_falls_back_to_reading(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: str
) -> None:
    """The folder may not be written (no -wal / -shm can be made), or the disk is
    read-only: SQLite refuses a read-write connection; a read-only one reads."""
    connect = sqlite3.connect

    def refuse_writers(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if os.path.abspath(str(database)) == str(path):  # (a read-only one is a URI)
            raise sqlite3.OperationalError(refusal)
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(_ledger_store.sqlite3, "connect", refuse_writers)
    with Ledger(path) as ledger:
        check_reads_and_refusals(ledger, path, tmp_path)
        assert not ledger._store.immutable


def _no_shm_here(monkeypatch: pytest.MonkeyPatch, path: Path, *, media_ro: bool) -> None:
    """SQLite can open neither a read-write nor a plain read-only connection (it cannot
    create -shm); the file system is mounted read-only if ``media_ro``."""
    connect = sqlite3.connect

    def refuse(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        text = str(database)
        if os.path.abspath(text) == str(path) or (
            text.startswith("file:") and "immutable=1" not in text
        ):
            raise sqlite3.OperationalError("unable to open database file")
        return connect(database, *args, **kwargs)

    statvfs = os.statvfs

    def mounted(folder: Any) -> Any:
        result = statvfs(folder)
        if not media_ro:
            return result
        return type("Stat", (), {"f_flag": result.f_flag | os.ST_RDONLY})()

    monkeypatch.setattr(_ledger_store.sqlite3, "connect", refuse)
    monkeypatch.setattr(os, "statvfs", mounted)


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="no statvfs (Windows)")
def test_a_wal_ledger_on_read_only_media_is_opened_immutable(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_shm_here(monkeypatch, path, media_ro=True)
    with Ledger(path) as ledger:
        assert ledger._store.immutable
        check_reads_and_refusals(ledger, path, tmp_path)
        assert "mounted read-only" in ledger._store.read_only


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="no statvfs (Windows)")
def test_immutable_is_refused_where_the_file_may_change_or_a_log_holds_commits(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened immutable, SQLite neither locks nor reads -wal: only safe where nothing
    can write the file and no log holds commits the file lacks."""
    _no_shm_here(monkeypatch, path, media_ro=False)
    with pytest.raises(InvalidInputError, match=r"cannot open ledger .*kept\.sqlite.*"
                       r"kept\.sqlite-shm.*may not write.*copy the ledger"):
        Ledger(path)
    _no_shm_here(monkeypatch, path, media_ro=True)
    Path(f"{path}-wal").write_bytes(b"\0" * 32)  # (a log with content: never read here)
    with pytest.raises(InvalidInputError, match=r"cannot open ledger .*kept\.sqlite.*"
                       r"kept\.sqlite-wal holds commits.*copy .* together"):
        Ledger(path)


def test_a_read_only_ledger_is_sent_to_another_process_read_only(path: Path) -> None:
    with Ledger(path, read_only=True) as ledger:
        again = pickle.loads(pickle.dumps(ledger))
    with again:
        assert again.read_only and len(again) == 6


def test_status_reads_a_ledger_without_changing_it_and_decide_refuses_to_write(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    copy = tmp_path / "backup.sqlite"
    with Ledger(path) as ledger:
        ledger.backup(copy)
    before = copy.read_bytes()
    assert cli(["status", "--ledger", str(copy), "--as-of", "2026-03-03"]) == 0
    assert "placements: 1" in capsys.readouterr().out
    assert copy.read_bytes() == before  # (it was switched to WAL mode)

    access = os.access
    monkeypatch.setattr(os, "access", lambda name, mode, *a, **k: (
        not (mode & os.W_OK) and access(name, mode, *a, **k)))
    assert cli(["status", "--ledger", str(path), "--as-of", "2026-03-03"]) == 0
    assert "placements: 1" in capsys.readouterr().out
    assert cli(["decide", "--ledger", str(path), "--accept", "v3", "n2",
                "--at", "2026-03-03"]) == 1
    err = capsys.readouterr().err
    assert "cannot write to ledger" in err and "kept.sqlite" in err and "read-only" in err
    monkeypatch.undo()
    with Ledger(path) as ledger:
        assert len(ledger) == 6


def _can_mount_read_only(tmp_path: Path) -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe-ro").mkdir()
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", (f'mount --bind "{tmp_path}/probe" "{tmp_path}/probe-ro" '
                                       f'&& mount -o remount,ro,bind "{tmp_path}/probe-ro"')],
        capture_output=True, check=False,
    )
    return probe.returncode == 0


def test_a_ledger_on_a_folder_mounted_read_only_is_read(path: Path, tmp_path: Path) -> None:
    """A real read-only mount (where this system lets the test make one): no -wal or
    -shm can be made beside the file, so only an immutable connection reads it."""
    if not _can_mount_read_only(tmp_path):
        pytest.skip("cannot mount a folder read-only here")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = (
        "import sys, matchkit as mk\n"
        "led = mk.Ledger(sys.argv[1])\n"
        "print(led.read_only, led._store.immutable, len(led),\n"
        "      sorted(led.state(as_of='2026-03-03').placements))\n"
        "try:\n"
        "    led.accept('v3', 'n2', at='2026-03-03')\n"
        "except mk.MatchkitError as err:\n"
        "    print(err)\n"
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         (f'mount --bind "{path.parent}" "{mnt}" && mount -o remount,ro,bind "{mnt}" && '
          f'"{sys.executable}" -c "$0" "{mnt / path.name}"'), script],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    first, refusal = done.stdout.splitlines()
    assert first == "True True 6 [('v1', 'n1')]"
    assert "mounted read-only" in refusal and refusal.endswith("nothing was written")
