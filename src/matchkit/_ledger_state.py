"""The ledger's events and the state they replay into (pure Python, no storage).

Every fact the ledger knows is an event in an append-only log. ``LedgerState`` is what
the log means at a moment: placements, open offers, exclusions, need statuses, rounds.
It is rebuilt from the events in one pass (``replay_events``), so a SQLite file, a JSONL
export or an in-memory list of events all give the same state.

The life of one (volunteer, need) pair::

    (never offered) --offered--> open --accepted--> accepted --withdrawn--> withdrawn
                                  |  --rejected--> rejected        (final)
                                  |  --expired---> expired   --offered--> open ...
                                  `  --withdrawn-> withdrawn --offered--> open ...
                                                   (unless the volunteer withdrew: final)
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import Enum
from functools import cached_property
from types import MappingProxyType
from typing import Any, NamedTuple

from ._exceptions import InvalidInputError
from ._models import NeedStatus

__all__ = [
    "NEED_TRANSITIONS",
    "RESERVED_OFFER_KEYS",
    "WITHDRAWN_BY",
    "EventKind",
    "LedgerEvent",
    "LedgerState",
    "OpenOffer",
    "PairRecord",
    "Replayer",
    "RoundInfo",
    "format_time",
    "parse_time",
    "replay_events",
]

Pair = tuple[str, str]

#: Who may end an offer or a placement. ``"centre"``: the volunteer centre, for a change
#: of its data (``match`` ends offers that a record leaving the dataset, a lowered limit
#: or a failing policy check leave without footing); like the need's side, not final.
WITHDRAWN_BY = ("volunteer", "need", "organisation", "centre")

#: Allowed need lifecycle moves; ``None`` is a need the ledger has never seen.
NEED_TRANSITIONS: Mapping[NeedStatus | None, frozenset[NeedStatus]] = MappingProxyType(
    {
        None: frozenset({NeedStatus.IDEA}),
        NeedStatus.IDEA: frozenset({NeedStatus.VETTED, NeedStatus.CLOSED}),
        NeedStatus.VETTED: frozenset({NeedStatus.OPEN, NeedStatus.CLOSED}),
        NeedStatus.OPEN: frozenset({NeedStatus.CLOSED}),
        NeedStatus.CLOSED: frozenset(),
    }
)


class EventKind(str, Enum):
    """What an event records.

    Examples
    --------
    >>> import matchkit as mk
    >>> [k.value for k in mk.EventKind]
    ['round', 'offered', 'accepted', 'rejected', 'expired', 'withdrawn', 'need_status']
    >>> mk.EventKind("accepted") is mk.EventKind.ACCEPTED
    True
    """

    ROUND = "round"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    NEED_STATUS = "need_status"


_DECISIONS = frozenset({"accepted", "rejected", "expired", "withdrawn"})


def parse_time(value: datetime | date | str | None, *, name: str = "at") -> datetime:
    """Return ``value`` as an aware UTC datetime (``None`` means now).

    A naive datetime is taken to be UTC; a date is its midnight UTC; a string is ISO 8601.

    Examples
    --------
    >>> parse_time("2026-03-01").isoformat()
    '2026-03-01T00:00:00+00:00'
    >>> parse_time("2026-03-01T12:30:00+03:00").isoformat()
    '2026-03-01T09:30:00+00:00'
    """
    if value is None:
        return datetime.now(timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(
                text[:-1] + "+00:00" if text.endswith("Z") else text
            )
        except ValueError:
            raise InvalidInputError(
                f"{name}={text!r} is not an ISO 8601 date or time; use e.g. '2026-03-01T09:00:00Z'"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    raise InvalidInputError(
        f"{name} must be a datetime, a date or an ISO 8601 string; got {type(value).__name__}"
    )


def _from_text(text: str) -> datetime:
    """Read a time written by :func:`format_time` (fast path) or any ISO 8601 text."""
    if len(text) == 27 and text[-1] == "Z":
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
    return parse_time(text)


def format_time(value: datetime) -> str:
    """Fixed-width UTC ISO 8601 text, so that text order is time order.

    A naive datetime is taken to be UTC, as :func:`parse_time` takes it (not the
    machine's local time).

    Examples
    --------
    >>> format_time(parse_time("2026-03-01T09:30:00+03:00"))
    '2026-03-01T06:30:00.000000Z'
    >>> format_time(datetime(2026, 3, 1, 9, 30))
    '2026-03-01T09:30:00.000000Z'
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LedgerEvent:
    """One line of the append-only log.

    Attributes
    ----------
    seq : int
        Position in the log (1, 2, ...); a later event has a larger ``seq``.
    at : datetime
        When it happened (aware, UTC).
    kind : EventKind
        ``round``, ``offered``, ``accepted``, ``rejected``, ``expired``, ``withdrawn`` or
        ``need_status``.
    round : int or None
        The round it belongs to (for a decision: the round of the offer it decides).
    volunteer_id, need_id : str or None
        The pair concerned (``need_status`` has only ``need_id``; ``round`` neither).
    payload : Mapping
        The rest, as JSON: see ``docs/ledger.md`` for each kind.

    Examples
    --------
    >>> from matchkit._ledger_state import parse_time
    >>> e = LedgerEvent(1, parse_time("2026-03-01"), EventKind.ACCEPTED, 1, "v1", "n1", {})
    >>> e.to_json()["kind"], LedgerEvent.from_json(e.to_json()) == e
    ('accepted', True)
    """

    seq: int
    at: datetime
    kind: EventKind
    round: int | None = None
    volunteer_id: str | None = None
    need_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The event as one JSON object (the JSONL export line).

        Returns
        -------
        dict
            ``seq``, ``at`` (fixed-width UTC text), ``kind``, ``round``,
            ``volunteer_id``, ``need_id`` and ``payload``.

        Examples
        --------
        >>> import matchkit as mk
        >>> from matchkit._ledger_state import parse_time
        >>> e = mk.LedgerEvent(3, parse_time("2026-03-02"), mk.EventKind.REJECTED, 1, "v1", "n1")
        >>> doc = e.to_json()
        >>> doc["at"], doc["kind"], doc["volunteer_id"], mk.LedgerEvent.from_json(doc) == e
        ('2026-03-02T00:00:00.000000Z', 'rejected', 'v1', True)
        """
        return {
            "seq": self.seq,
            "at": format_time(self.at),
            "kind": self.kind.value,
            "round": self.round,
            "volunteer_id": self.volunteer_id,
            "need_id": self.need_id,
            "payload": dict(self.payload),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> LedgerEvent:
        """Read an event written by :meth:`to_json`; a bad field raises InvalidInputError.

        Parameters
        ----------
        obj : mapping
            One JSON object, such as a line of a JSONL export, parsed.

        Returns
        -------
        LedgerEvent

        Examples
        --------
        >>> import matchkit as mk
        >>> e = mk.LedgerEvent.from_json({"seq": 1, "at": "2026-03-01T09:00:00Z",
        ...                               "kind": "round", "round": 1, "payload": {"n_offers": 6}})
        >>> e.kind, e.at.isoformat(), e.volunteer_id
        (<EventKind.ROUND: 'round'>, '2026-03-01T09:00:00+00:00', None)
        >>> try:
        ...     mk.LedgerEvent.from_json({"seq": 2, "kind": "maybe"})
        ... except mk.InvalidInputError as err:
        ...     print(str(err).split(" (")[0])
        not a ledger event
        """
        try:
            kind = EventKind(obj["kind"])
            payload = obj.get("payload") or {}
            if not isinstance(payload, Mapping):
                raise TypeError("payload must be a JSON object")
            return cls(
                seq=int(obj["seq"]),
                at=parse_time(obj["at"]),
                kind=kind,
                round=None if obj.get("round") is None else int(obj["round"]),
                volunteer_id=obj.get("volunteer_id"),
                need_id=obj.get("need_id"),
                payload=dict(payload),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInputError(
                f"not a ledger event ({err}): {json.dumps(obj)[:200]}"
            ) from None


class OpenOffer(NamedTuple):
    """An offer as recorded: waiting for an answer (``LedgerState.open_offers``) or the one a
    placement was accepted from (``LedgerState.accepted_offers``).

    ``extra`` holds what the offer was recorded with beyond the standard fields (such as a
    proposal group or score components); treat it as read-only.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> with mk.Ledger(":memory:") as ledger:
    ...     _ = mk.match(tiny_city(), as_of="2026-09-01", ledger=ledger)
    ...     o = ledger.state(as_of="2026-09-03").open_offers[("v1", "n6")]
    >>> o.round, o.expires_at.date().isoformat(), round(o.score, 2), o.shortlist
    (1, '2026-09-08', 0.53, False)
    """

    volunteer_id: str
    need_id: str
    round: int
    offered_at: datetime
    expires_at: datetime
    score: float
    rank: int | None = None
    shortlist: bool = False
    extra: Mapping[str, Any] = MappingProxyType({})


class RoundInfo(NamedTuple):
    """One round of offers.

    Attributes
    ----------
    number : int
        1 for the first round, then 2, 3, ...
    at : datetime
        When the round was recorded (aware, UTC).
    n_offers : int
        Offers made in the round.
    ttl_days : float
        Days its offers stay open.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> with mk.Ledger(":memory:") as ledger:
    ...     _ = mk.match(tiny_city(), as_of="2026-09-01", ledger=ledger)
    ...     info = ledger.state(as_of="2026-09-03").rounds[0]
    >>> info.number, info.at.isoformat(), info.n_offers, info.ttl_days
    (1, '2026-09-01T00:00:00+00:00', 6, 7.0)
    """

    number: int
    at: datetime
    n_offers: int
    ttl_days: float


class PairRecord:
    """Where one (volunteer, need) pair stands, folded from its events in log order."""

    __slots__ = (
        "by",
        "expires_at",
        "extra",
        "offer",
        "offered_at",
        "rank",
        "round",
        "score",
        "seq",
        "shortlist",
        "status",
    )

    def __init__(self) -> None:
        self.status: str = ""
        self.round: int | None = None
        self.offered_at = ""
        self.expires_at = ""
        self.score = 0.0
        self.rank: int | None = None
        self.shortlist = False
        self.by: str | None = None
        self.seq = 0
        self.extra: Mapping[str, Any] | None = None
        self.offer: OpenOffer | None = (
            None  # built once per event, when a state shows it
        )

    def apply(
        self, seq: int, kind: str, rnd: int | None, at: str, payload: Mapping[str, Any]
    ) -> None:
        """Advance the pair by one event (events of other pairs must not be passed)."""
        self.seq = seq
        self.offer = None
        if kind == "offered":
            self.status, self.round, self.offered_at = "open", rnd, at
            self.expires_at = payload["expires_at"]
            self.score = float(payload.get("score", 0.0))
            self.rank = payload.get("rank")
            self.shortlist = bool(payload.get("shortlist", False))
            self.by = None
            self.extra = payload
        else:
            self.status = kind
            if kind == "withdrawn":
                self.by = payload.get("by")

    def status_at(self, as_of: str) -> str:
        """The status, counting an open offer past its expiry as ``expired``."""
        if self.status == "open" and self.expires_at <= as_of:
            return "expired"
        return self.status

    @property
    def excluded(self) -> bool:
        """Never to be offered again: rejected, or left by the volunteer."""
        return self.status == "rejected" or (
            self.status == "withdrawn" and self.by == "volunteer"
        )


def _frozen_map(d: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class LedgerState:
    """What the ledger means at ``as_of``: immutable, rebuilt from the events.

    Attributes
    ----------
    as_of : datetime
        The moment open offers are judged at (an offer whose ``expires_at`` is at or before
        it counts as expired). Every recorded event counts, whatever its time.
    placements : frozenset of (volunteer_id, need_id)
        Accepted and not withdrawn. A re-plan must keep them.
    accepted_offers : Mapping[(volunteer_id, need_id), OpenOffer]
        For each placement, the offer it was accepted from (round, score, rank, extra).
    open_offers : Mapping[(volunteer_id, need_id), OpenOffer]
        Offered, not decided, not expired at ``as_of``.
    rejected : frozenset of pairs
        Rejected by the volunteer; never to be offered again.
    withdrawn : Mapping[(volunteer_id, need_id), str]
        Pairs whose last offer or placement was withdrawn, with who withdrew
        (``volunteer``, ``need`` or ``organisation``).
    expired : frozenset of pairs
        Pairs whose last offer ran out of time (recorded or judged at ``as_of``).
    excluded : frozenset of pairs
        Never to be offered again: ``rejected`` plus pairs the volunteer withdrew from.
    need_status : Mapping[str, NeedStatus]
        Latest recorded lifecycle status of each need that has one.
    capacity, max_placements : Mapping[str, int]
        Latest known need capacity and volunteer ``max_placements`` (from the offers).
    rounds : tuple of RoundInfo
        Every round, in order.
    round_counts : Mapping[int, Mapping[str, int]]
        Per round, how many events of each kind (``offered``, ``accepted``, ...).
    n_events : int
        How many events were replayed.

    Examples
    --------
    >>> import matchkit as mk
    >>> from matchkit.datasets import tiny_city
    >>> with mk.Ledger(":memory:") as ledger:
    ...     _ = mk.match(tiny_city(), as_of="2026-09-01", ledger=ledger)
    ...     _ = ledger.accept("v4", "n3", at="2026-09-02")
    ...     state = ledger.state(as_of="2026-09-03")
    >>> sorted(state.placements), len(state.open_offers), state.n_events
    ([('v4', 'n3')], 5, 8)
    """

    as_of: datetime
    placements: frozenset[Pair]
    accepted_offers: Mapping[Pair, OpenOffer]
    open_offers: Mapping[Pair, OpenOffer]
    rejected: frozenset[Pair]
    withdrawn: Mapping[Pair, str]
    expired: frozenset[Pair]
    excluded: frozenset[Pair]
    need_status: Mapping[str, NeedStatus]
    capacity: Mapping[str, int]
    max_placements: Mapping[str, int]
    rounds: tuple[RoundInfo, ...]
    round_counts: Mapping[int, Mapping[str, int]]
    n_events: int
    _offer_log: Mapping[str, tuple[str, ...]] = field(repr=False, compare=False)
    _first_offer: str = field(default="", repr=False, compare=False)
    """The time of the earliest offer (as text), "" if none."""

    @cached_property
    def _offer_times(self) -> Mapping[str, list[str]]:
        return {v: sorted(t) for v, t in self._offer_log.items()}

    @cached_property
    def _all_offer_times(self) -> list[str]:
        return sorted(t for ts in self._offer_log.values() for t in ts)

    @property
    def placements_per_need(self) -> Mapping[str, int]:
        """Accepted placements per need (needs without any are absent)."""
        return _frozen_map(Counter(n for _, n in self.placements))

    @property
    def placements_per_volunteer(self) -> Mapping[str, int]:
        """Accepted placements per volunteer (volunteers without any are absent)."""
        return _frozen_map(Counter(v for v, _ in self.placements))

    @property
    def open_offers_per_volunteer(self) -> Mapping[str, int]:
        """Open offers per volunteer: the budget "at most N open offers" reads this."""
        return _frozen_map(Counter(v for v, _ in self.open_offers))

    @property
    def open_offers_per_need(self) -> Mapping[str, int]:
        """Open offers per need."""
        return _frozen_map(Counter(n for _, n in self.open_offers))

    def free_capacity(self, need_id: str) -> int | None:
        """Places of ``need_id`` not taken by accepted placements (None if capacity unknown).

        Examples
        --------
        >>> replay_events([], as_of="2026-03-01").free_capacity("n1") is None
        True
        """
        cap = self.capacity.get(need_id)
        if cap is None:
            return None
        return max(0, cap - sum(1 for _, n in self.placements if n == need_id))

    def status_of(self, volunteer_id: str, need_id: str) -> str | None:
        """``open``, ``accepted``, ``rejected``, ``expired``, ``withdrawn`` or None (never offered).

        Examples
        --------
        >>> print(replay_events([], as_of="2026-03-01").status_of("v1", "n1"))
        None
        """
        pair = (volunteer_id, need_id)
        if pair in self.placements:
            return "accepted"
        if pair in self.open_offers:
            return "open"
        if pair in self.rejected:
            return "rejected"
        if pair in self.withdrawn:
            return "withdrawn"
        if pair in self.expired:
            return "expired"
        return None

    def offers_since(
        self,
        volunteer_id: str | None = None,
        since: datetime | date | str | None = None,
    ) -> int:
        """Offers made at or after ``since`` (all offers if None), to one volunteer or to all.

        The weekly offer budget reads ``offers_since(v, as_of - timedelta(days=7))``.

        Examples
        --------
        >>> from datetime import timedelta
        >>> s = replay_events([], as_of="2026-03-01")
        >>> s.offers_since("v1", s.as_of - timedelta(days=7))
        0
        """
        times = (
            self._all_offer_times
            if volunteer_id is None
            else self._offer_times.get(volunteer_id, [])
        )
        if since is None:
            return len(times)
        return len(times) - bisect.bisect_left(
            times, format_time(parse_time(since, name="since"))
        )


    def offers_since_each(self, since: datetime | date | str) -> dict[str, int]:
        """:meth:`offers_since` for every volunteer with an offer, in one pass.

        Examples
        --------
        >>> replay_events([], as_of="2026-03-01").offers_since_each("2026-02-22")
        {}
        """
        cut = format_time(parse_time(since, name="since"))
        if self._first_offer and self._first_offer >= cut:  # (every offer counts)
            return {v: len(times) for v, times in self._offer_log.items()}
        # One pass over the log: no volunteer's times need sorting for a count.
        return {
            v: int(times[0] >= cut) if len(times) == 1 else sum(t >= cut for t in times)
            for v, times in self._offer_log.items()
        }


class Replayer:
    """Folds events into state incrementally: the log only grows, so feed only what is new.

    ``feed`` takes events in log order (``seq`` increasing); ``state(as_of)`` returns an
    immutable :class:`LedgerState` that later feeds do not change.
    """

    def __init__(self) -> None:
        self.pairs: dict[Pair, PairRecord] = {}
        self.need_status: dict[str, NeedStatus] = {}
        self.capacity: dict[str, int] = {}
        self.max_placements: dict[str, int] = {}
        self.rounds: list[RoundInfo] = []
        self.round_counts: dict[int, dict[str, int]] = {}
        self.offer_times: dict[str, tuple[str, ...]] = {}
        self.n_events = 0
        self.last_seq = 0
        self.first_offer = ""  # the earliest offer's time (text), "" before any
        self._times: dict[str, datetime] = {}
        self._extras: dict[tuple[str, Any], Mapping[str, Any]] = {}
        self._memo: tuple[str, int, LedgerState] | None = None

    def feed(
        self,
        events: Iterable[
            LedgerEvent | tuple[int, str, int | None, str, str | None, str | None, Any]
        ],
    ) -> None:
        """Apply events in log order; a malformed event raises InvalidInputError naming it
        (its ``seq`` and kind, and the field that is missing or wrong)."""
        pairs, capacity, max_placements = self.pairs, self.capacity, self.max_placements
        round_counts, offer_times = self.round_counts, self.offer_times
        loads = json.loads
        seq: int
        at: str
        kind: str
        rnd: Any
        vid: Any
        nid: Any
        payload: Any
        ev: Any = None
        try:
            for ev in events:
                if type(ev) is tuple:
                    seq, at, rnd, kind, vid, nid, payload = ev
                    if type(payload) is str:
                        payload = loads(payload)
                elif isinstance(ev, LedgerEvent):
                    seq, at, rnd, kind = ev.seq, format_time(ev.at), ev.round, ev.kind.value
                    vid, nid, payload = ev.volunteer_id, ev.need_id, ev.payload
                else:
                    seq, at, rnd, kind, vid, nid, payload = ev
                    if isinstance(payload, (str, bytes)):
                        payload = loads(payload)
                self.n_events += 1
                self.last_seq = seq
                if kind == "offered":
                    pair = (vid, nid)
                    rec = pairs.get(pair)
                    if rec is None:
                        rec = pairs[pair] = PairRecord()
                    rec.apply(seq, kind, rnd, at, payload)
                    capacity[nid] = int(payload["capacity"])
                    max_placements[vid] = int(payload["max_placements"])
                    offer_times[vid] = offer_times.get(vid, ()) + (at,)
                    if at < self.first_offer or not self.first_offer:
                        self.first_offer = at
                elif kind in _DECISIONS:
                    rec = pairs.get((vid, nid))
                    if rec is None:
                        raise InvalidInputError(
                            f"event {seq} ({kind}) decides the pair ({vid!r}, {nid!r}), which was never offered"
                        )
                    rec.apply(seq, kind, rnd, at, payload)
                elif kind == "need_status":
                    self.need_status[nid] = NeedStatus(payload["to"])
                    continue
                elif kind == "round":
                    self.rounds.append(
                        RoundInfo(
                            int(rnd),
                            _from_text(at),
                            int(payload["n_offers"]),
                            float(payload["ttl_days"]),
                        )
                    )
                    round_counts.setdefault(rnd, {})
                    continue
                else:
                    raise InvalidInputError(f"event {seq} has an unknown kind {kind!r}")
                counts = round_counts.get(rnd)
                if counts is None:
                    counts = round_counts[rnd] = {}
                counts[kind] = counts.get(kind, 0) + 1
        except InvalidInputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InvalidInputError(_malformed(ev, err)) from None

    def build_offers(self, pairs: Iterable[Pair]) -> None:
        """Build the records of these pairs' latest offers now (a round's own offers, as
        the round is recorded), so that the next state does not build them all at once."""
        records = self.pairs
        for pair in pairs:
            rec = records[pair]
            if rec.offer is None:
                self._offer(pair, rec)

    def _when(self, text: str) -> datetime:
        t = self._times.get(text)
        if t is None:
            t = self._times[text] = _from_text(text)
        return t

    def _offer(self, pair: Pair, rec: PairRecord) -> OpenOffer:
        """The pair's latest offer as a record (built once, until the pair's next event)."""
        times = self._times
        offer = rec.offer = _new_offer(
            OpenOffer,
            (
                pair[0],
                pair[1],
                int(rec.round or 0),
                times.get(rec.offered_at) or self._when(rec.offered_at),
                times.get(rec.expires_at) or self._when(rec.expires_at),
                rec.score,
                rec.rank,
                rec.shortlist,
                _extra(rec.extra, self._extras),
            ),
        )
        return offer

    def state(self, as_of: datetime | date | str | None = None) -> LedgerState:
        """The state judged at ``as_of`` (a snapshot: later feeds leave it unchanged).

        States are immutable, so the last one is kept and returned again while no event
        was fed since and ``as_of`` is the same.
        """
        as_of_dt = parse_time(as_of, name="as_of")
        as_of_text = format_time(as_of_dt)
        memo = self._memo
        if memo is not None and memo[0] == as_of_text and memo[1] == self.n_events:
            return memo[2]
        state = self._state(as_of_dt, as_of_text)
        self._memo = (as_of_text, self.n_events, state)
        return state

    def _state(self, as_of_dt: datetime, as_of_text: str) -> LedgerState:
        placements, rejected, expired, excluded = set(), set(), set(), set()
        open_offers: dict[Pair, OpenOffer] = {}
        accepted_offers: dict[Pair, OpenOffer] = {}
        withdrawn: dict[Pair, str] = {}
        for pair, rec in self.pairs.items():
            status = rec.status
            if status == "open":
                if rec.expires_at <= as_of_text:
                    expired.add(pair)
                else:
                    open_offers[pair] = rec.offer or self._offer(pair, rec)
            elif status == "accepted":
                placements.add(pair)
                accepted_offers[pair] = rec.offer or self._offer(pair, rec)
            elif status == "rejected":
                rejected.add(pair)
                excluded.add(pair)
            elif status == "expired":
                expired.add(pair)
            elif status == "withdrawn":
                withdrawn[pair] = rec.by or ""
                if rec.by == "volunteer":
                    excluded.add(pair)
        return LedgerState(
            as_of=as_of_dt,
            placements=frozenset(placements),
            accepted_offers=_frozen_map(accepted_offers),
            open_offers=_frozen_map(open_offers),
            rejected=frozenset(rejected),
            withdrawn=_frozen_map(withdrawn),
            expired=frozenset(expired),
            excluded=frozenset(excluded),
            need_status=_frozen_map(self.need_status),
            capacity=_frozen_map(self.capacity),
            max_placements=_frozen_map(self.max_placements),
            rounds=tuple(self.rounds),
            round_counts=_frozen_map(
                {r: _frozen_map(c) for r, c in sorted(self.round_counts.items())}
            ),
            n_events=self.n_events,
            _offer_log=dict(self.offer_times),
            _first_offer=self.first_offer,
        )


def _malformed(ev: Any, err: Exception) -> str:
    """What is wrong with an event the replayer could not read, and what to do."""
    if isinstance(ev, LedgerEvent):
        where = f"event {ev.seq} ({ev.kind.value})"
    elif isinstance(ev, (tuple, list)) and len(ev) == 7:
        where = f"event {ev[0]} ({ev[3]})"
    else:
        where = f"an event ({str(ev)[:80]})"
    if isinstance(ev, Mapping):
        what = "it is a mapping, not a LedgerEvent (LedgerEvent.from_json reads one)"
    elif isinstance(err, KeyError):
        what = f"its payload has no {err.args[0]!r}"
    elif not isinstance(ev, LedgerEvent) and not (isinstance(ev, (tuple, list)) and len(ev) == 7):
        what = "it is neither a LedgerEvent nor (seq, at, round, kind, volunteer_id, need_id, payload)"
    else:
        what = f"a field is not of its kind ({err})"
    return (
        f"{where} cannot be read: {what}. Events are written by matchkit; correct or "
        "remove an event written or edited by hand (docs/ledger.md lists each kind's payload)"
    )


def replay_events(
    events: Iterable[
        LedgerEvent | tuple[int, str, int | None, str, str | None, str | None, Any]
    ],
    *,
    as_of: datetime | date | str | None = None,
) -> LedgerState:
    """Fold events (in log order) into a :class:`LedgerState`, in one pass.

    ``events`` are :class:`LedgerEvent` objects or raw rows
    ``(seq, at_text, round, kind_text, volunteer_id, need_id, payload)`` where the payload is
    a mapping or its JSON text (the storage layer passes rows to skip building objects).

    Examples
    --------
    >>> t = parse_time("2026-03-01")
    >>> ev = [LedgerEvent(1, t, EventKind.OFFERED, 1, "v1", "n1",
    ...                   {"score": 0.9, "expires_at": "2026-03-08T00:00:00.000000Z",
    ...                    "capacity": 2, "max_placements": 1}),
    ...       LedgerEvent(2, t, EventKind.ACCEPTED, 1, "v1", "n1", {})]
    >>> sorted(replay_events(ev, as_of=t).placements)
    [('v1', 'n1')]
    """
    replayer = Replayer()
    replayer.feed(events)
    return replayer.state(as_of)


RESERVED_OFFER_KEYS = frozenset(
    {
        "score",
        "rank",
        "shortlist",
        "capacity",
        "max_placements",
        "expires_at",
        "ttl_days",
    }
)
_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})
_N_OFFER_KEYS = 6  # score, rank, shortlist, capacity, max_placements, expires_at


_new_offer = tuple.__new__  # an OpenOffer from a full tuple, without NamedTuple's keywords


def _extra(
    payload: Mapping[str, Any] | None, shared: dict[tuple[str, Any], Mapping[str, Any]]
) -> Mapping[str, Any]:
    """The caller's own keys of an offer payload (read-only). A single key with a text
    value (a proposal's group: tens of thousands of offers, a need id each) gives one
    mapping per distinct value, kept in ``shared``."""
    if not payload or len(payload) <= _N_OFFER_KEYS:  # the six keys every offer has
        return _NO_EXTRA
    own = payload.keys() - RESERVED_OFFER_KEYS
    if len(own) == 1:
        (key,) = own
        value = payload[key]
        if type(value) is not str:
            return MappingProxyType({key: value})
        one = shared.get((key, value))
        if one is None:
            one = shared[(key, value)] = MappingProxyType({key: value})
        return one
    return MappingProxyType({k: v for k, v in payload.items() if k in own})


# matchkit/__init__ renames the module of public classes to "matchkit"; list them so that
# ``pytest --doctest-modules`` on this file still finds their examples.
__test__ = {"LedgerEvent": LedgerEvent, "LedgerState": LedgerState}
