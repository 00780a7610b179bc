"""The consent loop as a state machine: rounds and decisions in any order keep every promise.

Over random sequences of rounds, acceptances, rejections, withdrawals and expiries, with
and without ``top_k``, each round re-planned warm from the previous one where it can be:

- no pair outside the hard rules is ever proposed (new proposals and alternatives);
- capacities are never exceeded counting accepted placements, and the places held by
  proposals, alternatives and placements together never exceed a need's capacity;
- a rejected pair never returns;
- an accepted placement is never dropped by a re-plan;
- a re-plan changes only what was free: earlier open offers stay as they were, except
  those a need's capacity or a volunteer's ``max_placements``, lowered in the dataset
  just before the round (never below what is placed), no longer leaves room for: they
  are withdrawn, and what is placed and held still fits the new limits.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import matchkit as mk
from matchkit._build import resolve_weights
from matchkit._round_problem import round_problem
from matchkit.datasets import synthetic_city
from matchkit.testing import datasets

START = date(2026, 3, 2)


def _city(seed: int) -> mk.Dataset:
    return synthetic_city(40, 8, seed=seed)


DATASETS = st.one_of(
    datasets(min_volunteers=1, max_volunteers=7, min_needs=1, max_needs=5, as_of=START),
    st.integers(0, 10_000).map(_city),
)



def _one_lowered(
    data: st.DataObject, items: Sequence[Any], field: str, held: list[str], placed: list[str]
) -> list[Any]:
    """``items`` with one record's ``field`` (a capacity or ``max_placements``) lowered,
    never below what it has placed (nor below 1): mostly a record that holds open offers
    (``held``: its id once per offer), often to exactly what it has placed."""
    holding = set(held)
    item = data.draw(st.sampled_from([x for x in items if x.id in holding] or list(items)))
    limit = getattr(item, field)
    floor = min(max(1, placed.count(item.id)), limit)
    value = data.draw(st.one_of(st.just(floor), st.integers(floor, limit)))
    return [x.model_copy(update={field: value}) if x.id == item.id else x for x in items]

class _RollBack(Exception):
    """Raised to undo a round recorded only for comparison."""


class ConsentLoop(RuleBasedStateMachine):
    @initialize(ds=DATASETS, shortlist=st.integers(0, 2), top_k=st.sampled_from([None, 1, 3]))
    def setup(self, ds: mk.Dataset, shortlist: int, top_k: int | None) -> None:
        self.ds = ds
        self.shortlist = shortlist
        self.top_k = top_k
        self.ledger = mk.Ledger(":memory:")
        self.day = START
        self.ever_rejected: set[tuple[str, str]] = set()
        self.accepted: set[tuple[str, str]] = set()  # accepted and not withdrawn
        self.last: mk.MatchResult | None = None
        self.lowered = False  # a limit was lowered just before this round

    def _state(self) -> mk.LedgerState:
        return self.ledger.state(as_of=self._at())

    def _at(self) -> str:
        return f"{self.day.isoformat()}T12:00:00+00:00"

    @rule(days=st.integers(0, 9))
    def plan_round(self, days: int) -> None:
        self.day += timedelta(days=days)
        before = self.ledger.state(as_of=self.day.isoformat())
        cold = None
        if self.last is not None:
            # The cold twin of this warm round, rolled back: the same state, built anew.
            try:
                with self.ledger.batch():
                    cold = mk.match(
                        self.ds, ledger=self.ledger, shortlist=self.shortlist,
                        as_of=self.day, top_k=self.top_k,
                    )
                    raise _RollBack
            except _RollBack:
                pass
        result = mk.match(
            self.ds, ledger=self.ledger, shortlist=self.shortlist, as_of=self.day,
            top_k=self.top_k, previous=self.last,
        )
        if cold is not None:
            # Warm or cold, the same proposals: new and open, with scores, components,
            # alternatives and rounds (repr: a remote pair's NaN distance equals nothing).
            assert repr(result.proposals) == repr(cold.proposals)
            assert result.unmatched == cold.unmatched
        self.last = result
        if self.top_k is not None:
            # Warm or not, the round's problem is the one a cold build gives.
            cold, _ = round_problem(
                self.ds, resolve_weights(None), self.day, self.top_k,
                result.context["decided"], None,
            )
            for name in ("edge_left", "edge_right", "weight"):
                assert np.array_equal(getattr(result.problem, name), getattr(cold, name)), name
        new_pairs = []
        for p in result.new_proposals:
            new_pairs.append((p.volunteer_id, p.need_id))
            new_pairs += [(p.volunteer_id, a.need_id) for a in p.alternatives]
        # No pair outside the hard rules.
        for v, n in new_pairs:
            assert mk.why_not(self.ds, v, n, as_of=self.day) == [], (v, n)
        # A rejected (or withdrawn) pair never returns; placed or open pairs are not re-offered.
        assert not set(new_pairs) & self.ever_rejected
        assert not set(new_pairs) & set(before.placements)
        assert not set(new_pairs) & set(before.open_offers)
        # Earlier open offers stay as they are (listed as open, untouched in the ledger).
        after = self._state()
        for pair in before.open_offers:
            assert (
                pair in after.open_offers or pair in after.expired or pair in after.placements
                or (self.lowered and pair in after.withdrawn)
            ), pair
        self.lowered = False
        # Accepted placements are never dropped.
        assert self.accepted <= set(after.placements)
        # Nothing can overfill: placements + every open offer (proposals and alternatives)
        # fit each need; volunteers never hold more proposals than places they have free.
        held = Counter(n for _, n in after.placements)
        held.update(n for _, n in new_pairs)
        held.update(n for (v, n) in before.open_offers if (v, n) in after.open_offers)
        for need in self.ds.needs:
            assert held[need.id] <= need.capacity, need.id
        primaries = Counter(p.volunteer_id for p in result.proposals)
        placed = Counter(v for v, _ in after.placements)
        for vol in self.ds.volunteers:
            assert primaries[vol.id] + placed[vol.id] <= vol.max_placements, vol.id

    @rule(data=st.data(), days=st.integers(0, 3))
    def lower_a_limit_then_plan(self, data: st.DataObject, days: int) -> None:
        # An organisation takes fewer volunteers, or a volunteer fewer placements (never
        # fewer than already placed); the next round must leave no room to go beyond it.
        state = self._state()
        placed, waiting = state.placements, state.open_offers
        # (mostly sides that hold open offers, lowered to what is placed: the cases that
        # need offers withdrawn)
        if data.draw(st.booleans(), label="need"):
            self.ds = self.ds.replace(
                needs=_one_lowered(data, self.ds.needs, "capacity", [n for _, n in waiting],
                                   [n for _, n in placed])
            )
        else:
            self.ds = self.ds.replace(
                volunteers=_one_lowered(data, self.ds.volunteers, "max_placements",
                                        [v for v, _ in waiting], [v for v, _ in placed])
            )
        self.last = None  # another dataset: no warm round
        self.lowered = True
        self.plan_round(days)

    def _open(self) -> list[tuple[str, str]]:
        return sorted(self._state().open_offers)

    @precondition(lambda self: bool(self._open()))
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        pair = data.draw(st.sampled_from(self._open()))
        try:
            self.ledger.accept(*pair, at=self._at())
        except mk.DecisionError as err:
            # Refused only when capacity is taken, or when the volunteer already accepted
            # from the same proposal (alternatives are instead of it): nothing was written.
            assert any(
                w in str(err) for w in ("capacity", "placements", "full", "choose one")
            ), err
            return
        self.accepted.add(pair)

    @precondition(lambda self: bool(self._open()))
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        pair = data.draw(st.sampled_from(self._open()))
        self.ledger.reject(*pair, at=self._at())
        self.ever_rejected.add(pair)

    @precondition(lambda self: bool(self.accepted))
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        pair = data.draw(st.sampled_from(sorted(self.accepted)))
        self.ledger.withdraw(*pair, by="volunteer", at=self._at())
        self.accepted.discard(pair)
        self.ever_rejected.add(pair)

    @invariant()
    def capacities_hold(self) -> None:
        if not hasattr(self, "ledger"):
            return
        state = self._state()
        per_need = Counter(n for _, n in state.placements)
        per_vol = Counter(v for v, _ in state.placements)
        for need in self.ds.needs:
            assert per_need[need.id] <= need.capacity
        for vol in self.ds.volunteers:
            assert per_vol[vol.id] <= vol.max_placements
        assert self.accepted <= set(state.placements)

    def teardown(self) -> None:
        if hasattr(self, "ledger"):
            self.ledger.close()


_THOROUGH = os.environ.get("MATCHKIT_HYPOTHESIS_PROFILE") == "thorough"
ConsentLoop.TestCase.settings = settings(
    max_examples=400 if _THOROUGH else 25, stateful_step_count=25 if _THOROUGH else 12, deadline=None
)
TestConsentLoop = ConsentLoop.TestCase
