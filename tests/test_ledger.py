"""Ledger: the event log, the decision rules, the state it replays into, the file format."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import matchkit as mk
from matchkit import DecisionError, InvalidInputError, Ledger, Offer, UnknownMethodError
from matchkit._ledger_state import parse_time, replay_events
from matchkit.cli import main as cli

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def offer(
    v: str, n: str, *, cap: int = 1, maxp: int = 1, score: float = 0.5, **kw: Any
) -> Offer:
    return Offer(
        volunteer_id=v, need_id=n, score=score, capacity=cap, max_placements=maxp, **kw
    )


@pytest.fixture
def ledger() -> Ledger:
    with Ledger(":memory:") as led:
        yield led


@pytest.fixture
def one(ledger: Ledger) -> Ledger:
    """A ledger with one round: v1 and v2 offered n1 (capacity 1), v1 offered n2 (capacity 2)."""
    ledger.record_round(
        [offer("v1", "n1"), offer("v2", "n1"), offer("v1", "n2", cap=2)], at=day(0)
    )
    return ledger


# ---- the file ----------------------------------------------------------------------------


def test_new_file_carries_schema_version_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    Ledger(path).close()
    con = sqlite3.connect(path)
    assert (
        con.execute("PRAGMA user_version").fetchone()[0] == Ledger.schema_version == 1
    )
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (
        dict(con.execute("SELECT key, value FROM meta"))["format"] == "matchkit-ledger"
    )
    con.close()


def test_reopened_file_replays_the_same_state(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    with Ledger(path) as led:
        led.record_round([offer("v1", "n1"), offer("v2", "n2")], at=day(0))
        led.accept("v1", "n1", at=day(1))
        led.reject("v2", "n2", at=day(1))
        before = led.state(as_of=day(2))
    with Ledger(path) as led:
        after = led.state(as_of=day(2))
        assert len(led) == before.n_events == 5
    assert after == before
    assert after.placements == {("v1", "n1")} and after.rejected == {("v2", "n2")}


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    Ledger(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 2")
    con.close()
    with pytest.raises(
        InvalidInputError, match="schema version 2, written by a newer matchkit"
    ):
        Ledger(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are notes, not a database\n" * 100)
    with pytest.raises(InvalidInputError, match="is not a matchkit ledger"):
        Ledger(path)


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE people (name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(
        InvalidInputError, match="not a matchkit ledger \\(it has tables: people\\)"
    ):
        Ledger(path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="is a directory"):
        Ledger(tmp_path)


@pytest.mark.parametrize(
    "sql", ["UPDATE events SET kind = 'accepted'", "DELETE FROM events"]
)
def test_the_event_table_is_append_only(tmp_path: Path, sql: str) -> None:
    path = tmp_path / "m.sqlite"
    with Ledger(path) as led:
        led.record_round([offer("v1", "n1")], at=day(0))
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute(sql)
    con.close()


def test_closed_ledger_refuses_writes() -> None:
    led = Ledger(":memory:")
    led.close()
    led.close()  # closing twice is fine
    with pytest.raises(InvalidInputError, match="is closed"):
        led.record_round([], at=day(0))
    assert "closed" in repr(led)


def test_state_sees_what_another_connection_wrote(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    with Ledger(path) as a, Ledger(path) as b:
        a.record_round([offer("v1", "n1"), offer("v2", "n1", cap=2)], at=day(0))
        assert b.state(as_of=day(1)).placements == frozenset()
        a.accept("v1", "n1", at=day(1))
        b.accept(
            "v2", "n1", at=day(1)
        )  # b's checks see a's placement (capacity 2: fits)
        assert (
            a.state(as_of=day(1)).placements
            == b.state(as_of=day(1)).placements
            == {("v1", "n1"), ("v2", "n1")}
        )
        with pytest.raises(DecisionError, match="already an accepted placement"):
            b.record_round([offer("v1", "n1")], at=day(2))


def test_state_follows_a_file_restored_from_an_older_backup(tmp_path: Path) -> None:
    old, cur = tmp_path / "old.sqlite", tmp_path / "cur.sqlite"
    with Ledger(old) as led:
        led.record_round([offer("v1", "n1")], at=day(0))
    with Ledger(cur) as led:
        led.record_round([offer("v1", "n1")], at=day(0))
        led.accept("v1", "n1", at=day(1))
        assert led.state(as_of=day(1)).placements == {("v1", "n1")}
        src, dst = sqlite3.connect(old), sqlite3.connect(cur)
        src.backup(dst)
        src.close()
        dst.close()
        restored = led.state(as_of=day(1))
        assert restored.n_events == 2 and restored.placements == frozenset()
        assert set(restored.open_offers) == {("v1", "n1")}


# ---- rounds ------------------------------------------------------------------------------


def test_round_records_offers_with_expiry_and_capacity(ledger: Ledger) -> None:
    rnd = ledger.record_round(
        [
            offer("v1", "n1", cap=3, maxp=2, score=0.75, rank=0),
            offer("v1", "n2", rank=1, shortlist=True, extra={"distance_km": 2.5}),
        ],
        at=day(0),
        ttl_days=5,
    )
    assert rnd == 1
    events = list(ledger.events())
    assert [e.kind.value for e in events] == ["round", "offered", "offered"]
    assert all(e.round == 1 and e.at == day(0) for e in events)
    assert events[0].payload == {"n_offers": 2, "ttl_days": 5}
    first, second = events[1].payload, events[2].payload
    assert first["expires_at"] == "2026-03-07T09:00:00.000000Z"
    assert (
        first["score"],
        first["capacity"],
        first["max_placements"],
        first["rank"],
    ) == (0.75, 3, 2, 0)
    assert second["shortlist"] is True and second["distance_km"] == 2.5
    assert ledger.record_round([], at=day(1)) == 2


def test_round_takes_capacities_from_mappings_and_reads_objects(ledger: Ledger) -> None:
    @dataclass
    class Proposal:
        volunteer_id: str
        need_id: str
        score: float
        reasons: tuple[str, ...] = ()

    ledger.record_round(
        [
            Proposal("v1", "n1", 0.9, ("skills",)),
            {"volunteer_id": "v2", "need_id": "n1", "score": 0.4},
        ],
        at=day(0),
        capacity={"n1": 2},
        max_placements={"v1": 1, "v2": 3},
    )
    state = ledger.state(as_of=day(1))
    assert state.capacity == {"n1": 2} and state.max_placements == {"v1": 1, "v2": 3}


@pytest.mark.parametrize(
    ("offers", "kwargs", "message"),
    [
        (
            [
                {
                    "volunteer_id": "v1",
                    "need_id": "n1",
                    "score": 0.5,
                    "max_placements": 1,
                }
            ],
            {},
            r"offer 0 \('v1', 'n1'\): field 'capacity' field required; give it in the offer or in record_round\(capacity=",
        ),
        (
            [offer("v1", "n1"), offer("v1", "n1")],
            {},
            "offers 0 and 1 are the same pair",
        ),
        (
            [
                {
                    "volunteer_id": "",
                    "need_id": "n1",
                    "score": 0.5,
                    "capacity": 1,
                    "max_placements": 1,
                }
            ],
            {},
            "field 'volunteer_id'",
        ),
        (
            [
                {
                    "volunteer_id": "v1",
                    "need_id": "n1",
                    "score": float("nan"),
                    "capacity": 1,
                    "max_placements": 1,
                }
            ],
            {},
            "field 'score'",
        ),
        ([offer("v1", "n1", extra={"capacity": 9})], {}, "reserved keys"),
        ([offer("v1", "n1", extra={"when": object()})], {}, "extra is not JSON"),
        ([offer("v1", "n1")], {"ttl_days": 0}, "'ttl_days' parameter of Ledger.record_round"),
        ([offer("v1", "n1")], {"ttl_days": 1e9}, "at most 3660"),
        ({"volunteer_id": "v1"}, {}, "an iterable of offers"),
    ],
)
def test_malformed_round_is_refused_and_writes_nothing(
    ledger: Ledger, offers: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ledger.record_round(offers, at=day(0), **kwargs)
    assert len(ledger) == 0


def _rejected(led: Ledger) -> None:
    led.reject("v1", "n1", at=day(1))


def _placed(led: Ledger) -> None:
    led.accept("v1", "n1", at=day(1))


def _left_by_volunteer(led: Ledger) -> None:
    led.withdraw("v1", "n1", by="volunteer", at=day(1))


def _need_full(led: Ledger) -> None:
    led.accept("v2", "n1", at=day(1))


def _volunteer_at_max(led: Ledger) -> None:
    led.accept("v1", "n2", at=day(1))


def _need_closed(led: Ledger) -> None:
    led.record_need_transition(
        "n1", "closed", by="org1", reason="done", from_status="open"
    )


def _nothing(led: Ledger) -> None:
    pass


@pytest.mark.parametrize(
    ("setup", "pair", "message"),
    [
        (
            _rejected,
            ("v1", "n1"),
            "the volunteer rejected this pair; a rejection is final",
        ),
        (_placed, ("v1", "n1"), "already an accepted placement"),
        (_left_by_volunteer, ("v1", "n1"), "the volunteer withdrew from this pair"),
        (_nothing, ("v1", "n1"), r"already has an open offer \(round 1\)"),
        (_need_full, ("v3", "n1"), r"the need is full \(1 accepted placements\)"),
        (
            _volunteer_at_max,
            ("v1", "n3"),
            r"the volunteer is at max_placements \(1 accepted\)",
        ),
        (
            _need_closed,
            ("v3", "n1"),
            "the need is 'closed'; only open needs are offered",
        ),
    ],
)
def test_round_refuses_forbidden_offers_and_writes_nothing(
    one: Ledger, setup: Any, pair: tuple[str, str], message: str
) -> None:
    setup(one)
    n_before = len(one)
    good = offer("v9", "n9")
    with pytest.raises(DecisionError, match=message):
        one.record_round([good, offer(*pair)], at=day(2))
    assert len(one) == n_before
    assert one.state(as_of=day(2)).rounds[-1].number == 1


def test_round_re_offers_an_expired_pair_after_recording_its_expiry(
    one: Ledger,
) -> None:
    assert one.record_round([offer("v1", "n1")], at=day(8)) == 2
    kinds = [(e.kind.value, e.volunteer_id) for e in one.events(after=4)]
    assert kinds[:3] == [("expired", "v1"), ("expired", "v2"), ("expired", "v1")]
    state = one.state(as_of=day(9))
    assert (
        set(state.open_offers) == {("v1", "n1")}
        and state.open_offers["v1", "n1"].round == 2
    )


def test_round_re_offers_a_pair_the_need_withdrew(one: Ledger) -> None:
    one.withdraw("v1", "n1", by="need", reason="paused", at=day(1))
    one.record_round([offer("v1", "n1")], at=day(2))
    assert one.state(as_of=day(3)).status_of("v1", "n1") == "open"


# ---- decisions ---------------------------------------------------------------------------


def test_accept_records_a_placement_and_is_idempotent(one: Ledger) -> None:
    first = one.accept("v1", "n1", at=day(1))
    n = len(one)
    again = one.accept("v1", "n1", at=day(2))
    assert again == first and len(one) == n
    assert first.kind is mk.EventKind.ACCEPTED and first.round == 1
    state = one.state(as_of=day(2))
    assert state.placements == {("v1", "n1")} and state.free_capacity("n1") == 0


def test_reject_is_final_and_idempotent(one: Ledger) -> None:
    first = one.reject("v1", "n1", at=day(1), reason="too far")
    n = len(one)
    assert one.reject("v1", "n1", at=day(2)) == first and len(one) == n
    assert first.payload == {"reason": "too far"}
    state = one.state(as_of=day(2))
    assert ("v1", "n1") in state.rejected and ("v1", "n1") in state.excluded


def _expire_recorded(led: Ledger) -> None:
    led.expire(day(7))


def _withdrawn_by_need(led: Ledger) -> None:
    led.withdraw("v1", "n1", by="need", at=day(1))


@pytest.mark.parametrize(
    ("setup", "verb", "pair", "at", "message"),
    [
        (
            _nothing,
            "accept",
            ("v9", "n1"),
            1,
            r"unknown volunteer 'v9' \(never offered in this ledger\)",
        ),
        (_nothing, "accept", ("v1", "n9"), 1, r"unknown need 'n9' \(never offered"),
        (_nothing, "reject", ("v8", "n9"), 1, "unknown volunteer 'v8' and need 'n9'"),
        (_nothing, "accept", ("v2", "n2"), 1, "this pair was never offered"),
        (_nothing, "accept", ("", "n1"), 1, "volunteer_id must be a non-empty string"),
        (
            _nothing,
            "accept",
            ("v1", "n1"),
            7,
            "the offer expired at 2026-03-09T09:00:00.000000Z",
        ),
        (_nothing, "reject", ("v1", "n1"), -1, "before the offer was made"),
        (
            _expire_recorded,
            "accept",
            ("v1", "n1"),
            8,
            "expired at .*a later round may offer it again",
        ),
        (
            _withdrawn_by_need,
            "accept",
            ("v1", "n1"),
            2,
            "the offer was withdrawn by the need",
        ),
        (
            _placed,
            "reject",
            ("v1", "n1"),
            2,
            "it is an accepted placement; withdraw it instead",
        ),
        (
            _rejected,
            "accept",
            ("v1", "n1"),
            2,
            "the volunteer rejected it; a rejection is final",
        ),
        (_rejected, "withdraw", ("v1", "n1"), 2, "the volunteer rejected it"),
        (
            _need_full,
            "accept",
            ("v1", "n1"),
            2,
            r"the need is full \(1 of 1 places taken by v2\)",
        ),
        (
            _placed,
            "accept",
            ("v1", "n2"),
            2,
            r"already has 1 of 1 placements \(n1\); withdraw one first",
        ),
        (_nothing, "accept", ("v1", "n1"), -1, "before the offer was made"),
        (_need_closed, "accept", ("v1", "n1"), 1, "the need is 'closed' since"),
    ],
)
def test_invalid_decision_is_refused_and_writes_nothing(
    one: Ledger, setup: Any, verb: str, pair: tuple[str, str], at: int, message: str
) -> None:
    setup(one)
    n_before = len(one)
    kwargs: dict[str, Any] = {"at": day(at)}
    if verb == "withdraw":
        kwargs["by"] = "volunteer"
    with pytest.raises(DecisionError, match=message):
        getattr(one, verb)(*pair, **kwargs)
    assert len(one) == n_before


def test_over_max_placements_counts_only_live_placements(ledger: Ledger) -> None:
    ledger.record_round(
        [offer("v1", "n1", maxp=1), offer("v1", "n2", maxp=1)], at=day(0)
    )
    ledger.accept("v1", "n1", at=day(1))
    with pytest.raises(DecisionError, match="withdraw one first"):
        ledger.accept("v1", "n2", at=day(1))
    ledger.withdraw("v1", "n1", by="volunteer", at=day(2))
    ledger.accept("v1", "n2", at=day(3))
    assert ledger.state(as_of=day(3)).placements == {("v1", "n2")}


def test_withdrawing_a_placement_frees_its_place(one: Ledger) -> None:
    one.accept("v1", "n1", at=day(1))
    ended = one.withdraw("v1", "n1", by="organisation", reason="need paused", at=day(2))
    assert ended.payload == {
        "by": "organisation",
        "ended": "placement",
        "reason": "need paused",
    }
    assert one.withdraw("v1", "n1", by="organisation") == ended  # idempotent
    one.accept("v2", "n1", at=day(3))
    state = one.state(as_of=day(3))
    assert state.placements == {("v2", "n1")}
    assert state.withdrawn == {("v1", "n1"): "organisation"}
    assert ("v1", "n1") not in state.excluded


def test_withdrawing_an_open_offer_by_the_volunteer_excludes_the_pair(
    one: Ledger,
) -> None:
    ended = one.withdraw("v2", "n1", by="volunteer", at=day(1))
    assert ended.payload["ended"] == "offer"
    assert ("v2", "n1") in one.state(as_of=day(1)).excluded


def test_withdraw_needs_a_known_party(one: Ledger) -> None:
    with pytest.raises(
        UnknownMethodError, match="'by' parameter of Ledger.withdraw must be one of"
    ):
        one.withdraw("v1", "n1", by="nobody", at=day(1))


def test_expire_marks_due_offers_once(one: Ledger) -> None:
    one.accept("v1", "n1", at=day(1))
    assert one.expire(day(6)) == 0
    assert one.expire(day(7)) == 2  # v2/n1 and v1/n2; the placement does not expire
    assert one.expire(day(30)) == 0
    state = one.state(as_of=day(30))
    assert state.expired == {("v2", "n1"), ("v1", "n2")} and state.placements == {
        ("v1", "n1")
    }
    assert state.round_counts[1] == {"offered": 3, "accepted": 1, "expired": 2}


def test_state_counts_an_overdue_offer_as_expired_before_it_is_recorded(
    one: Ledger,
) -> None:
    assert set(one.state(as_of=day(6)).open_offers) == {
        ("v1", "n1"),
        ("v2", "n1"),
        ("v1", "n2"),
    }
    late = one.state(as_of=day(7))
    assert not late.open_offers and len(late.expired) == 3


# ---- the state ---------------------------------------------------------------------------


def test_state_budgets_and_counts(ledger: Ledger) -> None:
    ledger.record_round(
        [offer("v1", "n1"), offer("v1", "n2"), offer("v2", "n1")], at=day(0)
    )
    ledger.reject("v1", "n2", at=day(1))
    ledger.record_round([offer("v1", "n3"), offer("v3", "n3")], at=day(8), ttl_days=14)
    state = ledger.state(as_of=day(9))
    assert state.open_offers_per_volunteer == {"v1": 1, "v3": 1}
    assert state.open_offers_per_need == {"n3": 2}
    assert state.offers_since("v1", day(7)) == 1
    assert state.offers_since("v1", day(0)) == 3 and state.offers_since("v1") == 3
    assert state.offers_since(None, day(7)) == 2 and state.offers_since() == 5
    assert [(r.number, r.n_offers, r.ttl_days) for r in state.rounds] == [
        (1, 3, 7),
        (2, 2, 14),
    ]
    assert state.round_counts == {
        1: {"offered": 3, "rejected": 1, "expired": 2},
        2: {"offered": 2},
    }
    assert (
        state.status_of("v1", "n2") == "rejected"
        and state.status_of("v9", "n9") is None
    )
    assert state.open_offers["v3", "n3"].expires_at == day(22)
    assert state.free_capacity("n1") == 1 and state.free_capacity("n9") is None


def test_state_keeps_each_offer_with_its_extra(ledger: Ledger) -> None:
    ledger.record_round(
        [
            offer("v1", "n1", rank=0, extra={"group": "n1"}),
            offer("v1", "n2", rank=1, shortlist=True, extra={"group": "n1"}),
        ],
        at=day(0),
    )
    ledger.accept("v1", "n2", at=day(1))
    state = ledger.state(as_of=day(2))
    assert state.accepted_offers["v1", "n2"].extra == {"group": "n1"}
    assert (
        state.accepted_offers["v1", "n2"].shortlist
        and state.accepted_offers["v1", "n2"].rank == 1
    )
    assert state.open_offers["v1", "n1"] == mk.OpenOffer(
        "v1", "n1", 1, day(0), day(7), 0.5, 0, False, {"group": "n1"}
    )


def test_offers_of_one_group_read_equal_extras_that_cannot_be_changed(
    tmp_path: Path,
) -> None:
    """Offers sharing a group get equal read-only extras, live and after a replay; an
    extra that is not text, or has other keys, stays the offer's own."""
    path = tmp_path / "groups.sqlite"
    extras = [{"group": "n1"}, {"group": "n1"}, {"group": 7}, {"group": "n1", "k": 1}]
    with Ledger(path) as led:
        led.record_round(
            [offer(f"v{i}", "n1", cap=4, extra=e) for i, e in enumerate(extras)], at=day(0)
        )
        live = led.state(as_of=day(1)).open_offers
    with Ledger(path) as again:
        replayed = again.state(as_of=day(1)).open_offers
    for state in (live, replayed):
        assert [dict(state[f"v{i}", "n1"].extra) for i in range(4)] == extras
        with pytest.raises(TypeError):
            state["v0", "n1"].extra["group"] = "n2"  # type: ignore[index]
    assert dict(live["v1", "n1"].extra) == {"group": "n1"}


def test_a_volunteer_accepts_one_offer_of_a_proposal_and_its_alternatives(
    ledger: Ledger,
) -> None:
    # v1 may hold two placements; n1 comes with the alternative n2, and n3 is a second
    # proposal. Taking n1 and then n2 as well would leave n3 open with no place for it.
    group = {"group": "n1"}
    ledger.record_round(
        [
            offer("v1", "n1", maxp=2, rank=0, extra=group),
            offer("v1", "n2", maxp=2, rank=1, shortlist=True, extra=group),
            offer("v1", "n3", maxp=2, rank=0, extra={"group": "n3"}),
            offer("v2", "n2", maxp=2, rank=0),  # no group: each offer is its own
        ],
        at=day(0),
    )
    ledger.accept("v1", "n1", at=day(1))
    n_events = len(list(ledger.events()))
    with pytest.raises(DecisionError, match=r"already accepted 'n1'.*group 'n1'.*withdraw 'n1'"):
        ledger.accept("v1", "n2", at=day(1))
    assert len(list(ledger.events())) == n_events  # nothing written
    assert ledger.state(as_of=day(1)).status_of("v1", "n2") == "open"
    ledger.accept("v1", "n3", at=day(1))  # another proposal: fine
    ledger.accept("v2", "n2", at=day(1))
    # Once n1 is given up, its alternative may be taken instead.
    ledger.withdraw("v1", "n1", by="volunteer", at=day(2))
    with pytest.raises(DecisionError, match="full"):  # (v2 holds n2's one place)
        ledger.accept("v1", "n2", at=day(2))
    ledger.withdraw("v2", "n2", by="volunteer", at=day(2))
    ledger.accept("v1", "n2", at=day(3))
    assert ledger.state(as_of=day(3)).placements == {("v1", "n2"), ("v1", "n3")}


def test_state_is_immutable(one: Ledger) -> None:
    state = one.state(as_of=day(1))
    with pytest.raises(AttributeError, match="cannot assign"):
        state.placements = frozenset()  # type: ignore[misc]
    with pytest.raises(TypeError, match="does not support item assignment"):
        state.open_offers["x", "y"] = None  # type: ignore[index]


# ---- need lifecycle ----------------------------------------------------------------------


def test_need_walks_its_lifecycle(ledger: Ledger) -> None:
    ledger.record_need_transition(
        "n1", "idea", by="org1", reason="proposed by residents", at=day(0)
    )
    ledger.record_need_transition(
        "n1", mk.NeedStatus.VETTED, by="org2", reason="legal, useful", at=day(1)
    )
    ledger.record_need_transition("n1", "open", by="org1", reason="ready", at=day(2))
    history = [
        (e.payload["from"], e.payload["to"], e.payload["by"])
        for e in ledger.events(need_id="n1")
    ]
    assert history == [
        (None, "idea", "org1"),
        ("idea", "vetted", "org2"),
        ("vetted", "open", "org1"),
    ]
    assert ledger.state(as_of=day(3)).need_status == {"n1": mk.NeedStatus.OPEN}
    n = len(ledger)
    assert (
        ledger.record_need_transition("n1", "open", by="org1", reason="again").payload[
            "to"
        ]
        == "open"
    )
    assert len(ledger) == n


@pytest.mark.parametrize(
    ("steps", "to", "kwargs", "message"),
    [
        (
            [],
            "open",
            {},
            r"has no recorded status; it cannot move to 'open'. Allowed next: idea",
        ),
        (
            ["idea"],
            "open",
            {},
            r"is 'idea'; it cannot move to 'open'. Allowed next: closed, vetted",
        ),
        (["idea", "closed"], "idea", {}, r"Allowed next: none \(closed is final\)"),
        (
            ["idea"],
            "vetted",
            {"from_status": "open"},
            "from_status='open' but the ledger says it is 'idea'",
        ),
    ],
)
def test_need_transition_out_of_order_is_refused(
    ledger: Ledger, steps: list[str], to: str, kwargs: dict[str, Any], message: str
) -> None:
    for s in steps:
        ledger.record_need_transition("n1", s, by="org1", reason="step")
    n = len(ledger)
    with pytest.raises(DecisionError, match=message):
        ledger.record_need_transition("n1", to, by="org1", reason="try", **kwargs)
    assert len(ledger) == n


@pytest.mark.parametrize(
    ("to", "by", "reason", "message"),
    [
        ("opened", "org1", "x", "to_status must be one of 'idea'"),
        ("idea", " ", "x", "by must name who decided"),
        ("idea", "org1", "", "reason must say why"),
    ],
)
def test_need_transition_arguments_are_checked(
    ledger: Ledger, to: str, by: str, reason: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ledger.record_need_transition("n1", to, by=by, reason=reason)


def test_need_from_the_dataset_starts_at_its_status(ledger: Ledger) -> None:
    ev = ledger.record_need_transition(
        "n1", "closed", by="org1", reason="filled", from_status="open"
    )
    assert ev.payload["from"] == "open"


# ---- events, export, replay --------------------------------------------------------------


def test_events_filter(one: Ledger) -> None:
    one.accept("v1", "n1", at=day(1))
    assert [e.volunteer_id for e in one.events(kind="offered", need_id="n1")] == [
        "v1",
        "v2",
    ]
    assert [e.kind.value for e in one.events(volunteer_id="v1", need_id="n1")] == [
        "offered",
        "accepted",
    ]
    assert [e.seq for e in one.events(after=3)] == [4, 5]
    assert len(list(one.events(round=1))) == 5


def test_export_jsonl_replays_to_the_same_state(one: Ledger, tmp_path: Path) -> None:
    one.accept("v1", "n1", at=day(1))
    one.record_need_transition(
        "n1", "closed", by="org1", reason="filled", from_status="open", at=day(2)
    )
    path = tmp_path / "events.jsonl"
    assert one.export_jsonl(path) == len(one) == 6
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {
        "format": "matchkit-ledger-events",
        "schema_version": 1,
        "n_events": 6,
    }
    assert (
        json.loads(lines[1])["kind"] == "round"
        and json.loads(lines[1])["at"] == "2026-03-02T09:00:00.000000Z"
    )
    assert Ledger.replay(path, as_of=day(3)) == one.state(as_of=day(3))
    assert Ledger.replay(one.events(), as_of=day(3)) == one.state(as_of=day(3))
    assert [p.name for p in tmp_path.iterdir()] == [
        "events.jsonl"
    ]  # no temporary file left


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (
            lambda lines: ['{"hello": 1}', *lines[1:]],
            "line 1: not a matchkit ledger export header",
        ),
        (
            lambda lines: lines[:-1],
            "the header says 4 events, found 3; the file is incomplete",
        ),
        (lambda lines: [*lines[:2], "{not json", *lines[3:]], "line 3: not JSON"),
        (
            lambda lines: [*lines[:2], '{"seq": 2, "kind": "hugged"}', *lines[3:]],
            "line 3: not a ledger event",
        ),
        (
            lambda lines: [
                lines[0].replace('"schema_version": 1', '"schema_version": 9'),
                *lines[1:],
            ],
            "schema version 9",
        ),
    ],
)
def test_replay_refuses_a_damaged_export(
    one: Ledger, tmp_path: Path, mangle: Any, message: str
) -> None:
    path = tmp_path / "events.jsonl"
    one.export_jsonl(path)
    path.write_text("\n".join(mangle(path.read_text().splitlines())) + "\n")
    with pytest.raises(InvalidInputError, match=message):
        Ledger.replay(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-02T09:00:00Z", T0),
        ("2026-03-02T12:00:00+03:00", T0),
        (datetime(2026, 3, 2, 9), T0),
        ("2026-03-02", T0 - timedelta(hours=9)),
    ],
)
def test_times_are_read_as_utc(ledger: Ledger, value: Any, expected: datetime) -> None:
    ledger.record_round([offer("v1", "n1")], at=value)
    assert next(ledger.events()).at == expected


def test_bad_time_is_refused(ledger: Ledger) -> None:
    with pytest.raises(
        InvalidInputError, match="at='next tuesday' is not an ISO 8601 date or time"
    ):
        ledger.record_round([], at="next tuesday")


# ---- stateful property test: the ledger against a plain model ----------------------------

VOLUNTEERS = ("v0", "v1", "v2")
NEEDS = ("n0", "n1")
PAIRS = [(v, n) for v in VOLUNTEERS for n in NEEDS]
CAPACITY = {"n0": 1, "n1": 2}
MAX_PLACEMENTS = {"v0": 1, "v1": 2, "v2": 1}


class LedgerMachine(RuleBasedStateMachine):
    """Random rounds and decisions; the ledger must agree with a dict-of-pairs model."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger(":memory:")
        self.now = 0  # days since T0
        # pair -> [status, expires_day, by]
        self.model: dict[tuple[str, str], list[Any]] = {}
        self.ever_accepted: set[tuple[str, str]] = set()

    def teardown(self) -> None:
        self.ledger.close()

    def status(self, pair: tuple[str, str]) -> str | None:
        rec = self.model.get(pair)
        if rec is None:
            return None
        if rec[0] == "open" and rec[1] <= self.now:
            return "expired"
        return str(rec[0])

    def placed(self) -> set[tuple[str, str]]:
        return {p for p in self.model if self.status(p) == "accepted"}

    def full(self, v: str, n: str) -> bool:
        placed = self.placed()
        return (
            sum(1 for _, m in placed if m == n) >= CAPACITY[n]
            or sum(1 for w, _ in placed if w == v) >= MAX_PLACEMENTS[v]
        )

    def check_refused(self, call: Any) -> None:
        n = len(self.ledger)
        with pytest.raises(DecisionError, match="cannot|offer"):
            call()
        assert len(self.ledger) == n

    def pick(self, data: st.DataObject) -> tuple[str, str]:
        """Mostly a pair the ledger knows (so decisions often succeed), sometimes any pair."""
        known = sorted(self.model)
        if known and data.draw(st.integers(0, 3)) > 0:
            return data.draw(st.sampled_from(known))
        return data.draw(st.sampled_from(PAIRS))

    @rule(
        pairs=st.lists(st.sampled_from(PAIRS), unique=True, min_size=1, max_size=4),
        ttl=st.integers(1, 4),
        keep_forbidden=st.integers(0, 3),
    )
    def make_round(
        self, pairs: list[tuple[str, str]], ttl: int, keep_forbidden: int
    ) -> None:
        def forbidden(p: tuple[str, str]) -> bool:
            rec, s = self.model.get(p), self.status(p)
            by_volunteer = (
                s == "withdrawn" and rec is not None and rec[2] == "volunteer"
            )
            return (
                s in ("open", "accepted", "rejected") or by_volunteer or self.full(*p)
            )

        if (
            keep_forbidden > 0
        ):  # one round in four keeps forbidden offers, to see them refused
            pairs = [p for p in pairs if not forbidden(p)]

        offers = [
            offer(v, n, cap=CAPACITY[n], maxp=MAX_PLACEMENTS[v]) for v, n in pairs
        ]
        call = lambda: self.ledger.record_round(offers, at=day(self.now), ttl_days=ttl)
        if any(forbidden(p) for p in pairs):
            self.check_refused(call)
            return
        call()
        for p, rec in self.model.items():
            if self.status(p) == "expired":
                rec[0] = "expired"
        for p in pairs:
            self.model[p] = ["open", self.now + ttl, None]

    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        pair = self.pick(data)
        s = self.status(pair)
        call = lambda: self.ledger.accept(*pair, at=day(self.now))
        if s == "accepted":
            n = len(self.ledger)
            call()
            assert len(self.ledger) == n
        elif s != "open" or self.full(*pair):
            self.check_refused(call)
        else:
            call()
            self.model[pair][0] = "accepted"
            self.ever_accepted.add(pair)

    @precondition(lambda self: any(self.status(p) == "open" for p in self.model))
    @rule(data=st.data())
    def accept_an_open_offer(self, data: st.DataObject) -> None:
        pair = data.draw(
            st.sampled_from(sorted(p for p in self.model if self.status(p) == "open"))
        )
        call = lambda: self.ledger.accept(*pair, at=day(self.now))
        if self.full(*pair):
            self.check_refused(call)
        else:
            call()
            self.model[pair][0] = "accepted"
            self.ever_accepted.add(pair)

    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        pair = self.pick(data)
        s = self.status(pair)
        call = lambda: self.ledger.reject(*pair, at=day(self.now))
        if s == "rejected" or (s == "withdrawn" and self.model[pair][2] == "volunteer"):
            n = len(self.ledger)  # (final already: nothing is written)
            call()
            assert len(self.ledger) == n
        elif s not in ("open", "expired", "withdrawn"):
            self.check_refused(call)
        else:  # (a late "no" counts too)
            call()
            self.model[pair][0] = "rejected"

    @rule(data=st.data(), by=st.sampled_from(["volunteer", "need", "organisation"]))
    def withdraw(self, data: st.DataObject, by: str) -> None:
        pair = self.pick(data)
        s = self.status(pair)
        call = lambda: self.ledger.withdraw(*pair, by=by, at=day(self.now))
        if s == "withdrawn":
            n = len(self.ledger)
            call()
            assert len(self.ledger) == n
        elif s not in ("open", "accepted"):
            self.check_refused(call)
        else:
            call()
            self.model[pair][0:3:2] = ["withdrawn", by]

    @rule()
    def expire(self) -> None:
        due = [
            p
            for p in self.model
            if self.model[p][0] == "open" and self.status(p) == "expired"
        ]
        assert self.ledger.expire(day(self.now)) == len(due)
        for p in due:
            self.model[p][0] = "expired"

    @precondition(lambda self: self.now < 30)
    @rule(days=st.integers(1, 2))
    def wait(self, days: int) -> None:
        self.now += days

    @invariant()
    def agrees_with_the_model(self) -> None:
        state = self.ledger.state(as_of=day(self.now))
        by_status: dict[str | None, set[tuple[str, str]]] = {}
        for p in self.model:
            by_status.setdefault(self.status(p), set()).add(p)
        assert state.placements == by_status.get("accepted", set())
        assert set(state.open_offers) == by_status.get("open", set())
        assert state.rejected == by_status.get("rejected", set())
        assert set(state.withdrawn) == by_status.get("withdrawn", set())
        assert state.expired == by_status.get("expired", set())
        # The live state (fed rounds as they were written) equals a replay of the log.
        replayed = replay_events(list(self.ledger.events()), as_of=day(self.now))
        assert state == replayed
        assert state._offer_times == replayed._offer_times  # not compared by ==; budgets read it
        self.capacities_hold_and_decisions_stick(state)

    def capacities_hold_and_decisions_stick(self, state: mk.LedgerState) -> None:
        for n, k in state.placements_per_need.items():
            assert k <= CAPACITY[n]
        for v, k in state.placements_per_volunteer.items():
            assert k <= MAX_PLACEMENTS[v]
        # an acceptance is only ever ended by an explicit withdrawal
        for v, n in self.ever_accepted - state.placements:
            seqs = {"accepted": 0, "withdrawn": 0}
            for e in self.ledger.events(volunteer_id=v, need_id=n):
                if e.kind.value in seqs:
                    seqs[e.kind.value] = e.seq
            assert seqs["withdrawn"] > seqs["accepted"] > 0
        # a rejected pair has never been offered again
        offered_after = {
            (e.volunteer_id, e.need_id)
            for e in self.ledger.events(kind="offered")
            if (e.volunteer_id, e.need_id) in state.rejected
            and e.seq
            > max(
                r.seq
                for r in self.ledger.events(
                    kind="rejected", volunteer_id=e.volunteer_id, need_id=e.need_id
                )
            )
        }
        assert not offered_after


TestLedgerMachine = LedgerMachine.TestCase


# ---- command line ------------------------------------------------------------------------


@pytest.fixture
def ledger_path(tmp_path: Path) -> str:
    path = tmp_path / "m.sqlite"
    with Ledger(path) as led:
        led.record_round(
            [offer("v1", "n1"), offer("v2", "n1"), offer("v3", "n2")], at=day(0)
        )
    return str(path)


def test_cli_decide_records_and_is_idempotent(
    ledger_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    at = ["--at", day(1).isoformat()]
    assert cli(["decide", "--ledger", ledger_path, "--accept", "v1", "n1", *at]) == 0
    assert capsys.readouterr().out == "accepted v1 / n1 (round 1, event 5)\n"
    assert cli(["decide", "--ledger", ledger_path, "--accept", "v1", "n1", *at]) == 0
    assert "nothing written" in capsys.readouterr().out
    assert (
        cli(
            [
                "decide",
                "--ledger",
                ledger_path,
                "--reject",
                "v3",
                "n2",
                "--reason",
                "far",
                *at,
            ]
        )
        == 0
    )
    assert (
        cli(
            [
                "decide",
                "--ledger",
                ledger_path,
                "--withdraw",
                "v2",
                "n1",
                "--by",
                "need",
                *at,
            ]
        )
        == 0
    )
    with Ledger(ledger_path) as led:
        state = led.state(as_of=day(2))
    assert state.placements == {("v1", "n1")} and state.rejected == {("v3", "n2")}
    assert state.withdrawn == {("v2", "n1"): "need"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--accept", "v9", "n1"],
            "matchkit decide: refused: cannot accept volunteer 'v9' / need 'n1': unknown",
        ),
        (["--reject", "v2", "n2"], "this pair was never offered"),
    ],
)
def test_cli_decide_refusal_exits_1_and_writes_nothing(
    ledger_path: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert (
        cli(["decide", "--ledger", ledger_path, *argv, "--at", day(1).isoformat()]) == 1
    )
    assert message in capsys.readouterr().err
    with Ledger(ledger_path) as led:
        assert len(led) == 4


def test_cli_needs_an_existing_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "none.sqlite")
    assert cli(["decide", "--ledger", missing, "--accept", "v1", "n1"]) == 1
    assert cli(["status", "--ledger", missing]) == 1
    assert capsys.readouterr().err.count("no such file") == 2
    assert not Path(missing).exists()


@pytest.mark.parametrize("command", ["propose", "match"])
def test_cli_round_with_something_that_is_not_a_ledger_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    mk.save_dataset(mk.datasets.tiny_city(), tmp_path / "city")
    for bad in (tmp_path / "city" / "volunteers.csv", tmp_path / "city"):
        argv = [command, str(tmp_path / "city"), "--ledger", str(bad), "--as-of", "2026-09-01",
                "-o", str(tmp_path / "p.csv")]
        assert cli(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert str(bad.name) in err
    assert not (tmp_path / "p.csv").exists()


def test_cli_status_prints_the_state(
    ledger_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(
        [
            "decide",
            "--ledger",
            ledger_path,
            "--accept",
            "v1",
            "n1",
            "--at",
            day(1).isoformat(),
        ]
    )
    cli(
        [
            "decide",
            "--ledger",
            ledger_path,
            "--reject",
            "v3",
            "n2",
            "--at",
            day(1).isoformat(),
        ]
    )
    capsys.readouterr()
    assert cli(["status", "--ledger", ledger_path, "--as-of", day(2).isoformat()]) == 0
    out = capsys.readouterr().out
    assert "placements: 1\n  v1 -> n1\n" in out
    assert "open offers: 1\n  v2 -> n1 (round 1, expires 2026-03-09 09:00)\n" in out
    assert "exclusions (never offered again): 1\n  v3 -> n2 (rejected)\n" in out
    assert out.rstrip().endswith(
        "1  2026-03-02          3          1          1          0          0"
    )
    assert (
        cli(
            ["status", "--ledger", ledger_path, "--as-of", day(2).isoformat(), "--json"]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["placements"] == [["v1", "n1"]] and doc["excluded"] == [["v3", "n2"]]
    assert doc["rounds"] == [
        {
            "round": 1,
            "at": "2026-03-02T09:00:00+00:00",
            "offered": 3,
            "accepted": 1,
            "rejected": 1,
        }
    ]


def test_replay_reads_a_hand_written_export_with_other_time_zones(
    tmp_path: Path,
) -> None:
    lines = [
        {"format": "matchkit-ledger-events", "schema_version": 1, "n_events": 3},
        {
            "seq": 1,
            "at": "2026-03-02T12:00:00+03:00",
            "kind": "round",
            "round": 1,
            "payload": {"n_offers": 1, "ttl_days": 7},
        },
        {
            "seq": 2,
            "at": "2026-03-02T12:00:00+03:00",
            "kind": "offered",
            "round": 1,
            "volunteer_id": "v1",
            "need_id": "n1",
            "payload": {
                "score": 1,
                "capacity": 1,
                "max_placements": 1,
                "expires_at": "2026-03-09T12:00:00+03:00",
            },
        },
        {
            "seq": 3,
            "at": "2026-03-03",
            "kind": "accepted",
            "round": 1,
            "volunteer_id": "v1",
            "need_id": "n1",
        },
    ]
    path = tmp_path / "by-hand.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    state = Ledger.replay(path, as_of=day(1))
    assert state.placements == {("v1", "n1")} and state.rounds[0].at == T0
    assert (
        Ledger.read_jsonl(path)[1].payload["expires_at"]
        == "2026-03-09T09:00:00.000000Z"
    )


def test_a_path_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidInputError, match="cannot open ledger|is not a matchkit ledger"
    ):
        Ledger(tmp_path / "no-such-folder" / "m.sqlite")


def test_batch_commits_every_decision_at_once_and_keeps_each_all_or_nothing(tmp_path) -> None:
    path = tmp_path / "batch.sqlite"
    with Ledger(path) as ledger:
        ledger.record_round(
            [Offer(volunteer_id=v, need_id="n1", score=1.0, capacity=2, max_placements=1)
             for v in ("v1", "v2", "v3")],
            at="2026-03-01",
        )
        n_before = len(ledger)
        with ledger.batch():
            ledger.accept("v1", "n1", at="2026-03-02")
            ledger.accept("v2", "n1", at="2026-03-02")
            with pytest.raises(DecisionError, match="the need is full"):
                ledger.accept("v3", "n1", at="2026-03-02")
            ledger.reject("v3", "n1", at="2026-03-02")
        assert len(ledger) == n_before + 3
    with Ledger(path) as again:  # committed to disk
        state = again.state(as_of="2026-03-03")
        assert sorted(state.placements) == [("v1", "n1"), ("v2", "n1")]
        assert state.rejected == frozenset({("v3", "n1")})


def test_batch_writes_nothing_when_an_error_escapes_it() -> None:
    ledger = Ledger(":memory:")
    ledger.record_round(
        [Offer(volunteer_id="v1", need_id="n1", score=1.0, capacity=1, max_placements=1)],
        at="2026-03-01",
    )
    n_before = len(ledger)
    assert ledger.state(as_of="2026-03-01T12:00:00+00:00").open_offers
    with pytest.raises(RuntimeError, match="stop"), ledger.batch():
        ledger.accept("v1", "n1", at="2026-03-02")
        ledger.state(as_of="2026-03-02T12:00:00+00:00")  # read inside the batch
        raise RuntimeError("stop")
    assert len(ledger) == n_before
    state = ledger.state(as_of="2026-03-02T13:00:00+00:00")
    assert state.placements == frozenset()
    ledger.reject("v1", "n1", at="2026-03-02T14:00:00+00:00")
    assert ledger.state(as_of="2026-03-03").rejected == frozenset({("v1", "n1")})


# ---- the live state of an open ledger ----------------------------------------------------


def test_live_state_after_rounds_equals_a_replay_of_the_file(tmp_path: Path) -> None:
    """A round's offers are handed to the open ledger's state without being read back;
    that state must equal what a fresh replay of the file gives, extras included (also
    extras that JSON does not return as they were given, such as tuples)."""
    path = tmp_path / "live.sqlite"
    extras = [{"group": "n1"}, {"group": "n1", "tags": ("a", "b")}, {}, {"note": None}]
    with Ledger(path) as led:
        led.record_round(
            [offer(f"v{i}", "n1", cap=4, extra=e) for i, e in enumerate(extras)], at=day(0)
        )
        led.reject("v0", "n1", at=day(1))
        led.record_round([offer("v0", "n2", score=0.25)], at=day(2))
        led.accept("v0", "n2", at=day(3))
        led.record_round([], at=day(4))
        live = led.state(as_of=day(5))
    with Ledger(path) as again:
        replayed = again.state(as_of=day(5))
    assert live == replayed
    assert live.open_offers["v1", "n1"].extra == {"group": "n1", "tags": ["a", "b"]}
    assert live.open_offers == replayed.open_offers
    assert live.accepted_offers == replayed.accepted_offers
    assert live.rounds == replayed.rounds and live.round_counts == replayed.round_counts


def test_state_is_reused_until_something_is_recorded(one: Ledger) -> None:
    first = one.state(as_of=day(1))
    assert one.state(as_of=day(1)) is first
    assert one.state(as_of=day(1.5)) is not first
    one.accept("v1", "n1", at=day(1))
    after = one.state(as_of=day(1.5))
    assert after.placements == {("v1", "n1")} and first.placements == frozenset()


def test_a_round_that_fails_to_commit_leaves_no_trace_in_the_live_state() -> None:
    """A round inside a batch that is rolled back: its offers were fed to the live state
    before the commit; the state must forget them."""
    ledger = Ledger(":memory:")
    with pytest.raises(RuntimeError, match="stop"), ledger.batch():
        ledger.record_round([offer("v1", "n1")], at=day(0))
        assert ledger.state(as_of=day(0.5)).open_offers
        raise RuntimeError("stop")
    state = ledger.state(as_of=day(0.5))
    assert state.open_offers == {} and state.rounds == () and len(ledger) == 0
    assert ledger.record_round([offer("v1", "n1")], at=day(1)) == 1


def test_live_extras_keep_the_key_order_of_a_replay(tmp_path: Path) -> None:
    path = tmp_path / "order.sqlite"
    with Ledger(path) as led:
        led.record_round([offer("v1", "n1", extra={"z": 1, "a": 2})], at=day(0))
        live = list(led.state(as_of=day(1)).open_offers["v1", "n1"].extra)
    with Ledger(path) as again:
        assert list(again.state(as_of=day(1)).open_offers["v1", "n1"].extra) == live == ["a", "z"]


def test_a_refused_round_keeps_the_live_state(one: Ledger) -> None:
    one.state(as_of=day(0.5))
    live = one._replayer
    with pytest.raises(DecisionError):
        one.record_round([offer("v1", "n1")], at=day(0.5))  # already open
    assert one._replayer is live and live.n_events == len(one)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_expire_writes_exactly_the_overdue_open_offers_in_log_order(data: st.DataObject) -> None:
    # Rounds with several time-to-live values, decisions in between, then expiry at some
    # day: the expired events are the offers whose pair's latest event is the offer and
    # whose expiry has come, in the order the offers were made (from the log itself).
    vols, needs = ["v1", "v2", "v3"], ["n1", "n2"]
    ledger = Ledger(":memory:")
    for r in range(data.draw(st.integers(1, 4))):
        pairs = data.draw(
            st.lists(st.sampled_from([(v, n) for v in vols for n in needs]), unique=True, max_size=4)
        )
        state = ledger.state(as_of=day(2 * r))
        fresh = [p for p in pairs if p not in state.open_offers and p not in state.placements
                 and p not in state.excluded]
        ledger.record_round(
            [Offer(volunteer_id=v, need_id=n, score=0.5, capacity=3, max_placements=3)
             for v, n in fresh],
            at=day(2 * r), ttl_days=data.draw(st.sampled_from([1, 3, 7])),
        )
        for v, n in fresh:
            if data.draw(st.booleans()):
                ledger.reject(v, n, at=day(2 * r))
    when = day(data.draw(st.integers(0, 12)))
    latest: dict[tuple[str, str], mk.LedgerEvent] = {}
    for e in ledger.events():
        if e.volunteer_id is not None and e.need_id is not None:
            latest[(e.volunteer_id, e.need_id)] = e
    cut = parse_time(when)
    want = sorted(
        (e.seq, e.volunteer_id, e.need_id)
        for e in latest.values()
        if e.kind.value == "offered" and parse_time(e.payload["expires_at"]) <= cut
    )
    before = max((e.seq for e in ledger.events()), default=0)
    assert ledger.expire(when) == len(want)
    written = [(e.volunteer_id, e.need_id) for e in ledger.events(after=before)]
    assert written == [(v, n) for _, v, n in want]
    assert all(e.kind.value == "expired" for e in ledger.events(after=before))


def test_a_backup_restored_under_an_open_ledger_is_read_again_before_writing(
    tmp_path: Path,
) -> None:
    # Ledger `a` has read four events; the file is then replaced by an older copy, and
    # another process writes until the file has four events again (different ones). What
    # `a` writes next (expiries, the round's number) must follow the file, not what it
    # read before.
    path, backup = tmp_path / "ledger.sqlite", tmp_path / "backup.sqlite"
    a = Ledger(path)
    a.record_round([offer("v1", "n1", cap=3, maxp=3)], at=day(0), ttl_days=7)
    with sqlite3.connect(path) as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    a.record_round([offer("v2", "n1", cap=3, maxp=3)], at=day(1), ttl_days=1)
    assert ("v2", "n1") in a.state(as_of=day(1)).open_offers
    with sqlite3.connect(backup) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    with Ledger(path) as b:
        b.accept("v1", "n1", at=day(2))
        b.record_round([], at=day(3))
    assert a.expire(day(10)) == 0  # v1/n1 is a placement now; v2/n1 was never offered here
    assert a.record_round([], at=day(11)) == 3  # rounds 1 and 2 are in the file
    a.close()
    fresh = Ledger(path)
    assert fresh.state(as_of=day(11)).placements == {("v1", "n1")}
    assert [e.round for e in fresh.events(kind="round")] == [1, 2, 3]
    fresh.close()


@pytest.mark.parametrize(
    "value", [True, False, None, 0, 1, 0.0, 2.5, "", "x", "false", [], [0], {}, {"a": 1}]
)
def test_shortlist_flags_read_in_sql_are_true_as_the_replayer_reads_them(value: Any) -> None:
    from matchkit._ledger_store import _json_truthy

    payload = json.dumps({"shortlist": value})
    with sqlite3.connect(":memory:") as conn:
        kind, raw = conn.execute(
            "SELECT json_type(?, '$.shortlist'), json_extract(?, '$.shortlist')",
            (payload, payload),
        ).fetchone()
    assert _json_truthy(kind, raw) == bool(value)
    assert _json_truthy(None, None) is False  # no flag at all


def test_a_long_log_reopens_to_the_state_of_a_replay_event_by_event(tmp_path: Path) -> None:
    # Above a few dozen events the payloads are decoded in one go when a ledger opens.
    path = tmp_path / "long.sqlite"
    with Ledger(path) as led:
        for r in range(3):
            led.record_round(
                [offer(f"v{i}", f"n{r}", cap=40, maxp=3, extra={"group": f"n{r}", "k": i})
                 for i in range(30)],
                at=day(r),
            )
            for i in range(0, 30, 4):
                led.reject(f"v{i}", f"n{r}", at=day(r + 0.5))
        live = led.state(as_of=day(4))
        events = list(led.events())
    assert len(events) > 64
    with Ledger(path) as again:
        reopened = again.state(as_of=day(4))
    assert reopened == live == replay_events(events, as_of=day(4))
    assert reopened.open_offers == live.open_offers
    assert reopened.open_offers["v1", "n2"].extra == {"group": "n2", "k": 1}


def test_an_open_ledger_reads_only_new_events_after_its_own_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ledger keeps what it read and what it wrote; a full replay on each call would
    # cost 0.5 s per round at 77k events, with no other sign.
    import matchkit._ledger as ledger_module

    made: list[int] = []
    real = ledger_module.Replayer

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            made.append(1)
            super().__init__()

    monkeypatch.setattr(ledger_module, "Replayer", Counting)
    with Ledger(tmp_path / "l.sqlite") as led:
        led.state(as_of=day(0))
        made.clear()
        led.record_round([offer("v1", "n1", cap=2), offer("v2", "n1", cap=2)], at=day(0))
        led.state(as_of=day(0.5))
        led.accept("v1", "n1", at=day(1))
        led.reject("v2", "n1", at=day(1))
        led.record_round([offer("v3", "n1", cap=2)], at=day(2))
        led.expire(day(3))
        assert led.state(as_of=day(3)).placements == {("v1", "n1")}
    assert made == []


def test_primary_offers_skip_every_truthy_shortlist_flag(tmp_path: Path) -> None:
    # Flags of hand-written files (the API writes booleans) are read as the replayer does.
    flags = {"a": True, "b": False, "c": "x", "d": "", "e": [0], "f": [], "g": 0, "h": None}
    with Ledger(tmp_path / "l.sqlite") as led:
        with led._store.write() as store:
            store.append_many(
                [
                    (
                        "2026-03-02T09:00:00.000000Z", 1, "offered", f"v_{k}", "n1",
                        json.dumps({"shortlist": v, "score": 0.5, "capacity": 9,
                                    "max_placements": 1, "expires_at": "2026-03-09T09:00:00.000000Z"}),
                    )
                    for k, v in flags.items()
                ]
                + [("2026-03-02T09:00:00.000000Z", 1, "offered", "v_none", "n1", json.dumps(
                    {"score": 0.5, "capacity": 9, "max_placements": 1,
                     "expires_at": "2026-03-09T09:00:00.000000Z"}))]
            )
        primary = [v for v, _ in led._primary_offers(1)]
    assert primary == ["v_b", "v_d", "v_f", "v_g", "v_h", "v_none"]


def test_offers_since_each_counts_the_offers_of_the_window(tmp_path: Path) -> None:
    """Every volunteer's offers made since a time: all of them when the window opens
    before the first offer, only the later ones otherwise, the same live and replayed."""
    path = tmp_path / "week.sqlite"
    with Ledger(path) as led:
        led.record_round([offer("v1", "n1", cap=3), offer("v2", "n1", cap=3)], at=day(0))
        led.record_round([offer("v1", "n2", cap=2)], at=day(8))
        live = led.state(as_of=day(9))
    with Ledger(path) as again:
        replayed = again.state(as_of=day(9))
    for state in (live, replayed):
        assert state.offers_since_each(day(-1)) == {"v1": 2, "v2": 1}
        assert state.offers_since_each(day(0)) == {"v1": 2, "v2": 1}
        assert state.offers_since_each(day(2)) == {"v1": 1, "v2": 0}
        assert state.offers_since_each(day(8.5)) == {"v1": 0, "v2": 0}
        assert state.offers_since("v1", day(2)) == 1


def test_offers_since_each_finds_the_first_offer_in_a_log_out_of_time_order() -> None:
    """A hand-made log may list a later offer first: the window still counts by time."""
    payload = {"score": 0.5, "capacity": 2, "max_placements": 2,
               "expires_at": "2026-04-01T00:00:00.000000Z"}
    events = [
        mk.LedgerEvent(1, day(8), mk.EventKind.OFFERED, 1, "v1", "n1", payload),
        mk.LedgerEvent(2, day(0), mk.EventKind.OFFERED, 1, "v1", "n2", payload),
    ]
    state = replay_events(events, as_of=day(9))
    assert state.offers_since_each(day(2)) == {"v1": 1}
    assert state.offers_since_each(day(-1)) == {"v1": 2}


def test_a_write_held_elsewhere_past_the_timeout_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    a, b = Ledger(path, timeout=0.1), Ledger(path, timeout=0.1)
    a.record_round([Offer(volunteer_id=f"v{i}", need_id="n1", score=1.0, capacity=2,
                          max_placements=1) for i in range(2)], at="2026-09-01")
    with b.batch():
        b.accept("v0", "n1", at="2026-09-02")
        with pytest.raises(mk.MatchkitError, match=r"busy.*l\.sqlite|l\.sqlite.*busy") as err:
            a.accept("v1", "n1", at="2026-09-02")
        assert "timeout" in str(err.value)
    assert a.accept("v1", "n1", at="2026-09-02").kind.value == "accepted"  # and then it can
    a.close()
    b.close()


def test_a_ledger_file_cut_short_is_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        mk.match(mk.datasets.synthetic_city(300, 40, seed=5), ledger=ledger, as_of="2026-09-01")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInputError, match="is damaged.*backup"):
        Ledger(path)


def test_cli_refuses_an_empty_file_as_a_ledger_and_leaves_it_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    assert cli(["status", "--ledger", str(empty)]) == 1
    assert cli(["decide", "--ledger", str(empty), "--accept", "v1", "n1"]) == 1
    assert capsys.readouterr().err.count("the file is empty") == 2
    assert empty.stat().st_size == 0


def _read_only(ledger: Ledger) -> None:
    """Reopen the ledger's connection read-only, as SQLite opens a file it may not write."""
    store = ledger._store
    store.conn.close()
    store.conn = sqlite3.connect(
        f"file:{store.path}?mode=ro", uri=True, isolation_level=None
    )


def test_a_read_only_ledger_refuses_writes_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record_round([offer("v1", "n1")], at=day(0))
    ledger = Ledger(path)
    _read_only(ledger)
    assert ledger.state(as_of=day(1)).open_offers  # reading still works
    for write in (
        lambda: ledger.accept("v1", "n1", at=day(1)),
        lambda: ledger.record_round([], at=day(2)),
        lambda: ledger.expire(day(30)),
    ):
        with pytest.raises(mk.MatchkitError, match=r"cannot write to ledger .*l\.sqlite.*"
                           r"permissions.*nothing was written"):
            write()
    with pytest.raises(mk.MatchkitError, match="permissions"), ledger.batch():
        ledger.reject("v1", "n1", at=day(1))
    assert len(ledger) == 2
    ledger.close()


def test_a_ledger_sqlite_cannot_open_beside_is_not_called_a_stranger(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record_round([offer("v1", "n1")], at=day(0))
    (tmp_path / "l.sqlite-wal").mkdir()  # SQLite cannot open its write-ahead log
    with pytest.raises(InvalidInputError, match=r"cannot open ledger .*l\.sqlite.*-wal") as err:
        Ledger(path)
    assert "not a matchkit ledger" not in str(err.value)


@pytest.mark.parametrize("tables", [(), ("CREATE TABLE other (a)",)])
def test_a_database_marked_version_1_without_a_format_marker_is_refused(
    tmp_path: Path, tables: tuple[str, ...]
) -> None:
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    for sql in tables:
        con.execute(sql)
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with pytest.raises(InvalidInputError, match=r"other\.sqlite.*not a matchkit ledger"):
        Ledger(path)


@pytest.mark.parametrize("setup", [_nothing, _expire_recorded, _withdrawn_by_need])
def test_a_late_no_is_recorded_and_the_pair_is_never_offered_again(
    one: Ledger, setup: Any
) -> None:
    """A volunteer who answers "no" after the offer expired (recorded or not) or after
    the need's side withdrew it: the answer was refused, so nothing kept the next round
    from offering the pair again."""
    setup(one)
    event = one.reject("v1", "n1", at=day(9), reason="not for me")
    assert event.kind is mk.EventKind.REJECTED
    assert event.payload == {"late": True, "reason": "not for me"}
    state = one.state(as_of=day(10))
    assert ("v1", "n1") in state.rejected and ("v1", "n1") in state.excluded
    n = len(one)
    assert one.reject("v1", "n1", at=day(11)).seq == event.seq and len(one) == n


def test_a_no_after_the_volunteer_left_writes_nothing(one: Ledger) -> None:
    gone = one.withdraw("v1", "n1", by="volunteer", at=day(1))
    n = len(one)
    assert one.reject("v1", "n1", at=day(2)).seq == gone.seq and len(one) == n


def test_a_no_given_before_the_offer_ended_but_recorded_after_is_not_late(one: Ledger) -> None:
    """The need's side withdrew the offer on day 5; the volunteer's "no" of day 3 reached
    the centre later. It is a rejection, not a late one."""
    one.withdraw("v1", "n1", by="need", at=day(5))
    event = one.reject("v1", "n1", at=day(3))
    assert event.kind is mk.EventKind.REJECTED and "late" not in event.payload
    assert ("v1", "n1") in one.state(as_of=day(6)).excluded


def test_replay_refuses_events_out_of_log_order(one: Ledger) -> None:
    """A list of events sorted or merged by hand replayed into another state (or failed
    as "never offered"); only export files were checked."""
    one.accept("v1", "n1", at=day(1))
    events = list(one.events())
    assert Ledger.replay(events, as_of=day(2)) == one.state(as_of=day(2))
    with pytest.raises(InvalidInputError, match="comes after seq .* put them back in seq order"):
        Ledger.replay(events[::-1], as_of=day(2))
