"""The consent loop against a dataset that keeps changing under it.

``tests/test_match_stateful.py`` plans rounds on one dataset whose limits only go down
to what is placed. Here, between rounds of ``match`` with a ledger, the centre's data
changes in every way it may: volunteers and needs leave the dataset and come back, a
need's vetting is switched to an organisation without the expertise and back, capacities
and ``max_placements`` go down (also below what is placed) and up, needs close, end and
reopen, and an organisation closes a need in the ledger; rounds use every method,
shortlists of 0-2, offer budgets, policy checks on and off, and warm re-plans; anyone
decides anything at any time (accept, reject, withdraw by each side, also on offers
that were withdrawn, expired, rejected or never made: a ``DecisionError`` or the recorded
outcome, never anything else). After every round:

- every proposal (new or open, with its alternatives) names a volunteer and a need of
  the round's dataset, and every new pair is acceptable (hard rules) on a need no policy
  check holds back, open (also in the ledger) and not over;
- placements plus open offers never exceed a need's capacity, nor placements plus
  pending proposals a volunteer's ``max_placements`` (the places already taken are
  never taken back: a limit lowered below them leaves no offer open); no offer stays
  open on a record that left the dataset, or on a need closed, over or held back;
- an offer the round ended had a cause, and is withdrawn by whom the documents name
  for it (``need`` for a lowered capacity or a closed need; ``centre`` for a departed
  record, a policy check or a lowered ``max_placements``); other offers stay open;
- rejected pairs and pairs the volunteer withdrew from never come back; accepted pairs
  are never dropped, and nothing is placed but by an acceptance; a pair the centre
  withdrew is free again once its need is back, passes its checks and has room, and is
  proposed when both sides still have room after the solve;
- the optimal methods reach the brute-force optimum of the free problem; the stable
  method leaves no blocking pair in it;
- every new offer, proposal or alternative, can be accepted on its own as it is made;
- ``fill_rate`` and ``blocking_pairs`` equal their definitions in docs/metrics.md;
- ``to_json``, ``to_csv`` and the diagnoses of every volunteer and need never raise.

Between rounds, whatever is decided, no need or volunteer goes beyond the limits the
last round planned with. The tests after the machine are the cases it found, at their
smallest.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import matchkit as mk
from matchkit.solvers import blocking_pairs

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CAUSES = ("env", "edu")
SKILLS = ("first_aid", "it")
METHODS = ("flow", "stable", "hungarian", "milp")
OPTIMAL = ("flow", "hungarian", "milp")
VOLUNTEERS = tuple(f"v{i}" for i in range(5))
NEEDS = tuple(f"n{i}" for i in range(4))
BY = ("volunteer", "need", "organisation", "centre")
#: Every organisation: the centre vets anything, each club only its own cause.
ORGANISATIONS = (
    {"id": "vc", "name": "Volunteer centre", "kind": "volunteer_centre", "registered": True},
    {"id": "env", "name": "Park friends", "kind": "cso", "registered": True, "vets_causes": ["env"]},
    {"id": "edu", "name": "Reading club", "kind": "cso", "registered": True, "vets_causes": ["edu"]},
)
Pair = tuple[str, str]
#: The statuses a decision is never refused on (accepting an open offer may be: no room).
_MUST_SUCCEED = {
    "accept": {"accepted"},
    # (a late "no", after the offer expired or was withdrawn, is recorded too)
    "reject": {"open", "rejected", "expired", "withdrawn"},
    "withdraw": {"open", "accepted", "withdrawn"},
}


def _other(cause: str) -> str:
    """The club that has no expertise for ``cause``."""
    return "edu" if cause == "env" else "env"


# -- the world: every record the centre knows, present in the dataset or not ------------

VOLUNTEER = st.fixed_dictionaries({
    "interests": st.lists(st.sampled_from(CAUSES), unique=True, max_size=2),
    "skills": st.lists(st.sampled_from(SKILLS), unique=True, max_size=2),
    "excluded_causes": st.one_of(st.just([]), st.lists(st.sampled_from(CAUSES), max_size=1)),
    "max_placements": st.integers(1, 3),
})
NEED = st.fixed_dictionaries({
    "cause": st.sampled_from(CAUSES),
    "required_skills": st.lists(st.sampled_from(SKILLS), unique=True, max_size=1),
    "desired_skills": st.lists(st.sampled_from(SKILLS), unique=True, max_size=2),
    "capacity": st.integers(1, 3),
    "by_centre": st.booleans(),  # vetted by the centre, else by its own club
})


CHANGES = st.sampled_from(["volunteer", "need", "vetting", "capacity", "max_placements", "status"])
STATUSES = st.sampled_from(["open", "closed", "vetted", "ended"])
#: The arguments of a round.
ROUND: dict[str, st.SearchStrategy[Any]] = {
    "method": st.sampled_from(METHODS),
    "shortlist": st.integers(0, 2),
    "hours": st.sampled_from([1, 5, 24]),
    "ttl_days": st.sampled_from([7, 3, 1]),
    "budget": st.one_of(st.none(), st.builds(
        mk.OfferBudget, max_open=st.integers(1, 4), max_per_week=st.integers(1, 8),
        max_new_per_round=st.one_of(st.none(), st.just(1)))),
    "policies": st.sampled_from([True, True, True, False]),
    "warm": st.booleans(),
}


def _volunteer(vid: str, rec: dict[str, Any]) -> dict[str, Any]:
    return {"id": vid, "remote_ok": True, "interests": rec["interests"], "skills": rec["skills"],
            "excluded_causes": rec["excluded_causes"], "max_placements": rec["max_placements"]}


def _need(nid: str, rec: dict[str, Any]) -> dict[str, Any]:
    cause = rec["cause"]
    if rec.get("bad_vetting"):
        vetter = _other(cause)  # no expertise: a policy check holds the need back
    else:
        vetter = "vc" if rec["by_centre"] else cause
    out = {"id": nid, "organisation_id": cause, "title": f"Help {nid}", "remote": True,
           "causes": [cause], "required_skills": rec["required_skills"],
           "desired_skills": rec["desired_skills"], "capacity": rec["capacity"],
           "status": rec.get("status", "open"), "vetted_by": vetter}
    if rec.get("ended"):
        out["end_date"] = (START - timedelta(days=1)).date().isoformat()
    return out


# -- independent oracles ----------------------------------------------------------------


def _best_objective(p: mk.MatchProblem) -> float:
    """The maximum total weight of ``p`` by exhaustive search (volunteer by volunteer,
    every subset of their edges within both sides' capacities)."""
    by_left: list[list[tuple[int, float]]] = [[] for _ in range(p.n_left)]
    for e in range(p.n_edges):
        by_left[int(p.edge_left[e])].append((int(p.edge_right[e]), float(p.weight[e])))

    @cache
    def best(i: int, caps: tuple[int, ...]) -> float:
        if i == p.n_left:
            return 0.0
        top = best(i + 1, caps)
        edges = by_left[i]
        for k in range(1, min(int(p.left_capacity[i]), len(edges)) + 1):
            for subset in itertools.combinations(edges, k):
                if any(caps[j] < 1 for j, _ in subset):
                    continue
                left = list(caps)
                for j, _ in subset:
                    left[j] -= 1
                top = max(top, sum(w for _, w in subset) + best(i + 1, tuple(left)))
        return top

    return best(0, tuple(int(c) for c in p.right_capacity))


class _RollBack(Exception):
    """Raised to undo a decision tried only to see that it would be taken."""


def _proposal(pair: Pair, offer: Any) -> tuple[str, str, int]:
    """The proposal an offer belongs to: its volunteer, its group (the lead need; an
    offer without one is its own) and its round (docs/ledger.md)."""
    return pair[0], str((offer.extra or {}).get("group", pair[1])), offer.round


def _pending_groups(state: mk.LedgerState) -> Counter[str]:
    """Open proposals per volunteer, less those they already took a place from."""
    taken = {_proposal(pair, o) for pair, o in state.accepted_offers.items()}
    pending = {_proposal(pair, o) for pair, o in state.open_offers.items()}
    return Counter(v for v, _, _ in pending - taken)


def _idle(state: mk.LedgerState) -> set[Pair]:
    """Open offers of a proposal the volunteer already took a place from."""
    taken = {_proposal(pair, o) for pair, o in state.accepted_offers.items()}
    return {pair for pair, o in state.open_offers.items() if _proposal(pair, o) in taken}


class Adversary(RuleBasedStateMachine):
    """Rounds of ``match`` on a ledger, with the centre's data changing between them."""

    @initialize(
        vols=st.lists(VOLUNTEER, min_size=len(VOLUNTEERS), max_size=len(VOLUNTEERS)),
        needs=st.lists(NEED, min_size=len(NEEDS), max_size=len(NEEDS)),
        n_vols=st.integers(1, len(VOLUNTEERS)),
        n_needs=st.integers(1, len(NEEDS)),
    )
    def setup(self, vols: list[dict[str, Any]], needs: list[dict[str, Any]], n_vols: int,
              n_needs: int) -> None:
        self.vols = dict(zip(VOLUNTEERS, vols))
        self.needs = dict(zip(NEEDS, needs))
        self.present_v = set(VOLUNTEERS[:n_vols])
        self.present_n = set(NEEDS[:n_needs])
        self.ledger = mk.Ledger(":memory:")
        self.now = START
        self.ds = self._dataset()
        self.accepted: set[Pair] = set()  # accepted and not withdrawn
        self.final: set[Pair] = set()  # rejected, or withdrawn by the volunteer
        self.by_centre: set[Pair] = set()  # withdrawn by the centre (may come back)
        self.ledger_closed: set[str] = set()  # needs the ledger records as closed
        self.seen_seq = 0
        self.last: mk.MatchResult | None = None
        self.planned: tuple[mk.Dataset, Counter[str], Counter[str]] | None = None
        # (a first round, to decide on)
        self.plan_round(method="flow", shortlist=1, hours=0, ttl_days=7, budget=None,
                        policies=True, warm=False)

    # -- helpers ---------------------------------------------------------------------

    def _dataset(self) -> mk.Dataset:
        return mk.Dataset(
            volunteers=[_volunteer(v, self.vols[v]) for v in VOLUNTEERS if v in self.present_v],
            organisations=list(ORGANISATIONS),
            needs=[_need(n, self.needs[n]) for n in NEEDS if n in self.present_n],
        )

    def _state(self) -> mk.LedgerState:
        return self.ledger.state(as_of=self.now)

    def _offered_pairs(self) -> list[Pair]:
        return sorted({(e.volunteer_id, e.need_id) for e in self.ledger.events(kind="offered")})

    def _read_withdrawals(self) -> list[Any]:
        """Withdrawn events since the last read; keeps ``by_centre`` up to date."""
        new = list(self.ledger.events(kind="withdrawn", after=self.seen_seq))
        last = list(self.ledger.events(after=self.seen_seq))
        if last:
            self.seen_seq = last[-1].seq
        for e in new:
            pair = (e.volunteer_id, e.need_id)
            if e.payload["by"] == "centre":
                self.by_centre.add(pair)
            else:
                self.by_centre.discard(pair)
        return new

    # -- the centre's data changes ---------------------------------------------------

    @rule(data=st.data(), what=CHANGES, limit=st.integers(1, 3), status=STATUSES)
    def data_changes(self, data: st.DataObject, what: str, limit: int, status: str) -> None:
        """A volunteer or need leaves or comes back, a need's vetting is switched to an
        organisation without the expertise or back, a capacity or ``max_placements`` is
        set (also below what is placed), a need closes, ends or reopens: mostly a record
        that holds open offers or placements."""
        state = self._state()
        busy = set(state.open_offers) | set(state.placements)
        # (a limit is lowered most often where offers are waiting on it)
        many_v = [v for v, k in sorted(_pending_groups(state).items()) if k > 1]
        many_n = [n for n, k in sorted(Counter(n for _, n in busy).items()) if k > 1]
        vid = data.draw(st.sampled_from(many_v or sorted({v for v, _ in busy}) or VOLUNTEERS)
                        | st.sampled_from(VOLUNTEERS), label="volunteer")
        nid = data.draw(st.sampled_from(many_n or sorted({n for _, n in busy}) or NEEDS)
                        | st.sampled_from(NEEDS), label="need")
        need = self.needs[nid]
        if what == "volunteer":
            self.present_v ^= {vid}
        elif what == "need":
            self.present_n ^= {nid}
        elif what == "vetting":
            need["bad_vetting"] = not need.get("bad_vetting", False)
        elif what == "capacity":
            need["capacity"] = limit
        elif what == "max_placements":
            self.vols[vid]["max_placements"] = limit
        else:
            need["ended"] = status == "ended"
            need["status"] = "open" if status == "ended" else status
        self.ds = self._dataset()
        self.now += timedelta(minutes=7)

    @precondition(lambda self: not self.ledger_closed)
    @rule(nid=st.sampled_from(NEEDS))
    def ledger_closes_need(self, nid: str) -> None:
        """The need's organisation closes it in the ledger (final), whatever the dataset
        says: it is offered no more; its open offers cannot be accepted, and the next
        round withdraws them."""
        self.now += timedelta(minutes=3)
        self.ledger.record_need_transition(nid, "closed", by="vc", reason="the work is done",
                                           from_status="open", at=self.now)
        self.ledger_closed.add(nid)

    @rule(data=st.data(), changes=st.integers(1, 3), round_=st.fixed_dictionaries(ROUND))
    def data_changes_then_round(self, data: st.DataObject, changes: int,
                                round_: dict[str, Any]) -> None:
        """The data changes just before a round: the round must reconcile the ledger."""
        for _ in range(changes):
            self.data_changes(data, data.draw(CHANGES, label="what"),
                              data.draw(st.integers(1, 3), label="limit"),
                              data.draw(STATUSES, label="status"))
        self.plan_round(**round_)

    # -- decisions -------------------------------------------------------------------

    @rule(data=st.data(), action=st.sampled_from(["accept", "reject", "withdraw"]),
          by=st.sampled_from(BY), minutes=st.sampled_from([1, 30, 60 * 20]))
    def any_decision(self, data: st.DataObject, action: str, by: str, minutes: int) -> None:
        """Anyone decides anything: an open, accepted, rejected, expired, withdrawn or
        never made offer."""
        self.now += timedelta(minutes=minutes)
        waiting = sorted(self._state().open_offers)
        pairs = self._offered_pairs()
        which = data.draw(st.sampled_from(["open", "offered", "any"]), label="which")
        if which == "open" and waiting:
            pair = data.draw(st.sampled_from(waiting), label="pair")
        elif which != "any" and pairs:
            pair = data.draw(st.sampled_from(pairs), label="pair")
        else:
            pair = data.draw(st.tuples(st.sampled_from(VOLUNTEERS), st.sampled_from(NEEDS)),
                             label="pair")
        self._decide(pair, action, by)

    def _decide(self, pair: Pair, action: str, by: str) -> None:
        status = self._state().status_of(*pair)
        try:
            if action == "accept":
                self.ledger.accept(*pair, at=self.now)
            elif action == "reject":
                self.ledger.reject(*pair, at=self.now)
            else:
                self.ledger.withdraw(*pair, by=by, at=self.now)
        except mk.DecisionError as err:
            # Refused only where the ledger's table may refuse, and nothing was written.
            assert status not in _MUST_SUCCEED[action], (action, pair, status, err)
            if status == "open":  # (refused only for lack of room, or a need closed)
                words = ["full", "placements", "choose one"]
                if pair[1] in self.ledger_closed:
                    words.append("the need is 'closed'")
                assert any(w in str(err) for w in words), err
            assert self._state().status_of(*pair) == status
            return
        assert status in _MUST_SUCCEED[action] or (action == "accept" and status == "open"), (
            action, pair, status)
        after = self._state().status_of(*pair)
        if action == "accept":
            assert after == "accepted"
            self.accepted.add(pair)
        elif action == "reject" and status == "withdrawn" and pair in self.final:
            assert after == "withdrawn"  # (the volunteer left it: final already)
        elif action == "reject":
            assert after == "rejected"
            self.final.add(pair)
        elif status != "withdrawn":  # (a repeated withdrawal writes nothing)
            assert after == "withdrawn"
            self.accepted.discard(pair)
            if by == "volunteer":
                self.final.add(pair)
        self._read_withdrawals()

    @precondition(lambda self: bool(self._state().open_offers))
    @rule(data=st.data())
    def accept_an_open_offer(self, data: st.DataObject) -> None:
        self.now += timedelta(minutes=1)
        waiting = sorted(self._state().open_offers)
        if waiting:  # (the minute may have expired the last one)
            self._decide(data.draw(st.sampled_from(waiting), label="pair"), "accept", "volunteer")

    @rule(days=st.sampled_from([0, 1, 3, 8]))
    def expire(self, days: int) -> None:
        self.now += timedelta(days=days, minutes=1)
        self.ledger.expire(self.now)

    # -- the round -------------------------------------------------------------------

    @rule(**ROUND)
    def plan_round(self, method: str, shortlist: int, hours: int, ttl_days: int,
                   budget: mk.OfferBudget | None, policies: bool, warm: bool) -> None:
        self.now += timedelta(hours=hours)
        ds, day, at = self.ds, self.now.date(), self.now
        self._read_withdrawals()
        before = self.ledger.state(as_of=at)
        fresh = not (before.placements or before.open_offers or before.excluded)
        result = mk.match(ds, ledger=self.ledger, method=method, shortlist=shortlist,
                          as_of=day, at=at, ttl_days=ttl_days, budget=budget,
                          policies=policies, previous=self.last if warm else None)
        self.last = result
        after = self.ledger.state(as_of=at)
        ended_now = self._read_withdrawals()
        vols = {v.id: v for v in ds.volunteers}
        needs = {n.id: n for n in ds.needs}
        blocked = mk.policy_blocks(ds, as_of=day) if policies else {}
        taking = {n.id for n in ds.needs if n.status.value == "open"
                  and (n.end_date is None or n.end_date >= day) and n.id not in blocked
                  and n.id not in self.ledger_closed}

        # Every proposal names records of the round; every new pair is acceptable.
        new_pairs: list[Pair] = []
        for p in result.proposals:
            assert p.volunteer_id in vols and p.need_id in needs and p.need_id in taking, p
            for a in p.alternatives:
                assert a.need_id in needs, (p, a)
            if p.status == "new":
                new_pairs.append((p.volunteer_id, p.need_id))
                new_pairs += [(p.volunteer_id, a.need_id) for a in p.alternatives]
        for v, n in new_pairs:
            assert mk.why_not(ds, v, n, as_of=day) == [], (v, n)
            assert n in taking, (v, n)
            assert after.status_of(v, n) == "open", (v, n)
        assert len(new_pairs) == len(set(new_pairs))
        # Nothing decided or on offer comes back; rejected and volunteer-withdrawn never.
        assert not set(new_pairs) & self.final
        assert not set(new_pairs) & (set(before.placements) | set(before.open_offers))
        assert set(after.excluded) == self.final
        # Accepted placements are never dropped (nor made by a round).
        assert set(after.placements) == self.accepted == set(before.placements)
        assert set(result.placements) == self.accepted

        self._check_limits(ds, after, taking)
        self._check_ended_offers(ds, before, after, ended_now, blocked)
        self._check_solve(result, method)
        self._check_centre_withdrawals_free(result, before, taking)
        self._check_new_offers_can_be_taken(result, at)
        self._check_fill_rate(result, after, taking)
        self._check_blocking(result, after, taking, fresh)
        self._check_outputs(result)
        self.planned = (
            ds,
            Counter(n for _, n in after.placements),
            Counter(v for v, _ in after.placements),
        )

    # -- the checks --------------------------------------------------------------------

    def _check_limits(self, ds: mk.Dataset, state: mk.LedgerState, taking: set[str]) -> None:
        placed_n = Counter(n for _, n in state.placements)
        placed_v = Counter(v for v, _ in state.placements)
        open_n = Counter(n for _, n in state.open_offers)
        open_v = Counter(v for v, _ in state.open_offers)
        pending = _pending_groups(state)
        for need in ds.needs:
            if need.id not in taking:
                assert open_n[need.id] == 0, need.id
            else:  # (every open offer holds a place, also an idle alternative)
                assert placed_n[need.id] + open_n[need.id] <= max(need.capacity, placed_n[need.id]), need.id
        for vol in ds.volunteers:
            assert placed_v[vol.id] + pending[vol.id] <= max(vol.max_placements, placed_v[vol.id]), vol.id
        gone_v = set(open_v) - {v.id for v in ds.volunteers}
        gone_n = set(open_n) - {n.id for n in ds.needs}
        assert not gone_v and not gone_n, (gone_v, gone_n)

    def _check_ended_offers(self, ds: mk.Dataset, before: mk.LedgerState,
                            after: mk.LedgerState, ended: list[Any],
                            blocked: dict[str, str]) -> None:
        """Every offer the round withdrew had a cause, and is withdrawn by whom the
        documents name for one of its causes."""
        vols = {v.id: v for v in ds.volunteers}
        needs = {n.id: n for n in ds.needs}
        placed_n = Counter(n for _, n in before.placements)
        placed_v = Counter(v for v, _ in before.placements)
        open_n = Counter(n for _, n in before.open_offers)
        pending = _pending_groups(before)
        day = self.now.date()
        for e in ended:
            v, n, by = e.volunteer_id, e.need_id, e.payload["by"]
            assert (v, n) in before.open_offers and e.payload["ended"] == "offer", (v, n)
            causes = set()  # (who withdraws, a word of the reason)
            if v not in vols or n not in needs:
                causes.add(("centre", "no longer in the dataset"))
            else:
                need = needs[n]
                if n in blocked:
                    causes.add(("centre", "held back"))
                over = need.end_date is not None and need.end_date < day
                if need.status.value != "open" or over or n in self.ledger_closed:
                    causes.add(("need", "no more volunteers"))
                if placed_n[n] + open_n[n] > need.capacity:
                    causes.add(("need", "capacity"))
                if placed_v[v] + pending[v] > vols[v].max_placements:
                    causes.add(("centre", "max_placements"))
            assert any(by == who and word in e.payload["reason"] for who, word in causes), (
                e, causes)
        # Offers on the records of the round that had no cause stay open (or expired).
        gone = {(e.volunteer_id, e.need_id) for e in ended}
        for pair in before.open_offers:
            if pair not in gone:
                assert pair in after.open_offers or pair in after.expired, pair

    def _check_solve(self, result: mk.MatchResult, method: str) -> None:
        free = result.free_problem
        assert free is not None
        if method in OPTIMAL:
            best = _best_objective(free)
            assert result.assignment.objective == pytest.approx(best, abs=1e-4), (method, best)
        else:
            assert len(blocking_pairs(free, result.assignment)) == 0

    def _check_centre_withdrawals_free(self, result: mk.MatchResult, before: mk.LedgerState,
                                       taking: set[str]) -> None:
        """A pair the centre withdrew is free again once both sides are back, the need
        passes its checks and both have room; if both still have room after the solve,
        it is proposed."""
        p, free = result.problem, result.free_problem
        assert free is not None
        vindex = {v: i for i, v in enumerate(p.left_ids)}
        nindex = {n: j for j, n in enumerate(p.right_ids)}
        free_pairs = {(p.left_ids[i], p.right_ids[j])
                      for i, j in zip(free.edge_left.tolist(), free.edge_right.tolist())}
        used_v = Counter(int(i) for i, _ in result.assignment.pairs)
        used_n = Counter(int(j) for _, j in result.assignment.pairs)
        edge_weight = {(p.left_ids[int(i)], p.right_ids[int(j)]): float(w)
                       for i, j, w in zip(p.edge_left, p.edge_right, p.weight)}
        proposed = {(x.volunteer_id, x.need_id) for x in result.new_proposals}
        for v, n in self.by_centre:
            if before.status_of(v, n) != "withdrawn" or (v, n) not in edge_weight:
                continue
            if n not in taking:
                continue
            assert (v, n) not in result.context["excluded"], (v, n)
            i, j = vindex[v], nindex[n]
            if free.left_capacity[i] > 0 and free.right_capacity[j] > 0:
                assert (v, n) in free_pairs, (v, n)
                if (
                    used_v[i] < free.left_capacity[i] and used_n[j] < free.right_capacity[j]
                    and edge_weight[(v, n)] > 0
                ):
                    assert (v, n) in proposed, (v, n)

    def _check_new_offers_can_be_taken(self, result: mk.MatchResult, at: datetime) -> None:
        """Every new offer, primary or alternative, can be accepted on its own as soon as
        it is made (tried, then rolled back)."""
        for p in result.new_proposals:
            for nid in [p.need_id] + [a.need_id for a in p.alternatives]:
                try:
                    with self.ledger.batch():
                        self.ledger.accept(p.volunteer_id, nid, at=at)
                        raise _RollBack
                except _RollBack:
                    pass

    def _check_fill_rate(self, result: mk.MatchResult, state: mk.LedgerState,
                         taking: set[str]) -> None:
        """fill_rate as docs/metrics.md defines it: placements (also of volunteers who
        left), proposals, alternatives and open offers (also alternatives of a proposal
        taken) hold places, capped by capacity, over open needs."""
        caps = {n.id: n.capacity for n in result.dataset.needs if n.id in taking}
        placed = Counter(n for _, n in state.placements)
        held = Counter(n for _, n in state.open_offers)
        filled = sum(min(c, placed[n] + held[n]) for n, c in caps.items())
        got = result.metrics["fill_rate"]
        if not caps:
            assert got is None
        else:
            assert got == pytest.approx(filled / sum(caps.values())), (got, filled, caps)

    def _check_blocking(self, result: mk.MatchResult, state: mk.LedgerState,
                        taking: set[str], fresh: bool) -> None:
        """blocking_pairs as docs/metrics.md defines it, on the whole problem: the set is
        every placement and primary offer (not those of a proposal taken); alternatives,
        pairs on offer, excluded pairs and pairs to needs no round may offer never block;
        a side's places in use count every placement, also one off the round's pairs."""
        p = result.problem
        pairs = [(p.left_ids[int(i)], p.right_ids[int(j)]) for i, j in zip(p.edge_left, p.edge_right)]
        edge = {pair: e for e, pair in enumerate(pairs)}
        idle = _idle(state)
        held = set(state.placements) | {
            pair for pair, o in state.open_offers.items() if not o.shortlist and pair not in idle
        }
        used_v = Counter(v for v, _ in held)
        used_n = Counter(n for _, n in held)
        worst_v: dict[str, float] = {}
        worst_n: dict[str, float] = {}
        for v, n in held & set(edge):
            e = edge[(v, n)]
            worst_v[v] = min(worst_v.get(v, np.inf), float(p.volunteer_utility[e]))
            worst_n[n] = min(worst_n.get(n, np.inf), float(p.need_utility[e]))
        cap_v = dict(zip(p.left_ids, p.left_capacity.tolist()))
        cap_n = dict(zip(p.right_ids, p.right_capacity.tolist()))
        count = 0
        for (v, n), e in edge.items():
            if (v, n) in held or (v, n) in state.open_offers or (v, n) in state.excluded:
                continue
            if n not in taking:
                continue
            wants_v = used_v[v] < cap_v[v] or float(p.volunteer_utility[e]) > worst_v.get(v, np.inf)
            wants_n = used_n[n] < cap_n[n] or float(p.need_utility[e]) > worst_n.get(n, np.inf)
            count += wants_v and wants_n
        assert result.metrics["blocking_pairs"] == count
        free = result.free_problem
        if fresh and result.method == "stable" and free is not None and np.array_equal(
            free.left_capacity, p.left_capacity  # (no offer budget bound)
        ):
            assert count == 0

    def _check_outputs(self, result: mk.MatchResult) -> None:
        result.to_json()
        with tempfile.TemporaryDirectory() as tmp:
            result.to_csv(tmp)
        for vid in result.unmatched:
            result.why_unmatched(vid)
        for nid in result.unfilled:
            result.why_unfilled(nid)
        for vol in result.dataset.volunteers:
            result.why_unmatched(vol.id)
        for need in result.dataset.needs:
            result.why_unfilled(need.id)

    # -- between rounds ----------------------------------------------------------------

    @invariant()
    def decisions_stay_within_the_planned_limits(self) -> None:
        if not hasattr(self, "ledger"):
            return
        state = self._state()
        assert set(state.placements) == self.accepted
        assert set(state.excluded) == self.final
        if self.planned is None:
            return
        ds, placed_n0, placed_v0 = self.planned
        placed_n = Counter(n for _, n in state.placements)
        placed_v = Counter(v for v, _ in state.placements)
        open_n = Counter(n for _, n in state.open_offers)
        pending = _pending_groups(state)
        for need in ds.needs:
            assert placed_n[need.id] + open_n[need.id] <= max(need.capacity, placed_n0[need.id]), need.id
        for vol in ds.volunteers:
            assert placed_v[vol.id] + pending[vol.id] <= max(vol.max_placements, placed_v0[vol.id]), vol.id

    def teardown(self) -> None:
        if hasattr(self, "ledger"):
            self.ledger.close()


_THOROUGH = os.environ.get("MATCHKIT_HYPOTHESIS_PROFILE") == "thorough"
Adversary.TestCase.settings = settings(
    max_examples=400 if _THOROUGH else 80,
    stateful_step_count=40 if _THOROUGH else 30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestAdversary = Adversary.TestCase


# -- the cases the machine above found, each at its smallest ---------------------------

_CENTRE = [ORGANISATIONS[0]]


def _open_need(nid: str, **extra: Any) -> dict[str, Any]:
    return {"id": nid, "organisation_id": "vc", "title": nid, "remote": True, "capacity": 1,
            "status": "open", "vetted_by": "vc", **extra}


def test_blocking_pairs_leave_out_needs_held_back_by_a_policy_check() -> None:
    # b's vetter has no expertise for its cause: b is held back, so v2 gets nothing; no
    # round may offer (v2, b), so the fresh stable round has no blocking pair (it had 1).
    ds = mk.Dataset(
        volunteers=[{"id": "v1"}, {"id": "v2"}],
        organisations=list(ORGANISATIONS),
        needs=[_open_need("a"), _open_need("b", causes=["env"], vetted_by="edu")],
    )
    result = mk.match(ds, as_of="2026-09-01", method="stable")
    assert result.unfilled["b"].code == "policy"
    assert result.metrics["blocking_pairs"] == 0


def test_a_placement_of_a_departed_volunteer_fills_its_place() -> None:
    # v1 is placed at n1 and leaves the dataset: the placement still takes n1's only
    # place (nobody else is offered it), so n1 is filled (fill_rate was 0.0).
    ledger = mk.Ledger(":memory:")
    ds = mk.Dataset(volunteers=[{"id": "v1"}], organisations=_CENTRE, needs=[_open_need("n1")])
    mk.match(ds, ledger=ledger, as_of="2026-09-01")
    ledger.accept("v1", "n1", at="2026-09-02")
    later = ds.replace(volunteers=[mk.Volunteer(id="v2")])
    result = mk.match(later, ledger=ledger, as_of="2026-09-03")
    assert result.new_proposals == [] and result.why_unfilled("n1").code == "filled"
    assert result.metrics["fill_rate"] == 1.0


def test_a_volunteer_placed_to_their_limit_at_a_closed_need_blocks_nothing() -> None:
    # v1's one placement is at n1, which closes: v1 has no free place, so (v1, n2) does
    # not block (it was counted: the placement is no pair of the round).
    ledger = mk.Ledger(":memory:")
    ds = mk.Dataset(volunteers=[{"id": "v1"}], organisations=_CENTRE, needs=[_open_need("n1")])
    mk.match(ds, ledger=ledger, as_of="2026-09-01")
    ledger.accept("v1", "n1", at="2026-09-02")
    later = ds.replace(needs=[mk.Need(**_open_need("n1", status="closed")),
                              mk.Need(**_open_need("n2"))])
    result = mk.match(later, ledger=ledger, as_of="2026-09-03")
    assert result.unmatched["v1"].code == "placed"
    assert result.metrics["blocking_pairs"] == 0


def _alternative_left_open(max_placements: int) -> tuple[mk.Ledger, mk.Dataset, str]:
    """v1 is offered one need with the other as its alternative and takes the proposal:
    the alternative stays open, holding its place, until it expires."""
    ledger = mk.Ledger(":memory:")
    ds = mk.Dataset(volunteers=[{"id": "v1", "max_placements": max_placements}],
                    organisations=_CENTRE, needs=[_open_need("n1"), _open_need("n2")])
    (p,) = mk.match(ds, ledger=ledger, as_of="2026-09-01", shortlist=1,
                    budget=mk.OfferBudget(max_new_per_round=1)).proposals
    (alternative,) = p.alternatives
    ledger.accept("v1", p.need_id, at="2026-09-01T06:00:00+00:00")
    return ledger, ds, alternative.need_id


def test_an_open_alternative_whose_group_was_taken_fills_its_place() -> None:
    # The alternative holds its need's place (nobody else is offered it): filled
    # (fill_rate was 0.5).
    ledger, ds, alternative = _alternative_left_open(1)
    result = mk.match(ds, ledger=ledger, as_of="2026-09-02")
    assert ("v1", alternative) in ledger.state(as_of="2026-09-02T12:00:00+00:00").open_offers
    assert result.new_proposals == []
    assert result.metrics["fill_rate"] == 1.0


def test_an_open_alternative_whose_group_was_taken_never_blocks() -> None:
    # The alternative is on offer: it does not block (it was the 1 blocking pair).
    ledger, ds, alternative = _alternative_left_open(2)
    result = mk.match(ds, ledger=ledger, as_of="2026-09-02")
    assert ("v1", alternative) in ledger.state(as_of="2026-09-02T12:00:00+00:00").open_offers
    assert result.metrics["blocking_pairs"] == 0


def test_a_pair_offered_again_can_be_accepted() -> None:
    # v1 (two places) is offered n1 with n2 as its alternative (group 'n1') and takes n2;
    # n1's offer expires and the next round offers n1 again, group 'n1' again. It is
    # another proposal: v1 may take it (it was refused, "of which they choose one", and
    # could only expire, holding n1's place).
    ledger = mk.Ledger(":memory:")
    ds = mk.Dataset(volunteers=[{"id": "v1", "max_placements": 2}], organisations=_CENTRE,
                    needs=[_open_need("n1"), _open_need("n2")])
    (p,) = mk.match(ds, ledger=ledger, as_of="2026-09-01", shortlist=1, ttl_days=1,
                    budget=mk.OfferBudget(max_new_per_round=1)).proposals
    (alternative,) = p.alternatives
    ledger.accept("v1", alternative.need_id, at="2026-09-01T06:00:00+00:00")
    again = mk.match(ds, ledger=ledger, as_of="2026-09-03")
    assert [(x.volunteer_id, x.need_id) for x in again.new_proposals] == [("v1", p.need_id)]
    ledger.accept("v1", p.need_id, at="2026-09-03T06:00:00+00:00")


def test_open_offers_of_a_need_the_ledger_closed_end() -> None:
    # v1 (one place) holds an offer of n1; n1's organisation closes it in the ledger,
    # while the dataset still lists it as open. The next round withdraws the offer, which
    # could not be accepted, and offers v1 n2 (it kept the offer, listed it as v1's
    # proposal, and v1's one place was held until the offer expired).
    ledger = mk.Ledger(":memory:")
    people = [{"id": "v1"}]
    mk.match(mk.Dataset(volunteers=people, organisations=_CENTRE, needs=[_open_need("n1")]),
             ledger=ledger, as_of="2026-09-01")
    ledger.record_need_transition("n1", "closed", by="vc", reason="done", from_status="open",
                                  at="2026-09-01T05:00:00+00:00")
    result = mk.match(mk.Dataset(volunteers=people, organisations=_CENTRE,
                                 needs=[_open_need("n1"), _open_need("n2")]),
                      ledger=ledger, as_of="2026-09-02")
    assert ledger.state(as_of="2026-09-02T12:00:00+00:00").withdrawn[("v1", "n1")] == "need"
    assert [(p.need_id, p.status) for p in result.proposals] == [("n2", "new")]
