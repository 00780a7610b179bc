"""SQLite storage of the ledger: the file, its schema version, transactions and queries.

The file holds one append-only table, ``events`` (triggers refuse UPDATE and DELETE), and
a ``meta`` table naming the format. ``PRAGMA user_version`` is the ledger schema version.
Connections use WAL, ``synchronous=FULL`` (each commit is on disk before it returns) and
a busy timeout; every write runs in ``BEGIN IMMEDIATE`` so concurrent writers queue.

How the file is opened (read-write, read-only or ``immutable``) is decided in
:mod:`matchkit._ledger_open`; the JSONL export of the events and reading it back, in
:mod:`matchkit._ledger_jsonl`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._exceptions import InvalidInputError, MatchkitError
from ._ledger_jsonl import LEDGER_SCHEMA_VERSION
from ._ledger_open import (
    Unopened,
    cannot_open,
    open_failed,
    open_read_only,
    read_only_reason,
    why_unwritable,
    write_refused,
)
from ._ledger_state import EventKind, LedgerEvent, PairRecord, format_time, parse_time

__all__ = [
    "Store",
    "damaged",
    "row_to_event",
    "write_copy",
]

_FORMAT = "matchkit-ledger"

_KINDS = ", ".join(f"'{k.value}'" for k in EventKind)
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        round INTEGER,
        kind TEXT NOT NULL CHECK (kind IN ({_KINDS})),
        volunteer_id TEXT,
        need_id TEXT,
        payload TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(payload))
    )""",
    "CREATE INDEX events_pair ON events (volunteer_id, need_id, seq)",
    "CREATE INDEX events_need ON events (need_id, kind, seq)",
    "CREATE INDEX events_volunteer ON events (volunteer_id, kind, seq)",
    (
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, "
        "'the matchkit ledger is append-only: events are never updated'); END"
    ),
    (
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, "
        "'the matchkit ledger is append-only: events are never deleted'); END"
    ),
)

_COLUMNS = "seq, at, round, kind, volunteer_id, need_id, payload"


def row_to_event(row: Sequence[Any]) -> LedgerEvent:
    """Build a :class:`LedgerEvent` from a ``_COLUMNS`` row."""
    seq, at, rnd, kind, vid, nid, payload = row
    return LedgerEvent(
        int(seq), parse_time(at), EventKind(kind), rnd, vid, nid, json.loads(payload)
    )


def damaged(path: str, err: sqlite3.DatabaseError) -> InvalidInputError | None:
    """The error for a ledger file SQLite finds damaged, or None for another error.

    Examples
    --------
    >>> print(damaged("l.sqlite", sqlite3.DatabaseError("database disk image is malformed")))
    ledger 'l.sqlite' is damaged (SQLite says: database disk image is malformed); restore it from a backup copy (events last exported with Ledger.export_jsonl can be read with Ledger.read_jsonl), and keep the damaged file for inspection
    >>> damaged("l.sqlite", sqlite3.OperationalError("database is locked")) is None
    True
    """
    if "malformed" not in str(err) and "not a database" not in str(err):
        return None
    return InvalidInputError(
        f"ledger {path!r} is damaged (SQLite says: {err}); restore it from a "
        "backup copy (events last exported with Ledger.export_jsonl can be read "
        "with Ledger.read_jsonl), and keep the damaged file for inspection"
    )


class Store:
    """One connection to a ledger file (or to ``":memory:"``).

    ``read_only`` opens an existing file for reading only; a file this process may not
    write is opened so too. ``self.read_only`` then says why (else it is empty).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float, read_only: bool = False
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise InvalidInputError(
                f"the ledger path must be a file name (str or path), got {type(path).__name__}; "
                "such as 'ledger.sqlite' (or ':memory:' for a ledger kept in memory only)"
            )
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not 0 <= timeout <= 2_000_000  # (SQLite keeps it in 32-bit milliseconds)
        ):
            raise InvalidInputError(
                "The 'timeout' parameter of Ledger must be a number of seconds from 0 to "
                f"2000000 (how long to wait for another writer); got {timeout!r}"
            )
        self.path = os.fspath(path)
        self.timeout = timeout
        self.memory = self.path == ":memory:" or self.path.startswith("file::memory:")
        #: The file as this process found it on opening: a connection opened again later
        #: (after a fork, in a process it is sent to) opens this file, whatever the
        #: working folder is by then.
        self.file = self.path if self.memory else os.path.abspath(self.path)
        if not self.path.strip():
            raise InvalidInputError(
                f"the ledger path {self.path!r} is empty; give a file name, such as "
                "'ledger.sqlite' (or ':memory:' for a ledger kept in memory only)"
            )
        if not self.memory and os.path.isdir(self.path):
            raise InvalidInputError(
                f"ledger path {self.path!r} is a directory; give a file name"
            )
        folder = os.path.dirname(os.path.abspath(self.path))
        if not self.memory and not os.path.isdir(folder):
            what = "is not a folder" if os.path.exists(folder) else "does not exist"
            tilde = " ('~' is not expanded: give the full path)" if "~" in self.path else ""
            raise InvalidInputError(
                f"cannot open ledger {self.path!r}: its folder {folder!r} {what}{tilde}; "
                "create the folder first, or give the path of an existing ledger"
            )
        if not isinstance(read_only, bool):
            raise InvalidInputError(
                f"The 'read_only' parameter of Ledger must be True or False; got {read_only!r}"
            )
        #: Whether the caller asked for read-only (a copy sent to another process asks so too).
        self.asked_read_only = read_only
        #: Opened with SQLite's ``immutable=1`` (a WAL ledger on read-only media).
        self.immutable = False
        #: Why the ledger is open read-only ("" when it may be written).
        self.read_only = read_only_reason(self.path, self.file, self.memory, asked=read_only)
        if not self.read_only:
            try:
                self._open(self.path, uri=False)
                return
            except Unopened as err:
                if not os.path.isfile(self.path):  # (a new file SQLite cannot create)
                    raise open_failed(self.path, err.err) from None
            self.read_only = why_unwritable(
                self.file,
                "the file, its folder or the -wal and -shm files SQLite keeps beside it",
            )
        self.immutable = open_read_only(
            self.path, self.file, lambda target: self._open(target, uri=True)
        )

    def _open(self, target: str, *, uri: bool) -> None:
        """Connect to ``target`` and check it is a ledger; :class:`Unopened` when SQLite
        cannot open the file or the files beside it in this mode."""
        try:
            # (a Ledger shared by threads serialises their calls itself)
            self.conn = sqlite3.connect(
                target,
                timeout=self.timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=uri,
            )
        except sqlite3.Error as err:
            if cannot_open(err):
                raise Unopened(err) from None
            raise open_failed(self.path, err) from None
        try:
            self._setup(self.timeout)
        except BaseException as err:
            self.conn.close()
            error = damaged(self.path, err) if isinstance(err, sqlite3.DatabaseError) else None
            if error is None:
                raise
            raise error from None

    def _journal_wal(self, timeout: float) -> str:
        """Switch to WAL. SQLite may answer "database is locked" at once (without waiting
        for the busy timeout) while another process creates the same file: retry then."""
        deadline = time.monotonic() + timeout
        pause = 0.005
        while True:
            try:
                return str(self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() >= deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.2)

    def _setup(self, timeout: float) -> None:
        c = self.conn
        try:
            c.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            version = c.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as err:
            if cannot_open(err):  # (the file, or -wal / -shm beside it, in this mode)
                raise Unopened(err) from None
            error = damaged(self.path, err)  # a database file, cut short or overwritten
            if error is not None and "malformed" in str(err):
                raise error from None
            raise InvalidInputError(
                f"{self.path!r} is not a matchkit ledger (SQLite says: {err}); "
                "give a new file name or the path of an existing ledger"
            ) from None
        self._check_version(version)
        if self.read_only:
            self._check_read_only(version)
            return
        if not self.memory:
            try:
                mode = self._journal_wal(timeout)
            except sqlite3.OperationalError as err:  # (a file in another mode, unwritable)
                if cannot_open(err):
                    raise Unopened(err) from None
                raise
            if (
                str(mode).lower() != "wal"
            ):  # pragma: no cover - depends on the file system
                raise InvalidInputError(
                    f"ledger {self.path!r}: the file system refused WAL journaling ({mode!r})"
                )
        c.execute("PRAGMA synchronous = FULL")
        c.execute("PRAGMA foreign_keys = ON")
        if version == 0:
            with self.write():
                # Re-read inside the lock: another process may have created it meanwhile.
                version = c.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    tables = c.execute(
                        "SELECT name FROM sqlite_master WHERE type='table'"
                    ).fetchall()
                    if tables:
                        names = ", ".join(sorted(t[0] for t in tables))
                        raise InvalidInputError(
                            f"{self.path!r} is a SQLite file but not a matchkit ledger "
                            f"(it has tables: {names}); give another file name"
                        )
                    for statement in _SCHEMA:
                        c.execute(statement)
                    c.execute(
                        "INSERT INTO meta (key, value) VALUES ('format', ?), ('created_at', ?)",
                        (_FORMAT, format_time(datetime.now(timezone.utc))),
                    )
                    c.execute(f"PRAGMA user_version = {LEDGER_SCHEMA_VERSION}")
        self._check_version(c.execute("PRAGMA user_version").fetchone()[0])
        self._check_format()

    def _check_read_only(self, version: int) -> None:
        """Check a ledger opened read-only is one: it cannot be created here."""
        if version == 0:
            tables = self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
            ).fetchall()
            what = (
                f"a SQLite file but not a matchkit ledger (it has tables: "
                f"{', '.join(sorted(t[0] for t in tables))})"
                if tables
                else "empty, not a matchkit ledger (a ledger opened read-only is never created)"
            )
            raise InvalidInputError(f"{self.path!r} is {what}; give the path of an existing ledger")
        self._check_format()

    def _check_format(self) -> None:
        c = self.conn
        try:
            fmt = c.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.OperationalError:  # no meta table: another program's database
            fmt = None
        if fmt is None or fmt[0] != _FORMAT:
            raise InvalidInputError(
                f"{self.path!r} is not a matchkit ledger (no format marker)"
            )

    def _check_version(self, version: int) -> None:
        if version > LEDGER_SCHEMA_VERSION:
            raise InvalidInputError(
                f"ledger {self.path!r} has schema version {version}, written by a newer matchkit; "
                f"this matchkit reads versions up to {LEDGER_SCHEMA_VERSION}: upgrade matchkit"
            )
        if version < 0:
            raise InvalidInputError(
                f"ledger {self.path!r} has an invalid schema version {version}"
            )

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def write(self) -> Iterator[Store]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error.

        Inside :meth:`batch`, a savepoint instead: this write is still all or nothing, and
        the batch commits every write that succeeded at once.
        """
        c = self.conn
        if getattr(self, "_batch_depth", 0):
            c.execute("SAVEPOINT matchkit_write")
            try:
                yield self
            except BaseException as err:
                c.execute("ROLLBACK TO matchkit_write")
                c.execute("RELEASE matchkit_write")
                self._raise_write_error(err)
                raise
            c.execute("RELEASE matchkit_write")
            return
        self._begin()
        try:
            yield self
            c.execute("COMMIT")
        except BaseException as err:
            if c.in_transaction:
                c.execute("ROLLBACK")
            self._raise_write_error(err)
            raise

    def _raise_write_error(self, err: BaseException) -> None:
        """Raise SQLite's refusal to write (a read-only file or folder, a full disk) as
        an error that names the file and what to do; other errors are left as they are."""
        if not isinstance(err, sqlite3.OperationalError):
            return
        text = str(err)
        if "readonly" in text or "read-only" in text:
            advice = (
                "the file, or the folder it is in, cannot be written by this process; "
                "check their permissions (SQLite also writes the -wal and -shm files "
                "beside it), or open a writable copy"
            )
        elif "full" in text:
            advice = "the disk is full; free some space and try again"
        elif "I/O" in text:
            advice = "the disk or file system failed; check it, and keep a copy of the file"
        else:
            return
        raise MatchkitError(
            f"cannot write to ledger {self.path!r}: {advice} (SQLite says: {text}); "
            "nothing was written"
        ) from err

    def _begin(self) -> None:
        """Start a write transaction; a write held elsewhere past the timeout is an error
        that names the file and what to do (not SQLite's bare "database is locked"), and
        so is a write to a ledger open read-only (before anything is written)."""
        if self.read_only:
            raise write_refused(self.path, self.read_only)
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) and "busy" not in str(err):
                raise
            raise MatchkitError(
                f"ledger {self.path!r} is busy: another connection (process, thread or "
                f"Ledger object) has held a write for over {self.timeout:g} s; nothing was "
                "written. Try again when it is done, or open the ledger with a longer "
                "timeout (Ledger(path, timeout=...))"
            ) from err

    @contextmanager
    def batch(self) -> Iterator[Store]:
        """One transaction around many writes (one commit, one sync to disk)."""
        c = self.conn
        depth = getattr(self, "_batch_depth", 0)
        if depth:  # (a batch inside a batch: all or nothing too, by a savepoint)
            c.execute("SAVEPOINT matchkit_batch")
            self._batch_depth = depth + 1
            try:
                yield self
            except BaseException:
                c.execute("ROLLBACK TO matchkit_batch")
                raise
            finally:
                self._batch_depth = depth
                c.execute("RELEASE matchkit_batch")
            return
        self._begin()
        self._batch_depth = 1
        try:
            yield self
            self._batch_depth = 0
            c.execute("COMMIT")
        except BaseException as err:
            self._batch_depth = 0
            if c.in_transaction:
                c.execute("ROLLBACK")
            self._raise_write_error(err)
            raise

    @contextmanager
    def read(self) -> Iterator[Store]:
        """A read transaction: every query inside sees one snapshot."""
        c = self.conn
        if getattr(self, "_batch_depth", 0):
            yield self  # inside a batch: its transaction is the snapshot
            return
        c.execute("BEGIN")
        try:
            yield self
        finally:
            c.execute("COMMIT")

    # ---- writes ----------------------------------------------------------------------

    def append(
        self,
        kind: EventKind,
        at: datetime,
        *,
        rnd: int | None = None,
        volunteer_id: str | None = None,
        need_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> LedgerEvent:
        """Append one event (call inside :meth:`write`)."""
        text = json.dumps(payload or {}, sort_keys=True, allow_nan=False)
        cur = self.conn.execute(
            "INSERT INTO events (at, recorded_at, round, kind, volunteer_id, need_id, payload) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                format_time(at),
                format_time(datetime.now(timezone.utc)),
                rnd,
                kind.value,
                volunteer_id,
                need_id,
                text,
            ),
        )
        seq = cur.lastrowid
        assert seq is not None
        return LedgerEvent(seq, at, kind, rnd, volunteer_id, need_id, payload or {})

    def append_many(
        self, rows: list[tuple[str, int | None, str, str | None, str | None, str]]
    ) -> None:
        """Append ``(at, round, kind, volunteer_id, need_id, payload_json)`` rows in order."""
        now = format_time(datetime.now(timezone.utc))
        self.conn.executemany(
            "INSERT INTO events (at, recorded_at, round, kind, volunteer_id, need_id, payload) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(at, now, r, k, v, n, p) for at, r, k, v, n, p in rows],
        )

    # ---- queries ---------------------------------------------------------------------

    def rows(self, where: str = "", params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Event rows (``seq, at, round, kind, volunteer_id, need_id, payload``) in log order."""
        sql = f"SELECT {_COLUMNS} FROM events"
        if where:
            sql += f" WHERE {where}"
        return self.conn.execute(sql + " ORDER BY seq", tuple(params))

    def primary_offers(self, rnd: int) -> list[tuple[str, str]]:
        """The (volunteer, need) pairs offered in round ``rnd`` as proposals, not as
        shortlist alternatives, in log order (no event objects: a round holds 70k)."""
        sql = (
            "SELECT volunteer_id, need_id, json_type(payload, '$.shortlist'), "
            "json_extract(payload, '$.shortlist') FROM events "
            "WHERE kind = 'offered' AND round = ? ORDER BY seq"
        )
        return [
            (str(v), str(n))
            for v, n, kind, value in self.conn.execute(sql, (rnd,))
            if not _json_truthy(kind, value)
        ]

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def pair(self, volunteer_id: str, need_id: str) -> PairRecord | None:
        """The pair's record folded from its own events, or None if never offered."""
        rec: PairRecord | None = None
        for seq, at, rnd, kind, _, _, payload in self.rows(
            "volunteer_id = ? AND need_id = ?", (volunteer_id, need_id)
        ):
            if rec is None:
                rec = PairRecord()
            rec.apply(seq, kind, rnd, at, json.loads(payload))
        return rec

    def known(self, column: str, value: str) -> bool:
        """Whether any offer names this volunteer (``column='volunteer_id'``) or need."""
        assert column in ("volunteer_id", "need_id")
        sql = f"SELECT 1 FROM events WHERE {column} = ? AND kind = 'offered' LIMIT 1"
        return self.conn.execute(sql, (value,)).fetchone() is not None

    def placed(self, column: str, value: str) -> list[tuple[str, str]]:
        """Accepted, not withdrawn pairs of one volunteer or one need."""
        assert column in ("volunteer_id", "need_id")
        sql = (
            f"SELECT e.volunteer_id, e.need_id FROM events e WHERE e.{column} = ? "
            "AND e.kind = 'accepted' AND e.seq = (SELECT MAX(x.seq) FROM events x "
            "WHERE x.volunteer_id = e.volunteer_id AND x.need_id = e.need_id) ORDER BY e.seq"
        )
        return [(r[0], r[1]) for r in self.conn.execute(sql, (value,))]

    def n_placed(self, column: str, value: str) -> int:
        """How many live placements one volunteer or need has: its acceptances less the
        placements withdrawn (two index counts; :meth:`placed` looks up every pair)."""
        assert column in ("volunteer_id", "need_id")
        sql = (
            f"SELECT (SELECT COUNT(*) FROM events WHERE {column} = ? AND kind = 'accepted') - "
            f"(SELECT COUNT(*) FROM events WHERE {column} = ? AND kind = 'withdrawn' "
            "AND json_extract(payload, '$.ended') = 'placement')"
        )
        return int(self.conn.execute(sql, (value, value)).fetchone()[0])

    def latest_limit(self, column: str, value: str, key: str) -> int | None:
        """The latest offered ``capacity`` (of a need) or ``max_placements`` (of a volunteer)."""
        assert column in ("volunteer_id", "need_id") and key in (
            "capacity",
            "max_placements",
        )
        sql = (
            f"SELECT json_extract(payload, '$.{key}') FROM events WHERE seq = "
            f"(SELECT MAX(seq) FROM events WHERE {column} = ? AND kind = 'offered')"
        )
        row = self.conn.execute(sql, (value,)).fetchone()
        return None if row is None else int(row[0])

    def need_status(self, need_id: str) -> tuple[str, str] | None:
        """``(status, at)`` of the need's latest lifecycle transition, or None."""
        row = self.conn.execute(
            "SELECT json_extract(payload, '$.to'), at FROM events WHERE seq = "
            "(SELECT MAX(seq) FROM events WHERE need_id = ? AND kind = 'need_status')",
            (need_id,),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def tip(self, seq: int) -> tuple[Any, ...] | None:
        """The event at ``seq`` as stored (with the time it was written), or None: what a
        reader compares to tell the log it read from a log that replaced it."""
        row = self.conn.execute(
            "SELECT at, recorded_at, round, kind, volunteer_id, need_id, payload "
            "FROM events WHERE seq = ?",
            (seq,),
        ).fetchone()
        return None if row is None else tuple(row)

    def max_seq(self) -> int:
        return int(self.conn.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0)

    def integrity(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])


def write_copy(store: Store, path: str | os.PathLike[str]) -> int:
    """Copy the ledger to a new SQLite file with SQLite's backup, atomically; return the
    number of events. The copy holds every committed event, also those still in the
    write-ahead log (a copy of the main file alone misses them while the ledger is open)."""
    target = Path(path)
    where = f"cannot copy the ledger to {str(target)!r}"
    if target.is_dir():
        raise InvalidInputError(f"{where}: it is a folder; give a file name")
    if not target.parent.is_dir():
        raise InvalidInputError(
            f"{where}: the folder {str(target.parent)!r} does not exist; create it first"
        )
    for existing in (target, Path(f"{target}-wal")):
        if existing.exists():  # (a log beside it would be read into the copy)
            raise InvalidInputError(f"{where}: {str(existing)!r} exists; give a new file name")
    if getattr(store, "_batch_depth", 0):
        raise InvalidInputError(f"{where} inside a batch; copy it once the batch has ended")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise InvalidInputError(f"{where}: {err.strerror} (its folder must be writable)") from None
    os.close(fd)
    try:
        copy = sqlite3.connect(tmp)
        try:
            store.conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # (one file: no log beside it)
            n = int(copy.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        finally:
            copy.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm", f"{tmp}-journal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        raise
    return n


def _json_truthy(kind: str | None, value: Any) -> bool:
    """Python's truth of a JSON value from SQLite's ``json_type`` and ``json_extract``
    (absent: false), as the replayer reads the payload. (A payload that repeats the key,
    which matchkit never writes, is read with its first value here, its last there.)"""
    if kind in (None, "null", "false"):
        return False
    if kind in ("integer", "real"):
        return bool(value)
    if kind == "text":
        return bool(value != "")
    if kind == "array":
        return bool(value != "[]")
    if kind == "object":
        return bool(value != "{}")
    return True  # "true"
