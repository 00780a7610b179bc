"""The consent loop as a volunteer-centre app drives it: rounds over weeks, decisions that
arrive late or twice, a dataset that changes, a ledger shared by threads."""

from __future__ import annotations

import pytest

import matchkit as mk
from matchkit import InvalidInputError, Ledger, Offer
from matchkit.datasets import tiny_city


def _offer(v: str, n: str) -> Offer:
    return Offer(volunteer_id=v, need_id=n, score=0.5, capacity=1, max_placements=1)


def test_a_round_dated_before_the_latest_round_is_refused_and_writes_nothing() -> None:
    with Ledger(":memory:") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-10")
        with pytest.raises(InvalidInputError, match=r"before the ledger's round 1 \(2026-09-10"):
            ledger.record_round([_offer("v2", "n2")], at="2026-09-03")
        assert len(ledger) == 2
        assert ledger.record_round([_offer("v2", "n2")], at="2026-09-10") == 2  # same time


def test_match_with_an_as_of_before_the_latest_round_is_refused_before_any_withdrawal() -> None:
    ds = tiny_city()
    with Ledger(":memory:") as ledger:
        first = mk.match(ds, ledger=ledger, as_of="2026-09-10")
        gone = first.proposals[0].need_id  # its open offer would be withdrawn by the centre
        smaller = type(ds)(volunteers=ds.volunteers, organisations=ds.organisations,
                           needs=[n for n in ds.needs if n.id != gone])
        n_events = len(ledger)
        with pytest.raises(InvalidInputError, match=r"match: .*2026-09-03.*round 1.*as_of"):
            mk.match(smaller, ledger=ledger, as_of="2026-09-03")
        assert len(ledger) == n_events
        assert mk.match(smaller, ledger=ledger, as_of="2026-09-17").round == 2


def test_a_placement_cannot_be_withdrawn_at_a_time_before_it_was_accepted() -> None:
    with Ledger(":memory:") as ledger:
        ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
        ledger.accept("v1", "n1", at="2026-09-05")
        with pytest.raises(mk.DecisionError, match=r"before the placement was accepted \(2026-09-05"):
            ledger.withdraw("v1", "n1", by="volunteer", at="2026-09-03")
        assert ledger.state(as_of="2026-09-06").placements == {("v1", "n1")}
        event = ledger.withdraw("v1", "n1", by="volunteer", at="2026-09-05")  # the same moment
        assert event.payload["ended"] == "placement"


def test_a_closed_ledger_says_so_for_every_read_and_write(tmp_path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite")
    ledger.record_round([_offer("v1", "n1")], at="2026-09-01")
    ledger.close()
    for use in (
        lambda: ledger.state(as_of="2026-09-02"),
        lambda: list(ledger.events()),
        lambda: len(ledger),
        lambda: ledger.export_jsonl(tmp_path / "e.jsonl"),
        lambda: ledger.integrity_check(),
        lambda: ledger.accept("v1", "n1", at="2026-09-02"),
        lambda: ledger.batch(),
    ):
        with pytest.raises(InvalidInputError, match=r"l\.sqlite.* is closed; open it again"):
            use()
    assert repr(ledger).endswith("closed)")
