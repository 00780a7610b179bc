"""How a ledger file is opened: read-write, read-only (``mode=ro``) or ``immutable``.

A ledger this process may not write (asked for read-only, or a file, folder or file system
it cannot write) is opened read-only (``mode=ro``): every read works, every write is
refused before it starts. A WAL ledger needs its ``-shm`` file to be read; where SQLite
can neither find nor create it, the file is opened ``immutable`` only on a file system
mounted read-only (no one can change it there), and with no write-ahead log holding
commits; otherwise it is refused with what to do.

This module decides which connection to try and words the refusals; the store connects
(through a function it passes in) and checks the file is a ledger.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ._exceptions import InvalidInputError, MatchkitError

__all__ = [
    "Unopened",
    "cannot_open",
    "cannot_read",
    "open_failed",
    "open_read_only",
    "read_only_media",
    "read_only_reason",
    "refusal",
    "why_unwritable",
    "write_refused",
]


class Unopened(Exception):
    """SQLite could not open the file, its folder or its ``-wal`` / ``-shm`` for this
    connection's mode (the caller decides what to try next)."""

    def __init__(self, err: sqlite3.Error) -> None:
        super().__init__(str(err))
        self.err = err


def cannot_open(err: sqlite3.Error) -> bool:
    """Whether SQLite's error says a file could not be opened or created for writing (not
    that the file is damaged or is not a ledger).

    Examples
    --------
    >>> cannot_open(sqlite3.OperationalError("attempt to write a readonly database"))
    True
    >>> cannot_open(sqlite3.DatabaseError("file is not a database"))
    False
    """
    text = str(err)
    return "unable to open" in text or "readonly" in text or "read-only" in text


def read_only_media(folder: str) -> bool:
    """Whether ``folder`` is on a file system mounted read-only (nothing can change it)."""
    if not hasattr(os, "statvfs"):  # pragma: no cover - Windows
        return False
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def why_unwritable(file: str, what: str) -> str:
    """Why a ledger ``file`` that cannot be written is open read-only (``what`` names what
    this process may not write)."""
    if read_only_media(os.path.dirname(file)):
        return "it is on a file system mounted read-only"
    return f"this process may not write {what}"


def _require_file(path: str, memory: bool, why: str) -> None:
    if memory:
        raise InvalidInputError(
            "an in-memory ledger (':memory:') cannot be opened read-only: it starts "
            "empty; give the path of a ledger file"
        )
    if not os.path.isfile(path):
        raise InvalidInputError(
            f"cannot open ledger {path!r}: no such file ({why}); give the path of "
            "an existing ledger"
        )


def _unwritable(path: str, memory: bool) -> bool:
    """Whether the ledger file exists and this process may not write it (its mode, its
    owner, a file system mounted read-only)."""
    return not memory and os.path.isfile(path) and not os.access(path, os.W_OK)


def read_only_reason(path: str, file: str, memory: bool, *, asked: bool) -> str:
    """Why the ledger is to be opened read-only from the start, or "" to try read-write.

    Examples
    --------
    >>> read_only_reason(":memory:", ":memory:", True, asked=False)
    ''
    >>> read_only_reason(":memory:", ":memory:", True, asked=True)
    Traceback (most recent call last):
    ...
    matchkit.InvalidInputError: an in-memory ledger (':memory:') cannot be opened read-only: it starts empty; give the path of a ledger file
    """
    if asked:
        _require_file(path, memory, "it is opened read-only, so it is never created")
        return "opened with read_only=True"
    if _unwritable(path, memory):
        return why_unwritable(file, "the file")
    return ""


def open_failed(path: str, err: sqlite3.Error) -> InvalidInputError:
    """The error for a ledger SQLite cannot open for reading and writing.

    Examples
    --------
    >>> print(open_failed("l.sqlite", sqlite3.OperationalError("unable to open database file")))
    cannot open ledger 'l.sqlite' (SQLite says: unable to open database file); check that this process may read and write the file and its folder
    """
    return InvalidInputError(
        f"cannot open ledger {path!r} (SQLite says: {err}); check that this "
        "process may read and write the file and its folder"
    )


def cannot_read(path: str, err: sqlite3.Error, advice: str = "") -> str:
    """Why a ledger cannot be opened read-only: SQLite's words and what to do.

    Examples
    --------
    >>> print(cannot_read("l.sqlite", sqlite3.OperationalError("unable to open database file")))
    cannot open ledger 'l.sqlite' (SQLite says: unable to open database file); check that this process may read the file and its folder (SQLite also keeps the -wal and -shm files beside it), or open a copy in a writable folder
    """
    return f"cannot open ledger {path!r} (SQLite says: {err}); " + (
        advice
        or "check that this process may read the file and its folder (SQLite also "
        "keeps the -wal and -shm files beside it), or open a copy in a writable folder"
    )


def refusal(path: str, file: str, err: sqlite3.Error) -> str | None:
    """Why a read-only connection cannot read the file, or None when opening it
    ``immutable`` is safe: a file system mounted read-only and no log of commits.

    ``path`` is the name the caller gave, ``file`` its absolute path.
    """
    name = path
    if not os.access(file, os.R_OK):
        return cannot_read(
            path, err, "this process may not read the file; check its permissions"
        )
    wal, shm = f"{file}-wal", f"{file}-shm"
    if os.path.exists(shm) or (os.path.exists(wal) and not os.path.isfile(wal)):
        return cannot_read(path, err)  # (SQLite could not use them: not ours to skip)
    if os.path.isfile(wal) and os.path.getsize(wal) > 0:
        return cannot_read(
            path,
            err,
            f"its write-ahead log {name}-wal holds commits that SQLite reads only "
            f"through {name}-shm, which it cannot create here; copy {name} and "
            f"{name}-wal together to a folder you may write and open the copy",
        )
    folder = os.path.dirname(file)
    if not read_only_media(folder):
        return cannot_read(
            path,
            err,
            f"a ledger in WAL mode is read through {name}-shm, which SQLite must "
            f"create in its folder {folder!r}, where this process may not write; make "
            "the folder writable for this process, or copy the ledger (while no one "
            "writes it) to a folder you may write and open the copy",
        )
    return None


def open_read_only(path: str, file: str, connect: Callable[[str], None]) -> bool:
    """Open the file read-only through ``connect`` (given a URI; it raises
    :class:`Unopened` when SQLite cannot open it so); ``immutable`` only where that is
    safe (see the module). Return whether it was opened ``immutable``."""
    uri = Path(file).as_uri()
    try:
        connect(f"{uri}?mode=ro")
        return False
    except Unopened as err:
        first = err.err
    why = refusal(path, file, first)
    if why is None:
        try:
            connect(f"{uri}?mode=ro&immutable=1")
            return True
        except Unopened as err:
            why = cannot_read(path, err.err, "")
    raise InvalidInputError(why) from None


def write_refused(path: str, why: str) -> MatchkitError:
    """The error for a write to a ledger open read-only (``why`` says why it is).

    Examples
    --------
    >>> print(write_refused("l.sqlite", "opened with read_only=True"))
    cannot write to ledger 'l.sqlite': it is open read-only (opened with read_only=True); to record in it, open it where this process may write the file and its folder (fix their permissions: SQLite also writes the -wal and -shm files beside it), or copy it to a folder you may write (Ledger.backup) and record in the copy; nothing was written
    """
    return MatchkitError(
        f"cannot write to ledger {path!r}: it is open read-only "
        f"({why}); to record in it, open it where this process may write "
        "the file and its folder (fix their permissions: SQLite also writes the "
        "-wal and -shm files beside it), or copy it to a folder you may write "
        "(Ledger.backup) and record in the copy; nothing was written"
    )
