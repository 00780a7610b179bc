"""The JSONL export of the ledger's events, and reading such an export back.

An export is one header line (format, schema version, number of events) and then one
line per event in log order. Reading one checks the header, each line and the count,
and gives replay rows or :class:`LedgerEvent` objects.

The store passes itself in (anything with ``read()`` and ``rows()``) and takes the schema
version from here, so data flows one way: this module imports neither
:mod:`matchkit._ledger_store` nor :mod:`matchkit._ledger`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from ._exceptions import InvalidInputError
from ._ledger_state import EventKind, LedgerEvent, format_time, parse_time

__all__ = [
    "LEDGER_SCHEMA_VERSION",
    "read_jsonl",
    "read_jsonl_rows",
    "write_jsonl",
]

#: Version of the ledger file layout (PRAGMA user_version); an export's header names it.
LEDGER_SCHEMA_VERSION = 1
_JSONL_FORMAT = "matchkit-ledger-events"

Row = tuple[int, str, "int | None", str, "str | None", "str | None", Any]


class EventSource(Protocol):
    """What :func:`write_jsonl` reads the events from: the ledger's store."""

    def read(self) -> AbstractContextManager[Any]: ...

    def rows(self) -> sqlite3.Cursor: ...


def write_jsonl(store: EventSource, path: str | os.PathLike[str]) -> int:
    """Export every event of ``store`` to ``path`` atomically; return the number of events."""
    target = Path(path)
    if target.is_dir():
        raise InvalidInputError(f"cannot export the ledger to {str(target)!r}: it is a folder; give a file name")
    if not target.parent.is_dir():
        raise InvalidInputError(
            f"cannot export the ledger to {str(target)!r}: the folder {str(target.parent)!r} "
            "does not exist; create it first"
        )
    with store.read():
        rows = store.rows().fetchall()
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as err:
        raise InvalidInputError(
            f"cannot export the ledger to {str(target)!r}: {err.strerror} (its folder "
            "must be writable)"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            header = {
                "format": _JSONL_FORMAT,
                "schema_version": LEDGER_SCHEMA_VERSION,
                "n_events": len(rows),
            }
            fh.write(json.dumps(header) + "\n")
            dumps = json.dumps
            for seq, at, rnd, kind, v, n, payload in rows:
                # the stored payload is already canonical JSON: splice it in as it is
                head = dumps(
                    {
                        "seq": seq,
                        "at": at,
                        "kind": kind,
                        "round": rnd,
                        "volunteer_id": v,
                        "need_id": n,
                    }
                )
                fh.write(f'{head[:-1]}, "payload": {payload}}}\n')
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(rows)


def _canonical_time(text: Any, what: str) -> str:
    if (
        isinstance(text, str)
        and len(text) == 27
        and text[-1] == "Z"
        and text[10] == "T"
    ):
        return text
    if not isinstance(text, str):
        raise InvalidInputError(f"{what} must be an ISO 8601 text, got {text!r}")
    return format_time(parse_time(text, name=what))


_KIND_VALUES = frozenset(k.value for k in EventKind)
#: The ids each kind of event names (a round names none).
_ID_FIELDS = {
    kind: ("need_id",) if kind == "need_status" else () if kind == "round"
    else ("volunteer_id", "need_id")
    for kind in _KIND_VALUES
}


def read_jsonl_rows(path: str | os.PathLike[str]) -> list[Row]:
    """Read a JSONL export as replay rows, checking its header, each line and the count."""
    name = os.fspath(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise InvalidInputError(
            f"{name!r} is not UTF-8 text (byte {err.start}), so not a matchkit ledger export; "
            "give the file Ledger.export_jsonl wrote"
        ) from None
    except OSError as err:
        raise InvalidInputError(
            f"cannot read the ledger export {name!r}: {err.strerror}; give the file "
            "Ledger.export_jsonl wrote"
        ) from None
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != _JSONL_FORMAT:
        raise InvalidInputError(
            f"{name!r}, line 1: not a matchkit ledger export header"
        )
    version = header.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidInputError(
            f"{name!r}, line 1: schema_version must be a whole number, got {version!r}"
        )
    if version > LEDGER_SCHEMA_VERSION:
        raise InvalidInputError(
            f"{name!r} has schema version {header['schema_version']}; "
            f"this matchkit reads up to {LEDGER_SCHEMA_VERSION}: upgrade matchkit"
        )
    rows: list[Row] = []
    loads = json.loads
    for i, line in enumerate(lines[1:], start=2):
        try:
            obj = loads(line)
        except json.JSONDecodeError as err:
            raise InvalidInputError(f"{name!r}, line {i}: not JSON ({err})") from None
        try:
            kind, payload = obj["kind"], obj.get("payload") or {}
            if kind not in _KIND_VALUES:
                raise ValueError(f"unknown kind {kind!r}")
            if type(payload) is not dict:
                raise ValueError("payload must be a JSON object")
            if kind == "offered":
                payload["expires_at"] = _canonical_time(
                    payload["expires_at"], "expires_at"
                )
            rnd = obj.get("round")
            for field in _ID_FIELDS[kind]:
                value = obj.get(field)
                if not isinstance(value, str) or not value:
                    raise ValueError(f"a {kind} event needs {field} (a non-empty string), got {value!r}")
            seq = int(obj["seq"])
            if rows and seq <= rows[-1][0]:  # (replayed in file order: it must be log order)
                raise ValueError(
                    f"seq {seq} comes after seq {rows[-1][0]}; the lines are out of log "
                    "order (sorted or merged by hand?): put them back in seq order"
                )
            rows.append(
                (
                    seq,
                    _canonical_time(obj["at"], "at"),
                    None if rnd is None else int(rnd),
                    kind,
                    obj.get("volunteer_id"),
                    obj.get("need_id"),
                    payload,
                )
            )
        except (KeyError, TypeError, ValueError, InvalidInputError) as err:
            raise InvalidInputError(
                f"{name!r}, line {i}: not a ledger event ({err})"
            ) from None
    if len(rows) != header.get("n_events"):
        raise InvalidInputError(
            f"{name!r}: the header says {header.get('n_events')} events, found {len(rows)}; "
            "the file is incomplete"
        )
    return rows


def read_jsonl(path: str | os.PathLike[str]) -> list[LedgerEvent]:
    """Read the events of a JSONL export, checking its header and its event count."""
    return [
        LedgerEvent(seq, parse_time(at), EventKind(kind), rnd, v, n, payload)
        for seq, at, rnd, kind, v, n, payload in read_jsonl_rows(path)
    ]
