"""Ledger: the durable record of proposals and decisions (a SQLite file by default).

matchkit proposes; people decide. The ledger records each round's offers and every answer
as events in an append-only log, refuses decisions that break the rules (writing nothing),
and replays the log into a :class:`LedgerState` that the next round plans around:
accepted placements stay, rejected pairs never return. See ``docs/ledger.md``.
"""

from __future__ import annotations

import functools
import json
import numbers
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from ._exceptions import DecisionError, InvalidInputError, MatchkitError, check_choice
from ._ledger_jsonl import (
    LEDGER_SCHEMA_VERSION,
    read_jsonl,
    read_jsonl_rows,
    write_jsonl,
)
from ._ledger_rules import (
    Offer,
    check_offers,
    check_ttl_days,
    coerce_offers,
    decision_ids,
    need_id_text,
    offered_pair,
    pair_text,
    require_in_time_order,
    require_not_before,
    require_open,
    require_other_group,
)
from ._ledger_state import (
    NEED_TRANSITIONS,
    WITHDRAWN_BY,
    EventKind,
    LedgerEvent,
    LedgerState,
    Replayer,
    format_time,
    parse_time,
    replay_events,
)
from ._ledger_store import Store, damaged, row_to_event, write_copy
from ._models import NeedStatus

__all__ = ["Ledger", "Offer"]

#: An offer's payload as JSON (one encoder for a round's offers: ``json.dumps`` with
#: options builds a new one per call).
_payload_text = json.JSONEncoder(sort_keys=True, allow_nan=False).encode

#: Payload values that come back from JSON as they went in.
_PLAIN = frozenset({str, int, float, bool, type(None)})

TimeLike = datetime | date | str | None
_F = TypeVar("_F", bound=Callable[..., Any])


def _one_thread_at_a_time(method: _F) -> _F:
    """Run the method holding the ledger's lock: threads sharing one ``Ledger`` take
    turns on its connection (and a batch holds it to its end). SQLite finding the file
    damaged is an error that names it."""

    @functools.wraps(method)
    def locked(self: Ledger, *args: Any, **kwargs: Any) -> Any:
        with self._turn():
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as err:  # (a page damaged after the file opened)
                error = damaged(self.path, err)
                if error is None:
                    raise
                raise error from None

    return locked  # type: ignore[return-value]


class Ledger:
    """The durable, append-only record of offers and decisions.

    Parameters
    ----------
    path : str or path-like, default "matches.sqlite"
        The SQLite file (created if missing, replayed if it exists); ``":memory:"`` keeps
        the ledger in memory (tests).
    timeout : float, default 30.0
        Seconds to wait for another process's write to finish before giving up (and for
        another thread's call, when threads share this object).
    read_only : bool, default False
        Open an existing file for reading only: it is never created nor changed, and
        every write raises :class:`MatchkitError`. A file this process may not write (its
        permissions, a read-only disk or folder) is opened read-only without asking; see
        :attr:`read_only`.

    Raises
    ------
    InvalidInputError
        The file is not a matchkit ledger, or was written by a newer schema version; or
        it cannot be read here (the error says why and what to do).

    Examples
    --------
    >>> with Ledger(":memory:") as ledger:
    ...     r = ledger.record_round(
    ...         [Offer(volunteer_id="v1", need_id="n1", score=0.9, capacity=1, max_placements=1)],
    ...         at="2026-03-01")
    ...     _ = ledger.accept("v1", "n1", at="2026-03-02")
    ...     sorted(ledger.state(as_of="2026-03-03").placements)
    [('v1', 'n1')]
    """

    schema_version = LEDGER_SCHEMA_VERSION

    def __init__(
        self,
        path: str | os.PathLike[str] = "matches.sqlite",
        *,
        timeout: float = 30.0,
        read_only: bool = False,
    ) -> None:
        self._store = Store(path, timeout=timeout, read_only=read_only)
        self._path = self._store.path  # (as given; reopened by its absolute path)
        self._lock = threading.RLock()  # (one thread at a time on the connection)
        self._pid = os.getpid()  # (a forked process opens its own connection)
        self._closed = False
        self._detached = False  # closed for a fork; opened again on the next use
        self._replayer = Replayer()
        self._tip: tuple[Any, ...] | None = None  # the last event the replayer read
        self._fed = False  # record_round fed its rows before they were committed
        _LIVE.add(self)

    # ---- lifecycle -------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The file the ledger lives in (``":memory:"`` for an in-memory ledger)."""
        return self._path

    @property
    def read_only(self) -> bool:
        """Whether the ledger is open for reading only.

        So it is when opened with ``read_only=True``, or when this process may not write
        the file, its folder or the ``-wal`` / ``-shm`` files SQLite keeps beside it.
        Every reading works; every write (a round, a decision, an expiry, a batch) raises
        :class:`MatchkitError` naming the file and what to do, and writes nothing.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = pathlib.Path(d) / "matches.sqlite"
        ...     with Ledger(path) as ledger:
        ...         _ = ledger.record_round([], at="2026-03-01")
        ...     with Ledger(path, read_only=True) as reader:
        ...         rounds = len(reader.state(as_of="2026-03-02").rounds)
        ...         try:
        ...             reader.record_round([], at="2026-03-08")
        ...         except MatchkitError as err:
        ...             refused = "is open read-only" in str(err)
        >>> reader.read_only, rounds, refused
        (True, 1, True)
        """
        return bool(self._store.read_only)

    @_one_thread_at_a_time
    def close(self) -> None:
        """Close the file. Every decision already returned is on disk; closing adds nothing.

        Closing twice is harmless; ``with Ledger(...) as ledger:`` closes on leaving.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d:
        ...     ledger = Ledger(pathlib.Path(d) / "matches.sqlite")
        ...     _ = ledger.record_round([], at="2026-03-01")
        ...     ledger.close(); ledger.close()
        ...     with Ledger(pathlib.Path(d) / "matches.sqlite") as again:
        ...         n = len(again)
        >>> n, repr(ledger).endswith("closed)")
        (1, True)
        """
        if not self._closed:
            if self._pid == os.getpid():  # (a forked copy leaves the parent's alone)
                self._store.close()
            self._closed = True

    def __enter__(self) -> Ledger:  # noqa: PYI034 - no typing_extensions dependency
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_one_thread_at_a_time
    def __len__(self) -> int:
        return self._open().count()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled, a ledger is its file: a process it is sent to (``multiprocessing`` with
        spawn, a job queue) opens its own connection to the same file."""
        if self._store.memory:
            raise InvalidInputError(
                "an in-memory ledger (':memory:') cannot be sent to another process: it "
                "lives in this one only; give the Ledger a file to share it"
            )
        if self._closed:
            raise InvalidInputError(f"ledger {self.path!r} is closed; open it again to send it")
        store = self._store
        return (_reopen, (store.file, store.timeout, store.asked_read_only))

    def __repr__(self) -> str:
        # A repr shown in a log or a debugger must neither raise nor wait: while another
        # thread holds this object (a batch, a long call), it does not count the events.
        mine = self._pid == os.getpid()  # (after a fork the lock is replaced on first use)
        if mine and not self._lock.acquire(blocking=False):
            return f"Ledger({self.path!r}, in use by another thread)"
        try:
            state = "closed" if self._closed else f"{len(self)} events"
            if self.read_only:
                state += ", read-only"
        except MatchkitError:
            state = "unreadable"
        finally:
            if mine:
                self._lock.release()
        return f"Ledger({self.path!r}, {state})"

    # ---- rounds ----------------------------------------------------------------------

    @_one_thread_at_a_time
    def record_round(
        self,
        offers: Iterable[Offer | Mapping[str, Any] | Any],
        *,
        at: TimeLike = None,
        ttl_days: float = 7,
        capacity: Mapping[str, int] | None = None,
        max_placements: Mapping[str, int] | None = None,
    ) -> int:
        """Record one round of offers, all or nothing; return the round number (1, 2, ...).

        Offers still open and past their expiry at ``at`` are first recorded as expired.

        Parameters
        ----------
        offers : iterable of Offer, mapping or object
            Each has ``volunteer_id``, ``need_id`` and ``score``; ``capacity`` and
            ``max_placements`` come from the offer or from the mappings below. Objects with
            those attributes (such as proposals) are read by attribute.
        at : datetime, date or ISO string, optional
            When the round is made (default: now, UTC).
        ttl_days : float, default 7
            How long each offer stays open: ``expires_at = at + ttl_days``.
        capacity, max_placements : Mapping[str, int], optional
            Need capacities and volunteer ``max_placements`` for offers that do not carry them.

        Returns
        -------
        int
            The round number.

        Raises
        ------
        DecisionError
            An offer for a pair rejected or withdrawn from by the volunteer, already placed,
            already open, for a need that is full or not open, or for a volunteer at
            ``max_placements``; nothing is written.
        InvalidInputError
            A malformed offer (named by its position), a duplicate pair, a bad ``ttl_days``,
            or ``at`` before the latest round recorded (rounds go forward in time).

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> ledger.record_round([{"volunteer_id": "v1", "need_id": "n1", "score": 0.5}],
        ...                     at="2026-03-01", capacity={"n1": 3}, max_placements={"v1": 1})
        1
        >>> ledger.record_round([], at="2026-03-08")
        2
        """
        check_ttl_days(ttl_days, "Ledger.record_round")
        when = None if at is None else parse_time(at)  # (now: read once the file is ours)
        batch = coerce_offers(offers, capacity or {}, max_placements or {})
        self._fed = False
        try:
            rnd = self._record(batch, when, ttl_days)
        except BaseException:
            if self._fed:  # it was fed this round's events, which were not committed
                self._replayer = Replayer()
            raise
        finally:
            self._fed = False
        return rnd

    def _record(
        self,
        batch: list[Offer],
        at: datetime | None,
        ttl_days: float,
    ) -> int:
        with self._write() as store:
            # (a round made now is timed once the write is ours: another process's round
            # written while this one waited is then never later than it)
            when = parse_time(None) if at is None else at
            at_text = format_time(when)
            try:
                expires_text = format_time(when + timedelta(days=ttl_days))
            except OverflowError:
                raise InvalidInputError(
                    f"Ledger.record_round: at={at_text} plus ttl_days={ttl_days:g} is past "
                    "the year 9999; give the round's real time"
                ) from None
            require_in_time_order(self._replayed(store).rounds, when, "Ledger.record_round")
            if batch:  # judged at `when`, where overdue offers already count as expired
                check_offers(self._replayed(store).state(when), batch)
            self._expire_due(store, when)
            # (the replayer has read every round inside this transaction: no query over
            # the whole log; rounds are few)
            rnd = max((r.number for r in self._replayed(store).rounds), default=0) + 1
            rows: list[tuple[str, int | None, str, str | None, str | None, str]] = [
                (
                    at_text,
                    rnd,
                    "round",
                    None,
                    None,
                    json.dumps(
                        {"n_offers": len(batch), "ttl_days": ttl_days}, sort_keys=True
                    ),
                )
            ]
            payloads: list[dict[str, Any]] = [{"n_offers": len(batch), "ttl_days": ttl_days}]
            for o in batch:
                payload = dict(o.extra)
                payload.update(
                    score=o.score,
                    capacity=o.capacity,
                    max_placements=o.max_placements,
                    expires_at=expires_text,
                    shortlist=o.shortlist,
                    rank=o.rank,
                )
                payloads.append(payload)
                rows.append(
                    (
                        at_text,
                        rnd,
                        "offered",
                        o.volunteer_id,
                        o.need_id,
                        _payload_text(payload),
                    )
                )
            self._append_and_feed(store, rows, payloads)
        return rnd

    def _append_and_feed(
        self,
        store: Store,
        rows: list[tuple[str, int | None, str, str | None, str | None, str]],
        payloads: list[dict[str, Any]],
    ) -> None:
        """Append rows and hand them to the replayer as they are, without reading them back.

        A round's offers are the bulk of the log; decoding them again on the next read
        costs about 10 microseconds each. They are fed directly only when the replayer had
        read everything before them and the rows got consecutive numbers (always, inside
        the write transaction); payloads whose values are not plain JSON scalars are read
        back as JSON instead, so the state is the same as a replay of the file.
        """
        replayer = self._replayed(store)
        first = replayer.last_seq + 1
        store.append_many(rows)
        if store.max_seq() != first + len(rows) - 1:  # should not happen; read back instead
            return
        events = []
        for i, ((at, rnd, kind, vid, nid, text), payload) in enumerate(zip(rows, payloads)):
            plain = all(type(x) in _PLAIN for x in payload.values())
            # Keys in the order a replay of the file gives them (written with sort_keys).
            as_read = dict(sorted(payload.items())) if plain else text
            events.append((first + i, at, rnd, kind, vid, nid, as_read))
        self._fed = True
        try:
            replayer.feed(events)
            # (their records, built now by the round that made them: the next round's
            # state then builds only what changed since, not every open offer)
            replayer.build_offers(
                [(str(r[3]), str(r[4])) for r in rows if r[2] == "offered"]
            )
        except BaseException:
            self._replayer = Replayer()
            raise
        self._tip = store.tip(replayer.last_seq)

    # ---- decisions -------------------------------------------------------------------

    @_one_thread_at_a_time
    def accept(
        self, volunteer_id: str, need_id: str, *, at: TimeLike = None
    ) -> LedgerEvent:
        """Record that the volunteer accepted the offer; return the ``accepted`` event.

        Accepting an accepted pair again writes nothing and returns the first event.

        Raises
        ------
        DecisionError
            Unknown ids, a pair never offered, an offer rejected, expired or withdrawn, a
            need at capacity, a volunteer at ``max_placements``, or an offer from a
            proposal the volunteer already accepted from (offers that share a ``group``
            are one proposal and its alternatives: the volunteer picks one); nothing is
            written.

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round([Offer(volunteer_id="v1", need_id="n1", score=1.0,
        ...                               capacity=1, max_placements=1)], at="2026-03-01")
        >>> ledger.accept("v1", "n1", at="2026-03-02").seq == ledger.accept("v1", "n1").seq
        True
        """
        when = parse_time(at)
        volunteer_id, need_id = decision_ids(volunteer_id, need_id, "accept")
        with self._write() as store:
            rec = offered_pair(store, volunteer_id, need_id, "accept")
            if rec.status == "accepted":
                return self._event_at(store, rec.seq)
            require_open(rec, volunteer_id, need_id, when, "accept")
            status = store.need_status(need_id)
            if status is not None and status[0] != NeedStatus.OPEN.value:
                raise DecisionError(
                    f"cannot accept {pair_text(volunteer_id, need_id)}: the need is {status[0]!r} "
                    f"since {status[1]}"
                )
            cap = store.latest_limit("need_id", need_id, "capacity") or 1
            # (counted first: a need of thousands of places would otherwise look up each
            # placement's pair on every acceptance; they are listed only when it is full)
            if store.n_placed("need_id", need_id) >= cap:
                taken = store.placed("need_id", need_id)
                raise DecisionError(
                    f"cannot accept {pair_text(volunteer_id, need_id)}: the need is full "
                    f"({len(taken)} of {cap} places taken by {', '.join(v for v, _ in taken)})"
                )
            limit = (
                store.latest_limit("volunteer_id", volunteer_id, "max_placements") or 1
            )
            mine = store.placed("volunteer_id", volunteer_id)
            require_other_group(store, rec, volunteer_id, need_id, mine, "accept")
            if len(mine) >= limit:
                raise DecisionError(
                    f"cannot accept {pair_text(volunteer_id, need_id)}: the volunteer already has "
                    f"{len(mine)} of {limit} placements ({', '.join(n for _, n in mine)}); "
                    "withdraw one first"
                )
            return store.append(
                EventKind.ACCEPTED,
                when,
                rnd=rec.round,
                volunteer_id=volunteer_id,
                need_id=need_id,
            )

    @_one_thread_at_a_time
    def reject(
        self,
        volunteer_id: str,
        need_id: str,
        *,
        at: TimeLike = None,
        reason: str | None = None,
    ) -> LedgerEvent:
        """Record that the volunteer declined the offer (final for this pair).

        A "no" that comes after the offer expired, or after the need's side or the centre
        withdrew it, is recorded too (with ``late: true`` in its payload): the pair is
        then never offered again, as after any rejection. Rejecting a rejected pair again
        writes nothing and returns the first event; so does rejecting a pair the volunteer
        already withdrew from (returning that event).

        Raises
        ------
        DecisionError
            Unknown ids, a pair never offered, an answer dated before the offer, or an
            accepted placement (withdraw it instead); nothing is written.

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round([Offer(volunteer_id="v1", need_id="n1", score=1.0,
        ...                               capacity=1, max_placements=1)], at="2026-03-01")
        >>> ledger.reject("v1", "n1", at="2026-03-02").kind.value
        'rejected'
        """
        when = parse_time(at)
        volunteer_id, need_id = decision_ids(volunteer_id, need_id, "reject")
        with self._write() as store:
            rec = offered_pair(store, volunteer_id, need_id, "reject")
            if rec.excluded:  # (rejected, or left by the volunteer: final already)
                return self._event_at(store, rec.seq)
            if rec.status == "accepted":
                raise DecisionError(
                    f"cannot reject {pair_text(volunteer_id, need_id)}: it is an accepted "
                    "placement; withdraw it instead (ledger.withdraw(..., by='volunteer'))"
                )
            # A "no" to an offer that has ended (expired, or the other side withdrew it)
            # still counts: otherwise a later round would offer the pair again. It is late
            # when it is dated at or after the end, not when it is only recorded after it.
            require_not_before(rec, volunteer_id, need_id, when, "reject")
            ended = rec.status in ("expired", "withdrawn")
            if ended:
                late = format_time(self._event_at(store, rec.seq).at) <= format_time(when)
            else:
                late = rec.expires_at <= format_time(when)
            if not (ended or late):
                require_open(rec, volunteer_id, need_id, when, "reject")
            payload: dict[str, Any] = {"late": True} if late else {}
            if reason:
                payload["reason"] = reason
            return store.append(
                EventKind.REJECTED,
                when,
                rnd=rec.round,
                volunteer_id=volunteer_id,
                need_id=need_id,
                payload=payload,
            )

    @_one_thread_at_a_time
    def withdraw(
        self,
        volunteer_id: str,
        need_id: str,
        *,
        by: str,
        reason: str | None = None,
        at: TimeLike = None,
    ) -> LedgerEvent:
        """End an open offer or an accepted placement because someone left.

        ``by`` is ``"volunteer"``, ``"need"``, ``"organisation"`` or ``"centre"`` (the
        volunteer centre, for a change of its data: ``match`` uses it). A pair the
        volunteer withdrew from is never offered again; after anyone else withdrew, a later
        round may offer it again. Withdrawing a withdrawn pair again writes nothing.

        Raises
        ------
        DecisionError
            Unknown ids, a pair never offered, nothing open to end (rejected, expired),
            or a time before the offer was made or the placement accepted.

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round([Offer(volunteer_id="v1", need_id="n1", score=1.0,
        ...                               capacity=1, max_placements=1)], at="2026-03-01")
        >>> _ = ledger.accept("v1", "n1", at="2026-03-02")
        >>> ledger.withdraw("v1", "n1", by="need", at="2026-04-01").payload["ended"]
        'placement'
        """
        check_choice("by", by, WITHDRAWN_BY, caller="Ledger.withdraw")
        when = parse_time(at)
        volunteer_id, need_id = decision_ids(volunteer_id, need_id, "withdraw")
        with self._write() as store:
            rec = offered_pair(store, volunteer_id, need_id, "withdraw")
            if rec.status == "withdrawn":
                return self._event_at(store, rec.seq)
            if rec.status == "accepted":
                ended = "placement"
                accepted_at = format_time(self._event_at(store, rec.seq).at)
                if format_time(when) < accepted_at:
                    raise DecisionError(
                        f"cannot withdraw {pair_text(volunteer_id, need_id)} at "
                        f"{format_time(when)}: before the placement was accepted ({accepted_at})"
                    )
            else:
                require_open(rec, volunteer_id, need_id, when, "withdraw")
                ended = "offer"
            payload: dict[str, Any] = {"by": by, "ended": ended}
            if reason:
                payload["reason"] = reason
            return store.append(
                EventKind.WITHDRAWN,
                when,
                rnd=rec.round,
                volunteer_id=volunteer_id,
                need_id=need_id,
                payload=payload,
            )

    @_one_thread_at_a_time
    def expire(self, as_of: TimeLike = None) -> int:
        """Record as expired every open offer whose expiry is at or before ``as_of``.

        Returns
        -------
        int
            How many offers were expired (0 when run again).

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round([Offer(volunteer_id="v1", need_id="n1", score=1.0,
        ...                               capacity=1, max_placements=1)],
        ...                         at="2026-03-01", ttl_days=7)
        >>> ledger.expire("2026-03-07"), ledger.expire("2026-03-08"), ledger.expire("2026-03-09")
        (0, 1, 0)
        """
        when = parse_time(as_of, name="as_of")
        with self._write() as store:
            return self._expire_due(store, when)

    def _expire_due(self, store: Store, when: datetime) -> int:
        at_text = format_time(when)
        # Open offers whose expiry has come, from the replayer (read up to the last event
        # inside this transaction), in log order: a query over the log would read every
        # offer ever made, each round (a year of weekly 100k rounds: millions).
        due = sorted(
            (rec.seq, pair[0], pair[1], int(rec.round or 0), rec.expires_at)
            for pair, rec in self._replayed(store).pairs.items()
            if rec.status == "open" and rec.expires_at <= at_text
        )
        store.append_many(
            [
                (at_text, rnd, "expired", v, n, json.dumps({"expires_at": exp}))
                for _, v, n, rnd, exp in due
            ]
        )
        return len(due)

    @_one_thread_at_a_time
    def record_need_transition(
        self,
        need_id: str,
        to_status: NeedStatus | str,
        *,
        by: str,
        reason: str,
        at: TimeLike = None,
        from_status: NeedStatus | str | None = None,
    ) -> LedgerEvent:
        """Record a need's lifecycle move: ``idea -> vetted -> open -> closed``.

        Allowed moves: idea -> vetted or closed; vetted -> open or closed; open -> closed.
        A need the ledger has never seen starts at ``from_status`` if given (its status in
        the dataset), else it must start as an ``idea``; a move to that same status is
        recorded (``vetted -> vetted``, say). Moving to the status the ledger already has
        for it writes nothing and returns the event that set it, except a new vetting of a
        ``vetted`` need (another ``by`` or ``reason``: the need changed since, or another
        organisation vets it), which is recorded as ``vetted -> vetted``.

        Parameters
        ----------
        need_id : str
        to_status : NeedStatus or str
        by : str
            Who decided (for vetting: the vetting organisation's id).
        reason : str
            Why (for vetting: what was checked).
        at : datetime, date or ISO string, optional
        from_status : NeedStatus or str, optional
            The status the caller believes the need has; must agree with the ledger.

        Raises
        ------
        DecisionError
            A move outside the lifecycle, or ``from_status`` disagreeing with the ledger.

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> ledger.record_need_transition("n1", "idea", by="org1", reason="proposed").payload["to"]
        'idea'
        >>> ledger.record_need_transition("n1", "vetted", by="org2", reason="legal").payload["from"]
        'idea'
        """
        need_id = need_id_text(need_id, "Ledger.record_need_transition")
        to = self._status(to_status, "to_status")
        claimed = (
            None if from_status is None else self._status(from_status, "from_status")
        )
        if not isinstance(by, str) or not by.strip():
            raise InvalidInputError(
                "by must name who decided the transition (an organisation id)"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInputError(
                "reason must say why the need moves (a non-empty string)"
            )
        when = parse_time(at)
        with self._write() as store:
            row = store.need_status(need_id)
            current = None if row is None else NeedStatus(row[0])
            if current is not None and claimed is not None and claimed is not current:
                raise DecisionError(
                    f"need {need_id!r}: from_status={claimed.value!r} but the ledger says it is "
                    f"{current.value!r} (since {row[1] if row else '?'})"
                )
            start = current if current is not None else claimed
            if start is to:  # (a need first seen at its status in the dataset is recorded)
                if current is not None:
                    seq = store.conn.execute(
                        "SELECT MAX(seq) FROM events WHERE need_id = ? AND kind = 'need_status'",
                        (need_id,),
                    ).fetchone()[0]
                    last = self._event_at(store, int(seq))
                    again = (last.payload.get("by"), last.payload.get("reason"))
                    if to is not NeedStatus.VETTED or again == (by.strip(), reason.strip()):
                        return last
            elif to not in NEED_TRANSITIONS[start]:
                allowed = sorted(s.value for s in NEED_TRANSITIONS[start]) or [
                    "none (closed is final)"
                ]
                where = (
                    "has no recorded status" if start is None else f"is {start.value!r}"
                )
                raise DecisionError(
                    f"need {need_id!r} {where}; it cannot move to {to.value!r}. "
                    f"Allowed next: {', '.join(allowed)} (lifecycle idea -> vetted -> open -> closed)"
                )
            payload = {
                "from": None if start is None else start.value,
                "to": to.value,
                "by": by.strip(),
                "reason": reason.strip(),
            }
            return store.append(
                EventKind.NEED_STATUS, when, need_id=need_id, payload=payload
            )

    @staticmethod
    def _status(value: NeedStatus | str, name: str) -> NeedStatus:
        try:
            return NeedStatus(value)
        except ValueError:
            options = ", ".join(repr(s.value) for s in NeedStatus)
            raise InvalidInputError(
                f"{name} must be one of {options}; got {value!r}"
            ) from None

    # ---- decision helpers ------------------------------------------------------------

    def batch(self) -> AbstractContextManager[Store]:
        """Record many decisions in one transaction: one commit, one sync to disk.

        Each decision inside is still checked and all or nothing on its own (a refused one
        raises and writes nothing, the others stay); the batch commits when the block ends
        without an error escaping it, and writes nothing at all if one does (a batch inside
        a batch too: the outer one keeps the rest). Other processes, and other threads
        using this object, wait for the batch to end. Use it to record a whole round of answers.

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round(
        ...     [Offer(volunteer_id=v, need_id="n1", score=1.0, capacity=1, max_placements=1)
        ...      for v in ("v1", "v2")], at="2026-03-01")
        >>> with ledger.batch():
        ...     _ = ledger.accept("v1", "n1", at="2026-03-02")
        ...     try:
        ...         _ = ledger.accept("v2", "n1", at="2026-03-02")  # the need is full
        ...     except DecisionError:
        ...         _ = ledger.reject("v2", "n1", at="2026-03-02")
        >>> sorted(ledger.state(as_of="2026-03-03").placements)
        [('v1', 'n1')]
        """
        if self._closed:
            self._open()  # (the error that says so; the batch opens the file under the lock)
        return self._batch()

    @contextmanager
    def _batch(self) -> Iterator[Store]:
        with self._turn():  # (other threads wait for the batch to end, as processes do)
            try:
                with self._open().batch() as store:
                    yield store
            except BaseException:
                self._replayer = Replayer()  # it may have read events that were rolled back
                raise

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """Hold the lock, waiting for another thread's call or batch at most ``timeout``."""
        if self._pid != os.getpid():
            self._after_fork()
        if not self._lock.acquire(timeout=self._store.timeout):
            raise MatchkitError(
                f"ledger {self.path!r} is busy: another thread has used this Ledger object "
                f"for over {self._store.timeout:g} s; nothing was done. Try again when it "
                "is done, or open the ledger with a longer timeout (Ledger(path, timeout=...))"
            )
        try:
            yield
        finally:
            self._lock.release()

    def _after_fork(self) -> None:
        """Open this process's own connection: this object was copied into a forked process
        (a ``multiprocessing`` worker, a web server's preloaded app). SQLite connections
        must not cross a fork: the parent closing its own, say, removed the write-ahead log
        that the copy went on writing to, and decisions reported written were lost."""
        self._pid = os.getpid()
        self._lock = threading.RLock()  # (one a parent's thread held at the fork stays held)
        if self._store.memory or self._closed or self._detached:
            return  # (in memory: this process's own copy; detached: opened on next use)
        _INHERITED.append(self._store)  # never used, nor closed, in this process
        self._store = self._store_again()

    def _detach_for_fork(self) -> bool:
        """Close the connection just before this process forks, holding the lock until
        the fork is done; True if the lock is held. SQLite keeps the locks of a process's
        connections in one table per file, which the child inherits: a connection the
        child opens while the parent's is open joins the parent's entry and takes no lock
        of its own, so the parent, closing its ledger later, took itself for the last user,
        folded the log into the file and removed it while the child went on writing to it.
        With no connection open at the fork, the child starts with none. Skipped when
        another thread is using the ledger or a batch is open (the child then opens its
        own connection on first use, as far as SQLite allows)."""
        if self._store.memory or self._closed or self._pid != os.getpid():
            return False
        if not self._lock.acquire(blocking=False):
            return False  # (another thread's call or batch: not ours to close)
        if not self._detached and self._store.conn.in_transaction:
            self._lock.release()  # (this thread forks inside a batch)
            return False
        if not self._detached:
            self._store.close()
            self._detached = True
        return True

    def _write(self) -> AbstractContextManager[Store]:
        return self._open().write()

    def _open(self) -> Store:
        """The store, or a clear error once the ledger is closed (not sqlite3's own)."""
        if self._closed:
            raise InvalidInputError(
                f"ledger {self.path!r} is closed; open it again with Ledger(path) to use it"
            )
        if self._detached:  # (closed for a fork: this process opens it again)
            if not os.path.exists(self._store.file):
                raise InvalidInputError(
                    f"ledger {self.path!r} was removed while this object had it open; "
                    "restore it from a backup, or open a new ledger with Ledger(path)"
                )
            self._store = self._store_again()
            self._detached = False
        return self._store

    def _store_again(self) -> Store:
        """A new connection to the same file, read-only again if that was asked."""
        old = self._store
        return Store(old.file, timeout=old.timeout, read_only=old.asked_read_only)

    def _replayed(self, store: Store) -> Replayer:
        """The replayer, fed with the events committed since it last read (call in a transaction).

        The log only grows, so only events after the last ``seq`` read are new. Should the
        event last read be gone or different (a backup copied over the file, a transaction
        rolled back after it was read), replay from scratch: the replayer decides what a
        round writes (expiries, its number), so it must be the file's own history.
        """
        last = self._replayer.last_seq
        if last and (store.max_seq() < last or store.tip(last) != self._tip):
            self._replayer = Replayer()
        try:
            self._replayer.feed(_decoded(store.rows("seq > ?", (self._replayer.last_seq,))))
        except InvalidInputError as err:  # (an event by its seq: say which file)
            self._replayer = Replayer()
            raise InvalidInputError(f"ledger {self.path!r}: {err}") from None
        except BaseException:
            self._replayer = Replayer()
            raise
        self._tip = store.tip(self._replayer.last_seq) if self._replayer.last_seq else None
        return self._replayer

    @staticmethod
    def _event_at(store: Store, seq: int) -> LedgerEvent:
        return row_to_event(store.rows("seq = ?", (seq,)).fetchone())

    # ---- reading ---------------------------------------------------------------------

    @_one_thread_at_a_time
    def state(self, as_of: TimeLike = None) -> LedgerState:
        """Replay the log into a :class:`LedgerState` judged at ``as_of`` (default: now).

        Examples
        --------
        >>> Ledger(":memory:").state(as_of="2026-03-01").placements
        frozenset()
        """
        when = parse_time(as_of, name="as_of")
        with self._open().read() as store:
            return self._replayed(store).state(when)

    @_one_thread_at_a_time
    def events(
        self,
        *,
        kind: EventKind | str | None = None,
        volunteer_id: str | None = None,
        need_id: str | None = None,
        round: int | None = None,
        after: int | None = 0,
    ) -> Iterator[LedgerEvent]:
        """The events in log order, optionally filtered; ``after`` skips ``seq <= after``.

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round([], at="2026-03-01")
        >>> [e.kind.value for e in ledger.events()]
        ['round']
        """
        if after is None:  # (every event, as with the default)
            after = 0
        if isinstance(after, bool) or not isinstance(after, numbers.Integral):
            raise InvalidInputError(
                f"The 'after' parameter of Ledger.events must be a whole number (a seq; 0 "
                f"for every event); got {after!r}"
            )
        where: list[str] = ["seq > ?"]
        params: list[Any] = [int(after)]
        if kind is not None:
            check_choice("kind", kind, tuple(k.value for k in EventKind), caller="Ledger.events")
            where.append("kind = ?")
            params.append(EventKind(kind).value)
        for column, value in (
            ("volunteer_id", volunteer_id),
            ("need_id", need_id),
            ("round", round),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        rows = self._open().rows(" AND ".join(where), params).fetchall()
        return (row_to_event(r) for r in rows)

    @_one_thread_at_a_time
    def _primary_offers(self, rnd: int) -> list[tuple[str, str]]:
        """The pairs offered in round ``rnd`` as proposals (not shortlist alternatives)."""
        return self._open().primary_offers(rnd)

    @_one_thread_at_a_time
    def backup(self, path: str | os.PathLike[str]) -> int:
        """Copy the ledger to a new SQLite file, whole and consistent; return its events.

        Use it, not a file copy, while the ledger is in use: SQLite keeps the latest
        commits in a log beside the file (``FILE-wal``) until it folds them in, so a copy
        of the file alone can miss recent decisions. The copy is written beside its target
        and renamed, so it appears whole or not at all; a target that exists is refused.

        Parameters
        ----------
        path : str or path-like
            The new file (its folder must exist).

        Returns
        -------
        int
            The number of events copied.

        Raises
        ------
        InvalidInputError
            The target exists, is a folder, or its folder does not exist; or a batch is open.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d, Ledger(pathlib.Path(d) / "l.sqlite") as ledger:
        ...     _ = ledger.record_round([], at="2026-03-01")
        ...     n = ledger.backup(pathlib.Path(d) / "copy.sqlite")
        ...     with Ledger(pathlib.Path(d) / "copy.sqlite") as copy:
        ...         rounds = len(copy.state(as_of="2026-03-02").rounds)
        >>> n, rounds
        (1, 1)
        """
        return write_copy(self._open(), path)

    @_one_thread_at_a_time
    def export_jsonl(self, path: str | os.PathLike[str]) -> int:
        """Write every event to a JSONL file, atomically; return the number of events.

        The first line is a header (``format``, ``schema_version``, ``n_events``); each
        further line is one event (:meth:`LedgerEvent.to_json`). The file appears whole or
        not at all (written beside it, synced, then renamed).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round([], at="2026-03-01")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     n = ledger.export_jsonl(pathlib.Path(d) / "events.jsonl")
        ...     s = Ledger.replay(pathlib.Path(d) / "events.jsonl", as_of="2026-03-02")
        >>> n, len(s.rounds)
        (1, 1)
        """
        return write_jsonl(self._open(), path)

    @staticmethod
    def read_jsonl(path: str | os.PathLike[str]) -> list[LedgerEvent]:
        """Read the events of a JSONL export (checks the header and the event count).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round([], at="2026-03-01")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = ledger.export_jsonl(pathlib.Path(d) / "e.jsonl")
        ...     [e.kind.value for e in Ledger.read_jsonl(pathlib.Path(d) / "e.jsonl")]
        ['round']
        """
        return read_jsonl(path)

    @staticmethod
    def replay(
        source: str | os.PathLike[str] | Iterable[LedgerEvent],
        *,
        as_of: TimeLike = None,
    ) -> LedgerState:
        """Rebuild a :class:`LedgerState` from a JSONL export (a path) or from events.

        Examples
        --------
        >>> ledger = Ledger(":memory:")
        >>> _ = ledger.record_round([Offer(volunteer_id="v1", need_id="n1", score=1.0,
        ...                               capacity=1, max_placements=1)], at="2026-03-01")
        >>> Ledger.replay(ledger.events(), as_of="2026-03-02") == ledger.state(as_of="2026-03-02")
        True
        """
        if isinstance(source, (str, os.PathLike)):
            rows = read_jsonl_rows(source)
            try:
                return replay_events(rows, as_of=as_of)
            except InvalidInputError as err:  # (an event by its seq: say which file)
                raise InvalidInputError(f"{os.fspath(source)!r}: {err}") from None
        return replay_events(_in_log_order(source), as_of=as_of)

    @_one_thread_at_a_time
    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` of the file (``"ok"`` when sound).

        Examples
        --------
        >>> Ledger(":memory:").integrity_check()
        'ok'
        """
        return self._open().integrity()


def _reopen(path: str, timeout: float, read_only: bool = False) -> Ledger:
    """A pickled ledger, opened again in the process that reads it."""
    return Ledger(path, timeout=timeout, read_only=read_only)


#: Connections a forked process inherited: kept, unused, so that they are never closed
#: there (closing one would act on the parent's file locks and log).
_INHERITED: list[Store] = []

#: Every open file ledger of this process, to close for a fork (see _detach_for_fork).
_LIVE: weakref.WeakSet[Ledger] = weakref.WeakSet()
#: The ledgers whose locks the forking thread holds until the fork is done.
_HELD_FOR_FORK: list[Ledger] = []


def _before_fork() -> None:
    _HELD_FOR_FORK.extend(ledger for ledger in list(_LIVE) if ledger._detach_for_fork())


def _after_fork_in_parent() -> None:
    while _HELD_FOR_FORK:
        _HELD_FOR_FORK.pop()._lock.release()


def _after_fork_in_child() -> None:
    _HELD_FOR_FORK.clear()  # (each copy takes a new lock on its first use here)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )

# matchkit/__init__ renames the module of public classes to "matchkit"; list them so that
# ``pytest --doctest-modules`` on this file still finds their examples.
__test__ = {"Ledger": Ledger}


def _decoded(cursor: sqlite3.Cursor) -> list[tuple[Any, ...]]:
    """Event rows with their payloads decoded in one ``json.loads`` of a JSON array: a
    log of 77k events opens in about a third less time than with one call per payload.
    Should that fail, the rows go as read, and the replayer names the bad event."""
    rows: list[tuple[Any, ...]] = cursor.fetchall()
    if len(rows) < 64:
        return rows
    try:
        payloads = json.loads("[" + ",".join([r[6] for r in rows]) + "]")
    except (TypeError, ValueError):
        return rows
    if len(payloads) != len(rows) or not all(type(p) is dict for p in payloads):
        return rows  # a payload that is not one JSON object: as read, for the replayer
    return [r[:6] + (p,) for r, p in zip(rows, payloads)]


def _in_log_order(events: Iterable[Any]) -> list[Any]:
    """The events as a list, refused when a ``seq`` is not above the one before (a list
    sorted or merged by hand would replay into another state, or fail as "never offered").
    Items that are not events are left to the replay's own checks."""
    out = list(events)
    last = None
    for ev in out:
        seq = ev.seq if isinstance(ev, LedgerEvent) else ev[0] if isinstance(ev, tuple) and ev else None
        if not isinstance(seq, int) or isinstance(seq, bool):
            continue
        if last is not None and seq <= last:
            raise InvalidInputError(
                f"event seq {seq} comes after seq {last}; events are replayed in log order: "
                "put them back in seq order"
            )
        last = seq
    return out
